"""Rollouts on Ray actors for one learner: the actors play a step's games, then the learner updates.

Each actor holds a copy of the model (sent once through Ray's object store) and, at every
call, the weights of the policy versions its games need (the learner's current weights
and any frozen snapshots), then plays its share of the games with a
:class:`~redqueen.learn.llm.collector.Collector`. Games are split into contiguous shares
and keep their episode numbers; since every reply is sampled from its own seeded stream
(:mod:`redqueen.learn.llm.collector`), the games are those one inline collector plays
for the same seed: the same moves and token ids, logprobs equal to float rounding.

Ray is started (or joined) by :func:`redqueen.play.ray_runner.ensure_ray`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from redqueen.games.core import Game
from redqueen.learn.llm.collector import (
    Collector,
    EpisodeRecord,
    PolicySeat,
    Prompter,
    Protocol,
    SeatPlayer,
)


class _Actor:
    def __init__(self, model: Any, tokenizer: Any, protocol: Protocol) -> None:
        import torch

        torch.set_num_threads(1)
        self.model = model
        self.tokenizer = tokenizer
        self.protocol = protocol

    def play(
        self,
        weights: Mapping[int, Mapping[str, Any]],
        games: Sequence[tuple[Game, Sequence[SeatPlayer]]],
        seed: int,
        first_episode: int,
        group_size: int = 1,
    ) -> list[EpisodeRecord]:
        import ray

        from redqueen.learn.llm.generators import TransformersGenerator
        from redqueen.learn.llm.learner import load_trained_weights

        generators = {}
        for version, state in weights.items():
            if isinstance(state, ray.ObjectRef):
                state = ray.get(state)
            model = copy.deepcopy(self.model)
            load_trained_weights(model, dict(state))
            model.eval()
            generators[version] = TransformersGenerator(model, self.tokenizer)
        collector = Collector(
            self.protocol, generators, Prompter(self.tokenizer, self.protocol.prompt_style)
        )
        return collector.play(games, seed=seed, first_episode=first_episode, group_size=group_size)


class RayCollector:
    """:meth:`play` spreads the games over ``actors`` Ray actors (see the module docstring)."""

    def __init__(self, model: Any, tokenizer: Any, protocol: Protocol, *, actors: int = 2) -> None:
        from redqueen.play.ray_runner import ensure_ray

        ray = ensure_ray()
        remote = ray.remote(num_cpus=1)(_Actor)
        self.ray = ray
        self.actors = [remote.remote(model, tokenizer, protocol) for _ in range(max(1, actors))]

    def play(
        self,
        games: Sequence[tuple[Game, Sequence[SeatPlayer]]],
        weights: Mapping[int, Mapping[str, Any]],
        *,
        seed: int,
        first_episode: int = 0,
        group_size: int = 1,
    ) -> list[EpisodeRecord]:
        """Play ``games`` as :meth:`Collector.play` does; ``weights`` maps each policy
        version the games name to its model weights (a ``state_dict``)."""
        needed = {p.version for _, players in games for p in players if isinstance(p, PolicySeat)}
        refs = {
            v: self.ray.put({k: t.detach().cpu() for k, t in weights[v].items()}) for v in needed
        }
        share = -(-len(games) // len(self.actors))
        calls = []
        for k, actor in enumerate(self.actors):
            part = list(games[k * share : (k + 1) * share])
            if part:
                versions = {p.version for _, ps in part for p in ps if isinstance(p, PolicySeat)}
                calls.append(
                    actor.play.remote(
                        {v: refs[v] for v in versions},
                        part,
                        seed,
                        first_episode + k * share,
                        group_size,
                    )
                )
        return [record for chunk in self.ray.get(calls) for record in chunk]
