"""Werewolf recipes: LLM players against scripted ones, and WereAlign on transcripts.

Two recipe kinds, after "Beyond Survival" (arXiv:2510.11389; see
:mod:`redqueen.games.hidden.werewolf` and :mod:`redqueen.measure.werealign`):

- ``werewolf_llm``: ``matches`` games of :func:`~redqueen.games.hidden.werewolf.werewolf`
  (``game`` holds its parameters; by default the 12-seat board with free-text speeches)
  with the recipe's model in ``llm_seats`` and scripted players
  (:class:`~redqueen.agents.hidden.werewolf.WerewolfAgent`, ``scripted`` style) in the
  others; roles are dealt at random in every match. With ``role_guesses`` the LLM seats
  are :class:`~redqueen.agents.hidden.werewolf.RoleGuessLLMAgent`: before their first
  exile vote they are asked every other seat's role. With ``baseline`` the same seeds
  are also played with scripted players in every seat. Metrics
  (:mod:`redqueen.measure.werewolf`): each side's win rate, the LLM seats' win rate, the
  share of exile votes on wolves (all good voters, and the LLM seats), role-guess
  accuracy, and the LLM seats' invalid moves; rates with 95% Wilson intervals.
- ``werealign_eval``: WereAlign's three scores for the recipe's model: the 9-option
  multiple choice by category, vote alignment (VA) and opponent-role inference (OI), on
  ``questions`` (a ``WereBench.json``) and ``games`` (a directory of game files); both
  default to our own small fixture in WereBench's schema (the real data has no licence
  and is never shipped). Prompts are sent as the scripts send them (one user message;
  OI one growing chat per game), ``decodes`` times each (the paper's leaderboard used 5).

Both store every match or answer as it completes (the run store; LLM calls in its cache
and transcripts), so a killed run resumes where it stopped and a finished one replays
from the cache.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from redqueen.agents.core import Agent
from redqueen.agents.hidden.werewolf import RoleGuessLLMAgent, WerewolfAgent
from redqueen.agents.llm.agent import LLMAgent
from redqueen.agents.llm.backends import BackendError
from redqueen.agents.llm.context import CallSink, recording
from redqueen.errors import RedqueenError
from redqueen.experiments.base import ProgressHook, RecipeBase, RecipeOutcome, stored_meta
from redqueen.experiments.llm_games import LLMConfig, RunOutcome, close_clients
from redqueen.games.hidden.werewolf import WerewolfGame, WerewolfState, werewolf
from redqueen.measure.statistics import rate_with_interval
from redqueen.measure.werealign import (
    FIXTURE_DIR,
    eligible_questions,
    load_games,
    load_questions,
    mcq_prompt,
    mcq_scores,
    oi_case,
    parse_choice,
    parse_role,
    parse_vote,
    va_cases,
)
from redqueen.measure.werewolf import exile_votes_on_wolves, role_guess_accuracy, side_win_rates
from redqueen.play.match import MatchResult, aplay_match, play_match, replay
from redqueen.play.schedule import ScheduledMatch, match_seed
from redqueen.report.werewolf import write_werealign_report, write_werewolf_report


class _Store:
    """The run directory (or memory): config bound, results and LLM calls stored."""

    def __init__(self, recipe: RecipeBase, out_dir: Path | None) -> None:
        self.out_dir = out_dir
        self.store: Any = None
        self.sink: CallSink | None = None
        if out_dir is not None:
            from redqueen.store.llm_cache import LLMStore
            from redqueen.store.run_store import DB_NAME, RunStore

            self.store = RunStore(out_dir)
            self.store.bind_config(
                recipe.model_dump(mode="json"), ignore=type(recipe).resumable_changes
            )
            self.sink = LLMStore(Path(out_dir) / DB_NAME)

    def get(self, key: str) -> Any:
        return None if self.store is None else self.store.get_meta(key)

    def put(self, key: str, value: Any) -> None:
        if self.store is not None:
            self.store.set_meta(key, value)

    def write(self, outcome: RunOutcome, failed: dict[str, str]) -> None:
        if self.out_dir is None:
            return
        self.store.set_meta("failed_matches", failed)
        path = Path(self.out_dir) / "results.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(outcome.to_dict(), indent=2, allow_nan=False, default=str))
        tmp.replace(path)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        if self.sink is not None:
            self.sink.close()  # type: ignore[attr-defined]


def _read_results(run_dir: Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from redqueen.store.run_store import RunStore

    with RunStore(run_dir) as store:
        config = store.config()
    path = Path(run_dir) / "results.json"
    return config, json.loads(path.read_text()) if path.is_file() else None


# ---- werewolf_llm -------------------------------------------------------------------------


class WerewolfLLMRecipe(RecipeBase):
    """LLM players in some seats of werewolf, scripted players in the others."""

    kind: Literal["werewolf_llm"] = "werewolf_llm"
    llm: LLMConfig
    game: dict[str, Any] = Field(default_factory=lambda: {"speech": "text"})
    """Parameters of the ``werewolf`` game."""
    llm_seats: list[int] = Field(default_factory=lambda: [0], min_length=1)
    scripted: Literal["rules", "random"] = "rules"
    matches: int = Field(10, ge=1, le=100_000)
    role_guesses: bool = True
    baseline: bool = True
    """Also play the same seeds with scripted players in every seat."""

    @model_validator(mode="after")
    def _consistent(self) -> WerewolfLLMRecipe:
        try:
            game = self.build_game()
        except RedqueenError as err:
            raise ValueError(f"game: {err}") from None
        bad = [s for s in self.llm_seats if not 0 <= s < game.n]
        if bad or len(set(self.llm_seats)) != len(self.llm_seats):
            raise ValueError(
                f"llm_seats {self.llm_seats}: distinct seats in 0..{game.n - 1} are allowed"
            )
        return self

    def build_game(self) -> WerewolfGame:
        return werewolf(**self.game)

    def _agents(self, game: WerewolfGame, with_llm: bool) -> list[Agent]:
        scripted = WerewolfAgent(self.scripted)
        llm: Agent = scripted
        if with_llm:
            kwargs = self.llm.agent().spec().params
            llm = RoleGuessLLMAgent(**kwargs) if self.role_guesses else self.llm.agent()
        return [llm if s in self.llm_seats else scripted for s in range(game.n)]

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        store = _Store(self, out_dir)
        try:
            game = self.build_game()
            seeds = [match_seed(self.seed, k) for k in range(self.matches)]
            records: dict[str, dict[str, Any]] = {}
            for k in range(self.matches):
                for group in ("llm", "baseline") if self.baseline else ("llm",):
                    found = store.get(f"match:{group}/{k}")
                    if found is not None:
                        records[f"{group}/{k}"] = found
            total = self.matches * (2 if self.baseline else 1)
            if progress is not None:
                progress(len(records), total)
            if self.baseline:
                agents = self._agents(game, with_llm=False)
                for k, seed in enumerate(seeds):
                    if f"baseline/{k}" not in records:
                        result = play_match(game, agents, seed)
                        self._keep(store, records, game, f"baseline/{k}", k, seed, result, [])
                        if progress is not None:
                            progress(len(records), total)
            failed = asyncio.run(self._play_llm(store, records, game, seeds, progress, total))
            summary = self.summarise(game, records)
            outcome = RunOutcome(self.name, self.kind, summary, summary_text(summary))
            store.write(outcome, failed)
        finally:
            store.close()
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    async def _play_llm(
        self,
        store: _Store,
        records: dict[str, dict[str, Any]],
        game: WerewolfGame,
        seeds: Sequence[int],
        progress: ProgressHook | None,
        total: int,
    ) -> dict[str, str]:
        agents = self._agents(game, with_llm=True)
        failed: dict[str, str] = {}
        names = [
            f"{'llm' if s in self.llm_seats else self.scripted} (seat {s})" for s in range(game.n)
        ]

        async def one(k: int, seed: int) -> None:
            key = f"llm/{k}"
            try:
                with recording(key, store.sink, names):
                    result = await aplay_match(game, agents, seed)
            except BackendError as err:
                if getattr(err, "stops_run", False):
                    raise
                failed[key] = str(err)
                return
            guesses = []
            for agent in {id(a): a for a in agents}.values():
                if isinstance(agent, RoleGuessLLMAgent):
                    guesses = [g.to_dict() for g in agent.pop_guesses(key)]
            self._keep(store, records, game, key, k, seed, result, guesses)
            if progress is not None:
                progress(len(records), total)

        try:
            await asyncio.gather(
                *(one(k, seed) for k, seed in enumerate(seeds) if f"llm/{k}" not in records)
            )
        finally:
            await close_clients([a for a in agents if isinstance(a, LLMAgent)])
        return failed

    def _keep(
        self,
        store: _Store,
        records: dict[str, dict[str, Any]],
        game: WerewolfGame,
        key: str,
        k: int,
        seed: int,
        result: MatchResult,
        guesses: list[dict[str, Any]],
    ) -> None:
        state = replay(game, result.trajectory)
        assert isinstance(state, WerewolfState)
        record = {
            "seed": seed,
            "winner": state.winner(),
            "roles": [state.role_of(s) for s in range(game.n)],
            "events": [list(e) for e in state.events()],
            "invalid_moves": list(result.invalid_moves),
            "forfeits": list(result.forfeits),
            "guesses": guesses,
            "length": result.length,
        }
        store.put(f"match:{key}", record)
        if store.store is not None:
            index = k * 2 + (key.startswith("baseline"))
            seats = tuple(range(game.n))
            store.store.record_match(ScheduledMatch(key, index, seats, seed), result)
        records[key] = record

    def summarise(self, game: WerewolfGame, records: dict[str, dict[str, Any]]) -> dict[str, Any]:
        groups: dict[str, Any] = {}
        for group in ("llm", "baseline"):
            rows = [r for key, r in sorted(records.items()) if key.startswith(group + "/")]
            if not rows:
                continue
            matches = [(r["events"], r["roles"]) for r in rows]
            seats = self.llm_seats
            llm_wins = [
                (r["roles"][s] == "wolf") == (r["winner"] == "wolves")
                for r in rows
                for s in seats
                if r["winner"] != "draw"
            ]
            guesses = [g | {"match": str(i)} for i, r in enumerate(rows) for g in r["guesses"]]
            roles = {str(i): r["roles"] for i, r in enumerate(rows)}
            invalid = sum(r["invalid_moves"][s] for r in rows for s in seats)
            groups[group] = {
                "matches": len(rows),
                "win_rates": side_win_rates([r["winner"] for r in rows]),
                "llm_seat_win_rate": rate_with_interval(sum(llm_wins), len(seats) * len(rows)),
                "votes_on_wolves": exile_votes_on_wolves(matches),
                "llm_votes_on_wolves": exile_votes_on_wolves(matches, seats),
                "role_guesses": role_guess_accuracy(guesses, roles) if guesses else None,
                "llm_invalid_moves": invalid,
                "mean_length": sum(r["length"] for r in rows) / len(rows),
            }
        return {"board": game.board_text(), "llm_seats": self.llm_seats, "groups": groups}

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, results = _read_results(run_dir)
        return write_werewolf_report(run_dir, config, results)


def _rate(r: dict[str, Any] | None) -> str:
    if not r or r.get("rate") is None:
        return "-"
    return f"{r['rate']:.3f} ({r['count']}/{r['n']})"


def summary_text(summary: dict[str, Any]) -> str:
    lines = [f"werewolf ({summary['board']}), LLM seats {summary['llm_seats']}:"]
    for group, g in summary["groups"].items():
        lines.append(
            f"  {group}: {g['matches']} matches; wolves win {_rate(g['win_rates']['wolves'])}, "
            f"village {_rate(g['win_rates']['village'])}; LLM seats win "
            f"{_rate(g['llm_seat_win_rate'])}; good voters on wolves "
            f"{_rate(g['votes_on_wolves']['good'])}; role guesses {_rate(g['role_guesses'])}"
        )
    return "\n".join(lines)


# ---- werealign_eval -----------------------------------------------------------------------

Task = Literal["mcq", "va", "oi"]
TASKS: tuple[Task, ...] = ("mcq", "va", "oi")


class WereAlignRecipe(RecipeBase):
    """WereAlign's multiple choice, VA and OI for one model (see the module docstring)."""

    progress_unit: ClassVar[tuple[str, str]] = ("answer", "answers")

    kind: Literal["werealign_eval"] = "werealign_eval"
    llm: LLMConfig
    questions: str | None = None
    """A WereBench question file; None: our fixture."""
    games: str | None = None
    """A directory of WereBench game files; None: our fixture."""
    tasks: list[Task] = Field(default_factory=lambda: list(TASKS))
    decodes: int = Field(1, ge=1, le=100)

    @model_validator(mode="after")
    def _readable(self) -> WereAlignRecipe:
        try:
            self.data()
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        return self

    def data(self) -> tuple[list[Any], dict[str, Any]]:
        questions = Path(self.questions) if self.questions else FIXTURE_DIR / "WereBench.json"
        games = Path(self.games) if self.games else FIXTURE_DIR / "games"
        loaded = load_games(games)
        return (load_questions(questions) if "mcq" in self.tasks else []), loaded

    def keys(self) -> list[str]:
        """Every answer the run stores, one per (item, decode)."""
        questions, games = self.data()
        items: list[str] = []
        if "mcq" in self.tasks:
            items += [f"mcq:{q.key}" for q, _ in eligible_questions(questions, games)]
        for name, game in games.items():
            if "va" in self.tasks:
                items += [f"va:{name}:{c.vote}" for c in va_cases(game)]
            if "oi" in self.tasks and oi_case(game) is not None:
                items.append(f"oi:{name}")
        return [f"answer:{item}#{d}" for item in items for d in range(self.decodes)]

    def stored_units(self, run_dir: Path) -> int:
        return stored_meta(run_dir, self.keys())

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        store = _Store(self, out_dir)
        try:
            answers, failed = asyncio.run(self._answer_all(store, progress))
            summary = self.score(answers)
            text = werealign_text(summary)
            outcome = RunOutcome(self.name, self.kind, summary, text)
            store.write(outcome, failed)
        finally:
            store.close()
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    async def _answer_all(
        self, store: _Store, progress: ProgressHook | None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        questions, games = self.data()
        agent = self.llm.agent()
        keys = self.keys()
        answers: dict[str, Any] = {}
        for key in keys:
            found = store.get(key)
            if found is not None:
                answers[key] = found
        failed: dict[str, str] = {}
        if progress is not None:
            progress(len(answers), len(keys))
        jobs = []
        for d in range(self.decodes):
            if "mcq" in self.tasks:
                for q, _ in eligible_questions(questions, games):
                    prompt = mcq_prompt(q, games[Path(q.reference).name])
                    jobs.append(
                        (f"answer:mcq:{q.key}#{d}", [[{"role": "user", "content": prompt}]])
                    )
            for name, game in games.items():
                if "va" in self.tasks:
                    for c in va_cases(game):
                        msgs = [[{"role": "user", "content": c.prompt}]]
                        jobs.append((f"answer:va:{name}:{c.vote}#{d}", msgs))
                case = oi_case(game) if "oi" in self.tasks else None
                if case is not None:
                    jobs.append((f"answer:oi:{name}#{d}", [list(case.messages)]))

        async def one(key: str, conversation: list[list[dict[str, str]]], seed: int) -> None:
            try:
                with recording(key.removeprefix("answer:"), store.sink, ["model"]):
                    if key.startswith("answer:oi:"):
                        replies = await self._oi_chat(agent, games, key, seed)
                    else:
                        replies = [await agent.chat(conversation[0], seat=0, seed=seed)]
            except BackendError as err:
                if getattr(err, "stops_run", False):
                    raise
                failed[key] = str(err)
                return
            store.put(key, replies)
            answers[key] = replies
            if progress is not None:
                progress(len(answers), len(keys))

        try:
            await asyncio.gather(
                *(
                    one(key, conv, match_seed(self.seed, i))
                    for i, (key, conv) in enumerate(jobs)
                    if key not in answers
                )
            )
        finally:
            await close_clients([agent])
        return answers, failed

    async def _oi_chat(
        self, agent: LLMAgent, games: dict[str, Any], key: str, seed: int
    ) -> list[str]:
        name = key.removeprefix("answer:oi:").rsplit("#", 1)[0]
        case = oi_case(games[name])
        assert case is not None
        messages: list[dict[str, str]] = [dict(m) for m in case.messages]
        replies = []
        for seat, _ in case.seats:
            messages.append({"role": "user", "content": case.question(seat)})
            reply = await agent.chat(messages, seat=0, seed=seed)
            messages.append({"role": "assistant", "content": reply})
            replies.append(reply)
        return replies

    def score(self, answers: dict[str, Any]) -> dict[str, Any]:
        questions, games = self.data()
        out: dict[str, Any] = {"decodes": self.decodes, "tasks": list(self.tasks)}
        if "mcq" in self.tasks:
            triples = []
            for d in range(self.decodes):
                for q, role in eligible_questions(questions, games):
                    replies = answers.get(f"answer:mcq:{q.key}#{d}")
                    if replies is not None:
                        triples.append((q, role, parse_choice(replies[0])))
            out["mcq"] = mcq_scores(triples)
        va_hits: list[bool] = []
        oi_hits: list[bool] = []
        for d in range(self.decodes):
            for name, game in games.items():
                for c in va_cases(game) if "va" in self.tasks else []:
                    replies = answers.get(f"answer:va:{name}:{c.vote}#{d}")
                    if replies is not None:
                        va_hits.append(parse_vote(replies[0]) == c.answer)
                case = oi_case(game) if "oi" in self.tasks else None
                replies = answers.get(f"answer:oi:{name}#{d}") if case is not None else None
                if case is not None and replies is not None:
                    for (_, truth), reply in zip(case.seats, replies, strict=True):
                        oi_hits.append(parse_role(reply) == truth)
        if "va" in self.tasks:
            out["va"] = rate_with_interval(sum(va_hits), len(va_hits))
        if "oi" in self.tasks:
            out["oi"] = rate_with_interval(sum(oi_hits), len(oi_hits))
        return out

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, results = _read_results(run_dir)
        return write_werealign_report(run_dir, config, results)


def werealign_text(summary: dict[str, Any]) -> str:
    lines = [f"WereAlign ({summary['decodes']} decode(s) per item):"]
    mcq = summary.get("mcq")
    if mcq is not None:
        cats = ", ".join(
            f"{k} {v['accuracy']:.3f} ({v['correct']}/{v['answered']})"
            for k, v in mcq["categories"].items()
        )
        overall = mcq["overall"]
        lines.append(
            f"  multiple choice: {cats or 'no answered questions'}"
            + (f"; all {overall['accuracy']:.3f}" if overall else "")
        )
    for task in ("va", "oi"):
        if task in summary:
            lines.append(f"  {task.upper()}: {_rate(summary[task])}")
    return "\n".join(lines)
