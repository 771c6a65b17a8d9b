"""Populations of millions: the repeated prisoner's dilemma with memory-one strategies and
the donor game with reputation-based strategies, one generation at a time, vectorised.

**Memory-one IPD** (Nowak & Sigmund 1993, "A strategy of win-stay, lose-shift that
outperforms tit-for-tat", Nature 364). Each agent has a type; each type is a memory-one
strategy ``(first, p_CC, p_CD, p_DC, p_DD)``: the probability of cooperating in the first
round and after each outcome (own move first). Each generation the agents are paired at
random (a fresh permutation, consecutive agents meet), every pair plays ``rounds`` rounds
with execution noise, and each agent's payoff is its mean score per round.

**Donor game with reputations** (Nowak & Sigmund 1998, "Evolution of indirect reciprocity
by image scoring", Nature 393; Ohtsuki & Iwasa 2004, "How should we define goodness?
Reputation dynamics in indirect reciprocity", J. Theor. Biol. 231). Agents are
unconditional cooperators (ALLC), defectors (ALLD) or discriminators (DISC: help a
recipient with a good reputation). Every round each agent is a donor once, to a random
recipient (the next agent in a fresh random cycle): giving costs ``c`` and brings the
recipient ``b``; an intended gift fails with probability ``execution_error``. Everyone
observes, and the donor's new public reputation follows the ``norm`` applied to the
action and the recipient's reputation at the start of the round (the assignment is wrong
with probability ``assessment_error``):

- ``image_scoring``: giving is good, refusing is bad (first order);
- ``standing``: giving is good; refusing a bad recipient is good (Sugden 1986);
- ``stern_judging``: giving to the good and refusing the bad is good, otherwise bad;
- ``shunning``: giving to the good is good, everything else is bad.

**Graded image scores** (Nowak & Sigmund 1998, as in the paper): every agent has an
image score in ``[-5, 5]`` (0 at birth) that rises by 1 when it gives and falls by 1
when it refuses, seen by all; an agent of strategy ``k`` gives when the recipient's
image is ``>= k``. ``k`` runs from -5 (always gives) to 6 (never gives):
:func:`image_score_generation`, :class:`ImageScorePopulation`.

**Selection.** After a generation the next one is drawn Wright-Fisher style: each agent's
type is that of a parent drawn with probability proportional to ``exp(beta * payoff)``,
mutated to a uniformly random type with probability ``mutation``.

Randomness comes from one Generator in a fixed order of array draws (float32), so a
small population can be replayed agent by agent with the same draws (the scalar
references :func:`ipd_generation_scalar` and :func:`donor_generation_scalar`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redqueen.errors import InvalidParameterError, UnknownNameError

__all__ = [
    "DONOR_TYPES",
    "NORMS",
    "DonorPopulation",
    "ImageScorePopulation",
    "MemoryOnePopulation",
    "donor_generation",
    "donor_generation_scalar",
    "image_score_generation",
    "image_score_generation_scalar",
    "ipd_generation",
    "ipd_generation_scalar",
    "select",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

ALLC, ALLD, DISC = 0, 1, 2
DONOR_TYPES = ("ALLC", "ALLD", "DISC")

NORMS: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    # [action: 0 refuse, 1 give][recipient: 0 bad, 1 good] -> donor's new reputation
    "image_scoring": ((0, 0), (1, 1)),
    "standing": ((1, 0), (1, 1)),
    "stern_judging": ((1, 0), (0, 1)),
    "shunning": ((0, 0), (0, 1)),
}


def _probability(x: float, name: str) -> float:
    if not 0.0 <= x <= 1.0:
        raise InvalidParameterError(f"{name} must be in [0, 1]; got {x}")
    return float(x)


# ---- the repeated prisoner's dilemma ------------------------------------------------------


def _strategy_table(table: ArrayLike) -> NDArray[np.float32]:
    t = np.asarray(table, dtype=np.float32)
    if t.ndim != 2 or t.shape[1] != 5 or not np.all((t >= 0) & (t <= 1)):
        raise InvalidParameterError(
            "memory-one strategies are rows (first, p_CC, p_CD, p_DC, p_DD) of probabilities "
            f"in [0, 1]; got shape {t.shape}"
        )
    return t


def ipd_generation(
    types: IntArray,
    table: ArrayLike,
    rng: np.random.Generator,
    rounds: int = 10,
    noise: float = 0.0,
    payoffs: ArrayLike = ((3.0, 0.0), (5.0, 1.0)),
) -> tuple[FloatArray, float]:
    """One generation of random pairs (an even number of agents): each agent's mean
    payoff per round, and the share of cooperative moves."""
    t = _strategy_table(table)
    n = len(types)
    if n % 2:
        raise InvalidParameterError(f"the number of agents must be even; got {n}")
    pay = np.asarray(payoffs, dtype=np.float64)
    order = rng.permutation(n)
    a, b = order[0::2], order[1::2]
    ta, tb = types[a], types[b]
    score_a = np.zeros(n // 2)
    score_b = np.zeros(n // 2)
    coop = 0
    state_a = np.zeros(n // 2, dtype=np.int64)  # 0: first round; 1 + 2m + o afterwards
    state_b = np.zeros(n // 2, dtype=np.int64)
    for _ in range(rounds):
        u = rng.random(n, dtype=np.float32)
        ma = (u[: n // 2] >= t[ta, state_a]).astype(np.int64)
        mb = (u[n // 2 :] >= t[tb, state_b]).astype(np.int64)
        if noise > 0.0:
            f = rng.random(n, dtype=np.float32) < noise
            ma ^= f[: n // 2]
            mb ^= f[n // 2 :]
        score_a += pay[ma, mb]
        score_b += pay[mb, ma]
        coop += int(n - ma.sum() - mb.sum())
        state_a = 1 + 2 * ma + mb
        state_b = 1 + 2 * mb + ma
    out = np.empty(n)
    out[a] = score_a / rounds
    out[b] = score_b / rounds
    return out, coop / (n * rounds)


def ipd_generation_scalar(
    types: IntArray,
    table: ArrayLike,
    rng: np.random.Generator,
    rounds: int = 10,
    noise: float = 0.0,
    payoffs: ArrayLike = ((3.0, 0.0), (5.0, 1.0)),
) -> tuple[FloatArray, float]:
    """The reference for :func:`ipd_generation`: the same draws, one agent at a time."""
    t = _strategy_table(table)
    n = len(types)
    pay = np.asarray(payoffs, dtype=np.float64)
    order = rng.permutation(n)
    half = n // 2
    pairs = [(int(order[2 * k]), int(order[2 * k + 1])) for k in range(half)]
    last: list[tuple[int, int] | None] = [None] * half
    out = np.zeros(n)
    coop = 0
    for _ in range(rounds):
        u = rng.random(n, dtype=np.float32)
        f = rng.random(n, dtype=np.float32) < noise if noise > 0.0 else np.zeros(n, bool)
        for k, (i, j) in enumerate(pairs):
            prev = last[k]
            si = 0 if prev is None else 1 + 2 * prev[0] + prev[1]
            sj = 0 if prev is None else 1 + 2 * prev[1] + prev[0]
            mi = int(u[k] >= t[types[i], si]) ^ int(f[k])
            mj = int(u[half + k] >= t[types[j], sj]) ^ int(f[half + k])
            out[i] += pay[mi, mj] / rounds
            out[j] += pay[mj, mi] / rounds
            coop += (1 - mi) + (1 - mj)
            last[k] = (mi, mj)
    return out, coop / (n * rounds)


def select(
    types: IntArray,
    payoff: FloatArray,
    k: int,
    rng: np.random.Generator,
    beta: float = 1.0,
    mutation: float = 0.0,
) -> IntArray:
    """The next generation's types (Wright-Fisher, exponential fitness, mutation)."""
    fit = np.exp(beta * (payoff - payoff.max()))
    cum = np.cumsum(fit)
    u = rng.random(len(types)) * cum[-1]
    parents = np.minimum(np.searchsorted(cum, u, side="right"), len(types) - 1)
    out = types[parents]
    if mutation > 0.0:
        mutate = rng.random(len(types)) < mutation
        out = out.copy()
        out[mutate] = rng.integers(0, k, size=int(mutate.sum()))
    return out


# ---- the donor game ----------------------------------------------------------------------


def _norm(norm: str) -> NDArray[np.int8]:
    if norm not in NORMS:
        raise UnknownNameError("reputation norm", norm, sorted(NORMS))
    return np.asarray(NORMS[norm], dtype=np.int8)


def donor_generation(
    types: IntArray,
    reputation: NDArray[np.int8],
    rng: np.random.Generator,
    rounds: int = 10,
    benefit: float = 3.0,
    cost: float = 1.0,
    norm: str = "stern_judging",
    execution_error: float = 0.0,
    assessment_error: float = 0.0,
) -> tuple[FloatArray, float, NDArray[np.int8]]:
    """One generation of the donor game: each agent's mean payoff per round, the share
    of donations made, and the reputations at the end (1 good, 0 bad)."""
    rule = _norm(norm)
    n = len(types)
    payoff = np.zeros(n)
    rep = reputation.astype(np.int8).copy()
    gave_total = 0
    for _ in range(rounds):
        order = rng.permutation(n)
        recipient = np.empty(n, dtype=np.int64)
        recipient[order] = np.roll(order, -1)
        good = rep[recipient]
        intend = (types == ALLC) | ((types == DISC) & (good == 1))
        gave = intend & (rng.random(n, dtype=np.float32) >= execution_error)
        payoff -= cost * gave
        # every agent receives from exactly one donor per round (a random cycle), so a
        # plain fancy-index add is exact
        payoff[recipient[gave]] += benefit
        new = rule[gave.astype(np.int64), good]
        wrong = rng.random(n, dtype=np.float32) < assessment_error
        rep = (new ^ wrong).astype(np.int8)
        gave_total += int(gave.sum())
    return payoff / rounds, gave_total / (n * rounds), rep


def donor_generation_scalar(
    types: IntArray,
    reputation: NDArray[np.int8],
    rng: np.random.Generator,
    rounds: int = 10,
    benefit: float = 3.0,
    cost: float = 1.0,
    norm: str = "stern_judging",
    execution_error: float = 0.0,
    assessment_error: float = 0.0,
) -> tuple[FloatArray, float, NDArray[np.int8]]:
    """The reference for :func:`donor_generation`: the same draws, one donation at a time."""
    rule = NORMS[norm]
    n = len(types)
    payoff = [0.0] * n
    rep = [int(x) for x in reputation]
    gave_total = 0
    for _ in range(rounds):
        order = rng.permutation(n).tolist()
        fail = rng.random(n, dtype=np.float32)
        wrong = rng.random(n, dtype=np.float32)
        new_rep = list(rep)
        for k, donor in enumerate(order):
            recipient = order[(k + 1) % n]
            good = rep[recipient]
            kind = int(types[donor])
            intend = kind == ALLC or (kind == DISC and good == 1)
            gave = intend and fail[donor] >= execution_error
            if gave:
                payoff[donor] -= cost
                payoff[recipient] += benefit
                gave_total += 1
            new_rep[donor] = rule[int(gave)][good] ^ int(wrong[donor] < assessment_error)
        rep = new_rep
    return (
        np.array(payoff) / rounds,
        gave_total / (n * rounds),
        np.array(rep, dtype=np.int8),
    )


IMAGE_MIN, IMAGE_MAX = -5, 5
THRESHOLDS = tuple(range(-5, 7))
"""The strategies ``k`` of Nowak & Sigmund (1998): give when the recipient's image >= k."""


def image_score_generation(
    thresholds: IntArray,
    images: IntArray,
    rng: np.random.Generator,
    rounds: int = 10,
    benefit: float = 1.0,
    cost: float = 0.1,
    execution_error: float = 0.0,
) -> tuple[FloatArray, float, IntArray]:
    """One generation of the donor game with graded image scores: each agent's mean
    payoff per round, the share of donations made, and the images at the end."""
    n = len(thresholds)
    payoff = np.zeros(n)
    img = images.astype(np.int64).copy()
    gave_total = 0
    for _ in range(rounds):
        order = rng.permutation(n)
        recipient = np.empty(n, dtype=np.int64)
        recipient[order] = np.roll(order, -1)
        intend = img[recipient] >= thresholds
        gave = intend & (rng.random(n, dtype=np.float32) >= execution_error)
        payoff -= cost * gave
        payoff[recipient[gave]] += benefit  # one donor per recipient per round
        img = np.clip(img + np.where(gave, 1, -1), IMAGE_MIN, IMAGE_MAX)
        gave_total += int(gave.sum())
    return payoff / rounds, gave_total / (n * rounds), img


def image_score_generation_scalar(
    thresholds: IntArray,
    images: IntArray,
    rng: np.random.Generator,
    rounds: int = 10,
    benefit: float = 1.0,
    cost: float = 0.1,
    execution_error: float = 0.0,
) -> tuple[FloatArray, float, IntArray]:
    """The reference for :func:`image_score_generation`, one donation at a time."""
    n = len(thresholds)
    payoff = [0.0] * n
    img = [int(x) for x in images]
    gave_total = 0
    for _ in range(rounds):
        order = rng.permutation(n).tolist()
        fail = rng.random(n, dtype=np.float32)
        new = list(img)
        for k, donor in enumerate(order):
            recipient = order[(k + 1) % n]
            gave = img[recipient] >= thresholds[donor] and fail[donor] >= execution_error
            if gave:
                payoff[donor] -= cost
                payoff[recipient] += benefit
                gave_total += 1
            new[donor] = min(IMAGE_MAX, max(IMAGE_MIN, img[donor] + (1 if gave else -1)))
        img = new
    return np.array(payoff) / rounds, gave_total / (n * rounds), np.array(img, dtype=np.int64)


# ---- evolving populations ----------------------------------------------------------------


@dataclass
class GenerationRecord:
    generation: int
    shares: list[float]
    cooperation: float
    mean_payoff: float

    def to_dict(self) -> dict[str, object]:
        return {
            "generation": self.generation,
            "shares": self.shares,
            "cooperation": self.cooperation,
            "mean_payoff": self.mean_payoff,
        }


@dataclass
class MemoryOnePopulation:
    """``size`` agents of memory-one ``strategies`` (rows of ``table``), evolving."""

    table: ArrayLike
    size: int = 1_000_000
    rounds: int = 10
    noise: float = 0.01
    beta: float = 1.0
    mutation: float = 0.001
    seed: int = 0

    def __post_init__(self) -> None:
        self._table = _strategy_table(self.table)
        if self.size < 2 or self.size % 2:
            raise InvalidParameterError(f"size must be even and >= 2; got {self.size}")
        if self.rounds < 1:
            raise InvalidParameterError(f"rounds must be >= 1; got {self.rounds}")
        _probability(self.noise, "noise")
        _probability(self.mutation, "mutation")
        self.rng = np.random.default_rng(np.random.SeedSequence((self.seed, 0x1D)))
        k = len(self._table)
        self.types = self.rng.integers(0, k, size=self.size)

    def step(self, generation: int) -> GenerationRecord:
        k = len(self._table)
        shares = np.bincount(self.types, minlength=k) / self.size
        payoff, coop = ipd_generation(self.types, self._table, self.rng, self.rounds, self.noise)
        self.types = select(self.types, payoff, k, self.rng, self.beta, self.mutation)
        return GenerationRecord(generation, shares.tolist(), coop, float(payoff.mean()))

    def interactions_per_generation(self) -> int:
        """Pairwise stage games played in one generation."""
        return self.size // 2 * self.rounds


@dataclass
class DonorPopulation:
    """``size`` agents (ALLC, ALLD, DISC in ``initial_shares``) under a reputation norm."""

    size: int = 1_000_000
    rounds: int = 10
    benefit: float = 3.0
    cost: float = 1.0
    norm: str = "stern_judging"
    execution_error: float = 0.01
    assessment_error: float = 0.01
    beta: float = 1.0
    mutation: float = 0.001
    initial_shares: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)
    seed: int = 0

    def __post_init__(self) -> None:
        _norm(self.norm)
        if self.size < 2 or self.rounds < 1:
            raise InvalidParameterError(
                f"size must be >= 2 and rounds >= 1; got {self.size}, {self.rounds}"
            )
        if self.benefit <= self.cost or self.cost < 0:
            raise InvalidParameterError(
                f"need benefit > cost >= 0; got b={self.benefit}, c={self.cost}"
            )
        for name in ("execution_error", "assessment_error", "mutation"):
            _probability(getattr(self, name), name)
        shares = np.asarray(self.initial_shares, dtype=np.float64)
        if shares.shape != (3,) or np.any(shares < 0) or not np.isclose(shares.sum(), 1.0):
            raise InvalidParameterError(
                f"initial_shares are 3 probabilities summing to 1; got {self.initial_shares}"
            )
        self.rng = np.random.default_rng(np.random.SeedSequence((self.seed, 0xD0)))
        self.types = self.rng.choice(3, size=self.size, p=shares)
        self.reputation = np.ones(self.size, dtype=np.int8)

    def step(self, generation: int) -> GenerationRecord:
        shares = np.bincount(self.types, minlength=3) / self.size
        payoff, gave, self.reputation = donor_generation(
            self.types,
            self.reputation,
            self.rng,
            self.rounds,
            self.benefit,
            self.cost,
            self.norm,
            self.execution_error,
            self.assessment_error,
        )
        self.types = select(self.types, payoff, 3, self.rng, self.beta, self.mutation)
        return GenerationRecord(generation, shares.tolist(), gave, float(payoff.mean()))

    def interactions_per_generation(self) -> int:
        """Donations decided in one generation (one per agent per round)."""
        return self.size * self.rounds


@dataclass
class ImageScorePopulation:
    """``size`` agents with image-score strategies ``k`` in -5..6 (Nowak & Sigmund
    1998), drawn uniformly at the start; images start at 0 every generation."""

    size: int = 1_000_000
    rounds: int = 10
    benefit: float = 1.0
    cost: float = 0.1
    execution_error: float = 0.0
    beta: float = 1.0
    mutation: float = 0.001
    seed: int = 0

    def __post_init__(self) -> None:
        if self.size < 2 or self.rounds < 1:
            raise InvalidParameterError(
                f"size must be >= 2 and rounds >= 1; got {self.size}, {self.rounds}"
            )
        if self.benefit <= self.cost or self.cost < 0:
            raise InvalidParameterError(
                f"need benefit > cost >= 0; got b={self.benefit}, c={self.cost}"
            )
        for name in ("execution_error", "mutation"):
            _probability(getattr(self, name), name)
        self.rng = np.random.default_rng(np.random.SeedSequence((self.seed, 0x15)))
        self.types = self.rng.integers(0, len(THRESHOLDS), size=self.size)

    def step(self, generation: int) -> GenerationRecord:
        k = len(THRESHOLDS)
        shares = np.bincount(self.types, minlength=k) / self.size
        thresholds = np.asarray(THRESHOLDS, dtype=np.int64)[self.types]
        payoff, gave, _ = image_score_generation(
            thresholds,
            np.zeros(self.size, dtype=np.int64),
            self.rng,
            self.rounds,
            self.benefit,
            self.cost,
            self.execution_error,
        )
        self.types = select(self.types, payoff, k, self.rng, self.beta, self.mutation)
        return GenerationRecord(generation, shares.tolist(), gave, float(payoff.mean()))

    def interactions_per_generation(self) -> int:
        """Donations decided in one generation (one per agent per round)."""
        return self.size * self.rounds
