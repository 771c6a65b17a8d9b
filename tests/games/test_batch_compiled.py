"""The compiled random step of the batch engines draws and plays exactly what the NumPy
path draws and plays: ``step(actions_from_uniforms(engine, u))``. Both are run side by
side from the same uniform numbers (the extremes 0 and the largest double below 1
included) and must leave the same state at every step, and ``random_playouts`` must give
the same returns, state and generator state as the NumPy loop it replaces."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from redqueen.games.batch import BatchGame, make_batch, random_playouts, sample_actions
from redqueen.games.batch.bitboard import BitboardBatch
from redqueen.games.batch.connect_four import ConnectFourBatch
from redqueen.games.batch.core import actions_from_uniforms
from redqueen.games.batch.table_poker import TablePokerBatch

ENGINES: dict[str, Callable[[int], BatchGame]] = {
    "tic_tac_toe": lambda b: make_batch("tic_tac_toe", b),
    "connect_four": lambda b: make_batch("connect_four", b),
    "connect_three_4x5": lambda b: ConnectFourBatch(b, rows=4, columns=5, x_in_row=3),
    "kuhn_poker": lambda b: make_batch("kuhn_poker", b),
    "leduc_poker": lambda b: make_batch("leduc_poker", b),
    # 13 columns: wider than the compiled step's tables, so it takes the NumPy step.
    "connect_three_3x13": lambda b: ConnectFourBatch(b, rows=3, columns=13, x_in_row=3),
}


def snapshot(engine: BatchGame) -> dict[str, np.ndarray]:
    """Everything a caller can see of the batch, and the arrays PPO reads directly."""
    seen = {
        "player": engine.current_player().copy(),
        "mask": engine.legal_mask().copy(),
        "probs": engine.chance_probs(),
        "returns": engine.returns(),
    }
    if isinstance(engine, BitboardBatch):
        seen |= {"mover": engine._mover.copy(), "occupied": engine._occupied.copy()}
    if isinstance(engine, TablePokerBatch):
        seen |= {"cards": engine.cards(), "state": engine._state.copy()}
    return seen


def assert_same(a: BatchGame, b: BatchGame, where: str) -> None:
    seen_a, seen_b = snapshot(a), snapshot(b)
    assert seen_a.keys() == seen_b.keys()
    for key in seen_a:
        np.testing.assert_array_equal(seen_a[key], seen_b[key], f"{key} at {where}")


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_compiled_step_plays_the_actions_numpy_draws(name: str) -> None:
    batch = 600
    compiled, reference = ENGINES[name](batch), ENGINES[name](batch)
    rng = np.random.default_rng(11)
    steps = 0
    while not reference.done.all():
        u = rng.random(batch)
        u[:50] = 0.0
        u[50:100] = np.nextafter(1.0, 0.0)  # the largest draw: the last legal action
        over = compiled._step_random(u)
        reference.step(actions_from_uniforms(reference, u))
        steps += 1
        assert over == bool(reference.done.all())
        assert_same(compiled, reference, f"step {steps}")
    # Finished plays keep their state through further steps on both paths.
    for _ in range(2):
        u = rng.random(batch)
        assert compiled._step_random(u)
        reference.step(actions_from_uniforms(reference, u))
        assert_same(compiled, reference, "after the end")
    assert steps >= 5
    returns = reference.returns()[:, 0]
    assert returns.min() < 0 < returns.max()  # both seats won somewhere


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_random_playouts_equal_the_numpy_loop(name: str) -> None:
    compiled, reference = ENGINES[name](1000), ENGINES[name](1000)
    rng_compiled, rng_reference = np.random.default_rng(5), np.random.default_rng(5)
    returns = random_playouts(compiled, rng_compiled)
    while not reference.done.all():
        reference.step(sample_actions(reference, rng_reference))
    np.testing.assert_array_equal(returns, reference.returns())
    assert_same(compiled, reference, "the end")
    # The same numbers were drawn: both generators go on with the same stream.
    assert rng_compiled.bit_generator.state == rng_reference.bit_generator.state
