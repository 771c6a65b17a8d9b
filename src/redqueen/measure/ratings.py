"""Ratings with honest uncertainty.

**Elo by maximum a posteriori.** The Bradley–Terry model (Bradley and Terry 1952; Elo 1978
on the logistic scale) says agent i scores against agent j with expectation
``1 / (1 + 10 ** ((r_j - r_i) / 400))``. :func:`elo_ratings` fits the ratings to *all*
matches at once, so unlike the incremental Elo update the result does not depend on the
order in which matches were played. A match with k seats gives one comparison per pair
of seats held by different agents.

**What a comparison scores** (``basis``). With ``"outcomes"`` a win scores 1, a draw 1/2
and a loss 0: a *win Elo*, which says who wins more often, not who wins more. With
``"returns"`` a comparison scores ``1/2 + (r_a - r_b) / (2 (hi - lo))``, the difference of
the two returns rescaled by the game's return bounds ``[lo, hi]`` to ``[0, 1]``. In a
win/draw/loss game whose returns are its bounds the two are the same; in a game with
stakes (poker) the return Elo rates who wins more chips, and in a finished round robin of
a two-player zero-sum game its order is the order of the mean returns. The default
(``"auto"``) rates returns wherever the bounds are known (given, or carried by the
results: ``MatchResult.return_bounds``) and outcomes otherwise; every rating says which
(``EloRating.basis``).

**Prior and anchor.** As in BayesElo (Coulom 2005), every agent brings ``prior_draws``
virtual draws (2 by default), shared equally among the agents it met: a perfect record
stays finite, and a 1-0 agent is not ranked above a 70-30 one. Only agents that played
are fitted; an agent with no comparison has a NaN rating, is listed last and moves no
other rating. Ratings are identified only up to a common shift within each set of agents
connected by play; each such set is centred on ``anchor`` (its mean rating is
``anchor``), and ratings of agents that were never connected are not comparable.
``groups`` centres subsets separately (one scale per seat of a two-population
meta-game). A rating behind fewer than :data:`FEW_GAMES` comparisons is *provisional*
(``EloRating.provisional``); tables mark it.

**Seat advantage.** With ``seat_advantage=True`` the model adds a term per seat,
``r_i + h_a - r_j - h_b`` with ``h_0 = 0``, fitted with the ratings, as BayesElo fits
white's advantage in chess: a seat that wins more often is not read as skill of the
agents that sat in it. Each seat term has a far weaker prior than an agent, a twentieth
of ``prior_draws`` virtual draws at no advantage: enough to keep finite a seat that won
every game, too little to pull a real seat advantage into the agents' ratings. Where
every agent only ever holds one seat (a two-population meta-game), the seat term and the
gap between the two seats' agents cannot be told apart from the matches; only the prior
separates them (it puts the difference in the seat term, the agents being equal a
priori), so rate each seat on its own scale (``groups`` = the seat) and compare ratings
within a seat.

**Intervals.** The 95% interval is the Laplace approximation: a normal distribution at
the maximum a posteriori whose covariance is the inverse curvature of the log posterior.
The data's curvature is a quasi-likelihood one (Wedderburn 1974): a comparison that ends
in a draw or a fractional return score varies less than a win or a loss, so each pair's
score variance is estimated as ``p (1 - p) - mean(s (1 - s))`` (the mean taken as if one
more win and one more loss had been seen, so that a record of draws alone keeps a width)
instead of the binomial ``p (1 - p)``, which makes intervals over-cover where draws are
common. A win/loss record gets the binomial variance, and a unanimous record an honest
width. With ``n_bootstrap > 0`` each interval is also widened to the percentile
bootstrap over matches (conservative).

**OpenSkill.** :func:`openskill_ratings` gives incremental Bayesian ratings (Weng and Lin
2011, the Plackett–Luce model of the ``openskill`` package), for leagues that grow one
match at a time; its ``ordinal`` (mu - 3 sigma) is a conservative skill estimate. Being
incremental, it depends on the order of the matches (a 6-4 winner whose four losses come
last can end rated below the loser): give the matches in the order they were played.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.measure.standings import SeatedResult, return_bounds
from redqueen.measure.statistics import finite_or_none, z_value

_SCALE = math.log(10) / 400.0

_SEAT_PRIOR_SHARE = 0.05
"""A seat term's virtual draws, as a share of an agent's."""

FEW_GAMES = 10
"""Ratings behind fewer comparisons than this are provisional."""

BASES = ("auto", "outcomes", "returns")
"""What a comparison scores: see the module docstring."""

Basis = Literal["auto", "outcomes", "returns"]


@dataclass(frozen=True)
class EloRating:
    name: str
    elo: float
    """NaN for an agent without a comparison."""
    low: float
    high: float
    games: int
    """Pairwise comparisons behind the rating (in a two-seat game, its matches)."""
    matches: int = 0
    """Matches the agent played against other agents."""
    basis: str = "outcomes"
    """``"outcomes"`` (win Elo) or ``"returns"`` (return Elo)."""

    @property
    def provisional(self) -> bool:
        """Fewer than :data:`FEW_GAMES` comparisons: the rating is mostly prior."""
        return self.games < FEW_GAMES

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent": self.name,
            "elo": finite_or_none(self.elo),
            "ci95": [finite_or_none(self.low), finite_or_none(self.high)],
            "games": self.games,
            "matches": self.matches,
            "basis": self.basis,
            "provisional": self.provisional,
        }


@dataclass(frozen=True)
class EloFit:
    """Everything :func:`elo_fit` estimated."""

    ratings: list[EloRating]
    """Best first; agents without a comparison last."""
    seat_advantage: tuple[tuple[float, float, float], ...]
    """Per seat ``(h, low, high)``: Elo points an agent gains by sitting there instead of
    in seat 0 (seat 0 is ``(0, 0, 0)``); empty when not fitted."""
    basis: str
    bounds: tuple[float, float] | None


@dataclass(frozen=True)
class _Comparisons:
    """One row per pairwise comparison: the match, the agents, their seats, the score."""

    match: NDArray[np.int64]
    i: NDArray[np.int64]
    j: NDArray[np.int64]
    a: NDArray[np.int64]
    b: NDArray[np.int64]
    s: NDArray[np.float64]


def _comparisons(
    matches: Sequence[SeatedResult], bounds: tuple[float, float] | None
) -> _Comparisons:
    """Every comparison of two seats held by different agents; scores from outcomes
    (``bounds`` None) or from the rescaled return difference."""
    by_size: dict[int, list[int]] = {}
    for m, (held, _) in enumerate(matches):
        by_size.setdefault(len(held), []).append(m)
    parts: list[tuple[NDArray[np.int64], ...]] = []
    scores: list[NDArray[np.float64]] = []
    for k, which in by_size.items():
        index = np.asarray(which, dtype=np.int64)
        table = np.array([matches[m][0] for m in which], dtype=np.int64).reshape(-1, k)
        returns = np.array([matches[m][1].returns for m in which], dtype=np.float64)
        returns = returns.reshape(-1, k)
        for a in range(k):
            for b in range(a + 1, k):
                keep = table[:, a] != table[:, b]
                ra, rb = returns[keep, a], returns[keep, b]
                if bounds is None:
                    s = np.where(ra > rb, 1.0, np.where(ra == rb, 0.5, 0.0))
                elif bounds[1] == bounds[0]:
                    s = np.full(ra.shape, 0.5)
                else:
                    s = np.clip(0.5 + (ra - rb) / (2.0 * (bounds[1] - bounds[0])), 0.0, 1.0)
                size = int(keep.sum())
                parts.append(
                    (
                        index[keep],
                        table[keep, a],
                        table[keep, b],
                        np.full(size, a, dtype=np.int64),
                        np.full(size, b, dtype=np.int64),
                    )
                )
                scores.append(s)
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return _Comparisons(empty, empty, empty, empty, empty, np.zeros(0))
    columns = [np.concatenate([p[c] for p in parts]) for c in range(5)]
    order = np.argsort(columns[0], kind="stable")  # match order, as the matches came
    m_, i, j, a_, b_ = (col[order] for col in columns)
    return _Comparisons(m_, i, j, a_, b_, np.concatenate(scores)[order])


def pairwise_scores(
    n_agents: int, matches: Iterable[SeatedResult]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(games, score)``: ``games[i, j]`` comparisons of i with j, ``score[i, j]`` i's
    wins plus half its draws in them. Seats held by the same agent are not compared."""
    c = _comparisons(list(matches), None)
    n = n_agents
    games = np.bincount(c.i * n + c.j, minlength=n * n) + np.bincount(
        c.j * n + c.i, minlength=n * n
    )
    score = np.bincount(c.i * n + c.j, c.s, n * n) + np.bincount(c.j * n + c.i, 1.0 - c.s, n * n)
    return games.reshape(n, n).astype(np.float64), score.reshape(n, n).astype(np.float64)


# ---- the fit ------------------------------------------------------------------------------


@dataclass
class _Design:
    """Aggregated comparisons ("cells"): each row of ``idx``/``sign`` names up to four
    parameters (agent i +1, agent j -1, seat a +1, seat b -1; index ``size`` is a
    padding slot fixed at 0); ``g`` comparisons with score sum ``S`` and sum of
    ``s (1 - s)`` ``Q``. Virtual draws are cells with ``virtual`` True."""

    idx: NDArray[np.int64]
    sign: NDArray[np.float64]
    g: NDArray[np.float64]
    S: NDArray[np.float64]
    Q: NDArray[np.float64]
    virtual: NDArray[np.bool_]
    size: int


def _gram(d: _Design, w: NDArray[np.float64]) -> NDArray[np.float64]:
    """``sum_c w_c x_c x_c'`` over the parameters (padding dropped)."""
    n = d.size + 1
    h = np.zeros(n * n)
    for k in range(4):
        for k2 in range(4):
            flat = d.idx[:, k] * n + d.idx[:, k2]
            h += np.bincount(flat, w * d.sign[:, k] * d.sign[:, k2], n * n)
    return h.reshape(n, n)[: d.size, : d.size]


def _eta(d: _Design, theta: NDArray[np.float64]) -> NDArray[np.float64]:
    padded = np.append(theta, 0.0)
    eta: NDArray[np.float64] = _SCALE * (d.sign * padded[d.idx]).sum(axis=1)
    return eta


def _map(
    d: _Design, g: NDArray[np.float64], S: NDArray[np.float64], fix: NDArray[np.float64],
    ridge: NDArray[np.float64],
) -> NDArray[np.float64]:  # fmt: skip
    """The maximum a posteriori by damped Newton steps (the objective is convex).
    ``fix`` is added to the curvature along directions the objective does not depend
    on (a common shift of connected agents) and ``ridge`` is a Gaussian prior's
    precision per parameter."""

    def objective(theta: NDArray[np.float64]) -> float:
        e = _eta(d, theta)
        nll = np.sum(S * np.logaddexp(0, -e) + (g - S) * np.logaddexp(0, e))
        return float(nll + 0.5 * (ridge * theta) @ theta)

    theta = np.zeros(d.size)
    value = objective(theta)
    for _ in range(100):
        e = _eta(d, theta)
        p = 0.5 * (1 + np.tanh(e / 2))  # the logistic function, without overflow
        resid = _SCALE * (g * p - S)
        grad = ridge * theta
        for k in range(4):
            grad = grad + np.bincount(d.idx[:, k], resid * d.sign[:, k], d.size + 1)[: d.size]
        hess = _gram(d, _SCALE**2 * g * p * (1 - p)) + np.diag(ridge) + fix
        step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while True:
            candidate = theta - t * step
            new_value = objective(candidate)
            if new_value <= value or t < 1e-8:
                break
            t /= 2
        theta, improvement, value = candidate, value - new_value, new_value
        if improvement < 1e-12 * max(1.0, abs(value)) and float(np.abs(step).max()) < 1e-9:
            break
    return theta


def _components(n: int, i: NDArray[np.int64], j: NDArray[np.int64]) -> NDArray[np.int64]:
    """The connected component of each of ``n`` nodes given edges ``(i, j)``."""
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[ra] = rb
    roots = [root(x) for x in range(n)]
    labels = {r: k for k, r in enumerate(dict.fromkeys(roots))}
    return np.array([labels[r] for r in roots], dtype=np.int64)


def _design(
    c: _Comparisons, agent_index: NDArray[np.int64], m: int, seats: int, prior_draws: float
) -> tuple[_Design, NDArray[np.int64]]:
    """Cells of the data (and their inverse map from comparison rows), then the virtual
    draws: agent i's ``prior_draws`` shared equally among the agents it met, seatless."""
    i, j = agent_index[c.i], agent_index[c.j]
    a = c.a if seats > 1 else np.zeros_like(c.a)
    b = c.b if seats > 1 else np.zeros_like(c.b)
    keys = np.stack([i, j, a, b], axis=1)
    cells, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    pad = m + max(seats - 1, 0)
    seat_col = np.where(cells[:, 2] > 0, m + cells[:, 2] - 1, pad)
    seat_col_b = np.where(cells[:, 3] > 0, m + cells[:, 3] - 1, pad)
    idx = np.stack([cells[:, 0], cells[:, 1], seat_col, seat_col_b], axis=1)
    sign = np.tile(np.array([1.0, -1.0, 1.0, -1.0]), (len(cells), 1))
    g = np.bincount(inverse, minlength=len(cells)).astype(np.float64)
    S = np.bincount(inverse, c.s, len(cells))
    Q = np.bincount(inverse, c.s * (1 - c.s), len(cells))
    # virtual draws
    pairs = {(min(x, y), max(x, y)) for x, y in zip(i.tolist(), j.tolist(), strict=True)}
    met: dict[int, int] = {}
    for x, y in pairs:
        met[x] = met.get(x, 0) + 1
        met[y] = met.get(y, 0) + 1
    vpairs = sorted(pairs)
    vg = np.array([prior_draws / met[x] + prior_draws / met[y] for x, y in vpairs])
    keep = vg > 0
    vidx = np.array([[x, y, pad, pad] for x, y in vpairs], dtype=np.int64).reshape(-1, 4)[keep]
    vsign = np.tile(np.array([1.0, -1.0, 0.0, 0.0]), (len(vidx), 1))
    vg = vg[keep]
    if seats > 1 and prior_draws > 0:
        # Each seat term: a twentieth of an agent's virtual draws, at no advantage.
        seat_idx = np.array([[pad, pad, m + k, pad] for k in range(seats - 1)], dtype=np.int64)
        vidx = np.concatenate([vidx, seat_idx])
        vsign = np.concatenate([vsign, np.tile(np.array([0.0, 0.0, 1.0, 0.0]), (seats - 1, 1))])
        vg = np.concatenate([vg, np.full(seats - 1, prior_draws * _SEAT_PRIOR_SHARE)])
    design = _Design(
        idx=np.concatenate([idx, vidx]),
        sign=np.concatenate([sign, vsign]),
        g=np.concatenate([g, vg]),
        S=np.concatenate([S, vg / 2]),
        Q=np.concatenate([Q, np.zeros(len(vg))]),
        virtual=np.concatenate([np.zeros(len(g), bool), np.ones(len(vg), bool)]),
        size=pad,
    )
    return design, inverse


def elo_fit(
    names: Sequence[str],
    matches: Sequence[SeatedResult],
    *,
    basis: Basis = "auto",
    bounds: tuple[float, float] | None = None,
    prior_draws: float = 2.0,
    seat_advantage: bool = False,
    groups: Sequence[Hashable] | None = None,
    n_bootstrap: int = 0,
    seed: int = 0,
    anchor: float = 1500.0,
    prior_sd: float | None = None,
    level: float = 0.95,
) -> EloFit:
    """Bradley–Terry Elo of every agent with intervals at ``level``, and the seat
    advantage if asked; see the module docstring for the model, the prior and the
    intervals.

    ``bounds`` are the returns' known range, the game's ``min_utility`` and
    ``max_utility`` (widened to what the results carry; default: what they carry);
    ``groups`` (one label per agent) centres each group on ``anchor`` separately;
    ``prior_sd`` adds a Gaussian prior of that many Elo points on every rating.
    """
    if basis not in BASES:
        raise UnknownNameError("Elo basis", str(basis), BASES)
    if n_bootstrap < 0:
        raise InvalidParameterError(f"n_bootstrap must be >= 0, got {n_bootstrap}")
    if prior_draws < 0:
        raise InvalidParameterError(f"prior_draws must be >= 0, got {prior_draws}")
    if prior_sd is not None and prior_sd <= 0:
        raise InvalidParameterError(f"prior_sd must be > 0, got {prior_sd}")
    n = len(names)
    if groups is not None and len(groups) != n:
        raise InvalidParameterError(f"groups needs one label per agent ({n}), got {len(groups)}")
    matches = list(matches)
    if basis != "outcomes":
        bounds = return_bounds(matches, bounds)
    if basis == "returns" and bounds is None:
        raise InvalidParameterError(
            "basis='returns' needs the game's return bounds: pass bounds=(min, max) "
            "(results made by play_match carry them)"
        )
    used = "returns" if bounds is not None and basis != "outcomes" else "outcomes"
    c = _comparisons(matches, bounds if used == "returns" else None)
    games = np.bincount(c.i, minlength=n) + np.bincount(c.j, minlength=n)
    played_matches = np.zeros(n, dtype=np.int64)
    for k in range(n):
        played_matches[k] = np.unique(c.match[(c.i == k) | (c.j == k)]).size
    played = np.flatnonzero(games > 0)
    m = len(played)
    agent_index = np.full(n, -1, dtype=np.int64)
    agent_index[played] = np.arange(m)
    seats = int(max((len(s) for s, _ in matches), default=1)) if seat_advantage else 1
    point = np.full(n, np.nan)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    advantage: tuple[tuple[float, float, float], ...] = ()
    if m:
        d, inverse = _design(c, agent_index, m, seats, prior_draws)
        component = _components(m, d.idx[~d.virtual, 0], d.idx[~d.virtual, 1])
        labels = [
            (int(component[k]), None if groups is None else groups[int(played[k])])
            for k in range(m)
        ]
        centre = _centring(labels, d.size)
        ridge = np.zeros(d.size)
        if prior_sd is not None:
            ridge[:m] = 1.0 / prior_sd**2
        fix = np.zeros((d.size, d.size))
        if prior_sd is None:
            for k in range(int(component.max()) + 1):
                u = np.zeros(d.size)
                u[:m][component == k] = 1.0
                fix += np.outer(u, u) / (u @ u)
            fix *= max(float(np.abs(_gram(d, _SCALE**2 * d.g / 4)).max()), 1e-12)
        theta = _map(d, d.g, d.S, fix, ridge)
        cov = _covariance(d, theta, fix, ridge)
        z = z_value(level)
        centred = centre @ theta
        cov_c = centre @ cov @ centre.T
        se = np.sqrt(np.clip(np.diag(cov_c), 0, None))
        point[played] = centred[:m] + anchor
        low[played] = point[played] - z * se[:m]
        high[played] = point[played] + z * se[:m]
        if seats > 1:
            h_se = np.sqrt(np.clip(np.diag(cov)[m:], 0, None))
            h = theta[m:]
            terms = [
                (float(v), float(v - z * e), float(v + z * e)) for v, e in zip(h, h_se, strict=True)
            ]
            advantage = ((0.0, 0.0, 0.0), *terms)
        if n_bootstrap and matches:
            boot = _bootstrap(d, c, inverse, fix, ridge, centre, len(matches), n_bootstrap, seed)
            tail = 50 * (1 - level)
            b_low, b_high = np.percentile(boot[:, :m] + anchor, [tail, 100 - tail], axis=0)
            low[played] = np.minimum(low[played], b_low)
            high[played] = np.maximum(high[played], b_high)
    rows = [
        EloRating(
            names[k],
            float(point[k]),
            float(low[k]),
            float(high[k]),
            int(games[k]),
            int(played_matches[k]),
            used,
        )
        for k in range(n)
    ]
    rows.sort(key=lambda r: (math.isnan(r.elo), -r.elo if not math.isnan(r.elo) else 0.0))
    return EloFit(rows, advantage, used, bounds if used == "returns" else None)


def _centring(labels: list[tuple[int, Hashable]], size: int) -> NDArray[np.float64]:
    """The matrix that subtracts from each rating the mean of its group (seat terms are
    left as they are)."""
    m = len(labels)
    centre = np.eye(size)
    for label in dict.fromkeys(labels):
        members = [k for k in range(m) if labels[k] == label]
        centre[np.ix_(members, members)] -= 1.0 / len(members)
    return centre


def _covariance(
    d: _Design, theta: NDArray[np.float64], fix: NDArray[np.float64], ridge: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The Laplace covariance with the quasi-likelihood curvature of the data."""
    e = _eta(d, theta)
    p = 0.5 * (1 + np.tanh(e / 2))
    binomial = p * (1 - p)
    # Per cell: the score's variance relative to a win/loss's, from the observed
    # s (1 - s) with one more win and one more loss (which have s (1 - s) = 0) counted in.
    shrunk = d.Q / (d.g + 2)
    ratio = np.maximum(1 - shrunk / np.maximum(binomial, 1e-300), 2 / (d.g + 2))
    ratio = np.where(d.virtual, 1.0, ratio)
    info = _gram(d, _SCALE**2 * d.g * binomial / ratio) + np.diag(ridge) + fix
    eig = np.linalg.eigvalsh(info)
    if eig[0] <= 1e-12 * eig[-1]:
        raise InvalidParameterError(
            "the ratings are not identified by these matches (a perfect record, or, with "
            "seat_advantage=True, agents that always hold one seat, whose gap the seat term "
            "absorbs) and there is no prior to settle them; use prior_draws > 0"
        )
    cov: NDArray[np.float64] = np.asarray(np.linalg.inv(info), dtype=np.float64)
    return cov


def _bootstrap(
    d: _Design, c: _Comparisons, inverse: NDArray[np.int64], fix: NDArray[np.float64],
    ridge: NDArray[np.float64], centre: NDArray[np.float64], n_matches: int, n_bootstrap: int,
    seed: int,
) -> NDArray[np.float64]:  # fmt: skip
    """Centred ratings refitted on ``n_bootstrap`` resamples of the matches."""
    rng = np.random.default_rng(seed)
    n_cells = len(d.g) - int(d.virtual.sum())
    out = np.empty((n_bootstrap, d.size))
    for k in range(n_bootstrap):
        counts = np.bincount(rng.integers(n_matches, size=n_matches), minlength=n_matches)
        w = counts[c.match].astype(np.float64)
        g = d.g.copy()
        S = d.S.copy()
        g[:n_cells] = np.bincount(inverse, w, n_cells)
        S[:n_cells] = np.bincount(inverse, w * c.s, n_cells)
        out[k] = centre @ _map(d, g, S, fix, ridge)
    return out


def elo_ratings(
    names: Sequence[str],
    matches: Sequence[SeatedResult],
    *,
    basis: Basis = "auto",
    bounds: tuple[float, float] | None = None,
    prior_draws: float = 2.0,
    seat_advantage: bool = False,
    groups: Sequence[Hashable] | None = None,
    n_bootstrap: int = 0,
    seed: int = 0,
    anchor: float = 1500.0,
    prior_sd: float | None = None,
) -> list[EloRating]:
    """Bradley–Terry Elo of every agent with 95% intervals, best first (agents without a
    comparison last, with NaN ratings); :func:`elo_fit` for the seat advantage too."""
    return elo_fit(
        names,
        matches,
        basis=basis,
        bounds=bounds,
        prior_draws=prior_draws,
        seat_advantage=seat_advantage,
        groups=groups,
        n_bootstrap=n_bootstrap,
        seed=seed,
        anchor=anchor,
        prior_sd=prior_sd,
    ).ratings


def fit_bradley_terry(
    games: NDArray[np.float64], score: NDArray[np.float64], prior_sd: float = 1000.0
) -> NDArray[np.float64]:
    """Maximum-a-posteriori Bradley–Terry ratings in Elo points from pair totals
    (``games[i, j]`` comparisons, ``score[i, j]`` i's score in them) under a Gaussian
    prior of ``prior_sd`` points, centred on 0."""
    n = games.shape[0]
    if n == 0:
        return np.zeros(0)
    iu = np.triu_indices(n, k=1)
    keep = games[iu] > 0
    i, j = iu[0][keep], iu[1][keep]
    d = _Design(
        idx=np.stack([i, j, np.full_like(i, n), np.full_like(i, n)], axis=1),
        sign=np.tile(np.array([1.0, -1.0, 0.0, 0.0]), (len(i), 1)),
        g=games[i, j].astype(np.float64),
        S=score[i, j].astype(np.float64),
        Q=np.zeros(len(i)),
        virtual=np.zeros(len(i), bool),
        size=n,
    )
    theta = _map(d, d.g, d.S, np.zeros((n, n)), np.full(n, 1.0 / prior_sd**2))
    ratings: NDArray[np.float64] = theta - theta.mean()
    return ratings


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
    """Incremental Plackett–Luce ratings (the ``openskill`` package), updated match by
    match in the order given, so the result depends on that order (a 6-4 winner whose
    losses come last can end below the loser): pass the matches in the order they were
    played, and use :func:`elo_ratings` for an order-free rating.

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


def method_note(basis: str, *, seat_advantage: bool = False, prior_draws: float = 2.0) -> str:
    """A sentence naming how :func:`elo_fit` computed its ratings, for a table's
    footnote."""
    scored = (
        "the return differences rescaled to the game's bounds (a return Elo)"
        if basis == "returns"
        else "wins, draws (half a win) and losses (a win Elo: who wins more often, "
        "not who wins more)"
    )
    seat = ", a seat-advantage term" if seat_advantage else ""
    return (
        f"Elo: Bradley–Terry fitted to {scored}, with {prior_draws:g} virtual draws per "
        f"agent as prior (BayesElo){seat}; 95% Laplace intervals with the score variance "
        f"observed (quasi-likelihood); * marks a provisional rating (fewer than "
        f"{FEW_GAMES} comparisons)."
    )
