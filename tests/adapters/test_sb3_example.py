"""The documented Stable-Baselines3 example (docs/adapters/gymnasium.md): MaskablePPO from
sb3-contrib trains on a redqueen env as it is. sb3-contrib and PyTorch are test
dependencies (CI installs the CPU build of torch); elsewhere the test skips when they are
missing (`pip install torch sb3-contrib`)."""

from __future__ import annotations

import numpy as np
import pytest

sb3_contrib = pytest.importorskip(
    "sb3_contrib", reason="sb3-contrib (and PyTorch) not installed: an optional example"
)

from redqueen.adapters.gymnasium import single_agent_env  # noqa: E402
from redqueen.agents import make_agent  # noqa: E402


def test_maskable_ppo_trains_and_plays_only_legal_moves() -> None:
    env = single_agent_env("connect_four", opponents=make_agent("minimax", depth=1), seat=0)
    model = sb3_contrib.MaskablePPO("MlpPolicy", env, seed=0, n_steps=256, batch_size=64)
    model.learn(total_timesteps=1024)
    for seed in range(3):
        obs, info = env.reset(seed=seed)
        done = False
        while not done:
            mask = env.action_masks()
            action, _ = model.predict(obs, action_masks=mask, deterministic=True)
            assert mask[int(action)], "the masked policy chose an illegal column"
            obs, _, done, _, info = env.step(action)
        assert not info.get("illegal_action", False)
        assert info["returns"][0] in (-1.0, 0.0, 1.0)
        assert np.isfinite(info["returns"]).all()
