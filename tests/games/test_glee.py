"""GLEE's bargaining, negotiation and persuasion: payoffs by hand, information, messages."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import CHANCE, TERMINAL


def _play(state: redqueen.games.State, *moves: str) -> None:
    for move in moves:
        state.apply_action(state.parse_action(move))


def test_bargaining_discounts_by_round_and_swaps_proposers() -> None:
    game = redqueen.make("bargaining", money=100, delta_1=0.9, delta_2=0.8, step=1)
    first = game.new_initial_state()
    _play(first, "offer 40", "accept")
    assert first.returns() == [60.0, 40.0]
    second = game.new_initial_state()
    _play(second, "offer 10", "reject")
    assert second.current_player() == 1  # Bob proposes in round 2
    _play(second, "offer 30", "accept")  # Bob offers Alice 30, keeps 70
    assert second.returns() == pytest.approx([30 * 0.9, 70 * 0.8])


def test_bargaining_ends_with_nothing_after_max_rounds() -> None:
    game = redqueen.make("bargaining", max_rounds=2)
    state = game.new_initial_state()
    _play(state, "offer 50", "reject", "offer 50", "reject")
    assert state.current_player() == TERMINAL
    assert state.returns() == [0.0, 0.0]
    assert "not agreed in time" in state.observation_text(0)


def test_incomplete_information_hides_the_other_discount() -> None:
    full = redqueen.make("bargaining", delta_1=0.9, delta_2=0.8)
    part = redqueen.make("bargaining", delta_1=0.9, delta_2=0.8, complete_information=False)
    assert "The other player's is 0.8" in full.new_initial_state().observation_text(0)
    text = part.new_initial_state().observation_text(0)
    assert "Your discount factor is 0.9" in text
    assert "0.8" not in text


def test_messages_are_cheap_talk_seen_by_both() -> None:
    game = redqueen.make("bargaining", messages=True, step=1)
    state = game.new_initial_state()
    silent = game.new_initial_state()
    state.say("this is my final offer")
    _play(state, "offer 30")
    _play(silent, "offer 30")
    assert 'Alice said: "this is my final offer"' in state.observation_text(1)
    assert state.information_state_key(1) != silent.information_state_key(1)
    assert state.messages() == [(0, "this is my final offer")]
    _play(state, "accept")
    _play(silent, "accept")
    assert state.returns() == silent.returns()
    with pytest.raises(RedqueenError, match="messages=False"):
        redqueen.make("bargaining").new_initial_state().say("hi")


def test_negotiation_payoffs_are_gains_over_john() -> None:
    game = redqueen.make(
        "negotiation", seller_value=1.0, buyer_value=1.2, price_order=100, step=1, max_price=200
    )
    deal = game.new_initial_state()
    _play(deal, "price 110", "accept")
    assert deal.returns() == [10.0, 10.0]
    john = game.new_initial_state()
    _play(john, "price 110", "deal with John")
    assert john.current_player() == TERMINAL
    assert john.returns() == [0.0, 0.0]
    counter = game.new_initial_state()
    _play(counter, "price 118", "reject", "price 105", "accept")
    assert counter.returns() == [5.0, 15.0]
    assert "John would sell you the product for 120" in counter.observation_text(1)
    hidden = redqueen.make("negotiation", complete_information=False)
    assert "do not know" in hidden.new_initial_state().observation_text(0)


def test_persuasion_payoffs_and_what_the_buyer_sees() -> None:
    game = redqueen.make("persuasion", price=100, p=0.3, c=0.0, v=1.5, rounds=2)
    state = game.new_initial_state()
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(0, pytest.approx(0.7)), (1, pytest.approx(0.3))]
    high = state.clone()
    state.apply_action(0)  # low quality
    high.apply_action(1)
    assert state.information_state_key(1) == high.information_state_key(1)
    assert state.information_state_key(0) != high.information_state_key(0)
    _play(state, "recommend", "buy")
    assert state.returns() == [100.0, -100.0]
    state.apply_action(1)
    _play(state, "recommend", "buy")
    assert state.returns() == [200.0, -50.0]
    assert state.current_player() == TERMINAL
    myopic = redqueen.make("persuasion", rounds=3, myopic=True).new_initial_state()
    myopic.apply_action(1)
    _play(myopic, "recommend", "buy")
    myopic.apply_action(0)
    _play(myopic, "do not recommend")
    text = myopic.observation_text(1)
    assert "1 buyers so far, 1 products sold, 1 of them high quality" in text
    assert "Round 1" not in text


@pytest.mark.parametrize(
    ("game", "params", "message"),
    [
        ("bargaining", {"delta_1": 0}, r"delta_1 must be a number in \(0, 1\]"),
        ("bargaining", {"delta_2": 1.5}, r"delta_2 must be a number in \(0, 1\]"),
        ("bargaining", {"max_rounds": 0}, r"max_rounds must be an integer in \[1, 1000\]"),
        ("bargaining", {"money": 100, "step": 7}, "whole number of steps of 7"),
        ("negotiation", {"seller_value": -1}, "seller_value must be a number in"),
        ("persuasion", {"p": 1.2}, r"p must be a number in \[0, 1\]"),
        ("persuasion", {"c": 2}, r"c must be a number in \[0, 1\]"),
        ("persuasion", {"v": 0.5}, r"v must be a number in \[1, "),
    ],
)
def test_bad_parameters_are_refused(game: str, params: dict[str, float], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        redqueen.make(game, **params)


def test_tensor_views_and_none_with_messages() -> None:
    bargain = redqueen.make("bargaining", money=4, step=1, max_rounds=2)
    assert bargain.information_state_tensor_shape() == (2 * 5 + 1 + 2,)
    state = bargain.new_initial_state()
    _play(state, "offer 3")
    t = state.information_state_tensor(1)
    assert t[3] == 1.0 and t[10] == 1.0 and t.sum() == 2  # offer 3; an answer is awaited
    _play(state, "accept")
    t = state.information_state_tensor(0)
    assert t[3] == 1.0 and t[10] == 0.0 and t[11] == 1.0 and t.sum() == 2
    with pytest.raises(RedqueenError, match="messages=True has no tensor view"):
        redqueen.make("bargaining", messages=True).information_state_tensor_shape()


def test_a_myopic_buyer_hears_only_its_own_round() -> None:
    game = redqueen.make("persuasion", rounds=3, myopic=True, messages=True)
    state = game.new_initial_state()
    state.apply_action(1)
    state.say("round-1 pitch")
    _play(state, "recommend")
    state.say("I got burned")
    _play(state, "buy")
    state.apply_action(0)
    state.say("round-2 pitch")
    _play(state, "recommend")
    text = state.observation_text(1)
    assert 'Alice said: "round-2 pitch"' in text
    assert "round-1 pitch" not in text and "burned" not in text
    assert "round-1 pitch" not in repr(state.information_state_key(1))
    assert "round-1 pitch" in repr(state.information_state_key(0))  # the seller remembers
    full = redqueen.make("persuasion", rounds=3, messages=True).new_initial_state()
    full.apply_action(1)
    full.say("round-1 pitch")
    _play(full, "recommend", "buy")
    full.apply_action(0)
    _play(full, "recommend")
    assert "round-1 pitch" in full.observation_text(1)  # one buyer throughout: it remembers
