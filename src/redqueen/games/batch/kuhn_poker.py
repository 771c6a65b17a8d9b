"""Two-player Kuhn poker for B plays at once, with the rules of ``redqueen.games.kuhn_poker``.

Kuhn (1950), as OpenSpiel's ``kuhn_poker``: cards 0, 1, 2 (J, Q, K), chance deals player
0's card then player 1's, actions 0 = pass and 1 = bet.

How it is fast: the public part of a play (which deal or betting history it is at) is
one of eleven nodes, and the chance outcomes depend only on the set of cards dealt. The
rules are compiled once, at import, into tables indexed by the pair (node, dealt cards):
who moves, the legal mask, the chance probabilities, the next pair for each action, and
the stake at the end. A step is a handful of gathers over the batch. The cards
themselves are kept per play, and the showdown compares them.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from redqueen.games.batch.core import BatchGame
from redqueen.games.core import CHANCE, TERMINAL

_NUM_CARDS = 3
_SETS = 1 << _NUM_CARDS  # bit sets of dealt cards
_NUM_ACTIONS = 3  # max(2 player actions, 3 chance outcomes)
_PASS, _BET = 0, 1
_NO_SLOT = 2  # a node that deals no card writes to this scratch slot


def _outcome(seq: tuple[int, ...]) -> tuple[str, float] | None:
    """None while the betting goes on; else ("fold", player 0's return) or ("showdown",
    chips each player has in)."""
    if seq == (_PASS, _PASS):
        return ("showdown", 1.0)
    if seq in ((_BET, _BET), (_PASS, _BET, _BET)):
        return ("showdown", 2.0)
    if seq == (_BET, _PASS):  # player 1 folds to player 0's bet
        return ("fold", 1.0)
    if seq == (_PASS, _BET, _PASS):  # player 0 folds to player 1's bet
        return ("fold", -1.0)
    return None


def _compile() -> dict[str, NDArray[np.generic]]:
    """The rules as tables over state ids ``node * _SETS + dealt``."""
    keys: list[str | tuple[int, ...]] = ["deal0", "deal1"]
    frontier: list[tuple[int, ...]] = [()]
    while frontier:
        seq = frontier.pop(0)
        keys.append(seq)
        if _outcome(seq) is None:
            frontier += [(*seq, _PASS), (*seq, _BET)]
    index = {k: i for i, k in enumerate(keys)}
    size = len(keys) * _SETS
    player = np.full(size, TERMINAL, np.int64)
    slot = np.full(size, _NO_SLOT, np.int64)
    nxt = np.zeros((size, _NUM_ACTIONS), np.int64)
    mask = np.zeros((size, _NUM_ACTIONS), np.bool_)
    chance_scale = np.zeros(size)  # the probability of each outcome at a chance state
    fold_return0 = np.zeros(size)
    showdown_stake = np.zeros(size)
    for node, key in enumerate(keys):
        over = isinstance(key, tuple) and _outcome(key) is not None
        for dealt in range(_SETS):
            s = node * _SETS + dealt
            # -1 marks an illegal action; a finished play stays where it is.
            nxt[s, :] = s if over else -1
            if isinstance(key, str):  # a deal
                player[s] = CHANCE
                slot[s] = 0 if key == "deal0" else 1
                after = index["deal1"] if key == "deal0" else index[()]
                left = [c for c in range(_NUM_CARDS) if not dealt >> c & 1]
                chance_scale[s] = 1.0 / len(left) if left else 0.0
                for c in left:
                    mask[s, c] = True
                    nxt[s, c] = after * _SETS + (dealt | 1 << c)
                continue
            outcome = _outcome(key)
            if outcome is None:
                player[s] = len(key) % 2
                for a in (_PASS, _BET):
                    mask[s, a] = True
                    nxt[s, a] = index[(*key, a)] * _SETS + dealt
            elif outcome[0] == "fold":
                fold_return0[s] = outcome[1]
            else:
                showdown_stake[s] = outcome[1]
    return {
        "player": player,
        "slot": slot,
        "next": nxt.reshape(-1),
        # Stored action-major so that a gather gives column-major (B, actions) views,
        # which the row-wise sums in sample_actions read fastest.
        "mask_t": np.ascontiguousarray(mask.T),
        "chance_scale": chance_scale,
        "fold_return0": fold_return0,
        "showdown_stake": showdown_stake,
    }


_TABLES = _compile()
_PLAYER = _TABLES["player"]
_SLOT = _TABLES["slot"]
_NEXT = _TABLES["next"]
_MASK_T = _TABLES["mask_t"]
_CHANCE_SCALE = _TABLES["chance_scale"]
_FOLD_RETURN0 = _TABLES["fold_return0"]
_SHOWDOWN_STAKE = _TABLES["showdown_stake"]
_INITIAL = 0  # deal0 with no card dealt


class KuhnPokerBatch(BatchGame):
    """``batch_size`` plays of two-player Kuhn poker (OpenSpiel's ids and payoffs).

    Arrays returned by ``current_player``, ``done`` and ``legal_mask`` are read-only views
    valid until the next ``step`` or ``reset``.
    """

    num_players = 2
    num_actions = _NUM_ACTIONS

    def __init__(self, batch_size: int) -> None:
        super().__init__(batch_size)
        self._rows = np.arange(batch_size)
        self._slot_start = _SLOT * batch_size  # where each state's dealt card is written
        self.reset()

    def reset(self) -> None:
        b = self.batch_size
        self._state = np.full(b, _INITIAL, np.int64)
        # Card of player 0, of player 1, and a scratch row for steps that deal nothing.
        self._cards = np.full(3 * b, -1, np.int64)
        self._forget()

    def _forget(self) -> None:
        self._player: NDArray[np.int64] | None = None
        self._done: NDArray[np.bool_] | None = None
        self._mask: NDArray[np.bool_] | None = None

    def current_player(self) -> NDArray[np.int64]:
        if self._player is None:
            self._player = np.take(_PLAYER, self._state)
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
            self._mask = np.take(_MASK_T, self._state, axis=1).T
            self._mask.flags.writeable = False
        return self._mask

    def chance_probs(self) -> NDArray[np.float64]:
        # Chance is uniform over the cards left: the mask times 1 / (cards left).
        scale = np.take(_CHANCE_SCALE, self._state)[:, None]
        return np.multiply(self.legal_mask(), scale, dtype=np.float64)

    def cards(self) -> NDArray[np.int64]:
        """(B, 2): the card id of each player, -1 before it is dealt."""
        return self._cards[: 2 * self.batch_size].reshape(2, -1).T.copy()

    def step(self, actions: NDArray[np.integer]) -> None:
        a = np.asarray(actions)
        if a.shape != (self.batch_size,) or a.dtype.kind not in "iu":
            raise ValueError(
                f"actions must be integers of shape ({self.batch_size},), got {a.dtype} {a.shape}"
            )
        a = a.astype(np.int64, copy=False)
        if a.view(np.uint64).max() >= _NUM_ACTIONS:  # out of range: only finished plays may
            self._check_actions(a, self.legal_mask())
            a = np.clip(a, 0, _NUM_ACTIONS - 1)
        state = self._state
        after = np.take(_NEXT, state * _NUM_ACTIONS + a)
        if after.min() < 0:
            self._check_actions(a, self.legal_mask())  # raises, naming the legal actions
        self._cards[np.take(self._slot_start, state) + self._rows] = a
        self._state = after
        self._forget()

    def returns(self) -> NDArray[np.float64]:
        b = self.batch_size
        state = self._state
        higher = np.sign(self._cards[:b] - self._cards[b : 2 * b])  # +1: player 0's is higher
        r0 = np.take(_FOLD_RETURN0, state) + np.take(_SHOWDOWN_STAKE, state) * higher
        return np.stack([r0, -r0], axis=1)
