"""The shared engine of the two-player poker batch games (Kuhn, Leduc).

Each game compiles its rules once into tables indexed by a small state number (the
public node and the set of cards dealt): who moves, the legal mask (stored transposed,
the layout the sampler reads fastest), the chance probabilities, the next state for each
action, where a dealt card is written, and the stake at a fold or a showdown. A step is
then a handful of gathers over the batch; only the showdown, which compares the cards
kept per play, differs between games.

Random playouts take a compiled path: one numba kernel walks the same tables, sampling
and applying every play's action per step (the same draws and the same state as
``step`` after ``sample_actions``), with the running sums of the sampling weights read
from one more table instead of added up per play.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from numpy.typing import NDArray

from redqueen.games.batch.core import BatchGame
from redqueen.games.core import CHANCE, TERMINAL

_KERNEL: Any = None


class TablePokerBatch(BatchGame):
    """Two-player poker driven by compiled tables; subclasses give the tables, the number
    of card slots and the showdown.

    Arrays returned by ``current_player``, ``done`` and ``legal_mask`` are read-only views
    valid until the next ``step`` or ``reset``.
    """

    num_players = 2
    card_slots: ClassVar[int]
    """Cards kept per play (the players' and any public cards)."""
    tables: ClassVar[dict[str, Any]]

    def __init__(self, batch_size: int) -> None:
        super().__init__(batch_size)
        t = self.tables
        self._player_table: NDArray[np.int64] = t["player"]
        self._next: NDArray[np.int64] = t["next"]
        self._mask_t: NDArray[np.bool_] = t["mask_t"]
        self._chance_scale: NDArray[np.float64] = t["chance_scale"]
        self._fold_return0: NDArray[np.float64] = t["fold_return0"]
        self._stake: NDArray[np.float64] = t["showdown_stake"]
        self._rows = np.arange(batch_size)
        self._slot_start = t["slot"] * batch_size  # where each state's dealt card is written
        self._cumulative = _cumulative_weights(self._player_table, self._mask_t, self._chance_scale)
        self.reset()

    def reset(self) -> None:
        b = self.batch_size
        self._state = np.zeros(b, np.int64)  # state 0: the first deal, no card dealt
        # One row per card slot, and a scratch row for steps that deal nothing; -1 until
        # dealt.
        self._cards = np.full((self.card_slots + 1) * b, -1, np.int64)
        self._forget()

    def _forget(self) -> None:
        self._player: NDArray[np.int64] | None = None
        self._done: NDArray[np.bool_] | None = None
        self._mask: NDArray[np.bool_] | None = None

    def current_player(self) -> NDArray[np.int64]:
        if self._player is None:
            self._player = np.take(self._player_table, self._state)
            self._player.flags.writeable = False
        return self._player

    @property
    def done(self) -> NDArray[np.bool_]:
        if self._done is None:
            self._done = self.current_player() == TERMINAL
            self._done.flags.writeable = False
        return self._done

    def legal_mask(self) -> NDArray[np.bool_]:
        if self._mask is None:
            self._mask = np.take(self._mask_t, self._state, axis=1).T
            self._mask.flags.writeable = False
        return self._mask

    def chance_probs(self) -> NDArray[np.float64]:
        # Chance is uniform over the cards left: the mask times 1 / (cards left).
        scale = np.take(self._chance_scale, self._state)[:, None]
        return np.multiply(self.legal_mask(), scale, dtype=np.float64)

    def cards(self) -> NDArray[np.int64]:
        """(B, card_slots): each play's cards in slot order; -1 until dealt."""
        b = self.batch_size
        return self._cards[: self.card_slots * b].reshape(self.card_slots, -1).T.copy()

    def step(self, actions: NDArray[np.integer]) -> None:
        a = np.asarray(actions)
        if a.shape != (self.batch_size,) or a.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be integers of shape ({self.batch_size},), got {a.dtype} {a.shape}"
            )
        n = self.num_actions
        a = a.astype(np.int64, copy=False)
        if a.view(np.uint64).max() >= n:  # out of range: only finished plays may be
            self._check_actions(a, self.legal_mask())
            a = np.clip(a, 0, n - 1)
        state = self._state
        after = np.take(self._next, state * n + a)
        if after.min() < 0:
            self._check_actions(a, self.legal_mask())  # raises, naming the legal actions
        self._cards[np.take(self._slot_start, state) + self._rows] = a
        self._state = after
        self._forget()

    def _step_random(self, u: NDArray[np.float64]) -> bool:
        live: int = _kernel()(
            u,
            self._state,
            self._cards,
            self._player_table,
            self._next,
            self._cumulative,
            self._slot_start,
        )
        self._forget()
        if live < 0:  # cannot happen: a draw below the total weight picks a legal action
            raise RuntimeError("the compiled random step drew an illegal action")
        return live == 0

    def _showdown_sign(self, card_rows: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        """+1 where player 0's hand wins the showdown, -1 where player 1's, 0 for a tie."""
        raise NotImplementedError

    def returns(self) -> NDArray[np.float64]:
        b = self.batch_size
        rows = [self._cards[k * b : (k + 1) * b] for k in range(self.card_slots)]
        state = self._state
        r0 = np.take(self._stake, state)
        r0 *= self._showdown_sign(rows)
        r0 += np.take(self._fold_return0, state)  # fold + stake * sign, in place
        out = np.empty((b, 2))
        out[:, 0] = r0
        np.negative(r0, out=out[:, 1])
        return out


def _cumulative_weights(
    player: NDArray[np.int64], mask_t: NDArray[np.bool_], chance_scale: NDArray[np.float64]
) -> NDArray[np.float64]:
    """(states, actions): per state, the running sums of the sampling weights over the
    actions, added in the order and with the values ``actions_from_uniforms`` uses (the
    chance probability at a chance state, 1 for a legal action), so that a kernel reading
    them draws the same actions."""
    weights = np.where((player == CHANCE)[None, :], mask_t * chance_scale[None, :], mask_t)
    running = np.zeros(len(player))
    columns = []
    for column in weights:
        running = running + column
        columns.append(running)
    return np.ascontiguousarray(np.stack(columns, axis=1))


def _kernel() -> Any:
    """The numba-compiled random step (compiled on first use, cached on disk)."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        _KERNEL = numba.njit(cache=True, nogil=True)(_random_step)
    return _KERNEL


def _random_step(
    u: Any, state: Any, cards: Any, player_table: Any, nxt: Any, cumulative: Any, slot_start: Any
) -> int:
    """Sample (as ``actions_from_uniforms``) and apply one action in every play, in place;
    return how many plays go on, or -1 if an action drawn was illegal. A finished play
    has all-zero weights, so it draws the last action id, which leaves its state as it
    is and is written to its scratch card slot, as under ``step``."""
    num_actions = cumulative.shape[1]
    last = num_actions - 1
    live = 0
    legal = True
    for i in range(u.shape[0]):
        s = state[i]
        threshold = u[i] * cumulative[s, last]
        a = 0
        for j in range(num_actions):
            a += cumulative[s, j] <= threshold
        a = min(a, last)
        after = nxt[s * num_actions + a]
        legal &= after >= 0
        cards[slot_start[s] + i] = a
        state[i] = after
        live += player_table[after] != TERMINAL
    return live if legal else -1
