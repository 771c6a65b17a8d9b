"""The ipd_tournament, moran and population recipe kinds: validated, run, resumed and
reported; the shipped recipes parse."""

from __future__ import annotations

from pathlib import Path

import pytest

from redqueen.experiments import RecipeError, load_recipe, parse_recipe

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


@pytest.mark.parametrize("name", ["axelrod_first_tournament", "moran_ipd", "million_donors"])
def test_shipped_recipes_parse(name: str) -> None:
    recipe = load_recipe(RECIPES / f"{name}.yaml")
    assert recipe.name == name


def test_tournament_recipe_runs_resumes_and_reports(tmp_path: Path) -> None:
    recipe = parse_recipe(
        {
            "name": "t",
            "kind": "ipd_tournament",
            "strategies": ["tit_for_tat", "defector", "cooperator"],
            "turns": 200,
            "repetitions": 1,
            "replicator_steps": 100,
        }
    )
    out = recipe.run(tmp_path / "run")
    ranking = out.to_dict()["ranking"]
    assert [r["name"] for r in ranking] == ["Defector", "Tit For Tat", "Cooperator"]
    assert ranking[0]["median_score"] == pytest.approx((204 / 200 + 5) / 2)
    again = recipe.run(tmp_path / "run")  # resumed from the store
    assert again.to_dict()["ranking"] == ranking
    html = (tmp_path / "run" / "report.html").read_text()
    assert html.startswith("<!doctype html>") and html.count("<svg") >= 2
    assert "Tit For Tat" in html


def test_moran_recipe_in_memory() -> None:
    recipe = parse_recipe(
        {
            "name": "m",
            "kind": "moran",
            "strategies": ["tit_for_tat", "defector"],
            "turns": 20,
            "repetitions": 1,
            "population": 6,
            "processes": 2,
            "fixation_population": 10,
            "replicator_steps": 50,
            "spatial_size": 8,
            "spatial_steps": 3,
        }
    )
    result = recipe.run(None).to_dict()
    assert all(run["fixed"] in ("Tit For Tat", "Defector") for run in result["moran"])
    assert result["fixation"][0][1] is not None and result["fixation"][0][0] is None
    assert result["neutral_fixation"] == 0.1
    assert len(result["spatial"]) == 4 and sum(result["spatial"][-1]) == pytest.approx(1.0)


def test_image_score_population_recipe() -> None:
    recipe = parse_recipe(
        {
            "name": "p",
            "kind": "population",
            "game": "image_score",
            "size": 1000,
            "generations": 2,
            "benefit": 1.0,
            "cost": 0.1,
        }
    )
    result = recipe.run(None).to_dict()
    assert result["names"][0] == "k=-5" and len(result["generations"][0]["shares"]) == 12


def test_population_recipe_report(tmp_path: Path) -> None:
    recipe = parse_recipe(
        {
            "name": "p",
            "kind": "population",
            "game": "ipd",
            "size": 2000,
            "generations": 3,
        }
    )
    result = recipe.run(tmp_path / "run").to_dict()
    assert len(result["generations"]) == 3
    assert result["names"] == ["ALLC", "ALLD", "TFT", "WSLS", "GTFT"]
    assert (tmp_path / "run" / "report.html").exists()


def test_bad_recipes_are_refused() -> None:
    with pytest.raises(RecipeError, match="close matches: tit_for_tat"):
        parse_recipe(
            {"name": "x", "kind": "ipd_tournament", "strategies": ["tit_for_tatt", "defector"]}
        )
    with pytest.raises(RecipeError, match="noise"):
        parse_recipe(
            {"name": "x", "kind": "moran", "strategies": ["cooperator", "defector"], "noise": 2}
        )
    with pytest.raises(RecipeError, match="unknown norm 'kind'; allowed: image_scoring"):
        parse_recipe({"name": "x", "kind": "population", "norm": "kind"})
    with pytest.raises(RecipeError, match="size"):
        parse_recipe({"name": "x", "kind": "population", "size": 1})
