"""Normal-form equilibria: textbook games with known equilibria, agreement with nashpy on
random games, and input validation."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.matrix import (
    battle_of_the_sexes,
    matching_pennies,
    matrix_game,
    prisoners_dilemma,
    rock_paper_scissors,
    stag_hunt,
)
from redqueen.solve import (
    ZeroSumSolution,
    bimatrix_equilibria,
    lemke_howson,
    support_enumeration,
    zero_sum_nash,
)
from redqueen.solve.normal_form import (
    SUPPORT_ENUMERATION_MAX_PAIRS,
    is_nash_equilibrium,
    support_pair_count,
)


def _as_set(equilibria: Any) -> list[np.ndarray]:
    """Equilibria as sorted concatenated vectors, for comparing sets."""
    vectors = [np.r_[np.asarray(x, float), np.asarray(y, float)] for x, y in equilibria]
    return sorted(vectors, key=lambda v: tuple(np.round(v, 6)))


def _same_set(ours: Any, theirs: Any, tol: float = 1e-8) -> bool:
    a, b = _as_set(ours), _as_set(theirs)
    return len(a) == len(b) and all(np.abs(u - v).max() <= tol for u, v in zip(a, b, strict=True))


def _random_games(seed: int, count: int, max_size: int) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    games = []
    for _ in range(count):
        m, n = (int(s) for s in rng.integers(2, max_size + 1, size=2))
        games.append((rng.normal(size=(m, n)), rng.normal(size=(m, n))))
    return games


# ---- zero-sum games ---------------------------------------------------------------------


def test_matching_pennies_value_zero_and_uniform() -> None:
    sol = zero_sum_nash(matching_pennies())
    assert isinstance(sol, ZeroSumSolution)
    np.testing.assert_allclose(sol.row_strategy, [0.5, 0.5], atol=1e-12)
    np.testing.assert_allclose(sol.col_strategy, [0.5, 0.5], atol=1e-12)
    assert sol.value == pytest.approx(0.0, abs=1e-12)


def test_rock_paper_scissors_uniform_and_value_zero() -> None:
    sol = zero_sum_nash(rock_paper_scissors())
    np.testing.assert_allclose(sol.row_strategy, [1 / 3] * 3, atol=1e-12)
    np.testing.assert_allclose(sol.col_strategy, [1 / 3] * 3, atol=1e-12)
    assert sol.value == pytest.approx(0.0, abs=1e-12)
    # Support enumeration agrees: the uniform profile is the only equilibrium.
    (eq,) = bimatrix_equilibria(rock_paper_scissors())
    np.testing.assert_allclose(eq[0], [1 / 3] * 3, atol=1e-12)


def test_weighted_rock_paper_scissors_known_solution() -> None:
    # Rock beating scissors pays 2: A p = 0 gives p = (1/4, 1/2, 1/4), value 0 (the
    # game is symmetric, so both players play it).
    a = [[0, -1, 2], [1, 0, -1], [-2, 1, 0]]
    sol = zero_sum_nash(a)
    np.testing.assert_allclose(sol.row_strategy, [0.25, 0.5, 0.25], atol=1e-12)
    np.testing.assert_allclose(sol.col_strategy, [0.25, 0.5, 0.25], atol=1e-12)
    assert sol.value == pytest.approx(0.0, abs=1e-12)


def test_zero_sum_value_of_a_game_with_a_saddle_point() -> None:
    # Row 1 guarantees 2 (its minimum); column 0 holds the row player to 2 (its
    # maximum): a pure saddle point with value 2.
    sol = zero_sum_nash([[1, 3], [2, 4], [0, 5]])
    assert sol.value == pytest.approx(2.0, abs=1e-12)
    np.testing.assert_allclose(sol.row_strategy, [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(sol.col_strategy, [1, 0], atol=1e-12)


def test_zero_sum_value_matches_both_lps_on_random_games() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        m, n = (int(s) for s in rng.integers(1, 7, size=2))
        a = rng.normal(size=(m, n))
        sol = zero_sum_nash(a)
        # Each strategy guarantees the value: the row one at least, the column one at most.
        assert (sol.row_strategy @ a >= sol.value - 1e-9).all()
        assert (a @ sol.col_strategy <= sol.value + 1e-9).all()
        assert sol.row_strategy @ a @ sol.col_strategy == pytest.approx(sol.value, abs=1e-9)
        # Random zero-sum games have a unique equilibrium: support enumeration finds it.
        (eq,) = support_enumeration(a, -a)
        np.testing.assert_allclose(eq[0], sol.row_strategy, atol=1e-9)
        np.testing.assert_allclose(eq[1], sol.col_strategy, atol=1e-9)


def test_zero_sum_value_matches_nashpy() -> None:
    nashpy = pytest.importorskip("nashpy", reason="nashpy cross-check: pip install nashpy")
    rng = np.random.default_rng(11)
    for _ in range(30):
        m, n = (int(s) for s in rng.integers(2, 7, size=2))
        a = rng.normal(size=(m, n))
        sol = zero_sum_nash(a)
        x, y = nashpy.Game(a).linear_program()
        assert float(x @ a @ y) == pytest.approx(sol.value, abs=1e-8)
        np.testing.assert_allclose(sol.row_strategy, x, atol=1e-8)
        np.testing.assert_allclose(sol.col_strategy, y, atol=1e-8)


def test_zero_sum_nash_accepts_constant_sum_game_and_refuses_general_sum() -> None:
    const = matrix_game(payoffs=[[[3, 1], [1, 3]], [[1, 3], [3, 1]]])  # sums to 4
    sol = zero_sum_nash(const)
    np.testing.assert_allclose(sol.row_strategy, [0.5, 0.5], atol=1e-12)
    assert sol.value == pytest.approx(2.0)
    with pytest.raises(InvalidParameterError, match="bimatrix_equilibria"):
        zero_sum_nash(prisoners_dilemma())


# ---- bimatrix games: textbook equilibria ------------------------------------------------


def test_prisoners_dilemma_unique_equilibrium_defect_defect() -> None:
    methods: list[Any] = ["support_enumeration", "lemke_howson", "auto"]
    for method in methods:
        eqs = bimatrix_equilibria(prisoners_dilemma(), method=method)
        assert len(eqs) == 1
        x, y = eqs[0]
        np.testing.assert_array_equal(x, [0.0, 1.0])
        np.testing.assert_array_equal(y, [0.0, 1.0])


def test_battle_of_the_sexes_has_exactly_three_equilibria() -> None:
    # Osborne (2004), ch. 4: (Bach, Bach), (Stravinsky, Stravinsky), and the mixed one in
    # which player 0 plays Bach with 2/3 and player 1 plays Bach with 1/3.
    eqs = bimatrix_equilibria(battle_of_the_sexes())
    expected = [
        ([1.0, 0.0], [1.0, 0.0]),
        ([0.0, 1.0], [0.0, 1.0]),
        ([2 / 3, 1 / 3], [1 / 3, 2 / 3]),
    ]
    assert _same_set(eqs, expected, tol=1e-12)


def test_stag_hunt_three_equilibria() -> None:
    # Payoffs R=2, S=0, T=1, P=1: mixed equilibrium at stag with probability 1/2.
    eqs = bimatrix_equilibria(stag_hunt())
    expected = [([1, 0], [1, 0]), ([0, 1], [0, 1]), ([0.5, 0.5], [0.5, 0.5])]
    assert _same_set(eqs, expected, tol=1e-12)


def test_single_matrix_means_zero_sum() -> None:
    (eq,) = bimatrix_equilibria([[1, -1], [-1, 1]])
    np.testing.assert_allclose(eq[0], [0.5, 0.5])
    np.testing.assert_allclose(eq[1], [0.5, 0.5])


def test_lemke_howson_battle_of_the_sexes_reaches_pure_equilibria() -> None:
    # Lemke-Howson paths from the artificial equilibrium end at equilibria of the
    # opposite index (Shapley 1974, "A note on the Lemke-Howson algorithm"): here the two
    # pure ones, never the mixed one.
    game = battle_of_the_sexes()
    found = [lemke_howson(game, initial_dropped_label=k) for k in range(4)]
    pure = [([1.0, 0.0], [1.0, 0.0]), ([0.0, 1.0], [0.0, 1.0])]
    for x, y in found:
        assert any(np.allclose(x, px) and np.allclose(y, py) for px, py in pure)


def test_degenerate_game_finds_pure_equilibria_and_lemke_howson_terminates() -> None:
    # All payoffs equal: every profile is an equilibrium (a continuum). Support enumeration
    # returns the pure ones; Lemke-Howson (lexicographic rule) still ends at one.
    a = np.zeros((2, 3))
    eqs = support_enumeration(a, a)
    assert len(eqs) == 6
    for k in range(5):
        x, y = lemke_howson(a, a, initial_dropped_label=k)
        assert is_nash_equilibrium(a, a, x, y)
    # Degenerate: against row 0 both columns pay the column player 3, so a support of
    # size 1 has two best replies.
    a2 = np.array([[3, 3], [2, 5], [0, 6]])
    b2 = np.array([[3, 3], [2, 6], [3, 1]])
    for k in range(5):
        x, y = lemke_howson(a2, b2, initial_dropped_label=k)
        assert is_nash_equilibrium(a2, b2, x, y)
    for x, y in support_enumeration(a2, b2):
        assert is_nash_equilibrium(a2, b2, x, y)


def test_auto_switches_to_lemke_howson_above_the_limit() -> None:
    assert support_pair_count(9, 9) <= SUPPORT_ENUMERATION_MAX_PAIRS
    assert support_pair_count(10, 10) > SUPPORT_ENUMERATION_MAX_PAIRS
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(10, 11)), rng.normal(size=(10, 11))
    eqs = bimatrix_equilibria(a, b)
    assert eqs
    for x, y in eqs:
        assert is_nash_equilibrium(a, b, x, y)
    assert _same_set(eqs, bimatrix_equilibria(a, b, method="lemke_howson"))


def test_every_returned_profile_is_an_equilibrium_and_count_is_odd() -> None:
    # A nondegenerate game has an odd number of equilibria (Shapley 1974).
    for a, b in _random_games(seed=5, count=40, max_size=6):
        eqs = support_enumeration(a, b)
        assert len(eqs) % 2 == 1
        for x, y in eqs:
            assert x.sum() == pytest.approx(1.0) and y.sum() == pytest.approx(1.0)
            assert (x >= 0).all() and (y >= 0).all()
            assert is_nash_equilibrium(a, b, x, y, tol=1e-10)


# ---- bimatrix games: cross-check with nashpy --------------------------------------------


def test_support_enumeration_matches_nashpy_on_random_games() -> None:
    """All equilibria equal nashpy's, as sets, to 1e-8 on 60 random nondegenerate games.

    The reference is nashpy's vertex enumeration: nashpy 0.0.43's support enumeration
    compares floats exactly (``row_payoffs.max() == ...``, ``all(prob >= 0)``) and misses
    equilibria of games with float payoffs.
    """
    nashpy = pytest.importorskip("nashpy", reason="nashpy cross-check: pip install nashpy")
    for a, b in _random_games(seed=2024, count=60, max_size=4):
        ours = bimatrix_equilibria(a, b)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = list(nashpy.Game(a, b).vertex_enumeration())
        assert _same_set(ours, theirs), (a, b, ours, theirs)


def test_lemke_howson_matches_nashpy_from_every_label() -> None:
    """The same equilibrium as nashpy from every initial label, on 60 random games.

    Games have m + n <= 8: nashpy 0.0.43 builds the column strategy by iterating over a
    Python set of labels, which comes out of order once labels reach 8, so for larger
    games we only check that our answer is an equilibrium.
    """
    nashpy = pytest.importorskip("nashpy", reason="nashpy cross-check: pip install nashpy")
    rng = np.random.default_rng(99)
    checked = 0
    while checked < 60:
        m, n = (int(s) for s in rng.integers(2, 6, size=2))
        if m + n > 8:
            continue
        a, b = rng.normal(size=(m, n)), rng.normal(size=(m, n))
        game = nashpy.Game(a, b)
        for label in range(m + n):
            x, y = lemke_howson(a, b, initial_dropped_label=label)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rx, ry = game.lemke_howson(initial_dropped_label=label)
            np.testing.assert_allclose(x, rx, atol=1e-8)
            np.testing.assert_allclose(y, ry, atol=1e-8)
        checked += 1


def test_lemke_howson_results_are_among_all_equilibria() -> None:
    for a, b in _random_games(seed=17, count=30, max_size=6):
        all_eqs = support_enumeration(a, b)
        for label in range(sum(a.shape)):
            found = lemke_howson(a, b, initial_dropped_label=label)
            assert any(_same_set([found], [e]) for e in all_eqs)


# ---- input validation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "match"),
    [
        ([], "empty"),
        ([[]], "empty"),
        ([[1, 2], [3]], "ragged"),
        ([[1, "x"], [3, 4]], "real numbers"),
        ([[1, True], [3, 4]], "real numbers"),
        ([[1, float("nan")], [3, 4]], "finite"),
        ([[1, float("inf")], [3, 4]], "finite"),
        ([1, 2, 3], "list of rows"),
        (np.zeros((2, 2, 2)), "2-D"),
        (np.array([["a", "b"]]), "real numbers"),
        ("abc", "matrix"),
    ],
)
def test_bad_matrices_are_refused(a: Any, match: str) -> None:
    with pytest.raises(InvalidParameterError, match=match):
        zero_sum_nash(a)
    with pytest.raises(InvalidParameterError, match=match):
        bimatrix_equilibria(a, [[0]])


def test_shape_mismatch_between_a_and_b() -> None:
    with pytest.raises(InvalidParameterError, match=r"A is 2x2 but B is 2x3"):
        bimatrix_equilibria([[1, 2], [3, 4]], [[1, 2, 3], [4, 5, 6]])


def test_game_and_b_together_refused() -> None:
    with pytest.raises(InvalidParameterError, match="not a game and B"):
        bimatrix_equilibria(prisoners_dilemma(), [[0, 0], [0, 0]])


def test_unknown_method_and_bad_label() -> None:
    with pytest.raises(UnknownNameError, match="lemke_howson, support_enumeration"):
        bimatrix_equilibria([[1]], [[1]], method="simplex")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match=r"0\.\.3"):
        lemke_howson([[1, 2], [3, 4]], [[1, 2], [3, 4]], initial_dropped_label=4)
    with pytest.raises(InvalidParameterError, match="integer"):
        lemke_howson([[1, 2], [3, 4]], None, initial_dropped_label=True)
