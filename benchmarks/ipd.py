"""The same Axelrod-style tournament in redqueen and in the Axelrod library, in one run.

    python benchmarks/ipd.py [--turns 200] [--repetitions 10] [--processes N] [--with-scalar]
    python benchmarks/ipd.py --single-match [--turns 200] [--seconds 5]

Players: every classic strategy that the Axelrod library also has and that compiles to a
finite-state machine (deterministic and stochastic ones; ``--with-scalar`` adds the
shared strategies without a machine, which run on redqueen's scalar path). Both
libraries play the round robin with self-play, ``--turns`` turns and ``--repetitions``
repetitions (``axelrod.Tournament(players, turns, repetitions).play()``, serially unless
``--processes`` is given). The benchmark asserts that every match between two
deterministic strategies has identical scores per turn in both libraries (stochastic
strategies draw from different random streams, so only their ranges are comparable),
then prints the wall times and the speed ratio (target >= 50x). Ends with one line of
JSON. ``--single-match`` instead times one match at a time: ``play_match`` with two strategy
agents against ``axelrod.Match`` with fresh players, over the ordered pairs of five classic
strategies, in alternating slices (target >= 1x).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from redqueen.agents import strategies  # noqa: E402
from redqueen.play.ipd import IPDTournament  # noqa: E402


def shared_strategies(with_scalar: bool) -> list[str]:
    out = []
    for name, cls in strategies.classes().items():
        if cls.axelrod is None:
            continue
        if not with_scalar and strategies.get(name).machine() is None:
            continue
        out.append(name)
    return out


def single_matches(names: list[str], turns: int, seconds: float) -> dict[str, float]:
    """One match at a time: ``play_match`` on the repeated prisoner's dilemma with two
    strategy agents against ``axelrod.Match`` with fresh players (so its cache of
    deterministic matches is not reused), over the ordered pairs of ``names``, in
    alternating slices. Checks that both give the same scores per turn."""
    import axelrod as axl

    import redqueen
    from redqueen.agents.registry import parse_agent
    from redqueen.play.match import play_match

    game = redqueen.make("repeated", stage="prisoners_dilemma", rounds=turns)
    classes = strategies.classes()
    pairs = [(a, b) for a in names for b in names]
    ours_agents = [
        (parse_agent(f"strategy:name={a}"), parse_agent(f"strategy:name={b}")) for a, b in pairs
    ]
    theirs = [
        (getattr(axl, classes[a].axelrod), getattr(axl, classes[b].axelrod)) for a, b in pairs
    ]
    for (a, b), (x, y) in zip(ours_agents, theirs, strict=True):
        mine = play_match(game, [a, b], seed=0).returns
        reference = axl.Match((x(), y()), turns=turns)
        reference.play()
        ref = reference.final_score_per_turn()
        assert np.allclose(np.array(mine) / turns, ref), (a, b, mine, ref)

    def ours_slice(budget: float) -> tuple[int, float]:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < budget:
            for a, b in ours_agents:
                play_match(game, [a, b], seed=n)
                n += 1
        return n, time.perf_counter() - start

    def axl_slice(budget: float) -> tuple[int, float]:
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < budget:
            for x, y in theirs:
                axl.Match((x(), y()), turns=turns).play()
                n += 1
        return n, time.perf_counter() - start

    ours_rates, axl_rates = [], []
    for _ in range(5):
        n, t = ours_slice(seconds / 5)
        ours_rates.append(n / t)
        n, t = axl_slice(seconds / 5)
        axl_rates.append(n / t)
    ratios = [a / b for a, b in zip(ours_rates, axl_rates, strict=True)]
    return {
        "play_match_per_s": float(np.median(ours_rates)),
        "axelrod_match_per_s": float(np.median(axl_rates)),
        "ratio": float(np.median(ratios)),
        "pairs": len(pairs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--repetitions", type=int, default=10)
    parser.add_argument("--processes", type=int, default=None)
    parser.add_argument("--with-scalar", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--single-match",
        action="store_true",
        help="instead: one match at a time, play_match against axelrod.Match",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="for --single-match")
    args = parser.parse_args()
    if args.single_match:
        names = ["tit_for_tat", "grudger", "alternator", "defector", "cooperator"]
        figures = single_matches(names, args.turns, args.seconds)
        print(
            f"one match of {args.turns} turns: play_match {figures['play_match_per_s']:.0f}/s, "
            f"axelrod.Match {figures['axelrod_match_per_s']:.0f}/s, "
            f"ratio {figures['ratio']:.2f} (target >= 1)"
        )
        line = {"benchmark": "ipd_single_match", "turns": args.turns, **figures}
        line["targets"] = {"ratio_ge_1": figures["ratio"] >= 1}
        print(json.dumps(line))
        return

    import axelrod as axl

    names = shared_strategies(args.with_scalar)
    classes = strategies.classes()
    deterministic = np.array([not classes[n].classifier["stochastic"] for n in names])
    print(
        f"{len(names)} strategies ({int(deterministic.sum())} deterministic), "
        f"{args.turns} turns, {args.repetitions} repetitions, self-play included"
    )

    tournament = IPDTournament(
        names, turns=args.turns, repetitions=args.repetitions, seed=args.seed
    )
    tournament.play()  # warm-up (imports, machine compilation)
    t0 = time.perf_counter()
    ours = tournament.play()
    ours_s = time.perf_counter() - t0
    print(f"redqueen: {ours_s:.3f} s")

    players = [getattr(axl, classes[n].axelrod)() for n in names]  # type: ignore[arg-type]
    axl.seed = args.seed
    t0 = time.perf_counter()
    ref = axl.Tournament(
        players, turns=args.turns, repetitions=args.repetitions, seed=args.seed
    ).play(processes=args.processes, progress_bar=False)
    axl_s = time.perf_counter() - t0
    print(f"axelrod:  {axl_s:.3f} s")

    ours_spt = ours.score_per_turn()
    ref_spt = np.array(ref.payoffs, dtype=np.float64)  # [i][j][rep]
    both = np.outer(deterministic, deterministic)
    mismatches = [
        f"{names[i]} vs {names[j]}: ours {ours_spt[i, j].tolist()} axelrod {ref_spt[i, j].tolist()}"
        for i, j in zip(*np.nonzero(both), strict=True)
        if not np.allclose(ours_spt[i, j], ref_spt[i, j], rtol=0, atol=1e-12)
    ]
    checked = int(both.sum())
    assert not mismatches, "\n".join(mismatches[:20]) + f"\n({len(mismatches)} in all)"
    print(f"identical scores per turn in all {checked} ordered deterministic pairs")
    ratio = axl_s / ours_s
    print(f"speed ratio: {ratio:.1f}x (target >= 50x)")
    line = {
        "benchmark": "ipd_tournament",
        "machine": platform.processor() or platform.machine(),
        "strategies": len(names),
        "deterministic": int(deterministic.sum()),
        "turns": args.turns,
        "repetitions": args.repetitions,
        "processes": args.processes,
        "with_scalar": args.with_scalar,
        "redqueen_s": ours_s,
        "axelrod_s": axl_s,
        "speedup": ratio,
        "identical_deterministic_pairs": checked,
        "targets": {"speedup_ge_50x": ratio >= 50},
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
