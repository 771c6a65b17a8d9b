"""How well a step critic judges: SPC's four numbers, with Wilson intervals.

SPC (Chen et al. 2025, arXiv:2504.19162; ``eval/infer_batch.py`` in chen-judge/SPC)
reports a critic's accuracy on correct steps (it said Correct), its accuracy on erroneous
steps (it said Incorrect), their mean, and their harmonic mean
``2 a_c a_e / (a_c + a_e)``. Replies with no valid ``<Answer>`` verdict are left out of
both accuracies and reported as the share of valid replies. ProcessBench's "F1" is the
same harmonic mean, with an erroneous solution judged right only when the critic names
the earliest wrong step (the ``locate`` form of :mod:`redqueen.games.roles.critic`).

Here each accuracy comes with its 95% Wilson interval
(:func:`redqueen.measure.statistics.rate_with_interval`), and the accuracy on erroneous
steps is also split by error type, so that a generator can aim at the types a critic
misses. The harmonic mean is 0 when either accuracy is 0 (SPC's formula divides by zero
when both are); the mean and the harmonic mean are None while either kind of step has
no valid judgement.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from redqueen.errors import RedqueenError
from redqueen.games.core import CHANCE, State
from redqueen.games.roles.critic import CRITIC, NO_ERROR, CriticGame, CriticRecord, decode_move
from redqueen.measure.statistics import rate_with_interval


@dataclass(frozen=True)
class CriticMetrics:
    """SPC's critic metrics. The rates are ``rate_with_interval`` dictionaries (rate, low,
    high, count, n)."""

    correct_steps: dict[str, Any]
    """Accuracy on correct steps: the share of valid verdicts on them that said Correct."""
    erroneous_steps: dict[str, Any]
    """Accuracy on erroneous steps: the share of valid verdicts on them that were right."""
    mean: float | None
    harmonic_mean: float | None
    valid: dict[str, Any]
    """The share of records with a valid verdict."""
    by_error: dict[str, dict[str, Any]]
    """Accuracy on erroneous steps of each error type, by type name."""

    def miss_rates(self) -> dict[str, float]:
        """For each error type with a valid verdict: the share the critic missed."""
        return {kind: 1.0 - r["rate"] for kind, r in self.by_error.items() if r["n"]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "correct_steps": dict(self.correct_steps),
            "erroneous_steps": dict(self.erroneous_steps),
            "mean": self.mean,
            "harmonic_mean": self.harmonic_mean,
            "valid": dict(self.valid),
            "by_error": {kind: dict(r) for kind, r in self.by_error.items()},
        }


def harmonic_mean(a: float, b: float) -> float:
    """``2ab / (a + b)``, and 0 when both are 0."""
    return 0.0 if a + b == 0 else 2 * a * b / (a + b)


def critic_metrics(records: Iterable[CriticRecord]) -> CriticMetrics:
    """SPC's accuracies on correct and on erroneous steps, their mean and harmonic mean,
    the valid share and the accuracy by error type, from one record per judgement."""
    total = valid = 0
    right = {False: 0, True: 0}  # by erroneous
    judged = {False: 0, True: 0}
    by_type: dict[str, list[int]] = {}
    for record in records:
        total += 1
        if record.right is None:
            continue
        valid += 1
        judged[record.erroneous] += 1
        right[record.erroneous] += int(record.right)
        if record.erroneous:
            counts = by_type.setdefault(record.error_type or "unknown", [0, 0])
            counts[0] += int(record.right)
            counts[1] += 1
    correct = rate_with_interval(right[False], judged[False])
    erroneous = rate_with_interval(right[True], judged[True])
    both = correct["rate"] is not None and erroneous["rate"] is not None
    return CriticMetrics(
        correct_steps=correct,
        erroneous_steps=erroneous,
        mean=(correct["rate"] + erroneous["rate"]) / 2 if both else None,
        harmonic_mean=harmonic_mean(correct["rate"], erroneous["rate"]) if both else None,
        valid=rate_with_interval(valid, total),
        by_error={kind: rate_with_interval(c, n) for kind, (c, n) in sorted(by_type.items())},
    )


class StatePolicy(Protocol):
    """Anything that gives a seat's move probabilities at a state (a ``TabularPolicy``)."""

    def action_probabilities(self, state: State, player: int | None = None) -> Mapping[int, float]:
        """``{action: probability}`` of ``player`` at ``state``."""
        ...


def policy_critic_accuracies(game: CriticGame, policy: StatePolicy) -> dict[str, float]:
    """SPC's four numbers for a critic *policy*, exactly, against the random sneaky
    generator (``spc_random_generator`` with ``honest`` 1/2): a problem drawn by the
    game's chance node, then a step shown as written or an erroneous move with
    probability 1/2 each (all of one kind where the problem offers no move of the
    other), uniformly among the moves of that kind. ``correct_steps`` is the probability
    of the right verdict given a step shown as written, ``erroneous_steps`` given an
    erroneous step; ``mean`` and ``harmonic_mean`` combine them. No sampling: the
    policy's probabilities are read at every critic state. A kind of step the game never
    shows (no step as written without ``honest_moves``) gives NaN."""
    root = game.new_initial_state()
    if root.current_player() != CHANCE:
        raise RedqueenError("a critic game starts with the draw of its problem")
    mass = {False: 0.0, True: 0.0}  # by erroneous: the chance of showing that kind
    right_mass = {False: 0.0, True: 0.0}  # ... and of a right verdict on it
    for problem, chance in root.chance_outcomes():
        drawn = root.clone()
        drawn.apply_action(problem)
        right: dict[bool, list[float]] = {False: [], True: []}
        for move in drawn.legal_actions():
            shown = drawn.clone()
            shown.apply_action(move)
            p_right = 0.0
            for verdict, p in policy.action_probabilities(shown, CRITIC).items():
                judged = shown.clone()
                judged.apply_action(verdict)
                p_right += p * float(judged.critic_right())
            right[decode_move(move)[1] != NO_ERROR].append(p_right)
        kinds = [kind for kind, values in right.items() if values]
        for kind in kinds:
            weight = chance / len(kinds)
            mass[kind] += weight
            right_mass[kind] += weight * sum(right[kind]) / len(right[kind])
    correct, erroneous = (
        right_mass[kind] / mass[kind] if mass[kind] else math.nan for kind in (False, True)
    )
    return {
        "correct_steps": correct,
        "erroneous_steps": erroneous,
        "mean": (correct + erroneous) / 2,
        "harmonic_mean": harmonic_mean(correct, erroneous),
    }
