"""Metrics of Body-Reservoir Governance (BRG; Nakamura 2026, arXiv:2602.20846; code
``Nakammura/Body-Reservoir-Governance-in-Repeated-Games``): what a continuous-PD player
earned and how its body paid for it.

- :func:`mean_payoff`: the mean stage payoff over a run, per batch member.
- :func:`action_variance`: the variance of the actions over a run (the population
  variance, divided by ``T``, as the code computes it).
- The *complexity cost* of a behaviour is ``KL(driven || natural)``: how far the
  distribution of the body's states under play is from its distribution under zero
  input. :func:`gaussian_kl` fits a Gaussian to each sample set (covariances divided by
  ``n - 1``, ``1e-8`` added to their diagonals) and returns the closed form;
  :func:`knn_kl` is the k-nearest-neighbour estimator (Perez-Cruz 2008; ``k = 5`` in the
  code) ``d / n sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1))``, where ``rho_k(i)`` is
  the distance from driven sample ``i`` to its k-th nearest other driven sample and
  ``nu_k(i)`` to its k-th nearest natural sample.
- :func:`perturbation_depth`: the lowest action during a defection block;
  :func:`recovery_time`: the steps after the block until the action first reaches 0.95
  of its mean before the block (NaN if it never does).

Every function takes arrays with time first (``T x B`` actions, ``n x d`` samples).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.continuous_pd import BRG_PAYOFFS, stage_payoff

FloatArray = NDArray[np.float64]


def _time_major(x: ArrayLike, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] == 0:
        raise InvalidParameterError(f"{name} must be a non-empty T x B array; got shape {a.shape}")
    return a


def mean_payoff(
    actions: ArrayLike, opponent: ArrayLike, payoffs: dict[str, float] | None = None
) -> FloatArray:
    """The mean stage payoff of each column of ``actions`` against ``opponent``."""
    a, b = _time_major(actions, "actions"), _time_major(opponent, "opponent")
    if a.shape != b.shape:
        raise InvalidParameterError(f"actions {a.shape} and opponent {b.shape} differ in shape")
    return np.asarray(stage_payoff(a, b, **(payoffs or BRG_PAYOFFS)).mean(axis=0))


def action_variance(actions: ArrayLike) -> FloatArray:
    """The variance over time of each column of ``actions``."""
    return np.asarray(_time_major(actions, "actions").var(axis=0))


def _samples(x: ArrayLike, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] < 2:
        raise InvalidParameterError(f"{name} must be an n x d array with n >= 2; got {a.shape}")
    return a


def gaussian_kl(p_samples: ArrayLike, q_samples: ArrayLike) -> float:
    """``KL(N_p || N_q)`` between Gaussians fitted to the two sample sets (``n x d``)."""
    p, q = _samples(p_samples, "p_samples"), _samples(q_samples, "q_samples")
    d = p.shape[1]
    if q.shape[1] != d:
        raise InvalidParameterError(f"samples of dimension {d} and {q.shape[1]}")
    mu_p, mu_q = p.mean(0), q.mean(0)
    sig_p = np.atleast_2d(np.cov(p, rowvar=False)) + 1e-8 * np.eye(d)
    sig_q = np.atleast_2d(np.cov(q, rowvar=False)) + 1e-8 * np.eye(d)
    diff = mu_p - mu_q
    trace = float(np.trace(np.linalg.solve(sig_q, sig_p)))
    mahal = float(diff @ np.linalg.solve(sig_q, diff))
    logdet = np.linalg.slogdet(sig_q)[1] - np.linalg.slogdet(sig_p)[1]
    return 0.5 * (trace - d + mahal + float(logdet))


def _kth_distance(points: FloatArray, samples: FloatArray, k: int, skip_self: bool) -> FloatArray:
    sq = (points**2).sum(1)[:, None] + (samples**2).sum(1)[None, :] - 2 * points @ samples.T
    dist = np.sqrt(np.maximum(sq, 0.0))
    if skip_self:
        np.fill_diagonal(dist, np.inf)
    return np.partition(dist, k - 1, axis=1)[:, k - 1]


def knn_kl(p_samples: ArrayLike, q_samples: ArrayLike, k: int = 5) -> float:
    """The k-nearest-neighbour estimate of ``KL(P || Q)`` from samples of each."""
    p, q = _samples(p_samples, "p_samples"), _samples(q_samples, "q_samples")
    n, d = p.shape
    m = q.shape[0]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k < min(n, m + 1):
        raise InvalidParameterError(f"k must be an integer in [1, {min(n - 1, m)}]; got {k!r}")
    rho = np.maximum(_kth_distance(p, p, k, True), 1e-300)
    nu = np.maximum(_kth_distance(p, q, k, False), 1e-300)
    return float(d / n * np.log(nu / rho).sum() + np.log(m / (n - 1)))


def perturbation_depth(actions: ArrayLike, start: int, end: int) -> FloatArray:
    """The lowest action of each column in steps ``start .. end - 1``."""
    a = _time_major(actions, "actions")
    if not 0 <= start < end <= a.shape[0]:
        raise InvalidParameterError(
            f"the block [{start}, {end}) must lie inside the {a.shape[0]} steps"
        )
    return np.asarray(a[start:end].min(axis=0))


def recovery_time(actions: ArrayLike, start: int, end: int, fraction: float = 0.95) -> FloatArray:
    """Per column: steps from ``end`` until the action first reaches ``fraction`` of its
    mean over the steps before ``start`` (0: at ``end`` itself); NaN if it never does."""
    a = _time_major(actions, "actions")
    if not 0 < start < end < a.shape[0]:
        raise InvalidParameterError(
            f"the block [{start}, {end}) must have steps before and after it in the "
            f"{a.shape[0]} steps"
        )
    level = fraction * a[:start].mean(axis=0)
    reached = a[end:] >= level
    first = np.argmax(reached, axis=0).astype(np.float64)
    first[~reached.any(axis=0)] = np.nan
    return first
