"""GLEE's three families of two-player, sequential economic games.

GLEE (Shapira, Madmon, Reinman, Amouyal, Reichart & Tennenholtz 2024, "GLEE: A Unified
Framework and Benchmark for Language-based Economic Environments") fixes one
parametrisation for each family so that results on LLM agents can be compared; the
parameter names and defaults below are GLEE's. Player 0 is GLEE's Alice, player 1 Bob.

- :func:`bargaining` (Rubinstein 1982): Alice and Bob divide ``money``. In round r
  (from 1) the proposer (Alice in odd rounds, Bob in even ones) offers a division; the
  other accepts (the game ends) or rejects (the roles swap for the next round). Money
  won in round r is worth ``delta_i ** (r - 1)`` of its face value to player i
  ("inflation"). After ``max_rounds`` rejected offers both get nothing.
- :func:`negotiation`: Alice sells a product to Bob. Alice can always sell it to an
  outside buyer, John, for ``seller_value * price_order``; Bob can always buy one from
  an outside seller, John, for ``buyer_value * price_order``. The proposer (Alice first)
  names a price; the other accepts, rejects (and counter-offers next round) or leaves to
  deal with John, which ends the game for both. A player's payoff is the gain over their
  deal with John: ``price - seller value`` for Alice, ``buyer value - price`` for Bob if
  they trade, 0 otherwise (also after ``max_rounds`` without agreement).
- :func:`persuasion` (Bayesian persuasion, Kamenica & Gentzkow 2011, repeated): in each
  of ``rounds`` rounds a product is high quality with probability ``p`` (a chance
  node). Alice, the seller, sees its quality and recommends buying or not; Bob, the
  buyer, buys at ``price`` or passes, then learns the quality. A sale gives Alice
  ``price``; a purchase gives Bob ``v * price - price`` for a high-quality product and
  ``c * price - price`` for a low-quality one. With ``myopic=True`` every round has a
  new buyer, who sees only the seller's record (products sold, high-quality ones sold).

Information. With ``complete_information=False`` (bargaining and negotiation) a player
is told only their own discount factor or outside value, as in GLEE; the rules are
otherwise common knowledge. In persuasion, ``seller_knows_values`` and
``buyer_knows_p`` say who is told ``c, v`` and ``p``.

Messages. GLEE lets players attach free text to their moves. With ``messages=True``,
the player to move may call :meth:`GleeState.say` before moving; the text is attached to
the move, shown to the other player, and part of both players' information state. It is
cheap talk: it never changes a payoff. Text is stored as data and never interpreted.

Amounts move on a grid: action ``k`` of a proposer is the amount ``k * step`` (offered
to the other player in bargaining, the price in negotiation). Decisions use small ids:
accept 0, reject 1 (and in negotiation, deal with John 2); buy 0, pass 1; recommend 0,
do not recommend 1.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Game,
    GameSpec,
    State,
    UtilityKind,
)
from redqueen.games.matrix import format_number
from redqueen.games.params import grid_steps, integer, number

NAMES = ("Alice", "Bob")
MAX_MESSAGE = 2000
"""Longest message a player may attach to a move, in characters."""

ACCEPT, REJECT, JOHN = 0, 1, 2
BUY, PASS = 0, 1
RECOMMEND, DISCOURAGE = 0, 1


class GleeState(State):
    """Shared by the three families: cheap-talk messages attached to moves."""

    def __init__(self, game: Game, messages: bool) -> None:
        super().__init__(game)
        self._messages_allowed = messages
        self._pending: str | None = None
        self._said: list[tuple[int, int, str]] = []  # (player, move number, text)

    def say(self, text: str) -> None:
        """Attach ``text`` to the move the player to move makes next (cheap talk)."""
        if not self._messages_allowed:
            raise RedqueenError("this game was made with messages=False: no messages")
        player = self.current_player()
        if player < 0:
            raise RedqueenError("only the player to move can attach a message")
        if not isinstance(text, str) or len(text) > MAX_MESSAGE:
            raise InvalidParameterError(f"a message is a string of at most {MAX_MESSAGE} chars")
        self._pending = text

    def apply_action(self, action: int) -> None:
        player = self.current_player()
        super().apply_action(action)
        if self._pending is not None and player >= 0:
            self._said.append((player, len(self._history) - 1, self._pending))
        self._pending = None

    def messages(self) -> list[tuple[int, str]]:
        """Every message so far: (player, text), in order."""
        return [(p, t) for p, _, t in self._said]

    def _message_lines(self, since: int = 0) -> list[str]:
        return [f'{NAMES[p]} said: "{t}"' for p, at, t in self._said if at >= since]

    def _message_key(self, since: int = 0) -> tuple[tuple[int, int, str], ...]:
        """The messages attached to moves from move number ``since`` on."""
        return tuple(m for m in self._said if m[1] >= since)


def tensor_shape(game: Game, size: int) -> tuple[int, ...]:
    """The tensor shape of a GLEE game, which has none when messages are on (free text
    is part of the information state and has no fixed-size encoding)."""
    if game.params.get("messages"):
        raise RedqueenError(
            f"{game.id} with messages=True has no tensor view: the free-text messages are "
            "part of the information state"
        )
    return (size,)


class AlternatingOffersState(GleeState):
    """Bargaining and negotiation share this shape: in round r (from 1) the proposer
    (Alice in odd rounds, Bob in even ones) makes an offer on the game's grid, and the
    other answers with one of ``ANSWERS``; any answer but reject ends the game, and so do
    ``max_rounds`` rejected offers."""

    ANSWERS: tuple[int, ...] = (ACCEPT, REJECT)

    def __init__(self, game: BargainingGame | NegotiationGame) -> None:
        super().__init__(game, game.messages)
        self._units = game.units
        self._max_rounds = game.max_rounds
        self._offers: list[int] = []  # one per round: grid units
        self._ending: int | None = None  # the answer that ended the game (not reject)

    def _awaiting_offer(self) -> bool:
        return len(self._history) % 2 == 0

    def current_player(self) -> int:
        if self._ending is not None or len(self._history) >= 2 * self._max_rounds:
            return TERMINAL
        proposer = (len(self._history) // 2) % 2
        return proposer if self._awaiting_offer() else 1 - proposer

    def _legal_actions(self, player: int) -> list[int]:
        if self._awaiting_offer():
            return list(range(self._units + 1))
        return list(self.ANSWERS)

    def _apply_action(self, action: int) -> None:
        if self._awaiting_offer():
            self._offers.append(action)
        elif action != REJECT:
            self._ending = action

    def information_state_key(self, player: int) -> Hashable:
        # Perfect information (messages included): the offers, how the game ended, and
        # the move number (an offer and its answer share a round).
        return (tuple(self._offers), self._ending, len(self._history), self._message_key())

    @classmethod
    def tensor_size(cls, units: int, max_rounds: int) -> int:
        return max_rounds * (units + 1) + 1 + len(cls.ANSWERS)

    def information_state_tensor(self, player: int) -> np.ndarray:
        """Each round's offer one-hot over the grid, whether an answer is awaited, and the
        answer that ended the game (reject never ends it, so its slot stays 0)."""
        width = self._units + 1
        out = np.zeros(self.tensor_size(self._units, self._max_rounds), dtype=np.float32)
        for r, units in enumerate(self._offers):
            out[r * width + units] = 1.0
        base = self._max_rounds * width
        out[base] = float(len(self._history) % 2 == 1)
        if self._ending is not None:
            out[base + 1 + self.ANSWERS.index(self._ending)] = 1.0
        return out


# ---- bargaining ---------------------------------------------------------------------


class BargainingGame(Game):
    """GLEE's alternating-offers bargaining game."""

    def __init__(
        self,
        money: float = 100,
        delta_1: float = 0.95,
        delta_2: float = 0.95,
        max_rounds: int = 12,
        step: float | None = None,
        complete_information: bool = True,
        messages: bool = False,
    ) -> None:
        money = number("money", money, 0, 1e12, open_low=True)
        self.deltas = (
            number("delta_1", delta_1, 0, 1, open_low=True),
            number("delta_2", delta_2, 0, 1, open_low=True),
        )
        self.max_rounds = integer("max_rounds", max_rounds, 1, 1000)
        step = money / 100 if step is None else number("step", step, 0, money, open_low=True)
        self.money, self.step = money, step
        self.units = grid_steps("money", money, step)
        self.complete_information = bool(complete_information)
        self.messages = bool(messages)
        super().__init__(
            GameSpec(
                id="bargaining",
                num_players=2,
                num_distinct_actions=self.units + 1,
                max_game_length=2 * self.max_rounds,
                min_utility=0.0,
                max_utility=money,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=True,
                params={
                    "money": money,
                    "delta_1": self.deltas[0],
                    "delta_2": self.deltas[1],
                    "max_rounds": self.max_rounds,
                    "step": step,
                    "complete_information": self.complete_information,
                    "messages": self.messages,
                },
            )
        )

    def new_initial_state(self) -> BargainingState:
        return BargainingState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        return tensor_shape(self, BargainingState.tensor_size(self.units, self.max_rounds))

    def player_name(self, player: int) -> str:
        return f"player {player} ({NAMES[player]})"

    def rules_text(self) -> str:
        m = format_number(self.money)
        return (
            f"Bargaining (GLEE). Alice (player 0) and Bob (player 1) must divide {m} between "
            "them. In each round one player proposes a division and the other accepts it, "
            "which ends the game, or rejects it; then the roles swap and the next round "
            "begins. Alice proposes in rounds 1, 3, 5, ... and Bob in rounds 2, 4, 6, .... "
            f"After {self.max_rounds} rejected proposals the game ends and both get nothing. "
            "Inflation: money gained in round r is worth delta ** (r - 1) of its face value "
            "to a player with discount factor delta. A proposal is written as the amount "
            f"offered to the other player, for example 'offer {format_number(self.step)}' "
            "(the proposer keeps the rest); the answer is 'accept' or 'reject'."
            + (" A player may attach a message to a move." if self.messages else "")
        )

    def delta_text(self, player: int) -> str:
        """What ``player`` is told of the discount factors."""
        own = f"Your discount factor is {format_number(self.deltas[player])}."
        if not self.complete_information:
            return own + " You do not know the other player's."
        return own + f" The other player's is {format_number(self.deltas[1 - player])}."


class BargainingState(AlternatingOffersState):
    def __init__(self, game: BargainingGame) -> None:
        super().__init__(game)
        self._g = game

    def returns(self) -> list[float]:
        if self._ending != ACCEPT:
            return [0.0, 0.0]
        g = self._g
        r = len(self._offers)  # the round of the accepted offer, from 1
        proposer = (r - 1) % 2
        gains = [0.0, 0.0]
        gains[1 - proposer] = self._offers[-1] * g.step
        gains[proposer] = g.money - gains[1 - proposer]
        return [gains[i] * g.deltas[i] ** (r - 1) for i in (0, 1)]

    def _action_text(self, player: int, action: int) -> str:
        if self._awaiting_offer():
            return f"offer {format_number(action * self._g.step)}"
        return ("accept", "reject")[action] if action in (ACCEPT, REJECT) else f"#{action}"

    def observation_text(self, player: int) -> str:
        g = self._g
        lines = [
            f"Bargaining over {format_number(g.money)}. You are {g.player_name(player)}. "
            + g.delta_text(player)
        ]
        for k, units in enumerate(self._offers, start=1):
            proposer = (k - 1) % 2
            offered = units * g.step
            lines.append(
                f"Round {k}: {NAMES[proposer]} offered {format_number(offered)} to "
                f"{NAMES[1 - proposer]} and kept {format_number(g.money - offered)}."
            )
        lines += self._message_lines()
        to_move = self.current_player()
        if to_move == TERMINAL:
            r = self.returns()
            outcome = "accepted" if self._ending == ACCEPT else "not agreed in time"
            lines.append(
                f"Game over ({outcome}): Alice gets {format_number(r[0])}, Bob "
                f"{format_number(r[1])} (after inflation)."
            )
        elif to_move != player:
            lines.append(f"Waiting for {NAMES[to_move]}.")
        elif self._awaiting_offer():
            k = len(self._offers) + 1
            lines.append(
                f"Round {k} of {g.max_rounds}: your proposal. Offer the other player an amount "
                f"from 0 to {format_number(g.money)} in steps of {format_number(g.step)}, "
                f"for example 'offer {format_number(g.step)}'."
            )
        else:
            lines.append("Your answer: 'accept' or 'reject'.")
        return "\n".join(lines)


def bargaining(
    money: float = 100,
    delta_1: float = 0.95,
    delta_2: float = 0.95,
    max_rounds: int = 12,
    step: float | None = None,
    complete_information: bool = True,
    messages: bool = False,
) -> BargainingGame:
    """GLEE's alternating-offers bargaining (step: money / 100 unless given)."""
    return BargainingGame(money, delta_1, delta_2, max_rounds, step, complete_information, messages)


# ---- negotiation --------------------------------------------------------------------


class NegotiationGame(Game):
    """GLEE's bilateral price negotiation with outside options."""

    def __init__(
        self,
        seller_value: float = 1.0,
        buyer_value: float = 1.2,
        price_order: float = 100,
        max_rounds: int = 10,
        step: float | None = None,
        max_price: float | None = None,
        complete_information: bool = True,
        messages: bool = False,
    ) -> None:
        seller_value = number("seller_value", seller_value, 0, 1e6, open_low=True)
        buyer_value = number("buyer_value", buyer_value, 0, 1e6, open_low=True)
        price_order = number("price_order", price_order, 0, 1e9, open_low=True)
        self.values = (seller_value * price_order, buyer_value * price_order)
        top = 2 * max(self.values) if max_price is None else max_price
        top = number("max_price", top, 0, 1e15, open_low=True)
        step = top / 100 if step is None else number("step", step, 0, top, open_low=True)
        self.units = grid_steps("max_price", top, step)
        self.step, self.max_price = step, top
        self.max_rounds = integer("max_rounds", max_rounds, 1, 1000)
        self.complete_information = bool(complete_information)
        self.messages = bool(messages)
        super().__init__(
            GameSpec(
                id="negotiation",
                num_players=2,
                num_distinct_actions=max(self.units + 1, 3),
                max_game_length=2 * self.max_rounds,
                min_utility=min(-self.values[0], self.values[1] - top, 0.0),
                max_utility=max(top - self.values[0], self.values[1], 0.0),
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=True,
                params={
                    "seller_value": seller_value,
                    "buyer_value": buyer_value,
                    "price_order": price_order,
                    "max_rounds": self.max_rounds,
                    "step": step,
                    "max_price": top,
                    "complete_information": self.complete_information,
                    "messages": self.messages,
                },
            )
        )

    def new_initial_state(self) -> NegotiationState:
        return NegotiationState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        return tensor_shape(self, NegotiationState.tensor_size(self.units, self.max_rounds))

    def player_name(self, player: int) -> str:
        return f"player {player} ({NAMES[player]}, the {('seller', 'buyer')[player]})"

    def rules_text(self) -> str:
        return (
            "Negotiation (GLEE). Alice (player 0) sells a product; Bob (player 1) wants to buy "
            "it. Alice can always sell it to another buyer, John, and Bob can always buy one "
            "from another seller, John, at prices each of them knows. The players take turns "
            "naming a price, Alice first. The other player then accepts (the product is sold "
            "at that price and the game ends), rejects (and names a price in the next round) "
            "or deals with John, which ends the game. After "
            f"{self.max_rounds} rejected offers both deal with John. Payoffs are gains over "
            "the deal with John: for Alice the price minus what John would pay her, for Bob "
            "what John would charge him minus the price; a deal with John gives both 0. "
            "Prices run from 0 to "
            f"{format_number(self.max_price)} in steps of {format_number(self.step)}, written "
            f"like 'price {format_number(self.step)}'; answers are 'accept', 'reject' or "
            "'deal with John'."
            + (" A player may attach a message to a move." if self.messages else "")
        )

    def value_text(self, player: int) -> str:
        own = (
            f"John would buy the product from you for {format_number(self.values[0])}."
            if player == 0
            else f"John would sell you the product for {format_number(self.values[1])}."
        )
        if not self.complete_information:
            return own + " You do not know the other player's deal with John."
        other = self.values[1 - player]
        return own + (
            f" The product is worth {format_number(other)} to Bob."
            if player == 0
            else f" The product is worth {format_number(other)} to Alice."
        )


class NegotiationState(AlternatingOffersState):
    ANSWERS = (ACCEPT, REJECT, JOHN)

    def __init__(self, game: NegotiationGame) -> None:
        super().__init__(game)
        self._g = game

    def returns(self) -> list[float]:
        if self._ending != ACCEPT:
            return [0.0, 0.0]
        price = self._offers[-1] * self._g.step
        return [price - self._g.values[0], self._g.values[1] - price]

    def _action_text(self, player: int, action: int) -> str:
        if self._awaiting_offer():
            return f"price {format_number(action * self._g.step)}"
        return {ACCEPT: "accept", REJECT: "reject", JOHN: "deal with John"}.get(
            action, f"#{action}"
        )

    def observation_text(self, player: int) -> str:
        g = self._g
        lines = [f"Negotiation. You are {g.player_name(player)}. " + g.value_text(player)]
        for k, units in enumerate(self._offers, start=1):
            lines.append(
                f"Round {k}: {NAMES[(k - 1) % 2]} proposed the price "
                f"{format_number(units * g.step)}."
            )
        lines += self._message_lines()
        to_move = self.current_player()
        if to_move == TERMINAL:
            r = self.returns()
            how = {ACCEPT: "a sale between Alice and Bob", JOHN: "a deal with John"}.get(
                self._ending if self._ending is not None else -1, "no agreement in time"
            )
            lines.append(
                f"Game over ({how}): Alice gains {format_number(r[0])}, Bob {format_number(r[1])}."
            )
        elif to_move != player:
            lines.append(f"Waiting for {NAMES[to_move]}.")
        elif self._awaiting_offer():
            lines.append(
                f"Round {len(self._offers) + 1} of {g.max_rounds}: name a price from 0 to "
                f"{format_number(g.max_price)} in steps of {format_number(g.step)}, for "
                f"example 'price {format_number(g.step)}'."
            )
        else:
            lines.append("Your answer: 'accept', 'reject' or 'deal with John'.")
        return "\n".join(lines)


def negotiation(
    seller_value: float = 1.0,
    buyer_value: float = 1.2,
    price_order: float = 100,
    max_rounds: int = 10,
    step: float | None = None,
    max_price: float | None = None,
    complete_information: bool = True,
    messages: bool = False,
) -> NegotiationGame:
    """GLEE's price negotiation: outside values ``value * price_order``; prices on a grid
    from 0 to ``max_price`` (default twice the larger value) in steps (default 1/100)."""
    return NegotiationGame(
        seller_value,
        buyer_value,
        price_order,
        max_rounds,
        step,
        max_price,
        complete_information,
        messages,
    )


# ---- persuasion ---------------------------------------------------------------------


class PersuasionGame(Game):
    """GLEE's repeated persuasion game: a seller who knows quality, a buyer who doesn't."""

    def __init__(
        self,
        price: float = 100,
        p: float = 0.5,
        c: float = 0.0,
        v: float = 1.5,
        rounds: int = 20,
        myopic: bool = False,
        seller_knows_values: bool = True,
        buyer_knows_p: bool = True,
        messages: bool = False,
    ) -> None:
        self.price = number("price", price, 0, 1e12, open_low=True)
        self.p = number("p", p, 0, 1)
        self.c = number("c", c, 0, 1)
        self.v = number("v", v, 1, 1e6)
        self.rounds = integer("rounds", rounds, 1, 1000)
        self.myopic = bool(myopic)
        self.seller_knows_values = bool(seller_knows_values)
        self.buyer_knows_p = bool(buyer_knows_p)
        self.messages = bool(messages)
        outcomes = int(self.p > 0) + int(self.p < 1)
        super().__init__(
            GameSpec(
                id="persuasion",
                num_players=2,
                num_distinct_actions=2,
                max_game_length=3 * self.rounds,
                min_utility=self.rounds * (self.c - 1) * self.price,
                max_utility=self.rounds * max(self.price, (self.v - 1) * self.price),
                chance=ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                max_chance_outcomes=outcomes,
                params={
                    "price": self.price,
                    "p": self.p,
                    "c": self.c,
                    "v": self.v,
                    "rounds": self.rounds,
                    "myopic": self.myopic,
                    "seller_knows_values": self.seller_knows_values,
                    "buyer_knows_p": self.buyer_knows_p,
                    "messages": self.messages,
                },
            )
        )

    def new_initial_state(self) -> PersuasionState:
        return PersuasionState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        n = self.rounds
        return tensor_shape(self, 2 + max(7 * n, 3 * (n + 1) + 2))

    def player_name(self, player: int) -> str:
        return f"player {player} ({NAMES[player]}, the {('seller', 'buyer')[player]})"

    def rules_text(self) -> str:
        price = format_number(self.price)
        buyer = "a new buyer each round" if self.myopic else "Bob (player 1)"
        return (
            f"Persuasion (GLEE). Alice (player 0) sells products for {price} each to "
            f"{buyer}. In each of {self.rounds} rounds a product is drawn: high quality or "
            "low quality. Alice sees its quality and then either recommends buying it or "
            "not ('recommend' or 'do not recommend'). The buyer then buys it at "
            f"{price} or passes ('buy' or 'pass'), and afterwards learns its quality. Alice "
            f"earns {price} for every sale. A high-quality product is worth "
            f"{format_number(self.v * self.price)} to the buyer and a low-quality one "
            f"{format_number(self.c * self.price)}; the buyer's payoff for a purchase is the "
            "product's worth minus the price, and 0 for a pass."
            + (" A player may attach a message to a move." if self.messages else "")
        )


class PersuasionState(GleeState):
    def __init__(self, game: PersuasionGame) -> None:
        super().__init__(game, game.messages)
        self._g = game
        self._rounds: list[list[int]] = []  # [quality (1 high), recommendation, decision]
        self._totals = [0.0, 0.0]
        self._sold = 0
        self._sold_high = 0

    def _phase(self) -> int:
        """0: quality to draw; 1: the seller; 2: the buyer."""
        if not self._rounds or len(self._rounds[-1]) == 3:
            return 0
        return len(self._rounds[-1])

    def current_player(self) -> int:
        phase = self._phase()
        if phase == 0:
            return TERMINAL if len(self._rounds) >= self._g.rounds else CHANCE
        return phase - 1

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        p = self._g.p
        return [(q, w) for q, w in ((0, 1 - p), (1, p)) if w > 0]

    def _legal_actions(self, player: int) -> list[int]:
        return [0, 1]

    def _apply_action(self, action: int) -> None:
        g = self._g
        if self._phase() == 0:
            self._rounds.append([action])
            return
        current = self._rounds[-1]
        current.append(action)
        if len(current) == 3 and action == BUY:
            worth = (g.v if current[0] == 1 else g.c) * g.price
            self._totals[0] += g.price
            self._totals[1] += worth - g.price
            self._sold += 1
            self._sold_high += current[0]

    def returns(self) -> list[float]:
        return list(self._totals)

    def _round_start(self) -> int:
        """Move number of the current round's chance move: a myopic buyer (new each
        round) sees only the messages from there on, not earlier buyers' talk."""
        return 3 * max(len(self._rounds) - 1, 0)

    def information_state_key(self, player: int) -> Hashable:
        rounds = self._rounds
        if player == 0:
            return (0, tuple(tuple(r) for r in rounds), self._message_key())
        # The buyer sees the recommendations, and the quality only after deciding.
        seen = tuple(tuple(r if len(r) == 3 else r[1:]) for r in rounds)
        if self._g.myopic:
            current = tuple(rounds[-1][1:]) if rounds and len(rounds[-1]) < 3 else ()
            since = self._round_start()
            return (1, len(rounds), self._sold, self._sold_high, current, self._message_key(since))
        return (1, seen, self._message_key())

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The seat (2), then per round: started, quality (2), recommendation (2) and
        decision (2), each one-hot when the player has seen it. A myopic buyer sees instead
        the round number, products sold and high-quality ones sold (one-hot each) and the
        current recommendation."""
        n = self._g.rounds
        out = np.zeros(self._g.information_state_tensor_shape(), dtype=np.float32)
        out[player] = 1.0
        if player == 1 and self._g.myopic:
            done = len(self._rounds)
            out[2 + done] = 1.0
            out[2 + (n + 1) + self._sold] = 1.0
            out[2 + 2 * (n + 1) + self._sold_high] = 1.0
            current = self._rounds[-1] if self._rounds and len(self._rounds[-1]) < 3 else []
            if len(current) >= 2:
                out[2 + 3 * (n + 1) + current[1]] = 1.0
            return out
        for k, r in enumerate(self._rounds):
            base = 2 + 7 * k
            out[base] = 1.0
            if player == 0 or len(r) == 3:
                out[base + 1 + r[0]] = 1.0
            if len(r) >= 2:
                out[base + 3 + r[1]] = 1.0
            if len(r) == 3:
                out[base + 5 + r[2]] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        if player == 0:
            return ("recommend", "do not recommend")[action]
        return ("buy", "pass")[action]

    def observation_text(self, player: int) -> str:
        g = self._g
        lines = [f"Persuasion. You are {g.player_name(player)}."]
        if player == 0 or g.buyer_knows_p:
            lines.append(f"Each product is high quality with probability {format_number(g.p)}.")
        if player == 1 or g.seller_knows_values:
            lines.append(
                f"A high-quality product is worth {format_number(g.v * g.price)} to the "
                f"buyer, a low-quality one {format_number(g.c * g.price)}; the price is "
                f"{format_number(g.price)}."
            )
        current = self._rounds[-1] if self._rounds and len(self._rounds[-1]) < 3 else None
        if player == 1 and g.myopic:
            lines.append(
                f"Alice's record: {len(self._rounds) - (current is not None)} buyers so far, "
                f"{self._sold} products sold, {self._sold_high} of them high quality."
            )
        else:
            for k, r in enumerate(self._rounds, start=1):
                if len(r) < 3:
                    continue
                quality = "high" if r[0] else "low"
                rec = self._action_text(0, r[1])
                lines.append(
                    f"Round {k}: Alice chose '{rec}'; the buyer chose "
                    f"'{self._action_text(1, r[2])}'; the product was {quality} quality."
                )
        myopic_buyer = player == 1 and g.myopic
        lines += self._message_lines(self._round_start() if myopic_buyer else 0)
        to_move = self.current_player()
        if to_move == TERMINAL:
            lines.append(
                f"Game over: Alice earned {format_number(self._totals[0])}, the buyer "
                f"{format_number(self._totals[1])}."
            )
        elif current is not None and to_move == player == 0:
            quality = "high" if current[0] else "low"
            lines.append(
                f"Round {len(self._rounds)}: this product is {quality} quality. "
                "Your move: 'recommend' or 'do not recommend'."
            )
        elif current is not None and to_move == player == 1:
            rec = "recommends" if current[1] == RECOMMEND else "does not recommend"
            lines.append(
                f"Round {len(self._rounds)}: Alice {rec} buying this product. "
                "Your move: 'buy' or 'pass'."
            )
        else:
            lines.append("Waiting for the other player.")
        return "\n".join(lines)


def persuasion(
    price: float = 100,
    p: float = 0.5,
    c: float = 0.0,
    v: float = 1.5,
    rounds: int = 20,
    myopic: bool = False,
    seller_knows_values: bool = True,
    buyer_knows_p: bool = True,
    messages: bool = False,
) -> PersuasionGame:
    """GLEE's persuasion game: quality high with probability ``p``; worth ``v * price``
    (high) or ``c * price`` (low) to the buyer; ``rounds`` rounds."""
    return PersuasionGame(
        price, p, c, v, rounds, myopic, seller_knows_values, buyer_knows_p, messages
    )
