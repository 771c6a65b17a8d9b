"""SPIRAL's simple negotiation: two resources, opposite valuations, offers, 10 turns.

SPIRAL ("Self-Play on Zero-Sum Games Incentivizes Reasoning via Multi-Agent Multi-Turn
Reinforcement Learning", Liu et al. 2025, arXiv:2506.24119) trains language models by
self-play on three zero-sum text games; its negotiation game is TextArena's
``SimpleNegotiation`` cut down to two resources (``spiral/envs/SimpleNegotiation/env.py``
in the SPIRAL repository). Its rules, which this module keeps:

- Both players start with 10 Wood and 10 Gold. Player 0 values Wood at 5 and Gold at 15;
  player 1 values Wood at 15 and Gold at 5 (opposite valuations), so both start with an
  inventory worth 200.
- The players alternate, player 0 first, for ``max_turns`` turns in all (10: five each).
- At most one offer is open at a time. An offer gives some of the proposer's resources
  for some of the other player's. The player an open offer is made to may accept it (the
  trade happens at once, if the acceptor holds the requested resources) or deny it; a new
  offer from them is a counter-offer that implicitly denies it; doing nothing leaves it
  open. A new offer from the proposer replaces their own open offer.
- After the last turn, the player whose inventory value rose more wins (+1, the other
  -1); equal changes are a draw (0 each). The game is zero-sum.

What changes here: SPIRAL reads free text with ``[Offer: 3 Wood -> 2 Gold]``,
``[Accept]`` and ``[Deny]`` tokens, where a message may also only talk. Here a turn is
one structured action: ``Pass`` (talk only), ``Accept``, ``Deny``, or an offer of one
resource for the other, ``Offer: A Wood -> B Gold`` or ``Offer: A Gold -> B Wood`` with
1 <= A, B <= ``max_quantity`` (default 10). Mixed bundles (``2 Wood, 1 Gold -> 3 Gold``)
are left out: with two resources and opposite valuations every sensible trade swaps one
for the other. Offers of resources the proposer does not hold, and accepting without the
requested resources, are illegal actions (SPIRAL's "invalid move") instead of a loss.
``parse_action`` also reads SPIRAL's own tokens, so ``[Offer: 3 Wood -> 2 Gold]`` names
the same move.

Nothing is random or hidden (the valuations are fixed by seat), so the game has perfect
information; each player's text view shows only its own valuations, as SPIRAL's prompt
does.
"""

from __future__ import annotations

import re
from collections.abc import Hashable

from redqueen.errors import InvalidParameterError, ParseActionError
from redqueen.games.core import TERMINAL, Game, GameSpec, State, UtilityKind, match_action_text

RESOURCES = ("Wood", "Gold")
START = (10, 10)
"""Both players' opening holdings of (Wood, Gold)."""
VALUES = ((5, 15), (15, 5))
"""``VALUES[player]``: that player's value of one (Wood, Gold)."""
PASS, ACCEPT, DENY = 0, 1, 2
FIRST_OFFER = 3
"""Action ids: 0 pass, 1 accept, 2 deny, then the offers (see :func:`offer_action`)."""

_OFFER_RE = re.compile(
    r"^\[?\s*offer\s*:?\s*(?:i\s+(?:give|offer)\s+)?(\d+)\s+([a-z]+?)s?\s*->\s*(\d+)\s+([a-z]+?)s?"
    r"\s*[.!]*\s*\]?$",
    re.IGNORECASE,
)


class SpiralNegotiationGame(Game):
    """SPIRAL's simple negotiation (Wood and Gold, opposite valuations, 10 turns)."""

    def __init__(self, *, max_turns: int = 10, max_quantity: int = 10) -> None:
        for name, value, low in (("max_turns", max_turns, 1), ("max_quantity", max_quantity, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise InvalidParameterError(f"{name} must be an integer >= {low}; got {value!r}")
        if max_turns > 200:
            raise InvalidParameterError(f"max_turns must be in 1..200; got {max_turns}")
        if max_quantity > 20:
            raise InvalidParameterError(
                f"max_quantity must be in 1..20 (there are 20 of each resource); got {max_quantity}"
            )
        self.max_turns = max_turns
        self.max_quantity = max_quantity
        q = max_quantity
        super().__init__(
            GameSpec(
                id="spiral_negotiation",
                num_players=2,
                num_distinct_actions=FIRST_OFFER + 2 * q * q,
                max_game_length=max_turns,
                min_utility=-1.0,
                max_utility=1.0,
                utility=UtilityKind.ZERO_SUM,
                utility_sum=0.0,
                perfect_information=True,
                params={"max_turns": max_turns, "max_quantity": max_quantity},
            )
        )
        self._names = [self._name(a) for a in range(self.num_distinct_actions)]
        self._by_name = {name: a for a, name in enumerate(self._names)}
        self._offers = [(0, 0, 0)] * FIRST_OFFER + [
            self.decode_offer(a) for a in range(FIRST_OFFER, self.num_distinct_actions)
        ]

    def offer_action(self, give: str, give_qty: int, get_qty: int) -> int:
        """The id of the offer of ``give_qty`` of ``give`` ("Wood" or "Gold") for
        ``get_qty`` of the other resource."""
        if give not in RESOURCES:
            raise InvalidParameterError(f"unknown resource {give!r}; allowed: Wood, Gold")
        q = self.max_quantity
        for what, n in (("give_qty", give_qty), ("get_qty", get_qty)):
            if not 1 <= n <= q:
                raise InvalidParameterError(f"{what} must be in 1..{q}; got {n}")
        return FIRST_OFFER + RESOURCES.index(give) * q * q + (give_qty - 1) * q + (get_qty - 1)

    def decode_offer(self, action: int) -> tuple[int, int, int]:
        """``(given resource index, quantity given, quantity asked)`` of an offer id."""
        q = self.max_quantity
        k = action - FIRST_OFFER
        return k // (q * q), (k // q) % q + 1, k % q + 1

    def _name(self, action: int) -> str:
        if action < FIRST_OFFER:
            return ("Pass", "Accept", "Deny")[action]
        r, a, b = self.decode_offer(action)
        return f"Offer: {a} {RESOURCES[r]} -> {b} {RESOURCES[1 - r]}"

    def new_initial_state(self) -> SpiralNegotiationState:
        return SpiralNegotiationState(self)

    def rules_text(self) -> str:
        q = self.max_quantity
        return (
            "Simple negotiation (SPIRAL's rules): a two-player trading game with two "
            "resources, Wood and Gold.\n"
            "Both players start with 10 Wood and 10 Gold. The players value the resources "
            "differently and each is told only its own values: one values Wood at 5 and Gold "
            "at 15 per unit, the other Wood at 15 and Gold at 5.\n"
            f"The players take turns, player 0 first, for {self.max_turns} turns in all. On "
            "your turn you do exactly one of:\n"
            f"  Offer: A Wood -> B Gold   offer A of your Wood for B of their Gold (or "
            f"Offer: A Gold -> B Wood), 1 <= A, B <= {q}; you must hold what you offer. It "
            "replaces any open offer; a counter-offer denies the offer made to you.\n"
            "  Accept   accept the open offer made to you: the trade happens at once (you "
            "must hold what it asks for).\n"
            "  Deny     deny the open offer made to you.\n"
            "  Pass     do nothing; an open offer stays open.\n"
            "At most one offer is open at a time. After the last turn, the player whose "
            "inventory value (the sum of quantity x own value) rose more wins and scores +1, "
            "the other -1; equal rises are a draw (0 each)."
        )


class SpiralNegotiationState(State):
    """Holdings, the open offer and the turn count."""

    __slots__ = ("_holdings", "_log", "_offer", "_offer_from", "_turn")

    _game: SpiralNegotiationGame

    def __init__(self, game: SpiralNegotiationGame) -> None:
        super().__init__(game)
        self._holdings = [list(START), list(START)]
        self._offer: int | None = None
        self._offer_from = -1
        self._turn = 0
        self._log: list[str] = []

    def current_player(self) -> int:
        return TERMINAL if self._turn >= self._game.max_turns else self._turn % 2

    def holdings(self, player: int) -> tuple[int, int]:
        """``(Wood, Gold)`` held by ``player``."""
        w, g = self._holdings[player]
        return w, g

    def inventory_value(self, player: int) -> int:
        (w, g), (vw, vg) = self._holdings[player], VALUES[player]
        return w * vw + g * vg

    def open_offer(self) -> tuple[int, int] | None:
        """``(offer action, proposer)`` of the open offer, or None."""
        return None if self._offer is None else (self._offer, self._offer_from)

    def _legal_actions(self, player: int) -> list[int]:
        game = self._game
        q = game.max_quantity
        legal = [PASS]
        if self._offer is not None and self._offer_from != player:
            r, _, b = game.decode_offer(self._offer)
            if self._holdings[player][1 - r] >= b:
                legal.append(ACCEPT)
            legal.append(DENY)
        for r in (0, 1):
            top = min(q, self._holdings[player][r])
            start = FIRST_OFFER + r * q * q
            legal.extend(range(start, start + top * q))
        return legal

    def _is_legal(self, player: int, action: int) -> bool:
        offers = self._game._offers
        if self._turn % 2 != player or not 0 <= action < len(offers):
            return False  # (a terminal state never gets here: apply_action stops first)
        if action >= FIRST_OFFER:
            r, a, _ = offers[action]
            return a <= self._holdings[player][r]
        if action == PASS:
            return True
        if self._offer is None or self._offer_from == player:
            return False
        r, _, b = offers[self._offer]
        return action == DENY or self._holdings[player][1 - r] >= b

    def _apply_action(self, action: int) -> None:
        game = self._game
        player = self._turn % 2
        other = 1 - player
        if action == ACCEPT:
            assert self._offer is not None
            r, a, b = game.decode_offer(self._offer)
            proposer = self._offer_from
            self._holdings[proposer][r] -= a
            self._holdings[player][r] += a
            self._holdings[player][1 - r] -= b
            self._holdings[proposer][1 - r] += b
            self._log.append(f"player {player} accepted the offer of player {proposer}")
            self._offer, self._offer_from = None, -1
        elif action == DENY:
            self._log.append(f"player {player} denied the offer of player {other}")
            self._offer, self._offer_from = None, -1
        elif action == PASS:
            self._log.append(f"player {player} made no new offer")
        else:
            if self._offer is not None and self._offer_from == other:
                self._log.append(f"player {player} implicitly denied the offer of player {other}")
            self._offer, self._offer_from = action, player
            self._log.append(f"player {player} offered {self._offer_text(action)}")
        self._turn += 1

    def _offer_text(self, action: int) -> str:
        r, a, b = self._game.decode_offer(action)
        return f"{a} {RESOURCES[r]} for {b} {RESOURCES[1 - r]}"

    def returns(self) -> list[float]:
        if self._turn < self._game.max_turns:
            return [0.0, 0.0]
        gains = [self.inventory_value(p) - self._start_value(p) for p in (0, 1)]
        if gains[0] == gains[1]:
            return [0.0, 0.0]
        return [1.0, -1.0] if gains[0] > gains[1] else [-1.0, 1.0]

    @staticmethod
    def _start_value(player: int) -> int:
        return START[0] * VALUES[player][0] + START[1] * VALUES[player][1]

    def information_state_key(self, player: int) -> Hashable:
        return tuple(s.action for s in self._history)

    def observation_text(self, player: int) -> str:
        game = self._game
        w, g = self._holdings[player]
        vw, vg = VALUES[player]
        gain = self.inventory_value(player) - self._start_value(player)
        lines = [
            f"You are player {player} in the negotiation game.",
            f"You hold {w} Wood (worth {vw} each to you) and {g} Gold (worth {vg} each to "
            f"you): inventory value {self.inventory_value(player)} ({gain:+d} since the "
            "start).",
        ]
        ow, og = self._holdings[1 - player]
        lines.append(f"The other player holds {ow} Wood and {og} Gold.")
        if self._log:
            lines.append("So far: " + "; ".join(self._log) + ".")
        if self._offer is None:
            lines.append("No offer is open.")
        elif self._offer_from == player:
            lines.append(f"Your offer of {self._offer_text(self._offer)} is open.")
        else:
            lines.append(
                f"Open offer to you: the other player gives {self._offer_text(self._offer)}."
            )
        if self.is_terminal():
            ret = self.returns()[player]
            verdict = {1.0: "You won", -1.0: "You lost", 0.0: "A draw"}[ret]
            lines.append(f"The game is over. {verdict}.")
        else:
            left = game.max_turns - self._turn
            lines.append(
                f"Turn {self._turn + 1} of {game.max_turns} ({left} left, this one "
                "included); it is "
                + ("your turn." if self._turn % 2 == player else "the other player's turn.")
            )
        return "\n".join(lines)

    def _action_text(self, player: int, action: int) -> str:
        return self._game._names[action]

    def parse_action(self, text: str, player: int | None = None) -> int:
        """As ``State.parse_action``, and SPIRAL's tokens too: ``[Accept]``, ``[Deny]``,
        ``[Offer: 3 Wood -> 2 Gold]`` (also ``Woods``/``Golds``, any case)."""
        if player is None:
            player = self.current_player()
        exact = self._game._by_name.get(text)
        if exact is not None and self._is_legal(player, exact):
            return exact
        names = [(a, self._game._names[a]) for a in self.legal_actions(player)]
        cleaned = text.strip()
        m = _OFFER_RE.match(cleaned)
        if m:
            a, give, b, get = int(m[1]), m[2].title(), int(m[3]), m[4].title()
            if give in RESOURCES and get in RESOURCES and give != get:
                cleaned = f"Offer: {a} {give} -> {b} {get}"
        elif cleaned.startswith("[") and cleaned.endswith("]"):
            cleaned = cleaned[1:-1]
        try:
            return match_action_text(cleaned, names)
        except ParseActionError:
            raise ParseActionError(text, names) from None

    def clone(self) -> SpiralNegotiationState:
        twin = SpiralNegotiationState.__new__(SpiralNegotiationState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._holdings = [list(self._holdings[0]), list(self._holdings[1])]
        twin._offer = self._offer
        twin._offer_from = self._offer_from
        twin._turn = self._turn
        twin._log = list(self._log)
        return twin
