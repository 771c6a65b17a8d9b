"""The MARS simulator: exact cores, deaths, P-space, scoring and fitness, on cases small
enough to work out by hand (the agreement with pMARS is in test_pmars.py)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from redqueen.errors import InvalidParameterError
from redqueen.games.corewar import Instruction, assemble, battle, load_warrior, run_single
from redqueen.games.corewar.mars import pmars_positions, pmars_rng, pspace_owners

IMP = assemble("MOV.I $0, $1")
DIES = assemble("DAT #0, #0")
EMPTY = Instruction("DAT", "F", "$", 0, "$", 0)


def test_imp_trace() -> None:
    core = run_single(IMP, 50, coresize=100)
    assert core[:51] == [IMP.instructions[0]] * 51
    assert core[51:] == [EMPTY] * 49


def test_dwarf_after_ten_instructions(warriors_dir: Path) -> None:
    core = run_single(load_warrior(warriors_dir / "dwarf.red"), 10)
    assert str(core[3]) == "DAT.F  #     0, #    16"  # four ADDs
    assert str(core[7]) == "DAT.F  #     0, #     4"  # first bomb
    assert [str(core[a]) for a in (11, 15)] == [
        "DAT.F  #     0, #     8",
        "DAT.F  #     0, #    12",
    ]
    assert sum(c != EMPTY for c in core) == 4 + 3


def test_a_operand_latched_before_its_post_increment() -> None:
    # A = }1: the pointer is cell 1's A field (0), so the A value read is cell 1 itself,
    # latched *before* the increment; B then reads cell 1 with A already incremented.
    w = assemble("ADD.AB }1, $1\nDAT #0, #3")
    core = run_single(w, 1, coresize=50)
    assert core[1] == Instruction("DAT", "F", "#", 1, "#", 3)


def test_predecrement_in_both_operands_of_one_instruction() -> None:
    # A: {1 -> cell 1 A becomes 1, target 2 (latched). B: <1 -> cell 1 B becomes 3,
    # target 1+3 = 4. MOV.I copies cell 2 to cell 4.
    w = assemble("MOV.I {1, <1\nDAT #2, #4\nDAT #7, #9")
    core = run_single(w, 1, coresize=50)
    assert core[1] == Instruction("DAT", "F", "#", 1, "#", 3)
    assert core[4] == Instruction("DAT", "F", "#", 7, "#", 9)


def test_div_by_zero_kills_after_the_other_half() -> None:
    w = assemble("DIV.F $1, $2\nDAT #2, #0\nDAT #9, #9")
    core = run_single(w, 5, coresize=50)
    assert core[2] == Instruction("DAT", "F", "#", 4, "#", 9)
    r = battle([w], rounds=1, cycles=5, coresize=50, min_distance=5, max_length=5)
    assert r.instructions_executed == 1 and r.outcomes == [[0]]


def test_pspace_survives_rounds() -> None:
    w = assemble(
        """        LDP.AB  #5, $cnt
        ADD.AB  #1, $cnt
        STP.B   $cnt, #5
        SNE.AB  #2, $cnt
        DAT     0
loop    JMP     loop
cnt     DAT     0, 0"""
    )
    r = battle([w], rounds=3, cycles=100)
    assert r.outcomes == [[1], [0], [1]]
    # cell 0 of P-space: coresize-1 before round 1, then the last result
    probe = assemble("LDP.AB #0, $2\nJMP 0\nDAT 0, 0")
    assert run_single(probe, 2)[2].b_value == 7999


def test_shared_pspace_with_pin() -> None:
    writer = assemble("PIN 9\nSTP.AB #77, #3\nJMP 0")
    # the reader dies only if it sees the writer's 77 (shared P-space); the writer moves
    # first in round 1, and the value stays for round 2
    reader = assemble("PIN 9\nLDP.AB #3, $1\nSNE.AB #77, #0\nDAT 0\nJMP 0")
    r = battle([writer, reader], rounds=2, cycles=50, positions=[0, 4000])
    assert r.outcomes == [[1, 0], [1, 0]]
    alone = assemble("PIN 10\nLDP.AB #3, $1\nSNE.AB #77, #0\nDAT 0\nJMP 0")
    r = battle([writer, alone], rounds=2, cycles=50, positions=[0, 4000])
    assert r.outcomes == [[2, 2], [2, 2]]


def test_survival_share_fitness_is_exact() -> None:
    r = battle([IMP, DIES], rounds=1, cycles=100, positions=[0, 4000])
    # two turns with both alive (1/2 cycle each way = 0.5), then the imp alone 99 cycles
    assert r.survival == pytest.approx([0.995, 0.005])
    assert r.wins == [1, 0] and r.losses == [0, 1] and r.score == [3, 0]


def test_ties_and_multiwarrior_score() -> None:
    r = battle([IMP, IMP], rounds=2, cycles=200, positions=[0, 4000])
    assert r.ties == [2, 2] and r.score == [2, 2] and r.instructions_executed == 2 * 2 * 200
    assert r.survival == pytest.approx([0.5, 0.5])
    r3 = battle([IMP, DIES, IMP], rounds=1, cycles=200, positions=[0, 3000, 6000])
    assert r3.score == [4, 0, 4]  # (W*W-1)//S with W=3, S=2
    assert r3.ties == [1, 0, 1] and r3.losses == [0, 1, 0]


def test_process_limit_and_descriptors() -> None:
    spl = assemble("SPL 0\nJMP -1")  # grows to the process limit, then just loops
    r = battle([spl], rounds=2, cycles=100, processes=5)
    assert r.descriptors[0]["processes_spawned"] == 4.0
    assert r.descriptors[0]["memory_coverage"] == 2.0
    assert battle([spl], cycles=100, processes=1).descriptors[0]["processes_spawned"] == 0.0
    imp = battle([IMP], rounds=1, cycles=50)
    assert imp.descriptors[0]["memory_coverage"] == 51.0  # executed 0..49, wrote 1..50


def test_park_miller_generator_and_pmars_placement() -> None:
    assert pmars_rng(1) == 16807
    assert pmars_rng(16807) == 282475249
    pos = pmars_positions(2, 3, 8000, 100, 1234 - 100, True)
    assert pos[0].tolist() == [0, 1234]
    assert pos[1, 1] == 100 + pmars_rng(1134) % 7801
    multi = pmars_positions(4, 20, 8000, 100, 99, False)
    for row in multi:
        offsets = sorted(row.tolist())
        assert offsets[0] == 0
        assert all(b - a >= 100 for a, b in itertools.pairwise(offsets))


def test_limits_give_clear_errors() -> None:
    long = assemble("FOR 30\nDAT 0\nROF")
    with pytest.raises(InvalidParameterError, match="max_length is 20"):
        battle([long, IMP], max_length=20)
    with pytest.raises(InvalidParameterError, match="rounds must be >= 1"):
        battle([IMP, IMP], rounds=0)
    with pytest.raises(InvalidParameterError, match="positions needs 2 entries"):
        battle([IMP, IMP], positions=[0])
    with pytest.raises(InvalidParameterError, match="assemble it with the same coresize"):
        battle([assemble("DAT #7000")], coresize=800, min_distance=10)


def test_stp_to_cell_zero_is_read_back_in_the_same_round_as_in_pmars() -> None:
    w = assemble("STP.AB #5, #0\nLDP.AB #0, $1\nDAT 0, 0")
    assert run_single(w, 2)[2].b_value == 5  # pMARS: the last-result cell holds 5
    assert run_single(w, 2, strict_icws94=True)[2].b_value == 7999  # cell 0 read-only
    # the round's result overwrites it: 1 survivor, read at the start of round 2
    probe = assemble("LDP.AB #0, $3\nSTP.AB #5, #0\nJMP 0\nDAT 0, 0")
    r = battle([probe], rounds=2, cycles=10)
    assert r.outcomes == [[1], [1]]


def test_a_warrior_without_pin_shares_with_an_earlier_pin_0_as_in_pmars() -> None:
    assert pspace_owners([0, None])[0].tolist() == [0, 0]
    assert pspace_owners([0, None], strict_icws94=True)[0].tolist() == [0, 1]
    assert pspace_owners([None, 0])[0].tolist() == [0, 1]  # only later warriors
    owners, spaces = pspace_owners([3, None, 3, 5])
    assert owners.tolist() == [0, 1, 0, 2] and spaces == 3
    writer = assemble("PIN 0\nSTP.AB #77, #3\nJMP 0")
    reader = assemble("LDP.AB #3, $1\nSNE.AB #77, #0\nDAT 0\nJMP 0")
    r = battle([writer, reader], rounds=1, cycles=50, positions=[0, 4000])
    assert r.outcomes == [[1, 0]]  # the reader saw 77 and died
    r = battle([writer, reader], rounds=1, cycles=50, positions=[0, 4000], strict_icws94=True)
    assert r.outcomes == [[2, 2]]


def test_a_start_outside_the_code_is_played_from_there() -> None:
    w = assemble("ORG 2\nDAT 0, 0")  # pMARS warns and starts at offset 2: an empty cell
    assert w.start == 2
    r = battle([w, IMP], rounds=1, cycles=50, positions=[0, 4000])
    assert r.outcomes == [[0, 1]] and r.instructions_executed == 1  # it dies at once
    jumps = assemble("ORG 1\nJMP 0")  # starts after its JMP, in empty core: dies
    assert battle([jumps], rounds=1, cycles=50).instructions_executed == 1
    with pytest.raises(InvalidParameterError, match="starts outside its code"):
        battle([w, IMP], positions=[0, 4000], strict_icws94=True)
