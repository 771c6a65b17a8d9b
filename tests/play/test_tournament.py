"""Schedules, runners and standings."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

import redqueen
from redqueen.agents import FirstLegalAgent, RandomAgent
from redqueen.errors import InvalidParameterError
from redqueen.measure import mean_ci, outcome, payoff_matrix, seated, standings
from redqueen.play import round_robin, tournament


def test_round_robin_rotates_seats_evenly() -> None:
    schedule = round_robin(4, 2, games_per_group=6, seed=1)
    assert len(schedule) == 6 * 6  # C(4,2) pairs x 6 games
    assert len({m.key for m in schedule}) == len(schedule)
    assert len({m.seed for m in schedule}) == len(schedule)
    seats = Counter((agent, seat) for m in schedule for seat, agent in enumerate(m.seats))
    assert set(seats.values()) == {9}  # every agent 9 times in each seat
    three = round_robin(3, 3, games_per_group=3)
    assert [m.seats for m in three] == [(0, 1, 2), (1, 2, 0), (2, 0, 1)]


def test_round_robin_depends_on_the_seed_only() -> None:
    assert round_robin(3, 2, 4, seed=7) == round_robin(3, 2, 4, seed=7)
    assert round_robin(3, 2, 4, seed=7) != round_robin(3, 2, 4, seed=8)


def test_round_robin_bad_input() -> None:
    with pytest.raises(InvalidParameterError, match="at least 2 distinct"):
        round_robin(1, 2, 3)
    with pytest.raises(InvalidParameterError, match=">= 1"):
        round_robin(3, 2, 0)
    assert len(round_robin(1, 2, 3, self_play=True)) == 3


def test_pool_and_inline_give_identical_results() -> None:
    game = redqueen.make("kuhn_poker")
    agents = [RandomAgent(), FirstLegalAgent(), RandomAgent()]
    inline = tournament(game, agents, 8, seed=3, workers=1)
    pooled = tournament(game, agents, 8, seed=3, workers=2)
    assert inline.matches == pooled.matches
    assert len(inline.matches) == 24


def test_skip_and_on_result() -> None:
    game = redqueen.make("tic_tac_toe")
    agents = [RandomAgent(), FirstLegalAgent()]
    full = tournament(game, agents, 6, seed=0)
    skip = {m.key for m, _ in full.matches[:4]}
    seen: list[str] = []
    rest = tournament(game, agents, 6, seed=0, skip=skip, on_result=lambda m, r: seen.append(m.key))
    assert [m.key for m, _ in rest.matches] == seen
    assert rest.matches == full.matches[4:]


def test_standings_count_every_seat() -> None:
    game = redqueen.make("tic_tac_toe")
    result = tournament(game, [RandomAgent(), FirstLegalAgent(), RandomAgent()], 10, seed=2)
    rows = standings(result.agent_names, seated(result))
    assert {r.name for r in rows} == {"random", "first", "random#2"}
    for row in rows:
        assert row.record.games == 20 == row.returns.n
    wins = sum(r.record.wins for r in rows)
    losses = sum(r.record.losses for r in rows)
    assert wins == losses  # two-player zero-sum: every win is someone's loss
    means = [r.returns.mean for r in rows]
    assert means == sorted(means, reverse=True)
    matrix = payoff_matrix(result.agent_names, seated(result))
    off = ~np.eye(3, dtype=bool)
    assert np.allclose((matrix.mean + matrix.mean.T)[off], 0)
    assert np.isnan(matrix.mean[~off]).all()
    assert (matrix.count == np.array([[0, 10, 10], [10, 0, 10], [10, 10, 0]])).all()


def test_mean_ci_is_the_student_t_interval() -> None:
    x = [1.0, 2.0, 4.0, 7.0, 11.0]
    ci = mean_ci(x)
    low, high = stats.t.interval(0.95, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
    assert ci.mean == pytest.approx(5.0)
    assert (ci.low, ci.high) == pytest.approx((low, high))
    assert math.isnan(mean_ci([3.0]).low)


def test_outcome() -> None:
    assert outcome([1, -1], 0) == "win"
    assert outcome([1, -1], 1) == "loss"
    assert outcome([0, 0], 1) == "draw"
    assert outcome([2, 2, 1], 0) == "draw"
    assert outcome([2, 2, 1], 2) == "loss"
