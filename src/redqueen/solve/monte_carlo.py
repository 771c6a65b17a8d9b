"""Monte Carlo CFR: regret minimisation on sampled parts of the tree, through the State API.

Lanctot, Waugh, Zinkevich & Bowling (2009), "Monte Carlo Sampling for Regret Minimization
in Extensive Games" (NIPS), replace CFR's full tree walk with sampled walks whose
counterfactual values are unbiased estimates of the real ones, so an iteration costs a
path or a subtree instead of the whole game. Nothing is compiled: the game is played
through ``State`` (clone, apply_action), and regrets live in a dictionary keyed by
``(player, information_state_key)``, so this works on games far too large for
:func:`redqueen.solve.tree.compile_game`.

Two schemes, each iteration updating every player in turn (as OpenSpiel's
``outcome_sampling_mccfr`` and ``external_sampling_mccfr``):

- ``"outcome"``: one terminal history is sampled per update. The updating player samples
  from ``epsilon``-on-policy exploration (``epsilon * uniform + (1 - epsilon) * sigma``),
  the others and chance from their own distributions; values are importance-weighted by
  the sampling probability. The average strategy is accumulated along the sampled path
  with weight ``own reach / sample reach`` (stochastically weighted averaging).
- ``"external"``: chance and the other players are sampled once at each of their nodes,
  the updating player's actions are all explored. The average strategy is accumulated
  ("simple" averaging) at the nodes of the player after the updating one, where that
  player's current strategy is sampled.

Simultaneous nodes are sequentialised as in the tree compiler: the seats choose in turn,
each at its information state ``(seat, state.information_state_key(seat))``.

The result is the average policy as a :class:`~redqueen.solve.policy.TabularPolicy` over
the information states visited; an information state never visited is absent (merge
with ``TabularPolicy.uniform(game)`` if the game can be compiled, or let the agent
fail loudly).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import CHANCE, SIMULTANEOUS, TERMINAL, Game, State
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.tree import InfosetKey

SCHEMES: tuple[str, ...] = ("outcome", "external")


class _Node:
    """Regrets and the average-strategy sum of one information state."""

    __slots__ = ("actions", "regrets", "strategy_sum")

    def __init__(self, actions: list[int]) -> None:
        self.actions = actions
        self.regrets = [0.0] * len(actions)
        self.strategy_sum = [0.0] * len(actions)

    def current(self) -> list[float]:
        """Regret matching: positive regrets, normalised; uniform if none is positive."""
        pos = [r if r > 0.0 else 0.0 for r in self.regrets]
        total = sum(pos)
        if total > 0.0:
            return [r / total for r in pos]
        n = len(pos)
        return [1.0 / n] * n


def _sample(probs: list[float], u: float) -> int:
    acc = 0.0
    for i, p in enumerate(probs):
        acc += p
        if u < acc:
            return i
    for i in range(len(probs) - 1, -1, -1):  # rounding: the last action with weight
        if probs[i] > 0.0:
            return i
    return len(probs) - 1


class _MCCFR:
    def __init__(self, game: Game, seed: int, epsilon: float) -> None:
        self.game = game
        self.n = game.num_players
        self.rng = np.random.default_rng(seed)
        self.epsilon = epsilon
        self.nodes: dict[InfosetKey, _Node] = {}

    def node(self, player: int, key: Hashable, state: State) -> _Node:
        full = (player, key)
        node = self.nodes.get(full)
        if node is None:
            node = _Node(list(state.legal_actions(player)))
            self.nodes[full] = node
        return node

    def decision(
        self, state: State, pending: tuple[int, ...] | None
    ) -> tuple[int, tuple[int, ...] | None]:
        """The player to move (sequentialising simultaneous nodes) and the seats' choices
        so far at a simultaneous node (None elsewhere)."""
        if pending is not None:
            return len(pending), pending
        cur = state.current_player()
        if cur == SIMULTANEOUS:
            return 0, ()
        return cur, None

    def child(
        self, state: State, pending: tuple[int, ...] | None, action: int, in_place: bool
    ) -> tuple[State, tuple[int, ...] | None]:
        if pending is None:
            nxt = state if in_place else state.clone()
            nxt.apply_action(action)
            return nxt, None
        chosen = (*pending, action)
        if len(chosen) < self.n:
            return state, chosen
        nxt = state if in_place else state.clone()
        nxt.apply_joint_action(chosen)
        return nxt, None

    def chance(self, state: State) -> tuple[int, float]:
        outcomes = state.chance_outcomes()
        i = _sample([p for _, p in outcomes], float(self.rng.random()))
        return outcomes[i][0], outcomes[i][1]

    # ---- outcome sampling --------------------------------------------------------------

    def outcome(
        self,
        state: State,
        pending: tuple[int, ...] | None,
        update: int,
        my_reach: float,
        opp_reach: float,
        sample_reach: float,
    ) -> float:
        if pending is None:
            cur = state.current_player()
            if cur == TERMINAL:
                return float(state.returns()[update])
            if cur == CHANCE:
                a, p = self.chance(state)
                state.apply_action(a)
                return self.outcome(state, None, update, my_reach, opp_reach * p, sample_reach * p)
        cur, pending = self.decision(state, pending)
        node = self.node(cur, state.information_state_key(cur), state)
        sigma = node.current()
        k = len(sigma)
        if cur == update:
            eps = self.epsilon
            sample = [eps / k + (1.0 - eps) * p for p in sigma]
        else:
            sample = sigma
        i = _sample(sample, float(self.rng.random()))
        nxt, nxt_pending = self.child(state, pending, node.actions[i], in_place=True)
        if cur == update:
            value = self.outcome(
                nxt, nxt_pending, update, my_reach * sigma[i], opp_reach, sample_reach * sample[i]
            )
        else:
            value = self.outcome(
                nxt, nxt_pending, update, my_reach, opp_reach * sigma[i], sample_reach * sample[i]
            )
        # The sampled action's value, importance-corrected; the others' estimates are 0.
        child_value = value / sample[i]
        estimate = sigma[i] * child_value
        if cur == update:
            w = opp_reach / sample_reach
            regrets = node.regrets
            for j in range(k):
                regrets[j] += ((child_value if j == i else 0.0) - estimate) * w
            scale = my_reach / sample_reach
            sums = node.strategy_sum
            for j in range(k):
                sums[j] += scale * sigma[j]
        return estimate

    # ---- external sampling -------------------------------------------------------------

    def external(self, state: State, pending: tuple[int, ...] | None, update: int) -> float:
        if pending is None:
            cur = state.current_player()
            if cur == TERMINAL:
                return float(state.returns()[update])
            if cur == CHANCE:
                a, _ = self.chance(state)
                state.apply_action(a)
                return self.external(state, None, update)
        cur, pending = self.decision(state, pending)
        node = self.node(cur, state.information_state_key(cur), state)
        sigma = node.current()
        k = len(sigma)
        if cur != update:
            if cur == (update + 1) % self.n:
                sums = node.strategy_sum
                for j in range(k):
                    sums[j] += sigma[j]
            i = _sample(sigma, float(self.rng.random()))
            # Seats at a simultaneous node share one state: never change it in place.
            nxt, nxt_pending = self.child(state, pending, node.actions[i], in_place=pending is None)
            return self.external(nxt, nxt_pending, update)
        values = [0.0] * k
        for j in range(k):
            nxt, nxt_pending = self.child(
                state, pending, node.actions[j], in_place=pending is None and j == k - 1
            )
            values[j] = self.external(nxt, nxt_pending, update)
        value = sum(p * v for p, v in zip(sigma, values, strict=True))
        regrets = node.regrets
        for j in range(k):
            regrets[j] += values[j] - value
        return value

    def average(self) -> TabularPolicy:
        table: dict[InfosetKey, dict[int, float]] = {}
        for key, node in self.nodes.items():
            total = sum(node.strategy_sum)
            k = len(node.actions)
            probs = [s / total for s in node.strategy_sum] if total > 0.0 else [1.0 / k] * k
            table[key] = dict(zip(node.actions, probs, strict=True))
        return TabularPolicy(table)


def mccfr(
    game: Game,
    scheme: Literal["outcome", "external"] | str = "outcome",
    iterations: int = 10_000,
    seed: int = 0,
    epsilon: float = 0.6,
) -> TabularPolicy:
    """Run Monte Carlo CFR (``scheme`` ``"outcome"`` or ``"external"``) for ``iterations``
    iterations (each updates every player once) and return the average policy.
    ``epsilon`` is outcome sampling's exploration; the same ``seed``, the same policy."""
    if scheme not in SCHEMES:
        raise UnknownNameError("MCCFR scheme", str(scheme), SCHEMES)
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise InvalidParameterError(f"iterations must be a positive integer; got {iterations!r}")
    if isinstance(epsilon, bool) or not isinstance(epsilon, int | float) or not 0 < epsilon <= 1:
        raise InvalidParameterError(f"epsilon must be in (0, 1]; got {epsilon!r}")
    if not isinstance(game, Game) or game.spec.text_actions:
        raise InvalidParameterError("mccfr needs a redqueen Game with structured actions")
    solver = _MCCFR(game, seed, float(epsilon))
    for _ in range(iterations):
        for player in range(solver.n):
            state = game.new_initial_state()
            if scheme == "outcome":
                solver.outcome(state, None, player, 1.0, 1.0, 1.0)
            else:
                solver.external(state, None, player)
    return solver.average()
