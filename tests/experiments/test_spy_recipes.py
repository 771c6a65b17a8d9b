"""The spy_scripted and spy_llm recipe kinds end to end: scripted players in memory and in
a run directory (resumed, reported), and an LLM player against the scripted test server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.experiments.base import RecipeError, parse_recipe

ROOT = Path(__file__).resolve().parents[2]


def scripted(**fields: Any) -> dict[str, Any]:
    return {
        "name": "spy",
        "kind": "spy_scripted",
        "seed": 0,
        "game": {"n_scenes": 200},
        "lineups": [
            {"label": "truthful", "seats": ["spy_truthful"] * 4},
            {"label": "blending", "seats": ["spy_blending"] * 4},
        ],
        "matches": 40,
        **fields,
    }


def test_spy_scripted_measures_a_blending_spy(tmp_path: Path) -> None:
    outcome = parse_recipe(scripted()).run(tmp_path)
    rows = {r["lineup"]: r for r in outcome.to_dict()["lineups"]}
    truthful, blending = rows["truthful"]["metrics"], rows["blending"]["metrics"]
    assert rows["truthful"]["matches"] == rows["truthful"]["finished"] == 40
    # Truthful civilians only vote on a contradiction, which only the spy can make.
    acc, na = truthful["civilian_accuracy"], truthful["abstain_rate"]
    assert acc["count"] + na["count"] == acc["n"] == 120
    assert truthful["civilian_clues_true"]["rate"] == 1.0
    # The blending spy is caught much less often than the naive one.
    assert blending["spy_caught"]["rate"] + 0.2 <= truthful["spy_caught"]["rate"]
    assert blending["psi"]["mean"] < truthful["psi"]["mean"]
    low, high = truthful["spy_caught"]["low"], truthful["spy_caught"]["high"]
    assert low < truthful["spy_caught"]["rate"] < high
    # The clue rewards are zero-sum: the spy's mean is minus 3 civilians' mean.
    rewards = truthful["rewards"]
    assert rewards["spy"]["clue"]["mean"] == pytest.approx(-3 * rewards["civilian"]["clue"]["mean"])
    assert (tmp_path / "report.html").is_file()
    report = (tmp_path / "report.html").read_text()
    assert "spy caught" in report and "Each player as the spy and as a civilian" in report
    again = parse_recipe(scripted()).run(tmp_path)  # resumed: nothing is played again
    assert again.to_dict()["lineups"] == outcome.to_dict()["lineups"]


def test_spy_llm_against_the_scripted_test_server(tmp_path: Path) -> None:
    with ScriptedServer("first") as server:
        recipe = parse_recipe(
            {
                "name": "spy_llm",
                "kind": "spy_llm",
                "seed": 1,
                "llm": {"model": "scripted", "api_key_env": None, "base_url": server.url},
                "game": {"n_scenes": 50},
                "lineups": [["llm", "spy_truthful", "spy_truthful", "spy_truthful"]],
                "matches": 6,
            }
        )
        outcome = recipe.run(tmp_path)
        assert server.requests == 6 * 3  # two clues and a vote per match
    (row,) = outcome.to_dict()["lineups"]
    assert row["finished"] == 6
    llm = next(p for p in row["players"] if p["label"] == "llm")
    # The server answers with the first example the game offers: a true clue about the
    # seat's own scene, then "[1]", a vote for Player 1, i.e. the model's own seat.
    civilian, spy = llm["as_civilian"], llm["as_spy"]
    assert civilian["games"] + spy["games"] == 6
    assert civilian["clues_true"]["rate"] == 1.0
    assert civilian["accuracy"]["count"] == 0
    if spy["games"]:
        assert spy["rewards"]["decision"]["mean"] == pytest.approx(-0.9)  # voted for itself
    assert row["invalid"][0]["count"] == 0
    assert "transcripts" in (tmp_path / "report.html").read_text()


def test_recipe_files_parse_and_bad_recipes_name_the_problem() -> None:
    for name in ("spy_scripted", "spy_llm"):
        data = yaml.safe_load((ROOT / "recipes" / f"{name}.yaml").read_text())
        assert parse_recipe(data).kind == name
    with pytest.raises(RecipeError, match="this kind has no model"):
        parse_recipe(scripted(lineups=[["llm", "spy_random", "spy_random", "spy_random"]]))
    with pytest.raises(RecipeError, match="has 3 seats; the game has 4"):
        parse_recipe(scripted(lineups=[["spy_random"] * 3]))
    with pytest.raises(RecipeError, match="allowed: clevr_text, word_pairs"):
        parse_recipe(scripted(game={"data": "photos"}))
    with pytest.raises(RecipeError, match="seat 3: minimax needs a two-player"):
        parse_recipe(scripted(lineups=[["random", "spy_random", "spy_random", "minimax"]]))
    with pytest.raises(RecipeError, match="'spy_random' plays who_is_the_spy only, not red_team"):
        parse_recipe(
            {
                "name": "x",
                "kind": "role_games",
                "games": [{"id": "red_team", "lineups": [["spy_random", "first"]]}],
            }
        )
