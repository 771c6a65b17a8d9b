"""The kernel's cell width: cores of up to 65536 cells run in 16-bit cells, larger ones in
32-bit cells, and both widths play every battle alike (same BattleResult, same cores)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from redqueen.games.corewar import (
    BattleResult,
    Instruction,
    Warrior,
    assemble,
    battle,
    load_warrior,
    mars,
    run_single,
)

COVER = ("add", "cmp", "div", "djn", "jmn", "jmz", "ldp", "mod", "mov", "slt", "spl", "stp")
EMPTY = Instruction("DAT", "F", "$", 0, "$", 0)


def test_cell_width_follows_the_core_size() -> None:
    assert mars._cell_type(8000) == np.uint16
    assert mars._cell_type(65536) == np.uint16  # addresses up to 65535
    assert mars._cell_type(65537) == np.uint32


@pytest.mark.parametrize("coresize", [8000, 65536])
def test_16_and_32_bit_cells_play_alike(
    coresize: int, warriors_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cover warriors run every opcode x modifier x mode pair; at 65536 cells their
    fields and addresses reach 65535, the largest a 16-bit cell holds."""
    names = [f"cover_{n}" for n in COVER] + ["dwarf", "mice", "validate"]
    ws = [load_warrior(warriors_dir / f"{n}.red", coresize=coresize, rounds=3) for n in names]
    pairs = list(itertools.combinations(ws, 2))[::4]

    def play(pair: tuple[Warrior, ...]) -> BattleResult:
        return battle(list(pair), rounds=3, coresize=coresize, cycles=3000, seed=11)

    narrow = [play(pair) for pair in pairs]
    cores = [run_single(w, 2000, coresize=coresize, position=coresize - 30) for w in ws]
    monkeypatch.setattr(mars, "_cell_type", lambda size: np.dtype(np.uint32))  # 32-bit cells
    assert [play(pair) for pair in pairs] == narrow
    assert [run_single(w, 2000, coresize=coresize, position=coresize - 30) for w in ws] == cores
    assert sum(r.instructions_executed for r in narrow) > 10 * 3000  # the battles did run
    assert len({tuple(map(tuple, r.outcomes)) for r in narrow}) > 1


def test_an_imp_wraps_around_a_core_of_more_than_65536_cells() -> None:
    imp = assemble("MOV.I $0, $1", coresize=70_000)
    core = run_single(imp, 20, coresize=70_000, position=69_990)
    moved = {(69_990 + k) % 70_000 for k in range(21)}  # the imp and its 20 copies
    assert {a for a, cell in enumerate(core) if cell != EMPTY} == moved
    assert all(core[a] == imp.instructions[0] for a in moved)


def test_a_dwarf_bombs_past_address_65535() -> None:
    """Its bomb's B value counts up by 4 past 65535, which a 16-bit cell could not hold."""
    dwarf = assemble(
        "ADD #4, 3\nMOV 2, @2\nJMP -2\nDAT #0, #0", coresize=100_000
    )  # bombs at 3 + 4k from its load address
    core = run_single(dwarf, 3 * 16_500, coresize=100_000, position=0)
    assert core[3].b_value == 4 * 16_500
    bombs = [a for a in range(4, 100_000) if core[a] != EMPTY]
    assert bombs == [3 + 4 * k for k in range(1, 16_501)]
