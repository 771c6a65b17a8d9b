"""Experiments: one module per recipe kind, each holding the kind's pydantic model, its
``run`` and the call that writes its report; :mod:`redqueen.experiments.base` holds
:class:`RecipeBase`, the config models recipes share, validation and the kind registry.

An experiment composes the layers below it (games, agents, play, store, solve, measure,
learn, report) and is the only place that knows a whole run's shape. A kind's module is
imported only when a recipe of that kind is read (:data:`RECIPE_KINDS`).

- ``tournament``: :mod:`~redqueen.experiments.tournament`;
- ``self_play``, ``pbt``: :mod:`~redqueen.experiments.self_play`,
  :mod:`~redqueen.experiments.pbt`;
- ``psro``, ``fxp``, ``league``: :mod:`~redqueen.experiments.psro_fxp_league`;
- ``donor_evolution``, ``commons_norms``: :mod:`~redqueen.experiments.social`;
- ``ipd_tournament``, ``moran``, ``population``: :mod:`~redqueen.experiments.ipd`;
- ``glee``: :mod:`~redqueen.experiments.glee`;
- ``repeated_games_llm``, ``llm_vs_baselines``, ``donor_cultural_evolution``:
  :mod:`~redqueen.experiments.llm_games`;
- ``red_queen``: :mod:`~redqueen.experiments.red_queen`;
- ``llm_self_play``: :mod:`~redqueen.experiments.llm_self_play`.
"""

from redqueen.experiments.base import (
    RECIPE_KINDS,
    AgentConfig,
    GameConfig,
    ProgressHook,
    RecipeBase,
    RecipeError,
    RecipeOutcome,
    apply_overrides,
    load_recipe,
    parse_recipe,
    recipe_kinds,
    recipe_model,
)

__all__ = [
    "RECIPE_KINDS",
    "AgentConfig",
    "GameConfig",
    "ProgressHook",
    "RecipeBase",
    "RecipeError",
    "RecipeOutcome",
    "apply_overrides",
    "load_recipe",
    "parse_recipe",
    "recipe_kinds",
    "recipe_model",
]
