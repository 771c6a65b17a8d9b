"""The tree compiler: sizes of known trees, structural invariants, sequentialised
simultaneous moves, levels for an information state that spans depths, the size limit
and the cache."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pytest
from toy_games import CoinGuessGame, LeakyInfoKey

import redqueen
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games import CHANCE, TERMINAL, Game, GameSpec, State
from redqueen.games.core import ChanceMode
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import nash_conv
from redqueen.solve.tree import GameTree, compile_game


class HiddenDelayGame(Game):
    """A fair coin; on heads player 1 moves first (``x``), then player 0 moves (``y``)
    without seeing the coin or ``x``; on tails player 0 moves at once and player 1 then
    answers (``z``) seeing ``y``. Player 0's one information state holds a history at
    depth 2 and one at depth 1, so the compiler must put them on one level."""

    HEADS = ((2.0, -1.0), (-1.0, 1.0))  # player 0's payoff [x][y]
    TAILS = ((0.0, 3.0), (1.0, -2.0))  # player 0's payoff [y][z]

    def __init__(self) -> None:
        super().__init__(
            GameSpec(
                id="hidden_delay",
                num_players=2,
                num_distinct_actions=2,
                max_game_length=3,
                min_utility=-3,
                max_utility=3,
                chance=ChanceMode.EXPLICIT,
                max_chance_outcomes=2,
            )
        )

    def new_initial_state(self) -> State:
        return HiddenDelayState(self)

    def rules_text(self) -> str:
        return "see the class docstring"


class HiddenDelayState(State):
    def __init__(self, game: Game) -> None:
        super().__init__(game)
        self.coin: int | None = None
        self.x: int | None = None
        self.y: int | None = None
        self.z: int | None = None

    def current_player(self) -> int:
        if self.coin is None:
            return CHANCE
        if self.coin == 0:
            if self.x is None:
                return 1
            return 0 if self.y is None else TERMINAL
        if self.y is None:
            return 0
        return 1 if self.z is None else TERMINAL

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        return [(0, 0.5), (1, 0.5)]

    def _legal_actions(self, player: int) -> list[int]:
        return [0, 1]

    def _apply_action(self, action: int) -> None:
        if self.coin is None:
            self.coin = action
        elif self.coin == 0 and self.x is None:
            self.x = action
        elif self.y is None:
            self.y = action
        else:
            self.z = action

    def returns(self) -> list[float]:
        if self.current_player() != TERMINAL:
            return [0.0, 0.0]
        assert self.y is not None
        if self.coin == 0:
            assert self.x is not None
            u = HiddenDelayGame.HEADS[self.x][self.y]
        else:
            assert self.z is not None
            u = HiddenDelayGame.TAILS[self.y][self.z]
        return [u, -u]

    def information_state_key(self, player: int) -> Hashable:
        if player == 0:
            return ("p0", self.y)
        return ("p1", self.coin, self.x, self.y)

    def observation_text(self, player: int) -> str:
        return str(self.information_state_key(player))

    def _action_text(self, player: int, action: int) -> str:
        return str(action)


def _history_state(game: Game, tree: GameTree, node: int) -> tuple[State, int | None]:
    """Replay the actions on the path to ``node``; for a sequentialised simultaneous node,
    also return the seats' choices pending there."""
    path = []
    n = node
    while n > 0:
        path.append(n)
        n = int(tree.parent[n])
    state = game.new_initial_state()
    pending: list[int] = []
    for n in reversed(path):
        a = int(tree.action[n])
        if state.is_simultaneous_node():
            pending.append(a)
            if len(pending) == game.num_players:
                state.apply_joint_action(pending)
                pending = []
        else:
            state.apply_action(a)
    return state, (len(pending) if state.is_simultaneous_node() else None)


@pytest.mark.parametrize(
    ("game_id", "params", "histories", "infosets", "terminals", "levels"),
    [
        ("kuhn_poker", {}, 58, 12, 30, 6),
        ("kuhn_poker", {"players": 3}, 617, 48, 312, 9),
        ("leduc_poker", {}, 9457, 936, 5520, 12),
        ("matching_pennies", {}, 7, 2, 4, 3),
    ],
)
def test_sizes_of_known_trees(
    game_id: str, params: dict[str, int], histories: int, infosets: int, terminals: int, levels: int
) -> None:
    # Kuhn's 58 and Leduc's 9,457 histories are OpenSpiel's counts (crosscheck tests).
    tree = compile_game(redqueen.make(game_id, **params))
    assert tree.num_nodes == histories
    assert tree.num_infosets == infosets
    assert tree.num_terminals == terminals
    assert tree.num_levels == levels


def test_tic_tac_toe_compiles() -> None:
    # How fast is the benchmark's business (benchmarks/cfr.py), not a test's.
    game = redqueen.make("tic_tac_toe")
    tree = compile_game(game, cache=False)
    assert tree.num_nodes == 549_946  # OpenSpiel's count of tic-tac-toe histories
    assert tree.num_terminals == 255_168  # the well-known number of possible games
    assert tree.num_infosets == 4_520  # positions with a player to move (transpositions merge)
    assert not tree.perfect_recall


@pytest.mark.parametrize(
    "game",
    [
        redqueen.make("kuhn_poker"),
        redqueen.make("kuhn_poker", players=3),
        redqueen.make("leduc_poker"),
        CoinGuessGame(),
        HiddenDelayGame(),
    ],
    ids=["kuhn2", "kuhn3", "leduc", "coin_guess", "hidden_delay"],
)
def test_structure_invariants(game: Game) -> None:
    tree = compile_game(game)
    n = tree.num_nodes
    assert tree.parent[0] == -1 and np.all(tree.parent[1:] >= 0)
    # Levels are contiguous, children sit below their parents, depth counts steps.
    assert np.all(np.diff(tree.level) >= 0)
    assert np.all(tree.level[1:] > tree.level[tree.parent[1:]])
    assert np.array_equal(tree.depth[1:], tree.depth[tree.parent[1:]] + 1)
    # Every information state sits on one level and belongs to its player.
    dec = np.flatnonzero(tree.infoset >= 0)
    assert np.array_equal(tree.level[dec], tree.infoset_level[tree.infoset[dec]])
    assert np.array_equal(tree.player[dec], tree.infoset_player[tree.infoset[dec]])
    assert np.all(np.diff(tree.infoset_player) >= 0)  # contiguous per player
    # Chance probabilities of each chance node sum to 1; moves have probability 1.
    chance_kids = np.flatnonzero(tree.parent_player == CHANCE)
    sums = np.bincount(tree.parent[chance_kids], weights=tree.chance_prob[chance_kids], minlength=n)
    assert np.allclose(sums[tree.player == CHANCE], 1.0)
    assert np.all(tree.chance_prob[tree.parent_player >= 0] == 1.0)
    # A decision node has one child per legal action, in order, each with its slot.
    kids = tree.decision_children
    inf = tree.infoset[tree.parent[kids]]
    assert np.array_equal(tree.infoset_actions[inf, tree.slot[kids]], tree.action[kids])
    counts = np.bincount(tree.parent[kids], minlength=n)
    assert np.array_equal(counts[dec], tree.infoset_num_actions[tree.infoset[dec]])
    # Non-terminal nodes have zero utilities; terminal ones are zero-sum here.
    assert not tree.utilities[tree.player != TERMINAL].any()
    assert np.allclose(tree.utilities.sum(axis=1), 0.0)
    # Replaying each node's path reaches the same player, key, legal actions, returns.
    for node in range(0, n, max(1, n // 400)):
        state, seat = _history_state(game, tree, node)
        who = tree.player[node]
        if seat is not None:
            assert who == seat
        else:
            assert who == state.current_player()
        if who >= 0:
            key = tree.infoset_keys[tree.infoset[node]]
            assert key == (who, state.information_state_key(int(who)))
            legal = tree.infoset_actions[tree.infoset[node]]
            assert legal[legal >= 0].tolist() == state.legal_actions(int(who))
        elif who == TERMINAL:
            assert tree.utilities[node].tolist() == state.returns()


def test_simultaneous_moves_are_sequentialised_without_seeing_the_earlier_seat() -> None:
    tree = compile_game(redqueen.make("matching_pennies"))
    assert tree.sequentialised
    assert tree.player[:3].tolist() == [0, 1, 1]
    # Seat 1 moves at two histories (after each choice of seat 0): one information state.
    assert tree.infoset[1] == tree.infoset[2]
    assert tree.infoset_keys == ((0, ()), (1, ()))
    assert tree.perfect_recall
    coin = compile_game(CoinGuessGame())
    assert coin.num_nodes == 1 + 2 * (1 + 2 + 4)
    assert coin.num_infosets == 2  # each seat guesses without seeing the coin


def test_an_information_state_spanning_depths_is_put_on_one_level() -> None:
    tree = compile_game(HiddenDelayGame())
    (p0,) = [i for i, k in enumerate(tree.infoset_keys) if k == (0, ("p0", None))]
    nodes = np.flatnonzero(tree.infoset == p0)
    assert sorted(tree.depth[nodes].tolist()) == [1, 2, 2]  # tails; heads after x = 0, 1
    assert tree.level[nodes].tolist() == [2, 2, 2]
    assert tree.perfect_recall


def test_too_large_a_game_is_refused_before_it_is_walked() -> None:
    game = redqueen.make("tic_tac_toe")
    with pytest.raises(InvalidParameterError, match=r"more than 1,000 histories.*mccfr"):
        compile_game(game, max_histories=1000, cache=False)
    with pytest.raises(InvalidParameterError, match="max_histories"):
        compile_game(game, max_histories=0)


def test_inconsistent_information_states_are_reported() -> None:
    with pytest.raises(RedqueenError, match=r"information state .* legal actions"):
        compile_game(LeakyInfoKey(), cache=False)


def test_trees_are_cached_per_game_spec() -> None:
    a = compile_game(redqueen.make("kuhn_poker"))
    assert compile_game(redqueen.make("kuhn_poker")) is a
    assert compile_game(redqueen.make("kuhn_poker", players=3)) is not a
    assert compile_game(a) is a
    with pytest.raises(InvalidParameterError, match="more than 10 histories"):
        compile_game(redqueen.make("kuhn_poker"), max_histories=10)


def test_uniform_values_match_a_walk_of_the_game() -> None:
    game = redqueen.make("leduc_poker")
    tree = compile_game(game)
    values = tree.values(tree.edge_probabilities(tree.uniform_policy()))

    def walk(state: State) -> np.ndarray:
        if state.is_terminal():
            return np.array(state.returns())
        if state.is_chance_node():
            outcomes = state.chance_outcomes()
        else:
            legal = state.legal_actions()
            outcomes = [(a, 1 / len(legal)) for a in legal]
        total = np.zeros(2)
        for a, p in outcomes:
            child = state.clone()
            child.apply_action(a)
            total += p * walk(child)
        return total

    assert np.allclose(values[0], walk(game.new_initial_state()), atol=1e-12)
    assert values[0].tolist() == pytest.approx([-0.078125, 0.078125], abs=1e-12)


def _walk_value(state: State, table: dict[tuple[int, Hashable], dict[int, float]]) -> float:
    """Player 0's expected return under ``table``, by recursion through the State API."""
    if state.is_terminal():
        return state.returns()[0]
    if state.is_chance_node():
        outcomes = state.chance_outcomes()
    else:
        p = state.current_player()
        outcomes = list(table[(p, state.information_state_key(p))].items())
    total = 0.0
    for a, prob in outcomes:
        child = state.clone()
        child.apply_action(a)
        total += prob * _walk_value(child, table)
    return total


def test_solvers_are_exact_on_an_information_state_spanning_depths() -> None:
    from scipy.optimize import linprog

    from redqueen.solve.cfr import solve
    from redqueen.solve.policy import TabularPolicy
    from redqueen.solve.responses import best_response, expected_returns

    game = HiddenDelayGame()
    keys = compile_game(game).infoset_keys
    mine = [k for k in keys if k[0] == 0]
    theirs = [k for k in keys if k[0] == 1]

    def pure(ks: list[tuple[int, Hashable]], bits: tuple[int, ...]) -> dict:
        return {k: {0: float(b == 0), 1: float(b == 1)} for k, b in zip(ks, bits, strict=True)}

    rows = [pure(mine, (b,)) for b in (0, 1)]
    cols = [pure(theirs, bits) for bits in np.ndindex(*(2,) * len(theirs))]
    payoff = np.array(
        [[_walk_value(game.new_initial_state(), {**r, **c}) for c in cols] for r in rows]
    )
    # Best responses against a fixed mixed strategy: the best column / row, enumerated.
    rng = np.random.default_rng(0)
    for _ in range(5):
        p = rng.random()
        mixed0 = TabularPolicy({mine[0]: {0: p, 1: 1 - p}})
        _, v1 = best_response(game, mixed0, 1)
        assert v1 == pytest.approx(-min(p * payoff[0] + (1 - p) * payoff[1]), abs=1e-12)
        q = rng.random(len(cols))
        q /= q.sum()
        table1 = {k: {0: 0.0, 1: 0.0} for k in theirs}
        for weight, c in zip(q, cols, strict=True):  # behaviour form of the mixture
            for k in theirs:
                table1[k][0] += weight * c[k][0]
                table1[k][1] += weight * c[k][1]
        # Player 1's information states are each reached by one history, so the
        # behaviour form plays exactly like the mixture.
        _, v0 = best_response(game, TabularPolicy(table1), 0)
        assert v0 == pytest.approx(max(payoff @ q), abs=1e-12)
    # The game's value by linear programming; CFR+ reaches it.
    lp = linprog(
        c=[0, 0, -1],
        A_ub=np.column_stack([-payoff.T, np.ones(len(cols))]),
        b_ub=np.zeros(len(cols)),
        A_eq=[[1, 1, 0]],
        b_eq=[1],
        bounds=[(0, 1), (0, 1), (None, None)],
    )
    value = -lp.fun
    assert value == pytest.approx(-0.5, abs=1e-9)
    result = solve(game, "cfr+", 500)
    assert result.final < 1e-3
    assert expected_returns(game, result.average_policy)[0] == pytest.approx(value, abs=2e-3)


def test_games_outside_the_registry_are_cached_by_identity() -> None:
    # Two games with the same class, id and (empty) parameters but different rules must not
    # share a tree: only built-in games are fully described by their parameters.
    from toy_games import CoinGuessGame, CoinGuessState

    class BiasedCoin(CoinGuessGame):
        def __init__(self, heads: float) -> None:
            super().__init__()
            self.heads = heads

        def new_initial_state(self) -> CoinGuessState:
            state = _Biased(self)
            return state

    class _Biased(CoinGuessState):
        def _chance_outcomes(self) -> list[tuple[int, float]]:
            h = self.game.heads  # type: ignore[attr-defined]
            return [(0, h), (1, 1 - h)]

    fair, loaded = BiasedCoin(0.6), BiasedCoin(0.9)
    assert compile_game(fair) is compile_game(fair)
    tree_fair, tree_loaded = compile_game(fair), compile_game(loaded)
    assert tree_fair is not tree_loaded
    uniform = TabularPolicy.uniform(loaded)
    # Guessing at random against a 0.9 coin: the best response guesses heads always.
    assert nash_conv(loaded, uniform) == pytest.approx(2 * 0.4, abs=1e-12)
    assert nash_conv(fair, TabularPolicy.uniform(fair)) == pytest.approx(2 * 0.1, abs=1e-12)
