"""The Overcooked recipe kinds end to end, tiny: ProAgent against the scripted test server
(with the greedy baseline beside it), and PPO self-play with a checkpoint it resumes from.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.experiments.base import load_recipe, parse_recipe
from redqueen.experiments.overcooked import SelfPlayPPO
from redqueen.experiments.self_play import ppo_config
from redqueen.games.hidden.overcooked import overcooked

ROOT = Path(__file__).resolve().parents[2]


def test_proagent_recipe_runs_stores_and_resumes(tmp_path: Path) -> None:
    with ScriptedServer("random") as server:
        recipe = parse_recipe(
            {
                "name": "tiny",
                "kind": "overcooked_proagent",
                "llm": {"model": "scripted", "api_key_env": None, "base_url": server.url},
                "layouts": ["cramped_room", "forced_coordination"],
                "teammates": ["greedy"],
                "horizon": 12,
            }
        )
        run = tmp_path / "run"
        outcome = recipe.run(run)
        asked = server.answered
        assert asked > 0
        rows = outcome.to_dict()["rows"]
        assert [(r["layout"], r["teammate"]) for r in rows] == [
            ("cramped_room", "greedy"),
            ("forced_coordination", "greedy"),
        ]
        for row in rows:
            assert row["llm"]["n"] == 2 and row["llm_seat0"]["n"] == 1
            assert row["greedy"]["n"] == 2
            assert row["belief_scored"] >= row["belief_hits"] >= 0
        # Two greedy cooks cannot finish a soup in 12 steps: 3 onions, 20 ticks, a dish.
        assert rows[0]["greedy"]["mean"] == 0.0
        assert rows[1]["greedy"]["mean"] == 0.0  # nor ever in forced_coordination
        assert (run / "report.html").is_file()
        saved = json.loads((run / "results.json").read_text())
        assert saved["episodes"] == 8 and saved["failed_matches"] == []
        html = (run / "report.html").read_text()
        assert "cramped_room" in html and "ProAgent (both seats)" in html
        again = recipe.run(run)  # everything is stored: no new requests
        assert server.answered == asked
        assert again.to_dict()["rows"] == rows


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_ppo_recipe_trains_checkpoints_and_resumes(tmp_path: Path) -> None:
    fields = {
        "name": "tiny",
        "kind": "overcooked_ppo",
        "horizon": 6,
        "updates": 2,
        "eval_episodes": 2,
        "shaping_steps": 10,
        "ppo": {"num_envs": 2, "update_epochs": 1, "num_minibatches": 1, "hidden": [8]},
    }
    run = tmp_path / "run"
    first = parse_recipe(fields).run(run)
    result = first.to_dict()
    assert result["updates"] == 2 and result["env_steps"] == 2 * 2 * 6
    assert [p["env_steps"] for p in result["curve"]] == [12, 24]
    assert result["greedy"]["n"] == 2 and result["ppo"]["n"] == 2
    assert (run / "ppo.pt").is_file() and (run / "report.html").is_file()
    recipe = parse_recipe({**fields, "updates": 3})
    assert recipe.stored_units(run) == 2
    resumed = recipe.run(run).to_dict()
    assert resumed["updates"] == 3
    assert [p["env_steps"] for p in resumed["curve"]] == [12, 24, 36]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_self_play_ppo_learns_to_cook(seed: int) -> None:
    """40 updates of 8 games of 100 steps: the team's shaped return (onions potted,
    dishes and soups taken) rises from the random policy's 1-2 a game to 9-12 (measured
    over seeds 0-3); a learner that does not learn stays near 2."""
    game = overcooked(layout="cramped_room", horizon=100)
    config = ppo_config({"num_envs": 8, "learning_rate": 0.001, "gamma": 0.99, "gae_lambda": 0.98})
    trainer = SelfPlayPPO(game, config, seed, reward_scale=0.05)
    for _ in range(40):
        trainer.train_iteration(shaping_steps=10**9)
    shaped = [p["shaped"] for p in trainer.curve]
    assert np.mean(shaped[-5:]) >= np.mean(shaped[:5]) + 5.0


@pytest.mark.parametrize("name", ["overcooked_proagent", "overcooked_ppo"])
def test_shipped_recipes_parse(name: str) -> None:
    recipe = load_recipe(ROOT / "recipes" / f"{name}.yaml")
    assert recipe.kind == name
