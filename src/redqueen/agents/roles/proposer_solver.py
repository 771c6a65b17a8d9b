"""Scripted players of the proposer/solver game (:mod:`redqueen.games.roles.proposer_solver`).

PasoDoble's offline design (``roles.md`` §5.1) measures a proposer against scripted
solvers whose error rate grows with difficulty; these are those players, and two
proposers to compare:

- :class:`NoisySolver` (``noisy_task_solver``): solves the task exactly with the game's
  own interpreter, then answers wrongly with probability
  ``min(1, error_at_1 + error_step * (difficulty - 1))``, choosing uniformly among the
  wrong choices (in the text game it writes a wrong value of the same kind). The
  difficulty is the menu's, or the number of operations of a written task.
- :class:`FixedProposer` (``fixed_task_proposer``): always proposes one family
  at one difficulty (in the text game it writes a generated task of that kind).
- :class:`EdgeProposer` (``edge_task_proposer``): targets a pass rate. It keeps the mean
  pass rate it has seen at each menu item, tries each item once (easiest first), and then
  proposes the item whose mean is closest to ``target`` (exploring uniformly with
  probability ``explore``). Agents see no rewards during a match, so the pass rates come
  from whoever runs the matches, through :meth:`EdgeProposer.record` (a training loop,
  or a test); its memory survives ``reset()``.

All draw their randomness from the observation's Generator, so matches are repeatable.
"""

from __future__ import annotations

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.roles.proposer_solver import PROPOSER, SOLVER, ProposerSolverGame
from redqueen.games.roles.tasks import answers_equal, format_answer


def _game(agent: Agent, game: Game) -> ProposerSolverGame:
    if not isinstance(game, ProposerSolverGame):
        raise RedqueenError(
            f"agent {agent.spec().label()!r} plays proposer_solver only; got {game.id}"
        )
    return game


def _check_rate(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidParameterError(f"{name} must be a number in [0, 1]; got {value!r}")
    return float(value)


def error_rate(difficulty: int, error_at_1: float, error_step: float) -> float:
    """``error_at_1 + error_step * (difficulty - 1)``, clipped to [0, 1]."""
    return min(1.0, max(0.0, error_at_1 + error_step * (difficulty - 1)))


class NoisySolver(Agent):
    """Right unless a coin with the difficulty's error rate says otherwise."""

    name = "noisy_task_solver"

    def __init__(self, error_at_1: float = 0.1, error_step: float = 0.2) -> None:
        self.error_at_1 = _check_rate("error_at_1", error_at_1)
        if isinstance(error_step, bool) or not isinstance(error_step, int | float):
            raise InvalidParameterError(f"error_step must be a number; got {error_step!r}")
        self.error_step = float(error_step)

    def check_game(self, game: Game) -> None:
        _game(self, game)

    def act(self, obs: Observation) -> int | str:
        game = _game(self, obs.game)
        if obs.player != SOLVER:
            raise RedqueenError(f"{self.name} plays the solver's seat ({SOLVER}), not {obs.player}")
        task = game.solver_task(obs.information_state_key)
        if task is None:
            raise RedqueenError("the solver was asked to move before a task was posed")
        family = game.family(task.family)
        truth = family.solve(task.task)
        wrong = obs.rng.random() < error_rate(task.difficulty, self.error_at_1, self.error_step)
        if game.spec.text_actions:
            value = family.distractors(truth, 1, obs.rng)[0] if wrong else truth
            return f"\\boxed{{{format_answer(value)}}}"
        right = [
            a
            for a, text in zip(obs.legal_actions, obs.legal_action_texts, strict=True)
            if answers_equal(family.parse_answer(text), truth)
        ]
        if not wrong:
            return right[0]
        others = [a for a in obs.legal_actions if a not in right]
        return others[int(obs.rng.integers(len(others)))]

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"error_at_1": self.error_at_1, "error_step": self.error_step})


def _propose(obs: Observation, game: ProposerSolverGame, family: str, difficulty: int) -> int | str:
    """The menu action for ``(family, difficulty)``, or in the text game a generated task
    of that kind written with its answer."""
    if obs.player != PROPOSER:
        raise RedqueenError(f"a proposer plays seat {PROPOSER}, not {obs.player}")
    if not game.spec.text_actions:
        return game.menu_action(family, difficulty)
    task, answer = game.family(family).generate(difficulty, obs.rng)
    return f"family: {family}\ntask: {task}\nanswer: {format_answer(answer)}"


def _check_choice(game: ProposerSolverGame, family: str, difficulty: int) -> None:
    if family not in game.family_names:
        raise UnknownNameError("task family of this game", family, game.family_names)
    if difficulty > game.difficulties:
        raise RedqueenError(
            f"difficulty {difficulty} is not on this game's menu (1..{game.difficulties})"
        )


class FixedProposer(Agent):
    """Always proposes ``family`` at ``difficulty``."""

    name = "fixed_task_proposer"

    def __init__(self, family: str = "arithmetic", difficulty: int = 1) -> None:
        if isinstance(difficulty, bool) or not isinstance(difficulty, int) or difficulty < 1:
            raise InvalidParameterError(f"difficulty must be an integer >= 1; got {difficulty!r}")
        self.family = str(family)
        self.difficulty = difficulty

    def check_game(self, game: Game) -> None:
        _check_choice(_game(self, game), self.family, self.difficulty)

    def act(self, obs: Observation) -> int | str:
        return _propose(obs, _game(self, obs.game), self.family, self.difficulty)

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"family": self.family, "difficulty": self.difficulty})


class EdgeProposer(Agent):
    """Proposes the menu item whose observed mean pass rate is closest to ``target``.

    ``family`` restricts it to one family ("" for the whole menu). Feed it each finished
    game's pass rate with :meth:`record`."""

    name = "edge_task_proposer"

    def __init__(self, target: float = 0.5, family: str = "", explore: float = 0.1) -> None:
        self.target = _check_rate("target", target)
        self.explore = _check_rate("explore", explore)
        self.family = str(family)
        self._total: dict[tuple[str, int], float] = {}
        self._count: dict[tuple[str, int], int] = {}

    def check_game(self, game: Game) -> None:
        g = _game(self, game)
        if self.family:
            _check_choice(g, self.family, 1)

    def record(self, family: str, difficulty: int, pass_rate: float) -> None:
        """One finished game: the solver's pass rate on a task of ``family`` at
        ``difficulty``."""
        key = (family, int(difficulty))
        self._total[key] = self._total.get(key, 0.0) + float(pass_rate)
        self._count[key] = self._count.get(key, 0) + 1

    def mean_pass_rate(self, family: str, difficulty: int) -> float | None:
        """The mean pass rate recorded for ``(family, difficulty)``, or None."""
        key = (family, difficulty)
        return self._total[key] / self._count[key] if key in self._count else None

    def choose(self, game: ProposerSolverGame, rng_draw: float, rng_index: int) -> tuple[str, int]:
        """The ``(family, difficulty)`` to propose, given a uniform draw in [0, 1) and a
        uniform index (used when exploring)."""
        items = [(f, d) for f, d in game.menu() if not self.family or f == self.family]
        untried = [item for item in items if item not in self._count]
        if untried:
            return untried[0]
        if rng_draw < self.explore:
            return items[rng_index % len(items)]
        return min(items, key=lambda item: abs(self._total[item] / self._count[item] - self.target))

    def act(self, obs: Observation) -> int | str:
        game = _game(self, obs.game)
        draw = float(obs.rng.random())
        index = int(obs.rng.integers(1 << 30))
        family, difficulty = self.choose(game, draw, index)
        return _propose(obs, game, family, difficulty)

    def spec(self) -> AgentSpec:
        return AgentSpec(
            self.name, {"target": self.target, "family": self.family, "explore": self.explore}
        )
