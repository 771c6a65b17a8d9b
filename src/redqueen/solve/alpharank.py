"""α-Rank: ranking strategies by the long-run behaviour of evolving populations.

Omidshafiei, Papadimitriou, Piliouras, Tuyls, Rowland, Lespiau, Czarnecki, Lanctot,
Perolat & Munos (2019), "α-Rank: Multi-Agent Evaluation by Evolution", *Scientific
Reports* 9, 9937 (arXiv:1903.01373); the equations and defaults follow the paper's
Methods section and OpenSpiel's ``open_spiel.python.egt.alpharank``.

Each of ``K`` populations of ``m`` individuals (``population_size``) is monomorphic most of
the time: everyone plays the same strategy, so the state is a pure strategy profile. Now
and then a mutant strategy appears in one population and either dies out or takes over
(fixates), with the probability that the Fermi imitation process of Traulsen, Nowak &
Pacheco (2006) gives it; ``alpha`` is the selection intensity (0: neutral drift, large:
the better strategy almost surely wins). This is a Markov chain over profiles; its
stationary distribution ``π`` is the α-Rank score, and the profiles ranked by ``π``
the α-Rank ranking.

- **Single population** (a symmetric two-player game ``M``, ``M[i, j]`` what strategy
  ``i`` earns against ``j``): with ``p`` mutants ``r`` among residents ``s`` the
  fitnesses are ``f_r(p) = ((p-1) M[r,r] + (m-p) M[r,s]) / (m-1)`` and
  ``f_s(p) = (p M[s,r] + (m-p-1) M[s,s]) / (m-1)``, and ``r`` fixates with probability
  ``ρ = (1 + Σ_{l=1}^{m-1} Π_{p=1}^{l} exp(-α (f_r(p) - f_s(p))))^{-1}``.
  The chain moves from ``s`` to ``r`` with probability ``ρ / (n - 1)``.
- **Multiple populations** (``K`` payoff tables, table ``k`` of shape
  ``(|S_1|, ..., |S_K|)`` holding population ``k``'s payoff for each profile): a mutant
  changes one population's strategy, so only profiles that differ in one population
  are neighbours. If it raises that population's payoff from ``f_s`` to ``f_r``, it
  fixates with ``ρ = (1 - e^{-u}) / (1 - e^{-m u})``, ``u = α (f_r - f_s)`` (``1/m``
  when ``u = 0``), and the chain moves there with probability
  ``ρ / Σ_k (|S_k| - 1)``.

The fixation probabilities are computed in log space and the stationary distribution by
the Grassmann-Taksar-Heyman algorithm (Grassmann, Taksar & Heyman 1985, "Regenerative
analysis and steady state distributions for Markov chains"), also in log space: it
needs no subtraction, so it stays exact when ``alpha`` is large and some transitions
are as unlikely as ``e^{-5000}``, where an eigenvector solver returns noise. The cost
grows as the cube of the number of profiles: about 0.5 s for 400 profiles and 6 s for
900 at the default ``alpha`` (small ``alpha`` allows plain floating point, about ten
times faster).

OpenSpiel's ``alpharank.compute`` defaults to its "local selection model"
(``use_local_selection_model=True``); this module implements the paper's population
model, OpenSpiel's ``use_local_selection_model=False``.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.special import logsumexp

from redqueen.errors import InvalidParameterError
from redqueen.games.matrix import MatrixGame
from redqueen.solve.normal_form import as_payoff_matrix

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class AlphaRankResult:
    """What :func:`alpha_rank` found.

    - ``profiles``: the pure strategy profiles, one tuple of strategy indices per
      population (``(i,)`` in the single-population case), in row-major order (the last
      population's strategy changes fastest, as in OpenSpiel).
    - ``stationary_distribution``: the α-Rank score of each profile (sums to 1).
    - ``ranking``: indices into ``profiles``, highest score first (equal scores, to 12
      decimals, keep profile order).
    - ``strategy_mass``: for each population, the total score of the profiles in which
      it plays each of its strategies.
    - ``fixation_probabilities``: ``[s, r]`` is the probability that a mutant leading from
      profile ``s`` to the neighbouring profile ``r`` fixates (0 for non-neighbours).
    - ``transition_matrix``: the Markov chain over profiles (rows sum to 1).
    """

    profiles: list[tuple[int, ...]]
    stationary_distribution: FloatArray
    ranking: list[int]
    strategy_mass: list[FloatArray]
    fixation_probabilities: FloatArray
    transition_matrix: FloatArray
    alpha: float
    population_size: int


def alpha_rank(
    payoff_tables: MatrixGame | Any,
    *,
    alpha: float = 100.0,
    population_size: int = 50,
) -> AlphaRankResult:
    """α-Rank of a single- or multi-population game (Omidshafiei et al. 2019).

    ``payoff_tables`` is one of:

    - a square matrix ``M`` (or ``[M]``): one population playing the symmetric
      two-player game in which strategy ``i`` earns ``M[i, j]`` against ``j``;
    - ``[T_1, ..., T_K]`` for ``K >= 2`` populations: ``T_k[s_1, ..., s_K]`` is
      population ``k``'s payoff when population ``j`` plays ``s_j``; all tables have the
      same shape. For a two-player game, ``[A, B]`` with ``A, B = game.payoff_matrices()``;
    - a :class:`~redqueen.games.matrix.MatrixGame`: its two populations ``[A, B]``.

    ``alpha`` (>= 0) is the selection intensity and ``population_size`` (>= 2) the number
    of individuals per population; the defaults are OpenSpiel's. The paper's advice is
    to take ``alpha`` as large as the numerics allow (the ranking settles as ``alpha``
    grows); this implementation stays exact for any finite ``alpha``.
    """
    tables = _payoff_tables(payoff_tables)
    a = _check_alpha(alpha)
    m = _check_population_size(population_size)
    if len(tables) == 1:
        log_rho, neighbours = _single_population(tables[0], a, m)
        shape: tuple[int, ...] = (tables[0].shape[0],)
    else:
        log_rho, neighbours = _multi_population(tables, a, m)
        shape = tables[0].shape
    num_profiles = int(np.prod(shape))
    profiles = [tuple(int(i) for i in p) for p in np.ndindex(*shape)]
    pi = _stationary_distribution(log_rho)
    eta = 1.0 / neighbours if neighbours else 1.0
    rho = np.exp(log_rho)
    transitions = eta * rho
    np.fill_diagonal(transitions, 0.0)
    np.fill_diagonal(transitions, 1.0 - transitions.sum(axis=1))
    order = np.lexsort((np.arange(num_profiles), -np.round(pi, 12)))
    mass = pi.reshape(shape)
    strategy_mass = [
        np.asarray(mass.sum(axis=tuple(j for j in range(len(shape)) if j != k)))
        for k in range(len(shape))
    ]
    return AlphaRankResult(
        profiles=profiles,
        stationary_distribution=pi,
        ranking=[int(i) for i in order],
        strategy_mass=strategy_mass,
        fixation_probabilities=rho,
        transition_matrix=transitions,
        alpha=a,
        population_size=m,
    )


# ---- fixation probabilities -------------------------------------------------------------


def _single_population(table: FloatArray, alpha: float, m: int) -> tuple[FloatArray, int]:
    """``log ρ[s, r]`` for every mutant ``r`` in a population of ``s`` (``-inf`` on the
    diagonal), and the number of neighbours of each state."""
    n = table.shape[0]
    p = np.arange(1, m)  # number of mutants
    diag = np.diag(table)
    # f_r(p) - f_s(p) for resident s (axis 0), mutant r (axis 1), p mutants (axis 2).
    m_rr = diag[None, :, None]
    m_ss = diag[:, None, None]
    m_rs = table.T[:, :, None]  # [s, r] -> M[r, s]
    m_sr = table[:, :, None]  # [s, r] -> M[s, r]
    f_r = ((p - 1) * m_rr + (m - p) * m_rs) / (m - 1)
    f_s = (p * m_sr + (m - p - 1) * m_ss) / (m - 1)
    partial = -alpha * np.cumsum(f_r - f_s, axis=2)  # log of the products, l = 1..m-1
    terms = np.concatenate([np.zeros((n, n, 1)), partial], axis=2)
    log_rho = np.asarray(-logsumexp(terms, axis=2), dtype=np.float64)
    np.fill_diagonal(log_rho, -np.inf)
    return log_rho, n - 1


def _log_fixation(u: FloatArray, m: int) -> FloatArray:
    """``log((1 - e^{-u}) / (1 - e^{-m u}))`` elementwise, without overflow; ``-log m`` at
    ``u = 0``."""
    out = np.full(u.shape, -math.log(m))
    pos = u > 0
    neg = u < 0
    up = u[pos]
    out[pos] = np.log(-np.expm1(-up)) - np.log(-np.expm1(-m * up))
    un = u[neg]
    out[neg] = (m - 1) * un + np.log(-np.expm1(un)) - np.log(-np.expm1(m * un))
    return out


def _multi_population(tables: list[FloatArray], alpha: float, m: int) -> tuple[FloatArray, int]:
    shape = tables[0].shape
    num_profiles = int(np.prod(shape))
    log_rho = np.full((num_profiles, num_profiles), -np.inf)
    ids = np.arange(num_profiles).reshape(shape)
    for k, table in enumerate(tables):
        # Profiles that differ only in population k: move axis k last and pair them up.
        table_k = np.moveaxis(table, k, -1).reshape(-1, shape[k])
        ids_k = np.moveaxis(ids, k, -1).reshape(-1, shape[k])
        u = alpha * (table_k[:, None, :] - table_k[:, :, None])  # [group, s, r]: f_r - f_s
        rho_k = _log_fixation(u, m)
        src = np.broadcast_to(ids_k[:, :, None], u.shape)
        dst = np.broadcast_to(ids_k[:, None, :], u.shape)
        off = src != dst
        log_rho[src[off], dst[off]] = rho_k[off]
    return log_rho, sum(s - 1 for s in shape)


# ---- stationary distribution ------------------------------------------------------------


def _stationary_distribution(log_rates: FloatArray) -> FloatArray:
    """The stationary distribution of the chain with off-diagonal transition rates
    ``exp(log_rates)`` (``-inf``: no transition), by the GTH algorithm.

    Each state's rates are first scaled so that its largest is 1 (this only rescales the
    answer, by the state's expected holding time). Chains of more than ``_LOG_GTH_MAX``
    states whose scaled rates are all at least ``e^-_LINEAR_RANGE`` run GTH in floating
    point; the others run it in log space, where no rate underflows.
    """
    n = log_rates.shape[0]
    if n == 1:
        return np.ones(1)
    w = log_rates.copy()
    np.fill_diagonal(w, -np.inf)
    row_max = w.max(axis=1)
    if not np.isfinite(row_max).all():  # pragma: no cover - every state has neighbours
        raise InvalidParameterError("the evolutionary Markov chain has an absorbing state")
    w -= row_max[:, None]
    finite = np.isfinite(w)
    log_pi = None
    if n > _LOG_GTH_MAX and w[finite].min() > -_LINEAR_RANGE:
        log_pi = _gth_linear(np.where(finite, np.exp(w), 0.0))
    if log_pi is None:
        log_pi = _gth_log(w)
    log_pi = log_pi - row_max  # undo the scaling: pi_i is proportional to pi~_i / max rate
    pi = np.exp(log_pi - log_pi.max())
    return np.asarray(pi / pi.sum(), dtype=np.float64)


_LOG_GTH_MAX = 128  # chains up to this size always use the exact log-space GTH
_LINEAR_RANGE = 200.0  # floating-point GTH only while every rate is >= e^-200 times its row max


def _gth_linear(p: FloatArray) -> FloatArray | None:
    """Log stationary distribution by GTH on the rate matrix ``p`` (diagonal ignored), or
    None if a rate sum underflows (then the caller uses :func:`_gth_log`)."""
    n = p.shape[0]
    for k in range(n - 1, 0, -1):
        total = p[k, :k].sum()
        if not total > 1e-280:
            return None
        p[:k, k] /= total
        p[:k, :k] += np.outer(p[:k, k], p[k, :k])
    pi = np.zeros(n)
    pi[0] = 1.0
    for k in range(1, n):
        pi[k] = pi[:k] @ p[:k, k]
    if not (pi > 1e-280).all():
        return None
    return np.asarray(np.log(pi), dtype=np.float64)


def _gth_log(w: FloatArray) -> FloatArray:
    """Log stationary distribution by GTH in log space (``w``: log rates, ``-inf`` for
    none). Exact for any range of rates; about 10x slower than floating point."""
    n = w.shape[0]
    w = w.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in range(n - 1, 0, -1):
            out = logsumexp(w[k, :k])
            if not np.isfinite(out):  # pragma: no cover - every finite alpha connects
                raise InvalidParameterError(
                    "the evolutionary Markov chain is not irreducible; use a finite alpha"
                )
            w[:k, k] -= out
            w[:k, :k] = np.logaddexp(w[:k, :k], w[:k, k][:, None] + w[k, :k][None, :])
        log_pi = np.full(n, -np.inf)
        log_pi[0] = 0.0
        for k in range(1, n):
            log_pi[k] = logsumexp(log_pi[:k] + w[:k, k])
    return log_pi


# ---- input ------------------------------------------------------------------------------


_FORMS = (
    "payoff_tables must be a square matrix M (one population; M[i][j] is what strategy i "
    "earns against j), a MatrixGame, or a list [T_1, ..., T_K] of K >= 2 payoff tables of "
    "equal shape with K dimensions each (population k's payoff for every profile)"
)


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool | np.bool_)


def _payoff_tables(value: Any) -> list[FloatArray]:
    if isinstance(value, MatrixGame):
        return list(value.payoff_matrices())
    if isinstance(value, np.ndarray):
        if value.ndim == 2:
            return [as_payoff_matrix(value, "payoff_tables", square=True)]
        if value.ndim < 2:
            raise InvalidParameterError(f"{_FORMS}; got an array of shape {value.shape}")
        items: list[Any] = list(value)
    elif isinstance(value, Sequence) and not isinstance(value, str | bytes):
        items = list(value)
        if not items:
            raise InvalidParameterError(f"{_FORMS}; got an empty list")
        first = items[0]
        if (
            isinstance(first, Sequence)
            and not isinstance(first, str | bytes)
            and len(first) > 0
            and _is_number(first[0])
        ):  # a list of rows of numbers: one matrix
            return [as_payoff_matrix(value, "payoff_tables", square=True)]
    else:
        raise InvalidParameterError(f"{_FORMS}; got {value!r}")
    if len(items) == 1:
        return [as_payoff_matrix(items[0], "payoff_tables[0]", square=True)]
    tables = [_table(t, k) for k, t in enumerate(items)]
    k_pop = len(tables)
    shape = tables[0].shape
    for k, t in enumerate(tables):
        if t.ndim != k_pop:
            raise InvalidParameterError(
                f"payoff_tables[{k}] has {t.ndim} dimension(s) but there are {k_pop} "
                f"populations; each table needs one axis per population. {_FORMS}"
            )
        if t.shape != shape:
            raise InvalidParameterError(
                f"payoff_tables[{k}] has shape {t.shape} but payoff_tables[0] has {shape}; "
                "all tables index the same strategy profiles"
            )
    return tables


def _table(value: Any, k: int) -> FloatArray:
    try:
        array = np.asarray(value)
    except ValueError:
        raise InvalidParameterError(
            f"payoff_tables[{k}] is ragged; every table must be a rectangular array"
        ) from None
    if array.dtype.kind not in "iuf":
        raise InvalidParameterError(
            f"payoff_tables[{k}] must hold real numbers; got dtype {array.dtype}"
        )
    if array.size == 0:
        raise InvalidParameterError(f"payoff_tables[{k}] is empty (shape {array.shape})")
    out = np.asarray(array, dtype=np.float64)
    if not np.isfinite(out).all():
        raise InvalidParameterError(
            f"payoff_tables[{k}] has NaN or infinite entries; payoffs must be finite"
        )
    return out


def _check_alpha(alpha: Any) -> float:
    if (
        isinstance(alpha, bool)
        or not isinstance(alpha, numbers.Real)
        or not math.isfinite(float(alpha))
        or float(alpha) < 0
    ):
        raise InvalidParameterError(
            f"alpha (the selection intensity) must be a finite number >= 0; got {alpha!r}"
        )
    return float(alpha)


def _check_population_size(m: Any) -> int:
    if isinstance(m, bool) or not isinstance(m, numbers.Integral) or m < 2:
        raise InvalidParameterError(f"population_size must be an integer >= 2; got {m!r}")
    return int(m)
