"""redqueen: agents get better, and are measured, by playing games."""

from redqueen.agents.llm.context import set_cache_file_opener
from redqueen.agents.registry import register_agent
from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games import make, registered
from redqueen.games.registry import register_namespace

# Parts that live in layers to the right of games and agents register themselves here, so
# that the left-hand layers never name them (they are imported on first use).
register_namespace("openspiel", "redqueen.adapters.openspiel:openspiel_game")
register_namespace("textarena", "redqueen.adapters.textarena:textarena_game")
register_agent("policy", "redqueen.solve.policy:PolicyAgent")
register_agent("ppo", "redqueen.learn.ppo:PPOAgent")


def _open_llm_cache(path: object) -> object:
    from redqueen.store.llm_cache import LLMStore  # imported when an agent asks for it

    return LLMStore(path)  # type: ignore[arg-type]


set_cache_file_opener(_open_llm_cache)

__version__ = "0.1.0"

__all__ = [
    "IllegalActionError",
    "InvalidParameterError",
    "ParseActionError",
    "RedqueenError",
    "UnknownNameError",
    "__version__",
    "make",
    "registered",
]
