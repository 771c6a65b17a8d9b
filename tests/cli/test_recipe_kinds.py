"""Recipe kinds other than tournaments: validated, run and reported through one path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redqueen.cli import app
from redqueen.experiments import RecipeError, base, parse_recipe


@pytest.fixture
def count_kind(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(base.RECIPE_KINDS, "count", "toy_recipe:CountRecipe")


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(RecipeError, match=r"kind .nope. is not known; allowed: .*tournament"):
        parse_recipe({"name": "x", "kind": "nope"})


def test_a_kind_validates_its_own_fields(count_kind: None) -> None:
    assert parse_recipe({"name": "x", "kind": "count", "upto": 5}).upto == 5  # type: ignore[attr-defined]
    with pytest.raises(RecipeError, match="upto: Input should be less than or equal to 100"):
        parse_recipe({"name": "x", "kind": "count", "upto": 500})
    with pytest.raises(RecipeError, match="unknown field; allowed fields: name, description"):
        parse_recipe({"name": "x", "kind": "count", "games": 5})


def test_run_and_report_dispatch_on_kind(count_kind: None, tmp_path: Path) -> None:
    recipe = tmp_path / "count.yaml"
    recipe.write_text("name: c\nkind: count\nupto: 4\n")
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(recipe), "--out", str(tmp_path / "run"), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"total": 4}
    res = runner.invoke(app, ["run", str(recipe), "--out", str(tmp_path / "run")])
    assert "counted to 4" in res.stdout
    res = runner.invoke(app, ["report", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "run" / "report.html").read_text().startswith("<!doctype html>")


def test_overrides_set_nested_fields_as_scalars(count_kind: None, tmp_path: Path) -> None:
    from redqueen.experiments import apply_overrides

    data = {"name": "x", "llm": {"base_url": "a", "api_key_env": "K"}, "n": 1}
    out = apply_overrides(data, ["llm.base_url=http://h:8/v1", "llm.api_key_env=null", "n=3"])
    assert out == {"name": "x", "llm": {"base_url": "http://h:8/v1", "api_key_env": None}, "n": 3}
    assert data["llm"]["base_url"] == "a"  # the input is not changed
    assert apply_overrides({"a": 1}, ["b.c={x: 1}"]) == {"a": 1, "b": {"c": "{x: 1}"}}
    with pytest.raises(RecipeError, match="not of the form"):
        apply_overrides(data, ["llm.base_url"])
    with pytest.raises(RecipeError, match="n is not a mapping"):
        apply_overrides(data, ["n.m=1"])
    recipe = tmp_path / "count.yaml"
    recipe.write_text("name: c\nkind: count\nupto: 4\n")
    out = ["--out", str(tmp_path / "run")]
    res = CliRunner().invoke(app, ["run", str(recipe), *out, "--set", "upto=6", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == {"total": 6}
    res = CliRunner().invoke(app, ["run", str(recipe), *out, "--set", "upto=600"])
    assert res.exit_code != 0 and "less than or equal to 100" in str(res.exception)


@pytest.mark.parametrize(
    "path",
    sorted((Path(__file__).resolve().parents[2] / "recipes").glob("*.yaml")),
    ids=lambda p: p.stem,
)
def test_every_shipped_recipe_validates(path: Path) -> None:
    from redqueen.experiments import load_recipe

    assert load_recipe(path).name == path.stem
