"""Minimax search with alpha-beta pruning, for two-player zero-sum perfect-information games.

The agent searches the game tree below ``obs.state`` (the copy an Observation carries in
perfect-information games) in negamax form: a position's score is the best, over its
moves, of the score the mover gets, and one player's score is minus the other's. Alpha-beta
pruning (Knuth and Moore, "An analysis of alpha-beta pruning", Artificial Intelligence 6,
1975) skips moves that cannot change the result, and a transposition table keyed by the
mover's information-state key (in a perfect-information game, the position) stores what
was learned about each position, so a position reached by several move orders is searched
once; it is kept between moves of a game and cleared by ``reset``.

Scores are in "normalised utility" units: a terminal state is worth ``u * WIN_SCORE``
minus the number of plies from the root to it for a win (plus it for a loss), where ``u``
is the mover's return divided by the largest absolute utility of the game. So the search
prefers faster wins and slower losses, and any forced result outranks every heuristic
estimate, which lies in [-1, 1]. With ``depth`` set, positions that many plies below the
root that are not terminal are scored by a heuristic from :data:`HEURISTICS`: ``"zero"``
(every unfinished position is even) or ``"line_count"`` (for games such as tic_tac_toe and
connect_four whose states list their winning lines: lines still open to only one player
count for that player, more for fuller lines).

Moves of equal score are broken by ``tie_break``: ``"first"`` takes the lowest action id,
``"random"`` draws one uniformly from ``obs.rng``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import TERMINAL, ChanceMode, Dynamics, Game, State, UtilityKind

WIN_SCORE = 1_000_000.0
"""The score of a forced win worth the game's largest utility, before the ply discount."""
_PROVEN = 2.0
"""Scores beyond this in absolute value come from terminal states (heuristics are <= 1)."""
_TIE_EPS = 1e-9
_MAX_TABLE = 2_000_000
_EXACT, _LOWER, _UPPER = 0, 1, 2

Heuristic = Callable[[State, int], float]
"""``heuristic(state, player)``: how good an unfinished ``state`` is for ``player``, in
[-1, 1] (values outside are clipped)."""


@runtime_checkable
class LineGameState(Protocol):
    """A state of a game won by filling a line of cells (tic-tac-toe, connect four)."""

    def cell_owners(self) -> tuple[int, ...]:
        """For each cell, the seat whose mark is there, or -1 if it is empty."""
        ...

    def winning_lines(self) -> tuple[tuple[int, ...], ...]:
        """Every set of cells that wins when one player fills it."""
        ...


def zero_heuristic(state: State, player: int) -> float:
    """Every unfinished position is even: the search only sees forced results."""
    return 0.0


def line_count_heuristic(state: State, player: int) -> float:
    """Open lines: each winning line that holds marks of only one player counts for that
    player, by the square of the fraction of it filled; the total is averaged over lines.

    Needs a state with ``cell_owners()`` and ``winning_lines()`` (:class:`LineGameState`).
    """
    if not isinstance(state, LineGameState):
        raise RedqueenError(
            f"heuristic 'line_count' needs a game whose states list their cells and winning "
            f"lines (cell_owners() and winning_lines(), as tic_tac_toe and connect_four "
            f"do); {state.game.id} does not. Use heuristic 'zero' instead."
        )
    owners = state.cell_owners()
    lines = state.winning_lines()
    total = 0.0
    for line in lines:
        mine = theirs = 0
        for cell in line:
            owner = owners[cell]
            if owner == player:
                mine += 1
            elif owner >= 0:
                theirs += 1
        if mine and not theirs:
            total += (mine / len(line)) ** 2
        elif theirs and not mine:
            total -= (theirs / len(line)) ** 2
    return total / len(lines) if lines else 0.0


HEURISTICS: dict[str, Heuristic] = {
    "line_count": line_count_heuristic,
    "zero": zero_heuristic,
}
"""Heuristics for depth-limited search, by name."""

TIE_BREAKS = ("first", "random")


@dataclass(frozen=True)
class SearchResult:
    """What a search found at one position, for the player to move there.

    ``score`` is the best score (see the module docstring: 0 is a draw or an even
    estimate, ``WIN_SCORE * u - k`` a forced win worth ``u`` in ``k`` plies);
    ``best_actions`` every action reaching it, in increasing id; ``scores`` each root
    action's score, exact for the best actions and an upper bound for the others.
    """

    score: float
    best_actions: tuple[int, ...]
    scores: dict[int, float]
    nodes: int

    @property
    def proven(self) -> bool:
        """Whether the score is a forced win or loss rather than a draw or estimate."""
        return abs(self.score) > _PROVEN


class MinimaxAgent(Agent):
    """Alpha-beta minimax with a transposition table; optional depth limit and heuristic.

    ``depth``: plies to search (None: to the end of the game). ``heuristic``: the name of
    a scoring function for unfinished positions at the depth limit (None: ``"zero"``).
    ``tie_break``: ``"first"`` or ``"random"`` among equally scored moves.
    """

    name = "minimax"
    reads_text = False

    def __init__(
        self, *, depth: int | None = None, heuristic: str | None = None, tie_break: str = "first"
    ) -> None:
        if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)):
            raise InvalidParameterError(
                f"minimax depth must be a positive integer or None, got {depth!r}"
            )
        if depth is not None and depth < 1:
            raise InvalidParameterError(f"minimax depth must be >= 1 or None, got {depth}")
        if heuristic is not None and heuristic not in HEURISTICS:
            raise UnknownNameError("minimax heuristic", str(heuristic), HEURISTICS)
        if tie_break not in TIE_BREAKS:
            raise UnknownNameError("minimax tie_break", str(tie_break), TIE_BREAKS)
        self.depth = depth
        self.heuristic = heuristic
        self.tie_break = tie_break
        self._evaluate: Heuristic = HEURISTICS[heuristic or "zero"]
        self._table: dict[tuple[int, Hashable], tuple[float, int, float, int]] = {}
        self._table_game: Game | None = None
        self._scale = 1.0
        self._nodes = 0

    def spec(self) -> AgentSpec:
        params: dict[str, Any] = {}
        if self.depth is not None:
            params["depth"] = self.depth
        if self.heuristic is not None:
            params["heuristic"] = self.heuristic
        if self.tie_break != "first":
            params["tie_break"] = self.tie_break
        return AgentSpec("minimax", params)

    def reset(self) -> None:
        self._table.clear()
        self._table_game = None

    def act(self, obs: Observation) -> int:
        if obs.state is None:
            raise RedqueenError(
                "minimax needs the state in the observation (obs.state), which is given "
                f"only for perfect-information games; {obs.game.id} gave none"
            )
        result = self.search(obs.state)
        best = [a for a in result.best_actions if a in obs.legal_actions]
        if not best:
            raise RedqueenError(
                f"minimax found moves {list(result.best_actions)} but the observation's "
                f"legal actions are {list(obs.legal_actions)}"
            )
        if self.tie_break == "random" and len(best) > 1:
            return best[int(obs.rng.integers(len(best)))]
        return best[0]

    def check_game(self, game: Game) -> None:
        _require_supported(game)

    def search(self, state: State) -> SearchResult:
        """Search below ``state`` (not changed) and score each move of the player to move."""
        game = state.game
        _require_supported(game)
        if self._table_game is not game:
            self._table.clear()
            self._table_game = game
            spec = game.spec
            self._scale = max(abs(spec.min_utility), abs(spec.max_utility)) or 1.0
        if len(self._table) > _MAX_TABLE:
            self._table.clear()
        player = state.current_player()
        if player < 0:
            raise RedqueenError(f"minimax needs a decision node; this state's player is {player}")
        if self.depth is not None:
            self._evaluate(state, player)  # a heuristic that cannot score this game says so now
        depth_left = math.inf if self.depth is None else float(self.depth)
        self._nodes = 0
        scores: dict[int, float] = {}
        best = -math.inf
        for action in state.legal_actions():
            # A window just below the best so far: ties get exact scores, worse moves fail low.
            value = self._child_score(
                state, player, action, depth_left, 0, best - _TIE_EPS, math.inf
            )
            scores[action] = value
            best = max(best, value)
        best_actions = tuple(a for a, v in scores.items() if v >= best - _TIE_EPS)
        return SearchResult(best, best_actions, scores, self._nodes)

    # ---- the search -----------------------------------------------------------------

    def _child_score(
        self,
        state: State,
        player: int,
        action: int,
        depth_left: float,
        ply: int,
        alpha: float,
        beta: float,
    ) -> float:
        """The score for ``player`` of playing ``action`` at ``state`` (``ply`` from root)."""
        child = state.clone()
        child.apply_action(action)
        self._nodes += 1
        mover = child.current_player()
        if mover == TERMINAL:
            return self._terminal_score(child.returns()[player], ply + 1)
        if mover == player:
            return self._negamax(child, depth_left - 1, ply + 1, alpha, beta)
        return -self._negamax(child, depth_left - 1, ply + 1, -beta, -alpha)

    def _negamax(
        self, state: State, depth_left: float, ply: int, alpha: float, beta: float
    ) -> float:
        player = state.current_player()
        if depth_left <= 0:
            return max(-1.0, min(1.0, float(self._evaluate(state, player))))
        key = (player, state.information_state_key(player))
        entry = self._table.get(key)
        first = -1
        if entry is not None:
            stored_depth, flag, stored, first = entry
            if stored_depth >= depth_left:
                value = _from_table(stored, ply)
                if (
                    flag == _EXACT
                    or (flag == _LOWER and value >= beta)
                    or (flag == _UPPER and value <= alpha)
                ):
                    return value
        actions = state.legal_actions()
        if first in actions:
            actions.remove(first)
            actions.insert(0, first)
        alpha_in = alpha
        best = -math.inf
        best_action = actions[0]
        for action in actions:
            value = self._child_score(state, player, action, depth_left, ply, alpha, beta)
            if value > best:
                best, best_action = value, action
                if value > alpha:
                    alpha = value
                    if alpha >= beta:
                        break
        flag = _UPPER if best <= alpha_in else _LOWER if best >= beta else _EXACT
        self._table[key] = (depth_left, flag, _to_table(best, ply), best_action)
        return best

    def _terminal_score(self, utility: float, ply: int) -> float:
        u = utility / self._scale
        if u > 0:
            return u * WIN_SCORE - ply
        if u < 0:
            return u * WIN_SCORE + ply
        return 0.0


def _to_table(score: float, ply: int) -> float:
    """Forced results are stored as distance from the position, not from the root."""
    if score > _PROVEN:
        return score + ply
    if score < -_PROVEN:
        return score - ply
    return score


def _from_table(score: float, ply: int) -> float:
    if score > _PROVEN:
        return score - ply
    if score < -_PROVEN:
        return score + ply
    return score


def _require_supported(game: Game) -> None:
    spec = game.spec
    problems = []
    if spec.num_players != 2:
        problems.append(f"it has {spec.num_players} players")
    if spec.utility != UtilityKind.ZERO_SUM:
        problems.append(f"it is {spec.utility}")
    if not spec.perfect_information:
        problems.append("it has imperfect information")
    if spec.chance != ChanceMode.NONE:
        problems.append("it has chance nodes")
    if spec.dynamics != Dynamics.SEQUENTIAL:
        problems.append("its moves are simultaneous")
    if problems:
        raise RedqueenError(
            "minimax needs a two-player, zero-sum, perfect-information game with sequential "
            f"moves and no chance; {spec.id} is not: {'; '.join(problems)}"
        )
