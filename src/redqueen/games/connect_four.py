"""Connect four, with the action ids, returns and player order of OpenSpiel's ``connect_four``.

Players drop discs into the columns of an upright grid (6 rows by 7 columns by default);
a disc falls to the lowest free cell of its column. Player 0 (``x``) moves first. Whoever
first has ``x_in_row`` (4) discs in a row - horizontally, vertically or diagonally - gets
+1 and the other -1; a full grid without such a row is a draw. The action id is the
column, 0..columns-1 from the left, exactly as in OpenSpiel; ``rows``, ``columns`` and
``x_in_row`` are OpenSpiel's parameters with OpenSpiel's defaults.

The engine keeps each player's discs as a bitboard (a Python integer): column ``c``, row
``r`` (0 = bottom) is bit ``c * (rows + 1) + r``; the spare bit on top of each column keeps
lines from wrapping into the next column. A drop is one addition, and the win test shifts
and masks only the mover's bitboard in the four directions, so a move costs a handful of
integer operations whatever the board size.

Text views name a move ``column N`` with the same N as the action id and the column
labels under the board, so typing the bare number also works.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from redqueen.errors import InvalidParameterError
from redqueen.games.core import TERMINAL, Game, GameSpec, State, Step

MARKS = ("x", "o")
"""The disc of each seat: player 0 plays ``x``, player 1 plays ``o``."""

_RULES = """\
Connect four is played by two players on an upright grid of {rows} rows and {columns}
columns, empty at the start. Player 0 plays x and moves first; player 1 plays o. The
players take turns; on a turn the player to move chooses a column that is not full and
drops a disc into it: the disc falls to the lowest empty cell of that column. A player
who gets {k} of their own discs in an unbroken line - horizontally, vertically or
diagonally in either direction - wins at once: the winner scores +1 and the other player
-1. If every cell is filled and nobody has {k} in a line, the game is a draw and both score
0.

Columns are numbered 0 to {last} from left to right, as labelled under the board; the
action id of a move is its column number, as in OpenSpiel's connect_four. A move is
written "column N" (for example "column 3"), or simply the number N.
"""


class ConnectFourGame(Game):
    """Connect four (OpenSpiel ``connect_four``): drop discs; ``x_in_row`` in a line wins."""

    def __init__(self, *, rows: int = 6, columns: int = 7, x_in_row: int = 4) -> None:
        for name, value in (("rows", rows), ("columns", columns), ("x_in_row", x_in_row)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidParameterError(
                    f"connect_four {name} must be an integer >= 1, got {value!r}"
                )
        if x_in_row > max(rows, columns):
            raise InvalidParameterError(
                f"connect_four x_in_row={x_in_row} can never be reached on a {rows}x{columns} "
                f"grid; it must be <= max(rows, columns) = {max(rows, columns)}"
            )
        if columns > 100:
            raise InvalidParameterError(f"connect_four columns must be <= 100, got {columns}")
        super().__init__(
            GameSpec(
                id="connect_four",
                num_players=2,
                num_distinct_actions=columns,
                max_game_length=rows * columns,
                min_utility=-1.0,
                max_utility=1.0,
                utility_sum=0.0,
                perfect_information=True,
                params={"rows": rows, "columns": columns, "x_in_row": x_in_row},
            )
        )
        self.rows = rows
        self.columns = columns
        self.x_in_row = x_in_row
        height = rows + 1
        self._height = height
        self._bottom = tuple(1 << (c * height) for c in range(columns))
        self._column_masks = tuple(((1 << rows) - 1) << (c * height) for c in range(columns))
        self._top_row_bit = tuple(1 << (c * height + rows - 1) for c in range(columns))
        # Direction shifts: vertical, horizontal, and the two diagonals.
        self._shifts = (1, height, height - 1, height + 1)
        self._shift_pairs = tuple((s, 2 * s) for s in self._shifts)
        self._open_columns: tuple[tuple[int, ...], ...] | None = (
            tuple(
                tuple(c for c in range(columns) if not full >> c & 1)
                for full in range(1 << columns)
            )
            if columns <= 12
            else None
        )
        self._lines = _lines(rows, columns, x_in_row)
        self._all_full = (1 << columns) - 1
        # Per column: (its bottom bit, its cells, its top cell) for the inlined move.
        self._column_bits = tuple(
            zip(self._bottom, self._column_masks, self._top_row_bit, strict=True)
        )
        # The history entry of each (seat, column) move, built once (entries are values).
        self._steps = tuple(tuple(Step(p, c) for c in range(columns)) for p in range(2))

    def new_initial_state(self) -> ConnectFourState:
        return ConnectFourState(self)

    def rules_text(self) -> str:
        return _RULES.format(
            rows=self.rows, columns=self.columns, k=self.x_in_row, last=self.columns - 1
        )

    def player_name(self, player: int) -> str:
        return f"player {player} ({MARKS[player]})"

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(3, rows, columns)``: planes x rows x columns, as OpenSpiel's observation
        tensor."""
        return (3, self.rows, self.columns)

    def has_line(self, discs: int) -> bool:
        """Whether the bitboard ``discs`` holds ``x_in_row`` discs in a line."""
        k = self.x_in_row
        if k == 4:
            # Pairs, then pairs of pairs: two shifts and two ands per direction.
            for shift, double in self._shift_pairs:
                pairs = discs & (discs >> shift)
                if pairs & (pairs >> double):
                    return True
            return False
        for shift in self._shifts:
            run = discs
            for i in range(1, k):
                run &= discs >> (i * shift)
                if not run:
                    break
            if run:
                return True
        return False


def _lines(rows: int, columns: int, k: int) -> tuple[tuple[int, ...], ...]:
    """Every winning line as cell ids ``row * columns + column`` (row 0 = bottom)."""
    lines = []
    for r in range(rows):
        for c in range(columns):
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                end_r, end_c = r + dr * (k - 1), c + dc * (k - 1)
                if 0 <= end_r < rows and 0 <= end_c < columns:
                    lines.append(tuple((r + dr * i) * columns + c + dc * i for i in range(k)))
    return tuple(lines)


class ConnectFourState(State):
    """A connect-four position: a bitboard per seat, the full columns, and who moves."""

    __slots__ = ("_discs", "_full", "_player", "_winner")
    _game: ConnectFourGame

    def __init__(self, game: ConnectFourGame) -> None:
        super().__init__(game)
        self._discs = [0, 0]
        self._full = 0
        """Bit c is set once column c is full."""
        self._player = 0
        self._winner = -1

    # ---- contract hooks -------------------------------------------------------------

    def current_player(self) -> int:
        return self._player

    def _legal_actions(self, player: int) -> list[int]:
        game = self._game
        table = game._open_columns
        if table is not None:
            return list(table[self._full])
        full = self._full
        return [c for c in range(game.columns) if not full >> c & 1]

    def _is_legal(self, player: int, action: int) -> bool:
        if player != self._player or action < 0:
            return False
        return action < self._game.num_distinct_actions and not self._full >> action & 1

    def _apply_action(self, action: int) -> None:
        game = self._game
        player = self._player
        discs = self._discs
        occupied = discs[0] | discs[1]
        new_disc = (occupied + game._bottom[action]) & game._column_masks[action]
        mine = discs[player] | new_disc
        discs[player] = mine
        if new_disc == game._top_row_bit[action]:
            self._full |= 1 << action
        if game.has_line(mine):
            self._winner = player
            self._player = TERMINAL
        elif self._full == (1 << game.columns) - 1:
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
        return (self._player, self._discs[0], self._discs[1])

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The grid as OpenSpiel's ``connect_four`` observation tensor: planes x (player
        0's discs), o (player 1's), empty, each ``rows x columns`` with row 0 at the bottom.
        The same for both seats; the grid alone determines the player to move (or that the
        game is over), so equal keys give equal tensors and different keys different ones."""
        game = self._game
        owners = np.array(self.cell_owners(), dtype=np.int8).reshape(game.rows, game.columns)
        return np.stack([owners == 0, owners == 1, owners < 0]).astype(np.float32)

    def observation_text(self, player: int) -> str:
        game = self._game
        lines = [
            f"Connect four ({game.x_in_row} in a row wins). Player 0 plays x, player 1 "
            f"plays o. You are {game.player_name(player)}.",
            self.board_text(),
        ]
        if self._player == TERMINAL:
            if self._winner < 0:
                lines.append("Game over: a draw.")
            else:
                lines.append(f"Game over: {game.player_name(self._winner)} won.")
        else:
            lines.append(
                f"To move: {game.player_name(self._player)}. Choose a column that is not "
                "full, for example column 3 (or just 3)."
            )
        return "\n".join(lines)

    def _action_text(self, player: int, action: int) -> str:
        return f"column {action}"

    # ---- fast paths: the contract's answers without its general dispatch ----------

    def is_terminal(self) -> bool:
        return self._player == TERMINAL

    def is_chance_node(self) -> bool:
        return False

    def legal_actions(self, player: int | None = None) -> list[int]:
        table = self._game._open_columns
        if player is None and self._player >= 0 and table is not None:
            return list(table[self._full])
        return super().legal_actions(player)

    def apply_action(self, action: int) -> None:
        player = self._player
        game = self._game
        columns = game._column_bits
        if (
            type(action) is int
            and player >= 0
            and 0 <= action < len(columns)
            and not self._full >> action & 1
        ):
            # _apply_action, inlined, with the four-in-a-row test unrolled
            bottom, column, top = columns[action]
            discs = self._discs
            new_disc = ((discs[0] | discs[1]) + bottom) & column
            mine = discs[player] | new_disc
            discs[player] = mine
            if new_disc == top:
                self._full |= 1 << action
            if game.x_in_row == 4:
                won = False
                for shift, double in game._shift_pairs:
                    pairs = mine & (mine >> shift)
                    if pairs & (pairs >> double):
                        won = True
                        break
            else:
                won = game.has_line(mine)
            if won:
                self._winner = player
                self._player = TERMINAL
            elif self._full == game._all_full:
                self._player = TERMINAL
            else:
                self._player = 1 - player
            self._history.append(game._steps[player][action])
            return
        super().apply_action(action)  # the general path: its checks and errors

    # ---- speed and views ------------------------------------------------------------

    def clone(self) -> ConnectFourState:
        twin = ConnectFourState.__new__(ConnectFourState)
        twin._game = self._game
        twin._history = self._history.copy()
        twin._discs = self._discs.copy()
        twin._full = self._full
        twin._player = self._player
        twin._winner = self._winner
        return twin

    def board_text(self) -> str:
        """The grid, top row first, with the column numbers underneath."""
        game = self._game
        owners = self.cell_owners()
        width = len(str(game.columns - 1))
        rows = []
        for r in range(game.rows - 1, -1, -1):
            row = owners[r * game.columns : (r + 1) * game.columns]
            rows.append(" ".join((MARKS[o] if o >= 0 else ".").rjust(width) for o in row))
        rows.append(" ".join(str(c).rjust(width) for c in range(game.columns)))
        return "\n".join(rows)

    def cell_owners(self) -> tuple[int, ...]:
        """For each cell ``row * columns + column`` (row 0 = bottom), the seat whose disc
        is there, or -1 if it is empty."""
        game = self._game
        x, o = self._discs
        height = game._height
        owners = []
        for r in range(game.rows):
            for c in range(game.columns):
                bit = c * height + r
                owners.append(0 if x >> bit & 1 else 1 if o >> bit & 1 else -1)
        return tuple(owners)

    def winning_lines(self) -> tuple[tuple[int, ...], ...]:
        """Every set of cells (ids as in ``cell_owners``) that wins when one player fills it."""
        game = self._game
        return game._lines

    def winner(self) -> int | None:
        """The seat that made a line, or None (game on, or a draw)."""
        return self._winner if self._winner >= 0 else None
