"""Simple strategies: unconditional players, cycles, grudges, majorities and probes.

These are the baseline and "probe" strategies of the iterated prisoner's dilemma
literature: unconditional cooperation and defection (Axelrod 1984), random play (the
RANDOM entry of Axelrod's first tournament, Axelrod 1980), fixed cycles, the Grudger
(Friedman's "trigger" strategy, Friedman 1971), majority rules (Axelrod 1984, ch. 2),
probes (Mathieu, Beaufils & Delahaye 1999; Li, Hingston & Kendall 2011) and Adaptive (Li
2011). Definitions follow the Axelrod library (Knight et al. 2016) so that the moves match
it exactly; each class names its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from redqueen.agents.strategies.base import INF, C, D, Strategy, choose, classify, probability
from redqueen.agents.strategies.machine import Machine
from redqueen.errors import InvalidParameterError


class Cooperator(Strategy):
    """Always cooperates (ALLC; Axelrod 1984)."""

    strategy_name = "cooperator"
    title = "Cooperator"
    axelrod = "Cooperator"
    classifier = classify(0)
    window = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return C


class Defector(Strategy):
    """Always defects (ALLD; Axelrod 1984)."""

    strategy_name = "defector"
    title = "Defector"
    axelrod = "Defector"
    classifier = classify(0)
    window = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return D


class Alternator(Strategy):
    """Cooperates first, then plays the opposite of its own last (executed) move
    (Axelrod 1984; Axelrod library)."""

    strategy_name = "alternator"
    title = "Alternator"
    axelrod = "Alternator"
    classifier = classify(1)
    window = 1

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not my_history:
            return C
        return D if my_history[-1] == C else C


class RandomStrategy(Strategy):
    """Cooperates with probability ``p`` every round (RANDOM, Axelrod's first
    tournament, Axelrod 1980; p = 0.5 there)."""

    strategy_name = "random"
    title = "Random"
    axelrod = "Random"
    classifier = classify(0, stochastic=True)

    def __init__(self, p: float = 0.5) -> None:
        self.p = probability(p, "p")
        super().__init__()

    def params(self) -> dict[str, Any]:
        return {"p": self.p}

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        return choose(self.p, rng)

    def machine(self) -> Machine:
        return Machine.constant(self.p)


def _cycle_moves(cycle: Any) -> list[int]:
    if not isinstance(cycle, str) or not cycle or set(cycle.upper()) - {"C", "D"}:
        raise InvalidParameterError(
            f"cycle must be a non-empty string of C and D (e.g. 'CCD'); got {cycle!r}"
        )
    return [C if ch == "C" else D for ch in cycle.upper()]


class Cycler(Strategy):
    """Repeats ``cycle`` (a string of C and D) forever, whatever the other does
    (Axelrod library, after Mittal & Deb 2009)."""

    strategy_name = "cycler"
    title = "Cycler"
    axelrod = "Cycler"
    classifier = classify(2)

    def __init__(self, cycle: str = "CCD") -> None:
        self._moves = _cycle_moves(cycle)
        self.cycle = cycle.upper()
        super().__init__()

    def params(self) -> dict[str, Any]:
        return {"cycle": self.cycle}

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return self._moves[len(my_history) % len(self._moves)]

    def machine(self) -> Machine:
        return Machine.cycle(self._moves)


class CyclerCCD(Cycler):
    """C, C, D, C, C, D, ... (Axelrod library; Mittal & Deb 2009)."""

    strategy_name = "cycler_ccd"
    title = "Cycler CCD"
    axelrod = "CyclerCCD"
    classifier = classify(2)

    def __init__(self) -> None:
        super().__init__("CCD")

    def params(self) -> dict[str, Any]:
        return {}


class CyclerCCCD(Cycler):
    """C, C, C, D, C, C, C, D, ... (Axelrod library; Mittal & Deb 2009)."""

    strategy_name = "cycler_cccd"
    title = "Cycler CCCD"
    axelrod = "CyclerCCCD"
    classifier = classify(3)

    def __init__(self) -> None:
        super().__init__("CCCD")

    def params(self) -> dict[str, Any]:
        return {}


class CyclerDC(Cycler):
    """D, C, D, C, ... (Axelrod library)."""

    strategy_name = "cycler_dc"
    title = "Cycler DC"
    axelrod = "CyclerDC"
    classifier = classify(1)

    def __init__(self) -> None:
        super().__init__("DC")

    def params(self) -> dict[str, Any]:
        return {}


class Grudger(Strategy):
    """Cooperates until the other defects once, then defects forever (Friedman 1971's
    trigger strategy; "Grim" in Axelrod 1984)."""

    strategy_name = "grudger"
    title = "Grudger"
    axelrod = "Grudger"
    classifier = classify(INF)

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return D if D in their_history else C

    def machine(self) -> Machine:
        nxt = np.array([[[0, 1], [0, 1]], [[1, 1], [1, 1]]], dtype=np.int64)
        return Machine(2, 0, np.array([1.0, 0.0]), nxt)


class SoftGrudger(Strategy):
    """Answers a defection with D, D, D, D, C, C, then forgives (Li, Hingston & Kendall
    2011; Axelrod library)."""

    strategy_name = "soft_grudger"
    title = "Soft Grudger"
    axelrod = "SoftGrudger"
    classifier = classify(6)

    _SEQUENCE = (D, D, D, C, C)

    def __init__(self) -> None:
        super().__init__()
        self._step: int | None = None

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if self._step is not None:
            action = self._SEQUENCE[self._step]
            self._step = self._step + 1 if self._step + 1 < len(self._SEQUENCE) else None
            return action
        if their_history and their_history[-1] == D:
            self._step = 0
            return D
        return C


class ForgetfulGrudger(Strategy):
    """Grudger with a memory of 10 rounds: after the other's defection it defects for
    10 rounds, then starts afresh (Axelrod library)."""

    strategy_name = "forgetful_grudger"
    title = "Forgetful Grudger"
    axelrod = "ForgetfulGrudger"
    classifier = classify(10)

    def __init__(self) -> None:
        super().__init__()
        self._grudged = False
        self._memory = 0

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if self._memory == 10:
            self._memory = 0
            self._grudged = False
        if their_history and their_history[-1] == D:
            self._grudged = True
        if self._grudged:
            self._memory += 1
            return D
        return C


class Forgiver(Strategy):
    """Defects while the other has defected in more than 10% of the rounds so far,
    cooperates otherwise (Axelrod library)."""

    strategy_name = "forgiver"
    title = "Forgiver"
    axelrod = "Forgiver"
    classifier = classify(INF)

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        return D if sum(their_history) > len(their_history) / 10.0 else C


class ForgivingTitForTat(Strategy):
    """Tit For Tat while the other has defected in more than 10% of the rounds,
    cooperates otherwise (Axelrod library)."""

    strategy_name = "forgiving_tit_for_tat"
    title = "Forgiving Tit For Tat"
    axelrod = "ForgivingTitForTat"
    classifier = classify(INF)

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if sum(their_history) > len(their_history) / 10.0:
            return their_history[-1]
        return C


class Appeaser(Strategy):
    """Cooperates first; when the other defects, switches its own move; otherwise
    repeats it (Axelrod library, after Jones' Appeaser)."""

    strategy_name = "appeaser"
    title = "Appeaser"
    axelrod = "Appeaser"
    classifier = classify(1)
    window = 1

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not their_history:
            return C
        if their_history[-1] == D:
            return D if my_history[-1] == C else C
        return my_history[-1]


class SoftMajority(Strategy):
    """Cooperates while the other has cooperated at least as often as it defected
    (Go By Majority, soft; Axelrod 1984; Mittal & Deb 2009)."""

    strategy_name = "soft_majority"
    title = "Soft Go By Majority"
    axelrod = "GoByMajority"
    classifier = classify(INF)

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        defections = sum(their_history)
        return D if defections > len(their_history) - defections else C


class HardMajority(Strategy):
    """Defects while the other has defected at least as often as it cooperated, so it
    opens with a defection (Go By Majority, hard; Axelrod 1984; Mittal & Deb 2009)."""

    strategy_name = "hard_majority"
    title = "Hard Go By Majority"
    axelrod = "HardGoByMajority"
    classifier = classify(INF)

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        defections = sum(their_history)
        return D if defections >= len(their_history) - defections else C


class Handshake(Strategy):
    """Plays C, D; cooperates forever if the other opened with C, D too, and defects
    forever otherwise (Robson 1990, "Efficiency in evolutionary games: Darwin, Nash and
    the secret handshake")."""

    strategy_name = "handshake"
    title = "Handshake"
    axelrod = "Handshake"
    classifier = classify(INF)

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        turn = len(my_history)
        if turn < 2:
            return (C, D)[turn]
        return C if (their_history[0], their_history[1]) == (C, D) else D

    def machine(self) -> Machine:
        # 0: round 1; 1: round 2 after their C; 2: round 2 after their D;
        # 3: cooperate forever; 4: defect forever.
        nxt = np.empty((5, 2, 2), dtype=np.int64)
        nxt[0, :, C], nxt[0, :, D] = 1, 2
        nxt[1, :, C], nxt[1, :, D] = 4, 3
        nxt[2] = 4
        nxt[3] = 3
        nxt[4] = 4
        return Machine(5, 0, np.array([1.0, 0.0, 0.0, 1.0, 0.0]), nxt)


class _Probe(Strategy):
    """Opens with a fixed probe; then defects forever if the other's answer shows it can
    be exploited, and plays Tit For Tat otherwise."""

    _OPENING: tuple[int, ...] = ()

    def _exploit(self, their_history: Sequence[int]) -> bool:
        raise NotImplementedError

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        turn = len(my_history)
        if turn < len(self._OPENING):
            return self._OPENING[turn]
        if self._exploit(their_history):
            return D
        return their_history[-1]


class Prober(_Probe):
    """D, C, C; then defects forever if the other cooperated in rounds 2 and 3, else Tit
    For Tat (Mathieu, Beaufils & Delahaye 1999)."""

    strategy_name = "prober"
    title = "Prober"
    axelrod = "Prober"
    classifier = classify(INF)
    _OPENING = (D, C, C)

    def _exploit(self, their_history: Sequence[int]) -> bool:
        return (their_history[1], their_history[2]) == (C, C)


class Prober2(_Probe):
    """D, C, C; then cooperates forever if the other played D, C in rounds 2 and 3, else
    Tit For Tat (Mathieu, Beaufils & Delahaye 1999, "Prober 2" in the Axelrod library)."""

    strategy_name = "prober_2"
    title = "Prober 2"
    axelrod = "Prober2"
    classifier = classify(INF)
    _OPENING = (D, C, C)

    def _exploit(self, their_history: Sequence[int]) -> bool:
        return False

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if len(my_history) >= 3 and (their_history[1], their_history[2]) == (D, C):
            return C
        return super().move(my_history, their_history, rng)


class Prober3(_Probe):
    """D, C; then defects forever if the other cooperated in round 2, else Tit For Tat
    (Mathieu, Beaufils & Delahaye 1999, "Prober 3" in the Axelrod library)."""

    strategy_name = "prober_3"
    title = "Prober 3"
    axelrod = "Prober3"
    classifier = classify(INF)
    _OPENING = (D, C)

    def _exploit(self, their_history: Sequence[int]) -> bool:
        return their_history[1] == C


class HardProber(_Probe):
    """D, D, C, C; then defects forever if the other cooperated in rounds 2 and 3, else
    Tit For Tat (Mathieu, Beaufils & Delahaye 1999)."""

    strategy_name = "hard_prober"
    title = "Hard Prober"
    axelrod = "HardProber"
    classifier = classify(INF)
    _OPENING = (D, D, C, C)

    def _exploit(self, their_history: Sequence[int]) -> bool:
        return (their_history[1], their_history[2]) == (C, C)


class Adaptive(Strategy):
    """Plays C six times and D five times, then whichever of its own moves has earned it
    more in total so far (defecting on ties) (Li 2011, "How to design a strategy to win
    an IPD tournament"; Axelrod library)."""

    strategy_name = "adaptive"
    title = "Adaptive"
    axelrod = "Adaptive"
    classifier = classify(INF, makes_use_of=("game",))

    _OPENING = (C,) * 6 + (D,) * 5

    def __init__(self) -> None:
        super().__init__()
        self._earned = [0.0, 0.0]

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if my_history:
            mine = my_history[-1]
            self._earned[mine] += self.match.score(mine, their_history[-1])
        turn = len(my_history)
        if turn < len(self._OPENING):
            return self._OPENING[turn]
        return C if self._earned[C] > self._earned[D] else D
