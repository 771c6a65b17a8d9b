"""Reading replies: extract the answer in its format, then match it to a legal move."""

from __future__ import annotations

import json

import pytest

from redqueen.agents.llm.parsing import clean_answer, extract_answer, parse_reply
from redqueen.agents.llm.prompts import (
    LEGAL_MOVES_HEADER,
    decision_message,
    feedback_message,
    json_response_format,
    legal_moves_in,
    system_prompt,
)
from redqueen.errors import InvalidParameterError

MOVES = [(0, "cooperate"), (1, "defect")]
CELLS = [(0, "a1"), (4, "b2"), (8, "c3")]


@pytest.mark.parametrize(
    ("reply", "fmt", "answer"),
    [
        ("I think... \\boxed{defect}", "boxed", "defect"),
        ("\\boxed{a1} no wait \\boxed{b2}", "boxed", "b2"),  # the last one counts
        ("\\boxed{\\text{c3}}", "boxed", "c3"),
        ("\\boxed{{nested}}", "boxed", "{nested}"),
        ("\\boxed{unclosed", "boxed", None),
        ("no box here", "boxed", None),
        ("<answer>a1</answer> then <ANSWER> b2 </ANSWER>", "tags", " b2 "),
        ("<answer>\ncooperate\n</answer>", "tags", "\ncooperate\n"),
        ("<answer>x", "tags", None),
        ('{"move": "defect"}', "json", "defect"),
        ('Sure:\n```json\n{"move": "b2"}\n```', "json", "b2"),
        ('{"action": 4}', "json", "4"),
        ('{"move": true}', "json", None),
        ("[1, 2]", "json", None),
        ("not json {", "json", None),
    ],
)
def test_extract_answer(reply: str, fmt: str, answer: str | None) -> None:
    assert extract_answer(reply, fmt) == answer


@pytest.mark.parametrize(
    ("text", "action"),
    [
        ("defect", 1),  # exact
        ("  DEFECT ", 1),  # normalised case and whitespace
        ("co", 0),  # unique prefix
        ("'cooperate'.", 0),  # quotes and a full stop dropped
        ("**defect**", 1),
        ("1", 1),  # a bare action id
    ],
)
def test_parse_reply_matches_legal_moves(text: str, action: int) -> None:
    parsed = parse_reply(f"\\boxed{{{text}}}", "boxed", MOVES)
    assert parsed.action == action
    assert parsed.problem == ""


def test_ambiguous_prefix_and_unknown_move_are_invalid() -> None:
    ambiguous = parse_reply("<answer>a</answer>", "tags", [(0, "ab"), (1, "ac")])
    assert ambiguous.action is None
    assert ambiguous.problem == "'a' is not one of the legal moves"
    unknown = parse_reply('{"move": "d4"}', "json", CELLS)
    assert (unknown.action, unknown.answer) == (None, "d4")
    missing = parse_reply("b2", "boxed", CELLS)
    assert (missing.action, missing.answer) == (None, None)
    assert "no \\boxed{...}" in missing.problem


def test_replies_are_never_evaluated() -> None:
    # An expression that would name a legal id if evaluated is just text that names none.
    parsed = parse_reply("\\boxed{__import__('os').getpid() and 4}", "boxed", CELLS)
    assert parsed.action is None
    assert parse_reply("\\boxed{2+2}", "boxed", CELLS).action is None


def test_clean_answer() -> None:
    assert clean_answer(' "`b2`" ') == "b2"
    assert clean_answer("b2.") == "b2"
    assert clean_answer("'") == "'"


def test_prompts_list_the_legal_moves_and_the_format() -> None:
    text = decision_message("You are x.", ["a1", "b2"], "tags")
    assert text.startswith("You are x.")
    assert f"{LEGAL_MOVES_HEADER}\n- a1\n- b2" in text
    assert "<answer>a1</answer>" in text
    assert legal_moves_in(text) == ["a1", "b2"]
    again = feedback_message("'z' is not one of the legal moves", ["c3"], "boxed")
    assert legal_moves_in(text + "\n" + again) == ["c3"]  # the last list counts
    assert legal_moves_in("nothing") == []
    system = system_prompt("RULES", "boxed", "You are Ada, 34, a nurse.")
    assert system.index("RULES") < system.index("\\boxed{MOVE}") < system.index("Ada")
    schema = json_response_format(["a1", "b2"])["json_schema"]["schema"]
    assert schema["properties"]["move"]["enum"] == ["a1", "b2"]
    json.dumps(schema)  # serialisable as the request needs
    with pytest.raises(InvalidParameterError, match="allowed: boxed, tags, json"):
        system_prompt("R", "xml")
