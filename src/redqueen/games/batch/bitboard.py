"""The shared engine of the two-player board batch games (tic-tac-toe, connect four).

Each play is two int64 bit patterns: the marks of the player to move and the occupied
cells. A move sets one bit; whether the mover now holds a line is a game-specific test
on its pattern; the opponent's marks become the next mover's by one exclusive-or. A game
gives three things: ``_gate[a]``, the bit that must be empty for action ``a`` to be
legal; ``_placed``, the bit action ``a`` sets; and ``_has_line``. Everything else (the
bookkeeping, masks, returns, the step itself) is here, once.

Masks are computed as (actions, B) arrays, whose long rows NumPy runs through fastest,
and handed out transposed: the values are the contract's (B, actions) mask.

Random playouts take a compiled path: one numba kernel samples and applies every play's
move per step (the same draws and the same state as ``step`` after ``sample_actions``).
For it a game gives its rules as data too: it places a mark as connect four drops a
disc, ``(occupied + _bottom[a]) & _column_masks[a]`` (for tic-tac-toe both are the
cell's bit, which then is set), and tests a line with ``_line_table`` (tic-tac-toe) or by
``_line_shifts`` (connect four). The uniform draw over legal moves is one lookup in a
table over the 2**actions legal patterns, so games wider than 12 actions take the NumPy
step instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.games.batch.core import BatchGame
from redqueen.games.core import TERMINAL

_KERNEL: Any = None
_WINNER_SIGN = np.array([0.0, 1.0, -1.0])
"""``_WINNER_SIGN[winner + 1]``: player 0's return for winner -1 (none), 0 or 1."""
_MAX_PICK_ACTIONS = 12
"""Widest game (in actions) that random playouts run compiled, with a 2**actions table."""
_PICKS: dict[int, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}


def _uniform_picks_for(num_actions: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    if num_actions not in _PICKS:
        _PICKS[num_actions] = _uniform_picks(num_actions)
    return _PICKS[num_actions]


class BitboardBatch(BatchGame):
    """Two-player games of placing marks until a line or a full board; +1/-1/0 returns."""

    num_players = 2
    _gate: NDArray[np.int64]
    """Per action: the bit that must be empty for it to be legal."""
    _full: int
    """The occupied pattern of a full board."""
    _bottom: NDArray[np.int64]
    """Per action: added to the occupied cells, carries up to the bit the move sets."""
    _column_masks: NDArray[np.int64]
    """Per action: the cells the move may set."""
    _line_table: NDArray[np.bool_]
    """``_line_table[marks]``: whether a mark pattern holds a line; empty where lines are
    found by shifts instead."""
    _line_shifts: NDArray[np.int64]
    """Shifts between neighbouring cells of a line, one per direction (with an empty
    ``_line_table``)."""
    _line_length: int
    """Marks in a row that win (with an empty ``_line_table``)."""

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

    def _step_random(self, u: NDArray[np.float64]) -> bool:
        if self.num_actions > _MAX_PICK_ACTIONS:  # a table of 2**num_actions rows
            return super()._step_random(u)
        live: int = _kernel()(
            u,
            self._mover,
            self._occupied,
            self._player,
            self._winner,
            self._gate,
            self._bottom,
            self._column_masks,
            self._full,
            self._line_table,
            self._line_shifts,
            self._line_length,
            *_uniform_picks_for(self.num_actions),
        )
        return live == 0

    def returns(self) -> NDArray[np.float64]:
        sign = _WINNER_SIGN[self._winner + 1]
        out = np.empty((self.batch_size, 2))
        out[:, 0] = sign
        np.negative(sign, out=out[:, 1])
        return out


def _uniform_picks(num_actions: int) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Tables over the 2**num_actions legal patterns (bit ``j``: action ``j`` is legal):
    ``picks[pattern, k]``, the k-th legal action (the last action id where there is none,
    as ``actions_from_uniforms`` gives a finished play), and ``counts[pattern]``, how many
    are legal. With n legal actions of weight 1, ``actions_from_uniforms`` counts the
    running sums 1, 2, ... n at or below ``u * n``, which is the ``floor(u * n)``-th legal
    action: one lookup."""
    size = 1 << num_actions
    picks = np.full((size, num_actions), num_actions - 1, dtype=np.int64)
    counts = np.zeros(size)
    for pattern in range(size):
        legal = [j for j in range(num_actions) if pattern >> j & 1]
        picks[pattern, : len(legal)] = legal
        counts[pattern] = len(legal)
    return picks, counts


def _kernel() -> Any:
    """The numba-compiled random step (compiled on first use, cached on disk)."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        _KERNEL = numba.njit(cache=True, nogil=True)(_random_step)
    return _KERNEL


def _random_step(
    u: Any,
    mover: Any,
    occupied: Any,
    player: Any,
    winner: Any,
    gate: Any,
    bottom: Any,
    column: Any,
    full: int,
    line_table: Any,
    shifts: Any,
    length: int,
    picks: Any,
    counts: Any,
) -> int:
    """Sample (as ``actions_from_uniforms``) and apply one move in every play, in place,
    with the arithmetic of ``step``; return how many plays go on. A finished play changes
    as under ``step``: its mover pattern flips to the other seat's marks unless the board
    is full."""
    num_actions = gate.shape[0]
    remaining = 0
    for i in range(u.shape[0]):
        occ = occupied[i]
        p = player[i]
        if p == TERMINAL:
            if occ != full:
                mover[i] ^= occ
            continue
        pattern = np.int64(0)
        for j in range(num_actions):
            pattern |= np.int64((occ & gate[j]) == 0) << j
        a = picks[pattern, np.int64(u[i] * counts[pattern])]
        bits = (occ + bottom[a]) & column[a]
        mine = mover[i] | bits
        occ |= bits
        if line_table.shape[0] > 0:
            won = line_table[mine]
        else:
            found = np.int64(0)
            for shift in shifts:
                if length == 4:
                    pairs = mine & (mine >> shift)
                    found |= pairs & (pairs >> (2 * shift))
                else:
                    run = mine
                    for k in range(1, length):
                        run &= mine >> (k * shift) if k * shift < 64 else 0
                    found |= run
            won = found != 0
        occupied[i] = occ
        if won:
            winner[i] = p
        if won or occ == full:
            player[i] = TERMINAL
            mover[i] = mine
        else:
            player[i] = p ^ 1
            mover[i] = mine ^ occ
            remaining += 1
    return remaining
