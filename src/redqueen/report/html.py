"""The run report: one self-contained HTML file (inline CSS and SVG, no scripts, no
network), readable offline and while the run is still going.

It shows the standings (mean return with its 95% interval and the number of matches
behind it, win/draw/loss, Bradley–Terry Elo with its 95% interval), a chart of the mean
returns with their intervals, the payoff heat map (row agent's mean return against each
column agent) and the run's config. Every table names its methods in a footnote
(:mod:`redqueen.measure.statistics`, :mod:`redqueen.measure.standings`,
:mod:`redqueen.measure.ratings`): the interval of a mean return uses the game's return
bounds, W/D/L counts are pairwise in games of more than two seats, the Elo is fitted to
returns where the bounds are known (so its order agrees with the mean returns in
zero-sum games), provisional ratings are marked, and agents a run still going has not
matched against every opponent are flagged.
"""

from __future__ import annotations

import json
import math
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from redqueen.errors import RedqueenError
from redqueen.games.registry import make
from redqueen.measure.ratings import EloRating, elo_fit, method_note
from redqueen.measure.standings import PayoffMatrix, Standing, payoff_matrix, standings
from redqueen.measure.statistics import METHODS
from redqueen.report.charts import diverging_colour
from redqueen.store.run_store import DB_NAME, RunStore

REPORT_NAME = "report.html"

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:960px;color:#1b1b1f;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e3e3e8;text-align:right;
white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f5f5f8}
pre{background:#f5f5f8;padding:1rem;overflow-x:auto;font-size:.85rem}
svg text{font-family:inherit}
"""


def write_report(run_dir: str | Path) -> Path:
    """Write ``report.html`` into ``run_dir`` from its store; return the file's path."""
    run_dir = Path(run_dir)
    with RunStore(run_dir) as store:
        config = store.config()
        names = store.agent_names()
        matches = [(m.seats, r) for m, r in store.matches()]
        expected = store.get_meta("scheduled_matches")
        failed = store.get_meta("failed_matches") or {}
    game = config.get("game", {})
    bounds = _game_bounds(game)
    table = standings(names, matches, bounds=bounds)
    payoffs = payoff_matrix(names, matches, bounds=bounds)
    fit = elo_fit(names, matches, seed=int(config.get("seed", 0)), bounds=bounds)
    elo = {e.name: e for e in fit.ratings}
    title = escape(str(config.get("name", run_dir.name)))
    done = f"{len(matches)} of {expected}" if expected else str(len(matches))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>redqueen · {title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p class='sub'>{escape(str(config.get('description', '')))}</p>",
        f"<p>Game <b>{escape(str(game.get('id', '?')))}</b> "
        f"{escape(json.dumps(game.get('params', {})))} · matches played: {done}"
        f" · seed {escape(str(config.get('seed', '')))}</p>",
        *failed_section(failed),
        "<h2>Standings</h2>",
        standings_table(table, elo),
        standings_notes(table, fit.basis),
        "<h2>Mean return with 95% interval</h2>",
        _bar_chart(table),
    ]
    if len(names) > 1:
        parts += [
            "<h2>Payoff matrix</h2>",
            "<p class='sub'>Row agent's mean return in matches against the column agent "
            "(self-play on the diagonal: one value per match, its seats averaged); each "
            f"cell's tooltip gives its 95% interval ({escape(METHODS[payoffs.method])}) and "
            "the number of matches.</p>",
            heat_map(payoffs),
        ]
    if (run_dir / DB_NAME).is_file():
        from redqueen.report.transcripts import llm_section

        parts.append(llm_section(run_dir))
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


def page_head(config: dict[str, Any]) -> list[str]:
    """The start of a report page: the document head with the shared style, the run's
    name as the title and its description."""
    title = escape(str(config.get("name", "run")))
    return [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>redqueen · {title}</title><style>{_CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p class='sub'>{escape(str(config.get('description', '')))}</p>",
    ]


def write_page(run_dir: Path, parts: list[str], config: dict[str, Any]) -> Path:
    """End the page ``parts`` with the run's config and write it as the run's report
    (through a temporary file, so a reader never sees half a page)."""
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


def failed_section(failed: dict[str, str]) -> list[str]:
    """A warning for the matches the last run could not play (the store's
    ``failed_matches``: match key -> cause): how many, and each distinct cause once."""
    if not failed:
        return []
    causes: dict[str, int] = {}
    for cause in failed.values():
        causes[str(cause)] = causes.get(str(cause), 0) + 1
    items = "".join(
        f"<li>{count} × {escape(cause)}</li>" for cause, count in sorted(causes.items())
    )
    return [
        "<h2>Failed matches</h2>",
        f"<p class='sub'>{len(failed)} match(es) failed in the last run and are not in the "
        "tables below; run the same command again to play them. Causes:</p>",
        f"<ul>{items}</ul>",
    ]


def _game_bounds(game: object) -> tuple[float, float] | None:
    """The run's game's return bounds from its config (also for results stored before
    they carried them), or None where the game cannot be built here."""
    if not isinstance(game, dict) or "id" not in game:
        return None
    try:
        spec = make(str(game["id"]), **dict(game.get("params") or {})).spec
    except (RedqueenError, ImportError, TypeError, ValueError):
        return None
    return (float(spec.min_utility), float(spec.max_utility))


def _fmt(x: float, digits: int = 3) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}g}"


def standings_table(rows: list[Standing], elo: dict[str, EloRating]) -> str:
    """The standings as an HTML table: record, mean return with its interval, Elo."""
    pairwise = any(s.record.unit != "matches" for s in rows)
    wdl = ("pairwise wins", "pairwise draws", "pairwise losses") if pairwise else (
        "wins", "draws", "losses")  # fmt: skip
    basis = next((e.basis for e in elo.values()), "outcomes")
    elo_head = "return Elo" if basis == "returns" else "win Elo"
    head = (
        "<table><tr><th>agent</th><th>matches</th><th>mean return</th><th>95% CI</th>"
        + "".join(f"<th>{h}</th>" for h in wdl)
        + f"<th>score</th><th>{elo_head}</th><th>{elo_head} 95% CI</th>"
        "<th>invalid</th><th>forfeits</th></tr>"
    )
    body = []
    for s in rows:
        r = s.returns
        e = elo[s.name]
        flag = " †" if s.missing else ""
        body.append(
            f"<tr><td>{escape(s.name)}{flag}</td><td>{r.n}</td><td>{_fmt(r.mean)}</td>"
            f"<td>[{_fmt(r.low)}, {_fmt(r.high)}]</td><td>{s.record.wins}</td>"
            f"<td>{s.record.draws}</td><td>{s.record.losses}</td>"
            f"<td>{_fmt(s.record.score)}</td><td>{_elo_value(e)}</td>"
            f"<td>{_elo_interval(e)}</td><td>{s.invalid_moves}</td>"
            f"<td>{s.forfeits}</td></tr>"
        )
    return head + "".join(body) + "</table>"


def standings_notes(rows: list[Standing], basis: str) -> str:
    """The footnote that names every method the standings table uses."""
    method = next((s.returns.method for s in rows if s.returns.n), "student-t")
    unit = next((s.record.unit for s in rows), "matches")
    notes = [
        "Ordered by mean return, each opponent weighted equally (a run still going has "
        "played more of some pairings than of others); matches: the matches behind it.",
        f"95% CI: {METHODS[method]}.",
        "Wins, draws and losses count "
        + (
            "matches."
            if unit == "matches"
            else "pairwise comparisons: each seat against each seat held by another agent; "
            "score: wins plus half the draws, as a fraction of them."
        ),
        method_note(basis),
    ]
    missing = [s for s in rows if s.missing]
    if missing:
        notes.append(
            "† not yet matched against: "
            + "; ".join(f"{s.name}: {', '.join(s.missing)}" for s in missing)
            + "."
        )
    return "<p class='sub'>" + " ".join(escape(n) for n in notes) + "</p>"


def _elo_value(e: EloRating) -> str:
    if math.isnan(e.elo):
        return "–"
    return f"{e.elo:.0f}{'*' if e.provisional else ''}"


def _elo_interval(e: EloRating) -> str:
    if math.isnan(e.low) or math.isnan(e.high):
        return "–"
    return f"[{e.low:.0f}, {e.high:.0f}]"


def _bar_chart(rows: list[Standing]) -> str:
    rows = [s for s in rows if s.returns.n]
    if not rows:
        return "<p>No matches yet.</p>"
    values = [v for s in rows for v in (s.returns.mean, s.returns.low, s.returns.high)]
    finite = [v for v in values if not math.isnan(v)]
    lo, hi = min([*finite, 0.0]), max([*finite, 0.0])
    if hi == lo:
        hi = lo + 1.0
    width, label_w, row_h = 720, 200, 28
    plot_w = width - label_w - 20
    height = row_h * len(rows) + 30

    def x(v: float) -> float:
        return label_w + (v - lo) / (hi - lo) * plot_w

    out = [f"<svg width='{width}' height='{height}' role='img' aria-label='mean returns'>"]
    out.append(f"<line x1='{x(0):.1f}' y1='0' x2='{x(0):.1f}' y2='{height - 20}' stroke='#999'/>")
    for i, s in enumerate(rows):
        y = i * row_h + 4
        m = s.returns.mean
        left, right = sorted((x(0), x(m)))
        out.append(
            f"<text x='{label_w - 8}' y='{y + 15}' text-anchor='end' font-size='12'>"
            f"{escape(s.name)}</text>"
            f"<rect x='{left:.1f}' y='{y}' width='{max(right - left, 1):.1f}' "
            f"height='{row_h - 10}' fill='#4c72b0'/>"
        )
        if not math.isnan(s.returns.low):
            yc = y + (row_h - 10) / 2
            out.append(
                f"<line x1='{x(s.returns.low):.1f}' y1='{yc}' x2='{x(s.returns.high):.1f}' "
                f"y2='{yc}' stroke='#111' stroke-width='2'><title>{escape(s.name)}: "
                f"{_fmt(m)} [{_fmt(s.returns.low)}, {_fmt(s.returns.high)}] over "
                f"{s.returns.n} matches</title></line>"
            )
    out.append(
        f"<text x='{label_w}' y='{height - 4}' font-size='11'>{_fmt(lo)}</text>"
        f"<text x='{width - 20}' y='{height - 4}' font-size='11' text-anchor='end'>"
        f"{_fmt(hi)}</text></svg>"
    )
    return "".join(out)


def heat_map(p: PayoffMatrix) -> str:
    """The mean payoff of each row agent against each column agent, as an SVG heat map."""
    n = len(p.names)
    cell, label_w, top = 56, 200, 120
    width, height = label_w + n * cell + 120, top + n * cell + 10
    finite = p.mean[np.isfinite(p.mean)]
    span = float(np.abs(finite).max()) if finite.size else 1.0
    span = span or 1.0
    out = [f"<svg width='{width}' height='{height}' role='img' aria-label='payoff matrix'>"]
    for j, name in enumerate(p.names):
        cx = label_w + j * cell + cell / 2
        out.append(
            f"<text transform='translate({cx:.1f},{top - 6}) rotate(-45)' font-size='12'>"
            f"{escape(name)}</text>"
        )
    for i, name in enumerate(p.names):
        y = top + i * cell
        out.append(
            f"<text x='{label_w - 8}' y='{y + cell / 2 + 4:.1f}' text-anchor='end' "
            f"font-size='12'>{escape(name)}</text>"
        )
        for j in range(n):
            v = float(p.mean[i, j])
            colour = "#eeeeee" if math.isnan(v) else diverging_colour(v / span)
            tip = "no matches" if math.isnan(v) else _cell_tip(p, i, j)
            out.append(
                f"<rect x='{label_w + j * cell}' y='{y}' width='{cell - 2}' "
                f"height='{cell - 2}' fill='{colour}'><title>{escape(p.names[i])} vs "
                f"{escape(p.names[j])}: {escape(tip)}</title></rect>"
                f"<text x='{label_w + j * cell + cell / 2 - 1:.1f}' y='{y + cell / 2 + 4:.1f}' "
                f"text-anchor='middle' font-size='11'>{'' if math.isnan(v) else _fmt(v, 2)}"
                "</text>"
            )
    out.append("</svg>")
    return "".join(out)


def _cell_tip(p: PayoffMatrix, i: int, j: int) -> str:
    """A payoff cell's mean, its 95% interval and the number of matches behind it."""
    v, n = float(p.mean[i, j]), int(p.count[i, j])
    interval = ""
    if p.low is not None and p.high is not None and not math.isnan(float(p.low[i, j])):
        interval = f" [{_fmt(float(p.low[i, j]))}, {_fmt(float(p.high[i, j]))}]"
    return f"{_fmt(v)}{interval} over {n} match{'es' if n != 1 else ''}"
