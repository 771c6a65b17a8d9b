"""Players of the LLM Economist's tax economy (:mod:`redqueen.games.tax_economy`).

Scripted players:

- :class:`TaxBestResponseWorker` plays the registered game ``tax_economy``: at each step
  the hours on the game's grid that maximise its isoelastic utility under the current
  rates (the rebate is lump-sum and does not move the optimum).
- :class:`TaxTargetPlanner` plays the game's planner seat: it moves each bracket's rate
  by the legal change that brings it closest to a target (Saez's rates, say).
- :func:`scripted_platforms` and :func:`scripted_votes` are the scripted citizens of the
  democratic scenario: each proposes the change of rates that maximises its own utility
  when every worker best-responds, and votes for the candidate whose platform is best
  for it (the lowest-numbered among equals).

LLM players, with the paper's prompts and JSON answers (Karten et al. 2025, code
``agents/worker.py`` and ``agents/planner.py``):

- :class:`TaxLLMWorker` answers ``{"LABOR": X}`` each step; its context is a rolling
  history (``history_len`` = 50 steps) of its hours, pre-tax income, tax, rebate,
  post-tax income and utility, with the code's hint after a change of hours ("Increasing
  labor decreased utility. This implies labor l is too high ..."). In the democratic
  scenario it also answers ``{"DELTA": [...]}`` or ``{"DELTA": null}`` (run for leader
  with a platform, or not) and ``{"LEADER": "k"}`` (its vote).
- :class:`TaxLLMPlanner` answers ``{"DELTA": [X, ...]}`` every tax year from the
  distributions of pre-tax income and utility, their summary statistics and the welfare,
  with the code's explore/exploit cues.

The reply is read with ``json.loads`` (a code fence or text around the object is
allowed) and never evaluated. Numbers are read as the code reads them: hours clipped to
[0, 100]; a DELTA entry clipped to [-20, 20] and rounded to tens, cut at the range
[0, 100] for the planner and reversed for a platform
(:func:`~redqueen.games.tax_economy.read_delta`). A reply with no such answer is an
*invalid move*: it is counted, the model is asked again up to the agent's ``reasks``
times with what was wrong, and then the step goes on with the configured fallback
(workers: their previous hours, or 0; planner: no change, or the code's random change,
a normal draw with standard deviation 7 clipped to [-20, 20] and rounded to tens).

Differences from the code, and why: every question ends with the answers the game
accepts, listed one per line after the header the scripted test server reads (the
paper's prompts name the options in words: "LABOR: [0,10,...,100]", "DELTA=[-20, -10, 0,
10, 20]"), so that tests run the real HTTP path end to end; lists longer than
``max_listed`` answers (a DELTA over seven brackets has 5^7) are left out. The code's
"best 5 timesteps" block and its persona reflections are not reproduced, and the planner
reads one summary per tax year (the step before it moves) rather than every step.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.tax_economy import (
    DELTAS,
    MAX_HOURS,
    PLAN,
    WAIT,
    StepOutcome,
    TaxEconomy,
    TaxEconomyGame,
    TaxSchedule,
    TaxView,
    best_grid_hours,
    legal_deltas,
    read_delta,
)

if TYPE_CHECKING:
    from redqueen.agents.llm.agent import LLMAgent

LEGAL_ANSWERS_HEADER = "Legal moves (answer with exactly one of them):"
"""The header of the list of accepted answers (the one the LLM prompts and the scripted
test server use, :data:`redqueen.agents.llm.prompts.LEGAL_MOVES_HEADER`)."""
LABOR_CHOICES = tuple(range(0, 101, 10))
"""The hours the paper's prompt offers: 0, 10, ..., 100."""
WORKER_FALLBACKS = ("previous", "zero")
PLANNER_FALLBACKS = ("keep", "random")

T = TypeVar("T")


# ---- scripted players of the registered game -----------------------------------------------


def _game(game: Game) -> TaxEconomyGame:
    if not isinstance(game, TaxEconomyGame):
        raise RedqueenError(f"this agent plays tax_economy only, not {game.id}")
    return game


class TaxBestResponseWorker(Agent):
    """A worker of ``tax_economy`` that works the grid hours best for it under the
    current rates (its isoelastic utility; the rebate does not move the optimum)."""

    name = "tax_best_response"

    def check_game(self, game: Game) -> None:
        _game(game)

    def act(self, obs: Observation) -> int:
        game = _game(obs.game)
        view = obs.information_state_key
        assert isinstance(view, TaxView)
        if obs.player == game.planner_seat:
            raise RedqueenError("tax_best_response plays a worker's seat, not the planner's")
        schedule = game.initial_schedule.with_rates(view.rates)
        skill = game.skills[obs.player : obs.player + 1]
        return int(best_grid_hours(skill, schedule, game.hours)[0])


class TaxTargetPlanner(Agent):
    """The planner of ``tax_economy`` moving each rate towards ``target`` (percent per
    bracket): the legal change that leaves the rate closest to it (the smaller change
    among equally close ones)."""

    name = "tax_target_planner"

    def __init__(self, target: Sequence[float]) -> None:
        self.target = tuple(float(t) for t in target)
        for t in self.target:
            if not 0.0 <= t <= 100.0:
                raise InvalidParameterError(f"target rates must be in [0, 100]; got {target!r}")

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"target": list(self.target)})

    def check_game(self, game: Game) -> None:
        g = _game(game)
        if g.planner_seat is None:
            raise RedqueenError("this tax_economy has no planner seat (planner=False)")
        if len(self.target) != g.initial_schedule.num_brackets:
            raise InvalidParameterError(
                f"target needs one rate per bracket ({g.initial_schedule.num_brackets}); got "
                f"{len(self.target)}"
            )

    def act(self, obs: Observation) -> int:
        view = obs.information_state_key
        assert isinstance(view, TaxView)
        if view.phase != PLAN:
            return WAIT
        j = view.bracket
        rate = view.rates[j]
        return min(
            obs.legal_actions,
            key=lambda a: (abs(rate + DELTAS[a] - self.target[j]), abs(DELTAS[a])),
        )


# ---- scripted citizens of the democratic scenario -------------------------------------------


def platform_utilities(economy: TaxEconomy, deltas: Sequence[Sequence[float]]) -> np.ndarray:
    """``U[k, i]``: worker ``i``'s utility (by its type) when the rates change by
    ``deltas[k]`` and every worker best-responds."""
    out = np.empty((len(deltas), economy.num_workers))
    for k, delta in enumerate(deltas):
        rates = [r + d for r, d in zip(economy.rates, delta, strict=True)]
        out[k] = economy.welfare_at_best_response(rates).utility
    return out


def scripted_platforms(economy: TaxEconomy) -> list[tuple[int, ...]]:
    """Each worker's platform: the legal change of rates (each bracket by -20..+20 points,
    staying in [0, 100]) that maximises its own utility at everyone's best response (the
    first in lexicographic order among equally good ones)."""
    options = legal_deltas(economy.rates)
    utilities = platform_utilities(economy, options)
    return [options[int(k)] for k in np.argmax(utilities, axis=0)]


def scripted_votes(economy: TaxEconomy, platforms: Sequence[Sequence[float]]) -> list[int]:
    """Each worker's vote: the candidate (an index into ``platforms``) whose platform gives
    it the highest utility at everyone's best response; the lowest index among equals."""
    utilities = platform_utilities(economy, platforms)
    return [int(k) for k in np.argmax(utilities, axis=0)]


# ---- reading the model's JSON ---------------------------------------------------------------

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.IGNORECASE | re.DOTALL)


def read_json_object(reply: str) -> dict[str, Any] | None:
    """The JSON object in ``reply``: the whole reply, a fenced block, or the text from the
    first ``{`` to the last ``}``; None when there is none. ``None`` written bare (the
    paper's example of declining to run) is read as null."""
    candidates = [m.group(1) for m in _FENCE.finditer(reply)] + [reply]
    first, last = reply.find("{"), reply.rfind("}")
    if 0 <= first < last:
        candidates.append(reply[first : last + 1])
    for text in candidates:
        text = text.strip()
        for attempt in (text, re.sub(r":\s*None\b", ": null", text)):
            try:
                data = json.loads(attempt)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict):
                return data
    return None


def _field(reply: str, key: str) -> Any:
    data = read_json_object(reply)
    if data is None:
        raise InvalidParameterError(f'the reply has no JSON object like {{"{key}": ...}}')
    for k, v in data.items():
        if k.upper() == key:
            return v
    raise InvalidParameterError(f'the JSON object has no "{key}" field')


def read_labor(reply: str) -> float:
    """The hours in a ``{"LABOR": X}`` reply, clipped to [0, 100] as the code does."""
    raw = _field(reply, "LABOR")
    if isinstance(raw, str):
        raw = raw.replace("$", "").replace(",", "").replace("%", "").replace(" hours", "")
    try:
        hours = float(raw)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"LABOR is not a number: {raw!r}") from None
    if not math.isfinite(hours):
        raise InvalidParameterError(f"LABOR is not a finite number: {raw!r}")
    return min(max(hours, 0.0), MAX_HOURS)


def read_planner_delta(reply: str, rates: Sequence[float]) -> list[float]:
    """The change in a ``{"DELTA": [...]}`` reply, read as the planner's parser does."""
    return read_delta(_field(reply, "DELTA"), rates, out_of_range="clamp")


def read_platform(reply: str, rates: Sequence[float]) -> list[float] | None:
    """A platform (``{"DELTA": [...]}``, read as the workers' parser does) or None for
    ``{"DELTA": null}``: the worker does not run."""
    raw = _field(reply, "DELTA")
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("none", "null")):
        return None
    return read_delta(raw, rates, out_of_range="flip")


def read_vote(reply: str, candidates: Sequence[int]) -> int:
    """The candidate named in a ``{"LEADER": "k"}`` reply (a worker index, or a name that
    ends with one, ``worker_3``); it must be one of ``candidates``."""
    raw = _field(reply, "LEADER")
    match = re.search(r"(\d+)\s*$", str(raw).strip())
    if match is None:
        raise InvalidParameterError(f"LEADER is not a worker number: {raw!r}")
    k = int(match.group(1))
    if k not in candidates:
        raise InvalidParameterError(
            f"LEADER {k} is not a candidate; candidates: {list(candidates)}"
        )
    return k


def answers_block(answers: Sequence[str]) -> str:
    return "\n".join([LEGAL_ANSWERS_HEADER, *(f"- {a}" for a in answers)])


def _number(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.2f}"


def _numbers(values: Sequence[float]) -> str:
    """``[50, 12.5, 0]``: a list of rates as the code prints them."""
    return "[" + ", ".join(_number(v) for v in values) + "]"


def _delta_json(delta: Sequence[float] | None) -> str:
    if delta is None:
        return '{"DELTA": null}'
    return json.dumps({"DELTA": [int(d) for d in delta]})


# ---- LLM players ----------------------------------------------------------------------------


@dataclass
class AskResult:
    """What one question got: the value read (None after every reply failed) and how many
    replies were invalid."""

    value: Any
    invalid: int


@dataclass
class _Asker:
    """Asks the model through an :class:`LLMAgent` (its backend, cache and transcripts),
    re-asking with the problem up to ``llm.reasks`` times."""

    llm: LLMAgent
    seat: int
    invalid_moves: int = 0

    async def ask(
        self,
        system: str,
        user: str,
        read: Callable[[str], T],
        rng: np.random.Generator,
        answers: Sequence[str] = (),
    ) -> T | None:
        messages: list[dict[str, str]] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        seed = int(rng.integers(2**31))
        for attempt in range(self.llm.reasks + 1):
            reply = await self.llm.chat(messages, seat=self.seat, seed=seed + attempt)
            try:
                return read(reply)
            except InvalidParameterError as problem:
                self.invalid_moves += 1
                feedback = f"Your answer was not accepted: {problem}."
                if answers:
                    feedback += "\n\n" + answers_block(answers)
                messages = [
                    *messages,
                    {"role": "assistant", "content": reply},
                    {"role": "user", "content": feedback},
                ]
        return None


@dataclass
class EconomyFacts:
    """What every LLM player is told about the economy."""

    schedule: TaxSchedule
    steps: int
    tax_year: int
    swf: str = "inverse_income"
    max_listed: int = 125
    """The most change vectors a question lists as accepted answers (longer lists, e.g.
    5^7 over seven brackets, are left out; the hours, the null platform and the votes
    are always listed)."""

    def bracket_prompt(self) -> str:
        texts = self.schedule.bracket_texts()
        n = len(texts)
        return (
            f"There {'is' if n == 1 else 'are'} {n} tax bracket{'' if n == 1 else 's'} to set "
            f"the rates for, [{', '.join(texts)}]. "
        )

    def format_prompt(self) -> str:
        return "[" + ", ".join(["X"] * self.schedule.num_brackets) + "]"


def _history_line(
    step: int, hours: float, rates: Sequence[float], row: dict[str, float], utility_def: str
) -> str:
    return (
        f"Timestep {step}:\nTAX: = {_numbers(rates)}\nLABOR: = l {_number(hours)}\n"
        f"pre-tax income: z = s * l = {row['z']:.2f}\ntax_i = {row['tax']:.2f}\n"
        f"rebate = {row['rebate']:.2f}\n"
        f"post-tax income: z~ = z - tax_i + rebate = {row['post']:.2f}\n"
        f"utility: u = {utility_def} = {row['u']:.2f}\n"
    )


@dataclass
class TaxLLMWorker:
    """A worker played by a language model (see the module docstring)."""

    llm: LLMAgent
    index: int
    skill: float
    facts: EconomyFacts
    utility_type: str = "egotistical"
    history_len: int = 50
    fallback: str = "previous"
    initial_hours: float = 0.0
    hours: float = field(init=False)
    _asker: _Asker = field(init=False)
    _history: list[str] = field(init=False, default_factory=list)
    _hours_log: list[float] = field(init=False, default_factory=list)
    _utility_log: list[float] = field(init=False, default_factory=list)
    _leader: str = field(init=False, default="")

    def __post_init__(self) -> None:
        if self.fallback not in WORKER_FALLBACKS:
            raise UnknownNameError("worker fallback", self.fallback, WORKER_FALLBACKS)
        self.hours = float(self.initial_hours)
        self._asker = _Asker(self.llm, self.index)

    @property
    def invalid_moves(self) -> int:
        return self._asker.invalid_moves

    @property
    def name(self) -> str:
        return f"worker_{self.index}"

    def system_prompt(self) -> str:
        goal = {
            "egotistical": "isoelastic utility",
            "altruistic": "social welfare",
            "adversarial": "negative social welfare",
        }[self.utility_type]
        return (
            f"You are {self.name}, a citizen of Princetonia. Your skill level is "
            f"{self.skill:.2f} with an expected income of {self.skill * 40:.2f} at 40 hours of "
            "labor each week. Each year you will have the option to choose the number of "
            "hours of labor to perform each week. You can work overtime (>40 hours per week) "
            "or undertime (<40 hours per week). You will receive income z proportional to the "
            f"number of hours worked and your skill level. Your goal is to maximize your {goal}. "
            "Make sure to sufficiently explore different amounts of LABOR before exploiting "
            "the best one for maximum utility u. Once you find the maximum utility, only output "
            "LABOR corresponding to maximum utility u. "
            'Use the JSON format: {"LABOR": "X"} and replace "X" with your answer.'
        )

    def _state(self, rates: Sequence[float], leader: bool) -> str:
        lines = ["Historical data:", *self._history[-self.history_len :]]
        if leader and self._leader:
            lines.append(self._leader)
        lines.append(f"TAX: = {_numbers(rates)}\nskill: s = {self.skill:.2f}")
        return "\n".join(lines)

    def labor_question(self, step: int, rates: Sequence[float]) -> str:
        parts = [self._state(rates, leader=True)]
        if self._hours_log:
            average_hours = round(float(np.mean(self._hours_log[-self.history_len :])), -1)
            average_u = float(np.mean(self._utility_log[-self.history_len :]))
            parts.append(
                f"The running average LABOR choice historically was average LABOR="
                f"{_number(average_hours)} hours corresponding to average utility "
                f"u={average_u:.2f}. "
            )
        best = step > 0.9 * self.facts.steps or (step + 1) % self.facts.tax_year == 0
        if not best:
            parts.append(
                "Use the historical data to influence your answer in order to maximize "
                "utility u, while balancing exploration and exploitation by choosing varying "
                "amounts of LABOR. "
            )
        parts.append(
            f"Next year, you may perform LABOR: {list(LABOR_CHOICES)} hours. Please choose "
            f"the{' best' if best else ''} amount of LABOR to perform. "
            'Use the JSON format: {"LABOR": "X"} and replace "X" with your answer.'
        )
        parts.append(answers_block(self.labor_answers()))
        return "\n".join(parts)

    @staticmethod
    def labor_answers() -> list[str]:
        return [json.dumps({"LABOR": h}) for h in LABOR_CHOICES]

    async def choose_hours(
        self, step: int, rates: Sequence[float], rng: np.random.Generator
    ) -> float:
        """This step's hours (the fallback after invalid replies)."""
        hours = await self._asker.ask(
            self.system_prompt(),
            self.labor_question(step, rates),
            read_labor,
            rng,
            self.labor_answers(),
        )
        if hours is None:
            hours = self.hours if self.fallback == "previous" else 0.0
        self.hours = float(hours)
        return self.hours

    def observe(self, step: int, rates: Sequence[float], outcome: StepOutcome) -> None:
        """Add this step to the worker's history, with the code's hint after a change."""
        i = self.index
        utility_def = {
            "egotistical": "z~ - c * l^d",
            "altruistic": "u_1/z_1 + ... + u_N/z_N",
            "adversarial": "-u_1/z_1 - ... - u_N/z_N",
        }[self.utility_type]
        u = float(outcome.utility[i])
        text = _history_line(
            step,
            float(outcome.hours[i]),
            rates,
            {
                "z": float(outcome.pre_tax[i]),
                "tax": float(outcome.tax[i]),
                "rebate": outcome.rebate,
                "post": float(outcome.post_tax[i]),
                "u": u,
            },
            utility_def,
        )
        hours = float(outcome.hours[i])
        if self._hours_log and hours != self._hours_log[-1]:
            more = hours > self._hours_log[-1]
            better = u > self._utility_log[-1]
            direction = (
                "too low and needs to be increased above"
                if more == better
                else ("too high and needs to be decreased below")
            )
            text += (
                f"{'Increasing' if more else 'Decreasing'} labor "
                f"{'increased' if better else 'decreased'} utility. This implies labor l is "
                f"{direction} labor l={_number(hours)}.\n"
            )
        self._history.append(text)
        self._hours_log.append(hours)
        self._utility_log.append(u)

    def note_leader(self, leader: int, platform: Sequence[float] | None) -> None:
        self._leader = f"Leader: worker_{leader}."
        if platform is not None:
            self._leader += f" Leader's Platform during election: {[int(d) for d in platform]}."

    async def platform(
        self, step: int, rates: Sequence[float], rng: np.random.Generator
    ) -> list[float] | None:
        """Run for leader with a change of rates, or None (also after invalid replies)."""
        options = legal_deltas(rates)
        listed = len(options) <= self.facts.max_listed
        answers = [_delta_json(d) for d in options] + [_delta_json(None)] if listed else []
        question = (
            self._state(rates, leader=True)
            + "\nThis year you must decide if you want to run in the election for a new tax "
            "planning leader who will decide the tax rates. Use this decision to maximize your "
            "utility u. If you decide to run, you must output your proposed tax rates. "
            f"{self.facts.bracket_prompt()}Each tax rate can change DELTA=[-20, -10, 0, 10, 20] "
            "percent where tax rates must be between 0 and 100 percent. Use the historical data "
            "to influence your answer in order to maximize your utility u, while balancing "
            "exploration and exploitation by choosing varying rates of TAX. If you decide to "
            'run, reply with all answers in JSON like: {"DELTA": '
            f'{self.facts.format_prompt()}}} and replace "X" with the percentage that the tax '
            "rates will change. If you decide not to run, you must output JSON like: "
            '{"DELTA": null}.'
        )
        if answers:
            question += "\n" + answers_block(answers)
        return await self._asker.ask(
            self.system_prompt(), question, lambda reply: read_platform(reply, rates), rng, answers
        )

    async def vote(
        self,
        rates: Sequence[float],
        candidates: Sequence[tuple[int, Sequence[float]]],
        rng: np.random.Generator,
    ) -> int | None:
        """A vote for one of ``candidates`` (worker index, platform); None after invalid
        replies (the vote is not cast)."""
        names = [c for c, _ in candidates]
        pairs = [(str(c), [int(d) for d in p]) for c, p in candidates]
        answers = [json.dumps({"LEADER": str(c)}) for c in names]
        question = (
            self._state(rates, leader=True)
            + "\nThis year you may vote for a new tax planning leader who will decide the tax "
            "rates. Use this decision to vote for a leader who will choose tax rates that will "
            "maximize your utility u. You may vote for any of the following LEADER based on "
            "their PLATFORM in a dictionary with (LEADER, PLATFORM) pairs: "
            f'{pairs}. Use the JSON format: {{"LEADER": "X"}} and replace "X" with your answer.'
            "\n" + answers_block(answers)
        )
        return await self._asker.ask(
            self.system_prompt(), question, lambda reply: read_vote(reply, names), rng, answers
        )


@dataclass
class TaxLLMPlanner:
    """The planner played by a language model (see the module docstring)."""

    llm: LLMAgent
    facts: EconomyFacts
    seat: int
    history_len: int = 10
    """Tax years of summaries in the context."""
    average_len: int = 50
    """Steps averaged in the "best marginal tax rate historically" cue (the code's
    ``history_len``)."""
    fallback: str = "keep"
    explore: bool = True
    exploit: bool = True
    _asker: _Asker = field(init=False)
    _years: list[str] = field(init=False, default_factory=list)
    _swf_log: list[float] = field(init=False, default_factory=list)
    _rates_log: list[tuple[float, ...]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        if self.fallback not in PLANNER_FALLBACKS:
            raise UnknownNameError("planner fallback", self.fallback, PLANNER_FALLBACKS)
        self._asker = _Asker(self.llm, self.seat)

    @property
    def invalid_moves(self) -> int:
        return self._asker.invalid_moves

    def system_prompt(self) -> str:
        welfare = (
            "which is the sum of all agent utilities. "
            if self.facts.swf == "utilitarian"
            else "which is the average of all agent utilities weighted by their inverse "
            "pre-tax income. "
        )
        explore = (
            "Use the historical data to influence your answer in order to maximize SWF, while "
            "balancing exploration and exploitation by choosing varying rates of TAX. Explore "
            "tax rates that may create suboptimal SWF to find the best ones. "
            if self.explore
            else ("Use the historical data to influence your answer in order to maximize SWF. ")
        )
        return (
            "You are an expert tax planner. You set the marginal tax rates in order to "
            f"optimize social welfare, {welfare}Collected taxes will be redistributed evenly "
            "back to the citizens. You may set the marginal tax rate in order to promote "
            f"equity. {self.facts.bracket_prompt()}Each tax rate can changed DELTA=[-20, -10, 0, "
            "10, 20] percent where tax rates must be between 0 and 100 percent. "
            f'{explore}Reply with all answers in JSON like: {{"DELTA": '
            f'{self.facts.format_prompt()}}} and replace "X" with the percentage that the tax '
            "rates will change."
        )

    def observe(self, step: int, rates: Sequence[float], outcome: StepOutcome) -> None:
        """Keep the summary of the step before a tax year's decision (and its welfare)."""
        self._swf_log.append(outcome.swf)
        self._rates_log.append(tuple(rates))
        if (step + 1) % self.facts.tax_year != 0 and step + 1 != self.facts.steps:
            return
        self._years.append(summary_text(step, rates, outcome, self.facts))

    def question(self, step: int, rates: Sequence[float]) -> str:
        parts = ["Historical data:", *self._years[-self.history_len :]]
        if self.explore:
            parts.append(
                "Use the historical data to influence your answer in order to maximize SWF, "
                "while balancing exploration and exploitation by choosing varying rates of TAX. "
            )
        if self.exploit and self._swf_log:
            recent = self._rates_log[-self.average_len :]
            average_tax = _numbers([round(float(x), -1) for x in np.mean(recent, axis=0)])
            average_swf = float(np.mean(self._swf_log[-self.average_len :]))
            parts.append(
                f"The best marginal tax rate historically was TAX={average_tax} corresponding "
                f"to SWF={average_swf:.4f}. "
            )
        if self.explore:
            parts.append(
                "Try different rates of TAX before picking the one that corresponds to the "
                "highest SWF. "
            )
        parts.append(f"TAX: {_numbers(rates)}\nTAX = TAX + DELTA")
        best = " best" if step > 0.9 * self.facts.steps else ""
        parts.append(
            f'Choose the{best} marginal tax rate for each tax bracket "X". Your output MUST be '
            f'a JSON like: {{"DELTA": {self.facts.format_prompt()}}}'
        )
        answers = self.answers(rates)
        if answers:
            parts.append(answers_block(answers))
        return "\n".join(parts)

    def answers(self, rates: Sequence[float]) -> list[str]:
        """The changes that keep every rate in [0, 100], as JSON answers; empty when there
        are more than ``max_listed``."""
        if len(DELTAS) ** len(rates) > 4 * self.facts.max_listed:
            return []
        options = [_delta_json(d) for d in legal_deltas(rates)]
        return options if len(options) <= self.facts.max_listed else []

    async def choose_delta(
        self, step: int, rates: Sequence[float], rng: np.random.Generator
    ) -> list[float]:
        """The change of rates for the coming tax year (the fallback after invalid
        replies)."""
        delta = await self._asker.ask(
            self.system_prompt(),
            self.question(step, rates),
            lambda reply: read_planner_delta(reply, rates),
            rng,
            self.answers(rates),
        )
        if delta is not None:
            return delta
        if self.fallback == "keep":
            return [0.0] * len(rates)
        draws = np.round(np.clip(rng.normal(0.0, 7.0, size=len(rates)), -20, 20) / 10.0) * 10.0
        return read_delta([float(d) for d in draws], rates, out_of_range="clamp")


def summary_text(
    step: int, rates: Sequence[float], outcome: StepOutcome, facts: EconomyFacts
) -> str:
    """The planner's view of one step: the rates, a text histogram of pre-tax incomes by
    bracket and of utilities in ten equal bins, summary statistics and the welfare."""
    edges = [*facts.schedule.edges, max(float(outcome.pre_tax.max()), facts.schedule.edges[-1]) + 1]
    z_counts, _ = np.histogram(outcome.pre_tax, bins=edges)
    u = outcome.isoelastic
    u_counts, u_edges = np.histogram(u, bins=10)
    lines = [f"Timestep {step}:", f"TAX: {_numbers(rates)}."]
    lines.append("Pre-tax income (z) distribution:")
    top = max(int(z_counts.max()), 1)
    for k, count in enumerate(z_counts):
        high = f"${edges[k + 1]:,.2f}" if k + 1 < len(facts.schedule.edges) else "$inf"
        lines.append(f"${edges[k]:,.2f}-{high}: {'#' * int(count / top * 20)} ({count})")
    lines.append("Utility (u) distribution:")
    top = max(int(u_counts.max()), 1)
    for k, count in enumerate(u_counts):
        lines.append(
            f"{u_edges[k]:.2f}-{u_edges[k + 1]:.2f}: {'#' * int(count / top * 20)} ({count})"
        )
    z = outcome.pre_tax
    lines.append(
        "Summary statistics:\n"
        f"z: mean={z.mean():.2f}, median={np.median(z):.2f}, std={z.std():.2f}\n"
        f"u: mean={u.mean():.2f}, median={np.median(u):.2f}, std={u.std():.2f}"
    )
    formula = "u_1 + ... + u_N" if facts.swf == "utilitarian" else "u_1/z_1 + ... + u_N/z_N"
    lines.append(f"social welfare: swf = {formula} = {outcome.swf:.4f}")
    return "\n".join(lines)
