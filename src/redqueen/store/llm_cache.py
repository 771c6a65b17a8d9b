"""LLM calls in the run store: the response cache, the transcripts, tokens and cost.

Two tables, beside the run store's own in ``run.sqlite`` (or in any SQLite file given as
an agent's ``cache``):

- ``llm_cache``: one reply per key. The key is the sha256 of the canonical JSON (sorted
  keys, no spaces) of the model, the request parameters (temperature, max tokens, seed,
  response format, backend) and the messages. A request whose key is stored is answered
  from here without reaching the backend, so re-running an experiment replays it with no
  requests and identical results.
- ``llm_calls``: every call, per match, seat and call number: the messages sent, the reply,
  tokens in and out, latency, cost, whether it came from the cache, and which agent made
  it. When a failed match is played again its earlier calls are kept (they were paid
  for) but marked ``superseded``, so a transcript shows the final attempt only.

Cost is ``input_tokens * price_in + output_tokens * price_out`` with prices in dollars
per million tokens from a price table (:data:`DEFAULT_PRICES`, or the agent's own
``prices``); a reply from the cache costs nothing. No key, header or environment value is
ever written here: only messages, replies and counts.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from redqueen.agents.llm.calls import (
    DEFAULT_PRICES,
    CachedReply,
    CallRecord,
    cache_key,
    call_cost,
)

__all__ = ["DEFAULT_PRICES", "CachedReply", "CallRecord", "LLMStore", "cache_key", "call_cost"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS llm_cache (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    reply TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    match_key TEXT,
    seat INTEGER,
    call INTEGER NOT NULL,
    agent TEXT NOT NULL,
    model TEXT NOT NULL,
    messages TEXT NOT NULL,
    reply TEXT NOT NULL,
    action INTEGER,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    latency REAL NOT NULL,
    cost REAL NOT NULL,
    cached INTEGER NOT NULL,
    superseded INTEGER NOT NULL DEFAULT 0,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS llm_calls_match ON llm_calls (match_key, seat, call);
"""


def _record(r: Sequence[Any]) -> CallRecord:
    return CallRecord(
        match_key=r[0],
        seat=r[1],
        call=int(r[2]),
        agent=r[3],
        model=r[4],
        messages=json.loads(r[5]),
        reply=r[6],
        action=r[7],
        input_tokens=int(r[8]),
        output_tokens=int(r[9]),
        latency=float(r[10]),
        cost=float(r[11]),
        cached=bool(r[12]),
    )


class LLMStore:
    """The LLM tables of the SQLite file at ``path`` (created if needed)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LLMStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- cache ----------------------------------------------------------------------

    def get(self, key: str) -> CachedReply | None:
        row = self._db.execute(
            "SELECT reply, input_tokens, output_tokens FROM llm_cache WHERE key=?", (key,)
        ).fetchone()
        return None if row is None else CachedReply(row[0], int(row[1]), int(row[2]))

    def put(self, key: str, model: str, reply: str, input_tokens: int, output_tokens: int) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO llm_cache VALUES (?, ?, ?, ?, ?, ?)",
            (key, model, reply, input_tokens, output_tokens, time.time()),
        )

    def cache_size(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM llm_cache").fetchone()[0])

    # ---- transcripts ----------------------------------------------------------------

    def record_call(self, record: CallRecord) -> None:
        self._db.execute(
            "INSERT INTO llm_calls (match_key, seat, call, agent, model, messages, reply, "
            "action, input_tokens, output_tokens, latency, cost, cached, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.match_key,
                record.seat,
                record.call,
                record.agent,
                record.model,
                json.dumps(record.messages, ensure_ascii=False),
                record.reply,
                record.action,
                record.input_tokens,
                record.output_tokens,
                record.latency,
                record.cost,
                int(record.cached),
                time.time(),
            ),
        )

    def supersede(self, match_key: str) -> None:
        """Mark the calls of an earlier, failed attempt at ``match_key``."""
        self._db.execute("UPDATE llm_calls SET superseded=1 WHERE match_key=?", (match_key,))

    def calls(self, match_key: str | None = None) -> list[CallRecord]:
        """Current (not superseded) calls, of one match or of all, in order."""
        sql = (
            "SELECT match_key, seat, call, agent, model, messages, reply, action, "
            "input_tokens, output_tokens, latency, cost, cached FROM llm_calls "
            "WHERE superseded=0"
        )
        args: tuple[Any, ...] = ()
        if match_key is not None:
            sql += " AND match_key=?"
            args = (match_key,)
        rows = self._db.execute(sql + " ORDER BY match_key, seat, call, id", args).fetchall()
        return [_record(r) for r in rows]

    def match_keys(self) -> list[str]:
        return [
            r[0]
            for r in self._db.execute(
                "SELECT DISTINCT match_key FROM llm_calls WHERE match_key IS NOT NULL "
                "ORDER BY match_key"
            )
        ]

    # ---- accounting -----------------------------------------------------------------

    def usage(self) -> dict[str, Any]:
        """Calls, requests saved by the cache, tokens, latency and cost: per agent and for
        the run (every call, superseded ones included: they were paid for)."""

        def totals(where: str = "", args: tuple[Any, ...] = ()) -> dict[str, Any]:
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(cached), 0), COALESCE(SUM(input_tokens), 0), "
                "COALESCE(SUM(output_tokens), 0), COALESCE(SUM(latency), 0), "
                f"COALESCE(SUM(cost), 0) FROM llm_calls {where}",
                args,
            ).fetchone()
            calls = int(row[0])
            return {
                "calls": calls,
                "cached": int(row[1]),
                "requests": calls - int(row[1]),
                "input_tokens": int(row[2]),
                "output_tokens": int(row[3]),
                "latency_s": float(row[4]),
                "mean_latency_s": float(row[4]) / calls if calls else 0.0,
                "cost_usd": float(row[5]),
            }

        agents = [r[0] for r in self._db.execute("SELECT DISTINCT agent FROM llm_calls")]
        return {
            "run": totals(),
            "agents": {a: totals("WHERE agent=?", (a,)) for a in sorted(agents)},
        }
