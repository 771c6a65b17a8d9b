"""The policy-gradient update of an LLM on self-play turn samples (PPO-clip or REINFORCE).

This is the learner of SPIRAL (Liu et al. 2025, "SPIRAL: Self-Play on Zero-Sum Games
Incentivizes Reasoning via Multi-Agent Multi-Turn Reinforcement Learning"), which is oat's
``PPOLearner.learning_step`` (sail-sg/oat ``oat/algorithms/ppo.py``) with a critic-free
advantage, written in one screen in the spirit of nanoGPT and CleanRL: every
hyperparameter lives in :class:`LearnerConfig`, and :meth:`Learner.step` reads top to
bottom.

**The data.** Each :class:`~redqueen.learn.llm.records.TurnSample` is one (prompt,
completion) pair with one advantage ``A`` (set by :mod:`redqueen.learn.llm.advantages`),
which every token of its completion receives (SPIRAL puts it on the last token and sums,
which is the same thing without a critic). The learner trains on the sampled token ids
as they are.

**One step.** (1) Before any update the learner scores every completion with the current
weights, without gradients: the *old* logprobs ``log pi_old`` (oat recomputes them rather
than trusting the sampler's), the token entropy, and, when ``kl_coef > 0``, the frozen
reference model's logprobs. ``logprob_gap = mean |sampler logprob - log pi_old|`` over
tokens is the stale-weights check (research note §6): 0 up to float rounding when the
sampler ran the same weights. (2) For ``epochs`` passes over the batch in a fresh random
order, in minibatches of ``minibatch_size`` samples, the per-token loss is

- PPO: ``max(-A * r, -A * clip(r, 1 - clip, 1 + clip))`` with ``r = exp(log pi - log pi_old)``
  (Schulman et al. 2017); ``clip_fraction`` counts the tokens where the clipped term won,
  and is 0 in the first minibatch, where ``r = 1``;
- REINFORCE: ``-A * log pi`` (Williams 1992; oat's ``reinforce_update``);

plus ``kl_coef * k3`` with ``k3 = exp(q) - 1 - q``, ``q = log pi_ref - log pi`` (Schulman's
"Approximating KL divergence"; oat clamps ``q`` to ±40). (3) Token losses become one number
by ``aggregation``: ``"dr_grpo"`` sums each completion's token losses, divides by
``max_new_tokens`` (the generation limit, the same for every sample) and averages over
samples, which is oat's ``masked_sum(pg) / generate_max_length`` with SPIRAL's
``critic_type="drgrpo"`` (Liu et al. 2025, "Understanding R1-Zero-Like Training": no
per-response length normalisation); ``"token_mean"`` averages over all tokens. Every
``grad_accumulation`` minibatches make one optimizer step, and the averages run over the
samples or tokens of that whole step, so accumulation changes memory use, not the
gradient. Gradients are clipped to ``max_grad_norm``; the optimizer is AdamW.

Logprobs are computed at ``temperature`` exactly as the generator records them
(:func:`~redqueen.learn.llm.generators.completion_logprobs`), so it must be the sampling
temperature.

**LoRA** (Hu et al. 2021) comes from peft: :func:`apply_lora` wraps a model so that only
the adapter trains (the optimizer takes the parameters that require gradients; without
LoRA that is every weight: full fine-tuning); :func:`save_adapter` and
:func:`load_adapter` write and read the adapter directory a vLLM ``LoRARequest`` can serve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.learn.llm.generators import completion_logprobs
from redqueen.learn.llm.records import TurnSample

__all__ = [
    "AGGREGATIONS",
    "ALGORITHMS",
    "Learner",
    "LearnerConfig",
    "apply_lora",
    "load_adapter",
    "load_trained_weights",
    "save_adapter",
    "trained_weights",
]

ALGORITHMS: tuple[str, ...] = ("ppo", "reinforce")
AGGREGATIONS: tuple[str, ...] = ("dr_grpo", "token_mean")


@dataclass
class LearnerConfig:
    """Every hyperparameter of the update, with SPIRAL's values as defaults where it has one."""

    algorithm: str = "ppo"
    """``"ppo"`` (clipped ratio to the pre-update policy) or ``"reinforce"`` (``-A log pi``)."""
    learning_rate: float = 1e-6
    """AdamW's step size (SPIRAL: 1e-6, constant, for a 4B model)."""
    epochs: int = 2
    """Passes over each batch (SPIRAL's ``num_ppo_epochs``)."""
    clip: float = 0.2
    """PPO's clip range: the ratio is clipped to ``[1 - clip, 1 + clip]``."""
    aggregation: str = "dr_grpo"
    """``"dr_grpo"``: per-sample token sum / ``max_new_tokens``, mean over samples;
    ``"token_mean"``: mean over every token of the batch."""
    max_new_tokens: int = 256
    """The generation limit the samples were drawn with (``dr_grpo`` divides by it)."""
    kl_coef: float = 0.0
    """Weight of the k3 KL estimate to the reference model; 0 (SPIRAL) skips it."""
    entropy_coef: float = 0.0
    """Weight of an entropy bonus (the entropy of each completion position's distribution,
    subtracted from the loss; 0 in SPIRAL and MARS): it keeps a small model from
    collapsing onto one answer before it has learned what its prompt says."""
    entropy_fade: tuple[int, int] | None = None
    """``(start, end)``: the entropy bonus is ``entropy_coef`` until the learner's update
    ``start``, falls linearly to 0 at update ``end`` and is 0 after (None: constant). A
    bonus over the whole vocabulary also lends probability to answers that are not
    moves; fading it lets a model that has learned what to play answer legally again."""
    minibatch_size: int = 16
    """Samples per forward and backward pass."""
    grad_accumulation: int = 1
    """Minibatches per optimizer step."""
    max_grad_norm: float = 1.0
    """The gradient's global norm is clipped to this (``math.inf``: no clipping)."""
    temperature: float = 1.0
    """The sampling temperature: logprobs are those of ``softmax(logits / temperature)``."""
    weight_decay: float = 0.0
    """AdamW's decoupled weight decay."""
    seed: int = 0
    """Seeds the order of minibatches (unless :meth:`Learner.step` is given a seed)."""

    def __post_init__(self) -> None:
        if self.algorithm not in ALGORITHMS:
            raise UnknownNameError("algorithm", self.algorithm, ALGORITHMS)
        if self.aggregation not in AGGREGATIONS:
            raise UnknownNameError("aggregation", self.aggregation, AGGREGATIONS)
        positive_ints = ("epochs", "max_new_tokens", "minibatch_size", "grad_accumulation")
        for name in positive_ints:
            if getattr(self, name) < 1:
                raise InvalidParameterError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ("learning_rate", "kl_coef", "entropy_coef", "weight_decay", "temperature"):
            if not getattr(self, name) >= 0:
                raise InvalidParameterError(f"{name} must be 0 or more, not {getattr(self, name)}")
        if self.entropy_fade is not None:
            fade = self.entropy_fade
            pair = isinstance(fade, list | tuple) and len(fade) == 2
            if not (
                pair
                and all(isinstance(x, int) and not isinstance(x, bool) for x in fade)
                and 0 <= fade[0] <= fade[1]
            ):
                shown = list(fade) if isinstance(fade, list | tuple) else repr(fade)
                raise InvalidParameterError(
                    f"entropy_fade {shown}: give [start, end], two update counts with "
                    "0 <= start <= end"
                )
            self.entropy_fade = (fade[0], fade[1])
        if not 0 < self.clip < 1:
            raise InvalidParameterError(f"clip must lie in (0, 1), not {self.clip}")
        if not self.max_grad_norm > 0:
            raise InvalidParameterError(f"max_grad_norm must be positive, not {self.max_grad_norm}")


def entropy_weight(config: LearnerConfig, update: int) -> float:
    """The entropy bonus's weight at the learner's update ``update`` (counted from 0)."""
    if config.entropy_fade is None:
        return config.entropy_coef
    start, end = config.entropy_fade
    if update < start:
        return config.entropy_coef
    if update >= end:
        return 0.0
    return config.entropy_coef * (end - update) / (end - start)


def _padded(rows: Sequence[Any]) -> Any:
    """1-D tensors as one ``[len(rows), longest]`` tensor, zero padded on the right."""
    return torch.nn.utils.rnn.pad_sequence(list(rows), batch_first=True)


class Learner:
    """Updates ``model`` in place from turn samples; see the module docstring.

    ``reference``: a frozen model for the KL term (needed when ``kl_coef > 0``, except for
    a LoRA model, whose reference is its own base model with the adapter switched off).
    """

    def __init__(self, model: Any, config: LearnerConfig, *, reference: Any = None) -> None:
        if config.kl_coef > 0 and reference is None and not hasattr(model, "disable_adapter"):
            raise InvalidParameterError(
                "kl_coef > 0 needs a reference model (a LoRA model uses its base model)"
            )
        self.model = model
        self.config = config
        self.reference = reference
        self.named_parameters = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if not self.named_parameters:
            raise InvalidParameterError("the model has no parameter that requires a gradient")
        self.optimizer = torch.optim.AdamW(
            [p for _, p in self.named_parameters],
            lr=config.learning_rate,
            weight_decay=config.weight_decay,
        )
        self.random = np.random.default_rng(config.seed)
        self.steps = 0
        """Completed calls of :meth:`step`: the policy version of the current weights."""

    def _score(
        self, model: Any, prompts: list[list[int]], completions: list[list[int]]
    ) -> tuple[list[Any], list[Any]]:
        """Per-sample logprobs and entropies without gradients, minibatch by minibatch."""
        logprobs: list[Any] = []
        entropies: list[Any] = []
        training = model.training
        model.eval()
        with torch.no_grad():
            size = self.config.minibatch_size
            for start in range(0, len(prompts), size):
                chunk = completions[start : start + size]
                lp, _, ent = completion_logprobs(
                    model,
                    prompts[start : start + size],
                    chunk,
                    self.config.temperature,
                    with_entropy=True,
                )
                assert ent is not None
                logprobs += [lp[i, : len(c)] for i, c in enumerate(chunk)]
                entropies += [ent[i, : len(c)] for i, c in enumerate(chunk)]
        model.train(training)
        return logprobs, entropies

    def step(self, samples: Sequence[TurnSample], *, seed: int | None = None) -> dict[str, float]:
        """One update on ``samples``; returns what it measured (means over tokens unless
        named otherwise): ``loss`` (mean over optimizer steps), ``kl``, ``entropy``,
        ``entropy_weight`` (the bonus's weight this update), ``clip_fraction``,
        ``grad_norm`` (mean over optimizer steps, before clipping),
        ``logprob_gap``, ``tokens``, ``samples``, ``optimizer_steps``.

        The minibatch order is drawn from ``seed`` when given (a loop that seeds each step
        needs no random state to resume), else from the learner's own generator."""
        config = self.config
        entropy_coef = entropy_weight(config, self.steps)
        random = np.random.default_rng(seed) if seed is not None else self.random
        if not samples:
            raise InvalidParameterError("a learner step needs at least one sample")
        longest = max(len(s.completion_ids) for s in samples)
        if config.aggregation == "dr_grpo" and longest > config.max_new_tokens:
            raise InvalidParameterError(
                f"a completion has {longest} tokens but max_new_tokens is "
                f"{config.max_new_tokens}; set it to the generation limit"
            )
        prompts = [list(s.prompt_ids) for s in samples]
        completions = [list(s.completion_ids) for s in samples]
        device = next(self.model.parameters()).device
        advantages = torch.tensor([s.advantage for s in samples], dtype=torch.float32)
        advantages = advantages.to(device)

        old, entropy = self._score(self.model, prompts, completions)
        reference: list[Any] | None = None
        if config.kl_coef > 0 and self.reference is not None:
            reference = self._score(self.reference, prompts, completions)[0]
        elif config.kl_coef > 0:
            with self.model.disable_adapter():  # peft: the base model, adapter off
                reference = self._score(self.model, prompts, completions)[0]
        tokens = sum(len(c) for c in completions)
        sampler = torch.tensor([x for s in samples for x in s.sampler_logprobs])
        learner_old = torch.cat(old).cpu() if tokens else torch.zeros(0)
        gap = float((sampler - learner_old).abs().mean()) if tokens else 0.0
        mean_entropy = float(torch.cat(entropy).mean()) if tokens else 0.0

        losses: list[float] = []
        norms: list[float] = []
        kl_sum = clipped = counted = 0.0
        training = self.model.training
        self.model.train()
        per_step = config.minibatch_size * config.grad_accumulation
        for _ in range(config.epochs):
            order = random.permutation(len(samples)).tolist()
            for first in range(0, len(order), per_step):
                group = order[first : first + per_step]
                if config.aggregation == "dr_grpo":
                    denominator = len(group) * config.max_new_tokens
                else:
                    denominator = max(1, sum(len(completions[i]) for i in group))
                group_loss = 0.0
                for start in range(0, len(group), config.minibatch_size):
                    batch = group[start : start + config.minibatch_size]
                    new, mask, position_entropy = completion_logprobs(
                        self.model,
                        [prompts[i] for i in batch],
                        [completions[i] for i in batch],
                        config.temperature,
                        with_entropy=entropy_coef > 0,
                    )
                    advantage = advantages[batch][:, None]
                    if config.algorithm == "ppo":
                        ratio = torch.exp(new - _padded([old[i] for i in batch]))
                        unclipped = -advantage * ratio
                        bounded = -advantage * ratio.clamp(1 - config.clip, 1 + config.clip)
                        token_loss = torch.maximum(unclipped, bounded)
                        clipped += float(((bounded > unclipped) & mask).sum())
                    else:
                        token_loss = -advantage * new
                    if reference is not None:
                        ref = _padded([reference[i] for i in batch])
                        q = (ref - new).clamp(-40.0, 40.0)
                        k3 = torch.expm1(q) - q
                        kl_sum += float((k3.detach() * mask).sum())
                        token_loss = token_loss + config.kl_coef * k3
                    if position_entropy is not None:
                        token_loss = token_loss - entropy_coef * position_entropy
                    counted += float(mask.sum())
                    loss = (token_loss * mask).sum() / denominator
                    loss.backward()
                    group_loss += float(loss.detach())
                norm = torch.nn.utils.clip_grad_norm_(
                    [p for _, p in self.named_parameters], config.max_grad_norm
                )
                self.optimizer.step()
                self.optimizer.zero_grad(set_to_none=True)
                losses.append(group_loss)
                norms.append(float(norm))
        self.model.train(training)
        self.steps += 1
        return {
            "loss": float(np.mean(losses)),
            "kl": kl_sum / max(counted, 1.0),
            "entropy": mean_entropy,
            "entropy_weight": entropy_coef,
            "clip_fraction": clipped / max(counted, 1.0),
            "grad_norm": float(np.mean(norms)),
            "logprob_gap": gap,
            "tokens": float(tokens),
            "samples": float(len(samples)),
            "optimizer_steps": float(len(norms)),
        }

    def state_dict(self) -> dict[str, Any]:
        """The trainable weights (all of them, or only a LoRA adapter's), the optimizer,
        the minibatch order's random state and the step count: what a resumed run needs.
        Tensors are references, as in torch's ``state_dict``: save them or copy them."""
        return {
            "parameters": {name: p.detach() for name, p in self.named_parameters},
            "optimizer": self.optimizer.state_dict(),
            "random": self.random.bit_generator.state,
            "steps": self.steps,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave, into a learner over the same model shape."""
        saved = state["parameters"]
        names = [name for name, _ in self.named_parameters]
        if sorted(saved) != sorted(names):
            missing = sorted(set(names) - set(saved))[:3]
            extra = sorted(set(saved) - set(names))[:3]
            raise InvalidParameterError(
                f"the saved learner state has other trainable parameters than this model "
                f"(missing {missing}, unexpected {extra})"
            )
        with torch.no_grad():
            for name, parameter in self.named_parameters:
                parameter.copy_(saved[name])
        self.optimizer.load_state_dict(state["optimizer"])
        self.random.bit_generator.state = state["random"]
        self.steps = int(state["steps"])


def trained_weights(model: Any) -> dict[str, Any]:
    """Copies, on the CPU, of the weights training changes: all of them, or only a LoRA
    adapter's (a snapshot of a LoRA run costs the adapter's size, not the model's)."""
    return {
        n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if p.requires_grad
    }


def load_trained_weights(model: Any, weights: dict[str, Any]) -> None:
    """Load what :func:`trained_weights` copied (or a whole ``state_dict``) into ``model``;
    a name the model does not have is an error, not skipped."""
    unexpected = model.load_state_dict(weights, strict=False).unexpected_keys
    if unexpected:
        raise InvalidParameterError(
            f"weights for another model shape: {', '.join(unexpected[:3])} are not in this model"
        )


def apply_lora(
    model: Any,
    *,
    r: int = 32,
    alpha: int = 64,
    dropout: float = 0.0,
    target_modules: str | Sequence[str] = "all-linear",
    seed: int = 0,
) -> Any:
    """Wrap ``model`` with a fresh LoRA adapter (peft); only the adapter will train.

    ``"all-linear"`` targets every linear layer but the output head. The adapter starts as
    the identity (its B matrix is 0), so the wrapped model computes what ``model`` did;
    its A matrix is drawn at random from ``seed`` (peft draws it from torch's global
    generator, which is left as it was), so the same seed trains the same run.
    peft injects the adapter's layers into ``model`` itself: use the returned model.
    """
    from peft import LoraConfig, get_peft_model

    modules = target_modules if isinstance(target_modules, str) else list(target_modules)
    lora = LoraConfig(
        r=r, lora_alpha=alpha, lora_dropout=dropout, target_modules=modules, task_type="CAUSAL_LM"
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return get_peft_model(model, lora)


def save_adapter(model: Any, directory: str | Path) -> Path:
    """Write a LoRA-wrapped model's adapter (weights and config only) to ``directory``."""
    if not hasattr(model, "peft_config"):
        raise InvalidParameterError("save_adapter needs a model wrapped by apply_lora")
    path = Path(directory)
    model.save_pretrained(path)
    return path


def load_adapter(base_model: Any, directory: str | Path, *, trainable: bool = False) -> Any:
    """``base_model`` wrapped with the adapter saved in ``directory`` (read locally only)."""
    from peft import PeftModel

    path = Path(directory)
    if not (path / "adapter_config.json").is_file():
        raise InvalidParameterError(
            f"no LoRA adapter at {str(directory)!r} (expected adapter_config.json there)"
        )
    return PeftModel.from_pretrained(base_model, path, is_trainable=trainable)
