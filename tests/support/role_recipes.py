"""A role_games recipe written in a test, and its result's groups by (game, line-up)."""

from __future__ import annotations

from typing import Any


def role_recipe(games: list[dict[str, Any]], matches: int = 12, **more: Any) -> dict[str, Any]:
    """A ``role_games`` recipe named ``t``, seed 0, over ``games``."""
    return {
        "name": "t",
        "kind": "role_games",
        "seed": 0,
        "matches": matches,
        "games": games,
        **more,
    }


def groups(out: Any) -> dict[tuple[str, str], dict[str, Any]]:
    """A role_games outcome's groups, by (game label, line-up)."""
    return {(g["game"], g["lineup"]): g for g in out.to_dict()["groups"]}
