"""Agents: the contract, baseline agents and the agent registry."""

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.random_agent import FirstLegalAgent, RandomAgent
from redqueen.agents.registry import (
    agent_from_spec,
    agent_kinds,
    make_agent,
    parse_agent,
    parse_agent_spec,
    register_agent,
)

__all__ = [
    "Agent",
    "AgentSpec",
    "FirstLegalAgent",
    "Observation",
    "RandomAgent",
    "agent_from_spec",
    "agent_kinds",
    "make_agent",
    "parse_agent",
    "parse_agent_spec",
    "register_agent",
]
