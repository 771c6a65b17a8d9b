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

**How it is computed.** Numba kernels (compiled on first use, cached on disk) make the
draws themselves, one value at a time from the caller's Generator, in exactly the order
and with exactly the bits that NumPy's array calls would use: the permutation is NumPy's
Fisher-Yates shuffle (its masked rejection sampling, ``random_interval``, through the
bit generator's own ``next_uint32``), every float32 array is ``rng.random(n,
dtype=np.float32)`` value by value, compared with the probability rounded to float32 as
NumPy compares a float32 array with a Python float (a probability given as a NumPy
float64, which NumPy would compare in float64, is rounded the same way). So the
trajectories are those of the whole-array NumPy formulation (and of the scalar
references) for the same seed, bit for bit, without the arrays: every agent's payoff
receives the same floating-point operations in the same order. The donor-game kernels
pack each agent into one byte, gather the bytes into cycle order, decide every gift from
the neighbours there without branching, scatter the outcomes back and apply them:
passes that each touch memory in order or one byte at one random place per agent. The
shuffle draws without branching on a rejection (a rejected value swaps an entry with
itself): a third faster than a rejection loop that mispredicts.
Parent selection looks each draw up in the cumulative fitness with a guide table (Chen &
Asau 1974, "On generating random variates from an empirical distribution", AIIE
Transactions 6; Devroye 1986, *Non-Uniform Random Variate Generation*, III.2.4): one
bucket per agent points to the first index its interval can hold, so that a few
comparisons past it give exactly ``np.searchsorted(..., side="right")``; the draws are
first grouped by the slice of the table they fall in (a counting sort), so that each
group's lookups stay in cache. The generator's calls are sequential and bound the speed
(a million agents' donor-game round draws about 3.4 million 32-bit values); the kernels
run on one thread: the draws must follow NumPy's single stream to keep the results, and
the passes that could be split over threads are the smaller part.
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


def _permutation(rng: np.random.Generator, n: int) -> NDArray[np.int32]:
    """``rng.permutation(n)`` (as int32), with the same draws."""
    if n >= 2**31:
        raise InvalidParameterError(f"populations hold fewer than 2**31 agents; got {n}")
    order = np.empty(n, dtype=np.int32)
    _kernels().shuffled_range(rng, order)
    return order


_next_uint32: Any = None
"""numba's call of a bit generator's ``next_uint32`` (bound by :func:`_kernels`)."""


def _shuffled_range(rng: Any, order: Any) -> None:
    """Fills ``order`` with ``rng.permutation(len(order))``, drawing what NumPy's
    shuffle draws: for ``i`` from ``n - 1`` down to 1, a 32-bit value masked to the
    bits of ``i`` until it is ``<= i`` (NumPy's ``random_interval``), then the swap.

    The draws are made without branching on them: a rejected value leaves ``i`` where
    it is and swaps ``order[i]`` with itself, so the loop runs once per value drawn
    (about 1.4 per agent) instead of mispredicting a rejection loop."""
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    bitgen = rng.bit_generator
    i = n - 1
    mask = 0xFFFFFFFF
    while i > 0:
        while mask >> 1 >= i:
            mask >>= 1
        while i > mask >> 1:  # the same mask for every i down to the next power of 2
            v = _next_uint32(bitgen) & mask
            take = v <= i
            j = v if take else i
            swap = order[j]
            order[j] = order[i]
            order[i] = swap
            i -= 1 if take else 0


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
    kinds = types.astype(np.uint8 if len(t) <= 256 else np.int64)
    out = np.empty(n)
    coop = _kernels().ipd_rounds(
        rng, _permutation(rng, n), kinds, t, rounds, noise > 0.0, np.float32(noise), pay, out
    )
    return out, coop / (n * rounds)


def _ipd_rounds(
    rng: Any,
    order: Any,
    types: Any,
    table: Any,
    rounds: int,
    noisy: bool,
    noise: Any,
    pay: Any,
    out: Any,
) -> int:
    """Every round of every pair (pair k: agents ``a = order[2k]``, ``b = order[2k + 1]``):
    draws NumPy's arrays one value at a time in their order (``u`` for the a sides,
    then the b sides; then, with noise, the flips the same way), adds the stage
    payoffs, moves each side to its next state (0: first round; 1 + 2 * own move +
    other's move afterwards, 1 = defect); writes each agent's mean payoff to ``out`` and
    returns the number of cooperative moves."""
    half = order.shape[0] // 2
    type_a = np.empty(half, dtype=types.dtype)
    type_b = np.empty(half, dtype=types.dtype)
    for k in range(half):
        type_a[k] = types[order[2 * k]]
        type_b[k] = types[order[2 * k + 1]]
    score_a = np.zeros(half)
    score_b = np.zeros(half)
    move_a = np.empty(half, dtype=np.uint8)
    move_b = np.empty(half, dtype=np.uint8)
    state_a = np.zeros(half, dtype=np.uint8)
    state_b = np.zeros(half, dtype=np.uint8)
    coop = 0
    for _ in range(rounds):
        for k in range(half):
            move_a[k] = rng.random(dtype=np.float32) >= table[type_a[k], state_a[k]]
        for k in range(half):
            move_b[k] = rng.random(dtype=np.float32) >= table[type_b[k], state_b[k]]
        if noisy:
            for k in range(half):
                move_a[k] ^= rng.random(dtype=np.float32) < noise
            for k in range(half):
                move_b[k] ^= rng.random(dtype=np.float32) < noise
        for k in range(half):
            ma, mb = move_a[k], move_b[k]
            score_a[k] += pay[ma, mb]
            score_b[k] += pay[mb, ma]
            coop += 2 - ma - mb
            state_a[k] = 1 + 2 * ma + mb
            state_b[k] = 1 + 2 * mb + ma
    for k in range(half):
        out[order[2 * k]] = score_a[k] / rounds
        out[order[2 * k + 1]] = score_b[k] / rounds
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
    types = np.asarray(types)
    n = len(types)
    cum = np.cumsum(np.exp(beta * (payoff - payoff.max())))
    kernels = _kernels()
    # the draws u * cum[-1], grouped by where they fall in cum, looked up there
    draws = np.empty(n)
    kernels.parent_draws(rng, cum[-1], draws)
    parts = max(1, n // _PARTITION_SPAN)
    where = np.empty(n, dtype=np.int32)
    grouped = np.empty(n)
    kernels.partition(draws, cum[-1], parts, where, grouped)
    del draws
    parents = _search_right(cum, grouped)
    del grouped
    small = types.astype(np.uint8) if n and types.min() >= 0 and types.max() < 256 else types
    chosen = np.empty(n, dtype=small.dtype)
    kernels.take_parents(small, parents, where, chosen)
    out = chosen.astype(types.dtype)
    if mutation > 0.0:
        mutants = np.empty(n, dtype=np.int32)
        count = kernels.mutation_draws(rng, mutation, mutants)
        out[mutants[:count]] = rng.integers(0, k, size=count)
    return out


_PARTITION_SPAN = 1 << 14
"""Entries of the cumulative fitness per group of parent draws: the group's slice of
the fitness and guide tables stays in cache while its draws are looked up."""


def _parent_draws(rng: Any, total: float, out: Any) -> None:
    """``out[i] = rng.random() * total``: NumPy's ``rng.random(n) * total``."""
    for i in range(out.shape[0]):
        out[i] = rng.random() * total


def _partition(x: Any, total: float, parts: int, where: Any, grouped: Any) -> None:
    """A stable counting sort of ``x`` (values in ``[0, total]``) into ``parts`` equal
    ranges: ``grouped[p] = x[where[p]]``; anything else (NaN) goes to the last range."""
    n = x.shape[0]
    scale = parts / total if total > 0.0 else 0.0
    start = np.zeros(parts + 1, dtype=np.int64)
    for i in range(n):
        q = x[i] * scale
        start[(int(q) if q >= 0.0 and q < parts else parts - 1) + 1] += 1
    for p in range(parts):
        start[p + 1] += start[p]
    for i in range(n):
        q = x[i] * scale
        p = int(q) if q >= 0.0 and q < parts else parts - 1
        pos = start[p]
        where[pos] = i
        grouped[pos] = x[i]
        start[p] = pos + 1


def _take_parents(types: Any, parents: Any, where: Any, out: Any) -> None:
    """``out[where[p]] = types[parents[p]]``, the last agent for a draw past the end."""
    last = types.shape[0] - 1
    for p in range(parents.shape[0]):
        out[where[p]] = types[min(parents[p], last)]


def _mutation_draws(rng: Any, mutation: float, out: Any) -> int:
    """The indices where NumPy's ``rng.random(n) < mutation`` holds, in ``out``; returns
    their number."""
    count = 0
    for i in range(out.shape[0]):
        if rng.random() < mutation:
            out[count] = i
            count += 1
    return count


def _search_right(cum: FloatArray, x: FloatArray) -> IntArray:
    """``np.searchsorted(cum, x, side="right")`` for a non-decreasing ``cum``, through
    a guide table."""
    cum = np.ascontiguousarray(cum, dtype=np.float64)
    x = np.ascontiguousarray(x, dtype=np.float64)
    out = np.empty(len(x), dtype=np.int64)
    if len(cum) == 0:
        out[:] = 0
        return out
    kernels = _kernels()
    guide = np.empty(len(cum) + 1, dtype=np.int32)
    width = kernels.guide_table(cum, guide)
    kernels.search_right(cum, guide, width, x, out)
    return out


def _guide_table(cum: Any, guide: Any) -> float:
    """Fills ``guide[b]`` with the number of entries of ``cum`` that are
    ``<= b * width``, ``width = cum[-1] / (len(guide) - 1)``, and returns ``width``.

    Entry ``j`` counts from the first ``b`` with ``cum[j] <= b * width`` on (``b * width``
    does not decrease with ``b``): a histogram of those first buckets, summed."""
    n = cum.shape[0]
    buckets = guide.shape[0] - 1
    width = cum[n - 1] / buckets
    first = np.zeros(buckets + 2, dtype=np.int32)
    usable = width > 0.0 and width < np.inf
    for j in range(n):
        c = cum[j]
        q = c / width if usable else np.nan
        if not (q <= buckets):  # beyond the last edge, or NaN
            b = buckets + 1
        else:
            b = int(min(max(q, 0.0), buckets))
            while b > 0 and c <= (b - 1) * width:
                b -= 1
            while b <= buckets and c > b * width:
                b += 1
        first[b] += 1
    total = 0
    for b in range(buckets + 1):
        total += first[b]
        guide[b] = total
    return width


_GUIDE_WINDOW = 4
"""Entries read after the guide's count before a query falls back to a binary search."""


def _search_right_kernel(cum: Any, guide: Any, width: float, x: Any, out: Any) -> None:
    """Fills ``out[i]`` with the number of entries of ``cum`` that are ``<= x[i]``.

    A query ``v`` in bucket ``b`` (``b * width <= v``) has at least ``guide[b]`` such
    entries; the next few entries, compared without branching, usually settle the
    count (Chen & Asau's guide table with one bucket per entry: at most two entries to
    compare on average, whatever the fitness). Otherwise (more entries in the bucket, rounding
    at an edge, NaN or a query outside the table) a binary search: within the bucket
    when ``v <= (b + 1) * width``, else over the whole table."""
    n = cum.shape[0]
    last = n - 1
    buckets = guide.shape[0] - 1
    usable = width > 0.0 and width < np.inf
    scale = 1.0 / width if usable else 0.0
    for i in range(x.shape[0]):
        v = x[i]
        q = v * scale
        inside = usable and q >= 0.0 and q < buckets
        b = int(q) if inside else 0
        lo = guide[b]
        count = 0
        for m in range(_GUIDE_WINDOW):
            count += (cum[min(lo + m, last)] <= v) & (lo + m < n)
        if inside and b * width <= v:
            if count < _GUIDE_WINDOW:
                out[i] = lo + count
                continue
            lo += count
            hi = guide[b + 1] if v <= (b + 1) * width else n
        elif v != v:  # NaN sorts after every number, as in NumPy
            out[i] = n
            continue
        else:
            lo, hi = 0, n
        while lo < hi:
            mid = (lo + hi) >> 1
            if cum[mid] <= v:
                lo = mid + 1
            else:
                hi = mid
        out[i] = lo


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
    helps = np.where(types == ALLC, _HELPS_GOOD | _HELPS_BAD, 0).astype(np.uint8)
    helps[types == DISC] = _HELPS_GOOD
    kernels = _kernels()
    execution = np.float32(execution_error)
    assessment = np.float32(assessment_error)
    payoff = np.zeros(n)
    order = np.empty(n, dtype=np.int32)
    packed = np.empty(n, dtype=np.uint8)
    seat = np.empty(n, dtype=np.uint8)
    gave_total = 0
    for _ in range(rounds):
        kernels.shuffled_range(rng, order)
        gave_total += kernels.donor_round(
            rng, order, helps, rep, execution, assessment, rule, float(cost),
            float(benefit), payoff, packed, seat,
        )  # fmt: skip
    return payoff / rounds, gave_total / (n * rounds), rep


# One byte per agent and round for the donor-game kernel: the gifts it makes (intended
# and not failed), the assessment error on its action, and its current reputation.
# The kernel reads them by bit position: bit 0 helps the good, bit 1 the bad.
_HELPS_GOOD, _HELPS_BAD, _WRONG, _GOOD = 1, 2, 4, 8


def _donor_round(
    rng: Any,
    order: Any,
    helps: Any,
    rep: Any,
    execution_error: Any,
    assessment_error: Any,
    rule: Any,
    cost: float,
    benefit: float,
    payoff: Any,
    packed: Any,
    seat: Any,
) -> int:
    """One round of the donor game on the cycle ``order`` (``order[k]`` gives to
    ``order[k + 1]``). The draws come one value at a time in the order of NumPy's two
    arrays (every gift's failure, then every assessment error), packed with the
    reputation into one byte per agent; then passes that each read or write at most one
    byte at a random place per agent: the bytes gathered into cycle order; each
    position's gift made, gift received and new reputation, read from its neighbours
    without branching, in place; those outcomes scattered back to agent order; and
    applied in order: an agent's payoff first pays its own gift's cost, then gains its
    donor's benefit; the reputations are updated in place. Returns the number of
    gifts."""
    n = order.shape[0]
    for i in range(n):
        packed[i] = helps[i] if rng.random(dtype=np.float32) >= execution_error else 0
    for i in range(n):
        wrong = rng.random(dtype=np.float32) < assessment_error
        packed[i] |= (_WRONG if wrong else 0) | (_GOOD if rep[i] == 1 else 0)
    for k in range(n):
        seat[k] = packed[order[k]]
    gifts = 0
    first, donor, me = seat[0], seat[n - 1], seat[0]
    for k in range(n):
        recipient = seat[k + 1] if k + 1 < n else first
        good = (recipient >> 3) & 1
        gave = (me >> (1 - good)) & 1  # bit 0 if the recipient is good, else bit 1
        got = (donor >> (1 - ((me >> 3) & 1))) & 1
        new = rule[gave, good] ^ ((me >> 2) & 1)
        seat[k] = gave | got << 1 | new << 2  # gave | got << 1 | new reputation << 2
        gifts += gave
        donor, me = me, recipient
    for k in range(n):
        packed[order[k]] = seat[k]  # now in agent order
    for i in range(n):
        o = packed[i]
        p = payoff[i] - cost * (o & 1)
        payoff[i] = p + (benefit if o & 2 else 0.0)
        rep[i] = o >> 2
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
    execution = np.float32(execution_error)
    payoff = np.zeros(n)
    order = np.empty(n, dtype=np.int32)
    packed = np.empty(n, dtype=np.uint8)
    seat = np.empty(n, dtype=np.uint8)
    gave_total = 0
    for _ in range(rounds):
        kernels.shuffled_range(rng, order)
        gave_total += kernels.image_round(
            rng, order, k, img, execution, float(cost), float(benefit), payoff, packed, seat
        )
    return payoff / rounds, gave_total / (n * rounds), img.astype(np.int64)


def _image_round(
    rng: Any,
    order: Any,
    thresholds: Any,
    img: Any,
    execution_error: Any,
    cost: float,
    benefit: float,
    payoff: Any,
    packed: Any,
    seat: Any,
) -> int:
    """One round on the cycle ``order``, in the passes of :func:`_donor_round`. Each
    agent's byte holds ``threshold + 5`` in the low four bits (that of a never giver, 6,
    where its gift fails) and ``image + 5`` in the high four; its outcome byte holds
    gave | got << 1 | (new image + 5) << 2."""
    n = order.shape[0]
    for i in range(n):
        k = thresholds[i] if rng.random(dtype=np.float32) >= execution_error else IMAGE_MAX + 1
        packed[i] = (k - IMAGE_MIN) | ((img[i] - IMAGE_MIN) << 4)
    for k in range(n):
        seat[k] = packed[order[k]]
    gifts = 0
    first, donor, me = seat[0], seat[n - 1], seat[0]
    for k in range(n):
        recipient = seat[k + 1] if k + 1 < n else first
        image = me >> 4
        gave = 1 if recipient >> 4 >= me & 15 else 0
        got = 1 if image >= donor & 15 else 0
        image = min(IMAGE_MAX - IMAGE_MIN, max(0, image + 2 * gave - 1))
        seat[k] = gave | got << 1 | image << 2
        gifts += gave
        donor, me = me, recipient
    for k in range(n):
        packed[order[k]] = seat[k]  # now in agent order
    for i in range(n):
        o = packed[i]
        p = payoff[i] - cost * (o & 1)
        payoff[i] = p + (benefit if o & 2 else 0.0)
        img[i] = (o >> 2) + IMAGE_MIN
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
    """The numba-compiled kernels (compiled on first use, cached on disk)."""
    global _KERNELS, _next_uint32
    if _KERNELS is None:
        import numba
        from numba.np.random.generator_core import next_uint32 as _next_uint32

        jit = numba.njit(cache=True, nogil=True)
        _KERNELS = SimpleNamespace(
            shuffled_range=jit(_shuffled_range),
            ipd_rounds=jit(_ipd_rounds),
            donor_round=jit(_donor_round),
            image_round=jit(_image_round),
            parent_draws=jit(_parent_draws),
            partition=jit(_partition),
            take_parents=jit(_take_parents),
            mutation_draws=jit(_mutation_draws),
            guide_table=jit(_guide_table),
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
