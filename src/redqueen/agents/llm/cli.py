"""Commands of the LLM players: ``redqueen serve-scripted`` and ``redqueen show``.

Only typer is imported here; the server, the run store and the game registry are
imported inside the commands, so ``redqueen --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def serve_scripted(
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 8000,
    strategy: Annotated[
        str, typer.Option(help="Scripted strategy: first, last, random or copy.")
    ] = "first",
    malformed_rate: Annotated[
        float, typer.Option(help="Probability of a malformed reply (no move, or an illegal one).")
    ] = 0.0,
    delay: Annotated[float, typer.Option(help="Seconds to wait before each answer.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the random and malformed choices.")] = 0,
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Start the scripted TEST server (not a model) on the OpenAI chat API.

    It answers with a scripted move from the legal moves listed in the prompt, so tests,
    CI and demos run the real HTTP path without a model."""
    from rich.console import Console

    from redqueen.agents.llm.test_server import ScriptedServer

    server = ScriptedServer(
        strategy, malformed_rate=malformed_rate, delay=delay, seed=seed, host=host, port=port
    )
    console = Console(stderr=True)
    console.print(
        f"redqueen scripted TEST server (strategy {strategy}; not a model) at {server.url}; "
        "Ctrl-C stops it",
        markup=False,
        highlight=False,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def transcript_text(run_dir: Path, match: str | None, full: bool = False) -> str:
    """The readable transcript of one match of a run (``match``: its key or schedule
    index), or, with ``match`` None, the list of matches that have LLM calls."""
    from redqueen.errors import RedqueenError
    from redqueen.store.llm_cache import LLMStore
    from redqueen.store.run_store import DB_NAME, RunStore

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


def show(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
    match: Annotated[
        str | None,
        typer.Argument(help="Match key or schedule index (omit to list the matches)."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Repeat the system prompt in every call.")
    ] = False,
) -> None:
    """Print the transcript of a match: every prompt and reply of its LLM players."""
    from rich.console import Console

    Console().print(transcript_text(run_dir, match, full), markup=False, highlight=False)
