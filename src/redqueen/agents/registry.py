"""Agents by name: ``make_agent("minimax", depth=2)`` or ``parse_agent("minimax:depth=2")``.

The string form is what the command line and recipes use: a registered kind, optionally
followed by ``:`` and comma-separated ``key=value`` parameters. Values are read as JSON
scalars (numbers, true/false, null) and otherwise kept as strings; nothing is evaluated.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from typing import Any

from redqueen.agents.core import Agent, AgentSpec
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError

AgentFactory = Callable[..., Agent]

_REGISTRY: dict[str, str | AgentFactory] = {
    "random": "redqueen.agents.random_agent:RandomAgent",
    "first": "redqueen.agents.random_agent:FirstLegalAgent",
    "minimax": "redqueen.agents.minimax:MinimaxAgent",
    "human": "redqueen.agents.human:HumanAgent",
    # "policy" (redqueen.solve.policy) and "ppo" (redqueen.learn.ppo) are registered by
    # redqueen/__init__.py, so that this layer never names the layers to its right.
    # classic strategies
    "strategy": "redqueen.agents.strategies:make_strategy",
    "glee": "redqueen.agents.glee_strategies:GleeAgent",
    # LLM players
    "llm": "redqueen.agents.llm.agent:LLMAgent",
    "llm_predict_first": "redqueen.agents.llm.beliefs:PredictFirstLLMAgent",
    # hidden roles and teamwork (redqueen.games.hidden)
    "spy_truthful": "redqueen.agents.hidden.spy:TruthfulPlayer",
    "spy_blending": "redqueen.agents.hidden.spy:BlendingSpy",
    "spy_random": "redqueen.agents.hidden.spy:RandomSpyPlayer",
    "werewolf": "redqueen.agents.hidden.werewolf:WerewolfAgent",
    "llm_werewolf_guess": "redqueen.agents.hidden.werewolf:RoleGuessLLMAgent",
    "hanabi_rules": "redqueen.agents.hidden.hanabi:HanabiRuleAgent",
    "overcooked_greedy": "redqueen.agents.hidden.overcooked:GreedyAgent",
    "overcooked_random": "redqueen.agents.hidden.overcooked:RandomAgent",
    "overcooked_stay": "redqueen.agents.hidden.overcooked:StayAgent",
    "proagent": "redqueen.agents.hidden.overcooked:ProAgentLLM",
    # the body-reservoir agent of the continuous prisoner's dilemma
    "echo_state": "redqueen.agents.reservoir:EchoStateAgent",
    # the tax economy (redqueen.games.tax_economy)
    "tax_best_response": "redqueen.agents.tax:TaxBestResponseWorker",
    "tax_target_planner": "redqueen.agents.tax:TaxTargetPlanner",
    # the scripted writer of preference_text (redqueen.games.roles.preference_text)
    "preference_writer": "redqueen.agents.roles.preference_text:PreferenceWriter",
}


def register_agent(kind: str, factory: AgentFactory | str) -> None:
    """Register ``factory`` (a callable taking keyword parameters, or a
    ``"module:attribute"`` string imported on first use) under ``kind``."""
    if kind in _REGISTRY:
        raise RedqueenError(f"an agent kind is already registered as {kind!r}")
    _REGISTRY[kind] = factory


def agent_kinds() -> list[str]:
    """Every registered agent kind, sorted."""
    return sorted(_REGISTRY)


def _factory(kind: str) -> AgentFactory:
    if kind not in _REGISTRY:
        raise UnknownNameError("agent", kind, _REGISTRY)
    target = _REGISTRY[kind]
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    factory: AgentFactory = getattr(importlib.import_module(module), attr)
    return factory


def make_agent(kind: str, **params: Any) -> Agent:
    """Build the agent registered as ``kind`` with ``params``."""
    factory = _factory(kind)
    sig = inspect.signature(factory)
    allowed = [
        n for n, p in sig.parameters.items() if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for name in params:
        if name not in allowed:
            raise UnknownNameError(f"parameter of agent {kind!r}", name, allowed)
    return factory(**params)


def agent_from_spec(spec: AgentSpec) -> Agent:
    return make_agent(spec.kind, **spec.params)


def parse_agent_spec(text: str) -> AgentSpec:
    """``"minimax:depth=2,heuristic=none"`` -> ``AgentSpec("minimax", {...})``."""
    kind, _, rest = text.strip().partition(":")
    if not kind:
        raise InvalidParameterError(f"empty agent name in {text!r}; allowed: {agent_kinds()}")
    if kind not in _REGISTRY:
        raise UnknownNameError("agent", kind, _REGISTRY)
    params: dict[str, Any] = {}
    if rest.strip():
        for item in rest.split(","):
            key, eq, raw = item.partition("=")
            if not eq or not key.strip():
                raise InvalidParameterError(
                    f"agent parameter {item!r} in {text!r} is not key=value"
                )
            params[key.strip()] = _scalar(raw.strip())
    return AgentSpec(kind, params)


def parse_agent(text: str) -> Agent:
    return agent_from_spec(parse_agent_spec(text))


def _scalar(raw: str) -> Any:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        return raw
    return value if isinstance(value, int | float | bool | str) or value is None else raw
