"""Scripted players of ``who_is_the_spy`` (:mod:`redqueen.games.hidden.spy`).

They read the seat's view (:class:`~redqueen.games.hidden.spy.SpyView`, the
information-state key), never the text, and play both versions of the game: with
structured clues they answer with action ids, with text clues with the text of the same
move (a structured statement, a player's number or ``N/A``). A free-text clue of another
player that states no structured statement is no evidence to them.

- :class:`TruthfulPlayer` (``spy_truthful``): gives a clue true of its own item, drawn
  uniformly from the true statements nobody has made yet; votes for the player whose
  clues contradict its item most (ties drawn at random), and N/A when no clue does
  (``abstain=False``: a random other player then). As the spy it plays the same way:
  the naive spy.
- :class:`BlendingSpy` (``spy_blending``): a civilian like :class:`TruthfulPlayer`; as a
  spy that knows it, it gives the clue, true of its own item, most likely to be true of
  the civilians' item as well, given the other players' clues (all of them civilians'),
  and votes for the player whose clues contradict its item most (never N/A, never
  itself). In ``clevr_text`` the likelihood comes from the two-replaced-objects rule: a
  posterior over which two positions differ, each replaced object's attributes taken as
  uniform; in ``word_pairs`` the civilians' word is taken as uniform over the words of
  the shipped list (its vocabulary, not its pairings) that fit the clues heard.
- :class:`RandomSpyPlayer` (``spy_random``): a uniformly random statement, then a
  uniformly random vote among the players and N/A.

Random draws use the observation's Generator, so a match is a function of its seed.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from functools import cache
from typing import Any

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import Game
from redqueen.games.hidden.spy import (
    ABSTAIN,
    ATTRIBUTES,
    COLOURS,
    SHAPES,
    ClevrSource,
    Scene,
    SpyView,
    WhoIsTheSpyGame,
    word_pairs,
)


class _SpyAgent(Agent):
    """Shared parts: the game check, the view, and how a move is sent in either version."""

    kind = ""

    def check_game(self, game: Game) -> None:
        if not isinstance(game, WhoIsTheSpyGame):
            raise RedqueenError(
                f"agent {self.spec().label()!r} plays who_is_the_spy only, not {game.id}"
            )

    def spec(self) -> AgentSpec:
        return AgentSpec(self.kind, self._params())

    def _params(self) -> dict[str, Any]:
        return {}

    def act(self, obs: Observation) -> int | str:
        game = obs.game
        assert isinstance(game, WhoIsTheSpyGame)
        view = obs.information_state_key
        if not isinstance(view, SpyView) or view.item is None:
            raise RedqueenError(f"agent {self.spec().label()!r} was asked to move before the deal")
        if len(view.clues) < game.n * game.rounds:
            clue = self.clue(game, view, obs)
            return game.source.clue_texts[clue] if game.text_moves else clue
        vote = self.vote(game, view, obs)
        if game.text_moves:
            return "N/A" if vote == ABSTAIN else str(vote + 1)
        return game.vote_action(vote)

    def clue(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        raise NotImplementedError

    def vote(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        raise NotImplementedError


def _pick(options: Sequence[int], obs: Observation) -> int:
    return options[int(obs.rng.integers(len(options)))]


def contradictions(game: WhoIsTheSpyGame, view: SpyView) -> list[int]:
    """Per player: how many of its clues are false of ``view``'s item (free text that
    states no structured clue counts for nothing)."""
    assert view.item is not None
    counts = [0] * game.n
    for c in view.clues:
        if c.clue is not None and not game.source.clue_true(view.item, c.clue):
            counts[c.seat] += 1
    return counts


def true_unsaid(game: WhoIsTheSpyGame, view: SpyView) -> list[int]:
    """The structured clues true of the seat's item that nobody has stated yet (all the
    true ones once every one has been)."""
    assert view.item is not None
    said = {c.clue for c in view.clues}
    true = [c for c in range(game.num_clues) if game.source.clue_true(view.item, c)]
    fresh = [c for c in true if c not in said]
    return fresh or true


class TruthfulPlayer(_SpyAgent):
    """A true clue about its own item; a vote on the most contradicting player."""

    name = kind = "spy_truthful"

    def __init__(self, abstain: bool = True) -> None:
        if not isinstance(abstain, bool):
            raise InvalidParameterError(f"abstain must be true or false; got {abstain!r}")
        self.abstain = abstain

    def _params(self) -> dict[str, Any]:
        return {} if self.abstain else {"abstain": False}

    def clue(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        return _pick(true_unsaid(game, view), obs)

    def vote(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        counts = contradictions(game, view)
        others = [p for p in range(game.n) if p != view.seat]
        most = max(counts[p] for p in others)
        if most == 0 and self.abstain:
            return ABSTAIN
        return _pick([p for p in others if counts[p] == most], obs)


class BlendingSpy(TruthfulPlayer):
    """A truthful civilian; as a spy, the clue most likely true in both items."""

    name = kind = "spy_blending"

    def clue(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        if view.role != "spy":
            return super().clue(game, view, obs)
        assert view.item is not None
        heard = [c.clue for c in view.clues if c.seat != view.seat and c.clue is not None]
        candidates = true_unsaid(game, view)
        if isinstance(game.source, ClevrSource):
            assert isinstance(view.item, tuple)
            chance = clevr_chances(game, view.item, heard, candidates)
        else:
            assert isinstance(view.item, str)
            chance = word_chances(game, view.item, heard, candidates)
        best = max(chance)
        return _pick([c for c, p in zip(candidates, chance, strict=True) if p >= best - 1e-12], obs)

    def vote(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        if view.role != "spy":
            return super().vote(game, view, obs)
        counts = contradictions(game, view)
        others = [p for p in range(game.n) if p != view.seat]
        most = max(counts[p] for p in others)
        return _pick([p for p in others if counts[p] == most], obs)


class RandomSpyPlayer(_SpyAgent):
    """A uniformly random statement; a uniformly random vote (a player or N/A)."""

    name = kind = "spy_random"

    def clue(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        return int(obs.rng.integers(game.num_clues))

    def vote(self, game: WhoIsTheSpyGame, view: SpyView, obs: Observation) -> int:
        k = int(obs.rng.integers(game.n + 1))
        return ABSTAIN if k == game.n else k


# ---- how likely a clue is true of the civilians' item -------------------------------------------


def _binomial2(k: int, q: float) -> float:
    """P(k of 2 independent draws hit), each with probability q."""
    return math.comb(2, k) * q**k * (1 - q) ** (2 - k) if 0 <= k <= 2 else 0.0


def _share(attribute: int) -> float:
    return 1.0 / len(ATTRIBUTES[attribute][1])


_ANY_PAIR = 1.0 - (1.0 - 1.0 / (len(COLOURS) * len(SHAPES))) ** 2
"""P(a given colour-shape pair is among two uniformly drawn objects)."""


def _clevr_chance(
    game: WhoIsTheSpyGame, scene: Scene, clue: int, replaced: tuple[int, ...], known: dict[Any, str]
) -> float:
    """P(``clue`` is true of the civilians' scene) if the positions ``replaced`` hold the
    objects that differ; ``known`` maps (position, attribute) to a value others stated."""
    spec = game.source.clue_specs[clue]
    if spec.kind == "position":
        position, attribute, value = spec.args
        if (position, attribute) in known:
            return float(known[position, attribute] == value)
        if position >= len(scene):
            return 0.0
        if position not in replaced:
            return float(scene[position][attribute] == value)
        return _share(attribute)
    kept = [o for p, o in enumerate(scene) if p not in replaced]
    if spec.kind == "exists":
        colour, shape = spec.args
        return 1.0 if any(o.colour == colour and o.shape == shape for o in kept) else _ANY_PAIR
    attribute, value, k = spec.args
    return _binomial2(k - sum(o[attribute] == value for o in kept), _share(attribute))


def clevr_chances(
    game: WhoIsTheSpyGame, scene: Scene, heard: Sequence[int], candidates: Sequence[int]
) -> list[float]:
    """For each candidate clue, P(true of the civilians' scene | the clues ``heard``, all
    true of it): a posterior over which two positions of ``scene`` differ (uniform
    prior; a heard clue weighs each pair by its chance under that pair)."""
    known: dict[Any, str] = {}
    for clue in heard:
        spec = game.source.clue_specs[clue]
        if spec.kind == "position":
            known[spec.args[0], spec.args[1]] = spec.args[2]
    pairs = list(itertools.combinations(range(len(scene)), 2))
    weights = []
    for pair in pairs:
        w = 1.0
        for clue in heard:
            w *= _clevr_chance(game, scene, clue, pair, {})
        weights.append(w)
    total = sum(weights)
    if total <= 0:  # the clues heard fit no pair (someone lied): no evidence
        weights, total = [1.0] * len(pairs), float(len(pairs))
    weighted = list(zip(weights, pairs, strict=True))
    return [
        sum(w * _clevr_chance(game, scene, c, pair, known) for w, pair in weighted) / total
        for c in candidates
    ]


@cache
def _vocabulary() -> tuple[str, ...]:
    return tuple(sorted({w for pair in word_pairs() for w in (pair.first, pair.second)}))


def word_chances(
    game: WhoIsTheSpyGame, word: str, heard: Sequence[int], candidates: Sequence[int]
) -> list[float]:
    """For each candidate clue, the share of the words that fit every clue ``heard``
    (other than ``word``) of which it is true."""
    source = game.source
    others = [w for w in _vocabulary() if w != word]
    fitting = [w for w in others if all(source.clue_true(w, c) for c in heard)] or others
    return [sum(source.clue_true(w, c) for w in fitting) / len(fitting) for c in candidates]
