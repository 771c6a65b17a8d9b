"""Repeated matrix games: exact scores, the noise and continuation chance models, the
information each player has, parameter errors, rebuilding, and the checker."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games import CHANCE, SIMULTANEOUS, TERMINAL, ChanceMode, UtilityKind, check_game
from redqueen.games.repeated import CONTINUE, STOP, RepeatedGame, RepeatedState

C, D = 0, 1


def make_repeated(**params: Any) -> RepeatedGame:
    """``redqueen.make("repeated", ...)`` through the registry, typed."""
    game = redqueen.make("repeated", **params)
    assert isinstance(game, RepeatedGame)
    return game


def play_fixed(game: RepeatedGame, moves: tuple[int, int]) -> RepeatedState:
    """Both players repeat ``moves``; chance (if any) takes its first outcome."""
    state = game.new_initial_state()
    while not state.is_terminal():
        if state.is_chance_node():
            state.apply_action(state.chance_outcomes()[0][0])
        else:
            state.apply_joint_action(list(moves))
    return state


def sample_length(game: RepeatedGame, rng: np.random.Generator) -> int:
    state = game.new_initial_state()
    while not state.is_terminal():
        if state.is_chance_node():
            outcomes = state.chance_outcomes()
            i = rng.choice(len(outcomes), p=[p for _, p in outcomes])
            state.apply_action(outcomes[i][0])
        else:
            state.apply_joint_action([C, C])
    return state.rounds_played


# ---- scores -----------------------------------------------------------------------------


def test_always_cooperate_scores_600_each_over_200_rounds() -> None:
    game = redqueen.make("repeated", stage="prisoners_dilemma", rounds=200, noise=0.0)
    assert isinstance(game, RepeatedGame)
    state = play_fixed(game, (C, C))
    assert state.returns() == [600.0, 600.0]
    assert state.rounds() == [(C, C)] * 200
    assert state.move_number == 200
    assert game.spec.chance == ChanceMode.NONE


def test_always_defect_against_always_cooperate_scores_1000_to_0() -> None:
    game = make_repeated(stage="prisoners_dilemma", rounds=200, noise=0.0)
    state = play_fixed(game, (D, C))
    assert state.returns() == [1000.0, 0.0]
    state = play_fixed(game, (C, D))
    assert state.returns() == [0.0, 1000.0]


def test_returns_are_the_running_sum_of_stage_payoffs() -> None:
    game = make_repeated(rounds=4)
    state = game.new_initial_state()
    expected = [0.0, 0.0]
    pd = {(C, C): (3, 3), (C, D): (0, 5), (D, C): (5, 0), (D, D): (1, 1)}
    for joint in [(C, C), (C, D), (D, D), (D, C)]:
        assert state.returns() == expected
        assert state.current_player() == SIMULTANEOUS
        state.apply_joint_action(list(joint))
        expected = [expected[0] + pd[joint][0], expected[1] + pd[joint][1]]
    assert state.current_player() == TERMINAL
    assert state.returns() == [9.0, 9.0]
    assert state.rounds() == [(C, C), (C, D), (D, D), (D, C)]
    assert state.intended() == state.rounds()


def test_default_is_200_rounds_of_axelrods_prisoners_dilemma() -> None:
    game = make_repeated()
    assert game.params == {
        "stage": "prisoners_dilemma",
        "stage_params": {"R": 3, "S": 0, "T": 5, "P": 1},
        "rounds": 200,
        "max_rounds": 1000,
        "noise": 0.0,
    }
    assert game.spec.max_game_length == 200
    assert (game.spec.min_utility, game.spec.max_utility) == (0.0, 1000.0)


def test_stage_from_payoffs_and_other_presets() -> None:
    game = make_repeated(payoffs=[[[2, 0], [0, 1]], [[1, 0], [0, 2]]], rounds=3)
    assert game.params["stage"] == "matrix"
    state = play_fixed(game, (0, 0))
    assert state.returns() == [6.0, 3.0]
    rps = make_repeated(stage="rock_paper_scissors", rounds=5)
    assert play_fixed(rps, (1, 0)).returns() == [5.0, -5.0]
    pd = make_repeated(stage_params={"T": 10}, rounds=2)
    assert play_fixed(pd, (D, C)).returns() == [20.0, 0.0]


# ---- utility kinds and bounds -----------------------------------------------------------


def test_utility_kind_follows_the_stage_game() -> None:
    fixed = make_repeated(stage="matching_pennies", rounds=10)
    assert fixed.spec.utility == UtilityKind.ZERO_SUM and fixed.spec.utility_sum == 0
    assert (fixed.spec.min_utility, fixed.spec.max_utility) == (-10.0, 10.0)
    cont = make_repeated(stage="matching_pennies", continuation=0.5, max_rounds=8)
    assert cont.spec.utility == UtilityKind.ZERO_SUM and cont.spec.utility_sum == 0
    assert (cont.spec.min_utility, cont.spec.max_utility) == (-8.0, 8.0)

    constant = [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]  # A + B = 1 everywhere
    fixed_c = make_repeated(payoffs=constant, rounds=10)
    assert fixed_c.spec.utility == UtilityKind.CONSTANT_SUM
    assert fixed_c.spec.utility_sum == 10.0
    cont_c = make_repeated(payoffs=constant, continuation=0.9)
    assert cont_c.spec.utility == UtilityKind.GENERAL_SUM  # 1 per round, random rounds
    assert cont_c.spec.utility_sum is None
    assert (cont_c.spec.min_utility, cont_c.spec.max_utility) == (0.0, 1000.0)

    pd = make_repeated(continuation=0.9, max_rounds=50)
    assert pd.spec.utility == UtilityKind.GENERAL_SUM
    assert (pd.spec.min_utility, pd.spec.max_utility) == (0.0, 250.0)
    chicken = make_repeated(stage="chicken", continuation=0.9, max_rounds=50)
    # one round can pay +1 at most, 50 rounds -1000 each at worst
    assert (chicken.spec.min_utility, chicken.spec.max_utility) == (-50000.0, 50.0)


def test_spec_lengths_and_chance() -> None:
    both = make_repeated(continuation=0.9, max_rounds=10, noise=0.1)
    assert both.spec.chance == ChanceMode.EXPLICIT
    assert both.spec.max_game_length == 10 * 3 - 1  # no continuation node after round 10
    assert both.spec.max_chance_outcomes == 4
    noisy = make_repeated(rounds=7, noise=0.1)
    assert noisy.spec.max_game_length == 14
    assert noisy.spec.chance == ChanceMode.EXPLICIT
    rps = make_repeated(stage="rock_paper_scissors", rounds=3, noise=0.1)
    assert rps.spec.max_chance_outcomes == 9


# ---- noise ------------------------------------------------------------------------------


@pytest.mark.parametrize("eps", [0.05, 0.1, 0.3])
def test_noise_outcome_probabilities_are_exact(eps: float) -> None:
    game = make_repeated(rounds=1, noise=eps)
    state = game.new_initial_state()
    state.apply_joint_action([C, D])
    assert state.current_player() == CHANCE
    # outcome id = executed row action * 2 + executed column action
    assert dict(state.chance_outcomes()) == {
        0 * 2 + 1: (1 - eps) * (1 - eps),  # (C, D): nothing flipped
        1 * 2 + 1: eps * (1 - eps),  # (D, D): the row player's move flipped
        0 * 2 + 0: (1 - eps) * eps,  # (C, C): the column player's move flipped
        1 * 2 + 0: eps * eps,  # (D, C): both flipped
    }
    assert math.fsum(p for _, p in state.chance_outcomes()) == pytest.approx(1.0, abs=1e-15)
    texts = {a: state.action_text(a, CHANCE) for a, _ in state.chance_outcomes()}
    assert texts[1] == "no move replaced"
    assert texts[3] == "player 0's cooperate becomes defect"
    assert texts[2] == "player 0's cooperate becomes defect; player 1's defect becomes cooperate"
    assert state.parse_action("no move replaced", CHANCE) == 1


def test_noise_with_three_actions_picks_a_uniform_other_action() -> None:
    eps = 0.3
    game = make_repeated(stage="rock_paper_scissors", rounds=1, noise=eps)
    state = game.new_initial_state()
    state.apply_joint_action([0, 2])
    probs = dict(state.chance_outcomes())
    for e0 in range(3):
        for e1 in range(3):
            q0 = 1 - eps if e0 == 0 else eps / 2
            q1 = 1 - eps if e1 == 2 else eps / 2
            assert probs[e0 * 3 + e1] == pytest.approx(q0 * q1, rel=1e-15)


def test_noise_changes_the_payoffs_and_what_each_player_knows() -> None:
    game = make_repeated(rounds=3, noise=0.1)
    flipped = game.new_initial_state()
    flipped.apply_joint_action([C, C])
    flipped.apply_action(1 * 2 + 0)  # the row player's cooperate comes out as defect
    assert flipped.returns() == [5.0, 0.0]
    assert flipped.rounds() == [(D, C)]
    assert flipped.intended() == [(C, C)]

    deliberate = game.new_initial_state()
    deliberate.apply_joint_action([D, C])
    deliberate.apply_action(1 * 2 + 0)  # nothing replaced
    assert deliberate.rounds() == [(D, C)]
    # The column player cannot tell a flipped move from a deliberate one; the row player can.
    assert flipped.information_state_key(1) == deliberate.information_state_key(1)
    assert flipped.information_state_key(0) != deliberate.information_state_key(0)
    assert flipped.observation_text(1) == deliberate.observation_text(1)
    assert "you defect (you chose cooperate; noise replaced it), they cooperate" in (
        flipped.observation_text(0)
    )
    assert "noise replaced" not in deliberate.observation_text(0)


def test_pending_moves_are_private_at_the_noise_node() -> None:
    game = make_repeated(rounds=2, noise=0.2)
    a, b = game.new_initial_state(), game.new_initial_state()
    a.apply_joint_action([C, C])
    b.apply_joint_action([C, D])
    assert a.information_state_key(0) == b.information_state_key(0)
    assert a.information_state_key(1) != b.information_state_key(1)
    assert "you chose cooperate" in a.observation_text(0)
    assert a.observation_text(0) == b.observation_text(0)


# ---- continuation -----------------------------------------------------------------------


def expected_rounds_by_enumeration(game: RepeatedGame) -> float:
    """Sum over k of P(round k is played), walking the chance nodes' probabilities."""
    state = game.new_initial_state()
    reach, expected = 1.0, 0.0
    while not state.is_terminal():
        if state.current_player() == SIMULTANEOUS:
            expected += reach
            state.apply_joint_action([C, C])
        else:
            outcomes = dict(state.chance_outcomes())
            assert set(outcomes) == {CONTINUE, STOP}
            assert outcomes[STOP] == pytest.approx(1 - outcomes[CONTINUE], abs=1e-15)
            reach *= outcomes[CONTINUE]
            state.apply_action(CONTINUE)
    return expected


@pytest.mark.parametrize("p", [0.5, 0.9, 0.99])
def test_expected_number_of_rounds_is_one_over_one_minus_p(p: float) -> None:
    game = make_repeated(continuation=p, max_rounds=5000)
    exact = expected_rounds_by_enumeration(game)
    # capped at max_rounds: (1 - p**M) / (1 - p); p**5000 is below 1e-21 for p <= 0.99
    assert exact == pytest.approx((1 - p**5000) / (1 - p), rel=1e-9)
    assert exact == pytest.approx(1 / (1 - p), rel=1e-9)
    assert game.expected_rounds() == pytest.approx(exact, rel=1e-12)


def test_max_rounds_caps_the_game_and_the_expectation() -> None:
    game = make_repeated(continuation=0.5, max_rounds=3)
    assert expected_rounds_by_enumeration(game) == pytest.approx(1 + 0.5 + 0.25, abs=1e-15)
    state = game.new_initial_state()
    for _ in range(2):
        state.apply_joint_action([C, C])
        assert state.current_player() == CHANCE
        assert state.action_text(CONTINUE, CHANCE) == "continue"
        state.apply_action(CONTINUE)
    state.apply_joint_action([C, C])
    assert state.is_terminal()  # no chance node after the last allowed round
    assert state.returns() == [9.0, 9.0]


def test_stop_ends_the_game() -> None:
    game = make_repeated(continuation=0.9)
    state = game.new_initial_state()
    state.apply_joint_action([D, D])
    state.apply_action(state.parse_action("stop", CHANCE))
    assert state.is_terminal()
    assert state.returns() == [1.0, 1.0]


def test_sampled_lengths_match_the_geometric_mean() -> None:
    # p = 0.75: mean 4, variance p / (1 - p)^2 = 12, so the mean of 4000 samples has
    # standard error sqrt(12 / 4000) = 0.055; 0.3 is more than five standard errors.
    game = make_repeated(continuation=0.75)
    rng = np.random.default_rng(1234)
    lengths = [sample_length(game, rng) for _ in range(4000)]
    assert abs(np.mean(lengths) - 4.0) < 0.3
    assert min(lengths) == 1


# ---- texts ------------------------------------------------------------------------------


def test_observation_text_shows_round_rules_history_and_totals() -> None:
    game = make_repeated(rounds=200)
    state = game.new_initial_state()
    state.apply_joint_action([C, D])
    state.apply_joint_action([D, D])
    text = state.observation_text(1)
    assert "This is round 3 of 200." in text
    assert "you defect, they cooperate: you get 5, they get 0" in text  # the rules line
    assert "round 1: you defect, they cooperate -> you 5, they 0" in text
    assert "round 2: you defect, they defect -> you 1, they 1" in text
    assert "Totals: you 6, they 1." in text
    assert "Choose your move for round 3: cooperate, defect." in text
    mirror = state.observation_text(0)
    assert "round 1: you cooperate, they defect -> you 0, they 5" in mirror


def test_history_text_is_built_once_per_round() -> None:
    game = make_repeated(rounds=5)
    state = game.new_initial_state()
    state.apply_joint_action([C, C])
    first = state.observation_text(0)
    twin = state.clone()
    state.apply_joint_action([D, C])
    assert "round 2: you defect" in state.observation_text(0)
    assert twin.observation_text(0) == first  # the clone's cached lines are its own
    assert "round 2: you" not in twin.observation_text(0)


def test_rules_text_is_complete() -> None:
    game = make_repeated(continuation=0.9, max_rounds=100, noise=0.05)
    rules = game.rules_text()
    assert "cooperate | 3, 3" in rules
    assert "probability 0.9" in rules and "100 rounds at the latest" in rules
    assert "replaced by the other move with probability 0.05" in rules
    assert "sum of its stage payoffs" in rules
    assert "exactly 200 rounds" in make_repeated().rules_text()
    rps = make_repeated(stage="rock_paper_scissors", noise=0.1).rules_text()
    assert "a different move chosen uniformly at random" in rps


# ---- clone, rebuild, errors -------------------------------------------------------------


def test_clone_is_independent() -> None:
    game = make_repeated(rounds=10, noise=0.1)
    state = game.new_initial_state()
    state.apply_joint_action([C, D])
    twin = state.clone()
    twin.apply_action(1 * 2 + 0)  # both moves flipped: (C, D) comes out as (D, C)
    twin.apply_joint_action([D, D])
    assert state.current_player() == CHANCE and state.rounds() == []
    assert twin.rounds() == [(D, C)] and twin.returns() == [5.0, 0.0]
    assert len(twin.history()) == 3 and len(state.history()) == 1


REBUILD: list[dict[str, Any]] = [
    {},
    {"stage": "stag_hunt", "rounds": 10, "noise": 0.01},
    {"stage": "ordinal_2x2", "stage_params": {"index": 17}, "continuation": 0.95},
    {"payoffs": [[1, -1], [-1, 1]], "continuation": 0.5, "max_rounds": 20, "noise": 0.2},
]


@pytest.mark.parametrize("params", REBUILD)
def test_spec_params_rebuild_an_equal_game(params: dict[str, Any]) -> None:
    game = make_repeated(**params)
    twin = redqueen.make(game.spec.id, **json.loads(json.dumps(game.spec.params)))
    assert twin == game and twin.spec == game.spec and hash(twin) == hash(game)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"rounds": 10, "continuation": 0.5}, InvalidParameterError, "not both"),
        ({"continuation": 0.0}, InvalidParameterError, "strictly between 0 and 1"),
        ({"continuation": 1.0}, InvalidParameterError, "strictly between 0 and 1"),
        ({"continuation": 1.5}, InvalidParameterError, "strictly between 0 and 1"),
        ({"continuation": "high"}, InvalidParameterError, "must be a number"),
        ({"noise": -0.1}, InvalidParameterError, r"noise must be in \[0, 1\)"),
        ({"noise": 1.0}, InvalidParameterError, r"noise must be in \[0, 1\)"),
        ({"noise": float("nan")}, InvalidParameterError, "NaN"),
        ({"rounds": 0}, InvalidParameterError, "rounds must be an integer >= 1"),
        ({"rounds": 2.5}, InvalidParameterError, "rounds must be an integer >= 1"),
        ({"rounds": True}, InvalidParameterError, "rounds must be an integer >= 1"),
        ({"rounds": 2000}, InvalidParameterError, "exceeds max_rounds=1000"),
        ({"max_rounds": 0}, InvalidParameterError, "max_rounds must be an integer >= 1"),
        ({"stage": "poker"}, UnknownNameError, "prisoners_dilemma"),
        ({"stage": "repeated"}, InvalidParameterError, "not a matrix game"),
        ({"stage": "chicken", "payoffs": [[1]]}, InvalidParameterError, "not both"),
        ({"stage_params": {"Q": 1}}, UnknownNameError, "R=3"),
        ({"stage_params": {"T": 1}}, InvalidParameterError, "T > R > P > S"),
        ({"stage_params": [1, 2]}, InvalidParameterError, "dict"),
        ({"payoffs": [[1, 2], [3]]}, InvalidParameterError, "ragged"),
    ],
)
def test_bad_parameters_give_clear_errors(
    params: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make_repeated(**params)


def test_unknown_stage_lists_the_matrix_games() -> None:
    with pytest.raises(UnknownNameError) as info:
        make_repeated(stage="go")
    for game_id in ("matrix", "prisoners_dilemma", "rock_paper_scissors", "ordinal_2x2"):
        assert game_id in str(info.value)


# ---- the checker ------------------------------------------------------------------------

CHECKED: list[tuple[dict[str, Any], int, int]] = [
    ({"rounds": 30}, 15, 7),
    ({"continuation": 0.8}, 60, 3),
    ({"rounds": 20, "noise": 0.1}, 15, 7),
    ({"continuation": 0.8, "noise": 0.1}, 40, 3),
    ({"stage": "rock_paper_scissors", "continuation": 0.7, "noise": 0.2}, 40, 3),
    ({"payoffs": [[[1, 2], [3, 4], [5, 6]], [[0, 1], [1, 0], [2, 2]]], "rounds": 6}, 40, 3),
]


@pytest.mark.parametrize(("params", "n_games", "clone_every"), CHECKED)
def test_check_game(params: dict[str, Any], n_games: int, clone_every: int) -> None:
    game = make_repeated(**params)
    report = check_game(game, n_games=n_games, clone_every=clone_every)
    assert report.max_length_seen <= game.spec.max_game_length


# ---- cross-check against OpenSpiel ------------------------------------------------------


@pytest.mark.parametrize(
    ("theirs", "stage", "stage_params"),
    [
        ("matrix_pd", "prisoners_dilemma", {"R": 5, "S": 0, "T": 10, "P": 1}),
        ("matrix_rps", "rock_paper_scissors", {}),
    ],
)
def test_returns_match_open_spiel_repeated_game(
    theirs: str, stage: str, stage_params: dict[str, Any]
) -> None:
    pyspiel = pytest.importorskip(
        "pyspiel", reason="open_spiel not installed: pip install -e .[test]"
    )
    rounds = 25
    reference = pyspiel.load_game(f"repeated_game(stage_game={theirs}(),num_repetitions={rounds})")
    game = make_repeated(stage=stage, stage_params=stage_params, rounds=rounds)
    rng = np.random.default_rng(7)
    for _ in range(20):
        ours, ref = game.new_initial_state(), reference.new_initial_state()
        while not ours.is_terminal():
            joint = [int(rng.integers(len(ours.legal_actions(p)))) for p in (0, 1)]
            ours.apply_joint_action(joint)
            ref.apply_actions(joint)
            assert ours.returns() == pytest.approx(list(ref.returns()), abs=1e-12)
        assert ref.is_terminal()
