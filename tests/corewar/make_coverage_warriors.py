"""Writes warriors/cover_<opcode>.red: together they hold every opcode x modifier x
addressing mode (for the A and for the B operand). Run from this directory to
regenerate; the files are checked in so the tests do not depend on this script."""

from __future__ import annotations

from pathlib import Path

MODIFIERS = ("A", "B", "AB", "BA", "F", "X", "I")
MODES = ("#", "$", "*", "@", "{", "<", "}", ">")
OPCODES = (
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


def values(seed: int):
    """A small linear congruential stream of offsets in [-9, 9]."""
    x = seed
    while True:
        x = (1103515245 * x + 12345) % 2**31
        yield (x >> 16) % 19 - 9


def write(out: Path) -> list[Path]:
    paths = []
    for n, op in enumerate(OPCODES):
        vals = values(n + 1)
        lines = [
            ";redcode-94",
            f";name cover {op}",
            ";author redqueen tests",
            ";strategy one process generator feeding every modifier x mode of one opcode",
            "        ORG     gen",
            "gen     SPL.B   $0, $0",
        ]
        for m, mod in enumerate(MODIFIERS):
            for k, a_mode in enumerate(MODES):
                b_mode = MODES[(k + m + 1) % len(MODES)]
                lines.append(f"        {op}.{mod:<2}  {a_mode}{next(vals)}, {b_mode}{next(vals)}")
        lines.append("        JMP.B   gen, >gen")
        lines.append("        END")
        path = out / f"cover_{op.lower()}.red"
        path.write_text("\n".join(lines) + "\n")
        paths.append(path)
    return paths


if __name__ == "__main__":
    write(Path(__file__).parent / "warriors")
