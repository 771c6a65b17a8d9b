"""The proposer/solver game (PasoDoble, MAE, SSP): each reward table case by case with
values worked out by hand from the papers' code, the anti-hack filter and diversity, whole
games of the structured and the text variant, parsing of free replies, what each seat
knows, the checker's invariants, the scripted players, and a scripted evaluation: a
proposer that targets a pass rate lands in PasoDoble's band 0.2 < p < 1 more often than
one fixed at either end of the menu."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.agents.registry import make_agent, parse_agent
from redqueen.agents.roles.proposer_solver import (
    EdgeProposer,
    FixedProposer,
    NoisySolver,
    error_rate,
)
from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games import CHANCE, TERMINAL, check_game
from redqueen.games.roles.proposer_solver import (
    INVALID,
    UNREADABLE,
    VALID,
    Attempt,
    MenuProposerSolverState,
    ProposerSolverGame,
    QuestionHistory,
    TextProposerSolverState,
    diversity,
    jaccard_similarity,
    mae_judge_score,
    mae_proposer_reward,
    mae_solver_reward,
    parse_proposal,
    pasodoble_filter,
    pasodoble_proposer_reward,
    question_tokens,
    score,
    ssp_proposer_reward,
)
from redqueen.games.roles.tasks import TaskSyntaxError, answers_equal
from redqueen.play.match import play_match, replay

T, F = True, False
EPS = 1e-12


def make(**params: object) -> ProposerSolverGame:
    game = redqueen.make("proposer_solver", **params)
    assert isinstance(game, ProposerSolverGame)
    return game


def play_menu(
    game: ProposerSolverGame, family: str, difficulty: int, index: int, right: list[bool]
) -> MenuProposerSolverState:
    """Propose, draw task ``index``, then answer right or wrong attempt by attempt."""
    state = game.new_initial_state()
    assert isinstance(state, MenuProposerSolverState)
    state.apply_action(game.menu_action(family, difficulty))
    state.apply_action(index)
    inst = state.instance()
    assert inst is not None
    wrong = (inst.correct + 1) % game.choices
    for r in right:
        assert state.returns() == [0.0, 0.0]
        state.apply_action(inst.correct if r else wrong)
    return state


def play_text(game: ProposerSolverGame, moves: list[str]) -> TextProposerSolverState:
    state = game.new_initial_state()
    assert isinstance(state, TextProposerSolverState)
    for move in moves:
        state.apply_text_action(move)
    return state


# ---- the spec ------------------------------------------------------------------------------


def test_default_spec_and_rebuild() -> None:
    game = make()
    spec = game.spec
    assert (spec.id, spec.num_players, spec.num_distinct_actions) == ("proposer_solver", 2, 20)
    assert spec.max_game_length == 8  # proposal, draw, six answers
    assert str(spec.chance) == "explicit" and spec.max_chance_outcomes == 8
    assert str(spec.utility) == "general_sum" and spec.utility_sum is None
    assert (spec.min_utility, spec.max_utility) == (0.0, 1.0)
    assert not spec.text_actions and not spec.perfect_information
    assert game.attempts == 6 and game.family_names == ("arithmetic", "linear", "list", "multi_hop")
    assert make(**spec.params).spec == spec
    assert game.player_name(0) == "proposer" and game.player_name(1) == "solver"


@pytest.mark.parametrize(
    ("params", "attempts", "bounds"),
    [
        ({"preset": "mae"}, 5, (0.0, 1.0)),
        ({"preset": "ssp"}, 5, (-1.0, 1.0)),
        ({"preset": "ssp", "ssp_reward_type": "intermediate_difficulty"}, 5, (-1.0, 1.0)),
        ({"attempts": 1}, 1, (0.0, 1.0)),  # the proposer's best is 1.1 - 1 + 0.2
        ({"attempts": 9}, 9, (0.0, 1.3 - 2 / 9)),  # p = 2/9 is the least pass rate paid
    ],
)
def test_attempts_and_utility_bounds(
    params: dict[str, object], attempts: int, bounds: tuple[float, float]
) -> None:
    game = make(**params)
    assert game.attempts == attempts
    assert game.spec.min_utility == bounds[0]
    assert game.spec.max_utility == pytest.approx(bounds[1], abs=EPS)


def test_text_spec() -> None:
    game = make(proposer_moves="text")
    assert game.spec.text_actions and str(game.spec.chance) == "none"
    assert game.spec.max_game_length == 1 + 6 * (10 + 1)  # searches only for multi_hop
    assert make(proposer_moves="text", families=["linear"]).spec.max_game_length == 7
    with pytest.raises(RedqueenError, match="no tensor view"):
        game.information_state_tensor_shape()


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"preset": "spin"}, UnknownNameError, "allowed: mae, pasodoble, ssp"),
        ({"proposer_moves": "free"}, UnknownNameError, "allowed: menu, text"),
        (
            {"ssp_reward_type": "intermediate_difficulty"},
            InvalidParameterError,
            "is for preset='ssp'",
        ),
        (
            {"preset": "ssp", "ssp_reward_type": "2-acc"},
            UnknownNameError,
            "intermediate_difficulty",
        ),
        (
            {"families": ["algebra"]},
            UnknownNameError,
            "allowed: arithmetic, linear, list, multi_hop",
        ),
        ({"families": "list"}, InvalidParameterError, "non-empty list of names"),
        ({"families": ["list", "list"]}, InvalidParameterError, "repeats a name"),
        (
            {"difficulties": 11},
            InvalidParameterError,
            r"difficulties must be an integer in 1\.\.10",
        ),
        ({"choices": 1}, InvalidParameterError, r"choices must be an integer in 2\.\.16"),
        (
            {"question_history": ["q"] * 101},
            InvalidParameterError,
            "at most PasoDoble's window of 100",
        ),
        ({"question_history": [1]}, InvalidParameterError, "list of question texts"),
    ],
)
def test_bad_parameters_name_what_is_allowed(
    params: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make(**params)


# ---- the reward tables ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "d", "reward"),
    [
        (0.0, 1.0, 0.0),
        (1 / 6, 1.0, 0.0),
        (0.2, 1.0, 0.0),  # p <= 0.2 earns nothing
        (1 / 3, 0.3, 0.0),  # d <= 0.3 earns nothing
        (1 / 3, 0.31, 1.1 - 1 / 3 + 0.062),
        (1 / 3, 1.0, 1.1 - 1 / 3 + 0.2),
        (0.21, 0.5, 0.99),
        (0.5, 1.0, 0.8),
        (1.0, 1.0, 0.3),
    ],
)
def test_pasodoble_proposer_reward(p: float, d: float, reward: float) -> None:
    assert pasodoble_proposer_reward(p, d) == pytest.approx(reward, abs=EPS)


@pytest.mark.parametrize(
    ("task", "claim", "trivial", "reason"),
    [
        ("", "5", F, "the task or the answer is missing"),
        ("2 + 3", "  ", F, "the task or the answer is missing"),
        ("5", "5", F, "the task is inside the answer"),
        ("2+3", "2 + 3", F, "the task is inside the answer"),
        ("\\boxed{2} + 3", "5", F, "the task contains \\boxed"),
        ("x = 5", "5", T, "the task states its own answer"),
        ("2 + 3", "5", F, None),
        ("[3, 1, 2] | sort | take 2 | sum", "3", F, None),  # 3 inside the task: no matter
    ],
)
def test_pasodoble_filter(task: str, claim: str, trivial: bool, reason: str | None) -> None:
    found = pasodoble_filter(task, claim, trivial)
    assert found is None if reason is None else reason in str(found)


def test_jaccard_and_diversity() -> None:
    assert question_tokens("3*x + 14 = 2") == {"3", "*", "x", "+", "14", "=", "2"}
    abcd, abcde = frozenset("abcd"), frozenset("abcde")
    assert jaccard_similarity(abcd, abcde) == 0.8
    assert jaccard_similarity(frozenset(), frozenset()) == 1.0
    assert jaccard_similarity(frozenset("a"), frozenset()) == 0.0
    assert diversity("a b c d", []) == 1.0  # no history
    assert diversity("a b c d", ["a b c d e"]) == 1.0  # 0.8 is not above 0.8
    assert diversity("a b c d e f", ["a b c d e f g"]) == 0.0  # 6/7 is
    assert diversity("a b c d e f", ["a b c d e f g", "x y", "p q", "r s"]) == 0.75
    history = QuestionHistory(maxlen=3)
    for q in ("a b", "c d", "e f", "a b c"):
        history.add(q)
    assert history.questions() == ("c d", "e f", "a b c") and len(history) == 3
    assert history.diversity("a b c") == pytest.approx(2 / 3, abs=EPS)


@pytest.mark.parametrize(
    ("q", "d", "f", "reward"),
    [
        (1.0, 0.6, 1.0, 2.6 / 3),
        (1.0, 0.0, 1.0, 2 / 3),
        (0.7, 0.5, 1.0, 2.2 / 3),  # 0.7 keeps the difficulty term
        (0.69, 1.0, 1.0, 1.69 / 3),  # below 0.7 it is dropped
        (0.0, 1.0, 1.0, 1 / 3),
    ],
)
def test_mae_proposer_reward(q: float, d: float, f: float, reward: float) -> None:
    assert mae_proposer_reward(q, d, f) == pytest.approx(reward, abs=EPS)


def test_mae_judge_and_solver() -> None:
    assert (mae_judge_score(True), mae_judge_score(False)) == (1.0, 0.0)  # (10-1)/9, (1-1)/9
    assert mae_solver_reward(1.0, 1.0) == 1.0
    assert mae_solver_reward(0.0, 1.0) == 0.5
    assert mae_solver_reward(0.0, 0.0) == 0.0


@pytest.mark.parametrize(
    ("s", "kind", "reward"),
    [
        (0.0, "1-acc", 1.0),
        (0.4, "1-acc", 0.6),
        (1.0, "1-acc", 0.0),
        (0.0, "intermediate_difficulty", 0.0),
        (1.0, "intermediate_difficulty", 0.0),
        (0.2, "intermediate_difficulty", 0.64),
        (0.4, "intermediate_difficulty", 0.96),
        (0.5, "intermediate_difficulty", 1.0),
    ],
)
def test_ssp_proposer_reward(s: float, kind: str, reward: float) -> None:
    assert ssp_proposer_reward(s, kind) == pytest.approx(reward, abs=EPS)


def _attempts(*flags: bool | None) -> tuple[Attempt, ...]:
    """True: right; False: wrong; None: unreadable."""
    return tuple(Attempt("a", bool(f), f is not None) for f in flags)


SIX = _attempts(T, T, F, F, F, F)
FIVE = _attempts(T, T, F, F, F)
MIDDLE = {"ssp_reward_type": "intermediate_difficulty"}


@pytest.mark.parametrize(
    ("preset", "status", "attempts", "kwargs", "proposer", "solver"),
    [
        ("pasodoble", VALID, SIX, {}, 1.1 - 1 / 3 + 0.2, (1, 1, 0, 0, 0, 0)),
        ("pasodoble", VALID, SIX, {"filtered": "x"}, 0.0, (1, 1, 0, 0, 0, 0)),
        ("pasodoble", VALID, SIX, {"diversity": 0.3}, 0.0, (1, 1, 0, 0, 0, 0)),
        ("pasodoble", VALID, SIX, {"diversity": 0.5}, 1.1 - 1 / 3 + 0.1, (1, 1, 0, 0, 0, 0)),
        ("mae", VALID, FIVE, {}, 2.6 / 3, (1, 1, 0.5, 0.5, 0.5)),
        ("mae", VALID, _attempts(T, None), {}, 2.5 / 3, (1, 0)),
        ("ssp", VALID, FIVE, {}, 0.6, (1, 1, 0, 0, 0)),
        ("ssp", VALID, FIVE, MIDDLE, 0.96, (1, 1, 0, 0, 0)),
        ("pasodoble", UNREADABLE, (), {}, 0.0, ()),
        ("mae", UNREADABLE, (), {}, 0.0, ()),
        ("ssp", UNREADABLE, (), {}, -1.0, ()),
        ("pasodoble", INVALID, (), {}, 0.0, ()),
        ("mae", INVALID, (), {}, 1 / 3, ()),  # q = 0: (0 + 1) / 3
        ("ssp", INVALID, (), {}, -1.0, ()),
    ],
)
def test_score_each_preset(
    preset: str,
    status: str,
    attempts: tuple[Attempt, ...],
    kwargs: dict[str, object],
    proposer: float,
    solver: tuple[float, ...],
) -> None:
    got, per_attempt = score(preset, status, attempts, **kwargs)  # type: ignore[arg-type]
    assert got == pytest.approx(proposer, abs=EPS)
    assert per_attempt == pytest.approx(solver, abs=EPS)


# ---- whole structured games ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "right", "returns", "trainable"),
    [
        ({}, [T, T, F, F, F, F], [1.1 - 1 / 3 + 0.2, 1 / 3], True),
        ({}, [T] * 6, [0.3, 1.0], False),
        ({}, [T, F, F, F, F, F], [0.0, 1 / 6], False),
        ({}, [F] * 6, [0.0, 0.0], False),
        ({"preset": "mae"}, [T, T, F, F, F], [2.6 / 3, 0.7], True),
        ({"preset": "mae"}, [T] * 5, [2 / 3, 1.0], False),
        ({"preset": "mae"}, [F] * 5, [1.0, 0.5], False),
        ({"preset": "ssp"}, [T, T, F, F, F], [0.6, 0.4], True),
        ({"preset": "ssp"}, [F] * 5, [1.0, 0.0], False),
        ({"preset": "ssp", **MIDDLE}, [T, T, F, F, F], [0.96, 0.4], True),
        ({"preset": "ssp", **MIDDLE}, [T] * 5, [0.0, 1.0], False),
    ],
)
def test_exact_returns_of_whole_games(
    params: dict[str, object], right: list[bool], returns: list[float], trainable: bool
) -> None:
    game = make(**params)
    for family, difficulty, index in (("arithmetic", 3, 0), ("list", 2, 5), ("multi_hop", 4, 7)):
        state = play_menu(game, family, difficulty, index, right)
        assert state.is_terminal() and state.current_player() == TERMINAL
        assert state.returns() == pytest.approx(returns, abs=EPS)
        outcome = state.outcome()
        assert outcome.status == VALID and outcome.filtered is None
        assert outcome.pass_rate == pytest.approx(sum(right) / len(right), abs=EPS)
        assert outcome.solver_trainable is trainable
        assert [a.correct for a in outcome.attempts] == right
        assert state.invalid_moves() == (0, 0)


def test_question_history_sets_the_diversity() -> None:
    task = make().instance(make().menu_action("linear", 2), 3).task
    others = [f"other question {i}" for i in range(7)]
    crowded = make(question_history=[task] * 8 + others[:2])
    state = play_menu(crowded, "linear", 2, 3, [T, T, F, F, F, F])
    assert state.outcome().diversity == pytest.approx(0.2, abs=EPS)
    assert state.returns() == pytest.approx([0.0, 1 / 3], abs=EPS)  # d <= 0.3
    fresh = make(question_history=[task] * 3 + others)
    state = play_menu(fresh, "linear", 2, 3, [T, T, F, F, F, F])
    assert state.outcome().diversity == pytest.approx(0.7, abs=EPS)
    assert state.returns() == pytest.approx([1.1 - 1 / 3 + 0.14, 1 / 3], abs=EPS)
    other = play_menu(fresh, "linear", 2, 4, [T, T, F, F, F, F])  # another task: all dissimilar
    assert other.outcome().diversity == 1.0


def _asked(game: ProposerSolverGame, task: str, answer: str, right: int) -> TextProposerSolverState:
    """A written task with ``right`` of the six replies right."""
    replies = [f"\\boxed{{{answer}}}"] * right + ["\\boxed{999}"] * (6 - right)
    return play_text(game, [f"task: {task}\nanswer: {answer}", *replies])


def test_a_trainer_keeps_pasodobles_window_of_written_questions() -> None:
    """After a batch with a question passed more than 0.2 of the time, every question of
    the batch joins the history (PasoDoble's DiversityRewardManager adds its buffer once
    the batch is scored); a batch with none leaves it as it was."""
    game = make(proposer_moves="text", attempts=6)
    solved = _asked(game, "2 + 3", "5", right=3)
    hard = _asked(game, "7 * 8 - 1", "55", right=1)
    trivial = _asked(game, "x = 5", "5", right=6)  # anti-hack: p counts as 0
    unreadable = play_text(game, ["hello"])
    assert game.memory(solved) == ("2 + 3", pytest.approx(0.5, abs=EPS))
    assert game.memory(hard) == ("7 * 8 - 1", pytest.approx(1 / 6, abs=EPS))
    assert game.memory(trivial) == ("x = 5", 0.0)
    assert game.memory(unreadable) is None
    assert game.remember([game.memory(hard), game.memory(trivial), None]) is game
    after = game.remember([game.memory(s) for s in (hard, solved, trivial, unreadable)])
    assert after.question_history == ("7 * 8 - 1", "2 + 3", "x = 5")
    assert after.params == {**game.params, "question_history": ["7 * 8 - 1", "2 + 3", "x = 5"]}
    assert (
        redqueen.make("proposer_solver", **after.params).question_history == after.question_history
    )
    # the next batch's questions are measured against it: the same task is now similar
    again = _asked(after, "2 + 3", "5", right=3)
    assert again.outcome().diversity == pytest.approx(2 / 3, abs=EPS)
    # the window keeps PasoDoble's last 100
    full = make(proposer_moves="text", question_history=[f"{i} + 1" for i in range(100)])
    moved = full.remember([("1 + 2", 0.5)])
    assert len(moved.question_history) == 100
    assert moved.question_history[0] == "1 + 1" and moved.question_history[-1] == "1 + 2"


def test_no_window_without_written_questions_or_for_other_presets() -> None:
    menu = make()
    state = play_menu(menu, "linear", 2, 3, [T, T, F, F, F, F])
    assert menu.memory(state) is None  # chance drew the task: the proposer wrote nothing
    for preset in ("mae", "ssp"):
        game = make(proposer_moves="text", preset=preset, attempts=6)
        assert game.memory(_asked(game, "2 + 3", "5", right=3)) is None


@pytest.mark.parametrize(("right", "trains"), [(0, F), (1, F), (2, T), (5, T), (6, F)])
def test_a_pasodoble_solver_trains_only_inside_the_band(right: int, trains: bool) -> None:
    """PasoDoble trains its solver on questions with 0.2 < p < 1 only; the proposer and
    the other presets' solvers always train."""
    game = make(proposer_moves="text", attempts=6)
    state = _asked(game, "7 * 8 - 1", "55", right=right)
    assert game.trains_seat(state, 1) is trains
    assert game.trains_seat(state, 0) is True
    for preset in ("mae", "ssp"):
        other = make(proposer_moves="text", preset=preset, attempts=6)
        assert other.trains_seat(_asked(other, "7 * 8 - 1", "55", right=right), 1) is True
    menu = make(attempts=6)
    assert (
        menu.trains_seat(play_menu(menu, "linear", 2, 3, [T] * right + [F] * (6 - right)), 1)
        is trains
    )


def test_the_instance_pool() -> None:
    game, twin, other = make(), make(), make(seed=1)
    differ = 0
    for action, (family, difficulty) in enumerate(game.menu()):
        assert game.decode_menu(action) == (family, difficulty)
        assert game.menu_action(family, difficulty) == action
        for index in range(game.instances):
            inst = game.instance(action, index)
            assert inst == twin.instance(action, index)  # fixed by the seed
            differ += inst.task != other.instance(action, index).task
            assert (inst.family, inst.difficulty, inst.index) == (family, difficulty, index)
            assert answers_equal(game.family(family).solve(inst.task), inst.answer)
            assert answers_equal(inst.choices[inst.correct], inst.answer)
            assert len(set(inst.texts)) == game.choices == len(inst.choices)
            assert sum(answers_equal(c, inst.answer) for c in inst.choices) == 1
    assert differ > 150  # of 160
    corrects = [game.instance(a, i).correct for a in range(20) for i in range(8)]
    assert set(corrects) == set(range(8))  # the right choice is not always in one place


def test_the_solver_knows_the_task_only() -> None:
    game = make()
    state = play_menu(game, "arithmetic", 3, 2, [])
    inst = state.instance()
    assert inst is not None
    key, text = state.information_state_key(1), state.observation_text(1)
    assert f"Task (arithmetic): {inst.task}" in text
    assert "Its answer" not in text and "right" not in text
    assert "Its answer: " + inst.texts[inst.correct] in state.observation_text(0)
    for a in (inst.correct, (inst.correct + 1) % 8):
        state.apply_action(a)
        assert state.information_state_key(1) == key  # attempts are blind to each other
        assert state.observation_text(1) == text
    assert "(right)" in state.observation_text(0) and "(wrong)" in state.observation_text(0)
    assert game.solver_task(key) is not None
    task = game.solver_task(key)
    assert task is not None and (task.family, task.task, task.difficulty) == (
        "arithmetic",
        inst.task,
        3,
    )
    assert game.solver_task(("proposer", None, None, ())) is None
    root = game.new_initial_state()
    assert game.solver_task(root.information_state_key(1)) is None
    assert "has not posed a task" in root.observation_text(1)


def test_tensor_layout() -> None:
    game = make(families=["arithmetic"], difficulties=2, instances=2, choices=4, attempts=3)
    assert game.information_state_tensor_shape() == (2 + 2 + 2 + 3 * 4,)
    state = game.new_initial_state()
    assert state.information_state_tensor(0).tolist() == [1, 0] + [0] * 16
    state.apply_action(1)  # arithmetic difficulty 2
    state.apply_action(1)  # task 1
    state.apply_action(3)
    state.apply_action(0)
    seat0 = [1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    seat1 = [0, 1, 0, 1, 0, 1] + [0] * 12
    assert state.information_state_tensor(0).tolist() == seat0
    assert state.information_state_tensor(1).tolist() == seat1
    with pytest.raises(RedqueenError, match="players are 0"):
        state.information_state_tensor(2)


def test_chance_and_illegal_moves() -> None:
    game = make()
    state = game.new_initial_state()
    assert state.current_player() == 0 and state.legal_actions() == list(range(20))
    state.apply_action(game.menu_action("list", 1))
    assert state.current_player() == CHANCE
    assert state.chance_outcomes() == [(i, 1 / 8) for i in range(8)]
    assert state.action_text(5) == "task 5"
    with pytest.raises(IllegalActionError):
        state.apply_action(8)
    state.apply_action(5)
    with pytest.raises(IllegalActionError):
        state.apply_action(8)  # 8 choices: 0..7
    with pytest.raises(RedqueenError, match="once the game is over"):
        state.outcome()


# ---- reading free replies -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "family", "difficulty"),
    [
        ("arithmetic 3", "arithmetic", 3),
        ("Linear, difficulty 2", "linear", 2),
        ("(list, 5)", "list", 5),
        ("I pick \\boxed{multi_hop difficulty 1}", "multi_hop", 1),
        ("<answer>list level 4</answer>", "list", 4),
        ("list difficulty 4", "list", 4),
        ("7", "linear", 3),  # a bare action id
    ],
)
def test_the_proposer_menu_is_read(text: str, family: str, difficulty: int) -> None:
    game = make()
    state = game.new_initial_state()
    assert state.parse_action(text) == game.menu_action(family, difficulty)


@pytest.mark.parametrize("text", ["arithmetic 9", "chess 1", "arithmetic", ""])
def test_unknown_menu_items_are_refused(text: str) -> None:
    with pytest.raises(ParseActionError, match="legal moves: 'arithmetic difficulty 1'"):
        make().new_initial_state().parse_action(text)


def test_solver_replies_are_read_as_values() -> None:
    game = make()
    state = play_menu(game, "arithmetic", 3, 0, [])
    inst = state.instance()
    assert inst is not None
    right = inst.correct
    value = inst.answer
    assert not isinstance(value, tuple | str)
    for text in (
        inst.texts[right],
        f"so \\boxed{{{inst.texts[right]}}}",
        f"<answer>x = {value}</answer>",
        f"\\boxed{{\\frac{{{value.numerator * 3}}}{{{value.denominator * 3}}}}}",
    ):
        assert state.parse_action(text) == right, text
    state.apply_text_action(f"\\boxed{{{inst.texts[right]}}}")
    assert state.history()[-1].action == right
    absent = next(k for k in range(8) if not any(answers_equal(c, k) for c in inst.choices))
    with pytest.raises(ParseActionError):
        state.parse_action(str(absent))  # a number is a value, never an action id
    with pytest.raises(ParseActionError):
        state.parse_action("no idea")


def test_list_and_name_replies() -> None:
    game = make()
    for family in ("list", "multi_hop"):
        for index in range(8):
            state = play_menu(game, family, 2, index, [])
            inst = state.instance()
            assert inst is not None
            text = inst.texts[inst.correct]
            loose = text.replace(", ", ",") if family == "list" else text.upper()
            assert state.parse_action(f"\\boxed{{{loose}}}") == inst.correct


# ---- the checker on other settings ----------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"preset": "mae", "families": ["linear", "multi_hop"], "difficulties": 3},
        {"preset": "ssp", "ssp_reward_type": "intermediate_difficulty", "attempts": 3},
        {"question_history": ["1 + 2", "[1, 2] | sum", "x = 1"], "choices": 2, "instances": 2},
    ],
)
def test_checker_invariants(params: dict[str, object]) -> None:
    report = check_game(make(**params), n_games=80)
    assert report.states_visited > report.games_played


# ---- the text variant ------------------------------------------------------------------------

REPLIES = ["\\boxed{5}", "x = 5", "<answer>4</answer>", "I don't know", "\\boxed{10/2}", "5.0"]
"""Right, right, wrong, unreadable, right, right: p = 4/6."""


@pytest.mark.parametrize(
    ("preset", "returns"),
    [
        ("pasodoble", [1.1 - 2 / 3 + 0.2, 4 / 6]),
        ("mae", [(1 + 1 / 3 + 1) / 3, (1 + 1 + 0.5 + 0 + 1 + 1) / 6]),
        ("ssp", [1 - 4 / 6, 4 / 6]),
    ],
)
def test_a_whole_text_game(preset: str, returns: list[float]) -> None:
    game = make(proposer_moves="text", preset=preset, attempts=6)
    proposal = "family: linear\ntask: 3*x + 4 = 19\nanswer: 5"
    state = play_text(game, [proposal, *REPLIES])
    assert state.is_terminal()
    assert state.returns() == pytest.approx(returns, abs=EPS)
    assert state.invalid_moves() == (0, 1)
    outcome = state.outcome()
    assert outcome.judge == "exact"  # the task language's interpreter decided
    assert [a.correct for a in outcome.attempts] == [T, T, F, F, T, T]
    assert [a.well_formed for a in outcome.attempts] == [T, T, T, F, T, T]
    assert outcome.attempts[0].answer == "5" and outcome.attempts[4].answer == "5"
    assert [s.action for s in state.history()] == [proposal, *REPLIES]
    again = replay(game, state.history())
    assert again.returns() == state.returns() and again.invalid_moves() == (0, 1)


@pytest.mark.parametrize(
    ("proposal", "status", "reason"),
    [
        ("hello", UNREADABLE, "no task found"),
        ("task: 2 +\nanswer: 2", UNREADABLE, "expected a number or '('"),
        ("task: 2 + 3\nanswer: five", UNREADABLE, "is not a value"),
        ("family: chess\ntask: e4\nanswer: 1", UNREADABLE, "'chess' is not played here"),
        ("task: 2 + 3\nanswer: 6", INVALID, "the claimed answer 6 is wrong; the task's value is 5"),
        ("task: 1/0\nanswer: 1", INVALID, "divides by zero"),
        ("family: linear\ntask: x = x + 1\nanswer: 1", INVALID, "no value of the variable"),
        ("task: Nobody | mentor\nanswer: Kalo", INVALID, "not in the graph"),
        ("task: " + " * ".join(["99999999999999999999"] * 3) + "\nanswer: 1", INVALID, "40 digits"),
    ],
)
def test_proposals_that_end_the_game(proposal: str, status: str, reason: str) -> None:
    for preset, returns in (
        ("pasodoble", 0.0),
        ("mae", 1 / 3 if status == INVALID else 0.0),
        ("ssp", -1.0),
    ):
        game = make(proposer_moves="text", preset=preset)
        state = play_text(game, [proposal])
        assert state.is_terminal() and state.invalid_moves() == (1, 0)
        assert state.returns() == pytest.approx([returns, 0.0], abs=EPS)
        outcome = state.outcome()
        assert outcome.status == status and reason in outcome.reason
        assert f"The proposal was {status}" in state.observation_text(0)


def test_pasodoble_filters_in_the_text_game() -> None:
    game = make(proposer_moves="text")
    trivial = play_text(
        game, ["task: x = 5\nanswer: 5", *(["\\boxed{5}"] * 3 + ["\\boxed{4}"] * 3)]
    )
    assert trivial.outcome().filtered == "the task states its own answer"
    assert trivial.returns() == pytest.approx([0.0, 0.5], abs=EPS)  # the solver keeps its reward
    tagged = "<problem>[3, 1, 2] | sort | take 2 | sum</problem>\n<answer>\\boxed{3}</answer>"
    state = play_text(game, [tagged, *(["\\boxed{3}"] * 3 + ["\\boxed{4}"] * 3)])
    assert state.outcome().family == "list" and state.outcome().filtered is None
    assert state.returns() == pytest.approx([0.8, 0.5], abs=EPS)


@pytest.mark.parametrize(
    ("text", "family", "task", "claim"),
    [
        ("family: Linear\ntask: 3x = 1\nanswer: 1/3", "linear", "3x = 1", "1/3"),
        ("task: 3x = 1\nanswer: 1/3", "linear", "3x = 1", "1/3"),
        ("**Task:** [1] | sum\n**Answer:** 1", "list", "[1] | sum", "1"),
        ("<task>2 * 3</task> and <answer>6</answer>", "arithmetic", "2 * 3", "6"),
        ("<problem>Kalo | rival</problem> \\boxed{Bedo}", "multi_hop", "Kalo | rival", "Bedo"),
        ("task: the rival of Kalo\nanswer: Bedo", "multi_hop", "the rival of Kalo", "Bedo"),
    ],
)
def test_proposals_are_read(text: str, family: str, task: str, claim: str) -> None:
    proposal = parse_proposal(text, ("arithmetic", "linear", "list", "multi_hop"))
    assert (proposal.family, proposal.task, proposal.claim) == (family, task, claim)
    assert parse_proposal("task: 2\nanswer: 2", ("list",)).family == "list"  # the only one
    with pytest.raises(TaskSyntaxError, match="no answer found"):
        parse_proposal("task: 2 + 2", ("arithmetic",))


def test_multi_hop_searches_belong_to_one_attempt() -> None:
    game = make(proposer_moves="text", max_searches=1, attempts=2)
    start = game.graph.entities[0]
    mentor = game.graph.follow(start, "mentor")
    state = play_text(game, [f"family: multi_hop\ntask: {start} | mentor\nanswer: {mentor}"])
    question = f"Question: Who is the mentor of {start}?"
    assert question in state.observation_text(1)
    state.apply_text_action(f"search({start}, mentor)")
    line = f"search({start}, mentor) -> The mentor of {start} is {mentor}."
    assert line in state.observation_text(1)
    assert state.information_state_key(1)[3] == (
        (f"search({start}, mentor)", line.split(" -> ")[1]),
    )
    state.apply_text_action(f"\\boxed{{{mentor.lower()}}}")
    assert line not in state.observation_text(1)  # the next attempt starts afresh
    assert state.information_state_key(1)[3] == ()
    state.apply_text_action(f"search({start})")
    assert f"search({start}) -> The mentor of {start}" in state.observation_text(1)
    state.apply_text_action(f"search({mentor})")  # one search too many ends the attempt
    assert state.is_terminal() and state.invalid_moves() == (0, 1)
    assert [a.correct for a in state.outcome().attempts] == [T, F]
    assert state.returns() == pytest.approx([0.8, 0.5], abs=EPS)


def test_text_moves_out_of_turn_or_of_the_wrong_kind() -> None:
    game = make(proposer_moves="text")
    state = game.new_initial_state()
    with pytest.raises(IllegalActionError):
        state.apply_text_action("task: 1 + 1\nanswer: 2", player=1)
    with pytest.raises(IllegalActionError):
        state.apply_text_action(3)  # type: ignore[arg-type]
    with pytest.raises(RedqueenError, match="text-only game"):
        state.parse_action("1")
    with pytest.raises(IllegalActionError):
        state.apply_action(0)
    assert state.legal_actions() == [] and state.history() == []
    state.apply_text_action("hello")
    with pytest.raises(IllegalActionError):
        state.apply_text_action("\\boxed{2}")  # the game is over
    assert "There is no task to answer." in state.observation_text(1)


# ---- scripted players -------------------------------------------------------------------------


def test_error_rates() -> None:
    assert error_rate(1, 0.1, 0.2) == pytest.approx(0.1, abs=EPS)
    assert error_rate(3, 0.1, 0.2) == pytest.approx(0.5, abs=EPS)
    assert error_rate(6, 0.1, 0.2) == 1.0
    assert error_rate(3, 0.5, -0.5) == 0.0


@pytest.mark.parametrize("moves", ["menu", "text"])
def test_noisy_solver_extremes(moves: str) -> None:
    game = make(proposer_moves=moves)
    perfect, hopeless = NoisySolver(0.0, 0.0), NoisySolver(1.0, 0.0)
    for family in game.family_names:
        proposer = FixedProposer(family, 3)
        for seed in range(3):
            good = play_match(game, [proposer, perfect], seed=seed)
            bad = play_match(game, [proposer, hopeless], seed=seed)
            assert good.invalid_moves == bad.invalid_moves == (0, 0)
            assert replay(game, good.trajectory).outcome().pass_rate == 1.0  # type: ignore[attr-defined]
            assert replay(game, bad.trajectory).outcome().pass_rate == 0.0  # type: ignore[attr-defined]


def test_noisy_solver_errs_at_its_rate() -> None:
    game = make(families=["arithmetic"])
    proposer, solver = FixedProposer("arithmetic", 3), NoisySolver(0.1, 0.2)
    right = sum(
        sum(
            a.correct
            for a in replay(game, play_match(game, [proposer, solver], seed=s).trajectory)
            .outcome()
            .attempts
        )  # type: ignore[attr-defined]
        for s in range(100)
    )
    assert abs(right / 600 - 0.5) < 0.06  # error 0.1 + 0.2 * 2 at difficulty 3


def test_agents_by_name_and_their_checks() -> None:
    solver = parse_agent("noisy_task_solver:error_at_1=0.05,error_step=0.3")
    assert isinstance(solver, NoisySolver) and solver.spec().params == {
        "error_at_1": 0.05,
        "error_step": 0.3,
    }
    fixed = make_agent("fixed_task_proposer", family="list", difficulty=2)
    assert fixed.spec().label() == "fixed_task_proposer:difficulty=2,family=list"
    edge = parse_agent("edge_task_proposer:target=0.4,explore=0")
    assert isinstance(edge, EdgeProposer) and edge.target == 0.4
    with pytest.raises(RedqueenError, match="plays proposer_solver only"):
        solver.check_game(redqueen.make("kuhn_poker"))
    with pytest.raises(UnknownNameError, match="task family of this game"):
        FixedProposer("list", 1).check_game(make(families=["arithmetic"]))
    with pytest.raises(RedqueenError, match=r"not on this game's menu \(1\.\.5\)"):
        FixedProposer("list", 6).check_game(make())
    with pytest.raises(InvalidParameterError, match=r"target must be a number in \[0, 1\]"):
        EdgeProposer(target=2)


def test_edge_proposer_choices() -> None:
    game = make(families=["arithmetic", "list"], difficulties=3)
    edge = EdgeProposer(target=0.5, family="list", explore=0.0)
    assert edge.choose(game, 0.9, 0) == ("list", 1)  # untried first, easiest first
    for difficulty, rate in ((1, 1.0), (2, 0.7), (2, 0.5), (3, 0.2)):
        edge.record("list", difficulty, rate)
    assert edge.mean_pass_rate("list", 2) == pytest.approx(0.6, abs=EPS)
    assert edge.mean_pass_rate("arithmetic", 1) is None
    assert edge.choose(game, 0.9, 0) == ("list", 2)  # |0.6 - 0.5| is the least
    exploring = EdgeProposer(target=0.5, family="list", explore=1.0)
    for d in (1, 2, 3):
        exploring.record("list", d, 0.5)
    assert exploring.choose(game, 0.5, 5) == ("list", 3)  # index 5 of 3 items


def _band_rate(
    game: ProposerSolverGame, proposer: FixedProposer | EdgeProposer, n: int
) -> tuple[float, float, list[int]]:
    """Share of games with 0.2 < p < 1, mean proposer return, difficulties chosen."""
    solver = NoisySolver(0.1, 0.2)
    hits, total, chosen = 0, 0.0, []
    for seed in range(n):
        result = play_match(game, [proposer, solver], seed=seed)
        family, difficulty = game.decode_menu(int(result.trajectory[0].action))  # type: ignore[arg-type]
        outcome = replay(game, result.trajectory).outcome()  # type: ignore[attr-defined]
        if isinstance(proposer, EdgeProposer):
            proposer.record(family, difficulty, outcome.pass_rate)
        hits += outcome.solver_trainable
        total += result.returns[0]
        chosen.append(difficulty)
    return hits / n, total / n, chosen


def test_edge_proposer_lands_in_the_pasodoble_band() -> None:
    """Against a solver whose pass rate falls 0.9, 0.7, 0.5, 0.3, 0.1 over difficulties
    1..5, a proposer fixed at difficulty 1 mostly sees p = 1 and one at 5 mostly p <= 0.2;
    the edge proposer learns to pose difficulty 3 and lands in 0.2 < p < 1 far more often,
    and earns more of PasoDoble's reward."""
    game = make(families=["arithmetic"])
    easy = _band_rate(game, FixedProposer("arithmetic", 1), 150)
    hard = _band_rate(game, FixedProposer("arithmetic", 5), 150)
    edge = _band_rate(game, EdgeProposer(target=0.5, family="arithmetic", explore=0.1), 150)
    assert edge[0] > max(easy[0], hard[0]) + 0.2, (easy, hard, edge[:2])
    assert edge[1] > max(easy[1], hard[1]), (easy[1], hard[1], edge[1])
    late = edge[2][50:]
    assert max(set(late), key=late.count) == 3
