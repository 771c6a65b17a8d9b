"""Recipe kind ``reservoir_governance``: BRG's body-reservoir agents against schedules.

Reproduces the set-up of Body-Reservoir Governance (Nakamura 2026;
:mod:`redqueen.agents.reservoir`, :mod:`redqueen.measure.reservoir`). One batch of
``seeds`` bodies of ``size`` units is developed and habituated (one member per seed, all
from ``numpy.random.default_rng(seed)``), and every agent plays every schedule with
each body:

- agents: the dynamic sentinel; static ``alpha`` in ``static_alphas`` (0 is pure
  tit-for-tat through the body's loop, 1 the body alone); plain TfT; EMA-TfT for each
  ``gamma`` in ``ema_gammas``;
- schedules: ``noisy`` (a noisy cooperator, ``noisy_eps``, ``noisy_steps`` steps),
  ``perturbation`` (cooperate 200, defect 100, cooperate 200) and ``multi_phase``
  (500 / 50 / 500 / 200 noisy at 0.3 / 500); ``schedule_scale`` shortens the last two.

Measured per agent and schedule: the mean payoff (mean over seeds with its 95% Student-t
interval; the bounded score interval on the payoff range [0, 5] is far wider than the
differences between agents, which are a few hundredths), the paired difference of the
sentinel's payoff minus the agent's, seed by seed (the same body and schedule; Student-t),
the action variance, and on the schedules
with a defection block its depth and recovery time; for the sentinel, its ``alpha``
before, in and after the block, and its mean trace. The readout's fit (the mean
readout under ``[1, 1]`` and ``[0, 0]`` during development) is reported per seed. The
complexity cost ``KL(driven || natural)`` of the body's states under the noisy
cooperator, Gaussian and k-NN (``knn_k``), for ``alpha = 1`` and the sentinel, on the
last ``kl_samples`` steps. The sweep over ``sizes`` repeats the development with each
``d`` and plays the multi-phase schedule (sentinel and ``alpha = 1``) and the noisy one
(``alpha = 1``: action variance and Gaussian complexity cost).

The main part and each size are stored as they finish; a killed run resumes at the next.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field

from redqueen.agents.reservoir import (
    MULTI_PHASE,
    Body,
    EmaTitForTat,
    GovernedBody,
    ReservoirConfig,
    SchedulePolicy,
    TitForTat,
    develop_body,
    multi_phase_schedule,
    natural_states,
    noisy_cooperator,
    perturbation_schedule,
)
from redqueen.experiments.base import (
    ProgressHook,
    RecipeBase,
    json_safe,
    optional_store,
    stored_meta,
    stored_result,
)
from redqueen.measure.reservoir import (
    action_variance,
    gaussian_kl,
    knn_kl,
    mean_payoff,
    perturbation_depth,
    recovery_time,
)
from redqueen.measure.statistics import mean_ci
from redqueen.report.reservoir import reservoir_report

Schedule = Literal["noisy", "perturbation", "multi_phase"]
TRACE_POINTS = 200
"""Points of the mean alpha and action traces kept for the report."""


def _all_schedules() -> list[Schedule]:
    return ["noisy", "perturbation", "multi_phase"]


class ReservoirOutcome:
    """What a reservoir recipe's run returns: its result dict and a short text."""

    def __init__(self, result: dict[str, Any]) -> None:
        self.result = result

    def to_dict(self) -> dict[str, Any]:
        return self.result

    def summary_text(self) -> str:
        r = self.result
        fit = r["readout_fit"]
        lines = [
            f"{r['name']}: {r['seeds']} seeds, d = {r['size']}; readout fit "
            f"{fit['cooperate']['mean']:.3f} / {fit['defect']['mean']:.3f} (targets "
            f"{fit['targets'][0]} / {fit['targets'][1]})"
        ]
        for schedule, cell in r["schedules"].items():
            order = sorted(cell["agents"].items(), key=lambda kv: -kv[1]["payoff"]["mean"])
            best = ", ".join(f"{name} {a['payoff']['mean']:.3f}" for name, a in order[:4])
            lines.append(f"  {schedule}: {best}")
        return "\n".join(lines)


class ReservoirGovernanceRecipe(RecipeBase):
    """The BRG agents against noisy, perturbation and multi-phase schedules, and the
    sweep over the reservoir size."""

    kind: Literal["reservoir_governance"] = "reservoir_governance"
    seeds: int = Field(20, ge=1, le=10_000)
    size: int = Field(30, ge=1, le=2000)
    sizes: list[int] = Field(default_factory=lambda: [5, 10, 20, 30, 50, 100])
    schedules: list[Schedule] = Field(default_factory=_all_schedules, min_length=1)
    noisy_eps: float = Field(0.1, ge=0, le=1)
    noisy_steps: int = Field(2000, ge=10, le=10_000_000)
    schedule_scale: float = Field(1.0, gt=0, le=100)
    static_alphas: list[float] = Field(default_factory=lambda: [0.0, 0.7, 0.85, 1.0])
    ema_gammas: list[float] = Field(default_factory=lambda: [0.5, 0.9, 0.95, 0.99])
    spectral_radius: float = Field(0.9, gt=0, le=1)
    noise: float = Field(0.15, ge=0, le=10)
    burn_in: int = Field(500, ge=0, le=1_000_000)
    train_steps: int = Field(2000, ge=1, le=1_000_000)
    habituation_epochs: int = Field(200, ge=0, le=100_000)
    habituation_steps: int = Field(500, ge=1, le=1_000_000)
    warmup: int = Field(500, ge=0, le=1_000_000)
    kl_samples: int = Field(2000, ge=10, le=20_000)
    knn_k: int = Field(5, ge=1, le=100)

    progress_unit: ClassVar[tuple[str, str]] = ("part", "parts")

    def body_config(self, size: int) -> ReservoirConfig:
        try:
            return ReservoirConfig(
                size=size,
                spectral_radius=self.spectral_radius,
                noise=self.noise,
                burn_in=self.burn_in,
                train_steps=self.train_steps,
                habituation_epochs=self.habituation_epochs,
                habituation_steps=self.habituation_steps,
                warmup=self.warmup,
            )
        except Exception as err:
            raise ValueError(str(err)) from None

    def parts(self) -> list[str]:
        return ["main", *(f"size/{d}" for d in self.sizes)]

    def stored_units(self, run_dir: Path) -> int:
        if stored_meta(run_dir, ["result"]):
            return len(self.parts())
        return stored_meta(run_dir, self.parts())

    def agents(self, body: Body) -> dict[str, SchedulePolicy]:
        agents: dict[str, SchedulePolicy] = {"sentinel": GovernedBody(body)}
        for a in self.static_alphas:
            agents[f"alpha={a:g}"] = GovernedBody(body, float(a))
        agents["tft"] = TitForTat()
        for g in self.ema_gammas:
            agents[f"ema_tft({g:g})"] = EmaTitForTat(float(g))
        return agents

    def schedule(
        self, name: str, rng: np.random.Generator
    ) -> tuple[np.ndarray, tuple[int, int] | None]:
        """The schedule (``T x seeds``) and its defection block, if it has one."""
        b, k = self.seeds, self.schedule_scale
        if name == "noisy":
            return noisy_cooperator(self.noisy_steps, self.noisy_eps, b, rng), None
        if name == "perturbation":
            pre, block = max(1, round(200 * k)), max(1, round(100 * k))
            return perturbation_schedule(b, pre, block, max(1, round(200 * k))), (pre, pre + block)
        pre = max(1, round(MULTI_PHASE[0][1] * k))
        block = max(1, round(MULTI_PHASE[1][1] * k))
        return multi_phase_schedule(b, rng, scale=k), (pre, pre + block)

    def run_main(self, rng: np.random.Generator) -> dict[str, Any]:
        config = self.body_config(self.size)
        body = develop_body(config, self.seeds, rng)
        coop, defect = body.readout_fit
        out: dict[str, Any] = {
            "readout_fit": {
                "targets": [config.target_cooperate, config.target_defect],
                "cooperate": _interval(list(coop), None),
                "defect": _interval(list(defect), None),
                "per_seed": [[float(c), float(d)] for c, d in zip(coop, defect, strict=True)],
            },
            "schedules": {},
        }
        agents = self.agents(body)
        for name in self.schedules:
            sched, block = self.schedule(name, rng)
            cell: dict[str, Any] = {"steps": int(sched.shape[0]), "block": block, "agents": {}}
            for label, agent in agents.items():
                trace = agent.play(sched, rng)
                payoffs = mean_payoff(trace.actions, sched)
                entry: dict[str, Any] = {
                    "payoff": _interval(list(payoffs), None),
                    "payoff_per_seed": [float(x) for x in payoffs],
                    "action_variance": float(action_variance(trace.actions).mean()),
                    "action_trace": _thin(trace.actions.mean(axis=1)),
                }
                if block is not None:
                    start, end = block
                    rec = recovery_time(trace.actions, start, end)
                    entry["depth"] = _interval(
                        list(perturbation_depth(trace.actions, start, end)), None
                    )
                    entry["recovery"] = _nanmean(rec)
                    entry["never_recovered"] = int(np.isnan(rec).sum())
                if label == "sentinel" and trace.alpha is not None:
                    entry["alpha_trace"] = _thin(trace.alpha.mean(axis=1))
                    if block is not None:
                        start, end = block
                        entry["alpha"] = {
                            "before": float(trace.alpha[max(0, start - 50) : start].mean()),
                            "block_min": _interval(list(trace.alpha[start:end].min(0)), (0, 1)),
                            "after": float(trace.alpha[-50:].mean()),
                        }
                cell["agents"][label] = entry
            sentinel = np.array(cell["agents"]["sentinel"]["payoff_per_seed"])
            for entry in cell["agents"].values():
                diff = sentinel - np.array(entry["payoff_per_seed"])
                entry["sentinel_minus"] = _interval(list(diff), None)
            out["schedules"][name] = cell
        out["complexity"] = self.complexity(body, rng)
        return out

    def complexity(self, body: Body, rng: np.random.Generator) -> dict[str, Any]:
        """``KL(driven || natural)`` under the noisy cooperator, per seed."""
        n = self.kl_samples
        natural = natural_states(body, n, rng, burn_in=self.burn_in)
        sched = noisy_cooperator(n + self.burn_in, self.noisy_eps, self.seeds, rng)
        out: dict[str, Any] = {}
        for label, alpha in (("alpha=1", 1.0), ("sentinel", None)):
            trace = GovernedBody(body, alpha).play(sched, rng, keep_states=True)
            assert trace.states is not None
            driven = trace.states[-n:]
            gauss = [gaussian_kl(driven[:, b], natural[:, b]) for b in range(self.seeds)]
            knn = [knn_kl(driven[:, b], natural[:, b], self.knn_k) for b in range(self.seeds)]
            out[label] = {"gaussian": _interval(gauss, None), "knn": _interval(knn, None)}
        return out

    def run_size(self, d: int, rng: np.random.Generator) -> dict[str, Any]:
        body = develop_body(self.body_config(d), self.seeds, rng)
        sched, _ = self.schedule("multi_phase", rng)
        out: dict[str, Any] = {"size": d}
        for label, alpha in (("sentinel", None), ("alpha=1", 1.0)):
            trace = GovernedBody(body, alpha).play(sched, rng)
            out[label] = _interval(list(mean_payoff(trace.actions, sched)), None)
        n = self.kl_samples
        noisy = noisy_cooperator(n + self.burn_in, self.noisy_eps, self.seeds, rng)
        trace = GovernedBody(body, 1.0).play(noisy, rng, keep_states=True)
        assert trace.states is not None
        natural = natural_states(body, n, rng, burn_in=self.burn_in)
        out["action_variance"] = _interval(list(action_variance(trace.actions[-n:])), None)
        out["gaussian_kl"] = _interval(
            [gaussian_kl(trace.states[-n:, b], natural[:, b]) for b in range(self.seeds)], None
        )
        return out

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> ReservoirOutcome:
        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
                done = store.get_meta("result")
                if done is not None:
                    return ReservoirOutcome(done)
            start = time.perf_counter()
            parts: dict[str, Any] = {}
            for k, key in enumerate(self.parts()):
                stored = store.get_meta(key) if store is not None else None
                if stored is None:
                    rng = np.random.default_rng([self.seed, k])
                    if key == "main":
                        stored = json_safe(self.run_main(rng))
                    else:
                        stored = json_safe(self.run_size(int(key.split("/")[1]), rng))
                    if store is not None:
                        store.set_meta(key, stored)
                parts[key] = stored
                if progress is not None:
                    progress(k + 1, len(self.parts()))
            result = {
                **parts["main"],
                "sizes": [parts[f"size/{d}"] for d in self.sizes],
                "name": self.name,
                "seeds": self.seeds,
                "size": self.size,
                "seconds": time.perf_counter() - start,
            }
            if store is not None:
                store.set_meta("result", result)
        if out_dir is not None:
            self.write_report(out_dir)
        return ReservoirOutcome(result)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return reservoir_report(Path(run_dir), *stored_result(run_dir))


def _interval(values: list[float], bounds: tuple[float, float] | None) -> dict[str, Any]:
    x = [float(v) for v in values]
    ci = mean_ci(x, bounds=bounds)
    return {"mean": ci.mean, "low": ci.low, "high": ci.high, "n": ci.n, "method": ci.method}


def _thin(series: np.ndarray) -> list[list[float]]:
    """At most :data:`TRACE_POINTS` evenly spaced ``[step, value]`` points."""
    idx = np.unique(np.linspace(0, len(series) - 1, min(TRACE_POINTS, len(series))).astype(int))
    return [[int(i), float(series[i])] for i in idx]


def _nanmean(x: np.ndarray) -> float | None:
    finite = x[np.isfinite(x)]
    return float(finite.mean()) if finite.size else None
