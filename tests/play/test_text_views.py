"""Seats whose agents read no text get observations without the text views, and the
matches come out the same."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.agents.core import Agent, Observation
from redqueen.agents.random_agent import RandomAgent
from redqueen.agents.registry import parse_agent
from redqueen.errors import IllegalActionError
from redqueen.play.match import play_match


class _Recording(RandomAgent):
    reads_text = True

    def __init__(self) -> None:
        self.seen: list[Observation] = []

    def act(self, obs: Observation) -> int:
        self.seen.append(obs)
        return super().act(obs)


class _Lean(_Recording):
    reads_text = False


class _Wrong(Agent):
    reads_text = False

    def act(self, obs: Observation) -> int:
        return 99


@pytest.mark.parametrize(
    ("game_id", "params"),
    [
        ("tic_tac_toe", {}),
        ("kuhn_poker", {}),
        ("repeated", {"stage": "prisoners_dilemma", "rounds": 5}),
    ],
)
def test_lean_observations_give_the_same_match(game_id: str, params: dict) -> None:
    game = redqueen.make(game_id, **params)
    for seed in range(5):
        full, lean = [_Recording(), _Recording()], [_Lean(), _Lean()]
        a, b = play_match(game, full, seed=seed), play_match(game, lean, seed=seed)
        assert (a.returns, a.trajectory) == (b.returns, b.trajectory)
        for f, ln in zip(full, lean, strict=True):
            assert [o.legal_actions for o in f.seen] == [o.legal_actions for o in ln.seen]
            assert [o.information_state_key for o in f.seen] == [
                o.information_state_key for o in ln.seen
            ]
            assert all(o.text and len(o.legal_action_texts) == len(o.legal_actions) for o in f.seen)
            assert all(o.text == "" and o.legal_action_texts == () for o in ln.seen)


def test_classic_strategies_and_random_play_read_no_text() -> None:
    assert not parse_agent("strategy:name=tit_for_tat").reads_text
    assert not parse_agent("random").reads_text
    assert parse_agent("human").reads_text


def test_an_illegal_answer_from_a_lean_seat_still_names_the_moves() -> None:
    game = redqueen.make("tic_tac_toe")
    with pytest.raises(IllegalActionError, match="b2"):
        play_match(game, [_Wrong(), RandomAgent()], on_invalid="raise")
