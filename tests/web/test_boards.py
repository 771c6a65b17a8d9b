"""Boards show what the viewer may see: the viewer's own card face up and the others'
face down until the game ends (a spectator sees all), buttons only on cells a legal move
can take, and the boards of Hanabi and the Overcooked kitchen where those games exist."""

from __future__ import annotations

import re

import numpy as np
import pytest

from redqueen.games.core import sample_chance_outcome
from redqueen.games.registry import make, registered
from redqueen.web.boards import accepts_messages, board_html, messages_html


def test_poker_cards_are_hidden_from_the_other_seats_until_the_end() -> None:
    state = make("kuhn_poker").new_initial_state()
    assert "card back" not in str(board_html(state, 0))  # nothing dealt: nothing to hide
    state.apply_action(2)  # K to player 0
    state.apply_action(0)  # J to player 1
    mine = str(board_html(state, 0))
    assert ">K</span>" in mine and ">J</span>" not in mine and mine.count("card back") == 1
    assert ">J</span>" in str(board_html(state, 1)) and ">K</span>" not in str(board_html(state, 1))
    assert ">K</span>" in str(board_html(state, None)) and ">J</span>" in str(
        board_html(state, None)
    )
    state.apply_action(1)  # bet
    state.apply_action(1)  # call: showdown
    assert "card back" not in str(board_html(state, 0)) and "pot <b>4</b>" in str(
        board_html(state, 0)
    )
    leduc = make("leduc_poker").new_initial_state()
    leduc.apply_action(0)
    leduc.apply_action(3)
    assert "public card" in str(board_html(leduc, None))


def test_grid_buttons_are_the_legal_moves() -> None:
    state = make("tic_tac_toe").new_initial_state()
    state.apply_action(4)
    html = str(board_html(state, 1, state.legal_actions()))
    assert sorted(map(int, re.findall(r"value='(\d)'", html))) == [0, 1, 2, 3, 5, 6, 7, 8]
    assert "class='cell mark-x'" in html
    assert "button" not in str(board_html(state, 1))  # watching: no buttons
    c4 = make("connect_four", rows=2, columns=3, x_in_row=2).new_initial_state()
    for column in (0, 0):
        c4.apply_action(column)  # column 0 is full
    html = str(board_html(c4, 0, c4.legal_actions()))
    assert sorted(map(int, re.findall(r"value='(\d)'", html))) == [1, 2]
    assert board_html(make("prisoners_dilemma").new_initial_state(), 0) is None


def test_cheap_talk_is_offered_only_where_the_game_takes_it() -> None:
    talk = make("bargaining", messages=True).new_initial_state()
    assert accepts_messages(talk) and "no messages yet" in str(messages_html(talk))
    assert not accepts_messages(make("bargaining").new_initial_state())
    assert messages_html(make("tic_tac_toe").new_initial_state()) is None


@pytest.mark.parametrize("game_id", ["hanabi", "overcooked"])
def test_boards_of_the_cooperative_games(game_id: str) -> None:
    if game_id not in registered():
        pytest.skip(f"{game_id} is not a registered game here")
    try:
        game = make(game_id)
    except ImportError as err:  # hanabi rides on OpenSpiel
        pytest.skip(f"{game_id} needs {err.name}")
    state = game.new_initial_state()
    rng = np.random.default_rng(0)
    while state.is_chance_node():
        state.apply_action(sample_chance_outcome(state, rng))
    seen, spectator = str(board_html(state, 0)), str(board_html(state, None))
    if game_id == "hanabi":
        own = state.view(0).own
        assert seen.count("card back") == len(own)  # no hint yet: own cards unknown
        assert "card back" not in spectator
        for card in state.view(0).other_cards:
            assert f">{card}</span>" in seen
    else:
        rows = state.grid_text().splitlines()
        assert seen.count("<tr>") == len(rows) and "k-pot" in seen and "<sub>0^</sub>" in seen
