"""Recipes: experiments written as YAML and validated before anything runs.

A recipe names its ``kind`` and the fields of that kind, for example a tournament::

    name: quickstart
    kind: tournament
    game: tic_tac_toe            # or {id: repeated, params: {rounds: 50}}
    agents:
      - random
      - minimax:depth=1          # or {kind: minimax, params: {depth: 1}, name: shallow}
    games_per_pairing: 20
    seed: 0

A wrong field or value is reported with the field's path and what is allowed, before any
match is played. YAML is read with ``safe_load``; nothing in a recipe is evaluated.

Each recipe kind is a pydantic model that subclasses :class:`RecipeBase` and implements
``run`` (and, if its run directory has a report, ``write_report``); it lives in its own
module of :mod:`redqueen.experiments`. :data:`RECIPE_KINDS` maps each kind to the model's
import path, imported only when a recipe of that kind is read, so that reading a
tournament recipe never imports torch, ray or numba. This module also holds the config
models recipes share (:class:`GameConfig`, :class:`AgentConfig`), reading and validation
(:func:`load_recipe`, :func:`parse_recipe`) and ``--set`` overrides.
"""

from __future__ import annotations

import copy
import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from redqueen.agents.registry import agent_kinds, make_agent
from redqueen.errors import RedqueenError
from redqueen.games.registry import make, namespaces, registered


class RecipeError(RedqueenError, ValueError):
    """A recipe that cannot be run, with every problem found and what is allowed."""


ProgressHook = Callable[[int, int], None]
"""Called with (units done, units in all) as a run advances; drives the progress bar."""


class RecipeOutcome(Protocol):
    """What a recipe's ``run`` returns: a JSON-ready dict, and a text for the terminal."""

    def to_dict(self) -> dict[str, Any]: ...

    def summary_text(self) -> str: ...


RECIPE_KINDS: dict[str, str] = {
    "tournament": "redqueen.experiments.tournament:TournamentRecipe",
    "self_play": "redqueen.experiments.self_play:SelfPlayRecipe",
    "pbt": "redqueen.experiments.pbt:PBTRecipe",
    "psro": "redqueen.experiments.psro_fxp_league:PSRORecipe",
    "fxp": "redqueen.experiments.psro_fxp_league:FXPRecipe",
    "league": "redqueen.experiments.psro_fxp_league:LeagueRecipe",
    "donor_evolution": "redqueen.experiments.social:DonorEvolutionRecipe",
    "commons_norms": "redqueen.experiments.social:CommonsNormsRecipe",
    "ipd_tournament": "redqueen.experiments.ipd:IPDTournamentRecipe",
    "moran": "redqueen.experiments.ipd:MoranRecipe",
    "population": "redqueen.experiments.ipd:PopulationRecipe",
    "glee": "redqueen.experiments.glee:GleeRecipe",
    "repeated_games_llm": "redqueen.experiments.llm_games:RepeatedGamesLLMRecipe",
    "donor_cultural_evolution": "redqueen.experiments.llm_games:DonorCulturalEvolutionRecipe",
    "llm_vs_baselines": "redqueen.experiments.llm_games:LLMVsBaselinesRecipe",
    "red_queen": "redqueen.experiments.red_queen:RedQueenRecipe",
    "llm_self_play": "redqueen.experiments.llm_self_play:LLMSelfPlayRecipe",
}
"""Each recipe kind and the import path of its model (a :class:`RecipeBase` subclass)."""


class RecipeBase(BaseModel):
    """Fields every recipe has. A recipe kind subclasses this, adds its own fields with
    their ranges (so a wrong value is refused before anything runs), and implements
    :meth:`run`. Fields named in ``resumable_changes`` may change between a run and its
    resumption (they change no result: worker counts, descriptions)."""

    model_config = ConfigDict(extra="forbid")
    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    kind: str
    seed: int = Field(0, ge=0)

    def run(self, out_dir: Path | None, progress: ProgressHook | None = None) -> RecipeOutcome:
        """Run (or resume) into ``out_dir``; in memory when it is None."""
        raise NotImplementedError(f"recipe kind {self.kind!r} does not implement run()")

    @classmethod
    def write_report(cls, run_dir: Path) -> Path:
        """(Re)write the run's HTML report from its store; return the file."""
        raise RecipeError(f"recipe kind {cls.__name__} has no report")


class GameConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _known_game(cls, value: str) -> str:
        prefix, colon, _ = value.partition(":")
        if colon and prefix in namespaces():
            return value  # a wrapped library's game: _buildable checks the name
        if value not in registered():
            allowed = [*registered(), *(f"{p}:NAME" for p in namespaces())]
            raise ValueError(f"unknown game {value!r}; allowed: {', '.join(allowed)}")
        return value

    @model_validator(mode="after")
    def _buildable(self) -> GameConfig:
        try:
            make(self.id, **self.params)
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        return self


class AgentConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    params: dict[str, Any] = Field(default_factory=dict)
    name: str | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in agent_kinds():
            raise ValueError(f"unknown agent {value!r}; allowed: {', '.join(agent_kinds())}")
        return value

    @model_validator(mode="after")
    def _buildable(self) -> AgentConfig:
        if self.kind == "human":
            raise ValueError("a recipe cannot seat a human agent; use `redqueen play`")
        try:
            make_agent(self.kind, **self.params)
        except RedqueenError as err:
            raise ValueError(str(err)) from None
        return self


def recipe_kinds() -> list[str]:
    """The recipe kinds a recipe's ``kind`` field may name."""
    return sorted(RECIPE_KINDS)


def recipe_model(kind: str) -> type[RecipeBase]:
    """The model class of a recipe kind (imported on first use)."""
    if kind not in RECIPE_KINDS:
        raise RecipeError(
            f"recipe kind {kind!r} is not known; allowed: {', '.join(recipe_kinds())}"
        )
    module, _, attr = RECIPE_KINDS[kind].partition(":")
    model = getattr(importlib.import_module(module), attr)
    if not (isinstance(model, type) and issubclass(model, RecipeBase)):
        raise TypeError(f"{RECIPE_KINDS[kind]} is not a RecipeBase subclass")
    return model


def parse_recipe(data: Any, source: str = "recipe") -> RecipeBase:
    """Validate a recipe given as a mapping; raise :class:`RecipeError` on any problem."""
    if not isinstance(data, dict):
        raise RecipeError(
            f"{source}: a recipe must be a mapping of fields, got {type(data).__name__}"
        )
    kind = data.get("kind", "tournament")
    if not isinstance(kind, str) or kind not in RECIPE_KINDS:
        raise RecipeError(
            f"{source}: kind {kind!r} is not known; allowed: {', '.join(recipe_kinds())}"
        )
    model = recipe_model(kind)
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise RecipeError(_describe(err, source, model)) from None


def load_recipe(path: str | Path, overrides: Sequence[str] = ()) -> RecipeBase:
    """Read and validate the recipe at ``path``, after applying ``overrides``
    (``"field.subfield=value"``, see :func:`apply_overrides`)."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"no recipe file at {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise RecipeError(f"{path} is not valid YAML: {err}") from None
    if overrides:
        data = apply_overrides(data, overrides, str(path))
    return parse_recipe(data, str(path))


def apply_overrides(data: Any, overrides: Sequence[str], source: str = "recipe") -> Any:
    """A copy of the recipe mapping ``data`` with each ``"a.b.c=value"`` set; the value is
    read as a YAML scalar (``null``, ``true``, ``3``, ``0.5``, else a string), never
    evaluated. Paths go through mappings only; a missing mapping on the way is created."""
    if not isinstance(data, dict):
        return data
    data = copy.deepcopy(data)
    for item in overrides:
        path, sep, raw = item.partition("=")
        keys = path.strip().split(".")
        if not sep or not all(keys):
            raise RecipeError(f"{source}: override {item!r} is not of the form field.sub=value")
        try:
            value = yaml.safe_load(raw) if raw.strip() else ""
        except yaml.YAMLError:
            value = raw
        if isinstance(value, dict | list):
            value = raw  # a scalar only: a flow mapping or list is kept as text
        node = data
        for depth, key in enumerate(keys[:-1]):
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                where = ".".join(keys[: depth + 1])
                raise RecipeError(f"{source}: override {item!r}: {where} is not a mapping")
            node = child
        node[keys[-1]] = value
    return data


_FIELDS_BY_MODEL: dict[str, list[str]] = {
    "game": list(GameConfig.model_fields),
    "agents": list(AgentConfig.model_fields),
}


def _describe(err: ValidationError, source: str, model: type[BaseModel]) -> str:
    lines = [f"{source}: {err.error_count()} problem(s)"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            top = str(e["loc"][0]) if len(e["loc"]) > 1 else ""
            allowed = _FIELDS_BY_MODEL.get(top, list(model.model_fields))
            message = f"unknown field; allowed fields: {', '.join(allowed)}"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)
