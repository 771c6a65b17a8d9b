"""check_game passes on a correct game and catches each kind of broken game."""

from __future__ import annotations

import pytest
import toy_games as toys

from redqueen.games import GameCheckError, check_game


def test_correct_game_passes() -> None:
    result = check_game(toys.CoinGuessGame(), n_games=200)
    assert result.games_played == 200
    assert result.max_length_seen == 2


@pytest.mark.parametrize(
    ("game", "message"),
    [
        (toys.NotZeroSum(), "sum to"),
        (toys.SharedClone(), "clone"),
        (toys.LeakyInfoKey(), "information-state key"),
        (toys.BadNames(), "share a name"),
        (toys.AcceptsIllegal(), "was accepted"),
        (toys.NeverEnds(), "max_game_length"),
        (toys.BadChanceProbabilities(), "chance probabilities sum to"),
        (toys.NoLegalActions(), "no legal actions for seat 1"),
        (toys.RejectionLeavesAMark(), "changed the state"),
        (toys.UnparseableNames(), "parse_action"),
        (toys.SeatOneAcceptsAnything(), "of seat 1 was accepted"),
    ],
)
def test_broken_games_are_caught(game: toys.CoinGuessGame, message: str) -> None:
    with pytest.raises(GameCheckError, match=message):
        check_game(game, n_games=200)
