"""Overcooked: two cooks share a kitchen and score together by delivering onion soup.

Carroll et al., "On the Utility of Learning about Humans for Human-AI Coordination"
(NeurIPS 2019) introduced the Overcooked-AI benchmark; ProAgent (Zhang et al., "ProAgent:
Building Proactive Cooperative Agents with Large Language Models", AAAI 2024) and the
agents it was measured against (SP, PBT, FCP, MEP, COLE) ran its version 0.0.1, bundled as
``lib/overcooked_ai`` in PKU-Alignment/ProAgent. These are those rules
(``overcooked_ai_py/mdp/overcooked_mdp.py`` of that copy), read line by line:

- The grid: ``X`` counter, ``P`` pot, ``O`` onion dispenser, ``D`` dish dispenser, ``S``
  serving window, space: floor. Players start on the cells marked ``1`` (seat 0) and
  ``2`` (seat 1), facing up (north).
- Both players move at once, each with one of six actions: up, down, right, left (the
  0.0.1 order N, S, E, W), stay, interact.
- A step is resolved in three stages. (1) Interacts, seat 0 first, each on the tile the
  player faces, with what it holds: an empty hand takes an onion (``O``), a dish (``D``)
  or what lies on a counter; a full hand puts its object on an empty counter; an onion
  goes into a pot holding fewer than 3 onions (the pot's cook time resets to 0); a dish
  takes the soup from a pot that holds 3 onions and has cooked for ``cook_time`` ticks;
  a soup taken to ``S`` is delivered for ``delivery_reward`` (20). Anything else does
  nothing. (2) Moves: a move onto a non-floor cell only turns the player; stay and
  interact keep position and orientation; if both players would end on one cell, or
  would swap cells, both stay where they were (their orientations still change).
  (3) Every pot holding 3 onions cooks one tick (capped at ``cook_time``), and the clock
  advances.
- So cooking starts by itself when the third onion goes in, and the soup is ready 20
  ticks later, counting the tick in which the onion went in. (Overcooked-AI 1.1.0 differs:
  there a player must start the cooking; ProAgent's numbers are on 0.0.1.)
- A play lasts ``horizon`` steps (400, as ProAgent's ``main.py``); there is no other end.
  Both seats receive the team's score: ``delivery_reward`` per soup delivered.

**Shaped rewards** are 0.0.1's ``BASE_REW_SHAPING_PARAMS``, for learners: 3 for each onion
put into a pot, 3 for a useful dish pickup (a dish taken from the dispenser while there
are more non-empty pots than dishes in hand and no dish on a counter) and 5 for each soup
taken from a pot, summed over both players and shared. They are kept apart
(:meth:`OvercookedState.shaped_return`) and enter ``returns()`` only with
``shaped_rewards=True``.

**Views.** The information-state key is the whole kitchen (an :class:`OvercookedView`):
the game is fully observable, and the key is what scripted and LLM teammates plan from.
The tensor is 0.0.1's ``lossless_state_encoding`` for the seat (shape ``(width, height,
20)``: own and teammate position, their orientations, the five terrain layers, onions in
each pot, each pot's cook time, soups, dishes and onions outside pots, held ones at the
holder's cell); like 0.0.1's, it leaves out the clock and the score. The text view draws
the grid in ASCII and lists what each player holds and what each pot contains.

Only the five layouts of ProAgent are built in (:data:`LAYOUTS`, with their paper names;
ProAgent's old names in :data:`OLD_NAMES`). Tomatoes, order lists and custom grids of
Overcooked-AI are left out: no published set-up we reproduce uses them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import (
    SIMULTANEOUS,
    TERMINAL,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)

Pos = tuple[int, int]

UP, DOWN, RIGHT, LEFT, STAY, INTERACT = range(6)
ACTION_NAMES = ("up", "down", "right", "left", "stay", "interact")
"""Action ids in 0.0.1's order: ``Direction.INDEX_TO_DIRECTION + [STAY, INTERACT]``."""
DIRECTIONS: tuple[Pos, ...] = ((0, -1), (0, 1), (1, 0), (-1, 0))
"""The (dx, dy) of up, down, right and left (y grows downwards)."""
DIRECTION_NAMES = ("up", "down", "right", "left")
ARROWS = "^v><"

NOTHING, ONION, DISH, SOUP = range(4)
"""What a hand or a counter holds."""
ITEM_NAMES = ("nothing", "onion", "dish", "soup")
ITEM_PHRASES = ("nothing", "an onion", "a dish", "a dish of soup")

COOK_TIME = 20
"""Ticks a full pot cooks; every layout ProAgent used sets 20."""
SOUP_ONIONS = 3
DELIVERY_REWARD = 20.0
SHAPING = {"onion_in_pot": 3.0, "dish_pickup": 3.0, "soup_pickup": 5.0}
"""0.0.1's ``BASE_REW_SHAPING_PARAMS`` (its distance-based terms are 0)."""

LAYOUTS: Mapping[str, tuple[str, ...]] = {
    "cramped_room": ("XXPXX", "O  2O", "X1  X", "XDXSX"),
    "asymmetric_advantages": (
        "XXXXXXXXX",
        "O XSXOX S",
        "X   P 1 X",
        "X2  P   X",
        "XXXDXDXXX",
    ),
    "coordination_ring": ("XXXPX", "X 1 P", "D2X X", "O   X", "XOSXX"),
    "forced_coordination": ("XXXPX", "O X1P", "O2X X", "D X X", "XXXSX"),
    "counter_circuit": ("XXXPPXXX", "X  2   X", "D XXXX S", "X  1   X", "XXXOOXXX"),
}
"""The five grids ProAgent used, from ``lib/overcooked_ai`` 0.0.1 (one string per row)."""
OLD_NAMES: Mapping[str, str] = {
    "cramped_room": "simple",
    "asymmetric_advantages": "unident_s",
    "coordination_ring": "random1",
    "forced_coordination": "random0",
    "counter_circuit": "random3",
}
"""Each layout's name in 0.0.1 (and in the papers' code before 1.1.0)."""


@dataclass(frozen=True)
class Layout:
    """A parsed kitchen: its size, terrain and the cells of each feature (``(x, y)``,
    x to the right and y downwards, in reading order)."""

    name: str
    rows: tuple[str, ...]
    """The terrain, start digits replaced by floor."""
    width: int
    height: int
    pots: tuple[Pos, ...]
    onion_dispensers: tuple[Pos, ...]
    dish_dispensers: tuple[Pos, ...]
    serving: tuple[Pos, ...]
    counters: tuple[Pos, ...]
    starts: tuple[Pos, Pos]
    floor: frozenset[Pos]

    @classmethod
    def parse(cls, name: str, grid: tuple[str, ...]) -> Layout:
        height, width = len(grid), len(grid[0])
        if any(len(row) != width for row in grid):
            raise InvalidParameterError(f"layout {name}: rows of different lengths")
        cells: dict[str, list[Pos]] = {c: [] for c in "XPODS 12"}
        for y, row in enumerate(grid):
            for x, c in enumerate(row):
                if c not in cells:
                    raise InvalidParameterError(f"layout {name}: unknown cell {c!r}")
                cells[c].append((x, y))
        if len(cells["1"]) != 1 or len(cells["2"]) != 1:
            raise InvalidParameterError(f"layout {name}: needs one start cell 1 and one 2")
        rows = tuple(row.replace("1", " ").replace("2", " ") for row in grid)
        starts = (cells["1"][0], cells["2"][0])
        return cls(
            name=name,
            rows=rows,
            width=width,
            height=height,
            pots=tuple(cells["P"]),
            onion_dispensers=tuple(cells["O"]),
            dish_dispensers=tuple(cells["D"]),
            serving=tuple(cells["S"]),
            counters=tuple(cells["X"]),
            starts=starts,
            floor=frozenset(cells[" "] + list(starts)),
        )

    def terrain(self, pos: Pos) -> str:
        x, y = pos
        return self.rows[y][x]


def layout_named(name: str) -> Layout:
    """The parsed layout ``name``; an unknown name is an error listing the five."""
    if name not in LAYOUTS:
        raise UnknownNameError("overcooked layout", str(name), LAYOUTS)
    return _PARSED.setdefault(name, Layout.parse(name, LAYOUTS[name]))


_PARSED: dict[str, Layout] = {}


def ahead(pos: Pos, direction: int) -> Pos:
    """The cell in front of ``pos`` when facing ``direction``."""
    dx, dy = DIRECTIONS[direction]
    return (pos[0] + dx, pos[1] + dy)


class Pot(NamedTuple):
    """A pot's soup: onions in it (1..3) and ticks cooked (0 until it holds 3)."""

    onions: int
    cooked: int


class OvercookedView(NamedTuple):
    """The whole kitchen at one time step (the information-state key of both seats):
    what scripted and LLM teammates plan from."""

    time: int
    positions: tuple[Pos, Pos]
    orientations: tuple[int, int]
    held: tuple[int, int]
    counters: tuple[tuple[Pos, int], ...]
    """Objects on counters, sorted by cell."""
    pots: tuple[tuple[Pos, Pot], ...]
    """Non-empty pots, sorted by cell."""
    delivered: int
    last_skills: tuple[str | None, str | None]
    """The medium-level skill each seat completed in the last step (None: none), as 0.0.1's
    ``ml_actions``: what ProAgent records as the teammate's real behaviour."""


class OvercookedGame(Game):
    """Overcooked 0.0.1 on one of ProAgent's five layouts; see the module docstring."""

    def __init__(
        self, *, layout: str = "cramped_room", horizon: int = 400, shaped_rewards: bool = False
    ) -> None:
        grid = layout_named(layout)
        if isinstance(horizon, bool) or not isinstance(horizon, int) or not 1 <= horizon <= 100_000:
            raise InvalidParameterError(
                f"overcooked: horizon must be an integer from 1 to 100000, got {horizon!r}"
            )
        if not isinstance(shaped_rewards, bool):
            raise InvalidParameterError(
                f"overcooked: shaped_rewards must be true or false, got {shaped_rewards!r}"
            )
        self.layout = grid
        self.horizon = horizon
        self.shaped_rewards = shaped_rewards
        self.cook_time = COOK_TIME
        self.delivery_reward = DELIVERY_REWARD
        most = DELIVERY_REWARD * max_soups(horizon)
        if shaped_rewards:
            most += 2 * horizon * max(SHAPING.values())
        super().__init__(
            GameSpec(
                id="overcooked",
                num_players=2,
                num_distinct_actions=6,
                max_game_length=horizon,
                min_utility=0.0,
                max_utility=float(most),
                dynamics=Dynamics.SIMULTANEOUS,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                params={"layout": layout, "horizon": horizon, "shaped_rewards": shaped_rewards},
            )
        )

    def new_initial_state(self) -> OvercookedState:
        return OvercookedState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        return (self.layout.width, self.layout.height, 20)

    def information_state_tensor_bounds(self) -> tuple[float, float]:
        """Onion counts go up to 3 and cook times up to ``cook_time``."""
        return 0.0, float(max(SOUP_ONIONS, self.cook_time))

    def player_name(self, player: int) -> str:
        return f"Player {player}"

    def rules_text(self) -> str:
        g = self.layout
        return "\n".join(
            [
                f"Overcooked (layout {g.name}): you and a teammate cook onion soup together in "
                f"a kitchen of {g.width} by {g.height} cells, for {self.horizon} time steps.",
                "The map: X counter, P pot, O onion dispenser, D dish dispenser, S serving "
                "window, '.' floor. Players walk on floor cells only.",
                "Each time step both players act at once. Moves: up, down, right, left (step "
                "one cell that way and face it; a move towards a non-floor cell only turns "
                "you to face it), stay, and interact (with the cell you face).",
                "Interact: with empty hands, take an onion from O, a dish from D, or whatever "
                "lies on a counter; holding something, put it on an empty counter; holding an "
                f"onion, put it into a pot that holds fewer than {SOUP_ONIONS} onions; holding "
                "a dish, fill it from a pot whose soup is ready; holding a soup, deliver it "
                "at S. You hold one object at a time.",
                f"A pot starts cooking by itself when its {SOUP_ONIONS}rd onion goes in; the "
                f"soup is ready {self.cook_time} time steps later.",
                "Interacts happen before moves, player 0's first. If both players would end "
                "on the same cell, or swap cells, neither moves.",
                f"Each soup delivered scores {self.delivery_reward:g} points for the team; "
                "both players get the team's score.",
            ]
        )


class OvercookedState(State):
    """A kitchen at one time step. The hot path (``_apply_joint_action``) works on plain
    tuples and dicts: a step costs a few microseconds."""

    __slots__ = (
        "_counters",
        "_delivered",
        "_dirs",
        "_held",
        "_pos",
        "_pots",
        "_shaped",
        "_skills",
        "_time",
    )

    _game: OvercookedGame

    def __init__(self, game: OvercookedGame) -> None:
        super().__init__(game)
        g = game.layout
        self._time = 0
        self._pos: list[Pos] = list(g.starts)
        self._dirs = [UP, UP]
        self._held = [NOTHING, NOTHING]
        self._counters: dict[Pos, int] = {}
        self._pots: dict[Pos, Pot] = {}
        self._delivered = 0
        self._shaped = 0.0
        self._skills: list[tuple[str | None, str | None]] = []

    # ---- the rules -------------------------------------------------------------------

    def current_player(self) -> int:
        return TERMINAL if self._time >= self._game.horizon else SIMULTANEOUS

    def _legal_actions(self, player: int) -> list[int]:
        return [0, 1, 2, 3, 4, 5]

    def _is_legal(self, player: int, action: int) -> bool:
        return self._time < self._game.horizon and 0 <= player < 2 and 0 <= action < 6

    def _apply_action(self, action: int) -> None:  # never called: every node is simultaneous
        raise RedqueenError("overcooked has only simultaneous nodes")

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        skills = self._interact(actions)
        self._move(actions)
        cook = self._game.cook_time
        for cell, pot in self._pots.items():
            if pot.onions == SOUP_ONIONS and pot.cooked < cook:
                self._pots[cell] = Pot(SOUP_ONIONS, pot.cooked + 1)
        self._time += 1
        self._skills.append(skills)

    def _interact(self, actions: tuple[int, ...]) -> tuple[str | None, str | None]:
        """Stage 1: every INTERACT, seat 0 first, as 0.0.1's ``resolve_interacts``. Returns
        the medium-level skill each seat completed (None when it did nothing)."""
        g = self._game.layout
        cook = self._game.cook_time
        # 0.0.1 reads the pots once, before any interact: "nearly ready" is any non-empty pot.
        nearly_ready = len(self._pots)
        done: list[str | None] = [None, None]
        for seat in (0, 1):
            if actions[seat] != INTERACT:
                continue
            cell = ahead(self._pos[seat], self._dirs[seat])
            terrain = g.terrain(cell)
            held = self._held[seat]
            if terrain == "X":
                if held != NOTHING and cell not in self._counters:
                    self._counters[cell] = held
                    self._held[seat] = NOTHING
                    done[seat] = "place_obj_on_counter"
                elif held == NOTHING and cell in self._counters:
                    self._held[seat] = self._counters.pop(cell)
                    done[seat] = f"pickup({ITEM_NAMES[self._held[seat]]})"
            elif terrain == "O" and held == NOTHING:
                self._held[seat] = ONION
                done[seat] = "pickup(onion)"
            elif terrain == "D" and held == NOTHING:
                dishes_held = self._held.count(DISH)
                self._held[seat] = DISH
                done[seat] = "pickup(dish)"
                if nearly_ready > dishes_held and DISH not in self._counters.values():
                    self._shaped += SHAPING["dish_pickup"]
            elif terrain == "P" and held == DISH:
                pot = self._pots.get(cell)
                if pot is not None and pot.onions == SOUP_ONIONS and pot.cooked >= cook:
                    del self._pots[cell]
                    self._held[seat] = SOUP
                    self._shaped += SHAPING["soup_pickup"]
                    done[seat] = "fill_dish_with_soup"
            elif terrain == "P" and held == ONION:
                pot = self._pots.get(cell)
                if pot is None or pot.onions < SOUP_ONIONS:
                    self._pots[cell] = Pot(1 if pot is None else pot.onions + 1, 0)
                    self._held[seat] = NOTHING
                    self._shaped += SHAPING["onion_in_pot"]
                    done[seat] = "put_onion_in_pot"
            elif terrain == "S" and held == SOUP:
                self._held[seat] = NOTHING
                self._delivered += 1
                done[seat] = "deliver_soup"
        return done[0], done[1]

    def _move(self, actions: tuple[int, ...]) -> None:
        """Stage 2: moves and turns, with 0.0.1's collision rule."""
        floor = self._game.layout.floor
        old = self._pos
        new = list(old)
        for seat in (0, 1):
            a = actions[seat]
            if a < STAY:
                self._dirs[seat] = a
                target = ahead(old[seat], a)
                if target in floor:
                    new[seat] = target
        if new[0] == new[1] or (new[0] == old[1] and new[1] == old[0]):
            return
        self._pos = new

    def returns(self) -> list[float]:
        total = self._delivered * self._game.delivery_reward
        if self._game.shaped_rewards:
            total += self._shaped
        return [total, total]

    def clone(self) -> OvercookedState:
        twin = object.__new__(OvercookedState)
        twin._game = self._game
        twin._history = self._history.copy()
        twin._time = self._time
        twin._pos = self._pos.copy()
        twin._dirs = self._dirs.copy()
        twin._held = self._held.copy()
        twin._counters = self._counters.copy()
        twin._pots = self._pots.copy()
        twin._delivered = self._delivered
        twin._shaped = self._shaped
        twin._skills = self._skills.copy()
        return twin

    # ---- what happened ---------------------------------------------------------------

    @property
    def time(self) -> int:
        return self._time

    @property
    def delivered(self) -> int:
        """Soups delivered so far."""
        return self._delivered

    def sparse_return(self) -> float:
        """The team's score: ``delivery_reward`` per soup delivered."""
        return self._delivered * self._game.delivery_reward

    def shaped_return(self) -> float:
        """The team's shaped reward so far (never part of the score)."""
        return self._shaped

    def completed_skills(self) -> list[tuple[str | None, str | None]]:
        """Per step, the medium-level skill each seat completed in it (0.0.1's
        ``ml_actions``; ProAgent's record of the teammate's real behaviour), or None."""
        return list(self._skills)

    def view(self) -> OvercookedView:
        return OvercookedView(
            self._time,
            (self._pos[0], self._pos[1]),
            (self._dirs[0], self._dirs[1]),
            (self._held[0], self._held[1]),
            tuple(sorted(self._counters.items())),
            tuple(sorted(self._pots.items())),
            self._delivered,
            self._skills[-1] if self._skills else (None, None),
        )

    # ---- views -----------------------------------------------------------------------

    def _check_player(self, player: int) -> None:
        if isinstance(player, bool) or not isinstance(player, int) or player not in (0, 1):
            raise RedqueenError(f"overcooked players are 0 and 1; got {player!r}")

    def information_state_key(self, player: int) -> Hashable:
        self._check_player(player)
        return self.view()

    def information_state_tensor(self, player: int) -> np.ndarray:
        """0.0.1's ``lossless_state_encoding`` for ``player``, indexed ``[x, y, layer]``.
        Layers: 0 own position, 1 teammate position, 2-5 own orientation (up, down,
        right, left), 6-9 the teammate's, 10 pots, 11 counters, 12 onion dispensers,
        13 dish dispensers, 14 serving windows, 15 onions in each pot, 16 each pot's cook
        time, 17 soups outside pots, 18 dishes, 19 onions (held ones at the holder)."""
        self._check_player(player)
        g = self._game.layout
        out = np.zeros((g.width, g.height, 20), dtype=np.float32)
        for k, seat in enumerate((player, 1 - player)):
            x, y = self._pos[seat]
            out[x, y, k] = 1.0
            out[x, y, 2 + 4 * k + self._dirs[seat]] = 1.0
        for layer, cells in enumerate(
            (g.pots, g.counters, g.onion_dispensers, g.dish_dispensers, g.serving)
        ):
            for x, y in cells:
                out[x, y, 10 + layer] = 1.0
        for (x, y), pot in self._pots.items():
            out[x, y, 15] = pot.onions
            out[x, y, 16] = pot.cooked
        item_layer = {SOUP: 17, DISH: 18, ONION: 19}
        for (x, y), item in self._counters.items():
            out[x, y, item_layer[item]] = 1.0
        for seat in (0, 1):
            if self._held[seat] != NOTHING:
                x, y = self._pos[seat]
                out[x, y, item_layer[self._held[seat]]] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        return ACTION_NAMES[action]

    def pot_text(self, pot: Pot | None) -> str:
        """A pot's state in words, as ProAgent's scene descriptions put it."""
        if pot is None:
            return "is empty"
        if pot.onions < SOUP_ONIONS:
            plural = "onion" if pot.onions == 1 else "onions"
            return f"has {pot.onions} {plural} (needs {SOUP_ONIONS - pot.onions} more to cook)"
        left = self._game.cook_time - pot.cooked
        if left > 0:
            return f"is cooking, the soup will be ready after {left} timesteps"
        return "has already cooked the soup (ready)"

    def grid_text(self) -> str:
        """The kitchen in ASCII, two characters a cell: terrain (``.`` floor) then a mark:
        players as their seat digit and an arrow for where they face (``0^``); on
        counters the object's letter (``Xo`` onion, ``Xd`` dish, ``Xs`` soup); pots their
        onion count, or ``!`` once the soup is ready."""
        g = self._game.layout
        letters = {ONION: "o", DISH: "d", SOUP: "s"}
        lines = []
        for y in range(g.height):
            cells = []
            for x in range(g.width):
                pos = (x, y)
                if pos in self._pos:
                    seat = self._pos.index(pos)
                    cells.append(f"{seat}{ARROWS[self._dirs[seat]]}")
                    continue
                terrain = g.rows[y][x]
                mark = " "
                if terrain == "X" and pos in self._counters:
                    mark = letters[self._counters[pos]]
                elif terrain == "P" and pos in self._pots:
                    pot = self._pots[pos]
                    ready = pot.onions == SOUP_ONIONS and pot.cooked >= self._game.cook_time
                    mark = "!" if ready else str(pot.onions)
                cells.append(("." if terrain == " " else terrain) + mark)
            lines.append(" ".join(cells).rstrip())
        return "\n".join(lines)

    def observation_text(self, player: int) -> str:
        self._check_player(player)
        game = self._game
        g = game.layout
        lines = [
            f"Overcooked, layout {g.name}. Time step {self._time} of {game.horizon}. Soups "
            f"delivered: {self._delivered} (team score {self.sparse_return():g}).",
            f"You are Player {player}; your teammate is Player {1 - player}.",
            self.grid_text(),
        ]
        for seat in (player, 1 - player):
            who = f"Player {seat}" + (" (you)" if seat == player else "")
            x, y = self._pos[seat]
            lines.append(
                f"{who}: at ({x}, {y}), facing {DIRECTION_NAMES[self._dirs[seat]]}, holding "
                f"{ITEM_PHRASES[self._held[seat]]}."
            )
        for k, cell in enumerate(g.pots):
            lines.append(f"Pot {k} at {cell}: {self.pot_text(self._pots.get(cell))}.")
        if self._counters:
            items = ", ".join(f"{ITEM_NAMES[i]} at {c}" for c, i in sorted(self._counters.items()))
            lines.append(f"On counters: {items}.")
        else:
            lines.append("All counters are empty.")
        if self._time >= game.horizon:
            lines.append("The game is over.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.observation_text(0)


def overcooked(
    *, layout: str = "cramped_room", horizon: int = 400, shaped_rewards: bool = False
) -> OvercookedGame:
    """Overcooked 0.0.1 (ProAgent's rules) on one of its five layouts: ``cramped_room``,
    ``asymmetric_advantages``, ``coordination_ring``, ``forced_coordination`` or
    ``counter_circuit``; ``shaped_rewards`` adds 0.0.1's shaping to the returns."""
    return OvercookedGame(layout=layout, horizon=horizon, shaped_rewards=shaped_rewards)


def max_soups(horizon: int) -> int:
    """At most this many soups fit in ``horizon`` steps: a soup takes 9 interacts (3 onions
    taken and potted, a dish taken, filled, delivered) and two players make at most 2 a
    step."""
    return math.floor(2 * horizon / 9)
