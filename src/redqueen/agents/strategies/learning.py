"""Strategies that learn during the match: Bush-Mosteller reinforcement and Q-learning.

Bush-Mosteller (Bush & Mosteller 1955, *Stochastic Models for Learning*; in the
prisoner's dilemma, Macy & Flache 2002, "Learning dynamics in social dilemmas", PNAS
99) keeps a propensity for each move; after each round the propensity of the move just
played grows or shrinks with the stimulus (payoff - aspiration) / (max payoff -
aspiration), clipped below at -1, and the strategy cooperates with probability
p_C / (p_C + p_D).

The Q-learners (Watkins & Dayan 1992, "Q-learning", Machine Learning 8) take as state
the other's last 12 moves and its number of cooperations, reward the payoff of the last
round, and choose greedily with probability 0.9 and at random otherwise; the four
variants differ in learning rate and discount (Axelrod library: Risky 0.9/0.9, Arrogant
0.9/0.1, Hesitant 0.1/0.9, Cautious 0.1/0.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from redqueen.agents.strategies.base import INF, C, D, Strategy, choose, classify, probability
from redqueen.errors import InvalidParameterError


class BushMosteller(Strategy):
    """Bush-Mosteller reinforcement learning (Bush & Mosteller 1955; Macy & Flache 2002;
    Axelrod library defaults: propensities 0.5, aspiration max payoff / 3, rate 0.5)."""

    strategy_name = "bush_mosteller"
    title = "Bush Mosteller"
    axelrod = "BushMosteller"
    classifier = classify(INF, stochastic=True, makes_use_of=("game",))

    def __init__(
        self,
        c_prob: float = 0.5,
        d_prob: float = 0.5,
        aspiration_level_divider: float = 3.0,
        learning_rate: float = 0.5,
    ) -> None:
        self.c_prob = probability(c_prob, "c_prob")
        self.d_prob = probability(d_prob, "d_prob")
        if self.c_prob + self.d_prob <= 0:
            raise InvalidParameterError("c_prob and d_prob must not both be 0")
        self.aspiration_level_divider = float(aspiration_level_divider)
        if self.aspiration_level_divider <= 1.0:
            raise InvalidParameterError(
                "aspiration_level_divider must be > 1 (the aspiration is the largest payoff "
                f"divided by it); got {aspiration_level_divider!r}"
            )
        self.learning_rate = probability(learning_rate, "learning_rate")
        super().__init__()
        self._c, self._d = self.c_prob, self.d_prob
        self._aspiration = 0.0

    def params(self) -> dict[str, Any]:
        return {
            "c_prob": self.c_prob,
            "d_prob": self.d_prob,
            "aspiration_level_divider": self.aspiration_level_divider,
            "learning_rate": self.learning_rate,
        }

    def start(self) -> None:
        self._aspiration = abs(max(self.match.rpst()) / self.aspiration_level_divider)

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        if my_history:
            best = max(self.match.rpst())
            payoff = self.match.score(my_history[-1], their_history[-1])
            stimulus = max(-1.0, (payoff - self._aspiration) / abs(best - self._aspiration))
            rate = self.learning_rate
            if my_history[-1] == C:
                grow = 1 - self._c if stimulus >= 0 else self._c
                self._c += rate * stimulus * grow
            else:
                grow = 1 - self._d if stimulus >= 0 else self._d
                self._d += rate * stimulus * grow
        return choose(self._c / (self._c + self._d), rng)


class RiskyQLearner(Strategy):
    """Q-learning with learning rate 0.9 and discount 0.9, exploring 10% of the time
    (Watkins & Dayan 1992; Axelrod library's Risky QLearner)."""

    strategy_name = "risky_q_learner"
    title = "Risky QLearner"
    axelrod = "RiskyQLearner"
    classifier = classify(INF, stochastic=True, makes_use_of=("game",))

    learning_rate = 0.9
    discount_rate = 0.9
    exploration = 0.1
    memory_length = 12

    def __init__(self) -> None:
        super().__init__()
        self._prev_action = C
        self._prev_state = ""
        self._q: dict[str, list[float]] = {"": [0.0, 0.0]}
        self._v: dict[str, float] = {"": 0.0}

    def _state(self, their_history: Sequence[int]) -> str:
        window = their_history[-self.memory_length :] if their_history else []
        cooperations = len(their_history) - sum(their_history)
        return "".join("CD"[a] for a in window) + f"{float(cooperations):.1f}"

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        if not my_history:
            self._prev_action = choose(0.5, rng)
        state = self._state(their_history)
        their_last = their_history[-1] if their_history else choose(0.5, rng)
        reward = self.match.score(self._prev_action, their_last)
        if state not in self._q:
            self._q[state] = [0.0, 0.0]
            self._v[state] = 0.0
        q = self._q[self._prev_state]
        q[self._prev_action] = (1.0 - self.learning_rate) * q[
            self._prev_action
        ] + self.learning_rate * (reward + self.discount_rate * self._v[state])
        self._v[self._prev_state] = max(q)
        if rng.random() < 1.0 - self.exploration:
            values = self._q[state]
            action = C if values[C] >= values[D] else D
        else:
            action = choose(0.5, rng)
        self._prev_state = state
        self._prev_action = action
        return action


class ArrogantQLearner(RiskyQLearner):
    """Q-learning with learning rate 0.9 and discount 0.1 (Axelrod library)."""

    strategy_name = "arrogant_q_learner"
    title = "Arrogant QLearner"
    axelrod = "ArrogantQLearner"
    discount_rate = 0.1


class HesitantQLearner(RiskyQLearner):
    """Q-learning with learning rate 0.1 and discount 0.9 (Axelrod library)."""

    strategy_name = "hesitant_q_learner"
    title = "Hesitant QLearner"
    axelrod = "HesitantQLearner"
    learning_rate = 0.1


class CautiousQLearner(RiskyQLearner):
    """Q-learning with learning rate 0.1 and discount 0.1 (Axelrod library)."""

    strategy_name = "cautious_q_learner"
    title = "Cautious QLearner"
    axelrod = "CautiousQLearner"
    learning_rate = 0.1
    discount_rate = 0.1
