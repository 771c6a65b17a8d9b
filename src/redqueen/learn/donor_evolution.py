"""Cultural evolution in the donor game: generations of scripted reciprocity strategies.

The loop of Vallinder & Hughes (2024, "Cultural evolution of cooperation among LLM
agents", section 3) with scripted strategies in place of LLM-written ones:

1. A generation is one play of :func:`redqueen.games.donor.donor_game` by ``num_agents``
   agents (its meet-once pairing reshuffled each generation through ``pairing_seed``).
2. The agents are ranked by final resources (ties broken at random); the top
   ``survive_fraction`` survive into the next generation unchanged.
3. The free places are filled by new agents seeded from the survivors' strategies: each
   copies a survivor drawn uniformly at random, with Gaussian noise of standard deviation
   ``mutation`` added to each number of the :class:`~redqueen.agents.social.ReciprocityStrategy`
   (clipped to [0, 1]); with ``mutation = 0`` they are exact copies, and the loop is pure
   selection among the strategies it started with (given by name or as strategies).

Per generation it records the mean final resources, the donation rate (the mean share
given per act), the share of acts that gave anything, the Gini coefficient of the final
resources, punishment and antisocial-punishment rates (a punishment is antisocial when the
recipient's last act had been a gift of at least 10%), the mean strategy parameters, and
how many agents carry each strategy label.

Randomness: one ``numpy`` Generator from ``seed`` drives pairing seeds, match seeds, tie
breaks, parent draws and mutations, so a run is reproducible.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from redqueen.agents.social import DonorAgent, ReciprocityStrategy, donor_strategy
from redqueen.errors import InvalidParameterError
from redqueen.games.donor import DonorState, donor_game
from redqueen.measure.social import gini, punishment_rates
from redqueen.play.match import play_match, replay

ANTISOCIAL_GIFT = 0.1
"""A recipient whose last act gave at least this share counts as a cooperator."""


@dataclass(frozen=True)
class DonorEvolutionConfig:
    """Every setting of the loop, with its default and meaning."""

    generations: int = 10
    """Generations (plays of the donor game)."""
    num_agents: int = 12
    """Agents per generation (Vallinder & Hughes: 12)."""
    rounds: int = 11
    """Rounds per generation (with 12 agents, 11 rounds meet every ordered pair once)."""
    endowment: float = 10.0
    multiplier: float = 2.0
    punishment: float = 0.0
    """Cost-to-effect ratio of punishment (0: no punishment; the paper's variant: 2)."""
    trace_depth: int = 3
    donation_levels: int = 11
    survive_fraction: float = 0.5
    """Share of agents that survive each generation (the paper: the top half)."""
    mutation: float = 0.1
    """Standard deviation of the noise added to a new agent's strategy parameters."""
    seed: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.generations <= 100_000:
            raise InvalidParameterError(
                f"generations must be in [1, 100000]; got {self.generations}"
            )
        if not 2 <= self.num_agents <= 10_000:
            raise InvalidParameterError(f"num_agents must be in [2, 10000]; got {self.num_agents}")
        if not 0.0 < self.survive_fraction <= 1.0:
            raise InvalidParameterError(
                f"survive_fraction must be in (0, 1]; got {self.survive_fraction}"
            )
        if not (math.isfinite(self.mutation) and self.mutation >= 0.0):
            raise InvalidParameterError(f"mutation must be >= 0; got {self.mutation}")
        # the game checks the rest (endowment, multiplier, ...) before anything runs
        self.make_game(0)

    def make_game(self, pairing_seed: int) -> Any:
        return donor_game(
            num_agents=self.num_agents,
            rounds=self.rounds,
            endowment=self.endowment,
            multiplier=self.multiplier,
            donation_levels=self.donation_levels,
            trace_depth=self.trace_depth,
            punishment=self.punishment,
            pairing_seed=pairing_seed,
        )


@dataclass(frozen=True)
class GenerationStats:
    """What one generation did."""

    generation: int
    mean_resources: float
    donation_rate: float
    """Mean share of its resources a donor gave, over all acts (punishments give 0)."""
    cooperation_rate: float
    """Share of acts that gave something."""
    gini: float
    punishment_rate: float
    antisocial_punishment: float
    mean_give: float
    mean_threshold: float
    counts: dict[str, int] = field(default_factory=dict)
    resources: tuple[float, ...] = ()
    strategies: tuple[ReciprocityStrategy, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "mean_resources": self.mean_resources,
            "donation_rate": self.donation_rate,
            "cooperation_rate": self.cooperation_rate,
            "gini": self.gini,
            "punishment_rate": self.punishment_rate,
            "antisocial_punishment": self.antisocial_punishment,
            "mean_give": self.mean_give,
            "mean_threshold": self.mean_threshold,
            "counts": dict(self.counts),
        }


def generation_stats(
    generation: int, state: DonorState, strategies: Sequence[ReciprocityStrategy]
) -> GenerationStats:
    """The measures of one finished play of the donor game."""
    acts = state.acts()
    resources = state.returns()
    given = [0.0 if a.punish else a.fraction for a in acts]
    punished, target_good = [], []
    for i, act in enumerate(acts):
        punished.append(act.punish)
        last = next((b for b in reversed(acts[:i]) if b.donor == act.recipient), None)
        target_good.append(
            last is not None and not last.punish and last.fraction >= ANTISOCIAL_GIFT
        )
    rates = punishment_rates(punished, target_good)
    return GenerationStats(
        generation=generation,
        mean_resources=float(np.mean(resources)),
        donation_rate=float(np.mean(given)) if given else math.nan,
        cooperation_rate=float(np.mean([g > 0 for g in given])) if given else math.nan,
        gini=gini(resources),
        punishment_rate=rates.rate,
        antisocial_punishment=rates.antisocial,
        mean_give=float(np.mean([s.give for s in strategies])),
        mean_threshold=float(np.mean([s.threshold for s in strategies])),
        counts=dict(Counter(s.label() for s in strategies)),
        resources=tuple(resources),
        strategies=tuple(strategies),
    )


def mutate(
    strategy: ReciprocityStrategy, sd: float, rng: np.random.Generator
) -> ReciprocityStrategy:
    """``strategy`` with N(0, sd) noise on give, threshold, otherwise and punish (clipped
    to [0, 1]; punish stays 0 for a strategy that never punishes)."""
    if sd == 0:
        return strategy

    def jitter(x: float) -> float:
        return float(np.clip(x + rng.normal(0.0, sd), 0.0, 1.0))

    return replace(
        strategy,
        give=jitter(strategy.give),
        threshold=jitter(strategy.threshold),
        otherwise=jitter(strategy.otherwise),
        punish=jitter(strategy.punish) if strategy.punish > 0 else 0.0,
    )


def initial_population(
    members: Sequence[ReciprocityStrategy | str], num_agents: int
) -> list[ReciprocityStrategy]:
    """``num_agents`` strategies: ``members`` (names or strategies) repeated in turn."""
    if not members:
        raise InvalidParameterError("the initial population needs at least one strategy")
    resolved = [donor_strategy(m) if isinstance(m, str) else m for m in members]
    return [resolved[i % len(resolved)] for i in range(num_agents)]


def evolve_donors(
    config: DonorEvolutionConfig,
    population: Sequence[ReciprocityStrategy | str],
    on_generation: Callable[[GenerationStats], None] | None = None,
) -> list[GenerationStats]:
    """Run the loop from ``population`` (names or strategies, repeated to fill
    ``num_agents`` places); return each generation's stats, in order."""
    rng = np.random.default_rng(config.seed)
    strategies = initial_population(population, config.num_agents)
    survivors_n = max(1, math.ceil(config.survive_fraction * config.num_agents))
    history: list[GenerationStats] = []
    for gen in range(config.generations):
        pairing_seed, match_seed = (int(x) for x in rng.integers(0, 2**31, size=2))
        game = config.make_game(pairing_seed)
        result = play_match(game, [DonorAgent(s) for s in strategies], seed=match_seed)
        state = replay(game, result.trajectory)
        assert isinstance(state, DonorState)
        stats = generation_stats(gen, state, strategies)
        history.append(stats)
        if on_generation is not None:
            on_generation(stats)
        # rank by resources, ties at random; the top survive, the rest are replaced
        tie_break = rng.random(config.num_agents)
        order = sorted(range(config.num_agents), key=lambda i: (-result.returns[i], tie_break[i]))
        survivors = [strategies[i] for i in order[:survivors_n]]
        children = [
            mutate(survivors[int(rng.integers(len(survivors)))], config.mutation, rng)
            for _ in range(config.num_agents - survivors_n)
        ]
        strategies = survivors + children
    return history
