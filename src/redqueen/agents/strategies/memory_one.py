"""Memory-one strategies: a cooperation probability for each outcome of the last round.

A memory-one strategy is the four-vector ``(p_CC, p_CD, p_DC, p_DD)``: the probability
of cooperating after each outcome of the previous round, own move first (Nowak & Sigmund
1990, 1993), plus a first move. Win-Stay Lose-Shift (Pavlov; Kraines & Kraines 1989;
Nowak & Sigmund 1993) is (1, 0, 0, 1); Generous Tit For Tat (Nowak & Sigmund 1992) is
(1, g, 1, g) with the largest generosity that still deters defection,
g = min(1 - (T - R)/(R - S), (R - P)/(T - P)) (1/3 in Axelrod's game).

Zero-determinant strategies (Press & Dyson 2012, "Iterated Prisoner's Dilemma contains
strategies that dominate any evolutionary opponent", PNAS 109(26)) enforce a linear
relation between the two long-run scores, ``s_Y - l = s (s_X - l)`` up to a scale
``phi``: with baseline ``l = P`` and slope ``s < 1`` they extort (ZD-Extort-2: its
surplus over P is twice the other's), with ``l = R`` they are generous (ZD-GTFT-2,
Stewart & Plotkin 2012). The four-vector is

    p1 = 1 - phi (1 - s)(R - l),    p2 = 1 - phi (s (l - S) + (T - l)),
    p3 = phi ((l - S) + s (T - l)),  p4 = phi (1 - s)(l - P),

as in the Axelrod library's ``LRPlayer``, whose parameters and names are used here.
Every memory-one strategy is a five-state :class:`~redqueen.agents.strategies.machine.Machine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from redqueen.agents.strategies.base import C, Strategy, choose, classify, probability
from redqueen.agents.strategies.machine import Machine
from redqueen.errors import InvalidParameterError


def _four_vector(value: Any) -> tuple[float, float, float, float]:
    if isinstance(value, str):
        value = [part for part in value.replace(";", ",").split(",") if part.strip()]
        try:
            value = [float(part) for part in value]
        except ValueError as exc:
            raise InvalidParameterError(
                f"four_vector must be four probabilities, e.g. '1,0,0,1'; got {value!r}"
            ) from exc
    if not isinstance(value, Sequence) or len(value) != 4:
        raise InvalidParameterError(
            f"four_vector must be four probabilities (after CC, CD, DC, DD); got {value!r}"
        )
    p = tuple(probability(v, "each entry of four_vector") for v in value)
    return p[0], p[1], p[2], p[3]


class MemoryOne(Strategy):
    """The memory-one strategy ``four_vector`` = (p_CC, p_CD, p_DC, p_DD), cooperating
    with probability ``first`` in round 1 (Nowak & Sigmund 1993; Press & Dyson 2012)."""

    strategy_name = "memory_one"
    title = "Generic Memory One Player"
    classifier = classify(1, stochastic=True)

    def __init__(
        self,
        four_vector: Sequence[float] | str = (1.0, 0.0, 0.0, 1.0),
        first: float = 1.0,
    ) -> None:
        self.four_vector = _four_vector(four_vector)
        self.first = probability(first, "first")
        super().__init__()

    def params(self) -> dict[str, Any]:
        return {"four_vector": list(self.four_vector), "first": self.first}

    def vector(self) -> tuple[float, float, float, float]:
        """The four-vector in use (it may depend on the match's payoffs)."""
        return self.four_vector

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        if not their_history:
            return choose(self.first, rng)
        return choose(self.vector()[2 * my_history[-1] + their_history[-1]], rng)

    def machine(self) -> Machine:
        return Machine.memory_one(self.vector(), self.first)


class _FixedMemoryOne(MemoryOne):
    """A named memory-one strategy with a fixed four-vector and first move."""

    _VECTOR: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 1.0)
    _FIRST = 1.0

    def __init__(self) -> None:
        super().__init__(self._VECTOR, self._FIRST)

    def params(self) -> dict[str, Any]:
        return {}


class WinStayLoseShift(_FixedMemoryOne):
    """Win-Stay Lose-Shift, also Pavlov: cooperates after CC and DD, defects after CD
    and DC; cooperates first (Kraines & Kraines 1989; Nowak & Sigmund 1993)."""

    strategy_name = "win_stay_lose_shift"
    title = "Win-Stay Lose-Shift"
    axelrod = "WinStayLoseShift"
    classifier = classify(1)
    _VECTOR = (1.0, 0.0, 0.0, 1.0)


class WinShiftLoseStay(_FixedMemoryOne):
    """Win-Shift Lose-Stay, the inverse of Pavlov: (0, 1, 1, 0), defecting first (Li,
    Hingston & Kendall 2011; Axelrod library)."""

    strategy_name = "win_shift_lose_stay"
    title = "Win-Shift Lose-Stay"
    axelrod = "WinShiftLoseStay"
    classifier = classify(1)
    _VECTOR = (0.0, 1.0, 1.0, 0.0)
    _FIRST = 0.0


class FirmButFair(_FixedMemoryOne):
    """(1, 0, 1, 2/3): Tit For Tat that forgives mutual defection with probability 2/3
    (Frean 1994, "The prisoner's dilemma without synchrony")."""

    strategy_name = "firm_but_fair"
    title = "Firm But Fair"
    axelrod = "FirmButFair"
    classifier = classify(1, stochastic=True)
    _VECTOR = (1.0, 0.0, 1.0, 2 / 3)


class StochasticCooperator(_FixedMemoryOne):
    """(0.935, 0.229, 0.266, 0.42), the evolved cooperator of Adami & Hintze 2013
    ("Evolutionary instability of zero-determinant strategies", Nat. Commun. 4)."""

    strategy_name = "stochastic_cooperator"
    title = "Stochastic Cooperator"
    axelrod = "StochasticCooperator"
    classifier = classify(1, stochastic=True)
    _VECTOR = (0.935, 0.229, 0.266, 0.42)


class StochasticWSLS(MemoryOne):
    """Win-Stay Lose-Shift with error ``ep``: (1-ep, ep, ep, 1-ep) (Axelrod library,
    after Nowak & Sigmund 1993)."""

    strategy_name = "stochastic_wsls"
    title = "Stochastic WSLS"
    axelrod = "StochasticWSLS"
    classifier = classify(1, stochastic=True)

    def __init__(self, ep: float = 0.05) -> None:
        self.ep = probability(ep, "ep")
        super().__init__((1.0 - self.ep, self.ep, self.ep, 1.0 - self.ep))

    def params(self) -> dict[str, Any]:
        return {"ep": self.ep}


class SoftJoss(MemoryOne):
    """Tit For Tat that answers a defection with a defection only with probability
    ``q``: (1, 1-q, 1, 1-q) (Prison.org; Axelrod library)."""

    strategy_name = "soft_joss"
    title = "Soft Joss"
    axelrod = "SoftJoss"
    classifier = classify(1, stochastic=True)

    def __init__(self, q: float = 0.9) -> None:
        self.q = probability(q, "q")
        super().__init__((1.0, 1.0 - self.q, 1.0, 1.0 - self.q))

    def params(self) -> dict[str, Any]:
        return {"q": self.q}


class GTFT(MemoryOne):
    """Generous Tit For Tat: (1, p, 1, p), forgiving a defection with probability ``p``;
    by default p = min(1 - (T-R)/(R-S), (R-P)/(T-P)) from the match's payoffs (1/3 in
    Axelrod's game) (Nowak & Sigmund 1992, "Tit for tat in heterogeneous populations",
    Nature 355)."""

    strategy_name = "gtft"
    title = "GTFT"
    axelrod = "GTFT"
    classifier = classify(1, stochastic=True, makes_use_of=("game",))

    def __init__(self, p: float | None = None) -> None:
        self.p = None if p is None else probability(p, "p")
        super().__init__()

    def params(self) -> dict[str, Any]:
        return {} if self.p is None else {"p": self.p}

    def vector(self) -> tuple[float, float, float, float]:
        p = self.p
        if p is None:
            r, pp, s, t = self.match.rpst()
            p = min(1 - (t - r) / (r - s), (r - pp) / (t - pp))
        return (1.0, p, 1.0, p)


class LinearRelation(MemoryOne):
    """A zero-determinant strategy enforcing ``s_other - l = s (s_self - l)`` with
    scale ``phi`` (Press & Dyson 2012; the Axelrod library's ``LRPlayer``). ``l=None``
    is filled in by subclasses from the payoffs."""

    strategy_name = "zd_extortion"
    title = "ZD-Extortion"
    axelrod = "ZDExtortion"
    classifier = classify(1, stochastic=True, makes_use_of=("game",))

    _DEFAULTS: tuple[float, float, float | None] = (0.2, 0.1, 1.0)

    def __init__(
        self,
        phi: float | None = None,
        s: float | None = None,
        l: float | None = None,  # noqa: E741 - the baseline's name in Press & Dyson 2012
    ) -> None:
        d_phi, d_s, d_l = self._DEFAULTS
        self.phi = float(d_phi if phi is None else phi)
        self.s = float(d_s if s is None else s)
        self.l = d_l if l is None else float(l)
        super().__init__()

    def params(self) -> dict[str, Any]:
        return {
            k: v
            for k, v, d in zip(
                ("phi", "s", "l"), (self.phi, self.s, self.l), self._DEFAULTS, strict=True
            )
            if v != d
        }

    def _baseline(self) -> float:
        assert self.l is not None
        return self.l

    def vector(self) -> tuple[float, float, float, float]:
        r, p, s_, t = self.match.rpst()
        lv, phi, s = self._baseline(), self.phi, self.s
        s_min = -min((t - lv) / (lv - s_), (lv - s_) / (t - lv))
        if lv < p or lv > r or s > 1 or s < s_min:
            raise InvalidParameterError(
                f"{self.strategy_name}: need P <= l <= R and {s_min:g} <= s <= 1 for the "
                f"payoffs R={r:g}, P={p:g}, S={s_:g}, T={t:g}; got l={lv:g}, s={s:g}"
            )
        vec = (
            1 - phi * (1 - s) * (r - lv),
            1 - phi * (s * (lv - s_) + (t - lv)),
            phi * ((lv - s_) + s * (t - lv)),
            phi * (1 - s) * (lv - p),
        )
        if not all(0.0 <= x <= 1.0 for x in vec):
            raise InvalidParameterError(
                f"{self.strategy_name}: phi={phi:g} gives probabilities outside [0, 1]: {vec}"
            )
        return vec

    def start(self) -> None:
        self._vector = self.vector()

    def move(
        self, my_history: Sequence[int], their_history: Sequence[int], rng: np.random.Generator
    ) -> int:
        if not their_history:
            return C
        return choose(self._vector[2 * my_history[-1] + their_history[-1]], rng)


class ZDExtort2(LinearRelation):
    """ZD-Extort-2: phi = 1/9, s = 1/2, l = P: the extortioner's surplus over P is twice
    the other's (Stewart & Plotkin 2012, "Extortion and cooperation in the prisoner's
    dilemma", PNAS 109(26))."""

    strategy_name = "zd_extort_2"
    title = "ZD-Extort-2"
    axelrod = "ZDExtort2"
    _DEFAULTS = (1 / 9, 0.5, None)

    def _baseline(self) -> float:
        return self.match.rpst()[1] if self.l is None else self.l


class ZDExtort2v2(LinearRelation):
    """ZD-Extort-2 v2: phi = 1/8, s = 1/2, l = 1 (Kuhn, Stanford Encyclopedia of
    Philosophy, "Prisoner's Dilemma"; Axelrod library)."""

    strategy_name = "zd_extort_2_v2"
    title = "ZD-Extort-2 v2"
    axelrod = "ZDExtort2v2"
    _DEFAULTS = (1 / 8, 0.5, 1.0)


class ZDExtort3(LinearRelation):
    """ZD-Extort3: phi = 3/26, s = 1/3, l = 1 (Hilbe et al. 2013, "Evolution of
    extortion in iterated prisoner's dilemma games", PNAS 110(17))."""

    strategy_name = "zd_extort_3"
    title = "ZD-Extort3"
    axelrod = "ZDExtort3"
    _DEFAULTS = (3 / 26, 1 / 3, 1.0)


class ZDExtort4(LinearRelation):
    """ZD-Extort-4: phi = 4/17, s = 1/4, l = 1 (Axelrod library)."""

    strategy_name = "zd_extort_4"
    title = "ZD-Extort-4"
    axelrod = "ZDExtort4"
    _DEFAULTS = (4 / 17, 0.25, 1.0)


class ZDGen2(LinearRelation):
    """ZD-GEN-2, a generous ZD strategy: phi = 1/8, s = 1/2, l = 3 (Kuhn, SEP; Axelrod
    library)."""

    strategy_name = "zd_gen_2"
    title = "ZD-GEN-2"
    axelrod = "ZDGen2"
    _DEFAULTS = (1 / 8, 0.5, 3.0)


class ZDGTFT2(LinearRelation):
    """ZD-GTFT-2: phi = 1/4, s = 1/2, l = R (Stewart & Plotkin 2012)."""

    strategy_name = "zd_gtft_2"
    title = "ZD-GTFT-2"
    axelrod = "ZDGTFT2"
    _DEFAULTS = (0.25, 0.5, None)

    def _baseline(self) -> float:
        return self.match.rpst()[0] if self.l is None else self.l


class ZDMischief(LinearRelation):
    """ZD-Mischief: phi = 0.1, s = 0, l = 1 (Axelrod library)."""

    strategy_name = "zd_mischief"
    title = "ZD-Mischief"
    axelrod = "ZDMischief"
    _DEFAULTS = (0.1, 0.0, 1.0)


class ZDSet2(LinearRelation):
    """ZD-SET-2, an equaliser that sets the other's score to 2: phi = 1/4, s = 0, l = 2
    (Press & Dyson 2012; Axelrod library)."""

    strategy_name = "zd_set_2"
    title = "ZD-SET-2"
    axelrod = "ZDSet2"
    _DEFAULTS = (0.25, 0.0, 2.0)
