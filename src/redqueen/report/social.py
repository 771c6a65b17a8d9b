"""Reports of the social recipe kinds (``donor_evolution``, ``commons_norms``): single
HTML files with tables and inline-SVG line charts, in the style of
:mod:`redqueen.report.html`, rendered from a run's stored config and result."""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.html import _CSS, REPORT_NAME

_PALETTE = (
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3",
    "#937860", "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd",
)  # fmt: skip


def donor_evolution_report(
    run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None
) -> Path:
    """The report of a ``donor_evolution`` run (``result``: its stored result, None
    before the first run ends), written to ``run_dir/report.html``."""
    parts = _head(config)
    if result is None:
        parts.append("<p>No results yet.</p>")
        return _write(run_dir, parts, config)
    mean = result["mean"]
    gens = list(range(len(mean["donation_rate"])))
    parts += [
        f"<p>{len(result['runs'])} run(s) of {len(gens)} generations; population "
        f"{escape(', '.join(config.get('population', [])))}; computed in "
        f"{result['seconds']:.1f} s.</p>",
        "<h2>Donation rate by generation (mean over runs)</h2>",
        _line_chart(
            {
                "donation rate": mean["donation_rate"],
                "cooperation rate": mean["cooperation_rate"],
                "Gini of resources": mean["gini"],
            },
            gens,
            "generation",
        ),
        "<h2>Mean final resources by generation (log10)</h2>",
        _line_chart(
            {"log10 mean resources": [_log10(v) for v in mean["mean_resources"]]},
            gens,
            "generation",
        ),
        "<h2>Strategies in the population (mean count over runs)</h2>",
        _line_chart(mean["counts"], gens, "generation"),
        "<h2>Per generation</h2>",
        _table(
            [
                "generation",
                "mean resources",
                "donation rate",
                "cooperation",
                "Gini",
                "punishment",
                "antisocial",
                "mean give",
                "mean threshold",
            ],
            [
                [
                    g,
                    mean["mean_resources"][g],
                    mean["donation_rate"][g],
                    mean["cooperation_rate"][g],
                    mean["gini"][g],
                    mean["punishment_rate"][g],
                    mean["antisocial_punishment"][g],
                    mean["mean_give"][g],
                    mean["mean_threshold"][g],
                ]
                for g in gens
            ],
        ),
    ]
    return _write(run_dir, parts, config)


def commons_norms_report(
    run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None
) -> Path:
    """The report of a ``commons_norms`` run (``result``: its stored result, None
    before the first run ends), written to ``run_dir/report.html``."""
    parts = _head(config)
    if result is None:
        parts.append("<p>No results yet.</p>")
        return _write(run_dir, parts, config)
    cells = result["cells"]
    parts += [
        f"<p>{len(cells)} cells x {config.get('matches')} matches; computed in "
        f"{result['seconds']:.1f} s. Welfare ratio: mean total harvest over the best total "
        "harvest of any common constant effort in the same preset without institutions."
        "</p>",
        "<h2>Outcomes</h2>",
        _table(
            [
                "preset",
                "institution",
                "population",
                "welfare",
                "welfare ratio",
                "collapse rate",
                "collapse round",
                "Gini",
                "compliance",
                "fined share",
                "norm settles",
            ],
            [
                [
                    c["preset"],
                    c["institution"],
                    c["population"],
                    c["welfare"],
                    c["welfare_ratio"],
                    c["collapse_rate"],
                    c["mean_collapse_round"],
                    c["gini"],
                    c["compliance"],
                    c["fined_share"],
                    c["norm_convergence_round"],
                ]
                for c in cells
            ],
        ),
    ]
    for preset in dict.fromkeys(c["preset"] for c in cells):
        series = {
            f"{c['population']} / {c['institution']}": c["stock"]
            for c in cells
            if c["preset"] == preset
        }
        rounds = list(range(len(next(iter(series.values())))))
        parts += [
            f"<h2>Mean stock at the start of each round: {escape(preset)}</h2>",
            _line_chart(series, rounds, "round (0: start; 0 after a collapse)"),
        ]
    return _write(run_dir, parts, config)


# ---- html helpers ---------------------------------------------------------------------------


def _head(config: dict[str, Any]) -> list[str]:
    title = escape(str(config.get("name", "run")))
    return [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>redqueen · {title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p class='sub'>{escape(str(config.get('description', '')))}</p>",
    ]


def _write(run_dir: Path, parts: list[str], config: dict[str, Any]) -> Path:
    parts += [
        "<h2>Config</h2>",
        f"<pre>{escape(json.dumps(config, indent=2, sort_keys=True))}</pre>",
        "</body></html>",
    ]
    path = Path(run_dir) / REPORT_NAME
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(path)
    return path


def _fmt(x: Any) -> str:
    if isinstance(x, str):
        return escape(x)
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, int):
        return str(x)
    return f"{x:.3g}"


def _table(head: list[str], rows: list[list[Any]]) -> str:
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{_fmt(v)}</td>" for v in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _line_chart(series: dict[str, list[float]], xs: list[int], xlabel: str) -> str:
    """Lines over ``xs`` with a legend; NaN points are skipped."""
    values = [v for ys in series.values() for v in ys if v is not None and math.isfinite(v)]
    if not values or not xs:
        return "<p>Nothing to plot.</p>"
    lo, hi = min(*values, 0.0), max(values)
    if hi == lo:
        hi = lo + 1.0
    width, height, left, bottom, legend_w = 720, 260, 50, 30, 190
    plot_w, plot_h = width - left - legend_w - 10, height - bottom - 10
    span = max(xs[-1] - xs[0], 1)

    def px(x: float) -> float:
        return left + (x - xs[0]) / span * plot_w

    def py(y: float) -> float:
        return 10 + (hi - y) / (hi - lo) * plot_h

    out = [f"<svg width='{width}' height='{height}' role='img' aria-label='{escape(xlabel)}'>"]
    out.append(
        f"<line x1='{left}' y1='{py(lo):.1f}' x2='{left + plot_w}' y2='{py(lo):.1f}' "
        "stroke='#999'/>"
        f"<line x1='{left}' y1='10' x2='{left}' y2='{py(lo):.1f}' stroke='#999'/>"
        f"<text x='{left - 4}' y='{py(hi) + 4:.1f}' font-size='11' text-anchor='end'>"
        f"{_fmt(hi)}</text>"
        f"<text x='{left - 4}' y='{py(lo) + 4:.1f}' font-size='11' text-anchor='end'>"
        f"{_fmt(lo)}</text>"
        f"<text x='{left}' y='{height - 4}' font-size='11'>{xs[0]}</text>"
        f"<text x='{left + plot_w}' y='{height - 4}' font-size='11' text-anchor='end'>"
        f"{xs[-1]}</text>"
        f"<text x='{left + plot_w / 2:.1f}' y='{height - 4}' font-size='11' "
        f"text-anchor='middle'>{escape(xlabel)}</text>"
    )
    for k, (name, ys) in enumerate(series.items()):
        colour = _PALETTE[k % len(_PALETTE)]
        points = [
            f"{px(x):.1f},{py(y):.1f}"
            for x, y in zip(xs, ys, strict=False)
            if y is not None and math.isfinite(y)
        ]
        if points:
            out.append(
                f"<polyline fill='none' stroke='{colour}' stroke-width='2' "
                f"points='{' '.join(points)}'><title>{escape(name)}</title></polyline>"
            )
        ly = 16 + 16 * k
        out.append(
            f"<rect x='{width - legend_w}' y='{ly - 9}' width='10' height='10' "
            f"fill='{colour}'/><text x='{width - legend_w + 14}' y='{ly}' font-size='11'>"
            f"{escape(name)}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _log10(x: float) -> float:
    return math.log10(x) if x is not None and x > 0 else math.nan
