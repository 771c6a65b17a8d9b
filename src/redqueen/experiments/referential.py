"""Recipe kind ``referential_populations``: static against dynamic populations in a
referential game (Gupta, Lanctot & Lazaridou 2021; :mod:`redqueen.learn.referential`).

For each of ``seeds`` runs (run ``r`` uses ``numpy.random.default_rng(seed + r)`` and
the bot language of seed ``seed + r``): build the bot-language seed set
(``bot_examples`` pairs; none when 0), train ``held_out`` independent speaker-listener
pairs that no meta-listener ever meets, then train a static and a dynamic population
(same number of updates) and evaluate each meta-listener, after its few-shot
adaptation, with three kinds of partner: the population's own speakers (*seen*), the
held-out speakers (*held-out*) and the bot language (*bot*, the "human" proxy). Each
partner plays ``eval_games`` fresh games.

Reported per procedure and partner kind: the accuracy pooled over runs and partners
with its 95% Wilson interval (games are counted as independent, which games with one
partner are not); the mean over runs of the per-run accuracy with its 95% bounded score
interval (:func:`~redqueen.measure.statistics.mean_ci` on [0, 1]: the interval to
trust); and the paired difference, dynamic minus static, per run, with a Student-t
interval (from 2 runs on). Each run is stored when it ends, so a killed run resumes at
the next one.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, model_validator

from redqueen.experiments.base import (
    ProgressHook,
    RecipeBase,
    optional_store,
    stored_meta,
    stored_result,
)
from redqueen.games.registry import make
from redqueen.learn.referential import (
    PopulationResult,
    ReferentialConfig,
    ReferentialTask,
    bot_data,
    bot_source,
    dynamic_population,
    evaluate_listener,
    independent_speaker,
    speaker_source,
    static_population,
    task_of,
)
from redqueen.measure.statistics import mean_ci, rate_with_interval
from redqueen.report.referential import referential_report

PROCEDURES = ("static", "dynamic")
PARTNERS = ("seen", "held_out", "bot")


class ReferentialOutcome:
    """What a referential recipe's run returns: its result dict and a short text."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result

    def to_dict(self) -> dict[str, Any]:
        return self.result

    def summary_text(self) -> str:
        r = self.result
        lines = [f"{r['name']}: {r['seeds']} run(s) on {r['game']}"]
        for proc in PROCEDURES:
            cells = []
            for partner in PARTNERS:
                s = r["summary"][proc][partner]
                cells.append(f"{partner} {s['mean']:.3f} [{s['low']:.3f}, {s['high']:.3f}]")
            lines.append(f"  {proc:<8} " + "; ".join(cells))
        d = r["difference"]["held_out"]
        if d["low"] is not None:
            lines.append(
                f"  dynamic - static, held-out: {d['mean']:+.3f} [{d['low']:+.3f}, "
                f"{d['high']:+.3f}]"
            )
        return "\n".join(lines)


class ReferentialPopulationsRecipe(RecipeBase):
    """Static against dynamic population-based meta-learning of a listener."""

    kind: Literal["referential_populations"] = "referential_populations"
    game: Literal["lewis_game", "object_reconstruction"] = "lewis_game"
    game_params: dict[str, Any] = Field(default_factory=dict)
    seeds: int = Field(5, ge=1, le=1000)
    population: int = Field(4, ge=1, le=100)
    held_out: int = Field(4, ge=1, le=100)
    selfplay_steps: int = Field(200, ge=1, le=1_000_000)
    meta_steps: int = Field(100, ge=0, le=1_000_000)
    inner_steps: int = Field(3, ge=1, le=1000)
    inner_lr: float = Field(1.0, gt=0, le=100)
    meta_lr: float = Field(0.5, gt=0, le=1)
    lr: float = Field(0.05, gt=0, le=10)
    batch_size: int = Field(64, ge=1, le=100_000)
    shots: int = Field(64, ge=1, le=100_000)
    adapt_steps: int = Field(10, ge=0, le=10_000)
    eval_games: int = Field(500, ge=1, le=1_000_000)
    bot_examples: int = Field(0, ge=0, le=1_000_000)

    progress_unit: ClassVar[tuple[str, str]] = ("run", "runs")

    @model_validator(mode="after")
    def _task_builds(self) -> ReferentialPopulationsRecipe:
        task = self.task()
        if self.bot_examples and task.message_length < task.properties:
            raise ValueError(
                f"bot_examples needs message_length >= properties ({task.properties}); the "
                f"game's message_length is {task.message_length}"
            )
        if task.vocabulary < task.features:
            raise ValueError(
                f"the bot partner needs a vocabulary of at least properties x values = "
                f"{task.features} words; the game has {task.vocabulary}"
            )
        return self

    def task(self) -> ReferentialTask:
        try:
            return task_of(make(self.game, **self.game_params))
        except Exception as err:  # a bad game parameter: say which
            raise ValueError(str(err)) from None

    def config(self) -> ReferentialConfig:
        return ReferentialConfig(
            batch_size=self.batch_size,
            lr=self.lr,
            selfplay_steps=self.selfplay_steps,
            bot_examples=self.bot_examples,
            population=self.population,
            meta_steps=self.meta_steps,
            inner_steps=self.inner_steps,
            inner_lr=self.inner_lr,
            meta_lr=self.meta_lr,
            shots=self.shots,
            adapt_steps=self.adapt_steps,
            eval_games=self.eval_games,
            held_out=self.held_out,
        )

    def stored_units(self, run_dir: Path) -> int:
        if stored_meta(run_dir, ["result"]):
            return self.seeds
        return stored_meta(run_dir, [f"run/{r}" for r in range(self.seeds)])

    def run_one(self, r: int) -> dict[str, Any]:
        """One run: the held-out partners, both procedures, and their evaluations."""
        task, config = self.task(), self.config()
        rng = np.random.default_rng(self.seed + r)
        language = task.bot_language(self.seed + r)
        data = bot_data(task, language, self.bot_examples, rng) if self.bot_examples else None
        held = [independent_speaker(task, config, rng, data)[0] for _ in range(self.held_out)]
        out: dict[str, Any] = {"run": r}
        for proc, train in (("static", static_population), ("dynamic", dynamic_population)):
            result: PopulationResult = train(task, config, rng, data)
            groups = {
                "seen": [speaker_source(s) for s in result.speakers],
                "held_out": [speaker_source(s) for s in held],
                "bot": [bot_source(task, language)],
            }
            out[proc] = {
                partner: [evaluate_listener(result.listener, src, config, rng) for src in srcs]
                for partner, srcs in groups.items()
            }
            out[proc]["self_play"] = [entry["self_play"] for entry in result.log]
        return out

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> ReferentialOutcome:
        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
                done = store.get_meta("result")
                if done is not None:
                    return ReferentialOutcome(done)
            start = time.perf_counter()
            runs = []
            for r in range(self.seeds):
                stored = store.get_meta(f"run/{r}") if store is not None else None
                runs.append(stored if stored is not None else self.run_one(r))
                if store is not None and stored is None:
                    store.set_meta(f"run/{r}", runs[-1])
                if progress is not None:
                    progress(r + 1, self.seeds)
            result = summarise(runs, self.eval_games)
            result.update(
                name=self.name,
                game=self.game,
                seeds=self.seeds,
                seconds=time.perf_counter() - start,
            )
            if store is not None:
                store.set_meta("result", result)
        if out_dir is not None:
            self.write_report(out_dir)
        return ReferentialOutcome(result)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return referential_report(Path(run_dir), *stored_result(run_dir))


def _interval(values: list[float], bounds: tuple[float, float] | None) -> dict[str, Any]:
    ci = mean_ci(values, bounds=bounds)
    return {
        "mean": ci.mean,
        "low": ci.low if math.isfinite(ci.low) else None,
        "high": ci.high if math.isfinite(ci.high) else None,
        "n": ci.n,
        "method": ci.method,
    }


def summarise(runs: list[dict[str, Any]], eval_games: int) -> dict[str, Any]:
    """Accuracies per procedure and partner kind: pooled (Wilson) and over runs (bounded
    score interval), and the per-run difference dynamic minus static (Student-t)."""
    summary: dict[str, Any] = {}
    per_run: dict[str, dict[str, list[float]]] = {}
    for proc in PROCEDURES:
        summary[proc], per_run[proc] = {}, {}
        for partner in PARTNERS:
            wins = [sum(run[proc][partner]) for run in runs]
            games = [len(run[proc][partner]) * eval_games for run in runs]
            accs = [w / g for w, g in zip(wins, games, strict=True)]
            per_run[proc][partner] = accs
            summary[proc][partner] = {
                **_interval(accs, (0.0, 1.0)),
                "pooled": rate_with_interval(sum(wins), sum(games)),
            }
    difference = {
        partner: _interval(
            [
                d - s
                for d, s in zip(
                    per_run["dynamic"][partner], per_run["static"][partner], strict=True
                )
            ],
            None,
        )
        for partner in PARTNERS
    }
    return {"summary": summary, "difference": difference, "per_run": per_run, "runs": runs}
