"""Ctrl-C stops a run with exit code 130 after saying what is stored and how to resume;
a port that is taken is refused by ``redqueen serve-scripted`` with a message, not a
traceback."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from redqueen.store.run_store import RunStore

_AS_FOREGROUND_JOB = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('redqueen.cli', run_name='__main__', alter_sys=True)"
)


def test_ctrl_c_says_what_is_stored_and_how_to_resume(tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ["tournament", "--game", "connect_four", "--agents", "random,first",
            "--games", "200000", "--out", str(out)]  # fmt: skip
    # its own process group, as a terminal's foreground job: Ctrl-C reaches all of it.
    # A job started in the background by a shell without job control (a CI runner's `&`)
    # inherits SIGINT ignored, and Python keeps it ignored, as it should; a terminal's
    # foreground job has it at its default, so the child restores that first.
    run = subprocess.Popen(
        [sys.executable, "-c", _AS_FOREGROUND_JOB, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        # Ctrl-C only once a match is stored (the run then has its handler in place);
        # a cold first start beside a training test can take a minute to get there
        deadline = time.monotonic() + 240
        while not _stored(out) and time.monotonic() < deadline:
            if run.poll() is not None:
                pytest.fail(f"the run ended (exit {run.returncode}) before Ctrl-C was sent")
            time.sleep(0.2)
        assert _stored(out) > 0, "no match stored 240 s after the start"
        os.killpg(run.pid, signal.SIGINT)
        stdout, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr
    found = re.search(r"interrupted: (\d+) matches are stored in (.+); run the same", stderr)
    assert found is not None, stderr
    assert found[2] == str(out)
    assert int(found[1]) == _stored(out) > 0
    assert "resume" in stderr and "Traceback" not in stderr and stdout == ""


def _stored(run_dir: Path) -> int:
    if not (run_dir / "run.sqlite").is_file():
        return 0
    with RunStore(run_dir) as store:
        return len(store.completed_keys())


def test_a_taken_port_is_named_without_a_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "redqueen.cli", "serve-scripted", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stderr == (
        f"error: port {port} on 127.0.0.1 is taken (another program listens there); "
        "choose another with --port, or --port 0 for any free port\n"
    )
