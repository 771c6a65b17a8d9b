"""The ``pbt`` recipe kind: population-based training of PPO learners in self-play on
one game (:mod:`redqueen.learn.pbt`), with its report."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.experiments.base import ProgressHook, saved_progress
from redqueen.experiments.self_play import (
    PPORecipe,
    ppo_config,
    ppo_recipe_game,
    write_learning_report,
)
from redqueen.learn.pbt import ALGORITHM, DEFAULT_PRIORS, PBTConfig, PBTResult, pbt
from redqueen.store.run_store import RunStore


class PBTRecipe(PPORecipe):
    """``kind: pbt``: PBT of PPO learners in self-play on one game; see
    :func:`redqueen.learn.pbt.pbt`. ``priors`` maps each tuned hyperparameter to its
    ``[low, high]`` log-uniform range; ``ppo`` holds the other
    :class:`~redqueen.learn.ppo.PPOConfig` fields."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description", "iterations", "torch_threads")
    progress_unit: ClassVar[tuple[str, str]] = ("update", "updates")

    kind: Literal["pbt"] = "pbt"
    population_size: int = Field(6, ge=2, le=256)
    iterations: int = Field(60, ge=1, le=1_000_000)
    ready_every: int = Field(10, ge=1)
    truncation: float = Field(0.2, gt=0, le=0.5)
    resample_probability: float = Field(0.25, ge=0, le=1)
    perturb_factors: list[float] = Field(default_factory=lambda: [0.8, 1.2], min_length=1)
    priors: dict[str, list[float]] = Field(
        default_factory=lambda: {k: [p.low, p.high] for k, p in DEFAULT_PRIORS.items()}
    )
    eval_games: int = Field(16, ge=1, le=100_000)
    elo_bootstrap: int = Field(100, ge=0, le=100_000)

    @model_validator(mode="after")
    def _valid(self) -> PBTRecipe:
        try:
            self.algorithm_config()
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        for name in self.priors:
            if name in self.ppo:
                raise ValueError(f"{name} is tuned by PBT (in priors); remove it from ppo")
        return self

    def algorithm_config(self) -> PBTConfig:
        for name, bounds in self.priors.items():
            if len(bounds) != 2:
                raise InvalidParameterError(f"priors.{name} must be [low, high]; got {bounds}")
        return PBTConfig(
            population_size=self.population_size,
            iterations=self.iterations,
            ready_every=self.ready_every,
            truncation=self.truncation,
            resample_probability=self.resample_probability,
            perturb_factors=tuple(self.perturb_factors),
            priors={k: (float(v[0]), float(v[1])) for k, v in self.priors.items()},
            eval_games=self.eval_games,
            elo_bootstrap=self.elo_bootstrap,
            seed=self.seed,
            ppo=ppo_config(self.ppo),
        )

    def stored_units(self, run_dir: Path) -> int:
        """The population updates of the last checkpoint in ``run_dir``."""
        return saved_progress(run_dir, ALGORITHM)

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> PBTResult:
        game = ppo_recipe_game(self.game, self.torch_threads)
        config = self.algorithm_config()

        def hook(update: int) -> None:
            if progress is not None:
                progress(update, config.iterations)

        if out_dir is None:
            return pbt(game, config, None, hook)
        with RunStore(out_dir) as store:
            store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
            result = pbt(game, config, store, hook, bind=False)
        self.write_report(Path(out_dir))
        return result

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        return write_learning_report(run_dir, ALGORITHM)
