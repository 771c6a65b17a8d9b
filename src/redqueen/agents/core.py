"""The Agent contract: every player, scripted, learned, evolved or an LLM, is an Agent.

An agent sees an :class:`Observation` (its seat, the legal actions as ids and text, the
text view, the information-state key, its own earlier decisions this episode, and a
Generator for any randomness it needs) and returns one action id. ``aact`` is the async
form for agents that wait on I/O; by default it calls ``act``.

Agents never know how they are scheduled. An agent is a value: ``spec()`` describes it
well enough for :func:`redqueen.agents.make_agent` to build it again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from redqueen.games.core import Game, State, match_action_text

if TYPE_CHECKING:  # numpy appears in annotations only; the command line starts without it
    import numpy as np


@dataclass(frozen=True)
class Observation:
    """What one seat knows when it must move."""

    game: Game
    player: int
    legal_actions: tuple[int, ...]
    legal_action_texts: tuple[str, ...]
    text: str
    information_state_key: Hashable
    history: tuple[tuple[str, int | str], ...]
    """This seat's earlier decisions this episode: (observation text, action taken; text in
    text-only games)."""
    rng: np.random.Generator = field(repr=False, compare=False)
    state: State | None = field(default=None, repr=False, compare=False)
    """A copy of the state, given only in perfect-information games (for search agents)."""
    parser: Callable[[str], int] | None = field(default=None, repr=False, compare=False)
    """The game's own reader of this seat's replies (``State.parse_action``), given in every
    game: it returns a legal action id, so it reveals nothing hidden, and it knows the
    words the game's view uses (``check`` in poker)."""

    def parse(self, text: str) -> int:
        """The legal action that ``text`` names (see ``State.parse_action``)."""
        if self.state is not None:
            return self.state.parse_action(text, self.player)
        if self.parser is not None:
            return self.parser(text)
        names = list(zip(self.legal_actions, self.legal_action_texts, strict=True))
        return match_action_text(text, names)


@dataclass(frozen=True)
class AgentSpec:
    """Enough to rebuild an agent: its registered kind and parameters."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def label(self) -> str:
        if not self.params:
            return self.kind
        args = ",".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.kind}:{args}"


class Agent(ABC):
    """Chooses an action from an observation."""

    name: str = "agent"
    reads_text: ClassVar[bool] = True
    """Whether ``act`` reads the text views (``obs.text``, ``obs.legal_action_texts`` and the
    texts in ``obs.history``). An agent that chooses from ids, keys and tensors alone sets
    it False, and matches then skip building those views for its seat on every move (its
    observations carry ``text=""`` and no action texts); results are unchanged."""

    @abstractmethod
    def act(self, obs: Observation) -> int | str:
        """Return one of ``obs.legal_actions`` (or text naming one; in text-only games,
        where ``obs.legal_actions`` is empty, the move as text)."""

    async def aact(self, obs: Observation) -> int | str:
        """Async form of ``act``, for agents that wait on I/O."""
        return self.act(obs)

    def check_game(self, game: Game) -> None:  # noqa: B027 - optional hook
        """Raise :class:`~redqueen.errors.RedqueenError` saying why, if this agent cannot
        play ``game`` (a search agent on an imperfect-information game, say). Matches and
        recipes call it before the first move."""

    def reset(self) -> None:  # noqa: B027 - optional hook
        """Called before each episode; stateful agents clear their memory here."""

    def spec(self) -> AgentSpec:
        """A description from which ``make_agent`` rebuilds this agent."""
        return AgentSpec(self.name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec().label()}>"
