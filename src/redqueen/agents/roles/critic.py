"""Scripted players of SPC's critic game (:mod:`redqueen.games.roles.critic`).

Critics (seat 1):

- :class:`ExactCritic` runs the game's step checker on the steps it is shown, so it is
  always right: the ceiling a learned critic is measured against.
- :class:`NoisyCritic` knows the truth the same way but misses an erroneous step with a
  given rate (one rate for every error type, or one per type) and raises a false alarm
  on a correct step with another: a critic of known accuracy, to check that an
  evaluation measures what it should.

Sneaky generators (seat 0):

- :class:`RandomGenerator` shows a step as written with probability ``honest`` (where the
  game allows it), else a uniformly random legal erroneous move.
- :class:`TargetedGenerator` plays the error types a critic misses most: given miss rates
  by type (``CriticMetrics.miss_rates()`` of an earlier evaluation), it picks uniformly
  among the legal erroneous moves whose type has the highest rate.

The critics read the step they are shown from their information-state key (a
:class:`~redqueen.games.roles.critic.CriticKey`: problem, step and error index), which
names exactly what their text view shows.
"""

from __future__ import annotations

from collections.abc import Mapping

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.roles.critic import (
    CORRECT,
    CRITIC,
    ERROR_TYPES,
    GENERATOR,
    NO_ERROR,
    CriticGame,
    CriticKey,
    DerivationStep,
    decode_move,
    move_action,
    step_is_correct,
)


def _require_critic_game(agent: Agent, game: Game) -> None:
    if not isinstance(game, CriticGame):
        raise RedqueenError(f"agent {agent.spec().label()!r} plays only critic_game; got {game.id}")


def _probability(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise InvalidParameterError(f"{name} must be a probability in [0, 1]; got {value!r}")
    return float(value)


def _seat(agent: Agent, obs: Observation, seat: int) -> tuple[CriticGame, CriticKey]:
    _require_critic_game(agent, obs.game)
    if obs.player != seat:
        role = ("sneaky generator", "critic")[seat]
        raise RedqueenError(
            f"agent {agent.spec().label()!r} plays the {role} (seat {seat}); "
            f"it was asked to move for seat {obs.player}"
        )
    assert isinstance(obs.game, CriticGame)
    key = obs.information_state_key
    assert isinstance(key, CriticKey)
    return obs.game, key


def shown_steps(game: CriticGame, key: CriticKey) -> tuple[DerivationStep, ...]:
    """The steps a critic whose key is ``key`` is shown."""
    if key.problem is None or key.error is None:
        raise RedqueenError("the critic has not been shown a step yet")
    if key.step is None:  # ``locate`` and no error: the whole correct solution
        return game.derivation(key.problem)
    return game.shown_steps(key.problem, move_action(key.step, key.error))


def exact_verdict(game: CriticGame, steps: tuple[DerivationStep, ...]) -> int:
    """The right verdict on ``steps``: the last step judged (SPC), or with ``locate`` the
    first wrong step (0: Correct)."""
    if not game.locate:
        return CORRECT if step_is_correct(steps[-1]) else 1
    for j, step in enumerate(steps, start=1):
        if not step_is_correct(step):
            return j
    return CORRECT


class ExactCritic(Agent):
    """Judges with the game's exact step checker: always right."""

    name = "spc_exact_critic"

    def check_game(self, game: Game) -> None:
        _require_critic_game(self, game)

    def act(self, obs: Observation) -> int:
        game, key = _seat(self, obs, CRITIC)
        return exact_verdict(game, shown_steps(game, key))


class NoisyCritic(Agent):
    """Misses an erroneous step with probability ``miss`` (or ``miss_by_error[type]``)
    and says Incorrect on a correct step with probability ``false_alarm`` (with
    ``locate``, naming a uniformly random step). One uniform draw per decision."""

    name = "spc_noisy_critic"

    def __init__(
        self,
        miss: float = 0.0,
        false_alarm: float = 0.0,
        miss_by_error: Mapping[str, float] | None = None,
    ) -> None:
        self.miss = _probability("miss", miss)
        self.false_alarm = _probability("false_alarm", false_alarm)
        self.miss_by_error = dict(miss_by_error or {})
        for kind, rate in self.miss_by_error.items():
            if kind not in ERROR_TYPES:
                raise UnknownNameError("error type", kind, ERROR_TYPES)
            _probability(f"miss_by_error[{kind!r}]", rate)

    def check_game(self, game: Game) -> None:
        _require_critic_game(self, game)

    def miss_rate(self, error_type: str) -> float:
        return float(self.miss_by_error.get(error_type, self.miss))

    def act(self, obs: Observation) -> int:
        game, key = _seat(self, obs, CRITIC)
        steps = shown_steps(game, key)
        truth = exact_verdict(game, steps)
        u = obs.rng.random()
        if truth != CORRECT:
            assert key.error is not None and key.error != NO_ERROR
            return CORRECT if u < self.miss_rate(ERROR_TYPES[key.error - 1]) else truth
        if u >= self.false_alarm:
            return CORRECT
        return 1 + int(obs.rng.integers(len(steps))) if game.locate else 1

    def spec(self) -> AgentSpec:
        params: dict[str, object] = {"miss": self.miss, "false_alarm": self.false_alarm}
        if self.miss_by_error:
            params["miss_by_error"] = dict(self.miss_by_error)
        return AgentSpec(self.name, params)


class _Generator(Agent):
    """Shows a step as written with probability ``honest`` (when the game offers it),
    else an erroneous move chosen by ``_choose``."""

    def __init__(self, honest: float) -> None:
        self.honest = _probability("honest", honest)

    def check_game(self, game: Game) -> None:
        _require_critic_game(self, game)

    def act(self, obs: Observation) -> int:
        game, _ = _seat(self, obs, GENERATOR)
        honest: list[int] = []
        wrong: list[int] = []
        for action in obs.legal_actions:
            (honest if decode_move(action)[1] == NO_ERROR else wrong).append(action)
        u = obs.rng.random()
        if honest and (not wrong or u < self.honest):
            return honest[int(obs.rng.integers(len(honest)))]
        return self._choose(obs, game, wrong)

    def _choose(self, obs: Observation, game: CriticGame, wrong: list[int]) -> int:
        return wrong[int(obs.rng.integers(len(wrong)))]


class RandomGenerator(_Generator):
    """Shows a step as written with probability ``honest``, else a uniformly random legal
    erroneous move."""

    name = "spc_random_generator"

    def __init__(self, honest: float = 0.5) -> None:
        super().__init__(honest)

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"honest": self.honest})


class TargetedGenerator(_Generator):
    """Plays the error types with the highest ``miss_rates`` (types not listed count 0),
    uniformly among the legal moves of those types; shows a step as written with
    probability ``honest``."""

    name = "spc_targeted_generator"

    def __init__(self, miss_rates: Mapping[str, float] | None = None, honest: float = 0.0) -> None:
        super().__init__(honest)
        self.miss_rates = dict(miss_rates or {})
        for kind, rate in self.miss_rates.items():
            if kind not in ERROR_TYPES:
                raise UnknownNameError("error type", kind, ERROR_TYPES)
            _probability(f"miss_rates[{kind!r}]", rate)

    def _choose(self, obs: Observation, game: CriticGame, wrong: list[int]) -> int:
        def rate(action: int) -> float:
            return float(self.miss_rates.get(ERROR_TYPES[decode_move(action)[1] - 1], 0.0))

        best = max(rate(a) for a in wrong)
        top = [a for a in wrong if rate(a) == best]
        return top[int(obs.rng.integers(len(top)))]

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"miss_rates": dict(self.miss_rates), "honest": self.honest})
