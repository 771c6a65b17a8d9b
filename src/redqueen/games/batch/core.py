"""The batch-engine contract: B plays of one game advanced together with NumPy.

A batch engine follows exactly the rules of the scalar game it mirrors (tests replay the
same action sequences through both). Chance is explicit here too: a game whose
``current_player`` is :data:`~redqueen.games.core.CHANCE` takes its outcome through
``step`` like any action, with probabilities from ``chance_probs``; this is what lets a
test drive both engines with the same sequence. ``random_playouts`` samples those
outcomes (and uniform legal actions) from a Generator.

``random_playouts`` is the hot loop of Monte Carlo evaluation and of the rollout
benchmark, so an engine may give it a compiled step: ``_step_random(u)`` draws each
play's action from one uniform number exactly as :func:`sample_actions` does, and steps,
in one numba kernel over the batch instead of a dozen NumPy passes. The draws, the
results and the engine's state afterwards are the NumPy path's, bit for bit (tests
compare the two); only the speed differs.

Action ids are the scalar game's ids; masks have ``num_actions`` columns, enough for both
the players' actions and the chance outcomes.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
from numpy.typing import NDArray

from redqueen.games.core import CHANCE, TERMINAL


class BatchGame(ABC):
    """``batch_size`` independent plays of one game, stepped in lockstep."""

    num_players: int
    num_actions: int
    """Columns of the masks: max(player actions, chance outcomes)."""

    def __init__(self, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size

    @abstractmethod
    def reset(self) -> None:
        """Start every play of the batch again from the initial state."""

    @abstractmethod
    def current_player(self) -> NDArray[np.int64]:
        """(B,) seat to move, or CHANCE, or TERMINAL for finished plays."""

    @abstractmethod
    def legal_mask(self) -> NDArray[np.bool_]:
        """(B, num_actions): legal actions, or possible chance outcomes; all False once over."""

    @abstractmethod
    def chance_probs(self) -> NDArray[np.float64]:
        """(B, num_actions): chance-outcome probabilities; zero rows where not chance."""

    @abstractmethod
    def step(self, actions: NDArray[np.integer]) -> None:
        """Apply one action (or chance outcome) per play; entries of finished plays are
        ignored. An action outside the mask of an unfinished play raises ValueError."""

    @abstractmethod
    def returns(self) -> NDArray[np.float64]:
        """(B, num_players) returns; final once a play is over."""

    @property
    def done(self) -> NDArray[np.bool_]:
        return self.current_player() == TERMINAL

    def _check_actions(self, actions: NDArray[np.integer], mask: NDArray[np.bool_]) -> None:
        live = ~self.done
        a = np.asarray(actions)
        if a.shape != (self.batch_size,):
            raise ValueError(f"actions must have shape ({self.batch_size},), got {a.shape}")
        in_range = (a >= 0) & (a < self.num_actions)
        ok = in_range & mask[np.arange(self.batch_size), np.clip(a, 0, self.num_actions - 1)]
        bad = live & ~ok
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            legal = np.flatnonzero(mask[i]).tolist()
            raise ValueError(f"illegal action {int(a[i])} in play {i}; legal there: {legal}")

    def _step_random(self, u: NDArray[np.float64]) -> bool:
        """Step every play with the action :func:`sample_actions` draws from the uniform
        numbers ``u`` (one per play); return whether every play is now over. Engines with
        a compiled kernel override this with one that gives the same results."""
        self.step(actions_from_uniforms(self, u))
        return bool(self.done.all())


def sample_actions(engine: BatchGame, rng: np.random.Generator) -> NDArray[np.int64]:
    """One action per play: a chance outcome by its probability, else uniform over legal."""
    return actions_from_uniforms(engine, rng.random(engine.batch_size))


def actions_from_uniforms(engine: BatchGame, u: NDArray[np.float64]) -> NDArray[np.int64]:
    """The actions :func:`sample_actions` draws from the uniform numbers ``u`` in [0, 1).

    Inverse-CDF sampling with the running sum kept one column at a time: masks are
    narrow (a handful of actions) and batches wide, so this beats ``np.cumsum`` on the
    (B, A) array several times over. The compiled kernels repeat these float operations
    in the same order, so they pick the same actions."""
    mask = engine.legal_mask()
    chance = engine.current_player() == CHANCE
    weights: NDArray[np.float64]
    if chance.any():
        weights = np.where(chance[:, None], engine.chance_probs(), mask)
    else:
        weights = mask.astype(np.float64)
    columns = [weights[:, j] for j in range(engine.num_actions)]
    running = np.zeros(engine.batch_size)
    sums = []
    for column in columns:
        running = running + column
        sums.append(running)
    threshold = u * running
    actions = np.zeros(engine.batch_size, dtype=np.int64)
    for partial in sums:
        actions += partial <= threshold
    return np.minimum(actions, engine.num_actions - 1)


def random_playouts(engine: BatchGame, rng: np.random.Generator) -> NDArray[np.float64]:
    """Reset ``engine``, play every game to the end at random; return (B, players) returns."""
    engine.reset()
    u = np.empty(engine.batch_size)  # refilled in place: the same draws as rng.random(B)
    over = bool(engine.done.all())
    while not over:
        over = engine._step_random(rng.random(out=u))
    return engine.returns()
