"""A small stored Digital Red Queen run for the tests of what reads such runs (the Core
War board of ``redqueen serve``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from redqueen.experiments import parse_recipe

WARRIORS = Path(__file__).resolve().parents[1] / "corewar" / "warriors"
TINY_DRQ = {
    "coresize": 800,
    "cycles": 800,
    "processes": 64,
    "max_length": 20,
    "min_distance": 20,
    "rounds": 2,
    "initial_population": 4,
    "iterations": 8,
    "batch_size": 4,
    "battle_rounds": 1,
    "versus_rounds": 1,
    "held_out_rounds": 1,
    "new_max_length": 6,
    "value_range": 16,
}
"""A two-round run on an 800-cell core (about a second)."""


def drq_run(root: Path) -> Path:
    """``root/runs/drq``: a two-round DRQ run (:data:`TINY_DRQ`), with Imp and Mice held
    out (in ``root/held``); returns ``root/runs``."""
    held = root / "held"
    held.mkdir(parents=True)
    for name in ("imp", "mice"):
        shutil.copy(WARRIORS / f"{name}.red", held / f"{name}.red")
    recipe = {"name": "drq", "kind": "red_queen", "seed": 0, "held_out": str(held), **TINY_DRQ}
    parse_recipe(recipe).run(root / "runs" / "drq")
    return root / "runs"
