"""The entries of Axelrod's first computer tournament (Axelrod 1980, "Effective choice in
the prisoner's dilemma", J. Conflict Resolution 24(1)), as the Axelrod library
reconstructed them from the paper and the surviving Fortran (Knight et al. 2016; the
library's ``axelrod_first`` module, whose names and behaviour are matched here).

Fourteen programs and RANDOM played a round robin of 200-round matches with payoffs
R = 3, S = 0, T = 5, P = 1; Tit For Tat (Rapoport) won. Implemented here: Davis,
Downing, Feld, Graaskamp, Grofman, Joss, Nydegger, Shubik, Stein and Rapoport, Tideman
and Chieruzzi, Tullock and the anonymous entry; Tit For Tat and RANDOM live in
:mod:`~redqueen.agents.strategies.reciprocal` and
:mod:`~redqueen.agents.strategies.basic`. Stein and Rapoport and Tideman and
Chieruzzi know the length of the match and defect in its last two rounds, as in the
library (they do not when the length is not fixed).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from redqueen.agents.strategies.base import INF, C, D, Strategy, choose, classify, probability
from redqueen.agents.strategies.memory_one import MemoryOne


def _chisquare_pvalue(cooperations: int, defections: int) -> float:
    """The p-value of Pearson's chi-squared test that C and D are equally likely."""
    from scipy.stats import chisquare

    return float(chisquare([cooperations, defections]).pvalue)


def _final_rounds(strategy: Strategy, rounds_played: int, action: int) -> int:
    """Defect in the last two rounds of a match of known length."""
    length = strategy.match.rounds
    if length is not None and length - 2 <= rounds_played < length:
        return D
    return action


class FirstByDavis(Strategy):
    """Davis: cooperates for 10 rounds, then plays Grudger (Axelrod 1980, 8th)."""

    strategy_name = "first_by_davis"
    title = "First by Davis"
    axelrod = "FirstByDavis"
    classifier = classify(INF)

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if len(my_history) < 10:
            return C
        return D if D in their_history else C


class FirstByDowning(Strategy):
    """Downing: estimates the probabilities that the other cooperates after its own C
    (alpha) and after its own D (beta), and plays the move with the higher expected
    payoff, switching on ties; it opens with D, D (Axelrod 1980, 10th; Downing 1975)."""

    strategy_name = "first_by_downing"
    title = "First by Downing"
    axelrod = "FirstByDowning"
    classifier = classify(INF, makes_use_of=("game",))

    def __init__(self) -> None:
        super().__init__()
        self._after_c = 0
        self._after_d = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        turn = len(my_history)
        if turn == 0:
            return D
        if turn == 1:
            if their_history[-1] == C:
                self._after_c += 1
            return D
        if their_history[-1] == C:
            if my_history[-2] == C:
                self._after_c += 1
            else:
                self._after_d += 1
        defections = sum(my_history)
        alpha = self._after_c / (turn - defections + 1)
        beta = self._after_d / max(defections, 2)
        r, p, s, t = self.match.rpst()
        cooperate = alpha * r + (1 - alpha) * s
        defect = beta * t + (1 - beta) * p
        if cooperate > defect:
            return C
        if cooperate < defect:
            return D
        return D if my_history[-1] == C else C


class FirstByFeld(Strategy):
    """Feld: Tit For Tat that answers a cooperation with C only with a probability
    falling linearly from 1 to 0.5 over 200 rounds (Axelrod 1980, 11th)."""

    strategy_name = "first_by_feld"
    title = "First by Feld"
    axelrod = "FirstByFeld"
    classifier = classify(200, stochastic=True)

    def __init__(
        self,
        start_coop_prob: float = 1.0,
        end_coop_prob: float = 0.5,
        rounds_of_decay: int = 200,
    ) -> None:
        self.start_coop_prob = probability(start_coop_prob, "start_coop_prob")
        self.end_coop_prob = probability(end_coop_prob, "end_coop_prob")
        self.rounds_of_decay = int(rounds_of_decay)
        super().__init__()

    def params(self) -> dict[str, Any]:
        return {
            "start_coop_prob": self.start_coop_prob,
            "end_coop_prob": self.end_coop_prob,
            "rounds_of_decay": self.rounds_of_decay,
        }

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        if not their_history:
            return C
        if their_history[-1] == D:
            return D
        slope = (self.end_coop_prob - self.start_coop_prob) / self.rounds_of_decay
        p = max(self.start_coop_prob + slope * len(my_history), self.end_coop_prob)
        return choose(p, rng)


class FirstByGraaskamp(Strategy):
    """Graaskamp: Tit For Tat for 50 rounds, a defection in round 51, Tit For Tat up to
    round 56; then defects forever against an opponent that looks random (chi-squared
    test at ``alpha``), plays Tit For Tat against itself or Tit For Tat, and otherwise
    cooperates with a defection every 5 to 15 rounds (Axelrod 1980, 9th)."""

    strategy_name = "first_by_graaskamp"
    title = "First by Graaskamp"
    axelrod = "FirstByGraaskamp"
    classifier = classify(INF, stochastic=True)

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = probability(alpha, "alpha")
        super().__init__()
        self._random_opponent = False
        self._next_defection: int | None = None

    def params(self) -> dict[str, Any]:
        return {"alpha": self.alpha}

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        turn = len(my_history)
        if turn == 0:
            return C
        if turn < 56:
            return D if their_history[-1] == D or turn == 50 else C
        defections = sum(their_history)
        p_value = _chisquare_pvalue(turn - defections, defections)
        self._random_opponent = p_value >= self.alpha or self._random_opponent
        if self._random_opponent:
            return D
        if all(their_history[i] == my_history[i - 1] for i in range(1, turn)) or list(
            their_history
        ) == list(my_history):
            return their_history[-1]
        if self._next_defection is None:
            self._next_defection = int(rng.integers(5, 15)) + turn
        if turn == self._next_defection:
            self._next_defection = int(rng.integers(5, 15)) + turn
            return D
        return C


class FirstByGrofman(Strategy):
    """Grofman: cooperates when both played the same last round, and otherwise with
    probability 2/7 (Axelrod 1980, 4th)."""

    strategy_name = "first_by_grofman"
    title = "First by Grofman"
    axelrod = "FirstByGrofman"
    classifier = classify(1, stochastic=True)

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        if not my_history or my_history[-1] == their_history[-1]:
            return C
        return choose(2 / 7, rng)

    def machine(self) -> Any:
        from redqueen.agents.strategies.machine import Machine

        return Machine.memory_one((1.0, 2 / 7, 2 / 7, 1.0), 1.0)


class FirstByJoss(MemoryOne):
    """Joss: Tit For Tat that defects instead of cooperating with probability 1 - p
    (0.1): (p, 0, p, 0) (Axelrod 1980, 12th)."""

    strategy_name = "first_by_joss"
    title = "First by Joss"
    axelrod = "FirstByJoss"
    classifier = classify(1, stochastic=True)

    def __init__(self, p: float = 0.9) -> None:
        self.p = probability(p, "p")
        super().__init__((self.p, 0.0, self.p, 0.0))

    def params(self) -> dict[str, Any]:
        return {"p": self.p}


class FirstByNydegger(Strategy):
    """Nydegger: Tit For Tat for three rounds (defecting in round 3 after D, C), then
    scores the last three rounds as A = 16 a1 + 4 a2 + a3 (a = 0 for CC, 2 for CD, 1 for
    DC, 3 for DD) and defects when A is one of 19 listed values (Axelrod 1980, 3rd)."""

    strategy_name = "first_by_nydegger"
    title = "First by Nydegger"
    axelrod = "FirstByNydegger"
    classifier = classify(3)
    window = 3

    _DEFECT_ON = frozenset(
        {1, 6, 7, 17, 22, 23, 26, 29, 30, 31, 33, 38, 39, 45, 49, 54, 55, 58, 61}
    )
    _SCORE: ClassVar[dict[tuple[int, int], int]] = {(C, C): 0, (C, D): 2, (D, C): 1, (D, D): 3}

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        turn = len(my_history)
        if turn == 0:
            return C
        if turn == 1:
            return their_history[-1]
        if turn == 2:
            if (their_history[0], their_history[1]) == (D, C):
                return D
            return their_history[-1]
        a = sum(
            weight * self._SCORE[(my_history[i], their_history[i])]
            for i, weight in ((-1, 16), (-2, 4), (-3, 1))
        )
        return D if a in self._DEFECT_ON else C


class FirstByShubik(Strategy):
    """Shubik: Tit For Tat whose retaliations grow: the k-th retaliation (started when
    the other defects after its cooperation) lasts k rounds (Axelrod 1980, 5th)."""

    strategy_name = "first_by_shubik"
    title = "First by Shubik"
    axelrod = "FirstByShubik"
    classifier = classify(INF)

    def __init__(self) -> None:
        super().__init__()
        self._length = 0
        self._remaining = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not their_history:
            return C
        if self._remaining > 0:
            self._remaining -= 1
            return D
        if their_history[-1] == D and my_history[-1] == C:
            self._length += 1
            self._remaining = self._length - 1
            return D
        return C


class FirstBySteinAndRapoport(Strategy):
    """Stein and Rapoport: cooperates for 4 rounds, then Tit For Tat; every 15 rounds
    it tests whether the other looks random (chi-squared test at ``alpha``) and then
    defects until the next test; it defects in the last two rounds (Axelrod 1980,
    6th)."""

    strategy_name = "first_by_stein_and_rapoport"
    title = "First by Stein and Rapoport"
    axelrod = "FirstBySteinAndRapoport"
    classifier = classify(INF, makes_use_of=("length",))

    def __init__(self, alpha: float = 0.05) -> None:
        self.alpha = probability(alpha, "alpha")
        super().__init__()
        self._random_opponent = False

    def params(self) -> dict[str, Any]:
        return {"alpha": self.alpha}

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        played = len(my_history)
        return _final_rounds(self, played, self._move(played, their_history))

    def _move(self, played: int, their_history: Sequence[int]) -> int:
        round_number = played + 1
        if round_number < 5:
            return C
        if round_number < 15:
            return their_history[-1]
        if round_number % 15 == 0:
            defections = sum(their_history)
            p_value = _chisquare_pvalue(played - defections, defections)
            self._random_opponent = p_value >= self.alpha
        return D if self._random_opponent else their_history[-1]


class FirstByTidemanAndChieruzzi(Strategy):
    """Tideman and Chieruzzi: Tit For Tat with retaliations that grow by one round per
    defection run, plus a "fresh start" (cooperate twice and forget the grudges) when it
    leads by 10 points, at least 10 rounds remain, 20 rounds have passed since the last
    fresh start, the other just cooperated and its number of defections is 3 standard
    deviations from what a random player would make; it defects in the last two rounds
    (Axelrod 1980, 2nd)."""

    strategy_name = "first_by_tideman_and_chieruzzi"
    title = "First by Tideman and Chieruzzi"
    axelrod = "FirstByTidemanAndChieruzzi"
    classifier = classify(INF, makes_use_of=("game", "length"))

    def __init__(self) -> None:
        super().__init__()
        self._retaliating = False
        self._retaliation_length = 0
        self._remaining = 0
        self._score = 0.0
        self._their_score = 0.0
        self._last_fresh_start = 0
        self._fresh_start = False
        self._defections_seen = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        played = len(my_history)
        return _final_rounds(self, played, self._move(my_history, their_history))

    def _retaliate(self) -> int:
        self._remaining -= 1
        if self._remaining == 0:
            self._retaliating = False
        return D

    def _move(self, my_history: Sequence[int], their_history: Sequence[int]) -> int:
        if not their_history:
            return C
        mine, theirs = my_history[-1], their_history[-1]
        if theirs == D:
            self._defections_seen += 1
        self._score += self.match.score(mine, theirs)
        self._their_score += self.match.their_score(mine, theirs)
        if self._fresh_start:
            self._fresh_start = False
            return C
        current_round = len(my_history) + 1
        if self._last_fresh_start == 0 or current_round - self._last_fresh_start >= 20:
            length = self.match.rounds
            rounds_left = math.inf if length is None else length - current_round
            if self._score - self._their_score >= 10 and rounds_left >= 10 and theirs == C:
                n = len(their_history)
                std = (n ** (1 / 2)) / 2
                lower, upper = n / 2 - 3 * std, n / 2 + 3 * std
                if self._defections_seen <= lower or self._defections_seen >= upper:
                    self._last_fresh_start = current_round
                    self._retaliating = False
                    self._retaliation_length = 0
                    self._remaining = 0
                    self._defections_seen = 0
                    self._fresh_start = True
                    return C
        if self._retaliating:
            return self._retaliate()
        if theirs == D:
            self._retaliating = True
            self._retaliation_length += 1
            self._remaining = self._retaliation_length
            return self._retaliate()
        return C


class FirstByTullock(Strategy):
    """Tullock: cooperates for 11 rounds, then cooperates with probability 10 points
    below the other's cooperation rate over the last 10 rounds (Axelrod 1980, 13th)."""

    strategy_name = "first_by_tullock"
    title = "First by Tullock"
    axelrod = "FirstByTullock"
    classifier = classify(INF, stochastic=True)

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        if len(my_history) < 11:
            return C
        recent = their_history[-10:]
        rate = (len(recent) - sum(recent)) / 10
        return choose(max(0.0, rate - 0.10), rng)


class FirstByAnonymous(Strategy):
    """The anonymous entry: cooperates with a probability drawn uniformly from [0.3,
    0.7] each round (Axelrod 1980, 7th; reconstruction of the Axelrod library)."""

    strategy_name = "first_by_anonymous"
    title = "First by Anonymous"
    axelrod = "FirstByAnonymous"
    classifier = classify(0, stochastic=True)

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        return choose(float(rng.uniform(3, 7)) / 10, rng)
