"""Judges: who decides the outcome of a role game whose moves no rule can score exactly.

In the self-improvement role games one seat writes (a jailbreak, a question, a proof
step) and another answers; what the moves *mean* -- is this prompt harmful, is this
answer a refusal, how good is this question -- is decided by a judge. Self-RedTeam asks
WildGuard three yes/no questions (Liu et al. 2025, arXiv:2506.07468), Multi-Agent Evolve
asks the model itself for a 1-10 score (arXiv:2510.23595). This module is the one place
those questions are put, so a game names *what* it asks and a recipe chooses *who*
answers:

- A game builds a :class:`JudgeRequest`: the passages to read (``prompt``, ``response``,
  ...), a rubric, and :class:`Question` s, each about one passage, each with its allowed
  answers (``"n/a"`` among them means the judge may decline, as WildGuard does when there
  is no response), and optionally a score range.
- A :class:`Judge` answers with a :class:`Verdict`: the label chosen for each question
  (``None`` where the judge declined), the score, whether the reply could be read at all,
  and the judge's name, so that a game records who decided each outcome.
- A reply that cannot be read is a verdict with ``valid=False``, never an exception: the
  game then applies the paper's rule for it (Self-RedTeam drops such games as ties). A
  judge that cannot be reached at all raises, loudly.

Judges are built by name, like games and agents: ``make_judge("harm_language")`` or
``make_judge({"kind": "llm", "model": ..., "base_url": ...})``. The rule judges here are
pure functions of the request, for tests and offline runs:

- ``fixed``: the same labels for every request (ablations, tests);
- ``keywords``: a question is answered "yes" when the passage it is about contains one of
  its words (whole words, any case) or starts with one of its phrases, "no" otherwise,
  and "n/a" (when allowed) for an empty passage;
- ``harm_language``: ``keywords`` with the lexicon of :mod:`redqueen.games.roles.red_team`.
- ``preference_rubric`` and ``preference_cycle``: the probability that one response to
  a prompt is better than another, by a rubric (and an intransitive taste in lengths), for
  :mod:`redqueen.games.roles.preference_text`.

The LLM judge (``llm``, :class:`redqueen.agents.llm.judge.LLMJudge`) lives in the agents
layer with the other LLM machinery and is registered by ``redqueen/__init__.py``, so that
the games layer never imports it.
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError

NOT_APPLICABLE = "n/a"
"""The answer with which a judge declines a question; it becomes a missing label."""

_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class Question:
    """One question for the judge, about one passage of the request."""

    name: str
    """A short identifier (lower case, digits, ``_``): the key of the answer."""
    about: str
    """The name of the passage the question is about."""
    text: str
    """The question as a person would ask it."""
    choices: tuple[str, ...] = ("yes", "no")
    """The allowed answers; ``"n/a"`` among them lets the judge decline."""

    def __post_init__(self) -> None:
        for what, value in (("name", self.name), ("about", self.about)):
            if not _NAME.fullmatch(value):
                raise InvalidParameterError(
                    f"question {what} {value!r} must be lower-case letters, digits and _ "
                    "(at most 40, starting with a letter)"
                )
        if len(self.choices) < 2 or len(set(self.choices)) != len(self.choices):
            raise InvalidParameterError(
                f"question {self.name!r} needs at least two distinct choices; got {self.choices}"
            )
        if any(not c or c != c.strip().lower() or "," in c for c in self.choices):
            raise InvalidParameterError(
                f"the choices of question {self.name!r} must be lower-case words without "
                f"commas; got {self.choices}"
            )


@dataclass(frozen=True)
class JudgeRequest:
    """What a game asks its judge: passages to read, a rubric and questions."""

    rubric: str
    """What the judge is and what it looks for, in a few sentences."""
    passages: tuple[tuple[str, str], ...]
    """``(name, text)`` pairs, e.g. ``(("prompt", ...), ("response", ...))``."""
    questions: tuple[Question, ...]
    score: tuple[float, float] | None = None
    """When set, the judge also gives a score in this closed range."""

    def __post_init__(self) -> None:
        names = [n for n, _ in self.passages]
        if len(set(names)) != len(names):
            raise InvalidParameterError(f"passage names repeat: {names}")
        for name in names:
            if not _NAME.fullmatch(name):
                raise InvalidParameterError(
                    f"passage name {name!r} must be lower-case letters, digits and _"
                )
        asked = [q.name for q in self.questions]
        if len(set(asked)) != len(asked):
            raise InvalidParameterError(f"question names repeat: {asked}")
        for q in self.questions:
            if q.about not in names:
                raise UnknownNameError(f"passage of question {q.name!r}", q.about, names)
        if not self.questions and self.score is None:
            raise InvalidParameterError("a judge request needs questions or a score range")
        if self.score is not None and not self.score[0] < self.score[1]:
            raise InvalidParameterError(
                f"score range must be (low, high), low < high: {self.score}"
            )

    def passage(self, name: str) -> str:
        for n, text in self.passages:
            if n == name:
                return text
        raise UnknownNameError("passage", name, [n for n, _ in self.passages])


@dataclass(frozen=True)
class Verdict:
    """A judge's answer to one request."""

    labels: Mapping[str, str | None]
    """Question name -> the chosen answer; ``None`` where the judge declined ("n/a")."""
    judge: str
    """Which judge decided (its name, e.g. ``harm_language`` or ``llm:gpt-4o-mini``)."""
    valid: bool = True
    """False when the judge's reply could not be read; its labels are then empty."""
    score: float | None = None
    problem: str = ""
    """Why the verdict is invalid (empty when it is valid)."""
    reply: str = field(default="", compare=False)
    """The judge's reply as written (LLM judges), for transcripts and debugging."""

    def label(self, question: str) -> str | None:
        """The answer to ``question``; None when missing, declined or invalid."""
        return self.labels.get(question) if self.valid else None


def invalid_verdict(judge: str, problem: str, reply: str = "") -> Verdict:
    """A verdict saying that ``judge``'s reply could not be read, and why."""
    return Verdict(labels={}, judge=judge, valid=False, problem=problem, reply=reply)


@runtime_checkable
class Judge(Protocol):
    """Anything with a ``name`` that turns a :class:`JudgeRequest` into a :class:`Verdict`.

    ``judge`` never raises for a reply it cannot read (it returns an invalid verdict); it
    raises only when it cannot answer at all (an LLM endpoint that is down)."""

    @property
    def name(self) -> str: ...

    def judge(self, request: JudgeRequest) -> Verdict: ...


# ---- rule judges --------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9']+")


def words_of(text: str) -> set[str]:
    """The lower-case words of ``text`` (letters, digits and apostrophes)."""
    return set(_WORD.findall(text.lower()))


def starts_with_phrase(text: str, phrase: str) -> bool:
    """Whether ``text`` begins with ``phrase``, ignoring case and leading whitespace."""
    return " ".join(text.lower().split()).startswith(" ".join(phrase.lower().split()))


class FixedJudge:
    """Answers every request with the same labels (and score); questions it was not given
    a label for are declined. ``valid=False`` makes every verdict unreadable."""

    def __init__(
        self,
        labels: Mapping[str, str | None] | None = None,
        score: float | None = None,
        valid: bool = True,
        name: str = "fixed",
    ) -> None:
        self.labels = dict(labels or {})
        self.score = None if score is None else float(score)
        self.valid = bool(valid)
        self._name = str(name)

    @property
    def name(self) -> str:
        return self._name

    def judge(self, request: JudgeRequest) -> Verdict:
        if not self.valid:
            return invalid_verdict(self.name, "the fixed judge is set to give invalid verdicts")
        labels = {q.name: self.labels.get(q.name) for q in request.questions}
        return Verdict(labels=labels, judge=self.name, score=self.score)


class KeywordJudge:
    """A question is answered "yes" when the passage it is about contains one of
    ``words[question]`` (whole words, any case) or starts with one of
    ``phrases[question]``, and "no" otherwise; an empty passage gets "n/a" when the
    question allows it. A question with no rule, or without "yes" and "no" among its
    choices, makes the verdict invalid (the judge cannot answer it)."""

    def __init__(
        self,
        words: Mapping[str, Sequence[str]] | None = None,
        phrases: Mapping[str, Sequence[str]] | None = None,
        name: str = "keywords",
    ) -> None:
        self.words = {q: frozenset(w.lower() for w in ws) for q, ws in (words or {}).items()}
        self.phrases = {q: tuple(ps) for q, ps in (phrases or {}).items()}
        if not self.words and not self.phrases:
            raise InvalidParameterError("a keyword judge needs words or phrases for a question")
        self._name = str(name)

    @property
    def name(self) -> str:
        return self._name

    def answer(self, question: Question, passage: str) -> str | None:
        """The label for one question about ``passage`` (None: declined)."""
        if not passage.strip() and NOT_APPLICABLE in question.choices:
            return None
        hit = bool(self.words.get(question.name, frozenset()) & words_of(passage)) or any(
            starts_with_phrase(passage, p) for p in self.phrases.get(question.name, ())
        )
        return "yes" if hit else "no"

    def judge(self, request: JudgeRequest) -> Verdict:
        labels: dict[str, str | None] = {}
        for q in request.questions:
            if q.name not in self.words and q.name not in self.phrases:
                return invalid_verdict(self.name, f"no rule for the question {q.name!r}")
            if "yes" not in q.choices or "no" not in q.choices:
                return invalid_verdict(
                    self.name, f"question {q.name!r} is not a yes/no question: {q.choices}"
                )
            labels[q.name] = self.answer(q, request.passage(q.about))
        if request.score is not None:
            return invalid_verdict(self.name, "a keyword judge gives no scores")
        return Verdict(labels=labels, judge=self.name)


# ---- the registry -------------------------------------------------------------------

JudgeFactory = Callable[..., Judge]

_REGISTRY: dict[str, str | JudgeFactory] = {
    "fixed": "redqueen.games.roles.judges:FixedJudge",
    "keywords": "redqueen.games.roles.judges:KeywordJudge",
    "harm_language": "redqueen.games.roles.red_team:harm_language_judge",
    "preference_rubric": "redqueen.games.roles.preference_text:preference_rubric_judge",
    "preference_cycle": "redqueen.games.roles.preference_text:preference_cycle_judge",
    # "llm" (redqueen.agents.llm.judge:LLMJudge) is registered by redqueen/__init__.py, so
    # that the games layer never names the agents layer.
}


def register_judge(kind: str, factory: JudgeFactory | str) -> None:
    """Register ``factory`` (a callable taking keyword parameters, or a
    ``"module:attribute"`` string imported on first use) as the judge kind ``kind``."""
    if not isinstance(kind, str) or not kind:
        raise InvalidParameterError(f"a judge kind is a non-empty string; got {kind!r}")
    if kind in _REGISTRY:
        raise RedqueenError(f"a judge kind is already registered as {kind!r}")
    _REGISTRY[kind] = factory


def judge_kinds() -> list[str]:
    """Every registered judge kind, sorted."""
    return sorted(_REGISTRY)


def _factory(kind: str) -> JudgeFactory:
    if kind not in _REGISTRY:
        raise UnknownNameError("judge", kind, _REGISTRY)
    target = _REGISTRY[kind]
    if callable(target):
        return target
    module, _, attr = target.partition(":")
    factory: JudgeFactory = getattr(importlib.import_module(module), attr)
    return factory


def make_judge(spec: str | Mapping[str, Any] | Judge) -> Judge:
    """The judge ``spec`` names: a kind (``"harm_language"``), a mapping
    ``{"kind": ..., **params}``, or a judge already built (returned as it is)."""
    if isinstance(spec, str):
        kind, params = spec, {}
    elif isinstance(spec, Mapping):
        params = dict(spec)
        kind = params.pop("kind", None)
        if not isinstance(kind, str):
            raise InvalidParameterError(
                f"a judge given as a mapping needs a 'kind' (one of {', '.join(judge_kinds())}); "
                f"got {dict(spec)!r}"
            )
    elif isinstance(spec, Judge):
        return spec
    else:
        raise InvalidParameterError(
            f"a judge is a kind name, a mapping with a 'kind', or a Judge; got {spec!r}"
        )
    factory = _factory(kind)
    allowed = [
        n
        for n, p in inspect.signature(factory).parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    for name in params:
        if name not in allowed:
            raise UnknownNameError(f"parameter of judge {kind!r}", name, allowed)
    return factory(**params)


def judge_label(spec: str | Mapping[str, Any] | Judge) -> str | dict[str, Any]:
    """How a game records its judge among its parameters: the kind or mapping as given, or
    the name of a judge object."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, Mapping):
        return dict(spec)
    return make_judge(spec).name
