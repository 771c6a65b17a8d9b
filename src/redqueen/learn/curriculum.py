"""Curriculum by play: eva's creator as an estimate, sample and evolve loop over tasks.

eva (Ye et al. 2024, "Evolving Alignment via Asymmetric Self-Play", arXiv:2411.00062; no
code was found, so this follows the paper's description as summarised in ``roles.md``
§5.4) adds a *creator* to preference training. Each round the creator

1. **estimates** how informative each prompt is for the solver, from the spread of the
   rewards of the solver's sampled responses (an "advantage" or regret proxy; the paper's
   example is the best reward minus the mean one, and its exact form is unverified);
2. **samples** prompts weighted towards the informative ones;
3. **evolves** them into new prompts by rewriting them (EvolInstruct's "in-depth" and
   "in-breadth" rewrites),

and the solver then trains on the evolved set. A prompt the solver always gets right, or
always wrong, teaches it nothing; one where its answers differ does.

Here a task is a point in a parameter space (:class:`Task`, a frozen mapping such as
``{"family": "linear", "difficulty": 3}``), and the loop is exact:

- **Estimate.** One *evaluation* of a task is the list of rewards of the solver's
  ``K`` answers to it (``proposer_solver``'s attempts, or ``K`` matches of any game).
  Its spread (:func:`spread`) is ``max(r) - mean(r)`` (``"max_minus_mean"``, the
  default, eva's example) or the population standard deviation (``"std"``). A task's
  informativeness is the mean spread of its evaluations so far. For rewards that are 1
  with probability ``p`` and 0 otherwise, the expected max-minus-mean spread of ``K``
  answers is ``1 - (1 - p)^K - p`` (:func:`expected_max_minus_mean`): 0 at ``p = 0`` and
  ``p = 1``, largest at ``p = 1 - K^(-1/(K-1))`` (0.30 for ``K = 6``); the standard
  deviation's expectation is largest at ``p = 1/2``. Both favour the tasks of middle
  difficulty.
- **Sample.** A task is drawn with probability ``softmax(informativeness / temperature)``
  over the pool; a task not evaluated yet counts as ``unseen`` (default 1, the largest
  spread of rewards in [0, 1]), so every new task is soon tried.
- **Evolve.** ``children`` parents are drawn with the same weights and each is mutated
  by the task space (:class:`TaskSpace`); a valid child not yet in the pool joins it.
  When the pool holds more than ``max_pool`` tasks, the evaluated ones with the lowest
  informativeness leave it. :class:`ParameterSpace` mutates a parameter dict: one
  parameter chosen uniformly, an integer moved one step up or down (in range), a choice
  replaced by another value. On ``proposer_solver``'s menu (:func:`menu_task_space`)
  a difficulty step is the "in-depth" rewrite and a family change the "in-breadth" one.

Deviations from eva, and why: tasks are parameter points, not text, so "evolve" is a
mutation and not an LLM rewrite; the solver's rewards come from the game (exact
verifiers or a judge) instead of a reward model; the informativeness is a running mean
over evaluations, so a solver that changes is tracked only slowly (eva re-estimates
every round with the current solver).

It works with any role game through two small pieces: a :class:`TaskSpace` (``check``
and ``mutate``) and an *evaluator* ``evaluate(task, rng) -> rewards``.
:func:`menu_evaluator` plays one ``proposer_solver`` match per evaluation (a
:class:`~redqueen.agents.roles.proposer_solver.FixedProposer` at the task against the
given solver) and returns the solver's rewards per attempt; :func:`match_evaluator`
plays ``rollouts`` matches of any game built from the task and returns one seat's
returns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from redqueen.agents.core import Agent
from redqueen.agents.roles.proposer_solver import FixedProposer
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.params import integer, number
from redqueen.games.roles.proposer_solver import ProposerSolverGame, ProposerSolverState
from redqueen.play.match import play_match, replay

SPREADS = ("max_minus_mean", "std")
"""The forms of a group of rewards' spread (see :func:`spread`)."""

Evaluator = Callable[["Task", np.random.Generator], Sequence[float]]
"""``evaluate(task, rng)``: the rewards of the solver's answers to one task (one group)."""


# ---- tasks and the spread of rewards ------------------------------------------------------


@dataclass(frozen=True)
class Task:
    """A point of a task space: parameter names and values, sorted by name (hashable)."""

    items: tuple[tuple[str, Hashable], ...]

    @classmethod
    def of(cls, params: Mapping[str, Hashable] | None = None, **more: Hashable) -> Task:
        """``Task.of({"family": "linear"}, difficulty=3)``."""
        merged = {**(params or {}), **more}
        return cls(tuple(sorted(merged.items())))

    def __getitem__(self, name: str) -> Hashable:
        for key, value in self.items:
            if key == name:
                return value
        raise UnknownNameError("task parameter", name, [k for k, _ in self.items])

    def as_dict(self) -> dict[str, Hashable]:
        return dict(self.items)

    def replace(self, **changes: Hashable) -> Task:
        return Task.of(self.as_dict(), **changes)

    def __str__(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.items)


def spread(rewards: Sequence[float], kind: str = "max_minus_mean") -> float:
    """How much one group of rewards varies: ``max - mean`` or the population standard
    deviation; 0 for a group of equal rewards."""
    if kind not in SPREADS:
        raise UnknownNameError("reward spread", kind, SPREADS)
    r = np.asarray(rewards, dtype=np.float64)
    if r.ndim != 1 or r.size == 0 or not np.all(np.isfinite(r)):
        raise InvalidParameterError(
            f"a group of rewards must be a non-empty list of finite numbers; got {list(rewards)!r}"
        )
    if kind == "std":
        return float(r.std())
    return float(r.max() - r.mean())


def expected_max_minus_mean(pass_rate: float, answers: int) -> float:
    """The expected ``max - mean`` of ``answers`` rewards that are 1 with probability
    ``pass_rate`` and else 0: ``1 - (1 - p)^K - p``."""
    p = number("pass_rate", pass_rate, 0.0, 1.0)
    k = integer("answers", answers, 1, 1_000_000)
    return 1.0 - (1.0 - p) ** k - p


# ---- task spaces ----------------------------------------------------------------------------


class TaskSpace(Protocol):
    """What the curriculum needs to know about tasks: which are valid, and how to change
    one."""

    def check(self, task: Task) -> None:
        """Raise :class:`~redqueen.errors.InvalidParameterError` saying why ``task`` is
        not a valid task."""

    def mutate(self, task: Task, rng: np.random.Generator) -> Task:
        """A valid task near ``task``."""


@dataclass(frozen=True)
class ParameterSpace:
    """Tasks with integer parameters in ranges and categorical ones.

    ``integers``: name -> ``(low, high)``, both included; ``choices``: name -> the allowed
    values. A mutation changes one parameter chosen uniformly: an integer moves one step
    up or down (the inward step at a bound; none when ``low == high``), a choice becomes
    another of its values, uniformly."""

    integers: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    choices: Mapping[str, Sequence[Hashable]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        both = set(self.integers) & set(self.choices)
        if both:
            raise InvalidParameterError(f"parameters both integer and choice: {sorted(both)}")
        if not self.integers and not self.choices:
            raise InvalidParameterError("a parameter space needs at least one parameter")
        for name, bounds in self.integers.items():
            if (
                len(bounds) != 2
                or any(isinstance(b, bool) or not isinstance(b, int) for b in bounds)
                or bounds[0] > bounds[1]
            ):
                raise InvalidParameterError(
                    f"integers[{name!r}] must be (low, high) integers with low <= high; "
                    f"got {bounds!r}"
                )
        for name, values in self.choices.items():
            if isinstance(values, str) or len(values) == 0 or len(set(values)) != len(values):
                raise InvalidParameterError(
                    f"choices[{name!r}] must list distinct values; got {values!r}"
                )

    @property
    def names(self) -> list[str]:
        return sorted([*self.integers, *self.choices])

    def check(self, task: Task) -> None:
        given = [k for k, _ in task.items]
        if sorted(given) != self.names:
            raise InvalidParameterError(
                f"a task of this space has the parameters {self.names}; got {given}"
            )
        for name, (low, high) in self.integers.items():
            integer(f"task parameter {name}", task[name], low, high)
        for name, values in self.choices.items():
            if task[name] not in values:
                raise UnknownNameError(
                    f"value of task parameter {name!r}", str(task[name]), [str(v) for v in values]
                )

    def mutate(self, task: Task, rng: np.random.Generator) -> Task:
        self.check(task)
        movable = [n for n in self.names if self._can_move(n)]
        if not movable:
            return task
        name = movable[int(rng.integers(len(movable)))]
        if name in self.integers:
            low, high = self.integers[name]
            value = int(task[name])  # type: ignore[call-overload]
            steps = [s for s in (-1, 1) if low <= value + s <= high]
            return task.replace(**{name: value + steps[int(rng.integers(len(steps)))]})
        others = [v for v in self.choices[name] if v != task[name]]
        return task.replace(**{name: others[int(rng.integers(len(others)))]})

    def _can_move(self, name: str) -> bool:
        if name in self.integers:
            low, high = self.integers[name]
            return low < high
        return len(self.choices[name]) > 1

    def tasks(self) -> Iterator[Task]:
        """Every task of the space (choices in their order, integers ascending)."""
        names = self.names
        axes: list[Sequence[Hashable]] = [
            range(self.integers[n][0], self.integers[n][1] + 1)
            if n in self.integers
            else self.choices[n]
            for n in names
        ]

        def rec(i: int, chosen: dict[str, Hashable]) -> Iterator[Task]:
            if i == len(names):
                yield Task.of(chosen)
                return
            for value in axes[i]:
                yield from rec(i + 1, {**chosen, names[i]: value})

        return rec(0, {})


# ---- the curriculum -------------------------------------------------------------------------


@dataclass(frozen=True)
class CurriculumConfig:
    """The creator's settings (see the module docstring)."""

    spread: str = "max_minus_mean"
    """How one evaluation's rewards are turned into informativeness: one of :data:`SPREADS`."""
    temperature: float = 0.05
    """Sampling weights are ``softmax(informativeness / temperature)``; lower is greedier."""
    unseen: float = 1.0
    """The informativeness assumed for a task not evaluated yet."""
    batch: int = 8
    """Tasks sampled (with replacement) and evaluated per :meth:`Curriculum.step`."""
    children: int = 2
    """Parents drawn and mutated per :meth:`Curriculum.evolve`."""
    max_pool: int = 64
    """The most tasks the pool keeps."""

    def __post_init__(self) -> None:
        if self.spread not in SPREADS:
            raise UnknownNameError("CurriculumConfig.spread", str(self.spread), SPREADS)
        number("CurriculumConfig.temperature", self.temperature, 0.0, 1e6, open_low=True)
        number("CurriculumConfig.unseen", self.unseen, -1e6, 1e6)
        integer("CurriculumConfig.batch", self.batch, 1, 1_000_000)
        integer("CurriculumConfig.children", self.children, 0, 1_000_000)
        integer("CurriculumConfig.max_pool", self.max_pool, 1, 10_000_000)


@dataclass
class TaskStats:
    """What the curriculum knows about one task."""

    evaluations: int = 0
    spread_total: float = 0.0
    reward_total: float = 0.0
    rewards: int = 0

    @property
    def informativeness(self) -> float | None:
        """The mean spread of its evaluations (None before the first)."""
        return self.spread_total / self.evaluations if self.evaluations else None

    @property
    def mean_reward(self) -> float | None:
        return self.reward_total / self.rewards if self.rewards else None


@dataclass(frozen=True)
class CurriculumStep:
    """One round: the tasks sampled, the spread of each one's evaluation, and the tasks
    that evolution added to the pool."""

    sampled: tuple[Task, ...]
    spreads: tuple[float, ...]
    added: tuple[Task, ...]


class Curriculum:
    """A pool of tasks with informativeness estimates (see the module docstring)."""

    def __init__(
        self, space: TaskSpace, tasks: Iterable[Task], config: CurriculumConfig | None = None
    ) -> None:
        self.space = space
        self.config = config or CurriculumConfig()
        self._stats: dict[Task, TaskStats] = {}
        for task in tasks:
            space.check(task)
            self._stats.setdefault(task, TaskStats())
        if not self._stats:
            raise InvalidParameterError("a curriculum needs at least one task to start from")

    @property
    def pool(self) -> list[Task]:
        """The tasks in the pool, in the order they joined."""
        return list(self._stats)

    def stats(self, task: Task) -> TaskStats:
        if task not in self._stats:
            raise InvalidParameterError(f"the task ({task}) is not in the pool")
        return self._stats[task]

    def informativeness(self, task: Task) -> float | None:
        return self.stats(task).informativeness

    def record(self, task: Task, rewards: Sequence[float]) -> float:
        """One evaluation of ``task`` (a pool member): the rewards of the solver's answers.
        Returns its spread."""
        stats = self.stats(task)
        value = spread(rewards, self.config.spread)
        stats.evaluations += 1
        stats.spread_total += value
        stats.reward_total += math.fsum(float(r) for r in rewards)
        stats.rewards += len(rewards)
        return value

    def weights(self) -> np.ndarray:
        """The sampling probability of each pool task, in :attr:`pool` order."""
        scores = np.array(
            [
                self.config.unseen if s.informativeness is None else s.informativeness
                for s in self._stats.values()
            ]
        )
        z = (scores - scores.max()) / self.config.temperature
        w = np.exp(z)
        return np.asarray(w / w.sum(), dtype=np.float64)

    def sample(self, rng: np.random.Generator, n: int | None = None) -> list[Task]:
        """``n`` (default ``config.batch``) tasks drawn with replacement by :meth:`weights`."""
        count = self.config.batch if n is None else integer("n", n, 0, 10_000_000)
        pool = self.pool
        cdf = np.cumsum(self.weights())
        picks = np.searchsorted(cdf, rng.random(count) * cdf[-1], side="right")
        return [pool[min(int(i), len(pool) - 1)] for i in picks]

    def evolve(self, rng: np.random.Generator) -> list[Task]:
        """Mutate ``config.children`` parents drawn by :meth:`weights`; add the new, valid
        children; trim the pool to ``config.max_pool``. Returns the tasks added."""
        added: list[Task] = []
        for parent in self.sample(rng, self.config.children):
            child = self.space.mutate(parent, rng)
            self.space.check(child)
            if child not in self._stats:
                self._stats[child] = TaskStats()
                added.append(child)
        self._trim(keep=set(added))
        return [t for t in added if t in self._stats]

    def _trim(self, keep: set[Task]) -> None:
        excess = len(self._stats) - self.config.max_pool
        if excess <= 0:
            return
        evaluated = [
            (s.informativeness, i, t)
            for i, (t, s) in enumerate(self._stats.items())
            if s.informativeness is not None and t not in keep
        ]
        evaluated.sort(key=lambda x: (x[0], x[1]))
        for _, _, task in evaluated[:excess]:
            del self._stats[task]

    def step(self, evaluate: Evaluator, rng: np.random.Generator) -> CurriculumStep:
        """Sample ``config.batch`` tasks, evaluate and record each, then evolve."""
        sampled = self.sample(rng)
        spreads = tuple(self.record(task, evaluate(task, rng)) for task in sampled)
        added = self.evolve(rng)
        return CurriculumStep(tuple(sampled), spreads, tuple(added))

    def ranking(self) -> list[tuple[Task, float]]:
        """The evaluated tasks, most informative first."""
        rows = [
            (t, s.informativeness) for t, s in self._stats.items() if s.informativeness is not None
        ]
        return sorted(rows, key=lambda row: -row[1])


# ---- role games -------------------------------------------------------------------------------


def menu_task_space(game: ProposerSolverGame) -> ParameterSpace:
    """``proposer_solver``'s menu as a task space: ``family`` among the game's families,
    ``difficulty`` in ``1..difficulties``."""
    if not isinstance(game, ProposerSolverGame) or game.spec.text_actions:
        raise InvalidParameterError(
            "menu_task_space needs a proposer_solver game with proposer_moves='menu'"
        )
    return ParameterSpace(
        integers={"difficulty": (1, game.difficulties)},
        choices={"family": tuple(game.family_names)},
    )


def _match_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def menu_evaluator(game: ProposerSolverGame, solver: Agent) -> Evaluator:
    """Evaluate a menu task by one match: a fixed proposer at the task's ``(family,
    difficulty)`` against ``solver``; the rewards are the solver's, one per attempt (the
    game's preset decides them)."""
    space = menu_task_space(game)

    def evaluate(task: Task, rng: np.random.Generator) -> Sequence[float]:
        space.check(task)
        proposer = FixedProposer(str(task["family"]), int(task["difficulty"]))  # type: ignore[call-overload]
        result = play_match(game, [proposer, solver], _match_seed(rng))
        state = replay(game, result.trajectory)
        assert isinstance(state, ProposerSolverState)
        return state.outcome().solver_rewards

    return evaluate


def match_evaluator(
    build: Callable[[Task], tuple[Game, Sequence[Agent]]], seat: int, rollouts: int
) -> Evaluator:
    """Evaluate a task by ``rollouts`` matches of the game and agents ``build(task)``
    makes (built once per task); the rewards are seat ``seat``'s returns."""
    integer("rollouts", rollouts, 1, 1_000_000)
    built: dict[Task, tuple[Game, Sequence[Agent]]] = {}

    def evaluate(task: Task, rng: np.random.Generator) -> Sequence[float]:
        if task not in built:
            built[task] = build(task)
        game, agents = built[task]
        if not 0 <= seat < game.num_players:
            raise InvalidParameterError(f"seat must be in 0..{game.num_players - 1}; got {seat}")
        return [play_match(game, agents, _match_seed(rng)).returns[seat] for _ in range(rollouts)]

    return evaluate


__all__ = [
    "SPREADS",
    "Curriculum",
    "CurriculumConfig",
    "CurriculumStep",
    "Evaluator",
    "ParameterSpace",
    "Task",
    "TaskSpace",
    "TaskStats",
    "expected_max_minus_mean",
    "match_evaluator",
    "menu_evaluator",
    "menu_task_space",
    "spread",
]
