"""Monte Carlo CFR through the State API: exploitability on Kuhn falls below stated
thresholds for both sampling schemes, runs are repeatable by seed, simultaneous moves
work, bad input is refused."""

from __future__ import annotations

import pytest

import redqueen
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.solve import mccfr
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import exploitability

UNIFORM_KUHN_EXPLOITABILITY = 11 / 24


def test_external_sampling_solves_kuhn() -> None:
    game = redqueen.make("kuhn_poker")
    early = exploitability(game, mccfr(game, "external", 200, seed=1))
    policy = mccfr(game, "external", 20_000, seed=1)
    assert len(policy) == 12
    late = exploitability(game, policy)
    # Stated threshold: below 0.01 after 20,000 iterations (OpenSpiel's implementation
    # is at about 0.005 there).
    assert late < 0.01
    assert late < early < UNIFORM_KUHN_EXPLOITABILITY


def test_outcome_sampling_solves_kuhn() -> None:
    game = redqueen.make("kuhn_poker")
    early = exploitability(game, mccfr(game, "outcome", 200, seed=2))
    late = exploitability(game, mccfr(game, "outcome", 20_000, seed=2))
    # Stated threshold: below 0.05 after 20,000 iterations (outcome sampling is noisier;
    # OpenSpiel's implementation is at about 0.02 there).
    assert late < 0.05
    assert late < early < UNIFORM_KUHN_EXPLOITABILITY


def test_runs_repeat_by_seed() -> None:
    game = redqueen.make("kuhn_poker")
    for scheme in ("outcome", "external"):
        a = mccfr(game, scheme, 300, seed=5).table()
        assert a == mccfr(game, scheme, 300, seed=5).table()
        assert a != mccfr(game, scheme, 300, seed=6).table()


@pytest.mark.parametrize("scheme", ["outcome", "external"])
def test_simultaneous_moves_are_sequentialised(scheme: str) -> None:
    game = redqueen.make("matrix", payoffs=[[3, -1], [-2, 1]])  # row mixes (3/7, 4/7)
    policy = mccfr(game, scheme, 5000, seed=0)
    assert set(policy.keys()) == {(0, ()), (1, ())}
    assert policy.probabilities(0, ())[0] == pytest.approx(3 / 7, abs=0.06)
    assert exploitability(game, policy) < 0.05


def test_a_leduc_run_visits_most_states_and_improves() -> None:
    game = redqueen.make("leduc_poker")
    policy = mccfr(game, "external", 1000, seed=0)
    assert len(policy) > 900  # of 936
    filled = TabularPolicy.uniform(game).merged(policy)
    # About 1.30 here (OpenSpiel's implementation: about 1.28), against 2.37 for uniform.
    assert exploitability(game, filled) < 0.6 * exploitability(game, TabularPolicy.uniform(game))


def test_bad_input() -> None:
    game = redqueen.make("kuhn_poker")
    with pytest.raises(UnknownNameError, match="external, outcome"):
        mccfr(game, "chance", 10)
    with pytest.raises(InvalidParameterError, match="iterations"):
        mccfr(game, "outcome", 0)
    with pytest.raises(InvalidParameterError, match="epsilon"):
        mccfr(game, "outcome", 10, epsilon=0.0)
