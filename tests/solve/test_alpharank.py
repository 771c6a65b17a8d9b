"""α-Rank: hand-derivable stationary distributions, symmetry, dominated strategies,
agreement with OpenSpiel's implementation, and input validation."""

from __future__ import annotations

import importlib.util
import math
import sys
import types
from typing import Any

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError
from redqueen.games.matrix import prisoners_dilemma
from redqueen.solve import alpha_rank
from redqueen.solve.alpharank import _gth_log, _stationary_distribution

RPS = np.array([[0.0, -1.0, 1.0], [1.0, 0.0, -1.0], [-1.0, 1.0, 0.0]])


@pytest.fixture
def openspiel_alpharank(monkeypatch: pytest.MonkeyPatch) -> Any:
    pytest.importorskip("pyspiel", reason="OpenSpiel cross-check: pip install open_spiel")
    if importlib.util.find_spec("matplotlib") is None:
        # OpenSpiel's alpharank imports its plotting module, which needs matplotlib, at the
        # top; the computation does not use it.
        name = "open_spiel.python.egt.alpharank_visualizer"
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    from open_spiel.python.egt import alpharank

    return alpharank


@pytest.mark.parametrize("alpha", [0.01, 1.0, 100.0, 1e4])
def test_rock_paper_scissors_is_uniform(alpha: float) -> None:
    result = alpha_rank(RPS, alpha=alpha)
    np.testing.assert_allclose(result.stationary_distribution, [1 / 3] * 3, atol=1e-12)
    assert result.profiles == [(0,), (1,), (2,)]
    assert result.ranking == [0, 1, 2]  # ties keep profile order


def test_two_population_rps_marginals_are_uniform() -> None:
    result = alpha_rank([RPS, -RPS], alpha=10.0)
    assert len(result.profiles) == 9 and result.profiles[1] == (0, 1)
    for mass in result.strategy_mass:
        np.testing.assert_allclose(mass, [1 / 3] * 3, atol=1e-12)


def test_two_strategies_match_the_closed_form() -> None:
    # Symmetric constant-sum game: strategy 0 beats 1 by 1. The fixation probability of r
    # in a population of s is (1 - e^-u) / (1 - e^-mu), u = alpha m/(m-1) (M[r,s] - M_sum/2)
    # (Omidshafiei et al. 2019, Methods), and a two-state chain has pi_1 / pi_0 =
    # rho(1 invades 0) / rho(0 invades 1).
    m, alpha = 10, 0.3
    game = np.array([[0.0, 1.0], [-1.0, 0.0]])

    def rho(u: float) -> float:
        return (1 - math.exp(-u)) / (1 - math.exp(-m * u))

    u01 = alpha * m / (m - 1) * 1.0  # 0 invading 1
    u10 = -u01
    ratio = rho(u10) / rho(u01)
    expected = np.array([1.0, ratio]) / (1 + ratio)
    result = alpha_rank(game, alpha=alpha, population_size=m)
    np.testing.assert_allclose(result.stationary_distribution, expected, rtol=1e-12)
    np.testing.assert_allclose(result.fixation_probabilities[1, 0], rho(u01), rtol=1e-12)
    np.testing.assert_allclose(result.transition_matrix.sum(axis=1), 1.0, atol=1e-15)


def test_neutral_selection_is_uniform_over_profiles() -> None:
    rng = np.random.default_rng(0)
    result = alpha_rank([rng.normal(size=(3, 2)), rng.normal(size=(3, 2))], alpha=0.0)
    np.testing.assert_allclose(result.stationary_distribution, np.full(6, 1 / 6), atol=1e-14)
    off = ~np.eye(6, dtype=bool) & (result.fixation_probabilities > 0)
    np.testing.assert_allclose(result.fixation_probabilities[off], 1 / 50)


def test_dominated_strategy_gets_no_mass_for_large_alpha() -> None:
    # Prisoner's dilemma as one population: defection dominates.
    pd = [[3.0, 0.0], [5.0, 1.0]]
    result = alpha_rank(pd, alpha=100.0)
    assert result.stationary_distribution[1] == pytest.approx(1.0, abs=1e-12)
    assert result.ranking == [1, 0]
    # A strategy dominated by every other in a 3-strategy game.
    game = RPS.copy()
    game = np.pad(game, ((0, 1), (0, 1)), constant_values=0.0)
    game[3, :3] = -2.0  # strategy 3 loses to everyone
    game[:3, 3] = 2.0
    masses = [alpha_rank(game, alpha=a).stationary_distribution[3] for a in (0.1, 1.0, 10.0)]
    assert masses[0] > masses[1] > masses[2] and masses[2] < 1e-12


def test_matrix_game_is_two_populations() -> None:
    result = alpha_rank(prisoners_dilemma(), alpha=50.0)
    assert result.profiles == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert result.ranking[0] == 3  # (defect, defect)
    assert result.stationary_distribution[3] == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(result.strategy_mass[0], [0.0, 1.0], atol=1e-12)


def test_huge_alpha_stays_exact() -> None:
    # Transition probabilities like e^-5000 underflow; the log-space solver keeps the
    # answer exact: strategy 2 beats both others, strategy 0 beats 1.
    game = np.array([[0.0, 1.0, -1.0], [-1.0, 0.0, -1.0], [1.0, 1.0, 0.0]])
    result = alpha_rank(game, alpha=1e4, population_size=100)
    assert np.isfinite(result.stationary_distribution).all()
    assert result.stationary_distribution[2] == pytest.approx(1.0)
    assert result.ranking == [2, 0, 1]


def test_floating_point_and_log_space_solvers_agree() -> None:
    rng = np.random.default_rng(8)
    log_rates = np.log(rng.random((150, 150))) * 2
    pi = _stationary_distribution(log_rates)  # 150 > 128 states: floating point
    w = log_rates.copy()
    np.fill_diagonal(w, -np.inf)
    log_pi = _gth_log(w)
    ref = np.exp(log_pi - log_pi.max())
    np.testing.assert_allclose(pi, ref / ref.sum(), rtol=1e-10)
    rates = np.exp(w)
    generator = rates - np.diag(rates.sum(axis=1))
    assert np.abs(pi @ generator).max() < 1e-14


# ---- cross-check with OpenSpiel ---------------------------------------------------------


def test_single_population_matches_openspiel(openspiel_alpharank: Any) -> None:
    rng = np.random.default_rng(1)
    for _ in range(5):
        game = rng.normal(size=(4, 4))
        for alpha in (0.1, 1.0, 5.0):
            ours = alpha_rank(game, alpha=alpha, population_size=20)
            _, _, pi, _, _ = openspiel_alpharank.compute(
                [game], m=20, alpha=alpha, use_local_selection_model=False
            )
            np.testing.assert_allclose(ours.stationary_distribution, pi, atol=1e-9)
    # Constant-sum games take OpenSpiel's closed-form branch.
    ours = alpha_rank(RPS * 2 + 1, alpha=3.0, population_size=30)
    _, _, pi, _, _ = openspiel_alpharank.compute(
        [RPS * 2 + 1], m=30, alpha=3.0, use_local_selection_model=False
    )
    np.testing.assert_allclose(ours.stationary_distribution, pi, atol=1e-12)


def test_multi_population_matches_openspiel(openspiel_alpharank: Any) -> None:
    rng = np.random.default_rng(2)
    cases = [[rng.normal(size=(3, 4)) for _ in range(2)] for _ in range(4)]
    cases += [[rng.normal(size=(2, 3, 2)) for _ in range(3)] for _ in range(2)]
    for tables in cases:
        for alpha in (0.5, 4.0):
            ours = alpha_rank(tables, alpha=alpha, population_size=15)
            rhos, _, pi, _, _ = openspiel_alpharank.compute(tables, m=15, alpha=alpha)
            np.testing.assert_allclose(ours.stationary_distribution, pi, atol=1e-10)
            np.testing.assert_allclose(ours.fixation_probabilities, rhos, atol=1e-12)


def test_large_chain_matches_openspiel(openspiel_alpharank: Any) -> None:
    # 13 x 13 = 169 profiles: above the log-space threshold, solved in floating point.
    rng = np.random.default_rng(3)
    tables = [rng.normal(size=(13, 13)) for _ in range(2)]
    ours = alpha_rank(tables, alpha=0.5, population_size=10)
    _, _, pi, _, _ = openspiel_alpharank.compute(tables, m=10, alpha=0.5)
    np.testing.assert_allclose(ours.stationary_distribution, pi, atol=1e-10)


# ---- input validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tables", "match"),
    [
        ([[1, 2, 3], [4, 5, 6]], "square"),
        ([], "empty"),
        ([[1, float("nan")], [0, 0]], "finite"),
        ([[1, 2], [3]], "ragged"),
        ([np.zeros((2, 2)), np.zeros((2, 3))], "shape"),
        ([np.zeros((2, 2, 2)), np.zeros((2, 2, 2))], "dimension"),
        ([np.zeros((2, 2)), np.full((2, 2), np.inf)], "finite"),
        ([np.zeros((2, 2)), np.array([["a", "b"], ["c", "d"]])], "real numbers"),
        ("rps", "payoff_tables must be"),
        (np.zeros(3), "payoff_tables must be"),
    ],
)
def test_bad_tables_are_refused(tables: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        alpha_rank(tables)


def test_bad_alpha_and_population_size() -> None:
    for alpha in (-1.0, float("inf"), float("nan"), True):
        with pytest.raises(InvalidParameterError, match="alpha"):
            alpha_rank(RPS, alpha=alpha)
    for m in (1, 0, 2.5, True):
        with pytest.raises(InvalidParameterError, match="population_size"):
            alpha_rank(RPS, population_size=m)  # type: ignore[arg-type]
