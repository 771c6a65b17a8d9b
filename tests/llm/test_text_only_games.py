"""LLM players on text-only games (``spec.text_actions``): the prompt says how to answer
instead of showing an empty list of legal moves, and the scripted test server plays the
bracketed moves the game offers, so a match runs without a model."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.agents.llm import LLMAgent
from redqueen.agents.llm.prompts import (
    LEGAL_MOVES_HEADER,
    TEXT_MOVES_HEADER,
    bracketed_moves,
    decision_message,
    feedback_message,
    system_prompt,
    text_moves_in,
)
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.play import play_match

VIEW = """[GAME] You are Player 0 in Tic Tac Toe.
For example, '[4]' places your mark in the center cell of the board.
[GAME] Current Board:

 0 | 1 | 2
---+---+---
 3 | O | 5

Available Moves: '[0]', '[1]', '[2]', '[3]', '[5]'
[Player 1] [7]
[Player 1] and a second line [8] of the same message
[GAME] Player 1 placed their symbol (X) in cell 7.
[GAME] A blank [ ] is no move."""


def test_bracketed_moves_are_the_last_offer_of_the_game() -> None:
    # the players' own messages ([Player 1] [7]) are not offers; the rules' example is an
    # older offer; "[ ]" is blank; repeats are shown once
    assert bracketed_moves(VIEW) == ["[0]", "[1]", "[2]", "[3]", "[5]"]
    assert bracketed_moves("Say [yes] or [no]; not [yes] twice.") == ["[yes]", "[no]"]
    assert bracketed_moves("[GAME] No brackets here.\n[Player 0] [4]") == []


def test_text_only_prompt_says_how_to_answer_without_an_empty_list() -> None:
    message = decision_message(VIEW, [], "boxed")
    assert LEGAL_MOVES_HEADER not in message
    assert message == (
        f"{VIEW}\n\n{TEXT_MOVES_HEADER}\n"
        "The game writes moves in square brackets; the last it showed: [0], [1], [2], [3], "
        "[5].\n\nYou may think step by step. End your reply with your move, written exactly "
        "as the game's messages ask for moves, inside \\boxed{}, for example \\boxed{[0]}."
    )
    assert text_moves_in(message) == ["[0]", "[1]", "[2]", "[3]", "[5]"]
    assert text_moves_in(decision_message("obs", ["a1", "b2"], "boxed")) is None
    plain = decision_message("[GAME] Name any city.", [], "tags")
    assert plain.endswith(
        f"{TEXT_MOVES_HEADER}\nWrite your move in the form the game's messages above ask "
        "for.\n\nYou may think step by step. End your reply with your move, written exactly "
        "as the game's messages ask for moves, between answer tags, for example "
        "<answer>MOVE</answer>."
    )
    assert text_moves_in(plain) == []
    feedback = feedback_message("it was late", [], "json")
    assert LEGAL_MOVES_HEADER not in feedback
    assert feedback.endswith(
        'of the form {"move": "MOVE"}, where move is written exactly as the game\'s '
        "messages ask for moves."
    )
    rules = system_prompt("R", "boxed", text_moves=True)
    assert "one of the legal moves" not in rules and "as the game's messages ask" in rules
    # games with listed moves keep their prompt
    assert "written exactly as one of the legal moves" in system_prompt("R", "boxed")


@pytest.mark.parametrize("answer_format", ["boxed", "tags", "json"])
def test_scripted_server_plays_legal_moves_of_textarena_tic_tac_toe(answer_format: str) -> None:
    pytest.importorskip("textarena", reason="textarena is an optional dependency")
    game = redqueen.make("textarena:TicTacToe-v0")
    with ScriptedServer("first") as server:
        agents = [
            LLMAgent(
                model="scripted",
                base_url=server.url,
                api_key_env=None,
                answer_format=answer_format,
                cache=False,
            )
            for _ in range(2)
        ]
        result = play_match(game, agents, seed=3)
        answered = server.answered
    # each seat takes the lowest free cell: O (seat 0) on 0, 2, 4, 6 wins on the diagonal
    moves = [step.action for step in result.trajectory[1:]]
    assert moves == ["[0]", "[1]", "[2]", "[3]", "[4]", "[5]", "[6]"]
    assert answered == 7
    assert result.invalid_moves == (0, 0)
    assert result.returns == (1.0, -1.0)


def test_random_scripted_play_stays_legal_over_many_textarena_matches() -> None:
    pytest.importorskip("textarena", reason="textarena is an optional dependency")
    game = redqueen.make("textarena:TicTacToe-v0")
    with ScriptedServer("random", seed=7) as server:
        agent = LLMAgent(model="scripted", base_url=server.url, api_key_env=None, cache=False)
        results = [play_match(game, [agent, agent], seed=s) for s in range(6)]
    for result in results:
        cells = [step.action for step in result.trajectory[1:]]
        assert result.invalid_moves == (0, 0)
        assert len(set(cells)) == len(cells)  # never a taken cell
        assert set(cells) <= {f"[{c}]" for c in range(9)}
        assert result.returns in ((1.0, -1.0), (-1.0, 1.0), (0.0, 0.0))
    assert len({tuple(step.action for step in r.trajectory) for r in results}) > 1


def test_server_says_so_when_a_text_only_game_offers_no_move() -> None:
    with ScriptedServer("first") as server:
        message = decision_message("[GAME] Name any city.", [], "boxed")
        request = {"messages": [{"role": "user", "content": message}]}
        assert server.reply_for(request) == (
            "Scripted test server: no legal moves were listed in the last message."
        )
        offered = decision_message(VIEW, [], "boxed")
        request = {"messages": [{"role": "user", "content": offered}]}
        assert server.reply_for(request) == "[0]"  # no format asked for: the move alone
