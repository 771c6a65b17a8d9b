"""Referential games: a speaker names an object, a listener finds it; both are paid alike.

Lewis's signalling game (Lewis 1969, *Convention*) is the common-payoff game in which
languages emerge: nature shows the speaker a target, the speaker sends a message, and the
listener, who sees only the message and some candidates, must pick the target. Both
players earn 1 when it does and 0 otherwise. Two variants, as in Lowe*, Gupta* et al.
(ICLR 2020, "On the interaction between supervision and self-play in emergent
communication", code ``backpropper/s2p``) and Gupta, Lanctot & Lazaridou (NeurIPS 2021,
"Dynamic population-based meta-learning for multi-agent communication with natural
language", arXiv:2110.14241):

- :func:`lewis_game` (s2p's image-based referential game with procedural objects in place
  of MS COCO images): an object has ``properties`` properties with ``values`` values each.
  Chance draws the target, then ``distractors`` other objects, each uniformly among those
  not drawn yet. The speaker sees the target only and says up to ``message_length`` words
  from a vocabulary of ``vocabulary`` words (``end`` stops a message early, after at least
  one word). The listener sees the message and the ``distractors + 1`` candidates, listed in
  the order of their object index (so the list says nothing about which one is the
  target), and picks one. s2p's image game has 9 distractors and messages of up to 15
  tokens from 100 words; the defaults here are 9 distractors and 3 words from 15, over
  3 properties with 5 values (125 objects).
- :func:`object_reconstruction` (s2p's OR game): chance draws each of ``properties``
  properties (default 6) uniformly among ``values`` (default 10); the speaker says exactly
  ``message_length`` words (default 6) from ``vocabulary`` (default 60); the listener
  then names a value for each property in turn and succeeds when all are right.

The "human language" of s2p's OR game is a :class:`BotLanguage`
(``CompositionalBot.generate_language``): a random bijection of the ``properties x
values`` concepts onto words, and a random order in which the properties are said. It
serves as the natural-language proxy in :mod:`redqueen.learn.referential` (supervised
data, and the "human" partner at test time).

Information: the speaker's key holds the target and its message so far; the listener's
holds the candidates once they are all drawn (their number before), the message and its
own choices so far. Both keys hold the phase, so that they differ wherever the legal
actions do. Deviations from s2p: objects are tuples of discrete properties rather than
ResNet features, and a message is a sequence of word ids with an explicit ``end``.
"""

from __future__ import annotations

import string
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)
from redqueen.games.params import integer

SPEAKER, LISTENER = 0, 1
MAX_OBJECTS = 10_000
"""Most objects the Lewis game's object space may hold (one chance outcome each)."""
MAX_PROPERTIES = 26
"""Properties are named a, b, c, ... in the text views."""
MAX_VOCABULARY = 1000
MAX_MESSAGE_LENGTH = 100

ObjectTuple = tuple[int, ...]


# ---- objects ------------------------------------------------------------------------------


def object_of(index: int, properties: int, values: int) -> ObjectTuple:
    """The object with index ``index``: its property values, first property most
    significant (index = sum of ``value_p * values ** (properties - 1 - p)``)."""
    out = []
    for _ in range(properties):
        index, v = divmod(index, values)
        out.append(v)
    return tuple(reversed(out))


def index_of(obj: Sequence[int], values: int) -> int:
    """The index of the object ``obj`` (the inverse of :func:`object_of`)."""
    index = 0
    for v in obj:
        index = index * values + int(v)
    return index


def object_text(obj: Sequence[int]) -> str:
    """``a2-b0-c3``: each property's letter followed by its value."""
    return "-".join(f"{string.ascii_lowercase[p]}{v}" for p, v in enumerate(obj))


def word_text(word: int) -> str:
    return f"w{word}"


# ---- the compositional bot language ---------------------------------------------------------


@dataclass(frozen=True)
class BotLanguage:
    """s2p's compositional bot language: concept ``(p, v)`` (property ``p`` has value
    ``v``) is said with word ``words[p][v]``, a random injection of the concepts into the
    vocabulary (a bijection when ``vocabulary == properties * values``), and position ``k``
    of a message says property ``order[k]``. Build one with :meth:`generate`."""

    properties: int
    values: int
    vocabulary: int
    words: tuple[tuple[int, ...], ...]
    order: tuple[int, ...]
    _concept_of: dict[int, tuple[int, int]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        concept = {w: (p, v) for p, row in enumerate(self.words) for v, w in enumerate(row)}
        if len(concept) != self.properties * self.values:
            raise InvalidParameterError("a bot language needs one distinct word per concept")
        if sorted(self.order) != list(range(self.properties)):
            raise InvalidParameterError(
                f"order must be a permutation of 0..{self.properties - 1}; got {self.order}"
            )
        object.__setattr__(self, "_concept_of", concept)

    @classmethod
    def generate(cls, properties: int, values: int, vocabulary: int, seed: int = 0) -> BotLanguage:
        """A random bot language: ``rng.permutation(vocabulary)`` gives the concepts their
        words, property by property (the first ``values`` words to property 0, and so on),
        then ``rng.permutation(properties)`` the word order, with
        ``rng = numpy.random.default_rng(seed)``."""
        properties = integer("properties", properties, 1, MAX_PROPERTIES)
        values = integer("values", values, 2, MAX_VOCABULARY)
        vocabulary = integer("vocabulary", vocabulary, 1, MAX_VOCABULARY)
        if vocabulary < properties * values:
            raise InvalidParameterError(
                f"a bot language needs a vocabulary of at least properties x values = "
                f"{properties * values} words (one per concept); got {vocabulary}"
            )
        rng = np.random.default_rng(integer("seed", seed, 0, 2**63 - 1))
        perm = rng.permutation(vocabulary)[: properties * values].reshape(properties, values)
        order = rng.permutation(properties)
        return cls(
            properties,
            values,
            vocabulary,
            tuple(tuple(int(w) for w in row) for row in perm),
            tuple(int(p) for p in order),
        )

    def speak(self, obj: Sequence[int]) -> tuple[int, ...]:
        """The message for ``obj``: ``words[order[k]][obj[order[k]]]`` at position ``k``."""
        return tuple(self.words[p][obj[p]] for p in self.order)

    def understand(self, message: Sequence[int]) -> ObjectTuple | None:
        """The object a message describes, or None if it is not a well-formed message of
        this language (a word outside it, or a property said twice or not at all)."""
        found: dict[int, int] = {}
        for word in message:
            concept = self._concept_of.get(int(word))
            if concept is None or concept[0] in found:
                return None
            found[concept[0]] = concept[1]
        if len(found) != self.properties:
            return None
        return tuple(found[p] for p in range(self.properties))


# ---- shared state machinery ----------------------------------------------------------------


class _ReferentialGame(Game):
    """What both variants share: the object space, vocabulary and message length."""

    def __init__(
        self, spec: GameSpec, *, properties: int, values: int, vocabulary: int, length: int
    ) -> None:
        self.properties = properties
        self.values = values
        self.vocabulary = vocabulary
        self.message_length = length
        super().__init__(spec)

    @property
    def num_objects(self) -> int:
        return int(self.values**self.properties)

    def player_name(self, player: int) -> str:
        return "speaker" if player == SPEAKER else "listener"

    def bot_language(self, seed: int = 0) -> BotLanguage:
        """A random :class:`BotLanguage` for this game's objects and vocabulary."""
        return BotLanguage.generate(self.properties, self.values, self.vocabulary, seed)

    def _object_rules(self) -> str:
        names = ", ".join(string.ascii_lowercase[: self.properties])
        return (
            f"An object has {self.properties} properties ({names}), each with a value from 0 "
            f"to {self.values - 1}; it is written like {object_text([0] * self.properties)}."
        )


class _ReferentialState(State):
    __slots__ = ("_chosen", "_message", "_target")

    _game: _ReferentialGame

    def __init__(self, game: _ReferentialGame) -> None:
        super().__init__(game)
        self._target: ObjectTuple | None = None
        self._message: list[int] = []
        self._chosen: list[int] = []

    @property
    def target(self) -> ObjectTuple | None:
        return self._target

    @property
    def message(self) -> tuple[int, ...]:
        return tuple(self._message)

    def _message_text(self) -> str:
        words = [w for w in self._message if w < self._game.vocabulary]
        return " ".join(word_text(w) for w in words) or "(nothing yet)"

    def information_state_key(self, player: int) -> Hashable:
        self._check_player(player)
        return (self._phase(), *self._view(player))

    def _check_player(self, player: int) -> None:
        if player not in (SPEAKER, LISTENER):
            raise RedqueenError(f"no player {player} in {self._game.id}; players are 0 and 1")

    def _phase(self) -> str:
        player = self.current_player()
        return {CHANCE: "chance", SPEAKER: "speak", LISTENER: "listen"}.get(player, "over")

    def _view(self, player: int) -> tuple[Any, ...]:
        raise NotImplementedError


# ---- the Lewis game -----------------------------------------------------------------------


class LewisGame(_ReferentialGame):
    """The Lewis referential game; build it with :func:`lewis_game`."""

    def __init__(
        self,
        *,
        properties: int,
        values: int,
        distractors: int,
        vocabulary: int,
        message_length: int,
        params: dict[str, Any],
    ) -> None:
        self.distractors = distractors
        n_objects = values**properties
        super().__init__(
            GameSpec(
                id="lewis_game",
                num_players=2,
                num_distinct_actions=max(vocabulary + 1, distractors + 1),
                max_game_length=distractors + 1 + message_length + 1,
                min_utility=0.0,
                max_utility=1.0,
                dynamics=Dynamics.SEQUENTIAL,
                chance=ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                max_chance_outcomes=n_objects,
                params=params,
            ),
            properties=properties,
            values=values,
            vocabulary=vocabulary,
            length=message_length,
        )

    @property
    def end_action(self) -> int:
        """The speaker's action that ends a message early."""
        return self.vocabulary

    def new_initial_state(self) -> LewisState:
        return LewisState(self)

    def rules_text(self) -> str:
        k = self.distractors + 1
        return "\n".join(
            [
                "A referential (Lewis) game for two players, a speaker and a listener, who "
                "win or lose together.",
                self._object_rules(),
                f"Chance draws a target object and {self.distractors} other objects (all "
                f"distinct). The speaker sees only the target and sends a message of 1 to "
                f"{self.message_length} words from the vocabulary w0 ... "
                f"w{self.vocabulary - 1}, one word per move; 'end message' stops early.",
                f"The listener sees the message and the {k} candidate objects, listed in a "
                "fixed order that does not reveal the target, and picks one.",
                "Both players score 1 if the listener picks the target and 0 otherwise. The "
                "words mean nothing in advance: the players must agree on a language.",
            ]
        )


class LewisState(_ReferentialState):
    """A point in a Lewis game: the objects drawn, the message, the listener's pick."""

    __slots__ = ("_drawn",)

    _game: LewisGame

    def __init__(self, game: LewisGame) -> None:
        super().__init__(game)
        self._drawn: list[int] = []

    @property
    def candidates(self) -> tuple[ObjectTuple, ...]:
        """The candidates as the listener sees them (by object index); empty until drawn."""
        if len(self._drawn) < self._game.distractors + 1:
            return ()
        g = self._game
        return tuple(object_of(i, g.properties, g.values) for i in sorted(self._drawn))

    @property
    def target_position(self) -> int | None:
        """Where the target is in :attr:`candidates` (None until they are drawn)."""
        if not self.candidates:
            return None
        return sorted(self._drawn).index(self._drawn[0])

    def current_player(self) -> int:
        g = self._game
        if len(self._drawn) < g.distractors + 1:
            return CHANCE
        if self._chosen:
            return TERMINAL
        if len(self._message) < g.message_length and (
            not self._message or self._message[-1] != g.end_action
        ):
            return SPEAKER
        return LISTENER

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        taken = set(self._drawn)
        free = [i for i in range(self._game.num_objects) if i not in taken]
        return [(i, 1.0 / len(free)) for i in free]

    def _is_legal(self, player: int, action: int) -> bool:
        current = self.current_player()
        if player != current:
            return False
        g = self._game
        if current == CHANCE:
            return 0 <= action < g.num_objects and action not in self._drawn
        if current == SPEAKER:
            return 0 <= action < g.vocabulary or (action == g.end_action and bool(self._message))
        return 0 <= action <= g.distractors

    def _legal_actions(self, player: int) -> list[int]:
        g = self._game
        if player == SPEAKER:
            return list(range(g.vocabulary + (1 if self._message else 0)))
        return list(range(g.distractors + 1))

    def _apply_action(self, action: int) -> None:
        player = self.current_player()
        if player == CHANCE:
            self._drawn.append(action)
            if len(self._drawn) == 1:
                g = self._game
                self._target = object_of(action, g.properties, g.values)
        elif player == SPEAKER:
            self._message.append(action)
        else:
            self._chosen.append(action)

    @property
    def spoken(self) -> tuple[int, ...]:
        """The message's words, without a closing ``end``."""
        return tuple(w for w in self._message if w != self._game.end_action)

    def returns(self) -> list[float]:
        if not self._chosen:
            return [0.0, 0.0]
        win = float(self._chosen[0] == self.target_position)
        return [win, win]

    def _view(self, player: int) -> tuple[Any, ...]:
        if player == SPEAKER:
            return (self._target, tuple(self._message))
        seen = self.candidates if self.candidates else len(self._drawn)
        return (seen, tuple(self._message), tuple(self._chosen))

    def _action_text(self, player: int, action: int) -> str:
        g = self._game
        if player == CHANCE:
            return f"object {object_text(object_of(action, g.properties, g.values))}"
        if player == SPEAKER:
            return "end message" if action == g.end_action else f"say {word_text(action)}"
        cands = self.candidates
        shown = f" ({object_text(cands[action])})" if cands and 0 <= action < len(cands) else ""
        return f"pick {action + 1}{shown}"

    def observation_text(self, player: int) -> str:
        self._check_player(player)
        g = self._game
        words = self._message_text()
        if player == SPEAKER:
            if self._target is None:
                return "You are the speaker. The target has not been drawn yet."
            lines = [
                f"You are the speaker. The target object is {object_text(self._target)}.",
                f"Your message so far: {self.spoken_text()}.",
            ]
            if self.current_player() == SPEAKER:
                lines.append(
                    f"Say a word (w0 ... w{g.vocabulary - 1}); at most "
                    f"{g.message_length - len(self._message)} more"
                    + ("; or 'end message'." if self._message else ".")
                )
            elif self.is_terminal():
                lines.append(self._outcome_text())
            return "\n".join(lines)
        cands = self.candidates
        if not cands:
            return "You are the listener. The candidates are being drawn."
        lines = ["You are the listener. The candidates:"]
        lines += [f"  {k + 1}. {object_text(c)}" for k, c in enumerate(cands)]
        if self.current_player() == SPEAKER:
            lines.append(f"The speaker is talking: {words}.")
        else:
            lines.append(f"The speaker's message: {self.spoken_text()}.")
            if self.is_terminal():
                lines.append(self._outcome_text())
            else:
                lines.append(f"Pick the target: 'pick 1' ... 'pick {len(cands)}'.")
        return "\n".join(lines)

    def spoken_text(self) -> str:
        return " ".join(word_text(w) for w in self.spoken) or "(nothing yet)"

    def _outcome_text(self) -> str:
        pick = self._chosen[0]
        right = pick == self.target_position
        return f"The listener picked {pick + 1}: {'right' if right else 'wrong'}."


def lewis_game(
    *,
    properties: int = 3,
    values: int = 5,
    distractors: int = 9,
    vocabulary: int = 15,
    message_length: int = 3,
) -> LewisGame:
    """The Lewis referential game over ``values ** properties`` objects: the listener picks
    the target among ``distractors + 1`` candidates from a message of at most
    ``message_length`` words out of ``vocabulary``. Common payoff: 1 each when right."""
    properties = integer("properties", properties, 1, MAX_PROPERTIES)
    values = integer("values", values, 2, MAX_OBJECTS)
    if values**properties > MAX_OBJECTS:
        raise InvalidParameterError(
            f"values ** properties = {values}**{properties} objects is too many; allowed: at "
            f"most {MAX_OBJECTS} (one chance outcome per object)"
        )
    n_objects = values**properties
    distractors = integer("distractors", distractors, 1, n_objects - 1)
    vocabulary = integer("vocabulary", vocabulary, 2, MAX_VOCABULARY)
    message_length = integer("message_length", message_length, 1, MAX_MESSAGE_LENGTH)
    params = {
        "properties": properties,
        "values": values,
        "distractors": distractors,
        "vocabulary": vocabulary,
        "message_length": message_length,
    }
    return LewisGame(
        properties=properties,
        values=values,
        distractors=distractors,
        vocabulary=vocabulary,
        message_length=message_length,
        params=params,
    )


# ---- object reconstruction --------------------------------------------------------------------


class ReconstructionGame(_ReferentialGame):
    """s2p's object-reconstruction game; build it with :func:`object_reconstruction`."""

    def __init__(
        self,
        *,
        properties: int,
        values: int,
        vocabulary: int,
        message_length: int,
        params: dict[str, Any],
    ) -> None:
        super().__init__(
            GameSpec(
                id="object_reconstruction",
                num_players=2,
                num_distinct_actions=max(vocabulary, values),
                max_game_length=2 * properties + message_length,
                min_utility=0.0,
                max_utility=1.0,
                dynamics=Dynamics.SEQUENTIAL,
                chance=ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                max_chance_outcomes=values,
                params=params,
            ),
            properties=properties,
            values=values,
            vocabulary=vocabulary,
            length=message_length,
        )

    def new_initial_state(self) -> ReconstructionState:
        return ReconstructionState(self)

    def rules_text(self) -> str:
        return "\n".join(
            [
                "An object-reconstruction game for two players, a speaker and a listener, who "
                "win or lose together.",
                self._object_rules(),
                "Chance draws each property's value uniformly. The speaker sees the object "
                f"and sends exactly {self.message_length} words from the vocabulary w0 ... "
                f"w{self.vocabulary - 1}, one word per move.",
                "The listener sees only the message and names the value of each property in "
                "turn (a first, then b, ...).",
                "Both players score 1 if every property is named right and 0 otherwise.",
            ]
        )


class ReconstructionState(_ReferentialState):
    """A point in an object-reconstruction game."""

    __slots__ = ("_drawn",)

    _game: ReconstructionGame

    def __init__(self, game: ReconstructionGame) -> None:
        super().__init__(game)
        self._drawn: list[int] = []

    @property
    def guess(self) -> tuple[int, ...]:
        """The listener's values so far."""
        return tuple(self._chosen)

    def current_player(self) -> int:
        g = self._game
        if len(self._drawn) < g.properties:
            return CHANCE
        if len(self._message) < g.message_length:
            return SPEAKER
        return LISTENER if len(self._chosen) < g.properties else TERMINAL

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        v = self._game.values
        return [(i, 1.0 / v) for i in range(v)]

    def _is_legal(self, player: int, action: int) -> bool:
        current = self.current_player()
        if player != current:
            return False
        g = self._game
        return 0 <= action < (g.vocabulary if current == SPEAKER else g.values)

    def _legal_actions(self, player: int) -> list[int]:
        g = self._game
        return list(range(g.vocabulary if player == SPEAKER else g.values))

    def _apply_action(self, action: int) -> None:
        player = self.current_player()
        if player == CHANCE:
            self._drawn.append(action)
            if len(self._drawn) == self._game.properties:
                self._target = tuple(self._drawn)
        elif player == SPEAKER:
            self._message.append(action)
        else:
            self._chosen.append(action)

    def returns(self) -> list[float]:
        if len(self._chosen) < self._game.properties:
            return [0.0, 0.0]
        win = float(tuple(self._chosen) == self._target)
        return [win, win]

    def _view(self, player: int) -> tuple[Any, ...]:
        if player == SPEAKER:
            return (self._target, len(self._drawn), tuple(self._message))
        return (len(self._drawn), tuple(self._message), tuple(self._chosen))

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            return f"value {action}"
        if player == SPEAKER:
            return f"say {word_text(action)}"
        prop = string.ascii_lowercase[min(len(self._chosen), self._game.properties - 1)]
        return f"{prop}{action}"

    def observation_text(self, player: int) -> str:
        self._check_player(player)
        g = self._game
        if self.current_player() == CHANCE:
            return "The object is being drawn."
        if player == SPEAKER:
            assert self._target is not None
            lines = [
                f"You are the speaker. The object is {object_text(self._target)}.",
                f"Your message so far: {self._message_text()}.",
            ]
            if self.current_player() == SPEAKER:
                lines.append(
                    f"Say a word (w0 ... w{g.vocabulary - 1}); "
                    f"{g.message_length - len(self._message)} more to say."
                )
        else:
            lines = [f"You are the listener. The speaker's message: {self._message_text()}."]
            if self._chosen:
                lines.append(f"Your values so far: {object_text(self._chosen)}.")
            if self.current_player() == LISTENER:
                prop = string.ascii_lowercase[len(self._chosen)]
                lines.append(
                    f"Name the value of property {prop}: '{prop}0' ... '{prop}{g.values - 1}'."
                )
        if self.is_terminal():
            right = tuple(self._chosen) == self._target
            lines.append(
                f"The object was {object_text(self._target or ())}: "
                f"{'rebuilt' if right else 'not rebuilt'}."
            )
        return "\n".join(lines)


def object_reconstruction(
    *, properties: int = 6, values: int = 10, vocabulary: int = 60, message_length: int = 6
) -> ReconstructionGame:
    """s2p's object-reconstruction game: ``properties`` properties of ``values`` values
    each, a message of exactly ``message_length`` words from ``vocabulary``; success (1 to
    both) when the listener names every property's value."""
    properties = integer("properties", properties, 1, MAX_PROPERTIES)
    values = integer("values", values, 2, MAX_VOCABULARY)
    vocabulary = integer("vocabulary", vocabulary, 2, MAX_VOCABULARY)
    message_length = integer("message_length", message_length, 1, MAX_MESSAGE_LENGTH)
    params = {
        "properties": properties,
        "values": values,
        "vocabulary": vocabulary,
        "message_length": message_length,
    }
    return ReconstructionGame(
        properties=properties,
        values=values,
        vocabulary=vocabulary,
        message_length=message_length,
        params=params,
    )
