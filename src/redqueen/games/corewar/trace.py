"""One Core War battle, step by step: frames of a round taken every ``every`` cycles.

:func:`trace_battle` plays a battle in the same compiled MARS as
:func:`~redqueen.games.corewar.mars.battle` (``mars._run``, the one place that knows the
opcodes), with one round *watched*: at cycle 0, after every ``every`` full cycles and at
the end of the round the kernel records a frame, namely

- the cycle (full cycles elapsed, counted as pMARS counts them: the round's budget of
  ``cycles * warriors`` turns is shared by the warriors still alive) and the turns
  (instructions) executed so far;
- every core cell written since the previous frame, with its five fields and the warrior
  that wrote it last (a cell's *owner*; loading a warrior owns its code);
- each warrior's process queue: the addresses of its live processes in queue order, the
  next to run first (empty once it died).

Everything else is read back from these records: the owner of every cell and any cell's
instruction at any frame. Watching reads the kernel's state between turns and changes
none of it, so :attr:`BattleTrace.result` is exactly what ``battle()`` returns for the same
warriors, settings and seed (all rounds are played; only the watched one is recorded).

Unless ``every`` is given, the round is played once to find the cycle ``E`` where it
ends, and again with ``every = ceil(E / (max_frames - 2))``, which keeps it at
``max_frames`` frames or fewer: cycle 0, the multiples of ``every`` reached, the end.

Owners follow the simulator's own notion of a write (the one its memory-coverage
descriptor counts): the B target of MOV, the arithmetic opcodes, DJN and LDP, and the
cells that a pre-decrement or post-increment changes. One consequence: a DIV or MOD that
divides by zero, which writes nothing to the half it skipped, still claims its target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from redqueen.errors import InvalidParameterError
from redqueen.games.corewar.mars import (
    _DAT_F,
    DIR,
    BattleResult,
    BattleSetup,
    _decode,
    battle_setup,
)
from redqueen.games.corewar.redcode import Instruction, Warrior

MAX_FRAMES = 10_000
"""The most frames a trace may have (``max_frames``, or ``cycles / every``)."""
NO_OWNER = -1
_QUEUE_ROOM = 2**24
_EMPTY = np.asarray([_DAT_F, DIR, 0, DIR, 0], dtype=np.int64)  # an empty cell: DAT.F $0, $0


@dataclass(frozen=True)
class Frame:
    """The battle between two turns: after ``turns`` instructions, at ``cycle``."""

    index: int
    cycle: int
    turns: int
    queues: tuple[np.ndarray, ...]
    """Per warrior, its processes' addresses in queue order (the next to run first)."""

    @property
    def processes(self) -> list[int]:
        """Live processes per warrior."""
        return [len(q) for q in self.queues]


@dataclass(frozen=True, eq=False)
class BattleTrace:
    """A battle's result and the frames of its watched round (see the module docstring)."""

    warriors: tuple[Warrior, ...]
    coresize: int
    cycles: int
    round: int
    """The round watched (0-based)."""
    every: int
    """Cycles between frames (the last frame is where the round ended)."""
    result: BattleResult
    frames: tuple[Frame, ...]
    changes: np.ndarray
    """(rows, 7) int32: address, the five encoded fields, owner; frame ``i``'s rows are
    ``changes[ends[i - 1]:ends[i]]``."""
    ends: np.ndarray

    @property
    def positions(self) -> list[int]:
        """Each warrior's load address in the watched round."""
        return list(self.result.positions[self.round])

    @property
    def outcome(self) -> list[int]:
        """Per warrior: the survivors at the end of the watched round if it survived,
        else 0 (``result.outcomes[round]``)."""
        return list(self.result.outcomes[self.round])

    def _rows(self, index: int) -> np.ndarray:
        self._check(index)
        return self.changes[: int(self.ends[index])]

    def _check(self, index: int) -> None:
        if not 0 <= index < len(self.frames):
            raise InvalidParameterError(
                f"frame {index} does not exist: the trace has frames 0 to {len(self.frames) - 1}"
            )

    def changed(self, index: int) -> np.ndarray:
        """(address, owner) of the cells written between frame ``index - 1`` and
        ``index`` (frame 0: the warriors as loaded)."""
        self._check(index)
        lo = int(self.ends[index - 1]) if index > 0 else 0
        rows = self.changes[lo : int(self.ends[index])]
        return rows[:, [0, 6]]

    def owners(self, index: int) -> np.ndarray:
        """Each cell's owner at frame ``index``: the warrior that wrote it last, or -1."""
        out = np.full(self.coresize, NO_OWNER, dtype=np.int32)
        rows = self._rows(index)
        # a frame lists a cell once; frames are applied in order, so later writers win
        lo = 0
        for end in self.ends[: index + 1]:
            part = rows[lo:end]
            out[part[:, 0]] = part[:, 6]
            lo = int(end)
        return out

    def core(self, index: int) -> np.ndarray:
        """(coresize, 5) the core at frame ``index`` (encoded as ``mars`` encodes it)."""
        out = np.tile(_EMPTY, (self.coresize, 1))
        rows = self._rows(index)
        lo = 0
        for end in self.ends[: index + 1]:
            part = rows[lo:end]
            out[part[:, 0]] = part[:, 1:6]
            lo = int(end)
        return out

    def instruction(self, index: int, address: int) -> Instruction:
        """The instruction in cell ``address`` (mod the core size) at frame ``index``."""
        rows = self._rows(index)
        hits = np.flatnonzero(rows[:, 0] == address % self.coresize)
        return _decode(rows[hits[-1], 1:6] if len(hits) else _EMPTY)

    def listing(self, index: int, address: int, before: int = 0, after: int = 0) -> list[Cell]:
        """Cells ``address - before`` to ``address + after`` (wrapping round the core) at
        frame ``index``: address, owner and instruction text."""
        if before < 0 or after < 0 or before + after >= self.coresize:
            raise InvalidParameterError(
                f"a listing has 1 to {self.coresize} cells; got before={before}, after={after}"
            )
        owners = self.owners(index)
        core = self.core(index)
        cells = []
        for k in range(address - before, address + after + 1):
            a = k % self.coresize
            cells.append(Cell(a, int(owners[a]), str(_decode(core[a]))))
        return cells


@dataclass(frozen=True)
class Cell:
    address: int
    owner: int
    """The warrior that wrote it last, or -1."""
    text: str


def trace_battle(
    warriors: Sequence[Warrior],
    rounds: int = 1,
    round: int = 0,
    every: int | None = None,
    max_frames: int = 300,
    coresize: int = 8000,
    cycles: int = 80000,
    processes: int = 8000,
    max_length: int = 100,
    min_distance: int = 100,
    positions: Sequence[int] | None = None,
    seed: int | None = None,
    first_position: int | None = None,
    pspace_size: int | None = None,
    track: bool = True,
    strict_icws94: bool = False,
) -> BattleTrace:
    """Play a battle (arguments as for :func:`~redqueen.games.corewar.mars.battle`) and
    record round ``round`` (0-based) as frames: every ``every`` cycles, or, when
    ``every`` is None, as often as keeps that round at ``max_frames`` frames or fewer."""
    if not 0 <= round < rounds:
        raise InvalidParameterError(f"round must be in [0, {rounds - 1}], got {round}")
    if not 3 <= max_frames <= MAX_FRAMES:
        raise InvalidParameterError(f"max_frames must be in [3, {MAX_FRAMES}], got {max_frames}")
    if every is not None and not 1 <= every <= cycles:
        raise InvalidParameterError(f"every must be in [1, cycles={cycles}], got {every}")
    if every is not None and cycles / every > MAX_FRAMES:
        raise InvalidParameterError(
            f"every={every} makes {cycles // every} frames of {cycles} cycles; at most "
            f"{MAX_FRAMES} are kept: give every >= {math.ceil(cycles / MAX_FRAMES)}"
        )
    setup = battle_setup(
        warriors,
        rounds,
        coresize,
        cycles,
        processes,
        max_length,
        min_distance,
        positions,
        seed,
        first_position,
        pspace_size,
        track,
        strict_icws94,
    )
    if every is None:
        ended = int(_watch(setup, round, cycles)[1][-1, 0])  # the cycle of the last frame
        every = max(1, math.ceil(ended / (max_frames - 2)))
    outputs, frames_table, changes, queues = _watch(setup, round, every)
    nw = len(warriors)
    offsets = np.concatenate([[0], np.cumsum(frames_table[:, 3:].reshape(-1))])
    frames = []
    for i, row in enumerate(frames_table):
        parts = tuple(queues[offsets[i * nw + k] : offsets[i * nw + k + 1]] for k in range(nw))
        frames.append(Frame(i, int(row[0]), int(row[1]), parts))
    return BattleTrace(
        warriors=tuple(warriors),
        coresize=coresize,
        cycles=cycles,
        round=round,
        every=every,
        result=setup.result(outputs),
        frames=tuple(frames),
        changes=changes,
        ends=frames_table[:, 2].copy(),
    )


def _watch(
    setup: BattleSetup, round: int, every: int
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray, np.ndarray]:
    """Play ``setup`` with ``round`` watched: the kernel's outputs, then the frames table
    (cycle, turns, end of its change rows, processes per warrior), the change rows and the
    queues. The buffers have room for every frame (cycle 0, the multiples of ``every``,
    the end) and every change row a round can make (a turn writes at most three cells);
    the queues' room is capped at :data:`_QUEUE_ROOM` entries and doubled, with the
    battle played again, in the rare round that needs more. Zeroed buffers cost memory
    only where they are written."""
    nw = len(setup.warriors)
    n_frames = setup.cycles // every + 2
    loaded = sum(len(w) for w in setup.warriors)
    rows = min(n_frames * setup.coresize, loaded + 3 * setup.cycles * nw)
    most = n_frames * nw * setup.processes
    room = min(most, _QUEUE_ROOM)
    while True:
        frames = np.zeros((n_frames, 3 + nw), np.int64)
        changes = np.zeros((rows, 7), np.int32)
        queues = np.zeros(room, np.int32)
        used = np.zeros(4, np.int64)
        outputs = setup.play(round, every, (frames, changes, queues, used))
        if not used[3]:
            f, c, q = (int(x) for x in used[:3])
            return outputs, frames[:f], changes[:c].copy(), queues[:q].copy()
        if room >= most:  # the frames and change rows above are upper bounds
            raise RuntimeError("a watched round outgrew buffers sized for any round")
        room = min(2 * room, most)
