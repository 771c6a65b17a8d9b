"""Human play in the browser: one match in progress per session, stored when it ends.

A session is a match between one person, in the seat they chose, and agents in every
other seat. It is driven by the person's requests: each move is applied, then chance and
the other seats play (LLM agents awaited on the server's event loop) until the person
must move again or the match is over. The bookkeeping is the match runner's own
(:mod:`redqueen.play.match`): the same split of the seed into chance and seat streams,
the same handling of an agent's invalid answers and forfeits, the same
:class:`~redqueen.play.match.MatchResult`. The browser offers only legal moves, and a
move that is not legal is refused with the legal ones named, without counting it.

A finished match is written to a run store like any other: one run directory per game
and parameters under the server's human-play directory (:class:`HumanRuns`), with the
config of a ``tournament`` run, so that ``redqueen report`` and the "Follow" page show
its standings and Elo. The person's seat is named ``human:<name>``; an opponent is named
by its spec. LLM opponents' calls go to the same run's transcripts, under the match key.

In cheap-talk games (states with ``say``) the person may attach a message to a move.
"""

from __future__ import annotations

import hashlib
import json
import operator
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.llm.context import recording
from redqueen.agents.registry import make_agent, parse_agent_spec
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.experiments.base import AgentConfig, GameConfig
from redqueen.games.core import CHANCE, Game
from redqueen.games.registry import make
from redqueen.play.match import MatchInProgress, MatchResult
from redqueen.play.schedule import ScheduledMatch
from redqueen.store.llm_cache import LLMStore
from redqueen.store.run_store import DB_NAME, RunStore
from redqueen.web.security import RateLimiter, check_agent_params

MAX_MESSAGE = 500
"""Characters a message of a cheap-talk game may have (the game may allow fewer)."""


class RateLimitedError(RedqueenError):
    """An LLM opponent would move more often than the participant's limit allows."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"LLM opponents are limited per participant; try again in {wait:.0f} s")
        self.wait = wait


def parse_params(text: str) -> dict[str, Any]:
    """Game parameters as on the command line: ``key=value`` items (one per line, or
    separated by ``;``), each value read as a YAML scalar or list, never evaluated."""
    import yaml

    params: dict[str, Any] = {}
    for item in (p.strip() for line in text.splitlines() for p in line.split(";")):
        if not item:
            continue
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise InvalidParameterError(f"game parameter {item!r} is not key=value")
        try:
            params[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            params[key.strip()] = raw
    return params


def build_game(game_id: str, params: Mapping[str, Any]) -> Game:
    """The game, validated as a recipe's ``game`` is (unknown ids and parameters are
    refused with what is allowed)."""
    try:
        GameConfig(id=game_id, params=dict(params))
    except ValidationError as err:
        raise InvalidParameterError(_first_error(err)) from None
    return make(game_id, **dict(params))


def build_opponent(text: str, game: Game, roots: Sequence[Path]) -> tuple[Agent, AgentSpec]:
    """The agent a spec names (``minimax:depth=2``, ``llm:model=...``,
    ``policy:path=FILE``), validated as a recipe's agents are, and checked to play
    ``game``."""
    spec = parse_agent_spec(text)
    check_agent_params(spec.params, roots)
    try:
        AgentConfig(kind=spec.kind, params=spec.params)
    except ValidationError as err:
        raise InvalidParameterError(f"opponent {text!r}: {_first_error(err)}") from None
    agent = make_agent(spec.kind, **spec.params)
    try:
        agent.check_game(game)
    except RedqueenError as err:
        raise InvalidParameterError(f"opponent {text!r} cannot play {game.id}: {err}") from None
    return agent, spec


def _first_error(err: ValidationError) -> str:
    return "; ".join(e["msg"].removeprefix("Value error, ") for e in err.errors())


class BrowserHuman(Agent):
    """The person's seat: moves arrive by HTTP request, never through ``act``."""

    name = "human"

    def __init__(self, person: str) -> None:
        self.person = person

    def spec(self) -> AgentSpec:
        return AgentSpec("human", {"name": self.person})

    def act(self, obs: Observation) -> int:
        raise RedqueenError("a browser seat's moves come from its page, not from act()")


class HumanRuns:
    """The run directories of human matches: ``ROOT/<game id>`` (with a hash of the
    parameters when there are any), each a run store with a tournament's config."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def run_dir(self, game: Game) -> Path:
        params = dict(game.params)
        if not params:
            return self.root / game.id
        digest = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]
        return self.root / f"{game.id}-{digest}"

    def open(self, game: Game, name: str | None = None, description: str = "") -> Path:
        """Create (or find) the run directory of ``game``'s human matches."""
        path = self.run_dir(game)
        config = {
            "name": name or f"human-{path.name}",
            "kind": "tournament",
            "description": description
            or "matches played in the browser (redqueen serve); seats human:NAME are people",
            "game": {"id": game.id, "params": dict(game.params)},
            "seed": 0,
        }
        with RunStore(path) as store:
            store.bind_config(config, ignore=("description", "name"))
        return path

    @staticmethod
    def record(
        path: Path,
        key: str,
        seed: int,
        names: Sequence[str],
        specs: Sequence[Mapping[str, Any]],
        result: MatchResult,
    ) -> ScheduledMatch:
        """Store one finished match; the agents list grows by names not seen before."""
        with RunStore(path) as store:
            known = store.agent_names()
            kept = store.get_meta("agent_specs", {}) or {}
            for name, spec in zip(names, specs, strict=True):
                if name not in known:
                    known.append(name)
                kept.setdefault(name, dict(spec))
            store.set_meta("agent_specs", kept)
            store.record_agents(known, [kept.get(n, {"kind": "?"}) for n in known])
            match = ScheduledMatch(
                key, len(store.completed_keys()), tuple(known.index(n) for n in names), seed
            )
            store.record_match(match, result)
        return match


class _KeepCalls:
    """The run's LLM store as a call sink that never marks calls superseded: a browser
    match enters :func:`recording` once per opponent move, not once per attempt."""

    def __init__(self, store: LLMStore) -> None:
        self.store = store

    def get(self, key: str) -> Any:
        return self.store.get(key)

    def put(self, key: str, model: str, reply: str, input_tokens: int, output_tokens: int) -> None:
        self.store.put(key, model, reply, input_tokens, output_tokens)

    def record_call(self, record: Any) -> None:
        self.store.record_call(record)

    def supersede(self, match_key: str) -> None:
        """Nothing to supersede: a browser match is played once."""


@dataclass
class PlaySession:
    """One person's match in progress (see the module docstring)."""

    id: str
    owner: str
    """The participant id of the person who started it; only they may move."""
    person: str
    game: Game
    seat: int
    agents: list[Agent]
    names: list[str]
    specs: list[dict[str, Any]]
    seed: int
    run_dir: Path
    key: str
    log: list[str] = field(default_factory=list)
    """The other seats' moves, as they were made (what ``redqueen play`` announces)."""
    result: MatchResult | None = None
    stored: ScheduledMatch | None = None
    problem: str | None = None
    """Why the match is waiting on an opponent (an LLM limit or a backend error)."""
    study_item: int | None = None
    _counters: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.match = MatchInProgress(self.game, self.agents, self.seed, "random")

    @property
    def state(self) -> Any:
        return self.match.state

    @property
    def finished(self) -> bool:
        return self.result is not None

    @property
    def llm_seats(self) -> list[int]:
        return [p for p, a in enumerate(self.agents) if getattr(a, "prefers_async", False)]

    def waiting(self) -> Observation | None:
        """The person's observation when it is their move, else None."""
        if self.finished or self.state.is_terminal():
            return None
        if self.seat not in self.match.movers() or self.state.current_player() == CHANCE:
            return None
        return self.match.observation(self.seat)

    async def play(
        self, action: int, message: str | None, limiter: RateLimiter | None = None
    ) -> None:
        """Apply the person's move (with its message, in cheap-talk games), then let the
        others play until the person's next move or the end."""
        obs = self.waiting()
        if obs is None:
            raise InvalidParameterError("it is not your move in this match")
        if action not in obs.legal_actions:
            legal = ", ".join(
                f"{a} ({t})" for a, t in zip(obs.legal_actions, obs.legal_action_texts, strict=True)
            )
            raise InvalidParameterError(f"move {action} is not legal here; legal moves: {legal}")
        if message:
            if len(message) > MAX_MESSAGE:
                raise InvalidParameterError(f"a message has at most {MAX_MESSAGE} characters")
            self.state.say(message)
        m = self.match
        observations = [m.observation(p) for p in m.movers()]
        # every answer first (an opponent may be held back by its limit: then nothing of
        # this node is applied and the person's move can simply be made again)
        try:
            answers = [
                action if o.player == self.seat else await self._opponent(o, limiter)
                for o in observations
            ]
        except RedqueenError as err:  # a limit or a backend down: make the move again
            self.problem = f"{err} (your move was not played: make it again)"
            return
        actions: list[int | str] = []
        for o, answer in zip(observations, answers, strict=True):
            actions.append(m.checked(o, answer))
            if m.forfeit is not None:
                break
        if m.forfeit is None:
            m.apply(actions)
        await self.advance(limiter)

    async def advance(self, limiter: RateLimiter | None = None) -> None:
        """Play chance and the other seats until the person must move or the match ends."""
        m = self.match
        self.problem = None
        while m.forfeit is None and not self.state.is_terminal():
            if self.state.current_player() == CHANCE:
                m.chance_step()
                continue
            movers = m.movers()
            if self.seat in movers:
                return
            observations = [m.observation(p) for p in movers]
            actions = []
            for o in observations:
                try:
                    answer = await self._opponent(o, limiter)
                except RedqueenError as err:  # a limit or a backend down: retry later
                    self.problem = str(err)
                    return
                actions.append(m.checked(o, answer))
                if m.forfeit is not None:
                    break
            if m.forfeit is None:
                m.apply(actions)
        self._finish()

    async def _opponent(self, obs: Observation, limiter: RateLimiter | None) -> int | str:
        agent = self.agents[obs.player]
        if not getattr(agent, "prefers_async", False):
            answer = agent.act(obs)
        else:
            if limiter is not None:
                if not limiter.allows(self.owner):
                    raise RateLimitedError(limiter.wait_seconds(self.owner))
                limiter.record(self.owner)
            with (
                LLMStore(self.run_dir / DB_NAME) as store,
                recording(self.key, _KeepCalls(store), self.names) as calls,
            ):
                calls.counters = self._counters  # call numbers run on across moves
                answer = await agent.aact(obs)
        move = _answer_text(self.state, obs, answer)
        self.log.append(f"player {obs.player} ({self.names[obs.player]}): {move}")
        return answer

    def _finish(self) -> None:
        if self.result is not None:
            return
        result = replace(self.match.result(), agents=tuple(self.names))
        self.result = result
        self.stored = HumanRuns.record(
            self.run_dir, self.key, self.seed, self.names, self.specs, result
        )
        try:
            from redqueen.report.html import write_report

            write_report(self.run_dir)
        except RedqueenError as err:  # the match is stored; only the report is behind
            self.problem = f"the match is stored, but its run's report was not rewritten: {err}"


def _answer_text(state: Any, obs: Observation, answer: object) -> str:
    """How the game writes the move ``answer`` (the observation of an agent that reads
    no text carries no move names, so they come from the state)."""
    if getattr(answer, "forfeit", False):
        return "forfeits the game"
    if isinstance(answer, str):
        return answer
    try:
        action = operator.index(answer)  # type: ignore[arg-type]
    except TypeError:
        action = None
    if action is None or action not in obs.legal_actions:
        return f"{answer!r}, not a legal move (a random legal move is played instead)"
    return str(state.action_text(action, obs.player))


async def start_session(
    *,
    owner: str,
    person: str,
    game: Game,
    seat: int,
    opponents: Sequence[tuple[Agent, AgentSpec]],
    runs: HumanRuns,
    seed: int | None = None,
    key: str | None = None,
    run_name: str | None = None,
    limiter: RateLimiter | None = None,
) -> PlaySession:
    """A new match: ``person`` in ``seat``, ``opponents`` in the other seats in order
    (one given for all of them is repeated), stored under ``key`` (``{session}`` in it
    stands for the session id; default ``human/{session}``); played up to the person's
    first move."""
    n = game.num_players
    if not 0 <= seat < n:
        raise InvalidParameterError(f"seat {seat}: allowed seats are 0..{n - 1}")
    others = list(opponents)
    if len(others) == 1 and n > 2:
        others = others * (n - 1)
    if len(others) != n - 1:
        raise InvalidParameterError(
            f"{game.id} has {n} seats: give one opponent for all other seats, or one per seat "
            f"({n - 1}); got {len(others)}"
        )
    human = BrowserHuman(person)
    agents: list[Agent] = []
    names: list[str] = []
    specs: list[dict[str, Any]] = []
    queue = iter(others)
    for p in range(n):
        if p == seat:
            agents.append(human)
            names.append(f"human:{person}")
            specs.append({"kind": "human", "params": {"name": person}})
        else:
            agent, spec = next(queue)
            agents.append(agent)
            names.append(spec.label())
            specs.append({"kind": spec.kind, "params": dict(spec.params)})
    session_id = secrets.token_urlsafe(12)
    session = PlaySession(
        id=session_id,
        owner=owner,
        person=person,
        game=game,
        seat=seat,
        agents=agents,
        names=names,
        specs=specs,
        seed=secrets.randbelow(2**31) if seed is None else int(seed),
        run_dir=runs.open(game, run_name),
        key=(key or "human/{session}").format(session=session_id),
    )
    await session.advance(limiter)
    return session
