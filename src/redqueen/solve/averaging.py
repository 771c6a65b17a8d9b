"""Nash averaging: evaluation that is invariant to redundant agents.

Balduzzi, Tuyls, Perolat & Graepel (2018), "Re-evaluating Evaluation", NeurIPS
(arXiv:1806.02643), section 4. An evaluation of ``n`` agents against each other is an
antisymmetric matrix ``A = -A^T``: ``A[i, j] > 0`` when ``i`` beats ``j``, usually the
log-odds ``logit(P[i beats j])`` or ``P[i beats j] - 1/2``. Treat it as a symmetric
zero-sum meta-game in which each player picks an agent; its value is 0, and its Nash
equilibria are the distributions ``p`` with ``A p <= 0`` (no agent beats ``p`` on
average). Among them the maximum-entropy one, ``p*``, is unique (Balduzzi et al.,
Proposition 1), and the **Nash average** of each agent is its expected result against
``p*``: the ratings ``A p*``, which are 0 for the agents in the support and negative for
the rest. Adding copies of an agent splits its mass among the copies and changes no
rating, so the evaluation cannot be gamed by flooding it with near-duplicates; in a
cyclic tournament (rock-paper-scissors) every agent gets the same rating.

How it is computed (our method; the paper does not prescribe one):

1. One linear program (the "always-active constraints" LP of Freund, Roundy & Todd 1985)
   finds the union ``S`` of the supports of all equilibria, and the constraints
   ``(A p)_j <= 0`` that are tight at every equilibrium: maximise
   ``sum(z) + sum(zeta)`` over ``q >= 0`` with ``z <= q``, ``zeta <= -A q`` and
   ``0 <= z, zeta <= 1``. Any equilibrium scaled up is a feasible ``q``, so at the
   optimum ``z_i = 1`` exactly for the agents in some equilibrium's support and
   ``zeta_j = 1`` exactly for the constraints that some equilibrium leaves slack.
2. On that face of the equilibrium polytope the maximum-entropy distribution is positive
   on all of ``S``; it solves the convex dual ``min log sum_i exp(-(E^T mu + G^T nu)_i)``
   over ``mu`` free and ``nu >= 0`` (``E``: the always-tight constraints, ``G``: the
   others, both restricted to ``S``), with ``p*`` the softmax of ``-(E^T mu + G^T nu)``.
   The dual is solved by L-BFGS-B and then polished by Newton's method on the active
   constraints, which leaves ``E p* = 0`` to machine precision. When the tight
   constraints leave a single point (the equilibrium is unique, as it is for almost every
   matrix) that point is solved for directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog, minimize
from scipy.special import logsumexp, softmax

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.matrix import MatrixGame
from redqueen.solve.normal_form import as_payoff_matrix

FloatArray = NDArray[np.float64]

ANTISYMMETRY_TOLERANCE = 1e-9
"""How far ``A + A^T`` may be from 0, relative to the largest ``|A[i, j]|`` (at least 1)."""


@dataclass(frozen=True, eq=False)
class NashAveraging:
    """The result of :func:`nash_averaging`.

    - ``equilibrium``: the maximum-entropy Nash equilibrium ``p*`` of the meta-game.
    - ``ratings``: the Nash averages ``A @ p*``, one per agent: 0 for the agents in the
      support, negative for the others (how much they lose to ``p*`` on average).
    - ``support``: the agents with positive mass in ``p*``, in index order.
    """

    equilibrium: FloatArray
    ratings: FloatArray
    support: list[int]


def nash_averaging(A: MatrixGame | Any) -> NashAveraging:
    """Nash averaging (Balduzzi et al. 2018) of an antisymmetric evaluation matrix.

    ``A[i, j]`` is how much agent ``i`` beats agent ``j`` (e.g. log-odds of winning), with
    ``A[j, i] = -A[i, j]``. A symmetric zero-sum :class:`~redqueen.games.matrix.MatrixGame`
    (rock-paper-scissors) is accepted too, as its row player's payoff matrix.

    >>> result = nash_averaging([[0, 1, -1], [-1, 0, 1], [1, -1, 0]])
    >>> result.equilibrium.round(6).tolist(), result.ratings.round(6).tolist()
    ([0.333333, 0.333333, 0.333333], [0.0, 0.0, 0.0])
    """
    if isinstance(A, MatrixGame):
        a = A.payoff_matrices()[0]
        if a.shape[0] != a.shape[1]:
            raise InvalidParameterError(
                f"nash_averaging needs a square evaluation matrix; {A.spec.id!r} is "
                f"{a.shape[0]}x{a.shape[1]}"
            )
    else:
        a = as_payoff_matrix(A, "A", square=True)
    scale = max(1.0, float(np.abs(a).max()))
    asym = float(np.abs(a + a.T).max())
    if asym > ANTISYMMETRY_TOLERANCE * scale:
        i, j = np.unravel_index(int(np.argmax(np.abs(a + a.T))), a.shape)
        raise InvalidParameterError(
            "nash_averaging needs an antisymmetric evaluation matrix (A[j][i] == -A[i][j], "
            f"zero diagonal); A[{i}][{j}] = {a[i, j]} but A[{j}][{i}] = {a[j, i]}. Use log-odds "
            "logit(P[i beats j]) or P[i beats j] - 1/2; for a general zero-sum game use "
            "zero_sum_nash"
        )
    a = 0.5 * (a - a.T)  # exactly antisymmetric
    n = a.shape[0]
    support, slack_possible = _support_and_slack(a)
    p = np.zeros(n)
    if len(support) == 1:
        p[support[0]] = 1.0
    else:
        tight = [j for j in range(n) if not slack_possible[j]]
        loose = [j for j in range(n) if slack_possible[j]]
        p[support] = _max_entropy(a[np.ix_(tight, support)], a[np.ix_(loose, support)])
    p = np.where(p < 1e-15, 0.0, p)
    p /= p.sum()
    ratings = a @ p
    ratings[support] = 0.0  # zero by complementary slackness; remove rounding
    return NashAveraging(equilibrium=p, ratings=ratings, support=[int(i) for i in support])


def _support_and_slack(a: FloatArray) -> tuple[list[int], NDArray[np.bool_]]:
    """The union of all equilibrium supports, and which constraints ``(A p)_j <= 0`` some
    equilibrium leaves slack (the LP of step 1 in the module docstring)."""
    n = a.shape[0]
    # Variables [q (n), z (n), zeta (n)]; maximise sum(z) + sum(zeta).
    cost = np.r_[np.zeros(n), -np.ones(2 * n)]
    eye = np.eye(n)
    zeros = np.zeros((n, n))
    a_ub = np.block([[-eye, eye, zeros], [a, zeros, eye]])  # z - q <= 0; A q + zeta <= 0
    bounds = [(0.0, None)] * n + [(0.0, 1.0)] * (2 * n)
    res = linprog(cost, A_ub=a_ub, b_ub=np.zeros(2 * n), bounds=bounds, method="highs")
    if res.status != 0:  # pragma: no cover - the LP is always feasible and bounded
        raise RedqueenError(f"numerical failure: the LP solver says {res.message!r}")
    z = res.x[n : 2 * n]
    zeta = res.x[2 * n :]
    support = [i for i in range(n) if z[i] > 0.5]
    if not support:  # pragma: no cover - an equilibrium always exists
        raise RedqueenError("numerical failure: no equilibrium support found")
    return support, zeta > 0.5


def _max_entropy(tight: FloatArray, loose: FloatArray) -> FloatArray:
    """The maximum-entropy ``p > 0`` (sum 1) with ``tight @ p == 0`` and
    ``loose @ p <= 0``, by the dual of step 2 in the module docstring."""
    k = tight.shape[1]
    # An orthonormal basis of the tight rows' span: independent equalities, better scaled.
    if tight.shape[0]:
        _, sv, vt = np.linalg.svd(tight, full_matrices=False)
        rank = int((sv > 1e-10 * max(1.0, sv[0])).sum())
        eq = vt[:rank]
    else:
        eq = np.zeros((0, k))
    r = eq.shape[0]
    if r == k - 1:  # the face is one point (the generic case): solve for it
        system = np.vstack([eq, np.ones((1, k))])
        return np.asarray(np.linalg.solve(system, np.r_[np.zeros(r), 1.0]), dtype=np.float64)
    ineq = loose / np.maximum(1.0, np.abs(loose).max(axis=1, keepdims=True))
    m_all = np.vstack([eq, ineq])
    if m_all.shape[0] == 0:
        return np.full(k, 1.0 / k)

    def dual(theta: FloatArray) -> tuple[float, FloatArray]:
        logits = -(m_all.T @ theta)
        value = float(logsumexp(logits))
        return value, -(m_all @ np.exp(logits - value))

    bounds = [(None, None)] * r + [(0.0, None)] * ineq.shape[0]
    res = minimize(
        dual,
        np.zeros(m_all.shape[0]),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 10_000, "ftol": 1e-16, "gtol": 1e-13},
    )
    theta = np.asarray(res.x, dtype=np.float64)
    # Newton polish on the active constraints (the equalities and every nu > 0).
    active = np.r_[np.ones(r, dtype=bool), theta[r:] > 1e-12]
    m_act = m_all[active]
    t = theta[active]
    for _ in range(20 if m_act.shape[0] else 0):
        p = softmax(-(m_act.T @ t))
        grad = -(m_act @ p)
        if np.abs(grad).max() < 1e-15:
            break
        hess = m_act @ ((np.diag(p) - np.outer(p, p)) @ m_act.T)
        step = np.linalg.lstsq(hess, -grad, rcond=1e-13)[0]
        t = t + step
    polished = theta.copy()
    polished[active] = t
    p = softmax(-(m_all.T @ polished))
    feasible = (polished[r:] >= -1e-12).all() and (ineq @ p <= 1e-12).all()
    if not feasible:  # pragma: no cover - keep the L-BFGS-B answer if polishing strayed
        p = softmax(-(m_all.T @ theta))
    return np.asarray(p, dtype=np.float64)
