"""PettingZoo export: a redqueen game as a multi-agent ``AECEnv`` or ``ParallelEnv``.

PettingZoo is the multi-agent counterpart of Gymnasium, and what multi-agent RL
libraries train on; exporting to it lets them learn on every redqueen game (and, through
:mod:`redqueen.adapters.openspiel`, on OpenSpiel's).

- ``aec_env(game_id, **params)``: any game with an information-state tensor, turn-based
  or simultaneous. At a simultaneous node the seats are asked one after another (seat 0
  first); the joint action is applied once the last has answered, and no seat sees the
  others' choices before then.
- ``parallel_env(game_id, **params)``: simultaneous-move games (``spec.dynamics ==
  "simultaneous"``), every live agent acting at each step. Turn-based games are refused:
  use ``aec_env`` (or PettingZoo's ``turn_based_aec_to_parallel`` on it, which lets every
  agent answer and ignores all but the mover). In a simultaneous game, a turn-based node
  uses only the mover's action.

Both share the same conventions:

- agents ``"player_0"``, ``"player_1"``, ... (seat order); each observation is
  ``{"observation": information_state_tensor(seat), "action_mask": int8 mask of the
  legal actions}`` (all zeros when the seat is not to move); actions are
  ``Discrete(num_distinct_actions)``.
- chance nodes are played inside the env with a Generator seeded by ``reset(seed=...)``.
- rewards are the changes in each seat's return, so they add up to the game's returns
  (in games that pay only at the end, the returns, paid on the last step): zero-sum and
  constant-sum games stay so. Games end by termination, never truncation.
- an illegal action raises :class:`~redqueen.errors.IllegalActionError` and changes
  nothing: sample with the action mask.
- ``render_mode="ansi"`` returns, and ``"human"`` prints, the text view
  (``observation_text``) of the agent to move (of every agent for the parallel env).
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

try:
    from pettingzoo import AECEnv, ParallelEnv
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "redqueen.adapters.pettingzoo needs PettingZoo: pip install 'pettingzoo>=1.27'"
    ) from err
from gymnasium import spaces

from redqueen.adapters.gymnasium import (
    RENDER_MODES,
    action_mask,
    check_render_mode,
    resolve_game,
    sample_chance,
    tensor_box,
)
from redqueen.errors import IllegalActionError, InvalidParameterError, RedqueenError
from redqueen.games.core import CHANCE, SIMULTANEOUS, Dynamics, Game, State

AgentObs = dict[str, np.ndarray]


def aec_env(game_id: str | Game, render_mode: str | None = None, **params: Any) -> RedqueenAECEnv:
    """The game ``game_id`` (built with ``params``, or a :class:`Game` already built) as a
    PettingZoo ``AECEnv``."""
    return RedqueenAECEnv(resolve_game(game_id, params), render_mode=render_mode)


def parallel_env(
    game_id: str | Game, render_mode: str | None = None, **params: Any
) -> RedqueenParallelEnv:
    """The simultaneous-move game ``game_id`` as a PettingZoo ``ParallelEnv``; a turn-based
    game raises :class:`InvalidParameterError` (use :func:`aec_env`)."""
    game = resolve_game(game_id, params)
    if game.spec.dynamics != Dynamics.SIMULTANEOUS:
        raise InvalidParameterError(
            f"{game.id} is turn-based, so it has no parallel form: use aec_env (or PettingZoo's "
            "turn_based_aec_to_parallel on it, which ignores every agent but the mover)"
        )
    return RedqueenParallelEnv(game, render_mode=render_mode)


def agent_name(seat: int) -> str:
    """The PettingZoo name of a seat: ``player_0``, ``player_1``, ..."""
    return f"player_{seat}"


class _Shared:
    """What the AEC and the parallel env have in common: spaces, the episode's state,
    chance sampling, observations and rewards as changes in returns."""

    def _setup(self, game: Game, render_mode: str | None) -> None:
        check_render_mode(render_mode)
        self.game = game
        self.render_mode = render_mode
        self.possible_agents: list[str] = [agent_name(p) for p in range(game.num_players)]
        self._seat_of = {a: p for p, a in enumerate(self.possible_agents)}
        self.observation_spaces: dict[str, spaces.Space[Any]] = {
            a: spaces.Dict(
                {
                    "observation": tensor_box(game),
                    "action_mask": spaces.Box(
                        0, 1, shape=(game.num_distinct_actions,), dtype=np.int8
                    ),
                }
            )
            for a in self.possible_agents
        }
        self.action_spaces: dict[str, spaces.Space[Any]] = {
            a: spaces.Discrete(game.num_distinct_actions) for a in self.possible_agents
        }
        safe_id = "".join(c if c.isalnum() else "_" for c in game.id)
        self.metadata: dict[str, Any] = {
            "render_modes": list(RENDER_MODES),
            "name": f"redqueen_{safe_id}",
            "is_parallelizable": game.spec.dynamics == Dynamics.SIMULTANEOUS,
            "render_fps": 4,
        }
        self._rng = np.random.default_rng()
        self._state: State | None = None
        self._paid = [0.0] * game.num_players

    @property
    def game_state(self) -> State:
        """The redqueen state of the current episode."""
        if self._state is None:
            raise RedqueenError("call reset() before using the env")
        return self._state

    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self.action_spaces[agent]

    def _new_episode(self, seed: int | None) -> None:
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self._state = self.game.new_initial_state()
        # Rewards are changes in the returns: what a seat holds at the start (an
        # endowment) is the baseline, not a reward paid at reset.
        self._paid = [float(r) for r in self._state.returns()]
        self._play_chance()

    def _play_chance(self) -> None:
        state = self.game_state
        while state.current_player() == CHANCE:
            sample_chance(state, self._rng)

    def _reward_changes(self) -> dict[str, float]:
        returns = [float(r) for r in self.game_state.returns()]
        changes = {a: returns[p] - self._paid[p] for p, a in enumerate(self.possible_agents)}
        self._paid = returns
        return changes

    def _observe(self, agent: str) -> AgentObs:
        state = self.game_state
        seat = self._seat_of[agent]
        return {
            "observation": np.array(state.information_state_tensor(seat), dtype=np.float32),
            "action_mask": action_mask(state, seat),
        }

    def _checked_action(self, seat: int, action: Any) -> int:
        state = self.game_state
        legal = state.legal_actions(seat)
        try:
            chosen = operator.index(action)
        except TypeError:
            chosen = None
        if chosen is None or chosen not in legal:
            raise IllegalActionError(action, seat, [(a, state.action_text(a, seat)) for a in legal])
        return chosen

    def _show(self, text: str) -> str | None:
        if self.render_mode == "human":
            print(text)
            return None
        return text if self.render_mode == "ansi" else None


class RedqueenAECEnv(_Shared, AECEnv[str, AgentObs, int]):
    """A redqueen game as a PettingZoo ``AECEnv``. Build it with :func:`aec_env`."""

    def __init__(self, game: Game, render_mode: str | None = None) -> None:
        super().__init__()
        self._setup(game, render_mode)
        self.agents: list[str] = []
        self._pending: dict[int, int] = {}

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        self._new_episode(seed)
        self._pending = {}
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.infos: dict[str, dict[str, Any]] = {a: {} for a in self.agents}
        self.agent_selection = self.agents[0]
        self._settle(self.agents[-1])

    def observe(self, agent: str) -> AgentObs:
        obs = self._observe(agent)
        if self._seat_of[agent] in self._pending:  # already answered at this node
            obs["action_mask"][:] = 0
        return obs

    def step(self, action: int | None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        state = self.game_state
        seat = self._seat_of[agent]
        chosen = self._checked_action(seat, action)
        self._cumulative_rewards[agent] = 0.0
        if state.current_player() == SIMULTANEOUS:
            self._pending[seat] = chosen
            waiting = [p for p in range(self.game.num_players) if p not in self._pending]
            if waiting:
                self._clear_rewards()
                self.agent_selection = self.possible_agents[waiting[0]]
                return
            joint = [self._pending[p] for p in range(self.game.num_players)]
            self._pending = {}
            state.apply_joint_action(joint)
        else:
            state.apply_action(chosen)
        self._play_chance()
        self._settle(agent)

    def _settle(self, last: str) -> None:
        """Pay the changes in returns, end the game if it is over, choose who moves next."""
        self.rewards = self._reward_changes()
        state = self.game_state
        player = state.current_player()
        if state.is_terminal():
            for a in self.agents:
                self.terminations[a] = True
            i = self.possible_agents.index(last)
            self.agent_selection = self.possible_agents[(i + 1) % len(self.possible_agents)]
        elif player == SIMULTANEOUS:
            self.agent_selection = self.possible_agents[0]
        else:
            self.agent_selection = self.possible_agents[player]
        self._accumulate_rewards()

    def render(self) -> str | None:
        if self._state is None or self.render_mode is None:
            return None
        agent = self.agent_selection
        text = self.game_state.observation_text(self._seat_of[agent])
        return self._show(f"{agent}:\n{text}")

    def close(self) -> None:
        """Nothing to release."""


class RedqueenParallelEnv(_Shared, ParallelEnv[str, AgentObs, int]):
    """A simultaneous-move redqueen game as a PettingZoo ``ParallelEnv``. Build it with
    :func:`parallel_env`."""

    def __init__(self, game: Game, render_mode: str | None = None) -> None:
        self._setup(game, render_mode)
        self.agents: list[str] = []

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, AgentObs], dict[str, dict[str, Any]]]:
        self._new_episode(seed)
        self.agents = list(self.possible_agents)
        if self.game_state.is_terminal():
            self.agents = []
        return {a: self._observe(a) for a in self.possible_agents}, {
            a: {} for a in self.possible_agents
        }

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[
        dict[str, AgentObs],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        if not self.agents:
            raise RedqueenError("the episode is over: call reset() to start another")
        state = self.game_state
        player = state.current_player()
        movers = range(self.game.num_players) if player == SIMULTANEOUS else [player]
        missing = [
            self.possible_agents[p] for p in movers if self.possible_agents[p] not in actions
        ]
        if missing:
            raise RedqueenError(f"no action for {', '.join(missing)}; every live agent must act")
        chosen = {p: self._checked_action(p, actions[self.possible_agents[p]]) for p in movers}
        if player == SIMULTANEOUS:
            state.apply_joint_action([chosen[p] for p in range(self.game.num_players)])
        else:
            state.apply_action(chosen[player])
        self._play_chance()
        agents = self.agents
        rewards = self._reward_changes()
        over = state.is_terminal()
        observations = {a: self._observe(a) for a in agents}
        terminations = dict.fromkeys(agents, over)
        truncations = dict.fromkeys(agents, False)
        infos: dict[str, dict[str, Any]] = {a: {} for a in agents}
        if over:
            self.agents = []
        return observations, {a: rewards[a] for a in agents}, terminations, truncations, infos

    def render(self) -> str | None:
        if self._state is None or self.render_mode is None:
            return None
        state = self.game_state
        views = [f"{a}:\n{state.observation_text(p)}" for p, a in enumerate(self.possible_agents)]
        return self._show("\n\n".join(views))

    def close(self) -> None:
        """Nothing to release."""
