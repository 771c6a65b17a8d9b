"""Populations, the exact meta-game payoff table, opponent samplers and the reach-weighted
mixture of behaviour policies, checked against independent computations: a mixture must
earn exactly the weighted average of its members' expected returns (against any
opponent), which the naive average of action probabilities does not."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.agents import RandomAgent
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.learn import population as pop
from redqueen.learn.population import (
    Member,
    PayoffTable,
    Population,
    latest_weights,
    mixture_arrays,
    mixture_policy,
    nash_weights,
    own_reach,
    pfsp_weights,
    sample_member,
    uniform_weights,
)
from redqueen.solve.policy import PolicyAgent, TabularPolicy
from redqueen.solve.responses import expected_returns
from redqueen.solve.tree import GameTree, InfosetKey, compile_game

J, Q, K = 0, 1, 2
PASS, BET = 0, 1


def random_policy(tree: GameTree, rng: np.random.Generator, sharp: float = 1.0) -> TabularPolicy:
    """A random behaviour policy for every seat (``sharp`` < 1: closer to deterministic)."""
    probs = np.zeros((tree.num_infosets, tree.max_actions))
    for row, n in enumerate(tree.infoset_num_actions):
        probs[row, :n] = rng.dirichlet(np.full(n, sharp))
    return TabularPolicy.from_arrays(tree, probs)


def kuhn_seat0(first: dict[int, int], after_bet: dict[int, int]) -> TabularPolicy:
    """A pure policy for Kuhn seat 0: ``first[card]`` at the opening, ``after_bet[card]``
    after pass-bet."""
    table: dict[InfosetKey, dict[int, float]] = {}
    for card in (J, Q, K):
        table[(0, (card, ()))] = {a: float(a == first[card]) for a in (PASS, BET)}
        table[(0, (card, (PASS, BET)))] = {a: float(a == after_bet[card]) for a in (PASS, BET)}
    return TabularPolicy(table)


# ---- the reach-weighted mixture ---------------------------------------------------------


def test_naive_mixture_is_wrong_and_reach_weighted_mixture_is_right() -> None:
    """Mixing "always bet, fold when bet into" (A) with "always check, call when bet
    into" (B): only B ever reaches the pass-bet information states, so the mixture must
    call there for sure, and earns exactly 0.3 * A + 0.7 * B against any opponent; the
    naive average calls with probability 0.7 and earns less."""
    game = redqueen.make("kuhn_poker")
    tree = compile_game(game)
    a = kuhn_seat0({J: BET, Q: BET, K: BET}, {J: PASS, Q: PASS, K: PASS})
    b = kuhn_seat0({J: PASS, Q: PASS, K: PASS}, {J: BET, Q: BET, K: BET})
    w = 0.3
    arrays = [a.to_arrays(tree, [0]), b.to_arrays(tree, [0])]
    mixed = mixture_arrays(tree, arrays, [w, 1 - w])
    naive = w * arrays[0] + (1 - w) * arrays[1]
    mixed_policy = TabularPolicy.from_arrays(tree, mixed, players=[0])
    naive_policy = TabularPolicy.from_arrays(tree, naive, players=[0])

    # Reached only by B: the mixture follows B (call); the naive average does not.
    for card in (J, Q, K):
        assert mixed_policy.probabilities(0, (card, (PASS, BET))) == {PASS: 0.0, BET: 1.0}
        assert naive_policy.probabilities(0, (card, (PASS, BET)))[BET] == pytest.approx(0.7)
        # Reached by both at the opening: the weights themselves.
        assert mixed_policy.probabilities(0, (card, ()))[BET] == pytest.approx(w)

    # An opponent that always bets after a check, and calls a bet with K only.
    opponent = TabularPolicy(
        {
            **{(1, (c, (PASS,))): {PASS: 0.0, BET: 1.0} for c in (J, Q, K)},
            **{(1, (c, (BET,))): {PASS: float(c != K), BET: float(c == K)} for c in (J, Q, K)},
        }
    )
    value_a = expected_returns(game, [a, opponent])[0]
    value_b = expected_returns(game, [b, opponent])[0]
    target = w * value_a + (1 - w) * value_b
    assert expected_returns(game, [mixed_policy, opponent])[0] == pytest.approx(target, abs=1e-12)
    naive_value = expected_returns(game, [naive_policy, opponent])[0]
    assert abs(naive_value - target) > 0.05


@pytest.mark.parametrize(
    ("game_id", "seat"),
    [("kuhn_poker", 0), ("kuhn_poker", 1), ("leduc_poker", 0), ("leduc_poker", 1)],
)
def test_mixture_earns_the_weighted_average_against_any_opponent(game_id: str, seat: int) -> None:
    game = redqueen.make(game_id)
    tree = compile_game(game)
    rng = np.random.default_rng(7)
    members = [random_policy(tree, rng, sharp=0.3) for _ in range(3)]
    weights = rng.dirichlet(np.ones(3))
    mixed = mixture_policy(game, members, weights)
    for _ in range(3):
        opponent = random_policy(tree, rng)

        def value(policy: TabularPolicy, opponent: TabularPolicy = opponent) -> float:
            seats = [opponent, opponent]
            seats[seat] = policy
            return float(expected_returns(game, seats)[seat])

        target = sum(w * value(m) for w, m in zip(weights, members, strict=True))
        assert value(mixed) == pytest.approx(target, abs=1e-12)


def test_own_reach_is_the_product_of_the_players_own_moves() -> None:
    """Kuhn seat 0 reaches (card, pass-bet) with its probability of checking at (card)."""
    tree = compile_game(redqueen.make("kuhn_poker"))
    policy = random_policy(tree, np.random.default_rng(3))
    arrays = policy.to_arrays(tree)
    reach = own_reach(tree, [arrays])[0]
    for card in (J, Q, K):
        opening = tree.infoset_index[(0, (card, ()))]
        later = tree.infoset_index[(0, (card, (PASS, BET)))]
        n_hist = 2  # two deals of the opponent's card, same own reach
        assert reach[opening] == pytest.approx(n_hist)
        assert reach[later] == pytest.approx(n_hist * arrays[opening, PASS])


def test_mixture_of_one_policy_or_copies_is_that_policy_and_unreached_states_average() -> None:
    tree = compile_game(redqueen.make("kuhn_poker"))
    rng = np.random.default_rng(0)
    p = random_policy(tree, rng).to_arrays(tree)
    assert np.allclose(mixture_arrays(tree, [p], [1.0]), p, atol=1e-15)
    assert np.allclose(mixture_arrays(tree, [p, p], [0.25, 0.75]), p, atol=1e-15)
    # Neither member checks with the J, so (J, pass-bet) is unreached by both: the
    # mixture there is the weighted average of what they would do.
    a = kuhn_seat0({J: BET, Q: BET, K: BET}, {J: PASS, Q: PASS, K: PASS})
    b = kuhn_seat0({J: BET, Q: PASS, K: PASS}, {J: BET, Q: BET, K: BET})
    mixed = mixture_arrays(tree, [a.to_arrays(tree, [0]), b.to_arrays(tree, [0])], [0.4, 0.6])
    row = tree.infoset_index[(0, (J, (PASS, BET)))]
    assert mixed[row, :2].tolist() == pytest.approx([0.4, 0.6])
    with pytest.raises(InvalidParameterError, match="sum to 1"):
        mixture_arrays(tree, [p, p], [0.5, 0.6])
    with pytest.raises(InvalidParameterError, match="2 policies"):
        mixture_arrays(tree, [p, p], [1.0])


# ---- populations ------------------------------------------------------------------------


def test_population_keeps_members_in_order_and_refuses_duplicate_ids() -> None:
    population = Population(2)
    uniform = TabularPolicy.uniform(redqueen.make("kuhn_poker"))
    assert population.add(0, Member("a", uniform)) == 0
    assert population.add(0, Member("b", uniform, parents=("a",), iteration=1)) == 1
    assert population.add(1, Member("c", uniform)) == 0
    assert population.sizes == (2, 1)
    assert [m.id for m in population[0]] == ["a", "b"]
    assert population.latest(0).id == "b"
    assert [(s, m.id) for s, m in population] == [(0, "a"), (0, "b"), (1, "c")]
    with pytest.raises(InvalidParameterError, match="already has a member 'a'"):
        population.add(1, Member("a", uniform))
    with pytest.raises(InvalidParameterError, match="not one of this population's seats"):
        population.add(2, Member("d", uniform))


def test_population_saves_and_loads_policies_agents_and_lineage(tmp_path: Path) -> None:
    game = redqueen.make("kuhn_poker")
    tree = compile_game(game)
    policy = random_policy(tree, np.random.default_rng(1))
    population = Population(2)
    population.add(0, Member("p0-0", policy.restricted([0]), metadata={"kind": "x"}))
    population.add(1, Member("p1-0", RandomAgent()))
    population.add(0, Member("p0-1", policy.restricted([0]), ("p1-0",), 1, {"value": 0.5}))
    records = population.save(tmp_path, game)
    loaded = Population.load(2, records, tmp_path)
    assert loaded.sizes == (2, 1)
    for (s1, m1), (s2, m2) in zip(population, loaded, strict=True):
        assert (s1, m1.lineage()) == (s2, m2.lineage())
    assert loaded[0][1].policy.table() == policy.restricted([0]).table()
    assert isinstance(loaded[1][0].strategy, RandomAgent)
    assert isinstance(loaded[0][0].agent, PolicyAgent)
    with pytest.raises(RedqueenError, match="not a tabular policy"):
        _ = loaded[1][0].policy


# ---- the payoff table -------------------------------------------------------------------


def test_payoff_table_evaluates_each_pair_once_and_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    game = redqueen.make("kuhn_poker")
    tree = compile_game(game)
    rng = np.random.default_rng(5)
    seen: list[bytes] = []
    real = pop.expected_returns_arrays

    def counting(tree_: GameTree, sigma: np.ndarray) -> np.ndarray:
        seen.append(sigma.tobytes())
        return real(tree_, sigma)

    monkeypatch.setattr(pop, "expected_returns_arrays", counting)
    population = Population(2)
    table = PayoffTable(game, population)
    policies: list[list[TabularPolicy]] = [[], []]

    def grow(seat: int, k: int) -> None:
        for _ in range(k):
            p = random_policy(tree, rng).restricted([seat])
            policies[seat].append(p)
            population.add(seat, Member(f"{seat}-{len(policies[seat])}", p))

    for seat, k, new_pairs in [(0, 1, 0), (1, 1, 1), (0, 1, 1), (1, 2, 4), (0, 2, 6)]:
        grow(seat, k)
        assert table.update() == new_pairs
    assert table.update() == 0
    assert table.sizes == (4, 3)
    assert table.evaluations == len(seen) == 12
    assert len(set(seen)) == 12  # every pair once
    a, b = table.tables()
    for i, j in itertools.product(range(4), range(3)):
        expected = expected_returns(game, [policies[0][i], policies[1][j]])
        assert (a[i, j], b[i, j]) == pytest.approx(tuple(expected), abs=1e-12)
    assert np.array_equal(table.matrix(0), a)


def test_payoff_table_fills_an_n_player_tensor() -> None:
    game = redqueen.make("kuhn_poker", players=3)
    tree = compile_game(game)
    rng = np.random.default_rng(9)
    population = Population(3)
    table = PayoffTable(game, population)
    policies: list[list[TabularPolicy]] = [[], [], []]
    for step, seat in enumerate([0, 1, 2, 0]):
        p = random_policy(tree, rng).restricted([seat])
        policies[seat].append(p)
        population.add(seat, Member(f"m{step}", p))
        table.update()
    assert table.sizes == (2, 1, 1)
    assert table.evaluations == 2
    population.add(1, Member("m4", random_policy(tree, rng).restricted([1])))
    policies[1].append(population.latest(1).policy)
    assert table.update() == 2
    tensors = table.tables()
    assert np.allclose(sum(tensors), 0.0, atol=1e-12)  # zero-sum at every profile
    for profile in itertools.product(range(2), range(2), range(1)):
        chosen = [policies[s][i] for s, i in enumerate(profile)]
        expected = expected_returns(game, chosen)
        assert [t[profile] for t in tensors] == pytest.approx(list(expected), abs=1e-12)


def test_payoff_table_needs_tabular_members_and_matching_seats() -> None:
    game = redqueen.make("kuhn_poker")
    with pytest.raises(InvalidParameterError, match="2 seats but the population has 3"):
        PayoffTable(game, Population(3))
    population = Population(2)
    population.add(0, Member("r", RandomAgent()))
    population.add(1, Member("u", TabularPolicy.uniform(game)))
    with pytest.raises(RedqueenError, match="not a tabular policy"):
        PayoffTable(game, population).update()


# ---- opponent samplers ------------------------------------------------------------------


def test_latest_and_uniform_weights() -> None:
    assert latest_weights(4).tolist() == [0, 0, 0, 1]
    assert uniform_weights(4).tolist() == [0.25] * 4
    assert uniform_weights(5, window=2).tolist() == [0, 0, 0, 0.5, 0.5]
    assert uniform_weights(2, window=5).tolist() == [0.5, 0.5]
    with pytest.raises(InvalidParameterError):
        latest_weights(0)
    with pytest.raises(InvalidParameterError):
        uniform_weights(3, window=0)


def test_pfsp_weights_follow_alphastar() -> None:
    rates = [0.9, 0.5, 0.0]
    # f_hard(x) = (1 - x)^2: 0.01, 0.25, 1
    assert pfsp_weights(rates).tolist() == pytest.approx([0.01 / 1.26, 0.25 / 1.26, 1 / 1.26])
    assert pfsp_weights(rates, p=1).tolist() == pytest.approx([0.1 / 1.6, 0.5 / 1.6, 1 / 1.6])
    # f_var(x) = x (1 - x): 0.09, 0.25, 0
    assert pfsp_weights(rates, "variance").tolist() == pytest.approx([0.09 / 0.34, 0.25 / 0.34, 0])
    assert pfsp_weights(rates, "linear_capped").tolist() == pytest.approx(
        [0.1 / 1.1, 0.5 / 1.1, 0.5 / 1.1]
    )
    # The learner beats everyone: uniform, as in AlphaStar's pseudocode.
    assert pfsp_weights([1.0, 1.0]).tolist() == [0.5, 0.5]
    with pytest.raises(InvalidParameterError, match=r"\[0, 1\]"):
        pfsp_weights([1.2])
    with pytest.raises(UnknownNameError):
        pfsp_weights([0.5], "cubic")  # type: ignore[arg-type]


def test_nash_weights_of_meta_games() -> None:
    rps = np.array([[0, -1, 1], [1, 0, -1], [-1, 1, 0]], dtype=float)
    assert nash_weights([rps])[0].tolist() == pytest.approx([1 / 3] * 3)
    x, y = nash_weights([rps, -rps])
    assert x.tolist() == pytest.approx([1 / 3] * 3) and y.tolist() == pytest.approx([1 / 3] * 3)
    # Matching pennies with a dominated third row.
    a = np.array([[1.0, -1.0], [-1.0, 1.0], [-2.0, -2.0]])
    x, y = nash_weights([a, -a])
    assert x.tolist() == pytest.approx([0.5, 0.5, 0.0]) and y.tolist() == pytest.approx([0.5, 0.5])
    # General sum (prisoner's dilemma): both defect.
    a = np.array([[3.0, 0.0], [5.0, 1.0]])
    x, y = nash_weights([a, a.T])
    assert x.tolist() == [0.0, 1.0] and y.tolist() == [0.0, 1.0]


def test_sample_member_draws_by_weight_with_the_callers_generator() -> None:
    uniform = TabularPolicy.uniform(redqueen.make("kuhn_poker"))
    members = [Member(str(i), uniform) for i in range(3)]
    rng = np.random.default_rng(0)
    draws = [sample_member(members, [0.2, 0.0, 0.8], rng).id for _ in range(4000)]
    assert draws.count("1") == 0
    assert draws.count("0") / 4000 == pytest.approx(0.2, abs=0.02)
    again = [sample_member(members, [0.2, 0.0, 0.8], np.random.default_rng(0)).id for _ in range(1)]
    assert again == draws[:1]
