"""Policy-Space Response Oracles (PSRO) with exact tabular best responses.

Lanctot, Zambaldi, Gruslys, Lazaridou, Tuyls, Pérolat, Silver & Graepel (2017), "A
Unified Game-Theoretic Approach to Multiagent Reinforcement Learning", NeurIPS
(arXiv:1711.00832), Algorithm 1; it generalises the double oracle of McMahan, Gordon &
Blum (2003), "Planning in the Presence of Cost Functions Controlled by an Adversary".

PSRO grows a population of policies per seat. Each iteration:

1. the *meta-game* is the normal-form game whose strategies are the members and whose
   payoffs are their expected returns against each other
   (:class:`~redqueen.learn.population.PayoffTable`, exact on the compiled tree; only
   profiles with a new member are evaluated);
2. a *meta-solver* picks a meta-strategy per seat, a distribution over its members:
   ``"uniform"`` (every member equally: with best responses this is fictitious play,
   whose average :mod:`~redqueen.learn.fictitious_play` updates incrementally), ``"nash"`` (a Nash
   equilibrium of the zero-sum meta-game by linear programming: the double oracle),
   ``"prd"`` (projected replicator dynamics, the paper's own meta-solver, averaged over
   its trajectory as OpenSpiel does) or ``"alpha_rank"`` (each seat's α-Rank mass,
   Muller et al. 2020, "A Generalized Training Approach for Multiagent Learning");
3. the *oracle* adds, for each seat, a best response to the other seats' meta-strategy
   mixtures. Here it is the exact one (:func:`~redqueen.solve.responses.best_response`), so the
   new member is the best pure policy there is.

A meta-strategy is a distribution over behaviour policies; the policy it stands for is
their mixture, computed with each member's own reach probabilities
(:func:`~redqueen.learn.population.mixture_arrays`), not by averaging their action
probabilities. Its exploitability is measured exactly at every iteration, with the same
best responses that become the next members. With the Nash meta-solver and exact best
responses PSRO is the double oracle: while the mixture is exploitable, some seat's best
response is a pure policy not yet in the population, so a finite game reaches an exact
equilibrium after finitely many iterations.

With a :class:`~redqueen.store.run_store.RunStore` the run logs ``exploitability`` and
``population_size`` (``step``: the iteration) as it goes, saves each member with
``TabularPolicy.save`` under ``RUN_DIR/psro/members/``, and keeps the members' lineage,
the curve, the meta-game payoffs and the meta-strategy under the run's meta key
``psro``. Calling :func:`psro` again on the same run resumes after the last finished
iteration (``iterations`` may be raised to continue a finished run) and gives what one
uninterrupted run would.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import Game
from redqueen.learn.population import (
    CurvePoint,
    Member,
    PayoffTable,
    Population,
    bind_run,
    check_two_player_zero_sum,
    initial_population,
    load_checkpoint,
    nash_weights,
    population_profile,
    pure_policy_arrays,
    save_checkpoint,
)
from redqueen.solve.alpharank import alpha_rank
from redqueen.solve.dynamics import projected_replicator_dynamics
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import best_response_arrays, expected_returns_arrays
from redqueen.solve.tree import GameTree, compile_game

if TYPE_CHECKING:  # the store is a layer to the right: a run is handed one
    from redqueen.store.run_store import RunStore

FloatArray = NDArray[np.float64]

META_SOLVERS = ("uniform", "nash", "prd", "alpha_rank")
"""The meta-solvers :func:`psro` knows."""

ALGORITHM = "psro"


@dataclass(frozen=True)
class PSROConfig:
    """PSRO's hyperparameters (the game is an argument of :func:`psro`)."""

    iterations: int = 20
    """Iterations to run; each adds one best response per seat, so the population ends
    with ``iterations + 1`` members per seat (the first is the uniform policy)."""
    meta_solver: Literal["uniform", "nash", "prd", "alpha_rank"] = "nash"
    """How a meta-strategy is chosen from the meta-game (one of :data:`META_SOLVERS`)."""
    prd_steps: int = 10_000
    """Projected replicator dynamics: Euler steps per meta-game solve."""
    prd_dt: float = 0.01
    """Projected replicator dynamics: step size."""
    prd_gamma: float = 1e-6
    """Projected replicator dynamics: exploration; no share falls below ``gamma / n``
    (OpenSpiel's ``prd_gamma`` times the number of members)."""
    prd_average_last: int | None = None
    """Projected replicator dynamics: the meta-strategy is the average of the last this
    many states of the trajectory (None: all ``prd_steps``, OpenSpiel's default)."""
    alpha_rank_alpha: float = 100.0
    """α-Rank: selection intensity."""
    alpha_rank_population_size: int = 50
    """α-Rank: individuals per population in its evolutionary model."""

    def __post_init__(self) -> None:
        _positive_int("iterations", self.iterations, allow_zero=True)
        if self.meta_solver not in META_SOLVERS:
            raise UnknownNameError("PSRO meta-solver", str(self.meta_solver), META_SOLVERS)
        _positive_int("prd_steps", self.prd_steps)
        if self.prd_average_last is not None:
            _positive_int("prd_average_last", self.prd_average_last)
        for name in ("prd_dt", "prd_gamma", "alpha_rank_alpha"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise InvalidParameterError(
                    f"PSROConfig.{name} must be a non-negative number; got {value!r}"
                )
        _positive_int("alpha_rank_population_size", self.alpha_rank_population_size)


def _positive_int(name: str, value: Any, *, allow_zero: bool = False) -> None:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        what = "a non-negative" if allow_zero else "a positive"
        raise InvalidParameterError(f"{name} must be {what} integer; got {value!r}")


@dataclass(frozen=True, eq=False)
class PSROResult:
    """What :func:`psro` returns."""

    game: str
    config: PSROConfig
    population: Population
    """Each seat's members, with their lineage (a best response's parents are the
    opponents in the support of the meta-strategy it answered)."""
    meta_strategy: list[FloatArray]
    """Per seat, the final distribution over its members."""
    policy: TabularPolicy
    """The final meta-strategy mixture as one behaviour policy for every seat."""
    payoffs: list[FloatArray]
    """The final meta-game: per seat, its payoff for each profile of members."""
    curve: list[CurvePoint]
    """``(iteration, exploitability of the meta-strategy mixture, members per seat)``,
    from iteration 0 (the initial population)."""
    evaluations: int
    """Meta-game profiles evaluated by this call (a resumed run re-evaluates its
    population once)."""
    wall_time: float

    @property
    def final(self) -> float:
        """The exploitability of the final meta-strategy mixture."""
        return self.curve[-1].exploitability

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "algorithm": ALGORITHM,
            "config": asdict(self.config),
            "final": self.final,
            "curve": [list(p) for p in self.curve],
            "meta_strategy": [m.tolist() for m in self.meta_strategy],
            "payoffs": [t.tolist() for t in self.payoffs],
            "members": [{"seat": seat, **m.lineage()} for seat, m in self.population],
            "evaluations": self.evaluations,
            "wall_time": self.wall_time,
        }


# ---- meta-solvers -----------------------------------------------------------------------


def meta_strategies(tables: Sequence[FloatArray], config: PSROConfig) -> list[FloatArray]:
    """Each seat's distribution over its members, by ``config.meta_solver``, for the
    two-seat meta-game ``tables = [A, B]`` (``A[i, j]``, ``B[i, j]``: the seats' payoffs
    when seat 0 plays member ``i`` and seat 1 member ``j``)."""
    a, b = (np.asarray(t, dtype=np.float64) for t in tables)
    solver = config.meta_solver
    if solver == "uniform":
        return [np.full(n, 1.0 / n) for n in a.shape]
    if solver == "nash":
        return nash_weights([a, b])
    if solver == "prd":
        xs, ys = projected_replicator_dynamics(
            a, steps=config.prd_steps, dt=config.prd_dt, gamma=config.prd_gamma, B=b
        )
        k = config.prd_average_last or config.prd_steps
        k = min(k, config.prd_steps)  # row 0 is the initial state, not a step
        return [_normalised(xs[-k:].mean(axis=0)), _normalised(ys[-k:].mean(axis=0))]
    result = alpha_rank(
        [a, b], alpha=config.alpha_rank_alpha, population_size=config.alpha_rank_population_size
    )
    return [_normalised(m) for m in result.strategy_mass]


def _normalised(p: FloatArray) -> FloatArray:
    p = np.maximum(np.asarray(p, dtype=np.float64), 0.0)
    return np.asarray(p / p.sum(), dtype=np.float64)


# ---- the loop ---------------------------------------------------------------------------


def psro(
    game: Game | GameTree,
    config: PSROConfig | None = None,
    store: RunStore | None = None,
    callback: Callable[[CurvePoint], bool | None] | None = None,
    initial_policy: TabularPolicy | None = None,
    oracle_backend: Literal["inline", "ray"] = "inline",
) -> PSROResult:
    """Run PSRO with exact best responses on a two-player zero-sum ``game``.

    Each seat's population starts with its part of ``initial_policy`` (default: uniform
    at every information state); a resumed run keeps the members it saved.

    ``oracle_backend="ray"`` computes the seats' best responses as Ray tasks
    (:func:`redqueen.play.ray_runner.map_ray`); the results are the same.

    ``callback(point)`` is called after each iteration's exploitability is known (not for
    iterations a resumed run had already finished) and may return True to stop. With a
    ``store`` the run is logged, checkpointed each iteration and resumed (module
    docstring).
    """
    start = time.perf_counter()
    config = config or PSROConfig()
    if oracle_backend not in ("inline", "ray"):
        raise UnknownNameError("oracle backend", str(oracle_backend), ("inline", "ray"))
    tree = compile_game(game)
    check_two_player_zero_sum(tree, "PSRO")
    source = game if isinstance(game, Game) else None

    checkpoint = None
    if store is not None:
        bind_run(store, ALGORITHM, tree, config)
        checkpoint = load_checkpoint(store, ALGORITHM, tree.num_players)
    if checkpoint is not None:
        population, curve = checkpoint.population, checkpoint.curve
    else:
        population, curve = initial_population(tree, initial_policy), []
    table = PayoffTable(tree, population)

    iteration = population.size(0) - 1
    while True:
        table.update()
        meta = meta_strategies(table.tables(), config)
        profile = population_profile(tree, [table.member_arrays(s) for s in range(2)], meta)
        if oracle_backend == "ray":
            from redqueen.play.ray_runner import map_ray

            responses = map_ray(best_response_arrays, [(tree, profile, seat) for seat in range(2)])
        else:
            responses = [best_response_arrays(tree, profile, seat) for seat in range(2)]
        if not curve or curve[-1].iteration < iteration:
            on_policy = expected_returns_arrays(tree, profile)
            nash_conv = sum(value for _, value in responses) - float(on_policy.sum())
            curve.append(CurvePoint(iteration, nash_conv / 2, population.size(0)))
            if store is not None:
                save_checkpoint(
                    store,
                    ALGORITHM,
                    population,
                    curve,
                    source,
                    meta_strategy=[m.tolist() for m in meta],
                    payoffs=[t.tolist() for t in table.tables()],
                )
            if callback is not None and callback(curve[-1]):
                break
        if iteration >= config.iterations:
            break
        iteration += 1
        answered = [
            tuple(m.id for m, p in zip(population.members(s), meta[s], strict=True) if p > 0)
            for s in range(2)
        ]
        for seat, (choice, value) in enumerate(responses):
            parents = answered[1 - seat]
            br = pure_policy_arrays(tree, choice, seat)
            population.add(
                seat,
                Member(
                    id=f"p{seat}-{iteration}",
                    strategy=TabularPolicy.from_arrays(tree, br, players=[seat]),
                    parents=parents,
                    iteration=iteration,
                    metadata={"kind": "exact_best_response", "value": value},
                ),
            )

    return PSROResult(
        game=tree.game_id,
        config=config,
        population=population,
        meta_strategy=meta,
        policy=TabularPolicy.from_arrays(tree, profile),
        payoffs=table.tables(),
        curve=curve,
        evaluations=table.evaluations,
        wall_time=time.perf_counter() - start,
    )
