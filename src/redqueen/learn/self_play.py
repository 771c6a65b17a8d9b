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
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from redqueen.agents.core import Agent
from redqueen.agents.random_agent import RandomAgent
from redqueen.agents.registry import parse_agent
from redqueen.config import GameConfig, ProgressHook, RecipeBase, RecipeError
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.registry import make
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


# ---- the recipe kind ---------------------------------------------------------------------------


class SelfPlayRecipe(RecipeBase):
    """``kind: self_play``: PPO self-play (or fictitious self-play) on one game, measured
    against a fixed evaluator; see :func:`self_play`. ``ppo`` holds
    :class:`~redqueen.learn.ppo.PPOConfig` fields."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description", "iterations", "torch_threads")

    kind: Literal["self_play"] = "self_play"
    game: GameConfig
    iterations: int = Field(200, ge=1, le=1_000_000)
    sampler: Literal["latest", "uniform"] = "latest"
    window: int | None = Field(None, ge=1)
    snapshot_every: int = Field(10, ge=1)
    eval_every: int = Field(20, ge=0)
    eval_games: int = Field(20, ge=1, le=100_000)
    evaluator: str = "minimax"
    eval_greedy: bool = False
    random_opponent: float = Field(0.0, ge=0.0, lt=1.0)
    anneal_updates: int | None = Field(None, ge=1)
    ppo: dict[str, Any] = Field(default_factory=dict)
    torch_threads: int = Field(1, ge=1, le=256)

    @field_validator("game", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value

    @field_validator("ppo")
    @classmethod
    def _ppo_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        _ppo_config(value)
        return value

    @field_validator("evaluator")
    @classmethod
    def _known_evaluator(cls, value: str) -> str:
        try:
            parse_agent(value)
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        return value

    def algorithm_config(self) -> SelfPlayConfig:
        return SelfPlayConfig(
            iterations=self.iterations,
            sampler=self.sampler,
            window=self.window,
            snapshot_every=self.snapshot_every,
            eval_every=self.eval_every,
            eval_games=self.eval_games,
            evaluator=self.evaluator,
            eval_greedy=self.eval_greedy,
            random_opponent=self.random_opponent,
            anneal_updates=self.anneal_updates,
            seed=self.seed,
            ppo=_ppo_config(self.ppo),
        )

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> SelfPlayResult:
        game = ppo_recipe_game(self.game, self.torch_threads)
        config = self.algorithm_config()

        def hook(stats: PPOStats) -> None:
            if progress is not None:
                progress(stats.update, config.iterations)

        if out_dir is None:
            return self_play(game, config, None, hook)
        from redqueen.store.run_store import RunStore

        with RunStore(out_dir) as store:
            store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
            result = self_play(game, config, store, hook, bind=False)
        self.write_report(Path(out_dir))
        return result

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return write_learning_report(run_dir, ALGORITHM)


def ppo_recipe_game(game: GameConfig, torch_threads: int) -> Game:
    """The game of a PPO recipe (self-play, PBT), refused at once if PPO has no encoder
    for it; torch is set to ``torch_threads`` threads."""
    import torch

    torch.set_num_threads(torch_threads)
    made = make(game.id, **game.params)
    try:
        encoder_for(made)
    except RedqueenError as err:
        raise RecipeError(f"game: {err}") from None
    return made


def _ppo_config(values: dict[str, Any]) -> PPOConfig:
    allowed = [f.name for f in dataclasses.fields(PPOConfig)]
    for name in values:
        if name not in allowed:
            raise ValueError(f"unknown ppo field {name!r}; allowed: {', '.join(allowed)}")
    params = dict(values)
    if "hidden" in params:
        params["hidden"] = tuple(params["hidden"])
    try:
        return PPOConfig(**params)
    except RedqueenError as err:
        raise ValueError(str(err)) from None


# ---- the report ---------------------------------------------------------------------------------


def write_learning_report(run_dir: Path, algorithm: str) -> Path:
    """The HTML report of a self-play or PBT run: its curves as inline SVG (evaluation
    rates, training return and entropy; for PBT the population's Elo with 95% intervals
    and each member's hyperparameters over time), the snapshots' lineage and the config."""
    from redqueen.report.learning import curve_section, lineage_table_html, page_html, write_html
    from redqueen.store.run_store import RunStore

    with RunStore(run_dir) as store:
        config = store.config()
        record = store.get_meta(algorithm) or {}

        def curve(name: str) -> list[tuple[float, float]]:
            return [(float(s or 0), v) for s, v in store.metrics(name)]

        sections: list[tuple[str, str]] = []
        evals = {n: curve(f"eval/{n}") for n in ("win_rate", "draw_rate", "loss_rate")}
        if any(evals.values()):
            sections.append(
                (
                    f"Against the evaluator ({config.get('evaluator', '?')})",
                    curve_section(evals, y_label="rate"),
                )
            )
        train = {n: curve(f"train/{n}") for n in ("mean_return", "win_rate")}
        if any(train.values()):
            sections.append(("Training rollouts", curve_section(train, y_label="value")))
        members = int(config.get("population_size", 0) or 0)
        league = store.get_meta("pbt_elo")
        if league:
            sections.append(("Population Elo over time (95% interval)", _league_chart(league)))
        for name, label in (
            ("elo", "Population Elo (95% interval)"),
            ("learning_rate", "Learning rate"),
            ("ent_coef", "Entropy coefficient"),
        ):
            curves = {f"m{i}": curve(f"{name}/m{i}") for i in range(members)}
            if any(curves.values()) and not (league and name == "elo"):
                chart = curve_section(curves, y_label=name, log_y=name != "elo")
                if name == "elo":
                    from redqueen.report.learning import line_chart_svg

                    bands = {
                        f"m{i}": [
                            (x, lo, hi)
                            for (x, lo), (_, hi) in zip(
                                curve(f"elo_low/m{i}"), curve(f"elo_high/m{i}"), strict=False
                            )
                        ]
                        for i in range(members)
                    }
                    chart = line_chart_svg(curves, y_label="Elo", bands=bands)
                sections.append((label, chart))
        entropy = curve("train/entropy")
        if entropy:
            sections.append(("Policy entropy", curve_section({"entropy": entropy}, y_label="nats")))
    lineage = record.get("members", [])
    if lineage:
        sections.append(("Snapshots and lineage", lineage_table_html(lineage)))
    title = str(config.get("name", run_dir.name))
    page = page_html(title, sections, subtitle=str(config.get("description", "")), config=config)
    return write_html(run_dir / "report.html", page)


def _league_chart(table: list[dict[str, Any]]) -> str:
    """Each population slot's snapshots by update, Elo on one scale with intervals, and
    the mean of each generation."""
    from redqueen.measure.ratings import EloRating
    from redqueen.report.learning import elo_table_html, line_chart_svg

    curves: dict[str, list[tuple[float, float]]] = {}
    bands: dict[str, list[tuple[float, float, float]]] = {}
    by_update: dict[int, list[float]] = {}
    for row in table:
        slot = str(row["snapshot"]).split("@")[0]
        u = float(row["update"])
        curves.setdefault(slot, []).append((u, float(row["elo"])))
        bands.setdefault(slot, []).append((u, float(row["low"]), float(row["high"])))
        by_update.setdefault(int(row["update"]), []).append(float(row["elo"]))
    curves["generation mean"] = [
        (float(u), float(np.mean(v))) for u, v in sorted(by_update.items())
    ]
    chart = line_chart_svg(curves, x_label="update", y_label="Elo", bands=bands)
    ratings = sorted(
        (
            EloRating(str(r["snapshot"]), float(r["elo"]), float(r["low"]), float(r["high"]), 0)
            for r in table
        ),
        key=lambda e: -e.elo,
    )
    return chart + elo_table_html(ratings[:20])
