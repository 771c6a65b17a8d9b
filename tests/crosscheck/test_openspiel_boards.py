"""Cross-checks of tic-tac-toe and connect four against OpenSpiel's implementations.

Whole-tree facts for tic-tac-toe (node and position counts, the exact value of uniform
random play in every position) and, for both games, identical legal actions, boards and
returns along many random action sequences played through both libraries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.games import TERMINAL, State

pyspiel = pytest.importorskip("pyspiel", reason="open_spiel not installed: pip install -e .[test]")


def board_string(state: State) -> str:
    """Our board written the way OpenSpiel's ``observation_string`` writes it."""
    game = state.game
    owners: tuple[int, ...] = state.cell_owners()  # type: ignore[attr-defined]
    marks = [".xo"[o + 1] for o in owners]
    if game.id == "tic_tac_toe":
        return "\n".join("".join(marks[3 * r : 3 * r + 3]) for r in range(3))
    rows, columns = game.params["rows"], game.params["columns"]
    lines = ["".join(marks[r * columns : (r + 1) * columns]) for r in reversed(range(rows))]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("game_id", "params"),
    [
        ("tic_tac_toe", {}),
        ("connect_four", {}),
        ("connect_four", {"rows": 5, "columns": 4, "x_in_row": 3}),
    ],
)
def test_spec_matches_openspiel(game_id: str, params: dict[str, int]) -> None:
    ours = redqueen.make(game_id, **params).spec
    theirs = pyspiel.load_game(game_id, params)
    assert ours.num_players == theirs.num_players()
    assert ours.num_distinct_actions == theirs.num_distinct_actions()
    assert ours.max_game_length == theirs.max_game_length()
    assert (ours.min_utility, ours.max_utility) == (theirs.min_utility(), theirs.max_utility())
    assert ours.utility_sum == theirs.utility_sum()
    assert ours.perfect_information
    assert theirs.get_type().information == pyspiel.GameType.Information.PERFECT_INFORMATION


# ---- whole-tree facts of tic-tac-toe ----------------------------------------------------

DECISION_NODES = {0: 180_361, 1: 114_417}
"""Histories at which each player moves: OpenSpiel's information states (its
information_state_string is the history), 294,778 in all."""
TERMINAL_NODES = 255_168
"""Finished games, counted as move sequences (a well-known number)."""
POSITIONS = 5_478
"""Distinct legal positions, finished ones and the empty board included (published)."""


def _walk_ours(state: State, counts: dict[str, Any]) -> None:
    player = state.current_player()
    counts["positions"].add(state.information_state_key(0))
    if player == TERMINAL:
        counts["terminal"] += 1
        return
    counts["nodes"][player] += 1
    counts["keys"][player].add(state.information_state_key(player))
    for action in state.legal_actions():
        child = state.clone()
        child.apply_action(action)
        _walk_ours(child, counts)


def _walk_theirs(state: Any, counts: dict[str, Any]) -> None:
    counts["positions"].add(state.observation_string(0))
    if state.is_terminal():
        counts["terminal"] += 1
        return
    player = state.current_player()
    counts["infosets"][player].add(state.information_state_string(player))
    counts["boards"][player].add(state.observation_string(player))
    for action in state.legal_actions():
        _walk_theirs(state.child(action), counts)


def test_tic_tac_toe_tree_has_the_same_information_states_as_openspiel() -> None:
    ours: dict[str, Any] = {
        "positions": set(),
        "terminal": 0,
        "nodes": [0, 0],
        "keys": [set(), set()],
    }
    _walk_ours(redqueen.make("tic_tac_toe").new_initial_state(), ours)
    theirs: dict[str, Any] = {
        "positions": set(),
        "terminal": 0,
        "infosets": [set(), set()],
        "boards": [set(), set()],
    }
    _walk_theirs(pyspiel.load_game("tic_tac_toe").new_initial_state(), theirs)

    for p in (0, 1):
        # OpenSpiel's information states are histories; ours are positions.
        assert len(theirs["infosets"][p]) == ours["nodes"][p] == DECISION_NODES[p]
        assert len(ours["keys"][p]) == len(theirs["boards"][p])
    assert ours["terminal"] == theirs["terminal"] == TERMINAL_NODES
    assert len(ours["positions"]) == len(theirs["positions"]) == POSITIONS
    assert len(ours["keys"][0]) + len(ours["keys"][1]) == POSITIONS - 958  # 958 finished


def _random_value_ours(state: State, memo: dict[Any, float]) -> float:
    if state.is_terminal():
        return state.returns()[0]
    key = state.information_state_key(0)
    if key not in memo:
        legal = state.legal_actions()
        total = 0.0
        for action in legal:
            child = state.clone()
            child.apply_action(action)
            total += _random_value_ours(child, memo)
        memo[key] = total / len(legal)
    return memo[key]


def _random_value_theirs(state: Any, memo: dict[str, float]) -> float:
    if state.is_terminal():
        return float(state.returns()[0])
    key = state.observation_string(0)  # the board fixes everything that follows
    if key not in memo:
        legal = state.legal_actions()
        memo[key] = sum(_random_value_theirs(state.child(a), memo) for a in legal) / len(legal)
    return memo[key]


def test_tic_tac_toe_uniform_random_values_match_openspiel_in_every_position() -> None:
    game = redqueen.make("tic_tac_toe")
    ours: dict[Any, float] = {}
    theirs: dict[str, float] = {}
    root_ours = _random_value_ours(game.new_initial_state(), ours)
    root_theirs = _random_value_theirs(pyspiel.load_game("tic_tac_toe").new_initial_state(), theirs)
    assert abs(root_ours - root_theirs) < 1e-12
    # x wins 737/1260 of uniform random games and o 121/420: player 0 expects 187/630.
    assert abs(root_ours - 187 / 630) < 1e-12
    assert len(ours) == len(theirs) == POSITIONS - 958

    # Every position, matched by drawing our board the way OpenSpiel does.
    def visit(state: State, seen: set[Any]) -> None:
        key = state.information_state_key(0)
        if state.is_terminal() or key in seen:
            return
        seen.add(key)
        assert abs(ours[key] - theirs[board_string(state)]) < 1e-12
        for action in state.legal_actions():
            child = state.clone()
            child.apply_action(action)
            visit(child, seen)

    seen: set[Any] = set()
    visit(game.new_initial_state(), seen)
    assert len(seen) == len(theirs)


# ---- random action sequences through both libraries -----------------------------------


@pytest.mark.parametrize(
    ("game_id", "params", "plays"),
    [
        ("tic_tac_toe", {}, 10_000),
        ("connect_four", {}, 10_000),
        ("connect_four", {"rows": 5, "columns": 4, "x_in_row": 3}, 2_000),
    ],
)
def test_random_plays_agree_with_openspiel(
    game_id: str, params: dict[str, int], plays: int
) -> None:
    rng = np.random.default_rng(7)
    game = redqueen.make(game_id, **params)
    reference = pyspiel.load_game(game_id, params)
    outcomes = {-1.0: 0, 0.0: 0, 1.0: 0}
    for play in range(plays):
        ours = game.new_initial_state()
        theirs = reference.new_initial_state()
        check_board = play % 10 == 0
        while True:
            assert ours.is_terminal() == theirs.is_terminal()
            if check_board:
                assert board_string(ours) == theirs.observation_string(0)
            if ours.is_terminal():
                break
            assert ours.current_player() == theirs.current_player()
            legal = ours.legal_actions()
            assert legal == theirs.legal_actions(), (ours.history(), legal)
            action = legal[rng.integers(len(legal))]
            ours.apply_action(action)
            theirs.apply_action(action)
        assert ours.returns() == list(theirs.returns()), ours.history()
        outcomes[ours.returns()[0]] += 1
    # Both seats won some games, so the win detection was compared in both directions.
    assert outcomes[1.0] > 0 and outcomes[-1.0] > 0
