"""Parameters for the registered games that cannot be built without some, shared by every
test that walks over ``redqueen.games.registered()``. A new game that needs parameters
gets its entry here, once."""

from __future__ import annotations

from typing import Any

EXAMPLE_PARAMS: dict[str, dict[str, Any]] = {
    "ordinal_2x2": {"index": 7},
    "matrix": {"payoffs": [[[1, -1], [-1, 1]], [[-1, 1], [1, -1]]]},
}


def example_params(game_id: str) -> dict[str, Any]:
    """Parameters that build ``game_id`` (empty for games whose defaults suffice)."""
    return dict(EXAMPLE_PARAMS.get(game_id, {}))
