"""Populations of a million: generations of the memory-one IPD and of the donor game with
reputations, timed, with peak memory.

    python benchmarks/populations.py [--size 1000000] [--generations 3] [--rounds 10]

Engines: memory-one IPD (5 strategies), donor game with binary reputations under stern
judging (ALLC, ALLD, DISC), donor game with graded image scores (Nowak & Sigmund's 12
strategies k). Prints, for each engine, the seconds per generation, agent interactions per second
(IPD: stage games between two agents; donor game: donations decided) and the peak
memory (tracemalloc's peak of NumPy allocations, and the process's maximum resident set
size). The rates are given per second of wall-clock time and per second of the
process's CPU time: the engines run on one thread, so on a machine that other work
shares the second is what the engine costs and the first what it got. The engines'
numba kernels are compiled (or loaded from numba's disk cache) on a tiny population
first, and that time is reported apart (``warmup_s``). Ends with one line of JSON.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

from redqueen.games.batch.populations import (  # noqa: E402
    DonorPopulation,
    ImageScorePopulation,
    MemoryOnePopulation,
)

TABLE = np.array(
    [
        [1, 1, 1, 1, 1],  # ALLC
        [0, 0, 0, 0, 0],  # ALLD
        [1, 1, 0, 1, 0],  # TFT
        [1, 1, 0, 0, 1],  # WSLS
        [1, 1, 1 / 3, 1, 1 / 3],  # GTFT
    ]
)


def warm_up() -> float:
    """Seconds to compile (or load from the disk cache) the engines' kernels."""
    t0 = time.perf_counter()
    MemoryOnePopulation(TABLE, size=10, rounds=2).step(0)
    DonorPopulation(size=10, rounds=2).step(0)
    ImageScorePopulation(size=10, rounds=2).step(0)
    return time.perf_counter() - t0


def measure(pop: Any, generations: int) -> dict[str, Any]:
    tracemalloc.start()
    t0, cpu0 = time.perf_counter(), time.process_time()
    records = [pop.step(g) for g in range(generations)]
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    interactions = pop.interactions_per_generation() * generations
    return {
        "agents": pop.size,
        "generations": generations,
        "seconds_per_generation": seconds / generations,
        "interactions_per_s": interactions / seconds,
        "interactions_per_cpu_s": interactions / cpu_seconds,
        "peak_traced_mb": peak / 2**20,
        "last_shares": [round(x, 4) for x in records[-1].shares],
        "last_cooperation": records[-1].cooperation,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--generations", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    warmup_s = warm_up()
    print(f"kernels compiled or loaded in {warmup_s:.2f} s")
    ipd = measure(MemoryOnePopulation(TABLE, size=args.size, rounds=args.rounds), args.generations)
    print(
        f"memory-one IPD: {ipd['seconds_per_generation']:.2f} s/generation, "
        f"{ipd['interactions_per_s']:.3g} stage games/s "
        f"({ipd['interactions_per_cpu_s']:.3g} per CPU s), peak {ipd['peak_traced_mb']:.0f} MB"
    )
    donor = measure(DonorPopulation(size=args.size, rounds=args.rounds), args.generations)
    print(
        f"donor game:     {donor['seconds_per_generation']:.2f} s/generation, "
        f"{donor['interactions_per_s']:.3g} donations/s "
        f"({donor['interactions_per_cpu_s']:.3g} per CPU s), peak {donor['peak_traced_mb']:.0f} MB"
    )
    image = measure(ImageScorePopulation(size=args.size, rounds=args.rounds), args.generations)
    print(
        f"image scores:   {image['seconds_per_generation']:.2f} s/generation, "
        f"{image['interactions_per_s']:.3g} donations/s "
        f"({image['interactions_per_cpu_s']:.3g} per CPU s), peak {image['peak_traced_mb']:.0f} MB"
    )
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"max resident set size: {max_rss_mb:.0f} MB")
    print(
        json.dumps(
            {
                "benchmark": "populations",
                "machine": platform.processor() or platform.machine(),
                "rounds": args.rounds,
                "warmup_s": warmup_s,
                "ipd": ipd,
                "donor": donor,
                "image_score": image,
                "max_rss_mb": max_rss_mb,
            }
        )
    )


if __name__ == "__main__":
    main()
