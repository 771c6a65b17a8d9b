"""Commands of the LLM players: ``redqueen serve-scripted`` and ``redqueen show``.

The scripted server is imported inside its command, so ``redqueen --help`` stays fast;
transcripts are rendered by :func:`redqueen.report.transcripts.transcript_text`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from redqueen.report.transcripts import transcript_text


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
