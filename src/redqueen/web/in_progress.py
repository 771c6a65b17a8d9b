"""The record of a browser match in progress: written after every move, read back when the
server starts, so that a match is not lost when the server stops or crashes.

A match a person plays in the browser lives in the server's memory between requests
(:mod:`redqueen.web.sessions`). After every request that changes it, and after every
answer of an opponent that waits on I/O (an LLM), its record is written to
``RUN_DIR/in_progress/<session id>.json``, in the run directory the finished match will
be stored in. The write is atomic: a temporary file beside it, flushed to disk, renamed
over the old record (:func:`write_json_atomically`), so a crash leaves either the old
record or the new one, never half of one. When the match ends it is stored in the run
store exactly as before and its record is deleted.

A record is the match's inputs, not a picture of its state: the game and its
parameters, the seats (names and agent specs), the seed, the session id, key and study
item, the participant (their name and a SHA-256 hash of their browser id; the id itself
is a credential and is never written), when it started and was last written, and

- ``requests``: the person's requests in order, each a move (with its cheap-talk
  message) or a "try again";
- ``asks``: every answer an opponent gave, in order, with its seat. An opponent that
  waits on I/O (``prefers_async``: an LLM) is an input from outside: its answer (or the
  error it met: a backend down, the rate limit) is kept with the state of its seat's
  random stream just after it answered. Every other opponent's answer is kept as a check;
- ``trajectory``: the moves so far, chance outcomes included, as a check;
- ``llm_calls``: how many calls each LLM seat has made (the transcript's call numbers);
- ``same_agent``: which seats one agent object plays.

Everything else follows from the seed, because a match is a function of its seed and its
inputs (:mod:`redqueen.play.match`): restoring it plays the match again from the start
with the same seed and requests (see :func:`redqueen.web.sessions.restore_session`).
"""

from __future__ import annotations

import json
import operator
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from redqueen.errors import RedqueenError
from redqueen.games.core import Step

IN_PROGRESS_DIR = "in_progress"
"""The folder of a run directory that holds the records of its matches in progress."""
FORMAT: Literal["redqueen.web.in_progress/1"] = "redqueen.web.in_progress/1"


class RecordError(RedqueenError):
    """A record of a match in progress that cannot be read or does not replay."""


def write_json_atomically(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` so that a crash leaves the old file or the new
    one whole: a temporary file beside it, flushed to disk, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoveRequest(_Model):
    """One request of the person: a move (``action``, with its message), or, with no
    action, "try again" (let the opponents move after an LLM limit or error)."""

    action: int | None = None
    message: str | None = None


class Ask(_Model):
    """One answer of an opponent (or, for an LLM, the error it met instead)."""

    seat: int = Field(ge=0)
    answer: int | str | None = None
    """The action id, or the text in text-only games; None for an answer that was
    neither (it is played as an invalid move)."""
    invalid_moves: int = Field(default=0, ge=0)
    forfeit: bool = False
    forfeit_value: float | None = None
    error: str | None = None
    rng: dict[str, Any] | None = None
    """The seat's random stream just after the answer (LLM seats only)."""

    @classmethod
    def of(cls, seat: int, answer: object, rng: dict[str, Any] | None = None) -> Ask:
        """The record of ``answer`` (an action id, text, or an LLM's move with its
        invalid replies and forfeit)."""
        value: int | str | None
        if isinstance(answer, str):
            value = answer
        else:
            try:
                value = operator.index(answer)  # type: ignore[arg-type]
            except TypeError:
                value = None
        forfeit_value = getattr(answer, "forfeit_value", None)
        return cls(
            seat=seat,
            answer=value,
            invalid_moves=int(getattr(answer, "invalid_moves", 0) or 0),
            forfeit=bool(getattr(answer, "forfeit", False)),
            forfeit_value=None if forfeit_value is None else float(forfeit_value),
            rng=rng,
        )

    def answer_object(self) -> object:
        """The answer as the agent gave it (an LLM's move carries its invalid replies and
        forfeit, which the match counts)."""
        if not (self.invalid_moves or self.forfeit) or not isinstance(self.answer, int):
            return self.answer
        from redqueen.agents.llm.agent import LLMMove

        return LLMMove(self.answer, self.invalid_moves, self.forfeit, self.forfeit_value)


class GameRef(_Model):
    id: str
    params: dict[str, Any] = Field(default_factory=dict)


class InProgressRecord(_Model):
    """The record of one match in progress (see the module docstring)."""

    format: Literal["redqueen.web.in_progress/1"] = FORMAT
    id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    key: str = Field(min_length=1)
    owner_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    person: str
    game: GameRef
    seat: int = Field(ge=0)
    names: list[str]
    specs: list[dict[str, Any]]
    seed: int
    study_item: int | None = None
    started_at: float
    updated_at: float = Field(default_factory=time.time)
    requests: list[MoveRequest] = Field(default_factory=list)
    asks: list[Ask] = Field(default_factory=list)
    trajectory: list[tuple[int, int | str | list[int]]] = Field(default_factory=list)
    llm_calls: dict[int, int] = Field(default_factory=dict)
    same_agent: list[int] | None = None
    """For each seat, the first seat played by the same agent object (one spec given for
    several seats is one agent, which may keep state or a random stream across them)."""


def record_path(run_dir: Path, session_id: str) -> Path:
    return Path(run_dir) / IN_PROGRESS_DIR / f"{session_id}.json"


def record_files(run_dir: Path) -> list[Path]:
    """The records of ``run_dir``'s matches in progress, oldest name first."""
    folder = Path(run_dir) / IN_PROGRESS_DIR
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def read_record(path: Path) -> InProgressRecord:
    """The record at ``path``; :class:`RecordError` says what is wrong with it."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise RecordError(f"cannot read {path}: {err}") from None
    except json.JSONDecodeError as err:
        raise RecordError(f"{path} is not JSON ({err})") from None
    try:
        record = InProgressRecord.model_validate(data)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
            for e in err.errors()[:5]
        )
        raise RecordError(f"{path} is not a record of a match in progress: {problems}") from None
    if record.id != path.stem:
        raise RecordError(f"{path} holds the record of match {record.id!r}, not {path.stem!r}")
    return record


def trajectory_json(history: Sequence[Step]) -> list[tuple[int, int | str | list[int]]]:
    """A history as the record (and ``MatchResult.to_dict``) writes it."""
    return [
        (s.player, list(s.action) if isinstance(s.action, tuple) else s.action) for s in history
    ]
