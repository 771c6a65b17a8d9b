"""Small task languages that redqueen reads and evaluates itself: verifiable tasks for the
proposer/solver role games.

The self-play papers that pit a task proposer against a solver (PasoDoble, arXiv
2511.11881; Multi-Agent Evolve, arXiv 2510.23595; Search Self-Play, arXiv 2510.18821) need
a verifier that knows the true answer of a task a model wrote. Here a task is a sentence of
one of three small languages, and the verifier is an interpreter written for it. Nothing
a model writes is ever passed to ``eval``, ``exec`` or a subprocess: each language has a
hand-written scanner and parser, and its evaluator counts steps.

- ``arithmetic``: integer and rational arithmetic, ``(3 + 4) * 5 / 6 - -2``, with ``+ - *
  /``, parentheses, unary minus and decimals (``2.5`` is 5/2). Values are exact
  :class:`fractions.Fraction`; there is no power operator. Division by zero is a
  :class:`TaskMathError`.
- ``linear``: a linear equation in one variable, ``3*x + 4 = 19`` (``3x`` and ``2(x + 1)``
  are read as products). The answer is the exact rational solution. An equation that no
  value solves, or that every value solves, has no answer (:class:`TaskMathError`);
  ``x * x`` or dividing by an expression in ``x`` is not linear (:class:`TaskSyntaxError`).
- ``list``: a list of integers piped through operations,
  ``[3, 1, 2] | sort | map +1 | take 2 | sum``. List operations: ``sort``, ``reverse``,
  ``map +k`` / ``map -k`` / ``map *k``, ``filter even`` / ``filter odd`` / ``filter >k`` /
  ``filter <k``, ``take k``, ``drop k``. The last operation may instead turn the list into
  a number: ``sum``, ``len``, ``max``, ``min``. The answer is an integer or a list.

Every family (a :class:`TaskFamily`) has a parser, an evaluator with limits
(:class:`Limits`: text length, nesting depth, digits of every number written or computed,
list length, evaluation steps), a generator ``generate(difficulty, rng)`` whose
difficulty adds operations and widens the numbers, an answer reader
(:func:`parse_answer`: the last ``\\boxed{...}``, else the last ``<answer>...</answer>``,
else the whole text) and exact comparison (:func:`answers_equal`). Every failure is a
:class:`TaskError` with a message that says what was wrong and what is allowed: a
:class:`TaskSyntaxError` for text that is not in the language, a :class:`TaskLimitError`
for text or values beyond the limits, a :class:`TaskMathError` for a well-formed task
without an answer.

An answer is a :class:`~fractions.Fraction` (numbers), a tuple of ints (lists) or a
string (the entity names of :mod:`redqueen.games.roles.knowledge_graph`).
"""

from __future__ import annotations

import math
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeAlias

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError

Answer: TypeAlias = Fraction | tuple[int, ...] | str
"""A task's value: an exact number, a list of integers, or an entity name."""

MAX_DIFFICULTY = 10
"""Generators accept difficulties 1..MAX_DIFFICULTY."""


class TaskError(RedqueenError, ValueError):
    """A task or an answer that redqueen cannot evaluate; the message says why."""


class TaskSyntaxError(TaskError):
    """Text that is not a sentence of the task language (or not a readable answer)."""


class TaskLimitError(TaskError):
    """Text or a value beyond the interpreter's limits (length, depth, digits, steps)."""


class TaskMathError(TaskError):
    """A well-formed task that has no answer: division by zero, an equation without a
    unique solution, the maximum of an empty list."""


@dataclass(frozen=True)
class Limits:
    """Bounds that every parse and evaluation keeps, so that no input can hang or exhaust
    memory. ``max_reply_chars`` bounds a whole reply in which an answer is searched
    (reasoning included); ``max_chars`` bounds a task or an extracted answer."""

    max_chars: int = 2000
    max_reply_chars: int = 50_000
    max_depth: int = 32
    max_digits: int = 40
    max_list: int = 64
    max_steps: int = 10_000

    def __post_init__(self) -> None:
        for name in ("max_chars", "max_reply_chars", "max_depth", "max_digits", "max_list"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"Limits.{name} must be an integer >= 1; got {value!r}")
        if isinstance(self.max_steps, bool) or not isinstance(self.max_steps, int):
            raise InvalidParameterError(
                f"Limits.max_steps must be an integer; got {self.max_steps!r}"
            )
        if self.max_steps < 1:
            raise InvalidParameterError(f"Limits.max_steps must be >= 1; got {self.max_steps}")


DEFAULT_LIMITS = Limits()

_DIGITS = frozenset("0123456789")
_SPACES = frozenset(" \t\r\n")
_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SAME_AS = {"×": "*", "·": "*", "∗": "*", "÷": "/", "−": "-", "–": "-"}
"""Unicode signs that models write for the ASCII operators."""


def _shown(text: str, width: int = 60) -> str:
    """``text`` quoted, shortened for an error message."""
    return repr(text if len(text) <= width else text[: width - 3] + "...")


def _check_length(text: object, limit: int, what: str) -> str:
    if not isinstance(text, str):
        raise TaskSyntaxError(f"{what} must be a string; got {type(text).__name__}")
    if len(text) > limit:
        raise TaskLimitError(f"{what} is {len(text)} characters long; at most {limit} are allowed")
    return text


def _check_digits(literal: str, limits: Limits, what: str) -> None:
    digits = sum(1 for c in literal if c in _DIGITS)
    if digits > limits.max_digits:
        raise TaskLimitError(
            f"{what} has a number of {digits} digits; at most {limits.max_digits} are allowed"
        )


class _Size:
    """Checks that computed values keep within ``limits.max_digits`` and counts steps."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bound = 10**limits.max_digits
        self.steps = 0

    def tick(self, n: int = 1) -> None:
        self.steps += n
        if self.steps > self.limits.max_steps:
            raise TaskLimitError(
                f"evaluation took more than {self.limits.max_steps} steps (the step limit)"
            )

    def number(self, value: Fraction) -> Fraction:
        if abs(value.numerator) >= self.bound or value.denominator >= self.bound:
            raise TaskLimitError(
                f"a value computed has more than {self.limits.max_digits} digits (the size limit)"
            )
        return value

    def integer(self, value: int) -> int:
        if abs(value) >= self.bound:
            raise TaskLimitError(
                f"a value computed has more than {self.limits.max_digits} digits (the size limit)"
            )
        return value


# ---- arithmetic and linear expressions ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "num", "var", or the operator character itself
    pos: int
    value: Fraction | str | None = None


@dataclass(frozen=True, slots=True)
class Num:
    value: Fraction


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class Neg:
    operand: Node


@dataclass(frozen=True, slots=True)
class Chain:
    """``first op1 x1 op2 x2 ...`` with operators of one precedence level, left to right
    (a sum or a product). Kept flat so that a long sum never nests deeply."""

    first: Node
    rest: tuple[tuple[str, Node], ...]


Node: TypeAlias = Num | Var | Neg | Chain


def _scan(text: str, family: str, limits: Limits, variables: bool) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in _SPACES:
            i += 1
            continue
        c = _SAME_AS.get(c, c)
        if c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            j = i
            while j < n and text[j] in _DIGITS:
                j += 1
            if j + 1 < n and text[j] == "." and text[j + 1] in _DIGITS:
                j += 1
                while j < n and text[j] in _DIGITS:
                    j += 1
            literal = text[i:j]
            _check_digits(literal, limits, f"{family} task")
            tokens.append(_Token("num", i, Fraction(literal)))
            i = j
        elif c in "+-*/()" or (c == "=" and variables):
            tokens.append(_Token(c, i))
            i += 1
        elif c in _LETTERS and variables:
            j = i
            while j < n and text[j] in _LETTERS:
                j += 1
            if j - i > 1:
                raise TaskSyntaxError(
                    f"{family} task {_shown(text)}: unknown word {text[i:j]!r} at position "
                    f"{i}; the variable is a single letter such as x"
                )
            tokens.append(_Token("var", i, c))
            i = j
        else:
            allowed = "digits, + - * / ( )" + (
                ", =, one letter for the variable" if variables else ""
            )
            raise TaskSyntaxError(
                f"{family} task {_shown(text)}: unexpected character {c!r} at position {i}; "
                f"allowed: {allowed} and spaces"
            )
    return tokens


class _ExpressionParser:
    """Recursive descent over the tokens: sums of products of (signed) atoms. Depth counts
    parentheses and unary minus signs and is bounded by ``limits.max_depth``."""

    def __init__(self, text: str, tokens: list[_Token], family: str, limits: Limits) -> None:
        self.text = text
        self.tokens = tokens
        self.family = family
        self.limits = limits
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def fail(self, expected: str) -> TaskSyntaxError:
        token = self.peek()
        found = "the end of the text" if token is None else f"{self._word(token)!r}"
        where = len(self.text) if token is None else token.pos
        return TaskSyntaxError(
            f"{self.family} task {_shown(self.text)}: expected {expected} at position "
            f"{where}, found {found}"
        )

    def _word(self, token: _Token) -> str:
        if token.kind == "num":
            assert isinstance(token.value, Fraction)
            return str(token.value)
        if token.kind == "var":
            return str(token.value)
        return token.kind

    def expression(self, depth: int) -> Node:
        first = self.term(depth)
        rest: list[tuple[str, Node]] = []
        while (token := self.peek()) is not None and token.kind in "+-":
            self.i += 1
            rest.append((token.kind, self.term(depth)))
        return first if not rest else Chain(first, tuple(rest))

    def term(self, depth: int) -> Node:
        first = self.unary(depth)
        rest: list[tuple[str, Node]] = []
        while (token := self.peek()) is not None:
            if token.kind in "*/":
                self.i += 1
                rest.append((token.kind, self.unary(depth)))
            elif token.kind in ("var", "("):  # 3x, 2(x + 1): a product
                rest.append(("*", self.unary(depth)))
            else:
                break
        return first if not rest else Chain(first, tuple(rest))

    def unary(self, depth: int) -> Node:
        token = self.peek()
        if token is not None and token.kind in "+-":
            self._deeper(depth)
            self.i += 1
            operand = self.unary(depth + 1)
            return Neg(operand) if token.kind == "-" else operand
        return self.atom(depth)

    def atom(self, depth: int) -> Node:
        token = self.peek()
        if token is None or token.kind not in ("num", "var", "("):
            raise self.fail(
                "a number, a variable or '('" if self.family == "linear" else "a number or '('"
            )
        self.i += 1
        if token.kind == "num":
            assert isinstance(token.value, Fraction)
            return Num(token.value)
        if token.kind == "var":
            return Var(str(token.value))
        self._deeper(depth)
        inner = self.expression(depth + 1)
        closing = self.peek()
        if closing is None or closing.kind != ")":
            raise self.fail("')'")
        self.i += 1
        return inner

    def _deeper(self, depth: int) -> None:
        if depth + 1 > self.limits.max_depth:
            raise TaskLimitError(
                f"{self.family} task nests parentheses and signs more than "
                f"{self.limits.max_depth} deep (the depth limit)"
            )


def _count_operations(node: Node) -> int:
    """Binary operators and unary minus signs in ``node`` (its depth is bounded)."""
    if isinstance(node, Num | Var):
        return 0
    if isinstance(node, Neg):
        return 1 + _count_operations(node.operand)
    return _count_operations(node.first) + sum(1 + _count_operations(n) for _, n in node.rest)


def _parse_expression(text: str, family: str, limits: Limits, variables: bool) -> Node:
    tokens = _scan(text, family, limits, variables)
    if not tokens:
        raise TaskSyntaxError(f"{family} task {_shown(text)} is empty")
    parser = _ExpressionParser(text, tokens, family, limits)
    node = parser.expression(0)
    if parser.peek() is not None:
        raise parser.fail("an operator or the end of the expression")
    return node


Linear: TypeAlias = tuple[Fraction, Fraction]
"""``(a, b)``: the expression ``a * x + b``."""


def _evaluate(node: Node, size: _Size, family: str) -> Linear:
    """The value of ``node`` as ``a * x + b`` (``a`` is 0 without a variable)."""
    size.tick()
    if isinstance(node, Num):
        return Fraction(0), size.number(node.value)
    if isinstance(node, Var):
        return Fraction(1), Fraction(0)
    if isinstance(node, Neg):
        a, b = _evaluate(node.operand, size, family)
        return -a, -b
    a, b = _evaluate(node.first, size, family)
    for op, operand in node.rest:
        size.tick()
        c, d = _evaluate(operand, size, family)
        if op == "+":
            a, b = a + c, b + d
        elif op == "-":
            a, b = a - c, b - d
        elif op == "*":
            if a and c:
                raise TaskSyntaxError(
                    f"{family} task multiplies two expressions in the variable; the equation "
                    "must be linear"
                )
            a, b = a * d + c * b, b * d
        else:
            if c:
                raise TaskSyntaxError(
                    f"{family} task divides by an expression in the variable; the equation "
                    "must be linear"
                )
            if d == 0:
                raise TaskMathError(f"{family} task divides by zero")
            a, b = a / d, b / d
        size.number(a)
        size.number(b)
    return a, b


def evaluate_arithmetic(text: str, limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """The exact value of an arithmetic expression."""
    _check_length(text, limits.max_chars, "arithmetic task")
    node = _parse_expression(text, "arithmetic", limits, variables=False)
    _, value = _evaluate(node, _Size(limits), "arithmetic")
    return value


@dataclass(frozen=True)
class Equation:
    """A parsed linear equation: ``left = right`` in the variable ``variable``."""

    variable: str
    left: Node
    right: Node


def parse_equation(text: str, limits: Limits = DEFAULT_LIMITS) -> Equation:
    _check_length(text, limits.max_chars, "linear task")
    if text.count("=") != 1:
        raise TaskSyntaxError(
            f"linear task {_shown(text)} must contain exactly one '=' (one equation); it has "
            f"{text.count('=')}"
        )
    left_text, right_text = text.split("=")
    names = {c for c in text if c in _LETTERS}
    left = _parse_expression(left_text, "linear", limits, variables=True)
    right = _parse_expression(right_text, "linear", limits, variables=True)
    if not names:
        raise TaskSyntaxError(f"linear task {_shown(text)} has no variable; write one, e.g. x")
    if len(names) > 1:
        raise TaskSyntaxError(
            f"linear task {_shown(text)} uses the variables {sorted(names)}; only one is allowed"
        )
    return Equation(names.pop(), left, right)


def solve_linear(text: str, limits: Limits = DEFAULT_LIMITS) -> Fraction:
    """The exact solution of a linear equation in one variable."""
    equation = parse_equation(text, limits)
    size = _Size(limits)
    a, b = _evaluate(equation.left, size, "linear")
    c, d = _evaluate(equation.right, size, "linear")
    slope, rest = a - c, d - b
    if slope == 0:
        if rest == 0:
            raise TaskMathError(
                f"linear task {_shown(text)}: every value of the variable solves it"
            )
        raise TaskMathError(f"linear task {_shown(text)}: no value of the variable solves it")
    return size.number(rest / slope)


# ---- list programs ---------------------------------------------------------------------------

_INT = r"[+-]? ?[0-9]+"
_OP_PATTERNS = {
    "map": re.compile(rf"map ?([+\-*]) ?({_INT})", re.ASCII),
    "filter": re.compile(rf"filter ?(even|odd|[<>] ?{_INT})", re.ASCII),
    "take": re.compile(r"take ?([0-9]+)", re.ASCII),
    "drop": re.compile(r"drop ?([0-9]+)", re.ASCII),
}
LIST_OPS = ("sort", "reverse", "map", "filter", "take", "drop")
"""Operations from a list to a list."""
SCALAR_OPS = ("sum", "len", "max", "min")
"""Operations from a list to a number (only as the last step)."""


@dataclass(frozen=True)
class ListOp:
    name: str
    arg: str = ""
    """``map``: the operator; ``filter``: even, odd, ``>`` or ``<``; else empty."""
    number: int = 0


@dataclass(frozen=True)
class ListProgram:
    values: tuple[int, ...]
    ops: tuple[ListOp, ...]


def _parse_int(text: str, limits: Limits, what: str) -> int:
    cleaned = "".join(text.split())
    if not re.fullmatch(r"[+-]?[0-9]+", cleaned, re.ASCII):
        raise TaskSyntaxError(f"{what}: {_shown(text)} is not an integer")
    _check_digits(cleaned, limits, what)
    return int(cleaned)


def parse_list_literal(
    text: str, limits: Limits = DEFAULT_LIMITS, what: str = "list"
) -> tuple[int, ...]:
    """``[3, -1, 2]`` -> ``(3, -1, 2)``."""
    body = text.strip()
    if not (body.startswith("[") and body.endswith("]")):
        raise TaskSyntaxError(f"{what}: {_shown(text)} is not a list such as [3, 1, 2]")
    inner = body[1:-1].strip()
    if not inner:
        return ()
    items = inner.split(",")
    if len(items) > limits.max_list:
        raise TaskLimitError(
            f"{what} has {len(items)} elements; at most {limits.max_list} are allowed"
        )
    return tuple(_parse_int(item, limits, f"{what} element") for item in items)


def parse_list_program(text: str, limits: Limits = DEFAULT_LIMITS) -> ListProgram:
    _check_length(text, limits.max_chars, "list task")
    stripped = text.strip()
    close = stripped.find("]")
    if not stripped.startswith("[") or close < 0:
        raise TaskSyntaxError(
            f"list task {_shown(text)} must start with a list such as [3, 1, 2], then "
            "'| operation' steps"
        )
    values = parse_list_literal(stripped[: close + 1], limits, "list task")
    rest = stripped[close + 1 :].strip()
    if rest and not rest.startswith("|"):
        raise TaskSyntaxError(
            f"list task {_shown(text)}: expected '|' after the list, found {_shown(rest, 20)}"
        )
    ops: list[ListOp] = []
    for i, piece in enumerate(rest.split("|")[1:] if rest else []):
        if ops and ops[-1].name in SCALAR_OPS:
            raise TaskSyntaxError(
                f"list task {_shown(text)}: {ops[-1].name} gives a number, so it must be the "
                "last step"
            )
        ops.append(_parse_list_op(" ".join(piece.split()), i + 1, text, limits))
    return ListProgram(values, tuple(ops))


def _parse_list_op(piece: str, index: int, text: str, limits: Limits) -> ListOp:
    if piece in ("sort", "reverse", *SCALAR_OPS):
        return ListOp(piece)
    name = next((n for n in _OP_PATTERNS if piece.startswith(n)), "")
    match = _OP_PATTERNS[name].fullmatch(piece) if name else None
    if match is None:
        raise TaskSyntaxError(
            f"list task {_shown(text)}: step {index} {_shown(piece, 30)} is not an operation; "
            "allowed: sort, reverse, map +k, map -k, map *k, filter even, filter odd, "
            "filter >k, filter <k, take k, drop k, and last: sum, len, max, min"
        )
    if name == "map":
        return ListOp("map", match[1], _parse_int(match[2], limits, "list task"))
    if name == "filter":
        arg = match[1]
        if arg in ("even", "odd"):
            return ListOp("filter", arg)
        return ListOp("filter", arg[0], _parse_int(arg[1:], limits, "list task"))
    return ListOp(name, "", _parse_int(match[1], limits, "list task"))


def run_list_program(
    program: ListProgram, limits: Limits = DEFAULT_LIMITS
) -> int | tuple[int, ...]:
    size = _Size(limits)
    values = list(program.values)
    for op in program.ops:
        size.tick(1 + len(values))
        if op.name == "sort":
            size.tick(len(values) * max(1, math.ceil(math.log2(len(values) + 1))))
            values.sort()
        elif op.name == "reverse":
            values.reverse()
        elif op.name == "map":
            k = op.number
            if op.arg == "+":
                values = [size.integer(v + k) for v in values]
            elif op.arg == "-":
                values = [size.integer(v - k) for v in values]
            else:
                values = [size.integer(v * k) for v in values]
        elif op.name == "filter":
            if op.arg == "even":
                values = [v for v in values if v % 2 == 0]
            elif op.arg == "odd":
                values = [v for v in values if v % 2 != 0]
            elif op.arg == ">":
                values = [v for v in values if v > op.number]
            else:
                values = [v for v in values if v < op.number]
        elif op.name == "take":
            values = values[: op.number]
        elif op.name == "drop":
            values = values[op.number :]
        elif op.name == "sum":
            return size.integer(sum(values))
        elif op.name == "len":
            return len(values)
        else:
            if not values:
                raise TaskMathError(f"list task takes the {op.name} of an empty list")
            return max(values) if op.name == "max" else min(values)
    return tuple(values)


def run_list(text: str, limits: Limits = DEFAULT_LIMITS) -> Fraction | tuple[int, ...]:
    """The value of a list program: an integer (as a Fraction) or a tuple of ints."""
    result = run_list_program(parse_list_program(text, limits), limits)
    return Fraction(result) if isinstance(result, int) else result


# ---- answers ------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"([+-]?)\s*([0-9]+(?:\.[0-9]+)?)(?:\s*/\s*([+-]?)\s*([0-9]+(?:\.[0-9]+)?))?", re.ASCII
)
_FRAC = re.compile(
    r"([+-]?)\s*\\[dt]?frac\s*\{\s*([+-]?[0-9]+)\s*\}\s*\{\s*([+-]?[0-9]+)\s*\}", re.ASCII
)
_ASSIGNMENT = re.compile(r"^[A-Za-z]\s*=\s*")


def last_boxed(text: str) -> str | None:
    """The contents of the last ``\\boxed{...}`` (braces balanced), or None."""
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


def last_tagged(text: str, tag: str) -> str | None:
    """The contents of the last ``<tag>...</tag>`` (tag names in any case), or None."""
    ends = [m.start() for m in re.finditer(f"</{tag}>", text, re.IGNORECASE)]
    if not ends:
        return None
    starts = [m.end() for m in re.finditer(f"<{tag}>", text[: ends[-1]], re.IGNORECASE)]
    return text[starts[-1] : ends[-1]] if starts else None


def extract_answer(text: str, limits: Limits = DEFAULT_LIMITS) -> str:
    """The answer written in a reply: the last ``\\boxed{...}``, else the last
    ``<answer>...</answer>``, else the whole text; with ``$``,
    ``\\text{}``, a final full stop and an ``x =`` in front removed."""
    _check_length(text, limits.max_reply_chars, "reply")
    found = last_boxed(text)
    if found is None:
        found = last_tagged(text, "answer")
    if found is None:
        if len(text) > limits.max_chars:
            raise TaskSyntaxError(
                f"no \\boxed{{...}} or <answer>...</answer> in a reply of {len(text)} "
                f"characters (a bare answer may have at most {limits.max_chars})"
            )
        found = text
    found = found.strip().strip("$").strip()
    inner = re.fullmatch(r"\\text\s*\{(.*)\}", found, re.DOTALL)
    if inner:
        found = inner.group(1).strip()
    found = found.removesuffix(".").strip()
    found = _ASSIGNMENT.sub("", found)
    return _check_length(found, limits.max_chars, "answer")


def parse_value(text: str, limits: Limits = DEFAULT_LIMITS) -> Fraction | tuple[int, ...]:
    """A number (``7``, ``-7/3``, ``2.5``, ``\\frac{7}{3}``) or a list (``[1, 2]``)."""
    _check_length(text, limits.max_chars, "answer")
    value = " ".join(text.split())
    if value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    if value.startswith("["):
        return parse_list_literal(value, limits, "answer")
    match = _FRAC.fullmatch(value) or _NUMBER.fullmatch(value)
    if match is None:
        raise TaskSyntaxError(
            f"answer {_shown(text)} is not a value; write a number such as 7, -7/3 or 2.5, "
            "or a list such as [1, 2, 3]"
        )
    _check_digits(value, limits, "answer")
    if match.re is _FRAC:
        sign, top, bottom = match[1], Fraction(match[2]), Fraction(match[3])
    else:
        sign = match[1]
        top = Fraction(match[2])
        bottom = Fraction(f"{match[3]}{match[4]}") if match[4] is not None else Fraction(1)
    if bottom == 0:
        raise TaskSyntaxError(f"answer {_shown(text)} divides by zero")
    result = top / bottom
    return -result if sign == "-" else result


def parse_answer(text: str, limits: Limits = DEFAULT_LIMITS) -> Fraction | tuple[int, ...]:
    """The value answered in a reply (see :func:`extract_answer` and :func:`parse_value`)."""
    return parse_value(extract_answer(text, limits), limits)


def normalise_name(text: str) -> str:
    """How entity names are compared: lower case, letters and digits only."""
    return "".join(c for c in text.casefold() if c.isalnum())


def answers_equal(a: Answer | int, b: Answer | int) -> bool:
    """Exact equality: numbers as rationals, lists element by element, names after
    :func:`normalise_name`. Values of different kinds are never equal."""
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and normalise_name(a) == normalise_name(b)
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return Fraction(a) == Fraction(b)


def format_answer(answer: Answer | int) -> str:
    """The canonical text of an answer: ``7``, ``-7/3``, ``[1, 2]`` or the name."""
    if isinstance(answer, str):
        return answer
    if isinstance(answer, tuple):
        return "[" + ", ".join(str(v) for v in answer) + "]"
    return str(Fraction(answer))


# ---- families -------------------------------------------------------------------------------


def check_difficulty(difficulty: int, top: int = MAX_DIFFICULTY) -> int:
    if isinstance(difficulty, bool) or not isinstance(difficulty, int | np.integer):
        raise InvalidParameterError(f"difficulty must be an integer 1..{top}; got {difficulty!r}")
    if not 1 <= difficulty <= top:
        raise InvalidParameterError(f"difficulty must be in 1..{top}; got {difficulty}")
    return int(difficulty)


def _int(rng: np.random.Generator, low: int, high: int) -> int:
    """A uniform integer in ``low..high`` (both included)."""
    return int(rng.integers(low, high + 1))


class TaskFamily(ABC):
    """One task language: parse and solve, generate, read answers, offer wrong choices."""

    name: str = ""
    grammar: str = ""
    """A few lines that teach the language (for rules texts and prompts)."""

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    @abstractmethod
    def solve(self, task: str) -> Answer:
        """The true answer of ``task``; raises :class:`TaskError`."""

    @abstractmethod
    def generate(self, difficulty: int, rng: np.random.Generator) -> tuple[str, Answer]:
        """A random task of ``difficulty`` (1..MAX_DIFFICULTY) and its answer."""

    @abstractmethod
    def is_trivial(self, task: str) -> bool:
        """Whether ``task`` already states its answer (needs no computation)."""

    @abstractmethod
    def operations(self, task: str) -> int:
        """How many operations ``task`` asks for (operators, steps or hops): the measure of
        difficulty that the generators raise, for tasks that someone wrote."""

    def parse_answer(self, text: str) -> Answer:
        """The answer a reply gives; raises :class:`TaskError`."""
        return parse_answer(text, self.limits)

    def view(self, task: str) -> str:
        """What a solver is shown of ``task`` when it chooses among answers."""
        return task

    def distractors(self, answer: Answer, count: int, rng: np.random.Generator) -> list[Answer]:
        """``count`` distinct wrong answers of the same kind as ``answer``."""
        if isinstance(answer, tuple):
            return _list_distractors(answer, count, rng)
        if isinstance(answer, Fraction):
            return list(_number_distractors(answer, count, rng))
        raise InvalidParameterError(f"{self.name}: no distractors for {answer!r}")


def _number_distractors(answer: Fraction, count: int, rng: np.random.Generator) -> list[Fraction]:
    """The answer shifted by distinct non-zero integers, with as many below it as a uniform
    draw says: the rank of the right answer among the choices is uniform, so neither its
    size nor its place tells it apart."""
    below = _int(rng, 0, count)
    span = 2 * count + 2
    downs = rng.choice(np.arange(1, span + 1), size=below, replace=False)
    ups = rng.choice(np.arange(1, span + 1), size=count - below, replace=False)
    return [answer - int(k) for k in downs] + [answer + int(k) for k in ups]


def _list_distractors(
    answer: tuple[int, ...], count: int, rng: np.random.Generator
) -> list[Answer]:
    """Lists that differ from the answer in one element (or by one element if empty)."""
    seen: set[tuple[int, ...]] = {answer}
    out: list[Answer] = []
    tries = 0
    while len(out) < count:
        tries += 1
        delta = _int(rng, 1, 5) * (1 if rng.random() < 0.5 else -1)
        if not answer or tries > 50 * count:
            candidate = (*answer, len(out) + tries)
        else:
            j = _int(rng, 0, len(answer) - 1)
            candidate = (*answer[:j], answer[j] + delta, *answer[j + 1 :])
        if candidate not in seen:
            seen.add(candidate)
            out.append(candidate)
    return out


class ArithmeticFamily(TaskFamily):
    name = "arithmetic"
    grammar = (
        "arithmetic: an expression with integers, decimals, + - * /, parentheses and unary "
        "minus, e.g. (3 + 4) * 5 / 6 - -2. The answer is its exact value: an integer or a "
        "fraction such as -7/3."
    )

    def solve(self, task: str) -> Answer:
        return evaluate_arithmetic(task, self.limits)

    def is_trivial(self, task: str) -> bool:
        node = _parse_expression(
            _check_length(task, self.limits.max_chars, "task"), self.name, self.limits, False
        )
        while isinstance(node, Neg):
            node = node.operand
        return isinstance(node, Num)

    def operations(self, task: str) -> int:
        _check_length(task, self.limits.max_chars, "arithmetic task")
        return _count_operations(_parse_expression(task, self.name, self.limits, False))

    def generate(self, difficulty: int, rng: np.random.Generator) -> tuple[str, Answer]:
        """``difficulty`` operators; operands up to ``10 * difficulty``; ``*`` from
        difficulty 2 and ``/`` (rational answers) from difficulty 3."""
        d = check_difficulty(difficulty)
        ops = "+-" if d == 1 else "+-*" if d == 2 else "+-*/"
        for _ in range(100):
            text = _render(_random_tree(d, ops, 10 * d, rng))
            try:
                return text, self.solve(text)
            except TaskMathError:  # a division by zero: draw again
                continue
        raise RedqueenError("arithmetic generator found no task without a division by zero")


_Tree: TypeAlias = int | tuple[str, "_Tree", "_Tree"]
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


def _random_tree(n_ops: int, ops: str, top: int, rng: np.random.Generator) -> _Tree:
    if n_ops == 0:
        return _int(rng, 1, top)
    left = _int(rng, 0, n_ops - 1)
    op = ops[_int(rng, 0, len(ops) - 1)]
    return (op, _random_tree(left, ops, top, rng), _random_tree(n_ops - 1 - left, ops, top, rng))


def _render(tree: _Tree) -> str:
    """Infix text with the parentheses that precedence and associativity need."""
    if isinstance(tree, int):
        return str(tree)
    op, left, right = tree
    text_left, text_right = _render(left), _render(right)
    if not isinstance(left, int) and _PRECEDENCE[left[0]] < _PRECEDENCE[op]:
        text_left = f"({text_left})"
    if not isinstance(right, int) and (
        _PRECEDENCE[right[0]] < _PRECEDENCE[op]
        or (_PRECEDENCE[right[0]] == _PRECEDENCE[op] and op in "-/")
    ):
        text_right = f"({text_right})"
    return f"{text_left} {op} {text_right}"


class LinearFamily(TaskFamily):
    name = "linear"
    grammar = (
        "linear: a linear equation in one variable, e.g. 3*x + 4 = 19 or 2(x - 1) = x/3 + 5 "
        "(3x means 3*x). The answer is the exact solution: an integer or a fraction."
    )

    def solve(self, task: str) -> Answer:
        return solve_linear(task, self.limits)

    def is_trivial(self, task: str) -> bool:
        """``x = 5`` or ``-2 = x``: one side the bare variable, the other a number."""
        equation = parse_equation(task, self.limits)
        sides = (equation.left, equation.right)
        for this, other in (sides, sides[::-1]):
            while isinstance(other, Neg):
                other = other.operand
            if isinstance(this, Var) and isinstance(other, Num):
                return True
        return False

    def operations(self, task: str) -> int:
        equation = parse_equation(task, self.limits)
        return _count_operations(equation.left) + _count_operations(equation.right)

    def generate(self, difficulty: int, rng: np.random.Generator) -> tuple[str, Answer]:
        """Difficulty 1: ``a*x + b = c``; 2: the variable on both sides; both with an
        integer solution within ``±5 d``. From 3: ``d - 1`` terms a side, with products of
        sums and (from 5) divisions, and rational solutions. Coefficients and constants
        grow with ``d`` (constants up to ``10 d``)."""
        d = check_difficulty(difficulty)
        for _ in range(100):
            if d <= 2:
                text = self._integer_solution(d, rng)
            else:
                left = _linear_side(d - 1, d, rng)
                right = _linear_side(d - 1, d, rng)
                text = f"{left} = {right} {_signed(_int(rng, 1, 10 * d), rng)}"
            try:
                return text, self.solve(text)
            except TaskMathError:  # the variable cancelled: draw again
                continue
        raise RedqueenError("linear generator found no equation with one solution")

    def _integer_solution(self, d: int, rng: np.random.Generator) -> str:
        x0 = _int(rng, -5 * d, 5 * d)
        a = _int(rng, 2, 3 + 2 * d)
        b = _int(rng, 1, 10 * d)
        sign = 1 if rng.random() < 0.5 else -1
        left = f"{a}*x {'+' if sign > 0 else '-'} {b}"
        if d == 1:
            return f"{left} = {a * x0 + sign * b}"
        c = _int(rng, 1, 3 + 2 * d)
        while c == a:
            c = _int(rng, 1, 3 + 2 * d)
        e = a * x0 + sign * b - c * x0
        return f"{left} = {c}*x {'+' if e >= 0 else '-'} {abs(e)}"


def _signed(value: int, rng: np.random.Generator) -> str:
    return f"{'+' if rng.random() < 0.5 else '-'} {value}"


def _linear_term(d: int, rng: np.random.Generator) -> str:
    k = _int(rng, 1, 2 + d)
    m = _int(rng, 1, 4 * d)
    kinds = 4 if d < 5 else 5
    kind = _int(rng, 0, kinds - 1)
    if kind == 0:
        return f"{k}*x"
    if kind == 1:
        return str(m)
    if kind == 2:
        return f"{k}*(x {_signed(m, rng)})"
    if kind == 3:
        return f"{k}*({m} - x)"
    return f"({k}*x {_signed(m, rng)})/{_int(rng, 2, d)}"


def _linear_side(n_terms: int, d: int, rng: np.random.Generator) -> str:
    parts = [_linear_term(d, rng)]
    for _ in range(n_terms - 1):
        parts.append(f"{'+' if rng.random() < 0.5 else '-'} {_linear_term(d, rng)}")
    return " ".join(parts)


class ListFamily(TaskFamily):
    name = "list"
    grammar = (
        "list: a list of integers piped through steps, e.g. [3, 1, 2] | sort | map +1 | "
        "take 2 | sum. Steps: sort, reverse, map +k, map -k, map *k, filter even, filter "
        "odd, filter >k, filter <k, take k, drop k; the last step may be sum, len, max or "
        "min. The answer is an integer, or a list such as [2, 3]."
    )

    def solve(self, task: str) -> Answer:
        return run_list(task, self.limits)

    def is_trivial(self, task: str) -> bool:
        return not parse_list_program(task, self.limits).ops

    def operations(self, task: str) -> int:
        return len(parse_list_program(task, self.limits).ops)

    def generate(self, difficulty: int, rng: np.random.Generator) -> tuple[str, Answer]:
        """``3 + difficulty`` elements within ``±(5 * difficulty + 4)``, then
        ``difficulty`` steps; the last is a number-valued step half of the time."""
        d = check_difficulty(difficulty)
        top = 5 * d + 4
        for _ in range(100):
            values = [_int(rng, -top, top) for _ in range(3 + d)]
            steps: list[str] = []
            length = len(values)
            for i in range(d):
                if i == d - 1 and rng.random() < 0.5:
                    steps.append(SCALAR_OPS[_int(rng, 0, len(SCALAR_OPS) - 1)])
                    break
                step, length = _list_step(length, rng)
                steps.append(step)
            text = " | ".join(["[" + ", ".join(str(v) for v in values) + "]", *steps])
            try:
                return text, self.solve(text)
            except TaskMathError:  # the max or min of a list filtered empty: draw again
                continue
        raise RedqueenError("list generator found no program with a value")


def _list_step(length: int, rng: np.random.Generator) -> tuple[str, int]:
    """A random list-to-list step and an upper bound on the length after it."""
    kind = LIST_OPS[_int(rng, 0, len(LIST_OPS) - 1)]
    if kind in ("sort", "reverse"):
        return kind, length
    if kind == "map":
        op = "+-*"[_int(rng, 0, 2)]
        k = _int(rng, 2, 3) if op == "*" else _int(rng, 1, 9)
        return f"map {op}{k}", length
    if kind == "filter":
        which = _int(rng, 0, 3)
        if which < 2:
            return f"filter {('even', 'odd')[which]}", length
        return f"filter {'><'[which - 2]}{_int(rng, -5, 5)}", length
    n = _int(rng, 1, max(1, length))
    if kind == "take":
        return f"take {n}", min(n, length)
    return f"drop {min(n, max(0, length - 1))}", length


FAMILIES: dict[str, type[TaskFamily]] = {
    "arithmetic": ArithmeticFamily,
    "linear": LinearFamily,
    "list": ListFamily,
}
"""The task languages of this module by name (``multi_hop`` lives in
:mod:`redqueen.games.roles.knowledge_graph`: it needs a graph)."""


def family(name: str, limits: Limits = DEFAULT_LIMITS) -> TaskFamily:
    """The task family ``name`` (one of :data:`FAMILIES`)."""
    if name not in FAMILIES:
        raise UnknownNameError("task family", str(name), FAMILIES)
    return FAMILIES[name](limits)


def solve(family_name: str, task: str, limits: Limits = DEFAULT_LIMITS) -> Answer:
    """The true answer of ``task`` written in the language ``family_name``."""
    return family(family_name, limits).solve(task)


def generate(family_name: str, difficulty: int, rng: np.random.Generator) -> tuple[str, Answer]:
    """A random task of ``family_name`` at ``difficulty`` (1..10) and its exact answer."""
    return family(family_name).generate(difficulty, rng)
