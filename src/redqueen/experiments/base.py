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
match is played: an unknown field, at any depth (``llm.temprature``), lists the fields of
the model it sits in and the closest one (:mod:`difflib`); a YAML syntax error names the
file, line and column. YAML is read with ``safe_load``; nothing in a recipe is evaluated.

Each recipe kind is a pydantic model that subclasses :class:`RecipeBase` and implements
``run`` (and, if its run directory has a report, ``write_report``); it lives in its own
module of :mod:`redqueen.experiments`. :data:`RECIPE_KINDS` maps each kind to the model's
import path, imported only when a recipe of that kind is read, so that reading a
tournament recipe never imports torch, ray or numba. This module also holds the config
models recipes share (:class:`GameConfig`, :class:`AgentConfig`), reading and validation
(:func:`load_recipe`, :func:`parse_recipe`) and ``--set`` overrides.

Every kind ends a run with the same closing lines (:func:`closing_lines`): where its
report is, whether it resumed and how much was already stored (``stored_units``, in the
kind's ``progress_unit``), and the matches that failed, if any. An interrupted run says
what is stored and how to resume (:func:`interrupted_lines`).
"""

from __future__ import annotations

import copy
import difflib
import importlib
import math
import types
import typing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from redqueen.agents.registry import agent_kinds, make_agent
from redqueen.errors import RedqueenError
from redqueen.games.registry import make, namespaces, registered

if TYPE_CHECKING:
    from redqueen.store.run_store import RunStore


class RecipeError(RedqueenError, ValueError):
    """A recipe that cannot be run, with every problem found and what is allowed."""


class FailedMatchesError(RedqueenError):
    """A run that finished with matches that failed (a backend that gave no reply): they
    are not stored, and running the same recipe again plays them. Carries the run's
    ``outcome`` (what the stored matches show) and ``failures`` (match key -> cause)."""

    def __init__(self, message: str, outcome: Any, failures: dict[str, str]) -> None:
        super().__init__(message)
        self.outcome = outcome
        self.failures = failures


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
    "role_games": "redqueen.experiments.role_games:RoleGamesRecipe",
    "referential_populations": "redqueen.experiments.referential:ReferentialPopulationsRecipe",
    "reservoir_governance": "redqueen.experiments.reservoir:ReservoirGovernanceRecipe",
    "spy_scripted": "redqueen.experiments.hidden_spy:SpyScriptedRecipe",
    "spy_llm": "redqueen.experiments.hidden_spy:SpyLLMRecipe",
    "werewolf_llm": "redqueen.experiments.werewolf:WerewolfLLMRecipe",
    "werealign_eval": "redqueen.experiments.werewolf:WereAlignRecipe",
    "tax_saez": "redqueen.experiments.tax:TaxSaezRecipe",
    "tax_llm": "redqueen.experiments.tax:TaxLLMRecipe",
    "tax_democracy": "redqueen.experiments.tax:TaxDemocracyRecipe",
    "hanabi_eval": "redqueen.experiments.hanabi:HanabiEvalRecipe",
    "overcooked_proagent": "redqueen.experiments.overcooked:OvercookedProAgentRecipe",
    "overcooked_ppo": "redqueen.experiments.overcooked:OvercookedPPORecipe",
}
"""Each recipe kind and the import path of its model (a :class:`RecipeBase` subclass)."""


class RecipeBase(BaseModel):
    """Fields every recipe has. A recipe kind subclasses this, adds its own fields with
    their ranges (so a wrong value is refused before anything runs), and implements
    :meth:`run`. Fields named in ``resumable_changes`` may change between a run and its
    resumption (they change no result: worker counts, descriptions)."""

    model_config = ConfigDict(extra="forbid")
    resumable_changes: ClassVar[tuple[str, ...]] = ("description",)
    progress_unit: ClassVar[tuple[str, str]] = ("match", "matches")
    """What the progress bar and :meth:`stored_units` count (singular, plural)."""

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

    def stored_units(self, run_dir: Path) -> int:
        """How much of this run ``run_dir`` already holds, in :attr:`progress_unit`
        (0 for a new run). By default: the matches in its run store."""
        with existing_store(run_dir) as store:
            return 0 if store is None else len(store.completed_keys())


@contextmanager
def existing_store(run_dir: Path | str) -> Iterator[RunStore | None]:
    """The run store of ``run_dir``, or None when it holds none (nothing is created)."""
    from redqueen.store.run_store import DB_NAME, RunStore

    if not (Path(run_dir) / DB_NAME).is_file():
        yield None
        return
    with RunStore(run_dir) as store:
        yield store


@contextmanager
def optional_store(out_dir: Path | str | None) -> Iterator[RunStore | None]:
    """The run store of ``out_dir`` (created if new), closed on leaving; None when a
    recipe runs without a run directory (nothing is stored)."""
    from redqueen.store.run_store import RunStore

    if out_dir is None:
        yield None
        return
    with RunStore(out_dir) as store:
        yield store


def saved_progress(run_dir: Path | str, key: str) -> int:
    """The updates, steps or iterations that the checkpoint record ``key`` of a learning
    run in ``run_dir`` holds: its ``update``, ``step`` or ``iteration`` field, else the
    last iteration of its ``curve``; 0 when there is no such record."""
    with existing_store(run_dir) as store:
        record = None if store is None else store.get_meta(key)
    if not isinstance(record, dict):
        return 0
    for field in ("update", "step", "iteration"):
        if field in record:
            return int(record[field])
    return max((int(point[0]) for point in record.get("curve") or []), default=0)


def stored_result(run_dir: Path | str) -> tuple[dict[str, Any], Any]:
    """A run's config and the whole result its recipe stored as the ``result`` record
    (None while there is none), for the kinds that keep their result in one record."""
    from redqueen.store.run_store import RunStore

    with RunStore(run_dir) as store:
        return store.config(), store.get_meta("result")


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities as None (in nested dicts, lists and tuples), so
    that a result stored as run metadata is valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def stored_meta(run_dir: Path | str, keys: Sequence[str]) -> int:
    """How many of the records ``keys`` the run store of ``run_dir`` holds."""
    with existing_store(run_dir) as store:
        return 0 if store is None else sum(store.get_meta(k) is not None for k in keys)


def failed_matches(run_dir: Path | str) -> dict[str, str]:
    """The matches the last run into ``run_dir`` could not play (key -> cause), as kept
    in its store's ``failed_matches`` record."""
    with existing_store(run_dir) as store:
        failed = None if store is None else store.get_meta("failed_matches")
    return {str(k): str(v) for k, v in failed.items()} if isinstance(failed, dict) else {}


def quantity(n: int, unit: tuple[str, str]) -> str:
    """``1 match``, ``3 matches``."""
    return f"{n} {unit[0] if n == 1 else unit[1]}"


def closing_lines(
    recipe: RecipeBase,
    run_dir: Path | None,
    stored_before: int,
    failures: dict[str, str] | None = None,
) -> list[str]:
    """The lines every run ends with, whatever its kind: its report, whether it resumed
    and how much was already stored, and the matches that failed, if any."""
    failures = failures or {}
    lines = []
    if run_dir is None:
        lines.append("not stored: no run directory (--out DIR keeps the run and its report)")
    else:
        report = Path(run_dir) / "report.html"
        lines.append(
            f"report: {report}"
            if report.is_file()
            else f"report: not written (redqueen report {run_dir} writes it)"
        )
        if stored_before:
            lines.append(
                f"resumed: {quantity(stored_before, recipe.progress_unit)} "
                f"{'was' if stored_before == 1 else 'were'} already stored in {run_dir}"
            )
        else:
            lines.append(f"new run: nothing was stored in {run_dir} before")
    if failures:
        key, cause = next(iter(failures.items()))
        lines.append(
            f"failed: {quantity(len(failures), ('match', 'matches'))} could not be played and "
            f"{'is' if len(failures) == 1 else 'are'} not stored (first, {key}: {cause}); "
            "run the same command again to play them"
        )
    return lines


def interrupted_lines(recipe: RecipeBase, run_dir: Path | None) -> list[str]:
    """What an interrupted run says: what is stored, and how to resume."""
    if run_dir is None:
        return [
            "interrupted: nothing was stored (no run directory); "
            "--out DIR stores each result as it finishes, so that a run can be resumed"
        ]
    stored = recipe.stored_units(Path(run_dir))
    return [
        f"interrupted: {quantity(stored, recipe.progress_unit)} "
        f"{'is' if stored == 1 else 'are'} stored in {run_dir}; "
        "run the same command again to resume from there"
    ]


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
        raise RecipeError(yaml_error_text(err, path)) from None
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


def yaml_error_text(err: yaml.YAMLError, path: Path | str) -> str:
    """A YAML syntax error as ``FILE, line L, column C: not valid YAML: PROBLEM (CONTEXT)``
    and the offending line with a caret under the column."""
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err)
    if mark is None:
        return f"{path} is not valid YAML: {problem}"
    text = f"{path}, line {mark.line + 1}, column {mark.column + 1}: not valid YAML: {problem}"
    context, start = getattr(err, "context", None), getattr(err, "context_mark", None)
    if context:
        where = f" started at line {start.line + 1}, column {start.column + 1}" if start else ""
        text += f" ({context}{where})"
    snippet = mark.get_snippet()
    return text + (f"\n{snippet}" if snippet else "")


def _describe(err: ValidationError, source: str, model: type[BaseModel]) -> str:
    lines = [f"{source}: {err.error_count()} problem(s)"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden" and e["loc"]:
            message = _unknown_field(model, tuple(e["loc"]))
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def _unknown_field(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """The message for the unknown field at ``loc``: the fields of the model it sits in
    (found by following ``loc`` through the field types) and the closest of them."""
    holder = _model_at(model, loc[:-1])
    if holder is None:
        return "unknown field"
    allowed = list(holder.model_fields)
    where = ".".join(str(p) for p in loc[:-1])
    text = f"unknown field; allowed fields{f' of {where}' if where else ''}: {', '.join(allowed)}"
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    return text + (f"; did you mean {close[0]!r}?" if close else "")


def _model_at(model: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the field at ``loc + (name,)``: ``loc`` is followed
    through model fields, list and dict items, optional values and tagged unions."""
    current: Any = model
    for part in loc:
        current = _unwrap(current, part)
        if isinstance(current, tuple):  # a union member named by pydantic's tag
            current = current[0]
            continue
        if _is_model(current) and isinstance(part, str) and part in current.model_fields:
            current = current.model_fields[part].annotation
        elif typing.get_origin(current) in (list, tuple, set, frozenset, dict):
            args = [a for a in typing.get_args(current) if a is not Ellipsis]
            current = args[-1] if args else None
        else:
            return None
    current = _unwrap(current, None)
    return current if _is_model(current) else None


def _unwrap(annotation: Any, part: int | str | None) -> Any:
    """``annotation`` without ``Annotated`` and ``None`` options; for a union of models, the
    member named by ``part`` (as a 1-tuple: ``part`` was the tag) or the only model."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(annotation) if a is not type(None)]
        for option in options:
            if _is_model(option) and option.__name__ == part:
                return (option,)
        models = [o for o in options if _is_model(o)]
        if len(options) == 1:
            return _unwrap(options[0], part)
        if len(models) == 1:
            return models[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)
