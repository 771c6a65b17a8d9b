"""The commons: logistic regrowth numbers, harvests, collapse, votes, monitoring and fines,
presets, text views and parameter errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games import CHANCE, SIMULTANEOUS, TERMINAL, ChanceMode, check_game
from redqueen.games.commons import (
    AUDITED,
    NOT_AUDITED,
    CommonsGame,
    CommonsState,
    CommonsView,
    logistic_regrowth,
)


def make_commons(**params: Any) -> CommonsGame:
    game = redqueen.make("commons", **params)
    assert isinstance(game, CommonsGame)
    return game


def test_logistic_regrowth_numbers() -> None:
    assert logistic_regrowth(50.0, 1.0, 100.0) == 75.0
    assert logistic_regrowth(80.0, 0.5, 100.0) == 88.0
    assert logistic_regrowth(100.0, 1.0, 100.0) == 100.0
    assert logistic_regrowth(60.0, 4.0, 100.0) == 100.0  # capped at capacity
    assert logistic_regrowth(0.0, 1.0, 100.0) == 0.0


def test_two_rounds_by_hand() -> None:
    game = make_commons(preset="rich")
    state = game.new_initial_state()
    assert isinstance(state, CommonsState)
    assert state.current_player() == SIMULTANEOUS
    assert state.action_text(2, 0) == "harvest 20% (4)"
    state.apply_joint_action([2] * 5)  # each takes 0.2 * 100 / 5 = 4; 80 remain -> 96
    assert state.returns() == [4.0] * 5
    assert state.stock == 96.0
    state.apply_joint_action([2, 2, 2, 2, 10])  # share 19.2: four take 3.84, one 19.2
    assert state.returns() == pytest.approx([7.84] * 4 + [23.2])
    remaining = 96.0 - 4 * 3.84 - 19.2
    assert state.stock == pytest.approx(remaining + remaining * (1 - remaining / 100))
    record = state.records()[1]
    assert record.remaining == pytest.approx(remaining) and not record.collapsed


def test_steady_state_of_constant_effort() -> None:
    """Harvesting e of the stock with growth 1 settles at S* = 100 (2 - 1/(1-e)) / (1-e)."""
    game = make_commons(preset="rich", rounds=300)
    state = game.new_initial_state()
    while not state.is_terminal():
        state.apply_joint_action([2] * 5)
    assert state.stock == pytest.approx(100 * (2 - 1 / 0.8) / 0.8, rel=1e-9)  # 93.75


def test_collapse_ends_the_game() -> None:
    game = make_commons(preset="scarce", rounds=12)
    state = game.new_initial_state()
    state.apply_joint_action([10] * 5)  # everything is taken
    assert state.current_player() == TERMINAL and state.collapsed()
    assert state.returns() == [10.0] * 5
    assert state.stock == 0.0
    assert "collapsed" in state.observation_text(0)


def test_vote_sets_the_median_norm() -> None:
    game = make_commons(num_agents=3, effort_levels=5, vote_every=2, rounds=3)
    state = game.new_initial_state()
    assert state.phase == "vote" and state.action_text(1, 0) == "propose 25%"
    state.apply_joint_action([3, 1, 2])
    assert state.norm == 0.5 and state.phase == "harvest"
    state.apply_joint_action([0, 0, 0])
    assert state.phase == "harvest"  # round 2 has no vote
    state.apply_joint_action([0, 0, 0])
    assert state.phase == "vote"  # round 3 votes again
    state.apply_joint_action([4, 0, 0])
    assert state.norm == 0.0
    assert state.votes() == [(3, 1, 2), (4, 0, 0)]
    # an even number of voters takes the lower median
    game = make_commons(num_agents=2, effort_levels=5, vote_every=1, rounds=1)
    state = game.new_initial_state()
    state.apply_joint_action([4, 1])
    assert state.norm == 0.25


def test_monitoring_fines_the_excess() -> None:
    game = make_commons(norm=0.2, monitoring=1.0, fine=2.0)
    assert game.spec.chance == ChanceMode.EXPLICIT
    state = game.new_initial_state()
    state.apply_joint_action([2, 5, 2, 2, 2])  # agent 1 exceeds the norm by 0.3 of 20
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(AUDITED, 1.0)]
    state.apply_action(AUDITED)
    assert state.returns() == pytest.approx([4.0, 10.0 - 2.0 * 6.0, 4.0, 4.0, 4.0])
    record = state.records()[0]
    assert record.audited == (False, True, False, False, False)
    assert record.fines == pytest.approx((0, 12, 0, 0, 0))
    assert "(audited, fined 12)" in state.observation_text(0)


def test_unaudited_violators_keep_their_harvest() -> None:
    game = make_commons(norm=0.0, monitoring=0.25, fine=5.0, num_agents=2)
    state = game.new_initial_state()
    state.apply_joint_action([10, 4])  # both exceed a norm of 0: two audit nodes
    assert state.chance_outcomes() == [(NOT_AUDITED, 0.75), (AUDITED, 0.25)]
    state.apply_action(NOT_AUDITED)
    state.apply_action(AUDITED)
    assert state.returns() == pytest.approx([50.0, 20.0 - 5.0 * 20.0])


def test_presets_and_overrides() -> None:
    rich, scarce = make_commons(preset="rich"), make_commons(preset="scarce")
    assert (rich.capacity, rich.initial_stock, rich.growth) == (100.0, 100.0, 1.0)
    assert (scarce.capacity, scarce.initial_stock, scarce.growth) == (100.0, 50.0, 0.5)
    assert make_commons(preset="scarce", growth=0.8).growth == 0.8
    assert rich.spec.max_utility == 12 * 20.0


def test_view_is_public() -> None:
    game = make_commons(num_agents=2, rounds=2)
    state = game.new_initial_state()
    state.apply_joint_action([1, 3])
    view = state.information_state_key(0)
    assert isinstance(view, CommonsView)
    assert view == state.information_state_key(1)
    assert view.round == 1 and view.norm is None and view.phase == "harvest"
    assert state.parse_action("harvest 30%", 0) == 3


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"preset": "plenty"}, UnknownNameError, "allowed: rich, scarce"),
        ({"monitoring": 1.5}, InvalidParameterError, r"monitoring must be .* \[0, 1\]"),
        ({"monitoring": -0.1}, InvalidParameterError, "monitoring"),
        ({"fine": -1}, InvalidParameterError, "fine"),
        ({"initial_stock": 150}, InvalidParameterError, r"initial_stock .* \(0, 100\]"),
        ({"capacity": 0}, InvalidParameterError, "capacity"),
        ({"growth": -0.1}, InvalidParameterError, "growth"),
        ({"norm": 2.0}, InvalidParameterError, "norm"),
        ({"num_agents": 0}, InvalidParameterError, "num_agents"),
        ({"vote_every": -1}, InvalidParameterError, "vote_every"),
    ],
)
def test_bad_parameters(params: dict[str, Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make_commons(**params)


def test_rules_text_and_check_game() -> None:
    game = make_commons(
        preset="scarce",
        num_agents=3,
        rounds=4,
        effort_levels=4,
        norm=0.3,
        monitoring=0.4,
        fine=1.5,
        vote_every=3,
    )
    rules = game.rules_text()
    assert "median proposal" in rules and "audited with probability 0.4" in rules
    assert check_game(game, n_games=40).games_played == 40


def test_information_state_tensor() -> None:
    game = make_commons(num_agents=2, rounds=4, norm=0.5, effort_levels=5)
    assert game.information_state_tensor_shape() == (13,)
    state = game.new_initial_state()
    state.apply_joint_action([1, 4])  # harvests 12.5 and 50 of 100; 37.5 regrow to 60.9375
    t = state.information_state_tensor(1)
    expected = [0, 1, 0, 1, 0, 0, 0.25, 0.609375, 1, 0.5, 50 / 200, 0.25, 1.0]
    assert t.tolist() == pytest.approx(expected)
    assert t.dtype == np.float32
    assert state.information_state_tensor(0)[0] == 1.0
