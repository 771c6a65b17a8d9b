"""Connect four, with the action ids, returns and player order of OpenSpiel's ``connect_four``.

Players drop discs into the columns of an upright grid (6 rows by 7 columns by default);
a disc falls to the lowest free cell of its column. Player 0 (``x``) moves first. Whoever
first has ``x_in_row`` (4) discs in a row - horizontally, vertically or diagonally - gets
+1 and the other -1; a full grid without such a row is a draw. The action id is the
column, 0..columns-1 from the left, exactly as in OpenSpiel; ``rows``, ``columns`` and
``x_in_row`` are OpenSpiel's parameters with OpenSpiel's defaults.

The engine keeps the occupied cells as a bitboard (a Python integer): column ``c``, row
``r`` (0 = bottom) is bit ``c * (rows + 1) + r``; the spare bit on top of each column keeps
a column's carry from reaching the next one, so a drop is one addition. Each seat's discs
are kept in a *run layout* as well: one integer in which every column, row and diagonal of
the grid is a run of consecutive bits, followed by an empty spare bit. ``x_in_row`` in a
line, in any of the four directions, is then ``x_in_row`` consecutive bits, which two
shifts and two ands find (for four in a row): a move costs a handful of integer operations
whatever the board size.

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
        self._cell_runs = _cell_runs(rows, columns, x_in_row)
        self._run_shifts = _run_shifts(x_in_row)
        self._lines = _lines(rows, columns, x_in_row)
        self._grid_mask = (1 << (columns * height)) - 1
        self._all_columns = tuple(range(columns))
        self._drops: dict[int, dict[int, tuple[int, int, int, Step]]] = {
            player: {
                c: (
                    1 << (c * height),
                    ((1 << rows) - 1) << (c * height),
                    1 << (c * height + rows - 1),
                    Step(player, c),
                )
                for c in range(columns)
            }
            for player in range(2)
        }
        """Per seat, per column (dicts: one lookup range-checks the seat and the action id):
        the column's bottom cell, its cells and its top cell as bits, and the history entry
        of the move."""

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
        runs = 0
        for bit, cell_runs in self._cell_runs.items():
            if discs & bit:
                runs |= cell_runs
        for shift in self._run_shifts:
            runs &= runs >> shift
        return runs != 0


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


def _cell_runs(rows: int, columns: int, k: int) -> dict[int, int]:
    """For each cell, as its bitboard bit: its bits in the *run layout*, where every line
    of the grid (each column, each row, each diagonal either way at least ``k`` long) is a
    run of consecutive bits followed by an empty spare bit. Columns come first, so a
    board's first ``columns * (rows + 1)`` bits in this layout are its bitboard. ``k`` in
    a line on the grid is then ``k`` consecutive bits, in any direction at once."""
    lines = [[(r, c) for r in range(rows)] for c in range(columns)]
    lines += [[(r, c) for c in range(columns)] for r in range(rows)]
    for d in range(-rows + 1, columns):
        lines.append([(r, r + d) for r in range(rows) if 0 <= r + d < columns])
    for d in range(rows + columns - 1):
        lines.append([(r, d - r) for r in range(rows) if 0 <= d - r < columns])
    runs = {(r, c): 0 for r in range(rows) for c in range(columns)}
    offset = 0
    for i, line in enumerate(lines):
        if i >= columns and len(line) < k:
            continue  # too short to hold a win (columns stay, to keep the bitboard prefix)
        for j, cell in enumerate(line):
            runs[cell] |= 1 << (offset + j)
        offset += len(line) + 1
    return {1 << (c * (rows + 1) + r): bits for (r, c), bits in runs.items()}


def _run_shifts(k: int) -> tuple[int, ...]:
    """Shifts that leave a bit set where ``k`` consecutive bits start: ``run &= run >> s``
    for each, doubling the run length and then topping it up to ``k``."""
    shifts = []
    length = 1
    while 2 * length <= k:
        shifts.append(length)
        length *= 2
    if length < k:
        shifts.append(k - length)
    return tuple(shifts)


class ConnectFourState(State):
    """A connect-four position: the occupied cells (a bitboard), the discs of the seat to
    move and of the seat that moved last (in the run layout of ``_cell_runs``; they swap
    roles after every move), the full columns, and who moves."""

    __slots__ = ("_mover", "_occupied", "_open", "_player", "_waiting", "_winner")
    _game: ConnectFourGame

    def __init__(self, game: ConnectFourGame) -> None:
        State.__init__(self, game)  # not super(): a new state is on every playout's path
        self._occupied = 0
        self._mover = 0
        """The discs of the seat to move (once the game is over: of the seat that would
        move next)."""
        self._waiting = 0
        """The discs of the other seat, the one that moved last."""
        self._open = game._all_columns
        """The columns that are not full, in order."""
        self._player = 0
        self._winner = -1

    # ---- contract hooks -------------------------------------------------------------

    def current_player(self) -> int:
        return self._player

    def _legal_actions(self, player: int) -> list[int]:
        return list(self._open)

    def _is_legal(self, player: int, action: int) -> bool:
        return player == self._player and action in self._open

    def _apply_action(self, action: int) -> None:
        game = self._game
        bottom, cells, top, _ = game._drops[self._player][action]
        occupied = self._occupied
        new_disc = (occupied + bottom) & cells  # the lowest empty cell of the column
        self._occupied = occupied | new_disc
        mine = self._mover | game._cell_runs[new_disc]
        self._mover = self._waiting
        self._waiting = mine
        for shift in game._run_shifts:  # x_in_row in a line: as many consecutive bits
            mine &= mine >> shift
        if new_disc == top:  # the column is full now
            self._open = tuple(c for c in self._open if c != action)
        if mine:
            self._winner = self._player
            self._player = TERMINAL
        elif self._open:
            self._player = 1 - self._player
        else:
            self._player = TERMINAL  # a draw

    def returns(self) -> list[float]:
        winner = self._winner
        if winner < 0:
            return [0.0, 0.0]
        return [1.0, -1.0] if winner == 0 else [-1.0, 1.0]

    def _seat_discs(self) -> tuple[int, int]:
        """(player 0's discs, player 1's discs) as bitboards."""
        grid = self._game._grid_mask
        if self._occupied.bit_count() % 2:  # an odd number of discs: player 1 is next
            return self._waiting & grid, self._mover & grid
        return self._mover & grid, self._waiting & grid

    def information_state_key(self, player: int) -> Hashable:
        # Perfect information: the board and the player to move identify the position.
        x, o = self._seat_discs()
        return (self._player, x, o)

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
        if player is None and self._player >= 0:
            return list(self._open)
        return super().legal_actions(player)

    def apply_action(self, action: int) -> None:
        player = self._player
        if type(action) is int:
            game = self._game
            try:
                bottom, cells, top, step = game._drops[player][action]
            except KeyError:
                pass  # the game is over, or not a column
            else:
                occupied = self._occupied
                if not occupied & top:
                    # _apply_action, inlined
                    new_disc = (occupied + bottom) & cells
                    self._occupied = occupied | new_disc
                    mine = self._mover | game._cell_runs[new_disc]
                    self._mover = self._waiting
                    self._waiting = mine
                    for shift in game._run_shifts:
                        mine &= mine >> shift
                    if new_disc == top:
                        self._open = tuple(c for c in self._open if c != action)
                    if mine:
                        self._winner = player
                        self._player = TERMINAL
                    elif self._open:
                        self._player = 1 - player
                    else:
                        self._player = TERMINAL
                    self._history.append(step)
                    return
        super().apply_action(action)  # the general path: its checks and errors

    # ---- speed and views ------------------------------------------------------------

    def clone(self) -> ConnectFourState:
        twin = object.__new__(ConnectFourState)
        twin._game = self._game
        twin._history = self._history.copy()
        twin._occupied = self._occupied
        twin._mover = self._mover
        twin._waiting = self._waiting
        twin._open = self._open
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
        x, o = self._seat_discs()
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
