"""Trust, ultimatum and public goods games: exact payoffs, text moves, refused parameters."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError
from redqueen.games import check_game
from redqueen.games.core import SIMULTANEOUS, TERMINAL


def test_trust_game_berg_dickhaut_mccabe_numbers() -> None:
    game = redqueen.make("trust_game")  # endowment 10, x3, as in the 1995 experiment
    state = game.new_initial_state()
    assert state.legal_actions() == list(range(11))
    state.apply_action(state.parse_action("send 5"))
    assert state.current_player() == 1
    assert state.legal_actions() == list(range(16))  # 5 x 3 = 15 arrived
    assert "15 arrived" in state.observation_text(1)
    state.apply_action(state.parse_action("return 7"))
    assert state.current_player() == TERMINAL
    assert state.returns() == [12.0, 8.0]


def test_trust_game_grid_and_trustee_endowment() -> None:
    game = redqueen.make("trust_game", endowment=3, multiplier=1.5, trustee_endowment=2)
    state = game.new_initial_state()
    state.apply_action(3)  # send 3: 4.5 arrives; returns run 0..4 (whole steps)
    assert state.legal_actions() == [0, 1, 2, 3, 4]
    with pytest.raises(IllegalActionError):
        state.apply_action(5)
    state.apply_action(4)
    assert state.returns() == [4.0, 2.5]
    check_game(game)


def test_ultimatum_accept_and_reject() -> None:
    game = redqueen.make("ultimatum_game", amount=10)
    for answer, expected in (("accept", [7.0, 3.0]), ("reject", [0.0, 0.0])):
        state = game.new_initial_state()
        state.apply_action(state.parse_action("offer 3"))
        assert state.legal_actions() == [0, 1]
        assert [state.action_text(a) for a in state.legal_actions()] == ["accept", "reject"]
        state.apply_action(state.parse_action(answer))
        assert state.returns() == expected
    half = redqueen.make("ultimatum_game", amount=1, step=0.25)
    assert half.new_initial_state().legal_actions() == [0, 1, 2, 3, 4]


def test_public_goods_payoffs_by_hand() -> None:
    game = redqueen.make("public_goods_game", players=3, endowment=2, multiplier=2, rounds=2)
    state = game.new_initial_state()
    assert state.current_player() == SIMULTANEOUS
    state.apply_joint_action([2, 0, 1])  # pot 3, x2 = 6, 2 each
    assert state.returns() == [2.0, 4.0, 3.0]
    assert "Round 1 contributions (players 0..2): 2, 0, 1." in state.observation_text(0)
    state.apply_joint_action([0, 0, 0])
    assert state.current_player() == TERMINAL
    assert state.returns() == [4.0, 6.0, 5.0]
    # Fehr & Gaechter's setting: every unit given returns 0.4 to the giver, 1.6 to the group.
    fg = redqueen.make("public_goods_game")
    s = fg.new_initial_state()
    s.apply_joint_action([20, 20, 20, 20])
    assert s.returns() == [32.0] * 4
    assert fg.spec.max_utility == 20 + 1.6 * 20 * 3 / 4
    assert fg.spec.min_utility == 1.6 * 20 / 4


@pytest.mark.parametrize(
    ("game", "params", "message"),
    [
        ("trust_game", {"multiplier": 0.5}, "multiplier must be >= 1"),
        ("trust_game", {"endowment": -10}, r"endowment must be a number in \(0, "),
        ("trust_game", {"endowment": 10, "step": 3}, "whole number of steps of 3"),
        ("trust_game", {"trustee_endowment": -1}, r"trustee_endowment must be a number in \[0, "),
        ("ultimatum_game", {"amount": 0}, r"amount must be a number in \(0, "),
        ("public_goods_game", {"multiplier": 4}, "strictly between 1 and players=4"),
        ("public_goods_game", {"multiplier": 1}, "strictly between 1 and players=4"),
        ("public_goods_game", {"players": 1, "multiplier": 1.5}, r"players must be .* \[2, 100\]"),
        ("public_goods_game", {"rounds": 0}, r"rounds must be an integer in \[1, 1000\]"),
        ("public_goods_game", {"step": 0.001, "endowment": 20}, "too many actions"),
    ],
)
def test_bad_parameters_are_refused(game: str, params: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        redqueen.make(game, **params)


def test_rules_name_the_numbers() -> None:
    assert "multiplied by 3" in redqueen.make("trust_game").rules_text()
    assert "0.4 to the contributor" in redqueen.make("public_goods_game").rules_text()
