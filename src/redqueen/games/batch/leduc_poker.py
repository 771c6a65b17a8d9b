"""Leduc hold'em for B plays at once, with the rules of ``redqueen.games.leduc_poker``.

Southey et al. (2005), "Bayes' Bluff", as OpenSpiel's ``leduc_poker`` with default
parameters: cards 0..5 (J J Q Q K K, rank ``card // 2``), chance deals player 0's card,
player 1's, and after round 1 the public card; actions 0 = fold, 1 = call, 2 = raise.

How it is fast: the public part of a play (which deal or which betting history it is
at) is one of 92 nodes, and the chance outcomes depend only on the set of cards dealt.
The betting rules are replayed once, at import, to compile tables indexed by the pair
(node, dealt cards): who moves, the legal mask, the chance probabilities, the next pair
for each action, and the stakes at the end. A step is a handful of gathers over the
batch. The cards themselves are kept per play, and the showdown compares them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from redqueen.games.batch.core import BatchGame
from redqueen.games.core import CHANCE, TERMINAL

_NUM_CARDS = 6
_SETS = 1 << _NUM_CARDS  # bit sets of dealt cards
_NUM_ACTIONS = 6  # max(3 player actions, 6 chance outcomes)
_FOLD, _CALL, _RAISE = 0, 1, 2
_RAISE_AMOUNTS = (2, 4)
_MAX_RAISES = 2
_PUBLIC_SLOT, _NO_SLOT = 2, 3  # card slots: player 0, player 1, public, scratch

_Key = str | tuple[tuple[int, ...], tuple[int, ...], bool]
"""A public node: "deal0", "deal1", or (round-1 actions, round-2 actions, public dealt)."""


class _What(NamedTuple):
    """What happens at a public node: kind is "deal", "bet", "fold" or "showdown"."""

    kind: str
    player: int = CHANCE  # who bets
    legal: tuple[int, ...] = ()  # their legal actions
    value: float = 0.0  # player 0's return after a fold; each one's stake at a showdown


def _replay(r1: tuple[int, ...], r2: tuple[int, ...], public_dealt: bool) -> _What:
    """Replay the betting rules over a public node's actions."""
    contrib = [1, 1]
    stakes = 1
    for rnd, seq in enumerate((r1, r2)):
        raises = calls = 0
        cur = 0
        for a in seq:
            if a == _FOLD:
                return _What("fold", value=-contrib[0] if cur == 0 else contrib[1])
            if a == _CALL:
                contrib[cur] = stakes
                calls += 1
            else:
                stakes += _RAISE_AMOUNTS[rnd]
                contrib[cur] = stakes
                raises += 1
                calls = 0
            cur = 1 - cur
        if calls != (1 if raises else 2):  # the round goes on
            facing = (_FOLD,) if stakes > contrib[cur] else ()
            more = (_CALL, _RAISE) if raises < _MAX_RAISES else (_CALL,)
            return _What("bet", cur, facing + more)
        if rnd == 0 and not public_dealt:
            return _What("deal")
    return _What("showdown", value=stakes)


def _compile() -> dict[str, NDArray[np.generic]]:
    """The rules as tables over state ids ``node * _SETS + dealt``."""
    keys: list[_Key] = ["deal0", "deal1", ((), (), False)]
    index = {k: i for i, k in enumerate(keys)}

    def children(key: _Key) -> list[_Key]:
        if isinstance(key, str):
            return []
        r1, r2, pub = key
        what = _replay(r1, r2, pub)
        if what.kind == "deal":
            return [(r1, r2, True)]
        if what.kind == "bet":
            return [(r1, (*r2, a), pub) if pub else ((*r1, a), r2, pub) for a in what.legal]
        return []

    i = 2
    while i < len(keys):
        for child in children(keys[i]):
            if child not in index:
                index[child] = len(keys)
                keys.append(child)
        i += 1

    size = len(keys) * _SETS
    player = np.full(size, TERMINAL, np.int64)
    slot = np.full(size, _NO_SLOT, np.int64)
    nxt = np.zeros((size, _NUM_ACTIONS), np.int64)
    mask = np.zeros((size, _NUM_ACTIONS), np.bool_)
    chance_scale = np.zeros(size)  # the probability of each outcome at a chance state
    fold_return0 = np.zeros(size)
    showdown_stake = np.zeros(size)
    for node, key in enumerate(keys):
        what = _What("deal") if isinstance(key, str) else _replay(*key)
        for dealt in range(_SETS):
            s = node * _SETS + dealt
            # -1 marks an illegal action; a finished play stays where it is.
            nxt[s, :] = s if what.kind in ("fold", "showdown") else -1
            if what.kind == "deal":
                player[s] = CHANCE
                if key == "deal0":
                    slot[s], after = 0, index["deal1"]
                elif key == "deal1":
                    slot[s], after = 1, index[((), (), False)]
                else:
                    assert not isinstance(key, str)
                    slot[s], after = _PUBLIC_SLOT, index[(key[0], key[1], True)]
                left = [c for c in range(_NUM_CARDS) if not dealt >> c & 1]
                chance_scale[s] = 1.0 / len(left) if left else 0.0
                for c in left:
                    mask[s, c] = True
                    nxt[s, c] = after * _SETS + (dealt | 1 << c)
            elif what.kind == "bet":
                assert not isinstance(key, str)
                player[s] = what.player
                r1, r2, pub = key
                for a in what.legal:
                    mask[s, a] = True
                    child = (r1, (*r2, a), pub) if pub else ((*r1, a), r2, pub)
                    nxt[s, a] = index[child] * _SETS + dealt
            elif what.kind == "fold":
                fold_return0[s] = what.value
            else:
                showdown_stake[s] = what.value
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
NUM_PUBLIC_NODES = len(_PLAYER) // _SETS
"""Deal nodes and betting histories of the public tree (92)."""
_INITIAL = 0  # deal0 with no card dealt


class LeducPokerBatch(BatchGame):
    """``batch_size`` plays of Leduc hold'em (OpenSpiel's ids and payoffs).

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
        # Card of player 0, player 1, the public card, and a scratch row for steps that
        # deal nothing; -1 until dealt.
        self._cards = np.full(4 * b, -1, np.int64)
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
        """(B, 3): player 0's card, player 1's card and the public card; -1 until dealt."""
        return self._cards[: 3 * self.batch_size].reshape(3, -1).T.copy()

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
        cards = self._cards
        public_rank = cards[2 * b : 3 * b] >> 1
        rank0 = cards[:b] >> 1
        rank1 = cards[b : 2 * b] >> 1
        # A pair (3 + rank) beats every high card (0..2); only one player can pair.
        strength0 = np.where(rank0 == public_rank, 3 + rank0, rank0)
        strength1 = np.where(rank1 == public_rank, 3 + rank1, rank1)
        state = self._state
        r0 = np.take(_FOLD_RETURN0, state) + np.take(_SHOWDOWN_STAKE, state) * np.sign(
            strength0 - strength1
        )
        return np.stack([r0, -r0], axis=1)
