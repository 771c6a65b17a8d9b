"""Kuhn poker: exact payoffs of hand-written hands, chance, illegal moves, text views,
information states and the checker's invariants, for two and three players."""

from __future__ import annotations

from fractions import Fraction

import pytest

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError, UnknownNameError
from redqueen.games import CHANCE, TERMINAL, State, check_game
from redqueen.games.kuhn_poker import BET, PASS, KuhnPokerGame, card_names

J, Q, K = 0, 1, 2  # card ids of the two-player deck


def play(actions: list[int], players: int = 2) -> State:
    state = KuhnPokerGame(players=players).new_initial_state()
    for i, action in enumerate(actions):
        assert not state.is_terminal(), f"game over before step {i} of {actions}"
        state.apply_action(action)
    return state


def test_spec_matches_openspiel_and_rebuilds_from_registry() -> None:
    for players, length, top in [(2, 5, 2.0), (3, 8, 4.0), (10, 29, 18.0)]:
        game = redqueen.make("kuhn_poker", players=players)
        spec = game.spec
        assert isinstance(game, KuhnPokerGame)
        assert (spec.id, spec.num_players, spec.num_distinct_actions) == (
            "kuhn_poker",
            players,
            2,
        )
        assert spec.max_game_length == length  # deals count as steps
        assert (spec.min_utility, spec.max_utility, spec.utility_sum) == (-2.0, top, 0.0)
        assert str(spec.chance) == "explicit" and str(spec.utility) == "zero_sum"
        assert spec.max_chance_outcomes == players + 1
        assert not spec.perfect_information
        assert spec.params == {"players": players}
        assert redqueen.make(spec.id, **spec.params).spec == spec
    assert redqueen.make("kuhn_poker").num_players == 2


@pytest.mark.parametrize(
    ("deal", "betting", "expected"),
    [
        ((J, Q), [PASS, BET, PASS], [-1.0, 1.0]),  # player 0 checks, then folds to the bet
        ((J, Q), [PASS, PASS], [-1.0, 1.0]),  # both check: Q beats J
        ((K, Q), [PASS, PASS], [1.0, -1.0]),
        ((Q, K), [BET, BET], [-2.0, 2.0]),  # bet, call: K beats Q
        ((K, J), [BET, BET], [2.0, -2.0]),
        ((J, K), [BET, PASS], [1.0, -1.0]),  # a bluff that works: player 1 folds
        ((K, J), [PASS, BET, BET], [2.0, -2.0]),  # check, bet, call
    ],
)
def test_exact_returns_of_two_player_hands(
    deal: tuple[int, int], betting: list[int], expected: list[float]
) -> None:
    state = play([*deal, *betting])
    assert state.is_terminal()
    assert state.current_player() == TERMINAL
    assert state.returns() == expected
    assert state.legal_actions() == []


@pytest.mark.parametrize(
    ("deal", "betting", "expected"),
    [
        # Cards 10 J Q K are ids 0..3. Nobody bets: the highest card takes the 3 antes.
        ((0, 1, 2), [PASS, PASS, PASS], [-1.0, -1.0, 2.0]),
        # 1 bets, 2 folds, 0 calls: pot 5, the showdown is 0 (10) against 1 (J).
        ((0, 1, 2), [PASS, BET, PASS, BET], [-2.0, 3.0, -1.0]),
        # 0 bets and both call: pot 6, player 2's K wins.
        ((1, 0, 3), [BET, BET, BET], [-2.0, -2.0, 4.0]),
        # 2 bets, 0 and 1 fold: player 2 wins the antes with the lowest card.
        ((3, 2, 0), [PASS, PASS, BET, PASS, PASS], [-1.0, -1.0, 2.0]),
    ],
)
def test_exact_returns_of_three_player_hands(
    deal: tuple[int, ...], betting: list[int], expected: list[float]
) -> None:
    state = play([*deal, *betting], players=3)
    assert state.is_terminal()
    assert state.returns() == expected


def test_order_of_play_and_zero_returns_while_the_hand_goes_on() -> None:
    state = play([], players=3)
    seen = []
    for action in [2, 0, 3, PASS, BET, BET]:
        seen.append(state.current_player())
        assert state.returns() == [0.0, 0.0, 0.0]
        state.apply_action(action)
    assert seen == [CHANCE, CHANCE, CHANCE, 0, 1, 2]
    assert state.current_player() == 0  # player 0 answers the bet last
    state.apply_action(PASS)  # folds; player 1 (card 0, a 10) and player 2 (K) show down
    assert state.returns() == [-1.0, -2.0, 3.0]


def test_chance_deals_each_card_once_uniformly() -> None:
    state = play([])
    assert state.chance_outcomes() == [(J, 1 / 3), (Q, 1 / 3), (K, 1 / 3)]
    state.apply_action(Q)
    assert state.chance_outcomes() == [(J, 0.5), (K, 0.5)]
    with pytest.raises(IllegalActionError, match="deal J"):
        state.apply_action(Q)  # already dealt
    state.apply_action(K)
    assert state.chance_outcomes() == []
    assert state.legal_actions() == [PASS, BET]
    assert state.legal_actions(1) == []


def test_illegal_actions_are_rejected_naming_the_legal_ones() -> None:
    state = play([J, Q, PASS])
    before = (state.history(), state.observation_text(0), str(state))
    for bad in [2, -1, 7]:
        with pytest.raises(IllegalActionError, match=r"0 \(pass\), 1 \(bet\)"):
            state.apply_action(bad)
    assert (state.history(), state.observation_text(0), str(state)) == before
    finished = play([J, Q, PASS, PASS])
    with pytest.raises(IllegalActionError):
        finished.apply_action(PASS)


def test_action_names_round_trip_and_match_openspiel() -> None:
    state = play([])
    assert [state.action_text(c) for c in range(3)] == ["deal J", "deal Q", "deal K"]
    assert state.parse_action("deal K") == K
    state = play([J, Q])
    assert state.action_text(PASS) == "pass" and state.action_text(BET) == "bet"
    assert state.parse_action("Bet") == BET
    assert state.parse_action("p") == PASS
    assert card_names(2) == ("J", "Q", "K")
    assert card_names(3) == ("10", "J", "Q", "K")
    assert len(set(card_names(10))) == 11


def test_text_view_shows_own_card_and_hides_the_others() -> None:
    a = play([Q, K, PASS, BET])
    b = play([Q, J, PASS, BET])
    view = a.observation_text(0)
    assert "Your card: Q." in view
    assert "You are player 0." in view
    assert "Pot: 3 chips (put in by player 0: 1, player 1: 2)." in view
    assert "player 0 checks, player 1 bets" in view
    assert "To move: player 0 (you)" in view
    # Player 0's view does not depend on player 1's card...
    assert b.observation_text(0) == view
    # ...but player 1's does, and the full dump shows both cards.
    assert "Your card: K." in a.observation_text(1)
    assert a.observation_text(1) != b.observation_text(1)
    assert "player 0: Q, player 1: K" in str(a)
    assert "Dealing a card to player 0." in play([]).observation_text(1)


def test_terminal_view_reveals_cards_only_at_a_showdown() -> None:
    folded = play([J, K, BET, PASS])
    assert "Player 0 wins the pot of 3 chips. Returns: player 0: +1, player 1: -1." in (
        folded.observation_text(1)
    )
    assert "showdown" not in folded.observation_text(1)
    shown = play([J, K, BET, BET]).observation_text(0)
    assert "at the showdown (player 0 J, player 1 K)" in shown


def test_rules_text_is_complete() -> None:
    text = KuhnPokerGame(players=3).rules_text()
    for phrase in ["4 cards", "10, J, Q, K", "ante", "pass", "bet", "fold", "call", "highest"]:
        assert phrase in text


def _walk(state: State, prob: Fraction, totals: list[Fraction], keys: list[set[object]]) -> None:
    if state.is_terminal():
        for p, r in enumerate(state.returns()):
            totals[p] += prob * Fraction(r)
        return
    player = state.current_player()
    if player == CHANCE:
        outcomes = [(a, Fraction(1, len(state.chance_outcomes()))) for a in state.legal_actions()]
    else:
        keys[player].add(state.information_state_key(player))
        legal = state.legal_actions()
        outcomes = [(a, Fraction(1, len(legal))) for a in legal]
    for action, q in outcomes:
        child = state.clone()
        child.apply_action(action)
        _walk(child, prob * q, totals, keys)


@pytest.mark.parametrize(
    ("players", "infostates", "value"),
    [
        (2, [6, 6], [Fraction(1, 8), Fraction(-1, 8)]),
        (3, [16, 16, 16], [Fraction(15, 64), Fraction(-3, 64), Fraction(-12, 64)]),
    ],
)
def test_information_states_and_uniform_random_value_by_tree_walk(
    players: int, infostates: list[int], value: list[Fraction]
) -> None:
    """Two-player Kuhn has 12 information states (6 a player); the uniform random
    profile is worth 1/8 to player 0."""
    totals = [Fraction(0)] * players
    keys: list[set[object]] = [set() for _ in range(players)]
    _walk(KuhnPokerGame(players=players).new_initial_state(), Fraction(1), totals, keys)
    assert [len(k) for k in keys] == infostates
    assert totals == value


def test_information_state_key_has_own_card_and_public_betting_only() -> None:
    a = play([Q, K, PASS, BET])
    b = play([Q, J, PASS, BET])
    assert a.information_state_key(0) == b.information_state_key(0)
    assert a.information_state_key(1) != b.information_state_key(1)
    assert a.information_state_key(0) != play([Q, K, PASS]).information_state_key(0)
    hash(a.information_state_key(0))


@pytest.mark.parametrize("bad", [1, 11, 0, -2, "3", 2.0, True, None])
def test_bad_player_counts_are_rejected_naming_the_range(bad: object) -> None:
    with pytest.raises(InvalidParameterError, match="from 2 to 10"):
        redqueen.make("kuhn_poker", players=bad)


def test_unknown_parameters_are_rejected_naming_the_known_ones() -> None:
    with pytest.raises(UnknownNameError, match="players=2"):
        redqueen.make("kuhn_poker", num_players=3)


def test_clone_is_independent() -> None:
    state = play([J, Q, PASS])
    twin = state.clone()
    twin.apply_action(BET)
    assert state.current_player() == 1 and twin.current_player() == 0
    assert len(state.history()) == 3 and len(twin.history()) == 4
    assert state.observation_text(0) != twin.observation_text(0)


@pytest.mark.parametrize("players", [2, 3, 5])
def test_check_game(players: int) -> None:
    report = check_game(redqueen.make("kuhn_poker", players=players), n_games=300)
    assert report.max_length_seen <= 3 * players - 1
    assert report.games_played == 300
