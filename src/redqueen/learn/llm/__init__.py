"""Training an LLM's own weights by playing games (SPIRAL, MARS).

- ``records.py``: turn samples that keep the exact token ids the generator sampled and
  the sampler's logprobs;
- ``advantages.py``: the advantage estimators (SPIRAL's role-conditioned EMA baseline,
  MARS's turn-level reward-to-go with per-role normalisation, GRPO groups, REINFORCE) as
  pure NumPy functions;
- ``tiny.py``: a small randomly initialised causal LM and a tokenizer built locally, saved
  as an ordinary Hugging Face model directory (tests and laptops; nothing is downloaded);
- ``generators.py``: generators behind one interface (transformers; ids and logprobs out);
- ``vllm_generator.py``: the same on vLLM in this process, LoRA adapters swapped per
  policy version and several versions served in one batch (the ``vllm`` extra, a GPU);
- ``remote.py``: the same on an OpenAI-compatible completions server that returns token
  ids and logprobs (vLLM's server);
- ``learner.py``: the policy-gradient update (PPO-clip or REINFORCE, Dr.GRPO or token-mean
  aggregation, optional KL to a reference, LoRA through peft);
- ``collector.py``: many self-play games at once, every pending decision batched;
- ``loop.py``: collect, advantages, update, evaluate, recorded in the run store;
- ``policy.py``: the policy a model induces on a small game, and its exact exploitability;
- ``ray_collector.py``: a step's games played on Ray actors, for one learner.

torch, transformers, tokenizers and peft are imported inside the modules that need them
(the ``llm-train`` extra); ``records`` and ``advantages`` need NumPy only.
"""
