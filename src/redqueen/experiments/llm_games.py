"""The LLM papers' protocols as recipe kinds, runnable against any OpenAI-compatible endpoint.

Three kinds, each a pydantic model (fields with ranges, checked before anything runs)
with ``run(out_dir)``:

- ``repeated_games_llm`` -- Akata et al., "Playing repeated games with large language
  models" (Nature Human Behaviour 2025; arXiv:2305.16867): 10-round prisoner's dilemma
  (payoffs 8/8, 0/10, 10/0, 5/5) and battle of the sexes (10/7, 7/10, 0/0) against simple
  scripted strategies, the LLM in either seat, the options labelled "Option J" and
  "Option F" with the label of each option drawn per match (so that no label means
  "cooperate"), and the "social chain-of-thought" variant in which the model first
  predicts the other player's move (:class:`~redqueen.agents.llm.beliefs.PredictFirstLLMAgent`).
- ``donor_cultural_evolution`` -- Vallinder & Hughes, "Cultural evolution of cooperation
  among LLM agents" (2024; arXiv:2412.10270): each generation, 12 LLM agents write a
  strategy in words, play the donor game with it in their system prompt (12 rounds,
  endowment 10, gifts doubled, trace depth 3; a costly punishment variant), the top half
  by final resources survive with their strategies and the rest are replaced by new
  agents that write a strategy after reading the survivors'; 10 generations.
- ``llm_vs_baselines`` -- an LLM against baselines, seat-balanced: tic_tac_toe against
  random and minimax, kuhn_poker against random and the CFR equilibrium, SPIRAL's
  negotiation against random and a passive player; win, draw, loss and invalid-move
  rates with 95% Wilson intervals.

Every recipe has ``llm`` with ``model``, ``base_url`` and ``api_key_env`` (the *name* of
the variable that holds the key), so the same file runs against OpenAI, vLLM, Ollama or
``redqueen serve-scripted`` (the scripted test server). Matches are played concurrently on
asyncio; each match's LLM calls go to the run's response cache and transcripts
(``llm_calls`` in ``run.sqlite``) inside :func:`~redqueen.agents.llm.context.recording`;
each finished match is stored at once, so a killed run resumes where it stopped, and a
finished one replays from the cache with no requests. A match whose backend fails is not
stored and is played again on the next run.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.llm.agent import LLMAgent
from redqueen.agents.llm.backends import BackendError
from redqueen.agents.llm.beliefs import (
    BeliefConsistency,
    BeliefRecord,
    PredictFirstLLMAgent,
    belief_consistency,
    prediction_counts,
)
from redqueen.agents.llm.context import CallSink, recording
from redqueen.agents.llm.personas import Persona
from redqueen.agents.registry import parse_agent
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.experiments.base import ProgressHook, RecipeBase, RecipeOutcome, existing_store
from redqueen.games.core import SIMULTANEOUS, Game
from redqueen.games.registry import make
from redqueen.games.repeated import RepeatedGame, repeated_game
from redqueen.measure.social import match_rate
from redqueen.measure.statistics import mean_ci, outcome, rate_with_interval
from redqueen.play.match import MatchResult, aplay_match
from redqueen.play.schedule import ScheduledMatch, match_seed
from redqueen.report.llm_games import (
    write_baselines_report,
    write_donor_cultural_report,
    write_repeated_games_report,
)
from redqueen.store.run_store import RunStore

# ---- the LLM of a recipe -----------------------------------------------------------------


class LLMConfig(BaseModel):
    """The model every LLM seat of a recipe uses, and how it is asked."""

    model_config = ConfigDict(extra="forbid")

    model: str = Field(min_length=1)
    base_url: str | None = None
    api_key_env: str | None = "OPENAI_API_KEY"
    answer_format: Literal["boxed", "tags", "json"] = "boxed"
    temperature: float = Field(0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(512, ge=1, le=1_000_000)
    reasks: int = Field(1, ge=0, le=100)
    on_invalid: Literal["forfeit", "random", "default"] = "random"
    max_concurrency: int = Field(8, ge=1, le=10_000)
    persona: Persona | None = None
    """Placed in the system prompt of every LLM seat (``Persona.render()``)."""
    params: dict[str, Any] = Field(default_factory=dict)
    """Any other ``LLMAgent`` parameter (timeout, max_retries, prices, ...)."""

    @model_validator(mode="after")
    def _buildable(self) -> LLMConfig:
        try:
            self.agent()
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        except TypeError as err:
            raise ValueError(f"llm.params: {err}") from None
        return self

    def agent(self, *, predict_first: bool = False, extra: str | None = None) -> LLMAgent:
        """An agent of this configuration; ``extra`` is added after the persona."""
        texts = [t for t in (self.persona.render() if self.persona else None, extra) if t]
        kwargs: dict[str, Any] = {
            "model": self.model,
            "base_url": self.base_url,
            "api_key_env": self.api_key_env,
            "answer_format": self.answer_format,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasks": self.reasks,
            "on_invalid": self.on_invalid,
            "max_concurrency": self.max_concurrency,
            "system_prompt_extra": "\n\n".join(texts) or None,
            **self.params,
        }
        if predict_first:
            return PredictFirstLLMAgent(**kwargs)
        return LLMAgent(**kwargs)


# ---- playing LLM matches concurrently, stored as they finish ------------------------------


@dataclass
class LLMJob:
    """One match to play: its key, game, agents by seat, and what it means."""

    key: str
    index: int
    game: Game
    agents: list[Agent]
    names: list[str]
    seed: int
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class JobResult:
    job_key: str
    info: dict[str, Any]
    result: MatchResult
    beliefs: list[BeliefRecord]


@dataclass
class RunOutcome:
    """What a recipe of these kinds returns (and writes to ``results.json``)."""

    name: str
    kind: str
    results: dict[str, Any]
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, **self.results}

    def summary_text(self) -> str:
        return self.text


class LLMRun:
    """The run directory (or memory): matches stored, LLM calls recorded."""

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

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
        if self.sink is not None:
            self.sink.close()  # type: ignore[attr-defined]

    def done(self) -> dict[str, JobResult]:
        if self.store is None:
            return {}
        out = {}
        for match, result in self.store.matches():
            extra = self.store.get_meta(f"job:{match.key}", {})
            beliefs = [BeliefRecord.from_dict(b) for b in extra.get("beliefs", [])]
            out[match.key] = JobResult(match.key, extra.get("info", {}), result, beliefs)
        return out

    def save(self, job: LLMJob, result: MatchResult, beliefs: list[BeliefRecord]) -> None:
        if self.store is None:
            return
        extra = {"info": job.info, "beliefs": [b.to_dict() for b in beliefs]}
        self.store.set_meta(f"job:{job.key}", extra)
        seats = tuple(range(len(job.agents)))
        self.store.record_match(ScheduledMatch(job.key, job.index, seats, job.seed), result)

    def write_results(self, outcome: RunOutcome) -> None:
        if self.out_dir is None:
            return
        path = Path(self.out_dir) / "results.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(outcome.to_dict(), indent=2, allow_nan=False, default=str))
        tmp.replace(path)


async def _play_jobs(
    run: LLMRun, jobs: Sequence[LLMJob], progress: ProgressHook | None, offset: int, total: int
) -> tuple[list[JobResult], dict[str, str]]:
    """Play ``jobs`` concurrently; store each as it finishes. Returns the results and the
    matches whose backend failed, with the cause (not stored: played again on the next
    run). An error that stops the run (``stops_run``: a refused key, a server that cannot
    be reached) is raised."""
    done: list[JobResult] = []
    failed: dict[str, str] = {}
    count = offset

    async def one(job: LLMJob) -> None:
        nonlocal count
        try:
            with recording(job.key, run.sink, job.names):
                result = await aplay_match(job.game, job.agents, job.seed)
        except BackendError as err:
            if getattr(err, "stops_run", False):
                raise
            failed[job.key] = str(err)
            return
        beliefs: list[BeliefRecord] = []
        for agent in {id(a): a for a in job.agents}.values():
            if isinstance(agent, PredictFirstLLMAgent):
                beliefs.extend(agent.pop_beliefs(job.key))
        run.save(job, result, beliefs)
        done.append(JobResult(job.key, job.info, result, beliefs))
        count += 1
        if progress is not None:
            progress(count, total)

    try:
        await asyncio.gather(*(one(j) for j in jobs))
    finally:
        await close_clients([a for j in jobs for a in j.agents])
    return done, failed


async def close_clients(agents: Sequence[Agent]) -> None:
    """Close the HTTP clients the LLM agents opened in this event loop, before
    ``asyncio.run`` closes it (else their sockets are closed by the garbage collector on
    a closed loop, with warnings)."""
    backends = {id(a.backend): a.backend for a in agents if isinstance(a, LLMAgent)}
    for backend in backends.values():
        close = getattr(backend, "aclose", None)
        if close is not None:
            await close()
            continue
        # until the backend has aclose(): its per-loop clients (redqueen.agents.llm.backends)
        clients = getattr(backend, "_clients", None)
        client = clients.pop(asyncio.get_running_loop(), None) if clients is not None else None
        if client is not None:
            await client.close()


def run_llm_jobs(
    run: LLMRun, jobs: Sequence[LLMJob], progress: ProgressHook | None
) -> tuple[list[JobResult], list[str]]:
    """Every job's result, the stored ones first read back, the rest played now; and the
    keys of the matches that failed (their causes are kept as ``failed_matches`` in the
    store, for the closing lines)."""
    stored = run.done()
    todo = [j for j in jobs if j.key not in stored]
    total = len(jobs)
    if progress is not None:
        progress(total - len(todo), total)
    played, failed = asyncio.run(_play_jobs(run, todo, progress, total - len(todo), total))
    if run.store is not None:
        run.store.set_meta("failed_matches", failed)
    by_key = {**stored, **{r.job_key: r for r in played}}
    return [by_key[j.key] for j in jobs if j.key in by_key], list(failed)


# ---- repeated games (Akata et al.) ----------------------------------------------------------

PAPER_PD = {"R": 8, "S": 0, "T": 10, "P": 5}
"""Akata et al.'s prisoner's dilemma: 8/8 both cooperate, 0/10 and 10/0, 5/5 both defect."""
PAPER_BOS = {"preferred": 10, "other": 7, "apart": 0}
"""Akata et al.'s battle of the sexes: 10/7 and 7/10 together, 0/0 apart."""
LABELS = ("Option J", "Option F")

OPPONENTS: dict[str, tuple[str, ...]] = {
    "prisoners_dilemma": (
        "always_cooperate",
        "always_defect",
        "alternate",
        "defect_once",
        "tit_for_tat",
        "grim_trigger",
    ),
    "battle_of_the_sexes": ("always_own", "always_other", "alternate"),
}
"""The scripted strategies of each game (the paper's, in its terms)."""


class PaperOpponent(Agent):
    """A scripted player of Akata et al.'s repeated games, in the game's own terms.

    Prisoner's dilemma (0 cooperate, 1 defect): ``always_cooperate``, ``always_defect``,
    ``alternate`` (cooperate, defect, ...), ``defect_once`` (defect in round 1, then
    cooperate), ``tit_for_tat`` (cooperate, then copy), ``grim_trigger`` (cooperate until
    the other defects once, then defect). Battle of the sexes (0: player 0's favourite,
    1: player 1's): ``always_own`` (its own favourite), ``always_other``, ``alternate``
    (own favourite first). ``flip`` says that the game's action ids are swapped against
    these meanings (the labels were drawn that way for this match)."""

    name = "paper_opponent"

    def __init__(self, strategy: str, flip: bool = False) -> None:
        known = sorted({s for group in OPPONENTS.values() for s in group})
        if strategy not in known:
            raise InvalidParameterError(f"unknown strategy {strategy!r}; allowed: {known}")
        self.strategy = strategy
        self.flip = bool(flip)

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"strategy": self.strategy, "flip": self.flip})

    def act(self, obs: Observation) -> int:
        key: Hashable = obs.information_state_key
        assert isinstance(key, tuple)
        rounds: tuple[tuple[int, int], ...] = key[1]
        me = obs.player
        theirs = [int(r[1 - me]) ^ self.flip for r in rounds]  # in the paper's terms
        k = len(rounds)
        s = self.strategy
        if s in ("always_cooperate",):
            move = 0
        elif s == "always_defect":
            move = 1
        elif s == "defect_once":
            move = 1 if k == 0 else 0
        elif s == "tit_for_tat":
            move = theirs[-1] if theirs else 0
        elif s == "grim_trigger":
            move = 1 if 1 in theirs else 0
        elif s == "always_own":
            move = me
        elif s == "always_other":
            move = 1 - me
        else:  # alternate: PD cooperate first; BoS own favourite first
            start = me if isinstance(obs.game, RepeatedGame) and _is_bos(obs.game) else 0
            move = start if k % 2 == 0 else 1 - start
        return move ^ self.flip


def _is_bos(game: RepeatedGame) -> bool:
    return game.stage.name == "battle of the sexes"


def paper_game(stage: str, rounds: int, flip: bool) -> RepeatedGame:
    """Akata et al.'s repeated game with the options labelled J and F; ``flip`` swaps
    which option (cooperate/defect, or the two concerts) each label names."""
    base = make(stage, **(PAPER_PD if stage == "prisoners_dilemma" else PAPER_BOS))
    a, b = base.payoff_rows(0), base.payoff_rows(1)  # type: ignore[attr-defined]
    if flip:
        a = tuple(tuple(r[::-1]) for r in a[::-1])
        b = tuple(tuple(r[::-1]) for r in b[::-1])
    name = "prisoner's dilemma" if stage == "prisoners_dilemma" else "battle of the sexes"
    return repeated_game(
        stage="matrix",
        stage_params={
            "payoffs": [[list(r) for r in a], [list(r) for r in b]],
            "row_actions": list(LABELS),
            "col_actions": list(LABELS),
            "name": name,
        },
        rounds=rounds,
    )


Stage = Literal["prisoners_dilemma", "battle_of_the_sexes"]
Variant = Literal["plain", "predict_first"]


class RepeatedGamesLLMRecipe(RecipeBase):
    """Akata et al.'s repeated-games protocol (see the module docstring)."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)

    kind: Literal["repeated_games_llm"] = "repeated_games_llm"
    llm: LLMConfig
    games: list[Stage] = Field(
        default_factory=lambda: list[Stage](["prisoners_dilemma", "battle_of_the_sexes"]),
        min_length=1,
    )
    rounds: int = Field(10, ge=1, le=1000)
    opponents: dict[str, list[str]] | None = None
    """Per game, the scripted strategies to meet (default: :data:`OPPONENTS`)."""
    matches_per_seat: int = Field(1, ge=1, le=10_000)
    """Matches per (game, opponent, variant) with the LLM in each seat."""
    variants: list[Variant] = Field(
        default_factory=lambda: list[Variant](["plain", "predict_first"]), min_length=1
    )
    randomise_labels: bool = True

    @model_validator(mode="after")
    def _known_opponents(self) -> RepeatedGamesLLMRecipe:
        for game, names in (self.opponents or {}).items():
            if game not in OPPONENTS:
                raise ValueError(f"opponents: unknown game {game!r}; allowed: {list(OPPONENTS)}")
            bad = [n for n in names if n not in OPPONENTS[game]]
            if bad or not names:
                raise ValueError(
                    f"opponents.{game}: {bad or 'empty'}; allowed: {list(OPPONENTS[game])}"
                )
        return self

    def jobs(self) -> list[LLMJob]:
        plain = self.llm.agent()
        predicting = self.llm.agent(predict_first=True)
        jobs: list[LLMJob] = []
        for g, stage in enumerate(self.games):
            names = (self.opponents or {}).get(stage, list(OPPONENTS[stage]))
            for o, opponent in enumerate(names):
                for v, variant in enumerate(self.variants):
                    llm = predicting if variant == "predict_first" else plain
                    for seat in (0, 1):
                        for k in range(self.matches_per_seat):
                            seed = match_seed(self.seed, g, o, v, seat, k)
                            flip = bool(seed & 1) if self.randomise_labels else False
                            other = PaperOpponent(opponent, flip)
                            agents: list[Agent] = [llm, other] if seat == 0 else [other, llm]
                            seat_names = ["llm", opponent] if seat == 0 else [opponent, "llm"]
                            jobs.append(
                                LLMJob(
                                    key=f"{stage}/{opponent}/{variant}/seat{seat}/{k}",
                                    index=len(jobs),
                                    game=paper_game(stage, self.rounds, flip),
                                    agents=agents,
                                    names=seat_names,
                                    seed=seed,
                                    info={
                                        "game": stage,
                                        "opponent": opponent,
                                        "variant": variant,
                                        "llm_seat": seat,
                                        "flip": flip,
                                    },
                                )
                            )
        return jobs

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        run = LLMRun(self, out_dir)
        try:
            jobs = self.jobs()
            results, failed = run_llm_jobs(run, jobs, progress)
            outcome = RunOutcome(self.name, self.kind, {}, "")
            outcome.results, outcome.text = summarise_repeated(results, self.rounds)
            outcome.results["failed_matches"] = failed
            outcome.results["matches"] = len(results)
            run.write_results(outcome)
        finally:
            run.close()
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, results = stored_results(run_dir)
        groups = summarise_repeated(results, int(config.get("rounds", 10)))[0]["groups"]
        return write_repeated_games_report(
            run_dir,
            config,
            groups,
            _points(results),
            round_rates(results),
            [r.job_key for r in results],
            stored_failures(run_dir),
        )


def summarise_repeated(results: Sequence[JobResult], rounds: int) -> tuple[dict[str, Any], str]:
    """Per (game, opponent, variant): the LLM's points per round, its cooperation rate
    (prisoner's dilemma) or the coordination rate (battle of the sexes), invalid moves,
    and for predict-first the belief consistency and prediction accuracy. The rates pool
    the rounds of several matches with the match as the unit
    (:func:`~redqueen.measure.social.match_rate`); prediction accuracy counts hits and
    scorable predictions directly."""
    groups: dict[tuple[str, str, str], list[JobResult]] = {}
    for r in results:
        key = (r.info["game"], r.info["opponent"], r.info["variant"])
        groups.setdefault(key, []).append(r)
    rows = []
    lines = []
    for (stage, opponent, variant), items in sorted(groups.items()):
        points: list[float] = []
        invalid = 0
        hits: list[int] = []  # per match: the LLM's hits among its decisions
        decisions: list[int] = []
        consistent = judged = unparsed = 0
        accuracy_hits: list[int] = []  # per match: true predictions among scorable ones
        accuracy_n: list[int] = []
        for item in items:
            seat, flip = item.info["llm_seat"], item.info["flip"]
            joint = [s.action for s in item.result.trajectory if s.player == SIMULTANEOUS]
            points.append(item.result.returns[seat] / max(1, len(joint)))
            invalid += item.result.invalid_moves[seat]
            match_hits = 0
            for a in joint:
                assert isinstance(a, tuple)
                if stage == "prisoners_dilemma":
                    match_hits += (a[seat] ^ flip) == 0
                else:
                    match_hits += a[0] == a[1]
            hits.append(match_hits)
            decisions.append(len(joint))
            mine = [b for b in item.beliefs if b.player == seat]
            c = belief_consistency(paper_game(stage, rounds, flip), mine)
            consistent, judged, unparsed = (
                consistent + c.consistent,
                judged + c.decisions,
                unparsed + c.unparsed,
            )
            right, scored = prediction_counts(mine, item.result.trajectory)
            accuracy_hits.append(right)
            accuracy_n.append(scored)
        measure = "cooperation" if stage == "prisoners_dilemma" else "coordination"
        row: dict[str, Any] = {
            "game": stage,
            "opponent": opponent,
            "variant": variant,
            "matches": len(items),
            "points_per_round": float(np.mean(points)) if points else None,
            measure: match_rate(hits, decisions),
            "invalid_moves": invalid,
        }
        if variant == "predict_first":
            consistency = BeliefConsistency(judged, consistent, unparsed)
            row["belief_consistency"] = consistency.to_dict()
            row["prediction_accuracy"] = match_rate(accuracy_hits, accuracy_n)
        rows.append(row)
        line = (
            f"  {stage} vs {opponent} [{variant}]: {row['points_per_round']:.2f} points/round, "
            f"{measure} {sum(hits)}/{sum(decisions)}"
        )
        if variant == "predict_first":
            line += f", beliefs consistent {consistency.consistent}/{consistency.decisions}"
        lines.append(line)
    return {"groups": rows}, "\n".join(["repeated games (Akata et al.):", *lines])


# ---- LLM against baselines -------------------------------------------------------------------


class BaselineGame(BaseModel):
    """One game of ``llm_vs_baselines`` and the opponents the LLM meets in it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    params: dict[str, Any] = Field(default_factory=dict)
    opponents: list[str] = Field(min_length=1)
    """Agent specs (``"random"``, ``"minimax:depth=9"``, ...) or ``"cfr"`` /
    ``"cfr:iterations=N"``: the average policy of CFR+ after N iterations (default
    2000), an approximate equilibrium of a small two-player zero-sum game."""

    @field_validator("opponents")
    @classmethod
    def _opponents(cls, value: list[str]) -> list[str]:
        for text in value:
            if text.split(":", 1)[0] == "cfr":
                _cfr_iterations(text)
            else:
                try:
                    parse_agent(text)
                except RedqueenError as err:
                    raise ValueError(str(err)) from None
        return value

    @model_validator(mode="after")
    def _buildable(self) -> BaselineGame:
        try:
            game = make(self.id, **self.params)
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        if game.num_players != 2:
            raise ValueError(f"{self.id} has {game.num_players} seats; llm_vs_baselines needs 2")
        return self


def _cfr_iterations(text: str) -> int:
    _, _, rest = text.partition(":")
    if not rest:
        return 2000
    key, _, value = rest.partition("=")
    if key.strip() != "iterations" or not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"{text!r}: the cfr opponent takes only iterations=N (N >= 1)")
    return int(value)


def _default_baselines() -> list[BaselineGame]:
    return [
        BaselineGame(id="tic_tac_toe", opponents=["random", "minimax"]),
        BaselineGame(id="kuhn_poker", opponents=["random", "cfr"]),
        BaselineGame(id="spiral_negotiation", opponents=["random", "first"]),
    ]


def _opponent(text: str, game: Game, cache: dict[str, Agent]) -> Agent:
    if text.split(":", 1)[0] != "cfr":
        return parse_agent(text)
    key = f"{game.id}|{text}"
    if key not in cache:
        from redqueen.solve import PolicyAgent, solve

        result = solve(game, "cfr+", _cfr_iterations(text))
        cache[key] = PolicyAgent(policy=result.average_policy)
    return cache[key]


class LLMVsBaselinesRecipe(RecipeBase):
    """An LLM against baselines, seat-balanced, with rates and 95% intervals."""

    kind: Literal["llm_vs_baselines"] = "llm_vs_baselines"
    llm: LLMConfig
    games: list[BaselineGame] = Field(default_factory=_default_baselines, min_length=1)
    matches_per_seat: int = Field(5, ge=1, le=100_000)
    """Matches per (game, opponent) with the LLM in each seat."""

    def jobs(self) -> list[LLMJob]:
        llm = self.llm.agent()
        solved: dict[str, Agent] = {}
        jobs: list[LLMJob] = []
        for g, spec in enumerate(self.games):
            game = make(spec.id, **spec.params)
            for o, text in enumerate(spec.opponents):
                other = _opponent(text, game, solved)
                for seat in (0, 1):
                    for k in range(self.matches_per_seat):
                        agents: list[Agent] = [llm, other] if seat == 0 else [other, llm]
                        jobs.append(
                            LLMJob(
                                key=f"{spec.id}/{text}/seat{seat}/{k}",
                                index=len(jobs),
                                game=game,
                                agents=agents,
                                names=["llm", text] if seat == 0 else [text, "llm"],
                                seed=match_seed(self.seed, g, o, seat, k),
                                info={"game": spec.id, "opponent": text, "llm_seat": seat},
                            )
                        )
        return jobs

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        run = LLMRun(self, out_dir)
        try:
            results, failed = run_llm_jobs(run, self.jobs(), progress)
            rows, text = summarise_baselines(results)
            outcome = RunOutcome(
                self.name,
                self.kind,
                {"groups": rows, "matches": len(results), "failed_matches": failed},
                text,
            )
            run.write_results(outcome)
        finally:
            run.close()
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, results = stored_results(run_dir)
        return write_baselines_report(
            run_dir,
            config,
            baseline_rows(results),
            [r.job_key for r in results],
            stored_failures(run_dir),
        )


def summarise_baselines(results: Sequence[JobResult]) -> tuple[list[dict[str, Any]], str]:
    """Per (game, opponent): the LLM's win, draw and loss rates, the rate of matches in
    which it made an invalid move, and invalid moves per decision."""
    groups: dict[tuple[str, str], list[JobResult]] = {}
    for r in results:
        groups.setdefault((r.info["game"], r.info["opponent"]), []).append(r)
    rows = []
    lines = ["LLM against baselines (win / draw / loss / invalid, 95% Wilson intervals):"]
    for (game, opponent), items in groups.items():
        counts = {"win": 0, "draw": 0, "loss": 0}
        invalid_matches = invalid_moves = decisions = 0
        for item in items:
            seat = item.info["llm_seat"]
            counts[outcome(item.result.returns, seat)] += 1
            invalid_moves += item.result.invalid_moves[seat]
            invalid_matches += item.result.invalid_moves[seat] > 0
            decisions += sum(1 for s in item.result.trajectory if s.player == seat)
        n = len(items)
        row = {
            "game": game,
            "opponent": opponent,
            "matches": n,
            "win": rate_with_interval(counts["win"], n),
            "draw": rate_with_interval(counts["draw"], n),
            "loss": rate_with_interval(counts["loss"], n),
            "invalid": rate_with_interval(invalid_matches, n),
            "invalid_moves_per_decision": invalid_moves / decisions if decisions else None,
        }
        rows.append(row)
        lines.append(
            f"  {game} vs {opponent}: {counts['win']}/{counts['draw']}/{counts['loss']} of {n}, "
            f"invalid in {invalid_matches}"
        )
    return rows, "\n".join(lines)


# ---- cultural evolution in the donor game (Vallinder & Hughes) -------------------------------

STRATEGY_REQUEST = (
    "Before the game starts, write your strategy for it: a short paragraph, in words, "
    "saying how much you will give and when, as an instruction to yourself. Do not "
    "include anything else."
)


def strategy_prompt(rules: str, survivors: Sequence[str], generation: int) -> str:
    """The request for a new agent's strategy: the rules, then (after the first
    generation) the strategies of the previous generation's survivors."""
    parts = [
        "You are about to play a game with other players. These are its rules.",
        rules.strip(),
        f"This is generation {generation + 1}.",
    ]
    if survivors:
        parts.append(
            "These are the strategies of the players who did best in the previous "
            "generation:\n" + "\n".join(f"- {s}" for s in survivors)
        )
        parts.append("Learn from them: keep what worked, and improve on it.")
    parts.append(STRATEGY_REQUEST)
    return "\n\n".join(parts)


def clean_strategy(reply: str, limit: int) -> str:
    """The strategy text kept from a reply: whitespace collapsed, at most ``limit``
    characters. The text is data: it is only ever shown to models, never run."""
    text = " ".join(reply.split())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


class DonorCulturalEvolutionRecipe(RecipeBase):
    """Vallinder & Hughes's cultural evolution of LLM donors (see the module docstring)."""

    kind: Literal["donor_cultural_evolution"] = "donor_cultural_evolution"
    llm: LLMConfig
    agents: int = Field(12, ge=2, le=1000)
    rounds: int = Field(12, ge=1, le=10_000)
    endowment: float = Field(10.0, gt=0)
    multiplier: float = Field(2.0, ge=0)
    trace_depth: int = Field(3, ge=0, le=1000)
    donation_levels: int = Field(11, ge=2, le=101)
    punishment: float = Field(0.0, ge=0)
    """0: no punishment; the paper's punishment variant spends 1 to remove 2 (``2.0``)."""
    survivors: float = Field(0.5, gt=0, lt=1)
    """The fraction of each generation that survives with its strategy."""
    generations: int = Field(10, ge=1, le=10_000)
    strategy_chars: int = Field(1000, ge=20, le=100_000)

    progress_unit: ClassVar[tuple[str, str]] = ("generation", "generations")

    def stored_units(self, run_dir: Path) -> int:
        """The finished generations ``run_dir`` holds."""
        with existing_store(run_dir) as store:
            if store is None:
                return 0
            keys = (f"generation/{g}" for g in range(self.generations))
            return sum(store.get_meta(key) is not None for key in keys)

    @model_validator(mode="after")
    def _game_builds(self) -> DonorCulturalEvolutionRecipe:
        try:
            self.game(0)
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        if self.survivor_count() < 1 or self.survivor_count() >= self.agents:
            raise ValueError(
                f"survivors={self.survivors} of {self.agents} agents keeps "
                f"{self.survivor_count()}; it must keep between 1 and {self.agents - 1}"
            )
        return self

    def survivor_count(self) -> int:
        return math.floor(self.survivors * self.agents + 1e-9)

    def game(self, generation: int) -> Game:
        return make(
            "donor_game",
            num_agents=self.agents,
            rounds=self.rounds,
            endowment=self.endowment,
            multiplier=self.multiplier,
            donation_levels=self.donation_levels,
            trace_depth=self.trace_depth,
            punishment=self.punishment,
            pairing_seed=match_seed(self.seed, 1, generation),
        )

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        run = LLMRun(self, out_dir)
        try:
            history = asyncio.run(self._evolve(run, progress))
        finally:
            run.close()
        lines = ["donor game, cultural evolution (Vallinder & Hughes):"]
        for g in history:
            lines.append(
                f"  generation {g['generation'] + 1}: mean final resources "
                f"{g['mean_resources']:.2f}, mean fraction given {g['mean_given']:.2f}"
            )
        outcome = RunOutcome(self.name, self.kind, {"generations": history}, "\n".join(lines))
        run.write_results(outcome)
        if out_dir is not None:
            self.write_report(out_dir)
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        config, history = stored_generations(run_dir)
        return write_donor_cultural_report(run_dir, config, history)

    async def _evolve(self, run: LLMRun, progress: ProgressHook | None) -> list[dict[str, Any]]:
        made: list[Agent] = []
        try:
            return await self._generations(run, progress, made)
        finally:
            await close_clients(made)

    async def _generations(
        self, run: LLMRun, progress: ProgressHook | None, made: list[Agent]
    ) -> list[dict[str, Any]]:
        writer = self.llm.agent()
        made.append(writer)
        history: list[dict[str, Any]] = []
        strategies: list[str] = []
        survivors: list[str] = []
        for gen in range(self.generations):
            key = f"generation/{gen}"
            stored = run.store.get_meta(key) if run.store is not None else None
            if stored is not None:
                history.append(stored)
                strategies, survivors = stored["strategies"], stored["survivor_strategies"]
                if progress is not None:
                    progress(gen + 1, self.generations)
                continue
            game = self.game(gen)
            rules = game.rules_text()
            keep = [strategies[i] for i in history[-1]["survivor_seats"]] if history else []
            new_needed = self.agents - len(keep)
            with recording(f"{key}/strategies", run.sink):
                replies = await asyncio.gather(
                    *(
                        writer.chat(
                            [{"role": "user", "content": strategy_prompt(rules, survivors, gen)}],
                            seed=match_seed(self.seed, 2, gen, k) % 2**31,
                        )
                        for k in range(new_needed)
                    )
                )
            strategies = keep + [clean_strategy(r, self.strategy_chars) for r in replies]
            players: list[Agent] = [
                self.llm.agent(extra=f"Your strategy for this game, which you wrote: {s}")
                for s in strategies
            ]
            made.extend(players)
            names = [f"agent{k}" for k in range(self.agents)]
            seed = match_seed(self.seed, 3, gen)
            try:
                with recording(key, run.sink, names):
                    result = await aplay_match(game, players, seed)
            except BackendError as err:
                if getattr(err, "stops_run", False):
                    raise
                raise RedqueenError(
                    f"generation {gen + 1} failed ({err}); run again to resume from it "
                    "(finished generations and cached replies are kept)"
                ) from None
            order = sorted(range(self.agents), key=lambda i: (-result.returns[i], i))
            top = sorted(order[: self.survivor_count()])
            given = _mean_given(result, self.donation_levels, self.agents)
            record = {
                "generation": gen,
                "strategies": strategies,
                "returns": list(result.returns),
                "mean_resources": float(np.mean(result.returns)),
                "mean_given": given,
                "survivor_seats": top,
                "survivor_strategies": [strategies[i] for i in top],
                "invalid_moves": sum(result.invalid_moves),
            }
            survivors = [strategies[i] for i in top]
            if run.store is not None:
                run.store.record_match(
                    ScheduledMatch(key, gen, tuple(range(self.agents)), seed), result
                )
                run.store.set_meta(key, record)
            history.append(record)
            if progress is not None:
                progress(gen + 1, self.generations)
        return history


def _mean_given(result: MatchResult, levels: int, agents: int) -> float:
    """The mean fraction donated over the donations (punishments left out)."""
    fractions = [
        int(s.action) / (levels - 1)
        for s in result.trajectory
        if 0 <= s.player < agents and isinstance(s.action, int) and s.action < levels
    ]
    return float(np.mean(fractions)) if fractions else 0.0


# ---- reading a run back for its report ------------------------------------------------------


def stored_failures(run_dir: str | Path) -> dict[str, str]:
    """The matches the last run could not play, with their causes (match key -> cause)."""
    with RunStore(run_dir) as store:
        failed = store.get_meta("failed_matches") or {}
    return {str(k): str(v) for k, v in dict(failed).items()}


def stored_results(run_dir: str | Path) -> tuple[dict[str, Any], list[JobResult]]:
    """The run's config and every stored match with its job info and beliefs, in
    schedule order (what the recipe's ``run`` summarises)."""
    with RunStore(run_dir) as store:
        config = store.config()
        results = []
        for match, result in store.matches():
            extra = store.get_meta(f"job:{match.key}", {})
            beliefs = [BeliefRecord.from_dict(b) for b in extra.get("beliefs", [])]
            results.append(JobResult(match.key, extra.get("info", {}), result, beliefs))
    return config, results


def round_rates(results: Sequence[JobResult]) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Per (game, opponent, variant) and round: the LLM's cooperation rate (prisoner's
    dilemma; option ids un-flipped) or the coordination rate (battle of the sexes), as
    rate dicts with 95% Wilson intervals (as :func:`rate_cell` shows them)."""
    counts: dict[tuple[str, str, str], list[list[int]]] = {}
    for r in results:
        key = (r.info["game"], r.info["opponent"], r.info["variant"])
        seat, flip = r.info["llm_seat"], r.info["flip"]
        joint = [s.action for s in r.result.trajectory if s.player == SIMULTANEOUS]
        per_round = counts.setdefault(key, [])
        for k, a in enumerate(joint):
            assert isinstance(a, tuple)
            while len(per_round) <= k:
                per_round.append([0, 0])
            if key[0] == "prisoners_dilemma":
                per_round[k][0] += (a[seat] ^ flip) == 0
            else:
                per_round[k][0] += a[0] == a[1]
            per_round[k][1] += 1
    return {
        key: [rate_with_interval(h, n) for h, n in rows] for key, rows in sorted(counts.items())
    }


def _points(results: Sequence[JobResult]) -> dict[tuple[str, str, str], tuple[Any, Any]]:
    """Per group: the mean points per round of the LLM and of its opponent, each a
    :class:`~redqueen.measure.statistics.MeanCI` over matches."""
    llm: dict[tuple[str, str, str], list[float]] = {}
    other: dict[tuple[str, str, str], list[float]] = {}
    for r in results:
        key = (r.info["game"], r.info["opponent"], r.info["variant"])
        seat = r.info["llm_seat"]
        rounds = max(1, sum(1 for s in r.result.trajectory if s.player == SIMULTANEOUS))
        llm.setdefault(key, []).append(r.result.returns[seat] / rounds)
        other.setdefault(key, []).append(r.result.returns[1 - seat] / rounds)
    return {k: (mean_ci(llm[k]), mean_ci(other[k])) for k in llm}


def baseline_rows(results: Sequence[JobResult]) -> list[dict[str, Any]]:
    """:func:`summarise_baselines`'s rows, each with the
    LLM's forfeit rate added (matches it forfeited, 95% Wilson interval)."""
    rows, _ = summarise_baselines(results)
    forfeits: dict[tuple[str, str], int] = {}
    for r in results:
        key = (r.info["game"], r.info["opponent"])
        seat = r.info["llm_seat"]
        lost = bool(r.result.forfeits and r.result.forfeits[seat])
        forfeits[key] = forfeits.get(key, 0) + lost
    for row in rows:
        row["forfeit"] = rate_with_interval(
            forfeits[(row["game"], row["opponent"])], row["matches"]
        )
    return rows


def stored_generations(run_dir: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The run's config and the records of its finished generations, in order."""
    with RunStore(run_dir) as store:
        config = store.config()
        history = []
        for g in range(int(config.get("generations", 0))):
            record = store.get_meta(f"generation/{g}")
            if record is None:
                break
            history.append(record)
    return config, history
