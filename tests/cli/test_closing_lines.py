"""Every recipe kind ends a ``redqueen run`` with the same closing lines: its report,
whether it resumed and how much was already stored (in the kind's own unit), and the
matches that failed, if any. Each kind runs a tiny recipe twice: a new run, then a
resumed one that finds everything stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.cli import app
from redqueen.experiments import recipe_kinds

LLM: dict[str, Any] = {"model": "scripted", "api_key_env": None}  # base_url: the test server
PPO = {"num_envs": 2, "update_epochs": 1, "num_minibatches": 1, "hidden": [8]}
TINY: dict[str, tuple[dict[str, Any], str]] = {
    # kind: (the recipe's fields, what the resumed run finds stored)
    "tournament": (
        {"game": "tic_tac_toe", "agents": ["random", "first"], "games_per_pairing": 2},
        "2 matches were",
    ),
    "ipd_tournament": (
        {"strategies": ["tit_for_tat", "grudger"], "turns": 5, "repetitions": 1},
        "1 result was",
    ),
    "moran": (
        {
            "strategies": ["tit_for_tat", "grudger"],
            "turns": 5,
            "repetitions": 1,
            "population": 4,
            "processes": 1,
            "max_steps": 20,
            "fixation_population": 4,
            "replicator_steps": 10,
        },
        "1 result was",
    ),
    "population": ({"game": "donor", "size": 100, "generations": 2, "rounds": 2}, "1 result was"),
    "donor_evolution": (
        {
            "population": ["cooperator", "defector"],
            "generations": 2,
            "runs": 2,
            "num_agents": 4,
            "rounds": 2,
        },
        "2 runs were",
    ),
    "commons_norms": (
        {
            "presets": ["rich"],
            "institutions": ["none"],
            "populations": {"g": ["greedy"] * 2},
            "rounds": 2,
            "matches": 2,
        },
        "1 cell was",
    ),
    "glee": (
        {
            "matches": 1,
            "bargaining": {
                "pairs": [["fair", "fair"]],
                "params": {
                    "money": [100],
                    "delta_1": [0.9],
                    "delta_2": [0.9],
                    "max_rounds": [2],
                    "complete_information": [True],
                },
            },
        },
        "1 match was",
    ),
    "psro": (
        {"game": "kuhn_poker", "meta_solvers": ["uniform"], "iterations": 2},
        "2 iterations were",
    ),
    "fxp": ({"iterations": 3}, "6 iterations were"),  # two etas
    "league": ({"game": "kuhn_poker", "iterations": 2}, "2 iterations were"),
    "self_play": (
        {"game": "tic_tac_toe", "iterations": 2, "snapshot_every": 1, "eval_every": 0, "ppo": PPO},
        "2 updates were",
    ),
    "pbt": (
        {
            "game": "tic_tac_toe",
            "population_size": 2,
            "iterations": 2,
            "ready_every": 1,
            "eval_games": 2,
            "elo_bootstrap": 10,
            "ppo": PPO,
        },
        "2 updates were",
    ),
    "red_queen": (
        {
            "rounds": 1,
            "initial_population": 2,
            "iterations": 2,
            "batch_size": 2,
            "battle_rounds": 1,
            "versus_rounds": 1,
            "coresize": 800,
            "cycles": 800,
            "processes": 80,
            "max_length": 10,
            "min_distance": 10,
        },
        "2 rounds were",  # rounds 0 and 1
    ),
    "llm_self_play": (
        {
            "games": ["kuhn_poker"],
            "protocol": {"preset": "plain"},
            "elo_games": 0,
            "model": {"tiny": {"layers": 1, "hidden": 16, "heads": 2, "intermediate": 32}},
            "loop": {"steps": 1, "games_per_step": 2, "eval_every": 0, "snapshot_every": 1},
        },
        "1 step was",
    ),
    "referential_populations": (
        {
            "game_params": {
                "properties": 2,
                "values": 3,
                "distractors": 2,
                "vocabulary": 6,
                "message_length": 2,
            },
            "seeds": 2,
            "population": 2,
            "held_out": 1,
            "selfplay_steps": 3,
            "meta_steps": 2,
            "batch_size": 8,
            "shots": 4,
            "adapt_steps": 1,
            "eval_games": 10,
        },
        "2 runs were",
    ),
    "reservoir_governance": (
        {
            "seeds": 2,
            "size": 4,
            "sizes": [3],
            "noisy_steps": 20,
            "schedule_scale": 0.02,
            "burn_in": 5,
            "train_steps": 20,
            "habituation_epochs": 2,
            "habituation_steps": 10,
            "warmup": 5,
            "kl_samples": 20,
            "knn_k": 2,
        },
        "2 parts were",  # the main part and one size
    ),
    "role_games": (
        {
            "matches": 2,
            "games": [
                {"id": "critic_game", "lineups": [["spc_random_generator", "spc_exact_critic"]]}
            ],
        },
        "2 matches were",
    ),
    "spy_scripted": (
        {"matches": 2, "game": {"n_scenes": 5}, "lineups": [["spy_blending"] * 4]},
        "2 matches were",
    ),
    "spy_llm": (
        {
            "llm": LLM,
            "matches": 2,
            "game": {"n_scenes": 5},
            "lineups": [["llm", "spy_truthful", "spy_truthful", "spy_truthful"]],
        },
        "2 matches were",
    ),
    "repeated_games_llm": (
        {
            "llm": LLM,
            "games": ["prisoners_dilemma"],
            "variants": ["plain"],
            "rounds": 2,
            "opponents": {"prisoners_dilemma": ["always_defect"]},
        },
        "2 matches were",  # one per seat
    ),
    "llm_vs_baselines": (
        {
            "llm": LLM,
            "matches_per_seat": 1,
            "games": [{"id": "tic_tac_toe", "opponents": ["first", "random"]}],
        },
        "4 matches were",
    ),
    "donor_cultural_evolution": (
        {"llm": LLM, "agents": 2, "rounds": 1, "generations": 2},
        "2 generations were",
    ),
    "tax_saez": ({"workers": 10, "draws": 2, "grid_step": 50}, "2 draws were"),
    "tax_llm": ({"llm": LLM, "workers": 2, "steps": 3, "tax_year": 2}, "1 episode was"),
    "tax_democracy": ({"workers": 3, "steps": 3, "tax_year": 2}, "1 episode was"),
    "hanabi_eval": (
        {
            "llm": LLM,
            "presets": ["mini"],
            "teams": ["rules", "llm"],
            "matches": 2,
            "llm_matches": 1,
        },
        "3 matches were",
    ),
    "overcooked_proagent": (
        {
            "llm": LLM,
            "layouts": ["cramped_room"],
            "teammates": ["stay"],
            "horizon": 6,
            "baselines": False,
        },
        "2 matches were",  # one per seat
    ),
    "overcooked_ppo": (
        {"horizon": 4, "updates": 2, "eval_episodes": 2, "ppo": PPO},
        "2 updates were",
    ),
    "werewolf_llm": (
        {
            "llm": LLM,
            "matches": 1,
            "game": {"board": "small", "players": 6, "speech": "text"},
            "baseline": False,
        },
        "1 match was",
    ),
    "werealign_eval": ({"llm": LLM, "tasks": ["va"]}, "4 answers were"),
}


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer("first") as s:
        yield s


def test_every_kind_has_a_tiny_recipe_here() -> None:
    assert sorted(TINY) == recipe_kinds()


@pytest.mark.parametrize("kind", sorted(TINY))
def test_every_kind_ends_with_the_same_closing_lines(
    kind: str, server: ScriptedServer, tmp_path: Path
) -> None:
    fields, stored = TINY[kind]
    if "llm" in fields:
        fields = {**fields, "llm": {**LLM, "base_url": server.url}}
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"name": "tiny", "kind": kind, "seed": 0, **fields}))
    run = tmp_path / "run"
    args = ["run", str(recipe), "--out", str(run)]
    first = CliRunner().invoke(app, args)
    assert first.exit_code == 0, first.output
    report = f"report: {run / 'report.html'}"
    summary, closing = first.stdout.splitlines()[:-2], first.stdout.splitlines()[-2:]
    assert closing == [report, f"new run: nothing was stored in {run} before"]
    assert "".join(summary).strip()  # the kind's own summary comes first
    assert (run / "report.html").is_file()
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-2:] == [report, f"resumed: {stored} already stored in {run}"]
