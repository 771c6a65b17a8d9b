"""The text an LLM player reads: a system prompt and one user message per decision.

The system prompt is the game's ``rules_text()`` followed by how to answer; the user
message is the player's ``observation_text`` and then the legal moves, one per line after
a fixed header (:data:`LEGAL_MOVES_HEADER`), so that a reader -- a person, a model, or the
scripted test server -- can find them without knowing the game. Three answer formats:

- ``boxed``: reason freely, end with ``\\boxed{MOVE}`` (the convention of maths-reasoning
  models, used by SPIRAL, Liu et al. 2025);
- ``tags``: end with ``<answer>MOVE</answer>`` (TextArena-style and R1-style prompts);
- ``json``: a JSON object ``{"move": "MOVE"}``, requested through the chat API's
  structured outputs (``response_format`` with a JSON schema whose ``move`` is an enum of
  the legal moves).

When a reply names no legal move the agent asks again with :func:`feedback_message`,
which says what was wrong and lists the legal moves again.

Text-only games (``spec.text_actions``, e.g. ``textarena:TicTacToe-v0``) have no list of
legal moves: the game reads the move as free text and judges it. Their decision message
says so after a fixed header (:data:`TEXT_MOVES_HEADER`) instead of listing moves, and
asks for the move as the game's own messages ask for it. TextArena's games offer their
moves in square brackets (``Available Moves: '[0]', '[1]'``) and parse the bracketed form
from a reply; :func:`bracketed_moves` finds those offered in the game's last message that
offers any, which gives the prompt its example and the scripted test server its choices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

from redqueen.errors import InvalidParameterError

AnswerFormat = Literal["boxed", "tags", "json"]
ANSWER_FORMATS: tuple[str, ...] = ("boxed", "tags", "json")

LEGAL_MOVES_HEADER = "Legal moves (answer with exactly one of them):"
"""The line after which the legal moves follow, one per line, each after ``"- "``."""

TEXT_MOVES_HEADER = "Moves (this game lists no legal moves; it reads your move as text):"
"""The line that ends the observation in a text-only game's decision message."""

_INSTRUCTIONS = {
    "boxed": (
        "You may think step by step. End your reply with %(subject)s, %(written)s, inside "
        "\\boxed{}, for example \\boxed{%(example)s}."
    ),
    "tags": (
        "You may think step by step. End your reply with %(subject)s, %(written)s, between "
        "answer tags, for example <answer>%(example)s</answer>."
    ),
    "json": (
        'Reply with a JSON object only, of the form {"move": "%(example)s"}, where '
        "move%(aside)s is %(written)s."
    ),
}
_WRITTEN = {
    False: "written exactly as one of the legal moves",
    True: "written exactly as the game's messages ask for moves",
}


def check_answer_format(answer_format: str) -> str:
    if answer_format not in ANSWER_FORMATS:
        raise InvalidParameterError(
            f"answer_format={answer_format!r}; allowed: {', '.join(ANSWER_FORMATS)}"
        )
    return answer_format


def answer_instruction(
    answer_format: str,
    example: str = "MOVE",
    text_moves: bool = False,
    subject: str = "your move",
) -> str:
    """How to write the answer in the given format: as one of the listed legal moves, or
    (``text_moves``, a text-only game) as the game's messages ask for moves. ``subject``
    names what is asked for (e.g. "your prediction" when the question is not a move)."""
    template = _INSTRUCTIONS[check_answer_format(answer_format)]
    aside = "" if subject == "your move" else f" ({subject})"
    values = {"subject": subject, "aside": aside, "written": _WRITTEN[text_moves]}
    return template % {**values, "example": example}


def system_prompt(
    rules: str, answer_format: str, extra: str | None = None, text_moves: bool = False
) -> str:
    """The system message: the rules, how to answer (``text_moves``: in a text-only game,
    with no list of legal moves) and any extra text (a persona)."""
    parts = [
        "You are a player in a game. These are its rules.",
        rules.strip(),
        answer_instruction(answer_format, text_moves=text_moves),
    ]
    if extra:
        parts.append(extra.strip())
    return "\n\n".join(parts)


def legal_moves_block(moves: Sequence[str]) -> str:
    return "\n".join([LEGAL_MOVES_HEADER, *(f"- {m}" for m in moves)])


def text_moves_block(observation: str) -> str:
    """For a text-only game: how to write a move, with the moves the game offers in
    brackets when its messages show any (:func:`bracketed_moves`)."""
    offered = bracketed_moves(observation)
    if offered:
        shown = ", ".join(offered[:12]) + (", ..." if len(offered) > 12 else "")
        how = f"The game writes moves in square brackets; the last it showed: {shown}."
    else:
        how = "Write your move in the form the game's messages above ask for."
    return f"{TEXT_MOVES_HEADER}\n{how}"


def decision_message(observation: str, moves: Sequence[str], answer_format: str) -> str:
    """The user message for one decision: what the player sees, then the legal moves; in a
    text-only game (no ``moves``), how the game wants its move written."""
    if not moves:
        offered = bracketed_moves(observation)
        example = offered[0] if offered else "MOVE"
        return "\n\n".join(
            [
                observation.strip(),
                text_moves_block(observation),
                answer_instruction(answer_format, example, text_moves=True),
            ]
        )
    return "\n\n".join(
        [observation.strip(), legal_moves_block(moves), answer_instruction(answer_format, moves[0])]
    )


def feedback_message(problem: str, moves: Sequence[str], answer_format: str) -> str:
    """The re-ask after an invalid reply: what was wrong, and the legal moves again (in a
    text-only game, with no ``moves``: how the game wants its move written)."""
    if not moves:
        return "\n\n".join(
            [
                f"Your answer was not accepted: {problem}",
                answer_instruction(answer_format, text_moves=True),
            ]
        )
    return "\n\n".join(
        [
            f"Your answer was not accepted: {problem}",
            legal_moves_block(moves),
            answer_instruction(answer_format, moves[0]),
        ]
    )


def json_response_format(moves: Sequence[str]) -> dict[str, Any]:
    """The ``response_format`` of a structured-outputs request: ``{"move": <enum>}``."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "move",
            "strict": True,
            "schema": {
                "type": "object",
                "properties": {"move": {"type": "string", "enum": list(moves)}},
                "required": ["move"],
                "additionalProperties": False,
            },
        },
    }


def legal_moves_in(text: str) -> list[str]:
    """The legal moves listed in a decision or feedback message (the last list in
    ``text``); empty if there is none. The inverse of :func:`legal_moves_block`."""
    at = text.rfind(LEGAL_MOVES_HEADER)
    if at < 0:
        return []
    moves: list[str] = []
    for line in text[at + len(LEGAL_MOVES_HEADER) :].splitlines()[1:]:
        if not line.startswith("- "):
            break
        moves.append(line[2:])
    return moves


_SENDER = re.compile(r"\[([^\[\]\n]+)\] ")
"""A message's sender at the start of a line of a TextArena view: ``[GAME] text`` (a space
always follows it). A bracketed token that ends its line (``[ACTION SOURCE ALLOCATION]``)
is a move's template, not a sender."""
_BRACKETED = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])+)\]")
"""A bracketed move, which may hold bracketed parts: ``[move (2,2) {(2,3): [F0]}]``."""
_LONGEST_MOVE = 80


def bracketed_moves(observation: str) -> list[str]:
    """The moves a text-only game offers in square brackets (``'[4]'``, ``'[call]'``), as
    its last line that offers any shows them, brackets included, each once, in order.
    An example or template of the format (``[word]``, ``[move (2,2) {(2,3): [F0]}]``)
    counts as an offer: the game judges the move.

    Lines of a message another player sent (``[Player 1] [4]``, TextArena's view) are not
    offers and are skipped; lines of the game (``[GAME] ...``) and untagged lines count.
    Empty if no line offers a bracketed move."""
    offered: list[str] = []
    sender: str | None = None
    for line in observation.splitlines():
        tag = _SENDER.match(line)
        if tag is not None:
            sender, line = tag.group(1), line[tag.end() :]
        if sender is not None and sender != "GAME":
            continue
        found = [
            f"[{inner}]"
            for inner in _BRACKETED.findall(line)
            if inner.strip() and len(inner) <= _LONGEST_MOVE
        ]
        if found:
            offered = list(dict.fromkeys(found))
    return offered


def text_moves_in(text: str) -> list[str] | None:
    """The bracketed moves offered in a text-only game's decision message (the
    observation before its :data:`TEXT_MOVES_HEADER`); None if ``text`` is no such
    message."""
    at = text.rfind(TEXT_MOVES_HEADER)
    if at < 0:
        return None
    return bracketed_moves(text[:at])
