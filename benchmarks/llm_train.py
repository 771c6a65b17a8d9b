"""LLM self-play training speed: the batched collector against one game at a time, and
the seconds of each phase of a training step.

    python benchmarks/llm_train.py [--games 64] [--steps 5] [--threads 1]

On the CPU, with the tiny model of :mod:`redqueen.learn.llm.tiny` on Kuhn poker:

- **collect, batched**: :class:`~redqueen.learn.llm.collector.Collector` plays ``--games``
  self-play games at once, every pending decision of every game in one generator call;
- **collect, one at a time**: the same games played one after another (one generator
  call per decision, the way a lock-step single-environment loop runs);
- **step**: ``--steps`` training steps of the ``spiral_kuhn_tiny`` recipe's loop, seconds per
  phase (collect, update, evaluate) and generated tokens per second.

Where CUDA is available it also builds random-weight models of Qwen3-0.6B's and
Qwen3-4B's shapes from their configurations (nothing downloaded) and measures generation
tokens/s at 64 and 256 concurrent prompts, one policy step on 128 samples of 512 prompt
and 512 completion tokens (LoRA r=32 and full fine-tuning), the time to copy the weights
into a second model (a stand-in for a weight sync), and peak memory. Ends with one line of
JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path
from typing import Any

import torch
import yaml

import redqueen
from redqueen.experiments import parse_recipe
from redqueen.learn.llm.collector import (
    Collector,
    PolicySeat,
    Prompter,
    prompt_vocabulary,
    protocol,
)
from redqueen.learn.llm.generators import TransformersGenerator
from redqueen.learn.llm.learner import Learner, LearnerConfig, apply_lora
from redqueen.learn.llm.records import TurnSample
from redqueen.learn.llm.tiny import build_tiny_model, load_model


def cpu_figures(games: int, steps: int) -> dict[str, Any]:
    kuhn = redqueen.make("kuhn_poker")
    directory = Path(tempfile.mkdtemp()) / "tiny"
    build_tiny_model(directory, prompt_vocabulary([kuhn], "plain"), seed=0)
    model, tok = load_model(directory)
    gen = TransformersGenerator(model, tok)
    collector = Collector(protocol("plain"), {0: gen}, Prompter(tok, "plain"))
    seats = [(kuhn, [PolicySeat(0), PolicySeat(0)])]
    collector.play(seats * 4, seed=0)  # warm up
    t = time.perf_counter()
    batched = collector.play(seats * games, seed=1)
    batched_s = time.perf_counter() - t
    t = time.perf_counter()
    for k in range(games):
        collector.play(seats, seed=1, first_episode=k)
    single_s = time.perf_counter() - t
    tokens = sum(len(s.completion_ids) for r in batched for s in r.samples)

    data = yaml.safe_load(
        (Path(__file__).parents[1] / "recipes" / "spiral_kuhn_tiny.yaml").read_text()
    )
    data["loop"].update(steps=steps, games_per_step=games, eval_every=steps, eval_games=games)
    data["elo_games"] = 0
    data["torch_threads"] = torch.get_num_threads()
    result = parse_recipe(data).run(None).result
    phases = {
        name: sum(r.metrics.get(f"seconds/{name}", 0.0) for r in result.steps) / len(result.steps)
        for name in ("collect", "update", "evaluate")
    }
    return {
        "games": games,
        "batched_games_per_s": games / batched_s,
        "one_at_a_time_games_per_s": games / single_s,
        "batched_over_one_at_a_time": single_s / batched_s,
        "generated_tokens_per_s": tokens / batched_s,
        "seconds_per_step": phases,
    }


SHAPES: dict[str, dict[str, Any]] = {
    "qwen3-0.6b": {"hidden_size": 1024, "intermediate_size": 3072, "num_hidden_layers": 28,
                   "num_attention_heads": 16, "num_key_value_heads": 8, "head_dim": 128,
                   "vocab_size": 151936, "tie_word_embeddings": True},
    "qwen3-4b": {"hidden_size": 2560, "intermediate_size": 9728, "num_hidden_layers": 36,
                 "num_attention_heads": 32, "num_key_value_heads": 8, "head_dim": 128,
                 "vocab_size": 151936, "tie_word_embeddings": True},
}  # fmt: skip
"""The two models' shapes, as their published ``config.json`` files give them (both tie
the input and output embeddings)."""


def model_figures(
    name: str,
    shape: dict[str, Any],
    *,
    device: str = "cuda",
    batches: tuple[int, ...] = (64, 256),
    prompt_tokens: int = 256,
    new_tokens: int = 128,
    samples: int = 128,
    sample_tokens: int = 512,
) -> dict[str, Any]:
    """One random-weight model of ``shape`` on ``device``: generation tokens/s at each
    batch size, one policy step on ``samples`` samples of ``sample_tokens`` prompt and
    completion tokens (LoRA r=32, then full fine-tuning), the weight copy, peak memory."""
    from transformers import AutoModelForCausalLM, Qwen3Config

    cuda = device == "cuda"

    def sync() -> None:
        if cuda:
            torch.cuda.synchronize()

    dtype = torch.bfloat16 if cuda else torch.float32
    config = Qwen3Config(**shape)
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    model = AutoModelForCausalLM.from_config(config, torch_dtype=dtype).to(device)

    class _Tok:
        pad_token_id, eos_token_id = 0, 1

    gen = TransformersGenerator(model, _Tok(), use_cache=True)
    row: dict[str, Any] = {"model": name, "device": device}
    for batch in batches:
        prompts = [[2 + (i % 100)] * prompt_tokens for i in range(batch)]
        sync()
        t = time.perf_counter()
        out = gen.generate(prompts, max_new_tokens=new_tokens, temperature=1.0, seed=0, stop_ids=[])
        sync()
        row[f"tokens_per_s_{batch}"] = sum(len(o.completion_ids) for o in out) / (
            time.perf_counter() - t
        )
    batch_of = [
        TurnSample(
            "bench", i, 0, 0, 0, 0, [2] * sample_tokens, [3] * sample_tokens,
            [-1.0] * sample_tokens, "length", True, 1.0,
        )
        for i in range(samples)
    ]  # fmt: skip
    for kind in ("lora", "full"):
        trained = apply_lora(model, r=32, alpha=64) if kind == "lora" else model
        learner = Learner(
            trained,
            LearnerConfig(
                algorithm="ppo", epochs=1, minibatch_size=8, max_new_tokens=sample_tokens
            ),
        )
        sync()
        t = time.perf_counter()
        learner.step(batch_of, seed=0)
        sync()
        row[f"policy_step_s_{kind}"] = time.perf_counter() - t
        if kind == "lora":
            # peft froze the base weights; the full step trains them all again
            model = trained.merge_and_unload().requires_grad_(True)
    twin = AutoModelForCausalLM.from_config(config, torch_dtype=dtype).to(device)
    sync()
    t = time.perf_counter()
    twin.load_state_dict(model.state_dict())
    sync()
    row["weight_copy_s"] = time.perf_counter() - t
    if cuda:
        row["peak_memory_gb"] = torch.cuda.max_memory_allocated() / 2**30
    del model, twin
    if cuda:
        torch.cuda.empty_cache()
    return row


def gpu_figures() -> list[dict[str, Any]]:
    return [model_figures(name, shape) for name, shape in SHAPES.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=64)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cpu = cpu_figures(args.games, args.steps)
    print(
        f"tiny model, Kuhn poker, {args.games} games: batched {cpu['batched_games_per_s']:.0f} "
        f"games/s, one at a time {cpu['one_at_a_time_games_per_s']:.0f} games/s "
        f"({cpu['batched_over_one_at_a_time']:.1f}x); {cpu['generated_tokens_per_s']:.0f} "
        f"generated tokens/s; seconds per step {cpu['seconds_per_step']}"
    )
    gpu = gpu_figures() if torch.cuda.is_available() else None
    if gpu is None:
        print("no CUDA device: the GPU figures were not measured")
    print(
        json.dumps(
            {
                "benchmark": "llm_train",
                "torch": torch.__version__,
                "python": platform.python_version(),
                "threads": args.threads,
                "cpu": cpu,
                "gpu": gpu,
            }
        )
    )


if __name__ == "__main__":
    main()
