"""The solvers against OpenSpiel's: the same tree sizes, the same exploitability and
NashConv of the same policy (computed by OpenSpiel's own best responses), and the same
average policies from OpenSpiel's Python CFR, CFR+, linear CFR and DCFR solvers.

A policy crosses over by playing the same action sequences in both games: each of our
``(player, information_state_key)`` meets OpenSpiel's information-state string at the same
histories (the partitions are equal, see test_openspiel_poker.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.games import Game, State
from redqueen.solve.cfr import CFRSolver, solve
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import exploitability, nash_conv
from redqueen.solve.tree import compile_game

pyspiel = pytest.importorskip("pyspiel", reason="open_spiel not installed: pip install -e .[test]")
os_cfr = pytest.importorskip("open_spiel.python.algorithms.cfr")
os_dcfr = pytest.importorskip("open_spiel.python.algorithms.discounted_cfr")
os_exploitability = pytest.importorskip("open_spiel.python.algorithms.exploitability")
os_policy = pytest.importorskip("open_spiel.python.policy")
os_states = pytest.importorskip("open_spiel.python.algorithms.get_all_states")

CASES = {
    "kuhn2": ("kuhn_poker", {}, "kuhn_poker"),
    "kuhn3": ("kuhn_poker", {"players": 3}, "kuhn_poker(players=3)"),
    "leduc": ("leduc_poker", {}, "leduc_poker"),
}


def _games(case: str) -> tuple[Game, Any]:
    game_id, params, reference = CASES[case]
    return redqueen.make(game_id, **params), pyspiel.load_game(reference)


def _lockstep(ours: Game, theirs: Any, visit: Callable[[State, Any], None]) -> None:
    """Call ``visit`` at every decision node of both trees, walked in lockstep."""

    def walk(state: State, os_state: Any) -> None:
        if state.is_terminal():
            return
        if not state.is_chance_node():
            visit(state, os_state)
        for a in state.legal_actions():
            child = state.clone()
            child.apply_action(a)
            walk(child, os_state.child(a))

    walk(ours.new_initial_state(), theirs.new_initial_state())


def to_openspiel(ours: Game, theirs: Any, policy: TabularPolicy) -> Any:
    out = os_policy.TabularPolicy(theirs)

    def visit(state: State, os_state: Any) -> None:
        row = out.policy_for_key(os_state.information_state_string())
        row[:] = 0.0
        for a, p in policy.action_probabilities(state).items():
            row[a] = p

    _lockstep(ours, theirs, visit)
    return out


def from_openspiel(ours: Game, theirs: Any, policy: Any) -> TabularPolicy:
    table: dict[Any, dict[int, float]] = {}

    def visit(state: State, os_state: Any) -> None:
        p = state.current_player()
        probs = policy.action_probabilities(os_state)
        table[(p, state.information_state_key(p))] = {
            a: float(probs.get(a, 0.0)) for a in state.legal_actions()
        }

    _lockstep(ours, theirs, visit)
    return TabularPolicy(table)


@pytest.mark.parametrize("case", list(CASES))
def test_tree_sizes_match_openspiel(case: str) -> None:
    ours, theirs = _games(case)
    tree = compile_game(ours)
    states = os_states.get_all_states(
        theirs, depth_limit=-1, include_terminals=True, include_chance_states=True
    )
    assert tree.num_nodes == len(states)
    keys = {
        s.information_state_string()
        for s in states.values()
        if not (s.is_terminal() or s.is_chance_node())
    }
    assert tree.num_infosets == len(keys)


@pytest.mark.parametrize("case", ["kuhn2", "leduc"])
def test_exploitability_of_our_cfr_plus_policy_matches_openspiel(case: str) -> None:
    ours, theirs = _games(case)
    result = solve(ours, "cfr+", 100)
    reference = os_exploitability.exploitability(
        theirs, to_openspiel(ours, theirs, result.average_policy)
    )
    assert exploitability(ours, result.average_policy) == pytest.approx(reference, abs=1e-9)
    assert result.final == pytest.approx(reference, abs=1e-9)


def test_nash_conv_of_uniform_three_player_kuhn_matches_openspiel() -> None:
    ours, theirs = _games("kuhn3")
    reference = os_exploitability.nash_conv(theirs, os_policy.UniformRandomPolicy(theirs))
    assert nash_conv(ours, TabularPolicy.uniform(ours)) == pytest.approx(reference, abs=1e-12)
    # And of a policy that is not uniform: CFR+ after a few iterations.
    policy = solve(ours, "cfr+", 10).average_policy
    reference = os_exploitability.nash_conv(theirs, to_openspiel(ours, theirs, policy))
    assert nash_conv(ours, policy) == pytest.approx(reference, abs=1e-9)


SOLVERS = {
    "cfr": lambda g: os_cfr.CFRSolver(g),
    "cfr+": lambda g: os_cfr.CFRPlusSolver(g),
    "linear_cfr": lambda g: os_dcfr.LCFRSolver(g),
    "dcfr": lambda g: os_dcfr.DCFRSolver(g),
}


@pytest.mark.parametrize("algorithm", list(SOLVERS))
@pytest.mark.parametrize(("case", "iterations"), [("kuhn2", 25), ("kuhn3", 5), ("leduc", 2)])
def test_average_policies_match_openspiel_solvers(
    algorithm: str, case: str, iterations: int
) -> None:
    ours, theirs = _games(case)
    solver = SOLVERS[algorithm](theirs)
    for _ in range(iterations):
        solver.evaluate_and_update_policy()
    reference = from_openspiel(ours, theirs, solver.average_policy())
    tree = compile_game(ours)
    mine = CFRSolver(tree, algorithm)
    mine.iterate(iterations)
    assert np.allclose(mine.average(), reference.to_arrays(tree), atol=1e-12)
