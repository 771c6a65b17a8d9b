"""Runners execute scheduled matches: inline, on a pool of worker processes, or on Ray
(:mod:`redqueen.play.ray_runner`, a local Ray or a cluster).

All give identical results for the same schedule, because every match carries its own
seed. The pool sends the game and the agents to each worker once (pickled), then only
the small ``ScheduledMatch`` records; results come back as they finish, and
``on_result`` sees each one at once, so the caller can store it before the next arrives.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

from redqueen.agents.core import Agent
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import Game
from redqueen.play.match import MatchResult, OnInvalid, play_match
from redqueen.play.schedule import ScheduledMatch

_PR_SET_PDEATHSIG = 1

OnResult = Callable[[ScheduledMatch, MatchResult], None]

BACKENDS = ("inline", "pool", "ray")
"""Where :func:`run_matches` plays: in this process, on worker processes, on Ray."""


def run_one(
    game: Game, agents: Sequence[Agent], match: ScheduledMatch, on_invalid: OnInvalid = "random"
) -> MatchResult:
    return play_match(game, [agents[i] for i in match.seats], match.seed, on_invalid=on_invalid)


def run_matches(
    game: Game,
    agents: Sequence[Agent],
    schedule: Iterable[ScheduledMatch],
    *,
    workers: int = 1,
    on_result: OnResult | None = None,
    on_invalid: OnInvalid = "random",
    backend: str | None = None,
) -> list[tuple[ScheduledMatch, MatchResult]]:
    """Play every match of ``schedule``; return ``(match, result)`` in schedule order.

    ``workers=1`` plays inline; ``workers=k > 1`` uses k worker processes; ``workers=0``
    uses one per CPU core. ``backend`` (one of :data:`BACKENDS`) chooses explicitly:
    ``"ray"`` plays each match as a Ray task (``workers`` is then ignored: Ray schedules
    on the cluster's CPUs; see :mod:`redqueen.play.ray_runner`).
    """
    if backend is not None and backend not in BACKENDS:
        raise UnknownNameError("runner backend", str(backend), BACKENDS)
    if workers < 0:
        raise InvalidParameterError(f"workers must be >= 0 (0: one per core), got {workers}")
    if workers == 0:
        workers = os.cpu_count() or 1
    matches = list(schedule)
    done: list[tuple[ScheduledMatch, MatchResult]] = []

    def deliver(match: ScheduledMatch, result: MatchResult) -> None:
        done.append((match, result))
        if on_result is not None:
            on_result(match, result)

    if backend == "ray":
        from redqueen.play.ray_runner import run_ray

        run_ray(game, agents, matches, on_invalid, deliver)
    elif backend == "inline" or (backend is None and workers == 1) or len(matches) <= 1:
        for match in matches:
            deliver(match, run_one(game, agents, match, on_invalid))
    else:
        _run_pool(game, agents, matches, workers, on_invalid, deliver)
    done.sort(key=lambda pair: pair[0].index)
    return done


_WORKER: dict[str, object] = {}


def _init_worker(game: Game, agents: Sequence[Agent], on_invalid: OnInvalid, parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent stops the pool and says what was
    # stored; a worker has nothing to report, so it ignores the signal (no tracebacks)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent(parent)
    _WORKER["game"] = game
    _WORKER["agents"] = agents
    _WORKER["on_invalid"] = on_invalid


def _die_with_parent(parent: int) -> None:
    """Two guards, so a worker never outlives a SIGKILLed run: on Linux the kernel kills
    the worker when its parent dies (PR_SET_PDEATHSIG); everywhere, a watchdog thread
    notices the worker was re-parented and exits."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - exotic libc
            pass
    if os.getppid() != parent:  # the parent died before the guards were set
        os._exit(1)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """A worker whose parent died (SIGKILL gives it no chance to stop its pool) is
    re-parented; it then exits instead of playing on for nobody."""
    while True:
        time.sleep(interval)
        if os.getppid() != parent:
            os._exit(1)


def _work(match: ScheduledMatch) -> MatchResult:
    game = _WORKER["game"]
    agents = _WORKER["agents"]
    assert isinstance(game, Game)
    assert isinstance(agents, list | tuple)
    return run_one(game, agents, match, _WORKER["on_invalid"])  # type: ignore[arg-type]


def _run_pool(
    game: Game,
    agents: Sequence[Agent],
    matches: list[ScheduledMatch],
    workers: int,
    on_invalid: OnInvalid,
    deliver: OnResult,
) -> None:
    # spawn: safe with threads in the parent and the same on every platform.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(game, list(agents), on_invalid, os.getpid()),
    ) as pool:
        # Keep a bounded number of matches in flight so results stream back steadily.
        pending: dict[Future[MatchResult], ScheduledMatch] = {}
        queue = iter(matches)
        limit = workers * 4
        try:
            for match in queue:
                pending[pool.submit(_work, match)] = match
                if len(pending) >= limit:
                    break
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    match = pending.pop(future)
                    deliver(match, future.result())
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[pool.submit(_work, nxt)] = nxt
        except BaseException:
            for future in pending:
                future.cancel()
            raise
