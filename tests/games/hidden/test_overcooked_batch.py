"""The Overcooked batch engine against the scalar game: the same transitions, shaped
rewards and tensors from many states (greedy cooks with random slips, so that pots fill,
cook and are served, objects land on counters and the cooks collide), on every layout."""

from __future__ import annotations

import numpy as np
import pytest

import redqueen
from redqueen.agents.core import Observation
from redqueen.agents.hidden.overcooked import GreedyAgent
from redqueen.errors import InvalidParameterError
from redqueen.games.batch.core import random_playouts
from redqueen.games.batch.overcooked import OvercookedBatch
from redqueen.games.core import SIMULTANEOUS, TERMINAL
from redqueen.games.hidden.overcooked import (
    DISH,
    INTERACT,
    LAYOUTS,
    SOUP,
    OvercookedGame,
    OvercookedState,
    ahead,
)


def _game(layout: str, **params: object) -> OvercookedGame:
    game = redqueen.make("overcooked", layout=layout, **params)
    assert isinstance(game, OvercookedGame)
    return game


def _obs(state: OvercookedState, seat: int, rng: np.random.Generator) -> Observation:
    return Observation(
        state.game,
        seat,
        tuple(range(6)),
        ("up", "down", "right", "left", "stay", "interact"),
        "",
        state.information_state_key(seat),
        (),
        rng,
    )


def _random_joint(rng: np.random.Generator) -> tuple[int, int]:
    """Random actions, interact twice as often as the others."""
    p = np.array([1, 1, 1, 1, 1, 2]) / 7
    return int(rng.choice(6, p=p)), int(rng.choice(6, p=p))


def _visited_states(game: OvercookedGame, seed: int, slip: float) -> list[OvercookedState]:
    """Every state of one play by two greedy cooks who act at random with prob. ``slip``."""
    rng = np.random.default_rng(seed)
    agents = [GreedyAgent(), GreedyAgent()]
    state = game.new_initial_state()
    out = [state.clone()]
    while not state.is_terminal():
        joint = [
            int(rng.integers(6)) if rng.random() < slip else agents[s].act(_obs(state, s, rng))
            for s in (0, 1)
        ]
        state.apply_joint_action(joint)
        out.append(state.clone())
    return out


def _assert_same(engine: OvercookedBatch, states: list[OvercookedState]) -> None:
    for i, s in enumerate(states):
        assert engine.view(i) == s.view()._replace(last_skills=(None, None)), i
        assert engine.shaped[i] == s.shaped_return()
    assert engine.sparse_returns().tolist() == [s.sparse_return() for s in states]
    features = engine.features()
    for seat in (0, 1):
        tensor = engine.tensor(seat)
        expected = np.stack([s.information_state_tensor(seat) for s in states])
        np.testing.assert_array_equal(tensor, expected)
        # The compact features are the tensor's changing entries, nothing dropped that varies.
        flat = tensor.reshape(len(states), -1)
        kept = engine._columns.reshape(-1) >= 0
        np.testing.assert_array_equal(features[:, seat], flat[:, kept])
        assert (flat[:, ~kept] == flat[:1, ~kept]).all()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_batch_steps_like_the_scalar_game_from_many_states(layout: str) -> None:
    game = _game(layout, horizon=150)
    rng = np.random.default_rng(len(layout))
    pool = _visited_states(game, 1, 0.1) + _visited_states(game, 2, 0.4)
    pool = [s for s in pool if s.time <= game.horizon - 30]
    starts = [pool[int(k)] for k in rng.choice(len(pool), size=48, replace=False)]
    scalar = [s.clone() for s in starts]
    engine = OvercookedBatch(game, len(scalar))
    engine.load(scalar)
    _assert_same(engine, scalar)
    seen = {"delivered": 0, "soup_taken": 0, "collided": 0, "counter": 0}
    for _ in range(30):
        joint = np.array([_random_joint(rng) for _ in scalar])
        before = [s.view() for s in scalar]
        for s, a in zip(scalar, joint, strict=True):
            s.apply_joint_action([int(a[0]), int(a[1])])
        engine.step_joint(joint)
        _assert_same(engine, scalar)
        for v0, s, a in zip(before, scalar, joint, strict=True):
            v1 = s.view()
            seen["delivered"] += v1.delivered - v0.delivered
            seen["soup_taken"] += sum(
                h1 == SOUP and h0 == DISH for h0, h1 in zip(v0.held, v1.held, strict=True)
            )
            wanted = [
                a[k] < 4 and ahead(v0.positions[k], int(a[k])) in game.layout.floor for k in (0, 1)
            ]
            seen["collided"] += any(wanted) and v1.positions == v0.positions
            seen["counter"] += INTERACT in a and len(v1.counters) != len(v0.counters)
    # The random steps reached the rules that matter (in asymmetric_advantages and
    # forced_coordination a wall parts the cooks: they never meet).
    assert seen["counter"] > 0
    if layout in ("cramped_room", "coordination_ring", "counter_circuit"):
        assert seen["collided"] > 0
    if layout == "cramped_room":
        assert seen["soup_taken"] > 0 and seen["delivered"] > 0


def test_whole_plays_match_and_finished_plays_stay_put() -> None:
    game = _game("cramped_room", horizon=60, shaped_rewards=True)
    rng = np.random.default_rng(5)
    scalar = [game.new_initial_state() for _ in range(16)]
    engine = OvercookedBatch(game, 16)
    for _ in range(60):
        joint = np.array([_random_joint(rng) for _ in scalar])
        for s, a in zip(scalar, joint, strict=True):
            s.apply_joint_action([int(a[0]), int(a[1])])
        engine.step(joint[:, 0] * 6 + joint[:, 1])  # the contract's joint ids
    _assert_same(engine, scalar)
    assert (engine.current_player() == TERMINAL).all() and not engine.legal_mask().any()
    assert engine.returns().tolist() == [s.returns() for s in scalar]
    engine.step_joint(np.full((16, 2), INTERACT))  # over: nothing changes
    _assert_same(engine, scalar)
    engine.reset()
    assert (engine.current_player() == SIMULTANEOUS).all()
    _assert_same(engine, [game.new_initial_state() for _ in range(16)])


def test_random_playouts_and_bad_input() -> None:
    game = _game("cramped_room", horizon=10)
    engine = OvercookedBatch(game, 4)
    returns = random_playouts(engine, np.random.default_rng(0))
    assert returns.shape == (4, 2) and (engine.time == 10).all()
    engine.reset()
    with pytest.raises(ValueError, match="shape"):
        engine.step_joint(np.zeros((3, 2), np.int64))
    with pytest.raises(ValueError, match="0-5"):
        engine.step_joint(np.full((4, 2), 6))
    with pytest.raises(ValueError, match="illegal action 36"):
        engine.step(np.full(4, 36))
    with pytest.raises(ValueError, match="seats are 0 and 1"):
        engine.tensor(2)
    with pytest.raises(InvalidParameterError, match="overcooked game"):
        OvercookedBatch(redqueen.make("tic_tac_toe"), 2)  # type: ignore[arg-type]
    # cramped_room: 6 floor cells x 10 position layers, 1 pot x 2, 15 cells x 3 objects.
    assert engine.num_features == 60 + 2 + 45
