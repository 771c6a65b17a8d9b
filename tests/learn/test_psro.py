"""PSRO with exact best responses: convergence on Kuhn poker (from the published NashConv
of the uniform policy, 11/12), the uniform meta-solver's fictitious-play iterates (values
from OpenSpiel's XFPSolver), rock-paper-scissors' uniform equilibrium, lineage, logging
to the run store and resuming."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.learn.population import CurvePoint
from redqueen.learn.psro import PSROConfig, PSROResult, psro
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import expected_returns, exploitability
from redqueen.store.run_store import RunMismatchError, RunStore

KUHN_UNIFORM_EXPLOITABILITY = 11 / 24  # NashConv 11/12 (OpenSpiel's test), over 2 players
# OpenSpiel's XFPSolver on kuhn_poker, exploitability of the average after 0..4 iterations
# (PSRO with the uniform meta-solver and exact best responses is the same algorithm).
XFP_KUHN_FIRST = [11 / 24, 5 / 16, 5 / 24, 17 / 96, 17 / 120]


def values(result: PSROResult) -> list[float]:
    return [p.exploitability for p in result.curve]


def test_psro_nash_solves_kuhn_within_ten_iterations() -> None:
    """The double oracle with exact best responses ends at an exact equilibrium: below
    0.01 (in fact 0) within 10 iterations (6 with our tie-breaking)."""
    game = redqueen.make("kuhn_poker")
    result = psro(game, PSROConfig(iterations=10, meta_solver="nash"))
    curve = values(result)
    assert curve[0] == pytest.approx(KUHN_UNIFORM_EXPLOITABILITY, abs=1e-12)
    assert [p.iteration for p in result.curve] == list(range(11))
    assert [p.population_size for p in result.curve] == list(range(1, 12))
    assert min(curve) < 1e-9
    assert result.final < 0.01
    # The curve measures the mixture it returns, independently re-checked.
    assert exploitability(game, result.policy) == pytest.approx(result.final, abs=1e-12)
    # Seat 0's value is Kuhn's -1/18, and the mixture plays the meta-game's mixed payoff.
    a, _ = result.payoffs
    x, y = result.meta_strategy
    on_table = float(x @ a @ y)
    assert expected_returns(game, result.policy)[0] == pytest.approx(on_table, abs=1e-12)
    assert on_table == pytest.approx(-1 / 18, abs=1e-9)


def test_psro_uniform_is_fictitious_play_and_decreases_exploitability() -> None:
    result = psro(redqueen.make("kuhn_poker"), PSROConfig(iterations=20, meta_solver="uniform"))
    curve = values(result)
    assert curve[:5] == pytest.approx(XFP_KUHN_FIRST, abs=1e-12)
    assert max(curve[10:]) < min(curve[:4])
    assert curve[-1] < 0.06
    for x in result.meta_strategy:
        assert x.tolist() == pytest.approx([1 / 21] * 21)


@pytest.mark.parametrize(
    ("config", "bound"),
    [
        (PSROConfig(iterations=10, meta_solver="prd", prd_steps=1000, prd_dt=0.05), 0.02),
        (PSROConfig(iterations=8, meta_solver="alpha_rank"), 0.06),
    ],
    ids=["prd", "alpha_rank"],
)
def test_psro_prd_and_alpha_rank_reduce_kuhn_exploitability(
    config: PSROConfig, bound: float
) -> None:
    result = psro(redqueen.make("kuhn_poker"), config)
    curve = values(result)
    assert curve[0] == pytest.approx(KUHN_UNIFORM_EXPLOITABILITY)
    assert curve[-1] < bound
    for x in result.meta_strategy:
        assert x.sum() == pytest.approx(1.0) and np.all(x >= 0)


def test_psro_nash_on_rock_paper_scissors_converges_to_uniform() -> None:
    """From "always rock", PSRO adds paper, then scissors, and the Nash meta-strategy
    spreads 1/3 over the three pure strategies: the mixture is the uniform equilibrium."""
    game = redqueen.make("rock_paper_scissors")
    rock = TabularPolicy({(s, ()): {0: 1.0, 1: 0.0, 2: 0.0} for s in (0, 1)})
    result = psro(game, PSROConfig(iterations=5), initial_policy=rock)
    curve = values(result)
    assert curve[:2] == [1.0, 1.0]  # rock, then {rock, paper} (Nash: paper) lose 1
    assert max(curve[2:]) < 1e-12
    for seat in (0, 1):
        actions = [
            max(m.policy.probabilities(seat, ()).items(), key=lambda kv: kv[1])[0]
            for m in result.population[seat]
        ]
        assert actions[:3] == [0, 1, 2]  # rock, paper, scissors
        mass = np.zeros(3)
        np.add.at(mass, actions, result.meta_strategy[seat])
        assert mass.tolist() == pytest.approx([1 / 3] * 3, abs=1e-9)
        assert list(result.policy.probabilities(seat, ()).values()) == pytest.approx(
            [1 / 3] * 3, abs=1e-9
        )


def test_psro_records_lineage() -> None:
    result = psro(redqueen.make("kuhn_poker"), PSROConfig(iterations=4))
    for seat in (0, 1):
        members = result.population[seat]
        assert [m.id for m in members] == [f"p{seat}-{i}" for i in range(5)]
        assert [m.iteration for m in members] == list(range(5))
        assert members[0].parents == () and members[0].metadata["kind"] == "uniform"
        for m in members[1:]:
            assert m.metadata["kind"] == "exact_best_response"
            assert m.parents and all(p.startswith(f"p{1 - seat}-") for p in m.parents)
            assert all(int(p.split("-")[1]) < m.iteration for p in m.parents)
    assert result.to_dict()["members"][0] == {
        "seat": 0,
        "id": "p0-0",
        "parents": [],
        "iteration": 0,
        "metadata": {"kind": "uniform"},
    }


def test_psro_refuses_games_and_settings_it_cannot_handle() -> None:
    with pytest.raises(UnknownNameError, match="meta-solver"):
        PSROConfig(meta_solver="best")  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError, match="iterations"):
        PSROConfig(iterations=-1)
    with pytest.raises(InvalidParameterError, match="two-player"):
        psro(redqueen.make("kuhn_poker", players=3), PSROConfig(iterations=1))
    with pytest.raises(InvalidParameterError, match="zero-sum"):
        psro(redqueen.make("prisoners_dilemma"), PSROConfig(iterations=1))


def test_callback_sees_each_point_and_can_stop() -> None:
    seen: list[CurvePoint] = []

    def stop_at_two(point: CurvePoint) -> bool:
        seen.append(point)
        return point.iteration == 2

    result = psro(redqueen.make("kuhn_poker"), PSROConfig(iterations=10), callback=stop_at_two)
    assert [p.iteration for p in seen] == [0, 1, 2]
    assert result.curve == seen
    assert result.population.sizes == (3, 3)


# ---- the run store ----------------------------------------------------------------------


class Killed(Exception):
    """Stands for the process dying after an iteration was saved."""


def test_resume_from_the_store_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    game = redqueen.make("kuhn_poker")
    config = PSROConfig(iterations=6, meta_solver="nash")
    with RunStore(tmp_path / "whole") as store:
        whole = psro(game, config, store=store)
        whole_metrics = store.metrics("exploitability")

    def die_after_three(point: CurvePoint) -> None:
        if point.iteration == 3:
            raise Killed

    with RunStore(tmp_path / "cut") as store, pytest.raises(Killed):
        psro(game, config, store=store, callback=die_after_three)
    # A kill between writing the next members' files and recording them leaves files
    # the record does not name: the resumed run writes them again.
    (tmp_path / "cut" / "psro" / "members" / "p0-4.json").write_text("half a file")
    seen: list[int] = []
    with RunStore(tmp_path / "cut") as store:
        resumed = psro(game, config, store=store, callback=lambda p: seen.append(p.iteration))
        assert seen == [4, 5, 6]  # finished iterations are skipped
        assert store.metrics("exploitability") == whole_metrics  # none lost, none twice
        assert [s for s, _ in store.metrics("population_size")] == list(range(7))
        assert sorted(p.name for p in (tmp_path / "cut" / "psro" / "members").iterdir()) == sorted(
            f"p{s}-{i}.json" for s in (0, 1) for i in range(7)
        )
        # Running it again does nothing new and returns the same.
        again = psro(game, config, store=store, callback=lambda p: seen.append(p.iteration))
        assert seen == [4, 5, 6]
        # A different experiment in the same run directory is refused...
        with pytest.raises(RunMismatchError, match="meta_solver"):
            psro(game, PSROConfig(iterations=6, meta_solver="uniform"), store=store)
        # ...but more iterations continue the run.
        longer = psro(game, PSROConfig(iterations=7, meta_solver="nash"), store=store)
        assert [p.iteration for p in longer.curve] == list(range(8))
    for result in (resumed, again):
        assert result.curve == whole.curve
        assert [m.tolist() for m in result.meta_strategy] == [
            m.tolist() for m in whole.meta_strategy
        ]
        assert result.policy.table() == whole.policy.table()
        for (s1, m1), (s2, m2) in zip(result.population, whole.population, strict=True):
            assert (s1, m1.lineage(), m1.policy.table()) == (s2, m2.lineage(), m2.policy.table())
