"""Metrics of ``who_is_the_spy`` (:mod:`redqueen.games.hidden.spy`), from finished games.

Vision-Zero (arXiv:2509.25541) logs, per game, the votes on the spy, the N/A and invalid
votes and Ψ = v_U − v̄_C (the spy's votes minus the civilians' mean), and the clue and
decision rewards of each role. Over a set of games (:class:`~redqueen.games.hidden.spy.
SpyOutcome`, one per game) :func:`spy_metrics` gives

- ``spy_caught``: the share of games in which the civilians' votes (the observers' in the
  observer decision; the spy's own vote is left out) put strictly more votes on the spy
  than on any other player, with its 95% Wilson interval (the game is the unit);
- ``spy_votes`` and ``psi``: the mean votes on the spy (every vote counted, as in Ψ) and
  the mean Ψ, with 95% Student-t intervals;
- ``civilian_accuracy``, ``abstain_rate`` and ``invalid_rate``: the share of the
  civilians' (observers') votes that name the spy, that are N/A, that could not be read;
  votes of one game are not independent, so the game is the unit of the interval
  (:func:`~redqueen.measure.social.match_rate`);
- ``civilian_clues_true`` and ``spy_clues_true_in_both``: among the clues that state a
  structured statement, the share of the civilians' that are true of their item, and of
  the spy's that are true of both items (a spy that blends in);
- the mean clue, decision and total rewards of the spy, of the civilians and of the
  observers.

:func:`seat_metrics` gives the same measures restricted to some seats (one player of a
line-up): as the spy (caught, votes, rewards, clues true in both) and as a civilian
(accuracy, N/A, clues true, rewards).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import Any

from redqueen.games.hidden.spy import ABSTAIN, INVALID, SpyOutcome, suspicion, vote_counts
from redqueen.measure.social import match_rate
from redqueen.measure.statistics import finite_or_none, mean_ci, rate_with_interval


def mean_interval(values: Sequence[float]) -> dict[str, Any]:
    """The mean with its 95% Student-t interval, JSON-ready (None where undefined)."""
    ci = mean_ci(list(values))
    return {
        "mean": finite_or_none(ci.mean),
        "low": finite_or_none(ci.low),
        "high": finite_or_none(ci.high),
        "n": ci.n,
    }


def civilian_votes(o: SpyOutcome) -> list[int]:
    """The votes that decide: every voter's but the spy's own."""
    return [v for voter, v in zip(o.voters, o.votes, strict=True) if voter != o.spy]


def spy_caught(o: SpyOutcome) -> bool:
    """Whether the civilians' (observers') votes put more votes on the spy than on any
    other player."""
    counts = vote_counts(o.n_players, civilian_votes(o))
    return all(counts[o.spy] > counts[p] for p in range(o.n_players) if p != o.spy)


def _vote_rate(
    outcomes: Sequence[SpyOutcome], voters: Callable[[SpyOutcome], Collection[int]], hit: Any
) -> dict[str, Any]:
    hits, totals = [], []
    for o in outcomes:
        mine = [v for voter, v in zip(o.voters, o.votes, strict=True) if voter in voters(o)]
        hits.append(sum(hit(o, v) for v in mine))
        totals.append(len(mine))
    return match_rate(hits, totals)


def _clue_rate(
    outcomes: Sequence[SpyOutcome], speakers: Callable[[SpyOutcome], Collection[int]], both: bool
) -> dict[str, Any]:
    hits, totals = [], []
    for o in outcomes:
        checked = [
            c
            for c in o.clue_checks
            if c.seat in speakers(o) and c.civilian_true is not None and c.spy_true is not None
        ]
        hits.append(sum(bool(c.civilian_true and (c.spy_true or not both)) for c in checked))
        totals.append(len(checked))
    return match_rate(hits, totals)


def _civilians(o: SpyOutcome) -> set[int]:
    return {p for p in range(o.n_players) if p != o.spy}


def _deciders(o: SpyOutcome) -> set[int]:
    return {v for v in o.voters if v != o.spy}


def _spy(o: SpyOutcome) -> set[int]:
    return {o.spy}


def _observers(o: SpyOutcome) -> set[int]:
    return set(range(o.n_players, len(o.rewards.clue)))


def _rewards(
    outcomes: Sequence[SpyOutcome], seats: Callable[[SpyOutcome], Collection[int]]
) -> dict[str, Any]:
    parts: dict[str, list[float]] = {"clue": [], "decision": [], "total": []}
    for o in outcomes:
        for s in seats(o):
            parts["clue"].append(o.rewards.clue[s])
            parts["decision"].append(o.rewards.decision[s])
            parts["total"].append(o.rewards.clue[s] + o.rewards.decision[s])
    return {k: mean_interval(v) for k, v in parts.items()}


def spy_metrics(outcomes: Sequence[SpyOutcome]) -> dict[str, Any]:
    """The game's measures over ``outcomes`` (see the module docstring)."""
    observers = [o for o in outcomes if _observers(o)]
    return {
        "games": len(outcomes),
        "spy_caught": rate_with_interval(sum(spy_caught(o) for o in outcomes), len(outcomes)),
        "spy_votes": mean_interval([vote_counts(o.n_players, o.votes)[o.spy] for o in outcomes]),
        "psi": mean_interval([suspicion(o.n_players, o.spy, o.votes) for o in outcomes]),
        "civilian_accuracy": _vote_rate(outcomes, _deciders, lambda o, v: v == o.spy),
        "abstain_rate": _vote_rate(outcomes, _deciders, lambda o, v: v == ABSTAIN),
        "invalid_rate": _vote_rate(outcomes, _deciders, lambda o, v: v == INVALID),
        "civilian_clues_true": _clue_rate(outcomes, _civilians, both=False),
        "spy_clues_true_in_both": _clue_rate(outcomes, _spy, both=True),
        "rewards": {
            "spy": _rewards(outcomes, _spy),
            "civilian": _rewards(outcomes, _civilians),
            "observer": _rewards(observers, _observers) if observers else None,
        },
    }


def seat_metrics(outcomes: Sequence[SpyOutcome], seats: Collection[int]) -> dict[str, Any]:
    """The measures of the players in ``seats``: as the spy (the games in which one of
    them was) and as a civilian."""
    chosen = set(seats)
    as_spy = [o for o in outcomes if o.spy in chosen]

    def mine(o: SpyOutcome) -> set[int]:
        return _civilians(o) & chosen

    return {
        "as_spy": {
            "games": len(as_spy),
            "caught": rate_with_interval(sum(spy_caught(o) for o in as_spy), len(as_spy)),
            "votes_received": mean_interval(
                [vote_counts(o.n_players, o.votes)[o.spy] for o in as_spy]
            ),
            "clues_true_in_both": _clue_rate(as_spy, _spy, both=True),
            "rewards": _rewards(as_spy, _spy),
        },
        "as_civilian": {
            "games": sum(bool(mine(o)) for o in outcomes),
            "accuracy": _vote_rate(outcomes, mine, lambda o, v: v == o.spy),
            "abstain_rate": _vote_rate(outcomes, mine, lambda o, v: v == ABSTAIN),
            "invalid_rate": _vote_rate(outcomes, mine, lambda o, v: v == INVALID),
            "clues_true": _clue_rate(outcomes, mine, both=False),
            "rewards": _rewards(outcomes, mine),
        },
    }
