"""Parameters for the registered games that cannot be built without some, shared by every
test that walks over ``redqueen.games.registered()``. A new game that needs parameters
gets its entry here, once."""

from __future__ import annotations

from typing import Any

EXAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    "ordinal_2x2": {"index": 7},
    "matrix": {"payoffs": [[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]]},
    # donor_game and commons: small sizes keep the checker quick (their defaults are the
    # papers' 12 agents and GovSim's 5 agents x 12 rounds)
    "donor_game": {"num_agents": 3, "rounds": 2, "donation_levels": 3, "punishment": 2.0},
    "commons": {
        "num_agents": 2,
        "rounds": 3,
        "effort_levels": 3,
        "monitoring": 0.5,
        "fine": 1.0,
        "vote_every": 2,
    },
    # werewolf: the 6-seat board with the sheriff election keeps the checker quick (its
    # default is the 12-seat board; its own tests check that one)
    "werewolf": {"board": "small", "players": 6, "sheriff": True},
    # overcooked: a short horizon keeps the checker's replays quick (the default is 400)
    "overcooked": {"horizon": 12},
    # tax_economy: two workers, four steps, the planner moving once over three brackets
    "tax_economy": {"num_workers": 2, "steps": 4, "tax_year": 2, "hours_levels": 3},
    # referential games and the continuous PD: small spaces keep the checker quick (their
    # own tests check the defaults: 125 objects, 6 x 10 properties, 11 levels)
    "lewis_game": {"properties": 2, "values": 3, "distractors": 2, "vocabulary": 4},
    "object_reconstruction": {
        "properties": 2,
        "values": 3,
        "vocabulary": 6,
        "message_length": 2,
    },
    "continuous_pd": {"rounds": 3, "levels": 3},
}


def example_params(game_id: str) -> dict[str, Any]:
    """Parameters that build ``game_id`` (empty for games whose defaults suffice)."""
    return dict(EXAMPLE_PARAMS.get(game_id, {}))
