"""The learning report: its SVG building blocks are well-formed and show what they are
given; the psro and fxp recipe kinds run, resume and write a report; headless Chromium
renders the report with no console errors (and does catch them on a page that has
some)."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from redqueen.experiments import parse_recipe
from redqueen.measure.ratings import EloRating
from redqueen.report.charts import line_chart_svg
from redqueen.report.learning import (
    curve_section,
    elo_table_html,
    heat_map_svg,
    lineage_svg,
)
from redqueen.store.run_store import RunStore

SVG = "{http://www.w3.org/2000/svg}"


def _svg(text: str) -> ET.Element:
    return ET.fromstring(text)  # raises on malformed markup


def test_curves_are_drawn_by_the_shared_chart_with_nice_ticks_and_a_zero_line() -> None:
    # the learning pages draw their curves with report.charts (no copy of their own)
    svg = _svg(
        curve_section(
            {"a<b": [(0, -0.98), (1, 0.2), (2, 0.51)], "nash": [(0, 0.3), (2, 0.1)]},
            y_label="return",
        ).split("<table>")[0]
    )
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts[:5] == ["-1.0", "-0.5", "0", "0.5", "1.0"]  # nice y ticks, bottom up
    assert texts[5:8] == ["0", "1", "2"]  # whole iterations
    assert len([x for x in svg.iter(f"{SVG}line") if x.get("class") == "zero"]) == 1
    assert "a<b" in texts and "nash" in texts  # the legend, escaped
    assert [len(p.get("points", "").split()) for p in svg.findall(f"{SVG}polyline")] == [3, 2]
    log = _svg(
        curve_section(
            {"nash": [(0, 2.3), (1, 0.28), (2, 0.028), (3, 0.0)]},
            y_label="exploitability",
            log_y=True,
        ).split("<table>")[0]
    )
    texts = [t.text for t in log.iter(f"{SVG}text")]
    assert texts[:4] == ["0.01", "0.1", "1", "10"]  # powers of ten
    assert "exploitability (log scale)" in texts
    assert "1 point(s) at or below 0 not shown on the log scale" in texts
    assert line_chart_svg({"empty": []}, x_label="x", y_label="y") == "<p>No points yet.</p>"


def test_heat_map_cells_labels_and_tooltips() -> None:
    svg = _svg(
        heat_map_svg(
            np.array([[1.0, -1.0], [np.nan, 0.0]]),
            ["r0", "r&1"],
            ["c0", "c1"],
            sem=np.array([[0.1, 0.1], [0.0, 0.0]]),
            counts=np.array([[10, 10], [0, 3]]),
        )
    )
    rects = svg.findall(f"{SVG}rect")
    assert len(rects) == 4
    assert rects[0].get("fill") == "rgb(255,115,105)"  # +1: full red
    assert rects[1].get("fill") == "rgb(105,145,255)"  # -1: full blue
    assert rects[2].get("fill") == "#eeeeee"  # not measured
    # The 95% interval uses the t quantile of 9 degrees of freedom, 2.262, not 1.96.
    assert rects[0].findtext(f"{SVG}title") == "r0 vs c0: 1 ± 0.23 over 10"
    assert "r&1" in [t.text for t in svg.iter(f"{SVG}text")]
    with pytest.raises(ValueError, match="labels"):
        heat_map_svg(np.zeros((2, 2)), ["a"], ["b", "c"])


def test_elo_table_and_lineage() -> None:
    table = elo_table_html(
        [EloRating("p0-1", 1600.4, 1550.2, 1650.9, 40), EloRating("p0-0", 1400, np.nan, np.nan, 2)]
    )
    assert "<td>p0-1</td><td>1600</td><td>[1550, 1651]</td><td>40</td>" in table
    assert "<td>–</td>" in table
    members = [
        {"id": "p0-0", "seat": 0, "iteration": 0, "parents": []},
        {"id": "p1-0", "seat": 1, "iteration": 0, "parents": []},
        {"id": "p0-1", "seat": 0, "iteration": 1, "parents": ["p1-0"]},
        {"id": "p1-1", "seat": 1, "iteration": 1, "parents": ["p0-0", "p0-1"]},
    ]
    svg = _svg(lineage_svg(members))
    assert len(svg.findall(f"{SVG}circle")) == 4
    assert len(svg.findall(f"{SVG}line")) == 3  # one per parent link


def test_psro_recipe_runs_resumes_and_reports(tmp_path: Path) -> None:
    data = {
        "name": "psro_tiny",
        "kind": "psro",
        "game": "kuhn_poker",
        "meta_solvers": ["uniform", "nash"],
        "iterations": 2,
        "elo_matches": 2,
    }
    outcome = parse_recipe(data).run(tmp_path)
    result = outcome.to_dict()
    assert result["runs"]["nash"]["curve"][0][1] == pytest.approx(11 / 24)
    with RunStore(tmp_path / "nash") as store:
        # 3 members per seat after 2 iterations: 9 profiles of 2 matches
        assert len(store.completed_keys()) == 18
    more = parse_recipe({**data, "iterations": 3}).run(tmp_path)  # resumes, one more step
    assert [p[0] for p in more.to_dict()["runs"]["nash"]["curve"]] == [0, 1, 2, 3]
    html = (tmp_path / "report.html").read_text()
    for heading in ("Exploitability", "nash: population Elo", "uniform: lineage"):
        assert heading in html
    with pytest.raises(Exception, match="meta_solvers"):
        parse_recipe({**data, "meta_solvers": ["best"]})


def test_fxp_recipe_report(tmp_path: Path) -> None:
    recipe = parse_recipe({"name": "fxp_tiny", "kind": "fxp", "iterations": 40})
    outcome = recipe.run(tmp_path).to_dict()
    assert set(outcome["runs"]) == {"self_play", "fxp_eta0.5"}
    assert outcome["runs"]["self_play"]["final"] > 1.0 > outcome["runs"]["fxp_eta0.5"]["final"]
    html = (tmp_path / "report.html").read_text()
    assert "Exploitability of the main policy" in html and "self_play (eta=0)" in html
    with pytest.raises(Exception, match="eta"):
        parse_recipe({"name": "x", "kind": "fxp", "etas": [2.0]})


def _chromium_console(path: Path) -> tuple[str, list[str]]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("chromium not installed: apt-get install chromium")
    proc = subprocess.run(
        [exe, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr",
         "--v=0", "--dump-dom", path.resolve().as_uri()],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
    return proc.stdout, console


def test_report_renders_in_headless_chromium_without_console_errors(tmp_path: Path) -> None:
    """The fxp recipe's real report; a control page first proves errors are caught."""
    control = tmp_path / "control.html"
    control.write_text("<!doctype html><p>x</p><script>console.error('marker-42')</script>")
    _, console = _chromium_console(control)
    assert any("marker-42" in line for line in console)  # the check can fail
    parse_recipe({"name": "fxp_tiny", "kind": "fxp", "iterations": 20}).run(tmp_path)
    page = tmp_path / "report.html"
    dom, console = _chromium_console(page)
    assert console == []
    assert "<h2>Exploitability of the main policy</h2>" in dom and "<svg" in dom


def test_league_recipe_report(tmp_path: Path) -> None:
    data = {"name": "league_tiny", "kind": "league", "game": "kuhn_poker", "iterations": 2}
    outcome = parse_recipe({**data, "elo_matches": 1}).run(tmp_path).to_dict()
    assert len(outcome["members"]) == 9 and outcome["curve"][0][1] == pytest.approx(11 / 24)
    html = (tmp_path / "report.html").read_text()
    for heading in ("Exploitability of main agent 0", "Elo (matches played", "Lineage"):
        assert heading in html
    with RunStore(tmp_path / "league") as store:
        assert len(store.completed_keys()) == 36  # every pair of 9 members, once
