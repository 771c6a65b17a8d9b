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
from typing import Any

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


def wilson_interval(successes: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The 95% Wilson score interval of a proportion (NaN bounds when ``n == 0``)."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def rate_with_interval(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, n)
    return {
        "rate": successes / n if n else None,
        "low": None if math.isnan(low) else low,
        "high": None if math.isnan(high) else high,
        "count": successes,
        "n": n,
    }
