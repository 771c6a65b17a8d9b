"""The ``self_play`` recipe kind: PPO self-play or fictitious self-play on one game,
measured against a fixed evaluator (:mod:`redqueen.learn.self_play`), with its report;
also the pieces the PBT recipe shares (:func:`ppo_recipe_game`,
:func:`write_learning_report`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from pydantic import Field, field_validator

from redqueen.agents.registry import parse_agent
from redqueen.errors import RedqueenError
from redqueen.experiments.base import (
    GameConfig,
    ProgressHook,
    RecipeBase,
    RecipeError,
    saved_progress,
)
from redqueen.games.core import Game
from redqueen.games.registry import make
from redqueen.learn.ppo import PPOConfig, PPOStats, encoder_for
from redqueen.learn.self_play import ALGORITHM, SelfPlayConfig, SelfPlayResult, self_play
from redqueen.measure.ratings import EloRating
from redqueen.report.charts import line_chart_svg
from redqueen.report.learning import (
    curve_section,
    elo_table_html,
    lineage_table_html,
    page_html,
    write_html,
)
from redqueen.store.run_store import RunStore


class PPORecipe(RecipeBase):
    """Fields of the recipes that train PPO learners: the game (refused at once if PPO
    has no encoder for it), :class:`~redqueen.learn.ppo.PPOConfig` fields in ``ppo``, and
    the number of torch threads."""

    game: GameConfig
    ppo: dict[str, Any] = Field(default_factory=dict)
    torch_threads: int = Field(1, ge=1, le=256)

    @field_validator("game", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value

    @field_validator("ppo")
    @classmethod
    def _ppo_fields(cls, value: dict[str, Any]) -> dict[str, Any]:
        ppo_config(value)
        return value


class SelfPlayRecipe(PPORecipe):
    """``kind: self_play``: PPO self-play (or fictitious self-play) on one game, measured
    against a fixed evaluator; see :func:`redqueen.learn.self_play.self_play`. ``ppo`` holds
    :class:`~redqueen.learn.ppo.PPOConfig` fields."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description", "iterations", "torch_threads")
    progress_unit: ClassVar[tuple[str, str]] = ("update", "updates")

    kind: Literal["self_play"] = "self_play"
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
            ppo=ppo_config(self.ppo),
        )

    def stored_units(self, run_dir: Path) -> int:
        """The PPO updates of the last checkpoint in ``run_dir``."""
        return saved_progress(run_dir, ALGORITHM)

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> SelfPlayResult:
        game = ppo_recipe_game(self.game, self.torch_threads)
        config = self.algorithm_config()

        def hook(stats: PPOStats) -> None:
            if progress is not None:
                progress(stats.update, config.iterations)

        if out_dir is None:
            return self_play(game, config, None, hook)
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


def ppo_config(values: dict[str, Any]) -> PPOConfig:
    """The :class:`~redqueen.learn.ppo.PPOConfig` of a recipe's ``ppo`` mapping; an unknown
    field is refused with the allowed ones."""
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


def write_learning_report(run_dir: Path, algorithm: str) -> Path:
    """The HTML report of a self-play or PBT run: its curves as inline SVG (evaluation
    rates, training return and entropy; for PBT the population's Elo with 95% intervals
    and each member's hyperparameters over time), the snapshots' lineage and the config."""
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
                    bands = {
                        f"m{i}": [
                            (x, lo, hi)
                            for (x, lo), (_, hi) in zip(
                                curve(f"elo_low/m{i}"), curve(f"elo_high/m{i}"), strict=False
                            )
                        ]
                        for i in range(members)
                    }
                    chart = line_chart_svg(curves, x_label="iteration", y_label="Elo", bands=bands)
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
