"""The LLM Economist's tax economy at scale: seconds per economy step with 10^5 workers.

    python benchmarks/tax_economy.py [--workers 100000] [--steps 20] [--loop-workers 100000]

One step is what the paper's loop does each step once the workers have answered: every
worker's exact best response to the current rates (closed form per bracket, kinks
checked), then pre-tax incomes, taxes, the rebate, post-tax incomes, utilities and the
social welfare. redqueen does it vectorised (:class:`redqueen.games.tax_economy.TaxEconomy`);
the peer is a straightforward per-worker Python loop doing the same (the paper's code
taxes each worker with a Python loop over brackets, ``TaxPlanner.get_income_tax``),
measured in the same run. The two must agree: the loop's welfare is checked against the
vectorised one. Ends with one line of JSON.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from redqueen.games.tax_economy import (  # noqa: E402
    LABOR_COST,
    LABOR_EXPONENT,
    MAX_HOURS,
    TaxEconomy,
    TaxSchedule,
    sample_skills,
)


def loop_step(skills: list[float], edges: list[float], rates: list[float]) -> float:
    """One step, worker by worker and bracket by bracket, in plain Python: the best
    response from the closed form of each bracket and the kinks, then the taxes, rebate,
    utilities and welfare. Returns the welfare."""
    c, d = LABOR_COST, LABOR_EXPONENT
    tops = [*edges[1:], math.inf]

    def tax(z: float) -> float:
        total = 0.0
        for j, low in enumerate(edges):
            if z > tops[j]:
                total += rates[j] / 100 * (tops[j] - low)
            elif z > low:
                total += rates[j] / 100 * (z - low)
        return total

    hours = []
    for v in skills:
        candidates = [0.0, MAX_HOURS]
        for j, low in enumerate(edges):
            best = ((1 - rates[j] / 100) * v / (c * d)) ** (1 / (d - 1))
            best = min(max(best, low / v), tops[j] / v)
            candidates.append(min(max(best, 0.0), MAX_HOURS))
            if j > 0:
                candidates.append(min(low / v, MAX_HOURS))
        hours.append(max(candidates, key=lambda h: v * h - tax(v * h) - c * h**d))
    incomes = [v * h for v, h in zip(skills, hours, strict=True)]
    taxes = [tax(z) for z in incomes]
    rebate = sum(taxes) / len(skills)
    welfare = 0.0
    for z, t, h in zip(incomes, taxes, hours, strict=True):
        welfare += (z - t + rebate - c * h**d) / max(z, 1.0)
    return welfare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=100_000)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--loop-workers", type=int, default=100_000)
    parser.add_argument("--brackets", default="us_federal")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    skills = sample_skills(args.workers, "us_income", rng)
    schedule = TaxSchedule.build(args.brackets)
    rates = [float(r) for r in rng.integers(0, 11, size=schedule.num_brackets) * 10]
    economy = TaxEconomy(skills, schedule.with_rates(rates))

    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        outcome = economy.step(economy.best_response_hours())
        times.append(time.perf_counter() - t0)
    vectorised = statistics.median(times)

    subset = skills[: args.loop_workers]
    small = TaxEconomy(subset, schedule.with_rates(rates))
    expected = small.step(small.best_response_hours()).swf
    t0 = time.perf_counter()
    looped = loop_step([float(v) for v in subset], list(schedule.edges), rates)
    loop_seconds = (time.perf_counter() - t0) * args.workers / len(subset)
    agree = math.isclose(looped, expected, rel_tol=1e-9)

    print(f"workers {args.workers}, brackets {args.brackets}, rates {rates}")
    print(f"redqueen (NumPy): {vectorised * 1e3:.1f} ms per step (median of {args.steps})")
    print(
        f"per-worker Python loop: {loop_seconds:.2f} s per step "
        f"(measured on {len(subset)} workers); ratio {loop_seconds / vectorised:.0f}x"
    )
    print(f"loop welfare agrees with the vectorised one: {agree} ({looped:.6g} vs {expected:.6g})")
    print(f"welfare {outcome.swf:.6g}, mean hours {outcome.hours.mean():.2f}")
    print(
        json.dumps(
            {
                "benchmark": "tax_economy",
                "workers": args.workers,
                "brackets": args.brackets,
                "seconds_per_step": vectorised,
                "loop_seconds_per_step": loop_seconds,
                "loop_workers_measured": len(subset),
                "ratio": loop_seconds / vectorised,
                "loop_agrees": agree,
                "python": platform.python_version(),
                "numpy": np.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
