"""The tic-tac-toe and connect-four batch engines follow exactly the scalar rules: random
scalar plays replayed in lockstep through a batch give the same player to move, the same
legal moves at every step and the same returns at the end."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

import redqueen
from redqueen.games import TERMINAL, Game, State
from redqueen.games.batch import BatchGame, make_batch, random_playouts
from redqueen.games.batch.connect_four import ConnectFourBatch
from redqueen.games.batch.tic_tac_toe import TicTacToeBatch


def lockstep(game: Game, engine: BatchGame, seed: int) -> int:
    """Play ``engine.batch_size`` random scalar games and the batch side by side; assert
    they agree at every step. Returns how many steps were compared."""
    rng = np.random.default_rng(seed)
    b = engine.batch_size
    states: list[State] = [game.new_initial_state() for _ in range(b)]
    engine.reset()
    steps = 0
    for _ in range(game.spec.max_game_length + 1):
        expected_player = np.array([s.current_player() for s in states])
        expected_mask = np.zeros((b, engine.num_actions), dtype=bool)
        for i, s in enumerate(states):
            expected_mask[i, s.legal_actions()] = True
        np.testing.assert_array_equal(engine.current_player(), expected_player)
        np.testing.assert_array_equal(engine.legal_mask(), expected_mask)
        np.testing.assert_array_equal(engine.done, expected_player == TERMINAL)
        steps += 1
        if engine.done.all():
            break
        actions = np.zeros(b, dtype=np.int64)
        for i, s in enumerate(states):
            if not s.is_terminal():
                legal = s.legal_actions()
                actions[i] = legal[rng.integers(len(legal))]
                s.apply_action(int(actions[i]))
        engine.step(actions)
    assert engine.done.all()
    np.testing.assert_array_equal(engine.returns(), np.array([s.returns() for s in states]))
    return steps


def test_tic_tac_toe_batch_matches_the_scalar_game_in_lockstep() -> None:
    engine = TicTacToeBatch(2500)
    assert lockstep(redqueen.make("tic_tac_toe"), engine, seed=0) == 10
    returns = engine.returns()
    # All three outcomes occur, so the comparison covered wins for both seats and draws.
    assert {-1.0, 0.0, 1.0} <= set(returns[:, 0].tolist())


def test_connect_four_batch_matches_the_scalar_game_in_lockstep() -> None:
    engine = ConnectFourBatch(2500)
    lockstep(redqueen.make("connect_four"), engine, seed=1)
    assert {-1.0, 1.0} <= set(engine.returns()[:, 0].tolist())


def test_connect_four_batch_with_other_parameters_matches_the_scalar_game() -> None:
    params = {"rows": 5, "columns": 4, "x_in_row": 4}
    engine = ConnectFourBatch(2000, **params)
    lockstep(redqueen.make("connect_four", **params), engine, seed=2)
    assert {-1.0, 0.0, 1.0} <= set(engine.returns()[:, 0].tolist())


def test_make_batch_builds_these_engines() -> None:
    assert isinstance(make_batch("tic_tac_toe", 3), TicTacToeBatch)
    assert isinstance(make_batch("connect_four", 3), ConnectFourBatch)
    with pytest.raises(ValueError):
        TicTacToeBatch(0)


@pytest.mark.parametrize("engine", [TicTacToeBatch(4), ConnectFourBatch(4)])
def test_illegal_action_is_rejected_and_changes_nothing(engine: BatchGame) -> None:
    engine.reset()
    engine.step(np.array([0, 1, 2, 3]))
    if isinstance(engine, ConnectFourBatch):
        for _ in range(5):
            engine.step(np.array([0, 1, 2, 3]))  # column 0 of play 0 is now full
    before = (engine.current_player(), engine.legal_mask(), engine.returns())
    with pytest.raises(ValueError, match="illegal action 0 in play 0"):
        engine.step(np.array([0, 4, 4, 4]))
    with pytest.raises(ValueError, match="illegal action"):
        engine.step(np.array([5, 4, 4, -1]))
    with pytest.raises(ValueError, match="shape"):
        engine.step(np.array([4, 4]))
    after = (engine.current_player(), engine.legal_mask(), engine.returns())
    for x, y in zip(before, after, strict=True):
        np.testing.assert_array_equal(x, y)


def test_finished_plays_ignore_their_actions() -> None:
    engine = TicTacToeBatch(2)
    for a, b in [(0, 4), (3, 0), (1, 8), (4, 2), (2, 6)]:  # play 0: x wins the top row
        engine.step(np.array([a, b]))
    assert engine.current_player().tolist() == [TERMINAL, 1]
    assert not engine.legal_mask()[0].any()
    engine.step(np.array([99, 5]))  # play 0 is over: its entry is ignored, even out of range
    np.testing.assert_array_equal(engine.returns()[0], [1.0, -1.0])
    assert engine.current_player().tolist() == [TERMINAL, 0]


def _expected_random_return(state: State, memo: dict[object, Fraction]) -> Fraction:
    """Player 0's expected return under uniform random play, exactly."""
    if state.is_terminal():
        return Fraction(int(state.returns()[0]))
    key = state.information_state_key(0)
    if key not in memo:
        legal = state.legal_actions()
        total = Fraction(0)
        for a in legal:
            child = state.clone()
            child.apply_action(a)
            total += _expected_random_return(child, memo)
        memo[key] = total / len(legal)
    return memo[key]


def test_random_playouts_reach_the_exact_random_play_value() -> None:
    exact = _expected_random_return(redqueen.make("tic_tac_toe").new_initial_state(), {})
    engine = TicTacToeBatch(65536)
    returns = random_playouts(engine, np.random.default_rng(3))
    assert returns.shape == (65536, 2)
    np.testing.assert_array_equal(returns.sum(axis=1), 0.0)
    standard_error = returns[:, 0].std() / np.sqrt(len(returns))
    assert abs(returns[:, 0].mean() - float(exact)) < 5 * standard_error
    again = random_playouts(engine, np.random.default_rng(3))  # reset, then the same seed
    np.testing.assert_array_equal(again, returns)


def test_connect_four_random_playouts_finish_with_zero_sum_returns() -> None:
    engine = ConnectFourBatch(4096)
    returns = random_playouts(engine, np.random.default_rng(4))
    assert engine.done.all()
    np.testing.assert_array_equal(returns.sum(axis=1), 0.0)
    # The first player wins more often under random play (about 55% against 44%).
    wins = (returns[:, 0] > 0).mean()
    losses = (returns[:, 0] < 0).mean()
    assert 0.5 < wins < 0.6 and 0.39 < losses < 0.49
