"""The remote generator against a completions server backed by the in-process generator:
the same ids and logprobs for the same per-row seeds, the same self-play records, bounded
concurrency with answers in order, model names for adapters, and loud failures
(unreachable, silent, no token ids, HTTP errors, retries)."""

from __future__ import annotations

import importlib.util
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

import redqueen
from redqueen.agents import RandomAgent
from redqueen.errors import InvalidParameterError
from redqueen.learn.llm.collector import (
    Collector,
    PolicySeat,
    Prompter,
    prompt_vocabulary,
    protocol,
)
from redqueen.learn.llm.generators import TransformersGenerator
from redqueen.learn.llm.tiny import build_tiny_model, load_model

pytest.importorskip("openai", reason="the llm extra is not installed: pip install 'redqueen[llm]'")

from redqueen.learn.llm.remote import OpenAICompatibleGenerator, RemoteGeneratorError

KUHN = redqueen.make("kuhn_poker")


def _server_module() -> ModuleType:
    """``completions_server.py`` beside this file (the tests are not a package)."""
    path = Path(__file__).with_name("completions_server.py")
    spec = importlib.util.spec_from_file_location("redqueen_test_completions_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


CompletionsServer = _server_module().CompletionsServer


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TransformersGenerator]:
    """Two tiny models over Kuhn poker's words: the base and a stand-in for an adapter."""
    words = prompt_vocabulary([KUHN], "plain")
    out = {}
    for name, seed in (("base", 2), ("adapter-1", 3)):
        path = build_tiny_model(tmp_path_factory.mktemp(name), words, seed=seed)
        out[name] = TransformersGenerator(*load_model(path))
    return out


@pytest.fixture
def server(local: dict[str, TransformersGenerator]) -> Iterator[Any]:
    with CompletionsServer(local) as s:
        yield s


def _prompts(seed: int, lengths: list[int], vocab: int) -> list[list[int]]:
    draw = torch.Generator().manual_seed(seed)
    return [torch.randint(4, vocab, (n,), generator=draw).tolist() for n in lengths]


def _remote(url: str, **options: Any) -> OpenAICompatibleGenerator:
    options = {"timeout": 10.0, "backoff": 0.01, **options}
    return OpenAICompatibleGenerator(url, "base", **options)


@pytest.mark.parametrize("temperature", [1.0, 0.7, 0.0])
def test_ids_and_logprobs_are_those_of_the_in_process_generator(
    server: Any, local: dict[str, TransformersGenerator], temperature: float
) -> None:
    vocab = len(local["base"].tokenizer)
    prompts = _prompts(1, [3, 9, 1, 6, 4, 12, 2, 7], vocab)
    seeds = [11, 5, 2**31 + 7, 0, 42, 9, 13, 77]
    stops = [9, 10, 11, 12, 13, 14]
    kwargs: dict[str, Any] = {"max_new_tokens": 6, "temperature": temperature, "stop_ids": stops}
    remote = _remote(server.url).generate(prompts, seed=seeds, **kwargs)
    expected = local["base"].generate(prompts, seed=seeds, **kwargs)
    assert [g.completion_ids for g in remote] == [g.completion_ids for g in expected]
    assert [g.finish_reason for g in remote] == [g.finish_reason for g in expected]
    gaps = [
        abs(a - b)
        for r, e in zip(remote, expected, strict=True)
        for a, b in zip(r.logprobs, e.logprobs, strict=True)
    ]
    assert max(gaps) < 1e-6  # left padding in the batch moves float32 logits by ~5e-7
    one_by_one = [
        local["base"].generate([p], seed=[s], **kwargs)[0]
        for p, s in zip(prompts, seeds, strict=True)
    ]
    assert remote == one_by_one  # what the server computed, exactly: JSON loses nothing
    if temperature > 0:  # both endings occur, so finish reasons are really compared
        assert {g.finish_reason for g in remote} == {"stop", "length"}
    sent = sorted((tuple(r["prompt"]), r["seed"]) for r in server.received)
    assert sent == sorted((tuple(p), s) for p, s in zip(prompts, seeds, strict=True))
    (first,) = [r for r in server.received if r["seed"] == seeds[0]]
    assert first["prompt"] == prompts[0] and first["model"] == "base"
    assert first["logprobs"] == 0 and first["return_tokens_as_token_ids"] is True
    assert first["stop_token_ids"] == stops and first["max_tokens"] == 6
    assert (first["top_p"], first["top_k"], first["min_p"]) == (1.0, -1, 0.0)


def test_one_seed_gives_each_row_its_own_stream(server: Any) -> None:
    generator = _remote(server.url)
    prompts = [[5, 6, 7]] * 6
    first = generator.generate(prompts, max_new_tokens=5, temperature=1.0, seed=3)
    again = generator.generate(prompts, max_new_tokens=5, temperature=1.0, seed=3)
    assert [g.completion_ids for g in first] == [g.completion_ids for g in again]
    assert len({tuple(g.completion_ids) for g in first}) > 1  # not one seed for every row
    assert len({r["seed"] for r in server.received[:6]}) == 6


@pytest.mark.parametrize("limit", [1, 3])
def test_requests_in_flight_are_bounded_and_answers_keep_their_order(
    local: dict[str, TransformersGenerator], limit: int
) -> None:
    vocab = len(local["base"].tokenizer)
    prompts = _prompts(2, [2, 8, 3, 5, 1, 6, 4], vocab)
    seeds = list(range(100, 107))
    longer_sooner = lambda request: 0.25 / len(request["prompt"])  # noqa: E731
    with CompletionsServer(local, delay=longer_sooner) as server:
        remote = _remote(server.url, max_concurrency=limit).generate(
            prompts, max_new_tokens=4, temperature=1.0, seed=seeds
        )
    assert server.peak_in_flight == limit
    finished = [r["seed"] for r in server.answered]
    assert (finished != seeds) == (limit > 1)  # answers overtook each other, or could not
    expected = local["base"].generate(prompts, max_new_tokens=4, temperature=1.0, seed=seeds)
    assert [g.completion_ids for g in remote] == [g.completion_ids for g in expected]


def test_model_names_select_the_served_adapter(
    server: Any, local: dict[str, TransformersGenerator]
) -> None:
    vocab = len(local["base"].tokenizer)
    prompts = _prompts(3, [4, 2, 7], vocab)
    kwargs: dict[str, Any] = {"max_new_tokens": 5, "temperature": 1.0, "seed": [1, 2, 3]}
    unnamed = OpenAICompatibleGenerator(server.url)  # the first model the server lists
    adapter = unnamed.with_model("adapter-1")
    ids = {
        "unnamed": [g.completion_ids for g in unnamed.generate(prompts, **kwargs)],
        "adapter": [g.completion_ids for g in adapter.generate(prompts, **kwargs)],
        "per call": [
            g.completion_ids for g in unnamed.generate(prompts, model="adapter-1", **kwargs)
        ],
    }
    base = [g.completion_ids for g in local["base"].generate(prompts, **kwargs)]
    other = [g.completion_ids for g in local["adapter-1"].generate(prompts, **kwargs)]
    assert base != other
    assert ids == {"unnamed": base, "adapter": other, "per call": other}
    assert [r["model"] for r in server.received] == ["base"] * 3 + ["adapter-1"] * 6
    assert unnamed.model is None and adapter.model == "adapter-1"
    with pytest.raises(RemoteGeneratorError, match=r"HTTP 404 \(model 'nope'\).*LoRA adapter"):
        unnamed.with_model("nope").generate(prompts, **kwargs)


def test_a_collector_plays_the_same_games_through_the_server(
    server: Any, local: dict[str, TransformersGenerator]
) -> None:
    tok = local["base"].tokenizer
    games = [
        (KUHN, [[PolicySeat(0), PolicySeat(0)], [PolicySeat(0), RandomAgent()]][k % 2])
        for k in range(8)
    ]
    rules = protocol("plain", max_new_tokens=3, error_allowance=4)  # invalid replies re-asked

    def play(generator: Any) -> list[Any]:
        collector = Collector(rules, {0: generator}, Prompter(tok, "plain"))
        return collector.play(games, seed=7)

    remote = play(_remote(server.url, max_concurrency=4))
    inline = play(local["base"])
    assert [r.to_dict() for r in remote] == [r.to_dict() for r in inline]
    for a, b in zip(remote, inline, strict=True):
        assert [s.completion_ids for s in a.samples] == [s.completion_ids for s in b.samples]
        assert [s.prompt_ids for s in a.samples] == [s.prompt_ids for s in b.samples]
        for s, t in zip(a.samples, b.samples, strict=True):
            assert s.sampler_logprobs == pytest.approx(t.sampler_logprobs, abs=1e-6)
    assert sum(len(r.samples) for r in remote) > len(games)  # re-asked after invalid replies
    assert any(sum(r.valid_moves) for r in remote)
    assert any(r.invalid_by is not None for r in remote)
    assert len(server.received) == sum(len(r.samples) for r in remote)  # a request a decision


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_server_fails_fast_and_says_what_to_check() -> None:
    url = f"http://127.0.0.1:{_free_port()}/v1"
    start = time.perf_counter()
    with pytest.raises(RemoteGeneratorError) as caught:
        _remote(url, max_retries=2).generate([[5, 6]], max_new_tokens=2, temperature=1.0, seed=0)
    assert time.perf_counter() - start < 3.0
    message = str(caught.value)
    assert f"cannot reach the completions server at {url}/completions (3 attempts" in message
    assert "running" in message and "port" in message


def test_a_silent_server_times_out_instead_of_hanging() -> None:
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        start = time.perf_counter()
        with pytest.raises(RemoteGeneratorError, match=r"no answer within 0.3 s \(1 attempt\)"):
            _remote(url, timeout=0.3, max_retries=0).generate(
                [[5, 6]], max_new_tokens=2, temperature=1.0, seed=0
            )
        assert time.perf_counter() - start < 3.0


@pytest.mark.parametrize(
    ("style", "complaint"),
    [("text", "returned tokens as text"), ("no_logprobs", "returned no token logprobs")],
)
def test_a_reply_without_token_ids_is_refused_with_what_the_server_must_support(
    local: dict[str, TransformersGenerator], style: str, complaint: str
) -> None:
    with (
        CompletionsServer(local, reply_style=style) as server,
        pytest.raises(RemoteGeneratorError) as caught,
    ):
        _remote(server.url).generate([[5, 6]], max_new_tokens=3, temperature=1.0, seed=0)
    message = str(caught.value)
    assert complaint in message and "return_tokens_as_token_ids" in message
    assert "--logprobs-mode processed_logprobs" in message


def test_a_503_is_retried_and_then_the_reply_is_used(
    server: Any, local: dict[str, TransformersGenerator]
) -> None:
    server.inject(503, count=2)
    out = _remote(server.url, max_retries=2).generate(
        [[5, 6, 7]], max_new_tokens=4, temperature=1.0, seed=[9]
    )
    assert len(server.received) == 3
    expected = local["base"].generate([[5, 6, 7]], max_new_tokens=4, temperature=1.0, seed=[9])
    assert out == expected


def test_retries_are_bounded_and_client_errors_are_not_retried(server: Any) -> None:
    generator = _remote(server.url, max_retries=2)
    server.inject(503, count=3)
    with pytest.raises(RemoteGeneratorError, match=r"HTTP 503 after 3 attempts: injected HTTP 503"):
        generator.generate([[5]], max_new_tokens=2, temperature=1.0, seed=0)
    assert len(server.received) == 3
    server.inject(400, count=1)
    with pytest.raises(RemoteGeneratorError, match=r"refused the request \(HTTP 400\): injected"):
        generator.generate([[5]], max_new_tokens=2, temperature=1.0, seed=0)
    assert len(server.received) == 4


def test_the_key_comes_from_the_environment(
    local: dict[str, TransformersGenerator], monkeypatch: pytest.MonkeyPatch
) -> None:
    kwargs: dict[str, Any] = {"max_new_tokens": 2, "temperature": 1.0, "seed": 0}
    with CompletionsServer(local, api_key="sesame") as server:
        monkeypatch.delenv("RQ_TEST_KEY", raising=False)
        with pytest.raises(RemoteGeneratorError, match=r"RQ_TEST_KEY .* is not set"):
            _remote(server.url, api_key_env="RQ_TEST_KEY").generate([[5]], **kwargs)
        with pytest.raises(RemoteGeneratorError, match=r"HTTP 401.*api_key_env"):
            _remote(server.url).generate([[5]], **kwargs)
        monkeypatch.setenv("RQ_TEST_KEY", "sesame")
        (out,) = _remote(server.url, api_key_env="RQ_TEST_KEY").generate([[5]], **kwargs)
        assert 1 <= len(out.completion_ids) <= 2
    with pytest.raises(InvalidParameterError, match="NAME of an environment variable"):
        OpenAICompatibleGenerator(server.url, api_key_env="sk-not a name")


def test_bad_arguments_are_refused_before_any_request(server: Any) -> None:
    generator = _remote(server.url)
    with pytest.raises(InvalidParameterError, match="none of them empty"):
        generator.generate([[4], []], max_new_tokens=2, temperature=1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="max_new_tokens"):
        generator.generate([[4]], max_new_tokens=0, temperature=1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="temperature"):
        generator.generate([[4]], max_new_tokens=2, temperature=-0.5, seed=0)
    with pytest.raises(InvalidParameterError, match="2 seeds for 1 prompts"):
        generator.generate([[4]], max_new_tokens=2, temperature=1.0, seed=[1, 2])
    assert server.received == []
    for bad in ({"max_concurrency": 0}, {"timeout": 0.0}, {"max_retries": -1}):
        with pytest.raises(InvalidParameterError):
            OpenAICompatibleGenerator(server.url, **bad)
    with pytest.raises(InvalidParameterError, match="http://"):
        OpenAICompatibleGenerator("localhost:8000/v1")
