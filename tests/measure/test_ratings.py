"""Bradley–Terry Elo and OpenSkill ratings."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError
from redqueen.measure.ratings import (
    elo_ratings,
    fit_bradley_terry,
    openskill_ratings,
    pairwise_scores,
)
from redqueen.play import MatchResult


def _match(winner_first: bool | None) -> MatchResult:
    returns = (0.0, 0.0) if winner_first is None else (1.0, -1.0) if winner_first else (-1.0, 1.0)
    return MatchResult("test", 0, returns, 1, (0, 0), ())


def _games(i: int, j: int, wins: int, draws: int, losses: int) -> list:
    return (
        [((i, j), _match(True))] * wins
        + [((i, j), _match(None))] * draws
        + [((i, j), _match(False))] * losses
    )


def test_two_agents_match_the_closed_form() -> None:
    # 75% score => Elo difference 400 log10(3) = 190.85 (a weak prior shrinks it a hair).
    matches = _games(0, 1, wins=70, draws=10, losses=20)
    rows = {
        r.name: r
        for r in elo_ratings(["a", "b"], matches, n_bootstrap=0, prior_sd=1e6, prior_draws=0)
    }
    assert rows["a"].elo - rows["b"].elo == pytest.approx(400 * math.log10(3), abs=1e-3)
    assert rows["a"].elo + rows["b"].elo == pytest.approx(3000)  # centred on the anchor
    assert rows["a"].games == 100


def test_order_independent_and_agrees_with_the_mm_algorithm() -> None:
    rng = random.Random(4)
    strength = [0.0, 120.0, -80.0, 250.0, 30.0]
    matches = []
    for _ in range(600):
        i, j = rng.sample(range(5), 2)
        p = 1 / (1 + 10 ** ((strength[j] - strength[i]) / 400))
        u = rng.random()
        outcome = True if u < p * 0.9 else None if u < p * 0.9 + 0.1 else False
        matches.append(((i, j), _match(outcome)))
    names = list("abcde")
    first = elo_ratings(names, matches, n_bootstrap=0, prior_sd=1e6, prior_draws=0)
    rng.shuffle(matches)
    second = elo_ratings(names, matches, n_bootstrap=0, prior_sd=1e6, prior_draws=0)
    assert [r.elo for r in first] == pytest.approx([r.elo for r in second], abs=1e-6)

    # Hunter's (2004) MM iteration for the unregularised Bradley–Terry MLE.
    games, score = pairwise_scores(5, matches)
    gamma = np.ones(5)
    for _ in range(5000):
        denom = (games / (gamma[:, None] + gamma[None, :])).sum(axis=1)
        gamma = score.sum(axis=1) / denom
        gamma /= np.exp(np.log(gamma).mean())
    mm = 400 * np.log10(gamma)
    ours = fit_bradley_terry(games, score, prior_sd=1e6)
    assert ours == pytest.approx(mm - mm.mean(), abs=1e-3)
    # The fit recovers the order of the true strengths.
    assert [r.name for r in first] == ["d", "b", "e", "a", "c"]


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_data() -> None:
    few = _games(0, 1, 6, 0, 4)
    many = _games(0, 1, 60, 0, 40)
    narrow = {r.name: r for r in elo_ratings(["a", "b"], many, seed=1)}
    wide = {r.name: r for r in elo_ratings(["a", "b"], few, seed=1)}
    for rows in (narrow, wide):
        for r in rows.values():
            assert r.low <= r.elo <= r.high
    assert (narrow["a"].high - narrow["a"].low) < (wide["a"].high - wide["a"].low)


def test_perfect_record_stays_finite_and_bad_input() -> None:
    rows = elo_ratings(["a", "b"], _games(0, 1, 10, 0, 0), n_bootstrap=20)
    assert all(math.isfinite(r.elo) for r in rows)
    assert rows[0].name == "a"
    with pytest.raises(InvalidParameterError, match="n_bootstrap"):
        elo_ratings(["a"], [], n_bootstrap=-1)


def test_unanimous_records_keep_an_honest_interval() -> None:
    # Every bootstrap resample of 20 wins is 20 wins; the interval must not collapse.
    won = {r.name: r for r in elo_ratings(["a", "b"], _games(0, 1, 20, 0, 0), seed=3)}
    assert won["a"].low < won["a"].elo - 100 and won["a"].high > won["a"].elo + 100
    assert won["a"].low > won["b"].elo  # still clearly the stronger
    drawn = {r.name: r for r in elo_ratings(["a", "b"], _games(0, 1, 0, 20, 0), seed=3)}
    assert drawn["a"].elo == pytest.approx(1500)
    # Draws vary less than wins and losses: the score variance of 20 draws, counted with
    # one more win and one more loss, is 1/4 (2/22) of a win/loss's, plus the prior's 4
    # virtual draws: the difference has information ln(10)^2/400^2 (20/4 * 11 + 4/4) and
    # a (centred, half the difference) a standard error of 0.5 / sqrt(that).
    info = (math.log(10) / 400) ** 2 * (20 / 4 * 11 + 4 / 4)
    half = 1.959963984540054 * 0.5 / math.sqrt(info)
    assert drawn["a"].high - drawn["a"].elo == pytest.approx(half, rel=1e-6)
    assert half == pytest.approx(22.75, abs=0.01)
    # With plenty of mixed results the interval is the bootstrap's, close to the Laplace
    # one: +-1.96 standard errors of a binomial proportion, mapped to Elo points.
    many = {r.name: r for r in elo_ratings(["a", "b"], _games(0, 1, 600, 0, 400), seed=3)}
    p = 0.6
    se_diff = 1 / math.sqrt(1000 * p * (1 - p)) / (math.log(10) / 400)
    assert many["a"].high - many["a"].low == pytest.approx(1.96 * se_diff, rel=0.15)


def test_multiplayer_matches_are_split_into_pairs() -> None:
    result = MatchResult("test", 0, (3.0, 1.0, 1.0), 1, (0, 0, 0), ())
    games, score = pairwise_scores(3, [((0, 1, 2), result)])
    assert games.tolist() == [[0, 1, 1], [1, 0, 1], [1, 1, 0]]
    assert score.tolist() == [[0, 1, 1], [0, 0, 0.5], [0, 0.5, 0]]


def test_openskill_moves_the_winner_up() -> None:
    rows = openskill_ratings(["a", "b"], _games(0, 1, 8, 1, 1))
    a, b = rows
    assert a.mu > 25 > b.mu
    assert a.ordinal > b.ordinal
    assert a.sigma < 25 / 3
