"""The werewolf recipes end to end against the scripted test server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.store.run_store import RunStore

RECIPES = Path(__file__).parents[2] / "recipes"


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer("random") as s:
        yield s


def llm(server: ScriptedServer) -> dict[str, Any]:
    return {"model": "scripted", "api_key_env": None, "base_url": server.url}


def test_werewolf_llm_end_to_end(server: ScriptedServer, tmp_path: Path) -> None:
    recipe = parse_recipe(
        {
            "name": "ww",
            "kind": "werewolf_llm",
            "llm": llm(server),
            "matches": 2,
            "game": {"board": "small", "players": 6, "speech": "text"},
            "llm_seats": [0, 3],
        }
    )
    out = recipe.run(tmp_path / "run")
    groups = out.to_dict()["groups"]
    assert set(groups) == {"llm", "baseline"}
    llm_group = groups["llm"]
    assert llm_group["matches"] == 2
    wins = llm_group["win_rates"]
    assert wins["wolves"]["count"] + wins["village"]["count"] + wins["draw"]["count"] == 2
    with RunStore(tmp_path / "run") as store:
        records = [store.get_meta(f"match:llm/{k}") for k in range(2)]
        assert len(store.completed_keys()) == 4  # two with the LLM, two baseline
    # every LLM seat that cast an exile vote was asked about each of the 5 other seats
    voted = {
        (k, voter)
        for k, r in enumerate(records)
        for e in r["events"]
        if e[0] == "votes" and e[2] == "vote"
        for voter, _ in e[4]
        if voter in (0, 3)
    }
    assert llm_group["role_guesses"]["n"] == 5 * len(voted) > 0
    # the good voters' share of votes on wolves is recomputed from the stored events
    hits = n = 0
    for r in records:
        for e in r["events"]:
            if e[0] == "votes" and e[2] == "vote":
                for voter, target in e[4]:
                    if target >= 0 and r["roles"][voter] != "wolf":
                        n += 1
                        hits += r["roles"][target] == "wolf"
    assert (
        llm_group["votes_on_wolves"]["good"]["count"],
        llm_group["votes_on_wolves"]["good"]["n"],
    ) == (hits, n)
    report = (tmp_path / "run" / "report.html").read_text()
    assert "role-guess accuracy" in report and "Scripted players in every seat" in report
    # a second run finds everything stored and gives the same summary
    again = recipe.run(tmp_path / "run")
    assert again.to_dict() == out.to_dict()


def test_werewolf_llm_checks_its_seats(server: ScriptedServer) -> None:
    with pytest.raises(RecipeError, match=r"llm_seats \[6\]"):
        parse_recipe(
            {
                "name": "ww",
                "kind": "werewolf_llm",
                "llm": llm(server),
                "game": {"board": "small", "players": 6},
                "llm_seats": [6],
            }
        )
    with pytest.raises(RecipeError, match="add up to"):
        parse_recipe(
            {
                "name": "ww",
                "kind": "werewolf_llm",
                "llm": llm(server),
                "game": {"players": 5, "roles": {"wolf": 1, "villager": 2, "seer": 1}},
            }
        )


def test_werealign_eval_on_the_fixture(server: ScriptedServer, tmp_path: Path) -> None:
    recipe = parse_recipe({"name": "wa", "kind": "werealign_eval", "llm": llm(server)})
    out = recipe.run(tmp_path / "run").to_dict()
    # The test server answers these prompts (which list no moves) with "Scripted test
    # server: no legal moves ...": the script reads its first letter A-I, the C of
    # "SCRIPTED", for every question. The six asked have keys C, B, C, A, C, E.
    mcq = out["mcq"]
    assert {k: (v["correct"], v["answered"]) for k, v in mcq["categories"].items()} == {
        "RI": (1, 2),
        "SJ": (1, 1),
        "DR": (0, 1),
        "PS": (1, 1),
        "CT": (0, 1),
    }
    assert mcq["overall"]["accuracy"] == 0.5 and mcq["category_mean"] == 0.5
    # no "N号" and no "N号:role" in its replies: every vote and role guess is a miss
    assert (out["va"]["count"], out["va"]["n"]) == (0, 4)
    assert (out["oi"]["count"], out["oi"]["n"]) == (0, 9)
    assert "Vote alignment (VA)" in (tmp_path / "run" / "report.html").read_text()
    assert recipe.stored_units(tmp_path / "run") == 6 + 4 + 2
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["mcq"]["asked"] == 6


def test_werealign_eval_reads_the_users_data_and_names_bad_files(
    server: ScriptedServer, tmp_path: Path
) -> None:
    games = tmp_path / "games"
    games.mkdir()
    (games / "01.json").write_text('{"metadata": {"user_aliases": {}}}', encoding="utf-8")
    with pytest.raises(RecipeError, match=r"01\.json: metadata: field 'real_role': missing"):
        parse_recipe(
            {"name": "wa", "kind": "werealign_eval", "llm": llm(server), "games": str(games)}
        )


def test_the_recipe_files_parse() -> None:
    assert load_recipe(RECIPES / "werewolf_llm.yaml").kind == "werewolf_llm"
    assert load_recipe(RECIPES / "werealign_eval.yaml").kind == "werealign_eval"
