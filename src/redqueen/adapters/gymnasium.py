"""Gymnasium export: one seat of a redqueen game as a single-agent ``gymnasium.Env``.

Every single-agent RL library speaks Gymnasium, so this is how a standard learner (DQN,
PPO, tabular Q-learning...) trains against fixed redqueen opponents:
``single_agent_env("kuhn_poker", opponents=RandomAgent(), seat=0)``.

- The learner sits in ``seat``; every other seat is a redqueen
  :class:`~redqueen.agents.core.Agent` (by default a :class:`RandomAgent`), which sees
  the same :class:`~redqueen.agents.core.Observation` it would see in ``play_match``.
  Chance nodes and the opponents' moves are played inside ``step`` until the learner must
  move again or the game ends. Chance and the opponents draw their random numbers from
  the env's ``np_random`` (seeded by ``reset(seed=...)``, as Gymnasium envs do), so the
  same seed and actions give the same episode.
- observation: ``State.information_state_tensor(seat)`` (float32, a ``Box``); ``info``
  carries ``action_mask`` (int8, 1 for the legal actions) and, at the end, ``returns``
  (every seat's); ``action_masks()`` returns the mask as booleans, which is what
  sb3-contrib's ``MaskablePPO`` asks an env for.
- action: ``Discrete(num_distinct_actions)``.
- reward: the change in the learner's return since its last step, so an episode's rewards
  add up to the learner's final return (in games that pay only at the end, the reward is
  the return, paid on the last step).
- an illegal action (including one outside the action space), by ``illegal_action``:
  ``"lose"`` (default) ends the episode at once and pays the learner so that its episode
  total is the game's worst payoff ``spec.min_utility``, with ``info["illegal_action"]``
  set; ``"raise"`` raises :class:`~redqueen.errors.IllegalActionError` and changes
  nothing. (Gymnasium's ``check_env`` samples actions without a mask, so the default must
  not raise.)

The helpers at the bottom (the observation ``Box``, the action mask, chance sampling) are
shared with :mod:`redqueen.adapters.pettingzoo`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np

try:
    import gymnasium
    from gymnasium import spaces
except ImportError as err:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "redqueen.adapters.gymnasium needs Gymnasium: pip install 'gymnasium>=1.0'"
    ) from err

from redqueen.agents.core import Agent, Observation
from redqueen.agents.random_agent import RandomAgent
from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
)
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    Game,
    State,
    sample_chance_outcome,
)
from redqueen.games.registry import make

IllegalAction = Literal["lose", "raise"]
ILLEGAL_ACTION_CHOICES: tuple[str, ...] = ("lose", "raise")
RENDER_MODES: tuple[str, ...] = ("ansi", "human")


def single_agent_env(
    game_id: str | Game,
    opponents: Agent | Sequence[Agent] | None = None,
    seat: int = 0,
    *,
    illegal_action: IllegalAction = "lose",
    render_mode: str | None = None,
    **params: Any,
) -> SingleAgentEnv:
    """A Gymnasium env in which the learner plays ``seat`` of ``game_id`` (built with
    ``params``, or a :class:`Game` already built) against ``opponents``.

    ``opponents`` is one agent for every other seat, a sequence with one agent per other
    seat (in seat order, the learner's seat left out), or None for random agents.
    """
    game = resolve_game(game_id, params)
    return SingleAgentEnv(
        game, opponents, seat, illegal_action=illegal_action, render_mode=render_mode
    )


class SingleAgentEnv(gymnasium.Env[np.ndarray, np.int64]):
    """One seat of a redqueen game against fixed redqueen agents. Build it with
    :func:`single_agent_env`."""

    def __init__(
        self,
        game: Game,
        opponents: Agent | Sequence[Agent] | None = None,
        seat: int = 0,
        *,
        illegal_action: IllegalAction = "lose",
        render_mode: str | None = None,
    ) -> None:
        n = game.num_players
        if isinstance(seat, bool) or not isinstance(seat, int) or not 0 <= seat < n:
            raise InvalidParameterError(
                f"seat must be one of 0..{n - 1} of {game.id}; got {seat!r}"
            )
        if illegal_action not in ILLEGAL_ACTION_CHOICES:
            raise InvalidParameterError(
                f"illegal_action={illegal_action!r}; allowed: {', '.join(ILLEGAL_ACTION_CHOICES)}"
            )
        check_render_mode(render_mode)
        self.metadata = {"render_modes": list(RENDER_MODES), "render_fps": 4}
        self.game = game
        self.seat = seat
        self.illegal_action = illegal_action
        self.render_mode = render_mode
        self.opponents: dict[int, Agent] = _seat_opponents(game, seat, opponents)
        self.observation_space = tensor_box(game)
        self.action_space = spaces.Discrete(game.num_distinct_actions)
        self._state: State | None = None
        self._seen: list[list[tuple[str, int | str]]] = []
        self._paid = 0.0
        self._over = True
        self.opponent_invalid_moves = [0] * n
        """Per seat: answers of the opponent agents that were not legal moves this episode
        (each was replaced by a random legal move, as ``play_match`` does)."""

    @property
    def state(self) -> State:
        """The game state of the current episode."""
        if self._state is None:
            raise RedqueenError("call reset() before using the env")
        return self._state

    # ---- the Gymnasium API -------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        n = self.game.num_players
        self._state = self.game.new_initial_state()
        self._seen = [[] for _ in range(n)]
        # The seat's returns at the start (an endowment) are the baseline of its rewards.
        self._paid = float(self._state.returns()[self.seat])
        self._over = False
        self.opponent_invalid_moves = [0] * n
        for agent in {id(a): a for a in self.opponents.values()}.values():
            agent.reset()
        self._advance()
        return self._observation(), self._info()

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        state = self.state
        if self._over:
            raise RedqueenError("the episode is over: call reset() to start another")
        if not state.is_terminal():
            legal = state.legal_actions(self.seat)
            try:
                chosen: int | None = operator.index(action)
            except TypeError:
                chosen = None
            if chosen is None or chosen not in legal:
                return self._illegal(action, legal)
            if state.current_player() == SIMULTANEOUS:
                joint = [
                    chosen if p == self.seat else self._opponent_action(p)
                    for p in range(self.game.num_players)
                ]
                state.apply_joint_action(joint)
            else:
                state.apply_action(chosen)
            self._advance()
        # else: the game ended before the learner's first move; this step only pays out.
        ret = float(state.returns()[self.seat])
        reward = ret - self._paid
        self._paid = ret
        terminated = state.is_terminal()
        self._over = terminated
        return self._observation(), reward, terminated, False, self._info()

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        text = self.state.observation_text(self.seat)
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def action_masks(self) -> np.ndarray:
        """The legal actions of the learner now, as booleans (for maskable learners such as
        sb3-contrib's ``MaskablePPO``)."""
        return self._mask().astype(bool)

    # ---- inside ------------------------------------------------------------------------

    def _illegal(
        self, action: Any, legal: list[int]
    ) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        state = self.state
        if self.illegal_action == "raise":
            raise IllegalActionError(
                action, self.seat, [(a, state.action_text(a, self.seat)) for a in legal]
            )
        worst = float(self.game.spec.min_utility)
        reward = worst - self._paid
        self._paid = worst
        self._over = True
        info = self._info()
        info["illegal_action"] = True
        return self._observation(), reward, True, False, info

    def _advance(self) -> None:
        """Play chance and the opponents until the learner must move or the game ends."""
        state = self.state
        while True:
            player = state.current_player()
            if player in (TERMINAL, SIMULTANEOUS, self.seat):
                return
            if player == CHANCE:
                sample_chance(state, self.np_random)
            else:
                state.apply_action(self._opponent_action(player))

    def _opponent_action(self, player: int) -> int:
        state = self.state
        legal = state.legal_actions(player)
        texts = tuple(state.action_text(a, player) for a in legal)
        obs = Observation(
            game=self.game,
            player=player,
            legal_actions=tuple(legal),
            legal_action_texts=texts,
            text=state.observation_text(player),
            information_state_key=state.information_state_key(player),
            history=tuple(self._seen[player]),
            rng=self.np_random,
            state=state.clone() if self.game.spec.perfect_information else None,
        )
        answer = self.opponents[player].act(obs)
        chosen: int | None
        if isinstance(answer, str):
            try:
                chosen = obs.parse(answer)
            except ParseActionError:
                chosen = None
        else:
            try:
                chosen = operator.index(answer)
            except TypeError:
                chosen = None
        if chosen is None or chosen not in legal:
            self.opponent_invalid_moves[player] += 1
            chosen = legal[int(self.np_random.integers(len(legal)))]
        self._seen[player].append((obs.text, chosen))
        return chosen

    def _observation(self) -> np.ndarray:
        return np.array(self.state.information_state_tensor(self.seat), dtype=np.float32)

    def _mask(self) -> np.ndarray:
        if self._over:
            return np.zeros(self.game.num_distinct_actions, dtype=np.int8)
        return action_mask(self.state, self.seat)

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"action_mask": self._mask()}
        state = self.state
        if state.is_terminal():
            info["returns"] = [float(r) for r in state.returns()]
        return info


# ---- shared with the PettingZoo adapter ---------------------------------------------------


def resolve_game(game_id: str | Game, params: Mapping[str, Any]) -> Game:
    """The game to wrap: ``make(game_id, **params)``, or ``game_id`` itself if it is a
    :class:`Game` (then ``params`` must be empty). Refuses games the adapters cannot serve:
    text-only games and games without an information-state tensor."""
    if isinstance(game_id, Game):
        if params:
            raise InvalidParameterError(
                f"pass parameters either to make() or here, not both; got {sorted(params)} "
                f"for the already built game {game_id.id}"
            )
        game = game_id
    else:
        game = make(game_id, **params)
    if game.spec.text_actions:
        raise InvalidParameterError(
            f"{game.id} is a text-only game; RL adapters need integer actions"
        )
    try:
        game.information_state_tensor_shape()
    except RedqueenError as err:
        raise InvalidParameterError(
            f"{game.id} has no information_state_tensor, which the RL adapters use as the "
            f"observation ({err})"
        ) from None
    return game


def tensor_bounds(game: Game) -> tuple[float, float]:
    """Bounds of ``game``'s information-state tensor: those of the game's own
    ``information_state_tensor_bounds()`` if it has one; ``(0, 1)`` for redqueen's built-in
    games, whose tensors are all 0/1 encodings; else unbounded."""
    hook = getattr(game, "information_state_tensor_bounds", None)
    if callable(hook):
        low, high = hook()
        return float(low), float(high)
    if type(game).__module__.startswith("redqueen.games."):
        return 0.0, 1.0
    return -math.inf, math.inf


def tensor_box(game: Game) -> spaces.Box:
    """A float32 ``Box`` of ``game``'s information-state tensor shape."""
    low, high = tensor_bounds(game)
    return spaces.Box(low, high, shape=game.information_state_tensor_shape(), dtype=np.float32)


def action_mask(state: State, player: int) -> np.ndarray:
    """int8 vector over ``range(num_distinct_actions)``: 1 for each legal action of
    ``player`` now (all zeros when ``player`` is not to move)."""
    mask = np.zeros(state.game.num_distinct_actions, dtype=np.int8)
    legal = state.legal_actions(player)
    if legal:
        mask[legal] = 1
    return mask


def sample_chance(state: State, rng: np.random.Generator) -> None:
    """Apply one chance outcome drawn from ``rng`` as ``play_match`` draws it."""
    state.apply_action(sample_chance_outcome(state, rng))


def check_render_mode(render_mode: str | None) -> None:
    if render_mode is not None and render_mode not in RENDER_MODES:
        raise InvalidParameterError(
            f"render_mode={render_mode!r}; allowed: None, {', '.join(RENDER_MODES)}"
        )


def _seat_opponents(
    game: Game, seat: int, opponents: Agent | Sequence[Agent] | None
) -> dict[int, Agent]:
    others = [p for p in range(game.num_players) if p != seat]
    if opponents is None:
        return {p: RandomAgent() for p in others}
    if isinstance(opponents, Agent):
        return dict.fromkeys(others, opponents)
    agents = list(opponents)
    if len(agents) != len(others) or not all(isinstance(a, Agent) for a in agents):
        raise InvalidParameterError(
            f"opponents must be one Agent, or {len(others)} Agents for seats {others} of "
            f"{game.id}; got {opponents!r}"
        )
    return dict(zip(others, agents, strict=True))
