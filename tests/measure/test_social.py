"""Social and economic measures on inputs whose values are known by hand: Gini, GLEE
efficiency and fairness, price of anarchy, punishment, collapse and norm convergence,
soft-label metrics, and the governance levers on a short prisoner's dilemma."""

from __future__ import annotations

import math

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError
from redqueen.games.core import State, Step
from redqueen.measure.social import (
    CircuitBreaker,
    RandomAudit,
    ReputationDecay,
    TransactionTax,
    collapse_time,
    cooperation_rate,
    gini,
    glee_bargaining_efficiency,
    glee_fairness,
    glee_negotiation_efficiency,
    glee_negotiation_fairness,
    glee_persuasion_efficiency,
    glee_persuasion_fairness,
    govern,
    norm_convergence_time,
    price_of_anarchy,
    price_of_anarchy_matrix,
    punishment_rates,
    pure_nash_equilibria,
    quality_gap,
    toxicity,
    welfare,
    welfare_ratio,
)


def test_gini_of_known_vectors() -> None:
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)  # (n - 1) / n
    assert gini([1, 2, 3, 4]) == pytest.approx(0.25)  # 20 / (2 * 16 * 2.5)
    assert gini([0, 0]) == 0.0
    assert gini([5, 0]) == pytest.approx(0.5)
    assert math.isnan(gini([]))
    with pytest.raises(InvalidParameterError, match="non-negative"):
        gini([1, -1])


def test_gini_matches_the_mean_absolute_difference() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.random(7) * 10
        direct = np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())
        assert gini(x.tolist()) == pytest.approx(direct)


def test_glee_fairness() -> None:
    assert glee_fairness(0.5) == 1.0
    assert glee_fairness(1.0) == 0.0 and glee_fairness(0.0) == 0.0
    assert glee_fairness(0.75) == pytest.approx(0.75)
    assert glee_fairness(1.0, p_fair=1.0) == 1.0
    assert glee_fairness(0.5, p_fair=1.0) == 0.0


def test_glee_bargaining_efficiency() -> None:
    assert glee_bargaining_efficiency(0.6, 1, 0.9, 0.8) == 1.0
    assert glee_bargaining_efficiency(0.6, 3, 0.9, 0.8) == pytest.approx(0.6 * 0.81 + 0.4 * 0.64)
    with pytest.raises(InvalidParameterError):
        glee_bargaining_efficiency(0.5, 0, 0.9, 0.9)


def test_glee_negotiation() -> None:
    assert glee_negotiation_efficiency(True, 1.0, 1.2) == 1.0
    assert glee_negotiation_efficiency(False, 1.0, 1.2) == 0.0
    assert glee_negotiation_efficiency(True, 1.2, 1.0) == 0.0
    assert glee_negotiation_efficiency(False, 1.2, 1.0) == 1.0
    assert glee_negotiation_efficiency(True, 1.0, 1.0) == 1.0
    assert glee_negotiation_fairness(True, 1.1, 1.0, 1.2) == pytest.approx(1.0)
    assert glee_negotiation_fairness(True, 1.2, 1.0, 1.2) == pytest.approx(0.96)
    assert glee_negotiation_fairness(True, 1200, 1000, 1400, price_scale=1000) == pytest.approx(1)
    assert glee_negotiation_fairness(False, 5.0, 1.0, 1.2) == 1.0


def test_glee_persuasion() -> None:
    quality = [True, True, False, False]
    bought = [True, False, False, True]
    assert glee_persuasion_efficiency(quality, bought) == 0.5
    assert glee_persuasion_fairness(quality, bought) == 0.5
    assert math.isnan(glee_persuasion_fairness([True], [True]))  # no low-quality item


def test_welfare_and_price_of_anarchy() -> None:
    assert welfare([1.0, 2.5, 3.0]) == 6.5
    assert welfare_ratio([1.0, 2.0], 6.0) == 0.5
    pd_a = np.array([[3, 0], [5, 1]])
    assert pure_nash_equilibria(pd_a, pd_a.T) == [(1, 1)]
    assert price_of_anarchy_matrix(pd_a, pd_a.T) == 3.0
    stag = np.array([[4, 0], [3, 3]])
    assert pure_nash_equilibria(stag, stag.T) == [(0, 0), (1, 1)]
    assert price_of_anarchy_matrix(stag, stag.T) == pytest.approx(8 / 6)
    pennies = np.array([[1, -1], [-1, 1]])
    with pytest.raises(InvalidParameterError, match="no pure Nash"):
        price_of_anarchy_matrix(pennies, -pennies)
    with pytest.raises(InvalidParameterError, match="positive welfare"):
        price_of_anarchy(6.0, 0.0)


def test_cooperation_and_punishment() -> None:
    assert cooperation_rate([True, False, True, True]) == 0.75
    assert math.isnan(cooperation_rate([]))
    rates = punishment_rates([True, False, True, True], [True, False, False, True])
    assert (rates.acts, rates.punishments, rates.antisocial_punishments) == (4, 3, 2)
    assert rates.rate == 0.75 and rates.antisocial == pytest.approx(2 / 3)
    assert math.isnan(punishment_rates([False], [True]).antisocial)


def test_collapse_and_norm_convergence() -> None:
    assert collapse_time([100, 50, 4, 0], 5) == 2
    assert collapse_time([100, 50], 5) is None
    assert norm_convergence_time([0.5, 0.3, 0.2, 0.2, 0.2]) == 2
    assert norm_convergence_time([0.5, 0.3, 0.2], tolerance=0.1) == 1
    assert norm_convergence_time([None, 0.2]) == 1
    assert norm_convergence_time([0.2, None]) is None
    assert norm_convergence_time([]) is None


def test_soft_labels() -> None:
    p, accepted = [0.9, 0.2, 0.6], [True, False, True]
    assert toxicity(p, accepted) == pytest.approx(0.25)
    assert quality_gap(p, accepted) == pytest.approx(0.55)
    assert quality_gap([0.1, 0.9], [True, False]) == pytest.approx(-0.8)  # adverse selection
    assert math.isnan(toxicity([0.5], [False]))
    assert math.isnan(quality_gap([0.5], [True]))
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        toxicity([1.5], [True])


# The repeated prisoner's dilemma C/C, D/C, D/D pays (3, 3), (5, 0), (1, 1): (9, 4) in all.
TRAJECTORY = [Step(-2, (0, 0)), Step(-2, (1, 0)), Step(-2, (1, 1))]


def pd3() -> redqueen.Game:
    return redqueen.make("repeated", rounds=3)


def defected(state: State, seat: int, action: int) -> bool:
    return action == 1


def test_govern_without_levers_keeps_the_returns() -> None:
    out = govern(pd3(), TRAJECTORY, [])
    assert out.returns == out.raw_returns == (9.0, 4.0) and out.halted_at is None
    donor = redqueen.make("donor_game", num_agents=2, rounds=1)
    out = govern(donor, [Step(0, 5), Step(1, 0)], [])
    assert out.returns == out.raw_returns == (5.0, 20.0)


def test_transaction_tax() -> None:
    tax = TransactionTax(0.5)
    out = govern(pd3(), TRAJECTORY, [tax])
    assert out.returns == pytest.approx((3 + 3.75 + 1, 3 + 1.25 + 1))
    assert sum(out.returns) == pytest.approx(13.0)  # redistributed, not destroyed
    assert tax.collected == pytest.approx(1.5 + 1.5 + 2.5 + 0.5 + 0.5)
    out = govern(pd3(), TRAJECTORY, [TransactionTax(0.5, redistribute=False)])
    assert out.returns == pytest.approx((4.5, 2.0))
    with pytest.raises(InvalidParameterError):
        TransactionTax(1.5)


def test_random_audit() -> None:
    sure = RandomAudit(1.0, 2.0, defected)
    out = govern(pd3(), TRAJECTORY, [sure])
    assert out.returns == (9.0 - 4.0, 4.0 - 2.0)
    assert sure.caught == [2, 1] and sure.audits == 3
    never = RandomAudit(0.0, 2.0, defected)
    assert govern(pd3(), TRAJECTORY, [never]).returns == (9.0, 4.0)
    half = RandomAudit(0.5, 1.0, defected)
    caught = []
    for seed in range(200):
        govern(pd3(), TRAJECTORY, [half], seed=seed)
        caught.append(half.audits)
    assert 1.2 < float(np.mean(caught)) < 1.8  # 3 violations at probability 0.5
    with pytest.raises(InvalidParameterError):
        RandomAudit(-0.1, 1.0, defected)


def test_circuit_breaker_and_composition() -> None:
    breaker = CircuitBreaker(lambda s: s.move_number >= 2)
    out = govern(pd3(), TRAJECTORY, [breaker])
    assert out.halted_at == 1 and breaker.tripped_at == 1
    assert out.returns == (8.0, 3.0) and out.raw_returns == (9.0, 4.0)
    # levers compose in order: the tax sees the audit's penalty
    out = govern(pd3(), TRAJECTORY, [RandomAudit(1.0, 1.0, defected), TransactionTax(0.5, False)])
    assert out.returns == pytest.approx((1.5 + 2.0 + 0.0, 1.5 + 0.0 + 0.0))


def test_reputation_decay() -> None:
    rep = ReputationDecay(0.5, lambda s, seat, a: 1.0 if a == 0 else -1.0)
    govern(pd3(), TRAJECTORY, [rep])
    assert rep.reputation == pytest.approx([-1.25, -0.25])
