"""LLM players on text-only games (``spec.text_actions``): the prompt says how to answer
instead of showing an empty list of legal moves, and the scripted test server plays the
bracketed moves the game offers, so a match runs without a model."""

from __future__ import annotations

from collections.abc import Iterator

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


TAK_RULES = (
    """[GAME] You are Player 0 in Tak.
For each move, submit your action using the format:
[ACTION SOURCE ALLOCATION]
- ACTION: The type of move you are making ('place' or 'move').
Examples:
- To place a capstone on (3,2):
  [place () {(3,2): [C0]}]
- To move all pieces from (2,2) to (2,3):
  [move (2,2) {(2,3): [F0]}]
"""
    + "[GAME] \nCurrent Board: (empty)"
)  # the game's tag, its text on the next line


def test_a_template_on_its_own_line_is_an_offer_and_a_move_may_hold_brackets() -> None:
    # "[ACTION SOURCE ALLOCATION]" ends its line: a template, not a sender whose lines are
    # skipped; "[GAME] " with its text on the next line is still the game's tag
    assert bracketed_moves(TAK_RULES) == ["[move (2,2) {(2,3): [F0]}]"]
    assert bracketed_moves(TAK_RULES.rsplit("\n  [move", 1)[0]) == ["[place () {(3,2): [C0]}]"]
    assert bracketed_moves("[GAME] \n[GAME] Say [yes]\n[GAME] \nno offer here") == ["[yes]"]
    assert bracketed_moves("[GAME] Format:\n[ACTION]") == ["[ACTION]"]


def _request(*messages: tuple[str, str]) -> dict[str, object]:
    return {"messages": [{"role": role, "content": text} for role, text in messages]}


def test_server_plays_the_format_the_conversation_shows_when_the_last_view_has_none() -> None:
    rules = system_prompt(
        "What TextArena tells Player 0 at the start:\n\nGuess the word; write [word], "
        "for example [crane].",
        "boxed",
        text_moves=True,
    )
    view = decision_message("[GAME] Your guess was wrong. Guess again.", [], "boxed")
    with ScriptedServer("first") as first, ScriptedServer("last") as last:
        assert first.reply_for(_request(("system", rules), ("user", view))).endswith("{[word]}")
        assert last.reply_for(_request(("system", rules), ("user", view))).endswith("{[crane]}")
        # the most recent offer first: an earlier decision's moves before the rules
        earlier = decision_message(VIEW, [], "boxed")
        again = feedback_message("it was late", [], "boxed")
        asked = _request(("system", rules), ("user", earlier), ("assistant", "?"), ("user", again))
        assert first.reply_for(asked).endswith("\\boxed{[0]}")
        # a conversation that is no text-only game's (no decision for text moves) is not
        # searched for brackets: a judge request without a judge says so, as before
        judge_like = _request(("system", "Label each passage [A] or [B]."), ("user", "Passage"))
        assert first.reply_for(judge_like) == (
            "Scripted test server: no legal moves were listed in the last message."
        )


# TextArena 0.7.4's base environments ("-v0") with one or two seats that build offline and
# show their move format in square brackets (the survey of issue 18). Not here: those
# that need NLTK data, an API key, Python >= 3.12 or three seats; Bandit-v0, whose prompt
# never shows how to write a button, and TruthAndDeception-v0, whose turns are free chat
# (the server says it sees no move, and the game judges that). Countdown-v0,
# Cryptarithm-v0 and Slitherlink-v0 log their moves with the arguments of add_observation
# out of order, which the adapter reads as the env meant.
TEXTARENA_ENVS = {
    "2048-v0": 1, "Alquerque-v0": 2, "Battleship-v0": 2, "Blackjack-v0": 1,
    "Breakthrough-v0": 2, "Briscola-v0": 2, "Chopsticks-v0": 2, "ColonelBlotto-v0": 2,
    "ConnectFour-v0": 2, "Countdown-v0": 1, "Cryptarithm-v0": 1, "Crosswords-v0": 1,
    "Crusade-v0": 2, "FifteenPuzzle-v0": 1,
    "FrozenLake-v0": 1, "GameOfPureStrategy-v0": 2, "GermanWhist-v0": 2, "Golf-v0": 2,
    "GuessTheNumber-v0": 1, "HighSociety-v0": 2, "IndianPoker-v0": 2,
    "IteratedMatchingPennies-v0": 2, "IteratedPrisonersDilemma-v0": 2,
    "IteratedRockPaperScissors-v0": 2, "IteratedTwoThirdsAverage-v0": 2,
    "IteratedUltimatumGame-v0": 2, "KuhnPoker-v0": 2, "LiarsDice-v0": 2, "LightsOut-v0": 1,
    "LinesOfAction-v0": 2, "LogicPuzzle-v0": 1, "MarketEntryGame-v0": 2, "Mastermind-v0": 1,
    "MemoryGame-v0": 2, "Minesweeper-v0": 1, "NewRecruit-v0": 2, "Nim-v0": 2, "Othello-v0": 2,
    "PegJump-v0": 1, "PigDice-v0": 2, "Poker-v0": 2, "PublicGoodsGame-v0": 2,
    "QuantumTicTacToe-v0": 2, "RushHour-v0": 1, "SantoriniBaseFixed-v0": 2, "Secretary-v0": 1,
    "Set-v0": 1, "SimpleBlindAuction-v0": 2, "SimpleNegotiation-v0": 2, "SimpleTak-v0": 2,
    "Slitherlink-v0": 1,
    "Snake-v0": 2, "Sokoban-v0": 1, "SpiteAndMalice-v0": 2, "Stratego-v0": 2, "Sudoku-v0": 1,
    "Surround-v0": 2, "Tak-v0": 2, "ThreeCardMonte-v0": 1, "TicTacToe-v0": 2,
    "TowerOfHanoi-v0": 1, "TwoDollar-v0": 2, "UltimateTicTacToe-v0": 2, "WildTicTacToe-v0": 2,
}  # fmt: skip


@pytest.fixture(scope="module")
def scripted_llm() -> Iterator[LLMAgent]:
    with ScriptedServer("first") as server:
        yield LLMAgent(model="scripted", base_url=server.url, api_key_env=None, cache=False)


@pytest.mark.parametrize("env_id", sorted(TEXTARENA_ENVS))
def test_scripted_server_writes_a_bracketed_move_in_every_textarena_game(
    env_id: str, scripted_llm: LLMAgent
) -> None:
    pytest.importorskip("textarena", reason="textarena is an optional dependency")
    seats = TEXTARENA_ENVS[env_id]
    game = redqueen.make(f"textarena:{env_id}", num_players=seats, max_steps=3, known_faults="fix")
    result = play_match(game, [scripted_llm] * seats, seed=0)
    moves = [str(step.action) for step in result.trajectory[1:]]
    assert moves  # the episode ends: by the game's rules, its invalid-move rule or max_steps
    for move in moves:  # the game judges each; none is the server's "no moves" note
        assert move.startswith("[") and move.endswith("]"), move


def test_a_game_that_shows_no_move_format_gets_the_servers_note(scripted_llm: LLMAgent) -> None:
    pytest.importorskip("textarena", reason="textarena is an optional dependency")
    game = redqueen.make("textarena:Bandit-v0", num_players=1, max_steps=3)
    result = play_match(game, [scripted_llm], seed=0)
    moves = [str(step.action) for step in result.trajectory[1:]]
    assert moves and all("no legal moves were listed" in move for move in moves)
    assert result.invalid_moves[0] == len(moves)  # TextArena judged each one invalid
