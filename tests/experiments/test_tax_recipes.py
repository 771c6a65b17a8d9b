"""The tax-economy recipes end to end with tiny sizes: ``tax_saez`` (scripted workers),
``tax_llm`` and ``tax_democracy`` against the in-process scripted TEST server (real HTTP
through the openai client), with exact expected rates, hours, elections and invalid-reply
counts; the LLM players' JSON reading; bad recipes refused before anything runs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.agents.tax import (
    read_json_object,
    read_labor,
    read_planner_delta,
    read_platform,
    read_vote,
    scripted_platforms,
    scripted_votes,
)
from redqueen.errors import InvalidParameterError
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.games.tax_economy import (
    TaxEconomy,
    TaxSchedule,
    legal_deltas,
    saez_rates,
    sample_skills,
)
from redqueen.store.llm_cache import LLMStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def first() -> Iterator[ScriptedServer]:
    with ScriptedServer("first") as server:
        yield server


def _llm(server: ScriptedServer) -> dict[str, Any]:
    return {"model": "scripted", "base_url": server.url, "api_key_env": None}


def test_shipped_recipes_validate() -> None:
    for name in ("tax_saez", "tax_llm", "tax_democracy"):
        assert load_recipe(ROOT / "recipes" / f"{name}.yaml").kind == name


# ---- reading the model's answers -------------------------------------------------------------


def test_json_answers_are_read_as_the_code_reads_them() -> None:
    assert read_json_object('Sure.\n```json\n{"LABOR": "40"}\n```') == {"LABOR": "40"}
    assert read_json_object('I run. {"DELTA": None} thanks') == {"DELTA": None}
    assert read_json_object("no object") is None
    assert read_labor('{"LABOR": "45 hours"}') == 45.0
    assert read_labor('{"labor": 130}') == 100.0  # clipped as the code does
    assert read_labor('{"LABOR": -3}') == 0.0
    with pytest.raises(InvalidParameterError, match='no "LABOR" field'):
        read_labor('{"HOURS": 40}')
    with pytest.raises(InvalidParameterError, match="not a number"):
        read_labor('{"LABOR": "lots"}')
    with pytest.raises(InvalidParameterError, match="no JSON object"):
        read_labor("forty")
    assert read_planner_delta('{"DELTA": [15, -20, 30]}', [90.0, 10.0, 50.0]) == [10.0, -10.0, 20.0]
    assert read_platform('{"DELTA": null}', [50.0]) is None
    assert read_platform('{"DELTA": [20]}', [90.0]) == [-20.0]  # reversed to stay in range
    assert read_vote('{"LEADER": "worker_2"}', [0, 2]) == 2
    with pytest.raises(InvalidParameterError, match=r"not a candidate; candidates: \[0, 2\]"):
        read_vote('{"LEADER": "1"}', [0, 2])


# ---- tax_saez ---------------------------------------------------------------------------------


def test_tax_saez_end_to_end(tmp_path: Path) -> None:
    fields = {"name": "s", "kind": "tax_saez", "workers": 30, "draws": 2, "grid_step": 50}
    recipe = parse_recipe(fields)
    outcome = recipe.run(tmp_path)
    draws = outcome.result["draws"]
    assert len(draws) == 2
    for k, draw in enumerate(draws):
        rows = draw["planners"]
        assert set(rows) == {"grid_search", "saez", "us_federal", "uniform"}
        # the grid (0, 50, 100 per bracket) holds the uniform 50%: the search is never worse
        assert rows["grid_search"]["swf"] >= rows["uniform"]["swf"]
        skills = sample_skills(30, "us_income", np.random.default_rng([0, k]))
        economy = TaxEconomy(skills, TaxSchedule.build("three"))
        best = max(
            (economy.welfare_at_best_response(r).swf, r)
            for r in recipe.grid()  # type: ignore[attr-defined]
        )
        assert rows["grid_search"]["swf"] == pytest.approx(best[0])
        assert rows["grid_search"]["rates"] == list(best[1])
        assert rows["saez"]["rates"] == list(saez_rates(skills, economy.schedule.edges))
        assert rows["us_federal"]["rates"] == [10, 12, 22, 24, 32, 35, 37]
    summary = {row["planner"]: row for row in outcome.result["summary"]}
    assert summary["grid_search"]["best_share"] == 1.0
    assert (tmp_path / "report.html").read_text().count("<tr>") >= 1 + 4 + 1 + 8
    again = parse_recipe(fields).run(tmp_path)  # resumed: read back, not recomputed
    assert again.result == outcome.result


def test_bad_recipes_are_refused_before_running() -> None:
    base = {"name": "x", "kind": "tax_saez"}
    with pytest.raises(RecipeError, match="at most 50000 are allowed"):
        parse_recipe({**base, "brackets": "us_federal", "grid_step": 10})
    with pytest.raises(RecipeError, match="grid_step must divide 100"):
        parse_recipe({**base, "grid_step": 30})
    with pytest.raises(RecipeError, match=r"gap: no bracket covers \[100, 200\)"):
        parse_recipe({**base, "brackets": [[0, 100], [200, None]]})
    llm = {"model": "m", "api_key_env": None}
    with pytest.raises(RecipeError, match="planner us_federal needs brackets: us_federal"):
        parse_recipe({"name": "x", "kind": "tax_llm", "llm": llm, "planner": "us_federal"})
    with pytest.raises(RecipeError, match="citizens: llm needs the llm field"):
        parse_recipe({"name": "x", "kind": "tax_democracy", "citizens": "llm"})
    with pytest.raises(RecipeError, match="at most 100"):
        parse_recipe(
            {"name": "x", "kind": "tax_democracy", "percent_altruistic": 60,
             "percent_adversarial": 50}
        )  # fmt: skip


# ---- tax_llm against the scripted test server ------------------------------------------------


def test_tax_llm_end_to_end_first_answers(first: ScriptedServer, tmp_path: Path) -> None:
    """The server answers the first listed answer: 0 hours, and a change of -20 points in
    every bracket (the first legal one), so the rates go 50, 30, 10."""
    fields = {
        "name": "l", "kind": "tax_llm", "llm": _llm(first), "workers": 2, "steps": 5,
        "tax_year": 2,
    }  # fmt: skip
    before = first.requests
    outcome = parse_recipe(fields).run(tmp_path)
    assert first.requests - before == 2 * 5 + 2  # every worker every step, the planner twice
    episode = outcome.result["episodes"][0]
    assert episode["rates"] == [[50.0] * 3] * 2 + [[30.0] * 3] * 2 + [[10.0] * 3]
    assert episode["changes"] == [[-20.0] * 3, [-20.0] * 3]
    assert episode["mean_hours"] == [0.0] * 5
    assert episode["swf"] == [0.0] * 5  # no income, no tax, no rebate, no effort
    assert episode["invalid_moves"] == {"workers": [0, 0], "planner": 0}
    with LLMStore(tmp_path / "run.sqlite") as store:
        calls = store.calls("episode/0")
    assert len(calls) == 12
    assert sorted({c.agent for c in calls}) == ["planner", "worker_0", "worker_1"]
    worker_call = next(c for c in calls if c.agent == "worker_1")
    assert json.loads(worker_call.reply) == {"LABOR": 0}
    assert '{"LABOR": "X"}' in worker_call.messages[0]["content"]
    planner_call = next(c for c in calls if c.agent == "planner")
    assert "You are an expert tax planner" in planner_call.messages[0]["content"]
    assert json.loads(planner_call.reply) == {"DELTA": [-20, -20, -20]}
    assert "report.html" in {p.name for p in tmp_path.iterdir()}
    requests = first.requests
    assert parse_recipe(fields).run(tmp_path).result == outcome.result
    assert first.requests == requests  # resumed from the store: no request


def test_tax_llm_last_answers_and_malformed_replies(tmp_path: Path) -> None:
    fields = {"name": "l", "kind": "tax_llm", "workers": 2, "steps": 5, "tax_year": 2}
    with ScriptedServer("last") as server:
        episode = parse_recipe({**fields, "llm": _llm(server)}).run(None).result["episodes"][0]
    assert episode["rates"] == [[50.0] * 3] * 2 + [[70.0] * 3] * 2 + [[90.0] * 3]
    assert episode["mean_hours"] == [100.0] * 5
    with ScriptedServer("first", malformed_rate=1.0) as server:
        episode = parse_recipe({**fields, "llm": _llm(server)}).run(None).result["episodes"][0]
        assert server.requests == 2 * (2 * 5 + 2)  # each question asked again once (reasks 1)
    # every reply invalid: each worker 5 steps x 2 replies, the planner 2 years x 2 replies;
    # the workers keep their hours (0 at the start) and the planner its rates
    assert episode["invalid_moves"] == {"workers": [10, 10], "planner": 4}
    assert episode["rates"] == [[50.0] * 3] * 5
    assert episode["mean_hours"] == [0.0] * 5


# ---- tax_democracy ----------------------------------------------------------------------------


def test_tax_democracy_scripted_elections() -> None:
    fields = {"name": "d", "kind": "tax_democracy", "workers": 4, "steps": 5, "tax_year": 2}
    recipe = parse_recipe(fields)
    episode = recipe.run(None).result["episodes"][0]
    economy, _ = recipe.economy(0)  # type: ignore[attr-defined]
    assert len(episode["elections"]) == 2
    for election in episode["elections"]:
        rates = episode["rates"][election["step"] - 1]
        economy.set_rates(rates)
        options = legal_deltas(rates)
        platforms = [tuple(int(d) for d in p) for p in election["platforms"]]
        assert platforms == scripted_platforms(economy)
        for i, platform in enumerate(platforms):  # each is that worker's best change
            mine = economy.welfare_at_best_response(
                [r + d for r, d in zip(rates, platform, strict=True)]
            ).utility[i]
            for other in options:
                moved = [r + d for r, d in zip(rates, other, strict=True)]
                assert economy.welfare_at_best_response(moved).utility[i] <= mine + 1e-9
        assert election["votes"] == scripted_votes(economy, platforms)
        counts = {c: election["votes"].count(c) for c in set(election["votes"])}
        assert counts[election["leader"]] == max(counts.values())
        applied = platforms[election["leader"]]
        after = episode["rates"][election["step"]]
        assert after == [r + d for r, d in zip(rates, applied, strict=True)]


def test_tax_democracy_with_llm_citizens(first: ScriptedServer) -> None:
    """Every citizen runs with the first listed platform (-20 everywhere) and votes for the
    first candidate, worker 0, whose platform is applied."""
    fields = {
        "name": "d", "kind": "tax_democracy", "citizens": "llm", "llm": _llm(first),
        "workers": 3, "steps": 5, "tax_year": 2,
    }  # fmt: skip
    episode = parse_recipe(fields).run(None).result["episodes"][0]
    for election in episode["elections"]:
        assert election["platforms"] == [[-20.0] * 3] * 3
        assert election["votes"] == [0, 0, 0]
        assert election["leader"] == 0
    assert episode["rates"] == [[50.0] * 3] * 2 + [[30.0] * 3] * 2 + [[10.0] * 3]
    assert episode["invalid_moves"]["workers"] == [0, 0, 0]
