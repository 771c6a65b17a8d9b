"""Repeated matrix games: a stage game played round after round, with optional noise.

The iterated prisoner's dilemma is the laboratory of the evolution of cooperation: Axelrod's
tournaments fixed the number of rounds (200 in the first, Axelrod 1980; also the Axelrod
library's default); his second tournament and most of theory end each round with a fixed
probability instead (a "shadow of the future" ``w``; Axelrod 1984, ch. 2; Fudenberg & Tirole
1991, ch. 5), and execution noise -- a move that comes out as the opposite of what was
intended -- is what separates forgiving strategies from merely retaliatory ones (Bendor,
Kramer & Stout 1991; Wu & Axelrod 1995).

``repeated_game`` builds all of these on any :class:`~redqueen.games.matrix.MatrixGame`:

- length: ``rounds=R`` exactly, or ``continuation=p``: after every round a chance node
  chooses "continue" (probability p) or "stop" (1 - p), so the number of rounds is
  geometric with mean 1/(1 - p); the game also ends after ``max_rounds`` (then the mean
  is (1 - p**max_rounds) / (1 - p)). With neither, 200 rounds.
- noise ``eps``: after both players choose, a chance node decides the executed moves.
  Each player's move is independently kept with probability 1 - eps or replaced with
  probability eps: by the other action in a two-action game, by a uniformly random
  different action otherwise. The outcome id is the executed joint action
  ``e0 * n + e1`` (n: the column player's number of actions). With eps = 0 there is no
  noise node.

Each player's return is the sum of its stage payoffs so far, so ``returns()`` is
meaningful mid-game. Each player sees the whole executed history and its own intended
moves (so it knows when its own move was flipped) but not the other's intentions: a
flipped move of the other player looks like a deliberate one, as in the literature.

Every step does O(1) work: payoffs are accumulated, and the text of the history is
built lazily, once per round, only when a text view is asked for.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping
from typing import Any

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)
from redqueen.games.matrix import MatrixGame, capitalise, format_number

DEFAULT_ROUNDS = 200
"""Rounds when neither ``rounds`` nor ``continuation`` is given (Axelrod 1980)."""

STAGE_GAMES = (
    "battle_of_the_sexes",
    "chicken",
    "matching_pennies",
    "matrix",
    "ordinal_2x2",
    "prisoners_dilemma",
    "rock_paper_scissors",
    "stag_hunt",
)
"""The registered matrix games a repeated game can be built on (``stage=``)."""

_DECIDE, _NOISE, _CONTINUE, _OVER = 0, 1, 2, 3
_PHASE_NAMES = ("decide", "noise", "continue", "over")
CONTINUE, STOP = 0, 1
"""Outcome ids of the continuation chance node."""


class RepeatedGame(Game):
    """A matrix game repeated for a fixed number of rounds or with a continuation
    probability, with optional execution noise. Build it with :func:`repeated_game`."""

    def __init__(
        self,
        stage: MatrixGame,
        *,
        rounds: int | None,
        continuation: float | None,
        max_rounds: int,
        noise: float,
        params: Mapping[str, Any],
    ) -> None:
        self.stage = stage
        self.rounds = rounds
        self.continuation = continuation
        self.max_rounds = max_rounds
        self.noise = noise
        self.name = f"repeated {stage.name}"
        self._a = stage.payoff_rows(0)
        self._b = stage.payoff_rows(1)
        self._n = (stage.num_actions(0), stage.num_actions(1))
        self._names = (tuple(stage.action_names(0)), tuple(stage.action_names(1)))
        self._noise_cache: dict[tuple[int, int], tuple[list[tuple[int, float]], frozenset[int]]]
        self._noise_cache = {}
        self._views = (self._header(0), self._header(1))

        sspec = stage.spec
        lo, hi = sspec.min_utility, sspec.max_utility
        per_round = 2 if noise > 0 else 1
        utility, utility_sum = sspec.utility, sspec.utility_sum
        if continuation is None:
            assert rounds is not None
            max_length = rounds * per_round
            min_u, max_u = rounds * lo, rounds * hi
            if utility_sum is not None:
                utility_sum = rounds * utility_sum
        else:
            max_length = max_rounds * per_round + (max_rounds - 1)
            min_u, max_u = min(lo, max_rounds * lo), max(hi, max_rounds * hi)
            if utility != UtilityKind.ZERO_SUM:
                # a constant c per round sums to c * (number of rounds), which is random
                utility, utility_sum = UtilityKind.GENERAL_SUM, None
        noise_outcomes = (self._n[0] if self._n[0] > 1 else 1) * (
            self._n[1] if self._n[1] > 1 else 1
        )
        super().__init__(
            GameSpec(
                id="repeated",
                num_players=2,
                num_distinct_actions=sspec.num_distinct_actions,
                max_game_length=max_length,
                min_utility=float(min_u),
                max_utility=float(max_u),
                dynamics=Dynamics.SIMULTANEOUS,
                chance=(
                    ChanceMode.EXPLICIT
                    if noise > 0 or continuation is not None
                    else ChanceMode.NONE
                ),
                utility=utility,
                utility_sum=utility_sum,
                perfect_information=False,
                max_chance_outcomes=max(
                    noise_outcomes if noise > 0 else 0, 2 if continuation is not None else 0
                ),
                params=dict(params),
            )
        )

    def new_initial_state(self) -> RepeatedState:
        return RepeatedState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(6 + H * (n0 + n1),)``, plus ``(H + 1) * k`` with noise, where ``H`` is the
        most rounds a play can have (``rounds``, or ``max_rounds`` with a continuation
        probability), ``n0``/``n1`` the seats' numbers of actions and ``k`` the larger."""
        horizon = self.rounds if self.continuation is None else self.max_rounds
        assert horizon is not None
        size = 6 + horizon * (self._n[0] + self._n[1])
        if self.noise > 0:
            size += (horizon + 1) * max(self._n)
        return (size,)

    def player_name(self, player: int) -> str:
        return self.stage.player_name(player)

    def expected_rounds(self) -> float:
        """The expected number of rounds: ``rounds``, or (1 - p**max_rounds) / (1 - p)."""
        if self.continuation is None:
            assert self.rounds is not None
            return float(self.rounds)
        p = self.continuation
        return (1.0 - p**self.max_rounds) / (1.0 - p)

    def noise_outcomes(self, intended: tuple[int, int]) -> list[tuple[int, float]]:
        """The noise node's outcomes ``[(e0 * n + e1, probability), ...]`` when the players
        intended the joint action ``intended``; empty when there is no noise."""
        if self.noise <= 0:
            return []
        return list(self._noise(intended[0], intended[1])[0])

    def _noise(self, i: int, j: int) -> tuple[list[tuple[int, float]], frozenset[int]]:
        cached = self._noise_cache.get((i, j))
        if cached is None:
            n = self._n[1]
            outcomes = sorted(
                (e0 * n + e1, q0 * q1)
                for e0, q0 in self._flips(0, i)
                for e1, q1 in self._flips(1, j)
            )
            cached = (outcomes, frozenset(a for a, _ in outcomes))
            self._noise_cache[(i, j)] = cached
        return cached

    def _flips(self, player: int, action: int) -> list[tuple[int, float]]:
        """(executed action, probability) for one player's intended ``action``."""
        m = self._n[player]
        if m == 1:
            return [(action, 1.0)]
        eps = self.noise
        other = eps if m == 2 else eps / (m - 1)
        return [(e, 1.0 - eps if e == action else other) for e in range(m)]

    # ---- text ----------------------------------------------------------------------------

    def _length_rule(self) -> str:
        if self.continuation is None:
            return f"The game lasts exactly {self.rounds} rounds."
        return (
            f"After each round, another round follows with probability "
            f"{format_number(self.continuation)} and the game ends otherwise (on average "
            f"{format_number(round(self.expected_rounds(), 2))} rounds); it ends after "
            f"{self.max_rounds} rounds at the latest."
        )

    def _noise_rule(self) -> str:
        how = (
            "by the other move"
            if max(self._n) <= 2
            else "by a different move chosen uniformly at random"
        )
        return (
            f"Noise: each chosen move is carried out as chosen with probability "
            f"{format_number(1 - self.noise)} and replaced {how} with probability "
            f"{format_number(self.noise)}, "
            "independently for the two players; payoffs follow the moves carried out. "
            "You learn when your own move was replaced, but not when the other player's was."
        )

    def _header(self, player: int) -> str:
        other = 1 - player
        lines = [
            f"{capitalise(self.name)}. You are {self.stage.player_name(player)}; the other "
            f"player is {self.stage.player_name(other)}.",
            "Each round you both choose at the same time; payoffs per round: "
            + "; ".join(self.stage.outcome_lines(player))
            + ".",
            self._length_rule() + " Your score is the sum of your payoffs over all rounds.",
        ]
        if self.noise > 0:
            lines.append(self._noise_rule())
        return "\n".join(lines)

    def rules_text(self) -> str:
        m, n = self._n
        parts = [
            f"{capitalise(self.name)}: two players play the stage game below against each "
            "other round after round.",
            "In every round both players choose at the same time, without seeing the other's "
            f"choice. Player 0 (row) chooses one of {m} actions: {', '.join(self._names[0])}. "
            f"Player 1 (column) chooses one of {n} actions: {', '.join(self._names[1])}.",
            "Stage game payoffs, each cell giving (player 0's payoff, player 1's payoff):",
            self.stage.payoff_table(),
        ]
        if self.stage.note:
            parts.append(self.stage.note)
        parts.append(self._length_rule())
        if self.noise > 0:
            parts.append(self._noise_rule())
        parts += [
            "Each player's score is the sum of its stage payoffs over all rounds played; "
            "each player wants to maximise its own score.",
            "After every round both players see the moves carried out by both and the "
            "payoffs; the whole history of earlier rounds stays visible.",
        ]
        return "\n".join(parts)

    # ---- value semantics -----------------------------------------------------------------

    def _identity(self) -> tuple[Any, ...]:
        return (self.stage, self.rounds, self.continuation, self.max_rounds, self.noise)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RepeatedGame):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


class RepeatedState(State):
    """A point in a repeated game: a decision, a noise or a continuation node, or the end."""

    __slots__ = ("_executed", "_intended", "_lines", "_pending", "_phase", "_u0", "_u1")

    _game: RepeatedGame

    def __init__(self, game: RepeatedGame) -> None:
        super().__init__(game)
        self._phase = _DECIDE
        self._executed: list[tuple[int, int]] = []
        self._intended: tuple[list[int], list[int]] = ([], [])
        self._pending: tuple[int, int] | None = None
        self._u0 = 0.0
        self._u1 = 0.0
        self._lines: tuple[list[str], list[str]] = ([], [])

    # ---- the tree ------------------------------------------------------------------------

    def current_player(self) -> int:
        phase = self._phase
        if phase == _DECIDE:
            return SIMULTANEOUS
        if phase == _OVER:
            return TERMINAL
        return CHANCE

    def _legal_actions(self, player: int) -> list[int]:
        return list(range(self._game._n[player]))

    def _is_legal(self, player: int, action: int) -> bool:
        phase = self._phase
        if phase == _DECIDE:
            return player in (0, 1) and 0 <= action < self._game._n[player]
        if player != CHANCE:
            return False
        if phase == _NOISE:
            assert self._pending is not None
            return action in self._game._noise(*self._pending)[1]
        return phase == _CONTINUE and action in (CONTINUE, STOP)

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        if self._game.noise > 0:
            self._pending = (actions[0], actions[1])
            self._phase = _NOISE
        else:
            self._finish_round(actions[0], actions[1], actions[0], actions[1])

    def _apply_action(self, action: int) -> None:
        if self._phase == _NOISE:
            assert self._pending is not None
            i0, i1 = self._pending
            self._pending = None
            e0, e1 = divmod(action, self._game._n[1])
            self._finish_round(i0, i1, e0, e1)
        elif self._phase == _CONTINUE:
            self._phase = _DECIDE if action == CONTINUE else _OVER
        else:  # unreachable: the public methods only call this at chance nodes
            raise RedqueenError("no sequential decision nodes in a repeated matrix game")

    def _finish_round(self, i0: int, i1: int, e0: int, e1: int) -> None:
        game = self._game
        self._executed.append((e0, e1))
        if game.noise > 0:
            self._intended[0].append(i0)
            self._intended[1].append(i1)
        self._u0 += game._a[e0][e1]
        self._u1 += game._b[e0][e1]
        done = len(self._executed)
        if game.continuation is None:
            assert game.rounds is not None
            self._phase = _OVER if done >= game.rounds else _DECIDE
        else:
            self._phase = _OVER if done >= game.max_rounds else _CONTINUE

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        if self._phase == _NOISE:
            assert self._pending is not None
            return list(self._game._noise(*self._pending)[0])
        p = self._game.continuation
        assert self._phase == _CONTINUE and p is not None
        return [(CONTINUE, p), (STOP, 1.0 - p)]

    def returns(self) -> list[float]:
        return [self._u0, self._u1]

    # ---- what happened -------------------------------------------------------------------

    def rounds(self) -> list[tuple[int, int]]:
        """The executed joint action of every completed round, in order."""
        return list(self._executed)

    def intended(self) -> list[tuple[int, int]]:
        """The intended joint action of every completed round (equal to ``rounds()``
        when there is no noise)."""
        if self._game.noise <= 0:
            return list(self._executed)
        return list(zip(self._intended[0], self._intended[1], strict=True))

    @property
    def rounds_played(self) -> int:
        return len(self._executed)

    def information_state_key(self, player: int) -> Hashable:
        if player not in (0, 1):
            raise RedqueenError(f"players are 0 and 1; got {player!r}")
        executed = tuple(self._executed)
        if self._game.noise <= 0:
            return (self._phase, executed)
        pending = None if self._pending is None else self._pending[player]
        return (self._phase, executed, tuple(self._intended[player]), pending)

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The whole history, not a window, so that within a seat equal keys give equal
        tensors and different keys different ones: one-hot seat (2), one-hot phase (4:
        decide, noise, continue, over), then for each round of the horizon ``H`` the
        executed actions of both seats (one-hot, ``n0 + n1`` entries; zeros for rounds not
        played). With noise, then this seat's intended action of each round (``H`` slots of
        ``k = max(n0, n1)``) and its pending intended action at a noise node (``k``)."""
        if player not in (0, 1):
            raise RedqueenError(f"players are 0 and 1; got {player!r}")
        game = self._game
        n0, n1 = game._n
        horizon = game.rounds if game.continuation is None else game.max_rounds
        assert horizon is not None
        out = np.zeros(game.information_state_tensor_shape(), dtype=np.float32)
        out[player] = 1.0
        out[2 + self._phase] = 1.0
        width = n0 + n1
        played = len(self._executed)
        if played:
            executed = np.array(self._executed, dtype=np.int64)
            starts = 6 + width * np.arange(played)
            out[starts + executed[:, 0]] = 1.0
            out[starts + n0 + executed[:, 1]] = 1.0
        if game.noise > 0:
            k = max(n0, n1)
            base = 6 + horizon * width
            intended = self._intended[player]
            if intended:
                out[base + k * np.arange(len(intended)) + np.array(intended)] = 1.0
            if self._pending is not None:
                out[base + horizon * k + self._pending[player]] = 1.0
        return out

    # ---- text ----------------------------------------------------------------------------

    def observation_text(self, player: int) -> str:
        game = self._game
        if player not in (0, 1):
            raise RedqueenError(f"players are 0 and 1; got {player!r}")
        names = game._names[player]
        done = len(self._executed)
        parts = [game._views[player]]
        if self._phase == _DECIDE:
            total = f" of {game.rounds}" if game.continuation is None else ""
            parts.append(f"This is round {done + 1}{total}.")
        elif self._phase == _NOISE:
            assert self._pending is not None
            parts.append(
                f"Round {done + 1}: you chose {names[self._pending[player]]}; the moves are "
                "being carried out (noise may replace them)."
            )
        elif self._phase == _CONTINUE:
            parts.append(
                f"Round {done} is over; chance decides whether round {done + 1} is played."
            )
        else:
            parts.append(f"The game is over after {done} round{'s' if done != 1 else ''}.")
        if done:
            parts.append("History (moves carried out and payoffs):")
            parts.extend(self._history_lines(player))
        else:
            parts.append("No rounds played yet.")
        mine, theirs = (self._u0, self._u1) if player == 0 else (self._u1, self._u0)
        parts.append(f"Totals: you {format_number(mine)}, they {format_number(theirs)}.")
        if self._phase == _DECIDE:
            parts.append(f"Choose your move for round {done + 1}: {', '.join(names)}.")
        return "\n".join(parts)

    def _history_lines(self, player: int) -> list[str]:
        """One line per completed round, built once and kept (O(1) per new round)."""
        lines = self._lines[player]
        if len(lines) < len(self._executed):
            game = self._game
            other = 1 - player
            mine_names, their_names = game._names[player], game._names[other]
            payoffs = (game._a, game._b)
            noisy = game.noise > 0
            for k in range(len(lines), len(self._executed)):
                e = self._executed[k]
                move = mine_names[e[player]]
                if noisy and self._intended[player][k] != e[player]:
                    move += (
                        f" (you chose {mine_names[self._intended[player][k]]}; noise replaced it)"
                    )
                lines.append(
                    f"  round {k + 1}: you {move}, they {their_names[e[other]]} -> "
                    f"you {format_number(payoffs[player][e[0]][e[1]])}, "
                    f"they {format_number(payoffs[other][e[0]][e[1]])}"
                )
        return lines

    def __str__(self) -> str:
        game = self._game
        text = (
            f"{game.name}: {len(self._executed)} rounds played, totals "
            f"{format_number(self._u0)}, {format_number(self._u1)}, "
            f"next: {_PHASE_NAMES[self._phase]}"
        )
        if self._pending is not None:
            text += f", intended {self._pending}"
        if self._executed:
            text += f"; executed {self._executed}"
            if game.noise > 0:
                text += f"; intended {self.intended()}"
        return text

    def _action_text(self, player: int, action: int) -> str:
        game = self._game
        if player in (0, 1):
            names = game._names[player]
            if not 0 <= action < len(names):
                raise RedqueenError(
                    f"player {player} has actions 0..{len(names) - 1}; got action {action!r}"
                )
            return names[action]
        if player == CHANCE and self._phase == _CONTINUE and action in (CONTINUE, STOP):
            return "continue" if action == CONTINUE else "stop"
        if player == CHANCE and self._phase == _NOISE:
            assert self._pending is not None
            i = self._pending
            e = divmod(action, game._n[1])
            if not (0 <= e[0] < game._n[0]):
                raise RedqueenError(f"no noise outcome {action!r} here")
            changes = [
                f"player {p}'s {game._names[p][i[p]]} becomes {game._names[p][e[p]]}"
                for p in (0, 1)
                if e[p] != i[p]
            ]
            return "; ".join(changes) if changes else "no move replaced"
        raise RedqueenError(
            "pass player=0 or player=1 to action_text (action ids name different moves for "
            f"each seat); player {player} has no action {action!r} here"
        )

    def clone(self) -> RepeatedState:
        twin = RepeatedState.__new__(RepeatedState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._phase = self._phase
        twin._executed = list(self._executed)
        twin._intended = (list(self._intended[0]), list(self._intended[1]))
        twin._pending = self._pending
        twin._u0 = self._u0
        twin._u1 = self._u1
        twin._lines = (list(self._lines[0]), list(self._lines[1]))
        return twin


# ---- the factory ------------------------------------------------------------------------


def repeated_game(
    *,
    stage: str = "prisoners_dilemma",
    stage_params: Mapping[str, Any] | None = None,
    payoffs: Any = None,
    rounds: int | None = None,
    continuation: float | None = None,
    max_rounds: int = 1000,
    noise: float = 0.0,
) -> RepeatedGame:
    """A matrix game played repeatedly by the same two players.

    The stage game is ``stage`` (one of :data:`STAGE_GAMES`, built with ``stage_params``)
    or, instead, ``payoffs=[A, B]`` (shorthand for ``stage="matrix",
    stage_params={"payoffs": [A, B]}``; giving it with ``stage_params`` or another
    ``stage`` is an error). Give at most one of ``rounds`` (exactly that many
    rounds) and ``continuation`` (probability in (0, 1) that another round follows each
    round, decided by an explicit chance node); with neither, :data:`DEFAULT_ROUNDS`.
    ``max_rounds`` caps the length either way. ``noise`` in [0, 1) is the probability
    that each player's move is replaced by a different one (see the module docstring).

    >>> g = repeated_game(stage="prisoners_dilemma", rounds=10, noise=0.05)
    >>> g.spec.max_game_length
    20
    """
    if payoffs is not None:
        if stage_params is not None or stage not in ("prisoners_dilemma", "matrix"):
            raise InvalidParameterError(
                "give the stage game either as stage= (with stage_params=) or as "
                "payoffs=[A, B], not both"
            )
        stage, stage_params = "matrix", {"payoffs": payoffs}
    stage_game = _stage_game(stage, stage_params)

    max_rounds = _positive_int(max_rounds, "max_rounds")
    if rounds is not None and continuation is not None:
        raise InvalidParameterError(
            "give rounds (a fixed number of rounds) or continuation (the probability of "
            f"another round), not both; got rounds={rounds!r}, continuation={continuation!r}"
        )
    p: float | None = None
    if continuation is not None:
        p = _real(continuation, "continuation")
        if not 0.0 < p < 1.0:
            raise InvalidParameterError(
                f"continuation must be a probability strictly between 0 and 1; got {p}"
            )
        rounds = None
    else:
        rounds = DEFAULT_ROUNDS if rounds is None else _positive_int(rounds, "rounds")
        if rounds > max_rounds:
            raise InvalidParameterError(
                f"rounds={rounds} exceeds max_rounds={max_rounds}; raise max_rounds"
            )
    eps = _real(noise, "noise")
    if not 0.0 <= eps < 1.0:
        raise InvalidParameterError(f"noise must be in [0, 1); got {eps}")

    params: dict[str, Any] = {"stage": stage, "stage_params": dict(stage_game.params)}
    if p is None:
        params["rounds"] = rounds
    else:
        params["continuation"] = p
    params["max_rounds"] = max_rounds
    params["noise"] = eps
    return RepeatedGame(
        stage_game,
        rounds=rounds,
        continuation=p,
        max_rounds=max_rounds,
        noise=eps,
        params=params,
    )


def _stage_game(stage: Any, stage_params: Mapping[str, Any] | None) -> MatrixGame:
    from redqueen.games.registry import make, registered

    if not isinstance(stage, str) or stage not in registered():
        raise UnknownNameError("stage game", str(stage), STAGE_GAMES)
    if stage_params is not None and not isinstance(stage_params, Mapping):
        raise InvalidParameterError(
            f"stage_params must be a dict of the stage game's parameters; got {stage_params!r}"
        )
    game = make(stage, **dict(stage_params or {}))
    if not isinstance(game, MatrixGame):
        raise InvalidParameterError(
            f"stage {stage!r} is not a matrix game; allowed: {', '.join(STAGE_GAMES)}"
        )
    return game


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidParameterError(f"{name} must be an integer >= 1; got {value!r}")
    return int(value)


def _real(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InvalidParameterError(f"{name} must be a number; got {value!r}")
    out = float(value)
    if math.isnan(out):
        raise InvalidParameterError(f"{name} must be a number; got NaN")
    return out
