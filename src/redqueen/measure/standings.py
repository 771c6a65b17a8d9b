"""Standings of a tournament: per agent, the mean return with its 95% interval, wins,
draws and losses, and invalid moves; and the payoff (cross-play) matrix.

Input is a list of ``(seats, result)`` pairs, where ``seats[i]`` is the index of the agent
in seat ``i``; this works the same for results fresh from a runner and for results read
back from a run store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from redqueen.measure.statistics import MeanCI, WinDrawLoss, finite_or_none, mean_ci, outcome
from redqueen.play.match import MatchResult
from redqueen.play.tournament import TournamentResult

SeatedResult = tuple[Sequence[int], MatchResult]


@dataclass(frozen=True)
class Standing:
    name: str
    returns: MeanCI
    record: WinDrawLoss
    invalid_moves: int
    forfeits: int = 0
    """Matches the agent gave up (an LLM player out of re-asks); also in ``record`` by
    their result, and counted here apart from the game's own losses."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.name,
            "games": self.returns.n,
            "mean_return": finite_or_none(self.returns.mean),
            "ci95": [finite_or_none(self.returns.low), finite_or_none(self.returns.high)],
            "wins": self.record.wins,
            "draws": self.record.draws,
            "losses": self.record.losses,
            "score": finite_or_none(self.record.score),
            "invalid_moves": self.invalid_moves,
            "forfeits": self.forfeits,
        }


def seated(result: TournamentResult) -> list[SeatedResult]:
    return [(m.seats, r) for m, r in result.matches]


def standings(names: Sequence[str], matches: Iterable[SeatedResult]) -> list[Standing]:
    """One row per agent, sorted by mean return (best first)."""
    returns: list[list[float]] = [[] for _ in names]
    counts = [[0, 0, 0] for _ in names]
    invalid = [0] * len(names)
    forfeits = [0] * len(names)
    slot = {"win": 0, "draw": 1, "loss": 2}
    for seats, result in matches:
        for seat, agent in enumerate(seats):
            returns[agent].append(result.returns[seat])
            counts[agent][slot[outcome(result.returns, seat)]] += 1
            invalid[agent] += result.invalid_moves[seat]
            if result.forfeits:
                forfeits[agent] += result.forfeits[seat]
    rows = [
        Standing(name, mean_ci(returns[i]), WinDrawLoss(*counts[i]), invalid[i], forfeits[i])
        for i, name in enumerate(names)
    ]
    return sorted(rows, key=lambda s: (-(s.returns.mean if s.returns.n else -np.inf), s.name))


@dataclass(frozen=True)
class PayoffMatrix:
    """``mean[i, j]``: agent i's mean return in matches with agent j; ``sem`` its standard
    error; ``count`` how many matches (NaN mean where they never met)."""

    names: list[str]
    mean: np.ndarray
    sem: np.ndarray
    count: np.ndarray


def payoff_matrix(names: Sequence[str], matches: Iterable[SeatedResult]) -> PayoffMatrix:
    n = len(names)
    samples: list[list[list[float]]] = [[[] for _ in range(n)] for _ in range(n)]
    for seats, result in matches:
        for seat, agent in enumerate(seats):
            for other_seat, other in enumerate(seats):
                if other_seat != seat:
                    samples[agent][other].append(result.returns[seat])
    mean = np.full((n, n), np.nan)
    sem = np.full((n, n), np.nan)
    count = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for j in range(n):
            x = np.asarray(samples[i][j])
            count[i, j] = x.size
            if x.size:
                mean[i, j] = x.mean()
            if x.size > 1:
                sem[i, j] = x.std(ddof=1) / np.sqrt(x.size)
    return PayoffMatrix(list(names), mean, sem, count)
