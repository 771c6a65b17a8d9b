"""Which match an LLM call belongs to, without the agent knowing how it is scheduled.

An agent may play many matches at once (one asyncio task each), so it cannot keep "the
current match" itself. The runner enters :func:`recording` around each match; asyncio
copies the context into the match's task, and every call the agent makes inside reads
:func:`current_match` to learn the match key, the names of the seats and where to write
its transcript and cache entries.

The sink is anything with the methods of :class:`CallSink` (the run store's
:class:`~redqueen.store.llm_cache.LLMStore` is one), so this module needs nothing from the
store layer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Protocol


class CallSink(Protocol):
    """Where calls go: a response cache and a transcript log."""

    def get(self, key: str) -> Any: ...

    def put(
        self, key: str, model: str, reply: str, input_tokens: int, output_tokens: int
    ) -> None: ...

    def record_call(self, record: Any) -> None: ...

    def supersede(self, match_key: str) -> None: ...


@dataclass
class MatchCalls:
    """The match being played in this task, and a call counter per seat."""

    match_key: str | None
    sink: CallSink | None = None
    seat_names: Sequence[str] = ()
    counters: dict[int, int] = field(default_factory=dict)

    def next_call(self, seat: int) -> int:
        n = self.counters.get(seat, 0)
        self.counters[seat] = n + 1
        return n

    def seat_name(self, seat: int) -> str | None:
        return self.seat_names[seat] if 0 <= seat < len(self.seat_names) else None


_CURRENT: ContextVar[MatchCalls | None] = ContextVar("redqueen_llm_match", default=None)


def current_match() -> MatchCalls | None:
    """The match entered with :func:`recording` in this context, if any."""
    return _CURRENT.get()


@contextmanager
def recording(
    match_key: str, sink: CallSink | None = None, seat_names: Sequence[str] = ()
) -> Iterator[MatchCalls]:
    """Attribute the LLM calls made inside to ``match_key`` (and write them to ``sink``).
    Calls stored for the same key by an earlier, failed attempt are marked superseded."""
    if sink is not None:
        sink.supersede(match_key)
    calls = MatchCalls(match_key, sink, tuple(seat_names))
    token = _CURRENT.set(calls)
    try:
        yield calls
    finally:
        _CURRENT.reset(token)


_CACHE_FILE_OPENER: list[Any] = []


def set_cache_file_opener(opener: Any) -> None:
    """Called once by ``redqueen/__init__.py`` with the store layer's ``LLMStore``: how an
    agent opens its own cache file (its ``cache`` parameter) without importing the store."""
    _CACHE_FILE_OPENER[:] = [opener]


def open_cache_file(path: Any) -> CallSink:
    """A :class:`CallSink` on the SQLite file at ``path``. The opener is registered by
    ``redqueen/__init__.py``, which Python runs before any module of the package."""
    if not _CACHE_FILE_OPENER:
        raise RuntimeError("no LLM cache opener is registered; import redqueen first")
    opener: Any = _CACHE_FILE_OPENER[0]
    sink: CallSink = opener(path)
    return sink
