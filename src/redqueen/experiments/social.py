"""Recipe kinds for the social games: ``donor_evolution`` (scripted
reciprocity strategies evolving over generations of the donor game) and
``commons_norms`` (scripted harvesters on rich and scarce commons, with and without
monitoring and norm votes).

Both runs are small enough to recompute: a run stores its results in the run store
(per-generation or per-cell metrics, plus the whole result as run metadata) and a second
``redqueen run`` into the same directory reuses them. The reports
(:mod:`redqueen.report.social`) are single HTML files with tables and inline-SVG charts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from redqueen.agents.social import (
    COMMONS_STRATEGIES,
    DONOR_STRATEGIES,
    CommonsAgent,
)
from redqueen.experiments.base import (
    ProgressHook,
    RecipeBase,
    json_safe,
    optional_store,
    stored_meta,
    stored_result,
)
from redqueen.games.commons import CommonsGame, CommonsState, commons
from redqueen.learn.donor_evolution import DonorEvolutionConfig, GenerationStats, evolve_donors
from redqueen.measure.social import (
    collapse_time,
    gini,
    norm_convergence_time,
    punishment_rates,
    welfare,
)
from redqueen.play.match import play_match, replay
from redqueen.report.social import commons_norms_report, donor_evolution_report


class SocialOutcome:
    """What a social recipe's run returns: its result dict and a short text."""

    def __init__(self, result: dict[str, Any], text: str) -> None:
        self.result = result
        self.text = text

    def to_dict(self) -> dict[str, Any]:
        return json_safe(self.result)

    def summary_text(self) -> str:
        return self.text


# ---- donor evolution ------------------------------------------------------------------------


class DonorEvolutionRecipe(RecipeBase):
    """Evolution of scripted reciprocity strategies in the donor game
    (:mod:`redqueen.learn.donor_evolution`), repeated ``runs`` times with seeds
    ``seed, seed + 1, ...``."""

    kind: Literal["donor_evolution"] = "donor_evolution"
    population: list[str] = Field(min_length=1)
    generations: int = Field(20, ge=1, le=10_000)
    runs: int = Field(3, ge=1, le=1000)
    num_agents: int = Field(12, ge=2, le=1000)
    rounds: int = Field(11, ge=1, le=10_000)
    endowment: float = Field(10.0, gt=0)
    multiplier: float = Field(2.0, ge=0)
    punishment: float = Field(0.0, ge=0)
    trace_depth: int = Field(3, ge=0, le=100)
    donation_levels: int = Field(11, ge=2, le=101)
    survive_fraction: float = Field(0.5, gt=0, le=1)
    mutation: float = Field(0.0, ge=0, le=1)

    progress_unit: ClassVar[tuple[str, str]] = ("run", "runs")

    def stored_units(self, run_dir: Path) -> int:
        """The finished runs ``run_dir`` holds."""
        if stored_meta(run_dir, ["result"]):
            return self.runs
        return stored_meta(run_dir, [f"run/{r}" for r in range(self.runs)])

    @field_validator("population")
    @classmethod
    def _known_strategies(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in DONOR_STRATEGIES:
                allowed = ", ".join(sorted(DONOR_STRATEGIES))
                raise ValueError(f"unknown donor strategy {name!r}; allowed: {allowed}")
        return value

    def config_for(self, run: int) -> DonorEvolutionConfig:
        return DonorEvolutionConfig(
            generations=self.generations,
            num_agents=self.num_agents,
            rounds=self.rounds,
            endowment=self.endowment,
            multiplier=self.multiplier,
            punishment=self.punishment,
            trace_depth=self.trace_depth,
            donation_levels=self.donation_levels,
            survive_fraction=self.survive_fraction,
            mutation=self.mutation,
            seed=self.seed + run,
        )

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> SocialOutcome:
        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
                done = store.get_meta("result")
                if done is not None:
                    return SocialOutcome(done, _donor_text(done))
            start = time.perf_counter()
            runs: list[list[dict[str, Any]]] = []
            for r in range(self.runs):
                finished = store.get_meta(f"run/{r}") if store is not None else None
                if finished is not None:  # a resumed run: this one is stored, metrics logged
                    runs.append(finished)
                    continue
                stats = evolve_donors(
                    self.config_for(r), self.population, on_generation=_tick(progress, r, self)
                )
                runs.append([s.to_dict() for s in stats])
                if store is not None:
                    # The run first, then its metrics: a kill in between can lose some of
                    # this run's metric rows, never duplicate them or the run.
                    store.set_meta(f"run/{r}", json_safe(runs[-1]))
                    for s in stats:
                        for key in ("mean_resources", "donation_rate", "cooperation_rate", "gini"):
                            store.log_metric(key, float(getattr(s, key)), step=s.generation, run=r)
            result = {
                "name": self.name,
                "runs": runs,
                "mean": _mean_curves(runs),
                "seconds": time.perf_counter() - start,
            }
            if store is not None:
                store.set_meta("result", json_safe(result))
        if out_dir is not None:
            self.write_report(out_dir)
        return SocialOutcome(result, _donor_text(result))

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return donor_evolution_report(Path(run_dir), *stored_result(run_dir))


def _tick(
    progress: ProgressHook | None, run: int, recipe: DonorEvolutionRecipe
) -> Callable[[GenerationStats], None] | None:
    if progress is None:
        return None
    hook = progress
    total = recipe.runs * recipe.generations

    def tick(stats: GenerationStats) -> None:
        hook(run * recipe.generations + stats.generation + 1, total)

    return tick


def _mean_curves(runs: list[list[dict[str, Any]]]) -> dict[str, Any]:
    keys = ["mean_resources", "donation_rate", "cooperation_rate", "gini", "punishment_rate",
            "antisocial_punishment", "mean_give", "mean_threshold"]  # fmt: skip
    gens = len(runs[0])
    out: dict[str, Any] = {}
    for key in keys:
        out[key] = [_nanmean([run[g][key] for run in runs]) for g in range(gens)]
    labels = sorted({label for run in runs for g in run for label in g["counts"]})
    if len(labels) > 8:  # mutation makes every label unique: count the named ones only
        labels = [label for label in labels if label in DONOR_STRATEGIES]
    out["counts"] = {
        label: [
            float(np.mean([run[g]["counts"].get(label, 0) for run in runs])) for g in range(gens)
        ]
        for label in labels
    }
    return out


def _donor_text(result: dict[str, Any]) -> str:
    mean = result["mean"]
    last = len(mean["donation_rate"]) - 1
    lines = [
        f"{result['name']}: {len(result['runs'])} run(s) x {last + 1} generations",
        f"  donation rate: generation 0 {mean['donation_rate'][0]:.3f} -> last "
        f"{mean['donation_rate'][last]:.3f}",
        f"  mean resources: generation 0 {mean['mean_resources'][0]:.1f} -> last "
        f"{mean['mean_resources'][last]:.1f}",
    ]
    survivors = {k: v[last] for k, v in mean["counts"].items() if v[last] > 0}
    lines.append(
        f"  last generation: mean give {mean['mean_give'][last]:.2f}, mean threshold "
        f"{mean['mean_threshold'][last]:.2f}; named strategies: "
        + (", ".join(f"{k} {v:.1f}" for k, v in sorted(survivors.items())) or "none left")
    )
    return "\n".join(lines)


# ---- commons norms --------------------------------------------------------------------------

Institution = Literal["none", "monitoring", "voting"]
Preset = Literal["rich", "scarce"]


def _all_presets() -> list[Preset]:
    return ["rich", "scarce"]


def _all_institutions() -> list[Institution]:
    return ["none", "monitoring", "voting"]


class CommonsNormsRecipe(RecipeBase):
    """Scripted harvester populations on the commons, for every preset, institution and
    population: ``matches`` plays each with seeds ``seed, seed + 1, ...``.

    Institutions: ``none``; ``monitoring`` (a fixed norm ``norm``, audits with probability
    ``monitoring``, ``fine`` per unit above the norm); ``voting`` (a norm voted every
    ``vote_every`` rounds, with the same audits)."""

    kind: Literal["commons_norms"] = "commons_norms"
    presets: list[Preset] = Field(default_factory=_all_presets)
    institutions: list[Institution] = Field(default_factory=_all_institutions)
    populations: dict[str, list[str]] = Field(min_length=1)
    rounds: int = Field(12, ge=1, le=10_000)
    matches: int = Field(20, ge=1, le=100_000)
    effort_levels: int = Field(11, ge=2, le=101)
    norm: float = Field(0.2, ge=0, le=1)
    monitoring: float = Field(0.5, ge=0, le=1)
    fine: float = Field(2.0, ge=0)
    vote_every: int = Field(3, ge=1, le=10_000)
    collapse_threshold: float = Field(5.0, ge=0)

    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)
    progress_unit: ClassVar[tuple[str, str]] = ("cell", "cells")

    def stored_units(self, run_dir: Path) -> int:
        """The finished cells (preset, institution, population) ``run_dir`` holds."""
        cells = len(self.presets) * len(self.institutions) * len(self.populations)
        if stored_meta(run_dir, ["result"]):
            return cells
        return stored_meta(run_dir, [f"cell/{k}" for k in range(cells)])

    @field_validator("populations")
    @classmethod
    def _known_strategies(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for pop, names in value.items():
            if not names:
                raise ValueError(f"population {pop!r} is empty")
            for name in names:
                if name not in COMMONS_STRATEGIES:
                    raise ValueError(
                        f"population {pop!r}: unknown commons strategy {name!r}; allowed: "
                        + ", ".join(sorted(COMMONS_STRATEGIES))
                    )
        return value

    @model_validator(mode="after")
    def _games_build(self) -> CommonsNormsRecipe:
        for preset in self.presets:
            for inst in self.institutions:
                for names in self.populations.values():
                    self.make_game(preset, inst, len(names))
        return self

    def make_game(self, preset: str, institution: str, num_agents: int) -> CommonsGame:
        extra: dict[str, Any] = {}
        if institution in ("monitoring", "voting"):
            extra = {"monitoring": self.monitoring, "fine": self.fine}
        if institution == "monitoring":
            extra["norm"] = self.norm
        if institution == "voting":
            extra["vote_every"] = self.vote_every
        return commons(
            preset=preset,
            num_agents=num_agents,
            rounds=self.rounds,
            effort_levels=self.effort_levels,
            collapse_threshold=self.collapse_threshold,
            **extra,
        )

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> SocialOutcome:
        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
                done = store.get_meta("result")
                if done is not None:
                    return SocialOutcome(done, _commons_text(done))
            start = time.perf_counter()
            cells: list[dict[str, Any]] = []
            grid = [
                (p, i, pop)
                for p in self.presets
                for i in self.institutions
                for pop in self.populations
            ]
            for k, (preset, inst, pop) in enumerate(grid):
                stored = store.get_meta(f"cell/{k}") if store is not None else None
                if stored is not None:  # a resumed run: this cell is stored, metrics logged
                    cells.append(stored)
                    if progress is not None:
                        progress(k + 1, len(grid))
                    continue
                cell = self.run_cell(preset, inst, pop)
                cells.append(cell)
                if store is not None:
                    # The cell first, then its metrics: a kill in between can lose some of
                    # this cell's metric rows, never duplicate them or the cell.
                    store.set_meta(f"cell/{k}", json_safe(cell))
                    for key in ("welfare", "welfare_ratio", "collapse_rate", "gini"):
                        store.log_metric(
                            key, float(cell[key]), step=k, preset=preset, institution=inst,
                            population=pop,
                        )  # fmt: skip
                if progress is not None:
                    progress(k + 1, len(grid))
            result = {
                "name": self.name,
                "cells": cells,
                "seconds": time.perf_counter() - start,
                "gini_negatives": "kept",  # how the report describes its Gini
            }
            if store is not None:
                store.set_meta("result", json_safe(result))
        if out_dir is not None:
            self.write_report(out_dir)
        return SocialOutcome(result, _commons_text(result))

    def run_cell(self, preset: str, institution: str, population: str) -> dict[str, Any]:
        """Play ``matches`` games of one cell and measure them."""
        names = self.populations[population]
        game = self.make_game(preset, institution, len(names))
        optimum = best_symmetric_welfare(self.make_game(preset, "none", len(names)))
        agents = [CommonsAgent(n) for n in names]
        welfares, ginis, collapses, stock_paths = [], [], [], []
        violations, fined, convergence, compliance = [], [], [], []
        for m in range(self.matches):
            result = play_match(game, agents, seed=self.seed + m)
            state = replay(game, result.trajectory)
            assert isinstance(state, CommonsState)
            records = state.records()
            welfares.append(welfare(result.returns))
            ginis.append(gini(result.returns, allow_negative=True))
            stocks = [r.stock for r in records] + ([state.stock] if not state.collapsed() else [])
            stock_paths.append(stocks + [0.0] * (self.rounds + 1 - len(stocks)))
            collapses.append(collapse_time([r.remaining for r in records], game.collapse_threshold))
            for rec in records:
                if rec.norm is None:
                    continue
                for e, audited in zip(rec.efforts, rec.audited, strict=True):
                    over = e > rec.norm + 1e-12
                    compliance.append(not over)
                    if over:
                        violations.append(True)
                        fined.append(audited)
            if institution == "voting":
                convergence.append(norm_convergence_time([r.norm for r in records]))
        collapsed = [c for c in collapses if c is not None]
        rates = punishment_rates(fined, [False] * len(fined)) if fined else None
        return {
            "preset": preset,
            "institution": institution,
            "population": population,
            "agents": names,
            "welfare": float(np.mean(welfares)),
            "optimum": optimum,
            "welfare_ratio": float(np.mean(welfares)) / optimum if optimum > 0 else math.nan,
            "collapse_rate": len(collapsed) / self.matches,
            "mean_collapse_round": float(np.mean(collapsed)) + 1 if collapsed else math.nan,
            "gini": float(np.mean(ginis)),
            "compliance": float(np.mean(compliance)) if compliance else math.nan,
            "fined_share": rates.rate if rates is not None else math.nan,
            "norm_convergence_round": (
                _nanmean([c + 1 for c in convergence if c is not None]) if convergence else math.nan
            ),
            "stock": [float(x) for x in np.mean(stock_paths, axis=0)],
        }

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return commons_norms_report(Path(run_dir), *stored_result(run_dir))


def best_symmetric_welfare(game: CommonsGame) -> float:
    """The highest total harvest when every agent uses the same constant effort (a
    deterministic benchmark for welfare relative to the optimum)."""
    best = 0.0
    for k in range(len(game.efforts)):
        state = game.new_initial_state()
        while not state.is_terminal():
            state.apply_joint_action([k] * game.num_players)
        best = max(best, welfare(state.returns()))
    return best


def _commons_text(result: dict[str, Any]) -> str:
    lines = [f"{result['name']}: {len(result['cells'])} cells"]
    for c in result["cells"]:
        lines.append(
            f"  {c['preset']:<6} {c['institution']:<10} {c['population']:<16} welfare "
            f"{c['welfare']:.1f} (ratio {c['welfare_ratio']:.2f}), collapse rate "
            f"{c['collapse_rate']:.2f}"
        )
    return "\n".join(lines)


def _nanmean(values: list[Any]) -> float:
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return float(np.mean(finite)) if finite else math.nan
