"""The Ray backend gives the inline backend's results for the same seeds (done-when
(f)): matches, a sampled payoff table, and best-response oracles run as Ray tasks. One
local Ray (2 CPUs) serves the whole module."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

import redqueen
from redqueen.agents.registry import make_agent
from redqueen.learn.population import Member, Population, SampledPayoffTable
from redqueen.play.runners import run_matches
from redqueen.play.schedule import round_robin
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import best_response_arrays
from redqueen.solve.tree import compile_game

ray = pytest.importorskip("ray", reason="ray not installed: pip install 'redqueen[ray]'")


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    from redqueen.play.ray_runner import ensure_ray

    ensure_ray(num_cpus=2)
    yield
    ray.shutdown()


def _kuhn_best_response(seat: int) -> tuple[list[int], float]:
    tree = compile_game(redqueen.make("kuhn_poker"))
    choice, value = best_response_arrays(tree, tree.uniform_policy(), seat)
    return choice.tolist(), value


def test_ray_matches_equal_inline_and_stream_to_on_result() -> None:
    game = redqueen.make("tic_tac_toe")
    agents = [make_agent("random"), make_agent("minimax", depth=1), make_agent("random")]
    schedule = round_robin(len(agents), 2, 4, seed=7)
    seen: list[str] = []
    on_ray = run_matches(
        game, agents, schedule, backend="ray", on_result=lambda m, r: seen.append(m.key)
    )
    inline = run_matches(game, agents, schedule, backend="inline")
    assert [m for m, _ in on_ray] == [m for m, _ in inline]
    assert [r.to_dict() for _, r in on_ray] == [r.to_dict() for _, r in inline]
    assert sorted(seen) == sorted(m.key for m in schedule)


def test_ray_sampled_table_and_oracles_equal_inline() -> None:
    from redqueen.play.ray_runner import map_ray

    game = redqueen.make("matching_pennies")
    pop = Population(2)
    for seat in range(2):
        for k, p in enumerate((0.5, 0.8)):
            pop.add(seat, Member(f"m{seat}-{k}", TabularPolicy({(seat, ()): {0: p, 1: 1 - p}})))
    tables = []
    for backend in ("ray", "inline"):
        table = SampledPayoffTable(game, pop, matches_per_profile=10, seed=2, backend=backend)
        assert table.update() == 40
        tables.append(table.mean(0))
    np.testing.assert_array_equal(tables[0], tables[1])
    assert map_ray(_kuhn_best_response, [(0,), (1,)]) == [
        _kuhn_best_response(0),
        _kuhn_best_response(1),
    ]


def test_psro_with_ray_oracles_equals_inline() -> None:
    from redqueen.learn.psro import PSROConfig, psro

    game = redqueen.make("kuhn_poker")
    config = PSROConfig(iterations=3, meta_solver="nash")
    on_ray = psro(game, config, oracle_backend="ray")
    inline = psro(game, config)
    assert on_ray.curve == inline.curve
    assert [m.id for _, m in on_ray.population] == [m.id for _, m in inline.population]
