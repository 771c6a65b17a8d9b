"""Watching a stored match: its trajectory replayed into one frame per step.

Frame 0 is the initial state; frame ``k`` is the state after the match's first ``k``
transitions (chance outcomes included), with the transition that led to it: who moved,
the move's name as the game writes it, and, for a chance outcome, its probability.
Each frame holds every seat's text view (``observation_text``) and, where the game has
one, a board seen by a spectator (every card face up). Replaying is exact: the stored
trajectory is applied to a new state with :func:`redqueen.play.match.replay`'s rules.

For LLM seats the frames carry the calls behind each decision, read from the run's
transcripts (:class:`~redqueen.store.llm_cache.LLMStore`). A seat's calls are handed to
its decisions in order: a decision takes the calls up to and including the first one
whose answer is the move it made (re-asks after an invalid reply are thus kept with the
decision they belong to). Calls that no decision claims (a move played at random after
the last invalid reply, a forfeit, a prediction of the other player's move) are listed
apart, under the seat, so that nothing stored is hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from redqueen.agents.llm.beliefs import PREDICTION_QUESTION
from redqueen.agents.llm.calls import CallRecord
from redqueen.games.core import CHANCE, SIMULTANEOUS, Game, State, Step
from redqueen.play.match import MatchResult
from redqueen.web.boards import board_html


@dataclass(frozen=True)
class Transition:
    """The step that led to a frame."""

    player: int
    """The seat that moved, or ``CHANCE`` or ``SIMULTANEOUS``."""
    text: str
    probability: float | None = None
    """A chance outcome's probability."""

    @property
    def who(self) -> str:
        if self.player == CHANCE:
            return "chance"
        if self.player == SIMULTANEOUS:
            return "every seat"
        return f"player {self.player}"


@dataclass
class Frame:
    step: int
    transition: Transition | None
    views: list[str]
    to_move: str
    board: str | None
    calls: dict[int, list[CallRecord]] = field(default_factory=dict)
    """LLM calls behind the decision that led here, by seat."""


def _move_text(state: State, step: Step) -> Transition:
    if isinstance(step.action, tuple):
        parts = [f"player {p}: {state.action_text(a, p)}" for p, a in enumerate(step.action)]
        return Transition(SIMULTANEOUS, "; ".join(parts))
    if isinstance(step.action, str):
        return Transition(step.player, step.action)
    if step.player == CHANCE:
        probs = dict(state.chance_outcomes())
        return Transition(CHANCE, state.action_text(step.action, CHANCE), probs.get(step.action))
    return Transition(step.player, state.action_text(step.action, step.player))


def _to_move(state: State) -> str:
    if state.is_terminal():
        return "game over: returns " + ", ".join(f"{r:g}" for r in state.returns())
    player = state.current_player()
    if player == CHANCE:
        return "chance moves next"
    if player == SIMULTANEOUS:
        return "every seat moves next, at once"
    return f"player {player} moves next"


def _apply(state: State, step: Step) -> None:
    if isinstance(step.action, tuple):
        state.apply_joint_action(list(step.action))
    elif isinstance(step.action, str):
        state.apply_text_action(step.action, step.player)
    else:
        state.apply_action(step.action)


def _claims(
    result: MatchResult, calls: Sequence[CallRecord]
) -> tuple[dict[int, dict[int, list[CallRecord]]], dict[int, list[CallRecord]]]:
    """Calls by frame and seat, and the calls no decision claimed, by seat."""
    by_seat: dict[int, list[CallRecord]] = {}
    for c in calls:
        if c.seat is not None and not _is_prediction(c):
            by_seat.setdefault(c.seat, []).append(c)
    for seat_calls in by_seat.values():
        seat_calls.sort(key=lambda c: c.call)
    claimed: dict[int, dict[int, list[CallRecord]]] = {}
    position = dict.fromkeys(by_seat, 0)
    for k, step in enumerate(result.trajectory):
        if isinstance(step.action, tuple):
            moves = dict(enumerate(step.action))
        elif step.player >= 0 and not isinstance(step.action, str):
            moves = {step.player: step.action}
        else:
            continue
        for seat, action in moves.items():
            pending = by_seat.get(seat, [])
            start = position.get(seat, 0)
            end = next((i for i in range(start, len(pending)) if pending[i].action == action), None)
            if end is None:
                continue
            claimed.setdefault(k + 1, {})[seat] = pending[start : end + 1]
            position[seat] = end + 1
    taken = {id(c) for seats in claimed.values() for cs in seats.values() for c in cs}
    unclaimed = {seat: [c for c in cs if id(c) not in taken] for seat, cs in by_seat.items()}
    for c in calls:  # predictions are never a seat's move
        if c.seat is not None and _is_prediction(c):
            unclaimed.setdefault(c.seat, []).append(c)
    return claimed, {s: cs for s, cs in unclaimed.items() if cs}


def _is_prediction(c: CallRecord) -> bool:
    """A call that asked for a prediction of the other player's move."""
    users = [str(m.get("content", "")) for m in c.messages if m.get("role") == "user"]
    return bool(users) and PREDICTION_QUESTION in users[0]


@dataclass
class MatchFrames:
    frames: list[Frame]
    unclaimed_calls: dict[int, list[CallRecord]]


def match_frames(game: Game, result: MatchResult, calls: Sequence[CallRecord] = ()) -> MatchFrames:
    """Every frame of the stored match ``result`` of ``game`` (see the module docstring)."""
    state = game.new_initial_state()
    claimed, unclaimed = _claims(result, calls)
    seats = range(game.num_players)

    def frame(step: int, transition: Transition | None) -> Frame:
        return Frame(
            step=step,
            transition=transition,
            views=[state.observation_text(p) for p in seats],
            to_move=_to_move(state),
            board=board_html(state, None),
            calls=claimed.get(step, {}),
        )

    frames = [frame(0, None)]
    for k, step in enumerate(result.trajectory, start=1):
        transition = _move_text(state, step)
        _apply(state, step)
        frames.append(frame(k, transition))
    return MatchFrames(frames, unclaimed)
