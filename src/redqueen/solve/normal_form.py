"""Nash equilibria of two-player normal-form (matrix) games.

Three methods, each for the job it does best:

- :func:`zero_sum_nash` solves a zero-sum game ``A`` (the row player's payoffs; the
  column player gets ``-A``) by linear programming, the constructive side of von
  Neumann's minimax theorem (von Neumann 1928; Dantzig 1951, "A proof of the equivalence
  of the programming problem and the game problem"). The row player's maximin strategy
  solves ``max v s.t. A^T x >= v 1, x in simplex`` and the column player's minimax
  strategy solves ``min w s.t. A y <= w 1, y in simplex``; by LP duality ``v = w`` is the
  value of the game. Both LPs are solved with HiGHS (``scipy.optimize.linprog``).

- :func:`support_enumeration` finds *every* equilibrium of a nondegenerate bimatrix game
  ``(A, B)``. In a nondegenerate game both supports of an equilibrium have the same size
  ``k``; for each pair of supports ``(I, J)`` of size ``k`` it solves the indifference
  equations (``y`` on ``J`` makes every row in ``I`` equally good, ``x`` on ``I`` every
  column in ``J``) and keeps the solutions that are probability vectors with no better
  reply outside the support (von Stengel 2007, "Equilibrium computation for two-player
  games in strategic and extensive form", in *Algorithmic Game Theory*, Algorithm 3.4;
  the same algorithm as nashpy's ``support_enumeration``). There are ``C(m + n, m) - 1``
  support pairs, so the method is for small games; the systems of one size are solved
  together as a batch.

- :func:`lemke_howson` finds *one* equilibrium of any bimatrix game by complementary
  pivoting (Lemke & Howson 1964, "Equilibrium points of bimatrix games"; von Stengel
  2007, Algorithm 3.6). It walks from the artificial equilibrium ``(0, 0)`` of the best-
  response polytopes ``P = {x >= 0 : B^T x <= 1}`` and ``Q = {y >= 0 : A y <= 1}``
  (payoffs shifted to be positive), dropping ``initial_dropped_label`` and then always
  the label that became duplicate, until the pair is completely labelled again. Labels
  ``0 .. m - 1`` are the row player's actions and ``m .. m + n - 1`` the column player's
  (nashpy's numbering). Ties in the ratio test are broken by the lexicographic rule
  (von Stengel 2007, section 3.5), so the walk also ends in degenerate games.

:func:`bimatrix_equilibria` picks between the last two: all equilibria by support
enumeration while the game has at most :data:`SUPPORT_ENUMERATION_MAX_PAIRS` support
pairs (square games up to 9 x 9, under a second), otherwise the equilibria Lemke-Howson
reaches from each of the ``m + n`` initial labels (at least one; not necessarily all).

Degenerate games (ties: a mixed strategy with more pure best replies than its support
size, e.g. equal payoffs) may have equilibria with supports of different sizes, or
continua of equilibria. Support enumeration still returns every equilibrium whose two
supports have equal size and whose indifference equations have a unique solution (in
particular every pure equilibrium), but it may miss the others; Lemke-Howson still
returns an equilibrium.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import UtilityKind
from redqueen.games.matrix import MatrixGame

FloatArray = NDArray[np.float64]
Equilibrium = tuple[FloatArray, FloatArray]

SUPPORT_ENUMERATION_MAX_PAIRS = 100_000
"""The most support pairs, ``C(m + n, m) - 1``, for which ``method="auto"`` enumerates
supports: square games up to 9 x 9 (48,619 pairs, under a second); 10 x 10 has 184,755."""

METHODS = ("auto", "support_enumeration", "lemke_howson")
"""The ``method`` values :func:`bimatrix_equilibria` accepts."""

_PROB_TOL = 1e-10  # a probability this far below 0 is rounding, not a negative weight
_PAYOFF_TOL = 1e-9  # relative to the payoff scale: how much better a reply must be
_DEDUP_TOL = 1e-9  # two equilibria this close (max abs difference) are the same one


# ---- input ------------------------------------------------------------------------------


def as_payoff_matrix(value: Any, name: str = "A", *, square: bool = False) -> FloatArray:
    """``value`` as a 2-D float array of finite numbers, or an
    :class:`~redqueen.errors.InvalidParameterError` that says what is wrong.

    Accepts a NumPy array or a list of equally long lists of real numbers (booleans and
    strings are refused). ``square=True`` also requires as many rows as columns.
    """
    if isinstance(value, MatrixGame):
        raise InvalidParameterError(
            f"{name} is a MatrixGame; pass one of its payoff matrices instead, e.g. "
            f"A, B = game.payoff_matrices()"
        )
    array = value if isinstance(value, np.ndarray) else _array_from_nested(value, name)
    if array.ndim != 2:
        raise InvalidParameterError(
            f"{name} must be a 2-D matrix (a list of rows); got an array with "
            f"{array.ndim} dimension(s) of shape {array.shape}"
        )
    if array.size == 0:
        raise InvalidParameterError(
            f"{name} is empty (shape {array.shape}); a payoff matrix needs at least one row "
            "and one column"
        )
    if array.dtype.kind not in "iuf":
        if array.dtype.kind == "O":
            for (i, j), x in np.ndenumerate(array):
                _check_real(x, f"{name}[{i}][{j}]")
        else:
            raise InvalidParameterError(
                f"{name} must hold real numbers; got an array of dtype {array.dtype}"
            )
    out = np.array(array, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(out))
    if bad.size:
        i, j = (int(v) for v in bad[0])
        raise InvalidParameterError(
            f"{name}[{i}][{j}] is {out[i, j]}; payoffs must be finite numbers (no NaN or inf)"
        )
    if square and out.shape[0] != out.shape[1]:
        raise InvalidParameterError(
            f"{name} must be square (as many rows as columns); got shape "
            f"{out.shape[0]}x{out.shape[1]}"
        )
    return out


def _array_from_nested(value: Any, name: str) -> NDArray[Any]:
    if isinstance(value, str | bytes) or not hasattr(value, "__len__"):
        raise InvalidParameterError(
            f"{name} must be a matrix: a list of rows of numbers or a 2-D NumPy array; "
            f"got {value!r}"
        )
    rows = list(value)
    if not rows:
        raise InvalidParameterError(
            f"{name} is empty; a payoff matrix needs at least one row and one column"
        )
    width = None
    for i, row in enumerate(rows):
        if isinstance(row, str | bytes) or not hasattr(row, "__len__"):
            raise InvalidParameterError(
                f"{name}[{i}] is {row!r}; {name} must be a list of rows, each a list of "
                "numbers (a single row is written [[a, b, ...]])"
            )
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise InvalidParameterError(
                f"{name} is ragged: row {i} has {len(row)} entries but row 0 has {width}; "
                "every row needs one entry per column"
            )
        for j, x in enumerate(row):
            _check_real(x, f"{name}[{i}][{j}]")
    return np.array([[float(x) for x in row] for row in rows], dtype=np.float64).reshape(
        len(rows), width or 0
    )


def _check_real(x: Any, where: str) -> None:
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real):
        raise InvalidParameterError(
            f"{where} is {x!r} ({type(x).__name__}); payoffs must be real numbers"
        )


def _bimatrix(a: Any, b: Any) -> tuple[FloatArray, FloatArray]:
    """``(A, B)`` from a MatrixGame, or from two matrices of the same shape (``B=None``
    means the zero-sum game ``B = -A``)."""
    if isinstance(a, MatrixGame):
        if b is not None:
            raise InvalidParameterError(
                "pass either a MatrixGame or the two payoff matrices A and B, not a game and B"
            )
        return a.payoff_matrices()
    pa = as_payoff_matrix(a, "A")
    if b is None:
        return pa, -pa
    pb = as_payoff_matrix(b, "B")
    if pa.shape != pb.shape:
        raise InvalidParameterError(
            f"A is {pa.shape[0]}x{pa.shape[1]} but B is {pb.shape[0]}x{pb.shape[1]}; both "
            "payoff matrices must have the same shape (rows: the row player's actions, "
            "columns: the column player's actions)"
        )
    return pa, pb


def _scale(*matrices: FloatArray) -> float:
    return max(1.0, *(float(np.max(np.abs(m))) for m in matrices))


def _clean(p: FloatArray) -> FloatArray:
    """A probability vector from a numerically computed one: tiny negatives to 0, sum 1."""
    q = np.where(p < _PROB_TOL, 0.0, p)
    total = q.sum()
    if total <= 0:
        raise RedqueenError(f"numerical failure: {p} is not a probability vector")
    return np.asarray(q / total, dtype=np.float64)


# ---- zero-sum games ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ZeroSumSolution:
    """A Nash equilibrium of a zero-sum game and its value.

    ``value`` is what the row player gets (and the column player pays) when both play
    their equilibrium strategies; each strategy guarantees it against any reply.
    """

    row_strategy: FloatArray
    col_strategy: FloatArray
    value: float


def zero_sum_nash(game: MatrixGame | Any) -> ZeroSumSolution:
    """A Nash equilibrium (maximin / minimax strategies) and the value of a zero-sum game.

    ``game`` is the row player's payoff matrix ``A`` (the column player gets ``-A``) or a
    zero-sum :class:`~redqueen.games.matrix.MatrixGame` (a constant-sum one is accepted
    too: it has the same equilibria, and ``value`` is still the row player's payoff). For
    general-sum games use :func:`bimatrix_equilibria`.

    >>> sol = zero_sum_nash([[1, -1], [-1, 1]])
    >>> sol.row_strategy.tolist(), sol.value
    ([0.5, 0.5], 0.0)
    """
    if isinstance(game, MatrixGame):
        if game.spec.utility not in (UtilityKind.ZERO_SUM, UtilityKind.CONSTANT_SUM):
            raise InvalidParameterError(
                f"zero_sum_nash needs a zero-sum game but {game.spec.id!r} is "
                f"{game.spec.utility.value}; use bimatrix_equilibria(game) for general-sum "
                "games"
            )
        a = game.payoff_matrices()[0]
    else:
        a = as_payoff_matrix(game, "A")
    m, n = a.shape
    # Row player: max v s.t. (A^T x)_j >= v for every column j, x in the simplex.
    row = _solve_lp(
        cost=np.r_[np.zeros(m), -1.0],
        a_ub=np.c_[-a.T, np.ones(n)],
        size=m,
    )
    # Column player: min w s.t. (A y)_i <= w for every row i, y in the simplex.
    col = _solve_lp(
        cost=np.r_[np.zeros(n), 1.0],
        a_ub=np.c_[a, -np.ones(m)],
        size=n,
    )
    v, w = float(row[-1]), float(col[-1])
    if abs(v - w) > 1e-7 * _scale(a):
        raise RedqueenError(f"numerical failure: the two LP values differ ({v} and {w})")
    value = 0.5 * (v + w)
    return ZeroSumSolution(_clean(row[:m]), _clean(col[:n]), 0.0 if value == 0 else value)


def _solve_lp(cost: FloatArray, a_ub: FloatArray, size: int) -> FloatArray:
    a_eq = np.r_[np.ones(size), 0.0][None, :]
    bounds = [(0.0, None)] * size + [(None, None)]
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=np.zeros(a_ub.shape[0]),
        A_eq=a_eq,
        b_eq=[1.0],
        bounds=bounds,
        method="highs",
    )
    if res.status != 0:
        raise RedqueenError(f"numerical failure: the LP solver says {res.message!r}")
    return np.asarray(res.x, dtype=np.float64)


# ---- bimatrix games ---------------------------------------------------------------------


def bimatrix_equilibria(
    A: MatrixGame | Any,
    B: Any = None,
    *,
    method: Literal["auto", "support_enumeration", "lemke_howson"] = "auto",
) -> list[Equilibrium]:
    """Nash equilibria ``[(x, y), ...]`` of the bimatrix game ``(A, B)``, deduplicated.

    ``A[i, j]`` and ``B[i, j]`` are the row and the column player's payoffs; pass a
    :class:`~redqueen.games.matrix.MatrixGame` as ``A`` instead, or ``B=None`` for the
    zero-sum game ``B = -A``. ``x`` (length m) and ``y`` (length n) are the two players'
    mixed strategies as NumPy probability vectors.

    ``method``: ``"support_enumeration"`` returns all equilibria of a nondegenerate game
    (see the module docstring for degenerate ones); ``"lemke_howson"`` returns the
    equilibria Lemke-Howson reaches from each initial label, the first from label 0 (at
    least one, not necessarily all); ``"auto"`` (default) enumerates supports when the
    game has at most :data:`SUPPORT_ENUMERATION_MAX_PAIRS` support pairs and uses
    Lemke-Howson otherwise.

    >>> [(x.tolist(), y.tolist()) for x, y in bimatrix_equilibria([[3, 0], [5, 1]],
    ...                                                            [[3, 5], [0, 1]])]
    [([0.0, 1.0], [0.0, 1.0])]
    """
    a, b = _bimatrix(A, B)
    if method not in METHODS:
        raise UnknownNameError("bimatrix_equilibria method", str(method), METHODS)
    m, n = a.shape
    if method == "support_enumeration" or (
        method == "auto" and support_pair_count(m, n) <= SUPPORT_ENUMERATION_MAX_PAIRS
    ):
        return support_enumeration(a, b)
    found: list[Equilibrium] = []
    for label in range(m + n):
        _add_unique(found, lemke_howson(a, b, initial_dropped_label=label))
    return found


def support_pair_count(m: int, n: int) -> int:
    """How many pairs of equal-size supports an m x n game has: ``C(m + n, m) - 1``."""
    return math.comb(m + n, m) - 1


def _add_unique(found: list[Equilibrium], eq: Equilibrium) -> None:
    x, y = eq
    for fx, fy in found:
        if np.max(np.abs(fx - x)) <= _DEDUP_TOL and np.max(np.abs(fy - y)) <= _DEDUP_TOL:
            return
    found.append(eq)


def support_enumeration(A: MatrixGame | Any, B: Any = None) -> list[Equilibrium]:
    """Every Nash equilibrium ``(x, y)`` of a nondegenerate bimatrix game, by support
    enumeration (von Stengel 2007, Algorithm 3.4), in order of support size.

    Arguments as for :func:`bimatrix_equilibria`. The work grows as ``C(m + n, m)``:
    fine up to about 10 x 10. In degenerate games it returns the equilibria with equal-size
    supports and uniquely solvable indifference equations (all pure ones among them).
    """
    a, b = _bimatrix(A, B)
    m, n = a.shape
    tol = _PAYOFF_TOL * _scale(a, b)
    found: list[Equilibrium] = []
    for k in range(1, min(m, n) + 1):
        cols = np.array(list(itertools.combinations(range(n), k)), dtype=np.intp)
        for rows in _row_support_chunks(m, k, len(cols)):
            for x, y in _equilibria_with_supports(a, b, rows, cols, tol):
                _add_unique(found, (x, y))
    return found


def _row_support_chunks(m: int, k: int, num_cols: int) -> Iterator[NDArray[np.intp]]:
    """The row supports of size k, in chunks that keep a batch under ~50k systems."""
    per_chunk = max(1, 50_000 // max(1, num_cols))
    combos = itertools.combinations(range(m), k)
    while True:
        chunk = list(itertools.islice(combos, per_chunk))
        if not chunk:
            return
        yield np.array(chunk, dtype=np.intp)


def _indifference(
    payoff: FloatArray, keep: NDArray[np.bool_]
) -> tuple[NDArray[np.bool_], FloatArray, FloatArray]:
    """Solve ``payoff[s] @ p = u 1, sum(p) = 1`` for each k x k matrix ``payoff[s]``.

    Returns ``(ok, p, u)``: ``ok`` marks the systems with a unique solution (and
    ``keep``), ``p`` has shape (S, k) and ``u`` shape (S,) (zeros where not ok).
    """
    s, k, _ = payoff.shape
    system = np.zeros((s, k + 1, k + 1))
    system[:, :k, :k] = payoff
    system[:, :k, k] = -1.0
    system[:, k, :k] = 1.0
    ok = keep.copy()
    p = np.zeros((s, k))
    u = np.zeros(s)
    if not ok.any():
        return ok, p, u
    sv = np.linalg.svd(system[ok], compute_uv=False)
    regular = sv[:, -1] > 1e-12 * sv[:, 0] * (k + 1)
    ok[np.flatnonzero(ok)[~regular]] = False
    if ok.any():
        rhs = np.zeros((int(ok.sum()), k + 1, 1))
        rhs[:, k, 0] = 1.0
        sol = np.linalg.solve(system[ok], rhs)[:, :, 0]
        p[ok] = sol[:, :k]
        u[ok] = sol[:, k]
    return ok, p, u


def _equilibria_with_supports(
    a: FloatArray,
    b: FloatArray,
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    tol: float,
) -> Iterator[Equilibrium]:
    """The equilibria with a row support in ``rows`` (R, k) and a column support in
    ``cols`` (C, k), found by solving all R * C indifference systems at once."""
    m, n = a.shape
    ri = np.repeat(rows, len(cols), axis=0)  # (S, k) row support of each pair
    ci = np.tile(cols, (len(rows), 1))  # (S, k) column support of each pair
    everything = np.ones(len(ri), dtype=bool)
    # y on the column support makes the row player indifferent on the row support.
    ok, y_s, u = _indifference(a[ri[:, :, None], ci[:, None, :]], everything)
    ok &= (y_s >= -_PROB_TOL).all(axis=1)
    if not ok.any():
        return
    y = np.zeros((len(ri), n))
    np.put_along_axis(y, ci, y_s, axis=1)
    ok &= (y @ a.T <= u[:, None] + tol).all(axis=1)  # no better row anywhere
    # x on the row support makes the column player indifferent on the column support.
    ok, x_s, v = _indifference(np.swapaxes(b[ri[:, :, None], ci[:, None, :]], 1, 2), ok)
    ok &= (x_s >= -_PROB_TOL).all(axis=1)
    if not ok.any():
        return
    x = np.zeros((len(ri), m))
    np.put_along_axis(x, ri, x_s, axis=1)
    ok &= (x @ b <= v[:, None] + tol).all(axis=1)  # no better column anywhere
    for s in np.flatnonzero(ok):
        yield _clean(x[s]), _clean(y[s])


def lemke_howson(A: MatrixGame | Any, B: Any = None, initial_dropped_label: int = 0) -> Equilibrium:
    """One Nash equilibrium ``(x, y)`` of a bimatrix game by the Lemke-Howson algorithm.

    Arguments as for :func:`bimatrix_equilibria`; ``initial_dropped_label`` is in
    ``0 .. m + n - 1``: ``i < m`` is the row player's action ``i`` and ``m + j`` the
    column player's action ``j``. Different labels may lead to different equilibria.
    Ties in the ratio test are broken lexicographically, so it terminates on degenerate
    games too.
    """
    a, b = _bimatrix(A, B)
    m, n = a.shape
    if (
        isinstance(initial_dropped_label, bool)
        or not isinstance(initial_dropped_label, numbers.Integral)
        or not 0 <= initial_dropped_label < m + n
    ):
        raise InvalidParameterError(
            f"initial_dropped_label must be an integer in 0..{m + n - 1} (0..{m - 1} the "
            f"row player's actions, {m}..{m + n - 1} the column player's); got "
            f"{initial_dropped_label!r}"
        )
    k = int(initial_dropped_label)
    # Shift payoffs to be positive so that both polytopes are bounded.
    a_pos = a - a.min() + 1.0
    b_pos = b - b.min() + 1.0
    # Columns of both tableaus are indexed by label: 0..m-1 (x_i or the row slack r_i),
    # m..m+n-1 (the column slack s_j or y_j); the last column is the right-hand side.
    # P (the row player's x): rows B^T x + s = 1, basis the slacks s (labels m..m+n-1).
    # Q (the column player's y): rows r + A y = 1, basis the slacks r (labels 0..m-1).
    tab_p = np.hstack([b_pos.T, np.eye(n), np.ones((n, 1))])
    tab_q = np.hstack([np.eye(m), a_pos, np.ones((m, 1))])
    basis_p = list(range(m, m + n))
    basis_q = list(range(m))
    lex_p = list(range(m, m + n))  # the initial basis columns, for the lexicographic rule
    lex_q = list(range(m))
    entering = k
    in_p = k < m  # x_k enters P, or y_{k-m} enters Q
    tol = 1e-12 * _scale(a_pos, b_pos)
    for _ in range(100_000 * (m + n)):
        if in_p:
            leaving = _pivot(tab_p, basis_p, entering, lex_p, tol)
        else:
            leaving = _pivot(tab_q, basis_q, entering, lex_q, tol)
        if leaving == k:
            break
        entering = leaving  # its label is now on both sides: drop it on the other one
        in_p = not in_p
    else:  # pragma: no cover - the lexicographic rule guarantees termination
        raise RedqueenError("Lemke-Howson did not terminate (numerical trouble)")
    x = np.zeros(m)
    y = np.zeros(n)
    for row, label in enumerate(basis_p):
        if label < m:
            x[label] = tab_p[row, -1]
    for row, label in enumerate(basis_q):
        if label >= m:
            y[label - m] = tab_q[row, -1]
    return _clean(x), _clean(y)


def _pivot(tab: FloatArray, basis: list[int], column: int, lex: list[int], tol: float) -> int:
    """Bring ``column`` into the basis by the lexicographic minimum-ratio test; return the
    label that left."""
    col = tab[:, column]
    candidates = np.flatnonzero(col > tol)
    if candidates.size == 0:  # pragma: no cover - impossible for bounded polytopes
        raise RedqueenError("Lemke-Howson: unbounded ray (numerical trouble)")
    # Compare (rhs, B^-1 row) / pivot lexicographically; B^-1 sits in the initial basis
    # columns. Keep the rows tied (within tolerance) on each component in turn.
    for key in [-1, *lex]:
        ratios = tab[candidates, key] / col[candidates]
        best = ratios.min()
        candidates = candidates[ratios <= best + tol * max(1.0, abs(best))]
        if candidates.size == 1:
            break
    row = int(candidates[0])
    tab[row] /= tab[row, column]
    others = np.arange(tab.shape[0]) != row
    tab[others] -= np.outer(tab[others, column], tab[row])
    leaving = basis[row]
    basis[row] = column
    return leaving


def is_nash_equilibrium(A: MatrixGame | Any, B: Any, x: Any, y: Any, *, tol: float = 1e-8) -> bool:
    """Whether ``(x, y)`` is a Nash equilibrium of ``(A, B)``: no pure strategy gains more
    than ``tol`` (relative to the payoff scale) over the player's mixed strategy."""
    a, b = _bimatrix(A, B)
    px = np.asarray(x, dtype=np.float64)
    py = np.asarray(y, dtype=np.float64)
    if px.shape != (a.shape[0],) or py.shape != (a.shape[1],):
        raise InvalidParameterError(
            f"x needs {a.shape[0]} probabilities and y {a.shape[1]}; got shapes "
            f"{px.shape} and {py.shape}"
        )
    eps = tol * _scale(a, b)
    row_payoffs = a @ py
    col_payoffs = px @ b
    return bool(
        row_payoffs.max() <= px @ row_payoffs + eps and col_payoffs.max() <= col_payoffs @ py + eps
    )
