"""Reciprocal strategies: Tit For Tat and its family.

Tit For Tat (Rapoport's entry, winner of both of Axelrod's tournaments; Axelrod 1980,
1984) cooperates first and then copies the other's last move. Its variants differ in how
quickly they punish (Two Tits For Tat, Hard Tit For Tat), how readily they forgive (Tit
For Two Tats, Axelrod 1984), how they open (Suspicious Tit For Tat, Beaufils, Delahaye &
Mathieu 1996), how they cope with noise (Contrite Tit For Tat, Sugden 1986 and Boyd 1989;
Omega TFT, Slany & Kienreich 2007) and how the punishment grows (Gradual, Beaufils,
Delahaye & Mathieu 1996). Definitions follow the Axelrod library (Knight et al. 2016) so
that the moves match it exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redqueen.agents.strategies.base import INF, C, D, Strategy, classify, probability


class TitForTat(Strategy):
    """Cooperates first, then copies the other's last move (Rapoport; Axelrod 1980)."""

    strategy_name = "tit_for_tat"
    title = "Tit For Tat"
    axelrod = "TitForTat"
    classifier = classify(1)
    window = 1

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return their_history[-1] if their_history else C


class TitForTwoTats(Strategy):
    """Defects only after two defections in a row by the other (Axelrod 1984)."""

    strategy_name = "tit_for_two_tats"
    title = "Tit For 2 Tats"
    axelrod = "TitFor2Tats"
    classifier = classify(2)
    window = 2

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return D if list(their_history[-2:]) == [D, D] else C


class TwoTitsForTat(Strategy):
    """Defects if the other defected in either of the last two rounds (Axelrod 1984)."""

    strategy_name = "two_tits_for_tat"
    title = "Two Tits For Tat"
    axelrod = "TwoTitsForTat"
    classifier = classify(2)
    window = 2

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return D if D in their_history[-2:] else C


class SuspiciousTitForTat(Strategy):
    """Tit For Tat that opens with a defection (Beaufils, Delahaye & Mathieu 1996)."""

    strategy_name = "suspicious_tit_for_tat"
    title = "Suspicious Tit For Tat"
    axelrod = "SuspiciousTitForTat"
    classifier = classify(1)
    window = 1

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return their_history[-1] if their_history else D


class HardTitForTat(Strategy):
    """Defects if the other defected in any of the last three rounds (Axelrod library;
    "Hard TFT" of Stewart & Plotkin 2012)."""

    strategy_name = "hard_tit_for_tat"
    title = "Hard Tit For Tat"
    axelrod = "HardTitForTat"
    classifier = classify(3)
    window = 3

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return D if D in their_history[-3:] else C


class HardTitForTwoTats(Strategy):
    """Defects if the other defected twice in a row within the last three rounds
    (Stewart & Plotkin 2012)."""

    strategy_name = "hard_tit_for_two_tats"
    title = "Hard Tit For 2 Tats"
    axelrod = "HardTitFor2Tats"
    classifier = classify(3)
    window = 3

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        last = list(their_history[-3:])
        return D if any(last[i] == D == last[i + 1] for i in range(len(last) - 1)) else C


class AntiTitForTat(Strategy):
    """Cooperates first, then plays the opposite of the other's last move (Hilbe,
    Nowak & Traulsen 2013's "anti-reciprocator")."""

    strategy_name = "anti_tit_for_tat"
    title = "Anti Tit For Tat"
    axelrod = "AntiTitForTat"
    classifier = classify(1)
    window = 1

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return D if their_history and their_history[-1] == C else C


class Bully(Strategy):
    """Defects first, then the opposite of the other's last move (Nachbar 1992's
    "reverse Tit For Tat")."""

    strategy_name = "bully"
    title = "Bully"
    axelrod = "Bully"
    classifier = classify(1)
    window = 1

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return C if their_history and their_history[-1] == D else D


class SpitefulTitForTat(Strategy):
    """Tit For Tat until the other defects twice in a row, then defects forever
    (Prison.org's "spiteful TFT"; Axelrod library)."""

    strategy_name = "spiteful_tit_for_tat"
    title = "Spiteful Tit For Tat"
    axelrod = "SpitefulTitForTat"
    classifier = classify(INF)

    def __init__(self) -> None:
        super().__init__()
        self._retaliating = False

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not my_history:
            return C
        if list(their_history[-2:]) == [D, D]:
            self._retaliating = True
        return D if self._retaliating else their_history[-1]


class AdaptiveTitForTat(Strategy):
    """Tit For Tat on an estimate of the other's cooperativeness: ``world`` moves
    towards 1 after each C and towards 0 after each D at ``rate``; it cooperates while
    ``world >= 0.5`` (Tzafestas 2000, "Toward adaptive cooperative behavior")."""

    strategy_name = "adaptive_tit_for_tat"
    title = "Adaptive Tit For Tat"
    axelrod = "AdaptiveTitForTat"
    classifier = classify(INF)

    def __init__(self, rate: float = 0.5) -> None:
        self.rate = probability(rate, "rate")
        super().__init__()
        self._world = self.rate

    def params(self) -> dict[str, Any]:
        return {"rate": self.rate}

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not their_history:
            return C
        if their_history[-1] == C:
            self._world += self.rate * (1.0 - self._world)
        else:
            self._world -= self.rate * self._world
        return C if self._world >= 0.5 else D


class OmegaTFT(Strategy):
    """Tit For Tat with a deadlock detector (after 3 alternations it cooperates twice
    to break a C/D see-saw) and a randomness detector (past a threshold of 8 it defects)
    (Slany & Kienreich 2007, "On some winning strategies for the iterated prisoner's
    dilemma")."""

    strategy_name = "omega_tft"
    title = "Omega TFT"
    axelrod = "OmegaTFT"
    classifier = classify(INF)

    def __init__(self, deadlock_threshold: int = 3, randomness_threshold: int = 8) -> None:
        self.deadlock_threshold = int(deadlock_threshold)
        self.randomness_threshold = int(randomness_threshold)
        super().__init__()
        self._randomness = 0
        self._deadlock = 0

    def params(self) -> dict[str, Any]:
        return {
            "deadlock_threshold": self.deadlock_threshold,
            "randomness_threshold": self.randomness_threshold,
        }

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not my_history:
            return C
        if len(my_history) == 1:
            return their_history[-1]
        if self._deadlock >= self.deadlock_threshold:
            # deadlock: cooperate for two rounds
            if self._deadlock == self.deadlock_threshold:
                self._deadlock = self.deadlock_threshold + 1
            else:
                self._deadlock = 0
            return C
        last, before = their_history[-1], their_history[-2]
        if (before, last) == (C, C):
            self._randomness -= 1
        if before != last:
            self._randomness += 1
        if my_history[-1] != last:
            self._randomness += 1
        if self._randomness >= self.randomness_threshold:
            return D
        self._deadlock = self._deadlock + 1 if before != last else 0
        return last


class ContriteTitForTat(Strategy):
    """Tit For Tat that knows when noise flipped its own move: if it meant to cooperate
    but a defection came out against a cooperator, it turns contrite and cooperates
    until a cooperation of its own goes through (Sugden 1986; Boyd 1989; Wu & Axelrod
    1995, "How to cope with noise in the iterated prisoner's dilemma")."""

    strategy_name = "contrite_tit_for_tat"
    title = "Contrite Tit For Tat"
    axelrod = "ContriteTitForTat"
    classifier = classify(3)

    def __init__(self) -> None:
        super().__init__()
        self._contrite = False

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not their_history:
            return C
        if self._contrite and my_history[-1] == C:
            self._contrite = False
            return C
        if self.intended[-1] != my_history[-1] and (my_history[-1], their_history[-1]) == (
            D,
            C,
        ):
            self._contrite = True
        return their_history[-1]


class Gradual(Strategy):
    """Cooperates until the other defects; after its n-th defection it defects n times
    (counting this one) and then cooperates twice to calm down (Beaufils, Delahaye &
    Mathieu 1996, "Our meeting with Gradual"; as in the Axelrod library, which counts n
    as the other's defections so far)."""

    strategy_name = "gradual"
    title = "Gradual"
    axelrod = "Gradual"
    classifier = classify(INF)

    def __init__(self) -> None:
        super().__init__()
        self._punish = 0
        self._calm = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not my_history:
            return C
        if self._punish > 0:
            self._punish -= 1
            return D
        if self._calm > 0:
            self._calm -= 1
            return C
        if their_history[-1] == D:
            self._punish = sum(their_history) - 1
            self._calm = 2
            return D
        return C


class OriginalGradual(Strategy):
    """Gradual as first described: the n-th punishment lasts n rounds, where n counts
    the punishments so far, then two cooperations (Beaufils, Delahaye & Mathieu 1996)."""

    strategy_name = "original_gradual"
    title = "Original Gradual"
    axelrod = "OriginalGradual"
    classifier = classify(INF)

    def __init__(self) -> None:
        super().__init__()
        self._calming = False
        self._punishing = False
        self._count = 0
        self._limit = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if self._calming:
            self._calming = False
            return C
        if self._punishing:
            if self._count < self._limit:
                self._count += 1
                return D
            self._calming = True
            self._punishing = False
            self._count = 0
            return C
        if their_history and their_history[-1] == D:
            self._punishing = True
            self._count += 1
            self._limit += 1
            return D
        return C


class Tester(Strategy):
    """TESTER (Gladstein, Axelrod's second tournament; Axelrod 1980b): defects first; if
    the other ever defects it apologises with C and plays Tit For Tat from then on;
    otherwise it cooperates twice and then alternates D and C."""

    strategy_name = "tester"
    title = "Second by Tester"
    axelrod = "SecondByTester"
    classifier = classify(INF)

    def __init__(self) -> None:
        super().__init__()
        self._tft = False

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not their_history:
            return D
        if self._tft:
            return their_history[-1]
        if their_history[-1] == D:
            self._tft = True
            return C
        if len(my_history) in (1, 2):
            return C
        return D if my_history[-1] == C else C
