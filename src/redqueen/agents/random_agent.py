"""The uniform random agent: the baseline every other agent is measured against."""

from __future__ import annotations

from redqueen.agents.core import Agent, AgentSpec, Observation


class RandomAgent(Agent):
    """Plays a legal action uniformly at random, drawn from the observation's Generator."""

    name = "random"

    def act(self, obs: Observation) -> int:
        return obs.legal_actions[int(obs.rng.integers(len(obs.legal_actions)))]

    def spec(self) -> AgentSpec:
        return AgentSpec("random")


class FirstLegalAgent(Agent):
    """Always plays the lowest-numbered legal action: deterministic, for tests and baselines."""

    name = "first"

    def act(self, obs: Observation) -> int:
        return obs.legal_actions[0]

    def spec(self) -> AgentSpec:
        return AgentSpec("first")
