"""The Ray backend: matches (and other pure functions, such as best-response oracles) as
Ray tasks, on a local Ray or a cluster.

Ray is an optional extra (``pip install redqueen[ray]``) and is imported only here, when
the backend is used. :func:`ensure_ray` joins a cluster when given its address (or when
``RAY_ADDRESS`` is set: ``ray.init(address=...)``), otherwise it starts a local Ray with
``num_cpus=2``; a Ray the caller started already is used as it is.

The game and the agents are put into Ray's object store once; each task then carries
only a small :class:`~redqueen.play.schedule.ScheduledMatch`. Every match carries its own
seed, so the results are those the inline runner gives for the same schedule, whichever
worker plays which match and in whatever order they finish; ``on_result`` sees each as
it comes back, so a run store records it before the next arrives.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from redqueen.agents.core import Agent
from redqueen.errors import RedqueenError
from redqueen.games.core import Game
from redqueen.play.match import MatchResult, OnInvalid, play_match
from redqueen.play.schedule import ScheduledMatch

LOCAL_NUM_CPUS = 2
"""CPUs a local Ray started by :func:`ensure_ray` may use."""


def _ray() -> Any:
    try:
        import ray
    except ImportError:  # pragma: no cover - ray is installed in CI
        raise RedqueenError(
            "the ray backend needs Ray: pip install 'redqueen[ray]' (or pip install ray)"
        ) from None
    return ray


def ensure_ray(address: str | None = None, num_cpus: int = LOCAL_NUM_CPUS) -> Any:
    """The ``ray`` module, initialised: joined to the cluster at ``address`` (or
    ``$RAY_ADDRESS``), else a local Ray with ``num_cpus`` CPUs; an already initialised
    Ray is left as it is."""
    ray = _ray()
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        if address is not None:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False)
    return ray


def _play(game: Game, agents: Sequence[Agent], match: ScheduledMatch, on_invalid: str) -> Any:
    return play_match(game, [agents[i] for i in match.seats], match.seed, on_invalid=on_invalid)  # type: ignore[arg-type]


def run_ray(
    game: Game,
    agents: Sequence[Agent],
    matches: Sequence[ScheduledMatch],
    on_invalid: OnInvalid,
    deliver: Callable[[ScheduledMatch, MatchResult], None],
    *,
    max_in_flight: int = 64,
) -> None:
    """Play ``matches`` as Ray tasks, handing each ``(match, result)`` to ``deliver`` as
    it finishes (at most ``max_in_flight`` tasks are submitted at a time)."""
    if not matches:
        return
    ray = ensure_ray()
    task = ray.remote(_play)
    game_ref = ray.put(game)
    agents_ref = ray.put(list(agents))
    queue = iter(matches)
    pending: dict[Any, ScheduledMatch] = {}

    def submit() -> bool:
        match = next(queue, None)
        if match is None:
            return False
        pending[task.remote(game_ref, agents_ref, match, on_invalid)] = match
        return True

    while len(pending) < max_in_flight and submit():
        pass
    try:
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                match = pending.pop(ref)
                deliver(match, ray.get(ref))
                submit()
    except BaseException:
        for ref in pending:
            ray.cancel(ref)
        raise


def map_ray(function: Callable[..., Any], argument_lists: Sequence[Sequence[Any]]) -> list[Any]:
    """``[function(*args) for args in argument_lists]``, each call a Ray task, results in
    order: how oracles (one best response per seat, say) run on Ray. ``function`` must
    be a module-level function (Ray pickles it by reference)."""
    ray = ensure_ray()
    task = ray.remote(function)
    return list(ray.get([task.remote(*args) for args in argument_lists]))
