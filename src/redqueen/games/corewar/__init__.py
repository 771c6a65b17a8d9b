"""Core War: an ICWS'94 Redcode assembler and a MARS simulator that agrees with pMARS.

``assemble(source) -> Warrior`` reads Redcode; ``battle(warriors, rounds=...) ->
BattleResult`` plays them against each other in a numba-compiled MARS; ``load_warrior``
reads a ``.red`` file. See ``assembler.py`` and ``mars.py`` for the rules followed.
The simulator (and numba) is imported on first use, so importing this package is cheap.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from redqueen.games.corewar.assembler import assemble
from redqueen.games.corewar.redcode import (
    MODES,
    MODIFIERS,
    OPCODES,
    AssemblyError,
    Instruction,
    Warrior,
)

if TYPE_CHECKING:
    from redqueen.games.corewar.mars import BattleResult, battle, run_single


def load_warrior(path: str | Path, **assemble_options: Any) -> Warrior:
    """Read and assemble a Redcode file (``.red``); options as for :func:`assemble`."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return assemble(text, **assemble_options)


def __getattr__(name: str) -> Any:
    if name in ("BattleResult", "battle", "run_single"):
        from redqueen.games.corewar import mars

        return getattr(mars, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "MODES",
    "MODIFIERS",
    "OPCODES",
    "AssemblyError",
    "BattleResult",
    "Instruction",
    "Warrior",
    "assemble",
    "battle",
    "load_warrior",
    "run_single",
]
