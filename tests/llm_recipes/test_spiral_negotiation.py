"""SPIRAL's simple negotiation: the checker, exact scripted sequences and the text view."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError, ParseActionError
from redqueen.games import check_game
from redqueen.games.spiral_negotiation import ACCEPT, DENY, PASS, SpiralNegotiationState


def _state() -> SpiralNegotiationState:
    state = redqueen.make("spiral_negotiation").new_initial_state()
    assert isinstance(state, SpiralNegotiationState)
    return state


def _play(state: SpiralNegotiationState, moves: list[str]) -> None:
    for text in moves:
        state.apply_action(state.parse_action(text))


def test_check_game() -> None:
    report = check_game(redqueen.make("spiral_negotiation"), n_games=60)
    assert report.max_length_seen == 10
    small = redqueen.make("spiral_negotiation", max_turns=4, max_quantity=3)
    assert small.spec.num_distinct_actions == 3 + 2 * 9
    check_game(small, n_games=200)


def test_spiral_start_values_and_turns() -> None:
    state = _state()
    assert state.holdings(0) == state.holdings(1) == (10, 10)
    assert state.inventory_value(0) == state.inventory_value(1) == 200  # 10*5+10*15
    assert [state.current_player()] == [0]
    _play(state, ["Pass"] * 9)
    assert state.current_player() == 1
    _play(state, ["Pass"])
    assert state.is_terminal() and state.returns() == [0.0, 0.0]  # no trade: a draw


def test_accepted_trade_moves_resources_and_decides_winner() -> None:
    state = _state()
    # player 0 (Gold worth 15) gives 4 Wood for 3 Gold; player 1 (Wood worth 15) accepts
    _play(state, ["[Offer: 4 Wood -> 3 Gold]", "[Accept]"])
    assert state.holdings(0) == (6, 13) and state.holdings(1) == (14, 7)
    assert state.inventory_value(0) == 6 * 5 + 13 * 15 == 225
    assert state.inventory_value(1) == 14 * 15 + 7 * 5 == 245
    assert state.open_offer() is None
    _play(state, ["Pass"] * 8)
    assert state.returns() == [-1.0, 1.0]  # +25 against +45


def test_deny_counter_offer_and_replacement() -> None:
    state = _state()
    game = state.game
    _play(state, ["Offer: 2 Wood -> 2 Gold"])
    assert state.legal_actions()[:3] == [PASS, ACCEPT, DENY]
    _play(state, ["deny"])
    assert state.open_offer() is None
    _play(state, ["Pass", "Offer: 5 Wood -> 1 Gold"])  # player 1's counter...
    offer = game.offer_action("Wood", 5, 1)  # type: ignore[attr-defined]
    assert state.open_offer() == (offer, 1)
    _play(state, ["Offer: 1 Gold -> 6 Wood"])  # ...countered by player 0: implicit deny
    assert state.open_offer() == (game.offer_action("Gold", 1, 6), 0)  # type: ignore[attr-defined]
    assert "implicitly denied" in state.observation_text(1)
    _play(state, ["Pass"])  # an open offer stays open through a pass
    assert state.open_offer() is not None
    _play(state, ["Offer: 2 Gold -> 9 Wood"])  # the proposer replaces its own offer
    _play(state, ["Accept"])
    assert state.holdings(0) == (19, 8) and state.holdings(1) == (1, 12)
    _play(state, ["Pass"] * 2)
    # player 0: 19*5 + 8*15 = 215 (+15); player 1: 1*15 + 12*5 = 75 (-125)
    assert state.is_terminal() and state.returns() == [1.0, -1.0]


def test_illegal_moves_are_refused() -> None:
    state = _state()
    with pytest.raises(IllegalActionError):
        state.apply_action(ACCEPT)  # no offer is open
    _play(state, ["Offer: 10 Wood -> 10 Gold"])
    _play(state, ["Offer: 10 Gold -> 10 Wood"])
    _play(state, ["Accept"])  # player 0 accepts player 1's counter-offer
    assert state.holdings(0) == (0, 20) and state.holdings(1) == (20, 0)
    with pytest.raises(ParseActionError):
        state.parse_action("Offer: 1 Gold -> 1 Wood")  # player 1 has no Gold left
    state.parse_action("Offer: 1 Wood -> 1 Gold")
    wide = redqueen.make("spiral_negotiation", max_quantity=20).new_initial_state()
    wide.apply_action(wide.parse_action("Offer: 1 Wood -> 11 Gold"))
    assert ACCEPT not in wide.legal_actions()  # player 1 holds only 10 Gold
    assert DENY in wide.legal_actions()

    with pytest.raises(InvalidParameterError):
        redqueen.make("spiral_negotiation", max_quantity=21)
    with pytest.raises(InvalidParameterError):
        redqueen.make("spiral_negotiation", max_turns=0)


def test_text_view_shows_only_own_values() -> None:
    state = _state()
    assert "worth 5 each to you" in state.observation_text(0)
    assert "worth 15 each to you" in state.observation_text(1)
    assert "Turn 1 of 10" in state.observation_text(0)
    rules = redqueen.make("spiral_negotiation").rules_text()
    assert "10 Wood and 10 Gold" in rules and "Accept" in rules
