"""Exact best responses, expected returns, NashConv and exploitability on the compiled tree.

A best response of player ``p`` to the others' behaviour strategies ``sigma_-p`` picks, at
each of ``p``'s information states ``I``, the action with the largest counterfactual value

    q(I, a) = sum over histories h in I of  pi_-p(h) * v_p(h a),

where ``pi_-p(h)`` is the probability that chance and the other players bring play to
``h`` (the counterfactual reach) and ``v_p(h a)`` is ``p``'s expected return below
``h a`` when ``p`` keeps best-responding and the others play ``sigma``. This is the
standard computation (e.g. Johanson et al. 2011, "Accelerating Best Response Calculation
in Large Extensive Games"; OpenSpiel's ``best_response.py``): reach probabilities in one
top-down sweep, then values bottom-up, level by level, choosing the argmax at each
information state once all its histories' children are known. Because every history of
an information state sits on one level of the compiled tree, the choice is made for the
whole information state at once, so the best response is a proper (pure) behaviour
strategy, the same at every history of an information state.

NashConv (Lanctot et al. 2017, "A Unified Game-Theoretic Approach to Multiagent
Reinforcement Learning") is ``sum_p (BR value of p - value of p under the policy)``: 0
exactly at a Nash equilibrium, for any number of players and any payoffs. Exploitability
is NashConv divided by the number of players, defined for zero-sum (or constant-sum)
games only, as in OpenSpiel; for a two-player zero-sum game it is the average amount a
best-responding opponent wins over the game's value.

Everything here takes a ``Game`` (compiled once and cached) or a ``GameTree``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.core import Game, UtilityKind
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.tree import GameTree, compile_game

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_Plan = list[tuple[int, int, IntArray, IntArray, IntArray, IntArray, IntArray] | None]


def _check_player(tree: GameTree, player: int) -> int:
    if isinstance(player, bool) or not isinstance(player, int | np.integer):
        raise InvalidParameterError(f"player must be a seat index; got {player!r}")
    if not 0 <= player < tree.num_players:
        raise InvalidParameterError(
            f"player {player} is not a seat of {tree.game_id}; seats: "
            f"{list(range(tree.num_players))}"
        )
    return int(player)


def _plan(tree: GameTree, player: int) -> _Plan:
    """Per level, for ``player``'s information states on it: their range, and for the
    children of ``player``'s histories on that level: their positions in the level's
    children list, node ids, parents, local flat (infoset, slot) index and local infoset."""
    cache_key = f"br_plan_{player}"
    plan: _Plan | None = tree.scratch.get(cache_key)
    if plan is not None:
        return plan
    block = tree.player_infosets(player)
    levels = tree.infoset_level[block]
    a = tree.max_actions
    plan = []
    for lv, sw in enumerate(tree.sweeps):
        i0, i1 = (int(x) + block.start for x in np.searchsorted(levels, [lv, lv + 1]))
        if i0 == i1 or not sw.inner.shape[0]:
            plan.append(None)
            continue
        kids = sw.children
        kid_nodes = (
            np.arange(kids.start, kids.stop, dtype=np.int64) if isinstance(kids, slice) else kids
        )
        pos = np.flatnonzero(tree.parent_player[kid_nodes] == player)
        nodes = kid_nodes[pos]
        parents = tree.parent[nodes]
        local_inf = tree.infoset[parents] - i0
        flat = local_inf * a + tree.slot[nodes]
        plan.append((i0, i1, pos, nodes, parents, flat, local_inf))
    tree.scratch[cache_key] = plan
    return plan


_TIE_TOLERANCE = 1e-10
"""Action values this close (relative) count as tied in a best response."""


def best_response_arrays(tree: GameTree, policy: FloatArray, player: int) -> tuple[IntArray, float]:
    """The slot chosen at each of ``player``'s information states (an array over all
    information states; other players' entries are 0) and the best-response value,
    against ``policy`` (n_infosets, max_actions) for the other players.

    The best action is chosen at each information state on its own. That is an exact best
    response when the player has perfect recall, or in perfect-information games (where
    an information state is a position); otherwise it is only a lower bound on the best
    response value, and a warning says so."""
    player = _check_player(tree, player)
    if not tree.perfect_recall and not tree.spec.perfect_information:
        warnings.warn(
            f"{tree.game_id} has imperfect recall: the best response (and exploitability) "
            "computed per information state is a lower bound, not exact",
            stacklevel=2,
        )
    e = tree.edge_probabilities(policy)
    factors = e.copy()
    factors[tree.parent_player == player] = 1.0
    reach = tree.reach(factors)  # chance and the others: the counterfactual reach
    v = tree.utilities[:, player].copy()
    choice = np.zeros(tree.num_infosets, dtype=np.int64)
    a = tree.max_actions
    mask = tree.infoset_mask
    for sw, step in zip(reversed(tree.sweeps), reversed(_plan(tree, player)), strict=True):
        if not sw.inner.shape[0]:
            continue
        kids = sw.children
        w = e[kids]
        if step is not None:
            i0, i1, pos, nodes, parents, flat, local_inf = step
            q = np.bincount(flat, weights=reach[parents] * v[nodes], minlength=(i1 - i0) * a)
            q = q.reshape(i1 - i0, a)
            q[~mask[i0:i1]] = -np.inf
            # Exact ties go to the lowest action: values equal up to rounding count as tied,
            # so that runs equal in exact arithmetic take the same path.
            top = q.max(axis=1, keepdims=True)
            tol = _TIE_TOLERANCE * np.maximum(1.0, np.abs(top))
            best = np.argmax(q >= top - tol, axis=1)
            choice[i0:i1] = best
            w = w.copy()
            w[pos] = tree.slot[nodes] == best[local_inf]
        v[sw.inner] = np.add.reduceat(v[kids] * w, sw.offsets)
    return choice, float(v[0])


def _as_array_policy(tree: GameTree, choice: IntArray, player: int) -> FloatArray:
    probs = np.zeros((tree.num_infosets, tree.max_actions))
    rows = np.arange(tree.num_infosets)
    probs[rows, choice] = 1.0
    block = tree.player_infosets(player)
    out = tree.uniform_policy()
    out[block] = probs[block]
    return out


def best_response(
    game: Game | GameTree, policy: TabularPolicy, player: int
) -> tuple[TabularPolicy, float]:
    """A pure best response of ``player`` to ``policy`` (which must cover the other
    players) and its value: ``player``'s expected return when playing it."""
    tree = compile_game(game)
    player = _check_player(tree, player)
    others = [p for p in range(tree.num_players) if p != player]
    sigma = policy.to_arrays(tree, players=others)
    choice, value = best_response_arrays(tree, sigma, player)
    br = TabularPolicy.from_arrays(tree, _as_array_policy(tree, choice, player), players=[player])
    return br, value


def expected_returns_arrays(tree: GameTree, policy: FloatArray) -> FloatArray:
    """Each player's expected return when everyone plays ``policy``."""
    return tree.values(tree.edge_probabilities(policy))[0].copy()


def _profile(tree: GameTree, policies: TabularPolicy | Sequence[TabularPolicy]) -> FloatArray:
    if isinstance(policies, TabularPolicy):
        return policies.to_arrays(tree)
    policies = list(policies)
    if len(policies) != tree.num_players:
        raise InvalidParameterError(
            f"{tree.game_id} has {tree.num_players} players: give one policy, or one per "
            f"seat; got {len(policies)}"
        )
    sigma = tree.uniform_policy()
    for p, pol in enumerate(policies):
        block = tree.player_infosets(p)
        sigma[block] = pol.to_arrays(tree, players=[p])[block]
    return sigma


def expected_returns(
    game: Game | GameTree, policies: TabularPolicy | Sequence[TabularPolicy]
) -> NDArray[np.float64]:
    """Each player's expected return (exact, chance included) when seat ``i`` plays
    ``policies[i]``, or every seat plays the one ``policies`` given."""
    tree = compile_game(game)
    return expected_returns_arrays(tree, _profile(tree, policies))


def nash_conv_arrays(tree: GameTree, policy: FloatArray) -> tuple[float, FloatArray, FloatArray]:
    """``(nash_conv, best-response values, on-policy values)`` for a profile given as
    (n_infosets, max_actions) arrays."""
    on_policy = expected_returns_arrays(tree, policy)
    br = np.array([best_response_arrays(tree, policy, p)[1] for p in range(tree.num_players)])
    return float(np.sum(br - on_policy)), br, on_policy


def nash_conv(game: Game | GameTree, policy: TabularPolicy | Sequence[TabularPolicy]) -> float:
    """Sum over players of (best-response value - value under ``policy``): how much the
    players together could gain by each deviating alone. Any number of players, any
    payoffs; 0 exactly at a Nash equilibrium."""
    tree = compile_game(game)
    return nash_conv_arrays(tree, _profile(tree, policy))[0]


def check_exploitability_defined(tree: GameTree) -> None:
    """Raise unless exploitability is defined for the tree's game (zero or constant sum)."""
    if tree.spec.utility not in (UtilityKind.ZERO_SUM, UtilityKind.CONSTANT_SUM):
        raise InvalidParameterError(
            f"exploitability is defined for zero-sum and constant-sum games; {tree.game_id} "
            f"is {tree.spec.utility}: use nash_conv(game, policy) (the sum over players of "
            "what each gains by best-responding), which is defined for every game"
        )


def exploitability(game: Game | GameTree, policy: TabularPolicy | Sequence[TabularPolicy]) -> float:
    """NashConv divided by the number of players, for zero-sum or constant-sum games (as
    OpenSpiel's ``exploitability``). For two players: the mean of what each player's best
    response wins over the game's value; 0 exactly at an equilibrium. A general-sum game
    raises :class:`~redqueen.errors.InvalidParameterError` pointing to :func:`nash_conv`."""
    tree = compile_game(game)
    check_exploitability_defined(tree)
    return nash_conv_arrays(tree, _profile(tree, policy))[0] / tree.num_players
