"""The LLM self-play loop end to end with the tiny model: bad recipes are refused before
any step, a run is recorded in the run store, and a real ``redqueen run`` killed with
SIGKILL resumes to exactly the run that was never interrupted."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import torch
from kuhn_tiny_recipe import RECIPE, ROOT, SMALL, recipe_data

import redqueen
from redqueen.experiments import RecipeError, parse_recipe
from redqueen.games import registry
from redqueen.games.kuhn_poker import KuhnPokerGame
from redqueen.store.run_store import RunStore


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"games": ["kuhn_pokr"]}, "unknown game 'kuhn_pokr'; allowed:"),
        ({"protocol": {"preset": "spiro"}}, "preset 'spiro'; allowed: spiral, mars, plain"),
        ({"loop.estimator": "gae"}, "estimator 'gae'; allowed: rae, mars, grpo, reinforce"),
        ({"loop.estimator": "grpo"}, "estimator grpo compares .*: set group_size to 2"),
        ({"loop.group_size": 3}, "games_per_step (8) must be a multiple of group_size (3)"),
        ({"learner": {"algorithm": "dpo"}}, "dpo"),
        ({"learner": {"learning_rte": 0.1}}, "unknown field"),
        ({"loop.evaluators": ["minimax"]}, "'minimax' cannot play kuhn_poker"),
        ({"loop.opponents": ["nobody"]}, "nobody"),
        (
            {"learner": {"entropy_fade": [180, 120]}},
            r"entropy_fade \[180, 120\]: give",
        ),
        ({"loop.exploitability": ["tic_tac_toe"]}, "names 'tic_tac_toe'; allowed: .*: kuhn_poker$"),
        ({"loop.seats": [2]}, r"loop.seats \[2\]: kuhn_poker has seats 0 to 1"),
        (
            {"loop.past_sampling": "elo"},
            "unknown past_sampling: 'elo'; allowed: gated, pfsp, uniform",
        ),
    ],
)
def test_bad_recipes_are_refused_before_any_step(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RecipeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_recipe(recipe_data(**change))


def test_a_missing_model_directory_is_refused_when_the_run_starts(tmp_path: Path) -> None:
    # the recipe validates (a shipped recipe may name a model this machine lacks) ...
    recipe = parse_recipe(recipe_data(model={"path": "/nonexistent/model"}))
    # ... and running it says what is missing before anything is written or trained
    with pytest.raises(RecipeError, match="no model directory at '/nonexistent/model'"):
        recipe.run(tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_a_model_directory_that_does_not_load_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    recipe = parse_recipe(recipe_data(model={"path": str(tmp_path)}))
    with pytest.raises(Exception, match="cannot load a causal language model"):
        recipe.run(None)


def test_a_run_is_recorded_with_its_report(tmp_path: Path) -> None:
    recipe = parse_recipe(recipe_data())
    outcome = recipe.run(tmp_path / "run")
    assert len(outcome.result.steps) == 8
    with RunStore(tmp_path / "run") as store:
        names = store.metric_names()
        legal = store.metrics("train/legal_rate")
        elo = store.get_meta("llm_self_play/elo")
        saved = store.get_meta("llm_self_play")
    assert [s for s, _ in legal] == list(range(1, 9))
    assert {"exploitability", "eval/random/win_rate", "train/logprob_gap"} <= set(names)
    assert saved["step"] == 8 and saved["snapshots"] == [0, 4, 8]
    assert [r["name"] for r in sorted(elo, key=lambda r: r["name"])] == [
        "step 0",
        "step 4",
        "step 8",
    ]
    report = (tmp_path / "run" / "report.html").read_text()
    assert "Legal-move rate" in report and "Exploitability" in report
    assert "Against random: win, draw, loss and invalid rates (95% Wilson)" in report
    assert "Response length" in report and "Mean reward" in report
    # the sampler's and the learner's logprobs of the trained tokens agree (fp32, CPU)
    gaps = [v for _, v in RunStore(tmp_path / "run").metrics("train/logprob_gap")]
    assert gaps and max(gaps) < 1e-5


def _metrics(run: Path) -> dict[str, list[tuple[int | None, float]]]:
    with RunStore(run) as store:
        return {
            name: store.metrics(name)
            for name in store.metric_names()
            if not name.startswith(("speed/", "seconds/"))  # wall-clock figures
        }


def _redqueen_run(out: Path, steps: int) -> subprocess.Popen[bytes]:
    sets = [f"{k}={v}" for k, v in {**SMALL, "loop.steps": steps, "elo_games": 0}.items()]
    command = [sys.executable, "-m", "redqueen.cli", "run", str(RECIPE), "--out", str(out)]
    for item in sets:
        command += ["--set", item]
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _stored_step(out: Path) -> int:
    if not (out / "run.sqlite").exists():
        return 0
    try:
        with RunStore(out) as store:
            saved = store.get_meta("llm_self_play")
    except Exception:  # the database is being created
        return 0
    return 0 if saved is None else int(saved["step"])


@pytest.mark.slow
def test_sigkill_then_resume_loses_and_duplicates_no_step(tmp_path: Path) -> None:
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert _redqueen_run(whole, 12).wait(timeout=300) == 0
    run = _redqueen_run(killed, 12)
    deadline = time.monotonic() + 300
    while _stored_step(killed) < 4 and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be killed"
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=30)
    stopped_at = _stored_step(killed)
    assert 4 <= stopped_at < 12
    again = _redqueen_run(killed, 12)
    assert again.wait(timeout=300) == 0, again.stderr.read() if again.stderr else ""
    resumed, expected = _metrics(killed), _metrics(whole)
    assert resumed.keys() == expected.keys()
    for name, points in expected.items():
        assert resumed[name] == points, name  # same values, each step once
    assert torch.equal(
        torch.load(killed / "llm_self_play" / "snapshots" / "v12.pt", weights_only=True)[
            "model.embed_tokens.weight"
        ],
        torch.load(whole / "llm_self_play" / "snapshots" / "v12.pt", weights_only=True)[
            "model.embed_tokens.weight"
        ],
    )


def test_a_lora_run_checkpoints_only_the_adapter(tmp_path: Path) -> None:
    recipe = parse_recipe(
        recipe_data(**{"model.lora": {"r": 4, "alpha": 8}, "loop.steps": 2, "elo_games": 0})
    )
    recipe.run(tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        saved = store.get_meta("llm_self_play")
        gaps = [v for _, v in store.metrics("train/logprob_gap")]
    state = torch.load(tmp_path / "run" / "llm_self_play" / saved["checkpoint"], weights_only=True)
    names = list(state["parameters"])
    assert saved["step"] == 2 and names and all("lora_" in name for name in names)
    assert max(gaps) < 1e-5


def test_every_game_meets_every_opponent_with_the_policy_in_every_seat() -> None:
    """Two games, two opponents, two seats: eight episodes cover the eight combinations
    once each. Cycling each with the episode number alone put the policy in seat 1 in
    every game against past versions, and paired each game with one opponent."""
    from redqueen.learn.llm.loop import LoopConfig, training_schedule

    games = [redqueen.make("kuhn_poker"), redqueen.make("leduc_poker")]

    def schedule(config: LoopConfig, episode: int, of: list[Any]) -> tuple[str, str, int]:
        game, spec, seat = training_schedule(config, episode, of)
        return game.id, spec, seat

    config = LoopConfig(opponents=("self", "past"))
    combos = [schedule(config, e, games) for e in range(8)]
    assert sorted(combos) == sorted(
        (g, o, s) for g in ("kuhn_poker", "leduc_poker") for o in ("self", "past") for s in (0, 1)
    )
    assert schedule(config, 8, games) == combos[0]  # and again
    one = LoopConfig(opponents=("random",))  # one game, one opponent: seats alternate
    assert [schedule(one, e, games[:1])[2] for e in range(4)] == [0, 1, 0, 1]
    fixed = LoopConfig(opponents=("self", "past"), seats=(1,))
    assert {schedule(fixed, e, games)[2] for e in range(12)} == {1}
    # in groups of two episodes, the schedule moves on once per group
    grouped = LoopConfig(opponents=("self", "past"), group_size=2, games_per_step=16)
    assert [schedule(grouped, e, games) for e in range(16)] == [c for c in combos for _ in (0, 1)]


def test_grpo_groups_hold_one_seat_of_one_group_of_games() -> None:
    """Traces in episode order (two seats in self-play): episodes 0-3 with group_size 2
    make groups {0, 1} and {2, 3}, one per seat."""
    from redqueen.learn.llm.advantages import SeatTrace
    from redqueen.learn.llm.loop import grpo_groups

    traces = [SeatTrace("g", seat, [1.0]) for _ in range(4) for seat in (0, 1)]
    episodes = [e for e in range(4) for _ in (0, 1)]
    assert grpo_groups(traces, episodes, 2) == [[0, 2], [1, 3], [4, 6], [5, 7]]
    assert grpo_groups(traces, episodes, 1) == [[0], [1], [2], [3], [4], [5], [6], [7]]


def test_a_grpo_run_in_groups_trains_and_records() -> None:
    """Kuhn against random and past versions in groups of two games, with GRPO: a step
    keeps only the samples of groups whose attempts did not all score alike."""
    run = parse_recipe(
        recipe_data(**{
            "loop.opponents": ["random", "past"], "loop.estimator": "grpo",
            "loop.group_size": 2, "loop.steps": 2, "loop.eval_every": 0,
        })
    )  # fmt: skip
    result = run.run(None).result
    kept = [r.metrics["train/kept_samples"] for r in result.steps]
    samples = [r.metrics["train/samples"] for r in result.steps]
    assert len(kept) == 2 and all(k < s for k, s in zip(kept, samples, strict=True))
    assert sum(kept) > 0


class RememberingKuhn(KuhnPokerGame):
    """Kuhn poker that counts the plays and the batches it was told of
    (:meth:`~redqueen.games.core.Game.remember`): a game with memory across batches."""

    def __init__(self, *, plays: int = 0, batches: int = 0, players: int = 2) -> None:
        super().__init__(players=players)
        self.plays, self.batches = plays, batches
        params = {**self.spec.params, "plays": plays, "batches": batches}
        self._spec = dataclasses.replace(self.spec, id="remembering_kuhn", params=params)

    def memory(self, state: Any) -> int:
        return 1

    def remember(self, memories: Sequence[Any]) -> RememberingKuhn:
        assert set(memories) <= {1, None}  # None: stopped by an invalid reply
        return RememberingKuhn(plays=self.plays + len(memories), batches=self.batches + 1)


@pytest.fixture
def remembering_kuhn() -> Iterator[str]:
    registry.register("remembering_kuhn", RememberingKuhn, "Kuhn poker that counts its plays")
    try:
        yield "remembering_kuhn"
    finally:
        del registry._REGISTRY["remembering_kuhn"]


def test_a_game_with_memory_is_rebuilt_every_step_and_restored_on_resume(
    tmp_path: Path, remembering_kuhn: str
) -> None:
    """The loop hands each step's memories to the game and plays the next step with the
    game it returns; the checkpoint keeps that game's parameters, so a resumed run goes
    on counting where it stopped (without them it would start again from 0)."""
    from redqueen.learn.llm.learner import Learner
    from redqueen.learn.llm.loop import train

    recipe = parse_recipe(recipe_data(**{"games": [remembering_kuhn], "loop.eval_every": 0}))
    protocol, learner_config, loop = recipe.configs()
    for steps in (2, 4):
        model, tokenizer = recipe.load(tmp_path)
        config = dataclasses.replace(loop, steps=steps)
        with RunStore(tmp_path / "run") as store:
            train(
                model,
                tokenizer,
                [RememberingKuhn()],
                protocol,
                Learner(model, learner_config),
                config,
                store,
            )
            (params,) = store.get_meta("llm_self_play")["games"]
        assert params == {"players": 2, "plays": steps * loop.games_per_step, "batches": steps}


def test_a_game_without_memory_is_not_saved_in_the_checkpoint(tmp_path: Path) -> None:
    recipe = parse_recipe(recipe_data(**{"loop.steps": 1, "loop.eval_every": 0, "elo_games": 0}))
    recipe.run(tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        assert store.get_meta("llm_self_play")["games"] == [None]


def test_past_opponents_are_drawn_uniformly_by_pfsp_or_through_a_gate() -> None:
    import numpy as np

    from redqueen.errors import UnknownNameError
    from redqueen.learn.llm.loop import LoopConfig, PastOpponents
    from redqueen.learn.population import pfsp_weights

    versions = [0, 10, 20]
    # uniform over the last past_window, as before PFSP and the gate existed
    uniform = PastOpponents(LoopConfig(past_window=2))
    drawn = {uniform.draw(versions, np.random.default_rng(k)) for k in range(50)}
    assert drawn == {10, 20}
    assert (
        uniform.draw(versions, np.random.default_rng(7))
        == [10, 20][int(np.random.default_rng(7).integers(2))]
    )
    # PFSP ("hard", squared): the snapshots the trained seat loses to come up most
    pfsp = PastOpponents(LoopConfig(past_sampling="pfsp", past_window=3))
    pfsp.observe([(0, 1.0)] * 4 + [(10, 0.5)] * 4 + [(20, 0.0)] * 4, versions)
    assert pfsp.win_rates(versions) == [4.5 / 5, 2.5 / 5, 0.5 / 5]
    expected = pfsp_weights([0.9, 0.5, 0.1], "hard")
    counts = np.bincount(
        [versions.index(pfsp.draw(versions, np.random.default_rng(k))) for k in range(4000)],
        minlength=3,
    )
    assert np.allclose(counts / 4000, expected, atol=0.03), (counts, expected)
    # the gate: one snapshot at a time, oldest first, until the seat wins > 55% of >= 4
    gated = PastOpponents(LoopConfig(past_sampling="gated", gate_min_games=4))
    rng = np.random.default_rng(0)
    assert gated.draw(versions, rng) == 0
    gated.observe([(0, 1.0)] * 3, versions)  # 3 games: too few
    assert gated.draw(versions, rng) == 0
    gated.observe([(0, 0.0)], versions)  # 3 of 4: 75%, passed
    assert gated.draw(versions, rng) == 10
    gated.observe([(10, 0.5)] * 4, versions)  # 50%: not passed
    assert gated.draw(versions, rng) == 10
    gated.observe([(10, 1.0)] * 4 + [(0, 0.0)] * 4, versions)  # only games against 10 count
    assert gated.draw(versions, rng) == 20
    gated.observe([(20, 1.0)] * 4, versions)  # past the newest: it stays until one joins
    assert gated.draw(versions, rng) == 20 and gated.draw([*versions, 30], rng) == 30
    # what the checkpoint keeps restores the same draws
    again = PastOpponents(LoopConfig(past_sampling="gated", gate_min_games=4))
    again.load(gated.state())
    assert again.state() == gated.state() and again.results == gated.results
    with pytest.raises(UnknownNameError, match="uniform"):
        LoopConfig(past_sampling="elo")
    with pytest.raises(UnknownNameError, match="variance"):
        LoopConfig(pfsp_weighting="soft")


@pytest.mark.parametrize("sampling", ["pfsp", "gated"])
def test_a_run_against_past_snapshots_counts_its_results_against_each(
    sampling: str, tmp_path: Path
) -> None:
    data = recipe_data(**{
        "loop.steps": 3, "loop.games_per_step": 8, "loop.snapshot_every": 1,
        "loop.opponents": ["past"], "loop.past_sampling": sampling, "loop.eval_every": 0,
        "elo_games": 0,
    })  # fmt: skip
    outcome = parse_recipe(data).run(tmp_path / "run")
    steps = outcome.result.steps
    assert all("population/past_win_rate" in s.metrics for s in steps)
    assert ("population/gate_opponent" in steps[-1].metrics) == (sampling == "gated")
    with RunStore(tmp_path / "run") as store:
        past = store.get_meta("llm_self_play")["past"]
    # every game had one past snapshot in the other seat; the checkpoint counts them all
    assert sum(games for _, _, games in past["results"]) == 3 * 8
    assert {v for v, _, _ in past["results"]} <= {0, 1, 2}


def test_the_elo_table_holds_the_newest_snapshots_asked_for(tmp_path: Path) -> None:
    """Snapshots at steps 0, 4 and 8 (the last is the final policy): two asked for, two
    rated; the default six would rate all three."""
    parse_recipe(recipe_data(elo_snapshots=2)).run(tmp_path / "run")
    with RunStore(tmp_path / "run") as store:
        elo = store.get_meta("llm_self_play/elo")
    assert sorted(r["name"] for r in elo) == ["step 4", "step 8"]


def test_a_game_with_no_text_view_is_refused_before_any_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state_class = type(redqueen.make("kuhn_poker").new_initial_state())

    def no_view(self: Any, player: int) -> str:
        raise NotImplementedError

    monkeypatch.setattr(state_class, "observation_text", no_view)
    with pytest.raises(RecipeError, match="kuhn_poker has no text view, so an LLM cannot play it"):
        parse_recipe(recipe_data())
