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

from redqueen.games.batch.table_poker import TablePokerBatch
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
NUM_PUBLIC_NODES = len(_TABLES["player"]) // _SETS
"""Deal nodes and betting histories of the public tree (92)."""


class LeducPokerBatch(TablePokerBatch):
    """``batch_size`` plays of Leduc hold'em (OpenSpiel's ids and payoffs).

    Arrays returned by ``current_player``, ``done`` and ``legal_mask`` are read-only views
    valid until the next ``step`` or ``reset``.
    """

    num_actions = _NUM_ACTIONS
    card_slots = 3
    tables = _TABLES

    def _showdown_sign(self, card_rows: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        rank0, rank1, public_rank = (row >> 1 for row in card_rows)
        # A pair (3 + rank) beats every high card (0..2); only one player can pair.
        strength0 = np.where(rank0 == public_rank, 3 + rank0, rank0)
        strength1 = np.where(rank1 == public_rank, 3 + rank1, rank1)
        return np.sign(strength0 - strength1)
