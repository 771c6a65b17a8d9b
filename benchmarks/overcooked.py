"""Overcooked environment steps per second: the batch engine against the scalar game.

    python benchmarks/overcooked.py [--layout cramped_room] [--num-envs 64] [--seconds 3]

Both engines play the same kind of episodes, uniformly random joint actions to the
horizon (400), two ways in the same run:

- **step**: the transition alone; the scalar game's ``apply_joint_action`` one play at a
  time, against :meth:`~redqueen.games.batch.overcooked.OvercookedBatch.step_joint` on
  ``--num-envs`` plays at once;
- **step + observe**: the transition and both seats' observation vectors, what a PPO
  rollout needs every step; the scalar game's ``information_state_tensor`` for each seat,
  flattened (how ``overcooked_ppo`` stepped before the batch engine), against the batch
  engine's compact :meth:`~redqueen.games.batch.overcooked.OvercookedBatch.features`.

An environment step is one joint action of one play. The random actions are drawn
beforehand, so the timings hold the engines only. Ends with one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

import redqueen
from redqueen.games.batch.overcooked import OvercookedBatch
from redqueen.games.hidden.overcooked import OvercookedGame


def scalar_steps(
    game: OvercookedGame, actions: np.ndarray, seconds: float, observe: bool
) -> tuple[int, float]:
    """Play episodes one at a time for about ``seconds``; return (steps, wall time)."""
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        state = game.new_initial_state()
        for t in range(game.horizon):
            state.apply_joint_action([int(actions[t, 0]), int(actions[t, 1])])
            if observe:
                np.concatenate([state.information_state_tensor(p).reshape(-1) for p in (0, 1)])
        steps += game.horizon
    return steps, time.perf_counter() - start


def batch_steps(
    engine: OvercookedBatch, actions: np.ndarray, seconds: float, observe: bool
) -> tuple[int, float]:
    """Play ``batch_size`` episodes at a time for about ``seconds``; (steps, wall time)."""
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        engine.reset()
        for t in range(engine.horizon):
            engine.step_joint(actions[t])
            if observe:
                engine.features()
        steps += engine.horizon * engine.batch_size
    return steps, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layout", default="cramped_room")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    game = redqueen.make("overcooked", layout=args.layout)
    assert isinstance(game, OvercookedGame)
    rng = np.random.default_rng(0)
    actions = rng.integers(0, 6, size=(game.horizon, args.num_envs, 2))
    engine = OvercookedBatch(game, args.num_envs)
    engine.step_joint(actions[0])  # compile (or load the cached kernels)
    engine.features()
    rows = {}
    for observe in (False, True):
        s_steps, s_time = scalar_steps(game, actions[:, 0], args.seconds, observe)
        b_steps, b_time = batch_steps(engine, actions, args.seconds, observe)
        name = "step_observe" if observe else "step"
        rows[name] = {
            "scalar_steps_per_s": s_steps / s_time,
            "batch_steps_per_s": b_steps / b_time,
            "ratio": (b_steps / b_time) / (s_steps / s_time),
        }
        r = rows[name]
        print(
            f"{name:>12}: batch {r['batch_steps_per_s']:>10.0f} steps/s, scalar "
            f"{r['scalar_steps_per_s']:>8.0f} steps/s, ratio {r['ratio']:6.1f}x"
        )
    print(
        json.dumps(
            {
                "benchmark": "overcooked_env_steps",
                "layout": args.layout,
                "num_envs": args.num_envs,
                "python": platform.python_version(),
                "numpy": np.__version__,
                **rows,
            }
        )
    )


if __name__ == "__main__":
    main()
