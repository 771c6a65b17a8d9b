"""Classic strategies for repeated 2x2 games, looked up by name.

``get("tit_for_tat")`` builds one, ``names()`` lists them, ``classifier(name)`` says what
each one is (memory depth, stochastic, what it makes use of). Each strategy is a small
class whose docstring names its source; see :mod:`~redqueen.agents.strategies.base` for
how a strategy plays a seat of ``redqueen.make("repeated", ...)`` and
:mod:`~redqueen.agents.strategies.machine` for the finite-state form that many of them
also have. As an agent: ``make_agent("strategy", name="tit_for_tat")`` or
``parse_agent("strategy:name=gtft,p=0.2")``.

Families: :mod:`.basic` (unconditional, cycles, grudges, majorities, probes),
:mod:`.reciprocal` (Tit For Tat and its variants), :mod:`.memory_one` (four-vectors,
Pavlov, GTFT, zero-determinant), :mod:`.axelrod_first` (the first tournament's
entries), :mod:`.finite_state` (automata by table) and :mod:`.learning`
(Bush-Mosteller, Q-learners).
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

from redqueen.agents.strategies.base import (
    MatchInfo,
    Record,
    Strategy,
    opponent_moves,
    play_strategies,
)
from redqueen.agents.strategies.machine import Machine, play_machines
from redqueen.errors import InvalidParameterError, UnknownNameError

__all__ = [
    "Machine",
    "MatchInfo",
    "Record",
    "Strategy",
    "classes",
    "classifier",
    "get",
    "make_strategy",
    "names",
    "opponent_moves",
    "play_machines",
    "play_strategies",
]

ALIASES = {"pavlov": "win_stay_lose_shift", "tft": "tit_for_tat", "grim": "grudger"}
"""Other common names, accepted by :func:`get` (``names()`` lists each strategy once)."""

_CLASSES: dict[str, type[Strategy]] = {}


def classes() -> dict[str, type[Strategy]]:
    """Every strategy class by name, in the order of the family modules."""
    if not _CLASSES:
        from redqueen.agents.strategies import (
            axelrod_first,
            basic,
            finite_state,
            learning,
            memory_one,
            reciprocal,
        )

        for module in (basic, reciprocal, memory_one, axelrod_first, finite_state, learning):
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if (
                    issubclass(cls, Strategy)
                    and cls.__module__ == module.__name__
                    and cls.strategy_name
                    and not inspect.isabstract(cls)
                    and cls.strategy_name not in _CLASSES
                ):
                    _CLASSES[cls.strategy_name] = cls
    return _CLASSES


def names() -> list[str]:
    """Every strategy name, sorted."""
    return sorted(classes())


def _lookup(name: str) -> type[Strategy]:
    table = classes()
    key = ALIASES.get(name, name) if isinstance(name, str) else name
    if not isinstance(key, str) or key not in table:
        allowed = sorted(table)
        error = UnknownNameError("strategy", str(name), allowed)
        close = difflib.get_close_matches(str(name), [*allowed, *ALIASES], n=6, cutoff=0.6)
        hint = f"close matches: {', '.join(close)}" if close else "no close match"
        error.args = (
            f"unknown strategy: {name!r}; {hint}. All {len(allowed)} strategies: "
            f"{', '.join(allowed)}",
        )
        raise error
    return table[key]


def get(name: str, **params: Any) -> Strategy:
    """The strategy called ``name`` (or one of :data:`ALIASES`), built with ``params``."""
    cls = _lookup(name)
    allowed = [
        p.name
        for p in inspect.signature(cls.__init__).parameters.values()
        if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for key in params:
        if key not in allowed:
            raise UnknownNameError(f"parameter of strategy {name!r}", key, allowed)
    return cls(**params)


def classifier(name: str) -> dict[str, Any]:
    """What the Axelrod library records about a strategy: ``memory_depth`` (an int or
    ``math.inf``), ``stochastic``, ``makes_use_of`` (``"length"``, ``"game"``) and
    ``long_run_time``."""
    return dict(_lookup(name).classifier)


def make_strategy(name: str | None = None, **params: Any) -> Strategy:
    """The agent factory registered as kind ``"strategy"`` (``strategy:name=gtft,p=0.2``)."""
    if name is None:
        raise InvalidParameterError(
            "agent kind 'strategy' needs name=<strategy>, e.g. strategy:name=tit_for_tat; "
            f"strategies: {', '.join(names())}"
        )
    return get(name, **params)


def _factory_signature() -> inspect.Signature:
    """``make_strategy(name, *, <every parameter any strategy takes>)``, so that the agent
    registry's parameter check lets each through (``get`` then checks it per strategy)."""
    seen: dict[str, inspect.Parameter] = {
        "name": inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=None)
    }
    for cls in classes().values():
        for p in inspect.signature(cls.__init__).parameters.values():
            if p.name not in seen and p.name != "self":
                seen[p.name] = inspect.Parameter(
                    p.name, inspect.Parameter.KEYWORD_ONLY, default=p.default
                )
    return inspect.Signature(list(seen.values()))


make_strategy.__signature__ = _factory_signature()  # type: ignore[attr-defined]
