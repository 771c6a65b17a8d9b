"""Run directories made by an earlier layout of the package (before the recipe kinds
moved to ``redqueen.experiments``) still resume and report, with the results a fresh
run gives. The fixtures are the ``quickstart`` and ``donor_game_scripted`` runs as that
earlier code stored them; the recipe is rebuilt from each run's stored config."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from redqueen.experiments import parse_recipe, recipe_model
from redqueen.store.run_store import RunStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "runs_made_before_experiments"
PER_RUN = {"run_dir", "report", "resumed_from", "seconds", "wall_time"}


def _comparable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items() if k not in PER_RUN}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


@pytest.mark.parametrize("name", ["quickstart", "donor_game_scripted"])
def test_an_old_run_directory_resumes_and_reports(name: str, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(FIXTURES / name, old)
    with RunStore(old) as store:
        config = store.config()
        stored_matches = len(list(store.matches()))
    recipe = parse_recipe(config)
    assert recipe.kind == config["kind"]

    resumed = recipe.run(old).to_dict()
    fresh = recipe.run(tmp_path / "fresh").to_dict()
    assert _comparable(resumed) == _comparable(fresh)
    if name == "quickstart":  # every match was already stored: none is played again
        assert stored_matches == resumed["matches"] == resumed["resumed_from"] > 0

    (old / "report.html").unlink(missing_ok=True)
    report = recipe_model(recipe.kind).write_report(old)
    assert report.is_file() and recipe.name in report.read_text()
