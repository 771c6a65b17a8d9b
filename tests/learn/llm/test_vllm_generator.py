"""The vLLM generator: its requests and answers on a stand-in for vLLM's API (any machine),
and the real engine's samples and logprobs where vLLM and a GPU are present."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import torch

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.learn.llm.generators import Generation, TransformersGenerator, sequence_logprobs
from redqueen.learn.llm.learner import apply_lora, load_adapter, save_adapter
from redqueen.learn.llm.tiny import EOS_ID, build_tiny_model, load_model
from redqueen.learn.llm.vllm_generator import (
    LOGPROBS_MODE,
    VLLMGenerator,
    VLLMUnavailableError,
)

WORDS = [f"w{i}" for i in range(28)]
VOCAB = len(WORDS) + 4


def _load_fake() -> ModuleType:
    """``fake_vllm.py`` beside this file (tests are imported by path, not as a package)."""
    spec = importlib.util.spec_from_file_location(
        "fake_vllm", Path(__file__).with_name("fake_vllm.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fake_vllm"] = module
    spec.loader.exec_module(module)
    return module


FAKE = _load_fake()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    return FAKE.install(monkeypatch)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny"), WORDS, seed=1)


def _adapter(model_dir: Path, directory: Path, seed: int, rank: int = 4) -> Path:
    """A LoRA adapter of the tiny model whose B matrices are random (not the identity)."""
    model, _ = load_model(model_dir)
    model = apply_lora(model, r=rank, alpha=2 * rank)
    draw = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.copy_(torch.randn(parameter.shape, generator=draw) * 0.5)
    return save_adapter(model, directory)


@pytest.fixture(scope="module")
def adapters(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return {v: _adapter(model_dir, root / f"v{v}", seed=10 + v) for v in (0, 1)}


def _prompts(seed: int, lengths: list[int]) -> list[list[int]]:
    draw = torch.Generator().manual_seed(seed)
    return [torch.randint(4, VOCAB, (n,), generator=draw).tolist() for n in lengths]


def _reference(model: Any, tokenizer: Any, prompts: list[list[int]], **kwargs: Any) -> Any:
    return TransformersGenerator(model, tokenizer).generate(prompts, **kwargs)


@pytest.mark.parametrize("temperature", [1.0, 0.7, 0.0])
def test_completions_equal_transformers_generator_for_the_same_row_seeds(
    fake: ModuleType, model_dir: Path, temperature: float
) -> None:
    generator = VLLMGenerator(model_dir)
    prompts = _prompts(0, [3, 1, 8, 5, 2, 6, 4, 9, 2, 5])
    seeds = [101, 7, 55, 3, 90, 12, 64, 8, 33, 21]
    asked = {"max_new_tokens": 6, "temperature": temperature, "seed": seeds, "stop_ids": [9]}
    ours = generator.generate(prompts, **asked)
    assert ours == _reference(*load_model(model_dir), prompts, **asked)
    # sampled rows stop at the end-of-sequence id, at stop id 9 and at the limit; greedy
    # rows of this random model all run to the limit
    stopped_by = {g.completion_ids[-1] for g in ours if g.finish_reason == "stop"}
    assert stopped_by == ({EOS_ID, 9} if temperature > 0 else set())
    assert "length" in {g.finish_reason for g in ours}
    (call,) = generator.llm.calls
    assert [p for p, _, _ in call] == prompts
    assert [s.seed for _, s, _ in call] == seeds
    assert {(s.logprobs, s.max_tokens, s.temperature, s.detokenize) for _, s, _ in call} == {
        (0, 6, temperature, False)
    }
    assert all(s.stop_token_ids == [9] and r is None for _, s, r in call)
    assert generator.llm.logprobs_mode == LOGPROBS_MODE == "processed_logprobs"


def test_a_stop_token_drawn_last_finishes_with_stop_as_vllm_reports_length(
    fake: ModuleType, model_dir: Path
) -> None:
    generator = VLLMGenerator(model_dir)
    prompts = _prompts(1, [2, 5, 3, 7])
    out = generator.generate(
        prompts, max_new_tokens=1, temperature=1.0, seed=[1, 2, 3, 4], stop_ids=range(VOCAB)
    )
    assert [o.outputs[0].finish_reason for o in generator.llm.outputs[-1]] == ["length"] * 4
    assert [(len(g.completion_ids), g.finish_reason) for g in out] == [(1, "stop")] * 4
    assert out == _reference(
        *load_model(model_dir),
        prompts,
        max_new_tokens=1,
        temperature=1.0,
        seed=[1, 2, 3, 4],
        stop_ids=range(VOCAB),
    )


def test_one_seed_gives_each_row_its_own_stream(fake: ModuleType, model_dir: Path) -> None:
    generator = VLLMGenerator(model_dir)
    same = [[4, 5, 6]] * 6

    def ids(seed: int) -> list[list[int]]:
        out = generator.generate(same, max_new_tokens=5, temperature=1.5, seed=seed)
        return [g.completion_ids for g in out]

    assert len({tuple(c) for c in ids(3)}) > 1  # identical prompts, different completions
    assert ids(3) == ids(3)
    assert ids(3) != ids(4)
    row_seeds = [s.seed for _, s, _ in generator.llm.calls[0]]
    assert len(set(row_seeds)) == 6


def test_an_adapter_view_samples_what_the_peft_model_samples(
    fake: ModuleType, model_dir: Path, adapters: dict[int, Path]
) -> None:
    generator = VLLMGenerator(model_dir, max_lora_rank=8)
    prompts = _prompts(2, [4, 2, 6, 3, 5, 1])
    asked: dict[str, Any] = {"max_new_tokens": 5, "temperature": 1.0, "seed": [5, 6, 7, 8, 9, 10]}
    adapted = generator.adapter(1, adapters[1]).generate(prompts, **asked)
    base_model, tokenizer = load_model(model_dir)
    peft_model = load_adapter(load_model(model_dir)[0], adapters[1]).eval()
    assert adapted == _reference(peft_model, tokenizer, prompts, **asked)
    base = generator.generate(prompts, **asked)
    assert base == _reference(base_model, tokenizer, prompts, **asked)
    assert [g.completion_ids for g in adapted] != [g.completion_ids for g in base]
    assert generator.adapter(None).generate(prompts, **asked) == base
    request = generator.llm.calls[0][0][2]
    assert (request.lora_name, request.lora_int_id) == ("policy-v1", 2)
    assert Path(request.lora_path) == adapters[1].resolve()


def test_lora_ids_are_distinct_per_version_and_never_change(
    fake: ModuleType, model_dir: Path, adapters: dict[int, Path]
) -> None:
    generator = VLLMGenerator(model_dir, max_lora_rank=8)
    for version, path in ((0, adapters[0]), (1, adapters[1]), (7, adapters[0])):
        generator.adapter(version, path)
    requests = {v: generator.lora_request(v) for v in (0, 1, 7)}
    assert {v: (r.lora_name, r.lora_int_id) for v, r in requests.items()} == {
        0: ("policy-v0", 1),
        1: ("policy-v1", 2),
        7: ("policy-v7", 8),
    }
    assert generator.adapter(1).version == 1  # registered: no path needed again
    generator.adapter(1, adapters[1])  # the same directory again is the same version
    assert generator.lora_request(1) is requests[1]
    assert generator.lora_request(None) is None
    with pytest.raises(InvalidParameterError, match=r"version 1 is served from .*new version"):
        generator.adapter(1, adapters[0])
    with pytest.raises(InvalidParameterError, match="version 2 has no adapter yet"):
        generator.adapter(2)
    with pytest.raises(UnknownNameError, match=r"policy version: '3'; allowed: 0, 1, 7, None"):
        generator.generate_mixed([[4]], [3], max_new_tokens=1, temperature=1.0, seed=0)
    with pytest.raises(InvalidParameterError, match="non-negative integer"):
        generator.adapter(-1, adapters[0])


def test_generate_mixed_serves_each_prompt_its_version_in_one_engine_call(
    fake: ModuleType, model_dir: Path, adapters: dict[int, Path]
) -> None:
    generator = VLLMGenerator(model_dir, max_lora_rank=8)
    views = {v: generator.adapter(v, adapters.get(v) if v is not None else None) for v in (0, 1)}
    views[None] = generator.adapter(None)
    versions: list[int | None] = [None, 0, 1, 0, None, 1, 1, 0]
    prompts = _prompts(3, [3, 1, 8, 5, 2, 6, 4, 7])
    seeds = list(range(100, 108))
    mixed = generator.generate_mixed(
        prompts, versions, max_new_tokens=6, temperature=0.8, seed=seeds, stop_ids=[12]
    )
    assert len(generator.llm.calls) == 1
    sent = [r.lora_int_id if r is not None else None for _, _, r in generator.llm.calls[0]]
    assert sent == [None, 1, 2, 1, None, 2, 2, 1]
    for version, view in views.items():
        rows = [i for i, v in enumerate(versions) if v == version]
        alone = view.generate(
            [prompts[i] for i in rows],
            max_new_tokens=6,
            temperature=0.8,
            seed=[seeds[i] for i in rows],
            stop_ids=[12],
        )
        assert [mixed[i] for i in rows] == alone
    assert len({tuple(g.completion_ids) for g in mixed}) > 4


def test_arguments_are_checked_before_the_engine_runs(
    fake: ModuleType, model_dir: Path, adapters: dict[int, Path], tmp_path: Path
) -> None:
    generator = VLLMGenerator(model_dir, max_lora_rank=8)
    asked: dict[str, Any] = {"max_new_tokens": 2, "temperature": 1.0, "seed": 0}
    with pytest.raises(InvalidParameterError, match="at least one prompt"):
        generator.generate([[4], []], **asked)
    with pytest.raises(InvalidParameterError, match="max_new_tokens must be at least 1"):
        generator.generate([[4]], max_new_tokens=0, temperature=1.0, seed=0)
    for temperature in (-0.5, 0.005):
        with pytest.raises(InvalidParameterError, match=r"0 \(greedy\) or at least 0.01"):
            generator.generate([[4]], max_new_tokens=1, temperature=temperature, seed=0)
    with pytest.raises(InvalidParameterError, match="2 seeds for 3 prompts"):
        generator.generate([[4], [5], [6]], max_new_tokens=1, temperature=1.0, seed=[1, 2])
    with pytest.raises(InvalidParameterError, match="vLLM reads -1 as no seed"):
        generator.generate([[4], [5]], max_new_tokens=1, temperature=1.0, seed=[1, -1])
    with pytest.raises(InvalidParameterError, match="1 versions for 2 prompts"):
        generator.generate_mixed([[4], [5]], [None], **asked)
    with pytest.raises(InvalidParameterError, match="no LoRA adapter at"):
        generator.adapter(0, tmp_path)
    wide = _adapter(model_dir, tmp_path / "wide", seed=3, rank=16)
    with pytest.raises(InvalidParameterError, match="rank 16, above max_lora_rank 8"):
        generator.adapter(0, wide)
    assert generator.llm.calls == []
    with pytest.raises(InvalidParameterError, match="logprobs_mode is fixed"):
        VLLMGenerator(model_dir, logprobs_mode="raw_logprobs")
    base_only = VLLMGenerator(model_dir, enable_lora=False, enforce_eager=True)
    assert not base_only.llm.enable_lora and base_only.llm.engine_args == {"enforce_eager": True}
    with pytest.raises(InvalidParameterError, match="enable_lora=False"):
        base_only.adapter(0, adapters[0])


def test_a_missing_or_old_vllm_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, model_dir: Path
) -> None:
    monkeypatch.setitem(sys.modules, "vllm", None)
    with pytest.raises(VLLMUnavailableError, match=r"a GPU: pip install redqueen\[vllm\]"):
        VLLMGenerator(model_dir)
    assert issubclass(VLLMUnavailableError, ImportError)
    FAKE.install(monkeypatch)
    monkeypatch.setattr(FAKE, "__version__", "0.10.1")
    with pytest.raises(VLLMUnavailableError, match=r"vLLM 0.10.1 is installed; .* 0.10.2 or later"):
        VLLMGenerator(model_dir)
    monkeypatch.setattr(FAKE, "__version__", "0.10.2")
    assert VLLMGenerator(model_dir).llm.model == str(model_dir)


def _real_vllm() -> bool:
    return importlib.util.find_spec("vllm") is not None and torch.cuda.is_available()


@pytest.mark.skipif(not _real_vllm(), reason="vLLM is not installed (needs a GPU machine)")
def test_real_vllm_samples_legal_ids_with_the_learner_logprobs(tmp_path: Path) -> None:
    # head size 64: one that every vLLM attention backend supports
    directory = build_tiny_model(tmp_path / "tiny", WORDS, seed=1, hidden=128, heads=2)
    generator = VLLMGenerator(
        directory,
        dtype="float32",
        enable_lora=False,
        gpu_memory_utilization=0.2,
        enforce_eager=True,
        enable_prefix_caching=False,
    )
    model, _ = load_model(directory)
    prompts = _prompts(5, [3, 1, 8, 5, 2, 6, 4, 7])
    seeds = [3, 1, 4, 1, 5, 9, 2, 6]
    for temperature in (1.0, 0.7, 0.0):
        out = generator.generate(prompts, max_new_tokens=8, temperature=temperature, seed=seeds)
        for g in out:
            assert 1 <= len(g.completion_ids) == len(g.logprobs) <= 8
            assert all(0 <= t < VOCAB for t in g.completion_ids)
            assert EOS_ID not in g.completion_ids[:-1]
            ended = g.completion_ids[-1] == EOS_ID
            assert g.finish_reason == ("stop" if ended else "length")
        completions = [g.completion_ids for g in out]
        with torch.no_grad():
            scored = sequence_logprobs(model, prompts, completions, temperature)
        gaps = [
            (torch.tensor(g.logprobs) - s).abs().max().item()
            for g, s in zip(out, scored, strict=True)
        ]
        assert max(gaps) < 1e-3, (temperature, gaps)
        again = generator.generate(prompts, max_new_tokens=8, temperature=temperature, seed=seeds)
        assert [g.completion_ids for g in again] == completions
        assert all(isinstance(g, Generation) for g in again)


def test_a_lora_run_sampled_by_vllm_is_the_run_sampled_by_transformers(
    fake: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The loop with ``model.sampler: vllm``: every step's adapter is written and swapped
    in (a stale one would show as a logprob gap and as other games), past versions are
    served as adapters in the same engine call as the current one, and every figure of the
    run equals the transformers-sampled run's."""
    from redqueen.experiments import load_recipe
    from redqueen.store.run_store import RunStore

    engines: list[Any] = []

    class RecordingLLM(fake.LLM):  # type: ignore[misc,name-defined]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            engines.append(self)

    monkeypatch.setattr(fake, "LLM", RecordingLLM)
    recipe = Path(__file__).resolve().parents[3] / "recipes" / "fsp_kuhn_tiny.yaml"
    small = [
        "model.lora.r=4",
        "model.lora.alpha=8",
        "loop.steps=4",
        "loop.games_per_step=8",
        "loop.snapshot_every=1",
        "loop.eval_every=4",
        "loop.eval_games=4",
        "elo_games=0",
        "torch_threads=1",
        "learner.learning_rate=0.01",
    ]
    figures = {}
    for sampler in ("transformers", "vllm"):
        run = tmp_path / sampler
        load_recipe(recipe, [*small, f"model.sampler={sampler}"]).run(run)
        with RunStore(run) as store:
            figures[sampler] = {
                n: [v for _, v in store.metrics(n)]
                for n in store.metric_names()
                if not n.startswith(("speed/", "seconds/"))
            }
    assert figures["vllm"].keys() == figures["transformers"].keys()
    differ = [
        (name, values, figures["vllm"][name])
        for name, values in figures["transformers"].items()
        if figures["vllm"][name] != pytest.approx(values, abs=1e-5)
    ]
    assert not differ
    assert max(figures["vllm"]["train/logprob_gap"]) < 1e-5
    (engine,) = engines
    mixed = [call for call in engine.calls if len({r.lora_int_id for _, _, r in call if r}) > 1]
    assert mixed, "past versions and the current one never shared an engine call"
    served = {r.lora_int_id for call in engine.calls for _, _, r in call if r is not None}
    # versions 0-3 played the 4 steps (version v is adapter id v + 1), and the weights
    # after the last update (version 4) played the evaluation
    assert served == {1, 2, 3, 4, 5}
    assert sorted(p.name for p in (tmp_path / "vllm" / "llm_self_play" / "adapters").iterdir()) == [
        "v0",
        "v1",
        "v2",
        "v3",
        "v4",
    ]


def test_vllm_sampling_needs_a_lora_model() -> None:
    from redqueen.experiments import RecipeError, load_recipe

    recipe = Path(__file__).resolve().parents[3] / "recipes" / "spiral_kuhn_tiny.yaml"
    with pytest.raises(RecipeError, match=r"model\.sampler vllm needs model\.lora"):
        load_recipe(recipe, ["model.sampler=vllm"])
