"""eva's curriculum by play (redqueen.learn.curriculum): the spread of rewards, sampling,
evolution, and that against a noisy solver the sampled tasks gather where its rewards
vary."""

from __future__ import annotations

import math

import numpy as np
import pytest

import redqueen
from redqueen.agents.roles.critic import ExactCritic, RandomGenerator
from redqueen.agents.roles.proposer_solver import NoisySolver
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.learn.curriculum import (
    Curriculum,
    CurriculumConfig,
    ParameterSpace,
    Task,
    expected_max_minus_mean,
    match_evaluator,
    menu_evaluator,
    menu_task_space,
    spread,
)


def test_spread_of_a_group_of_rewards() -> None:
    assert spread([1, 0, 0, 0]) == 0.75  # max 1 - mean 1/4
    assert spread([1, 0, 0, 0], "std") == pytest.approx(math.sqrt(3) / 4)
    assert spread([1, 0, 1, 0], "std") == 0.5
    assert spread([0.5, 0.5, 0.5]) == 0.0
    assert spread([-1.0, 1.0]) == 1.0
    with pytest.raises(UnknownNameError, match="max_minus_mean, std"):
        spread([1.0], "range")
    with pytest.raises(InvalidParameterError, match="non-empty"):
        spread([])


def test_expected_max_minus_mean_of_binary_rewards() -> None:
    assert expected_max_minus_mean(0.5, 6) == 1 - 1 / 64 - 0.5
    assert expected_max_minus_mean(0.0, 6) == 0.0
    assert expected_max_minus_mean(1.0, 6) == 0.0
    # largest at p = 1 - K^(-1/(K-1)): 0.3012 for K = 6
    grid = np.linspace(0, 1, 10001)
    best = grid[np.argmax([expected_max_minus_mean(p, 6) for p in grid])]
    assert best == pytest.approx(1 - 6 ** (-1 / 5), abs=1e-4)
    # Monte Carlo agrees with the formula
    rng = np.random.default_rng(0)
    draws = rng.random((200_000, 6)) < 0.3
    assert (draws.max(axis=1) - draws.mean(axis=1)).mean() == pytest.approx(
        expected_max_minus_mean(0.3, 6), abs=3e-3
    )


def test_parameter_space_mutates_one_parameter_by_one_step() -> None:
    space = ParameterSpace(integers={"difficulty": (1, 4)}, choices={"family": ("a", "b", "c")})
    rng = np.random.default_rng(0)
    task = Task.of(family="a", difficulty=1)
    assert task["difficulty"] == 1 and str(task) == "difficulty=1, family=a"
    seen = set()
    for _ in range(300):
        child = space.mutate(task, rng)
        space.check(child)
        changed = [k for k, v in child.items if task[k] != v]
        assert len(changed) == 1
        if changed == ["difficulty"]:
            assert child["difficulty"] == 2  # the only step inward from the bound
        seen.add(child)
    assert seen == {
        Task.of(family="a", difficulty=2),
        Task.of(family="b", difficulty=1),
        Task.of(family="c", difficulty=1),
    }
    assert len(list(space.tasks())) == 12
    with pytest.raises(InvalidParameterError, match=r"integer in \[1, 4\]"):
        space.check(Task.of(family="a", difficulty=5))
    with pytest.raises(UnknownNameError, match="allowed: a, b, c"):
        space.check(Task.of(family="z", difficulty=1))
    with pytest.raises(InvalidParameterError, match=r"\['difficulty', 'family'\]"):
        space.check(Task.of(family="a"))


def test_weights_are_a_softmax_of_the_estimates() -> None:
    space = ParameterSpace(integers={"x": (0, 2)})
    tasks = [Task.of(x=0), Task.of(x=1), Task.of(x=2)]
    cur = Curriculum(space, tasks, CurriculumConfig(temperature=0.25, unseen=1.0))
    cur.record(tasks[0], [1, 0])  # spread 0.5
    cur.record(tasks[1], [1, 1])  # spread 0
    e = math.exp
    total = e(0.5 / 0.25) + e(0.0) + e(1.0 / 0.25)  # x=2 unseen counts as 1.0
    np.testing.assert_allclose(
        cur.weights(), [e(2.0) / total, 1 / total, e(4.0) / total], rtol=1e-12
    )
    cur.record(tasks[0], [1, 1, 1, 0])  # spread 0.25: the mean of 0.5 and 0.25
    assert cur.informativeness(tasks[0]) == 0.375
    assert cur.stats(tasks[0]).mean_reward == 4 / 6
    assert cur.ranking()[0] == (tasks[0], 0.375)


def test_the_pool_is_trimmed_to_its_most_informative_tasks() -> None:
    space = ParameterSpace(integers={"x": (0, 9)})
    start = [Task.of(x=2 * i) for i in range(4)]  # a child (one step away) is always new
    cur = Curriculum(space, start, CurriculumConfig(max_pool=4, children=1, temperature=1.0))
    for i, task in enumerate(start):
        cur.record(task, [1.0, 1.0 - 0.1 * i])  # spreads 0, 0.05, 0.1, 0.15
    added = cur.evolve(np.random.default_rng(3))
    assert len(added) == 1 and added[0] not in start
    # the new child stays; the least informative evaluated task (x=0) leaves
    assert len(cur.pool) == 4 and Task.of(x=0) not in cur.pool and added[0] in cur.pool


def _menu_curriculum(
    seed: int, spread_kind: str = "max_minus_mean"
) -> tuple[list[int], Curriculum]:
    """60 rounds on an 8-level arithmetic menu against the default noisy solver (wrong
    10% of the time at level 1, 20 points more each level: 0% right from level 6), from
    a pool holding only level 1. Returns the levels sampled in the last 30 rounds."""
    game = redqueen.make("proposer_solver", families=["arithmetic", "list"], difficulties=8)
    space = menu_task_space(game)
    cur = Curriculum(
        space,
        [Task.of(family="arithmetic", difficulty=1)],
        CurriculumConfig(spread=spread_kind, temperature=0.05, batch=8, children=2),
    )
    evaluate = menu_evaluator(game, NoisySolver())
    rng = np.random.default_rng(seed)
    late: list[int] = []
    for step in range(60):
        done = cur.step(evaluate, rng)
        for task in cur.pool:  # evolution only ever makes valid menu items
            game.menu_action(str(task["family"]), int(task["difficulty"]))  # type: ignore[call-overload]
        if step >= 30:
            late += [int(t["difficulty"]) for t in done.sampled]  # type: ignore[call-overload]
    return late, cur


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_tasks_concentrate_where_the_solvers_rewards_vary(seed: int) -> None:
    late, cur = _menu_curriculum(seed)
    levels = np.bincount(late, minlength=9)
    # Expected spread of 6 answers (1 - (1-p)^6 - p) by level, pass rate p = 0.9 .. 0.1,
    # then 0: 0.10, 0.30, 0.48, 0.58, 0.37, 0, 0, 0. The middle levels 2-5 hold half the
    # menu; uniform sampling would put half the tasks there.
    middle = levels[2:6].sum() / levels.sum()
    assert middle >= 0.95, levels  # measured: 1.00 for seeds 0-4
    assert levels[3:5].sum() / levels.sum() >= 0.8, levels  # the two most informative
    best = cur.ranking()[0][0]
    assert best["difficulty"] == 4  # p = 0.3 maximises the expected max-minus-mean spread
    # evolution climbed from level 1 through the menu, and across to the other family
    assert {int(t["difficulty"]) for t in cur.pool} >= {1, 2, 3, 4, 5}  # type: ignore[call-overload]
    assert {t["family"] for t in cur.pool} == {"arithmetic", "list"}


def test_the_std_spread_favours_even_odds() -> None:
    late, cur = _menu_curriculum(0, "std")
    levels = np.bincount(late, minlength=9)
    assert levels[2:6].sum() / levels.sum() >= 0.95, levels
    # the standard deviation of 1/0 rewards peaks at p = 1/2: level 3
    assert cur.ranking()[0][0]["difficulty"] == 3


def test_evolve_keeps_menu_tasks_valid_and_near_their_parents() -> None:
    game = redqueen.make("proposer_solver", difficulties=5)
    space = menu_task_space(game)
    rng = np.random.default_rng(7)
    cur = Curriculum(space, [Task.of(family="linear", difficulty=5)], CurriculumConfig(children=4))
    parents = set(cur.pool)
    for _ in range(30):
        pool_before = set(cur.pool)
        for child in cur.evolve(rng):
            assert child not in pool_before
            assert child["family"] in game.family_names and 1 <= child["difficulty"] <= 5  # type: ignore[operator]
            near = [
                p
                for p in pool_before
                if sum(p[k] != v for k, v in child.items) == 1
                and (
                    p["family"] != child["family"]
                    or abs(p["difficulty"] - child["difficulty"]) == 1  # type: ignore[operator]
                )
            ]
            assert near, child  # one parameter changed, a difficulty by one step
        parents |= set(cur.pool)
    assert len(parents) == len(game.menu())  # every menu item is reachable
    with pytest.raises(InvalidParameterError, match="proposer_moves='menu'"):
        menu_task_space(redqueen.make("proposer_solver", proposer_moves="text"))  # type: ignore[arg-type]


def test_any_game_through_match_evaluator() -> None:
    """The critic game's size as the task: the exact critic is always right, so every
    evaluation's rewards are all +1 and no task is informative."""

    def build(task: Task) -> tuple[redqueen.games.Game, list[redqueen.agents.Agent]]:
        game = redqueen.make("critic_game", problems=5, terms=int(task["terms"]))  # type: ignore[call-overload]
        return game, [RandomGenerator(), ExactCritic()]

    space = ParameterSpace(integers={"terms": (2, 4)})
    cur = Curriculum(space, list(space.tasks()), CurriculumConfig(batch=3))
    evaluate = match_evaluator(build, seat=1, rollouts=4)
    rng = np.random.default_rng(0)
    rewards = evaluate(Task.of(terms=3), rng)
    assert list(rewards) == [1.0, 1.0, 1.0, 1.0]
    for _ in range(3):
        cur.step(evaluate, rng)
    assert all(value == 0.0 for _, value in cur.ranking())
