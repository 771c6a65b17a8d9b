"""Extensive-form fictitious play (XFP) with exact best responses.

Heinrich, Lanctot & Silver (2015), "Fictitious Self-Play in Extensive-Form Games", ICML,
Algorithm 1 (XFP). Fictitious play (Brown 1951, "Iterative solution of games by
fictitious play") has each player best-respond to the *average* of the others' past
play; in two-player zero-sum games the average policies converge to a Nash equilibrium
(Robinson 1951, "An iterative method of solving a game"). XFP does this in the
extensive form, with behaviour policies, without ever enumerating pure strategies:

1. every seat computes a best response ``beta_{t+1}`` to the others' average policies
   ``pi_t`` (here the exact one, :func:`~redqueen.solve.responses.best_response`);
2. each average takes a step ``alpha_{t+1} = 1 / (t + 2)`` towards its best response,
   *in realisation weights*: at each information state ``I``

       pi_{t+1}(I) = pi_t(I) + alpha x_beta(I) (beta(I) - pi_t(I))
                                 / ((1 - alpha) x_pi(I) + alpha x_beta(I)),

   where ``x_pi(I)`` and ``x_beta(I)`` are the player's own reach probabilities of ``I``
   under the average and the best response (Heinrich et al., Theorem 7). This is the
   reach-weighted mixture of ``pi_t`` and ``beta_{t+1}`` with weights
   ``(1 - alpha, alpha)`` (:func:`~redqueen.learn.population.mixture_arrays`), so the
   average after ``t`` iterations plays exactly like the uniform mixture of the initial
   uniform policy and the ``t`` best responses: XFP is PSRO with the uniform meta-solver
   (and the tests check that the two give the same curve).

The exploitability of the average is measured exactly at every iteration with the same
best responses that drive the next step. On Kuhn poker it falls as about
``0.23 / sqrt(t)`` (fictitious play's worst case is slower: Daskalakis & Pan 2014, "A
Counter-Example to Karlin's Strong Conjecture for Fictitious Play"). The first
iterations match OpenSpiel's ``XFPSolver`` exactly; later ones can differ from it (and
from PSRO with the uniform meta-solver) where two actions tie for the best response and
rounding decides which one is taken: the two libraries' sums round differently.

With a :class:`~redqueen.store.run_store.RunStore` the run logs ``exploitability`` and
``population_size`` (the best responses so far plus the initial policy) per iteration,
keeps the best responses under ``RUN_DIR/xfp/members/`` and the average policy as
``RUN_DIR/xfp/average-<iteration>.json``, and resumes after the last finished iteration
when called again on the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.core import Game
from redqueen.learn.population import (
    CurvePoint,
    Member,
    Population,
    bind_run,
    check_two_player_zero_sum,
    initial_population,
    load_checkpoint,
    mixture_arrays,
    pure_policy_arrays,
    save_checkpoint,
)
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import best_response_arrays, expected_returns_arrays
from redqueen.solve.tree import GameTree, compile_game

if TYPE_CHECKING:  # the store is a layer to the right: a run is handed one
    from redqueen.store.run_store import RunStore

FloatArray = NDArray[np.float64]

ALGORITHM = "xfp"


@dataclass(frozen=True)
class XFPConfig:
    """XFP's hyperparameters (the game is an argument of :func:`fictitious_play`).

    The step size is fixed by the method: ``1 / (t + 2)`` at iteration ``t + 1``, which
    makes the average the uniform mixture of everything played so far."""

    iterations: int = 100
    """Best-response steps to take (each seat gets one per iteration)."""

    def __post_init__(self) -> None:
        n = self.iterations
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise InvalidParameterError(
                f"XFPConfig.iterations must be a non-negative integer; got {n!r}"
            )


@dataclass(frozen=True, eq=False)
class XFPResult:
    """What :func:`fictitious_play` returns (the same shape as
    :class:`~redqueen.learn.psro.PSROResult` where they overlap)."""

    game: str
    config: XFPConfig
    population: Population
    """Per seat: the initial uniform policy and the best responses, in order."""
    policy: TabularPolicy
    """The average policy of every seat."""
    curve: list[CurvePoint]
    """``(iteration, exploitability of the average policy, policies averaged per
    seat)``, from iteration 0 (the uniform policy)."""
    wall_time: float

    @property
    def final(self) -> float:
        """The exploitability of the final average policy."""
        return self.curve[-1].exploitability

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "algorithm": ALGORITHM,
            "config": asdict(self.config),
            "final": self.final,
            "curve": [list(p) for p in self.curve],
            "members": [{"seat": seat, **m.lineage()} for seat, m in self.population],
            "wall_time": self.wall_time,
        }


def fictitious_play(
    game: Game | GameTree,
    config: XFPConfig | None = None,
    store: RunStore | None = None,
    callback: Callable[[CurvePoint], bool | None] | None = None,
    initial_policy: TabularPolicy | None = None,
) -> XFPResult:
    """Run XFP with exact best responses on a two-player zero-sum ``game``, starting
    from ``initial_policy`` (default: uniform at every information state).

    ``callback(point)`` is called after each iteration's exploitability is known (not for
    iterations a resumed run had already finished) and may return True to stop. With a
    ``store`` the run is logged, checkpointed each iteration and resumed (module
    docstring).
    """
    start = time.perf_counter()
    config = config or XFPConfig()
    tree = compile_game(game)
    check_two_player_zero_sum(tree, "fictitious play")
    source = game if isinstance(game, Game) else None
    seats = range(tree.num_players)

    checkpoint = None
    if store is not None:
        bind_run(store, ALGORITHM, tree, config)
        checkpoint = load_checkpoint(store, ALGORITHM, tree.num_players)
    if checkpoint is not None:
        population, curve = checkpoint.population, checkpoint.curve
        assert store is not None
        average = TabularPolicy.load(store.dir / ALGORITHM / checkpoint.extra["average"])
        average_arrays = average.to_arrays(tree)
    else:
        population, curve = initial_population(tree, initial_policy), []
        average_arrays = tree.uniform_policy()
        for seat in seats:
            block = tree.player_infosets(seat)
            average_arrays[block] = population.latest(seat).policy.to_arrays(tree, [seat])[block]

    iteration = population.size(0) - 1
    while True:
        responses = [best_response_arrays(tree, average_arrays, seat) for seat in seats]
        if not curve or curve[-1].iteration < iteration:
            on_policy = expected_returns_arrays(tree, average_arrays)
            nash_conv = sum(value for _, value in responses) - float(on_policy.sum())
            curve.append(CurvePoint(iteration, nash_conv / 2, population.size(0)))
            if store is not None:
                _save(store, tree, population, curve, average_arrays, source)
            if callback is not None and callback(curve[-1]):
                break
        if iteration >= config.iterations:
            break
        iteration += 1
        # The average each best response answers is the mixture of all the other seat's
        # members so far: they are its parents.
        answered = [tuple(m.id for m in population.members(s)) for s in seats]
        br_profile = tree.uniform_policy()
        for seat, (choice, value) in enumerate(responses):
            block = tree.player_infosets(seat)
            br = pure_policy_arrays(tree, choice, seat)
            br_profile[block] = br[block]
            population.add(
                seat,
                Member(
                    id=f"p{seat}-{iteration}",
                    strategy=TabularPolicy.from_arrays(tree, br, players=[seat]),
                    parents=answered[1 - seat],
                    iteration=iteration,
                    metadata={"kind": "exact_best_response", "value": value},
                ),
            )
        step = 1.0 / (iteration + 1)
        average_arrays = mixture_arrays(tree, [average_arrays, br_profile], [1 - step, step])

    return XFPResult(
        game=tree.game_id,
        config=config,
        population=population,
        policy=TabularPolicy.from_arrays(tree, average_arrays),
        curve=curve,
        wall_time=time.perf_counter() - start,
    )


def _save(
    store: RunStore,
    tree: GameTree,
    population: Population,
    curve: list[CurvePoint],
    average: FloatArray,
    game: Game | None,
) -> None:
    """Checkpoint: the average policy to a new file, then the record that names it; the
    previous average file is removed once the record no longer points to it."""
    directory = store.dir / ALGORITHM
    previous = store.get_meta(ALGORITHM)
    name = f"average-{curve[-1].iteration}.json"
    tmp = TabularPolicy.from_arrays(tree, average).save(directory / f"{name}.tmp", game=game)
    tmp.replace(directory / name)
    save_checkpoint(store, ALGORITHM, population, curve, game, average=name)
    if previous is not None and previous["extra"]["average"] != name:
        (directory / previous["extra"]["average"]).unlink(missing_ok=True)
