"""Standings and ratings that mean what they say: the return Elo agrees with the mean
returns in a game with stakes, agents that never played move nothing, non-finite returns
are refused, self-play is one observation per match, rows of an incomplete run weigh
every opponent equally, and games of three seats count pairwise."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.agents.random_agent import RandomAgent
from redqueen.agents.registry import make_agent
from redqueen.errors import InvalidParameterError
from redqueen.measure import payoff_matrix, seated, standings
from redqueen.measure.ratings import FEW_GAMES, elo_fit, elo_ratings, openskill_ratings
from redqueen.play import MatchResult, play_match, tournament
from redqueen.solve.cfr import solve


def _result(*returns: float) -> MatchResult:
    return MatchResult("test", 0, tuple(returns), 1, (0,) * len(returns), ())


def test_kuhn_return_elo_agrees_with_mean_return(tmp_path: Path) -> None:
    game = redqueen.make("kuhn_poker")
    path = tmp_path / "kuhn_poker-cfr+.json"
    solve(game, "cfr+", 300).average_policy.save(path, game=game)
    agents = [make_agent("policy", path=str(path)), make_agent("random")]
    t = tournament(game, agents, 2000, seed=0)
    rows = standings(t.agent_names, seated(t))
    assert rows[0].name.startswith("policy") and rows[0].returns.mean > 0.1
    assert rows[0].returns.method == "bounded-score"  # the results carry Kuhn's bounds
    # The win Elo of this run ranks random first (it wins more hands, for fewer chips)...
    wins = elo_ratings(t.agent_names, seated(t), basis="outcomes")
    assert wins[0].name == "random" and wins[0].basis == "outcomes"
    # ...the return Elo, the default where the bounds are known, agrees with the standings.
    elo = elo_ratings(t.agent_names, seated(t))
    assert [r.name for r in elo] == [r.name for r in rows]
    assert {r.basis for r in elo} == {"returns"}
    # Closed form: each comparison scores 1/2 + (r_a - r_b) / 8 = 1/2 + r_policy / 4, so the
    # score over 2000 games is 1000 + 500 m; the prior adds 4 virtual draws to the pair.
    m = rows[0].returns.mean
    expected = 400 * math.log10((1002 + 500 * m) / (1002 - 500 * m))
    assert elo[0].elo - elo[1].elo == pytest.approx(expected, abs=1e-6)


def test_agents_that_never_played_move_nothing_and_the_prior_is_bayeselo() -> None:
    # a beat b 70-30, c beat b once, d never played.
    matches = [((0, 1), _result(1, -1))] * 70 + [((0, 1), _result(-1, 1))] * 30
    matches += [((2, 1), _result(1, -1))]
    with_d = elo_ratings(["a", "b", "c", "d"], matches)
    without = elo_ratings(["a", "b", "c"], matches)
    assert [r.name for r in with_d] == ["a", "c", "b", "d"]  # the 70-30 agent leads
    for x, y in zip(with_d, without, strict=False):
        assert (x.name, x.elo, x.low, x.high) == (y.name, y.elo, y.low, y.high)
    d = with_d[-1]
    assert math.isnan(d.elo) and d.games == 0 and d.to_dict()["elo"] is None
    # Virtual draws: a brings 2 (all with b), c brings 2 (with b), b brings 2 split over a
    # and c, so the a-b pair has 3 and the c-b pair 3; on a tree each gap is its own.
    rows = {r.name: r for r in with_d}
    gap_a = 400 * math.log10(71.5 / 31.5)
    gap_c = 400 * math.log10(2.5 / 1.5)
    assert rows["a"].elo - rows["b"].elo == pytest.approx(gap_a, abs=1e-6)
    assert rows["c"].elo - rows["b"].elo == pytest.approx(gap_c, abs=1e-6)
    assert rows["a"].elo + rows["b"].elo + rows["c"].elo == pytest.approx(4500)  # anchored
    assert rows["c"].provisional and rows["c"].games == 1 < FEW_GAMES
    assert not rows["a"].provisional


def test_non_finite_returns_are_refused_naming_game_and_seat(monkeypatch) -> None:
    with pytest.raises(InvalidParameterError, match="kuhn_poker gave seat 1 the return nan"):
        MatchResult("kuhn_poker", 0, (1.0, math.nan), 1, (0, 0), ())
    with pytest.raises(InvalidParameterError, match="seat 0 the return inf"):
        MatchResult.from_dict(
            {
                "game": "g",
                "seed": 0,
                "returns": [math.inf, 0.0],
                "length": 1,
                "invalid_moves": [0, 0],
                "trajectory": [],
            }
        )
    game = redqueen.make("matching_pennies")
    state_class = type(game.new_initial_state())
    monkeypatch.setattr(state_class, "returns", lambda self: [math.nan, 0.0])
    with pytest.raises(InvalidParameterError, match="matching_pennies gave seat 0"):
        play_match(game, [RandomAgent(), RandomAgent()], seed=1)


def test_self_play_is_one_value_per_match() -> None:
    game = redqueen.make("matching_pennies")
    t = tournament(game, [RandomAgent(), RandomAgent()], 10, seed=3, self_play=True)
    p = payoff_matrix(t.agent_names, seated(t))
    # Both seats of a zero-sum self-play match average to exactly 0: 10 values, not 20
    # values of +-1 with a standard error of about 0.23.
    assert p.count[0, 0] == 10 and p.count[1, 1] == 10 and p.count[0, 1] == 10
    assert p.mean[0, 0] == 0.0 and p.sem[0, 0] == 0.0
    assert p.method == "bounded-score" and -1 <= p.low[0, 1] < p.high[0, 1] <= 1
    rows = {s.name: s for s in standings(t.agent_names, seated(t))}
    assert rows["random"].returns.n == 20  # 10 self-play + 10 against random#2
    assert rows["random"].record.games == 10  # an agent does not win against itself


def test_incomplete_run_weighs_each_opponent_equally_and_flags_missing_ones() -> None:
    # True pair means (row agent's return against the column agent), transitive A>B>C>D.
    mean = {("A", "B"): 0.1, ("A", "C"): 0.3, ("A", "D"): 0.5,
            ("B", "C"): 0.2, ("B", "D"): 0.4, ("C", "D"): 0.2}  # fmt: skip
    played = {("A", "B"): 20, ("A", "C"): 2, ("A", "D"): 2,
              ("B", "C"): 2, ("B", "D"): 2, ("C", "D"): 20}  # fmt: skip
    names = ["A", "B", "C", "D"]
    matches = []
    for (x, y), n in played.items():
        v = mean[(x, y)]
        matches += [((names.index(x), names.index(y)), _result(v, -v))] * n
    rows = standings(names, matches, bounds=(-1.0, 1.0))
    # Pooled, C would lead B ((2*-0.3 + 2*-0.2 + 20*0.2)/24 = 0.125 against -0.033).
    assert [r.name for r in rows] == ["A", "B", "C", "D"]
    by = {r.name: r for r in rows}
    assert by["B"].returns.mean == pytest.approx((-0.1 + 0.2 + 0.4) / 3)
    assert by["C"].returns.mean == pytest.approx((-0.3 - 0.2 + 0.2) / 3)
    assert by["B"].returns.n == 24 and by["B"].missing == ()
    # B's interval is that of Kish's effective n of its weights (20 x 1/20, 2 x 1/2,
    # 2 x 1/2): 3^2 / 1.05 = 8.57 matches, not 24. On [0, 1] B's returns are 0.45, 0.6
    # and 0.7 (one third of the weight each): p = 0.58333, and the mean of y (1 - y),
    # 0.2325, counted with two more values at the bounds: q = 0.2325 n / (n + 2).
    n = 9 / 1.05
    p, q, k = 1.75 / 3, 0.2325 * n / (n + 2), 1.959963984540054**2 / n
    a, b, c = 1 + k, -(2 * p + k), p * p + k * q
    low = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a)
    high = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    assert (by["B"].returns.low, by["B"].returns.high) == pytest.approx(
        (2 * low - 1, 2 * high - 1), abs=1e-12
    )
    # Four of six pairings played: B has not met C and D yet.
    part = [m for m in matches if {m[0][0], m[0][1]} not in ({1, 2}, {1, 3})]
    flagged = {r.name: r.missing for r in standings(names, part)}
    assert flagged == {"A": (), "B": ("C", "D"), "C": ("B",), "D": ("B",)}


def test_three_seats_count_pairwise() -> None:
    # x always first, y always second, z always last, seats rotating.
    matches = []
    for k in range(30):
        seats = [(0, 1, 2), (1, 2, 0), (2, 0, 1)][k % 3]
        value = {0: 3.0, 1: 2.0, 2: 1.0}
        matches.append((seats, _result(*(value[a] for a in seats))))
    rows = {r.name: r for r in standings(["x", "y", "z"], matches)}
    y = rows["y"].record
    assert (y.wins, y.draws, y.losses, y.unit) == (30, 0, 30, "pairwise comparisons")
    assert y.score == 0.5  # not 0 wins and 30 losses
    assert (rows["x"].record.wins, rows["z"].record.losses) == (60, 60)
    elo = elo_ratings(["x", "y", "z"], matches)
    assert [r.name for r in elo] == ["x", "y", "z"]
    assert {(r.games, r.matches) for r in elo} == {(60, 30)}


def test_openskill_depends_on_match_order_as_documented() -> None:
    won, lost = _result(1, -1), _result(-1, 1)
    wins_first = [((0, 1), won)] * 6 + [((0, 1), lost)] * 4
    a, b = openskill_ratings(["a", "b"], wins_first)
    assert a.ordinal < b.ordinal  # the 6-4 winner ends below: its losses came last
    a, b = openskill_ratings(["a", "b"], wins_first[::-1])
    assert a.ordinal > b.ordinal
    assert "order" in (openskill_ratings.__doc__ or "")
    elo = elo_fit(["a", "b"], wins_first)
    assert elo.ratings[0].name == "a" and elo.basis == "outcomes"
    assert np.isfinite([r.elo for r in elo.ratings]).all()
