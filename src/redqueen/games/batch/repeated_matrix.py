"""Repeated matrix games for B plays at once, with the rules of ``redqueen.games.repeated``.

The scalar game (:func:`~redqueen.games.repeated.repeated_game`) plays a stage game round
after round: both players choose at once (a simultaneous node), an optional noise chance
node replaces each intended move by a different one with probability ``eps``, and either
the game stops after a fixed number of rounds or a continuation chance node decides
"continue" (probability ``p``) or "stop" after each round (capped at ``max_rounds``).

This engine keeps, per play, the phase (decide, noise, continue, over), the rounds
played, both running returns, the pending intended joint action and the executed joint
action of every round, and advances the whole batch with a handful of NumPy operations.

A simultaneous node is stepped like every other node, with one id per play: the joint
action ``a0 * n1 + a1`` (``n1``: the column player's number of actions; OpenSpiel's
flattening), so :meth:`legal_mask` there covers all ``n0 * n1`` joint actions and
:meth:`player_mask` gives one seat's own actions. Noise outcomes have the scalar game's
ids (the executed joint action ``e0 * n1 + e1``) and continuation outcomes its ``CONTINUE``
(0) and ``STOP`` (1). ``returns()`` is each player's sum of stage payoffs so far, as in
the scalar game.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.batch.core import BatchGame
from redqueen.games.core import CHANCE, SIMULTANEOUS, TERMINAL
from redqueen.games.repeated import CONTINUE, RepeatedGame

DECIDE, NOISE, MORE, OVER = 0, 1, 2, 3
"""Phases of a play: both players decide, noise, continue-or-stop, game over."""


class RepeatedMatrixBatch(BatchGame):
    """``batch_size`` plays of one repeated matrix game (see the module docstring).

    Build it from the scalar game with :meth:`from_game`, so both share every parameter.
    """

    num_players = 2

    def __init__(self, game: RepeatedGame, batch_size: int) -> None:
        super().__init__(batch_size)
        if not isinstance(game, RepeatedGame):
            raise InvalidParameterError(
                f"RepeatedMatrixBatch needs a repeated game (make('repeated', ...)); got {game!r}"
            )
        self.game = game
        self.a = np.asarray(game.stage.payoff_rows(0), dtype=np.float64)
        self.b = np.asarray(game.stage.payoff_rows(1), dtype=np.float64)
        self.n0, self.n1 = self.a.shape
        self.rounds = game.rounds
        self.continuation = game.continuation
        self.max_rounds = game.rounds if game.rounds is not None else game.max_rounds
        self.noise = game.noise
        self.num_actions = max(self.n0 * self.n1, 2)
        joint = self.n0 * self.n1
        # Per intended joint action (row), the probability of each executed one (column).
        self._noise_table = np.zeros((joint, self.num_actions))
        for i0 in range(self.n0):
            for i1 in range(self.n1):
                for e, q in game.noise_outcomes((i0, i1)):
                    self._noise_table[i0 * self.n1 + i1, e] = q
        self.reset()

    @classmethod
    def from_game(cls, game: RepeatedGame, batch_size: int) -> RepeatedMatrixBatch:
        return cls(game, batch_size)

    def reset(self) -> None:
        b = self.batch_size
        self._phase = np.full(b, DECIDE, np.int64)
        self._played = np.zeros(b, np.int64)
        self._u = np.zeros((b, 2))
        self._pending = np.zeros(b, np.int64)
        self._history = np.full((b, self.max_rounds), -1, np.int64)

    # ---- the contract ---------------------------------------------------------------

    def current_player(self) -> NDArray[np.int64]:
        table = np.array([SIMULTANEOUS, CHANCE, CHANCE, TERMINAL], np.int64)
        out: NDArray[np.int64] = table[self._phase]
        return out

    def legal_mask(self) -> NDArray[np.bool_]:
        b, phase = self.batch_size, self._phase
        mask = np.zeros((b, self.num_actions), np.bool_)
        mask[phase == DECIDE, : self.n0 * self.n1] = True
        noisy = phase == NOISE
        mask[noisy] = self._noise_table[self._pending[noisy]] > 0
        mask[phase == MORE, :2] = True
        return mask

    def player_mask(self, seat: int) -> NDArray[np.bool_]:
        """(B, n_seat): ``seat``'s own legal actions (all of them where the play is at a
        decision, none elsewhere)."""
        n = (self.n0, self.n1)[seat]
        return np.repeat((self._phase == DECIDE)[:, None], n, axis=1)

    def chance_probs(self) -> NDArray[np.float64]:
        b, phase = self.batch_size, self._phase
        probs = np.zeros((b, self.num_actions))
        noisy = phase == NOISE
        probs[noisy] = self._noise_table[self._pending[noisy]]
        more = phase == MORE
        if more.any():
            p = float(self.continuation or 0.0)
            probs[more, 0], probs[more, 1] = p, 1.0 - p
        return probs

    def step(self, actions: NDArray[np.integer]) -> None:
        a = np.asarray(actions)
        if a.shape != (self.batch_size,):
            raise ValueError(f"actions must have shape ({self.batch_size},), got {a.shape}")
        live = self._phase != OVER
        in_range = (a >= 0) & (a < self.num_actions)
        mask = self.legal_mask()
        ok = in_range & mask[np.arange(self.batch_size), np.clip(a, 0, self.num_actions - 1)]
        if (live & ~ok).any():
            self._check_actions(a, mask)
        a = np.where(live, a, 0).astype(np.int64)
        phase = self._phase.copy()
        decide, noisy, more = phase == DECIDE, phase == NOISE, phase == MORE
        if self.noise > 0:
            self._pending = np.where(decide, a, self._pending)
            self._phase = np.where(decide, NOISE, self._phase)
            finish = noisy
        else:
            finish = decide
        self._phase = np.where(more, np.where(a == CONTINUE, DECIDE, OVER), self._phase)
        if finish.any():
            rows = np.flatnonzero(finish)
            e0, e1 = np.divmod(a[rows], self.n1)
            self._u[rows, 0] += self.a[e0, e1]
            self._u[rows, 1] += self.b[e0, e1]
            self._history[rows, self._played[rows]] = a[rows]
            self._played[rows] += 1
            done = self._played[rows] >= self.max_rounds
            after = MORE if self.continuation is not None else DECIDE
            self._phase[rows] = np.where(done, OVER, after)

    def returns(self) -> NDArray[np.float64]:
        return self._u.copy()

    # ---- what happened --------------------------------------------------------------

    @property
    def rounds_played(self) -> NDArray[np.int64]:
        """(B,) rounds completed in each play."""
        return self._played.copy()

    def last_rounds(self, k: int) -> NDArray[np.int64]:
        """(B, k): the executed joint actions of each play's last ``k`` rounds, most
        recent first; -1 for rounds not played."""
        out = np.full((self.batch_size, k), -1, np.int64)
        rows = np.arange(self.batch_size)
        for j in range(k):
            back = self._played - 1 - j
            have = back >= 0
            out[have, j] = self._history[rows[have], back[have]]
        return out
