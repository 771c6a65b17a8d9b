"""One match: agents take their seats and play a game to the end.

Randomness is explicit and split by role. ``seed`` feeds a ``SeedSequence`` that is
spawned into one stream for chance and one per seat, so an agent's random draws never
depend on what another agent or the dealer drew, and the same seed always gives the same
match, whatever runs it (inline, a process pool, Ray).

An agent may answer with an action id or with text naming a legal move (parsed as
``State.parse_action`` does). An answer that is not a legal move is counted against its
seat (``MatchResult.invalid_moves``); ``on_invalid`` says what happens next:
``"random"`` plays a uniformly random legal action for it from the seat's stream,
``"raise"`` stops the match with :class:`~redqueen.errors.IllegalActionError`.

In text-only games (``spec.text_actions``) agents answer with text, which the game
itself validates through ``State.apply_text_action``.

An agent that handles invalid replies itself (an LLM player re-asks its model) answers
with an action that carries ``invalid_moves`` (added to its seat's count) and may carry
``forfeit=True`` with ``forfeit_value``: the seat gives up, the match ends at once, the
seat scores ``forfeit_value`` and the other seats share what keeps a zero- or
constant-sum game's sum (in a general-sum game they keep their returns so far).
``MatchResult.forfeits`` counts forfeits per seat, apart from the game's own results.

Every return must be a finite number: a result with a NaN or infinite return is refused
where it is made (``MatchResult`` itself checks), with the game and the seat named, since
NaN compares false with everything and would pass silently as a loss for every seat.
A result also carries the range its returns come from (``return_bounds``: the game's
``min_utility`` and ``max_utility``, widened to include the match's returns where a
forfeit value lies outside them), which the standings and ratings use for intervals that
respect the bounds.
"""

from __future__ import annotations

import asyncio
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np

from redqueen.agents.core import Agent, Observation
from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
)
from redqueen.games.core import CHANCE, SIMULTANEOUS, Game, State, Step, sample_chance_outcome

OnInvalid = Literal["random", "raise"]
ON_INVALID_CHOICES: tuple[str, ...] = ("random", "raise")


@dataclass(frozen=True)
class MatchResult:
    """The outcome of one match."""

    game: str
    seed: int
    returns: tuple[float, ...]
    length: int
    """Transitions from the initial state to the end, chance outcomes included."""
    invalid_moves: tuple[int, ...]
    """Per seat: how many times the agent answered with an action that was not legal."""
    trajectory: tuple[Step, ...]
    agents: tuple[str, ...] = ()
    forfeits: tuple[int, ...] = ()
    """Per seat: 1 if the seat forfeited the match (empty in results stored before)."""
    return_bounds: tuple[float, float] | None = None
    """The range every return of the game lies in (None in results stored before)."""

    def __post_init__(self) -> None:
        for seat, value in enumerate(self.returns):
            if not math.isfinite(value):
                raise InvalidParameterError(
                    f"{self.game or 'the game'} gave seat {seat} the return {value}; returns "
                    f"must be finite numbers (all returns: {list(self.returns)})"
                )

    def to_dict(self) -> dict[str, Any]:
        return (
            {
                "game": self.game,
                "seed": self.seed,
                "returns": list(self.returns),
                "length": self.length,
                "invalid_moves": list(self.invalid_moves),
                "trajectory": [
                    [s.player, list(s.action) if isinstance(s.action, tuple) else s.action]
                    for s in self.trajectory
                ],
                "agents": list(self.agents),
            }
            | ({"forfeits": list(self.forfeits)} if self.forfeits else {})
            | (
                {"return_bounds": list(self.return_bounds)}
                if self.return_bounds is not None
                else {}
            )
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchResult:
        return cls(
            game=data["game"],
            seed=int(data["seed"]),
            returns=tuple(float(r) for r in data["returns"]),
            length=int(data["length"]),
            invalid_moves=tuple(int(i) for i in data["invalid_moves"]),
            trajectory=tuple(
                Step(
                    int(p), tuple(a) if isinstance(a, list) else a if isinstance(a, str) else int(a)
                )
                for p, a in data["trajectory"]
            ),
            agents=tuple(data.get("agents", ())),
            forfeits=tuple(int(f) for f in data.get("forfeits", ())),
            return_bounds=(
                (float(data["return_bounds"][0]), float(data["return_bounds"][1]))
                if data.get("return_bounds") is not None
                else None
            ),
        )


class MatchInProgress:
    """One match being played: its state, its agents and their random streams, the
    invalid moves counted so far, and each seat's observations. The sync and async loops
    (and the browser arena, which waits for a person between moves) drive it."""

    def __init__(self, game: Game, agents: Sequence[Agent], seed: int, on_invalid: str) -> None:
        n = game.num_players
        if len(agents) != n:
            raise InvalidParameterError(
                f"{game.id} needs {n} agents, one per seat; got {len(agents)}"
            )
        if on_invalid not in ON_INVALID_CHOICES:
            raise InvalidParameterError(
                f"on_invalid={on_invalid!r}; allowed: {', '.join(ON_INVALID_CHOICES)}"
            )
        self.game = game
        self.agents = list(agents)
        self.seed = int(seed)
        self.on_invalid = on_invalid
        streams = np.random.SeedSequence(self.seed).spawn(n + 1)
        self.chance_rng = np.random.default_rng(streams[0])
        self.seat_rngs = [np.random.default_rng(s) for s in streams[1:]]
        self.invalid = [0] * n
        self.forfeit: tuple[int, float] | None = None
        """(seat, its score) once a seat has forfeited."""
        self.seen: list[list[tuple[str, int | str]]] = [[] for _ in range(n)]
        self.perfect_information = game.spec.perfect_information
        self.text_actions = game.spec.text_actions
        # Seats whose agents read the text views; the others get observations without them.
        self.text_views = [self.text_actions or a.reads_text for a in self.agents]
        self.state = game.new_initial_state()
        for agent in {id(a): a for a in self.agents}.values():
            agent.check_game(game)
            agent.reset()

    def movers(self) -> list[int]:
        player = self.state.current_player()
        if player == SIMULTANEOUS:
            return list(range(self.game.num_players))
        return [player]

    def observation(self, player: int) -> Observation:
        state = self.state
        legal = [] if self.text_actions else state.legal_actions(player)
        views = self.text_views[player]
        return Observation(
            game=self.game,
            player=player,
            legal_actions=tuple(legal),
            legal_action_texts=tuple(state.action_text(a, player) for a in legal) if views else (),
            text=state.observation_text(player) if views else "",
            information_state_key=state.information_state_key(player),
            history=tuple(self.seen[player]),
            rng=self.seat_rngs[player],
            state=state.clone() if self.perfect_information else None,
            parser=None if self.text_actions else partial(state.parse_action, player=player),
        )

    def checked(self, obs: Observation, answer: object) -> int | str:
        if self.text_actions:
            if not isinstance(answer, str):
                raise IllegalActionError(answer, obs.player, [])
            self.seen[obs.player].append((obs.text, answer))
            return answer
        action: int | None
        self.invalid[obs.player] += int(getattr(answer, "invalid_moves", 0))
        if getattr(answer, "forfeit", False):
            value = getattr(answer, "forfeit_value", None)
            if value is None:
                value = self.game.spec.min_utility
            self.forfeit = (obs.player, float(value))
            return -1
        if isinstance(answer, str):
            try:
                action = obs.parse(answer)
            except ParseActionError:
                action = None
        else:
            try:
                action = operator.index(answer)  # type: ignore[arg-type]
            except TypeError:
                action = None
        if action is None or action not in obs.legal_actions:
            self.invalid[obs.player] += 1
            if self.on_invalid == "raise":
                texts = obs.legal_action_texts or tuple(
                    self.state.action_text(a, obs.player) for a in obs.legal_actions
                )
                raise IllegalActionError(
                    answer, obs.player, list(zip(obs.legal_actions, texts, strict=True))
                )
            rng = self.seat_rngs[obs.player]
            action = obs.legal_actions[int(rng.integers(len(obs.legal_actions)))]
        self.seen[obs.player].append((obs.text, action))
        return action

    def chance_step(self) -> None:
        self.state.apply_action(sample_chance_outcome(self.state, self.chance_rng))

    def apply(self, actions: list[int | str]) -> None:
        state = self.state
        if self.text_actions:
            player = state.current_player()
            if player == SIMULTANEOUS:
                raise RedqueenError("text-only games with simultaneous moves are not supported")
            try:
                state.apply_text_action(str(actions[0]), player)
            except IllegalActionError:
                self.invalid[player] += 1
                raise
        elif state.current_player() == SIMULTANEOUS:
            state.apply_joint_action([int(a) for a in actions])
        else:
            state.apply_action(int(actions[0]))

    def returns(self) -> tuple[float, ...]:
        returns = [float(r) for r in self.state.returns()]
        if self.forfeit is not None:
            seat, value = self.forfeit
            spec = self.game.spec
            others = [p for p in range(len(returns)) if p != seat]
            if spec.utility_sum is not None and others:
                share = (spec.utility_sum - value) / len(others)
                returns = [share] * len(returns)
            returns[seat] = value
        return tuple(returns)

    def result(self) -> MatchResult:
        history = self.state.history()
        judged = self.state.invalid_moves()  # invalid moves the game handled by its rules
        forfeits = [0] * self.game.num_players
        if self.forfeit is not None:
            forfeits[self.forfeit[0]] = 1
        returns = self.returns()
        spec = self.game.spec
        finite = [r for r in returns if math.isfinite(r)]
        bounds = (min([spec.min_utility, *finite]), max([spec.max_utility, *finite]))
        return MatchResult(
            game=self.game.id,
            seed=self.seed,
            returns=returns,
            length=len(history),
            invalid_moves=tuple(a + b for a, b in zip(self.invalid, judged, strict=True)),
            trajectory=tuple(history),
            agents=tuple(a.spec().label() for a in self.agents),
            forfeits=tuple(forfeits) if self.forfeit is not None else (),
            return_bounds=(float(bounds[0]), float(bounds[1])),
        )


def _play_classic_strategies(match: MatchInProgress) -> bool:
    """The fast path of a repeated 2x2 game with a fixed number of rounds and no noise
    between two classic strategies (:class:`~redqueen.agents.strategies.Strategy`, whose
    ``act`` is the base class's): each round asks both strategies for their moves
    directly, with the executed histories and each seat's own stream, exactly as their
    ``act`` does from an observation, and applies the joint move to the state. No
    observation, text view or legality check is built (a strategy's move is always
    0 or 1), so the match is several times quicker and its result is the same. Returns
    False, having done nothing, where the path does not apply."""
    from redqueen.agents.strategies.base import Strategy
    from redqueen.games.repeated import RepeatedGame

    game = match.game
    if (
        not isinstance(game, RepeatedGame)
        or game.noise > 0
        or game.continuation is not None
        or not all(isinstance(a, Strategy) and type(a).act is Strategy.act for a in match.agents)
    ):
        return False
    rng0, rng1 = match.seat_rngs
    mine: list[int] = []
    theirs: list[int] = []
    first, second = match.agents
    assert isinstance(first, Strategy) and isinstance(second, Strategy)
    first = first.take_seat(game, 0, mine, theirs)
    second = second.take_seat(game, 1, theirs, mine)
    state = match.state
    while not state.is_terminal():
        a = first.decide(mine, theirs, rng0)
        b = second.decide(theirs, mine, rng1)
        state.apply_joint_action((a, b))
        mine.append(a)
        theirs.append(b)
    return True


def replay(game: Game, trajectory: Sequence[Step]) -> State:
    """The state reached by applying ``trajectory`` (e.g. ``MatchResult.trajectory``)."""
    state = game.new_initial_state()
    for step in trajectory:
        if isinstance(step.action, tuple):
            state.apply_joint_action(list(step.action))
        elif isinstance(step.action, str):
            state.apply_text_action(step.action, step.player)
        else:
            state.apply_action(step.action)
    return state


def play_match(
    game: Game, agents: Sequence[Agent], seed: int = 0, *, on_invalid: OnInvalid = "random"
) -> MatchResult:
    """Play one match of ``game`` with ``agents[i]`` in seat ``i``."""
    match = MatchInProgress(game, agents, seed, on_invalid)
    if _play_classic_strategies(match):
        return match.result()
    state: State = match.state
    while not state.is_terminal():
        if state.current_player() == CHANCE:
            match.chance_step()
            continue
        actions: list[int | str] = []
        for player in match.movers():
            obs = match.observation(player)
            actions.append(match.checked(obs, match.agents[player].act(obs)))
            if match.forfeit is not None:
                break
        if match.forfeit is not None:
            break
        match.apply(actions)
    return match.result()


async def aplay_match(
    game: Game, agents: Sequence[Agent], seed: int = 0, *, on_invalid: OnInvalid = "random"
) -> MatchResult:
    """``play_match`` for agents that wait on I/O: at a simultaneous node every seat's
    ``aact`` runs concurrently. Same seed, same result as ``play_match``."""
    match = MatchInProgress(game, agents, seed, on_invalid)
    state: State = match.state
    while not state.is_terminal():
        if state.current_player() == CHANCE:
            match.chance_step()
            continue
        observations = [match.observation(p) for p in match.movers()]
        answers = await asyncio.gather(
            *(match.agents[obs.player].aact(obs) for obs in observations)
        )
        actions = [match.checked(obs, a) for obs, a in zip(observations, answers, strict=True)]
        if match.forfeit is not None:
            break
        match.apply(actions)
    return match.result()
