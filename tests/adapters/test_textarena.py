"""TextArena import: whole matches through play_match, fresh episodes, seeds, invalid moves,
and the faults of textarena 0.7.4 that the adapter guards against."""

from __future__ import annotations

import pickle
import random
import re
import sys
from collections.abc import Callable

import numpy as np
import pytest

ta = pytest.importorskip("textarena", reason="textarena not installed: pip install -e .[adapters]")

import redqueen  # noqa: E402
from redqueen.adapters.textarena import TextArenaState  # noqa: E402
from redqueen.agents.core import Agent, AgentSpec, Observation  # noqa: E402
from redqueen.errors import (  # noqa: E402
    IllegalActionError,
    InvalidParameterError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games.core import CHANCE, TERMINAL, Game  # noqa: E402
from redqueen.play import play_match  # noqa: E402
from redqueen.play.match import replay  # noqa: E402

FAULTS_OF = "0.7.4"
pinned_faults = pytest.mark.skipif(
    ta.__version__ != FAULTS_OF,
    reason=f"these reproduce faults of textarena {FAULTS_OF}; re-check docs/adapters/textarena.md",
)

# ---- scripted text agents: read the valid moves off the observation text -------------


def menu_moves(text: str) -> list[str]:
    """The quoted bracketed options ('[4]', '[bet]') on the last line that lists some."""
    listing = [line for line in text.splitlines() if re.search(r"'\[[^\]]*\]'", line)]
    return re.findall(r"'(\[[^\]]*\])'", listing[-1])


def connect_four_moves(text: str) -> list[str]:
    board = text.rsplit("Board state:", 1)[1].splitlines()
    top = board[board.index("-------------") + 1].split()
    return [f"[col {c}]" for c, cell in enumerate(top) if cell == "."]


def nim_moves(text: str) -> list[str]:
    piles = re.findall(r"pile (\d+): (\d+)", text.rsplit("Current Pile:", 1)[1])
    return [f"[{p} {q}]" for p, n in piles for q in range(1, int(n) + 1)]


class ScriptedTextAgent(Agent):
    """Answers with text: a uniformly random move among ``moves(obs.text)``, optionally
    after sending ``first`` as its opening answer. Records what it saw."""

    def __init__(self, moves: Callable[[str], list[str]], first: str | None = None) -> None:
        self.moves = moves
        self.first = first
        self.seen: list[Observation] = []
        self.episodes: list[list[str]] = []

    def reset(self) -> None:
        self.episodes.append([])

    def act(self, obs: Observation) -> str:
        assert obs.legal_actions == () and obs.legal_action_texts == ()
        self.seen.append(obs)
        self.episodes[-1].append(obs.text)
        if self.first is not None and len(self.episodes[-1]) == 1:
            return self.first
        options = self.moves(obs.text)
        return options[int(obs.rng.integers(len(options)))]

    def spec(self) -> AgentSpec:
        return AgentSpec("scripted_text")


GAMES: dict[str, tuple[dict[str, object], Callable[[str], list[str]]]] = {
    "TicTacToe-v0": ({}, menu_moves),
    "ConnectFour-v0": ({}, connect_four_moves),
    "Nim-v0": ({}, nim_moves),
    "KuhnPoker-v0": ({"known_faults": "fix"}, menu_moves),
    "IteratedRockPaperScissors-v0": ({"num_rounds": 3}, menu_moves),
    "Othello-v0-tiny": ({}, menu_moves),
}


def make(env_id: str, **params: object) -> Game:
    return redqueen.make(f"textarena:{env_id}", **{**GAMES[env_id][0], **params})


def agents(env_id: str, first: str | None = None) -> list[ScriptedTextAgent]:
    moves = GAMES[env_id][1]
    return [ScriptedTextAgent(moves, first), ScriptedTextAgent(moves)]


# ---- whole matches ----------------------------------------------------------------------


@pytest.mark.parametrize("env_id", list(GAMES))
def test_plays_to_the_end_and_replays(env_id: str) -> None:
    game = make(env_id)
    assert game.spec.text_actions and game.id == f"textarena:{env_id}"
    outer_py, outer_np = random.getstate(), np.random.get_state()
    result = play_match(game, agents(env_id), seed=3)
    assert random.getstate() == outer_py  # TextArena never touched the caller's random
    assert np.array_equal(np.random.get_state()[1], outer_np[1])
    assert len(result.returns) == 2 and all(r in (-1.0, 0.0, 1.0) for r in result.returns)
    assert result.trajectory[0].player == CHANCE and isinstance(result.trajectory[0].action, int)
    assert all(isinstance(s.action, str) and s.player in (0, 1) for s in result.trajectory[1:])
    state = replay(game, result.trajectory)
    assert isinstance(state, TextArenaState)
    assert state.is_terminal() and tuple(state.returns()) == result.returns
    assert state.invalid_moves() == (0, 0) and not state.truncated
    assert state.outcome()[0]["reason"]


def test_same_seed_same_episode_different_seeds_differ() -> None:
    game = make("KuhnPoker-v0")

    def episode(seed: int) -> tuple[object, list[str]]:
        seats = agents("KuhnPoker-v0")
        result = play_match(game, seats, seed=seed)
        return result.trajectory, [t for a in seats for t in a.episodes[-1]]

    assert episode(11) == episode(11)
    shipped = pickle.loads(pickle.dumps(game))  # as a process pool sends it to a worker
    assert play_match(shipped, agents("KuhnPoker-v0"), seed=11).trajectory == episode(11)[0]
    openings = {episode(seed)[1][0] for seed in range(6)}
    assert len(openings) > 1  # the seed picks the deal
    fixed = make("KuhnPoker-v0", seed=7)  # every episode: TextArena seed 7, no chance node
    assert fixed.spec.chance == "none"
    views = []
    for seed in (1, 2):
        seats = agents("KuhnPoker-v0")
        play_match(fixed, seats, seed=seed)
        views.append(seats[1].episodes[-1][0])
    assert views[0] == views[1]


def test_episode_does_not_depend_on_global_random_or_interleaving() -> None:
    game = make("KuhnPoker-v0")
    moves = ["[check]", "[bet]", "[call]", "[bet]", "[fold]", "[check]", "[check]"]

    def run(states: list[TextArenaState], disturb: bool) -> list[str]:
        for s in states:
            s.apply_action(42)
        for i, move in enumerate(moves):
            for s in states:
                if disturb:
                    random.seed(i)
                    np.random.seed(i)
                    random.random()
                if not s.is_terminal():
                    s.apply_text_action(move)
        return [s.observation_text(p) for s in states for p in (0, 1)]

    alone = run([game.new_initial_state()], disturb=False)
    together = run([game.new_initial_state(), game.new_initial_state()], disturb=True)
    assert together == alone + alone


def test_every_episode_starts_fresh() -> None:
    game = make("TicTacToe-v0")
    seats = agents("TicTacToe-v0")
    play_match(game, seats, seed=5)
    play_match(game, seats, seed=5)
    first, second = seats[0].episodes
    assert second[0] == first[0]  # same seed, same opening view: nothing carried over
    assert second[0].count("You are Player 0 in Tic Tac Toe") == 1
    assert "[Player" not in second[0]
    assert seats[0].seen[len(first)].history == ()


@pytest.mark.parametrize("env_id", list(GAMES))
def test_every_game_starts_each_episode_fresh(env_id: str) -> None:
    # The same game object plays three episodes: each opens exactly as a brand-new game
    # would for its seed, with no message of an earlier episode in view.
    game = make(env_id)
    seats = agents(env_id)
    for seed in (5, 6, 5):
        play_match(game, seats, seed=seed)
    first, second, third = (episode[0] for episode in seats[0].episodes)
    assert third == first
    solo = agents(env_id)
    play_match(make(env_id), solo, seed=6)
    assert second == solo[0].episodes[0][0]
    opening = first.splitlines()[0]
    assert first.count(opening) == 1 and third.count(opening) == 1


def test_states_do_not_share_their_env() -> None:
    game = make("TicTacToe-v0")
    one, two = game.new_initial_state(), game.new_initial_state()
    assert isinstance(one, TextArenaState) and isinstance(two, TextArenaState)
    one.apply_action(9)
    two.apply_action(9)
    assert one.env is not two.env and one.env.state is not two.env.state
    before = two.observation_text(0)
    one.apply_text_action("[4]")
    assert two.observation_text(0) == before and two.current_player() == 0
    assert one.current_player() == 1
    copy_ = one.clone()
    copy_.apply_text_action("[0]")
    assert one.current_player() == 1 and copy_.current_player() == 0
    assert one.move_number == 2 and copy_.move_number == 3


def test_observation_is_what_textarena_shows() -> None:
    """TextArena's own play loop with its default wrappers shows the same text."""
    game = make("TicTacToe-v0")
    state = game.new_initial_state()
    state.apply_action(4)
    env = ta.make("TicTacToe-v0")
    env.reset(num_players=2, seed=4)
    for move in ["4", "hello", "0", "8", "2", "6", "1", "5", "3", "7"]:
        if state.is_terminal():
            break
        player, text = env.get_observation()
        assert player == state.current_player()
        assert state.observation_text(player) == text.lstrip("\n")
        env.step(move)
        state.apply_text_action(move)
    assert state.is_terminal() and tuple(state.returns()) == tuple(
        float(env.close()[0][p]) for p in (0, 1)
    )


# ---- invalid moves ------------------------------------------------------------------


def test_an_invalid_move_gets_textarenas_warning_and_a_retry() -> None:
    game = make("TicTacToe-v0")
    seats = agents("TicTacToe-v0", first="hello")
    result = play_match(game, seats, seed=2)
    assert result.trajectory[1] == (0, "hello")
    assert result.trajectory[2].player == 0  # the same seat moves again
    state = replay(game, result.trajectory)
    assert state.is_terminal() and state.invalid_moves() == (1, 0)
    assert result.invalid_moves == (1, 0)  # play_match reports what the game judged
    assert "Player 0 attempted an invalid move" in seats[0].episodes[-1][1]


def test_two_invalid_moves_in_a_row_lose_the_game() -> None:
    game = make("TicTacToe-v0")
    seats = [ScriptedTextAgent(lambda _: ["no idea"]), *agents("TicTacToe-v0")[1:]]
    result = play_match(game, seats, seed=2)
    assert result.returns == (-1.0, 1.0) and result.length == 3
    state = replay(game, result.trajectory)
    assert state.invalid_moves() == (2, 0) == result.invalid_moves
    assert state.outcome()[0]["invalid_move"] is True


def test_moves_that_cannot_be_sent_raise_and_change_nothing() -> None:
    game = make("TicTacToe-v0")
    state = game.new_initial_state()
    assert state.current_player() == CHANCE and state.legal_actions(0) == []
    assert len(state.chance_outcomes()) == game.spec.max_chance_outcomes == 1 << 16
    with pytest.raises(RedqueenError, match="has not started"):
        state.apply_text_action("[4]")
    with pytest.raises(IllegalActionError, match="TextArena seeds 0 to 65535"):
        state.apply_action(1 << 16)
    state.apply_action(0)
    assert state.legal_actions() == [] and state.legal_actions(1) == []
    with pytest.raises(RedqueenError, match="text-only"):
        state.apply_action(4)
    with pytest.raises(RedqueenError, match="text-only"):
        state.parse_action("4")
    before = state.observation_text(1)
    with pytest.raises(IllegalActionError):
        state.apply_text_action("[4]", player=1)
    with pytest.raises(IllegalActionError):
        state.apply_text_action(4)  # type: ignore[arg-type]
    assert state.observation_text(1) == before and state.move_number == 1


def test_max_steps_truncates_with_zero_returns() -> None:
    state = make("TicTacToe-v0", max_steps=3, seed=0).new_initial_state()
    assert isinstance(state, TextArenaState)
    for move in ["[0]", "[4]", "[8]"]:
        state.apply_text_action(move)
    assert state.current_player() == TERMINAL and state.truncated
    assert state.returns() == [0.0, 0.0]
    with pytest.raises(IllegalActionError):
        state.apply_text_action("[1]")


def test_bad_parameters_are_named() -> None:
    with pytest.raises(UnknownNameError, match="TicTacToe-v0"):
        redqueen.make("textarena:TicTacToe-v9")
    with pytest.raises(InvalidParameterError, match="num_players"):
        redqueen.make("textarena:TicTacToe-v0", num_players=3)
    with pytest.raises(InvalidParameterError, match="board_size"):
        redqueen.make("textarena:TicTacToe-v0", board_size=4)
    with pytest.raises(InvalidParameterError, match="known_faults"):
        redqueen.make("textarena:TicTacToe-v0", known_faults="ignore")
    with pytest.raises(InvalidParameterError, match="seed"):
        redqueen.make("textarena:TicTacToe-v0", seed=-1)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="Chess-v0 builds on Python >= 3.12")
def test_an_env_that_cannot_be_built_here_says_why() -> None:
    with pytest.raises(RedqueenError, match=r"cannot build Chess-v0.*SyntaxError"):
        redqueen.make("textarena:Chess-v0")


def test_without_textarena_the_error_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "textarena", None)
    with pytest.raises(RedqueenError, match="pip install"):
        redqueen.make("textarena:TicTacToe-v0")


def test_rules_text_is_textarenas_prompt() -> None:
    rules = make("TicTacToe-v0").rules_text()
    assert "free text" in rules and "You are Player 0 in Tic Tac Toe" in rules


# ---- Kuhn poker: bets that never reach the pot ----------------------------------------


def _kuhn_two_rounds(known_faults: str) -> tuple[list[float], str]:
    """Round 1: player 1 bets, player 0 calls, player 1 holds the higher card. Round 2:
    player 0 bets, player 1 folds. Correct chips: player 1 +2 -1, player 0 -2 +1."""
    game = redqueen.make("textarena:KuhnPoker-v0", known_faults=known_faults, max_rounds=2)
    for seed in range(100):
        state = game.new_initial_state()
        assert isinstance(state, TextArenaState)
        state.apply_action(seed)
        cards = state.env.state.game_state["player_cards"]
        if cards[1] > cards[0]:
            break
    for move in ["[bet]", "[call]", "[bet]", "[fold]"]:
        state.apply_text_action(move)
    assert state.is_terminal()
    return state.returns(), state.observation_text(0)


def test_kuhn_poker_is_refused_unless_the_fault_is_fixed_or_kept() -> None:
    with pytest.raises(InvalidParameterError, match="never puts bets or calls into the pot"):
        redqueen.make("textarena:KuhnPoker-v0")
    fixed, fixed_text = _kuhn_two_rounds("fix")
    kept, kept_text = _kuhn_two_rounds("keep")
    assert fixed == [-1.0, 1.0]  # player 1 ends one chip up
    assert kept == [0.0, 0.0]  # TextArena: one chip per round whatever was bet: a draw
    assert "wins pot of 4 chips" in fixed_text and "wins pot of 2 chips" in kept_text
    assert (
        "redqueen corrects this"
        in redqueen.make("textarena:KuhnPoker-v0", known_faults="fix").rules_text()
    )


# ---- the faults themselves, in plain TextArena -------------------------------------------


@pinned_faults
def test_fault_kuhn_bets_never_reach_the_pot() -> None:
    env = ta.make("KuhnPoker-v0-raw", max_rounds=1)
    env.reset(num_players=2, seed=0)
    pot = env.state.game_state["pot"]
    env.step("[bet]")
    assert env.state.game_state["pot"] == pot == 2


@pinned_faults
def test_fault_observation_history_carried_across_resets() -> None:
    env = ta.make("TicTacToe-v0")
    env.reset(num_players=2, seed=1)
    env.get_observation()
    env.step("[4]")
    env.reset(num_players=2, seed=1)
    _, text = env.get_observation()
    assert text.count("You are Player 0 in Tic Tac Toe") == 2


@pinned_faults
def test_fault_seeds_do_not_fix_an_episode() -> None:
    def deal(env: object, seed: int) -> dict[int, int]:
        env.reset(num_players=2, seed=seed)  # type: ignore[attr-defined]
        return dict(env.state.game_state["player_cards"])  # type: ignore[attr-defined]

    reused = ta.make("KuhnPoker-v0-raw", max_rounds=1)
    fresh = [deal(ta.make("KuhnPoker-v0-raw", max_rounds=1), 7) for _ in range(2)]
    assert fresh[0] == fresh[1]
    assert deal(reused, 7) != deal(reused, 7)  # the deck is shuffled in place
    saved = random.getstate()
    try:
        random.seed(123)
        expected = random.random()
        random.seed(123)
        ta.make("TicTacToe-v0").reset(num_players=2, seed=5)
        assert random.random() != expected  # reset reseeds the global random module
    finally:
        random.setstate(saved)


def test_clone_of_an_env_that_cannot_be_copied_says_so() -> None:
    state = make("TicTacToe-v0", seed=0).new_initial_state()
    assert isinstance(state, TextArenaState)
    state.env.unpicklable = sys  # a module cannot be deep-copied
    with pytest.raises(RedqueenError, match="cannot clone"):
        state.clone()


@pytest.mark.parametrize("env_id", ["Countdown-v0", "Cryptarithm-v0", "Slitherlink-v0"])
def test_envs_that_swap_add_observation_and_set_invalid_move_arguments(env_id: str) -> None:
    # textarena 0.7.4: add_observation(player, move, PLAYER_ACTION) and
    # set_invalid_move(progress, reason), both against the functions' argument order
    state = redqueen.make(f"textarena:{env_id}", num_players=1).new_initial_state()
    state.apply_action(0)
    while not state.is_terminal():
        state.apply_text_action("[not a move]")
    assert "[Player] [not a move]" in state.observation_text(0)  # the seat's own move
    reward = state.returns()[0]
    assert isinstance(reward, float) and 0.0 <= reward <= 1.0, reward  # the progress
