"""Hanabi as MARS plays it: OpenSpiel's ``hanabi`` with MARS's presets and text protocol.

Hanabi is a cooperative card game of hidden information: each player sees the other's
cards but not their own, and the two build one firework per colour by playing the cards
of that colour in rank order, using hints (which cost information tokens) to tell each
other what they hold. MARS (thu-nics/MARS ``roll/agentic/env/hanabi/{config,env}.py``,
the self-play LLM trainer of arXiv 2510.15414) trains on a small two-player Hanabi and
evaluates on two larger ones. This module is those games, named by preset:

============  =======  =====  ====  ===========  =====  =========
preset        colours  ranks  hand  info tokens  lives  max score
============  =======  =====  ====  ===========  =====  =========
``mini``      2        2      3     3            3      4
``simple``    3        2      5     8            3      6
``full``      3        3      5     8            3      9
============  =======  =====  ====  ===========  =====  =========

(MARS's ``MiniHanabi``, its training game; ``SimpleHanabi`` and ``FullHanabi``, held out.)
In ``mini`` and ``simple`` only two cards stay in the deck after the deal, so a game holds
at most four plays: ``simple`` scores at most 4 of its nominal 6.

The rules are OpenSpiel's ``hanabi`` (the Hanabi Learning Environment inside it), loaded
with these parameters, exactly as MARS loads them. Each colour has three 1s, two of every
middle rank and one card of the top rank. A player plays a card (a wrong one costs a life),
discards one (regaining an information token; not allowed while the tokens are full), or
spends a token to reveal to the other player all their cards of one colour or one rank.
The game ends when every firework is complete, one round after the deck runs out, or when
the last life is lost, which zeroes the score. Both players receive the score (the
number of cards played), so the game is general-sum with equal payoffs. Chance deals the
cards, one enumerable outcome per card.

The text view is MARS's, word for word:

- ``rules_text()`` is MARS's GAME RULES and PLAYER INFORMATION. MARS's PLAYER INFORMATION
  starts "You will be playing as the player {id}"; a game's rules text is the same for
  both seats, so that first item says the state is shown from the reader's side (which is
  all Hanabi's relative actions need). :meth:`HanabiGame.mars_prompt` gives MARS's exact
  system prompt and first user message for one seat, RESPONSE INSTRUCTIONS included.
- ``observation_text(player)`` is MARS's GAME STATE: tokens, firework tops (``R0 Y0``),
  deck size, discards, the other player's hand as "Card i (R1): the other player believes
  it is one of the colors [..] and one of the ranks [..]", and the player's own hand as
  the hints left it. MARS's chat also shows the other player's chosen action between two
  of one's turns (``include_opponent_turn: action``); a single observation does not, and
  the hints it gave are visible in the card knowledge. Once the game is over the text
  says so and gives the score (MARS shows the model no terminal state).
- ``action_text`` is OpenSpiel's move name rewritten as MARS rewrites it:
  ``<Play card 0>``, ``<Discard card 2>``, ``<Reveal player +1 color R>``,
  ``<Reveal player +1 rank 2>``. MARS's own prompt example ``<Discard Card 0>`` names no
  legal action in MARS (which compares strings exactly); here it parses, since move names
  are compared with case and whitespace normalised.

MARS's reward shaping (+0.05 per valid move, +0.1 at the end when the last step's reward
is 0, -(score so far) - 10 for an invalid reply) belongs to training, not to the rules:
:meth:`State.returns` is the plain score.

**The information-state key is not perfect recall.** OpenSpiel's ``hanabi`` provides no
information-state string, only an observation string: what each card could be given the
hints so far, the fireworks, tokens, deck size and discards. It summarises the hint
history as card knowledge and forgets the order of moves, so different histories the
player could tell apart may share a key. The key is OpenSpiel's observation string, as
the OpenSpiel adapter (``make("openspiel:hanabi", ...)``) uses it: fine for LLM, scripted
and reinforcement-learning players; wrong for tree solvers (CFR, exact best responses),
which need perfect recall.

OpenSpiel is an optional dependency (``pip install open_spiel``); importing this module
does not import it, building a game does.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games.core import CHANCE, TERMINAL, ChanceMode, Game, GameSpec, State, UtilityKind

PLAYERS = 2
"""MARS plays Hanabi with two players only (its environment raises otherwise)."""

COLOR_LETTERS = ("R", "Y", "G", "W", "B")
"""OpenSpiel's colour letters, in its order; a game with ``c`` colours uses the first
``c``."""


@dataclass(frozen=True)
class HanabiPreset:
    """One of MARS's Hanabi configurations (OpenSpiel ``hanabi`` parameters)."""

    colors: int
    ranks: int
    hand_size: int
    max_information_tokens: int
    max_life_tokens: int

    @property
    def max_score(self) -> int:
        """Every firework complete: colours x ranks."""
        return self.colors * self.ranks

    @property
    def deck_size(self) -> int:
        """Cards in the deck: per colour three 1s, two of each middle rank, one top card."""
        return self.colors * (3 + 2 * (self.ranks - 2) + 1)

    def openspiel_params(self) -> dict[str, int]:
        """The parameters of ``pyspiel.load_game("hanabi", ...)``."""
        return {
            "players": PLAYERS,
            "colors": self.colors,
            "ranks": self.ranks,
            "hand_size": self.hand_size,
            "max_information_tokens": self.max_information_tokens,
            "max_life_tokens": self.max_life_tokens,
        }


PRESETS: dict[str, HanabiPreset] = {
    "mini": HanabiPreset(2, 2, 3, 3, 3),
    "simple": HanabiPreset(3, 2, 5, 8, 3),
    "full": HanabiPreset(3, 3, 5, 8, 3),
}
"""MARS's MiniHanabi (``HanabiConfig`` defaults), SimpleHanabi and FullHanabi (its
``agentic_val_*_selfplay.yaml``)."""

MARS_SYSTEM_PROMPT = (
    "You are an AI agent that makes optimal decisions to achieve the highest score in the "
    "game of hanabi."
)
"""MARS's system prompt for Hanabi."""

_COLOR_NAMES = (
    "Red(denoted by R)",
    "Yellow(denoted by Y)",
    "Green(denoted by G)",
    "White(denoted by W)",
    "Blue(denoted by B)",
)
_DECK_TEXT = {
    5: "three of rank 1, two each of rank 2, rank 3, rank 4, and one of rank 5,",
    4: "three of rank 1, two each of rank 2, rank 3, and one of rank 4,",
    3: "three of rank 1, two of rank 2, and one of rank 3,",
    2: "three of rank 1, and one of rank 2,",
}
_INSTALL_HINT = "pip install open_spiel"


def _pyspiel() -> Any:
    try:
        import pyspiel
    except ImportError as err:
        raise RedqueenError(
            f"the hanabi game runs on OpenSpiel's Python package, which is not installed: "
            f"{_INSTALL_HINT}"
        ) from err
    return pyspiel


def hanabi(*, preset: str = "mini") -> HanabiGame:
    """MARS's Hanabi ``preset``: ``mini`` (the default), ``simple`` or ``full``."""
    return HanabiGame(preset)


# ---- reading OpenSpiel's observation ------------------------------------------------------


@dataclass(frozen=True)
class CardKnowledge:
    """What the holder of a card knows of it: the colours and ranks it may still have
    (hints, positive and negative, rule the others out), and what was revealed of it."""

    colors: tuple[str, ...]
    ranks: tuple[int, ...]
    revealed_color: str | None
    revealed_rank: int | None

    @property
    def hinted(self) -> bool:
        return self.revealed_color is not None or self.revealed_rank is not None


@dataclass(frozen=True)
class HanabiView:
    """One player's view of a Hanabi state, read from OpenSpiel's observation string
    (:func:`read_observation`). Hand positions count from 0, oldest card first."""

    life_tokens: int
    info_tokens: int
    fireworks: Mapping[str, int]
    """Per colour letter, the top rank of its firework (0: none played yet)."""
    deck_size: int
    discards: tuple[str, ...]
    own: tuple[CardKnowledge, ...]
    """The player's own cards, as far as the player knows them."""
    other_cards: tuple[str, ...]
    """The other player's cards, as this player sees them (``"R1"``)."""
    other_knowledge: tuple[CardKnowledge, ...]
    """What the other player knows of each of its cards."""
    to_move: bool
    """Whether this player is the one to move."""

    @property
    def fireworks_text(self) -> str:
        return " ".join(f"{c}{r}" for c, r in self.fireworks.items())

    def playable(self, card: str) -> bool:
        """Whether the card ``"R1"`` would extend its firework now."""
        return self.fireworks.get(card[0]) == int(card[1:]) - 1

    def known_playable(self, knowledge: CardKnowledge) -> bool:
        """Whether every colour and rank the card may have would extend its firework: the
        holder knows that playing it is safe."""
        return all(
            self.fireworks.get(c) == r - 1 for c in knowledge.colors for r in knowledge.ranks
        )


_CARD = re.compile(r"^(\S+) \|\| (\S)(\S)\|([A-Z]*)(\d*)$")


@functools.lru_cache(maxsize=8192)
def _card(line: str) -> tuple[str, CardKnowledge]:
    """One card line of an observation (``R1 || XX|RY12``): the card as seen (``XX`` in
    one's own hand) and its holder's knowledge. Cached: a game has few distinct lines."""
    match = _CARD.match(line)
    if match is None:
        raise RedqueenError(f"not a card of a Hanabi observation: {line!r}")
    card, color, rank, colors, ranks = match.groups()
    return card, CardKnowledge(
        colors=tuple(colors),
        ranks=tuple(int(r) for r in ranks),
        revealed_color=None if color == "X" else color,
        revealed_rank=None if rank == "X" else int(rank),
    )


def read_observation(text: str) -> HanabiView:
    """The view in one of OpenSpiel's Hanabi observation strings (the player's own hand
    comes first, then ``-----`` and the other hand; ``Cur player`` precedes the hand of
    the player to move)."""
    values: dict[str, str] = {}
    hands: list[list[tuple[str, CardKnowledge]]] = [[]]
    current = -1
    in_hands = False
    for raw in text.splitlines():
        line = raw.strip()
        if line == "Hands:":
            in_hands = True
        elif in_hands and line == "Cur player":
            current = len(hands) - 1
        elif in_hands and line == "-----":
            hands.append([])
        elif in_hands and not line.startswith("Deck size:"):
            hands[-1].append(_card(line))
        else:
            in_hands = False
            key, _, value = line.partition(":")
            values[key] = value.strip()
    own = hands[0]
    other = hands[1] if len(hands) > 1 else []
    fireworks = {item[0]: int(item[1:]) for item in values["Fireworks"].split()}
    return HanabiView(
        life_tokens=int(values["Life tokens"]),
        info_tokens=int(values["Info tokens"]),
        fireworks=fireworks,
        deck_size=int(values["Deck size"]),
        discards=tuple(values.get("Discards", "").split()),
        own=tuple(k for _, k in own),
        other_cards=tuple(c for c, _ in other),
        other_knowledge=tuple(k for _, k in other),
        to_move=current == 0,
    )


def mars_state_text(view: HanabiView) -> str:
    """MARS's GAME STATE text of a view (``Hanabi._render_text``)."""
    discards = " ".join(view.discards) or "None"
    lines = [
        f"1. There are {view.life_tokens} life tokens and {view.info_tokens} information "
        "tokens remaining.",
        f"2. The top of the color stacks are: {view.fireworks_text}.",
        f"3. {view.deck_size} cards remain in the draw pile.",
        f"4. The discard pile currently contains: {discards}.",
        "5. The other player's hand:",
    ]
    for i, (card, k) in enumerate(zip(view.other_cards, view.other_knowledge, strict=True)):
        lines.append(f"    - Card {i} ({card}): the other player believes it is {_belief_text(k)}.")
    lines.append("6. Your own hand, based on the revealed information:")
    lines.extend(f"    - Card {i}: {_belief_text(k)}." for i, k in enumerate(view.own))
    return "\n".join(lines)


@functools.lru_cache(maxsize=4096)
def _mars_text(observation: str) -> str:
    """MARS's text of one OpenSpiel observation string (cached: the checker and the
    agents of one match ask for the same view several times)."""
    return mars_state_text(read_observation(observation))


@functools.lru_cache(maxsize=1024)
def _belief_text(k: CardKnowledge) -> str:
    colors, ranks = ", ".join(k.colors), ", ".join(map(str, k.ranks))
    return f"one of the colors [{colors}] and one of the ranks [{ranks}]"


def mars_action_name(openspiel_name: str) -> str:
    """OpenSpiel's move name as MARS writes it: ``(Play 0)`` -> ``<Play card 0>``."""
    name = openspiel_name.replace("(", "<").replace(")", ">")
    return name.replace("Play", "Play card").replace("Discard", "Discard card")


# ---- the game ------------------------------------------------------------------------------


class HanabiGame(Game):
    """MARS's Hanabi ``preset`` (see the module docstring), over OpenSpiel's ``hanabi``."""

    def __init__(self, preset: str = "mini") -> None:
        if not isinstance(preset, str) or preset not in PRESETS:
            raise UnknownNameError("hanabi preset", str(preset), PRESETS)
        pyspiel = _pyspiel()
        self.preset_name = preset
        self.preset = PRESETS[preset]
        self.openspiel_game = pyspiel.load_game("hanabi", self.preset.openspiel_params())
        """The wrapped ``pyspiel.Game``."""
        os_game = self.openspiel_game
        root = os_game.new_initial_state()
        self.action_names: tuple[str, ...] = tuple(
            mars_action_name(root.action_to_string(0, a))
            for a in range(os_game.num_distinct_actions())
        )
        """Every player action's MARS name, by id."""
        super().__init__(
            GameSpec(
                id="hanabi",
                num_players=PLAYERS,
                num_distinct_actions=int(os_game.num_distinct_actions()),
                # OpenSpiel counts player moves only; our spec counts chance steps too
                max_game_length=int(os_game.max_game_length())
                + int(os_game.max_chance_nodes_in_history()),
                min_utility=float(os_game.min_utility()),
                max_utility=float(os_game.max_utility()),
                chance=ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                max_chance_outcomes=int(os_game.max_chance_outcomes()),
                params={"preset": preset},
            )
        )

    def new_initial_state(self) -> HanabiState:
        return HanabiState(self, self.openspiel_game.new_initial_state())

    def rules_text(self) -> str:
        return "\n\n".join(
            [
                f"GAME RULES:\n{self._mars_rules()}",
                f"PLAYER INFORMATION:\n{self._mars_information(None)}",
            ]
        )

    def mars_prompt(self, player: int) -> tuple[str, str]:
        """MARS's system prompt and the start of its first user message for ``player``
        (GAME RULES, PLAYER INFORMATION and RESPONSE INSTRUCTIONS; ``_get_prefix_prompt``
        with thinking on): the exact text MARS trains on."""
        if player not in range(PLAYERS):
            raise RedqueenError(f"players are 0 and 1; got {player!r}")
        instructions = (
            "Always choose only one action from the legal actions and output "
            "`<answer>{your chosen action}</answer>` with no extra text after you finish the "
            "thinking process. For example, `<answer><Discard Card 0></answer>`. Strictly "
            "follow the above format and keep your thinking process concise. Responses that "
            "do not follow the format will result in immediate loss of all life tokens and "
            "end of the game."
        )
        user = (
            f"GAME RULES:\n{self._mars_rules()}\n\n"
            f"PLAYER INFORMATION:\n{self._mars_information(player)}\n\n"
            f"RESPONSE INSTRUCTIONS:\n{instructions}\n\n"
        )
        return MARS_SYSTEM_PROMPT, user

    def _mars_rules(self) -> str:
        p = self.preset
        c, r = p.colors, p.ranks
        per_color = 3 + 2 * (r - 2) + 1
        return (
            "1. Hanabi is a cooperative card game for 2 players, player 0 and player 1.\n"
            f"2. The deck consists of {c} colors: {', '.join(_COLOR_NAMES[:c])}, with ranks "
            f"ranging from 1 to {r}. Each color contains {per_color} cards: {_DECK_TEXT[r]} "
            f"for a total of {c * per_color} cards.\n"
            f"3. Each player holds {p.hand_size} cards in hand. Players can observe the hand "
            "of the other player, but not their own.\n"
            f"4. There are {p.max_information_tokens} information tokens and "
            f"{p.max_life_tokens} life tokens shared by both players.\n"
            "5. The objective is to play cards in ascending order of rank, from 1 to "
            f"{r}, to their corresponding color stacks, hence achieving the 'Fireworks'.\n"
            "6. The players take turns to take one of the following actions:\n"
            "    a. <Play `i`>: play the i-th card from the player's own hand (0-indexed). If "
            "the card is sequential to the top card of its corresponding color stack, the "
            "move is valid and the card is added to the top of the stack, then both players "
            "receive 1 point. Otherwise, a life token is lost.\n"
            "    b. <Discard `i`>: discard the i-th card from the player's own hand and gain "
            "one information token.\n"
            "    c. <Reveal player +1 color `c`>: spend one information token to reveal all "
            "cards of color `c` in the other player's hand.\n"
            "    d. <Reveal player +1 rank `r`>: spend one information token to reveal all "
            "cards of rank `r` in the other player's hand.\n"
            "7. After playing or discarding, the player receives a new card from the deck "
            "(if remaining).\n"
            "8. The game ends when:\n"
            "    a. If all color stacks are completed (i.e., all cards of rank "
            f"{r} are played to their corresponding color stacks), then both players finish "
            f"the game with the highest possible total score of {r * c}.\n"
            "    b. If deck is depleted, both players finish the game with a total score "
            "which equals the sum of the highest ranks of each color stack.\n"
            "    c. If all life tokens are lost before the above two conditions are met, then "
            "both players lose all points they have earned so far, and finish the game with "
            "a total score of 0."
        )

    @staticmethod
    def _mars_information(player: int | None) -> str:
        first = (
            f"1. You will be playing as the player {player}.\n"
            if player is not None
            else "1. You will be playing as one of the two players; the game state is always "
            "shown from your side.\n"
        )
        return (
            first + "2. In each of your turns, you will be provided with the current game "
            "state information, including the remaining life tokens and information tokens, "
            "the current color stacks, the remaining deck size, the discard pile, the hand of "
            "the other player, and the revealed information on your own hand.\n"
            "3. Known cards are denoted by their color and rank. For example, 'R2' means a red "
            "card of rank 2. "
            "4. The current color stacks are represented by the top card of each color stack. "
            "In particular, rank 0 denotes an empty stack. For example, 'Y0' means the yellow "
            "stack is still empty."
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_rebuild, (self.preset_name,))


class HanabiState(State):
    """A Hanabi state: a ``pyspiel`` Hanabi state behind redqueen's State contract."""

    __slots__ = ("_s",)

    _game: HanabiGame

    def __init__(self, game: HanabiGame, os_state: Any) -> None:
        super().__init__(game)
        self._s = os_state

    @property
    def openspiel_state(self) -> Any:
        """The wrapped ``pyspiel.State`` (read it; moving it behind our back breaks the
        history this state keeps)."""
        return self._s

    def current_player(self) -> int:
        s = self._s
        if s.is_terminal():
            return TERMINAL
        if s.is_chance_node():
            return CHANCE
        return int(s.current_player())

    def _legal_actions(self, player: int) -> list[int]:
        return [int(a) for a in self._s.legal_actions(player)]

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        return [(int(a), float(p)) for a, p in self._s.chance_outcomes()]

    def _apply_action(self, action: int) -> None:
        self._s.apply_action(action)

    def returns(self) -> list[float]:
        return [float(r) for r in self._s.returns()]

    def score(self) -> int:
        """The points scored so far (0 once the last life is lost)."""
        return round(self._s.returns()[0])

    def information_state_key(self, player: int) -> Hashable:
        """OpenSpiel's observation string: not perfect recall (see the module docstring)."""
        self._check_player(player)
        return str(self._s.observation_string(player))

    def view(self, player: int) -> HanabiView:
        """What ``player`` sees, as data."""
        self._check_player(player)
        return read_observation(self._s.observation_string(player))

    def observation_text(self, player: int) -> str:
        """MARS's GAME STATE text for ``player``; once the game is over, the score."""
        self._check_player(player)
        if self._s.is_terminal():
            best = self._game.preset.max_score
            return f"The game is over. The final score is {self.score()} of {best}."
        return _mars_text(self._s.observation_string(player))

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            return str(self._s.action_to_string(CHANCE, action)).strip("()")
        names = self._game.action_names
        return names[action] if 0 <= action < len(names) else f"action {action}"

    def clone(self) -> HanabiState:
        twin = HanabiState.__new__(HanabiState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._s = self._s.clone()
        return twin

    def __str__(self) -> str:
        return str(self._s)

    def _check_player(self, player: int) -> None:
        if isinstance(player, bool) or player not in range(PLAYERS):
            raise RedqueenError(f"players are 0 and 1; got {player!r}")


def _rebuild(preset: str) -> HanabiGame:
    return HanabiGame(preset)
