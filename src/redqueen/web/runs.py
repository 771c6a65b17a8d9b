"""Runs as the server sees them: found under the directories it was given, read from
their run stores, summarised for the "Follow" page.

A directory given to ``redqueen serve`` is a run directory (it holds ``run.sqlite``) or
holds run directories below it (up to :data:`MAX_DEPTH` levels). The list is read again
on every request, so a run started after the server is found. Each run gets an id made
from its path below the directory given; a request names a run only by such an id, never
by a path.

A run's live summary is computed from its store on each request: the stored matches
against the schedule (``scheduled_matches``) for the progress bar, the standings with
95% intervals, the Bradley–Terry Elo and the payoff matrix
(:mod:`redqueen.measure.standings`, :mod:`redqueen.measure.ratings`, on the game's
return bounds), and every metric the run logged as a curve. The run's own report
(``report.html``, written by its recipe kind) is served beside it as it stands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.registry import make
from redqueen.measure.ratings import EloFit, elo_fit
from redqueen.measure.standings import PayoffMatrix, Standing, payoff_matrix, standings
from redqueen.play.match import MatchResult
from redqueen.play.schedule import ScheduledMatch
from redqueen.store.run_store import DB_NAME, RunStore

MAX_DEPTH = 3
SERVED_FILES = ("report.html", "transcripts.html")
"""The files of a run directory the server hands out as they are."""
_UNSAFE = re.compile(r"[^A-Za-z0-9_.~-]+")


@dataclass(frozen=True)
class RunEntry:
    id: str
    path: Path


def _run_dirs(root: Path) -> Iterator[Path]:
    if (root / DB_NAME).is_file():
        yield root
        return
    frontier = [root]
    for _ in range(MAX_DEPTH):
        below: list[Path] = []
        for folder in frontier:
            if not folder.is_dir():
                continue
            for child in sorted(folder.iterdir()):
                if not child.is_dir() or child.name.startswith("."):
                    continue
                if (child / DB_NAME).is_file():
                    yield child
                else:
                    below.append(child)
        frontier = below


class RunIndex:
    """The runs under ``roots``, by id (read again on every call)."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = [Path(r) for r in roots]

    def entries(self) -> list[RunEntry]:
        out: list[RunEntry] = []
        taken: set[str] = set()
        seen: set[Path] = set()
        for k, root in enumerate(self.roots):
            for path in _run_dirs(root):
                if path.resolve() in seen:  # under two of the directories given
                    continue
                seen.add(path.resolve())
                rel = path.relative_to(root).as_posix() if path != root else root.name
                base = _UNSAFE.sub("-", rel.replace("/", "~")).strip("-") or f"run{k}"
                run_id, n = base, 1
                while run_id in taken:
                    n += 1
                    run_id = f"{base}-{n}"
                taken.add(run_id)
                out.append(RunEntry(run_id, path))
        return out

    def get(self, run_id: str) -> RunEntry:
        entries = {e.id: e for e in self.entries()}
        if run_id not in entries:
            raise UnknownNameError("run", run_id, list(entries))
        return entries[run_id]


@dataclass(frozen=True)
class RunOverview:
    """What the list of runs shows of one run."""

    name: str
    kind: str
    game: str
    done: int
    total: int | None
    """The matches its schedule holds (None where the run does not say)."""
    has_report: bool

    @property
    def fraction(self) -> float | None:
        return None if not self.total else min(1.0, self.done / self.total)


def run_overview(path: Path) -> RunOverview:
    with RunStore(path) as store:
        try:
            config = store.config()
        except RedqueenError:
            config = {}
        done = len(store.completed_keys())
        total = store.get_meta("scheduled_matches")
    game = config.get("game")
    game_id = str(game.get("id", "")) if isinstance(game, dict) else str(game or "")
    return RunOverview(
        name=str(config.get("name", path.name)),
        kind=str(config.get("kind", "?")),
        game=game_id,
        done=done,
        total=int(total) if isinstance(total, int | float) and total > 0 else None,
        has_report=(path / "report.html").is_file(),
    )


def stored_matches(path: Path) -> list[tuple[ScheduledMatch, MatchResult]]:
    with RunStore(path) as store:
        return list(store.matches())


def stored_match(path: Path, key: str) -> tuple[ScheduledMatch, MatchResult, dict[str, Any]]:
    """One stored match of the run at ``path``, with the run's config."""
    with RunStore(path) as store:
        config = store.config()
        for match, result in store.matches():
            if match.key == key:
                return match, result, config
        keys = sorted(store.completed_keys())
    raise UnknownNameError(f"match of run {path.name}", key, keys[:20])


def _game_configs(node: Any) -> Iterator[Mapping[str, Any]]:
    """Every ``{"id": ..., "params": ...}`` mapping inside a run's config."""
    if isinstance(node, Mapping):
        if isinstance(node.get("id"), str) and isinstance(node.get("params", {}), Mapping):
            yield node
        for value in node.values():
            yield from _game_configs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _game_configs(value)


def match_game(config: Mapping[str, Any], result: MatchResult) -> Game:
    """The game a stored match was played in: built from the game config in the run's
    config whose id is the match's game (its parameters included), else by id alone."""
    for game in _game_configs(config):
        if game["id"] == result.game:
            try:
                return make(result.game, **dict(game.get("params") or {}))
            except RedqueenError:
                continue
    return make(result.game)


@dataclass
class LiveSummary:
    """Everything the "Follow" page shows of a run, read from its store now."""

    overview: RunOverview
    names: list[str]
    standings: list[Standing]
    payoffs: PayoffMatrix | None
    elo: EloFit | None
    curves: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    curve_notes: dict[str, str] = field(default_factory=dict)
    matches: list[tuple[ScheduledMatch, MatchResult]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """What could not be computed, and why (shown on the page)."""


def _bounds(config: Mapping[str, Any], results: Sequence[MatchResult]) -> tuple[float, float]:
    if results and results[0].return_bounds is not None:
        lo = min(r.return_bounds[0] for r in results if r.return_bounds is not None)
        hi = max(r.return_bounds[1] for r in results if r.return_bounds is not None)
        return (lo, hi)
    spec = match_game(config, results[0]).spec
    return (float(spec.min_utility), float(spec.max_utility))


def _curves(
    store: RunStore,
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, str]]:
    """Each logged metric as (step, value) points. A metric logged several times per
    step (one series per tag: per run, per member) is drawn as the mean at each step,
    and the page says so."""
    curves: dict[str, list[tuple[float, float]]] = {}
    notes: dict[str, str] = {}
    for name in store.metric_names():
        by_step: dict[float, list[float]] = {}
        for k, (step, value) in enumerate(store.metrics(name)):
            by_step.setdefault(float(k if step is None else step), []).append(value)
        curves[name] = [(s, sum(v) / len(v)) for s, v in sorted(by_step.items())]
        most = max(len(v) for v in by_step.values())
        if most > 1:
            notes[name] = f"mean of up to {most} values logged at each step (one per tag)"
    return curves, notes


def live_summary(path: Path) -> LiveSummary:
    overview = run_overview(path)
    with RunStore(path) as store:
        try:
            config = store.config()
        except RedqueenError:
            config = {}
        names = store.agent_names()
        matches = list(store.matches())
        curves, notes = _curves(store)
    summary = LiveSummary(overview, names, [], None, None, curves, notes, matches)
    if not matches:
        return summary
    seats_used = max(max(m.seats) for m, _ in matches) + 1
    if len(names) < seats_used:  # a run that did not record its agents: name them
        labels = {s: r.agents[k] for m, r in matches for k, s in enumerate(m.seats) if r.agents}
        names = [*names, *(labels.get(i, f"agent {i}") for i in range(len(names), seats_used))]
        summary.names = names
    seated = [(m.seats, r) for m, r in matches]
    try:
        bounds = _bounds(config, [r for _, r in matches])
        summary.standings = standings(names, seated, bounds=bounds)
        summary.payoffs = payoff_matrix(names, seated, bounds=bounds)
        summary.elo = elo_fit(names, seated, seed=int(config.get("seed", 0)), bounds=bounds)
    except (RedqueenError, ValueError) as err:
        summary.problems.append(f"standings could not be computed: {err}")
    return summary
