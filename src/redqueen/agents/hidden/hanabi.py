"""A rule-based Hanabi player: play what is known to be playable, hint what the partner
can play, else discard.

The baseline the ``hanabi_mars_eval`` recipe sets beside uniform random play (redqueen's
``random`` agent) and LLM players on MARS's Hanabi presets (:mod:`redqueen.games.hidden.hanabi`).
It reads only what its seat sees (OpenSpiel's observation string, the information-state
key), one rule after the other:

1. **Play** the oldest own card that is known to be playable: every colour and rank the
   hints leave possible for it extends its firework.
2. Else, if an information token is left, **hint** the partner's oldest card that is
   playable now and that the partner does not yet know to be playable: its rank if the
   rank is not revealed yet, else its colour.
3. Else **discard** the oldest own card that no hint has touched (the oldest card when
   every card was hinted).
4. Discarding is not allowed while the information tokens are full; then the first legal
   hint is given.

Hand positions count from 0, oldest first (a drawn card joins the end of the hand). The
player is deterministic and keeps no memory between moves. It is a sketch of the simple
"hint-and-play" heuristics of the Hanabi literature (e.g. the rule-based agents of the
Hanabi Learning Environment, Bard et al. 2020), not a reproduction of any one of them.
"""

from __future__ import annotations

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import RedqueenError
from redqueen.games.core import Game
from redqueen.games.hidden.hanabi import HanabiGame, HanabiView, read_observation


class HanabiRuleAgent(Agent):
    """Play a card known to be playable; else hint a playable card of the partner; else
    discard the oldest unhinted card (see the module docstring)."""

    name = "hanabi_rules"

    def check_game(self, game: Game) -> None:
        if not isinstance(game, HanabiGame):
            raise RedqueenError(f"{self.name} plays hanabi only; got {game.id}")

    def act(self, obs: Observation) -> int:
        game = obs.game
        assert isinstance(game, HanabiGame)
        view = read_observation(str(obs.information_state_key))
        names = {name: a for a, name in enumerate(game.action_names)}
        for choice in (self._play(view), self._hint(view), self._discard(view)):
            if choice is not None and names[choice] in obs.legal_actions:
                return names[choice]
        hints = [a for a in obs.legal_actions if game.action_names[a].startswith("<Reveal")]
        return hints[0] if hints else obs.legal_actions[0]

    @staticmethod
    def _play(view: HanabiView) -> str | None:
        for i, knowledge in enumerate(view.own):
            if view.known_playable(knowledge):
                return f"<Play card {i}>"
        return None

    @staticmethod
    def _hint(view: HanabiView) -> str | None:
        if view.info_tokens == 0:
            return None
        for card, knowledge in zip(view.other_cards, view.other_knowledge, strict=True):
            if not view.playable(card) or view.known_playable(knowledge):
                continue
            if knowledge.revealed_rank is None:
                return f"<Reveal player +1 rank {card[1:]}>"
            return f"<Reveal player +1 color {card[0]}>"
        return None

    @staticmethod
    def _discard(view: HanabiView) -> str | None:
        if not view.own:
            return None
        unhinted = [i for i, k in enumerate(view.own) if not k.hinted]
        return f"<Discard card {unhinted[0] if unhinted else 0}>"

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name)
