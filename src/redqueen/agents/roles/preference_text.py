"""A scripted writer for ``preference_text`` (:mod:`redqueen.games.roles.preference_text`).

:class:`PreferenceWriter` always answers in one style of :data:`STYLES` (short, medium or
long, with or without the brief's words): in the menu variant with that style's action
id, in the text variant with that style's text (the game's menu, which
:func:`~redqueen.games.roles.preference_text.written_response` makes of the prompt). So
the same writer plays both variants to the same payoffs, and a line-up of writers of
every style is a fixed field of opponents for an LLM's free text.
"""

from __future__ import annotations

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import Game, match_action_text
from redqueen.games.roles.preference_text import (
    STYLES,
    PreferenceTextGame,
    PreferenceTextView,
)


class PreferenceWriter(Agent):
    """Always writes the response of ``style`` (a name from ``STYLES``, or its id)."""

    name = "preference_writer"

    def __init__(self, style: str | int = "short with the words") -> None:
        try:
            self.style = match_action_text(str(style), list(enumerate(STYLES)))
        except RedqueenError:
            raise InvalidParameterError(
                f"unknown style {style!r}; allowed: {', '.join(STYLES)} (or their ids)"
            ) from None

    def check_game(self, game: Game) -> None:
        if not isinstance(game, PreferenceTextGame):
            raise RedqueenError(
                f"agent {self.spec().label()!r} plays preference_text only, not {game.id}"
            )

    def act(self, obs: Observation) -> int | str:
        game, view = obs.game, obs.information_state_key
        assert isinstance(game, PreferenceTextGame)
        if not isinstance(view, PreferenceTextView) or view.prompt is None:
            raise RedqueenError(f"agent {self.spec().label()!r} was asked to move off turn")
        if not game.text_moves:
            return self.style
        return game.menu[view.prompt][self.style]

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"style": STYLES[self.style]})
