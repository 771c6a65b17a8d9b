"""The table ``redqueen games`` lists (``redqueen/games/catalog.json``) is what the games
themselves say, and games it has no row for are built when listed."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from redqueen.games import catalog, registry
from redqueen.games.catalog import listing, live_row, plain, stored_rows
from redqueen.games.matrix import MatrixGame, matrix_game


def test_every_built_in_game_has_its_row_as_the_game_gives_it() -> None:
    stored = stored_rows()
    built_in = [g for g in registry.registered() if registry.target(g) is not None]
    assert sorted(stored) == built_in, "run: python -m redqueen.games.catalog --write"
    for game_id in built_in:
        assert stored[game_id]["target"] == registry.target(game_id), game_id
        assert stored[game_id]["row"] == plain(live_row(game_id)), (
            f"{game_id}'s row in catalog.json is stale: python -m redqueen.games.catalog --write"
        )


def test_the_check_command_agrees() -> None:
    assert catalog.main([]) == 0


@pytest.fixture
def toy_registered() -> Iterator[str]:
    game_id = "catalog_test_toy"

    def toy(scale: float = 1.0) -> MatrixGame:
        return matrix_game(payoffs=[[[scale, 0.0], [0.0, scale]]] * 2, name=game_id)

    registry.register(game_id, toy, "a toy registered by a test")
    try:
        yield game_id
    finally:
        del registry._REGISTRY[game_id]


def test_a_game_registered_at_run_time_is_built_when_listed(toy_registered: str) -> None:
    rows = [row for row in listing() if row["summary"] == "a toy registered by a test"]
    assert len(rows) == 1 and rows[0]["parameters"] == ["scale"]
    assert rows[0]["num_players"] == 2  # built now: the catalog has no row for it


def test_a_row_made_from_another_entry_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = stored_rows()
    changed = json.loads(json.dumps(stored["kuhn_poker"]))
    changed["row"]["max_game_length"] = 999
    monkeypatch.setattr(catalog, "stored_rows", lambda: {"kuhn_poker": changed})
    rows = [r for r in listing() if r["id"] == "kuhn_poker"]
    assert rows[0]["max_game_length"] == 999  # same entry: the stored row is read
    changed["target"] = "somewhere.else:kuhn_poker"
    rows = [r for r in listing() if r["id"] == "kuhn_poker"]
    assert rows[0]["max_game_length"] == live_row("kuhn_poker")["max_game_length"] != 999
