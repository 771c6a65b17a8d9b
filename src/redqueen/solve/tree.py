"""The tree compiler: walk a game's tree once, into NumPy arrays, for vectorised solvers.

Exact solvers (best response, exploitability, the CFR family) visit every history of a
game on every iteration. Walking the tree through the ``State`` API each time costs a
Python call per history; walking it once and keeping it as flat arrays lets every sweep
be a handful of NumPy operations per *level* of the tree instead, the layout of the
"vectorised CFR" implementations that followed Johanson et al. (2012), "Efficient Nash
Equilibrium Approximation through Monte Carlo Counterfactual Regret Minimization"
(public-tree walks) and of GPU CFR codes.

What :func:`compile_game` produces, a :class:`GameTree`:

- per node (history): ``parent``, ``depth``, ``level``, ``player`` (a seat, ``CHANCE``
  or ``TERMINAL``), ``action`` (the action or chance outcome that led to it),
  ``chance_prob`` (the probability of that chance outcome, 1 for a player's move),
  ``utilities`` (terminal returns, one column per seat), ``infoset`` (for decision nodes)
  and ``slot`` (the position of ``action`` among the parent information state's legal
  actions);
- per information state (``(player, state.information_state_key(player))``): its
  player, legal actions as a padded matrix with a mask, the number of actions and its
  level.

Nodes are numbered level by level (the root is node 0), depth-first within a level, so a
level is a contiguous range and, where levels follow depth, its children, in the same
order, are the next level (a node whose information state also occurs deeper is raised
to that deeper level, and the sweeps handle the gap): a
top-down sweep (reach probabilities) and a bottom-up sweep (values, with
``np.add.reduceat``) cost a few array operations per level. Information states are
numbered by player, then level, so each player's block is contiguous. In every game we
ship, all the histories of an information state have the same depth and ``level`` is the
depth; for a game where they do not (still with perfect recall), levels are raised until
every information state sits on one level, which is all a level sweep needs.

Simultaneous nodes are *sequentialised*, as OpenSpiel's ``turn_based_simultaneous_game``
does: the seats choose one after the other, and each seat's information state is
``(seat, state.information_state_key(seat))`` at the simultaneous node, whatever the
seats before it chose. So a later seat does not see the earlier seats' choices, and a
policy learned on the tree plays the real game unchanged.

Compiling counts histories as it goes and stops with
:class:`~redqueen.errors.InvalidParameterError` as soon as ``max_histories`` is passed,
long before memory runs out; Monte Carlo CFR (:func:`redqueen.solve.mccfr`) samples the
game instead and needs no tree. Compiled trees are cached per game spec (a small LRU), so
repeated calls on the same game do not compile again.
"""

from __future__ import annotations

import itertools
import json
import math
import weakref
from array import array
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import CHANCE, SIMULTANEOUS, TERMINAL, Game, GameSpec, State

InfosetKey = tuple[int, Hashable]
"""``(player, state.information_state_key(player))``: how solvers name an information
state."""

DEFAULT_MAX_HISTORIES = 2_000_000
_CACHE_SIZE = 8
_PROB_TOLERANCE = 1e-9

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class LevelSweep:
    """One level's share of a sweep: its nodes with children (``inner``), those children
    in the same order (``children``: a slice of the node arrays or an index array), and
    where each parent's children start inside ``children`` (for ``np.add.reduceat``)."""

    nodes: slice
    inner: IntArray
    children: slice | IntArray
    offsets: IntArray


@dataclass(frozen=True, eq=False)
class GameTree:
    """A game's tree as flat arrays (see the module docstring for every field)."""

    spec: GameSpec
    parent: IntArray
    depth: IntArray
    level: IntArray
    player: IntArray
    action: IntArray
    chance_prob: FloatArray
    utilities: FloatArray
    infoset: IntArray
    slot: IntArray
    infoset_player: IntArray
    infoset_actions: IntArray
    """(n_infosets, max_actions) legal action ids, padded with -1."""
    infoset_mask: NDArray[np.bool_]
    infoset_num_actions: IntArray
    infoset_level: IntArray
    infoset_keys: tuple[InfosetKey, ...]
    level_starts: IntArray
    """Nodes of level ``L`` are ``level_starts[L]:level_starts[L + 1]``."""
    sequentialised: bool
    """True when the game has simultaneous nodes, turned into seats moving in turn."""
    infoset_index: dict[InfosetKey, int] = field(repr=False)
    scratch: dict[str, Any] = field(default_factory=dict, repr=False)
    """Per-tree cache for solvers (index arrays they build once and reuse)."""

    # ---- sizes ----------------------------------------------------------------------

    @property
    def game_id(self) -> str:
        return self.spec.id

    @property
    def num_players(self) -> int:
        return self.spec.num_players

    @property
    def num_nodes(self) -> int:
        return int(self.parent.shape[0])

    @property
    def num_infosets(self) -> int:
        return len(self.infoset_keys)

    @property
    def max_actions(self) -> int:
        return int(self.infoset_actions.shape[1])

    @property
    def num_levels(self) -> int:
        return int(self.level_starts.shape[0]) - 1

    @property
    def num_terminals(self) -> int:
        return int(np.count_nonzero(self.player == TERMINAL))

    def level_nodes(self, level: int) -> slice:
        """The nodes of ``level``, as a slice of the node arrays."""
        return slice(int(self.level_starts[level]), int(self.level_starts[level + 1]))

    def player_infosets(self, player: int) -> slice:
        """The information states of ``player``, as a slice (they are contiguous)."""
        lo, hi = np.searchsorted(self.infoset_player, [player, player + 1])
        return slice(int(lo), int(hi))

    def __repr__(self) -> str:
        return (
            f"<GameTree {self.game_id}: {self.num_nodes:,} histories, "
            f"{self.num_infosets:,} information states, {self.num_levels} levels>"
        )

    # ---- derived structures for sweeps (built on first use) --------------------------

    @cached_property
    def sweeps(self) -> tuple[LevelSweep, ...]:
        """Per level: the nodes with children, their children and reduceat offsets."""
        n = self.num_nodes
        parent = self.parent
        counts = np.bincount(parent[1:], minlength=n)
        # Children grouped by parent, in increasing node order within a parent.
        by_parent = np.argsort(parent[1:], kind="stable") + 1
        first = np.zeros(n, dtype=np.int64)
        np.cumsum(counts[:-1], out=first[1:])
        out = []
        for lv in range(self.num_levels):
            nodes = self.level_nodes(lv)
            inner = np.arange(nodes.start, nodes.stop, dtype=np.int64)
            inner = inner[counts[inner] > 0]
            c = counts[inner]
            offsets = np.zeros(inner.shape[0], dtype=np.int64)
            if inner.shape[0]:
                np.cumsum(c[:-1], out=offsets[1:])
            pos = np.repeat(first[inner] - offsets, c) + np.arange(int(c.sum()), dtype=np.int64)
            kids = by_parent[pos]
            children: slice | IntArray = kids
            if kids.shape[0] and np.array_equal(
                kids, np.arange(kids[0], kids[0] + kids.shape[0], dtype=np.int64)
            ):
                children = slice(int(kids[0]), int(kids[0]) + kids.shape[0])
            out.append(LevelSweep(nodes, inner, children, offsets))
        return tuple(out)

    @cached_property
    def parent_player(self) -> IntArray:
        """The player at each node's parent (TERMINAL for the root)."""
        pp = np.full(self.num_nodes, TERMINAL, dtype=np.int64)
        pp[1:] = self.player[self.parent[1:]]
        return pp

    @cached_property
    def decision_children(self) -> IntArray:
        """Nodes whose parent is a decision node (a player's move leads to them)."""
        return np.flatnonzero(self.parent_player >= 0)

    @cached_property
    def edge_index(self) -> IntArray:
        """For each node in ``decision_children``: ``infoset * max_actions + slot`` of the
        move that leads to it, an index into a flattened (n_infosets, max_actions) array."""
        kids = self.decision_children
        return self.infoset[self.parent[kids]] * self.max_actions + self.slot[kids]

    @cached_property
    def infoset_first_node(self) -> IntArray:
        """One history of each information state (the first in node order)."""
        dec = np.flatnonzero(self.infoset >= 0)
        first = np.full(self.num_infosets, self.num_nodes, dtype=np.int64)
        np.minimum.at(first, self.infoset[dec], dec)
        return first

    @cached_property
    def terminal_nodes(self) -> IntArray:
        return np.flatnonzero(self.player == TERMINAL)

    @cached_property
    def chance_reach(self) -> FloatArray:
        """The product of the chance probabilities on the path to each node."""
        return self.reach(self.chance_prob)

    # ---- sequences (for perfect-recall games) -----------------------------------------

    @property
    def empty_sequence(self) -> int:
        """The index standing for "no move yet" in :attr:`node_sequences`:
        ``n_infosets * max_actions``, one past the last (infoset, slot) pair."""
        return self.num_infosets * self.max_actions

    @cached_property
    def node_sequences(self) -> IntArray:
        """(n_nodes, n_players): each player's last move on the path to each node, as
        ``infoset * max_actions + slot``, or :attr:`empty_sequence` if none yet."""
        seq = np.full((self.num_nodes, self.num_players), self.empty_sequence, dtype=np.int64)
        kids = self.decision_children
        own = np.full(self.num_nodes, -1, dtype=np.int64)
        own[kids] = self.edge_index
        mover = self.parent_player
        parent = self.parent
        for lv in range(1, self.num_levels):
            nodes = np.arange(*self.level_starts[lv : lv + 2], dtype=np.int64)
            seq[nodes] = seq[parent[nodes]]
            moved = nodes[mover[nodes] >= 0]
            seq[moved, mover[moved]] = own[moved]
        return seq

    @cached_property
    def infoset_parent_sequence(self) -> IntArray:
        """The acting player's last move before each information state (at its first
        history; with perfect recall, the same at every history)."""
        return self.node_sequences[self.infoset_first_node, self.infoset_player]

    @cached_property
    def perfect_recall(self) -> bool:
        """Whether every history of each information state has the same sequence of its
        player's own moves (the player never forgets what they did)."""
        dec = np.flatnonzero(self.infoset >= 0)
        mine = self.node_sequences[dec, self.player[dec]]
        return bool(np.array_equal(mine, self.infoset_parent_sequence[self.infoset[dec]]))

    @cached_property
    def infoset_own_depth(self) -> IntArray:
        """How many moves the acting player has made before each information state."""
        own = np.zeros(self.num_infosets, dtype=np.int64)
        parent_seq = self.infoset_parent_sequence
        a = self.max_actions
        order = np.argsort(self.infoset_level, kind="stable")
        levels = self.infoset_level[order]
        bounds = np.searchsorted(levels, np.arange(self.num_levels + 1))
        for lo, hi in itertools.pairwise(bounds):
            rows = order[lo:hi]
            ps = parent_seq[rows]
            has = ps != self.empty_sequence
            own[rows[has]] = own[ps[has] // a] + 1
        return own

    # ---- the primitives the solvers are built from -----------------------------------

    def uniform_policy(self) -> FloatArray:
        """(n_infosets, max_actions): uniform over each information state's legal actions."""
        return self.infoset_mask / self.infoset_num_actions[:, None].astype(np.float64)

    def edge_probabilities(self, policy: FloatArray) -> FloatArray:
        """The probability of the move into each node: the chance probability, or
        ``policy[infoset, slot]`` of the parent's information state (1 at the root)."""
        e = self.chance_prob.copy()
        e[self.decision_children] = policy.reshape(-1)[self.edge_index]
        return e

    def reach(self, factors: FloatArray) -> FloatArray:
        """Top-down products: ``out[node] = prod of factors on the path root -> node``
        (``factors`` has one row per node, any number of columns; the root's is used)."""
        out = np.empty_like(factors)
        out[0] = factors[0]
        parent = self.parent
        for sw in self.sweeps[1:]:
            nodes = sw.nodes
            out[nodes] = out[parent[nodes]] * factors[nodes]
        return out

    def values(self, edge_probs: FloatArray, leaf: FloatArray | None = None) -> FloatArray:
        """Bottom-up expectations: terminal nodes keep ``leaf`` (default: the utilities,
        all seats), every other node is the ``edge_probs``-weighted sum of its children."""
        v = (self.utilities if leaf is None else leaf).copy()
        wide = v.ndim == 2
        for sw in reversed(self.sweeps):
            if not sw.inner.shape[0]:
                continue
            kids = sw.children
            w = edge_probs[kids]
            contrib = v[kids] * (w[:, None] if wide else w)
            v[sw.inner] = np.add.reduceat(contrib, sw.offsets, axis=0)
        return v


# ---- compiling --------------------------------------------------------------------------


def _too_large(game: Game, max_histories: int) -> InvalidParameterError:
    return InvalidParameterError(
        f"{game.id} has more than {max_histories:,} histories, the limit for compiling its "
        "tree (max_histories); solve it with Monte Carlo CFR (redqueen.solve.mccfr), which "
        "samples the game instead of compiling it, or pass a larger max_histories if the "
        "memory allows (about 100 bytes a history)"
    )


def _walk(game: Game, max_histories: int) -> dict[str, Any]:
    """Depth-first walk of every history through the State API, into flat buffers."""
    n_players = game.num_players
    parent = array("q")
    depth = array("q")
    actor = array("q")
    action = array("q")
    prob = array("d")
    infoset = array("q")
    slot = array("q")
    term_nodes = array("q")
    term_utils = array("d")
    index: dict[InfosetKey, int] = {}
    keys: list[InfosetKey] = []
    inf_player: list[int] = []
    inf_actions: list[tuple[int, ...]] = []
    sequentialised = False

    # A stack entry: (state, parent node, depth, action, chance prob, slot, pending seats'
    # actions at a simultaneous node or None).
    Entry = tuple[State, int, int, int, float, int, tuple[int, ...] | None]
    stack: list[Entry] = [(game.new_initial_state(), -1, 0, -1, 1.0, -1, None)]
    pop = stack.pop
    push = stack.append
    count = 0
    while stack:
        state, par, d, act, pr, sl, pending = pop()
        node = count
        count += 1
        if count > max_histories:
            raise _too_large(game, max_histories)
        parent.append(par)
        depth.append(d)
        action.append(act)
        prob.append(pr)
        slot.append(sl)
        cur = state.current_player() if pending is None else len(pending)
        if cur == SIMULTANEOUS:
            sequentialised = True
            pending = ()
            cur = 0
        if cur == TERMINAL:
            actor.append(TERMINAL)
            infoset.append(-1)
            returns = state.returns()
            if len(returns) != n_players:
                raise RedqueenError(
                    f"{game.id}: returns() gave {len(returns)} values for {n_players} players"
                )
            term_nodes.append(node)
            term_utils.extend(returns)
            continue
        if cur == CHANCE:
            actor.append(CHANCE)
            infoset.append(-1)
            outcomes = state.chance_outcomes()
            total = math.fsum(p for _, p in outcomes)
            if not outcomes or abs(total - 1.0) > 1e-6:
                raise RedqueenError(
                    f"{game.id}: chance outcomes sum to {total!r} at history "
                    f"{state.history()!r}; they must sum to 1"
                )
            last = len(outcomes) - 1
            for i in range(last, -1, -1):
                a, p = outcomes[i]
                child = state if i == 0 else state.clone()
                child.apply_action(a)
                push((child, node, d + 1, a, float(p), i, None))
            continue
        if cur < 0 or cur >= n_players:
            raise RedqueenError(f"{game.id}: current_player() returned {cur!r}")
        key: InfosetKey = (cur, state.information_state_key(cur))
        legal = tuple(state.legal_actions(cur))
        if not legal:
            raise RedqueenError(
                f"{game.id}: player {cur} has no legal actions at history {state.history()!r}"
            )
        idx = index.get(key)
        if idx is None:
            idx = len(keys)
            index[key] = idx
            keys.append(key)
            inf_player.append(cur)
            inf_actions.append(legal)
        elif inf_actions[idx] != legal:
            raise RedqueenError(
                f"{game.id}: information state {key!r} has legal actions "
                f"{list(inf_actions[idx])} at one history and {list(legal)} at another "
                f"({state.history()!r}); information_state_key must tell them apart"
            )
        actor.append(cur)
        infoset.append(idx)
        last = len(legal) - 1
        if pending is None:
            for i in range(last, -1, -1):
                child = state if i == 0 else state.clone()
                child.apply_action(legal[i])
                push((child, node, d + 1, legal[i], 1.0, i, None))
        else:
            for i in range(last, -1, -1):
                chosen = (*pending, legal[i])
                if len(chosen) == n_players:
                    child = state.clone()
                    child.apply_joint_action(chosen)
                    push((child, node, d + 1, legal[i], 1.0, i, None))
                else:  # the next seat chooses at the same state, not seeing this choice
                    push((state, node, d + 1, legal[i], 1.0, i, chosen))
    return {
        "parent": parent,
        "depth": depth,
        "actor": actor,
        "action": action,
        "prob": prob,
        "infoset": infoset,
        "slot": slot,
        "term_nodes": term_nodes,
        "term_utils": term_utils,
        "keys": keys,
        "inf_player": inf_player,
        "inf_actions": inf_actions,
        "sequentialised": sequentialised,
    }


def _levels(depth: IntArray, parent: IntArray, infoset: IntArray, n_infosets: int) -> IntArray:
    """Depth, or, if some information state spans several depths, the smallest levels that
    put each information state on one level and every child below its parent."""
    dec = np.flatnonzero(infoset >= 0)
    inf = infoset[dec]
    level = depth.copy()
    by_depth = np.argsort(depth, kind="stable")[1:]  # parents before children, root left out
    for _ in range(n_infosets + 2):
        top = np.zeros(n_infosets, dtype=np.int64)
        np.maximum.at(top, inf, level[dec])
        if np.array_equal(top[inf], level[dec]):
            return level
        level[dec] = top[inf]
        # Push children down below their (possibly raised) parents, depth by depth.
        d_sorted = depth[by_depth]
        bounds = np.searchsorted(d_sorted, np.arange(1, int(depth.max()) + 2))
        for lo, hi in itertools.pairwise(bounds):
            nodes = by_depth[lo:hi]
            level[nodes] = np.maximum(level[nodes], level[parent[nodes]] + 1)
    raise RedqueenError(
        "the information states of this game cannot be put on levels (it does not have "
        "perfect recall), so the tree solvers cannot handle it"
    )


def _build(game: Game, walked: dict[str, Any]) -> GameTree:
    n_players = game.num_players
    parent = np.frombuffer(walked["parent"], dtype=np.int64).copy()
    depth = np.frombuffer(walked["depth"], dtype=np.int64).copy()
    actor = np.frombuffer(walked["actor"], dtype=np.int64).copy()
    action = np.frombuffer(walked["action"], dtype=np.int64).copy()
    prob = np.frombuffer(walked["prob"], dtype=np.float64).copy()
    infoset = np.frombuffer(walked["infoset"], dtype=np.int64).copy()
    slot = np.frombuffer(walked["slot"], dtype=np.int64).copy()
    n = parent.shape[0]
    utilities = np.zeros((n, n_players), dtype=np.float64)
    term = np.frombuffer(walked["term_nodes"], dtype=np.int64)
    utilities[term] = np.frombuffer(walked["term_utils"], dtype=np.float64).reshape(-1, n_players)
    # The slot of a chance child is its outcome's position; only moves keep a slot.
    has_parent = parent >= 0
    parent_is_chance = np.zeros(n, dtype=bool)
    parent_is_chance[has_parent] = actor[parent[has_parent]] == CHANCE
    slot[parent_is_chance] = -1
    prob[~parent_is_chance] = 1.0

    keys: list[InfosetKey] = walked["keys"]
    n_inf = len(keys)
    level = _levels(depth, parent, infoset, n_inf)

    # Renumber nodes: by level, depth-first order within a level.
    order = np.argsort(level, kind="stable")
    new_of_old = np.empty(n, dtype=np.int64)
    new_of_old[order] = np.arange(n, dtype=np.int64)
    parent = parent[order]
    parent[1:] = new_of_old[parent[1:]]
    depth, level, actor, action = depth[order], level[order], actor[order], action[order]
    prob, infoset, slot, utilities = prob[order], infoset[order], slot[order], utilities[order]

    # Renumber information states: by player, then level, then first visit.
    inf_player = np.asarray(walked["inf_player"], dtype=np.int64).reshape(-1)
    inf_level = np.zeros(n_inf, dtype=np.int64)
    dec = np.flatnonzero(infoset >= 0)
    inf_level[infoset[dec]] = level[dec]
    inf_order = np.lexsort((np.arange(n_inf), inf_level, inf_player))
    new_inf = np.empty(n_inf, dtype=np.int64)
    new_inf[inf_order] = np.arange(n_inf, dtype=np.int64)
    infoset[dec] = new_inf[infoset[dec]]
    inf_actions_list: list[tuple[int, ...]] = walked["inf_actions"]
    max_a = max((len(a) for a in inf_actions_list), default=1)
    actions = np.full((n_inf, max_a), -1, dtype=np.int64)
    for new, old in enumerate(inf_order):
        legal = inf_actions_list[old]
        actions[new, : len(legal)] = legal
    mask = actions >= 0
    ordered_keys = tuple(keys[i] for i in inf_order)
    n_levels = int(level.max()) + 1
    level_starts = np.searchsorted(level, np.arange(n_levels + 1)).astype(np.int64)
    return GameTree(
        spec=game.spec,
        parent=parent,
        depth=depth,
        level=level,
        player=actor,
        action=action,
        chance_prob=prob,
        utilities=utilities,
        infoset=infoset,
        slot=slot,
        infoset_player=inf_player[inf_order],
        infoset_actions=actions,
        infoset_mask=mask,
        infoset_num_actions=mask.sum(axis=1).astype(np.int64),
        infoset_level=inf_level[inf_order],
        infoset_keys=ordered_keys,
        level_starts=level_starts,
        sequentialised=bool(walked["sequentialised"]),
        infoset_index={k: i for i, k in enumerate(ordered_keys)},
    )


_CACHE: OrderedDict[tuple[Any, ...], GameTree] = OrderedDict()
_CACHED_OBJECTS: dict[int, weakref.ref[Game]] = {}


def _cache_key(game: Game) -> tuple[Any, ...]:
    """Built-in games are fully described by their id and parameters (the registry tests
    rebuild each from its spec), so equal specs share one tree. Any other game may hold
    state its spec does not record, so it is cached by identity: only the same object
    gets the same tree."""
    cls = type(game)
    if cls.__module__.startswith("redqueen.games."):
        spec = game.spec
        params = json.dumps(dict(spec.params), sort_keys=True, default=repr)
        return (cls.__module__, cls.__qualname__, spec.id, spec.num_players, params)
    ref = _CACHED_OBJECTS.get(id(game))
    if ref is None or ref() is not game:  # a new object, possibly at a recycled address
        for key in [k for k in _CACHE if k == ("object", id(game))]:
            del _CACHE[key]
        _CACHED_OBJECTS[id(game)] = weakref.ref(game)
    return ("object", id(game))


def compile_game(
    game: Game | GameTree, max_histories: int = DEFAULT_MAX_HISTORIES, *, cache: bool = True
) -> GameTree:
    """The tree of ``game`` as a :class:`GameTree` (a ``GameTree`` is returned as is).

    Raises :class:`~redqueen.errors.InvalidParameterError` once more than
    ``max_histories`` histories have been met (use MCCFR for such games). With ``cache``
    the tree is kept and returned again on the next call for the same game: for built-in
    games, any game with the same class, id and parameters; for others, the same object.
    """
    if isinstance(game, GameTree):
        return game
    if not isinstance(game, Game):
        raise InvalidParameterError(
            f"compile_game needs a redqueen Game (redqueen.make(...)); got {type(game).__name__}"
        )
    if isinstance(max_histories, bool) or not isinstance(max_histories, int) or max_histories < 1:
        raise InvalidParameterError(
            f"max_histories must be a positive integer; got {max_histories!r}"
        )
    if game.spec.text_actions:
        raise InvalidParameterError(
            f"{game.id} is a text-only game (free-text moves): it has no tree to compile"
        )
    key = _cache_key(game)
    if cache and key in _CACHE:
        tree = _CACHE[key]
        if tree.num_nodes <= max_histories:
            _CACHE.move_to_end(key)
            return tree
        raise _too_large(game, max_histories)
    tree = _build(game, _walk(game, max_histories))
    if cache:
        _CACHE[key] = tree
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return tree


def clear_cache() -> None:
    """Forget every compiled tree."""
    _CACHE.clear()
    _CACHED_OBJECTS.clear()
