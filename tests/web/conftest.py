"""Fixtures of the ``redqueen serve`` tests: small stored runs (tic-tac-toe, Kuhn poker,
an LLM match against the scripted test server) and an HTTP test client on the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.experiments import parse_recipe


def run_tournament(out: Path, game: str, agents: list[Any], games: int, **fields: Any) -> None:
    recipe = {"name": out.name, "kind": "tournament", "game": game, "agents": agents}
    parse_recipe({**recipe, "games_per_pairing": games, "seed": 0, **fields}).run(out)


@pytest.fixture(scope="session")
def scripted() -> Iterator[ScriptedServer]:
    with ScriptedServer("first") as server:
        yield server


def llm_spec(server: ScriptedServer, **extra: Any) -> dict[str, Any]:
    params = {"model": "scripted", "base_url": server.url, "api_key_env": None, "backoff": 0.01}
    return {"kind": "llm", "params": {**params, **extra}, "name": "llm"}


@pytest.fixture(scope="session")
def runs_root(tmp_path_factory: pytest.TempPathFactory, scripted: ScriptedServer) -> Path:
    """``runs/ttt`` (random v first, 2 matches), ``runs/kuhn`` (2 matches) and
    ``runs/llm`` (an LLM player v random at tic-tac-toe, 1 match)."""
    root = tmp_path_factory.mktemp("served") / "runs"
    run_tournament(root / "ttt", "tic_tac_toe", ["random", "first"], 2)
    run_tournament(root / "kuhn", "kuhn_poker", ["random", "first"], 2)
    run_tournament(root / "llm", "tic_tac_toe", [llm_spec(scripted), "random"], 1)
    return root


@pytest.fixture(scope="session")
def llm_opponent(scripted: ScriptedServer) -> str:
    """The LLM player on the scripted test server, as an agent spec string."""
    params = llm_spec(scripted)["params"]
    return "llm:" + ",".join(f"{k}={'null' if v is None else v}" for k, v in params.items())


@pytest.fixture
def make_client(tmp_path: Path, runs_root: Path) -> Callable[..., Any]:
    """A client of a new app over ``runs_root``; browser matches go to ``tmp_path``."""
    from fastapi.testclient import TestClient

    from redqueen.web.app import ServeConfig, create_app

    def make(**config: Any) -> TestClient:
        config.setdefault("run_dirs", [runs_root])
        config.setdefault("human_dir", tmp_path / "human")
        return TestClient(create_app(ServeConfig(**config)))

    return make
