"""LLM players in recipes: `redqueen run` against the test server, the cache, cost,
transcripts and `redqueen show`, the key kept out of the run directory, and resume after
a backend failure."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.cli import app
from redqueen.errors import RedqueenError
from redqueen.experiments import parse_recipe
from redqueen.experiments.tournament import run_recipe
from redqueen.store.llm_cache import LLMStore
from redqueen.store.run_store import RunStore

runner = CliRunner()
SECRET = "sk-test-3f9c2a71e0d84b56a1c7"


def recipe_data(server: ScriptedServer, **llm: Any) -> dict[str, Any]:
    params = {"model": "scripted", "base_url": server.url, "api_key_env": None, "backoff": 0.01}
    params.update(llm)
    return {
        "name": "llm_smoke",
        "kind": "tournament",
        "game": "tic_tac_toe",
        "agents": [{"kind": "llm", "params": params, "name": "llm"}, "random"],
        "games_per_pairing": 4,
        "seed": 0,
    }


def stored(run_dir: Path) -> list[tuple[Any, Any]]:
    with RunStore(run_dir) as store:
        return list(store.matches())


def test_recipe_through_the_cli_with_cost_transcripts_and_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RQ_TEST_SECRET_KEY", SECRET)
    with ScriptedServer("first", api_key=SECRET) as server:
        data = recipe_data(
            server, api_key_env="RQ_TEST_SECRET_KEY", prices={"scripted": [1.5, 6.0]}
        )
        path = tmp_path / "llm.yaml"
        path.write_text(yaml.safe_dump(data))
        out = tmp_path / "run"
        result = runner.invoke(app, ["run", str(path), "--out", str(out), "--json"])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.output)
        requests = server.answered
    assert summary["matches"] == 4
    with LLMStore(out / "run.sqlite") as calls_store:
        calls = calls_store.calls()
    assert len(calls) == requests > 0
    assert {c.agent for c in calls} == {"llm"}
    assert all(c.action is not None and not c.cached for c in calls)
    usage = json.loads((out / "results.json").read_text())["llm"]
    tokens_in = sum(c.input_tokens for c in calls)
    tokens_out = sum(c.output_tokens for c in calls)
    assert usage["run"]["calls"] == usage["run"]["requests"] == requests
    assert usage["run"]["input_tokens"] == tokens_in and usage["run"]["output_tokens"] == tokens_out
    assert usage["run"]["cost_usd"] == pytest.approx((1.5 * tokens_in + 6.0 * tokens_out) / 1e6)
    assert usage["agents"]["llm"]["cost_usd"] == pytest.approx(usage["run"]["cost_usd"])
    # each call's transcript, per match and seat, in order
    key = stored(out)[0][0].key
    of_match = [c for c in calls if c.match_key == key]
    assert [c.call for c in of_match] == list(range(len(of_match)))
    shown = runner.invoke(app, ["show", str(out), key])
    assert shown.exit_code == 0, shown.output
    text = shown.output
    assert f"match {key}" in text and "── seat" in text and "call 0" in text
    assert "[system]" in text and "Tic-tac-toe is played" in text and "- a1" in text
    assert "[reply]" in text and "Scripted test server" in text and "=> action" in text
    listing = runner.invoke(app, ["show", str(out)])
    assert key in listing.output
    missing = runner.invoke(app, ["show", str(out), "nope"])
    assert missing.exit_code != 0 and "matches with calls" in str(missing.exception)
    page = (out / "transcripts.html").read_text()
    assert f'id="match-{key.replace(":", "-")}"' in page
    assert "Tic-tac-toe is played" in page and "<td>llm</td>" in page
    report = (out / "report.html").read_text()
    assert "<a href='transcripts.html'>transcripts</a>" in report
    assert "<h2>LLM calls</h2>" in report and "cost $" in report
    # the key never reaches the run directory, whatever the file
    for file in out.rglob("*"):
        if file.is_file():
            assert SECRET.encode() not in file.read_bytes(), file
    assert SECRET not in result.output + text


def test_cache_replays_a_finished_run_with_no_requests(tmp_path: Path) -> None:
    with ScriptedServer("random", seed=4) as server:
        recipe = parse_recipe(recipe_data(server, temperature=0.7))
        first = tmp_path / "first"
        run_recipe(recipe, first)
        made = server.answered
        assert made > 0
        matches = stored(first)
        # forget the results but keep the cache: the same run replays with no request
        with sqlite3.connect(first / "run.sqlite") as db:
            db.execute("DELETE FROM matches")
        again = run_recipe(recipe, first)
        assert server.answered == made
        assert again.resumed_from == 0
        assert stored(first) == matches
        with LLMStore(first / "run.sqlite") as calls_store:
            usage = calls_store.usage()["run"]
        assert usage["cached"] == made and usage["requests"] == made
        # a cache file shared between run directories
        shared = str(tmp_path / "cache.sqlite")
        recipe = parse_recipe(recipe_data(server, temperature=0.7, cache=shared))
        run_recipe(recipe, tmp_path / "a")
        before = server.answered
        run_recipe(recipe, tmp_path / "b")
        assert server.answered == before
        # the same model name at another server is another model: no replay from the cache
        with ScriptedServer("first") as other:
            run_recipe(
                parse_recipe(recipe_data(other, temperature=0.7, cache=shared)), tmp_path / "c"
            )
            assert other.answered > 0
    assert stored(tmp_path / "a") == stored(tmp_path / "b")
    plays = [[(m, r.returns, r.trajectory) for m, r in stored(d)] for d in (first, tmp_path / "a")]
    assert plays[0] == plays[1]  # the labels differ (cache=...), the matches do not


def test_a_failed_backend_loses_no_result_and_the_rerun_completes(tmp_path: Path) -> None:
    with ScriptedServer("first") as server:
        recipe = parse_recipe(recipe_data(server, max_retries=0))
        clean = tmp_path / "clean"
        run_recipe(recipe, clean)
        server.inject(500, 1)  # exactly one call fails, and its match with it
        broken = tmp_path / "broken"
        with pytest.raises(RedqueenError, match=r"1 of 4 matches failed.*run the same command"):
            run_recipe(recipe, broken)
        assert len(stored(broken)) == 3
        with RunStore(broken) as store:
            failures = store.get_meta("failed_matches")
        assert len(failures) == 1 and "HTTP 500" in next(iter(failures.values()))
        again = run_recipe(recipe, broken)
    assert again.resumed_from == 3
    with RunStore(broken) as store:
        assert store.get_meta("failed_matches") == {}
    assert stored(broken) == stored(clean)
    with LLMStore(broken / "run.sqlite") as b, LLMStore(clean / "run.sqlite") as c:
        # transcripts show the final attempts only; the failed call is kept, superseded
        assert [(x.match_key, x.seat, x.call) for x in b.calls()] == [
            (x.match_key, x.seat, x.call) for x in c.calls()
        ]


def test_bad_credentials_stop_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RQ_TEST_SECRET_KEY", "sk-wrong")
    with ScriptedServer("first", api_key=SECRET) as server:
        recipe = parse_recipe(recipe_data(server, api_key_env="RQ_TEST_SECRET_KEY"))
        with pytest.raises(RedqueenError, match="bad credentials"):
            run_recipe(recipe, tmp_path / "run")
    assert stored(tmp_path / "run") == []
