"""``transcripts.html``: the LLM calls of a run, beside its report.

One page per run directory: the usage table (calls, requests, replies from the cache,
tokens, latency and cost, per agent and for the run) and every match's transcript (each
prompt and reply, per seat and call, as ``redqueen show RUN MATCH`` prints it), one
collapsible section per match with an anchor (``transcripts.html#match-KEY``) that the
report can link to. Everything is escaped: replies are shown as text, never as markup.

Matches are numbered by their place in the run's schedule (the index the run store keeps
with each match), in the listing and for ``redqueen show RUN N`` alike. Calls stored
under a key that is not a match of their own belong to the match whose key starts their
key (``generation/0/strategies`` to ``generation/0``) and are finished when it is. Each
call says what it asked for: a move (``=> action 4``), a prediction of the other player's
move (:mod:`redqueen.agents.llm.beliefs`), a move of a text-only game (judged by the
game), or a free-text answer asked outside any seat (``seat`` None: writing a strategy,
say).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from redqueen.errors import RedqueenError
from redqueen.store.llm_cache import LLMStore
from redqueen.store.run_store import DB_NAME, RunStore

if TYPE_CHECKING:
    from redqueen.agents.llm.calls import CallRecord
    from redqueen.play.match import MatchResult

FILE_NAME = "transcripts.html"
LABEL_CHARS = 100
"""Agent descriptions longer than this are cut (the full text is in the prompts)."""


@dataclass(frozen=True)
class ListedMatch:
    """One key with LLM calls, as ``redqueen show RUN`` lists it."""

    key: str
    calls: int
    number: int | None
    """The match's place in the run's schedule (None: not stored, so not numbered)."""
    part_of: str | None = None
    """The stored match these calls belong to, when the key is not a match itself."""


@dataclass(frozen=True)
class _RunCalls:
    """What a run stored, read once: the listing, the calls by key, the results."""

    listed: list[ListedMatch]
    calls: dict[str, list[CallRecord]]
    results: dict[str, MatchResult]


def _load(run_dir: Path) -> _RunCalls:
    db = run_dir / DB_NAME
    if not db.is_file():
        raise RedqueenError(f"{run_dir} is not a run directory (no {DB_NAME})")
    with RunStore(run_dir) as store:
        matches = list(store.matches())
    with LLMStore(db) as calls_store:
        every = calls_store.calls()
    calls: dict[str, list[CallRecord]] = {}
    for c in every:
        if c.match_key is not None:
            calls.setdefault(c.match_key, []).append(c)
    stored = {m.key: m.index for m, _ in matches}
    listed = []
    for key, of_key in calls.items():
        owner = key if key in stored else _owner(key, stored)
        number = stored.get(owner) if owner is not None else None
        listed.append(ListedMatch(key, len(of_key), number, None if owner == key else owner))
    last = max(stored.values(), default=0) + 1
    listed.sort(key=lambda m: (last if m.number is None else m.number, m.key))
    return _RunCalls(listed, calls, {m.key: r for m, r in matches})


def listed_matches(run_dir: str | Path) -> list[ListedMatch]:
    """Every key with LLM calls: stored matches in schedule order, each followed by the
    keys whose calls belong to it, then the rest (not finished), by key."""
    return _load(Path(run_dir)).listed


def _owner(key: str, stored: dict[str, int]) -> str | None:
    """The longest stored key that ``key`` extends by ``/...`` (None if there is none)."""
    parts = key.split("/")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = "/".join(parts[:cut])
        if prefix in stored:
            return prefix
    return None


def _listing(run_dir: Path, listed: Sequence[ListedMatch]) -> str:
    if not listed:
        return f"{run_dir}: no LLM calls stored"
    lines = [
        f"{run_dir}: LLM calls under {len(listed)} keys; print a match's with "
        f"redqueen show {run_dir} N (its number) or KEY"
    ]
    numbers = [m.number for m in listed if m.number is not None and m.part_of is None]
    width = max((len(str(n)) for n in numbers), default=1)
    for m in listed:
        number = "-" if m.number is None or m.part_of is not None else str(m.number)
        state = ""
        if m.part_of is not None:
            state = f" (calls for match {m.number}, {m.part_of}: finished)"
        elif m.number is None:
            state = " (not finished)"
        calls = "1 call" if m.calls == 1 else f"{m.calls} calls"
        lines.append(f"  {number:>{width}}  {m.key}: {calls}{state}")
    return "\n".join(lines)


def _chosen(match: str, listed: Sequence[ListedMatch], run_dir: Path) -> ListedMatch:
    """The entry ``match`` names: a key, or a number from the listing."""
    for m in listed:
        if m.key == match:
            return m
    number = match.removeprefix("#")
    if number.isdigit():
        hits = [m for m in listed if m.number == int(number) and m.part_of is None]
        if len(hits) == 1:
            return hits[0]
        if hits:
            keys = ", ".join(m.key for m in hits)
            raise RedqueenError(
                f"match {number} of {run_dir} has calls under several keys; give one: {keys}"
            )
    shown = [
        m.key if m.number is None or m.part_of is not None else f"{m.number} ({m.key})"
        for m in listed
    ]
    allowed = ", ".join(shown[:20]) + (" ..." if len(shown) > 20 else "")
    raise RedqueenError(
        f"no LLM calls stored for match {match!r} in {run_dir}; matches with calls: "
        f"{allowed or '(none)'}"
    )


def transcript_text(run_dir: str | Path, match: str | None, full: bool = False) -> str:
    """The readable transcript of one match of a run (``match``: its key, or its number
    as the listing shows it), or, with ``match`` None, the list of keys with LLM calls."""
    run_dir = Path(run_dir)
    run = _load(run_dir)
    if match is None:
        return _listing(run_dir, run.listed)
    return _transcript(run, _chosen(match, run.listed, run_dir), full)


def _transcript(run: _RunCalls, entry: ListedMatch, full: bool) -> str:
    if entry.part_of is not None:
        head = f"calls {entry.key}, for match {entry.part_of} (number {entry.number}, finished)"
    elif entry.number is None:
        head = f"match {entry.key} (not finished)"
    else:
        head = f"match {entry.key} (number {entry.number})"
    lines = [head]
    result = run.results.get(entry.key)
    if result is not None:
        lines.extend(_result_lines(result))
    seen_system: dict[Any, str] = {}
    for c in run.calls[entry.key]:
        lines.append("")
        lines.extend(_call_lines(c, full, seen_system))
    return "\n".join(lines)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _result_lines(result: MatchResult) -> list[str]:
    """The seats (seats with one description together) and the outcome."""
    lines = ["  seats:"]
    groups: list[tuple[list[int], str]] = []
    for seat, label in enumerate(result.agents):
        if groups and groups[-1][1] == label:
            groups[-1][0].append(seat)
        else:
            groups.append(([seat], label))
    for seats, label in groups:
        which = f"{seats[0]}" if len(seats) == 1 else f"{seats[0]}-{seats[-1]}"
        lines.append(f"    {which}: {_short(label)}")
    lines.append(f"  returns: {list(result.returns)}")
    lines.append(f"  invalid moves: {list(result.invalid_moves)}")
    if result.forfeits:
        lines.append(f"  forfeits: {list(result.forfeits)}")
    return lines


def _asked(c: CallRecord) -> str:
    """What the call asked for: "move", "prediction", "text move" or "chat"."""
    from redqueen.agents.llm.beliefs import PREDICTION_QUESTION
    from redqueen.agents.llm.prompts import LEGAL_MOVES_HEADER, TEXT_MOVES_HEADER

    users = [str(m.get("content", "")) for m in c.messages if m.get("role") == "user"]
    last = users[-1] if users else ""
    if LEGAL_MOVES_HEADER in last:
        return "prediction" if PREDICTION_QUESTION in users[0] else "move"
    if TEXT_MOVES_HEADER in last:
        return "text move"
    return "chat"


def _call_lines(c: CallRecord, full: bool, seen_system: dict[Any, str]) -> list[str]:
    asked = _asked(c)
    who = f"seat {c.seat} ({_short(c.agent)})" if c.seat is not None else _short(c.agent)
    what = {
        "move": " · move",
        "prediction": " · prediction of the other player's move",
        "text move": " · a move of a text-only game",
        "chat": " · a free-text answer, no move",
    }[asked]
    lines = [
        f"── {who} · call {c.call}{what} · {c.model} · {c.input_tokens} in / "
        f"{c.output_tokens} out tokens · {c.latency:.3f} s · ${c.cost:.6f}"
        + (" · from cache" if c.cached else "")
    ]
    for message in c.messages:
        role, content = message.get("role", "?"), message.get("content", "")
        if role == "system" and not full:
            if seen_system.get(c.seat) == content:
                lines.append("[system] (as in this seat's first call)")
                continue
            seen_system[c.seat] = content
        lines.append(f"[{role}]")
        lines.append(content)
    lines.append("[reply]")
    lines.append(c.reply)
    lines.append(_outcome(c, asked))
    return lines


def _outcome(c: CallRecord, asked: str) -> str:
    if asked == "chat":
        return "=> (a free-text answer: no move was asked for)"
    if asked == "text move":
        return "=> (the reply is the move; the game judges it)"
    if asked == "prediction":
        if c.action is None:
            return "=> no prediction could be read from the reply"
        from redqueen.agents.llm.prompts import legal_moves_in

        # the other player's moves are listed in action-id order (beliefs.opponent_moves)
        users = [str(m.get("content", "")) for m in c.messages if m.get("role") == "user"]
        names = legal_moves_in(users[-1])
        name = f" ({names[c.action]})" if 0 <= c.action < len(names) else ""
        return f"=> predicts the other player's action {c.action}{name}"
    if c.action is None:
        return "=> no legal move in the reply (an invalid move)"
    return f"=> action {c.action}"


def match_anchor(key: str) -> str:
    """The fragment id of a match's section."""
    return "match-" + "".join(c if c.isalnum() else "-" for c in key)


def _usage_table(usage: dict[str, Any]) -> str:
    rows = [("run", usage["run"]), *usage["agents"].items()]
    table = [
        "<table><tr><th>agent</th><th>calls</th><th>requests</th><th>from cache</th>"
        "<th>tokens in</th><th>tokens out</th><th>mean latency s</th><th>cost $</th></tr>"
    ]
    for name, u in rows:
        table.append(
            f"<tr><td>{html.escape(str(name))}</td><td>{u['calls']}</td><td>{u['requests']}</td>"
            f"<td>{u['cached']}</td><td>{u['input_tokens']}</td><td>{u['output_tokens']}</td>"
            f"<td>{u['mean_latency_s']:.3f}</td><td>{u['cost_usd']:.6f}</td></tr>"
        )
    table.append("</table>")
    return "".join(table)


def llm_section(run_dir: str | Path) -> str:
    """For the run's report: the LLM usage table (tokens, latency, cost per agent and for
    the run) and a link to ``transcripts.html`` (written here); "" when the run made no
    LLM calls."""
    run_dir = Path(run_dir)
    if write_transcripts(run_dir) is None:
        return ""
    with LLMStore(run_dir / DB_NAME) as store:
        usage = store.usage()
    return (
        "<h2>LLM calls</h2>"
        f"<p>Every prompt and reply: <a href='{FILE_NAME}'>transcripts</a> "
        "(or <code>redqueen show RUN MATCH</code>).</p>" + _usage_table(usage)
    )


def write_transcripts(run_dir: str | Path) -> Path | None:
    """Write ``transcripts.html`` into ``run_dir``; None (and no file) if the run has no
    LLM calls."""
    run_dir = Path(run_dir)
    with LLMStore(run_dir / DB_NAME) as store:
        usage = store.usage()
    if not usage["run"]["calls"]:
        return None
    run = _load(run_dir)
    sections = []
    for entry in run.listed:
        key = entry.key
        text = _transcript(run, entry, full=False)
        title = key if entry.number is None or entry.part_of else f"{entry.number}: {key}"
        sections.append(
            f'<details id="{match_anchor(key)}"><summary>{html.escape(title)}</summary>'
            f"<pre>{html.escape(text)}</pre></details>"
        )
    page = (
        "<!doctype html><meta charset='utf-8'><title>LLM transcripts</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{white-space:pre-wrap;"
        "background:#f6f6f6;padding:1em}td,th{padding:2px 8px;text-align:right}"
        "td:first-child{text-align:left}</style>"
        f"<h1>LLM calls of {html.escape(run_dir.name)}</h1>"
        "<h2>Usage</h2>" + _usage_table(usage) + "<h2>Transcripts</h2>" + "".join(sections)
    )
    path = run_dir / FILE_NAME
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page)
    tmp.replace(path)
    return path
