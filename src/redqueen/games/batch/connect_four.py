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
from redqueen.games.batch.core import BatchGame
from redqueen.games.core import TERMINAL


class ConnectFourBatch(BatchGame):
    """``batch_size`` plays of connect four advanced together."""

    num_players = 2

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
        self._top = np.int64(1) << (col * height + rows - 1)
        self._all_full = int(np.bitwise_or.reduce(self._column_masks))
        self._shifts = (1, height, height - 1, height + 1)
        self.reset()

    def reset(self) -> None:
        b = self.batch_size
        self._mover = np.zeros(b, dtype=np.int64)
        """Discs of the player to move (of the last mover once a play is over)."""
        self._occupied = np.zeros(b, dtype=np.int64)
        self._player = np.zeros(b, dtype=np.int64)
        self._winner = np.full(b, -1, dtype=np.int64)

    def current_player(self) -> NDArray[np.int64]:
        return self._player.copy()

    @property
    def done(self) -> NDArray[np.bool_]:
        return self._player == TERMINAL

    def legal_mask(self) -> NDArray[np.bool_]:
        mask = (self._occupied[None, :] & self._top[:, None]) == 0
        mask &= self._player != TERMINAL
        return mask.T

    def chance_probs(self) -> NDArray[np.float64]:
        return np.zeros((self.batch_size, self.num_actions))

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

    def step(self, actions: NDArray[np.integer]) -> None:
        actions = np.asarray(actions)
        if actions.shape != (self.batch_size,):
            raise ValueError(f"actions must have shape ({self.batch_size},), got {actions.shape}")
        player = self._player
        live = player != TERMINAL
        column = np.clip(actions, 0, self.columns - 1)
        occupied = self._occupied
        legal = (actions >= 0) & (actions < self.columns) & ((occupied & self._top[column]) == 0)
        if not (legal | ~live).all():
            self._check_actions(actions, self.legal_mask())
        new_disc = (occupied + self._bottom[column]) & self._column_masks[column]
        new_disc &= -live.astype(np.int64)
        mine = self._mover | new_disc
        occupied = occupied | new_disc
        won = live & self._has_line(mine)
        over = won | (occupied == self._all_full)
        self._winner = np.where(won, player, self._winner)
        self._player = np.where(live & ~over, player ^ 1, TERMINAL)
        self._mover = np.where(over, mine, mine ^ occupied)
        self._occupied = occupied

    def returns(self) -> NDArray[np.float64]:
        sign = np.where(self._winner == 0, 1.0, np.where(self._winner == 1, -1.0, 0.0))
        return np.stack([sign, -sign], axis=1)
