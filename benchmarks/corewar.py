"""Core War speed: our numba MARS against pMARS 0.9.2, measured in the same run.

Instructions per second: Dwarf vs Imp, and a mixed set of warriors (every pairing),
with identical placements in both simulators (pMARS ``-F P``, our ``first_position=P``),
so both execute exactly the same instructions; pMARS's rate is our instruction count
divided by its wall time. Battles per second: the mixed round robin on one core, then
spread over all cores with a process pool. pMARS is built from Debian's source when it
can be (see redqueen.games.corewar.reference); without it only our figures are printed.
Ends with one line of JSON.

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

from redqueen.games.corewar import Warrior, battle, load_warrior
from redqueen.games.corewar.reference import PmarsUnavailable, build_pmars, default_cache

HERE = Path(__file__).resolve().parent
WARRIORS = HERE.parent / "tests" / "corewar" / "warriors"
POSITION = 2500


def _ours(pairs: list[tuple[Warrior, Warrior]], rounds: int) -> tuple[int, float]:
    t = time.perf_counter()
    executed = 0
    for a, b in pairs:
        executed += battle(
            [a, b], rounds=rounds, first_position=POSITION, track=False
        ).instructions_executed
    return executed, time.perf_counter() - t


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

    battle([loaded[mixed_files[0]], loaded[mixed_files[1]]], rounds=1)  # compile
    figures: dict[str, object] = {"rounds": rounds, "pairs_mixed": len(mixed)}
    for label, pairs in (("dwarf_vs_imp", dwarf_imp), ("mixed", mixed)):
        executed, ours_s = _ours([(loaded[a], loaded[b]) for a, b in pairs], rounds)
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
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
