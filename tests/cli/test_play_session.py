"""``redqueen play`` as a person uses it: a real process reading moves from its stdin.

One numbering for the moves (the list's), the opponent's moves announced (held back in
simultaneous games until the person has chosen), help that fits the game, and an
opponent that cannot play the game refused before the rules are printed, with the
command that can."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import redqueen
from redqueen.agents.core import Observation
from redqueen.agents.human import HumanAgent
from redqueen.errors import ParseActionError


def play(*args: str, moves: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "redqueen.cli", "play", *args],
        input=moves,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_number_is_the_lists_number_and_the_opponents_moves_are_announced() -> None:
    # 5 is the 5th listed move (b2, not the action id 5, c2); #1 the 1st; then a name.
    done = play("tic_tac_toe", "--opponent", "first", "--seed", "0", moves="5\n#1\nb3\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "legal moves: #1: a1  #2: b1  #3: c1  #4: a2  #5: b2  #6: c2" in out
    assert "Type a move's name or its number in the list (1 to 9, or #1 to #9)" in out
    turns = out.split("your move> ")
    assert len(turns) == 4  # three prompts
    assert ") played:" not in turns[0]
    assert turns[1].startswith("player 1 (first) played: a1\n")
    assert "1  o . .\n2  . x .\n3  . . ." in turns[1]
    assert turns[2].startswith("player 1 (first) played: c1\n")
    assert "1  o x o\n2  . x .\n3  . . ." in turns[2]
    assert "1  o x o\n2  . x .\n3  . x ." in turns[3]  # b2, b1, b3: a column of x
    assert "game over — returns: [1.0, -1.0]; yours: 1" in turns[3]


def test_numbers_out_of_the_list_and_help_that_fits_a_game_without_a_board() -> None:
    # Kuhn poker, seat 1: the opponent checks, "3" is no entry, "raise" no move, "2" bets,
    # and the opponent folds.
    done = play(
        "kuhn_poker", "--opponent", "first", "--seat", "1", "--seed", "4", moves="3\nraise\n2\n"
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "board" not in out.lower()
    assert "there is no move #3 in the list; choose 1 to 2" in out
    assert (
        "'raise' is not a legal move; legal moves: 'pass', 'bet'. Type a move's name or its "
        "number in the list (1 to 2, or #1 to #2); ? shows the game again, quit stops." in out
    )
    before, after = out.split("your move> ", 1)
    assert "player 0 (first) played: pass\n" in before  # seat 0 moved first
    assert after.count("player 0 (first) played: pass") == 1  # its fold, at the end
    assert "game over — returns: [-1.0, 1.0]; yours: 1" in out


def test_simultaneous_moves_are_announced_only_after_the_person_chose() -> None:
    args = ["repeated", "--param", "stage=prisoners_dilemma", "--param", "rounds=2"]
    args += ["--opponent", "strategy:name=tit_for_tat", "--seat", "1", "--seed", "0"]
    done = play(*args, moves="2\n1\n")
    assert done.returncode == 0, done.stderr
    turns = done.stdout.split("your move> ")
    assert len(turns) == 3
    assert ") played:" not in turns[0]  # round 1: nothing told before the person chose
    assert turns[1].startswith("player 0 (strategy:name=tit_for_tat) played: cooperate\n")
    # tit for tat answers the person's defection, told only after round 2's choice
    assert ") played:" not in turns[1].split("\n", 1)[1]
    assert turns[2].startswith("player 0 (strategy:name=tit_for_tat) played: defect\n")
    assert "game over — returns: [5.0, 5.0]; yours: 5" in turns[2]


def test_an_opponent_that_cannot_play_is_refused_before_the_rules_with_the_command() -> None:
    done = play("prisoners_dilemma", "--opponent", "strategy:name=tit_for_tat", moves="1\n")
    assert done.returncode == 2
    assert done.stdout == ""  # nothing printed before the refusal: no rules, no prompt
    message = " ".join(done.stderr.split())
    command = (
        "redqueen play repeated --param stage=prisoners_dilemma --param rounds=10 "
        "--opponent strategy:name=tit_for_tat"
    )
    assert message.startswith(
        "error: --opponent strategy:name=tit_for_tat cannot play prisoners_dilemma:"
    )
    assert message.endswith(
        f"To play prisoners_dilemma round after round in the terminal: {command}"
    )
    # and the command it gives plays
    suggested = play(*command.split()[2:], "--seed", "0", moves="quit\n")
    assert suggested.returncode == 1 and suggested.stdout.endswith("stopped.\n")
    assert "This is round 1 of 10." in suggested.stdout


def test_poker_words_of_the_view_are_moves() -> None:
    # Kuhn poker, seat 1: the opponent checks; "check" is a pass here.
    done = play("kuhn_poker", "--opponent", "first", "--seat", "1", "--seed", "4", moves="check\n")
    assert done.returncode == 0, done.stderr
    assert "is not a legal move" not in done.stdout
    assert "Betting so far: player 0 checks, player 1 checks." in done.stdout


def test_poker_states_read_the_words_of_their_view() -> None:
    kuhn = redqueen.make("kuhn_poker").new_initial_state()
    kuhn.apply_action(0)
    kuhn.apply_action(1)
    assert kuhn.parse_action("check") == kuhn.parse_action(" Check ") == 0  # nobody bet
    for word in ("fold", "call"):
        with pytest.raises(ParseActionError):
            kuhn.parse_action(word)
    kuhn.apply_action(1)  # player 0 bets
    assert (kuhn.parse_action("fold"), kuhn.parse_action("call")) == (0, 1)
    with pytest.raises(ParseActionError, match="'check' is not a legal move"):
        kuhn.parse_action("check")
    leduc = redqueen.make("leduc_poker").new_initial_state()
    leduc.apply_action(0)
    leduc.apply_action(2)
    assert leduc.parse_action("check") == 1  # a call of nothing
    leduc.apply_action(2)  # player 0 raises
    with pytest.raises(ParseActionError, match="'check' is not a legal move"):
        leduc.parse_action("check")


def test_where_moves_are_named_by_numbers_a_bare_number_is_a_name() -> None:
    typed = iter(["5", "3", "#3"])
    shown: list[str] = []
    person = HumanAgent(input_fn=lambda _: next(typed), output_fn=shown.append)
    obs = Observation(
        game=redqueen.make("tic_tac_toe"),
        player=0,
        legal_actions=(4, 6, 7),
        legal_action_texts=("0", "11", "3"),
        text="Pick a number.",
        information_state_key=0,
        history=(),
        rng=np.random.default_rng(0),
    )
    assert person.act(obs) == 7  # "5" names no move; "3" is the move named 3
    hint = (
        "Type a move's name or #1 to #3 for an entry of the list (a bare number is a move's "
        "name here); ? shows the game again, quit stops."
    )
    assert shown == [
        "",
        "Pick a number.",
        "legal moves: #1: 0  #2: 11  #3: 3",
        hint,
        f"'5' is not a legal move; legal moves: '0', '11', '3'. {hint}",
    ]
    assert next(typed) == "#3"  # "3" was read as a name, not as the list's #3
    typed = iter(["#2"])
    assert person.act(obs) == 6


def test_a_person_is_not_told_secret_moves() -> None:
    """In werewolf the other seats' night actions and votes are secret: a person at the
    terminal learns only what the game's view of their seat says."""
    assert not redqueen.make("werewolf").moves_are_public
    moves = "\n".join(["1"] * 40) + "\nquit\n"
    for seat in ("0", "3"):
        res = play(
            "werewolf", "--param", "board=small", "--param", "players=6",
            "--opponent", "werewolf", "--seat", seat, "--seed", "1", moves=moves,
        )  # fmt: skip
        assert "your move>" in res.stdout, res.stdout + res.stderr
        assert ") played:" not in res.stdout
