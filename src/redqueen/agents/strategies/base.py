"""The base of the classic strategies for repeated 2x2 games, and a fast match loop.

A :class:`Strategy` is an :class:`~redqueen.agents.core.Agent` that plays seat 0 or 1 of a
repeated 2x2 game (:mod:`redqueen.games.repeated`). It reads the executed history of
earlier rounds from the observation's information-state key (``(phase, executed, ...)``
where ``executed`` holds one ``(seat 0's move, seat 1's move)`` pair per round), turns it
into its own moves and the other player's, and asks the subclass for ``move(my_history,
their_history, rng)``: 0 (cooperate) or 1 (defect), in the stage game's action order.

This follows the Axelrod library (Knight et al. 2016, "An open reproducible framework for
the study of the iterated prisoner's dilemma", J. Open Research Software 4(1)): a
strategy sees the executed moves (a move flipped by noise is seen as flipped, by both
players), it may know the match length and the payoffs (``self.match``, for the
strategies that the library marks as making use of them), and it remembers the moves it
chose itself (``self.intended``, which differs from the executed ones only under noise).

Per-match state lives on a fresh copy of the strategy for each seat (``fresh()``), so one
agent object can sit in both seats of a self-play match. Stochastic strategies draw only
from the Generator they are handed (the observation's), so a seeded match is repeatable.

:func:`play_strategies` plays two strategies against each other without the game tree:
the same moves as :func:`redqueen.play.play_match` on the repeated game without noise
(same seed, same per-seat streams), at a fraction of the cost, for tests and tournaments.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

import numpy as np

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.strategies.machine import C, D, Machine, choose
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import Game

__all__ = [
    "INF",
    "PD_PAYOFFS",
    "C",
    "D",
    "MatchInfo",
    "Record",
    "Strategy",
    "choose",
    "classify",
    "opponent_moves",
    "play_strategies",
    "probability",
]

PD_PAYOFFS: tuple[tuple[float, float], tuple[float, float]] = ((3.0, 0.0), (5.0, 1.0))
"""Axelrod's prisoner's dilemma from one seat: ``[my move][their move]`` with
R = 3, S = 0, T = 5, P = 1."""


@dataclass(frozen=True)
class MatchInfo:
    """What a strategy may know about the match it plays (one seat's view)."""

    rounds: int | None = None
    """The number of rounds when it is fixed; ``None`` with a continuation probability."""
    payoffs: tuple[tuple[float, float], tuple[float, float]] = PD_PAYOFFS
    """This seat's stage payoff ``[my move][their move]``."""
    noise: float = 0.0
    their_payoffs: tuple[tuple[float, float], tuple[float, float]] = PD_PAYOFFS
    """The other seat's stage payoff ``[their move][my move]`` (equal to ``payoffs`` in
    a symmetric game)."""

    def rpst(self) -> tuple[float, float, float, float]:
        """``(R, P, S, T)``: reward, punishment, sucker's payoff, temptation."""
        (r, s), (t, p) = self.payoffs
        return r, p, s, t

    def score(self, mine: int, theirs: int) -> float:
        """This seat's payoff for a round with moves ``mine`` and ``theirs``."""
        return self.payoffs[mine][theirs]

    def their_score(self, mine: int, theirs: int) -> float:
        """The other seat's payoff for a round with moves ``mine`` and ``theirs``."""
        return self.their_payoffs[theirs][mine]

    @classmethod
    def of(cls, game: Game, player: int) -> MatchInfo:
        """The view of seat ``player`` of the repeated 2x2 ``game``."""
        from redqueen.games.repeated import RepeatedGame

        if not isinstance(game, RepeatedGame):
            raise RedqueenError(
                "classic strategies play repeated 2x2 games (redqueen.make('repeated', ...)); "
                f"got {game.spec.id!r}"
            )
        rounds = game.rounds if game.continuation is None else None
        return cls(
            rounds=rounds,
            payoffs=_seat_payoffs(game, player),
            noise=game.noise,
            their_payoffs=_seat_payoffs(game, 1 - player),
        )


def _seat_payoffs(game: Any, player: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Seat ``player``'s payoffs ``[own move][other's move]`` in a repeated 2x2 game."""
    rows = game.stage.payoff_rows(player)
    if player == 0:
        return ((rows[0][0], rows[0][1]), (rows[1][0], rows[1][1]))
    return ((rows[0][0], rows[1][0]), (rows[0][1], rows[1][1]))


@dataclass
class _Seat:
    player: Strategy
    mine: list[int] = field(default_factory=list)
    theirs: list[int] = field(default_factory=list)


class Strategy(Agent):
    """A classic strategy for a repeated 2x2 game (see the module docstring).

    Subclasses set ``strategy_name`` (the registry name), ``title`` (the usual name, as
    the Axelrod library spells it), ``classifier`` and, where the Axelrod library has the
    strategy, ``axelrod`` (its class name there); they implement :meth:`move`. Parameters
    are keyword arguments of ``__init__``, returned by :meth:`params`.
    """

    name = "strategy"
    reads_text = False
    strategy_name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    classifier: ClassVar[dict[str, Any]] = {}
    axelrod: ClassVar[str | None] = None
    window: ClassVar[int | None] = None
    """Set when the move is a function of the last ``window`` rounds alone (and of how
    many rounds were played while that is fewer): :meth:`machine` then compiles it."""

    def __init__(self) -> None:
        self.match = MatchInfo()
        self.intended: list[int] = []
        self._seats: dict[int, _Seat] = {}

    # ---- to implement --------------------------------------------------------------------

    @abstractmethod
    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        """This round's move, 0 (cooperate) or 1 (defect), given both executed histories."""

    def start(self) -> None:
        """Called once ``self.match`` is set, before the first move of a match."""

    def params(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this strategy."""
        return {}

    def machine(self) -> Machine | None:
        """This strategy as a finite-state machine, or ``None`` when it is not one."""
        if self.window is None:
            return None
        depth = self.window

        def policy(mine: tuple[int, ...], theirs: tuple[int, ...]) -> float:
            return 1.0 if self.fresh().move(list(mine), list(theirs), None) == C else 0.0  # type: ignore[arg-type]

        return Machine.from_window(depth, policy)

    # ---- the machinery -------------------------------------------------------------------

    def fresh(self, match: MatchInfo | None = None) -> Self:
        """A new copy with the same parameters and no memory, set up for ``match``."""
        twin = type(self)(**self.params())
        twin.match = match if match is not None else self.match
        twin.start()
        return twin

    def decide(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        """``move`` plus the bookkeeping of the intended moves."""
        action = self.move(my_history, their_history, rng)
        self.intended.append(action)
        return action

    def take_seat(self, game: Game, seat: int, mine: list[int], theirs: list[int]) -> Strategy:
        """A fresh copy set up for ``seat`` of the repeated 2x2 ``game``, kept (with the
        executed histories ``mine`` and ``theirs``, which the caller extends) as
        :meth:`act` keeps it. For loops that call :meth:`decide` directly."""
        player = self.fresh(MatchInfo.of(game, seat))
        self._seats[seat] = _Seat(player, mine, theirs)
        return player

    def act(self, obs: Observation) -> int:
        key = obs.information_state_key
        executed: tuple[tuple[int, int], ...] = key[1]  # type: ignore[index]
        player = obs.player
        seat = self._seats.get(player)
        if seat is None or not executed or len(executed) < len(seat.mine):
            seat = _Seat(self.fresh(MatchInfo.of(obs.game, player)))
            self._seats[player] = seat
        other = 1 - player
        for pair in executed[len(seat.mine) :]:
            seat.mine.append(pair[player])
            seat.theirs.append(pair[other])
        return seat.player.decide(seat.mine, seat.theirs, obs.rng)

    def check_game(self, game: Game) -> None:
        from redqueen.games.repeated import RepeatedGame

        if not isinstance(game, RepeatedGame) or any(
            game.stage.num_actions(p) != 2 for p in (0, 1)
        ):
            raise RedqueenError(
                f"strategy {self.strategy_name!r} plays repeated 2x2 games "
                "(redqueen.make('repeated', stage='prisoners_dilemma', ...)); "
                f"got {game.spec.id!r}"
            )

    def reset(self) -> None:
        self._seats.clear()

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"name": self.strategy_name, **self.params()})

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"<Strategy {self.strategy_name}{'(' + params + ')' if params else ''}>"


def classify(
    memory_depth: float,
    *,
    stochastic: bool = False,
    makes_use_of: tuple[str, ...] = (),
    long_run_time: bool = False,
) -> dict[str, Any]:
    """A classifier as the Axelrod library records it: ``memory_depth`` (rounds of history
    the strategy looks at; ``math.inf`` for unbounded), ``stochastic``, ``makes_use_of``
    (``"length"``: the number of rounds; ``"game"``: the payoffs) and ``long_run_time``."""
    return {
        "memory_depth": memory_depth,
        "stochastic": stochastic,
        "makes_use_of": frozenset(makes_use_of),
        "long_run_time": long_run_time,
    }


INF = math.inf


def probability(value: Any, name: str) -> float:
    """``value`` as a probability in [0, 1], or an InvalidParameterError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidParameterError(f"{name} must be a number in [0, 1]; got {value!r}")
    out = float(value)
    if math.isnan(out) or not 0.0 <= out <= 1.0:
        raise InvalidParameterError(f"{name} must be in [0, 1]; got {value!r}")
    return out


@dataclass(frozen=True)
class Record:
    """The moves and scores of one match between two strategies."""

    moves: tuple[tuple[int, int], ...]
    scores: tuple[float, float]

    def moves_of(self, player: int) -> list[int]:
        return [pair[player] for pair in self.moves]


def play_strategies(
    first: Strategy,
    second: Strategy,
    turns: int = 200,
    *,
    seed: int = 0,
    noise: float = 0.0,
    payoffs: tuple[tuple[float, float], tuple[float, float]] = PD_PAYOFFS,
    known_length: bool = True,
) -> Record:
    """Play ``first`` (seat 0) against ``second`` (seat 1) for ``turns`` rounds of the
    symmetric game ``payoffs`` (one seat's ``[my move][their move]``).

    The seeds split as in :func:`redqueen.play.play_match` (one stream for chance, one per
    seat), so without noise the moves equal that of a match on the repeated game with the
    same seed. Noise flips each executed move independently with probability ``noise``.
    ``known_length=False`` hides the number of rounds from the strategies (as a
    continuation probability would)."""
    if turns < 0:
        raise InvalidParameterError(f"turns must be >= 0; got {turns}")
    noise = probability(noise, "noise")
    streams = np.random.SeedSequence(seed).spawn(3)
    chance = np.random.default_rng(streams[0])
    rngs = (np.random.default_rng(streams[1]), np.random.default_rng(streams[2]))
    info = MatchInfo(
        rounds=turns if known_length else None,
        payoffs=payoffs,
        noise=noise,
        their_payoffs=payoffs,
    )
    a, b = first.fresh(info), second.fresh(info)
    ha: list[int] = []
    hb: list[int] = []
    moves: list[tuple[int, int]] = []
    sa = sb = 0.0
    for _ in range(turns):
        ma = a.decide(ha, hb, rngs[0])
        mb = b.decide(hb, ha, rngs[1])
        if noise > 0.0:
            if chance.random() < noise:
                ma = 1 - ma
            if chance.random() < noise:
                mb = 1 - mb
        ha.append(ma)
        hb.append(mb)
        moves.append((ma, mb))
        sa += payoffs[ma][mb]
        sb += payoffs[mb][ma]
    return Record(tuple(moves), (sa, sb))


def opponent_moves(first: Strategy, their_moves: Sequence[int], seed: int = 0) -> list[int]:
    """``first``'s moves against a fixed sequence of the other player's moves (the
    length of the match is ``len(their_moves)``)."""
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(3)[1])
    player = first.fresh(MatchInfo(rounds=len(their_moves)))
    mine: list[int] = []
    theirs: list[int] = []
    for o in their_moves:
        mine.append(player.decide(mine, theirs, rng))
        theirs.append(int(o))
    return mine
