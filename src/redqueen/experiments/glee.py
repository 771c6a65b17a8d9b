"""The ``glee`` recipe: scripted agents across GLEE's parameter grid, with efficiency and
fairness tables.

GLEE (Shapira et al. 2024, "GLEE: A Unified Framework and Benchmark for Language-based
Economic Environments") compares players of its three families (:mod:`redqueen.games.glee`)
across a grid of game parameters with two outcome measures besides each player's gain:
*efficiency* (how much of the available surplus is realised) and *fairness* (how close
the split is to an even one), as defined in GLEE's ``analyze/metrics.py`` and implemented
in :mod:`redqueen.measure.social`. This recipe plays pairs of scripted agents
(:mod:`redqueen.agents.glee_strategies`: Alice in seat 0, Bob in seat 1) in every cell
of a grid per family, ``matches`` seeded matches per (cell, pair), and reports per
(family, cell, pair) the mean gain of each player, efficiency and fairness, each with a
95% Student-t interval (:func:`redqueen.measure.statistics.mean_ci`).

Per match:

- bargaining: Alice's share ``p`` of the money at agreement in round ``t``; efficiency
  :func:`~redqueen.measure.social.glee_bargaining_efficiency` (``p d_A^(t-1) + (1 - p)
  d_B^(t-1)``; 0 without agreement, when nothing is realised); fairness
  :func:`~redqueen.measure.social.glee_fairness` of ``p`` (only over agreed matches:
  without agreement there is no split);
- negotiation: :func:`~redqueen.measure.social.glee_negotiation_efficiency` (trade iff the
  buyer values the product more) and :func:`~redqueen.measure.social.glee_negotiation_fairness`
  (the price against the midpoint of the two values, in units of ``price_order``; 1
  without a trade, as GLEE defines it);
- persuasion: the share of high-quality products bought (efficiency) and of low-quality
  products not bought (fairness), GLEE's definitions.

Seeds: match ``m`` of cell ``c`` of family ``f`` uses ``match_seed(seed, f, c, m)`` for
every pair, so pairs face the same chance draws (common random numbers). Every match is
written to the run store as it finishes, keyed ``family/cell/pair/m``; a killed run
resumes with the matches it lacks. The report is computed from the stored matches alone.
"""

from __future__ import annotations

import itertools
import math
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from redqueen.agents.glee_strategies import (
    FAMILIES,
    GLEE_STRATEGIES,
    GleeAgent,
    strategy_names,
)
from redqueen.errors import RedqueenError
from redqueen.experiments.base import ProgressHook, RecipeBase
from redqueen.games.core import CHANCE, Game
from redqueen.games.glee import ACCEPT, BUY, BargainingGame, NegotiationGame, PersuasionGame
from redqueen.games.registry import make
from redqueen.measure.social import (
    glee_bargaining_efficiency,
    glee_fairness,
    glee_negotiation_efficiency,
    glee_negotiation_fairness,
    glee_persuasion_efficiency,
    glee_persuasion_fairness,
)
from redqueen.measure.statistics import MeanCI, finite_or_none, mean_ci
from redqueen.play.match import MatchResult, play_match
from redqueen.play.schedule import ScheduledMatch, match_seed
from redqueen.report.charts import line_chart_svg
from redqueen.report.learning import REPORT_NAME, page_html, write_html
from redqueen.store.run_store import RunStore

MAX_MATCHES = 1_000_000
"""The most matches one recipe may schedule."""


class FamilyGrid(BaseModel):
    """One family's grid: each game parameter's list of values (their product is the
    grid; parameters left out keep GLEE's defaults) and the pairs ``[alice, bob]``."""

    model_config = ConfigDict(extra="forbid")

    params: dict[str, list[Any]] = Field(default_factory=dict)
    pairs: list[tuple[str, str]] = Field(min_length=1)

    def cells(self) -> list[dict[str, Any]]:
        """Every combination of the parameter values, parameters in name order (so that a
        cell's index, part of its matches' keys, does not depend on how they were written;
        the stored config's keys are sorted)."""
        names = sorted(self.params)
        combos = itertools.product(*(self.params[n] for n in names))
        return [dict(zip(names, values, strict=True)) for values in combos]


@dataclass(frozen=True)
class GleeJob:
    """One scheduled match."""

    key: str
    index: int
    family: str
    cell: int
    pair: int
    match: int
    seed: int


class GleeRecipe(RecipeBase):
    """Scripted GLEE agents across a parameter grid per family (at least one family)."""

    kind: Literal["glee"] = "glee"
    matches: int = Field(10, ge=1, le=100_000)
    bargaining: FamilyGrid | None = None
    negotiation: FamilyGrid | None = None
    persuasion: FamilyGrid | None = None

    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)

    @model_validator(mode="after")
    def _check(self) -> GleeRecipe:
        grids = self.grids()
        if not grids:
            raise ValueError("give at least one family: " + ", ".join(FAMILIES))
        total = 0
        for family, grid in grids.items():
            for k, (alice, bob) in enumerate(grid.pairs):
                for seat, name in ((0, alice), (1, bob)):
                    if name not in strategy_names(family, seat):
                        known = "" if name in GLEE_STRATEGIES else " unknown strategy"
                        raise ValueError(
                            f"{family}.pairs[{k}]:{known} {name!r} cannot play seat {seat} of "
                            f"{family}; allowed: {', '.join(strategy_names(family, seat))}"
                        )
            for name, values in grid.params.items():
                if not values:
                    raise ValueError(f"{family}.params.{name} is an empty list")
            cells = grid.cells()
            for cell in cells:
                try:
                    make(family, **cell)
                except RedqueenError as err:
                    raise ValueError(f"{family}.params: {err}") from None
            total += len(cells) * len(grid.pairs) * self.matches
        if total > MAX_MATCHES:
            raise ValueError(f"the grid schedules {total} matches; allowed: at most {MAX_MATCHES}")
        return self

    def grids(self) -> dict[str, FamilyGrid]:
        """The families given, in GLEE's order."""
        found = {f: getattr(self, f) for f in FAMILIES}
        return {f: g for f, g in found.items() if g is not None}

    def agent_names(self) -> list[str]:
        """Every strategy seated, in order of first appearance (the store's agents)."""
        names: dict[str, None] = {}
        for grid in self.grids().values():
            for pair in grid.pairs:
                names.update(dict.fromkeys(pair))
        return list(names)

    def jobs(self) -> Iterator[GleeJob]:
        index = 0
        for family, grid in self.grids().items():
            for c, _cell in enumerate(grid.cells()):
                for p in range(len(grid.pairs)):
                    for m in range(self.matches):
                        seed = match_seed(self.seed, FAMILIES.index(family), c, m)
                        yield GleeJob(f"{family}/{c}/{p}/{m}", index, family, c, p, m, seed)
                        index += 1

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> GleeOutcome:
        start = time.perf_counter()
        store = RunStore(out_dir) if out_dir is not None else None
        results: list[tuple[GleeJob, MatchResult]] = []
        try:
            names = self.agent_names()
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
                store.record_agents(names, [{"kind": "glee", "params": {"name": n}} for n in names])
                done = store.completed_keys()
            else:
                done = set()
            jobs = list(self.jobs())
            if store is not None:
                store.set_meta("scheduled_matches", len(jobs))
            agents = {n: GleeAgent(n) for n in names}
            games: dict[tuple[str, int], Game] = {}
            grids = self.grids()
            for k, job in enumerate(jobs):
                if job.key in done:
                    continue
                grid = grids[job.family]
                game = games.get((job.family, job.cell))
                if game is None:
                    game = make(job.family, **grid.cells()[job.cell])
                    games[(job.family, job.cell)] = game
                pair = grid.pairs[job.pair]
                result = play_match(game, [agents[pair[0]], agents[pair[1]]], seed=job.seed)
                if store is not None:
                    seats = (names.index(pair[0]), names.index(pair[1]))
                    store.record_match(ScheduledMatch(job.key, job.index, seats, job.seed), result)
                else:
                    results.append((job, result))
                if progress is not None and (k % 50 == 0 or k == len(jobs) - 1):
                    progress(k + 1, len(jobs))
            if store is not None:
                keyed = {m.key: r for m, r in store.matches()}
                results = [(job, keyed[job.key]) for job in jobs]
        finally:
            if store is not None:
                store.close()
        rows = summarize(self, results)
        outcome = GleeOutcome(self.name, rows, time.perf_counter() - start)
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        with RunStore(run_dir) as store:
            config = store.config()
            stored = {m.key: r for m, r in store.matches()}
            expected = store.get_meta("scheduled_matches")
        recipe = cls.model_validate(config)
        results = [(job, stored[job.key]) for job in recipe.jobs() if job.key in stored]
        rows = summarize(recipe, results)
        done = f"{len(results)} of {expected}" if expected else str(len(results))
        sections = [("Summary by pair (over every cell)", _pair_table(rows, recipe))]
        for family, grid in recipe.grids().items():
            fam_rows = [r for r in rows if r.family == family]
            if not fam_rows:
                continue
            sections.append((f"{family}: per cell and pair", _cell_table(fam_rows)))
            axis = _x_param(grid)
            if axis is not None:
                for measure, label in (("efficiency", "efficiency"), ("fairness", "fairness")):
                    sections.append(
                        (
                            f"{family}: mean {label} by {axis}",
                            _by_param_chart(fam_rows, axis, measure, grid),
                        )
                    )
        html = page_html(
            str(config.get("name", run_dir.name)),
            sections,
            subtitle=f"{config.get('description', '')} · matches played: {done} · "
            f"{recipe.matches} per (cell, pair) · seed {recipe.seed}",
            config=config,
        )
        return write_html(run_dir / REPORT_NAME, html)


# ---- measures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchMeasures:
    """One match, measured: each player's gain; whether a deal (bargaining, negotiation:
    agreement between Alice and Bob; persuasion: the share of products bought) was
    reached; efficiency and fairness (NaN where undefined); rounds played."""

    gains: tuple[float, float]
    deal: float
    efficiency: float
    fairness: float
    rounds: int


def _actions(result: MatchResult) -> list[tuple[int, int]]:
    return [(int(s.player), int(s.action)) for s in result.trajectory]  # type: ignore[arg-type]


def measure_match(game: Game, result: MatchResult) -> MatchMeasures:
    """GLEE's measures of one match of ``game`` (a bargaining, negotiation or persuasion
    game), read from its trajectory."""
    steps = _actions(result)
    gains = (float(result.returns[0]), float(result.returns[1]))
    if isinstance(game, BargainingGame):
        offers = [a for _, a in steps[0::2]]
        answers = [a for _, a in steps[1::2]]
        rounds = len(offers)
        if not answers or answers[-1] != ACCEPT:
            return MatchMeasures(gains, 0.0, 0.0, math.nan, rounds)
        proposer = (rounds - 1) % 2
        offered = offers[-1] * game.step / game.money
        alice = 1.0 - offered if proposer == 0 else offered
        efficiency = glee_bargaining_efficiency(alice, rounds, *game.deltas)
        return MatchMeasures(gains, 1.0, efficiency, glee_fairness(alice), rounds)
    if isinstance(game, NegotiationGame):
        prices = [a for _, a in steps[0::2]]
        answers = [a for _, a in steps[1::2]]
        traded = bool(answers) and answers[-1] == ACCEPT
        price = prices[-1] * game.step if prices else 0.0
        seller, buyer = game.values
        order = float(game.spec.params["price_order"])
        efficiency = glee_negotiation_efficiency(traded, seller, buyer)
        fairness = glee_negotiation_fairness(traded, price, seller, buyer, order)
        return MatchMeasures(gains, float(traded), efficiency, fairness, len(prices))
    if isinstance(game, PersuasionGame):
        quality: list[bool] = []
        bought: list[bool] = []
        for player, action in steps:
            if player == CHANCE:
                quality.append(action == 1)
            elif player == 1:
                bought.append(action == BUY)
        deal = sum(bought) / len(bought) if bought else math.nan
        return MatchMeasures(
            gains,
            deal,
            glee_persuasion_efficiency(quality, bought),
            glee_persuasion_fairness(quality, bought),
            len(bought),
        )
    raise RedqueenError(f"the glee recipe measures GLEE games only, not {game.id}")


@dataclass(frozen=True)
class CellRow:
    """One (family, cell, pair): its measures' means with 95% intervals."""

    family: str
    cell: dict[str, Any]
    pair: tuple[str, str]
    alice_gain: MeanCI
    bob_gain: MeanCI
    deal: MeanCI
    efficiency: MeanCI
    fairness: MeanCI
    rounds: float
    values: dict[str, list[float]]

    def label(self) -> str:
        return ", ".join(f"{k}={_short(v)}" for k, v in self.cell.items()) or "defaults"

    def to_dict(self) -> dict[str, Any]:
        def ci(c: MeanCI) -> dict[str, Any]:
            return {
                "mean": finite_or_none(c.mean),
                "low": finite_or_none(c.low),
                "high": finite_or_none(c.high),
                "n": c.n,
            }

        return {
            "family": self.family,
            "cell": self.cell,
            "pair": list(self.pair),
            "alice_gain": ci(self.alice_gain),
            "bob_gain": ci(self.bob_gain),
            "deal": ci(self.deal),
            "efficiency": ci(self.efficiency),
            "fairness": ci(self.fairness),
            "rounds": finite_or_none(self.rounds),
        }


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if math.isfinite(v)]


def summarize(recipe: GleeRecipe, results: Sequence[tuple[GleeJob, MatchResult]]) -> list[CellRow]:
    """One row per (family, cell, pair) that has at least one match, in schedule order."""
    grids = recipe.grids()
    games: dict[tuple[str, int], Game] = {}
    by_cell: dict[tuple[str, int, int], list[MatchMeasures]] = defaultdict(list)
    for job, result in results:
        game = games.get((job.family, job.cell))
        if game is None:
            game = make(job.family, **grids[job.family].cells()[job.cell])
            games[(job.family, job.cell)] = game
        by_cell[(job.family, job.cell, job.pair)].append(measure_match(game, result))
    rows = []
    for (family, cell, pair), ms in by_cell.items():
        grid = grids[family]
        values = {
            "alice_gain": [m.gains[0] for m in ms],
            "bob_gain": [m.gains[1] for m in ms],
            "deal": _finite([m.deal for m in ms]),
            "efficiency": _finite([m.efficiency for m in ms]),
            "fairness": _finite([m.fairness for m in ms]),
        }
        rows.append(
            CellRow(
                family=family,
                cell=grid.cells()[cell],
                pair=grid.pairs[pair],
                alice_gain=mean_ci(values["alice_gain"]),
                bob_gain=mean_ci(values["bob_gain"]),
                deal=mean_ci(values["deal"]),
                efficiency=mean_ci(values["efficiency"]),
                fairness=mean_ci(values["fairness"]),
                rounds=float(np.mean([m.rounds for m in ms])),
                values=values,
            )
        )
    return rows


class GleeOutcome:
    """What a ``glee`` run returns: the per-(family, cell, pair) rows."""

    def __init__(self, name: str, rows: list[CellRow], seconds: float) -> None:
        self.name = name
        self.rows = rows
        self.seconds = seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": [r.to_dict() for r in self.rows],
            "seconds": self.seconds,
        }

    def summary_text(self) -> str:
        lines = [f"{self.name}: {len(self.rows)} (family, cell, pair) rows in {self.seconds:.1f} s"]
        for family, pair, stats in _by_pair(self.rows):
            lines.append(
                f"  {family:<11} {pair[0]:>18} vs {pair[1]:<18} deal {_fmt(stats['deal'].mean)}"
                f"  efficiency {_fmt(stats['efficiency'].mean)}"
                f"  fairness {_fmt(stats['fairness'].mean)}"
                f"  gains {_fmt(stats['alice_gain'].mean)} / {_fmt(stats['bob_gain'].mean)}"
            )
        return "\n".join(lines)


def _by_pair(rows: Sequence[CellRow]) -> list[tuple[str, tuple[str, str], dict[str, MeanCI]]]:
    """Every (family, pair) with its measures pooled over the cells."""
    pooled: dict[tuple[str, tuple[str, str]], dict[str, list[float]]] = {}
    for r in rows:
        into = pooled.setdefault((r.family, r.pair), defaultdict(list))
        for name, vals in r.values.items():
            into[name].extend(vals)
    return [
        (family, pair, {k: mean_ci(v) for k, v in vals.items()})
        for (family, pair), vals in pooled.items()
    ]


# ---- report -----------------------------------------------------------------------------


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or not math.isfinite(x) else f"{x:.{digits}g}"


def _ci_cell(c: MeanCI) -> str:
    if c.n == 0:
        return "<td>–</td>"
    interval = "" if not math.isfinite(c.low) else f" [{_fmt(c.low)}, {_fmt(c.high)}]"
    return f"<td>{_fmt(c.mean)}{escape(interval)}</td>"


_HEAD = (
    "<tr><th>{first}</th><th>Alice vs Bob</th><th>n</th><th>deal</th>"
    "<th>Alice gain [95% CI]</th><th>Bob gain [95% CI]</th><th>efficiency [95% CI]</th>"
    "<th>fairness [95% CI]</th></tr>"
)


def _cell_table(rows: Sequence[CellRow]) -> str:
    out = ["<table>", _HEAD.format(first="cell")]
    for r in rows:
        out.append(
            f"<tr><td>{escape(r.label())}</td><td>{escape(' vs '.join(r.pair))}</td>"
            f"<td>{r.alice_gain.n}</td><td>{_fmt(r.deal.mean)}</td>"
            + "".join(_ci_cell(c) for c in (r.alice_gain, r.bob_gain, r.efficiency, r.fairness))
            + "</tr>"
        )
    out.append("</table>")
    return "".join(out)


def _pair_table(rows: Sequence[CellRow], recipe: GleeRecipe) -> str:
    out = [
        "<p class='sub'>deal: share of matches that ended in agreement (persuasion: share of "
        "products bought). Gains are after GLEE's discounting; fairness in bargaining is over "
        "agreed matches only.</p><table>",
        _HEAD.format(first="family"),
    ]
    for family, pair, s in _by_pair(rows):
        out.append(
            f"<tr><td>{escape(family)}</td><td>{escape(' vs '.join(pair))}</td>"
            f"<td>{s['alice_gain'].n}</td><td>{_fmt(s['deal'].mean)}</td>"
            + "".join(_ci_cell(s[k]) for k in ("alice_gain", "bob_gain", "efficiency", "fairness"))
            + "</tr>"
        )
    out.append("</table>")
    return "".join(out)


def _x_param(grid: FamilyGrid) -> str | None:
    """The first numeric parameter (by name) with two or more values: the charts' x axis."""
    for name, values in sorted(grid.params.items()):
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        if numeric and len(set(values)) >= 2:
            return name
    return None


def _by_param_chart(rows: Sequence[CellRow], axis: str, measure: str, grid: FamilyGrid) -> str:
    """Mean ``measure`` per pair against ``axis`` (pooled over the other parameters)."""
    xs = sorted({float(v) for v in grid.params[axis]})
    series: dict[str, list[tuple[float, float]]] = {}
    for pair in grid.pairs:
        points = []
        for x in xs:
            vals = [
                v
                for r in rows
                if r.pair == pair and float(r.cell[axis]) == x
                for v in r.values[measure]
            ]
            if vals:
                points.append((x, float(np.mean(vals))))
        series[" vs ".join(pair)] = points
    return line_chart_svg(series, x_label=axis, y_label=f"mean {measure}", integer_x=False)
