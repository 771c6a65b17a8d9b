"""The preference game of SPPO: two copies of a policy answer a prompt; a judge compares.

Self-Play Preference Optimization (Wu, Sun, Yuan, Ji, Yang & Gu 2024, "Self-Play
Preference Optimization for Language Model Alignment", arXiv:2405.00675, ICLR 2025; code
``uclaml/SPPO``) and the minimaximalist SPO (Swamy, Dann, Kidambi, Wu & Agarwal 2024, "A
Minimaximalist Approach to Reinforcement Learning from Human Feedback",
arXiv:2401.04056) treat alignment as a game: for a prompt ``x`` each of two players picks a
response, and the player whose response ``y`` meets ``y'`` is paid the probability
``P(y > y' | x)`` that a judge prefers ``y``; the other gets ``1 - P``. The game is
symmetric and constant-sum (the payoffs add up to 1), its value is 1/2, and its Nash
equilibrium, the *von Neumann winner*, is a mixed policy that no response beats more
than half of the time, even when preferences are intransitive and no Bradley-Terry
reward can describe them.

Here a response is one of ``M`` labelled responses (``Response A``, ``Response B``, ...,
at most 26) and the game has one simultaneous move; with several prompts, chance first
draws one uniformly and both players see it. The preference matrix ``P[i, j] =
P(response i > response j)`` of each prompt comes from one of four sources:

- ``matrix=``: given explicitly, one ``M x M`` matrix or one per prompt. It is checked:
  entries in [0, 1], ``P[i, i] = 1/2`` and ``P[i, j] + P[j, i] = 1`` (within 1e-9).
- ``scores=``: a scripted scorer, ``P[i, j] = sigmoid(s_i - s_j)``: how SPPO turns PairRM
  scores into probabilities (``scripts/compute_prob.py``). This is a Bradley-Terry model:
  transitive, so its equilibrium is the best-scored response.
- ``judge=``: any Python callable ``judge(prompt, response_a, response_b) -> float`` giving
  the probability that ``response_a`` is preferred (a reward model, an LLM judge; see
  :class:`PreferenceJudge`). It needs the response texts (``responses=``) and is called
  once per ordered pair when the game is built; since judges have position bias, the two
  orders are averaged, ``P[i, j] = (judge(x, y_i, y_j) + 1 - judge(x, y_j, y_i)) / 2``.
  The spec records the matrix it produced, so the game rebuilds without the judge.
- otherwise :func:`preference_matrix` generates one: an intransitive cycle (each response
  beats the next ``(M - 1) // 2`` around a circle, as in rock-paper-scissors) mixed with a
  Bradley-Terry part, ``P[i, j] = sigmoid(b_i - b_j + c * C[i, j])``.

Deviations from the papers: their responses are free text sampled from a language model
and judged afresh; here they are a fixed menu whose preferences are known in advance (the
"offline, exact" form of roles.md §5.7), so equilibria, exploitability and the learners
of :mod:`redqueen.learn.sppo` can be computed exactly. The form the papers train on, where
the players write the responses and a judge reads them during play, is the game
``preference_text`` (:mod:`redqueen.games.roles.preference_text`).

The text view shows the prompt, the responses with their texts and the table of
preference probabilities; :meth:`PreferenceState.parse_action` reads a model's reply
("Response C", "C", "**c**", "My answer: C", or the exact text of one response).
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Hashable, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError, ParseActionError, RedqueenError
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
    match_action_text,
    normalise_text,
)
from redqueen.games.matrix import format_number
from redqueen.games.params import integer, number

FloatArray = NDArray[np.float64]

MAX_RESPONSES = 26
"""Responses are labelled A to Z."""
MAX_PROMPTS = 1000
MAX_REPLY_CHARS = 20_000
"""``parse_action`` reads at most this many characters of a reply."""
DEFAULT_CYCLE_STRENGTH = 2.0
_TOLERANCE = 1e-9
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


class PreferenceJudge(Protocol):
    """A preference source: the probability, in [0, 1], that a judge prefers
    ``response_a`` to ``response_b`` as a reply to ``prompt``."""

    def __call__(self, prompt: str, response_a: str, response_b: str) -> float: ...


# ---- preference matrices ----------------------------------------------------------------


def preference_matrix(
    m: int,
    cycle_strength: float = DEFAULT_CYCLE_STRENGTH,
    bt_scores: Sequence[float] | None = None,
    seed: int = 0,
) -> FloatArray:
    """An ``m x m`` preference matrix mixing an intransitive cycle with Bradley-Terry scores.

    ``P[i, j] = sigmoid(b_i - b_j + cycle_strength * C[i, j])``, where ``C[i, j] = +1`` if
    ``j`` is one of the ``(m - 1) // 2`` responses after ``i`` around a circle (``i`` beats
    them), ``-1`` if ``i`` is one of those after ``j``, and 0 otherwise (the diagonal, and
    the opposite response when ``m`` is even). ``bt_scores`` are the Bradley-Terry scores
    ``b``; when None they are drawn from a standard normal distribution with
    ``numpy.random.default_rng(seed)`` (``seed`` is used for nothing else).
    ``cycle_strength = 0`` gives a pure Bradley-Terry model; for ``m = 3`` and no scores,
    a soft rock-paper-scissors.
    """
    m = integer("m", m, 2, MAX_RESPONSES)
    strength = number("cycle_strength", cycle_strength, 0.0, 1e3)
    seed = integer("seed", seed, 0, 2**63 - 1)
    if bt_scores is None:
        b = np.random.default_rng(seed).standard_normal(m)
    else:
        b = _vector(bt_scores, "bt_scores", m)
    half = (m - 1) // 2
    steps = (np.arange(m)[None, :] - np.arange(m)[:, None]) % m
    cycle = np.where((steps >= 1) & (steps <= half), 1.0, 0.0)
    cycle -= cycle.T
    return _sigmoid_matrix(b[:, None] - b[None, :] + strength * cycle)


def scores_matrix(scores: Sequence[float]) -> FloatArray:
    """``P[i, j] = sigmoid(s_i - s_j)``: the Bradley-Terry preferences of scores ``s``."""
    s = _vector(scores, "scores", None)
    return _sigmoid_matrix(s[:, None] - s[None, :])


def check_preference_matrix(matrix: Any, name: str = "matrix") -> FloatArray:
    """``matrix`` as a float array if it is a preference matrix: square, at least 2 x 2,
    entries in [0, 1], ``P[i, i] = 1/2`` and ``P[i, j] + P[j, i] = 1`` (within 1e-9);
    otherwise an :class:`InvalidParameterError` naming the first entry that is wrong."""
    p = _float_array(matrix, name)
    if p.ndim != 2 or p.shape[0] != p.shape[1]:
        raise InvalidParameterError(
            f"{name} must be a square matrix (one row and one column per response); got "
            f"shape {p.shape}"
        )
    m = p.shape[0]
    if not 2 <= m <= MAX_RESPONSES:
        raise InvalidParameterError(
            f"{name} must have from 2 to {MAX_RESPONSES} responses; got {m}"
        )
    for (i, j), x in np.ndenumerate(p):
        if not 0.0 <= x <= 1.0:
            raise InvalidParameterError(
                f"{name}[{i}][{j}] is {float(x)!r}; preference probabilities must be in [0, 1]"
            )
    for i in range(m):
        if abs(p[i, i] - 0.5) > _TOLERANCE:
            raise InvalidParameterError(
                f"{name}[{i}][{i}] is {float(p[i, i])!r}; a response ties with itself, so the "
                "diagonal must be 0.5"
            )
        for j in range(i + 1, m):
            if abs(p[i, j] + p[j, i] - 1.0) > _TOLERANCE:
                raise InvalidParameterError(
                    f"{name}[{i}][{j}] + {name}[{j}][{i}] = {p[i, j]} + {p[j, i]} = "
                    f"{p[i, j] + p[j, i]}; P(i > j) + P(j > i) must be 1"
                )
    return _exactly_complementary(p)


def judge_matrix(judge: PreferenceJudge, prompt: str, responses: Sequence[str]) -> FloatArray:
    """The preference matrix a judge gives ``responses`` to ``prompt``, both orders of each
    pair averaged: ``P[i, j] = (judge(prompt, y_i, y_j) + 1 - judge(prompt, y_j, y_i)) / 2``.
    """
    m = len(responses)
    calls = np.full((m, m), 0.5)
    for i in range(m):
        for j in range(m):
            if i != j:
                calls[i, j] = _probability(
                    judge(prompt, responses[i], responses[j]),
                    f"judge({prompt!r}, response {_LETTERS[i]}, response {_LETTERS[j]})",
                )
    return _exactly_complementary((calls + 1.0 - calls.T) / 2.0)


# ---- the game ---------------------------------------------------------------------------


class PreferenceGame(Game):
    """Pick one of ``M`` responses at once; paid the probability that yours is preferred.

    Build it with :func:`preference_game`; the constructor trusts its input.
    """

    def __init__(
        self,
        matrices: FloatArray,
        prompts: Sequence[str],
        responses: Sequence[Sequence[str] | None],
        *,
        source: str,
        params: dict[str, Any],
    ) -> None:
        k, m, _ = matrices.shape
        self._p = matrices
        self._p.setflags(write=False)
        self.prompts = tuple(prompts)
        self.responses = tuple(None if r is None else tuple(r) for r in responses)
        """Per prompt, the response texts (None where there are only labels)."""
        self.source = source
        """Where the preferences came from: generated, matrix, scores or judge."""
        self._names = tuple(f"Response {_LETTERS[a]}" for a in range(m))
        super().__init__(
            GameSpec(
                id="preference_game",
                num_players=2,
                num_distinct_actions=m,
                max_game_length=2 if k > 1 else 1,
                min_utility=float(matrices.min()),
                max_utility=float(matrices.max()),
                dynamics=Dynamics.SIMULTANEOUS,
                chance=ChanceMode.EXPLICIT if k > 1 else ChanceMode.NONE,
                utility=UtilityKind.CONSTANT_SUM,
                utility_sum=1.0,
                max_chance_outcomes=k if k > 1 else 0,
                params=params,
            )
        )

    @property
    def num_prompts(self) -> int:
        return len(self.prompts)

    @property
    def num_responses(self) -> int:
        return self.num_distinct_actions

    def preference(self, prompt: int = 0) -> FloatArray:
        """``P[i, j]``, the probability that response ``i`` is preferred to response ``j``
        for prompt number ``prompt`` (a copy)."""
        if isinstance(prompt, bool) or not isinstance(prompt, int | np.integer):
            raise InvalidParameterError(f"prompt must be a prompt index; got {prompt!r}")
        if not 0 <= prompt < self.num_prompts:
            raise InvalidParameterError(
                f"prompt must be in 0..{self.num_prompts - 1}; got {prompt}"
            )
        return np.array(self._p[int(prompt)])

    def action_names(self) -> list[str]:
        return list(self._names)

    def new_initial_state(self) -> PreferenceState:
        return PreferenceState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(2 + K + 2M,)``: the seat, the prompt once drawn, then both responses once
        played."""
        return (2 + self.num_prompts + 2 * self.num_responses,)

    def preference_table(self, prompt: int) -> str:
        """The matrix as text: row ``i``, column ``j`` is P(row response beats column)."""
        p = self._p[prompt]
        labels = list(_LETTERS[: self.num_responses])
        cells = [[f"{p[i, j]:.3f}" for j in range(len(labels))] for i in range(len(labels))]
        lines = ["    " + " ".join(f"{lab:>5}" for lab in labels)]
        lines += [
            f"{lab:>3} " + " ".join(f"{c:>5}" for c in row)
            for lab, row in zip(labels, cells, strict=True)
        ]
        return "\n".join(lines)

    def rules_text(self) -> str:
        m, k = self.num_responses, self.num_prompts
        letters = ", ".join(self._names)
        deal = (
            f"First a prompt is drawn uniformly at random from {k} prompts; both players see it. "
            if k > 1
            else ""
        )
        return (
            "The preference game (SPPO's self-play game): two players answer the same prompt "
            "and a judge compares the answers.\n"
            f"{deal}Both players choose, at the same time and without seeing the other's "
            f"choice, one of {m} responses: {letters}.\n"
            "A judge prefers response i to response j with probability P(i > j), given in a "
            "table with the prompt (P(i > j) + P(j > i) = 1 and P(i > i) = 0.5). If you "
            "choose i and the other player chooses j, you get P(i > j) and they get "
            "P(j > i) = 1 - P(i > j).\n"
            "The game is constant-sum: the two payoffs always add up to 1. Each player wants "
            "to maximise its own payoff. Preferences may be intransitive (A beats B, B beats "
            "C, C beats A), so no single response need be best against everything."
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PreferenceGame):
            return NotImplemented
        return (
            self.prompts == other.prompts
            and self.responses == other.responses
            and np.array_equal(self._p, other._p)
        )

    def __hash__(self) -> int:
        return hash((self.prompts, self._p.tobytes()))


class PreferenceState(State):
    """Before the prompt is drawn (several prompts), at the simultaneous choice, or over."""

    __slots__ = ("_joint", "_prompt")

    _game: PreferenceGame

    def __init__(self, game: PreferenceGame) -> None:
        super().__init__(game)
        self._prompt: int | None = 0 if game.num_prompts == 1 else None
        self._joint: tuple[int, int] | None = None

    @property
    def prompt(self) -> int | None:
        """The index of the prompt, once drawn."""
        return self._prompt

    def current_player(self) -> int:
        if self._prompt is None:
            return CHANCE
        return SIMULTANEOUS if self._joint is None else TERMINAL

    def _legal_actions(self, player: int) -> list[int]:
        return list(range(self._game.num_responses))

    def _is_legal(self, player: int, action: int) -> bool:
        if player == CHANCE:
            return 0 <= action < self._game.num_prompts
        return player in (0, 1) and 0 <= action < self._game.num_responses

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        k = self._game.num_prompts
        return [(i, 1.0 / k) for i in range(k)]

    def _apply_action(self, action: int) -> None:
        if self._prompt is not None:
            raise RedqueenError("both players move at once here: use apply_joint_action")
        self._prompt = action

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        self._joint = (actions[0], actions[1])

    def returns(self) -> list[float]:
        if self._joint is None or self._prompt is None:
            return [0.0, 0.0]
        i, j = self._joint
        p = float(self._game._p[self._prompt, i, j])
        return [p, 1.0 - p]

    def joint_action(self) -> tuple[int, int] | None:
        """``(player 0's response, player 1's response)`` once played."""
        return self._joint

    def information_state_key(self, player: int) -> Hashable:
        if self._prompt is None:
            return ()
        if self._joint is None:
            return (self._prompt,)
        return (self._prompt, *self._joint)

    def information_state_tensor(self, player: int) -> np.ndarray:
        """One-hot seat (2), one-hot prompt (K, zeros before the draw), then one-hot
        responses of player 0 and player 1 (M each, zeros until played)."""
        seat = _check_seat(player)
        game = self._game
        k, m = game.num_prompts, game.num_responses
        out = np.zeros(2 + k + 2 * m, dtype=np.float32)
        out[seat] = 1.0
        if self._prompt is not None:
            out[2 + self._prompt] = 1.0
        if self._joint is not None:
            out[2 + k + self._joint[0]] = 1.0
            out[2 + k + m + self._joint[1]] = 1.0
        return out

    def observation_text(self, player: int) -> str:
        seat = _check_seat(player)
        game = self._game
        lines = [f"The preference game. You are player {seat}; the other is player {1 - seat}."]
        if self._prompt is None:
            lines.append(
                f"A prompt is about to be drawn at random from {game.num_prompts} prompts."
            )
            return "\n".join(lines)
        k = self._prompt
        lines.append(f"Prompt: {game.prompts[k]}")
        texts = game.responses[k]
        lines.append("Responses:")
        for a, name in enumerate(game._names):
            lines.append(f"  {name}: {texts[a]}" if texts is not None else f"  {name}")
        lines.append("Probability that the judge prefers the row response to the column response:")
        lines.append(game.preference_table(k))
        if self._joint is None:
            lines.append(
                "You are paid the probability that your response is preferred to the other "
                "player's. Choose one response; answer with its name, e.g. "
                f"'{game._names[0]}'."
            )
        else:
            mine, theirs = self._joint[seat], self._joint[1 - seat]
            pay = self.returns()
            lines.append(
                f"Game over: you chose {game._names[mine]}, the other player chose "
                f"{game._names[theirs]}; you got {format_number(round(pay[seat], 6))}, they "
                f"got {format_number(round(pay[1 - seat], 6))}."
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        if self._prompt is None:
            return "preference game: prompt not drawn yet"
        if self._joint is None:
            return f"preference game, prompt {self._prompt}: both players to choose"
        i, j = self._joint
        return (
            f"preference game, prompt {self._prompt}: {self._game._names[i]} vs "
            f"{self._game._names[j]} -> {self.returns()[0]:.6g}, {self.returns()[1]:.6g}"
        )

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            if not 0 <= action < self._game.num_prompts:
                raise RedqueenError(f"no prompt {action}; prompts: 0..{self._game.num_prompts - 1}")
            return f"prompt {action + 1}: {self._game.prompts[action]}"
        if not 0 <= action < self._game.num_responses:
            raise RedqueenError(
                f"responses are actions 0..{self._game.num_responses - 1}; got {action!r}"
            )
        return self._game._names[action]

    def parse_action(self, text: str, player: int | None = None) -> int:
        """The response a reply names. Tried in order, on the first
        :data:`MAX_REPLY_CHARS` characters: a move name as ``State.parse_action`` reads it
        ("Response B", a bare action id); the whole reply as one letter or "Response x",
        in any case, with brackets, quotes, bold or a full stop around it; the last
        "answer/choose/pick ... X" with a capital letter; the only "Response X" mentioned;
        the exact text of one response. Raises :class:`ParseActionError` otherwise."""
        if player is None:
            player = self.current_player()
        legal = self.legal_actions(player)
        names = [(a, self._action_text(player, a)) for a in legal]
        reply = text[:MAX_REPLY_CHARS]
        try:
            return match_action_text(reply, names)
        except ParseActionError:
            pass
        found = None
        if player in (0, 1) and legal and self._prompt is not None:
            found = _read_reply(reply, len(legal), self._game.responses[self._prompt])
        if found is None:
            raise ParseActionError(text if len(text) <= 200 else text[:200] + "...", names)
        return found

    def clone(self) -> PreferenceState:
        twin = PreferenceState.__new__(PreferenceState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._prompt = self._prompt
        twin._joint = self._joint
        return twin


# ---- reading a reply --------------------------------------------------------------------

_WHOLE = re.compile(r"^(?:response\s*)?([a-z])$", re.IGNORECASE)
_ANSWER = re.compile(
    r"(?i:answer|choice|choose|chose|pick|select)\w*(?:\s+(?i:is))?\s*[:\-]?\s*"
    r"(?:(?i:response)\s*)?[\[(*\"']*([A-Z])\b"
)
_MENTION = re.compile(r"(?i:response)\s*[\[(*\"']*([A-Z])\b")
_MARKUP = "*_`\"'[](){}<>.,!:;"


def _read_reply(reply: str, m: int, texts: tuple[str, ...] | None) -> int | None:
    """The response index a free-text reply names, or None."""
    whole = _WHOLE.match(" ".join(reply.strip(_MARKUP + " \n\t").split()))
    if whole and _letter(whole[1], m) is not None:
        return _letter(whole[1], m)
    answers = [_letter(x, m) for x in _ANSWER.findall(reply)]
    answers = [a for a in answers if a is not None]
    if answers:
        return answers[-1]
    mentioned = {_letter(x, m) for x in _MENTION.findall(reply)} - {None}
    if len(mentioned) == 1:
        return mentioned.pop()
    if texts is not None:
        wanted = normalise_text(reply.strip(_MARKUP + " \n\t"))
        same = [a for a, t in enumerate(texts) if normalise_text(t) == wanted]
        if len(same) == 1:
            return same[0]
    return None


def _letter(x: str, m: int) -> int | None:
    a = _LETTERS.find(x.upper())
    return a if 0 <= a < m else None


# ---- the factory ------------------------------------------------------------------------


def preference_game(
    *,
    num_responses: int | None = None,
    cycle_strength: float = DEFAULT_CYCLE_STRENGTH,
    bt_scores: Sequence[float] | None = None,
    seed: int = 0,
    matrix: Any = None,
    scores: Any = None,
    judge: PreferenceJudge | None = None,
    prompts: Sequence[str] | None = None,
    responses: Sequence[str] | Sequence[Sequence[str]] | None = None,
) -> PreferenceGame:
    """SPPO's preference game: ``M`` responses per prompt, paid ``P(yours > theirs)``.

    Give at most one source of preferences (see the module docstring): ``matrix`` (an
    ``M x M`` preference matrix, or a list of them, one per prompt), ``scores`` (``M``
    Bradley-Terry scores, or one list per prompt), or ``judge`` (a callable
    ``judge(prompt, response_a, response_b) -> probability``, which needs
    ``responses``). Without one, :func:`preference_matrix` generates each prompt's matrix
    from ``num_responses`` (default 5), ``cycle_strength``, ``bt_scores`` and ``seed``
    (prompt ``k`` uses ``seed + k``); those three apply only to the generated matrix.

    ``prompts``: the prompt texts (default ``"prompt 1"``, ... one per matrix); with more
    than one, chance draws the prompt uniformly. ``responses``: the response texts, one
    list of ``M`` for every prompt or one list per prompt (default: labels only).

    >>> game = preference_game(matrix=[[0.5, 0.75], [0.25, 0.5]])
    >>> state = game.new_initial_state()
    >>> state.apply_joint_action([0, 1])
    >>> state.returns()
    [0.75, 0.25]
    """
    given = {
        name: value
        for name, value in (("matrix", matrix), ("scores", scores), ("judge", judge))
        if value is not None
    }
    if len(given) > 1:
        raise InvalidParameterError(
            f"give one source of preferences, not {' and '.join(given)}: matrix (explicit "
            "probabilities), scores (Bradley-Terry scores) or judge (a callable); or none "
            "for a generated matrix"
        )
    source = next(iter(given), "generated")
    if source != "generated" and (
        cycle_strength != DEFAULT_CYCLE_STRENGTH or bt_scores is not None or seed != 0
    ):
        raise InvalidParameterError(
            f"cycle_strength, bt_scores and seed shape the generated matrix only; with "
            f"{source}= given, leave them out"
        )
    prompt_list = None if prompts is None else _texts(prompts, "prompts", None)
    if prompt_list is not None and not 1 <= len(prompt_list) <= MAX_PROMPTS:
        raise InvalidParameterError(
            f"prompts must list from 1 to {MAX_PROMPTS} prompts; got {len(prompt_list)}"
        )
    params: dict[str, Any] = {}
    if source == "matrix":
        matrices = _per_prompt_matrices(matrix)
    elif source == "scores":
        matrices = _per_prompt_scores(scores)
    elif source == "judge":
        if not callable(judge):
            raise InvalidParameterError(
                f"judge must be a callable judge(prompt, response_a, response_b) -> "
                f"probability; got {judge!r}"
            )
        if responses is None:
            raise InvalidParameterError(
                "a judge compares response texts: give responses=[...] (one list of texts, "
                "or one list per prompt)"
            )
        k = 1 if prompt_list is None else len(prompt_list)
        texts = _per_prompt_texts(responses, k, None)
        names = prompt_list or ["prompt 1"]
        matrices = np.stack([judge_matrix(judge, names[i], texts[i]) for i in range(k)])
    else:
        m = 5 if num_responses is None else num_responses
        integer("num_responses", m, 2, MAX_RESPONSES)
        k = 1 if prompt_list is None else len(prompt_list)
        matrices = np.stack(
            [preference_matrix(m, cycle_strength, bt_scores, seed + i) for i in range(k)]
        )
        params = {"num_responses": m}
        if cycle_strength != DEFAULT_CYCLE_STRENGTH:
            params["cycle_strength"] = float(cycle_strength)
        if bt_scores is not None:
            params["bt_scores"] = [float(b) for b in bt_scores]
        if seed != 0:
            params["seed"] = seed
    k, m, _ = matrices.shape
    if num_responses is not None and source != "generated" and num_responses != m:
        raise InvalidParameterError(
            f"num_responses={num_responses!r} but the {source} gives {m} responses"
        )
    if prompt_list is None:
        prompt_list = [f"prompt {i + 1}" for i in range(k)]
    elif len(prompt_list) != k:
        raise InvalidParameterError(
            f"prompts lists {len(prompt_list)} prompts but the {source} gives {k} (one "
            "preference matrix per prompt)"
        )
    response_texts: list[list[str] | None] = [None] * k
    if responses is not None:
        response_texts = list(_per_prompt_texts(responses, k, m))
    if source == "matrix":
        params["matrix"] = matrices[0].tolist() if k == 1 else matrices.tolist()
    elif source == "scores":
        params["scores"] = _plain(scores)
    elif source == "judge":
        params["matrix"] = matrices[0].tolist() if k == 1 else matrices.tolist()
    if prompts is not None:
        params["prompts"] = list(prompt_list)
    if responses is not None:
        params["responses"] = _plain(responses)
    return PreferenceGame(matrices, prompt_list, response_texts, source=source, params=params)


# ---- helpers ----------------------------------------------------------------------------


def _sigmoid_matrix(logits: FloatArray) -> FloatArray:
    p = 1.0 / (1.0 + np.exp(-logits))
    return _exactly_complementary(p)


def _exactly_complementary(p: FloatArray) -> FloatArray:
    """``p`` with the lower triangle set to ``1 - upper`` and the diagonal to 0.5, so that
    the two payoffs of every cell add up to 1 as exactly as floats allow."""
    out = np.array(p, dtype=np.float64)
    upper = np.triu_indices(out.shape[0], 1)
    out[(upper[1], upper[0])] = 1.0 - out[upper]
    np.fill_diagonal(out, 0.5)
    return out


def _float_array(value: Any, name: str) -> FloatArray:
    if isinstance(value, str | bytes | PreferenceGame):
        raise InvalidParameterError(f"{name} must be a matrix of probabilities; got {value!r}")
    try:
        array = np.asarray(value)
    except ValueError:
        raise InvalidParameterError(
            f"{name} is ragged: every row needs one entry per response"
        ) from None
    if array.dtype == object or array.dtype.kind not in "iuf":
        raise InvalidParameterError(
            f"{name} must hold real numbers (a list of equally long rows); got {value!r}"
        )
    out = np.asarray(array, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(out))
    if bad.size:
        where = "".join(f"[{int(i)}]" for i in bad[0])
        raise InvalidParameterError(
            f"{name}{where} is {float(out[tuple(bad[0])])}; it must be finite"
        )
    return out


def _per_prompt_matrices(matrix: Any) -> FloatArray:
    array = _float_array(matrix, "matrix")
    if array.ndim == 2:
        return check_preference_matrix(array)[None, :, :]
    if array.ndim == 3 and 1 <= array.shape[0] <= MAX_PROMPTS:
        return np.stack(
            [check_preference_matrix(array[k], f"matrix[{k}]") for k in range(array.shape[0])]
        )
    raise InvalidParameterError(
        "matrix must be one M x M preference matrix or a list of them (one per prompt, at "
        f"most {MAX_PROMPTS}); got shape {array.shape}"
    )


def _per_prompt_scores(scores: Any) -> FloatArray:
    array = _float_array(scores, "scores")
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or not 1 <= array.shape[0] <= MAX_PROMPTS:
        raise InvalidParameterError(
            "scores must be M numbers (one per response) or one such list per prompt; got "
            f"shape {array.shape}"
        )
    if not 2 <= array.shape[1] <= MAX_RESPONSES:
        raise InvalidParameterError(
            f"scores must give from 2 to {MAX_RESPONSES} responses; got {array.shape[1]}"
        )
    return np.stack([scores_matrix(row) for row in array])


def _vector(values: Any, name: str, length: int | None) -> FloatArray:
    v = _float_array(values, name)
    if v.ndim != 1 or (length is not None and v.shape[0] != length):
        want = f"{length} numbers" if length is not None else "a list of numbers"
        raise InvalidParameterError(f"{name} must be {want}; got {values!r}")
    return v


def _texts(values: Any, name: str, length: int | None) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidParameterError(f"{name} must be a list of strings; got {values!r}")
    out = list(values)
    if not all(isinstance(t, str) and t.strip() for t in out):
        raise InvalidParameterError(f"{name} must be non-empty strings; got {values!r}")
    if length is not None and len(out) != length:
        raise InvalidParameterError(
            f"{name} must list {length} texts, one per response; got {len(out)}"
        )
    return out


def _per_prompt_texts(values: Any, k: int, m: int | None) -> list[list[str]]:
    """Response texts per prompt, from one list for all prompts or one list per prompt."""
    if isinstance(values, Sequence) and values and not isinstance(values[0], str):
        lists = [_texts(v, f"responses[{i}]", m) for i, v in enumerate(values)]
        if len(lists) != k:
            raise InvalidParameterError(
                f"responses gives {len(lists)} lists of texts but there are {k} prompts"
            )
    else:
        lists = [_texts(values, "responses", m)] * k
    for i, texts in enumerate(lists):
        if not 2 <= len(texts) <= MAX_RESPONSES:
            raise InvalidParameterError(
                f"responses[{i}] must list from 2 to {MAX_RESPONSES} texts; got {len(texts)}"
            )
    if m is None and len({len(t) for t in lists}) > 1:
        raise InvalidParameterError("every prompt needs the same number of responses")
    return lists


def _probability(x: Any, where: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(float(x)):
        raise InvalidParameterError(f"{where} returned {x!r}; a judge must return a probability")
    if not 0.0 <= float(x) <= 1.0:
        raise InvalidParameterError(f"{where} returned {x!r}; probabilities are in [0, 1]")
    return float(x)


def _plain(value: Any) -> Any:
    """Plain lists of numbers or strings, for the spec's parameters."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, str):
        return value
    if isinstance(value, Sequence):
        return [_plain(v) for v in value]
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _check_seat(player: int) -> int:
    if player not in (0, 1):
        raise RedqueenError(f"the preference game has players 0 and 1; got player {player!r}")
    return player
