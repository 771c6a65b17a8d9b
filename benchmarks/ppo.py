"""PPO environment steps per second: the batch engines against the scalar engine.

    python benchmarks/ppo.py [--games tic_tac_toe,connect_four,kuhn_poker,leduc_poker,repeated]
                             [--num-envs 256] [--seconds 3]

For each game, the same PPO learner (one network, one opponent: the uniform random
player) gathers rollouts two ways in the same run:

- **batch**: :meth:`redqueen.learn.ppo.PPOTrainer.collect`, ``--num-envs`` games at once
  in the game's batch engine, features and masks computed for the whole batch, one
  network call per engine step;
- **scalar**: the same decisions one game at a time on the scalar engine
  (``redqueen.make``), the way a non-vectorised PPO steps an environment: features from
  the information-state key, one network call per decision.

An environment step is one transition of one game (a decision of either seat or a chance
outcome). Each way runs for about ``--seconds``; the table gives steps per second and
the ratio, and a full PPO iteration (rollout plus update) on the batch engine. Ends with
one line of JSON.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

import redqueen  # noqa: E402
from redqueen.agents.random_agent import RandomAgent  # noqa: E402
from redqueen.games.core import CHANCE, SIMULTANEOUS, Game  # noqa: E402
from redqueen.learn.ppo import PPOConfig, PPOTrainer, sample_from  # noqa: E402

PARAMS: dict[str, dict[str, Any]] = {"repeated": {"rounds": 20}}


def scalar_steps(trainer: PPOTrainer, game: Game, seconds: float, seed: int) -> tuple[int, float]:
    """Play games one at a time on the scalar engine with the trainer's network (seat
    alternating, random opponent) for about ``seconds``; return (steps, wall time)."""
    rng = np.random.default_rng(seed)
    encoder = trainer.encoder
    steps, episodes = 0, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        seat = episodes % 2
        state = game.new_initial_state()
        while not state.is_terminal():
            player = state.current_player()
            steps += 1
            if player == CHANCE:
                outcomes = state.chance_outcomes()
                probs = np.array([p for _, p in outcomes])
                state.apply_action(outcomes[int(rng.choice(len(outcomes), p=probs))][0])
                continue
            movers = [0, 1] if player == SIMULTANEOUS else [player]
            chosen = []
            for p in movers:
                legal = state.legal_actions(p)
                if p == seat:
                    x = encoder.key_features(state.information_state_key(p), p)[None, :]
                    mask = np.zeros((1, encoder.num_actions), np.bool_)
                    mask[0, legal] = True
                    with torch.no_grad():
                        logits = trainer.net.masked_logits(
                            torch.from_numpy(x), torch.from_numpy(mask)
                        )
                        probs_t = torch.softmax(logits, -1).double().numpy()
                        trainer.net.value(torch.from_numpy(x))
                    chosen.append(int(sample_from(probs_t, rng)[0]))
                else:
                    chosen.append(int(legal[int(rng.integers(len(legal)))]))
            if player == SIMULTANEOUS:
                state.apply_joint_action(chosen)
            else:
                state.apply_action(chosen[0])
        episodes += 1
    return steps, time.perf_counter() - start


def batch_steps(trainer: PPOTrainer, seconds: float) -> tuple[int, float]:
    steps = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        steps += trainer.collect([RandomAgent()]).env_steps
    return steps, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--games", default="tic_tac_toe,connect_four,kuhn_poker,leduc_poker,repeated"
    )
    parser.add_argument("--num-envs", type=int, default=256)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for game_id in args.games.split(","):
        game = redqueen.make(game_id, **PARAMS.get(game_id, {}))
        trainer = PPOTrainer(game, PPOConfig(num_envs=args.num_envs), seed=0)
        trainer.collect([RandomAgent()])  # warm up
        b_steps, b_time = batch_steps(trainer, args.seconds)
        s_steps, s_time = scalar_steps(trainer, game, args.seconds, seed=0)
        start = time.perf_counter()
        stats = trainer.train_iteration([RandomAgent()])
        iteration = time.perf_counter() - start
        row = {
            "game": game_id,
            "batch_steps_per_s": b_steps / b_time,
            "scalar_steps_per_s": s_steps / s_time,
            "ratio": (b_steps / b_time) / (s_steps / s_time),
            "ppo_iteration_s": iteration,
            "ppo_iteration_transitions": stats.transitions,
        }
        rows.append(row)
        print(
            f"{game_id:>14}: batch {row['batch_steps_per_s']:>10.0f} steps/s, scalar "
            f"{row['scalar_steps_per_s']:>8.0f} steps/s, ratio {row['ratio']:6.1f}x; one PPO "
            f"iteration ({args.num_envs} games, {stats.transitions} learner decisions) "
            f"{iteration:.2f} s"
        )
    print(
        json.dumps(
            {
                "benchmark": "ppo_env_steps",
                "num_envs": args.num_envs,
                "torch_threads": 1,
                "torch": torch.__version__,
                "python": platform.python_version(),
                "results": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
