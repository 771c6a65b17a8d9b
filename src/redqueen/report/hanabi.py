"""The HTML report of the ``hanabi_eval`` recipe kind (:mod:`redqueen.experiments.hanabi`).

One self-contained page per run (inline CSS and SVG, no scripts, no network), rendered
from the summary rows the experiment computes from the run's store, one per (preset,
team), so ``redqueen report RUN`` works on a finished run and on one still going:

- a chart of every team's mean score on every preset with its 95% interval (a bounded
  score interval on ``[0, max score]``), with the OpenSpiel random-play reference marked;
- per preset, a table: mean score, share of the maximum, perfect games, games lost with
  the last life (95% Wilson intervals with count/n), cards played, decisions per game, and
  per seat the matches with an invalid move and the forfeits;
- per preset, how often each score was reached;
- the LLM calls (usage, transcripts) and the LLM matches, if any.

Every string from a config, a match key or a model is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.charts import legend_svg, series_style, value_axis
from redqueen.report.html import failed_section
from redqueen.report.learning import page_html, write_html
from redqueen.report.llm_games import fmt, html_table, match_links, rate_html, stacked_cell
from redqueen.report.transcripts import llm_section

REPORT_NAME = "report.html"


def score_cell(score: Mapping[str, Any] | None) -> str:
    """A mean score stacked over its interval and n: ``2.396`` / ``[2.37, 2.42]`` /
    ``n=3000``."""
    if not score or not score.get("n") or score.get("mean") is None:
        return "–"
    interval = (
        "" if score.get("low") is None else f"[{fmt(score['low'], 2)}, {fmt(score['high'], 2)}]"
    )
    return stacked_cell(fmt(score["mean"]), interval, f"n={score['n']}")


def _per_seat(rates: Sequence[Mapping[str, Any]]) -> str:
    return "<br>".join(f"seat {s}: {escape(_rate_line(r))}" for s, r in enumerate(rates))


def _rate_line(rate: Mapping[str, Any]) -> str:
    if not rate or not rate.get("n"):
        return "–"
    return f"{fmt(rate['rate'])} ({rate['count']}/{rate['n']})"


def preset_table_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """One preset's teams: scores, rates and counts (see the module docstring); the
    invalid-move and forfeit columns only where a team has an LLM seat."""
    llm = any("llm" in r["seats"] for r in rows)
    head = [
        "team (seat 0 + seat 1)",
        "mean score (95%)",
        "share of max",
        "perfect games",
        "lost with the last life",
        "cards played",
        "decisions",
    ]
    if llm:
        head += ["matches with an invalid move", "forfeits"]
    body = []
    for r in rows:
        mean = r["score"].get("mean")
        share = None if mean is None else mean / r["max_score"]
        ref = r.get("reference_random_mean")
        score = score_cell(r["score"])
        if ref is not None:
            score += f"<br><small>OpenSpiel random play: {fmt(ref, 2)}</small>"
        cells = [
            escape(r["team"]),
            score,
            escape(fmt(share)),
            rate_html(r["perfect"]),
            rate_html(r["lives_out"]),
            escape(fmt(r["cards_played"], 2)),
            escape(fmt(r["decisions"], 1)),
        ]
        if llm:
            cells += [_per_seat(r["invalid"]), _per_seat(r["forfeits"])]
        body.append(cells)
    return html_table(head, body)


def distribution_table_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """How many matches of each team ended with each score."""
    best = int(rows[0]["max_score"]) if rows else 0
    head = ["team", *(f"score {s}" for s in range(best + 1))]
    body = [[escape(r["team"]), *(str(c) for c in r["distribution"])] for r in rows]
    return html_table(head, body)


def scores_chart_svg(rows: Sequence[Mapping[str, Any]], width: int = 720) -> str:
    """Each team's mean score per preset, a dot with its interval as a whisker, on a
    common score axis; the random-play reference is a grey tick on the random team's row."""
    shown = [r for r in rows if r["score"].get("mean") is not None]
    if not shown:
        return "<p>No matches yet.</p>"
    teams = list(dict.fromkeys(r["team"] for r in shown))
    presets = list(dict.fromkeys(r["preset"] for r in shown))
    best = max(float(r["max_score"]) for r in shown)
    axis = value_axis([best], lower=0.0, upper=best, integer=True)
    label_w, row_h, gap, legend_h, axis_h = 90, 14, 14, 18 * len(teams) + 8, 28
    plot_w = width - label_w - 20
    group_h = row_h * len(teams) + gap
    height = legend_h + group_h * len(presets) + axis_h

    def x(v: float) -> float:
        return label_w + axis.fraction(v) * plot_w

    colours = {t: series_style(k)[0] for k, t in enumerate(teams)}
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "role='img' aria-label='mean score per preset and team, with 95% intervals'>",
        legend_svg([(t, colours[t]) for t in teams], label_w, 4),
    ]
    bottom = height - axis_h + 4
    for tick in axis.ticks:
        out.append(
            f"<line x1='{x(tick):.1f}' y1='{legend_h}' x2='{x(tick):.1f}' y2='{bottom}' "
            "stroke='#ddd'/>"
            f"<text x='{x(tick):.1f}' y='{bottom + 14}' font-size='11' text-anchor='middle'>"
            f"{escape(axis.label(tick))}</text>"
        )
    out.append(
        f"<text x='{label_w + plot_w / 2:.1f}' y='{height - 2}' font-size='11' "
        "text-anchor='middle'>mean score</text>"
    )
    by_key = {(r["preset"], r["team"]): r for r in shown}
    for i, preset in enumerate(presets):
        y0 = legend_h + i * group_h
        out.append(
            f"<text x='{label_w - 8}' y='{y0 + group_h / 2:.1f}' text-anchor='end' "
            f"font-size='12'>{escape(preset)}</text>"
        )
        for k, team in enumerate(teams):
            r = by_key.get((preset, team))
            if r is None:
                continue
            s = r["score"]
            y = y0 + k * row_h + row_h / 2
            tip = escape(f"{preset} / {team}: {fmt(s['mean'])} (n={s['n']})")
            if s.get("low") is not None:
                out.append(
                    f"<line x1='{x(s['low']):.1f}' y1='{y:.1f}' x2='{x(s['high']):.1f}' "
                    f"y2='{y:.1f}' stroke='{colours[team]}' stroke-width='2'/>"
                )
            out.append(
                f"<circle cx='{x(s['mean']):.1f}' cy='{y:.1f}' r='4' fill='{colours[team]}'>"
                f"<title>{tip}</title></circle>"
            )
            ref = r.get("reference_random_mean")
            if ref is not None:
                out.append(
                    f"<line x1='{x(ref):.1f}' y1='{y - 6:.1f}' x2='{x(ref):.1f}' "
                    f"y2='{y + 6:.1f}' stroke='#777' stroke-width='2'>"
                    f"<title>OpenSpiel random play: {fmt(ref, 2)}</title></line>"
                )
    out.append("</svg>")
    return "".join(out)


def hanabi_sections(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """The chart, then per preset its table and its score distribution."""
    sections = [
        (
            "Mean score",
            "<p class='sub'>Dots: mean score; whiskers: 95% bounded score interval on "
            "[0, max score]; grey ticks: the mean of uniformly random play measured with "
            "OpenSpiel 2.0.2 over 3,000 games.</p>" + scores_chart_svg(rows),
        )
    ]
    presets: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        presets.setdefault(r["preset"], []).append(r)
    for preset, group in presets.items():
        best = group[0]["max_score"]
        sections.append(
            (
                f"{preset} (max score {best})",
                "<p class='sub'>Rates: 95% Wilson score intervals with count/n. A forfeit "
                "scores 0.</p>"
                + preset_table_html(group)
                + "<h3>Scores reached (matches)</h3>"
                + distribution_table_html(group),
            )
        )
    return sections


def write_hanabi_report(
    run_dir: str | Path,
    config: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    llm_keys: Sequence[str],
    failed: Mapping[str, str] | None = None,
) -> Path:
    """Write the ``hanabi_eval`` report into ``run_dir``; return its path. ``rows``: one
    summary row per (preset, team); ``llm_keys``: the stored matches with an LLM seat;
    ``failed``: the matches the last run could not play, with their causes."""
    run_dir = Path(run_dir)
    matches = sum(int(r["matches"]) for r in rows)
    sections: list[tuple[str, str]] = []
    failures = failed_section(dict(failed or {}))
    if failures:
        sections.append(("Failed matches", "".join(failures[1:])))
    sections += hanabi_sections(rows) if matches else [("Results", "<p>No matches yet.</p>")]
    if llm_keys:
        sections.append(("LLM matches", match_links(list(llm_keys))))
    title = str(config.get("name", "hanabi"))
    subtitle = (
        f"Hanabi as MARS plays it · {len(rows)} (preset, team) groups · {matches} matches "
        f"stored · seed {config.get('seed', '')}"
    )
    html = page_html(title, sections, subtitle=subtitle, config=config)
    llm = llm_section(run_dir)
    if llm:
        html = html.replace("</body></html>", f"{llm}</body></html>")
    return write_html(run_dir / REPORT_NAME, html)
