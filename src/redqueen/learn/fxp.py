"""Fictitious Cross-Play (FXP) on two-team zero-sum normal-form games, with exact team
best responses.

Xu, Liang, Yu, Wang & Wu (2023), "Fictitious Cross-Play: Learning Global Nash
Equilibrium in Mixed Cooperative-Competitive Games" (arXiv:2310.03354; extended as
"Generalized Fictitious Cross-Play", JMLR 2025). In a game where two *teams* of agents
compete (each agent's payoff is its team's, and the teams' payoffs sum to zero),
self-play trains every agent against the others held fixed, so it can stop at a *local*
Nash equilibrium: no single agent gains by deviating, yet a team that changed its agents'
play *together* would. A *global* Nash equilibrium is a profile no team can improve on
by any joint deviation. PSRO with team best responses finds one, but retrains each
response from scratch. FXP trains two things at once:

- a **main policy**, by fictitious self-play (each agent best-responds to the average
  of the main policy's past play) plus, with weight ``eta``, *cross-play*: a best
  response of its team to the counter population's Nash mixture;
- a **counter population** per team: each new counter policy is a team best response to
  the Nash mixture of the opposing team's past main checkpoints (the Nash equilibrium of
  the meta-game "this team's counters against the other team's main checkpoints").

Here every step is exact: a game is its team-A payoff tensor (one axis per agent, team
A's agents first), mixed strategies are per agent (a product within the team), a team
best response enumerates the team's joint pure actions against the contracted tensor, and
meta-games are solved by linear programming
(:func:`~redqueen.solve.normal_form.zero_sum_nash`). The main policy is the fictitious
average ``pi_{t+1} = (1 - a) pi_t + a ((1 - eta) b_t + eta c_t)`` with ``a = 1/(t+2)``,
where ``b_t`` are the agents' individual best responses to ``pi_t`` and ``c_t`` the
team best responses in cross-play, each to a mixture of the opposing team: its
counters' Nash mixture (share ``counter_share``) and its main policy (the rest; see
:attr:`FXPConfig.counter_share` for why not the counters alone). ``eta = 0`` is plain
fictitious self-play (the "SP" baseline). Exploitability is the mean, over the two
teams, of what a team best response gains against the profile (half the team NashConv;
0 exactly at a global equilibrium).

**The counterexample** (:func:`team_stag_hunt`). The paper's matrix could not be found
in our references, so this module builds an equivalent two-team zero-sum game with the
property the paper needs. Each team has two agents with actions ``hare_1, hare_2,
stag``; a team's *coordination score* ``R`` is ``+1`` when both agents hunt hare (either
hare action), ``+2`` when both hunt stag and ``-2`` when they miscoordinate. Team A
receives ``R(A) - R(B)`` and team B the negative. Then (proved in
``tests/learn/test_fxp.py``):

1. "everyone hunts hare" is a *local* Nash equilibrium (an agent that switches to stag
   alone drops its team from +1 to -2) but not a global one (the team switching
   together gains 1);
2. "everyone hunts stag" is the global Nash equilibrium (2 is the most a team can score,
   whatever the other team does);
3. fictitious self-play from the uniform policy never leaves the hare basin: stag is an
   agent's best response only if its teammate hunts stag with probability above 3/7
   (``4p - 2 > 1 - 3p``), the uniform start has ``p = 1/3``, and every step then moves
   toward a hare action, so ``p`` only falls; exploitability tends to 1;
4. FXP's counters are team best responses, which hunt stag; cross-play moves a share
   ``eta`` of each step toward stag, so ``p`` passes 3/7, after which the individual
   best responses hunt stag too, and exploitability falls to 0 as ``O(1/t)``.

:func:`team_game_from_tree` turns a small two-player zero-sum extensive-form game
(compiled, :mod:`redqueen.solve.tree`) into its normal form with one agent per team
(pure strategies enumerated; payoffs exact, from reach sweeps of the tree), so FXP also runs on, for
example, Kuhn poker.

With a :class:`~redqueen.store.run_store.RunStore` each iteration logs
``exploitability`` (``step``: the iteration; the metric is prefixed by ``label`` when
one is given) and saves the whole state under the meta key ``fxp`` (or
``fxp:<label>``); calling :func:`fxp` again on the run resumes after the last finished
iteration.
"""

from __future__ import annotations

import itertools
import string
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError
from redqueen.games.core import TERMINAL, Game
from redqueen.learn.population import check_two_player_zero_sum
from redqueen.solve.normal_form import zero_sum_nash
from redqueen.solve.tree import GameTree, compile_game

if TYPE_CHECKING:  # the store is a layer to the right: a run is handed one
    from redqueen.store.run_store import RunStore

FloatArray = NDArray[np.float64]
Profile = list[FloatArray]
"""One mixed strategy (a probability vector over its actions) per agent, team A's
agents first."""

ALGORITHM = "fxp"
MAX_PURE_STRATEGIES = 4096
""":func:`team_game_from_tree` refuses games with more pure strategies per player."""


# ---- two-team games ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TeamGame:
    """A two-team zero-sum normal-form game: ``payoff[a_1, ..., a_k, b_1, ..., b_m]`` is
    team A's payoff when its agents play ``a_1..a_k`` and team B's play ``b_1..b_m``
    (team B receives the negative). ``team_sizes = (k, m)``."""

    name: str
    payoff: FloatArray
    team_sizes: tuple[int, int]
    action_names: tuple[tuple[str, ...], ...] = ()

    def __post_init__(self) -> None:
        k, m = self.team_sizes
        if k < 1 or m < 1 or self.payoff.ndim != k + m:
            raise InvalidParameterError(
                f"a two-team game needs one payoff axis per agent: team sizes {self.team_sizes}"
                f" but the payoff has {self.payoff.ndim} axes"
            )
        if self.payoff.ndim > len(string.ascii_letters):
            raise InvalidParameterError(f"at most {len(string.ascii_letters)} agents")

    @property
    def num_agents(self) -> int:
        return self.payoff.ndim

    def team(self, team: int) -> list[int]:
        """The agent indices of ``team`` (0 or 1)."""
        k = self.team_sizes[0]
        return list(range(k)) if team == 0 else list(range(k, self.num_agents))

    def uniform(self) -> Profile:
        return [np.full(n, 1.0 / n) for n in self.payoff.shape]


def _contract(payoff: FloatArray, strategies: dict[int, FloatArray]) -> FloatArray:
    """``payoff`` with the axes of the agents in ``strategies`` summed against them; the
    remaining axes keep their order."""
    letters = string.ascii_letters[: payoff.ndim]
    operands: list[Any] = [payoff]
    subscripts = [letters]
    for agent, p in strategies.items():
        operands.append(p)
        subscripts.append(letters[agent])
    kept = "".join(c for i, c in enumerate(letters) if i not in strategies)
    return np.asarray(np.einsum(",".join(subscripts) + "->" + kept, *operands))


def team_value(game: TeamGame, profile: Profile) -> float:
    """Team A's expected payoff under ``profile``."""
    return float(_contract(game.payoff, dict(enumerate(profile))))


def agent_action_values(game: TeamGame, profile: Profile, agent: int) -> FloatArray:
    """The payoff to ``agent``'s team of each of its actions, all other agents playing
    ``profile``."""
    others = {i: p for i, p in enumerate(profile) if i != agent}
    values = _contract(game.payoff, others)
    return values if agent < game.team_sizes[0] else -values


def team_best_response_to_mixture(
    game: TeamGame, team: int, opponents: Sequence[Profile], weights: Sequence[float]
) -> tuple[tuple[int, ...], float]:
    """The best joint pure action of ``team`` (one action per agent) against the
    opposing team playing ``opponents[j]`` (its part of a profile) with probability
    ``weights[j]``, and its value for the team."""
    other = game.team(1 - team)
    sign = 1.0 if team == 0 else -1.0
    total: FloatArray | None = None
    for w, prof in zip(weights, opponents, strict=True):
        if w <= 0:
            continue
        part = w * _contract(game.payoff, {i: prof[i] for i in other})
        total = part if total is None else total + part
    assert total is not None
    total = sign * total
    flat = int(np.argmax(total))  # ties: the first joint action in index order
    return tuple(int(i) for i in np.unravel_index(flat, total.shape)), float(total.flat[flat])


def team_best_response(
    game: TeamGame, profile: Profile, team: int
) -> tuple[tuple[int, ...], float]:
    """The best joint pure action of ``team`` against ``profile``, and its value."""
    return team_best_response_to_mixture(game, team, [profile], [1.0])


def exploitability(game: TeamGame, profile: Profile) -> float:
    """The mean over the two teams of what a team best response gains against
    ``profile`` (0 exactly at a global Nash equilibrium)."""
    v = team_value(game, profile)
    gain_a = team_best_response(game, profile, 0)[1] - v
    gain_b = team_best_response(game, profile, 1)[1] + v
    return max(0.0, (gain_a + gain_b) / 2)


def local_gain(game: TeamGame, profile: Profile) -> float:
    """The most any single agent gains by deviating alone (0 at a local Nash
    equilibrium)."""
    v = team_value(game, profile)
    best = 0.0
    for agent in range(game.num_agents):
        own = v if agent < game.team_sizes[0] else -v
        best = max(best, float(agent_action_values(game, profile, agent).max()) - own)
    return best


def pure_profile(game: TeamGame, actions: Sequence[int]) -> Profile:
    """The profile in which agent ``i`` plays ``actions[i]``."""
    out = []
    for n, a in zip(game.payoff.shape, actions, strict=True):
        p = np.zeros(n)
        p[int(a)] = 1.0
        out.append(p)
    return out


HARE_1, HARE_2, STAG = 0, 1, 2


def team_stag_hunt(hare: float = 1.0, stag: float = 2.0, miss: float = -2.0) -> TeamGame:
    """The FXP counterexample built here (module docstring): two teams of two agents,
    actions ``hare_1, hare_2, stag``; team A receives ``R(A) - R(B)`` where a team's
    coordination score ``R`` is ``hare`` when both its agents hunt hare, ``stag`` when
    both hunt stag and ``miss`` otherwise. Needs ``stag > hare > miss``."""
    if not stag > hare > miss:
        raise InvalidParameterError(
            f"the counterexample needs stag > hare > miss; got {stag}, {hare}, {miss}"
        )
    r = np.full((3, 3), float(miss))
    r[:2, :2] = hare
    r[STAG, STAG] = stag
    payoff = r[:, :, None, None] - r[None, None, :, :]
    names = ("hare_1", "hare_2", "stag")
    return TeamGame("team_stag_hunt", payoff, (2, 2), (names,) * 4)


def team_game_from_tree(game: Game | GameTree) -> TeamGame:
    """The normal form of a two-player zero-sum game (one agent per team): each
    player's pure strategies (one action per information state, in the tree's order)
    and player 0's exact expected return for every pair."""
    tree = compile_game(game)
    check_two_player_zero_sum(tree, "FXP on a game tree")
    pures: list[list[FloatArray]] = []
    for seat in range(2):
        block = tree.player_infosets(seat)
        counts = [int(c) for c in tree.infoset_num_actions[block]]
        total = int(np.prod(counts)) if counts else 1
        if total > MAX_PURE_STRATEGIES:
            raise InvalidParameterError(
                f"{tree.game_id} has {total} pure strategies for player {seat}; FXP's normal "
                f"form is for games with at most {MAX_PURE_STRATEGIES}"
            )
        seat_pures = []
        for choice in itertools.product(*(range(c) for c in counts)):
            arr = np.zeros((block.stop - block.start, tree.max_actions))
            arr[np.arange(len(choice)), list(choice)] = 1.0
            seat_pures.append(arr)
        pures.append(seat_pures)
    # u0(i, j) = sum over terminals z of chance(z) x_i(z) y_j(z) u0(z), where x_i(z) is
    # the product of pure strategy i's own moves on the path to z (0 or 1): one reach
    # sweep per player for all its pure strategies at once, then one matrix product.
    terminal = np.flatnonzero(tree.player == TERMINAL)
    weight = tree.reach(tree.chance_prob.copy())[terminal] * tree.utilities[terminal, 0]
    own = []
    for seat in range(2):
        block = tree.player_infosets(seat)
        factors = np.ones((tree.num_nodes, len(pures[seat])))
        moved = tree.parent_player == seat
        for k, arr in enumerate(pures[seat]):
            sigma = tree.uniform_policy()
            sigma[block] = arr
            factors[moved, k] = tree.edge_probabilities(sigma)[moved]
        own.append(tree.reach(factors)[terminal])
    payoff = np.asarray(own[0].T @ (weight[:, None] * own[1]), dtype=np.float64)
    # sums in another order round differently; rounding keeps exact ties exact, so best
    # responses break them the same way (by index) however the payoffs were summed
    payoff = np.round(payoff, 12)
    return TeamGame(tree.game_id, payoff, (1, 1))


# ---- FXP ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FXPConfig:
    """FXP's hyperparameters (the game is an argument of :func:`fxp`)."""

    iterations: int = 200
    """Main-policy updates (each also adds one counter policy per team when eta > 0)."""
    eta: float = 0.5
    """Share of each main update that is cross-play against the counter population
    (0: fictitious self-play alone, the SP baseline)."""

    counter_share: float = 0.5
    """In cross-play the main team best-responds to a mixture of the opposing team:
    this share of the counters' Nash mixture, the rest the opposing main policy. With
    counters alone (1.0) cross-play keeps pulling the main policy toward *some* best
    response to an equilibrium, which need not be one: on Kuhn poker exploitability
    then rises again after 30 iterations (0.245 after 200), while 0.5 gives 0.0035
    (fictitious self-play alone: 0.017)."""

    def __post_init__(self) -> None:
        if isinstance(self.iterations, bool) or not isinstance(self.iterations, int):
            raise InvalidParameterError(
                f"iterations must be a non-negative integer; got {self.iterations!r}"
            )
        if not 0.0 < float(self.counter_share) <= 1.0:
            raise InvalidParameterError(
                f"counter_share must be in (0, 1]; got {self.counter_share!r}"
            )
        if self.iterations < 0:
            raise InvalidParameterError(
                f"iterations must be a non-negative integer; got {self.iterations!r}"
            )
        if isinstance(self.eta, bool) or not isinstance(self.eta, int | float):
            raise InvalidParameterError(f"eta must be a number in [0, 1]; got {self.eta!r}")
        if not 0.0 <= float(self.eta) <= 1.0:
            raise InvalidParameterError(f"eta must be a number in [0, 1]; got {self.eta!r}")


@dataclass(eq=False)
class FXPResult:
    """What :func:`fxp` returns."""

    game: str
    config: FXPConfig
    main: Profile
    """The final main policy, one mixed strategy per agent."""
    counters: list[list[tuple[int, ...]]]
    """Per team, its counter policies (joint pure actions), oldest first."""
    curve: list[tuple[int, float]]
    """``(iteration, exploitability of the main policy)`` from iteration 0."""
    stag_share: list[float] = field(default_factory=list)
    """Per iteration, the main policy's mean probability of each agent's last action
    (``stag`` in :func:`team_stag_hunt`)."""
    wall_time: float = 0.0

    @property
    def final(self) -> float:
        return self.curve[-1][1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "game": self.game,
            "algorithm": ALGORITHM,
            "config": asdict(self.config),
            "final": self.final,
            "curve": [list(p) for p in self.curve],
            "main": [p.tolist() for p in self.main],
            "counters": [[list(c) for c in team] for team in self.counters],
            "wall_time": self.wall_time,
        }


def _team_part(game: TeamGame, profile: Profile, team: int) -> Profile:
    """``profile`` with only ``team``'s agents meaningful (others uniform)."""
    mine = set(game.team(team))
    uniform = game.uniform()
    return [p if i in mine else uniform[i] for i, p in enumerate(profile)]


def _counter_profiles(game: TeamGame, team: int, counters: list[tuple[int, ...]]) -> list[Profile]:
    """``team``'s counters as profiles (the other team's rows uniform)."""
    out = []
    for joint in counters:
        actions = [0] * game.num_agents
        for agent, a in zip(game.team(team), joint, strict=True):
            actions[agent] = a
        out.append(_team_part(game, pure_profile(game, actions), team))
    return out


class _MetaGame:
    """The meta-game of ``team``'s counters (rows) against the other team's main
    checkpoints (columns), in ``team``'s payoffs, grown incrementally: an entry, once
    computed, never changes."""

    def __init__(self, game: TeamGame, team: int) -> None:
        self.game, self.team = game, team
        self.sign = 1.0 if team == 0 else -1.0
        self.rows: list[Profile] = []
        self.cols: list[Profile] = []
        self.values = np.zeros((0, 0))

    def _value(self, row: Profile, col: Profile) -> float:
        mine = set(self.game.team(self.team))
        prof = [row[a] if a in mine else col[a] for a in range(self.game.num_agents)]
        return self.sign * team_value(self.game, prof)

    def add_row(self, row: Profile) -> None:
        new = np.array([[self._value(row, c) for c in self.cols]]).reshape(1, len(self.cols))
        self.rows.append(row)
        self.values = np.vstack([self.values, new])

    def add_col(self, col: Profile) -> None:
        new = np.array([self._value(r, col) for r in self.rows]).reshape(len(self.rows), 1)
        self.cols.append(col)
        self.values = np.hstack([self.values, new])

    def nash(self) -> tuple[FloatArray, FloatArray]:
        if self.values.shape[0] == 1:  # one counter: the columns best against it
            y = np.zeros(self.values.shape[1])
            y[int(np.argmin(self.values[0]))] = 1.0
            return np.ones(1), y
        sol = zero_sum_nash(self.values)
        return sol.row_strategy, sol.col_strategy


def fxp(
    game: TeamGame | Game | GameTree,
    config: FXPConfig | None = None,
    store: RunStore | None = None,
    label: str = "",
    callback: Callable[[int, float], bool | None] | None = None,
) -> FXPResult:
    """Run FXP (module docstring) on a two-team game, or on a small two-player zero-sum
    extensive-form game through its normal form; ``label`` names the run's metrics and
    checkpoint when several FXP runs share one store. ``callback(iteration,
    exploitability)`` may return True to stop."""
    start = time.perf_counter()
    config = config or FXPConfig()
    team_game = game if isinstance(game, TeamGame) else team_game_from_tree(game)
    key = ALGORITHM if not label else f"{ALGORITHM}:{label}"
    metric = "exploitability" if not label else f"exploitability/{label}"
    eta = float(config.eta)

    main = team_game.uniform()
    checkpoints: list[Profile] = [[p.copy() for p in main]]
    counters: list[list[tuple[int, ...]]] = [[], []]
    curve: list[tuple[int, float]] = []
    shares: list[float] = []
    if store is not None:
        saved = store.get_meta(key)
        if saved is not None:
            if saved["config"]["eta"] != eta or saved["game"] != team_game.name:
                raise InvalidParameterError(
                    f"the run's {key!r} checkpoint is of another game or eta "
                    f"({saved['game']}, eta={saved['config']['eta']}); use another label"
                )
            main = [np.asarray(p) for p in saved["main"]]
            checkpoints = [[np.asarray(p) for p in c] for c in saved["checkpoints"]]
            counters = [[tuple(c) for c in team] for team in saved["counters"]]
            curve = [(int(i), float(e)) for i, e in saved["curve"]]
            shares = [float(s) for s in saved["stag_share"]]
            logged = {step for step, _ in store.metrics(metric)}
            for i, e in curve:
                if i not in logged:
                    store.log_metric(metric, e, step=i)

    def record(iteration: int) -> bool:
        value = exploitability(team_game, main)
        curve.append((iteration, value))
        shares.append(float(np.mean([p[-1] for p in main])))
        if store is not None:
            store.set_meta(
                key,
                {
                    "game": team_game.name,
                    "config": asdict(config),
                    "main": [p.tolist() for p in main],
                    "checkpoints": [[p.tolist() for p in c] for c in checkpoints],
                    "counters": [[list(c) for c in team] for team in counters],
                    "curve": [list(p) for p in curve],
                    "stag_share": shares,
                },
            )
            store.log_metric(metric, value, step=iteration)
        return bool(callback is not None and callback(iteration, value))

    metas = [_MetaGame(team_game, 0), _MetaGame(team_game, 1)]
    for team in (0, 1):
        for joint in counters[team]:
            metas[team].add_row(_counter_profiles(team_game, team, [joint])[0])
        for c in checkpoints:
            metas[team].add_col(_team_part(team_game, c, 1 - team))
    if not curve and record(0):
        return _result(team_game, config, main, counters, curve, shares, start)
    t = curve[-1][0]
    while t < config.iterations:
        # individual best responses of every agent to the current main policy
        target = [np.zeros_like(p) for p in main]
        for agent in range(team_game.num_agents):
            target[agent][int(np.argmax(agent_action_values(team_game, main, agent)))] += 1 - eta
        if eta > 0:
            for team in (0, 1):
                # a new counter: team best response to the Nash mixture of the other
                # team's main checkpoints (uniform before the team has any counter)
                meta = metas[team]
                if meta.rows:
                    _, y = meta.nash()
                else:
                    y = np.full(len(meta.cols), 1.0 / len(meta.cols))
                joint, _ = team_best_response_to_mixture(team_game, team, meta.cols, y.tolist())
                if joint not in counters[team]:  # a pure counter already present adds nothing
                    counters[team].append(joint)
                    meta.add_row(_counter_profiles(team_game, team, [joint])[0])
            for team in (0, 1):
                # cross-play: the main team best-responds to the Nash mixture of the
                # other team's counters (in their meta-game against its checkpoints)
                meta = metas[1 - team]
                x, _ = meta.nash()
                opponents = [_team_part(team_game, main, 1 - team), *meta.rows]
                mix = float(config.counter_share)
                weights = [1.0 - mix, *(mix * x).tolist()]
                joint, _ = team_best_response_to_mixture(team_game, team, opponents, weights)
                for agent, a in zip(team_game.team(team), joint, strict=True):
                    target[agent][a] += eta
        alpha = 1.0 / (t + 2)
        main = [(1 - alpha) * p + alpha * b for p, b in zip(main, target, strict=True)]
        checkpoints.append([p.copy() for p in main])
        for team in (0, 1):
            metas[team].add_col(_team_part(team_game, checkpoints[-1], 1 - team))
        t += 1
        if record(t):
            break
    return _result(team_game, config, main, counters, curve, shares, start)


def _result(
    game: TeamGame,
    config: FXPConfig,
    main: Profile,
    counters: list[list[tuple[int, ...]]],
    curve: list[tuple[int, float]],
    shares: list[float],
    start: float,
) -> FXPResult:
    return FXPResult(
        game=game.name,
        config=config,
        main=main,
        counters=counters,
        curve=curve,
        stag_share=shares,
        wall_time=time.perf_counter() - start,
    )
