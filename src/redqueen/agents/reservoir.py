"""The body-reservoir agent of Body-Reservoir Governance (BRG), and its baselines.

Nakamura (2026, "Body-Reservoir Governance in repeated games", arXiv:2602.20846; code
``Nakammura/Body-Reservoir-Governance-in-Repeated-Games``, ``simulation/src/esn.rs`` and
``dynamic_alpha.rs``, MIT) builds a player of the continuous prisoner's dilemma
(:mod:`redqueen.games.continuous_pd`) from three layers:

1. **Body**: an echo state network ``x(t+1) = tanh(W_res x(t) + W_in s(t) + b) + xi(t)``
   with ``d = 30`` units, Gaussian ``W_res`` (entries ``N(0, 1/d)``) rescaled to spectral
   radius 0.9, ``W_in ~ N(0, 0.5^2)``, ``b ~ N(0, 0.3^2)``, noise ``xi ~ N(0, 0.15^2)``,
   driven by ``s(t) = [own action, opponent's action]``. *Development*: a readout
   ``a_body = sigmoid(w . x + b_out)`` is fitted by ridge regression in logit space
   (penalty ``0.001 n`` on ``w``, none on ``b_out``) so that states driven by ``[1, 1]``
   (500 burn-in steps, then 2000 collected) map to 0.95 and states driven by ``[0, 0]``
   to 0.05. *Habituation*: 200 epochs of 500 steps driven by ``[1, 1]``, each followed by
   the Oja update ``dW_ij = beta (<x_i x_j> - alpha_oja <x_i^2> W_ij)`` (``beta = 0.01``,
   ``alpha_oja = 1``) and a projection of the spectral radius into ``[0.05, 0.99]``. The
   readout is not refitted after habituation (as in the code).
2. **Cognition**: tit-for-tat, ``a_cog = `` the opponent's previous action.
3. **Governance**: the action ``a = alpha a_body + (1 - alpha) a_cog``, with ``alpha``
   fixed, or set each step by the **sentinel**: discomfort
   ``D = 0.3 ||x - xbar|| / sqrt(d) + 0.3 |a_body - abar| + 0.4 |a_body - a_cog|``
   against baselines that follow exponential moving averages (rate 0.02; started from
   the mean over 200 cooperative steps of a fresh copy of the body), then
   ``alpha <- clip(alpha + eta_up (alpha0 - alpha) - eta_down max(0, D - theta),
   alpha_min, 1)`` with ``alpha0 = 0.85, eta_up = 0.05, eta_down = 0.5, theta = 0.1,
   alpha_min = 0.05``. ``D`` is computed before the baselines move, as in the code.

Before play the body is warmed up for 500 steps under ``[1, 1]``. Baselines: plain TfT
and EMA-TfT ``a(t) = gamma a(t-1) + (1 - gamma) opp(t-1)``. Opponents are fixed
schedules: a noisy cooperator (defects with probability ``eps``), the perturbation
schedule (cooperate 200, defect 100, cooperate 200) and the multi-phase schedule
(cooperate 500, defect 50, cooperate 500, noisy 200 with ``eps = 0.3``, cooperate 500).

Everything is vectorised over a batch of independent agents (one per seed): the state
is ``B x d``, ``W_res`` is ``B x d x d``, and one :class:`numpy.random.Generator` draws
every batch member's noise. Deviations: the spectral radius is computed exactly with
``numpy.linalg.eigvals`` (the code runs 300 power iterations); the cognitive filter's
first action is 1 (the cooperative warm-up's opponent; the code reads the opponent's
first scheduled action before it is played); random numbers come from NumPy, not the
code's xoshiro256**, so individual runs differ while the distributions agree.

:class:`EchoStateAgent` plays the grid version of the game through the Agent contract.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.continuous_pd import ContinuousPDGame, ContinuousPDView
from redqueen.games.core import Game

FloatArray = NDArray[np.float64]
COOPERATE = np.array([1.0, 1.0])
DEFECT = np.array([0.0, 0.0])


def _positive_int(name: str, value: object, low: int = 1, high: int = 10**7) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(f"{name} must be an integer in [{low}, {high}]; got {value!r}")


def _number(name: str, value: object, low: float, high: float, *, open_low: bool = False) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)
    if ok:
        ok = (low < value if open_low else low <= value) and value <= high  # type: ignore[operator]
    if not ok:
        left = "(" if open_low else "["
        raise InvalidParameterError(
            f"{name} must be a number in {left}{low}, {high}]; got {value!r}"
        )


# ---- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReservoirConfig:
    """The body: its network, development (readout) and habituation; BRG's defaults."""

    size: int = 30
    """Reservoir units ``d`` (the paper sweeps 5-100)."""
    spectral_radius: float = 0.9
    """``rho`` of ``W_res`` after scaling (below 1 for the echo state property)."""
    noise: float = 0.15
    """Standard deviation of the intrinsic noise ``xi``."""
    input_scale: float = 0.5
    """Standard deviation of ``W_in``."""
    bias_scale: float = 0.3
    """Standard deviation of ``b``."""
    burn_in: int = 500
    train_steps: int = 2000
    """Development: steps discarded, then collected, under each constant input."""
    target_cooperate: float = 0.95
    target_defect: float = 0.05
    ridge: float = 0.001
    """Ridge penalty per sample (``lambda = ridge x n``)."""
    habituation_epochs: int = 200
    habituation_steps: int = 500
    oja_rate: float = 0.01
    oja_alpha: float = 1.0
    radius_bounds: tuple[float, float] = (0.05, 0.99)
    """Habituation projects the spectral radius into this interval."""
    warmup: int = 500
    """Cooperative steps before play."""

    def __post_init__(self) -> None:
        _positive_int("size", self.size, 1, 2000)
        _number("spectral_radius", self.spectral_radius, 0.0, 1.0, open_low=True)
        _number("noise", self.noise, 0.0, 10.0)
        _number("input_scale", self.input_scale, 0.0, 100.0)
        _number("bias_scale", self.bias_scale, 0.0, 100.0)
        for name in ("burn_in", "habituation_epochs", "warmup"):
            _positive_int(name, getattr(self, name), 0)
        _positive_int("train_steps", self.train_steps, 1)
        _positive_int("habituation_steps", self.habituation_steps, 1)
        _number("target_defect", self.target_defect, 0.0, 1.0, open_low=True)
        _number("target_cooperate", self.target_cooperate, self.target_defect, 1.0, open_low=True)
        if self.target_cooperate >= 1.0:
            raise InvalidParameterError(
                f"target_cooperate must be below 1 (its logit is fitted); got "
                f"{self.target_cooperate}"
            )
        _number("ridge", self.ridge, 0.0, 1e6, open_low=True)
        _number("oja_rate", self.oja_rate, 0.0, 1.0)
        _number("oja_alpha", self.oja_alpha, 0.0, 100.0)
        low, high = self.radius_bounds
        _number("radius_bounds[0]", low, 0.0, 1.0, open_low=True)
        _number("radius_bounds[1]", high, low, 1.0)


@dataclass(frozen=True)
class SentinelConfig:
    """The dynamic sentinel; BRG's defaults."""

    alpha0: float = 0.85
    eta_up: float = 0.05
    eta_down: float = 0.5
    theta: float = 0.1
    alpha_min: float = 0.05
    weights: tuple[float, float, float] = (0.3, 0.3, 0.4)
    """Weights of the state, output and disagreement discomforts."""
    ema: float = 0.02
    """Rate of the baselines' exponential moving averages."""
    baseline_steps: int = 200
    """Cooperative steps whose mean starts the baselines."""

    def __post_init__(self) -> None:
        _number("alpha_min", self.alpha_min, 0.0, 1.0)
        _number("alpha0", self.alpha0, self.alpha_min, 1.0)
        _number("eta_up", self.eta_up, 0.0, 1.0)
        _number("eta_down", self.eta_down, 0.0, 100.0)
        _number("theta", self.theta, 0.0, 100.0)
        _number("ema", self.ema, 0.0, 1.0)
        if len(self.weights) != 3:
            raise InvalidParameterError(f"weights must be 3 numbers; got {self.weights!r}")
        for w in self.weights:
            _number("each weight", w, 0.0, 100.0)
        _positive_int("baseline_steps", self.baseline_steps, 1)


# ---- the body ---------------------------------------------------------------------------------


def spectral_radius(w: FloatArray) -> FloatArray:
    """The largest eigenvalue modulus of each matrix of ``w`` (``... x d x d``)."""
    return np.asarray(np.abs(np.linalg.eigvals(w)).max(axis=-1))


@dataclass
class EchoStateNetwork:
    """A batch of ``B`` echo state networks with 2 inputs: ``w_res`` ``B x d x d``,
    ``w_in`` ``B x d x 2``, ``bias`` and ``state`` ``B x d``."""

    w_res: FloatArray
    w_in: FloatArray
    bias: FloatArray
    noise: float
    state: FloatArray = field(init=False)

    def __post_init__(self) -> None:
        self.state = np.zeros(self.bias.shape)

    @classmethod
    def random(
        cls, config: ReservoirConfig, batch: int, rng: np.random.Generator
    ) -> EchoStateNetwork:
        """``batch`` networks drawn as BRG draws them (``W_res`` scaled to the radius)."""
        d = config.size
        w = rng.standard_normal((batch, d, d)) / np.sqrt(d)
        rho = spectral_radius(w)
        w *= (config.spectral_radius / np.maximum(rho, 1e-15))[:, None, None]
        w_in = rng.standard_normal((batch, d, 2)) * config.input_scale
        bias = rng.standard_normal((batch, d)) * config.bias_scale
        return cls(w, w_in, bias, config.noise)

    @property
    def batch(self) -> int:
        return int(self.bias.shape[0])

    @property
    def size(self) -> int:
        return int(self.bias.shape[1])

    def fresh(self) -> EchoStateNetwork:
        """A copy of the weights with the state at zero (BRG's ``clone_esn``)."""
        return EchoStateNetwork(self.w_res.copy(), self.w_in.copy(), self.bias.copy(), self.noise)

    def step(self, inputs: FloatArray, rng: np.random.Generator) -> FloatArray:
        """One step under ``inputs`` (``B x 2``, or ``2`` for all); returns the state."""
        s = np.broadcast_to(np.asarray(inputs, dtype=np.float64), (self.batch, 2))
        drive = np.matmul(self.w_in, s[..., None])[..., 0] + self.bias
        noise = rng.standard_normal(self.state.shape) * self.noise
        return self._advance(drive, noise)

    def _advance(self, drive: FloatArray, noise: FloatArray) -> FloatArray:
        self.state = np.tanh(np.matmul(self.w_res, self.state[..., None])[..., 0] + drive) + noise
        return self.state

    def drive(self, inputs: FloatArray, steps: int, rng: np.random.Generator) -> FloatArray:
        """``steps`` steps under constant ``inputs``; the states, ``steps x B x d``. The
        noise of all steps is drawn at once (the same numbers ``steps`` calls of
        :meth:`step` would draw, in the same order)."""
        s = np.broadcast_to(np.asarray(inputs, dtype=np.float64), (self.batch, 2))
        drive = np.matmul(self.w_in, s[..., None])[..., 0] + self.bias
        noise = rng.standard_normal((steps, *self.state.shape)) * self.noise
        out = np.empty((steps, self.batch, self.size))
        for t in range(steps):
            out[t] = self._advance(drive, noise[t])
        return out

    def oja_update(
        self, states: FloatArray, rate: float, alpha: float, bounds: tuple[float, float]
    ) -> None:
        """``dW_ij = rate (<x_i x_j> - alpha <x_i^2> W_ij)`` over ``states``
        (``T x B x d``), then the spectral radius projected into ``bounds``."""
        corr = np.einsum("tbi,tbj->bij", states, states) / states.shape[0]
        sq = np.einsum("tbi,tbi->bi", states, states) / states.shape[0]
        self.w_res += rate * (corr - alpha * sq[:, :, None] * self.w_res)
        rho = spectral_radius(self.w_res)
        low, high = bounds
        scale = np.where(rho > high, high / np.maximum(rho, 1e-15), 1.0)
        scale = np.where((rho < low) & (rho > 1e-10), low / np.maximum(rho, 1e-15), scale)
        self.w_res *= scale[:, None, None]


def sigmoid(z: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def fit_readout(
    coop_states: FloatArray, defect_states: FloatArray, config: ReservoirConfig
) -> tuple[FloatArray, FloatArray]:
    """Ridge regression in logit space, per batch member: states (``n x B x d``) to
    ``logit(target_cooperate)`` and ``logit(target_defect)``; returns ``w`` (``B x d``)
    and ``b_out`` (``B``). The penalty ``ridge x n`` (``n``: all samples) is on ``w`` only."""
    x = np.concatenate([coop_states, defect_states], axis=0)  # n x B x d
    n, b, d = x.shape
    y = np.concatenate(
        [
            np.full(coop_states.shape[0], logit(config.target_cooperate)),
            np.full(defect_states.shape[0], logit(config.target_defect)),
        ]
    )
    aug = np.concatenate([x, np.ones((n, b, 1))], axis=2)
    xtx = np.einsum("nbi,nbj->bij", aug, aug)
    reg = np.zeros(d + 1)
    reg[:d] = config.ridge * n
    xtx += np.diag(reg)
    xty = np.einsum("nbi,n->bi", aug, y)
    w = np.linalg.solve(xtx, xty[..., None])[..., 0]
    return w[:, :d], w[:, d]


@dataclass
class Body:
    """A developed and habituated batch of reservoirs with their readouts."""

    network: EchoStateNetwork
    w_out: FloatArray
    b_out: FloatArray
    config: ReservoirConfig
    readout_fit: tuple[FloatArray, FloatArray]
    """Mean readout (per batch member) over the development states driven by
    ``[1, 1]`` and by ``[0, 0]``: what the fit reached of 0.95 and 0.05."""

    def readout(self, states: FloatArray) -> FloatArray:
        """``sigmoid(w . x + b_out)`` for states ``... x B x d``."""
        return sigmoid(np.einsum("...bi,bi->...b", states, self.w_out) + self.b_out)


def develop_body(config: ReservoirConfig, batch: int, rng: np.random.Generator) -> Body:
    """Draw ``batch`` reservoirs, fit their readouts on fresh copies driven by ``[1, 1]``
    and by ``[0, 0]``, then habituate them to ``[1, 1]`` (BRG's phases 1 and 2)."""
    _positive_int("batch", batch, 1, 100_000)
    net = EchoStateNetwork.random(config, batch, rng)
    states = {}
    for name, inputs in (("c", COOPERATE), ("d", DEFECT)):
        copy = net.fresh()
        copy.drive(inputs, config.burn_in, rng)
        states[name] = copy.drive(inputs, config.train_steps, rng)
    w_out, b_out = fit_readout(states["c"], states["d"], config)
    body = Body(net, w_out, b_out, config, (np.zeros(batch), np.zeros(batch)))
    body.readout_fit = (body.readout(states["c"]).mean(0), body.readout(states["d"]).mean(0))
    for _ in range(config.habituation_epochs):
        fast = net.drive(COOPERATE, config.habituation_steps, rng)
        net.oja_update(fast, config.oja_rate, config.oja_alpha, config.radius_bounds)
    net.state = np.zeros_like(net.state)
    return body


def natural_states(
    body: Body, steps: int, rng: np.random.Generator, burn_in: int = 500
) -> FloatArray:
    """States of the body under zero input (its natural distribution): ``burn_in``
    steps from rest are discarded, ``steps x B x d`` are returned."""
    net = body.network.fresh()
    net.drive(DEFECT, burn_in, rng)
    return net.drive(DEFECT, steps, rng)


# ---- policies against schedules -----------------------------------------------------------------


@dataclass
class Trace:
    """What a batch of agents did over a schedule (all ``T x B``)."""

    actions: FloatArray
    opponent: FloatArray
    alpha: FloatArray | None = None
    body: FloatArray | None = None
    discomfort: FloatArray | None = None
    states: FloatArray | None = None
    """The body's states (``T x B x d``) when asked for."""


class SchedulePolicy(Protocol):
    """A batch of agents that play a schedule: ``start`` then ``play``."""

    def play(
        self, schedule: FloatArray, rng: np.random.Generator, keep_states: bool = False
    ) -> Trace: ...


@dataclass
class TitForTat:
    """Plays the opponent's previous action (1 first)."""

    def play(
        self, schedule: FloatArray, rng: np.random.Generator, keep_states: bool = False
    ) -> Trace:
        prev = np.vstack([np.ones((1, schedule.shape[1])), schedule[:-1]])
        return Trace(prev.copy(), schedule)


@dataclass
class EmaTitForTat:
    """``a(t) = gamma a(t-1) + (1 - gamma) opp(t-1)``, starting from 1."""

    gamma: float = 0.9

    def __post_init__(self) -> None:
        _number("gamma", self.gamma, 0.0, 1.0)

    def play(
        self, schedule: FloatArray, rng: np.random.Generator, keep_states: bool = False
    ) -> Trace:
        t_len, b = schedule.shape
        actions = np.empty((t_len, b))
        a, prev = np.ones(b), np.ones(b)
        for t in range(t_len):
            a = self.gamma * a + (1 - self.gamma) * prev
            actions[t] = a
            prev = schedule[t]
        return Trace(actions, schedule)


@dataclass
class GovernedBody:
    """The BRG agent on a batch of bodies: a fixed ``alpha`` or, when ``alpha`` is None,
    the dynamic sentinel."""

    body: Body
    alpha: float | None = None
    sentinel: SentinelConfig = field(default_factory=SentinelConfig)

    def __post_init__(self) -> None:
        if self.alpha is not None:
            _number("alpha", self.alpha, 0.0, 1.0)

    def sentinel_baselines(self, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        """The baselines' starting values: mean state and readout of a fresh copy of the
        body over ``baseline_steps`` cooperative steps."""
        copy = self.body.network.fresh()
        states = copy.drive(COOPERATE, self.sentinel.baseline_steps, rng)
        return states.mean(0), self.body.readout(states).mean(0)

    def play(
        self, schedule: FloatArray, rng: np.random.Generator, keep_states: bool = False
    ) -> Trace:
        """Warm up, then play ``schedule`` (``T x B``, one column per batch member)."""
        body, cfg = self.body, self.sentinel
        net = body.network.fresh()
        net.drive(COOPERATE, body.config.warmup, rng)
        t_len, b = schedule.shape
        if b != net.batch:
            raise InvalidParameterError(
                f"the schedule has {b} columns; this body has {net.batch} batch members"
            )
        x_base, a_base = self.sentinel_baselines(rng) if self.alpha is None else (None, None)
        alpha = np.full(b, cfg.alpha0 if self.alpha is None else self.alpha)
        actions, alphas, bodies, discomfort = (np.empty((t_len, b)) for _ in range(4))
        states = np.empty((t_len, b, net.size)) if keep_states else None
        prev = np.ones(b)
        sqrt_d = np.sqrt(net.size)
        for t in range(t_len):
            x = net.state
            a_body = body.readout(x)
            a_cog = prev
            if self.alpha is None:
                assert x_base is not None and a_base is not None
                w_s, w_o, w_d = cfg.weights
                d_total = (
                    w_s * np.linalg.norm(x - x_base, axis=1) / sqrt_d
                    + w_o * np.abs(a_body - a_base)
                    + w_d * np.abs(a_body - a_cog)
                )
                a_base = (1 - cfg.ema) * a_base + cfg.ema * a_body
                x_base = (1 - cfg.ema) * x_base + cfg.ema * x
                alpha = sentinel_update(alpha, d_total, cfg)
                discomfort[t] = d_total
            action = alpha * a_body + (1 - alpha) * a_cog
            actions[t], alphas[t], bodies[t] = action, alpha, a_body
            net.step(np.stack([action, schedule[t]], axis=1), rng)
            if states is not None:
                states[t] = net.state
            prev = schedule[t]
        return Trace(
            actions,
            schedule,
            alphas,
            bodies,
            discomfort if self.alpha is None else None,
            states,
        )


def sentinel_update(alpha: FloatArray, discomfort: FloatArray, cfg: SentinelConfig) -> FloatArray:
    """``clip(alpha + eta_up (alpha0 - alpha) - eta_down max(0, D - theta), alpha_min, 1)``."""
    kick = cfg.eta_down * np.maximum(0.0, discomfort - cfg.theta)
    return np.clip(alpha + cfg.eta_up * (cfg.alpha0 - alpha) - kick, cfg.alpha_min, 1.0)


# ---- schedules --------------------------------------------------------------------------------


def noisy_cooperator(steps: int, eps: float, batch: int, rng: np.random.Generator) -> FloatArray:
    """Cooperates (1), defecting (0) with probability ``eps`` each step: ``steps x batch``."""
    _positive_int("steps", steps)
    _number("eps", eps, 0.0, 1.0)
    return np.where(rng.random((steps, batch)) < eps, 0.0, 1.0)


def perturbation_schedule(
    batch: int, cooperate: int = 200, defect: int = 100, after: int = 200
) -> FloatArray:
    """Cooperate ``cooperate`` steps, defect ``defect``, cooperate ``after``."""
    one = np.concatenate([np.ones(cooperate), np.zeros(defect), np.ones(after)])
    return np.repeat(one[:, None], batch, axis=1)


MULTI_PHASE = (
    ("cooperate", 500),
    ("defect", 50),
    ("cooperate", 500),
    ("noisy", 200),
    ("cooperate", 500),
)
"""BRG's multi-phase schedule: its phases and their lengths."""


def multi_phase_schedule(
    batch: int, rng: np.random.Generator, eps: float = 0.3, scale: float = 1.0
) -> FloatArray:
    """Coop(500), Defect(50), Coop(500), Noisy(200, ``eps``), Coop(500); ``scale``
    multiplies every phase's length (for quick runs)."""
    parts = []
    for kind, n in MULTI_PHASE:
        n = max(1, round(n * scale))
        if kind == "noisy":
            parts.append(noisy_cooperator(n, eps, batch, rng))
        else:
            parts.append(np.full((n, batch), 1.0 if kind == "cooperate" else 0.0))
    return np.concatenate(parts, axis=0)


# ---- the agent ----------------------------------------------------------------------------------


class EchoStateAgent(Agent):
    """The BRG agent as a player of ``continuous_pd``: one developed, habituated body
    (built from ``seed``), governed by a fixed ``alpha`` or the sentinel (``alpha=None``).
    Its continuous action is played as the nearest level of the game's grid, and the
    reservoir is driven by the levels actually played."""

    name = "echo_state"

    def __init__(
        self,
        seed: int = 0,
        alpha: float | None = None,
        config: ReservoirConfig | None = None,
        sentinel: SentinelConfig | None = None,
        size: int | None = None,
    ) -> None:
        self.seed = seed
        self.config = config or ReservoirConfig()
        if size is not None:  # the reservoir size alone, as agent specs give it
            self.config = dataclasses.replace(self.config, size=size)
        rng = np.random.default_rng(seed)
        self.policy = GovernedBody(
            develop_body(self.config, 1, rng), alpha, sentinel or SentinelConfig()
        )
        self._rng = rng
        self.reset()

    def check_game(self, game: Game) -> None:
        if not isinstance(game, ContinuousPDGame):
            raise RedqueenError(f"the echo-state agent plays continuous_pd; got {game.id!r}")

    def reset(self) -> None:
        policy = self.policy
        self._net = policy.body.network.fresh()
        self._net.drive(COOPERATE, policy.body.config.warmup, self._rng)
        if policy.alpha is None:
            self._x_base, self._a_base = policy.sentinel_baselines(self._rng)
            self.alpha = float(policy.sentinel.alpha0)
        else:
            self.alpha = float(policy.alpha)
        self._seen = 0

    def act(self, obs: Observation) -> int:
        game = obs.game
        assert isinstance(game, ContinuousPDGame)
        view = obs.information_state_key
        assert isinstance(view, ContinuousPDView)
        me, other = obs.player, 1 - obs.player
        for pair in view.history[self._seen :]:  # drive the body with the levels played
            self._net.step(np.array([[game.levels[pair[me]], game.levels[pair[other]]]]), obs.rng)
        self._seen = len(view.history)
        prev = game.levels[view.history[-1][other]] if view.history else 1.0
        x = self._net.state
        a_body = float(self.policy.body.readout(x)[0])
        if self.policy.alpha is None:
            cfg = self.policy.sentinel
            w_s, w_o, w_d = cfg.weights
            d_total = (
                w_s * float(np.linalg.norm(x[0] - self._x_base[0])) / np.sqrt(x.shape[1])
                + w_o * abs(a_body - float(self._a_base[0]))
                + w_d * abs(a_body - prev)
            )
            self._a_base = (1 - cfg.ema) * self._a_base + cfg.ema * a_body
            self._x_base = (1 - cfg.ema) * self._x_base + cfg.ema * x
            self.alpha = float(sentinel_update(np.array([self.alpha]), np.array([d_total]), cfg)[0])
        return game.level_of(self.alpha * a_body + (1 - self.alpha) * prev)

    def spec(self) -> AgentSpec:
        params: dict[str, object] = {"seed": self.seed}
        if self.policy.alpha is not None:
            params["alpha"] = self.policy.alpha
        if self.config != ReservoirConfig():
            params["size"] = self.config.size
        return AgentSpec(self.name, params)
