"""MinimaxAgent: known game values, forced wins and blocks in hand-built positions, play
against itself and against random, depth-adjusted scores, and its errors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

import redqueen
from redqueen.agents import Agent, AgentSpec, Observation, RandomAgent
from redqueen.agents.minimax import HEURISTICS, WIN_SCORE, MinimaxAgent, line_count_heuristic
from redqueen.agents.registry import agent_from_spec, make_agent, parse_agent
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games import Game, State


def observe(state: State, rng: np.random.Generator) -> Observation:
    """The observation a match runner hands the player to move (with the state copy that
    perfect-information games give)."""
    player = state.current_player()
    legal = tuple(state.legal_actions())
    return Observation(
        game=state.game,
        player=player,
        legal_actions=legal,
        legal_action_texts=tuple(state.action_text(a) for a in legal),
        text=state.observation_text(player),
        information_state_key=state.information_state_key(player),
        history=(),
        rng=rng,
        state=state.clone() if state.game.spec.perfect_information else None,
    )


def play(game: Game, agents: Sequence[Agent], seed: int) -> list[float]:
    """Play one game to the end; each seat draws from its own seeded Generator."""
    rngs = [np.random.default_rng([seed, seat]) for seat in range(len(agents))]
    for agent in agents:
        agent.reset()
    state = game.new_initial_state()
    while not state.is_terminal():
        player = state.current_player()
        state.apply_action(agents[player].act(observe(state, rngs[player])))
    return state.returns()


def position(game_id: str, moves: list[int]) -> State:
    state = redqueen.make(game_id).new_initial_state()
    for move in moves:
        state.apply_action(move)
    return state


# ---- values ---------------------------------------------------------------------------


def test_tic_tac_toe_is_a_draw_with_perfect_play_from_every_opening() -> None:
    result = MinimaxAgent().search(position("tic_tac_toe", []))
    assert result.score == 0.0
    assert not result.proven
    # Every first move keeps the draw (a known property of the game).
    assert result.best_actions == tuple(range(9))
    assert result.scores == dict.fromkeys(range(9), 0.0)


def test_search_leaves_the_state_unchanged() -> None:
    state = position("tic_tac_toe", [4])
    MinimaxAgent().search(state)
    assert state.history() == position("tic_tac_toe", [4]).history()
    assert state.current_player() == 1


def test_prefers_the_faster_win() -> None:
    # x: a1, b2; o: b1, c1. x wins at once on c3, or in three plies after a2 (a fork).
    state = position("tic_tac_toe", [0, 1, 4, 2])
    result = MinimaxAgent().search(state)
    assert result.best_actions == (8,)
    assert result.score == WIN_SCORE - 1
    assert result.scores[3] == WIN_SCORE - 3
    assert result.proven
    assert MinimaxAgent().act(observe(state, np.random.default_rng(0))) == 8


def test_prefers_the_slower_loss() -> None:
    # x: a1, b1; o: c1, c2. x is lost, but blocking c3 loses two plies later than the rest.
    state = position("tic_tac_toe", [0, 2, 1, 5])
    result = MinimaxAgent().search(state)
    assert result.best_actions == (8,)
    assert result.score == -(WIN_SCORE - 4)
    assert MinimaxAgent().act(observe(state, np.random.default_rng(0))) == 8


# ---- hand-built positions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("moves", "expected", "why"),
    [
        ([0, 3, 1, 4], 2, "x completes the top row rather than blocking o's middle row"),
        ([0, 4, 8, 1], 7, "x has no win and must block o's middle column"),
        ([4, 0, 2], 6, "o must block x's anti-diagonal"),
    ],
)
@pytest.mark.parametrize("depth", [None, 2])
def test_tic_tac_toe_takes_the_win_or_blocks_the_loss(
    moves: list[int], expected: int, why: str, depth: int | None
) -> None:
    state = position("tic_tac_toe", moves)
    agent = MinimaxAgent(depth=depth, heuristic="line_count" if depth else None)
    assert agent.act(observe(state, np.random.default_rng(0))) == expected, why


@pytest.mark.parametrize(
    ("moves", "expected", "why"),
    [
        ([0, 0, 1, 1, 2, 6], 3, "x completes the bottom row"),
        ([0, 1, 0, 2, 6, 3], 4, "x blocks o's bottom row at its only open end"),
        ([0, 1, 0, 1, 0, 6], 0, "x completes its column rather than anything else"),
        ([6, 0, 5, 0, 6, 0], 0, "x blocks o's column"),
        ([0, 1, 1, 2, 2, 3, 2, 3, 3, 6], 3, "x completes the rising diagonal"),
    ],
)
@pytest.mark.parametrize("depth", [2, 4])
def test_connect_four_takes_the_win_or_blocks_the_loss(
    moves: list[int], expected: int, why: str, depth: int
) -> None:
    state = position("connect_four", moves)
    agent = MinimaxAgent(depth=depth, heuristic="line_count")
    assert agent.act(observe(state, np.random.default_rng(0))) == expected, why


# ---- play -----------------------------------------------------------------------------


def test_minimax_against_itself_draws_tic_tac_toe() -> None:
    game = redqueen.make("tic_tac_toe")
    assert play(game, [MinimaxAgent(), MinimaxAgent()], seed=0) == [0.0, 0.0]
    for seed in range(5):
        agents = [MinimaxAgent(tie_break="random"), MinimaxAgent(tie_break="random")]
        assert play(game, agents, seed) == [0.0, 0.0]


def test_minimax_never_loses_tic_tac_toe_to_random() -> None:
    game = redqueen.make("tic_tac_toe")
    minimax = MinimaxAgent()
    results = []
    for seed in range(60):
        seat = seed % 2
        agents: list[Agent] = [minimax, RandomAgent()] if seat == 0 else [RandomAgent(), minimax]
        results.append(play(game, agents, seed)[seat])
    assert min(results) >= 0.0
    assert results.count(1.0) >= 40  # random play hands it most games


def test_depth_limited_minimax_beats_random_at_connect_four() -> None:
    game = redqueen.make("connect_four")
    wins = 0
    for seed in range(20):
        seat = seed % 2
        minimax = MinimaxAgent(depth=3, heuristic="line_count")
        agents: list[Agent] = [minimax, RandomAgent()] if seat == 0 else [RandomAgent(), minimax]
        wins += play(game, agents, seed)[seat] == 1.0
    assert wins >= 16


def test_random_tie_break_draws_from_the_observation_generator() -> None:
    state = position("tic_tac_toe", [])
    agent = MinimaxAgent(tie_break="random")
    picks = [agent.act(observe(state, np.random.default_rng(seed))) for seed in range(30)]
    assert len(set(picks)) >= 5  # all nine moves tie at the start
    again = [agent.act(observe(state, np.random.default_rng(seed))) for seed in range(30)]
    assert picks == again
    assert MinimaxAgent().act(observe(state, np.random.default_rng(0))) == 0  # "first"


def test_works_through_the_match_runner() -> None:
    from redqueen.play.match import play_match

    game = redqueen.make("tic_tac_toe")
    result = play_match(game, [MinimaxAgent(), MinimaxAgent(tie_break="random")], seed=3)
    assert result.returns == (0.0, 0.0)
    assert result.invalid_moves == (0, 0)


# ---- heuristics -----------------------------------------------------------------------


def test_line_count_heuristic_favours_the_side_with_more_open_lines() -> None:
    centre = position("tic_tac_toe", [4])  # x in the centre, o to move
    assert line_count_heuristic(centre, 0) > 0 > line_count_heuristic(centre, 1)
    assert line_count_heuristic(centre, 0) == -line_count_heuristic(centre, 1)
    assert line_count_heuristic(position("connect_four", []), 0) == 0.0
    assert line_count_heuristic(position("connect_four", [3]), 0) > line_count_heuristic(
        position("connect_four", [0]), 0
    )
    assert sorted(HEURISTICS) == ["line_count", "zero"]


# ---- description and errors -----------------------------------------------------------


def test_spec_lists_non_default_parameters_and_rebuilds_the_agent() -> None:
    assert MinimaxAgent().spec() == AgentSpec("minimax", {})
    agent = MinimaxAgent(depth=3, heuristic="line_count", tie_break="random")
    spec = agent.spec()
    assert spec == AgentSpec(
        "minimax", {"depth": 3, "heuristic": "line_count", "tie_break": "random"}
    )
    rebuilt = agent_from_spec(spec)
    assert isinstance(rebuilt, MinimaxAgent) and rebuilt.spec() == spec
    assert make_agent("minimax", depth=2).spec() == AgentSpec("minimax", {"depth": 2})
    assert parse_agent("minimax:depth=2,heuristic=zero").spec().params == {
        "depth": 2,
        "heuristic": "zero",
    }


def test_unknown_heuristic_is_an_error_listing_the_names() -> None:
    with pytest.raises(UnknownNameError) as err:
        MinimaxAgent(depth=2, heuristic="material")
    assert err.value.allowed == ["line_count", "zero"]
    assert "line_count" in str(err.value) and "zero" in str(err.value)


@pytest.mark.parametrize("depth", [0, -1, 1.5, True])
def test_bad_depth_is_rejected(depth: object) -> None:
    with pytest.raises(InvalidParameterError):
        MinimaxAgent(depth=depth)  # type: ignore[arg-type]


def test_unknown_tie_break_is_rejected() -> None:
    with pytest.raises(UnknownNameError, match="first, random"):
        MinimaxAgent(tie_break="last")


@pytest.mark.parametrize(
    ("game_id", "problem"),
    [("kuhn_poker", "imperfect information"), ("prisoners_dilemma", "simultaneous")],
)
def test_unsupported_games_are_refused_saying_what_is_needed(game_id: str, problem: str) -> None:
    game = redqueen.make(game_id)
    state = game.new_initial_state()
    with pytest.raises(RedqueenError) as err:
        MinimaxAgent().search(state)
    assert "two-player, zero-sum, perfect-information" in str(err.value)
    assert problem in str(err.value)


def test_observation_without_a_state_is_refused() -> None:
    obs = observe(position("tic_tac_toe", []), np.random.default_rng(0))
    bare = Observation(
        game=obs.game,
        player=obs.player,
        legal_actions=obs.legal_actions,
        legal_action_texts=obs.legal_action_texts,
        text=obs.text,
        information_state_key=obs.information_state_key,
        history=(),
        rng=obs.rng,
    )
    with pytest.raises(RedqueenError, match=r"obs\.state"):
        MinimaxAgent().act(bare)


def test_line_count_on_a_game_without_lines_is_refused_before_searching() -> None:
    from redqueen.agents.minimax import zero_heuristic

    state = redqueen.make("kuhn_poker").new_initial_state()
    with pytest.raises(RedqueenError, match="winning lines"):
        line_count_heuristic(state, 0)
    assert zero_heuristic(state, 0) == 0.0
