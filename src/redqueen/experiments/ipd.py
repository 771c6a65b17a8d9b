"""Recipe kinds for tournaments and evolution of classic strategies:

- ``ipd_tournament``: an Axelrod-style round robin (:mod:`redqueen.play.ipd`); the report
  has the ranking table and the payoff heat map, and, with ``replicator_steps``, the
  replicator dynamics on the tournament's payoff matrix;
- ``moran``: a tournament's payoff matrix, then Moran processes (with or without
  mutation) and the replicator dynamics on it (:mod:`redqueen.learn.moran`), plus the
  exact fixation probability of one mutant of each strategy among each other;
- ``population``: generations of a population of up to millions of agents
  (:mod:`redqueen.games.batch.populations`): memory-one IPD or the donor game with
  reputations.

Each run keeps its result as run metadata in the run store; a second ``redqueen run``
into the same directory reuses it. Reports are single HTML files with inline SVG.
"""

from __future__ import annotations

import time
from html import escape
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from redqueen.experiments.base import ProgressHook, RecipeBase, optional_store, stored_meta
from redqueen.report.charts import line_chart_svg
from redqueen.report.html import REPORT_NAME as REPORT
from redqueen.report.learning import heat_map_svg, page_html, write_html
from redqueen.store.run_store import RunStore

MEMORY_ONE: dict[str, list[float]] = {
    "ALLC": [1.0, 1.0, 1.0, 1.0, 1.0],
    "ALLD": [0.0, 0.0, 0.0, 0.0, 0.0],
    "TFT": [1.0, 1.0, 0.0, 1.0, 0.0],
    "WSLS": [1.0, 1.0, 0.0, 0.0, 1.0],
    "GTFT": [1.0, 1.0, 1 / 3, 1.0, 1 / 3],
}
"""The default memory-one strategies of the ``population`` kind (first, p_CC, p_CD, p_DC,
p_DD)."""


class IPDOutcome:
    """A recipe's result dict and a short text for the terminal."""

    def __init__(self, result: dict[str, Any], text: str) -> None:
        self.result = result
        self.text = text

    def to_dict(self) -> dict[str, Any]:
        return self.result

    def summary_text(self) -> str:
        return self.text


def _check_strategies(value: list[str]) -> list[str]:
    from redqueen.agents.strategies import get

    for name in value:
        get(name)  # UnknownNameError lists the close matches
    return value


def _ranking_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "<tr><th>rank</th><th>strategy</th><th>median score/turn</th>"
        "<th>mean score/turn</th><th>wins</th><th>cooperation</th></tr>"
    )
    body = "".join(
        f"<tr><td>{r['rank']}</td><td>{escape(r['name'])}</td><td>{r['median_score']:.4f}</td>"
        f"<td>{r['mean_score']:.4f}</td><td>{r['wins']}</td>"
        f"<td>{r['cooperation_rate']:.3f}</td></tr>"
        for r in rows
    )
    return f"<table>{head}{body}</table>"


def _trajectory_chart(traj: list[list[float]], names: list[str], x_label: str) -> str:
    arr = np.asarray(traj, dtype=np.float64)
    if arr.size == 0:
        return "<p>No trajectory.</p>"
    stride = max(1, len(arr) // 400)
    xs = range(0, len(arr), stride)
    series = {names[k]: [(float(x), float(arr[x, k])) for x in xs] for k in range(arr.shape[1])}
    return line_chart_svg(series, x_label=x_label, y_label="share", probability=True)


class _WholeResultRecipe(RecipeBase):
    """A kind whose run keeps one whole result (run metadata ``result``)."""

    progress_unit: ClassVar[tuple[str, str]] = ("result", "results")

    def stored_units(self, run_dir: Path) -> int:
        return stored_meta(run_dir, ["result"])


def _run_stored(recipe: RecipeBase, out_dir: Path | None, compute: Any, text: Any) -> IPDOutcome:
    with optional_store(out_dir) as store:
        if store is not None:
            store.bind_config(recipe.model_dump(mode="json"), ignore=recipe.resumable_changes)
            done = store.get_meta("result")
            if done is not None:
                return IPDOutcome(done, text(done))
        start = time.perf_counter()
        result = compute()
        result["seconds"] = time.perf_counter() - start
        if store is not None:
            store.set_meta("result", result)
    if out_dir is not None:
        recipe.write_report(out_dir)
    return IPDOutcome(result, text(result))


def _load(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    with RunStore(run_dir) as store:
        return store.config(), store.get_meta("result")


def _tournament_sections(result: dict[str, Any]) -> list[tuple[str, str]]:
    names = result["names"]
    matrix = np.asarray(result["payoff_matrix"])
    return [
        (
            "Ranking (median score per turn, as the Axelrod library ranks)",
            _ranking_table(result["ranking"]),
        ),
        (
            "Payoff matrix (row's mean score per turn against column)",
            heat_map_svg(matrix, names, names),
        ),
    ]


# ---- ipd_tournament -----------------------------------------------------------------------


class IPDTournamentRecipe(_WholeResultRecipe):
    """A round robin of classic strategies in the repeated prisoner's dilemma."""

    kind: Literal["ipd_tournament"] = "ipd_tournament"
    strategies: list[str] = Field(min_length=2)
    turns: int = Field(200, ge=1, le=100_000)
    repetitions: int = Field(10, ge=1, le=10_000)
    noise: float = Field(0.0, ge=0, le=1)
    continuation: float | None = Field(None, ge=0, lt=1)
    self_play: bool = True
    replicator_steps: int = Field(0, ge=0, le=1_000_000)

    _strategies_known = field_validator("strategies")(_check_strategies)

    def compute(self, progress: ProgressHook | None = None) -> dict[str, Any]:
        from redqueen.learn.moran import tournament_replicator
        from redqueen.play.ipd import IPDTournament

        res = IPDTournament(
            self.strategies,
            turns=self.turns,
            repetitions=self.repetitions,
            noise=self.noise,
            continuation=self.continuation,
            self_play=self.self_play,
            seed=self.seed,
        ).play(progress=progress)
        out = res.to_dict()
        if self.replicator_steps:
            traj = tournament_replicator(res.payoff_matrix, steps=self.replicator_steps)
            out["replicator"] = traj[:: max(1, len(traj) // 500)].tolist()
        return out

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> IPDOutcome:
        return _run_stored(self, out_dir, lambda: self.compute(progress), _tournament_text)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, result = _load(run_dir)
        sections = (
            [("Status", "<p>No results yet.</p>")]
            if result is None
            else [
                *_tournament_sections(result),
                *(
                    [
                        (
                            "Replicator dynamics on the payoff matrix",
                            _trajectory_chart(result["replicator"], result["names"], "sample"),
                        )
                    ]
                    if "replicator" in result
                    else []
                ),
            ]
        )
        html = page_html(
            config.get("name", "ipd_tournament"),
            sections,
            subtitle="Axelrod-style round robin",
            config=config,
        )
        return write_html(Path(run_dir) / REPORT, html)


def _tournament_text(result: dict[str, Any]) -> str:
    lines = [f"{r['rank']:>3}. {r['name']:<32} {r['median_score']:.3f}" for r in result["ranking"]]
    return "ranking (median score per turn):\n" + "\n".join(lines)


# ---- moran --------------------------------------------------------------------------------


class MoranRecipe(_WholeResultRecipe):
    """Moran processes and replicator dynamics on a tournament's payoff matrix."""

    kind: Literal["moran"] = "moran"
    strategies: list[str] = Field(min_length=2)
    turns: int = Field(200, ge=1, le=100_000)
    repetitions: int = Field(5, ge=1, le=10_000)
    noise: float = Field(0.0, ge=0, le=1)
    population: int = Field(30, ge=2, le=100_000)
    """Individuals; they start split as evenly as possible among the strategies."""
    mutation: float = Field(0.0, ge=0, le=1)
    w: float = Field(1.0, ge=0, le=1)
    max_steps: int = Field(20_000, ge=1, le=10_000_000)
    processes: int = Field(5, ge=1, le=10_000)
    fixation_population: int = Field(20, ge=2, le=10_000)
    replicator_steps: int = Field(3000, ge=1, le=1_000_000)
    spatial_size: int = Field(0, ge=0, le=2000)
    """Side of a Nowak-May lattice of the strategies (random start, the tournament's
    payoff matrix); 0 leaves the spatial game out."""
    spatial_steps: int = Field(50, ge=1, le=100_000)

    _strategies_known = field_validator("strategies")(_check_strategies)

    def compute(self, progress: ProgressHook | None = None) -> dict[str, Any]:
        from redqueen.learn.moran import (
            fixation_probability,
            moran_process,
            spatial_game,
            tournament_replicator,
        )
        from redqueen.play.ipd import IPDTournament

        res = IPDTournament(
            self.strategies,
            turns=self.turns,
            repetitions=self.repetitions,
            noise=self.noise,
            seed=self.seed,
        ).play()
        a = res.payoff_matrix
        k = len(self.strategies)
        start = [self.population // k + (1 if i < self.population % k else 0) for i in range(k)]
        runs = []
        for r in range(self.processes):
            m = moran_process(
                start,
                payoffs=a,
                mutation=self.mutation,
                w=self.w,
                max_steps=self.max_steps,
                seed=self.seed + r,
                names=res.names,
            )
            shares = m.shares
            runs.append(
                {
                    "fixed": None if m.fixed is None else res.names[m.fixed],
                    "steps": len(shares) - 1,
                    "shares": shares[:: max(1, len(shares) // 400)].tolist(),
                    "final_shares": shares[-1].tolist(),
                }
            )
            if progress is not None:
                progress(r + 1, self.processes)
        fix = [
            [
                fixation_probability(a[np.ix_([i, j], [i, j])], self.fixation_population, w=self.w)
                if i != j
                else float("nan")
                for j in range(k)
            ]
            for i in range(k)
        ]
        traj = tournament_replicator(a, steps=self.replicator_steps)
        out = res.to_dict()
        out.update(
            {
                "moran": runs,
                "fixation": [[None if np.isnan(x) else x for x in row] for row in fix],
                "neutral_fixation": 1.0 / self.fixation_population,
                "replicator": traj[:: max(1, len(traj) // 500)].tolist(),
            }
        )
        if self.spatial_size:
            rng = np.random.default_rng(np.random.SeedSequence((self.seed, 0x5A)))
            grid = rng.integers(0, k, size=(self.spatial_size, self.spatial_size))
            frames = spatial_game(grid, a, self.spatial_steps)
            out["spatial"] = [
                (np.bincount(f.ravel(), minlength=k) / f.size).tolist() for f in frames
            ]
        return out

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> IPDOutcome:
        return _run_stored(self, out_dir, lambda: self.compute(progress), _moran_text)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, result = _load(run_dir)
        if result is None:
            sections = [("Status", "<p>No results yet.</p>")]
        else:
            names = result["names"]
            fix = np.array(
                [[np.nan if x is None else x for x in row] for row in result["fixation"]]
            )
            sections = _tournament_sections(result)
            for r, run in enumerate(result["moran"]):
                title = f"Moran process {r + 1}: " + (
                    f"{run['fixed']} fixed after {run['steps']} steps"
                    if run["fixed"]
                    else f"{run['steps']} steps"
                )
                sections.append((title, _trajectory_chart(run["shares"], names, "sample")))
            sections.append(
                (
                    f"Fixation probability of one row mutant among column residents "
                    f"(N = {config.get('fixation_population')}; neutral "
                    f"{result['neutral_fixation']:.3g})",
                    heat_map_svg(fix - result["neutral_fixation"], names, names),
                )
            )
            sections.append(
                (
                    "Replicator dynamics on the payoff matrix",
                    _trajectory_chart(result["replicator"], names, "sample"),
                )
            )
            if "spatial" in result:
                size = config.get("spatial_size")
                sections.append(
                    (
                        f"Spatial game: shares on a {size} x {size} lattice (Nowak & May 1992)",
                        _trajectory_chart(result["spatial"], names, "step"),
                    )
                )
        html = page_html(
            config.get("name", "moran"),
            sections,
            subtitle="Moran process and replicator dynamics",
            config=config,
        )
        return write_html(Path(run_dir) / REPORT, html)


def _moran_text(result: dict[str, Any]) -> str:
    fixed = [run["fixed"] or "-" for run in result["moran"]]
    return _tournament_text(result) + "\nMoran fixations: " + ", ".join(fixed)


# ---- population ---------------------------------------------------------------------------


class PopulationRecipe(_WholeResultRecipe):
    """Generations of a large population: memory-one IPD or the donor game."""

    kind: Literal["population"] = "population"
    game: Literal["ipd", "donor", "image_score"] = "donor"
    """``ipd``: memory-one strategies; ``donor``: ALLC/ALLD/DISC under a reputation
    ``norm``; ``image_score``: Nowak & Sigmund's graded image scores (strategies k)."""
    size: int = Field(1_000_000, ge=2, le=100_000_000)
    generations: int = Field(5, ge=1, le=100_000)
    rounds: int = Field(10, ge=1, le=10_000)
    beta: float = Field(1.0, ge=0)
    mutation: float = Field(0.001, ge=0, le=1)
    noise: float = Field(0.01, ge=0, le=1)
    # memory-one IPD: named rows (first, p_CC, p_CD, p_DC, p_DD)
    memory_one: dict[str, list[float]] = Field(default_factory=lambda: dict(MEMORY_ONE))
    # donor game
    norm: str = "stern_judging"
    benefit: float = Field(3.0, gt=0)
    cost: float = Field(1.0, ge=0)
    assessment_error: float = Field(0.01, ge=0, le=1)
    initial_shares: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)

    @field_validator("norm")
    @classmethod
    def _known_norm(cls, value: str) -> str:
        from redqueen.games.batch.populations import NORMS

        if value not in NORMS:
            raise ValueError(f"unknown norm {value!r}; allowed: {', '.join(sorted(NORMS))}")
        return value

    def build(self) -> tuple[Any, list[str]]:
        from redqueen.games.batch.populations import (
            DONOR_TYPES,
            THRESHOLDS,
            DonorPopulation,
            ImageScorePopulation,
            MemoryOnePopulation,
        )

        if self.game == "ipd":
            names = list(self.memory_one)
            pop: Any = MemoryOnePopulation(
                np.array([self.memory_one[n] for n in names]),
                size=self.size,
                rounds=self.rounds,
                noise=self.noise,
                beta=self.beta,
                mutation=self.mutation,
                seed=self.seed,
            )
            return pop, names
        if self.game == "image_score":
            pop = ImageScorePopulation(
                size=self.size,
                rounds=self.rounds,
                benefit=self.benefit,
                cost=self.cost,
                execution_error=self.noise,
                beta=self.beta,
                mutation=self.mutation,
                seed=self.seed,
            )
            return pop, [f"k={k}" for k in THRESHOLDS]
        pop = DonorPopulation(
            size=self.size,
            rounds=self.rounds,
            benefit=self.benefit,
            cost=self.cost,
            norm=self.norm,
            execution_error=self.noise,
            assessment_error=self.assessment_error,
            beta=self.beta,
            mutation=self.mutation,
            initial_shares=self.initial_shares,
            seed=self.seed,
        )
        return pop, list(DONOR_TYPES)

    def compute(self, progress: ProgressHook | None = None) -> dict[str, Any]:
        pop, names = self.build()
        records = []
        t0 = time.perf_counter()
        for g in range(self.generations):
            records.append(pop.step(g).to_dict())
            if progress is not None:
                progress(g + 1, self.generations)
        seconds = time.perf_counter() - t0
        return {
            "names": names,
            "generations": records,
            "interactions_per_s": pop.interactions_per_generation() * self.generations / seconds,
        }

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> IPDOutcome:
        self.build()  # bad parameters fail before anything runs
        return _run_stored(self, out_dir, lambda: self.compute(progress), _population_text)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, result = _load(run_dir)
        if result is None:
            sections = [("Status", "<p>No results yet.</p>")]
        else:
            gens = result["generations"]
            shares = [g["shares"] for g in gens]
            coop = {"cooperation": [(float(g["generation"]), g["cooperation"]) for g in gens]}
            sections = [
                (
                    "Strategy shares by generation",
                    _trajectory_chart(shares, result["names"], "generation"),
                ),
                (
                    "Cooperation (IPD: cooperative moves; donor game: donations)",
                    line_chart_svg(coop, x_label="generation", y_label="share", probability=True),
                ),
                (
                    "Speed",
                    f"<p>{result['interactions_per_s']:.3g} agent interactions per "
                    f"second; {result['seconds']:.1f} s in all.</p>",
                ),
            ]
        html = page_html(
            config.get("name", "population"),
            sections,
            subtitle=f"{config.get('size')} agents",
            config=config,
        )
        return write_html(Path(run_dir) / REPORT, html)


def _population_text(result: dict[str, Any]) -> str:
    last = result["generations"][-1]
    mix = ", ".join(f"{n} {s:.3f}" for n, s in zip(result["names"], last["shares"], strict=True))
    return (
        f"generation {last['generation']}: {mix}; cooperation {last['cooperation']:.3f}; "
        f"{result['interactions_per_s']:.3g} interactions/s"
    )
