"""check_game on every registered game, with default parameters (the game families' own
tests check other parameters)."""

from __future__ import annotations

import pytest
from example_params import example_params

import redqueen
from redqueen.games import check_game, registered

# Long games get fewer plays and sparser clone/replay checks to keep the suite quick.
SETTINGS: dict[str, dict[str, int]] = {
    "repeated": {"n_games": 20, "clone_every": 37},
    "connect_four": {"n_games": 150, "clone_every": 3},
    "leduc_poker": {"n_games": 300},
    "spiral_negotiation": {"n_games": 60},  # 203 actions; its own tests check it further
    "persuasion": {"n_games": 100},
    "overcooked": {"n_games": 100},  # 12 simultaneous steps, replayed at every state
    "werewolf": {"n_games": 15, "clone_every": 5},  # its own tests check more boards
    "who_is_the_spy": {"n_games": 60},  # 219 clues, 1000 scenes; its own tests check more
    "hanabi": {"n_games": 60, "clone_every": 3},  # its own tests check every preset
    "tax_economy": {"n_games": 150},  # NumPy settles each step; its own tests check more
}


@pytest.mark.parametrize("game_id", registered())
def test_check_game(game_id: str) -> None:
    game = redqueen.make(game_id, **example_params(game_id))
    report = check_game(game, **SETTINGS.get(game_id, {"n_games": 300}))
    assert report.states_visited > report.games_played
