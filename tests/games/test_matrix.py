"""Matrix games: exact payoffs of the presets, input validation, utility-kind detection,
rebuilding from the spec, the checker, and the 144 ordinal 2x2 games."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError, RedqueenError
from redqueen.games import SIMULTANEOUS, TERMINAL, UtilityKind, check_game
from redqueen.games.matrix import (
    ORDINAL_2X2_PATTERNS,
    ORDINAL_2X2_SYMMETRIC,
    MatrixGame,
    locate_ordinal_2x2,
    matrix_game,
    ordinal_2x2,
    prisoners_dilemma,
)

PRESETS = [
    "prisoners_dilemma",
    "stag_hunt",
    "chicken",
    "battle_of_the_sexes",
    "matching_pennies",
    "rock_paper_scissors",
]

# (row payoffs A, column payoffs B, row action names, column action names), by preset id.
EXPECTED: dict[str, tuple[list[list[float]], list[list[float]], list[str], list[str]]] = {
    "prisoners_dilemma": (
        [[3, 0], [5, 1]],
        [[3, 5], [0, 1]],
        ["cooperate", "defect"],
        ["cooperate", "defect"],
    ),
    "stag_hunt": ([[2, 0], [1, 1]], [[2, 1], [0, 1]], ["stag", "hare"], ["stag", "hare"]),
    "chicken": (
        [[0, -1], [1, -1000]],
        [[0, 1], [-1, -1000]],
        ["swerve", "straight"],
        ["swerve", "straight"],
    ),
    "battle_of_the_sexes": (
        [[2, 0], [0, 1]],
        [[1, 0], [0, 2]],
        ["Bach", "Stravinsky"],
        ["Bach", "Stravinsky"],
    ),
    "matching_pennies": (
        [[1, -1], [-1, 1]],
        [[-1, 1], [1, -1]],
        ["heads", "tails"],
        ["heads", "tails"],
    ),
    "rock_paper_scissors": (
        [[0, -1, 1], [1, 0, -1], [-1, 1, 0]],
        [[0, 1, -1], [-1, 0, 1], [1, -1, 0]],
        ["rock", "paper", "scissors"],
        ["rock", "paper", "scissors"],
    ),
}


def make_matrix(game_id: str, **params: Any) -> MatrixGame:
    """``redqueen.make`` through the registry, typed as the matrix game it returns."""
    game = redqueen.make(game_id, **params)
    assert isinstance(game, MatrixGame)
    return game


def play(game: MatrixGame, a0: int, a1: int) -> list[float]:
    state = game.new_initial_state()
    assert state.current_player() == SIMULTANEOUS
    state.apply_joint_action([a0, a1])
    assert state.current_player() == TERMINAL
    return state.returns()


# ---- presets ----------------------------------------------------------------------------


@pytest.mark.parametrize("game_id", PRESETS)
def test_preset_payoffs_for_every_joint_action(game_id: str) -> None:
    game = make_matrix(game_id)
    assert isinstance(game, MatrixGame)
    a, b, rows, cols = EXPECTED[game_id]
    for i, j in itertools.product(range(len(a)), range(len(a[0]))):
        assert play(game, i, j) == [a[i][j], b[i][j]], (game_id, i, j)
    got_a, got_b = game.payoff_matrices()
    np.testing.assert_array_equal(got_a, a)
    np.testing.assert_array_equal(got_b, b)
    assert game.action_names(0) == rows
    assert game.action_names(1) == cols
    assert game.spec.id == game_id


def test_prisoners_dilemma_defaults_are_axelrods() -> None:
    game = make_matrix("prisoners_dilemma")
    assert game.params == {"R": 3, "S": 0, "T": 5, "P": 1}
    assert play(game, 0, 0) == [3, 3]  # R
    assert play(game, 0, 1) == [0, 5]  # S, T
    assert play(game, 1, 0) == [5, 0]  # T, S
    assert play(game, 1, 1) == [1, 1]  # P
    assert game.spec.utility == UtilityKind.GENERAL_SUM
    assert game.spec.utility_sum is None
    assert (game.spec.min_utility, game.spec.max_utility) == (0, 5)


def test_prisoners_dilemma_custom_payoffs() -> None:
    game = make_matrix("prisoners_dilemma", R=2, S=-1, T=3.5, P=0)
    assert play(game, 0, 0) == [2, 2]
    assert play(game, 0, 1) == [-1, 3.5]
    assert play(game, 1, 0) == [3.5, -1]
    assert play(game, 1, 1) == [0, 0]
    assert game.params == {"R": 2, "S": -1, "T": 3.5, "P": 0}


@pytest.mark.parametrize(
    ("game_id", "params", "rule"),
    [
        ("prisoners_dilemma", {"T": 3}, "T > R > P > S"),
        ("prisoners_dilemma", {"P": 4}, "T > R > P > S"),
        ("prisoners_dilemma", {"S": 2}, "T > R > P > S"),
        ("stag_hunt", {"T": 3}, "R > T >= P > S"),
        ("chicken", {"P": 0}, "T > R > S > P"),
        ("battle_of_the_sexes", {"other": 2}, "preferred > other > apart"),
        ("matching_pennies", {"stake": 0}, "stake must be > 0"),
        ("rock_paper_scissors", {"tie": 2}, "win > tie > lose"),
        ("prisoners_dilemma", {"R": "3"}, "finite numbers"),
        ("prisoners_dilemma", {"R": float("nan")}, "finite numbers"),
    ],
)
def test_preset_rules_are_enforced(game_id: str, params: dict[str, Any], rule: str) -> None:
    with pytest.raises(InvalidParameterError, match=re.escape(rule)):
        make_matrix(game_id, **params)


def test_stag_hunt_allows_hare_payoff_ties_but_chicken_has_its_order() -> None:
    sh = make_matrix("stag_hunt", R=4, S=0, T=3, P=3)
    assert play(sh, 1, 0) == [3, 0]
    assert play(sh, 1, 1) == [3, 3]
    ch = make_matrix("chicken", R=3, S=2, T=4, P=1)
    assert play(ch, 1, 1) == [1, 1]


def test_preset_utility_kinds() -> None:
    assert make_matrix("matching_pennies").spec.utility == UtilityKind.ZERO_SUM
    assert make_matrix("rock_paper_scissors").spec.utility == UtilityKind.ZERO_SUM
    weighted = make_matrix("rock_paper_scissors", win=2, lose=-1, tie=0.5)
    assert weighted.spec.utility == UtilityKind.CONSTANT_SUM
    assert weighted.spec.utility_sum == 1.0
    biased = make_matrix("rock_paper_scissors", win=3, lose=0, tie=1)
    assert biased.spec.utility == UtilityKind.GENERAL_SUM  # 3+0 != 1+1
    for game_id in ("prisoners_dilemma", "stag_hunt", "chicken", "battle_of_the_sexes"):
        assert make_matrix(game_id).spec.utility == UtilityKind.GENERAL_SUM


# ---- the general factory ----------------------------------------------------------------


def test_single_matrix_means_zero_sum() -> None:
    game = matrix_game(payoffs=[[1, -2, 3], [0, 4, -1]])
    a, b = game.payoff_matrices()
    np.testing.assert_array_equal(b, -a)
    assert game.spec.utility == UtilityKind.ZERO_SUM
    assert game.spec.utility_sum == 0.0
    assert play(game, 1, 1) == [4, -4]
    assert game.spec.num_distinct_actions == 3


def test_three_by_two_bimatrix() -> None:
    game = make_matrix(
        "matrix",
        payoffs=[[[1, 2], [3, 4], [5, 6]], [[6, 5], [4, 3], [2, 1]]],
        row_actions=["up", "middle", "down"],
        col_actions=["left", "right"],
        name="three by two",
    )
    assert game.spec.num_distinct_actions == 3
    assert game.spec.utility == UtilityKind.CONSTANT_SUM
    assert game.spec.utility_sum == 7.0
    state = game.new_initial_state()
    assert state.legal_actions(0) == [0, 1, 2]
    assert state.legal_actions(1) == [0, 1]
    assert state.parse_action("Middle", 0) == 1
    assert state.parse_action("ri", 1) == 1
    assert state.action_text(2, 0) == "down"
    with pytest.raises(IllegalActionError, match="left"):
        state.apply_joint_action([0, 2])  # the column player has only 2 actions
    assert state.current_player() == SIMULTANEOUS and state.history() == []
    state.apply_joint_action([2, 1])
    assert state.returns() == [6, 1]
    assert "down" in state.observation_text(0) and "right" in state.observation_text(0)
    assert "Three by two" in game.rules_text()
    report = check_game(game, n_games=200)
    assert report.games_played == 200


def test_general_sum_and_default_action_names() -> None:
    game = matrix_game(payoffs=[[[1, 0]], [[0, 2]]])
    assert game.spec.utility == UtilityKind.GENERAL_SUM
    assert game.spec.utility_sum is None
    assert game.action_names(0) == ["row 0"]
    assert game.action_names(1) == ["column 0", "column 1"]
    assert game.new_initial_state().legal_actions(0) == [0]


def test_numpy_payoffs_are_accepted() -> None:
    a = np.array([[0.5, 1.0], [2.0, -1.5]])
    game = matrix_game(payoffs=np.stack([a, a.T]))
    np.testing.assert_array_equal(game.payoff_matrices()[1], a.T)
    json.dumps(game.spec.params)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"payoffs": []}, "payoffs must be"),
        ({"payoffs": [1, 2]}, "flat list"),
        ({"payoffs": [[]]}, "non-empty list of numbers"),
        ({"payoffs": [[1, 2], [3]]}, "ragged"),
        ({"payoffs": [[[1, 2], [3, 4]], [[1, 2]]]}, "same shape"),
        ({"payoffs": [[[1]], [[1]], [[1]]]}, "list of 3 matrices"),
        ({"payoffs": [[1, "x"]]}, r"payoffs\[0\]\[1\] is 'x'"),
        ({"payoffs": [[1, True]]}, "finite numbers"),
        ({"payoffs": [[1, float("inf")]]}, "finite numbers"),
        ({"payoffs": "abc"}, "payoffs must be"),
        ({"payoffs": [[1, 2]], "row_actions": ["a", "b"]}, "exactly 1 names"),
        ({"payoffs": [[1, 2]], "col_actions": ["a", "A "]}, "duplicate name"),
        ({"payoffs": [[1, 2]], "col_actions": ["a", ""]}, "non-empty strings"),
        ({"payoffs": [[1, 2]], "col_actions": "ab"}, "list of 2"),
        ({"payoffs": [[1, 2]], "name": ""}, "name must be"),
    ],
)
def test_bad_input_says_what_is_allowed(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        matrix_game(**kwargs)


def test_action_text_needs_a_seat_at_the_simultaneous_node() -> None:
    state = make_matrix("prisoners_dilemma").new_initial_state()
    with pytest.raises(RedqueenError, match=r"needs a player: one of \[0, 1\]"):
        state.action_text(0)
    assert state.action_text(1, 1) == "defect"
    assert state.parse_action("c", 0) == 0


def test_information_state_and_texts() -> None:
    game = make_matrix("prisoners_dilemma")
    state = game.new_initial_state()
    root_key = state.information_state_key(0)
    text = state.observation_text(1)
    assert "you defect, they cooperate: you get 5, they get 0" in text
    assert "Choose one of: cooperate, defect." in text
    state.apply_joint_action([1, 0])
    assert state.information_state_key(0) != root_key
    assert "you played cooperate, they played defect; you got 0, they got 5" in (
        state.observation_text(1)
    )
    rules = game.rules_text()
    assert "cooperate | 3, 3" in rules and "defect    | 5, 0" in rules


# ---- rebuilding and the checker ---------------------------------------------------------

REBUILD_CASES: list[tuple[str, dict[str, Any]]] = [
    *[(game_id, {}) for game_id in PRESETS],
    ("prisoners_dilemma", {"R": 4, "S": -1, "T": 6.5, "P": 0}),
    ("matrix", {"payoffs": [[1, 2], [3, 4]]}),
    ("matrix", {"payoffs": [[[1, 2.5], [3, 4], [0, 0]], [[0, 1], [1, 0], [2, 2]]]}),
    ("matrix", {"payoffs": [[1, 2]], "row_actions": ["only"], "name": "tiny"}),
    ("ordinal_2x2", {"index": 1}),
    ("ordinal_2x2", {"index": 97}),
]


@pytest.mark.parametrize(("game_id", "params"), REBUILD_CASES)
def test_spec_params_rebuild_an_equal_game(game_id: str, params: dict[str, Any]) -> None:
    game = make_matrix(game_id, **params)
    assert game.spec.id == game_id
    via_json = json.loads(json.dumps(game.spec.params))
    twin = make_matrix(game.spec.id, **via_json)
    assert twin == game
    assert hash(twin) == hash(game)
    assert twin.spec == game.spec


def test_games_with_different_payoffs_are_not_equal() -> None:
    assert make_matrix("prisoners_dilemma") != make_matrix("prisoners_dilemma", T=6)
    assert make_matrix("ordinal_2x2", index=1) != make_matrix("ordinal_2x2", index=2)


CHECK_CASES: list[tuple[str, dict[str, Any]]] = [
    *[(game_id, {}) for game_id in PRESETS],
    ("matrix", {"payoffs": [[[1, 2], [3, 4], [5, 6]], [[0, 1], [1, 0], [2, 2]]]}),
    *[("ordinal_2x2", {"index": k}) for k in (1, 14, 40, 79, 100, 144)],
]


@pytest.mark.parametrize(("game_id", "params"), CHECK_CASES)
def test_check_game(game_id: str, params: dict[str, Any]) -> None:
    report = check_game(make_matrix(game_id, **params), n_games=100)
    assert report.max_length_seen == 1


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda m: st.integers(1, 4).flatmap(
            lambda n: st.tuples(
                st.lists(
                    st.lists(st.integers(-5, 5), min_size=n, max_size=n), min_size=m, max_size=m
                ),
                st.lists(
                    st.lists(st.integers(-5, 5), min_size=n, max_size=n), min_size=m, max_size=m
                ),
            )
        )
    )
)
def test_random_bimatrices(payoffs: tuple[list[list[int]], list[list[int]]]) -> None:
    a, b = payoffs
    game = matrix_game(payoffs=[a, b])
    sums = {x + y for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)}
    if len(sums) > 1:
        assert game.spec.utility == UtilityKind.GENERAL_SUM
    elif sums == {0}:
        assert game.spec.utility == UtilityKind.ZERO_SUM
    else:
        assert game.spec.utility == UtilityKind.CONSTANT_SUM
        assert game.spec.utility_sum == sums.pop()
    for i, j in itertools.product(range(len(a)), range(len(a[0]))):
        assert play(game, i, j) == [a[i][j], b[i][j]]


# ---- the 144 ordinal 2x2 games ----------------------------------------------------------


def _relabellings(a: np.ndarray, b: np.ndarray) -> list[tuple[bytes, bytes]]:
    """The game under all four relabellings of the two players' strategies."""
    out = []
    for swap_rows, swap_cols in itertools.product((False, True), repeat=2):
        aa, bb = a, b
        if swap_rows:
            aa, bb = aa[::-1, :], bb[::-1, :]
        if swap_cols:
            aa, bb = aa[:, ::-1], bb[:, ::-1]
        out.append((aa.tobytes(), bb.tobytes()))
    return out


def _canonical(a: np.ndarray, b: np.ndarray) -> tuple[bytes, bytes]:
    return min(_relabellings(a, b))


def _canonical_with_player_swap(a: np.ndarray, b: np.ndarray) -> tuple[bytes, bytes]:
    # Swapping the players: the old column player becomes the row player.
    return min(_canonical(a, b), _canonical(np.ascontiguousarray(b.T), np.ascontiguousarray(a.T)))


ALL_144 = [ordinal_2x2(index=k) for k in range(1, 145)]


def test_each_players_payoffs_are_a_permutation_of_the_ranks() -> None:
    for game in ALL_144:
        a, b = game.payoff_matrices()
        assert sorted(a.ravel()) == [1, 2, 3, 4]
        assert sorted(b.ravel()) == [1, 2, 3, 4]


def test_the_144_are_distinct_up_to_relabelling_strategies_and_cover_every_game() -> None:
    canon = {_canonical(*g.payoff_matrices()) for g in ALL_144}
    assert len(canon) == 144
    # Every strict ordinal 2x2 game (24 x 24 payoff assignments) is one of them.
    every = set()
    for pa, pb in itertools.product(itertools.permutations(range(1, 5)), repeat=2):
        a = np.array(pa, dtype=np.float64).reshape(2, 2)
        b = np.array(pb, dtype=np.float64).reshape(2, 2)
        every.add(_canonical(a, b))
    assert every == canon


def test_swapping_players_leaves_78_classes_with_the_12_symmetric_games_fixed() -> None:
    classes = {_canonical_with_player_swap(*g.payoff_matrices()) for g in ALL_144}
    assert len(classes) == 78  # Rapoport & Guyer (1966)
    for k, game in enumerate(ALL_144, start=1):
        r, c = divmod(k - 1, 12)
        mirror = ALL_144[12 * c + r]
        a, b = game.payoff_matrices()
        ma, mb = mirror.payoff_matrices()
        # game (c, r) is game (r, c) with the players' roles exchanged
        np.testing.assert_array_equal(ma, b.T)
        np.testing.assert_array_equal(mb, a.T)


def test_the_12_symmetric_games_are_the_diagonal() -> None:
    symmetric = [
        k
        for k, g in enumerate(ALL_144, start=1)
        if np.array_equal(g.payoff_matrices()[1], g.payoff_matrices()[0].T)
    ]
    assert symmetric == [13 * i + 1 for i in range(12)]
    assert len(ORDINAL_2X2_PATTERNS) == 12


def test_named_games_are_where_the_documentation_says() -> None:
    assert ORDINAL_2X2_SYMMETRIC == {
        "prisoners_dilemma": 1,
        "chicken": 14,
        "leader": 27,
        "hero": 40,
        "deadlock": 66,
        "stag_hunt": 79,
    }
    # The presets (reduced to ranks, in any strategy order) land on their documented cells.
    assert locate_ordinal_2x2(make_matrix("prisoners_dilemma").payoff_matrices()) == 1
    assert (
        locate_ordinal_2x2(make_matrix("prisoners_dilemma", R=4, S=-3, T=9, P=0).payoff_matrices())
        == 1
    )
    assert locate_ordinal_2x2(make_matrix("chicken").payoff_matrices()) == 14
    assert locate_ordinal_2x2(make_matrix("stag_hunt", R=4, S=0, T=3, P=2).payoff_matrices()) == 79
    # The orderings, in the (R, S, T, P) notation of each symmetric game.
    rstp = {
        name: ORDINAL_2X2_PATTERNS[(k - 1) // 13][1] for name, k in ORDINAL_2X2_SYMMETRIC.items()
    }

    def order(name: str) -> str:
        r, s, t, p = rstp[name]
        return ">".join(x for _, x in sorted(zip((r, s, t, p), "RSTP", strict=True), reverse=True))

    assert order("prisoners_dilemma") == "T>R>P>S"
    assert order("chicken") == "T>R>S>P"
    assert order("stag_hunt") == "R>T>P>S"
    assert order("deadlock") == "T>P>R>S"
    assert order("leader") == "T>S>R>P"
    assert order("hero") == "T>S>P>R"  # S>T>R>P with C and D relabelled
    # Game 1 is the prisoner's dilemma with cooperate = action 0.
    np.testing.assert_array_equal(ALL_144[0].payoff_matrices()[0], [[3, 1], [4, 2]])
    assert "prisoner's dilemma" in ALL_144[0].name


def test_quadrants_group_games_by_where_the_best_outcomes_lie() -> None:
    def where_best(m: np.ndarray) -> tuple[int, int]:
        i, j = np.argwhere(m == 4)[0]
        return int(i), int(j)

    for k, game in enumerate(ALL_144, start=1):
        r, c = divmod(k - 1, 12)
        a, b = game.payoff_matrices()
        best_row, best_col = where_best(a), where_best(b)
        relation = (
            "same cell"
            if best_row == best_col
            else "same column"
            if best_row[1] == best_col[1]
            else "same row"
            if best_row[0] == best_col[0]
            else "opposite"
        )
        expected = {
            (False, False): "opposite",
            (True, True): "same cell",
            (False, True): "same column",
            (True, False): "same row",
        }[(r >= 6, c >= 6)]
        assert relation == expected, k


def test_neighbouring_patterns_differ_by_one_swap_of_adjacent_ranks() -> None:
    patterns = [p for _, p in ORDINAL_2X2_PATTERNS]
    for half in (patterns[:6], patterns[6:]):
        for x, y in zip(half, half[1:] + half[:1], strict=True):
            diff = [(u, v) for u, v in zip(x, y, strict=True) if u != v]
            assert len(diff) == 2 and abs(diff[0][0] - diff[0][1]) == 1, (x, y)
    # the prisoner's dilemma and chicken become the stag hunt and pattern 8 by T <-> R
    for k in (0, 1):
        r, s, t, p = patterns[k]
        assert (r, t) == (3, 4) and patterns[k + 6] == (t, s, r, p)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 144), st.booleans(), st.booleans(), st.integers(-10, 10), st.integers(1, 5))
def test_locate_is_the_inverse_under_relabelling_and_monotone_rescaling(
    index: int, swap_rows: bool, swap_cols: bool, shift: int, scale: int
) -> None:
    a, b = ordinal_2x2(index=index).payoff_matrices()
    if swap_rows:
        a, b = a[::-1, :], b[::-1, :]
    if swap_cols:
        a, b = a[:, ::-1], b[:, ::-1]
    assert locate_ordinal_2x2([a * scale + shift, b]) == index


@pytest.mark.parametrize("index", [0, 145, -1, 1.5, True, "3", None])
def test_bad_index_names_the_range(index: Any) -> None:
    with pytest.raises(InvalidParameterError, match=r"1\.\.144"):
        make_matrix("ordinal_2x2", index=index)


def test_locate_rejects_ties_and_other_shapes() -> None:
    with pytest.raises(InvalidParameterError, match="tied"):
        locate_ordinal_2x2(make_matrix("battle_of_the_sexes").payoff_matrices())
    with pytest.raises(InvalidParameterError, match="2x2"):
        locate_ordinal_2x2(make_matrix("rock_paper_scissors").payoff_matrices())


def test_prisoners_dilemma_function_and_registry_agree() -> None:
    assert prisoners_dilemma() == make_matrix("prisoners_dilemma")


# ---- cross-check against OpenSpiel ------------------------------------------------------

# (OpenSpiel game, our game id, our parameters, permutation of our actions to theirs)
OPEN_SPIEL_TWINS: list[tuple[str, str, dict[str, Any], list[int]]] = [
    ("matrix_pd", "prisoners_dilemma", {"R": 5, "S": 0, "T": 10, "P": 1}, [0, 1]),
    ("matrix_sh", "stag_hunt", {}, [0, 1]),
    ("matrix_mp", "matching_pennies", {}, [0, 1]),
    ("matrix_rps", "rock_paper_scissors", {}, [0, 1, 2]),
    ("matrix_bos", "battle_of_the_sexes", {"preferred": 3, "other": 2}, [0, 1]),
    # OpenSpiel's chicken lists dare (straight) first
    ("matrix_cd", "chicken", {"R": 3, "S": 1, "T": 4, "P": 0}, [1, 0]),
]


@pytest.mark.parametrize(("theirs", "game_id", "params", "perm"), OPEN_SPIEL_TWINS)
def test_payoffs_match_open_spiel(
    theirs: str, game_id: str, params: dict[str, Any], perm: list[int]
) -> None:
    pyspiel = pytest.importorskip(
        "pyspiel", reason="open_spiel not installed: pip install -e .[test]"
    )
    reference = pyspiel.load_game(theirs)
    game = make_matrix(game_id, **params)
    for i, j in itertools.product(range(len(perm)), repeat=2):
        state = reference.new_initial_state()
        state.apply_actions([perm[i], perm[j]])
        assert play(game, i, j) == list(state.returns()), (i, j)
    if game_id != "chicken":  # OpenSpiel names chicken's moves dare/chicken
        names = [reference.row_action_name(perm[i]).lower() for i in range(len(perm))]
        assert [n.lower() for n in game.action_names(0)] == names
