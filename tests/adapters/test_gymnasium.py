"""Gymnasium export: one seat against fixed redqueen agents.

The env passes Gymnasium's ``check_env`` on every kind of game (turn-based, simultaneous,
chance, OpenSpiel); exact episodes against a deterministic opponent; rewards add up to
the learner's return; both illegal-action behaviours; the documented example learns.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.agents import Agent, FirstLegalAgent, Observation, RandomAgent
from redqueen.errors import IllegalActionError, InvalidParameterError, RedqueenError

gymnasium = pytest.importorskip("gymnasium", reason="pip install 'gymnasium>=1.0'")
from gymnasium.utils.env_checker import check_env  # noqa: E402

from redqueen.adapters.gymnasium import single_agent_env  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("game_id", "params", "seat"),
    [
        ("kuhn_poker", {}, 0),
        ("kuhn_poker", {"players": 3}, 2),
        ("leduc_poker", {}, 1),
        ("tic_tac_toe", {}, 1),
        ("connect_four", {}, 0),
        ("prisoners_dilemma", {}, 1),
        ("repeated", {"rounds": 8, "noise": 0.1}, 0),
        ("repeated", {"continuation": 0.9, "stage": "rock_paper_scissors"}, 1),
        ("openspiel:liars_dice", {}, 0),
        ("openspiel:goofspiel", {"num_cards": 4}, 1),
    ],
    ids=str,
)
def test_check_env(game_id: str, params: dict[str, Any], seat: int) -> None:
    if game_id.startswith("openspiel:"):
        pytest.importorskip("pyspiel", reason="open_spiel not installed: pip install -e .[test]")
    env = single_agent_env(game_id, seat=seat, render_mode="ansi", **params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(env)
    messages = [str(w.message) for w in caught]
    if not game_id.startswith("openspiel:"):  # OpenSpiel tensors have no known bounds
        assert not [m for m in messages if "infinity" in m], messages


def test_check_env_through_gymnasium_make_covers_every_render_mode() -> None:
    env_id = "redqueen-test/leduc_poker-v0"
    if env_id not in gymnasium.registry:
        gymnasium.register(
            id=env_id,
            entry_point="redqueen.adapters.gymnasium:single_agent_env",
            kwargs={"game_id": "leduc_poker", "seat": 1},
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        check_env(gymnasium.make(env_id, render_mode="ansi").unwrapped)
    assert not [w for w in caught if "render" in str(w.message)], [str(w.message) for w in caught]


def test_exact_tic_tac_toe_episode_against_first_legal() -> None:
    env = single_agent_env("tic_tac_toe", opponents=FirstLegalAgent(), seat=0)
    obs, info = env.reset(seed=0)
    assert obs.shape == (3, 3, 3) and info["action_mask"].tolist() == [1] * 9
    steps = []
    for action in (0, 3, 6):  # the opponent answers 1, then 2: column a is ours
        obs, reward, terminated, truncated, info = env.step(action)
        steps.append((reward, terminated, truncated))
    assert steps == [(0.0, False, False), (0.0, False, False), (1.0, True, False)]
    assert info["returns"] == [1.0, -1.0] and info["action_mask"].tolist() == [0] * 9
    assert [s.action for s in env.state.history()] == [0, 1, 3, 2, 6]
    with pytest.raises(RedqueenError, match="episode is over"):
        env.step(4)


def test_learner_in_seat_one_sees_the_opponents_first_move() -> None:
    env = single_agent_env("tic_tac_toe", opponents=FirstLegalAgent(), seat=1)
    obs, info = env.reset(seed=0)
    assert obs[2, 0, 0] == 1.0  # x (seat 0) took a1
    assert info["action_mask"].tolist() == [0] + [1] * 8
    assert env.action_masks().tolist() == [False] + [True] * 8


def test_simultaneous_game_pays_each_round() -> None:
    env = single_agent_env("repeated", opponents=FirstLegalAgent(), seat=1, rounds=3)
    env.reset(seed=0)
    paid = [env.step(a)[1] for a in (0, 1, 1)]  # the opponent always cooperates
    assert paid == [3.0, 5.0, 5.0]


def test_rewards_add_up_to_the_return_and_seeds_repeat() -> None:
    for game_id, params in [("leduc_poker", {}), ("repeated", {"continuation": 0.8})]:
        env = single_agent_env(game_id, seat=1, **params)
        episodes = []
        for seed in (3, 3, 4):
            obs, info = env.reset(seed=seed)
            rng = np.random.default_rng(seed)
            total, done, trace = 0.0, False, [obs.tolist()]
            while not done:
                action = int(rng.choice(np.flatnonzero(info["action_mask"])))
                obs, reward, done, _, info = env.step(action)
                total += reward
                trace.append(obs.tolist())
            assert total == pytest.approx(info["returns"][1])
            assert total == pytest.approx(env.state.returns()[1])
            episodes.append(trace)
        assert episodes[0] == episodes[1]


def test_illegal_action_loses_by_default() -> None:
    env = single_agent_env("repeated", opponents=FirstLegalAgent(), rounds=5)
    env.reset(seed=0)
    _, first, _, _, _ = env.step(1)  # defect against cooperate: +5
    _, reward, terminated, truncated, info = env.step(7)
    assert (first, reward, terminated, truncated) == (5.0, -5.0, True, False)
    assert info["illegal_action"] is True and first + reward == env.game.spec.min_utility
    kuhn = single_agent_env("kuhn_poker")
    kuhn.reset(seed=1)
    _, reward, terminated, _, info = kuhn.step(np.int64(-1))
    assert (reward, terminated, info["illegal_action"]) == (-2.0, True, True)


def test_illegal_action_can_raise_instead() -> None:
    env = single_agent_env("tic_tac_toe", opponents=FirstLegalAgent(), illegal_action="raise")
    env.reset(seed=0)
    env.step(4)
    before = env.state.history()
    with pytest.raises(IllegalActionError, match=r"illegal action 4 for player 0"):
        env.step(4)
    assert env.state.history() == before
    env.step(8)  # the episode goes on


class _Talker(Agent):
    """Answers with text: 'bet' when holding the king, and nonsense otherwise."""

    def act(self, obs: Observation) -> str:
        return "bet" if "Your card: K" in obs.text else "no idea"


def test_opponents_answering_with_text() -> None:
    env = single_agent_env("kuhn_poker", opponents=_Talker(), seat=0)
    invalid = 0
    for seed in range(30):
        env.reset(seed=seed)
        done = False
        while not done:
            _, _, done, _, _ = env.step(0)
        invalid += env.opponent_invalid_moves[1]
    assert 0 < invalid < 30  # the king was dealt to the talker in some hands


def test_bad_arguments() -> None:
    with pytest.raises(InvalidParameterError, match=r"seat must be one of 0\.\.1"):
        single_agent_env("kuhn_poker", seat=2)
    with pytest.raises(InvalidParameterError, match="2 Agents for seats"):
        single_agent_env("kuhn_poker", players=3, opponents=[RandomAgent()])
    with pytest.raises(InvalidParameterError, match="illegal_action='ignore'"):
        single_agent_env("kuhn_poker", illegal_action="ignore")  # type: ignore[arg-type]
    env = single_agent_env(redqueen.make("kuhn_poker", players=3), opponents=[RandomAgent()] * 2)
    assert env.observation_space.shape == (17,)
    with pytest.raises(RedqueenError, match="call reset"):
        single_agent_env("kuhn_poker").step(0)


def test_render_human_prints(capsys: pytest.CaptureFixture[str]) -> None:
    env = single_agent_env("leduc_poker", render_mode="human")
    env.reset(seed=0)
    assert env.render() is None
    assert "You are player 0." in capsys.readouterr().out


def test_documented_example_learns(capsys: pytest.CaptureFixture[str]) -> None:
    doc = (ROOT / "docs" / "adapters" / "gymnasium.md").read_text()
    examples = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
    assert len(examples) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, example in enumerate(examples):
            exec(compile(example, f"docs/adapters/gymnasium.md#{i}", "exec"), {"__name__": "docs"})
    assert "learned policy: +" in capsys.readouterr().out
