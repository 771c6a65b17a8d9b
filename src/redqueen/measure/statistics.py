"""Summary statistics with honest uncertainty: means with confidence intervals, and
win/draw/loss counts.

A match is a win for a seat whose return is strictly greater than every other seat's, a
draw for a seat tied for the greatest return, and a loss otherwise. The score counts a
draw as half a win.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


def finite_or_none(x: float) -> float | None:
    """``x``, or None where it is NaN or infinite (JSON has no NaN)."""
    return x if math.isfinite(x) else None


@dataclass(frozen=True)
class MeanCI:
    mean: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def mean_ci(values: Sequence[float] | np.ndarray, level: float = 0.95) -> MeanCI:
    """The mean and its Student-t confidence interval (NaN bounds for fewer than 2 values)."""
    x = np.asarray(values, dtype=np.float64)
    n = int(x.size)
    if n == 0:
        return MeanCI(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n < 2:
        return MeanCI(mean, math.nan, math.nan, n)
    sem = float(x.std(ddof=1)) / math.sqrt(n)
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * sem
    return MeanCI(mean, mean - half, mean + half, n)


def outcome(returns: Sequence[float], seat: int) -> str:
    """``"win"``, ``"draw"`` or ``"loss"`` for ``seat`` given every seat's return."""
    mine = returns[seat]
    others = [r for i, r in enumerate(returns) if i != seat]
    if not others:
        return "win"
    best_other = max(others)
    if mine > best_other:
        return "win"
    if mine == best_other:
        return "draw"
    return "loss"


@dataclass(frozen=True)
class WinDrawLoss:
    wins: int
    draws: int
    losses: int

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Wins plus half the draws, as a fraction of games."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else math.nan
