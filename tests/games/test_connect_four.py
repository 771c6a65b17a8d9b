"""Connect four: exact outcomes of hand-written games (every direction of line, a draw),
full columns, illegal moves, text views, parameters and the checker's invariants."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError
from redqueen.games import TERMINAL, check_game
from redqueen.games.connect_four import ConnectFourGame, ConnectFourState

DRAW = [3, 3, 5, 2, 1, 2, 0, 0, 5, 0, 1, 4, 6, 0, 2, 4, 3, 5, 5, 2, 4]
DRAW += [2, 2, 3, 0, 1, 4, 4, 1, 0, 4, 6, 6, 5, 6, 6, 3, 3, 5, 6, 1, 1]
"""A full board with no four in a line (found by random play, confirmed with OpenSpiel)."""


def play(moves: list[int], **params: int) -> ConnectFourState:
    state = ConnectFourGame(**params).new_initial_state()
    for i, move in enumerate(moves):
        assert not state.is_terminal(), f"game over before move {i} of {moves}"
        state.apply_action(move)
    return state


def test_spec_matches_openspiel_and_rebuilds_from_registry() -> None:
    game = redqueen.make("connect_four")
    spec = game.spec
    assert isinstance(game, ConnectFourGame)
    assert (spec.id, spec.num_players, spec.num_distinct_actions, spec.max_game_length) == (
        "connect_four",
        2,
        7,
        42,
    )
    assert (spec.min_utility, spec.max_utility, spec.utility_sum) == (-1.0, 1.0, 0.0)
    assert spec.perfect_information
    assert dict(spec.params) == {"rows": 6, "columns": 7, "x_in_row": 4}
    assert redqueen.make(spec.id, **spec.params).spec == spec
    small = redqueen.make("connect_four", rows=4, columns=5, x_in_row=3)
    assert (small.spec.num_distinct_actions, small.spec.max_game_length) == (5, 20)


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        ([0, 1, 0, 1, 0, 1, 0], [1.0, -1.0]),  # x: vertical in column 0
        ([6, 0, 6, 1, 5, 2, 6, 3], [-1.0, 1.0]),  # o: horizontal on the bottom row
        ([0, 1, 1, 2, 2, 3, 2, 3, 3, 6, 3], [1.0, -1.0]),  # x: diagonal rising to the right
        ([6, 5, 5, 4, 4, 3, 4, 3, 3, 0, 3], [1.0, -1.0]),  # x: diagonal rising to the left
        (DRAW, [0.0, 0.0]),
    ],
)
def test_exact_returns_of_hand_written_games(moves: list[int], expected: list[float]) -> None:
    state = play(moves)
    assert state.is_terminal()
    assert state.current_player() == TERMINAL
    assert state.returns() == expected
    assert state.legal_actions() == []


def test_a_win_ends_the_game_at_once() -> None:
    state = play([0, 1, 0, 1, 0, 1])
    assert not state.is_terminal() and state.returns() == [0.0, 0.0]
    state.apply_action(0)
    assert state.is_terminal() and state.move_number == 7


def test_full_column_is_rejected_naming_the_legal_moves_and_nothing_changes() -> None:
    state = play([0, 0, 0, 0, 0, 0])  # alternating discs: column 0 full, nobody has four
    assert not state.is_terminal()
    assert state.legal_actions() == [1, 2, 3, 4, 5, 6]
    before = (state.history(), state.observation_text(0), state.information_state_key(0))
    with pytest.raises(IllegalActionError) as err:
        state.apply_action(0)
    assert [a for a, _ in err.value.legal] == [1, 2, 3, 4, 5, 6]
    assert "column 1" in str(err.value) and "column 0 " not in str(err.value)
    for bad in (-1, 7):
        with pytest.raises(IllegalActionError):
            state.apply_action(bad)
    assert (state.history(), state.observation_text(0), state.information_state_key(0)) == before
    state.apply_action(1)
    assert state.current_player() == 1


def test_discs_fall_to_the_lowest_empty_cell() -> None:
    state = play([3, 3, 4])
    owners = state.cell_owners()  # row 0 is the bottom
    assert owners[3] == 0 and owners[7 + 3] == 1 and owners[4] == 0
    assert owners.count(-1) == 42 - 3


def test_action_names_are_columns_and_parse_back() -> None:
    state = play([])
    assert [state.action_text(a) for a in range(7)] == [f"column {c}" for c in range(7)]
    assert state.parse_action("column 5") == 5
    assert state.parse_action("Column 2") == 2
    assert state.parse_action("3") == 3  # the bare number is the same column


def test_observation_text_draws_the_board_with_column_numbers() -> None:
    state = play([3, 3, 4])
    text = state.observation_text(1)
    board = "\n".join(["." * 7] * 4 + ["...o...", "...xx.."])
    spaced = "\n".join(" ".join(row) for row in board.split("\n"))
    assert spaced + "\n0 1 2 3 4 5 6" in text
    assert "You are player 1 (o)" in text
    assert "To move: player 1 (o)" in text
    assert "Game over: player 0 (x) won." in play([0, 1, 0, 1, 0, 1, 0]).observation_text(0)
    assert "Game over: a draw." in play(DRAW).observation_text(1)


def test_rules_text_covers_the_rules() -> None:
    rules = ConnectFourGame().rules_text().lower()
    for phrase in ("6 rows", "7", "lowest empty cell", "diagonal", "draw", "column 3", "0 to 6"):
        assert phrase in rules


def test_information_state_key_is_the_position_whatever_the_move_order() -> None:
    assert play([0, 1, 2]).information_state_key(1) == play([2, 1, 0]).information_state_key(1)
    assert play([0, 1, 2]).information_state_key(1) != play([0, 2, 1]).information_state_key(1)


def test_smaller_board_with_three_in_a_row() -> None:
    state = play([0, 0, 1, 1, 2], rows=4, columns=5, x_in_row=3)
    assert state.returns() == [1.0, -1.0]
    full = play([0, 0, 0], rows=3, columns=3, x_in_row=3)
    assert full.legal_actions() == [1, 2]


@pytest.mark.parametrize(
    "params",
    [{"rows": 0}, {"columns": -1}, {"x_in_row": 8}, {"rows": 2.5}, {"columns": True}],
)
def test_bad_parameters_are_rejected(params: dict[str, object]) -> None:
    with pytest.raises(InvalidParameterError):
        ConnectFourGame(**params)  # type: ignore[arg-type]


def test_check_game_passes() -> None:
    report = check_game(ConnectFourGame(), n_games=120, seed=1)
    assert report.games_played == 120
    small = check_game(ConnectFourGame(rows=4, columns=5, x_in_row=3), n_games=100, seed=2)
    assert small.max_length_seen <= 20
