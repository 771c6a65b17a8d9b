"""Generators: token ids in, sampled token ids and their logprobs out.

A collector asks a :class:`Generator` for one completion per prompt and keeps exactly what
it returns (token in, token out; :mod:`redqueen.learn.llm.records`). This module holds the
interface, a plain-torch sampler over any ``transformers`` causal LM
(:class:`TransformersGenerator`), and :func:`sequence_logprobs`, the scoring that the
learner shares: for the same weights it reproduces the sampler's recorded logprobs (within
1e-5 in float32 on a CPU), which is the check that the learner trains on what was sampled.

**Sampling**, written out as a loop (nanoGPT's ``generate``, batched): the prompts are left
padded with an attention mask and position ids that count from each row's first real
token; at each step the last position's logits are divided by the temperature ``T``,
``log_softmax`` gives the logprobs, ``torch.multinomial`` draws the next token from a
``torch.Generator`` seeded with ``seed`` (same seed, same prompts, same weights: same
completions), and the drawn token's logprob is recorded. With one seed per prompt, each
row draws from its own generator (the Gumbel-max trick: the argmax of the logprobs plus
Gumbel noise is an exact sample), so a row's completion is the same whatever else is in
the batch: the collector uses this to make games independent of how they are batched.
A row stops at the tokenizer's (or the model's generation config's) end-of-sequence ids
or at any of ``stop_ids``: the stop token is part of the completion and the finish
reason is ``"stop"``; a row that reaches ``max_new_tokens`` finishes with ``"length"``.
Rows that have finished are fed pad tokens, masked out and not recorded, until every row
has finished. ``T = 0`` is greedy (argmax) and records the logprob at temperature 1.

**The KV cache.** With the cache the prompt is run once and each step feeds one token
(position ids continue from each row's last one, so left padding shifts nothing); without
it every step runs the whole sequence again. Measured here (2 CPU cores, 1 thread,
transformers 5.24, 8 new tokens, prompts of 20-30 tokens), the cache was faster for every
model size tried: 2x (batch 16) to 5x (batch 64) for the tiny model of
:mod:`redqueen.learn.llm.tiny` (85k parameters), 5-8x at 21M parameters, 6-13x with
prompts of 100-120 tokens and 16 new tokens. The research note (§8.1) saw
``use_cache=False`` speed up one forward pass of the tiny model in one noisy measurement;
here one pass cost the same either way (12 ms for 64 x 30 tokens), and in decoding the
reuse dominates. One new token is the exception: there is nothing to reuse, and building
the cache cost 25% more (11.8 vs 9.3 ms). So ``use_cache=None`` (automatic) uses the cache
whenever ``max_new_tokens > 1``.

**Scoring** (:func:`sequence_logprobs`) runs each ``prompt + completion`` once, right
padded, with the same position ids, and reads ``log_softmax(logits / T)`` at the
completion's tokens (oat ``PPOLearner.get_batch_logps``); ``T = 0`` scores at 1, as the
greedy sampler records.

torch is imported inside the functions that run a model, so :class:`Generation` and
:class:`Generator` cost nothing to import (a collector needs only them).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from redqueen.errors import InvalidParameterError

__all__ = [
    "Generation",
    "Generator",
    "TransformersGenerator",
    "completion_logprobs",
    "sequence_logprobs",
]


@dataclass
class Generation:
    """One completion: its token ids, their logprobs, and why it ended."""

    completion_ids: list[int]
    logprobs: list[float]
    finish_reason: str
    """``"stop"``: it ends with an end-of-sequence or stop token; ``"length"``: the limit."""


class Generator(Protocol):
    """Samples one completion per prompt of token ids."""

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int | Sequence[int],
        stop_ids: Sequence[int] = (),
    ) -> list[Generation]:
        """One :class:`Generation` per prompt, in order; the same ``seed`` gives the same."""
        ...


def _device(model: Any) -> Any:
    return next(model.parameters()).device


def _cache_keyword(model: Any) -> str:
    """The name under which the model's forward takes a KV cache: ``cache`` in recent
    transformers, ``past_key_values`` before (a peft wrapper passes it through)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "cache" if "cache" in inspect.signature(base.forward).parameters else "past_key_values"


def _end_ids(model: Any, tokenizer: Any) -> set[int]:
    """The tokenizer's and the generation config's end-of-sequence ids."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    config = getattr(model, "generation_config", None)
    configured = getattr(config, "eos_token_id", None)
    if isinstance(configured, int):
        ids.add(configured)
    elif configured is not None:
        ids.update(int(i) for i in configured)
    return ids


def _left_padded(prompts: Sequence[Sequence[int]], pad_id: int, device: Any) -> tuple[Any, Any]:
    """``(ids, mask)``, both ``[batch, longest]``, prompts aligned on the right."""
    import torch

    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.tensor(list(prompt), dtype=torch.long)
        mask[row, width - len(prompt) :] = 1
    return ids.to(device), mask.to(device)


def _positions(mask: Any) -> Any:
    """Position ids that count from each row's first unmasked token (0 on padding)."""
    return (mask.cumsum(-1) - 1).clamp(min=0)


class TransformersGenerator:
    """Batched sampling with any ``transformers`` causal LM, written out step by step.

    ``use_cache``: ``True`` or ``False`` forces the KV cache on or off; ``None`` uses it
    whenever more than one token is to be generated. The model is put in eval mode while
    it samples and given back in the mode it was in.
    """

    def __init__(self, model: Any, tokenizer: Any, *, use_cache: bool | None = None) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.use_cache = use_cache
        self.end_ids = _end_ids(model, tokenizer)
        pad = tokenizer.pad_token_id
        self.pad_id = int(pad if pad is not None else min(self.end_ids, default=0))

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int | Sequence[int],
        stop_ids: Sequence[int] = (),
    ) -> list[Generation]:
        """One completion per prompt (see the module docstring for the exact procedure).
        ``seed``: one seed for the batch, or one per prompt (then each row's draws come
        from its own stream, so a completion does not depend on the rest of the batch)."""
        import torch

        if not prompts or any(len(p) == 0 for p in prompts):
            raise InvalidParameterError("generate needs at least one prompt, none of them empty")
        if max_new_tokens < 1:
            raise InvalidParameterError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        if temperature < 0:
            raise InvalidParameterError(f"temperature must be 0 (greedy) or more: {temperature}")
        model = self.model
        use_cache = self.use_cache if self.use_cache is not None else max_new_tokens > 1
        device = _device(model)
        row_streams: list[Any] | None = None
        if isinstance(seed, int):
            random = torch.Generator(device=device)
            random.manual_seed(seed)
        else:
            if len(seed) != len(prompts):
                raise InvalidParameterError(
                    f"{len(seed)} seeds for {len(prompts)} prompts; give one seed or one each"
                )
            row_streams = [torch.Generator(device=device).manual_seed(int(x)) for x in seed]
        stop_set = sorted(self.end_ids | {int(i) for i in stop_ids})
        stops = torch.tensor(stop_set, dtype=torch.long, device=device)
        ids, mask = _left_padded(prompts, self.pad_id, device)
        positions = _positions(mask)
        generations = [Generation([], [], "length") for _ in prompts]
        active = torch.ones(len(prompts), dtype=torch.bool, device=device)
        training = model.training
        model.eval()
        try:
            with torch.no_grad():
                cache_keyword = _cache_keyword(model) if use_cache else ""
                output = model(
                    input_ids=ids,
                    attention_mask=mask,
                    position_ids=positions,
                    use_cache=use_cache,
                )
                for step in range(max_new_tokens):
                    logits = output.logits[:, -1, :].float()
                    if temperature > 0 and row_streams is not None:
                        logprobs = torch.log_softmax(logits / temperature, dim=-1)
                        tokens = _gumbel_max(logprobs, row_streams)
                    elif temperature > 0:
                        logprobs = torch.log_softmax(logits / temperature, dim=-1)
                        tokens = torch.multinomial(logprobs.exp(), 1, generator=random)[:, 0]
                    else:
                        logprobs = torch.log_softmax(logits, dim=-1)
                        tokens = logprobs.argmax(dim=-1)
                    chosen = logprobs.gather(1, tokens[:, None])[:, 0].tolist()
                    stopped = active & torch.isin(tokens, stops)
                    for row, (token, logprob, live, stop) in enumerate(
                        zip(tokens.tolist(), chosen, active.tolist(), stopped.tolist(), strict=True)
                    ):
                        if live:
                            generations[row].completion_ids.append(token)
                            generations[row].logprobs.append(logprob)
                        if stop:
                            generations[row].finish_reason = "stop"
                    tokens = torch.where(active, tokens, self.pad_id)
                    mask = torch.cat([mask, active[:, None].long()], dim=1)
                    active = active & ~stopped
                    if not active.any() or step == max_new_tokens - 1:
                        break
                    positions = positions[:, -1:] + 1
                    if use_cache:
                        cache = getattr(output, "cache", None)
                        if cache is None:
                            cache = output.past_key_values
                        output = model(
                            input_ids=tokens[:, None],
                            attention_mask=mask,
                            position_ids=positions,
                            use_cache=True,
                            **{cache_keyword: cache},
                        )
                    else:
                        ids = torch.cat([ids, tokens[:, None]], dim=1)
                        output = model(
                            input_ids=ids,
                            attention_mask=mask,
                            position_ids=_positions(mask),
                            use_cache=False,
                        )
        finally:
            model.train(training)
        return generations


def _gumbel_max(logprobs: Any, streams: Sequence[Any]) -> Any:
    """One draw per row from ``softmax(logprobs)``, each row with its own generator: the
    argmax of the logprobs plus Gumbel noise (exact sampling, Gumbel 1954)."""
    import torch

    noise = torch.stack(
        [
            torch.rand(logprobs.shape[1], generator=g, device=logprobs.device, dtype=torch.float64)
            for g in streams
        ]
    )
    gumbel = -torch.log(-torch.log(noise.clamp_min(1e-300)))
    return (logprobs.double() + gumbel).argmax(dim=-1)


def completion_logprobs(
    model: Any,
    prompts: Sequence[Sequence[int]],
    completions: Sequence[Sequence[int]],
    temperature: float,
    *,
    with_entropy: bool = False,
) -> tuple[Any, Any, Any | None]:
    """Score completions in one batch: ``(logprobs, mask, entropy)``, each ``[batch, C]``.

    ``C`` is the longest completion; ``logprobs[i, j]`` is ``log softmax(logits / T)`` of
    completion token ``j`` of row ``i`` given the prompt and the tokens before it, ``mask``
    marks the real tokens (padding scores 0), and ``entropy`` (when asked) is the entropy
    of the temperature-``T`` distribution at each of those positions, else ``None``.
    Gradients flow unless the caller disables them. ``T = 0`` scores at temperature 1.
    """
    import torch

    if len(prompts) != len(completions):
        raise InvalidParameterError(
            f"{len(prompts)} prompts for {len(completions)} completions; one each"
        )
    if any(len(p) == 0 for p in prompts):
        raise InvalidParameterError("every prompt needs at least one token")
    device = _device(model)
    rows = [list(p) + list(c) for p, c in zip(prompts, completions, strict=True)]
    width = max(len(r) for r in rows)
    longest = max((len(c) for c in completions), default=0)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    # the logits that predict completion token j of row i sit at len(prompt_i) - 1 + j
    where = torch.zeros((len(rows), longest), dtype=torch.long)
    scored = torch.zeros((len(rows), longest), dtype=torch.bool)
    for i, (row, prompt, completion) in enumerate(zip(rows, prompts, completions, strict=True)):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
        where[i, : len(completion)] = torch.arange(len(completion)) + len(prompt) - 1
        scored[i, : len(completion)] = True
    ids, mask, where, scored = ids.to(device), mask.to(device), where.to(device), scored.to(device)
    logits = model(
        input_ids=ids, attention_mask=mask, position_ids=_positions(mask), use_cache=False
    ).logits
    logits = logits.gather(1, where[:, :, None].expand(-1, -1, logits.shape[-1])).float()
    if temperature > 0:
        logits = logits / temperature
    all_logprobs = torch.log_softmax(logits, dim=-1)
    targets = torch.zeros_like(where)
    for i, completion in enumerate(completions):
        targets[i, : len(completion)] = torch.tensor(list(completion), dtype=torch.long)
    logprobs = all_logprobs.gather(2, targets[:, :, None])[:, :, 0] * scored
    entropy = None
    if with_entropy:
        entropy = -(all_logprobs.exp() * all_logprobs).sum(-1) * scored
    return logprobs, scored, entropy


def sequence_logprobs(
    model: Any,
    prompts: Sequence[Sequence[int]],
    completions: Sequence[Sequence[int]],
    temperature: float,
) -> list[Any]:
    """Per row, a 1-D tensor: the logprob of each completion token (see
    :func:`completion_logprobs`), the quantity :class:`TransformersGenerator` records."""
    logprobs, _, _ = completion_logprobs(model, prompts, completions, temperature)
    return [logprobs[i, : len(c)] for i, c in enumerate(completions)]
