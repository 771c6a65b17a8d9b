"""Vectorised engines that play B games at once with the same rules as the scalar games."""

from __future__ import annotations

import importlib

from redqueen.errors import UnknownNameError
from redqueen.games.batch.core import BatchGame, random_playouts, sample_actions

_ENGINES = {
    "tic_tac_toe": "redqueen.games.batch.tic_tac_toe:TicTacToeBatch",
    "connect_four": "redqueen.games.batch.connect_four:ConnectFourBatch",
    "kuhn_poker": "redqueen.games.batch.kuhn_poker:KuhnPokerBatch",
    "leduc_poker": "redqueen.games.batch.leduc_poker:LeducPokerBatch",
}


def batch_games() -> list[str]:
    """Ids of the games that have a batch engine."""
    return sorted(_ENGINES)


def make_batch(game_id: str, batch_size: int) -> BatchGame:
    """The batch engine of ``game_id`` (default parameters) for ``batch_size`` plays."""
    if game_id not in _ENGINES:
        raise UnknownNameError("batch engine", game_id, _ENGINES)
    module, _, cls = _ENGINES[game_id].partition(":")
    engine: BatchGame = getattr(importlib.import_module(module), cls)(batch_size)
    return engine


__all__ = ["BatchGame", "batch_games", "make_batch", "random_playouts", "sample_actions"]
