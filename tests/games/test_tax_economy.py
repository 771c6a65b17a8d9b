"""The LLM Economist's tax economy: every mechanism against hand-computed values, the
presets, tax accounting, best responses against a dense grid search, Saez's rates against
an independent computation, the vote with ties, bad input, and the registered game."""

from __future__ import annotations

import math

import numpy as np
import pytest

import redqueen
from redqueen.agents.tax import TaxBestResponseWorker, TaxTargetPlanner
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games import check_game
from redqueen.games.tax_economy import (
    ACS_2023,
    BRACKET_PRESETS,
    DELTAS,
    SIMULTANEOUS,
    US_FEDERAL_2024_RATES,
    TaxEconomy,
    TaxSchedule,
    best_grid_hours,
    best_response_hours,
    legal_deltas,
    plurality,
    read_delta,
    saez_rates,
    sample_skills,
)
from redqueen.play.match import play_match

C, D = 0.0005, 3.5


# ---- presets and the tax schedule ---------------------------------------------------------


def test_presets_are_the_codes_brackets_and_rates() -> None:
    assert BRACKET_PRESETS["flat"] == (0.0,)
    assert BRACKET_PRESETS["three"] == (0.0, 90000.0, 159100.0)
    assert BRACKET_PRESETS["us_federal"] == (
        0.0, 11600.0, 47150.0, 100525.0, 191950.0, 243725.0, 609350.0,
    )  # fmt: skip
    assert US_FEDERAL_2024_RATES == (10, 12, 22, 24, 32, 35, 37)
    assert TaxSchedule.build("three").rates == (50.0, 50.0, 50.0)
    assert TaxSchedule.build("us_federal", "us_federal").rates == US_FEDERAL_2024_RATES
    with pytest.raises(InvalidParameterError, match="need the us_federal brackets"):
        TaxSchedule.build("three", "us_federal")
    with pytest.raises(UnknownNameError, match="allowed: flat, three, us_federal"):
        TaxSchedule.build("four")


def test_tax_by_bracket_hand_computed() -> None:
    three = TaxSchedule.build("three", [10, 20, 30])
    z = [0.0, 50000.0, 90000.0, 100000.0, 200000.0]
    expected = [0.0, 5000.0, 9000.0, 9000.0 + 2000.0, 9000.0 + 0.2 * 69100 + 0.3 * 40900]
    assert three.tax(z) == pytest.approx(expected, abs=1e-9)
    federal = TaxSchedule.build("us_federal", "us_federal")
    assert float(federal.tax(50000.0)) == pytest.approx(1160.0 + 0.12 * 35550 + 0.22 * 2850)
    flat = TaxSchedule.build("flat", [25])
    assert float(flat.tax(1e7 + 4)) == pytest.approx(0.25 * (1e7 + 4))  # the top is open


def test_tax_agrees_with_the_codes_loop_over_brackets() -> None:
    """The code's ``get_income_tax``, bracket by bracket, on random incomes and the edges."""
    rng = np.random.default_rng(3)
    schedule = TaxSchedule.build("us_federal", [float(r) for r in rng.integers(0, 101, 7)])
    edges = [*schedule.edges, math.inf]
    incomes = [*rng.uniform(0, 800000, 500), *schedule.edges]
    for z in incomes:
        loop = 0.0
        for j in range(len(edges) - 1):
            full = (edges[j + 1] - edges[j]) * float(z > edges[j + 1]) if z > edges[j + 1] else 0
            part = (z - edges[j]) * float(edges[j] < z <= edges[j + 1])
            loop += schedule.rates[j] / 100 * (full + part)
        assert float(schedule.tax(z)) == pytest.approx(loop, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize(
    ("brackets", "message"),
    [
        ([[0, 100], [50, None]], "overlaps the bracket before"),
        ([[0, 100], [150, None]], r"gap: no bracket covers \[100, 150\)"),
        ([[10, None]], r"gap: no bracket covers \[0, 10\)"),
        ([[0, 100], [100, 200]], "no bracket covers incomes from 200 up"),
        ([[0, None], [100, None]], "only the last bracket may be open"),
        ([[0, 0], [0, None]], "is empty"),
        ([[0, -5]], "must be an income >= 0"),
        ([], "list of"),
    ],
)
def test_bad_brackets_name_what_is_allowed(brackets: list, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message) as info:
        TaxSchedule.build(brackets)
    assert "each starting where the last ends" in str(info.value) or "income" in str(info.value)


def test_custom_brackets_and_bad_rates() -> None:
    schedule = TaxSchedule.build([[0, 50000], [50000, None]], [0, 100])
    assert schedule.edges == (0.0, 50000.0)
    with pytest.raises(
        InvalidParameterError, match=r"bracket 1 must be a percentage in \[0, 100\]"
    ):
        TaxSchedule.build("three", [10, 101, 0])
    with pytest.raises(InvalidParameterError, match=r"one percentage per bracket \(3\); got 2"):
        TaxSchedule.build("three", [10, 20])


# ---- one step: accounting, utilities and welfare -------------------------------------------


def test_one_step_hand_computed() -> None:
    economy = TaxEconomy([1000.0, 3000.0], TaxSchedule.build("flat", [20]))
    out = economy.step([50.0, 60.0])
    assert out.pre_tax.tolist() == [50000.0, 180000.0]
    assert out.tax.tolist() == pytest.approx([10000.0, 36000.0])
    assert out.rebate == pytest.approx(23000.0)
    assert out.post_tax.tolist() == pytest.approx([63000.0, 167000.0])
    u = [63000.0 - C * 50**D, 167000.0 - C * 60**D]
    assert out.utility.tolist() == pytest.approx(u)
    assert out.swf == pytest.approx(u[0] / 50000 + u[1] / 180000)
    assert TaxEconomy([1000.0, 3000.0], economy.schedule, swf="utilitarian").step(
        [50.0, 60.0]
    ).swf == pytest.approx(sum(u))


def test_zero_income_is_weighted_one_and_types_take_the_welfare() -> None:
    types = ["egotistical", "altruistic", "adversarial"]
    economy = TaxEconomy([10.0, 20.0, 30.0], TaxSchedule.build("flat", [50]), utility_types=types)
    out = economy.step([0.0, 10.0, 20.0])
    rebate = (0.0 + 100.0 + 300.0) / 3
    iso = [rebate, 100.0 + rebate - C * 10**D, 300.0 + rebate - C * 20**D]
    assert out.isoelastic.tolist() == pytest.approx(iso)
    swf = iso[0] / 1.0 + iso[1] / 200.0 + iso[2] / 600.0
    assert out.swf == pytest.approx(swf)
    assert out.utility.tolist() == pytest.approx([iso[0], swf, -swf])


@pytest.mark.parametrize("distribution", ["us_income", "uniform"])
def test_post_tax_incomes_add_up_to_pre_tax_ones(distribution: str) -> None:
    rng = np.random.default_rng(5)
    for brackets in ("flat", "three", "us_federal"):
        for _ in range(5):
            schedule = TaxSchedule.build(brackets).with_rates(
                [float(r) for r in rng.integers(0, 101, len(BRACKET_PRESETS[brackets]))]
            )
            economy = TaxEconomy(sample_skills(200, distribution, rng), schedule)
            out = economy.step(rng.uniform(0, 100, 200))
            assert out.post_tax.sum() == pytest.approx(out.pre_tax.sum(), rel=1e-12)
            assert out.rebate * 200 == pytest.approx(out.tax.sum(), rel=1e-12)
            assert (out.tax <= out.pre_tax + 1e-9).all() and (out.tax >= 0).all()


def test_hours_out_of_range_are_refused() -> None:
    economy = TaxEconomy([10.0, 20.0], TaxSchedule.build("three"))
    with pytest.raises(InvalidParameterError, match=r"\[0, 100\] per week; worker 1 has 100.5"):
        economy.step([10.0, 100.5])
    with pytest.raises(InvalidParameterError, match="worker 0 has -1"):
        economy.step([-1.0, 10.0])
    with pytest.raises(InvalidParameterError, match=r"one number per worker \(2\)"):
        economy.step([10.0])
    with pytest.raises(InvalidParameterError, match="-20 to \\+20 points"):
        economy.apply_delta([30, 0, 0])
    with pytest.raises(InvalidParameterError, match="percentage in \\[0, 100\\]"):
        economy.set_rates([120, 0, 0])


# ---- best responses --------------------------------------------------------------------------


def test_flat_tax_best_response_is_the_closed_form() -> None:
    schedule = TaxSchedule.build("flat", [50])
    skills = np.array([1.0, 10.0, 100.0, 5000.0])
    closed = np.minimum(100.0, (0.5 * skills / (C * D)) ** (1 / (D - 1)))
    assert best_response_hours(skills, schedule) == pytest.approx(closed, rel=1e-12)
    assert closed[2] == pytest.approx(math.exp(0.4 * math.log(50 / 0.00175)))
    assert closed[3] == 100.0


def test_a_worker_stops_at_the_kink_of_a_confiscatory_bracket() -> None:
    schedule = TaxSchedule.build([[0, 50000], [50000, None]], [0, 100])
    assert best_response_hours([1000.0], schedule).tolist() == [50.0]  # 50000 / 1000
    rising = TaxSchedule.build([[0, 50000], [50000, None]], [60, 0])  # not concave
    assert best_response_hours([1000.0], rising).tolist() == [100.0]


@pytest.mark.parametrize("distribution", ["us_income", "uniform"])
def test_best_responses_beat_a_dense_grid_search(distribution: str) -> None:
    rng = np.random.default_rng(11)
    skills = sample_skills(80, distribution, rng)
    grid = np.linspace(0.0, 100.0, 10001)
    for rates in ([30, 60, 10], [80, 0, 100], [0, 0, 0], [100, 100, 100], [90, 10, 0]):
        schedule = TaxSchedule.build("three", rates)
        hours = best_response_hours(skills, schedule)
        income = skills[:, None] * grid[None, :]
        on_grid = (income - schedule.tax(income) - C * grid**D).max(axis=1)
        mine = skills * hours - schedule.tax(skills * hours) - C * hours**D
        assert (mine >= on_grid - 1e-7).all()  # never worse than any grid point
        assert (mine <= on_grid + 5.0).all()  # and the grid (step 0.01 h) gets close
        assert ((hours >= 0) & (hours <= 100)).all()


def test_grid_best_response_of_the_game() -> None:
    schedule = TaxSchedule.build("flat", [50])
    levels = [0.0, 50.0, 100.0]
    # skill 20: 50 h gives 500 - C 50^3.5 = 58.06 > 0; 100 h gives 1000 - 5000 < 0
    assert best_grid_hours([20.0, 1.0, 1000.0], schedule, levels).tolist() == [1, 0, 2]


# ---- the planner's moves and the vote --------------------------------------------------------


def test_delta_is_read_as_the_code_reads_it() -> None:
    rates = [95.0, 10.0, 50.0]
    assert read_delta([15, -25, 5], rates) == [5.0, -10.0, 0.0]  # 15->20 cut at 100; 5->0
    assert read_delta([15, -25, 5], rates, out_of_range="flip") == [-20.0, 20.0, 0.0]
    assert read_delta(["10%", "-$20", "24"], rates) == [5.0, -10.0, 20.0]
    with pytest.raises(InvalidParameterError, match="one change per bracket \\(3\\); got 2"):
        read_delta([10, 10], rates)
    with pytest.raises(InvalidParameterError, match=r"DELTA\[1\] is not a number: 'up'"):
        read_delta([10, "up", 0], rates)
    with pytest.raises(UnknownNameError, match="allowed: clamp, flip"):
        read_delta([20], [90.0], out_of_range="wrap")


def test_legal_deltas_keep_the_rates_in_range() -> None:
    assert legal_deltas([0.0]) == [(0,), (10,), (20,)]
    assert legal_deltas([95.0, 50.0])[:3] == [(-20, -20), (-20, -10), (-20, 0)]
    assert len(legal_deltas([95.0, 50.0])) == 3 * 5
    assert len(legal_deltas([50.0] * 3)) == 125


def test_plurality_breaks_ties_at_random() -> None:
    rng = np.random.default_rng(0)
    assert plurality([3, 1, 3], rng) == 3
    state = rng.bit_generator.state
    assert plurality([3], rng) == 3 and rng.bit_generator.state == state  # no draw needed
    winners = []
    for seed in range(200):
        expected = [1, 2][np.random.default_rng(seed).integers(2)]
        got = plurality([2, 2, 1, 1, 0], np.random.default_rng(seed))
        assert got == expected
        winners.append(got)
    assert 70 < winners.count(1) < 130
    with pytest.raises(InvalidParameterError, match="at least one vote"):
        plurality([], rng)


# ---- skills and Saez's rates -----------------------------------------------------------------


def test_skills_follow_the_acs_fit_and_the_uniform_range() -> None:
    from scipy import stats

    rng = np.random.default_rng(2)
    incomes = sample_skills(40_000, "us_income", rng) * 40
    for p in (0.25, 0.5, 0.9):  # the code's quantile function (qGB2, through the F quantile)
        w = stats.f.ppf(p, 2 * ACS_2023.nu, 2 * ACS_2023.tau)
        q = ACS_2023.mu * ((ACS_2023.nu / ACS_2023.tau) * w) ** (1 / ACS_2023.sigma)
        assert np.quantile(incomes, p) == pytest.approx(q, rel=0.03)
    uniform = sample_skills(10_000, "uniform", rng)
    assert uniform.min() >= 1.24 and uniform.max() <= 159.1
    with pytest.raises(UnknownNameError, match="allowed: uniform, us_income"):
        sample_skills(3, "pareto", rng)


def test_saez_flat_rate_hand_computed() -> None:
    # incomes 100 v = 100, 300, 400, 800: z = mean = 400, F = 3/4, a = m / (m - 0) = 1,
    # weights 1/z normalised: (24, 8, 6, 3) / 41, G = (9/41) / (1/4) = 36/41
    tau = (5 / 41) / (5 / 41 + 0.4)
    assert saez_rates([1.0, 3.0, 4.0, 8.0], [0.0]) == (round(100 * tau, 2),)
    assert saez_rates([1.0, 3.0, 4.0, 8.0], [0.0]) == (23.36,)


def _saez_by_loops(skills: list[float], edges: list[float], elasticity: float) -> list[float]:
    """Saez's rates written out with loops and the Gaussian KDE formula (Scott's rule)."""
    incomes = sorted(100.0 * s for s in skills)
    n = len(incomes)
    mean = sum(incomes) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in incomes) / (n - 1))
    bandwidth = sd * n ** (-1 / 5)
    inverse = [1.0 / x for x in incomes]
    total_weight = sum(inverse)
    out = []
    for b, start in enumerate(edges):
        top = b == len(edges) - 1
        if top:
            members = [x for x in incomes if x >= start]
            z = sum(members) / len(members)
        else:
            z = (start + edges[b + 1]) / 2
        cdf = sum(1 for x in incomes if x <= z) / n
        density = (
            sum(
                math.exp(-0.5 * ((z - x) / bandwidth) ** 2) / (bandwidth * math.sqrt(2 * math.pi))
                for x in incomes
            )
            / n
        )
        a = z * density / (1 - cdf)
        above = [x for x in incomes if x >= z]
        if top:
            m = sum(above) / len(above)
            a = m / (m - start)
        g = sum(1.0 / x for x in above) / total_weight / (1 - cdf)
        tau = (1 - g) / (1 - g + a * elasticity)
        out.append(100 * min(1.0, max(0.0, tau)))
    return out


@pytest.mark.parametrize("brackets", ["three", "us_federal"])
def test_saez_rates_match_an_independent_computation(brackets: str) -> None:
    skills = [float(s) for s in sample_skills(300, "us_income", np.random.default_rng(7))]
    edges = list(BRACKET_PRESETS[brackets])
    mine = saez_rates(skills, edges, 0.4)
    theirs = _saez_by_loops(skills, edges, 0.4)
    assert len(mine) == len(edges)
    assert mine == pytest.approx(theirs, abs=0.0051)  # ours is rounded to two decimals
    assert len(set(mine)) > 1  # the brackets differ: a test that can fail
    per_bracket = saez_rates(skills, edges, [0.2] * len(edges))
    assert per_bracket == pytest.approx(_saez_by_loops(skills, edges, 0.2), abs=0.0051)
    with pytest.raises(InvalidParameterError, match="one per bracket"):
        saez_rates(skills, edges, [0.4, 0.4])


# ---- the registered game ---------------------------------------------------------------------


def test_registered_game_is_checked_with_a_mix_of_types_and_no_planner() -> None:
    game = redqueen.make(
        "tax_economy",
        num_workers=3,
        steps=3,
        hours_levels=3,
        planner=False,
        utility_types=["egotistical", "altruistic", "adversarial"],
    )
    assert game.num_players == 3
    report = check_game(game, n_games=40)
    assert report.max_length_seen == 3
    again = redqueen.make(game.spec.id, **game.spec.params)
    assert again.spec == game.spec and again.rules_text() == game.rules_text()
    assert (again.skills == game.skills).all()


def test_game_steps_returns_and_the_planners_nodes_exact() -> None:
    game = redqueen.make(
        "tax_economy", num_workers=2, steps=3, tax_year=2, brackets="flat", rates=[10],
        skills=[10.0, 20.0], hours_levels=3,
    )  # fmt: skip
    state = game.new_initial_state()
    assert state.current_player() == SIMULTANEOUS
    assert state.legal_actions(2) == [0] and state.action_text(0, 2) == "wait"
    assert state.action_text(1, 0) == "work 50 hours"
    state.apply_joint_action([1, 2, 0])  # 50 and 100 hours
    z = [500.0, 2000.0]
    rebate = 0.1 * sum(z) / 2
    u = [0.9 * z[0] + rebate - C * 50**D, 0.9 * z[1] + rebate - C * 100**D]
    assert state.returns() == pytest.approx([u[0], u[1], u[0] / 500 + u[1] / 2000])
    state.apply_joint_action([0, 0, 0])
    assert state.current_player() == 2  # the planner moves at step 2 (a tax year of 2)
    assert state.legal_actions() == [1, 2, 3, 4]  # at 10%: -10, 0, +10, +20
    assert [DELTAS[a] for a in state.legal_actions()] == [-10, 0, 10, 20]
    state.apply_action(state.parse_action("change bracket 1 by +20 points"))
    assert state.rates == (30.0,)
    state.apply_joint_action([0, 0, 0])
    assert state.is_terminal()


def test_scripted_players_reach_the_target_and_best_respond() -> None:
    game = redqueen.make(
        "tax_economy", num_workers=2, steps=7, tax_year=2, brackets="three", skill_seed=4
    )
    target = [20.0, 75.0, 50.0]
    agents = [TaxBestResponseWorker(), TaxBestResponseWorker(), TaxTargetPlanner(target)]
    result = play_match(game, agents, seed=0)
    state = game.new_initial_state()
    for step in result.trajectory:
        if step.player == SIMULTANEOUS:
            schedule = game.initial_schedule.with_rates(state.rates)
            best = best_grid_hours(game.skills, schedule, game.hours).tolist()
            assert list(step.action[:2]) == best
            state.apply_joint_action(list(step.action))
        else:
            state.apply_action(step.action)
    # 50 -> 30 -> 20; 50 -> 70 -> 80 -> 70 (75 is as close from 70 as from 80; smaller move)
    assert state.rates == (20.0, 70.0, 50.0)
    assert result.returns == pytest.approx(state.returns())
