"""Recipe kinds for the LLM Economist's tax economy (:mod:`redqueen.games.tax_economy`).

- ``tax_saez``: scripted workers who best-respond exactly; planners compared by the
  social welfare at the workers' best response: a planner that searches a grid of rates
  (every rate vector on a ``grid_step`` grid), Saez's optimal rates (elasticity 0.4, a
  KDE density, computed as the code does), the 2024 US federal schedule (its own seven
  brackets) and 50% in every bracket. Each of ``draws`` skill draws is one row; the table
  gives the mean over draws with its 95% interval.
- ``tax_llm``: the paper's two-timescale loop: every step the workers (an LLM each, or
  scripted best responses) choose hours; every ``tax_year`` steps the planner (an LLM, or
  a fixed schedule: Saez, US federal, uniform) changes the rates. It records the rates,
  the welfare and the hours every step, and every invalid reply; at the end, the welfare
  the final rates give scripted best-responders, next to Saez's.
- ``tax_democracy``: the democratic scenario: every tax year each worker may run with a
  platform (a change of the rates), all vote, the plurality winner's platform is applied
  (ties broken at random). Citizens are scripted (:func:`redqueen.agents.tax.
  scripted_platforms`, :func:`~redqueen.agents.tax.scripted_votes`, best-response hours)
  or LLMs.

A run stores each finished draw or episode in the run store as it ends, and the whole
result when all are done; a second ``redqueen run`` into the same directory resumes. LLM
calls go to the run's response cache and transcripts (``llm_calls``), so a finished
episode replays from the cache with no requests. The LLM players answer in the paper's
JSON whatever ``llm.answer_format`` says (:mod:`redqueen.agents.tax`). An episode whose
backend fails is not stored and is played again on the next run. In the code, the
elected leader is asked again for a change after the vote; here the platform it ran on
is applied, and a year with no candidate (or no valid vote) keeps the rates.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from redqueen.agents.llm.backends import BackendError
from redqueen.agents.tax import (
    EconomyFacts,
    TaxLLMPlanner,
    TaxLLMWorker,
    scripted_platforms,
    scripted_votes,
)
from redqueen.errors import RedqueenError
from redqueen.experiments.base import (
    ProgressHook,
    RecipeBase,
    json_safe,
    optional_store,
    stored_meta,
    stored_result,
)
from redqueen.experiments.llm_games import LLMConfig, close_clients
from redqueen.games.tax_economy import (
    BRACKET_PRESETS,
    TaxEconomy,
    TaxSchedule,
    bracket_edges,
    plurality,
    saez_rates,
    sample_skills,
)
from redqueen.measure.social import gini
from redqueen.measure.statistics import mean_ci
from redqueen.report.tax import tax_run_report, tax_saez_report
from redqueen.store.run_store import RunStore

Brackets = str | list[list[float | None]]
SkillDistribution = Literal["us_income", "uniform"]
Welfare = Literal["inverse_income", "utilitarian"]


class TaxOutcome:
    """What a tax recipe's run returns: its result dict and a short text."""

    def __init__(self, result: dict[str, Any], text: str) -> None:
        self.result = result
        self.text = text

    def to_dict(self) -> dict[str, Any]:
        return json_safe(self.result)

    def summary_text(self) -> str:
        return self.text


def _check_brackets(value: Brackets) -> Brackets:
    try:
        bracket_edges(value)
    except RedqueenError as err:
        raise ValueError(str(err)) from None
    return value


def distribute_types(
    n: int, percent_altruistic: int, percent_adversarial: int, rng: np.random.Generator
) -> list[str]:
    """The code's ``distribute_agents``: ``round(p / 100 * n)`` adversarial and altruistic
    workers, the rest egotistical, shuffled."""
    adversarial = round(percent_adversarial / 100 * n)
    altruistic = round(percent_altruistic / 100 * n)
    types = ["adversarial"] * adversarial + ["altruistic"] * altruistic
    types += ["egotistical"] * (n - len(types))
    order = rng.permutation(n)
    return [types[k] for k in order]


def outcome_row(economy: TaxEconomy, rates: Sequence[float] | None = None) -> dict[str, Any]:
    """The step at every worker's best response to ``rates`` (default: the economy's)."""
    o = economy.welfare_at_best_response(rates)
    return {
        "rates": list(rates if rates is not None else economy.rates),
        "swf": o.swf,
        "utilitarian": float(o.isoelastic.sum()),
        "mean_hours": float(o.hours.mean()),
        "mean_income": float(o.pre_tax.mean()),
        "tax_share": float(o.tax.sum() / max(o.pre_tax.sum(), 1e-12)),
        "gini_post_tax": gini(o.post_tax.tolist()),
    }


# ---- tax_saez --------------------------------------------------------------------------------

SaezPlanner = Literal["grid_search", "saez", "us_federal", "uniform"]


def _all_planners() -> list[SaezPlanner]:
    return ["grid_search", "saez", "us_federal", "uniform"]


class TaxSaezRecipe(RecipeBase):
    """Scripted best-response workers under planners compared by welfare (see the module
    docstring)."""

    kind: Literal["tax_saez"] = "tax_saez"
    workers: int = Field(1000, ge=2, le=1_000_000)
    draws: int = Field(5, ge=1, le=10_000)
    brackets: Brackets = "three"
    skill_distribution: SkillDistribution = "us_income"
    swf: Welfare = "inverse_income"
    elasticity: float | list[float] = 0.4
    grid_step: int = Field(10, ge=1, le=100)
    """Points between the rates the grid search tries (0, step, ..., 100)."""
    planners: list[SaezPlanner] = Field(default_factory=_all_planners, min_length=1)

    progress_unit: ClassVar[tuple[str, str]] = ("draw", "draws")

    @field_validator("brackets")
    @classmethod
    def _known_brackets(cls, value: Brackets) -> Brackets:
        return _check_brackets(value)

    @model_validator(mode="after")
    def _sizes(self) -> TaxSaezRecipe:
        if 100 % self.grid_step:
            raise ValueError(
                f"grid_step must divide 100 (1, 2, 4, 5, 10, 20, 25, 50, 100); got {self.grid_step}"
            )
        brackets = len(bracket_edges(self.brackets))
        points = (100 // self.grid_step + 1) ** brackets
        if "grid_search" in self.planners and points > 50_000:
            raise ValueError(
                f"the grid search would try {points} rate vectors ({brackets} brackets, step "
                f"{self.grid_step}); at most 50000 are allowed: raise grid_step or use fewer "
                "brackets"
            )
        if isinstance(self.elasticity, list) and len(self.elasticity) != brackets:
            raise ValueError(f"elasticity: one number or one per bracket ({brackets})")
        return self

    def stored_units(self, run_dir: Path) -> int:
        if stored_meta(run_dir, ["result"]):
            return self.draws
        return stored_meta(run_dir, [f"draw/{k}" for k in range(self.draws)])

    def grid(self) -> list[tuple[float, ...]]:
        """Every rate vector the grid search tries."""
        values = [float(r) for r in range(0, 101, self.grid_step)]
        return list(itertools.product(values, repeat=len(bracket_edges(self.brackets))))

    def run_draw(self, k: int) -> dict[str, Any]:
        """One skill draw: every planner's rates and the outcome at best response."""
        rng = np.random.default_rng([self.seed, k])
        skills = sample_skills(self.workers, self.skill_distribution, rng)
        schedule = TaxSchedule.build(self.brackets)
        economy = TaxEconomy(skills, schedule, swf=self.swf)
        rows: dict[str, dict[str, Any]] = {}
        for planner in self.planners:
            if planner == "grid_search":
                best = max(self.grid(), key=lambda r: economy.welfare_at_best_response(r).swf)
                rows[planner] = outcome_row(economy, best)
            elif planner == "saez":
                rows[planner] = outcome_row(
                    economy, saez_rates(skills, schedule.edges, self.elasticity)
                )
            elif planner == "uniform":
                rows[planner] = outcome_row(economy, [50.0] * schedule.num_brackets)
            else:
                federal = TaxEconomy(
                    skills, TaxSchedule.build("us_federal", "us_federal"), swf=self.swf
                )
                rows[planner] = outcome_row(federal)
        return {"draw": k, "mean_skill": float(skills.mean()), "planners": rows}

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> TaxOutcome:
        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
                done = store.get_meta("result")
                if done is not None:
                    return TaxOutcome(done, _saez_text(done))
            start = time.perf_counter()
            draws = []
            for k in range(self.draws):
                row = store.get_meta(f"draw/{k}") if store is not None else None
                if row is None:
                    row = json_safe(self.run_draw(k))
                    if store is not None:
                        store.set_meta(f"draw/{k}", row)
                draws.append(row)
                if progress is not None:
                    progress(k + 1, self.draws)
            result = {
                "name": self.name,
                "draws": draws,
                "summary": summarise_planners(draws, list(self.planners)),
                "seconds": time.perf_counter() - start,
            }
            if store is not None:
                store.set_meta("result", json_safe(result))
        if out_dir is not None:
            self.write_report(out_dir)
        return TaxOutcome(result, _saez_text(result))

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return tax_saez_report(Path(run_dir), *stored_result(run_dir))


def summarise_planners(draws: list[dict[str, Any]], planners: list[str]) -> list[dict[str, Any]]:
    """Per planner: the mean welfare over draws with its 95% interval, the mean of the
    other measures, and how often the planner's welfare is the best of the draw."""
    out = []
    for planner in planners:
        swf = [d["planners"][planner]["swf"] for d in draws]
        ci = mean_ci(swf)
        best = sum(
            d["planners"][planner]["swf"] >= max(p["swf"] for p in d["planners"].values()) - 1e-9
            for d in draws
        )
        row = {"planner": planner, "swf": ci.mean, "swf_low": ci.low, "swf_high": ci.high}
        for key in ("utilitarian", "mean_hours", "mean_income", "tax_share", "gini_post_tax"):
            row[key] = float(np.mean([d["planners"][planner][key] for d in draws]))
        row["best_share"] = best / len(draws)
        row["rates"] = draws[0]["planners"][planner]["rates"] if len(draws) == 1 else None
        out.append(row)
    return out


def _saez_text(result: dict[str, Any]) -> str:
    lines = [f"{result['name']}: {len(result['draws'])} skill draw(s); welfare at best response"]
    for row in result["summary"]:
        lines.append(
            f"  {row['planner']:<12} swf {row['swf']:.4g} [{row['swf_low']:.4g}, "
            f"{row['swf_high']:.4g}]  mean hours {row['mean_hours']:.1f}  tax share "
            f"{row['tax_share']:.3f}  best in {row['best_share']:.0%} of draws"
        )
    return "\n".join(lines)


# ---- the two-timescale loop (tax_llm, tax_democracy) -----------------------------------------


@dataclass
class Trace:
    """What one episode recorded."""

    rates: list[list[float]] = field(default_factory=list)
    swf: list[float] = field(default_factory=list)
    mean_hours: list[float] = field(default_factory=list)
    mean_utility: list[float] = field(default_factory=list)
    elections: list[dict[str, Any]] = field(default_factory=list)
    changes: list[list[float]] = field(default_factory=list)

    def record(
        self, rates: Sequence[float], swf: float, hours: np.ndarray, utility: np.ndarray
    ) -> None:
        self.rates.append([float(r) for r in rates])
        self.swf.append(float(swf))
        self.mean_hours.append(float(hours.mean()))
        self.mean_utility.append(float(utility.mean()))


class _EconomyRecipe(RecipeBase):
    """Fields and the loop shared by ``tax_llm`` and ``tax_democracy``."""

    workers: int = Field(5, ge=2, le=10_000)
    steps: int = Field(100, ge=1, le=100_000)
    tax_year: int = Field(25, ge=1, le=100_000)
    episodes: int = Field(1, ge=1, le=1000)
    brackets: Brackets = "three"
    skill_distribution: SkillDistribution = "us_income"
    swf: Welfare = "inverse_income"
    percent_altruistic: int = Field(0, ge=0, le=100)
    percent_adversarial: int = Field(0, ge=0, le=100)
    history_len: int = Field(50, ge=1, le=10_000)
    worker_fallback: Literal["previous", "zero"] = "previous"
    max_listed: int = Field(125, ge=0, le=100_000)
    """The longest list of accepted answers an LLM question ends with."""

    progress_unit: ClassVar[tuple[str, str]] = ("episode", "episodes")

    @field_validator("brackets")
    @classmethod
    def _known_brackets(cls, value: Brackets) -> Brackets:
        return _check_brackets(value)

    @model_validator(mode="after")
    def _mix(self) -> _EconomyRecipe:
        if self.percent_altruistic + self.percent_adversarial > 100:
            raise ValueError("percent_altruistic + percent_adversarial must be at most 100")
        return self

    def stored_units(self, run_dir: Path) -> int:
        if stored_meta(run_dir, ["result"]):
            return self.episodes
        return stored_meta(run_dir, [f"episode/{k}" for k in range(self.episodes)])

    def facts(self) -> EconomyFacts:
        return EconomyFacts(
            TaxSchedule.build(self.brackets), self.steps, self.tax_year, self.swf, self.max_listed
        )

    def economy(self, episode: int) -> tuple[TaxEconomy, np.random.SeedSequence]:
        """The episode's economy (skills, types) and the seed of its other streams."""
        root = np.random.SeedSequence([self.seed, episode])
        skills_seq, types_seq, rest = root.spawn(3)
        skills = sample_skills(
            self.workers, self.skill_distribution, np.random.default_rng(skills_seq)
        )
        types = distribute_types(
            self.workers,
            self.percent_altruistic,
            self.percent_adversarial,
            np.random.default_rng(types_seq),
        )
        economy = TaxEconomy(
            skills, TaxSchedule.build(self.brackets), utility_types=types, swf=self.swf
        )
        return economy, rest

    def llm_workers(self, llm: LLMConfig, economy: TaxEconomy) -> list[TaxLLMWorker]:
        agent = llm.agent()
        return [
            TaxLLMWorker(
                agent,
                i,
                float(economy.skills[i]),
                self.facts(),
                utility_type=economy.utility_types[i],
                history_len=self.history_len,
                fallback=self.worker_fallback,
            )
            for i in range(economy.num_workers)
        ]

    async def loop(
        self,
        economy: TaxEconomy,
        workers: list[TaxLLMWorker] | None,
        decide: Any,
        seeds: np.random.SeedSequence,
        observe: Any = None,
    ) -> Trace:
        """The paper's loop: at each step from ``tax_year`` on that starts a tax year,
        ``decide(step, rng, trace)`` may change the rates; then the workers choose hours
        (LLMs, or best responses when ``workers`` is None); the step is settled and the
        workers and ``observe(step, rates, outcome)`` see it."""
        trace = Trace()
        plan_seq, *worker_seqs = seeds.spawn(1 + economy.num_workers)
        plan_rng = np.random.default_rng(plan_seq)
        worker_rngs = [np.random.default_rng(s) for s in worker_seqs]
        for step in range(self.steps):
            if step > 0 and step % self.tax_year == 0:
                await decide(step, plan_rng, trace)
            rates = economy.rates
            if workers is None:
                hours = economy.best_response_hours()
            else:
                chosen = await asyncio.gather(
                    *(w.choose_hours(step, rates, worker_rngs[w.index]) for w in workers)
                )
                hours = np.array(chosen)
            outcome = economy.step(hours)
            trace.record(rates, outcome.swf, outcome.hours, outcome.isoelastic)
            for w in workers or []:
                w.observe(step, rates, outcome)
            if observe is not None:
                observe(step, rates, outcome)
        return trace

    def run_episodes(
        self,
        out_dir: Path | None,
        progress: ProgressHook | None,
        play: Any,
        uses_llm: bool,
    ) -> TaxOutcome:
        """Play (or read back) every episode; ``play(k, sink)`` is a coroutine that returns
        the episode's record."""
        store = RunStore(out_dir) if out_dir is not None else None
        sink: Any = None
        try:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
                done = store.get_meta("result")
                if done is not None:
                    return TaxOutcome(done, _run_text(done))
                if uses_llm:
                    from redqueen.store.llm_cache import LLMStore
                    from redqueen.store.run_store import DB_NAME

                    sink = LLMStore(Path(out_dir) / DB_NAME)  # type: ignore[arg-type]
            start = time.perf_counter()
            episodes: list[dict[str, Any]] = []
            failed: dict[str, str] = {}
            for k in range(self.episodes):
                record = store.get_meta(f"episode/{k}") if store is not None else None
                if record is None:
                    try:
                        record = json_safe(asyncio.run(play(k, sink)))
                    except BackendError as err:
                        if getattr(err, "stops_run", False):
                            raise
                        failed[f"episode/{k}"] = str(err)
                        continue
                    if store is not None:
                        store.set_meta(f"episode/{k}", record)
                episodes.append(record)
                if progress is not None:
                    progress(k + 1, self.episodes)
            if store is not None:
                store.set_meta("failed_matches", failed)
            result = {
                "name": self.name,
                "kind": self.kind,
                "episodes": episodes,
                "failed": list(failed),
                "seconds": time.perf_counter() - start,
            }
            if store is not None and not failed:
                store.set_meta("result", json_safe(result))
        finally:
            if sink is not None:
                sink.close()
            if store is not None:
                store.close()
        if out_dir is not None:
            self.write_report(out_dir)
        return TaxOutcome(result, _run_text(result))

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        with RunStore(run_dir) as store:
            config = store.config()
            result = store.get_meta("result")
            if result is None:
                k = 0
                episodes = []
                while (e := store.get_meta(f"episode/{k}")) is not None:
                    episodes.append(e)
                    k += 1
                result = {"name": config.get("name"), "episodes": episodes, "seconds": math.nan}
        return tax_run_report(Path(run_dir), config, result)


def _episode_record(
    k: int,
    economy: TaxEconomy,
    trace: Trace,
    workers: list[TaxLLMWorker] | None,
    planner_invalid: int,
) -> dict[str, Any]:
    final = list(economy.rates)
    saez = saez_rates(economy.skills, economy.schedule.edges)
    return {
        "episode": k,
        "skills": [float(s) for s in economy.skills],
        "utility_types": list(economy.utility_types),
        "rates": trace.rates,
        "swf": trace.swf,
        "mean_hours": trace.mean_hours,
        "mean_utility": trace.mean_utility,
        "elections": trace.elections,
        "changes": trace.changes,
        "final_rates": final,
        "invalid_moves": {
            "workers": [w.invalid_moves for w in workers] if workers is not None else [],
            "planner": planner_invalid,
        },
        "best_response": {"final": outcome_row(economy, final), "saez": outcome_row(economy, saez)},
    }


# ---- tax_llm ---------------------------------------------------------------------------------


class TaxLLMRecipe(_EconomyRecipe):
    """The paper's loop with LLM workers and an LLM planner (either may be scripted or
    fixed instead; see the module docstring)."""

    kind: Literal["tax_llm"] = "tax_llm"
    llm: LLMConfig
    worker_kind: Literal["llm", "best_response"] = "llm"
    planner: Literal["llm", "saez", "us_federal", "uniform"] = "llm"
    planner_history: int = Field(10, ge=1, le=10_000)
    """Tax years of summaries in the LLM planner's context."""
    planner_fallback: Literal["keep", "random"] = "keep"
    explore: bool = True
    exploit: bool = True

    @model_validator(mode="after")
    def _federal(self) -> TaxLLMRecipe:
        if (
            self.planner == "us_federal"
            and bracket_edges(self.brackets) != BRACKET_PRESETS["us_federal"]
        ):
            raise ValueError("planner us_federal needs brackets: us_federal")
        return self

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> TaxOutcome:
        return self.run_episodes(out_dir, progress, self.play, uses_llm=True)

    async def play(self, k: int, sink: Any) -> dict[str, Any]:
        from redqueen.agents.llm.context import recording

        economy, seeds = self.economy(k)
        workers = self.llm_workers(self.llm, economy) if self.worker_kind == "llm" else None
        planner: TaxLLMPlanner | None = None
        if self.planner == "llm":
            planner = TaxLLMPlanner(
                self.llm.agent(),
                self.facts(),
                seat=economy.num_workers,
                history_len=self.planner_history,
                average_len=self.history_len,
                fallback=self.planner_fallback,
                explore=self.explore,
                exploit=self.exploit,
            )
        elif self.planner == "saez":
            economy.set_rates(saez_rates(economy.skills, economy.schedule.edges))
        elif self.planner == "us_federal":
            economy.set_rates(TaxSchedule.build("us_federal", "us_federal").rates)

        async def decide(step: int, rng: np.random.Generator, trace: Trace) -> None:
            if planner is None:
                return
            delta = await planner.choose_delta(step, economy.rates, rng)
            trace.changes.append([float(d) for d in delta])
            economy.apply_delta(delta)

        names = [f"worker_{i}" for i in range(economy.num_workers)] + ["planner"]
        agents = [w.llm for w in workers or []] + ([planner.llm] if planner else [])
        try:
            with recording(f"episode/{k}", sink, names):
                trace = await self.loop(
                    economy, workers, decide, seeds, planner.observe if planner else None
                )
        finally:
            await close_clients(agents)
        return _episode_record(k, economy, trace, workers, planner.invalid_moves if planner else 0)


# ---- tax_democracy ---------------------------------------------------------------------------


class TaxDemocracyRecipe(_EconomyRecipe):
    """The democratic scenario: platforms, a plurality vote with random ties, the winner's
    platform applied each tax year (see the module docstring)."""

    kind: Literal["tax_democracy"] = "tax_democracy"
    citizens: Literal["scripted", "llm"] = "scripted"
    llm: LLMConfig | None = None

    @model_validator(mode="after")
    def _llm_given(self) -> TaxDemocracyRecipe:
        if self.citizens == "llm" and self.llm is None:
            raise ValueError("citizens: llm needs the llm field (model, base_url, api_key_env)")
        return self

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> TaxOutcome:
        return self.run_episodes(out_dir, progress, self.play, uses_llm=self.citizens == "llm")

    async def play(self, k: int, sink: Any) -> dict[str, Any]:
        from redqueen.agents.llm.context import recording

        economy, seeds = self.economy(k)
        workers = None
        if self.citizens == "llm":
            assert self.llm is not None
            workers = self.llm_workers(self.llm, economy)
        vote_seq, loop_seq = seeds.spawn(2)
        vote_rng = np.random.default_rng(vote_seq)

        async def decide(step: int, rng: np.random.Generator, trace: Trace) -> None:
            rates = economy.rates
            if workers is None:
                platforms: list[Sequence[float] | None] = list(scripted_platforms(economy))
            else:
                platforms = list(
                    await asyncio.gather(*(w.platform(step, rates, rng) for w in workers))
                )
            candidates = [(i, p) for i, p in enumerate(platforms) if p is not None]
            election: dict[str, Any] = {
                "step": step,
                "platforms": [None if p is None else [float(d) for d in p] for p in platforms],
                "votes": [],
                "leader": None,
            }
            trace.elections.append(election)
            if not candidates:
                return
            if workers is None:
                picks = scripted_votes(economy, [p for _, p in candidates])
                votes: list[int | None] = [candidates[c][0] for c in picks]
            else:
                votes = list(
                    await asyncio.gather(*(w.vote(rates, candidates, rng) for w in workers))
                )
            election["votes"] = votes
            cast = [v for v in votes if v is not None]
            if not cast:
                return
            leader = plurality(cast, vote_rng)
            platform = dict(candidates)[leader]
            election["leader"] = leader
            trace.changes.append([float(d) for d in platform])
            economy.apply_delta(platform)
            for w in workers or []:
                w.note_leader(leader, platform)

        names = [f"worker_{i}" for i in range(economy.num_workers)]
        try:
            with recording(f"episode/{k}", sink, names):
                trace = await self.loop(economy, workers, decide, loop_seq)
        finally:
            await close_clients([w.llm for w in workers or []])
        return _episode_record(k, economy, trace, workers, 0)


def _run_text(result: dict[str, Any]) -> str:
    lines = [f"{result['name']}: {len(result['episodes'])} episode(s)"]
    for e in result["episodes"]:
        br = e["best_response"]
        invalid = e["invalid_moves"]
        lines.append(
            f"  episode {e['episode']}: final rates {[round(r, 2) for r in e['final_rates']]}; "
            f"welfare last step {e['swf'][-1]:.4g}; at best response: final rates "
            f"{br['final']['swf']:.4g}, Saez {br['saez']['swf']:.4g}; invalid replies: workers "
            f"{sum(invalid['workers'])}, planner {invalid['planner']}"
        )
    if result.get("failed"):
        lines.append(f"  failed episodes (played again on the next run): {result['failed']}")
    return "\n".join(lines)
