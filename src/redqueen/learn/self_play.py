"""Naive self-play and fictitious self-play with the PPO oracle.

One PPO learner (:mod:`redqueen.learn.ppo`) plays against frozen snapshots of itself.
Every ``snapshot_every`` updates its current policy joins a
:class:`~redqueen.learn.population.Population` as a new member (its parent: the previous
snapshot), and the next rollouts draw their opponents from that population:

- ``"latest"``: always the newest snapshot, *naive self-play* (Samuel 1959; Tesauro
  1995, TD-Gammon). It can cycle in games with non-transitive strategies, chasing its
  own last best response.
- ``"uniform"``: uniformly over all snapshots (or the last ``window``): *fictitious
  self-play* (Heinrich, Lanctot & Silver 2015, "Fictitious Self-Play in Extensive-Form
  Games"; Heinrich & Silver 2016, NFSP), the sampling-based form of fictitious play
  (Brown 1951), which answers the average of past policies rather than the last one.

Optionally (``random_opponent``) a share of the games is played against the uniform
random player, a fixed member of the opponent pool: pure self-play tends to settle into
a few lines of play, and the learner then never meets the threats a stronger player
would make.

Progress is measured against a fixed evaluator (for tic-tac-toe, a perfect minimax
player, which a perfect learner can only draw against): every ``eval_every`` updates the
policy (sampling its actions, or its most probable action with ``eval_greedy``) plays
``eval_games`` matches with :func:`~redqueen.play.match.play_match`, alternating seats,
and its win, draw and loss rates are logged.

With a :class:`~redqueen.store.run_store.RunStore` the run logs, per update, the
training metrics (``train/mean_return``, ``train/win_rate``, ``train/entropy``,
``train/approx_kl``, ``env_steps``) and, per evaluation, ``eval/win_rate``,
``eval/draw_rate``, ``eval/loss_rate``, ``eval/mean_return`` (``step``: the update).
At every snapshot it checkpoints: the snapshot's policy file under
``RUN_DIR/self_play/members/``, the trainer (weights, optimiser, Generator) and then,
atomically, the run's meta record ``self_play`` that points to both. A run killed at any
moment resumes from its last checkpoint, replays the same updates (the Generator is
restored), and logs no metric twice.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from redqueen.agents.core import Agent
from redqueen.agents.random_agent import RandomAgent
from redqueen.agents.registry import parse_agent
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import Game
from redqueen.learn.population import Member, Population, latest_weights, uniform_weights
from redqueen.learn.ppo import (
    Opponent,
    PPOAgent,
    PPOConfig,
    PPOPolicy,
    PPOStats,
    PPOTrainer,
    encoder_for,
)
from redqueen.play.match import play_match

if TYPE_CHECKING:  # the store is a layer to the right: a run is handed one
    from redqueen.store.run_store import RunStore

ALGORITHM = "self_play"
SAMPLERS = ("latest", "uniform")
"""Opponent samplers: naive self-play and fictitious self-play."""


@dataclass(frozen=True)
class SelfPlayConfig:
    """Self-play's settings (the game is an argument of :func:`self_play`)."""

    iterations: int = 200
    """PPO updates to run (one rollout of ``ppo.num_envs`` games each)."""
    sampler: Literal["latest", "uniform"] = "latest"
    """How opponents are drawn from the snapshots (one of :data:`SAMPLERS`)."""
    window: int | None = None
    """``"uniform"``: draw from the last ``window`` snapshots only (None: all)."""
    snapshot_every: int = 10
    """Updates between snapshots; each snapshot is also a checkpoint."""
    eval_every: int = 20
    """Updates between evaluations against the evaluator (0: never)."""
    eval_games: int = 20
    """Matches per evaluation, the learner alternating seats."""
    evaluator: str = "minimax"
    """The fixed evaluator, as an agent spec string (``"minimax"``, ``"random"``, ...)."""
    eval_greedy: bool = False
    """Evaluate the policy's most probable action instead of sampling from it."""
    random_opponent: float = 0.0
    """Share of training games against the uniform random player, a fixed member next to
    the snapshots (0: pure self-play). It keeps the learner meeting positions its own
    snapshots no longer reach."""
    anneal_updates: int | None = None
    """Decay the learning rate and the entropy bonus linearly from their ``ppo`` values to
    :data:`ANNEAL_FLOOR` of them over this many updates, then hold them (CleanRL's
    ``anneal_lr``, here also for the entropy bonus); None keeps them constant. Counted in
    updates, not as a share of ``iterations``, so that a run extended later stays equal to
    one planned long from the start."""
    seed: int = 0
    ppo: PPOConfig = field(default_factory=PPOConfig)

    def __post_init__(self) -> None:
        if self.anneal_updates is not None and (
            isinstance(self.anneal_updates, bool)
            or not isinstance(self.anneal_updates, int)
            or self.anneal_updates < 1
        ):
            raise InvalidParameterError(
                f"anneal_updates must be a positive integer or None; got {self.anneal_updates!r}"
            )
        for name in ("iterations", "snapshot_every", "eval_games"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(f"{name} must be a positive integer; got {value!r}")
        if (
            isinstance(self.eval_every, bool)
            or not isinstance(self.eval_every, int)
            or self.eval_every < 0
        ):
            raise InvalidParameterError(
                f"eval_every must be an integer >= 0; got {self.eval_every!r}"
            )
        if self.sampler not in SAMPLERS:
            raise UnknownNameError("self-play sampler", str(self.sampler), SAMPLERS)
        if self.window is not None and (
            isinstance(self.window, bool) or not isinstance(self.window, int) or self.window < 1
        ):
            raise InvalidParameterError(
                f"window must be a positive integer or None; got {self.window!r}"
            )
        if not 0.0 <= self.random_opponent < 1.0:
            raise InvalidParameterError(
                f"random_opponent is a share of games in [0, 1); got {self.random_opponent!r}"
            )
        parse_agent(self.evaluator)  # an unknown evaluator is refused here


ANNEAL_FLOOR = 0.05
"""Share of the learning rate and entropy bonus left at the end of annealing."""


def annealed(ppo: PPOConfig, update: int, over: int) -> dict[str, float]:
    """Learning rate and entropy bonus for ``update`` (counted from 0) under linear
    annealing over ``over`` updates down to :data:`ANNEAL_FLOOR` of ``ppo``'s values."""
    frac = max(ANNEAL_FLOOR, 1.0 - (1.0 - ANNEAL_FLOOR) * min(update, over) / over)
    return {"learning_rate": ppo.learning_rate * frac, "ent_coef": ppo.ent_coef * frac}


@dataclass
class SelfPlayResult:
    """What :func:`self_play` returns."""

    game: str
    config: SelfPlayConfig
    population: Population
    policy: PPOPolicy
    """The learner's final policy."""
    evaluations: list[dict[str, float]]
    """One record per evaluation: update, win_rate, draw_rate, loss_rate, mean_return."""
    updates: int
    env_steps: int
    wall_time: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "algorithm": ALGORITHM,
            "config": dataclasses.asdict(self.config),
            "updates": self.updates,
            "env_steps": self.env_steps,
            "snapshots": self.population.size(0),
            "evaluations": self.evaluations,
            "final": self.evaluations[-1] if self.evaluations else None,
            "wall_time": self.wall_time,
        }

    def summary_text(self) -> str:
        lines = [
            f"{ALGORITHM} ({self.config.sampler}) on {self.game}: {self.updates} PPO updates, "
            f"{self.env_steps} environment steps, {self.population.size(0)} snapshots, "
            f"{self.wall_time:.1f} s"
        ]
        for e in self.evaluations:
            lines.append(
                f"  update {int(e['update']):>5}: vs {self.config.evaluator} win "
                f"{e['win_rate']:.2f} draw {e['draw_rate']:.2f} loss {e['loss_rate']:.2f}"
            )
        return "\n".join(lines)


# ---- evaluation ------------------------------------------------------------------------------


def evaluate(
    game: Game, policy: PPOPolicy, evaluator: Agent, games: int, seed: int, greedy: bool = False
) -> dict[str, float]:
    """Win, draw and loss rates and the mean return of ``policy`` (sampling its actions,
    or playing its most probable one if ``greedy``) against ``evaluator`` over ``games``
    matches, the policy in seat ``k % 2`` of match ``k`` (match seeds ``seed + k``)."""
    agent = PPOAgent(policy=policy, greedy=greedy)
    evaluator.check_game(game)
    returns = []
    for k in range(games):
        seat = k % 2
        agents: list[Agent] = [agent, evaluator] if seat == 0 else [evaluator, agent]
        evaluator.reset()
        result = play_match(game, agents, seed=seed + k)
        returns.append(result.returns[seat] - result.returns[1 - seat])
    r = np.asarray(returns)
    return {
        "win_rate": float((r > 0).mean()),
        "draw_rate": float((r == 0).mean()),
        "loss_rate": float((r < 0).mean()),
        "mean_return": float(r.mean() / 2),
    }


# ---- checkpoints -----------------------------------------------------------------------------


class MetricLog:
    """Logs a metric once per (name, step): a resumed run replays the updates the killed
    one made after its last checkpoint, with the same values, and must not log them
    twice."""

    def __init__(self, store: RunStore | None) -> None:
        self.store = store
        self._seen: dict[str, set[int | None]] = {}

    def log(self, name: str, value: float, step: int) -> None:
        if self.store is None:
            return
        if name not in self._seen:
            self._seen[name] = {s for s, _ in self.store.metrics(name)}
        if step in self._seen[name]:
            return
        self._seen[name].add(step)
        self.store.log_metric(name, value, step=step)


def _snapshot_member(
    policy: PPOPolicy, update: int, parent: str | None, directory: Path | None
) -> Member:
    member_id = f"snap-{update}"
    if directory is not None:
        path = policy.save(directory / f"{member_id}.pt").resolve()
        agent = PPOAgent(checkpoint=str(path), policy=policy)
    else:
        agent = PPOAgent(policy=policy)
    return Member(
        id=member_id,
        strategy=agent,
        parents=() if parent is None else (parent,),
        iteration=update,
        metadata={"kind": "ppo_snapshot"},
    )


def _save(store: RunStore, trainer: PPOTrainer, population: Population, evals: list[Any]) -> None:
    directory = store.dir / ALGORITHM
    trainer_file = trainer.save(directory / f"trainer-{trainer.updates}.pt")
    previous = store.get_meta(ALGORITHM)
    store.set_meta(
        ALGORITHM,
        {
            "update": trainer.updates,
            "trainer": trainer_file.name,
            "members": population.save(directory / "members"),
            "evaluations": evals,
        },
    )
    if previous is not None and previous["trainer"] != trainer_file.name:
        (directory / previous["trainer"]).unlink(missing_ok=True)


# ---- the loop --------------------------------------------------------------------------------


def self_play(
    game: Game,
    config: SelfPlayConfig | None = None,
    store: RunStore | None = None,
    callback: Callable[[PPOStats], bool | None] | None = None,
    *,
    bind: bool = True,
) -> SelfPlayResult:
    """Train a PPO policy on ``game`` by self-play against its snapshots.

    ``callback(stats)`` is called after each update and may return True to stop. With a
    ``store`` the run is logged, checkpointed at each snapshot and resumed (module
    docstring); ``bind=False`` when the caller (a recipe) has recorded the run's config
    itself."""
    start = time.perf_counter()
    config = config or SelfPlayConfig()
    encoder_for(game)  # an unsupported game is refused before anything runs
    evaluator = parse_agent(config.evaluator) if config.eval_every else None
    if evaluator is not None:
        evaluator.check_game(game)
    trainer = PPOTrainer(game, config.ppo, seed=config.seed)
    population = Population(1)
    evaluations: list[dict[str, float]] = []
    members_dir = None
    if store is not None:
        if bind:
            record = {
                "algorithm": ALGORITHM,
                "game": game.id,
                "game_params": dict(game.params),
                **dataclasses.asdict(config),
            }
            store.bind_config(record, ignore=("iterations",))
        members_dir = store.dir / ALGORITHM / "members"
        saved = store.get_meta(ALGORITHM)
        if saved is not None:
            trainer.load(store.dir / ALGORITHM / saved["trainer"])
            population = Population.load(1, saved["members"], members_dir)
            evaluations = list(saved["evaluations"])
    log = MetricLog(store)
    if population.size(0) == 0:
        population.add(0, _snapshot_member(trainer.policy(), 0, None, members_dir))
        if store is not None:
            _save(store, trainer, population, evaluations)

    while trainer.updates < config.iterations:
        members = population.members(0)
        n = len(members)
        weights = (
            latest_weights(n) if config.sampler == "latest" else uniform_weights(n, config.window)
        )
        keep = np.flatnonzero(weights > 0)
        opponents: list[Opponent] = [members[int(i)].strategy for i in keep]  # type: ignore[misc]
        share = weights[keep] / weights[keep].sum()
        if config.random_opponent > 0:
            opponents.append(RandomAgent())
            share = np.append(share * (1.0 - config.random_opponent), config.random_opponent)
        if config.anneal_updates is not None:
            trainer.set_hyperparameters(
                **annealed(config.ppo, trainer.updates, config.anneal_updates)
            )
        stats = trainer.train_iteration(opponents, share)
        u = trainer.updates
        log.log("train/mean_return", stats.mean_return, u)
        log.log("train/win_rate", stats.win_rate, u)
        log.log("train/entropy", stats.entropy, u)
        log.log("train/approx_kl", stats.approx_kl, u)
        log.log("env_steps", stats.env_steps, u)
        due = evaluator is not None and config.eval_every and u % config.eval_every == 0
        if due and evaluator is not None and not any(int(e["update"]) == u for e in evaluations):
            seed = config.seed * 100_003 + u
            result = evaluate(
                game, trainer.policy(), evaluator, config.eval_games, seed, config.eval_greedy
            )
            evaluations.append({"update": u, **result})
            for name, value in result.items():
                log.log(f"eval/{name}", value, u)
        if u % config.snapshot_every == 0 or u == config.iterations:
            if members[-1].iteration != u:
                population.add(
                    0, _snapshot_member(trainer.policy(), u, members[-1].id, members_dir)
                )
            if store is not None:
                _save(store, trainer, population, evaluations)
        if callback is not None and callback(stats):
            break

    return SelfPlayResult(
        game=game.id,
        config=config,
        population=population,
        policy=trainer.policy(),
        evaluations=evaluations,
        updates=trainer.updates,
        env_steps=trainer.env_steps,
        wall_time=time.perf_counter() - start,
    )
