"""Axelrod-style round-robin tournaments of classic strategies, compiled to arrays.

A tournament (Axelrod 1980, "Effective choice in the Prisoner's Dilemma", J. Conflict
Resolution 24(1); the Axelrod library's ``Tournament``, Knight et al. 2016) plays every
pair of strategies (and, with ``self_play``, every strategy against a copy of itself)
``repetitions`` times in the repeated 2x2 game ``payoffs``: a fixed number of ``turns``,
or a match length drawn per match from the geometric law of a ``continuation``
probability; each executed move is flipped with probability ``noise``.

Results follow the library's :class:`axelrod.ResultSet`: per-pair mean scores per turn
(``payoff_matrix``, self-play on the diagonal), per-player normalised scores per
repetition (the mean, over the other players, of the score per turn; self-play left
out), wins, cooperation rates, and the ranking by median normalised score (ties kept in
the input order, as the library's stable sort does).

**Fast path.** Every strategy with a :meth:`~redqueen.agents.strategies.Strategy.machine`
is a Moore machine (:mod:`redqueen.agents.strategies.machine`). All machines are stacked
into one table (global state ids, ``coop_prob`` and ``next_state``), and all matches of
all pairs and repetitions advance together: one state vector per seat indexed into the
table, one comparison of drawn uniforms against ``coop_prob``, one noise comparison, one
``next_state`` gather per round. Matches with a strategy that has no machine run on the
scalar path, :func:`~redqueen.agents.strategies.play_strategies` (the strategies' own
move loop, without the game tree: the same moves as ``play_match`` on
``redqueen.make("repeated", ...)`` with the same seed when there is no noise, at a small
fraction of the cost).

**Randomness.** Each match has its own seed (:func:`match_seed`), split as
``play_strategies`` splits it (one stream for noise, one per seat). With
``per_match_streams=True`` (default) the fast path pre-draws each match's streams and
consumes them exactly as the scalar path does (a seat draws one uniform only in a state
whose cooperation probability is strictly between 0 and 1; noise draws two uniforms per
round, seat 0's first), so the two paths make **identical moves for every strategy,
stochastic ones included**. ``per_match_streams=False`` draws the uniforms of the whole
batch from one Generator: statistically the same tournament, faster when there are many
stochastic matches. Continuation lengths are drawn from their own seeded stream, shared
by both paths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.agents.strategies import Strategy, get, play_strategies
from redqueen.agents.strategies.base import PD_PAYOFFS, MatchInfo, probability
from redqueen.agents.strategies.machine import Machine
from redqueen.errors import InvalidParameterError

__all__ = [
    "IPDTournament",
    "TournamentResult",
    "match_seed",
    "run_ipd_tournament",
]

Payoffs = tuple[tuple[float, float], tuple[float, float]]
FloatArray = NDArray[np.float64]
CHUNK = 8192
"""Matches advanced together on the fast path, at most."""
CHUNK_CELLS = 2_000_000
"""At most this many (match, turn) cells per chunk: bounds the memory of the moves and
of the pre-drawn streams when continuation lengths are long."""


def match_seed(seed: int, repetition: int, i: int, j: int) -> int:
    """The seed of the match between players ``i`` (seat 0) and ``j`` (seat 1) in
    ``repetition`` of a tournament seeded with ``seed``: the four numbers packed into one
    integer (20 bits each for the last three), so every match has its own seed."""
    return ((seed << 20 | repetition) << 20 | i) << 20 | j


@dataclass
class TournamentResult:
    """Everything a tournament measured; arrays are indexed ``[player, opponent, rep]``.

    ``scores[i, j, r]`` is player ``i``'s total score against ``j`` in repetition ``r``,
    ``cooperations[i, j, r]`` how often ``i`` cooperated there, ``lengths[i, j, r]`` the
    number of rounds played; diagonal entries are self-play (zero length without it).
    """

    names: list[str]
    scores: FloatArray
    cooperations: FloatArray
    lengths: NDArray[np.int64]
    self_play: bool
    config: dict[str, Any] = field(default_factory=dict)
    moves: dict[tuple[int, int, int], tuple[NDArray[np.int8], NDArray[np.int8]]] | None = None
    """With ``keep_moves``: ``(i, j, rep) -> (i's moves, j's moves)`` for ``i <= j``."""

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def repetitions(self) -> int:
        return int(self.scores.shape[2])

    def score_per_turn(self) -> FloatArray:
        """``[i, j, r]``: ``i``'s mean score per round against ``j`` (NaN without play)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.lengths > 0, self.scores / np.maximum(self.lengths, 1), np.nan)

    @property
    def payoff_matrix(self) -> FloatArray:
        """``[i, j]``: ``i``'s score per turn against ``j``, averaged over repetitions (the
        library's ``payoff_matrix``)."""
        spt = self.score_per_turn()
        out = np.zeros((self.n, self.n))
        played = ~np.isnan(spt).all(axis=2)
        out[played] = np.nanmean(spt[played], axis=1)
        return out

    def _off_diagonal(self) -> NDArray[np.bool_]:
        return ~np.eye(self.n, dtype=bool)

    @property
    def normalised_scores(self) -> FloatArray:
        """``[i, r]``: the mean over opponents ``j != i`` of ``i``'s score per turn."""
        spt = self.score_per_turn()
        mask = self._off_diagonal()
        return np.stack([spt[i, mask[i], :].mean(axis=0) for i in range(self.n)])

    @property
    def total_scores(self) -> FloatArray:
        """``[i, r]``: ``i``'s total score over all opponents but itself."""
        s = self.scores * self._off_diagonal()[:, :, None]
        return s.sum(axis=1)

    @property
    def wins(self) -> NDArray[np.int64]:
        """``[i, r]``: how many opponents ``j != i`` scored less than ``i``."""
        won = (self.scores > np.transpose(self.scores, (1, 0, 2))) & self._off_diagonal()[
            :, :, None
        ]
        return won.sum(axis=1).astype(np.int64)

    @property
    def cooperation_rates(self) -> FloatArray:
        """``[i]``: the share of ``i``'s moves against other players that cooperated."""
        mask = self._off_diagonal()[:, :, None]
        coop = (self.cooperations * mask).sum(axis=(1, 2))
        turns = (self.lengths * mask).sum(axis=(1, 2))
        return coop / np.maximum(turns, 1)

    @property
    def cooperation_matrix(self) -> FloatArray:
        """``[i, j]``: the share of rounds in which ``i`` cooperated against ``j``."""
        turns = self.lengths.sum(axis=2)
        return self.cooperations.sum(axis=2) / np.maximum(turns, 1)

    @property
    def median_scores(self) -> FloatArray:
        return np.median(self.normalised_scores, axis=1)

    @property
    def mean_scores(self) -> FloatArray:
        return self.normalised_scores.mean(axis=1)

    def ranking(self, by: str = "median") -> list[int]:
        """Player indices, best first, by median (the library's rule) or mean normalised
        score; ties keep the input order."""
        if by not in ("median", "mean"):
            raise InvalidParameterError(f"rank by 'median' or 'mean'; got {by!r}")
        key = self.median_scores if by == "median" else self.mean_scores
        return sorted(range(self.n), key=lambda i: -key[i])

    def ranked_names(self, by: str = "median") -> list[str]:
        return [self.names[i] for i in self.ranking(by)]

    def table(self) -> list[dict[str, Any]]:
        """One row per player in rank order: rank, name, median and mean score per turn,
        wins (summed over repetitions), cooperation rate."""
        med, mean, wins, coop = (
            self.median_scores,
            self.mean_scores,
            self.wins.sum(axis=1),
            self.cooperation_rates,
        )
        return [
            {
                "rank": k + 1,
                "name": self.names[i],
                "median_score": float(med[i]),
                "mean_score": float(mean[i]),
                "wins": int(wins[i]),
                "cooperation_rate": float(coop[i]),
            }
            for k, i in enumerate(self.ranking())
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": self.names,
            "config": self.config,
            "ranking": self.table(),
            "payoff_matrix": self.payoff_matrix.tolist(),
            "cooperation_matrix": self.cooperation_matrix.tolist(),
        }


@dataclass
class IPDTournament:
    """A round robin of classic strategies (see the module docstring).

    ``players`` are :class:`Strategy` objects or registry names. ``names`` (optional)
    labels them; duplicates are numbered. ``max_turns`` caps continuation lengths.
    """

    players: Sequence[Strategy | str]
    turns: int = 200
    repetitions: int = 10
    noise: float = 0.0
    continuation: float | None = None
    payoffs: Payoffs = PD_PAYOFFS
    self_play: bool = True
    seed: int = 0
    per_match_streams: bool = True
    max_turns: int = 100_000
    compiled: bool = True
    """``False`` plays every match on the scalar path (for checks and timing)."""
    names: Sequence[str] | None = None

    def __post_init__(self) -> None:
        self.strategies: list[Strategy] = [
            get(p) if isinstance(p, str) else p for p in self.players
        ]
        for s in self.strategies:
            if not isinstance(s, Strategy):
                raise InvalidParameterError(
                    f"tournament players are strategies or strategy names; got {s!r}"
                )
        if len(self.strategies) < 2:
            raise InvalidParameterError(
                f"a tournament needs at least 2 players; got {len(self.strategies)}"
            )
        if isinstance(self.turns, bool) or not isinstance(self.turns, int) or self.turns < 1:
            raise InvalidParameterError(f"turns must be an integer >= 1; got {self.turns!r}")
        if (
            isinstance(self.repetitions, bool)
            or not isinstance(self.repetitions, int)
            or self.repetitions < 1
        ):
            raise InvalidParameterError(
                f"repetitions must be an integer >= 1; got {self.repetitions!r}"
            )
        self.noise = probability(self.noise, "noise")
        if self.continuation is not None:
            self.continuation = probability(self.continuation, "continuation")
            if self.continuation >= 1.0:
                raise InvalidParameterError(
                    f"continuation must be in [0, 1); got {self.continuation}"
                )
        if self.max_turns < 1:
            raise InvalidParameterError(f"max_turns must be >= 1; got {self.max_turns}")
        pay = np.asarray(self.payoffs, dtype=np.float64)
        if pay.shape != (2, 2) or not np.all(np.isfinite(pay)):
            raise InvalidParameterError(
                "payoffs must be ((R, S), (T, P)): a seat's payoff [my move][their move]; "
                f"got {self.payoffs!r}"
            )
        self.payoffs = ((float(pay[0, 0]), float(pay[0, 1])), (float(pay[1, 0]), float(pay[1, 1])))
        base = (
            list(self.names)
            if self.names is not None
            else [s.title or s.strategy_name for s in self.strategies]
        )
        if len(base) != len(self.strategies):
            raise InvalidParameterError(
                f"names has {len(base)} entries for {len(self.strategies)} players"
            )
        seen: dict[str, int] = {}
        self.labels: list[str] = []
        for label in base:
            seen[label] = seen.get(label, 0) + 1
            self.labels.append(label if seen[label] == 1 else f"{label} ({seen[label]})")

    # ---- the schedule --------------------------------------------------------------------

    def pairs(self) -> list[tuple[int, int]]:
        n = len(self.strategies)
        return [(i, j) for i in range(n) for j in range(i, n) if i != j or self.self_play]

    def _info(self, turns: int) -> MatchInfo:
        return MatchInfo(
            rounds=turns if self.continuation is None else None,
            payoffs=self.payoffs,
            noise=self.noise,
            their_payoffs=self.payoffs,
        )

    def match_lengths(self) -> NDArray[np.int64]:
        """``[rep, pair]``: the length of every match (all ``turns`` without a
        continuation probability; else geometric, from its own seeded stream)."""
        shape = (self.repetitions, len(self.pairs()))
        if self.continuation is None:
            return np.full(shape, self.turns, dtype=np.int64)
        rng = np.random.default_rng(np.random.SeedSequence((self.seed, 0x1E57)))
        lengths = rng.geometric(1.0 - self.continuation, size=shape)
        return np.minimum(lengths, self.max_turns).astype(np.int64)

    # ---- running -------------------------------------------------------------------------

    def play(
        self, keep_moves: bool = False, progress: Callable[[int, int], None] | None = None
    ) -> TournamentResult:
        """Play every match; see :class:`TournamentResult`."""
        n = len(self.strategies)
        pairs = self.pairs()
        lengths = self.match_lengths()
        reps = self.repetitions
        scores = np.zeros((n, n, reps))
        coops = np.zeros((n, n, reps))
        played = np.zeros((n, n, reps), dtype=np.int64)
        moves: dict[tuple[int, int, int], tuple[NDArray[np.int8], NDArray[np.int8]]] | None = (
            {} if keep_moves else None
        )
        machines: list[Machine | None] = [
            s.fresh(self._info(self.turns)).machine() if self.compiled else None
            for s in self.strategies
        ]
        fast: list[tuple[int, int, int, int]] = []  # (rep, i, j, length)
        slow: list[tuple[int, int, int, int]] = []
        for r in range(reps):
            for k, (i, j) in enumerate(pairs):
                job = (r, i, j, int(lengths[r, k]))
                both = machines[i] is not None and machines[j] is not None
                (fast if both else slow).append(job)
        total = len(fast) + len(slow)
        done = 0

        def record(
            jobs: NDArray[np.int64],
            sa: FloatArray,
            sb: FloatArray,
            ca: NDArray[np.int64],
            cb: NDArray[np.int64],
        ) -> None:
            r, i, j, length = jobs.T
            scores[j, i, r], coops[j, i, r], played[j, i, r] = sb, cb, length
            scores[i, j, r], coops[i, j, r], played[i, j, r] = sa, ca, length
            same = i == j
            # self-play: the player's score is the mean of its two seats
            scores[i[same], i[same], r[same]] = (sa[same] + sb[same]) / 2.0
            coops[i[same], i[same], r[same]] = (ca[same] + cb[same]) / 2.0

        if fast:
            table = _stack(machines)
            longest = max(job[3] for job in fast)
            size = max(1, min(CHUNK, CHUNK_CELLS // max(longest, 1)))
            for start in range(0, len(fast), size):
                chunk = np.array(fast[start : start + size], dtype=np.int64)
                a_moves, b_moves, sa, sb, ca, cb = self._run_compiled(table, chunk)
                record(chunk, sa, sb, ca, cb)
                if moves is not None:
                    for c, (r, i, j, length) in enumerate(chunk.tolist()):
                        moves[(i, j, r)] = (a_moves[c, :length], b_moves[c, :length])
                done += len(chunk)
                if progress is not None:
                    progress(done, total)
        for r, i, j, length in slow:
            rec = play_strategies(
                self.strategies[i],
                self.strategies[j],
                length,
                seed=match_seed(self.seed, r, i, j),
                noise=self.noise,
                payoffs=self.payoffs,
                known_length=self.continuation is None,
            )
            arr = np.asarray(rec.moves, dtype=np.int8).reshape(-1, 2)
            a, b = arr[:, 0].copy(), arr[:, 1].copy()
            record(
                np.array([[r, i, j, length]], dtype=np.int64),
                np.array([rec.scores[0]]),
                np.array([rec.scores[1]]),
                np.array([int((a == 0).sum())]),
                np.array([int((b == 0).sum())]),
            )
            if moves is not None:
                moves[(i, j, r)] = (a, b)
            done += 1
            if progress is not None and done % 64 == 0:
                progress(done, total)
        if progress is not None:
            progress(total, total)
        return TournamentResult(
            names=list(self.labels),
            scores=scores,
            cooperations=coops,
            lengths=played,
            self_play=self.self_play,
            config=self.config(),
            moves=moves,
        )

    def config(self) -> dict[str, Any]:
        return {
            "players": [s.strategy_name for s in self.strategies],
            "turns": self.turns,
            "repetitions": self.repetitions,
            "noise": self.noise,
            "continuation": self.continuation,
            "payoffs": [list(row) for row in self.payoffs],
            "self_play": self.self_play,
            "seed": self.seed,
        }

    def _run_compiled(
        self, table: _Table, jobs: NDArray[np.int64]
    ) -> tuple[
        NDArray[np.int8],
        NDArray[np.int8],
        FloatArray,
        FloatArray,
        NDArray[np.int64],
        NDArray[np.int64],
    ]:
        """All ``jobs`` (rows ``rep, i, j, length``) at once: both seats' moves
        ``[match, turn]``, total scores and cooperation counts."""
        b = len(jobs)
        first, second, length = jobs[:, 1], jobs[:, 2], jobs[:, 3]
        horizon = int(length.max())
        s0, s1 = table.start[first], table.start[second]
        st0, st1 = table.stochastic[first], table.stochastic[second]
        noisy = self.noise > 0.0
        u0 = np.zeros((b, horizon) if st0.any() else (1, 1))
        u1 = np.zeros((b, horizon) if st1.any() else (1, 1))
        nz = np.zeros((b, 2 * horizon) if noisy else (1, 1))
        if self.per_match_streams:
            for c in np.nonzero(st0 | st1 | noisy)[0].tolist():
                r, i, j, n_turns = jobs[c].tolist()
                streams = np.random.SeedSequence(match_seed(self.seed, r, i, j)).spawn(3)
                if noisy:
                    nz[c, : 2 * n_turns] = np.random.default_rng(streams[0]).random(2 * n_turns)
                if st0[c]:
                    u0[c, :n_turns] = np.random.default_rng(streams[1]).random(n_turns)
                if st1[c]:
                    u1[c, :n_turns] = np.random.default_rng(streams[2]).random(n_turns)
        else:
            rng = np.random.default_rng(
                np.random.SeedSequence((self.seed, 0x5EED, *jobs[0].tolist(), b))
            )
            if st0.any():
                u0 = rng.random((b, horizon))
            if st1.any():
                u1 = rng.random((b, horizon))
            if noisy:
                nz = rng.random((b, 2 * horizon))
        pay = np.asarray(self.payoffs, dtype=np.float64)
        a_moves = np.zeros((b, horizon), dtype=np.int8)
        b_moves = np.zeros((b, horizon), dtype=np.int8)
        sa, sb = np.zeros(b), np.zeros(b)
        ca = np.zeros(b, dtype=np.int64)
        cb = np.zeros(b, dtype=np.int64)
        _kernel()(
            table.coop,
            table.next,
            s0,
            s1,
            length,
            pay,
            float(self.noise),
            noisy,
            u0,
            st0,
            u1,
            st1,
            nz,
            a_moves,
            b_moves,
            sa,
            sb,
            ca,
            cb,
        )
        return a_moves, b_moves, sa, sb, ca, cb


@dataclass(frozen=True)
class _Table:
    """Machines stacked with global state ids."""

    coop: FloatArray
    next: NDArray[np.int64]
    start: NDArray[np.int64]
    stochastic: NDArray[np.bool_]


def _stack(machines: Sequence[Machine | None]) -> _Table:
    """Stack the machines (``None`` entries get one dummy state) with global state ids;
    ``start`` and ``stochastic`` are indexed by player."""
    sizes = [m.n_states if m is not None else 1 for m in machines]
    base = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    coop = np.concatenate([m.coop_prob if m is not None else [1.0] for m in machines])
    nxt = np.concatenate(
        [
            m.next_state + base[k] if m is not None else np.full((1, 2, 2), base[k])
            for k, m in enumerate(machines)
        ]
    ).astype(np.int64)
    start = np.array(
        [base[k] + (m.initial_state if m is not None else 0) for k, m in enumerate(machines)],
        dtype=np.int64,
    )
    stoch = np.array([m is not None and not m.deterministic for m in machines], dtype=bool)
    return _Table(coop, nxt, start, stoch)


_KERNEL: Any = None


def _kernel() -> Any:
    """The numba-compiled match loop (compiled on first use, cached on disk)."""
    global _KERNEL
    if _KERNEL is None:
        import numba

        _KERNEL = numba.njit(cache=True, nogil=True)(_play_all)
    return _KERNEL


def _play_all(
    coop: Any,
    nxt: Any,
    s0_init: Any,
    s1_init: Any,
    length: Any,
    pay: Any,
    noise: float,
    noisy: bool,
    u0: Any,
    st0: Any,
    u1: Any,
    st1: Any,
    nz: Any,
    a_moves: Any,
    b_moves: Any,
    sa: Any,
    sb: Any,
    ca: Any,
    cb: Any,
) -> None:  # pragma: no cover - runs compiled
    """Every match ``c`` for ``length[c]`` rounds. A seat draws its next uniform (by its
    own counter) only in a state whose cooperation probability is strictly between 0 and
    1, and defects when the uniform is >= that probability (:func:`choose`); noise flips
    each move when its uniform (seat 0's first) is below ``noise``."""
    for c in range(len(length)):
        s0, s1 = s0_init[c], s1_init[c]
        k0 = 0
        k1 = 0
        score0 = 0.0
        score1 = 0.0
        n0 = 0
        n1 = 0
        for t in range(length[c]):
            p0 = coop[s0]
            p1 = coop[s1]
            if p0 >= 1.0:
                m0 = 0
            elif p0 <= 0.0:
                m0 = 1
            else:
                m0 = 1 if u0[c, k0] >= p0 else 0
                k0 += 1
            if p1 >= 1.0:
                m1 = 0
            elif p1 <= 0.0:
                m1 = 1
            else:
                m1 = 1 if u1[c, k1] >= p1 else 0
                k1 += 1
            if noisy:
                if nz[c, 2 * t] < noise:
                    m0 = 1 - m0
                if nz[c, 2 * t + 1] < noise:
                    m1 = 1 - m1
            a_moves[c, t] = m0
            b_moves[c, t] = m1
            score0 += pay[m0, m1]
            score1 += pay[m1, m0]
            n0 += 1 - m0
            n1 += 1 - m1
            s0, s1 = nxt[s0, m0, m1], nxt[s1, m1, m0]
        sa[c] = score0
        sb[c] = score1
        ca[c] = n0
        cb[c] = n1


def run_ipd_tournament(players: Sequence[Strategy | str], **kwargs: Any) -> TournamentResult:
    """``IPDTournament(players, **kwargs).play()``."""
    return IPDTournament(players, **kwargs).play()
