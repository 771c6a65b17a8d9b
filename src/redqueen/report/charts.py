"""Axes, ticks and legends for the reports' inline SVG charts, and a line chart built on
them.

A chart is read through its axes, so they follow the usual rules of graph labelling:

- Linear axes get "nice" ticks: steps of 1, 2 or 5 times a power of ten, chosen so that
  about five ticks cover the data, with the axis extended to the outer ticks (Heckbert,
  "Nice numbers for graph labels", Graphics Gems, 1990). Labels carry just the decimals
  the step needs, so a tick reads 0.3, never 0.30000000000000004 or 0.2999.
- Logarithmic axes put their ticks at powers of ten (and at 2 and 5 times them when the
  data span two decades or less), never at the arbitrary values a linear split of the
  logarithm gives (2.3, 0.79, 0.28 ...).
- A probability axis runs from 0 to 1 whatever the data, so a rate of 0.001 is drawn
  next to zero and not at the bottom of a zoomed axis that reads 0.00083.
- Where an axis crosses zero, zero is a tick and is drawn as a darker line, so the sign
  of a value can be read at a glance.
- Every chart with more than one colour has a legend: a swatch per series, or a colour
  bar with ticks for a heat map (:func:`colour_scale_svg`).

:func:`line_chart_svg` draws named series of ``(x, y)`` points (optionally with interval
bands) on such axes. Every name is escaped; the output is a self-contained ``<svg>``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from redqueen.errors import InvalidParameterError

PALETTE = (
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
    "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
)  # fmt: skip
"""Series colours, in order (they repeat after ten series)."""

Point = tuple[float, float]


# ---- ticks --------------------------------------------------------------------------------


def _nice_number(x: float, rounded: bool) -> float:
    """A number of the form 1, 2 or 5 times a power of ten close to ``x`` (> 0):
    the nearest one when ``rounded``, else the smallest one at least ``x``."""
    exponent = math.floor(math.log10(x))
    fraction = x / 10.0**exponent
    if rounded:
        nice = 1 if fraction < 1.5 else 2 if fraction < 3 else 5 if fraction < 7 else 10
    else:
        nice = 1 if fraction <= 1 else 2 if fraction <= 2 else 5 if fraction <= 5 else 10
    return nice * 10.0**exponent


def _decimals(step: float) -> int:
    """How many decimals a tick label needs to show multiples of ``step``."""
    return max(0, -math.floor(math.log10(step) + 1e-9))


def nice_ticks(lo: float, hi: float, count: int = 5, *, integer: bool = False) -> list[float]:
    """About ``count`` evenly spaced ticks at nice values (1, 2 or 5 times a power of ten)
    covering ``[lo, hi]``; the first tick is at most ``lo`` and the last at least ``hi``.
    ``integer``: steps of at least 1 (for rounds, generations, steps)."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InvalidParameterError(f"ticks need finite bounds; got {lo!r}, {hi!r}")
    if count < 2:
        raise InvalidParameterError(f"count must be at least 2; got {count!r}")
    lo, hi = min(lo, hi), max(lo, hi)
    if hi == lo:
        pad = 1.0 if lo == 0 else abs(lo) / 10
        lo, hi = lo - pad, hi + pad
    step = _nice_number(_nice_number(hi - lo, False) / (count - 1), True)
    if integer:
        step = max(step, 1.0)
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    digits = _decimals(step)
    return [round(k * step, digits) + 0.0 for k in range(first, last + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Ticks for a logarithmic axis over ``[lo, hi]`` (both > 0): powers of ten from the
    one at or below ``lo`` to the one at or above ``hi``, with 2 and 5 times each power
    when the range spans two decades or less, and every second or fifth power when it
    spans more than eight."""
    if not (lo > 0 and hi > 0 and math.isfinite(lo) and math.isfinite(hi)):
        raise InvalidParameterError(f"a log axis needs positive finite bounds; got {lo}, {hi}")
    lo, hi = min(lo, hi), max(lo, hi)
    first, last = math.floor(math.log10(lo) + 1e-9), math.ceil(math.log10(hi) - 1e-9)
    if last == first:
        last += 1
    decades = last - first
    if decades <= 2:
        ticks = [m * 10.0**e for e in range(first, last) for m in (1, 2, 5)]
        ticks.append(10.0**last)
        # keep the ticks inside the range plus the powers of ten just outside it
        inside = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        return sorted({10.0**first, *inside, 10.0**last})
    every = 1 if decades <= 8 else 2 if decades <= 16 else 5
    first -= first % every
    last += -last % every
    return [10.0**e for e in range(first, last + 1, every)]


def tick_label(value: float, step: float | None = None) -> str:
    """A tick's label: with the decimals ``step`` needs (none for whole steps), in
    scientific notation (``1e6``) from a million on or below a thousandth, no ``-0``."""
    if value == 0:
        return "0"
    size = abs(value)
    if size >= 1e6 or size < 1e-3:
        mantissa, exponent = f"{value:.3e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    text = f"{value:.6g}" if step is None else f"{value:.{_decimals(step)}f}"
    return "0" if float(text) == 0 else text


@dataclass(frozen=True)
class Axis:
    """A value axis: the range ``[lo, hi]`` it spans, its ticks and whether it is
    logarithmic. :meth:`fraction` places a value along it (0 at ``lo``, 1 at ``hi``)."""

    lo: float
    hi: float
    ticks: tuple[float, ...]
    log: bool = False

    def fraction(self, value: float) -> float:
        if self.log:
            value = max(value, self.lo)
            return (math.log10(value) - math.log10(self.lo)) / (
                math.log10(self.hi) - math.log10(self.lo)
            )
        return (value - self.lo) / (self.hi - self.lo)

    def label(self, value: float) -> str:
        if self.log:
            return tick_label(value)
        step = self.ticks[1] - self.ticks[0] if len(self.ticks) > 1 else None
        return tick_label(value, step)

    @property
    def crosses_zero(self) -> bool:
        """Whether zero lies strictly inside the axis (and gets a zero line)."""
        return not self.log and self.lo < 0 < self.hi


def value_axis(
    values: Iterable[float],
    *,
    lower: float | None = None,
    upper: float | None = None,
    include_zero: bool = False,
    integer: bool = False,
    log: bool = False,
    tight: bool = False,
    count: int = 5,
) -> Axis:
    """An axis for ``values`` (non-finite ones ignored). ``lower``/``upper`` fix an end
    (a probability axis is ``lower=0, upper=1``); ``include_zero`` stretches the range
    to zero; ``log`` gives a logarithmic axis over the positive values; ``tight`` ends
    the axis at the data (the ticks inside it) instead of at the outer nice ticks."""
    finite = [float(v) for v in values if math.isfinite(v)]
    if log:
        positive = [v for v in finite if v > 0]
        if lower is not None and lower > 0:
            positive.append(lower)
        if upper is not None and upper > 0:
            positive.append(upper)
        if not positive:
            positive = [1.0]
        ticks = log_ticks(min(positive), max(positive))
        return Axis(ticks[0], ticks[-1], tuple(ticks), log=True)
    if lower is not None:
        finite.append(lower)
    if upper is not None:
        finite.append(upper)
    if include_zero:
        finite.append(0.0)
    if not finite:
        finite = [0.0, 1.0]
    ticks = nice_ticks(min(finite), max(finite), count, integer=integer)
    lo = lower if lower is not None else min(finite) if tight else ticks[0]
    hi = upper if upper is not None else max(finite) if tight else ticks[-1]
    if hi <= lo:
        lo, hi = ticks[0], ticks[-1]
    inside = tuple(t for t in ticks if lo - 1e-12 <= t <= hi + 1e-12)
    return Axis(lo, hi, inside)


# ---- legends ------------------------------------------------------------------------------


DASHES = ("", "6 3", "2 2")
"""Line dash patterns, used in turn once the palette's colours are all taken."""


def series_style(k: int) -> tuple[str, str]:
    """The colour and dash pattern of the ``k``-th series: the palette's colours first
    with solid lines, then again dashed, then dotted, so no two of 30 series look alike."""
    return PALETTE[k % len(PALETTE)], DASHES[(k // len(PALETTE)) % len(DASHES)]


def _dash(dash: str) -> str:
    return f" stroke-dasharray='{dash}'" if dash else ""


def legend_svg(
    entries: Sequence[tuple[str, str] | tuple[str, str, str]],
    x: float,
    y: float,
    *,
    row: int = 18,
) -> str:
    """A legend: one ``(name, colour)`` or ``(name, colour, dash)`` per row from
    ``(x, y)``: a swatch (a line sample when a dash pattern is given) then the name."""
    out = []
    for k, entry in enumerate(entries):
        name, colour = entry[0], entry[1]
        dash = entry[2] if len(entry) > 2 else None
        top = y + k * row
        if dash is None:
            swatch = f"<rect x='{x:.1f}' y='{top:.1f}' width='12' height='12' fill='{colour}'/>"
        else:
            swatch = (
                f"<line x1='{x:.1f}' y1='{top + 6:.1f}' x2='{x + 14:.1f}' y2='{top + 6:.1f}' "
                f"stroke='{colour}' stroke-width='3'{_dash(dash)}/>"
            )
        out.append(
            f"{swatch}<text x='{x + 18:.1f}' y='{top + 10:.1f}' font-size='12'>"
            f"{escape(name)}</text>"
        )
    return "".join(out)


def diverging_colour(t: float) -> str:
    """Blue for negative, white at zero, red for positive; ``t`` in [-1, 1] (clipped)."""
    t = max(-1.0, min(1.0, t))
    if t >= 0:
        r, g, b = 255, int(255 - 140 * t), int(255 - 150 * t)
    else:
        r, g, b = int(255 + 150 * t), int(255 + 110 * t), 255
    return f"rgb({r},{g},{b})"


def colour_scale_svg(
    lo: float,
    hi: float,
    colour: Callable[[float], str],
    x: float,
    y: float,
    *,
    height: float = 160,
    label: str = "",
    steps: int = 32,
) -> str:
    """A vertical colour bar for a heat map: ``colour(value)`` from ``lo`` (bottom) to
    ``hi`` (top) in ``steps`` bands, with nice ticks and an optional label above it."""
    axis = value_axis([lo, hi])
    axis = Axis(lo, hi, tuple(t for t in axis.ticks if lo <= t <= hi) or (lo, hi))
    band = height / steps
    out = (
        [f"<text x='{x:.1f}' y='{y - 6:.1f}' font-size='11'>{escape(label)}</text>"]
        if label
        else []
    )
    for k in range(steps):
        value = hi - (k + 0.5) * (hi - lo) / steps
        out.append(
            f"<rect x='{x:.1f}' y='{y + k * band:.1f}' width='14' height='{band + 0.5:.1f}' "
            f"fill='{colour(value)}'/>"
        )
    out.append(
        f"<rect x='{x:.1f}' y='{y:.1f}' width='14' height='{height:.1f}' fill='none' "
        "stroke='#999'/>"
    )
    for t in axis.ticks:
        ty = y + (1 - axis.fraction(t)) * height
        out.append(
            f"<line x1='{x + 14:.1f}' y1='{ty:.1f}' x2='{x + 18:.1f}' y2='{ty:.1f}' "
            f"stroke='#555'/><text x='{x + 21:.1f}' y='{ty + 4:.1f}' font-size='11'>"
            f"{axis.label(t)}</text>"
        )
    return "".join(out)


# ---- line chart ---------------------------------------------------------------------------


def line_chart_svg(
    series: Mapping[str, Sequence[Point]],
    *,
    x_label: str,
    y_label: str,
    probability: bool = False,
    include_zero: bool = False,
    log_y: bool = False,
    integer_x: bool = True,
    bands: Mapping[str, Sequence[tuple[float, float, float]]] | None = None,
    width: int = 720,
    height: int = 300,
) -> str:
    """An SVG line chart of named series of ``(x, y)`` points with a legend.

    ``probability``: the y axis runs from 0 to 1. ``include_zero``: it reaches zero (for
    quantities whose size matters: exploitability, resources, losses). ``log_y``: a
    logarithmic y axis (points at or below zero are left out and counted in a note).
    ``integer_x``: whole-number x ticks (rounds, generations, steps). ``bands[name]``
    shades ``(x, low, high)`` around a series (an interval). Non-finite points are
    skipped. Where the y axis crosses zero a darker line marks it.
    """
    bands = bands or {}
    clean = {
        name: [
            (float(x), float(y))
            for x, y in pts
            if math.isfinite(x) and math.isfinite(y) and (y > 0 or not log_y)
        ]
        for name, pts in series.items()
    }
    dropped = sum(len(pts) for pts in series.values()) - sum(len(p) for p in clean.values())
    xs = [x for pts in clean.values() for x, _ in pts]
    if not xs:
        return "<p>No points yet.</p>"
    ys = [y for pts in clean.values() for _, y in pts]
    ys += [v for b in bands.values() for _, lo, hi in b for v in (lo, hi)]
    y_axis = value_axis(
        ys,
        lower=0.0 if probability else None,
        upper=1.0 if probability else None,
        include_zero=include_zero and not log_y,
        log=log_y,
    )
    x_axis = value_axis(xs, integer=integer_x, tight=True)
    names = list(clean)
    legend_w = min(220, 26 + 7 * max(len(n) for n in names))
    left, right, top, bottom = 64, legend_w + 16, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(x: float) -> float:
        return left + x_axis.fraction(x) * plot_w

    def py(y: float) -> float:
        y = min(max(y, y_axis.lo), y_axis.hi) if not y_axis.log else max(y, y_axis.lo)
        return top + (1 - y_axis.fraction(y)) * plot_h

    aria = escape(y_label or "curves", quote=True)
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='{aria}'>",
        f"<rect x='{left}' y='{top}' width='{plot_w}' height='{plot_h}' fill='none' "
        "stroke='#bbb'/>",
    ]
    for t in y_axis.ticks:
        y = py(t)
        zero = t == 0 and y_axis.crosses_zero
        line = "stroke='#666' class='zero'" if zero else "stroke='#eee'"
        out.append(
            f"<line x1='{left - 4}' y1='{y:.1f}' x2='{left + plot_w}' y2='{y:.1f}' {line}/>"
            f"<text x='{left - 6}' y='{y + 4:.1f}' text-anchor='end' font-size='11'>"
            f"{y_axis.label(t)}</text>"
        )
    for t in x_axis.ticks:
        x = px(t)
        out.append(
            f"<line x1='{x:.1f}' y1='{top + plot_h}' x2='{x:.1f}' y2='{top + plot_h + 4}' "
            f"stroke='#999'/><text x='{x:.1f}' y='{top + plot_h + 16}' text-anchor='middle' "
            f"font-size='11'>{x_axis.label(t)}</text>"
        )
    y_title = f"{y_label}{' (log scale)' if log_y else ''}"
    out.append(
        f"<text x='{left + plot_w / 2:.1f}' y='{height - 6}' text-anchor='middle' "
        f"font-size='12'>{escape(x_label)}</text>"
        f"<text transform='translate(14,{top + plot_h / 2:.1f}) rotate(-90)' "
        f"text-anchor='middle' font-size='12'>{escape(y_title)}</text>"
    )
    for k, (name, pts) in enumerate(clean.items()):
        colour, dash = series_style(k)
        band = [
            (x, lo, hi)
            for x, lo, hi in bands.get(name, ())
            if math.isfinite(x) and math.isfinite(lo) and math.isfinite(hi)
        ]
        if band:
            upper = " ".join(f"{px(x):.1f},{py(hi):.1f}" for x, _, hi in band)
            lower = " ".join(f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(band))
            out.append(
                f"<polygon points='{upper} {lower}' fill='{colour}' fill-opacity='0.18' "
                "stroke='none'/>"
            )
        if pts:
            path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(
                f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'"
                f"{_dash(dash)}>"
                f"<title>{escape(name)}</title></polyline>"
            )
            for x, y in pts if len(pts) <= 60 else ():
                out.append(
                    f"<circle cx='{px(x):.1f}' cy='{py(y):.1f}' r='2.5' fill='{colour}'>"
                    f"<title>{escape(name)}: {tick_label(x)}, {y:.4g}</title></circle>"
                )
    legend = [(name, *series_style(k)) for k, name in enumerate(names)]
    out.append(legend_svg(legend, left + plot_w + 12, top + 2))
    if dropped and log_y:
        out.append(
            f"<text x='{left + 4}' y='{top + plot_h - 4}' font-size='11' fill='#666'>"
            f"{dropped} point(s) at or below 0 not shown on the log scale</text>"
        )
    out.append("</svg>")
    return "".join(out)


def rate_axis_svg(x0: float, width: float, y_top: float, y_bottom: float) -> str:
    """Grid lines and labels of a horizontal probability axis (0 to 1 in steps of 0.2)
    spanning ``width`` pixels from ``x0``, labelled just below ``y_bottom``."""
    axis = value_axis([], lower=0.0, upper=1.0)
    out = []
    for t in axis.ticks:
        x = x0 + axis.fraction(t) * width
        out.append(
            f"<line x1='{x:.1f}' y1='{y_top:.1f}' x2='{x:.1f}' y2='{y_bottom:.1f}' "
            f"stroke='{'#999' if t == 0 else '#eee'}'/><text x='{x:.1f}' "
            f"y='{y_bottom + 14:.1f}' font-size='11' text-anchor='middle'>{axis.label(t)}</text>"
        )
    return "".join(out)
