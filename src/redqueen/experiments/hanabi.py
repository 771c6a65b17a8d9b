"""MARS's Hanabi evaluation as a recipe kind: random, rule-based and LLM teams, mean scores.

MARS (thu-nics/MARS; arXiv 2510.15414) trains an LLM by self-play on Mini-Hanabi and
reports, for it and for the held-out Simple and Full Hanabi, the mean score of self-play
games (32 evaluation groups per game). The recipe kind ``hanabi_eval`` measures that
number on redqueen's build of those games (:mod:`redqueen.games.hidden.hanabi`, preset
``mini``, ``simple`` and ``full``) for any team of two players:

- ``random``: a uniformly random legal move (redqueen's ``random`` agent);
- ``rules``: :class:`~redqueen.agents.hidden.hanabi.HanabiRuleAgent` (play a card known to
  be playable, else hint a playable card, else discard the oldest unhinted card);
- ``llm``: the recipe's ``llm`` model through :class:`~redqueen.agents.llm.agent.LLMAgent`,
  reading MARS's text view (rules, game state, ``<Play card i>``-style moves).

A team is written ``"P"`` (``P`` in both seats: self-play, as MARS evaluates) or
``"P+Q"`` (``P`` in seat 0, ``Q`` in seat 1). Each (preset, team) plays ``matches``
matches, or ``llm_matches`` if an LLM sits in it. Match ``k`` of a preset has the seed
``match_seed(seed, preset, k)`` for every team, so all teams are dealt the same first
hands (common random numbers: the teams' difference has less noise than either mean).

The score of a match is the game's: the cards played, 0 when the last life is lost. A
match in which an LLM seat forfeits (``llm.on_invalid: forfeit``, after its re-asks)
scores 0, as MARS's prompt says an answer in the wrong format "will result in immediate
loss of all life tokens and end of the game". For each (preset, team) the run reports the
mean score with its 95% interval (the bounded score interval on ``[0, max score]``,
:func:`~redqueen.measure.statistics.mean_ci`), the score distribution, the rates of
perfect games and of games lost with the last life (95% Wilson intervals), the mean cards
played (before any loss of the last life zeroed them), the mean decisions per game and,
per seat, the matches with an invalid move and the forfeits. Beside the random team's mean
the report shows the random-play means measured with OpenSpiel 2.0.2 over 3,000 games
(:data:`REFERENCE_RANDOM_MEANS`).

Scripted matches are played inline, LLM matches concurrently on asyncio (at most
``llm.max_concurrency`` requests in flight), every LLM call cached and recorded in the
run's store; each match is stored as it finishes, so a killed run resumes where it
stopped, and a match whose backend fails is not stored and is played on the next run.
MARS's training rewards (+0.05 per valid move, and so on) play no part here: an
evaluation reports the score.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from redqueen.agents.core import Agent
from redqueen.agents.hidden.hanabi import HanabiRuleAgent
from redqueen.agents.llm.backends import BackendError
from redqueen.agents.llm.context import recording
from redqueen.agents.random_agent import RandomAgent
from redqueen.experiments.base import ProgressHook, RecipeBase, RecipeOutcome
from redqueen.experiments.llm_games import LLMConfig, LLMRun, RunOutcome, close_clients
from redqueen.games.core import CHANCE
from redqueen.games.hidden.hanabi import PRESETS, HanabiGame, HanabiState
from redqueen.measure.statistics import finite_or_none, mean_ci, rate_with_interval
from redqueen.play.match import MatchResult, aplay_match, play_match, replay
from redqueen.play.schedule import ScheduledMatch, match_seed
from redqueen.report.hanabi import write_hanabi_report
from redqueen.store.run_store import RunStore

PLAYERS = ("random", "rules", "llm")
"""The players a team is made of."""

REFERENCE_RANDOM_MEANS: dict[str, float] = {"mini": 1.45, "simple": 1.60, "full": 1.21}
"""Mean score of uniformly random play over 3,000 games per preset, measured with OpenSpiel
2.0.2's own ``hanabi`` outside redqueen (the project's research notes on MARS)."""


def team_seats(team: str) -> tuple[str, str]:
    """The players of a team in seat order: ``"rules"`` -> (rules, rules); ``"llm+rules"``
    -> (llm, rules). Raises :class:`ValueError` naming the allowed players."""
    parts = [p.strip() for p in team.split("+")]
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or any(p not in PLAYERS for p in parts):
        raise ValueError(
            f"team {team!r}: write one player (both seats) or two joined by '+' (seat 0, "
            f"seat 1); players: {', '.join(PLAYERS)}"
        )
    return parts[0], parts[1]


# ---- what one match leaves ------------------------------------------------------------------


def match_record(game: HanabiGame, result: MatchResult) -> dict[str, Any]:
    """What a finished match says about its team, from the state its trajectory reaches:
    the score (0 after a forfeit), the cards played, whether the last life was lost,
    whether a seat forfeited, and the decisions taken."""
    state = replay(game, result.trajectory)
    assert isinstance(state, HanabiState)
    view = state.view(0)
    forfeited = any(result.forfeits)
    return {
        "score": 0 if forfeited else state.score(),
        "cards_played": sum(view.fireworks.values()),
        "lives_out": view.life_tokens == 0,
        "forfeit": forfeited,
        "decisions": sum(1 for step in result.trajectory if step.player != CHANCE),
    }


def summarise(
    preset: str, team: str, records: Sequence[Mapping[str, Any]], results: Sequence[MatchResult]
) -> dict[str, Any]:
    """The row of one (preset, team): see the module docstring for its fields."""
    best = PRESETS[preset].max_score
    n = len(records)
    scores = [int(r["score"]) for r in records]
    ci = mean_ci(scores, bounds=(0.0, float(best)))

    def mean(values: Sequence[float]) -> float | None:
        return sum(values) / len(values) if values else None

    return {
        "preset": preset,
        "team": team,
        "seats": list(team_seats(team)),
        "matches": n,
        "max_score": best,
        "score": {
            "mean": finite_or_none(ci.mean),
            "low": finite_or_none(ci.low),
            "high": finite_or_none(ci.high),
            "n": ci.n,
            "method": ci.method,
        },
        "distribution": [scores.count(s) for s in range(best + 1)],
        "perfect": rate_with_interval(scores.count(best), n),
        "lives_out": rate_with_interval(sum(bool(r["lives_out"]) for r in records), n),
        "cards_played": mean([r["cards_played"] for r in records]),
        "decisions": mean([r["decisions"] for r in records]),
        "invalid": [
            rate_with_interval(sum(res.invalid_moves[s] > 0 for res in results), n) for s in (0, 1)
        ],
        "forfeits": [
            rate_with_interval(sum(bool(res.forfeits and res.forfeits[s]) for res in results), n)
            for s in (0, 1)
        ],
        "reference_random_mean": REFERENCE_RANDOM_MEANS[preset] if team == "random" else None,
    }


def summary_line(row: Mapping[str, Any]) -> str:
    """One line of the terminal summary."""
    s = row["score"]
    interval = "" if s["low"] is None else f" [{s['low']:.2f}, {s['high']:.2f}]"
    mean = "–" if s["mean"] is None else f"{s['mean']:.3f}"
    ref = row.get("reference_random_mean")
    tail = f" (OpenSpiel random play: {ref:.2f})" if ref is not None else ""
    return (
        f"  {row['preset']} / {row['team']}: mean score {mean}{interval} of "
        f"{row['max_score']} over {row['matches']} matches{tail}"
    )


# ---- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    key: str
    index: int
    preset: str
    team: str
    seed: int


@dataclass
class _Played:
    record: dict[str, Any]
    result: MatchResult


class _Run(LLMRun):
    """The run directory (or memory): matches stored as they finish, LLM calls cached and
    recorded."""

    def save_played(self, job: _Job, played: _Played) -> None:
        if self.store is None:
            return
        self.store.set_meta(f"job:{job.key}", played.record)
        self.store.record_match(ScheduledMatch(job.key, job.index, (0, 1), job.seed), played.result)


def stored_matches(store: RunStore) -> dict[str, _Played]:
    """Every stored match of a ``hanabi_eval`` run by key: its record and result."""
    return {
        match.key: _Played(store.get_meta(f"job:{match.key}"), result)
        for match, result in store.matches()
    }


# ---- the recipe kind ---------------------------------------------------------------------------


class HanabiEvalRecipe(RecipeBase):
    """Teams of random, rule-based and LLM players on MARS's Hanabi presets (see the
    module docstring)."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)

    kind: Literal["hanabi_eval"] = "hanabi_eval"
    presets: list[str] = Field(default_factory=lambda: ["mini", "simple", "full"], min_length=1)
    teams: list[str] = Field(default_factory=lambda: ["random", "rules"], min_length=1)
    """``"P"`` (both seats) or ``"P+Q"`` (seat 0, seat 1), players from
    :data:`PLAYERS`."""
    matches: int = Field(1000, ge=1, le=1_000_000)
    """Matches per (preset, team) without an LLM seat."""
    llm_matches: int = Field(32, ge=1, le=100_000)
    """Matches per (preset, team) with an LLM seat (MARS: 32 evaluation groups)."""
    llm: LLMConfig | None = None
    """The model of every ``llm`` seat."""

    @field_validator("teams")
    @classmethod
    def _teams(cls, value: list[str]) -> list[str]:
        for team in value:
            team_seats(team)
        repeated = sorted({t for t in value if value.count(t) > 1})
        if repeated:
            raise ValueError(f"teams listed twice: {repeated}")
        return value

    @field_validator("presets")
    @classmethod
    def _presets(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in PRESETS]
        if unknown:
            raise ValueError(f"unknown presets {unknown}; allowed: {', '.join(PRESETS)}")
        repeated = sorted({p for p in value if value.count(p) > 1})
        if repeated:
            raise ValueError(f"presets listed twice: {repeated}")
        return value

    @model_validator(mode="after")
    def _llm_given(self) -> HanabiEvalRecipe:
        if self.llm is None and any(self.has_llm(t) for t in self.teams):
            raise ValueError(
                "a team with an 'llm' seat needs the recipe's llm (model, base_url, api_key_env)"
            )
        return self

    @staticmethod
    def has_llm(team: str) -> bool:
        return "llm" in team_seats(team)

    def jobs(self) -> list[_Job]:
        """Every match in schedule order: presets, then teams, then ``k``."""
        out: list[_Job] = []
        for preset in self.presets:
            p = list(PRESETS).index(preset)
            for team in self.teams:
                n = self.llm_matches if self.has_llm(team) else self.matches
                for k in range(n):
                    key = f"{preset}/{team}/{k}"
                    out.append(_Job(key, len(out), preset, team, match_seed(self.seed, p, k)))
        return out

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        run = _Run(self, out_dir)
        try:
            played, failed = self._play(run, progress)
            if run.store is not None:
                run.store.set_meta("failed_matches", failed)  # for the closing lines
            rows = self.rows(played)
            text = "\n".join(
                ["Hanabi as MARS plays it (mean score, 95% interval):"]
                + [summary_line(r) for r in rows]
            )
            results = {
                "groups": rows,
                "matches": sum(r["matches"] for r in rows),
                "failed_matches": list(failed),
            }
            outcome = RunOutcome(self.name, self.kind, results, text)
            run.write_results(outcome)
        finally:
            run.close()
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    def rows(self, played: Mapping[str, _Played]) -> list[dict[str, Any]]:
        """The summary row of every (preset, team), from the matches in ``played``."""
        groups: dict[tuple[str, str], list[_Played]] = {}
        for job in self.jobs():
            group = groups.setdefault((job.preset, job.team), [])
            if job.key in played:
                group.append(played[job.key])
        return [
            summarise(preset, team, [p.record for p in items], [p.result for p in items])
            for (preset, team), items in groups.items()
        ]

    def _agents(self, team: str) -> list[Agent]:
        made: dict[str, Agent] = {}
        for name in team_seats(team):
            if name not in made:
                if name == "random":
                    made[name] = RandomAgent()
                elif name == "rules":
                    made[name] = HanabiRuleAgent()
                else:
                    assert self.llm is not None
                    made[name] = self.llm.agent()
        return [made[name] for name in team_seats(team)]

    def _play(
        self, run: _Run, progress: ProgressHook | None
    ) -> tuple[dict[str, _Played], dict[str, str]]:
        stored = stored_matches(run.store) if run.store is not None else {}
        played: dict[str, _Played] = dict(stored)
        jobs = self.jobs()
        total = len(jobs)
        todo = [j for j in jobs if j.key not in stored]
        done = total - len(todo)
        if progress is not None:
            progress(done, total)
        games = {preset: HanabiGame(preset) for preset in self.presets}
        agents = {team: self._agents(team) for team in self.teams}

        def finish(job: _Job, result: MatchResult) -> None:
            nonlocal done
            item = _Played(match_record(games[job.preset], result), result)
            run.save_played(job, item)
            played[job.key] = item
            done += 1
            if progress is not None:
                progress(done, total)

        for job in todo:
            if not self.has_llm(job.team):
                finish(job, play_match(games[job.preset], agents[job.team], job.seed))
        llm_jobs = [j for j in todo if self.has_llm(j.team)]
        failed = asyncio.run(self._play_llm(run, llm_jobs, games, agents, finish))
        return played, failed

    async def _play_llm(
        self,
        run: _Run,
        jobs: Sequence[_Job],
        games: Mapping[str, HanabiGame],
        agents: Mapping[str, list[Agent]],
        finish: Callable[[_Job, MatchResult], None],
    ) -> dict[str, str]:
        failed: dict[str, str] = {}

        async def one(job: _Job) -> None:
            names = [f"{name} (seat {s})" for s, name in enumerate(team_seats(job.team))]
            try:
                with recording(job.key, run.sink, names):
                    result = await aplay_match(games[job.preset], agents[job.team], job.seed)
            except BackendError as err:
                if getattr(err, "stops_run", False):
                    raise  # a refused key or a server that cannot be reached stops the run
                failed[job.key] = str(err)
                return
            finish(job, result)

        try:
            await asyncio.gather(*(one(j) for j in jobs))
        finally:
            await close_clients([a for team in agents.values() for a in team])
        return failed

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        with RunStore(run_dir) as store:
            config = store.config()
            played = stored_matches(store)
            failed = store.get_meta("failed_matches") or {}
        recipe = cls.model_validate(config)
        llm_keys = [j.key for j in recipe.jobs() if j.key in played and recipe.has_llm(j.team)]
        return write_hanabi_report(run_dir, config, recipe.rows(played), llm_keys, failed)
