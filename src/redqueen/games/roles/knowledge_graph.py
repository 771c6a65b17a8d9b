"""A synthetic knowledge graph with a deterministic search tool: Search Self-Play offline.

Search Self-Play (SSP, arXiv 2510.18821; Alibaba-Quark/SSP) trains one policy as a
proposer, which searches the web and writes a multi-hop question with its ground truth,
and as a solver, which searches and answers. Its verifier is an LLM judge and its search
tool a dense retriever over Wikipedia. Here both are replaced by things redqueen can check
exactly, following the offline design of ``roles.md`` §5.3:

- :class:`KnowledgeGraph`: ``num_entities`` entities with made-up names and
  ``num_relations`` relations (``mentor``, ``rival``, ...), built from a seed. Every
  relation is a function: each entity has exactly one ``mentor``, one ``rival``, and so
  on, never itself. So a path of relations from an entity always ends at one entity.
- The search tool :meth:`KnowledgeGraph.search`: ``search(Kalo, mentor)`` returns the one
  fact ``The mentor of Kalo is Vesumi.``; ``search(Kalo)`` returns every fact about Kalo
  (what a retriever returns for an entity's page). :func:`parse_search_call` reads such a
  call from text.
- :class:`MultiHopFamily`, the ``multi_hop`` task family: a task is a path,
  ``Kalo | mentor | rival`` (or in words, ``the rival of the mentor of Kalo``), shown to a
  solver as ``Who is the rival of the mentor of Kalo?``; the answer is the entity at the
  end. Difficulty is the number of hops. Answers are compared after
  :func:`~redqueen.games.roles.tasks.normalise_name` (case, spaces and punctuation do not
  count): SSP's judge becomes exact match after normalisation.

Where this deviates from SSP: the proposer chooses a path instead of writing a question
after its own searches (so SSP's check that the question used at least two distinct
search terms is not applied), and the "RAG filter" (the question must be answerable from
the proposer's retrieved documents) is exact: the path must exist in the graph. When a
solver chooses among answers (the structured ``proposer_solver`` game) it is shown the
facts a search returns for every entity on the path, shuffled, instead of searching
itself (:meth:`MultiHopFamily.view`); in the text variant it calls the tool.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from redqueen.errors import InvalidParameterError
from redqueen.games.roles.tasks import (
    DEFAULT_LIMITS,
    Answer,
    Limits,
    TaskError,
    TaskFamily,
    TaskLimitError,
    TaskMathError,
    TaskSyntaxError,
    check_difficulty,
    extract_answer,
    normalise_name,
)

RELATIONS = ("mentor", "rival", "neighbour", "sibling", "teacher", "partner", "patron", "student")
"""Relation names, the first ``num_relations`` of which a graph uses."""
MAX_HOPS = 10
"""The longest path a task may follow."""

_ONSETS = ("b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z")
_VOWELS = ("a", "e", "i", "o", "u")
_CALL = re.compile(r"\bsearch\(([^()]{0,200})\)", re.IGNORECASE)
_QUESTION_START = re.compile(r"(?:who|what|which\s+entity)\s+is\s+", re.IGNORECASE)


@dataclass(frozen=True)
class Path:
    """A start entity and the relations followed from it, in order."""

    start: str
    relations: tuple[str, ...]

    def text(self) -> str:
        """The task text: ``Kalo | mentor | rival``."""
        return " | ".join([self.start, *self.relations])

    def question(self) -> str:
        """``Who is the rival of the mentor of Kalo?``"""
        if not self.relations:
            return f"Who is {self.start}?"
        chain = " of ".join(f"the {r}" for r in reversed(self.relations))
        return f"Who is {chain} of {self.start}?"


class KnowledgeGraph:
    """Entities, functional relations and a deterministic search tool, all from ``seed``."""

    def __init__(self, seed: int = 0, num_entities: int = 16, num_relations: int = 4) -> None:
        for name, value, low, high in (
            ("num_entities", num_entities, 3, 200),
            ("num_relations", num_relations, 1, len(RELATIONS)),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidParameterError(
                    f"{name} must be an integer in {low}..{high}; got {value!r}"
                )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InvalidParameterError(f"seed must be an integer >= 0; got {seed!r}")
        self.seed = seed
        rng = np.random.default_rng([seed, 0x6B67])
        self.entities = _names(rng, num_entities)
        self.relations = RELATIONS[:num_relations]
        self._by_name = {normalise_name(e): e for e in self.entities}
        self._edges: dict[tuple[str, str], str] = {}
        for entity in self.entities:
            others = [e for e in self.entities if e != entity]
            for relation in self.relations:
                self._edges[entity, relation] = others[int(rng.integers(len(others)))]

    def entity(self, name: str) -> str | None:
        """The entity called ``name`` (compared after normalisation), or None."""
        return self._by_name.get(normalise_name(name))

    def relation(self, name: str) -> str | None:
        wanted = normalise_name(name)
        return next((r for r in self.relations if normalise_name(r) == wanted), None)

    def follow(self, entity: str, relation: str) -> str:
        """The ``relation`` of ``entity`` (both as the graph spells them)."""
        return self._edges[entity, relation]

    def end(self, path: Path) -> str:
        entity = path.start
        for relation in path.relations:
            entity = self.follow(entity, relation)
        return entity

    def fact(self, entity: str, relation: str) -> str:
        return f"The {relation} of {entity} is {self.follow(entity, relation)}."

    def facts(self) -> list[str]:
        """Every fact of the graph, entity by entity."""
        return [self.fact(e, r) for e in self.entities for r in self.relations]

    def search(self, entity: str, relation: str | None = None) -> str:
        """The search tool: the fact ``relation`` of ``entity``, or every fact about
        ``entity``; a line saying nothing was found for unknown names. Never raises."""
        found = self.entity(entity)
        if found is None:
            return f"No results for {entity.strip()[:40]!r}."
        if relation is None:
            return " ".join(self.fact(found, r) for r in self.relations)
        rel = self.relation(relation)
        if rel is None:
            return (
                f"No results for the relation {relation.strip()[:40]!r} of {found}; relations: "
                + ", ".join(self.relations)
                + "."
            )
        return self.fact(found, rel)

    def random_path(self, hops: int, rng: np.random.Generator) -> Path:
        start = self.entities[int(rng.integers(len(self.entities)))]
        relations = tuple(
            self.relations[int(rng.integers(len(self.relations)))] for _ in range(hops)
        )
        return Path(start, relations)


def _names(rng: np.random.Generator, count: int) -> tuple[str, ...]:
    """``count`` distinct pronounceable names of two or three syllables."""
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        syllables = 2 + int(rng.integers(2))
        name = "".join(
            _ONSETS[int(rng.integers(len(_ONSETS)))] + _VOWELS[int(rng.integers(len(_VOWELS)))]
            for _ in range(syllables)
        ).capitalize()
        if name not in seen:
            seen.add(name)
            names.append(name)
    return tuple(names)


def parse_search_call(text: str, limits: Limits = DEFAULT_LIMITS) -> tuple[str, str | None] | None:
    """``(entity, relation or None)`` if ``text`` (after an optional box or answer tag) is a
    call ``search(entity, relation)`` or ``search(entity)``; None if it is no call."""
    if len(text) > limits.max_reply_chars:
        raise TaskLimitError(
            f"a reply of {len(text)} characters; at most {limits.max_reply_chars} are allowed"
        )
    calls = list(_CALL.finditer(re.sub(r"\bsearch\s+\(", "search(", text, flags=re.IGNORECASE)))
    if not calls:
        return None
    args = [a.strip().strip("'\"").strip() for a in calls[-1][1].split(",")]
    if len(args) > 2 or not args[0]:
        raise TaskSyntaxError(
            f"{calls[-1][0][:60]!r} is not a search call; write search(entity) or "
            "search(entity, relation)"
        )
    return args[0], (args[1] or None) if len(args) == 2 else None


class MultiHopFamily(TaskFamily):
    """Paths in a :class:`KnowledgeGraph`; the answer is the entity at the end."""

    name = "multi_hop"

    def __init__(self, graph: KnowledgeGraph, limits: Limits = DEFAULT_LIMITS) -> None:
        super().__init__(limits)
        self.graph = graph
        start, (first, second) = graph.entities[0], (graph.relations * 2)[:2]
        self.grammar = (
            f"multi_hop: a path in the knowledge graph, written '{start} | {first} | {second}' "
            f"or 'the {second} of the {first} of {start}': start at an entity and follow "
            f"relations in order. Relations: {', '.join(graph.relations)}. The answer is the "
            "entity reached, by name. The tool search(entity, relation) returns one fact and "
            "search(entity) every fact about an entity."
        )

    def parse_path(self, task: str) -> Path:
        """A path from ``a | r1 | r2`` or ``(who is) the r2 of the r1 of a(?)``."""
        if not isinstance(task, str):
            raise TaskSyntaxError(f"multi_hop task must be a string; got {type(task).__name__}")
        if len(task) > self.limits.max_chars:
            raise TaskLimitError(
                f"multi_hop task is {len(task)} characters long; at most "
                f"{self.limits.max_chars} are allowed"
            )
        text = task.strip()
        if "|" in text:
            parts = [p.strip() for p in text.split("|")]
            start, relations = parts[0], parts[1:]
        else:
            words = text.rstrip("?").strip()
            opening = _QUESTION_START.match(words)
            words = words[opening.end() :] if opening else words
            parts = [p.strip() for p in re.split(r"\s+of\s+", words, flags=re.IGNORECASE)]
            start = parts[-1]
            relations = [
                re.sub(r"^the\s+", "", p, flags=re.IGNORECASE) for p in reversed(parts[:-1])
            ]
        if len(relations) > MAX_HOPS:
            raise TaskLimitError(f"multi_hop task has {len(relations)} hops; at most {MAX_HOPS}")
        if not start or any(not r for r in relations):
            raise TaskSyntaxError(
                f"multi_hop task {task[:60]!r} is not a path; write 'Kalo | mentor | rival' or "
                "'the rival of the mentor of Kalo'"
            )
        entity = self.graph.entity(start)
        if entity is None:
            raise TaskMathError(
                f"multi_hop task starts at {start[:40]!r}, which is not in the graph; entities: "
                + ", ".join(self.graph.entities)
            )
        known = []
        for relation in relations:
            found = self.graph.relation(relation)
            if found is None:
                raise TaskMathError(
                    f"multi_hop task follows {relation[:40]!r}, which is not a relation of the "
                    f"graph; relations: {', '.join(self.graph.relations)}"
                )
            known.append(found)
        return Path(entity, tuple(known))

    def solve(self, task: str) -> Answer:
        return self.graph.end(self.parse_path(task))

    def is_trivial(self, task: str) -> bool:
        return not self.parse_path(task).relations

    def operations(self, task: str) -> int:
        """The number of hops."""
        return len(self.parse_path(task).relations)

    def parse_answer(self, text: str) -> Answer:
        """An entity name (any case and spacing); names not in the graph are read too
        (they are simply wrong)."""
        value = extract_answer(text, self.limits)
        value = re.sub(r"^the\s+", "", value.strip(), flags=re.IGNORECASE)
        if not normalise_name(value) or len(value) > 60:
            raise TaskSyntaxError(f"answer {value[:60]!r} is not an entity name")
        found = self.graph.entity(value)
        return found if found is not None else value

    def generate(self, difficulty: int, rng: np.random.Generator) -> tuple[str, Answer]:
        """A uniformly random path of ``difficulty`` hops (start and relations uniform)."""
        hops = check_difficulty(difficulty, MAX_HOPS)
        path = self.graph.random_path(hops, rng)
        return path.text(), self.graph.end(path)

    def view(self, task: str) -> str:
        """The question and, shuffled, the facts that searching every entity on the path
        returns (the path's own facts among the others), so that it can be answered
        without the tool; the shuffle is fixed by the task."""
        path = self.parse_path(task)
        entities = [path.start]
        for relation in path.relations:
            entities.append(self.graph.follow(entities[-1], relation))
        facts = sorted({self.graph.fact(e, r) for e in entities for r in self.graph.relations})
        order = np.random.default_rng([self.graph.seed, len(task), *map(ord, task[:64])])
        shuffled = [facts[i] for i in order.permutation(len(facts))]
        return path.question() + "\nSearch results:\n" + "\n".join(f"- {f}" for f in shuffled)

    def distractors(self, answer: Answer, count: int, rng: np.random.Generator) -> list[Answer]:
        """Other entities, uniformly without replacement."""
        others = [e for e in self.graph.entities if not isinstance(answer, str) or e != answer]
        if count > len(others):
            raise InvalidParameterError(
                f"multi_hop: {count} wrong choices asked for, but the graph has only "
                f"{len(others)} other entities"
            )
        return [others[int(i)] for i in rng.choice(len(others), size=count, replace=False)]


def check_answer(graph: KnowledgeGraph, task: str, reply: str) -> bool:
    """Whether ``reply`` names the entity at the end of ``task``'s path (False for any
    reply that names no entity)."""
    family = MultiHopFamily(graph)
    try:
        return normalise_name(str(family.parse_answer(reply))) == normalise_name(
            str(family.solve(task))
        )
    except TaskError:
        return False
