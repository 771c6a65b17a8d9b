"""What ``redqueen games`` lists, read from a table written ahead instead of building
every game.

A game's row (its spec, parameter names and summary) comes from building the game, and
building all of them imports every game module, numpy and OpenSpiel (for ``hanabi``):
several tenths of a second, more than a command line should take to list names. So the
rows of the built-in games are kept in ``catalog.json`` beside this module, and
:func:`listing` reads them; it builds only the games it has no row for: games registered
at run time with :func:`~redqueen.games.registry.register`, and any whose registry entry
no longer matches its row. The test suite checks the file against the games themselves;
after changing a game's spec, parameters or summary, write it again with
``python -m redqueen.games.catalog --write``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from redqueen.errors import InvalidParameterError
from redqueen.games.registry import make, parameters, registered, summary, target

CATALOG = Path(__file__).with_name("catalog.json")
"""The rows of the built-in games, as :func:`write` left them."""


def live_row(game_id: str) -> dict[str, Any]:
    """The row of ``game_id``, from building it with its default parameters (a game with
    required parameters, e.g. ``ordinal_2x2``, gives its id alone)."""
    try:
        spec = make(game_id).spec.to_dict()
    except InvalidParameterError:
        spec = {"id": game_id}
    return {**spec, "summary": summary(game_id), "parameters": list(parameters(game_id))}


def stored_rows(path: Path = CATALOG) -> dict[str, dict[str, Any]]:
    """The rows in ``path`` by game id, each with the registry target it was made from."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {e["game"]: e for e in entries}


def listing() -> list[dict[str, Any]]:
    """A row for every registered game, sorted by id: the stored one where it was made
    from the same registry entry (target and summary), else built now."""
    stored = stored_rows()
    rows = []
    for game_id in registered():
        entry = stored.get(game_id)
        fresh = (
            entry is not None
            and target(game_id) is not None
            and entry["target"] == target(game_id)
            and entry["row"]["summary"] == summary(game_id)
        )
        rows.append(entry["row"] if fresh and entry is not None else live_row(game_id))
    return rows


def built_in_rows() -> list[dict[str, Any]]:
    """What :func:`write` stores: every game registered by module path, built now."""
    return [
        {"game": g, "target": target(g), "row": live_row(g)}
        for g in registered()
        if target(g) is not None
    ]


def plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(value))


def write(path: Path = CATALOG) -> None:
    path.write_text(json.dumps(built_in_rows(), indent=1) + "\n", encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m redqueen.games.catalog",
        description="Write (or check) the table of built-in games that `redqueen games` lists.",
    )
    parser.add_argument("--write", action="store_true", help=f"rewrite {CATALOG.name}")
    args = parser.parse_args(argv)
    if args.write:
        write()
        print(f"wrote {CATALOG}")
        return 0
    stored = stored_rows()
    stale = [e["game"] for e in built_in_rows() if stored.get(e["game"]) != plain(e)]
    print("up to date" if not stale else f"stale rows: {', '.join(stale)} (run with --write)")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
