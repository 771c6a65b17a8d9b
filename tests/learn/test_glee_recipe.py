"""The glee recipe: GLEE's measures of hand-computed outcomes, validation, and a tiny
grid end to end through the CLI (run, resume after losing matches, report)."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from redqueen.agents.registry import make_agent
from redqueen.cli import app
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.experiments.glee import GleeRecipe, measure_match
from redqueen.games.glee import bargaining, negotiation, persuasion
from redqueen.play.match import play_match

RECIPES = Path(__file__).resolve().parents[2] / "recipes"
runner = CliRunner()


def _match(game, alice: str, bob: str, seed: int = 0):  # type: ignore[no-untyped-def]
    return play_match(game, [make_agent("glee", name=alice), make_agent("glee", name=bob)], seed)


def test_bargaining_measures() -> None:
    game = bargaining(money=100, delta_1=0.9, delta_2=0.8)
    m = measure_match(game, _match(game, "split_difference", "split_difference"))
    # agreed in round 3 on Alice 65, Bob 35
    assert m.deal == 1.0 and m.rounds == 3
    assert m.efficiency == pytest.approx(0.65 * 0.9**2 + 0.35 * 0.8**2)
    assert m.fairness == pytest.approx(1 - 4 * 0.15**2)
    m = measure_match(game, _match(game, "fair", "greedy"))
    assert (m.deal, m.efficiency, m.rounds) == (0.0, 0.0, 12) and math.isnan(m.fairness)
    m = measure_match(game, _match(game, "hardliner", "pushover"))
    assert (m.efficiency, m.fairness, m.gains) == (1.0, 0.0, (100.0, 0.0))


def test_negotiation_and_persuasion_measures() -> None:
    game = negotiation()  # values 100 and 120, price order 100
    m = measure_match(game, _match(game, "conceder", "conceder"))
    assert m.deal == 1.0 and m.efficiency == 1.0
    assert m.fairness == pytest.approx(1 - 4 * (1.152 - 1.1) ** 2)
    m = measure_match(game, _match(game, "walker", "tough"))  # a deal with John
    assert (m.deal, m.efficiency, m.fairness) == (0.0, 0.0, 1.0)
    sell = persuasion(p=0.5, rounds=10)
    m = measure_match(sell, _match(sell, "truthful", "follow", seed=4))
    assert (m.efficiency, m.fairness, m.rounds) == (1.0, 1.0, 10)
    m = measure_match(sell, _match(sell, "always_recommend", "follow", seed=4))
    assert (m.deal, m.efficiency, m.fairness) == (1.0, 1.0, 0.0)


def test_bad_recipes_are_refused() -> None:
    base = {"name": "g", "kind": "glee", "matches": 1}
    cases = [
        ({}, "at least one family"),
        ({"bargaining": {"pairs": [["rubenstein", "fair"]]}}, "unknown strategy.*allowed"),
        ({"persuasion": {"pairs": [["follow", "truthful"]]}}, "cannot play seat 0"),
        ({"negotiation": {"pairs": [["fair", "fair"]]}}, "allowed: conceder"),
        ({"bargaining": {"params": {"delta_1": [1.5]}, "pairs": [["fair", "fair"]]}}, r"\(0, 1\]"),
        ({"bargaining": {"params": {"delta": [0.9]}, "pairs": [["fair", "fair"]]}}, "delta_1"),
    ]
    for extra, message in cases:
        with pytest.raises(RecipeError, match=message):
            parse_recipe(base | extra)


def test_shipped_recipe_parses() -> None:
    recipe = load_recipe(RECIPES / "glee_bargaining.yaml")
    assert isinstance(recipe, GleeRecipe) and recipe.name == "glee_bargaining"
    bargain = recipe.grids()["bargaining"]
    assert bargain.params["delta_1"] == bargain.params["delta_2"] == [0.8, 0.9, 0.95, 1.0]
    assert len(list(recipe.jobs())) == 10 * (64 * 9 + 9 * 5 + 12 * 6)


TINY = {
    "name": "glee_tiny",
    "kind": "glee",
    "matches": 3,
    "seed": 1,
    "bargaining": {
        "params": {"max_rounds": [6], "delta_2": [0.8], "delta_1": [0.8, 0.9]},
        "pairs": [["rubinstein", "rubinstein"], ["noisy_fair", "split_difference"]],
    },
    "negotiation": {"params": {"buyer_value": [1.2]}, "pairs": [["conceder", "tough"]]},
    "persuasion": {
        "params": {"p": [0.5], "rounds": [5]},
        "pairs": [["persuasive", "learner"]],
    },
}


def test_tiny_grid_through_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(TINY, sort_keys=False))  # the store sorts them
    out = tmp_path / "run"
    first = runner.invoke(app, ["run", str(path), "--out", str(out), "--json"])
    assert first.exit_code == 0, first.output
    db = sqlite3.connect(out / "run.sqlite")
    assert db.execute("SELECT count(*) FROM matches").fetchone()[0] == 3 * (4 + 1 + 1)
    # lose two matches, as a killed run would; the rerun plays exactly those again
    db.execute("DELETE FROM matches WHERE key IN ('bargaining/1/1/2', 'persuasion/0/0/0')")
    db.commit()
    again = runner.invoke(app, ["run", str(path), "--out", str(out), "--json"])
    assert again.exit_code == 0, again.output
    assert _rows(again.output) == _rows(first.output)
    assert db.execute("SELECT count(*) FROM matches").fetchone()[0] == 18
    db.close()
    rubinstein = [r for r in _rows(first.output) if r["pair"] == ["rubinstein", "rubinstein"]]
    assert [r["cell"]["delta_1"] for r in rubinstein] == [0.8, 0.9]
    for row in rubinstein:  # immediate agreement: efficiency 1, fairness of 1 / (1 + d)
        keep = math.floor(100 * 0.2 / (1 - row["cell"]["delta_1"] * 0.8) + 1e-9) / 100
        assert row["efficiency"] == {"mean": 1.0, "low": 1.0, "high": 1.0, "n": 3}
        assert row["fairness"]["mean"] == pytest.approx(1 - 4 * (keep - 0.5) ** 2)
    (out / "report.html").unlink()
    report = runner.invoke(app, ["report", str(out)])
    assert report.exit_code == 0, report.output
    html = (out / "report.html").read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") == 2  # delta_1 charts
    assert "rubinstein vs rubinstein" in html and "persuasive vs learner" in html
    # the report, read from the store's (key-sorted) config, labels cells as the run did
    fairness = {r["cell"]["delta_1"]: r["fairness"]["mean"] for r in rubinstein}
    for d1, text in ((0.8, "delta_1=0.8"), (0.9, "delta_1=0.9")):
        row = html[html.index(f"<td>{text}, delta_2=0.8, max_rounds=6</td>") :]
        assert f"{fairness[d1]:.3g}" in row[: row.index("</tr>")]


def test_cells_do_not_depend_on_the_order_written() -> None:
    pairs = [["fair", "fair"]]
    one = parse_recipe({"name": "a", "kind": "glee", "bargaining": {
        "params": {"max_rounds": [2, 3], "delta_1": [0.8, 0.9]}, "pairs": pairs}})  # fmt: skip
    two = parse_recipe({"name": "a", "kind": "glee", "bargaining": {
        "params": {"delta_1": [0.8, 0.9], "max_rounds": [2, 3]}, "pairs": pairs}})  # fmt: skip
    assert isinstance(one, GleeRecipe) and isinstance(two, GleeRecipe)
    cells = one.grids()["bargaining"].cells()
    assert cells == two.grids()["bargaining"].cells()
    assert cells[1] == {"delta_1": 0.8, "max_rounds": 3}


def _rows(output: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(output)["rows"]
    return rows
