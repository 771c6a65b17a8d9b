"""Who is the spy: Vision-Zero's game of clues and votes, in a text version.

Vision-Zero (Wang et al. 2025, "Vision-Zero: Scalable VLM Self-Improvement via Strategic
Gamified Self-Play", arXiv:2509.25541; code: wangqinsi1/Vision-Zero,
``clevr_spotdiff_generator.py``) trains a vision-language model by self-play in the
party game "who is the spy" (谁是卧底). N players (4 in the paper) each get a picture;
one of them, the spy, gets a picture in which two objects are replaced by different
ones at the same positions. The players give one clue each per round for R rounds (2
in the paper), in seat order, each seeing every earlier clue; then everyone votes for
the player they think is the spy, or N/A.

Here the pictures are text. ``data="clevr_text"`` draws a procedural scene of 3 to 6
objects with CLEVR's attributes (shape cube/sphere/cylinder, eight colours, size
small/large, material rubber/metal, the vocabulary Vision-Zero's reward code also
uses) at numbered positions, and the spy's scene has two objects replaced at the same
positions, so the truth of every structured clue can be checked by code. Scene ``i`` of
``n_scenes`` (default 1000) is made by a generator seeded with ``i``.
``data="word_pairs"`` is the classic form: civilians share one word of a close pair
(coffee/tea), the spy has the other; the 318 pairs, with categories, ship with redqueen
(``word_pairs.json``, written for it).

Chance is explicit and enumerable: one node draws the item (scene or pair, uniform over
the list), one the spy's seat (uniform), and for word pairs one the side of the pair the
spy gets (1/2 each). The item lists are fixed and public, as the cards of a deck are:
a program that memorised them could look up the other item from its own. The scripted
players of :mod:`redqueen.agents.hidden.spy` do not.

Clues. ``clues="structured"`` makes each clue one statement from a finite list (action
ids, for search, scripted and learned players): for ``clevr_text`` "there is a red
cube", "there are exactly 2 spheres", "the object at position 3 is metal" (219
statements); for ``word_pairs`` "my word starts with the letter c", "my word has 6
letters", "my word contains the letter f" (66). ``clues="text"`` makes the whole game
text (``GameSpec.text_actions``), for language models: a clue is free text, read from
``\\boxed{...}`` when the text has one (as Vision-Zero reads it), cut to
``max_clue_chars``; a free-text clue that is exactly one of the structured statements
is checked like one. Clues are cheap talk: no clue is ever part of a payoff except
through the votes it draws.

Decision. ``decision="players"``: each player votes for a seat or N/A (a simultaneous
node; the spy is told not to vote for itself, and may). ``decision="observer"``: as in
Vision-Zero's training code (``_generate_god_decision_phase_for_training``), the players
do not vote; ``n_observers`` extra seats, who see the civilians' item and every clue,
vote instead (Vision-Zero samples one observer prompt 8 times; each sample is one seat
here).

Rewards, ``reward="vision_zero"`` (``_calculate_strategic_clue_rewards`` and the PBRS
decision reward of ``_calculate_enhanced_two_phase_rewards``): count the votes v_p on
each player (N/A and invalid votes count for nobody); v_U is the spy's, v̄_C the
civilians' mean and Ψ = v_U − v̄_C.

- clue reward (zero-sum over the players), β = λ = 0.1: the spy gets −β Ψ, civilian j
  gets β Ψ / (N − 1) − λ (v_j − v̄_C);
- decision reward of each voter: 0.3 (2 fmt − 1) + 1.2 acc + 0.99 [acc > 0], with
  acc = +1 for a vote on the spy, −0.5 for N/A and −1 for a wrong or invalid vote;
  a spy voting (players' decision) gets acc = +0.5 for voting for another player, +0.2
  for N/A and −1 for itself. fmt is 1 when the vote could be read.

A player's return is its clue reward plus its decision reward (an observer's is its
decision reward); :meth:`SpyState.rewards` gives the two apart, since Vision-Zero trains
the two phases in alternate steps. The role baselines (moving averages with α = 0.9)
belong to a learner, not to the game. ``reward="legacy"`` is the earlier end-of-game
reward (``calculate_game_rewards``), players' decision only: a civilian gets +1 for a
vote on the spy and −1 otherwise (N/A too), minus 0.6 v_j / (N − 1), and −1 without a
readable vote; the spy gets 1 − v_U / (N − 1) + 0.5 K / (N − 1), with K the wrong votes
(N/A counting 1/2, its own included), −1 if it voted for itself; each clipped to
[−1, 1]. It is reported as the decision component; the clue component is 0.

Where this deviates from the source, and why:

- Text replaces images; the scene generator mirrors CLEVR's vocabulary and the
  two-replaced-objects rule, not its rendering.
- Vision-Zero's format check also wants more than 10 characters of reasoning before the
  answer; redqueen's LLM players send only the answer they extracted, so fmt is whether
  the vote could be read. A number that names no seat is an unreadable vote here (the
  source reads it but counts it for nobody; both score acc = −1).
- With text moves the votes are cast one seat after another, each secret until all
  are in: the same information as a simultaneous vote (redqueen's match loop plays text
  moves one at a time).
- Invalid moves of the text version (an empty clue, an unreadable vote) are counted
  per seat by :meth:`SpyState.invalid_moves`, apart from the returns.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    Step,
    UtilityKind,
    match_action_text,
    normalise_text,
)
from redqueen.games.params import integer

DATA_SOURCES = ("clevr_text", "word_pairs")
DECISIONS = ("players", "observer")
REWARDS = ("vision_zero", "legacy")
CLUE_MODES = ("structured", "text")

ABSTAIN = -1
"""A vote of N/A."""
INVALID = -2
"""A vote that could not be read (text moves only)."""

BETA = 0.1
"""Vision-Zero's weight of the shared clue reward (β)."""
LAMBDA = 0.1
"""Vision-Zero's weight of a civilian's own suspicion in its clue reward (λ)."""
FORMAT_WEIGHT = 0.3
ACCURACY_WEIGHT = 1.2
SHAPING = 0.99
"""The decision reward's terms: 0.3 (2 fmt − 1) + 1.2 acc + 0.99 [acc > 0]."""
LEGACY_SUSPICION = 0.6
LEGACY_MISLEAD = 0.5

MAX_MOVE_CHARS = 4000
"""A text move is cut to this many characters before it is read (and kept so)."""

# ---- CLEVR scenes ------------------------------------------------------------------------

COLOURS = ("gray", "red", "blue", "green", "brown", "purple", "cyan", "yellow")
SHAPES = ("cube", "sphere", "cylinder")
SIZES = ("small", "large")
MATERIALS = ("rubber", "metal")
ATTRIBUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("colour", COLOURS),
    ("shape", SHAPES),
    ("size", SIZES),
    ("material", MATERIALS),
)
VALUES: tuple[tuple[int, str], ...] = tuple(
    (a, v) for a, (_, values) in enumerate(ATTRIBUTES) for v in values
)
"""Every attribute value as ``(attribute index, value)``: 8 colours, 3 shapes, 2 sizes,
2 materials."""
MIN_OBJECTS, MAX_OBJECTS = 3, 6
REPLACED = 2
"""Objects of the civilians' scene replaced in the spy's (Vision-Zero's rule)."""


class SceneObject(NamedTuple):
    colour: str
    shape: str
    size: str
    material: str

    def describe(self) -> str:
        return f"a {self.size} {self.colour} {self.material} {self.shape}"


Scene = tuple[SceneObject, ...]


@cache
def clevr_scene_pair(index: int) -> tuple[Scene, Scene]:
    """Scene ``index``: the civilians' scene and the spy's, in which two objects (at two
    distinct positions) are replaced by different ones. Made by a generator seeded with
    the index alone, so scene ``i`` is the same whatever ``n_scenes`` is."""
    rng = random.Random(f"redqueen/who_is_the_spy/clevr_text/{index}")

    def draw() -> SceneObject:
        return SceneObject(
            rng.choice(COLOURS), rng.choice(SHAPES), rng.choice(SIZES), rng.choice(MATERIALS)
        )

    original = tuple(draw() for _ in range(rng.randint(MIN_OBJECTS, MAX_OBJECTS)))
    modified = list(original)
    for position in sorted(rng.sample(range(len(original)), REPLACED)):
        new = draw()
        while new == original[position]:
            new = draw()
        modified[position] = new
    return original, tuple(modified)


def _plural(attribute: int, value: str, k: int) -> str:
    if attribute == 1:
        return value if k == 1 else value + "s"
    return f"{value} object" + ("" if k == 1 else "s")


class ClueSpec(NamedTuple):
    """A structured clue: its kind and arguments (positions from 0)."""

    kind: str
    args: tuple[Any, ...]


def _clevr_clues() -> tuple[tuple[ClueSpec, str], ...]:
    out: list[tuple[ClueSpec, str]] = []
    for colour in COLOURS:
        for shape in SHAPES:
            out.append((ClueSpec("exists", (colour, shape)), f"there is a {colour} {shape}"))
    for attribute, value in VALUES:
        for k in range(MAX_OBJECTS + 1):
            if k == 0:
                text = f"there are no {_plural(attribute, value, 2)}"
            elif k == 1:
                text = f"there is exactly 1 {_plural(attribute, value, 1)}"
            else:
                text = f"there are exactly {k} {_plural(attribute, value, k)}"
            out.append((ClueSpec("count", (attribute, value, k)), text))
    for position in range(MAX_OBJECTS):
        for attribute, value in VALUES:
            said = f"a {value}" if attribute == 1 else value
            text = f"the object at position {position + 1} is {said}"
            out.append((ClueSpec("position", (position, attribute, value)), text))
    return tuple(out)


def _clevr_true(scene: Scene, spec: ClueSpec) -> bool:
    if spec.kind == "exists":
        colour, shape = spec.args
        return any(o.colour == colour and o.shape == shape for o in scene)
    if spec.kind == "count":
        attribute, value, k = spec.args
        return sum(o[attribute] == value for o in scene) == k
    position, attribute, value = spec.args
    return position < len(scene) and scene[position][attribute] == value


# ---- word pairs ----------------------------------------------------------------------------


class WordPair(NamedTuple):
    category: str
    first: str
    second: str


@cache
def word_pairs() -> tuple[WordPair, ...]:
    """The shipped word pairs (``word_pairs.json`` beside this module)."""
    text = resources.files("redqueen.games.hidden").joinpath("word_pairs.json").read_text()
    pairs = tuple(WordPair(*entry) for entry in json.loads(text)["pairs"])
    for pair in pairs:
        for word in pair[1:]:
            if not re.fullmatch(r"[a-z]{2,15}", word):
                raise RedqueenError(f"word_pairs.json: {word!r} is not 2-15 lower-case letters")
    return pairs


LETTERS = "abcdefghijklmnopqrstuvwxyz"
MAX_WORD_LETTERS = 15


def _word_clues() -> tuple[tuple[ClueSpec, str], ...]:
    out: list[tuple[ClueSpec, str]] = []
    for letter in LETTERS:
        out.append((ClueSpec("starts", (letter,)), f"my word starts with the letter {letter}"))
    for k in range(2, MAX_WORD_LETTERS + 1):
        out.append((ClueSpec("length", (k,)), f"my word has {k} letters"))
    for letter in LETTERS:
        out.append((ClueSpec("contains", (letter,)), f"my word contains the letter {letter}"))
    return tuple(out)


def _word_true(word: str, spec: ClueSpec) -> bool:
    if spec.kind == "starts":
        return word.startswith(spec.args[0])
    if spec.kind == "length":
        return len(word) == spec.args[0]
    return spec.args[0] in word


# ---- item sources ------------------------------------------------------------------------------

Item = Scene | str


class ItemSource:
    """Where the items come from: how many there are, the structured clues about one, and
    how a seat is shown its item."""

    name: str
    count: int
    sides: int
    """Chance outcomes of the side node (2: the spy may get either word of a pair)."""

    def __init__(self, clues: tuple[tuple[ClueSpec, str], ...]) -> None:
        self.clue_specs = tuple(spec for spec, _ in clues)
        self.clue_texts = tuple(text for _, text in clues)
        self.clue_index = {t: i for i, t in enumerate(self.clue_texts)}
        """Each structured clue's id by its exact text."""
        self._by_text = {_clue_key(t): i for i, t in enumerate(self.clue_texts)}

    def items(self, index: int, side: int) -> tuple[Item, Item]:
        """(the civilians' item, the spy's item)."""
        raise NotImplementedError

    def clue_true(self, item: Item, clue: int) -> bool:
        raise NotImplementedError

    def describe(self, item: Item) -> list[str]:
        raise NotImplementedError

    def label(self, index: int) -> str:
        """What the item ``index`` is called in records (a category for word pairs)."""
        return str(index)

    def parse_clue(self, text: str) -> int | None:
        """The structured clue that ``text`` states, if it is one (case, spaces, outer
        brackets or quotes and a final full stop do not matter); else None."""
        return self._by_text.get(_clue_key(text))

    def example_clues(self, item: Item, turn: int) -> list[int]:
        """Three true clues about ``item``, one of each kind, that vary with ``turn``."""
        raise NotImplementedError


def _clue_key(text: str) -> str:
    cleaned = text.strip().strip("[](){}\"'`*").strip().removesuffix(".").strip()
    return normalise_text(cleaned)


class ClevrSource(ItemSource):
    name = "clevr_text"
    sides = 1

    def __init__(self, n_scenes: int) -> None:
        super().__init__(_clevr_clues())
        self.count = n_scenes

    def items(self, index: int, side: int) -> tuple[Item, Item]:
        return clevr_scene_pair(index)

    def clue_true(self, item: Item, clue: int) -> bool:
        assert isinstance(item, tuple)
        return _clevr_true(item, self.clue_specs[clue])

    def describe(self, item: Item) -> list[str]:
        assert isinstance(item, tuple)
        lines = [f"Your scene ({len(item)} objects, numbered from left to right):"]
        lines += [f"  position {p + 1}: {o.describe()}" for p, o in enumerate(item)]
        return lines

    def example_clues(self, item: Item, turn: int) -> list[int]:
        assert isinstance(item, tuple)
        position = turn % len(item)
        o = item[position]
        return [
            self._by_text[f"the object at position {position + 1} is {o.colour}"],
            self._by_text[f"there is a {o.colour} {o.shape}"],
            next(
                c
                for c, spec in enumerate(self.clue_specs)
                if spec.kind == "count"
                and spec.args[:2] == (1, o.shape)
                and self.clue_true(item, c)
            ),
        ]


class WordSource(ItemSource):
    name = "word_pairs"
    sides = 2

    def __init__(self) -> None:
        super().__init__(_word_clues())
        self.pairs = word_pairs()
        self.count = len(self.pairs)

    def items(self, index: int, side: int) -> tuple[Item, Item]:
        pair = self.pairs[index]
        return (pair.first, pair.second) if side == 0 else (pair.second, pair.first)

    def clue_true(self, item: Item, clue: int) -> bool:
        assert isinstance(item, str)
        return _word_true(item, self.clue_specs[clue])

    def describe(self, item: Item) -> list[str]:
        return [f"Your word: {item}"]

    def label(self, index: int) -> str:
        return self.pairs[index].category

    def example_clues(self, item: Item, turn: int) -> list[int]:
        assert isinstance(item, str)
        letter = item[turn % len(item)]
        return [
            self._by_text[f"my word starts with the letter {item[0]}"],
            self._by_text[f"my word has {len(item)} letters"],
            self._by_text[f"my word contains the letter {letter}"],
        ]


# ---- rewards ----------------------------------------------------------------------------------


def vote_counts(n_players: int, votes: Sequence[int]) -> list[int]:
    """Votes received by each player; N/A and invalid votes count for nobody."""
    counts = [0] * n_players
    for vote in votes:
        if 0 <= vote < n_players:
            counts[vote] += 1
    return counts


def suspicion(n_players: int, spy: int, votes: Sequence[int]) -> float:
    """Vision-Zero's Ψ = v_U − v̄_C: the spy's votes minus the civilians' mean."""
    counts = vote_counts(n_players, votes)
    civilians = [counts[p] for p in range(n_players) if p != spy]
    return counts[spy] - sum(civilians) / len(civilians)


def clue_rewards(
    n_players: int, spy: int, votes: Sequence[int], beta: float = BETA, lam: float = LAMBDA
) -> list[float]:
    """Vision-Zero's strategic clue rewards (zero-sum): −β Ψ for the spy and
    β Ψ / (N − 1) − λ (v_j − v̄_C) for civilian j."""
    counts = vote_counts(n_players, votes)
    mean_civilian = sum(counts[p] for p in range(n_players) if p != spy) / (n_players - 1)
    psi = counts[spy] - mean_civilian
    return [
        -beta * psi
        if p == spy
        else beta * psi / (n_players - 1) - lam * (counts[p] - mean_civilian)
        for p in range(n_players)
    ]


def vote_accuracy(vote: int, spy: int, voter_is_spy: bool = False) -> float:
    """Vision-Zero's acc of one vote: +1 on the spy, −0.5 for N/A, −1 wrong or invalid;
    for the spy's own vote +0.5 on another player, +0.2 for N/A, −1 on itself."""
    if vote == INVALID:
        return -1.0
    if voter_is_spy:
        return -1.0 if vote == spy else 0.2 if vote == ABSTAIN else 0.5
    return 1.0 if vote == spy else -0.5 if vote == ABSTAIN else -1.0


def decision_reward(vote: int, spy: int, voter_is_spy: bool = False) -> float:
    """Vision-Zero's decision reward 0.3 (2 fmt − 1) + 1.2 acc + 0.99 [acc > 0], with fmt
    whether the vote could be read."""
    acc = vote_accuracy(vote, spy, voter_is_spy)
    fmt = 0.0 if vote == INVALID else 1.0
    return FORMAT_WEIGHT * (2 * fmt - 1) + ACCURACY_WEIGHT * acc + SHAPING * (acc > 0)


def legacy_rewards(n_players: int, spy: int, votes: Sequence[int]) -> list[float]:
    """Vision-Zero's earlier game reward (``calculate_game_rewards``), from the players'
    votes (one per player, in seat order), each clipped to [−1, 1]."""
    counts = vote_counts(n_players, votes)
    out = []
    for p, vote in enumerate(votes):
        if p == spy:
            misled = sum(1.0 if 0 <= v != spy else 0.5 if v == ABSTAIN else 0.0 for v in votes)
            reward = (
                1.0
                - counts[spy] / (n_players - 1)
                + LEGACY_MISLEAD * misled / (n_players - 1)
                - (1.0 if vote == spy else 0.0)
            )
        elif vote == INVALID:
            reward = -1.0
        else:
            reward = (1.0 if vote == spy else -1.0) - LEGACY_SUSPICION * counts[p] / (n_players - 1)
        out.append(max(-1.0, min(1.0, reward)))
    return out


@dataclass(frozen=True)
class SpyRewards:
    """Each seat's clue and decision rewards (their sum is its return)."""

    clue: tuple[float, ...]
    decision: tuple[float, ...]

    def totals(self) -> list[float]:
        return [c + d for c, d in zip(self.clue, self.decision, strict=True)]


class SpokenClue(NamedTuple):
    """One clue as the table heard it: who gave it, in which round (from 1), the structured
    statement it states (None for free text that states none) and its text."""

    seat: int
    round: int
    clue: int | None
    text: str


class ClueCheck(NamedTuple):
    """A clue's truth in the civilians' item and in the spy's (None: not checkable)."""

    seat: int
    round: int
    civilian_true: bool | None
    spy_true: bool | None


@dataclass(frozen=True)
class SpyOutcome:
    """How a finished game went, in plain data (what :mod:`redqueen.measure.hidden_spy`
    reads)."""

    n_players: int
    spy: int
    item: int
    label: str
    voters: tuple[int, ...]
    votes: tuple[int, ...]
    clue_checks: tuple[ClueCheck, ...]
    rewards: SpyRewards
    invalid: tuple[int, ...]


class SpyView(NamedTuple):
    """What one seat knows (the information-state key): its seat and role ("spy",
    "civilian", "observer", or None when not told), its item (None before the deal), the
    clues so far, its own vote, and once the game is over, the spy, every vote and both
    items."""

    seat: int
    role: str | None
    item: Item | None
    clues: tuple[SpokenClue, ...]
    own_vote: int | None
    outcome: tuple[int, tuple[int, ...], Item, Item] | None


# ---- the game ----------------------------------------------------------------------------


def _choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise UnknownNameError(f"who_is_the_spy {name}", str(value), allowed)
    return str(value)


class WhoIsTheSpyGame(Game):
    """Vision-Zero's "who is the spy" in text (see the module docstring)."""

    moves_are_public = False  # ballots are secret until counted; the views show every clue

    def __init__(
        self,
        *,
        n_players: int = 4,
        n_rounds: int = 2,
        data: str = "clevr_text",
        n_scenes: int = 1000,
        decision: str = "players",
        n_observers: int | None = None,
        reward: str = "vision_zero",
        clues: str = "structured",
        spy_knows_role: bool = True,
        max_clue_chars: int = 300,
    ) -> None:
        self.n = integer("n_players", n_players, 3, 12)
        self.rounds = integer("n_rounds", n_rounds, 1, 10)
        self.data = _choice("data", data, DATA_SOURCES)
        self.decision = _choice("decision", decision, DECISIONS)
        self.reward = _choice("reward", reward, REWARDS)
        self.clue_mode = _choice("clues", clues, CLUE_MODES)
        if not isinstance(spy_knows_role, bool):
            raise InvalidParameterError(
                f"spy_knows_role must be true or false; got {spy_knows_role!r}"
            )
        self.spy_knows_role = spy_knows_role
        self.max_clue_chars = integer("max_clue_chars", max_clue_chars, 1, MAX_MOVE_CHARS)
        if self.decision == "observer":
            self.n_observers = (
                1 if n_observers is None else integer("n_observers", n_observers, 1, 16)
            )
            if self.reward == "legacy":
                raise InvalidParameterError(
                    "reward='legacy' scores the players' own votes: use it with "
                    "decision='players' (the observer decision has reward='vision_zero' only)"
                )
        elif n_observers is not None:
            raise InvalidParameterError(
                "n_observers applies to decision='observer' only; with decision='players' "
                "the players vote"
            )
        else:
            self.n_observers = 0
        if self.data == "clevr_text":
            self.n_scenes = integer("n_scenes", n_scenes, 1, 100_000)
            self.source: ItemSource = ClevrSource(self.n_scenes)
        else:
            if n_scenes != 1000:
                raise InvalidParameterError("n_scenes applies to data='clevr_text' only")
            self.n_scenes = 0
            self.source = WordSource()
        self.text_moves = self.clue_mode == "text"
        self._chance_names: dict[int, tuple[str, ...]] = {}
        self._chance_index: dict[int, dict[str, int]] = {}
        self.num_clues = len(self.source.clue_texts)
        self.voters = (
            tuple(range(self.n))
            if self.decision == "players"
            else tuple(range(self.n, self.n + self.n_observers))
        )
        simultaneous = self.decision == "players" and not self.text_moves
        low, high = self._bounds()
        chance_steps = 2 + (self.source.sides == 2)
        votes_steps = 1 if simultaneous else len(self.voters)
        params: dict[str, Any] = {
            "n_players": self.n,
            "n_rounds": self.rounds,
            "data": self.data,
            "decision": self.decision,
            "reward": self.reward,
            "clues": self.clue_mode,
            "spy_knows_role": spy_knows_role,
            "max_clue_chars": self.max_clue_chars,
        }
        if self.data == "clevr_text":
            params["n_scenes"] = self.n_scenes
        if self.decision == "observer":
            params["n_observers"] = self.n_observers
        super().__init__(
            GameSpec(
                id="who_is_the_spy",
                num_players=self.n + self.n_observers,
                num_distinct_actions=0 if self.text_moves else self.num_clues + self.n + 1,
                max_game_length=chance_steps + self.n * self.rounds + votes_steps,
                min_utility=low,
                max_utility=high,
                dynamics=Dynamics.SIMULTANEOUS if simultaneous else Dynamics.SEQUENTIAL,
                chance=ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                max_chance_outcomes=max(self.source.count, self.n, 2),
                params=params,
                text_actions=self.text_moves,
            )
        )

    def _bounds(self) -> tuple[float, float]:
        if self.reward == "legacy":
            return -1.0, 1.0
        # |Ψ| and |v_j − v̄_C| are at most the number of votes.
        clue = (BETA + LAMBDA) * len(self.voters)
        lowest = FORMAT_WEIGHT * (-1 if self.text_moves else 1) - ACCURACY_WEIGHT
        highest = FORMAT_WEIGHT + ACCURACY_WEIGHT + SHAPING
        if self.decision == "observer":
            return min(-clue, lowest), max(clue, highest)
        return -clue + lowest, clue + highest

    def new_initial_state(self) -> SpyState:
        return SpyState(self)

    def player_name(self, player: int) -> str:
        if player >= self.n:
            return f"observer {player - self.n + 1}"
        return f"Player {player + 1}"

    def chance_names(self, stage: int) -> tuple[str, ...]:
        """The names of the outcomes of chance node ``stage`` (0: the item, 1: the spy's
        seat, 2: the side of a word pair)."""
        if stage not in self._chance_names:
            if stage == 0:
                names = tuple(
                    f"{self.data} item {i} ({self.source.label(i)})"
                    for i in range(self.source.count)
                )
            elif stage == 1:
                names = tuple(f"the spy is Player {p + 1}" for p in range(self.n))
            else:
                names = ("the spy gets the second word", "the spy gets the first word")
            self._chance_names[stage] = names
        return self._chance_names[stage]

    def chance_index(self, stage: int) -> dict[str, int]:
        """Chance outcome by name, for node ``stage``."""
        if stage not in self._chance_index:
            self._chance_index[stage] = {t: a for a, t in enumerate(self.chance_names(stage))}
        return self._chance_index[stage]

    def vote_action(self, vote: int) -> int:
        """The action id of a vote (a seat, or :data:`ABSTAIN`)."""
        return self.num_clues + (self.n if vote == ABSTAIN else vote)

    def vote_text(self, vote: int) -> str:
        if vote == ABSTAIN:
            return "N/A"
        if vote == INVALID:
            return "(unreadable vote)"
        return f"vote for Player {vote + 1}"

    def rules_text(self) -> str:
        n, r = self.n, self.rounds
        if self.data == "clevr_text":
            items = (
                "Each player gets a scene of 3 to 6 objects at numbered positions, each "
                "described by its size (small, large), colour (gray, red, blue, green, brown, "
                "purple, cyan, yellow), material (rubber, metal) and shape (cube, sphere, "
                "cylinder). All players but one see the same scene. The spy's scene is the "
                "same except that two objects are replaced by different ones at the same "
                "positions."
            )
        else:
            items = (
                "Each player gets a word. All players but one get the same word; the spy "
                "gets a different but closely related word (for example coffee and tea)."
            )
        told = (
            "Each player is told whether they are the spy."
            if self.spy_knows_role
            else "Nobody is told who the spy is, not even the spy."
        )
        if self.text_moves:
            clue = (
                "A clue is one sentence of free text about your own "
                + ("scene" if self.data == "clevr_text" else "word")
                + f", different from the earlier clues, at most {self.max_clue_chars} "
                "characters (if it contains \\boxed{...}, only what is inside counts)."
            )
        else:
            clue = "A clue is one statement chosen from the list of legal moves."
        if self.decision == "players":
            decide = (
                "Then every player votes for the player they think is the spy, or N/A if "
                "unsure; votes are secret until all are cast. The spy should not vote for "
                "itself."
            )
        else:
            decide = (
                f"The players do not vote. {self.n_observers} observer(s), who see the "
                "civilians' "
                + ("scene" if self.data == "clevr_text" else "word")
                + " and every clue, each vote for the player they think is the spy, or N/A."
            )
        if self.reward == "vision_zero":
            scoring = (
                "Scoring (Vision-Zero): let v_p be the votes on player p (N/A and unreadable "
                "votes count for nobody), v_U the spy's and vc the civilians' mean, and "
                "Psi = v_U - vc. Clue reward: the spy gets -0.1 Psi; civilian j gets "
                f"0.1 Psi / {n - 1} - 0.1 (v_j - vc). Decision reward of a voter: "
                "0.3 (2 fmt - 1) + 1.2 acc + 0.99 if acc > 0, where fmt is 1 for a readable "
                "vote and acc is +1 for a vote on the spy, -0.5 for N/A, -1 for a wrong or "
                "unreadable vote; a voting spy gets acc +0.5 for voting for another player, "
                "+0.2 for N/A and -1 for voting for itself. A voting player's score is its "
                "clue reward plus its decision reward."
            )
        else:
            scoring = (
                "Scoring (Vision-Zero's earlier reward), clipped to [-1, 1]: a civilian gets "
                f"+1 for a vote on the spy and -1 otherwise (N/A too), minus 0.6 v / {n - 1} "
                "for the v votes it received (-1 without a readable vote). The spy gets "
                f"1 - v / {n - 1} for the v votes it received, plus 0.5 K / {n - 1} where K "
                "counts the votes not on the spy (N/A counts 1/2), minus 1 if it voted for "
                "itself."
            )
        return "\n".join(
            [
                f"Who is the spy? {n} players (Player 1 to Player {n}), one of them the spy.",
                items,
                told,
                f"There are {r} clue round(s). In each round every player, from Player 1 to "
                f"Player {n}, gives one clue about what they have, seeing all earlier clues.",
                clue,
                decide,
                scoring,
                "Clues are talk: they score nothing except through the votes they draw.",
            ]
        )


_BOXED = re.compile(r"\\\\?boxed\{(.*?)\}", re.DOTALL)


def boxed_or_whole(text: str) -> str:
    """The inside of the first ``\\boxed{...}`` of ``text`` (as Vision-Zero reads a
    clue or a vote), else the whole text; stripped."""
    found = _BOXED.search(text)
    return (found.group(1) if found else text).strip()


def parse_vote(text: str, n_players: int) -> int:
    """A vote written as text: "N/A" (or "NA") is :data:`ABSTAIN`; otherwise the first
    number standing alone ("3", "Player 3", "vote for player 3"), which must name a
    player (1..N), as a seat index; anything else :data:`INVALID`."""
    answer = boxed_or_whole(text).strip("[](){}\"'`*. \n\t")
    if answer.upper() in ("N/A", "NA"):
        return ABSTAIN
    found = re.search(r"\b(\d+)\b", answer)
    if found is None:
        return INVALID
    k = int(found.group(1))
    return k - 1 if 1 <= k <= n_players else INVALID


class SpyState(State):
    """The deal, the clues, the votes and, once over, the rewards."""

    __slots__ = ("_clues", "_invalid", "_item", "_rewards", "_side", "_spy", "_votes")

    _game: WhoIsTheSpyGame

    def __init__(self, game: WhoIsTheSpyGame) -> None:
        super().__init__(game)
        self._item: int | None = None
        self._spy: int | None = None
        self._side: int | None = None if game.source.sides == 2 else 0
        self._clues: list[SpokenClue] = []
        self._votes: list[int] = []
        self._invalid = [0] * game.num_players
        self._rewards: SpyRewards | None = None

    # ---- rules ------------------------------------------------------------------------

    def _dealt(self) -> bool:
        return self._item is not None and self._spy is not None and self._side is not None

    def current_player(self) -> int:
        game = self._game
        if not self._dealt():
            return CHANCE
        turn = len(self._clues)
        if turn < game.n * game.rounds:
            return turn % game.n
        if len(self._votes) < len(game.voters):
            if game.spec.dynamics == Dynamics.SIMULTANEOUS:
                return SIMULTANEOUS
            return game.voters[len(self._votes)]
        return TERMINAL

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        game = self._game
        if self._item is None:
            p = 1.0 / game.source.count
            return [(i, p) for i in range(game.source.count)]
        if self._spy is None:
            return [(s, 1.0 / game.n) for s in range(game.n)]
        return [(0, 0.5), (1, 0.5)]

    def _in_clue_stage(self) -> bool:
        return len(self._clues) < self._game.n * self._game.rounds

    def _legal_actions(self, player: int) -> list[int]:
        game = self._game
        if game.text_moves:
            return []
        if self._in_clue_stage():
            return list(range(game.num_clues))
        if player not in game.voters:
            return []
        return list(range(game.num_clues, game.num_clues + game.n + 1))

    def _is_legal(self, player: int, action: int) -> bool:
        game = self._game
        if player == CHANCE:
            if self._item is None:
                return 0 <= action < game.source.count
            if self._spy is None:
                return 0 <= action < game.n
            return action in (0, 1)
        if game.text_moves:
            return False
        if self._in_clue_stage():
            return 0 <= action < game.num_clues
        return player in game.voters and game.num_clues <= action <= game.num_clues + game.n

    def _decode_vote(self, action: int) -> int:
        seat = action - self._game.num_clues
        return ABSTAIN if seat == self._game.n else seat

    def _apply_action(self, action: int) -> None:
        game = self._game
        player = self.current_player()
        if player == CHANCE:
            if self._item is None:
                self._item = action
            elif self._spy is None:
                self._spy = action
            else:
                self._side = action
        elif self._in_clue_stage():
            self._clues.append(
                SpokenClue(player, self._round(), action, game.source.clue_texts[action])
            )
        else:
            self._votes.append(self._decode_vote(action))
            self._finish()

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        self._votes = [self._decode_vote(a) for a in actions]
        self._finish()

    def _chance_stage(self) -> int:
        """0 while the item is drawn, 1 the spy's seat, 2 the side of the pair."""
        return 0 if self._item is None else 1 if self._spy is None else 2

    def _round(self) -> int:
        return len(self._clues) // self._game.n + 1

    def apply_action(self, action: int) -> None:
        if self._game.text_moves and self.current_player() >= 0:
            raise self._text_only_error()
        super().apply_action(action)

    def apply_text_action(self, text: str, player: int | None = None) -> None:
        """Structured clues: the move ``text`` names. Text clues: ``text`` is the clue
        (what ``\\boxed{}`` holds, if anything, cut to ``max_clue_chars``) or the vote
        (:func:`parse_vote`); an empty clue or an unreadable vote is counted as an
        invalid move of the seat and stands (an empty clue, a vote for nobody)."""
        game = self._game
        if not game.text_moves:
            super().apply_text_action(text, player)
            return
        current = self.current_player()
        if current == CHANCE:
            raise RedqueenError("the items have not been dealt: apply the chance outcomes first")
        if current == TERMINAL:
            raise RedqueenError("the game is over: no more moves")
        if player is not None and player != current:
            raise RedqueenError(
                f"it is {game.player_name(current)}'s turn (seat {current}), not seat {player}'s"
            )
        if not isinstance(text, str):
            raise InvalidParameterError(f"a move of the text version is a str; got {text!r}")
        text = text[:MAX_MOVE_CHARS]
        if self._in_clue_stage():
            said = boxed_or_whole(text)
            if said.startswith("[") and said.endswith("]"):
                said = said[1:-1].strip()
            said = said[: game.max_clue_chars]
            if not said:
                self._invalid[current] += 1
            self._clues.append(
                SpokenClue(current, self._round(), game.source.parse_clue(said), said)
            )
        else:
            vote = parse_vote(text, game.n)
            if vote == INVALID:
                self._invalid[current] += 1
            self._votes.append(vote)
            self._finish()
        self._history.append(Step(current, text))

    def _text_only_error(self) -> RedqueenError:
        return RedqueenError(
            "this who_is_the_spy game has text clues (clues='text'): send each clue and "
            "vote as text with apply_text_action(text)"
        )

    def _finish(self) -> None:
        game = self._game
        if len(self._votes) < len(game.voters):
            return
        assert self._spy is not None
        n, spy, votes = game.n, self._spy, self._votes
        seats = game.num_players
        clue = [0.0] * seats
        decision = [0.0] * seats
        if game.reward == "legacy":
            decision[:n] = legacy_rewards(n, spy, votes)
        else:
            clue[:n] = clue_rewards(n, spy, votes)
            for voter, vote in zip(game.voters, votes, strict=True):
                decision[voter] = decision_reward(vote, spy, voter_is_spy=voter == spy)
        self._rewards = SpyRewards(tuple(clue), tuple(decision))

    def returns(self) -> list[float]:
        if self._rewards is None:
            return [0.0] * self._game.num_players
        return self._rewards.totals()

    def rewards(self) -> SpyRewards:
        """Each seat's clue and decision rewards (all zero before the game is over)."""
        if self._rewards is None:
            zeros = (0.0,) * self._game.num_players
            return SpyRewards(zeros, zeros)
        return self._rewards

    def invalid_moves(self) -> tuple[int, ...]:
        """Per seat: empty clues and unreadable votes of the text version."""
        return tuple(self._invalid)

    def clone(self) -> SpyState:
        twin = SpyState.__new__(SpyState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._item = self._item
        twin._spy = self._spy
        twin._side = self._side
        twin._clues = list(self._clues)
        twin._votes = list(self._votes)
        twin._invalid = list(self._invalid)
        twin._rewards = self._rewards
        return twin

    # ---- what happened ------------------------------------------------------------------

    @property
    def spy(self) -> int | None:
        """The spy's seat (None before the deal)."""
        return self._spy

    def items(self) -> tuple[Item, Item] | None:
        """(the civilians' item, the spy's item); None before the deal."""
        if not self._dealt():
            return None
        assert self._item is not None and self._side is not None
        return self._game.source.items(self._item, self._side)

    def item_of(self, seat: int) -> Item | None:
        """What ``seat`` was given (an observer sees the civilians' item)."""
        items = self.items()
        if items is None:
            return None
        return items[1] if seat == self._spy else items[0]

    def clues(self) -> list[SpokenClue]:
        return list(self._clues)

    def votes(self) -> list[int]:
        """The votes cast so far, by the voters in order (seats, ABSTAIN or INVALID)."""
        return list(self._votes)

    def clue_checks(self) -> list[ClueCheck]:
        """Each clue's truth in the civilians' item and in the spy's (None for free text
        that states no structured clue)."""
        items = self.items()
        out = []
        for c in self._clues:
            if items is None or c.clue is None:
                out.append(ClueCheck(c.seat, c.round, None, None))
                continue
            source = self._game.source
            out.append(
                ClueCheck(
                    c.seat,
                    c.round,
                    source.clue_true(items[0], c.clue),
                    source.clue_true(items[1], c.clue),
                )
            )
        return out

    def outcome(self) -> SpyOutcome | None:
        """How the game went (None until it is over)."""
        if self._rewards is None:
            return None
        game = self._game
        assert self._spy is not None and self._item is not None
        return SpyOutcome(
            n_players=game.n,
            spy=self._spy,
            item=self._item,
            label=game.source.label(self._item),
            voters=game.voters,
            votes=tuple(self._votes),
            clue_checks=tuple(self.clue_checks()),
            rewards=self._rewards,
            invalid=tuple(self._invalid),
        )

    # ---- what a seat knows ----------------------------------------------------------------

    def _role(self, seat: int) -> str | None:
        if seat >= self._game.n:
            return "observer"
        if not self._game.spy_knows_role or self._spy is None:
            return None
        return "spy" if seat == self._spy else "civilian"

    def view(self, seat: int) -> SpyView:
        game = self._game
        if not 0 <= seat < game.num_players:
            raise RedqueenError(f"no seat {seat!r}; seats are 0..{game.num_players - 1}")
        own_vote = None
        if seat in game.voters:
            at = game.voters.index(seat)
            own_vote = self._votes[at] if at < len(self._votes) else None
        outcome = None
        if self._rewards is not None:
            items = self.items()
            assert self._spy is not None and items is not None
            outcome = (self._spy, tuple(self._votes), items[0], items[1])
        return SpyView(
            seat, self._role(seat), self.item_of(seat), tuple(self._clues), own_vote, outcome
        )

    def information_state_key(self, player: int) -> Hashable:
        return self.view(player)

    def _action_text(self, player: int, action: int) -> str:
        game = self._game
        if player == CHANCE:
            names = game.chance_names(self._chance_stage())
            if not 0 <= action < len(names):
                raise InvalidParameterError(f"no chance outcome {action} here")
            return names[action]
        if game.text_moves:
            raise self._text_only_error()
        if 0 <= action < game.num_clues:
            return game.source.clue_texts[action]
        if game.num_clues <= action <= game.num_clues + game.n:
            return game.vote_text(self._decode_vote(action))
        raise InvalidParameterError(f"no action {action}; actions are 0..{game.num_clues + game.n}")

    def parse_action(self, text: str, player: int | None = None) -> int:
        """As ``State.parse_action``, also after dropping quotes, brackets and a final full
        stop; at a vote, also a vote written as :func:`parse_vote` reads it ("3",
        "Player 3", "N/A")."""
        game = self._game
        if player is None:
            player = self.current_player()
        if game.text_moves and player >= 0:
            raise self._text_only_error()
        if player == CHANCE:
            known = game.chance_index(self._chance_stage()).get(text)
        elif self._in_clue_stage():
            known = game.source.clue_index.get(text)
        else:
            known = None
        if known is not None and self._is_legal(player, known):
            return known
        names = [(a, self._action_text(player, a)) for a in self.legal_actions(player)]
        try:
            return match_action_text(text, names)
        except RedqueenError:
            cleaned = _clue_key(text)
            if player >= 0 and not self._in_clue_stage() and names:
                vote = parse_vote(cleaned, game.n)
                if vote != INVALID:
                    return game.vote_action(vote)
            return match_action_text(cleaned, names)

    # ---- text views --------------------------------------------------------------------

    def observation_text(self, player: int) -> str:
        game = self._game
        view = self.view(player)
        name = game.player_name(player)
        if player >= game.n:
            lines = [
                f"Who is the spy? You are {name} (seat {player}), not a player: you see the "
                "civilians' item and every clue, and vote for the player you think is the spy."
            ]
        else:
            lines = [f"Who is the spy? You are {name} of {game.n}."]
            if view.role == "spy":
                lines.append("Your role: SPY (you have the different item).")
            elif view.role == "civilian":
                lines.append("Your role: NOT SPY (you have the same item as most others).")
            elif self._dealt():
                lines.append("Your role: not told (you may be the spy).")
        if view.item is None:
            lines.append("The items are being dealt.")
            return "\n".join(lines)
        lines += game.source.describe(view.item)
        lines += self._clue_lines()
        current = self.current_player()
        if view.outcome is not None:
            lines += self._outcome_lines(player)
        elif self._in_clue_stage():
            if current == player:
                lines.append(
                    f"Round {self._round()} of {game.rounds}: it is your turn to give a clue."
                )
                lines.append(self._clue_instruction(player))
            else:
                lines.append(
                    f"Round {self._round()} of {game.rounds}: waiting for "
                    f"{game.player_name(current)}'s clue."
                )
        elif player in game.voters and view.own_vote is None:
            lines.append(
                "Decision: vote for the player you think is the spy, or N/A if you are unsure "
                "(N/A costs less than a wrong vote). Votes are secret until all are cast."
            )
            if view.role == "spy":
                lines.append("You are the spy: do not vote for yourself.")
            if game.text_moves:
                choices = " ".join(f"[{p + 1}]" for p in range(game.n))
                lines.append(f"Answer with a player's number or N/A: {choices} [N/A]")
        else:
            if view.own_vote is not None:
                lines.append(f"You voted: {game.vote_text(view.own_vote)}.")
            lines.append("Votes are being cast (secret until all are in).")
        return "\n".join(lines)

    def _clue_lines(self) -> list[str]:
        if not self._clues:
            return ["No clues yet."]
        lines = ["Clues so far:"]
        for r in range(1, self._round() + 1):
            spoken = [c for c in self._clues if c.round == r]
            if not spoken:
                continue
            lines.append(f"  Round {r}:")
            lines += [
                f"    {self._game.player_name(c.seat)}: {c.text or '(no clue)'}" for c in spoken
            ]
        return lines

    def _clue_instruction(self, player: int) -> str:
        game = self._game
        what = "scene" if game.data == "clevr_text" else "word"
        if not game.text_moves:
            return f"Choose one of the listed statements about your {what}."
        item = self.item_of(player)
        assert item is not None
        examples = game.source.example_clues(item, len(self._clues) // game.n + player)
        shown = " ".join(f"[{game.source.clue_texts[c]}]" for c in examples)
        return (
            f"Describe your {what} in one sentence, different from the clues above, at most "
            f"{game.max_clue_chars} characters, inside \\boxed{{}}. Examples of clues about "
            f"your {what}: {shown}"
        )

    def _outcome_lines(self, player: int) -> list[str]:
        game = self._game
        assert self._spy is not None and self._rewards is not None
        items = self.items()
        assert items is not None
        spy_item = game.source.describe(items[1])
        spy_item[0] = spy_item[0].replace("Your", "The spy's")
        lines = [f"Game over. The spy was {game.player_name(self._spy)}.", *spy_item]
        lines.append(
            "Votes: "
            + "; ".join(
                f"{game.player_name(v)}: {game.vote_text(vote)}"
                for v, vote in zip(game.voters, self._votes, strict=True)
            )
        )
        r = self._rewards
        lines.append(
            f"Your reward: clue {r.clue[player]:+.4g}, decision {r.decision[player]:+.4g}, "
            f"total {r.clue[player] + r.decision[player]:+.4g}."
        )
        return lines

    def __str__(self) -> str:
        game = self._game
        if not self._dealt():
            return "who_is_the_spy: dealing"
        assert self._spy is not None and self._item is not None
        parts = [
            f"who_is_the_spy: {game.data} item {self._item}, spy {game.player_name(self._spy)}",
            "clues " + "; ".join(f"{game.player_name(c.seat)}: {c.text}" for c in self._clues),
        ]
        if self._votes:
            parts.append("votes " + ", ".join(game.vote_text(v) for v in self._votes))
        if self._rewards is not None:
            parts.append(f"returns {[round(x, 4) for x in self.returns()]}")
        return "; ".join(parts)
