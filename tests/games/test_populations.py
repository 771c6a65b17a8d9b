"""Population engines against their scalar references on small sizes, and their
invariants."""

from __future__ import annotations

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.batch.populations import (
    NORMS,
    DonorPopulation,
    ImageScorePopulation,
    MemoryOnePopulation,
    donor_generation,
    donor_generation_scalar,
    image_score_generation,
    image_score_generation_scalar,
    ipd_generation,
    ipd_generation_scalar,
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
