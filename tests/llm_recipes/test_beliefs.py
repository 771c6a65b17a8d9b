"""Belief elicitation: parsing predictions, best responses, consistency and accuracy on
hand-made records with known answers."""

from __future__ import annotations

import math

import pytest

import redqueen
from redqueen.agents.llm.beliefs import (
    PREDICTION_QUESTION,
    BeliefRecord,
    belief_consistency,
    best_responses,
    opponent_moves,
    parse_prediction,
    prediction_accuracy,
    prediction_message,
)
from redqueen.agents.llm.prompts import legal_moves_in
from redqueen.errors import InvalidParameterError
from redqueen.games.core import SIMULTANEOUS, Step

PD = redqueen.make("prisoners_dilemma", R=8, S=0, T=10, P=5)
BOS = redqueen.make("battle_of_the_sexes", preferred=10, other=7, apart=0)


def test_prediction_message_lists_the_other_players_moves() -> None:
    moves = [name for _, name in opponent_moves(BOS, 0)]
    text = prediction_message("Round 3.", moves, "boxed")
    assert PREDICTION_QUESTION in text
    assert legal_moves_in(text) == ["Bach", "Stravinsky"]


def test_parse_prediction() -> None:
    moves = opponent_moves(PD, 1)
    assert [n for _, n in moves] == ["cooperate", "defect"]
    assert parse_prediction("They will defect. \\boxed{Defect}", "boxed", moves).action == 1
    assert parse_prediction("<answer>coop</answer>", "tags", moves).action == 0
    assert parse_prediction('{"move": "defect"}', "json", moves).action == 1
    bad = parse_prediction("I think cooperate", "boxed", moves)
    assert bad.action is None and bad.answer is None
    assert parse_prediction("\\boxed{maybe}", "boxed", moves).action is None
    # a reply is data: code in it is matched as text and never run
    assert parse_prediction("\\boxed{__import__('os')}", "boxed", moves).action is None


def test_best_responses() -> None:
    assert best_responses(PD, 0, 0) == {1} and best_responses(PD, 1, 1) == {1}
    assert best_responses(BOS, 0, 0) == {0} and best_responses(BOS, 0, 1) == {1}
    assert best_responses(BOS, 1, 0) == {0} and best_responses(BOS, 1, 1) == {1}
    tie = redqueen.make("matrix", payoffs=[[[1, 1], [1, 0]], [[0, 0], [0, 0]]])
    assert best_responses(tie, 0, 0) == {0, 1}
    repeated = redqueen.make("repeated", stage="battle_of_the_sexes", rounds=10)
    assert best_responses(repeated, 1, 1) == {1}
    with pytest.raises(InvalidParameterError, match="not an action"):
        best_responses(PD, 0, 2)
    with pytest.raises(InvalidParameterError, match="neither"):
        best_responses(redqueen.make("tic_tac_toe"), 0, 0)


RECORDS = [
    BeliefRecord(0, 0, prediction=0, prediction_text="Bach", action=0),  # consistent
    BeliefRecord(0, 1, prediction=1, prediction_text="Stravinsky", action=0),  # not
    BeliefRecord(0, 2, prediction=None, prediction_text=None, action=1),  # unparsed
    BeliefRecord(1, 0, prediction=1, prediction_text="Stravinsky", action=1),  # consistent
    BeliefRecord(1, 1, prediction=0, prediction_text="Bach", action=None),  # no action yet
]


def test_belief_consistency_known_answer() -> None:
    c = belief_consistency(BOS, RECORDS)
    assert (c.decisions, c.consistent, c.unparsed) == (3, 2, 1)
    assert c.fraction == pytest.approx(2 / 3)
    assert c.to_dict()["fraction"] == pytest.approx(2 / 3)
    assert math.isnan(belief_consistency(BOS, []).fraction)
    # in the prisoner's dilemma only defection is ever consistent
    pd = [BeliefRecord(0, k, p, None, a) for k, (p, a) in enumerate([(0, 1), (1, 1), (0, 0)])]
    assert belief_consistency(PD, pd).consistent == 2


def test_prediction_accuracy_known_answer() -> None:
    trajectory = [
        Step(SIMULTANEOUS, (0, 0)),
        Step(SIMULTANEOUS, (0, 1)),
        Step(SIMULTANEOUS, (1, 1)),
    ]
    records = [
        BeliefRecord(0, 0, 0, "Bach", 0),  # other played 0: hit
        BeliefRecord(0, 1, 0, "Bach", 0),  # other played 1: miss
        BeliefRecord(0, 2, None, None, 1),  # unparsed: left out
        BeliefRecord(1, 2, 1, "Stravinsky", 1),  # other (player 0) played 1: hit
    ]
    assert prediction_accuracy(records, trajectory) == pytest.approx(2 / 3)
    assert math.isnan(prediction_accuracy([], trajectory))


def test_record_round_trip() -> None:
    for r in RECORDS:
        assert BeliefRecord.from_dict(r.to_dict()) == r
