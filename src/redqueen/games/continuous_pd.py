"""The continuous prisoner's dilemma: each round both players choose how much to cooperate.

Body-Reservoir Governance (Nakamura 2026, arXiv:2602.20846; code
``Nakammura/Body-Reservoir-Governance-in-Repeated-Games``, ``simulation/src/*.rs``) plays
a repeated prisoner's dilemma whose actions are degrees of cooperation ``a`` in ``[0, 1]``.
The stage payoff is bilinear, the expected payoff of mixed play::

    pi(a_i, a_j) = R a_i a_j + S a_i (1 - a_j) + T (1 - a_i) a_j + P (1 - a_i)(1 - a_j)

with ``R = 3, S = 0, T = 5, P = 1`` (:func:`stage_payoff`). At ``a = 1`` (cooperate) and
``a = 0`` (defect) it is the ordinary dilemma.

The Game contract has integer actions, so this game plays the continuum on a grid:
``levels`` evenly spaced cooperation levels ``0, 1/(levels - 1), ..., 1`` (default 11:
steps of 0.1), chosen simultaneously each round for ``rounds`` rounds. With
``levels = 2`` it is the iterated prisoner's dilemma with the same payoffs. This keeps
every invariant ``check_game`` asserts (enumerable actions, parse/print of each level)
while any agent that thinks in continuous actions snaps to the nearest level
(:meth:`ContinuousPDGame.level_of`). The BRG experiments themselves, thousands of steps
against fixed schedules, run on exact continuous actions with the same
:func:`stage_payoff` in :mod:`redqueen.agents.reservoir`; the game is how those agents meet
any other redqueen agent.

Returns are the sums of the stage payoffs so far. Both players see every earlier round
(perfect monitoring); the information-state key is the round and the joint history.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import (
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)
from redqueen.games.matrix import format_number
from redqueen.games.params import integer, number

MAX_LEVELS = 1001
MAX_ROUNDS = 1_000_000
BRG_PAYOFFS = {"R": 3.0, "S": 0.0, "T": 5.0, "P": 1.0}
"""The payoffs of BRG (and of Axelrod's tournaments)."""


def stage_payoff(
    own: ArrayLike,
    other: ArrayLike,
    R: float = 3.0,
    S: float = 0.0,
    T: float = 5.0,
    P: float = 1.0,
) -> NDArray[np.float64]:
    """``R a b + S a (1 - b) + T (1 - a) b + P (1 - a)(1 - b)`` for own cooperation ``a``
    and the other's ``b`` (elementwise over arrays)."""
    a = np.asarray(own, dtype=np.float64)
    b = np.asarray(other, dtype=np.float64)
    return R * a * b + S * a * (1 - b) + T * (1 - a) * b + P * (1 - a) * (1 - b)


class ContinuousPDView(NamedTuple):
    """What both players know: the round and every earlier round's levels (ids)."""

    round: int
    history: tuple[tuple[int, int], ...]


class ContinuousPDGame(Game):
    """The continuous PD on a grid of levels; build it with :func:`continuous_pd`."""

    def __init__(
        self, *, rounds: int, levels: int, payoffs: dict[str, float], params: dict[str, Any]
    ) -> None:
        self.rounds = rounds
        self.levels = tuple(k / (levels - 1) for k in range(levels))
        self.payoffs = dict(payoffs)
        best = max(payoffs.values())
        worst = min(payoffs.values())
        super().__init__(
            GameSpec(
                id="continuous_pd",
                num_players=2,
                num_distinct_actions=levels,
                max_game_length=rounds,
                min_utility=rounds * worst,
                max_utility=rounds * best,
                dynamics=Dynamics.SIMULTANEOUS,
                chance=ChanceMode.NONE,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                params=params,
            )
        )

    def new_initial_state(self) -> ContinuousPDState:
        return ContinuousPDState(self)

    def level_of(self, cooperation: float) -> int:
        """The action id of the level nearest to ``cooperation`` (clipped to [0, 1])."""
        x = min(1.0, max(0.0, float(cooperation)))
        return round(x * (len(self.levels) - 1))

    def payoff(self, own: float, other: float) -> float:
        """The stage payoff of cooperation ``own`` against ``other``."""
        return float(stage_payoff(own, other, **self.payoffs))

    def level_text(self, action: int) -> str:
        return f"cooperate {format_number(round(self.levels[action], 6))}"

    def rules_text(self) -> str:
        p = {k: format_number(v) for k, v in self.payoffs.items()}
        grid = ", ".join(format_number(round(x, 6)) for x in self.levels)
        return "\n".join(
            [
                f"A continuous prisoner's dilemma for two players, {self.rounds} rounds.",
                f"Each round both players choose at once how much to cooperate, a level from "
                f"0 (defect) to 1 (cooperate): one of {grid}.",
                f"If you cooperate a and the other b, you earn {p['R']}*a*b + {p['S']}*a*(1-b) "
                f"+ {p['T']}*(1-a)*b + {p['P']}*(1-a)*(1-b): {p['R']} each for full "
                f"cooperation, {p['P']} each for full defection, {p['T']} for defecting on a "
                f"cooperator, who gets {p['S']}.",
                "After each round both players see both levels. Your score is the sum of your "
                "payoffs. Answer like 'cooperate 0.7'.",
            ]
        )


class ContinuousPDState(State):
    """A point in the continuous PD: the joint levels played so far and the totals."""

    __slots__ = ("_joint", "_totals")

    _game: ContinuousPDGame

    def __init__(self, game: ContinuousPDGame) -> None:
        super().__init__(game)
        self._joint: list[tuple[int, int]] = []
        self._totals = [0.0, 0.0]

    def current_player(self) -> int:
        return TERMINAL if len(self._joint) >= self._game.rounds else SIMULTANEOUS

    def _legal_actions(self, player: int) -> list[int]:
        return list(range(len(self._game.levels)))

    def _is_legal(self, player: int, action: int) -> bool:
        return (
            self.current_player() == SIMULTANEOUS
            and player in (0, 1)
            and 0 <= action < len(self._game.levels)
        )

    def _apply_action(self, action: int) -> None:  # unreachable: no sequential nodes
        raise RedqueenError("the continuous PD has only simultaneous nodes")

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        g = self._game
        a, b = g.levels[actions[0]], g.levels[actions[1]]
        self._totals[0] += g.payoff(a, b)
        self._totals[1] += g.payoff(b, a)
        self._joint.append((actions[0], actions[1]))

    def returns(self) -> list[float]:
        return list(self._totals)

    def cooperation_history(self) -> list[tuple[float, float]]:
        """Each finished round's cooperation levels (player 0, player 1)."""
        levels = self._game.levels
        return [(levels[a], levels[b]) for a, b in self._joint]

    def information_state_key(self, player: int) -> Hashable:
        if player not in (0, 1):
            raise RedqueenError(f"no player {player} in continuous_pd; players are 0 and 1")
        return ContinuousPDView(len(self._joint), tuple(self._joint))

    def _action_text(self, player: int, action: int) -> str:
        return self._game.level_text(action)

    def observation_text(self, player: int) -> str:
        if player not in (0, 1):
            raise RedqueenError(f"no player {player} in continuous_pd; players are 0 and 1")
        g = self._game
        lines = [
            f"Continuous prisoner's dilemma. You are player {player}. Round "
            f"{min(len(self._joint) + 1, g.rounds)} of {g.rounds}; your score so far: "
            f"{format_number(round(self._totals[player], 6))}."
        ]
        for k, (x, y) in enumerate(self.cooperation_history()[-5:]):
            n = max(0, len(self._joint) - 5) + k + 1
            own, other = (x, y) if player == 0 else (y, x)
            lines.append(
                f"Round {n}: you cooperated {format_number(round(own, 6))}, the other "
                f"{format_number(round(other, 6))}."
            )
        if self.is_terminal():
            lines.append("The game is over.")
        else:
            lines.append("Choose how much to cooperate, e.g. 'cooperate 0.5'.")
        return "\n".join(lines)


def continuous_pd(
    *,
    rounds: int = 10,
    levels: int = 11,
    R: float = 3.0,
    S: float = 0.0,
    T: float = 5.0,
    P: float = 1.0,
) -> ContinuousPDGame:
    """The continuous prisoner's dilemma of BRG: ``rounds`` simultaneous rounds, actions
    on a grid of ``levels`` cooperation levels in [0, 1], the bilinear stage payoff with
    ``R, S, T, P`` (a dilemma needs ``T > R > P > S``)."""
    rounds = integer("rounds", rounds, 1, MAX_ROUNDS)
    levels = integer("levels", levels, 2, MAX_LEVELS)
    r, s, t, p = (number(k, v, -1e9, 1e9) for k, v in (("R", R), ("S", S), ("T", T), ("P", P)))
    if not t > r > p > s:
        raise InvalidParameterError(
            f"a prisoner's dilemma needs T > R > P > S; got T={T}, R={R}, P={P}, S={S}"
        )
    params = {"rounds": rounds, "levels": levels, "R": R, "S": S, "T": T, "P": P}
    return ContinuousPDGame(
        rounds=rounds, levels=levels, payoffs={"R": r, "S": s, "T": t, "P": p}, params=params
    )
