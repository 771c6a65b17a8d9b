"""A run whose matches failed says so in its report: how many, and each cause once."""

from __future__ import annotations

from pathlib import Path

from redqueen.experiments import parse_recipe
from redqueen.report.html import failed_section, write_report
from redqueen.store.run_store import RunStore


def test_failed_section_counts_each_cause_once() -> None:
    html = "".join(failed_section({"m1": "HTTP 500 <x>", "m2": "HTTP 500 <x>", "m3": "timeout"}))
    assert "3 match(es) failed" in html
    assert "<li>2 × HTTP 500 &lt;x&gt;</li><li>1 × timeout</li>" in html
    assert failed_section({}) == []


def test_a_tournament_report_shows_the_failed_matches(tmp_path: Path) -> None:
    recipe = parse_recipe(
        {"name": "t", "game": "tic_tac_toe", "agents": ["random", "first"], "games_per_pairing": 2}
    )
    recipe.run(tmp_path)
    assert "Failed matches" not in (tmp_path / "report.html").read_text()
    with RunStore(tmp_path) as store:
        store.set_meta("failed_matches", {"random-first/3": "no reply after 5 attempts"})
    text = write_report(tmp_path).read_text()
    assert "<h2>Failed matches</h2>" in text and "1 × no reply after 5 attempts" in text
