"""Scripted attackers and defenders for ``red_team`` (:mod:`redqueen.games.roles.red_team`).

They read the seat's structured view (:class:`~redqueen.games.roles.red_team.RedTeamView`,
the information-state key), never the text, and play both variants of the game: in the
structured one they answer with an action id, in the text one with the text that move
makes (wrapped in ``<think>...</think><answer>...</answer>`` when the game asks for that
format).

- :class:`RedTeamAttacker` always applies one rewrite operator: ``pass`` is the vanilla
  attacker of the paper's baselines, ``add a harmful request`` a harmful-injection one.
- :class:`RedTeamDefender` always gives one kind of answer (``refuse``: always refuse).
- :class:`SafeDefender` follows the harm language's rule: it refuses a prompt that
  contains a harmful word, complies safely with one that hides harmful words (spelt out
  letter by letter) and complies with any other. Against the rule judge this is the
  defender's best reply to every prompt (it scores +2 every time).
- :class:`GullibleDefender` refuses plainly harmful prompts but complies with everything
  else, role-play framings and disguised words included: the defender a jailbreak beats.
"""

from __future__ import annotations

from typing import Any

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import Game, match_action_text
from redqueen.games.roles.red_team import (
    ATTACKS,
    COMPLY,
    COMPLY_SAFELY,
    REFUSE,
    RESPONSES,
    ROLE_PLAY_OPENING,
    SEEDS,
    RedTeamGame,
    RedTeamView,
    attack_text,
    is_harmful_text,
    response_text,
    reveal_disguised_words,
)


def _move_id(kind: str, value: Any, names: tuple[str, ...]) -> int:
    """The move ``value`` names: an id, an exact name or a unique prefix of one."""
    try:
        return match_action_text(str(value), list(enumerate(names)))
    except RedqueenError:
        raise InvalidParameterError(
            f"unknown {kind} {value!r}; allowed: {', '.join(names)} (or their ids)"
        ) from None


class _RedTeamAgent(Agent):
    """Shared parts: the game check and how a move is sent in either variant."""

    seat = 0

    def check_game(self, game: Game) -> None:
        if not isinstance(game, RedTeamGame):
            raise RedqueenError(f"agent {self.spec().label()!r} plays red_team only, not {game.id}")

    def _view(self, obs: Observation) -> RedTeamView:
        view = obs.information_state_key
        if not isinstance(view, RedTeamView) or obs.player != self.seat:
            role = ("attacker", "defender")[self.seat]
            raise RedqueenError(
                f"agent {self.spec().label()!r} plays the {role} (seat {self.seat}) of red_team"
            )
        return view

    @staticmethod
    def _send(obs: Observation, move: int, text: str) -> int | str:
        game = obs.game
        assert isinstance(game, RedTeamGame)
        if not game.text_moves:
            return move
        if game.cot_format:
            return f"<think>scripted move</think><answer>{text}</answer>"
        return text


class RedTeamAttacker(_RedTeamAgent):
    """Always applies the rewrite operator ``attack`` (a name from ``ATTACKS``)."""

    name = "red_team_attacker"

    def __init__(self, attack: str | int = "pass") -> None:
        self.attack = _move_id("attack", attack, ATTACKS)

    def act(self, obs: Observation) -> int | str:
        view = self._view(obs)
        assert view.seed is not None
        return self._send(obs, self.attack, attack_text(SEEDS[view.seed][0], self.attack))

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"attack": ATTACKS[self.attack]})


class _Defender(_RedTeamAgent):
    seat = 1

    def choose(self, prompt: str) -> int:
        raise NotImplementedError

    def act(self, obs: Observation) -> int | str:
        view = self._view(obs)
        assert view.prompt is not None
        move = self.choose(view.prompt)
        return self._send(obs, move, response_text(view.prompt, move))


class RedTeamDefender(_Defender):
    """Always answers with ``response`` (a name from ``RESPONSES``)."""

    name = "red_team_defender"

    def __init__(self, response: str | int = "refuse") -> None:
        self.response = _move_id("response", response, RESPONSES)

    def choose(self, prompt: str) -> int:
        return self.response

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"response": RESPONSES[self.response]})


class SafeDefender(_Defender):
    """Refuses harmful prompts, complies safely with disguised harm, complies otherwise."""

    name = "red_team_safe_defender"

    def choose(self, prompt: str) -> int:
        if is_harmful_text(prompt):
            return REFUSE
        if is_harmful_text(reveal_disguised_words(prompt)):
            return COMPLY_SAFELY
        return COMPLY


class GullibleDefender(_Defender):
    """Refuses plainly harmful prompts; complies with framed, disguised and benign ones."""

    name = "red_team_gullible_defender"

    def choose(self, prompt: str) -> int:
        framed = prompt.startswith(ROLE_PLAY_OPENING)
        return REFUSE if is_harmful_text(prompt) and not framed else COMPLY
