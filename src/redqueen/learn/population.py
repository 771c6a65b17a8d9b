"""Populations of policies, their meta-game payoffs, opponent samplers and mixtures.

Every population-based learning method keeps a set of strategies per seat and plays them
against each other: fictitious play mixes all past best responses, PSRO (Lanctot et al.
2017, "A Unified Game-Theoretic Approach to Multiagent Reinforcement Learning") solves
the *meta-game* whose pure strategies are the population's members, and league training
(Vinyals et al. 2019, "Grandmaster level in StarCraft II using multi-agent reinforcement
learning") picks opponents by how hard they are to beat. This module holds the parts
they share:

- :class:`Member`: a strategy (a :class:`~redqueen.solve.policy.TabularPolicy` or any
  :class:`~redqueen.agents.core.Agent`) with its lineage: an id, the ids of the members
  it was derived from (a best response's parents are the opponents it answers), the
  iteration that made it and free metadata.
- :class:`Population`: an append-only list of members per seat, saved to and loaded from
  a run directory (tabular members as ``TabularPolicy.save`` JSON files, agents by spec).
- :class:`PayoffTable`: the meta-game payoff tensor, ``table[s][i_0, ..., i_{n-1}]`` =
  seat ``s``'s expected return when seat ``k`` plays its member ``i_k``. It is filled
  incrementally (a profile is evaluated once, when its last member arrives) and exactly:
  each profile's expected returns come from one sweep of the compiled game tree
  (:func:`~redqueen.solve.responses.expected_returns`), chance included, for any
  number of seats.
- Opponent samplers: weights over a seat's members for the latest member, uniform over
  past snapshots, prioritised fictitious self-play (AlphaStar's ``f_hard(x) = (1 - x)^p``
  of the win rate ``x``) and the Nash mixture of the population; :func:`sample_member`
  draws one with a caller's Generator.
- Mixtures: :func:`mixture_policy` turns a distribution over behaviour policies into the
  single behaviour policy that plays the same.

**Mixing behaviour strategies.** Playing policy ``pi_k`` with probability ``w_k`` (chosen
once, before the game) is *not* the same as playing ``sum_k w_k pi_k(I)`` at every
information state ``I``: a member that never reaches ``I`` must have no say there. By
Kuhn's theorem (perfect recall) the mixture is realised by the behaviour policy

    sigma(I, a) = sum_k w_k x_k(I) pi_k(I, a)  /  sum_k w_k x_k(I),

where ``x_k(I)`` is the probability that ``pi_k``'s *own* moves lead to ``I`` (the
realisation weight; chance and the other players cancel out). This is the average-
strategy rule of extensive-form fictitious play (Heinrich, Lanctot & Silver 2015,
"Fictitious Self-Play in Extensive-Form Games", Theorem 7) and the way PSRO evaluates a
meta-strategy. :func:`mixture_arrays` computes ``x_k`` for every member at once with one
top-down sweep of the tree; an information state no member reaches gets the ``w``-weighted
average. In games without perfect recall (tic-tac-toe merges transpositions) no
behaviour policy equals the mixture in general; there ``x_k(I)`` is summed over the
histories of ``I``, the same weighting CFR uses for its average policy.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redqueen.agents.core import Agent, AgentSpec
from redqueen.agents.registry import agent_from_spec
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.solve.normal_form import bimatrix_equilibria, zero_sum_nash
from redqueen.solve.policy import PolicyAgent, TabularPolicy
from redqueen.solve.responses import check_exploitability_defined, expected_returns_arrays
from redqueen.solve.tree import GameTree, compile_game

if TYPE_CHECKING:  # the store is a layer to the right: learning loops are handed one
    from redqueen.store.run_store import RunStore

FloatArray = NDArray[np.float64]

_ZERO_SUM_TOLERANCE = 1e-9
_SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


# ---- members and populations ------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Member:
    """A strategy and its lineage.

    - ``id``: unique within its population (``"p0-3"``: seat 0, iteration 3, say).
    - ``strategy``: a :class:`TabularPolicy` (covering at least the member's seat) or an
      :class:`Agent`.
    - ``parents``: ids of the members it was derived from.
    - ``iteration``: the iteration of the learning loop that made it.
    - ``metadata``: anything JSON-serialisable (the oracle's value, a meta-strategy, ...).
    """

    id: str
    strategy: TabularPolicy | Agent
    parents: tuple[str, ...] = ()
    iteration: int = 0
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @property
    def policy(self) -> TabularPolicy:
        """The member's tabular policy (a :class:`PolicyAgent`'s too); an error for other
        agents, which have no table to compute with exactly."""
        if isinstance(self.strategy, TabularPolicy):
            return self.strategy
        if isinstance(self.strategy, PolicyAgent) and self.strategy.policy is not None:
            return self.strategy.policy
        raise RedqueenError(
            f"member {self.id!r} is a {type(self.strategy).__name__} agent, not a tabular "
            "policy; exact payoffs and mixtures need TabularPolicy members"
        )

    @property
    def agent(self) -> Agent:
        """The member as an agent that can play matches."""
        if isinstance(self.strategy, Agent):
            return self.strategy
        return PolicyAgent(policy=self.strategy)

    def lineage(self) -> dict[str, Any]:
        """The member without its strategy, as JSON-ready data."""
        return {
            "id": self.id,
            "parents": list(self.parents),
            "iteration": self.iteration,
            "metadata": dict(self.metadata),
        }


class Population:
    """Members per seat, in the order they joined; members are never removed (indices
    into a seat's list are stable, so payoff tables and meta-strategies stay valid)."""

    def __init__(self, num_seats: int) -> None:
        if isinstance(num_seats, bool) or not isinstance(num_seats, int) or num_seats < 1:
            raise InvalidParameterError(
                f"a population needs a positive number of seats; got {num_seats!r}"
            )
        self._seats: list[list[Member]] = [[] for _ in range(num_seats)]
        self._ids: set[str] = set()

    @property
    def num_seats(self) -> int:
        return len(self._seats)

    def _check_seat(self, seat: int) -> int:
        if isinstance(seat, bool) or not isinstance(seat, int | np.integer):
            raise InvalidParameterError(f"seat must be an integer; got {seat!r}")
        if not 0 <= seat < self.num_seats:
            raise InvalidParameterError(
                f"seat {seat} is not one of this population's seats: {list(range(self.num_seats))}"
            )
        return int(seat)

    def add(self, seat: int, member: Member) -> int:
        """Append ``member`` to ``seat``'s list; returns its index there."""
        seat = self._check_seat(seat)
        if member.id in self._ids:
            raise InvalidParameterError(f"the population already has a member {member.id!r}")
        self._ids.add(member.id)
        self._seats[seat].append(member)
        return len(self._seats[seat]) - 1

    def members(self, seat: int) -> list[Member]:
        """``seat``'s members, oldest first (a copy of the list)."""
        return list(self._seats[self._check_seat(seat)])

    def __getitem__(self, seat: int) -> list[Member]:
        return self.members(seat)

    def size(self, seat: int) -> int:
        return len(self._seats[self._check_seat(seat)])

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(len(s) for s in self._seats)

    def latest(self, seat: int) -> Member:
        members = self._seats[self._check_seat(seat)]
        if not members:
            raise RedqueenError(f"seat {seat} of the population has no members yet")
        return members[-1]

    def __iter__(self) -> Iterator[tuple[int, Member]]:
        """Every ``(seat, member)``, seat by seat."""
        for seat, members in enumerate(self._seats):
            for m in members:
                yield seat, m

    def __repr__(self) -> str:
        return f"<Population: {self.sizes} members per seat>"

    def mixture(self, game: Game | GameTree, meta_strategies: Sequence[ArrayLike]) -> TabularPolicy:
        """The behaviour policy of every seat playing the mixture of its (tabular)
        members under ``meta_strategies[seat]``, a distribution over its members."""
        tree = compile_game(game)
        arrays = [
            [m.policy.to_arrays(tree, [seat]) for m in self._seats[seat]]
            for seat in range(self.num_seats)
        ]
        return TabularPolicy.from_arrays(tree, population_profile(tree, arrays, meta_strategies))

    # ---- files ----------------------------------------------------------------------

    def save(
        self,
        directory: str | Path,
        game: Game | None = None,
        written: Collection[str] = (),
    ) -> list[dict[str, Any]]:
        """Write each tabular member to ``directory/<id>.json`` (except those in
        ``written``, saved before: members never change) and return the records
        :meth:`load` reads back: lineage plus the file name, or an agent's spec. Each file
        is written whole or not at all."""
        directory = Path(directory)
        records = []
        for seat, m in self:
            record: dict[str, Any] = {"seat": seat, **m.lineage()}
            if isinstance(m.strategy, TabularPolicy):
                name = f"{m.id}.json"
                if not _SAFE_NAME.fullmatch(m.id):
                    raise InvalidParameterError(
                        f"member id {m.id!r} cannot name a file; use letters, digits, '.', '_' "
                        "and '-'"
                    )
                if m.id not in written:
                    tmp = m.strategy.save(directory / f"{name}.tmp", game=game)
                    tmp.replace(directory / name)
                record["policy"] = name
            else:
                spec = m.strategy.spec()
                record["agent"] = {"kind": spec.kind, "params": spec.params}
            records.append(record)
        return records

    @classmethod
    def load(
        cls, num_seats: int, records: Sequence[Mapping[str, Any]], directory: str | Path
    ) -> Population:
        """The population that :meth:`save` described by ``records``."""
        population = cls(num_seats)
        for r in records:
            strategy: TabularPolicy | Agent
            if "policy" in r:
                strategy = TabularPolicy.load(Path(directory) / r["policy"])
            else:
                strategy = agent_from_spec(AgentSpec(r["agent"]["kind"], r["agent"]["params"]))
            population.add(
                int(r["seat"]),
                Member(
                    id=str(r["id"]),
                    strategy=strategy,
                    parents=tuple(r["parents"]),
                    iteration=int(r["iteration"]),
                    metadata=dict(r["metadata"]),
                ),
            )
        return population


# ---- the meta-game ----------------------------------------------------------------------


class PayoffTable:
    """The exact meta-game payoffs of a population of tabular policies.

    ``tables()[s][i_0, ..., i_{n-1}]`` is seat ``s``'s expected return when every seat
    ``k`` plays its member ``i_k``. :meth:`update` evaluates the profiles that involve a
    member added since the last update, and only those; ``evaluations`` counts the
    profiles evaluated so far (one tree sweep each).
    """

    def __init__(self, game: Game | GameTree, population: Population) -> None:
        self.tree = compile_game(game)
        if population.num_seats != self.tree.num_players:
            raise InvalidParameterError(
                f"{self.tree.game_id} has {self.tree.num_players} seats but the population "
                f"has {population.num_seats}"
            )
        self.population = population
        self.evaluations = 0
        n = self.tree.num_players
        self._values = np.zeros((0,) * n + (n,))
        self._arrays: list[list[FloatArray]] = [[] for _ in range(n)]

    @property
    def sizes(self) -> tuple[int, ...]:
        """How many members of each seat the table covers."""
        return tuple(self._values.shape[:-1])

    def member_arrays(self, seat: int) -> list[FloatArray]:
        """``seat``'s members as (n_infosets, max_actions) arrays in the tree's order
        (rows of other seats uniform), for the members the table covers."""
        return list(self._arrays[seat])

    def update(self) -> int:
        """Evaluate every profile with a member added since the last update; returns how
        many were evaluated."""
        tree = self.tree
        old = self.sizes
        new = self.population.sizes
        if new == old:
            return 0
        for seat in range(tree.num_players):
            for m in self.population.members(seat)[old[seat] :]:
                self._arrays[seat].append(m.policy.to_arrays(tree, players=[seat]))
        values = np.full((*new, tree.num_players), np.nan)
        values[tuple(slice(0, k) for k in old)] = self._values
        blocks = [tree.player_infosets(s) for s in range(tree.num_players)]
        sigma = tree.uniform_policy()
        count = 0
        for profile in itertools.product(*(range(k) for k in new)):
            if all(i < k for i, k in zip(profile, old, strict=True)):
                continue  # known already
            for seat, i in enumerate(profile):
                sigma[blocks[seat]] = self._arrays[seat][i][blocks[seat]]
            values[profile] = expected_returns_arrays(tree, sigma)
            count += 1
        self._values = values
        self.evaluations += count
        return count

    def tables(self) -> list[FloatArray]:
        """One payoff tensor per seat, of shape :attr:`sizes`."""
        return [self._values[..., s].copy() for s in range(self.tree.num_players)]

    def matrix(self, seat: int = 0) -> FloatArray:
        """Seat ``seat``'s payoff tensor (a matrix for two seats: rows are seat 0's
        members, columns seat 1's)."""
        return self._values[..., seat].copy()


# ---- mixtures ---------------------------------------------------------------------------


def _check_weights(weights: ArrayLike, n: int, name: str = "weights") -> FloatArray:
    w = np.asarray(weights, dtype=np.float64).reshape(-1)
    if w.shape[0] != n:
        raise InvalidParameterError(f"{name} has {w.shape[0]} entries for {n} policies")
    if n == 0:
        raise InvalidParameterError(f"{name}: a mixture needs at least one policy")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise InvalidParameterError(f"{name} must be non-negative numbers; got {w.tolist()}")
    total = math.fsum(w.tolist())
    if abs(total - 1.0) > 1e-6:
        raise InvalidParameterError(f"{name} must sum to 1; got {w.tolist()} (sum {total!r})")
    return np.asarray(w / total, dtype=np.float64)


def own_reach(tree: GameTree, policies: Sequence[FloatArray]) -> FloatArray:
    """(n_policies, n_infosets): for each policy, the probability that the acting
    player's own moves lead to each information state, summed over its histories (with
    perfect recall every history of an information state has the same own reach)."""
    k = len(policies)
    n_players = tree.num_players
    movers = [tree.parent_player == p for p in range(n_players)]
    factors = np.ones((tree.num_nodes, k, n_players))
    for j, pol in enumerate(policies):
        e = tree.edge_probabilities(pol)
        for p, moved in enumerate(movers):
            factors[moved, j, p] = e[moved]
    reach = tree.reach(factors.reshape(tree.num_nodes, k * n_players))
    reach = reach.reshape(tree.num_nodes, k, n_players)
    dec = np.flatnonzero(tree.infoset >= 0)
    at_dec = reach[dec, :, tree.player[dec]]  # (n_dec, k): the acting player's own reach
    out = np.zeros((tree.num_infosets, k))
    np.add.at(out, tree.infoset[dec], at_dec)
    return np.ascontiguousarray(out.T)


def mixture_arrays(
    tree: GameTree, policies: Sequence[FloatArray], weights: ArrayLike
) -> FloatArray:
    """The behaviour policy that plays like choosing ``policies[k]`` with probability
    ``weights[k]`` before the game (the reach-weighted rule in the module docstring).
    Policies are (n_infosets, max_actions) arrays in ``tree``'s order; every row is
    mixed, each with its own player's reach."""
    w = _check_weights(weights, len(policies))
    keep = np.flatnonzero(w > 0)
    stack = np.stack([np.asarray(policies[int(k)], dtype=np.float64) for k in keep])
    wk = w[keep]
    reach = own_reach(tree, [stack[j] for j in range(keep.shape[0])]) * wk[:, None]
    num = np.einsum("ki,kia->ia", reach, stack)
    den = reach.sum(axis=0)
    naive = np.einsum("k,kia->ia", wk, stack)
    reached = den > 0
    out = naive
    out[reached] = num[reached] / den[reached, None]
    return np.asarray(out, dtype=np.float64)


def mixture_policy(
    game: Game | GameTree, policies: Sequence[TabularPolicy], weights: ArrayLike
) -> TabularPolicy:
    """:func:`mixture_arrays` for :class:`TabularPolicy` objects covering every seat."""
    tree = compile_game(game)
    arrays = [p.to_arrays(tree) for p in policies]
    return TabularPolicy.from_arrays(tree, mixture_arrays(tree, arrays, weights))


def population_profile(
    tree: GameTree,
    member_arrays: Sequence[Sequence[FloatArray]],
    meta_strategies: Sequence[ArrayLike],
) -> FloatArray:
    """The profile (arrays in ``tree``'s order) in which each seat plays the mixture of
    its members (``member_arrays[seat]``, e.g. :meth:`PayoffTable.member_arrays`) under
    ``meta_strategies[seat]``."""
    if len(meta_strategies) != tree.num_players or len(member_arrays) != tree.num_players:
        raise InvalidParameterError(
            f"give the members and a meta-strategy for each of the {tree.num_players} seats"
        )
    profile = tree.uniform_policy()
    for seat, meta in enumerate(meta_strategies):
        block = tree.player_infosets(seat)
        mixed = mixture_arrays(tree, member_arrays[seat], meta)
        profile[block] = mixed[block]
    return profile


# ---- opponent samplers ------------------------------------------------------------------


def latest_weights(n: int) -> FloatArray:
    """All weight on the newest of ``n`` members (naive self-play)."""
    _check_count(n)
    w = np.zeros(n)
    w[-1] = 1.0
    return w


def uniform_weights(n: int, window: int | None = None) -> FloatArray:
    """Uniform over the past snapshots: all ``n`` members, or the last ``window``
    (fictitious self-play)."""
    _check_count(n)
    if window is not None and (
        isinstance(window, bool) or not isinstance(window, int) or window < 1
    ):
        raise InvalidParameterError(f"window must be a positive integer or None; got {window!r}")
    k = n if window is None else min(n, window)
    w = np.zeros(n)
    w[n - k :] = 1.0 / k
    return w


PFSP_WEIGHTINGS = ("hard", "variance", "linear_capped")
"""The weightings :func:`pfsp_weights` knows."""


def pfsp_weights(
    win_rates: ArrayLike,
    weighting: Literal["hard", "variance", "linear_capped"] = "hard",
    p: float = 2.0,
) -> FloatArray:
    """Prioritised fictitious self-play (Vinyals et al. 2019, AlphaStar, Methods): the
    chance of facing opponent ``i`` is proportional to ``f(x_i)``, where ``x_i`` is the
    learner's probability of beating ``i``:

    - ``"hard"``: ``f(x) = (1 - x)^p``, the opponents the learner loses to (``p = 1`` is
      AlphaStar's ``linear``, ``p = 2`` its ``squared``);
    - ``"variance"``: ``f(x) = x (1 - x)``, opponents of about the learner's level;
    - ``"linear_capped"``: ``f(x) = min(0.5, 1 - x)``.

    When every ``f(x_i)`` is 0 (the learner beats all of them) the weights are uniform,
    as in AlphaStar's pseudocode.
    """
    x = np.asarray(win_rates, dtype=np.float64).reshape(-1)
    _check_count(x.shape[0])
    if not np.all(np.isfinite(x)) or np.any(x < 0) or np.any(x > 1):
        raise InvalidParameterError(f"win rates are probabilities in [0, 1]; got {x.tolist()}")
    if weighting == "hard":
        if isinstance(p, bool) or not isinstance(p, int | float) or not p > 0:
            raise InvalidParameterError(f"p must be a positive number; got {p!r}")
        f = (1.0 - x) ** float(p)
    elif weighting == "variance":
        f = x * (1.0 - x)
    elif weighting == "linear_capped":
        f = np.minimum(0.5, 1.0 - x)
    else:
        raise UnknownNameError("PFSP weighting", str(weighting), PFSP_WEIGHTINGS)
    total = f.sum()
    if total < 1e-10:
        return np.full(x.shape[0], 1.0 / x.shape[0])
    return np.asarray(f / total, dtype=np.float64)


def nash_weights(tables: Sequence[ArrayLike]) -> list[FloatArray]:
    """A Nash equilibrium of the meta-game, one distribution over members per seat.

    ``tables`` is :meth:`PayoffTable.tables` of a two-seat population (``[A, B]``), or
    ``[M]`` for one population playing itself in a symmetric zero-sum game (``M[i, j]``:
    what member ``i`` wins against ``j``). Zero-sum and constant-sum meta-games are solved
    by linear programming (:func:`~redqueen.solve.normal_form.zero_sum_nash`); general-sum
    ones by :func:`~redqueen.solve.normal_form.bimatrix_equilibria` (the first equilibrium
    it returns)."""
    mats = [np.asarray(t, dtype=np.float64) for t in tables]
    if len(mats) == 1:
        m = mats[0]
        if m.ndim != 2 or m.shape[0] != m.shape[1]:
            raise InvalidParameterError(
                f"one payoff table means a symmetric game: it must be square; got {m.shape}"
            )
        return [zero_sum_nash(m).row_strategy]
    if len(mats) != 2 or any(m.ndim != 2 for m in mats) or mats[0].shape != mats[1].shape:
        raise InvalidParameterError(
            "nash_weights needs the two seats' payoff matrices [A, B] of equal shape (or one "
            "square matrix for a symmetric zero-sum population); meta-games of more seats "
            "have no exact solver here yet"
        )
    a, b = mats
    total = a + b
    if np.ptp(total) <= _ZERO_SUM_TOLERANCE * max(1.0, float(np.abs(total).max())):
        sol = zero_sum_nash(a)
        return [sol.row_strategy, sol.col_strategy]
    x, y = bimatrix_equilibria(a, b)[0]
    return [x, y]


def sample_member(
    members: Sequence[Member], weights: ArrayLike, rng: np.random.Generator
) -> Member:
    """One of ``members``, drawn with probability ``weights`` by ``rng``."""
    w = _check_weights(weights, len(members))
    return members[int(rng.choice(len(members), p=w))]


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InvalidParameterError(f"need at least one member to weigh; got {n!r}")


# ---- helpers of the learning loops --------------------------------------------------------


def check_two_player_zero_sum(tree: GameTree, algorithm: str) -> None:
    """Raise unless the game is a two-player zero- or constant-sum game."""
    if tree.num_players != 2:
        raise InvalidParameterError(
            f"{algorithm} here is for two-player games; {tree.game_id} has "
            f"{tree.num_players} players"
        )
    check_exploitability_defined(tree)


def pure_policy_arrays(tree: GameTree, choice: NDArray[np.int64], seat: int) -> FloatArray:
    """The pure policy that plays slot ``choice[I]`` at each of ``seat``'s information
    states (other rows uniform), as arrays: how a best response's choices become a
    member."""
    out = tree.uniform_policy()
    block = tree.player_infosets(seat)
    rows = np.arange(block.start, block.stop)
    out[block] = 0.0
    out[rows, choice[block]] = 1.0
    return out


def initial_population(tree: GameTree, initial_policy: TabularPolicy | None) -> Population:
    """One member per seat, ``p<seat>-0``: its part of ``initial_policy`` (uniform when
    None)."""
    kind = "uniform" if initial_policy is None else "initial"
    start = TabularPolicy.uniform(tree) if initial_policy is None else initial_policy
    arrays = start.to_arrays(tree)  # checks that every seat is covered
    population = Population(tree.num_players)
    for seat in range(tree.num_players):
        population.add(
            seat,
            Member(
                id=f"p{seat}-0",
                strategy=TabularPolicy.from_arrays(tree, arrays, players=[seat]),
                metadata={"kind": kind},
            ),
        )
    return population


# ---- learning curves and the run store --------------------------------------------------


class CurvePoint(NamedTuple):
    """One point of a learning curve: after ``iteration`` iterations, the learned policy
    (a meta-strategy mixture, an average policy) has ``exploitability``, and each seat's
    population has ``population_size`` members."""

    iteration: int
    exploitability: float
    population_size: int


def log_curve(store: RunStore, curve: Sequence[CurvePoint]) -> None:
    """Log the points of ``curve`` the store does not have yet, as the metrics
    ``exploitability`` and ``population_size`` with ``step=iteration``. Calling it again
    after a resume adds nothing twice."""
    for name in ("exploitability", "population_size"):
        logged = {step for step, _ in store.metrics(name)}
        for point in curve:
            if point.iteration not in logged:
                store.log_metric(name, getattr(point, name), step=point.iteration)


class Checkpoint(NamedTuple):
    """What a learning loop saved to its run: its population, its curve so far (the last
    point's iteration is the last one finished) and anything else it chose to keep."""

    population: Population
    curve: list[CurvePoint]
    extra: dict[str, Any]


def bind_run(store: RunStore, algorithm: str, tree: GameTree, config: Any) -> bool:
    """Record (or, resuming, check) the run's algorithm, game and config dataclass in
    ``store``; ``iterations`` may differ, so a finished run can be continued for more.
    Returns True when the run already existed."""
    spec = tree.spec
    record = {
        "algorithm": algorithm,
        "game": spec.id,
        "game_params": dict(spec.params),
        **dataclasses.asdict(config),
    }
    return store.bind_config(record, ignore=("iterations",))


def save_checkpoint(
    store: RunStore,
    algorithm: str,
    population: Population,
    curve: Sequence[CurvePoint],
    game: Game | None = None,
    **extra: Any,
) -> None:
    """Save the state after the last point of ``curve``: member policies under
    ``RUN_DIR/<algorithm>/members/``, then one meta record (written atomically), then
    the curve's new points as metrics. A run killed anywhere in between resumes from the
    previous record and writes nothing twice."""
    previous = store.get_meta(algorithm)
    written = {r["id"] for r in previous["members"]} if previous is not None else set()
    records = population.save(store.dir / algorithm / "members", game, written)
    store.set_meta(
        algorithm,
        {
            "iteration": curve[-1].iteration,
            "members": records,
            "curve": [list(p) for p in curve],
            "extra": extra,
        },
    )
    log_curve(store, curve)


def load_checkpoint(store: RunStore, algorithm: str, num_seats: int) -> Checkpoint | None:
    """The state :func:`save_checkpoint` last saved for ``algorithm``, or None."""
    record = store.get_meta(algorithm)
    if record is None:
        return None
    population = Population.load(num_seats, record["members"], store.dir / algorithm / "members")
    curve = [CurvePoint(int(i), float(e), int(n)) for i, e, n in record["curve"]]
    log_curve(store, curve)  # points a kill kept from the metrics table
    return Checkpoint(population, curve, dict(record["extra"]))


# ---- win-rate-gated rotation --------------------------------------------------------------


RotationStep = Literal["stay", "rotate", "add"]


@dataclass
class GatedRotation:
    """Win-rate-gated rotation of opponents: the learner keeps training against one
    opponent (``current``, an index into the opponent list, oldest first) until its win
    rate against that opponent passes ``threshold`` over at least ``min_games`` games;
    then it moves to the next opponent, and after the newest it is time to add the
    learner itself (a snapshot) as the next opponent. This is the curriculum of
    "beat the previous version before moving on" (AlphaGo Zero's gate of a 55% win
    rate, Silver et al. 2017, "Mastering the game of Go without human knowledge";
    AlphaStar's exploiters train against one target until they beat it, Vinyals et al.
    2019).

    :meth:`weights` puts all weight on the current opponent; :meth:`observe` counts the
    learner's results against it (a draw counts as half a win) and says what happens
    next: ``"stay"``, ``"rotate"`` (``current`` moved to the next opponent) or ``"add"``
    (the learner beat the newest opponent: the caller adds a snapshot, which becomes
    ``current``). The counts restart at every move."""

    threshold: float = 0.7
    min_games: int = 10
    current: int = 0
    wins: float = 0.0
    games: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.threshold, bool) or not 0.0 < float(self.threshold) < 1.0:
            raise InvalidParameterError(
                f"threshold is a win rate strictly between 0 and 1; got {self.threshold!r}"
            )
        if isinstance(self.min_games, bool) or not isinstance(self.min_games, int):
            raise InvalidParameterError(
                f"min_games must be a positive integer; got {self.min_games!r}"
            )
        if self.min_games < 1:
            raise InvalidParameterError(
                f"min_games must be a positive integer; got {self.min_games!r}"
            )

    @property
    def win_rate(self) -> float:
        """The learner's win rate against the current opponent since it became current
        (NaN before the first game)."""
        return self.wins / self.games if self.games else math.nan

    def weights(self, n: int) -> FloatArray:
        """One-hot on the current opponent among ``n``."""
        _check_count(n)
        if self.current >= n:
            raise InvalidParameterError(
                f"the current opponent is #{self.current} but there are only {n}; add the "
                "learner's snapshot first"
            )
        w = np.zeros(n)
        w[self.current] = 1.0
        return w

    def observe(self, wins: float, games: int, n: int) -> RotationStep:
        """Count ``wins`` (draws as halves) in ``games`` new games against the current
        opponent, of ``n`` opponents, and move on if the gate is passed."""
        if isinstance(games, bool) or not isinstance(games, int) or games < 0:
            raise InvalidParameterError(f"games must be a non-negative integer; got {games!r}")
        if not 0 <= wins <= games:
            raise InvalidParameterError(f"wins must be in [0, games={games}]; got {wins!r}")
        self.weights(n)  # checks current < n
        self.wins += float(wins)
        self.games += games
        if self.games < self.min_games or self.win_rate <= self.threshold:
            return "stay"
        self.wins, self.games = 0.0, 0
        self.current += 1
        return "rotate" if self.current < n else "add"


# ---- sampled payoff tables ----------------------------------------------------------------


class SampledPayoffTable:
    """The meta-game payoffs of a population of agents, estimated by playing matches.

    For games too large to compile (:class:`PayoffTable` needs the tree), every profile
    of members (one per seat) plays ``matches_per_profile`` matches through the play
    layer (:func:`~redqueen.play.runners.run_matches`, inline, on worker processes or on
    Ray). :meth:`update` plays the profiles with a member added since the last update,
    and only those. Each match's seed is derived from ``seed`` and the profile's member
    *ids* and the match number, so a profile's estimate never depends on when it was
    played or by which runner. ``mean[s]``, ``sem[s]`` (the standard error of the mean)
    and ``count`` hold seat ``s``'s return per profile; :meth:`win_rates` the share of
    games each seat won (a draw counts half).

    With a ``store``, every match is recorded as it finishes (``key``:
    ``"<id_0>|<id_1>...:n<k>"``) and a table built again on the same run replays the
    stored matches instead of playing them: a killed run loses and repeats nothing.
    """

    def __init__(
        self,
        game: Game,
        population: Population,
        matches_per_profile: int = 20,
        seed: int = 0,
        *,
        workers: int = 1,
        backend: str | None = None,
        store: RunStore | None = None,
    ) -> None:
        if population.num_seats != game.num_players:
            raise InvalidParameterError(
                f"{game.id} has {game.num_players} seats but the population has "
                f"{population.num_seats}"
            )
        if (
            isinstance(matches_per_profile, bool)
            or not isinstance(matches_per_profile, int)
            or matches_per_profile < 1
        ):
            raise InvalidParameterError(
                f"matches_per_profile must be a positive integer; got {matches_per_profile!r}"
            )
        from redqueen.play.runners import BACKENDS

        if backend is not None and backend not in BACKENDS:
            raise UnknownNameError("runner backend", str(backend), BACKENDS)
        self.game = game
        self.population = population
        self.matches_per_profile = matches_per_profile
        self.seed = int(seed)
        self.workers = workers
        self.backend = backend
        self.store = store
        self.matches_played = 0
        n = game.num_players
        self._sum = np.zeros((0,) * n + (n,))
        self._sq = np.zeros((0,) * n + (n,))
        self._wins = np.zeros((0,) * n + (n,))
        self._count = np.zeros((0,) * n, dtype=np.int64)
        self._next_index = 0

    @property
    def sizes(self) -> tuple[int, ...]:
        return tuple(self._count.shape)

    def _grow(self, new: tuple[int, ...]) -> None:
        old = self.sizes
        n = self.game.num_players
        region = tuple(slice(0, k) for k in old)
        for name, shape in (
            ("_sum", (*new, n)),
            ("_sq", (*new, n)),
            ("_wins", (*new, n)),
            ("_count", new),
        ):
            grown = np.zeros(shape, dtype=getattr(self, name).dtype)
            grown[region] = getattr(self, name)
            setattr(self, name, grown)

    def update(self) -> int:
        """Play every profile with a member added since the last update; returns how
        many matches were played (stored matches replayed from the run count too)."""
        from redqueen.play.runners import run_matches
        from redqueen.play.schedule import ScheduledMatch, match_seed

        old, new = self.sizes, self.population.sizes
        if old == new:
            return 0
        self._grow(new)
        seats = self.game.num_players
        members = [self.population.members(s) for s in range(seats)]
        offsets = np.cumsum([0, *new])[:-1].tolist()
        agents = [m.agent for s in range(seats) for m in members[s]]
        stored = {m.key: (m, r) for m, r in self.store.matches()} if self.store is not None else {}
        todo: list[ScheduledMatch] = []
        profile_of: dict[str, tuple[int, ...]] = {}
        replay = []
        for profile in itertools.product(*(range(k) for k in new)):
            if all(i < k for i, k in zip(profile, old, strict=True)):
                continue
            ids = [members[s][i].id for s, i in enumerate(profile)]
            id_hash = [zlib.crc32(x.encode()) for x in ids]
            for k in range(self.matches_per_profile):
                key = f"{'|'.join(ids)}:n{k}"
                profile_of[key] = profile
                if key in stored:
                    replay.append(stored[key])
                    continue
                seed = match_seed(self.seed, *id_hash, k)
                todo.append(
                    ScheduledMatch(
                        key,
                        self._next_index + len(todo),
                        tuple(offsets[s] + i for s, i in enumerate(profile)),
                        seed,
                    )
                )
        on_result = None if self.store is None else self.store.record_match
        played = run_matches(
            self.game,
            agents,
            todo,
            workers=self.workers,
            on_result=on_result,
            backend=self.backend,
        )
        self._next_index += len(todo)
        for match, result in [*replay, *played]:
            self._add(profile_of[match.key], result.returns)
        self.matches_played += len(replay) + len(played)
        return len(replay) + len(played)

    def _add(self, profile: tuple[int, ...], returns: Sequence[float]) -> None:
        r = np.asarray(returns, dtype=np.float64)
        self._sum[profile] += r
        self._sq[profile] += r * r
        winners = r == r.max()
        self._wins[profile] += winners / winners.sum()
        self._count[profile] += 1

    @property
    def count(self) -> NDArray[np.int64]:
        """Matches played per profile."""
        return self._count.copy()

    def mean(self, seat: int = 0) -> FloatArray:
        """Seat ``seat``'s mean return per profile (NaN where nothing was played)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self._sum[..., seat] / self._count, dtype=np.float64)

    def sem(self, seat: int = 0) -> FloatArray:
        """The standard error of :meth:`mean` (NaN with fewer than two matches)."""
        n = self._count.astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            m = self._sum[..., seat] / n
            var = (self._sq[..., seat] - n * m * m) / (n - 1)
            out = np.sqrt(np.maximum(var, 0.0) / n)
        out[n < 2] = np.nan
        return np.asarray(out, dtype=np.float64)

    def tables(self) -> list[FloatArray]:
        """One mean-payoff tensor per seat (the shape :meth:`PayoffTable.tables` has)."""
        return [self.mean(s) for s in range(self.game.num_players)]

    def win_rates(self, seat: int = 0) -> FloatArray:
        """Seat ``seat``'s share of the games it won per profile (a tie among the best
        returns splits the win)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.asarray(self._wins[..., seat] / self._count, dtype=np.float64)
