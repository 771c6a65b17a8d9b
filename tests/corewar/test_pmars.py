"""Agreement with pMARS 0.9.2 (built from Debian's source by the ``pmars`` fixture):
the same assembly, the same core after N instructions of a lone warrior, and the same
outcome in every round of battles with fixed first positions (pMARS ``-F``)."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from redqueen.games.corewar import AssemblyError, battle, load_warrior, run_single
from redqueen.games.corewar.reference import (
    Pmars,
    pmars_assemble,
    pmars_assemble_many,
    pmars_battle,
    pmars_trace,
)

OURS = sorted((Path(__file__).parent / "warriors").glob("*.red"))


def all_warriors(pmars: Pmars) -> list[Path]:
    """Ours (every opcode x modifier x mode, Imp, Dwarf, Mice, Validate, ...) plus the
    examples shipped with pMARS (Aeka, Flash Paper, Rave, a P-space warrior)."""
    return OURS + sorted((pmars.source / "warriors").glob("*.red"))


def one_round_ok(f: Path) -> bool:
    """False for warriors whose ;assert needs ROUNDS > 1 (pMARS refuses them too)."""
    try:
        load_warrior(f, rounds=1)
    except AssemblyError:
        return False
    return True


def test_the_shipped_warriors_cover_every_opcode_modifier_and_mode() -> None:
    seen_a: set[tuple[str, str, str]] = set()
    seen_b: set[tuple[str, str, str]] = set()
    for f in OURS:
        for ins in load_warrior(f).instructions:
            seen_a.add((ins.opcode, ins.modifier, ins.a_mode))
            seen_b.add((ins.opcode, ins.modifier, ins.b_mode))
    assert len(seen_a) == len(seen_b) == 19 * 7 * 8
    names = {load_warrior(f).name.split()[0] for f in OURS}
    assert {"Imp", "Dwarf", "Mice", "Validate"} <= names


def test_assembly_agrees(pmars: Pmars) -> None:
    for f in all_warriors(pmars):
        code, start = pmars_assemble(pmars.server, f)
        ours = load_warrior(f, rounds=2)
        assert list(ours.instructions) == code, f.name
        assert ours.start == start, f.name


def test_core_after_n_instructions_agrees(pmars: Pmars) -> None:
    for f in all_warriors(pmars):
        if not one_round_ok(f):
            assert pmars_trace(pmars.cdb, f, 5) is None, f"pMARS accepted {f.name}"
            continue
        w = load_warrior(f)
        for steps in (600,):
            ref = pmars_trace(pmars.cdb, f, steps)
            alone = battle([w], rounds=1, cycles=steps, track=False)
            died_early = alone.instructions_executed < steps
            if ref is None:
                assert died_early, f"{f.name}: pMARS says it died before {steps}"
                continue
            assert not died_early, f"{f.name}: we say it died before {steps}"
            core = run_single(w, steps)
            diff = [a for a in range(len(core)) if core[a] != ref[a]]
            assert not diff, f"{f.name} after {steps}: first differences at {diff[:5]}"


def test_battle_outcomes_agree_round_by_round(pmars: Pmars) -> None:
    files = all_warriors(pmars)
    loaded = {f: load_warrior(f, rounds=3) for f in files}
    rng = random.Random(7)
    pairs = list(itertools.combinations(files, 2))
    rng.shuffle(pairs)
    for a, b in pairs[:60]:
        position = rng.randrange(100, 7901)
        if one_round_ok(a) and one_round_ok(b):
            # one round at the given position: the outcome of that very round
            ref = pmars_battle(pmars.server, [a, b], 1, first_position=position)
            ours = battle([loaded[a], loaded[b]], rounds=1, first_position=position)
            assert ref == [[ours.wins[k], ours.ties[k]] for k in range(2)], (a.name, b.name)
        # three rounds: pMARS's placement generator, rotation of the first mover, P-space
        ref = pmars_battle(pmars.server, [a, b], 3, first_position=position)
        ours = battle([loaded[a], loaded[b]], rounds=3, first_position=position)
        assert ref == [[ours.wins[k], ours.ties[k]] for k in range(2)], (a.name, b.name)


@pytest.mark.parametrize("n", [3, 4])
def test_multiwarrior_battles_agree(pmars: Pmars, n: int) -> None:
    files = all_warriors(pmars)
    rng = random.Random(n)
    for _ in range(4):
        group = rng.sample(files, n)
        position = rng.randrange(100, 7901)
        ref = pmars_battle(pmars.server, group, 4, first_position=position)
        result = battle(
            [load_warrior(f, rounds=4) for f in group], rounds=4, first_position=position
        )
        ours = [
            [sum(1 for row in result.outcomes if row[k] == s) for s in range(1, n + 1)]
            for k in range(n)
        ]
        assert ref == ours, [f.name for f in group]


def test_the_assembler_quirk_table_is_what_pmars_reads(pmars: Pmars, tmp_path: Path) -> None:
    from tests.corewar.test_assembler import QUIRKS

    files = []
    for k, (source, _, _) in enumerate(QUIRKS):
        files.append(tmp_path / f"q{k}.red")
        files[-1].write_text(source + "\n")
    refs = pmars_assemble_many(pmars.server, files)
    for (source, code, start), ref in zip(QUIRKS, refs, strict=True):
        assert ref is not None, source
        assert [(i.opcode, i.a_value, i.b_value) for i in ref.instructions] == code, source
        assert ref.start == (start if start < len(code) else None), source


def test_pmars_pspace_quirks_decide_battles_as_ours(pmars: Pmars, tmp_path: Path) -> None:
    # the writer shares P-space with the PIN-less reader only through pMARS's quirk; the
    # reader also stores into its last-result cell and reads it back
    writer = tmp_path / "writer.red"
    writer.write_text(";redcode-94\nPIN 0\nSTP.AB #77, #3\nJMP 0\n")
    reader = tmp_path / "reader.red"
    reader.write_text(
        ";redcode-94\nLDP.AB #3, $1\nSNE.AB #77, #0\nDAT 0\n"
        "STP.AB #9, #0\nLDP.AB #0, $1\nSEQ.AB #9, #0\nDAT 0\nJMP 0\n"
    )
    for rounds in (1, 3):
        ref = pmars_battle(pmars.server, [writer, reader], rounds, first_position=4000)
        ours = battle(
            [load_warrior(writer), load_warrior(reader)], rounds=rounds, first_position=4000
        )
        assert ref == [[ours.wins[k], ours.ties[k]] for k in range(2)] == [[rounds, 0], [0, 0]]
    solo = tmp_path / "solo.red"  # no writer: the reader survives on its own P-space cell 0
    solo.write_text(";redcode-94\nJMP 0\n")
    ref = pmars_battle(pmars.server, [solo, reader], 2, first_position=4000)
    assert ref == [[0, 2], [0, 2]]
