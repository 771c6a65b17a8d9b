"""LLM players: any OpenAI-compatible model (or a local transformers model) plays any
registered game through its text view. See :mod:`redqueen.agents.llm.agent` for how to
use :class:`LLMAgent`, and :mod:`redqueen.agents.llm.test_server` for the scripted test
server that stands in for a model in tests, CI and demos."""

from redqueen.agents.llm.agent import LLMAgent, LLMMove
from redqueen.agents.llm.backends import (
    Backend,
    BackendConfigError,
    BackendError,
    Completion,
    OpenAIBackend,
    TransformersBackend,
)
from redqueen.agents.llm.context import current_match, recording
from redqueen.agents.llm.parsing import ParsedReply, extract_answer, parse_reply

__all__ = [
    "Backend",
    "BackendConfigError",
    "BackendError",
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
