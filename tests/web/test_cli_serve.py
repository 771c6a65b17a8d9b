"""``redqueen serve`` from the command line: the address rule, clear errors, and the web
app left out of ``import redqueen`` and of every other command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redqueen.cli import app
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.web.security import RateLimiter, check_agent_params, check_binding, is_loopback


def test_beyond_loopback_needs_a_token(tmp_path: Path) -> None:
    runner = CliRunner()
    done = runner.invoke(app, ["serve", str(tmp_path), "--host", "0.0.0.0"])
    assert isinstance(done.exception, InvalidParameterError)
    assert "--token" in str(done.exception) and "0.0.0.0" in str(done.exception)
    done = runner.invoke(app, ["serve", str(tmp_path / "missing")])
    assert isinstance(done.exception, RedqueenError)
    assert "is not a directory" in str(done.exception)
    for host in ("127.0.0.1", "127.0.0.2", "::1", "localhost"):
        assert is_loopback(host)
        check_binding(host, None)
    for host in ("0.0.0.0", "192.168.1.5", "::", "example.org"):
        assert not is_loopback(host)
        with pytest.raises(InvalidParameterError, match="--token"):
            check_binding(host, None)
        check_binding(host, "a-long-token")
    with pytest.raises(InvalidParameterError, match="at least 8"):
        check_binding("0.0.0.0", "short")


def test_the_web_app_is_loaded_only_by_serve() -> None:
    code = (
        "import sys, redqueen, redqueen.cli; "
        "print(sorted({m.split('.')[0] if not m.startswith('redqueen') else m "
        "for m in sys.modules if m.startswith(('fastapi', 'uvicorn', 'starlette', "
        "'jinja2', 'redqueen.web'))}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


def test_agent_parameters_stay_inside_the_served_directories(tmp_path: Path) -> None:
    inside = tmp_path / "runs" / "policy.json"
    check_agent_params({"path": str(inside)}, [tmp_path / "runs"])
    with pytest.raises(InvalidParameterError, match="outside the directories"):
        check_agent_params({"path": str(tmp_path / "runs" / ".." / "x.json")}, [tmp_path / "runs"])
    with pytest.raises(InvalidParameterError, match="outside the directories"):
        check_agent_params({"cache": "/etc/cache.sqlite"}, [tmp_path])
    with pytest.raises(InvalidParameterError, match="outside the directories"):
        check_agent_params({"backend": "transformers", "model": "/models/x"}, [tmp_path])
    check_agent_params({"model": "gpt-4o-mini", "api_key_env": "OPENAI_API_KEY"}, [tmp_path])
    with pytest.raises(InvalidParameterError, match="API_KEY"):
        check_agent_params({"api_key_env": "AWS_SECRET_ACCESS_KEY"}, [tmp_path])


def test_rate_limiter_is_a_sliding_window() -> None:
    limiter = RateLimiter(2, window=60.0)
    assert limiter.allows("a", now=0.0)
    limiter.record("a", now=0.0)
    limiter.record("a", now=1.0)
    assert not limiter.allows("a", now=2.0) and limiter.allows("b", now=2.0)
    assert limiter.wait_seconds("a", now=2.0) == 58.0
    assert not limiter.allows("a", now=59.9)
    assert limiter.allows("a", now=60.0) and limiter.wait_seconds("a", now=60.0) == 0.0
    with pytest.raises(InvalidParameterError):
        RateLimiter(0)


def test_a_taken_port_is_refused_with_a_message() -> None:
    import socket

    from redqueen.cli.serve import _check_port

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RedqueenError, match=f"port {port} on 127.0.0.1 is taken"):
            _check_port("127.0.0.1", port)
