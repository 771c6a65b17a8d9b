"""LLM players: any OpenAI-compatible model (or a local transformers model) plays any
registered game through its text view. See :mod:`redqueen.agents.llm.agent` for how to
use :class:`LLMAgent`, and :mod:`redqueen.agents.llm.test_server` for the scripted test
server that stands in for a model in tests, CI and demos."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from redqueen.agents.llm.agent import LLMAgent, LLMMove
    from redqueen.agents.llm.backends import (
        Backend,
        BackendConfigError,
        BackendError,
        BackendUnavailableError,
        Completion,
        OpenAIBackend,
        TransformersBackend,
    )
    from redqueen.agents.llm.context import current_match, recording
    from redqueen.agents.llm.parsing import ParsedReply, extract_answer, parse_reply

# Each name is imported when first used, so that ``import redqueen`` (which registers the
# cache opener through :mod:`redqueen.agents.llm.context`) does not load the LLM players.
_WHERE = {
    "LLMAgent": "agent",
    "LLMMove": "agent",
    "Backend": "backends",
    "BackendConfigError": "backends",
    "BackendError": "backends",
    "BackendUnavailableError": "backends",
    "Completion": "backends",
    "OpenAIBackend": "backends",
    "TransformersBackend": "backends",
    "current_match": "context",
    "recording": "context",
    "ParsedReply": "parsing",
    "extract_answer": "parsing",
    "parse_reply": "parsing",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_WHERE[name]}"), name)


__all__ = [
    "Backend",
    "BackendConfigError",
    "BackendError",
    "BackendUnavailableError",
    "Completion",
    "LLMAgent",
    "LLMMove",
    "OpenAIBackend",
    "ParsedReply",
    "TransformersBackend",
    "current_match",
    "extract_answer",
    "parse_reply",
    "recording",
]
