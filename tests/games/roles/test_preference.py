"""The preference game (SPPO): matrices from each source checked by hand, constant-sum
returns, validation errors, the text view and the reply parser, the tensor layout."""

from __future__ import annotations

import math

import numpy as np
import pytest

import redqueen
from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    UnknownNameError,
)
from redqueen.games import check_game
from redqueen.games.core import CHANCE, SIMULTANEOUS, TERMINAL, ChanceMode, UtilityKind
from redqueen.games.roles.preference import (
    PreferenceGame,
    check_preference_matrix,
    preference_game,
    preference_matrix,
)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


RPS = [[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]]


# ---- the game ---------------------------------------------------------------------------


def test_default_game_is_a_symmetric_constant_sum_game() -> None:
    game = redqueen.make("preference_game")
    assert isinstance(game, PreferenceGame)
    spec = game.spec
    assert (spec.num_players, spec.num_distinct_actions, spec.max_game_length) == (2, 5, 1)
    assert spec.utility == UtilityKind.CONSTANT_SUM and spec.utility_sum == 1.0
    assert spec.chance == ChanceMode.NONE
    p = game.preference()
    for i in range(5):
        for j in range(5):
            state = game.new_initial_state()
            assert state.current_player() == SIMULTANEOUS
            state.apply_joint_action([i, j])
            assert state.current_player() == TERMINAL
            assert state.returns() == [p[i, j], 1.0 - p[i, j]]
            assert state.returns()[1] == pytest.approx(p[j, i], abs=1e-15)
    assert spec.min_utility == p.min() and spec.max_utility == p.max()
    assert check_game(game, n_games=200).games_played == 200


def test_several_prompts_start_with_a_uniform_chance_node() -> None:
    game = preference_game(prompts=["Say hi.", "Say bye.", "Count to 3."], seed=4)
    assert game.spec.chance == ChanceMode.EXPLICIT and game.spec.max_game_length == 2
    state = game.new_initial_state()
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(0, 1 / 3), (1, 1 / 3), (2, 1 / 3)]
    assert "about to be drawn" in state.observation_text(0)
    state.apply_action(2)
    state.apply_joint_action([1, 3])
    # prompt k uses seed + k
    assert np.array_equal(game.preference(2), preference_matrix(5, seed=6))
    assert state.returns()[0] == preference_matrix(5, seed=6)[1, 3]
    assert check_game(game, n_games=200).states_visited == 600


def test_generated_matrix_by_hand() -> None:
    # m = 4: response i beats i + 1 around the circle; i and i + 2 are opposite (C = 0).
    p = preference_matrix(4, cycle_strength=2.0, bt_scores=[0.0, 0.5, 1.0, 0.0])
    assert p[0, 1] == pytest.approx(sigmoid(0.0 - 0.5 + 2.0), abs=1e-15)
    assert p[0, 2] == pytest.approx(sigmoid(0.0 - 1.0), abs=1e-15)
    assert p[0, 3] == pytest.approx(sigmoid(0.0 - 0.0 - 2.0), abs=1e-15)
    assert p[1, 2] == pytest.approx(sigmoid(0.5 - 1.0 + 2.0), abs=1e-15)
    assert p[2, 3] == pytest.approx(sigmoid(1.0 - 0.0 + 2.0), abs=1e-15)
    assert p[3, 1] == pytest.approx(sigmoid(0.0 - 0.5), abs=1e-15)
    assert np.all(p + p.T == 1.0) and np.all(np.diag(p) == 0.5)
    # m = 3, no Bradley-Terry part: a soft rock-paper-scissors
    rps = preference_matrix(3, cycle_strength=1.0, bt_scores=[0, 0, 0])
    assert rps[0, 1] == rps[1, 2] == rps[2, 0] == pytest.approx(sigmoid(1.0), abs=1e-15)
    # the seed only draws the scores when none are given
    drawn = np.random.default_rng(7).standard_normal(5)
    assert np.array_equal(preference_matrix(5, seed=7), preference_matrix(5, bt_scores=drawn))
    assert not np.array_equal(preference_matrix(5, seed=7), preference_matrix(5, seed=8))


def test_scores_give_bradley_terry_preferences() -> None:
    game = preference_game(scores=[0.0, math.log(3.0), math.log(3.0) - math.log(2.0)])
    p = game.preference()
    assert p[1, 0] == pytest.approx(0.75, abs=1e-15)
    assert p[0, 1] == pytest.approx(0.25, abs=1e-15)
    assert p[1, 2] == pytest.approx(2 / 3, abs=1e-15)
    assert p[2, 0] == pytest.approx(0.6, abs=1e-15)
    assert game.source == "scores"
    again = redqueen.make(game.spec.id, **game.spec.params)
    assert np.array_equal(again.preference(), p)


def test_judge_is_called_on_both_orders_and_debiased() -> None:
    calls: list[tuple[str, str, str]] = []

    def longer_wins_with_position_bias(prompt: str, a: str, b: str) -> float:
        calls.append((prompt, a, b))
        return 0.9 if len(a) > len(b) else 0.3  # the first position gets +0.1

    texts = ["hi", "hello", "hello there"]
    game = preference_game(
        judge=longer_wins_with_position_bias, prompts=["Greet me."], responses=texts
    )
    assert len(calls) == 6 and all(c[0] == "Greet me." for c in calls)
    p = game.preference()
    # P(longer > shorter) = (0.9 + 1 - 0.3) / 2 = 0.8
    assert p[1, 0] == pytest.approx(0.8) and p[2, 0] == pytest.approx(0.8)
    assert p[0, 2] == pytest.approx(0.2) and np.all(np.diag(p) == 0.5)
    # the spec records the matrix, so the game rebuilds without the judge
    again = redqueen.make(game.spec.id, **game.spec.params)
    assert np.array_equal(again.preference(), p) and again.responses == game.responses
    assert "Response C: hello there" in again.new_initial_state().observation_text(1)


def test_judge_errors_name_the_pair() -> None:
    with pytest.raises(InvalidParameterError, match=r"response A, response B.*returned 1.5"):
        preference_game(judge=lambda x, a, b: 1.5, responses=["x", "y"])
    with pytest.raises(InvalidParameterError, match="must return a probability"):
        preference_game(judge=lambda x, a, b: "A", responses=["x", "y"])
    with pytest.raises(InvalidParameterError, match="give responses"):
        preference_game(judge=lambda x, a, b: 0.5)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"matrix": [[0.5, 0.7], [0.3, 0.5], [0.1, 0.2]]}, r"shape \(3, 2\)"),
        ({"matrix": [[0.5, 1.2], [-0.2, 0.5]]}, r"matrix\[0\]\[1\] is 1.2.*\[0, 1\]"),
        ({"matrix": [[0.4, 0.6], [0.4, 0.6]]}, r"matrix\[0\]\[0\] is 0.4.*diagonal must be 0.5"),
        ({"matrix": [[0.5, 0.7], [0.4, 0.5]]}, r"matrix\[0\]\[1\] \+ matrix\[1\]\[0\].*must be 1"),
        ({"matrix": [[0.5, float("nan")], [0.5, 0.5]]}, r"matrix\[0\]\[1\] is nan"),
        ({"matrix": [[0.5, 0.5], [0.5]]}, "ragged"),
        ({"matrix": [[0.5]]}, "from 2 to 26 responses"),
        ({"matrix": [["a", "b"], ["c", "d"]]}, "real numbers"),
        (
            {"matrix": [[[0.5, 0.6], [0.4, 0.5]], [[0.5, 0.2], [0.7, 0.5]]]},
            r"matrix\[1\]\[0\]\[1\]",
        ),
        ({"matrix": RPS, "scores": [1, 2, 3]}, "not matrix and scores"),
        ({"matrix": RPS, "cycle_strength": 3.0}, "generated matrix only"),
        ({"scores": [1, 2, 3], "seed": 2}, "generated matrix only"),
        ({"matrix": RPS, "num_responses": 4}, "gives 3 responses"),
        ({"matrix": RPS, "prompts": ["a", "b"]}, "lists 2 prompts but the matrix gives 1"),
        ({"matrix": RPS, "responses": ["x", "y"]}, "must list 3 texts"),
        ({"num_responses": 27}, r"num_responses must be an integer in \[2, 26\]"),
        ({"bt_scores": [1.0, 2.0]}, "bt_scores must be 5 numbers"),
        ({"cycle_strength": -1.0}, r"cycle_strength must be a number in \[0, 1000\]"),
        ({"scores": [[1.0, 2.0], [1.0, 2.0, 3.0]]}, "ragged"),
        ({"prompts": "one prompt"}, "prompts must be a list of strings"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_parameters_are_refused_with_what_is_allowed(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        preference_game(**kwargs)


def test_matrix_checks_and_unknown_parameters() -> None:
    p = check_preference_matrix(np.array(RPS))
    assert p.tolist() == RPS
    near = [[0.5, 0.7 + 1e-12], [0.3, 0.5]]
    assert check_preference_matrix(near)[1, 0] == 1.0 - check_preference_matrix(near)[0, 1]
    with pytest.raises(UnknownNameError, match=r"allowed: .*cycle_strength="):
        redqueen.make("preference_game", cycle=1.0)


def test_rebuild_from_spec_for_each_source() -> None:
    games = [
        redqueen.make("preference_game"),
        preference_game(num_responses=3, cycle_strength=1.0, bt_scores=[0, 1, 2], seed=0),
        preference_game(matrix=[RPS, RPS], prompts=["p", "q"], responses=["r", "p", "s"]),
        preference_game(scores=[[0, 1], [1, 0]]),
    ]
    for game in games:
        again = redqueen.make(game.spec.id, **game.spec.params)
        assert again.spec == game.spec and again == game
        assert again.rules_text() == game.rules_text()


# ---- text -------------------------------------------------------------------------------


def test_observation_text_shows_the_prompt_responses_and_table() -> None:
    game = preference_game(
        matrix=RPS, prompts=["Pick a move."], responses=["rock", "paper", "scissors"]
    )
    state = game.new_initial_state()
    text = state.observation_text(0)
    assert "You are player 0" in text and "Prompt: Pick a move." in text
    assert "Response B: paper" in text
    assert "  A 0.500 0.000 1.000" in text and "  C 0.000 1.000 0.500" in text
    assert state.observation_text(1).replace("player 1; the other is player 0", "") == text.replace(
        "player 0; the other is player 1", ""
    )
    state.apply_joint_action([1, 0])
    assert "you chose Response B, the other player chose Response A; you got 1, they got 0" in (
        state.observation_text(0)
    )
    assert "you chose Response A, the other player chose Response B; you got 0, they got 1" in (
        state.observation_text(1)
    )


@pytest.mark.parametrize(
    ("reply", "action"),
    [
        ("Response C", 2),
        ("response b", 1),
        ("c", 2),
        ("**B**", 1),
        ("[A]", 0),
        ("(C).", 2),
        ("2", 2),  # a bare action id
        ("I choose Response D.", 3),
        ("My answer: E", 4),
        ("Response A looks weak, so my final choice is B", 1),
        ("After comparing Response A with Response E I pick Response E.", 4),
        ("Response D is the one.", 3),
        ("I first chose A, but my final answer is C", 2),
        ("paper", 1),
        ("  Scissors ", 2),
    ],
)
def test_parse_action_reads_replies(reply: str, action: int) -> None:
    game = preference_game(
        scores=[0, 1, 2, 3, 4], responses=["rock", "paper", "scissors", "lizard", "spock"]
    )
    state = game.new_initial_state()
    assert state.parse_action(reply, 0) == action
    assert state.parse_action(reply, 1) == action


@pytest.mark.parametrize(
    "reply",
    ["", "Response F", "f", "Response A or Response B", "pick a response", "banana", "Response"],
)
def test_unreadable_replies_raise_and_change_nothing(reply: str) -> None:
    game = preference_game(scores=[0, 1, 2, 3, 4])
    state = game.new_initial_state()
    with pytest.raises(ParseActionError, match="legal moves: 'Response A'"):
        state.parse_action(reply, 0)
    assert state.current_player() == SIMULTANEOUS and state.history() == []


def test_long_replies_are_cut_in_the_error() -> None:
    state = preference_game().new_initial_state()
    with pytest.raises(ParseActionError) as info:
        state.parse_action("x" * 100_000, 0)
    assert len(str(info.value)) < 600
    assert state.parse_action("I choose Response B" + " ok" * 3000, 0) == 1


def test_illegal_actions_raise() -> None:
    state = preference_game(matrix=RPS).new_initial_state()
    with pytest.raises(IllegalActionError, match=r"legal: 0 \(Response A\), 1"):
        state.apply_joint_action([0, 3])
    assert state.current_player() == SIMULTANEOUS


# ---- tensor -----------------------------------------------------------------------------


def test_information_state_tensor_layout() -> None:
    game = preference_game(matrix=[RPS, RPS])
    assert game.information_state_tensor_shape() == (2 + 2 + 3 + 3,)
    state = game.new_initial_state()
    assert state.information_state_tensor(1).tolist() == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    state.apply_action(1)
    assert state.information_state_key(0) == (1,)
    assert state.information_state_tensor(0).tolist() == [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    state.apply_joint_action([2, 0])
    assert state.information_state_key(1) == (1, 2, 0)
    assert state.information_state_tensor(1).tolist() == [0, 1, 0, 1, 0, 0, 1, 1, 0, 0]
