"""The three LLM recipes end to end against the in-process scripted TEST server (real
HTTP through the openai client), with tiny sizes and exact expected outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.experiments.llm_games import PaperOpponent
from redqueen.measure.statistics import wilson_interval
from redqueen.store.llm_cache import LLMStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def first_server() -> Iterator[ScriptedServer]:
    with ScriptedServer("first") as server:
        yield server


def _llm(server: ScriptedServer) -> dict[str, Any]:
    return {"model": "scripted", "base_url": server.url, "api_key_env": None}


def test_shipped_recipes_validate() -> None:
    for name in ("repeated_games_llm", "donor_cultural_evolution", "llm_vs_baselines"):
        recipe = load_recipe(ROOT / "recipes" / f"{name}.yaml")
        assert recipe.kind == name
        assert recipe.llm.api_key_env == "OPENAI_API_KEY"  # type: ignore[attr-defined]


def test_bad_fields_are_refused_before_running() -> None:
    llm = {"model": "m", "api_key_env": None}
    with pytest.raises(RecipeError, match=r"opponents\.prisoners_dilemma"):
        parse_recipe(
            {
                "name": "x",
                "kind": "repeated_games_llm",
                "llm": llm,
                "opponents": {"prisoners_dilemma": ["always_own"]},
            }
        )
    with pytest.raises(RecipeError, match=r"llm\.temperature"):
        parse_recipe({"name": "x", "kind": "llm_vs_baselines", "llm": {**llm, "temperature": 9}})
    with pytest.raises(RecipeError, match="unknown agent"):
        parse_recipe(
            {
                "name": "x",
                "kind": "llm_vs_baselines",
                "llm": llm,
                "games": [{"id": "tic_tac_toe", "opponents": ["nobody"]}],
            }
        )
    with pytest.raises(RecipeError, match="survivors"):
        parse_recipe(
            {"name": "x", "kind": "donor_cultural_evolution", "llm": llm, "survivors": 0.01}
        )


def test_paper_opponents_exact_sequences() -> None:
    import numpy as np

    from redqueen.agents.core import Agent
    from redqueen.experiments.llm_games import paper_game
    from redqueen.play.match import play_match

    def moves(a: Agent, b: Agent, flip: bool, stage: str = "prisoners_dilemma") -> list[Any]:
        result = play_match(paper_game(stage, 5, flip), [a, b], seed=0)
        return [tuple(x ^ flip for x in s.action) for s in result.trajectory]  # type: ignore[union-attr]

    for flip in (False, True):
        tft, once = PaperOpponent("tit_for_tat", flip), PaperOpponent("defect_once", flip)
        assert moves(tft, once, flip) == [(0, 1), (1, 0), (0, 0), (0, 0), (0, 0)]
        grim, alt = PaperOpponent("grim_trigger", flip), PaperOpponent("alternate", flip)
        assert moves(grim, alt, flip) == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 0)]
        own0, own1 = PaperOpponent("always_own", flip), PaperOpponent("alternate", flip)
        bos = moves(own0, own1, flip, "battle_of_the_sexes")
        assert bos == [(0, 1), (0, 0), (0, 1), (0, 0), (0, 1)]
    assert np.all(
        paper_game("prisoners_dilemma", 1, True).stage.payoff_matrices()[0] == [[5, 10], [0, 8]]
    )


def test_wilson_interval_known_values() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.27753, abs=1e-5)
    low, high = wilson_interval(5, 10)
    assert (low, high) == (pytest.approx(0.23659, abs=1e-5), pytest.approx(0.76341, abs=1e-5))


def test_repeated_games_llm_end_to_end(first_server: ScriptedServer, tmp_path: Path) -> None:
    data = {
        "name": "rg",
        "kind": "repeated_games_llm",
        "llm": _llm(first_server),
        "games": ["prisoners_dilemma"],
        "rounds": 3,
        "opponents": {"prisoners_dilemma": ["always_defect"]},
        "matches_per_seat": 2,
    }
    recipe = parse_recipe(data)
    flips = {j.key: j.info["flip"] for j in recipe.jobs()}  # type: ignore[attr-defined]
    assert set(flips.values()) == {False, True}  # the labels are drawn per match
    out = recipe.run(tmp_path)
    groups = {g["variant"]: g for g in out.to_dict()["groups"]}
    # The scripted "first" model always answers Option J, the first listed option, which
    # is cooperation in the matches whose labels were not flipped, defection otherwise.
    plain = [f for k, f in flips.items() if "/plain/" in k]
    assert groups["plain"]["cooperation"]["count"] == 3 * sum(not f for f in plain)
    assert groups["plain"]["cooperation"]["n"] == 3 * 4
    assert groups["plain"]["points_per_round"] == pytest.approx(
        sum(5 if f else 0 for f in plain) / 4
    )
    # It also predicts Option J: right exactly when J is defection (always_defect's move);
    # and only defection is a best response, so a decision is consistent with the stated
    # belief exactly when J is defection.
    flipped = sum(f for k, f in flips.items() if "/predict_first/" in k)
    assert groups["predict_first"]["prediction_accuracy"]["count"] == 3 * flipped
    assert groups["predict_first"]["belief_consistency"] == {
        "decisions": 12,
        "consistent": 3 * flipped,
        "unparsed": 0,
        "fraction": pytest.approx(3 * flipped / 12),
    }
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["matches"] == 8 and stored["failed_matches"] == []
    # the predict-first question is in the transcript, before each decision
    with LLMStore(tmp_path / "run.sqlite") as store:
        calls = store.calls("prisoners_dilemma/always_defect/predict_first/seat0/0")
    assert len(calls) == 6 and "predict the other player" in calls[0].messages[1]["content"]
    # a finished run resumes with nothing to do: no request reaches the server
    before = first_server.requests
    again = parse_recipe(data).run(tmp_path)
    assert first_server.requests == before
    assert again.to_dict()["groups"] == out.to_dict()["groups"]


def test_llm_vs_baselines_end_to_end(first_server: ScriptedServer) -> None:
    recipe = parse_recipe(
        {
            "name": "vb",
            "kind": "llm_vs_baselines",
            "llm": _llm(first_server),
            "matches_per_seat": 2,
            "games": [
                {"id": "tic_tac_toe", "opponents": ["minimax"]},
                {"id": "kuhn_poker", "opponents": ["cfr:iterations=50"]},
                {"id": "spiral_negotiation", "opponents": ["first"]},
            ],
        }
    )
    rows = {(r["game"], r["opponent"]): r for r in recipe.run(None).to_dict()["groups"]}
    assert rows[("tic_tac_toe", "minimax")]["win"]["count"] == 0  # nobody beats minimax
    assert rows[("tic_tac_toe", "minimax")]["loss"]["count"] == 4  # first-free-cell loses
    kuhn = rows[("kuhn_poker", "cfr:iterations=50")]
    assert kuhn["matches"] == 4 and kuhn["draw"]["count"] == 0  # Kuhn poker has no draws
    # both sides always pass (the first legal move): no trade, a draw every time
    spiral = rows[("spiral_negotiation", "first")]
    assert spiral["draw"] == {
        "rate": 1.0,
        "low": pytest.approx(0.51010, abs=1e-5),
        "high": 1.0,
        "count": 4,
        "n": 4,
    }
    for row in rows.values():
        assert row["invalid"]["count"] == 0 and row["invalid_moves_per_decision"] == 0


def test_donor_cultural_evolution_end_to_end(first_server: ScriptedServer, tmp_path: Path) -> None:
    data = {
        "name": "dc",
        "kind": "donor_cultural_evolution",
        "llm": _llm(first_server),
        "agents": 4,
        "rounds": 2,
        "generations": 2,
        "punishment": 2.0,
    }
    out = parse_recipe(data).run(tmp_path).to_dict()
    first, second = out["generations"]
    # the scripted model gives 0% (the first legal move): everyone keeps the endowment,
    # the ties keep the lowest seats, and their strategies pass on unchanged
    assert first["returns"] == [10.0] * 4 and first["mean_given"] == 0.0
    assert first["survivor_seats"] == [0, 1]
    assert second["strategies"][:2] == first["survivor_strategies"]
    with LLMStore(tmp_path / "run.sqlite") as store:
        asks = store.calls("generation/1/strategies")
        decisions = store.calls("generation/0")
    assert len(asks) == 2  # only the two new agents write a strategy
    assert first["survivor_strategies"][0] in asks[0].messages[0]["content"]
    assert len(decisions) == 4 * 2  # every agent donates once per round
    assert "Your strategy for this game" in decisions[0].messages[0]["content"]
    before = first_server.requests
    assert parse_recipe(data).run(tmp_path).to_dict() == out  # resumed: all stored
    assert first_server.requests == before


def test_persona_goes_into_the_system_prompt(first_server: ScriptedServer, tmp_path: Path) -> None:
    persona = {"name": "Ada", "age": 36, "occupation": "engineer", "traits": ["patient"]}
    data = {
        "name": "vb",
        "kind": "llm_vs_baselines",
        "llm": {**_llm(first_server), "persona": persona},
        "matches_per_seat": 1,
        "games": [{"id": "tic_tac_toe", "opponents": ["first"]}],
    }
    parse_recipe(data).run(tmp_path)
    with LLMStore(tmp_path / "run.sqlite") as store:
        calls = store.calls("tic_tac_toe/first/seat0/0")
    system = calls[0].messages[0]["content"]
    assert system.endswith("You are Ada, 36 years old, an engineer. You are patient.")
    assert "Tic-tac-toe is played by two players" in system


def test_a_failed_match_is_played_on_the_next_run(
    first_server: ScriptedServer, tmp_path: Path
) -> None:
    data = {
        "name": "vb",
        "kind": "llm_vs_baselines",
        "llm": {**_llm(first_server), "params": {"max_retries": 0, "backoff": 0.0}},
        "matches_per_seat": 1,
        "games": [{"id": "tic_tac_toe", "opponents": ["first"]}],
    }
    first_server.inject(500, count=1)  # the first request fails, and with it one match
    out = parse_recipe(data).run(tmp_path).to_dict()
    assert out["matches"] == 1 and len(out["failed_matches"]) == 1
    again = parse_recipe(data).run(tmp_path).to_dict()
    assert again["matches"] == 2 and again["failed_matches"] == []
