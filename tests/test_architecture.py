"""The package keeps the shape ARCHITECTURE.md gives it: no import circles, each layer
imports only layers to its left, the command-line libraries stay in ``cli``, and every
recipe kind lives in ``experiments``. The checks are shown to fail on planted faults."""

from __future__ import annotations

from pathlib import Path

import pytest
from import_graph import cycles, import_edges, layer_violations, third_party_violations

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "redqueen"


def test_no_import_circles_in_redqueen() -> None:
    modules, edges, _ = import_edges(PACKAGE)
    assert len(modules) > 100 and len(edges) > 300  # the graph was really read
    assert cycles(modules, edges) == []


def test_each_layer_imports_only_layers_to_its_left() -> None:
    modules, edges, _ = import_edges(PACKAGE)
    assert layer_violations(modules, edges) == []


def test_only_the_cli_imports_typer_and_rich() -> None:
    _, _, outer = import_edges(PACKAGE)
    assert {e.target for e in outer} >= {"numpy", "typer", "rich"}  # imports were seen
    assert third_party_violations(outer) == []


def test_every_recipe_kind_lives_in_experiments() -> None:
    from redqueen.experiments import RECIPE_KINDS, recipe_model

    for kind, target in RECIPE_KINDS.items():
        assert target.startswith("redqueen.experiments."), kind
        assert recipe_model(kind).model_fields["kind"].default == kind


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "redqueen"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(text)
    return root


@pytest.mark.parametrize(
    "files",
    [
        # a direct pair, one side deferred inside a function
        {
            "learn/a.py": "from redqueen.learn import b\n",
            "learn/b.py": "def f():\n    from redqueen.learn.a import x\n",
        },
        # a longer loop through a relative import
        {
            "games/a.py": "from . import b\n",
            "games/b.py": "import redqueen.games.c\n",
            "games/c.py": "from redqueen.games.a import Thing\n",
        },
    ],
)
def test_a_planted_circle_is_found(tmp_path: Path, files: dict[str, str]) -> None:
    modules, edges, _ = import_edges(_package(tmp_path, files))
    found = cycles(modules, edges)
    assert len(found) == 1 and len(found[0]) == len(files)


def test_a_planted_upward_import_is_found(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "games/g.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from redqueen.report.html import page\n",
            "report/html.py": "import redqueen.games.g\n",
            "agents/cli.py": "import typer\n",
            "agents/registry.py": "KINDS = {'ppo': 'redqueen.learn.ppo:PPOAgent'}\n",
            "learn/ppo.py": "",
            "extras/x.py": "",
        },
    )
    modules, edges, outer = import_edges(root)
    problems = layer_violations(modules, edges)
    assert any("redqueen.games.g:3 (games) imports redqueen.report.html" in p for p in problems)
    assert any("redqueen.extras.x: not in a known layer" in p for p in problems)
    registry = "redqueen.agents.registry:1 (agents) imports redqueen.learn.ppo"
    assert any(registry in p for p in problems)
    assert not any(p.startswith("redqueen.report.html") for p in problems)  # leftward is fine
    assert third_party_violations(outer) == ["redqueen.agents.cli:1 imports typer; only cli may"]
