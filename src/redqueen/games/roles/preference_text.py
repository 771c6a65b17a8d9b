"""The preference game with written responses: both players answer a prompt, a judge compares.

SPPO (Wu et al. 2024, arXiv:2405.00675; code ``uclaml/SPPO``) and the minimaximalist SPO
(Swamy et al. 2024, arXiv:2401.04056) play a symmetric constant-sum game per prompt ``x``:
two responses ``y`` and ``y'`` are sampled from language models, a judge compares them,
and ``y`` is paid the probability ``P(y > y' | x)`` that the judge prefers it, ``y'`` the
rest. :mod:`redqueen.games.roles.preference` is the offline, exact form (a fixed menu
whose preference matrix is computed once, when the game is built). This module is the
form the papers train on: the players write the responses, and the judge reads them
during play.

1. With several prompts, chance draws one uniformly; both players see it.
2. Player 0 writes its response, then player 1 writes its own without seeing player 0's.
   The moves are simultaneous in what each seat knows; they are taken one after the other
   because a match takes text moves one at a time.
3. The judge is asked twice, once in each order, and the two answers are averaged as
   :func:`~redqueen.games.roles.preference.judge_matrix` does against position bias:
   ``P = (P(y0 > y1 | y0 shown first) + 1 - P(y1 > y0 | y1 shown first)) / 2``. Player 0
   gets ``P``, player 1 gets ``1 - P``. The payoffs add up to 1, and the game's value is 1/2.

**Prompts.** ``prompts=n`` takes the first ``n`` built-in prompts (:data:`TOPICS`; ours,
written for this game): a question and a brief a rule can check, e.g. "Explain how bread
rises. Use these words: yeast, dough, gas. At most 30 words." ``required_words`` (1 to 4)
and ``max_words`` shape the brief. ``prompts=[...]`` gives your own texts; a brief written
in the same two sentences is read the same way (see :func:`read_brief`).

**Moves.** With ``text_moves=True`` each seat writes free text (``apply_text_action``). A
text longer than ``max_text_chars`` is cut to it, and an empty one stays empty; either
counts as an invalid move of its seat (``invalid_moves()``, apart from the payoff), and
the judge reads what is left. By default each seat picks one of six written responses
(:data:`STYLES`: short, medium or long, with or without the brief's words) that
:func:`written_response` makes from the prompt, so that ``check_game``, scripted, tabular
and learned agents play the game by action ids; the judge still reads the texts during
play.

**Judges** (``judge=``): a registered judge kind or a mapping
``{"kind": ..., **params}`` (:func:`~redqueen.games.roles.judges.make_judge`), a
:class:`~redqueen.games.roles.judges.Judge`, or any callable
``judge(prompt, response_a, response_b) -> probability`` (:class:`CallableJudge`). Each is
asked :func:`preference_request`: the passages ``prompt``, ``response_a`` and
``response_b`` and a score in [0, 1], the probability that ``response_a`` is the better
one.

- ``preference_rubric`` (rule, transitive): a response's score is the number of the
  brief's words it uses (whole words, any case) minus ``length_penalty`` if it is longer
  than the word limit, and ``P(a > b) = sigmoid(s_a - s_b)``: the Bradley-Terry form in
  which SPPO turns PairRM's scores into probabilities (``scripts/compute_prob.py``).
- ``preference_cycle`` (rule, intransitive; the default): the same plus a
  rock-paper-scissors term over length classes (short: at most a third of the word limit;
  medium: at most two thirds; long: more). Short beats medium, medium beats long, long
  beats short: ``P = sigmoid(s_a - s_b + c * C(a, b))`` with ``C`` = +1, -1 or 0 and
  ``c = 2``, the text counterpart of :func:`~redqueen.games.roles.preference.preference_matrix`.
  Among responses that use the brief's words no length is best, so the equilibrium is
  mixed.
- ``llm`` (:class:`~redqueen.agents.llm.judge.LLMJudge`): a model, through the LLM
  backends (retries, cache, transcripts), answers ``score: NUMBER``.

Both rule judges are pure functions of the passages, so the scripted test server answers
for them (``ScriptedServer(judge="preference_cycle")``), and ``position_bias`` (a logit
added in favour of the response shown first) shows what the two orders cancel.

**Judge failure.** A verdict that cannot be read, or gives no probability, is the judge's
failure, not a player's: the game pays 1/2 to each seat and flags
:attr:`PreferenceTextOutcome.judge_failed` (as Self-RedTeam drops a game whose WildGuard
reply did not parse, a learner can drop these). One readable order alone is not used,
since it would bring back the position bias the two orders cancel. A judge that cannot
answer at all (an endpoint that is down) raises, and the state does not change.
:meth:`PreferenceTextState.outcome` keeps both responses, both verdicts (the judge's name,
score and reply) and ``P``.

**SPO's win rate as reward.** With one policy in both seats, a seat's payoff ``P(y > y')``
is a one-sample estimate of the win rate of ``y`` against the policy itself, the reward SPO
gives a trajectory; SPO averages it over a batch of the policy's own samples, here each
game draws one opponent and the learner averages over games. The LLM self-play trainer
(:mod:`redqueen.learn.llm`) collects it with both seats as the policy.

Deviations from the papers, and why: the prompts are a toy with a brief a rule can check,
instead of UltraFeedback's, so that tests and offline runs know every payoff; a rule
stands in for PairRM (and the rule's intransitive term is ours, so that the game is not
trivially transitive); the two responses are written in turn with the first hidden,
because a match takes text moves one at a time; and a failed judge pays 1/2 each.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Game,
    GameSpec,
    State,
    Step,
    UtilityKind,
    match_action_text,
)
from redqueen.games.matrix import format_number
from redqueen.games.params import integer, number
from redqueen.games.roles.judges import (
    Judge,
    JudgeRequest,
    Verdict,
    invalid_verdict,
    judge_label,
    make_judge,
    words_of,
)
from redqueen.games.roles.preference import PreferenceJudge

# ---- prompts and briefs --------------------------------------------------------------------

TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Explain how bread rises.", ("yeast", "dough", "gas", "oven")),
    ("Describe how a bicycle stays upright.", ("wheels", "balance", "speed", "steering")),
    ("Explain why the sky is blue.", ("sunlight", "scattering", "air", "wavelength")),
    ("Give advice for a first job interview.", ("prepare", "questions", "listen", "punctual")),
    ("Explain how a vaccine protects you.", ("immune", "antibodies", "training", "infection")),
    ("Describe how rain forms.", ("vapour", "clouds", "droplets", "cooling")),
    ("Explain what a household budget is for.", ("income", "spending", "savings", "plan")),
    ("Describe how to plant a tree.", ("hole", "roots", "soil", "water")),
)
"""The built-in prompts: a question and the words its brief may require (the first
``required_words`` of them)."""

DEFAULT_MAX_WORDS = 30
"""The word limit of the built-in briefs, and the one assumed for a prompt that states none."""
DEFAULT_REQUIRED_WORDS = 3
DEFAULT_PROMPTS = 4
DEFAULT_MAX_TEXT_CHARS = 2000
MAX_PROMPTS = 1000
DEFAULT_CYCLE_STRENGTH = 2.0

_BRIEF_WORDS = re.compile(r"Use these words: ([^.\n]{0,2000})\.", re.IGNORECASE)
_BRIEF_LIMIT = re.compile(r"At most (\d{1,6}) words\.", re.IGNORECASE)


class Brief(NamedTuple):
    """What a prompt asks of a response, as a rule reads it."""

    words: tuple[str, ...]
    """The words a response should use (lower case); empty when the prompt names none."""
    limit: int
    """The most words a response may have (:data:`DEFAULT_MAX_WORDS` when not stated)."""


def builtin_prompt(topic: int, required_words: int, max_words: int) -> str:
    """The text of built-in prompt ``topic``: its question and brief."""
    question, words = TOPICS[topic]
    brief = f"Use these words: {', '.join(words[:required_words])}. At most {max_words} words."
    return f"{question} {brief}"


def read_brief(prompt: str) -> Brief:
    """The brief written in ``prompt``: the words after "Use these words:" (up to the full
    stop, separated by commas) and the limit in "At most N words." (any case). A prompt
    without them asks for no words and has the default limit."""
    found = _BRIEF_WORDS.search(prompt)
    words: tuple[str, ...] = ()
    if found is not None:
        words = tuple(
            dict.fromkeys(w for part in found.group(1).split(",") for w in sorted(words_of(part)))
        )
    limit = _BRIEF_LIMIT.search(prompt)
    n = int(limit.group(1)) if limit is not None else 0
    return Brief(words, n if n >= 1 else DEFAULT_MAX_WORDS)


SHORT, MEDIUM, LONG = range(3)
LENGTHS: tuple[str, ...] = ("short", "medium", "long")


def length_class(response: str, limit: int) -> int:
    """:data:`SHORT` (at most a third of ``limit`` words), :data:`MEDIUM` (at most two
    thirds) or :data:`LONG`; words are whitespace-separated."""
    n = len(response.split())
    if 3 * n <= limit:
        return SHORT
    return MEDIUM if 3 * n <= 2 * limit else LONG


# ---- the menu of written responses ---------------------------------------------------------

STYLES: tuple[str, ...] = tuple(
    f"{length} {kind} the words" for length in LENGTHS for kind in ("with", "without")
)
"""The structured moves (action ids 0..5): a response's length class, and whether it uses
the brief's words."""

FILLER: tuple[str, ...] = (
    "here", "is", "a", "plain", "reply", "that", "keeps", "to", "the", "point", "and", "ends",
)  # fmt: skip
"""The words that pad a written response to its length (none is a word of a built-in brief)."""


def written_response(prompt: str, style: int) -> str:
    """The response of menu style ``style`` (an index into :data:`STYLES`) to ``prompt``:
    the brief's words (when the style uses them) and then :data:`FILLER` words, repeated,
    up to ``limit // 3`` (short), ``2 * limit // 3`` (medium) or ``limit`` (long) words in
    all (at least one, and all the brief's words when there are more). Filler words that
    the brief asks for are left out, so a response "without the words" uses none."""
    if not 0 <= style < len(STYLES):
        raise InvalidParameterError(f"no style {style!r}; styles are 0..{len(STYLES) - 1}")
    brief = read_brief(prompt)
    length, without = divmod(style, 2)
    target = max(1, (brief.limit * (length + 1)) // 3)
    words = [] if without else list(brief.words)
    filler = [w for w in FILLER if w not in brief.words] or ["-"]
    k = 0
    while len(words) < target:
        words.append(filler[k % len(filler)])
        k += 1
    return " ".join(words)


# ---- the judge's request, and the rule judges ----------------------------------------------

PREFERENCE_RUBRIC = (
    "You compare two responses to the same prompt, as a careful human rater would: which "
    "one answers the prompt better and follows its instructions? Give the probability that "
    "response_a is the better one: 1 if it is clearly better, 0 if response_b is clearly "
    "better, 0.5 if they are equally good."
)


def preference_request(prompt: str, response_a: str, response_b: str) -> JudgeRequest:
    """What the game asks its judge: the prompt and two responses, and a score in [0, 1],
    the probability that ``response_a`` is the better one."""
    return JudgeRequest(
        PREFERENCE_RUBRIC,
        (("prompt", prompt), ("response_a", response_a), ("response_b", response_b)),
        (),
        score=(0.0, 1.0),
    )


def _passages(request: JudgeRequest, judge: str) -> tuple[str, str, str] | Verdict:
    """The prompt and both responses of a preference request, or an invalid verdict."""
    try:
        return (
            request.passage("prompt"),
            request.passage("response_a"),
            request.passage("response_b"),
        )
    except UnknownNameError:
        names = [n for n, _ in request.passages]
        return invalid_verdict(
            judge, f"a preference judge reads prompt, response_a and response_b; got {names}"
        )


def sigmoid(x: float) -> float:
    """``1 / (1 + exp(-x))``, without overflow for large ``|x|``."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


class RubricPreferenceJudge:
    """The rule judges ``preference_rubric`` and ``preference_cycle`` (see the module
    docstring): ``P(a > b) = sigmoid(s_a - s_b + cycle_strength * C(a, b) + position_bias)``
    with ``s = keyword_weight * (brief words used) - length_penalty * [words > limit]``.
    Also a plain callable ``judge(prompt, a, b)``, for ``preference_game(judge=...)``."""

    def __init__(
        self,
        cycle_strength: float = 0.0,
        keyword_weight: float = 1.0,
        length_penalty: float = 1.0,
        position_bias: float = 0.0,
        name: str = "preference_rubric",
    ) -> None:
        self.cycle_strength = number("cycle_strength", cycle_strength, 0.0, 100.0)
        self.keyword_weight = number("keyword_weight", keyword_weight, 0.0, 100.0)
        self.length_penalty = number("length_penalty", length_penalty, 0.0, 100.0)
        self.position_bias = number("position_bias", position_bias, -100.0, 100.0)
        self._name = str(name)

    @property
    def name(self) -> str:
        return self._name

    def score(self, prompt: str, response: str) -> float:
        """The rubric score ``s`` of ``response`` to ``prompt``."""
        brief = read_brief(prompt)
        hits = len(set(brief.words) & words_of(response))
        over = len(response.split()) > brief.limit
        return self.keyword_weight * hits - self.length_penalty * over

    def cycle(self, prompt: str, response_a: str, response_b: str) -> int:
        """``C(a, b)``: +1 if ``a``'s length class beats ``b``'s (short > medium > long >
        short), -1 if it loses, 0 for the same class."""
        limit = read_brief(prompt).limit
        step = (length_class(response_b, limit) - length_class(response_a, limit)) % 3
        return {0: 0, 1: 1, 2: -1}[step]

    def probability(self, prompt: str, response_a: str, response_b: str) -> float:
        """``P(a > b)`` as this judge gives it when ``a`` is shown first."""
        logit = self.score(prompt, response_a) - self.score(prompt, response_b)
        if self.cycle_strength:
            logit += self.cycle_strength * self.cycle(prompt, response_a, response_b)
        return sigmoid(logit + self.position_bias)

    __call__ = probability

    def judge(self, request: JudgeRequest) -> Verdict:
        read = _passages(request, self.name)
        if isinstance(read, Verdict):
            return read
        if request.questions or request.score is None:
            return invalid_verdict(
                self.name,
                "a preference judge answers only a score: the probability that "
                "response_a is the better one",
            )
        return Verdict(labels={}, judge=self.name, score=self.probability(*read))

    def describe(self) -> str:
        """The rule in words, for the game's rules text."""
        parts = [
            f"The judge ({self.name}) scores each response: {format_number(self.keyword_weight)} "
            "for each word of the brief it uses (whole words, any case), minus "
            f"{format_number(self.length_penalty)} if it has more words than the limit."
        ]
        if self.cycle_strength:
            parts.append(
                "It also has a taste in lengths that goes round in a circle: a short response "
                "(at most a third of the word limit) beats a medium one (at most two thirds), "
                "a medium one beats a long one, and a long one beats a short one, worth "
                f"{format_number(self.cycle_strength)} in score."
            )
        parts.append(
            "It prefers response a to response b with probability sigmoid(score a - score b"
            + (" + the length term" if self.cycle_strength else "")
            + "), where sigmoid(x) = 1 / (1 + exp(-x))."
        )
        return " ".join(parts)

    def __repr__(self) -> str:
        return f"<RubricPreferenceJudge {self.name}>"


def preference_rubric_judge(
    keyword_weight: float = 1.0, length_penalty: float = 1.0, position_bias: float = 0.0
) -> RubricPreferenceJudge:
    """The transitive rule judge (registered as the judge kind ``preference_rubric``)."""
    return RubricPreferenceJudge(0.0, keyword_weight, length_penalty, position_bias)


def preference_cycle_judge(
    cycle_strength: float = DEFAULT_CYCLE_STRENGTH,
    keyword_weight: float = 1.0,
    length_penalty: float = 1.0,
    position_bias: float = 0.0,
) -> RubricPreferenceJudge:
    """The intransitive rule judge (registered as the judge kind ``preference_cycle``)."""
    return RubricPreferenceJudge(
        cycle_strength, keyword_weight, length_penalty, position_bias, name="preference_cycle"
    )


class CallableJudge:
    """Any callable ``judge(prompt, response_a, response_b) -> probability`` as a
    :class:`~redqueen.games.roles.judges.Judge` of preference requests. A return that is
    not a probability in [0, 1] is an invalid verdict; an exception from the callable
    propagates (a judge that cannot answer at all)."""

    def __init__(self, function: PreferenceJudge, name: str | None = None) -> None:
        if not callable(function):
            raise InvalidParameterError(f"a callable judge must be callable; got {function!r}")
        self.function = function
        label = getattr(function, "__name__", type(function).__name__)
        self._name = name if name is not None else f"callable:{label}"

    @property
    def name(self) -> str:
        return self._name

    def judge(self, request: JudgeRequest) -> Verdict:
        read = _passages(request, self.name)
        if isinstance(read, Verdict):
            return read
        p = _probability(self.function(*read))
        if p is None:
            return invalid_verdict(self.name, "the callable did not return a probability in [0, 1]")
        return Verdict(labels={}, judge=self.name, score=p)


def _probability(x: Any) -> float | None:
    """``x`` as a probability, or None if it is not a finite number in [0, 1]."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        return None
    p = float(x)
    return p if math.isfinite(p) and 0.0 <= p <= 1.0 else None


JudgeSpec = str | Mapping[str, Any] | Judge | PreferenceJudge


def preference_judge(spec: JudgeSpec) -> Judge:
    """The judge ``spec`` names: a kind, a mapping with a ``kind``, a Judge, or a callable
    ``judge(prompt, response_a, response_b) -> probability``."""
    if isinstance(spec, str | Mapping | Judge):
        return make_judge(spec)
    if callable(spec):
        return CallableJudge(spec)
    raise InvalidParameterError(
        "judge must be a judge kind (e.g. preference_cycle, preference_rubric, llm), a "
        "mapping with a 'kind', a Judge, or a callable judge(prompt, response_a, "
        f"response_b) -> probability; got {spec!r}"
    )


# ---- the outcome ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PreferenceTextOutcome:
    """How one game ended: the responses, the judge's two verdicts, and ``P``."""

    prompt: int
    responses: tuple[str, str]
    """Player 0's and player 1's responses, as the judge read them."""
    verdicts: tuple[Verdict, Verdict]
    """The verdict with player 0's response shown first (as ``response_a``), then the one
    with player 1's shown first."""
    preference: float
    """``P``: the probability that player 0's response is preferred, both orders averaged
    (1/2 when the judge failed)."""

    @property
    def judge(self) -> str:
        """The judge that decided this game."""
        return self.verdicts[0].judge

    @property
    def judge_failed(self) -> bool:
        """A verdict could not be read: both seats were paid 1/2."""
        return verdict_probability(self.verdicts[0]) is None or (
            verdict_probability(self.verdicts[1]) is None
        )

    @property
    def raw(self) -> tuple[float | None, float | None]:
        """The two probabilities as the judge gave them: ``P(y0 > y1)`` with ``y0`` shown
        first and ``P(y1 > y0)`` with ``y1`` shown first (None where unreadable)."""
        return verdict_probability(self.verdicts[0]), verdict_probability(self.verdicts[1])


def verdict_probability(verdict: Verdict) -> float | None:
    """The probability a verdict gives ``response_a``, or None if it gives none."""
    return _probability(verdict.score) if verdict.valid else None


def judged_preference(
    judge: Judge, prompt: str, y0: str, y1: str
) -> tuple[float, tuple[Verdict, Verdict]]:
    """``(P, verdicts)``: ``judge`` asked in both orders and averaged,
    ``P = (p01 + 1 - p10) / 2``, computed as ``1/2 + (p01 - p10) / 2`` so that two equal
    responses get 1/2 exactly; 1/2 if either verdict gives no probability."""
    first = judge.judge(preference_request(prompt, y0, y1))
    second = judge.judge(preference_request(prompt, y1, y0))
    p01, p10 = verdict_probability(first), verdict_probability(second)
    p = 0.5 if p01 is None or p10 is None else 0.5 + (p01 - p10) / 2.0
    return p, (first, second)


# ---- the game ------------------------------------------------------------------------------


class PreferenceTextView(NamedTuple):
    """A seat's information-state key: the prompt, its own move, and (once the game is
    over) the other seat's. Moves are action ids, or the texts sent in the text variant."""

    seat: int
    prompt: int | None
    own: int | str | None
    other: int | str | None


class PreferenceTextGame(Game):
    """SPPO's preference game with written responses, judged during play (see the module
    docstring)."""

    moves_are_public = False  # player 1 writes without seeing player 0's response

    def __init__(
        self,
        *,
        prompts: int | Sequence[str] = DEFAULT_PROMPTS,
        required_words: int = DEFAULT_REQUIRED_WORDS,
        max_words: int = DEFAULT_MAX_WORDS,
        judge: JudgeSpec = "preference_cycle",
        text_moves: bool = False,
        max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    ) -> None:
        if not isinstance(text_moves, bool):
            raise InvalidParameterError(f"text_moves must be true or false; got {text_moves!r}")
        self.max_text_chars = integer("max_text_chars", max_text_chars, 1, 100_000)
        params: dict[str, Any] = {}
        if isinstance(prompts, int) and not isinstance(prompts, bool):
            n = integer("prompts", prompts, 1, len(TOPICS))
            k = integer("required_words", required_words, 1, min(len(w) for _, w in TOPICS))
            limit = integer("max_words", max_words, 3 * k, 10_000)
            texts = [builtin_prompt(t, k, limit) for t in range(n)]
            params.update(prompts=n, required_words=k, max_words=limit)
        elif isinstance(prompts, Sequence) and not isinstance(prompts, str):
            texts = list(prompts)
            if not 1 <= len(texts) <= MAX_PROMPTS or not all(
                isinstance(t, str) and t.strip() for t in texts
            ):
                raise InvalidParameterError(
                    f"prompts must be a number of built-in prompts (1 to {len(TOPICS)}) or "
                    f"a list of 1 to {MAX_PROMPTS} non-empty texts; got {prompts!r}"
                )
            if required_words != DEFAULT_REQUIRED_WORDS or max_words != DEFAULT_MAX_WORDS:
                raise InvalidParameterError(
                    "required_words and max_words shape the built-in prompts only; with "
                    'prompts given as texts, write the brief in them ("Use these words: a, '
                    'b. At most N words.")'
                )
            params["prompts"] = texts
        else:
            raise InvalidParameterError(
                f"prompts must be a number of built-in prompts (1 to {len(TOPICS)}) or a "
                f"list of texts; got {prompts!r}"
            )
        self.prompts = tuple(texts)
        self.judge = preference_judge(judge)
        self.text_moves = text_moves
        self.menu = tuple(
            tuple(written_response(p, s) for s in range(len(STYLES))) for p in self.prompts
        )
        """Per prompt, the response text of each menu style."""
        k = len(self.prompts)
        label = judge_label(judge) if isinstance(judge, str | Mapping | Judge) else self.judge.name
        params.update(judge=label, text_moves=text_moves, max_text_chars=self.max_text_chars)
        super().__init__(
            GameSpec(
                id="preference_text",
                num_players=2,
                num_distinct_actions=0 if text_moves else len(STYLES),
                max_game_length=2 + (k > 1),
                min_utility=0.0,
                max_utility=1.0,
                chance=ChanceMode.EXPLICIT if k > 1 else ChanceMode.NONE,
                utility=UtilityKind.CONSTANT_SUM,
                utility_sum=1.0,
                max_chance_outcomes=k if k > 1 else 0,
                params=params,
                text_actions=text_moves,
            )
        )

    @property
    def num_prompts(self) -> int:
        return len(self.prompts)

    def new_initial_state(self) -> PreferenceTextState:
        return PreferenceTextState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """One-hot blocks: seat (2), prompt (K), own style (6), the other's style (6, once
        the game is over); the menu variant only."""
        if self.text_moves:
            raise RedqueenError("the text variant of preference_text has no tensor view")
        return (2 + self.num_prompts + 2 * len(STYLES),)

    def rules_text(self) -> str:
        if self.text_moves:
            moves = (
                "Each player writes its response as free text (at most "
                f"{self.max_text_chars} characters; a longer text is cut there, and a cut or "
                "empty response counts as an invalid move)."
            )
        else:
            moves = (
                "Each player chooses one of six written responses, shown with the prompt: "
                + "; ".join(STYLES)
                + ". Short means at most a third of the word limit, medium at most two "
                "thirds, long more."
            )
        draw = (
            f"A prompt is drawn at random from {self.num_prompts}; both players see it. "
            if self.num_prompts > 1
            else ""
        )
        describe = getattr(self.judge, "describe", None)
        judge = describe() if callable(describe) else f"The judge is {self.judge.name}."
        return (
            "The preference game with written responses (SPPO's self-play game), for two "
            "players.\n"
            f"{draw}Both players answer the same prompt; player 1 answers without seeing "
            "player 0's response. A prompt may end with a brief: words to use and a word "
            f"limit.\n{moves}\n"
            "A judge then compares the two responses, reading them in both orders, and "
            "gives the probability P that player 0's response is the better one (the "
            "average of the two readings). Player 0 gets P and player 1 gets 1 - P: the "
            "payoffs always add up to 1, and each player wants its own to be high. If the "
            "judge's answer cannot be read, each player gets 0.5.\n"
            f"{judge}"
        )


class PreferenceTextState(State):
    """Before the prompt is drawn, while the players write, or over."""

    __slots__ = ("_invalid", "_moves", "_outcome", "_prompt", "_responses")

    _game: PreferenceTextGame

    def __init__(self, game: PreferenceTextGame) -> None:
        super().__init__(game)
        self._prompt: int | None = 0 if game.num_prompts == 1 else None
        self._moves: list[int | str | None] = [None, None]
        self._responses: list[str | None] = [None, None]
        self._invalid = [0, 0]
        self._outcome: PreferenceTextOutcome | None = None

    def current_player(self) -> int:
        if self._prompt is None:
            return CHANCE
        if self._moves[0] is None:
            return 0
        return 1 if self._outcome is None else TERMINAL

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        k = self._game.num_prompts
        return [(i, 1.0 / k) for i in range(k)]

    def _legal_actions(self, player: int) -> list[int]:
        return [] if self._game.text_moves else list(range(len(STYLES)))

    def _is_legal(self, player: int, action: int) -> bool:
        if player == CHANCE:
            return 0 <= action < self._game.num_prompts
        return not self._game.text_moves and 0 <= action < len(STYLES)

    def _apply_action(self, action: int) -> None:
        player = self.current_player()
        if player == CHANCE:
            self._prompt = action
            return
        assert self._prompt is not None
        self._move(player, action, self._game.menu[self._prompt][action], invalid=False)

    def apply_action(self, action: int) -> None:
        if self._game.text_moves and self.current_player() in (0, 1):
            raise self._text_only_error()
        super().apply_action(action)

    def apply_text_action(self, text: str, player: int | None = None) -> None:
        """Menu variant: the style ``text`` names. Text variant: ``text`` is the seat's
        response, cut to ``max_text_chars``; a cut or empty (blank) response counts as an
        invalid move of the seat and is judged as it is."""
        if not self._game.text_moves:
            super().apply_text_action(text, player)
            return
        current = self.current_player()
        if current == CHANCE:
            raise RedqueenError("the prompt has not been drawn: apply a chance outcome first")
        if current == TERMINAL:
            raise RedqueenError("the game is over: no more moves")
        if player is not None and player != current:
            raise RedqueenError(f"it is not player {player}'s turn; player {current} writes now")
        if not isinstance(text, str):
            raise InvalidParameterError(f"a move of the text variant is a str; got {text!r}")
        response = text[: self._game.max_text_chars]
        invalid = len(text) > len(response) or not response.strip()
        self._move(current, text, response, invalid)
        self._history.append(Step(current, text))

    def _move(self, seat: int, move: int | str, response: str, invalid: bool) -> None:
        """Record a seat's move; player 1's move ends the game, after the judge has
        answered (a judge that raises leaves the state as it was)."""
        if seat == 1:
            game = self._game
            assert self._prompt is not None and self._responses[0] is not None
            p, verdicts = judged_preference(
                game.judge, game.prompts[self._prompt], self._responses[0], response
            )
            self._outcome = PreferenceTextOutcome(
                self._prompt, (self._responses[0], response), verdicts, p
            )
        self._moves[seat] = move
        self._responses[seat] = response
        self._invalid[seat] += int(invalid)

    def _text_only_error(self) -> RedqueenError:
        return RedqueenError(
            "this preference_text game has text moves (text_moves=True): send the response "
            "as text with apply_text_action(text)"
        )

    def returns(self) -> list[float]:
        if self._outcome is None:
            return [0.0, 0.0]
        p = self._outcome.preference
        return [p, 1.0 - p]

    def invalid_moves(self) -> tuple[int, ...]:
        """Per seat: responses cut to ``max_text_chars`` or empty (text variant)."""
        return tuple(self._invalid)

    def outcome(self) -> PreferenceTextOutcome | None:
        """How the game ended (None before player 1 has answered)."""
        return self._outcome

    @property
    def prompt(self) -> int | None:
        """The index of the prompt, once drawn."""
        return self._prompt

    def response(self, seat: int) -> str | None:
        """The response of ``seat`` as the judge reads it (None before it has written)."""
        return self._responses[_check_seat(seat)]

    def clone(self) -> PreferenceTextState:
        twin = PreferenceTextState.__new__(PreferenceTextState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._prompt = self._prompt
        twin._moves = list(self._moves)
        twin._responses = list(self._responses)
        twin._invalid = list(self._invalid)
        twin._outcome = self._outcome
        return twin

    # ---- what a seat knows ---------------------------------------------------------------

    def view(self, player: int) -> PreferenceTextView:
        seat = _check_seat(player)
        other = self._moves[1 - seat] if self._outcome is not None else None
        return PreferenceTextView(seat, self._prompt, self._moves[seat], other)

    def information_state_key(self, player: int) -> Hashable:
        return self.view(player)

    def information_state_tensor(self, player: int) -> np.ndarray:
        """One-hot blocks (see ``PreferenceTextGame.information_state_tensor_shape``)."""
        game = self._game
        view = self.view(player)
        out = np.zeros(game.information_state_tensor_shape(), dtype=np.float32)
        out[view.seat] = 1.0
        base = 2
        if view.prompt is not None:
            out[base + view.prompt] = 1.0
        base += game.num_prompts
        if isinstance(view.own, int):
            out[base + view.own] = 1.0
        base += len(STYLES)
        if isinstance(view.other, int):
            out[base + view.other] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            if not 0 <= action < self._game.num_prompts:
                raise RedqueenError(f"no prompt {action}; prompts: 0..{self._game.num_prompts - 1}")
            return f"prompt {action + 1}: {self._game.prompts[action]}"
        if self._game.text_moves:
            raise self._text_only_error()
        if not 0 <= action < len(STYLES):
            raise InvalidParameterError(f"no style {action!r}; styles are 0..{len(STYLES) - 1}")
        return STYLES[action]

    def parse_action(self, text: str, player: int | None = None) -> int:
        """As ``State.parse_action``, also after dropping quotes, brackets and a final
        full stop around the style's name."""
        if player is None:
            player = self.current_player()
        if self._game.text_moves and player in (0, 1):
            raise self._text_only_error()
        names = [(a, self._action_text(player, a)) for a in self.legal_actions(player)]
        try:
            return match_action_text(text, names)
        except RedqueenError:
            cleaned = text.strip().strip("[](){}\"'`*").strip().removesuffix(".").strip()
            return match_action_text(cleaned, names)

    def observation_text(self, player: int) -> str:
        seat = _check_seat(player)
        game = self._game
        lines = [
            f"The preference game. You are player {seat}; the other player answers the same "
            "prompt, and neither sees the other's response until the end."
        ]
        if self._prompt is None:
            lines.append(f"A prompt is about to be drawn at random from {game.num_prompts}.")
            return "\n".join(lines)
        lines.append(f"Prompt: {game.prompts[self._prompt]}")
        out = self._outcome
        if out is None and self._moves[seat] is None:
            if game.text_moves:
                lines.append(
                    f"Write your response to the prompt (at most {game.max_text_chars} "
                    "characters). The judge prefers one response to the other with some "
                    "probability; you are paid the probability that it prefers yours."
                )
            else:
                lines.append("Responses you may choose:")
                lines += [
                    f'  {name}: "{text}"'
                    for name, text in zip(STYLES, game.menu[self._prompt], strict=True)
                ]
                lines.append(
                    "You are paid the probability that the judge prefers yours to the other "
                    "player's."
                )
        elif out is None:
            lines.append(f'Your response: "{self._responses[seat]}"')
            lines.append("Waiting for the other player's response.")
        else:
            mine, theirs = out.responses[seat], out.responses[1 - seat]
            pay = self.returns()
            lines.append(f'Your response: "{mine}"')
            lines.append(f'The other player\'s response: "{theirs}"')
            if out.judge_failed:
                lines.append(
                    f"The judge ({out.judge}) gave an answer that could not be read: each "
                    "player gets 0.5."
                )
            else:
                lines.append(
                    f"The judge ({out.judge}) prefers yours with probability "
                    f"{format_number(round(pay[seat], 6))}; you get "
                    f"{format_number(round(pay[seat], 6))}, the other player "
                    f"{format_number(round(pay[1 - seat], 6))}."
                )
        return "\n".join(lines)

    def __str__(self) -> str:
        if self._prompt is None:
            return "preference_text: prompt not drawn yet"
        parts = [f"preference_text: prompt {self._prompt}"]
        for seat in (0, 1):
            if self._responses[seat] is not None:
                parts.append(f"player {seat} wrote {self._responses[seat]!r}")
        if self._outcome is not None:
            parts.append(f"returns {self.returns()} (judge {self._outcome.judge})")
        return "; ".join(parts)


def _check_seat(player: int) -> int:
    if player not in (0, 1):
        raise RedqueenError(f"preference_text has players 0 and 1; got player {player!r}")
    return player
