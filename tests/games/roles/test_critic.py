"""SPC's critic game: the derivation generator and step checker by hand, every error type
against independent column arithmetic and over many generated problems, the reward table
case by case, the text views and the reply parser, SPC's metrics by hand, and scripted
evaluations (the exact critic scores 1.0; a noisy critic's rates land within Wilson
intervals of its parameters)."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import redqueen
from redqueen.agents import make_agent, parse_agent
from redqueen.agents.core import Agent
from redqueen.agents.roles.critic import (
    ExactCritic,
    NoisyCritic,
    RandomGenerator,
    TargetedGenerator,
)
from redqueen.errors import (
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games import CHANCE, TERMINAL, check_game
from redqueen.games.roles.critic import (
    ERROR_TYPES,
    TEXT_SYMBOLS,
    CriticGame,
    CriticKey,
    CriticRecord,
    CriticState,
    DerivationStep,
    Expression,
    Term,
    apply_operation,
    column_slip,
    compact_text,
    decode_move,
    derive,
    generate_problem,
    generator_moves,
    move_action,
    perturb,
    step_is_correct,
)
from redqueen.measure.critic import critic_metrics, harmonic_mean
from redqueen.play.match import play_match, replay

OPERAND, OPERATOR, CARRY, SIGN, DROPPED = 1, 2, 3, 4, 5

# 12 * 7 - (3/4) * 8 + 45 - 19 * 3 = 66, written by hand
EXAMPLE = Expression(
    (
        (1, Term(F(12), "*", F(7))),
        (-1, Term(F(3, 4), "*", F(8))),
        (1, Term(F(45))),
        (-1, Term(F(19), "*", F(3))),
    )
)
EXAMPLE_STEPS = [
    "12 * 7 = 84, so the expression becomes 84 - (3/4) * 8 + 45 - 19 * 3",
    "(3/4) * 8 = 6, so the expression becomes 84 - 6 + 45 - 19 * 3",
    "19 * 3 = 57, so the expression becomes 84 - 6 + 45 - 57",
    "84 - 6 = 78, so the expression becomes 78 + 45 - 57",
    "78 + 45 = 123, so the expression becomes 123 - 57",
    "123 - 57 = 66, so the expression becomes 66",
]
# problem 0 of the default game (seed 0): 65 - 91 * 4 + 81 * 8 - 19 * 5 = 254
PROBLEM_0 = "65 - 91 * 4 + 81 * 8 - 19 * 5"


def step(text: str, steps: tuple[DerivationStep, ...]) -> DerivationStep:
    (found,) = [s for s in steps if s.text().startswith(text)]
    return found


def play(game: CriticGame, *actions: int) -> CriticState:
    state = game.new_initial_state()
    for action in actions:
        state.apply_action(action)
    return state


# ---- derivations and the step checker --------------------------------------------------------


def test_the_example_derivation_step_by_step() -> None:
    assert EXAMPLE.text() == "12 * 7 - (3/4) * 8 + 45 - 19 * 3"
    assert EXAMPLE.value() == 66
    steps = derive(EXAMPLE)
    assert [s.text() for s in steps] == EXAMPLE_STEPS
    assert all(step_is_correct(s) for s in steps)
    assert steps[-1].result == 66 and steps[-1].after.items == ((1, Term(F(66))),)


def test_fractions_negatives_and_quotients() -> None:
    expression = Expression(((1, Term(F(-3), "/", F(4))), (1, Term(F(5, 6))), (-1, Term(F(2)))))
    assert expression.text() == "(-3) / 4 + (5/6) - 2"
    assert [s.text() for s in derive(expression)] == [
        "(-3) / 4 = -3/4, so the expression becomes (-3/4) + (5/6) - 2",
        "(-3/4) + (5/6) = 1/12, so the expression becomes (1/12) - 2",  # -9/12 + 10/12
        "(1/12) - 2 = -23/12, so the expression becomes (-23/12)",
    ]
    assert apply_operation(F(1), "/", F(0)) is None
    with pytest.raises(RedqueenError, match=r"allowed: \+, -, \*, /"):
        apply_operation(F(1), "^", F(2))


def test_the_step_checker_by_hand() -> None:
    first = derive(EXAMPLE)[0]
    rest = EXAMPLE.items[1:]
    # the claim is false: 12 * 7 is not 74
    slipped = DerivationStep(
        EXAMPLE, F(12), "*", F(7), F(74), Expression(((1, Term(F(74))), *rest)), 0, False
    )
    assert not step_is_correct(slipped)
    # the claim is true (12 * 8 = 96) but the new expression has another value
    miscopied = DerivationStep(
        EXAMPLE, F(12), "*", F(8), F(96), Expression(((1, Term(F(96))), *rest)), 0, False
    )
    assert not step_is_correct(miscopied)
    # a true claim and a rewrite that keeps the value (two products at once) is correct
    both = Expression(((1, Term(F(84))), (-1, Term(F(6))), *EXAMPLE.items[2:]))
    assert step_is_correct(DerivationStep(EXAMPLE, F(12), "*", F(7), F(84), both, 0, False))
    # a division by zero is never correct
    assert not step_is_correct(replace_step(first, op="/", right=F(0)))


def replace_step(s: DerivationStep, **changes: object) -> DerivationStep:
    from dataclasses import replace

    return replace(s, **changes)  # type: ignore[arg-type]


# ---- the typed errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("index", "error", "expected"),
    [
        (0, OPERAND, "12 * 8 = 96, so the expression becomes 96 - (3/4) * 8 + 45 - 19 * 3"),
        (0, OPERATOR, "12 / 7 = 12/7, so the expression becomes (12/7) - (3/4) * 8 + 45 - 19 * 3"),
        (0, CARRY, "12 * 7 = 74, so the expression becomes 74 - (3/4) * 8 + 45 - 19 * 3"),
        (0, SIGN, "12 * 7 = -84, so the expression becomes (-84) - (3/4) * 8 + 45 - 19 * 3"),
        (0, DROPPED, "12 * 7 = 84, so the expression becomes 84 + 45 - 19 * 3"),
        (1, OPERAND, "(3/4) * 9 = 27/4, so the expression becomes 84 - (27/4) + 45 - 19 * 3"),
        (1, OPERATOR, "(3/4) / 8 = 3/32, so the expression becomes 84 - (3/32) + 45 - 19 * 3"),
        (1, CARRY, None),  # no column arithmetic on fractions
        (2, DROPPED, "19 * 3 = 57, so the expression becomes 84 - 6 - 57"),  # drops + 45
        (3, OPERAND, "84 - 7 = 77, so the expression becomes 77 + 45 - 57"),
        (3, OPERATOR, "84 + 6 = 90, so the expression becomes 90 + 45 - 57"),
        (3, CARRY, "84 - 6 = 88, so the expression becomes 88 + 45 - 57"),  # borrow forgotten
        (3, SIGN, "84 - 6 = -78, so the expression becomes (-78) + 45 - 57"),
        (3, DROPPED, "84 - 6 = 78, so the expression becomes 78 - 57"),
        (4, CARRY, "78 + 45 = 113, so the expression becomes 113 - 57"),  # 8 + 5 carries
        (5, CARRY, "123 - 57 = 76, so the expression becomes 76"),
        (5, DROPPED, None),  # one term left: nothing to drop
    ],
)
def test_each_error_type_by_hand(index: int, error: int, expected: str | None) -> None:
    wrong = perturb(derive(EXAMPLE)[index], error)
    if expected is None:
        assert wrong is None
        return
    assert wrong is not None and wrong.text() == expected
    assert not step_is_correct(wrong)


def test_perturbations_that_leave_the_step_correct_are_not_offered() -> None:
    # 5 * 1 + 0 * 3 + 7: "5 / 1" is still 5 (operator), and dropping the term 0 keeps
    # the value (dropped term): both are correct steps, so neither is a legal move
    expression = Expression(
        ((1, Term(F(5), "*", F(1))), (1, Term(F(0), "*", F(3))), (1, Term(F(7))))
    )
    steps = derive(expression)
    assert steps[0].text() == "5 * 1 = 5, so the expression becomes 5 + 0 * 3 + 7"
    for error in (OPERATOR, DROPPED):
        unchanged = perturb(steps[0], error)
        assert unchanged is not None and step_is_correct(unchanged)
    moves = generator_moves(steps)
    assert [decode_move(a) for a in moves if decode_move(a)[0] == 1] == [
        (1, 0),
        (1, OPERAND),
        (1, SIGN),
    ]
    assert moves[move_action(1, OPERAND)].text().startswith("5 * 2 = 10")
    # without honest moves only the errors remain; with locate one honest move, id 0
    assert all(decode_move(a)[1] != 0 for a in generator_moves(steps, honest_moves=False))
    located = generator_moves(steps, locate=True)
    assert [a for a in located if decode_move(a)[1] == 0] == [0]


def _columns_add_dropping_first_carry(x: int, y: int) -> int:
    """x + y in columns, the first carry never written down (independent of the game)."""
    out, carry, column, dropped = 0, 0, 0, False
    while x or y or carry:
        total = x % 10 + y % 10 + carry
        carry = total // 10
        if carry and not dropped:
            carry, dropped = 0, True
        out += (total % 10) * 10**column
        x, y, column = x // 10, y // 10, column + 1
    return out


def _columns_subtract_forgetting_first_borrow(big: int, small: int) -> int:
    out, borrow, column, forgotten = 0, 0, 0, False
    while big or small:
        digit = big % 10 - small % 10 - borrow
        borrow = 0
        if digit < 0:
            digit += 10
            borrow = 1
            if not forgotten:
                borrow, forgotten = 0, True
        out += digit * 10**column
        big, small, column = big // 10, small // 10, column + 1
    return out


def _columns_multiply_dropping_first_carry(number: int, digit: int) -> int:
    out, carry, column, dropped = 0, 0, 0, False
    while number or carry:
        total = (number % 10) * digit + carry
        carry = total // 10
        if carry and not dropped and number >= 10:
            carry, dropped = 0, True
        out += (total % 10) * 10**column
        number, column = number // 10, column + 1
    return out


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 99_999), st.integers(0, 99_999))
def test_carry_slips_match_column_arithmetic(x: int, y: int) -> None:
    added = column_slip(F(x), "+", F(y))
    if added is None:
        assert _columns_add_dropping_first_carry(x, y) == x + y  # nothing carried
    else:
        assert added == _columns_add_dropping_first_carry(x, y) != x + y
        # the same magnitudes with both signs negative
        assert column_slip(F(-x), "-", F(y)) == -added
    big, small = max(x, y), min(x, y)
    subtracted = column_slip(F(big), "-", F(small))
    if subtracted is None:
        assert _columns_subtract_forgetting_first_borrow(big, small) == big - small
    else:
        assert subtracted == _columns_subtract_forgetting_first_borrow(big, small) != big - small
        assert column_slip(F(-big), "+", F(small)) == -subtracted  # -big + small
        assert column_slip(F(small), "-", F(big)) == -subtracted  # small - big
    digit = y % 10
    multiplied = column_slip(F(x), "*", F(digit))
    if multiplied is not None:
        assert multiplied == _columns_multiply_dropping_first_carry(x, digit) != x * digit
        assert column_slip(F(-digit), "*", F(x)) == -multiplied
    else:
        assert _columns_multiply_dropping_first_carry(x, digit) == x * digit
    assert column_slip(F(x, 7), "+", F(y)) is None or x % 7 == 0
    assert column_slip(F(x + 10), "*", F(y + 10)) is None  # no column rule for two long numbers


def test_every_offered_error_is_false_over_many_problems() -> None:
    """Over 400 generated problems: derivations are correct and end at the value; every
    offered error is false by the step checker and by what its type does (a false claim,
    or a true claim with an expression whose value moved); every type is offered often."""
    offered = dict.fromkeys(ERROR_TYPES, 0)
    for seed in range(400):
        rng = np.random.default_rng(seed)
        problem = generate_problem(rng, int(rng.integers(2, 6)), fractions=seed % 3 != 0)
        steps = derive(problem)
        assert (
            len(steps) == sum(t.op is not None for _, t in problem.items) + len(problem.items) - 1
        )
        assert all(step_is_correct(s) for s in steps) and steps[-1].result == problem.value()
        for action, shown in generator_moves(steps).items():
            k, error = decode_move(action)
            correct = steps[k - 1]
            if error == 0:
                assert shown is correct
                continue
            offered[ERROR_TYPES[error - 1]] += 1
            assert not step_is_correct(shown) and shown.text() != correct.text()
            claim = apply_operation(shown.left, shown.op, shown.right)
            moved = shown.after.value() - correct.before.value()
            if error in (CARRY, SIGN):
                assert claim != shown.result and (shown.left, shown.op) == (
                    correct.left,
                    correct.op,
                )
            elif error == DROPPED:
                assert claim == shown.result == correct.result and moved != 0
                assert len(shown.after.items) == len(correct.after.items) - 1
            else:
                assert claim == shown.result and moved != 0
    assert min(offered.values()) > 100, offered


# ---- the game ---------------------------------------------------------------------------------


def test_spec_registry_and_parameters() -> None:
    game = redqueen.make("critic_game")
    assert isinstance(game, CriticGame)
    spec = game.spec
    assert (spec.num_players, spec.num_distinct_actions, spec.max_game_length) == (2, 42, 3)
    assert (spec.min_utility, spec.max_utility, spec.utility_sum) == (-1.0, 1.0, 0.0)
    assert str(spec.chance) == "explicit" and spec.max_chance_outcomes == 100
    assert redqueen.make("critic_game", **spec.params).spec == spec
    assert game.text_width() == 62  # the longest shown step of this problem set
    assert game.information_state_tensor_shape() == (2 + 100 + 7 + 6 + 7 + 62 * 19 + 8,)
    assert game.problem_texts[0] == PROBLEM_0  # the problem set is fixed by the seed
    assert redqueen.make("critic_game", seed=1).problem_texts[0] != PROBLEM_0
    assert len(set(redqueen.make("critic_game", problems=500).problem_texts)) == 500
    for bad, match in [
        ({"problems": 0}, "problems must be an integer from 1 to 10000"),
        ({"terms": 7}, "terms must be an integer from 2 to 6"),
        ({"locate": 1}, "locate must be true or false"),
        ({"seed": -1}, "seed must be an integer"),
    ]:
        with pytest.raises(InvalidParameterError, match=match):
            redqueen.make("critic_game", **bad)
    with pytest.raises(UnknownNameError, match="honest_moves=True"):
        redqueen.make("critic_game", preset="spc")


def test_problem_zero_moves_and_views() -> None:
    game = CriticGame()
    state = play(game, 0)
    assert state.current_player() == 0
    names = [state.action_text(a) for a in state.legal_actions()]
    # 91 * 4: the carry of 9 * 4 goes past the last digit, so no carry error at step 1
    assert names[:5] == [
        "step 1: as written",
        "step 1: operand error",
        "step 1: operator error",
        "step 1: sign error",
        "step 1: dropped term",
    ]
    generator_view = state.observation_text(0)
    assert f"Evaluate {PROBLEM_0}." in generator_view
    assert "Step 6: 349 - 95 = 254, so the expression becomes 254\nAnswer: 254" in generator_view
    assert "step 4: carry error -> 65 - 364 = -309, so" in generator_view
    critic_waiting = state.observation_text(1)
    assert "Step 1" not in critic_waiting and "choosing the step" in critic_waiting
    state.apply_action(move_action(4, CARRY))
    critic_view = state.observation_text(1)
    assert (
        "## Partial Solution\n"
        "Step 1: 91 * 4 = 364, so the expression becomes 65 - 364 + 81 * 8 - 19 * 5\n"
        "Step 2: 81 * 8 = 648, so the expression becomes 65 - 364 + 648 - 19 * 5\n"
        "Step 3: 19 * 5 = 95, so the expression becomes 65 - 364 + 648 - 95\n\n"
        "## Last Step\n"
        "Step 4: 65 - 364 = -309, so the expression becomes (-309) + 648 - 95\n"
    ) in critic_view
    assert "Step 5" not in critic_view and "carry" not in critic_view  # nothing after, no type
    assert state.legal_actions() == [0, 1]
    assert [state.action_text(a) for a in (0, 1)] == ["Correct", "Incorrect"]
    first = play(game, 0, move_action(1, 0)).observation_text(1)
    assert "## Partial Solution\nLet's solve this problem.\n\n## Last Step\nStep 1:" in first
    assert "a problem is being drawn" in game.new_initial_state().observation_text(1)


@pytest.mark.parametrize(
    ("move", "verdict", "critic_return"),
    [
        (move_action(4, 0), 0, 1.0),  # step as written, critic says Correct: right
        (move_action(4, 0), 1, -1.0),  # step as written, Incorrect: a false alarm, fooled
        (move_action(4, CARRY), 1, 1.0),  # error caught
        (move_action(4, CARRY), 0, -1.0),  # error missed
        (move_action(1, SIGN), 1, 1.0),
        (move_action(1, SIGN), 0, -1.0),
        (move_action(6, DROPPED), 0, 1.0),  # not offered: step 6 has nothing to drop
    ],
)
def test_reward_table(move: int, verdict: int, critic_return: float) -> None:
    game = CriticGame()
    state = play(game, 0)
    if move not in state.legal_actions():
        assert move == move_action(6, DROPPED)
        with pytest.raises(redqueen.IllegalActionError, match="step 6: carry error"):
            state.apply_action(move)
        return
    state.apply_action(move)
    assert state.returns() == [0.0, 0.0]
    state.apply_action(verdict)
    assert state.current_player() == TERMINAL
    assert state.returns() == [-critic_return, critic_return]
    assert state.critic_right() is (critic_return > 0)
    record = state.record()
    step_shown, error = decode_move(move)
    assert record == CriticRecord(
        error != 0, critic_return > 0, ERROR_TYPES[error - 1] if error else None, step_shown
    )
    assert record.judge == "exact"  # the game's check of the step decided
    outcome = "right" if critic_return > 0 else "fooled"
    assert f"so the critic was {outcome}. Your result: {critic_return:+g}." in (
        state.observation_text(1)
    )


@pytest.mark.parametrize(
    ("move", "verdict", "critic_return"),
    [
        (0, 0, 1.0),  # no error, Correct
        (0, 2, -1.0),  # no error, but "Incorrect: step 2"
        (move_action(4, CARRY), 4, 1.0),  # the changed step named
        (move_action(4, CARRY), 5, -1.0),  # a later step named
        (move_action(4, CARRY), 3, -1.0),  # an earlier step named
        (move_action(4, CARRY), 0, -1.0),  # said Correct
    ],
)
def test_reward_table_with_locate(move: int, verdict: int, critic_return: float) -> None:
    game = CriticGame(locate=True)
    state = play(game, 0, move)
    assert state.legal_actions() == list(range(7))
    state.apply_action(verdict)
    assert state.returns() == [-critic_return, critic_return]


def test_locate_shows_the_whole_solution_carried_on_from_the_error() -> None:
    game = CriticGame(locate=True)
    state = play(game, 0)
    assert state.action_text(0) == "no error"
    assert move_action(2, 0) not in state.legal_actions()
    state.apply_action(move_action(4, CARRY))
    view = state.observation_text(1)
    assert (
        "Step 4: 65 - 364 = -309, so the expression becomes (-309) + 648 - 95\n"
        "Step 5: (-309) + 648 = 339, so the expression becomes 339 - 95\n"
        "Step 6: 339 - 95 = 244, so the expression becomes 244\n"
        "Answer: 244"
    ) in view
    assert state.first_wrong_step() == 4
    assert state.action_text(4) == "Incorrect: step 4"
    assert state.information_state_key(1) == CriticKey(0, 4, CARRY, None)
    honest = play(game, 0, 0)
    assert honest.first_wrong_step() is None
    assert honest.information_state_key(1) == CriticKey(0, None, 0, None)  # any step
    assert honest.information_state_key(0) == CriticKey(0, 1, 0, None)


def test_without_honest_moves_the_generator_must_change_a_step() -> None:
    game = CriticGame(honest_moves=False)
    state = play(game, 0)
    assert all(decode_move(a)[1] != 0 for a in state.legal_actions())
    assert "as written" not in game.rules_text() and "as written" in CriticGame().rules_text()


def test_information_state_tensor_layout() -> None:
    game = CriticGame(problems=5)
    state = play(game, 3, move_action(2, SIGN), 1)
    width, symbols = game.text_width(), len(TEXT_SYMBOLS)
    chars = 2 + 5 + 7 + 6 + 7  # seat, problem, own move (step, error), steps shown
    verdict = chars + width * symbols
    assert game.information_state_tensor_shape() == (verdict + 8,)
    critic, generator = state.information_state_tensor(1), state.information_state_tensor(0)
    assert critic.dtype == np.float32

    def outside_text(tensor: np.ndarray) -> list[int]:
        return [i for i in np.flatnonzero(tensor).tolist() if not chars <= i < verdict]

    def text(tensor: np.ndarray) -> str:
        block = tensor[chars:verdict].reshape(width, symbols)
        return "".join(TEXT_SYMBOLS[int(row.argmax())] for row in block if row.any())

    # the critic: seat 1, problem 3, two steps shown, verdict Incorrect; no move label
    assert outside_text(critic) == [1, 2 + 3, 20 + 1, verdict + 1]
    # the generator also knows its move: step 2, sign error
    assert outside_text(generator) == [0, 2 + 3, 7 + 1, 14 + SIGN, 20 + 1, verdict + 1]
    assert text(critic) == text(generator) == "(-20) * 6 = 120; 213 + 120 + 6 * 4 - 48 * 9"
    assert text(critic) == compact_text(game.moves(3)[move_action(2, SIGN)])
    assert np.flatnonzero(play(game).information_state_tensor(0)).tolist() == [0]
    with pytest.raises(RedqueenError, match="players are 0 and 1"):
        state.information_state_tensor(2)
    located = CriticGame(problems=5, locate=True)
    assert located.information_state_tensor_shape() == (verdict + 6 * width * symbols + 8,)


@pytest.mark.parametrize(
    "params", [{}, {"locate": True}, {"honest_moves": False, "terms": 2}], ids=str
)
def test_checker_and_equal_keys_give_equal_tensors(params: dict[str, object]) -> None:
    game = redqueen.make("critic_game", problems=20, **params)
    check_game(game, n_games=150)
    rng = np.random.default_rng(5)
    tensor_of: dict[object, bytes] = {}
    key_of: dict[bytes, object] = {}
    for _ in range(300):
        state = game.new_initial_state()
        while True:
            for p in (0, 1):
                key, raw = (p, state.information_state_key(p)), state.information_state_tensor(p)
                assert tensor_of.setdefault(key, raw.tobytes()) == raw.tobytes()
                assert key_of.setdefault(raw.tobytes(), key) == key
            if state.is_terminal():
                break
            state.apply_action(int(rng.choice(state.legal_actions())))
    assert len(tensor_of) > 100


# ---- reading replies ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("Correct", 0),
        ("incorrect", 1),
        ("1", 1),
        ("Analysis... the product is right.\n<Answer>Correct</Answer>", 0),
        ("3. Conclusion. <Answer>Incorrect</Answer>", 1),
        ("<answer> incorrect </answer>", 1),
        ("<Answer>Incorrect</Answer> on second thought <Answer>Correct</Answer>", 1),  # SPC: first
        ("I checked 65 - 364 and the last step is not correct.", 1),
        ("Is it incorrect? No: the step is correct.", 0),  # the last verdict word counts
    ],
)
def test_critic_replies(reply: str, verdict: int) -> None:
    state = play(CriticGame(), 0, move_action(4, CARRY))
    assert state.parse_action(reply) == verdict


@pytest.mark.parametrize(
    ("reply", "verdict"),
    [
        ("<Answer>Incorrect: step 4</Answer>", 4),
        ("The error is in step 5.\n<Answer>Incorrect</Answer>", 5),
        ("Step 4 is wrong: incorrect at step 4", 4),
        ("<Answer>Correct</Answer>", 0),
        ("Incorrect: step 6", 6),
    ],
)
def test_critic_replies_with_locate(reply: str, verdict: int) -> None:
    state = play(CriticGame(locate=True), 0, move_action(4, CARRY))
    assert state.parse_action(reply) == verdict


@pytest.mark.parametrize(
    ("locate", "reply"),
    [
        (False, "I cannot tell."),
        (False, "x" * 50_001 + " <Answer>Correct</Answer>"),
        (True, "<Answer>Incorrect</Answer>"),  # which step?
        (True, "Incorrect: step 9"),  # there are 6 steps
    ],
)
def test_unreadable_replies_raise_and_change_nothing(locate: bool, reply: str) -> None:
    state = play(CriticGame(locate=locate), 0, move_action(4, CARRY))
    with pytest.raises(ParseActionError, match="legal moves: 'Correct'"):
        state.apply_text_action(reply)
    assert state.current_player() == 1 and state.returns() == [0.0, 0.0]


def test_generator_and_chance_replies() -> None:
    state = play(CriticGame(), 0)
    assert state.parse_action("I will take step 4: carry error.") == move_action(4, CARRY)
    assert state.parse_action("step 2 dropped term") == move_action(2, DROPPED)
    assert state.parse_action("Step 3 as written") == move_action(3, 0)
    with pytest.raises(ParseActionError):
        state.parse_action("step 1 carry")  # not offered at step 1
    chance = CriticGame().new_initial_state()
    assert chance.parse_action("problem 42", CHANCE) == 42
    with pytest.raises(ParseActionError):
        chance.parse_action("problem 100", CHANCE)


# ---- SPC's metrics ------------------------------------------------------------------------------


def test_metrics_by_hand() -> None:
    records = [
        *[CriticRecord(False, True)] * 3,
        CriticRecord(False, False),
        CriticRecord(True, True, "carry"),
        CriticRecord(True, False, "carry"),
        CriticRecord(True, False, "sign"),
        CriticRecord(True, False, "sign"),
        CriticRecord(True, None, "sign"),  # no valid verdict
        CriticRecord(False, None),
    ]
    m = critic_metrics(records)
    assert (m.correct_steps["count"], m.correct_steps["n"], m.correct_steps["rate"]) == (3, 4, 0.75)
    # Wilson 95% for 3 of 4, by hand: centre (0.75 + z²/8) / (1 + z²/4), z = 1.96
    assert m.correct_steps["low"] == pytest.approx(0.30064, abs=1e-5)
    assert m.correct_steps["high"] == pytest.approx(0.95441, abs=1e-5)
    assert m.erroneous_steps["rate"] == 0.25
    assert m.mean == 0.5
    assert m.harmonic_mean == pytest.approx(2 * 0.75 * 0.25 / 1.0)  # 0.375
    assert (m.valid["count"], m.valid["n"]) == (8, 10)
    assert {k: (r["count"], r["n"]) for k, r in m.by_error.items()} == {
        "carry": (1, 2),
        "sign": (0, 2),
    }
    assert m.miss_rates() == {"carry": 0.5, "sign": 1.0}
    assert m.to_dict()["harmonic_mean"] == pytest.approx(0.375)


def test_metrics_when_an_accuracy_is_zero_or_missing() -> None:
    blind = critic_metrics([CriticRecord(False, True), CriticRecord(True, False, "operand")])
    assert (blind.correct_steps["rate"], blind.erroneous_steps["rate"]) == (1.0, 0.0)
    assert blind.mean == 0.5 and blind.harmonic_mean == 0.0
    assert harmonic_mean(0.0, 0.0) == 0.0 and harmonic_mean(1.0, 0.5) == pytest.approx(2 / 3)
    only_correct = critic_metrics([CriticRecord(False, True)])
    assert only_correct.erroneous_steps["rate"] is None
    assert only_correct.mean is None and only_correct.harmonic_mean is None
    empty = critic_metrics([])
    assert empty.valid["n"] == 0 and empty.valid["rate"] is None and empty.by_error == {}


# ---- scripted evaluations -----------------------------------------------------------------------


def evaluate(game: CriticGame, generator: Agent, critic: Agent, matches: int) -> list[CriticRecord]:
    records = []
    for seed in range(matches):
        result = play_match(game, [generator, critic], seed)
        state = replay(game, result.trajectory)
        assert isinstance(state, CriticState)
        assert result.returns == tuple(state.returns())
        records.append(state.record())
    return records


@pytest.mark.parametrize("locate", [False, True])
def test_the_exact_critic_is_always_right(locate: bool) -> None:
    game = CriticGame(locate=locate)
    m = critic_metrics(evaluate(game, RandomGenerator(), ExactCritic(), 600))
    assert m.correct_steps["rate"] == 1.0 and m.erroneous_steps["rate"] == 1.0
    assert m.correct_steps["n"] > 250 and m.erroneous_steps["n"] > 250
    assert m.harmonic_mean == 1.0 and set(m.by_error) == set(ERROR_TYPES)


def test_the_noisy_critics_rates_match_its_parameters() -> None:
    game = CriticGame()
    critic = NoisyCritic(miss=0.2, false_alarm=0.1, miss_by_error={"carry": 0.6, "sign": 0.0})
    m = critic_metrics(evaluate(game, RandomGenerator(), critic, 2000))
    correct = m.correct_steps
    assert correct["n"] > 900 and correct["low"] <= 0.9 <= correct["high"]
    for kind in ("operand", "operator", "dropped_term"):
        assert m.by_error[kind]["low"] <= 0.8 <= m.by_error[kind]["high"], kind
    assert m.by_error["carry"]["low"] <= 0.4 <= m.by_error["carry"]["high"]
    assert m.by_error["sign"]["rate"] == 1.0  # never missed
    assert m.valid["rate"] == 1.0


def test_the_noisy_critic_with_locate() -> None:
    game = CriticGame(locate=True)
    m = critic_metrics(evaluate(game, RandomGenerator(), NoisyCritic(miss=0.3), 1000))
    assert m.correct_steps["rate"] == 1.0  # no false alarms
    assert m.erroneous_steps["low"] <= 0.7 <= m.erroneous_steps["high"]
    alarmed = critic_metrics(
        evaluate(game, RandomGenerator(honest=1.0), NoisyCritic(false_alarm=0.5), 600)
    )
    assert alarmed.erroneous_steps["n"] == 0
    assert alarmed.correct_steps["low"] <= 0.5 <= alarmed.correct_steps["high"]


def test_the_targeted_generator_plays_what_the_critic_misses() -> None:
    game = CriticGame()
    critic = NoisyCritic(miss=0.1, miss_by_error={"carry": 0.7})
    first = critic_metrics(evaluate(game, RandomGenerator(), critic, 1500))
    assert max(first.miss_rates(), key=first.miss_rates().__getitem__) == "carry"
    targeted = TargetedGenerator(miss_rates=first.miss_rates())
    records = evaluate(game, targeted, critic, 600)
    for seed, record in enumerate(records):
        problem = play_match(game, [targeted, critic], seed).trajectory[0].action
        assert isinstance(problem, int)
        carry_legal = any(decode_move(a)[1] == CARRY for a in game.moves(problem))
        assert record.erroneous  # honest=0 by default
        assert (record.error_type == "carry") is carry_legal
    second = critic_metrics(records)
    assert second.erroneous_steps["high"] < first.erroneous_steps["low"]


def test_the_random_generators_honesty() -> None:
    game = CriticGame()
    always = evaluate(game, RandomGenerator(honest=1.0), ExactCritic(), 50)
    never = evaluate(game, RandomGenerator(honest=0.0), ExactCritic(), 50)
    assert not any(r.erroneous for r in always) and all(r.erroneous for r in never)
    forced = evaluate(
        CriticGame(honest_moves=False), RandomGenerator(honest=1.0), ExactCritic(), 30
    )
    assert all(r.erroneous for r in forced)  # no honest move offered


def test_agents_by_name_and_their_errors() -> None:
    noisy = parse_agent("spc_noisy_critic:miss=0.2,false_alarm=0.1")
    assert isinstance(noisy, NoisyCritic) and noisy.miss == 0.2 and noisy.false_alarm == 0.1
    rebuilt = make_agent("spc_noisy_critic", miss=0.1, miss_by_error={"carry": 0.5})
    assert make_agent(rebuilt.spec().kind, **rebuilt.spec().params).spec() == rebuilt.spec()
    assert isinstance(make_agent("spc_exact_critic"), ExactCritic)
    assert isinstance(make_agent("spc_random_generator", honest=0.2), RandomGenerator)
    targeted = make_agent("spc_targeted_generator", miss_rates={"sign": 0.3})
    assert targeted.spec().params == {"miss_rates": {"sign": 0.3}, "honest": 0.0}
    with pytest.raises(InvalidParameterError, match=r"miss must be a probability in \[0, 1\]"):
        NoisyCritic(miss=1.5)
    with pytest.raises(UnknownNameError, match="allowed: carry, dropped_term, operand"):
        NoisyCritic(miss_by_error={"typo": 0.1})
    with pytest.raises(UnknownNameError, match="error type"):
        TargetedGenerator(miss_rates={"typo": 0.1})
    with pytest.raises(RedqueenError, match="plays only critic_game; got kuhn_poker"):
        ExactCritic().check_game(redqueen.make("kuhn_poker"))
    with pytest.raises(RedqueenError, match=r"plays the critic \(seat 1\)"):
        play_match(CriticGame(), [ExactCritic(), ExactCritic()], 0)
