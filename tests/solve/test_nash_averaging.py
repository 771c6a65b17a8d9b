"""Nash averaging: the cyclic and transitive cases, invariance to copies of an agent (the
property Balduzzi et al. 2018 designed it for), maximum entropy, and input validation."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError
from redqueen.games.matrix import prisoners_dilemma, rock_paper_scissors
from redqueen.solve import nash_averaging, zero_sum_nash

CYCLE = [[0, 1, -1], [-1, 0, 1], [1, -1, 0]]


def _entropy(p: np.ndarray) -> float:
    q = p[p > 0]
    return float(-(q * np.log(q)).sum())


def test_cyclic_tournament_gives_equal_ratings_and_uniform_nash() -> None:
    result = nash_averaging(CYCLE)
    np.testing.assert_allclose(result.equilibrium, [1 / 3] * 3, atol=1e-12)
    np.testing.assert_allclose(result.ratings, [0.0, 0.0, 0.0], atol=1e-12)
    assert result.support == [0, 1, 2]
    # The same from the rock-paper-scissors game.
    game = nash_averaging(rock_paper_scissors())
    np.testing.assert_allclose(game.equilibrium, [1 / 3] * 3, atol=1e-12)


def test_transitive_tournament_puts_all_mass_on_the_best_agent() -> None:
    # Elo-like: agent i beats j by (j - i). The best agent is a pure equilibrium and the
    # ratings are how much each loses to it.
    a = [[0, 1, 2], [-1, 0, 1], [-2, -1, 0]]
    result = nash_averaging(a)
    np.testing.assert_array_equal(result.equilibrium, [1.0, 0.0, 0.0])
    np.testing.assert_allclose(result.ratings, [0.0, -1.0, -2.0], atol=1e-15)
    assert result.support == [0]


def test_copies_of_an_agent_share_its_mass_and_change_no_rating() -> None:
    # Rock entered twice: rock's 1/3 splits evenly between the copies (the maximum-entropy
    # choice among the equilibria (a, 1/3 - a, 1/3, 1/3)); every rating stays 0.
    idx = [0, 0, 1, 2]
    dup = np.asarray(CYCLE, float)[np.ix_(idx, idx)]
    result = nash_averaging(dup)
    np.testing.assert_allclose(result.equilibrium, [1 / 6, 1 / 6, 1 / 3, 1 / 3], atol=1e-12)
    np.testing.assert_allclose(result.ratings, 0.0, atol=1e-12)


def test_invariance_to_redundant_copies_on_random_tournaments() -> None:
    # Balduzzi et al. 2018, Proposition 2 (invariance): adding copies of agents leaves the
    # Nash averages of the original agents unchanged, and the copies of an agent share
    # its mass equally.
    rng = np.random.default_rng(0)
    for _ in range(25):
        n = int(rng.integers(2, 7))
        x = rng.normal(size=(n, n))
        a = x - x.T
        base = nash_averaging(a)
        idx = np.r_[np.arange(n), rng.integers(0, n, size=int(rng.integers(1, 4)))]
        dup = nash_averaging(a[np.ix_(idx, idx)])
        np.testing.assert_allclose(dup.ratings, base.ratings[idx], atol=1e-10)
        mass = np.bincount(idx, weights=dup.equilibrium, minlength=n)
        np.testing.assert_allclose(mass, base.equilibrium, atol=1e-10)
        for i in range(n):
            copies = dup.equilibrium[idx == i]
            assert copies.max() - copies.min() < 1e-10


def test_unique_equilibrium_matches_the_lp() -> None:
    # A random antisymmetric matrix has a unique equilibrium: the zero-sum LP finds it too.
    rng = np.random.default_rng(1)
    for _ in range(20):
        n = int(rng.integers(2, 9))
        x = rng.normal(size=(n, n))
        a = x - x.T
        result = nash_averaging(a)
        sol = zero_sum_nash(a)
        assert sol.value == pytest.approx(0.0, abs=1e-9)
        np.testing.assert_allclose(result.equilibrium, sol.row_strategy, atol=1e-9)
        np.testing.assert_allclose(result.ratings, a @ sol.row_strategy, atol=1e-9)
        assert (result.ratings <= 1e-12).all()


def test_maximum_entropy_among_equilibria() -> None:
    # Agents 0-2 play rock-paper-scissors; agent 3 ties with everyone, so every mixture
    # of uniform-RPS and agent 3 is an equilibrium: t * (1/3, 1/3, 1/3, 0) + (1 - t) e_3.
    # Entropy -t log(t/3) - (1 - t) log(1 - t) is largest at t = 3/4: the uniform over 4.
    a = np.zeros((4, 4))
    a[:3, :3] = CYCLE
    result = nash_averaging(a)
    np.testing.assert_allclose(result.equilibrium, [0.25] * 4, atol=1e-12)
    # Random equilibria of the same game have less entropy.
    rng = np.random.default_rng(2)
    for t in rng.random(10):
        other = np.r_[np.full(3, t / 3), 1 - t]
        assert np.abs(a @ other).max() < 1e-12  # it is an equilibrium
        assert _entropy(other) <= _entropy(result.equilibrium) + 1e-12


def test_agent_outside_every_support_gets_a_negative_rating() -> None:
    # Agent 3 ties with rock and paper and loses to scissors by 1. Scissors' constraint
    # p_0 - p_1 + p_3 <= 0 with the cycle's p_1 <= p_2 <= p_0 forces p_3 = 0 and the
    # uniform RPS mixture; agent 3 loses p_2 = 1/3 to it.
    a = np.zeros((4, 4))
    a[:3, :3] = CYCLE
    a[3, 2], a[2, 3] = -1.0, 1.0
    result = nash_averaging(a)
    np.testing.assert_allclose(result.equilibrium, [1 / 3, 1 / 3, 1 / 3, 0.0], atol=1e-12)
    np.testing.assert_allclose(result.ratings, [0, 0, 0, -1 / 3], atol=1e-12)


# ---- input validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "match"),
    [
        ([[0, 1], [1, 0]], "antisymmetric"),
        ([[1, 0], [0, 0]], "antisymmetric"),
        ([[0, 1, 2], [-1, 0, 1]], "square"),
        ([], "empty"),
        ([[0, 1], [-1]], "ragged"),
        ([[0, float("nan")], [0, 0]], "finite"),
        ([[0, "1"], [-1, 0]], "real numbers"),
    ],
)
def test_bad_matrices_are_refused(a: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        nash_averaging(a)


def test_general_sum_game_is_refused() -> None:
    with pytest.raises(InvalidParameterError, match="antisymmetric"):
        nash_averaging(prisoners_dilemma())


def test_the_package_exports_the_function_not_a_module() -> None:
    import redqueen.solve as solve_package

    assert callable(solve_package.nash_averaging)
    assert callable(solve_package.alpha_rank)


def test_mccfr_is_exported_as_the_function() -> None:
    import redqueen.solve as solve_package

    assert callable(solve_package.mccfr)
