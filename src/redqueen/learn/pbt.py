"""Population-Based Training (PBT) of PPO learners in self-play.

Jaderberg, Dalibard, Osindero, Czarnecki, Donahue, Razavi, Vinyals, Green, Dunning,
Simonyan, Fernando & Kavukcuoglu (2017), "Population Based Training of Neural Networks"
(arXiv:1711.09846); in self-play as in Jaderberg et al. (2019), "Human-level performance
in 3D multiplayer games with population-based reinforcement learning" (Capture the Flag).

``population_size`` PPO learners (:mod:`redqueen.learn.ppo`) train side by side, each
with its own hyperparameters, drawn at the start from their priors. Each learner's
opponents are frozen copies of the whole population (one per member, drawn uniformly per
game), refreshed whenever the population is *ready*: every ``ready_every`` updates. Then

1. **evaluate**: every pair of members plays ``eval_games`` games in each seat order in
   the batch engine, and the members' Elo ratings (Bradley–Terry by maximum likelihood,
   with bootstrap 95% intervals, :func:`~redqueen.measure.ratings.elo_ratings`) are
   their scores; the ratings are logged, so the population's Elo over time is in the
   run store;
2. **exploit** (truncation selection): the bottom ``truncation`` fraction of members by
   score copies the weights, optimiser state and hyperparameters of a member drawn
   uniformly from the top ``truncation`` fraction;
3. **explore**: each copied hyperparameter is then, with probability
   ``resample_probability``, resampled from its prior; otherwise multiplied by 0.8 or 1.2
   (chosen uniformly), and kept inside its prior's range.

:func:`exploit_and_explore` is steps 2 and 3 as a pure function of (scores,
hyperparameters, Generator): it returns what each member becomes and draws from the
Generator in a documented order, so a test can check exactly what it did.

With a :class:`~redqueen.store.run_store.RunStore` the run logs ``elo/m<i>``,
``elo_low/m<i>``, ``elo_high/m<i>`` and each hyperparameter as ``<name>/m<i>``
(``step``: the update) at every ready step, and checkpoints every learner (weights,
optimiser, Generator, hyperparameters), the PBT Generator and the lineage; a killed run
resumes from its last ready step and logs nothing twice.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import Game
from redqueen.learn.ppo import PPOConfig, PPOPolicy, PPOTrainer, encoder_for, play_policies
from redqueen.learn.self_play import MetricLog
from redqueen.measure.ratings import EloRating, elo_ratings
from redqueen.play.match import MatchResult

if TYPE_CHECKING:  # a run is handed its store
    from redqueen.store.run_store import RunStore

ALGORITHM = "pbt"

TUNABLE = ("learning_rate", "ent_coef", "clip_coef", "vf_coef", "gae_lambda", "max_grad_norm")
"""PPO hyperparameters PBT may tune."""


# ---- exploit and explore ------------------------------------------------------------------------


class Draws(Protocol):
    """The part of a ``numpy.random.Generator`` PBT draws from."""

    def integers(self, high: int, /) -> Any: ...

    def random(self) -> Any: ...


@dataclass(frozen=True)
class Prior:
    """A hyperparameter's prior: log-uniform on [low, high]; also its allowed range."""

    low: float
    high: float

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.high:
            raise InvalidParameterError(
                f"a prior needs 0 < low <= high; got low={self.low}, high={self.high}"
            )

    def sample(self, rng: Draws) -> float:
        """``low * (high / low) ** u`` with ``u = rng.random()``: one draw."""
        return float(self.low * (self.high / self.low) ** float(rng.random()))

    def clip(self, value: float) -> float:
        return float(min(max(value, self.low), self.high))


DEFAULT_PRIORS: dict[str, Prior] = {
    "learning_rate": Prior(1e-4, 1e-2),
    "ent_coef": Prior(1e-4, 1e-1),
}


@dataclass(frozen=True)
class Decision:
    """What one member becomes at a ready step: ``source`` is the member whose weights
    and hyperparameters it copies (None: it keeps its own and is unchanged);
    ``resampled`` names the hyperparameters drawn from their prior (the others were
    perturbed)."""

    member: int
    source: int | None
    hyperparameters: dict[str, float]
    resampled: tuple[str, ...] = ()


def truncation_count(n: int, truncation: float) -> int:
    """Members in each of the bottom and top groups: ``truncation * n`` rounded half up,
    at least 1 and at most ``n // 2``."""
    return max(1, min(n // 2, int(np.floor(truncation * n + 0.5))))


def exploit_and_explore(
    scores: Sequence[float],
    hyperparameters: Sequence[Mapping[str, float]],
    rng: Draws,
    *,
    priors: Mapping[str, Prior],
    truncation: float = 0.2,
    factors: Sequence[float] = (0.8, 1.2),
    resample_probability: float = 0.25,
) -> list[Decision]:
    """PBT's truncation selection (exploit) and perturbation (explore), one
    :class:`Decision` per member.

    Members are ranked by score, ties broken by index (the lower index ranks lower);
    ``k = truncation_count(n, truncation)``. Each of the ``k`` lowest-ranked members, in
    increasing index order, draws its source ``top[rng.integers(k)]`` (``top``: the ``k``
    highest-ranked, in increasing index order), then for each hyperparameter in sorted
    name order draws ``rng.random()``: below ``resample_probability`` the value is
    ``priors[name].sample(rng)``; otherwise it is the source's value times
    ``factors[rng.integers(len(factors))]``, clipped to the prior's range.
    """
    n = len(scores)
    if n < 2 or len(hyperparameters) != n:
        raise InvalidParameterError(
            f"PBT needs at least 2 members with one score and one set of hyperparameters "
            f"each; got {n} scores and {len(hyperparameters)} sets"
        )
    if not 0 < truncation <= 0.5:
        raise InvalidParameterError(f"truncation must be in (0, 0.5]; got {truncation}")
    if not 0 <= resample_probability <= 1:
        raise InvalidParameterError(
            f"resample_probability must be in [0, 1]; got {resample_probability}"
        )
    if not factors:
        raise InvalidParameterError("give at least one perturbation factor")
    names = sorted(priors)
    for hp in hyperparameters:
        missing = [k for k in names if k not in hp]
        if missing:
            raise InvalidParameterError(f"hyperparameters {dict(hp)} lack {missing}")
    order = sorted(range(n), key=lambda i: (float(scores[i]), i))
    k = truncation_count(n, truncation)
    bottom = sorted(order[:k])
    top = sorted(order[-k:])
    decisions = [Decision(i, None, dict(hyperparameters[i])) for i in range(n)]
    for i in bottom:
        source = top[int(rng.integers(k))]
        new: dict[str, float] = dict(hyperparameters[source])
        resampled = []
        for name in names:
            if float(rng.random()) < resample_probability:
                new[name] = priors[name].sample(rng)
                resampled.append(name)
            else:
                factor = float(factors[int(rng.integers(len(factors)))])
                new[name] = priors[name].clip(float(hyperparameters[source][name]) * factor)
        decisions[i] = Decision(i, source, new, tuple(resampled))
    return decisions


# ---- the loop -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PBTConfig:
    """PBT's settings (the game is an argument of :func:`pbt`)."""

    population_size: int = 6
    """Learners trained side by side."""
    iterations: int = 60
    """PPO updates per learner."""
    ready_every: int = 10
    """Updates between ready steps (evaluate, exploit, explore, refresh opponents)."""
    truncation: float = 0.2
    """Fraction of the population in the bottom (and the top) group."""
    resample_probability: float = 0.25
    """Chance that a copied hyperparameter is resampled from its prior, not perturbed."""
    perturb_factors: tuple[float, ...] = (0.8, 1.2)
    """Factors a perturbed hyperparameter is multiplied by (one drawn uniformly)."""
    priors: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {k: (p.low, p.high) for k, p in DEFAULT_PRIORS.items()}
    )
    """Tuned hyperparameters (names from :data:`TUNABLE`) and their log-uniform ranges."""
    eval_games: int = 16
    """Games per pair of snapshots and seat order at each evaluation."""
    elo_bootstrap: int = 100
    """Bootstrap resamples behind each Elo interval (0: the Laplace interval alone)."""
    seed: int = 0
    ppo: PPOConfig = field(default_factory=PPOConfig)
    """The other PPO hyperparameters, shared by every member."""

    def __post_init__(self) -> None:
        for name in ("population_size", "iterations", "ready_every", "eval_games"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be a positive integer; got {value!r}")
        if (
            isinstance(self.elo_bootstrap, bool)
            or not isinstance(self.elo_bootstrap, int)
            or (self.elo_bootstrap < 0)
        ):
            raise InvalidParameterError(
                f"elo_bootstrap must be an integer >= 0; got {self.elo_bootstrap!r}"
            )
        if self.population_size < 2:
            raise InvalidParameterError(
                f"population_size must be at least 2; got {self.population_size}"
            )
        if not 0 < self.truncation <= 0.5:
            raise InvalidParameterError(f"truncation must be in (0, 0.5]; got {self.truncation}")
        if not 0 <= self.resample_probability <= 1:
            raise InvalidParameterError(
                f"resample_probability must be in [0, 1]; got {self.resample_probability}"
            )
        if not self.perturb_factors or any(f <= 0 for f in self.perturb_factors):
            raise InvalidParameterError(
                f"perturb_factors must be positive numbers; got {self.perturb_factors}"
            )
        if not self.priors:
            raise InvalidParameterError("give at least one hyperparameter to tune in priors")
        for name, bounds in self.priors.items():
            if name not in TUNABLE:
                raise UnknownNameError("PBT hyperparameter", name, TUNABLE)
            Prior(*bounds)

    def prior_objects(self) -> dict[str, Prior]:
        return {k: Prior(float(lo), float(hi)) for k, (lo, hi) in self.priors.items()}


@dataclass
class PBTResult:
    """What :func:`pbt` returns."""

    game: str
    config: PBTConfig
    policies: list[PPOPolicy]
    hyperparameters: list[dict[str, float]]
    elo: list[dict[str, Any]]
    """One record per ready step: update, and per member its Elo and interval."""
    events: list[dict[str, Any]]
    """Every exploit: update, member, source, new hyperparameters, resampled names."""
    league: list[dict[str, Any]]
    """Every snapshot ``m<i>@<update>`` rated on one scale by the last fit: snapshot,
    update, elo, low, high (the population's Elo over time)."""
    updates: int
    wall_time: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "algorithm": ALGORITHM,
            "config": dataclasses.asdict(self.config),
            "hyperparameters": self.hyperparameters,
            "elo": self.elo,
            "events": self.events,
            "league": self.league,
            "updates": self.updates,
            "wall_time": self.wall_time,
        }

    def summary_text(self) -> str:
        lines = [
            f"PBT on {self.game}: {self.config.population_size} PPO learners, "
            f"{self.updates} updates each, {len(self.events)} exploits, {self.wall_time:.1f} s"
        ]
        lines.append("  Elo of each generation of snapshots, all on one scale (mean, best):")
        for u in sorted({int(r["update"]) for r in self.league}):
            elo = [r["elo"] for r in self.league if r["update"] == u]
            lines.append(f"  update {u:>5}: {np.mean(elo):7.0f} {max(elo):7.0f}")
        for i, hp in enumerate(self.hyperparameters):
            values = ", ".join(f"{k}={v:.3g}" for k, v in sorted(hp.items()))
            lines.append(f"  m{i}: {values}")
        return "\n".join(lines)


class SnapshotLeague:
    """Frozen snapshots of the population and the games between them, so that every
    snapshot ever taken is rated on one Elo scale (the population's Elo over time).

    At each ready step the new snapshots play each other and every older snapshot,
    ``games`` plays per pair and seat order in the batch engine; old results are kept
    (snapshots never change), and the Elo fit uses all of them."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.updates: list[int] = []
        self.policies: list[PPOPolicy] = []
        self.results: list[list[int]] = []
        """Rows ``[i, j, wins of i, draws, losses of i]`` over both seat orders."""

    def add(self, name: str, update: int, policy: PPOPolicy) -> int:
        self.names.append(name)
        self.updates.append(update)
        self.policies.append(policy)
        return len(self.names) - 1

    def play(self, game: Game, new: Sequence[int], games: int, rng: np.random.Generator) -> None:
        """Play every pair with a snapshot in ``new`` that has not met yet."""
        fresh = set(new)
        for i in new:
            for j in range(len(self.names)):
                if j == i or (j in fresh and j > i):
                    continue
                first = play_policies(game, [self.policies[i], self.policies[j]], games, rng)
                second = play_policies(game, [self.policies[j], self.policies[i]], games, rng)
                margin = np.concatenate([first[:, 0] - first[:, 1], second[:, 1] - second[:, 0]])
                self.results.append(
                    [
                        i,
                        j,
                        int((margin > 0).sum()),
                        int((margin == 0).sum()),
                        int((margin < 0).sum()),
                    ]
                )

    def ratings(self, seed: int, bootstrap: int = 100) -> list[EloRating]:
        """Elo of every snapshot (in the order added) with 95% intervals (``bootstrap``
        resamples; 0: the Laplace interval alone)."""
        matches: list[tuple[tuple[int, int], MatchResult]] = []
        outcomes = ((1.0, -1.0), (0.0, 0.0), (-1.0, 1.0))
        for i, j, *counts in self.results:
            for returns, count in zip(outcomes, counts, strict=True):
                result = MatchResult("", 0, returns, 0, (0, 0), ())
                matches.extend([((i, j), result)] * count)
        rated = {
            e.name: e for e in elo_ratings(self.names, matches, n_bootstrap=bootstrap, seed=seed)
        }
        return [rated[n] for n in self.names]

    def to_record(self) -> dict[str, Any]:
        return {"names": self.names, "updates": self.updates, "results": self.results}

    @classmethod
    def from_record(cls, record: Mapping[str, Any], directory: Path) -> SnapshotLeague:
        league = cls()
        for name, update in zip(record["names"], record["updates"], strict=True):
            league.add(name, int(update), PPOPolicy.load(directory / f"{name}.pt"))
        league.results = [list(r) for r in record["results"]]
        return league


def pbt(
    game: Game,
    config: PBTConfig | None = None,
    store: RunStore | None = None,
    callback: Callable[[int], bool | None] | None = None,
    *,
    bind: bool = True,
) -> PBTResult:
    """Train ``config.population_size`` PPO learners on ``game`` with PBT (module
    docstring). ``callback(update)`` runs after every update of the whole population and
    may return True to stop."""
    start = time.perf_counter()
    config = config or PBTConfig()
    encoder_for(game)
    priors = config.prior_objects()
    n = config.population_size
    rng = np.random.default_rng(config.seed)
    trainers = [PPOTrainer(game, config.ppo, seed=config.seed * 1000 + i) for i in range(n)]
    for t in trainers:
        t.set_hyperparameters(**{k: p.sample(rng) for k, p in sorted(priors.items())})
    elo_records: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    league = SnapshotLeague()
    lineage: list[dict[str, Any]] = [
        {"id": f"m{i}@0", "parents": [], "iteration": 0, "metadata": _hp(t, priors)}
        for i, t in enumerate(trainers)
    ]
    directory = None
    if store is not None:
        directory = store.dir / ALGORITHM
        if bind:
            record = {
                "algorithm": ALGORITHM,
                "game": game.id,
                "game_params": dict(game.params),
                **dataclasses.asdict(config),
            }
            store.bind_config(record, ignore=("iterations",))
        saved = store.get_meta(ALGORITHM)
        if saved is not None:
            for t, name in zip(trainers, saved["trainers"], strict=True):
                t.load(directory / name)
            rng.bit_generator.state = saved["rng"]
            elo_records, events = list(saved["elo"]), list(saved["events"])
            lineage = list(saved["members"])
            league = SnapshotLeague.from_record(saved["league"], directory / "snapshots")
    log = MetricLog(store)
    opponents = [t.policy() for t in trainers]
    if not league.names:  # the untrained policies anchor the scale
        new = [league.add(f"m{i}@0", 0, p) for i, p in enumerate(opponents)]
        league.play(game, new, config.eval_games, rng)
        if store is not None:
            _checkpoint(store, trainers, rng, elo_records, events, lineage, league, [])

    while trainers[0].updates < config.iterations:
        for t in trainers:
            t.train_iteration(opponents)
        u = trainers[0].updates
        if u % config.ready_every == 0 or u == config.iterations:
            current = [t.policy() for t in trainers]
            new = [league.add(f"m{i}@{u}", u, p) for i, p in enumerate(current)]
            league.play(game, new, config.eval_games, rng)
            fitted = league.ratings(config.seed, config.elo_bootstrap)
            ratings = [fitted[k] for k in new]
            elo_records.append(
                {
                    "update": u,
                    "elo": [r.elo for r in ratings],
                    "low": [r.low for r in ratings],
                    "high": [r.high for r in ratings],
                }
            )
            for i, (r, t) in enumerate(zip(ratings, trainers, strict=True)):
                log.log(f"elo/m{i}", r.elo, u)
                log.log(f"elo_low/m{i}", r.low, u)
                log.log(f"elo_high/m{i}", r.high, u)
                for name, value in _hp(t, priors).items():
                    log.log(f"{name}/m{i}", value, u)
            if u % config.ready_every == 0:
                decisions = exploit_and_explore(
                    [r.elo for r in ratings],
                    [_hp(t, priors) for t in trainers],
                    rng,
                    priors=priors,
                    truncation=config.truncation,
                    factors=config.perturb_factors,
                    resample_probability=config.resample_probability,
                )
                states = [copy.deepcopy(t.state_dict()) for t in trainers]
                previous = _current_ids(lineage)
                for d in decisions:
                    parent = previous[d.member if d.source is None else d.source]
                    if d.source is not None:
                        _copy_into(trainers[d.member], states[d.source])
                        trainers[d.member].set_hyperparameters(**d.hyperparameters)
                        events.append(
                            {
                                "update": u,
                                "member": d.member,
                                "source": d.source,
                                "hyperparameters": d.hyperparameters,
                                "resampled": list(d.resampled),
                            }
                        )
                    lineage.append(
                        {
                            "id": f"m{d.member}@{u}",
                            "parents": [parent],
                            "iteration": u,
                            "metadata": {"member": d.member, **_hp(trainers[d.member], priors)},
                        }
                    )
                current = [t.policy() for t in trainers]
            opponents = current
            if store is not None:
                _checkpoint(store, trainers, rng, elo_records, events, lineage, league, new)
        if callback is not None and callback(u):
            break

    final = league.ratings(config.seed, config.elo_bootstrap)
    table = [
        {
            "snapshot": r.name,
            "update": league.updates[k],
            "elo": r.elo,
            "low": r.low,
            "high": r.high,
        }
        for k, r in enumerate(final)
    ]
    if store is not None:
        store.set_meta("pbt_elo", table)
    return PBTResult(
        game=game.id,
        config=config,
        league=table,
        policies=[t.policy() for t in trainers],
        hyperparameters=[_hp(t, priors) for t in trainers],
        elo=elo_records,
        events=events,
        updates=trainers[0].updates,
        wall_time=time.perf_counter() - start,
    )


def _hp(trainer: PPOTrainer, priors: Mapping[str, Prior]) -> dict[str, float]:
    return {k: float(getattr(trainer.config, k)) for k in sorted(priors)}


def _current_ids(lineage: Sequence[Mapping[str, Any]]) -> dict[int, str]:
    """Each member's newest lineage id (``m<i>@<update>``)."""
    out: dict[int, str] = {}
    for record in lineage:
        member = int(str(record["id"]).split("@")[0][1:])
        out[member] = str(record["id"])
    return out


def _copy_into(trainer: PPOTrainer, state: Mapping[str, Any]) -> None:
    """Copy another member's weights and optimiser state (the trainer keeps its own
    Generator and counters)."""
    trainer.net.load_state_dict(state["net"])
    trainer.optimizer.load_state_dict(state["optimizer"])


def _checkpoint(
    store: RunStore,
    trainers: Sequence[PPOTrainer],
    rng: np.random.Generator,
    elo: list[dict[str, Any]],
    events: list[dict[str, Any]],
    lineage: list[dict[str, Any]],
    league: SnapshotLeague,
    new: Sequence[int],
) -> None:
    directory = store.dir / ALGORITHM
    u = trainers[0].updates
    for k in range(len(league.names)):
        path = directory / "snapshots" / f"{league.names[k]}.pt"
        if k in new or not path.exists():
            league.policies[k].save(path)
    names = [t.save(directory / f"trainer-m{i}-{u}.pt").name for i, t in enumerate(trainers)]
    previous = store.get_meta(ALGORITHM)
    store.set_meta(
        ALGORITHM,
        {
            "update": u,
            "trainers": names,
            "rng": rng.bit_generator.state,
            "elo": elo,
            "events": events,
            "members": lineage,
            "league": league.to_record(),
        },
    )
    for i, t in enumerate(trainers):
        t.policy().save(directory / "members" / f"m{i}.pt")
    if previous is not None:
        for old in previous["trainers"]:
            if old not in names:
                (directory / old).unlink(missing_ok=True)
