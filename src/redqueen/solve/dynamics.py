"""Evolutionary dynamics on normal-form games: replicator and projected replicator dynamics.

**Replicator dynamics** (Taylor & Jonker 1978, "Evolutionary stable strategies and game
dynamics"; Hofbauer & Sigmund 1998, *Evolutionary Games and Population Dynamics*): a
strategy's share grows in proportion to how much better than average it does,

- one population playing the symmetric game ``A`` (``A[i, j]`` is what strategy ``i``
  gets against ``j``): ``x_i' = x_i ((A x)_i - x^T A x)``;
- two populations, rows playing ``A`` and columns ``B`` (``A[i, j]``, ``B[i, j]``: the row
  and the column player's payoffs): ``x_i' = x_i ((A y)_i - x^T A y)`` and
  ``y_j' = y_j ((B^T x)_j - x^T B y)``.

:func:`replicator_dynamics` integrates these ODEs with ``steps`` steps of size ``dt`` by the
classical fourth-order Runge-Kutta method (``integrator="rk4"``, default) or Euler's method
(``"euler"``). The exact flow stays on the simplex; after each numerical step tiny negative
shares are set to 0 and the state is renormalised, so every returned state is a
probability vector.

**Projected replicator dynamics** (PRD; Lanctot et al. 2017, "A Unified Game-Theoretic
Approach to Multiagent Reinforcement Learning", NeurIPS, section 3.1 and appendix A), the
meta-solver of PSRO: an Euler step of the replicator dynamics followed by the Euclidean
projection onto the forced-exploration simplex
``Δ^γ = {x in simplex : x_i >= γ / n}`` (n strategies), so that no strategy's share falls
below ``γ / n``. The projection is the exact one, by sorting (Wang & Carreira-Perpiñán
2013, "Projection onto the probability simplex"). OpenSpiel's
``projected_replicator_dynamics`` uses the same step but takes its ``prd_gamma`` as the
floor itself: our ``gamma`` equals its ``prd_gamma * n``. PSRO uses the average of the
last states of the trajectory as the meta-strategy (``trajectory[-k:].mean(axis=0)``).

Both functions return the whole trajectory: an array of shape ``(steps + 1, n)`` whose row
0 is the initial state, or a pair of such arrays for two populations.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.solve.normal_form import as_payoff_matrix

FloatArray = NDArray[np.float64]
Integrator = Literal["rk4", "euler"]
INTEGRATORS = ("rk4", "euler")


# ---- public API -------------------------------------------------------------------------


@overload
def replicator_dynamics(
    A: ArrayLike,
    x0: ArrayLike | None = None,
    steps: int = 1000,
    dt: float = 0.01,
    *,
    B: None = None,
    y0: None = None,
    integrator: Integrator = "rk4",
) -> FloatArray: ...


@overload
def replicator_dynamics(
    A: ArrayLike,
    x0: ArrayLike | None = None,
    steps: int = 1000,
    dt: float = 0.01,
    *,
    B: ArrayLike,
    y0: ArrayLike | None = None,
    integrator: Integrator = "rk4",
) -> tuple[FloatArray, FloatArray]: ...


def replicator_dynamics(
    A: ArrayLike,
    x0: ArrayLike | None = None,
    steps: int = 1000,
    dt: float = 0.01,
    *,
    B: ArrayLike | None = None,
    y0: ArrayLike | None = None,
    integrator: Integrator = "rk4",
) -> FloatArray | tuple[FloatArray, FloatArray]:
    """The trajectory of the replicator dynamics from ``x0`` (``steps`` steps of ``dt``).

    One population (``B`` omitted): ``A`` is a square payoff matrix, ``A[i, j]`` what
    strategy ``i`` earns against ``j``; returns an array of shape ``(steps + 1, n)``.

    Two populations (``B`` given): ``A`` and ``B`` are the row and the column player's
    m x n payoffs (``A, B = game.payoff_matrices()`` for a MatrixGame), ``x0`` the row
    population's shares (m) and ``y0`` the column population's (n); returns the pair
    ``(xs, ys)`` of shapes ``(steps + 1, m)`` and ``(steps + 1, n)``.

    Initial states default to uniform. ``integrator`` is ``"rk4"`` (default) or
    ``"euler"``.
    """
    if integrator not in INTEGRATORS:
        raise UnknownNameError("replicator_dynamics integrator", str(integrator), INTEGRATORS)
    steps, dt = _check_steps(steps), _check_dt(dt)
    if B is None:
        if y0 is not None:
            raise InvalidParameterError(
                "y0 is the column population's initial state; it needs B= (two "
                "populations). For one population pass only x0"
            )
        a = as_payoff_matrix(A, "A", square=True)
        x = as_distribution(x0, a.shape[0], "x0")
        return _single(_replicator_field(a), x, steps, dt, integrator)
    a, b = _two_matrices(A, B)
    x = as_distribution(x0, a.shape[0], "x0")
    y = as_distribution(y0, a.shape[1], "y0")
    return _pair(_two_population_field(a, b), x, y, steps, dt, integrator)


@overload
def projected_replicator_dynamics(
    A: ArrayLike,
    x0: ArrayLike | None = None,
    steps: int = 1000,
    dt: float = 0.01,
    *,
    gamma: float = 1e-6,
    B: None = None,
    y0: None = None,
) -> FloatArray: ...


@overload
def projected_replicator_dynamics(
    A: ArrayLike,
    x0: ArrayLike | None = None,
    steps: int = 1000,
    dt: float = 0.01,
    *,
    gamma: float = 1e-6,
    B: ArrayLike,
    y0: ArrayLike | None = None,
) -> tuple[FloatArray, FloatArray]: ...


def projected_replicator_dynamics(
    A: ArrayLike,
    x0: ArrayLike | None = None,
    steps: int = 1000,
    dt: float = 0.01,
    *,
    gamma: float = 1e-6,
    B: ArrayLike | None = None,
    y0: ArrayLike | None = None,
) -> FloatArray | tuple[FloatArray, FloatArray]:
    """The trajectory of the projected replicator dynamics of Lanctot et al. (2017).

    Each step is an Euler step of size ``dt`` of the replicator dynamics followed by the
    projection onto ``{x in simplex : x_i >= gamma / n}``; ``gamma`` is in [0, 1]
    (``gamma=0`` is plain Euler replicator dynamics with an exact projection onto the
    simplex; ``gamma=1`` pins every state to uniform). Arguments and return value as for
    :func:`replicator_dynamics`; the initial states are returned as given.
    """
    steps, dt = _check_steps(steps), _check_dt(dt)
    g = _check_gamma(gamma)
    if B is None:
        if y0 is not None:
            raise InvalidParameterError(
                "y0 is the column population's initial state; it needs B= (two "
                "populations). For one population pass only x0"
            )
        a = as_payoff_matrix(A, "A", square=True)
        x = as_distribution(x0, a.shape[0], "x0")
        field = _replicator_field(a)
        xs = np.empty((steps + 1, x.size))
        xs[0] = x
        for t in range(steps):
            x = project_onto_simplex(x + dt * field(x), lower=g / x.size)
            xs[t + 1] = x
        return xs
    a, b = _two_matrices(A, B)
    x = as_distribution(x0, a.shape[0], "x0")
    y = as_distribution(y0, a.shape[1], "y0")
    pair_field = _two_population_field(a, b)
    xs = np.empty((steps + 1, x.size))
    ys = np.empty((steps + 1, y.size))
    xs[0], ys[0] = x, y
    for t in range(steps):
        dx, dy = pair_field(x, y)
        x = project_onto_simplex(x + dt * dx, lower=g / x.size)
        y = project_onto_simplex(y + dt * dy, lower=g / y.size)
        xs[t + 1], ys[t + 1] = x, y
    return xs, ys


def project_onto_simplex(v: ArrayLike, *, lower: float = 0.0) -> FloatArray:
    """The Euclidean projection of ``v`` onto ``{x : sum(x) = 1, x_i >= lower}``.

    ``lower * len(v)`` must be at most 1. Sort-based, O(n log n) (Wang &
    Carreira-Perpiñán 2013).
    """
    w = np.asarray(v, dtype=np.float64).ravel()
    n = w.size
    mass = 1.0 - n * lower
    if n == 0 or mass < -1e-12:
        raise InvalidParameterError(
            f"cannot project onto the simplex with lower bound {lower} in {n} dimensions; "
            f"it needs lower * n <= 1 and n >= 1"
        )
    if mass <= 0:
        return np.full(n, 1.0 / n)
    w = w - lower
    u = np.sort(w)[::-1]
    css = np.cumsum(u) - mass
    ranks = np.arange(1, n + 1)
    rho = int(np.flatnonzero(u - css / ranks > 0)[-1]) + 1
    theta = css[rho - 1] / rho
    return np.asarray(np.maximum(w - theta, 0.0) + lower, dtype=np.float64)


def as_distribution(value: ArrayLike | None, n: int, name: str) -> FloatArray:
    """``value`` as a probability vector of length ``n`` (uniform if None), or an
    :class:`~redqueen.errors.InvalidParameterError` saying what is wrong."""
    if value is None:
        return np.full(n, 1.0 / n)
    try:
        p = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"{name} must be a list of {n} probabilities; got {value!r}"
        ) from None
    if p.shape != (n,):
        raise InvalidParameterError(
            f"{name} must be a list of {n} probabilities, one per strategy; got shape {p.shape}"
        )
    if not np.isfinite(p).all() or (p < 0).any():
        raise InvalidParameterError(
            f"{name} must hold finite, non-negative probabilities; got {p.tolist()}"
        )
    if abs(p.sum() - 1.0) > 1e-6:
        raise InvalidParameterError(f"{name} must sum to 1; it sums to {p.sum()!r}")
    return np.asarray(p / p.sum(), dtype=np.float64)


# ---- the vector fields and integrators --------------------------------------------------


def _replicator_field(a: FloatArray) -> Callable[[FloatArray], FloatArray]:
    def field(x: FloatArray) -> FloatArray:
        fitness = a @ x
        return np.asarray(x * (fitness - x @ fitness), dtype=np.float64)

    return field


def _two_population_field(
    a: FloatArray, b: FloatArray
) -> Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]:
    def field(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        fx = a @ y
        fy = x @ b
        return x * (fx - x @ fx), y * (fy - fy @ y)

    return field


def _renormalise(x: FloatArray) -> FloatArray:
    x = np.maximum(x, 0.0)
    return np.asarray(x / x.sum(), dtype=np.float64)


def _single(
    field: Callable[[FloatArray], FloatArray],
    x: FloatArray,
    steps: int,
    dt: float,
    integrator: Integrator,
) -> FloatArray:
    xs = np.empty((steps + 1, x.size))
    xs[0] = x
    for t in range(steps):
        if integrator == "euler":
            x = x + dt * field(x)
        else:
            k1 = field(x)
            k2 = field(x + 0.5 * dt * k1)
            k3 = field(x + 0.5 * dt * k2)
            k4 = field(x + dt * k3)
            x = x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        x = _renormalise(x)
        xs[t + 1] = x
    return xs


def _pair(
    field: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    x: FloatArray,
    y: FloatArray,
    steps: int,
    dt: float,
    integrator: Integrator,
) -> tuple[FloatArray, FloatArray]:
    xs = np.empty((steps + 1, x.size))
    ys = np.empty((steps + 1, y.size))
    xs[0], ys[0] = x, y
    for t in range(steps):
        if integrator == "euler":
            dx, dy = field(x, y)
        else:
            k1x, k1y = field(x, y)
            k2x, k2y = field(x + 0.5 * dt * k1x, y + 0.5 * dt * k1y)
            k3x, k3y = field(x + 0.5 * dt * k2x, y + 0.5 * dt * k2y)
            k4x, k4y = field(x + dt * k3x, y + dt * k3y)
            dx = (k1x + 2.0 * k2x + 2.0 * k3x + k4x) / 6.0
            dy = (k1y + 2.0 * k2y + 2.0 * k3y + k4y) / 6.0
        x = _renormalise(x + dt * dx)
        y = _renormalise(y + dt * dy)
        xs[t + 1], ys[t + 1] = x, y
    return xs, ys


# ---- checks -----------------------------------------------------------------------------


def _two_matrices(a: Any, b: Any) -> tuple[FloatArray, FloatArray]:
    pa = as_payoff_matrix(a, "A")
    pb = as_payoff_matrix(b, "B")
    if pa.shape != pb.shape:
        raise InvalidParameterError(
            f"A is {pa.shape[0]}x{pa.shape[1]} but B is {pb.shape[0]}x{pb.shape[1]}; for two "
            "populations both payoff matrices must be m x n (rows: the row population's "
            "strategies, columns: the column population's)"
        )
    return pa, pb


def _check_steps(steps: Any) -> int:
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) or steps < 0:
        raise InvalidParameterError(f"steps must be an integer >= 0; got {steps!r}")
    return int(steps)


def _check_dt(dt: Any) -> float:
    if (
        isinstance(dt, bool)
        or not isinstance(dt, numbers.Real)
        or not math.isfinite(float(dt))
        or float(dt) <= 0
    ):
        raise InvalidParameterError(f"dt must be a finite number > 0; got {dt!r}")
    return float(dt)


def _check_gamma(gamma: Any) -> float:
    if (
        isinstance(gamma, bool)
        or not isinstance(gamma, numbers.Real)
        or not 0.0 <= float(gamma) <= 1.0
    ):
        raise InvalidParameterError(
            f"gamma must be a number in [0, 1] (each share stays >= gamma / n); got {gamma!r}"
        )
    return float(gamma)
