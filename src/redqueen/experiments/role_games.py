"""Evaluations of the role games: scripted players and API models, with the papers' metrics.

The recipe kind ``role_games`` plays the role games of :mod:`redqueen.games.roles` with
fixed line-ups of players and reports what each paper measures. For every listed game
(an id, its parameters and a label) and every listed line-up (one player per seat), it
plays ``matches`` matches, each with its own seed (``match_seed(seed, game, line-up,
k)``), through :func:`~redqueen.play.match.aplay_match`, so LLM players use their
retries, the run's response cache and its transcripts. A seat is an agent spec
(``"noisy_task_solver:error_step=0.2"``, ``{kind: ..., params: {...}}``, ``"llm:..."``),
``"llm"`` for the recipe's ``llm`` model, or, in ``preference_game``,
``"preference_policy:method=M,..."``: the mixed strategy a learner of
:mod:`redqueen.learn.sppo` reaches on each prompt's preference matrix (``von_neumann``:
the equilibrium itself; ``sppo_exact``, ``sppo_sampled``, ``spo``, ``dpo`` with their
config fields, and ``iterate=average`` or ``last``). ``llm_judge: true`` makes the
recipe's model the judge of a ``red_team`` or ``preference_text`` game.

Each match is stored as it finishes with a record of what decided it (the game is
replayed from the stored trajectory; a judge's replies come from the run's cache), so a
killed run resumes where it stopped and the report is rebuilt from the store. A match
whose LLM backend fails is not stored and is played on the next run. A line-up with an
adaptive scripted player (:class:`~redqueen.agents.roles.proposer_solver.EdgeProposer`,
which learns the solver's pass rate at each menu item from the finished matches) plays
its matches one after the other, in order, and on resumption is fed the stored ones
first, so a resumed run equals an uninterrupted one.

Metrics per (game, line-up); rates carry 95% Wilson intervals
(:func:`~redqueen.measure.statistics.rate_with_interval`), means 95% Student-t ones:

- ``proposer_solver`` (PasoDoble, MAE, SSP): the solver's pass rate over its attempts
  (attempts on one task are counted as independent, which a deterministic solver is
  not: the per-task mean with its t interval is given beside it); the share of tasks in
  PasoDoble's band ``0.2 < p < 1`` (the tasks its solver trains on); the mean proposer
  and solver rewards under the game's preset and, re-scored from the same attempts,
  under each preset; invalid and unreadable proposals, PasoDoble's anti-hack filter,
  unreadable answers; and per (family, difficulty) the pass rate.
- ``critic_game`` (SPC): :func:`~redqueen.measure.critic.critic_metrics` -- accuracy on
  correct and on erroneous steps, their mean and harmonic mean, the valid share (a match
  the critic forfeited has no valid verdict) and the accuracy by error type.
- ``red_team`` (Self-RedTeam): games with a missing label are ties and removed, as the
  paper does; on the rest, attack success (the share of harmful responses), the
  refusal rates on harmful and on benign seeds, the share of attacks whose harm label
  matches the seed's, the mean rewards; and the lexical diversity of the attacks sent,
  Self-BLEU (the paper's) and distinct-1/2, on the first ``diversity_texts`` of them.
- ``preference_game`` (SPPO, SPO): the mean payoff of each seat, and the NashConv
  ``2 (max_y P(y > pi) - 1/2)`` (:func:`~redqueen.learn.sppo.preference_nash_conv`) and
  exploitability (half of it) of each seat's empirical mixed strategy, per prompt and
  averaged over the prompts it played, beside the von Neumann winner.
- ``preference_text`` (SPPO, SPO, with written responses): the mean ``P`` of each seat
  (seat 0 is paid ``P``, seat 1 ``1 - P``) over the finished matches, as paid (a failed
  judge pays 1/2) and over the matches the judge decided; the judge failures; seat 0's
  wins, draws and losses (``P`` above, at, below 1/2; a failed judge's match is a draw);
  and which judges decided. Each match's record keeps the prompt, both responses, both
  verdicts as given (the probability, the reply, why it could not be read), ``P``,
  whether the judge failed and which judge it was.

Every group also has each seat's mean return, the share of matches in which each seat
made an invalid move and the share it forfeited. The report
(:mod:`redqueen.report.role_games`) shows them as tables with the method and ``n``
beside every interval.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
from collections import Counter
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.llm.agent import LLMAgent
from redqueen.agents.llm.backends import BackendError
from redqueen.agents.llm.context import CallSink, recording
from redqueen.agents.registry import make_agent, parse_agent
from redqueen.agents.roles.proposer_solver import EdgeProposer
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.experiments.base import AgentConfig, ProgressHook, RecipeBase, RecipeOutcome
from redqueen.experiments.llm_games import LLMConfig, RunOutcome, close_clients
from redqueen.games.core import Game, State
from redqueen.games.registry import make
from redqueen.games.roles.critic import (
    ERROR_TYPES,
    GENERATOR,
    CriticKey,
    CriticRecord,
    CriticState,
)
from redqueen.games.roles.preference import PreferenceGame, PreferenceState
from redqueen.games.roles.preference_text import PreferenceTextGame, PreferenceTextState
from redqueen.games.roles.proposer_solver import (
    PRESETS,
    VALID,
    MenuProposerSolverState,
    ProposerSolverGame,
    ProposerSolverState,
    score,
)
from redqueen.games.roles.red_team import RedTeamState, distinct_n, sentence_bleu
from redqueen.learn.sppo import (
    ExactSPPOConfig,
    PairwiseDPOConfig,
    SampledSPPOConfig,
    SPOConfig,
    pairwise_dpo,
    preference_nash_conv,
    spo,
    sppo_exact,
    sppo_sampled,
    von_neumann_winner,
)
from redqueen.measure.critic import critic_metrics
from redqueen.measure.statistics import finite_or_none, mean_ci, rate_with_interval
from redqueen.play.match import MatchResult, aplay_match, replay
from redqueen.play.schedule import ScheduledMatch, match_seed
from redqueen.report.role_games import write_role_games_report
from redqueen.store.llm_cache import CachedReply, LLMStore
from redqueen.store.run_store import DB_NAME, RunStore

ROLE_GAMES = ("proposer_solver", "critic_game", "red_team", "preference_game", "preference_text")
"""The games this kind evaluates."""

LLM_JUDGED = ("red_team", "preference_text")
"""The games whose judge the recipe's ``llm`` model can be (``llm_judge: true``)."""

LLM_SEAT = "llm"
"""A seat written as exactly this is played by the recipe's ``llm`` model."""

PREFERENCE_POLICY = "preference_policy"
PREFERENCE_METHODS = ("von_neumann", "sppo_exact", "sppo_sampled", "spo", "dpo")
"""The learners whose mixed strategy a ``preference_policy`` seat plays."""
_LEARNER_CONFIGS: dict[str, Any] = {
    "sppo_exact": ExactSPPOConfig,
    "sppo_sampled": SampledSPPOConfig,
    "spo": SPOConfig,
    "dpo": PairwiseDPOConfig,
}

MAX_TEXT_STORED = 2000
"""Tasks, prompts and responses are stored cut to this many characters."""


# ---- seats ------------------------------------------------------------------------------------


def _spec_params(text: str) -> dict[str, Any]:
    """``"a=1,b=x"`` as a dict; values read as JSON scalars, else kept as strings."""
    params: dict[str, Any] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise InvalidParameterError(f"seat parameter {item!r} is not key=value")
        try:
            value = json.loads(raw.strip())
        except json.JSONDecodeError:
            value = raw.strip()
        params[key.strip()] = value if isinstance(value, int | float | bool | str) else raw.strip()
    return params


def preference_policy_params(text: str) -> dict[str, Any]:
    """The parameters of a ``preference_policy:method=M,...`` seat, checked: ``method``
    (one of :data:`PREFERENCE_METHODS`), ``iterate`` (``average``, the default, or
    ``last``) and the learner's config fields."""
    kind, _, rest = text.partition(":")
    if kind.strip() != PREFERENCE_POLICY:
        raise InvalidParameterError(f"{text!r} is not a {PREFERENCE_POLICY} seat")
    params = _spec_params(rest)
    method = params.pop("method", None)
    if method not in PREFERENCE_METHODS:
        raise UnknownNameError(f"{PREFERENCE_POLICY} method", str(method), PREFERENCE_METHODS)
    iterate = params.pop("iterate", "average")
    if iterate not in ("average", "last"):
        raise UnknownNameError(f"{PREFERENCE_POLICY} iterate", str(iterate), ("average", "last"))
    if method == "von_neumann":
        if params:
            raise InvalidParameterError(
                f"{PREFERENCE_POLICY}:method=von_neumann takes no parameters; got {sorted(params)}"
            )
    else:
        try:
            _LEARNER_CONFIGS[method](**params)
        except TypeError:
            fields = [f.name for f in dataclasses.fields(_LEARNER_CONFIGS[method])]
            raise UnknownNameError(
                f"parameter of {PREFERENCE_POLICY}:method={method}", ",".join(params), fields
            ) from None
    return {"method": method, "iterate": iterate, **params}


def preference_strategies(game: PreferenceGame, params: Mapping[str, Any]) -> list[np.ndarray]:
    """Per prompt, the mixed strategy a ``preference_policy`` seat plays."""
    method = params["method"]
    config = {k: v for k, v in params.items() if k not in ("method", "iterate")}
    out: list[np.ndarray] = []
    for prompt in range(game.num_prompts):
        if method == "von_neumann":
            pi = np.clip(von_neumann_winner(game, prompt), 0.0, None)
        else:
            learner: Any = {
                "sppo_exact": sppo_exact,
                "sppo_sampled": sppo_sampled,
                "spo": spo,
                "dpo": pairwise_dpo,
            }[method]
            run = learner(game, _LEARNER_CONFIGS[method](**config), prompt=prompt)
            pi = run.last if params["iterate"] == "last" else run.average
        out.append(np.asarray(pi / pi.sum(), dtype=np.float64))
    return out


class MixedStrategyAgent(Agent):
    """Plays a fixed mixed strategy per prompt of ``preference_game`` (a
    ``preference_policy`` seat), sampling with the observation's Generator."""

    name = PREFERENCE_POLICY

    def __init__(self, strategies: Sequence[np.ndarray], params: Mapping[str, Any]) -> None:
        self.strategies = [np.asarray(s, dtype=np.float64) for s in strategies]
        self.params = dict(params)

    def check_game(self, game: Game) -> None:
        if not isinstance(game, PreferenceGame):
            raise RedqueenError(f"a {PREFERENCE_POLICY} seat plays preference_game; got {game.id}")

    def act(self, obs: Observation) -> int:
        key = obs.information_state_key
        assert isinstance(key, tuple) and key
        pi = self.strategies[int(key[0])]
        cdf = np.cumsum(pi)
        i = int(np.searchsorted(cdf, obs.rng.random() * cdf[-1], side="right"))
        return obs.legal_actions[min(i, len(obs.legal_actions) - 1)]

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, dict(self.params))


Seat = str | AgentConfig


def seat_label(seat: Seat) -> str:
    """How a seat is named in keys, tables and transcripts."""
    if isinstance(seat, str):
        return seat
    if seat.name:
        return seat.name
    return AgentSpec(seat.kind, dict(seat.params)).label()


def _check_seat_text(text: str) -> None:
    if text == LLM_SEAT:
        return
    if text.partition(":")[0].strip() == "human":
        raise InvalidParameterError("a recipe cannot seat a human agent; use `redqueen play`")
    if text.partition(":")[0].strip() == PREFERENCE_POLICY:
        preference_policy_params(text)
        return
    parse_agent(text)


class Lineup(BaseModel):
    """One player per seat, in seat order; a plain list of seats reads as one."""

    model_config = ConfigDict(extra="forbid")

    seats: list[Seat] = Field(min_length=1)
    label: str | None = Field(None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _from_list(cls, data: Any) -> Any:
        return {"seats": data} if isinstance(data, list) else data

    @field_validator("seats")
    @classmethod
    def _seats(cls, value: list[Seat]) -> list[Seat]:
        for seat in value:
            if isinstance(seat, str):
                try:
                    _check_seat_text(seat)
                except RedqueenError as err:
                    raise ValueError(str(err)) from None
        return value

    def name(self) -> str:
        return self.label or " vs ".join(seat_label(s) for s in self.seats)


class RoleGameConfig(BaseModel):
    """One role game of the recipe: its id, parameters, label and line-ups."""

    model_config = ConfigDict(extra="forbid")

    id: Literal["proposer_solver", "critic_game", "red_team", "preference_game", "preference_text"]
    params: dict[str, Any] = Field(default_factory=dict)
    label: str | None = Field(None, min_length=1)
    lineups: list[Lineup] = Field(min_length=1)
    llm_judge: bool = False
    """``red_team`` and ``preference_text`` only: the recipe's ``llm`` model is the judge
    (WildGuard's questions; the probability that one response is the better one)."""

    @model_validator(mode="after")
    def _buildable(self) -> RoleGameConfig:
        if self.llm_judge:
            if self.id not in LLM_JUDGED:
                raise ValueError(
                    f"llm_judge applies to {' and '.join(LLM_JUDGED)} only; this game is {self.id}"
                )
            if "judge" in self.params:
                raise ValueError("give either params.judge or llm_judge: true, not both")
        try:
            game = make(self.id, **self.params)
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        names = [lineup.name() for lineup in self.lineups]
        for lineup in self.lineups:
            if len(lineup.seats) != game.num_players:
                raise ValueError(
                    f"line-up {lineup.name()!r} has {len(lineup.seats)} seats; {self.id} has "
                    f"{game.num_players}"
                )
            for seat in lineup.seats:
                policy = isinstance(seat, str) and seat.startswith(PREFERENCE_POLICY + ":")
                if policy and self.id != "preference_game":
                    raise ValueError(f"{PREFERENCE_POLICY} seats play preference_game only")
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"line-ups named twice in {self.name()}: {repeated}; give each a label"
            )
        return self

    def name(self) -> str:
        return self.label or self.id


# ---- what is recorded of each match, per game ---------------------------------------------


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT_STORED else text[:MAX_TEXT_STORED] + "..."


def _proposer_solver_record(game: ProposerSolverGame, state: ProposerSolverState) -> dict[str, Any]:
    if not state.is_terminal():
        return {"finished": False}
    o = state.outcome()
    if isinstance(state, MenuProposerSolverState):
        inst = state.instance()
        difficulty: int | None = None if inst is None else inst.difficulty
    elif o.status == VALID:
        difficulty = game.family(o.family).operations(o.task)
    else:
        difficulty = None
    by_preset = {}
    for preset in PRESETS:
        proposer, solver = score(
            preset,
            o.status,
            o.attempts,
            filtered=o.filtered,
            diversity=o.diversity,
            ssp_reward_type=game.ssp_reward_type if preset == "ssp" else "1-acc",
        )
        by_preset[preset] = [proposer, math.fsum(solver) / len(solver) if solver else None]
    rewards = o.solver_rewards
    return {
        "finished": True,
        "status": o.status,
        "family": o.family,
        "difficulty": difficulty,
        "task": _cut(o.task),
        "attempts": len(o.attempts),
        "right": sum(a.correct for a in o.attempts),
        "unreadable_answers": sum(not a.well_formed for a in o.attempts),
        "pass_rate": o.pass_rate,
        "filtered": o.filtered,
        "proposer_reward": o.proposer_reward,
        "solver_reward": math.fsum(rewards) / len(rewards) if rewards else None,
        "in_band": o.solver_trainable,
        "by_preset": by_preset,
    }


def _critic_record(state: CriticState) -> dict[str, Any]:
    if state.is_terminal():
        r = state.record()
        return {
            "finished": True,
            "erroneous": r.erroneous,
            "right": r.right,
            "error_type": r.error_type,
            "step": r.step,
        }
    key = state.information_state_key(GENERATOR)
    assert isinstance(key, CriticKey)
    if key.error is None:
        return {"finished": False}
    return {
        "finished": False,
        "erroneous": key.error != 0,
        "right": None,
        "error_type": ERROR_TYPES[key.error - 1] if key.error else None,
        "step": key.step,
    }


def _red_team_record(state: RedTeamState) -> dict[str, Any]:
    o = state.outcome()
    if o is None:
        return {"finished": False}
    attacker, defender = o.rewards.totals()
    return {
        "finished": True,
        "seed": o.seed,
        "seed_harmful": o.seed_harmful,
        "prompt": _cut(o.prompt),
        "response": _cut(o.response),
        "prompt_harmful": o.labels.prompt_harmful,
        "response_refusal": o.labels.response_refusal,
        "response_harmful": o.labels.response_harmful,
        "removed": o.removed,
        "judge": o.judge,
        "attacker": attacker,
        "defender": defender,
    }


def _preference_record(state: PreferenceState) -> dict[str, Any]:
    joint = state.joint_action()
    if joint is None:
        return {"finished": False, "prompt": state.prompt}
    return {"finished": True, "prompt": state.prompt, "joint": list(joint)}


def _preference_text_record(game: PreferenceTextGame, state: PreferenceTextState) -> dict[str, Any]:
    o = state.outcome()
    if o is None:
        return {"finished": False, "prompt": state.prompt}
    return {
        "finished": True,
        "prompt": o.prompt,
        "prompt_text": _cut(game.prompts[o.prompt]),
        "responses": [_cut(r) for r in o.responses],
        "verdicts": [
            {"probability": p, "reply": _cut(v.reply), "problem": v.problem}
            for p, v in zip(o.raw, o.verdicts, strict=True)
        ],
        "preference": o.preference,
        "judge_failed": o.judge_failed,
        "judge": o.judge,
    }


def match_record(game: Game, state: State) -> dict[str, Any]:
    """What decided one match of a role game, as a JSON-ready dict, from the state its
    trajectory reaches (``finished`` False for a match that a seat forfeited)."""
    if isinstance(state, ProposerSolverState):
        assert isinstance(game, ProposerSolverGame)
        return _proposer_solver_record(game, state)
    if isinstance(state, CriticState):
        return _critic_record(state)
    if isinstance(state, RedTeamState):
        return _red_team_record(state)
    if isinstance(state, PreferenceState):
        return _preference_record(state)
    if isinstance(state, PreferenceTextState):
        assert isinstance(game, PreferenceTextGame)
        return _preference_text_record(game, state)
    raise UnknownNameError("role game", game.id, ROLE_GAMES)


# ---- summaries ----------------------------------------------------------------------------


def mean_interval(values: Sequence[float]) -> dict[str, Any]:
    """The mean with its 95% Student-t interval, JSON-ready (None where undefined)."""
    ci = mean_ci(list(values))
    return {
        "mean": finite_or_none(ci.mean),
        "low": finite_or_none(ci.low),
        "high": finite_or_none(ci.high),
        "n": ci.n,
    }


def _proposer_solver_metrics(
    game: ProposerSolverGame, records: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    done = [r for r in records if r["finished"]]
    valid = [r for r in done if r["status"] == VALID]
    right = sum(r["right"] for r in valid)
    attempts = sum(r["attempts"] for r in valid)
    by_task: dict[tuple[str, int | None], list[int]] = {}
    for r in valid:
        counts = by_task.setdefault((r["family"], r["difficulty"]), [0, 0, 0, 0])
        counts[0] += 1
        counts[1] += r["right"]
        counts[2] += r["attempts"]
        counts[3] += bool(r["in_band"])
    order = {name: i for i, name in enumerate(game.family_names)}
    tasks = [
        {
            "family": family,
            "difficulty": difficulty,
            "matches": n,
            "pass_rate": rate_with_interval(r, a),
            "in_band": rate_with_interval(b, n),
        }
        for (family, difficulty), (n, r, a, b) in sorted(
            by_task.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0][1] or 0)
        )
    ]
    return {
        "preset": game.preset,
        "pass_rate": rate_with_interval(right, attempts),
        "pass_rate_per_task": mean_interval([r["pass_rate"] for r in valid]),
        "in_band": rate_with_interval(sum(bool(r["in_band"]) for r in done), len(done)),
        "proposer_reward": mean_interval([r["proposer_reward"] for r in done]),
        "solver_reward": mean_interval(
            [r["solver_reward"] for r in done if r["solver_reward"] is not None]
        ),
        "by_preset": {
            preset: {
                "proposer_reward": mean_interval([r["by_preset"][preset][0] for r in done]),
                "solver_reward": mean_interval(
                    [
                        r["by_preset"][preset][1]
                        for r in done
                        if r["by_preset"][preset][1] is not None
                    ]
                ),
            }
            for preset in PRESETS
        },
        "invalid_proposals": rate_with_interval(len(done) - len(valid), len(done)),
        "unreadable_proposals": rate_with_interval(
            sum(r["status"] == "unreadable" for r in done), len(done)
        ),
        "filtered": rate_with_interval(sum(r["filtered"] is not None for r in valid), len(valid)),
        "unreadable_answers": rate_with_interval(
            sum(r["unreadable_answers"] for r in valid), attempts
        ),
        "by_task": tasks,
    }


def _critic_metrics(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    judged = [
        CriticRecord(r["erroneous"], r["right"], r["error_type"], r["step"])
        for r in records
        if "erroneous" in r
    ]
    metrics = critic_metrics(judged).to_dict()
    metrics["steps_as_written"] = rate_with_interval(
        sum(not r.erroneous for r in judged), len(judged)
    )
    return metrics


def attack_self_bleu(texts: Sequence[str]) -> float:
    """Self-BLEU of ``texts`` (:func:`~redqueen.games.roles.red_team.self_bleu`), computed
    once per distinct text. Exact: a text's BLEU depends only on the set of distinct
    texts among the others (sacrebleu clips n-gram counts by their maximum over the
    references and takes the closest reference length), so copies of a text score alike,
    and a text that has a copy scores against a set that includes itself."""
    if len(texts) <= 1:
        return 0.0
    counts = Counter(texts)
    distinct = list(counts)
    total = 0.0
    for text, count in counts.items():
        others = [t for t in distinct if t != text or count > 1]
        total += count * sentence_bleu(text, others)
    return total / len(texts)


def _red_team_metrics(records: Sequence[Mapping[str, Any]], diversity_texts: int) -> dict[str, Any]:
    done = [r for r in records if r["finished"]]
    kept = [r for r in done if not r["removed"]]
    harmful = [r for r in kept if r["seed_harmful"]]
    benign = [r for r in kept if not r["seed_harmful"]]
    attacks = [r["prompt"] for r in kept][:diversity_texts]
    return {
        "removed": rate_with_interval(len(done) - len(kept), len(done)),
        "attack_success": rate_with_interval(
            sum(bool(r["response_harmful"]) for r in kept), len(kept)
        ),
        "refusal_harmful_seeds": rate_with_interval(
            sum(bool(r["response_refusal"]) for r in harmful), len(harmful)
        ),
        "refusal_benign_seeds": rate_with_interval(
            sum(bool(r["response_refusal"]) for r in benign), len(benign)
        ),
        "faithful_attacks": rate_with_interval(
            sum(r["prompt_harmful"] == r["seed_harmful"] for r in kept), len(kept)
        ),
        "attacker_reward": mean_interval([r["attacker"] for r in kept]),
        "defender_reward": mean_interval([r["defender"] for r in kept]),
        "judges": sorted({str(r["judge"]) for r in done}),
        "attack_diversity": {
            "texts": len(attacks),
            "self_bleu": attack_self_bleu(attacks),
            "distinct_1": distinct_n(attacks, 1),
            "distinct_2": distinct_n(attacks, 2),
        },
    }


def _preference_metrics(
    game: PreferenceGame, records: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    done = [r for r in records if r["finished"]]
    k, m = game.num_prompts, game.num_responses
    counts = np.zeros((2, k, m))
    for r in done:
        i, j = r["joint"]
        counts[0, r["prompt"], i] += 1
        counts[1, r["prompt"], j] += 1
    seats = []
    for seat in range(2):
        per_prompt: list[dict[str, Any]] = []
        for prompt in range(k):
            n = int(counts[seat, prompt].sum())
            if n == 0:
                per_prompt.append({"prompt": prompt, "n": 0, "strategy": None, "nash_conv": None})
                continue
            pi = counts[seat, prompt] / n
            nash_conv = preference_nash_conv(game.preference(prompt), pi)
            per_prompt.append(
                {
                    "prompt": prompt,
                    "n": n,
                    "strategy": pi.tolist(),
                    "nash_conv": nash_conv,
                    "exploitability": nash_conv / 2,
                }
            )
        played = [p["nash_conv"] for p in per_prompt if p["nash_conv"] is not None]
        mean_nc = math.fsum(played) / len(played) if played else None
        seats.append(
            {
                "nash_conv": mean_nc,
                "exploitability": None if mean_nc is None else mean_nc / 2,
                "prompts_played": len(played),
                "per_prompt": per_prompt,
            }
        )
    payoff = mean_interval(
        [game.preference(r["prompt"])[r["joint"][0], r["joint"][1]] for r in done]
    )
    return {
        "payoff": payoff,
        "seats": seats,
        "von_neumann_winner": [
            np.clip(von_neumann_winner(game, p), 0.0, None).tolist() for p in range(k)
        ],
        "responses": game.action_names(),
    }


def _preference_text_metrics(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    done = [r for r in records if r["finished"]]
    paid = [float(r["preference"]) for r in done]
    judged = [float(r["preference"]) for r in done if not r["judge_failed"]]
    n = len(done)
    return {
        "preference": [mean_interval(paid), mean_interval([1.0 - p for p in paid])],
        "preference_judged": [mean_interval(judged), mean_interval([1.0 - p for p in judged])],
        "judge_failures": rate_with_interval(n - len(judged), n),
        "seat0_wins": rate_with_interval(sum(p > 0.5 for p in paid), n),
        "seat0_draws": rate_with_interval(sum(p == 0.5 for p in paid), n),
        "seat0_losses": rate_with_interval(sum(p < 0.5 for p in paid), n),
        "judges": sorted({str(r["judge"]) for r in done}),
    }


def summarise_group(
    game: Game,
    records: Sequence[Mapping[str, Any]],
    results: Sequence[MatchResult],
    *,
    diversity_texts: int = 100,
) -> dict[str, Any]:
    """The metrics of one (game, line-up) from its matches' records and results (see the
    module docstring); without the group's names (:meth:`RoleGamesRecipe` adds them)."""
    n = len(results)
    seats = range(game.num_players)
    row: dict[str, Any] = {
        "game_id": game.id,
        "matches": n,
        "finished": sum(bool(r["finished"]) for r in records),
        "returns": [mean_interval([res.returns[s] for res in results]) for s in seats],
        "invalid": [
            rate_with_interval(sum(res.invalid_moves[s] > 0 for res in results), n) for s in seats
        ],
        "forfeits": [
            rate_with_interval(sum(bool(res.forfeits and res.forfeits[s]) for res in results), n)
            for s in seats
        ],
    }
    if isinstance(game, ProposerSolverGame):
        row["metrics"] = _proposer_solver_metrics(game, records)
    elif isinstance(game, PreferenceGame):
        row["metrics"] = _preference_metrics(game, records)
    elif isinstance(game, PreferenceTextGame):
        row["metrics"] = _preference_text_metrics(records)
    elif game.id == "critic_game":
        row["metrics"] = _critic_metrics(records)
    elif game.id == "red_team":
        row["metrics"] = _red_team_metrics(records, diversity_texts)
    else:
        raise UnknownNameError("role game", game.id, ROLE_GAMES)
    return row


def summary_line(row: Mapping[str, Any]) -> str:
    """One line of the terminal summary for a group row."""
    m = row["metrics"]
    head = f"  {row['game']} / {row['lineup']} ({row['matches']} matches): "

    def rate(r: Mapping[str, Any]) -> str:
        return "–" if r["rate"] is None else f"{r['rate']:.3f} ({r['count']}/{r['n']})"

    def mean(x: Mapping[str, Any]) -> str:
        return "–" if x["mean"] is None else f"{x['mean']:.3f}"

    if row["game_id"] == "proposer_solver":
        return head + (
            f"pass rate {rate(m['pass_rate'])}, in band {rate(m['in_band'])}, proposer "
            f"reward {mean(m['proposer_reward'])}, invalid proposals {rate(m['invalid_proposals'])}"
        )
    if row["game_id"] == "critic_game":
        harmonic = m["harmonic_mean"]
        return head + (
            f"accuracy on correct steps {rate(m['correct_steps'])}, on erroneous steps "
            f"{rate(m['erroneous_steps'])}, harmonic mean "
            f"{'–' if harmonic is None else f'{harmonic:.3f}'}"
        )
    if row["game_id"] == "red_team":
        return head + (
            f"attack success {rate(m['attack_success'])}, refusals on harmful seeds "
            f"{rate(m['refusal_harmful_seeds'])}, on benign seeds "
            f"{rate(m['refusal_benign_seeds'])}, removed {rate(m['removed'])}"
        )
    if row["game_id"] == "preference_text":
        p0, p1 = m["preference"]
        return head + (
            f"mean P seat 0 {mean(p0)}, seat 1 {mean(p1)}; seat 0 wins "
            f"{rate(m['seat0_wins'])}, draws {rate(m['seat0_draws'])}, losses "
            f"{rate(m['seat0_losses'])}; judge failures {rate(m['judge_failures'])}"
        )
    nash = [s["nash_conv"] for s in m["seats"]]
    return head + (
        f"seat 0 payoff {mean(m['payoff'])}, NashConv of the seats' strategies "
        + ", ".join("–" if x is None else f"{x:.3f}" for x in nash)
    )


# ---- the run: matches stored as they finish --------------------------------------------------


class _MemoryCache:
    """The response cache of a run held in memory (no transcripts)."""

    def __init__(self) -> None:
        self._replies: dict[str, CachedReply] = {}

    def get(self, key: str) -> CachedReply | None:
        return self._replies.get(key)

    def put(self, key: str, model: str, reply: str, input_tokens: int, output_tokens: int) -> None:
        self._replies.setdefault(key, CachedReply(reply, input_tokens, output_tokens))

    def record_call(self, record: Any) -> None:
        return None

    def supersede(self, match_key: str) -> None:
        return None


class _CacheOnly:
    """A sink that answers from a run's cache but records no transcript: replaying a
    match (to read how it ended) asks a judge again, and must find its replies there."""

    def __init__(self, sink: CallSink) -> None:
        self._sink = sink

    def get(self, key: str) -> Any:
        return self._sink.get(key)

    def put(self, key: str, model: str, reply: str, input_tokens: int, output_tokens: int) -> None:
        self._sink.put(key, model, reply, input_tokens, output_tokens)

    def record_call(self, record: Any) -> None:
        return None

    def supersede(self, match_key: str) -> None:
        return None


@dataclass
class _Group:
    """One (game, line-up): its agents and its matches."""

    index: int
    game_label: str
    lineup_label: str
    seat_labels: list[str]
    game: Game
    agents: list[Agent]
    keys: list[str]
    seeds: list[int]

    @property
    def adaptive(self) -> bool:
        return any(isinstance(a, EdgeProposer) for a in self.agents)


@dataclass
class _Played:
    record: dict[str, Any]
    result: MatchResult


def feed_back(agents: Sequence[Agent], record: Mapping[str, Any]) -> None:
    """Tell the adaptive scripted players of a line-up how a finished match went (an
    :class:`EdgeProposer` learns the pass rate of the menu item it was played at)."""
    if not record.get("finished") or record.get("status") != VALID:
        return
    for agent in agents:
        if isinstance(agent, EdgeProposer) and record.get("difficulty") is not None:
            agent.record(record["family"], int(record["difficulty"]), float(record["pass_rate"]))


class LLMRun:
    """The run directory (or memory): matches stored as they finish, LLM calls cached and
    recorded."""

    def __init__(self, recipe: RecipeBase, out_dir: Path | None) -> None:
        self.out_dir = out_dir
        self.store: RunStore | None = None
        self.sink: CallSink
        if out_dir is not None:
            self.store = RunStore(out_dir)
            self.store.bind_config(
                recipe.model_dump(mode="json"), ignore=type(recipe).resumable_changes
            )
            self.sink = LLMStore(Path(out_dir) / DB_NAME)
        else:
            self.sink = _MemoryCache()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.sink.close()  # type: ignore[attr-defined]

    def stored(self) -> dict[str, _Played]:
        return stored_matches(self.store) if self.store is not None else {}

    def save(self, key: str, index: int, seed: int, info: dict[str, Any], played: _Played) -> None:
        if self.store is None:
            return
        self.store.set_meta(f"job:{key}", {"info": info, "record": played.record})
        seats = tuple(range(len(played.result.returns)))
        self.store.record_match(ScheduledMatch(key, index, seats, seed), played.result)

    def write_results(self, outcome: RunOutcome) -> None:
        if self.out_dir is None:
            return
        path = Path(self.out_dir) / "results.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(outcome.to_dict(), indent=2, allow_nan=False, default=str))
        tmp.replace(path)


def stored_matches(store: RunStore) -> dict[str, _Played]:
    """Every stored match of a ``role_games`` run by key: its record and result."""
    out = {}
    for match, result in store.matches():
        extra = store.get_meta(f"job:{match.key}", {})
        out[match.key] = _Played(extra.get("record", {"finished": False}), result)
    return out


# ---- the recipe kind ----------------------------------------------------------------------------


class RoleGamesRecipe(RecipeBase):
    """Role games played by fixed line-ups, with the papers' metrics (see the module)."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)

    kind: Literal["role_games"] = "role_games"
    llm: LLMConfig | None = None
    """The model of every ``llm`` seat (and of ``llm_judge``)."""
    games: list[RoleGameConfig] = Field(min_length=1)
    matches: int = Field(100, ge=1, le=1_000_000)
    """Matches per (game, line-up)."""
    diversity_texts: int = Field(100, ge=2, le=10_000)
    """``red_team``: Self-BLEU and distinct-n are computed on at most this many attacks
    (Self-BLEU compares each with all the others)."""
    _llm_player: Agent | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> RoleGamesRecipe:
        names = [g.name() for g in self.games]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"games named twice: {repeated}; give each a label")
        for g in self.games:
            uses_llm = g.llm_judge or any(
                s == LLM_SEAT for lineup in g.lineups for s in lineup.seats
            )
            if uses_llm and self.llm is None:
                raise ValueError(
                    f"{g.name()}: an 'llm' seat or llm_judge needs the recipe's llm "
                    "(model, base_url, api_key_env)"
                )
            game = self.game(g)
            for lineup in g.lineups:
                for seat, agent in enumerate(self._agents(g, game, lineup, learned=False)):
                    if agent is None or isinstance(agent, LLMAgent):
                        continue  # a model's key is checked when its first match starts
                    try:
                        agent.check_game(game)
                    except RedqueenError as err:
                        raise ValueError(
                            f"{g.name()} / {lineup.name()}, seat {seat}: {err}"
                        ) from None
        return self

    def game(self, entry: RoleGameConfig) -> Game:
        """The game of ``entry``, with the recipe's model as judge when it asks for one."""
        params = dict(entry.params)
        if entry.llm_judge and self.llm is not None:
            params["judge"] = {
                "kind": "llm",
                "model": self.llm.model,
                "base_url": self.llm.base_url,
                "api_key_env": self.llm.api_key_env,
                "max_tokens": self.llm.max_tokens,
                "max_concurrency": self.llm.max_concurrency,
            }
        return make(entry.id, **params)

    def _agents(
        self, entry: RoleGameConfig, game: Game, lineup: Lineup, *, learned: bool = True
    ) -> list[Agent | None]:
        """The line-up's agents, in seat order (fresh ones: adaptive players start with no
        memory). ``learned=False`` leaves ``preference_policy`` seats out (None)."""
        out: list[Agent | None] = []
        for seat in lineup.seats:
            if isinstance(seat, AgentConfig):
                out.append(make_agent(seat.kind, **seat.params))
            elif seat == LLM_SEAT:
                assert self.llm is not None
                out.append(self._llm_agent())
            elif seat.partition(":")[0].strip() == PREFERENCE_POLICY:
                if not learned:
                    out.append(None)
                    continue
                assert isinstance(game, PreferenceGame)
                params = preference_policy_params(seat)
                out.append(MixedStrategyAgent(preference_strategies(game, params), params))
            else:
                out.append(parse_agent(seat))
        return out

    def _llm_agent(self) -> Agent:
        """The one agent of every ``llm`` seat (built on first use)."""
        if self._llm_player is None:
            assert self.llm is not None
            self._llm_player = self.llm.agent()
        return self._llm_player

    def _layout(self) -> list[tuple[int, RoleGameConfig, int, Lineup]]:
        """``(game index, game, line-up index, line-up)`` of every group, in order."""
        return [
            (g, entry, i, lineup)
            for g, entry in enumerate(self.games)
            for i, lineup in enumerate(entry.lineups)
        ]

    def keys(self, entry: RoleGameConfig, lineup: Lineup) -> list[str]:
        """The match keys of one group: ``GAME/LINEUP/k``."""
        return [f"{entry.name()}/{lineup.name()}/{k}" for k in range(self.matches)]

    def groups(self) -> list[_Group]:
        """Every (game, line-up) with its agents, match keys and seeds, in recipe order."""
        games = [self.game(entry) for entry in self.games]
        out: list[_Group] = []
        for g, entry, i, lineup in self._layout():
            game = games[g]
            out.append(
                _Group(
                    index=len(out),
                    game_label=entry.name(),
                    lineup_label=lineup.name(),
                    seat_labels=[seat_label(s) for s in lineup.seats],
                    game=game,
                    agents=[a for a in self._agents(entry, game, lineup) if a is not None],
                    keys=self.keys(entry, lineup),
                    seeds=[match_seed(self.seed, g, i, k) for k in range(self.matches)],
                )
            )
        return out

    def rows(self, played: Mapping[str, _Played]) -> list[dict[str, Any]]:
        """The summary row of every group, from the matches in ``played`` (by key)."""
        games = [self.game(entry) for entry in self.games]
        rows = []
        for g, entry, _, lineup in self._layout():
            mine = [played[k] for k in self.keys(entry, lineup) if k in played]
            row: dict[str, Any] = {
                "game": entry.name(),
                "lineup": lineup.name(),
                "seats": [seat_label(s) for s in lineup.seats],
            }
            row.update(
                summarise_group(
                    games[g],
                    [p.record for p in mine],
                    [p.result for p in mine],
                    diversity_texts=self.diversity_texts,
                )
            )
            rows.append(row)
        return rows

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        run = LLMRun(self, out_dir)
        try:
            groups = self.groups()
            played, failed = asyncio.run(self._play(run, groups, progress))
            if run.store is not None:
                run.store.set_meta("failed_matches", failed)  # for the closing lines
            rows = self.rows(played)
            text = "\n".join(
                ["role games (rates: count/n; see the report for 95% intervals):"]
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

    async def _play(
        self, run: LLMRun, groups: Sequence[_Group], progress: ProgressHook | None
    ) -> tuple[dict[str, _Played], dict[str, str]]:
        stored = run.stored()
        total = sum(len(g.keys) for g in groups)
        done = sum(1 for g in groups for k in g.keys if k in stored)
        played: dict[str, _Played] = dict(stored)
        failed: dict[str, str] = {}
        if progress is not None:
            progress(done, total)

        async def one(group: _Group, k: int) -> bool:
            nonlocal done
            key, seed = group.keys[k], group.seeds[k]
            names = [f"{label} (seat {s})" for s, label in enumerate(group.seat_labels)]
            try:
                with recording(key, run.sink, names):
                    result = await aplay_match(group.game, group.agents, seed)
                with recording(key, _CacheOnly(run.sink)):
                    record = match_record(group.game, replay(group.game, result.trajectory))
            except BackendError as err:
                if getattr(err, "stops_run", False):
                    raise  # a refused key or a server that cannot be reached stops the run
                failed[key] = str(err)
                return False
            item = _Played(record, result)
            info = {"game": group.game_label, "lineup": group.lineup_label, "k": k}
            run.save(key, group.index * self.matches + k, seed, info, item)
            played[key] = item
            if group.adaptive:
                feed_back(group.agents, record)
            done += 1
            if progress is not None:
                progress(done, total)
            return True

        async def in_order(group: _Group) -> None:
            for k, key in enumerate(group.keys):
                if key in stored:
                    feed_back(group.agents, stored[key].record)
                elif not await one(group, k):
                    return  # the rest waits for the next run, to keep the order

        tasks: list[Coroutine[Any, Any, object]] = []
        for group in groups:
            if group.adaptive:
                tasks.append(in_order(group))
            else:
                tasks.extend(one(group, k) for k, key in enumerate(group.keys) if key not in stored)
        try:
            await asyncio.gather(*tasks)
        finally:
            await close_clients([a for g in groups for a in g.agents])
        return played, failed

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        with RunStore(run_dir) as store:
            config = store.config()
            played = stored_matches(store)
        recipe = cls.model_validate(config)
        keys = [
            key
            for _, entry, _, lineup in recipe._layout()
            for key in recipe.keys(entry, lineup)
            if key in played
        ]
        return write_role_games_report(run_dir, config, recipe.rows(played), keys)
