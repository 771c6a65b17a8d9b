"""Rates pooled over the rounds of repeated-game matches (the match is the unit), the
Gini coefficient of net returns that can be negative, and GLEE's negotiation fairness
against GLEE's own definition.

The coverage test simulates matches with known truth: per-match tendencies drawn from a
beta distribution (intra-match correlation rho) and moves that persist from one round
to the next. A Wilson interval over all rounds (what the repeated-games report showed
before) covers far less than 95% there; :func:`match_rate` must cover at least 0.89.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from redqueen.agents.llm.beliefs import BeliefRecord
from redqueen.errors import InvalidParameterError
from redqueen.experiments.llm_games import JobResult, summarise_repeated
from redqueen.games.core import SIMULTANEOUS, Step
from redqueen.measure.social import (
    MATCH_RATE_METHOD,
    gini,
    glee_negotiation_fairness,
    match_rate,
)
from redqueen.measure.statistics import wilson_interval
from redqueen.play.match import MatchResult

# ---- match_rate: exact values ----------------------------------------------------------------


def test_match_rate_alternating_matches_use_the_matches_as_the_sample() -> None:
    # rate 20/40 = 0.5; between-match variance sum((h - 5)^2) / (m (m-1) nbar^2)
    # = 100 / (4 * 3 * 100) = 1/12, so n_eff = 0.25 * 12 = 3, raised to m = 4 matches.
    # t(0.975, 3) = 3.182446; Wilson at n = 4 with that quantile: centre 0.5,
    # half = 3.182446 * sqrt(0.25/4 + 3.182446^2/64) / (1 + 3.182446^2/4) = 0.423342.
    r = match_rate([10, 0, 10, 0], [10, 10, 10, 10])
    assert (r["rate"], r["count"], r["n"], r["matches"]) == (0.5, 20, 40, 4)
    assert r["effective_n"] == 4.0
    assert r["low"] == pytest.approx(0.5 - 0.423342, abs=1e-6)
    assert r["high"] == pytest.approx(0.5 + 0.423342, abs=1e-6)
    assert r["method"] == MATCH_RATE_METHOD


def test_match_rate_identical_matches_keep_every_decision() -> None:
    # every match 5/10: no between-match variance, n_eff = all 100 decisions;
    # t(0.975, 9) = 2.262157: half = 2.262157 * sqrt(0.0025 + 2.262157^2 / 40000)
    # / (1 + 2.262157^2 / 100) = 0.110320.
    r = match_rate([5] * 10, [10] * 10)
    assert r["effective_n"] == 100.0
    assert (r["low"], r["high"]) == pytest.approx((0.5 - 0.110320, 0.5 + 0.110320), abs=1e-5)


def test_match_rate_all_hits_is_not_a_zero_width_interval() -> None:
    # 100 of 100: the between-match variance cannot be measured, so n_eff = 10 matches;
    # Wilson at n = 10, t(0.975, 9) = 2.262157: low = (1 + q^2/20 - q sqrt(q^2/400))
    # / (1 + q^2/10) = 0.661491; the top is exactly 1.
    r = match_rate([10] * 10, [10] * 10)
    assert r["low"] == pytest.approx(0.661491, abs=1e-6)
    assert r["high"] == 1.0
    none = match_rate([0] * 10, [10] * 10)
    assert none["low"] == 0.0 and none["high"] == pytest.approx(1 - 0.661491, abs=1e-6)


def test_match_rate_edges() -> None:
    # matches without decisions are left out; one match gives no interval
    r = match_rate([3, 0], [4, 0])
    assert (r["rate"], r["matches"], r["low"], r["high"]) == (0.75, 1, None, None)
    empty = match_rate([], [])
    assert (empty["rate"], empty["n"], empty["matches"]) == (None, 0, 0)
    with pytest.raises(InvalidParameterError, match="0 <= hits <= decisions; got 5/4"):
        match_rate([5], [4])
    with pytest.raises(ValueError):
        match_rate([1, 2], [3])


# ---- match_rate: coverage by simulation -------------------------------------------------------


def _beta_matches(rng: np.random.Generator, mu: float, rho: float, reps: int) -> np.ndarray:
    """Hits of ``reps`` x 10 matches of 10 rounds: each match's tendency is drawn from a
    beta distribution with mean ``mu`` and intra-match correlation ``rho``."""
    s = (1 - rho) / rho
    p = rng.beta(mu * s, (1 - mu) * s, size=(reps, 10))
    return rng.binomial(10, p)


def _persistent_matches(rng: np.random.Generator, mu: float, stay: float, reps: int) -> np.ndarray:
    """Hits of ``reps`` x 10 matches of 10 rounds: the first move is a hit with
    probability ``mu``; each later round repeats the previous move with probability
    ``stay`` and is drawn afresh otherwise (so every round is a hit with probability mu)."""
    moves = np.empty((reps, 10, 10), dtype=bool)
    moves[..., 0] = rng.random((reps, 10)) < mu
    for k in range(1, 10):
        keep = rng.random((reps, 10)) < stay
        moves[..., k] = np.where(keep, moves[..., k - 1], rng.random((reps, 10)) < mu)
    return moves.sum(axis=2)


SCENARIOS = [
    ("beta", 0.05, 0.5),
    ("beta", 0.3, 0.2),
    ("beta", 0.5, 0.5),
    ("beta", 0.5, 0.9),
    ("beta", 0.9, 0.2),
    ("beta", 0.9, 0.9),
    ("persist", 0.1, 0.8),
    ("persist", 0.5, 0.8),
    ("persist", 0.5, 0.95),
    ("persist", 0.9, 0.95),
]


def test_match_rate_covers_with_correlated_rounds_where_pooled_wilson_does_not() -> None:
    """400 seeded replications per scenario of 10 matches x 10 rounds. Stated band:
    match_rate covers the true rate in at least 89% and at most 100% of replications
    in every scenario (the binomial standard error of a coverage of 0.95 over 400
    replications is 0.011); a Wilson interval over all 100 rounds covers less than 85%
    in every scenario and less than 60% in the most correlated ones."""
    rng = np.random.default_rng(2024)
    reps = 400
    for kind, mu, par in SCENARIOS:
        draw = _beta_matches if kind == "beta" else _persistent_matches
        hits = draw(rng, mu, par, reps)
        covered = pooled = 0
        for row in hits:
            r = match_rate(row.tolist(), [10] * 10)
            assert 0.0 <= r["low"] <= r["rate"] <= r["high"] <= 1.0
            assert r["high"] - r["low"] > 0.01  # never (nearly) empty
            covered += r["low"] <= mu <= r["high"]
            lo, hi = wilson_interval(int(row.sum()), 100)
            pooled += lo <= mu <= hi
        coverage, naive = covered / reps, pooled / reps
        assert 0.89 <= coverage <= 1.0, (kind, mu, par, coverage)
        assert naive < 0.85, (kind, mu, par, naive)
        if par >= 0.9:
            assert naive < 0.6, (kind, mu, par, naive)


def test_match_rate_covers_when_rounds_are_independent() -> None:
    """No correlation at all: every round a hit with probability 0.3, 10 x 10 rounds,
    400 replications; the interval still covers within [0.93, 1.0]."""
    rng = np.random.default_rng(7)
    hits = rng.binomial(10, 0.3, size=(400, 10))
    covered = 0
    for row in hits:
        r = match_rate(row.tolist(), [10] * 10)
        covered += r["low"] <= 0.3 <= r["high"]
    assert 0.93 <= covered / 400 <= 1.0


# ---- Gini with negative values ---------------------------------------------------------------


def test_gini_of_net_returns_keeps_negative_values() -> None:
    # [-1, 0, 3]: sum_ij |x_i - x_j| = 2 (1 + 4 + 3) = 16; 2 n sum|x| = 2 * 3 * 4 = 24
    assert gini([3, -1, 0], allow_negative=True) == pytest.approx(16 / 24)
    # [-2, 2]: the most unequal pair, (n - 1) / n
    assert gini([-2, 2], allow_negative=True) == pytest.approx(0.5)
    # [-1, 1, 1, 1]: sum |x_i - x_j| = 2 * 3 * 2 = 12; 2 n sum|x| = 2 * 4 * 4 = 32
    assert gini([-1, 1, 1, 1], allow_negative=True) == pytest.approx(12 / 32)
    # clamping at 0 would have reported [0, 1, 1, 1]: 0.25, hiding the loss
    assert gini([0, 1, 1, 1]) == pytest.approx(0.25)
    # non-negative values: the classic coefficient either way
    assert gini([1, 2, 3, 4], allow_negative=True) == gini([1, 2, 3, 4]) == pytest.approx(0.25)
    with pytest.raises(InvalidParameterError, match="allow_negative=True"):
        gini([1, -1])
    with pytest.raises(InvalidParameterError, match="finite"):
        gini([1.0, math.nan], allow_negative=True)


def test_gini_with_negatives_matches_the_definition_and_its_bounds() -> None:
    rng = np.random.default_rng(3)
    for _ in range(200):
        n = int(rng.integers(2, 9))
        x = rng.normal(0.5, 2.0, size=n)
        brute = np.abs(x[:, None] - x[None, :]).sum() / (2 * n * np.abs(x).sum())
        g = gini(x.tolist(), allow_negative=True)
        assert g == pytest.approx(brute)
        assert 0.0 <= g <= (n - 1) / n + 1e-12


# ---- GLEE negotiation fairness --------------------------------------------------------------


def _glee_fairness(final_price: float, seller: float, buyer: float, order: float) -> float:
    """GLEE's ``NegotiationMetrics.calculate_metrics`` (analyze/metrics.py): values in
    units of the price order, the final price in money; 1 without a trade."""
    p_ev = final_price / order
    p_f = (seller + buyer) / 2
    return 1 - 4 * (p_ev - p_f) ** 2


def test_negotiation_fairness_is_glee_s_unclipped_per_game_value() -> None:
    # price 2.0 for values 1.0 and 1.2: 1 - 4 * (2.0 - 1.1)^2 = -2.24
    assert glee_negotiation_fairness(True, 2.0, 1.0, 1.2) == pytest.approx(-2.24)
    assert glee_negotiation_fairness(True, 200, 100, 120, price_scale=100) == pytest.approx(-2.24)
    for price, seller, buyer, order in [(2.0, 1.0, 1.2, 1.0), (130, 0.8, 1.5, 100), (0, 1, 1.2, 1)]:
        ours = glee_negotiation_fairness(True, price, seller * order, buyer * order, order)
        assert ours == pytest.approx(_glee_fairness(price, seller, buyer, order))
    assert glee_negotiation_fairness(False, 2.0, 1.0, 1.2) == 1.0


# ---- the repeated-games summary: the match as the unit, predictions counted -------------------


def _repeated_job(
    key: str, joint: list[tuple[int, int]], beliefs: list[Any], seat: int = 0
) -> JobResult:
    """A stored predict-first prisoner's dilemma match with the given joint moves
    (option 0 cooperates: no label flip) and the LLM's belief records."""
    trajectory = tuple(Step(SIMULTANEOUS, a) for a in joint)
    returns = (0.0, 0.0)
    result = MatchResult("repeated", 0, returns, len(joint), (0, 0), trajectory)
    info = {
        "game": "prisoners_dilemma", "opponent": "always_cooperate",
        "variant": "predict_first", "llm_seat": seat, "flip": False,
    }  # fmt: skip
    return JobResult(key, info, result, beliefs)


def test_prediction_accuracy_counts_hits_and_scorable_predictions() -> None:
    """Two true predictions and one for a round never played (unscorable): 2 of 2, not
    the 3 of 3 that ``round(accuracy * parsed)`` made of it; a match whose only prediction
    is unscorable no longer crashes."""
    joint = [(0, 0), (0, 0)]
    beliefs = [
        BeliefRecord(0, 0, 0, "J", 0),  # the other played 0: hit
        BeliefRecord(0, 1, 0, "J", 0),  # hit
        BeliefRecord(0, 2, 0, "J", None),  # round 3 was never played: unscorable
    ]
    (row,) = summarise_repeated([_repeated_job("m0", joint, beliefs)], rounds=3)[0]["groups"]
    accuracy = row["prediction_accuracy"]
    assert (accuracy["count"], accuracy["n"], accuracy["matches"]) == (2, 2, 1)

    only = [BeliefRecord(0, 5, 1, "F", None)]
    (row,) = summarise_repeated([_repeated_job("m1", joint, only)], rounds=3)[0]["groups"]
    accuracy = row["prediction_accuracy"]
    assert (accuracy["rate"], accuracy["count"], accuracy["n"]) == (None, 0, 0)


def test_repeated_rates_use_the_match_as_the_unit() -> None:
    """Two matches of four rounds, one all cooperation and one none: the pooled rate is
    4/8, and its interval is that of two matches (Wilson at n = 2 with t(0.975, 1) =
    12.706), not of eight independent rounds."""
    jobs = [
        _repeated_job("m0", [(0, 0)] * 4, []),
        _repeated_job("m1", [(1, 0)] * 4, []),
    ]
    (row,) = summarise_repeated(jobs, rounds=4)[0]["groups"]
    cooperation = row["cooperation"]
    assert cooperation == match_rate([4, 0], [4, 4])
    assert (cooperation["count"], cooperation["n"], cooperation["matches"]) == (4, 8, 2)
    assert cooperation["effective_n"] == 2.0
    # Wilson at n = 2, q = 12.7062: half = q sqrt(1/8 + q^2/16) / (1 + q^2/2) = 0.49693
    assert cooperation["low"] == pytest.approx(0.5 - 0.49693, abs=1e-5)
    assert cooperation["method"] == MATCH_RATE_METHOD
