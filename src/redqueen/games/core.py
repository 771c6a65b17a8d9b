"""The Game / State contract: the single source of truth for the rules of every game.

The model is OpenSpiel's extensive form. A :class:`State` is a node of the game tree; the
node's ``current_player()`` is a seat index, or one of the constants :data:`CHANCE`
(nature moves; its outcomes are enumerable through ``chance_outcomes()``),
:data:`SIMULTANEOUS` (every seat moves at once through ``apply_joint_action``) or
:data:`TERMINAL`.

Actions are integers in ``range(game.spec.num_distinct_actions)`` for players and small
integers for chance outcomes. Text is a view, never the state: ``action_text`` and
``parse_action`` translate between ids and what a person (or a language model) reads and
types; ``observation_text`` is what one player may see.

Subclasses implement the underscored hooks (``_legal_actions``, ``_apply_action``, ...);
the public methods here validate input, so that an illegal action raises
:class:`~redqueen.errors.IllegalActionError` naming the legal ones and leaves the state
exactly as it was.
"""

from __future__ import annotations

import copy
import enum
import math
import operator
from abc import ABC, abstractmethod
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from redqueen.errors import IllegalActionError, ParseActionError, RedqueenError

if TYPE_CHECKING:  # numpy appears in annotations only; the command line starts without it
    import numpy as np

CHANCE = -1
"""``current_player()`` at a node where nature moves."""
SIMULTANEOUS = -2
"""``current_player()`` at a node where every seat moves at once."""
TERMINAL = -4
"""``current_player()`` once the game is over."""

Action = int


class Dynamics(enum.StrEnum):
    SEQUENTIAL = "sequential"
    SIMULTANEOUS = "simultaneous"


class ChanceMode(enum.StrEnum):
    NONE = "none"
    EXPLICIT = "explicit"


class UtilityKind(enum.StrEnum):
    ZERO_SUM = "zero_sum"
    CONSTANT_SUM = "constant_sum"
    GENERAL_SUM = "general_sum"


@dataclass(frozen=True)
class GameSpec:
    """What a game is, in numbers a program can rely on.

    ``max_game_length`` counts every step from the initial state to a terminal one: each
    chance outcome, each single action and each joint action counts one.
    ``utility_sum`` is the sum of the returns at every terminal state for zero-sum (0)
    and constant-sum games, and ``None`` for general-sum ones.
    """

    id: str
    num_players: int
    num_distinct_actions: int
    max_game_length: int
    min_utility: float
    max_utility: float
    dynamics: Dynamics = Dynamics.SEQUENTIAL
    chance: ChanceMode = ChanceMode.NONE
    utility: UtilityKind = UtilityKind.ZERO_SUM
    utility_sum: float | None = 0.0
    perfect_information: bool = False
    max_chance_outcomes: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)
    text_actions: bool = False
    """True for text-only games (e.g. wrapped TextArena environments): moves are free text
    that the game validates, there are no structured legal actions, and players move
    through ``apply_text_action``."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "num_players": self.num_players,
            "num_distinct_actions": self.num_distinct_actions,
            "max_game_length": self.max_game_length,
            "min_utility": self.min_utility,
            "max_utility": self.max_utility,
            "dynamics": str(self.dynamics),
            "chance": str(self.chance),
            "utility": str(self.utility),
            "utility_sum": self.utility_sum,
            "perfect_information": self.perfect_information,
            "max_chance_outcomes": self.max_chance_outcomes,
            "text_actions": self.text_actions,
            "params": dict(self.params),
        }


class Step(NamedTuple):
    """One transition of a history: who moved and what. For a simultaneous node ``player``
    is :data:`SIMULTANEOUS` and ``action`` is the tuple of every seat's action; in a
    text-only game ``action`` is the text the player sent."""

    player: int
    action: int | tuple[int, ...] | str


new_step = tuple.__new__
"""Builds a :class:`Step` as ``new_step(Step, (player, action))``, skipping the Python-level
``__new__`` of a named tuple on the hot path of ``apply_action``."""


class Game(ABC):
    """A game: its spec, its rules in words, and a way to start a play of it."""

    moves_are_public: ClassVar[bool] = True
    """Whether every seat may be told each other seat's moves as they are made
    (simultaneous ones once the round is over). Games with secret moves (werewolf's night,
    secret ballots) set it False; their text views then tell each seat what it may know,
    and a person at the terminal is not told the other seats' moves."""

    judges_replies: ClassVar[bool] = False
    """Whether the game takes any text as a move and judges it by its own rules, counting
    the ones it rejects in ``State.invalid_moves()`` (TextArena's games: a warning and a
    retry, or a lost game). An LLM trainer then treats a counted move as an invalid reply
    under its own protocol, as it does a move the game refuses. Games whose rules score an
    unreadable move themselves, as a paper does (a role game's wrong answer), leave it
    False."""

    def __init__(self, spec: GameSpec) -> None:
        self._spec = spec

    @property
    def spec(self) -> GameSpec:
        return self._spec

    @property
    def id(self) -> str:
        return self._spec.id

    @property
    def num_players(self) -> int:
        return self._spec.num_players

    @property
    def num_distinct_actions(self) -> int:
        return self._spec.num_distinct_actions

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._spec.params)

    @abstractmethod
    def new_initial_state(self) -> State:
        """The root of the game tree."""

    @abstractmethod
    def rules_text(self) -> str:
        """The rules in plain English, complete enough for a person to play from."""

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """Shape of ``State.information_state_tensor``; games without one raise."""
        raise RedqueenError(f"{self.id} has no tensor view of its information states")

    def player_name(self, player: int) -> str:
        """A short name for a seat, as the text views use it."""
        return f"player {player}"

    # ---- what a trainer asks of a finished play (most games: nothing) --------------

    def memory(self, state: State) -> Any:
        """What the finished play ``state`` leaves for the plays after it, or None.

        A game is a pure function of its parameters; a few training protocols carry
        something from one batch of plays to the next (PasoDoble's window of recent
        questions). A trainer collects these from a batch, in play order, and gives them
        to :meth:`remember`."""
        return None

    def remember(self, memories: Sequence[Any]) -> Game:
        """The game the next batch plays after a batch whose plays left ``memories``
        (from :meth:`memory`, None where a play left nothing). Its parameters say all it
        remembers, so ``make(game.id, **game.params)`` rebuilds it. Most games remember
        nothing and return themselves."""
        return self

    def trains_seat(self, state: State, player: int) -> bool:
        """Whether a trainer learns from ``player``'s moves in the finished play ``state``:
        True, except where the protocol the game follows keeps a seat's samples out (a
        PasoDoble solver trains only on questions it solves sometimes, not always)."""
        return True

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._spec.params.items())
        return f"<Game {self._spec.id}({args})>"


class State(ABC):
    """A node of the game tree. Mutable: ``apply_action`` moves it forward in place."""

    __slots__ = ("_game", "_history")

    def __init__(self, game: Game) -> None:
        self._game = game
        self._history: list[Step] = []

    # ---- hooks for subclasses -------------------------------------------------------

    @abstractmethod
    def current_player(self) -> int:
        """A seat index, or CHANCE, SIMULTANEOUS or TERMINAL."""

    @abstractmethod
    def _legal_actions(self, player: int) -> list[int]:
        """Legal actions of ``player`` at a decision node where that player moves."""

    @abstractmethod
    def _apply_action(self, action: int) -> None:
        """Apply a legal action (or chance outcome) at a sequential or chance node."""

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        raise RedqueenError(f"{self._game.id} has no simultaneous nodes")

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        raise RedqueenError(f"{self._game.id} has no chance nodes")

    def _is_legal(self, player: int, action: int) -> bool:
        """Whether ``action`` is legal for ``player`` here. Override for an O(1) test."""
        if player == CHANCE:
            return any(a == action for a, _ in self._chance_outcomes())
        return action in self._legal_actions(player)

    @abstractmethod
    def returns(self) -> list[float]:
        """Each seat's total return so far (the final payoffs once terminal)."""

    @abstractmethod
    def information_state_key(self, player: int) -> Hashable:
        """Identical for exactly the states that ``player`` cannot tell apart."""

    @abstractmethod
    def observation_text(self, player: int) -> str:
        """What ``player`` may see now, written for a person or a language model."""

    @abstractmethod
    def _action_text(self, player: int, action: int) -> str:
        """The name of ``action`` when taken by ``player`` (or CHANCE)."""

    def information_state_tensor(self, player: int) -> np.ndarray:
        """A fixed-shape float32 vector or array that encodes ``information_state_key``
        (equal keys give equal tensors), for neural agents and RL libraries. Optional:
        games without one raise."""
        raise RedqueenError(f"{self._game.id} has no tensor view of its information states")

    def invalid_moves(self) -> tuple[int, ...]:
        """Per seat: invalid moves that the game itself judged and handled by its rules
        (text-only games, e.g. TextArena's warn-then-lose rule). Structured games reject an
        illegal action before it reaches the state, so this is all zeros for them."""
        return (0,) * self._game.num_players

    def apply_text_action(self, text: str, player: int | None = None) -> None:
        """Move by text. For structured games: ``parse_action`` then ``apply_action`` (so a
        text that names no legal move raises ``ParseActionError`` and changes nothing).
        Text-only games (``spec.text_actions``) override this and validate the text
        themselves."""
        if self.current_player() == SIMULTANEOUS:
            raise RedqueenError(
                "at a simultaneous node, move with apply_joint_action (parse each seat's "
                "text with parse_action(text, player))"
            )
        self.apply_action(self.parse_action(text, player))

    def __str__(self) -> str:
        """A text of the state for logs: player 0's view unless the game shows more."""
        return self.observation_text(0)

    # ---- public API -----------------------------------------------------------------

    @property
    def game(self) -> Game:
        return self._game

    def is_terminal(self) -> bool:
        return self.current_player() == TERMINAL

    def is_chance_node(self) -> bool:
        return self.current_player() == CHANCE

    def is_simultaneous_node(self) -> bool:
        return self.current_player() == SIMULTANEOUS

    def history(self) -> list[Step]:
        """Every transition since the initial state, chance outcomes included."""
        return list(self._history)

    @property
    def move_number(self) -> int:
        return len(self._history)

    def legal_actions(self, player: int | None = None) -> list[int]:
        """Legal actions of ``player`` (default: the player to move).

        At a chance node, with ``player`` omitted or CHANCE, the chance outcomes. A seat
        that is not to move has no legal actions. At a simultaneous node ``player`` must
        be given.
        """
        current = self.current_player()
        if player is None and current >= 0:  # the common case, answered first
            return self._legal_actions(current)
        if player is not None and player != CHANCE and not 0 <= player < self._game.num_players:
            raise RedqueenError(
                f"no player {player} in {self._game.id}; players are "
                f"0..{self._game.num_players - 1} (or CHANCE={CHANCE})"
            )
        if current == TERMINAL:
            return []
        if player is None:
            if current == SIMULTANEOUS:
                raise RedqueenError(
                    "at a simultaneous node, legal_actions needs a player: one of "
                    f"{list(range(self._game.num_players))}"
                )
            player = current
        if current == CHANCE:
            return [a for a, _ in self._chance_outcomes()] if player == CHANCE else []
        if current == SIMULTANEOUS or player == current:
            return self._legal_actions(player)
        return []

    def chance_outcomes(self) -> list[tuple[int, float]]:
        """``[(outcome, probability), ...]`` at a chance node; empty elsewhere."""
        if self.current_player() != CHANCE:
            return []
        return self._chance_outcomes()

    def apply_action(self, action: int) -> None:
        """Apply ``action`` of the player to move, or a chance outcome at a chance node."""
        player = self.current_player()
        if (
            (player >= 0 or player == CHANCE)
            and type(action) is int
            and self._is_legal(player, action)
        ):  # the common case: a legal move as an int
            self._apply_action(action)
            self._history.append(new_step(Step, (player, action)))
            return
        if player == SIMULTANEOUS:
            raise RedqueenError(
                "this is a simultaneous node: use apply_joint_action with one action per seat"
            )
        if player == TERMINAL:
            raise IllegalActionError(action, player, [], reason="the game is over")
        try:
            if isinstance(action, bool):
                raise TypeError
            action = operator.index(action)
        except TypeError:
            raise IllegalActionError(action, player, self._legal_listing(player)) from None
        if not self._is_legal(player, action):
            raise IllegalActionError(action, player, self._legal_listing(player))
        self._apply_action(action)
        self._history.append(Step(player, action))

    def apply_joint_action(self, actions: Sequence[int]) -> None:
        """Apply one action per seat at a simultaneous node."""
        if self.current_player() != SIMULTANEOUS:
            raise RedqueenError(
                "apply_joint_action is for simultaneous nodes; use apply_action here"
            )
        n = self._game.num_players
        if len(actions) != n:
            raise RedqueenError(f"a joint action needs {n} actions, one per seat; got {actions!r}")
        joint: list[int] = []
        for player, action in enumerate(actions):
            try:
                if isinstance(action, bool):
                    raise TypeError
                a = operator.index(action)
            except TypeError:
                raise IllegalActionError(action, player, self._legal_listing(player)) from None
            if not self._is_legal(player, a):
                raise IllegalActionError(a, player, self._legal_listing(player))
            joint.append(a)
        joint_t = tuple(joint)
        self._apply_joint_action(joint_t)
        self._history.append(Step(SIMULTANEOUS, joint_t))

    def action_text(self, action: int, player: int | None = None) -> str:
        """The name of ``action`` (for ``player``, default the player to move; at a
        simultaneous node the player must be given)."""
        if player is None:
            player = self.current_player()
            if player == SIMULTANEOUS:
                raise RedqueenError(
                    "at a simultaneous node, action_text needs a player: one of "
                    f"{list(range(self._game.num_players))}"
                )
        return self._action_text(player, action)

    def parse_action(self, text: str, player: int | None = None) -> int:
        """The legal action named by ``text``: an exact name, then the name with case and
        whitespace normalised, then a unique prefix of a name, then a bare action id.
        Raises :class:`ParseActionError` listing the legal moves."""
        if player is None:
            player = self.current_player()
        names = [(a, self._action_text(player, a)) for a in self.legal_actions(player)]
        return match_action_text(text, names)

    def clone(self) -> State:
        """An independent copy; changing one never changes the other."""
        return copy.deepcopy(self, memo={id(self._game): self._game})

    def _legal_listing(self, player: int) -> list[tuple[int, str]]:
        return [(a, self._action_text(player, a)) for a in self.legal_actions(player)]


def sample_chance_outcome(state: State, rng: np.random.Generator) -> int:
    """A chance outcome of ``state`` drawn from ``rng`` with the node's probabilities (one
    uniform draw, inverse CDF). Every part of redqueen samples chance this way, so the same
    Generator deals the same cards everywhere."""
    outcomes = state.chance_outcomes()
    if not outcomes:
        raise RedqueenError("sample_chance_outcome needs a chance node")
    u = rng.random() * math.fsum(p for _, p in outcomes)
    acc = 0.0
    for action, p in outcomes:
        acc += p
        if u < acc:
            return action
    return outcomes[-1][0]


def normalise_text(text: str) -> str:
    """Lower case with runs of whitespace collapsed: how move names are compared."""
    return " ".join(text.strip().lower().split())


def match_action_text(text: str, names: Sequence[tuple[int, str]]) -> int:
    """The action whose name ``text`` is: exact, then normalised (case, whitespace), then a
    unique normalised prefix, then a bare id. Raises :class:`ParseActionError`."""
    for a, name in names:
        if name == text:
            return a
    wanted = normalise_text(text)
    for a, name in names:
        if normalise_text(name) == wanted:
            return a
    if wanted:
        prefixed = [a for a, name in names if normalise_text(name).startswith(wanted)]
        if len(prefixed) == 1:
            return prefixed[0]
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        as_id = int(stripped)
        if any(a == as_id for a, _ in names):
            return as_id
    raise ParseActionError(text, list(names))
