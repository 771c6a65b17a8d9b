"""The synthetic knowledge graph of Search Self-Play offline: a deterministic graph of
functional relations, the search tool and its call parser, multi-hop paths in both
spellings, answers, the solver's view, and fuzzing of the parsers."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redqueen.errors import InvalidParameterError
from redqueen.games.roles.knowledge_graph import (
    MAX_HOPS,
    RELATIONS,
    KnowledgeGraph,
    MultiHopFamily,
    Path,
    check_answer,
    parse_search_call,
)
from redqueen.games.roles.tasks import TaskError, TaskLimitError, TaskMathError, TaskSyntaxError

GRAPH = KnowledgeGraph(seed=0)
FAMILY = MultiHopFamily(GRAPH)


def test_the_graph_is_fixed_by_its_seed() -> None:
    again = KnowledgeGraph(seed=0)
    assert again.entities == GRAPH.entities and again.facts() == GRAPH.facts()
    other = KnowledgeGraph(seed=1)
    assert other.facts() != GRAPH.facts()
    assert len(GRAPH.entities) == 16 and len(set(GRAPH.entities)) == 16
    assert GRAPH.relations == RELATIONS[:4] == ("mentor", "rival", "neighbour", "sibling")
    assert all(re.fullmatch(r"[A-Z][a-z]{3,5}", e) for e in GRAPH.entities)


def test_every_relation_is_a_function_without_self_loops() -> None:
    graph = KnowledgeGraph(seed=5, num_entities=7, num_relations=3)
    facts = graph.facts()
    assert len(facts) == 7 * 3
    for entity in graph.entities:
        for relation in graph.relations:
            target = graph.follow(entity, relation)
            assert target in graph.entities and target != entity
            assert graph.fact(entity, relation) == f"The {relation} of {entity} is {target}."


def test_sizes_are_checked() -> None:
    with pytest.raises(InvalidParameterError, match=r"num_relations must be an integer in 1\.\.8"):
        KnowledgeGraph(num_relations=9)
    with pytest.raises(InvalidParameterError, match=r"num_entities must be an integer in 3\.\.200"):
        KnowledgeGraph(num_entities=2)
    with pytest.raises(InvalidParameterError, match="seed must be an integer >= 0"):
        KnowledgeGraph(seed=-1)


def test_the_search_tool() -> None:
    a = GRAPH.entities[0]
    mentor = GRAPH.follow(a, "mentor")
    assert GRAPH.search(a, "mentor") == f"The mentor of {a} is {mentor}."
    assert GRAPH.search(a.upper(), " Mentor ") == f"The mentor of {a} is {mentor}."
    assert GRAPH.search(a) == " ".join(GRAPH.fact(a, r) for r in GRAPH.relations)
    assert GRAPH.search("Nobody") == "No results for 'Nobody'."
    assert GRAPH.search(a, "uncle") == (
        f"No results for the relation 'uncle' of {a}; relations: mentor, rival, neighbour, sibling."
    )


@pytest.mark.parametrize(
    ("text", "call"),
    [
        ("search(Kalo, mentor)", ("Kalo", "mentor")),
        ("Let me look: SEARCH ( 'Kalo' , \"rival\" )", ("Kalo", "rival")),
        ("search(Kalo)", ("Kalo", None)),
        ("search(Kalo,)", ("Kalo", None)),
        ("search(A, b) then search(C, d)", ("C", "d")),  # the last call
        ("no call here", None),
        ("research(Kalo)", None),  # another word
    ],
)
def test_search_calls_are_read(text: str, call: tuple[str, str | None] | None) -> None:
    assert parse_search_call(text) == call


@pytest.mark.parametrize("text", ["search()", "search(, mentor)", "search(a, b, c)"])
def test_malformed_search_calls(text: str) -> None:
    with pytest.raises(TaskSyntaxError, match="search"):
        parse_search_call(text)


def test_paths_in_both_spellings() -> None:
    start = GRAPH.entities[2]
    path = Path(start, ("mentor", "rival"))
    end = GRAPH.follow(GRAPH.follow(start, "mentor"), "rival")
    assert path.text() == f"{start} | mentor | rival"
    assert path.question() == f"Who is the rival of the mentor of {start}?"
    for text in (
        path.text(),
        path.question(),
        f"the rival of the mentor of {start.lower()}",
        f"  {start} |MENTOR|  rival ",
        f"Which entity is the rival of the mentor of {start}?",
    ):
        assert FAMILY.parse_path(text) == path, text
        assert FAMILY.solve(text) == end
        assert FAMILY.operations(text) == 2
    assert FAMILY.is_trivial(start) and not FAMILY.is_trivial(path.text())
    assert Path(start, ()).question() == f"Who is {start}?"


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("Nobody | mentor", TaskMathError, "'Nobody', which is not in the graph"),
        (f"{GRAPH.entities[0]} | uncle", TaskMathError, "'uncle', which is not a relation"),
        (f"{GRAPH.entities[0]} | | mentor", TaskSyntaxError, "is not a path"),
        ("| mentor", TaskSyntaxError, "is not a path"),
        (f"{GRAPH.entities[0]}" + " | mentor" * (MAX_HOPS + 1), TaskLimitError, "11 hops"),
        ("x" * 2001, TaskLimitError, "2001 characters"),
    ],
)
def test_bad_paths(text: str, error: type[TaskError], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        FAMILY.solve(text)


def test_answers_are_entity_names_in_any_case() -> None:
    start = GRAPH.entities[1]
    end = GRAPH.follow(start, "sibling")
    task = f"{start} | sibling"
    assert FAMILY.parse_answer(f"\\boxed{{{end.lower()}}}") == end
    assert FAMILY.parse_answer(f"<answer> The {end} </answer>") == end
    assert FAMILY.parse_answer("Zzyzx") == "Zzyzx"  # read, and simply wrong
    with pytest.raises(TaskSyntaxError, match="is not an entity name"):
        FAMILY.parse_answer("\\boxed{?!}")
    assert check_answer(GRAPH, task, f"so it is \\boxed{{{end.upper()}}}")
    others = [e for e in GRAPH.entities if e != end]
    assert not check_answer(GRAPH, task, f"\\boxed{{{others[0]}}}")
    assert not check_answer(GRAPH, task, "\\boxed{}")
    assert not check_answer(GRAPH, "Nobody | mentor", f"\\boxed{{{end}}}")


def test_generated_paths_have_difficulty_hops() -> None:
    for hops in range(1, MAX_HOPS + 1):
        for seed in range(5):
            text, answer = FAMILY.generate(hops, np.random.default_rng(seed))
            assert FAMILY.generate(hops, np.random.default_rng(seed)) == (text, answer)
            assert FAMILY.operations(text) == hops == text.count("|")
            assert FAMILY.solve(text) == answer == GRAPH.end(FAMILY.parse_path(text))
    with pytest.raises(InvalidParameterError, match=r"difficulty must be in 1\.\.10"):
        FAMILY.generate(11, np.random.default_rng(0))


def test_the_solver_view_holds_the_facts_along_the_path() -> None:
    text, _ = FAMILY.generate(3, np.random.default_rng(4))
    path = FAMILY.parse_path(text)
    view = FAMILY.view(text)
    lines = view.splitlines()
    assert lines[0] == path.question() and lines[1] == "Search results:"
    facts = [line.removeprefix("- ") for line in lines[2:]]
    entity = path.start
    for relation in path.relations:  # every hop can be read off the results
        assert GRAPH.fact(entity, relation) in facts
        entity = GRAPH.follow(entity, relation)
    assert len(facts) == len(set(facts)) <= 4 * 4
    assert FAMILY.view(text) == view  # the shuffle is fixed by the task
    assert facts != sorted(facts) or len(facts) < 3


def test_distractors_are_other_entities() -> None:
    end = GRAPH.entities[3]
    wrong = FAMILY.distractors(end, 15, np.random.default_rng(0))
    assert sorted(wrong) == sorted(e for e in GRAPH.entities if e != end)
    with pytest.raises(InvalidParameterError, match="only 15 other entities"):
        FAMILY.distractors(end, 16, np.random.default_rng(0))


FUZZ = settings(
    deadline=timedelta(milliseconds=500),
    max_examples=200,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
NEAR = "".join(GRAPH.entities[:3]) + "|(), ?" + "".join(GRAPH.relations) + " search of the who is"


@FUZZ
@given(st.one_of(st.text(max_size=300), st.text(alphabet=NEAR, max_size=300)))
def test_parsers_return_or_raise_task_errors(text: str) -> None:
    for call in (
        lambda: FAMILY.solve(text),
        lambda: FAMILY.parse_answer(text),
        lambda: parse_search_call(text),
    ):
        try:
            call()
        except TaskError as err:
            assert str(err)


@pytest.mark.parametrize(
    "text",
    [
        "search(" + " " * 49_000,
        "search(" * 7000,
        " of" * 600,
        "|" * 1999,
        "search(" + "a" * 300 + ")",
    ],
)
def test_adversarial_text_fails_fast(text: str) -> None:
    for call in (
        lambda: FAMILY.solve(text),
        lambda: FAMILY.parse_answer(text),
        lambda: parse_search_call(text),
    ):
        start = time.perf_counter()
        with contextlib.suppress(TaskError):
            call()
        assert time.perf_counter() - start < 0.5
    with pytest.raises(TaskLimitError, match="at most 50000"):
        parse_search_call("x" * 50_001)
