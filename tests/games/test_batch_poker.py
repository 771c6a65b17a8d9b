"""The batch engines of Kuhn and Leduc poker follow the scalar rules exactly: thousands of
random scalar plays, chance included, are replayed in lockstep through the batch engine,
which must agree on the player to move, the legal mask, the chance probabilities and the
returns at every step."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

import redqueen
from redqueen.games import CHANCE, TERMINAL
from redqueen.games.batch import BatchGame, make_batch, random_playouts, sample_actions
from redqueen.games.batch.kuhn_poker import KuhnPokerBatch
from redqueen.games.batch.leduc_poker import LeducPokerBatch

ENGINES: dict[str, type[BatchGame]] = {
    "kuhn_poker": KuhnPokerBatch,
    "leduc_poker": LeducPokerBatch,
}
UNIFORM_VALUE = {"kuhn_poker": 1 / 8, "leduc_poker": -5 / 64}  # player 0, exact tree walk


@dataclass
class Step:
    player: int
    legal: list[int]
    probs: list[float]  # chance probabilities, aligned with legal; empty at decisions
    action: int


@dataclass
class Play:
    steps: list[Step]
    returns: list[float]


def scalar_plays(game_id: str, n: int, seed: int) -> list[Play]:
    game = redqueen.make(game_id)
    rng = np.random.default_rng(seed)
    plays = []
    for _ in range(n):
        state = game.new_initial_state()
        steps = []
        while not state.is_terminal():
            player = state.current_player()
            if player == CHANCE:
                outcomes = state.chance_outcomes()
                legal = [a for a, _ in outcomes]
                probs = [p for _, p in outcomes]
                action = legal[rng.choice(len(legal), p=probs)]
            else:
                legal = state.legal_actions()
                probs = []
                action = legal[rng.integers(len(legal))]
            steps.append(Step(player, legal, probs, action))
            state.apply_action(action)
        plays.append(Play(steps, state.returns()))
    return plays


@pytest.mark.parametrize("game_id", sorted(ENGINES))
def test_batch_replays_scalar_plays_in_lockstep(game_id: str) -> None:
    plays = scalar_plays(game_id, 2500, seed=7)
    engine = ENGINES[game_id](len(plays))
    width = engine.num_actions
    longest = max(len(p.steps) for p in plays)
    assert longest == redqueen.make(game_id).spec.max_game_length  # the longest line is seen
    for t in range(longest + 1):
        want_player = np.full(len(plays), TERMINAL)
        want_mask = np.zeros((len(plays), width), bool)
        want_probs = np.zeros((len(plays), width))
        actions = np.zeros(len(plays), np.int64)
        for i, play in enumerate(plays):
            if t < len(play.steps):
                step = play.steps[t]
                want_player[i] = step.player
                want_mask[i, step.legal] = True
                if step.probs:
                    want_probs[i, step.legal] = step.probs
                actions[i] = step.action
        np.testing.assert_array_equal(engine.current_player(), want_player, f"step {t}")
        np.testing.assert_array_equal(engine.legal_mask(), want_mask, f"step {t}")
        np.testing.assert_array_equal(engine.chance_probs(), want_probs, f"step {t}")
        np.testing.assert_array_equal(engine.done, want_player == TERMINAL)
        engine.step(actions)
    assert engine.done.all()
    np.testing.assert_array_equal(engine.returns(), np.array([p.returns for p in plays]))


@pytest.mark.parametrize("game_id", sorted(ENGINES))
def test_random_playouts_average_the_exact_uniform_value(game_id: str) -> None:
    engine = make_batch(game_id, 40_000)
    returns = random_playouts(engine, np.random.default_rng(3))
    assert returns.shape == (40_000, 2)
    np.testing.assert_array_equal(returns.sum(axis=1), 0.0)
    spec = redqueen.make(game_id).spec
    assert returns.min() >= spec.min_utility and returns.max() <= spec.max_utility
    mean = returns[:, 0].mean()
    error = returns[:, 0].std() / np.sqrt(len(returns))
    assert abs(mean - UNIFORM_VALUE[game_id]) < 4 * error
    # A second run on the same engine starts again from the initial state.
    again = random_playouts(engine, np.random.default_rng(3))
    np.testing.assert_array_equal(again, returns)


@pytest.mark.parametrize("game_id", sorted(ENGINES))
def test_illegal_actions_raise_naming_the_legal_ones(game_id: str) -> None:
    engine = make_batch(game_id, 3)
    engine.step(np.array([0, 1, 2]))  # deal player 0 a card
    with pytest.raises(ValueError, match=r"illegal action 1 in play 1; legal there: \[0, 2"):
        engine.step(np.array([1, 1, 1]))  # card 1 went to player 0 in play 1
    with pytest.raises(ValueError, match="illegal action -1 in play 0"):
        engine.step(np.array([-1, 0, 0]))
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        engine.step(np.array([1, 0]))
    np.testing.assert_array_equal(engine.current_player(), [CHANCE] * 3)  # unchanged


def test_finished_plays_ignore_their_actions() -> None:
    engine = KuhnPokerBatch(2)
    for actions in ([0, 0], [1, 2], [1, 0]):  # deal J/Q and J/K; play 0 bets, play 1 checks
        engine.step(np.array(actions))
    engine.step(np.array([0, 0]))  # play 0: player 1 folds; play 1: both checked
    np.testing.assert_array_equal(engine.done, [True, True])
    np.testing.assert_array_equal(engine.returns(), [[1.0, -1.0], [-1.0, 1.0]])
    engine.step(np.array([99, -5]))  # out of range, but both plays are over
    np.testing.assert_array_equal(engine.returns(), [[1.0, -1.0], [-1.0, 1.0]])
    np.testing.assert_array_equal(engine.legal_mask(), np.zeros((2, 3), bool))


def test_leduc_batch_hand_written_hand() -> None:
    engine = LeducPokerBatch(1)
    # Js vs Ks; raise, re-raise, call; public Jh; check, check: player 0's pair wins 5.
    for action in [0, 4, 2, 2, 1, 1, 1, 1]:
        assert not engine.done[0]
        engine.step(np.array([action]))
    assert engine.done[0]
    np.testing.assert_array_equal(engine.returns(), [[5.0, -5.0]])
    np.testing.assert_array_equal(engine.cards(), [[0, 4, 1]])


def test_masks_are_read_only_and_engines_are_registered() -> None:
    engine = make_batch("leduc_poker", 4)
    assert isinstance(engine, LeducPokerBatch)
    assert isinstance(make_batch("kuhn_poker", 4), KuhnPokerBatch)
    with pytest.raises(ValueError):
        engine.legal_mask()[0, 0] = False
    actions = sample_actions(engine, np.random.default_rng(0))
    assert actions.shape == (4,) and engine.legal_mask()[np.arange(4), actions].all()
    with pytest.raises(ValueError, match="batch_size"):
        KuhnPokerBatch(0)
