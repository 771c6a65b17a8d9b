"""Charts read right: nice tick values, zero lines, probability axes from 0, log axes at
powers of ten, legends; and the LLM reports' tables fit a 1280-pixel window (measured in
headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from redqueen.errors import InvalidParameterError
from redqueen.measure.social import match_rate
from redqueen.measure.statistics import mean_ci, rate_with_interval
from redqueen.report.charts import (
    PALETTE,
    colour_scale_svg,
    diverging_colour,
    line_chart_svg,
    log_ticks,
    nice_ticks,
    tick_label,
    value_axis,
)
from redqueen.report.llm_games import (
    POOLED_ROUNDS_METHOD,
    rate_html,
    write_baselines_report,
    write_repeated_games_report,
)
from redqueen.report.llm_self_play import write_llm_self_play_report
from redqueen.report.red_queen import write_red_queen_report
from redqueen.report.social import commons_norms_report, donor_evolution_report

SVG = "{http://www.w3.org/2000/svg}"


def _svg(text: str) -> ET.Element:
    return ET.fromstring(text)  # raises on malformed markup


def _texts(svg: ET.Element) -> list[str]:
    return [t.text or "" for t in svg.iter(f"{SVG}text")]


def _svgs(page: str) -> list[ET.Element]:
    return [_svg(m) for m in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


# ---- ticks ------------------------------------------------------------------------------------


def test_nice_ticks_are_round_values_that_cover_the_data() -> None:
    # the mean-return axis that was labelled only -0.98 and 0.51
    assert nice_ticks(-0.98, 0.51) == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert nice_ticks(0.0, 0.3) == [0.0, 0.1, 0.2, 0.3]
    assert nice_ticks(0.0, 0.7) == [0.0, 0.2, 0.4, 0.6, 0.8]  # not 0.6000000000000001
    assert nice_ticks(12.0, 87.0) == [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
    assert nice_ticks(1, 10, integer=True) == [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    assert nice_ticks(1, 3, integer=True) == [1.0, 2.0, 3.0]  # never 1.5
    assert nice_ticks(5.0, 5.0) == [4.4, 4.6, 4.8, 5.0, 5.2, 5.4, 5.6]  # a range around it
    with pytest.raises(InvalidParameterError, match="finite"):
        nice_ticks(0.0, float("nan"))


def test_tick_labels_carry_the_decimals_the_step_needs() -> None:
    assert [tick_label(t, 0.2) for t in nice_ticks(0.0, 0.7)] == ["0", "0.2", "0.4", "0.6", "0.8"]
    assert [tick_label(t, 0.5) for t in nice_ticks(-0.98, 0.51)] == [
        "-1.0",
        "-0.5",
        "0",
        "0.5",
        "1.0",
    ]
    assert tick_label(2000.0, 500.0) == "2000"
    assert tick_label(2.5e-4) == "2.5e-4" and tick_label(3e6) == "3e6"
    assert tick_label(-0.0, 0.1) == "0"


def test_log_ticks_are_powers_of_ten() -> None:
    # a linear split of log10 over [0.028, 2.3] gave ticks at 2.3, 0.79, 0.28, ...
    assert log_ticks(0.028, 2.3) == [0.01, 0.1, 1.0, 10.0]
    assert log_ticks(3.0, 70.0) == [1.0, 5.0, 10.0, 20.0, 50.0, 100.0]
    assert log_ticks(1.0, 1e12)[:3] == [1.0, 100.0, 10000.0]  # every second power
    with pytest.raises(InvalidParameterError, match="positive"):
        log_ticks(0.0, 1.0)


def test_probability_axis_starts_at_zero() -> None:
    # the axis whose bottom read 0.00083
    axis = value_axis([0.00083, 0.4], lower=0.0, upper=1.0)
    assert (axis.lo, axis.hi) == (0.0, 1.0)
    assert axis.ticks == (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
    assert axis.fraction(0.5) == 0.5
    assert value_axis([5.0, 9.0], include_zero=True).ticks[0] == 0.0
    assert value_axis([-0.98, 0.51]).crosses_zero


# ---- the line chart ---------------------------------------------------------------------------


def test_line_chart_has_a_zero_line_nice_ticks_and_a_legend() -> None:
    svg = _svg(
        line_chart_svg(
            {"mean return": [(1, -0.98), (2, 0.2), (3, 0.51)], "a<b": [(1, 0.0), (3, 0.1)]},
            x_label="round",
            y_label="return",
        )
    )
    texts = _texts(svg)
    assert texts[:5] == ["-1.0", "-0.5", "0", "0.5", "1.0"]  # the y ticks, bottom up
    assert texts[5:8] == ["1", "2", "3"]  # whole rounds, not 1.5 or 2.25
    zero = [line for line in svg.iter(f"{SVG}line") if line.get("class") == "zero"]
    assert len(zero) == 1
    assert "mean return" in texts and "a<b" in texts  # the legend, escaped
    assert len(svg.findall(f"{SVG}polyline")) == 2


def test_probability_chart_bottom_reads_zero() -> None:
    svg = _svg(
        line_chart_svg(
            {"legal": [(0, 0.00083), (10, 0.02)]},
            x_label="step",
            y_label="rate",
            probability=True,
        )
    )
    texts = _texts(svg)
    assert texts[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert not any("0.00083" in t for t in texts)


def test_log_chart_ticks_at_powers_of_ten_and_counts_what_it_cannot_show() -> None:
    svg = _svg(
        line_chart_svg(
            {"exploitability": [(0, 2.3), (1, 0.79), (2, 0.28), (3, 0.028), (4, 0.0)]},
            x_label="iteration",
            y_label="exploitability",
            log_y=True,
        )
    )
    texts = _texts(svg)
    assert texts[:4] == ["0.01", "0.1", "1", "10"]
    assert "1 point(s) at or below 0 not shown on the log scale" in texts
    assert "exploitability (log scale)" in texts


def test_many_series_stay_distinguishable() -> None:
    series = {f"s{k}": [(0, k / 20), (1, k / 20)] for k in range(12)}
    svg = _svg(line_chart_svg(series, x_label="x", y_label="y", probability=True))
    styles = {(p.get("stroke"), p.get("stroke-dasharray")) for p in svg.iter(f"{SVG}polyline")}
    assert len(styles) == 12  # the 11th and 12th reuse colours, dashed
    assert (PALETTE[0], "6 3") in styles


def test_colour_scale_has_ticks_from_low_to_high() -> None:
    svg = _svg(
        "<svg xmlns='http://www.w3.org/2000/svg'>"
        + colour_scale_svg(-2.0, 2.0, lambda v: diverging_colour(v / 2), 10, 20, label="return")
        + "</svg>"
    )
    texts = _texts(svg)
    assert texts == ["return", "-2", "-1", "0", "1", "2"]
    fills = [r.get("fill") for r in svg.iter(f"{SVG}rect")]
    assert fills[0] == diverging_colour(1 - 1 / 32) and fills[31] == diverging_colour(-1 + 1 / 32)


# ---- the reports' charts -------------------------------------------------------------------


def test_red_queen_report_draws_fitness_on_a_probability_axis(tmp_path: Path) -> None:
    champion = {
        "fitness": 0.004, "processes": 1.0, "coverage": 2.0, "length": 1,
        "origin": "seed", "source": "MOV 0, 1",
    }  # fmt: skip
    record = {
        "round": 0, "champion": champion, "cells": 1, "evaluated": 1, "invalid": 0,
        "versus": [], "beats_all": True, "generality": None,
    }  # fmt: skip
    runs = [[record, {**record, "round": 1, "champion": {**champion, "fitness": 0.03}}]]
    page = write_red_queen_report(tmp_path, {"name": "drq"}, runs, []).read_text()
    (fitness,) = _svgs(page)
    assert _texts(fitness)[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert "run 0" in _texts(fitness)


def test_social_reports_log_axis_and_gini_note(tmp_path: Path) -> None:
    gens = 3
    mean: dict[str, Any] = {
        key: [0.5] * gens
        for key in (
            "donation_rate", "cooperation_rate", "gini", "punishment_rate",
            "antisocial_punishment", "mean_give", "mean_threshold",
        )
    }  # fmt: skip
    mean["mean_resources"] = [3.0, 40.0, 900.0]
    mean["counts"] = {"image_scoring": [5, 6, 7]}
    result = {"runs": [{}], "seconds": 1.0, "mean": mean}
    page = donor_evolution_report(tmp_path, {"name": "d", "population": []}, result).read_text()
    rates, resources, counts = _svgs(page)
    assert _texts(rates)[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert _texts(resources)[:4] == ["1", "10", "100", "1000"]
    assert _texts(counts)[0] == "0"

    cell = {
        "preset": "scarce", "institution": "none", "population": "greedy", "welfare": 1.0,
        "welfare_ratio": 0.5, "collapse_rate": 1.0, "mean_collapse_round": 3.0, "gini": 0.4,
        "compliance": 1.0, "fined_share": 0.0, "norm_convergence_round": 2.0,
        "stock": [10.0, 5.0, 0.0],
    }  # fmt: skip
    commons = {"cells": [cell], "seconds": 1.0}
    page = commons_norms_report(tmp_path, {"name": "c", "matches": 2}, commons).read_text()
    assert "with negative returns counted as 0" in page  # what results without the field did
    page = commons_norms_report(
        tmp_path, {"name": "c", "matches": 2}, {**commons, "gini_negatives": "kept"}
    ).read_text()
    assert "negative returns are kept" in page and "counted as 0" not in page


def test_llm_self_play_report_rates_start_at_zero(tmp_path: Path) -> None:
    metrics = {
        "train/legal_rate": [(1.0, 0.95), (2.0, 0.97)],
        "exploitability": [(1.0, 0.3), (2.0, 0.2)],
        "train/loss": [(1.0, -0.4), (2.0, 0.3)],
    }
    page = write_llm_self_play_report(tmp_path, {"name": "sp"}, metrics).read_text()
    legal, exploit, train = _svgs(page)
    assert _texts(legal)[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert _texts(exploit)[0] == "0"
    assert sum(1 for line in train.iter(f"{SVG}line") if line.get("class") == "zero") == 1


def test_llm_self_play_report_draws_a_critics_accuracies(tmp_path: Path) -> None:
    """The exact critic accuracies a critic_game run logs get a chart of their own, on a
    probability axis, with their last values."""
    metrics = {
        "eval/critic/correct_steps": [(25.0, 0.34), (300.0, 0.999)],
        "eval/critic/erroneous_steps": [(25.0, 0.66), (300.0, 0.932)],
        "eval/critic/harmonic_mean": [(25.0, 0.45), (300.0, 0.964)],
    }
    page = write_llm_self_play_report(tmp_path, {"name": "c"}, metrics).read_text()
    assert "accuracy against a random sneaky generator (SPC; exact" in page
    (chart,) = _svgs(page)
    assert _texts(chart)[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert "erroneous_steps" in page and "0.932" in page


# ---- the LLM reports' tables at 1280 pixels --------------------------------------------------

OPPONENTS = {
    "prisoners_dilemma": [
        "always_cooperate", "always_defect", "alternate", "defect_once", "tit_for_tat",
        "grim_trigger",
    ],
    "battle_of_the_sexes": ["always_own", "always_other", "alternate"],
}  # fmt: skip


def _repeated_inputs() -> tuple[list[dict[str, Any]], dict[Any, Any], dict[Any, Any]]:
    """The groups of the shipped recipe (9 opponents x 2 variants, 10 matches of 10
    rounds), with wide numbers in every column."""
    groups, points, per_round = [], {}, {}
    for game, names in OPPONENTS.items():
        measure = "cooperation" if game == "prisoners_dilemma" else "coordination"
        for opponent in names:
            for variant in ("plain", "predict_first"):
                group: dict[str, Any] = {
                    "game": game, "opponent": opponent, "variant": variant, "matches": 10,
                    "points_per_round": -5.125,
                    measure: match_rate([9, 8, 10, 7, 9, 8, 10, 9, 9, 8], [10] * 10),
                    "invalid_moves": 13,
                }  # fmt: skip
                if variant == "predict_first":
                    group["prediction_accuracy"] = match_rate(
                        [8, 9, 7, 9, 8, 9, 8, 9, 7, 9], [10] * 10
                    )
                    group["belief_consistency"] = {
                        "fraction": 0.917, "consistent": 88, "decisions": 96, "unparsed": 4,
                    }  # fmt: skip
                groups.append(group)
                key = (game, opponent, variant)
                points[key] = (mean_ci([-5.1, 4.3, 7.9, -6.0]), mean_ci([-1.2, 3.3, 2.5, 8.0]))
                per_round[key] = [
                    rate_with_interval(k, 10) for k in (10, 9, 9, 8, 7, 7, 6, 6, 5, 5)
                ]
    return groups, points, per_round


def _chromium_layout(page: Path) -> dict[str, int]:
    """Render ``page`` in a 1280 x 900 window; return the viewport's width, the page's
    scroll width and the right edge of the widest table (CSS pixels)."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed (apt-get install chromium): cannot measure layout")
    probe = page.with_name("probe.html")
    probe.write_text(
        page.read_text()
        + "<script>addEventListener('load',()=>{const r=[...document.querySelectorAll("
        "'table')].map(t=>t.getBoundingClientRect().right);document.body.dataset.probe="
        "[document.documentElement.clientWidth,document.documentElement.scrollWidth,"
        "Math.ceil(Math.max(0,...r))].join(',')})</script>"
    )
    proc = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1280,900",
         "--virtual-time-budget=2000", "--dump-dom", probe.resolve().as_uri()],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    found = re.search(r'data-probe="(\d+),(\d+),(\d+)"', proc.stdout)
    assert found is not None, proc.stderr[-2000:]
    viewport, scroll, table = map(int, found.groups())
    return {"viewport": viewport, "scroll": scroll, "table": table}


def test_repeated_games_tables_fit_1280_pixels(tmp_path: Path) -> None:
    groups, points, per_round = _repeated_inputs()
    path = write_repeated_games_report(
        tmp_path, {"name": "repeated_games_llm", "rounds": 10}, groups, points, per_round, ["k"]
    )
    page = path.read_text()
    # the method of the rates is named, and so are the matches behind each
    assert "matches as the unit" in page and POOLED_ROUNDS_METHOD not in page
    assert rate_html(groups[0]["cooperation"]) in page
    assert "87/100 in 10 matches" in page
    # the per-round chart: a probability axis, whole rounds
    chart = _svgs(page)[0]
    assert _texts(chart)[:6] == ["0", "0.2", "0.4", "0.6", "0.8", "1.0"]
    assert "3.25" not in _texts(chart)
    layout = _chromium_layout(path)
    assert layout["scroll"] <= layout["viewport"], layout
    assert layout["table"] <= layout["viewport"], layout


def test_baselines_table_fits_1280_pixels(tmp_path: Path) -> None:
    rate = rate_with_interval(7, 20)
    outcomes = {k: rate for k in ("win", "draw", "loss", "invalid", "forfeit")}
    rows = [
        {
            "game": game,
            "opponent": opponent,
            "matches": 20,
            **outcomes,
            "invalid_moves_per_decision": 0.0123,
        }
        for game in ("tic_tac_toe", "kuhn_poker", "spiral_negotiation")
        for opponent in ("random", "minimax:depth=9", "cfr:iterations=1000")
    ]
    path = write_baselines_report(tmp_path, {"name": "llm_vs_baselines"}, rows, ["k"])
    assert "0.350<br><small>[0.181, 0.567]</small><br><small>7/20</small>" in path.read_text()
    layout = _chromium_layout(path)
    assert layout["scroll"] <= layout["viewport"], layout
    assert layout["table"] <= layout["viewport"], layout


def test_a_pooled_rate_without_a_method_is_labelled_as_such(tmp_path: Path) -> None:
    groups, points, per_round = _repeated_inputs()
    for g in groups:  # rate dicts as the recipe wrote them before the match was the unit
        for key in ("cooperation", "coordination", "prediction_accuracy"):
            if key in g:
                g[key] = rate_with_interval(g[key]["count"], g[key]["n"])
    page = write_repeated_games_report(
        tmp_path, {"name": "r", "rounds": 10}, groups, points, per_round, ["k"]
    ).read_text()
    assert POOLED_ROUNDS_METHOD in page


def test_llm_self_play_report_draws_every_outcome_against_each_evaluator(tmp_path: Path) -> None:
    """One chart per evaluator with its win, draw, loss and invalid rates (95% Wilson
    bands); an eval metric that ends in _rate but is no outcome rate draws no empty chart."""
    metrics: dict[str, list[tuple[float, float]]] = {}
    for outcome, rate in (("win", 0.5), ("draw", 0.1), ("loss", 0.3), ("invalid", 0.1)):
        metrics[f"eval/random/{outcome}_rate"] = [(10.0, rate), (20.0, rate)]
        metrics[f"eval/random/{outcome}_low"] = [(10.0, rate / 2), (20.0, rate / 2)]
        metrics[f"eval/random/{outcome}_high"] = [(10.0, rate * 1.5), (20.0, rate * 1.5)]
    metrics["eval/other/coverage_rate"] = [(10.0, 0.9)]
    page = write_llm_self_play_report(tmp_path, {"name": "sp"}, metrics).read_text()
    assert "Against random: win, draw, loss and invalid rates (95% Wilson)" in page
    assert "Against other" not in page
    (chart,) = _svgs(page)
    labels = set(_texts(chart))
    assert {"win", "draw", "loss", "invalid"} <= labels, labels
