"""SPC's critic game: a sneaky generator hides an error in one step, a critic judges it.

SPC, the Self-Play Critic (Chen et al. 2025, "SPC: Evolving Self-Play Critic via
Adversarial Games for LLM Reasoning", arXiv:2504.19162; code: chen-judge/SPC), trains a
step critic by an adversarial game between two copies of a model:

- the *sneaky generator* G is given a problem, a partial solution and a correct next step,
  picks an error type and rewrites the step into a wrong one;
- the *critic* C sees the problem, the partial solution and that last step, writes an
  analysis and ends with ``<Answer>Correct</Answer>`` or ``<Answer>Incorrect</Answer>``;
- zero-sum payoffs: the critic catches the error, C +1 and G -1; the critic is fooled,
  C -1 and G +1.

SPC reports the critic's accuracy on correct steps, its accuracy on erroneous steps,
their mean and their harmonic mean (``eval/infer_batch.py``; replies without a valid
``<Answer>`` tag are left out and counted in a "valid ratio");
:func:`redqueen.measure.critic.critic_metrics` computes them from :class:`CriticRecord`.

Here the solutions are exact-rational derivations that code checks step by step:

- A chance node draws one of ``problems`` generated problems (uniformly; the set is fixed
  by ``seed``): evaluate a sum of ``terms`` signed terms, each a number or a product or
  quotient of two numbers (integers, negative integers in parentheses and, with
  ``fractions``, fractions such as ``(3/4)``).
- The derivation evaluates one operation per step: the products and quotients first,
  left to right, then the sum left to right. A step reads ``a op b = c, so the
  expression becomes E``.
- The step checker (:func:`step_is_correct`, :class:`fractions.Fraction` arithmetic, no
  ``eval``): a step is correct when its claim ``a op b = c`` is true and ``E`` has the
  value of the expression before it.
- G (seat 0) picks a step k and an error type (:data:`ERROR_TYPES`): *operand* (the
  right operand miscopied, its numerator's magnitude one larger, and the claim worked out
  from the wrong operand), *operator* (``+`` and ``-`` swapped, ``*`` and ``/``
  swapped, the claim worked out with the wrong operator), *carry* (column arithmetic of
  integers that forgets the lowest carry of an addition or of a multiplication by one
  digit, or the lowest borrow of a subtraction), *sign* (the claimed result negated) or
  *dropped term* (the claim is right but the rewritten expression leaves out the next
  term, or the previous one when there is no next). With ``honest_moves`` G may also show
  step k as written. A perturbation that does not apply, or leaves the step correct by
  the checker (``a * 1`` read as ``a / 1``, a dropped term worth 0), or reads exactly as
  another move at the same step, is not offered as a legal move: every erroneous move
  the game offers is false by the checker, every honest one true.
- C (seat 1) sees the problem, steps 1..k-1 as the partial solution (SPC's "Let's solve
  this problem." when k = 1) and the shown step k as the last step, and answers Correct
  or Incorrect.
- Payoffs, zero-sum: the critic right, C +1 and G -1; wrong, C -1 and G +1. On a step
  shown as written the critic is right to say Correct, and an Incorrect there counts as
  fooled (G +1), so the critic gains nothing by always crying Incorrect.
- ``locate=True`` is the ProcessBench form of the task: C sees the whole solution (the
  steps after a perturbed step k carry on correctly from its wrong expression, so step k
  is the earliest and only false step) and answers Correct or ``Incorrect: step j``; it
  is right when it says Correct on a correct solution, or names j = k. In this form G
  has one honest move, "no error".

SPC has a single reward table (the one above), so the game takes no ``preset``.

Deviations from SPC, and why:

- Validity is an exact check that the step is now false, not SPC's test that solver
  rollouts from the new step succeed much less often than from the old one: code can
  check every step of these derivations, and no solver model is needed.
- G chooses among typed perturbations of one generated derivation instead of writing a
  new step as free text, so that the game has finite action ids that scripted, tabular
  and learned agents can play; an LLM plays it through the action texts and the step
  previews in G's view.
- G chooses the step k (in SPC the step comes with the data) and may show it unchanged;
  SPC's evaluation mixes correct and erroneous last steps in the same way (PRM800K pairs
  each correct last step with an incorrect one).

Views: G's text shows the whole correct solution and, for each legal move, the step it
would show; C's text follows SPC's prompt (``## Problem``, ``## Partial Solution``,
``## Last Step``). The information-state key (:class:`CriticKey`) names the problem, the
move shown and the verdict. The tensor view gives C the shown step as characters, never
the move's label, so that a learned critic has to read the arithmetic to judge it.

Nothing a player writes is executed: replies are read by small parsers
(:meth:`CriticState.parse_action`) over at most :data:`MAX_REPLY_CHARS` characters.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from redqueen.errors import InvalidParameterError, ParseActionError, RedqueenError
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Game,
    GameSpec,
    State,
    UtilityKind,
    match_action_text,
)

GENERATOR, CRITIC = 0, 1
"""Seats: the sneaky generator moves first, the critic answers."""
NO_ERROR = 0
ERROR_TYPES = ("operand", "operator", "carry", "sign", "dropped_term")
"""Error types by index 1..5 (index 0, :data:`NO_ERROR`, is a step shown as written)."""
MOVE_KINDS = ("as written", *ERROR_TYPES)
_MOVE_LABELS = (
    "as written",
    "operand error",
    "operator error",
    "carry error",
    "sign error",
    "dropped term",
)
CORRECT = 0
"""The critic's verdict Correct; Incorrect is 1 (``locate``: j, "Incorrect: step j")."""
MAX_REPLY_CHARS = 50_000
"""Longer replies are refused unread."""
MAX_PROBLEMS = 10_000
MAX_TERMS = 6

_OPERATORS = ("+", "-", "*", "/")
_SWAPPED = {"+": "-", "-": "+", "*": "/", "/": "*"}
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.IGNORECASE | re.DOTALL)
_VERDICT_WORD = re.compile(r"\b(not\s+correct|incorrect|correct)\b", re.IGNORECASE)
_LOCATED = re.compile(
    r"\b(?:incorrect|error|wrong)\W+(?:(?:at|in|is|on)\s+){0,2}step\s*(\d{1,3})\b", re.IGNORECASE
)
_GENERATOR_MOVE = re.compile(
    r"step\s*(\d{1,3})\W+(as written|no error|operand|operator|carry|sign|drop)",
    re.IGNORECASE,
)


# ---- arithmetic ---------------------------------------------------------------------------


def apply_operation(left: Fraction, op: str, right: Fraction) -> Fraction | None:
    """``left op right`` exactly; None for a division by zero."""
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return None if right == 0 else left / right
    raise RedqueenError(f"unknown operator {op!r}; allowed: {', '.join(_OPERATORS)}")


def format_number(x: Fraction, *, bare: bool = False) -> str:
    """``84``, ``(-3)``, ``(3/4)``; ``bare`` leaves out the parentheses (``-3``, ``3/4``)."""
    text = str(x.numerator) if x.denominator == 1 else f"{x.numerator}/{x.denominator}"
    if bare or (x >= 0 and x.denominator == 1):
        return text
    return f"({text})"


@dataclass(frozen=True)
class Term:
    """A number (``op`` None) or ``left op right`` with ``op`` ``*`` or ``/``."""

    left: Fraction
    op: str | None = None
    right: Fraction = Fraction(1)

    def value(self) -> Fraction:
        if self.op is None:
            return self.left
        value = apply_operation(self.left, self.op, self.right)
        if value is None:
            raise RedqueenError(f"division by zero in the term {self.text()}")
        return value

    def text(self) -> str:
        if self.op is None:
            return format_number(self.left)
        return f"{format_number(self.left)} {self.op} {format_number(self.right)}"


@dataclass(frozen=True)
class Expression:
    """A sum of signed terms: ``items`` are ``(sign, term)`` pairs, sign +1 or -1."""

    items: tuple[tuple[int, Term], ...]

    def value(self) -> Fraction:
        return sum((sign * term.value() for sign, term in self.items), Fraction(0))

    def text(self) -> str:
        parts = []
        for i, (sign, term) in enumerate(self.items):
            if i == 0:
                parts.append(("-" if sign < 0 else "") + term.text())
            else:
                parts.append(f"{'+' if sign > 0 else '-'} {term.text()}")
        return " ".join(parts)


@dataclass(frozen=True)
class DerivationStep:
    """One step: the claim ``left op right = result``, and the expression it leads to.

    ``position`` is the index in ``before`` of the term the step evaluates; ``merged``
    marks a step of the sum phase, which replaces the first two terms by their sum."""

    before: Expression
    left: Fraction
    op: str
    right: Fraction
    result: Fraction
    after: Expression
    position: int
    merged: bool

    def text(self) -> str:
        return (
            f"{format_number(self.left)} {self.op} {format_number(self.right)} = "
            f"{format_number(self.result, bare=True)}, so the expression becomes "
            f"{self.after.text()}"
        )


TEXT_SYMBOLS = "0123456789+-*/=(); "
"""The characters of :func:`compact_text`, in the order the tensor view encodes them."""
_SYMBOL_INDEX = {c: i for i, c in enumerate(TEXT_SYMBOLS)}


def compact_text(step: DerivationStep) -> str:
    """``step.text()`` with ", so the expression becomes " written "; "."""
    return step.text().replace(", so the expression becomes ", "; ")


def _rewrite(before: Expression, position: int, merged: bool, value: Fraction) -> Expression:
    """``before`` with the evaluated term (or, ``merged``, the first two) replaced by
    ``value``."""
    items = before.items
    if merged:
        return Expression(((1, Term(value)), *items[2:]))
    sign = items[position][0]
    return Expression((*items[:position], (sign, Term(value)), *items[position + 1 :]))


def correct_step(expression: Expression) -> DerivationStep | None:
    """The next step of the derivation: the first product or quotient, else the sum of the
    first two terms; None once one number is left."""
    items = expression.items
    for i, (_, term) in enumerate(items):
        if term.op is not None:
            result = term.value()
            return DerivationStep(
                expression,
                term.left,
                term.op,
                term.right,
                result,
                _rewrite(expression, i, False, result),
                i,
                False,
            )
    if len(items) < 2:
        return None
    (s1, t1), (s2, t2) = items[0], items[1]
    left, right = s1 * t1.left, t2.left
    op, total = ("+", left + right) if s2 > 0 else ("-", left - right)
    return DerivationStep(
        expression, left, op, right, total, _rewrite(expression, 0, True, total), 0, True
    )


def derive(expression: Expression) -> tuple[DerivationStep, ...]:
    """The whole derivation of ``expression``: every step up to a single number."""
    steps: list[DerivationStep] = []
    step = correct_step(expression)
    while step is not None:
        steps.append(step)
        step = correct_step(step.after)
    return tuple(steps)


def step_is_correct(step: DerivationStep) -> bool:
    """The step checker: the claim is true and the new expression keeps the value."""
    claimed = apply_operation(step.left, step.op, step.right)
    return claimed == step.result and step.after.value() == step.before.value()


# ---- the sneaky generator's perturbations -------------------------------------------------


def _miscopy(x: Fraction) -> Fraction:
    """``x`` with its numerator's magnitude one larger: 7 -> 8, -3 -> -4, 3/4 -> 1."""
    sign = -1 if x < 0 else 1
    return Fraction(sign * (abs(x.numerator) + 1), x.denominator)


def _lowest_carry(x: int, y: int) -> int | None:
    """The lowest column (0 = units) where ``x + y`` (both >= 0) carries."""
    column = 0
    while x or y:
        if x % 10 + y % 10 >= 10:
            return column
        x, y, column = x // 10, y // 10, column + 1
    return None


def _lowest_borrow(big: int, small: int) -> int | None:
    """The lowest column where ``big - small`` (big >= small >= 0) borrows."""
    column = 0
    while small:
        if big % 10 < small % 10:
            return column
        big, small, column = big // 10, small // 10, column + 1
    return None


def _lowest_product_carry(number: int, digit: int) -> tuple[int, int] | None:
    """(column, carry) of the lowest carry of ``number * digit`` done column by column,
    if it goes into a column where ``number`` has a digit."""
    column = 0
    while number >= 10:
        product = (number % 10) * digit
        if product >= 10:
            return column, product // 10
        number, column = number // 10, column + 1
    return None


def column_slip(left: Fraction, op: str, right: Fraction) -> Fraction | None:
    """The result of ``left op right`` done in columns with the lowest carry (or borrow)
    forgotten; None where the operands are not integers or nothing carries. Signs are
    handled as a person does: add or subtract the magnitudes, then put the sign back."""
    if left.denominator != 1 or right.denominator != 1:
        return None
    a, b = left.numerator, right.numerator
    if op in ("+", "-"):
        y = b if op == "+" else -b
        true = a + y
        if a == 0 or y == 0 or (a > 0) == (y > 0):
            column = _lowest_carry(abs(a), abs(y))
            if column is None:
                return None
            magnitude = abs(true) - 10 ** (column + 1)
        else:
            column = _lowest_borrow(max(abs(a), abs(y)), min(abs(a), abs(y)))
            if column is None:
                return None
            magnitude = abs(true) + 10 ** (column + 1)
    elif op == "*":
        digit, number = sorted((abs(a), abs(b)))
        if digit >= 10:
            return None
        found = _lowest_product_carry(number, digit)
        if found is None:
            return None
        column, carry = found
        true = a * b
        magnitude = abs(true) - carry * 10 ** (column + 1)
    else:
        return None
    return Fraction(magnitude if true > 0 else -magnitude)


def perturb(step: DerivationStep, error: int) -> DerivationStep | None:
    """``step`` rewritten with the error ``ERROR_TYPES[error - 1]``; None where that error
    does not apply. The result may still be correct (check it with
    :func:`step_is_correct`)."""
    before, position, merged = step.before, step.position, step.merged
    if error == 1:  # operand
        right = _miscopy(step.right)
        result = apply_operation(step.left, step.op, right)
        if result is None:
            return None
        return replace(
            step, right=right, result=result, after=_rewrite(before, position, merged, result)
        )
    if error == 2:  # operator
        op = _SWAPPED[step.op]
        result = apply_operation(step.left, op, step.right)
        if result is None:
            return None
        return replace(step, op=op, result=result, after=_rewrite(before, position, merged, result))
    if error == 3:  # carry
        slipped = column_slip(step.left, step.op, step.right)
        if slipped is None:
            return None
        return replace(step, result=slipped, after=_rewrite(before, position, merged, slipped))
    if error == 4:  # sign
        if step.result == 0:
            return None
        flipped = -step.result
        return replace(step, result=flipped, after=_rewrite(before, position, merged, flipped))
    if error == 5:  # dropped term
        items = step.after.items
        drop = position + 1 if position + 1 < len(items) else position - 1
        if drop < 0:
            return None
        return replace(step, after=Expression(items[:drop] + items[drop + 1 :]))
    raise InvalidParameterError(
        f"error must be 1..{len(ERROR_TYPES)} ({', '.join(ERROR_TYPES)}); got {error!r}"
    )


def move_action(step: int, error: int) -> int:
    """The generator's action id for showing ``step`` (1-based) with ``error``
    (0: as written, 1..5: :data:`ERROR_TYPES`)."""
    return (step - 1) * len(MOVE_KINDS) + error


def decode_move(action: int) -> tuple[int, int]:
    """``(step, error)`` of a generator action id."""
    return action // len(MOVE_KINDS) + 1, action % len(MOVE_KINDS)


def generator_moves(
    derivation: tuple[DerivationStep, ...], *, locate: bool = False, honest_moves: bool = True
) -> dict[int, DerivationStep]:
    """The generator's legal moves on ``derivation``, in id order, each with the step it
    shows: every perturbation that applies and that the step checker finds wrong, less
    those that read exactly as an earlier move at the same step; and with
    ``honest_moves`` each step as written (with ``locate`` only one, id 0, "no error")."""
    moves: dict[int, DerivationStep] = {}
    for k, step in enumerate(derivation, start=1):
        if honest_moves and (k == 1 or not locate):
            moves[move_action(k, NO_ERROR)] = step
        seen = {step.text()}
        for error in range(1, len(MOVE_KINDS)):
            wrong = perturb(step, error)
            if wrong is None or step_is_correct(wrong) or wrong.text() in seen:
                continue
            seen.add(wrong.text())
            moves[move_action(k, error)] = wrong
    return moves


# ---- problems -----------------------------------------------------------------------------


def _number(rng: np.random.Generator, fractions: bool) -> Fraction:
    """An operand: mostly 2..99, sometimes -2..-30, and with ``fractions`` p/q (q <= 9)."""
    u = rng.random()
    if u < 0.15:
        return Fraction(-int(rng.integers(2, 31)))
    if fractions and u < 0.35:
        q = int(rng.integers(2, 10))
        p = int(rng.integers(1, 2 * q))
        while p % q == 0:
            p += 1
        return Fraction(p, q)
    return Fraction(int(rng.integers(2, 100)))


def generate_problem(rng: np.random.Generator, terms: int, fractions: bool) -> Expression:
    """A random sum of ``terms`` signed terms, at least one of them a product or quotient
    (by a number 2..9, sometimes negative or, with ``fractions``, a fraction)."""
    is_product = rng.random(terms) < 0.5
    if not is_product.any():
        is_product[int(rng.integers(terms))] = True
    items: list[tuple[int, Term]] = []
    for i in range(terms):
        sign = 1 if i == 0 or rng.random() < 0.5 else -1
        left = _number(rng, fractions)
        if not is_product[i]:
            items.append((sign, Term(left)))
            continue
        op = "*" if rng.random() < 0.75 else "/"
        v = rng.random()
        if v < 0.15:
            right = Fraction(-int(rng.integers(2, 10)))
        elif fractions and v < 0.3:
            right = Fraction(int(rng.integers(1, 10)), int(rng.integers(2, 10)))
            if right.denominator == 1:
                right += Fraction(1, 2)
        else:
            right = Fraction(int(rng.integers(2, 10)))
        items.append((sign, Term(left, op, right)))
    return Expression(tuple(items))


# ---- the game -----------------------------------------------------------------------------


class CriticKey(NamedTuple):
    """What a seat knows: the problem, the step shown and its error index (0 for a step
    as written; G knows its own move, C reads it off the step it is shown), and the
    critic's verdict. None where not known yet; ``step`` is None for the critic when
    ``locate`` shows a solution with no error (it cannot tell which step G chose)."""

    problem: int | None
    step: int | None
    error: int | None
    verdict: int | None


@dataclass(frozen=True)
class CriticRecord:
    """One judgement, as SPC's evaluation counts it: was the shown step erroneous, was
    the critic right (None: no valid verdict, left out of the accuracies), and the error
    type (None for a correct step)."""

    erroneous: bool
    right: bool | None
    error_type: str | None = None
    step: int | None = None
    judge: str = "exact"
    """Who decided whether the step is erroneous: the game's exact check of the step's
    arithmetic (SPC checks a planted error by solver rollouts; no model judges here)."""


class CriticGame(Game):
    """SPC's sneaky generator (seat 0) against a step critic (seat 1) on exact
    arithmetic derivations."""

    def __init__(
        self,
        *,
        problems: int = 100,
        terms: int = 4,
        fractions: bool = True,
        locate: bool = False,
        honest_moves: bool = True,
        seed: int = 0,
    ) -> None:
        for name, value, low, high in (
            ("problems", problems, 1, MAX_PROBLEMS),
            ("terms", terms, 2, MAX_TERMS),
            ("seed", seed, 0, 2**63 - 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidParameterError(
                    f"critic_game: {name} must be an integer from {low} to {high}; got {value!r}"
                )
        for name, flag in (
            ("fractions", fractions),
            ("locate", locate),
            ("honest_moves", honest_moves),
        ):
            if not isinstance(flag, bool):
                raise InvalidParameterError(
                    f"critic_game: {name} must be true or false; got {flag!r}"
                )
        self.locate = locate
        self.honest_moves = honest_moves
        self.max_steps = 2 * terms - 1
        """Steps of the longest derivation: every term a product, then terms - 1 sums."""
        super().__init__(
            GameSpec(
                id="critic_game",
                num_players=2,
                num_distinct_actions=self.max_steps * len(MOVE_KINDS),
                max_game_length=3,
                min_utility=-1.0,
                max_utility=1.0,
                chance=ChanceMode.EXPLICIT,
                utility=UtilityKind.ZERO_SUM,
                utility_sum=0.0,
                max_chance_outcomes=problems,
                params={
                    "problems": problems,
                    "terms": terms,
                    "fractions": fractions,
                    "locate": locate,
                    "honest_moves": honest_moves,
                    "seed": seed,
                },
            )
        )
        self.problems = self._generate(problems, terms, fractions, seed)
        self.problem_texts = tuple(p.text() for p in self.problems)
        # Caches, filled on first use: the game's rules never change after construction.
        self._derivations: dict[int, tuple[DerivationStep, ...]] = {}
        self._moves: dict[int, dict[int, DerivationStep]] = {}
        self._shown: dict[tuple[int, int], tuple[DerivationStep, ...]] = {}
        self._lines: dict[tuple[str, int, int], tuple[str, ...]] = {}
        self._names: dict[int, dict[str, int]] = {}
        self._text_width: int | None = None

    @staticmethod
    def _generate(count: int, terms: int, fractions: bool, seed: int) -> tuple[Expression, ...]:
        """``count`` distinct problems (as text), drawn in order from ``seed``."""
        rng = np.random.default_rng(seed)
        found: dict[str, Expression] = {}
        for _ in range(100 * count):
            problem = generate_problem(rng, terms, fractions)
            found.setdefault(problem.text(), problem)
            if len(found) == count:
                return tuple(found.values())
        raise InvalidParameterError(
            f"critic_game: could not draw {count} distinct problems with terms={terms}"
        )

    # ---- moves ----------------------------------------------------------------------

    def derivation(self, problem: int) -> tuple[DerivationStep, ...]:
        """The correct derivation of problem ``problem``."""
        if problem not in self._derivations:
            self._derivations[problem] = derive(self.problems[problem])
        return self._derivations[problem]

    def moves(self, problem: int) -> dict[int, DerivationStep]:
        """The generator's legal moves on ``problem``, in id order: the step each one
        shows in place of the correct one."""
        if problem not in self._moves:
            self._moves[problem] = generator_moves(
                self.derivation(problem), locate=self.locate, honest_moves=self.honest_moves
            )
        return self._moves[problem]

    def shown_steps(self, problem: int, action: int) -> tuple[DerivationStep, ...]:
        """The steps the critic is shown after the generator's ``action``: steps 1..k-1
        and the shown step k; with ``locate``, the whole solution from there."""
        if (problem, action) in self._shown:
            return self._shown[problem, action]
        step, error = decode_move(action)
        correct = self.derivation(problem)
        shown = self.moves(problem)[action]
        if not self.locate:
            steps = (*correct[: step - 1], shown)
        elif error == NO_ERROR:
            steps = correct
        else:
            steps = (*correct[: step - 1], shown, *derive(shown.after))
        self._shown[problem, action] = steps
        return steps

    def solution_lines(self, problem: int, action: int | None = None) -> tuple[str, ...]:
        """``Step j: ...`` lines of the correct solution (``action`` None) or of the steps
        shown to the critic after ``action``."""
        key = ("solution", problem, -1 if action is None else action)
        if key not in self._lines:
            steps = (
                self.derivation(problem) if action is None else self.shown_steps(problem, action)
            )
            self._lines[key] = tuple(f"Step {j}: {s.text()}" for j, s in enumerate(steps, 1))
        return self._lines[key]

    def move_lines(self, problem: int) -> tuple[str, ...]:
        """One line per legal generator move: its name and the step it shows."""
        key = ("moves", problem, -1)
        if key not in self._lines:
            self._lines[key] = tuple(
                f"{self.move_label(a)} -> {shown.text()}"
                for a, shown in self.moves(problem).items()
            )
        return self._lines[key]

    def move_label(self, action: int) -> str:
        step, error = decode_move(action)
        if self.locate and error == NO_ERROR:
            return "no error"
        return f"step {step}: {_MOVE_LABELS[error]}"

    def verdict_label(self, verdict: int) -> str:
        if verdict == CORRECT:
            return "Correct"
        return f"Incorrect: step {verdict}" if self.locate else "Incorrect"

    def action_by_name(self, player: int, name: str) -> int | None:
        """The action whose exact name, for ``player``, is ``name`` (legal or not)."""
        if player == CHANCE:
            number = name.removeprefix("problem ")
            return int(number) if number != name and number.isascii() and number.isdigit() else None
        if player not in self._names:
            labels = self.move_label if player == GENERATOR else self.verdict_label
            count = self.num_distinct_actions if player == GENERATOR else self.max_steps + 1
            # the lowest id keeps a shared name ("no error" with ``locate``)
            self._names[player] = {labels(a): a for a in reversed(range(count))}
        return self._names[player].get(name)

    def new_initial_state(self) -> CriticState:
        return CriticState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """One flat 0/1 vector, blocks in this order, each all zeros while unknown:

        - seat (2) and problem (``problems``), one-hot;
        - the generator's own move: step (``max_steps``) and error (6), one-hot, for seat
          0 only: the critic must find the error in the text, not read its label;
        - the number of steps shown (``max_steps``), one-hot;
        - the text of the shown step (with ``locate``, of each shown step: ``max_steps``
          rows) in :func:`compact_text` form, one-hot per character over
          :data:`TEXT_SYMBOLS`, ``text_width()`` characters a row;
        - the verdict (``max_steps + 1``), one-hot."""
        rows = self.max_steps if self.locate else 1
        return (
            2
            + len(self.problems)
            + self.max_steps
            + len(MOVE_KINDS)
            + self.max_steps
            + rows * self.text_width() * len(TEXT_SYMBOLS)
            + self.max_steps
            + 1,
        )

    def text_width(self) -> int:
        """The longest :func:`compact_text` of any step a critic can be shown."""
        if self._text_width is None:
            width = 0
            for problem in range(len(self.problems)):
                for action in self.moves(problem):
                    shown = self.shown_steps(problem, action)
                    rows = shown if self.locate else shown[-1:]
                    width = max(width, *(len(compact_text(s)) for s in rows))
            self._text_width = width
        return self._text_width

    def player_name(self, player: int) -> str:
        return ("sneaky generator", "critic")[player]

    def rules_text(self) -> str:
        kinds = (
            "operand (the right operand copied wrong, numerator one larger), operator (+ and "
            "- swapped, * and / swapped), carry (the lowest carry or borrow of column "
            "arithmetic forgotten), sign (the result negated) and dropped term (the new "
            "expression leaves out a term)"
        )
        honest = ""
        if self.honest_moves:
            honest = (
                ", or show the solution with no error"
                if self.locate
                else ", or show a step as written"
            )
        if self.locate:
            task = (
                "The critic sees the problem and the whole solution (after a changed step "
                "the solution carries on correctly from its wrong expression) and answers "
                "Correct if every step is correct, or 'Incorrect: step j' naming the step "
                "that is wrong. It is right if it says Correct on a correct solution or names "
                "the changed step."
            )
        else:
            task = (
                "The critic sees the problem, the steps before the chosen step (the partial "
                "solution) and the chosen step (the last step), and answers whether the last "
                "step is correct: <Answer>Correct</Answer> or <Answer>Incorrect</Answer>."
            )
        return (
            "The Self-Play Critic game (SPC) for two players: a sneaky generator (player 0) "
            "and a critic (player 1).\n"
            "A problem is drawn at random: evaluate an arithmetic expression with whole "
            "numbers and fractions. Its solution evaluates one operation per step, products "
            "and quotients first (left to right), then the additions and subtractions left "
            "to right. A step reads 'a op b = c, so the expression becomes E'; it is correct "
            "when a op b really is c and E has the same value as the expression before it.\n"
            f"The generator sees the correct solution and picks one step to change by one "
            f"error type: {kinds}{honest}. A change must make the step wrong; changes that "
            "leave it correct are not allowed.\n"
            f"{task}\n"
            "Payoffs: if the critic is right it scores +1 and the generator -1; if it is "
            "fooled (says Correct on a wrong step, or Incorrect on a correct one) it scores "
            "-1 and the generator +1."
        )


class CriticState(State):
    """The problem drawn, the generator's move and the critic's verdict."""

    __slots__ = ("_move", "_problem", "_verdict")

    _game: CriticGame

    def __init__(self, game: CriticGame) -> None:
        super().__init__(game)
        self._problem: int | None = None
        self._move: int | None = None
        self._verdict: int | None = None

    # ---- rules ----------------------------------------------------------------------

    def current_player(self) -> int:
        if self._problem is None:
            return CHANCE
        if self._move is None:
            return GENERATOR
        if self._verdict is None:
            return CRITIC
        return TERMINAL

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        n = len(self._game.problems)
        return [(i, 1.0 / n) for i in range(n)]

    def _legal_actions(self, player: int) -> list[int]:
        if player == GENERATOR:
            assert self._problem is not None
            return list(self._game.moves(self._problem))
        if self._game.locate:
            return list(range(len(self._shown()) + 1))
        return [CORRECT, 1]

    def _is_legal(self, player: int, action: int) -> bool:
        current = self.current_player()
        if player != current:
            return False
        if current == CHANCE:
            return 0 <= action < len(self._game.problems)
        if current == GENERATOR:
            assert self._problem is not None
            return action in self._game.moves(self._problem)
        top = len(self._shown()) if self._game.locate else 1
        return 0 <= action <= top

    def _apply_action(self, action: int) -> None:
        current = self.current_player()
        if current == CHANCE:
            self._problem = action
        elif current == GENERATOR:
            self._move = action
        else:
            self._verdict = action

    def _shown(self) -> tuple[DerivationStep, ...]:
        assert self._problem is not None and self._move is not None
        return self._game.shown_steps(self._problem, self._move)

    def first_wrong_step(self) -> int | None:
        """The earliest shown step (1-based) that the step checker finds wrong, or None."""
        for j, step in enumerate(self._shown(), start=1):
            if not step_is_correct(step):
                return j
        return None

    def critic_right(self) -> bool:
        """Whether the critic's verdict is right (the game must be over)."""
        if self._verdict is None:
            raise RedqueenError("critic_right needs a finished game: the critic has not answered")
        wrong = self.first_wrong_step()
        if wrong is None:
            return self._verdict == CORRECT
        if self._game.locate:
            return self._verdict == wrong
        return self._verdict != CORRECT

    def returns(self) -> list[float]:
        if self._verdict is None:
            return [0.0, 0.0]
        return [-1.0, 1.0] if self.critic_right() else [1.0, -1.0]

    def record(self) -> CriticRecord:
        """This finished game as one judgement for :func:`~redqueen.measure.critic.
        critic_metrics`."""
        right = self.critic_right()
        assert self._move is not None
        step, error = decode_move(self._move)
        return CriticRecord(
            erroneous=error != NO_ERROR,
            right=right,
            error_type=ERROR_TYPES[error - 1] if error else None,
            step=step,
        )

    def clone(self) -> CriticState:
        twin = CriticState.__new__(CriticState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._problem = self._problem
        twin._move = self._move
        twin._verdict = self._verdict
        return twin

    # ---- what a player knows ----------------------------------------------------------

    def information_state_key(self, player: int) -> Hashable:
        """A :class:`CriticKey`. The problem is public once drawn; G knows its move; C
        knows the step it is shown and its error (distinct moves show distinct steps)."""
        if self._move is None:
            return CriticKey(self._problem, None, None, None)
        step, error = decode_move(self._move)
        if player == CRITIC and self._game.locate and error == NO_ERROR:
            return CriticKey(self._problem, None, error, self._verdict)
        return CriticKey(self._problem, step, error, self._verdict)

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The blocks of ``CriticGame.information_state_tensor_shape``: what
        ``information_state_key`` names, with the shown steps as characters."""
        if isinstance(player, bool) or not isinstance(player, int) or player not in (0, 1):
            raise RedqueenError(f"players are 0 and 1; got {player!r}")
        game = self._game
        steps, symbols = game.max_steps, len(TEXT_SYMBOLS)
        width = game.text_width()
        rows = steps if game.locate else 1
        out = np.zeros(game.information_state_tensor_shape(), dtype=np.float32)
        out[player] = 1.0
        base = 2
        if self._problem is not None:
            out[base + self._problem] = 1.0
        base += len(game.problems)
        if self._move is not None and player == GENERATOR:
            step, error = decode_move(self._move)
            out[base + step - 1] = 1.0
            out[base + steps + error] = 1.0
        base += steps + len(MOVE_KINDS)
        if self._move is not None:
            shown = self._shown()
            out[base + len(shown) - 1] = 1.0
            texts = [compact_text(s) for s in (shown if game.locate else shown[-1:])]
            for row, text in enumerate(texts):
                start = base + steps + row * width * symbols
                for i, char in enumerate(text):
                    out[start + i * symbols + _SYMBOL_INDEX[char]] = 1.0
        base += steps + rows * width * symbols
        if self._verdict is not None:
            out[base + self._verdict] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            return f"problem {action}"
        if player == GENERATOR:
            return self._game.move_label(action)
        return self._game.verdict_label(action)

    def observation_text(self, player: int) -> str:
        if self._problem is None:
            return "The Self-Play Critic game: a problem is being drawn."
        if player == GENERATOR:
            return self._generator_view()
        return self._critic_view()

    def _problem_lines(self) -> list[str]:
        assert self._problem is not None
        return ["## Problem", f"Evaluate {self._game.problem_texts[self._problem]}."]

    def _generator_view(self) -> str:
        game = self._game
        assert self._problem is not None
        lines = [
            "You are the sneaky generator (player 0) in the Self-Play Critic game.",
            *self._problem_lines(),
            "",
            "## Correct solution",
        ]
        correct = game.derivation(self._problem)
        lines += game.solution_lines(self._problem)
        lines.append(f"Answer: {format_number(correct[-1].result, bare=True)}")
        if self._move is None:
            lines += ["", "## Your moves (the step the critic will be shown)"]
            lines += game.move_lines(self._problem)
            lines.append("Reply with one move, e.g. 'step 1: sign error'.")
            return "\n".join(lines)
        step, _ = decode_move(self._move)
        shown = game.solution_lines(self._problem, self._move)[step - 1]
        lines += ["", f"You chose {game.move_label(self._move)}: {shown}"]
        if self._verdict is not None:
            lines.append(self._result_line(GENERATOR))
        return "\n".join(lines)

    def _critic_view(self) -> str:
        game = self._game
        lines = [
            "You are the critic (player 1) in the Self-Play Critic game.",
            *self._problem_lines(),
        ]
        if self._move is None:
            lines.append("The generator is choosing the step you will judge.")
            return "\n".join(lines)
        assert self._problem is not None
        shown = game.solution_lines(self._problem, self._move)
        if game.locate:
            last = self._shown()[-1].result
            lines += ["", "## Solution", *shown, f"Answer: {format_number(last, bare=True)}"]
            ask = (
                "Check every step. End with <Answer>Correct</Answer> if every step is "
                "correct, or <Answer>Incorrect: step j</Answer> naming the first wrong step."
            )
        else:
            lines += ["", "## Partial Solution", *(shown[:-1] or ["Let's solve this problem."])]
            lines += ["", "## Last Step", shown[-1]]
            ask = (
                "Critique the correctness of the Last Step. End with <Answer>Correct</Answer> "
                "or <Answer>Incorrect</Answer>."
            )
        lines += ["", ask if self._verdict is None else self._result_line(CRITIC)]
        return "\n".join(lines)

    def _result_line(self, player: int) -> str:
        assert self._move is not None and self._verdict is not None
        _, error = decode_move(self._move)
        truth = "was correct" if error == NO_ERROR else f"was wrong ({_MOVE_LABELS[error]})"
        outcome = "right" if self.critic_right() else "fooled"
        score = self.returns()[player]
        return (
            f"Game over. The critic said {self._game.verdict_label(self._verdict)}; the step "
            f"{truth}, so the critic was {outcome}. Your result: {score:+g}."
        )

    def parse_action(self, text: str, player: int | None = None) -> int:
        """As ``State.parse_action``, and also SPC's ``<Answer>Correct</Answer>`` /
        ``<Answer>Incorrect</Answer>`` (the first tag pair, as SPC reads it; with
        ``locate``, ``Incorrect: step j``), a verdict in free text (the last of
        "correct", "incorrect", "not correct"; with ``locate``, "incorrect ... step j"),
        and for the generator "step k <error type>"."""
        if player is None:
            player = self.current_player()
        exact = self._game.action_by_name(player, text)
        if exact is not None and self._is_legal(player, exact):
            return exact
        names = [(a, self._action_text(player, a)) for a in self.legal_actions(player)]
        if len(text) > MAX_REPLY_CHARS:
            raise ParseActionError(f"{text[:200]}... ({len(text)} characters, too long)", names)
        try:
            return match_action_text(text, names)
        except ParseActionError:
            pass
        legal = {a for a, _ in names}
        found: int | None = None
        if player == CRITIC:
            found = self._parse_verdict(text)
        elif player == GENERATOR:
            found = self._parse_move(text)
        if found is None or found not in legal:
            raise ParseActionError(text, names)
        return found

    def _parse_verdict(self, text: str) -> int | None:
        tag = _ANSWER_TAG.search(text)
        answer = text if tag is None else tag.group(1)
        words = _VERDICT_WORD.findall(answer)
        if not words:
            return None
        if words[-1].lower() == "correct":
            return CORRECT
        if not self._game.locate:
            return 1
        located = _LOCATED.findall(answer) or _LOCATED.findall(text)
        return int(located[-1]) if located else None

    def _parse_move(self, text: str) -> int | None:
        found = _GENERATOR_MOVE.findall(text)
        if not found:
            return None
        step_text, kind = found[-1]
        kind = kind.lower()
        if kind in ("as written", "no error"):
            error = NO_ERROR
        elif kind == "drop":
            error = 5
        else:
            error = MOVE_KINDS.index(kind)
        return move_action(int(step_text), error)
