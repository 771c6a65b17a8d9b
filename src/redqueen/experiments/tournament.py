"""The ``tournament`` recipe kind: a round robin between the listed agents.

Running it: build the game and agents, play what is not yet in the run store,
write each result as it finishes, then summarise and write the report.

Running the same recipe into the same directory again resumes it: matches already stored
are skipped, and since every match carries its own seed the finished run is the same as
one that was never interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from redqueen.agents.core import Agent
from redqueen.agents.registry import make_agent, parse_agent_spec
from redqueen.errors import RedqueenError
from redqueen.experiments.base import (
    AgentConfig,
    FailedMatchesError,
    GameConfig,
    ProgressHook,
    RecipeBase,
)
from redqueen.games.core import Game
from redqueen.games.registry import make
from redqueen.measure.ratings import EloRating, elo_ratings
from redqueen.measure.standings import PayoffMatrix, Standing, payoff_matrix, standings
from redqueen.measure.statistics import finite_or_none
from redqueen.play.match import MatchResult, OnInvalid
from redqueen.play.runners import run_matches
from redqueen.play.schedule import ScheduledMatch, round_robin
from redqueen.play.tournament import agent_names
from redqueen.report.html import write_report
from redqueen.store.run_store import DB_NAME, RunStore

__all__ = ["RunSummary", "TournamentRecipe", "build_agents", "run_recipe"]


class TournamentRecipe(RecipeBase):
    """A round-robin tournament (see :func:`redqueen.play.tournament`)."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("workers", "backend", "description")

    kind: Literal["tournament"] = "tournament"
    game: GameConfig
    agents: list[AgentConfig] = Field(min_length=1)
    games_per_pairing: int = Field(10, ge=1, le=1_000_000)
    workers: int = Field(1, ge=0, le=1024)
    backend: Literal["inline", "pool", "ray"] | None = None
    """Where matches run (None: inline for one worker, else a process pool); ``ray``
    joins ``$RAY_ADDRESS`` or starts a local Ray. Results are the same on all three."""
    self_play: bool = False
    on_invalid: Literal["random", "raise"] = "random"

    @field_validator("game", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value

    @field_validator("agents", mode="before")
    @classmethod
    def _agent_shorthand(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for item in value:
            if isinstance(item, str):
                try:
                    spec = parse_agent_spec(item)
                except RedqueenError as err:
                    raise ValueError(str(err)) from None
                out.append({"kind": spec.kind, "params": spec.params})
            else:
                out.append(item)
        return out

    @model_validator(mode="after")
    def _enough_agents(self) -> TournamentRecipe:
        game = make(self.game.id, **self.game.params)
        for k, a in enumerate(self.agents):
            try:
                make_agent(a.kind, **a.params).check_game(game)
            except RedqueenError as err:
                raise ValueError(f"agents[{k}] ({a.kind}) cannot play {game.id}: {err}") from None
        named = [a.name for a in self.agents if a.name]
        if len(set(named)) != len(named):
            raise ValueError(f"agent names must be unique; got {named}")
        players = game.num_players
        if not self.self_play and len(self.agents) < players:
            raise ValueError(
                f"{self.game.id} has {players} seats but only {len(self.agents)} agents are "
                "listed; add agents or set self_play: true"
            )
        return self

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RunSummary:
        return run_recipe(self, out_dir, progress=progress)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return write_report(run_dir)


@dataclass
class RunSummary:
    recipe: TournamentRecipe
    names: list[str]
    standings: list[Standing]
    payoffs: PayoffMatrix
    elo: list[EloRating]
    matches: int
    resumed_from: int
    run_dir: Path | None
    report: Path | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.recipe.name,
            "game": self.recipe.game.model_dump(),
            "agents": self.names,
            "matches": self.matches,
            "resumed_from": self.resumed_from,
            "standings": [s.to_dict() for s in self.standings],
            "elo": [r.to_dict() for r in self.elo],
            "payoff_matrix": {
                "agents": self.names,
                "mean": _nan_to_none(self.payoffs.mean.tolist()),
                "sem": _nan_to_none(self.payoffs.sem.tolist()),
                "count": self.payoffs.count.tolist(),
            },
            "run_dir": str(self.run_dir) if self.run_dir else None,
            "report": str(self.report) if self.report else None,
        }

    def summary_text(self) -> str:
        lines = [f"{self.recipe.name}: {self.recipe.game.id}, {self.matches} matches"]
        lines += [f"  {s.name}: mean {s.returns.mean:.3f}" for s in self.standings]
        return "\n".join(lines)


def build_agents(recipe: TournamentRecipe) -> tuple[list[Agent], list[str]]:
    """The recipe's agents and their display names: the given ``name``, else the spec
    label, made unique with ``#2``, ``#3``... (given names are kept as they are)."""
    agents = [make_agent(a.kind, **a.params) for a in recipe.agents]
    labels = agent_names(agents)
    taken = {a.name for a in recipe.agents if a.name}
    names: list[str] = []
    for a, label in zip(recipe.agents, labels, strict=True):
        if a.name:
            names.append(a.name)
            continue
        name, k = label, 1
        while name in taken:
            k += 1
            name = f"{label}#{k}"
        taken.add(name)
        names.append(name)
    return agents, names


def run_recipe(
    recipe: TournamentRecipe, out_dir: str | Path | None, *, progress: ProgressHook | None = None
) -> RunSummary:
    """Run ``recipe`` into ``out_dir`` (resuming it), or in memory when ``out_dir`` is None."""
    game = make(recipe.game.id, **recipe.game.params)
    agents, names = build_agents(recipe)
    schedule = round_robin(
        len(agents),
        game.num_players,
        recipe.games_per_pairing,
        recipe.seed,
        self_play=recipe.self_play,
    )
    total = len(schedule)
    store = RunStore(out_dir) if out_dir is not None else None
    finished: list[tuple[ScheduledMatch, MatchResult]] = []
    failed: list[tuple[ScheduledMatch, BaseException]] = []
    try:
        done_keys: set[str] = set()
        if store is not None:
            store.bind_config(recipe.model_dump(mode="json"), ignore=recipe.resumable_changes)
            store.record_agents(names, [a.model_dump(mode="json") for a in recipe.agents])
            store.set_meta("scheduled_matches", total)
            done_keys = store.completed_keys()
        resumed_from = len(done_keys)
        count = resumed_from
        if progress is not None:
            progress(count, total)

        def on_result(match: ScheduledMatch, result: MatchResult) -> None:
            nonlocal count
            if store is not None:
                store.record_match(match, result)
            count += 1
            if progress is not None:
                progress(count, total)

        todo = [m for m in schedule if m.key not in done_keys]
        if any(getattr(a, "prefers_async", False) for a in agents):  # LLM players
            finished, failed = _play_async(
                game, agents, names, todo, out_dir, on_result, recipe.on_invalid
            )
            if store is not None:  # failed matches are not stored; the next run plays them
                store.set_meta("failed_matches", {m.key: str(e) for m, e in failed})
        else:
            finished = run_matches(
                game,
                agents,
                todo,
                workers=recipe.workers,
                on_result=on_result,
                on_invalid=recipe.on_invalid,
                backend=recipe.backend,
            )
        if store is not None:
            finished = list(store.matches())
    finally:
        if store is not None:
            store.close()
    seated = [(m.seats, r) for m, r in finished]
    bounds = (game.spec.min_utility, game.spec.max_utility)
    summary = RunSummary(
        recipe=recipe,
        names=names,
        standings=standings(names, seated, bounds=bounds),
        payoffs=payoff_matrix(names, seated, bounds=bounds),
        elo=elo_ratings(names, seated, seed=recipe.seed, bounds=bounds),
        matches=len(finished),
        resumed_from=resumed_from,
        run_dir=Path(out_dir) if out_dir is not None else None,
        report=None,
    )
    if out_dir is not None:
        summary.report = write_report(out_dir)
        results = Path(out_dir) / "results.json"
        tmp = results.with_suffix(".json.tmp")
        data = summary.to_dict()
        if any(getattr(a, "prefers_async", False) for a in agents):  # LLM players
            from redqueen.report.transcripts import write_transcripts
            from redqueen.store.llm_cache import LLMStore

            with LLMStore(Path(out_dir) / DB_NAME) as calls:
                usage = calls.usage()
            if usage["run"]["calls"]:
                data["llm"] = usage
                data["transcripts"] = str(write_transcripts(out_dir))
        tmp.write_text(json.dumps(data, indent=2, allow_nan=False))
        tmp.replace(results)
    if failed:
        raise FailedMatchesError(
            f"{len(failed)} of {total} matches failed and were not stored (first: "
            f"{failed[0][1]}); run the same command again to play them",
            summary,
            {m.key: str(e) for m, e in failed},
        )
    return summary


def _play_async(
    game: Game,
    agents: list[Agent],
    names: list[str],
    todo: list[ScheduledMatch],
    out_dir: str | Path | None,
    on_result: Callable[[ScheduledMatch, MatchResult], None],
    on_invalid: OnInvalid,
) -> tuple[list[tuple[ScheduledMatch, MatchResult]], list[tuple[ScheduledMatch, BaseException]]]:
    """Matches with LLM players: concurrently on asyncio, each match's calls recorded in
    the run store (transcripts, cache, tokens, cost). A failed match is not stored."""
    from redqueen.agents.llm.context import recording
    from redqueen.play.async_runner import run_matches_async
    from redqueen.store.llm_cache import LLMStore

    calls = LLMStore(Path(out_dir) / DB_NAME) if out_dir is not None else None
    try:
        run = run_matches_async(
            game,
            agents,
            todo,
            on_result=on_result,
            on_invalid=on_invalid,
            around=lambda m: recording(m.key, calls, [names[i] for i in m.seats]),
        )
    finally:
        if calls is not None:
            calls.close()
    return run.done, run.failed


def _nan_to_none(rows: list[list[float]]) -> list[list[float | None]]:
    return [[finite_or_none(v) for v in row] for row in rows]
