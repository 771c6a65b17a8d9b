"""Belief elicitation: ask an LLM player what the other player will do, before it acts.

Akata et al. ("Playing repeated games with large language models", Nature Human
Behaviour 2025; arXiv:2305.16867) found that asking GPT-4 to predict the other player's
next move first -- "social chain-of-thought" -- and then to choose given that prediction,
made it coordinate far better in the battle of the sexes. The protocol is two questions
per decision:

1. "Which move do you predict the other player will make?" with the other player's
   moves listed (:func:`prediction_message`); the reply is read like a move (the same
   answer format, matched against the other player's moves; never evaluated);
2. the usual decision message, preceded by the stated prediction
   (:func:`prediction_note`).

Each prediction is stored beside the action it preceded (:class:`BeliefRecord`). Two
numbers compare them: :func:`belief_consistency`, the fraction of decisions that are a
best response, in the stage game, to the move the player itself predicted (a player
whose actions follow its stated beliefs scores 1); and :func:`prediction_accuracy`, the
fraction of predictions that came true. Both are defined for two-player matrix games and
their repeated forms, where "the other player's move" and "a best response" are
well-defined per round.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from redqueen.agents.core import AgentSpec, Observation
from redqueen.agents.llm.agent import LLMAgent, LLMMove
from redqueen.agents.llm.context import current_match
from redqueen.agents.llm.parsing import ParsedReply, parse_reply
from redqueen.agents.llm.prompts import answer_instruction, legal_moves_block, system_prompt
from redqueen.errors import InvalidParameterError
from redqueen.games.core import SIMULTANEOUS, Game, Step
from redqueen.games.matrix import MatrixGame
from redqueen.games.repeated import RepeatedGame

PREDICTION_QUESTION = (
    "Before you choose: which move do you predict the other player will make this round?"
)


@dataclass(frozen=True)
class BeliefRecord:
    """One decision of one seat: the prediction asked before it and the action taken."""

    player: int
    decision: int
    """0 for the seat's first decision in the match, 1 for the next, ..."""
    prediction: int | None
    """The other player's action the seat predicted (None: the reply named none)."""
    prediction_text: str | None
    """The answer as the model wrote it (None when no answer was found)."""
    action: int | None
    """The seat's own action that followed (None until it is known)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BeliefRecord:
        return cls(
            player=int(data["player"]),
            decision=int(data["decision"]),
            prediction=None if data["prediction"] is None else int(data["prediction"]),
            prediction_text=data["prediction_text"],
            action=None if data["action"] is None else int(data["action"]),
        )


def stage_game(game: Game) -> MatrixGame:
    """The matrix game played each round: ``game`` itself or a repeated game's stage."""
    if isinstance(game, MatrixGame):
        return game
    if isinstance(game, RepeatedGame):
        return game.stage
    raise InvalidParameterError(
        f"beliefs about the other player's move are defined for matrix games and repeated "
        f"matrix games; {game.id} is neither"
    )


def opponent_moves(game: Game, player: int) -> list[tuple[int, str]]:
    """The other player's actions in the stage game, as ``(id, name)``."""
    stage = stage_game(game)
    other = 1 - player
    return list(enumerate(stage.action_names(other)))


def prediction_message(observation: str, moves: Sequence[str], answer_format: str) -> str:
    """The question asked before a decision: the observation, then which of the other
    player's ``moves`` the player predicts. The moves are listed under the same header as
    legal moves, so any reader of decision messages (the scripted test server included)
    can answer it."""
    example = moves[0] if moves else "MOVE"
    return "\n\n".join(
        [
            observation.strip(),
            PREDICTION_QUESTION,
            legal_moves_block(moves),
            answer_instruction(answer_format, example, subject="your prediction"),
        ]
    )


def parse_prediction(
    reply: str, answer_format: str, moves: Sequence[tuple[int, str]]
) -> ParsedReply:
    """The other player's move named in ``reply`` (read as a move is: extracted in the
    answer format, then matched exactly, by normalised text, by a unique prefix)."""
    return parse_reply(reply, answer_format, moves)


def prediction_note(predicted: str) -> str:
    """Put before the decision message once a prediction was made."""
    return (
        f"You predicted that the other player will choose {predicted} this round. Given "
        "that prediction, choose the move that is best for you."
    )


def best_responses(game: Game, player: int, predicted: int) -> frozenset[int]:
    """``player``'s actions that maximise its stage payoff against ``predicted``."""
    stage = stage_game(game)
    rows = stage.payoff_rows(player)
    n_own = stage.num_actions(player)
    if not 0 <= predicted < stage.num_actions(1 - player):
        raise InvalidParameterError(
            f"predicted action {predicted} is not an action of player {1 - player}; allowed: "
            f"0..{stage.num_actions(1 - player) - 1}"
        )
    if player == 0:
        payoffs = [rows[a][predicted] for a in range(n_own)]
    else:
        payoffs = [rows[predicted][a] for a in range(n_own)]
    best = max(payoffs)
    return frozenset(a for a, v in enumerate(payoffs) if math.isclose(v, best))


@dataclass(frozen=True)
class BeliefConsistency:
    """How often actions were best responses to the player's own stated predictions."""

    decisions: int
    """Decisions with both a parsed prediction and an action."""
    consistent: int
    unparsed: int
    """Decisions whose prediction could not be read (left out of the fraction)."""

    @property
    def fraction(self) -> float:
        return self.consistent / self.decisions if self.decisions else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "decisions": self.decisions,
            "consistent": self.consistent,
            "unparsed": self.unparsed,
            "fraction": None if not self.decisions else self.fraction,
        }


def belief_consistency(game: Game, records: Iterable[BeliefRecord]) -> BeliefConsistency:
    """The share of decisions that best-respond (in the stage game) to the prediction
    made just before them."""
    decisions = consistent = unparsed = 0
    for r in records:
        if r.action is None:
            continue
        if r.prediction is None:
            unparsed += 1
            continue
        decisions += 1
        consistent += r.action in best_responses(game, r.player, r.prediction)
    return BeliefConsistency(decisions, consistent, unparsed)


def round_actions(trajectory: Sequence[Step]) -> list[tuple[int, ...]]:
    """The joint action of each round of a (repeated) matrix game, from a match
    trajectory (its simultaneous steps, in order)."""
    rounds: list[tuple[int, ...]] = []
    for step in trajectory:
        if step.player == SIMULTANEOUS and isinstance(step.action, tuple):
            rounds.append(step.action)
    return rounds


def prediction_counts(
    records: Iterable[BeliefRecord], trajectory: Sequence[Step]
) -> tuple[int, int]:
    """``(hits, scored)``: of the predictions that can be scored (parsed, for a round the
    trajectory holds), how many named the other player's move in that round. Unparsed
    predictions and those for rounds not played are in neither count."""
    rounds = round_actions(trajectory)
    hits = scored = 0
    for r in records:
        if r.prediction is None or r.decision >= len(rounds):
            continue
        scored += 1
        hits += rounds[r.decision][1 - r.player] == r.prediction
    return hits, scored


def prediction_accuracy(records: Iterable[BeliefRecord], trajectory: Sequence[Step]) -> float:
    """The fraction of scorable predictions that named the other player's move in that
    round (NaN when there are none), for games without execution noise; the counts
    behind it are :func:`prediction_counts`."""
    hits, scored = prediction_counts(records, trajectory)
    return hits / scored if scored else math.nan


class PredictFirstLLMAgent(LLMAgent):
    """An :class:`LLMAgent` that, before each decision, is asked to predict the other
    player's move (Akata et al.'s social chain-of-thought), then decides with its
    prediction stated (:func:`prediction_note`). It takes every parameter of
    ``LLMAgent``; both calls go through the same backend, cache and transcript.

    The predictions are kept per match (the key of the match being recorded, see
    :func:`redqueen.agents.llm.context.recording`; None outside one) and seat:
    :meth:`beliefs` returns them with the action that followed each.
    """

    name = "llm_predict_first"
    __signature__ = inspect.signature(LLMAgent)
    """The parameters of ``LLMAgent`` (read by ``make_agent`` to check names)."""

    def __init__(self, **params: object) -> None:
        super().__init__(**params)  # type: ignore[arg-type]
        self._records: dict[str | None, list[BeliefRecord]] = {}

    def __getstate__(self) -> dict[str, object]:
        state = super().__getstate__()
        state["_records"] = {}
        return state

    def check_game(self, game: Game) -> None:
        stage_game(game)
        super().check_game(game)

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, dict(super().spec().params))

    def beliefs(self, match_key: str | None = None) -> list[BeliefRecord]:
        """The records of ``match_key`` (in decision order, both seats)."""
        return list(self._records.get(match_key, []))

    def pop_beliefs(self, match_key: str | None = None) -> list[BeliefRecord]:
        """:meth:`beliefs`, forgotten afterwards (runners call it once a match is over)."""
        return self._records.pop(match_key, [])

    async def aact(self, obs: Observation) -> int | str:
        moves = opponent_moves(obs.game, obs.player)
        names = [name for _, name in moves]
        question = [
            {
                "role": "system",
                "content": system_prompt(
                    obs.game.rules_text(), self.answer_format, self.system_prompt_extra
                ),
            },
            {"role": "user", "content": prediction_message(obs.text, names, self.answer_format)},
        ]
        seed = int(obs.rng.integers(2**31))
        reply = await self.chat(question, seat=obs.player, seed=seed, moves=moves)
        parsed = parse_prediction(reply, self.answer_format, moves)
        decided = obs
        if parsed.action is not None:
            note = prediction_note(names[parsed.action])
            decided = dataclasses.replace(obs, text=f"{note}\n\n{obs.text}")
        answer = await super().aact(decided)
        forfeit = isinstance(answer, LLMMove) and answer.forfeit
        action = None if forfeit or isinstance(answer, str) else int(answer)
        context = current_match()
        key = context.match_key if context is not None else None
        self._records.setdefault(key, []).append(
            BeliefRecord(
                player=obs.player,
                decision=len(obs.history),
                prediction=parsed.action,
                prediction_text=parsed.answer,
                action=action,
            )
        )
        return answer
