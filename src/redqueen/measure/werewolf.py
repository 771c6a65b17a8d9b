"""Self-play metrics of werewolf, the stand-ins for WereAlign's decision metrics.

"Beyond Survival" (arXiv:2510.11389) scores decisions on human games: vote alignment (VA,
does the model vote as the show's best player did) and opponent-role inference (OI, does
it name each player's true role). In self-play there is no best human to agree with, so,
as ``shared/research/roles.md`` (section 1c) proposes:

- VA becomes the **share of exile votes cast on wolves** (:func:`exile_votes_on_wolves`):
  of the votes cast (abstentions left out) in every exile ballot, revotes included, how
  many named a wolf; given for good voters (what the village wants high), for wolves, and
  per seat when asked;
- OI becomes **role-guess accuracy** (:func:`role_guess_accuracy`): of the roles a player
  was asked to guess (one question per other seat, as OI asks), how many it named right.
  A reply that named no role counts as wrong, as OI's format errors do.

And the game's own outcome: the **win rate of each side** over matches, with 95% Wilson
intervals (:func:`side_win_rates`; a draw, a game that outlasted ``max_days``, is
neither side's win).

Every function takes plain data: a match's events (``WerewolfState.events()``) and its
roles by seat (``WerewolfState.role_of``), so the metrics can be recomputed from a store.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from redqueen.errors import InvalidParameterError
from redqueen.games.hidden.werewolf import DRAW, VILLAGE_WINS, WOLVES_WIN
from redqueen.measure.statistics import rate_with_interval

Event = Sequence[Any]


def exile_votes(events: Iterable[Event]) -> list[tuple[int, int]]:
    """Every exile vote cast, as ``(voter, target)``; abstentions left out."""
    return [
        (voter, target)
        for e in events
        if e[0] == "votes" and e[2] == "vote"
        for voter, target in e[4]
        if target >= 0
    ]


def exile_votes_on_wolves(
    matches: Iterable[tuple[Iterable[Event], Sequence[str]]],
    seats: Iterable[int] | None = None,
) -> dict[str, Any]:
    """Of the exile votes cast in ``matches`` (each ``(events, roles)``), the share on a
    wolf: ``all`` voters, ``good`` voters and ``wolf`` voters, each a rate with its 95%
    Wilson interval. With ``seats``, only the votes of those seats count."""
    chosen = None if seats is None else set(seats)
    tallies = {"all": [0, 0], "good": [0, 0], "wolf": [0, 0]}
    for events, roles in matches:
        for voter, target in exile_votes(events):
            if chosen is not None and voter not in chosen:
                continue
            hit = int(roles[target] == "wolf")
            side = "wolf" if roles[voter] == "wolf" else "good"
            for key in ("all", side):
                tallies[key][0] += hit
                tallies[key][1] += 1
    return {key: rate_with_interval(hits, n) for key, (hits, n) in tallies.items()}


def side_win_rates(winners: Sequence[str]) -> dict[str, Any]:
    """Each side's win rate (and the draw rate) over matches whose winners are
    ``winners`` (``"wolves"``, ``"village"`` or ``"draw"``), with 95% Wilson intervals."""
    unknown = sorted({w for w in winners} - {WOLVES_WIN, VILLAGE_WINS, DRAW})
    if unknown:
        raise InvalidParameterError(f"unknown winners {unknown}; allowed: wolves, village, draw")
    n = len(winners)
    return {
        side: rate_with_interval(sum(w == side for w in winners), n)
        for side in (WOLVES_WIN, VILLAGE_WINS, DRAW)
    }


def role_guess_accuracy(
    guesses: Iterable[Mapping[str, Any]], roles_by_match: Mapping[str, Sequence[str]]
) -> dict[str, Any]:
    """The share of role guesses that named the true role, with its 95% Wilson
    interval; ``unparsed`` counts the guesses that named no role (scored wrong).

    ``guesses`` are dicts with ``match`` (a key of ``roles_by_match``), ``about`` (the
    seat guessed) and ``guess`` (a role name or None)."""
    hits = n = unparsed = 0
    for g in guesses:
        truth = roles_by_match[g["match"]][g["about"]]
        n += 1
        if g["guess"] is None:
            unparsed += 1
        hits += int(g["guess"] == truth)
    return rate_with_interval(hits, n) | {"unparsed": unparsed}
