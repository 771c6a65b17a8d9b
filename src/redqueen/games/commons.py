"""The commons: a common-pool resource that regrows logistically, harvested by N agents.

The tragedy of the commons (Hardin 1968) and its institutional answers -- monitoring,
graduated sanctions and rules the users set themselves (Ostrom 1990, *Governing the
Commons*, design principles 3-5) -- are the setting of the recent work on whether LLM
agents sustain a shared resource: GovSim ("Cooperate or Collapse: Emergence of
Sustainable Cooperation in a Society of LLM Agents", Piatti et al. 2024: 5 agents, a lake
of capacity 100, 12 months, collapse below 5) and the norm-formation and social-learning
commons that followed it. This module is that game with the institutions as options.

Each round:

1. *Vote* (every ``vote_every`` rounds, from round 1; off when 0): all agents at once
   propose a norm, a harvest level from the effort grid; the (lower) median proposal
   becomes the group norm.
2. *Harvest* (simultaneous): the stock is ``S``; agent ``i`` chooses an effort ``e_i`` from
   ``0, 1/(L-1), ..., 1`` (``L = effort_levels``) and harvests ``e_i * S / N``: a share of
   its equal part of the stock, so the harvests never exceed the stock.
3. *Monitoring* (when a norm is set and ``monitoring = q > 0``): each agent whose effort
   exceeds the norm is audited with probability ``q`` (a chance node per such agent, in
   seat order); an audited violator pays ``fine`` per unit harvested above the norm's
   harvest (``norm * S / N``). Fines leave the game.
4. *Regrowth*: the remaining stock ``R = S - sum(h)`` grows logistically,
   ``S' = min(K, R + g * R * (1 - R / K))`` (capacity ``K``, growth rate ``g``). If ``R`` is
   below ``collapse_threshold`` the resource has collapsed: the stock is lost and the game
   ends.

Returns: each agent's harvest minus its fines, summed over rounds. General-sum.

Presets: ``rich`` (capacity 100, initial stock 100, growth 1: every harvest below half of
the stock per round is sustainable) and ``scarce`` (capacity 100, initial stock 50,
growth 0.5: only harvests below a third of the stock are). Explicit ``capacity``,
``initial_stock`` or ``growth`` override the preset.

The information-state key is a :class:`CommonsView` (a hashable named tuple): everything
is public once a round is over (harvests, votes, audits), as in GovSim's public reports.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from typing import Any, NamedTuple

import numpy as np

from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    Step,
    UtilityKind,
)
from redqueen.games.donor import amount_text, require_int, require_number
from redqueen.games.matrix import format_number

PRESETS: Mapping[str, Mapping[str, float]] = {
    "rich": {"capacity": 100.0, "initial_stock": 100.0, "growth": 1.0},
    "scarce": {"capacity": 100.0, "initial_stock": 50.0, "growth": 0.5},
}
"""Resource presets: ``capacity``, ``initial_stock`` and logistic ``growth``."""

VOTE, HARVEST, AUDIT, OVER = "vote", "harvest", "audit", "over"
NOT_AUDITED, AUDITED = 0, 1
"""Outcome ids of a monitoring chance node."""


class RoundRecord(NamedTuple):
    """One finished round: the stock before it, every effort, harvest and fine."""

    round: int
    stock: float
    norm: float | None
    efforts: tuple[float, ...]
    harvests: tuple[float, ...]
    audited: tuple[bool, ...]
    fines: tuple[float, ...]
    remaining: float
    collapsed: bool


class CommonsView(NamedTuple):
    """What every agent knows (the information-state key): the phase, round, stock, the
    current norm (a fraction of the equal share, or None), the last round's efforts and
    the public history."""

    phase: str
    round: int
    stock: float
    norm: float | None
    last_efforts: tuple[float, ...]
    """Every agent's effort in the last finished round (empty before the first)."""
    history: tuple[Step, ...]


def logistic_regrowth(remaining: float, growth: float, capacity: float) -> float:
    """``min(K, R + g R (1 - R/K))``: the stock after one season of logistic growth."""
    return min(capacity, remaining + growth * remaining * (1.0 - remaining / capacity))


class CommonsGame(Game):
    """The commons; build it with :func:`commons`."""

    def __init__(
        self,
        *,
        num_agents: int,
        rounds: int,
        capacity: float,
        initial_stock: float,
        growth: float,
        collapse_threshold: float,
        effort_levels: int,
        norm: float | None,
        monitoring: float,
        fine: float,
        vote_every: int,
        params: Mapping[str, Any],
    ) -> None:
        self.rounds = rounds
        self.capacity = capacity
        self.initial_stock = initial_stock
        self.growth = growth
        self.collapse_threshold = collapse_threshold
        self.efforts = tuple(k / (effort_levels - 1) for k in range(effort_levels))
        self.initial_norm = norm
        self.monitoring = monitoring
        self.fine = fine
        self.vote_every = vote_every
        votes = 0 if vote_every == 0 else len(range(0, rounds, vote_every))
        audits = num_agents if monitoring > 0 and (norm is not None or vote_every > 0) else 0
        share = capacity / num_agents
        super().__init__(
            GameSpec(
                id="commons",
                num_players=num_agents,
                num_distinct_actions=effort_levels,
                max_game_length=rounds * (1 + audits) + votes,
                min_utility=-rounds * fine * share,
                max_utility=rounds * share,
                dynamics=Dynamics.SIMULTANEOUS,
                chance=ChanceMode.EXPLICIT if audits else ChanceMode.NONE,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=False,
                max_chance_outcomes=2 if audits else 0,
                params=dict(params),
            )
        )

    def new_initial_state(self) -> CommonsState:
        return CommonsState(self)

    def player_name(self, player: int) -> str:
        return f"agent {player}"

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(2 N + 9,)`` for ``N`` agents: see :meth:`CommonsState.information_state_tensor`."""
        return (2 * self.num_players + 9,)

    def information_state_tensor_bounds(self) -> tuple[float, float]:
        """Scores can be negative (fines), so the entries are unbounded."""
        return -math.inf, math.inf

    def votes_in(self, round_: int) -> bool:
        return self.vote_every > 0 and round_ % self.vote_every == 0

    def level_text(self, fraction: float) -> str:
        return f"{round(100 * fraction):g}%"

    def rules_text(self) -> str:
        n = self.num_players
        grid = ", ".join(self.level_text(e) for e in self.efforts)
        parts = [
            f"The commons: {n} agents share a renewable resource (think of fish in a lake) "
            f"for {self.rounds} rounds. It holds {amount_text(self.initial_stock)} units now "
            f"and at most {amount_text(self.capacity)}.",
            f"Each round every agent, at the same time, chooses how much of its equal share "
            f"(the stock divided by {n}) to harvest: one of {grid}. What you harvest is yours "
            "to keep.",
            f"After the harvest, what remains (R) regrows: the next stock is R + "
            f"{format_number(self.growth)} * R * (1 - R / {amount_text(self.capacity)}), at "
            f"most {amount_text(self.capacity)}. Regrowth is fastest when about half the "
            "capacity remains, and a depleted stock barely regrows.",
            f"If less than {amount_text(self.collapse_threshold)} units remain after a "
            "harvest, the resource collapses and the game ends: nobody harvests again.",
        ]
        if self.vote_every > 0:
            parts.append(
                f"Every {self.vote_every} round(s), starting with the first, the agents first "
                "vote on a norm: each proposes the most anyone should harvest (a share from "
                "the list above) and the median proposal (the lower one when there are two) "
                "becomes the group norm."
            )
        if self.initial_norm is not None:
            parts.append(
                f"The group norm is {self.level_text(self.initial_norm)} of one's share"
                + (" until the first vote." if self.vote_every > 0 else ".")
            )
        if self.monitoring > 0 and (self.initial_norm is not None or self.vote_every > 0):
            parts.append(
                f"Monitoring: each agent harvesting above the norm is audited with "
                f"probability {format_number(self.monitoring)}; an audited agent pays a fine "
                f"of {format_number(self.fine)} per unit it harvested above the norm."
            )
        parts += [
            "After each round everyone sees every agent's harvest, the audits and the fines.",
            "Each agent's score is its total harvest minus its fines. Harvesting more gives "
            "more now, but an overharvested resource yields less later for everyone.",
            "Answer with one of the moves listed, e.g. 'harvest 20%'.",
        ]
        return "\n".join(parts)


class CommonsState(State):
    """A point in the commons: the phase, the stock, the norm and every round so far."""

    __slots__ = (
        "_audit_queue",
        "_audited",
        "_efforts",
        "_fines",
        "_norm",
        "_over",
        "_phase",
        "_records",
        "_round",
        "_stock",
        "_totals",
        "_votes",
    )

    _game: CommonsGame

    def __init__(self, game: CommonsGame) -> None:
        super().__init__(game)
        n = game.num_players
        self._round = 0
        self._stock = game.initial_stock
        self._norm = game.initial_norm
        self._totals = [0.0] * n
        self._records: list[RoundRecord] = []
        self._votes: list[tuple[int, ...]] = []
        self._efforts: tuple[int, ...] = ()
        self._audit_queue: list[int] = []
        self._audited = [False] * n
        self._fines = [0.0] * n
        self._over = False
        self._phase = VOTE if game.votes_in(0) else HARVEST

    # ---- the tree ------------------------------------------------------------------------

    @property
    def phase(self) -> str:
        return OVER if self._over else self._phase

    def current_player(self) -> int:
        if self._over:
            return TERMINAL
        return CHANCE if self._phase == AUDIT else SIMULTANEOUS

    def _legal_actions(self, player: int) -> list[int]:
        return list(range(len(self._game.efforts)))

    def _is_legal(self, player: int, action: int) -> bool:
        if self._over:
            return False
        if self._phase == AUDIT:
            return player == CHANCE and any(a == action for a, _ in self._chance_outcomes())
        return 0 <= player < self._game.num_players and 0 <= action < len(self._game.efforts)

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        game = self._game
        if self._phase == VOTE:
            self._votes.append(actions)
            ordered = sorted(actions)
            self._norm = game.efforts[ordered[(len(ordered) - 1) // 2]]
            self._phase = HARVEST
            return
        self._efforts = actions
        self._audited = [False] * game.num_players
        self._fines = [0.0] * game.num_players
        self._audit_queue = []
        if game.monitoring > 0 and self._norm is not None:
            self._audit_queue = [
                i for i, a in enumerate(actions) if game.efforts[a] > self._norm + 1e-12
            ]
        if self._audit_queue:
            self._phase = AUDIT
        else:
            self._end_round()

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        q = self._game.monitoring
        if q >= 1.0:
            return [(AUDITED, 1.0)]
        return [(NOT_AUDITED, 1.0 - q), (AUDITED, q)]

    def _apply_action(self, action: int) -> None:
        if self._phase != AUDIT:  # unreachable: the public methods only call this at chance
            raise RedqueenError("the commons has no sequential decision nodes")
        agent = self._audit_queue.pop(0)
        if action == AUDITED:
            game = self._game
            assert self._norm is not None
            share = self._stock / game.num_players
            excess = (game.efforts[self._efforts[agent]] - self._norm) * share
            self._audited[agent] = True
            self._fines[agent] = game.fine * excess
        if not self._audit_queue:
            self._end_round()

    def _end_round(self) -> None:
        game = self._game
        n = game.num_players
        share = self._stock / n
        efforts = tuple(game.efforts[a] for a in self._efforts)
        harvests = tuple(e * share for e in efforts)
        remaining = max(0.0, self._stock - math.fsum(harvests))
        collapsed = remaining < game.collapse_threshold
        for i in range(n):
            self._totals[i] += harvests[i] - self._fines[i]
        self._records.append(
            RoundRecord(
                self._round,
                self._stock,
                self._norm,
                efforts,
                harvests,
                tuple(self._audited),
                tuple(self._fines),
                remaining,
                collapsed,
            )
        )
        self._round += 1
        if collapsed:
            self._stock = 0.0
            self._over = True
            return
        self._stock = logistic_regrowth(remaining, game.growth, game.capacity)
        if self._round >= game.rounds:
            self._over = True
            return
        self._phase = VOTE if game.votes_in(self._round) else HARVEST

    def returns(self) -> list[float]:
        return list(self._totals)

    # ---- what happened -------------------------------------------------------------------

    @property
    def stock(self) -> float:
        return self._stock

    @property
    def norm(self) -> float | None:
        return self._norm

    def records(self) -> list[RoundRecord]:
        """Every finished round, in order."""
        return list(self._records)

    def votes(self) -> list[tuple[int, ...]]:
        """Every vote's proposals (effort-grid indices), in order."""
        return list(self._votes)

    def collapsed(self) -> bool:
        return bool(self._records) and self._records[-1].collapsed

    def view(self) -> CommonsView:
        last = self._records[-1].efforts if self._records else ()
        return CommonsView(
            self.phase, self._round, self._stock, self._norm, last, tuple(self._history)
        )

    def information_state_key(self, player: int) -> Hashable:
        if not 0 <= player < self._game.num_players:
            raise RedqueenError(
                f"no player {player} in commons; players are 0..{self._game.num_players - 1}"
            )
        return self.view()

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The public view as numbers: one-hot seat (N); one-hot phase (vote, harvest,
        audit, over); round / rounds; stock / capacity; 1 if a norm is set, and the norm;
        this agent's score over its largest possible score; last round's efforts (N)."""
        game = self._game
        n = game.num_players
        if not 0 <= player < n:
            raise RedqueenError(f"no player {player} in commons; players are 0..{n - 1}")
        out = np.zeros(game.information_state_tensor_shape(), dtype=np.float32)
        out[player] = 1.0
        out[n + (VOTE, HARVEST, AUDIT, OVER).index(self.phase)] = 1.0
        out[n + 4] = self._round / game.rounds
        out[n + 5] = self._stock / game.capacity
        if self._norm is not None:
            out[n + 6] = 1.0
            out[n + 7] = self._norm
        out[n + 8] = self._totals[player] / max(game.spec.max_utility, 1e-12)
        if self._records:
            out[n + 9 :] = self._records[-1].efforts
        return out

    # ---- text ----------------------------------------------------------------------------

    def _action_text(self, player: int, action: int) -> str:
        game = self._game
        if player == CHANCE:
            return "audited" if action == AUDITED else "not audited"
        level = game.level_text(game.efforts[action])
        if self._phase == VOTE:
            return f"propose {level}"
        units = game.efforts[action] * self._stock / game.num_players
        return f"harvest {level} ({amount_text(units)})"

    def observation_text(self, player: int) -> str:
        game = self._game
        n = game.num_players
        lines = [
            f"The commons. You are agent {player} of {n}. Your score so far: "
            f"{amount_text(self._totals[player])}."
        ]
        for rec in self._records[-3:]:
            parts = []
            for i in range(n):
                item = f"agent {i} {amount_text(rec.harvests[i])}"
                if rec.audited[i]:
                    item += f" (audited, fined {amount_text(rec.fines[i])})"
                parts.append(item)
            lines.append(
                f"Round {rec.round + 1}: stock {amount_text(rec.stock)}; harvests: "
                + ", ".join(parts)
                + f"; {amount_text(rec.remaining)} remained"
                + (" and the resource collapsed." if rec.collapsed else ".")
            )
        if self._votes:
            last = self._votes[-1]
            lines.append(
                "Last vote: "
                + ", ".join(
                    f"agent {i} {game.level_text(game.efforts[a])}" for i, a in enumerate(last)
                )
                + "."
            )
        if self._over:
            how = "the resource collapsed" if self.collapsed() else f"after {game.rounds} rounds"
            lines.append(f"The game is over: {how}.")
            return "\n".join(lines)
        lines.append(
            f"Round {self._round + 1} of {game.rounds}. The stock is {amount_text(self._stock)} "
            f"of at most {amount_text(game.capacity)}; your equal share is "
            f"{amount_text(self._stock / n)}."
        )
        if self._norm is not None:
            lines.append(
                f"The group norm: harvest at most {game.level_text(self._norm)} of your share."
            )
        if self._phase == VOTE:
            lines.append("Vote now: propose the most anyone should harvest, as a share.")
        elif self._phase == AUDIT:
            lines.append("The harvest is in; audits are being decided.")
            return "\n".join(lines)
        else:
            lines.append("Choose your harvest, as a share of your equal share.")
        moves = [self._action_text(player, a) for a in range(len(game.efforts))]
        lines.append("Your moves: " + "; ".join(moves) + ".")
        return "\n".join(lines)


def commons(
    *,
    preset: str = "rich",
    num_agents: int = 5,
    rounds: int = 12,
    capacity: float | None = None,
    initial_stock: float | None = None,
    growth: float | None = None,
    collapse_threshold: float = 5.0,
    effort_levels: int = 11,
    norm: float | None = None,
    monitoring: float = 0.0,
    fine: float = 0.0,
    vote_every: int = 0,
) -> CommonsGame:
    """The commons (common-pool resource; GovSim, Piatti et al. 2024: 5 agents, 12 rounds,
    capacity 100, collapse below 5). ``norm`` is a fraction of the equal share (snapped to
    the effort grid); ``monitoring`` the audit probability; ``fine`` per unit above the
    norm; ``vote_every`` rounds between norm votes (0: no votes)."""
    if preset not in PRESETS:
        raise UnknownNameError("commons preset", str(preset), PRESETS)
    base = PRESETS[preset]
    capacity = base["capacity"] if capacity is None else capacity
    initial_stock = base["initial_stock"] if initial_stock is None else initial_stock
    growth = base["growth"] if growth is None else growth
    require_int("num_agents", num_agents, 1, 1000)
    require_int("rounds", rounds, 1, 100_000)
    require_int("effort_levels", effort_levels, 2, 101)
    require_int("vote_every", vote_every, 0, 100_000)
    require_number("capacity", capacity, 0.0, math.inf, low_open=True)
    require_number("initial_stock", initial_stock, 0.0, capacity, low_open=True)
    require_number("growth", growth, 0.0, 4.0)
    require_number("collapse_threshold", collapse_threshold, 0.0, capacity)
    require_number("monitoring", monitoring, 0.0, 1.0)
    require_number("fine", fine, 0.0, math.inf)
    snapped: float | None = None
    if norm is not None:
        require_number("norm", norm, 0.0, 1.0)
        k = round(norm * (effort_levels - 1))
        snapped = k / (effort_levels - 1)
    params = {
        "preset": preset,
        "num_agents": num_agents,
        "rounds": rounds,
        "capacity": capacity,
        "initial_stock": initial_stock,
        "growth": growth,
        "collapse_threshold": collapse_threshold,
        "effort_levels": effort_levels,
        "norm": norm,
        "monitoring": monitoring,
        "fine": fine,
        "vote_every": vote_every,
    }
    return CommonsGame(
        num_agents=num_agents,
        rounds=rounds,
        capacity=float(capacity),
        initial_stock=float(initial_stock),
        growth=float(growth),
        collapse_threshold=float(collapse_threshold),
        effort_levels=effort_levels,
        norm=snapped,
        monitoring=float(monitoring),
        fine=float(fine),
        vote_every=vote_every,
        params=params,
    )
