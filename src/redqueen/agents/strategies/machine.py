"""Finite-state machines for repeated 2x2 games: one exact, array-shaped form of a strategy.

Every strategy whose behaviour depends on a bounded amount of information -- a memory-one
strategy given by its four-vector (Nowak & Sigmund 1993; Press & Dyson 2012), a memory-n
strategy, an automaton by table (Miller 1996; Ashlock & Kim 2008), a cycle of moves -- is
a Moore machine:

- ``n_states`` states, numbered from 0, starting in ``initial_state``;
- in state ``s`` the strategy cooperates (action 0) with probability ``coop_prob[s]``
  (exactly 0 or 1 for a deterministic strategy) and defects (action 1) otherwise;
- after the round, with executed moves ``m`` (its own) and ``o`` (the other player's),
  it moves to ``next_state[s, m, o]``.

Moves are the executed ones: under execution noise a strategy sees its own move as it was
carried out, as in the Axelrod library. Randomness is drawn exactly as
:func:`choose` draws it (one ``rng.random()`` per round, and only when
``0 < coop_prob[s] < 1``), so that a class and its machine, handed Generators in the same
state, make identical moves. That identity is what lets a whole tournament of machines be
run as array operations (state vectors indexed into ``coop_prob`` and ``next_state``)
with the same results as the scalar classes.

Axelrod-library automata are Mealy machines (the move is attached to the transition, and
the first move is given separately); :meth:`Machine.from_mealy` converts them, with one
Moore state per reachable (Mealy state, move to play) pair.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from redqueen.errors import InvalidParameterError

C, D = 0, 1
"""Action ids in a 2x2 social dilemma: 0 cooperates, 1 defects (the stage game's order)."""


def choose(p: float, rng: np.random.Generator | None) -> int:
    """Cooperate (0) with probability ``p``: no draw when ``p`` is 0 or 1, otherwise one
    ``rng.random()`` (cooperate when it is below ``p``)."""
    if p >= 1.0:
        return C
    if p <= 0.0:
        return D
    if rng is None:
        raise InvalidParameterError(
            f"a stochastic move (cooperation probability {p}) needs a numpy Generator"
        )
    return C if rng.random() < p else D


@dataclass(frozen=True, eq=False)
class Machine:
    """A Moore machine playing one seat of a repeated 2x2 game (see the module docstring)."""

    n_states: int
    initial_state: int
    coop_prob: NDArray[np.float64]
    next_state: NDArray[np.int64]
    """``next_state[s, my_move, their_move]``."""

    def __post_init__(self) -> None:
        n = self.n_states
        coop = np.asarray(self.coop_prob, dtype=np.float64)
        nxt = np.asarray(self.next_state, dtype=np.int64)
        if n < 1:
            raise InvalidParameterError(f"a machine needs n_states >= 1; got {n}")
        if not 0 <= self.initial_state < n:
            raise InvalidParameterError(
                f"initial_state must be in 0..{n - 1}; got {self.initial_state}"
            )
        if coop.shape != (n,):
            raise InvalidParameterError(f"coop_prob must have shape ({n},); got {coop.shape}")
        if nxt.shape != (n, 2, 2):
            raise InvalidParameterError(f"next_state must have shape ({n}, 2, 2); got {nxt.shape}")
        if not np.all((coop >= 0.0) & (coop <= 1.0)):
            raise InvalidParameterError(f"coop_prob entries must be in [0, 1]; got {coop}")
        if not np.all((nxt >= 0) & (nxt < n)):
            raise InvalidParameterError(f"next_state entries must be in 0..{n - 1}")
        coop.setflags(write=False)
        nxt.setflags(write=False)
        object.__setattr__(self, "coop_prob", coop)
        object.__setattr__(self, "next_state", nxt)

    @property
    def deterministic(self) -> bool:
        """Whether every state cooperates with probability exactly 0 or 1."""
        return bool(np.all((self.coop_prob == 0.0) | (self.coop_prob == 1.0)))

    def action(self, state: int, rng: np.random.Generator | None = None) -> int:
        """The move in ``state`` (drawing from ``rng`` as :func:`choose` does)."""
        return choose(float(self.coop_prob[state]), rng)

    def step(self, state: int, my_move: int, their_move: int) -> int:
        """The state after a round with the executed moves ``my_move`` and ``their_move``."""
        return int(self.next_state[state, my_move, their_move])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Machine):
            return NotImplemented
        return (
            self.n_states == other.n_states
            and self.initial_state == other.initial_state
            and np.array_equal(self.coop_prob, other.coop_prob)
            and np.array_equal(self.next_state, other.next_state)
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        kind = "deterministic" if self.deterministic else "stochastic"
        return f"<Machine {self.n_states} states, {kind}>"

    # ---- builders ------------------------------------------------------------------------

    @classmethod
    def constant(cls, p: float) -> Machine:
        """One state: cooperate with probability ``p`` every round."""
        return cls(1, 0, np.array([p]), np.zeros((1, 2, 2), dtype=np.int64))

    @classmethod
    def cycle(cls, moves: Sequence[int]) -> Machine:
        """Play ``moves`` over and over, whatever happens."""
        k = len(moves)
        nxt = np.empty((k, 2, 2), dtype=np.int64)
        for s in range(k):
            nxt[s] = (s + 1) % k
        return cls(k, 0, np.array([1.0 if m == C else 0.0 for m in moves]), nxt)

    @classmethod
    def memory_one(cls, four_vector: Sequence[float], first: float = 1.0) -> Machine:
        """A memory-one strategy: cooperate with probability ``four_vector[i]`` after the
        outcome ``i`` of (CC, CD, DC, DD) (own move first), and with probability
        ``first`` in the first round. State 0 is the start; state ``1 + 2m + o`` follows
        the outcome (m, o)."""
        if len(four_vector) != 4:
            raise InvalidParameterError(
                f"a memory-one strategy needs four probabilities; got {list(four_vector)}"
            )
        nxt = np.empty((5, 2, 2), dtype=np.int64)
        for m in (C, D):
            for o in (C, D):
                nxt[:, m, o] = 1 + 2 * m + o
        return cls(5, 0, np.array([first, *four_vector], dtype=np.float64), nxt)

    @classmethod
    def from_mealy(
        cls,
        transitions: Iterable[tuple[int, int, int, int]],
        initial_state: int,
        initial_action: int,
    ) -> Machine:
        """Convert an Axelrod-library automaton: rows ``(state, their last move, next
        state, move)``; the first move is ``initial_action`` from ``initial_state``.
        Only (state, move) pairs reachable from the start become Moore states."""
        table: dict[tuple[int, int], tuple[int, int]] = {}
        for state, their, target_state, move in transitions:
            table[(state, their)] = (target_state, move)
        start = (initial_state, initial_action)
        index = {start: 0}
        order = [start]
        edges: list[list[int]] = []
        k = 0
        while k < len(order):
            state, _ = order[k]
            row = []
            for their in (C, D):
                if (state, their) not in table:
                    raise InvalidParameterError(
                        f"automaton state {state} has no transition for move {their}"
                    )
                target = table[(state, their)]
                if target not in index:
                    index[target] = len(order)
                    order.append(target)
                row.append(index[target])
            edges.append(row)
            k += 1
        n = len(order)
        nxt = np.empty((n, 2, 2), dtype=np.int64)
        for s, (to_c, to_d) in enumerate(edges):
            nxt[s, :, C] = to_c
            nxt[s, :, D] = to_d
        coop = np.array([1.0 if move == C else 0.0 for _, move in order])
        return cls(n, 0, coop, nxt)

    @classmethod
    def from_window(
        cls, depth: int, policy: Callable[[tuple[int, ...], tuple[int, ...]], float]
    ) -> Machine:
        """A memory-``depth`` strategy: ``policy(mine, theirs)`` is the probability of
        cooperating given the last ``min(depth, rounds played)`` executed moves of each
        player (oldest first). States are the distinct windows reachable from the start,
        so short histories at the start of a match are states of their own."""
        if depth < 0:
            raise InvalidParameterError(f"depth must be >= 0; got {depth}")
        start: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
        index = {start: 0}
        order = [start]
        edges: list[list[list[int]]] = []
        k = 0
        while k < len(order):
            mine, theirs = order[k]
            row = []
            for m in (C, D):
                cells = []
                for o in (C, D):
                    target = ((*mine, m)[-depth:], (*theirs, o)[-depth:]) if depth else start
                    if target not in index:
                        index[target] = len(order)
                        order.append(target)
                    cells.append(index[target])
                row.append(cells)
            edges.append(row)
            k += 1
        coop = np.array([float(policy(mine, theirs)) for mine, theirs in order])
        return cls(len(order), 0, coop, np.array(edges, dtype=np.int64))

    # ---- playing -------------------------------------------------------------------------

    def play(
        self,
        their_moves: Sequence[int],
        rng: np.random.Generator | None = None,
    ) -> list[int]:
        """This machine's moves against a fixed sequence of the other player's moves
        (no noise): one move per entry of ``their_moves``."""
        state = self.initial_state
        out = []
        for o in their_moves:
            m = self.action(state, rng)
            out.append(m)
            state = self.step(state, m, int(o))
        return out


def play_machines(
    first: Machine,
    second: Machine,
    turns: int,
    rng: np.random.Generator | None = None,
) -> tuple[list[int], list[int]]:
    """Two machines against each other for ``turns`` rounds without noise; the first
    draws before the second in every round, from the same ``rng``."""
    s0, s1 = first.initial_state, second.initial_state
    a: list[int] = []
    b: list[int] = []
    for _ in range(turns):
        m0 = first.action(s0, rng)
        m1 = second.action(s1, rng)
        a.append(m0)
        b.append(m1)
        s0, s1 = first.step(s0, m0, m1), second.step(s1, m1, m0)
    return a, b
