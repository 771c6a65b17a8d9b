"""An LLM endpoint that cannot be reached, or stops answering, is loud: the run stops at
once with the cause and a non-zero exit code; matches that fail are counted and named in
the closing lines; a finished run still replays from the cache with the server down."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redqueen.agents.llm.backends import (
    STOP_AFTER_FAILURES,
    BackendError,
    BackendUnavailableError,
    OpenAIBackend,
)
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.cli import app
from redqueen.store.run_store import RunStore

ROOT = Path(__file__).resolve().parents[2]
RECIPE = str(ROOT / "recipes" / "repeated_games_llm.yaml")
SMALL = ["--set", "matches_per_seat=1", "--set", "rounds=2"]
"""36 matches of 2 rounds: 9 opponents x 2 variants x 2 seats."""
runner = CliRunner()


def dead_port() -> int:
    """A port with nothing listening: bound, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def server_args(url: str, *extra: str) -> list[str]:
    return ["--set", f"llm.base_url={url}", "--set", "llm.api_key_env=null", *SMALL, *extra]


def stored(run_dir: Path) -> int:
    with RunStore(run_dir) as store:
        return len(store.completed_keys())


def test_a_dead_endpoint_stops_the_run_at_once_with_its_cause(tmp_path: Path) -> None:
    port = dead_port()
    out = tmp_path / "run"
    args = [sys.executable, "-m", "redqueen.cli", "run", RECIPE, "--out", str(out)]
    args += ["--set", f"llm.base_url=http://127.0.0.1:{port}/v1", "--set", "llm.api_key_env=null"]
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    seconds = time.perf_counter() - start
    assert done.returncode == 2, done.stderr
    assert seconds < 20, f"took {seconds:.1f} s: the dead endpoint was retried"
    assert (
        f"error: no LLM server answers at http://127.0.0.1:{port}/v1 after 1 attempt "
        "(APIConnectionError: Connection error." in done.stderr
    )
    assert "start the server, or set base_url to one that is running" in done.stderr
    assert f"stopped: 0 matches are stored in {out}; run the same command again" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""
    assert stored(out) == 0


def test_a_server_that_fails_every_request_stops_the_run(tmp_path: Path) -> None:
    with ScriptedServer("first") as server:
        server.inject(500, 1000)
        args = server_args(server.url, "--set", "llm.params.max_retries=0")
        result = runner.invoke(app, ["run", RECIPE, "--out", str(tmp_path), *args])
        requests = server.requests
    assert result.exit_code == 2, result.output
    assert (
        f"error: the LLM server at {server.url} stopped answering: {STOP_AFTER_FAILURES} "
        "requests in a row failed, with up to 1 attempt(s) each (last: openai:" in result.stderr
    )
    assert "HTTP 500" in result.stderr
    assert f"stopped: 0 matches are stored in {tmp_path}" in result.stderr
    # not one request per match: the 8 in flight (max_concurrency), and one more for each
    # failure before the last, which judged the server down
    assert STOP_AFTER_FAILURES <= requests <= 8 + STOP_AFTER_FAILURES - 1


def test_failed_matches_are_counted_in_the_closing_lines_and_exit_1(tmp_path: Path) -> None:
    with ScriptedServer("first") as server:
        args = server_args(server.url, "--set", "llm.params.max_retries=0")
        server.inject(500, 1)  # one request fails, and with it one match
        first = runner.invoke(app, ["run", RECIPE, "--out", str(tmp_path), *args])
        assert first.exit_code == 1, first.output
        failed = json.loads((tmp_path / "results.json").read_text())["failed_matches"]
        assert len(failed) == 1 and stored(tmp_path) == 35
        lines = first.stdout.splitlines()[-3:]
        assert lines == [
            f"report: {tmp_path / 'report.html'}",
            f"new run: nothing was stored in {tmp_path} before",
            f"failed: 1 match could not be played and is not stored (first, {failed[0]}: "
            f"openai:{server.url} gave no reply after 1 attempts: InternalServerError 500: "
            "injected failure (HTTP 500)); run the same command again to play them",
        ]
        report = (tmp_path / "report.html").read_text()
        assert "<h2>Failed matches</h2>" in report and "1 × openai:" in report
        assert "InternalServerError 500" in report
        again = runner.invoke(app, ["run", RECIPE, "--out", str(tmp_path), *args])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-2:] == [
        f"report: {tmp_path / 'report.html'}",
        f"resumed: 35 matches were already stored in {tmp_path}",
    ]
    assert json.loads((tmp_path / "results.json").read_text())["failed_matches"] == []
    assert "Failed matches" not in (tmp_path / "report.html").read_text()


def test_a_finished_run_replays_from_the_cache_with_the_server_down(tmp_path: Path) -> None:
    with ScriptedServer("first") as server:
        url = server.url
        first = runner.invoke(app, ["run", RECIPE, "--out", str(tmp_path), *server_args(url)])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["run", RECIPE, "--out", str(tmp_path), *server_args(url)])
    assert again.exit_code == 0, again.output  # no request, so no connection check
    assert f"resumed: 36 matches were already stored in {tmp_path}" in again.stdout


async def _ask(backend: OpenAIBackend) -> str:
    reply = await backend.complete(
        [{"role": "user", "content": "hello"}], temperature=0.0, max_tokens=8
    )
    return reply.text


def test_the_connection_check_gives_up_at_once_whatever_the_retries() -> None:
    backend = OpenAIBackend(
        "m", base_url=f"http://127.0.0.1:{dead_port()}/v1", api_key_env=None, max_retries=4
    )

    async def five() -> list[BaseException | str]:
        return await asyncio.gather(*(_ask(backend) for _ in range(5)), return_exceptions=True)

    start = time.perf_counter()
    errors = asyncio.run(five())
    assert time.perf_counter() - start < 5  # four retries with backoff would take 15 s
    assert all(isinstance(e, BackendUnavailableError) for e in errors)
    assert all(str(e).startswith("no LLM server answers at http://127.0.0.1:") for e in errors)


def test_the_check_is_made_once_per_server_and_event_loop() -> None:
    checks: list[str] = []

    class Counting(OpenAIBackend):
        async def check_connection(self) -> None:
            checks.append(self.key)
            await super().check_connection()

    with ScriptedServer("first") as server:
        one = Counting("scripted", base_url=server.url, api_key_env=None)
        two = Counting("scripted", base_url=server.url, api_key_env=None)  # the same server

        async def many() -> list[str]:
            return await asyncio.gather(*(_ask(b) for b in (one, two) * 4))

        assert len(asyncio.run(many())) == 8
        assert checks == [one.key]
        asyncio.run(many())  # a new event loop checks again
        assert checks == [one.key, one.key]
        assert server.requests == 16


def test_only_failures_in_a_row_stop_the_run() -> None:
    with ScriptedServer("first") as server:
        backend = OpenAIBackend("scripted", base_url=server.url, api_key_env=None, max_retries=0)

        async def sequence(failures: list[int]) -> list[str]:
            kinds = []
            for fail in failures:
                server.inject(500, fail)
                for _ in range(fail + 1):
                    try:
                        await _ask(backend)
                        kinds.append("reply")
                    except BackendUnavailableError:
                        kinds.append("stop")
                    except BackendError:
                        kinds.append("failed")
            return kinds

        # two failures, a reply, two failures, a reply: never three in a row
        assert asyncio.run(sequence([2, 2])) == ["failed", "failed", "reply"] * 2
        # three in a row: the third stops the run
        assert asyncio.run(sequence([3]))[:3] == ["failed", "failed", "stop"]


@pytest.mark.parametrize("status", [404, 401])
def test_any_http_answer_passes_the_check(status: int) -> None:
    """A server that answers the check with an error status is there: the request
    itself then says what is wrong (an unknown model here)."""
    models = ["other"] if status == 404 else None
    key = "sk-right" if status == 401 else None
    with ScriptedServer("first", models=models, api_key=key) as server:
        backend = OpenAIBackend("scripted", base_url=server.url, api_key_env=None)
        with pytest.raises(BackendError) as info:
            asyncio.run(_ask(backend))
    assert not isinstance(info.value, BackendUnavailableError)
    assert ("unknown model" if status == 404 else "bad credentials") in str(info.value)
