"""SPPO, SPO and pairwise DPO on the preference game.

NashConv is checked by hand on rock-paper-scissors and against the extensive-form
``nash_conv`` of the solvers; the von Neumann winner against nashpy. Exact SPPO is checked
step by step on a 2-response game and must bring its average iterate within NashConv 1e-3
of the equilibrium of a 5-response game with intransitive cycles and a Bradley-Terry part;
sampled SPPO and SPO get close (bounds measured over seeds); pairwise DPO collapses to one
response there, while every learner finds the best response of a transitive game. One
step of each sampled learner is recomputed independently (finite differences, scipy).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize

import redqueen
from redqueen.errors import InvalidParameterError
from redqueen.games.roles.preference import PreferenceGame, preference_game
from redqueen.learn.sppo import (
    ExactSPPOConfig,
    PairwiseDPOConfig,
    PreferenceRun,
    SampledSPPOConfig,
    SPOConfig,
    best_and_worst,
    bradley_terry_fit,
    pairwise_dpo,
    preference_nash_conv,
    spo,
    sppo_exact,
    sppo_sampled,
    von_neumann_winner,
    win_rates,
)
from redqueen.solve import TabularPolicy, nash_conv

RPS = np.array([[0.5, 0.0, 1.0], [1.0, 0.5, 0.0], [0.0, 1.0, 0.5]])
"""Rock (0) beats scissors (2), paper (1) beats rock, scissors beats paper."""
SEEDS = range(4)


@pytest.fixture(scope="module")
def game() -> PreferenceGame:
    """The default game: 5 responses, a cycle of strength 2 and seeded BT scores."""
    made = redqueen.make("preference_game")
    assert isinstance(made, PreferenceGame)
    return made


@pytest.fixture(scope="module")
def exact_run(game: PreferenceGame) -> PreferenceRun:
    return sppo_exact(game)


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def draws(shape: tuple[int, ...], pi: np.ndarray, seed: int) -> np.ndarray:
    """The learners' documented sampler: inverse CDF of one uniform draw each."""
    u = np.random.default_rng(seed).random(shape)
    return np.searchsorted(np.cumsum(pi), u * np.cumsum(pi)[-1], side="right")


# ---- NashConv and the equilibrium -------------------------------------------------------


def test_nash_conv_by_hand_on_rock_paper_scissors() -> None:
    # P(y > rock) = column 0 = (1/2, 1, 0): paper beats a pure rock, NashConv 2 (1 - 1/2)
    assert preference_nash_conv(RPS, [1, 0, 0]) == 1.0
    # against (1/2, 1/2, 0): rock 1/4, paper 3/4, scissors 1/2
    assert win_rates(RPS, [0.5, 0.5, 0]).tolist() == [0.25, 0.75, 0.5]
    assert preference_nash_conv(RPS, [0.5, 0.5, 0]) == 0.5
    assert preference_nash_conv(RPS, [1 / 3, 1 / 3, 1 / 3]) == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(von_neumann_winner(RPS), [1 / 3, 1 / 3, 1 / 3], atol=1e-9)


def test_nash_conv_matches_the_extensive_form_solver() -> None:
    game = preference_game(
        matrix=[RPS, np.array([[0.5, 0.9, 0.3], [0.1, 0.5, 0.6], [0.7, 0.4, 0.5]])]
    )
    policies = {0: [0.6, 0.3, 0.1], 1: [0.2, 0.2, 0.6]}
    table = {(seat, (k,)): dict(enumerate(policies[k])) for seat in (0, 1) for k in (0, 1)}
    per_prompt = [preference_nash_conv(game.preference(k), policies[k]) for k in (0, 1)]
    # both seats play the same policy; chance draws each prompt half of the time
    assert nash_conv(game, TabularPolicy(table)) == pytest.approx(np.mean(per_prompt), abs=1e-12)
    one = preference_game(matrix=RPS)
    rock = TabularPolicy({(seat, (0,)): {0: 1.0, 1: 0.0, 2: 0.0} for seat in (0, 1)})
    assert nash_conv(one, rock) == pytest.approx(1.0, abs=1e-12)


def test_von_neumann_winner_matches_nashpy(game: PreferenceGame) -> None:
    nashpy = pytest.importorskip("nashpy", reason="nashpy cross-check: pip install nashpy")
    p = game.preference()
    winner = von_neumann_winner(game)
    # the column player's payoff is P(column > row) = 1 - P
    equilibria = list(nashpy.Game(p, 1.0 - p).support_enumeration())
    assert len(equilibria) == 1
    x, y = equilibria[0]
    np.testing.assert_allclose(x, winner, atol=1e-8)
    np.testing.assert_allclose(y, winner, atol=1e-8)
    assert np.all(winner > 0.05)  # the cycle makes every response part of it
    rates = win_rates(p, winner)
    np.testing.assert_allclose(rates, 0.5, atol=1e-9)
    assert preference_nash_conv(p, winner) == pytest.approx(0.0, abs=1e-9)
    assert preference_nash_conv(p, np.full(5, 0.2)) > 0.1


# ---- exact SPPO -------------------------------------------------------------------------


def test_exact_sppo_steps_by_hand() -> None:
    # (P pi)_0 - (P pi)_1 = 0.25 for every pi, so pi_t(0) = sigmoid(0.25 eta t)
    p = [[0.5, 0.75], [0.25, 0.5]]
    run = sppo_exact(p, ExactSPPOConfig(iterations=2, eta=1.0))
    assert run.iterates[:, 0] == pytest.approx([0.5, sigmoid(0.25), sigmoid(0.5)], abs=1e-15)
    assert run.average[0] == pytest.approx((sigmoid(0.25) + sigmoid(0.5)) / 2, abs=1e-15)
    assert run.iterates.sum(axis=1) == pytest.approx([1.0, 1.0, 1.0], abs=1e-15)


def test_exact_sppo_average_reaches_the_equilibrium(
    game: PreferenceGame, exact_run: PreferenceRun
) -> None:
    assert exact_run.iterates.shape == (200_001, 5)
    assert exact_run.nash_conv() <= 1e-3  # measured 6.6e-4
    np.testing.assert_allclose(exact_run.average, von_neumann_winner(game), atol=5e-3)
    # the iterates themselves spiral away from the equilibrium
    assert exact_run.last_nash_conv() > 0.1  # measured 0.40


def test_learners_use_the_chosen_prompt() -> None:
    game = preference_game(prompts=["a", "b"], num_responses=3)
    run = sppo_exact(game, ExactSPPOConfig(iterations=3), prompt=1)
    np.testing.assert_array_equal(run.preference, game.preference(1))
    assert not np.array_equal(run.preference, game.preference(0))


# ---- sampled SPPO -----------------------------------------------------------------------


def test_win_rate_estimates_include_the_sample_itself() -> None:
    chosen, rejected, rate_w, rate_l = best_and_worst(RPS, np.array([[0, 1, 2, 0, 0]]))
    # rock: (1/2 + 0 + 1 + 1/2 + 1/2)/5, paper: (1 + 1/2 + 0 + 1 + 1)/5, scissors: 1/5
    assert (chosen.tolist(), rejected.tolist()) == ([1], [2])
    assert rate_w.tolist() == pytest.approx([0.7], abs=1e-15)
    assert rate_l.tolist() == pytest.approx([0.3], abs=1e-15)


def test_one_sampled_sppo_iteration_is_gradient_descent_on_sppos_loss(
    game: PreferenceGame,
) -> None:
    p = game.preference()
    lr, beta, seed = 1e-4, 0.001, 3
    config = SampledSPPOConfig(
        iterations=1, learning_rate=lr, beta=beta, seed=seed, batch_size=1, gradient_steps=2
    )
    run = sppo_sampled(game, config)
    group = draws((1, 5), np.full(5, 0.2), seed)[0]
    rates = p[group][:, group].mean(axis=1)
    w, loser = group[rates.argmax()], group[rates.argmin()]
    assert w != loser

    def loss(theta: np.ndarray) -> float:
        log_pi = theta - np.log(np.exp(theta).sum())
        ref = math.log(0.2)  # pi_ref is the uniform pi_0
        a = log_pi[w] - ref - (rates.max() - 0.5) / beta
        b = log_pi[loser] - ref - (rates.min() - 0.5) / beta
        return 0.5 * (a**2 + b**2)

    def gradient(theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
        return np.array([(loss(theta + h * e) - loss(theta - h * e)) / (2 * h) for e in np.eye(5)])

    theta = np.zeros(5)
    for _ in range(2):  # the second step starts away from uniform
        theta = theta - lr * gradient(theta)
    expected = np.exp(theta) / np.exp(theta).sum()
    np.testing.assert_allclose(run.iterates[1], expected, rtol=1e-7)
    assert run.iterates[1][w] > 0.2 > run.iterates[1][loser]


def test_sampled_sppo_gets_close_to_the_equilibrium(game: PreferenceGame) -> None:
    convs = [sppo_sampled(game, SampledSPPOConfig(seed=s)).nash_conv() for s in SEEDS]
    # measured 0.0036, 0.0049, 0.0091, 0.0061 (the uniform policy: 0.119; the fixed point
    # of the expected update, which picks best and worst of 5, about 0.013)
    assert max(convs) <= 0.03
    assert np.mean(convs) <= 0.015


# ---- SPO --------------------------------------------------------------------------------


def test_spo_steps_are_reinforce_with_win_rate_rewards(game: PreferenceGame) -> None:
    p = game.preference()
    lr, seed = 0.5, 1
    run = spo(game, SPOConfig(iterations=2, samples=4, learning_rate=lr, seed=seed))
    rng = np.random.default_rng(seed)
    theta = np.zeros(5)
    for t in (1, 2):
        pi = np.exp(theta) / np.exp(theta).sum()
        ys = np.searchsorted(np.cumsum(pi), rng.random(4) * np.cumsum(pi)[-1], side="right")
        step = np.zeros(5)
        for i, y in enumerate(ys):
            reward = sum(p[y, ys[j]] for j in range(4) if j != i) / 3  # win rate vs the others
            step += (reward - 0.5) * (np.eye(5)[y] - pi)  # (r - baseline) grad log pi(y)
        theta = theta + lr * step / 4
        np.testing.assert_allclose(run.iterates[t], np.exp(theta) / np.exp(theta).sum(), rtol=1e-12)


def test_spo_gets_close_to_the_equilibrium(game: PreferenceGame) -> None:
    convs = [spo(game, SPOConfig(seed=s)).nash_conv() for s in SEEDS]
    assert max(convs) <= 0.03  # measured 0.005, 0.008, 0.013, 0.019
    assert np.mean(convs) <= 0.015


# ---- pairwise DPO -----------------------------------------------------------------------


def test_bradley_terry_fit_by_hand() -> None:
    # three wins of 0 over 1 and one of 1 over 0: sigmoid(r0 - r1) = 3/4
    r = bradley_terry_fit(np.array([0, 0, 0, 1]), np.array([1, 1, 1, 0]), 2, 1e-9)
    assert r[0] - r[1] == pytest.approx(math.log(3.0), abs=1e-6)
    assert r[0] == pytest.approx(-r[1], abs=1e-12)


def test_one_dpo_step_is_the_exact_minimiser_of_dpos_loss(game: PreferenceGame) -> None:
    p = game.preference()
    beta, l2, seed = 0.5, 0.1, 2
    run = pairwise_dpo(
        game, PairwiseDPOConfig(iterations=1, batch_size=8, beta=beta, l2=l2, seed=seed)
    )
    groups = draws((8, 5), np.full(5, 0.2), seed)
    pairs = []
    for g in groups:
        rates = p[g][:, g].mean(axis=1)
        if g[rates.argmax()] != g[rates.argmin()]:
            pairs.append((g[rates.argmax()], g[rates.argmin()]))

    def dpo_loss(log_pi: np.ndarray) -> float:
        # DPO's loss on the policy itself, with the uniform reference, plus the penalty on
        # the implied scores r = beta log(pi / pi_ref) (up to a constant)
        h = log_pi - math.log(0.2)
        h = h - h.mean()
        nll = np.mean([np.logaddexp(0.0, -beta * (h[w] - h[x])) for w, x in pairs])
        return float(nll + 0.5 * l2 * np.sum((beta * h) ** 2))

    best = minimize(dpo_loss, np.zeros(5), method="BFGS", options={"gtol": 1e-12}).x
    expected = np.exp(best - best.max()) / np.exp(best - best.max()).sum()
    np.testing.assert_allclose(run.iterates[1], expected, atol=1e-6)


def test_dpo_collapses_to_one_response_under_intransitivity(
    game: PreferenceGame, exact_run: PreferenceRun
) -> None:
    for seed in SEEDS:
        run = pairwise_dpo(game, PairwiseDPOConfig(seed=seed))
        assert run.last.max() >= 0.999  # a deterministic response
        assert run.nash_conv() >= 0.5  # measured 0.63 to 0.73
        assert run.nash_conv() > 100 * exact_run.nash_conv()


def test_no_dpo_temperature_reaches_the_equilibrium(game: PreferenceGame) -> None:
    # One DPO round from the uniform policy gives pi ∝ exp(r / beta) for a Bradley-Terry
    # score r: ordered by one transitive score, whatever beta. The equilibrium is not.
    convs = [
        pairwise_dpo(
            game, PairwiseDPOConfig(iterations=1, batch_size=4000, beta=float(beta))
        ).last_nash_conv()
        for beta in np.geomspace(0.01, 100.0, 41)
    ]
    assert min(convs) >= 0.05  # measured 0.077 at beta = 1 (uniform: 0.119)


# ---- a transitive game: everyone finds the best response --------------------------------


def test_every_learner_finds_the_best_of_a_bradley_terry_game() -> None:
    game = preference_game(scores=[0.0, 1.0, 0.5, -0.5, 0.2])
    np.testing.assert_allclose(von_neumann_winner(game), [0, 1, 0, 0, 0], atol=1e-9)
    runs = [
        sppo_exact(game, ExactSPPOConfig(iterations=20_000)),
        sppo_sampled(game, SampledSPPOConfig(iterations=5000)),
        spo(game, SPOConfig(iterations=5000)),
        pairwise_dpo(game),
    ]
    for run in runs:
        assert run.last.argmax() == 1 and run.last[1] > 0.95
        assert run.last_nash_conv() < 0.01


# ---- input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make_config", "message"),
    [
        (lambda: ExactSPPOConfig(iterations=-1), "ExactSPPOConfig.iterations"),
        (lambda: ExactSPPOConfig(eta=0.0), "ExactSPPOConfig.eta"),
        (lambda: SampledSPPOConfig(samples=1), "SampledSPPOConfig.samples"),
        (lambda: SampledSPPOConfig(beta=-0.1), "SampledSPPOConfig.beta"),
        (lambda: SPOConfig(samples=1), "SPOConfig.samples"),
        (lambda: PairwiseDPOConfig(l2=0.0), "PairwiseDPOConfig.l2"),
        (lambda: PairwiseDPOConfig(iterations=2.5), "PairwiseDPOConfig.iterations"),
    ],
)
def test_bad_configs_are_refused(make_config: object, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        make_config()  # type: ignore[operator]


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(
        InvalidParameterError, match=r"preference\[0\]\[1\] \+ preference\[1\]\[0\]"
    ):
        sppo_exact([[0.5, 0.6], [0.6, 0.5]])
    with pytest.raises(InvalidParameterError, match="needs a PreferenceGame"):
        spo(RPS, prompt=1)
    with pytest.raises(InvalidParameterError, match=r"prompt must be in 0..0"):
        sppo_exact(preference_game(matrix=RPS), prompt=1)
    with pytest.raises(InvalidParameterError, match="3 probabilities"):
        preference_nash_conv(RPS, [0.5, 0.5])
    with pytest.raises(InvalidParameterError, match="summing to 1"):
        preference_nash_conv(RPS, [0.5, 0.6, 0.0])
