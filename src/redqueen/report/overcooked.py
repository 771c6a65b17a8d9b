"""Reports of the Overcooked recipe kinds (``overcooked_proagent``, ``overcooked_ppo``):
single HTML files in the style of :mod:`redqueen.report.html`, rendered from plain data.

The ProAgent report has one table: per layout and teammate, the mean episode return of
the LLM seat's team with its 95% interval (both seats pooled, and each seat alone),
beside the greedy agent in the same seat with the same teammate; then what the LLM did
(skills per episode, plans the verifier refused, replies with no skill, and how often
its belief named the teammate's next skill). The PPO report draws the training curve
(sparse return per episode, and the shaped return beside it) and compares the trained
pair with the greedy pair.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.charts import line_chart_svg
from redqueen.report.html import failed_section, page_head, write_page


def _fmt(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return escape(str(x))


def _interval(cell: dict[str, Any] | None) -> str:
    if not cell or cell.get("n", 0) == 0:
        return "–"
    low, high = cell.get("low"), cell.get("high")
    return f"{_fmt(cell['mean'])} [{_fmt(low)}, {_fmt(high)}] (n={cell['n']})"


def write_proagent_report(
    run_dir: Path,
    config: dict[str, Any],
    rows: Sequence[dict[str, Any]],
    failed: dict[str, str],
) -> Path:
    """The report of an ``overcooked_proagent`` run. Each row: ``layout``, ``teammate``,
    ``llm``/``llm_seat0``/``llm_seat1``/``greedy`` (mean-interval dicts: ``mean``,
    ``low``, ``high``, ``n``), ``skills_per_episode``, ``refused``, ``unreadable``,
    ``belief_hits``, ``belief_scored``."""
    parts = page_head(config)
    parts.append(
        "<p>Mean episode return (team score: 20 per soup delivered) with 95% intervals, "
        "the LLM in either seat with the teammate in the other; greedy: the scripted "
        "greedy agent in the LLM's seat with the same teammate.</p>"
    )
    parts.append(
        "<table><tr><th>layout</th><th>teammate</th><th>ProAgent (both seats)</th>"
        "<th>seat 0</th><th>seat 1</th><th>greedy in its seat</th><th>skills / episode</th>"
        "<th>refused plans</th><th>no skill named</th><th>belief right</th></tr>"
    )
    for r in rows:
        scored = r.get("belief_scored", 0)
        belief = f"{r['belief_hits']}/{scored}" if scored else "–"
        parts.append(
            f"<tr><td>{escape(r['layout'])}</td><td>{escape(r['teammate'])}</td>"
            f"<td>{_interval(r.get('llm'))}</td><td>{_interval(r.get('llm_seat0'))}</td>"
            f"<td>{_interval(r.get('llm_seat1'))}</td><td>{_interval(r.get('greedy'))}</td>"
            f"<td>{_fmt(r.get('skills_per_episode'))}</td><td>{_fmt(r.get('refused'))}</td>"
            f"<td>{_fmt(r.get('unreadable'))}</td><td>{belief}</td></tr>"
        )
    parts.append("</table>")
    parts += failed_section(failed)
    return write_page(run_dir, parts, config)


def write_ppo_report(run_dir: Path, config: dict[str, Any], result: dict[str, Any]) -> Path:
    """The report of an ``overcooked_ppo`` run: ``result`` has ``curve`` (rows of
    ``env_steps``, ``sparse``, ``shaped``, ``seconds``), ``ppo`` and ``greedy``
    (mean-interval dicts of the evaluation episodes) and ``seconds``."""
    parts = page_head(config)
    curve = result.get("curve", [])
    if curve:
        parts += [
            "<h2>Training (mean return per episode of each rollout)</h2>",
            line_chart_svg(
                {
                    "sparse (score)": [(p["env_steps"], p["sparse"]) for p in curve],
                    "shaped": [(p["env_steps"], p["shaped"]) for p in curve],
                },
                x_label="environment steps",
                y_label="return per episode",
                include_zero=True,
            ),
        ]
    parts += [
        "<h2>Evaluation</h2>",
        "<table><tr><th>pair</th><th>mean episode return [95% interval]</th></tr>",
        f"<tr><td>PPO self-play pair</td><td>{_interval(result.get('ppo'))}</td></tr>",
        f"<tr><td>greedy pair</td><td>{_interval(result.get('greedy'))}</td></tr>",
        "</table>",
        f"<p>Trained for {_fmt(float(result.get('seconds', 0.0)))} s, "
        f"{result.get('env_steps', 0)} environment steps.</p>",
    ]
    return write_page(run_dir, parts, config)
