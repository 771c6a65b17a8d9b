"""Tabular policies: lookups, arrays bound to a tree, saving and loading keys of every
kind, clear errors, and the policy agent in matches."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.agents.registry import make_agent, parse_agent
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.play.match import play_match
from redqueen.solve.policy import MissingInformationStateError, PolicyAgent, TabularPolicy
from redqueen.solve.tree import compile_game

J, Q, K = 0, 1, 2
PASS, BET = 0, 1


def test_uniform_kuhn_policy() -> None:
    game = redqueen.make("kuhn_poker")
    policy = TabularPolicy.uniform(game)
    assert len(policy) == 12
    assert policy.players == [0, 1]
    assert policy.probabilities(0, (K, ())) == {PASS: 0.5, BET: 0.5}
    state = game.new_initial_state()
    for card in (Q, J):
        state.apply_action(card)
    assert policy.action_probabilities(state) == {PASS: 0.5, BET: 0.5}
    assert (1, (J, (BET,))) in policy


def test_arrays_round_trip_through_a_tree() -> None:
    game = redqueen.make("leduc_poker")
    tree = compile_game(game)
    rng = np.random.default_rng(0)
    probs = rng.random((tree.num_infosets, tree.max_actions)) * tree.infoset_mask
    probs /= probs.sum(axis=1, keepdims=True)
    policy = TabularPolicy.from_arrays(tree, probs)
    assert np.array_equal(policy.to_arrays(tree), probs)
    rebuilt = TabularPolicy(policy.table())  # no binding to the tree: by keys
    assert np.array_equal(rebuilt.to_arrays(tree), probs)
    # Actions listed in another order map to the tree's order.
    shuffled = TabularPolicy(
        {k: dict(reversed(list(v.items()))) for k, v in policy.table().items()}
    )
    assert np.array_equal(shuffled.to_arrays(tree), probs)


def test_save_and_load_round_trip_keys(tmp_path: Path) -> None:
    game = redqueen.make("leduc_poker")
    policy = TabularPolicy.uniform(game)
    path = policy.save(tmp_path / "leduc.json", game=game)
    data = json.loads(path.read_text())
    assert data["format"] == "redqueen.tabular_policy" and data["game"]["id"] == "leduc_poker"
    loaded = TabularPolicy.load(path)
    assert loaded.table() == policy.table()
    assert set(loaded.keys()) == set(compile_game(game).infoset_keys)
    # Keys of every supported kind come back equal, with their types.
    odd = {
        (0, "text key"): {0: 1.0},
        (0, (None, (1, 2), ("a", True), 2.5)): {0: 0.25, 3: 0.75},
        (1, frozenset({1, 2, 3})): {1: 1.0},
        (1, b"\x00bytes"): {0: 0.5, 1: 0.5},
        (1, (float("inf"), -0.0)): {2: 1.0},
        (2, 7): {0: 1.0},
    }
    again = TabularPolicy.load(TabularPolicy(odd).save(tmp_path / "odd.json"))
    assert again.table() == odd
    for key in odd:
        assert type(next(k for k in again if k == key)[1]) is type(key[1])


def test_unsaveable_keys_and_bad_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match=r"cannot save .* object"):
        TabularPolicy({(0, (object(),)): {0: 1.0}}).save(tmp_path / "x.json")
    with pytest.raises(InvalidParameterError, match="no policy file"):
        TabularPolicy.load(tmp_path / "missing.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(InvalidParameterError, match="not a redqueen tabular policy"):
        TabularPolicy.load(tmp_path / "other.json")


def test_probabilities_are_checked() -> None:
    with pytest.raises(InvalidParameterError, match=r"sum to 0\.9"):
        TabularPolicy({(0, "k"): {0: 0.5, 1: 0.4}})
    with pytest.raises(InvalidParameterError, match="negative"):
        TabularPolicy({(0, "k"): {0: 1.5, 1: -0.5}})
    with pytest.raises(InvalidParameterError, match="pairs"):
        TabularPolicy({"k": {0: 1.0}})  # type: ignore[dict-item]


def test_missing_information_states_are_named() -> None:
    game = redqueen.make("kuhn_poker")
    tree = compile_game(game)
    table = TabularPolicy.uniform(game).table()
    del table[(1, (Q, (PASS,)))]
    partial = TabularPolicy(table)
    with pytest.raises(
        MissingInformationStateError, match=r"player 1 at information state \(1, \(0,\)\)"
    ):
        partial.to_arrays(tree)
    partial.to_arrays(tree, players=[0])  # player 0's part is complete
    with pytest.raises(MissingInformationStateError):
        partial.probabilities(1, (Q, (PASS,)))


def test_an_illegal_action_with_weight_is_an_error() -> None:
    game = redqueen.make("kuhn_poker")
    table = TabularPolicy.uniform(game).table()
    table[(0, (J, ()))] = {PASS: 0.5, 7: 0.5}
    with pytest.raises(RedqueenError, match="action 7"):
        TabularPolicy(table).to_arrays(compile_game(game))


def test_merged_and_restricted() -> None:
    game = redqueen.make("kuhn_poker")
    uniform = TabularPolicy.uniform(game)
    always_bet = TabularPolicy({k: {PASS: 0.0, BET: 1.0} for k in uniform if k[0] == 1})
    merged = uniform.merged(always_bet)
    assert merged.probabilities(1, (J, (PASS,))) == {PASS: 0.0, BET: 1.0}
    assert merged.probabilities(0, (J, ())) == {PASS: 0.5, BET: 0.5}
    assert merged.restricted([0]).players == [0]


def test_policy_agent_plays_a_saved_policy(tmp_path: Path) -> None:
    game = redqueen.make("kuhn_poker")
    # Player 0 always bets, player 1 always folds to a bet: player 0 wins every ante.
    table = {
        k: ({PASS: 0.0, BET: 1.0} if k[0] == 0 else {PASS: 1.0, BET: 0.0})
        for k in TabularPolicy.uniform(game)
    }
    path = TabularPolicy(table).save(tmp_path / "bet_fold.json", game=game)
    agent = make_agent("policy", path=str(path))
    assert agent.spec().kind == "policy" and agent.spec().params == {"path": str(path)}
    again = parse_agent(f"policy:path={path}")
    for seed in range(20):
        result = play_match(game, [agent, again], seed=seed, on_invalid="raise")
        assert result.returns == (1.0, -1.0)
        assert [s.action for s in result.trajectory[2:]] == [BET, PASS]


def test_policy_agent_samples_with_the_observation_generator() -> None:
    game = redqueen.make("matching_pennies")
    policy = TabularPolicy({(0, ()): {0: 0.2, 1: 0.8}, (1, ()): {0: 1.0, 1: 0.0}})
    agent = PolicyAgent(policy=policy)
    firsts = [play_match(game, [agent, agent], seed=s).trajectory[0].action[0] for s in range(2000)]
    assert np.mean(firsts) == pytest.approx(0.8, abs=0.03)
    seconds = {play_match(game, [agent, agent], seed=s).trajectory[0].action[1] for s in range(50)}
    assert seconds == {0}
    same = [play_match(game, [agent, agent], seed=s).returns for s in range(30)]
    assert same == [play_match(game, [agent, agent], seed=s).returns for s in range(30)]


def test_policy_agent_needs_one_source_and_known_states() -> None:
    with pytest.raises(InvalidParameterError, match="exactly one"):
        PolicyAgent()
    agent = PolicyAgent(policy=TabularPolicy({(0, "elsewhere"): {0: 1.0}}))
    with pytest.raises(MissingInformationStateError, match="player 0"):
        play_match(redqueen.make("matching_pennies"), [agent, agent], seed=0)
