"""The run store: a run is a directory holding a SQLite database in WAL mode.

Every match result is written in its own transaction the moment it completes, keyed by
the match's schedule key, so a run that is killed (even with SIGKILL) and started again
finds exactly the matches it already has and plays only the rest. A key can be written
once; writing it again is refused rather than duplicated.

Only the process that owns the run writes to it (worker processes hand results back), so
there is a single writer; readers, such as a report built while the run goes on, may
read at any time.

Tables: ``meta`` (the run's config and its fingerprint), ``agents``, ``matches``,
``metrics``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from redqueen.errors import RedqueenError
from redqueen.play.match import MatchResult
from redqueen.play.schedule import ScheduledMatch

DB_NAME = "run.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    idx INTEGER PRIMARY KEY, name TEXT NOT NULL, spec TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS matches (
    key TEXT PRIMARY KEY,
    idx INTEGER NOT NULL,
    seats TEXT NOT NULL,
    seed INTEGER NOT NULL,
    result TEXT NOT NULL,
    finished_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS metrics (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    step INTEGER,
    value REAL NOT NULL,
    tags TEXT,
    at REAL NOT NULL
);
"""


class RunMismatchError(RedqueenError):
    """A run directory that holds a different experiment than the one asked for."""


def config_fingerprint(config: dict[str, Any]) -> str:
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RunStore:
    """Open (creating if needed) the run in ``run_dir``."""

    def __init__(self, run_dir: str | Path) -> None:
        self.dir = Path(run_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / DB_NAME
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode, NORMAL loses no committed match when the process dies (SIGKILL
        # included) and never corrupts the database; only a power cut can undo the last
        # few commits. FULL would add an fsync per match.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # ---- lifecycle ------------------------------------------------------------------

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- config ---------------------------------------------------------------------

    def bind_config(self, config: dict[str, Any], ignore: Collection[str] = ()) -> bool:
        """Record ``config`` for a new run, or check that a resumed run has the same one.

        Top-level fields in ``ignore`` (such as the number of workers) may differ between
        the first run and a resumed one. Returns True when the run already existed. Raises
        :class:`RunMismatchError`, naming the fields that differ, if the directory holds a
        run of a different config.
        """
        kept = {k: v for k, v in config.items() if k not in ignore}
        fingerprint = config_fingerprint(kept)
        row = self._db.execute("SELECT value FROM meta WHERE key='fingerprint'").fetchone()
        if row is not None:
            if row[0] != fingerprint:
                before = {k: v for k, v in self.config().items() if k not in ignore}
                fields = sorted(k for k in set(before) | set(kept) if before.get(k) != kept.get(k))
                raise RunMismatchError(
                    f"{self.dir} holds a run of a different config (fields that differ: "
                    f"{', '.join(fields) or '?'}); choose another --out directory, or delete "
                    "this one to start again"
                )
            return True
        with self._transaction():
            self._db.execute(
                "INSERT INTO meta VALUES ('fingerprint', ?), ('config', ?), ('created_at', ?)",
                (fingerprint, json.dumps(config, sort_keys=True), repr(time.time())),
            )
        return False

    def config(self) -> dict[str, Any]:
        row = self._db.execute("SELECT value FROM meta WHERE key='config'").fetchone()
        if row is None:
            raise RedqueenError(f"{self.dir} has no config: not a redqueen run directory")
        config: dict[str, Any] = json.loads(row[0])
        return config

    def set_meta(self, key: str, value: Any) -> None:
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    # ---- agents ---------------------------------------------------------------------

    def record_agents(self, names: Sequence[str], specs: Sequence[dict[str, Any]]) -> None:
        with self._transaction():
            for i, (name, spec) in enumerate(zip(names, specs, strict=True)):
                self._db.execute(
                    "INSERT OR REPLACE INTO agents VALUES (?, ?, ?)",
                    (i, name, json.dumps(spec, sort_keys=True)),
                )

    def agent_names(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT name FROM agents ORDER BY idx")]

    # ---- matches --------------------------------------------------------------------

    def record_match(self, match: ScheduledMatch, result: MatchResult) -> None:
        """Write one finished match, atomically. A key already stored is an error."""
        try:
            with self._transaction():
                self._db.execute(
                    "INSERT INTO matches VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        match.key,
                        match.index,
                        json.dumps(list(match.seats)),
                        match.seed,
                        json.dumps(result.to_dict(), separators=(",", ":")),
                        time.time(),
                    ),
                )
        except sqlite3.IntegrityError:
            raise RedqueenError(f"match {match.key!r} is already stored in {self.dir}") from None

    def completed_keys(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT key FROM matches")}

    def matches(self) -> Iterator[tuple[ScheduledMatch, MatchResult]]:
        """Every stored match, in schedule order."""
        rows = self._db.execute(
            "SELECT key, idx, seats, seed, result FROM matches ORDER BY idx"
        ).fetchall()
        for key, idx, seats, seed, result in rows:
            yield (
                ScheduledMatch(key, idx, tuple(json.loads(seats)), seed),
                MatchResult.from_dict(json.loads(result)),
            )

    # ---- metrics --------------------------------------------------------------------

    def log_metric(self, name: str, value: float, step: int | None = None, **tags: Any) -> None:
        with self._transaction():
            self._db.execute(
                "INSERT INTO metrics (name, step, value, tags, at) VALUES (?, ?, ?, ?, ?)",
                (name, step, float(value), json.dumps(tags) if tags else None, time.time()),
            )

    def metrics(self, name: str) -> list[tuple[int | None, float]]:
        rows = self._db.execute("SELECT step, value FROM metrics WHERE name=? ORDER BY id", (name,))
        return [(step, value) for step, value in rows]

    def metric_names(self) -> list[str]:
        """Every metric name logged in this run, sorted."""
        rows = self._db.execute("SELECT DISTINCT name FROM metrics ORDER BY name")
        return [str(name) for (name,) in rows]

    # ---- helpers --------------------------------------------------------------------

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")
