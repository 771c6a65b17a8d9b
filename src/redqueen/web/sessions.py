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

Nothing is lost when the server stops. After every request, and after every answer of
an LLM opponent, the match's inputs are written atomically to its run directory
(:mod:`redqueen.web.in_progress`); the record is deleted once the match is stored. When
the server starts, :func:`restore_sessions` plays every recorded match again from the
start: the same seed gives the same chance outcomes and the same random stream to every
seat, the person's requests are made again in order, and every opponent is asked again,
so agents that keep state within a match (a stuck detector, a reservoir network) are
rebuilt too. Every answer is checked against the record and the moves against its
trajectory; a match that does not replay to the same state is not resumed but listed
with the reason. Opponents that wait on I/O (LLMs) are not asked again: their recorded
answers are used and their seat's random stream is set to the state it had after each
answer, so no call already made is made again and the stream continues where it was.
Only a call whose answer had not been written when the server stopped is asked again
when the match goes on: the same seed and prompt, so answered from the run's LLM cache
(an agent with ``cache=false`` calls its model again). A restored match belongs to the
participant whose browser id hashes to the recorded hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import operator
import secrets
import time
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

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
from redqueen.web.in_progress import (
    Ask,
    GameRef,
    InProgressRecord,
    MoveRequest,
    RecordError,
    read_record,
    record_files,
    record_path,
    trajectory_json,
    write_json_atomically,
)
from redqueen.web.security import RateLimiter, check_agent_params, check_name

MAX_MESSAGE = 500
"""Characters a message of a cheap-talk game may have (the game may allow fewer)."""
STOPPED = "the server stopped before this opponent's answer was written"
_T = TypeVar("_T")


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
    return opponent_from_spec(parse_agent_spec(text), game, roots, text)


def opponent_from_spec(
    spec: AgentSpec, game: Game, roots: Sequence[Path], text: str | None = None
) -> tuple[Agent, AgentSpec]:
    """:func:`build_opponent` for a spec already parsed (``text`` names it in errors)."""
    text = text if text is not None else spec.label()
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


def participant_hash(participant_id: str) -> str:
    """What is written of a participant's browser id (the id is a credential)."""
    return hashlib.sha256(participant_id.encode()).hexdigest()


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
        """Write the call, unless the transcript has it already: a call made again after
        a restart, whose answer the match's record had not kept, comes from the cache
        with the same number and reply."""
        if any(
            c.seat == record.seat and c.call == record.call and c.reply == record.reply
            for c in self.store.calls(record.match_key)
        ):
            return
        self.store.record_call(record)

    def supersede(self, match_key: str) -> None:
        """Nothing to supersede: a browser match is played once."""


@dataclass
class PlaySession:
    """One person's match in progress (see the module docstring)."""

    id: str
    owner: str
    """The participant id of the person who started it; only they may move. A restored
    match knows only its hash until they come back (:meth:`claim`)."""
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
    owner_hash: str = ""
    started_at: float = field(default_factory=time.time)
    requests: list[MoveRequest] = field(default_factory=list)
    """The person's requests so far, as the record keeps them."""
    asks: list[Ask] = field(default_factory=list)
    """The opponents' answers so far, as the record keeps them."""
    _counters: dict[int, int] = field(default_factory=dict)
    _replay: list[Ask] | None = None
    """While a restored match is played again: the answers its record holds."""

    def __post_init__(self) -> None:
        if not self.owner_hash:
            self.owner_hash = participant_hash(self.owner)
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

    def belongs_to(self, participant: str) -> bool:
        """Whether ``participant`` (a browser id) started this match."""
        return bool(participant) and hmac.compare_digest(
            participant_hash(participant), self.owner_hash
        )

    def claim(self, participant: str) -> bool:
        """:meth:`belongs_to`; a restored match learns its owner's id here (the LLM limit
        counts per participant id)."""
        if not self.belongs_to(participant):
            return False
        self.owner = participant
        return True

    # ---- the record --------------------------------------------------------------------

    @property
    def record_path(self) -> Path:
        return record_path(self.run_dir, self.id)

    def record(self) -> InProgressRecord:
        """What :meth:`save` writes (see :mod:`redqueen.web.in_progress`)."""
        return InProgressRecord(
            id=self.id,
            key=self.key,
            owner_hash=self.owner_hash,
            person=self.person,
            game=GameRef(id=self.game.id, params=dict(self.game.params)),
            seat=self.seat,
            names=list(self.names),
            specs=[dict(s) for s in self.specs],
            seed=self.seed,
            study_item=self.study_item,
            started_at=self.started_at,
            requests=list(self.requests),
            asks=list(self.asks),
            trajectory=trajectory_json(self.state.history()),
            llm_calls=dict(self._counters),
            same_agent=[next(q for q, b in enumerate(self.agents) if b is a) for a in self.agents],
        )

    def save(self) -> None:
        """Write the record, atomically; nothing while a restored match is replayed, nor
        once the match is stored."""
        if self._replay is None and not self.finished:
            write_json_atomically(self.record_path, self.record().model_dump(mode="json"))

    # ---- playing -----------------------------------------------------------------------

    def waiting(self) -> Observation | None:
        """The person's observation when it is their move, else None."""
        if self.finished or self.state.is_terminal():
            return None
        if self.seat not in self.match.movers() or self.state.current_player() == CHANCE:
            return None
        return self.match.observation(self.seat)

    async def begin(self, limiter: RateLimiter | None = None) -> None:
        """Play up to the person's first move (or the end) and write the first record."""
        await self._advance(limiter)
        self.save()

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
        if message and len(message) > MAX_MESSAGE:
            raise InvalidParameterError(f"a message has at most {MAX_MESSAGE} characters")
        self.requests.append(MoveRequest(action=action, message=message))
        if message:
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
            self.save()
            return
        actions: list[int | str] = []
        for o, answer in zip(observations, answers, strict=True):
            actions.append(m.checked(o, answer))
            if m.forfeit is not None:
                break
        if m.forfeit is None:
            m.apply(actions)
        await self._advance(limiter)
        self.save()

    async def advance(self, limiter: RateLimiter | None = None) -> None:
        """Let the other seats try again (after an LLM limit or error): play chance and
        them until the person must move or the match ends."""
        self.requests.append(MoveRequest())
        await self._advance(limiter)
        self.save()

    async def _advance(self, limiter: RateLimiter | None) -> None:
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

    async def _opponent(self, obs: Observation, limiter: RateLimiter | None) -> object:
        agent = self.agents[obs.player]
        outside = getattr(agent, "prefers_async", False)
        if self._replay is not None:
            answer = self._replayed(obs, agent, outside)
        elif outside:
            answer = await self._ask_outside(obs, agent, limiter)
        else:
            answer = agent.act(obs)
            self.asks.append(Ask.of(obs.player, answer))
        move = _answer_text(self.state, obs, answer)
        self.log.append(f"player {obs.player} ({self.names[obs.player]}): {move}")
        return answer

    async def _ask_outside(
        self, obs: Observation, agent: Agent, limiter: RateLimiter | None
    ) -> object:
        """An opponent that waits on I/O (an LLM): its answer, or the error it met, is an
        input from outside, written to the record at once."""
        try:
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
        except RedqueenError as err:
            self.asks.append(Ask(seat=obs.player, error=str(err)))
            self.save()
            raise
        rng = dict(self.match.seat_rngs[obs.player].bit_generator.state)
        self.asks.append(Ask.of(obs.player, answer, rng))
        self.save()
        return answer

    def _replayed(self, obs: Observation, agent: Agent, outside: bool) -> object:
        """The answer of a restored match's opponent: an outside opponent's from the
        record (with its stream as it was after answering), any other asked again and
        checked against the record."""
        assert self._replay is not None
        n = len(self.asks)
        recorded = self._replay[n] if n < len(self._replay) else None
        if recorded is not None and recorded.seat != obs.player:
            raise _ReplayDiverged(
                f"answer {n} of the record is seat {recorded.seat}'s, but the replay asks "
                f"seat {obs.player}"
            )
        if outside:
            ask = recorded or Ask(seat=obs.player, error=STOPPED)
            self.asks.append(ask)
            if ask.error is not None:
                raise RedqueenError(ask.error)
            if ask.rng is not None:
                self.match.seat_rngs[obs.player].bit_generator.state = ask.rng
            return ask.answer_object()
        answer = agent.act(obs)
        ask = Ask.of(obs.player, answer)
        if recorded is not None and ask != recorded:
            raise _ReplayDiverged(
                f"seat {obs.player} ({self.names[obs.player]}) answers {ask.answer!r} where "
                f"the record has {recorded.answer!r} (answer {n}): the agent does not play "
                "the same from the same seed"
            )
        self.asks.append(ask)
        return answer

    def _finish(self) -> None:
        if self.result is not None:
            return
        result = replace(self.match.result(), agents=tuple(self.names))
        self.result = result
        self.stored = HumanRuns.record(
            self.run_dir, self.key, self.seed, self.names, self.specs, result
        )
        self.record_path.unlink(missing_ok=True)
        try:
            from redqueen.report.html import write_report

            write_report(self.run_dir)
        except RedqueenError as err:  # the match is stored; only the report is behind
            self.problem = f"the match is stored, but its run's report was not rewritten: {err}"


class _ReplayDiverged(Exception):
    """A restored match that does not play as its record says (not a RedqueenError, which
    ``play`` would take for an opponent's failure)."""


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
    study_item: int | None = None,
) -> PlaySession:
    """A new match: ``person`` in ``seat``, ``opponents`` in the other seats in order
    (one given for all of them is repeated), stored under ``key`` (``{session}`` in it
    stands for the session id; default ``human/{session}``); played up to the person's
    first move, its record written."""
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
        study_item=study_item,
    )
    await session.begin(limiter)
    return session


# ---- restoring matches after a restart ------------------------------------------------


@dataclass(frozen=True)
class Unrestorable:
    """A record of a match in progress that could not be restored, and why. The record
    is left where it is."""

    id: str
    path: Path
    reason: str


@dataclass
class Restored:
    sessions: list[PlaySession] = field(default_factory=list)
    problems: list[Unrestorable] = field(default_factory=list)


def restore_sessions(run_dirs: Iterable[Path], roots: Sequence[Path]) -> Restored:
    """The matches in progress recorded in ``run_dirs``, each played again to where its
    record ends (:func:`restore_session`). A record whose match is already stored (the
    server stopped between storing it and deleting the record) is deleted; one that cannot
    be read or does not replay is listed in ``problems``, never raised."""
    out = Restored()
    for run_dir in run_dirs:
        files = record_files(run_dir)
        if not files:
            continue
        with RunStore(run_dir) as store:
            stored = store.completed_keys()
        for path in files:
            try:
                record = read_record(path)
                if record.key in stored:
                    path.unlink(missing_ok=True)
                    continue
                out.sessions.append(restore_session(record, run_dir, roots))
            except Exception as err:  # a record is data read from disk: report it, start anyway
                reason = (
                    str(err) if isinstance(err, RedqueenError) else f"{type(err).__name__}: {err}"
                )
                out.problems.append(Unrestorable(path.stem, path, reason))
    return out


def restore_session(record: InProgressRecord, run_dir: Path, roots: Sequence[Path]) -> PlaySession:
    """The match of ``record``, played again from its seed and inputs to where the record
    ends (see the module docstring); :class:`RecordError` if it does not replay to the
    recorded moves. Its opponents are built and checked as a new match's are."""
    game = build_game(record.game.id, record.game.params)
    n = game.num_players
    if not 0 <= record.seat < n or len(record.names) != n or len(record.specs) != n:
        raise RecordError(
            f"the record of {record.id!r} has seat {record.seat}, {len(record.names)} names "
            f"and {len(record.specs)} agent specs; {game.id} has {n} seats"
        )
    person = check_name(record.person)
    if record.names[record.seat] != f"human:{person}":
        raise RecordError(f"seat {record.seat} of {record.id!r} is not human:{person}")
    same, seat = record.same_agent or list(range(n)), record.seat
    if len(same) != n or any(
        not 0 <= q <= p or same[q] != q or (p == seat) != (q == seat) for p, q in enumerate(same)
    ):
        raise RecordError(
            f"the record of {record.id!r} has same_agent {same}; allowed: for each seat, the "
            "first seat its agent plays (the person's seat its own)"
        )
    agents: list[Agent] = []
    for p, spec in enumerate(record.specs):
        if p == record.seat:
            agents.append(BrowserHuman(person))
            continue
        if same[p] != p:
            agents.append(agents[same[p]])
            continue
        kind, params = spec.get("kind"), spec.get("params", {})
        if not isinstance(kind, str) or not isinstance(params, dict):
            raise RecordError(f"seat {p} of {record.id!r} has no agent spec: {spec!r}")
        agents.append(opponent_from_spec(AgentSpec(kind, dict(params)), game, roots)[0])
    session = PlaySession(
        id=record.id,
        owner="",
        person=person,
        game=game,
        seat=record.seat,
        agents=agents,
        names=list(record.names),
        specs=[dict(s) for s in record.specs],
        seed=record.seed,
        run_dir=Path(run_dir),
        key=record.key,
        study_item=record.study_item,
        owner_hash=record.owner_hash,
        started_at=record.started_at,
    )
    session._replay = list(record.asks)
    try:
        _without_waiting(session._advance(None))
        for request in record.requests:
            if request.action is None:
                _without_waiting(session.advance(None))
            else:
                _without_waiting(session.play(request.action, request.message, None))
    except _ReplayDiverged as err:
        raise RecordError(f"match {record.id!r} does not replay as recorded: {err}") from None
    if len(session.asks) < len(record.asks):
        raise RecordError(
            f"match {record.id!r} does not replay as recorded: the replay used "
            f"{len(session.asks)} of the record's {len(record.asks)} answers"
        )
    played = trajectory_json(session.state.history())
    if played[: len(record.trajectory)] != record.trajectory:
        step = next(
            (i for i, (a, b) in enumerate(zip(played, record.trajectory, strict=False)) if a != b),
            len(played),
        )
        raise RecordError(
            f"match {record.id!r} does not replay as recorded: move {step} differs "
            f"(recorded {record.trajectory[step]!r}, replayed "
            f"{played[step] if step < len(played) else 'nothing'!r})"
        )
    session._replay = None
    session._counters = dict(record.llm_calls)
    session.save()
    return session


def _without_waiting(coro: Coroutine[Any, Any, _T]) -> _T:
    """Run ``coro`` to its end at once. Replaying a match asks no opponent that waits on
    I/O (their answers come from the record), so it never suspends, and a server that is
    starting (with or without an event loop) can restore matches before it serves."""
    try:
        coro.send(None)
    except StopIteration as done:
        return done.value
    coro.close()
    raise RecordError("replaying the match waited on I/O, which a replay never does")
