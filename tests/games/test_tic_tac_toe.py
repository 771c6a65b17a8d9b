"""Tic-tac-toe: exact outcomes of hand-written games, rejection of illegal moves, text views
and the checker's invariants."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.errors import IllegalActionError, ParseActionError
from redqueen.games import TERMINAL, check_game
from redqueen.games.tic_tac_toe import TicTacToeGame, TicTacToeState


def play(moves: list[int]) -> TicTacToeState:
    state = TicTacToeGame().new_initial_state()
    for i, move in enumerate(moves):
        assert not state.is_terminal(), f"game over before move {i} of {moves}"
        state.apply_action(move)
    return state


def test_spec_matches_openspiel_and_rebuilds_from_registry() -> None:
    game = redqueen.make("tic_tac_toe")
    spec = game.spec
    assert isinstance(game, TicTacToeGame)
    assert (spec.id, spec.num_players, spec.num_distinct_actions, spec.max_game_length) == (
        "tic_tac_toe",
        2,
        9,
        9,
    )
    assert (spec.min_utility, spec.max_utility, spec.utility_sum) == (-1.0, 1.0, 0.0)
    assert spec.perfect_information
    assert str(spec.utility) == "zero_sum"
    assert redqueen.make(spec.id, **spec.params).spec == spec


@pytest.mark.parametrize(
    ("moves", "expected"),
    [
        ([0, 3, 1, 4, 2], [1.0, -1.0]),  # x: top row
        ([0, 3, 1, 4, 8, 5], [-1.0, 1.0]),  # o: middle row
        ([2, 0, 5, 1, 8], [1.0, -1.0]),  # x: right column
        ([0, 1, 3, 4, 8, 7], [-1.0, 1.0]),  # o: middle column
        ([0, 1, 4, 2, 8], [1.0, -1.0]),  # x: main diagonal
        ([0, 2, 1, 4, 3, 6], [-1.0, 1.0]),  # o: anti-diagonal
        ([0, 1, 2, 3, 4, 5, 7, 6, 8], [1.0, -1.0]),  # x completes a diagonal on the last cell
        ([0, 1, 2, 4, 3, 5, 7, 6, 8], [0.0, 0.0]),  # full board, no line: a draw
    ],
)
def test_exact_returns_of_hand_written_games(moves: list[int], expected: list[float]) -> None:
    state = play(moves)
    assert state.is_terminal()
    assert state.current_player() == TERMINAL
    assert state.returns() == expected
    assert state.legal_actions() == []


def test_returns_are_zero_and_players_alternate_while_the_game_goes_on() -> None:
    state = play([])
    seen = []
    for move in [4, 0, 8, 2]:
        seen.append(state.current_player())
        assert state.returns() == [0.0, 0.0]
        state.apply_action(move)
    assert seen == [0, 1, 0, 1]
    assert state.legal_actions() == [1, 3, 5, 6, 7]


def test_occupied_cell_is_rejected_naming_the_legal_moves_and_nothing_changes() -> None:
    state = play([4, 0])
    before = (state.history(), state.legal_actions(), state.observation_text(0))
    with pytest.raises(IllegalActionError) as err:
        state.apply_action(4)
    assert err.value.legal == [(a, state.action_text(a)) for a in [1, 2, 3, 5, 6, 7, 8]]
    assert "b1" in str(err.value) and "c3" in str(err.value)
    for bad in (-1, 9, 100):
        with pytest.raises(IllegalActionError):
            state.apply_action(bad)
    assert (state.history(), state.legal_actions(), state.observation_text(0)) == before
    assert state.current_player() == 0


def test_finished_game_rejects_every_move() -> None:
    state = play([0, 3, 1, 4, 2])
    with pytest.raises(IllegalActionError):
        state.apply_action(5)
    assert state.returns() == [1.0, -1.0]


def test_action_names_are_spreadsheet_cells_and_parse_back() -> None:
    state = play([])
    names = [state.action_text(a) for a in range(9)]
    assert names == ["a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"]
    for a, name in enumerate(names):
        assert state.parse_action(name) == a
        assert state.parse_action(name.upper()) == a
    assert state.parse_action("4") == 4  # a bare id still works
    state.apply_action(4)
    with pytest.raises(ParseActionError):
        state.parse_action("b2")  # taken


def test_observation_text_draws_the_board_with_coordinates_and_says_who_moves() -> None:
    state = play([4, 0, 8])
    text = state.observation_text(1)
    assert "   a b c\n1  o . .\n2  . x .\n3  . . x" in text
    assert "You are player 1 (o)" in text
    assert "To move: player 1 (o)" in text
    assert "player 0 plays x" in text.lower()
    assert "You are player 0 (x)" in state.observation_text(0)
    finished = play([0, 3, 1, 4, 2])
    assert "Game over: player 0 (x) won." in finished.observation_text(1)
    assert "Game over: a draw." in play([0, 1, 2, 4, 3, 5, 7, 6, 8]).observation_text(0)


def test_rules_text_covers_the_rules_and_the_move_names() -> None:
    rules = TicTacToeGame().rules_text().lower()
    for phrase in ("3 by 3", "x and moves first", "diagonal", "draw", "a1", "c3", "+1", "-1"):
        assert phrase in rules


def test_information_state_key_is_the_position_whatever_the_move_order() -> None:
    a = play([0, 4, 8])
    b = play([8, 4, 0])
    c = play([0, 4, 2])
    assert a.information_state_key(0) == b.information_state_key(0)
    assert a.information_state_key(1) == b.information_state_key(1)
    assert a.information_state_key(1) != c.information_state_key(1)
    assert hash(a.information_state_key(0)) == hash(b.information_state_key(0))


def test_clone_is_independent() -> None:
    state = play([4])
    twin = state.clone()
    twin.apply_action(0)
    assert state.legal_actions() == [0, 1, 2, 3, 5, 6, 7, 8]
    assert state.history() != twin.history()
    assert twin.current_player() == 0 and state.current_player() == 1


def test_check_game_passes() -> None:
    report = check_game(TicTacToeGame(), n_games=400, seed=1)
    assert report.games_played == 400
    assert report.max_length_seen == 9
