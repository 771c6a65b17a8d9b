"""Kuhn and Leduc poker against OpenSpiel, the reference implementation of both.

For each game: the specs agree; a full walk of both trees, in lockstep, meets the same
players, legal actions, chance outcomes and returns at every node, and the same partition
into information states (so the same count per player); the uniform random profile has
the same value; and 10,000 random plays replayed through both agree step by step.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.games import CHANCE, TERMINAL, Game, State

pyspiel = pytest.importorskip("pyspiel", reason="open_spiel not installed: pip install -e .[test]")

CASES = [
    ("kuhn_poker", {}, "kuhn_poker"),
    ("kuhn_poker", {"players": 3}, "kuhn_poker(players=3)"),
    ("leduc_poker", {}, "leduc_poker"),
]
IDS = ["kuhn2", "kuhn3", "leduc"]


def _games(case: tuple[str, dict[str, Any], str]) -> tuple[Game, Any]:
    game_id, params, reference = case
    return redqueen.make(game_id, **params), pyspiel.load_game(reference)


def _player(os_state: Any) -> int:
    """OpenSpiel's player id in redqueen's terms (the same numbers, checked here)."""
    if os_state.is_terminal():
        return TERMINAL
    return CHANCE if os_state.is_chance_node() else int(os_state.current_player())


def _assert_same_node(ours: State, theirs: Any, where: list[int]) -> None:
    assert ours.current_player() == _player(theirs), where
    if ours.is_terminal():
        assert ours.returns() == list(theirs.returns()), where
    elif ours.is_chance_node():
        assert ours.chance_outcomes() == [(int(a), p) for a, p in theirs.chance_outcomes()], where
    else:
        assert ours.legal_actions() == list(theirs.legal_actions()), where


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_specs_agree(case: tuple[str, dict[str, Any], str]) -> None:
    ours, theirs = _games(case)
    spec = ours.spec
    assert spec.num_players == theirs.num_players()
    assert spec.num_distinct_actions == theirs.num_distinct_actions()
    assert spec.max_chance_outcomes == theirs.max_chance_outcomes()
    assert (spec.min_utility, spec.max_utility) == (theirs.min_utility(), theirs.max_utility())
    assert spec.utility_sum == theirs.utility_sum() == 0
    # OpenSpiel counts decisions only; redqueen counts every step, deals included.
    assert spec.max_game_length == (theirs.max_game_length() + theirs.max_chance_nodes_in_history())


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_full_tree_walk_agrees_node_by_node(case: tuple[str, dict[str, Any], str]) -> None:
    ours, theirs = _games(case)
    n = ours.num_players
    # For each player, our key <-> OpenSpiel's information_state_string must be a
    # bijection over the non-terminal nodes: the same partition into information states.
    ours_to_theirs: list[dict[Hashable, str]] = [{} for _ in range(n)]
    theirs_to_ours: list[dict[str, Hashable]] = [{} for _ in range(n)]
    decision_states: list[set[Hashable]] = [set() for _ in range(n)]
    values = [np.zeros(n), np.zeros(n)]  # uniform random value: ours, theirs
    nodes = 0
    stack: list[tuple[State, Any, float, list[int]]] = [
        (ours.new_initial_state(), theirs.new_initial_state(), 1.0, [])
    ]
    while stack:
        state, os_state, prob, history = stack.pop()
        nodes += 1
        _assert_same_node(state, os_state, history)
        if state.is_terminal():
            values[0] += prob * np.array(state.returns())
            values[1] += prob * np.array(os_state.returns())
            continue
        for p in range(n):
            key = state.information_state_key(p)
            text = os_state.information_state_string(p)
            assert ours_to_theirs[p].setdefault(key, text) == text, (p, history)
            assert theirs_to_ours[p].setdefault(text, key) == key, (p, history)
        if state.is_chance_node():
            children = state.chance_outcomes()
        else:
            decision_states[state.current_player()].add(
                state.information_state_key(state.current_player())
            )
            legal = state.legal_actions()
            children = [(a, 1.0 / len(legal)) for a in legal]
        for action, q in children:
            child, os_child = state.clone(), os_state.clone()
            child.apply_action(action)
            os_child.apply_action(action)
            stack.append((child, os_child, prob * q, [*history, action]))
    os_decision_states = _openspiel_decision_states(theirs)
    assert [len(s) for s in decision_states] == [len(s) for s in os_decision_states]
    if case[0] == "leduc_poker":
        assert sum(len(s) for s in decision_states) == 936  # Southey et al. 2005
    if case[2] == "kuhn_poker":
        assert [len(s) for s in decision_states] == [6, 6]
    np.testing.assert_allclose(values[0], values[1], rtol=0, atol=1e-12)
    assert nodes > 50


def _openspiel_decision_states(game: Any) -> list[set[str]]:
    """Information states of each player where that player moves, by OpenSpiel alone."""
    found: list[set[str]] = [set() for _ in range(game.num_players())]
    stack = [game.new_initial_state()]
    while stack:
        state = stack.pop()
        if state.is_terminal():
            continue
        if not state.is_chance_node():
            player = state.current_player()
            found[player].add(state.information_state_string(player))
        for action in state.legal_actions():
            stack.append(state.child(action))
    return found


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_ten_thousand_random_plays_agree_step_by_step(
    case: tuple[str, dict[str, Any], str],
) -> None:
    ours, theirs = _games(case)
    rng = np.random.default_rng(2024)
    lengths = set()
    for _ in range(10_000):
        state, os_state = ours.new_initial_state(), theirs.new_initial_state()
        history: list[int] = []
        while True:
            _assert_same_node(state, os_state, history)
            if state.is_terminal():
                break
            if state.is_chance_node():
                legal = [a for a, _ in state.chance_outcomes()]
            else:
                legal = state.legal_actions()
                assert [state.action_text(a).lower() for a in legal] == [
                    os_state.action_to_string(a).lower() for a in legal
                ]
            action = legal[rng.integers(len(legal))]
            state.apply_action(action)
            os_state.apply_action(action)
            history.append(action)
        assert os_state.history() == history
        lengths.add(len(history))
    assert max(lengths) == ours.spec.max_game_length
