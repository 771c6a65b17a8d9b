"""The report of a Digital Red Queen run (:mod:`redqueen.learn.red_queen`): champion
fitness by round, generality against held-out warriors, diversity across runs and each
run's champions with their code, as one HTML file with inline SVG charts.

The charts are :func:`redqueen.report.charts.line_chart_svg`: fitness (a survival share)
and the fraction of held-out warriors beaten on probability axes from 0 to 1, diversity
on an axis from 0, with nice ticks and a legend. A champion's code wraps inside its
table cell, so an opened champion does not widen the page."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.charts import line_chart_svg

REPORT_NAME = "report.html"

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:960px;color:#1b1b1f;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e3e3e8;text-align:right;
white-space:nowrap}th:first-child,td:first-child{text-align:left}th{background:#f5f5f8}
pre{background:#f5f5f8;padding:.6rem;overflow-x:auto;font-size:.8rem;text-align:left}
td pre{white-space:pre-wrap;overflow-wrap:anywhere;max-width:36rem}
svg text{font-family:inherit}details summary{cursor:pointer}
"""


def _rounds_table(records: Sequence[Mapping[str, Any]]) -> str:
    rows = [
        "<table><tr><th>round</th><th>fitness</th><th>processes</th><th>coverage</th>"
        "<th>cells</th><th>evaluated</th><th>invalid</th><th>beats all earlier</th>"
        "<th>champion</th></tr>"
    ]
    for r in records:
        c = r["champion"]
        beats = "-" if not r["versus"] else ("yes" if r["beats_all"] else "no")
        rows.append(
            f"<tr><td>{r['round']}</td><td>{c['fitness']:.3f}</td><td>{c['processes']:.1f}</td>"
            f"<td>{c['coverage']:.1f}</td><td>{r['cells']}</td><td>{r['evaluated']}</td>"
            f"<td>{r['invalid']}</td><td>{beats}</td><td><details><summary>{c['length']} "
            f"lines ({escape(c['origin'])})</summary><pre>{escape(c['source'])}</pre>"
            "</details></td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def _generality_table(runs: Sequence[Sequence[Mapping[str, Any]]]) -> str:
    rows = ["<table><tr><th>run</th><th>round</th><th>beaten</th><th>mean score</th></tr>"]
    for k, records in enumerate(runs):
        for r in records:
            g = r["generality"]
            if g is not None:
                rows.append(
                    f"<tr><td>{k}</td><td>{r['round']}</td><td>{g['beaten']:.0%}</td>"
                    f"<td>{g['score']:.2f}</td></tr>"
                )
    rows.append("</table>")
    return "".join(rows)


def write_red_queen_report(
    run_dir: str | Path,
    config: Mapping[str, Any],
    runs: Sequence[Sequence[Mapping[str, Any]]],
    div: Sequence[Mapping[str, Any]],
) -> Path:
    """Write ``report.html`` for a DRQ run; return its path. ``runs``: each run's round
    records as dicts (``RoundRecord.to_dict()``, the champion's dict with ``length``, its
    number of instructions); ``div``: the diversity across runs of each round."""
    run_dir = Path(run_dir)
    title = escape(str(config.get("name", run_dir.name)))
    fitness = {
        f"run {k}": [(r["round"], r["champion"]["fitness"]) for r in rs]
        for k, rs in enumerate(runs)
    }
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>redqueen · {title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p class='sub'>{escape(str(config.get('description', '')))}</p>",
        "<p>Digital Red Queen (Kumar et al. 2026): each round, MAP-Elites evolves a warrior "
        "against every earlier champion; fitness is the survival share. "
        f"Generator <b>{escape(str(config.get('generator', '?')))}</b> · core "
        f"{escape(str(config.get('coresize')))} · {len(runs)} run(s) · seed "
        f"{escape(str(config.get('seed')))}</p>",
        "<h2>Champion fitness by round</h2>",
        "<p class='sub'>Survival share against the earlier champions (round 0: w0 alone).</p>",
        line_chart_svg(fitness, x_label="round", y_label="champion fitness", probability=True),
    ]
    if any(r["generality"] is not None for rs in runs for r in rs):
        beaten = {
            f"run {k}": [
                (r["round"], r["generality"]["beaten"]) for r in rs if r["generality"] is not None
            ]
            for k, rs in enumerate(runs)
        }
        parts += [
            "<h2>Generality</h2>",
            "<p class='sub'>Fraction of held-out warriors each champion beats one on one, "
            "and its mean score per battle (3 per win, 1 per tie).</p>",
            line_chart_svg(
                beaten, x_label="round", y_label="held-out warriors beaten", probability=True
            ),
            _generality_table(runs),
        ]
    if len(runs) > 1 and div:
        curves = {
            "behavioural": [(t, float(d["behavioural"])) for t, d in enumerate(div)],
            "code": [(t, float(d["code"])) for t, d in enumerate(div)],
        }
        parts += [
            "<h2>Diversity across runs</h2>",
            "<p class='sub'>Mean pairwise distance between the runs' champions of each round: "
            "behavioural (log-scaled processes spawned and memory coverage) and code "
            "(edit distance over instruction lines, over the longer length).</p>",
            line_chart_svg(
                curves, x_label="round", y_label="diversity across runs", include_zero=True
            ),
            "<table><tr><th>round</th><th>behavioural</th><th>code</th></tr>",
            *(
                f"<tr><td>{t}</td><td>{d['behavioural']:.3f}</td><td>{d['code']:.3f}</td></tr>"
                for t, d in enumerate(div)
            ),
            "</table>",
        ]
    for k, rs in enumerate(runs):
        parts += [f"<h2>Champions of run {k}</h2>", _rounds_table(rs)]
    parts += [
        "<h2>Config</h2>",
        f"<pre>{escape(json.dumps(config, indent=2, sort_keys=True))}</pre>",
        "</body></html>",
    ]
    path = run_dir / REPORT_NAME
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text("\n".join(parts), encoding="utf-8")
    tmp.replace(path)
    return path
