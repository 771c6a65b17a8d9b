"""The report of a ``referential_populations`` run: one HTML file with the accuracy of
each procedure's meta-listener with seen, held-out and bot-language partners, rendered
from the run's stored config and result (:mod:`redqueen.experiments.referential`).

Tables give, per procedure and partner kind, the mean over runs of the per-run accuracy
with its 95% bounded score interval (the interval to trust), and the pooled accuracy
with its 95% Wilson interval, which counts every game as independent; then the paired
difference dynamic minus static per run with its Student-t interval, and every run's
accuracies.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.html import page_head, write_page

PARTNER_NAMES = {"seen": "seen speakers", "held_out": "held-out speakers", "bot": "bot language"}


def referential_report(
    run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None
) -> Path:
    """Write ``run_dir/report.html`` for a ``referential_populations`` run (``result``:
    its stored result, None before the first run ends)."""
    parts = page_head(config)
    if result is None:
        parts.append("<p>No results yet.</p>")
        return write_page(run_dir, parts, config)
    parts.append(
        f"<p>{result['seeds']} run(s) on {escape(str(result['game']))}; population "
        f"{config.get('population')}, {config.get('held_out')} held-out speakers, "
        f"{config.get('bot_examples')} bot-language examples; the listener adapts on "
        f"{config.get('shots')} games for {config.get('adapt_steps')} steps before "
        f"{config.get('eval_games')} games with each partner. Computed in "
        f"{result['seconds']:.1f} s.</p>"
    )
    rows = []
    for proc, by_partner in result["summary"].items():
        for partner, s in by_partner.items():
            pooled = s["pooled"]
            rows.append(
                [
                    proc,
                    PARTNER_NAMES.get(partner, partner),
                    fmt(s["mean"]),
                    interval(s["low"], s["high"]),
                    str(s["n"]),
                    fmt(pooled["rate"]),
                    interval(pooled["low"], pooled["high"]),
                    str(pooled["n"]),
                ]
            )
    parts += [
        "<h2>Accuracy of the meta-listener</h2>",
        table(
            [
                "procedure",
                "partner",
                "mean over runs",
                "95% interval",
                "runs",
                "pooled",
                "95% Wilson",
                "games",
            ],
            rows,
        ),
        "<p class='sub'>Mean over runs: 95% bounded score interval on [0, 1]. Pooled: every "
        "game counted as independent (games with one partner are not), 95% Wilson "
        "interval.</p>",
        "<h2>Dynamic minus static, per run</h2>",
        table(
            ["partner", "mean difference", "95% interval (Student-t)", "runs"],
            [
                [
                    PARTNER_NAMES.get(p, p),
                    fmt(d["mean"], signed=True),
                    interval(d["low"], d["high"], signed=True),
                    str(d["n"]),
                ]
                for p, d in result["difference"].items()
            ],
        ),
        "<h2>Each run</h2>",
        table(
            ["run", *(f"{proc} {p}" for proc in result["per_run"] for p in PARTNER_NAMES)],
            [
                [
                    str(r),
                    *(
                        fmt(result["per_run"][proc][p][r])
                        for proc in result["per_run"]
                        for p in PARTNER_NAMES
                    ),
                ]
                for r in range(len(result["runs"]))
            ],
        ),
    ]
    return write_page(run_dir, parts, config)


# ---- html helpers shared with the reservoir report ------------------------------------------


def fmt(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "–"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def interval(low: float | None, high: float | None, signed: bool = False) -> str:
    if low is None or high is None:
        return "–"
    return f"[{fmt(low, signed)}, {fmt(high, signed)}]"


def table(head_row: list[str], rows: list[list[str]]) -> str:
    out = ["<table><tr>", *(f"<th>{escape(h)}</th>" for h in head_row), "</tr>"]
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>")
    out.append("</table>")
    return "".join(out)
