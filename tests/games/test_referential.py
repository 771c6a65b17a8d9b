"""The referential games and the continuous PD: payoffs, legal moves, the bot language
and bad parameters, against hand-computed values."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError
from redqueen.games import check_game
from redqueen.games.continuous_pd import continuous_pd, stage_payoff
from redqueen.games.core import CHANCE, SIMULTANEOUS, TERMINAL
from redqueen.games.referential import (
    BotLanguage,
    LewisState,
    ReconstructionState,
    index_of,
    lewis_game,
    object_of,
    object_reconstruction,
)


def test_objects_are_numbered_first_property_most_significant() -> None:
    assert object_of(5, 2, 3) == (1, 2)
    assert index_of((1, 2), 3) == 5
    assert all(index_of(object_of(i, 3, 4), 4) == i for i in range(64))


def test_lewis_game_plays_and_pays_both_alike() -> None:
    game = lewis_game(properties=2, values=3, distractors=2, vocabulary=4, message_length=2)
    state = game.new_initial_state()
    assert isinstance(state, LewisState)
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(i, 1 / 9) for i in range(9)]
    state.apply_action(5)  # the target: (1, 2)
    assert [a for a, _ in state.chance_outcomes()] == [0, 1, 2, 3, 4, 6, 7, 8]
    state.apply_action(7)
    state.apply_action(0)
    assert state.candidates == ((0, 0), (1, 2), (2, 1))  # listed by index: 0, 5, 7
    assert state.target_position == 1
    assert state.current_player() == 0
    assert state.legal_actions() == [0, 1, 2, 3]  # no "end" before a word
    with pytest.raises(IllegalActionError):
        state.apply_action(4)
    state.apply_action(3)
    assert state.legal_actions() == [0, 1, 2, 3, 4]
    assert state.action_text(4) == "end message"
    state.apply_action(4)  # end: the listener moves after one word
    assert state.current_player() == 1
    assert state.information_state_key(1) == ("listen", state.candidates, (3, 4), ())
    assert "a1-b2" in state.observation_text(1) and "w3" in state.observation_text(1)
    right = state.clone()
    right.apply_action(1)
    assert right.current_player() == TERMINAL and right.returns() == [1.0, 1.0]
    state.apply_action(2)
    assert state.returns() == [0.0, 0.0]


def test_object_reconstruction_needs_every_property_right() -> None:
    game = object_reconstruction(properties=2, values=3, vocabulary=6, message_length=2)
    state = game.new_initial_state()
    assert isinstance(state, ReconstructionState)
    for value in (2, 1):
        assert state.chance_outcomes() == [(0, 1 / 3), (1, 1 / 3), (2, 1 / 3)]
        state.apply_action(value)
    assert state.target == (2, 1)
    state.apply_action(0)
    state.apply_action(5)
    assert state.current_player() == 1 and state.legal_actions() == [0, 1, 2]
    wrong = state.clone()
    state.apply_action(2)
    state.apply_action(1)
    assert state.returns() == [1.0, 1.0]
    wrong.apply_action(2)
    wrong.apply_action(0)
    assert wrong.returns() == [0.0, 0.0]


def test_default_games_keep_every_invariant() -> None:
    assert object_reconstruction().spec.num_distinct_actions == 60
    check_game(object_reconstruction(), n_games=20)
    check_game(lewis_game(), n_games=3, clone_every=5)


def test_bot_language_is_a_bijection_with_a_word_order() -> None:
    lang = BotLanguage(2, 2, 4, words=((2, 0), (1, 3)), order=(1, 0))
    assert lang.speak((1, 0)) == (1, 0)  # property 1 first: words[1][0], then words[0][1]
    assert lang.speak((0, 1)) == (3, 2)
    assert lang.understand((3, 2)) == (0, 1)
    assert lang.understand((2, 0)) is None  # property 0 said twice
    assert lang.understand((1,)) is None
    made = BotLanguage.generate(6, 10, 60, seed=3)
    assert sorted(w for row in made.words for w in row) == list(range(60))
    assert sorted(made.order) == list(range(6))
    assert made == BotLanguage.generate(6, 10, 60, seed=3)
    assert made != BotLanguage.generate(6, 10, 60, seed=4)
    for obj in [(0,) * 6, (9, 8, 7, 6, 5, 4), (3, 1, 4, 1, 5, 9)]:
        assert made.understand(made.speak(obj)) == obj
    with pytest.raises(InvalidParameterError, match="at least properties x values = 60"):
        BotLanguage.generate(6, 10, 59)


def test_continuous_pd_pays_the_bilinear_payoff() -> None:
    assert float(stage_payoff(0.5, 0.5)) == 2.25
    assert [float(stage_payoff(a, b)) for a, b in [(1, 1), (1, 0), (0, 1), (0, 0)]] == [3, 0, 5, 1]
    game = continuous_pd(rounds=2, levels=3)
    state = game.new_initial_state()
    assert state.current_player() == SIMULTANEOUS and state.legal_actions(0) == [0, 1, 2]
    assert state.action_text(1, 0) == "cooperate 0.5"
    state.apply_joint_action([1, 2])  # 0.5 against 1
    assert state.returns() == [4.0, 1.5]
    state.apply_joint_action([0, 0])
    assert state.returns() == [5.0, 2.5] and state.is_terminal()
    assert game.level_of(0.74) == 1 and game.level_of(0.76) == 2 and game.level_of(7) == 2
    assert (game.spec.min_utility, game.spec.max_utility) == (0.0, 10.0)


def test_bad_parameters_name_what_is_allowed() -> None:
    with pytest.raises(InvalidParameterError, match=r"values must be an integer in \[2,"):
        lewis_game(values=1)
    with pytest.raises(InvalidParameterError, match=r"vocabulary must be an integer in \[2,"):
        lewis_game(vocabulary=1)
    with pytest.raises(InvalidParameterError, match="at most 10000"):
        lewis_game(properties=6, values=10)
    with pytest.raises(InvalidParameterError, match=r"distractors must be an integer in \[1, 8\]"):
        lewis_game(properties=2, values=3, distractors=9)
    with pytest.raises(InvalidParameterError, match="T > R > P > S"):
        continuous_pd(T=2.0)
    with pytest.raises(InvalidParameterError, match=r"levels must be an integer in \[2,"):
        redqueen.make("continuous_pd", levels=1)
