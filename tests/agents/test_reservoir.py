"""The body-reservoir agent of BRG and its metrics: the network's scaling, the readout
fit, Oja habituation, the sentinel's update rule step by step, the baselines' exact
moves, and the sentinel's response to a defection block (measured on fixed seeds)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from redqueen.agents.reservoir import (
    COOPERATE,
    EchoStateAgent,
    EchoStateNetwork,
    EmaTitForTat,
    GovernedBody,
    ReservoirConfig,
    SentinelConfig,
    TitForTat,
    develop_body,
    fit_readout,
    multi_phase_schedule,
    perturbation_schedule,
    sentinel_update,
    spectral_radius,
)
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.continuous_pd import continuous_pd
from redqueen.games.registry import make
from redqueen.measure.reservoir import (
    action_variance,
    gaussian_kl,
    knn_kl,
    mean_payoff,
    perturbation_depth,
    recovery_time,
)
from redqueen.play.match import play_match

QUICK = ReservoirConfig(
    burn_in=100, train_steps=400, habituation_epochs=20, habituation_steps=100, warmup=100
)


def test_the_reservoir_is_scaled_to_its_spectral_radius() -> None:
    net = EchoStateNetwork.random(ReservoirConfig(), 3, np.random.default_rng(0))
    assert net.w_res.shape == (3, 30, 30)
    assert spectral_radius(net.w_res) == pytest.approx([0.9] * 3, abs=1e-12)
    assert np.all(net.state == 0)
    state = net.step(COOPERATE, np.random.default_rng(1))
    noise = np.random.default_rng(1).standard_normal((3, 30)) * 0.15
    expected = np.tanh(net.w_in.sum(axis=2) + net.bias) + noise  # from rest, input [1, 1]
    assert state == pytest.approx(expected, abs=1e-12)


def test_the_ridge_readout_solves_its_normal_equations_and_hits_its_targets() -> None:
    rng = np.random.default_rng(0)
    coop, defect = rng.normal(1, 0.3, (50, 1, 3)), rng.normal(-1, 0.3, (40, 1, 3))
    w, b = fit_readout(coop, defect, QUICK)
    x = np.concatenate([coop, defect])[:, 0]
    y = np.r_[np.full(50, math.log(0.95 / 0.05)), np.full(40, math.log(0.05 / 0.95))]
    residual = x @ w[0] + b[0] - y
    # the gradient of |residual|^2 + 0.001 n |w|^2 vanishes, in w and in the bias
    assert x.T @ residual + 0.001 * 90 * w[0] == pytest.approx(np.zeros(3), abs=1e-9)
    assert residual.sum() == pytest.approx(0.0, abs=1e-9)
    for seed in range(3):  # measured: 0.941-0.947 and 0.053-0.059
        body = develop_body(QUICK, 4, np.random.default_rng(seed))
        assert body.readout_fit[0] == pytest.approx([0.95] * 4, abs=0.015)
        assert body.readout_fit[1] == pytest.approx([0.05] * 4, abs=0.015)


def test_oja_update_by_hand() -> None:
    net = EchoStateNetwork(np.array([[[0.5, 0.0], [0.0, 0.5]]]), np.zeros((1, 2, 2)),
                           np.zeros((1, 2)), 0.0)  # fmt: skip
    states = np.array([[[1.0, 0.0]], [[1.0, 1.0]]])  # <x0 x0> = 1, <x0 x1> = 0.5, <x1 x1> = 0.5
    net.oja_update(states, rate=0.1, alpha=1.0, bounds=(0.05, 0.99))
    expected = [[0.5 + 0.1 * (1 - 1 * 0.5), 0.1 * 0.5], [0.1 * 0.5, 0.5 + 0.1 * (0.5 - 0.5 * 0.5)]]
    assert net.w_res[0] == pytest.approx(np.array(expected), abs=1e-12)
    big = EchoStateNetwork(np.array([[[2.0, 0.0], [0.0, 1.0]]]), np.zeros((1, 2, 2)),
                           np.zeros((1, 2)), 0.0)  # fmt: skip
    big.oja_update(np.zeros((1, 1, 2)), 0.1, 1.0, (0.05, 0.99))
    assert spectral_radius(big.w_res)[0] == pytest.approx(0.99)  # projected


def test_sentinel_update_step_by_step() -> None:
    cfg = SentinelConfig()
    alpha = np.array([0.85, 0.5, 0.1, 0.99])
    discomfort = np.array([0.3, 0.05, 1.0, 0.0])
    # 0.85 - 0.5 (0.3 - 0.1); 0.5 + 0.05 (0.35); 0.1 + 0.0375 - 0.45 -> floor; 0.99 - 0.007
    expected = [0.75, 0.5175, 0.05, 0.9830]
    assert sentinel_update(alpha, discomfort, cfg) == pytest.approx(expected, abs=1e-12)


def test_baselines_move_exactly() -> None:
    schedule = np.array([[1.0], [0.0], [0.0], [1.0]])
    rng = np.random.default_rng(0)
    assert TitForTat().play(schedule, rng).actions[:, 0].tolist() == [1.0, 1.0, 0.0, 0.0]
    assert EmaTitForTat(0.5).play(schedule, rng).actions[:, 0].tolist() == [1.0, 1.0, 0.5, 0.25]


def test_the_sentinel_drops_alpha_in_a_defection_block_and_recovers() -> None:
    # measured on seeds 0-2: alpha 0.850 before, 0.05 in the block, 0.848-0.849 after
    for seed in range(3):
        rng = np.random.default_rng(seed)
        body = develop_body(QUICK, 4, rng)
        trace = GovernedBody(body).play(perturbation_schedule(4, 100, 30, 150), rng)
        assert trace.alpha is not None and trace.discomfort is not None
        assert trace.alpha[80:100].mean(0) == pytest.approx([0.85] * 4, abs=0.02)
        assert (trace.alpha[100:130].min(0) < 0.2).all()
        assert (trace.alpha[-20:].mean(0) > 0.8).all()
        assert perturbation_depth(trace.actions, 100, 130).max() < 0.3
        fixed = GovernedBody(body, 0.85).play(perturbation_schedule(4, 100, 30, 150), rng)
        assert fixed.alpha is not None and (fixed.alpha == 0.85).all()


def test_metrics_by_hand() -> None:
    assert mean_payoff([[1.0], [0.5]], [[1.0], [0.5]]).tolist() == [(3 + 2.25) / 2]
    assert action_variance([1.0, 0.0]).tolist() == [0.25]
    assert gaussian_kl([[-1.0], [1.0]], [[0.0], [2.0]]) == pytest.approx(0.25)  # means 0, 1
    assert gaussian_kl([[0.0], [1.0], [3.0]], [[0.0], [1.0], [3.0]]) == pytest.approx(0.0)
    p, q = [[0.0], [1.0], [3.0]], [[10.0], [11.0], [13.0]]
    expected = (math.log(10) + math.log(9) + math.log(7 / 2)) / 3 + math.log(3 / 2)
    assert knn_kl(p, q, k=1) == pytest.approx(expected)
    actions = np.array([1, 1, 0.5, 0.2, 0.6, 0.96, 1.0])
    assert perturbation_depth(actions, 2, 4).tolist() == [0.2]
    assert recovery_time(actions, 2, 4).tolist() == [1.0]
    assert math.isnan(recovery_time([1, 1, 0, 0, 0.5], 2, 4)[0])


def test_schedules_have_brg_shapes() -> None:
    rng = np.random.default_rng(0)
    multi = multi_phase_schedule(3, rng)
    assert multi.shape == (1750, 3)
    assert (multi[:500] == 1).all() and (multi[500:550] == 0).all()
    assert (multi[550:1050] == 1).all() and (multi[1250:] == 1).all()
    assert 0.15 < 1 - multi[1050:1250].mean() < 0.45  # eps = 0.3
    assert perturbation_schedule(1).sum() == 400


def test_echo_state_agent_plays_the_continuous_pd() -> None:
    game = continuous_pd(rounds=6, levels=11)
    agents = [EchoStateAgent(seed=0, config=QUICK), EchoStateAgent(seed=1, alpha=0.5, config=QUICK)]
    first = play_match(game, agents, seed=3)
    for agent in agents:
        agent.reset()
    assert play_match(game, agents, seed=3).returns == first.returns
    assert first.returns[0] >= 6 * 2.0  # two cooperative bodies stay near cooperation
    with pytest.raises(RedqueenError, match="plays continuous_pd"):
        agents[0].check_game(make("prisoners_dilemma"))


def test_bad_settings_name_what_is_allowed() -> None:
    with pytest.raises(InvalidParameterError, match=r"spectral_radius must be a number in \(0"):
        ReservoirConfig(spectral_radius=1.5)
    with pytest.raises(InvalidParameterError, match=r"size must be an integer in \[1, 2000\]"):
        ReservoirConfig(size=0)
    with pytest.raises(InvalidParameterError, match="alpha0 must be a number in"):
        SentinelConfig(alpha0=0.01)
    with pytest.raises(InvalidParameterError, match="gamma must be a number in"):
        EmaTitForTat(1.5)
