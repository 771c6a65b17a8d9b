"""The GPU branch of ``benchmarks/llm_train.py`` run on the CPU with a small Qwen3 shape,
so that a GPU machine never finds it broken: once it crashed at the full fine-tuning step,
after the LoRA step had left the base weights frozen."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip(
    "peft", reason="the benchmark's LoRA step needs peft: pip install -e .[llm-train]"
)

BENCHMARK = Path(__file__).resolve().parents[3] / "benchmarks" / "llm_train.py"


def test_the_gpu_branch_measures_every_figure_on_a_small_shape() -> None:
    spec = importlib.util.spec_from_file_location("llm_train_benchmark", BENCHMARK)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert set(bench.SHAPES) == {"qwen3-0.6b", "qwen3-4b"}
    shape = {
        "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
        "vocab_size": 128, "tie_word_embeddings": True,
    }  # fmt: skip
    row = bench.model_figures(
        "small", shape, device="cpu", batches=(2, 3), prompt_tokens=4, new_tokens=3,
        samples=4, sample_tokens=4,
    )  # fmt: skip
    for name in ("tokens_per_s_2", "tokens_per_s_3", "policy_step_s_lora", "policy_step_s_full"):
        assert row[name] > 0, (name, row)
    assert row["weight_copy_s"] >= 0 and row["device"] == "cpu"
