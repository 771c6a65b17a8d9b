"""PBT: exploit and explore exactly as specified, resume, the recipe kind end to end."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import redqueen
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.experiments import RecipeError, parse_recipe
from redqueen.learn.pbt import (
    PBTConfig,
    Prior,
    exploit_and_explore,
    pbt,
    truncation_count,
)
from redqueen.learn.ppo import PPOConfig
from redqueen.store.run_store import RunStore

PRIORS = {"learning_rate": Prior(1e-4, 1e-2), "ent_coef": Prior(1e-3, 0.1)}


class ScriptedDraws:
    """A stand-in for a Generator that returns scripted values and records each call."""

    def __init__(self, integers: list[int], randoms: list[float]) -> None:
        self._integers = list(integers)
        self._randoms = list(randoms)
        self.calls: list[tuple[str, Any]] = []

    def integers(self, high: int, /) -> int:
        value = self._integers.pop(0)
        assert 0 <= value < high
        self.calls.append(("integers", high))
        return value

    def random(self) -> float:
        self.calls.append(("random", None))
        return self._randoms.pop(0)

    def exhausted(self) -> bool:
        return not self._integers and not self._randoms


def test_exploit_and_explore_copies_and_perturbs_exactly_as_specified() -> None:
    scores = [3.0, 1.0, 5.0, 2.0, 4.0]
    hps = [
        {"learning_rate": 1e-3, "ent_coef": 0.01},
        {"learning_rate": 2e-3, "ent_coef": 0.02},
        {"learning_rate": 9e-3, "ent_coef": 0.09},  # near the top of both priors
        {"learning_rate": 4e-3, "ent_coef": 0.04},
        {"learning_rate": 5e-3, "ent_coef": 0.05},
    ]
    # truncation 0.4 of 5 members: bottom = members 1 and 3 (scores 1, 2), top = 2 and 4.
    draws = ScriptedDraws(
        integers=[1, 0, 0, 1, 0],
        randoms=[0.9, 0.1, 0.5, 0.3, 0.99],
    )
    decisions = exploit_and_explore(
        scores, hps, draws, priors=PRIORS, truncation=0.4, resample_probability=0.25
    )
    assert draws.exhausted()
    # member 1: source top[1] = 4; ent_coef perturbed (0.9 >= 0.25) by factors[0] = 0.8;
    # learning_rate resampled (0.1 < 0.25) at u = 0.5: 1e-4 * 100 ** 0.5 = 1e-3.
    # member 3: source top[0] = 2; ent_coef perturbed (0.3) by 1.2 -> 0.108, clipped to 0.1;
    # learning_rate perturbed (0.99) by 0.8.
    assert draws.calls == [
        ("integers", 2),
        ("random", None),
        ("integers", 2),
        ("random", None),
        ("random", None),
        ("integers", 2),
        ("random", None),
        ("integers", 2),
        ("random", None),
        ("integers", 2),
    ]
    assert [d.source for d in decisions] == [None, 4, None, 2, None]
    assert decisions[1].hyperparameters == pytest.approx({"ent_coef": 0.04, "learning_rate": 1e-3})
    assert decisions[1].resampled == ("learning_rate",)
    assert decisions[3].hyperparameters == pytest.approx({"ent_coef": 0.1, "learning_rate": 7.2e-3})
    assert decisions[3].resampled == ()
    for i in (0, 2, 4):
        assert decisions[i].hyperparameters == hps[i]


def test_ties_rank_by_index_and_group_sizes_round_half_up() -> None:
    assert [truncation_count(n, 0.2) for n in (2, 4, 5, 8, 10, 13)] == [1, 1, 1, 2, 2, 3]
    assert truncation_count(10, 0.5) == 5
    # All scores equal: member 0 ranks lowest, member 3 highest.
    draws = ScriptedDraws(integers=[0, 0, 0], randoms=[0.9, 0.9])
    decisions = exploit_and_explore(
        [1.0] * 4, [{"learning_rate": 1e-3, "ent_coef": 0.01}] * 4, draws, priors=PRIORS
    )
    assert [d.source for d in decisions] == [3, None, None, None]


def test_exploit_and_explore_invariants_over_many_random_cases() -> None:
    rng = np.random.default_rng(0)
    resampled = perturbed = 0
    for _ in range(300):
        n = int(rng.integers(2, 12))
        scores = rng.normal(size=n).tolist()
        hps = [{k: p.sample(rng) for k, p in PRIORS.items()} for _ in range(n)]
        decisions = exploit_and_explore(scores, hps, rng, priors=PRIORS, truncation=0.2)
        k = truncation_count(n, 0.2)
        order = np.argsort(scores, kind="stable")
        bottom, top = set(order[:k].tolist()), set(order[-k:].tolist())
        for d in decisions:
            if d.member in bottom:
                assert d.source in top
                for name, value in d.hyperparameters.items():
                    prior = PRIORS[name]
                    assert prior.low <= value <= prior.high
                    base = hps[d.source][name]
                    if name in d.resampled:
                        resampled += 1
                    else:
                        perturbed += 1
                        assert any(math.isclose(value, prior.clip(base * f)) for f in (0.8, 1.2))
            else:
                assert d.source is None and d.hyperparameters == hps[d.member]
    assert 0.2 < resampled / (resampled + perturbed) < 0.3


def test_bad_settings_are_refused() -> None:
    with pytest.raises(InvalidParameterError, match="truncation"):
        exploit_and_explore(
            [1, 2],
            [{"learning_rate": 1e-3}] * 2,
            np.random.default_rng(),
            priors={"learning_rate": Prior(1e-4, 1e-2)},
            truncation=0.7,
        )
    with pytest.raises(InvalidParameterError, match="low"):
        Prior(0.0, 1.0)
    with pytest.raises(UnknownNameError, match="learning_rate"):
        PBTConfig(priors={"gamma_ray": (0.1, 0.2)})
    with pytest.raises(InvalidParameterError, match="population_size"):
        PBTConfig(population_size=1)
    with pytest.raises(RecipeError, match="remove it from ppo"):
        parse_recipe({"name": "x", "kind": "pbt", "game": "kuhn_poker", "ppo": {"ent_coef": 0.1}})


def _config(iterations: int) -> PBTConfig:
    return PBTConfig(
        population_size=3,
        iterations=iterations,
        ready_every=2,
        truncation=0.34,
        eval_games=4,
        elo_bootstrap=0,
        seed=1,
        ppo=PPOConfig(num_envs=8, update_epochs=1, num_minibatches=1),
    )


def test_a_stopped_pbt_run_resumes_to_the_same_result(tmp_path: Path) -> None:
    game = redqueen.make("kuhn_poker")
    whole = pbt(game, _config(4), RunStore(tmp_path / "whole"))
    store = RunStore(tmp_path / "cut")
    pbt(game, _config(4), store, callback=lambda u: u == 3)  # stops after update 3
    resumed = pbt(game, _config(4), RunStore(tmp_path / "cut"))
    assert resumed.elo == whole.elo
    assert resumed.events == whole.events
    assert resumed.hyperparameters == whole.hyperparameters
    assert len(whole.events) == 2  # one bottom member copied at each of updates 2 and 4
    for a, b in zip(whole.policies, resumed.policies, strict=True):
        for pa, pb in zip(a.net.parameters(), b.net.parameters(), strict=True):
            assert torch.equal(pa, pb)
    steps = [s for s, _ in RunStore(tmp_path / "cut").metrics("elo/m0")]
    assert steps == [2, 4]


def test_pbt_recipe_runs_end_to_end_and_writes_its_report(tmp_path: Path) -> None:
    recipe = parse_recipe(
        {
            "name": "tiny_pbt",
            "kind": "pbt",
            "game": "connect_four",
            "population_size": 2,
            "iterations": 2,
            "ready_every": 1,
            "eval_games": 2,
            "elo_bootstrap": 10,
            "ppo": {"num_envs": 4, "update_epochs": 1, "num_minibatches": 1},
        }
    )
    result = recipe.run(tmp_path)
    assert result.updates == 2 and len(result.elo) == 2
    assert "Elo" in result.summary_text()
    html = (tmp_path / "report.html").read_text()
    assert "Population Elo over time" in html and "<svg" in html and "Learning rate" in html
    assert "m1@2" in html  # the Elo table lists snapshots


def test_the_shipped_recipe_is_valid() -> None:
    from redqueen.experiments import load_recipe

    root = Path(__file__).resolve().parents[2]
    recipe = load_recipe(root / "recipes" / "pbt_connect_four.yaml")
    config = recipe.algorithm_config()  # type: ignore[attr-defined]
    assert sorted(config.priors) == ["ent_coef", "learning_rate"]
    assert config.truncation == 0.2 and config.perturb_factors == (0.8, 1.2)
