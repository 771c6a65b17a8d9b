"""The ``red_queen`` recipe kind: Digital Red Queen runs of Core War warriors
(:mod:`redqueen.learn.red_queen`), their generality against held-out warriors, their
diversity across runs, and the report (:mod:`redqueen.report.red_queen`). With
``generator: llm`` the warriors are written by a chat model behind the LLM players'
backend (:class:`~redqueen.agents.llm.backends.OpenAIBackend`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from redqueen.agents.llm.backends import OpenAIBackend
from redqueen.errors import RedqueenError
from redqueen.experiments.base import ProgressHook, RecipeBase, existing_store, optional_store
from redqueen.learn.red_queen import (
    ALGORITHM,
    BattleSettings,
    Complete,
    Diversity,
    Generator,
    LLMGenerator,
    Messages,
    MutationGenerator,
    RedQueenConfig,
    RedQueenResult,
    RoundRecord,
    diversity,
    load_rounds,
    load_warriors,
    red_queen,
)
from redqueen.report.red_queen import write_red_queen_report
from redqueen.store.run_store import RunStore


def backend_complete(
    base_url: str,
    model: str,
    api_key_env: str | None = "OPENAI_API_KEY",
    temperature: float = 1.0,
    max_tokens: int = 2048,
) -> Complete:
    """A ``complete`` callable for an OpenAI-compatible chat endpoint, through the LLM
    players' backend (:class:`redqueen.agents.llm.backends.OpenAIBackend`): the key is
    read from the environment variable ``api_key_env``; 429s, 5xx replies and timeouts are
    retried with exponential backoff; a bad key or an unknown model is a clear error."""
    backend = OpenAIBackend(model, base_url=base_url, api_key_env=api_key_env)
    backend.check()

    def complete(messages: Messages) -> str:
        reply = asyncio.run(
            backend.complete(messages, temperature=temperature, max_tokens=max_tokens)
        )
        return reply.text

    return complete


class RedQueenOutcome:
    """What :meth:`RedQueenRecipe.run` returns: every run's rounds, and the diversity of
    the runs' champions round by round."""

    def __init__(self, results: list[RedQueenResult], diversity: list[Diversity]) -> None:
        self.results = results
        self.diversity = diversity

    def to_dict(self) -> dict[str, Any]:
        return {
            "runs": [r.to_dict() for r in self.results],
            "diversity": [
                {"round": t, "behavioural": d.behavioural, "code": d.code, "pairs": d.pairs}
                for t, d in enumerate(self.diversity)
            ],
        }

    def summary_text(self) -> str:
        lines = []
        for k, result in enumerate(self.results):
            last = result.rounds[-1]
            beats = sum(r.beats_all for r in result.rounds[1:])
            lines.append(
                f"run {k}: {len(result.rounds) - 1} rounds, final champion fitness "
                f"{last.champion.fitness:.3f}; champions that beat every earlier one one on "
                f"one: {beats} of {len(result.rounds) - 1}; invalid warriors: {result.invalid}"
            )
            if last.generality is not None:
                lines.append(
                    f"  generality of the last champion: beats {last.generality.beaten:.0%} "
                    f"of held-out warriors, mean score {last.generality.score:.2f}"
                )
        if len(self.results) > 1 and self.diversity:
            d = self.diversity[-1]
            lines.append(
                f"diversity across runs (last round): behavioural {d.behavioural:.3f}, "
                f"code {d.code:.3f}"
            )
        return "\n".join(lines)


class RedQueenRecipe(RecipeBase, RedQueenConfig):
    """A DRQ experiment: ``runs`` independent runs (seeds ``seed``, ``seed + 1``, ...)
    of :func:`~redqueen.learn.red_queen.red_queen`, their generality against ``held_out``
    and their diversity."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("workers", "description")
    progress_unit: ClassVar[tuple[str, str]] = ("round", "rounds")

    kind: Literal["red_queen"] = "red_queen"
    runs: int = Field(1, ge=1, le=1000, description="Independent runs (seeds seed, seed+1, ...).")
    workers: int = Field(1, ge=1, le=1024, description="Processes that score candidates.")
    held_out: str | None = Field(
        None, description="Directory of *.red warriors for generality (None: not measured)."
    )
    generator: Literal["mutation", "llm"] = Field(
        "mutation", description="Built-in mutation and crossover, or an LLM."
    )
    base_url: str | None = Field(None, description="LLM: OpenAI-compatible endpoint URL.")
    model: str | None = Field(None, description="LLM: model name.")
    api_key_env: str | None = Field(
        "OPENAI_API_KEY", description="LLM: environment variable holding the API key."
    )
    temperature: float = Field(1.0, ge=0.0, le=2.0, description="LLM: sampling temperature.")
    max_tokens: int = Field(2048, ge=1, description="LLM: most tokens per reply.")

    @field_validator("held_out")
    @classmethod
    def _held_out_exists(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                load_warriors(value)
            except RedqueenError as err:
                raise ValueError(str(err)) from None
        return value

    @model_validator(mode="after")
    def _llm_fields(self) -> RedQueenRecipe:
        if self.generator == "llm" and (not self.base_url or not self.model):
            raise ValueError("generator: llm needs base_url and model")
        try:
            BattleSettings.of(self).assemble(self.initial_warrior)
        except RedqueenError as err:
            raise ValueError(f"initial_warrior does not assemble: {err}") from None
        return self

    def loop_config(self, run: int = 0) -> RedQueenConfig:
        """The :class:`RedQueenConfig` of independent run ``run``."""
        values = self.model_dump(include=set(RedQueenConfig.model_fields))
        values["seed"] = self.seed + run
        return RedQueenConfig.model_validate(values)

    def make_generator(self, config: RedQueenConfig) -> Generator:
        if self.generator == "mutation":
            return MutationGenerator(config)
        assert self.base_url is not None and self.model is not None
        complete = backend_complete(
            self.base_url, self.model, self.api_key_env, self.temperature, self.max_tokens
        )
        return LLMGenerator(complete, config)

    def stored_units(self, run_dir: Path) -> int:
        """The finished rounds of every run that ``run_dir`` holds."""
        with existing_store(run_dir) as store:
            if store is None:
                return 0
            return sum(len(load_rounds(store, k)) for k in range(self.runs))

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RedQueenOutcome:
        held = load_warriors(self.held_out, BattleSettings.of(self)) if self.held_out else None
        total = self.runs * (self.rounds + 1)
        done = 0

        def tick(_: RoundRecord) -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(done, total)

        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(
                    self.model_dump(mode="json"), ignore=(*self.resumable_changes, "rounds")
                )
            results = []
            for k in range(self.runs):
                config = self.loop_config(k)
                if store is not None:
                    done += len(load_rounds(store, k))
                result = red_queen(
                    config, self.make_generator(config), store, k, held, self.workers, tick
                )
                results.append(result)
            div = [
                diversity(
                    [r.rounds[t].champion for r in results if len(r.rounds) > t],
                    self.cycles,
                    self.coresize,
                )
                for t in range(self.rounds + 1)
            ]
            if store is not None:
                store.set_meta(
                    f"{ALGORITHM}/diversity",
                    [{"behavioural": d.behavioural, "code": d.code, "pairs": d.pairs} for d in div],
                )
                for t, d in enumerate(div):
                    if d.pairs:
                        store.log_metric("diversity_behavioural", d.behavioural, step=t)
                        store.log_metric("diversity_code", d.code, step=t)
        if out_dir is not None:
            self.write_report(Path(out_dir))
        return RedQueenOutcome(results, div)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        with RunStore(run_dir) as store:
            config = store.config()
            runs = [
                [_round_dict(r) for r in load_rounds(store, k)]
                for k in range(int(config.get("runs", 1)))
            ]
            div = store.get_meta(f"{ALGORITHM}/diversity") or []
        return write_red_queen_report(run_dir, config, runs, div)


def _round_dict(record: RoundRecord) -> dict[str, Any]:
    data = record.to_dict()
    data["champion"]["length"] = len(record.champion.warrior)
    return data
