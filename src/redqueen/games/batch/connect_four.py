"""Connect four for B plays at once, with exactly the rules and ids of ``connect_four``.

Each play is two int64 bitboards (one per seat) laid out as in the scalar engine: column
``c``, row ``r`` is bit ``c * (rows + 1) + r``, with a spare bit on top of each column so
lines never wrap. Dropping a disc is ``(occupied + bottom[c]) & column[c]`` (the carry
stops at the lowest empty cell), a column is legal while its top cell is empty, and the
win test shifts and masks the mover's bitboard in four directions, all as whole-array
NumPy operations with no Python loop over plays. The grid must fit in 63 bits:
``columns * (rows + 1) <= 63`` (the standard 6x7 grid uses 49).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.batch.bitboard import BitboardBatch


class ConnectFourBatch(BitboardBatch):
    """``batch_size`` plays of connect four advanced together."""

    def __init__(
        self, batch_size: int, *, rows: int = 6, columns: int = 7, x_in_row: int = 4
    ) -> None:
        super().__init__(batch_size)
        if min(rows, columns, x_in_row) < 1 or x_in_row > max(rows, columns):
            raise InvalidParameterError(
                f"connect_four needs rows, columns, x_in_row >= 1 and x_in_row <= "
                f"max(rows, columns); got rows={rows}, columns={columns}, x_in_row={x_in_row}"
            )
        if columns * (rows + 1) > 63:
            raise InvalidParameterError(
                f"the connect_four batch engine needs columns * (rows + 1) <= 63 to fit a "
                f"grid in int64; got {columns} * {rows + 1} = {columns * (rows + 1)}"
            )
        self.rows = rows
        self.columns = columns
        self.x_in_row = x_in_row
        self.num_actions = columns
        height = rows + 1
        col = np.arange(columns, dtype=np.int64)
        self._bottom = np.int64(1) << (col * height)
        self._column_masks = ((np.int64(1) << rows) - 1) << (col * height)
        self._gate = np.int64(1) << (col * height + rows - 1)  # a column's top cell
        self._full = int(np.bitwise_or.reduce(self._column_masks))
        self._shifts = (1, height, height - 1, height + 1)
        self._line_table = np.zeros(0, dtype=np.bool_)
        self._line_shifts = np.array(self._shifts, dtype=np.int64)
        self._line_length = x_in_row
        self.reset()

    def _placed(self, actions: NDArray[np.int64], occupied: NDArray[np.int64]) -> NDArray[np.int64]:
        # The carry of occupied + bottom stops at the lowest empty cell of the column.
        placed: NDArray[np.int64] = (occupied + self._bottom[actions]) & self._column_masks[actions]
        return placed

    def _has_line(self, discs: NDArray[np.int64]) -> NDArray[np.bool_]:
        k = self.x_in_row
        found = np.zeros_like(discs)
        for shift in self._shifts:
            if k == 4:
                pairs = discs & (discs >> shift)
                found |= pairs & (pairs >> (2 * shift))
            else:
                run = discs.copy()
                for i in range(1, k):
                    run &= discs >> (i * shift)
                found |= run
        return found != 0
