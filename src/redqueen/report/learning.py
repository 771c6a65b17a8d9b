"""The learning report: one self-contained HTML file (inline CSS and SVG, no scripts, no
network) for a learning run: learning and exploitability curves, the meta-game payoff
heat map, an Elo table with intervals and the population's lineage.

The building blocks come first and are reused by every learning algorithm's report
(PSRO, FXP, the league, self-play, PBT):

- :func:`curve_section`: named curves ``[(x, y), ...]`` drawn by the reports' shared
  :func:`redqueen.report.charts.line_chart_svg` (nice ticks, a zero line where the axis
  crosses zero, a legend, powers of ten on a log axis), with their last values below;
- :func:`heat_map_svg`: a matrix as coloured cells with row and column labels (and, for
  a sampled payoff table, each cell's 95% interval, ``t`` quantile times the standard
  error, and its match count in the tooltip);
- :func:`elo_table_html`: :class:`~redqueen.measure.ratings.EloRating` rows with their
  95% intervals, the number of games behind each and provisional ratings marked;
- :func:`lineage_svg`: members as dots per seat and iteration, each joined to the
  members it was derived from (a best response to its parents);
- :func:`page_html` and :func:`write_html`: the page around named sections, written
  atomically.

Everything is escaped; the page passes through headless Chromium with no console errors
(``tests/report/test_learning_report.py``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from redqueen.measure.ratings import EloFit, EloRating, elo_fit, method_note
from redqueen.measure.statistics import t_value
from redqueen.report.charts import PALETTE, Point, diverging_colour, line_chart_svg

REPORT_NAME = "report.html"

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:980px;color:#1b1b1f;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem}
.sub{color:#666;margin-top:0}table{border-collapse:collapse;font-size:.92rem}
th,td{padding:.3rem .6rem;border-bottom:1px solid #e3e3e8;text-align:right;
white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f5f5f8}
pre{background:#f5f5f8;padding:1rem;overflow-x:auto;font-size:.85rem}
svg text{font-family:inherit}
"""


def _fmt(x: float, digits: int = 3) -> str:
    if x is None or not math.isfinite(float(x)):
        return "–"
    return f"{float(x):.{digits}g}"


# ---- heat map -----------------------------------------------------------------------------


def heat_map_svg(
    matrix: ArrayLike,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    sem: ArrayLike | None = None,
    counts: ArrayLike | None = None,
    cell: int = 44,
) -> str:
    """An SVG heat map of ``matrix`` (rows labelled ``row_labels``, columns
    ``col_labels``): red for positive values, blue for negative, grey for NaN (not
    measured). With ``sem`` and ``counts`` each cell's tooltip gives its 95% interval,
    ``mean ± t sem over n`` with the Student-t quantile of ``n - 1`` degrees of freedom
    (1.96 would cover 87-89% at 4-20 matches); with ``sem`` alone, the standard error.
    Large matrices shrink their cells to stay under about 900 pixels."""
    m = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    rows, cols = m.shape
    if len(row_labels) != rows or len(col_labels) != cols:
        raise ValueError(
            f"heat map of shape {m.shape} needs {rows} row and {cols} column labels; got "
            f"{len(row_labels)} and {len(col_labels)}"
        )
    s = None if sem is None else np.asarray(sem, dtype=np.float64).reshape(m.shape)
    c = None if counts is None else np.asarray(counts).reshape(m.shape)
    cell = max(8, min(cell, 720 // max(cols, 1)))
    show_text = cell >= 30
    label_w, top = 120, 90
    width, height = label_w + cols * cell + 20, top + rows * cell + 10
    finite = m[np.isfinite(m)]
    span = float(np.abs(finite).max()) if finite.size else 1.0
    span = span or 1.0
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "role='img' aria-label='heat map'>"
    ]
    for j, name in enumerate(col_labels):
        cx = label_w + j * cell + cell / 2
        out.append(
            f"<text transform='translate({cx:.1f},{top - 6}) rotate(-45)' font-size='11'>"
            f"{escape(str(name))}</text>"
        )
    for i, name in enumerate(row_labels):
        y = top + i * cell
        out.append(
            f"<text x='{label_w - 6}' y='{y + cell / 2 + 4:.1f}' text-anchor='end' "
            f"font-size='11'>{escape(str(name))}</text>"
        )
        for j in range(cols):
            v = float(m[i, j])
            colour = "#eeeeee" if math.isnan(v) else diverging_colour(v / span)
            tip = "not measured" if math.isnan(v) else _fmt(v, 4)
            if s is not None and not math.isnan(v) and math.isfinite(s[i, j]):
                if c is not None and int(c[i, j]) > 1:
                    half = t_value(0.95, int(c[i, j]) - 1) * float(s[i, j])
                    tip += f" ± {_fmt(half, 2)}"
                else:
                    tip += f" (standard error {_fmt(float(s[i, j]), 2)})"
            if c is not None:
                tip += f" over {int(c[i, j])}"
            out.append(
                f"<rect x='{label_w + j * cell}' y='{y}' width='{cell - 1}' "
                f"height='{cell - 1}' fill='{colour}'><title>{escape(str(row_labels[i]))} vs "
                f"{escape(str(col_labels[j]))}: {escape(tip)}</title></rect>"
            )
            if show_text and not math.isnan(v):
                out.append(
                    f"<text x='{label_w + j * cell + cell / 2:.1f}' "
                    f"y='{y + cell / 2 + 4:.1f}' text-anchor='middle' font-size='10'>"
                    f"{_fmt(v, 2)}</text>"
                )
    out.append("</svg>")
    return "".join(out)


# ---- Elo table ----------------------------------------------------------------------------


def elo_table_html(ratings: Sequence[EloRating], *, note: str = "") -> str:
    """A table of Elo ratings (best first, as given) with their 95% intervals and the
    number of games behind each (pairwise comparisons where they are not the matches:
    games of more than two seats). A provisional rating (fewer than
    :data:`~redqueen.measure.ratings.FEW_GAMES` games) is marked ``*``; a member that
    has not played shows ``–``. ``note`` (escaped) is printed below the table: the
    method, :func:`~redqueen.measure.ratings.method_note`."""
    if not ratings:
        return "<p>No ratings yet.</p>"
    counts = "games" if all(r.games == r.matches or r.matches == 0 for r in ratings) else (
        "comparisons")  # fmt: skip
    body = []
    for r in ratings:
        interval = (
            "–" if math.isnan(r.low) or math.isnan(r.high) else f"[{r.low:.0f}, {r.high:.0f}]"
        )
        mark = "*" if r.games > 0 and r.provisional else ""
        elo = "–" if math.isnan(r.elo) else f"{r.elo:.0f}{mark}"
        body.append(
            f"<tr><td>{escape(r.name)}</td><td>{elo}</td><td>{interval}</td><td>{r.games}</td></tr>"
        )
    table = (
        f"<table><tr><th>member</th><th>Elo</th><th>95% CI</th><th>{counts}</th></tr>"
        + "".join(body)
        + "</table>"
    )
    return table + (f"<p class='sub'>{escape(note)}</p>" if note else "")


# ---- lineage ------------------------------------------------------------------------------


def lineage_svg(members: Sequence[Mapping[str, Any]], *, max_members: int = 200) -> str:
    """The population's family tree: one dot per member (``{"id", "seat", "iteration",
    "parents", "metadata"}`` records, as :meth:`Population.save` writes them), one row
    per seat, placed by iteration, with a line to each parent. Members of the same seat
    and iteration are stacked."""
    members = list(members)[:max_members]
    if not members:
        return "<p>No members yet.</p>"
    seats = sorted({int(m.get("seat", 0)) for m in members})
    iterations = [int(m.get("iteration", 0)) for m in members]
    lo, hi = min(iterations), max(iterations)
    span = max(hi - lo, 1)
    stack: dict[tuple[int, int], int] = {}
    for m in members:
        key = (int(m.get("seat", 0)), int(m.get("iteration", 0)))
        stack[key] = stack.get(key, 0) + 1
    depth = max(stack.values())
    row_h = 40 + 14 * depth
    left, width = 80, 720
    height = row_h * len(seats) + 30
    kinds = sorted({str(dict(m.get("metadata", {})).get("kind", "")) for m in members})
    placed: dict[str, tuple[float, float]] = {}
    used: dict[tuple[int, int], int] = {}
    for m in members:
        seat, it = int(m.get("seat", 0)), int(m.get("iteration", 0))
        k = used.get((seat, it), 0)
        used[(seat, it)] = k + 1
        x = left + (it - lo) / span * (width - left - 20)
        y = 20.0 + seats.index(seat) * row_h + 14 * k
        placed[str(m["id"])] = (x, y)
    out = [
        f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
        "role='img' aria-label='lineage'>"
    ]
    for seat in seats:
        label_y = 20 + seats.index(seat) * row_h
        out.append(f"<text x='4' y='{label_y + 4}' font-size='12'>seat {seat}</text>")
    for m in members:
        x, y = placed[str(m["id"])]
        for parent in m.get("parents", ()):
            if str(parent) in placed:
                x0, y0 = placed[str(parent)]
                out.append(
                    f"<line x1='{x0:.1f}' y1='{y0:.1f}' x2='{x:.1f}' y2='{y:.1f}' "
                    "stroke='#999' stroke-opacity='0.5'/>"
                )
    for m in members:
        x, y = placed[str(m["id"])]
        kind = str(dict(m.get("metadata", {})).get("kind", ""))
        colour = PALETTE[kinds.index(kind) % len(PALETTE)]
        tip = f"{m['id']} (iteration {m.get('iteration', 0)}{', ' + kind if kind else ''})"
        parents = list(m.get("parents", ()))
        if parents:
            tip += f" from {', '.join(map(str, parents))}"
        out.append(
            f"<circle cx='{x:.1f}' cy='{y:.1f}' r='5' fill='{colour}'>"
            f"<title>{escape(tip)}</title></circle>"
        )
    out.append(
        f"<text x='{left}' y='{height - 6}' font-size='11'>iteration {lo}</text>"
        f"<text x='{width - 20}' y='{height - 6}' font-size='11' text-anchor='end'>"
        f"iteration {hi}</text></svg>"
    )
    return "".join(out)


def lineage_table_html(members: Sequence[Mapping[str, Any]]) -> str:
    """The lineage as a table: id, seat, iteration, kind and parents."""
    rows = []
    for m in members:
        kind = str(dict(m.get("metadata", {})).get("kind", ""))
        rows.append(
            f"<tr><td>{escape(str(m['id']))}</td><td>{int(m.get('seat', 0))}</td>"
            f"<td>{int(m.get('iteration', 0))}</td><td>{escape(kind)}</td>"
            f"<td>{escape(', '.join(map(str, m.get('parents', ()))))}</td></tr>"
        )
    return (
        "<table><tr><th>member</th><th>seat</th><th>iteration</th><th>kind</th>"
        "<th>parents</th></tr>" + "".join(rows) + "</table>"
    )


# ---- the page -----------------------------------------------------------------------------


def page_start(title: str, subtitle: str = "", extra_css: str = "") -> list[str]:
    """The first lines of a report page: the document head with :data:`CSS` (and
    ``extra_css``), ``title`` as the heading and ``subtitle`` under it (both escaped)."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>redqueen · {escape(title)}</title><style>{CSS}{extra_css}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
    ]
    if subtitle:
        parts.append(f"<p class='sub'>{escape(subtitle)}</p>")
    return parts


def page_html(
    title: str,
    sections: Sequence[tuple[str, str]],
    *,
    subtitle: str = "",
    config: Mapping[str, Any] | None = None,
) -> str:
    """A whole HTML page: ``title``, then each ``(heading, html body)`` section (bodies
    are trusted HTML from the helpers above; headings are escaped), then the config."""
    parts = page_start(title, subtitle)
    for heading, body in sections:
        parts.append(f"<h2>{escape(heading)}</h2>")
        parts.append(body)
    if config is not None:
        parts.append("<h2>Config</h2>")
        text = json.dumps(config, indent=2, sort_keys=True, default=str)
        parts.append(f"<pre>{escape(text)}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_html(path: str | Path, html: str) -> Path:
    """Write ``html`` to ``path`` whole or not at all; return the path."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(path)
    return path


def curve_section(
    curves: Mapping[str, Sequence[Point]],
    *,
    y_label: str,
    log_y: bool = False,
    x_label: str = "iteration",
) -> str:
    """A chart of ``curves`` and, below it, their last values as a small table."""
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{_fmt(pts[-1][0], 4)}</td>"
        f"<td>{_fmt(pts[-1][1], 4)}</td></tr>"
        for name, pts in curves.items()
        if pts
    )
    head = f"<tr><th>series</th><th>last {escape(x_label)}</th><th>last {escape(y_label)}</th></tr>"
    table = f"<table>{head}{rows}</table>"
    return line_chart_svg(curves, x_label=x_label, y_label=y_label, log_y=log_y) + table


# ---- reports of the exact population methods ----------------------------------------------


def population_elo(
    store: Any, members: Sequence[Mapping[str, Any]], seed: int = 0
) -> EloFit | None:
    """Elo with 95% intervals of a run's members from the matches stored in its run
    (as :class:`~redqueen.learn.population.SampledPayoffTable` records them: agent index =
    the member's place in ``members``, seat by seat), or None before any match.

    Each member only ever plays its own seat, so a seat's advantage would read as skill
    of its members: the fit has a seat-advantage term, and each seat's members are
    centred on their own scale (compare ratings within a seat)."""
    matches = [(m.seats, r) for m, r in store.matches()]
    if not matches:
        return None
    names = [str(m["id"]) for m in members]
    seats = [int(m.get("seat", 0)) for m in members]
    return elo_fit(names, matches, seed=seed, seat_advantage=True, groups=seats)


def population_elo_sections(
    label: str, fit: EloFit, members: Sequence[Mapping[str, Any]]
) -> list[tuple[str, str]]:
    """One Elo table per seat (ratings compare within a seat only) and the fitted seat
    advantage."""
    seat_of = {str(m["id"]): int(m.get("seat", 0)) for m in members}
    note = method_note(fit.basis, seat_advantage=True)
    sections = []
    for seat in sorted(set(seat_of.values())):
        rows = [r for r in fit.ratings if seat_of.get(r.name) == seat]
        sections.append(
            (
                f"{label}: population Elo, seat {seat} (matches played; on this seat's own "
                "scale, centred on 1500)",
                elo_table_html(rows, note=note),
            )
        )
    if len(fit.seat_advantage) > 1:
        text = "; ".join(
            f"seat {s}: {h:+.0f} [{lo:+.0f}, {hi:+.0f}]"
            for s, (h, lo, hi) in enumerate(fit.seat_advantage)
            if s > 0
        )
        sections.append(
            (
                f"{label}: seat advantage",
                f"<p>Elo points gained by sitting in a seat instead of seat 0, fitted with "
                f"the ratings (95% interval): {escape(text)}. Members of different seats "
                "never meet in the same seat, so their ratings are not on one scale.</p>",
            )
        )
    return sections


def write_population_report(run_dir: Path, algorithm: str = "psro") -> Path:
    """The learning report of a ``psro`` recipe run: one sub-run per meta-solver, each
    with its exploitability curve, final meta-game heat map, Elo table and lineage."""
    from redqueen.store.run_store import RunStore

    run_dir = Path(run_dir)
    with RunStore(run_dir) as top:
        config = top.config()
    solvers = list(config.get("meta_solvers", []))
    curves: dict[str, list[Point]] = {}
    sizes: dict[str, list[Point]] = {}
    details: list[tuple[str, str]] = []
    for solver in solvers:
        sub = run_dir / solver
        if not (sub / "run.sqlite").is_file():
            continue
        with RunStore(sub) as store:
            curves[solver] = [(float(s or 0), v) for s, v in store.metrics("exploitability")]
            sizes[solver] = [(float(s or 0), v) for s, v in store.metrics("population_size")]
            meta = store.get_meta(algorithm) or {}
            members = list(meta.get("members", []))
            fit = population_elo(store, members, int(config.get("seed", 0)))
        extra = meta.get("extra", {})
        payoffs = extra.get("payoffs")
        if payoffs:
            rows = [str(m["id"]) for m in members if int(m["seat"]) == 0]
            cols = [str(m["id"]) for m in members if int(m["seat"]) == 1]
            mat = np.asarray(payoffs[0], dtype=np.float64)
            if mat.shape == (len(rows), len(cols)):
                details.append(
                    (
                        f"{solver}: meta-game payoffs (seat 0's expected return)",
                        heat_map_svg(mat, rows, cols),
                    )
                )
        strategy = extra.get("meta_strategy")
        if strategy:
            series = {
                f"seat {s}": [(float(i), float(p)) for i, p in enumerate(w)]
                for s, w in enumerate(strategy)
            }
            details.append(
                (
                    f"{solver}: final meta-strategy (weight of each member, by index)",
                    line_chart_svg(
                        series, x_label="member index", y_label="weight", probability=True
                    ),
                )
            )
        if fit is not None:
            details += population_elo_sections(solver, fit, members)
        if members:
            details.append((f"{solver}: lineage", lineage_svg(members)))
    game = config.get("game", {})
    sections = [
        ("Exploitability", curve_section(curves, y_label="exploitability", log_y=True)),
        (
            "Population size",
            line_chart_svg(
                sizes, x_label="iteration", y_label="members per seat", include_zero=True
            ),
        ),
        *details,
    ]
    subtitle = (
        f"{algorithm.upper()} on {game.get('id', '?')} {json.dumps(game.get('params', {}))}: "
        f"meta-solvers {', '.join(solvers)}"
    )
    html = page_html(
        str(config.get("name", run_dir.name)), sections, subtitle=subtitle, config=config
    )
    return write_html(run_dir / REPORT_NAME, html)


def write_fxp_report(run_dir: Path) -> Path:
    """The learning report of an ``fxp`` recipe run: exploitability and the share of the
    last action (stag) per run, each run's final main policy and its counters."""
    from redqueen.store.run_store import RunStore

    run_dir = Path(run_dir)
    curves: dict[str, list[Point]] = {}
    shares: dict[str, list[Point]] = {}
    details: list[tuple[str, str]] = []
    with RunStore(run_dir) as store:
        config = store.config()
        etas = list(config.get("etas", []))
        for eta in etas:
            label = "self_play" if eta == 0 else f"fxp_eta{eta:g}"
            name = f"{label} (eta={eta:g})"
            curves[name] = [(float(s or 0), v) for s, v in store.metrics(f"exploitability/{label}")]
            saved = store.get_meta(f"fxp:{label}")
            if saved is None:
                continue
            shares[name] = [(float(i), float(v)) for i, v in enumerate(saved["stag_share"])]
            main = saved["main"]
            width = max(len(p) for p in main)
            mat = np.full((len(main), width), np.nan)
            for i, p in enumerate(main):
                mat[i, : len(p)] = p
            if width <= 64:
                details.append(
                    (
                        f"{name}: final main policy (rows: agents; columns: actions)",
                        heat_map_svg(
                            mat,
                            [f"agent {i}" for i in range(len(main))],
                            [str(a) for a in range(width)],
                        ),
                    )
                )
            counters = saved["counters"]
            text = "; ".join(
                f"team {t}: {', '.join(str(tuple(c)) for c in team) or 'none'}"
                for t, team in enumerate(counters)
            )
            details.append((f"{name}: counter population", f"<p>{escape(text)}</p>"))
    sections = [
        (
            "Exploitability of the main policy",
            curve_section(curves, y_label="exploitability", log_y=True),
        ),
        (
            "Mean probability of each agent's last action (stag)",
            line_chart_svg(shares, x_label="iteration", y_label="probability", probability=True),
        ),
        *details,
    ]
    title = str(config.get("name", run_dir.name))
    subtitle = f"FXP on {config.get('game', '?')}: eta = 0 is fictitious self-play"
    return write_html(
        run_dir / REPORT_NAME, page_html(title, sections, subtitle=subtitle, config=config)
    )


def write_league_report(run_dir: Path) -> Path:
    """The learning report of a ``league`` recipe run (its league in ``RUN_DIR/league``):
    the main agent's exploitability, the exact expected-score heat map between members,
    the measured Elo with intervals and the lineage."""
    from redqueen.store.run_store import RunStore

    run_dir = Path(run_dir)
    with RunStore(run_dir) as top:
        config = top.config()
    sections: list[tuple[str, str]] = []
    sub = run_dir / "league"
    if (sub / "run.sqlite").is_file():
        with RunStore(sub) as store:
            curve = [(float(s or 0), v) for s, v in store.metrics("exploitability")]
            meta = store.get_meta("league") or {}
            members = [{**m} for m in meta.get("members", [])]
            matches = [(m.seats, r) for m, r in store.matches()]
        names = [str(m["id"]) for m in members]
        sections.append(
            (
                "Exploitability of main agent 0",
                curve_section({"main0": curve}, y_label="exploitability", log_y=True),
            )
        )
        if matches and names:
            fit = elo_fit(names, matches, seed=int(config.get("seed", 0)), seat_advantage=True)
            note = method_note(fit.basis, seat_advantage=True)
            sections.append(
                ("Elo (matches played, 95% intervals)", elo_table_html(fit.ratings, note=note))
            )
            n = len(names)
            score = np.full((n, n), np.nan)
            wins = np.zeros((n, n))
            games = np.zeros((n, n))
            for seats, r in matches:
                a, b = int(seats[0]), int(seats[1])
                if a == b:  # a member against itself scores nothing against another
                    continue
                s = (
                    1.0
                    if r.returns[0] > r.returns[1]
                    else 0.5
                    if r.returns[0] == r.returns[1]
                    else 0.0
                )
                wins[a, b] += s
                wins[b, a] += 1 - s
                games[a, b] += 1
                games[b, a] += 1
            played = games > 0
            score[played] = wins[played] / games[played] - 0.5
            sections.append(
                (
                    "Score against each other (row's mean score - 1/2)",
                    heat_map_svg(score, names, names, counts=games),
                )
            )
        if members:
            sections.append(("Lineage", lineage_svg(members)))
            sections.append(("Members", lineage_table_html(members)))
    game = config.get("game", {})
    subtitle = f"League on {game.get('id', '?')}: main agents, main exploiters, league exploiters"
    html = page_html(
        str(config.get("name", run_dir.name)), sections, subtitle=subtitle, config=config
    )
    return write_html(run_dir / REPORT_NAME, html)
