"""Schedules: which agents meet, in which seats, with which seed.

A round robin takes every group of ``num_players`` distinct agents and plays it
``games_per_group`` times, rotating the seats cyclically from one game to the next so
that every agent sits in every seat equally often (when ``games_per_group`` is a multiple
of ``num_players``). Every match has its own seed, derived from the tournament's seed and
the match's place in the schedule, so a match is the same whichever runner plays it and
whenever it is played.

Every scheduled match has a stable ``key``; the run store uses it to tell which matches
of a run are already done.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from redqueen.errors import InvalidParameterError


@dataclass(frozen=True)
class ScheduledMatch:
    key: str
    index: int
    seats: tuple[int, ...]
    """Agent indices, one per seat."""
    seed: int


def match_seed(base_seed: int, *path: int) -> int:
    """A 63-bit seed derived from ``base_seed`` and a position in a schedule."""
    state = np.random.SeedSequence([int(base_seed), *map(int, path)]).generate_state(2)
    return int((int(state[0]) << 32 | int(state[1])) & ((1 << 63) - 1))


def round_robin(
    n_agents: int,
    num_players: int,
    games_per_group: int,
    seed: int = 0,
    *,
    self_play: bool = False,
) -> list[ScheduledMatch]:
    """Every group of ``num_players`` agents plays ``games_per_group`` seat-rotated games.

    With ``self_play`` an agent also meets copies of itself (groups with repetition).
    """
    if num_players < 1:
        raise InvalidParameterError(f"num_players must be >= 1, got {num_players}")
    if games_per_group < 1:
        raise InvalidParameterError(f"games per pairing must be >= 1, got {games_per_group}")
    if n_agents < 1:
        raise InvalidParameterError("a round robin needs at least one agent")
    if not self_play and n_agents < num_players:
        raise InvalidParameterError(
            f"{num_players}-player games need at least {num_players} distinct agents, got "
            f"{n_agents} (or allow self_play)"
        )
    groups = (
        itertools.combinations_with_replacement(range(n_agents), num_players)
        if self_play
        else itertools.combinations(range(n_agents), num_players)
    )
    schedule: list[ScheduledMatch] = []
    for g, group in enumerate(groups):
        for game in range(games_per_group):
            shift = game % num_players
            seats = group[shift:] + group[:shift]
            key = f"g{'-'.join(map(str, group))}:n{game}"
            schedule.append(ScheduledMatch(key, len(schedule), seats, match_seed(seed, g, game)))
    return schedule
