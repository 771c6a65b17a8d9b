"""The HTML reports of the three LLM recipe kinds, from tiny runs against the in-process
scripted TEST server (real HTTP, a required API key): the numbers of ``results.json``
are on the page, the key is on no page, model text is escaped, and ``redqueen report``
rewrites the page from the store."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.cli import app
from redqueen.experiments import parse_recipe
from redqueen.experiments.llm_games import round_rates, stored_results
from redqueen.report.llm_games import (
    baselines_table_html,
    fmt,
    match_links,
    rate_html,
    rates_chart_svg,
    stacked_cell,
    strategies_html,
)

KEY = "sk-test-G2-9f8e7d6c5b4a39281706"
ENV = "REDQUEEN_TEST_REPORT_KEY"
EVIL = "<script>alert('x')</script>"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[ScriptedServer]:
    monkeypatch.setenv(ENV, KEY)
    with ScriptedServer("first", api_key=KEY) as s:
        yield s


def _llm(server: ScriptedServer, **extra: Any) -> dict[str, Any]:
    return {"model": "scripted", "base_url": server.url, "api_key_env": ENV, **extra}


def _pages(run: Path) -> tuple[str, str]:
    return (run / "report.html").read_text(), (run / "transcripts.html").read_text()


def _no_key_and_linked(run: Path) -> None:
    report, transcripts = _pages(run)
    for page in (report, transcripts, (run / "results.json").read_text()):
        assert KEY not in page
    assert "<a href='transcripts.html'>transcripts</a>" in report
    for anchor in re.findall(r"transcripts\.html#([\w-]+)", report):  # every link lands
        assert f'id="{anchor}"' in transcripts
    assert not re.search(r"<(script|link|img|iframe)\b|\bsrc=", report)  # self-contained


def _report_command_rewrites(run: Path) -> None:
    before = (run / "report.html").read_text()
    (run / "report.html").unlink()
    result = CliRunner().invoke(app, ["report", str(run)])
    assert result.exit_code == 0, result.output
    assert (run / "report.html").read_text() == before


def test_repeated_games_report(server: ScriptedServer, tmp_path: Path) -> None:
    data = {
        "name": "rg",
        "kind": "repeated_games_llm",
        "llm": _llm(server),
        "games": ["prisoners_dilemma"],
        "rounds": 3,
        "opponents": {"prisoners_dilemma": ["always_defect"]},
        "matches_per_seat": 1,
    }
    run = tmp_path / "rg"
    parse_recipe(data).run(run)
    report, _ = _pages(run)
    groups = {g["variant"]: g for g in json.loads((run / "results.json").read_text())["groups"]}
    assert set(groups) == {"plain", "predict_first"}
    for g in groups.values():
        assert f"<td>{rate_html(g['cooperation'])}</td>" in report
    pf = groups["predict_first"]
    assert f"<td>{rate_html(pf['prediction_accuracy'])}</td>" in report
    c = pf["belief_consistency"]
    belief = stacked_cell(fmt(c["fraction"]), f"{c['consistent']}/{c['decisions']}", "0 unparsed")
    assert f"<td>{belief}</td>" in report
    # per round: the rates add up to the group's totals, and both games' charts are drawn
    _, results = stored_results(run)
    per_round = round_rates(results)
    for (_, _, variant), rates in per_round.items():
        assert len(rates) == 3
        assert sum(r["count"] for r in rates) == groups[variant]["cooperation"]["count"]
        assert sum(r["n"] for r in rates) == groups[variant]["cooperation"]["n"] == 6
    assert "prisoners_dilemma: cooperation rate per round" in report
    assert report.count("<polyline") == 2  # one line per variant
    # the LLM's mean points per round over its 2 matches, with the 95% t interval
    for g in groups.values():
        assert f"<td>{fmt(g['points_per_round'])}<br><small>[" in report
    _no_key_and_linked(run)
    _report_command_rewrites(run)


def test_baselines_report_counts_forfeits(server: ScriptedServer, tmp_path: Path) -> None:
    run = tmp_path / "vb"
    parse_recipe(
        {
            "name": "vb",
            "kind": "llm_vs_baselines",
            "llm": _llm(server),
            "matches_per_seat": 1,
            "games": [{"id": "tic_tac_toe", "opponents": ["minimax"]}],
        }
    ).run(run)
    report, _ = _pages(run)
    (row,) = json.loads((run / "results.json").read_text())["groups"]
    assert row["loss"]["count"] == 2  # first-free-cell loses to minimax from either seat
    for name in ("win", "draw", "loss", "invalid"):
        assert f"<td>{rate_html(row[name])}</td>" in report
    # no forfeit: the rate above its interval and count
    assert "<td>0.000<br><small>[0.000, 0.658]</small><br><small>0/2</small></td>" in report
    # the chart: a bar per rate, the loss bar full width (rate 1 on a 480 px axis)
    assert report.count("<title>tic_tac_toe vs minimax: ") == 5
    assert "width='480.0' height='10' fill='#55a868'><title>tic_tac_toe vs minimax: loss " in report
    _no_key_and_linked(run)
    _report_command_rewrites(run)

    # every reply malformed, no re-ask, forfeit: each match a forfeit, counted apart
    with ScriptedServer("first", api_key=KEY, malformed_rate=1.0) as bad:
        run = tmp_path / "forfeits"
        llm = _llm(bad, reasks=0, on_invalid="forfeit")
        parse_recipe(
            {
                "name": "ff",
                "kind": "llm_vs_baselines",
                "llm": llm,
                "matches_per_seat": 1,
                "games": [{"id": "tic_tac_toe", "opponents": ["first"]}],
            }
        ).run(run)
    report = (run / "report.html").read_text()
    all_of_2 = "1.000 [0.342, 1.000] 2/2"
    table = report.split("<h2>Chart")[0].replace("<wbr>", "")
    cells = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<td>(.*?)</td>", table)
    ]
    assert cells[:9] == [
        "tic_tac_toe",
        "first",
        "2",
        "0.000 [0.000, 0.658] 0/2",
        "0.000 [0.000, 0.658] 0/2",
        all_of_2,  # loss
        all_of_2,  # invalid
        all_of_2,  # forfeit
        "–",  # invalid moves per decision: none, it forfeited before its first move
    ]


def test_donor_cultural_report(server: ScriptedServer, tmp_path: Path) -> None:
    run = tmp_path / "dc"
    data = {
        "name": "dc",
        "kind": "donor_cultural_evolution",
        "llm": _llm(server),
        "agents": 4,
        "rounds": 2,
        "generations": 2,
    }
    parse_recipe(data).run(run)
    report, _ = _pages(run)
    history = json.loads((run / "results.json").read_text())["generations"]
    for g in history:
        row = (
            f"<tr><td>{g['generation'] + 1}</td><td>{fmt(g['mean_resources'])}</td>"
            f"<td>{fmt(g['mean_given'])}</td><td>{g['invalid_moves']}</td>"
            f"<td>{', '.join(map(str, g['survivor_seats']))}</td></tr>"
        )
        assert row in report
        assert f"generation {g['generation'] + 1}: 2 survivors" in report
    assert history[0]["mean_resources"] == 10.0 and history[0]["mean_given"] == 0.0
    assert report.count("(survived, final resources 10.000)") == 4
    assert "transcripts.html#match-generation-1-strategies" in report
    _no_key_and_linked(run)
    _report_command_rewrites(run)


def test_model_text_is_escaped() -> None:
    rate = {"rate": 0.5, "low": 0.1, "high": 0.9, "count": 1, "n": 2}
    row = {"game": "tic_tac_toe", "opponent": EVIL, "matches": 2, "win": rate, "loss": rate}
    history = [
        {
            "generation": 0,
            "strategies": [EVIL, "give </li></ol></details> half"],
            "returns": [1.0, 2.0],
            "survivor_seats": [1],
        }
    ]
    for page in (
        baselines_table_html([row]),
        rates_chart_svg([row]),
        strategies_html(history),
        match_links([EVIL]),
    ):
        assert "<script" not in page and "&lt;script&gt;alert(" in page
        assert "</li></ol></details> half" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in strategies_html(history)
    assert "give &lt;/li&gt;&lt;/ol&gt;&lt;/details&gt; half" in strategies_html(history)
    cell = "<td>0.500<br><small>[0.100, 0.900]</small><br><small>1/2</small></td>"
    assert cell in baselines_table_html([row])
    assert "(replaced, final resources 1.000)" in strategies_html(history)
