"""The record of one LLM decision in a self-play game: what the learner trains on.

A :class:`TurnSample` keeps the exact token ids the generator sampled (``prompt_ids``,
``completion_ids``) and the sampler's logprob of each completion token; the learner
trains on those ids and never re-tokenises decoded text, the rule SPIRAL and MARS keep
(spiral-rl/spiral ``train_spiral.py`` L549-556 puts the reward on the last sampled
token) and the one whose breach causes most off-policy bugs in LLM RL.

**Which logprob.** ``sampler_logprobs[i]`` is ``log softmax(logits / T)[token_i]``: the
log-probability of the sampled token under the distribution it was actually drawn from,
at the sampling temperature ``T`` (no top-k, top-p or penalties). It is what oat's learner
computes (``get_batch_logps``: ``logits / temperature`` then ``log_softmax``) and what vLLM
returns with ``logprobs_mode="processed_logprobs"``; vLLM's default, ``raw_logprobs``, is
the temperature-1 value, so a vLLM generator must ask for the processed one. The learner
therefore takes the same temperature (``LearnerConfig.temperature``), and
``mean |sampler - learner|`` over tokens measures stale weights (research note §6).
Greedy decoding (``T = 0``) records the temperature-1 logprob.

Standard library only (no torch): records travel through the run store as JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from redqueen.errors import InvalidParameterError

__all__ = ["FINISH_REASONS", "TurnSample"]

FINISH_REASONS: tuple[str, ...] = ("stop", "length")
"""``"stop"``: the completion ends with an end-of-sequence or stop token (kept in it);
``"length"``: it reached the generation limit."""


@dataclass
class TurnSample:
    """One seat's decision in one game: the prompt it saw, what it sampled, how it scored."""

    game: str
    episode: int
    seat: int
    role: int | str
    turn: int
    """Index of this decision among the seat's decisions in the game (0, 1, ...)."""
    policy_version: int
    """The learner step whose weights sampled the completion."""
    prompt_ids: list[int]
    completion_ids: list[int]
    sampler_logprobs: list[float]
    """One per completion token: ``log softmax(logits / T)`` of the sampled token."""
    finish_reason: str
    valid: bool
    """Whether the completion parsed as a legal move."""
    advantage: float = 0.0
    """Set by the advantage estimator; the learner puts it on every completion token."""

    def __post_init__(self) -> None:
        if len(self.sampler_logprobs) != len(self.completion_ids):
            raise InvalidParameterError(
                f"sampler_logprobs has {len(self.sampler_logprobs)} values for "
                f"{len(self.completion_ids)} completion tokens; it needs one per token"
            )
        if self.finish_reason not in FINISH_REASONS:
            raise InvalidParameterError(
                f"finish_reason {self.finish_reason!r}; allowed: {', '.join(FINISH_REASONS)}"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (no NumPy scalars), ready for ``json.dumps``."""
        data = asdict(self)
        data["prompt_ids"] = [int(i) for i in self.prompt_ids]
        data["completion_ids"] = [int(i) for i in self.completion_ids]
        data["sampler_logprobs"] = [float(x) for x in self.sampler_logprobs]
        data["role"] = self.role if isinstance(self.role, str) else int(self.role)
        for name in ("episode", "seat", "turn", "policy_version"):
            data[name] = int(data[name])
        data["valid"] = bool(self.valid)
        data["advantage"] = float(self.advantage)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TurnSample:
        """The sample :meth:`to_dict` wrote; unknown keys are an error."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidParameterError(
                f"unknown TurnSample fields: {', '.join(unknown)}; allowed: "
                f"{', '.join(sorted(names))}"
            )
        return cls(**data)
