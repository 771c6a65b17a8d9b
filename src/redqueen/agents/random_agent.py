"""The uniform random agent: the baseline every other agent is measured against."""

from __future__ import annotations

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import RedqueenError
from redqueen.games.core import Game


def require_structured_actions(agent: Agent, game: Game) -> None:
    """Agents that choose among action ids cannot play text-only games."""
    if game.spec.text_actions:
        raise RedqueenError(
            f"agent {agent.spec().label()!r} chooses among legal action ids, but "
            f"{game.id} is a text-only game (moves are free text): use an agent that "
            "answers with text, such as an LLM agent or `human`"
        )


class RandomAgent(Agent):
    """Plays a legal action uniformly at random, drawn from the observation's Generator."""

    name = "random"
    reads_text = False

    def check_game(self, game: Game) -> None:
        require_structured_actions(self, game)

    def act(self, obs: Observation) -> int:
        return obs.legal_actions[int(obs.rng.integers(len(obs.legal_actions)))]

    def spec(self) -> AgentSpec:
        return AgentSpec("random")


class FirstLegalAgent(Agent):
    """Always plays the lowest-numbered legal action: deterministic, for tests and baselines."""

    name = "first"
    reads_text = False

    def check_game(self, game: Game) -> None:
        require_structured_actions(self, game)

    def act(self, obs: Observation) -> int:
        return obs.legal_actions[0]

    def spec(self) -> AgentSpec:
        return AgentSpec("first")
