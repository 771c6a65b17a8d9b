"""Rollouts on Ray actors are the games one inline collector plays for the same seed, and
a training step collected on Ray records what an inline one does. One local Ray (2 CPUs)
serves the module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import redqueen
from redqueen.agents import RandomAgent
from redqueen.learn.llm.collector import (
    Collector,
    PolicySeat,
    Prompter,
    prompt_vocabulary,
    protocol,
)
from redqueen.learn.llm.generators import TransformersGenerator
from redqueen.learn.llm.ray_collector import RayCollector
from redqueen.learn.llm.tiny import build_tiny_model, load_model

ray = pytest.importorskip("ray", reason="ray not installed: pip install 'redqueen[ray]'")
KUHN = redqueen.make("kuhn_poker")


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    from redqueen.play.ray_runner import ensure_ray

    ensure_ray(num_cpus=2)
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, object]:
    path: Path = tmp_path_factory.mktemp("tiny") / "kuhn"
    return load_model(build_tiny_model(path, prompt_vocabulary([KUHN], "plain"), seed=2))


@pytest.mark.parametrize("group_size", [1, 4])
def test_ray_rollouts_are_the_inline_games(tiny: tuple, group_size: int) -> None:
    """Also in groups of 4 episodes (44-47 are split between the two actors: a group's
    shared streams follow the episode number, not the actor)."""
    model, tok = tiny
    frozen = {k: v.clone() + 0.01 for k, v in model.state_dict().items()}
    past = type(model)(model.config)
    past.load_state_dict(frozen)
    games = []
    for k in range(12):
        players = [
            [PolicySeat(1), PolicySeat(1)],
            [PolicySeat(1), RandomAgent()],
            [PolicySeat(0, trained=False), PolicySeat(1)],
        ][k % 3]
        games.append((KUHN, players))
    inline = Collector(
        protocol("plain"),
        {1: TransformersGenerator(model, tok), 0: TransformersGenerator(past, tok)},
        Prompter(tok, "plain"),
    ).play(games, seed=11, first_episode=40, group_size=group_size)
    remote = RayCollector(model, tok, protocol("plain"), actors=2).play(
        games,
        {1: model.state_dict(), 0: frozen},
        seed=11,
        first_episode=40,
        group_size=group_size,
    )
    assert [r.to_dict() for r in remote] == [r.to_dict() for r in inline]
    for a, b in zip(remote, inline, strict=True):
        assert [s.completion_ids for s in a.samples] == [s.completion_ids for s in b.samples]
        for s, t in zip(a.samples, b.samples, strict=True):
            assert s.sampler_logprobs == pytest.approx(t.sampler_logprobs, abs=1e-5)
    assert any(r.samples for r in remote) and {r.episode for r in remote} == set(range(40, 52))


def test_a_loop_collected_on_ray_records_what_an_inline_loop_does() -> None:
    import yaml

    from redqueen.experiments import parse_recipe

    root = Path(__file__).resolve().parents[3]
    data = yaml.safe_load((root / "recipes" / "spiral_kuhn_tiny.yaml").read_text())
    data["loop"].update(steps=3, games_per_step=8, eval_every=0, snapshot_every=2)
    data.update(elo_games=0, torch_threads=1)
    inline = parse_recipe(data).run(None).result
    data["loop"]["rollout_actors"] = 2
    remote = parse_recipe(data).run(None).result
    for a, b in zip(inline.steps, remote.steps, strict=True):
        for name in ("train/legal_rate", "train/samples", "train/kept_samples", "train/loss"):
            assert a.metrics[name] == pytest.approx(b.metrics[name], rel=1e-4, abs=1e-6), name
