"""Checks of game parameters, with errors that name the parameter and its allowed range.

Used by the games whose parameters are plain numbers (amounts, multipliers, discount
factors, probabilities, counts), so every game words a bad value the same way.
"""

from __future__ import annotations

import math
from typing import Any

from redqueen.errors import InvalidParameterError
from redqueen.games.matrix import format_number

MAX_GRID = 10_000
"""Most amounts a grid of actions may have (amount / step + 1 actions)."""


def number(name: str, value: Any, low: float, high: float, *, open_low: bool = False) -> float:
    """``value`` as a float, if it is a finite number in [low, high] ((low, high] with
    ``open_low``); otherwise an error naming the interval."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (low < value if open_low else low <= value) and value <= high
    if not ok:
        left = "(" if open_low else "["
        raise InvalidParameterError(
            f"{name} must be a number in {left}{format_number(low)}, {format_number(high)}], "
            f"got {value!r}"
        )
    return float(value)


def integer(name: str, value: Any, low: int, high: int) -> int:
    """``value`` if it is an integer in [low, high]; otherwise an error naming the range."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(f"{name} must be an integer in [{low}, {high}], got {value!r}")
    return value


def grid_steps(name: str, total: float, step: float) -> int:
    """How many steps of ``step`` make ``total``; it must be a whole number from 1 to
    :data:`MAX_GRID`."""
    units = total / step
    if abs(units - round(units)) > 1e-9 * max(1.0, units) or round(units) < 1:
        raise InvalidParameterError(
            f"{name}={format_number(total)} must be a positive whole number of steps of "
            f"{format_number(step)}"
        )
    if round(units) > MAX_GRID:
        raise InvalidParameterError(
            f"{name}/step = {round(units)} amounts is too many actions; allowed: at most "
            f"{MAX_GRID} (use a larger step)"
        )
    return round(units)
