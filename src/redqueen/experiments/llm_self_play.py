"""The ``llm_self_play`` recipe kind: an LLM's weights trained by playing games against
itself, its past versions and other agents (SPIRAL, MARS), with :mod:`redqueen.learn.llm`.

A recipe names the games, the model (a Hugging Face model directory, or ``null`` for the
tiny model built in the run directory from the games' own words), the protocol preset and
its overrides (for every game, and under ``protocol.games`` for particular game ids:
:func:`~redqueen.learn.llm.collector.protocol_from_config`), the learner and the loop::

    kind: llm_self_play
    games: [kuhn_poker]
    held_out: [leduc_poker]          # evaluated, never trained on (optional)
    model: {path: null, lora: null}
    protocol: {preset: plain}        # or {preset: mars, games: {kuhn_poker: {preset: mars_poker}}}
    learner: {algorithm: reinforce, learning_rate: 0.001}
    loop: {steps: 150, games_per_step: 64, opponents: [self], estimator: rae}

Everything is checked before a step runs: the games (each needs a text view), the
presets (``protocol.games`` may name only the recipe's games, trained or held out, and
all games must agree on the prompt style, temperature and length limit), the estimator,
the learner's fields, that every opponent and evaluator can play every game, and, when
the run starts, that the model directory exists and loads (so a recipe that names a
model this machine lacks still validates, and says what is missing when it is run). The
run is recorded in the run store and resumes after a kill; the report
(:mod:`redqueen.report.llm_self_play`) draws its curves and, at the end, puts the
checkpoints on one Elo scale.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from redqueen.agents.registry import parse_agent
from redqueen.errors import RedqueenError
from redqueen.experiments.base import (
    GameConfig,
    ProgressHook,
    RecipeBase,
    RecipeError,
    optional_store,
    saved_progress,
)
from redqueen.games.core import Game
from redqueen.games.registry import make


class ModelConfig(BaseModel):
    """The model: a local directory, or the tiny model (``path: null``)."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    """A Hugging Face model directory (nothing is downloaded); null builds the tiny model."""
    tiny: dict[str, int] = Field(default_factory=dict)
    """The tiny model's shape: layers, hidden, heads, intermediate, max_positions, seed."""
    dtype: Literal["float32", "bfloat16", "float16"] = "float32"
    device: str = "cpu"
    lora: dict[str, Any] | None = None
    """LoRA through peft (``r``, ``alpha``, ``dropout``, ``target_modules``); null: all weights."""
    sampler: Literal["transformers", "vllm"] = "transformers"
    """What plays the games: transformers (CPU or GPU), or vLLM in this process (the
    ``vllm`` extra and a GPU; needs ``lora``: each policy version is an adapter swapped
    into the engine)."""
    engine: dict[str, Any] = Field(default_factory=dict)
    """vLLM's engine arguments (``gpu_memory_utilization``, ``max_loras``, ...)."""

    @model_validator(mode="after")
    def _vllm_needs_lora(self) -> ModelConfig:
        if self.sampler == "vllm" and self.lora is None:
            raise ValueError(
                "model.sampler vllm needs model.lora: vLLM serves each policy version as a "
                "LoRA adapter (full fine-tuning samples with transformers)"
            )
        if self.engine and self.sampler != "vllm":
            raise ValueError("model.engine holds vLLM's arguments: set model.sampler to vllm")
        return self

    def check_directory(self) -> None:
        """Raise a clear error when ``path`` names no directory."""
        if self.path is not None and not Path(self.path).is_dir():
            raise RecipeError(
                f"no model directory at {self.path!r}: give a local Hugging Face model "
                "directory (nothing is downloaded; e.g. --set model.path=/models/Qwen3-4B-Base), "
                "or null for the tiny model"
            )


class LLMSelfPlayOutcome:
    def __init__(self, name: str, result: Any, run_dir: Path | None) -> None:
        self.name, self.result, self.run_dir = name, result, run_dir

    def to_dict(self) -> dict[str, Any]:
        last = self.result.steps[-1].metrics if self.result.steps else {}
        return {
            "name": self.name,
            "steps": len(self.result.steps) + self.result.resumed_from,
            "resumed_from": self.result.resumed_from,
            "last": {k: v for k, v in last.items() if math.isfinite(v)},
            "snapshots": self.result.snapshots,
            "run_dir": None if self.run_dir is None else str(self.run_dir),
        }

    def summary_text(self) -> str:
        r = self.result
        lines = [f"{self.name}: {len(r.steps)} steps run (resumed from {r.resumed_from})"]
        for name in ("train/legal_rate", "exploitability", "exploitability_mixture"):
            value = r.last(name)
            if value is not None:
                lines.append(f"  {name}: {value:.3f}")
        return "\n".join(lines)


class LLMSelfPlayRecipe(RecipeBase):
    """``kind: llm_self_play``; see the module docstring."""

    resumable_changes: ClassVar[tuple[str, ...]] = (
        "description",
        "torch_threads",
        "elo_games",
        "elo_snapshots",
    )
    progress_unit: ClassVar[tuple[str, str]] = ("step", "steps")

    kind: Literal["llm_self_play"] = "llm_self_play"
    games: list[GameConfig] = Field(min_length=1)
    held_out: list[GameConfig] = Field(default_factory=list)
    """Games the policy is evaluated on and never trained on."""
    model: ModelConfig = Field(default_factory=ModelConfig)
    protocol: dict[str, Any] = Field(default_factory=lambda: {"preset": "spiral"})
    """``preset`` and field overrides for every game; ``games``: the same per game id."""
    learner: dict[str, Any] = Field(default_factory=dict)
    loop: dict[str, Any] = Field(default_factory=dict)
    elo_games: int = Field(20, ge=0, le=10_000)
    """Games per pair of checkpoints for the final Elo table (0: none)."""
    elo_snapshots: int = Field(6, ge=0, le=1000)
    """The newest snapshots on the Elo table, with the final policy (0: every snapshot).
    Each pair plays, so the table's cost grows with the square of this."""
    torch_threads: int = Field(1, ge=1, le=256)

    @field_validator("games", "held_out", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"id": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _valid(self) -> LLMSelfPlayRecipe:
        try:
            protocol, _, loop = self.configs()
            games = [*self.made_games(), *self.made_held_out()]
            ids = list(dict.fromkeys(g.id for g in games))
            for game_id in protocol.games:
                if game_id not in ids:
                    raise RedqueenError(
                        f"protocol.games names {game_id!r}; allowed: the recipe's games "
                        f"(trained or held out): {', '.join(ids)}"
                    )
            for game in games:
                protocol.check_game(game)
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        if isinstance(loop.exploitability, tuple):
            from redqueen.learn.llm.loop import measurable_games

            allowed = measurable_games(games)
            for game_id in loop.exploitability:
                if game_id not in allowed:
                    raise ValueError(
                        f"loop.exploitability names {game_id!r}; allowed: games of this recipe "
                        f"that compile (two-player, zero-sum, sequential): {', '.join(allowed)}"
                    )
        for game in games:
            if any(seat >= game.num_players for seat in loop.seats):
                last = game.num_players - 1
                raise ValueError(f"loop.seats {list(loop.seats)}: {game.id} has seats 0 to {last}")
            try:
                game.new_initial_state().observation_text(0)
            except NotImplementedError:
                raise ValueError(
                    f"{game.id} has no text view, so an LLM cannot play it; choose a game "
                    "whose states write observation_text (every game `redqueen games` lists "
                    "with a text view, textarena:ID, openspiel:NAME)"
                ) from None
            for spec in (*loop.opponents, *loop.evaluators):
                if spec in ("self", "past"):
                    continue
                try:
                    parse_agent(spec).check_game(game)
                except RedqueenError as err:
                    raise ValueError(f"{spec!r} cannot play {game.id}: {err}") from None
        return self

    def made_games(self) -> list[Game]:
        return [make(g.id, **g.params) for g in self.games]

    def made_held_out(self) -> list[Game]:
        return [make(g.id, **g.params) for g in self.held_out]

    def configs(self) -> tuple[Any, Any, Any]:
        """The protocol, learner and loop configs (each checked by its own class)."""
        from redqueen.learn.llm.collector import protocol_from_config
        from redqueen.learn.llm.learner import LearnerConfig
        from redqueen.learn.llm.loop import LoopConfig

        made_protocol = protocol_from_config(self.protocol)
        learner_values = {"max_new_tokens": made_protocol.max_new_tokens, **self.learner}
        learner_values.setdefault("temperature", made_protocol.temperature)
        learner = _dataclass(LearnerConfig, learner_values, "learner")
        loop_values = dict(self.loop)
        for name in ("opponents", "evaluators", "exploitability", "seats"):
            if isinstance(loop_values.get(name), list):
                loop_values[name] = tuple(loop_values[name])
        loop = _dataclass(LoopConfig, {"seed": self.seed, **loop_values}, "loop")
        return made_protocol, learner, loop

    def load(self, out_dir: Path | None) -> tuple[Any, Any]:
        """The model and tokenizer: loaded from ``model.path``, or the tiny model built
        into the run directory (into a temporary one in memory runs)."""
        from redqueen.learn.llm.collector import prompt_vocabulary
        from redqueen.learn.llm.tiny import build_tiny_model, load_model

        self.model.check_directory()
        if self.model.path is not None:
            return load_model(self.model.path, dtype=self.model.dtype, device=self.model.device)
        if out_dir is None:  # an in-memory run leaves no files behind
            with tempfile.TemporaryDirectory() as scratch:
                return self.load(Path(scratch))
        directory = Path(out_dir) / "llm_self_play" / "base_model"
        if not (directory / "config.json").is_file():
            style = self.configs()[0].prompt_style
            words = prompt_vocabulary(
                [*self.made_games(), *self.made_held_out()], style, seed=self.seed
            )
            shape = dict(self.model.tiny)
            seed = int(shape.pop("seed", self.seed))
            build_tiny_model(directory, words, seed=seed, **shape)
        return load_model(directory, dtype=self.model.dtype, device=self.model.device)

    def stored_units(self, run_dir: Path) -> int:
        """The training steps of the last checkpoint in ``run_dir``."""
        return saved_progress(run_dir, "llm_self_play")

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> LLMSelfPlayOutcome:
        import torch

        from redqueen.learn.llm.learner import Learner, apply_lora
        from redqueen.learn.llm.loop import train

        self.model.check_directory()
        torch.set_num_threads(self.torch_threads)
        protocol, learner_config, loop = self.configs()
        games = self.made_games()
        with optional_store(out_dir) as store:
            if store is not None:
                store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
            model, tokenizer = self.load(out_dir)
            reference = None
            if self.model.lora is not None:
                # the KL's reference is its base model
                model = apply_lora(model, **{"seed": self.seed, **self.model.lora})
            elif learner_config.kl_coef > 0:
                reference = copy.deepcopy(model).eval().requires_grad_(False)
            learner = Learner(model, learner_config, reference=reference)
            engine = self._engine(out_dir) if self.model.sampler == "vllm" else None
            result = train(
                model,
                tokenizer,
                games,
                protocol,
                learner,
                loop,
                store,
                progress,
                held_out=self.made_held_out(),
                engine=engine,
            )
            if store is not None and self.elo_games:
                _elo_table(
                    store,
                    model,
                    tokenizer,
                    games,
                    protocol,
                    loop,
                    self.elo_games,
                    self.elo_snapshots,
                )
        if out_dir is not None:
            self.write_report(Path(out_dir))
        return LLMSelfPlayOutcome(self.name, result, None if out_dir is None else Path(out_dir))

    def _engine(self, out_dir: Path | None) -> Any:
        """The vLLM engine over the base model's directory (built by :meth:`load`)."""
        from redqueen.learn.llm.vllm_generator import VLLMGenerator

        if self.model.path is not None:
            directory = Path(self.model.path)
        elif out_dir is not None:
            directory = Path(out_dir) / "llm_self_play" / "base_model"
        else:
            raise RecipeError("vLLM reads the tiny model from the run directory: give --out")
        assert self.model.lora is not None
        settings = {"max_lora_rank": int(self.model.lora.get("r", 8)), **self.model.engine}
        return VLLMGenerator(directory, dtype=self.model.dtype, seed=self.seed, **settings)

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        from redqueen.measure.ratings import EloRating
        from redqueen.report.llm_self_play import write_llm_self_play_report
        from redqueen.store.run_store import RunStore

        with RunStore(run_dir) as store:
            config = store.config()
            metrics = {
                n: [(float(s or 0), v) for s, v in store.metrics(n)] for n in store.metric_names()
            }
            elo = [EloRating(**row) for row in store.get_meta("llm_self_play/elo", [])]
        return write_llm_self_play_report(run_dir, config, metrics, elo)


def _dataclass(cls: Any, values: dict[str, Any], where: str) -> Any:
    allowed = [f.name for f in dataclasses.fields(cls)]
    unknown = [k for k in values if k not in allowed]
    if unknown:
        raise RedqueenError(
            f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"
        )
    try:
        return cls(**values)
    except TypeError as err:
        raise RedqueenError(f"{where}: {err}") from None


def _elo_table(
    store: Any,
    model: Any,
    tokenizer: Any,
    games: Sequence[Game],
    protocol: Any,
    loop: Any,
    games_per_pair: int,
    newest: int = 6,
) -> None:
    """Every pair of the ``newest`` snapshots (0: all) and the final policy plays
    ``games_per_pair`` games per game, seats alternating; one Bradley-Terry Elo over all
    of them, stored as meta."""
    import torch

    from redqueen.learn.llm.collector import Collector, PolicySeat, Prompter
    from redqueen.learn.llm.generators import TransformersGenerator
    from redqueen.learn.llm.learner import load_trained_weights
    from redqueen.measure.ratings import elo_ratings
    from redqueen.play.match import MatchResult

    if store.get_meta("llm_self_play/elo") is not None:
        return
    saved = store.get_meta("llm_self_play") or {}
    snapshots = list(saved.get("snapshots", []))
    versions = snapshots[-newest:] if newest else snapshots
    directory = store.dir / "llm_self_play" / "snapshots"
    generators: dict[int, Any] = {}
    for v in versions:
        frozen = copy.deepcopy(model)
        load_trained_weights(frozen, torch.load(directory / f"v{v}.pt", weights_only=True))
        generators[v] = TransformersGenerator(frozen, tokenizer)
    final = int(saved.get("step", 0))
    generators[final] = TransformersGenerator(model, tokenizer)
    versions = sorted(generators)
    collector = Collector(protocol, generators, Prompter(tokenizer, protocol.prompt_style))
    names = [f"step {v}" for v in versions]
    seated: list[tuple[tuple[int, ...], MatchResult]] = []
    for i, a in enumerate(versions):
        for j, b in enumerate(versions[i + 1 :], start=i + 1):
            for game in games:
                if game.num_players != 2:
                    continue
                pairs = []
                for k in range(games_per_pair):
                    order = (a, b) if k % 2 == 0 else (b, a)
                    pairs.append((game, [PolicySeat(v, trained=False) for v in order]))
                for k, record in enumerate(
                    collector.play(pairs, seed=loop.seed + 7919 * (i + 1) + j)
                ):
                    seats = (i, j) if k % 2 == 0 else (j, i)
                    result = MatchResult(
                        game=game.id,
                        seed=k,
                        returns=tuple(record.rewards),
                        length=record.decisions,
                        invalid_moves=tuple(record.invalid_moves),
                        trajectory=(),
                    )
                    seated.append((seats, result))
    if not seated:
        return
    ratings = elo_ratings(names, seated, seed=loop.seed)
    store.set_meta("llm_self_play/elo", [dataclasses.asdict(r) for r in ratings])
