"""Tic-tac-toe for B plays at once, with exactly the rules and ids of ``tic_tac_toe``.

Each play is two 9-bit patterns in int64 arrays: the marks of the player to move and the
occupied cells. A step sets one bit per play; whether the mover now has a line is one
lookup per play in a 512-entry table of "this pattern holds a line"; the opponent's marks
become the next mover's by one exclusive-or. So the whole batch advances with a handful
of NumPy operations and no Python loop over plays, which is what makes random playouts
(Monte Carlo evaluation, data generation) tens of times faster than a scalar engine.

Masks are computed as (actions, B) arrays, whose long rows NumPy runs through fastest,
and handed out transposed: the values are the contract's (B, actions) mask.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redqueen.games.batch.core import BatchGame
from redqueen.games.core import TERMINAL
from redqueen.games.tic_tac_toe import LINES, NUM_CELLS

_FULL = (1 << NUM_CELLS) - 1
_LINE_MASKS = np.array([sum(1 << c for c in line) for line in LINES], dtype=np.int64)
_HAS_LINE = ((np.arange(1 << NUM_CELLS)[:, None] & _LINE_MASKS) == _LINE_MASKS).any(axis=1)
"""``_HAS_LINE[marks]``: whether a 9-bit mark pattern holds a winning line."""
_CELL_BITS = np.int64(1) << np.arange(NUM_CELLS, dtype=np.int64)


class TicTacToeBatch(BatchGame):
    """``batch_size`` plays of tic-tac-toe advanced together."""

    num_players = 2
    num_actions = NUM_CELLS

    def __init__(self, batch_size: int) -> None:
        super().__init__(batch_size)
        self.reset()

    def reset(self) -> None:
        b = self.batch_size
        self._mover = np.zeros(b, dtype=np.int64)
        """Marks of the player to move (of the last mover once a play is over)."""
        self._occupied = np.zeros(b, dtype=np.int64)
        self._player = np.zeros(b, dtype=np.int64)
        self._winner = np.full(b, -1, dtype=np.int64)

    def current_player(self) -> NDArray[np.int64]:
        return self._player.copy()

    @property
    def done(self) -> NDArray[np.bool_]:
        return self._player == TERMINAL

    def legal_mask(self) -> NDArray[np.bool_]:
        mask = (self._occupied[None, :] & _CELL_BITS[:, None]) == 0
        mask &= self._player != TERMINAL
        return mask.T

    def chance_probs(self) -> NDArray[np.float64]:
        return np.zeros((self.batch_size, self.num_actions))

    def step(self, actions: NDArray[np.integer]) -> None:
        actions = np.asarray(actions)
        if actions.shape != (self.batch_size,):
            raise ValueError(f"actions must have shape ({self.batch_size},), got {actions.shape}")
        player = self._player
        live = player != TERMINAL
        bits = _CELL_BITS[np.clip(actions, 0, NUM_CELLS - 1)]
        legal = (actions >= 0) & (actions < NUM_CELLS) & ((self._occupied & bits) == 0)
        if not (legal | ~live).all():
            self._check_actions(actions, self.legal_mask())
        bits &= -live.astype(np.int64)
        mine = self._mover | bits
        occupied = self._occupied | bits
        won = live & _HAS_LINE[mine]
        over = won | (occupied == _FULL)
        self._winner = np.where(won, player, self._winner)
        self._player = np.where(live & ~over, player ^ 1, TERMINAL)
        self._mover = np.where(over, mine, mine ^ occupied)
        self._occupied = occupied

    def returns(self) -> NDArray[np.float64]:
        sign = np.where(self._winner == 0, 1.0, np.where(self._winner == 1, -1.0, 0.0))
        return np.stack([sign, -sign], axis=1)
