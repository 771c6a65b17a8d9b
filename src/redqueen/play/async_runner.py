"""Many matches in flight on one asyncio event loop, for agents that wait on I/O (LLMs).

Each scheduled match is an asyncio task running :func:`~redqueen.play.match.aplay_match`;
up to ``max_in_flight`` matches run at once, and the agents bound their own requests (an
LLM agent shares one semaphore per server), so a tournament keeps a server busy without
flooding it. Results are the same as the inline runner's for the same schedule, since
every match carries its own seed.

A match that raises (a backend that stays down after its retries) is *failed*: it is
reported to ``on_failure`` and left out of the results, the other matches go on, and a
resumed run plays it again. An exception whose class has ``stops_run = True`` (a refused
key, an unknown model, a server that cannot be reached or stopped answering: no retry
can help) cancels the matches still running and is re-raised; the matches finished
before it have been handed to ``on_result``.

``around(match)`` may return a context manager entered inside the match's task, around
the match: the LLM players use it to learn which match a call belongs to
(:func:`redqueen.agents.llm.context.recording`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from redqueen.agents.core import Agent
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import Game
from redqueen.play.match import MatchResult, OnInvalid, aplay_match
from redqueen.play.schedule import ScheduledMatch

OnResult = Callable[[ScheduledMatch, MatchResult], None]
OnFailure = Callable[[ScheduledMatch, BaseException], None]
Around = Callable[[ScheduledMatch], AbstractContextManager[Any]]


@dataclass
class AsyncRun:
    """Finished matches in schedule order, and the failed ones with their errors."""

    done: list[tuple[ScheduledMatch, MatchResult]] = field(default_factory=list)
    failed: list[tuple[ScheduledMatch, BaseException]] = field(default_factory=list)


async def arun_matches(
    game: Game,
    agents: Sequence[Agent],
    schedule: Iterable[ScheduledMatch],
    *,
    max_in_flight: int = 256,
    on_result: OnResult | None = None,
    on_failure: OnFailure | None = None,
    on_invalid: OnInvalid = "random",
    around: Around | None = None,
) -> AsyncRun:
    """Play every match of ``schedule`` concurrently (see the module docstring)."""
    if max_in_flight < 1:
        raise InvalidParameterError(f"max_in_flight must be >= 1, got {max_in_flight}")
    run = AsyncRun()
    limit = asyncio.Semaphore(max_in_flight)

    async def one(match: ScheduledMatch) -> None:
        async with limit:
            with around(match) if around is not None else nullcontext():
                try:
                    result = await aplay_match(
                        game, [agents[i] for i in match.seats], match.seed, on_invalid=on_invalid
                    )
                except Exception as err:
                    if getattr(err, "stops_run", False):
                        raise
                    run.failed.append((match, err))
                    if on_failure is not None:
                        on_failure(match, err)
                    return
        run.done.append((match, result))
        if on_result is not None:
            on_result(match, result)

    tasks = [asyncio.create_task(one(m)) for m in schedule]
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    run.done.sort(key=lambda pair: pair[0].index)
    run.failed.sort(key=lambda pair: pair[0].index)
    return run


def run_matches_async(
    game: Game,
    agents: Sequence[Agent],
    schedule: Iterable[ScheduledMatch],
    **options: Any,
) -> AsyncRun:
    """:func:`arun_matches` from synchronous code (starts and closes an event loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(arun_matches(game, agents, schedule, **options))
    raise RedqueenError("run_matches_async was called inside an event loop; await arun_matches")
