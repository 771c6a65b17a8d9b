"""``redqueen serve``: the arena in a browser (see :mod:`redqueen.web`).

redqueen serve [RUN_DIR ...] [--host 127.0.0.1] [--port 8765] [--token T] [--study S.yaml]

The web app and its server (FastAPI, uvicorn: the ``web`` extra) are imported inside the
command, so ``redqueen --help`` and every other command never load them.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer

from redqueen.errors import RedqueenError


def serve(
    run_dirs: Annotated[
        list[Path] | None,
        typer.Argument(help="Run directories, or directories holding them (default: runs)."),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on; any but loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    token: Annotated[
        str | None,
        typer.Option(help="Every request must carry this token (needed beyond loopback)."),
    ] = None,
    study: Annotated[
        Path | None, typer.Option(help="Run the human study described in this YAML file.")
    ] = None,
    human_dir: Annotated[
        Path, typer.Option(help="Where matches played in the browser are stored.")
    ] = Path("runs/human"),
    llm_moves_per_minute: Annotated[
        int, typer.Option(help="LLM opponents' moves allowed per participant and minute.")
    ] = 30,
) -> None:
    """Serve the arena in a browser: play, watch stored matches, follow runs, run a study.

    Open the address it prints. Matches you play are stored under --human-dir and count
    in standings and Elo like any other. Ctrl-C stops the server."""
    from redqueen.web.security import check_binding

    check_binding(host, token)
    try:
        import uvicorn

        from redqueen.web.app import ServeConfig, create_app
        from redqueen.web.study import load_study
    except ImportError as err:
        raise RedqueenError(
            f"redqueen serve needs the web extra ({err.name} is missing): "
            "pip install 'redqueen[web]'"
        ) from None
    dirs = list(run_dirs or [Path("runs")])
    for d in dirs:
        if not d.is_dir():
            raise RedqueenError(f"{d} is not a directory (give run directories or their parents)")
    config = ServeConfig(
        run_dirs=dirs,
        human_dir=human_dir,
        token=token,
        study=load_study(study) if study is not None else None,
        llm_moves_per_minute=llm_moves_per_minute,
    )
    _check_port(host, port)
    app = create_app(config)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    typer.echo(f"redqueen serve: {url}  (Ctrl-C stops it)")
    uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()


def _check_port(host: str, port: int) -> None:
    """Refuse a port that is taken, with a message (before the server starts)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise RedqueenError(
                    f"port {port} on {host} is taken (another program listens there); "
                    "choose another with --port"
                ) from None
            raise RedqueenError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
