"""A person at the terminal: shows the view and the legal moves, reads a move.

The legal moves are printed as a numbered list (``#1: a1  #2: b1 ...``) and there is one
numbering: a number, with or without ``#``, picks that entry of the list, never an
action id. Anything else is read as a move's name (``Observation.parse``: exact, then
case- and whitespace-insensitive, then a unique prefix; where the observation carries the
state, the game's own ``parse_action``, which may accept more words, such as ``check`` in
poker); in a game whose move names are numbers (``3``) a bare number is a name, and the
hint says so. Anything that names no legal move gets a message naming the legal moves
and a new prompt. In text-only games (no listed moves) the text is sent to the game as
it is. ``?`` shows the game again; ``quit`` (or end of input) stops the game with
:class:`HumanQuit`.

The person is told what the other seats did: :meth:`HumanAgent.watch` wraps an opponent
so that each of its moves is announced at the person's next turn (or by
:meth:`HumanAgent.announce_pending` once the game is over). In a game with simultaneous
moves an opponent's move is held back until the person has chosen their own move of that
round, so the announcement never tells what the person could not have seen. In games with
secret moves (``Game.moves_are_public`` False: werewolf, secret ballots) nothing is
announced; the game's own view says what the person may know.
"""

from __future__ import annotations

import operator
from collections.abc import Callable

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import ParseActionError, RedqueenError
from redqueen.games.core import Dynamics, Game, normalise_text


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
        self._news: list[tuple[int, str]] = []
        """Announcements not yet shown: (the mover's decision number, the text)."""

    def spec(self) -> AgentSpec:
        return AgentSpec("human")

    def reset(self) -> None:
        self._news.clear()

    # ---- the other seats' moves -------------------------------------------------------

    def watch(self, agent: Agent, seat: int) -> Agent:
        """``agent`` playing ``seat``, wrapped so that this person is told its moves."""
        return _Watched(agent, seat, self)

    def note_move(self, decision: int, text: str) -> None:
        """Announce ``text`` at the next turn; ``decision`` is the mover's own decision
        number this game (0 for its first), which holds back simultaneous moves."""
        self._news.append((decision, text))

    def announce_pending(self) -> None:
        """Show every announcement not yet shown (at the end of a game)."""
        for _, text in self._news:
            self._output(text)
        self._news.clear()

    def _announce(self, obs: Observation) -> None:
        # simultaneous moves: only rounds the person has already played
        held = obs.game.spec.dynamics == Dynamics.SIMULTANEOUS
        mine = len(obs.history)
        shown = [n for n in self._news if not held or n[0] < mine]
        self._news = [n for n in self._news if held and n[0] >= mine]
        for _, text in shown:
            self._output(text)

    # ---- the person's moves -----------------------------------------------------------

    def act(self, obs: Observation) -> int | str:
        self._announce(obs)
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
            action = self._read(obs, text)
            if action is not None:
                return action

    def _read(self, obs: Observation, text: str) -> int | None:
        """The legal action ``text`` picks, or None after saying why there is none."""
        count = len(obs.legal_actions)
        number = text.removeprefix("#")
        if number.isdigit():
            if text == number and _named_by_numbers(obs):
                # a bare number is a move's name here, never a place in the list
                names = list(zip(obs.legal_actions, obs.legal_action_texts, strict=True))
                for action, name in names:
                    if normalise_text(name) == number:
                        return action
                self._output(f"{ParseActionError(text, names)}. {_hint(obs)}")
                return None
            i = int(number)
            if 1 <= i <= count:
                return obs.legal_actions[i - 1]
            self._output(f"there is no move #{i} in the list; choose 1 to {count}")
            return None
        try:
            return obs.parse(text)
        except ParseActionError as err:
            self._output(f"{err}. {_hint(obs)}")
            return None

    def _show(self, obs: Observation) -> None:
        self._output("")
        self._output(obs.text)
        if obs.game.spec.text_actions:
            from redqueen.agents.llm.prompts import bracketed_moves

            offered = bracketed_moves(obs.text)
            last = f"; the last moves it offered: {', '.join(offered)}" if offered else ""
            self._output(
                f"type your move as text (the game says what it accepts{last}); ? shows the "
                "game again, quit stops"
            )
            return
        moves = "  ".join(f"#{i}: {name}" for i, name in enumerate(obs.legal_action_texts, start=1))
        self._output(f"legal moves: {moves}")
        self._output(_hint(obs))


def _named_by_numbers(obs: Observation) -> bool:
    """Whether some legal move's name is itself a number (then a bare number is a name)."""
    return any(normalise_text(name).isdigit() for name in obs.legal_action_texts)


def _hint(obs: Observation) -> str:
    count = len(obs.legal_actions)
    if _named_by_numbers(obs):
        pick = f"#1 to #{count} for an entry of the list (a bare number is a move's name here)"
    else:
        pick = f"its number in the list (1 to {count}, or #1 to #{count})"
    return f"Type a move's name or {pick}; ? shows the game again, quit stops."


class _Watched(Agent):
    """An opponent whose every move is announced to a person (see ``HumanAgent.watch``)."""

    def __init__(self, agent: Agent, seat: int, person: HumanAgent) -> None:
        self.agent = agent
        self.seat = seat
        self.person = person
        self.name = agent.name
        self.prefers_async = bool(getattr(agent, "prefers_async", False))

    def spec(self) -> AgentSpec:
        return self.agent.spec()

    def check_game(self, game: Game) -> None:
        self.agent.check_game(game)

    def reset(self) -> None:
        self.agent.reset()

    def act(self, obs: Observation) -> int | str:
        answer = self.agent.act(obs)
        self._note(obs, answer)
        return answer

    async def aact(self, obs: Observation) -> int | str:
        answer = await self.agent.aact(obs)
        self._note(obs, answer)
        return answer

    def _note(self, obs: Observation, answer: object) -> None:
        if not obs.game.moves_are_public:
            return  # the person learns what the game's view tells them, nothing more
        who = f"player {self.seat} ({self.agent.spec().label()})"
        self.person.note_move(len(obs.history), f"{who} played: {_move_text(obs, answer)}")


def _move_text(obs: Observation, answer: object) -> str:
    """How the game writes the move ``answer`` of ``obs``'s player."""
    if getattr(answer, "forfeit", False):
        return "(forfeits the game)"
    if isinstance(answer, str):
        if obs.game.spec.text_actions:
            return answer
        try:
            action = obs.parse(answer)
        except ParseActionError:
            return f"{answer!r}, not a legal move (a random legal move is played instead)"
    else:
        try:
            action = operator.index(answer)  # type: ignore[arg-type]
        except TypeError:
            return f"{answer!r}, not a legal move (a random legal move is played instead)"
    if action not in obs.legal_actions:
        return f"{action}, not a legal move (a random legal move is played instead)"
    return obs.legal_action_texts[obs.legal_actions.index(action)]
