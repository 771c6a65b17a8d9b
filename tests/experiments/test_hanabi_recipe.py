"""The ``hanabi_eval`` recipe kind: the shipped recipe, its checks, a run end to end with
an API model through the scripted test server (its scores equal a scripted player's on
the same seeds), forfeits scored 0, resumption from the cache, and the report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import redqueen
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.agents.random_agent import FirstLegalAgent
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.experiments.hanabi import HanabiEvalRecipe, summarise, team_seats
from redqueen.play.match import MatchResult, play_match
from redqueen.play.schedule import match_seed
from redqueen.report.hanabi import preset_table_html, scores_chart_svg

pytest.importorskip("pyspiel", reason="the hanabi game runs on OpenSpiel")

ROOT = Path(__file__).resolve().parents[2]


def _recipe(**fields: Any) -> dict[str, Any]:
    return {"name": "t", "kind": "hanabi_eval", "seed": 3, **fields}


def _llm(server: ScriptedServer, **more: Any) -> dict[str, Any]:
    return {
        "model": "scripted",
        "base_url": server.url,
        "api_key_env": None,
        "answer_format": "tags",
        **more,
    }


def test_shipped_recipe_validates() -> None:
    recipe = load_recipe(ROOT / "recipes" / "hanabi_mars_eval.yaml")
    assert isinstance(recipe, HanabiEvalRecipe)
    assert recipe.presets == ["mini", "simple", "full"]
    assert recipe.teams == ["random", "rules", "llm"]
    assert (recipe.matches, recipe.llm_matches) == (3000, 32)
    assert recipe.llm is not None and recipe.llm.answer_format == "tags"
    assert (recipe.llm.reasks, recipe.llm.on_invalid) == (0, "forfeit")
    over = load_recipe(
        ROOT / "recipes" / "hanabi_mars_eval.yaml", ["llm.base_url=http://h:8/v1", "matches=5"]
    )
    assert over.llm.base_url == "http://h:8/v1" and over.matches == 5  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"teams": ["random", "expert"]}, "players: random, rules, llm"),
        ({"teams": ["a+b+c"]}, "players: random, rules, llm"),
        ({"teams": ["rules", "rules"]}, "teams listed twice"),
        ({"presets": ["huge"]}, "allowed: mini, simple, full"),
        ({"presets": ["mini", "mini"]}, "presets listed twice"),
        ({"teams": ["llm+rules"]}, "needs the recipe's llm"),
        ({"matches": 0}, "greater than or equal to 1"),
    ],
)
def test_bad_recipes_say_what_is_allowed(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(RecipeError, match=message):
        parse_recipe(_recipe(**fields))


def test_team_seats() -> None:
    assert team_seats("rules") == ("rules", "rules")
    assert team_seats("llm + random") == ("llm", "random")


def test_summary_of_hand_made_records() -> None:
    records = [
        {"score": 4, "cards_played": 4, "lives_out": False, "forfeit": False, "decisions": 9},
        {"score": 0, "cards_played": 1, "lives_out": True, "forfeit": False, "decisions": 5},
        {"score": 2, "cards_played": 2, "lives_out": False, "forfeit": False, "decisions": 7},
    ]
    results = [
        MatchResult("hanabi", 0, (4.0, 4.0), 15, (0, 0), ()),
        MatchResult("hanabi", 1, (0.0, 0.0), 11, (0, 2), ()),
        MatchResult("hanabi", 2, (2.0, 0.0), 13, (1, 0), (), forfeits=(0, 0)),
    ]
    row = summarise("mini", "random", records, results)
    assert row["score"]["mean"] == pytest.approx(2.0) and row["score"]["n"] == 3
    assert 0.0 <= row["score"]["low"] < 2.0 < row["score"]["high"] <= 4.0
    assert row["score"]["method"] == "bounded-score"
    assert row["distribution"] == [1, 0, 1, 0, 1]
    assert (row["perfect"]["count"], row["lives_out"]["count"]) == (1, 1)
    assert row["cards_played"] == pytest.approx(7 / 3) and row["decisions"] == 7
    assert [r["count"] for r in row["invalid"]] == [1, 1]
    assert [r["count"] for r in row["forfeits"]] == [0, 0]
    assert row["reference_random_mean"] == 1.45
    html = preset_table_html([row]) + scores_chart_svg([row])
    assert "2.000" in html and "OpenSpiel random play: 1.45" in html and "<svg" in html


def test_run_end_to_end_with_a_scripted_model(tmp_path: Path) -> None:
    with ScriptedServer("first") as server:
        recipe = parse_recipe(
            _recipe(
                presets=["mini", "simple"],
                teams=["rules", "llm", "llm+random"],
                matches=6,
                llm_matches=2,
                llm=_llm(server),
            )
        )
        out = recipe.run(tmp_path)
        requests = server.requests
        assert requests > 0
        again = recipe.run(tmp_path)  # everything is stored: nothing is asked again
        assert server.requests == requests
    assert again.to_dict()["groups"] == out.to_dict()["groups"]
    rows = {(r["preset"], r["team"]): r for r in out.to_dict()["groups"]}
    assert sorted(rows) == [
        ("mini", "llm"),
        ("mini", "llm+random"),
        ("mini", "rules"),
        ("simple", "llm"),
        ("simple", "llm+random"),
        ("simple", "rules"),
    ]
    # the scripted server answers with the first legal move: the LLM team is redqueen's
    # `first` player, match for match (the seed of match k is the same for every team)
    first = FirstLegalAgent()
    for index, preset in [(0, "mini"), (1, "simple")]:
        game = redqueen.make("hanabi", preset=preset)
        expected = [
            play_match(game, [first, first], seed=match_seed(3, index, k)).returns[0]
            for k in range(2)
        ]
        row = rows[(preset, "llm")]
        assert row["matches"] == 2 and row["score"]["mean"] == pytest.approx(sum(expected) / 2)
        assert row["distribution"][int(expected[0])] >= 1
        assert [r["count"] for r in row["invalid"] + row["forfeits"]] == [0, 0, 0, 0]
        assert rows[(preset, "rules")]["matches"] == 6
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["matches"] == 2 * (6 + 2 + 2) and stored["failed_matches"] == []
    report = (tmp_path / "report.html").read_text()
    assert "simple (max score 6)" in report and "mini/llm/0" in report
    assert (tmp_path / "transcripts.html").is_file()


def test_an_llm_that_never_answers_forfeits_and_scores_zero() -> None:
    with ScriptedServer("first", malformed_rate=1.0) as server:
        recipe = parse_recipe(
            _recipe(
                presets=["simple"],
                teams=["llm"],
                llm_matches=3,
                llm=_llm(server, reasks=0, on_invalid="forfeit"),
            )
        )
        out = recipe.run(None)
    (row,) = out.to_dict()["groups"]
    assert row["distribution"][0] == 3 and row["score"]["mean"] == 0.0
    assert [r["count"] for r in row["forfeits"]] == [3, 0]  # seat 0 moves first
    assert [r["count"] for r in row["invalid"]] == [3, 0]
    assert row["decisions"] == 0 and row["cards_played"] == 0  # a forfeit is no move
