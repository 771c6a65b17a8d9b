"""A generator on vLLM in the trainer's own process, with LoRA adapters swapped per version.

:class:`VLLMGenerator` keeps the contract of
:class:`~redqueen.learn.llm.generators.TransformersGenerator` (token ids in; completion
ids, their logprobs and a finish reason out) on vLLM's offline engine, ``vllm.LLM``. Every
prompt becomes a ``TokensPrompt`` with its own ``SamplingParams`` (``max_tokens``,
``temperature``, ``seed``, ``stop_token_ids``, ``logprobs=0``: the sampled token's logprob
only, ``detokenize=False``: no text is made), and all of them go to one ``LLM.generate``
call. Every other sampling parameter keeps vLLM's neutral default: no top-k, top-p or
min-p, no penalties.

**Logprobs.** The learner compares the sampler's logprobs with ``log_softmax(logits / T)``
(:func:`~redqueen.learn.llm.generators.completion_logprobs`). vLLM's V1 engine returns by
default ``raw_logprobs``: the log-softmax of the logits before temperature, which is off
by a lot at ``T != 1`` (TRL issue #4159 saw first-token importance ratios of 2 at
``T = 0.6``).
The engine is therefore built with ``logprobs_mode="processed_logprobs"``: the logprobs of
the distribution sampled from, after penalties, temperature, min-p and top-k/top-p; with
all of those but the temperature switched off, that is exactly ``log_softmax(logits / T)``
(``vllm/v1/sample/sampler.py``). The mode exists since vLLM 0.10.0 and includes the
temperature since 0.10.2 (prime-rl #697 had to patch 0.10.0; TRL #4163 requires 0.10.2),
hence ``vllm>=0.10.2``. ``T = 0`` is greedy and vLLM computes its logprobs at temperature 1,
as :class:`~redqueen.learn.llm.generators.TransformersGenerator` records them. vLLM raises
a temperature between 0 and 0.01 to 0.01, so that the recorded logprobs would not be
those of ``T``: such temperatures are refused here (recent vLLM also refuses ``T > 2``).
vLLM computes with its own GPU kernels in the model's dtype, so its logprobs equal the
learner's to that precision (the tests ask 1e-3 in float32), not to the last bit.

**Seeds.** ``seed`` is one seed per prompt (each request then samples from its own
``torch.Generator`` inside vLLM, as the collector's per-decision seeds intend) or one seed
for the batch, from which row ``i`` gets ``SeedSequence((seed, i))``: identical prompts in
one batch get different completions. The same seeds, weights and batch give the same
completions. vLLM's kernels are not batch invariant, so the numbers of one row can move in
the last bits with what else is batched: a row's completion is the same in another batch
unless a draw falls within that rounding of a boundary.

**Stopping.** vLLM stops at the tokenizer's and the generation config's end-of-sequence
ids (it reads both itself) and at ``stop_token_ids``; the stop token is kept in the
completion with its logprob. vLLM's scheduler checks the length limit before the stop
tokens (``check_stop`` in ``vllm/v1/core/sched/utils.py``), so a stop token drawn as the
last allowed token can come back as ``"length"``; it is reported here as ``"stop"``, which
is what the finish reason means in :class:`~redqueen.learn.llm.generators.Generation`.

**LoRA hot swap.** Each policy version is a LoRA adapter directory written by
:func:`~redqueen.learn.llm.learner.save_adapter`. :meth:`VLLMGenerator.adapter` registers
version ``v`` as ``LoRARequest("policy-v{v}", v + 1, path)`` (vLLM needs a positive int id;
``None`` is the base model) and returns a view whose ``generate`` sends every prompt with
that request, so ``{v: generator.adapter(v, path)}`` is the mapping a
:class:`~redqueen.learn.llm.collector.Collector` takes. :meth:`VLLMGenerator.generate_mixed`
serves several versions in one ``LLM.generate`` call with one ``lora_request`` per prompt,
so past versions play as opponents in the same batch. vLLM keeps a loaded adapter under
its int id (and compares requests by name), so a version's adapter never changes: new
weights are a new version, and registering a version again with another directory is an
error. Up to ``max_loras`` adapters are in one GPU batch (vLLM schedules the prompts of
the others in the next steps) and up to ``max_cpu_loras`` stay loaded; an evicted one is
read again from its directory when next asked for.

**vLLM versions.** The calls below were read in vLLM's source on its main branch
(``vllm/entrypoints/llm.py``, ``sampling_params.py``, ``lora/request.py``,
``v1/sample/sampler.py``) and are there since 0.10.2:
``LLM(model, dtype, seed, gpu_memory_utilization, enable_lora, max_lora_rank, max_loras,
logprobs_mode, **engine_args)``, ``LLM.generate(prompts, sampling_params, use_tqdm=,
lora_request=)`` with lists paired one by one with the prompts (a ``None`` request is the
base model), ``vllm.inputs.TokensPrompt``, ``vllm.lora.request.LoRARequest(lora_name,
lora_int_id, lora_path)``, and ``RequestOutput.outputs[0]`` with ``token_ids``,
``logprobs`` (one ``{token_id: Logprob}`` dict per token) and ``finish_reason``. vLLM is an
optional extra that needs a GPU (``pip install redqueen[vllm]``) and is imported when a
generator is built; the tests check this mapping on a stand-in for those calls, and run
the real engine where one is installed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.learn.llm.generators import Generation

__all__ = [
    "LOGPROBS_MODE",
    "MIN_TEMPERATURE",
    "MIN_VLLM_VERSION",
    "VLLMAdapter",
    "VLLMGenerator",
    "VLLMUnavailableError",
]

LOGPROBS_MODE = "processed_logprobs"
"""The engine's logprobs mode: the logprobs of the distribution sampled from."""
MIN_TEMPERATURE = 0.01
"""vLLM raises a positive temperature below this to this (``_MAX_TEMP``)."""
MIN_VLLM_VERSION = (0, 10, 2)
"""The first vLLM whose ``processed_logprobs`` include the temperature."""


class VLLMUnavailableError(RedqueenError, ImportError):
    """vLLM is not installed, or too old for what this generator needs."""


def _vllm() -> SimpleNamespace:
    """The parts of vLLM's API this module calls, imported now."""
    try:
        import vllm
        from vllm.inputs import TokensPrompt
        from vllm.lora.request import LoRARequest
    except ImportError as error:
        raise VLLMUnavailableError(
            "VLLMGenerator needs vLLM, which runs on a machine with a GPU: "
            f"pip install redqueen[vllm] (importing it failed: {error})"
        ) from None
    installed = str(getattr(vllm, "__version__", ""))
    found = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", installed)
    if found and "dev" not in installed:
        version = tuple(int(part or 0) for part in found.groups())
        if version < MIN_VLLM_VERSION:
            wanted = ".".join(map(str, MIN_VLLM_VERSION))
            raise VLLMUnavailableError(
                f"vLLM {installed} is installed; VLLMGenerator needs {wanted} or later, whose "
                "processed logprobs include the temperature: pip install -U redqueen[vllm]"
            )
    return SimpleNamespace(
        LLM=vllm.LLM,
        SamplingParams=vllm.SamplingParams,
        TokensPrompt=TokensPrompt,
        LoRARequest=LoRARequest,
    )


def _generation_config_end_ids(model: str | Path) -> set[int]:
    """The end-of-sequence ids of a local model directory's ``generation_config.json``."""
    path = Path(model) / "generation_config.json"
    if not path.is_file():
        return set()
    configured = json.loads(path.read_text()).get("eos_token_id")
    if isinstance(configured, int):
        return {configured}
    return {int(i) for i in configured or ()}


def _row_seeds(seed: int | Sequence[int], rows: int) -> list[int]:
    """One seed per row: the given ones, or ``SeedSequence((seed, row))`` from one seed."""
    if isinstance(seed, int):
        if seed < 0:
            raise InvalidParameterError(f"seed must be a non-negative integer, not {seed}")
        return [
            int(np.random.SeedSequence((seed, row)).generate_state(1)[0]) for row in range(rows)
        ]
    seeds = [int(s) for s in seed]
    if len(seeds) != rows:
        raise InvalidParameterError(
            f"{len(seeds)} seeds for {rows} prompts; give one seed or one each"
        )
    if any(s < 0 for s in seeds):
        raise InvalidParameterError(
            "seeds must be non-negative integers (vLLM reads -1 as no seed): "
            f"{[s for s in seeds if s < 0]}"
        )
    return seeds


class VLLMGenerator:
    """Sampling with a vLLM engine built in this process (see the module docstring).

    ``model`` is a model directory (or a name vLLM can resolve), ``dtype`` one of vLLM's
    (``"auto"``, ``"float32"``, ``"bfloat16"``, ``"float16"``), ``seed`` the engine's
    seed (requests carry their own), ``gpu_memory_utilization`` the share of the GPU the
    engine takes (weights and KV cache; leave room for a learner on the same GPU).
    ``enable_lora``, ``max_lora_rank`` (at least the adapters' ``r``; 32 is
    :func:`~redqueen.learn.llm.learner.apply_lora`'s default) and ``max_loras`` (adapters
    in one GPU batch) set up the hot swap; ``engine_args`` go to ``vllm.LLM`` as they are
    (``enforce_eager``, ``max_model_len``, ``max_cpu_loras``, ...). The logprobs mode is
    fixed: see the module docstring.
    """

    def __init__(
        self,
        model: str | Path,
        *,
        dtype: str = "auto",
        seed: int = 0,
        gpu_memory_utilization: float = 0.5,
        enable_lora: bool = True,
        max_lora_rank: int = 32,
        max_loras: int = 4,
        **engine_args: Any,
    ) -> None:
        if "logprobs_mode" in engine_args:
            raise InvalidParameterError(
                f"logprobs_mode is fixed to {LOGPROBS_MODE!r}, the logprobs the learner "
                "compares with (log_softmax(logits / T)); leave it out"
            )
        if not 0 < gpu_memory_utilization <= 1:
            raise InvalidParameterError(
                f"gpu_memory_utilization must be in (0, 1], not {gpu_memory_utilization}"
            )
        if enable_lora and (max_lora_rank < 1 or max_loras < 1):
            raise InvalidParameterError("max_lora_rank and max_loras must be at least 1")
        self.api = _vllm()
        lora = (
            {"enable_lora": True, "max_lora_rank": max_lora_rank, "max_loras": max_loras}
            if enable_lora
            else {}
        )
        self.llm = self.api.LLM(
            model=str(model),
            dtype=dtype,
            seed=seed,
            gpu_memory_utilization=gpu_memory_utilization,
            logprobs_mode=LOGPROBS_MODE,
            **lora,
            **engine_args,
        )
        self.enable_lora = enable_lora
        self.max_lora_rank = max_lora_rank
        eos = self.llm.get_tokenizer().eos_token_id
        self.end_ids = _generation_config_end_ids(model) | (
            {int(eos)} if eos is not None else set()
        )
        """The ids vLLM ends a completion at by itself (tokenizer and generation config)."""
        self.adapters: dict[int, Path] = {}
        """Each registered policy version's adapter directory."""
        self._requests: dict[int, Any] = {}

    def adapter(self, version: int | None, path: str | Path | None = None) -> VLLMAdapter:
        """A generator that serves policy ``version``: its adapter in ``path`` (needed the
        first time a version is named), or the base model for ``None``."""
        if version is not None:
            if path is not None:
                self._register(version, path)
            elif version not in self.adapters:
                raise InvalidParameterError(
                    f"policy version {version} has no adapter yet: give its directory"
                )
        return VLLMAdapter(self, version)

    def lora_request(self, version: int | None) -> Any:
        """The ``LoRARequest`` that serves ``version`` (``None`` for the base model)."""
        if version is None:
            return None
        if version not in self._requests:
            raise UnknownNameError(
                "policy version", str(version), [str(v) for v in self._requests] + ["None"]
            )
        return self._requests[version]

    def _register(self, version: int, path: str | Path) -> None:
        if not self.enable_lora:
            raise InvalidParameterError(
                "this generator was built with enable_lora=False: it serves the base model only"
            )
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            raise InvalidParameterError(
                f"a policy version is a non-negative integer (or None), not {version!r}"
            )
        directory = Path(path).resolve()
        config = directory / "adapter_config.json"
        if not config.is_file():
            raise InvalidParameterError(
                f"no LoRA adapter at {str(path)!r} (expected adapter_config.json there)"
            )
        known = self.adapters.get(version)
        if known == directory:
            return
        if known is not None:
            raise InvalidParameterError(
                f"policy version {version} is served from {str(known)!r}; a version's adapter "
                "cannot change (vLLM keeps it under its id): save new weights as a new version"
            )
        rank = int(json.loads(config.read_text()).get("r", 0))
        if rank > self.max_lora_rank:
            raise InvalidParameterError(
                f"the adapter in {str(path)!r} has rank {rank}, above max_lora_rank "
                f"{self.max_lora_rank}; build the generator with max_lora_rank >= {rank}"
            )
        self.adapters[version] = directory
        self._requests[version] = self.api.LoRARequest(
            lora_name=f"policy-v{version}", lora_int_id=version + 1, lora_path=str(directory)
        )

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int | Sequence[int],
        stop_ids: Sequence[int] = (),
    ) -> list[Generation]:
        """One completion per prompt from the base model (no adapter)."""
        return self.generate_mixed(
            prompts,
            [None] * len(prompts),
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            seed=seed,
            stop_ids=stop_ids,
        )

    def generate_mixed(
        self,
        prompts: Sequence[Sequence[int]],
        versions: Sequence[int | None],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int | Sequence[int],
        stop_ids: Sequence[int] = (),
    ) -> list[Generation]:
        """One completion per prompt, prompt ``i`` answered by policy ``versions[i]`` (a
        registered version, or ``None`` for the base model), all in one engine call."""
        if not prompts or any(len(p) == 0 for p in prompts):
            raise InvalidParameterError("generate needs at least one prompt, none of them empty")
        if len(versions) != len(prompts):
            raise InvalidParameterError(
                f"{len(versions)} versions for {len(prompts)} prompts; give one each"
            )
        if max_new_tokens < 1:
            raise InvalidParameterError(f"max_new_tokens must be at least 1, not {max_new_tokens}")
        if temperature < 0 or 0 < temperature < MIN_TEMPERATURE:
            raise InvalidParameterError(
                f"temperature must be 0 (greedy) or at least {MIN_TEMPERATURE} (vLLM raises "
                f"smaller ones to {MIN_TEMPERATURE}): {temperature}"
            )
        seeds = _row_seeds(seed, len(prompts))
        requests = [self.lora_request(v) for v in versions]
        stops = sorted({int(i) for i in stop_ids})
        api = self.api
        params = [
            api.SamplingParams(
                temperature=temperature,
                max_tokens=max_new_tokens,
                seed=row_seed,
                logprobs=0,
                stop_token_ids=stops,
                detokenize=False,
                skip_special_tokens=False,
            )
            for row_seed in seeds
        ]
        outputs = self.llm.generate(
            [api.TokensPrompt(prompt_token_ids=[int(t) for t in p]) for p in prompts],
            params,
            use_tqdm=False,
            lora_request=requests if any(r is not None for r in requests) else None,
        )
        if len(outputs) != len(prompts):
            raise RedqueenError(f"vLLM answered {len(outputs)} of {len(prompts)} prompts")
        ends = self.end_ids | set(stops)
        return [_generation(row, output, ends) for row, output in enumerate(outputs)]


def _generation(row: int, output: Any, ends: set[int]) -> Generation:
    """A :class:`Generation` from one ``RequestOutput``."""
    completion = output.outputs[0]
    ids = [int(t) for t in completion.token_ids]
    if completion.logprobs is None or len(completion.logprobs) != len(ids):
        raise RedqueenError(
            f"vLLM returned no logprob for some token of prompt {row} (asked with logprobs=0)"
        )
    logprobs = [
        float(step[token].logprob) for token, step in zip(ids, completion.logprobs, strict=True)
    ]
    reason = completion.finish_reason
    if reason not in ("stop", "length"):
        raise RedqueenError(
            f"vLLM ended prompt {row} with finish reason {reason!r}; expected stop or length"
        )
    if ids and ids[-1] in ends:
        reason = "stop"
    return Generation(ids, logprobs, reason)


class VLLMAdapter:
    """One policy version of a :class:`VLLMGenerator`: every prompt goes with its adapter
    (or to the base model, for version ``None``). The engine is shared."""

    def __init__(self, generator: VLLMGenerator, version: int | None) -> None:
        self.generator = generator
        self.version = version

    def generate(
        self,
        prompts: Sequence[Sequence[int]],
        *,
        max_new_tokens: int,
        temperature: float,
        seed: int | Sequence[int],
        stop_ids: Sequence[int] = (),
    ) -> list[Generation]:
        """One completion per prompt from this version."""
        return self.generator.generate_mixed(
            prompts,
            [self.version] * len(prompts),
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            seed=seed,
            stop_ids=stop_ids,
        )
