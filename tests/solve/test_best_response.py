"""Best response, expected returns, NashConv and exploitability against published values
(Kuhn 1950's equilibria, OpenSpiel's uniform NashConv 11/12) and independent brute-force
computations (pure-strategy enumeration, a naive recursive best response)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Hashable
from fractions import Fraction

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError
from redqueen.games import Game, State
from redqueen.solve.policy import MissingInformationStateError, TabularPolicy
from redqueen.solve.responses import (
    best_response,
    expected_returns,
    exploitability,
    nash_conv,
)
from redqueen.solve.tree import compile_game

J, Q, K = 0, 1, 2
PASS, BET = 0, 1


def kuhn_equilibrium(alpha: float) -> TabularPolicy:
    """Kuhn's (1950) equilibrium family for the first player, with the second player's
    unique equilibrium strategy; player 0's value is -1/18 for every alpha in [0, 1/3]."""
    b = {PASS: 0.0, BET: 1.0}
    p = {PASS: 1.0, BET: 0.0}

    def mix(bet: float) -> dict[int, float]:
        return {PASS: 1.0 - bet, BET: bet}

    return TabularPolicy(
        {
            (0, (J, ())): mix(alpha),
            (0, (Q, ())): p,
            (0, (K, ())): mix(3 * alpha),
            (0, (J, (PASS, BET))): p,
            (0, (Q, (PASS, BET))): mix(alpha + 1 / 3),
            (0, (K, (PASS, BET))): b,
            (1, (J, (PASS,))): mix(1 / 3),
            (1, (Q, (PASS,))): p,
            (1, (K, (PASS,))): b,
            (1, (J, (BET,))): p,
            (1, (Q, (BET,))): mix(1 / 3),
            (1, (K, (BET,))): b,
        }
    )


def random_policy(game: Game, seed: int) -> TabularPolicy:
    tree = compile_game(game)
    rng = np.random.default_rng(seed)
    probs = rng.random((tree.num_infosets, tree.max_actions)) * tree.infoset_mask
    probs /= probs.sum(axis=1, keepdims=True)
    return TabularPolicy.from_arrays(tree, probs)


def walk_value(state: State, policy: TabularPolicy) -> np.ndarray:
    """Expected returns of everyone under ``policy``, by recursion through the State API."""
    if state.is_terminal():
        return np.array(state.returns(), dtype=float)
    if state.is_chance_node():
        outcomes = state.chance_outcomes()
    else:
        outcomes = list(policy.action_probabilities(state).items())
    total = np.zeros(state.game.num_players)
    for a, p in outcomes:
        child = state.clone()
        child.apply_action(a)
        total += p * walk_value(child, policy)
    return total


def brute_force_best_value(game: Game, policy: TabularPolicy, player: int) -> float:
    """The best value over every pure strategy of ``player`` (enumerated)."""
    keys = [k for k in compile_game(game).infoset_keys if k[0] == player]
    best = -np.inf
    for choice in itertools.product((PASS, BET), repeat=len(keys)):
        pure = {
            k: {PASS: float(c == PASS), BET: float(c == BET)}
            for k, c in zip(keys, choice, strict=True)
        }
        profile = policy.merged(TabularPolicy(pure))
        best = max(best, walk_value(game.new_initial_state(), profile)[player])
    return float(best)


def naive_best_response_value(game: Game, policy: TabularPolicy, player: int) -> float:
    """A recursive best response written without the tree: collect each of ``player``'s
    information states with the counterfactual reach of its histories, pick the action
    with the best reach-weighted value, memoised per information state and history."""
    histories: dict[Hashable, list[tuple[State, float]]] = defaultdict(list)

    def collect(state: State, reach: float) -> None:
        if state.is_terminal():
            return
        if state.is_chance_node():
            outcomes = state.chance_outcomes()
        elif state.current_player() == player:
            histories[state.information_state_key(player)].append((state, reach))
            outcomes = [(a, 1.0) for a in state.legal_actions()]
        else:
            outcomes = list(policy.action_probabilities(state).items())
        for a, p in outcomes:
            child = state.clone()
            child.apply_action(a)
            collect(child, reach * p)

    collect(game.new_initial_state(), 1.0)
    chosen: dict[Hashable, int] = {}
    memo: dict[tuple[object, ...], float] = {}

    def child(state: State, a: int) -> State:
        c = state.clone()
        c.apply_action(a)
        return c

    def value(state: State) -> float:
        key = tuple(state.history())
        if key in memo:
            return memo[key]
        if state.is_terminal():
            v = state.returns()[player]
        elif state.is_chance_node():
            v = sum(p * value(child(state, a)) for a, p in state.chance_outcomes())
        elif state.current_player() == player:
            v = value(child(state, best_action(state.information_state_key(player))))
        else:
            v = sum(
                p * value(child(state, a)) for a, p in policy.action_probabilities(state).items()
            )
        memo[key] = v
        return v

    def best_action(info: Hashable) -> int:
        if info not in chosen:
            legal = histories[info][0][0].legal_actions()
            q = {a: sum(r * value(child(s, a)) for s, r in histories[info]) for a in legal}
            chosen[info] = max(legal, key=lambda a: q[a])
        return chosen[info]

    return value(game.new_initial_state())


def test_uniform_kuhn_nash_conv_is_eleven_twelfths() -> None:
    # OpenSpiel's exploitability_test: NashConv of the uniform policy in Kuhn is 11/12.
    game = redqueen.make("kuhn_poker")
    uniform = TabularPolicy.uniform(game)
    assert nash_conv(game, uniform) == pytest.approx(11 / 12, abs=1e-12)
    assert exploitability(game, uniform) == pytest.approx(11 / 24, abs=1e-12)
    assert expected_returns(game, uniform).tolist() == pytest.approx([0.125, -0.125], abs=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 1 / 6, 1 / 3])
def test_kuhn_closed_form_equilibria_are_worth_minus_one_eighteenth(alpha: float) -> None:
    game = redqueen.make("kuhn_poker")
    eq = kuhn_equilibrium(alpha)
    assert expected_returns(game, eq).tolist() == pytest.approx([-1 / 18, 1 / 18], abs=1e-12)
    assert nash_conv(game, eq) == pytest.approx(0.0, abs=1e-12)
    for player in (0, 1):
        _, value = best_response(game, eq, player)
        assert value == pytest.approx([-1 / 18, 1 / 18][player], abs=1e-12)
    assert Fraction(-1, 18) == Fraction(expected_returns(game, eq)[0]).limit_denominator(1000)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("player", [0, 1])
def test_best_response_equals_pure_strategy_enumeration_on_kuhn(seed: int, player: int) -> None:
    game = redqueen.make("kuhn_poker")
    policy = random_policy(game, seed)
    br, value = best_response(game, policy, player)
    assert value == pytest.approx(brute_force_best_value(game, policy, player), abs=1e-12)
    # The best response is a pure behaviour strategy, and playing it earns its value.
    assert br.players == [player]
    for dist in br.table().values():
        assert sorted(dist.values()) == [0.0, 1.0]
    earned = expected_returns(game, policy.merged(br))[player]
    assert earned == pytest.approx(value, abs=1e-12)


@pytest.mark.parametrize("player", [0, 1])
def test_best_response_equals_a_naive_recursive_one_on_leduc(player: int) -> None:
    game = redqueen.make("leduc_poker")
    policy = random_policy(game, 7)
    br, value = best_response(game, policy, player)
    assert value == pytest.approx(naive_best_response_value(game, policy, player), abs=1e-10)
    earned = expected_returns(game, policy.merged(br))[player]
    assert earned == pytest.approx(value, abs=1e-10)


def test_expected_returns_per_seat_policies() -> None:
    game = redqueen.make("leduc_poker")
    a, b = random_policy(game, 1), random_policy(game, 2)
    mixed = a.restricted([0]).merged(b.restricted([1]))
    assert np.allclose(expected_returns(game, [a, b]), expected_returns(game, mixed), atol=1e-14)
    assert np.allclose(
        expected_returns(game, mixed), walk_value(game.new_initial_state(), mixed), atol=1e-12
    )
    with pytest.raises(InvalidParameterError, match="one per seat"):
        expected_returns(game, [a])


def test_three_player_kuhn_nash_conv_sums_over_players() -> None:
    game = redqueen.make("kuhn_poker", players=3)
    uniform = TabularPolicy.uniform(game)
    values = expected_returns(game, uniform)
    brs = [best_response(game, uniform, p)[1] for p in range(3)]
    assert nash_conv(game, uniform) == pytest.approx(sum(brs) - sum(values), abs=1e-12)
    assert values.sum() == pytest.approx(0.0, abs=1e-12)
    assert exploitability(game, uniform) == pytest.approx(nash_conv(game, uniform) / 3)


def test_general_sum_games_have_nash_conv_but_no_exploitability() -> None:
    game = redqueen.make("prisoners_dilemma")  # R=3, S=0, T=5, P=1
    uniform = TabularPolicy.uniform(game)
    # Against a uniform opponent, defecting earns (5 + 1) / 2 = 3; uniform play earns 2.25.
    assert nash_conv(game, uniform) == pytest.approx(2 * (3 - 2.25), abs=1e-12)
    defect = TabularPolicy({(0, ()): {0: 0.0, 1: 1.0}, (1, ()): {0: 0.0, 1: 1.0}})
    assert nash_conv(game, defect) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(InvalidParameterError, match="nash_conv"):
        exploitability(game, uniform)


def test_missing_information_states_and_bad_players() -> None:
    game = redqueen.make("kuhn_poker")
    table = TabularPolicy.uniform(game).table()
    del table[(0, (K, (PASS, BET)))]
    partial = TabularPolicy(table)
    with pytest.raises(MissingInformationStateError, match="player 0"):
        exploitability(game, partial)
    best_response(game, partial, 0)  # player 0's own states are not needed
    with pytest.raises(InvalidParameterError, match="seats"):
        best_response(game, partial, 2)


def test_leduc_exploitability_by_key_lookup_equals_the_bound_policy() -> None:
    # Its speed (<= 0.1 s) is measured by benchmarks/cfr.py, not asserted here.
    game = redqueen.make("leduc_poker")
    policy = random_policy(game, 3)
    plain = TabularPolicy(policy.table())  # not bound to the tree: looked up by key
    assert exploitability(game, plain) == pytest.approx(exploitability(game, policy), abs=1e-12)


def test_imperfect_recall_warns_that_the_best_response_is_a_bound() -> None:
    from toy_games import ForgetfulGame

    game = ForgetfulGame()
    with pytest.warns(UserWarning, match="imperfect recall"):
        nash_conv(game, TabularPolicy.uniform(game))


def test_package_exports_are_the_functions_whatever_was_imported_first() -> None:
    """Importing a submodule binds its name on the package: no submodule may be named like
    a function the package exports, or ``from redqueen.solve import NAME`` would give the
    module once something imported it."""
    import importlib
    import pkgutil

    import redqueen.solve as solve

    for info in pkgutil.iter_modules(solve.__path__):
        importlib.import_module(f"redqueen.solve.{info.name}")
    for name in solve.__all__:
        assert not isinstance(getattr(solve, name), type(solve)), name
    from redqueen.solve import best_response, exploitability

    assert callable(best_response) and callable(exploitability)
