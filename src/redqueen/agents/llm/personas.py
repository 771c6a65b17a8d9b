"""Personas: who an LLM player is told it is, placed in its system prompt.

Work on LLM agents in social and economic games gives each agent a persona -- a name, an
age, an occupation, traits, beliefs and goals -- and studies how behaviour depends on it
(Park et al. 2023, "Generative agents"; Aher, Arriaga & Kalai 2023, "Using large language
models to simulate multiple humans"; Horton 2023, "Large language models as simulated
economic agents"). A :class:`Persona` is plain data: it is read from YAML or JSON
(``safe_load``; nothing is evaluated), or a population is drawn from a
:class:`PersonaDistribution` with a seeded Generator, so the same seed always gives the
same people. :meth:`Persona.render` writes the paragraph that goes into the system prompt
(``LLMAgent(system_prompt_extra=persona.render())``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from redqueen.errors import InvalidParameterError


class Persona(BaseModel):
    """One person an LLM agent plays."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    age: int | None = Field(None, ge=0, le=150)
    occupation: str | None = None
    traits: tuple[str, ...] = ()
    beliefs: tuple[str, ...] = ()
    goals: tuple[str, ...] = ()

    def render(self) -> str:
        """The persona as a second-person paragraph for the system prompt.

        >>> Persona(name="Ada", age=36, occupation="engineer", traits=("patient",)).render()
        'You are Ada, 36 years old, an engineer. You are patient.'
        """
        intro = f"You are {self.name}"
        if self.age is not None:
            intro += f", {self.age} years old"
        if self.occupation:
            intro += f", {_article(self.occupation)} {self.occupation}"
        parts = [intro + "."]
        if self.traits:
            parts.append(f"You are {_join(self.traits)}.")
        if self.beliefs:
            parts.append(f"You believe that {_join(self.beliefs)}.")
        if self.goals:
            parts.append(f"Your goals: {_join(self.goals)}.")
        return " ".join(parts)


class PersonaDistribution(BaseModel):
    """Where sampled personas come from: each field is drawn independently.

    ``names`` are drawn without replacement while they last (then with a number added);
    ``age`` uniformly from the closed range; ``occupations`` by ``occupation_weights``
    (uniform if none); ``traits_per_persona`` distinct traits from ``traits``, and
    likewise beliefs and goals.
    """

    model_config = ConfigDict(extra="forbid")

    names: tuple[str, ...] = Field(min_length=1)
    age: tuple[int, int] = (18, 80)
    occupations: tuple[str, ...] = ()
    occupation_weights: tuple[float, ...] | None = None
    traits: tuple[str, ...] = ()
    traits_per_persona: int = Field(0, ge=0)
    beliefs: tuple[str, ...] = ()
    beliefs_per_persona: int = Field(0, ge=0)
    goals: tuple[str, ...] = ()
    goals_per_persona: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> PersonaDistribution:
        low, high = self.age
        if not 0 <= low <= high <= 150:
            raise ValueError(
                f"age must be a range (low, high) with 0 <= low <= high <= 150; got {self.age}"
            )
        if self.occupation_weights is not None:
            w = self.occupation_weights
            if len(w) != len(self.occupations):
                raise ValueError(
                    "occupation_weights needs one weight per occupation "
                    f"({len(self.occupations)}); got {len(w)}"
                )
            if any(x < 0 for x in w) or sum(w) <= 0:
                raise ValueError("occupation_weights must be >= 0 with a positive sum")
        for pool, k in (
            ("traits", self.traits_per_persona),
            ("beliefs", self.beliefs_per_persona),
            ("goals", self.goals_per_persona),
        ):
            have = len(getattr(self, pool))
            if k > have:
                raise ValueError(f"{pool}_per_persona={k} but only {have} {pool} to draw from")
        return self


def load_personas(path: str | Path) -> list[Persona]:
    """Read personas from a YAML or JSON file: one persona (a mapping) or a list of them."""
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"no persona file at {path}")
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise InvalidParameterError(f"{path} is not valid YAML/JSON: {err}") from None
    return personas_from_data(data, str(path))


def personas_from_data(data: Any, source: str = "personas") -> list[Persona]:
    """Validate a mapping (one persona) or a list of mappings."""
    items = data if isinstance(data, list) else [data]
    out = []
    for k, item in enumerate(items):
        try:
            out.append(Persona.model_validate(item))
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
                for e in err.errors()
            )
            allowed = ", ".join(Persona.model_fields)
            raise InvalidParameterError(
                f"{source}[{k}] is not a persona ({problems}); fields: {allowed}"
            ) from None
    return out


def sample_personas(dist: PersonaDistribution, n: int, seed: int = 0) -> list[Persona]:
    """``n`` personas drawn from ``dist`` with ``numpy.random.default_rng(seed)``."""
    if n < 0:
        raise InvalidParameterError(f"n must be >= 0; got {n}")
    rng = np.random.default_rng(seed)
    names = _names(dist.names, n, rng)
    weights = None
    if dist.occupation_weights is not None:
        w = np.asarray(dist.occupation_weights, dtype=np.float64)
        weights = w / w.sum()
    people = []
    for name in names:
        age = int(rng.integers(dist.age[0], dist.age[1] + 1))
        occupation = None
        if dist.occupations:
            occupation = dist.occupations[int(rng.choice(len(dist.occupations), p=weights))]
        people.append(
            Persona(
                name=name,
                age=age,
                occupation=occupation,
                traits=_draw(dist.traits, dist.traits_per_persona, rng),
                beliefs=_draw(dist.beliefs, dist.beliefs_per_persona, rng),
                goals=_draw(dist.goals, dist.goals_per_persona, rng),
            )
        )
    return people


def _names(pool: Sequence[str], n: int, rng: np.random.Generator) -> list[str]:
    order = [pool[int(i)] for i in rng.permutation(len(pool))]
    out = order[:n]
    k = 2
    while len(out) < n:
        out.extend(f"{name} {k}" for name in order[: n - len(out)])
        k += 1
    return out


def _draw(pool: Sequence[str], k: int, rng: np.random.Generator) -> tuple[str, ...]:
    if k == 0:
        return ()
    picks = rng.choice(len(pool), size=k, replace=False)
    return tuple(pool[int(i)] for i in sorted(picks))


def _join(items: Sequence[str]) -> str:
    items = [s.strip().rstrip(".") for s in items]
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " and " + items[-1]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"
