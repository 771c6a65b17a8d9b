"""The shared engine of the two-player board batch games (tic-tac-toe, connect four).

Each play is two int64 bit patterns: the marks of the player to move and the occupied
cells. A move sets one bit; whether the mover now holds a line is a game-specific test
on its pattern; the opponent's marks become the next mover's by one exclusive-or. A game
gives three things: ``_gate[a]``, the bit that must be empty for action ``a`` to be
legal; ``_placed``, the bit action ``a`` sets; and ``_has_line``. Everything else (the
bookkeeping, masks, returns, the step itself) is here, once.

Masks are computed as (actions, B) arrays, whose long rows NumPy runs through fastest,
and handed out transposed: the values are the contract's (B, actions) mask.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redqueen.games.batch.core import BatchGame
from redqueen.games.core import TERMINAL


class BitboardBatch(BatchGame):
    """Two-player games of placing marks until a line or a full board; +1/-1/0 returns."""

    num_players = 2
    _gate: NDArray[np.int64]
    """Per action: the bit that must be empty for it to be legal."""
    _full: int
    """The occupied pattern of a full board."""

    def _placed(self, actions: NDArray[np.int64], occupied: NDArray[np.int64]) -> NDArray[np.int64]:
        """The bit each (legal, in-range) action sets, given the occupied cells."""
        raise NotImplementedError

    def _has_line(self, marks: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether each mark pattern holds a winning line."""
        raise NotImplementedError

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
        mask = (self._occupied[None, :] & self._gate[:, None]) == 0
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
        a = np.clip(actions, 0, self.num_actions - 1).astype(np.int64)
        occupied = self._occupied
        legal = (actions >= 0) & (actions < self.num_actions) & ((occupied & self._gate[a]) == 0)
        if not (legal | ~live).all():
            self._check_actions(actions, self.legal_mask())
        bits = self._placed(a, occupied) & -live.astype(np.int64)
        mine = self._mover | bits
        occupied = occupied | bits
        won = live & self._has_line(mine)
        over = won | (occupied == self._full)
        self._winner = np.where(won, player, self._winner)
        self._player = np.where(live & ~over, player ^ 1, TERMINAL)
        self._mover = np.where(over, mine, mine ^ occupied)
        self._occupied = occupied

    def returns(self) -> NDArray[np.float64]:
        sign = np.where(self._winner == 0, 1.0, np.where(self._winner == 1, -1.0, 0.0))
        return np.stack([sign, -sign], axis=1)
