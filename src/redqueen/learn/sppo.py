"""Self-play preference optimisation on the preference game: SPPO, SPO and a DPO baseline.

The game (:mod:`redqueen.games.roles.preference`) pays a player ``P(y > y')`` when its
response ``y`` meets ``y'``; it is symmetric and constant-sum with value 1/2, and its
Nash equilibrium, the von Neumann winner ``pi*``, satisfies ``P(y > pi*) <= 1/2`` for
every response ``y``, where ``P(y > pi) = sum_y' pi(y') P(y > y') = (P pi)_y``. How far a
policy ``pi`` played by both seats is from it is measured by NashConv, the sum over the
two seats of what a best response gains:

    NashConv(pi) = 2 * (max_y P(y > pi) - 1/2),

because ``pi^T P pi = 1/2`` whenever ``P + P^T = 1`` (:func:`preference_nash_conv`; it is
0 exactly at an equilibrium, 1 for a pure strategy of rock-paper-scissors). The
equilibrium itself comes from :func:`redqueen.solve.zero_sum_nash` on ``P - 1/2``
(:func:`von_neumann_winner`). All learners here work on one prompt's matrix, start from
the uniform policy and return every iterate and their average (:class:`PreferenceRun`).

1. **Exact SPPO** (Wu et al. 2024, "Self-Play Preference Optimization for Language Model
   Alignment", arXiv:2405.00675, the update their Theorem 4.1 analyses): multiplicative
   weights, ``pi_{t+1}(y) ∝ pi_t(y) exp(eta P(y > pi_t))``. In self-play the regret of
   each seat bounds NashConv of the average iterate by ``2 (log M / (eta T) + eta / 8)``;
   the iterates themselves spiral away from the equilibrium, so the average is the answer.

2. **Sampled SPPO**, SPPO's practice (``uclaml/SPPO`` ``scripts/compute_prob.py`` and
   ``sppo/trainer.py``, loss type ``sppo``): each iteration draws ``batch_size`` groups of
   ``K = 5`` responses from ``pi_t`` (one group per prompt in SPPO); in a group the
   estimated win rates are ``P^_i = (1/K) sum_j P(y_i > y_j)``, ``j = i`` included (0.5);
   the chosen response has the largest ``P^``, the rejected one the smallest, and the
   loss is SPPO's

       1/2 [(log pi/pi_ref (y_w) - eta (P^_w - 1/2))^2 + (log pi/pi_ref (y_l) - eta (P^_l - 1/2))^2]

   averaged over the groups, with ``eta = 1/beta``, ``beta = 0.001`` and ``pi_ref = pi_t``
   (each SPPO iteration starts from the previous model). The policy is a tabular softmax
   over logits; the loss is minimised by ``gradient_steps`` steps of plain gradient
   descent on the logits with the closed-form gradient ``sum_b r_w (e_w - pi) + r_l (e_l
   - pi)`` (``r``: the residuals in the brackets). Deviations: SPPO ranks by PairRM
   scores; we rank by ``P^``, which orders responses the same way whenever preferences
   come from scores (``P^_i`` grows with ``s_i``) and is the natural score otherwise.
   SPPO uses RMSprop at lr 5e-7 and one epoch; we use plain gradient descent with a small
   learning rate. The exact minimiser is *not* used on purpose: with ``eta = 1000`` it
   sets log-ratios of hundreds and collapses the policy; SPPO's few small optimiser steps
   are what make it a small multiplicative-weights step. Choosing only the best and the
   worst of ``K`` also biases the update: its fixed point is near, not at, the
   equilibrium (on the default 5-response game of :func:`~redqueen.games.roles.preference.
   preference_game`, NashConv about 0.013 at the fixed point of the expected update).

3. **SPO** (Swamy et al. 2024, "A Minimaximalist Approach to Reinforcement Learning from
   Human Feedback", arXiv:2401.04056): sample ``samples`` responses from the current
   policy, reward each with its win rate against the others, ``r_i = mean_{j != i}
   P(y_i > y_j)``, and take a policy-gradient step. Here it is REINFORCE on the logits,
   ``theta += lr (1/N) sum_i (r_i - 1/2) (e_{y_i} - pi)`` (the rewards of a batch average
   exactly 1/2, so 1/2 is the batch-mean baseline); SPO uses PPO. The win rate uses the
   preference probability itself instead of a sampled 0/1 verdict (its expectation).

4. **Pairwise DPO** (Rafailov et al. 2023, "Direct Preference Optimization", with the
   iterative scheme SPPO compares against): the same chosen/rejected pairs as SPPO, and
   the DPO loss ``-log sigmoid(beta (h(y_w) - h(y_l)))`` with ``h = log pi/pi_ref`` and
   ``pi_ref = pi_t``. On a tabular policy ``beta h`` is a free score vector ``r``, so the
   loss is a Bradley-Terry fit of chosen over rejected, and its minimiser is exactly
   ``pi_{t+1} ∝ pi_t exp(r / beta)``. The fit adds ``(l2/2) |r|^2`` (solved by Newton's
   method), which DPO does not have: without it the fit diverges as soon as one response
   is always chosen over another, which is DPO's over-fitting on hard labels; the penalty
   stands for finite training. A Bradley-Terry score is transitive, so this learner can
   only express policies ordered by one score: with DPO's usual ``beta = 0.1`` it
   collapses to a single response within a few iterations, far from the equilibrium of an
   intransitive game. With a very large ``beta`` (tiny steps) its hard-label updates
   behave like sampled SPPO's and it ends near, not at, the equilibrium (NashConv about
   0.016 on the default game), so the failure it shows is that of DPO as practised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.params import integer, number
from redqueen.games.roles.preference import PreferenceGame, check_preference_matrix
from redqueen.solve.normal_form import zero_sum_nash

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_MAX_ITERATIONS = 10_000_000


# ---- the equilibrium and the distance to it ---------------------------------------------


def preference_of(preference: PreferenceGame | ArrayLike, prompt: int = 0) -> FloatArray:
    """The preference matrix of ``preference``: a checked ``M x M`` matrix, or the matrix
    of prompt number ``prompt`` of a :class:`PreferenceGame`."""
    if isinstance(preference, PreferenceGame):
        return preference.preference(prompt)
    if prompt != 0:
        raise InvalidParameterError(
            f"prompt={prompt!r} needs a PreferenceGame; a matrix is one prompt's preferences"
        )
    return check_preference_matrix(preference, "preference")


def win_rates(preference: PreferenceGame | ArrayLike, policy: ArrayLike) -> FloatArray:
    """``P(y > pi)`` for every response ``y``: the payoff of ``y`` against ``policy``."""
    p = preference_of(preference)
    return np.asarray(p @ _distribution(policy, p.shape[0]), dtype=np.float64)


def preference_nash_conv(preference: PreferenceGame | ArrayLike, policy: ArrayLike) -> float:
    """NashConv of ``policy`` played by both seats: ``2 (max_y P(y > policy) - 1/2)``."""
    return float(2.0 * (np.max(win_rates(preference, policy)) - 0.5))


def von_neumann_winner(preference: PreferenceGame | ArrayLike, prompt: int = 0) -> FloatArray:
    """A Nash equilibrium of the preference game (the maximin policy of ``P - 1/2``, by
    linear programming)."""
    p = preference_of(preference, prompt)
    return zero_sum_nash(p - 0.5).row_strategy


# ---- what every learner returns ---------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PreferenceRun:
    """The policies a learner went through on one preference matrix."""

    preference: FloatArray
    iterates: FloatArray
    """Shape ``(T + 1, M)``: ``pi_0`` (uniform), then the policy after each iteration."""
    average: FloatArray
    """The mean of ``pi_1 .. pi_T`` (``pi_0`` when ``T = 0``)."""

    @property
    def last(self) -> FloatArray:
        return self.iterates[-1]

    def nash_conv(self) -> float:
        """NashConv of the average iterate."""
        return preference_nash_conv(self.preference, self.average)

    def last_nash_conv(self) -> float:
        """NashConv of the last iterate."""
        return preference_nash_conv(self.preference, self.last)


def _run(p: FloatArray, iterates: FloatArray) -> PreferenceRun:
    average = iterates[1:].mean(axis=0) if len(iterates) > 1 else iterates[0].copy()
    return PreferenceRun(p, iterates, average / average.sum())


# ---- 1. exact SPPO ----------------------------------------------------------------------


@dataclass(frozen=True)
class ExactSPPOConfig:
    """Exact SPPO: multiplicative weights on the true win rates."""

    iterations: int = 200_000
    """Updates ``T`` (about a second for 5 responses)."""
    eta: float = 0.02
    """Step size: ``pi_{t+1} ∝ pi_t exp(eta P(y > pi_t))``."""

    def __post_init__(self) -> None:
        integer("ExactSPPOConfig.iterations", self.iterations, 0, _MAX_ITERATIONS)
        number("ExactSPPOConfig.eta", self.eta, 0.0, 1e6, open_low=True)


def sppo_exact(
    preference: PreferenceGame | ArrayLike,
    config: ExactSPPOConfig | None = None,
    *,
    prompt: int = 0,
) -> PreferenceRun:
    """Exact SPPO from the uniform policy (module docstring, item 1)."""
    config = config or ExactSPPOConfig()
    p = preference_of(preference, prompt)
    m = p.shape[0]
    iterates = np.empty((config.iterations + 1, m))
    pi = np.full(m, 1.0 / m)
    iterates[0] = pi
    for t in range(1, config.iterations + 1):
        logits = config.eta * (p @ pi)
        weights = pi * np.exp(logits - logits.max())
        pi = weights / weights.sum()
        iterates[t] = pi
    return _run(p, iterates)


# ---- 2. sampled SPPO --------------------------------------------------------------------


@dataclass(frozen=True)
class SampledSPPOConfig:
    """SPPO as practised: K samples, best against worst, SPPO's squared loss."""

    iterations: int = 20_000
    """SPPO iterations; each starts from (and is regularised towards) the previous one."""
    batch_size: int = 1
    """Groups of ``samples`` responses per iteration (SPPO: one group per prompt)."""
    samples: int = 5
    """``K``, responses sampled per group (SPPO: 5)."""
    beta: float = 0.001
    """SPPO's ``beta``; the target log-ratio is ``(1/beta) (P^ - 1/2)`` (SPPO: 0.001)."""
    learning_rate: float = 2e-5
    """Gradient-descent step on the logits (the gradient scales with ``1/beta``)."""
    gradient_steps: int = 1
    """Gradient steps on each iteration's loss."""
    seed: int = 0

    def __post_init__(self) -> None:
        integer("SampledSPPOConfig.iterations", self.iterations, 0, _MAX_ITERATIONS)
        integer("SampledSPPOConfig.batch_size", self.batch_size, 1, 1_000_000)
        integer("SampledSPPOConfig.samples", self.samples, 2, 1000)
        number("SampledSPPOConfig.beta", self.beta, 0.0, 1e6, open_low=True)
        number("SampledSPPOConfig.learning_rate", self.learning_rate, 0.0, 1e6, open_low=True)
        integer("SampledSPPOConfig.gradient_steps", self.gradient_steps, 1, 10_000)
        integer("SampledSPPOConfig.seed", self.seed, 0, 2**63 - 1)


def sppo_sampled(
    preference: PreferenceGame | ArrayLike,
    config: SampledSPPOConfig | None = None,
    *,
    prompt: int = 0,
) -> PreferenceRun:
    """SPPO with sampled responses and its squared loss (module docstring, item 2)."""
    config = config or SampledSPPOConfig()
    p = preference_of(preference, prompt)
    m = p.shape[0]
    rng = np.random.default_rng(config.seed)
    eta = 1.0 / config.beta
    theta = np.zeros(m)
    iterates = np.empty((config.iterations + 1, m))
    iterates[0] = _softmax(theta)
    for t in range(1, config.iterations + 1):
        pi = iterates[t - 1]
        log_ref = np.log(pi)
        groups = _sample(pi, (config.batch_size, config.samples), rng)
        chosen, rejected, rate_w, rate_l = best_and_worst(p, groups)
        target_w = eta * (rate_w - 0.5)
        target_l = eta * (rate_l - 0.5)
        for _ in range(config.gradient_steps):
            log_pi = _log_softmax(theta)
            res_w = log_pi[chosen] - log_ref[chosen] - target_w
            res_l = log_pi[rejected] - log_ref[rejected] - target_l
            grad = np.bincount(chosen, res_w, m) + np.bincount(rejected, res_l, m)
            grad -= (res_w.sum() + res_l.sum()) * np.exp(log_pi)
            theta -= config.learning_rate * grad / config.batch_size
        iterates[t] = _softmax(theta)
    return _run(p, iterates)


def best_and_worst(
    preference: FloatArray, groups: IntArray
) -> tuple[IntArray, IntArray, FloatArray, FloatArray]:
    """For each row of ``groups`` (response ids, shape ``(B, K)``): the chosen response
    (largest estimated win rate ``P^_i = (1/K) sum_j P(y_i > y_j)``, ``j = i``
    included), the rejected one (smallest), and their ``P^``. Ties go to the first."""
    rates = preference[groups[:, :, None], groups[:, None, :]].mean(axis=2)
    rows = np.arange(groups.shape[0])
    best, worst = rates.argmax(axis=1), rates.argmin(axis=1)
    return groups[rows, best], groups[rows, worst], rates[rows, best], rates[rows, worst]


# ---- 3. SPO -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SPOConfig:
    """SPO: REINFORCE with the win rate against the policy's own samples as reward."""

    iterations: int = 20_000
    samples: int = 8
    """Responses sampled per iteration; each is rewarded with its win rate against the
    others."""
    learning_rate: float = 0.1
    seed: int = 0

    def __post_init__(self) -> None:
        integer("SPOConfig.iterations", self.iterations, 0, _MAX_ITERATIONS)
        integer("SPOConfig.samples", self.samples, 2, 100_000)
        number("SPOConfig.learning_rate", self.learning_rate, 0.0, 1e6, open_low=True)
        integer("SPOConfig.seed", self.seed, 0, 2**63 - 1)


def spo(
    preference: PreferenceGame | ArrayLike,
    config: SPOConfig | None = None,
    *,
    prompt: int = 0,
) -> PreferenceRun:
    """SPO with a tabular softmax policy (module docstring, item 3)."""
    config = config or SPOConfig()
    p = preference_of(preference, prompt)
    m, n = p.shape[0], config.samples
    rng = np.random.default_rng(config.seed)
    theta = np.zeros(m)
    iterates = np.empty((config.iterations + 1, m))
    iterates[0] = _softmax(theta)
    for t in range(1, config.iterations + 1):
        ys = _sample(iterates[t - 1], (n,), rng)
        rewards = (p[ys[:, None], ys[None, :]].sum(axis=1) - 0.5) / (n - 1)
        # The advantages sum to 0, so the -pi part of grad log pi cancels.
        theta += config.learning_rate * np.bincount(ys, rewards - 0.5, m) / n
        iterates[t] = _softmax(theta)
    return _run(p, iterates)


# ---- 4. pairwise DPO --------------------------------------------------------------------


@dataclass(frozen=True)
class PairwiseDPOConfig:
    """Iterative DPO on SPPO's chosen/rejected pairs, minimised exactly (a BT fit)."""

    iterations: int = 50
    batch_size: int = 64
    """Groups of ``samples`` responses per iteration, one pair from each."""
    samples: int = 5
    beta: float = 0.1
    """DPO's ``beta`` (its usual value 0.1): ``pi_{t+1} ∝ pi_t exp(r / beta)``."""
    l2: float = 0.1
    """Penalty ``(l2/2) |r|^2`` on the Bradley-Terry scores (see the module docstring)."""
    seed: int = 0

    def __post_init__(self) -> None:
        integer("PairwiseDPOConfig.iterations", self.iterations, 0, _MAX_ITERATIONS)
        integer("PairwiseDPOConfig.batch_size", self.batch_size, 1, 1_000_000)
        integer("PairwiseDPOConfig.samples", self.samples, 2, 1000)
        number("PairwiseDPOConfig.beta", self.beta, 0.0, 1e6, open_low=True)
        number("PairwiseDPOConfig.l2", self.l2, 0.0, 1e6, open_low=True)
        integer("PairwiseDPOConfig.seed", self.seed, 0, 2**63 - 1)


def pairwise_dpo(
    preference: PreferenceGame | ArrayLike,
    config: PairwiseDPOConfig | None = None,
    *,
    prompt: int = 0,
) -> PreferenceRun:
    """Iterative DPO with the previous iterate as reference (module docstring, item 4)."""
    config = config or PairwiseDPOConfig()
    p = preference_of(preference, prompt)
    m = p.shape[0]
    rng = np.random.default_rng(config.seed)
    log_pi = np.full(m, -np.log(m))
    iterates = np.empty((config.iterations + 1, m))
    iterates[0] = np.exp(log_pi)
    for t in range(1, config.iterations + 1):
        groups = _sample(iterates[t - 1], (config.batch_size, config.samples), rng)
        chosen, rejected, _, _ = best_and_worst(p, groups)
        differ = chosen != rejected
        if differ.any():
            scores = bradley_terry_fit(chosen[differ], rejected[differ], m, config.l2)
            log_pi = _log_softmax(log_pi + scores / config.beta)
        iterates[t] = np.exp(log_pi)
    return _run(p, iterates)


def bradley_terry_fit(
    winners: IntArray, losers: IntArray, m: int, l2: float, *, newton_steps: int = 50
) -> FloatArray:
    """Scores ``r`` (length ``m``) minimising ``mean -log sigmoid(r_w - r_l) + (l2/2)
    |r|^2`` over the pairs ``(winners[k], losers[k])``, by Newton's method (the objective
    is strictly convex for ``l2 > 0``)."""
    n = len(winners)
    diff = np.zeros((n, m))
    diff[np.arange(n), winners] += 1.0
    diff[np.arange(n), losers] -= 1.0
    r = np.zeros(m)
    for _ in range(newton_steps):
        won = 1.0 / (1.0 + np.exp(-(diff @ r)))
        grad = -diff.T @ (1.0 - won) / n + l2 * r
        hess = (diff.T * (won * (1.0 - won))) @ diff / n + l2 * np.eye(m)
        step = np.linalg.solve(hess, grad)
        r -= step
        if np.max(np.abs(step)) < 1e-12:
            break
    return r


# ---- helpers ----------------------------------------------------------------------------


def _softmax(x: FloatArray) -> FloatArray:
    z = np.exp(x - x.max())
    return np.asarray(z / z.sum(), dtype=np.float64)


def _log_softmax(x: FloatArray) -> FloatArray:
    shifted = x - x.max()
    return np.asarray(shifted - np.log(np.exp(shifted).sum()), dtype=np.float64)


def _sample(pi: FloatArray, shape: tuple[int, ...], rng: np.random.Generator) -> IntArray:
    """Response ids drawn from ``pi`` by inverse CDF, one uniform draw each."""
    cdf = np.cumsum(pi)
    ids = np.searchsorted(cdf, rng.random(shape) * cdf[-1], side="right")
    return np.minimum(ids, len(pi) - 1).astype(np.int64)


def _distribution(policy: ArrayLike, m: int) -> FloatArray:
    pi = np.asarray(policy, dtype=np.float64)
    if pi.shape != (m,):
        raise InvalidParameterError(
            f"a policy must give {m} probabilities, one per response; got shape {pi.shape}"
        )
    if not np.all(np.isfinite(pi)) or np.any(pi < 0) or abs(pi.sum() - 1.0) > 1e-6:
        raise InvalidParameterError(
            f"a policy must be non-negative probabilities summing to 1; got {pi.tolist()}"
        )
    return pi
