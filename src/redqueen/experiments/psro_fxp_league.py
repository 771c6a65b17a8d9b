"""Recipe kinds for the exact population methods: ``psro``, ``fxp`` and ``league``.

``kind: psro`` runs PSRO (:mod:`redqueen.learn.psro`) once per meta-solver on one game,
each into its own sub-run ``RUN_DIR/<meta_solver>/`` (a run store of its own, so each
resumes on its own), then plays ``elo_matches`` matches between every pair of the final
members through the play layer (a :class:`~redqueen.learn.population.SampledPayoffTable`
stored with the sub-run) for the population's Elo with intervals. ``recipes/psro_kuhn.yaml``
and ``recipes/psro_leduc.yaml`` compare the uniform and Nash meta-solvers.

``kind: fxp`` runs FXP (:mod:`redqueen.learn.fxp`) once per ``eta`` into one run store
(metrics ``exploitability/<label>``; ``eta = 0`` is the self-play baseline).
``recipes/fxp_matrix.yaml`` shows self-play stuck at the local equilibrium of the
two-team stag hunt and FXP reaching the global one.

``kind: league`` trains an AlphaStar-style league (:mod:`redqueen.learn.league`) with the
exact oracle and measured Elo, in the sub-run ``RUN_DIR/league/``.

Each writes the learning report (:mod:`redqueen.report.learning`) at the end of a run and
on ``redqueen report RUN_DIR``. The algorithms, the store and the report are imported
inside the methods, so that reading a recipe imports none of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from redqueen.experiments.base import GameConfig, ProgressHook, RecipeBase, saved_progress

MetaSolver = Literal["uniform", "nash", "prd", "alpha_rank"]
_DEFAULT_SOLVERS: list[MetaSolver] = ["uniform", "nash"]

TEAM_GAMES = ("team_stag_hunt",)
"""Two-team games FXP knows by name (besides every compiled two-player zero-sum game)."""


def _game_shorthand(value: Any) -> Any:
    return {"id": value} if isinstance(value, str) else value


class _RunsOutcome:
    """A recipe outcome made of named runs (one per meta-solver, or per method)."""

    def __init__(self, name: str, game: str, results: dict[str, Any], run_dir: Path | None):
        self.name, self.game, self.results, self.run_dir = name, game, results, run_dir
        self.report: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "game": self.game,
            "runs": self.results,
            "run_dir": None if self.run_dir is None else str(self.run_dir),
            "report": None if self.report is None else str(self.report),
        }


# ---- PSRO -------------------------------------------------------------------------------


class PSROOutcome(_RunsOutcome):
    def summary_text(self) -> str:
        lines = [f"{self.name}: PSRO on {self.game}"]
        for solver, r in self.results.items():
            lines.append(
                f"  {solver}: exploitability {r['curve'][0][1]:.4f} -> {max(r['final'], 0.0):.4f} "
                f"after {r['curve'][-1][0]} iterations ({r['wall_time']:.1f} s)"
            )
        return "\n".join(lines)


class PSRORecipe(RecipeBase):
    """PSRO with exact best responses, one run per meta-solver."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description", "iterations")
    progress_unit: ClassVar[tuple[str, str]] = ("iteration", "iterations")

    kind: Literal["psro"] = "psro"
    game: GameConfig
    meta_solvers: list[MetaSolver] = Field(
        default_factory=lambda: list(_DEFAULT_SOLVERS), min_length=1
    )
    iterations: int = Field(20, ge=0, le=10_000)
    elo_matches: int = Field(0, ge=0, le=10_000)
    """Matches per pair of final members played for the population Elo (0: none)."""

    @field_validator("game", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        return _game_shorthand(value)

    def stored_units(self, run_dir: Path) -> int:
        """The iterations checkpointed in the meta-solvers' sub-runs."""
        return sum(saved_progress(Path(run_dir) / s, "psro") for s in self.meta_solvers)

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> PSROOutcome:
        from redqueen.games.registry import make
        from redqueen.learn.population import SampledPayoffTable
        from redqueen.learn.psro import PSROConfig, psro
        from redqueen.store.run_store import RunStore

        game = make(self.game.id, **self.game.params)
        total = self.iterations * len(self.meta_solvers)
        results: dict[str, Any] = {}
        top = None
        if out_dir is not None:
            top = RunStore(out_dir)
            top.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
        try:
            for k, solver in enumerate(self.meta_solvers):
                store = None if out_dir is None else RunStore(Path(out_dir) / solver)

                def tick(point: Any, k: int = k) -> None:
                    if progress is not None:
                        progress(k * self.iterations + point.iteration, total)

                try:
                    result = psro(
                        game, PSROConfig(self.iterations, meta_solver=solver), store, tick
                    )
                    if store is not None and self.elo_matches:
                        SampledPayoffTable(
                            game,
                            result.population,
                            self.elo_matches,
                            seed=self.seed,
                            store=store,
                        ).update()
                finally:
                    if store is not None:
                        store.close()
                results[solver] = result.to_dict()
        finally:
            if top is not None:
                top.close()
        outcome = PSROOutcome(self.name, game.id, results, out_dir)
        if out_dir is not None:
            outcome.report = self.write_report(Path(out_dir))
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        from redqueen.report.learning import write_population_report

        return write_population_report(Path(run_dir), algorithm="psro")


# ---- FXP --------------------------------------------------------------------------------


class FXPOutcome(_RunsOutcome):
    def summary_text(self) -> str:
        lines = [f"{self.name}: FXP on {self.game}"]
        for label, r in self.results.items():
            lines.append(
                f"  {label} (eta={r['config']['eta']}): exploitability "
                f"{r['curve'][0][1]:.4f} -> {r['final']:.4f}"
            )
        return "\n".join(lines)


def fxp_label(eta: float) -> str:
    """The run label of one eta: ``self_play`` for 0, else ``fxp_eta<eta>``."""
    return "self_play" if eta == 0 else f"fxp_eta{eta:g}"


class FXPRecipe(RecipeBase):
    """FXP on a two-team game (``team_stag_hunt``) or a small two-player zero-sum game,
    once per ``eta`` (0: the self-play baseline)."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description", "iterations")
    progress_unit: ClassVar[tuple[str, str]] = ("iteration", "iterations")

    kind: Literal["fxp"] = "fxp"
    game: str = "team_stag_hunt"
    game_params: dict[str, Any] = Field(default_factory=dict)
    etas: list[float] = Field(default_factory=lambda: [0.0, 0.5], min_length=1)
    iterations: int = Field(400, ge=0, le=100_000)

    @field_validator("etas")
    @classmethod
    def _etas(cls, value: list[float]) -> list[float]:
        bad = [e for e in value if not 0.0 <= e <= 1.0]
        if bad:
            raise ValueError(f"each eta is a share in [0, 1]; got {bad}")
        if len(set(value)) != len(value):
            raise ValueError(f"etas must be distinct; got {value}")
        return value

    @field_validator("game")
    @classmethod
    def _game(cls, value: str) -> str:
        from redqueen.games.registry import registered

        if value not in TEAM_GAMES and value not in registered():
            allowed = [*TEAM_GAMES, *registered()]
            raise ValueError(f"unknown game {value!r}; allowed: {', '.join(allowed)}")
        return value

    def team_game(self) -> Any:
        from redqueen.games.registry import make
        from redqueen.learn.fxp import team_game_from_tree, team_stag_hunt

        if self.game == "team_stag_hunt":
            return team_stag_hunt(**self.game_params)
        return team_game_from_tree(make(self.game, **self.game_params))

    def stored_units(self, run_dir: Path) -> int:
        """The iterations checkpointed for each eta."""
        return sum(saved_progress(run_dir, f"fxp:{fxp_label(eta)}") for eta in self.etas)

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> FXPOutcome:
        from redqueen.learn.fxp import FXPConfig, fxp
        from redqueen.store.run_store import RunStore

        game = self.team_game()
        store = None
        if out_dir is not None:
            store = RunStore(out_dir)
            store.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
        results: dict[str, Any] = {}
        total = self.iterations * len(self.etas)
        try:
            for k, eta in enumerate(self.etas):

                def tick(i: int, _value: float, k: int = k) -> None:
                    if progress is not None:
                        progress(k * self.iterations + i, total)

                label = fxp_label(eta)
                result = fxp(game, FXPConfig(self.iterations, eta), store, label, tick)
                results[label] = result.to_dict()
        finally:
            if store is not None:
                store.close()
        outcome = FXPOutcome(self.name, game.name, results, out_dir)
        if out_dir is not None:
            outcome.report = self.write_report(Path(out_dir))
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        from redqueen.report.learning import write_fxp_report

        return write_fxp_report(Path(run_dir))


# ---- league -----------------------------------------------------------------------------


class LeagueOutcome:
    def __init__(self, name: str, result: dict[str, Any], run_dir: Path | None):
        self.name, self.result, self.run_dir = name, result, run_dir
        self.report: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **self.result,
            "run_dir": None if self.run_dir is None else str(self.run_dir),
            "report": None if self.report is None else str(self.report),
        }

    def summary_text(self) -> str:
        r = self.result
        lines = [
            f"{self.name}: league on {r['game']}, {len(r['members'])} members; main agent's "
            f"exploitability {r['curve'][0][1]:.4f} -> {r['final']:.4f}"
        ]
        lines += [
            f"  {e['agent']}: Elo {e['elo']:.0f} [{e['ci95'][0]:.0f}, {e['ci95'][1]:.0f}]"
            for e in r["elo"][:5]
            if None not in e["ci95"]
        ]
        return "\n".join(lines)


class LeagueRecipe(RecipeBase):
    """A league of main agents, main exploiters and league exploiters (exact oracle)."""

    resumable_changes: ClassVar[tuple[str, ...]] = ("description", "iterations")
    progress_unit: ClassVar[tuple[str, str]] = ("iteration", "iterations")

    kind: Literal["league"] = "league"
    game: GameConfig
    iterations: int = Field(10, ge=0, le=10_000)
    main_agents: int = Field(1, ge=1, le=16)
    main_exploiters: int = Field(1, ge=0, le=16)
    league_exploiters: int = Field(1, ge=0, le=16)
    self_play_share: float = Field(0.35, ge=0.0, le=1.0)
    pfsp_weighting: Literal["hard", "variance", "linear_capped"] = "hard"
    elo_matches: int = Field(2, ge=0, le=10_000)

    @field_validator("game", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        return _game_shorthand(value)

    def stored_units(self, run_dir: Path) -> int:
        """The iterations checkpointed in the league's sub-run."""
        return saved_progress(Path(run_dir) / "league", "league")

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> LeagueOutcome:
        from redqueen.games.registry import make
        from redqueen.learn.league import LeagueConfig, league
        from redqueen.store.run_store import RunStore

        game = make(self.game.id, **self.game.params)
        config = LeagueConfig(
            iterations=self.iterations,
            main_agents=self.main_agents,
            main_exploiters=self.main_exploiters,
            league_exploiters=self.league_exploiters,
            self_play_share=self.self_play_share,
            pfsp_weighting=self.pfsp_weighting,
            elo_matches=self.elo_matches,
            seed=self.seed,
        )

        def tick(t: int, _value: float) -> None:
            if progress is not None:
                progress(t, self.iterations)

        if out_dir is None:
            result = league(game, config, None, tick)
        else:
            with RunStore(out_dir) as top:
                top.bind_config(self.model_dump(mode="json"), ignore=self.resumable_changes)
            with RunStore(Path(out_dir) / "league") as store:
                result = league(game, config, store, tick)
        outcome = LeagueOutcome(self.name, result.to_dict(), out_dir)
        if out_dir is not None:
            outcome.report = self.write_report(Path(out_dir))
        return outcome

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        from redqueen.report.learning import write_league_report

        return write_league_report(Path(run_dir))
