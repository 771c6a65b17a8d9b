"""Tournaments: a schedule of matches among a list of agents, played by a runner.

``tournament`` is the one-call form: a seat-rotated round robin (see
:mod:`redqueen.play.schedule`) played inline or on worker processes. Matches whose key is
in ``skip`` are not played again, which is how a stored run resumes; ``on_result`` sees
each result as soon as it exists.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from redqueen.agents.core import Agent
from redqueen.games.core import Game
from redqueen.play.match import MatchResult, OnInvalid
from redqueen.play.runners import OnResult, run_matches
from redqueen.play.schedule import ScheduledMatch, round_robin


@dataclass
class TournamentResult:
    """Every match of a tournament, with the names of the agents by index."""

    game: str
    num_players: int
    agent_names: list[str]
    matches: list[tuple[ScheduledMatch, MatchResult]] = field(default_factory=list)


def agent_names(agents: Sequence[Agent]) -> list[str]:
    """Display names: each agent's spec label, with ``#2``, ``#3``... on repeats."""
    names: list[str] = []
    for agent in agents:
        base = agent.spec().label()
        name, k = base, 1
        while name in names:
            k += 1
            name = f"{base}#{k}"
        names.append(name)
    return names


def tournament(
    game: Game,
    agents: Sequence[Agent],
    games_per_pairing: int,
    seed: int = 0,
    *,
    workers: int = 1,
    self_play: bool = False,
    skip: Collection[str] = (),
    on_result: OnResult | None = None,
    on_invalid: OnInvalid = "random",
) -> TournamentResult:
    """Round robin of ``agents`` on ``game``; ``games_per_pairing`` games per group."""
    schedule = round_robin(
        len(agents), game.num_players, games_per_pairing, seed, self_play=self_play
    )
    todo = [m for m in schedule if m.key not in skip]
    played = run_matches(
        game, agents, todo, workers=workers, on_result=on_result, on_invalid=on_invalid
    )
    return TournamentResult(game.id, game.num_players, agent_names(agents), played)
