"""Overcooked for B kitchens at once, with the rules of ``redqueen.games.hidden.overcooked``.

The scalar game (:class:`~redqueen.games.hidden.overcooked.OvercookedState`) is the
source of truth; this engine keeps the same kitchen in arrays and advances every play of
the batch with one numba kernel per step, in the scalar game's order: (1) interacts,
seat 0 first, with the count of non-empty pots read once before them (0.0.1's "nearly
ready" test for a useful dish pickup); (2) moves and turns with the collision rule;
(3) every full pot cooks one tick; the clock advances. Tests replay random joint actions
from many states through both engines and compare every field, the shaped reward and the
tensors.

Per play it keeps the players' cells, orientations and held objects, the object on each
counter, each pot's onions and ticks cooked, the soups delivered, the shaped reward and
the clock. A joint action is ``a0 * 6 + a1`` (OpenSpiel's flattening, as
:mod:`~redqueen.games.batch.repeated_matrix`), so the engine keeps the
:class:`~redqueen.games.batch.core.BatchGame` contract; :meth:`OvercookedBatch.step_joint`
takes the (B, 2) actions directly.

**Features.** :meth:`OvercookedBatch.tensor` is the scalar game's
``information_state_tensor`` (0.0.1's lossless encoding, ``(width, height, 20)``) for a
seat in every play. :meth:`OvercookedBatch.features` is the same encoding with only the
entries that can change in the layout: positions and orientations on floor cells, pot
contents at pots, objects on counters and floor cells. The five terrain layers are
constant and every other entry is always 0, so nothing is lost; the vector is about a
quarter of the tensor's size on cramped_room (107 of 400 entries), which makes a
policy's first layer nearly four times cheaper.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.batch.core import BatchGame
from redqueen.games.core import SIMULTANEOUS, TERMINAL
from redqueen.games.hidden.overcooked import (
    DIRECTIONS,
    SHAPING,
    SOUP_ONIONS,
    OvercookedGame,
    OvercookedState,
    OvercookedView,
    Pot,
)

FLOOR, COUNTER, POT, ONION_DISPENSER, DISH_DISPENSER, SERVING = range(6)
"""Terrain codes of the engine's grid."""
TERRAIN_CODES = {" ": FLOOR, "X": COUNTER, "P": POT, "O": ONION_DISPENSER, "D": DISH_DISPENSER}
TERRAIN_CODES["S"] = SERVING
LAYERS = 20
"""Layers of the lossless encoding (see ``OvercookedState.information_state_tensor``)."""
PLAYER_ACTIONS = 6


class OvercookedBatch(BatchGame):
    """``batch_size`` plays of one Overcooked game (see the module docstring)."""

    num_players = 2
    num_actions = PLAYER_ACTIONS * PLAYER_ACTIONS

    def __init__(self, game: OvercookedGame, batch_size: int) -> None:
        super().__init__(batch_size)
        if not isinstance(game, OvercookedGame):
            raise InvalidParameterError(
                f"OvercookedBatch needs an overcooked game (make('overcooked', ...)); got {game!r}"
            )
        g = game.layout
        self.game = game
        self.width, self.height = g.width, g.height
        self.horizon = game.horizon
        terrain = np.zeros((g.width, g.height), np.int64)
        for y, row in enumerate(g.rows):
            for x, c in enumerate(row):
                terrain[x, y] = TERRAIN_CODES[c]
        for x, y in g.floor:
            if not (0 < x < g.width - 1 and 0 < y < g.height - 1):
                raise InvalidParameterError(
                    f"layout {g.name}: floor cell {(x, y)} on the border; the engine needs walls"
                )
        self._terrain = terrain
        self._pot_cells = np.array(g.pots, np.int64).reshape(-1, 2)
        self._counter_cells = np.array(g.counters, np.int64).reshape(-1, 2)
        self._directions = np.array(DIRECTIONS, np.int64)
        self._shaping = np.array(
            [SHAPING["onion_in_pot"], SHAPING["dish_pickup"], SHAPING["soup_pickup"]]
        )
        full = np.arange(g.width * g.height * LAYERS, dtype=np.int64)
        self._full_columns = full.reshape(g.width, g.height, LAYERS)
        self._columns = _compact_columns(terrain)
        self.num_features = int(self._columns.max()) + 1
        self.reset()

    # ---- the contract ---------------------------------------------------------------

    def reset(self) -> None:
        b, g = self.batch_size, self.game.layout
        self.pos = np.tile(np.array(g.starts, np.int64), (b, 1, 1))
        """(B, 2, 2): each seat's (x, y)."""
        self.dirs = np.zeros((b, 2), np.int64)
        """(B, 2): each seat's orientation (0.0.1's up, down, right, left: 0-3)."""
        self.held = np.zeros((b, 2), np.int64)
        """(B, 2): what each seat holds (``NOTHING``, ``ONION``, ``DISH``, ``SOUP``)."""
        self.items = np.zeros((b, self.width, self.height), np.int64)
        """(B, W, H): the object on each counter (0: none)."""
        self.onions = np.zeros((b, self.width, self.height), np.int64)
        """(B, W, H): onions in each pot (0: an empty pot)."""
        self.cooked = np.zeros((b, self.width, self.height), np.int64)
        """(B, W, H): ticks each pot has cooked."""
        self.delivered = np.zeros(b, np.int64)
        self.shaped = np.zeros(b)
        """(B,): the shaped reward so far (``OvercookedState.shaped_return``)."""
        self.time = np.zeros(b, np.int64)

    def current_player(self) -> NDArray[np.int64]:
        return np.where(self.time >= self.horizon, TERMINAL, SIMULTANEOUS).astype(np.int64)

    def legal_mask(self) -> NDArray[np.bool_]:
        live = self.time < self.horizon
        return np.repeat(live[:, None], self.num_actions, axis=1)

    def chance_probs(self) -> NDArray[np.float64]:
        return np.zeros((self.batch_size, self.num_actions))

    def step(self, actions: NDArray[np.integer]) -> None:
        """One joint action ``a0 * 6 + a1`` per play; finished plays are left alone."""
        a = np.asarray(actions)
        self._check_actions(a, self.legal_mask())
        joint = np.asarray(a, np.int64)
        self.step_joint(np.stack([joint // PLAYER_ACTIONS, joint % PLAYER_ACTIONS], axis=1))

    def step_joint(self, actions: NDArray[np.integer]) -> None:
        """Apply (B, 2) actions, seat 0's then seat 1's per play (ids 0-5, as the scalar
        game's); finished plays are left alone."""
        a = np.asarray(actions)
        if a.shape != (self.batch_size, 2):
            raise ValueError(f"actions must have shape ({self.batch_size}, 2), got {a.shape}")
        if ((a < 0) | (a >= PLAYER_ACTIONS)).any():
            raise ValueError(f"overcooked actions are 0-{PLAYER_ACTIONS - 1}; got {a.tolist()}")
        _kernels().step(
            np.ascontiguousarray(a, np.int64),
            *self._kitchen(),
            self.delivered,
            self.shaped,
            self.time,
            self._terrain,
            self._pot_cells,
            self._counter_cells,
            self._directions,
            self._shaping,
            self.game.cook_time,
            self.horizon,
        )

    def returns(self) -> NDArray[np.float64]:
        total = self.sparse_returns()
        if self.game.shaped_rewards:
            total = total + self.shaped
        return np.repeat(total[:, None], 2, axis=1)

    # ---- what happened --------------------------------------------------------------

    def sparse_returns(self) -> NDArray[np.float64]:
        """(B,): the team's score in each play (``delivery_reward`` per soup)."""
        return self.delivered.astype(np.float64) * float(self.game.delivery_reward)

    def load(self, states: Sequence[OvercookedState]) -> None:
        """Set play i to ``states[i]`` (one state per play), read through its public view."""
        if len(states) != self.batch_size:
            raise ValueError(f"need {self.batch_size} states, got {len(states)}")
        self.reset()
        for i, state in enumerate(states):
            v = state.view()
            self.pos[i] = v.positions
            self.dirs[i] = v.orientations
            self.held[i] = v.held
            for (x, y), item in v.counters:
                self.items[i, x, y] = item
            for (x, y), pot in v.pots:
                self.onions[i, x, y], self.cooked[i, x, y] = pot.onions, pot.cooked
            self.delivered[i] = v.delivered
            self.shaped[i] = state.shaped_return()
            self.time[i] = v.time

    def view(self, i: int) -> OvercookedView:
        """Play ``i`` as the scalar game's view (``last_skills`` is not kept: None)."""
        counters = tuple(
            ((int(x), int(y)), int(self.items[i, x, y])) for x, y in np.argwhere(self.items[i])
        )
        pots = tuple(
            ((int(x), int(y)), Pot(int(self.onions[i, x, y]), int(self.cooked[i, x, y])))
            for x, y in np.argwhere(self.onions[i])
        )
        p = self.pos[i]
        return OvercookedView(
            int(self.time[i]),
            ((int(p[0, 0]), int(p[0, 1])), (int(p[1, 0]), int(p[1, 1]))),
            (int(self.dirs[i, 0]), int(self.dirs[i, 1])),
            (int(self.held[i, 0]), int(self.held[i, 1])),
            tuple(sorted(counters)),
            tuple(sorted(pots)),
            int(self.delivered[i]),
            (None, None),
        )

    # ---- views -----------------------------------------------------------------------

    def tensor(self, seat: int) -> NDArray[np.float32]:
        """(B, W, H, 20): ``information_state_tensor(seat)`` of every play."""
        if seat not in (0, 1):
            raise ValueError(f"overcooked seats are 0 and 1; got {seat!r}")
        out = self._encode(self._full_columns, self._full_columns.size)
        return out[:, seat].reshape(self.batch_size, self.width, self.height, LAYERS)

    def features(self) -> NDArray[np.float32]:
        """(B, 2, num_features): each seat's lossless encoding restricted to the entries
        that can change in this layout (module docstring)."""
        return self._encode(self._columns, self.num_features)

    def _encode(self, columns: NDArray[np.int64], size: int) -> NDArray[np.float32]:
        out = np.zeros((self.batch_size, 2, size), np.float32)
        _kernels().encode(out, columns, *self._kitchen(), self._terrain)
        return out

    def _kitchen(self) -> tuple[NDArray[np.int64], ...]:
        """The arrays both kernels read, in their order: cells, orientations, held objects,
        counters, pot onions, pot ticks."""
        return self.pos, self.dirs, self.held, self.items, self.onions, self.cooked


def _compact_columns(terrain: NDArray[np.int64]) -> NDArray[np.int64]:
    """(W, H, 20): the feature column of each entry of the lossless encoding, -1 for the
    entries that never change in a kitchen with this terrain."""
    width, height = terrain.shape
    can_change = np.zeros((width, height, LAYERS), np.bool_)
    floor = terrain == FLOOR
    can_change[floor, 0:10] = True  # positions and orientations
    can_change[terrain == POT, 15:17] = True  # onions in the pot, ticks cooked
    holds = floor | (terrain == COUNTER)
    can_change[holds, 17:20] = True  # soups, dishes, onions: held or on a counter
    columns = np.full((width, height, LAYERS), -1, np.int64)
    columns[can_change] = np.arange(int(can_change.sum()))
    return columns


# ---- compiled kernels --------------------------------------------------------------------

_KERNELS: Any = None


def _kernels() -> Any:
    """The numba-compiled step and encoder (compiled on first use, cached on disk)."""
    global _KERNELS
    if _KERNELS is None:
        from types import SimpleNamespace

        import numba

        jit = numba.njit(cache=True, nogil=True)
        _KERNELS = SimpleNamespace(step=jit(_step), encode=jit(_encode))
    return _KERNELS


def _step(
    actions: Any,
    pos: Any,
    dirs: Any,
    held: Any,
    items: Any,
    onions: Any,
    cooked: Any,
    delivered: Any,
    shaped: Any,
    time: Any,
    terrain: Any,
    pot_cells: Any,
    counter_cells: Any,
    directions: Any,
    shaping: Any,
    cook_time: int,
    horizon: int,
) -> None:
    """One step of every unfinished play, in place, as ``OvercookedState._apply_joint_action``
    (object codes: 0 nothing, 1 onion, 2 dish, 3 soup; action 4 stay, 5 interact)."""
    for b in range(actions.shape[0]):
        if time[b] >= horizon:
            continue
        # (1) interacts, seat 0 first; "nearly ready" pots are read once, before them.
        nearly_ready = 0
        for k in range(pot_cells.shape[0]):
            if onions[b, pot_cells[k, 0], pot_cells[k, 1]] > 0:
                nearly_ready += 1
        for seat in range(2):
            if actions[b, seat] != 5:
                continue
            d = dirs[b, seat]
            x = pos[b, seat, 0] + directions[d, 0]
            y = pos[b, seat, 1] + directions[d, 1]
            t = terrain[x, y]
            h = held[b, seat]
            if t == COUNTER:
                if h != 0 and items[b, x, y] == 0:
                    items[b, x, y] = h
                    held[b, seat] = 0
                elif h == 0 and items[b, x, y] != 0:
                    held[b, seat] = items[b, x, y]
                    items[b, x, y] = 0
            elif t == ONION_DISPENSER and h == 0:
                held[b, seat] = 1
            elif t == DISH_DISPENSER and h == 0:
                dishes_held = (held[b, 0] == 2) + (held[b, 1] == 2)
                dish_on_counter = False
                for k in range(counter_cells.shape[0]):
                    if items[b, counter_cells[k, 0], counter_cells[k, 1]] == 2:
                        dish_on_counter = True
                held[b, seat] = 2
                if nearly_ready > dishes_held and not dish_on_counter:
                    shaped[b] += shaping[1]
            elif t == POT and h == 2:
                if onions[b, x, y] == SOUP_ONIONS and cooked[b, x, y] >= cook_time:
                    onions[b, x, y] = 0
                    cooked[b, x, y] = 0
                    held[b, seat] = 3
                    shaped[b] += shaping[2]
            elif t == POT and h == 1:
                if onions[b, x, y] < SOUP_ONIONS:
                    onions[b, x, y] += 1
                    cooked[b, x, y] = 0
                    held[b, seat] = 0
                    shaped[b] += shaping[0]
            elif t == SERVING and h == 3:
                held[b, seat] = 0
                delivered[b] += 1
        # (2) moves and turns; both stay where they were if they meet or swap.
        x0, y0 = pos[b, 0, 0], pos[b, 0, 1]
        x1, y1 = pos[b, 1, 0], pos[b, 1, 1]
        nx0, ny0, nx1, ny1 = x0, y0, x1, y1
        a = actions[b, 0]
        if a < 4:
            dirs[b, 0] = a
            tx, ty = x0 + directions[a, 0], y0 + directions[a, 1]
            if terrain[tx, ty] == FLOOR:
                nx0, ny0 = tx, ty
        a = actions[b, 1]
        if a < 4:
            dirs[b, 1] = a
            tx, ty = x1 + directions[a, 0], y1 + directions[a, 1]
            if terrain[tx, ty] == FLOOR:
                nx1, ny1 = tx, ty
        meet = nx0 == nx1 and ny0 == ny1
        swap = nx0 == x1 and ny0 == y1 and nx1 == x0 and ny1 == y0
        if not (meet or swap):
            pos[b, 0, 0], pos[b, 0, 1] = nx0, ny0
            pos[b, 1, 0], pos[b, 1, 1] = nx1, ny1
        # (3) full pots cook one tick; the clock advances.
        for k in range(pot_cells.shape[0]):
            px, py = pot_cells[k, 0], pot_cells[k, 1]
            if onions[b, px, py] == SOUP_ONIONS and cooked[b, px, py] < cook_time:
                cooked[b, px, py] += 1
        time[b] += 1


def _encode(
    out: Any,
    columns: Any,
    pos: Any,
    dirs: Any,
    held: Any,
    items: Any,
    onions: Any,
    cooked: Any,
    terrain: Any,
) -> None:
    """Write each seat's lossless encoding into ``out`` (B, 2, F), entry (x, y, layer) at
    column ``columns[x, y, layer]`` (skipped where -1). ``out`` starts as zeros."""
    width, height = terrain.shape
    item_layer = (0, 19, 18, 17)  # onion, dish, soup -> layers 19, 18, 17
    terrain_layer = (-1, 11, 10, 12, 13, 14)  # counters, pots, onion/dish dispensers, serving
    for b in range(out.shape[0]):
        for player in range(2):
            for k in range(2):
                seat = player if k == 0 else 1 - player
                x, y = pos[b, seat, 0], pos[b, seat, 1]
                c = columns[x, y, k]
                if c >= 0:
                    out[b, player, c] = 1.0
                c = columns[x, y, 2 + 4 * k + dirs[b, seat]]
                if c >= 0:
                    out[b, player, c] = 1.0
                h = held[b, seat]
                if h != 0:
                    c = columns[x, y, item_layer[h]]
                    if c >= 0:
                        out[b, player, c] = 1.0
            for x in range(width):
                for y in range(height):
                    t = terrain[x, y]
                    if t != FLOOR:
                        c = columns[x, y, terrain_layer[t]]
                        if c >= 0:
                            out[b, player, c] = 1.0
                    if onions[b, x, y] > 0:
                        c = columns[x, y, 15]
                        if c >= 0:
                            out[b, player, c] = onions[b, x, y]
                        c = columns[x, y, 16]
                        if c >= 0:
                            out[b, player, c] = cooked[b, x, y]
                    if items[b, x, y] != 0:
                        c = columns[x, y, item_layer[items[b, x, y]]]
                        if c >= 0:
                            out[b, player, c] = 1.0
