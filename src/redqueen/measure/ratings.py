"""Ratings with honest uncertainty.

**Elo by maximum likelihood.** The Bradley–Terry model (Bradley and Terry 1952; Elo 1978
on the logistic scale) says agent i scores against agent j with probability
``1 / (1 + 10 ** ((r_j - r_i) / 400))``. ``elo_ratings`` fits the ratings to *all*
matches at once by maximum likelihood, so unlike the incremental Elo update the result
does not depend on the order in which matches were played. A draw counts as half a win
for each side. A game with more than two seats is split into its pairwise comparisons.
A weak Gaussian prior on the ratings (standard deviation ``prior_sd`` Elo points) keeps
the fit finite when an agent won or lost every game; the ratings are centred on
``anchor`` (their mean). 95% intervals come from a bootstrap over matches (the matches
are resampled with replacement and the ratings refitted), widened where needed to the
Laplace interval of the fit (the normal approximation of the posterior at its mode), so
that an unanimous record, which every resample repeats, still gets an honest width.

**OpenSkill.** ``openskill_ratings`` gives incremental Bayesian ratings (Weng and Lin
2011, the Plackett–Luce model of the ``openskill`` package), for leagues that grow one
match at a time; its ``ordinal`` (mu - 3 sigma) is a conservative skill estimate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError
from redqueen.measure.standings import SeatedResult
from redqueen.measure.statistics import finite_or_none

_SCALE = math.log(10) / 400.0


@dataclass(frozen=True)
class EloRating:
    name: str
    elo: float
    low: float
    high: float
    games: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.name,
            "elo": self.elo,
            "ci95": [finite_or_none(self.low), finite_or_none(self.high)],
            "games": self.games,
        }


def _comparisons(
    matches: Iterable[SeatedResult],
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Every pairwise comparison as rows ``(match, i, j, score of i)``: a match with k
    seats gives one row per pair of seats held by different agents."""
    rows: list[tuple[int, int, int, float]] = []
    for m, (seats, result) in enumerate(matches):
        r = result.returns
        for a in range(len(seats)):
            for b in range(a + 1, len(seats)):
                i, j = seats[a], seats[b]
                if i != j:
                    rows.append((m, i, j, 1.0 if r[a] > r[b] else 0.5 if r[a] == r[b] else 0.0))
    table = np.array(rows, dtype=np.float64).reshape(-1, 4)
    ints = table[:, :3].astype(np.int64)
    return ints[:, 0], ints[:, 1], ints[:, 2], table[:, 3]


def _accumulate(
    n: int, i: NDArray[np.int64], j: NDArray[np.int64], s: NDArray[np.float64],
    weight: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:  # fmt: skip
    """Dense (games, score) matrices from weighted comparison rows."""
    games = np.bincount(i * n + j, weight, n * n) + np.bincount(j * n + i, weight, n * n)
    score = np.bincount(i * n + j, weight * s, n * n)
    score += np.bincount(j * n + i, weight * (1.0 - s), n * n)
    return games.reshape(n, n).astype(np.float64), score.reshape(n, n).astype(np.float64)


def pairwise_scores(
    n_agents: int, matches: Iterable[SeatedResult]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(games, score)``: ``games[i, j]`` comparisons of i with j, ``score[i, j]`` i's
    wins plus half its draws in them. Seats held by the same agent are not compared."""
    _, i, j, s = _comparisons(matches)
    return _accumulate(n_agents, i, j, s, np.ones(len(s)))


def fit_bradley_terry(
    games: NDArray[np.float64], score: NDArray[np.float64], prior_sd: float = 1000.0
) -> NDArray[np.float64]:
    """Maximum-a-posteriori Bradley–Terry ratings in Elo points, centred on 0."""
    return _fit(games, score, prior_sd)[0]


def _fit(
    games: NDArray[np.float64], score: NDArray[np.float64], prior_sd: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """MAP ratings and the Hessian of the negative log posterior there."""
    n = games.shape[0]
    if n == 0:
        return np.zeros(0), np.zeros((0, 0))
    iu = np.triu_indices(n, k=1)
    g, s = games[iu], score[iu]
    keep = g > 0
    i, j, g, s = iu[0][keep], iu[1][keep], g[keep], s[keep]
    precision = 1.0 / prior_sd**2

    def objective(r: NDArray[np.float64]) -> float:
        d = _SCALE * (r[i] - r[j])
        # log p = -log(1 + e^-d), log(1 - p) = -log(1 + e^d)
        nll = np.sum(s * np.logaddexp(0, -d) + (g - s) * np.logaddexp(0, d))
        return float(nll + 0.5 * precision * (r @ r))

    # Newton's method: the objective is convex and n is small, so a few damped steps with
    # the exact Hessian reach machine precision.
    r = np.zeros(n)
    value = objective(r)
    hess = np.diag(np.full(n, precision))
    for _ in range(100):
        d = _SCALE * (r[i] - r[j])
        p = 0.5 * (1 + np.tanh(d / 2))  # the logistic function, without overflow
        gd = _SCALE * (g * p - s)
        grad = np.bincount(i, gd, n) - np.bincount(j, gd, n) + precision * r
        w = _SCALE**2 * g * p * (1 - p)
        hess = np.diag(np.bincount(i, w, n) + np.bincount(j, w, n) + precision)
        np.add.at(hess, (i, j), -w)
        np.add.at(hess, (j, i), -w)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while True:
            candidate = r - t * step
            new_value = objective(candidate)
            if new_value <= value or t < 1e-8:
                break
            t /= 2
        r, improvement, value = candidate, value - new_value, new_value
        if improvement < 1e-12 * max(1.0, abs(value)) and float(np.abs(step).max()) < 1e-9:
            break
    ratings: NDArray[np.float64] = r - r.mean()
    return ratings, hess


def elo_ratings(
    names: Sequence[str],
    matches: Sequence[SeatedResult],
    *,
    n_bootstrap: int = 300,
    seed: int = 0,
    anchor: float = 1500.0,
    prior_sd: float = 1000.0,
) -> list[EloRating]:
    """Bradley–Terry Elo of every agent with bootstrap 95% intervals, best first."""
    if n_bootstrap < 0:
        raise InvalidParameterError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
    if prior_sd <= 0:
        raise InvalidParameterError(f"prior_sd must be > 0, got {prior_sd}")
    n = len(names)
    matches = list(matches)
    games, score = pairwise_scores(n, matches)
    centred, hess = _fit(games, score, prior_sd)
    point = centred + anchor
    # The Laplace interval: the posterior's normal approximation at the MAP. It keeps an
    # honest width where resampling cannot (an agent that won every game resamples to the
    # same record every time).
    # Ratings are identified only up to a common shift and are reported centred, so the
    # covariance is that of the centred vector: P cov P with P = I - 11'/n.
    centre = np.eye(n) - 1.0 / n if n else np.zeros((0, 0))
    cov = centre @ np.linalg.inv(hess) @ centre if n else np.zeros((0, 0))
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    low = point - 1.96 * se
    high = point + 1.96 * se
    if n_bootstrap and matches:
        rng = np.random.default_rng(seed)
        match_of, i, j, s = _comparisons(matches)  # memory: one row per comparison
        samples = np.empty((n_bootstrap, n))
        for b in range(n_bootstrap):
            counts = np.bincount(rng.integers(len(matches), size=len(matches)),
                                 minlength=len(matches)).astype(np.float64)  # fmt: skip
            g_b, s_b = _accumulate(n, i, j, s, counts[match_of])
            samples[b] = fit_bradley_terry(g_b, s_b, prior_sd) + anchor
        boot_low, boot_high = np.percentile(samples, [2.5, 97.5], axis=0)
        low, high = np.minimum(low, boot_low), np.maximum(high, boot_high)
    played = games.sum(axis=1)
    rows = [
        EloRating(names[k], float(point[k]), float(low[k]), float(high[k]), int(played[k]))
        for k in range(n)
    ]
    return sorted(rows, key=lambda r: -r.elo)


@dataclass(frozen=True)
class SkillRating:
    name: str
    mu: float
    sigma: float

    @property
    def ordinal(self) -> float:
        """mu - 3 sigma: a conservative estimate of skill."""
        return self.mu - 3 * self.sigma


def openskill_ratings(names: Sequence[str], matches: Iterable[SeatedResult]) -> list[SkillRating]:
    """Incremental Plackett–Luce ratings (the ``openskill`` package), in match order.

    Each match ranks its seats by return (ties share a rank); an agent in several seats
    of one match is rated once, by its best seat."""
    from openskill.models import PlackettLuce

    model = PlackettLuce()
    ratings = [model.rating(name=name) for name in names]
    for seats, result in matches:
        best: dict[int, float] = {}
        for seat, agent in enumerate(seats):
            best[agent] = max(best.get(agent, -math.inf), result.returns[seat])
        if len(best) < 2:
            continue
        agents = list(best)
        order = sorted({-v for v in best.values()})
        ranks = [float(order.index(-best[a])) for a in agents]
        teams = model.rate([[ratings[a]] for a in agents], ranks=ranks)
        for a, team in zip(agents, teams, strict=True):
            ratings[a] = team[0]
    return [SkillRating(names[k], float(r.mu), float(r.sigma)) for k, r in enumerate(ratings)]
