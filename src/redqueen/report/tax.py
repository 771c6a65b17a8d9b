"""Reports of the tax-economy recipe kinds (``tax_saez``, ``tax_llm``, ``tax_democracy``):
single HTML files with tables and inline-SVG line charts
(:func:`redqueen.report.charts.line_chart_svg`), rendered from a run's stored config and
result, in the style of :mod:`redqueen.report.social`.

``tax_saez``: per planner, the social welfare at the workers' best response (mean over
skill draws with its 95% interval, :func:`redqueen.measure.statistics.mean_ci`), the
utilitarian welfare, mean hours and pre-tax income, the share of income taxed, the Gini
coefficient of post-tax income and how often the planner was the best of its draw; then
each draw's rates. ``tax_llm`` and ``tax_democracy``: per episode, the welfare, the mean
hours and every bracket's rate at each step, the elections, the invalid replies, and the
welfare that scripted best-responders would reach under the final rates and under Saez's.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.html import page_head, write_page
from redqueen.report.social import _line_chart, _table

MEASURES = ["swf", "utilitarian", "mean_hours", "mean_income", "tax_share", "gini_post_tax"]
HEADS = ["welfare", "utilitarian", "mean hours", "mean income", "tax share", "Gini post-tax"]


def tax_saez_report(run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None) -> Path:
    """The report of a ``tax_saez`` run, written to ``run_dir/report.html``."""
    parts = page_head(config)
    if result is None:
        parts.append("<p>No results yet.</p>")
        return write_page(run_dir, parts, config)
    draws = result["draws"]
    parts += [
        f"<p>{len(draws)} skill draw(s) of {config.get('workers')} workers "
        f"({escape(str(config.get('skill_distribution')))}); brackets "
        f"{escape(str(config.get('brackets')))}; welfare {escape(str(config.get('swf')))}; "
        f"computed in {result['seconds']:.1f} s. Every worker best-responds exactly to "
        "each planner's rates; the US federal planner uses its own seven 2024 brackets.</p>",
        "<h2>Planners (mean over draws)</h2>",
        _table(
            ["planner", "welfare", "95% low", "95% high", *HEADS[1:], "best of draw"],
            [
                [
                    row["planner"],
                    row["swf"],
                    row["swf_low"],
                    row["swf_high"],
                    *(row[m] for m in MEASURES[1:]),
                    row["best_share"],
                ]
                for row in result["summary"]
            ],
        ),
        "<h2>Rates by draw</h2>",
        _table(
            ["draw", "planner", "rates (%)", "welfare"],
            [
                [
                    d["draw"],
                    name,
                    ", ".join(f"{r:g}" for r in row["rates"]),
                    row["swf"],
                ]
                for d in draws
                for name, row in d["planners"].items()
            ],
        ),
    ]
    return write_page(run_dir, parts, config)


def tax_run_report(run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None) -> Path:
    """The report of a ``tax_llm`` or ``tax_democracy`` run (its episodes so far),
    written to ``run_dir/report.html``."""
    parts = page_head(config)
    episodes = (result or {}).get("episodes") or []
    if not episodes:
        parts.append("<p>No episodes yet.</p>")
        return write_page(run_dir, parts, config)
    parts.append(
        f"<p>{len(episodes)} episode(s) of {config.get('steps')} steps, {config.get('workers')} "
        f"workers, a tax year of {config.get('tax_year')} steps; brackets "
        f"{escape(str(config.get('brackets')))}; welfare {escape(str(config.get('swf')))}.</p>"
    )
    parts += [
        "<h2>Outcomes</h2>",
        _table(
            [
                "episode",
                "final rates (%)",
                "welfare, last step",
                "best response: final rates",
                "best response: Saez",
                "Saez rates (%)",
                "invalid: workers",
                "invalid: planner",
            ],
            [
                [
                    e["episode"],
                    ", ".join(f"{r:g}" for r in e["final_rates"]),
                    e["swf"][-1],
                    e["best_response"]["final"]["swf"],
                    e["best_response"]["saez"]["swf"],
                    ", ".join(f"{r:g}" for r in e["best_response"]["saez"]["rates"]),
                    sum(e["invalid_moves"]["workers"]),
                    e["invalid_moves"]["planner"],
                ]
                for e in episodes
            ],
        ),
    ]
    for e in episodes:
        steps = list(range(len(e["swf"])))
        rates = {
            f"bracket {j + 1}": [r[j] for r in e["rates"]] for j in range(len(e["final_rates"]))
        }
        parts += [
            f"<h2>Episode {e['episode']}: welfare by step</h2>",
            _line_chart({"social welfare": e["swf"]}, steps, "step", "welfare"),
            f"<h2>Episode {e['episode']}: marginal rates by step</h2>",
            _line_chart(rates, steps, "step", "rate (%)", include_zero=True),
            f"<h2>Episode {e['episode']}: mean hours by step</h2>",
            _line_chart({"mean hours": e["mean_hours"]}, steps, "step", "hours", include_zero=True),
        ]
        if e["elections"]:
            parts += [
                f"<h2>Episode {e['episode']}: elections</h2>",
                _table(
                    ["step", "candidates", "votes", "leader", "platform applied"],
                    [
                        [
                            el["step"],
                            sum(p is not None for p in el["platforms"]),
                            ", ".join("–" if v is None else str(v) for v in el["votes"]),
                            "none" if el["leader"] is None else str(el["leader"]),
                            "–"
                            if el["leader"] is None
                            else ", ".join(f"{d:+g}" for d in el["platforms"][el["leader"]]),
                        ]
                        for el in e["elections"]
                    ],
                ),
            ]
    return write_page(run_dir, parts, config)
