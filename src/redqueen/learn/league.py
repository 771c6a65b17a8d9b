"""League training: main agents, main exploiters and league exploiters with prioritised
fictitious self-play (PFSP) matchmaking, over an exact best-response oracle.

Vinyals et al. (2019), "Grandmaster level in StarCraft II using multi-agent
reinforcement learning", Nature 575 (AlphaStar), Methods "League composition" and
"Prioritized fictitious self-play". A league is a growing set of frozen snapshots
(here one :class:`~redqueen.learn.population.Population` seat: every member plays both
seats) trained by three kinds of learner:

- **main agents** train against a mixture of themselves (self-play, share
  ``self_play_share``; AlphaStar's 35%) and every snapshot in the league under PFSP
  weights ``f_hard(x) = (1 - x)^2`` of their win rate ``x`` (the rest);
- **main exploiters** train against the current main agents only: they find the main
  agents' weaknesses;
- **league exploiters** train against the whole league under PFSP weights: they find
  weaknesses of the league as a whole.

Every learner adds a snapshot of itself each iteration; a snapshot's parents are the
members its opponent mixture put weight on.

On a compiled two-player zero-sum game every step is exact. The oracle is the exact best
response (:func:`~redqueen.solve.responses.best_response_arrays`, one per seat) to
the learner's opponent mixture, realised as one behaviour policy per the reach-weighted
rule (:func:`~redqueen.learn.population.mixture_arrays`). Exploiters *are* their last
best response. A main agent keeps the fictitious-play average of its best responses (step
``1/(t+2)``), which is what makes it converge to an equilibrium; its exploitability is
logged every iteration. Win rates for PFSP are exact *expected scores*: a member's mean
return over both seats against an opponent, mapped linearly from ``[min_utility,
max_utility]`` to ``[0, 1]`` (the score of Elo, where a draw is worth half).

Ratings are measured, not computed: with ``elo_matches > 0`` every new pair of members
plays that many matches through the play layer (seats alternating, each with its own
seed), stored in the run, and the league's Bradley-Terry Elo with 95% intervals
(:func:`~redqueen.measure.ratings.elo_ratings`) is logged as it goes. With a
:class:`~redqueen.store.run_store.RunStore` the league checkpoints each iteration under
the meta key ``league`` (members under ``RUN_DIR/league/members/``) and resumes after the
last finished iteration.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games.core import Game
from redqueen.learn.population import (
    PFSP_WEIGHTINGS,
    Member,
    Population,
    bind_run,
    check_two_player_zero_sum,
    mixture_arrays,
    pfsp_weights,
    pure_policy_arrays,
)
from redqueen.solve.policy import TabularPolicy
from redqueen.solve.responses import best_response_arrays, expected_returns_arrays
from redqueen.solve.tree import GameTree, compile_game

if TYPE_CHECKING:  # the store is a layer to the right: a run is handed one
    from redqueen.store.run_store import RunStore

FloatArray = NDArray[np.float64]

ALGORITHM = "league"
ROLES = ("main", "main_exploiter", "league_exploiter")


@dataclass(frozen=True)
class LeagueConfig:
    """The league's composition and matchmaking (the game is an argument of
    :func:`league`)."""

    iterations: int = 10
    """Training iterations; each adds one snapshot per learner."""
    main_agents: int = 1
    main_exploiters: int = 1
    league_exploiters: int = 1
    self_play_share: float = 0.35
    """A main agent's share of self-play; the rest is PFSP over the league."""
    pfsp_weighting: Literal["hard", "variance", "linear_capped"] = "hard"
    elo_matches: int = 0
    """Matches played per new pair of members for the measured Elo (0: none)."""
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("iterations", "main_exploiters", "league_exploiters", "elo_matches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidParameterError(
                    f"LeagueConfig.{name} must be a non-negative integer; got {value!r}"
                )
        if isinstance(self.main_agents, bool) or not isinstance(self.main_agents, int):
            raise InvalidParameterError(
                f"main_agents must be a positive integer; got {self.main_agents!r}"
            )
        if self.main_agents < 1:
            raise InvalidParameterError(
                f"main_agents must be a positive integer; got {self.main_agents!r}"
            )
        if not 0.0 <= float(self.self_play_share) <= 1.0:
            raise InvalidParameterError(
                f"self_play_share is a share in [0, 1]; got {self.self_play_share!r}"
            )
        if self.pfsp_weighting not in PFSP_WEIGHTINGS:
            raise UnknownNameError("PFSP weighting", str(self.pfsp_weighting), PFSP_WEIGHTINGS)

    def learners(self) -> list[tuple[str, str]]:
        """``(name, role)`` of every learner, mains first."""
        out = [(f"main{k}", "main") for k in range(self.main_agents)]
        out += [(f"mx{k}", "main_exploiter") for k in range(self.main_exploiters)]
        out += [(f"lx{k}", "league_exploiter") for k in range(self.league_exploiters)]
        return out


@dataclass(eq=False)
class LeagueResult:
    game: str
    config: LeagueConfig
    population: Population
    """Every snapshot (seat 0 holds them all; each plays both seats)."""
    scores: FloatArray
    """``scores[i, j]``: member ``i``'s exact expected score against ``j`` in [0, 1]."""
    curve: list[tuple[int, float]]
    """``(iteration, exploitability of main agent 0)``."""
    elo: list[Any]
    wall_time: float

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
            "members": [m.lineage() for _, m in self.population],
            "elo": [e.to_dict() for e in self.elo],
            "wall_time": self.wall_time,
        }


class _Scores:
    """Exact expected scores between league members, grown incrementally."""

    def __init__(self, tree: GameTree) -> None:
        self.tree = tree
        self.arrays: list[FloatArray] = []
        self.values = np.zeros((0, 0))
        lo, hi = tree.spec.min_utility, tree.spec.max_utility
        self.lo, self.span = float(lo), float(hi - lo) or 1.0

    def _score(self, a: FloatArray, b: FloatArray) -> float:
        tree = self.tree
        b0, b1 = tree.player_infosets(0), tree.player_infosets(1)
        sigma = a.copy()
        sigma[b1] = b[b1]
        first = expected_returns_arrays(tree, sigma)[0]
        sigma = b.copy()
        sigma[b1] = a[b1]
        sigma[b0] = b[b0]
        second = expected_returns_arrays(tree, sigma)[1]
        return ((first + second) / 2 - self.lo) / self.span

    def add(self, arrays: FloatArray) -> None:
        n = len(self.arrays)
        grown = np.zeros((n + 1, n + 1))
        grown[:n, :n] = self.values
        for i, other in enumerate(self.arrays):
            grown[n, i] = self._score(arrays, other)
            grown[i, n] = 1.0 - grown[n, i]  # zero-sum: the scores add to 1
        grown[n, n] = 0.5
        self.arrays.append(arrays)
        self.values = grown


def _best_response(tree: GameTree, opponent: FloatArray) -> FloatArray:
    """The exact best response (both seats) to ``opponent``, as a pure policy."""
    out = tree.uniform_policy()
    for seat in (0, 1):
        choice, _ = best_response_arrays(tree, opponent, seat)
        block = tree.player_infosets(seat)
        out[block] = pure_policy_arrays(tree, choice, seat)[block]
    return out


def _exploitability(tree: GameTree, policy: FloatArray) -> float:
    values = [best_response_arrays(tree, policy, seat)[1] for seat in (0, 1)]
    return float(sum(values) - expected_returns_arrays(tree, policy).sum()) / 2


def league(
    game: Game | GameTree,
    config: LeagueConfig | None = None,
    store: RunStore | None = None,
    callback: Callable[[int, float], bool | None] | None = None,
) -> LeagueResult:
    """Train a league (module docstring) on a two-player zero-sum ``game``; with a
    ``store`` log, checkpoint and resume."""
    start = time.perf_counter()
    config = config or LeagueConfig()
    tree = compile_game(game)
    check_two_player_zero_sum(tree, "league training")
    source = game if isinstance(game, Game) else None
    learners = config.learners()
    population = Population(1)
    current: dict[str, str] = {}  # learner -> id of its latest snapshot
    curve: list[tuple[int, float]] = []
    if store is not None:
        bind_run(store, ALGORITHM, tree, config)
        saved = store.get_meta(ALGORITHM)
        if saved is not None:
            population = Population.load(1, saved["members"], store.dir / ALGORITHM / "members")
            current = dict(saved["current"])
            curve = [(int(i), float(e)) for i, e in saved["curve"]]
    scores = _Scores(tree)
    index: dict[str, int] = {}
    for m in population.members(0):
        index[m.id] = len(scores.arrays)
        scores.add(m.policy.to_arrays(tree))
    matches = (
        _EloMatches(source, config, store) if config.elo_matches and source is not None else None
    )

    def snapshot(
        name: str, role: str, policy: FloatArray, it: int, parents: tuple[str, ...]
    ) -> None:
        member = Member(
            f"{name}-{it}",
            TabularPolicy.from_arrays(tree, policy),
            parents=parents,
            iteration=it,
            metadata={"kind": role, "learner": name},
        )
        population.add(0, member)
        index[member.id] = len(scores.arrays)
        scores.add(policy)
        current[name] = member.id

    def checkpoint() -> None:
        if store is None:
            return
        previous = store.get_meta(ALGORITHM)
        written = {r["id"] for r in previous["members"]} if previous is not None else set()
        records = population.save(store.dir / ALGORITHM / "members", source, written)
        store.set_meta(
            ALGORITHM,
            {"members": records, "current": current, "curve": [list(p) for p in curve]},
        )
        logged = {step for step, _ in store.metrics("exploitability")}
        for it, value in curve:
            if it not in logged:
                store.log_metric("exploitability", value, step=it)

    if not curve:
        uniform = tree.uniform_policy()
        for name, role in learners:
            snapshot(name, role, uniform, 0, ())
        curve.append((0, _exploitability(tree, uniform)))
        checkpoint()
    members = population.members(0)
    if matches is not None:
        matches.update(members)
    t = curve[-1][0]
    while t < config.iterations:
        t += 1
        members = population.members(0)
        arrays = scores.arrays
        mains = [index[current[n]] for n, r in learners if r == "main"]
        new: list[tuple[str, str, FloatArray, tuple[str, ...]]] = []
        for name, role in learners:
            me = index[current[name]]
            weights = np.zeros(len(members))
            if role == "main_exploiter":
                weights[mains] = 1.0 / len(mains)
            else:
                pfsp = pfsp_weights(scores.values[me], config.pfsp_weighting)
                if role == "main":
                    share = float(config.self_play_share)
                    weights += (1 - share) * pfsp
                    weights[mains] += share / len(mains)
                else:
                    weights += pfsp
            weights /= weights.sum()
            keep = np.flatnonzero(weights > 0)
            opponent = mixture_arrays(tree, [arrays[int(k)] for k in keep], weights[keep])
            br = _best_response(tree, opponent)
            if role == "main":
                alpha = 1.0 / (t + 1)
                policy = mixture_arrays(tree, [arrays[me], br], [1 - alpha, alpha])
            else:
                policy = br
            parents = tuple(members[int(k)].id for k in keep)
            new.append((name, role, policy, parents))
        for name, role, policy, parents in new:
            snapshot(name, role, policy, t, parents)
        main_policy = scores.arrays[index[current[learners[0][0]]]]
        curve.append((t, _exploitability(tree, main_policy)))
        checkpoint()
        if matches is not None:
            matches.update(population.members(0))
        if callback is not None and callback(t, curve[-1][1]):
            break
    elo = matches.elo(population.members(0)) if matches is not None else []
    if store is not None and elo and not any(step == t for step, _ in store.metrics("elo")):
        for e in elo:  # once per final iteration, also when a finished run is run again
            store.log_metric("elo", e.elo, step=t, member=e.name, low=e.low, high=e.high)
    return LeagueResult(
        game=tree.game_id,
        config=config,
        population=population,
        scores=scores.values.copy(),
        curve=curve,
        elo=elo,
        wall_time=time.perf_counter() - start,
    )


class _EloMatches:
    """Matches between league members through the play layer, for measured Elo: each
    pair ``(i, j)``, ``i < j`` by join order, plays ``elo_matches`` matches, seats
    alternating, seeded from the config's seed and the pair's indices."""

    def __init__(self, game: Game, config: LeagueConfig, store: RunStore | None) -> None:
        self.game, self.config, self.store = game, config, store
        self.results: dict[str, tuple[tuple[int, ...], Any]] = {}
        if store is not None:
            self.results = {m.key: (m.seats, r) for m, r in store.matches()}
        self.done = 0

    def update(self, members: list[Member]) -> None:
        from redqueen.play.runners import run_matches
        from redqueen.play.schedule import ScheduledMatch, match_seed

        todo: list[ScheduledMatch] = []
        n = len(members)
        for j in range(self.done, n):
            for i in range(j):
                for k in range(self.config.elo_matches):
                    key = f"g{i}-{j}:n{k}"
                    if key in self.results:
                        continue
                    seats = (i, j) if k % 2 == 0 else (j, i)
                    todo.append(
                        ScheduledMatch(
                            key,
                            len(self.results) + len(todo),
                            seats,
                            match_seed(self.config.seed, i, j, k),
                        )
                    )
        agents = [m.agent for m in members]
        on_result = None if self.store is None else self.store.record_match
        for match, result in run_matches(self.game, agents, todo, on_result=on_result):
            self.results[match.key] = (match.seats, result)
        self.done = n

    def elo(self, members: list[Member]) -> list[Any]:
        from redqueen.measure.ratings import elo_ratings

        names = [m.id for m in members]
        return elo_ratings(
            names, list(self.results.values()), seed=self.config.seed, n_bootstrap=50
        )
