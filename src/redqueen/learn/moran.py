"""Evolution of strategies: the Moran process, replicator dynamics on a tournament, and the
spatial game on a lattice.

**Moran process** (Moran 1958; Nowak et al. 2004, "Emergence of cooperation and
evolutionary stability in finite populations", Nature 428; Nowak 2006, *Evolutionary
Dynamics*, ch. 6). A population of ``N`` individuals, each of one of ``k`` types. Each
step one individual is chosen to reproduce with probability proportional to its fitness
and one, chosen uniformly at random from all ``N``, is replaced by the offspring (birth-
death). With ``mutation`` ``mu`` the offspring is, with probability ``mu``, of a type
drawn uniformly from the other types. Fitness is ``1 - w + w * payoff`` (``w``: the
intensity of selection; ``w = 1`` uses the payoff itself), where an individual's payoff is
its mean score per turn against the ``N - 1`` others:

- from a payoff matrix (``A[i, j]``: type ``i``'s score per turn against type ``j``,
  e.g. :attr:`~redqueen.play.ipd.TournamentResult.payoff_matrix`), or
- from actual matches: each step a round robin among the ``N`` individuals
  (:class:`~redqueen.play.ipd.IPDTournament`, one repetition, its own seed), as the
  Axelrod library's ``MoranProcess`` does.

Without mutation the process stops when one type has taken over (fixation). For two
types the fixation probability of ``i`` mutants is exact (:func:`fixation_probability`):
``(1 + sum_{k=1}^{i-1} prod_{j=1}^{k} g_j) / (1 + sum_{k=1}^{N-1} prod_{j=1}^{k} g_j)``
with ``g_j = T^-_j / T^+_j`` = the ratio of the residents' and mutants' fitness with ``j``
mutants; for a constant relative fitness ``r`` one mutant fixes with probability
``(1 - 1/r) / (1 - 1/r^N)``, and ``1/N`` when neutral. :func:`simulate_fixation`
estimates it by running many processes at once.

**Replicator dynamics** on a tournament's payoff matrix: :func:`tournament_replicator`
(:func:`redqueen.solve.dynamics.replicator_dynamics`).

**Spatial game** (Nowak & May 1992, "Evolutionary games and spatial chaos", Nature 359):
an ``L x L`` lattice with periodic edges; each cell plays its 8 neighbours and itself,
then every cell takes the type of the highest scorer among those 9 cells (itself when it
is among the best; otherwise the first best in reading order), all cells at once, no
randomness. With ``R = 1, T = b, S = P = 0`` a single defector among cooperators
vanishes for ``b < 1``, stays alone for ``1 < b < 9/8`` and grows into a 3x3 block for
``b > 9/8``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from redqueen.agents.strategies import Strategy, get
from redqueen.errors import InvalidParameterError
from redqueen.solve.dynamics import replicator_dynamics

__all__ = [
    "MoranResult",
    "fixation_probability",
    "lattice_step",
    "moran_process",
    "simulate_fixation",
    "spatial_game",
    "tournament_replicator",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _matrix(a: ArrayLike) -> FloatArray:
    m = np.asarray(a, dtype=np.float64)
    if m.ndim != 2 or m.shape[0] != m.shape[1] or m.shape[0] < 1:
        raise InvalidParameterError(f"a payoff matrix must be square; got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise InvalidParameterError("a payoff matrix must be finite")
    return m


def _check_w(w: float) -> float:
    if not 0.0 <= w <= 1.0:
        raise InvalidParameterError(f"selection intensity w must be in [0, 1]; got {w}")
    return float(w)


def type_fitness(a: FloatArray, counts: IntArray, w: float = 1.0) -> FloatArray:
    """``[i]``: the fitness of one individual of type ``i`` in a population with
    ``counts``, playing the other ``N - 1`` (``1 - w + w * mean payoff``)."""
    n = counts.sum()
    payoff = (a @ counts - np.diag(a)) / max(n - 1, 1)
    return 1.0 - w + w * payoff


# ---- the Moran process ------------------------------------------------------------------


@dataclass
class MoranResult:
    """The counts of each type after every step (row 0: the start)."""

    names: list[str]
    counts: IntArray
    fixed: int | None
    """The type that took over, or None (mutation, or the step limit reached)."""
    config: dict[str, Any] = field(default_factory=dict)

    @property
    def shares(self) -> FloatArray:
        return self.counts / self.counts[0].sum()

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "fixed": None if self.fixed is None else self.names[self.fixed],
            "steps": int(len(self.counts) - 1),
            "final_counts": self.counts[-1].tolist(),
            "config": self.config,
        }


def moran_process(
    initial: Sequence[int],
    *,
    payoffs: ArrayLike | None = None,
    strategies: Sequence[Strategy | str] | None = None,
    turns: int = 200,
    noise: float = 0.0,
    mutation: float = 0.0,
    w: float = 1.0,
    max_steps: int = 10_000,
    seed: int = 0,
    names: Sequence[str] | None = None,
) -> MoranResult:
    """Run a Moran process from ``initial`` (the count of each type).

    Fitness comes from ``payoffs`` (a k x k matrix of scores per turn) or, when it is
    omitted, from actual matches between the individuals' ``strategies`` (``turns``,
    ``noise``) replayed every step. Stops at fixation (without mutation) or after
    ``max_steps``."""
    counts = np.asarray(initial, dtype=np.int64)
    k = len(counts)
    if counts.ndim != 1 or k < 2 or np.any(counts < 0) or counts.sum() < 2:
        raise InvalidParameterError(
            f"initial must list a count >= 0 for each of >= 2 types, N >= 2; got {initial}"
        )
    if not 0.0 <= mutation <= 1.0:
        raise InvalidParameterError(f"mutation must be in [0, 1]; got {mutation}")
    w = _check_w(w)
    if max_steps < 0:
        raise InvalidParameterError(f"max_steps must be >= 0; got {max_steps}")
    a: FloatArray | None = None
    players: list[Strategy] = []
    if payoffs is not None:
        a = _matrix(payoffs)
        if a.shape[0] != k:
            raise InvalidParameterError(f"payoffs is {a.shape[0]}x{a.shape[0]} for {k} types")
    else:
        if strategies is None or len(strategies) != k:
            raise InvalidParameterError("give payoffs (k x k) or k strategies")
        players = [get(s) if isinstance(s, str) else s for s in strategies]
    labels = (
        list(names)
        if names is not None
        else (
            [p.title or p.strategy_name for p in players]
            if players
            else [f"type {i}" for i in range(k)]
        )
    )
    rng = np.random.default_rng(np.random.SeedSequence((seed, 0x3012A)))
    n = int(counts.sum())
    history = [counts.copy()]
    fixed: int | None = None
    for step in range(max_steps):
        if mutation == 0.0 and np.count_nonzero(counts) == 1:
            break
        if a is not None:
            fit = type_fitness(a, counts, w)
            weights = fit * counts
        else:
            weights = _match_fitness(players, counts, turns, noise, seed, step, w)
        if np.any(weights < 0):
            raise InvalidParameterError("fitness must be >= 0; lower w or shift the payoffs")
        total = weights.sum()
        p = weights / total if total > 0 else counts / n
        parent = int(rng.choice(k, p=p))
        child = parent
        if mutation > 0.0 and rng.random() < mutation:
            child = int(rng.choice([t for t in range(k) if t != parent]))
        dead = int(rng.choice(k, p=counts / n))
        counts[dead] -= 1
        counts[child] += 1
        history.append(counts.copy())
    if mutation == 0.0 and np.count_nonzero(counts) == 1:
        fixed = int(np.flatnonzero(counts)[0])
    return MoranResult(
        labels,
        np.array(history),
        fixed,
        {"initial": list(map(int, initial)), "mutation": mutation, "w": w, "seed": seed},
    )


def _match_fitness(
    players: list[Strategy],
    counts: IntArray,
    turns: int,
    noise: float,
    seed: int,
    step: int,
    w: float,
) -> FloatArray:
    """Summed fitness of each type from a round robin among the individuals."""
    from redqueen.play.ipd import IPDTournament

    members = [t for t, c in enumerate(counts) for _ in range(int(c))]
    result = IPDTournament(
        [players[t] for t in members],
        turns=turns,
        repetitions=1,
        noise=noise,
        self_play=False,
        seed=seed * 1_000_003 + step,
    ).play()
    fit = 1.0 - w + w * result.normalised_scores[:, 0]
    out = np.zeros(len(counts))
    np.add.at(out, members, fit)
    return out


def fixation_probability(
    payoffs: ArrayLike, population: int, mutants: int = 1, w: float = 1.0
) -> float:
    """The exact probability that ``mutants`` of type 0 among ``population - mutants``
    of type 1 take over (no mutation; see the module docstring)."""
    a = _matrix(payoffs)
    if a.shape != (2, 2):
        raise InvalidParameterError(f"exact fixation needs 2 types; got {a.shape[0]}")
    if population < 2 or not 0 <= mutants <= population:
        raise InvalidParameterError(
            f"need population >= 2 and 0 <= mutants <= population; got {population}, {mutants}"
        )
    w = _check_w(w)
    ratios = []
    for j in range(1, population):
        f = type_fitness(a, np.array([j, population - j]), w)
        ratios.append(f[1] / f[0])
    prods = np.cumprod(ratios)
    return float((1.0 + prods[: mutants - 1].sum()) / (1.0 + prods.sum())) if mutants else 0.0


def simulate_fixation(
    payoffs: ArrayLike,
    population: int,
    runs: int = 10_000,
    mutants: int = 1,
    w: float = 1.0,
    seed: int = 0,
) -> float:
    """The share of ``runs`` two-type Moran processes (type 0 starting with ``mutants``)
    in which type 0 fixes, all runs advanced together."""
    a = _matrix(payoffs)
    if a.shape != (2, 2):
        raise InvalidParameterError(f"simulated fixation needs 2 types; got {a.shape[0]}")
    w = _check_w(w)
    n = population
    up = np.zeros(n + 1)
    down = np.zeros(n + 1)
    for i in range(1, n):
        f0, f1 = type_fitness(a, np.array([i, n - i]), w)
        birth0 = i * f0 / (i * f0 + (n - i) * f1)
        up[i] = birth0 * (n - i) / n
        down[i] = (1 - birth0) * i / n
    rng = np.random.default_rng(np.random.SeedSequence((seed, 0xF1C)))
    state = np.full(runs, mutants, dtype=np.int64)
    live = (state > 0) & (state < n)
    while live.any():
        idx = np.flatnonzero(live)
        u = rng.random(len(idx))
        s = state[idx]
        s += (u < up[s]).astype(np.int64) - ((u >= up[s]) & (u < up[s] + down[s]))
        state[idx] = s
        live[idx] = (s > 0) & (s < n)
    return float((state == n).mean())


def tournament_replicator(
    payoff_matrix: ArrayLike, x0: ArrayLike | None = None, steps: int = 2000, dt: float = 0.01
) -> FloatArray:
    """The replicator trajectory ``(steps + 1, k)`` on a tournament's payoff matrix."""
    return replicator_dynamics(_matrix(payoff_matrix), x0, steps, dt)


# ---- the spatial game -------------------------------------------------------------------

_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
"""The 9 cells a cell plays (itself included), in reading order."""


def lattice_scores(grid: IntArray, payoffs: FloatArray) -> FloatArray:
    """Each cell's total payoff against its 8 neighbours and itself."""
    out = np.zeros(grid.shape)
    for dy, dx in _OFFSETS:
        out += payoffs[grid, np.roll(grid, (-dy, -dx), axis=(0, 1))]
    return out


def lattice_step(grid: ArrayLike, payoffs: ArrayLike) -> IntArray:
    """One synchronous, deterministic update of the Nowak-May lattice (module docstring)."""
    g = np.asarray(grid, dtype=np.int64)
    a = _matrix(payoffs)
    if g.ndim != 2 or g.min() < 0 or g.max() >= a.shape[0]:
        raise InvalidParameterError(
            f"grid must be 2-d with types in 0..{a.shape[0] - 1}; got shape {g.shape}"
        )
    score = lattice_scores(g, a)
    best_score = score.copy()
    best_type = g.copy()
    for dy, dx in _OFFSETS:
        if (dy, dx) == (0, 0):
            continue
        s = np.roll(score, (-dy, -dx), axis=(0, 1))
        t = np.roll(g, (-dy, -dx), axis=(0, 1))
        better = s > best_score
        best_score = np.where(better, s, best_score)
        best_type = np.where(better, t, best_type)
    return best_type


def spatial_game(grid: ArrayLike, payoffs: ArrayLike, steps: int) -> list[IntArray]:
    """The lattice after each of ``steps`` updates (element 0: the start)."""
    out = [np.asarray(grid, dtype=np.int64)]
    for _ in range(steps):
        out.append(lattice_step(out[-1], payoffs))
    return out


def nowak_may_payoffs(b: float) -> FloatArray:
    """The Nowak-May prisoner's dilemma: R = 1, T = ``b``, S = P = 0 (cooperate = 0)."""
    if not b >= 1.0 and not b > 0:
        raise InvalidParameterError(f"b must be > 0; got {b}")
    return np.array([[1.0, 0.0], [float(b), 0.0]])
