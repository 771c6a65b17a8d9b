"""Standings of a tournament: per agent, the mean return with its 95% interval, wins,
draws and losses, and invalid moves; and the payoff (cross-play) matrix.

Input is a list of ``(seats, result)`` pairs, where ``seats[i]`` is the index of the agent
in seat ``i``; this works the same for results fresh from a runner and for results read
back from a run store.

Three rules keep the numbers honest:

- **The match is the unit.** An agent that holds several seats of one match (self-play)
  contributes one value per match, the mean of its seats' returns; two seats of one match
  are not two independent observations (in a zero-sum self-play match they sum to zero).
- **Equal weight per opponent.** An agent's mean return averages its mean against each
  group of opponents it met (the other agents of a match, as a multiset), so a run that
  has played more games of some pairings than of others (a run still going) does not
  rank agents by whom the schedule happened to reach first. In a finished round robin
  every group has the same number of matches and this is the plain mean. Opponents an
  agent has not met yet are listed in ``Standing.missing``.
- **Known bounds.** The interval uses the game's return bounds (the bounded score
  interval of :func:`~redqueen.measure.statistics.mean_ci`, Wilson's for win/loss
  returns); results made by
  :func:`~redqueen.play.match.play_match` carry them (``MatchResult.return_bounds``).

Win/draw/loss records are pairwise (:func:`~redqueen.measure.statistics.pairwise_record`):
in a two-seat game they count matches, in a game with more seats they count comparisons
with each other seat, and ``WinDrawLoss.unit`` says which.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from redqueen.measure.statistics import (
    MeanCI,
    WinDrawLoss,
    finite_or_none,
    mean_ci,
    pairwise_record,
)
from redqueen.play.match import MatchResult
from redqueen.play.tournament import TournamentResult

SeatedResult = tuple[Sequence[int], MatchResult]


@dataclass(frozen=True)
class Standing:
    name: str
    returns: MeanCI
    """The mean return (equal weight per opponent group) and its interval over
    ``returns.n`` matches."""
    record: WinDrawLoss
    invalid_moves: int
    forfeits: int = 0
    """Matches the agent gave up (an LLM player out of re-asks); also in ``record`` by
    their result, and counted here apart from the game's own losses."""
    missing: tuple[str, ...] = ()
    """Other agents this one has not met yet (a run still going)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.name,
            "games": self.returns.n,
            "mean_return": finite_or_none(self.returns.mean),
            "ci95": [finite_or_none(self.returns.low), finite_or_none(self.returns.high)],
            "ci_method": self.returns.method,
            "wins": self.record.wins,
            "draws": self.record.draws,
            "losses": self.record.losses,
            "record_unit": self.record.unit,
            "score": finite_or_none(self.record.score),
            "invalid_moves": self.invalid_moves,
            "forfeits": self.forfeits,
            "missing_opponents": list(self.missing),
        }


def seated(result: TournamentResult) -> list[SeatedResult]:
    return [(m.seats, r) for m, r in result.matches]


def return_bounds(
    matches: Iterable[SeatedResult], given: tuple[float, float] | None = None
) -> tuple[float, float] | None:
    """The range the returns lie in: ``given`` (the game's spec) widened to what any
    result carries, or, without ``given``, the bounds the results carry (the widest, if
    they differ; None when a result carries none, as results stored before did)."""
    lo, hi = (np.inf, -np.inf) if given is None else (float(given[0]), float(given[1]))
    for _, result in matches:
        if result.return_bounds is None:
            if given is None:
                return None
            continue
        lo = min(lo, result.return_bounds[0])
        hi = max(hi, result.return_bounds[1])
    return None if lo > hi else (float(lo), float(hi))


def _per_match_values(seats: Sequence[int], result: MatchResult) -> dict[int, float]:
    """Each agent's return in one match: the mean over the seats it holds."""
    sums: dict[int, list[float]] = {}
    for seat, agent in enumerate(seats):
        sums.setdefault(int(agent), []).append(float(result.returns[seat]))
    return {agent: sum(v) / len(v) for agent, v in sums.items()}


@dataclass
class _Row:
    values: list[float] = field(default_factory=list)
    groups: list[tuple[int, ...]] = field(default_factory=list)
    record: list[int] = field(default_factory=lambda: [0, 0, 0])
    invalid: int = 0
    forfeits: int = 0
    met: set[int] = field(default_factory=set)


def standings(
    names: Sequence[str],
    matches: Iterable[SeatedResult],
    *,
    bounds: tuple[float, float] | None = None,
    level: float = 0.95,
) -> list[Standing]:
    """One row per agent, sorted by mean return (best first; agents without a match
    last). ``bounds`` are the returns' known range, the game's ``min_utility`` and
    ``max_utility`` (widened to what the results carry; default: what they carry)."""
    matches = list(matches)
    bounds = return_bounds(matches, bounds)
    rows = [_Row() for _ in names]
    two_seats = all(len(seats) == 2 for seats, _ in matches)
    for seats, result in matches:
        group = tuple(sorted(int(a) for a in seats))
        for agent, value in _per_match_values(seats, result).items():
            row = rows[agent]
            row.values.append(value)
            row.groups.append(group)
            row.met.update(int(a) for a in seats if a != agent)
            for k, count in enumerate(pairwise_record(result.returns, seats, agent)):
                row.record[k] += count
        for seat, agent in enumerate(seats):
            rows[agent].invalid += result.invalid_moves[seat]
            if result.forfeits:
                rows[agent].forfeits += result.forfeits[seat]
    unit = "matches" if two_seats else "pairwise comparisons"
    out = []
    for i, (name, row) in enumerate(zip(names, rows, strict=True)):
        per_group: dict[tuple[int, ...], int] = {}
        for g in row.groups:
            per_group[g] = per_group.get(g, 0) + 1
        weights = [1.0 / per_group[g] for g in row.groups]
        ci = mean_ci(row.values, level, bounds=bounds, weights=weights)
        missing = tuple(names[j] for j in range(len(names)) if j != i and j not in row.met)
        out.append(
            Standing(
                name,
                ci,
                WinDrawLoss(row.record[0], row.record[1], row.record[2], unit),
                row.invalid,
                row.forfeits,
                missing,
            )
        )
    return sorted(out, key=lambda s: (-(s.returns.mean if s.returns.n else -np.inf), s.name))


@dataclass(frozen=True)
class PayoffMatrix:
    """``mean[i, j]``: agent i's mean return in matches with agent j (one value per
    match: the mean over the seats i holds); ``sem`` its standard error; ``count`` how
    many matches (NaN mean where they never met); ``low`` and ``high`` its interval,
    computed as the standings' (``method``, a key of
    :data:`~redqueen.measure.statistics.METHODS`)."""

    names: list[str]
    mean: np.ndarray
    sem: np.ndarray
    count: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    method: str = "student-t"


def payoff_matrix(
    names: Sequence[str],
    matches: Iterable[SeatedResult],
    *,
    bounds: tuple[float, float] | None = None,
    level: float = 0.95,
) -> PayoffMatrix:
    """The cross-play matrix; the diagonal holds self-play (both seats of one match
    averaged into one value). ``bounds`` as in :func:`standings`."""
    matches = list(matches)
    bounds = return_bounds(matches, bounds)
    n = len(names)
    samples: list[list[list[float]]] = [[[] for _ in range(n)] for _ in range(n)]
    for seats, result in matches:
        values = _per_match_values(seats, result)
        for agent, value in values.items():
            others = {int(a) for a in seats if a != agent}
            if len(values) == 1:  # every seat held by one agent: self-play
                others = {agent}
            for other in others:
                samples[agent][other].append(value)
    mean = np.full((n, n), np.nan)
    sem = np.full((n, n), np.nan)
    low = np.full((n, n), np.nan)
    high = np.full((n, n), np.nan)
    count = np.zeros((n, n), dtype=np.int64)
    method = "student-t" if bounds is None else "bounded-score"
    for i in range(n):
        for j in range(n):
            x = np.asarray(samples[i][j])
            count[i, j] = x.size
            if x.size:
                ci = mean_ci(x, level, bounds=bounds)
                mean[i, j], low[i, j], high[i, j] = ci.mean, ci.low, ci.high
            if x.size > 1:
                sem[i, j] = x.std(ddof=1) / np.sqrt(x.size)
    return PayoffMatrix(list(names), mean, sem, count, low, high, method)
