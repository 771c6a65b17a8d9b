"""Tic-tac-toe for B plays at once, with exactly the rules and ids of ``tic_tac_toe``.

Each play is two 9-bit patterns in int64 arrays: the marks of the player to move and the
occupied cells. A step sets one bit per play; whether the mover now has a line is one
lookup per play in a 512-entry table of "this pattern holds a line"; the opponent's marks
become the next mover's by one exclusive-or. So the whole batch advances with a handful
of NumPy operations and no Python loop over plays, which is what makes random playouts
(Monte Carlo evaluation, data generation) tens of times faster than a scalar engine.

The step, masks and returns are :class:`~redqueen.games.batch.bitboard.BitboardBatch`'s.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redqueen.games.batch.bitboard import BitboardBatch
from redqueen.games.tic_tac_toe import LINES, NUM_CELLS

_FULL = (1 << NUM_CELLS) - 1
_LINE_MASKS = np.array([sum(1 << c for c in line) for line in LINES], dtype=np.int64)
_HAS_LINE = ((np.arange(1 << NUM_CELLS)[:, None] & _LINE_MASKS) == _LINE_MASKS).any(axis=1)
"""``_HAS_LINE[marks]``: whether a 9-bit mark pattern holds a winning line."""
_CELL_BITS = np.int64(1) << np.arange(NUM_CELLS, dtype=np.int64)


class TicTacToeBatch(BitboardBatch):
    """``batch_size`` plays of tic-tac-toe advanced together."""

    num_actions = NUM_CELLS
    _gate = _CELL_BITS
    _full = _FULL
    _bottom = _CELL_BITS
    _column_masks = _CELL_BITS
    _line_table = _HAS_LINE
    _line_shifts = np.zeros(0, dtype=np.int64)
    _line_length = 3

    def __init__(self, batch_size: int) -> None:
        super().__init__(batch_size)
        self.reset()

    def _placed(self, actions: NDArray[np.int64], occupied: NDArray[np.int64]) -> NDArray[np.int64]:
        return _CELL_BITS[actions]

    def _has_line(self, marks: NDArray[np.int64]) -> NDArray[np.bool_]:
        return _HAS_LINE[marks]
