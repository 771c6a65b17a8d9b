"""Tic-tac-toe, with the action ids, returns and player order of OpenSpiel's ``tic_tac_toe``.

Cells are numbered 0..8 row-major from the top-left corner; player 0 is ``x`` and moves
first. A player who completes a row, column or diagonal gets +1 and the other -1; a full
board without a line is a draw (0 each).

The engine is built for speed in a plain Python loop, since it is the first game most
search and learning code is run on: each player's marks are a 9-bit integer, the legal
moves of every occupancy pattern and the "has a line" answer for every mark pattern are
looked up in tables built at import time, so a move costs a few integer operations and
only the mover's marks are tested for a win.

Text views name cells spreadsheet-style: columns ``a``, ``b``, ``c`` from left to right
and rows ``1``, ``2``, ``3`` from top to bottom, so ``a1`` is cell 0 and ``c3`` cell 8.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from redqueen.games.core import TERMINAL, Game, GameSpec, State, Step

NUM_CELLS = 9
MARKS = ("x", "o")
"""The mark of each seat: player 0 plays ``x``, player 1 plays ``o``."""

LINES: tuple[tuple[int, int, int], ...] = (
    (0, 1, 2),
    (3, 4, 5),
    (6, 7, 8),
    (0, 3, 6),
    (1, 4, 7),
    (2, 5, 8),
    (0, 4, 8),
    (2, 4, 6),
)
"""The eight winning lines, as cell ids."""

_LINE_MASKS = tuple(sum(1 << c for c in line) for line in LINES)
_FULL = (1 << NUM_CELLS) - 1
_HAS_LINE: tuple[bool, ...] = tuple(
    any(m & line == line for line in _LINE_MASKS) for m in range(1 << NUM_CELLS)
)
"""``_HAS_LINE[marks]``: whether the 9-bit mark pattern contains a winning line."""
_EMPTY_CELLS: tuple[tuple[int, ...], ...] = tuple(
    tuple(c for c in range(NUM_CELLS) if not occupied >> c & 1) for occupied in range(1 << 9)
)
"""``_EMPTY_CELLS[occupied]``: the free cells (the legal moves) of an occupancy pattern."""
_STEPS = tuple(tuple(Step(p, c) for c in range(NUM_CELLS)) for p in range(2))
"""``_STEPS[player][cell]``: the history entry of a move, built once (entries are values)."""
_COLUMNS = "abc"
CELL_NAMES: tuple[str, ...] = tuple(f"{_COLUMNS[c % 3]}{c // 3 + 1}" for c in range(NUM_CELLS))
"""The name of each cell: ``a1`` (top-left, id 0) .. ``c3`` (bottom-right, id 8)."""

_RULES = """\
Tic-tac-toe is played by two players on a board of 3 by 3 cells, all empty at the start.
Player 0 plays x and moves first; player 1 plays o. The players take turns; on a turn the
player to move puts their mark in one empty cell. A player who gets three of their own
marks in a line - a whole row, a whole column or one of the two diagonals - wins at once:
the winner scores +1 and the other player -1. If all nine cells are filled and nobody has
three in a line, the game is a draw and both score 0.

Cells are named by column letter and row number: columns a, b, c from left to right and
rows 1, 2, 3 from top to bottom, so a1 is the top-left corner, b2 the centre and c3 the
bottom-right corner. A move is the name of an empty cell, for example b2. As action ids,
the cells are numbered 0 to 8 row by row from the top-left (a1 = 0, b1 = 1, c1 = 2,
a2 = 3, ..., c3 = 8), the same numbering as OpenSpiel's tic_tac_toe.
"""


class TicTacToeGame(Game):
    """Tic-tac-toe (OpenSpiel ``tic_tac_toe``): x (player 0) moves first; 3 in a line wins."""

    def __init__(self) -> None:
        super().__init__(
            GameSpec(
                id="tic_tac_toe",
                num_players=2,
                num_distinct_actions=NUM_CELLS,
                max_game_length=NUM_CELLS,
                min_utility=-1.0,
                max_utility=1.0,
                utility_sum=0.0,
                perfect_information=True,
                params={},
            )
        )

    def new_initial_state(self) -> TicTacToeState:
        return TicTacToeState(self)

    def rules_text(self) -> str:
        return _RULES

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(3, 3, 3)``: planes x rows x columns, as OpenSpiel's observation tensor."""
        return (3, 3, 3)

    def player_name(self, player: int) -> str:
        return f"player {player} ({MARKS[player]})"


class TicTacToeState(State):
    """A tic-tac-toe position: each seat's marks as a 9-bit integer, and who moves."""

    __slots__ = ("_marks", "_player", "_winner")

    def __init__(self, game: Game) -> None:
        super().__init__(game)
        self._marks = [0, 0]
        self._player = 0
        self._winner = -1

    # ---- contract hooks -------------------------------------------------------------

    def current_player(self) -> int:
        return self._player

    def _legal_actions(self, player: int) -> list[int]:
        marks = self._marks
        return list(_EMPTY_CELLS[marks[0] | marks[1]])

    def _is_legal(self, player: int, action: int) -> bool:
        if player != self._player or not 0 <= action < NUM_CELLS:
            return False
        marks = self._marks
        return not (marks[0] | marks[1]) >> action & 1

    def _apply_action(self, action: int) -> None:
        player = self._player
        marks = self._marks
        mine = marks[player] | 1 << action
        marks[player] = mine
        if _HAS_LINE[mine]:
            self._winner = player
            self._player = TERMINAL
        elif mine | marks[1 - player] == _FULL:
            self._player = TERMINAL
        else:
            self._player = 1 - player

    def returns(self) -> list[float]:
        winner = self._winner
        if winner < 0:
            return [0.0, 0.0]
        return [1.0, -1.0] if winner == 0 else [-1.0, 1.0]

    def information_state_key(self, player: int) -> Hashable:
        # Perfect information: the board and the player to move identify the position.
        return (self._player, self._marks[0], self._marks[1])

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The board as OpenSpiel's ``tic_tac_toe`` observation tensor: planes empty, o,
        x, each 3 x 3 with cell ids row-major from the top-left. The same for both seats;
        the board alone determines the player to move (or that the game is over), so equal
        keys give equal tensors and different keys different ones."""
        x, o = self._marks
        out = np.zeros((3, NUM_CELLS), dtype=np.float32)
        for c in range(NUM_CELLS):
            out[2 if x >> c & 1 else 1 if o >> c & 1 else 0, c] = 1.0
        return out.reshape(3, 3, 3)

    def observation_text(self, player: int) -> str:
        lines = [
            f"Tic-tac-toe. Player 0 plays x, player 1 plays o. "
            f"You are {self._game.player_name(player)}.",
            self.board_text(),
        ]
        if self._player == TERMINAL:
            if self._winner < 0:
                lines.append("Game over: a draw.")
            else:
                lines.append(f"Game over: {self._game.player_name(self._winner)} won.")
        else:
            lines.append(
                f"To move: {self._game.player_name(self._player)}. Name an empty cell by "
                "column letter and row number, for example b2."
            )
        return "\n".join(lines)

    def _action_text(self, player: int, action: int) -> str:
        if 0 <= action < NUM_CELLS:
            return CELL_NAMES[action]
        return f"invalid cell {action}"

    # ---- fast paths: the contract's answers without its general dispatch ----------

    def is_terminal(self) -> bool:
        return self._player == TERMINAL

    def is_chance_node(self) -> bool:
        return False

    def legal_actions(self, player: int | None = None) -> list[int]:
        if player is None and self._player >= 0:
            marks = self._marks
            return list(_EMPTY_CELLS[marks[0] | marks[1]])
        return super().legal_actions(player)

    def apply_action(self, action: int) -> None:
        player = self._player
        if type(action) is int and player >= 0 and 0 <= action < NUM_CELLS:
            marks = self._marks
            if not (marks[0] | marks[1]) >> action & 1:
                self._apply_action(action)
                self._history.append(_STEPS[player][action])
                return
        super().apply_action(action)  # the general path: its checks and errors

    # ---- speed and views ------------------------------------------------------------

    def clone(self) -> TicTacToeState:
        twin = TicTacToeState.__new__(TicTacToeState)
        twin._game = self._game
        twin._history = self._history.copy()
        twin._marks = self._marks.copy()
        twin._player = self._player
        twin._winner = self._winner
        return twin

    def board_text(self) -> str:
        """The board with column letters on top and row numbers on the left."""
        cells = self.cell_owners()
        rows = ["   a b c"]
        for r in range(3):
            marks = " ".join(MARKS[o] if o >= 0 else "." for o in cells[3 * r : 3 * r + 3])
            rows.append(f"{r + 1}  {marks}")
        return "\n".join(rows)

    def cell_owners(self) -> tuple[int, ...]:
        """For each cell 0..8, the seat whose mark is there, or -1 if it is empty."""
        x, o = self._marks
        return tuple(0 if x >> c & 1 else 1 if o >> c & 1 else -1 for c in range(NUM_CELLS))

    def winning_lines(self) -> tuple[tuple[int, ...], ...]:
        """Every set of cells that wins when one player fills it (cell ids)."""
        return LINES

    def winner(self) -> int | None:
        """The seat that completed a line, or None (game on, or a draw)."""
        return self._winner if self._winner >= 0 else None
