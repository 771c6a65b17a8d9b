"""One LLM call as data: its cache key, its cost, and its record in a transcript.

Pure values and functions, kept in the agents layer so that an LLM agent can key, price
and describe its calls without importing the store; the run store's
:class:`~redqueen.store.llm_cache.LLMStore` keeps them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DEFAULT_PRICES: dict[str, tuple[float, float]] = {}
"""Model name -> (dollars per 1M input tokens, dollars per 1M output tokens). Empty on
purpose: prices change; give them per agent (``prices``) or add them here at run time. A
model with no price costs 0 and its tokens are still counted."""


def cache_key(model: str, params: Mapping[str, Any], messages: Sequence[Mapping[str, str]]) -> str:
    """sha256 of the canonical JSON of model, parameters and messages."""
    text = json.dumps(
        {"model": model, "params": dict(params), "messages": [dict(m) for m in messages]},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def call_cost(
    model: str,
    input_tokens: int,
    output_tokens: int,
    prices: Mapping[str, Sequence[float]] | None = None,
) -> float:
    """Dollars for one call from a price table (per 1M tokens); 0 for unpriced models."""
    table: Mapping[str, Sequence[float]] = prices if prices is not None else DEFAULT_PRICES
    price = table.get(model)
    if price is None:
        return 0.0
    return (input_tokens * float(price[0]) + output_tokens * float(price[1])) / 1e6


@dataclass(frozen=True)
class CachedReply:
    reply: str
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class CallRecord:
    """One call as stored in ``llm_calls``."""

    match_key: str | None
    seat: int | None
    call: int
    agent: str
    model: str
    messages: list[dict[str, str]]
    reply: str
    action: int | None
    input_tokens: int
    output_tokens: int
    latency: float
    cost: float
    cached: bool
