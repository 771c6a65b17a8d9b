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

**How it is computed.** NumPy draws every random array (one permutation and one or two
float32 arrays per round, compared with the probabilities in NumPy so that thresholds
round as NumPy rounds them); the arithmetic of a round (table lookups, payoffs,
reputation updates) runs in numba kernels compiled on first use and cached on disk.
Every agent's payoff receives the same floating-point operations in the same order as
in the whole-array formulation, so the results are bit for bit those of plain NumPy for
the same draws. The donor-game kernels pack each agent into one byte, gather the bytes
into cycle order, decide every gift from the neighbours there, scatter the outcomes back
and apply them: passes that each touch memory in order or one byte at one random place
per agent, which is what a million agents' random cycle costs most.
Parent selection looks each draw up in the cumulative fitness with a guide table (Chen &
Asau 1974, "On generating random variates from an empirical distribution", AIIE
Transactions 6; Devroye 1986, *Non-Uniform Random Variate Generation*, III.2.4): a
bucket per few agents points to the first index its interval can hold, and a short
search inside the bucket gives exactly ``np.searchsorted(..., side="right")`` without
its cache misses. The generator's calls are sequential and bound the speed (at a million
agents the ten permutations of a donor-game generation take most of its time); the
kernels run on one thread, because on two shared cores neither splitting a round over
threads nor drawing the next round on a helper thread measured faster.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

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
    types = np.asarray(types)
    n = len(types)
    if n % 2:
        raise InvalidParameterError(f"the number of agents must be even; got {n}")
    if n and (types.min() < 0 or types.max() >= len(t)):
        raise InvalidParameterError(f"types index the {len(t)} rows of the strategy table")
    pay = np.asarray(payoffs, dtype=np.float64)
    if pay.shape != (2, 2):
        raise InvalidParameterError(f"payoffs are a 2 x 2 table; got shape {pay.shape}")
    kernel = _kernels().ipd_round
    order = rng.permutation(n)
    a, b = order[0::2], order[1::2]
    ta, tb = types[a].astype(np.int64), types[b].astype(np.int64)
    score_a = np.zeros(n // 2)
    score_b = np.zeros(n // 2)
    coop = 0
    state_a = np.zeros(n // 2, dtype=np.int64)  # 0: first round; 1 + 2m + o afterwards
    state_b = np.zeros(n // 2, dtype=np.int64)
    no_flip = np.zeros(0, dtype=np.bool_)
    for _ in range(rounds):
        u = rng.random(n, dtype=np.float32)
        flip = rng.random(n, dtype=np.float32) < noise if noise > 0.0 else no_flip
        coop += int(kernel(t, ta, tb, state_a, state_b, u, flip, pay, score_a, score_b))
    out = np.empty(n)
    out[a] = score_a / rounds
    out[b] = score_b / rounds
    return out, coop / (n * rounds)


def _ipd_round(
    table: Any,
    ta: Any,
    tb: Any,
    state_a: Any,
    state_b: Any,
    u: Any,
    flip: Any,
    pay: Any,
    score_a: Any,
    score_b: Any,
) -> int:
    """One round of every pair (pair k: agents a[k], b[k]; draws u[k], u[half + k]):
    adds the stage payoffs, moves each side to its next state, returns the number of
    cooperative moves."""
    half = ta.shape[0]
    noisy = flip.shape[0] > 0
    coop = 0
    for k in range(half):
        ma = 1 if u[k] >= table[ta[k], state_a[k]] else 0
        mb = 1 if u[half + k] >= table[tb[k], state_b[k]] else 0
        if noisy:
            ma ^= 1 if flip[k] else 0
            mb ^= 1 if flip[half + k] else 0
        score_a[k] += pay[ma, mb]
        score_b[k] += pay[mb, ma]
        coop += 2 - ma - mb
        state_a[k] = 1 + 2 * ma + mb
        state_b[k] = 1 + 2 * mb + ma
    return coop


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
    parents = np.minimum(_search_right(cum, u), len(types) - 1)
    out = types[parents]
    if mutation > 0.0:
        mutate = rng.random(len(types)) < mutation
        out = out.copy()
        out[mutate] = rng.integers(0, k, size=int(mutate.sum()))
    return out


def _search_right(cum: FloatArray, x: FloatArray) -> IntArray:
    """``np.searchsorted(cum, x, side="right")`` for a non-decreasing ``cum``, through
    a guide table."""
    cum = np.ascontiguousarray(cum, dtype=np.float64)
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty(len(x), dtype=np.int64)
    if len(cum) == 0:
        out[:] = 0
        return out
    buckets = max(1, len(cum) // _GUIDE_SPAN)
    _kernels().search_right(cum, x, np.empty(buckets + 1, dtype=np.int32), out)
    return out


_GUIDE_SPAN = 4
"""Entries of the cumulative fitness per guide bucket, on average."""


def _search_right_kernel(cum: Any, x: Any, guide: Any, out: Any) -> None:
    """Fills ``out[i]`` with the number of entries of ``cum`` that are ``<= x[i]``.

    ``guide[b]`` counts the entries ``<= b * width``; a query whose value lies between
    the edges of its bucket ``b`` searches only ``guide[b]..guide[b + 1]``, any other
    (rounding at an edge) the whole array: by halving down to a few entries, then
    counting those ``<= x[i]``."""
    n = cum.shape[0]
    buckets = guide.shape[0] - 1
    width = cum[n - 1] / buckets
    j = 0
    for b in range(buckets + 1):
        edge = b * width
        while j < n and cum[j] <= edge:
            j += 1
        guide[b] = j
    for i in range(x.shape[0]):
        v = x[i]
        lo, hi = 0, n
        q = v / width
        if v != v:  # NaN sorts after every number, as in NumPy
            lo = n
        elif q >= 0.0 and q < buckets:
            b = int(q)
            if b * width <= v and v <= (b + 1) * width:
                lo, hi = guide[b], guide[b + 1]
        while hi - lo > 16:
            mid = (lo + hi) >> 1
            if cum[mid] <= v:
                lo = mid + 1
            else:
                hi = mid
        count = lo
        for m in range(lo, hi):
            count += cum[m] <= v
        out[i] = count


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
    types = np.asarray(types)
    n = len(types)
    rep = np.asarray(reputation).astype(np.int8)
    if rep.shape != (n,) or (n and (rep.min() < 0 or rep.max() > 1)):
        raise InvalidParameterError("reputations are one 0 (bad) or 1 (good) per agent")
    kernels = _kernels()
    helps = np.where(types == ALLC, _HELPS_GOOD | _HELPS_BAD, 0).astype(np.uint8)
    helps[types == DISC] = _HELPS_GOOD
    payoff = np.zeros(n)
    packed = np.empty(n, dtype=np.uint8)
    gave_total = 0
    for _ in range(rounds):
        order = rng.permutation(n)
        succeed = rng.random(n, dtype=np.float32) >= execution_error
        wrong = rng.random(n, dtype=np.float32) < assessment_error
        kernels.donor_pack(helps, succeed, wrong, rep, packed)
        rep = np.empty(n, dtype=np.int8)
        gave_total += int(kernels.donor_round(order, packed, rule, cost, benefit, payoff, rep))
    return payoff / rounds, gave_total / (n * rounds), rep


# One byte per agent and round for the donor-game kernel: the gifts it makes (intended
# and not failed), the assessment error on its action, and its current reputation.
_HELPS_GOOD, _HELPS_BAD, _WRONG, _GOOD = 1, 2, 4, 8


def _donor_pack(helps: Any, succeed: Any, wrong: Any, rep: Any, packed: Any) -> None:
    for i in range(helps.shape[0]):
        packed[i] = (
            (helps[i] if succeed[i] else 0)
            | (_WRONG if wrong[i] else 0)
            | (_GOOD if rep[i] == 1 else 0)
        )


def _donor_round(
    order: Any, packed: Any, rule: Any, cost: float, benefit: float, payoff: Any, new_rep: Any
) -> int:
    """One round of the donor game on the cycle ``order`` (``order[k]`` gives to
    ``order[k + 1]``), in four passes that each read or write at most one byte at a
    random place per agent: the agents' bytes gathered into cycle order; each
    position's gift made, gift received and new reputation, read from its neighbours;
    those outcomes scattered back to agent order; and applied in order: an agent's
    payoff first pays its own gift's cost, then gains its donor's benefit. Returns the
    number of gifts."""
    n = order.shape[0]
    seat = np.empty(n, dtype=np.uint8)
    for k in range(n):
        seat[k] = packed[order[k]]
    outcome = np.empty(n, dtype=np.uint8)  # gave | got << 1 | new reputation << 2
    gifts = 0
    for k in range(n):
        me = seat[k]
        good = 1 if seat[k + 1 if k + 1 < n else 0] & _GOOD else 0
        donor = seat[k - 1 if k > 0 else n - 1]
        gave = 1 if me & (_HELPS_GOOD if good else _HELPS_BAD) else 0
        got = 1 if donor & (_HELPS_GOOD if me & _GOOD else _HELPS_BAD) else 0
        new = rule[gave, good] ^ (1 if me & _WRONG else 0)
        outcome[k] = gave | got << 1 | new << 2
        gifts += gave
    for k in range(n):
        seat[order[k]] = outcome[k]  # now in agent order
    for i in range(n):
        o = seat[i]
        p = payoff[i] - cost * (o & 1)
        payoff[i] = p + benefit if o & 2 else p
        new_rep[i] = o >> 2
    return gifts


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
    k = np.asarray(thresholds)
    if k.dtype.kind not in "iu":
        raise InvalidParameterError(f"thresholds are integers; got dtype {k.dtype}")
    n = len(k)
    img = np.asarray(images).astype(np.int8)
    if img.shape != (n,) or (n and (img.min() < IMAGE_MIN or img.max() > IMAGE_MAX)):
        raise InvalidParameterError(
            f"images are one integer in [{IMAGE_MIN}, {IMAGE_MAX}] per agent"
        )
    # with images in [-5, 5], thresholds below -5 act as -5 and above 6 as 6
    k = np.clip(k, IMAGE_MIN, IMAGE_MAX + 1).astype(np.int8)
    kernels = _kernels()
    payoff = np.zeros(n)
    packed = np.empty(n, dtype=np.uint8)
    gave_total = 0
    for _ in range(rounds):
        order = rng.permutation(n)
        succeed = rng.random(n, dtype=np.float32) >= execution_error
        kernels.image_pack(k, succeed, img, packed)
        img = np.empty(n, dtype=np.int8)
        gave_total += int(kernels.image_round(order, packed, cost, benefit, payoff, img))
    return payoff / rounds, gave_total / (n * rounds), img.astype(np.int64)


def _image_pack(thresholds: Any, succeed: Any, img: Any, packed: Any) -> None:
    """One byte per agent: ``threshold + 5`` in the low four bits (that of a never
    giver, 6, where its gift fails) and ``image + 5`` in the high four."""
    for i in range(thresholds.shape[0]):
        k = thresholds[i] if succeed[i] else IMAGE_MAX + 1
        packed[i] = (k - IMAGE_MIN) | ((img[i] - IMAGE_MIN) << 4)


def _image_round(
    order: Any, packed: Any, cost: float, benefit: float, payoff: Any, new_img: Any
) -> int:
    """One round on the cycle ``order``, in the passes of :func:`_donor_round`."""
    n = order.shape[0]
    seat = np.empty(n, dtype=np.uint8)
    for k in range(n):
        seat[k] = packed[order[k]]
    outcome = np.empty(n, dtype=np.uint8)  # gave | got << 1 | (new image + 5) << 2
    gifts = 0
    for k in range(n):
        me = seat[k]
        image = me >> 4
        gave = 1 if seat[k + 1 if k + 1 < n else 0] >> 4 >= me & 15 else 0
        got = 1 if image >= seat[k - 1 if k > 0 else n - 1] & 15 else 0
        image = min(IMAGE_MAX - IMAGE_MIN, max(0, image + (1 if gave else -1)))
        outcome[k] = gave | got << 1 | image << 2
        gifts += gave
    for k in range(n):
        seat[order[k]] = outcome[k]  # now in agent order
    for i in range(n):
        o = seat[i]
        p = payoff[i] - cost * (o & 1)
        payoff[i] = p + benefit if o & 2 else p
        new_img[i] = (o >> 2) + IMAGE_MIN
    return gifts


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


# ---- compiled kernels --------------------------------------------------------------------

_KERNELS: Any = None


def _kernels() -> Any:
    """The numba-compiled round kernels (compiled on first use, cached on disk)."""
    global _KERNELS
    if _KERNELS is None:
        import numba

        jit = numba.njit(cache=True, nogil=True)
        _KERNELS = SimpleNamespace(
            ipd_round=jit(_ipd_round),
            donor_pack=jit(_donor_pack),
            donor_round=jit(_donor_round),
            image_pack=jit(_image_pack),
            image_round=jit(_image_round),
            search_right=jit(_search_right_kernel),
        )
    return _KERNELS


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
