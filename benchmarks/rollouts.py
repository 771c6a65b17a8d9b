"""Uniform-random playouts, side by side in one run: pyspiel driven from Python, the
redqueen scalar engine driven by the same loop, and the redqueen batch engine.

    python benchmarks/rollouts.py [--seconds 2] [--batch 16384] [--games kuhn_poker,...]

Pinned to one core (as the targets are stated per core). The sides are measured in
alternating slices, and each figure is a median over slices, so load that drifts during the
run weighs on every side alike. Prints a table, then one line of JSON with games/s and the
ratios to pyspiel, and to pgx (JAX) at the same batch size where pgx and jax are installed
(they are not dependencies: ``pip install pgx jax`` for this benchmark; without them the
pgx column is left out). Targets on each game: batch >= 50x pyspiel and >= 3x pgx, scalar
>= 1x pyspiel.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
# pgx's XLA on one thread, as every other side
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402

import redqueen  # noqa: E402
from redqueen.games.batch import make_batch, random_playouts  # noqa: E402

GAMES = ["tic_tac_toe", "connect_four", "kuhn_poker", "leduc_poker"]


def _python_loop(new_state: Callable[[], Any], rng: np.random.Generator) -> None:
    """One random playout through the common State interface (pyspiel's or ours)."""
    state = new_state()
    while not state.is_terminal():
        if state.is_chance_node():
            outcomes = state.chance_outcomes()
            state.apply_action(outcomes[int(rng.integers(len(outcomes)))][0])
        else:
            legal = state.legal_actions()
            state.apply_action(legal[int(rng.integers(len(legal)))])


def _rate(play_one: Callable[[], int], seconds: float) -> float:
    """Games per second of ``play_one`` (which plays some games and returns how many)."""
    play_one()  # warm up
    games, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        games += play_one()
    return games / elapsed


def _interleaved(sides: dict[str, Callable[[], int]], seconds: float, rounds: int) -> dict:
    """Each side's games/s, measured in ``rounds`` alternating slices of
    ``seconds / rounds`` (so a machine whose load drifts slows every side alike), and the
    median over slices of each side's rate: ``{name: (rate, [rate per slice])}``."""
    per_slice: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, play_one in sides.items():
            per_slice[name].append(_rate(play_one, seconds / rounds))
    return {name: (float(np.median(r)), r) for name, r in per_slice.items()}


def measure(game_id: str, seconds: float, batch: int, seed: int, rounds: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    sides: dict[str, Callable[[], int]] = {}
    try:
        import pyspiel

        spiel_game = pyspiel.load_game(game_id)

        def spiel_one() -> int:
            _python_loop(spiel_game.new_initial_state, rng)
            return 1

        sides["pyspiel"] = spiel_one
    except ImportError:
        pass
    ours = redqueen.make(game_id)

    def scalar_one() -> int:
        _python_loop(ours.new_initial_state, rng)
        return 1

    sides["scalar"] = scalar_one
    engine = make_batch(game_id, batch)

    def batch_one() -> int:
        random_playouts(engine, rng)
        return batch

    sides["batch"] = batch_one
    pgx_one = _pgx_playouts(game_id, batch, seed)
    if pgx_one is not None:
        sides["pgx"] = pgx_one
    measured = _interleaved(sides, seconds, rounds)
    figures = {name: rate for name, (rate, _) in measured.items()}
    if "pyspiel" in figures:
        # the median of the slice-by-slice ratios: robust to a slice that a load spike hit
        spiel = measured["pyspiel"][1]
        for name in ("scalar", "batch"):
            ratios = [a / b for a, b in zip(measured[name][1], spiel, strict=True)]
            figures[f"{name}_ratio"] = float(np.median(ratios))
    if "pgx" in measured:
        ratios = [a / b for a, b in zip(measured["batch"][1], measured["pgx"][1], strict=True)]
        figures["batch_over_pgx"] = float(np.median(ratios))
    return figures


PGX_IDS = {
    "tic_tac_toe": "tic_tac_toe",
    "connect_four": "connect_four",
    "kuhn_poker": "kuhn_poker",
    "leduc_poker": "leduc_holdem",
}


def _pgx_playouts(game_id: str, batch: int, seed: int) -> Callable[[], int] | None:
    """``batch`` uniform-random playouts at once in pgx (JAX), the whole playout one
    compiled ``while_loop``; None where pgx or jax is not installed (they are installed
    for this benchmark only: ``pip install pgx jax``)."""
    if game_id not in PGX_IDS:
        return None
    try:
        import jax
        import jax.numpy as jnp
        import pgx
    except ImportError:
        return None
    env = pgx.make(PGX_IDS[game_id])  # type: ignore[arg-type]
    init, step = jax.vmap(env.init), jax.vmap(env.step)

    def body(carry: Any) -> Any:
        state, key = carry
        key, sub = jax.random.split(key)
        logits = jnp.where(state.legal_action_mask, 0.0, -jnp.inf)
        action = jax.random.categorical(sub, logits, axis=-1)
        return step(state, action), key

    @jax.jit
    def playouts(key: Any) -> Any:
        key, sub = jax.random.split(key)
        state = init(jax.random.split(sub, batch))
        state, _ = jax.lax.while_loop(lambda c: ~c[0].terminated.all(), body, (state, key))
        return state.rewards

    keys = iter(jax.random.split(jax.random.PRNGKey(seed), 1_000_000))

    def pgx_one() -> int:
        playouts(next(keys)).block_until_ready()
        return batch

    return pgx_one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--batch", type=int, default=16384, help="batch size of the engines")
    parser.add_argument("--games", default=",".join(GAMES), help="comma-separated game ids")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per measurement")
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one core")
    args = parser.parse_args()
    if not args.all_cores and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    results: dict[str, dict[str, float]] = {}
    header = f"{'game':<14}{'pyspiel/s':>12}{'scalar/s':>12}{'batch/s':>14}{'pgx/s':>14}"
    print(header + f"{'scalar x':>10}{'batch x':>10}{'/pgx':>8}")
    for game_id in args.games.split(","):
        f = measure(game_id, args.seconds, args.batch, args.seed, args.rounds)
        results[game_id] = {k: round(v, 3) for k, v in f.items()}
        print(
            f"{game_id:<14}{f.get('pyspiel', float('nan')):>12,.0f}{f['scalar']:>12,.0f}"
            f"{f['batch']:>14,.0f}{f.get('pgx', float('nan')):>14,.0f}"
            f"{f.get('scalar_ratio', float('nan')):>10.2f}"
            f"{f.get('batch_ratio', float('nan')):>10.1f}"
            f"{f.get('batch_over_pgx', float('nan')):>8.1f}"
        )
    line = {
        "benchmark": "rollouts",
        "unit": "games_per_second",
        "seconds_per_measurement": args.seconds,
        "alternating_slices": args.rounds,
        "batch_size": args.batch,
        "one_core": not args.all_cores,
        "python": platform.python_version(),
        "results": results,
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
