"""The donor game: indirect reciprocity among N agents who meet at most once.

Indirect reciprocity ("I help you because you helped others") is the mechanism by which
cooperation among strangers can evolve when reputations are visible (Nowak & Sigmund
1998, "Evolution of indirect reciprocity by image scoring", Nature 393; 2005, "Evolution
of indirect reciprocity", Nature 437). Vallinder & Hughes (2024, "Cultural evolution of
cooperation among LLM agents", arXiv:2412.10270) use the donor game to test whether
populations of LLM agents evolve cooperative norms over generations; this module follows
their setup: 12 agents with 10 units each, donations doubled, the donor sees a trace of
the recipient's past behaviour of depth 3, optional costly punishment at 1:2.

Rules (one play of the game is one *generation*; the evolution across generations lives
in :mod:`redqueen.learn.donor_evolution`):

- ``num_agents`` agents start with ``endowment`` units each.
- Each of ``rounds`` rounds, every agent is donor exactly once and recipient exactly once:
  donor ``d`` is matched with recipient ``sigma_r(d)``. The matching is a cyclic shift of a
  fixed ordering of the agents (``pairing_seed`` shuffles the ordering; ``None`` keeps
  seat order). Shifts are taken in the order ``1, 2, ..., floor((N-1)/2)``, then ``N/2``,
  then ``N-1, N-2, ...``: so no ordered donor->recipient pair repeats within ``N-1``
  rounds and no two agents meet at all, in either role, within ``floor((N-1)/2)`` rounds
  (meet-once pairing; more rounds than that must reuse pairs, reversed first).
- Donors move one at a time, in seat order within a round (a sequential game; a donor
  sees every earlier act through the traces).
- A donor gives a fraction ``f`` of its current resources, ``f`` from the grid
  ``0, 1/(L-1), ..., 1`` (``L = donation_levels``): it loses ``f * r`` and the recipient
  gains ``multiplier * f * r``.
- With ``punishment = c > 0`` the donor may instead punish: spend ``x = f * r`` (``f > 0``
  from the same grid) to remove ``c * x`` from the recipient (never below 0: the removal is
  ``min(c * x, recipient's resources)``).
- The donor sees its own resources, the recipient's resources and the recipient's trace:
  the recipient's last ``trace_depth`` acts as a donor, most recent first, each with what
  that act's recipient had done in its own last act before it (so a donor can tell a
  refusal to help a defector from a refusal to help a cooperator, the distinction that
  *standing* makes over *image scoring*; Leimar & Hammerstein 2001).
- The returns are final resources (mid-game: current resources). General-sum.

Actions: ``0 .. L-1`` give ``k / (L-1)`` of one's resources ("give 30% (3)"); with
punishment, ``L .. 2L-2`` punish with ``k / (L-1)`` for ``k = 1 .. L-1``
("punish 30% (spend 3, remove 6)").

The information-state key of a donor is a :class:`DonorView` (a hashable named tuple), the
same facts its text view shows, so that scripted strategies read it directly.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from typing import Any, NamedTuple

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import (
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)
from redqueen.games.matrix import format_number

# Vallinder & Hughes (2024), section 3.
PAPER_NUM_AGENTS = 12
PAPER_ENDOWMENT = 10.0
PAPER_MULTIPLIER = 2.0
PAPER_TRACE_DEPTH = 3
MAX_DONATIONS = 1_000_000
"""The most donations (agents x rounds) one play may have."""


class Act(NamedTuple):
    """One donor's move: who gave (or punished) whom, how much of what it had."""

    round: int
    donor: int
    recipient: int
    punish: bool
    fraction: float
    amount: float
    """Units the donor spent."""
    effect: float
    """Units the recipient gained (a gift) or lost (a punishment)."""


class TraceEntry(NamedTuple):
    """One past act of the recipient, with its own recipient's act before it."""

    act: Act
    partner_before: Act | None


class DonorView(NamedTuple):
    """What one agent knows at one moment: the information-state key of the donor game.

    ``step`` is the number of acts so far (it fixes whose turn it is). ``recipient``,
    ``recipient_resources`` and ``trace`` are set only when this agent is the donor now.
    """

    step: int
    round: int
    player: int
    resources: float
    donor: int
    recipient: int | None
    recipient_resources: float | None
    trace: tuple[TraceEntry, ...]


def amount_text(x: float) -> str:
    """Units as the text views write them: at most two decimals, no trailing zeros."""
    text = f"{float(x):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def shift_order(n: int) -> list[int]:
    """The cyclic shifts of the meet-once schedule for ``n`` agents, in order of use."""
    half = (n - 1) // 2
    shifts = list(range(1, half + 1))
    if n % 2 == 0:
        shifts.append(n // 2)
    shifts += [n - s for s in range(1, half + 1)]
    return shifts


class DonorGame(Game):
    """The donor game; build it with :func:`donor_game`."""

    def __init__(
        self,
        *,
        num_agents: int,
        rounds: int,
        endowment: float,
        multiplier: float,
        donation_levels: int,
        trace_depth: int,
        punishment: float,
        pairing_seed: int | None,
    ) -> None:
        self.endowment = float(endowment)
        self.multiplier = float(multiplier)
        self.rounds = rounds
        self.trace_depth = trace_depth
        self.punishment = float(punishment)
        self.fractions = tuple(k / (donation_levels - 1) for k in range(donation_levels))
        self.levels = donation_levels
        order = list(range(num_agents))
        if pairing_seed is not None:
            order = [int(i) for i in np.random.default_rng(pairing_seed).permutation(num_agents)]
        self.order = tuple(order)
        shifts = shift_order(num_agents)
        position = {agent: p for p, agent in enumerate(order)}
        # recipient_of[r][d]: whom donor d gives to in round r
        self.recipient_of = tuple(
            tuple(
                order[(position[d] + shifts[r % len(shifts)]) % num_agents]
                for d in range(num_agents)
            )
            for r in range(rounds)
        )
        n_actions = donation_levels + (donation_levels - 1 if punishment > 0 else 0)
        donations = num_agents * rounds
        total = num_agents * self.endowment
        # each donation multiplies the total wealth by at most ``multiplier``
        log_bound = math.log(total) + donations * math.log(max(self.multiplier, 1.0))
        max_u = math.exp(log_bound) * (1 + 1e-9) if log_bound < 700 else math.inf
        super().__init__(
            GameSpec(
                id="donor_game",
                num_players=num_agents,
                num_distinct_actions=n_actions,
                max_game_length=donations,
                min_utility=0.0,
                max_utility=max(total, max_u),
                dynamics=Dynamics.SEQUENTIAL,
                chance=ChanceMode.NONE,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=False,
                params={
                    "num_agents": num_agents,
                    "rounds": rounds,
                    "endowment": endowment,
                    "multiplier": multiplier,
                    "donation_levels": donation_levels,
                    "trace_depth": trace_depth,
                    "punishment": punishment,
                    "pairing_seed": pairing_seed,
                },
            )
        )

    def new_initial_state(self) -> DonorState:
        return DonorState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(3 N + 5 + 12 k,)`` for N agents and trace depth k: see
        :meth:`DonorState.information_state_tensor`."""
        return (3 * self.num_players + 5 + 12 * self.trace_depth,)

    def information_state_tensor_bounds(self) -> tuple[float, float]:
        """Resources are scaled by the endowment and can grow past it: [0, inf)."""
        return 0.0, math.inf

    def player_name(self, player: int) -> str:
        return f"agent {player}"

    def action_meaning(self, action: int) -> tuple[bool, float]:
        """``(punish, fraction)`` of an action id."""
        if 0 <= action < self.levels:
            return False, self.fractions[action]
        if self.punishment > 0 and self.levels <= action < 2 * self.levels - 1:
            return True, self.fractions[action - self.levels + 1]
        raise RedqueenError(f"no action {action} in this donor game")

    def give_action(self, fraction: float) -> int:
        """The action that gives the grid fraction nearest to ``fraction``."""
        return int(np.argmin([abs(f - fraction) for f in self.fractions]))

    def punish_action(self, fraction: float) -> int:
        """The punishing action with the grid fraction (> 0) nearest to ``fraction``."""
        if self.punishment <= 0:
            raise RedqueenError("this donor game has no punishment (punishment=0)")
        k = int(np.argmin([abs(f - fraction) for f in self.fractions[1:]]))
        return self.levels + k

    def rules_text(self) -> str:
        n = self.num_players
        grid = ", ".join(f"{round(100 * f):g}%" for f in self.fractions)
        parts = [
            f"The donor game (indirect reciprocity): {n} agents each start with "
            f"{amount_text(self.endowment)} units. The game lasts {self.rounds} rounds.",
            "In every round each agent is a donor exactly once and a recipient exactly once; "
            "agents are matched so that the same two agents meet as rarely as possible "
            "(never twice while that can be avoided). Donors act one at a time.",
            f"A donor gives a share of its current resources, one of: {grid}. The donor loses "
            f"what it gives; the recipient receives {format_number(self.multiplier)} times "
            "that amount.",
        ]
        if self.punishment > 0:
            parts.append(
                "Instead of giving, a donor may punish the recipient: it spends a share of its "
                f"own resources (any of the non-zero shares above) and the recipient loses "
                f"{format_number(self.punishment)} times that amount (but never more than it "
                "has)."
            )
        parts += [
            "Before deciding, the donor sees its own resources, the recipient's resources and "
            f"the recipient's last {self.trace_depth} acts as a donor (whom it gave to, what "
            "share and how much), each with what that act's recipient had done in its own "
            "last act before it.",
            "Each agent's score is its resources at the end. Everyone gains when donations "
            "flow (each unit given becomes "
            f"{format_number(self.multiplier)} units), but each single gift costs the giver.",
            "Answer with one of the moves listed, e.g. 'give 50%'.",
        ]
        return "\n".join(parts)


class DonorState(State):
    """A point in a donor game: whose turn, everyone's resources and every act so far."""

    __slots__ = ("_acts", "_last_act", "_resources")

    _game: DonorGame

    def __init__(self, game: DonorGame) -> None:
        super().__init__(game)
        self._resources = [game.endowment] * game.num_players
        self._acts: list[Act] = []
        self._last_act: list[int] = [-1] * game.num_players  # index into _acts, per donor

    # ---- the tree ------------------------------------------------------------------------

    @property
    def step(self) -> int:
        return len(self._acts)

    @property
    def round(self) -> int:
        """The current round, counted from 0 (``rounds`` once the game is over)."""
        return self.step // self._game.num_players

    def current_player(self) -> int:
        if self.step >= self._game.spec.max_game_length:
            return TERMINAL
        return self.step % self._game.num_players

    def current_recipient(self) -> int:
        donor = self.current_player()
        if donor == TERMINAL:
            raise RedqueenError("the donor game is over")
        return self._game.recipient_of[self.round][donor]

    def _legal_actions(self, player: int) -> list[int]:
        return list(range(self._game.num_distinct_actions))

    def _is_legal(self, player: int, action: int) -> bool:
        return player == self.current_player() and 0 <= action < self._game.num_distinct_actions

    def _apply_action(self, action: int) -> None:
        game = self._game
        donor = self.current_player()
        recipient = game.recipient_of[self.round][donor]
        punish, fraction = game.action_meaning(action)
        amount = fraction * self._resources[donor]
        self._resources[donor] -= amount
        if punish:
            effect = min(game.punishment * amount, self._resources[recipient])
            self._resources[recipient] -= effect
        else:
            effect = game.multiplier * amount
            self._resources[recipient] += effect
        self._acts.append(Act(self.round, donor, recipient, punish, fraction, amount, effect))
        self._last_act[donor] = len(self._acts) - 1

    def returns(self) -> list[float]:
        return list(self._resources)

    # ---- what happened -------------------------------------------------------------------

    def acts(self) -> list[Act]:
        """Every act so far, in order."""
        return list(self._acts)

    def resources(self) -> list[float]:
        return list(self._resources)

    def trace(self, agent: int, depth: int | None = None) -> tuple[TraceEntry, ...]:
        """``agent``'s last ``depth`` acts (default ``trace_depth``), most recent first,
        each with the last act of its recipient before it."""
        depth = self._game.trace_depth if depth is None else depth
        out: list[TraceEntry] = []
        for i in range(len(self._acts) - 1, -1, -1):
            if len(out) >= depth:
                break
            act = self._acts[i]
            if act.donor != agent:
                continue
            before = next(
                (
                    self._acts[j]
                    for j in range(i - 1, -1, -1)
                    if self._acts[j].donor == act.recipient
                ),
                None,
            )
            out.append(TraceEntry(act, before))
        return tuple(out)

    def view(self, player: int) -> DonorView:
        """What ``player`` knows now (its information-state key)."""
        if not 0 <= player < self._game.num_players:
            raise RedqueenError(
                f"no player {player} in donor_game; players are 0..{self._game.num_players - 1}"
            )
        donor = self.current_player()
        if donor == player:
            recipient = self._game.recipient_of[self.round][donor]
            return DonorView(
                self.step,
                self.round,
                player,
                self._resources[player],
                donor,
                recipient,
                self._resources[recipient],
                self.trace(recipient),
            )
        return DonorView(
            self.step, self.round, player, self._resources[player], donor, None, None, ()
        )

    def information_state_key(self, player: int) -> Hashable:
        return self.view(player)

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The view (:meth:`view`) as numbers: one-hot seat, donor and recipient (N each;
        the recipient only when this agent is the donor); acts so far / all acts; round /
        rounds; own and recipient resources / endowment; 1 if this agent gives now; then
        per trace entry (most recent first) the act and its recipient's act before it, each
        as (present, punish, fraction, spent / endowment, effect / endowment, round /
        rounds)."""
        game = self._game
        n, k = game.num_players, game.trace_depth
        view = self.view(player)
        out = np.zeros(game.information_state_tensor_shape(), dtype=np.float32)
        out[view.player] = 1.0
        if 0 <= view.donor < n:
            out[n + view.donor] = 1.0
        if view.recipient is not None:
            out[2 * n + view.recipient] = 1.0
        base = 3 * n
        out[base] = view.step / game.spec.max_game_length
        out[base + 1] = view.round / game.rounds
        out[base + 2] = view.resources / game.endowment
        out[base + 3] = (view.recipient_resources or 0.0) / game.endowment
        out[base + 4] = float(view.recipient is not None)
        for i, entry in enumerate(view.trace[:k]):
            for j, act in enumerate((entry.act, entry.partner_before)):
                at = base + 5 + 12 * i + 6 * j
                if act is not None:
                    out[at : at + 6] = (
                        1.0,
                        float(act.punish),
                        act.fraction,
                        act.amount / game.endowment,
                        act.effect / game.endowment,
                        act.round / game.rounds,
                    )
        return out

    # ---- text ----------------------------------------------------------------------------

    def _action_text(self, player: int, action: int) -> str:
        game = self._game
        punish, fraction = game.action_meaning(action)
        pct = f"{round(100 * fraction):g}%"
        own = self._resources[player] if 0 <= player < game.num_players else 0.0
        amount = fraction * own
        if punish:
            return (
                f"punish {pct} (spend {amount_text(amount)}, remove "
                f"{amount_text(game.punishment * amount)})"
            )
        return f"give {pct} ({amount_text(amount)})"

    def _act_text(self, act: Act) -> str:
        verb = "punished" if act.punish else "gave"
        if act.punish:
            what = (
                f"spending {round(100 * act.fraction):g}% of its resources "
                f"({amount_text(act.amount)}) to remove {amount_text(act.effect)}"
            )
            return (
                f"in round {act.round + 1}, agent {act.donor} {verb} agent {act.recipient}, {what}"
            )
        return (
            f"in round {act.round + 1}, agent {act.donor} {verb} {round(100 * act.fraction):g}% "
            f"of its resources ({amount_text(act.amount)}) to agent {act.recipient}"
        )

    def observation_text(self, player: int) -> str:
        game = self._game
        view = self.view(player)
        head = f"Donor game. You are agent {player}."
        if self.is_terminal():
            return (
                f"{head} The game is over after {game.rounds} rounds. Your final resources: "
                f"{amount_text(view.resources)}."
            )
        lines = [
            f"{head} Round {view.round + 1} of {game.rounds}. Your resources: "
            f"{amount_text(view.resources)}."
        ]
        if view.recipient is None:
            lines.append(f"Agent {view.donor} is deciding how much to give. Wait for your turn.")
            return "\n".join(lines)
        assert view.recipient_resources is not None
        lines.append(
            f"You are the donor. Your recipient is agent {view.recipient}, who has "
            f"{amount_text(view.recipient_resources)}."
        )
        if not view.trace:
            lines.append(f"Agent {view.recipient} has not been a donor yet.")
        else:
            lines.append(f"What agent {view.recipient} did as a donor, most recent first:")
            for entry in view.trace:
                lines.append("- " + self._act_text(entry.act) + ".")
                if entry.partner_before is None:
                    lines.append(
                        f"  (Agent {entry.act.recipient} had not been a donor before that.)"
                    )
                else:
                    lines.append("  Before that, " + self._act_text(entry.partner_before) + ".")
        moves = [self._action_text(player, a) for a in range(game.num_distinct_actions)]
        lines.append("Your moves: " + "; ".join(moves) + ".")
        return "\n".join(lines)


def donor_game(
    *,
    num_agents: int = PAPER_NUM_AGENTS,
    rounds: int = PAPER_NUM_AGENTS - 1,
    endowment: float = PAPER_ENDOWMENT,
    multiplier: float = PAPER_MULTIPLIER,
    donation_levels: int = 11,
    trace_depth: int = PAPER_TRACE_DEPTH,
    punishment: float = 0.0,
    pairing_seed: int | None = None,
) -> DonorGame:
    """The donor game of indirect reciprocity (Vallinder & Hughes 2024; Nowak & Sigmund
    1998). Defaults: the paper's 12 agents, 10 units, gifts doubled, trace depth 3; 11
    rounds, so that no ordered pair meets twice; no punishment (the paper's punishment
    variant is ``punishment=2``)."""
    require_int("num_agents", num_agents, 2, 10_000)
    require_int("rounds", rounds, 1, 100_000)
    require_int("donation_levels", donation_levels, 2, 101)
    require_int("trace_depth", trace_depth, 0, 1000)
    if num_agents * rounds > MAX_DONATIONS:
        raise InvalidParameterError(
            f"num_agents * rounds (the number of donations) must be at most {MAX_DONATIONS:,}; "
            f"got {num_agents} * {rounds} = {num_agents * rounds:,}"
        )
    if pairing_seed is not None:
        require_int("pairing_seed", pairing_seed, 0, 2**63 - 1)
    require_number("endowment", endowment, 0.0, math.inf, low_open=True)
    require_number("multiplier", multiplier, 0.0, math.inf)
    require_number("punishment", punishment, 0.0, math.inf)
    return DonorGame(
        num_agents=num_agents,
        rounds=rounds,
        endowment=endowment,
        multiplier=multiplier,
        donation_levels=donation_levels,
        trace_depth=trace_depth,
        punishment=punishment,
        pairing_seed=pairing_seed,
    )


def require_int(name: str, value: Any, low: int, high: int) -> None:
    """Raise :class:`InvalidParameterError` unless ``value`` is an int in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterError(f"{name} must be an integer in [{low}, {high}]; got {value!r}")


def require_number(
    name: str, value: Any, low: float, high: float, *, low_open: bool = False
) -> None:
    """Raise :class:`InvalidParameterError` unless ``value`` is a finite number in
    ``[low, high]`` (``(low, high]`` with ``low_open``)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and value <= high
    if not ok:
        bracket = "(" if low_open else "["
        upper = "inf)" if math.isinf(high) else f"{format_number(high)}]"
        raise InvalidParameterError(
            f"{name} must be a finite number in {bracket}{format_number(low)}, {upper}; "
            f"got {value!r}"
        )
