"""Advantage estimators for LLM self-play: hand-computed values for RAE, MARS, GRPO and
REINFORCE, SPIRAL's zero-advantage filter, the errors on bad inputs, and two properties
over random batches (relabelling seats permutes advantages; MARS mean-centred advantages
sum to 0 per (game, role))."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redqueen.errors import InvalidParameterError
from redqueen.learn.llm.advantages import (
    SeatTrace,
    grpo,
    keep_nonzero,
    mars,
    rae,
    reinforce,
)


def T(game: str, role: int | str, *rewards: float) -> SeatTrace:
    return SeatTrace(game, role, rewards)


def assert_advantages(got: list[np.ndarray], want: list[list[float]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == np.float64
        assert g.tolist() == pytest.approx(w, rel=1e-9, abs=1e-12)


# ---- SeatTrace ------------------------------------------------------------------------


def test_seat_trace_stores_rewards_as_a_tuple_of_floats() -> None:
    trace = SeatTrace("tictactoe", 0, [0, np.float32(0.5), 1])
    assert trace.rewards == (0.0, 0.5, 1.0)
    assert all(type(r) is float for r in trace.rewards)


def test_seat_trace_refuses_an_empty_trace() -> None:
    with pytest.raises(InvalidParameterError, match="at least one turn reward"):
        SeatTrace("tictactoe", 1, [])
    with pytest.raises(ValueError):
        SeatTrace("tictactoe", 1, ())


def test_seat_trace_refuses_non_finite_rewards() -> None:
    with pytest.raises(InvalidParameterError, match="finite"):
        SeatTrace("kuhn", 0, [0.0, math.nan])
    with pytest.raises(InvalidParameterError, match="finite"):
        SeatTrace("kuhn", 0, [math.inf])


# ---- RAE ------------------------------------------------------------------------------


def test_rae_reads_the_baseline_before_updating_it() -> None:
    # first game R = 1: A = 1 - 0, b = 0.05; second R = -1: A = -1 - 0.05, b = -0.0025
    adv, base = rae([T("ttt", 0, 1.0), T("ttt", 0, -1.0)])
    assert_advantages(adv, [[1.0], [-1.05]])
    assert base == {("ttt", 0): pytest.approx(-0.0025, abs=1e-15)}


def test_rae_baseline_starts_at_zero_and_every_turn_gets_the_game_advantage() -> None:
    adv, base = rae([T("ttt", 1, 0.0, 0.0, 0.0, 2.0)])
    assert_advantages(adv, [[2.0, 2.0, 2.0, 2.0]])
    assert base == {("ttt", 1): pytest.approx(0.1)}


def test_rae_keeps_one_baseline_per_game_and_role() -> None:
    traces = [T("ttt", 0, 1.0), T("ttt", 1, 1.0), T("kuhn", 0, 1.0), T("ttt", "0", 1.0)]
    adv, base = rae(traces)
    assert_advantages(adv, [[1.0], [1.0], [1.0], [1.0]])
    assert base == {
        ("ttt", 0): pytest.approx(0.05),
        ("ttt", 1): pytest.approx(0.05),
        ("kuhn", 0): pytest.approx(0.05),
        ("ttt", "0"): pytest.approx(0.05),
    }


def test_rae_same_key_twice_in_one_batch_in_completion_order() -> None:
    # b: 0.2 -> A = 1 - 0.2 = 0.8, b = 0.19 + 0.05 = 0.24 -> A = 3 - 0.24 = 2.76,
    # b = 0.228 + 0.15 = 0.378; the other role keeps its own baseline 0.2 -> 0.2 * 0.95
    incoming = {("ttt", 0): 0.2, ("ttt", 1): 0.2}
    adv, base = rae([T("ttt", 0, 1.0), T("ttt", 1, 0.0), T("ttt", 0, 3.0)], incoming)
    assert_advantages(adv, [[0.8], [-0.2], [2.76]])
    assert base[("ttt", 0)] == pytest.approx(0.378)
    assert base[("ttt", 1)] == pytest.approx(0.19)


def test_rae_leaves_the_input_baselines_alone_and_keeps_untouched_keys() -> None:
    incoming = {("ttt", 0): 0.5, ("go", 1): 0.3}
    adv, base = rae([T("ttt", 0, 0.0, 1.0)], incoming)
    assert_advantages(adv, [[0.5, 0.5]])
    assert incoming == {("ttt", 0): 0.5, ("go", 1): 0.3}
    assert base is not incoming
    assert base == {("ttt", 0): pytest.approx(0.525), ("go", 1): 0.3}


def test_rae_discounts_by_position_from_the_last_turn() -> None:
    # A = 1; turn i of 3 gets A * 0.5 ** (3 - i - 1)
    adv, _ = rae([T("ttt", 0, 0.0, 0.0, 1.0)], gamma=0.5)
    assert_advantages(adv, [[0.25, 0.5, 1.0]])
    adv, _ = rae([T("ttt", 0, 0.0, 1.0)], gamma=0.0)
    assert_advantages(adv, [[0.0, 1.0]])


def test_rae_return_is_the_sum_of_shaped_rewards() -> None:
    # format bonus 0.05 on two turns plus a win: R = 1.1 for every turn (gamma = 1)
    adv, base = rae([T("ttt", 0, 0.05, 0.05, 1.0)])
    assert_advantages(adv, [[1.1, 1.1, 1.1]])
    assert base[("ttt", 0)] == pytest.approx(0.055)


def test_rae_with_alpha_zero_subtracts_the_previous_return() -> None:
    adv, base = rae([T("ttt", 0, 1.0), T("ttt", 0, 3.0), T("ttt", 0, -2.0)], alpha=0.0)
    assert_advantages(adv, [[1.0], [2.0], [-5.0]])
    assert base == {("ttt", 0): -2.0}


def test_rae_on_no_traces_returns_a_copy_of_the_baselines() -> None:
    incoming = {("ttt", 0): 0.5}
    adv, base = rae([], incoming)
    assert adv == [] and base == incoming and base is not incoming


# ---- keep_nonzero ---------------------------------------------------------------------


def test_keep_nonzero_drops_exact_zeros_only() -> None:
    masks = keep_nonzero([np.array([0.0, 1.0, -0.0, -2.0, 1e-300]), np.array([0.0])])
    assert [m.tolist() for m in masks] == [[False, True, False, True, True], [False]]
    assert all(m.dtype == np.bool_ for m in masks)


def test_a_game_that_matches_its_baseline_is_filtered() -> None:
    adv, _ = rae([T("ttt", 0, 0.0, 1.0), T("ttt", 1, -1.0)], {("ttt", 0): 1.0})
    assert [m.tolist() for m in keep_nonzero(adv)] == [[False, False], [True]]


# ---- MARS -----------------------------------------------------------------------------

# (ttt, 0): rewards [1, 3] and [2]; mean 2 -> centred [-1, 1], [0] -> G [0, 1], [0];
#   mean G 1/3 -> [-1/3, 2/3], [-1/3]; population std sqrt(2)/3 -> [-1/sqrt2, sqrt2], [-1/sqrt2]
# (ttt, 1): rewards [0, -2]; mean -1 -> centred [1, -1] -> G [0, -1]; mean -1/2 ->
#   [1/2, -1/2]; std 1/2 -> [1, -1]
# (kuhn, 0): rewards [4] -> centred [0] -> G [0] -> 0 under both norms
MARS_BATCH = [T("ttt", 0, 1.0, 3.0), T("ttt", 1, 0.0, -2.0), T("ttt", 0, 2.0), T("kuhn", 0, 4.0)]


def test_mars_mean_centres_reward_to_go_per_game_and_role() -> None:
    adv = mars(MARS_BATCH, norm="mean")
    assert_advantages(adv, [[-1 / 3, 2 / 3], [0.5, -0.5], [-1 / 3], [0.0]])


def test_mars_mean_std_divides_by_the_population_std_of_the_group() -> None:
    adv = mars(MARS_BATCH)
    r = math.sqrt(2)
    want = [[-1 / r, r], [1.0, -1.0], [-1 / r], [0.0]]
    for g, w in zip(adv, want, strict=True):
        assert g.tolist() == pytest.approx(w, rel=1e-7)


def test_mars_discounts_the_reward_to_go() -> None:
    # rewards [1, 0, 2], mean 1 -> centred [0, -1, 1]; gamma 0.5 -> G [-0.25, -0.5, 1];
    # mean 1/12 -> [-1/3, -7/12, 11/12]
    adv = mars([T("ttt", 0, 1.0, 0.0, 2.0)], gamma=0.5, norm="mean")
    assert_advantages(adv, [[-1 / 3, -7 / 12, 11 / 12]])


def test_mars_adds_epsilon_to_the_std_rather_than_replacing_a_zero_std() -> None:
    # G = +-1e-9, std 1e-9: 1e-9 / (1e-9 + 1e-8) = 1/11, not 1
    adv = mars([T("g", 0, 1e-9), T("g", 0, -1e-9)])
    assert_advantages(adv, [[1 / 11], [-1 / 11]])
    constant = mars([T("g", 0, 1.0, 1.0), T("g", 0, 1.0, 1.0)])
    assert [a.tolist() for a in constant] == [[0.0, 0.0], [0.0, 0.0]]


# ---- GRPO and REINFORCE ----------------------------------------------------------------


def test_grpo_centres_and_scales_within_each_group() -> None:
    traces = [
        T("ttt", 0, 1.0),
        T("ttt", 1, -1.0),
        T("kuhn", 0, 0.5, 0.5),
        T("kuhn", 0, 2.0),
        T("kuhn", 0, 1.0, 2.0),
        T("kuhn", 1, 7.0),
    ]
    adv = grpo(traces, [[0, 1], [4, 2, 3], [5]])
    # the zero-sum pair: mean 0, std 1 -> +-1 / (1 + 1e-6) whatever the policy did
    # returns 1, 2, 3: mean 2, population std sqrt(2/3); a lone trace gets 0
    s = math.sqrt(2 / 3) + 1e-6
    a = 1 / (1 + 1e-6)
    assert_advantages(adv, [[a], [-a], [-1 / s, -1 / s], [0.0], [1 / s, 1 / s], [0.0]])


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        ([[0, 1]], r"traces \[2\] are in no GRPO group"),
        ([[0, 1], [1, 2]], "trace 1 is in GRPO groups 0 and 1"),
        ([[0, 0], [1, 2]], "trace 0 is in GRPO groups 0 and 0"),
        ([[0, 1, 2, 3]], "names trace 3; allowed: 0 to 2"),
        ([[0, 1, -1]], "names trace -1; allowed: 0 to 2"),
        ([[0, 1, 2], []], "group 1 is empty"),
    ],
)
def test_grpo_needs_every_trace_in_exactly_one_group(groups: list[list[int]], message: str) -> None:
    traces = [T("g", 0, 1.0), T("g", 0, 0.0), T("g", 0, 2.0)]
    with pytest.raises(InvalidParameterError, match=message):
        grpo(traces, groups)


def test_reinforce_is_the_plain_reward_to_go() -> None:
    traces = [T("ttt", 0, 1.0, 0.0, 2.0), T("ttt", 1, -1.0)]
    assert_advantages(reinforce(traces), [[3.0, 2.0, 2.0], [-1.0]])
    assert_advantages(reinforce(traces, gamma=0.5), [[1.5, 1.0, 2.0], [-1.0]])


# ---- bad parameters -------------------------------------------------------------------


@pytest.mark.parametrize("alpha", [1.0, -0.1, 1.5, math.nan])
def test_rae_refuses_alpha_outside_zero_to_one(alpha: float) -> None:
    with pytest.raises(InvalidParameterError, match=r"alpha .* must be in \[0, 1\); got"):
        rae([T("ttt", 0, 1.0)], alpha=alpha)


@pytest.mark.parametrize("gamma", [1.01, -0.5, math.nan])
def test_every_discounting_estimator_refuses_gamma_outside_zero_one(gamma: float) -> None:
    traces = [T("ttt", 0, 1.0)]
    for call in (
        lambda: rae(traces, gamma=gamma),
        lambda: mars(traces, gamma=gamma),
        lambda: reinforce(traces, gamma=gamma),
    ):
        with pytest.raises(InvalidParameterError, match=r"gamma must be in \[0, 1\]; got"):
            call()


@pytest.mark.parametrize("norm", ["std", "none", "MEAN", ""])
def test_mars_refuses_an_unknown_norm_and_names_the_allowed_ones(norm: str) -> None:
    with pytest.raises(InvalidParameterError, match="norm must be one of 'mean', 'mean_std'"):
        mars([T("ttt", 0, 1.0)], norm=norm)


# ---- properties -----------------------------------------------------------------------

ROLES: list[int | str] = [0, 1, "chance"]
SWAP: dict[int | str, int | str] = {0: 1, 1: 0}

rewards_st = st.lists(
    st.floats(min_value=-5, max_value=5, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=4,
)
trace_st = st.builds(
    SeatTrace, st.sampled_from(["ttt", "kuhn"]), st.sampled_from(ROLES), rewards_st
)
batch_st = st.lists(trace_st, min_size=1, max_size=8)
baselines_st = st.dictionaries(
    st.tuples(st.sampled_from(["ttt", "kuhn"]), st.sampled_from(ROLES)),
    st.floats(min_value=-2, max_value=2, allow_nan=False),
    max_size=6,
)


def relabel(trace: SeatTrace) -> SeatTrace:
    return SeatTrace(trace.game, SWAP.get(trace.role, trace.role), trace.rewards)


@settings(max_examples=60, deadline=None)
@given(batch=batch_st, baselines=baselines_st, gamma=st.sampled_from([1.0, 0.9]))
def test_swapping_role_labels_leaves_every_trace_advantage_unchanged(
    batch: list[SeatTrace], baselines: dict[tuple[str, int | str], float], gamma: float
) -> None:
    swapped = [relabel(t) for t in batch]
    swapped_baselines = {(g, SWAP.get(r, r)): b for (g, r), b in baselines.items()}

    adv, base = rae(batch, baselines, gamma=gamma)
    adv_s, base_s = rae(swapped, swapped_baselines, gamma=gamma)
    for a, b in zip(adv, adv_s, strict=True):
        np.testing.assert_array_equal(a, b)
    assert base_s == {(g, SWAP.get(r, r)): b for (g, r), b in base.items()}

    for norm in ("mean", "mean_std"):
        for a, b in zip(mars(batch, gamma, norm), mars(swapped, gamma, norm), strict=True):
            np.testing.assert_array_equal(a, b)


@settings(max_examples=60, deadline=None)
@given(batch=batch_st, gamma=st.sampled_from([1.0, 0.7]))
def test_mars_mean_advantages_sum_to_zero_per_game_and_role(
    batch: list[SeatTrace], gamma: float
) -> None:
    adv = mars(batch, gamma, norm="mean")
    totals: dict[tuple[str, int | str], list[float]] = {}
    for trace, a in zip(batch, adv, strict=True):
        assert len(a) == len(trace.rewards)
        totals.setdefault(trace.key, []).extend(a.tolist())
    for values in totals.values():
        assert abs(math.fsum(values)) <= 1e-9 * (1 + sum(abs(v) for v in values))
