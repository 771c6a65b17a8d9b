"""The CFR family, vectorised on the compiled tree: CFR, CFR+, linear CFR and DCFR.

Counterfactual regret minimisation (Zinkevich, Johanson, Bowling & Piccione 2007,
"Regret Minimization in Games with Incomplete Information") runs a regret minimiser at
every information state. On each iteration the current strategy ``sigma`` of a player
comes from the cumulative counterfactual regrets by regret matching; the regret of not
having played ``a`` at ``I`` grows by

    sum over h in I of  pi_-i(h) * (v_i(h a) - v_i(h))

(``pi_-i``: the reach probability of chance and the other players; ``v_i``: expected
returns under ``sigma``). The players' *average* strategies, weighted by their own reach
probabilities, converge to a Nash equilibrium in two-player zero-sum games.

The variants differ in how regrets and averages are weighted:

- ``cfr``: plain regret matching, uniform averaging. Updates alternate between players
  (as OpenSpiel's ``CFRSolver``, which found them much faster than the paper's
  simultaneous updates).
- ``cfr+`` (Tammelin 2014, "Solving Large Imperfect Information Games Using CFR+";
  Tammelin, Burch, Johanson & Bowling 2015): regret matching+ (cumulative regrets are
  floored at 0 after each update), alternating updates, and the average weighted by the
  iteration number ``t`` (linear averaging, no delay), as OpenSpiel's ``CFRPlusSolver``.
- ``linear_cfr`` and ``dcfr`` (Brown & Sandholm 2019, "Solving Imperfect-Information
  Games via Discounted Regret Minimization"): after iteration ``t``'s update, positive
  cumulative regrets are multiplied by ``t^alpha / (t^alpha + 1)`` and negative ones by
  ``t^beta / (t^beta + 1)``, and iteration ``t`` enters the average with weight
  ``t^gamma``. DCFR uses alpha=1.5, beta=0, gamma=2 (the paper's recommendation; change
  them with ``params``); linear CFR is alpha=beta=gamma=1. Alternating updates, as
  OpenSpiel's ``DCFRSolver`` and ``LCFRSolver``.

Every update is vectorised on the compiled tree. In perfect-recall games (the poker
games, matrix games) it works in sequence form (Koller, Megiddo & von Stengel 1994; von
Stengel 1996): a player's reach probability at a history depends only on their own last
move before it, so the reach of every (information state, action) sequence comes from a
short sweep over the players' own decision depths; each terminal history's utility,
weighted by chance and the opponents' sequence reach, is summed into the updating
player's last sequence with one ``bincount``; and the counterfactual values of all
sequences follow from a sweep back up the player's own depths (four steps in Leduc). So an
iteration costs a few dozen NumPy calls, whatever the number of histories. Games without
perfect recall (tic-tac-toe, whose information states merge transpositions) use sweeps
over the levels of the history tree instead (reach probabilities down, values up with
``np.add.reduceat``). Both give OpenSpiel's Python solvers' average policies to 1e-12.

On small trees those few dozen calls cost more than the arithmetic (Kuhn poker has 12
information states), so in sequence form the iterations run by default as one loop
compiled by numba (``engine="numba"``), which does the same sums in the same order as the
array path (``engine="numpy"``; the tests check that both give the same regrets and
policies): about 1 microsecond per Kuhn iteration and a fifth of the array path's time on
Leduc.

The learning curve measures the average policy: exploitability (NashConv / 2) for
two-player zero-sum or constant-sum games, NashConv otherwise (more than two players, or
general-sum payoffs, where CFR still runs but its average need not approach a Nash
equilibrium).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import Game, UtilityKind
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import nash_conv_arrays
from redqueen.solve.tree import GameTree, compile_game

FloatArray = NDArray[np.float64]

ALGORITHMS: tuple[str, ...] = ("cfr", "cfr+", "linear_cfr", "dcfr")
"""The algorithms :func:`solve` runs."""

PARAMETERS: dict[str, dict[str, float]] = {
    "cfr": {},
    "cfr+": {},
    "linear_cfr": {},
    "dcfr": {"alpha": 1.5, "beta": 0.0, "gamma": 2.0},
}
"""Each algorithm's parameters and their defaults."""


def _check_params(algorithm: str, params: Mapping[str, Any] | None) -> dict[str, float]:
    allowed = PARAMETERS[algorithm]
    given = dict(params or {})
    for name in given:
        if name not in allowed:
            raise UnknownNameError(
                f"parameter of {algorithm}", name, [f"{k}={v}" for k, v in allowed.items()]
            )
    values: dict[str, float] = {}
    for name, default in allowed.items():
        raw = given.get(name, default)
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not np.isfinite(raw):
            raise InvalidParameterError(
                f"{algorithm} parameter {name} must be a number; got {raw!r}"
            )
        values[name] = float(raw)
    if algorithm == "linear_cfr":
        values = {"alpha": 1.0, "beta": 1.0, "gamma": 1.0}
    return values


def _regret_matching(regrets: FloatArray, uniform: FloatArray) -> FloatArray:
    positive = np.maximum(regrets, 0.0)
    total = positive.sum(axis=1, keepdims=True)
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, positive / safe, uniform)


_ALGORITHM_CODES = {"cfr": 0, "cfr+": 1, "linear_cfr": 2, "dcfr": 2}


def _sequence_iterations(
    iterations: int,
    first: int,
    code: int,
    alpha: float,
    beta: float,
    gamma: float,
    policy: FloatArray,
    regrets: FloatArray,
    policy_sum: FloatArray,
    uniform: FloatArray,
    mask: FloatArray,
    reach: FloatArray,
    q: FloatArray,
    reach_rows: NDArray[np.int64],
    reach_parents: NDArray[np.int64],
    term_seq: NDArray[np.int64],
    term_value: FloatArray,
    value_rows: NDArray[np.int64],
    value_parents: NDArray[np.int64],
    value_bounds: NDArray[np.int64],
    block_bounds: NDArray[np.int64],
    parent_seq: NDArray[np.int64],
) -> None:  # pragma: no cover - compiled; checked against the NumPy path in the tests
    """``iterations`` iterations of :meth:`CFRSolver._update` for every player in turn, in
    sequence form, as one compiled loop: the same sums in the same order as the NumPy
    path, without its fixed cost per array operation (which dominates on small trees)."""
    width = policy.shape[1]
    players = term_seq.shape[1]
    for it in range(first, first + iterations):
        t = float(it)
        for player in range(players):
            lo, hi = block_bounds[player], block_bounds[player + 1]
            if hi == lo:
                continue
            for k in range(reach_rows.shape[0]):  # own-depth order: parents first
                row, parent = reach_rows[k], reach_parents[k]
                for a in range(width):
                    reach[row * width + a] = reach[parent] * policy[row, a]
            q[:] = 0.0
            for h in range(term_seq.shape[0]):
                w = term_value[h, player]
                for other in range(players):
                    if other != player:
                        w *= reach[term_seq[h, other]]
                q[term_seq[h, player]] += w
            for k in range(value_bounds[player], value_bounds[player + 1]):
                row = value_rows[k]
                total = 0.0
                for a in range(width):
                    total += policy[row, a] * q[row * width + a]
                q[value_parents[k]] += total
            if code == 1:
                weight = t
            elif code == 2:
                weight = t**gamma
                ta, tb = t**alpha, t**beta
                up, down = ta / (ta + 1.0), tb / (tb + 1.0)
            else:
                weight = 1.0
            for i in range(lo, hi):
                expected = 0.0
                for a in range(width):
                    expected += policy[i, a] * q[i * width + a]
                own = weight * reach[parent_seq[i]]
                positive = 0.0
                for a in range(width):
                    r = regrets[i, a] + (q[i * width + a] - expected) * mask[i, a]
                    if code == 1 and r < 0.0:
                        r = 0.0
                    elif code == 2:
                        r *= up if r >= 0.0 else down
                    regrets[i, a] = r
                    policy_sum[i, a] += own * policy[i, a]
                    if r > 0.0:
                        positive += r
                for a in range(width):
                    if positive > 0.0:
                        policy[i, a] = max(regrets[i, a], 0.0) / positive
                    else:
                        policy[i, a] = uniform[i, a]


_KERNEL: Callable[..., None] | None = None


def _compiled_kernel() -> Callable[..., None]:
    """:func:`_sequence_iterations` compiled by numba (on first use, cached on disk)."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        _KERNEL = numba.njit(cache=True, nogil=True)(_sequence_iterations)
    return _KERNEL


ENGINES: tuple[str, ...] = ("auto", "numba", "numpy")
"""How :class:`CFRSolver` runs its iterations: ``numba`` (a compiled loop, sequence form
only), ``numpy`` (array operations) or ``auto`` (numba where the tree allows it)."""


class CFRSolver:
    """One of :data:`ALGORITHMS` on a compiled tree; :meth:`iterate` runs iterations.

    The state is three (n_infosets, max_actions) arrays: cumulative regrets, the current
    policy and the weighted sum of past policies (``average()`` normalises it).

    For perfect-recall games (``tree.perfect_recall``) the counterfactual values are
    computed in sequence form: each player's reach is a product over their own moves
    only, so the reach of every sequence (information state, action) of every player
    comes from a sweep over the players' own decision depths, and the values flow up
    from the terminal histories to the sequences that lead to them, again a sweep over
    own depths (a handful of steps, however many histories). Games without perfect
    recall (tic-tac-toe, whose information states merge transpositions) use sweeps over
    the levels of the history tree; ``sequence_form=False`` forces that path.
    """

    def __init__(
        self,
        tree: GameTree,
        algorithm: str = "cfr+",
        params: Mapping[str, Any] | None = None,
        *,
        sequence_form: bool | None = None,
        engine: str = "auto",
    ) -> None:
        if algorithm not in ALGORITHMS:
            raise UnknownNameError("CFR algorithm", str(algorithm), ALGORITHMS)
        if engine not in ENGINES:
            raise UnknownNameError("CFR engine", str(engine), ENGINES)
        self.tree = tree
        self.algorithm = algorithm
        self.params = _check_params(algorithm, params)
        self.iteration = 0
        self._uniform = tree.uniform_policy()
        self.regrets = np.zeros_like(self._uniform)
        self.policy = self._uniform.copy()
        self.policy_sum = np.zeros_like(self._uniform)
        if sequence_form is None:
            sequence_form = tree.perfect_recall
        elif sequence_form and not tree.perfect_recall:
            raise InvalidParameterError(
                f"{tree.game_id} does not have perfect recall: sequence_form must be False"
            )
        self.sequence_form = bool(sequence_form)
        if engine == "numba" and not self.sequence_form:
            raise InvalidParameterError(
                f"the numba engine runs CFR in sequence form, which {tree.game_id} does not "
                "allow (no perfect recall); use engine='numpy' or 'auto'"
            )
        self.engine = "numba" if engine == "auto" and self.sequence_form else engine
        if self.engine == "auto":
            self.engine = "numpy"
        self._blocks = [tree.player_infosets(p) for p in range(tree.num_players)]
        if self.sequence_form:
            self._init_sequences()
        else:
            self._init_histories()

    # ---- sequence form ---------------------------------------------------------------

    def _init_sequences(self) -> None:
        tree = self.tree
        size = tree.empty_sequence + 1
        self._seq_reach = np.ones(size)
        depth = tree.infoset_own_depth
        parent_seq = tree.infoset_parent_sequence
        self._parent_seq = parent_seq
        order = np.argsort(depth, kind="stable")
        bounds = np.searchsorted(depth[order], np.arange(int(depth.max(initial=0)) + 2))
        self._reach_steps = [
            (order[lo:hi], parent_seq[order[lo:hi]])
            for lo, hi in itertools.pairwise(bounds)
            if hi > lo
        ]
        term = tree.terminal_nodes
        self._term_seq = tree.node_sequences[term]
        self._term_value = tree.chance_reach[term][:, None] * tree.utilities[term]
        self._value_steps = []
        for block in self._blocks:
            steps = []
            for rows, _ in reversed(self._reach_steps):
                mine = rows[(rows >= block.start) & (rows < block.stop)]
                keep = parent_seq[mine] != tree.empty_sequence
                if np.any(keep):
                    steps.append((mine[keep], parent_seq[mine[keep]]))
            self._value_steps.append(steps)
        # The same steps as flat arrays, for the compiled loop.
        empty = np.zeros(0, dtype=np.int64)
        self._flat_reach = (
            np.concatenate([r for r, _ in self._reach_steps] or [empty]).astype(np.int64),
            np.concatenate([p for _, p in self._reach_steps] or [empty]).astype(np.int64),
        )
        value_rows = [r for steps in self._value_steps for r, _ in steps]
        value_parents = [p for steps in self._value_steps for _, p in steps]
        counts = [sum(len(r) for r, _ in steps) for steps in self._value_steps]
        self._flat_values = (
            np.concatenate(value_rows or [empty]).astype(np.int64),
            np.concatenate(value_parents or [empty]).astype(np.int64),
            np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        )
        self._block_bounds = np.array(
            [self._blocks[0].start] + [b.stop for b in self._blocks], dtype=np.int64
        )
        self._q = np.zeros(size)
        self._mask = np.ascontiguousarray(tree.infoset_mask, dtype=np.float64)

    def _sequence_values(self, player: int) -> tuple[FloatArray, FloatArray]:
        tree = self.tree
        sigma = self.policy
        reach = self._seq_reach
        reach_rows = reach[:-1].reshape(sigma.shape)
        for rows, ps in self._reach_steps:
            reach_rows[rows] = reach[ps][:, None] * sigma[rows]
        w = self._term_value[:, player].copy()
        for other in range(tree.num_players):
            if other != player:
                w *= reach[self._term_seq[:, other]]
        size = reach.shape[0]
        q = np.bincount(self._term_seq[:, player], weights=w, minlength=size).astype(
            np.float64, copy=False
        )
        q_rows = q[:-1].reshape(sigma.shape)
        for rows, ps in self._value_steps[player]:
            np.add.at(q, ps, (sigma[rows] * q_rows[rows]).sum(axis=1))
        block = self._blocks[player]
        return q_rows[block], reach[self._parent_seq[block]]

    # ---- history form ----------------------------------------------------------------

    def _init_histories(self) -> None:
        tree = self.tree
        self._factors = np.ones((tree.num_nodes, 2))
        self._history_players = []
        self._infoset_nodes: list[NDArray[np.int64]] = []
        for p, block in enumerate(self._blocks):
            own = np.flatnonzero(tree.parent_player == p)
            flat = (tree.infoset[tree.parent[own]] - block.start) * tree.max_actions
            flat += tree.slot[own]
            self._history_players.append((own, tree.parent[own], flat))
            in_block = (tree.infoset >= block.start) & (tree.infoset < block.stop)
            self._infoset_nodes.append(np.flatnonzero(in_block))

    def _history_values(self, player: int) -> tuple[FloatArray, FloatArray]:
        tree = self.tree
        own, parents, flat = self._history_players[player]
        block = self._blocks[player]
        e = tree.edge_probabilities(self.policy)
        f = self._factors
        f[:, 0] = e
        f[own, 0] = 1.0  # column 0: chance and the others (counterfactual reach)
        f[:, 1] = 1.0
        f[own, 1] = e[own]  # column 1: the player's own reach
        reach = tree.reach(f)
        v = tree.values(e, tree.utilities[:, player])
        size = block.stop - block.start
        weights = reach[parents, 0] * v[own]
        q = np.bincount(flat, weights=weights, minlength=size * tree.max_actions)
        q_rows = q.astype(np.float64, copy=False).reshape(size, tree.max_actions)
        # The average policy weighs an information state by the player's own reach summed
        # over all its histories, as OpenSpiel's solvers do; with imperfect recall these
        # reaches differ from one history to the next.
        nodes = self._infoset_nodes[player]
        own_reach = np.bincount(
            tree.infoset[nodes] - block.start, weights=reach[nodes, 1], minlength=size
        ).astype(np.float64)
        return q_rows, own_reach

    # ---- one update ------------------------------------------------------------------

    def _update(self, player: int) -> None:
        block = self._blocks[player]
        if block.stop == block.start:
            return
        if self.sequence_form:
            q, own_reach = self._sequence_values(player)
        else:
            q, own_reach = self._history_values(player)
        t = float(self.iteration)
        s = self.policy[block]
        regrets = self.regrets[block]
        regrets += (q - (s * q).sum(axis=1, keepdims=True)) * self.tree.infoset_mask[block]
        if self.algorithm == "cfr":
            weight = 1.0
        elif self.algorithm == "cfr+":
            weight = t
            np.maximum(regrets, 0.0, out=regrets)
        else:
            weight = t ** self.params["gamma"]
            ta, tb = t ** self.params["alpha"], t ** self.params["beta"]
            regrets *= np.where(regrets >= 0, ta / (ta + 1.0), tb / (tb + 1.0))
        self.policy_sum[block] += (weight * own_reach)[:, None] * s
        self.policy[block] = _regret_matching(regrets, self._uniform[block])

    def iterate(self, iterations: int = 1) -> None:
        """Run ``iterations`` iterations (each updates every player once, in turn)."""
        if self.engine == "numba" and iterations > 0:
            params = self.params
            _compiled_kernel()(
                iterations,
                self.iteration + 1,
                _ALGORITHM_CODES[self.algorithm],
                params.get("alpha", 0.0),
                params.get("beta", 0.0),
                params.get("gamma", 0.0),
                self.policy,
                self.regrets,
                self.policy_sum,
                self._uniform,
                self._mask,
                self._seq_reach,
                self._q,
                *self._flat_reach,
                np.ascontiguousarray(self._term_seq, dtype=np.int64),
                np.ascontiguousarray(self._term_value, dtype=np.float64),
                *self._flat_values,
                self._block_bounds,
                np.ascontiguousarray(self._parent_seq, dtype=np.int64),
            )
            self.iteration += iterations
            return
        for _ in range(iterations):
            self.iteration += 1
            for p in range(self.tree.num_players):
                self._update(p)

    def average(self) -> FloatArray:
        """The average policy as (n_infosets, max_actions) arrays (uniform where no weight
        has been accumulated yet)."""
        total = self.policy_sum.sum(axis=1, keepdims=True)
        safe = np.where(total > 0, total, 1.0)
        return np.where(total > 0, self.policy_sum / safe, self._uniform)


@dataclass
class SolveResult:
    """What :func:`solve` returns."""

    game: str
    algorithm: str
    params: dict[str, float]
    iterations: int
    average_policy: TabularPolicy
    """Converges to an equilibrium (two-player zero-sum games)."""
    current_policy: TabularPolicy
    metric: str
    """``"exploitability"`` (two-player zero- or constant-sum games) or ``"nash_conv"``."""
    curve: list[tuple[int, float]]
    """``(iteration, metric of the average policy)`` at each evaluation."""
    curve_seconds: list[float] = field(default_factory=list)
    """Solver time (evaluation left out) up to each point of ``curve``."""
    wall_time: float = 0.0
    """Seconds for the whole call: compiling, iterating and evaluating."""
    solve_time: float = 0.0
    """Seconds spent in iterations only."""

    @property
    def final(self) -> float:
        """The metric of the final average policy."""
        return self.curve[-1][1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "algorithm": self.algorithm,
            "params": dict(self.params),
            "iterations": self.iterations,
            "metric": self.metric,
            "final": self.final,
            "curve": [[i, v] for i, v in self.curve],
            "curve_seconds": list(self.curve_seconds),
            "wall_time": self.wall_time,
            "solve_time": self.solve_time,
        }


def metric_name(tree: GameTree) -> str:
    """``"exploitability"`` for two-player zero/constant-sum games, else ``"nash_conv"``."""
    zero_sum = tree.spec.utility in (UtilityKind.ZERO_SUM, UtilityKind.CONSTANT_SUM)
    return "exploitability" if tree.num_players == 2 and zero_sum else "nash_conv"


def evaluate(tree: GameTree, policy: FloatArray) -> float:
    """The :func:`metric_name` metric of ``policy`` (arrays bound to ``tree``)."""
    nc = nash_conv_arrays(tree, policy)[0]
    return nc / 2 if metric_name(tree) == "exploitability" else nc


def solve(
    game: Game | GameTree,
    algorithm: str = "cfr+",
    iterations: int = 1000,
    *,
    eval_every: int | None = None,
    callback: Callable[[int, float], bool | None] | None = None,
    params: Mapping[str, Any] | None = None,
) -> SolveResult:
    """Run ``algorithm`` (one of :data:`ALGORITHMS`) for ``iterations`` iterations.

    The average policy is evaluated every ``eval_every`` iterations (and always after the
    last); ``callback(iteration, value)`` is called at each evaluation and may return
    True to stop early. ``params`` sets the algorithm's parameters (see
    :data:`PARAMETERS`: ``alpha``, ``beta``, ``gamma`` for ``dcfr``). ``game`` may be a
    compiled tree (``compile_game(game, max_histories=...)`` for a larger limit).
    """
    start = time.perf_counter()
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 1:
        raise InvalidParameterError(f"iterations must be a positive integer; got {iterations!r}")
    if eval_every is not None and (
        isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 0
    ):
        raise InvalidParameterError(
            f"eval_every must be a non-negative integer or None; got {eval_every!r}"
        )
    if algorithm not in ALGORITHMS:
        raise UnknownNameError("CFR algorithm", str(algorithm), ALGORITHMS)
    tree = compile_game(game)
    solver = CFRSolver(tree, algorithm, params)
    curve: list[tuple[int, float]] = []
    seconds: list[float] = []
    solving = 0.0
    step = eval_every or iterations
    done = 0
    while done < iterations:
        n = min(step, iterations - done)
        t0 = time.perf_counter()
        solver.iterate(n)
        solving += time.perf_counter() - t0
        done += n
        value = evaluate(tree, solver.average())
        curve.append((done, value))
        seconds.append(solving)
        if callback is not None and callback(done, value):
            break
    return SolveResult(
        game=tree.game_id,
        algorithm=algorithm,
        params=dict(solver.params),
        iterations=done,
        average_policy=TabularPolicy.from_arrays(tree, solver.average()),
        current_policy=TabularPolicy.from_arrays(tree, solver.policy.copy()),
        metric=metric_name(tree),
        curve=curve,
        curve_seconds=seconds,
        wall_time=time.perf_counter() - start,
        solve_time=solving,
    )
