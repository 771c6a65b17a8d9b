"""Social and economic measures of play: cooperation, welfare, inequality, punishment,
sustainability, norms, soft-label safety metrics, and governance levers.

Each measure is a small function of plain numbers (returns, choices, stock levels), so that
it applies to any game; the few that read a trajectory (:func:`govern`) do so through the
Game/State contract only.

- Welfare: utilitarian welfare is the sum of returns; welfare relative to the optimum is
  welfare / optimal welfare. The *price of anarchy* is optimal welfare over the welfare of
  the worst equilibrium (Koutsoupias & Papadimitriou 1999, "Worst-case equilibria"),
  defined when both are positive; :func:`price_of_anarchy_matrix` computes it over the
  pure Nash equilibria of a bimatrix game (3 for the prisoner's dilemma with R=3, P=1).
- GLEE (Shapira et al. 2025, "GLEE: A Unified Framework and Benchmark for Language-based
  Economic Environments"; definitions as in its ``analyze/metrics.py``): fairness of a
  split ``p`` is ``1 - 4 (p - p_fair)^2`` (1 at the fair split, 0 when one side takes
  all); bargaining efficiency is the share of the pie left after discounting,
  ``p d_A^(t-1) + (1-p) d_B^(t-1)``; negotiation efficiency is 1 when a trade happens
  exactly when it creates value (buyer's value > seller's); negotiation fairness is
  fairness at ``p_fair = (v_seller + v_buyer)/2`` (1 without a trade); persuasion
  efficiency is the share of high-quality items that were bought and persuasion fairness
  the share of low-quality items that were not. Negotiation fairness is not bounded
  below: a price more than half a price unit from the midpoint gives a negative value
  (price 2.0 for values 1.0 and 1.2: ``1 - 4 * 0.9^2 = -2.24``). GLEE computes the same
  per-game value; it declares fairness's range as [0, 1] and clips only the predictions
  of its regression to it, so we keep the per-game value unclipped, as GLEE does.
- Gini coefficient (Gini 1912): mean absolute difference over twice the mean,
  ``sum_ij |x_i - x_j| / (2 n^2 mean)``: 0 for equal shares, ``(n-1)/n`` when one has all.
  Net returns can be negative (fines, losses); with ``allow_negative`` the denominator
  is twice the mean *absolute* value, the largest the numerator can be for the given
  positive and negative totals (Raffinetti, Siletti & Vernizzi 2015, "On the Gini
  coefficient normalization when attributes with negative values are considered"), so
  the coefficient stays in [0, (n-1)/n] and equals Gini's for non-negative values.
  Clamping negatives to 0 instead would hide the inequality they carry.
- Rates over repeated-game rounds (:func:`match_rate`): the rounds of one match are not
  independent (a player that cooperates in round 1 tends to in round 2), so the match
  is the unit. The rate is hits over decisions pooled over matches; its 95% interval is
  Wilson's score interval (Wilson 1927) at the effective sample size ``n_eff = r (1 -
  r) / v``, with ``v`` the between-match (ratio-estimator) variance of the pooled rate,
  and Student's t quantile on ``matches - 1`` degrees of freedom in place of the normal
  one (the design-effect correction of Kish 1965 with the degrees-of-freedom adjustment
  of Korn & Graubard 1998, "Confidence intervals for proportions with small expected
  number of positive counts estimated from survey data"). ``n_eff`` is kept between the
  number of matches and the number of decisions; when every decision agrees (a rate of
  0 or 1) nothing measures the between-match variance and ``n_eff`` is the number of
  matches. Simulated with known truth at 10 matches of 10 rounds (400 replications per
  case), with per-match tendencies (intra-match correlation 0.2 to 0.9) or moves that
  persist from round to round, it covered 0.92 to 0.98 where a Wilson interval over all
  rounds covered 0.41 to 0.70; it is never empty or outside [0, 1]
  (``tests/measure/test_social_intervals.py``).
- Punishment: the share of acts that punish, and the share of punishments aimed at
  cooperators, *antisocial punishment* (Herrmann, Thöni & Gächter 2008, "Antisocial
  punishment across societies", Science 319).
- Sustainability: the first round at which a resource falls below a threshold (collapse
  time, as GovSim's "survival time"; Piatti et al. 2024), and the first round after which
  a group norm stays within a tolerance of its final value (norm convergence time).
- Soft labels (the SWARM-style metrics for multi-agent safety): each interaction carries
  ``p``, the probability that it is beneficial, and whether it was accepted. *Toxicity*
  is ``E[1 - p | accepted]`` and the *quality gap* ``E[p | accepted] - E[p | rejected]``
  (positive when a system accepts the better interactions; negative under adverse
  selection, Akerlof 1970).
- Governance levers, composable and usable on any game's trajectory (:func:`govern`):
  a transaction tax on gains (Tobin 1978), random audits with a penalty (Becker 1968,
  "Crime and punishment"), a circuit breaker that halts play when a trigger fires (the
  market-wide halts introduced after 1987), and reputation with exponential decay
  (Nowak & Sigmund 1998 image scores; decaying trust as in EigenTrust-style systems).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from redqueen.errors import InvalidParameterError
from redqueen.games.core import SIMULTANEOUS, Game, State, Step

# ---- cooperation and welfare --------------------------------------------------------------


def cooperation_rate(cooperated: Sequence[bool]) -> float:
    """The share of acts that were cooperative (NaN for no acts)."""
    if len(cooperated) == 0:
        return math.nan
    return sum(1 for c in cooperated if c) / len(cooperated)


MATCH_RATE_METHOD = (
    "95% Wilson interval at the effective sample size, matches as the unit "
    "(t quantile on matches - 1 degrees of freedom)"
)
"""How :func:`match_rate` computes its interval, in words a report can show."""


def match_rate(hits: Sequence[int], totals: Sequence[int], level: float = 0.95) -> dict[str, Any]:
    """A rate pooled over the rounds of several matches, with the match as the unit.

    ``hits[i]`` of ``totals[i]`` decisions of match ``i`` were hits (cooperations,
    coordinations, correct predictions); matches without decisions are left out. The
    rate is ``sum(hits) / sum(totals)``; its interval is Wilson's at the effective
    sample size ``r (1 - r) / v`` (``v``: the between-match variance of the pooled rate)
    with Student's t quantile on ``matches - 1`` degrees of freedom (see the module
    docstring). One match gives no interval: nothing measures how matches differ.

    Returns a rate dict as :func:`redqueen.measure.statistics.rate_with_interval` does
    (``rate``, ``low``, ``high``, ``count``, ``n``; None where undefined), plus
    ``matches``, ``effective_n`` and ``method``.
    """
    pairs = [(int(h), int(t)) for h, t in zip(hits, totals, strict=True)]
    for h, t in pairs:
        if not 0 <= h <= t:
            raise InvalidParameterError(f"each match needs 0 <= hits <= decisions; got {h}/{t}")
    if not 0 < level < 1:
        raise InvalidParameterError(f"level must be in (0, 1); got {level!r}")
    pairs = [(h, t) for h, t in pairs if t > 0]
    m = len(pairs)
    count, n = sum(h for h, _ in pairs), sum(t for _, t in pairs)
    out: dict[str, Any] = {
        "rate": count / n if n else None,
        "low": None,
        "high": None,
        "count": count,
        "n": n,
        "matches": m,
        "effective_n": None,
        "method": MATCH_RATE_METHOD,
    }
    if m < 2:
        return out
    from scipy.stats import t as student_t

    r = count / n
    mean_size = n / m
    between = math.fsum((h - r * t) ** 2 for h, t in pairs) / (m * (m - 1) * mean_size**2)
    # all hits or none: nothing measures how matches differ, so each match counts once
    n_eff = float(m) if r in (0, 1) else r * (1 - r) / between if between > 0 else float(n)
    n_eff = min(max(n_eff, float(m)), float(n))
    q = float(student_t.ppf(0.5 + level / 2, df=m - 1))
    denom = 1 + q * q / n_eff
    centre = (r + q * q / (2 * n_eff)) / denom
    half = q * math.sqrt(r * (1 - r) / n_eff + q * q / (4 * n_eff * n_eff)) / denom
    out["low"] = 0.0 if r == 0 else max(0.0, centre - half)
    out["high"] = 1.0 if r == 1 else min(1.0, centre + half)
    out["effective_n"] = n_eff
    return out


def welfare(returns: Sequence[float]) -> float:
    """Utilitarian welfare: the sum of the returns."""
    return math.fsum(returns)


def welfare_ratio(returns: Sequence[float], optimum: float) -> float:
    """Welfare relative to the optimal welfare (1: optimal)."""
    if not optimum > 0:
        raise InvalidParameterError(f"optimum welfare must be > 0; got {optimum!r}")
    return welfare(returns) / optimum


def price_of_anarchy(optimal_welfare: float, worst_equilibrium_welfare: float) -> float:
    """Optimal welfare over the worst equilibrium's welfare (>= 1; defined for positive
    welfare only)."""
    if not (optimal_welfare > 0 and worst_equilibrium_welfare > 0):
        raise InvalidParameterError(
            "the price of anarchy is defined for positive welfare only; got optimum "
            f"{optimal_welfare!r} and worst equilibrium {worst_equilibrium_welfare!r}"
        )
    return optimal_welfare / worst_equilibrium_welfare


def pure_nash_equilibria(a: np.ndarray, b: np.ndarray) -> list[tuple[int, int]]:
    """The pure Nash equilibria ``(row, column)`` of the bimatrix game ``(a, b)``."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or a.ndim != 2:
        raise InvalidParameterError(
            f"payoff matrices must share a 2-d shape; got {a.shape}, {b.shape}"
        )
    col_best = a >= a.max(axis=0, keepdims=True) - 1e-12
    row_best = b >= b.max(axis=1, keepdims=True) - 1e-12
    return [(int(i), int(j)) for i, j in zip(*np.nonzero(col_best & row_best), strict=True)]


def price_of_anarchy_matrix(a: np.ndarray, b: np.ndarray) -> float:
    """The price of anarchy of a bimatrix game over its pure equilibria: the best cell's
    welfare over the worst pure equilibrium's. Raises if there is no pure equilibrium."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    eqs = pure_nash_equilibria(a, b)
    if not eqs:
        raise InvalidParameterError("the game has no pure Nash equilibrium")
    total = a + b
    return price_of_anarchy(float(total.max()), min(float(total[i, j]) for i, j in eqs))


# ---- GLEE ---------------------------------------------------------------------------------


def glee_fairness(p: float, p_fair: float = 0.5) -> float:
    """GLEE fairness of a split: ``1 - 4 (p - p_fair)^2``: 1 at ``p_fair``, 0 half a unit
    from it, and negative further away (in [0, 1] for shares ``p`` in [0, 1] around the
    even split)."""
    return 1.0 - 4.0 * (p - p_fair) ** 2


def glee_bargaining_efficiency(
    p: float, rounds_played: int, delta_a: float, delta_b: float
) -> float:
    """GLEE bargaining efficiency: the discounted shares' sum, ``p d_A^(t-1) + (1-p)
    d_B^(t-1)`` for Alice's share ``p`` agreed in round ``t`` (from 1)."""
    if rounds_played < 1:
        raise InvalidParameterError(f"rounds_played counts from 1; got {rounds_played!r}")
    return p * delta_a ** (rounds_played - 1) + (1.0 - p) * delta_b ** (rounds_played - 1)


def glee_negotiation_efficiency(traded: bool, seller_value: float, buyer_value: float) -> float:
    """GLEE negotiation efficiency: 1 when a trade happened exactly when the buyer values
    the item more than the seller (either outcome is efficient at equal values)."""
    if buyer_value > seller_value:
        return float(traded)
    if buyer_value < seller_value:
        return float(not traded)
    return 1.0


def glee_negotiation_fairness(
    traded: bool, price: float, seller_value: float, buyer_value: float, price_scale: float = 1.0
) -> float:
    """GLEE negotiation fairness: ``1 - 4 (p - p_fair)^2`` with prices in units of
    ``price_scale`` (GLEE's product price order) and ``p_fair`` the midpoint of the two
    valuations; 1 when no trade happened. Negative when the price is more than half a
    price unit from the midpoint (-2.24 for price 2.0 with values 1.0 and 1.2), exactly
    as GLEE's ``analyze/metrics.py`` computes it per game (GLEE clips only its regression
    predictions to [0, 1])."""
    if not traded:
        return 1.0
    p_fair = (seller_value + buyer_value) / 2.0 / price_scale
    return glee_fairness(price / price_scale, p_fair)


def glee_persuasion_efficiency(high_quality: Sequence[bool], bought: Sequence[bool]) -> float:
    """GLEE persuasion efficiency: the share of high-quality items that were bought."""
    pairs = list(zip(high_quality, bought, strict=True))
    n = sum(1 for q, _ in pairs if q)
    return math.nan if n == 0 else sum(1 for q, d in pairs if q and d) / n


def glee_persuasion_fairness(high_quality: Sequence[bool], bought: Sequence[bool]) -> float:
    """GLEE persuasion fairness: the share of low-quality items that were not bought."""
    pairs = list(zip(high_quality, bought, strict=True))
    n = sum(1 for q, _ in pairs if not q)
    return math.nan if n == 0 else sum(1 for q, d in pairs if not q and not d) / n


# ---- inequality, punishment, sustainability ------------------------------------------------


def gini(values: Sequence[float], *, allow_negative: bool = False) -> float:
    """The Gini coefficient of ``values`` (0 when all are equal or all zero; NaN for
    none). Negative values are refused unless ``allow_negative``: then the mean absolute
    difference is divided by twice the mean absolute value (Raffinetti, Siletti &
    Vernizzi 2015), which keeps the result in [0, (n-1)/n] and equals the classic
    coefficient when no value is negative."""
    x = np.sort(np.asarray(values, dtype=float))
    if x.size == 0:
        return math.nan
    if not np.isfinite(x).all():
        raise InvalidParameterError(f"the Gini coefficient needs finite values; got {values!r}")
    if (x < 0).any() and not allow_negative:
        raise InvalidParameterError(
            "the Gini coefficient needs non-negative values; pass allow_negative=True for "
            "net returns that can be negative (normalised by the mean absolute value)"
        )
    total = np.abs(x).sum()
    if total == 0:
        return 0.0
    n = x.size
    # sum_ij |x_i - x_j| = 2 * sum_i (2i - n - 1) x_(i) for sorted x, i from 1
    ranks = np.arange(1, n + 1)
    return float(np.sum((2 * ranks - n - 1) * x) / (n * total))


@dataclass(frozen=True)
class PunishmentRates:
    """``rate``: punishments per act; ``antisocial``: the share of punishments aimed at
    cooperators (NaN without punishments); counts for both."""

    acts: int
    punishments: int
    antisocial_punishments: int
    rate: float
    antisocial: float


def punishment_rates(
    punished: Sequence[bool], target_cooperated: Sequence[bool]
) -> PunishmentRates:
    """Punishment and antisocial-punishment rates of a list of acts: ``punished[i]``
    whether act i punished, ``target_cooperated[i]`` whether its target had cooperated."""
    pairs = list(zip(punished, target_cooperated, strict=True))
    n = len(pairs)
    k = sum(1 for p, _ in pairs if p)
    anti = sum(1 for p, c in pairs if p and c)
    return PunishmentRates(
        n, k, anti, math.nan if n == 0 else k / n, math.nan if k == 0 else anti / k
    )


def collapse_time(stocks: Sequence[float], threshold: float) -> int | None:
    """The first index at which the stock is below ``threshold`` (None: it never was)."""
    for t, s in enumerate(stocks):
        if s < threshold:
            return t
    return None


def norm_convergence_time(norms: Sequence[float | None], tolerance: float = 0.0) -> int | None:
    """The first index from which every norm is set and within ``tolerance`` of the last
    one (None for an empty list or when the last norm is unset)."""
    if not norms or norms[-1] is None:
        return None
    final = norms[-1]
    t = len(norms) - 1
    while t > 0:
        prev = norms[t - 1]
        if prev is None or abs(prev - final) > tolerance:
            break
        t -= 1
    return t


# ---- soft labels ---------------------------------------------------------------------------


def _soft_pairs(p: Sequence[float], accepted: Sequence[bool]) -> list[tuple[float, bool]]:
    pairs = [(float(q), bool(a)) for q, a in zip(p, accepted, strict=True)]
    for q, _ in pairs:
        if not 0.0 <= q <= 1.0:
            raise InvalidParameterError(f"soft labels are probabilities in [0, 1]; got {q!r}")
    return pairs


def toxicity(p: Sequence[float], accepted: Sequence[bool]) -> float:
    """``E[1 - p | accepted]``: the expected share of harmful interactions among the
    accepted ones (NaN when none was accepted)."""
    kept = [q for q, a in _soft_pairs(p, accepted) if a]
    return math.nan if not kept else 1.0 - math.fsum(kept) / len(kept)


def quality_gap(p: Sequence[float], accepted: Sequence[bool]) -> float:
    """``E[p | accepted] - E[p | rejected]`` (NaN unless both groups are non-empty)."""
    pairs = _soft_pairs(p, accepted)
    yes = [q for q, a in pairs if a]
    no = [q for q, a in pairs if not a]
    if not yes or not no:
        return math.nan
    return math.fsum(yes) / len(yes) - math.fsum(no) / len(no)


# ---- governance levers ---------------------------------------------------------------------


@dataclass
class StepContext:
    """One transition seen by the levers. ``deltas`` (each seat's change of return in
    this step) may be changed by a lever; later levers see the change."""

    index: int
    before: State
    step: Step
    after: State
    deltas: list[float]
    rng: np.random.Generator
    halted: bool = False


class Lever(Protocol):
    """A governance lever: it sees each transition and may change the seats' gains."""

    name: str

    def reset(self, num_players: int) -> None: ...

    def __call__(self, ctx: StepContext) -> None: ...


def _movers(step: Step) -> list[tuple[int, int]]:
    """(seat, action) of the seats that chose in ``step`` (none for chance)."""
    if step.player == SIMULTANEOUS:
        assert isinstance(step.action, tuple)
        return list(enumerate(step.action))
    if step.player >= 0 and isinstance(step.action, int):
        return [(step.player, step.action)]
    return []


@dataclass
class TransactionTax:
    """Tax each seat's positive gain in a step at ``rate``; the revenue is shared equally
    among all seats (``redistribute``) or removed."""

    rate: float
    redistribute: bool = True
    name: str = "transaction_tax"
    collected: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise InvalidParameterError(f"tax rate must be in [0, 1]; got {self.rate!r}")

    def reset(self, num_players: int) -> None:
        self.collected = 0.0

    def __call__(self, ctx: StepContext) -> None:
        tax = [self.rate * d if d > 0 else 0.0 for d in ctx.deltas]
        revenue = math.fsum(tax)
        self.collected += revenue
        n = len(ctx.deltas)
        for i in range(n):
            ctx.deltas[i] -= tax[i]
            if self.redistribute:
                ctx.deltas[i] += revenue / n


@dataclass
class RandomAudit:
    """Each move for which ``violation(state_before, seat, action)`` holds is audited with
    ``probability``; an audited violation costs ``penalty``."""

    probability: float
    penalty: float
    violation: Callable[[State, int, int], bool]
    name: str = "random_audit"
    audits: int = 0
    caught: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 <= self.probability <= 1.0:
            raise InvalidParameterError(
                f"audit probability must be in [0, 1]; got {self.probability!r}"
            )
        if not self.penalty >= 0:
            raise InvalidParameterError(f"audit penalty must be >= 0; got {self.penalty!r}")

    def reset(self, num_players: int) -> None:
        self.audits = 0
        self.caught = [0] * num_players

    def __call__(self, ctx: StepContext) -> None:
        for seat, action in _movers(ctx.step):
            if self.violation(ctx.before, seat, action) and ctx.rng.random() < self.probability:
                self.audits += 1
                self.caught[seat] += 1
                ctx.deltas[seat] -= self.penalty


@dataclass
class CircuitBreaker:
    """Halt play, from the step at which ``trigger(state_after)`` first holds: no gain or
    loss counts after that step (the step that trips it counts)."""

    trigger: Callable[[State], bool]
    name: str = "circuit_breaker"
    tripped_at: int | None = None

    def reset(self, num_players: int) -> None:
        self.tripped_at = None

    def __call__(self, ctx: StepContext) -> None:
        if self.tripped_at is None and self.trigger(ctx.after):
            self.tripped_at = ctx.index
            ctx.halted = True


@dataclass
class ReputationDecay:
    """Each seat's reputation decays by ``decay`` per move it makes and adds
    ``signal(state_before, seat, action)``: ``r <- decay * r + signal``."""

    decay: float
    signal: Callable[[State, int, int], float]
    name: str = "reputation"
    reputation: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0.0 <= self.decay <= 1.0:
            raise InvalidParameterError(f"reputation decay must be in [0, 1]; got {self.decay!r}")

    def reset(self, num_players: int) -> None:
        self.reputation = [0.0] * num_players

    def __call__(self, ctx: StepContext) -> None:
        for seat, action in _movers(ctx.step):
            self.reputation[seat] = self.decay * self.reputation[seat] + self.signal(
                ctx.before, seat, action
            )


@dataclass(frozen=True)
class GovernedOutcome:
    """Returns after the levers, the game's own returns, and the step at which play was
    halted (None if never)."""

    returns: tuple[float, ...]
    raw_returns: tuple[float, ...]
    halted_at: int | None


def govern(
    game: Game, trajectory: Sequence[Step], levers: Sequence[Lever], seed: int = 0
) -> GovernedOutcome:
    """Replay ``trajectory`` (e.g. ``MatchResult.trajectory``) and apply ``levers`` in order
    at each step; random levers draw from one Generator seeded by ``seed``."""
    rng = np.random.default_rng(seed)
    n = game.num_players
    for lever in levers:
        lever.reset(n)
    state = game.new_initial_state()
    totals = [float(r) for r in state.returns()]
    halted_at: int | None = None
    for index, step in enumerate(trajectory):
        before = state.clone()
        returns_before = state.returns()
        if isinstance(step.action, tuple):
            state.apply_joint_action(list(step.action))
        elif isinstance(step.action, str):
            state.apply_text_action(step.action, step.player)
        else:
            state.apply_action(step.action)
        if halted_at is not None:
            continue
        deltas = [a - b for a, b in zip(state.returns(), returns_before, strict=True)]
        ctx = StepContext(index, before, step, state, deltas, rng)
        for lever in levers:
            lever(ctx)
        totals = [t + d for t, d in zip(totals, ctx.deltas, strict=True)]
        if ctx.halted:
            halted_at = index
    return GovernedOutcome(tuple(totals), tuple(state.returns()), halted_at)
