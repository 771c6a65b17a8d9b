"""A stand-in for the few parts of vLLM's public API that ``VLLMGenerator`` calls.

This module checks redqueen's mapping to vLLM's API, not vLLM: it says nothing about
vLLM's kernels, scheduler or LoRA implementation, only whether redqueen builds the
requests vLLM documents and reads its answers back correctly. It runs where vLLM cannot
(no GPU), on the tiny models of :mod:`redqueen.learn.llm.tiny`.

What it provides, with vLLM's names and fields (checked in vLLM's source):
``LLM(model, *, dtype, seed, gpu_memory_utilization, enable_lora, max_lora_rank,
max_loras, logprobs_mode, **engine_args)`` with ``get_tokenizer()`` and
``generate(prompts, sampling_params, *, use_tqdm, lora_request)``; ``SamplingParams``
(unknown fields are a ``TypeError``, as in vLLM); ``TokensPrompt`` (a ``TypedDict``);
``LoRARequest(lora_name, lora_int_id, lora_path)``; ``RequestOutput`` and
``CompletionOutput`` with ``token_ids``, ``logprobs`` as one ``{token_id: Logprob}`` dict
per token, and ``finish_reason``.

Sampling is :class:`~redqueen.learn.llm.generators.TransformersGenerator` with each
request's seed as its row seed, one call per LoRA adapter and sampling setting. Where
vLLM's documented behaviour differs from that generator, the stand-in does what vLLM does:

- ``logprobs_mode="raw_logprobs"`` (vLLM's default) returns the logprobs at temperature 1;
  only ``"processed_logprobs"`` returns those of the temperature sampled at;
- ``logprobs=None`` (the default) returns no logprobs, ``logprobs=0`` the sampled token's;
- the length limit is checked before the stop tokens, so a stop token drawn as the last
  allowed token finishes with ``"length"`` (``vllm/v1/core/sched/utils.py``);
- an adapter is loaded (with peft, from ``lora_path``) the first time its ``lora_int_id``
  is seen and kept under that id; a request without ``enable_lora``, an id below 1 or a
  rank above ``max_lora_rank`` is a ``ValueError``;
- a request without a seed is refused (vLLM would draw from the engine's generator, which
  this stand-in does not model; redqueen always sends one).

``install(monkeypatch)`` puts it in ``sys.modules`` as ``vllm``, ``vllm.inputs``,
``vllm.lora`` and ``vllm.lora.request``; every ``LLM`` built records its requests in
``calls`` (one list of ``(prompt ids, SamplingParams, LoRARequest)`` per ``generate``) and
its raw answers in ``outputs``.
"""

from __future__ import annotations

import copy
import json
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict

import pytest
import torch

from redqueen.learn.llm.generators import TransformersGenerator, sequence_logprobs
from redqueen.learn.llm.learner import load_adapter
from redqueen.learn.llm.tiny import load_model

__version__ = "0.11.0"
LOGPROBS_MODES = ("raw_logprobs", "raw_logits", "processed_logprobs", "processed_logits")
MODULES = ("vllm", "vllm.inputs", "vllm.lora", "vllm.lora.request")


@dataclass(kw_only=True)
class SamplingParams:
    """The sampling fields redqueen may set, with vLLM's defaults."""

    n: int = 1
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = 0
    min_p: float = 0.0
    seed: int | None = None
    stop_token_ids: list[int] | None = None
    ignore_eos: bool = False
    max_tokens: int | None = 16
    logprobs: int | None = None
    detokenize: bool = True
    skip_special_tokens: bool = True

    def __post_init__(self) -> None:
        if self.seed == -1:
            self.seed = None
        if self.temperature < 0 or self.temperature > 2:
            raise ValueError(f"temperature must be in [0, 2], got {self.temperature}.")
        if self.max_tokens is not None and self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, got {self.max_tokens}.")


class TokensPrompt(TypedDict):
    prompt_token_ids: list[int]


@dataclass(frozen=True)
class LoRARequest:
    lora_name: str
    lora_int_id: int
    lora_path: str = ""


@dataclass
class Logprob:
    logprob: float
    rank: int | None = None
    decoded_token: str | None = None


@dataclass
class CompletionOutput:
    index: int
    text: str
    token_ids: list[int]
    cumulative_logprob: float | None
    logprobs: list[dict[int, Logprob]] | None
    finish_reason: str | None = None
    stop_reason: int | str | None = None


@dataclass
class RequestOutput:
    request_id: str
    prompt: str | None
    prompt_token_ids: list[int]
    outputs: list[CompletionOutput]
    finished: bool = True


class LLM:
    """vLLM's offline engine, on a tiny transformers model on the CPU."""

    def __init__(
        self,
        model: str,
        *,
        dtype: str = "auto",
        seed: int = 0,
        gpu_memory_utilization: float = 0.9,
        enable_lora: bool = False,
        max_lora_rank: int = 16,
        max_loras: int = 1,
        logprobs_mode: str = "raw_logprobs",
        **engine_args: Any,
    ) -> None:
        if logprobs_mode not in LOGPROBS_MODES:
            raise ValueError(f"logprobs_mode {logprobs_mode!r}; allowed: {LOGPROBS_MODES}")
        self.model = model
        self.dtype = dtype
        self.seed = seed
        self.gpu_memory_utilization = gpu_memory_utilization
        self.enable_lora = enable_lora
        self.max_lora_rank = max_lora_rank
        self.max_loras = max_loras
        self.logprobs_mode = logprobs_mode
        self.engine_args = engine_args
        self.calls: list[list[tuple[list[int], SamplingParams, LoRARequest | None]]] = []
        self.outputs: list[list[RequestOutput]] = []
        self._model, self._tokenizer = load_model(model)
        self._adapters: dict[int, Any] = {}

    def get_tokenizer(self) -> Any:
        return self._tokenizer

    def _weights(self, request: LoRARequest | None) -> Any:
        if request is None:
            return self._model
        if not self.enable_lora:
            raise ValueError(f"LoRA is not enabled! ({request.lora_name})")
        if request.lora_int_id < 1:
            raise ValueError(f"lora_int_id must be positive, got {request.lora_int_id}")
        if request.lora_int_id not in self._adapters:
            config = json.loads((Path(request.lora_path) / "adapter_config.json").read_text())
            if config["r"] > self.max_lora_rank:
                raise ValueError(
                    f"LoRA rank {config['r']} is greater than max_lora_rank {self.max_lora_rank}."
                )
            adapted = load_adapter(copy.deepcopy(self._model), request.lora_path)
            self._adapters[request.lora_int_id] = adapted.eval()
        return self._adapters[request.lora_int_id]

    def generate(
        self,
        prompts: Sequence[TokensPrompt],
        sampling_params: SamplingParams | Sequence[SamplingParams] | None = None,
        *,
        use_tqdm: bool = True,
        lora_request: LoRARequest | Sequence[LoRARequest | None] | None = None,
    ) -> list[RequestOutput]:
        if not all(isinstance(p, dict) and "prompt_token_ids" in p for p in prompts):
            raise TypeError("this stand-in takes TokensPrompt prompts only")
        n = len(prompts)
        params = (
            list(sampling_params)
            if isinstance(sampling_params, Sequence)
            else [sampling_params or SamplingParams()] * n
        )
        requests = list(lora_request) if isinstance(lora_request, Sequence) else [lora_request] * n
        if len(params) != n or len(requests) != n:
            raise ValueError("sampling_params and lora_request lists must match the prompts")
        self.calls.append(
            [
                (list(p["prompt_token_ids"]), s, r)
                for p, s, r in zip(prompts, params, requests, strict=True)
            ]
        )
        groups: dict[tuple[Any, ...], list[int]] = {}
        for i, (s, r) in enumerate(zip(params, requests, strict=True)):
            if s.seed is None:
                raise NotImplementedError("this stand-in samples seeded requests only")
            stops = tuple(s.stop_token_ids or ())
            key = (r.lora_int_id if r else 0, s.temperature, s.max_tokens, s.logprobs, stops)
            groups.setdefault(key, []).append(i)
        answers: list[RequestOutput | None] = [None] * n
        for rows in groups.values():
            first = params[rows[0]]
            weights = self._weights(requests[rows[0]])
            batch = [list(prompts[i]["prompt_token_ids"]) for i in rows]
            generated = TransformersGenerator(weights, self._tokenizer).generate(
                batch,
                max_new_tokens=int(first.max_tokens or 16),
                temperature=first.temperature,
                seed=[int(params[i].seed or 0) for i in rows],
                stop_ids=list(first.stop_token_ids or ()),
            )
            logprobs = [g.logprobs for g in generated]
            if self.logprobs_mode == "raw_logprobs":
                with torch.no_grad():
                    raw = sequence_logprobs(
                        weights, batch, [g.completion_ids for g in generated], 1.0
                    )
                logprobs = [r.tolist() for r in raw]
            elif self.logprobs_mode != "processed_logprobs":
                raise NotImplementedError(f"this stand-in has no {self.logprobs_mode}")
            for i, g, lps in zip(rows, generated, logprobs, strict=True):
                capped = len(g.completion_ids) >= int(first.max_tokens or 16)
                completion = CompletionOutput(
                    index=0,
                    text="",
                    token_ids=list(g.completion_ids),
                    cumulative_logprob=None if first.logprobs is None else sum(lps),
                    logprobs=None
                    if first.logprobs is None
                    else [{t: Logprob(lp, 1)} for t, lp in zip(g.completion_ids, lps, strict=True)],
                    finish_reason="length" if capped else g.finish_reason,
                )
                answers[i] = RequestOutput(str(i), None, batch[rows.index(i)], [completion])
        done = [a for a in answers if a is not None]
        self.outputs.append(done)
        return done


def install(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """Put this stand-in in ``sys.modules`` under vLLM's module names; returns ``vllm``."""
    this = sys.modules[__name__]
    inputs = types.ModuleType("vllm.inputs")
    inputs.TokensPrompt = TokensPrompt
    lora = types.ModuleType("vllm.lora")
    request = types.ModuleType("vllm.lora.request")
    request.LoRARequest = LoRARequest
    lora.request = request
    for name, module in zip(MODULES, (this, inputs, lora, request), strict=True):
        monkeypatch.setitem(sys.modules, name, module)
    return this
