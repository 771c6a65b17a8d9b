"""Moran process, replicator dynamics on a tournament, and the Nowak-May lattice against
known values."""

from __future__ import annotations

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError
from redqueen.learn.moran import (
    fixation_probability,
    moran_process,
    nowak_may_payoffs,
    simulate_fixation,
    spatial_game,
    tournament_replicator,
)
from redqueen.play.ipd import IPDTournament


def constant(r: float) -> np.ndarray:
    """Type 0 has fitness r, type 1 fitness 1, whoever they meet."""
    return np.array([[r, r], [1.0, 1.0]])


@pytest.mark.parametrize("n", [2, 5, 10, 30])
def test_neutral_fixation_is_one_over_n(n: int) -> None:
    assert fixation_probability(constant(1.0), n) == pytest.approx(1 / n)
    assert fixation_probability(constant(1.0), n, mutants=3 if n > 3 else 1) == pytest.approx(
        (3 if n > 3 else 1) / n
    )


@pytest.mark.parametrize("r", [0.8, 1.1, 1.5, 2.0])
def test_constant_fitness_fixation(r: float) -> None:
    n = 10
    expected = (1 - 1 / r) / (1 - 1 / r**n)
    assert fixation_probability(constant(r), n) == pytest.approx(expected, rel=1e-12)
    runs = 20_000
    est = simulate_fixation(constant(r), n, runs=runs, seed=2)
    assert abs(est - expected) < 4 * np.sqrt(expected * (1 - expected) / runs)


def test_moran_process_fixation_frequency_neutral() -> None:
    """The step-by-step process (k types, counts) fixes a neutral mutant about 1/N."""
    n, runs = 5, 600
    fixed = [
        moran_process([1, n - 1], payoffs=constant(1.0), seed=s).fixed == 0 for s in range(runs)
    ]
    assert abs(np.mean(fixed) - 1 / n) < 4 * np.sqrt(0.2 * 0.8 / runs)


def test_moran_counts_conserved_and_mutation_keeps_going() -> None:
    pd = np.array([[3.0, 0.0], [5.0, 1.0]])
    res = moran_process([4, 4], payoffs=pd, mutation=0.2, max_steps=200, seed=3)
    assert res.fixed is None and len(res.counts) == 201
    assert np.all(res.counts.sum(axis=1) == 8)
    assert np.all(np.abs(np.diff(res.counts, axis=0)).sum(axis=1) <= 2)


def test_moran_from_matches_equals_matrix_for_deterministic() -> None:
    """TFT and Defector are deterministic: matches give the matrix's fitness, so with the
    same seed both runs take the same path."""
    names = ["tit_for_tat", "defector"]
    matrix = IPDTournament(names, turns=50, repetitions=1).play().payoff_matrix
    a = moran_process([3, 3], strategies=names, turns=50, seed=4)
    b = moran_process([3, 3], payoffs=matrix, seed=4)
    assert np.array_equal(a.counts, b.counts) and a.fixed == b.fixed


def test_tournament_replicator_basins() -> None:
    res = IPDTournament(["cooperator", "defector", "tit_for_tat"], turns=20, repetitions=1).play()
    traj = tournament_replicator(res.payoff_matrix, x0=[0.45, 0.1, 0.45], steps=3000, dt=0.05)
    assert np.allclose(traj.sum(axis=1), 1.0)
    assert traj[-1, 1] < 1e-9  # few defectors: TFT drives them out
    assert traj[-1, 2] > traj[0, 2]
    many = tournament_replicator(res.payoff_matrix, x0=[0.0, 0.99, 0.01], steps=3000, dt=0.05)
    assert many[-1, 1] > 0.99  # TFT below its threshold 1/37: defection wins


def single_defector(b: float, size: int = 11) -> list[np.ndarray]:
    grid = np.zeros((size, size), dtype=np.int64)
    grid[size // 2, size // 2] = 1
    return spatial_game(grid, nowak_may_payoffs(b), 1)


def test_single_defector_patterns() -> None:
    c = 5
    assert single_defector(0.9)[1].sum() == 0  # b < 1: it becomes a cooperator
    one = single_defector(1.05)[1]
    assert one.sum() == 1 and one[c, c] == 1  # 1 < b < 9/8: it stays alone
    block = single_defector(1.2)[1]
    assert block.sum() == 9 and block[c - 1 : c + 2, c - 1 : c + 2].all()  # b > 9/8: 3x3


def test_spatial_chaos_cooperator_share() -> None:
    """Nowak & May (1992): for 1.8 < b < 2 the share of cooperators fluctuates about
    0.318 whatever the start."""
    rng = np.random.default_rng(0)
    grid = (rng.random((99, 99)) < 0.1).astype(np.int64)
    frames = spatial_game(grid, nowak_may_payoffs(1.9), 200)
    share = np.mean([1 - f.mean() for f in frames[100:]])
    assert 0.28 < share < 0.35


def test_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="mutation"):
        moran_process([2, 2], payoffs=constant(1.0), mutation=1.5)
    with pytest.raises(InvalidParameterError, match="2 types"):
        fixation_probability(np.ones((3, 3)), 5)
    with pytest.raises(InvalidParameterError, match="w"):
        fixation_probability(constant(1.0), 5, w=2.0)
