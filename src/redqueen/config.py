"""Recipes: experiments written as YAML and validated before anything runs.

A recipe names a game, a list of agents and how they meet::

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
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from redqueen.agents.registry import agent_kinds, make_agent, parse_agent_spec
from redqueen.errors import RedqueenError
from redqueen.games.registry import make, namespaces, registered


class RecipeError(RedqueenError, ValueError):
    """A recipe that cannot be run, with every problem found and what is allowed."""


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


class TournamentRecipe(BaseModel):
    """A round-robin tournament (see :func:`redqueen.play.tournament`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    kind: Literal["tournament"] = "tournament"
    game: GameConfig
    agents: list[AgentConfig] = Field(min_length=1)
    games_per_pairing: int = Field(10, ge=1, le=1_000_000)
    seed: int = Field(0, ge=0)
    workers: int = Field(1, ge=0, le=1024)
    self_play: bool = False
    on_invalid: Literal["random", "raise"] = "random"

    @field_validator("game", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        return {"id": value} if isinstance(value, str) else value

    @field_validator("agents", mode="before")
    @classmethod
    def _agent_shorthand(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        out = []
        for item in value:
            if isinstance(item, str):
                try:
                    spec = parse_agent_spec(item)
                except RedqueenError as err:
                    raise ValueError(str(err)) from None
                out.append({"kind": spec.kind, "params": spec.params})
            else:
                out.append(item)
        return out

    @model_validator(mode="after")
    def _enough_agents(self) -> TournamentRecipe:
        game = make(self.game.id, **self.game.params)
        for k, a in enumerate(self.agents):
            try:
                make_agent(a.kind, **a.params).check_game(game)
            except RedqueenError as err:
                raise ValueError(f"agents[{k}] ({a.kind}) cannot play {game.id}: {err}") from None
        named = [a.name for a in self.agents if a.name]
        if len(set(named)) != len(named):
            raise ValueError(f"agent names must be unique; got {named}")
        players = game.num_players
        if not self.self_play and len(self.agents) < players:
            raise ValueError(
                f"{self.game.id} has {players} seats but only {len(self.agents)} agents are "
                "listed; add agents or set self_play: true"
            )
        return self


Recipe = TournamentRecipe


def parse_recipe(data: Any, source: str = "recipe") -> Recipe:
    """Validate a recipe given as a mapping; raise :class:`RecipeError` on any problem."""
    if not isinstance(data, dict):
        raise RecipeError(
            f"{source}: a recipe must be a mapping of fields, got {type(data).__name__}"
        )
    kind = data.get("kind", "tournament")
    if kind != "tournament":
        raise RecipeError(f"{source}: kind {kind!r} is not known; allowed: tournament")
    try:
        return TournamentRecipe.model_validate(data)
    except ValidationError as err:
        raise RecipeError(_describe(err, source, TournamentRecipe)) from None


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate the recipe at ``path``."""
    path = Path(path)
    if not path.is_file():
        raise RecipeError(f"no recipe file at {path}")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise RecipeError(f"{path} is not valid YAML: {err}") from None
    return parse_recipe(data, str(path))


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
