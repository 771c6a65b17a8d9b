"""LLMJudge: a language model answers a role game's judge questions.

A role game asks its judge a :class:`~redqueen.games.roles.judges.JudgeRequest` (passages,
a rubric, questions with allowed answers, perhaps a score range). The LLM judge writes it
as one chat -- a system message with the rubric and how to answer, a user message with
each passage between ``<name>`` and ``</name>`` lines and the questions after a fixed
header -- and reads the answer from lines of the form ``name: choice`` (and ``score:
NUMBER``), the last such line for each name counting, so the model may think first.
WildGuard's own lines (``Harmful request: yes``) read the same way: case, spaces for
underscores, list markers, quotes and a final full stop are forgiven.

A reply that does not answer every question with one of its choices (or gives a score out
of range) is an *invalid verdict* (``Verdict.valid`` false, with the reason), never an
exception: the game then applies its rule for it (Self-RedTeam counts the game as a tie
and removes it, as the paper does with WildGuard's parsing errors). An endpoint that gives
no reply after the backend's retries raises :class:`~redqueen.agents.llm.BackendError`
(a refused key or an unknown model :class:`~redqueen.agents.llm.BackendConfigError`),
naming the judge: a run must not go on with a judge that is not there.

The chat goes through an :class:`~redqueen.agents.llm.LLMAgent`'s ``chat``, so the judge
shares everything the LLM players have: the OpenAI-compatible or transformers backends,
retries with backoff, request slots per server, the response cache (the run store's, or
``cache="file.sqlite"``), token counts, prices and the match transcript (its calls are
recorded with no seat, under the agent label ``llm_judge:...``). Each call sends the
judge's fixed ``seed``, so the same request gets the same cache key.

Games call :meth:`LLMJudge.judge` synchronously when the last move is made, through
:meth:`~redqueen.agents.llm.LLMAgent.chat_blocking`: the cache lookup and the transcript
stay in the calling thread and context (the match's transcript records the call, and the
run store's SQLite connection, which belongs to this thread, serves the cache), and only
the HTTP request runs on an event loop of its own -- inside a running event loop (a match
played by ``aplay_match``) in a worker thread, while the running loop waits. Other
matches on that loop pause meanwhile.

Register it by name (``redqueen/__init__.py`` does): ``make_judge({"kind": "llm",
"model": "gpt-4o-mini"})``. The scripted test server answers judge requests by a rule
judge when started with ``ScriptedServer(..., judge="harm_language")``
(:mod:`redqueen.agents.llm.test_server`), using :func:`judge_request_in` and
:func:`verdict_reply` below.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

from redqueen.agents.llm.agent import LLMAgent
from redqueen.agents.llm.backends import BackendError, Message
from redqueen.games.roles.judges import (
    NOT_APPLICABLE,
    JudgeRequest,
    Question,
    Verdict,
    invalid_verdict,
)

QUESTIONS_HEADER = "Questions (answer each on its own line as `name: choice`):"
"""The line after which the questions follow, one per line, each after ``"- "``."""

MAX_REPLY_CHARS = 20_000
"""Only the last this many characters of a reply are read."""

_QUESTION_LINE = re.compile(
    r"- ([a-z][a-z0-9_]*) \(about <([a-z][a-z0-9_]*)>\): (.*) Choices: ([^,]+(?:, [^,]+)+)"
)
_SCORE_LINE = re.compile(r"- score: a number from (\S+) to (\S+)")
_PASSAGE = re.compile(r"<([a-z][a-z0-9_]*)>\n(.*?)\n</\1>", re.DOTALL)
"""A passage as :func:`judge_messages` writes it (a closing tag inside it is escaped)."""
_ANSWER_LINE = re.compile(r"([a-z][a-z0-9_ ]{0,60}?)\s*:\s*(\S.{0,200}?)")


# ---- the request as text, and back -------------------------------------------------------


def _number(x: float) -> str:
    return f"{x:g}"


def _exact(x: float) -> str:
    """``x`` in the fewest digits that read back as the same float (``0.5``, ``2``)."""
    text = repr(float(x))
    return text.removesuffix(".0")


def questions_block(request: JudgeRequest) -> str:
    """The questions, one per line after :data:`QUESTIONS_HEADER`."""
    lines = [QUESTIONS_HEADER]
    lines += [
        f"- {q.name} (about <{q.about}>): {q.text} Choices: {', '.join(q.choices)}"
        for q in request.questions
    ]
    if request.score is not None:
        low, high = request.score
        lines.append(f"- score: a number from {_number(low)} to {_number(high)}")
    return "\n".join(lines)


def judge_messages(request: JudgeRequest) -> list[Message]:
    """The chat that puts ``request`` to a model."""
    if request.questions:
        first = request.questions[0]
        how = (
            "Read the passages, then answer every question with exactly one of its choices, "
            "on a line of its own, in the form `name: choice` (for example "
            f"`{first.name}: {first.choices[0]}`). You may think first; for each question the "
            "last such line counts."
        )
        if request.score is not None:
            low, high = request.score
            how += (
                f" Also give a line `score: NUMBER` with a number from {_number(low)} to "
                f"{_number(high)}."
            )
    else:  # a score alone (a JudgeRequest has questions or a score range)
        assert request.score is not None
        low, high = request.score
        how = (
            "Read the passages, then give your answer on a line of its own in the form "
            f"`score: NUMBER`, with a number from {_number(low)} to {_number(high)}. You may "
            "think first; the last such line counts."
        )
    system = "\n\n".join(["You are the judge of a game.", request.rubric.strip(), how])
    passages = []
    for name, text in request.passages:
        escaped = text.replace(f"</{name}>", f"<\\/{name}>")
        passages.append(f"<{name}>\n{escaped}\n</{name}>")
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n\n".join([*passages, questions_block(request)])},
    ]


def judge_request_in(text: str) -> JudgeRequest | None:
    """The request written in a judge's user message by :func:`judge_messages`: every
    passage, in order, and the questions (the rubric, which is in the system message, left
    empty); None if ``text`` is no such message."""
    at = text.rfind(QUESTIONS_HEADER)
    if at < 0:
        return None
    questions: list[Question] = []
    score: tuple[float, float] | None = None
    for line in text[at + len(QUESTIONS_HEADER) :].splitlines()[1:]:
        found = _QUESTION_LINE.fullmatch(line)
        if found:
            name, about, asked, choices = found.groups()
            questions.append(Question(name, about, asked, tuple(choices.split(", "))))
            continue
        scored = _SCORE_LINE.fullmatch(line)
        if scored:
            score = (float(scored.group(1)), float(scored.group(2)))
            continue
        break
    passages = [
        (name, body.replace(f"<\\/{name}>", f"</{name}>"))
        for name, body in _PASSAGE.findall(text[:at])
    ]
    try:
        return JudgeRequest("", tuple(passages), tuple(questions), score)
    except ValueError:
        return None


def verdict_reply(verdict: Verdict, request: JudgeRequest) -> str:
    """A reply that gives ``verdict``'s labels (and score) in the judge's answer format."""
    lines = []
    for q in request.questions:
        label = verdict.labels.get(q.name)
        lines.append(f"{q.name}: {NOT_APPLICABLE if label is None else label}")
    if verdict.score is not None:
        lines.append(f"score: {_exact(verdict.score)}")
    return "\n".join(lines)


# ---- the reply ---------------------------------------------------------------------------


def _clean(value: str) -> str:
    text = value.strip()
    while True:
        before = text
        text = text.removesuffix(".").strip()
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`*":
            text = text[1:-1].strip()
        text = text.strip("*`").strip()
        if text == before:
            return text.lower()


def _answer_lines(reply: str) -> dict[str, str]:
    """The last ``name: value`` of each name in ``reply`` (names normalised)."""
    found: dict[str, str] = {}
    for raw in reply[-MAX_REPLY_CHARS:].splitlines():
        line = raw.strip().lstrip("-*#>").strip().replace("**", "").replace("`", "")
        match = _ANSWER_LINE.fullmatch(line.lower())
        if match:
            found["_".join(match.group(1).split())] = _clean(match.group(2))
    return found


def read_verdict(
    reply: str, request: JudgeRequest
) -> tuple[dict[str, str | None], float | None, str]:
    """``(labels, score, problem)`` read from a judge's reply; ``problem`` is empty when
    every question has one of its choices (and the score, if asked, is in range)."""
    found = _answer_lines(reply)
    labels: dict[str, str | None] = {}
    for q in request.questions:
        value = found.get(q.name)
        if value is None:
            return {}, None, f"no line `{q.name}: choice` in the reply"
        if value not in q.choices:
            return {}, None, f"{value!r} is not a choice for {q.name} ({', '.join(q.choices)})"
        labels[q.name] = None if value == NOT_APPLICABLE else value
    score: float | None = None
    if request.score is not None:
        low, high = request.score
        raw = found.get("score")
        try:
            score = float(raw) if raw is not None else None
        except ValueError:
            score = None
        if score is None or not math.isfinite(score) or not low <= score <= high:
            return {}, None, f"no score from {_number(low)} to {_number(high)} in the reply"
    return labels, score, ""


# ---- the judge ---------------------------------------------------------------------------


class _JudgeChat(LLMAgent):
    """The LLM agent whose ``chat`` the judge uses; its label marks judge calls in
    transcripts."""

    name = "llm_judge"


class LLMJudge:
    """A language model as a role game's judge (see the module docstring). The
    parameters are :class:`~redqueen.agents.llm.LLMAgent`'s, plus the ``seed`` each call
    sends."""

    def __init__(
        self,
        model: str = "scripted",
        base_url: str | None = None,
        api_key_env: str | None = "OPENAI_API_KEY",
        temperature: float = 0.0,
        max_tokens: int = 512,
        seed: int = 0,
        cache: bool | str = True,
        backend: str = "openai",
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_concurrency: int = 8,
        prices: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        self.agent = _JudgeChat(
            model=model,
            base_url=base_url,
            api_key_env=api_key_env,
            temperature=temperature,
            max_tokens=max_tokens,
            cache=cache,
            backend=backend,
            timeout=timeout,
            max_retries=max_retries,
            backoff=backoff,
            max_concurrency=max_concurrency,
            prices=prices,
        )
        self.seed = int(seed)

    @property
    def name(self) -> str:
        return f"llm:{self.agent.model}"

    async def ajudge(self, request: JudgeRequest) -> Verdict:
        """Ask the model; an unreadable reply is an invalid verdict."""
        try:
            reply = await self.agent.chat(judge_messages(request), seed=self.seed)
        except BackendError as err:
            raise self._unanswered(err) from err
        return self._verdict(reply, request)

    def judge(self, request: JudgeRequest) -> Verdict:
        """:meth:`ajudge`, waited for (see the module docstring for a running loop)."""
        try:
            reply = self.agent.chat_blocking(judge_messages(request), seed=self.seed)
        except BackendError as err:
            raise self._unanswered(err) from err
        return self._verdict(reply, request)

    def _unanswered(self, err: BackendError) -> BackendError:
        return type(err)(f"the LLM judge {self.name} could not answer: {err}")

    def _verdict(self, reply: str, request: JudgeRequest) -> Verdict:
        labels, score, problem = read_verdict(reply, request)
        if problem:
            return invalid_verdict(self.name, problem, reply)
        return Verdict(labels=labels, judge=self.name, score=score, reply=reply)

    def __repr__(self) -> str:
        return f"<LLMJudge {self.name}>"
