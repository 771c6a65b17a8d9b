"""PettingZoo export, and the information-state tensors it observes.

Every registered game with a tensor passes PettingZoo's ``api_test`` and ``seed_test``
(simultaneous ones also ``parallel_api_test`` and ``parallel_seed_test``); rewards add up
to the game's returns; illegal actions raise and change nothing. The tensor tests check,
over random plays, that within a seat equal information-state keys give equal tensors and
different keys different tensors.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from example_params import example_params

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError, RedqueenError
from redqueen.games import registered
from redqueen.games.core import CHANCE, SIMULTANEOUS, Dynamics, Game

ROOT = Path(__file__).resolve().parents[2]


# ---- information-state tensors of the built-in games --------------------------------------

TENSOR_CASES: list[tuple[str, dict[str, Any], int]] = [
    ("kuhn_poker", {}, 200),
    ("kuhn_poker", {"players": 4}, 200),
    ("leduc_poker", {}, 400),
    ("tic_tac_toe", {}, 300),
    ("connect_four", {}, 40),
    ("connect_four", {"rows": 4, "columns": 4, "x_in_row": 3}, 150),
    ("prisoners_dilemma", {}, 20),
    ("matrix", {"payoffs": [[1, 2, 3], [4, 5, 6]]}, 40),
    ("ordinal_2x2", {"index": 7}, 20),
    ("repeated", {"rounds": 4, "stage": "rock_paper_scissors"}, 150),
    ("repeated", {"continuation": 0.7, "max_rounds": 6}, 150),
    ("repeated", {"rounds": 3, "noise": 0.2, "stage": "rock_paper_scissors"}, 200),
    (
        "repeated",
        {
            "continuation": 0.6,
            "max_rounds": 5,
            "noise": 0.2,
            "payoffs": [[[1, 2, 3], [4, 5, 6]], [[0, 1, 0], [1, 0, 1]]],
        },
        200,
    ),
    ("trust_game", {"endowment": 4}, 100),
    ("ultimatum_game", {"amount": 5}, 60),
    ("public_goods_game", {"players": 3, "endowment": 2, "multiplier": 2, "rounds": 2}, 150),
    ("bargaining", {"money": 4, "step": 1, "max_rounds": 3}, 200),
    ("negotiation", {"max_price": 4, "step": 1, "max_rounds": 3}, 200),
    ("persuasion", {"rounds": 3}, 200),
    ("persuasion", {"rounds": 3, "myopic": True}, 200),
]


def _random_states(game: Game, plays: int, seed: int) -> list[Any]:
    """Every state of ``plays`` uniform random plays (clones)."""
    rng = np.random.default_rng(seed)
    states = []
    for _ in range(plays):
        state = game.new_initial_state()
        while True:
            states.append(state.clone())
            if state.is_terminal():
                break
            player = state.current_player()
            if player == CHANCE:
                outcomes = state.chance_outcomes()
                probs = np.array([p for _, p in outcomes])
                state.apply_action(outcomes[rng.choice(len(outcomes), p=probs)][0])
            elif player == SIMULTANEOUS:
                state.apply_joint_action(
                    [int(rng.choice(state.legal_actions(p))) for p in range(game.num_players)]
                )
            else:
                state.apply_action(int(rng.choice(state.legal_actions())))
    return states


@pytest.mark.parametrize(("game_id", "params", "plays"), TENSOR_CASES, ids=str)
def test_equal_keys_iff_equal_tensors(game_id: str, params: dict[str, Any], plays: int) -> None:
    game = redqueen.make(game_id, **params)
    shape = game.information_state_tensor_shape()
    tensor_of: dict[tuple[int, Hashable], bytes] = {}
    key_of: dict[tuple[int, bytes], Hashable] = {}
    for state in _random_states(game, plays, seed=11):
        for p in range(game.num_players):
            tensor = state.information_state_tensor(p)
            assert tensor.shape == shape and tensor.dtype == np.float32
            assert set(np.unique(tensor)) <= {0.0, 1.0}
            key = state.information_state_key(p)
            raw = tensor.tobytes()
            assert tensor_of.setdefault((p, key), raw) == raw, f"key {key!r}: two tensors"
            other = key_of.setdefault((p, raw), key)
            assert other == key, f"keys {key!r} and {other!r} share a tensor"
    assert len(tensor_of) >= 10


def test_tensor_layouts_exact() -> None:
    kuhn = redqueen.make("kuhn_poker").new_initial_state()
    for action in (2, 0, 1):  # K to player 0, J to player 1, player 0 bets
        kuhn.apply_action(action)
    assert kuhn.information_state_tensor(0).tolist() == [1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0]
    assert kuhn.information_state_tensor(1).tolist() == [0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0]
    pd = redqueen.make("prisoners_dilemma").new_initial_state()
    assert pd.information_state_tensor(1).tolist() == [0, 1, 0, 0, 0, 0]
    pd.apply_joint_action([1, 0])
    assert pd.information_state_tensor(1).tolist() == [0, 1, 0, 1, 1, 0]
    rep = redqueen.make("repeated", rounds=3, noise=0.1)
    assert rep.information_state_tensor_shape() == (6 + 3 * 4 + 4 * 2,)
    state = rep.new_initial_state()
    state.apply_joint_action([0, 1])
    tensor = state.information_state_tensor(0)
    assert tensor[:6].tolist() == [1, 0, 0, 1, 0, 0]  # seat 0, noise phase
    assert tensor[-2:].tolist() == [1, 0]  # pending: cooperate
    c4 = redqueen.make("connect_four").new_initial_state()
    c4.apply_action(3)
    planes = c4.information_state_tensor(0)
    assert planes.shape == (3, 6, 7) and planes[0, 0, 3] == 1 and planes[2].sum() == 41
    with pytest.raises(RedqueenError, match="players are 0 and 1"):
        redqueen.make("leduc_poker").new_initial_state().information_state_tensor(2)


# ---- PettingZoo -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pz() -> Any:
    pytest.importorskip("pettingzoo", reason="pip install 'pettingzoo>=1.27'")
    from redqueen.adapters import pettingzoo

    return pettingzoo


def _has_tensor(game: Game) -> bool:
    try:
        game.information_state_tensor_shape()
    except RedqueenError:
        return False
    return True


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("game_id", registered())
def test_registered_games_pass_pettingzoo_checks(pz: Any, game_id: str) -> None:
    from pettingzoo.test import api_test, parallel_api_test, parallel_seed_test, seed_test

    params = example_params(game_id)
    game = redqueen.make(game_id, **params)
    if not _has_tensor(game):
        with pytest.raises(InvalidParameterError, match="no information_state_tensor"):
            pz.aec_env(game_id, **params)
        return
    api_test(pz.aec_env(game_id, **params), num_cycles=300)
    seed_test(lambda: pz.aec_env(game_id, **params), num_cycles=100)
    if game.spec.dynamics == Dynamics.SIMULTANEOUS:
        parallel_api_test(pz.parallel_env(game_id, **params), num_cycles=300)
        parallel_seed_test(lambda: pz.parallel_env(game_id, **params), num_cycles=100)
    else:
        with pytest.raises(InvalidParameterError, match="turn-based"):
            pz.parallel_env(game_id, **params)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    ("game_id", "params"),
    [
        ("repeated", {"continuation": 0.8, "noise": 0.1, "max_rounds": 30}),
        ("kuhn_poker", {"players": 3}),
        ("connect_four", {"rows": 4, "columns": 5, "x_in_row": 3}),
        ("openspiel:liars_dice", {}),
        ("openspiel:goofspiel", {"num_cards": 4}),
    ],
    ids=str,
)
def test_other_variants_pass_api_test(pz: Any, game_id: str, params: dict[str, Any]) -> None:
    from pettingzoo.test import api_test, parallel_api_test, seed_test

    if game_id.startswith("openspiel:"):
        pytest.importorskip("pyspiel", reason="open_spiel not installed: pip install -e .[test]")
    api_test(pz.aec_env(game_id, **params), num_cycles=200)
    seed_test(lambda: pz.aec_env(game_id, **params), num_cycles=50)
    if redqueen.make(game_id, **params).spec.dynamics == Dynamics.SIMULTANEOUS:
        parallel_api_test(pz.parallel_env(game_id, **params), num_cycles=200)


def _play_aec(env: Any, seed: int) -> dict[str, float]:
    """A masked random play; the total reward each agent received."""
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    totals = dict.fromkeys(env.possible_agents, 0.0)
    for agent in env.agent_iter():
        observation, reward, termination, truncation, _ = env.last()
        totals[agent] += reward
        if termination or truncation:
            env.step(None)
        else:
            env.step(int(rng.choice(np.flatnonzero(observation["action_mask"]))))
    return totals


@pytest.mark.parametrize(
    ("game_id", "params"),
    [
        ("kuhn_poker", {"players": 3}),
        ("leduc_poker", {}),
        ("tic_tac_toe", {}),
        ("repeated", {"rounds": 6, "stage": "chicken"}),
        ("repeated", {"continuation": 0.7, "noise": 0.1, "stage": "matching_pennies"}),
    ],
    ids=str,
)
def test_rewards_add_up_to_returns(pz: Any, game_id: str, params: dict[str, Any]) -> None:
    env = pz.aec_env(game_id, **params)
    for seed in range(25):
        totals = _play_aec(env, seed)
        returns = env.game_state.returns()
        assert list(totals.values()) == pytest.approx(returns)
        if env.game.spec.utility_sum is not None:
            assert sum(totals.values()) == pytest.approx(env.game.spec.utility_sum)


def test_seeded_chance_and_a_whole_kuhn_hand(pz: Any) -> None:
    env = pz.aec_env("kuhn_poker")
    env.reset(seed=4)
    first = env.observe("player_0")["observation"].tolist()
    env.reset(seed=4)
    assert env.observe("player_0")["observation"].tolist() == first
    state = env.game_state
    cards = [state.private_card(0), state.private_card(1)]
    assert env.agent_selection == "player_0"
    assert env.observe("player_1")["action_mask"].tolist() == [0, 0]
    env.step(1)  # bet
    assert env.agent_selection == "player_1"
    env.step(1)  # call
    assert all(env.terminations.values())
    winner = 0 if cards[0] > cards[1] else 1
    expected = {"player_0": 2.0 if winner == 0 else -2.0, "player_1": 2.0 if winner else -2.0}
    assert env.rewards == expected


def test_simultaneous_moves_in_the_aec_env(pz: Any) -> None:
    env = pz.aec_env("prisoners_dilemma")
    env.reset(seed=0)
    before = env.observe("player_1")
    env.step(1)  # player 0 defects
    assert env.agent_selection == "player_1"
    after = env.observe("player_1")  # player 1 cannot see player 0's choice
    np.testing.assert_array_equal(before["observation"], after["observation"])
    assert env.observe("player_0")["action_mask"].tolist() == [0, 0]  # already answered
    assert env.rewards == {"player_0": 0.0, "player_1": 0.0}
    env.step(0)  # player 1 cooperates
    assert env.rewards == {"player_0": 5.0, "player_1": 0.0}
    assert all(env.terminations.values())


def test_illegal_actions_raise_and_change_nothing(pz: Any) -> None:
    env = pz.aec_env("tic_tac_toe")
    env.reset(seed=0)
    env.step(4)
    before = env.observe("player_1")
    for bad in (4, 9, -1, "b2", None):
        with pytest.raises(IllegalActionError, match="legal: 0 \\(a1\\)"):
            env.step(bad)
    assert env.agent_selection == "player_1"
    np.testing.assert_array_equal(env.observe("player_1")["observation"], before["observation"])
    par = pz.parallel_env("matrix", payoffs=[[1, 2, 3], [4, 5, 6]])
    par.reset(seed=0)
    with pytest.raises(IllegalActionError, match="illegal action 2 for player 0"):
        par.step({"player_0": 2, "player_1": 2})
    with pytest.raises(RedqueenError, match="no action for player_1"):
        par.step({"player_0": 1})
    _, rewards, terminations, _, _ = par.step({"player_0": 1, "player_1": 2})
    assert rewards == {"player_0": 6.0, "player_1": -6.0} and par.agents == []
    assert terminations == {"player_0": True, "player_1": True}
    with pytest.raises(RedqueenError, match="episode is over"):
        par.step({"player_0": 1, "player_1": 2})


def test_parallel_repeated_game_pays_every_round(pz: Any) -> None:
    par = pz.parallel_env("repeated", stage="prisoners_dilemma", rounds=3)
    par.reset(seed=0)
    paid = []
    for joint in ([0, 0], [1, 0], [1, 1]):
        _, rewards, terminations, _, _ = par.step({"player_0": joint[0], "player_1": joint[1]})
        paid.append((rewards["player_0"], rewards["player_1"]))
    assert paid == [(3.0, 3.0), (5.0, 0.0), (1.0, 1.0)]
    assert all(terminations.values()) and par.agents == []


def test_turn_based_game_through_pettingzoos_conversion(pz: Any) -> None:
    from pettingzoo.utils.conversions import turn_based_aec_to_parallel

    par = turn_based_aec_to_parallel(pz.aec_env("kuhn_poker"))
    observations, _ = par.reset(seed=1)
    totals = dict.fromkeys(par.possible_agents, 0.0)
    rng = np.random.default_rng(0)
    while par.agents:
        actions = {}
        for agent in par.agents:
            legal = np.flatnonzero(observations[agent]["action_mask"])
            actions[agent] = int(rng.choice(legal)) if len(legal) else 0
        observations, rewards, _, _, _ = par.step(actions)
        for agent, reward in rewards.items():
            totals[agent] += reward
    assert list(totals.values()) == par.unwrapped.game_state.returns()


def test_render_modes(pz: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env = pz.aec_env("kuhn_poker", render_mode="ansi")
    env.reset(seed=0)
    text = env.render()
    assert text.startswith("player_0:\n") and "You are player 0." in text
    human = pz.aec_env("tic_tac_toe", render_mode="human")
    human.reset()
    assert human.render() is None
    assert "Tic-tac-toe" in capsys.readouterr().out
    par = pz.parallel_env("stag_hunt", render_mode="ansi")
    par.reset()
    shown = par.render()
    assert "player_0:" in shown and "player_1:" in shown
    with pytest.raises(InvalidParameterError, match="render_mode='rgb_array'"):
        pz.aec_env("kuhn_poker", render_mode="rgb_array")


def test_refuses_games_without_tensors(pz: Any) -> None:
    from toy_games import CoinGuessGame

    with pytest.raises(InvalidParameterError, match="coin_guess has no information_state_tensor"):
        pz.aec_env(CoinGuessGame())
    with pytest.raises(InvalidParameterError, match="not both"):
        pz.aec_env(redqueen.make("kuhn_poker"), players=3)


def test_spaces_and_names(pz: Any) -> None:
    env = pz.aec_env("leduc_poker")
    assert env.possible_agents == ["player_0", "player_1"]
    space = env.observation_space("player_1")
    assert space["observation"].shape == (34,) and space["action_mask"].shape == (3,)
    assert env.action_space("player_0").n == 3
    assert str(env) == "redqueen_leduc_poker"
    assert pz.aec_env("prisoners_dilemma").metadata["is_parallelizable"] is True


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_documented_example_runs(pz: Any) -> None:
    doc = (ROOT / "docs" / "adapters" / "pettingzoo.md").read_text()
    example = re.findall(r"```python\n(.*?)```", doc, flags=re.S)[0]
    exec(compile(example, "docs/adapters/pettingzoo.md", "exec"), {"__name__": "docs"})
