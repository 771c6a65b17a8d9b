"""The registry: names users type, errors that list what is allowed, rebuild from spec."""

from __future__ import annotations

import json

import pytest
from example_params import example_params
from toy_games import CoinGuessGame

import redqueen
from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games import register, registered

EXPECTED = {
    "matrix", "prisoners_dilemma", "stag_hunt", "chicken", "battle_of_the_sexes",
    "matching_pennies", "rock_paper_scissors", "ordinal_2x2", "repeated", "kuhn_poker",
    "leduc_poker", "tic_tac_toe", "connect_four",
}  # fmt: skip


def test_every_issue_game_is_registered() -> None:
    assert set(registered()) >= EXPECTED
    assert registered() == sorted(registered())


def test_unknown_game_lists_the_valid_ids() -> None:
    with pytest.raises(UnknownNameError) as info:
        redqueen.make("tic_tac_tow")
    message = str(info.value)
    assert "'tic_tac_tow'" in message
    for game_id in EXPECTED:
        assert game_id in message


def test_unknown_parameter_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownNameError, match=r"allowed: .*rounds=") as info:
        redqueen.make("repeated", rouns=10)
    assert "rouns" in str(info.value)


@pytest.mark.parametrize("game_id", sorted(EXPECTED - {"matrix"}))
def test_spec_rebuilds_the_same_game(game_id: str) -> None:
    game = redqueen.make(game_id, **example_params(game_id))
    assert game.spec.id == game_id
    json.dumps(dict(game.spec.params))  # parameters are plain data
    again = redqueen.make(game.spec.id, **game.spec.params)
    assert again.spec == game.spec
    assert again.rules_text() == game.rules_text()


def test_matrix_from_bimatrix() -> None:
    game = redqueen.make("matrix", payoffs=[[[3, 0], [5, 1]], [[3, 5], [0, 1]]])
    assert game.spec.num_players == 2
    again = redqueen.make(game.spec.id, **game.spec.params)
    assert again.spec == game.spec


def test_register_a_new_game_and_refuse_a_taken_id() -> None:
    if "coin_guess" not in registered():
        register("coin_guess", CoinGuessGame, "test game")
    assert isinstance(redqueen.make("coin_guess"), CoinGuessGame)
    with pytest.raises(RedqueenError, match="already registered"):
        register("coin_guess", CoinGuessGame)
