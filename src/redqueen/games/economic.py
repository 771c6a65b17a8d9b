"""Three small games of experimental economics: trust, ultimatum and public goods.

They are the workhorses of behavioural game theory and, lately, of studies of LLM
agents' social preferences: in each, the subgame-perfect prediction for selfish players
(send nothing; offer the least; contribute nothing) is far from what people do, so they
measure trust, fairness and cooperation.

- :func:`trust_game` (Berg, Dickhaut & McCabe 1995, "Trust, reciprocity, and social
  history"): the investor sends part of an endowment; it is multiplied (x3 in the
  original) on the way to the trustee, who returns any part of what arrived.
- :func:`ultimatum_game` (Güth, Schmittberger & Schwarze 1982): the proposer offers part
  of a sum; the responder accepts (the split stands) or rejects (both get nothing).
- :func:`public_goods_game` (the linear voluntary-contribution mechanism; Isaac, Walker &
  Thomas 1984; Fehr & Gächter 2000 for the repeated form): each of N players keeps or
  contributes parts of an endowment; the pot is multiplied by ``m`` and shared equally,
  so with ``1 < m < N`` contributing is best for the group and worst for oneself.

Amounts move on a grid of ``step`` units, so every move is one of finitely many actions:
action ``k`` is the amount ``k * step``. The text views name amounts, for example
``send 4``, ``return 6``, ``offer 3``, ``accept``, ``contribute 10``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import (
    SIMULTANEOUS,
    TERMINAL,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)
from redqueen.games.matrix import format_number
from redqueen.games.params import grid_steps, integer, number

# ---- trust game ---------------------------------------------------------------------


class TrustGame(Game):
    """The investment ("trust") game of Berg, Dickhaut & McCabe (1995)."""

    def __init__(
        self,
        endowment: float = 10,
        multiplier: float = 3,
        trustee_endowment: float = 0,
        step: float = 1,
    ) -> None:
        step = number("step", step, 0, 1e12, open_low=True)
        endowment = number("endowment", endowment, 0, 1e12, open_low=True)
        multiplier = number("multiplier", multiplier, 0, 1e12, open_low=True)
        if multiplier < 1:
            raise InvalidParameterError(
                f"multiplier must be >= 1 (what is sent grows on the way), got {multiplier:g}"
            )
        trustee_endowment = number("trustee_endowment", trustee_endowment, 0, 1e12)
        self.endowment = endowment
        self.multiplier = multiplier
        self.trustee_endowment = float(trustee_endowment)
        self.step = step
        self.send_steps = grid_steps("endowment", endowment, step)
        self.max_return_steps = math.floor(self.send_steps * multiplier + 1e-9)
        top = multiplier * endowment
        super().__init__(
            GameSpec(
                id="trust_game",
                num_players=2,
                num_distinct_actions=max(self.send_steps, self.max_return_steps) + 1,
                max_game_length=2,
                min_utility=0.0,
                max_utility=max(top, self.trustee_endowment + top),
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=True,
                params={
                    "endowment": endowment,
                    "multiplier": multiplier,
                    "trustee_endowment": self.trustee_endowment,
                    "step": step,
                },
            )
        )

    def new_initial_state(self) -> TrustState:
        return TrustState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """Who moves (investor, trustee, nobody), the amount sent and the amount returned,
        each one-hot over its grid."""
        return (3 + self.send_steps + 1 + self.max_return_steps + 1,)

    def player_name(self, player: int) -> str:
        return ("player 0 (investor)", "player 1 (trustee)")[player]

    def rules_text(self) -> str:
        e, m, s = (format_number(x) for x in (self.endowment, self.multiplier, self.step))
        extra = (
            f" The trustee also starts with {format_number(self.trustee_endowment)}."
            if self.trustee_endowment
            else ""
        )
        return (
            "Trust game (Berg, Dickhaut & McCabe 1995). Two players: the investor "
            f"(player 0) and the trustee (player 1). The investor starts with {e}.{extra} "
            f"First the investor sends any amount from 0 to {e} (in steps of {s}) to the "
            f"trustee; the amount sent is multiplied by {m} on the way. Then the trustee "
            "returns any amount from 0 to what arrived (in steps of the same size) to the "
            "investor, and keeps the rest. The investor ends with what they kept plus what "
            "was returned; the trustee ends with their own endowment plus what arrived "
            "minus what they returned. Each player's payoff is what they end with. Moves "
            "are written like 'send 4' and 'return 6'."
        )


class TrustState(State):
    def __init__(self, game: TrustGame) -> None:
        super().__init__(game)
        self._g = game
        self._sent: int | None = None
        self._returned: int | None = None

    def current_player(self) -> int:
        if self._sent is None:
            return 0
        return 1 if self._returned is None else TERMINAL

    def _arrived_steps(self) -> int:
        assert self._sent is not None
        return math.floor(self._sent * self._g.multiplier + 1e-9)

    def _legal_actions(self, player: int) -> list[int]:
        if player == 0:
            return list(range(self._g.send_steps + 1))
        return list(range(self._arrived_steps() + 1))

    def _apply_action(self, action: int) -> None:
        if self._sent is None:
            self._sent = action
        else:
            self._returned = action

    def returns(self) -> list[float]:
        g = self._g
        if self._sent is None:
            return [g.endowment, g.trustee_endowment]
        sent = self._sent * g.step
        arrived = sent * g.multiplier
        back = (self._returned or 0) * g.step
        return [g.endowment - sent + back, g.trustee_endowment + arrived - back]

    def information_state_key(self, player: int) -> Hashable:
        return (self._sent, self._returned)

    def information_state_tensor(self, player: int) -> np.ndarray:
        g = self._g
        out = np.zeros(g.information_state_tensor_shape(), dtype=np.float32)
        out[min(self.current_player(), 2) if self.current_player() >= 0 else 2] = 1.0
        if self._sent is not None:
            out[3 + self._sent] = 1.0
        if self._returned is not None:
            out[3 + g.send_steps + 1 + self._returned] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        verb = "send" if player == 0 else "return"
        return f"{verb} {format_number(action * self._g.step)}"

    def observation_text(self, player: int) -> str:
        g = self._g
        lines = [f"Trust game. You are {g.player_name(player)}."]
        if self._sent is None:
            lines.append(
                f"The investor has {format_number(g.endowment)} and has not sent anything yet."
            )
        else:
            sent = self._sent * g.step
            lines.append(
                f"The investor sent {format_number(sent)}; "
                f"{format_number(sent * g.multiplier)} arrived at the trustee."
            )
        if self._returned is not None:
            lines.append(f"The trustee returned {format_number(self._returned * g.step)}.")
        player_to_move = self.current_player()
        if player_to_move == TERMINAL:
            r = self.returns()
            lines.append(
                f"Game over: the investor ends with {format_number(r[0])}, the trustee "
                f"with {format_number(r[1])}."
            )
        elif player_to_move == player:
            top = g.endowment if player == 0 else self._arrived_steps() * g.step
            verb = "send" if player == 0 else "return"
            lines.append(
                f"Your move: {verb} an amount from 0 to {format_number(top)} in steps of "
                f"{format_number(g.step)}, for example '{verb} {format_number(g.step)}'."
            )
        else:
            lines.append(f"Waiting for {g.player_name(player_to_move)}.")
        return "\n".join(lines)


def trust_game(
    endowment: float = 10, multiplier: float = 3, trustee_endowment: float = 0, step: float = 1
) -> TrustGame:
    """The trust game: the investor sends part of ``endowment``, which is multiplied by
    ``multiplier``; the trustee returns part of what arrived (Berg et al. 1995: 10, x3)."""
    return TrustGame(endowment, multiplier, trustee_endowment, step)


# ---- ultimatum game -----------------------------------------------------------------

ACCEPT, REJECT = 0, 1


class UltimatumGame(Game):
    """The ultimatum game of Güth, Schmittberger & Schwarze (1982)."""

    def __init__(self, amount: float = 10, step: float = 1) -> None:
        step = number("step", step, 0, 1e12, open_low=True)
        amount = number("amount", amount, 0, 1e12, open_low=True)
        self.amount = amount
        self.step = step
        self.offer_steps = grid_steps("amount", amount, step)
        super().__init__(
            GameSpec(
                id="ultimatum_game",
                num_players=2,
                num_distinct_actions=self.offer_steps + 1,
                max_game_length=2,
                min_utility=0.0,
                max_utility=amount,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=True,
                params={"amount": amount, "step": step},
            )
        )

    def new_initial_state(self) -> UltimatumState:
        return UltimatumState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """The offer one-hot over its grid, then the answer (accept, reject) one-hot."""
        return (self.offer_steps + 1 + 2,)

    def player_name(self, player: int) -> str:
        return ("player 0 (proposer)", "player 1 (responder)")[player]

    def rules_text(self) -> str:
        a, s = format_number(self.amount), format_number(self.step)
        return (
            "Ultimatum game (Güth, Schmittberger & Schwarze 1982). Two players share "
            f"{a}. The proposer (player 0) offers the responder (player 1) any amount from "
            f"0 to {a} in steps of {s}, written like 'offer 3'. The responder then answers "
            "'accept' or 'reject'. If the responder accepts, the responder gets the offer "
            "and the proposer keeps the rest; if the responder rejects, both get 0."
        )


class UltimatumState(State):
    def __init__(self, game: UltimatumGame) -> None:
        super().__init__(game)
        self._g = game
        self._offer: int | None = None
        self._answer: int | None = None

    def current_player(self) -> int:
        if self._offer is None:
            return 0
        return 1 if self._answer is None else TERMINAL

    def _legal_actions(self, player: int) -> list[int]:
        if player == 0:
            return list(range(self._g.offer_steps + 1))
        return [ACCEPT, REJECT]

    def _apply_action(self, action: int) -> None:
        if self._offer is None:
            self._offer = action
        else:
            self._answer = action

    def returns(self) -> list[float]:
        if self._answer != ACCEPT or self._offer is None:
            return [0.0, 0.0]
        offer = self._offer * self._g.step
        return [self._g.amount - offer, offer]

    def information_state_key(self, player: int) -> Hashable:
        return (self._offer, self._answer)

    def information_state_tensor(self, player: int) -> np.ndarray:
        g = self._g
        out = np.zeros(g.information_state_tensor_shape(), dtype=np.float32)
        if self._offer is not None:
            out[self._offer] = 1.0
        if self._answer is not None:
            out[g.offer_steps + 1 + self._answer] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        if player == 0:
            return f"offer {format_number(action * self._g.step)}"
        return ("accept", "reject")[action] if action in (ACCEPT, REJECT) else f"#{action}"

    def observation_text(self, player: int) -> str:
        g = self._g
        lines = [f"Ultimatum game over {format_number(g.amount)}. You are {g.player_name(player)}."]
        if self._offer is not None:
            lines.append(f"The proposer offered {format_number(self._offer * g.step)}.")
        to_move = self.current_player()
        if to_move == TERMINAL:
            r = self.returns()
            verdict = "accepted" if self._answer == ACCEPT else "rejected"
            lines.append(
                f"The responder {verdict}. Game over: the proposer gets "
                f"{format_number(r[0])}, the responder {format_number(r[1])}."
            )
        elif to_move == player == 0:
            lines.append(
                f"Your move: offer an amount from 0 to {format_number(g.amount)} in steps of "
                f"{format_number(g.step)}, for example 'offer {format_number(g.step)}'."
            )
        elif to_move == player == 1:
            lines.append("Your move: 'accept' or 'reject'.")
        else:
            lines.append(f"Waiting for {g.player_name(to_move)}.")
        return "\n".join(lines)


def ultimatum_game(amount: float = 10, step: float = 1) -> UltimatumGame:
    """The ultimatum game over ``amount``: offer, then accept or reject."""
    return UltimatumGame(amount, step)


# ---- public goods game --------------------------------------------------------------


class PublicGoodsGame(Game):
    """The linear public goods game, one-shot or repeated, with simultaneous moves."""

    def __init__(
        self,
        players: int = 4,
        endowment: float = 20,
        multiplier: float = 1.6,
        rounds: int = 1,
        step: float = 1,
    ) -> None:
        players = integer("players", players, 2, 100)
        rounds = integer("rounds", rounds, 1, 1000)
        step = number("step", step, 0, 1e12, open_low=True)
        endowment = number("endowment", endowment, 0, 1e12, open_low=True)
        multiplier = number("multiplier", multiplier, 0, 1e12, open_low=True)
        if not 1 < multiplier < players:
            raise InvalidParameterError(
                f"multiplier must lie strictly between 1 and players={players} for a public "
                f"goods dilemma (contributing helps the group but not oneself), got "
                f"{multiplier:g}"
            )
        self.players = players
        self.endowment = endowment
        self.multiplier = multiplier
        self.rounds = rounds
        self.step = step
        self.steps = grid_steps("endowment", endowment, step)
        # A round's payoff lies between keeping everything while contributing nothing
        # when all others give everything (the most) and giving all while nobody else
        # does (the least).
        best = endowment + multiplier * endowment * (players - 1) / players
        worst = multiplier * endowment / players
        super().__init__(
            GameSpec(
                id="public_goods_game",
                num_players=players,
                num_distinct_actions=self.steps + 1,
                max_game_length=rounds,
                min_utility=rounds * worst,
                max_utility=rounds * best,
                dynamics=Dynamics.SIMULTANEOUS,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                params={
                    "players": players,
                    "endowment": endowment,
                    "multiplier": multiplier,
                    "rounds": rounds,
                    "step": step,
                },
            )
        )

    def new_initial_state(self) -> PublicGoodsState:
        return PublicGoodsState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """The seat one-hot, then every round's contributions (one-hot per player)."""
        return (self.players + self.rounds * self.players * (self.steps + 1),)

    def rules_text(self) -> str:
        n, e, m = self.players, format_number(self.endowment), format_number(self.multiplier)
        rounds = "one round" if self.rounds == 1 else f"{self.rounds} rounds"
        return (
            f"Public goods game with {n} players, {rounds}. At the start of every round each "
            f"player receives {e} and, at the same time as the others, contributes any "
            f"amount from 0 to {e} (in steps of {format_number(self.step)}) to a common "
            f"pot, written like 'contribute 5'. The pot is multiplied by {m} and shared "
            f"equally among all {n} players, contributors or not. A player's payoff for the "
            "round is what they kept plus their share of the pot; the game's payoff is the "
            f"sum over rounds. Every unit contributed returns "
            f"{format_number(self.multiplier / n)} to "
            f"the contributor and {m} to the group."
        )


class PublicGoodsState(State):
    def __init__(self, game: PublicGoodsGame) -> None:
        super().__init__(game)
        self._g = game
        self._rounds: list[tuple[int, ...]] = []
        self._totals = [0.0] * game.players

    def current_player(self) -> int:
        return TERMINAL if len(self._rounds) >= self._g.rounds else SIMULTANEOUS

    def _legal_actions(self, player: int) -> list[int]:
        return list(range(self._g.steps + 1))

    def _apply_action(self, action: int) -> None:
        raise RedqueenError("every round is a simultaneous move: use apply_joint_action")

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        g = self._g
        self._rounds.append(tuple(actions))
        share = g.multiplier * sum(actions) * g.step / g.players
        for p, a in enumerate(actions):
            self._totals[p] += g.endowment - a * g.step + share

    def returns(self) -> list[float]:
        return list(self._totals)

    def information_state_key(self, player: int) -> Hashable:
        return (player, tuple(self._rounds))

    def information_state_tensor(self, player: int) -> np.ndarray:
        g = self._g
        out = np.zeros(g.information_state_tensor_shape(), dtype=np.float32)
        out[player] = 1.0
        width = g.steps + 1
        for r, joint in enumerate(self._rounds):
            for p, a in enumerate(joint):
                out[g.players + (r * g.players + p) * width + a] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        return f"contribute {format_number(action * self._g.step)}"

    def observation_text(self, player: int) -> str:
        g = self._g
        lines = [
            f"Public goods game, {g.players} players. You are player {player}. "
            f"Round {min(len(self._rounds) + 1, g.rounds)} of {g.rounds}."
        ]
        for k, joint in enumerate(self._rounds, start=1):
            gifts = ", ".join(format_number(a * g.step) for a in joint)
            lines.append(f"Round {k} contributions (players 0..{g.players - 1}): {gifts}.")
        lines.append(f"Your payoff so far: {format_number(self._totals[player])}.")
        if self.current_player() == TERMINAL:
            lines.append("Game over.")
        else:
            lines.append(
                f"Your move: contribute an amount from 0 to {format_number(g.endowment)} in "
                f"steps of {format_number(g.step)}, for example 'contribute "
                f"{format_number(g.step)}'."
            )
        return "\n".join(lines)


def public_goods_game(
    players: int = 4,
    endowment: float = 20,
    multiplier: float = 1.6,
    rounds: int = 1,
    step: float = 1,
) -> PublicGoodsGame:
    """The linear public goods game (defaults: 4 players, endowment 20, pot x1.6, as in
    Fehr & Gächter 2000); ``rounds`` > 1 repeats it with every contribution public."""
    return PublicGoodsGame(players, endowment, multiplier, rounds, step)
