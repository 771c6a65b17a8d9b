"""The work behind ``redqueen solve GAME``: run a CFR-family solver, show the learning
curve, save the average policy.

Kept free of typer so it can be called (and tested) directly; the ``solve`` command in
:mod:`redqueen.cli` wraps it. The
saved policy plays with the ``policy`` agent kind: ``--agents policy:path=FILE``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from redqueen.games.registry import make
from redqueen.solve.cfr import solve
from redqueen.solve.tree import compile_game


def default_policy_path(game: str, algorithm: str, params: Mapping[str, Any] | None = None) -> Path:
    """``policies/<game>-<algorithm>.json``; game parameters, when given, join the game
    id (``policies/kuhn_poker-players=3-cfr+.json``) so that variants do not collide."""
    parts = [game] + [f"{k}={_short(v)}" for k, v in sorted((params or {}).items())]
    stem = "-".join([*parts, algorithm])
    return Path("policies") / (re.sub(r"[^A-Za-z0-9_.=+,-]", "_", stem) + ".json")


def _short(value: Any) -> str:
    return json.dumps(value, separators=(",", ":")) if not isinstance(value, str) else value


def solve_command(
    game: str,
    algorithm: str,
    iterations: int,
    params: dict[str, Any],
    eval_every: int,
    out: Path | None,
    as_json: bool,
    console: Console,
    *,
    algorithm_params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Solve ``game`` (built with the game parameters ``params``) with ``algorithm`` for
    ``iterations`` iterations, evaluating the average policy every ``eval_every``
    iterations (0: only at the end). Prints the curve as a table, or the summary as JSON
    with ``as_json``; saves the average policy to ``out`` (default
    :func:`default_policy_path`) and returns the summary."""
    g = make(game, **params)
    tree = compile_game(g)
    result = solve(g, algorithm, iterations, eval_every=eval_every or None, params=algorithm_params)
    path = out if out is not None else default_policy_path(game, algorithm, params)
    result.average_policy.save(path, game=g)
    summary: dict[str, Any] = {
        "game": game,
        "game_params": dict(params),
        "algorithm": algorithm,
        "algorithm_params": result.params,
        "iterations": result.iterations,
        "histories": tree.num_nodes,
        "information_states": tree.num_infosets,
        "metric": result.metric,
        "final": result.final,
        "curve": [{"iteration": i, result.metric: v} for i, v in result.curve],
        "solve_seconds": round(result.solve_time, 6),
        "wall_seconds": round(result.wall_time, 6),
        "policy": str(path),
    }
    if as_json:
        console.print_json(json.dumps(summary, allow_nan=False))
        return summary
    table = Table(
        title=Text(
            f"{algorithm} on {game}: {tree.num_nodes:,} histories, "
            f"{tree.num_infosets:,} information states"
        )
    )
    table.add_column("iteration", justify="right")
    table.add_column(result.metric.replace("_", " "), justify="right")
    table.add_column("solver seconds", justify="right")
    for (i, v), s in zip(result.curve, result.curve_seconds, strict=True):
        table.add_row(str(i), f"{v:.6g}", f"{s:.3f}")
    console.print(table)
    console.print(
        f"{result.metric.replace('_', ' ')} of the average policy after "
        f"{result.iterations} iterations: {result.final:.6g} "
        f"({result.solve_time:.2f} s solving, {result.wall_time:.2f} s in all). "
        f"Average policy saved to {path}",
        highlight=False,
        markup=False,
    )
    return summary
