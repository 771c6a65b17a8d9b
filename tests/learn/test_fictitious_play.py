"""Extensive-form fictitious play with exact best responses: the iterates of OpenSpiel's
XFPSolver, the O(1/sqrt(T)) fall of exploitability on Kuhn poker, convergence to the
uniform equilibrium of rock-paper-scissors (where best-responding to the latest policy
cycles), the equivalence with PSRO's uniform meta-solver, and resuming from the store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError
from redqueen.learn.fictitious_play import XFPConfig, XFPResult, fictitious_play
from redqueen.learn.population import CurvePoint
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import best_response, exploitability
from redqueen.solve.tree import compile_game
from redqueen.store.run_store import RunStore

# OpenSpiel's XFPSolver on kuhn_poker: exploitability of the average after 0..4 iterations
# (checked live below when OpenSpiel is installed); 11/24 is the uniform policy's.
XFP_KUHN_FIRST = [11 / 24, 5 / 16, 5 / 24, 17 / 96, 17 / 120]


def values(result: XFPResult) -> list[float]:
    return [p.exploitability for p in result.curve]


@pytest.fixture(scope="module")
def kuhn_400() -> XFPResult:
    return fictitious_play(redqueen.make("kuhn_poker"), XFPConfig(iterations=400))


def test_xfp_on_kuhn_falls_like_one_over_sqrt_t(kuhn_400: XFPResult) -> None:
    curve = values(kuhn_400)
    assert curve[:5] == pytest.approx(XFP_KUHN_FIRST, abs=1e-12)
    assert [p.iteration for p in kuhn_400.curve] == list(range(401))
    assert [p.population_size for p in kuhn_400.curve] == list(range(1, 402))
    assert curve[100] < 0.03
    assert curve[400] < 0.015
    for t in (50, 100, 200, 400):
        assert curve[t] < curve[t // 2]  # decreasing over each doubling
    for t in (100, 200, 400):
        assert curve[t] * np.sqrt(t) < 0.3  # about 0.23 * t^-1/2
    game = redqueen.make("kuhn_poker")
    assert exploitability(game, kuhn_400.policy) == pytest.approx(kuhn_400.final, abs=1e-12)


def test_xfp_average_is_the_uniform_mixture_of_its_population(kuhn_400: XFPResult) -> None:
    """XFP's incremental realisation-weighted update and PSRO's uniform meta-strategy
    mixture of the same population are the same policy."""
    game = redqueen.make("kuhn_poker")
    tree = compile_game(game)
    n = kuhn_400.population.size(0)
    mixed = kuhn_400.population.mixture(game, [np.full(n, 1 / n)] * 2).to_arrays(tree)
    assert np.abs(mixed - kuhn_400.policy.to_arrays(tree)).max() < 1e-12


def test_xfp_matches_openspiel_xfp_solver() -> None:
    pyspiel = pytest.importorskip(
        "pyspiel", reason="open_spiel not installed: pip install -e .[test]"
    )
    fp = pytest.importorskip("open_spiel.python.algorithms.fictitious_play")
    ex = pytest.importorskip("open_spiel.python.algorithms.exploitability")
    game = pyspiel.load_game("kuhn_poker")
    solver = fp.XFPSolver(game)
    theirs = [ex.exploitability(game, solver.average_policy())]
    for _ in range(4):
        solver.iteration()
        theirs.append(ex.exploitability(game, solver.average_policy()))
    ours = fictitious_play(redqueen.make("kuhn_poker"), XFPConfig(iterations=4))
    assert values(ours) == pytest.approx(theirs, abs=1e-12)
    assert theirs == pytest.approx(XFP_KUHN_FIRST, abs=1e-12)


def test_xfp_converges_to_uniform_on_rps_where_self_play_cycles() -> None:
    game = redqueen.make("rock_paper_scissors")
    rock = TabularPolicy({(s, ()): {0: 1.0, 1: 0.0, 2: 0.0} for s in (0, 1)})
    # Naive self-play, each seat best-responding to the other's latest policy: rock,
    # paper, scissors, rock, ... with exploitability 1 throughout.
    latest = rock
    played = []
    for _ in range(6):
        br0, _ = best_response(game, latest, 0)
        br1, _ = best_response(game, latest, 1)
        latest = br0.merged(br1)
        played.append(max(latest.probabilities(0, ()).items(), key=lambda kv: kv[1])[0])
        assert exploitability(game, latest) == pytest.approx(1.0)
    assert played == [1, 2, 0, 1, 2, 0]
    # Fictitious play's average converges to the uniform equilibrium.
    result = fictitious_play(game, XFPConfig(iterations=300), initial_policy=rock)
    curve = values(result)
    assert curve[0] == 1.0
    assert curve[300] < 0.06  # 0.053
    assert curve[300] < curve[100] < curve[30]
    for seat in (0, 1):
        probs = list(result.policy.probabilities(seat, ()).values())
        assert probs == pytest.approx([1 / 3] * 3, abs=0.05)


def test_xfp_config_and_game_checks() -> None:
    with pytest.raises(InvalidParameterError, match="iterations"):
        XFPConfig(iterations=-1)
    with pytest.raises(InvalidParameterError, match="two-player"):
        fictitious_play(redqueen.make("kuhn_poker", players=3), XFPConfig(iterations=1))
    result = fictitious_play(redqueen.make("kuhn_poker"), XFPConfig(iterations=0))
    assert values(result) == pytest.approx([11 / 24])


class Killed(Exception):
    """Stands for the process dying after an iteration was saved."""


def test_xfp_resume_from_the_store_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    game = redqueen.make("kuhn_poker")
    config = XFPConfig(iterations=12)
    with RunStore(tmp_path / "whole") as store:
        whole = fictitious_play(game, config, store=store)
        whole_metrics = store.metrics("exploitability")

    def die_after_five(point: CurvePoint) -> None:
        if point.iteration == 5:
            raise Killed

    with RunStore(tmp_path / "cut") as store, pytest.raises(Killed):
        fictitious_play(game, config, store=store, callback=die_after_five)
    seen: list[int] = []
    with RunStore(tmp_path / "cut") as store:
        resumed = fictitious_play(
            game, config, store=store, callback=lambda p: seen.append(p.iteration)
        )
        assert seen == list(range(6, 13))
        assert store.metrics("exploitability") == whole_metrics
        averages = sorted(p.name for p in (tmp_path / "cut" / "xfp").glob("average-*"))
        assert averages == ["average-12.json"]  # older averages are removed
    assert resumed.curve == whole.curve
    assert resumed.policy.table() == whole.policy.table()
    for (s1, m1), (s2, m2) in zip(resumed.population, whole.population, strict=True):
        assert (s1, m1.lineage(), m1.policy.table()) == (s2, m2.lineage(), m2.policy.table())


def test_psro_uniform_and_xfp_take_the_same_path() -> None:
    # In exact arithmetic PSRO with the uniform meta-solver is fictitious play: both add a
    # best response to the uniform mixture of everything so far. Best responses break
    # near-exact ties the same way, so the two curves agree over many iterations (with
    # ties left to rounding, they part at iteration 7 on Kuhn).
    from redqueen.learn.psro import PSROConfig, psro

    game = redqueen.make("kuhn_poker")
    by_psro = psro(game, PSROConfig(iterations=40, meta_solver="uniform")).curve
    by_xfp = fictitious_play(game, XFPConfig(iterations=40)).curve
    assert len(by_psro) == len(by_xfp) == 41
    for a, b in zip(by_psro, by_xfp, strict=True):
        assert a.exploitability == pytest.approx(b.exploitability, abs=1e-12)
