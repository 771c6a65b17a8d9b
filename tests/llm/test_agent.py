"""LLMAgent without a network: re-asks with feedback, then forfeit / random / default,
with the invalid moves and forfeits counted per seat by the match."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

import redqueen
from redqueen.agents import FirstLegalAgent, make_agent
from redqueen.agents.llm import Completion, LLMAgent, LLMMove
from redqueen.agents.llm.backends import Backend, Message
from redqueen.agents.llm.prompts import legal_moves_in
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.play import MatchResult, aplay_match, play_match


class ScriptedReplies(Backend):
    """Answers with the given replies in order (then with the first legal move listed),
    and keeps every request."""

    key = "fake"

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        temperature: float,
        max_tokens: int,
        seed: int | None = None,
        response_format: dict[str, Any] | None = None,
    ) -> Completion:
        self.requests.append(
            {"messages": list(messages), "seed": seed, "response_format": response_format}
        )
        if self.replies:
            return Completion(self.replies.pop(0), 10, 2, 0.0)
        first = legal_moves_in(messages[-1]["content"])[0]
        return Completion(f"\\boxed{{{first}}}", 10, 2, 0.0)


def llm(replies: Sequence[str], **params: Any) -> tuple[LLMAgent, ScriptedReplies]:
    agent = LLMAgent(model="fake", api_key_env=None, cache=False, **params)
    backend = ScriptedReplies(replies)
    agent.backend = backend
    return agent, backend


def test_valid_first_reply_is_a_plain_action() -> None:
    agent, backend = llm(["\\boxed{b2}"])
    result = play_match(redqueen.make("tic_tac_toe"), [agent, FirstLegalAgent()], seed=0)
    assert result.trajectory[0].action == 4
    assert len(backend.requests) == len(result.trajectory[::2])  # one request per x move
    assert result.invalid_moves == (0, 0)
    system, user = backend.requests[0]["messages"]
    assert system["role"] == "system" and "Tic-tac-toe is played" in system["content"]
    assert "- a1\n- b1\n- c1\n- a2\n- b2" in user["content"]


def test_reask_with_feedback_then_valid_counts_one_invalid_move() -> None:
    game = redqueen.make("tic_tac_toe")
    agent, backend = llm(["I like the middle", "\\boxed{ B2 }"], reasks=2)
    result = play_match(game, [agent, FirstLegalAgent()], seed=3, on_invalid="raise")
    assert result.trajectory[0].action == 4
    assert result.invalid_moves == (1, 0)
    assert result.forfeits == ()
    second = backend.requests[1]["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[2]["content"] == "I like the middle"
    assert second[3]["content"].startswith(
        "Your answer was not accepted: no \\boxed{...} was found in your reply"
    )
    assert backend.requests[1]["seed"] == backend.requests[0]["seed"] + 1


def test_forfeit_after_reasks_ends_the_match_as_a_loss() -> None:
    game = redqueen.make("tic_tac_toe")
    agent, backend = llm(["\\boxed{z9}", "\\boxed{z9}", "\\boxed{z9}"], reasks=2)
    result = play_match(game, [FirstLegalAgent(), agent], seed=0)
    assert len(backend.requests) == 3
    assert result.returns == (1.0, -1.0)  # min utility, and zero-sum for the other seat
    assert result.invalid_moves == (0, 3)
    assert result.forfeits == (0, 1)
    assert result.length == 1  # seat 0 moved once, then seat 1 gave up
    assert MatchResult.from_dict(result.to_dict()) == result
    # standings count the forfeit apart from the loss it also is
    from redqueen.measure.standings import standings

    rows = {s.name: s for s in standings(["first", "llm"], [((0, 1), result)])}
    assert (rows["llm"].forfeits, rows["llm"].record.losses, rows["first"].forfeits) == (1, 1, 0)


def test_forfeit_value_and_general_sum_games_keep_the_others_returns() -> None:
    game = redqueen.make("repeated", stage="prisoners_dilemma", rounds=3)
    replies = ["\\boxed{defect}", "\\boxed{cooperate}", "garbage"]
    agent, _ = llm(replies, reasks=0, forfeit_value=-5)
    result = asyncio.run(aplay_match(game, [agent, FirstLegalAgent()], seed=0))
    # round 1: defect vs cooperate (5, 0); round 2: (3, 3); round 3: seat 0 forfeits
    assert result.returns == (-5.0, 3.0)
    assert result.invalid_moves == (1, 0)
    assert result.forfeits == (1, 0)


def test_random_fallback_is_seeded_and_counted() -> None:
    game = redqueen.make("tic_tac_toe")
    picks = []
    for _ in range(2):
        agent, _ = llm(["??", "still ??"] * 5, reasks=1, on_invalid="random")
        result = play_match(game, [agent, FirstLegalAgent()], seed=11)
        picks.append(result.trajectory)
        assert result.invalid_moves[0] == 2 * sum(1 for s in result.trajectory[::2])
        assert result.forfeits == ()
    assert picks[0] == picks[1]


def test_default_move_then_first_legal_when_the_default_is_taken() -> None:
    game = redqueen.make("tic_tac_toe")
    agent, _ = llm(["nope"] * 5, reasks=0, on_invalid="default", default_move="b2")
    result = play_match(game, [agent, FirstLegalAgent()], seed=0)
    # b2 first; then b2 is taken and the first legal cell is played
    x_moves = [s.action for s in result.trajectory[::2]]
    assert x_moves[:2] == [4, 1]
    assert result.invalid_moves == (len(x_moves), 0)


def test_llm_move_is_an_int_with_counts() -> None:
    move = LLMMove(4, invalid_moves=2)
    assert move == 4 and move.invalid_moves == 2 and not move.forfeit
    import pickle

    again = pickle.loads(pickle.dumps(LLMMove(-1, 3, True, -2.0)))
    assert (int(again), again.invalid_moves, again.forfeit, again.forfeit_value) == (
        -1,
        3,
        True,
        -2,
    )


def test_json_format_sends_a_schema_of_the_legal_moves() -> None:
    agent, backend = llm(['{"move": "defect"}'], answer_format="json")
    game = redqueen.make("prisoners_dilemma")
    result = play_match(game, [agent, FirstLegalAgent()], seed=0)
    assert result.trajectory[0].action[0] == 1
    schema = backend.requests[0]["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["move"]["enum"] == ["cooperate", "defect"]


def test_registered_and_parameters_checked_before_anything_runs() -> None:
    agent = make_agent("llm", model="m", base_url="http://localhost:1/v1", api_key_env=None)
    assert agent.spec().params == {
        "model": "m",
        "base_url": "http://localhost:1/v1",
        "api_key_env": None,
    }
    with pytest.raises(UnknownNameError, match="parameter of agent 'llm'"):
        make_agent("llm", modle="m")
    bad = [
        ({"answer_format": "xml"}, "allowed: boxed, tags, json"),
        ({"on_invalid": "skip"}, "allowed: forfeit, random, default"),
        ({"on_invalid": "default"}, "needs default_move"),
        ({"temperature": 3}, r"\[0, 2\]"),
        ({"reasks": -1}, "0..100"),
        ({"max_concurrency": 0}, "1..10000"),
        ({"backend": "vllm"}, "allowed: openai, transformers"),
        ({"prices": {"m": [1.0]}}, "dollars per 1M input tokens"),
    ]
    for params, message in bad:
        with pytest.raises(InvalidParameterError, match=message):
            LLMAgent(model="m", **params)


def test_missing_key_variable_is_a_clear_error_before_the_first_move(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from redqueen.agents.llm import BackendConfigError

    monkeypatch.delenv("RQ_TEST_NO_SUCH_KEY", raising=False)
    agent = LLMAgent(model="m", api_key_env="RQ_TEST_NO_SUCH_KEY")
    with pytest.raises(BackendConfigError, match=r"RQ_TEST_NO_SUCH_KEY .* is not set"):
        play_match(redqueen.make("tic_tac_toe"), [agent, FirstLegalAgent()])


def test_a_key_pasted_as_api_key_env_is_refused_and_not_echoed() -> None:
    with pytest.raises(InvalidParameterError, match="NAME of an environment variable") as info:
        LLMAgent(model="m", base_url="http://127.0.0.1:1/v1", api_key_env="sk-proj-s3cr3t")
    assert "s3cr3t" not in str(info.value)
    LLMAgent(model="m", base_url="http://127.0.0.1:1/v1", api_key_env="MY_KEY_1")  # a name
