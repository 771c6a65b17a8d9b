"""The State base class: validation, errors that name the legal actions, text parsing."""

from __future__ import annotations

import pytest
from toy_games import CoinGuessGame

from redqueen.errors import IllegalActionError, ParseActionError, RedqueenError
from redqueen.games import CHANCE, SIMULTANEOUS, TERMINAL, Step


def test_chance_then_simultaneous_then_terminal() -> None:
    state = CoinGuessGame().new_initial_state()
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(0, 0.6), (1, 0.4)]
    assert state.legal_actions() == [0, 1]
    assert state.legal_actions(0) == []
    state.apply_action(1)
    assert state.current_player() == SIMULTANEOUS
    assert state.chance_outcomes() == []
    state.apply_joint_action([1, 0])
    assert state.current_player() == TERMINAL
    assert state.returns() == [1.0, -1.0]
    assert state.history() == [Step(CHANCE, 1), Step(SIMULTANEOUS, (1, 0))]
    assert state.legal_actions() == []


def test_illegal_action_names_legal_ones_and_changes_nothing() -> None:
    state = CoinGuessGame().new_initial_state()
    state.apply_action(0)
    with pytest.raises(IllegalActionError, match=r"legal: 0 \(heads\), 1 \(tails\)"):
        state.apply_joint_action([0, 5])
    assert state.current_player() == SIMULTANEOUS
    assert state.history() == [Step(CHANCE, 0)]
    with pytest.raises(IllegalActionError):
        state.apply_joint_action(["heads", 0])
    with pytest.raises(RedqueenError, match="apply_joint_action"):
        state.apply_action(0)
    with pytest.raises(RedqueenError, match="2 actions"):
        state.apply_joint_action([0])
    with pytest.raises(RedqueenError, match="needs a player"):
        state.legal_actions()


def test_chance_outcome_outside_the_list_is_rejected() -> None:
    state = CoinGuessGame().new_initial_state()
    with pytest.raises(IllegalActionError, match=r"0 \(heads\)"):
        state.apply_action(2)
    assert state.history() == []


def test_parse_action_exact_normalised_prefix_and_id() -> None:
    state = CoinGuessGame().new_initial_state()
    state.apply_action(0)
    assert state.parse_action("tails", 0) == 1
    assert state.parse_action("  HeAds ", 1) == 0
    assert state.parse_action("ta", 0) == 1
    assert state.parse_action("1", 0) == 1
    with pytest.raises(ParseActionError, match="'heads', 'tails'"):
        state.parse_action("edge", 0)


def test_clone_is_independent() -> None:
    state = CoinGuessGame().new_initial_state()
    state.apply_action(0)
    twin = state.clone()
    twin.apply_joint_action([0, 0])
    assert state.current_player() == SIMULTANEOUS
    assert twin.is_terminal()
    assert twin.game is state.game
