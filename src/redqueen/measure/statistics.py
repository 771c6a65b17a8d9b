"""Summary statistics with honest uncertainty: means with confidence intervals, and
win/draw/loss counts.

**Means of returns.** A game's returns are bounded (``GameSpec.min_utility`` and
``max_utility``), and at small n they are often skewed (an agent that wins 9 games of 10).
The Student-t interval ignores both: ten straight wins give the zero-width interval
``[1, 1]``, three games of a 90% winner cover the true mean only 28% of the time, and
an interval may reach past the possible values (``[-1.09, 2.09]`` for returns in
``[-1, 1]``). With the bounds ``[lo, hi]`` known, :func:`mean_ci` gives the **bounded
score interval**: each value is rescaled to ``y = (x - lo) / (hi - lo)`` in ``[0, 1]``,
and the interval holds every mean ``m`` that a score test does not reject,
``(ybar - m)^2 <= z^2 / n * (m (1 - m) - q)``, mapped back. ``m (1 - m) - q`` is the
variance a variable in ``[0, 1]`` with mean ``m`` has when ``E[y (1 - y)] = q`` (for any
such variable ``Var(y) = m (1 - m) - E[y (1 - y)]``), and ``q`` is estimated by the mean of
``y (1 - y)`` counting two more values at the bounds (which add nothing to it), so that a
run of identical values keeps a width. For win/loss returns at the bounds ``q = 0`` and
this is exactly the **Wilson score interval** (Wilson 1927) of the win rate; for returns
inside the bounds (draws, poker's small pots) it narrows to the t interval's width as n
grows. It never leaves the bounds and never has zero width. Simulated with known truth
(``tests/measure/test_interval_coverage.py``), it covers 0.85-1.00 where the t interval
covers 0.15-0.95. Without bounds the Student-t interval is used, and says so
(``MeanCI.method``). Weighted means (equal weight per opponent, see
:mod:`redqueen.measure.standings`) use Kish's effective sample size
``(sum w)^2 / sum w^2`` in place of n.

**Outcomes.** A match is a win for a seat whose return is strictly greater than every
other seat's, a draw for a seat tied for the greatest return, and a loss otherwise
(:func:`outcome`). Standings count records pairwise (:func:`pairwise_record`): a seat
scores a win, draw or loss against each seat held by another agent, so that in a game of
more than two seats a constant runner-up is not recorded as losing every match. The score
counts a draw as half a win.

The methods behind every number the tables and reports show are listed, with their
sources, in the documentation's *Statistics* page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from redqueen.errors import InvalidParameterError

METHODS: dict[str, str] = {
    "bounded-score": "score interval on the game's return bounds (Wilson's for win/loss)",
    "student-t": "Student-t interval (no return bounds known)",
}
"""What each :attr:`MeanCI.method` code means, for table footnotes."""


def finite_or_none(x: float) -> float | None:
    """``x``, or None where it is NaN or infinite (JSON has no NaN)."""
    return x if math.isfinite(x) else None


def z_value(level: float) -> float:
    """The two-sided standard normal quantile for a confidence ``level`` (1.96 at 0.95)."""
    if not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1), got {level}")
    return NormalDist().inv_cdf(0.5 + level / 2)


def t_value(level: float, df: float) -> float:
    """The two-sided Student-t quantile for a confidence ``level`` with ``df`` degrees of
    freedom (NaN for ``df <= 0``)."""
    if not df > 0:
        return math.nan
    from scipy import stats  # imported on use: it takes half a second to load

    return float(stats.t.ppf(0.5 + level / 2, df=df))


@dataclass(frozen=True)
class MeanCI:
    """A mean with its confidence interval over ``n`` values; ``method`` names the
    interval (a key of :data:`METHODS`)."""

    mean: float
    low: float
    high: float
    n: int
    method: str = "student-t"

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def _check_bounds(bounds: tuple[float, float]) -> tuple[float, float]:
    lo, hi = float(bounds[0]), float(bounds[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise InvalidParameterError(f"return bounds must be finite with low <= high; got {bounds}")
    return lo, hi


def mean_ci(
    values: Sequence[float] | np.ndarray,
    level: float = 0.95,
    *,
    bounds: tuple[float, float] | None = None,
    weights: Sequence[float] | np.ndarray | None = None,
) -> MeanCI:
    """The (weighted) mean of ``values`` and its confidence interval.

    With ``bounds = (lo, hi)``, the values' known range, the bounded score interval of
    the module docstring (defined from one value on; never wider than the bounds, never
    of zero width unless ``lo == hi``); a value outside the bounds is an error. Without
    bounds, the Student-t interval (NaN bounds for fewer than 2 values).
    ``weights`` (non-negative, one per value) give a weighted mean whose interval uses
    Kish's effective sample size.
    """
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    n = int(x.size)
    if weights is None:
        w = np.ones(n)
    else:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if w.size != n or (w < 0).any() or not np.isfinite(w).all():
            raise InvalidParameterError("weights must be one finite non-negative number per value")
    method = "student-t" if bounds is None else "bounded-score"
    if n == 0 or w.sum() <= 0:
        return MeanCI(math.nan, math.nan, math.nan, 0, method)
    total = float(w.sum())
    mean = float(w @ x) / total
    n_eff = total**2 / float(w @ w)
    if bounds is not None:
        lo, hi = _check_bounds(bounds)
        if not np.isfinite(x).all():
            raise InvalidParameterError(f"values must be finite; got {x[~np.isfinite(x)][0]}")
        outside = x[(x < lo - 1e-9 * max(1.0, abs(lo))) | (x > hi + 1e-9 * max(1.0, abs(hi)))]
        if outside.size:
            raise InvalidParameterError(
                f"value {outside[0]} lies outside the return bounds [{lo}, {hi}]"
            )
        if hi == lo:
            return MeanCI(mean, lo, hi, n, method)
        y = np.clip((x - lo) / (hi - lo), 0.0, 1.0)
        p = float(w @ y) / total
        q = float(w @ (y * (1 - y))) / total * n_eff / (n_eff + 2)
        a, b = bounded_score_interval(p, q, n_eff, z_value(level))
        return MeanCI(mean, lo + a * (hi - lo), lo + b * (hi - lo), n, method)
    if n < 2:
        return MeanCI(mean, math.nan, math.nan, n, method)
    # The standard error of a weighted mean with unequal weights (n / (n - 1) corrects the
    # bias of the plug-in variance); with equal weights it is the usual s / sqrt(n).
    se = math.sqrt(float((w**2) @ (x - mean) ** 2) * n / (n - 1)) / total
    half = t_value(level, n_eff - 1) * se
    return MeanCI(mean, mean - half, mean + half, n, method)


def bounded_score_interval(p: float, q: float, n: float, z: float) -> tuple[float, float]:
    """Every ``m`` in ``[0, 1]`` with ``(p - m)^2 <= z^2 / n * (m (1 - m) - q)``: the score
    interval of the mean ``p`` of ``n`` values in ``[0, 1]`` whose mean ``y (1 - y)`` is
    ``q`` (the Wilson interval when ``q = 0``). It always contains ``p``."""
    if n <= 0:
        return (math.nan, math.nan)
    k = z * z / n
    # (1 + k) m^2 - (2 p + k) m + p^2 + k q <= 0
    a, b, c = 1 + k, -(2 * p + k), p * p + k * q
    root = math.sqrt(max(b * b - 4 * a * c, 0.0))
    low, high = (-b - root) / (2 * a), (-b + root) / (2 * a)
    low = 0.0 if p <= 0 else min(p, max(0.0, low))
    high = 1.0 if p >= 1 else max(p, min(1.0, high))
    return (low, high)


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


def pairwise_record(
    returns: Sequence[float], seats: Sequence[int], agent: int
) -> tuple[int, int, int]:
    """``(wins, draws, losses)`` of ``agent`` in one match: each seat it holds against
    each seat held by another agent (``seats[k]`` is the agent in seat ``k``). In a
    two-seat match between two agents this is the match's outcome."""
    wins = draws = losses = 0
    for a, holder in enumerate(seats):
        if holder != agent:
            continue
        for b, other in enumerate(seats):
            if other == agent:
                continue
            if returns[a] > returns[b]:
                wins += 1
            elif returns[a] == returns[b]:
                draws += 1
            else:
                losses += 1
    return wins, draws, losses


@dataclass(frozen=True)
class WinDrawLoss:
    wins: int
    draws: int
    losses: int
    unit: str = "matches"
    """What is counted: ``"matches"`` (two-seat games) or ``"pairwise comparisons"``
    (one per pair of seats held by different agents, in games of more seats)."""

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def score(self) -> float:
        """Wins plus half the draws, as a fraction of what is counted."""
        return (self.wins + 0.5 * self.draws) / self.games if self.games else math.nan


def wilson_interval(
    successes: float, n: float, z: float = 1.959963984540054
) -> tuple[float, float]:
    """The Wilson score interval of a proportion (95% by default; NaN bounds when
    ``n == 0``). It always contains the observed rate: rounding never puts the upper
    bound of 10 successes in 10 below 1.0."""
    if n <= 0:
        return (math.nan, math.nan)
    if not 0 <= successes <= n:
        raise InvalidParameterError(f"successes must be in [0, n={n}], got {successes}")
    p = successes / n
    z2n = z * z / n
    denom = 1 + z2n
    centre = (p + z2n / 2) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2n / (4 * n)) / denom
    low = 0.0 if successes == 0 else min(p, max(0.0, centre - half))
    high = 1.0 if successes == n else max(p, min(1.0, centre + half))
    return (low, high)


def rate_with_interval(successes: int, n: int) -> dict[str, Any]:
    low, high = wilson_interval(successes, n)
    return {
        "rate": successes / n if n else None,
        "low": None if math.isnan(low) else low,
        "high": None if math.isnan(high) else high,
        "count": successes,
        "n": n,
    }
