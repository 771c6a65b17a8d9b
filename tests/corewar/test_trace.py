"""A battle watched frame by frame: the trace ends exactly as ``battle()`` does, its cores
are the cores a single warrior leaves after as many steps (``run_single``), each cell's
owner is its last writer, the process queues are in pMARS's order, and the frames are
as many and as far apart as asked."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from redqueen.errors import InvalidParameterError
from redqueen.games.corewar import assemble, battle, load_warrior, run_single
from redqueen.games.corewar.trace import trace_battle

WARRIORS = Path(__file__).parent / "warriors"
CLASSICS = {n: load_warrior(WARRIORS / f"{n}.red") for n in ("dwarf", "imp", "mice", "validate")}
SMALL = {"coresize": 800, "cycles": 2000, "processes": 64, "max_length": 20, "min_distance": 20}
SMALL_PAIR = [load_warrior(WARRIORS / f"{n}.red", coresize=800) for n in ("dwarf", "imp")]


@pytest.mark.parametrize(("a", "b"), list(itertools.permutations(CLASSICS, 2)))
def test_the_trace_ends_as_battle_does(a: str, b: str) -> None:
    warriors = [CLASSICS[a], CLASSICS[b]]
    for seed in (0, 7):
        trace = trace_battle(warriors, seed=seed)
        result = battle(warriors, seed=seed)
        assert trace.result == result
        assert trace.outcome == result.outcomes[0]
        last = trace.frames[-1]
        # a warrior is alive at the end exactly when the battle says it survived
        assert [n > 0 for n in last.processes] == [s > 0 for s in result.outcomes[0]]
        if all(s > 0 for s in result.outcomes[0]):
            assert last.cycle == 80_000  # a tie runs the whole budget
        else:
            assert last.cycle < 80_000


def test_any_round_of_a_longer_battle_and_three_warriors() -> None:
    warriors = [CLASSICS["dwarf"], CLASSICS["mice"], CLASSICS["imp"]]
    result = battle(warriors, rounds=4, seed=3)
    assert len({tuple(o) for o in result.outcomes}) > 1  # the rounds differ
    for r in range(4):
        trace = trace_battle(warriors, rounds=4, round=r, seed=3)
        assert trace.result == result
        assert trace.outcome == result.outcomes[r]
        assert trace.positions == result.positions[r]
        assert [n > 0 for n in trace.frames[-1].processes] == [s > 0 for s in trace.outcome]


def test_each_frame_holds_the_core_a_lone_warrior_leaves_after_as_many_steps() -> None:
    """Alone, a warrior takes one turn a cycle: frame at cycle c == ``run_single(c)``."""
    for name in ("mice", "dwarf"):
        warrior = CLASSICS[name]
        trace = trace_battle([warrior], cycles=3000, every=250, positions=[1234])
        assert [f.cycle for f in trace.frames] == [*range(0, 3000, 250), 3000]
        for i, frame in enumerate(trace.frames[1:], start=1):
            assert frame.turns == frame.cycle
            expected = run_single(warrior, frame.cycle, position=1234)
            cells = trace.listing(i, 0, 0, 7999)  # the whole core
            assert [c.text for c in cells] == [str(x) for x in expected]
            assert [trace.instruction(i, a) for a in range(0, 8000, 97)] == expected[::97]
            # every cell that is no longer empty was written by the warrior
            assert all(c.owner == 0 for c in cells if c.text != "DAT.F  $     0, $     0")


def test_dwarf_owns_its_code_and_every_bomb_it_has_dropped() -> None:
    dwarf = CLASSICS["dwarf"]  # ADD #4, bomb / MOV bomb, @bomb / JMP start / bomb DAT
    trace = trace_battle([dwarf], cycles=600, every=50, positions=[100])
    for i, frame in enumerate(trace.frames):
        moves = (frame.turns + 1) // 3  # the MOV is every loop's second instruction
        bombs = {(100 + 3 + 4 * k) % 8000 for k in range(1, moves + 1)}
        owned = set(np.flatnonzero(trace.owners(i) == 0).tolist())
        assert owned == {100, 101, 102, 103} | bombs
        assert all(str(trace.instruction(i, a)).startswith("DAT.F") for a in bombs)


def test_the_last_writer_owns_a_cell() -> None:
    """The Imp writes 101, 102, ... one a cycle from cycle 1; the Dwarf's 25th bomb (its
    turn 74) lands on 103, long after the Imp passed it."""
    dwarf, imp = CLASSICS["dwarf"], CLASSICS["imp"]
    trace = trace_battle([dwarf, imp], cycles=200, every=10, positions=[0, 100])
    by_cycle = {f.cycle: i for i, f in enumerate(trace.frames)}
    early, late = by_cycle[60], by_cycle[80]
    assert trace.owners(early)[[101, 102, 103]].tolist() == [1, 1, 1]
    assert trace.owners(late)[[101, 102, 103]].tolist() == [1, 1, 0]
    assert str(trace.instruction(late, 103)).startswith("DAT.F")
    assert str(trace.instruction(late, 102)) == str(imp.instructions[0])
    assert trace.changed(0).tolist() == [[0, 0], [1, 0], [2, 0], [3, 0], [100, 1]]


def test_process_queues_are_in_pmars_order() -> None:
    """SPL queues the next instruction, then the new process; each process re-queues
    itself at the back after its turn."""
    splitter = assemble("SPL.B $2, $0\nJMP.B $0, $0\nJMP.B $0, $0\n")
    trace = trace_battle([splitter], cycles=5, every=1, positions=[500])
    queues = [[q.tolist() for q in f.queues] for f in trace.frames]
    assert queues[:4] == [[[500]], [[501, 502]], [[502, 501]], [[501, 502]]]
    assert [f.processes for f in trace.frames[:3]] == [[1], [2], [2]]


def test_a_dead_warrior_has_no_processes() -> None:
    suicide = assemble("DAT.F #0, #0\n")
    trace = trace_battle([suicide, CLASSICS["imp"]], seed=1)
    assert trace.outcome == [0, 1]
    assert trace.frames[0].processes == [1, 1] and trace.frames[-1].processes == [0, 1]
    assert trace.frames[-1].cycle == 0  # it dies on its first turn


def test_frames_are_as_many_and_as_far_apart_as_asked() -> None:
    warriors = SMALL_PAIR
    for max_frames in (3, 50, 300):
        trace = trace_battle(warriors, seed=2, max_frames=max_frames, **SMALL)
        ended = trace.frames[-1].cycle
        assert len(trace.frames) <= max_frames
        assert trace.every == max(1, math.ceil(ended / (max_frames - 2)))
    trace = trace_battle(warriors, seed=2, every=7, **SMALL)
    assert trace.every == 7
    both_alive = [f for f in trace.frames[:-1] if min(f.processes) > 0]
    assert [f.cycle for f in both_alive] == [7 * i for i in range(len(both_alive))]
    assert all(f.turns == 2 * f.cycle for f in both_alive)  # two turns a cycle
    assert [f.index for f in trace.frames] == list(range(len(trace.frames)))


def test_bad_arguments_name_what_is_allowed() -> None:
    warriors = [CLASSICS["dwarf"], CLASSICS["imp"]]
    with pytest.raises(InvalidParameterError, match=r"round must be in \[0, 1\]"):
        trace_battle(warriors, rounds=2, round=2)
    with pytest.raises(InvalidParameterError, match=r"max_frames must be in \[3, "):
        trace_battle(warriors, max_frames=2)
    with pytest.raises(InvalidParameterError, match=r"every must be in \[1, cycles=80000\]"):
        trace_battle(warriors, every=0)
    with pytest.raises(InvalidParameterError, match="give every >= 8"):
        trace_battle(warriors, every=7)
    trace = trace_battle(SMALL_PAIR, seed=0, **SMALL)
    with pytest.raises(InvalidParameterError, match="frames 0 to"):
        trace.owners(len(trace.frames))
    with pytest.raises(InvalidParameterError, match="a listing has 1 to 800 cells"):
        trace.listing(0, 0, 400, 400)
