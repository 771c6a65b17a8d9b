"""Core War speed: our numba MARS against pMARS 0.9.2 and exhaust-ma, measured in the
same run.

Instructions per second: Dwarf vs Imp, and a mixed set of warriors (every pairing),
with identical placements in every simulator (pMARS ``-F P``, our ``first_position=P``),
so all execute exactly the same instructions; a peer's rate is our instruction count
divided by its wall time. Battles per second: the mixed round robin on one core, then
spread over all cores with a process pool. pMARS is built from Debian's source when it
can be (see redqueen.games.corewar.reference); each of its battles is one process,
which reads the warriors' source.

exhaust-ma (Pihlaja's exhaust with M. Ankerl's optimisations, in C, from Python through
its cffi binding ``exhaust_ma``) is the second peer, run in this process on our
assembled warriors (written as load files, which is all its assembler reads). It is
installed for this benchmark only (``pip install exhaust-ma``; it is no dependency of
redqueen); without it its column is left out with a note. Its high-level ``Core`` places
warrior 2 half a core away and starts every warrior at its first instruction (not at
its ``ORG``), so the benchmark drives the simulator's C functions the way exhaust's own
command-line driver does: pMARS's placements (computed by our ``pmars_positions``, the
same generator exhaust transcribes from pMARS), the first mover rotating each round,
P-spaces shared by PIN. Its outcome of every round is compared with ours and the share
that agree is printed. Ends with one line of JSON.

    python benchmarks/corewar.py [--rounds 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from redqueen.games.corewar import Warrior, battle, load_warrior
from redqueen.games.corewar.mars import pmars_positions
from redqueen.games.corewar.reference import PmarsUnavailable, build_pmars, default_cache

HERE = Path(__file__).resolve().parent
WARRIORS = HERE.parent / "tests" / "corewar" / "warriors"
POSITION = 2500
CORESIZE, CYCLES, PROCESSES, MIN_DISTANCE, PSPACE = 8000, 80000, 8000, 100, 500
"""pMARS's defaults, which our ``battle`` and pMARS run with (P-space: coresize / 16)."""


def _ours(
    pairs: list[tuple[Warrior, Warrior]], rounds: int
) -> tuple[int, float, list[list[list[int]]]]:
    """Instructions executed, seconds, and each battle's outcomes per round."""
    t = time.perf_counter()
    executed = 0
    outcomes = []
    for a, b in pairs:
        result = battle([a, b], rounds=rounds, first_position=POSITION, track=False)
        executed += result.instructions_executed
        outcomes.append(result.outcomes)
    return executed, time.perf_counter() - t, outcomes


class Exhaust:
    """exhaust-ma's simulator, driven round by round as its command-line driver
    (``exhaust.c``: ``compute_positions``, ``set_starting_order``, ``sim_mw``) does.

    Deviation from exhaust's driver: P-spaces are shared only between equal PINs (as
    exhaust does), not with pMARS's quirk of a first warrior with PIN 0 sharing with
    one without a PIN; none of the benchmark's warriors has a PIN."""

    def __init__(self) -> None:
        import _exhaust_ma  # the compiled cffi module that exhaust_ma wraps
        import exhaust_ma

        self.ffi, self.lib, self.package = _exhaust_ma.ffi, _exhaust_ma.lib, exhaust_ma
        self.settings = exhaust_ma.CoreSettings(
            core_size=CORESIZE, processes=PROCESSES, max_cycles=CYCLES, pspace_size=PSPACE
        )
        if self.lib.sim_alloc_bufs2(2, CORESIZE, PROCESSES, CYCLES, PSPACE) == self.ffi.NULL:
            raise MemoryError("exhaust-ma could not allocate its core")
        self.tab = self.ffi.new("field_t[2]")
        self.deaths = self.ffi.new("unsigned int[2]")

    def load(self, warrior: Warrior) -> Any:
        """Our assembled warrior, read by exhaust's load-file assembler."""
        return self.package.Warrior.from_lines(self.settings, warrior.to_source().splitlines())

    def battle(self, pair: tuple[Any, Any], positions: Any) -> list[list[int]]:
        """``outcomes[r][w]``: survivors at the end of round r if warrior w survived it,
        else 0 (what exhaust leaves in each warrior's P-space cell 0), as ``battle``."""
        lib, tab, deaths = self.lib, self.tab, self.deaths
        lib.sim_reset_pspaces()
        sim_spaces = lib.sim_get_pspaces()
        spaces = [sim_spaces[i] for i in range(2)]
        a, b = pair
        pins = [w.warrior_pt.pin if w.warrior_pt.have_pin else None for w in pair]
        if pins[0] is not None and pins[0] == pins[1]:
            lib.pspace_share(spaces[1], spaces[0])
        starts = (a.warrior_pt.start, b.warrior_pt.start)
        outcomes = []
        for r, (pa, pb) in enumerate(positions.tolist()):
            lib.sim_clear_core()
            lib.sim_load_warrior(pa, a.code_ptr, len(a))
            lib.sim_load_warrior(pb, b.code_ptr, len(b))
            first = r % 2  # the first mover rotates each round
            entry = ((pa + starts[0]) % CORESIZE, (pb + starts[1]) % CORESIZE)
            tab[0], tab[1] = entry[first], entry[1 - first]
            sim_spaces[0], sim_spaces[1] = spaces[first], spaces[1 - first]
            if lib.sim_mw(2, tab, deaths) < 0:
                raise RuntimeError("exhaust-ma's simulator failed")
            outcomes.append([lib.pspace_get(spaces[w], 0) for w in range(2)])
        return outcomes

    def close(self) -> None:
        self.lib.sim_free_bufs()


def _exhaust(
    sim: Exhaust, pairs: list[tuple[Warrior, Warrior]], rounds: int
) -> tuple[float, list[list[list[int]]]]:
    """Seconds for exhaust-ma to fight ``pairs`` (placements and loading into its
    structures done before the clock starts, as ours are), and its outcomes."""
    loaded = [(sim.load(a), sim.load(b)) for a, b in pairs]
    positions = pmars_positions(2, rounds, CORESIZE, MIN_DISTANCE, POSITION - MIN_DISTANCE, True)
    t = time.perf_counter()
    outcomes = [sim.battle(pair, positions) for pair in loaded]
    return time.perf_counter() - t, outcomes


def _pmars(binary: Path, pairs: list[tuple[Path, Path]], rounds: int) -> float:
    t = time.perf_counter()
    for a, b in pairs:
        subprocess.run([str(binary), "-b", "-r", str(rounds), "-F", str(POSITION), str(a), str(b)],
                       capture_output=True, check=True)  # fmt: skip
    return time.perf_counter() - t


def _one_battle(args: tuple[str, str, int, int]) -> int:
    a, b, rounds, seed = args
    return battle([load_warrior(a, rounds=rounds), load_warrior(b, rounds=rounds)], rounds=rounds,
                  seed=seed, track=False).instructions_executed  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    rounds = args.rounds

    try:
        pm = build_pmars(default_cache())
        reason = ""
    except PmarsUnavailable as e:
        pm, reason = None, str(e)

    mixed_files = [WARRIORS / n for n in ("dwarf.red", "imp.red", "mice.red", "validate.red")]
    if pm is not None:
        mixed_files += sorted((pm.source / "warriors").glob("*.red"))
    mixed_files = [f for f in mixed_files if f.name != "pspace.red"]
    loaded = {f: load_warrior(f, rounds=rounds) for f in mixed_files}
    dwarf_imp = [(WARRIORS / "dwarf.red", WARRIORS / "imp.red")]
    mixed = list(itertools.combinations(mixed_files, 2))

    try:
        exhaust: Exhaust | None = Exhaust()
        exhaust_note = ""
    except ImportError:
        exhaust, exhaust_note = None, "not installed (pip install exhaust-ma)"

    battle([loaded[mixed_files[0]], loaded[mixed_files[1]]], rounds=1)  # compile
    figures: dict[str, object] = {"rounds": rounds, "pairs_mixed": len(mixed)}
    for label, pairs in (("dwarf_vs_imp", dwarf_imp), ("mixed", mixed)):
        warriors = [(loaded[a], loaded[b]) for a, b in pairs]
        executed, ours_s, ours_outcomes = _ours(warriors, rounds)
        figures[f"{label}_instructions"] = executed
        figures[f"{label}_ours_ips"] = round(executed / ours_s)
        figures[f"{label}_ours_battles_per_s"] = round(len(pairs) / ours_s, 3)
        line = f"{label:13s} ours  {executed / ours_s / 1e6:8.1f} M instr/s  {ours_s:7.2f} s"
        if pm is not None:
            pm_s = _pmars(pm.server, pairs, rounds)
            figures[f"{label}_pmars_ips"] = round(executed / pm_s)
            figures[f"{label}_pmars_battles_per_s"] = round(len(pairs) / pm_s, 3)
            figures[f"{label}_ratio_vs_pmars"] = round(pm_s / ours_s, 3)
            line += f" | pMARS {executed / pm_s / 1e6:8.1f} M instr/s  {pm_s:7.2f} s"
            line += f" | ratio {pm_s / ours_s:.2f}x"
        print(line)
        if exhaust is not None:
            ex_s, ex_outcomes = _exhaust(exhaust, warriors, rounds)
            agree = sum(
                x == y
                for ours_b, ex_b in zip(ours_outcomes, ex_outcomes, strict=True)
                for x, y in zip(ours_b, ex_b, strict=True)
            )
            figures[f"{label}_exhaust_ips"] = round(executed / ex_s)
            figures[f"{label}_exhaust_battles_per_s"] = round(len(pairs) / ex_s, 3)
            figures[f"{label}_ratio_vs_exhaust"] = round(ex_s / ours_s, 3)
            figures[f"{label}_exhaust_rounds_agreeing"] = f"{agree}/{len(pairs) * rounds}"
            print(
                f"{label:13s} exhaust {executed / ex_s / 1e6:8.1f} M instr/s  {ex_s:7.2f} s"
                f" | ratio {ex_s / ours_s:.2f}x | outcomes agree in {agree} of "
                f"{len(pairs) * rounds} rounds"
            )
    if exhaust is not None:
        exhaust.close()

    jobs = [(str(a), str(b), rounds, i) for i, (a, b) in enumerate(mixed)]
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        list(pool.map(_one_battle, jobs[: args.workers]))  # start the workers
        t = time.perf_counter()
        list(pool.map(_one_battle, jobs))
    pool_s = time.perf_counter() - t
    figures["workers"] = args.workers
    figures["mixed_pool_battles_per_s"] = round(len(jobs) / pool_s, 3)
    print(
        f"mixed, {args.workers} workers: {len(jobs) / pool_s:.2f} battles/s ({rounds} rounds each)"
    )
    if pm is None:
        figures["pmars"] = f"not built: {reason}"
    if exhaust is None:
        figures["exhaust"] = exhaust_note
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
