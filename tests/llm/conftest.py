"""Fixtures of the LLM-player tests: the scripted test server, in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from redqueen.agents.llm.test_server import ScriptedServer


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer("first") as s:
        yield s
