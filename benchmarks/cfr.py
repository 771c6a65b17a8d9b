"""CFR+ side by side in one run: redqueen's vectorised solver, OpenSpiel's Python
``CFRPlusSolver`` and pyspiel's C++ ``CFRPlusSolver``, on Kuhn and Leduc poker.

    python benchmarks/cfr.py [--iterations 1000] [--python-iterations 20] [--threshold 3e-4]

For each game and solver: iterations, solver wall time (evaluation left out) and the
exploitability of the average policy, computed for all three by the same function
(redqueen's exact ``exploitability``; each OpenSpiel policy is read into a redqueen
``TabularPolicy`` by walking both games in lockstep). The Python solver is slow, so it
runs ``--python-iterations`` iterations and redqueen is also evaluated after that many,
to show that both compute the same thing.

Then, on Leduc: the solver time for redqueen and for pyspiel's C++ solver to bring the
exploitability to ``--threshold`` or below (evaluated every ``--eval-every`` iterations,
the evaluation not timed), and the time of one exact exploitability of a Leduc policy once
the tree is compiled. Targets: redqueen >= 10x faster than C++ to the threshold, and an
exact Leduc exploitability in <= 0.1 s. Ends with one line of JSON.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import redqueen  # noqa: E402
from redqueen.games import Game, State  # noqa: E402
from redqueen.solve.cfr import CFRSolver, evaluate  # noqa: E402
from redqueen.solve.policy import TabularPolicy  # noqa: E402
from redqueen.solve.responses import exploitability  # noqa: E402
from redqueen.solve.tree import GameTree, compile_game  # noqa: E402

GAMES = ["kuhn_poker", "leduc_poker"]


class PolicyReader:
    """Reads an OpenSpiel policy into redqueen arrays: one OpenSpiel state per information
    state of the compiled tree, found once by walking both games in lockstep."""

    def __init__(self, game: Game, spiel_game: Any, tree: GameTree) -> None:
        self.tree = tree
        self.states: list[Any] = [None] * tree.num_infosets

        def walk(state: State, os_state: Any) -> None:
            if state.is_terminal():
                return
            if not state.is_chance_node():
                p = state.current_player()
                row = tree.infoset_index[(p, state.information_state_key(p))]
                if self.states[row] is None:
                    self.states[row] = os_state
            for a in state.legal_actions():
                child = state.clone()
                child.apply_action(a)
                walk(child, os_state.child(a))

        walk(game.new_initial_state(), spiel_game.new_initial_state())

    def arrays(self, probabilities: Callable[[Any], dict[int, float]]) -> np.ndarray:
        tree = self.tree
        out = np.zeros((tree.num_infosets, tree.max_actions))
        for row, os_state in enumerate(self.states):
            probs = probabilities(os_state)
            for slot in range(int(tree.infoset_num_actions[row])):
                out[row, slot] = probs.get(int(tree.infoset_actions[row, slot]), 0.0)
        return out


def _time_to(
    step: Callable[[int], None],
    value: Callable[[], float],
    threshold: float,
    eval_every: int,
    limit: int,
) -> tuple[int, float, float]:
    """Run ``step(eval_every)`` until ``value() <= threshold`` (or ``limit`` iterations):
    (iterations, solver seconds, value reached)."""
    done, spent, v = 0, 0.0, float("inf")
    while done < limit:
        start = time.perf_counter()
        step(eval_every)
        spent += time.perf_counter() - start
        done += eval_every
        v = value()
        if v <= threshold:
            break
    return done, spent, v


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("--python-iterations", type=int, default=20)
    parser.add_argument("--threshold", type=float, default=3e-4)
    parser.add_argument("--eval-every", type=int, default=5)
    parser.add_argument("--limit", type=int, default=5000, help="Most iterations to the threshold.")
    args = parser.parse_args()

    import pyspiel
    from open_spiel.python.algorithms import cfr as os_cfr

    figures: dict[str, Any] = {}
    print(
        f"{'game':<12} {'solver':<16} {'iterations':>10} {'seconds':>9} {'ms/iter':>9} "
        f"{'exploitability':>15}"
    )
    for game_id in GAMES:
        game = redqueen.make(game_id)
        spiel_game = pyspiel.load_game(game_id)
        start = time.perf_counter()
        tree = compile_game(game, cache=False)
        compile_s = time.perf_counter() - start
        reader = PolicyReader(game, spiel_game, tree)
        rows: dict[str, dict[str, float]] = {}

        CFRSolver(tree, "cfr+").iterate(1)  # warm up: the compiled loop loads or compiles
        ours = CFRSolver(tree, "cfr+")
        start = time.perf_counter()
        ours.iterate(args.python_iterations)
        ours_s = time.perf_counter() - start
        at_python = evaluate(tree, ours.average())  # not timed
        start = time.perf_counter()
        ours.iterate(args.iterations - args.python_iterations)
        ours_s += time.perf_counter() - start
        rows["redqueen"] = {
            "iterations": args.iterations,
            "seconds": ours_s,
            "exploitability": evaluate(tree, ours.average()),
        }

        py = os_cfr.CFRPlusSolver(spiel_game)
        start = time.perf_counter()
        for _ in range(args.python_iterations):
            py.evaluate_and_update_policy()
        py_s = time.perf_counter() - start
        py_avg = py.average_policy()
        rows["openspiel_python"] = {
            "iterations": args.python_iterations,
            "seconds": py_s,
            "exploitability": evaluate(tree, reader.arrays(py_avg.action_probabilities)),
        }

        cpp = pyspiel.CFRPlusSolver(spiel_game)
        start = time.perf_counter()
        for _ in range(args.iterations):
            cpp.evaluate_and_update_policy()
        cpp_s = time.perf_counter() - start
        rows["pyspiel_cpp"] = {
            "iterations": args.iterations,
            "seconds": cpp_s,
            "exploitability": evaluate(
                tree, reader.arrays(cpp.average_policy().action_probabilities)
            ),
        }
        for name, row in rows.items():
            row["ms_per_iteration"] = 1000 * row["seconds"] / row["iterations"]
            print(
                f"{game_id:<12} {name:<16} {row['iterations']:>10} {row['seconds']:>9.3f} "
                f"{row['ms_per_iteration']:>9.3f} {row['exploitability']:>15.3e}"
            )
        figures[game_id] = {
            "histories": tree.num_nodes,
            "compile_s": compile_s,
            **{name: {k: float(v) for k, v in row.items()} for name, row in rows.items()},
            "redqueen_at_python_iterations": at_python,
            "speedup_vs_cpp_per_iteration": rows["pyspiel_cpp"]["ms_per_iteration"]
            / rows["redqueen"]["ms_per_iteration"],
            "speedup_vs_python_per_iteration": rows["openspiel_python"]["ms_per_iteration"]
            / rows["redqueen"]["ms_per_iteration"],
        }

    # Time to the threshold on Leduc.
    game = redqueen.make("leduc_poker")
    spiel_game = pyspiel.load_game("leduc_poker")
    tree = compile_game(game)
    reader = PolicyReader(game, spiel_game, tree)
    ours = CFRSolver(tree, "cfr+")
    ours_it, ours_s, ours_v = _time_to(
        ours.iterate,
        lambda: evaluate(tree, ours.average()),
        args.threshold,
        args.eval_every,
        args.limit,
    )
    cpp = pyspiel.CFRPlusSolver(spiel_game)

    def cpp_steps(n: int) -> None:
        for _ in range(n):
            cpp.evaluate_and_update_policy()

    def cpp_value() -> float:
        return evaluate(tree, reader.arrays(cpp.average_policy().action_probabilities))

    cpp_it, cpp_s, cpp_v = _time_to(
        cpp_steps, cpp_value, args.threshold, args.eval_every, args.limit
    )
    speedup = cpp_s / ours_s
    print(f"\nLeduc to exploitability <= {args.threshold:g} (evaluated every {args.eval_every}):")
    print(f"  redqueen     {ours_it:>6} iterations {ours_s:>8.3f} s  ({ours_v:.3e})")
    print(f"  pyspiel C++  {cpp_it:>6} iterations {cpp_s:>8.3f} s  ({cpp_v:.3e})")
    print(f"  speedup      {speedup:.1f}x (target >= 10x)")

    # One exact exploitability of a Leduc policy, tree compiled, policy looked up by key.
    policy = TabularPolicy(TabularPolicy.from_arrays(tree, ours.average()).table())
    times = []
    for _ in range(20):
        start = time.perf_counter()
        exploitability(game, policy)
        times.append(time.perf_counter() - start)
    expl_s = statistics.median(times)
    print(f"  exact Leduc exploitability: {1000 * expl_s:.2f} ms (median of 20; target <= 100 ms)")

    line = {
        "benchmark": "cfr",
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pyspiel": getattr(pyspiel, "__version__", "?"),
        "cpus": os.cpu_count(),
        **figures,
        "leduc_time_to_threshold": {
            "threshold": args.threshold,
            "eval_every": args.eval_every,
            "redqueen_iterations": ours_it,
            "redqueen_s": ours_s,
            "redqueen_exploitability": ours_v,
            "cpp_iterations": cpp_it,
            "cpp_s": cpp_s,
            "cpp_exploitability": cpp_v,
            "speedup_vs_cpp": speedup,
        },
        "leduc_exploitability_s": expl_s,
        "targets": {
            "time_to_threshold_ge_10x_cpp": speedup >= 10,
            "leduc_exploitability_le_0.1s": expl_s <= 0.1,
        },
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
