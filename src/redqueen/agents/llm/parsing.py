"""From a model's reply to a legal action: extract the answer, then match it to a move.

Extraction follows the answer format (see :mod:`redqueen.agents.llm.prompts`): the last
``\\boxed{...}`` (braces balanced), the last ``<answer>...</answer>``, or the ``move``
field of a JSON object (code fences around it allowed). Matching is
:func:`redqueen.games.core.match_action_text`: the exact name, then the name with case and
whitespace normalised, then a unique prefix, then a bare action id. Surrounding quotes,
backticks and a final full stop are dropped first.

A reply is data: it is searched with string operations and ``json.loads``, never
evaluated.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from redqueen.agents.llm.prompts import check_answer_format
from redqueen.errors import ParseActionError
from redqueen.games.core import match_action_text

_TAG = re.compile(r"<answer>(.*?)</answer>", re.IGNORECASE | re.DOTALL)
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.IGNORECASE | re.DOTALL)
_JSON_KEYS = ("move", "action", "answer")


@dataclass(frozen=True)
class ParsedReply:
    """The outcome of reading one reply: the action, or why there is none."""

    action: int | None
    answer: str | None
    """The text extracted from the reply (None when the format was not found)."""
    problem: str = ""
    """Why the reply gives no legal move, written for the model (empty when it does)."""


def _last_boxed(text: str) -> str | None:
    start = text.rfind("\\boxed{")
    if start < 0:
        return None
    i = start + len("\\boxed{")
    depth = 1
    for j in range(i, len(text)):
        if text[j] == "{":
            depth += 1
        elif text[j] == "}":
            depth -= 1
            if depth == 0:
                return text[i:j]
    return None


def _json_move(text: str) -> str | None:
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for candidate in candidates:
        candidate = candidate.strip()
        first, last = candidate.find("{"), candidate.rfind("}")
        if first < 0 or last < first:
            continue
        try:
            value = json.loads(candidate[first : last + 1])
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            for key in _JSON_KEYS:
                if isinstance(value.get(key), str | int) and not isinstance(value[key], bool):
                    return str(value[key])
    return None


def extract_answer(reply: str, answer_format: str) -> str | None:
    """The answer written in ``reply`` in ``answer_format``, or None if there is none."""
    check_answer_format(answer_format)
    if answer_format == "boxed":
        found = _last_boxed(reply)
        if found is not None:
            # \boxed{\text{a1}} is common in maths-tuned models.
            inner = re.fullmatch(r"\s*\\text\{(.*)\}\s*", found, re.DOTALL)
            return inner.group(1) if inner else found
        return None
    if answer_format == "tags":
        tags = _TAG.findall(reply)
        return tags[-1] if tags else None
    return _json_move(reply)


def clean_answer(answer: str) -> str:
    """Drop wrapping quotes, backticks, asterisks and a trailing full stop."""
    text = answer.strip()
    while True:
        before = text
        text = text.removesuffix(".").strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`*":
            text = text[1:-1].strip()
        if text == before:
            return text


def parse_reply(reply: str, answer_format: str, moves: Sequence[tuple[int, str]]) -> ParsedReply:
    """Read ``reply``: the legal action it names among ``moves`` ((id, name) pairs)."""
    answer = extract_answer(reply, answer_format)
    if answer is None:
        where = {
            "boxed": "no \\boxed{...} was found in your reply",
            "tags": "no <answer>...</answer> was found in your reply",
            "json": 'your reply was not a JSON object with a "move" field',
        }[answer_format]
        return ParsedReply(None, None, where)
    cleaned = clean_answer(answer)
    try:
        return ParsedReply(match_action_text(cleaned, moves), answer)
    except ParseActionError:
        shown = cleaned if len(cleaned) <= 80 else cleaned[:77] + "..."
        return ParsedReply(None, answer, f"{shown!r} is not one of the legal moves")
