"""Population engines against their scalar references on small sizes, and their
invariants."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.batch.populations import (
    NORMS,
    DonorPopulation,
    ImageScorePopulation,
    MemoryOnePopulation,
    _permutation,
    _search_right,
    donor_generation,
    donor_generation_scalar,
    image_score_generation,
    image_score_generation_scalar,
    ipd_generation,
    ipd_generation_scalar,
    select,
)

TABLE = np.array(
    [
        [1, 1, 1, 1, 1],  # ALLC
        [0, 0, 0, 0, 0],  # ALLD
        [1, 1, 0, 1, 0],  # TFT
        [1, 1, 0, 0, 1],  # WSLS
        [1, 1, 1 / 3, 1, 1 / 3],  # GTFT
        [0.5, 0.5, 0.5, 0.5, 0.5],  # random
    ]
)


@pytest.mark.parametrize("noise", [0.0, 0.1])
def test_ipd_generation_equals_scalar(noise: float) -> None:
    types = np.random.default_rng(0).integers(0, len(TABLE), size=40)
    fast = ipd_generation(types, TABLE, np.random.default_rng(5), rounds=7, noise=noise)
    slow = ipd_generation_scalar(types, TABLE, np.random.default_rng(5), rounds=7, noise=noise)
    np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-12)
    assert fast[1] == slow[1]


def test_ipd_known_payoffs() -> None:
    types = np.array([2, 1])  # TFT meets ALLD for 10 rounds: S then 9 P
    payoff, coop = ipd_generation(types, TABLE, np.random.default_rng(0), rounds=10)
    assert payoff.tolist() == [0.9, 1.4]
    assert coop == 1 / 20


@pytest.mark.parametrize("norm", sorted(NORMS))
def test_donor_generation_equals_scalar(norm: str) -> None:
    rng = np.random.default_rng(1)
    types = rng.integers(0, 3, size=50)
    rep = rng.integers(0, 2, size=50).astype(np.int8)
    kw = dict(rounds=6, norm=norm, execution_error=0.1, assessment_error=0.05)
    fast = donor_generation(types, rep, np.random.default_rng(9), **kw)
    slow = donor_generation_scalar(types, rep, np.random.default_rng(9), **kw)
    np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-12)
    assert fast[1] == slow[1]
    assert np.array_equal(fast[2], slow[2])


def test_donor_accounting() -> None:
    """Without errors: ALLC always gives, ALLD never; welfare is (b - c) per gift."""
    types = np.array([0] * 30 + [1] * 30)
    payoff, gave, rep = donor_generation(
        types, np.ones(60, np.int8), np.random.default_rng(0), rounds=5, norm="image_scoring"
    )
    assert gave == 0.5
    assert payoff.sum() == pytest.approx((3.0 - 1.0) * 30)
    assert rep.tolist() == [1] * 30 + [0] * 30


def test_stern_judging_discriminators_beat_defectors() -> None:
    pop = DonorPopulation(
        size=20_000, rounds=10, initial_shares=(0.0, 0.5, 0.5), mutation=0.0, seed=0
    )
    first = pop.step(0)
    for g in range(1, 8):
        last = pop.step(g)
    assert last.shares[2] > first.shares[2] + 0.2


def test_memory_one_population_runs_and_conserves() -> None:
    pop = MemoryOnePopulation(TABLE, size=10_000, rounds=5, seed=0)
    rec = [pop.step(g) for g in range(3)]
    assert all(abs(sum(r.shares) - 1.0) < 1e-12 for r in rec)
    assert len(pop.types) == 10_000


def test_bad_input() -> None:
    with pytest.raises(UnknownNameError, match="stern_judging"):
        DonorPopulation(size=10, norm="kindness")
    with pytest.raises(InvalidParameterError, match="benefit > cost"):
        DonorPopulation(size=10, benefit=1.0, cost=2.0)
    with pytest.raises(InvalidParameterError, match="even"):
        MemoryOnePopulation(TABLE, size=11)
    with pytest.raises(InvalidParameterError, match="probabilities"):
        MemoryOnePopulation(np.full((2, 5), 1.5), size=10)


def test_image_score_generation_equals_scalar() -> None:
    rng = np.random.default_rng(4)
    thresholds = rng.integers(-5, 7, size=60)
    images = rng.integers(-5, 6, size=60)
    fast = image_score_generation(
        thresholds, images, np.random.default_rng(2), rounds=8, execution_error=0.1
    )
    slow = image_score_generation_scalar(
        thresholds, images, np.random.default_rng(2), rounds=8, execution_error=0.1
    )
    np.testing.assert_allclose(fast[0], slow[0], rtol=0, atol=1e-12)
    assert fast[1] == slow[1] and np.array_equal(fast[2], slow[2])


def test_image_scores_follow_gifts() -> None:
    """k = -5 always gives (image climbs to 5); k = 6 never gives (image falls to -5)."""
    thresholds = np.array([-5] * 10 + [6] * 10)
    payoff, gave, img = image_score_generation(
        thresholds, np.zeros(20, np.int64), np.random.default_rng(0), rounds=7
    )
    assert gave == 0.5
    assert img.tolist() == [5] * 10 + [-5] * 10
    assert payoff.sum() == pytest.approx((1.0 - 0.1) * 10)


def test_image_score_population_runs() -> None:
    pop = ImageScorePopulation(size=5000, rounds=10, seed=1)
    rec = [pop.step(g) for g in range(3)]
    assert len(rec[0].shares) == 12 and abs(sum(rec[-1].shares) - 1) < 1e-12


def test_image_scoring_discriminators_take_over() -> None:
    """Nowak & Sigmund (1998): strategies k <= 0 (help those in good standing) come to
    dominate and cooperation is established."""
    pop = ImageScorePopulation(size=20_000, rounds=10, seed=1)
    rec = [pop.step(g) for g in range(12)]
    assert sum(rec[-1].shares[:6]) > 0.8  # k = -5..0
    assert rec[-1].cooperation > 0.9 > rec[0].cooperation


# ---- the compiled kernels give the array formulation's results, bit for bit ---------------
#
# The engines' documented semantics, written as whole-array NumPy operations: the compiled
# kernels must reproduce them exactly (same floats, same reputations, same draws).


PD_PAYOFFS = np.array([[3.0, 0.0], [5.0, 1.0]])


def _ipd_arrays(types, t, rng, rounds, noise, pay=PD_PAYOFFS):
    t = np.asarray(t, dtype=np.float32)
    n = len(types)
    order = rng.permutation(n)
    a, b = order[0::2], order[1::2]
    ta, tb = types[a], types[b]
    score_a, score_b = np.zeros(n // 2), np.zeros(n // 2)
    coop = 0
    state_a = np.zeros(n // 2, dtype=np.int64)
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
        state_a, state_b = 1 + 2 * ma + mb, 1 + 2 * mb + ma
    out = np.empty(n)
    out[a], out[b] = score_a / rounds, score_b / rounds
    return out, coop / (n * rounds)


def _cycle(rng, n):
    order = rng.permutation(n)
    recipient = np.empty(n, dtype=np.int64)
    recipient[order] = np.roll(order, -1)
    return recipient


def _donor_arrays(types, rep, rng, rounds, b, c, norm, e1, e2):
    rule = np.asarray(NORMS[norm], dtype=np.int8)
    payoff = np.zeros(len(types))
    gave_total = 0
    for _ in range(rounds):
        recipient = _cycle(rng, len(types))
        good = rep[recipient]
        intend = (types == 0) | ((types == 2) & (good == 1))
        gave = intend & (rng.random(len(types), dtype=np.float32) >= e1)
        payoff -= c * gave
        payoff[recipient[gave]] += b
        wrong = rng.random(len(types), dtype=np.float32) < e2
        rep = (rule[gave.astype(np.int64), good] ^ wrong).astype(np.int8)
        gave_total += int(gave.sum())
    return payoff / rounds, gave_total / (len(types) * rounds), rep


def _image_arrays(thresholds, img, rng, rounds, b, c, e1):
    payoff = np.zeros(len(thresholds))
    gave_total = 0
    for _ in range(rounds):
        recipient = _cycle(rng, len(thresholds))
        gave = (img[recipient] >= thresholds) & (
            rng.random(len(thresholds), dtype=np.float32) >= e1
        )
        payoff -= c * gave
        payoff[recipient[gave]] += b
        img = np.clip(img + np.where(gave, 1, -1), -5, 5)
        gave_total += int(gave.sum())
    return payoff / rounds, gave_total / (len(thresholds) * rounds), img


@pytest.mark.parametrize("n", [2, 6, 1000])
@pytest.mark.parametrize("noise", [0.0, 0.7])  # float32(0.7) < 0.7: thresholds round as in NumPy
def test_ipd_kernel_is_bit_identical(n: int, noise: float) -> None:
    for seed in range(3):
        types = np.random.default_rng(seed).integers(0, len(TABLE), size=n)
        fast = ipd_generation(types, TABLE, np.random.default_rng(seed), rounds=9, noise=noise)
        ref = _ipd_arrays(types, TABLE, np.random.default_rng(seed), rounds=9, noise=noise)
        assert np.array_equal(fast[0], ref[0]) and fast[1] == ref[1]


@pytest.mark.parametrize("n", [1, 3, 1000])
@pytest.mark.parametrize("norm", sorted(NORMS))
def test_donor_kernel_is_bit_identical(n: int, norm: str) -> None:
    for seed in range(2):
        rng = np.random.default_rng(seed)
        types = rng.integers(0, 3, size=n)
        rep = rng.integers(0, 2, size=n).astype(np.int8)
        args = (9, 3.1, 0.7, norm, 0.7, 0.05)  # rounds, b, c, norm, errors
        fast = donor_generation(types, rep, np.random.default_rng(seed + 10), *args)
        ref = _donor_arrays(types, rep, np.random.default_rng(seed + 10), *args)
        assert np.array_equal(fast[0], ref[0]) and fast[1] == ref[1]
        assert np.array_equal(fast[2], ref[2]) and fast[2].dtype == np.int8


@pytest.mark.parametrize("n", [1, 3, 1000])
def test_image_kernel_is_bit_identical(n: int) -> None:
    for seed in range(3):
        rng = np.random.default_rng(seed)
        thresholds = rng.integers(-9, 10, size=n)  # beyond -5..6 they act as -5 and 6
        images = rng.integers(-5, 6, size=n)
        args = (9, 1.0, 0.1, 0.3)  # rounds, b, c, execution error
        fast = image_score_generation(thresholds, images, np.random.default_rng(seed), *args)
        ref = _image_arrays(thresholds, images, np.random.default_rng(seed), *args)
        assert np.array_equal(fast[0], ref[0]) and fast[1] == ref[1]
        assert np.array_equal(fast[2], ref[2]) and fast[2].dtype == np.int64


def test_parent_lookup_equals_searchsorted() -> None:
    """Ties, flat runs (zero fitness), queries on entries and on bucket edges, NaN."""
    rng = np.random.default_rng(3)
    fit = np.exp(-rng.integers(0, 4, size=5000) * 300.0)  # many exact zeros
    cum = np.cumsum(fit)
    queries = np.concatenate(
        [
            rng.random(20_000) * cum[-1],
            cum,
            np.arange(0, 1251) * (cum[-1] / 1250),  # the guide's bucket edges
            [0.0, -1.0, cum[-1], np.nextafter(cum[-1], np.inf), np.inf, -np.inf, np.nan],
        ]
    )
    got = _search_right(cum, queries)
    assert np.array_equal(got, np.searchsorted(cum, queries, side="right"))
    assert _search_right(np.zeros(0), np.array([1.0])).tolist() == [0]


def test_ipd_kernel_with_more_strategies_than_a_byte_holds() -> None:
    table = np.random.default_rng(7).random((300, 5))
    types = np.random.default_rng(8).integers(0, 300, size=400)
    fast = ipd_generation(types, table, np.random.default_rng(9), rounds=5, noise=0.1)
    ref = _ipd_arrays(types, table, np.random.default_rng(9), rounds=5, noise=0.1)
    assert np.array_equal(fast[0], ref[0]) and fast[1] == ref[1]


@pytest.mark.parametrize(
    "bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox, np.random.SFC64]
)
def test_permutation_draws_what_numpy_draws(bit_generator: type) -> None:
    """The kernels' shuffle is NumPy's: the same order, and the same draws consumed."""
    for n in (0, 1, 2, 3, 5, 64, 65, 1000, 70_000):
        ours = np.random.Generator(bit_generator(n))
        numpys = np.random.Generator(bit_generator(n))
        order = _permutation(ours, n)
        assert order.dtype == np.int32
        assert np.array_equal(order, numpys.permutation(n))
        assert ours.random() == numpys.random()


def _select_arrays(
    types: np.ndarray,
    payoff: np.ndarray,
    k: int,
    rng: np.random.Generator,
    beta: float,
    mutation: float,
) -> np.ndarray:
    fit = np.exp(beta * (payoff - payoff.max()))
    cum = np.cumsum(fit)
    u = rng.random(len(types)) * cum[-1]
    out = types[np.minimum(np.searchsorted(cum, u, side="right"), len(types) - 1)]
    if mutation > 0.0:
        mutate = rng.random(len(types)) < mutation
        out = out.copy()
        out[mutate] = rng.integers(0, k, size=int(mutate.sum()))
    return out


@pytest.mark.parametrize("n", [1, 2, 7, 50_000])
def test_select_equals_array_formulation(n: int) -> None:
    """Parent draws grouped by where they fall (three groups at 50 000 agents), types
    beyond one byte, flat runs of zero fitness (beta = 800), mutation."""
    cases = [(3, 1.0, 0.0), (5, 30.0, 0.2), (300, 0.0, 0.01), (4, 800.0, 0.0)]
    for seed, (k, beta, mutation) in enumerate(cases):
        rng = np.random.default_rng(seed)
        types = rng.integers(0, k, size=n)
        payoff = rng.integers(-2, 6, size=n) / 3
        ours, ref = np.random.default_rng(seed + 100), np.random.default_rng(seed + 100)
        got = select(types, payoff, k, ours, beta, mutation)
        want = _select_arrays(types, payoff, k, ref, beta, mutation)
        assert np.array_equal(got, want) and got.dtype == want.dtype
        assert ours.random() == ref.random()


# Digests of (final types, last cooperation, last mean payoff) after 4 generations of
# 2000 agents (seed 3), as the array formulation above with NumPy's searchsorted gives them.
POPULATION_DIGESTS = {
    "MemoryOnePopulation": ("c383c8ebc5ba93a1", 0.2507, 1.643),
    "DonorPopulation": ("bc645392cb9e9d2d", 0.32245, 0.6449),
    "ImageScorePopulation": ("e32f91f9899a4435", 0.8099, 0.7289100000000001),
}


@pytest.mark.parametrize("name", sorted(POPULATION_DIGESTS))
def test_population_trajectories_are_unchanged(name: str) -> None:
    cls = {
        "MemoryOnePopulation": lambda: MemoryOnePopulation(TABLE, size=2000, seed=3),
        "DonorPopulation": lambda: DonorPopulation(size=2000, seed=3),
        "ImageScorePopulation": lambda: ImageScorePopulation(size=2000, seed=3),
    }[name]
    pop = cls()
    last = [pop.step(g) for g in range(4)][-1]
    types = np.ascontiguousarray(pop.types)
    digest = hashlib.sha256(str(types.dtype).encode() + types.tobytes()).hexdigest()[:16]
    assert (digest, last.cooperation, last.mean_payoff) == POPULATION_DIGESTS[name]


def test_kernels_reject_out_of_range_inputs() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(InvalidParameterError, match="rows of the strategy table"):
        ipd_generation(np.array([0, len(TABLE)]), TABLE, rng)
    with pytest.raises(InvalidParameterError, match="2 x 2"):
        ipd_generation(np.array([0, 1]), TABLE, rng, payoffs=[1.0, 2.0])
    with pytest.raises(InvalidParameterError, match="reputations"):
        donor_generation(np.array([0, 2]), np.array([1, 2], dtype=np.int8), rng)
    with pytest.raises(InvalidParameterError, match="images"):
        image_score_generation(np.array([0, 1]), np.array([0, 6]), rng)
    with pytest.raises(InvalidParameterError, match="integers"):
        image_score_generation(np.array([0.5, 1.0]), np.array([0, 1]), rng)
