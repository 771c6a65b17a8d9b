"""play_match: seeded, repeatable, counts invalid moves, sync and async agree."""

from __future__ import annotations

import asyncio

import pytest
from toy_games import CoinGuessGame

import redqueen
from redqueen.agents import Agent, FirstLegalAgent, Observation, RandomAgent
from redqueen.errors import IllegalActionError, InvalidParameterError
from redqueen.games import CHANCE, SIMULTANEOUS
from redqueen.play import MatchResult, aplay_match, play_match


class AlwaysNine(Agent):
    """Answers 9 whatever the position: illegal in tic-tac-toe (cells are 0..8)."""

    name = "nine"

    def act(self, obs: Observation) -> int:
        return 9


class Recorder(Agent):
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[Observation] = []

    def act(self, obs: Observation) -> int:
        self.seen.append(obs)
        return obs.legal_actions[-1]


def test_same_seed_same_match_and_seeds_matter() -> None:
    game = redqueen.make("tic_tac_toe")
    a = play_match(game, [RandomAgent(), RandomAgent()], seed=5)
    b = play_match(game, [RandomAgent(), RandomAgent()], seed=5)
    assert a == b
    others = {
        play_match(game, [RandomAgent(), RandomAgent()], seed=s).trajectory for s in range(20)
    }
    assert len(others) > 15


def test_result_matches_replayed_trajectory() -> None:
    game = redqueen.make("kuhn_poker")
    result = play_match(game, [RandomAgent(), RandomAgent()], seed=3)
    state = game.new_initial_state()
    for step in result.trajectory:
        state.apply_action(step.action)  # type: ignore[arg-type]
    assert state.is_terminal()
    assert tuple(state.returns()) == result.returns
    assert result.length == len(result.trajectory)
    assert result.trajectory[0].player == CHANCE
    assert sum(result.returns) == 0


def test_invalid_moves_are_counted_and_replaced() -> None:
    game = redqueen.make("tic_tac_toe")
    result = play_match(game, [AlwaysNine(), FirstLegalAgent()], seed=0)
    seat0_moves = sum(1 for s in result.trajectory if s.player == 0)
    assert result.invalid_moves == (seat0_moves, 0)
    assert seat0_moves >= 3


def test_invalid_move_can_stop_the_match() -> None:
    game = redqueen.make("tic_tac_toe")
    with pytest.raises(IllegalActionError, match="legal: 0"):
        play_match(game, [AlwaysNine(), FirstLegalAgent()], seed=0, on_invalid="raise")
    with pytest.raises(InvalidParameterError, match="allowed: random, raise"):
        play_match(game, [FirstLegalAgent(), FirstLegalAgent()], on_invalid="ignore")  # type: ignore[arg-type]


def test_wrong_number_of_agents() -> None:
    with pytest.raises(InvalidParameterError, match="needs 2 agents"):
        play_match(redqueen.make("tic_tac_toe"), [RandomAgent()], seed=0)


def test_observation_contents() -> None:
    game = redqueen.make("tic_tac_toe")
    rec = Recorder()
    play_match(game, [rec, FirstLegalAgent()], seed=0)
    first, second = rec.seen[0], rec.seen[1]
    assert first.player == 0
    assert first.legal_actions == tuple(range(9))
    assert len(first.legal_action_texts) == 9
    assert first.state is not None  # perfect information: a copy for search agents
    assert first.history == ()
    assert second.history == ((first.text, 8),)
    # The copy is a copy: the agent cannot move the real game.
    first.state.apply_action(0)


def test_imperfect_information_hides_the_state() -> None:
    rec = Recorder()
    play_match(redqueen.make("kuhn_poker"), [rec, RandomAgent()], seed=1)
    assert rec.seen and all(o.state is None for o in rec.seen)


def test_simultaneous_and_chance_nodes() -> None:
    game = CoinGuessGame()
    result = play_match(game, [FirstLegalAgent(), Recorder()], seed=2)
    assert [s.player for s in result.trajectory] == [CHANCE, SIMULTANEOUS]
    assert result.trajectory[1].action == (0, 1)


def test_async_gives_the_same_result() -> None:
    game = redqueen.make("leduc_poker")
    for seed in range(5):
        sync = play_match(game, [RandomAgent(), RandomAgent()], seed=seed)
        concurrent = asyncio.run(aplay_match(game, [RandomAgent(), RandomAgent()], seed=seed))
        assert sync == concurrent


def test_result_round_trips_through_json_data() -> None:
    result = play_match(CoinGuessGame(), [RandomAgent(), RandomAgent()], seed=4)
    assert MatchResult.from_dict(result.to_dict()) == result
