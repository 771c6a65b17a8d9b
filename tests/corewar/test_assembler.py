"""The Redcode assembler: ICWS'94 defaults, modes, expressions, EQU, FOR/ROF, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from redqueen.games.corewar import AssemblyError, Instruction, assemble, load_warrior
from redqueen.games.corewar.redcode import MODES, MODIFIERS, OPCODES


def one(line: str, **kw: int) -> Instruction:
    return assemble(line, **kw).instructions[0]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("MOV 0, 1", "MOV.I  $     0, $     1"),
        ("MOV #1, 1", "MOV.AB #     1, $     1"),
        ("MOV 1, #1", "MOV.B  $     1, #     1"),
        ("ADD 1, 2", "ADD.F  $     1, $     2"),
        ("SUB #1, 2", "SUB.AB #     1, $     2"),
        ("MUL 1, #2", "MUL.B  $     1, #     2"),
        ("SLT #1, 2", "SLT.AB #     1, $     2"),
        ("SLT 1, #2", "SLT.B  $     1, #     2"),
        ("LDP #1, 2", "LDP.AB #     1, $     2"),
        ("CMP 1, 2", "CMP.I  $     1, $     2"),
        ("SEQ #1, 2", "SEQ.AB #     1, $     2"),
        ("SNE 1, #2", "SNE.B  $     1, #     2"),
        ("JMZ 1, 2", "JMZ.B  $     1, $     2"),
        ("DAT 5", "DAT.F  #     0, $     5"),
        ("DAT #5", "DAT.F  #     0, #     5"),
        ("JMP 3", "JMP.B  $     3, $     0"),
        ("SPL -1", "SPL.B  $  7999, $     0"),
        ("NOP }1", "NOP.F  }     1, $     0"),
        ("mov.x {1, >2", "MOV.X  {     1, >     2"),
        ("djn.ba *1, <2", "DJN.BA *     1, <     2"),
    ],
)
def test_default_modifiers_and_single_operands(source: str, expected: str) -> None:
    assert str(one(source)) == expected


def test_every_opcode_modifier_and_mode_assembles() -> None:
    for op in OPCODES:
        for mod in MODIFIERS:
            for k, mode in enumerate(MODES):
                other = MODES[(k + 3) % 8]
                ins = one(f"{op}.{mod} {mode}3, {other}-4")
                assert ins == Instruction(op, mod, mode, 3, other, 7996)


def test_labels_are_relative_and_org_end_set_start() -> None:
    w = assemble(
        """;redcode-94
;name Dwarf
;author A. K. Dewdney
step  EQU 4
        ORG start
bomb    DAT #0, #0
start:  ADD #step, bomb
        MOV bomb, @bomb
        JMP start
        END"""
    )
    assert w.name == "Dwarf" and w.author == "A. K. Dewdney"
    assert w.start == 1
    assert [str(i) for i in w.instructions] == [
        "DAT.F  #     0, #     0",
        "ADD.AB #     4, $  7999",
        "MOV.I  $  7998, @  7998",
        "JMP.B  $  7998, $     0",
    ]
    assert assemble("a DAT 0\nb JMP a\nEND b").start == 1


def test_expressions_follow_c_precedence_and_truncation() -> None:
    assert one("DAT #2+3*4, #(2+3)*4").a_value == 14
    assert one("DAT #2+3*4, #(2+3)*4").b_value == 20
    assert one("DAT #-7/2, #-7%2", coresize=100).a_value == 97  # -3
    assert one("DAT #-7/2, #-7%2", coresize=100).b_value == 99  # -1
    assert one("DAT #3--2, #!0+(1<2)+(2>=3)").a_value == 5
    assert one("DAT #3--2, #!0+(1<2)+(2>=3)").b_value == 2
    assert one("DAT #1&&0||1, #4==4").a_value == 1
    assert one("DAT #8000+5, #-1").a_value == 5
    assert one("DAT #8000+5, #-1").b_value == 7999


def test_equ_is_text_substitution_as_in_pmars() -> None:
    assert one("x EQU 2+3\nDAT #x*2, #(x)*2").a_value == 8
    assert one("x EQU 2+3\nDAT #x*2, #(x)*2").b_value == 10


def test_predefined_constants() -> None:
    ins = assemble(
        "DAT #CORESIZE, #MAXLENGTH\nDAT #MAXPROCESSES, #MAXCYCLES\n"
        "DAT #MINDISTANCE, #PSPACESIZE\nDAT #VERSION, #CURLINE\nDAT #WARRIORS, #ROUNDS",
        coresize=55440, max_length=200, processes=64, cycles=500, min_distance=300,
        rounds=7, warriors=3,
    ).instructions  # fmt: skip
    assert [(i.a_value, i.b_value) for i in ins] == [
        (0, 200), (64, 500), (300, 55440 // 16), (92, 3), (3, 7),
    ]  # fmt: skip


def test_for_rof_with_counter_and_concatenation() -> None:
    w = assemble(
        """i   FOR 3
x&i     DAT #i, #x&i
        ROF
        JMP x02"""
    )
    assert [(i.a_value, i.b_value) for i in w.instructions[:3]] == [(1, 0), (2, 0), (3, 0)]
    assert w.instructions[3].a_value == 8000 - 2
    nested = assemble("a FOR 2\nb FOR 3\nDAT #a, #b\nROF\nROF")
    assert [(i.a_value, i.b_value) for i in nested.instructions] == [
        (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3),
    ]  # fmt: skip
    assert len(assemble("FOR 0\nDAT 1\nROF\nDAT 2").instructions) == 1


def test_pin_redcode_header_and_asserts() -> None:
    w = assemble("junk that pMARS ignores\n;redcode-94\n;name P\nPIN 42\nDAT 0\n")
    assert w.pin == 42 and w.name == "P"
    with pytest.raises(AssemblyError, match="line 1: assertion failed"):
        assemble(";assert CORESIZE == 800\nDAT 0")
    assemble(";assert CORESIZE == 800 ; a comment\nDAT 0", coresize=800)


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("MOV 0, 1\nFOO 1, 2", "line 2: unknown opcode 'FOO'"),
        ("MOV.Q 0, 1", "line 1: unknown modifier 'Q'"),
        ("MOV 0", "line 1: MOV needs two operands"),
        ("JMP nowhere", "line 1: unknown symbol 'nowhere'"),
        ("DAT #1/0", "line 1: division by zero"),
        ("DAT #(1+2", "line 1: missing '\\)'"),
        ("DAT 1, 2, 3", "line 1: more than two operands"),
        ("x EQU y\ny EQU x\nDAT x", "line 2: EQU 'x' refers to itself"),
        ("ROF\nDAT 0", "line 1: ROF without FOR"),
        ("DAT 1=2", "line 1: "),
        ("DAT 0 ? 1", "line 1: unexpected character '\\?'"),
        ("; only a comment", "no instructions"),
    ],
)
def test_errors_name_the_line_and_the_reason(source: str, reason: str) -> None:
    with pytest.raises(AssemblyError, match=reason):
        assemble(source)


def test_max_length_is_enforced() -> None:
    assemble("FOR 100\nDAT 0\nROF")
    with pytest.raises(AssemblyError, match="longer than max_length=100"):
        assemble("FOR 101\nDAT 0\nROF")
    with pytest.raises(AssemblyError, match="longer than max_length=3"):
        assemble("DAT 0\nDAT 0\nDAT 0\nDAT 0", max_length=3)


def test_source_is_never_evaluated() -> None:
    with pytest.raises(AssemblyError, match="unknown symbol '__import__'"):
        assemble("DAT #__import__")


def test_to_source_round_trips(warriors_dir: Path) -> None:
    files = sorted(warriors_dir.glob("*.red"))
    assert len(files) >= 23
    for f in files:
        w = load_warrior(f)
        assert assemble(w.to_source()) == w, f.name
    pinned = assemble(";name x\nPIN 7\nORG 1\nDAT 0\nJMP -1")
    assert assemble(pinned.to_source()) == pinned


# The pMARS readings below were taken from pMARS 0.9.2 itself (test_pmars.py checks them
# against the reference build where it can be made).
QUIRKS: list[tuple[str, list[tuple[str, int, int]], int]] = [
    # pMARS groups a * / % term followed by + or - to the right
    ("DAT 10-2*3-1, 1-2*3+4", [("DAT", 5, 7991)], 0),
    # blanks between numbers vanish: 1 2 reads 12
    ("DAT 1 2\nDAT 5 -3", [("DAT", 0, 12), ("DAT", 0, 2)], 0),
    # ORG's start wins over END's and pMARS warns; ORG 0 counts as no start
    ("ORG 1\nDAT 0\nDAT 1\nJMP 0\nEND 2", [("DAT", 0, 0), ("DAT", 0, 1), ("JMP", 0, 0)], 1),
    ("ORG 0\nDAT 0\nDAT 1\nJMP 0\nEND 2", [("DAT", 0, 0), ("DAT", 0, 1), ("JMP", 0, 0)], 2),
    # a start outside the code is kept
    ("ORG 5\nDAT 2", [("DAT", 0, 2)], 5),
    # a FOR count of 0 or less skips the block
    ("FOR 0\nDAT 1\nROF\nFOR -1\nDAT 1\nROF\nDAT 2", [("DAT", 0, 2)], 0),
    # the label written last before FOR is its counter, the others label the next line
    ("a b FOR 2\nDAT a, b\nROF\nJMP a", [("DAT", 0, 1), ("DAT", 7999, 2), ("JMP", 7998, 0)], 0),
    # a label alone on a line before EQU takes the EQU's text too
    ("x\ny EQU 7\nDAT x, y", [("DAT", 7, 7)], 0),
    # a label defined twice: pMARS drops that line
    ("x DAT 1\nx DAT 2\nDAT x", [("DAT", 0, 1), ("DAT", 0, 7999)], 0),
    # the last of several ORGs counts; a missing ROF only warns, after one pass
    ("ORG 1\nORG 2\nFOR 3\nDAT CURLINE", [("DAT", 0, 0)], 2),
]


@pytest.mark.parametrize(("source", "code", "start"), QUIRKS)
def test_pmars_readings_are_the_default(
    source: str, code: list[tuple[str, int, int]], start: int
) -> None:
    w = assemble(source)
    assert [(i.opcode, i.a_value, i.b_value) for i in w.instructions] == code
    assert w.start == start


def test_pmars_refusals_and_warnings() -> None:
    with pytest.raises(AssemblyError, match="unknown symbol 'start'"):
        assemble("start\nFOR 2\nDAT start\nROF\nJMP start")  # start is the counter
    with pytest.raises(AssemblyError, match="line 1: unexpected '1'"):
        assemble("DAT 10-3*0==1")  # pMARS loses an == after such a term
    warnings: list[str] = []
    assemble("ORG 1\nDAT 0\nx DAT 0\nx DAT 1\nEND 2", warnings=warnings)
    assert warnings == [
        "line 4: label 'x' is defined twice; pMARS ignores this line",
        "no ;assert: the warrior may not work with these settings",
        "line 5: both ORG and END give a start; END's is ignored",
    ]
    # pMARS gives up on a warrior at its ninth warning tied to a line
    eight = "x DAT 0\n" + "x DAT 0\n" * 8
    assert len(assemble(eight).instructions) == 1
    with pytest.raises(AssemblyError, match="line 10: 9 warnings: pMARS gives up"):
        assemble(eight + "x DAT 0\n")


def test_strict_icws94_follows_the_draft_where_pmars_departs() -> None:
    strict = {"strict_icws94": True}
    ins = assemble("DAT 10-2*3-1, 1-2*3+4", **strict).instructions[0]
    assert (ins.a_value, ins.b_value) == (3, 7999)
    assert assemble("ORG 0\nDAT 0\nJMP 0\nEND 1", **strict).start == 0
    with pytest.raises(AssemblyError, match="start offset 5 is outside the warrior"):
        assemble("ORG 5\nDAT 0", **strict)
    with pytest.raises(AssemblyError, match="line 2: label 'x' is defined twice"):
        assemble("x DAT 1\nx DAT 2", **strict)
    # what the draft leaves to the implementation reads as in pMARS
    assert len(assemble("FOR 0\nDAT 1\nROF\nDAT 2", **strict).instructions) == 1
