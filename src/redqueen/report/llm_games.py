"""The HTML reports of the LLM recipe kinds (:mod:`redqueen.experiments.llm_games`).

One self-contained page per run (inline CSS and SVG, no scripts, no network), rendered
from the summaries the experiment computes from the run's store, so ``redqueen report
RUN`` works on a finished run and on one that is still going or was killed:

- ``repeated_games_llm`` (Akata et al., "Playing repeated games with large language
  models", arXiv:2305.16867): per game, the LLM's cooperation rate (prisoner's dilemma)
  or the coordination rate (battle of the sexes) in each round, one line per opponent
  and variant (plain / predict-first), on a 0-to-1 axis; per opponent and variant, the
  mean points per round of both players with 95% Student-t intervals over matches, the
  rate with its 95% interval, and for predict-first the prediction accuracy and the
  belief-behaviour consistency. Rates pooled over the rounds of several matches carry
  the method they were computed with (``method`` in the rate dict:
  :func:`redqueen.measure.social.match_rate` makes the match the unit); the table's
  note names it, and a rate dict without one is labelled as a Wilson interval over all
  rounds, which treats rounds as independent.
- ``llm_vs_baselines``: per game and opponent, the LLM's win, draw, loss, invalid-move
  and forfeit rates with 95% Wilson intervals over matches, as a table and a bar chart.
- ``donor_cultural_evolution`` (Vallinder & Hughes, "Cultural evolution of cooperation
  among LLM agents", arXiv:2412.10270): per generation, the mean final resources, the
  mean fraction donated and the survivors' strategies (collapsible).

Every page ends with :func:`redqueen.report.transcripts.llm_section`: tokens, latency
and cost per agent and for the run, and the link to ``transcripts.html``. The numbers
are computed by the same summaries that write ``results.json``
(:func:`~redqueen.experiments.llm_games.summarise_repeated`,
:func:`~redqueen.experiments.llm_games.summarise_baselines`), so the two agree. Model
output is data: every string from a model, a config or a match key is escaped.

Tables fit a 1280-pixel window: each number sits above its interval and count in its
cell, and the repeated-games table has one block per game, so no column is cut off.
Charts use :mod:`redqueen.report.charts` (nice ticks, probability axes from 0 to 1,
legends).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from redqueen.measure.statistics import MeanCI
from redqueen.report.charts import PALETTE, line_chart_svg, rate_axis_svg
from redqueen.report.learning import page_start, write_html
from redqueen.report.transcripts import FILE_NAME as TRANSCRIPTS
from redqueen.report.transcripts import llm_section, match_anchor

REPORT_NAME = "report.html"

OUTCOMES = ("win", "draw", "loss", "invalid", "forfeit")
"""The rates of ``llm_vs_baselines``, in the order of the table and the chart."""


# ---- reading a run back -----------------------------------------------------------------


# ---- formatting -----------------------------------------------------------------------------


def fmt(x: Any, digits: int = 3) -> str:
    """A number with ``digits`` decimals; "–" for None and non-finite values."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    return f"{float(x):.{digits}f}"


POOLED_ROUNDS_METHOD = "95% Wilson interval over all rounds pooled (rounds taken as independent)"
"""The label of a pooled rate dict that does not name its method (how such rates were
computed before the match became the unit)."""


def rate_cell(rate: Mapping[str, Any] | None) -> str:
    """A rate as ``0.250 [0.046, 0.699] (1/4)``: the recipes' ``rate``, ``low``,
    ``high``, ``count``, ``n`` dict, with ``in 4 matches`` when the dict counts the
    matches it pools (:func:`redqueen.measure.social.match_rate`)."""
    if not rate or not rate.get("n"):
        return "–"
    where = f" in {rate['matches']} matches" if rate.get("matches") is not None else ""
    return (
        f"{fmt(rate['rate'])} [{fmt(rate['low'])}, {fmt(rate['high'])}] "
        f"({rate['count']}/{rate['n']}{where})"
    )


def name_html(text: Any) -> str:
    """A name for a narrow column: escaped, with a line-break opportunity after each
    underscore (``always_cooperate`` may wrap after ``always_``, never mid-word)."""
    return escape(str(text)).replace("_", "_<wbr>")


def stacked_cell(value: str, *details: str) -> str:
    """A table cell's HTML: ``value`` with each detail (an interval, a count) on its own
    smaller line below it, so that wide intervals do not widen the table."""
    lines = [escape(value), *(f"<small>{escape(d)}</small>" for d in details if d)]
    return "<br>".join(lines)


def rate_html(rate: Mapping[str, Any] | None) -> str:
    """:func:`rate_cell` stacked: the rate, its interval, then ``count/n`` (and the
    number of matches where the dict counts them)."""
    if not rate or not rate.get("n"):
        return "–"
    interval = "" if rate.get("low") is None else f"[{fmt(rate['low'])}, {fmt(rate['high'])}]"
    count = f"{rate['count']}/{rate['n']}"
    if rate.get("matches") is not None:
        count += f" in {rate['matches']} matches"
    return stacked_cell(fmt(rate["rate"]), interval, count)


def rate_methods(rates: Sequence[Mapping[str, Any] | None]) -> list[str]:
    """The distinct interval methods of ``rates`` (those with decisions), in order; a rate
    dict without a ``method`` is :data:`POOLED_ROUNDS_METHOD`."""
    found = [str(r.get("method") or POOLED_ROUNDS_METHOD) for r in rates if r and r.get("n")]
    return list(dict.fromkeys(found))


def table_html(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A table; every header and cell is escaped (cells that are not strings are
    formatted with :func:`fmt` first)."""
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        cells = (escape(v if isinstance(v, str) else fmt(v)) for v in row)
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def html_table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A table of cells that are already HTML (built with :func:`stacked_cell` or
    escaped by the caller); the headers are escaped."""
    out = ["<table class='fit'><tr>", *(f"<th>{escape(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def match_links(keys: Sequence[str], label: str = "transcripts") -> str:
    """A collapsible list of links to the matches' sections of ``transcripts.html``."""
    if not keys:
        return ""
    items = "".join(
        f"<li><a href='{TRANSCRIPTS}#{match_anchor(k)}'>{escape(k)}</a></li>" for k in keys
    )
    return f"<details><summary>{escape(label)} ({len(keys)})</summary><ul>{items}</ul></details>"


def _page(
    run_dir: Path, config: Mapping[str, Any], subtitle: str, sections: Sequence[tuple[str, str]]
) -> Path:
    title = str(config.get("name", run_dir.name))
    parts = page_start(
        title,
        subtitle,
        "td,th{white-space:normal}details{margin:.3rem 0}li{margin:.2rem 0;white-space:pre-wrap}"
        "table.fit{max-width:100%}table.fit td{overflow-wrap:break-word;vertical-align:top}"
        "table.fit small{color:#555;white-space:nowrap}h3{font-size:1rem;margin:1.2rem 0 .3rem}",
    )
    if config.get("description"):
        parts.append(f"<p>{escape(str(config['description']))}</p>")
    for heading, body in sections:
        parts += [f"<h2>{escape(heading)}</h2>", body]
    text = json.dumps(config, indent=2, sort_keys=True, default=str)
    parts += ["<h2>Config</h2>", f"<pre>{escape(text)}</pre>", llm_section(run_dir)]
    parts.append("</body></html>")
    return write_html(run_dir / REPORT_NAME, "\n".join(parts))


# ---- repeated games ---------------------------------------------------------------------------


def _ci_html(ci: Any) -> str:
    """A mean over matches above its interval (``n=1``: no interval)."""
    if ci.n == 0:
        return "–"
    if math.isnan(ci.low):
        return stacked_cell(fmt(ci.mean), f"n={ci.n}")
    return stacked_cell(fmt(ci.mean), f"[{fmt(ci.low)}, {fmt(ci.high)}]")


REPEATED_HEAD = (
    "opponent",
    "variant",
    "matches",
    "LLM points/round",
    "opponent points/round",
    "{measure} rate",
    "invalid moves",
    "prediction accuracy",
    "belief consistency",
)
"""The columns of each game's block of the repeated-games table (``{measure}``:
cooperation or coordination)."""


def repeated_table_html(groups: Sequence[Mapping[str, Any]], points: Mapping[Any, Any]) -> str:
    """The summary of ``repeated_games_llm``: per game, a table with one row per
    (opponent, variant) of :func:`~redqueen.experiments.llm_games.summarise_repeated`,
    every number above its 95% interval and its count."""
    out = []
    for stage in dict.fromkeys(g["game"] for g in groups):
        rows = []
        measure = "coordination"
        for g in (g for g in groups if g["game"] == stage):
            key = (g["game"], g["opponent"], g["variant"])
            mine, theirs = points.get(key, (None, None))
            measure = "cooperation" if "cooperation" in g else "coordination"
            belief = g.get("belief_consistency")
            rows.append(
                [
                    name_html(g["opponent"]),
                    name_html("predict-first" if g["variant"] == "predict_first" else g["variant"]),
                    escape(fmt(g["matches"])),
                    _ci_html(mine) if mine is not None else escape(fmt(g["points_per_round"])),
                    _ci_html(theirs) if theirs is not None else "–",
                    rate_html(g.get(measure)),
                    escape(fmt(g["invalid_moves"])),
                    rate_html(g.get("prediction_accuracy")),
                    (
                        stacked_cell(
                            fmt(belief["fraction"]),
                            f"{belief['consistent']}/{belief['decisions']}",
                            f"{belief['unparsed']} unparsed",
                        )
                        if belief
                        else "–"
                    ),
                ]
            )
        head = [h.format(measure=measure) for h in REPEATED_HEAD]
        out.append(f"<h3>{escape(str(stage))}</h3>" + html_table(head, rows))
    return "".join(out)


def repeated_note(groups: Sequence[Mapping[str, Any]]) -> str:
    """What the repeated-games table's numbers are, naming the method of its rates."""
    rates = [g.get(k) for g in groups for k in ("cooperation", "coordination")]
    accuracy = [g.get("prediction_accuracy") for g in groups]
    methods = rate_methods([*rates, *accuracy])
    named = "; ".join(methods) if methods else POOLED_ROUNDS_METHOD
    return (
        "<p class='sub'>Points per round: mean over matches, with its 95% Student-t "
        "interval below. Cooperation: the LLM's cooperative moves among its decisions "
        "(prisoner's dilemma); coordination: rounds in which both chose the same option "
        "(battle of the sexes); prediction accuracy: predictions of the other player's "
        "move that came true, among those that could be scored. Below each rate: its "
        f"interval ({escape(named)}) and count/decisions. Belief consistency: decisions "
        "that best-respond to the LLM's own prediction, among those with a readable one."
        "</p>"
    )


def write_repeated_games_report(
    run_dir: str | Path,
    config: Mapping[str, Any],
    groups: Sequence[Mapping[str, Any]],
    points: Mapping[tuple[str, str, str], tuple[MeanCI, MeanCI]],
    per_round: Mapping[tuple[str, str, str], Sequence[Mapping[str, Any]]],
    keys: Sequence[str],
    failed: Mapping[str, str] | None = None,
) -> Path:
    """Write the ``repeated_games_llm`` report into ``run_dir``; return its path.
    ``groups``: the rows of the recipe's summary; ``points``: per group, the mean points
    per round of the LLM and of its opponent; ``per_round``: per group, the rate of each
    round (rate dicts as :func:`rate_cell` shows them); ``keys``: the stored matches;
    ``failed``: the matches the last run could not play, with their causes."""
    run_dir = Path(run_dir)
    rounds = int(config.get("rounds", 10))
    sections: list[tuple[str, str]] = _failures(failed)
    if not keys:
        sections.append(("Results", "<p>No matches yet.</p>"))
    else:
        sections.append(
            (
                "Per opponent and variant",
                repeated_note(groups) + repeated_table_html(groups, points),
            )
        )
        for stage in dict.fromkeys(k[0] for k in per_round):
            measure = "cooperation" if stage == "prisoners_dilemma" else "coordination"
            series = {
                f"{opponent}/{'predict' if variant == 'predict_first' else variant}": [
                    (k + 1, r["rate"]) for k, r in enumerate(rates) if r["rate"] is not None
                ]
                for (game, opponent, variant), rates in per_round.items()
                if game == stage
            }
            chart = line_chart_svg(
                series, x_label="round", y_label=f"{measure} rate", probability=True
            )
            chart += "<p class='sub'>One line per opponent and variant (predict: the model first "
            chart += "predicts the other player's move); each round's rate is over matches.</p>"
            sections.append((f"{stage}: {measure} rate per round", chart))
        sections.append(("Matches", match_links(keys)))
    subtitle = (
        f"repeated games with an LLM (Akata et al.) · {len(keys)} matches stored · "
        f"{rounds} rounds · seed {config.get('seed', '')}"
    )
    return _page(run_dir, config, subtitle, sections)


# ---- LLM against baselines ----------------------------------------------------------------------


def baselines_table_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """The rates table of ``llm_vs_baselines`` (every name escaped), each rate above its
    interval and count."""
    head = ["game", "opponent", "matches", *OUTCOMES, "invalid moves / decision"]
    body = [
        [
            name_html(r["game"]),
            name_html(r["opponent"]),
            escape(fmt(r["matches"])),
            *(rate_html(r.get(o)) for o in OUTCOMES),
            escape(fmt(r.get("invalid_moves_per_decision"))),
        ]
        for r in rows
    ]
    return html_table(head, body)


def rates_chart_svg(rows: Sequence[Mapping[str, Any]], width: int = 720) -> str:
    """Horizontal bars of each row's rates (:data:`OUTCOMES`), with their 95% Wilson
    intervals as whiskers; the x axis is the rate, 0 to 1."""
    if not rows:
        return "<p>No matches yet.</p>"
    label_w, bar_h, gap, legend = 220, 12, 12, 24
    plot_w = width - label_w - 20
    group_h = bar_h * len(OUTCOMES) + gap
    height = legend + group_h * len(rows) + 24

    def x(v: float) -> float:
        return label_w + v * plot_w

    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "role='img' aria-label='rates with 95% Wilson intervals'>"
    ]
    for k, name in enumerate(OUTCOMES):
        lx = label_w + k * 90
        out.append(
            f"<rect x='{lx}' y='4' width='12' height='12' fill='{PALETTE[k]}'/>"
            f"<text x='{lx + 16}' y='14' font-size='12'>{name}</text>"
        )
    out.append(rate_axis_svg(label_w, plot_w, legend, height - 20))
    for i, row in enumerate(rows):
        y0 = legend + i * group_h
        label = f"{row['game']} vs {row['opponent']}"
        out.append(
            f"<text x='{label_w - 8}' y='{y0 + group_h / 2:.1f}' text-anchor='end' "
            f"font-size='12'>{escape(label)}</text>"
        )
        for k, name in enumerate(OUTCOMES):
            r = row.get(name)
            if not r or r.get("rate") is None:
                continue
            y = y0 + k * bar_h
            tip = escape(f"{label}: {name} {rate_cell(r)}")
            out.append(
                f"<rect x='{label_w}' y='{y}' width='{max(r['rate'] * plot_w, 1):.1f}' "
                f"height='{bar_h - 2}' fill='{PALETTE[k]}'><title>{tip}</title></rect>"
            )
            if r.get("low") is not None and r.get("high") is not None:
                yc = y + (bar_h - 2) / 2
                out.append(
                    f"<line x1='{x(r['low']):.1f}' y1='{yc:.1f}' x2='{x(r['high']):.1f}' "
                    f"y2='{yc:.1f}' stroke='#111' stroke-width='1.5'/>"
                )
    out.append("</svg>")
    return "".join(out)


def _failures(failed: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """The failed-matches section (how many, each cause once), or none."""
    from redqueen.report.html import failed_section

    parts = failed_section(dict(failed or {}))
    return [("Failed matches", "".join(parts[1:]))] if parts else []


def write_baselines_report(
    run_dir: str | Path,
    config: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    failed: Mapping[str, str] | None = None,
) -> Path:
    """Write the ``llm_vs_baselines`` report into ``run_dir``; return its path. ``rows``:
    per game and opponent, the LLM's rates (rate dicts, :data:`OUTCOMES`); ``keys``: the
    stored matches; ``failed``: the matches the last run could not play, with causes."""
    run_dir = Path(run_dir)
    sections: list[tuple[str, str]] = [
        *_failures(failed),
        (
            "Rates with 95% Wilson intervals",
            "<p class='sub'>The LLM's results, seat-balanced. Invalid: matches in which it "
            "made at least one invalid move; forfeit: matches it forfeited (also counted "
            "as losses).</p>" + (baselines_table_html(rows) if rows else "<p>No matches yet.</p>"),
        ),
        ("Chart", rates_chart_svg(rows)),
    ]
    if keys:
        sections.append(("Matches", match_links(keys)))
    subtitle = (
        f"an LLM against baselines · {len(keys)} matches stored · seed {config.get('seed', '')}"
    )
    return _page(run_dir, config, subtitle, sections)


# ---- donor game, cultural evolution --------------------------------------------------------------


def strategies_html(history: Sequence[Mapping[str, Any]]) -> str:
    """Each generation's strategies, the survivors' first, one collapsible section per
    generation; the strategies are model output and are escaped."""
    out = []
    for record in history:
        gen = int(record["generation"])
        survivors = set(record.get("survivor_seats", []))
        items = []
        for seat, text in enumerate(record.get("strategies", [])):
            mark = "survived" if seat in survivors else "replaced"
            returns = record.get("returns", [])
            final = fmt(returns[seat]) if seat < len(returns) else "–"
            items.append(
                f"<li><b>agent {seat}</b> ({mark}, final resources {final}): "
                f"{escape(str(text))}</li>"
            )
        links = match_links([f"generation/{gen}/strategies", f"generation/{gen}"])
        out.append(
            f"<details><summary>generation {gen + 1}: {len(survivors)} survivors"
            f"</summary><ol start='0'>{''.join(items)}</ol>{links}</details>"
        )
    return "".join(out)


def write_donor_cultural_report(
    run_dir: str | Path, config: Mapping[str, Any], history: Sequence[Mapping[str, Any]]
) -> Path:
    """Write the ``donor_cultural_evolution`` report into ``run_dir``; return its path.
    ``history``: the records of the finished generations, in order."""
    run_dir = Path(run_dir)
    sections: list[tuple[str, str]] = []
    if not history:
        sections.append(("Generations", "<p>No generation finished yet.</p>"))
    else:
        rows = [
            [
                g["generation"] + 1,
                float(g["mean_resources"]),
                float(g["mean_given"]),
                g.get("invalid_moves", 0),
                ", ".join(str(s) for s in g.get("survivor_seats", [])),
            ]
            for g in history
        ]
        head = ["generation", "mean resources", "donation rate", "invalid moves", "survivors"]
        xs = [g["generation"] + 1 for g in history]
        resources = line_chart_svg(
            {
                "mean final resources": [
                    (x, g["mean_resources"]) for x, g in zip(xs, history, strict=True)
                ]
            },
            x_label="generation",
            y_label="resources",
            include_zero=True,
        )
        given = line_chart_svg(
            {
                "mean fraction donated": [
                    (x, g["mean_given"]) for x, g in zip(xs, history, strict=True)
                ]
            },
            x_label="generation",
            y_label="donation rate",
            probability=True,
        )
        sections += [
            (
                "Per generation",
                "<p class='sub'>Donation rate: the mean fraction of its resources a donor "
                "gave (punishments left out).</p>" + table_html(head, rows),
            ),
            ("Mean final resources", resources),
            ("Donation rate", given),
            ("Strategies (survivors kept, the rest written anew)", strategies_html(history)),
        ]
    subtitle = (
        f"donor game, cultural evolution of LLM agents (Vallinder & Hughes) · "
        f"{len(history)} of {config.get('generations', '?')} generations · "
        f"{config.get('agents', '?')} agents · punishment {config.get('punishment', 0)}"
    )
    return _page(run_dir, config, subtitle, sections)
