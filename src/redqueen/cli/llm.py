"""Commands of the LLM players: ``redqueen serve-scripted`` and ``redqueen show``.

The scripted server and the transcripts (rendered by
:func:`redqueen.report.transcripts.transcript_text`) are imported inside their commands,
so ``redqueen --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
    CI and demos run the real HTTP path without a model. A port that is taken is refused
    with a message."""
    import errno

    from rich.console import Console

    from redqueen.agents.llm.test_server import ScriptedServer
    from redqueen.errors import RedqueenError

    try:
        server = ScriptedServer(
            strategy, malformed_rate=malformed_rate, delay=delay, seed=seed, host=host, port=port
        )
    except OSError as e:
        if e.errno == errno.EADDRINUSE:
            raise RedqueenError(
                f"port {port} on {host} is taken (another program listens there); choose "
                "another with --port, or --port 0 for any free port"
            ) from None
        raise RedqueenError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
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
        typer.Argument(
            help="The match's number as the listing shows it, or its key (omit to list "
            "the matches)."
        ),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Repeat the system prompt in every call.")
    ] = False,
) -> None:
    """Print the transcript of a match: every prompt and reply of its LLM players.

    Without MATCH, list the matches with LLM calls, each with the number that MATCH
    accepts. The text is printed as it is, lines unbroken."""
    from redqueen.report.transcripts import transcript_text

    typer.echo(transcript_text(run_dir, match, full))
