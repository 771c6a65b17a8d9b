"""Advantage estimators for training an LLM by self-play, as pure NumPy functions.

Every estimator takes finished games as :class:`SeatTrace` records: one seat's per-turn
rewards in one game (the terminal payoff on its last turn, plus any per-turn shaping such
as a format bonus), tagged with the game and the seat's role. It returns one float64 array
per trace, one advantage per turn; the learner puts each turn's advantage on that turn's
completion tokens. The return of a trace, ``R``, is the sum of its rewards: with a
terminal payoff only, that is the payoff.

**RAE** (:func:`rae`), SPIRAL's role-conditioned advantage estimation (Liu et al. 2025,
"SPIRAL: Self-Play on Zero-Sum Games Incentivizes Reasoning via Multi-Agent Multi-Turn
Reinforcement Learning"; spiral-rl/spiral ``train_spiral.py`` L486-514, EMA in
``spiral/utils.py`` L22-29). A baseline ``b`` per role is an exponential moving average of
that role's returns, starting at 0. For each game in completion order the advantage is
``A = R - b`` with ``b`` read *before* the update ``b <- alpha * b + (1 - alpha) * R``
(``alpha = 0.95``); turn ``i`` of ``T`` gets ``A * gamma ** (T - i - 1)`` (``gamma = 1`` in
SPIRAL, so every turn gets ``A``). SPIRAL's rewards are terminal only; with per-turn
shaping we keep one ``A`` per game from ``R`` = the sum of the rewards and discount it by
position in the same way, so shaping moves the whole trace's advantage, not single turns.
Where ours differs from SPIRAL: SPIRAL keeps one EMA per seat (``{0: EMA, 1: EMA}``) inside
each actor process, not keyed by game and not shared between actors; ours is keyed by
``(game, role)``, computed once over the whole batch on the learner side (so results do
not depend on the number of actors), and handed back to the caller, which persists it in
the run store. The loop hands the traces over in episode order, which is fixed by the
seeds, where SPIRAL's order is the order its games happen to finish in: so a rerun gives
the same advantages. SPIRAL then drops every turn sample whose advantage is exactly 0
(``filter_zero_adv``, L513-514); :func:`keep_nonzero` gives that mask.

**MARS** (:func:`mars`), turn-level reward-to-go with per-role normalisation (thu-nics/MARS
``roll/pipeline/agentic/agentic_pipeline.py`` L228-286; ``roll/utils/functionals.py``
``reward_normalize_by_player``, ``compute_reinforce_return``, ``normalize_unique_values``).
This is the estimator MARS describes, not its code bit for bit: per ``(game, role)`` group
over the batch, each turn reward is centred by the mean of all the group's turn rewards;
the turn-level reward-to-go ``G_t = sum_{t' >= t} gamma^(t' - t) r~_t'`` is taken per
trace; then the ``G`` values are centred by the group's mean over all its turns and, with
``norm="mean_std"``, divided by the group's population standard deviation plus ``1e-8``
(a group whose ``G`` are all equal gets advantages 0). MARS's code instead whitens over all
response tokens, and subtracts the mean of the set of *distinct* return values per player
(padding zero included), which is a heuristic rather than a mean over turns. With ``gamma
= 1`` and a terminal reward only, every turn of a trace gets the same advantage, as in RAE;
the two then differ in the baseline: RAE's is a slow EMA across batches, MARS's the mean of
the current batch.

**GRPO** (:func:`grpo`; Shao et al. 2024, "DeepSeekMath", section 4.1): within a group of
exchangeable attempts (same state, same seat), ``A = (R - mean R) / (std R + 1e-6)`` with
the population standard deviation, given to every turn of the trace (verl and TRL use
torch's unbiased standard deviation instead). Dr. GRPO (Liu et al. 2025, "Understanding
R1-Zero-Like Training: A Critical Perspective") drops the division by the standard
deviation and the per-response length normalisation; the second is the learner's
aggregation, and :func:`mars` with ``norm="mean"`` is the unscaled centring. GRPO is not
the default here: in zero-sum self-play the two seats of one game are not exchangeable,
their mean return is 0 whatever the policy does.

**REINFORCE** (:func:`reinforce`): the plain reward-to-go ``G_t`` of each turn, no baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError

__all__ = [
    "BaselineKey",
    "SeatTrace",
    "grpo",
    "keep_nonzero",
    "mars",
    "rae",
    "reinforce",
]

FloatArray = NDArray[np.float64]
BaselineKey = tuple[str, int | str]
"""``(game, role)``: the key of one RAE baseline and of one MARS normalisation group."""

MARS_NORMS = ("mean", "mean_std")
MARS_EPS = 1e-8
GRPO_EPS = 1e-6


@dataclass(frozen=True)
class SeatTrace:
    """One seat's per-turn rewards in one finished game: the terminal payoff on its last
    turn, plus any per-turn shaping. ``rewards`` is stored as a tuple of floats."""

    game: str
    role: int | str
    rewards: Sequence[float]

    def __post_init__(self) -> None:
        rewards = tuple(float(r) for r in self.rewards)
        if not rewards:
            raise InvalidParameterError(
                f"a SeatTrace needs at least one turn reward (game {self.game!r}, "
                f"role {self.role!r}); got none"
            )
        if not all(math.isfinite(r) for r in rewards):
            raise InvalidParameterError(
                f"SeatTrace rewards must be finite numbers (game {self.game!r}, "
                f"role {self.role!r}); got {rewards}"
            )
        object.__setattr__(self, "rewards", rewards)

    @property
    def key(self) -> BaselineKey:
        return (self.game, self.role)


def _check_gamma(gamma: float) -> float:
    if not 0.0 <= gamma <= 1.0:
        raise InvalidParameterError(f"gamma must be in [0, 1]; got {gamma}")
    return float(gamma)


def _check_alpha(alpha: float) -> float:
    if not 0.0 <= alpha < 1.0:
        raise InvalidParameterError(
            f"alpha (the weight the old baseline keeps) must be in [0, 1); got {alpha}"
        )
    return float(alpha)


def _reward_to_go(rewards: FloatArray, gamma: float) -> FloatArray:
    """``G_t = r_t + gamma * G_{t+1}``, i.e. ``sum_{t' >= t} gamma^(t' - t) r_t'``."""
    out = np.empty_like(rewards)
    running = 0.0
    for t in range(len(rewards) - 1, -1, -1):
        running = float(rewards[t]) + gamma * running
        out[t] = running
    return out


def _position_discount(turns: int, gamma: float) -> FloatArray:
    """``gamma ** (turns - i - 1)`` for turn ``i``: 1 on the last turn."""
    return np.power(gamma, np.arange(turns - 1, -1, -1, dtype=np.float64))


def _groups(traces: Sequence[SeatTrace]) -> dict[BaselineKey, list[int]]:
    groups: dict[BaselineKey, list[int]] = {}
    for i, trace in enumerate(traces):
        groups.setdefault(trace.key, []).append(i)
    return groups


def rae(
    traces: Sequence[SeatTrace],
    baselines: Mapping[BaselineKey, float] | None = None,
    alpha: float = 0.95,
    gamma: float = 1.0,
) -> tuple[list[FloatArray], dict[BaselineKey, float]]:
    """SPIRAL's role-conditioned advantage estimation over ``traces`` in completion order.

    For each trace ``R`` = the sum of its rewards, ``b = baselines[(game, role)]`` (0.0 when
    absent) read before the update, ``A = R - b``, then ``b <- alpha * b + (1 - alpha) * R``;
    turn ``i`` of ``T`` gets ``A * gamma ** (T - i - 1)``. A later trace of the same
    ``(game, role)`` sees the baseline the earlier one updated. Returns the per-turn
    advantages of each trace and the updated baselines as a new dict (every key of
    ``baselines`` plus those seen here); ``baselines`` itself is left unchanged."""
    alpha = _check_alpha(alpha)
    gamma = _check_gamma(gamma)
    updated: dict[BaselineKey, float] = dict(baselines or {})
    advantages: list[FloatArray] = []
    for trace in traces:
        ret = math.fsum(trace.rewards)
        before = float(updated.get(trace.key, 0.0))
        updated[trace.key] = alpha * before + (1.0 - alpha) * ret
        advantages.append((ret - before) * _position_discount(len(trace.rewards), gamma))
    return advantages, updated


def mars(
    traces: Sequence[SeatTrace], gamma: float = 1.0, norm: str = "mean_std"
) -> list[FloatArray]:
    """MARS's turn-level advantage with per-``(game, role)`` normalisation over the batch.

    Per group: centre every turn reward by the group's mean turn reward; take each trace's
    reward-to-go ``G_t``; subtract the group's mean ``G`` over all its turns and, with
    ``norm="mean_std"``, divide by the group's population std of ``G`` plus ``1e-8``."""
    gamma = _check_gamma(gamma)
    if norm not in MARS_NORMS:
        allowed = ", ".join(repr(n) for n in MARS_NORMS)
        raise InvalidParameterError(f"norm must be one of {allowed}; got {norm!r}")
    out: list[FloatArray] = [np.empty(0)] * len(traces)
    for members in _groups(traces).values():
        rewards = [np.asarray(traces[i].rewards, dtype=np.float64) for i in members]
        centre = np.concatenate(rewards).mean()
        returns = [_reward_to_go(r - centre, gamma) for r in rewards]
        flat = np.concatenate(returns)
        mean = flat.mean()
        scale = flat.std() + MARS_EPS if norm == "mean_std" else 1.0
        for i, g in zip(members, returns, strict=True):
            out[i] = (g - mean) / scale
    return out


def grpo(traces: Sequence[SeatTrace], groups: Sequence[Sequence[int]]) -> list[FloatArray]:
    """GRPO's group-relative advantage: ``(R - mean R) / (std R + 1e-6)`` within each group
    of trace indices (population std), given to every turn of the trace.

    A group must hold exchangeable attempts: the same state and the same seat. In zero-sum
    self-play the two seats of one game are not exchangeable (their mean return is 0
    whatever the policy does), which is why GRPO is not the default estimator. Every trace
    must be in exactly one group."""
    group_of: dict[int, int] = {}
    for g, members in enumerate(groups):
        if len(members) == 0:
            raise InvalidParameterError(f"GRPO group {g} is empty; each group needs a trace")
        for i in members:
            if not 0 <= i < len(traces):
                raise InvalidParameterError(
                    f"GRPO group {g} names trace {i}; allowed: 0 to {len(traces) - 1}"
                )
            if i in group_of:
                raise InvalidParameterError(
                    f"trace {i} is in GRPO groups {group_of[i]} and {g}; "
                    "each trace must be in exactly one group"
                )
            group_of[i] = g
    missing = [i for i in range(len(traces)) if i not in group_of]
    if missing:
        raise InvalidParameterError(
            f"traces {missing} are in no GRPO group; each trace must be in exactly one group"
        )
    out: list[FloatArray] = [np.empty(0)] * len(traces)
    for members in groups:
        returns = np.array([math.fsum(traces[i].rewards) for i in members], dtype=np.float64)
        scaled = (returns - returns.mean()) / (returns.std() + GRPO_EPS)
        for i, a in zip(members, scaled, strict=True):
            out[i] = np.full(len(traces[i].rewards), a, dtype=np.float64)
    return out


def reinforce(traces: Sequence[SeatTrace], gamma: float = 1.0) -> list[FloatArray]:
    """The reward-to-go ``G_t = sum_{t' >= t} gamma^(t' - t) r_t'`` of every turn, with no
    baseline."""
    gamma = _check_gamma(gamma)
    return [_reward_to_go(np.asarray(t.rewards, dtype=np.float64), gamma) for t in traces]


def keep_nonzero(advantages: Sequence[NDArray[np.floating]]) -> list[NDArray[np.bool_]]:
    """Which turn samples to train on: ``advantage != 0``. SPIRAL drops every turn sample
    whose advantage is exactly 0 (``filter_zero_adv``, on by default): it carries no
    gradient in a policy-gradient loss without a KL term, but still costs a forward and a
    backward pass."""
    return [np.asarray(a) != 0 for a in advantages]
