"""The proposer/solver game: one seat poses a verifiable task, the other answers it.

Three self-play papers train one language model in two roles: a proposer that writes a
task with its answer, and a solver that answers it several times. The proposer is paid
for tasks near the edge of the solver's ability, the solver for right answers. Here the
roles are seats: seat 0 is the proposer, seat 1 the solver, and self-play means one model
plays both seats. The game is general-sum.

Moves (default ``proposer_moves="menu"``, a structured game):

1. The proposer chooses a task family and a difficulty from a menu: ``arithmetic``,
   ``linear``, ``list`` (:mod:`redqueen.games.roles.tasks`) and ``multi_hop`` (paths in a
   synthetic knowledge graph, :mod:`redqueen.games.roles.knowledge_graph`), difficulty
   ``1..difficulties``.
2. Chance draws one of ``instances`` tasks of that kind, uniformly; the pool is fixed by
   ``seed``. The proposer's claim is the task's exact answer, so every proposal is valid.
3. The solver answers ``attempts`` times; an attempt sees the task but not the other
   attempts (the solver's information state is the same at each one). Each answer is
   one of ``choices`` values: the true answer and wrong ones drawn from the task's seed
   (numbers shifted by distinct integers with the true one's rank uniform, lists with one
   element changed, other entities), in a shuffled order. ``parse_action`` reads a free
   reply (``\\boxed{7/3}``, ``<answer>[1, 2]</answer>``, ``x = 5``) into the choice with that
   value. A multi-hop solver is shown the facts that searching every entity on the path
   returns, shuffled.

With ``proposer_moves="text"`` the game is text-only (``GameSpec.text_actions``): the
proposer writes ``family: ...``, ``task: ...`` and ``answer: ...`` lines (or
``<task>...</task>`` and ``<answer>...</answer>``; the family may be left out when the task
shows it), and the solver writes answers, or, for a multi-hop task, search calls
``search(entity, relation)`` (at most ``max_searches`` per attempt) whose results only
that attempt sees. A proposal that cannot be read (a syntax error in the task or the
claim) is an invalid move and ends the game; so does one that can be read but is not
solvable within the interpreter's limits or whose claim is not the task's true answer
(an invalid proposal). An answer that cannot be read is an invalid move of the solver
and counts as wrong. Invalid moves are counted in ``invalid_moves()``.

Rewards (``preset``), as coded in each paper's repository (``roles.md`` §5.1-5.3). ``p``
is the solver's pass rate: the share of its attempts that equal the claim.

- ``pasodoble`` (PasoDoble, arXiv 2511.11881; HCY123902/PasoDoble): the solver earns its
  accuracy (1 or 0) per attempt. The proposer earns 0 if ``p <= 0.2``, else 0 if the
  diversity ``d <= 0.3``, else ``1.1 - p + 0.2 d``. ``d`` is the share of the last 100
  questions whose Jaccard similarity to this one is at most 0.8 (1 with no history). The
  anti-hack check sets ``p := 0`` for the proposer when the task or the claim is missing,
  the task contains ``\\boxed``, the task's text is inside the claim's, or the task
  already states its answer. That last test replaces PasoDoble's "the answer's text is
  inside the question", which with short numeric answers fires by coincidence (3 is
  inside ``[3, 1, 2] | sort | take 2 | sum``). Tokens are the task's numbers, words and
  signs, not a tokenizer's ids. The history is the parameter ``question_history`` (the
  game is a pure function of its parameters, so replays agree). The LLM self-play loop
  keeps it as PasoDoble's ``DiversityRewardManager`` does: after each step it rebuilds
  the game with that step's written questions added (:meth:`ProposerSolverGame.remember`;
  all of them when one has ``p > 0.2``, none otherwise; PasoDoble adds a group of six
  proposals at a time, the loop a step's batch), and a resumed run restores it. With menu
  moves the proposer writes no question (chance draws the task), so the game keeps no
  history and ``d`` stays 1. PasoDoble trains the solver only on questions with
  ``0.2 < p < 1`` (:attr:`Outcome.solver_trainable`); the loop keeps the solver's other
  samples out (:meth:`ProposerSolverGame.trains_seat`). PasoDoble's normalisation of
  rewards within a group of six proposals is the loop's estimator's business (``grpo``
  with ``group_size``, or per-role baselines).
- ``mae`` (Multi-Agent Evolve, arXiv 2510.23595), with MAE's LLM judge replaced by the
  exact rule judge of ``roles.md``: a question's quality ``q`` is 1 if it is well formed
  and solvable with a true claim (judge score 10), else 0 (score 1), normalised
  ``(s - 1) / 9``; an answer scores 1 if right (10) and 0 if wrong (1). The proposer earns
  ``(q + d + f) / 3`` with ``d = 1 -`` the mean answer score and format ``f``, or
  ``(q + f) / 3`` when ``q < 0.7``; a question that cannot be read earns 0. The solver
  earns ``0.5 score + 0.5 f`` per attempt. ``f`` is 1 for every readable move (MAE counts
  tags; a structured move is always well formed) and 0 for an unreadable answer.
- ``ssp`` (Search Self-Play, arXiv 2510.18821; Alibaba-Quark/SSP): the solver earns 1
  for a right answer, else 0; with success rate ``s`` the proposer earns ``1 - s``, or
  with ``ssp_reward_type="intermediate_difficulty"`` ``4 s (1 - s)`` for ``0 < s < 1``
  and 0 otherwise. A proposal that cannot be read or fails validation earns the format
  penalty -1.

``attempts`` defaults to each paper's number of solver samples per question: 6 for
PasoDoble, 5 for MAE (``n_samples``) and SSP (``ROLLOUT_N``). The solver's return is the
mean of its attempts' rewards (0 when a proposal ended the game before it answered);
:meth:`ProposerSolverState.outcome` gives every attempt's reward, the pass rate, the
diversity and the filter that fired.
"""

from __future__ import annotations

import re
import zlib
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Game,
    GameSpec,
    State,
    Step,
    UtilityKind,
)
from redqueen.games.roles.knowledge_graph import KnowledgeGraph, MultiHopFamily, parse_search_call
from redqueen.games.roles.tasks import (
    DEFAULT_LIMITS,
    FAMILIES,
    Answer,
    TaskError,
    TaskFamily,
    TaskSyntaxError,
    answers_equal,
    family,
    format_answer,
    last_boxed,
    last_tagged,
)

PROPOSER, SOLVER = 0, 1
PRESETS = ("pasodoble", "mae", "ssp")
PROPOSER_MOVES = ("menu", "text")
SSP_REWARD_TYPES = ("1-acc", "intermediate_difficulty")
FAMILY_NAMES = (*FAMILIES, "multi_hop")
PRESET_ATTEMPTS = {"pasodoble": 6, "mae": 5, "ssp": 5}
"""Solver samples per question in each paper's configuration."""

PASS_RATE_THRESHOLD = 0.2
"""PasoDoble: a proposer earns nothing unless the pass rate is above this."""
DIVERSITY_THRESHOLD = 0.3
"""PasoDoble: ... nor unless the diversity is above this."""
SIMILARITY_THRESHOLD = 0.8
"""PasoDoble: a past question is similar when the Jaccard similarity is above this."""
HISTORY_LENGTH = 100
"""PasoDoble: the diversity window (the last 100 questions)."""
MAE_QUALITY_THRESHOLD = 0.7
"""MAE: below this quality the difficulty term is dropped."""
SSP_FORMAT_PENALTY = -1.0
"""SSP: the proposer's reward for a proposal it could not extract or validate."""

VALID, UNREADABLE, INVALID = "valid", "unreadable", "invalid"
"""The three fates of a proposal."""


# ---- the reward tables ---------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z_]+|[0-9]+|\S")


def question_tokens(text: str) -> frozenset[str]:
    """The set of tokens of a question: runs of letters, runs of digits, other signs."""
    return frozenset(_TOKEN.findall(text))


def jaccard_similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """``|a & b| / |a | b|``; 1 for two empty sets (as PasoDoble's manager)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def diversity(question: str, history: Iterable[str]) -> float:
    """PasoDoble's diversity: the share of ``history`` whose similarity to ``question`` is
    at most :data:`SIMILARITY_THRESHOLD`; 1 when the history is empty."""
    return _diversity(question_tokens(question), [question_tokens(q) for q in history])


def _diversity(mine: frozenset[str], past: Sequence[frozenset[str]]) -> float:
    if not past:
        return 1.0
    similar = sum(1 for other in past if jaccard_similarity(mine, other) > SIMILARITY_THRESHOLD)
    return (len(past) - similar) / len(past)


def pasodoble_filter(task: str, claim: str, trivial: bool) -> str | None:
    """Why PasoDoble's anti-hack check sets the pass rate to 0 for this proposal, or None.

    As ``proposer_reward_hacking_check``: a missing task or claim; the task inside the
    claim or a ``\\boxed`` in the task; then, in place of "the claim inside the task", a
    task that states its own answer (``trivial``)."""
    if not task.strip() or not claim.strip():
        return "the task or the answer is missing"
    if "".join(task.split()) in "".join(claim.split()) or "\\boxed" in task:
        return "the task is inside the answer, or the task contains \\boxed"
    if trivial:
        return "the task states its own answer"
    return None


def pasodoble_proposer_reward(pass_rate: float, diversity: float) -> float:
    """0 if ``pass_rate <= 0.2``; else 0 if ``diversity <= 0.3``; else
    ``1.1 - pass_rate + 0.2 * diversity``."""
    if pass_rate <= PASS_RATE_THRESHOLD:
        return 0.0
    if diversity <= DIVERSITY_THRESHOLD:
        return 0.0
    return 1.1 - pass_rate + 0.2 * diversity


def mae_judge_score(correct: bool) -> float:
    """The rule judge's score 10 (right) or 1 (wrong), normalised ``(s - 1) / 9``."""
    score = 10 if correct else 1
    return (score - 1) / 9


def mae_proposer_reward(quality: float, difficulty: float, fmt: float) -> float:
    """``(q + d + f) / 3``, or ``(q + f) / 3`` when ``q < 0.7``."""
    if quality < MAE_QUALITY_THRESHOLD:
        return (quality + fmt) / 3
    return (quality + difficulty + fmt) / 3


def mae_solver_reward(score: float, fmt: float) -> float:
    """``0.5 * judge score + 0.5 * format``."""
    return 0.5 * score + 0.5 * fmt


def ssp_proposer_reward(success_rate: float, reward_type: str = "1-acc") -> float:
    """``1 - s``; or ``4 s (1 - s)`` for ``0 < s < 1`` (else 0) with
    ``intermediate_difficulty`` (SSP's ``left = 0``, ``right = 1``)."""
    if reward_type not in SSP_REWARD_TYPES:
        raise UnknownNameError("SSP reward type", reward_type, SSP_REWARD_TYPES)
    if reward_type == "intermediate_difficulty":
        if 0 < success_rate < 1:
            return 4.0 * (0.0 + success_rate) * (1.0 - success_rate)
        return 0.0
    return 1.0 - success_rate


@dataclass(frozen=True)
class Attempt:
    """One of the solver's answers."""

    answer: str
    correct: bool
    well_formed: bool


def score(
    preset: str,
    status: str,
    attempts: Sequence[Attempt],
    *,
    filtered: str | None = None,
    diversity: float = 1.0,
    ssp_reward_type: str = "1-acc",
) -> tuple[float, tuple[float, ...]]:
    """``(proposer reward, each attempt's solver reward)`` under ``preset`` for a proposal
    whose fate is ``status`` (valid, unreadable or invalid)."""
    if preset not in PRESETS:
        raise UnknownNameError("reward preset", preset, PRESETS)
    if status == UNREADABLE:
        return (SSP_FORMAT_PENALTY if preset == "ssp" else 0.0), ()
    if status == INVALID:
        if preset == "mae":
            return mae_proposer_reward(0.0, 0.0, 1.0), ()
        return (SSP_FORMAT_PENALTY if preset == "ssp" else 0.0), ()
    pass_rate = sum(a.correct for a in attempts) / len(attempts) if attempts else 0.0
    if preset == "pasodoble":
        p = 0.0 if filtered else pass_rate
        return pasodoble_proposer_reward(p, diversity), tuple(float(a.correct) for a in attempts)
    if preset == "mae":
        scores = [mae_judge_score(a.correct) for a in attempts]
        difficulty = 1.0 - (sum(scores) / len(scores) if scores else 0.0)
        solver = tuple(
            mae_solver_reward(s, 1.0 if a.well_formed else 0.0)
            for s, a in zip(scores, attempts, strict=True)
        )
        return mae_proposer_reward(1.0, difficulty, 1.0), solver
    return ssp_proposer_reward(pass_rate, ssp_reward_type), tuple(
        float(a.correct) for a in attempts
    )


@dataclass(frozen=True)
class Outcome:
    """Everything that decided a finished game's rewards."""

    preset: str
    status: str
    """valid, unreadable or invalid (see the module docstring)."""
    reason: str
    """Why a proposal was unreadable or invalid (empty when valid)."""
    family: str
    task: str
    claim: str
    attempts: tuple[Attempt, ...]
    pass_rate: float
    diversity: float
    filtered: str | None
    """PasoDoble's anti-hack verdict (None: passed; only the pasodoble preset uses it)."""
    proposer_reward: float
    solver_rewards: tuple[float, ...]
    judge: str = "exact"
    """Who decided the claim and the answers: the game's exact interpreter of the task
    language (MAE's model judge is replaced by it, see the module docstring)."""

    @property
    def solver_trainable(self) -> bool:
        """PasoDoble's band for training the solver: ``0.2 < p < 1``."""
        return self.status == VALID and PASS_RATE_THRESHOLD < self.pass_rate < 1.0


class QuestionHistory:
    """PasoDoble's diversity window: the last ``maxlen`` accepted questions. Pass
    ``questions()`` as the game's ``question_history``."""

    def __init__(self, questions: Iterable[str] = (), maxlen: int = HISTORY_LENGTH) -> None:
        self._questions: deque[str] = deque(questions, maxlen=maxlen)

    def add(self, question: str) -> None:
        self._questions.append(question)

    def diversity(self, question: str) -> float:
        return diversity(question, self._questions)

    def questions(self) -> tuple[str, ...]:
        return tuple(self._questions)

    def __len__(self) -> int:
        return len(self._questions)


# ---- the game ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Instance:
    """One drawn task: its text, what the solver sees, its answer and the choices."""

    family: str
    difficulty: int
    index: int
    task: str
    view: str
    answer: Answer
    choices: tuple[Answer, ...]
    texts: tuple[str, ...]
    """``format_answer`` of each choice: the solver's action names."""
    correct: int
    """The index of the true answer among the choices."""


@dataclass(frozen=True)
class SolverTask:
    """A task as a solver faces it: its family, its text and its difficulty (the menu's,
    or the number of operations of a written task)."""

    family: str
    task: str
    difficulty: int


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(
            f"proposer_solver: {name} must be an integer in {low}..{high}; got {value!r}"
        )
    return value


class ProposerSolverGame(Game):
    """Seat 0 proposes a task, seat 1 answers it ``attempts`` times (see the module)."""

    def __init__(
        self,
        *,
        preset: str = "pasodoble",
        proposer_moves: str = "menu",
        families: Sequence[str] = FAMILY_NAMES,
        difficulties: int = 5,
        instances: int = 8,
        choices: int = 8,
        attempts: int | None = None,
        seed: int = 0,
        question_history: Sequence[str] = (),
        ssp_reward_type: str = "1-acc",
        max_searches: int = 10,
    ) -> None:
        if preset not in PRESETS:
            raise UnknownNameError("proposer_solver preset", str(preset), PRESETS)
        if proposer_moves not in PROPOSER_MOVES:
            raise UnknownNameError(
                "proposer_solver proposer_moves", str(proposer_moves), PROPOSER_MOVES
            )
        if ssp_reward_type not in SSP_REWARD_TYPES:
            raise UnknownNameError("SSP reward type", str(ssp_reward_type), SSP_REWARD_TYPES)
        if ssp_reward_type != "1-acc" and preset != "ssp":
            raise InvalidParameterError(
                f"ssp_reward_type={ssp_reward_type!r} is for preset='ssp'; got preset={preset!r}"
            )
        if isinstance(families, str) or not families:
            raise InvalidParameterError(
                f"families must be a non-empty list of names from {list(FAMILY_NAMES)}; "
                f"got {families!r}"
            )
        for name in families:
            if name not in FAMILY_NAMES:
                raise UnknownNameError("task family", str(name), FAMILY_NAMES)
        if len(set(families)) != len(families):
            raise InvalidParameterError(f"families repeats a name: {list(families)}")
        self.preset = preset
        self.proposer_moves = proposer_moves
        self.family_names = tuple(families)
        self.difficulties = _check_int("difficulties", difficulties, 1, 10)
        self.instances = _check_int("instances", instances, 1, 1000)
        self.choices = _check_int("choices", choices, 2, 16)
        self.attempts = _check_int(
            "attempts", PRESET_ATTEMPTS[preset] if attempts is None else attempts, 1, 64
        )
        self.seed = _check_int("seed", seed, 0, 2**31 - 1)
        self.max_searches = _check_int("max_searches", max_searches, 0, 50)
        self.ssp_reward_type = ssp_reward_type
        if isinstance(question_history, str) or not all(
            isinstance(q, str) for q in question_history
        ):
            raise InvalidParameterError("question_history must be a list of question texts")
        if len(question_history) > HISTORY_LENGTH:
            raise InvalidParameterError(
                f"question_history holds at most PasoDoble's window of {HISTORY_LENGTH} "
                f"questions; got {len(question_history)}"
            )
        self.question_history = tuple(question_history)
        self.graph = KnowledgeGraph(seed)
        self._families: dict[str, TaskFamily] = {
            name: MultiHopFamily(self.graph) if name == "multi_hop" else family(name)
            for name in self.family_names
        }
        self._instances: dict[tuple[int, int], Instance] = {}
        text = proposer_moves == "text"
        menu = len(self.family_names) * self.difficulties
        searches = self.max_searches if "multi_hop" in self.family_names else 0
        low, high = self._utility_bounds()
        super().__init__(
            GameSpec(
                id="proposer_solver",
                num_players=2,
                num_distinct_actions=0 if text else max(menu, self.choices),
                max_game_length=1 + self.attempts * (searches + 1) if text else 2 + self.attempts,
                min_utility=low,
                max_utility=high,
                chance=ChanceMode.NONE if text else ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                max_chance_outcomes=0 if text else self.instances,
                params={
                    "preset": preset,
                    "proposer_moves": proposer_moves,
                    "families": list(self.family_names),
                    "difficulties": self.difficulties,
                    "instances": self.instances,
                    "choices": self.choices,
                    "attempts": self.attempts,
                    "seed": self.seed,
                    "question_history": list(self.question_history),
                    "ssp_reward_type": ssp_reward_type,
                    "max_searches": self.max_searches,
                },
                text_actions=text,
            )
        )
        self._menu_names = [self._menu_name(a) for a in range(menu)]

    def _utility_bounds(self) -> tuple[float, float]:
        if self.preset == "ssp":
            return SSP_FORMAT_PENALTY, 1.0
        if self.preset == "mae":
            return 0.0, 1.0
        k = self.attempts
        lowest_paid = min(j / k for j in range(1, k + 1) if j / k > PASS_RATE_THRESHOLD)
        return 0.0, max(1.0, pasodoble_proposer_reward(lowest_paid, 1.0))

    # ---- the menu and the instance pool -------------------------------------------------

    def menu(self) -> list[tuple[str, int]]:
        """``(family, difficulty)`` of each proposer action, by action id."""
        return [self.decode_menu(a) for a in range(len(self.family_names) * self.difficulties)]

    def decode_menu(self, action: int) -> tuple[str, int]:
        return self.family_names[action // self.difficulties], action % self.difficulties + 1

    def menu_action(self, family_name: str, difficulty: int) -> int:
        """The proposer's action id for ``family_name`` at ``difficulty``."""
        if family_name not in self.family_names:
            raise UnknownNameError("task family of this game", str(family_name), self.family_names)
        _check_int("difficulty", difficulty, 1, self.difficulties)
        return self.family_names.index(family_name) * self.difficulties + difficulty - 1

    def _menu_name(self, action: int) -> str:
        name, difficulty = self.decode_menu(action)
        return f"{name} difficulty {difficulty}"

    def family(self, name: str) -> TaskFamily:
        """The task family ``name`` as this game plays it (its graph for multi_hop)."""
        if name not in self._families:
            raise UnknownNameError("task family of this game", str(name), self._families)
        return self._families[name]

    def instance(self, action: int, index: int) -> Instance:
        """Task ``index`` of the pool for the menu item ``action`` (built on first use from
        ``seed``, the family's name, the difficulty and ``index``)."""
        key = (action, index)
        found = self._instances.get(key)
        if found is None:
            found = self._build_instance(action, index)
            self._instances[key] = found
        return found

    def _build_instance(self, action: int, index: int) -> Instance:
        name, difficulty = self.decode_menu(action)
        fam = self._families[name]
        rng = np.random.default_rng([self.seed, zlib.crc32(name.encode()), difficulty, index])
        task, answer = fam.generate(difficulty, rng)
        wrong = fam.distractors(answer, self.choices - 1, rng)
        order = rng.permutation(self.choices)
        pool = [answer, *wrong]
        choices = tuple(pool[int(i)] for i in order)
        correct = int(np.flatnonzero(order == 0)[0])
        return Instance(
            name,
            difficulty,
            index,
            task,
            fam.view(task),
            answer,
            choices,
            tuple(format_answer(c) for c in choices),
            correct,
        )

    @cached_property
    def _history_tokens(self) -> list[frozenset[str]]:
        return [question_tokens(q) for q in self.question_history]

    def diversity(self, question: str) -> float:
        """PasoDoble's diversity of ``question`` against ``question_history``."""
        return _diversity(question_tokens(question), self._history_tokens)

    # ---- what a trainer carries between batches (see the module docstring) -----------

    def memory(self, state: State) -> tuple[str, float] | None:
        """A written PasoDoble question and its pass rate after the anti-hack check:
        ``(task, p)``, or None (other presets, menu moves, a proposal with no task)."""
        if self.preset != "pasodoble" or self.proposer_moves != "text":
            return None
        outcome = state.outcome()  # type: ignore[attr-defined]
        if not outcome.task.strip():
            return None
        passed = outcome.status == VALID and outcome.filtered is None
        return outcome.task, (outcome.pass_rate if passed else 0.0)

    def remember(self, memories: Sequence[object]) -> ProposerSolverGame:
        """This game with the batch's questions added to ``question_history``, as
        PasoDoble's ``DiversityRewardManager`` adds a batch's questions once the batch is
        scored (all of them, when one has ``p > 0.2``; none otherwise); the window keeps
        the last :data:`HISTORY_LENGTH`."""
        asked = [m for m in memories if isinstance(m, tuple)]
        if not any(p > PASS_RATE_THRESHOLD for _, p in asked):
            return self
        history = QuestionHistory(self.question_history)
        for task, _ in asked:
            history.add(task)
        return ProposerSolverGame(**{**self.params, "question_history": list(history.questions())})

    def trains_seat(self, state: State, player: int) -> bool:
        """PasoDoble trains its solver only on questions in its band ``0.2 < p < 1``
        (:attr:`Outcome.solver_trainable`); every other seat and preset trains."""
        if self.preset != "pasodoble" or player != SOLVER:
            return True
        return bool(state.outcome().solver_trainable)  # type: ignore[attr-defined]

    def solver_task(self, key: Hashable) -> SolverTask | None:
        """The task that the solver's information-state ``key`` is about, or None before
        there is one (what a scripted solver reads)."""
        if not isinstance(key, tuple) or not key or key[0] != "solver":
            return None
        if self.proposer_moves == "text":
            if key[1] is None:
                return None
            name, task = str(key[1]), str(key[2])
            return SolverTask(name, task, self._families[name].operations(task))
        _, action, index = key
        if action is None or index is None:
            return None
        inst = self.instance(action, index)
        return SolverTask(inst.family, inst.task, inst.difficulty)

    # ---- the contract -------------------------------------------------------------------

    def new_initial_state(self) -> ProposerSolverState:
        if self.proposer_moves == "text":
            return TextProposerSolverState(self)
        return MenuProposerSolverState(self)

    def player_name(self, player: int) -> str:
        return ("proposer", "solver")[player]

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """Seat one-hot (2), menu choice one-hot, instance one-hot, then one one-hot block
        per attempt (the proposer's view of the solver's answers)."""
        if self.proposer_moves == "text":
            raise RedqueenError("proposer_solver with proposer_moves='text' has no tensor view")
        menu = len(self.family_names) * self.difficulties
        return (2 + menu + self.instances + self.attempts * self.choices,)

    def rules_text(self) -> str:
        k = self.attempts
        lines = [
            "Proposer-solver game for two seats: seat 0 is the proposer, seat 1 the solver. "
            "It is general-sum: each seat has its own reward.",
        ]
        if self.proposer_moves == "menu":
            lines.append(
                "The proposer chooses a task family and a difficulty from "
                f"1 to {self.difficulties}: "
                + ", ".join(self.family_names)
                + f". One of {self.instances} tasks of that kind is then drawn at random, "
                "with its exact answer as the proposer's claim."
            )
            lines.append(
                f"The solver answers the task {k} times; each attempt sees the task but not "
                f"the other attempts. Each answer is one of {self.choices} values listed as the "
                "moves (the true one among them); write the value, e.g. \\boxed{-7/3}."
            )
        else:
            lines.append(
                "The proposer writes a task in one of the languages below with its exact "
                "answer, as lines 'family: NAME', 'task: TASK' and 'answer: VALUE' (or "
                "<task>...</task> and <answer>...</answer>; the family line may be left out "
                "when the task shows its language). A proposal that cannot be read, that has "
                "no answer within the interpreter's limits, or whose answer is wrong is an "
                "invalid move and ends the game."
            )
            lines.append(
                f"The solver answers the task {k} times; each attempt sees the task but not "
                "the other attempts. Write the answer in \\boxed{...}. An answer that cannot "
                "be read counts as wrong."
                + (
                    f" For a multi_hop task an attempt may first call search(entity, relation) "
                    f"or search(entity), at most {self.max_searches} times; only that attempt "
                    "sees the results."
                    if "multi_hop" in self.family_names
                    else ""
                )
            )
        lines.append("Task languages:")
        lines.extend(f"- {self._families[n].grammar}" for n in self.family_names)
        lines.append(
            "An answer is right when it equals the claim exactly (numbers as exact fractions, "
            "lists element by element, names ignoring case). The pass rate p is the share of "
            "right answers."
        )
        lines.append(f"Rewards (preset {self.preset}):")
        lines.extend(f"- {line}" for line in self._reward_lines())
        return "\n".join(lines)

    def _reward_lines(self) -> list[str]:
        if self.preset == "pasodoble":
            return [
                "solver: 1 for each right answer, else 0; its return is the mean, p.",
                "proposer: 0 if p <= 0.2; else 0 if the diversity d <= 0.3; else "
                "1.1 - p + 0.2 d. d is the share of the last (at most 100) earlier questions "
                "whose tokens have Jaccard similarity at most 0.8 with this one (1 when there "
                "are none). p counts as 0 for the proposer when the task or the answer is "
                "missing, the task contains \\boxed, the task is inside the answer, or the "
                "task states its own answer.",
            ]
        if self.preset == "mae":
            return [
                "A judge scores the question's quality q: 1 if it is well formed and solvable "
                "with a true answer, else 0; and each answer: 1 if right, else 0.",
                "proposer: (q + d + f) / 3 with d = 1 - the mean answer score and format f = 1; "
                "(q + f) / 3 when q < 0.7; 0 for a proposal that cannot be read.",
                "solver: 0.5 answer score + 0.5 f per attempt (f = 0 for an answer that "
                "cannot be read); its return is the mean.",
            ]
        proposer = (
            "4 s (1 - s) if 0 < s < 1, else 0"
            if self.ssp_reward_type == "intermediate_difficulty"
            else "1 - s"
        )
        return [
            "solver: 1 for each right answer, else 0; its return is the mean, the success rate s.",
            f"proposer: {proposer}; -1 for a proposal that cannot be read or is invalid.",
        ]


class ProposerSolverState(State):
    """What both variants share: the outcome, the returns and the text views."""

    _game: ProposerSolverGame

    def outcome(self) -> Outcome:
        """The finished game's verdicts and rewards (raises before the end)."""
        if not self.is_terminal():
            raise RedqueenError("outcome() is known once the game is over")
        return self._outcome()

    def _outcome(self) -> Outcome:
        raise NotImplementedError

    def _score(
        self,
        status: str,
        reason: str,
        family_name: str,
        task: str,
        claim: str,
        trivial: bool,
        attempts: tuple[Attempt, ...],
    ) -> Outcome:
        game = self._game
        filtered = pasodoble_filter(task, claim, trivial) if status == VALID else None
        div = game.diversity(task) if status == VALID else 1.0
        proposer, solver = score(
            game.preset,
            status,
            attempts,
            filtered=filtered,
            diversity=div,
            ssp_reward_type=game.ssp_reward_type,
        )
        rate = sum(a.correct for a in attempts) / len(attempts) if attempts else 0.0
        return Outcome(
            game.preset,
            status,
            reason,
            family_name,
            task,
            claim,
            attempts,
            rate,
            div,
            filtered,
            proposer,
            solver,
        )

    def returns(self) -> list[float]:
        if not self.is_terminal():
            return [0.0, 0.0]
        outcome = self._outcome()
        rewards = outcome.solver_rewards
        return [outcome.proposer_reward, sum(rewards) / len(rewards) if rewards else 0.0]

    def _result_lines(self, player: int) -> list[str]:
        outcome = self._outcome()
        lines = ["The game is over."]
        if outcome.status != VALID:
            lines.append(f"The proposal was {outcome.status}: {outcome.reason}")
        else:
            right = sum(a.correct for a in outcome.attempts)
            lines.append(
                f"The answer was {outcome.claim}. Right answers: {right} of "
                f"{len(outcome.attempts)} (pass rate {outcome.pass_rate:g})."
            )
            if self._game.preset == "pasodoble":
                lines.append(f"Diversity: {outcome.diversity:g}.")
                if outcome.filtered:
                    lines.append(f"The anti-hack check set p to 0: {outcome.filtered}.")
        ret = self.returns()
        lines.append(f"Your reward: {ret[player]:g}; the other seat's: {ret[1 - player]:g}.")
        return lines

    def _header(self, player: int) -> str:
        game = self._game
        role = "proposer" if player == PROPOSER else "solver"
        return (
            f"You are the {role} (seat {player}) in the proposer-solver game (reward preset "
            f"{game.preset}); the solver answers each task {game.attempts} times."
        )


class MenuProposerSolverState(ProposerSolverState):
    """The structured game: menu choice, drawn instance, the solver's chosen answers."""

    __slots__ = ("_answers", "_choice", "_index")

    def __init__(self, game: ProposerSolverGame) -> None:
        super().__init__(game)
        self._choice: int | None = None
        self._index: int | None = None
        self._answers: list[int] = []

    def current_player(self) -> int:
        if self._choice is None:
            return PROPOSER
        if self._index is None:
            return CHANCE
        if len(self._answers) < self._game.attempts:
            return SOLVER
        return TERMINAL

    def instance(self) -> Instance | None:
        """The drawn task, or None before the draw."""
        if self._choice is None or self._index is None:
            return None
        return self._game.instance(self._choice, self._index)

    def _legal_actions(self, player: int) -> list[int]:
        if player == PROPOSER:
            return list(range(len(self._game.family_names) * self._game.difficulties))
        return list(range(self._game.choices))

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        n = self._game.instances
        return [(i, 1.0 / n) for i in range(n)]

    def _is_legal(self, player: int, action: int) -> bool:
        game = self._game
        if player == CHANCE:
            return 0 <= action < game.instances
        if player == PROPOSER:
            return 0 <= action < len(game.family_names) * game.difficulties
        return 0 <= action < game.choices

    def _apply_action(self, action: int) -> None:
        current = self.current_player()
        if current == PROPOSER:
            self._choice = action
        elif current == CHANCE:
            self._index = action
        else:
            self._answers.append(action)

    def _outcome(self) -> Outcome:
        inst = self.instance()
        assert inst is not None
        attempts = tuple(Attempt(inst.texts[a], a == inst.correct, True) for a in self._answers)
        trivial = self._game.family(inst.family).is_trivial(inst.task)
        claim = format_answer(inst.answer)
        return self._score(VALID, "", inst.family, inst.task, claim, trivial, attempts)

    def clone(self) -> MenuProposerSolverState:
        twin = MenuProposerSolverState.__new__(MenuProposerSolverState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._choice = self._choice
        twin._index = self._index
        twin._answers = list(self._answers)
        return twin

    # ---- what each seat knows -----------------------------------------------------------

    def information_state_key(self, player: int) -> Hashable:
        """The proposer sees everything: its choice, the draw and the answers so far. The
        solver sees the task only, the same at every attempt."""
        if player == PROPOSER:
            return ("proposer", self._choice, self._index, tuple(self._answers))
        return ("solver", self._choice, self._index)

    def information_state_tensor(self, player: int) -> np.ndarray:
        game = self._game
        if isinstance(player, bool) or player not in (PROPOSER, SOLVER):
            raise RedqueenError(f"players are 0 (proposer) and 1 (solver); got {player!r}")
        menu = len(game.family_names) * game.difficulties
        out = np.zeros(game.information_state_tensor_shape(), dtype=np.float32)
        out[player] = 1.0
        if self._choice is not None:
            out[2 + self._choice] = 1.0
        if self._index is not None:
            out[2 + menu + self._index] = 1.0
        if player == PROPOSER:
            base = 2 + menu + game.instances
            for i, a in enumerate(self._answers):
                out[base + i * game.choices + a] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        game = self._game
        if player == PROPOSER:
            return game._menu_names[action]
        if player == CHANCE:
            return f"task {action}"
        inst = self.instance()
        if inst is None:
            raise RedqueenError("the solver's answers are named once a task is drawn")
        return inst.texts[action]

    def parse_action(self, text: str, player: int | None = None) -> int:
        """As ``State.parse_action``; the proposer may also write ``arithmetic 3`` or
        ``(linear, difficulty 2)``, and the solver a reply whose answer (``\\boxed{...}``,
        ``<answer>...</answer>`` or a bare value) equals one of the choices. The solver's
        numbers are read as values, never as action ids."""
        if player is None:
            player = self.current_player()
        if player == SOLVER and self.current_player() == SOLVER:
            return self._parse_answer(text)
        if player == PROPOSER and self.current_player() == PROPOSER:
            found = self._parse_menu(text)
            if found is not None:
                return found
        return super().parse_action(text, player)

    def _parse_menu(self, text: str) -> int | None:
        if not isinstance(text, str) or len(text) > DEFAULT_LIMITS.max_reply_chars:
            return None
        body = last_boxed(text) or last_tagged(text, "answer") or text
        match = re.fullmatch(
            r"\W*([A-Za-z_]+)\W*(?:difficulty|level)?\W*([0-9]{1,3})\W*", body.strip()
        )
        if match is None:
            return None
        game = self._game
        name, difficulty = match[1].lower(), int(match[2])
        if name in game.family_names and 1 <= difficulty <= game.difficulties:
            return game.menu_action(name, difficulty)
        return None

    def _parse_answer(self, text: str) -> int:
        inst = self.instance()
        assert inst is not None
        names = list(enumerate(inst.texts))
        if not isinstance(text, str):
            raise ParseActionError(repr(text), names)
        for a, name in names:
            if name == text:
                return a
        try:
            value = self._game.family(inst.family).parse_answer(text)
        except TaskError:
            raise ParseActionError(text[:200], names) from None
        for a, choice in enumerate(inst.choices):
            if answers_equal(value, choice):
                return a
        raise ParseActionError(text[:200], names)

    def observation_text(self, player: int) -> str:
        game = self._game
        lines = [self._header(player)]
        inst = self.instance()
        if player == PROPOSER:
            if self._choice is None:
                lines.append(
                    "Choose a task family and a difficulty (1 = easiest): "
                    + ", ".join(game.family_names)
                    + f", difficulty 1 to {game.difficulties}. A task of that kind is drawn "
                    "with its exact answer; see the rules for your reward."
                )
                return "\n".join(lines)
            lines.append(f"You chose {game._menu_names[self._choice]}.")
            if inst is None:
                lines.append("A task is being drawn.")
                return "\n".join(lines)
            lines.append(f"Task drawn: {inst.task}")
            lines.append(f"Its answer: {format_answer(inst.answer)}")
            if self._answers:
                given = ", ".join(
                    f"{inst.texts[a]} ({'right' if a == inst.correct else 'wrong'})"
                    for a in self._answers
                )
                lines.append(f"The solver's answers so far: {given}.")
        else:
            if inst is None:
                lines.append("The proposer has not posed a task yet.")
                return "\n".join(lines)
            lines.append(f"Task ({inst.family}): {inst.view}")
            lines.append(
                "Answer with one of: " + "; ".join(inst.texts) + ". Write the exact value in "
                "\\boxed{...}."
            )
        if self.is_terminal():
            lines.extend(self._result_lines(player))
        return "\n".join(lines)


@dataclass(frozen=True)
class Proposal:
    """A readable text proposal."""

    family: str
    task: str
    claim: str
    """The claimed answer as written (after extraction)."""


def _line(text: str, name: str) -> str | None:
    """The text after the last ``name:`` at the start of a line, or None."""
    found = re.findall(rf"(?im)^[ \t*#]*{name}[ \t*]*:(.*)$", text)
    return found[-1].strip().lstrip("*").strip() if found else None


def parse_proposal(text: str, families: Sequence[str]) -> Proposal:
    """Read ``family:``, ``task:`` and ``answer:`` lines (or ``<family>``, ``<task>`` or
    ``<problem>``, and ``<answer>`` tags, with a ``\\boxed{}`` inside taken as the answer)
    from a proposer's reply. Without a family the task's look decides: ``[`` starts a list
    program, ``=`` makes an equation, a letter or ``|`` a multi-hop path, else arithmetic.
    Raises :class:`TaskSyntaxError` saying what is missing."""
    if not isinstance(text, str):
        raise TaskSyntaxError(f"a proposal must be text; got {type(text).__name__}")
    if len(text) > DEFAULT_LIMITS.max_reply_chars:
        raise TaskSyntaxError(
            f"a proposal of {len(text)} characters; at most {DEFAULT_LIMITS.max_reply_chars}"
        )
    task = last_tagged(text, "task") or last_tagged(text, "problem") or _line(text, "task")
    claim_part = last_tagged(text, "answer")
    claim = (last_boxed(claim_part) or claim_part) if claim_part is not None else None
    if claim is None:
        claim = _line(text, "answer")
    if claim is None and task is not None:
        claim = last_boxed(text.replace(task, ""))
    if not task or not task.strip():
        raise TaskSyntaxError(
            "no task found: write a line 'task: ...' (or <task>...</task>) and a line 'answer: ...'"
        )
    if claim is None or not claim.strip():
        raise TaskSyntaxError(
            "no answer found: write a line 'answer: ...' (or <answer>...</answer>)"
        )
    task = task.strip()
    name = last_tagged(text, "family") or _line(text, "family")
    if name is not None:
        name = name.strip().lower()
    elif len(families) == 1:
        name = families[0]
    elif task.startswith("["):
        name = "list"
    elif "=" in task:
        name = "linear"
    elif "|" in task or re.search(r"[A-Za-z]", task):
        name = "multi_hop"
    else:
        name = "arithmetic"
    if name not in families:
        raise TaskSyntaxError(
            f"the task family {name[:40]!r} is not played here; families: {', '.join(families)}"
        )
    return Proposal(name, task, claim.strip())


@dataclass(frozen=True)
class _Search:
    call: str
    result: str


class TextProposerSolverState(ProposerSolverState):
    """The text-only game: a written proposal, then written answers (and searches)."""

    def __init__(self, game: ProposerSolverGame) -> None:
        super().__init__(game)
        self._proposal: Proposal | None = None
        self._answer: Answer | None = None
        self._status: str | None = None
        self._reason = ""
        self._trivial = False
        self._attempts: list[Attempt] = []
        self._searches: list[_Search] = []  # of the current attempt
        self._invalid = [0, 0]

    def current_player(self) -> int:
        if self._status is None:
            return PROPOSER
        if self._status != VALID or len(self._attempts) >= self._game.attempts:
            return TERMINAL
        return SOLVER

    def _legal_actions(self, player: int) -> list[int]:
        return []

    def _apply_action(self, action: int) -> None:
        raise self._text_only()

    def _action_text(self, player: int, action: int) -> str:
        raise self._text_only()

    def parse_action(self, text: str, player: int | None = None) -> int:
        raise self._text_only()

    def _text_only(self) -> RedqueenError:
        return RedqueenError(
            "proposer_solver with proposer_moves='text' is a text-only game: send moves as "
            "text with apply_text_action(text)"
        )

    def invalid_moves(self) -> tuple[int, ...]:
        return tuple(self._invalid)

    def proposal(self) -> Proposal | None:
        return self._proposal

    def apply_text_action(self, text: str, player: int | None = None) -> None:
        """The move of the seat to move. A proposal or answer that cannot be used is an
        invalid move, judged and counted by the game (it never raises for that); raises
        only out of turn, once the game is over, or for a move that is not a string."""
        current = self.current_player()
        if current == TERMINAL or (player is not None and player != current):
            raise IllegalActionError(text, current if player is None else player, [])
        if not isinstance(text, str):
            raise IllegalActionError(text, current, [])
        if current == PROPOSER:
            self._propose(text)
        else:
            self._respond(text)
        self._history.append(Step(current, text))

    def _propose(self, text: str) -> None:
        game = self._game
        try:
            proposal = parse_proposal(text, game.family_names)
            fam = game.family(proposal.family)
            claim = fam.parse_answer(proposal.claim)
            fam.is_trivial(proposal.task)  # a syntax error here is a format failure
        except TaskSyntaxError as err:
            self._status, self._reason = UNREADABLE, str(err)
            self._invalid[PROPOSER] += 1
            return
        except TaskError as err:
            self._status, self._reason = INVALID, str(err)
            self._invalid[PROPOSER] += 1
            return
        self._proposal = proposal
        try:
            truth = fam.solve(proposal.task)
            self._trivial = fam.is_trivial(proposal.task)
        except TaskError as err:
            self._status, self._reason = INVALID, f"the task has no answer: {err}"
            self._invalid[PROPOSER] += 1
            return
        if not answers_equal(claim, truth):
            self._status = INVALID
            self._reason = (
                f"the claimed answer {format_answer(claim)} is wrong; the task's value is "
                f"{format_answer(truth)}"
            )
            self._invalid[PROPOSER] += 1
            return
        self._status = VALID
        self._answer = claim

    def _respond(self, text: str) -> None:
        game = self._game
        assert self._proposal is not None and self._answer is not None
        fam = game.family(self._proposal.family)
        answered = last_boxed(text) is not None or last_tagged(text, "answer") is not None
        if isinstance(fam, MultiHopFamily) and not answered:
            try:
                call = parse_search_call(text)
            except TaskError:
                self._end_attempt(Attempt(text[:200], False, False))
                return
            if call is not None:
                if len(self._searches) >= game.max_searches:
                    self._end_attempt(Attempt(text[:200], False, False))
                    return
                result = game.graph.search(*call)
                shown = f"search({call[0]}" + (f", {call[1]})" if call[1] else ")")
                self._searches.append(_Search(shown, result))
                return
        try:
            value = fam.parse_answer(text)
        except TaskError:
            self._end_attempt(Attempt(text[:200], False, False))
            return
        self._end_attempt(Attempt(format_answer(value), answers_equal(value, self._answer), True))

    def _end_attempt(self, attempt: Attempt) -> None:
        if not attempt.well_formed:
            self._invalid[SOLVER] += 1
        self._attempts.append(attempt)
        self._searches = []

    def _outcome(self) -> Outcome:
        proposal = self._proposal
        assert self._status is not None
        if proposal is None or self._status != VALID:
            return self._score(
                self._status,
                self._reason,
                proposal.family if proposal else "",
                proposal.task if proposal else "",
                proposal.claim if proposal else "",
                False,
                (),
            )
        return self._score(
            VALID,
            "",
            proposal.family,
            proposal.task,
            proposal.claim,
            self._trivial,
            tuple(self._attempts),
        )

    def clone(self) -> TextProposerSolverState:
        twin = TextProposerSolverState.__new__(TextProposerSolverState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._proposal = self._proposal
        twin._answer = self._answer
        twin._status = self._status
        twin._reason = self._reason
        twin._trivial = self._trivial
        twin._attempts = list(self._attempts)
        twin._searches = list(self._searches)
        twin._invalid = list(self._invalid)
        return twin

    def information_state_key(self, player: int) -> Hashable:
        """The proposer: every move so far. The solver: the task and this attempt's
        searches (never its other attempts)."""
        if player == PROPOSER:
            return ("proposer", tuple(str(s.action) for s in self._history))
        proposal = self._proposal
        if proposal is None or self._status != VALID:
            return ("solver", None, None, ())
        return (
            "solver",
            proposal.family,
            proposal.task,
            tuple((s.call, s.result) for s in self._searches),
        )

    def observation_text(self, player: int) -> str:
        game = self._game
        lines = [self._header(player)]
        proposal = self._proposal
        if player == PROPOSER:
            if self._status is None:
                lines.append(
                    "Write a task and its exact answer, as lines 'family: NAME', 'task: TASK' "
                    "and 'answer: VALUE'. Families: " + ", ".join(game.family_names) + "."
                )
                lines.extend(f"- {game.family(n).grammar}" for n in game.family_names)
            elif proposal is not None:
                lines.append(f"Your task ({proposal.family}): {proposal.task}")
                lines.append(f"Your answer: {proposal.claim}")
                if self._attempts:
                    lines.append(
                        "The solver's answers so far: "
                        + ", ".join(
                            f"{a.answer} ({'right' if a.correct else 'wrong'})"
                            for a in self._attempts
                        )
                        + "."
                    )
        else:
            if proposal is None or self._status != VALID:
                lines.append("There is no task to answer.")
            else:
                fam = game.family(proposal.family)
                if isinstance(fam, MultiHopFamily):
                    lines.append(f"Question: {fam.parse_path(proposal.task).question()}")
                    lines.append(
                        "You may call search(entity, relation) or search(entity), at most "
                        f"{game.max_searches} times, before answering with \\boxed{{name}}."
                    )
                    lines.extend(f"{s.call} -> {s.result}" for s in self._searches)
                else:
                    lines.append(f"Task ({proposal.family}): {proposal.task}")
                    lines.append("Write the exact answer in \\boxed{...}.")
        if self.is_terminal():
            lines.extend(self._result_lines(player))
        return "\n".join(lines)
