"""The laptop check's recipe (recipes/spiral_kuhn_tiny.yaml), shrunk for tests by default."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "spiral_kuhn_tiny.yaml"
SMALL = {
    "loop.steps": 8,
    "loop.games_per_step": 8,
    "loop.eval_every": 4,
    "loop.eval_games": 8,
    "loop.snapshot_every": 4,
    "elo_games": 2,
    "torch_threads": 1,
}
"""Overrides that make the recipe a few seconds' run."""


def recipe_data(**changes: Any) -> dict[str, Any]:
    """The recipe as a mapping with :data:`SMALL`, then ``changes``, set
    (``"loop.steps"`` sets ``loop: {steps: ...}``)."""
    data = yaml.safe_load(RECIPE.read_text())
    for path, value in {**SMALL, **changes}.items():
        node = data
        *parents, last = path.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return data
