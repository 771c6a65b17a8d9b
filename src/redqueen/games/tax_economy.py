"""The LLM Economist's tax economy: workers choose hours, a planner sets bracketed taxes.

Karten et al., "LLM Economist: Large Population Models and Mechanism Design in
Multi-Agent Generative Simulacra" (arXiv 2507.15815; code: sethkarten/LLM-Economist,
``utils/common.py``, ``utils/bracket.py``, ``agents/worker.py``, ``agents/planner.py``,
``main.py``). A Stackelberg game over discrete steps:

- *Workers* have a skill ``v`` (income per weekly hour of labour), drawn from the ACS 2023
  fit of US incomes, a GB2 distribution (``mu`` 72402.78, ``sigma`` 2.07211, ``nu``
  0.486519, ``tau`` 1.14104) divided by 40 hours, or uniformly from [1.24, 159.1]. Each
  step every worker chooses hours ``l`` in [0, 100] and earns ``z = v l`` before tax.
- *Taxes* are marginal rates in percent over brackets of pre-tax income: ``flat`` [0, inf),
  ``three`` [0, 90000), [90000, 159100), [159100, inf), or ``us_federal`` (the 2024 US
  federal brackets 0 / 11600 / 47150 / 100525 / 191950 / 243725 / 609350, with the 2024
  rates 10, 12, 22, 24, 32, 35, 37 as the ``us_federal`` rate preset). Everything
  collected is paid back equally, a lump-sum rebate ``R = sum_i T(z_i) / N``; post-tax
  income is ``z~ = z - T(z) + R``, so the post-tax incomes add up to the pre-tax ones.
- *Utility* (``egotistical``) is isoelastic, ``u = z~ - 0.0005 l^3.5``; an ``altruistic``
  worker's utility is the social welfare and an ``adversarial`` one's its negative.
- *Social welfare* is ``sum_i u_i / max(z_i, 1)`` (inverse-income weights; the code calls
  it "rawlsian") or ``utilitarian``, ``sum_i u_i``, computed on the isoelastic utilities
  of all workers, as the code's planner does.
- The *planner* changes the rates every ``tax_year`` = 25 steps (not at step 0, where all
  rates are 50%) by one of -20, -10, 0, +10, +20 points per bracket; rates stay in
  [0, 100].

Because the rebate is lump-sum, a worker's best response ignores it: it maximises
``v l - T(v l) - c l^d``, which inside bracket ``j`` is ``(1 - t_j) v l - c l^d``, concave
in ``l`` with its maximum at ``l* = ((1 - t_j) v / (c d))^(1 / (d - 1))``.
:func:`best_response_hours` takes that point for every bracket, clipped to the hours
that keep the income inside the bracket, adds the kinks (the bracket edges in hours),
0 and 100, and returns the candidate with the highest utility: exact, for any rates,
including rates that fall with income (a non-concave problem).

:func:`saez_rates` is the code's ``saez_optimal_tax_rates``: on incomes ``100 v`` (the code
scales skills by 100), for each bracket at ``z`` (the bracket's midpoint, or for the top
bracket the mean income in it), ``t = (1 - G) / (1 - G + a e)``, with ``a = z f(z) / (1 -
F(z))`` from a Gaussian KDE density ``f`` (Scott's bandwidth) and the empirical ``F``,
``a = m / (m - z_top)`` in the top bracket (``m`` the mean income above ``z``), ``G`` the
normalised ``1/z`` welfare weight above ``z`` and elasticity ``e`` = 0.4; in percent,
rounded to two decimals.

Where this module differs from the code, and why:

- The top bracket is open. The code closes it at 10,000,000 and leaves income above that
  untaxed, an artefact of a cap meant to lie outside the distribution.
- GB2 skills are drawn as ``mu (B / (1 - B))^(1/sigma)`` with ``B ~ Beta(nu, tau)``: the
  same distribution as the code's inverse-CDF draw through the F quantile, without scipy.
- An altruistic (adversarial) worker's utility is this step's welfare (its negative);
  the code hands workers the welfare of the step before, as its planner computes the
  welfare after the workers' utilities.
- The ``uniform`` rate preset is 50% in every bracket (the code's ``UNIFORM`` planner has
  two rates whatever the brackets).

:class:`TaxEconomy` is the economy as a vectorised simulator (a step of 10^5 workers,
best responses included, in about a tenth of a second; ``benchmarks/tax_economy.py``);
the recipes ``tax_saez``, ``tax_llm`` and ``tax_democracy`` run on it. The registered
game ``tax_economy`` is the same economy over the Game contract for a few workers: hours
on a grid (``hours_levels`` = 11 gives the paper's 0, 10, ..., 100) chosen
simultaneously, and the planner as the last seat, which sets each bracket's change in
turn (one sequential node per bracket) at the start of a tax year and "waits" at the
workers' nodes. Its skills are drawn once from ``skill_seed`` (or given), so the game
has no chance nodes; everything is public. Returns: each worker's utilities summed over
the steps, the planner's welfare summed over the steps.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import (
    SIMULTANEOUS,
    TERMINAL,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)
from redqueen.games.donor import require_int

# ---- constants of the paper's code ------------------------------------------------------------


@dataclass(frozen=True)
class GB2:
    """A generalised beta distribution of the second kind (GAMLSS parametrisation)."""

    mu: float
    sigma: float
    nu: float
    tau: float


ACS_2023 = GB2(
    mu=72402.78177917618,
    sigma=2.0721070746154746,
    nu=0.48651871959386955,
    tau=1.1410398548220329,
)
"""The code's fit of US incomes (ACS 2023); skills are these incomes over 40 hours."""
FULL_TIME_HOURS = 40.0
UNIFORM_SKILLS = (1.24, 159.1)
"""The range of the ``uniform`` skill distribution (income per hour)."""
LABOR_COST = 0.0005
LABOR_EXPONENT = 3.5
MAX_HOURS = 100.0
TAX_YEAR = 25
"""Steps between the planner's changes (``two_timescale`` in the code)."""
DELTAS = (-20, -10, 0, 10, 20)
"""The planner's changes of one bracket's rate, in percentage points."""
INITIAL_RATE = 50.0
SAEZ_ELASTICITY = 0.4
"""Saez (2002)'s elasticity, the code's default for ``SAEZ_FLAT``."""

BRACKET_PRESETS: Mapping[str, tuple[float, ...]] = {
    "flat": (0.0,),
    "three": (0.0, 90000.0, 159100.0),
    "us_federal": (0.0, 11600.0, 47150.0, 100525.0, 191950.0, 243725.0, 609350.0),
}
"""The lower edge of each bracket of pre-tax income; the top bracket is open."""
US_FEDERAL_2024_RATES = (10.0, 12.0, 22.0, 24.0, 32.0, 35.0, 37.0)
RATE_PRESETS = ("uniform", "us_federal")
SKILL_DISTRIBUTIONS = ("us_income", "uniform")
UTILITY_TYPES = ("egotistical", "altruistic", "adversarial")
SWF_KINDS = ("inverse_income", "utilitarian")


# ---- the tax schedule -------------------------------------------------------------------------


def bracket_edges(brackets: str | Sequence[Any]) -> tuple[float, ...]:
    """The lower edges of ``brackets``: a preset name (``flat``, ``three``, ``us_federal``) or
    a list of ``[low, high]`` pairs of pre-tax income that starts at 0, where each bracket
    begins where the one before ends, and the last is open (``high`` null or inf)."""
    if isinstance(brackets, str):
        if brackets not in BRACKET_PRESETS:
            raise UnknownNameError("tax bracket preset", brackets, BRACKET_PRESETS)
        return BRACKET_PRESETS[brackets]
    allowed = (
        "brackets are a preset (flat, three, us_federal) or a list of [low, high] pairs "
        "from 0 upwards, each starting where the last ends, the last with high null or inf"
    )
    if not isinstance(brackets, Sequence) or not brackets:
        raise InvalidParameterError(f"{allowed}; got {brackets!r}")
    edges: list[float] = []
    previous_high = 0.0
    for k, pair in enumerate(brackets):
        if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
            raise InvalidParameterError(f"{allowed}; bracket {k} is {pair!r}")
        low = _income(pair[0], f"bracket {k} low")
        high = math.inf if pair[1] is None else _income(pair[1], f"bracket {k} high")
        if low < previous_high:
            raise InvalidParameterError(
                f"bracket {k} [{low:g}, {high:g}) overlaps the bracket before, which ends at "
                f"{previous_high:g}; {allowed}"
            )
        if low > previous_high:
            raise InvalidParameterError(
                f"brackets leave a gap: no bracket covers [{previous_high:g}, {low:g}); {allowed}"
            )
        if high <= low:
            raise InvalidParameterError(f"bracket {k} [{low:g}, {high:g}) is empty; {allowed}")
        if math.isinf(high) and k != len(brackets) - 1:
            raise InvalidParameterError(f"only the last bracket may be open; {allowed}")
        edges.append(low)
        previous_high = high
    if not math.isinf(previous_high):
        raise InvalidParameterError(
            f"brackets leave a gap: no bracket covers incomes from {previous_high:g} up; {allowed}"
        )
    return tuple(edges)


def _income(value: Any, what: str) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not (math.isfinite(value) or value == math.inf) or value < 0:
        raise InvalidParameterError(f"{what} must be an income >= 0; got {value!r}")
    return float(value)


def check_rates(rates: Sequence[Any], brackets: int) -> tuple[float, ...]:
    """``rates`` as floats: one marginal rate per bracket, each in [0, 100] percent."""
    if isinstance(rates, str) or not isinstance(rates, Sequence | np.ndarray):
        raise InvalidParameterError(
            f"rates must be a list of {brackets} percentages in [0, 100]; got {rates!r}"
        )
    if len(rates) != brackets:
        raise InvalidParameterError(
            f"rates must give one percentage per bracket ({brackets}); got {len(rates)}: "
            f"{list(rates)!r}"
        )
    out = []
    for j, r in enumerate(rates):
        ok = isinstance(r, int | float | np.integer | np.floating) and not isinstance(r, bool)
        if not ok or not 0.0 <= float(r) <= 100.0:
            raise InvalidParameterError(
                f"the rate of bracket {j} must be a percentage in [0, 100]; got {r!r}"
            )
        out.append(float(r))
    return tuple(out)


def preset_rates(name: str, edges: Sequence[float]) -> tuple[float, ...]:
    """``uniform`` (50% everywhere) or ``us_federal`` (2024; on the us_federal brackets)."""
    if name == "uniform":
        return (INITIAL_RATE,) * len(edges)
    if name == "us_federal":
        if tuple(edges) != BRACKET_PRESETS["us_federal"]:
            raise InvalidParameterError(
                "the us_federal rates need the us_federal brackets (0, 11600, 47150, 100525, "
                f"191950, 243725, 609350); these brackets start at {list(edges)}"
            )
        return US_FEDERAL_2024_RATES
    raise UnknownNameError("tax rate preset", name, RATE_PRESETS)


@dataclass(frozen=True)
class TaxSchedule:
    """Marginal ``rates`` (percent) over brackets that start at ``edges`` (the first at 0;
    the last bracket is open)."""

    edges: tuple[float, ...]
    rates: tuple[float, ...]

    def __post_init__(self) -> None:
        edges = tuple(float(e) for e in self.edges)
        if not edges or edges[0] != 0.0 or any(b <= a for a, b in itertools.pairwise(edges)):
            raise InvalidParameterError(
                f"bracket edges must start at 0 and increase strictly; got {list(self.edges)}"
            )
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "rates", check_rates(self.rates, len(edges)))

    @classmethod
    def build(
        cls, brackets: str | Sequence[Any] = "three", rates: str | Sequence[Any] | None = None
    ) -> TaxSchedule:
        """A schedule from a bracket preset or pairs, and rates (a preset name, a list, or
        None for 50% everywhere)."""
        edges = bracket_edges(brackets)
        if rates is None or isinstance(rates, str):
            return cls(edges, preset_rates(rates or "uniform", edges))
        return cls(edges, check_rates(rates, len(edges)))

    def with_rates(self, rates: Sequence[float]) -> TaxSchedule:
        return TaxSchedule(self.edges, tuple(rates))

    @property
    def num_brackets(self) -> int:
        return len(self.edges)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        edges = np.asarray(self.edges)
        rates = np.asarray(self.rates) / 100.0
        widths = np.diff(edges)
        base = np.concatenate([[0.0], np.cumsum(rates[:-1] * widths)])
        return edges, rates, base

    def tax(self, income: Any) -> np.ndarray:
        """The tax on each pre-tax income: the sum over brackets of the rate times the part
        of the income inside the bracket."""
        z = np.asarray(income, dtype=float)
        edges, rates, base = self._arrays()
        j = np.searchsorted(edges, z, side="right") - 1
        j = np.clip(j, 0, len(edges) - 1)
        return base[j] + rates[j] * (z - edges[j])

    def bracket_of(self, income: Any) -> np.ndarray:
        """The bracket index of each income (an income on an edge is in the upper one)."""
        z = np.asarray(income, dtype=float)
        return np.clip(np.searchsorted(np.asarray(self.edges), z, side="right") - 1, 0, None)

    def bracket_texts(self) -> list[str]:
        out = []
        for j, low in enumerate(self.edges):
            high = f"{self.edges[j + 1]:,.0f})" if j + 1 < len(self.edges) else "inf)"
            out.append(f"[{low:,.0f}, {high}")
        return out


# ---- one step of the economy ------------------------------------------------------------------


@dataclass(frozen=True)
class StepOutcome:
    """Everything one step settles, per worker (arrays) and in total."""

    hours: np.ndarray
    pre_tax: np.ndarray
    tax: np.ndarray
    rebate: float
    post_tax: np.ndarray
    isoelastic: np.ndarray
    """``z~ - c l^d`` for every worker, whatever its type (what the welfare sums)."""
    utility: np.ndarray
    """Each worker's own utility: isoelastic, the welfare, or its negative, by type."""
    swf: float


def labour_cost(hours: Any, cost: float = LABOR_COST, exponent: float = LABOR_EXPONENT) -> Any:
    return cost * np.power(hours, exponent)


def social_welfare(utility: np.ndarray, pre_tax: np.ndarray, kind: str = "inverse_income") -> float:
    """``sum u_i / max(z_i, 1)`` (``inverse_income``) or ``sum u_i`` (``utilitarian``)."""
    if kind == "inverse_income":
        return float(np.sum(utility / np.maximum(pre_tax, 1.0)))
    if kind == "utilitarian":
        return float(np.sum(utility))
    raise UnknownNameError("social welfare function", kind, SWF_KINDS)


def check_hours(hours: Any, num_workers: int, max_hours: float = MAX_HOURS) -> np.ndarray:
    """``hours`` as a float array of one entry per worker, each in [0, ``max_hours``]."""
    out = np.asarray(hours, dtype=float)
    if out.shape != (num_workers,):
        raise InvalidParameterError(
            f"hours must give one number per worker ({num_workers}); got shape {out.shape}"
        )
    bad = ~np.isfinite(out) | (out < 0.0) | (out > max_hours)
    if bad.any():
        k = int(np.argmax(bad))
        raise InvalidParameterError(
            f"hours must be in [0, {max_hours:g}] per week; worker {k} has {float(out[k])!r}"
        )
    return out


def settle(
    skills: np.ndarray,
    hours: np.ndarray,
    schedule: TaxSchedule,
    *,
    altruistic: np.ndarray | None = None,
    adversarial: np.ndarray | None = None,
    swf: str = "inverse_income",
    cost: float = LABOR_COST,
    exponent: float = LABOR_EXPONENT,
) -> StepOutcome:
    """One step: incomes, taxes, the rebate, post-tax incomes, utilities and welfare.
    ``altruistic`` / ``adversarial`` are boolean masks of the workers of those types."""
    z = skills * hours
    tax = schedule.tax(z)
    rebate = float(tax.sum()) / len(z)
    post = z - tax + rebate
    iso = post - labour_cost(hours, cost, exponent)
    welfare = social_welfare(iso, z, swf)
    utility = iso
    if altruistic is not None and altruistic.any():
        utility = np.where(altruistic, welfare, utility)
    if adversarial is not None and adversarial.any():
        utility = np.where(adversarial, -welfare, utility)
    return StepOutcome(hours, z, tax, rebate, post, iso, utility, welfare)


def best_response_hours(
    skills: Any,
    schedule: TaxSchedule,
    *,
    cost: float = LABOR_COST,
    exponent: float = LABOR_EXPONENT,
    max_hours: float = MAX_HOURS,
) -> np.ndarray:
    """Each worker's hours in [0, ``max_hours``] that maximise ``v l - T(v l) - c l^d``
    (the rebate is lump-sum, so it does not move the optimum): the closed-form optimum of
    each bracket clipped to it, the kinks, 0 and ``max_hours``, whichever is best.

    Inside bracket ``j`` the tax is affine, ``base_j + t_j (z - edge_j)``, so each
    candidate is valued with its own bracket's formula; a bracket the worker cannot reach
    within ``max_hours`` offers no candidate."""
    v = np.asarray(skills, dtype=float)[:, None]
    edges_1d, rates_1d, base_1d = schedule._arrays()
    edges, rates, base = edges_1d[None, :], rates_1d[None, :], base_1d[None, :]
    low = edges / v
    high = np.concatenate([edges[:, 1:] / v, np.full_like(v, np.inf)], axis=1)
    interior = np.power((1.0 - rates) * v / (cost * exponent), 1.0 / (exponent - 1.0))
    inside = np.minimum(np.clip(interior, low, high), max_hours)
    reachable = low <= max_hours
    inside_value = (1.0 - rates) * v * inside - base + rates * edges - _cost(inside, cost, exponent)
    inside_value = np.where(reachable, inside_value, -np.inf)
    kinks = np.minimum(low[:, 1:], max_hours)
    kink_value = edges[:, 1:] - base[:, 1:] - _cost(kinks, cost, exponent)
    kink_value = np.where(reachable[:, 1:], kink_value, -np.inf)
    full = np.full_like(v, max_hours)
    full_value = v * full - schedule.tax(v * full) - _cost(full, cost, exponent)
    candidates = np.concatenate([np.zeros_like(v), inside, kinks, full], axis=1)
    values = np.concatenate([np.zeros_like(v), inside_value, kink_value, full_value], axis=1)
    best = np.argmax(values, axis=1)
    return candidates[np.arange(len(candidates)), best]


def _cost(hours: np.ndarray, cost: float, exponent: float) -> np.ndarray:
    """``c h^d``; for the paper's ``d = 3.5`` as ``h^3 sqrt(h)``, several times faster."""
    if exponent == 3.5:
        return cost * hours * hours * hours * np.sqrt(hours)
    return cost * np.power(hours, exponent)


def best_grid_hours(
    skills: Any,
    schedule: TaxSchedule,
    levels: Sequence[float],
    *,
    cost: float = LABOR_COST,
    exponent: float = LABOR_EXPONENT,
) -> np.ndarray:
    """The index in ``levels`` of each worker's best hours on that grid (the fewest hours
    among equally good ones)."""
    v = np.asarray(skills, dtype=float)[:, None]
    grid = np.asarray(levels, dtype=float)[None, :]
    income = v * grid
    value = income - schedule.tax(income) - cost * np.power(grid, exponent)
    return np.argmax(value, axis=1)


# ---- the planner's moves and the vote --------------------------------------------------------


def read_delta(values: Any, rates: Sequence[float], *, out_of_range: str = "clamp") -> list[float]:
    """A change of the rates as the code reads the model's ``DELTA`` list: each entry a
    number, clipped to [-20, 20] and rounded to tens; a change that would leave [0, 100]
    is cut to the boundary (``clamp``: the planner's parser) or reversed (``flip``: the
    workers' platform parser).
    Raises :class:`InvalidParameterError` saying what was wrong."""
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidParameterError(
            f"DELTA must be a list of {len(rates)} numbers in [-20, 20]; got {values!r}"
        )
    if len(values) != len(rates):
        raise InvalidParameterError(
            f"DELTA must have one change per bracket ({len(rates)}); got {len(values)}"
        )
    out = []
    for j, raw in enumerate(values):
        if isinstance(raw, str):
            raw = raw.replace("$", "").replace(",", "").replace("%", "").strip()
        try:
            x = float(raw)
        except (TypeError, ValueError):
            raise InvalidParameterError(f"DELTA[{j}] is not a number: {raw!r}") from None
        if not math.isfinite(x):
            raise InvalidParameterError(f"DELTA[{j}] is not a finite number: {raw!r}")
        d = float(np.round(np.clip(x, -20.0, 20.0) / 10.0) * 10.0)
        r = rates[j]
        if out_of_range == "clamp":
            d = min(max(d, -r), 100.0 - r)
        elif out_of_range == "flip":
            if not 0.0 <= r + d <= 100.0:
                d = -d  # |d| <= 20 keeps the reverse inside [0, 100]
        else:
            raise UnknownNameError("out_of_range rule", out_of_range, ["clamp", "flip"])
        out.append(d + 0.0)
    return out


def legal_deltas(rates: Sequence[float]) -> list[tuple[int, ...]]:
    """Every change vector (each entry one of :data:`DELTAS`) that keeps every rate in
    [0, 100], in lexicographic order."""
    per = [[d for d in DELTAS if 0.0 <= r + d <= 100.0] for r in rates]
    out: list[tuple[int, ...]] = [()]
    for options in per:
        out = [(*prefix, d) for prefix in out for d in options]
    return out


def plurality(votes: Sequence[int], rng: np.random.Generator) -> int:
    """The candidate with the most votes; a tie is broken uniformly at random among the
    tied candidates (in increasing order, one draw from ``rng``), as ``count_votes``."""
    if not votes:
        raise InvalidParameterError("plurality needs at least one vote")
    counts: dict[int, int] = {}
    for v in votes:
        counts[int(v)] = counts.get(int(v), 0) + 1
    top = max(counts.values())
    tied = sorted(c for c, n in counts.items() if n == top)
    if len(tied) == 1:
        return tied[0]
    return tied[int(rng.integers(len(tied)))]


# ---- skills and Saez's rates ------------------------------------------------------------------


def sample_skills(
    n: int, distribution: str, rng: np.random.Generator, gb2: GB2 = ACS_2023
) -> np.ndarray:
    """``n`` skills (income per hour): ``us_income`` (GB2 incomes over 40 hours) or
    ``uniform`` in [1.24, 159.1]."""
    if distribution == "us_income":
        b = np.clip(rng.beta(gb2.nu, gb2.tau, size=n), 1e-12, 1.0 - 1e-12)
        return gb2.mu * np.power(b / (1.0 - b), 1.0 / gb2.sigma) / FULL_TIME_HOURS
    if distribution == "uniform":
        return rng.uniform(UNIFORM_SKILLS[0], UNIFORM_SKILLS[1], size=n)
    raise UnknownNameError("skill distribution", distribution, SKILL_DISTRIBUTIONS)


def saez_rates(
    skills: Any, edges: Sequence[float], elasticity: float | Sequence[float] = SAEZ_ELASTICITY
) -> tuple[float, ...]:
    """Saez's optimal marginal rates (percent, two decimals) for brackets starting at
    ``edges``, computed as the code's ``saez_optimal_tax_rates`` (see the module
    docstring); ``elasticity`` is one number or one per bracket."""
    from scipy.stats import gaussian_kde  # imported on use: scipy.stats loads slowly

    incomes = np.sort(np.asarray(skills, dtype=float) * 100.0)
    if incomes.size < 2:
        raise InvalidParameterError("saez_rates needs at least two skills")
    n_brackets = len(edges)
    if isinstance(elasticity, int | float):
        elasticities = [float(elasticity)] * n_brackets
    else:
        if len(elasticity) != n_brackets:
            raise InvalidParameterError(
                f"elasticity must be one number or one per bracket ({n_brackets}); got "
                f"{len(elasticity)}"
            )
        elasticities = [float(e) for e in elasticity]
    weights = 1.0 / np.maximum(incomes, 1e-10)
    weights /= weights.sum()
    kde = gaussian_kde(incomes)
    rates = []
    for i in range(n_brackets):
        start = float(edges[i])
        if i < n_brackets - 1:
            z = 0.5 * (start + float(edges[i + 1]))
        else:
            above_start = incomes[incomes >= start]
            z = float(above_start.mean()) if above_start.size > 0 else start * 1.5
        cdf = float(np.mean(incomes <= z))
        density = float(kde(z)[0])
        a = z * density / (1.0 - cdf) if cdf < 1.0 else 10.0
        above = incomes[incomes >= z]
        if i == n_brackets - 1 and above.size > 0:
            m = float(above.mean())
            a = m / (m - start)
        g = float(weights[incomes >= z].sum()) / (1.0 - cdf) if above.size and cdf < 1 else 0.0
        tau = (1.0 - g) / (1.0 - g + a * elasticities[i])
        rates.append(round(max(0.0, min(1.0, tau)) * 100.0, 2))
    return tuple(rates)


# ---- the economy as a simulator ---------------------------------------------------------------


class TaxEconomy:
    """The economy: skills, worker types, the welfare function and the current rates.

    ``step(hours)`` settles one step; ``best_response_hours()`` is every worker's exact
    best response to the current rates; ``apply_delta`` is the planner's move. All of it
    is vectorised over workers."""

    def __init__(
        self,
        skills: Any,
        schedule: TaxSchedule,
        *,
        utility_types: Sequence[str] | None = None,
        swf: str = "inverse_income",
        cost: float = LABOR_COST,
        exponent: float = LABOR_EXPONENT,
        max_hours: float = MAX_HOURS,
    ) -> None:
        self.skills = np.asarray(skills, dtype=float)
        if self.skills.ndim != 1 or self.skills.size < 1:
            raise InvalidParameterError("skills must be a list of at least one number")
        if not (np.isfinite(self.skills).all() and (self.skills > 0).all()):
            raise InvalidParameterError("skills must be finite numbers > 0 (income per hour)")
        if swf not in SWF_KINDS:
            raise UnknownNameError("social welfare function", swf, SWF_KINDS)
        types = (
            list(utility_types) if utility_types is not None else ["egotistical"] * len(self.skills)
        )
        if len(types) != len(self.skills):
            raise InvalidParameterError(
                f"utility_types must give one type per worker ({len(self.skills)}); got "
                f"{len(types)}"
            )
        for t in types:
            if t not in UTILITY_TYPES:
                raise UnknownNameError("utility type", str(t), UTILITY_TYPES)
        self.utility_types = tuple(types)
        self._altruistic = np.array([t == "altruistic" for t in types])
        self._adversarial = np.array([t == "adversarial" for t in types])
        self.swf = swf
        self.cost = float(cost)
        self.exponent = float(exponent)
        self.max_hours = float(max_hours)
        self.schedule = schedule

    @property
    def num_workers(self) -> int:
        return int(self.skills.size)

    @property
    def rates(self) -> tuple[float, ...]:
        return self.schedule.rates

    def set_rates(self, rates: Sequence[float]) -> None:
        self.schedule = self.schedule.with_rates(rates)

    def apply_delta(self, delta: Sequence[float]) -> tuple[float, ...]:
        """Add ``delta`` (percentage points per bracket, each in [-20, 20]) to the rates;
        the new rates must stay in [0, 100]. Returns them."""
        if len(delta) != self.schedule.num_brackets:
            raise InvalidParameterError(
                f"a change needs one entry per bracket ({self.schedule.num_brackets}); got "
                f"{len(delta)}"
            )
        for j, d in enumerate(delta):
            if not -20.0 <= float(d) <= 20.0:
                raise InvalidParameterError(
                    f"a rate changes by -20 to +20 points a tax year; bracket {j} got {d!r}"
                )
        self.set_rates([r + float(d) for r, d in zip(self.rates, delta, strict=True)])
        return self.rates

    def step(self, hours: Any) -> StepOutcome:
        hours = check_hours(hours, self.num_workers, self.max_hours)
        return settle(
            self.skills,
            hours,
            self.schedule,
            altruistic=self._altruistic,
            adversarial=self._adversarial,
            swf=self.swf,
            cost=self.cost,
            exponent=self.exponent,
        )

    def best_response_hours(self, schedule: TaxSchedule | None = None) -> np.ndarray:
        return best_response_hours(
            self.skills,
            schedule or self.schedule,
            cost=self.cost,
            exponent=self.exponent,
            max_hours=self.max_hours,
        )

    def welfare_at_best_response(self, rates: Sequence[float] | None = None) -> StepOutcome:
        """The step in which every worker best-responds to ``rates`` (default: current)."""
        saved = self.schedule
        if rates is not None:
            self.schedule = saved.with_rates(rates)
        try:
            return self.step(self.best_response_hours())
        finally:
            self.schedule = saved


# ---- the registered game ----------------------------------------------------------------------

PLAN, WORK, OVER = "plan", "work", "over"
WAIT = 0
"""The planner's only action at the workers' nodes."""


class TaxView(NamedTuple):
    """The information-state key (everything is public): the phase, the step, the bracket
    the planner sets now (0 outside the planning phase), the rates and the history."""

    phase: str
    step: int
    bracket: int
    rates: tuple[float, ...]
    history: tuple[Any, ...]


class TaxEconomyGame(Game):
    """The tax economy over the Game contract; build it with :func:`tax_economy`."""

    def __init__(
        self,
        *,
        skills: np.ndarray,
        schedule: TaxSchedule,
        steps: int,
        tax_year: int,
        hours_levels: int,
        utility_types: tuple[str, ...],
        swf: str,
        planner: bool,
        params: Mapping[str, Any],
    ) -> None:
        self.skills = skills
        self.initial_schedule = schedule
        self.steps = steps
        self.tax_year = tax_year
        self.hours = tuple(MAX_HOURS * k / (hours_levels - 1) for k in range(hours_levels))
        self.utility_types = utility_types
        self.swf = swf
        self.planner = planner
        self.num_workers = len(skills)
        self.bracket_texts = tuple(schedule.bracket_texts())
        self._altruistic = np.array([t == "altruistic" for t in utility_types])
        self._adversarial = np.array([t == "adversarial" for t in utility_types])
        plans = len(range(tax_year, steps, tax_year)) if planner else 0
        n = self.num_workers
        per_step = n * (2.0 * MAX_HOURS * float(skills.max()) + LABOR_COST * MAX_HOURS**3.5)
        super().__init__(
            GameSpec(
                id="tax_economy",
                num_players=n + (1 if planner else 0),
                num_distinct_actions=max(hours_levels, len(DELTAS)),
                max_game_length=steps + plans * schedule.num_brackets,
                min_utility=-steps * per_step,
                max_utility=steps * per_step,
                dynamics=Dynamics.SIMULTANEOUS,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=False,
                params=dict(params),
            )
        )

    @property
    def planner_seat(self) -> int | None:
        return self.num_workers if self.planner else None

    def new_initial_state(self) -> TaxEconomyState:
        return TaxEconomyState(self)

    def player_name(self, player: int) -> str:
        return "planner" if player == self.planner_seat else f"worker {player}"

    def settle(self, hours: np.ndarray, schedule: TaxSchedule) -> StepOutcome:
        return settle(
            self.skills,
            hours,
            schedule,
            altruistic=self._altruistic,
            adversarial=self._adversarial,
            swf=self.swf,
        )

    def rules_text(self) -> str:
        s = self.initial_schedule
        brackets = "; ".join(
            f"{b}: {r:g}%" for b, r in zip(s.bracket_texts(), s.rates, strict=True)
        )
        welfare = (
            "the sum over workers of utility divided by max(pre-tax income, 1)"
            if self.swf == "inverse_income"
            else "the sum of the workers' utilities"
        )
        grid = ", ".join(f"{h:g}" for h in self.hours)
        parts = [
            f"The tax economy (the LLM Economist): {self.num_workers} workers for "
            f"{self.steps} steps.",
            "Each worker has a skill, its pre-tax income per hour of labour. Every step all "
            f"workers at once choose their hours of labour for the week, one of {grid}, and "
            "earn skill times hours before tax.",
            f"Income is taxed at marginal rates by bracket of pre-tax income ({brackets}, at "
            "the start). All taxes collected are paid back equally to every worker as a "
            "rebate: post-tax income = pre-tax income - tax + rebate.",
            "A worker's utility each step is post-tax income - 0.0005 * hours^3.5"
            + (
                "; altruistic workers' utility is the social welfare instead, adversarial "
                "workers' its negative."
                if self._altruistic.any() or self._adversarial.any()
                else "."
            ),
            f"Social welfare is {welfare}.",
        ]
        if self.planner:
            parts.append(
                f"The planner sets the rates: every {self.tax_year} steps (a tax year), from "
                f"step {self.tax_year + 1} on, it changes each bracket's rate in turn by -20, "
                "-10, 0, +10 or +20 points, keeping it within 0 to 100%. Otherwise it waits."
            )
        parts.append(
            "Scores: each worker's utility summed over the steps"
            + (
                "; the planner's, the social welfare summed over the steps."
                if self.planner
                else "."
            )
        )
        return "\n".join(parts)


class TaxEconomyState(State):
    """A point of the tax economy: the step, the phase, the rates and the last outcome."""

    __slots__ = ("_last", "_notes", "_pending", "_phase", "_schedule", "_step", "_totals")

    _game: TaxEconomyGame

    def __init__(self, game: TaxEconomyGame) -> None:
        super().__init__(game)
        self._step = 0
        self._phase = WORK
        self._schedule = game.initial_schedule
        self._pending: tuple[int, ...] = ()
        self._totals = [0.0] * game.num_players
        self._last: StepOutcome | None = None
        self._notes: tuple[str, ...] = ()
        """Per seat, the line of the observation that tells the last step."""

    # ---- the tree ------------------------------------------------------------------------

    def current_player(self) -> int:
        if self._phase == OVER:
            return TERMINAL
        if self._phase == PLAN:
            seat = self._game.planner_seat
            assert seat is not None
            return seat
        return SIMULTANEOUS

    def _plan_options(self) -> list[int]:
        rate = self._schedule.rates[len(self._pending)]
        return [a for a, d in enumerate(DELTAS) if 0.0 <= rate + d <= 100.0]

    def _legal_actions(self, player: int) -> list[int]:
        if self._phase == PLAN:
            return self._plan_options()
        if player == self._game.planner_seat:
            return [WAIT]
        return list(range(len(self._game.hours)))

    def _is_legal(self, player: int, action: int) -> bool:
        if self._phase == OVER or not 0 <= player < self._game.num_players:
            return False
        if self._phase == PLAN:
            return player == self._game.planner_seat and action in self._plan_options()
        if player == self._game.planner_seat:
            return action == WAIT
        return 0 <= action < len(self._game.hours)

    def _apply_action(self, action: int) -> None:
        game = self._game
        if self._phase != PLAN:  # unreachable: the public methods only call this at PLAN
            raise RedqueenError("the tax economy's workers move simultaneously")
        self._pending += (action,)
        if len(self._pending) == game.initial_schedule.num_brackets:
            self._schedule = self._schedule.with_rates(
                [r + DELTAS[a] for r, a in zip(self._schedule.rates, self._pending, strict=True)]
            )
            self._pending = ()
            self._phase = WORK

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        game = self._game
        hours = np.array([game.hours[a] for a in actions[: game.num_workers]])
        outcome = game.settle(hours, self._schedule)
        for i in range(game.num_workers):
            self._totals[i] += float(outcome.utility[i])
        if game.planner_seat is not None:
            self._totals[game.planner_seat] += outcome.swf
        self._last = outcome
        self._notes = tuple(self._note(p, outcome) for p in range(game.num_players))
        self._step += 1
        if self._step >= game.steps:
            self._phase = OVER
        elif game.planner and self._step % game.tax_year == 0:
            self._phase = PLAN
        else:
            self._phase = WORK

    def returns(self) -> list[float]:
        return list(self._totals)

    # ---- what happened -------------------------------------------------------------------

    @property
    def rates(self) -> tuple[float, ...]:
        return self._schedule.rates

    @property
    def step(self) -> int:
        return self._step

    def last_outcome(self) -> StepOutcome | None:
        return self._last

    def information_state_key(self, player: int) -> Hashable:
        if not 0 <= player < self._game.num_players:
            raise RedqueenError(
                f"no player {player} in tax_economy; players are 0..{self._game.num_players - 1}"
            )
        return TaxView(
            self._phase,
            self._step,
            len(self._pending),
            self._schedule.rates,
            tuple(self._history),
        )

    # ---- text ----------------------------------------------------------------------------

    def _action_text(self, player: int, action: int) -> str:
        if self._phase == PLAN and player == self._game.planner_seat:
            return f"change bracket {len(self._pending) + 1} by {DELTAS[action]:+d} points"
        if player == self._game.planner_seat:
            return "wait"
        return f"work {self._game.hours[action]:g} hours"

    def _note(self, player: int, last: StepOutcome) -> str:
        if player == self._game.planner_seat:
            return (
                f"Last step: mean pre-tax income {last.pre_tax.mean():,.2f}, median "
                f"{np.median(last.pre_tax):,.2f}; mean utility {last.isoelastic.mean():,.2f}; "
                f"social welfare {last.swf:,.4f}."
            )
        return (
            f"Last step: you worked {last.hours[player]:g} hours; pre-tax income "
            f"{last.pre_tax[player]:,.2f}, tax {last.tax[player]:,.2f}, rebate "
            f"{last.rebate:,.2f}, post-tax income {last.post_tax[player]:,.2f}, utility "
            f"{last.utility[player]:,.2f}."
        )

    def observation_text(self, player: int) -> str:
        game = self._game
        rates = "; ".join(
            f"{b}: {r:g}%" for b, r in zip(game.bracket_texts, self._schedule.rates, strict=True)
        )
        lines = [f"Tax economy, step {min(self._step + 1, game.steps)} of {game.steps}."]
        if player == game.planner_seat:
            lines.append("You are the planner.")
        else:
            lines.append(
                f"You are worker {player}, an {game.utility_types[player]} worker with skill "
                f"{game.skills[player]:,.2f} (pre-tax income per hour of labour)."
            )
        if self._notes:
            lines.append(self._notes[player])
        lines.append(f"Marginal tax rates by bracket of pre-tax income: {rates}.")
        if self._phase == OVER:
            lines.append("The economy has ended.")
        elif self._phase == PLAN and player == game.planner_seat:
            lines.append(f"Choose the change of bracket {len(self._pending) + 1}'s rate.")
        elif self._phase == PLAN:
            lines.append("The planner is setting the rates for the next tax year.")
        elif player == game.planner_seat:
            lines.append("The workers are choosing their hours.")
        else:
            lines.append("Choose your hours of labour for this step.")
        return "\n".join(lines)


def tax_economy(
    *,
    num_workers: int = 3,
    steps: int = 100,
    tax_year: int = TAX_YEAR,
    brackets: str | list[Any] = "three",
    rates: str | list[float] | None = None,
    skill_distribution: str = "us_income",
    skill_seed: int = 0,
    skills: list[float] | None = None,
    utility_types: list[str] | None = None,
    swf: str = "inverse_income",
    hours_levels: int = 11,
    planner: bool = True,
) -> TaxEconomyGame:
    """The LLM Economist's tax economy over the Game contract (see the module docstring):
    ``num_workers`` workers with skills drawn once from ``skill_distribution`` with
    ``skill_seed`` (or given as ``skills``), ``steps`` steps, the planner (the last seat,
    when ``planner``) changing the rates every ``tax_year`` steps; rates start at ``rates``
    (a list, ``uniform`` = 50% or ``us_federal``; default 50%)."""
    require_int("num_workers", num_workers, 1, 1000)
    require_int("steps", steps, 1, 100_000)
    require_int("tax_year", tax_year, 1, 100_000)
    require_int("skill_seed", skill_seed, 0, 2**63 - 1)
    require_int("hours_levels", hours_levels, 2, 101)
    if swf not in SWF_KINDS:
        raise UnknownNameError("social welfare function", str(swf), SWF_KINDS)
    schedule = TaxSchedule.build(brackets, rates)
    if skills is None:
        drawn = sample_skills(num_workers, skill_distribution, np.random.default_rng(skill_seed))
    else:
        drawn = np.asarray(skills, dtype=float)
        if drawn.shape != (num_workers,) or not (np.isfinite(drawn).all() and (drawn > 0).all()):
            raise InvalidParameterError(
                f"skills must be {num_workers} numbers > 0 (one per worker); got {skills!r}"
            )
    types = tuple(utility_types) if utility_types is not None else ("egotistical",) * num_workers
    if len(types) != num_workers:
        raise InvalidParameterError(
            f"utility_types must give one type per worker ({num_workers}); got {len(types)}"
        )
    for t in types:
        if t not in UTILITY_TYPES:
            raise UnknownNameError("utility type", str(t), UTILITY_TYPES)
    if skill_distribution not in SKILL_DISTRIBUTIONS:
        raise UnknownNameError("skill distribution", str(skill_distribution), SKILL_DISTRIBUTIONS)
    params = {
        "num_workers": num_workers,
        "steps": steps,
        "tax_year": tax_year,
        "brackets": brackets,
        "rates": rates,
        "skill_distribution": skill_distribution,
        "skill_seed": skill_seed,
        "skills": skills,
        "utility_types": utility_types,
        "swf": swf,
        "hours_levels": hours_levels,
        "planner": planner,
    }
    return TaxEconomyGame(
        skills=drawn,
        schedule=schedule,
        steps=steps,
        tax_year=tax_year,
        hours_levels=hours_levels,
        utility_types=types,
        swf=swf,
        planner=bool(planner),
        params=params,
    )
