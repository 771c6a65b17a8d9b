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

from redqueen.games.batch.table_poker import TablePokerBatch
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


class KuhnPokerBatch(TablePokerBatch):
    """``batch_size`` plays of two-player Kuhn poker (OpenSpiel's ids and payoffs).

    Arrays returned by ``current_player``, ``done`` and ``legal_mask`` are read-only views
    valid until the next ``step`` or ``reset``.
    """

    num_actions = _NUM_ACTIONS
    card_slots = 2
    tables = _TABLES

    def _showdown_sign(self, card_rows: list[NDArray[np.int64]]) -> NDArray[np.int64]:
        return np.sign(card_rows[0] - card_rows[1])  # the higher card wins
