"""Redcode data types: one instruction, one assembled warrior.

Core War (Dewdney, *Scientific American*, 1984) is played by programs written in Redcode
inside a circular memory, the core. This module holds the values the assembler produces
and the simulator loads, following the ICWS'94 draft standard (Doligez & Durham, 1994)
as implemented by pMARS: 19 opcodes, 7 modifiers and 8 addressing modes.

An :class:`Instruction` prints as a line of a pMARS load file (``MOV.I  $     0, $     1``)
and a :class:`Warrior` prints a whole load file that :func:`assemble` reads back to an
equal value.
"""

from __future__ import annotations

from dataclasses import dataclass

from redqueen.errors import RedqueenError

OPCODES: tuple[str, ...] = (
    "DAT",
    "MOV",
    "ADD",
    "SUB",
    "MUL",
    "DIV",
    "MOD",
    "JMP",
    "JMZ",
    "JMN",
    "DJN",
    "SPL",
    "SLT",
    "CMP",
    "SEQ",
    "SNE",
    "NOP",
    "LDP",
    "STP",
)
MODIFIERS: tuple[str, ...] = ("A", "B", "AB", "BA", "F", "X", "I")
MODES: tuple[str, ...] = ("#", "$", "*", "@", "{", "<", "}", ">")


class AssemblyError(RedqueenError, ValueError):
    """Redcode that cannot be assembled; the message names the line and the reason."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        where = f"line {line}: " if line > 0 else ""
        super().__init__(f"{where}{reason}")


@dataclass(frozen=True)
class Instruction:
    """One core cell: ``opcode.modifier a_mode a_value, b_mode b_value``.

    Values are stored normalised to ``[0, coresize)`` by the assembler."""

    opcode: str
    modifier: str
    a_mode: str
    a_value: int
    b_mode: str
    b_value: int

    def __post_init__(self) -> None:
        if self.opcode not in OPCODES:
            raise AssemblyError(0, f"unknown opcode {self.opcode!r}; allowed: {', '.join(OPCODES)}")
        if self.modifier not in MODIFIERS:
            raise AssemblyError(
                0, f"unknown modifier {self.modifier!r}; allowed: {', '.join(MODIFIERS)}"
            )
        for mode in (self.a_mode, self.b_mode):
            if mode not in MODES:
                raise AssemblyError(
                    0, f"unknown addressing mode {mode!r}; allowed: {' '.join(MODES)}"
                )

    def __str__(self) -> str:
        head = f"{self.opcode}.{self.modifier}"
        return f"{head:<7}{self.a_mode}{self.a_value:>6}, {self.b_mode}{self.b_value:>6}"


@dataclass(frozen=True)
class Warrior:
    """An assembled warrior: its instructions, the offset where its first process starts,
    and the optional P-space identifier ``pin`` (warriors with equal PINs share P-space)."""

    instructions: tuple[Instruction, ...]
    start: int
    name: str = ""
    author: str = ""
    pin: int | None = None

    def __len__(self) -> int:
        return len(self.instructions)

    def to_source(self) -> str:
        """A pMARS-style load file; ``assemble(w.to_source()) == w``."""
        lines = [";redcode-94"]
        lines.append(f";name {_one_line(self.name)}" if self.name else ";name")
        if self.author:
            lines.append(f";author {_one_line(self.author)}")
        lines.append(f"ORG {self.start}")
        if self.pin is not None:
            lines.append(f"PIN {self.pin}")
        lines.extend(f"       {ins}" for ins in self.instructions)
        lines.append("END")
        return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
