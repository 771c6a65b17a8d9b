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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from redqueen.errors import InvalidParameterError

AnswerFormat = Literal["boxed", "tags", "json"]
ANSWER_FORMATS: tuple[str, ...] = ("boxed", "tags", "json")

LEGAL_MOVES_HEADER = "Legal moves (answer with exactly one of them):"
"""The line after which the legal moves follow, one per line, each after ``"- "``."""

_INSTRUCTIONS = {
    "boxed": (
        "You may think step by step. End your reply with your move, written exactly as "
        "one of the legal moves, inside \\boxed{}, for example \\boxed{%s}."
    ),
    "tags": (
        "You may think step by step. End your reply with your move, written exactly as "
        "one of the legal moves, between answer tags, for example <answer>%s</answer>."
    ),
    "json": (
        'Reply with a JSON object only, of the form {"move": "%s"}, where move is '
        "written exactly as one of the legal moves."
    ),
}


def check_answer_format(answer_format: str) -> str:
    if answer_format not in ANSWER_FORMATS:
        raise InvalidParameterError(
            f"answer_format={answer_format!r}; allowed: {', '.join(ANSWER_FORMATS)}"
        )
    return answer_format


def answer_instruction(answer_format: str, example: str = "MOVE") -> str:
    """How to write the move, in the given format."""
    return _INSTRUCTIONS[check_answer_format(answer_format)] % example


def system_prompt(rules: str, answer_format: str, extra: str | None = None) -> str:
    """The system message: the rules, how to answer, and any extra text (a persona)."""
    parts = [
        "You are a player in a game. These are its rules.",
        rules.strip(),
        answer_instruction(answer_format),
    ]
    if extra:
        parts.append(extra.strip())
    return "\n\n".join(parts)


def legal_moves_block(moves: Sequence[str]) -> str:
    return "\n".join([LEGAL_MOVES_HEADER, *(f"- {m}" for m in moves)])


def decision_message(observation: str, moves: Sequence[str], answer_format: str) -> str:
    """The user message for one decision: what the player sees, then the legal moves."""
    example = moves[0] if moves else "MOVE"
    return "\n\n".join(
        [observation.strip(), legal_moves_block(moves), answer_instruction(answer_format, example)]
    )


def feedback_message(problem: str, moves: Sequence[str], answer_format: str) -> str:
    """The re-ask after an invalid reply: what was wrong, and the legal moves again."""
    example = moves[0] if moves else "MOVE"
    return "\n\n".join(
        [
            f"Your answer was not accepted: {problem}",
            legal_moves_block(moves),
            answer_instruction(answer_format, example),
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
