"""The task languages: exact values of hand-written tasks, the errors and their messages,
the limits, answer reading and comparison, the generators' difficulty knob, and fuzzing
(random and adversarial text never hangs, never fails with anything but a TaskError, and
never reaches Python's code execution)."""

from __future__ import annotations

import ast
import builtins
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import redqueen
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.roles import tasks
from redqueen.games.roles.tasks import (
    Limits,
    TaskError,
    TaskLimitError,
    TaskMathError,
    TaskSyntaxError,
    answers_equal,
    evaluate_arithmetic,
    format_answer,
    parse_answer,
    run_list,
    solve_linear,
)

ROLES = Path(tasks.__file__).parent
FUZZ = settings(
    deadline=timedelta(milliseconds=500),
    max_examples=250,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)


# ---- exact values ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 + 2 * 3", Fraction(7)),
        ("(1 + 2) * 3", Fraction(9)),
        ("10 - 4 - 3", Fraction(3)),  # left to right
        ("2 * 3 / 4", Fraction(3, 2)),
        ("1 / 3 + 1 / 6", Fraction(1, 2)),
        ("(3 + 4) * 5 / 6 - -2", Fraction(47, 6)),
        ("-(2 - 5) * -1", Fraction(-3)),
        ("2(3 + 4)", Fraction(14)),  # a product
        ("0.25 * 8 + .5", Fraction(5, 2)),  # decimals are exact
        ("7 × 3 ÷ 2 − 1", Fraction(19, 2)),  # the Unicode signs models write
        ("  12\t/\n(2 - 8)  ", Fraction(-2)),
        ("123456789012345678901234567890 - 123456789012345678901234567889", Fraction(1)),
    ],
)
def test_arithmetic_values(text: str, value: Fraction) -> None:
    assert evaluate_arithmetic(text) == value
    assert tasks.solve("arithmetic", text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("3*x + 4 = 19", Fraction(5)),
        ("3x + 4 = 19", Fraction(5)),
        ("2(x - 1) = x/3 + 5", Fraction(21, 5)),
        ("x = -7/3", Fraction(-7, 3)),
        ("5 = 2 - x", Fraction(-3)),
        ("(x + 1)/4 = (x - 1)/2", Fraction(3)),
        ("y - 0.5 = 2y", Fraction(-1, 2)),  # any one letter is the variable
        ("4*(2 - x) + 3*x = x / 2", Fraction(16, 3)),
    ],
)
def test_linear_solutions(text: str, value: Fraction) -> None:
    assert solve_linear(text) == value


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("x = x", TaskMathError, "every value of the variable solves it"),
        ("2*x + 1 = 2*x + 3", TaskMathError, "no value of the variable solves it"),
        ("x * x = 4", TaskSyntaxError, "must be linear"),
        ("1 / x = 4", TaskSyntaxError, "divides by an expression in the variable"),
        ("x / (3 - 3) = 1", TaskMathError, "divides by zero"),
        ("x + 1", TaskSyntaxError, "exactly one '='"),
        ("x = 1 = 1", TaskSyntaxError, "exactly one '='"),
        ("x + y = 1", TaskSyntaxError, "only one is allowed"),
        ("2 + 3 = 5", TaskSyntaxError, "has no variable"),
        ("sin(x) = 0", TaskSyntaxError, "unknown word 'sin'"),
    ],
)
def test_linear_errors(text: str, error: type[TaskError], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        solve_linear(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[3, 1, 2] | sort | map +1 | take 2 | sum", Fraction(5)),
        ("[3, 1, 2] | sort", (1, 2, 3)),
        ("[3, 1, 2] | reverse", (2, 1, 3)),
        ("[3, -1, 2] | map *-2", (-6, 2, -4)),
        ("[3, -1, 2] | map - 4", (-1, -5, -2)),
        ("[1, 2, 3, 4, 5, 6] | filter even", (2, 4, 6)),
        ("[1, 2, 3, 4, 5, -3] | filter odd", (1, 3, 5, -3)),
        ("[1, 2, 3, 4, 5] | filter >3", (4, 5)),
        ("[1, 2, 3, 4, 5] | filter < -1", ()),
        ("[1, 2, 3, 4, 5] | drop 2 | take 2", (3, 4)),
        ("[1, 2, 3] | take 10", (1, 2, 3)),
        ("[4, 9, -2] | max", Fraction(9)),
        ("[4, 9, -2] | min", Fraction(-2)),
        ("[4, 9, -2] | len", Fraction(3)),
        ("[] | sum", Fraction(0)),
        ("[]", ()),
        ("  [ 5 ,6 ]|map*2|sum ", Fraction(22)),
    ],
)
def test_list_program_values(text: str, value: Fraction | tuple[int, ...]) -> None:
    assert run_list(text) == value


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("[] | max", TaskMathError, "max of an empty list"),
        ("[1, 2] | sum | sort", TaskSyntaxError, "sum gives a number, so it must be the last step"),
        ("[1, 2] | shuffle", TaskSyntaxError, "allowed: sort, reverse, map +k"),
        ("[1, 2] | map /2", TaskSyntaxError, "is not an operation"),
        ("[1, 2] sort", TaskSyntaxError, "expected '|' after the list"),
        ("1, 2 | sort", TaskSyntaxError, "must start with a list"),
        ("[1, 2.5]", TaskSyntaxError, "is not an integer"),
        ("[1, [2]]", TaskSyntaxError, "is not an integer"),
    ],
)
def test_list_program_errors(text: str, error: type[TaskError], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        run_list(text)


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("1 / 0", TaskMathError, "divides by zero"),
        ("1 / (2 - 2)", TaskMathError, "divides by zero"),
        ("9**9**9", TaskSyntaxError, "expected a number or '(' at position 2, found '*'"),
        ("2 ^ 3", TaskSyntaxError, "unexpected character '^' at position 2; allowed: digits"),
        ("(1 + 2", TaskSyntaxError, "expected ')' at position 6, found the end of the text"),
        ("1 + 2)", TaskSyntaxError, "expected an operator or the end of the expression"),
        ("", TaskSyntaxError, "is empty"),
        ("1 2", TaskSyntaxError, "found '2'"),
        ("x + 1", TaskSyntaxError, "unexpected character 'x'"),
        ("٣ + ٤", TaskSyntaxError, "unexpected character '٣'"),  # Arabic-Indic digits
        ("１２ + 1", TaskSyntaxError, "unexpected character '１'"),  # full-width digits
        ("__import__('os').system('true')", TaskSyntaxError, "unexpected character '_'"),
    ],
)
def test_arithmetic_errors(text: str, error: type[TaskError], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        evaluate_arithmetic(text)


def test_errors_are_redqueen_value_errors() -> None:
    for cls in (TaskSyntaxError, TaskLimitError, TaskMathError):
        assert issubclass(cls, TaskError)
        assert issubclass(cls, RedqueenError) and issubclass(cls, ValueError)


# ---- limits -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "text", "message"),
    [
        ("arithmetic", "(" * 33 + "1" + ")" * 33, "more than 32 deep"),
        ("arithmetic", "-" * 40 + "1", "more than 32 deep"),
        ("arithmetic", "9" * 41, "number of 41 digits; at most 40"),
        ("arithmetic", "1" * 2001, "2001 characters long; at most 2000"),
        ("arithmetic", " * ".join(["99999999999999999999"] * 3), "more than 40 digits"),
        ("arithmetic", "1/" + "/".join(["99999999999999999999"] * 3), "more than 40 digits"),
        ("linear", "x = " + " * ".join(["99999999999999999999"] * 3), "more than 40 digits"),
        ("list", "[" + ",".join(["1"] * 65) + "]", "65 elements; at most 64"),
        ("list", "[99] | " + " | ".join(["map *99999"] * 10), "more than 40 digits"),
        ("list", "[" + ",".join(["1"] * 64) + "]" + " | sort" * 30, "more than 10000 steps"),
    ],
)
def test_size_and_step_limits(family: str, text: str, message: str) -> None:
    start = time.perf_counter()
    with pytest.raises(TaskLimitError, match=re.escape(message)):
        tasks.solve(family, text)
    assert time.perf_counter() - start < 0.5


def test_custom_limits_are_kept() -> None:
    small = Limits(max_chars=20, max_depth=2, max_digits=3, max_list=3, max_steps=5)
    assert evaluate_arithmetic("(1 + 2)", small) == 3
    with pytest.raises(TaskLimitError, match="more than 2 deep"):
        evaluate_arithmetic("((-1))", small)
    with pytest.raises(TaskLimitError, match="more than 5 steps"):
        evaluate_arithmetic("1+1+1+1+1", small)
    with pytest.raises(TaskLimitError, match="number of 4 digits; at most 3"):
        evaluate_arithmetic("1000", small)
    with pytest.raises(TaskLimitError, match="more than 3 digits"):
        evaluate_arithmetic("999 + 1", small)
    with pytest.raises(TaskLimitError, match="4 elements; at most 3"):
        run_list("[1, 2, 3, 4]", small)
    with pytest.raises(TaskLimitError, match="at most 20 are allowed"):
        evaluate_arithmetic("1 + 1 + 1 + 1 + 1 + 1", small)
    with pytest.raises(InvalidParameterError, match="max_depth must be an integer >= 1"):
        Limits(max_depth=0)


# ---- answers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "value"),
    [
        ("so the result is \\boxed{-7/3}.", Fraction(-7, 3)),
        ("\\boxed{1} then \\boxed{\\frac{7}{3}}", Fraction(7, 3)),  # the last box
        ("\\boxed{\\dfrac{-1}{4}}", Fraction(-1, 4)),
        ("-\\frac{3}{6}", Fraction(-1, 2)),
        ("\\boxed{\\text{12}}", Fraction(12)),
        ("<answer>x = 5</answer>", Fraction(5)),
        ("<ANSWER> 2.50 </ANSWER>", Fraction(5, 2)),
        ("$-4$", Fraction(-4)),
        ("(-4)", Fraction(-4)),
        ("6 / -4", Fraction(-3, 2)),
        ("5.", Fraction(5)),
        ("\\boxed{[1, -2, 3]}", (1, -2, 3)),
        ("[ ]", ()),
        ("<answer>[4,5]</answer> wait, \\boxed{[4, 6]}", (4, 6)),  # a box wins over a tag
    ],
)
def test_answers_are_read(reply: str, value: Fraction | tuple[int, ...]) -> None:
    assert parse_answer(reply) == value


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ("the answer is five", "is not a value"),
        ("\\boxed{}", "is not a value"),
        ("3/0", "divides by zero"),
        ("2 + 3", "is not a value"),  # an expression is not an answer
        ("\\boxed{[1, x]}", "is not an integer"),
        ("reasoning " * 300, "no \\boxed{...} or <answer>...</answer>"),
    ],
)
def test_unreadable_answers(reply: str, message: str) -> None:
    with pytest.raises(TaskSyntaxError, match=re.escape(message)):
        parse_answer(reply)


def test_long_replies_are_refused_by_the_limit() -> None:
    with pytest.raises(TaskLimitError, match="50001 characters long"):
        parse_answer("1" * 50_001)
    assert parse_answer("x" * 49_000 + "\\boxed{3}") == 3


def test_answers_equal_is_exact() -> None:
    assert answers_equal(Fraction(1, 2), Fraction(2, 4))
    assert answers_equal(Fraction(3), 3)
    assert not answers_equal(Fraction(1, 3), parse_answer("0.3333333333"))
    assert answers_equal((1, 2), (1, 2))
    assert not answers_equal((1, 2), (2, 1))
    assert not answers_equal((3,), Fraction(3))  # a list is not a number
    assert not answers_equal(Fraction(1), True)
    assert answers_equal("Kalo", " kalo ")
    assert not answers_equal("Kalo", Fraction(1))


@pytest.mark.parametrize("value", [Fraction(-7, 3), Fraction(12), (1, -2), (), Fraction(0)])
def test_format_then_parse_round_trips(value: Fraction | tuple[int, ...]) -> None:
    text = format_answer(value)
    assert parse_answer(text) == value
    assert parse_answer(f"\\boxed{{{text}}}") == value
    assert format_answer(Fraction(-7, 3)) == "-7/3" and format_answer((1, -2)) == "[1, -2]"


# ---- families and generators --------------------------------------------------------------


def test_unknown_family_and_difficulty_are_refused() -> None:
    with pytest.raises(UnknownNameError, match="allowed: arithmetic, linear, list"):
        tasks.family("algebra")
    with pytest.raises(InvalidParameterError, match=r"difficulty must be in 1\.\.10; got 11"):
        tasks.generate("list", 11, np.random.default_rng(0))


@pytest.mark.parametrize("name", ["arithmetic", "linear", "list"])
def test_generated_tasks_have_the_answers_the_interpreter_gives(name: str) -> None:
    family = tasks.family(name)
    for difficulty in range(1, 11):
        for seed in range(12):
            text, answer = family.generate(difficulty, np.random.default_rng([seed, difficulty]))
            again = family.generate(difficulty, np.random.default_rng([seed, difficulty]))
            assert again == (text, answer)  # the Generator decides everything
            assert answers_equal(family.solve(text), answer)
            assert not family.is_trivial(text)


def _mean_over_seeds(name: str, difficulty: int, measure: Callable[[str, Any], float]) -> float:
    family = tasks.family(name)
    values = []
    for seed in range(40):
        text, answer = family.generate(difficulty, np.random.default_rng([7, seed]))
        values.append(measure(text, answer))
    return float(np.mean(values))


def _largest_literal(text: str, _: Any) -> float:
    return max(int(n) for n in re.findall(r"[0-9]+", text))


def test_difficulty_adds_operations_and_widens_numbers() -> None:
    arithmetic, listing = tasks.family("arithmetic"), tasks.family("list")
    for d in range(1, 11):  # exactly d operators, exactly d steps
        for seed in range(5):
            text, _ = arithmetic.generate(d, np.random.default_rng(seed))
            assert len(re.findall(r" [-+*/] ", text)) == d == arithmetic.operations(text)
            text, _ = listing.generate(d, np.random.default_rng(seed))
            assert text.count("|") == d == listing.operations(text)
    for name in ("arithmetic", "linear", "list"):
        ops = [
            _mean_over_seeds(name, d, lambda t, _, n=name: tasks.family(n).operations(t))
            for d in (1, 4, 8)
        ]
        size = [_mean_over_seeds(name, d, _largest_literal) for d in (1, 4, 8)]
        assert ops[0] < ops[1] < ops[2], (name, ops)
        assert size[0] < size[1] < size[2], (name, size)


def test_arithmetic_difficulty_brings_in_products_then_fractions() -> None:
    def texts(d: int) -> list[str]:
        return [tasks.generate("arithmetic", d, np.random.default_rng(s))[0] for s in range(30)]

    assert all(set(re.findall(r" ([-+*/]) ", t)) <= {"+", "-"} for t in texts(1))
    assert any("*" in t for t in texts(2)) and not any("/" in t for t in texts(2))
    answers = [tasks.generate("arithmetic", 4, np.random.default_rng(s))[1] for s in range(30)]
    assert any(isinstance(a, Fraction) and a.denominator > 1 for a in answers)


def test_linear_solutions_are_integers_up_to_difficulty_two() -> None:
    for d, integral in ((1, True), (2, True)):
        for s in range(30):
            text, answer = tasks.generate("linear", d, np.random.default_rng(s))
            assert isinstance(answer, Fraction) and (answer.denominator == 1) is integral
    late = [tasks.generate("linear", 5, np.random.default_rng(s))[1] for s in range(30)]
    assert any(isinstance(a, Fraction) and a.denominator > 1 for a in late)
    text, answer = tasks.generate("linear", 1, np.random.default_rng(3))
    assert re.fullmatch(r"\d\*x [-+] \d+ = -?\d+", text), text


def test_number_distractors_hide_the_answer() -> None:
    family = tasks.family("arithmetic")
    ranks = []
    for s in range(400):
        answer = Fraction(7, 3)
        wrong = family.distractors(answer, 7, np.random.default_rng(s))
        assert len(wrong) == 7 and len(set(wrong)) == 7 and answer not in wrong
        assert all(isinstance(w, Fraction) and w.denominator == 3 for w in wrong)
        ranks.append(sorted([answer, *wrong]).index(answer))
    counts = np.bincount(ranks, minlength=8)
    assert counts.min() >= 30, counts  # every rank, about 50 times each


def test_list_distractors_differ_in_one_element() -> None:
    family = tasks.family("list")
    wrong = family.distractors((1, 2, 3), 7, np.random.default_rng(0))
    assert len(set(wrong)) == 7 and (1, 2, 3) not in wrong
    for w in wrong:
        assert isinstance(w, tuple) and len(w) == 3
        assert sum(a != b for a, b in zip(w, (1, 2, 3), strict=True)) == 1
    empty = family.distractors((), 3, np.random.default_rng(0))
    assert len(set(empty)) == 3 and all(isinstance(w, tuple) and len(w) == 1 for w in empty)


@pytest.mark.parametrize(
    ("name", "text", "trivial"),
    [
        ("arithmetic", "-(5)", True),
        ("arithmetic", "2 + 3", False),
        ("linear", "x = -5", True),
        ("linear", "7 = x", True),
        ("linear", "x = 2 + 3", False),
        ("list", "[1, 2]", True),
        ("list", "[1, 2] | sum", False),
    ],
)
def test_trivial_tasks(name: str, text: str, trivial: bool) -> None:
    assert tasks.family(name).is_trivial(text) is trivial


# ---- fuzzing -------------------------------------------------------------------------------


class _CodeExecuted(AssertionError):
    pass


@contextmanager
def no_code_execution() -> Iterator[None]:
    """Makes eval, exec and compile fail loudly while the interpreter runs."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise _CodeExecuted(f"code execution attempted: {args[:1]!r}")

    with (
        mock.patch.object(builtins, "eval", refuse),
        mock.patch.object(builtins, "exec", refuse),
        mock.patch.object(builtins, "compile", refuse),
    ):
        yield


def _value_or_task_error(call: Callable[[], object]) -> None:
    try:
        value = call()
    except TaskError as err:
        assert str(err)
        return
    assert isinstance(value, Fraction | tuple | int | str), value


GRAMMAR = (
    "0123456789 +-*/().=x[]|,<>" + "sortmapfilterevenoddtakedropsumlenmaxminreverse" + "×÷−\u200b"
)


@FUZZ
@given(st.text(max_size=300))
def test_any_text_is_a_value_or_a_task_error(text: str) -> None:
    with no_code_execution():
        for name in ("arithmetic", "linear", "list"):
            _value_or_task_error(lambda n=name: tasks.solve(n, text))
        _value_or_task_error(lambda: parse_answer(text))


@FUZZ
@given(st.text(alphabet=GRAMMAR, max_size=400))
def test_text_near_the_grammar_is_a_value_or_a_task_error(text: str) -> None:
    with no_code_execution():
        for name in ("arithmetic", "linear", "list"):
            _value_or_task_error(lambda n=name: tasks.solve(n, text))
            _value_or_task_error(lambda n=name: tasks.family(n).is_trivial(text))
        _value_or_task_error(lambda: parse_answer(text))


Tree = Any  # int | tuple[str, Tree, Tree] | tuple["neg", Tree]

trees = st.recursive(
    st.integers(min_value=0, max_value=10**45),
    lambda inner: st.one_of(
        st.tuples(st.sampled_from("+-*/"), inner, inner),
        st.tuples(st.just("neg"), inner),
    ),
    max_leaves=40,
)


def _text(tree: Tree) -> str:
    if isinstance(tree, int):
        return str(tree)
    if tree[0] == "neg":
        return f"-({_text(tree[1])})"
    return f"({_text(tree[1])} {tree[0]} {_text(tree[2])})"


def _value(tree: Tree) -> Fraction:
    """The tree's value with Python's own Fraction arithmetic (ZeroDivisionError at /0)."""
    if isinstance(tree, int):
        return Fraction(tree)
    if tree[0] == "neg":
        return -_value(tree[1])
    a, b = _value(tree[1]), _value(tree[2])
    return {"+": a + b, "-": a - b, "*": a * b}[tree[0]] if tree[0] != "/" else a / b


@FUZZ
@given(trees)
def test_expression_trees_evaluate_exactly_or_fail_cleanly(tree: Tree) -> None:
    text = _text(tree)
    with no_code_execution():
        try:
            got = evaluate_arithmetic(text)
        except TaskMathError:
            with pytest.raises(ZeroDivisionError):
                _value(tree)
            return
        except TaskLimitError:
            return  # too deep, too long, or a number of more than 40 digits
    assert got == _value(tree)


@pytest.mark.parametrize(
    "text",
    [
        "9" * 100_000,  # a huge number, written out
        "(" * 100_000,
        "(" * 1999,
        "-" * 1999 + "1",
        "1" + "*9999999999999999999" * 90,
        "[" * 1000 + "]" * 1000,
        "[" + ",".join(["9" * 39] * 64) + "]" + " | map *9" * 50,
        "\u202e1+1\u202d" * 100,  # bidirectional controls
        "\x00" * 1000,
        "x" * 1000 + "=" + "x" * 900,
        "1" + "+1" * 999,
    ],
)
def test_adversarial_inputs_fail_fast(text: str) -> None:
    with no_code_execution():
        for name in ("arithmetic", "linear", "list"):
            start = time.perf_counter()
            _value_or_task_error(lambda n=name: tasks.solve(n, text))
            assert time.perf_counter() - start < 0.5, (name, text[:30])
        start = time.perf_counter()
        _value_or_task_error(lambda: parse_answer(text))
        assert time.perf_counter() - start < 0.5


def test_the_no_code_guard_itself_catches_eval() -> None:
    with no_code_execution(), pytest.raises(_CodeExecuted):
        eval("1 + 1")


def test_role_modules_never_call_code_execution() -> None:
    """The interpreters, the role games, their judges and their scripted players are
    written by hand: no eval, exec, compile, __import__, and no subprocess or os module,
    in any module of the role games or of their agents (every one is checked, so a new
    module is checked too), nor in the LLM judge."""
    banned_calls = {"eval", "exec", "compile", "__import__"}
    agents = Path(redqueen.__file__).parent / "agents"
    paths = [*sorted(ROLES.glob("*.py")), *sorted((agents / "roles").glob("*.py"))]
    paths.append(agents / "llm" / "judge.py")
    names = {p.name for p in paths}
    assert {"critic.py", "red_team.py", "preference.py", "judges.py", "tasks.py"} <= names
    for path in paths:
        name = str(path)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in banned_calls, (name, node.func.id)
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & {"subprocess", "os"}
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in {"subprocess", "os"}, name
