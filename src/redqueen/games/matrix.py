"""Two-player normal-form (matrix) games, the classic presets, and the 144 ordinal 2x2 games.

A normal-form game is the simplest game there is: both players choose at once, once, and
each is paid from a payoff matrix. It is still the object most of game theory is about, the
stage game of every repeated-game study (Axelrod's tournaments, evolution of cooperation)
and the meta-game of population methods (PSRO, alpha-rank), so it must be exact and cheap.

``matrix_game(payoffs=[A, B])`` builds any bimatrix game: ``A[i][j]`` is the row player's
(seat 0) payoff and ``B[i][j]`` the column player's (seat 1) when the row player plays
``i`` and the column player plays ``j``. A single matrix ``A`` means a zero-sum game with
``B = -A``. The game tree is one :data:`~redqueen.games.core.SIMULTANEOUS` node (apply
both actions with ``apply_joint_action``) followed by a terminal node. Whether the game is
zero-sum, constant-sum or general-sum is detected from the matrices.

Presets with textbook payoffs (each docstring cites its source): ``prisoners_dilemma``
(Axelrod 1984), ``stag_hunt``, ``chicken``, ``battle_of_the_sexes`` (Osborne 2004),
``matching_pennies`` and ``rock_paper_scissors``. The social dilemmas share the
``R, S, T, P`` notation of Rapoport & Chammah (1965) and Macy & Flache (2002):
``R`` both cooperate, ``S`` I cooperate and the other defects, ``T`` I defect and the other
cooperates, ``P`` both defect.

``ordinal_2x2(index=k)`` is one of the 144 strict ordinal 2x2 games, the games whose
payoffs are each player's ranking 1 < 2 < 3 < 4 of the four outcomes, counted up to
relabelling each player's two strategies (Robinson & Goforth 2005, *The Topology of the
2x2 Games: A New Periodic Table*; Bruns 2015, "Names for Games: Locating 2x2 Games",
*Games* 6(4)). The index ``k`` is redqueen's own numbering (row-major over the two
players' preference patterns: the prisoner's dilemma is 1, chicken 14, the stag hunt
79), not the numbering of Robinson & Goforth's periodic table; see :func:`ordinal_2x2`.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import (
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
    normalise_text,
)

Number = int | float
Matrix = list[list[Number]]

_SEAT_NAMES = ("row", "column")


# ---- the game ---------------------------------------------------------------------------


class MatrixGame(Game):
    """A two-player normal-form game: one simultaneous move, then payoffs.

    Build it with :func:`matrix_game` or a preset; the constructor trusts its input.
    """

    def __init__(
        self,
        a: Matrix,
        b: Matrix,
        row_actions: Sequence[str],
        col_actions: Sequence[str],
        *,
        game_id: str,
        params: Mapping[str, Any],
        name: str,
        note: str = "",
    ) -> None:
        m, n = len(a), len(a[0])
        self._a: tuple[tuple[float, ...], ...] = tuple(tuple(float(x) for x in r) for r in a)
        self._b: tuple[tuple[float, ...], ...] = tuple(tuple(float(x) for x in r) for r in b)
        self._names: tuple[tuple[str, ...], tuple[str, ...]] = (
            tuple(row_actions),
            tuple(col_actions),
        )
        self._num_actions = (m, n)
        self.name = name
        self.note = note
        """A sentence on what the game is about, for the rules text ("" if none)."""
        utility, utility_sum = _utility_kind(self._a, self._b)
        values = [x for r in self._a for x in r] + [x for r in self._b for x in r]
        super().__init__(
            GameSpec(
                id=game_id,
                num_players=2,
                num_distinct_actions=max(m, n),
                max_game_length=1,
                min_utility=min(values),
                max_utility=max(values),
                dynamics=Dynamics.SIMULTANEOUS,
                chance=ChanceMode.NONE,
                utility=utility,
                utility_sum=utility_sum,
                perfect_information=False,
                max_chance_outcomes=0,
                params=dict(params),
            )
        )

    # ---- what the game is ----------------------------------------------------------------

    def payoff_matrices(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(A, B)``: the row player's and the column player's payoffs, shape (m, n)."""
        return np.array(self._a, dtype=np.float64), np.array(self._b, dtype=np.float64)

    def payoff_rows(self, player: int) -> tuple[tuple[float, ...], ...]:
        """``A`` (player 0) or ``B`` (player 1) as nested tuples, indexed [row][column]."""
        return (self._a, self._b)[_check_seat(player)]

    def action_names(self, player: int) -> list[str]:
        """The names of ``player``'s actions, by action id."""
        return list(self._names[_check_seat(player)])

    def num_actions(self, player: int) -> int:
        """How many actions ``player`` has (m for the row player, n for the column one)."""
        return self._num_actions[_check_seat(player)]

    def player_name(self, player: int) -> str:
        return f"player {player} ({_SEAT_NAMES[player]})" if player in (0, 1) else "chance"

    def new_initial_state(self) -> MatrixState:
        return MatrixState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(2 + m + n,)``: the seat, then the row and the column action once played."""
        m, n = self._num_actions
        return (2 + m + n,)

    # ---- text ----------------------------------------------------------------------------

    def payoff_table(self) -> str:
        """The bimatrix as a text table: rows are player 0's actions, columns player 1's."""
        return _payoff_table(self._a, self._b, self._names[0], self._names[1])

    def outcome_lines(self, player: int) -> list[str]:
        """One line per joint action, from ``player``'s point of view:
        ``(your move, their move): you X, they Y``."""
        other = 1 - player
        lines = []
        for mine in range(self._num_actions[player]):
            for theirs in range(self._num_actions[other]):
                i, j = (mine, theirs) if player == 0 else (theirs, mine)
                pay = (self._a[i][j], self._b[i][j])
                lines.append(
                    f"you {self._names[player][mine]}, they {self._names[other][theirs]}: "
                    f"you get {format_number(pay[player])}, they get {format_number(pay[other])}"
                )
        return lines

    def rules_text(self) -> str:
        m, n = self._num_actions
        kind = {
            UtilityKind.ZERO_SUM: "It is zero-sum: one player's gain is the other's loss.",
            UtilityKind.CONSTANT_SUM: (
                f"It is constant-sum: the two payoffs always add up to "
                f"{format_number(self.spec.utility_sum or 0.0)}."
            ),
            UtilityKind.GENERAL_SUM: "It is general-sum: the players' interests may partly agree.",
        }[self.spec.utility]
        parts = [
            f"{capitalise(self.name)}: a two-player game played once, with both players "
            "choosing at the same time without seeing the other's choice.",
            f"Player 0 (row) chooses one of {m} actions: {', '.join(self._names[0])}.",
            f"Player 1 (column) chooses one of {n} actions: {', '.join(self._names[1])}.",
            "Each cell of the table below gives (player 0's payoff, player 1's payoff) for "
            "that pair of choices; each player wants to maximise its own payoff.",
            self.payoff_table(),
            kind,
        ]
        if self.note:
            parts.append(self.note)
        return "\n".join(parts)

    # ---- value semantics -----------------------------------------------------------------

    def _identity(self) -> tuple[Any, ...]:
        return (self.spec.id, self.name, self._a, self._b, self._names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MatrixGame):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())


class MatrixState(State):
    """The one decision node of a matrix game, or the terminal node after it."""

    __slots__ = ("_joint",)

    _game: MatrixGame

    def __init__(self, game: MatrixGame) -> None:
        super().__init__(game)
        self._joint: tuple[int, int] | None = None

    def current_player(self) -> int:
        return SIMULTANEOUS if self._joint is None else TERMINAL

    def _legal_actions(self, player: int) -> list[int]:
        return list(range(self._game._num_actions[player]))

    def _is_legal(self, player: int, action: int) -> bool:
        return player in (0, 1) and 0 <= action < self._game._num_actions[player]

    def _apply_action(self, action: int) -> None:
        raise RedqueenError("a matrix game has only a simultaneous node: use apply_joint_action")

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        self._joint = (actions[0], actions[1])

    def returns(self) -> list[float]:
        if self._joint is None:
            return [0.0, 0.0]
        i, j = self._joint
        return [self._game._a[i][j], self._game._b[i][j]]

    def joint_action(self) -> tuple[int, int] | None:
        """``(row action, column action)`` once played, else None."""
        return self._joint

    def information_state_key(self, player: int) -> Hashable:
        return () if self._joint is None else self._joint

    def information_state_tensor(self, player: int) -> np.ndarray:
        """One-hot seat (2), then one-hot row action (m) and column action (n), all zeros
        until both have played. Within a seat, equal keys give equal tensors and different
        keys different ones."""
        seat = _check_seat(player)
        m, n = self._game._num_actions
        out = np.zeros(2 + m + n, dtype=np.float32)
        out[seat] = 1.0
        if self._joint is not None:
            out[2 + self._joint[0]] = 1.0
            out[2 + m + self._joint[1]] = 1.0
        return out

    def observation_text(self, player: int) -> str:
        game = self._game
        seat = _check_seat(player)
        other = 1 - seat
        lines = [
            f"{capitalise(game.name)}. You are player {seat} ({_SEAT_NAMES[seat]}); "
            f"the other player is player {other} ({_SEAT_NAMES[other]}).",
            "Both players choose at the same time, once. Payoffs (you, they):",
            *("  " + line for line in game.outcome_lines(seat)),
        ]
        if self._joint is None:
            lines.append(f"Choose one of: {', '.join(game._names[seat])}.")
        else:
            mine, theirs = self._joint[seat], self._joint[other]
            pay = self.returns()
            lines.append(
                f"Game over: you played {game._names[seat][mine]}, they played "
                f"{game._names[other][theirs]}; you got {format_number(pay[seat])}, "
                f"they got {format_number(pay[other])}."
            )
        return "\n".join(lines)

    def __str__(self) -> str:
        game = self._game
        if self._joint is None:
            return f"{game.name}: both players to move"
        i, j = self._joint
        return (
            f"{game.name}: row {game._names[0][i]}, column {game._names[1][j]} -> "
            f"{format_number(game._a[i][j])}, {format_number(game._b[i][j])}"
        )

    def _action_text(self, player: int, action: int) -> str:
        return _action_name(self._game, player, action)

    def clone(self) -> MatrixState:
        twin = MatrixState.__new__(MatrixState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._joint = self._joint
        return twin


# ---- the factory ------------------------------------------------------------------------


def matrix_game(
    *,
    payoffs: Any,
    row_actions: Sequence[str] | None = None,
    col_actions: Sequence[str] | None = None,
    name: str = "matrix",
) -> MatrixGame:
    """Any two-player normal-form game.

    ``payoffs`` is ``[A, B]``, two m x n matrices (lists of lists or arrays of finite
    numbers): ``A[i][j]`` is the row player's payoff and ``B[i][j]`` the column player's
    when row plays ``i`` and column plays ``j``. A single m x n matrix ``A`` means the
    zero-sum game ``[A, -A]``. ``row_actions`` (m names) and ``col_actions`` (n names)
    default to ``"row 0"``, ... and ``"column 0"``, ...; names must be distinct per player.

    >>> g = matrix_game(payoffs=[[0, -1, 1], [1, 0, -1], [-1, 1, 0]])
    >>> g.spec.utility
    <UtilityKind.ZERO_SUM: 'zero_sum'>
    """
    a, b, single = _parse_payoffs(payoffs)
    m, n = len(a), len(a[0])
    rows = _parse_names(row_actions, m, "row_actions", "row")
    cols = _parse_names(col_actions, n, "col_actions", "column")
    if not isinstance(name, str) or not name.strip():
        raise InvalidParameterError(f"name must be a non-empty string; got {name!r}")
    params: dict[str, Any] = {"payoffs": a if single else [a, b]}
    if row_actions is not None:
        params["row_actions"] = rows
    if col_actions is not None:
        params["col_actions"] = cols
    if name != "matrix":
        params["name"] = name
    return MatrixGame(a, b, rows, cols, game_id="matrix", params=params, name=name)


# ---- presets ----------------------------------------------------------------------------


def prisoners_dilemma(*, R: Number = 3, S: Number = 0, T: Number = 5, P: Number = 1) -> MatrixGame:
    """The prisoner's dilemma; actions 0 = cooperate, 1 = defect.

    ``R`` reward for mutual cooperation, ``S`` sucker's payoff, ``T`` temptation to
    defect, ``P`` punishment for mutual defection; the dilemma needs ``T > R > P > S``.
    Defaults are the payoffs of Axelrod's tournaments (R=3, S=0, T=5, P=1; Axelrod 1984,
    *The Evolution of Cooperation*, p. 8), also the Axelrod library's defaults.
    """
    r, s, t, p = _numbers({"R": R, "S": S, "T": T, "P": P})
    if not t > r > p > s:
        raise InvalidParameterError(
            f"a prisoner's dilemma needs T > R > P > S; got T={T}, R={R}, P={P}, S={S}"
        )
    return _symmetric(
        "prisoners_dilemma",
        {"R": R, "S": S, "T": T, "P": P},
        "prisoner's dilemma",
        ("cooperate", "defect"),
        r,
        s,
        t,
        p,
        note="Defecting is better for each player whatever the other does, yet both do "
        "better if both cooperate than if both defect.",
    )


def stag_hunt(*, R: Number = 2, S: Number = 0, T: Number = 1, P: Number = 1) -> MatrixGame:
    """The stag hunt (Rousseau; Skyrms 2004); actions 0 = stag, 1 = hare.

    ``R`` both hunt stag, ``S`` I hunt stag alone, ``T`` I hunt hare while the other
    hunts stag, ``P`` both hunt hare. A stag hunt needs ``R > T >= P > S`` (Wikipedia,
    "Stag hunt", generic form a > b >= d > c). The defaults are that article's Fig. 2
    example, also OpenSpiel's ``matrix_sh``: stag/stag 2, stag/hare 0, hare/anything 1.
    """
    r, s, t, p = _numbers({"R": R, "S": S, "T": T, "P": P})
    if not r > t >= p > s:
        raise InvalidParameterError(
            f"a stag hunt needs R > T >= P > S; got R={R}, T={T}, P={P}, S={S}"
        )
    return _symmetric(
        "stag_hunt",
        {"R": R, "S": S, "T": T, "P": P},
        "stag hunt",
        ("stag", "hare"),
        r,
        s,
        t,
        p,
        note="Hunting stag pays best if the other also hunts stag; hunting hare is safe.",
    )


def chicken(*, R: Number = 0, S: Number = -1, T: Number = 1, P: Number = -1000) -> MatrixGame:
    """Chicken (hawk-dove, snowdrift); actions 0 = swerve, 1 = straight.

    ``R`` both swerve (tie), ``S`` I swerve and the other goes straight (lose), ``T`` I go
    straight and the other swerves (win), ``P`` both go straight (crash). Chicken needs
    ``T > R > S > P`` (Rapoport & Chammah 1966, "The game of chicken"). The defaults are
    the numbers of Wikipedia's "Chicken (game)" Fig. 2: win 1, tie 0, lose -1,
    crash -1000.
    """
    r, s, t, p = _numbers({"R": R, "S": S, "T": T, "P": P})
    if not t > r > s > p:
        raise InvalidParameterError(f"chicken needs T > R > S > P; got T={T}, R={R}, S={S}, P={P}")
    return _symmetric(
        "chicken",
        {"R": R, "S": S, "T": T, "P": P},
        "chicken",
        ("swerve", "straight"),
        r,
        s,
        t,
        p,
        note="Each player wants the other to swerve, but a crash is the worst outcome for both.",
    )


def battle_of_the_sexes(
    *, preferred: Number = 2, other: Number = 1, apart: Number = 0
) -> MatrixGame:
    """Battle of the sexes ("Bach or Stravinsky?"); actions 0 = Bach, 1 = Stravinsky.

    Both want to attend the same concert; player 0 prefers Bach, player 1 Stravinsky.
    Together at your preferred concert you get ``preferred``, together at the other's
    ``other``, apart ``apart``; it needs ``preferred > other > apart``. Defaults are the
    "BoS" payoffs of Osborne (2004), *An Introduction to Game Theory*, ch. 2 (also
    Osborne & Rubinstein 1994): (2, 1), (0, 0), (0, 0), (1, 2).
    """
    hi, lo, zero = _numbers({"preferred": preferred, "other": other, "apart": apart})
    if not hi > lo > zero:
        raise InvalidParameterError(
            "battle of the sexes needs preferred > other > apart; got "
            f"preferred={preferred}, other={other}, apart={apart}"
        )
    a = [[hi, zero], [zero, lo]]
    b = [[lo, zero], [zero, hi]]
    names = ("Bach", "Stravinsky")
    return MatrixGame(
        a,
        b,
        names,
        names,
        game_id="battle_of_the_sexes",
        params={"preferred": preferred, "other": other, "apart": apart},
        name="battle of the sexes",
        note="Player 0 prefers Bach and player 1 Stravinsky, but both prefer going to the "
        "same concert over going to different ones.",
    )


def matching_pennies(*, stake: Number = 1) -> MatrixGame:
    """Matching pennies; actions 0 = heads, 1 = tails.

    Player 0 (the matcher) wins ``stake`` from player 1 if the pennies match and loses
    ``stake`` otherwise: zero-sum with the unique equilibrium (1/2, 1/2) (von Neumann &
    Morgenstern 1944; Osborne 2004). The default is OpenSpiel's ``matrix_mp``.
    """
    (w,) = _numbers({"stake": stake})
    if not w > 0:
        raise InvalidParameterError(f"stake must be > 0; got stake={stake}")
    a = [[w, -w], [-w, w]]
    names = ("heads", "tails")
    return MatrixGame(
        a,
        _negate(a),
        names,
        names,
        game_id="matching_pennies",
        params={"stake": stake},
        name="matching pennies",
        note="Player 0 wins if the two choices match; player 1 wins if they differ.",
    )


def rock_paper_scissors(*, win: Number = 1, lose: Number = -1, tie: Number = 0) -> MatrixGame:
    """Rock-paper-scissors; actions 0 = rock, 1 = paper, 2 = scissors.

    Rock beats scissors, scissors beat paper, paper beats rock. The winner gets ``win``,
    the loser ``lose``, both get ``tie`` on a tie; it needs ``win > tie > lose``. The
    defaults (1, -1, 0) give the classic zero-sum game with the uniform equilibrium
    (as OpenSpiel's ``matrix_rps``); other values give weighted variants.
    """
    w, lo, t = _numbers({"win": win, "lose": lose, "tie": tie})
    if not w > t > lo:
        raise InvalidParameterError(
            f"rock-paper-scissors needs win > tie > lose; got win={win}, tie={tie}, lose={lose}"
        )
    # beats[i] is the action that i beats: rock(0) > scissors(2) > paper(1) > rock(0).
    beats = {0: 2, 1: 0, 2: 1}
    a = [[t if i == j else (w if beats[i] == j else lo) for j in range(3)] for i in range(3)]
    b = [[a[j][i] for j in range(3)] for i in range(3)]
    names = ("rock", "paper", "scissors")
    return MatrixGame(
        a,
        b,
        names,
        names,
        game_id="rock_paper_scissors",
        params={"win": win, "lose": lose, "tie": tie},
        name="rock-paper-scissors",
        note="Rock beats scissors, scissors beat paper and paper beats rock; equal choices tie.",
    )


# ---- the 144 ordinal 2x2 games ----------------------------------------------------------

# Each player's payoff pattern is written as the payoffs (R, S, T, P) of a symmetric game
# from that player's own point of view, with its action 0 read as "C" and 1 as "D":
# R = (C, C), S = (C, D), T = (D, C), P = (D, D) (own move first). The 12 patterns are
# the 12 symmetric ordinal games. Within each half of six, consecutive patterns (cyclically)
# differ by one swap of adjacent ranks (1-2 or 2-3), the swaps of Robinson & Goforth's
# topology; patterns k and k+6 for k = 1, 2 differ by the swap of ranks 3 and 4 (T <-> R).
ORDINAL_2X2_PATTERNS: tuple[tuple[str, tuple[int, int, int, int]], ...] = (
    ("prisoner's dilemma (T>R>P>S)", (3, 1, 4, 2)),
    ("chicken (T>R>S>P)", (3, 2, 4, 1)),
    ("leader (T>S>R>P)", (2, 3, 4, 1)),
    ("hero (S>T>R>P, strategies relabelled: T>S>P>R)", (1, 3, 4, 2)),
    ("T>P>S>R", (1, 2, 4, 3)),
    ("deadlock (T>P>R>S)", (2, 1, 4, 3)),
    ("stag hunt (R>T>P>S)", (4, 1, 3, 2)),
    ("R>T>S>P", (4, 2, 3, 1)),
    ("R>S>T>P", (4, 3, 2, 1)),
    ("R>S>P>T", (4, 3, 1, 2)),
    ("R>P>S>T", (4, 2, 1, 3)),
    ("R>P>T>S", (4, 1, 2, 3)),
)
"""The 12 payoff patterns that index the rows (player 0) and columns (player 1) of the
12 x 12 table of :func:`ordinal_2x2`, as ``(label, (R, S, T, P))`` in ranks 1..4."""

ORDINAL_2X2_SYMMETRIC: dict[str, int] = {
    "prisoners_dilemma": 1,
    "chicken": 14,
    "leader": 27,
    "hero": 40,
    "deadlock": 66,
    "stag_hunt": 79,
}
"""Where the named symmetric games are in :func:`ordinal_2x2`'s indexing (diagonal cells
``13 * (k - 1) + 1`` for pattern ``k``). Orderings: prisoner's dilemma T>R>P>S, chicken
T>R>S>P, stag hunt R>T>P>S (Macy & Flache 2002), deadlock T>P>R>S, leader T>S>R>P and
hero S>T>R>P (Rapoport 1967, "Exploiter, leader, hero, and martyr")."""


def ordinal_2x2(*, index: int | None = None) -> MatrixGame:
    """One of the 144 strict ordinal 2x2 games, by ``index`` in 1..144 (redqueen's own
    numbering, not Robinson & Goforth's).

    Payoffs are ranks 1 (worst) to 4 (best) for each player; every strict ordinal 2x2
    game equals exactly one of the 144 after relabelling each player's two strategies
    (Robinson & Goforth 2005). The 144 fall into 78 classes when the two players may
    also be swapped (Rapoport & Guyer 1966): the 12 symmetric games and 66 pairs.

    Indexing (ours; documented because we could not confirm the numbers Robinson &
    Goforth print in their table): the games form a 12 x 12 table, row ``r`` giving
    player 0's payoff pattern and column ``c`` player 1's, each one of
    :data:`ORDINAL_2X2_PATTERNS`, and ``index = 12 * (r - 1) + c`` (row-major). Game
    ``(r, c)`` pays player 0 the payoffs of symmetric game ``r`` and player 1 those of
    symmetric game ``c`` (Bruns 2015 names asymmetric games by the same two
    coordinates), with ``A = [[R_r, S_r], [T_r, P_r]]`` and ``B = A_c`` transposed.
    So the diagonal ``index = 13 * (k - 1) + 1`` holds the 12 symmetric games (1 is the
    prisoner's dilemma, 14 chicken, 79 the stag hunt; see
    :data:`ORDINAL_2X2_SYMMETRIC`), game ``(c, r)`` is game ``(r, c)`` with the players
    swapped, and the four 6 x 6 quadrants group the games by where the two players'
    best outcomes lie relative to each other (the grouping behind the four layers of
    Robinson & Goforth's table, as Bruns 2015 describes them; we could not check their
    exact layout): in opposite corners (rows and columns 1-6), in the same cell
    (7-12 x 7-12), in the same column (1-6 x 7-12) or in the same row (7-12 x 1-6).
    :func:`locate_ordinal_2x2` finds the index of any 2x2 game without ties.
    """
    if index is None:
        raise InvalidParameterError("ordinal_2x2 needs index=, an integer in 1..144")
    if isinstance(index, bool) or not isinstance(index, numbers.Integral):
        raise InvalidParameterError(f"index must be an integer in 1..144; got {index!r}")
    k = int(index)
    if not 1 <= k <= 144:
        raise InvalidParameterError(f"index must be in 1..144; got {k}")
    r, c = divmod(k - 1, 12)
    label_r, (r0, s0, t0, p0) = ORDINAL_2X2_PATTERNS[r]
    label_c, (r1, s1, t1, p1) = ORDINAL_2X2_PATTERNS[c]
    a = [[r0, s0], [t0, p0]]
    b = [[r1, t1], [s1, p1]]
    if r == c:
        title = f"ordinal 2x2 game {k} (symmetric: {label_r})"
    else:
        title = f"ordinal 2x2 game {k} (row: {label_r}; column: {label_c})"
    return MatrixGame(
        a,
        b,
        ("row 0", "row 1"),
        ("column 0", "column 1"),
        game_id="ordinal_2x2",
        params={"index": k},
        name=title,
        note="Payoffs are ranks: 4 is a player's best outcome and 1 its worst.",
    )


def locate_ordinal_2x2(payoffs: Any) -> int:
    """The :func:`ordinal_2x2` index of a 2x2 game ``[A, B]`` in which neither player has
    two equal payoffs (its strategies may be in any order; cardinal payoffs are reduced
    to ranks)."""
    a, b, _ = _parse_payoffs(payoffs)
    if len(a) != 2 or len(a[0]) != 2:
        raise InvalidParameterError(
            f"locate_ordinal_2x2 needs a 2x2 game; got {len(a)}x{len(a[0])}"
        )
    ra, rb = _ranks(a, "A"), _ranks(b, "B")
    if ra[0][1] == 4 or ra[1][1] == 4:  # the row player's best outcome in column 0
        ra = [[row[1], row[0]] for row in ra]
        rb = [[row[1], row[0]] for row in rb]
    if rb[1][0] == 4 or rb[1][1] == 4:  # the column player's best outcome in row 0
        ra = [ra[1], ra[0]]
        rb = [rb[1], rb[0]]
    row_pattern = (ra[0][0], ra[0][1], ra[1][0], ra[1][1])
    col_pattern = (rb[0][0], rb[1][0], rb[0][1], rb[1][1])
    patterns = [p for _, p in ORDINAL_2X2_PATTERNS]
    return 12 * patterns.index(row_pattern) + patterns.index(col_pattern) + 1


# ---- helpers ----------------------------------------------------------------------------


def _symmetric(
    game_id: str,
    params: dict[str, Any],
    name: str,
    names: tuple[str, str],
    r: float,
    s: float,
    t: float,
    p: float,
    note: str,
) -> MatrixGame:
    a = [[r, s], [t, p]]
    b = [[r, t], [s, p]]
    return MatrixGame(a, b, names, names, game_id=game_id, params=params, name=name, note=note)


def _ranks(matrix: Matrix, label: str) -> list[list[int]]:
    flat = [x for row in matrix for x in row]
    if len(set(flat)) != 4:
        raise InvalidParameterError(
            f"{label} has tied payoffs {flat}; the 144 ordinal games need four distinct "
            "payoffs per player"
        )
    order = sorted(flat)
    return [[order.index(x) + 1 for x in row] for row in matrix]


def _utility_kind(
    a: tuple[tuple[float, ...], ...], b: tuple[tuple[float, ...], ...]
) -> tuple[UtilityKind, float | None]:
    sums = [x + y for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)]
    scale = max(1.0, max(abs(x) for x in sums))
    if max(sums) - min(sums) > 1e-12 * scale:
        return UtilityKind.GENERAL_SUM, None
    total = sums[0]
    if abs(total) <= 1e-12 * scale:
        return UtilityKind.ZERO_SUM, 0.0
    return UtilityKind.CONSTANT_SUM, float(total)


def _check_seat(player: int) -> int:
    if player not in (0, 1):
        raise RedqueenError(f"a matrix game has players 0 and 1; got player {player!r}")
    return player


def _action_name(game: MatrixGame, player: int, action: int) -> str:
    if player not in (0, 1):
        raise RedqueenError(
            "action ids name different moves for each seat: pass player=0 or player=1 "
            f"to action_text (got {player})"
        )
    names = game._names[player]
    if not 0 <= action < len(names):
        raise RedqueenError(
            f"player {player} has actions 0..{len(names) - 1}; got action {action!r}"
        )
    return names[action]


def _is_sequence(x: object) -> bool:
    return isinstance(x, Sequence | np.ndarray) and not isinstance(x, str | bytes)


_PAYOFF_FORMS = (
    "payoffs must be [A, B], two m x n matrices of finite numbers (A the row player's, "
    "B the column player's payoffs), or a single m x n matrix A for the zero-sum game "
    "[A, -A]"
)


def _parse_payoffs(payoffs: Any) -> tuple[Matrix, Matrix, bool]:
    """``(A, B, single)`` from the accepted forms, as Python ints and floats."""
    if isinstance(payoffs, np.ndarray):
        payoffs = payoffs.tolist()
    if not _is_sequence(payoffs) or len(payoffs) == 0:
        raise InvalidParameterError(f"{_PAYOFF_FORMS}; got {payoffs!r}")
    first = payoffs[0]
    if not _is_sequence(first):
        raise InvalidParameterError(f"{_PAYOFF_FORMS}; got a flat list {payoffs!r}")
    if len(first) > 0 and _is_sequence(first[0]):
        if len(payoffs) != 2:
            raise InvalidParameterError(f"{_PAYOFF_FORMS}; got a list of {len(payoffs)} matrices")
        a = _parse_matrix(payoffs[0], "payoffs[0]")
        b = _parse_matrix(payoffs[1], "payoffs[1]")
        if (len(a), len(a[0])) != (len(b), len(b[0])):
            raise InvalidParameterError(
                f"A is {len(a)}x{len(a[0])} but B is {len(b)}x{len(b[0])}; both payoff "
                "matrices must have the same shape (rows: row player's actions, columns: "
                "column player's actions)"
            )
        return a, b, False
    a = _parse_matrix(payoffs, "payoffs")
    return a, _negate(a), True


def _parse_matrix(matrix: Any, where: str) -> Matrix:
    if not _is_sequence(matrix) or len(matrix) == 0:
        raise InvalidParameterError(
            f"{where} must be a non-empty list of rows; got {matrix!r}. {_PAYOFF_FORMS}"
        )
    rows: Matrix = []
    for i, row in enumerate(matrix):
        if not _is_sequence(row) or len(row) == 0:
            raise InvalidParameterError(
                f"{where}[{i}] must be a non-empty list of numbers; got {row!r}. {_PAYOFF_FORMS}"
            )
        rows.append([_number(x, f"{where}[{i}][{j}]") for j, x in enumerate(row)])
        if len(rows[-1]) != len(rows[0]):
            raise InvalidParameterError(
                f"{where} is ragged: row {i} has {len(rows[-1])} entries but row 0 has "
                f"{len(rows[0])}; every row needs one entry per column action"
            )
    return rows


def _number(x: Any, where: str) -> Number:
    if isinstance(x, bool | np.bool_) or not isinstance(x, numbers.Real):
        raise InvalidParameterError(
            f"{where} is {x!r} ({type(x).__name__}); payoffs must be finite numbers"
        )
    if isinstance(x, numbers.Integral):
        return int(x)
    value = float(x)
    if not math.isfinite(value):
        raise InvalidParameterError(f"{where} is {value}; payoffs must be finite numbers")
    return value


def _numbers(values: dict[str, Any]) -> list[float]:
    return [float(_number(v, k)) for k, v in values.items()]


def _negate(a: Matrix) -> Matrix:
    return [[-x for x in row] for row in a]


def _parse_names(names: Any, count: int, param: str, seat: str) -> list[str]:
    if names is None:
        return [f"{seat} {i}" for i in range(count)]
    if not _is_sequence(names) or isinstance(names, np.ndarray):
        raise InvalidParameterError(
            f"{param} must be a list of {count} distinct non-empty strings; got {names!r}"
        )
    names = list(names)
    if len(names) != count:
        raise InvalidParameterError(
            f"{param} needs exactly {count} names, one per {seat} action; got {len(names)}: "
            f"{names!r}"
        )
    seen: dict[str, str] = {}
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise InvalidParameterError(
                f"{param} must be non-empty strings; got {name!r} in {names!r}"
            )
        key = normalise_text(name)
        if key in seen:
            raise InvalidParameterError(
                f"{param} has the duplicate name {name!r} (same as {seen[key]!r} ignoring "
                "case and spaces); each action needs its own name"
            )
        seen[key] = name
    return names


def format_number(x: float) -> str:
    """A number (payoff, probability) as a person writes it: 3, not 3.0; 0.5 stays 0.5."""
    x = float(x)
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:g}"


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _payoff_table(
    a: tuple[tuple[float, ...], ...],
    b: tuple[tuple[float, ...], ...],
    rows: Sequence[str],
    cols: Sequence[str],
) -> str:
    cells = [
        [f"{format_number(a[i][j])}, {format_number(b[i][j])}" for j in range(len(cols))]
        for i in range(len(rows))
    ]
    head_w = max(len(r) for r in rows)
    widths = [
        max(len(cols[j]), *(len(cells[i][j]) for i in range(len(rows)))) for j in range(len(cols))
    ]
    lines = [
        " " * head_w + " | " + " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
    ]
    for name, row in zip(rows, cells, strict=True):
        lines.append(
            name.ljust(head_w)
            + " | "
            + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True))
        )
    return "\n".join(line.rstrip() for line in lines)
