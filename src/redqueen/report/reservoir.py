"""The report of a ``reservoir_governance`` run (:mod:`redqueen.experiments.reservoir`):
one HTML file with the readout's fit, the payoff of every agent on every schedule with
its interval, the perturbation depth and recovery time, the sentinel's ``alpha`` in the
defection block, the complexity cost and the sweep over the reservoir size, plus the
sentinel's mean ``alpha`` trace on each schedule (:func:`~redqueen.report.charts.line_chart_svg`).
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.charts import line_chart_svg
from redqueen.report.html import page_head, write_page
from redqueen.report.referential import fmt, interval, table


def _ci(cell: dict[str, Any] | None) -> tuple[str, str]:
    if not cell:
        return "–", "–"
    return fmt(cell["mean"]), interval(cell["low"], cell["high"])


def reservoir_report(run_dir: Path, config: dict[str, Any], result: dict[str, Any] | None) -> Path:
    """Write ``run_dir/report.html`` for a ``reservoir_governance`` run (``result``: its
    stored result, None before the first run ends)."""
    parts = page_head(config)
    if result is None:
        parts.append("<p>No results yet.</p>")
        return write_page(run_dir, parts, config)
    fit = result["readout_fit"]
    parts += [
        f"<p>{result['seeds']} seeds, reservoir size d = {result['size']}; computed in "
        f"{result['seconds']:.1f} s. Intervals over "
        "seeds: 95% Student-t. 'Sentinel minus agent': the paired difference per seed (same "
        "body, same schedule) with its 95% Student-t interval.</p>",
        "<h2>Readout fit (development)</h2>",
        table(
            ["input", "target", "mean readout", "95% interval"],
            [
                ["[1, 1]", fmt(fit["targets"][0]), *_ci(fit["cooperate"])],
                ["[0, 0]", fmt(fit["targets"][1]), *_ci(fit["defect"])],
            ],
        ),
    ]
    for name, cell in result["schedules"].items():
        agents = sorted(cell["agents"].items(), key=lambda kv: -kv[1]["payoff"]["mean"])
        block = cell.get("block")
        head_row = [
            "agent",
            "mean payoff",
            "95% interval",
            "sentinel minus agent",
            "95% interval",
            "action variance",
        ]
        if block:
            head_row += ["depth", "recovery (steps)", "never recovered"]
        rows = []
        for label, a in agents:
            diff = a.get("sentinel_minus")
            paired = (
                ("–", "–")
                if label == "sentinel" or not diff
                else (
                    fmt(diff["mean"], signed=True),
                    interval(diff["low"], diff["high"], signed=True),
                )
            )
            row = [label, *_ci(a["payoff"]), *paired, f"{a['action_variance']:.2e}"]
            if block:
                rec = a.get("recovery")
                row += [
                    _ci(a.get("depth"))[0],
                    "–" if rec is None else f"{rec:.1f}",
                    str(a.get("never_recovered", 0)),
                ]
            rows.append(row)
        where = f"; defection block at steps {block[0]}-{block[1] - 1}" if block else ""
        parts += [
            f"<h2>Schedule: {escape(name)} ({cell['steps']} steps{where})</h2>",
            table(head_row, rows),
        ]
        sentinel = cell["agents"].get("sentinel", {})
        if "alpha" in sentinel:
            al = sentinel["alpha"]
            parts.append(
                f"<p>Sentinel alpha: {al['before']:.3f} in the 50 steps before the block, "
                f"lowest in the block {_ci(al['block_min'])[0]} "
                f"{_ci(al['block_min'])[1]}, {al['after']:.3f} over the last 50 steps.</p>"
            )
        if "alpha_trace" in sentinel:
            parts.append(
                line_chart_svg(
                    {
                        "sentinel alpha": [tuple(p) for p in sentinel["alpha_trace"]],
                        "sentinel action": [tuple(p) for p in sentinel["action_trace"]],
                    },
                    x_label="step",
                    y_label="mean over seeds",
                    probability=True,
                )
            )
    comp = result.get("complexity", {})
    if comp:
        parts += [
            "<h2>Complexity cost: KL(driven || natural) under the noisy cooperator</h2>",
            table(
                ["agent", "Gaussian KL", "95% interval", "k-NN KL", "95% interval"],
                [[label, *_ci(c["gaussian"]), *_ci(c["knn"])] for label, c in comp.items()],
            ),
        ]
    if result.get("sizes"):
        parts += [
            "<h2>Sweep over the reservoir size d</h2>",
            table(
                [
                    "d",
                    "sentinel payoff (multi-phase)",
                    "95% interval",
                    "alpha=1 payoff",
                    "95% interval",
                    "alpha=1 action variance (noisy)",
                    "Gaussian KL",
                ],
                [
                    [
                        str(s["size"]),
                        *_ci(s["sentinel"]),
                        *_ci(s["alpha=1"]),
                        f"{s['action_variance']['mean']:.2e}",
                        fmt(s["gaussian_kl"]["mean"]),
                    ]
                    for s in result["sizes"]
                ],
            ),
        ]
    return write_page(run_dir, parts, config)
