"""Scripted GLEE agents: exact moves on hand-made states and exact matches."""

from __future__ import annotations

import math

import numpy as np
import pytest

from redqueen.agents.core import AgentSpec
from redqueen.agents.glee_strategies import (
    GLEE_STRATEGIES,
    LearningBuyer,
    RubinsteinBargainer,
    finite_horizon_share,
    glee_strategy,
    persuasion_signal,
    rubinstein_share,
    strategy_names,
)
from redqueen.agents.registry import make_agent
from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games.glee import ACCEPT, JOHN, REJECT, bargaining, negotiation, persuasion
from redqueen.play.match import play_match

GRID = (0.8, 0.9, 0.95, 1.0)
RNG = np.random.default_rng(0)


def _play(game, alice: str, bob: str, seed: int = 0):  # type: ignore[no-untyped-def]
    agents = [make_agent("glee", name=alice), make_agent("glee", name=bob)]
    result = play_match(game, agents, seed=seed, on_invalid="raise")
    return result, [s.action for s in result.trajectory]


@pytest.mark.parametrize("d1", GRID)
@pytest.mark.parametrize("d2", GRID)
def test_rubinstein_offer_on_the_grid(d1: float, d2: float) -> None:
    game = bargaining(money=100, delta_1=d1, delta_2=d2)
    keep = 0.5 if d1 == d2 == 1.0 else (1 - d2) / (1 - d1 * d2)
    assert rubinstein_share(d1, d2) == pytest.approx(keep)
    state = game.new_initial_state()
    offer = RubinsteinBargainer().choose(game, state.information_state_key(0), 0, RNG)
    assert offer == math.ceil(100 * (1 - keep) - 1e-9)  # the proposer keeps the rest
    # in self-play the first offer is accepted: the equilibrium has no delay
    result, moves = _play(game, "rubinstein", "rubinstein")
    assert moves == [offer, ACCEPT]
    assert result.returns == pytest.approx((100 - offer, offer))


def test_rubinstein_offer_for_09_08() -> None:
    game = bargaining(money=100, delta_1=0.9, delta_2=0.8)
    _, moves = _play(game, "rubinstein", "rubinstein")
    assert moves == [29, ACCEPT]  # Alice keeps 0.2 / 0.28 = 71.4% -> 71 on the grid


def test_rubinstein_responder_threshold() -> None:
    # Round 2: Bob offers to Alice; she accepts iff the offer is worth her equilibrium
    # share as the next proposer discounted once: 0.9 * 100 * 0.2 / 0.28 = 64.29.
    game = bargaining(money=100, delta_1=0.9, delta_2=0.8)
    answers = {}
    for offer in (64, 65):
        state = game.new_initial_state()
        for a in (29, REJECT, offer):
            state.apply_action(a)
        answers[offer] = RubinsteinBargainer().choose(game, state.information_state_key(0), 0, RNG)
    assert answers == {64: REJECT, 65: ACCEPT}


def test_finite_horizon_backward_induction() -> None:
    deltas = (0.9, 0.8)
    assert finite_horizon_share(deltas, 1, 1) == 1.0
    assert finite_horizon_share(deltas, 1, 2) == pytest.approx(1 - 0.8)
    assert finite_horizon_share(deltas, 1, 3) == pytest.approx(1 - 0.8 * (1 - 0.9))
    game = bargaining(money=100, delta_1=0.9, delta_2=0.8, max_rounds=2)
    _, moves = _play(game, "rubinstein_finite", "rubinstein_finite")
    assert moves == [80, ACCEPT]
    # a responder in the last round takes anything
    last = bargaining(money=100, max_rounds=1)
    _, moves = _play(last, "hardliner", "rubinstein_finite")
    assert moves == [0, ACCEPT]


def test_incomplete_information_assumes_own_delta() -> None:
    game = bargaining(money=100, delta_1=0.9, delta_2=0.8, complete_information=False)
    state = game.new_initial_state()
    # Alice believes Bob's delta is 0.9 too: she keeps 1 / 1.9 = 52.6% and offers 48
    assert RubinsteinBargainer().choose(game, state.information_state_key(0), 0, RNG) == 48


def test_split_the_difference_sequence() -> None:
    game = bargaining(money=100, delta_1=0.9, delta_2=0.8)
    result, moves = _play(game, "split_difference", "split_difference")
    # Alice keeps 0.8; Bob demands (0.8 + 0.2) / 2 = 0.5; Alice (0.8 + 0.5) / 2 = 0.65;
    # Bob's next demand (0.5 + 0.35) / 2 = 0.425, worth 0.8 * 42.5 = 34 <= 35: accepted.
    assert moves == [20, REJECT, 50, REJECT, 35, ACCEPT]
    assert result.returns == pytest.approx((65 * 0.81, 35 * 0.64))


def test_fixed_shares_that_never_meet() -> None:
    game = bargaining(money=100, max_rounds=4)
    result, moves = _play(game, "fair", "greedy")
    assert moves == [50, REJECT, 20, REJECT] * 2
    assert result.returns == (0.0, 0.0)
    result, moves = _play(game, "hardliner", "pushover")
    assert moves == [0, ACCEPT] and result.returns == (100.0, 0.0)


def test_noisy_fair_is_seeded() -> None:
    game = bargaining(money=100)
    first = _play(game, "noisy_fair", "noisy_fair", seed=3)[1]
    assert first == _play(game, "noisy_fair", "noisy_fair", seed=3)[1]
    offers = {_play(game, "noisy_fair", "noisy_fair", seed=s)[1][0] for s in range(20)}
    assert len(offers) > 3 and all(35 <= o <= 65 for o in offers)


def test_negotiation_linear_concession() -> None:
    game = negotiation()  # values 100 (seller) and 120 (buyer); prices in steps of 2.4
    result, moves = _play(game, "conceder", "conceder")
    # the seller asks 130 -> 132 (55 steps), conceding to 100 by round 9; the buyer bids
    # 84 (35 steps), conceding to 120 by round 10; round 5's ask of 115 (48 steps) is taken
    assert moves == [55, REJECT, 35, REJECT, 52, REJECT, 38, REJECT, 48, ACCEPT]
    assert result.returns == pytest.approx((115.2 - 100, 120 - 115.2))
    _, moves = _play(game, "walker", "tough")
    assert moves == [50, REJECT, 25, JOHN]  # 60 is below the seller's outside option


def test_persuasion_signal_makes_the_buyer_indifferent() -> None:
    assert persuasion_signal(0.5, 0.0, 1.5) == pytest.approx(0.5)
    assert persuasion_signal(0.8, 0.0, 1.5) == 1.0
    for p, c, v in [(0.3, 0.0, 1.5), (0.2, 0.25, 1.2), (0.5, 0.5, 1.2)]:
        q = persuasion_signal(p, c, v)
        posterior = p / (p + (1 - p) * q)
        assert posterior * v + (1 - posterior) * c == pytest.approx(1.0)


def test_truthful_seller_and_follower() -> None:
    game = persuasion(price=100, p=0.5, v=1.5, rounds=10)
    result, moves = _play(game, "truthful", "follow", seed=4)
    quality = moves[0::3]
    assert moves[1::3] == [1 - q for q in quality]  # recommend (0) exactly the high ones
    assert moves[2::3] == [1 - q for q in quality]  # buy (0) exactly the recommended
    highs = sum(quality)
    assert result.returns == pytest.approx((100 * highs, 50 * highs))


def test_learning_buyer_estimates() -> None:
    buyer = LearningBuyer()
    game = persuasion(price=100, p=0.5, v=1.5, rounds=3)
    state = game.new_initial_state()
    for a in (1, 0, 1, 0, 0, 1, 1, 0):  # high, rec, pass; low, rec, pass; high, rec
        state.apply_action(a)
    assert buyer.estimate(state.information_state_key(1)) == pytest.approx((1 + 1) / (2 + 2))
    myopic = persuasion(price=100, p=0.5, v=1.5, rounds=3, myopic=True)
    state = myopic.new_initial_state()
    for a in (1, 0, 0, 0, 0, 0, 1, 0):  # high sold; low sold; high recommended
        state.apply_action(a)
    assert buyer.estimate(state.information_state_key(1)) == pytest.approx((1 + 1) / (2 + 2))


def test_names_specs_and_errors() -> None:
    assert make_agent("glee", name="rubinstein").spec() == AgentSpec("glee", {"name": "rubinstein"})
    assert set(strategy_names("persuasion", 0)) == {"truthful", "always_recommend", "persuasive"}
    assert all(glee_strategy(n) is s for n, s in GLEE_STRATEGIES.items())
    with pytest.raises(UnknownNameError, match=r"allowed: .*rubinstein"):
        make_agent("glee", name="rubenstein")
    with pytest.raises(RedqueenError, match="plays bargaining, not negotiation"):
        play_match(negotiation(), [make_agent("glee", name="fair")] * 2)
    with pytest.raises(RedqueenError, match="plays seat 1"):
        play_match(persuasion(), [make_agent("glee", name="follow")] * 2)
