"""``transcripts.html``: the LLM calls of a run, beside its report.

One page per run directory: the usage table (calls, requests, replies from the cache,
tokens, latency and cost, per agent and for the run) and every match's transcript (each
prompt and reply, per seat and call, as ``redqueen show RUN MATCH`` prints it), one
collapsible section per match with an anchor (``transcripts.html#match-KEY``) that the
report can link to. Everything is escaped: replies are shown as text, never as markup.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from redqueen.errors import RedqueenError
from redqueen.store.llm_cache import LLMStore
from redqueen.store.run_store import DB_NAME, RunStore

FILE_NAME = "transcripts.html"


def transcript_text(run_dir: Path, match: str | None, full: bool = False) -> str:
    """The readable transcript of one match of a run (``match``: its key or schedule
    index), or, with ``match`` None, the list of matches that have LLM calls."""
    db = Path(run_dir) / DB_NAME
    if not db.is_file():
        raise RedqueenError(f"{run_dir} is not a run directory (no {DB_NAME})")
    with RunStore(run_dir) as store:
        matches = list(store.matches())
    with LLMStore(db) as calls_store:
        keys = calls_store.match_keys()
        if match is None:
            if not keys:
                return f"{run_dir}: no LLM calls stored"
            lines = [f"{run_dir}: matches with LLM calls (redqueen show {run_dir} KEY)"]
            stored = {m.key: r for m, r in matches}
            for key in keys:
                n = len(calls_store.calls(key))
                state = "" if key in stored else " (not finished)"
                lines.append(f"  {key}: {n} calls{state}")
            return "\n".join(lines)
        by_index = {str(m.index): m.key for m, _ in matches}
        key = by_index.get(match, match)
        calls = calls_store.calls(key)
    if not calls:
        allowed = ", ".join(keys[:20]) + (" ..." if len(keys) > 20 else "")
        raise RedqueenError(
            f"no LLM calls stored for match {match!r} in {run_dir}; matches with calls: "
            f"{allowed or '(none)'}"
        )
    lines = [f"match {key}"]
    for m, result in matches:
        if m.key == key:
            lines.append(f"  seats: {', '.join(result.agents)}")
            lines.append(f"  returns: {list(result.returns)}")
            lines.append(f"  invalid moves: {list(result.invalid_moves)}")
            if result.forfeits:
                lines.append(f"  forfeits: {list(result.forfeits)}")
    seen_system: dict[Any, str] = {}
    for c in calls:
        flags = " · from cache" if c.cached else ""
        lines.append("")
        lines.append(
            f"── seat {c.seat} ({c.agent}) · call {c.call} · {c.model} · "
            f"{c.input_tokens} in / {c.output_tokens} out tokens · {c.latency:.3f} s · "
            f"${c.cost:.6f}{flags}"
        )
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
        lines.append(f"=> action {c.action if c.action is not None else '(none: invalid)'}")
    return "\n".join(lines)


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
        keys = store.match_keys()
    if not usage["run"]["calls"]:
        return None
    sections = []
    for key in keys:
        text = transcript_text(run_dir, key)
        sections.append(
            f'<details id="{match_anchor(key)}"><summary>{html.escape(key)}</summary>'
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
