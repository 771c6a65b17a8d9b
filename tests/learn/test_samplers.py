"""Win-rate-gated rotation (exact sequence of decisions) and the sampled payoff table
(agrees with the exact table within its standard errors, plays only new profiles, the
same seeds give the same table on any runner, a stored run is replayed, not replayed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.learn.population import (
    GatedRotation,
    Member,
    PayoffTable,
    Population,
    SampledPayoffTable,
)
from redqueen.solve.policy import TabularPolicy
from redqueen.store.run_store import RunStore


def test_gated_rotation_exact_decisions() -> None:
    gate = GatedRotation(threshold=0.6, min_games=4)
    steps = []
    for wins, games, n in [
        (2, 2, 2),  # 2/2, too few games
        (0.5, 2, 2),  # 2.5/4 = 0.625 > 0.6: rotate to opponent 1
        (2, 4, 2),  # 0.5: stay
        (3, 4, 2),  # 5/8 = 0.625: past the newest: add the learner
        (1, 4, 3),  # against the new snapshot (index 2): 0.25, stay
    ]:
        steps.append((gate.observe(wins, games, n), gate.current))
    assert steps == [("stay", 0), ("rotate", 1), ("stay", 1), ("add", 2), ("stay", 2)]
    assert gate.win_rate == 0.25
    np.testing.assert_array_equal(gate.weights(3), [0.0, 0.0, 1.0])
    with pytest.raises(InvalidParameterError, match="add the learner"):
        GatedRotation(current=2).weights(2)
    with pytest.raises(InvalidParameterError, match="between 0 and 1"):
        GatedRotation(threshold=1.0)
    with pytest.raises(InvalidParameterError, match="wins"):
        gate.observe(5, 4, 3)


def _rps_population() -> tuple[redqueen.Game, Population]:
    game = redqueen.make("rock_paper_scissors")
    pop = Population(2)
    for seat in range(2):
        for k, dist in enumerate([{0: 1.0, 1: 0.0, 2: 0.0}, {0: 0.2, 1: 0.5, 2: 0.3}]):
            policy = TabularPolicy({(seat, ()): dist})
            pop.add(seat, Member(f"s{seat}-{k}", policy))
    return game, pop


def test_sampled_table_agrees_with_the_exact_table() -> None:
    game, pop = _rps_population()
    sampled = SampledPayoffTable(game, pop, matches_per_profile=200, seed=3)
    assert sampled.update() == 4 * 200
    exact = PayoffTable(game, pop)
    exact.update()
    np.testing.assert_array_equal(sampled.count, np.full((2, 2), 200))
    diff = np.abs(sampled.mean(0) - exact.matrix(0))
    sem = sampled.sem(0)
    assert np.all(diff[sem > 0] < 4 * sem[sem > 0])
    assert np.all(diff[sem == 0] == 0)
    # rock against rock is a certain draw: mean 0 and a zero standard error
    assert sampled.mean(0)[0, 0] == 0.0 and sampled.sem(0)[0, 0] == 0.0
    assert sampled.win_rates(0)[0, 0] == 0.5
    np.testing.assert_allclose(sampled.mean(0), -sampled.mean(1))
    # only the new profiles are played when a member joins
    pop.add(0, Member("s0-2", TabularPolicy({(0, ()): {0: 0.0, 1: 1.0, 2: 0.0}})))
    assert sampled.update() == 2 * 200
    assert sampled.sizes == (3, 2)
    assert sampled.mean(0)[2, 0] == 1.0  # paper beats rock every time
    assert sampled.update() == 0


def test_sampled_table_is_the_same_on_any_runner_and_resumes(tmp_path: Path) -> None:
    game, pop = _rps_population()
    inline = SampledPayoffTable(game, pop, matches_per_profile=6, seed=1)
    inline.update()
    pool = SampledPayoffTable(game, pop, matches_per_profile=6, seed=1, workers=2)
    pool.update()
    np.testing.assert_array_equal(inline.mean(0), pool.mean(0))
    with RunStore(tmp_path) as store:
        first = SampledPayoffTable(game, pop, matches_per_profile=6, seed=1, store=store)
        first.update()
        assert len(store.completed_keys()) == 24
    with RunStore(tmp_path) as store:
        again = SampledPayoffTable(game, pop, matches_per_profile=6, seed=1, store=store)
        assert again.update() == 24  # replayed from the store: nothing is written twice
        assert len(store.completed_keys()) == 24
    np.testing.assert_array_equal(again.mean(0), inline.mean(0))
    with pytest.raises(UnknownNameError, match="runner backend"):
        SampledPayoffTable(game, pop, backend="spark")
