"""The reports say which statistic each number is: the run report names its interval,
W/D/L and Elo methods, labels pairwise counts and the return Elo, shows n beside every
interval, flags agents a run has not matched yet and provisional ratings; the learning
report rates a seat-bound population one seat at a time, with the seat advantage."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pytest
from scipy.optimize import fsolve

from redqueen.experiments import parse_recipe
from redqueen.play import MatchResult
from redqueen.play.schedule import ScheduledMatch
from redqueen.report.html import write_report
from redqueen.report.learning import population_elo, population_elo_sections
from redqueen.store.run_store import RunStore


def _cells(html: str, name: str) -> list[str]:
    row = re.search(rf"<tr><td>{re.escape(name)}( †)?</td>(.*?)</tr>", html)
    assert row is not None, name
    return [unescape(c) for c in re.findall(r"<td>(.*?)</td>", row.group(2))]


def test_run_report_of_a_game_with_stakes(tmp_path: Path) -> None:
    recipe = parse_recipe(
        {
            "kind": "tournament",
            "name": "kuhn",
            "game": "kuhn_poker",
            "agents": ["random", "first"],
            "games_per_pairing": 20,
        }
    )
    summary = recipe.run(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<th>return Elo</th>" in html and "<th>wins</th>" in html
    assert "score interval on the game&#x27;s return bounds" in html
    assert "return differences rescaled to the game&#x27;s bounds" in html
    for s in summary.standings:
        cells = _cells(html, s.name)
        assert cells[0] == "20"  # n beside the interval
        low, high = (float(v) for v in cells[2].strip("[]").split(", "))
        assert -2.0 <= low < s.returns.mean < high <= 2.0  # inside Kuhn's bounds
    assert "over 20 matches" in html  # each payoff cell's tooltip gives its n
    data = summary.to_dict()
    assert data["standings"][0]["ci_method"] == "bounded-score"
    assert {e["basis"] for e in data["elo"]} == {"returns"}


def test_run_report_of_three_seats_counts_pairwise(tmp_path: Path) -> None:
    recipe = parse_recipe(
        {
            "kind": "tournament",
            "name": "k3",
            "game": {"id": "kuhn_poker", "params": {"players": 3}},
            "agents": ["random", "first", "random"],
            "games_per_pairing": 6,
        }
    )
    recipe.run(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<th>pairwise wins</th><th>pairwise draws</th><th>pairwise losses</th>" in html
    assert "count pairwise comparisons" in html


def test_incomplete_run_flags_missing_pairings_and_unplayed_agents(tmp_path: Path) -> None:
    won, lost = (MatchResult("tic_tac_toe", k, r, 5, (0, 0), (), return_bounds=(-1.0, 1.0))
                 for k, r in ((0, (1.0, -1.0)), (1, (-1.0, 1.0))))  # fmt: skip
    with RunStore(tmp_path) as store:
        store.bind_config({"name": "mid", "game": {"id": "tic_tac_toe"}, "seed": 0})
        store.record_agents(["a", "b", "c"], [{}, {}, {}])
        store.set_meta("scheduled_matches", 30)
        for k in range(8):
            result = won if k < 6 else lost
            store.record_match(ScheduledMatch(f"g0-1:n{k}", k, (0, 1), k), result)
    html = write_report(tmp_path).read_text()
    assert "matches played: 8 of 30" in html
    # c has not played: no rating, listed last, flagged; a and b have not met c.
    assert _cells(html, "c")[6:9] == ["–", "–", "–"]  # score, Elo, its interval
    assert "† not yet matched against: a: c; b: c; c: a, b." in unescape(html)
    # 8 comparisons: provisional ratings are starred.
    assert _cells(html, "a")[7].endswith("*")


def _population_store(tmp_path: Path) -> list[dict]:
    """Seat 0 members p0, q0 only ever meet seat 1 members p1, q1; seat 0 wins 60 of 100
    in every pairing."""
    members = [
        {"id": "p0", "seat": 0}, {"id": "q0", "seat": 0},
        {"id": "p1", "seat": 1}, {"id": "q1", "seat": 1},
    ]  # fmt: skip
    won = MatchResult("g", 0, (1.0, -1.0), 1, (0, 0), ())
    lost = MatchResult("g", 0, (-1.0, 1.0), 1, (0, 0), ())
    with RunStore(tmp_path) as store:
        k = 0
        for i in (0, 1):
            for j in (2, 3):
                for n in range(100):
                    store.record_match(
                        ScheduledMatch(f"m{k}", k, (i, j), k), won if n < 60 else lost
                    )
                    k += 1
    return members


def test_population_elo_is_one_table_per_seat_with_the_seat_advantage(tmp_path: Path) -> None:
    members = _population_store(tmp_path)
    with RunStore(tmp_path) as store:
        fit = population_elo(store, members)
    assert fit is not None
    rows = {r.name: r for r in fit.ratings}
    # Identical members: every rating is exactly its seat's anchor; the seat's 60%
    # (70 Elo points) goes to the seat term, not to the seat-0 members' skill.
    for r in rows.values():
        assert r.elo == pytest.approx(1500, abs=1e-6)

    # The maximum a posteriori by hand: with d = r(seat 0) - r(seat 1) and h the seat-1
    # term, the 400 games score 240 at L(d - h); the 4 pairs carry 2 virtual draws each
    # on d, the seat term 0.1 on h. Setting the gradient to 0:
    #   400 L(d - h) - 240 + 8 (L(d) - 1/2) = 0,  -(400 L(d - h) - 240) + 0.1 (L(h) - 1/2) = 0
    def logistic(x: float) -> float:
        return 1 / (1 + 10 ** (-x / 400))

    def gradient(v: list[float]) -> list[float]:
        d, h = v
        data = 400 * logistic(d - h) - 240
        return [data + 8 * (logistic(d) - 0.5), -data + 0.1 * (logistic(h) - 0.5)]

    _, h_expected = fsolve(gradient, [0.0, -70.0], xtol=1e-12)
    h, low, high = fit.seat_advantage[1]
    assert h == pytest.approx(h_expected, abs=1e-6)
    assert h == pytest.approx(-70, abs=2)  # the seat's 60%: 70.4 points, in the seat term
    assert low < h < high
    sections = population_elo_sections("nash", fit, members)
    headings = [heading for heading, _ in sections]
    assert headings[0].startswith("nash: population Elo, seat 0")
    assert headings[1].startswith("nash: population Elo, seat 1")
    assert headings[2] == "nash: seat advantage"
    assert "<td>p0</td>" in sections[0][1] and "<td>p1</td>" not in sections[0][1]
    assert "seat-advantage term" in sections[0][1]
    assert "seat 1: -70" in sections[2][1]
