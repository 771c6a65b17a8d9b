"""A person at the terminal: shows the view and the legal moves, reads a move.

Input is matched against the legal moves by name (exact, then case- and
whitespace-insensitive, then a unique prefix), by ``#k`` for the k-th move in the printed
list, or by a bare action id; anything else gets a message naming the legal moves and a
new prompt. In text-only games (no listed moves) the text is sent to the game as it is.
``?`` reprints the view; ``quit`` (or end of input) stops the game with :class:`HumanQuit`.
"""

from __future__ import annotations

from collections.abc import Callable

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import ParseActionError, RedqueenError


class HumanQuit(RedqueenError):
    """The person asked to stop."""


class HumanAgent(Agent):
    """Asks a person for every move."""

    name = "human"

    def __init__(
        self,
        *,
        input_fn: Callable[[str], str] = input,
        output_fn: Callable[[str], None] = print,
    ) -> None:
        self._input = input_fn
        self._output = output_fn

    def spec(self) -> AgentSpec:
        return AgentSpec("human")

    def act(self, obs: Observation) -> int | str:
        self._show(obs)
        while True:
            try:
                text = self._input("your move> ")
            except EOFError:
                raise HumanQuit("input ended") from None
            text = text.strip()
            if text.lower() in ("quit", "exit", "q"):
                raise HumanQuit("quit at the prompt")
            if text in ("?", "help"):
                self._show(obs)
                continue
            if obs.game.spec.text_actions:
                if text:
                    return text
                continue
            if text.startswith("#") and text[1:].isdigit():
                i = int(text[1:])
                if 1 <= i <= len(obs.legal_actions):
                    return obs.legal_actions[i - 1]
                self._output(f"there is no move #{i}; choose #1 to #{len(obs.legal_actions)}")
                continue
            try:
                return obs.parse(text)
            except ParseActionError as err:
                self._output(
                    f"{err}. Type a move's name or #number, ? to see the board, quit to stop."
                )

    def _show(self, obs: Observation) -> None:
        self._output("")
        self._output(obs.text)
        if obs.game.spec.text_actions:
            self._output("type your move as text (the game says what it accepts)")
            return
        moves = "  ".join(f"#{i}: {name}" for i, name in enumerate(obs.legal_action_texts, start=1))
        self._output(f"legal moves: {moves}")
