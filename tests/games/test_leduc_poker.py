"""Leduc hold'em: exact payoffs of hand-written hands, legal betting, chance, text views,
information states (936, as published) and the checker's invariants."""

from __future__ import annotations

from fractions import Fraction

import pytest

import redqueen
from redqueen.errors import IllegalActionError, UnknownNameError
from redqueen.games import CHANCE, TERMINAL, State, check_game
from redqueen.games.leduc_poker import CALL, CARD_NAMES, FOLD, RAISE, LeducPokerGame

JS, JH, QS, QH, KS, KH = range(6)


def play(actions: list[int]) -> State:
    state = LeducPokerGame().new_initial_state()
    for i, action in enumerate(actions):
        assert not state.is_terminal(), f"game over before step {i} of {actions}"
        state.apply_action(action)
    return state


def test_spec_matches_openspiel_and_rebuilds_from_registry() -> None:
    game = redqueen.make("leduc_poker")
    spec = game.spec
    assert isinstance(game, LeducPokerGame)
    assert (spec.id, spec.num_players, spec.num_distinct_actions) == ("leduc_poker", 2, 3)
    assert spec.max_game_length == 11  # 3 deals and 4 actions in each of 2 rounds
    assert (spec.min_utility, spec.max_utility, spec.utility_sum) == (-13.0, 13.0, 0.0)
    assert str(spec.chance) == "explicit" and str(spec.utility) == "zero_sum"
    assert spec.max_chance_outcomes == 6
    assert spec.params == {}
    assert redqueen.make(spec.id, **spec.params).spec == spec


@pytest.mark.parametrize(
    ("actions", "expected", "pot"),
    [
        # Raise, re-raise, call (5 each); public Qh; check, check: K beats J.
        ([JS, KS, RAISE, RAISE, CALL, QH, CALL, CALL], [-5.0, 5.0], 10),
        # The same betting with the public Jh: player 0's pair of jacks beats the king.
        ([JS, KS, RAISE, RAISE, CALL, JH, CALL, CALL], [5.0, -5.0], 10),
        # Check, check; public Kh; raise 4, call: no pair, Q beats J.
        ([QS, JH, CALL, CALL, KH, RAISE, CALL], [5.0, -5.0], 10),
        # Every raise there is: 1 + 2 + 2 + 4 + 4 = 13 each; player 1's pair of queens.
        (
            [KS, QS, CALL, RAISE, RAISE, CALL, QH, CALL, RAISE, RAISE, CALL],
            [-13.0, 13.0],
            26,
        ),
        # Equal ranks split the pot.
        ([QS, QH, RAISE, CALL, KS, CALL, CALL], [0.0, 0.0], 6),
        # Folds: player 1 folds to a raise in round 1, player 0 in round 2.
        ([KS, JS, RAISE, FOLD], [1.0, -1.0], 4),
        ([KS, JS, CALL, RAISE, FOLD], [-1.0, 1.0], 4),
        ([JS, KS, RAISE, CALL, QS, CALL, RAISE, FOLD], [-3.0, 3.0], 10),
        ([JS, KS, RAISE, CALL, QS, RAISE, RAISE, FOLD], [-7.0, 7.0], 18),
    ],
)
def test_exact_returns_of_hand_written_hands(
    actions: list[int], expected: list[float], pot: int
) -> None:
    state = play(actions)
    assert state.is_terminal()
    assert state.current_player() == TERMINAL
    assert state.returns() == expected
    assert state.legal_actions() == []
    assert f"Pot: {pot} chips" in str(state)


def test_betting_order_rounds_and_legal_actions() -> None:
    state = play([])
    assert state.current_player() == CHANCE
    state = play([QS, KH])
    assert state.current_player() == 0
    assert state.legal_actions() == [CALL, RAISE]  # nothing to fold to
    state.apply_action(CALL)
    assert state.current_player() == 1
    state.apply_action(RAISE)
    assert state.legal_actions() == [FOLD, CALL, RAISE]
    state.apply_action(RAISE)
    assert state.legal_actions() == [FOLD, CALL]  # two raises: the cap
    state.apply_action(CALL)
    assert state.current_player() == CHANCE  # the public card
    assert state.returns() == [0.0, 0.0]
    state.apply_action(JS)
    assert state.current_player() == 0  # player 0 opens round 2 too
    assert state.legal_actions() == [CALL, RAISE]


def test_chance_deals_each_card_once_uniformly() -> None:
    state = play([])
    assert state.chance_outcomes() == [(c, 1 / 6) for c in range(6)]
    state.apply_action(JS)
    assert state.chance_outcomes() == [(c, 1 / 5) for c in range(1, 6)]
    state.apply_action(KS)
    state.apply_action(CALL)
    state.apply_action(CALL)
    assert state.chance_outcomes() == [(JH, 0.25), (QS, 0.25), (QH, 0.25), (KH, 0.25)]
    with pytest.raises(IllegalActionError, match="deal Jh"):
        state.apply_action(KS)


def test_illegal_actions_are_rejected_naming_the_legal_ones() -> None:
    state = play([QS, KH])
    before = (state.history(), str(state))
    with pytest.raises(IllegalActionError, match=r"legal: 1 \(call\), 2 \(raise\)$"):
        state.apply_action(FOLD)  # folding is only allowed when facing a raise
    for bad in [3, -1]:
        with pytest.raises(IllegalActionError):
            state.apply_action(bad)
    assert (state.history(), str(state)) == before
    state = play([QS, KH, RAISE, RAISE])
    with pytest.raises(IllegalActionError, match=r"0 \(fold\), 1 \(call\)$"):
        state.apply_action(RAISE)


def test_action_names_are_fixed_distinct_and_round_trip() -> None:
    state = play([])
    names = [state.action_text(c) for c in range(6)]
    assert names == ["deal Js", "deal Jh", "deal Qs", "deal Qh", "deal Ks", "deal Kh"]
    assert all(state.parse_action(n) == c for c, n in enumerate(names))
    assert CARD_NAMES == ("Js", "Jh", "Qs", "Qh", "Ks", "Kh")
    state = play([QS, KH, RAISE])
    assert [state.action_text(a) for a in (FOLD, CALL, RAISE)] == ["fold", "call", "raise"]
    assert state.parse_action("Raise") == RAISE
    assert state.parse_action("f") == FOLD


def test_text_view_shows_own_and_public_cards_and_hides_the_other() -> None:
    a = play([JS, KS, RAISE, RAISE, CALL, QH, RAISE])
    b = play([JS, KH, RAISE, RAISE, CALL, QH, RAISE])
    view = a.observation_text(0)
    for line in [
        "You are player 0.",
        "Your card: Js.",
        "Public card: Qh.",
        "Pot: 14 chips (put in by player 0: 9, player 1: 5).",
        "Round 1 betting: player 0 raises, player 1 raises, player 0 calls.",
        "Round 2 betting: player 0 raises.",
        "To move: player 1, round 2; 4 chips to call",
    ]:
        assert line in view
    assert "Ks" not in view and "Kh" not in view
    assert b.observation_text(0) == view  # does not depend on player 1's card
    assert "Your card: Ks." in a.observation_text(1)
    assert "(you)" in a.observation_text(1)
    assert "player 0: Js, player 1: Ks" in str(a)
    assert "Public card: not dealt yet." in play([JS, KS]).observation_text(1)


def test_terminal_view_reports_the_showdown() -> None:
    text = play([JS, KS, RAISE, RAISE, CALL, JH, CALL, CALL]).observation_text(1)
    assert "Showdown (player 0 Js, player 1 Ks; public Jh): player 0 wins." in text
    assert "Returns: player 0: +5, player 1: -5." in text


def test_rules_text_is_complete() -> None:
    text = LeducPokerGame().rules_text()
    for phrase in ["six cards", "ante", "two betting rounds", "2 chips in round 1"]:
        assert phrase in text
    for phrase in ["4 chips in round 2", "two raises", "fold", "pair", "split", "public card"]:
        assert phrase in text


def _walk(state: State, prob: Fraction, totals: list[Fraction], keys: list[set[object]]) -> None:
    if state.is_terminal():
        for p, r in enumerate(state.returns()):
            totals[p] += prob * Fraction(r)
        return
    player = state.current_player()
    legal = state.legal_actions()
    if player != CHANCE:
        keys[player].add(state.information_state_key(player))
    for action in legal:  # chance is uniform over the cards left
        child = state.clone()
        child.apply_action(action)
        _walk(child, prob / len(legal), totals, keys)


def test_936_information_states_and_uniform_random_value_by_tree_walk() -> None:
    """Leduc has 936 information states (Southey et al. 2005; OpenSpiel), 468 a player.
    The uniform random profile is worth -5/64 to player 0."""
    totals = [Fraction(0)] * 2
    keys: list[set[object]] = [set(), set()]
    _walk(LeducPokerGame().new_initial_state(), Fraction(1), totals, keys)
    assert [len(k) for k in keys] == [468, 468]
    assert totals == [Fraction(-5, 64), Fraction(5, 64)]


def test_information_state_key_has_own_card_public_card_and_betting_only() -> None:
    a = play([JS, KS, RAISE, CALL, QH])
    b = play([JS, QS, RAISE, CALL, QH])
    assert a.information_state_key(0) == b.information_state_key(0)
    assert a.information_state_key(1) != b.information_state_key(1)
    # The same betting split differently over the rounds is a different history.
    c = play([JS, KS, CALL, CALL, QH, CALL])
    d = play([JS, KS, CALL, CALL, KH, CALL])
    assert c.information_state_key(0) != d.information_state_key(0)


def test_unknown_parameters_are_rejected() -> None:
    with pytest.raises(UnknownNameError, match="parameter"):
        redqueen.make("leduc_poker", players=3)


def test_clone_is_independent() -> None:
    state = play([JS, KS, RAISE])
    twin = state.clone()
    twin.apply_action(RAISE)
    assert state.legal_actions() == [FOLD, CALL, RAISE]
    assert twin.legal_actions() == [FOLD, CALL]
    assert state.returns() == twin.returns() == [0.0, 0.0]
    twin.apply_action(FOLD)
    assert twin.returns() == [-3.0, 3.0] and state.returns() == [0.0, 0.0]


def test_check_game() -> None:
    report = check_game(redqueen.make("leduc_poker"), n_games=400)
    assert report.max_length_seen <= 11
    assert report.games_played == 400
