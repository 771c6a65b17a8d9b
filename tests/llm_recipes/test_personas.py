"""Personas: load from YAML/JSON, sample a seeded population, render for the prompt."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redqueen.agents.llm.personas import (
    Persona,
    PersonaDistribution,
    load_personas,
    personas_from_data,
    sample_personas,
)
from redqueen.errors import InvalidParameterError

ADA = {
    "name": "Ada",
    "age": 36,
    "occupation": "engineer",
    "traits": ["patient", "curious"],
    "beliefs": ["most people reciprocate kindness"],
    "goals": ["earn as much as possible", "keep a good reputation"],
}


def test_render_exact() -> None:
    assert Persona.model_validate(ADA).render() == (
        "You are Ada, 36 years old, an engineer. You are patient and curious. You believe "
        "that most people reciprocate kindness. Your goals: earn as much as possible and "
        "keep a good reputation."
    )
    assert Persona(name="Bo").render() == "You are Bo."
    assert Persona(name="Cy", occupation="farmer", traits=("a", "b", "c")).render() == (
        "You are Cy, a farmer. You are a, b and c."
    )


def test_load_yaml_and_json(tmp_path: Path) -> None:
    y = tmp_path / "p.yaml"
    y.write_text("- name: Ada\n  age: 36\n  traits: [patient]\n- name: Bo\n")
    people = load_personas(y)
    assert [p.name for p in people] == ["Ada", "Bo"] and people[0].traits == ("patient",)
    j = tmp_path / "p.json"
    j.write_text(json.dumps(ADA))
    assert load_personas(j) == [Persona.model_validate(ADA)]


def test_bad_personas_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="fields: name, age"):
        personas_from_data([{"name": "Ada", "job": "x"}])
    with pytest.raises(InvalidParameterError, match="age"):
        personas_from_data({"name": "Ada", "age": -3})
    with pytest.raises(InvalidParameterError, match="no persona file"):
        load_personas(tmp_path / "missing.yaml")


DIST = PersonaDistribution(
    names=("Ada", "Bo", "Cy"),
    age=(20, 30),
    occupations=("farmer", "teacher"),
    occupation_weights=(1.0, 0.0),
    traits=("kind", "greedy", "shy", "bold"),
    traits_per_persona=2,
    goals=("win",),
    goals_per_persona=1,
)


def test_sample_is_seeded_and_within_the_distribution() -> None:
    a = sample_personas(DIST, 5, seed=7)
    assert a == sample_personas(DIST, 5, seed=7)
    assert a != sample_personas(DIST, 5, seed=8)
    assert sorted(p.name for p in a[:3]) == ["Ada", "Bo", "Cy"]  # without replacement first
    assert {p.name for p in a[3:]} <= {"Ada 2", "Bo 2", "Cy 2"}
    for p in a:
        assert p.age is not None and 20 <= p.age <= 30
        assert p.occupation == "farmer"  # weight 0 for teacher
        assert len(set(p.traits)) == 2 and set(p.traits) <= set(DIST.traits)
        assert p.goals == ("win",) and p.beliefs == ()


def test_sample_age_spread() -> None:
    ages = [p.age for p in sample_personas(DIST.model_copy(update={"age": (0, 1)}), 200, 0)]
    assert set(ages) == {0, 1}


def test_bad_distributions_are_refused() -> None:
    with pytest.raises(ValueError, match="traits_per_persona=5"):
        PersonaDistribution(names=("a",), traits=("x",), traits_per_persona=5)
    with pytest.raises(ValueError, match="one weight per occupation"):
        PersonaDistribution(names=("a",), occupations=("x", "y"), occupation_weights=(1.0,))
    with pytest.raises(ValueError, match="age"):
        PersonaDistribution(names=("a",), age=(30, 20))
