"""Replicator and projected replicator dynamics: invariants of the flow, convergence to
known rest points, agreement with OpenSpiel's PRD, and input validation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.matrix import prisoners_dilemma
from redqueen.solve import projected_replicator_dynamics, replicator_dynamics
from redqueen.solve.dynamics import project_onto_simplex

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])


def _on_simplex(states: np.ndarray) -> bool:
    return bool((states >= 0).all() and np.allclose(states.sum(axis=1), 1.0, atol=1e-12))


def test_rps_conserves_the_product_of_shares() -> None:
    # For zero-sum RPS, x1 * x2 * x3 is a constant of motion (Hofbauer & Sigmund 1998,
    # section 7.7): orbits are closed curves around the uniform state.
    xs = replicator_dynamics(RPS, [0.5, 0.3, 0.2], steps=5000, dt=0.01)
    assert xs.shape == (5001, 3)
    assert _on_simplex(xs)
    product = xs.prod(axis=1)
    assert np.abs(product / product[0] - 1).max() < 1e-8
    # It moves (this is not a rest point) and cycles: rock's share rises and falls.
    assert xs[:, 0].max() - xs[:, 0].min() > 0.2


def test_euler_drifts_outward_but_stays_on_the_simplex() -> None:
    # Euler's method spirals away from the centre on RPS; a smaller step drifts less.
    coarse = replicator_dynamics(RPS, [0.5, 0.3, 0.2], 2000, 0.01, integrator="euler")
    fine = replicator_dynamics(RPS, [0.5, 0.3, 0.2], 20000, 0.001, integrator="euler")
    assert _on_simplex(coarse) and _on_simplex(fine)
    drift_coarse = 1 - coarse[-1].prod() / coarse[0].prod()
    drift_fine = 1 - fine[-1].prod() / fine[0].prod()
    assert 0 < drift_fine < drift_coarse / 5


def test_hawk_dove_converges_to_the_ess() -> None:
    # Hawk-dove with V = 2, C = 4 (Maynard Smith 1982): the ESS plays hawk with V / C.
    v, c = 2.0, 4.0
    a = [[(v - c) / 2, v], [0.0, v / 2]]
    for start in ([0.05, 0.95], [0.9, 0.1]):
        xs = replicator_dynamics(a, start, steps=4000, dt=0.01)
        np.testing.assert_allclose(xs[-1], [v / c, 1 - v / c], atol=1e-6)


def test_uniform_is_a_rest_point_of_rps() -> None:
    xs = replicator_dynamics(RPS, None, steps=100, dt=0.1)
    np.testing.assert_allclose(xs, np.full((101, 3), 1 / 3), atol=1e-15)


def test_two_populations_prisoners_dilemma_goes_to_defection() -> None:
    a, b = prisoners_dilemma().payoff_matrices()
    xs, ys = replicator_dynamics(a, [0.9, 0.1], 3000, 0.01, B=b, y0=[0.8, 0.2])
    assert xs.shape == (3001, 2) and ys.shape == (3001, 2)
    assert _on_simplex(xs) and _on_simplex(ys)
    assert xs[-1][1] > 1 - 1e-6 and ys[-1][1] > 1 - 1e-6
    # Defection's share only grows: it strictly dominates.
    assert (np.diff(xs[:, 1]) > 0).all()


def test_two_populations_matching_pennies_conserves_kl_to_the_equilibrium() -> None:
    # In a zero-sum bimatrix game with interior equilibrium (x*, y*), the sum
    # sum(x* log x) + sum(y* log y) is a constant of motion (Hofbauer & Sigmund 1998).
    a = np.array([[1.0, -1.0], [-1.0, 1.0]])
    xs, ys = replicator_dynamics(a, [0.8, 0.2], 3000, 0.01, B=-a, y0=[0.3, 0.7])
    h = 0.5 * np.log(xs).sum(axis=1) + 0.5 * np.log(ys).sum(axis=1)
    assert np.abs(h - h[0]).max() < 1e-8


def test_prd_respects_the_gamma_floor() -> None:
    a, b = prisoners_dilemma().payoff_matrices()
    gamma = 0.1
    xs, ys = projected_replicator_dynamics(a, None, 2000, 0.05, gamma=gamma, B=b)
    assert _on_simplex(xs) and _on_simplex(ys)
    assert xs.min() >= gamma / 2 - 1e-15 and ys.min() >= gamma / 2 - 1e-15
    # Defection takes everything it is allowed: 1 - gamma / n.
    np.testing.assert_allclose(xs[-1], [gamma / 2, 1 - gamma / 2], atol=1e-12)
    np.testing.assert_allclose(ys[-1], [gamma / 2, 1 - gamma / 2], atol=1e-12)


def test_prd_with_gamma_zero_matches_projected_euler_replicator() -> None:
    hawk_dove = [[-1.0, 2.0], [0.0, 1.0]]
    prd = projected_replicator_dynamics(hawk_dove, [0.2, 0.8], 500, 0.01, gamma=0.0)
    euler = replicator_dynamics(hawk_dove, [0.2, 0.8], 500, 0.01, integrator="euler")
    np.testing.assert_allclose(prd, euler, atol=1e-12)


def _openspiel_prd() -> Any:
    pytest.importorskip("pyspiel", reason="OpenSpiel cross-check: pip install open_spiel")
    from open_spiel.python.algorithms import projected_replicator_dynamics as prd

    return prd


def test_prd_matches_openspiel_two_populations() -> None:
    # OpenSpiel's prd_gamma is the floor itself; ours is gamma / n.
    prd = _openspiel_prd()
    rng = np.random.default_rng(0)
    for _ in range(5):
        n = 4
        a, b = rng.normal(size=(n, n)), rng.normal(size=(n, n))
        x0, y0 = rng.dirichlet(np.ones(n)), rng.dirichlet(np.ones(n))
        gamma = 0.02
        xs, ys = projected_replicator_dynamics(a, x0, 300, 0.05, gamma=gamma, B=b, y0=y0)
        final = prd.projected_replicator_dynamics(
            [a, b],
            prd_initial_strategies=[x0.copy(), y0.copy()],
            prd_iterations=300,
            prd_dt=0.05,
            prd_gamma=gamma / n,
            average_over_last_n_strategies=1,
        )
        np.testing.assert_allclose(xs[-1], final[0], atol=1e-12)
        np.testing.assert_allclose(ys[-1], final[1], atol=1e-12)
        # Without a window OpenSpiel averages the whole trajectory, initial state included.
        average = prd.projected_replicator_dynamics(
            [a, b],
            prd_initial_strategies=[x0.copy(), y0.copy()],
            prd_iterations=300,
            prd_dt=0.05,
            prd_gamma=gamma / n,
        )
        np.testing.assert_allclose(xs.mean(axis=0), average[0], atol=1e-12)


def test_prd_single_population_matches_openspiel_symmetric_game() -> None:
    # One population on A is two identical populations on (A, A^T) from the same start.
    prd = _openspiel_prd()
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 5))
    x0 = rng.dirichlet(np.ones(5))
    xs = projected_replicator_dynamics(a, x0, 400, 0.02, gamma=0.05)
    final = prd.projected_replicator_dynamics(
        [a, a.T],
        prd_initial_strategies=[x0.copy(), x0.copy()],
        prd_iterations=400,
        prd_dt=0.02,
        prd_gamma=0.05 / 5,
        average_over_last_n_strategies=1,
    )
    np.testing.assert_allclose(xs[-1], final[0], atol=1e-12)


def test_project_onto_simplex() -> None:
    np.testing.assert_allclose(project_onto_simplex([0.4, 0.7, 0.6], lower=0.2), [0.2, 0.45, 0.35])
    np.testing.assert_allclose(project_onto_simplex([2.0, 0.0]), [1.0, 0.0])
    np.testing.assert_allclose(project_onto_simplex([0.1, 0.2], lower=0.5), [0.5, 0.5])
    rng = np.random.default_rng(4)
    for _ in range(50):
        v = rng.normal(size=6) * 3
        p = project_onto_simplex(v, lower=0.05)
        assert p.sum() == pytest.approx(1.0) and p.min() >= 0.05 - 1e-15
        # Optimality: any other feasible point is at least as far from v.
        q = project_onto_simplex(rng.normal(size=6), lower=0.05)
        assert np.linalg.norm(v - p) <= np.linalg.norm(v - q) + 1e-12


# ---- input validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"A": [[1, 2, 3], [4, 5, 6]]}, "square"),
        ({"A": RPS, "x0": [0.5, 0.5]}, "3 probabilities"),
        ({"A": RPS, "x0": [0.5, 0.6, -0.1]}, "non-negative"),
        ({"A": RPS, "x0": [0.2, 0.2, 0.2]}, "sum to 1"),
        ({"A": RPS, "x0": [float("nan"), 0.5, 0.5]}, "finite"),
        ({"A": RPS, "steps": -1}, "steps"),
        ({"A": RPS, "steps": 1.5}, "steps"),
        ({"A": RPS, "dt": 0}, "dt"),
        ({"A": RPS, "dt": float("inf")}, "dt"),
        ({"A": RPS, "y0": [0.5, 0.5]}, "needs B="),
        ({"A": [[1, 2]], "B": [[1, 2], [3, 4]]}, "A is 1x2 but B is 2x2"),
        ({"A": [[1, float("nan")], [0, 0]]}, "finite"),
        ({"A": [[1, 2], [3]]}, "ragged"),
        ({"A": prisoners_dilemma()}, "payoff_matrices"),
    ],
)
def test_bad_input_is_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        replicator_dynamics(**kwargs)
    with pytest.raises(InvalidParameterError, match=match):
        projected_replicator_dynamics(**kwargs)


def test_bad_gamma_and_integrator() -> None:
    for gamma in (-0.1, 1.5, float("nan")):
        with pytest.raises(InvalidParameterError, match="gamma"):
            projected_replicator_dynamics(RPS, gamma=gamma)
    with pytest.raises(UnknownNameError, match="rk4"):
        replicator_dynamics(RPS, integrator="midpoint")  # type: ignore[call-overload]
