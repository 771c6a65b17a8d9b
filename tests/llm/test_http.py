"""The real HTTP path: the openai client against the in-process scripted test server."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

import redqueen
from redqueen.agents import Agent, FirstLegalAgent, Observation
from redqueen.agents.llm import BackendConfigError, BackendError, LLMAgent
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.errors import UnknownNameError
from redqueen.play import aplay_match, play_match


def agent_for(server: ScriptedServer, **params: object) -> LLMAgent:
    options: dict[str, object] = {"api_key_env": None, "backoff": 0.01, "cache": False}
    options.update(params)
    return LLMAgent(model="scripted", base_url=server.url, **options)  # type: ignore[arg-type]


class DefectThenCooperate(Agent):
    name = "defect_then_cooperate"

    def act(self, obs: Observation) -> int:
        return 1 if not obs.history else 0


def test_tic_tac_toe_over_http(server: ScriptedServer) -> None:
    game = redqueen.make("tic_tac_toe")
    result = play_match(game, [agent_for(server), agent_for(server, answer_format="tags")])
    # both take the first empty cell: x gets c1, b2, a3 (a diagonal) on its fourth move
    assert [s.action for s in result.trajectory] == [0, 1, 2, 3, 4, 5, 6]
    assert result.returns == (1.0, -1.0)
    assert result.invalid_moves == (0, 0)
    assert server.requests == server.answered == 7


def test_repeated_prisoners_dilemma_copy_is_tit_for_tat() -> None:
    game = redqueen.make("repeated", stage="prisoners_dilemma", rounds=4)
    with ScriptedServer("copy") as server:
        llm = agent_for(server, answer_format="json")
        result = asyncio.run(aplay_match(game, [llm, DefectThenCooperate()], seed=5))
    assert [s.action for s in result.trajectory] == [(0, 1), (1, 0), (0, 0), (0, 0)]
    assert result.returns == (0 + 5 + 3 + 3, 5 + 0 + 3 + 3)


def test_retries_on_429_and_500_then_succeed(server: ScriptedServer) -> None:
    server.inject(429, 2)
    server.inject(500, 1)
    server.inject(503, 1)
    game = redqueen.make("prisoners_dilemma")
    result = play_match(game, [agent_for(server), FirstLegalAgent()])
    assert result.trajectory[0].action == (0, 0)
    assert server.requests == 5 and server.answered == 1


def test_retries_run_out_with_a_backend_error(server: ScriptedServer) -> None:
    server.inject(500, 10)
    game = redqueen.make("prisoners_dilemma")
    with pytest.raises(BackendError, match=r"no reply after 3 attempts.*500"):
        play_match(game, [agent_for(server, max_retries=2), FirstLegalAgent()])
    assert server.requests == 3


def test_bad_credentials_and_unknown_model(monkeypatch: pytest.MonkeyPatch) -> None:
    game = redqueen.make("prisoners_dilemma")
    monkeypatch.setenv("RQ_TEST_KEY", "sk-wrong-0123456789")
    with ScriptedServer(api_key="sk-right-9876543210", models=["m1"]) as server:
        agent = LLMAgent(model="m1", base_url=server.url, api_key_env="RQ_TEST_KEY")
        with pytest.raises(BackendConfigError, match=r"bad credentials.*\$RQ_TEST_KEY") as err:
            play_match(game, [agent, FirstLegalAgent()])
        assert "sk-" not in str(err.value)
        monkeypatch.setenv("RQ_TEST_KEY", "sk-right-9876543210")
        unknown = LLMAgent(model="m2", base_url=server.url, api_key_env="RQ_TEST_KEY")
        with pytest.raises(BackendConfigError, match="unknown model 'm2'"):
            play_match(game, [unknown, FirstLegalAgent()])
        good = LLMAgent(model="m1", base_url=server.url, api_key_env="RQ_TEST_KEY")
        assert play_match(game, [good, FirstLegalAgent()]).returns == (3.0, 3.0)


def test_requests_in_flight_are_bounded_per_server() -> None:
    game = redqueen.make("prisoners_dilemma")
    with ScriptedServer("random", delay=0.05) as server:
        agents = [agent_for(server, max_concurrency=3) for _ in range(2)]

        async def many() -> list[object]:
            return await asyncio.gather(
                *(aplay_match(game, [agents[k % 2], FirstLegalAgent()], seed=k) for k in range(12))
            )

        results = asyncio.run(many())
    assert len(results) == 12
    assert server.answered == 12
    assert server.peak_in_flight == 3  # two agents, one server: one bound of 3


def test_server_models_seeds_and_malformed_replies() -> None:
    with ScriptedServer("random", malformed_rate=1.0, seed=3) as server:
        with urllib.request.urlopen(server.url + "/models") as response:
            listing = json.loads(response.read())
        assert [m["id"] for m in listing["data"]] == ["scripted"]
        game = redqueen.make("tic_tac_toe")
        agent = agent_for(server, reasks=1)
        result = play_match(game, [agent, FirstLegalAgent()])
        assert result.forfeits == (1, 0) and result.invalid_moves == (2, 0)
    request = {
        "seed": 7,
        "messages": [{"role": "user", "content": "Legal moves (answer with exactly one of them):"
                      "\n- a\n- b\n- c"}],
    }  # fmt: skip
    replies = {ScriptedServer("random", seed=1).reply_for(request) for _ in range(3)}
    assert len(replies) == 1 and replies.pop() in {"a", "b", "c"}
    with pytest.raises(UnknownNameError, match="allowed: copy, first, last, random"):
        ScriptedServer("tit_for_two_tats")


def test_serve_scripted_command_says_it_is_a_test_server_and_serves() -> None:
    import socket
    import subprocess
    import sys
    import time

    from typer.testing import CliRunner

    from redqueen.cli import app

    help_text = CliRunner().invoke(app, ["serve-scripted", "--help"]).output
    assert "TEST server" in help_text and "--malformed-rate" in help_text
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [sys.executable, "-m", "redqueen.cli", "serve-scripted", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--strategy", "last"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        url = f"http://127.0.0.1:{port}/v1"
        for _ in range(200):
            try:
                with urllib.request.urlopen(url + "/models", timeout=1) as response:
                    assert json.loads(response.read())["data"][0]["id"] == "scripted"
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("the test server did not start")
        agent = LLMAgent(model="scripted", base_url=url, api_key_env=None, cache=False)
        result = play_match(redqueen.make("prisoners_dilemma"), [agent, FirstLegalAgent()])
        assert result.trajectory[0].action == (1, 0)  # "last": defect
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert b"TEST server" in err
