"""Recipes of ``who_is_the_spy``: scripted players, and LLM players against them.

Two recipe kinds play Vision-Zero's "who is the spy" (:mod:`redqueen.games.hidden.spy`)
with fixed line-ups (one player per seat) and report the game's measures
(:mod:`redqueen.measure.hidden_spy`) with 95% intervals:

- ``spy_scripted``: scripted players only (:mod:`redqueen.agents.hidden.spy`:
  ``spy_truthful``, ``spy_blending``, ``spy_random``, or any agent that plays the game);
- ``spy_llm``: the same with ``llm`` seats, played by the recipe's ``llm`` model
  (:class:`~redqueen.experiments.llm_games.LLMConfig`); its game has text clues by
  default (``clues: text``), so the model writes free-text clues and votes.

The spy's seat is drawn by the game's chance node in every match, so each player of a
line-up plays both roles; the report gives each line-up's measures and, per player, its
measures as the spy and as a civilian. Each line-up plays ``matches`` matches with seeds
``match_seed(seed, line-up, k)``, stored as they finish (a killed run resumes where it
stopped); the measures are computed from the stored trajectories, replayed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from redqueen.agents.core import Agent
from redqueen.agents.registry import parse_agent
from redqueen.errors import RedqueenError
from redqueen.experiments.base import ProgressHook, RecipeBase, RecipeOutcome
from redqueen.experiments.llm_games import (
    JobResult,
    LLMConfig,
    LLMJob,
    LLMRun,
    RunOutcome,
    run_llm_jobs,
    stored_results,
)
from redqueen.games.hidden.spy import SpyOutcome, SpyState, WhoIsTheSpyGame
from redqueen.measure.hidden_spy import seat_metrics, spy_metrics
from redqueen.measure.statistics import rate_with_interval
from redqueen.play.match import replay
from redqueen.play.schedule import match_seed
from redqueen.report.hidden_spy import write_spy_report

LLM_SEAT = "llm"
"""A seat written as exactly this is played by the recipe's ``llm`` model."""


class SpyLineup(BaseModel):
    """One player per seat, in seat order; a plain list of seats reads as one."""

    model_config = ConfigDict(extra="forbid")

    seats: list[str] = Field(min_length=3)
    label: str | None = Field(None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        return {"seats": data} if isinstance(data, list) else data

    @field_validator("seats")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for seat in value:
            if seat == LLM_SEAT:
                continue
            if seat.partition(":")[0].strip() == "human":
                raise ValueError("a recipe cannot seat a human agent; use `redqueen play`")
            try:
                parse_agent(seat)
            except RedqueenError as err:
                raise ValueError(str(err)) from None
        return value

    def name(self) -> str:
        return self.label or " vs ".join(self.seats)


class _SpyRecipe(RecipeBase):
    """What the two kinds share: the game, the line-ups and the matches per line-up."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)
    default_game: ClassVar[dict[str, Any]] = {}

    game: dict[str, Any] = Field(default_factory=dict)
    """Parameters of ``who_is_the_spy`` (over the kind's defaults)."""
    lineups: list[SpyLineup] = Field(min_length=1)
    matches: int = Field(100, ge=1, le=1_000_000)
    """Matches per line-up."""

    def make_game(self) -> WhoIsTheSpyGame:
        return WhoIsTheSpyGame(**{**self.default_game, **self.game})

    def llm_config(self) -> LLMConfig | None:
        return None

    @model_validator(mode="after")
    def _consistent(self) -> _SpyRecipe:
        try:
            game = self.make_game()
        except (RedqueenError, TypeError) as err:
            raise ValueError(f"game: {err}") from None
        names = [lineup.name() for lineup in self.lineups]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"line-ups named twice: {repeated}; give each a label")
        for lineup in self.lineups:
            if len(lineup.seats) != game.num_players:
                raise ValueError(
                    f"line-up {lineup.name()!r} has {len(lineup.seats)} seats; the game has "
                    f"{game.num_players} ({game.n} players"
                    + (f" and {game.n_observers} observers)" if game.n_observers else ")")
                )
            if LLM_SEAT in lineup.seats and self.llm_config() is None:
                raise ValueError(
                    f"line-up {lineup.name()!r} has an 'llm' seat: this kind has no model "
                    "(use kind spy_llm with an llm section)"
                )
            for seat, text in enumerate(lineup.seats):
                if text == LLM_SEAT:
                    continue
                try:
                    parse_agent(text).check_game(game)
                except RedqueenError as err:
                    raise ValueError(f"line-up {lineup.name()!r}, seat {seat}: {err}") from None
        return self

    def _agents(self, lineup: SpyLineup, llm: list[Agent]) -> list[Agent]:
        out = []
        for seat in lineup.seats:
            if seat == LLM_SEAT:
                if not llm:
                    config = self.llm_config()
                    assert config is not None
                    llm.append(config.agent())
                out.append(llm[0])
            else:
                out.append(parse_agent(seat))
        return out

    def keys(self, i: int) -> list[str]:
        return [f"{self.lineups[i].name()}/{k}" for k in range(self.matches)]

    def jobs(self) -> list[LLMJob]:
        game = self.make_game()
        llm: list[Agent] = []
        jobs = []
        for i, lineup in enumerate(self.lineups):
            agents = self._agents(lineup, llm)
            names = [f"{s} ({game.player_name(p)})" for p, s in enumerate(lineup.seats)]
            for k, key in enumerate(self.keys(i)):
                jobs.append(
                    LLMJob(
                        key=key,
                        index=i * self.matches + k,
                        game=game,
                        agents=agents,
                        names=names,
                        seed=match_seed(self.seed, i, k),
                        info={"lineup": lineup.name(), "k": k},
                    )
                )
        return jobs

    def rows(self, results: Mapping[str, JobResult]) -> list[dict[str, Any]]:
        """One summary row per line-up, from the stored matches (by key)."""
        game = self.make_game()
        rows = []
        for i, lineup in enumerate(self.lineups):
            played = [results[k] for k in self.keys(i) if k in results]
            outcomes: list[SpyOutcome] = []
            for r in played:
                state = replay(game, r.result.trajectory)
                assert isinstance(state, SpyState)
                outcome = state.outcome()
                if outcome is not None:  # a seat that forfeited ends the match early
                    outcomes.append(outcome)
            labels = list(dict.fromkeys(lineup.seats))
            n = len(played)
            rows.append(
                {
                    "lineup": lineup.name(),
                    "seats": list(lineup.seats),
                    "matches": n,
                    "finished": len(outcomes),
                    "invalid": [
                        rate_with_interval(sum(r.result.invalid_moves[s] > 0 for r in played), n)
                        for s in range(game.num_players)
                    ],
                    "metrics": spy_metrics(outcomes),
                    "players": [
                        {
                            "label": label,
                            "seats": [s for s, t in enumerate(lineup.seats) if t == label],
                            **seat_metrics(
                                outcomes,
                                [s for s, t in enumerate(lineup.seats[: game.n]) if t == label],
                            ),
                        }
                        for label in labels
                    ],
                }
            )
        return rows

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        run = LLMRun(self, out_dir)
        try:
            results, failed = run_llm_jobs(run, self.jobs(), progress)
            rows = self.rows({r.job_key: r for r in results})
            outcome = RunOutcome(
                self.name,
                self.kind,
                {"lineups": rows, "failed_matches": failed},
                summary_text(rows),
            )
            run.write_results(outcome)
        finally:
            run.close()
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, stored = stored_results(run_dir)
        recipe = cls.model_validate(config)
        results = {r.job_key: r for r in stored}
        keys = [k for i in range(len(recipe.lineups)) for k in recipe.keys(i) if k in results]
        return write_spy_report(run_dir, config, recipe.rows(results), keys)


def summary_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """The terminal summary: one line per line-up (rates as count/n)."""

    def rate(r: Mapping[str, Any]) -> str:
        return "–" if r["rate"] is None else f"{r['rate']:.3f} ({r['count']}/{r['n']})"

    lines = ["who is the spy (rates: count/n; see the report for 95% intervals):"]
    for row in rows:
        m = row["metrics"]
        psi = m["psi"]["mean"]
        lines.append(
            f"  {row['lineup']} ({row['matches']} matches): spy caught {rate(m['spy_caught'])}, "
            f"civilian accuracy {rate(m['civilian_accuracy'])}, N/A {rate(m['abstain_rate'])}, "
            f"psi {'–' if psi is None else f'{psi:.3f}'}"
        )
    return "\n".join(lines)


class SpyScriptedRecipe(_SpyRecipe):
    """Scripted players of who_is_the_spy, with the game's measures (see the module)."""

    kind: Literal["spy_scripted"] = "spy_scripted"


class SpyLLMRecipe(_SpyRecipe):
    """LLM players against scripted ones in who_is_the_spy (see the module); the game
    has text clues unless ``game.clues`` says otherwise."""

    default_game: ClassVar[dict[str, Any]] = {"clues": "text"}

    kind: Literal["spy_llm"] = "spy_llm"
    llm: LLMConfig
    """The model of every ``llm`` seat."""

    def llm_config(self) -> LLMConfig | None:
        return self.llm
