"""The report of an LLM self-play run: one self-contained HTML page of curves.

It is rendered from the run's metrics as the experiment hands them over (``{name: [(step,
value), ...]}``): the legal-move rate, the exact exploitability of the induced policy
(current and mixture of snapshots), a critic's exact accuracies in SPC's critic game
(``eval/critic/...``), the rates against each evaluator with their 95%
Wilson intervals as bands, the loss, entropy and the sampler/learner logprob gap, RAE's
baselines, and the speed (tokens/s, games/s, seconds per phase); then the Elo table of
the checkpoints when the experiment measured one.

The charts are :func:`redqueen.report.charts.line_chart_svg`: rates on probability axes
from 0 to 1, exploitability, speed and seconds on axes from 0, losses with a zero line
where they cross it; each chart of several curves is followed by their last values.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from redqueen.measure.ratings import EloRating
from redqueen.report.charts import line_chart_svg
from redqueen.report.learning import elo_table_html, page_html, write_html

Series = Mapping[str, Sequence[tuple[float, float]]]


def _pick(metrics: Series, prefix: str, suffix: str = "") -> dict[str, list[tuple[float, float]]]:
    return {
        name[len(prefix) :].removesuffix(suffix) or name: list(points)
        for name, points in metrics.items()
        if name.startswith(prefix) and name.endswith(suffix) and points
    }


def curve_section(
    curves: Mapping[str, Sequence[tuple[float, float]]],
    *,
    y_label: str,
    probability: bool = False,
    include_zero: bool = False,
) -> str:
    """A chart of ``curves`` over steps and, below it, each curve's last value."""
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{pts[-1][0]:.4g}</td><td>{pts[-1][1]:.4g}</td></tr>"
        for name, pts in curves.items()
        if pts
    )
    head = f"<tr><th>series</th><th>last step</th><th>last {escape(y_label)}</th></tr>"
    chart = line_chart_svg(
        curves,
        x_label="step",
        y_label=y_label,
        probability=probability,
        include_zero=include_zero,
    )
    return chart + f"<table>{head}{rows}</table>"


def write_llm_self_play_report(
    run_dir: str | Path,
    config: Mapping[str, Any],
    metrics: Series,
    elo: Sequence[EloRating] = (),
) -> Path:
    """Write ``report.html`` into ``run_dir`` from ``metrics`` (every logged metric's
    ``(step, value)`` points); return its path."""
    sections: list[tuple[str, str]] = []
    legal = _pick(metrics, "train/legal_rate")
    if legal:
        sections.append(
            (
                "Legal-move rate (self-play decisions)",
                curve_section(
                    {"legal moves": legal["train/legal_rate"]}, y_label="rate", probability=True
                ),
            )
        )
    exploit = _pick(metrics, "exploitability")
    if exploit:
        named = {
            ("current policy" if k in ("", "exploitability") else k.strip("/_")): v
            for k, v in exploit.items()
        }
        sections.append(
            (
                "Exploitability of the induced policy (exact best response)",
                curve_section(named, y_label="exploitability", include_zero=True),
            )
        )
    critic = {
        name.removeprefix("eval/").replace("critic/", ""): list(points)
        for name, points in metrics.items()
        if name.startswith("eval/") and "/critic/" in name and points
    }
    if critic:
        sections.append(
            (
                "Critic's accuracy against a random sneaky generator (SPC; exact, from the "
                "induced policy)",
                curve_section(critic, y_label="accuracy", probability=True),
            )
        )
    rates = _pick(metrics, "eval/", "_rate")
    evaluators = sorted({name.rsplit("/", 1)[0] for name in rates})
    for evaluator in evaluators:
        series: dict[str, list[tuple[float, float]]] = {}
        bands: dict[str, list[tuple[float, float, float]]] = {}
        for outcome in ("win", "draw", "loss", "invalid"):
            points = rates.get(f"{evaluator}/{outcome}")
            if not points:
                continue
            low = dict(metrics.get(f"eval/{evaluator}/{outcome}_low", ()))
            high = dict(metrics.get(f"eval/{evaluator}/{outcome}_high", ()))
            series[outcome] = points
            bands[outcome] = [(x, low[x], high[x]) for x, _ in points if x in low and x in high]
        if not series:  # an eval metric ending in _rate that is no outcome rate
            continue
        sections.append(
            (
                f"Against {evaluator}: win, draw, loss and invalid rates (95% Wilson)",
                line_chart_svg(
                    series, x_label="step", y_label="rate", probability=True, bands=bands
                ),
            )
        )
    rewards = _pick(metrics, "eval/", "/mean_reward")
    if rewards:
        sections.append(
            (
                "Mean reward of the policy's seat against each evaluator",
                curve_section(rewards, y_label="reward"),
            )
        )
    train = {
        k: v for k, v in _pick(metrics, "train/").items() if k in ("loss", "entropy", "logprob_gap")
    }
    if train:
        sections.append(("Training", curve_section(train, y_label="value")))
    length = _pick(metrics, "train/response_length")
    if length:
        sections.append(
            (
                "Response length (tokens per reply)",
                curve_section(length, y_label="tokens", include_zero=True),
            )
        )
    past = _pick(metrics, "population/past_win_rate")
    if past:
        sections.append(
            (
                "Win rate against past snapshots (a draw counts half)",
                curve_section(past, y_label="rate", probability=True),
            )
        )
    baselines = _pick(metrics, "baseline/")
    if baselines:
        sections.append(
            (
                "RAE baselines per (game, role)",
                curve_section(baselines, y_label="baseline"),
            )
        )
    speed = _pick(metrics, "speed/")
    if speed:
        sections.append(("Speed", curve_section(speed, y_label="per second", include_zero=True)))
    seconds = _pick(metrics, "seconds/")
    if seconds:
        sections.append(
            ("Seconds per phase", curve_section(seconds, y_label="seconds", include_zero=True))
        )
    if elo:
        sections.append(("Checkpoints on one Elo scale (95% interval)", elo_table_html(elo)))
    if not sections:
        sections.append(("Steps", "<p>No step finished yet.</p>"))
    title = str(config.get("name", Path(run_dir).name))
    page = page_html(title, sections, subtitle=str(config.get("description", "")), config=config)
    return write_html(Path(run_dir) / "report.html", page)
