"""Reports of the social recipe kinds (``donor_evolution``, ``commons_norms``): single
HTML files with tables and inline-SVG line charts, in the style of
:mod:`redqueen.report.html`, rendered from a run's stored config and result.

The charts are :func:`redqueen.report.charts.line_chart_svg`: rates and the Gini
coefficient on a 0-to-1 axis, resources on a logarithmic axis with ticks at powers of
ten, counts and stocks on axes from 0. The commons table's Gini is the mean over
matches of the Gini coefficient of the agents' net returns; the note under the table
says how negative returns (fines can exceed a harvest) entered it: kept, with the
coefficient normalised by the mean absolute return
(:func:`redqueen.measure.social.gini` with ``allow_negative``), when the result says
``"gini_negatives": "kept"``, and otherwise counted as 0, which is what results
without that field did.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.charts import line_chart_svg
from redqueen.report.html import page_head, write_page

GINI_NOTES = {
    "kept": "Gini: mean over matches of the Gini coefficient of the agents' net returns; "
    "negative returns are kept and the coefficient is normalised by the mean absolute "
    "return (Raffinetti, Siletti & Vernizzi 2015), so it stays in [0, (n-1)/n].",
    "clamped": "Gini: mean over matches of the Gini coefficient of the agents' net returns "
    "with negative returns counted as 0, which understates the inequality that fines "
    "create.",
}
"""The note under the commons table, by how the result's Gini treated negative returns
(``"gini_negatives"``; results without it counted them as 0)."""


def _gini_note(result: dict[str, Any]) -> str:
    """The note for ``result``'s Gini (results without ``gini_negatives`` clamped)."""
    return GINI_NOTES.get(str(result.get("gini_negatives")), GINI_NOTES["clamped"])


def donor_evolution_report(
    run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None
) -> Path:
    """The report of a ``donor_evolution`` run (``result``: its stored result, None
    before the first run ends), written to ``run_dir/report.html``."""
    parts = page_head(config)
    if result is None:
        parts.append("<p>No results yet.</p>")
        return write_page(run_dir, parts, config)
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
            "rate / Gini",
            probability=True,
        ),
        "<h2>Mean final resources by generation (log scale)</h2>",
        _line_chart(
            {"mean resources": mean["mean_resources"]},
            gens,
            "generation",
            "mean resources",
            log_y=True,
        ),
        "<h2>Strategies in the population (mean count over runs)</h2>",
        _line_chart(mean["counts"], gens, "generation", "agents", include_zero=True),
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
    return write_page(run_dir, parts, config)


def commons_norms_report(
    run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None
) -> Path:
    """The report of a ``commons_norms`` run (``result``: its stored result, None
    before the first run ends), written to ``run_dir/report.html``."""
    parts = page_head(config)
    if result is None:
        parts.append("<p>No results yet.</p>")
        return write_page(run_dir, parts, config)
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
        f"<p class='sub'>{escape(_gini_note(result))}</p>",
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
            _line_chart(
                series, rounds, "round (0: start; 0 after a collapse)", "stock", include_zero=True
            ),
        ]
    return write_page(run_dir, parts, config)


# ---- html helpers ---------------------------------------------------------------------------


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


def _line_chart(
    series: dict[str, list[float]],
    xs: list[int],
    x_label: str,
    y_label: str,
    *,
    probability: bool = False,
    include_zero: bool = False,
    log_y: bool = False,
) -> str:
    """Lines over ``xs`` with a legend (:func:`redqueen.report.charts.line_chart_svg`);
    missing and NaN points are skipped."""
    points = {
        name: [(x, y) for x, y in zip(xs, ys, strict=False) if y is not None]
        for name, ys in series.items()
    }
    return line_chart_svg(
        points,
        x_label=x_label,
        y_label=y_label,
        probability=probability,
        include_zero=include_zero,
        log_y=log_y,
    )
