"""Self-play with the PPO oracle: snapshots, evaluation, resume, the recipe kind."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

import redqueen
from redqueen.agents.minimax import MinimaxAgent
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.experiments import RecipeError, parse_recipe
from redqueen.learn.ppo import PPOConfig, PPOStats, PPOTrainer
from redqueen.learn.self_play import SelfPlayConfig, evaluate, self_play
from redqueen.store.run_store import RunStore

METRICS = ("train/mean_return", "train/entropy", "env_steps", "eval/draw_rate", "eval/loss_rate")


def _config(iterations: int, sampler: str = "latest") -> SelfPlayConfig:
    return SelfPlayConfig(
        iterations=iterations,
        sampler=sampler,  # type: ignore[arg-type]
        snapshot_every=2,
        eval_every=2,
        eval_games=4,
        evaluator="random",
        seed=3,
        ppo=PPOConfig(num_envs=8, update_epochs=1, num_minibatches=2),
    )


class Interrupted(Exception):
    pass


def test_an_interrupted_run_resumes_with_nothing_lost_or_logged_twice(tmp_path: Path) -> None:
    game = redqueen.make("tic_tac_toe")
    whole = self_play(game, _config(6, "uniform"), RunStore(tmp_path / "whole"))

    def die_after_five(stats: PPOStats) -> None:
        if stats.update == 5:  # metrics of update 5 are logged; the last checkpoint is 4
            raise Interrupted

    with pytest.raises(Interrupted):
        self_play(game, _config(6, "uniform"), RunStore(tmp_path / "cut"), die_after_five)
    resumed = self_play(game, _config(6, "uniform"), RunStore(tmp_path / "cut"))
    assert resumed.evaluations == whole.evaluations
    assert [m.id for m in resumed.population[0]] == ["snap-0", "snap-2", "snap-4", "snap-6"]
    assert [m.parents for m in resumed.population[0]] == [
        (),
        ("snap-0",),
        ("snap-2",),
        ("snap-4",),
    ]
    with RunStore(tmp_path / "whole") as a, RunStore(tmp_path / "cut") as b:
        for name in METRICS:
            assert a.metrics(name) == b.metrics(name), name
        assert [s for s, _ in b.metrics("train/mean_return")] == [1, 2, 3, 4, 5, 6]
    for pa, pb in zip(whole.policy.net.parameters(), resumed.policy.net.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_latest_and_uniform_samplers_train_differently() -> None:
    game = redqueen.make("kuhn_poker")
    latest = self_play(game, _config(4, "latest"))
    uniform = self_play(game, _config(4, "uniform"))
    assert latest.updates == uniform.updates == 4
    assert latest.population.size(0) == uniform.population.size(0) == 3
    # Update 3 is the first to see two snapshots: the runs part there.
    a = next(iter(latest.policy.net.parameters()))
    b = next(iter(uniform.policy.net.parameters()))
    assert not torch.equal(a, b)
    mixed = self_play(game, dataclasses.replace(_config(2, "latest"), random_opponent=0.5))
    c = next(iter(self_play(game, _config(2, "latest")).policy.net.parameters()))
    assert not torch.equal(c, next(iter(mixed.policy.net.parameters())))


def test_no_policy_beats_a_perfect_minimax_player_at_tic_tac_toe() -> None:
    game = redqueen.make("tic_tac_toe")
    trainer = PPOTrainer(game, PPOConfig(num_envs=4), seed=0)
    result = evaluate(game, trainer.policy(), MinimaxAgent(), games=24, seed=0)
    assert result["win_rate"] == 0.0
    assert result["draw_rate"] + result["loss_rate"] == pytest.approx(1.0)
    assert result["loss_rate"] > 0.5  # an untrained policy loses most games (seeds 0-7: 0.88-0.96)


def test_self_play_recipe_runs_end_to_end_and_writes_its_report(tmp_path: Path) -> None:
    data = {
        "name": "tiny_selfplay",
        "kind": "self_play",
        "game": "tic_tac_toe",
        "iterations": 2,
        "snapshot_every": 1,
        "eval_every": 2,
        "eval_games": 2,
        "ppo": {"num_envs": 4, "update_epochs": 1, "num_minibatches": 1},
    }
    result = parse_recipe(data).run(tmp_path)
    assert result.updates == 2 and [e["update"] for e in result.evaluations] == [2]
    assert "vs minimax" in result.summary_text()
    html = (tmp_path / "report.html").read_text()
    assert "Against the evaluator (minimax)" in html and "<svg" in html and "snap-2" in html
    with RunStore(tmp_path) as store:
        assert store.config()["kind"] == "self_play"


def test_bad_settings_are_refused_before_anything_runs() -> None:
    base = {"name": "x", "kind": "self_play", "game": "tic_tac_toe"}
    with pytest.raises(RecipeError, match="unknown ppo field 'lr'"):
        parse_recipe({**base, "ppo": {"lr": 0.1}})
    with pytest.raises(RecipeError, match="unknown agent"):
        parse_recipe({**base, "evaluator": "grandmaster"})
    with pytest.raises(UnknownNameError, match="latest"):
        SelfPlayConfig(sampler="newest")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="snapshot_every"):
        SelfPlayConfig(snapshot_every=0)
    with pytest.raises(InvalidParameterError, match="random_opponent"):
        SelfPlayConfig(random_opponent=1.0)
    with pytest.raises(UnknownNameError, match="game for PPO"):
        self_play(redqueen.make("matching_pennies"), _config(1))


def test_the_shipped_recipe_is_valid() -> None:
    from redqueen.experiments import load_recipe

    root = Path(__file__).resolve().parents[2]
    recipe = load_recipe(root / "recipes" / "selfplay_tictactoe.yaml")
    config = recipe.algorithm_config()  # type: ignore[attr-defined]
    assert config.evaluator.startswith("minimax") and config.eval_greedy


def test_annealing_decays_learning_rate_and_entropy_linearly_then_holds() -> None:
    from redqueen.learn.self_play import ANNEAL_FLOOR, annealed

    ppo = PPOConfig(learning_rate=0.001, ent_coef=0.02)
    assert annealed(ppo, 0, 100) == {"learning_rate": 0.001, "ent_coef": 0.02}
    half = annealed(ppo, 50, 100)
    assert half["learning_rate"] == pytest.approx(0.001 * (1 - (1 - ANNEAL_FLOOR) / 2))
    assert half["ent_coef"] == pytest.approx(0.02 * (1 - (1 - ANNEAL_FLOOR) / 2))
    for late in (100, 500):
        assert annealed(ppo, late, 100) == pytest.approx(
            {"learning_rate": 0.001 * ANNEAL_FLOOR, "ent_coef": 0.02 * ANNEAL_FLOOR}
        )
    with pytest.raises(InvalidParameterError, match="anneal_updates must be a positive"):
        SelfPlayConfig(anneal_updates=0)
    # In the loop: update 0 is the same either way; update 1 takes a smaller step.
    game = redqueen.make("kuhn_poker")
    plain = _config(1, "latest")
    first = [
        self_play(game, c).policy for c in (plain, dataclasses.replace(plain, anneal_updates=2))
    ]
    assert all(torch.equal(a, b) for a, b in zip(*(f.net.parameters() for f in first), strict=True))
    second = [
        self_play(game, dataclasses.replace(_config(2, "latest"), anneal_updates=k)).policy
        for k in (None, 2)
    ]
    assert not torch.equal(*(next(iter(p.net.parameters())) for p in second))
