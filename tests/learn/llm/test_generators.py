"""The sampler: exact stopping and padding, seeds, greedy decoding, and the agreement of
its recorded logprobs with the learner's scoring (token in, token out)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
import torch

from redqueen.errors import InvalidParameterError
from redqueen.learn.llm.generators import (
    Generation,
    TransformersGenerator,
    completion_logprobs,
    sequence_logprobs,
)
from redqueen.learn.llm.tiny import EOS_ID, build_tiny_model, load_model, word_tokenizer

WORDS = [f"w{i}" for i in range(28)]
VOCAB = len(WORDS) + 4


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    return load_model(build_tiny_model(tmp_path_factory.mktemp("tiny"), WORDS, seed=1))


def _prompts(seed: int, lengths: list[int]) -> list[list[int]]:
    draw = torch.Generator().manual_seed(seed)
    return [torch.randint(4, VOCAB, (n,), generator=draw).tolist() for n in lengths]


class CounterModel(torch.nn.Module):
    """A stand-in causal LM whose next token is (last token + 1) mod vocabulary, all but
    certainly: sampling from it is deterministic, so stopping can be checked exactly."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(
        self,
        input_ids: Any,
        attention_mask: Any = None,
        position_ids: Any = None,
        cache: Any = None,
        use_cache: bool = False,
    ) -> Any:
        logits = torch.full((*input_ids.shape, VOCAB), -60.0)
        logits.scatter_(2, ((input_ids + 1) % VOCAB)[:, :, None], 60.0)
        return SimpleNamespace(logits=logits, cache="cache" if use_cache else None)


@pytest.mark.parametrize("use_cache", [True, False])
def test_rows_stop_at_eos_or_a_stop_id_or_the_limit(use_cache: bool) -> None:
    generator = TransformersGenerator(CounterModel(), word_tokenizer(WORDS), use_cache=use_cache)
    prompts = [[9, 1], [5, 6, 7], [20], [30, 31]]  # 1 -> 2 -> 3 (eos); 31 -> 0 -> 1 -> ...
    out = generator.generate(prompts, max_new_tokens=4, temperature=1.0, seed=0, stop_ids=[22])
    assert out == [
        Generation([2, 3], [0.0, 0.0], "stop"),
        Generation([8, 9, 10, 11], [0.0] * 4, "length"),
        Generation([21, 22], [0.0, 0.0], "stop"),
        Generation([0, 1, 2, 3], [0.0] * 4, "stop"),  # eos on the last allowed token
    ]
    assert EOS_ID == 3


def test_generation_shapes_and_finish_reasons_on_the_tiny_model(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    generator = TransformersGenerator(model, tokenizer)
    prompts = _prompts(0, [3, 1, 8, 5, 2, 6] * 3)
    out = generator.generate(prompts, max_new_tokens=5, temperature=1.5, seed=4)
    assert len(out) == len(prompts)
    for g in out:
        assert 1 <= len(g.completion_ids) <= 5 and len(g.logprobs) == len(g.completion_ids)
        assert all(lp <= 0.0 for lp in g.logprobs)
        assert all(0 <= t < VOCAB for t in g.completion_ids)
        assert EOS_ID not in g.completion_ids[:-1]
        ended = g.completion_ids[-1] == EOS_ID
        assert g.finish_reason == ("stop" if ended else "length")
        assert ended or len(g.completion_ids) == 5
    assert [len(g.completion_ids) for g in out] != [5] * len(out)  # some row stopped early
    every_word = generator.generate(
        prompts, max_new_tokens=5, temperature=1.0, seed=4, stop_ids=range(VOCAB)
    )
    assert all(len(g.completion_ids) == 1 and g.finish_reason == "stop" for g in every_word)
    assert model.training is False


def test_same_seed_same_completions_another_seed_others(tiny: tuple[Any, Any]) -> None:
    generator = TransformersGenerator(*tiny)
    prompts = _prompts(1, [4, 2, 7, 3, 5, 1, 6, 2])

    def ids(seed: int) -> list[list[int]]:
        out = generator.generate(prompts, max_new_tokens=6, temperature=1.0, seed=seed)
        return [g.completion_ids for g in out]

    assert ids(7) == ids(7)
    assert ids(7) != ids(8)


@pytest.mark.parametrize("use_cache", [True, False])
@pytest.mark.parametrize("temperature", [1.0, 0.7, 0.0])
def test_recorded_logprobs_equal_the_learner_scoring(
    tiny: tuple[Any, Any], use_cache: bool, temperature: float
) -> None:
    model, tokenizer = tiny
    generator = TransformersGenerator(model, tokenizer, use_cache=use_cache)
    prompts = _prompts(2, [1, 7, 3, 12, 5, 9, 2])
    out = generator.generate(prompts, max_new_tokens=8, temperature=temperature, seed=5)
    completions = [g.completion_ids for g in out]
    with torch.no_grad():
        scored = sequence_logprobs(model, prompts, completions, temperature)
        elsewhere = sequence_logprobs(model, prompts, completions, temperature + 0.3)
    gaps = [
        (torch.tensor(g.logprobs) - s).abs().max().item() for g, s in zip(out, scored, strict=True)
    ]
    assert max(gaps) < 1e-5
    assert [len(s) for s in scored] == [len(c) for c in completions]
    assert (
        max(
            (torch.tensor(g.logprobs) - s).abs().max().item()
            for g, s in zip(out, elsewhere, strict=True)
        )
        > 1e-3
    )


def test_cache_does_not_change_what_is_sampled(tiny: tuple[Any, Any]) -> None:
    prompts = _prompts(3, [2, 9, 4, 6])
    runs = [
        TransformersGenerator(*tiny, use_cache=c).generate(
            prompts, max_new_tokens=8, temperature=1.0, seed=9
        )
        for c in (True, False)
    ]
    assert [g.completion_ids for g in runs[0]] == [g.completion_ids for g in runs[1]]


def test_temperature_zero_is_greedy_and_records_temperature_one(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    prompts = _prompts(4, [3, 6, 1, 4])
    out = TransformersGenerator(model, tokenizer).generate(
        prompts, max_new_tokens=6, temperature=0.0, seed=0
    )
    for prompt, g in zip(prompts, out, strict=True):
        ids = torch.tensor([prompt + g.completion_ids])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
        n = len(prompt)
        steps = logits[n - 1 : n - 1 + len(g.completion_ids)]
        assert g.completion_ids == steps.argmax(-1).tolist()
        at_one = torch.log_softmax(steps, -1).gather(1, torch.tensor(g.completion_ids)[:, None])
        assert torch.allclose(torch.tensor(g.logprobs), at_one[:, 0], atol=1e-5)


def test_scoring_pads_and_reports_entropy(tiny: tuple[Any, Any]) -> None:
    model, _ = tiny
    with torch.no_grad():
        logprobs, mask, entropy = completion_logprobs(
            model, [[5, 6], [7]], [[8, 9, 10], [11]], 1.0, with_entropy=True
        )
        alone = sequence_logprobs(model, [[7]], [[11]], 1.0)[0]
    assert mask.tolist() == [[True, True, True], [True, False, False]]
    assert logprobs[1, 1:].tolist() == [0.0, 0.0] and entropy is not None
    assert torch.allclose(logprobs[1, :1], alone, atol=1e-6)
    assert bool(((entropy > 0) == mask).all()) and float(entropy.max()) <= torch.log(
        torch.tensor(float(VOCAB))
    )


def test_bad_requests_are_refused_clearly(tiny: tuple[Any, Any]) -> None:
    generator = TransformersGenerator(*tiny)
    with pytest.raises(InvalidParameterError, match="none of them empty"):
        generator.generate([[4], []], max_new_tokens=2, temperature=1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="max_new_tokens"):
        generator.generate([[4]], max_new_tokens=0, temperature=1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="temperature"):
        generator.generate([[4]], max_new_tokens=2, temperature=-1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="one each"):
        sequence_logprobs(tiny[0], [[4]], [[5], [6]], 1.0)
