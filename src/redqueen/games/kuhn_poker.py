"""Kuhn poker: the smallest interesting poker game, for two to ten players.

H. W. Kuhn, "A simplified two-person poker", Contributions to the Theory of Games I
(1950), introduced the two-player game: a deck of three cards (J, Q, K), an ante of one
chip and a single bet of one chip. The n-player variant and every convention here (ids,
order of play, payoffs) are OpenSpiel's ``kuhn_poker`` (Lanctot et al. 2019, "OpenSpiel:
A Framework for Reinforcement Learning in Games"), so that a strategy, a tree walk or a
learning curve computed on either library means the same thing on the other.

- The deck has ``players + 1`` cards, ids ``0..players`` in increasing rank. With two
  players they are J, Q, K; with more, the ranks below J are added (10, 9, ...).
- Chance deals one card to each seat in turn (player 0 first); a chance outcome is the
  id of the card dealt, uniformly among the cards still in the deck.
- Actions: 0 = pass (check, or fold when facing a bet), 1 = bet (or call a bet).
- Seats act in order 0, 1, ...; if everyone passes, the highest card wins the antes. Once
  someone bets, every other seat acts once more in turn (call or fold), and the highest
  card among those who put in two chips wins the pot.
- Returns are chips won minus chips put in; they are zero until the game is over.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np

from redqueen.errors import InvalidParameterError, ParseActionError, RedqueenError
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Game,
    GameSpec,
    State,
    Step,
    normalise_text,
)

PASS = 0
BET = 1
MIN_PLAYERS = 2
MAX_PLAYERS = 10
_RANKS = ("2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K")
_ACTION_NAMES = ("pass", "bet")


def card_names(players: int) -> tuple[str, ...]:
    """Names of the ``players + 1`` cards, lowest first: J Q K for two players."""
    return _RANKS[len(_RANKS) - (players + 1) :]


class KuhnPokerGame(Game):
    """Kuhn poker with ``players`` seats (2..10), as OpenSpiel's ``kuhn_poker``."""

    def __init__(self, *, players: int = 2) -> None:
        if (
            isinstance(players, bool)
            or not isinstance(players, int)
            or not MIN_PLAYERS <= players <= MAX_PLAYERS
        ):
            raise InvalidParameterError(
                f"kuhn_poker: players must be an integer from {MIN_PLAYERS} to "
                f"{MAX_PLAYERS}, got {players!r}"
            )
        super().__init__(
            GameSpec(
                id="kuhn_poker",
                num_players=players,
                num_distinct_actions=2,
                # n deals, then at most n - 1 passes, a bet and n - 1 answers to it.
                max_game_length=3 * players - 1,
                min_utility=-2.0,
                max_utility=2.0 * (players - 1),
                chance=ChanceMode.EXPLICIT,
                max_chance_outcomes=players + 1,
                params={"players": players},
            )
        )
        self.cards = card_names(players)
        self._root = _Betting(players, ())
        deck = range(players + 1)
        self._deal_outcomes = tuple(
            [(c, 1.0 / (players + 1 - dealt.bit_count())) for c in deck if not dealt >> c & 1]
            for dealt in range(1 << (players + 1))
        )
        """The chance outcomes once the cards in the bit set ``dealt`` are out."""
        self._deal_steps = tuple(Step(CHANCE, c) for c in deck)

    def new_initial_state(self) -> KuhnPokerState:
        return KuhnPokerState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(6 * players - 1,)``, as OpenSpiel's ``kuhn_poker``."""
        return (6 * self.num_players - 1,)

    def rules_text(self) -> str:
        n = self.num_players
        deck = ", ".join(self.cards)
        order = (
            "player 0 first, then player 1"
            if n == 2
            else f"player 0 first, then 1, and so on up to player {n - 1}"
        )
        return (
            f"Kuhn poker for {n} players.\n"
            f"The deck has {n + 1} cards, from lowest to highest: {deck}. There are no "
            "suits and no ties.\n"
            f"Each player puts 1 chip into the pot (the ante), so the pot starts at {n} "
            "chips. Each player is dealt one card face down, which only they can see; the "
            "remaining card is not used.\n"
            f"Players act in turn: {order}. There are two moves:\n"
            "- pass: if nobody has bet yet, this is a check (put in nothing). If someone "
            "has bet, this is a fold: you give up and lose what you have put in.\n"
            "- bet: if nobody has bet yet, put 1 more chip into the pot. If someone has "
            "bet, this is a call: you match the bet with 1 more chip.\n"
            "There is at most one bet. If every player passes without a bet, the game "
            "ends and the highest card wins the pot. Once someone bets, every other player "
            "acts exactly once more, in turn (those after the bettor first, then those "
            "before), calling or folding. Then the player with the highest card among "
            "those who bet or called wins the pot.\n"
            "Your result is the chips you win minus the chips you put in: a player who "
            "only anted and lost gets -1, one who bet or called and lost gets -2, and the "
            "winner gets everything the others put in."
        )


class _Betting:
    """A node of the betting, the same whatever the cards: who acts, the betting actions so
    far, each action's history entry and next node, and each seat's chips in. Each node is
    built on first use and kept by the game (at most about ``players * 2**players`` of
    them), so a betting move is a lookup."""

    __slots__ = (
        "actions",
        "children",
        "contrib",
        "first_bettor",
        "player",
        "players",
        "showdown",
        "steps",
    )

    def __init__(self, players: int, actions: tuple[int, ...]) -> None:
        self.players = players
        self.actions = actions
        first = actions.index(BET) if BET in actions else -1
        self.first_bettor = first  # the seat of the first bet (a seat acts at i % players)
        self.contrib = tuple(1 + any(a == BET for a in actions[p::players]) for p in range(players))
        self.showdown: tuple[int, ...] = ()
        """The seats still in at the end (empty before it)."""
        if first < 0 and len(actions) == players:  # everyone checked: showdown among all
            self.showdown = tuple(range(players))
        elif first >= 0 and len(actions) == players + first:  # everyone answered the bet
            self.showdown = tuple(p for p in range(players) if self.contrib[p] == 2)
        self.player = TERMINAL if self.showdown else len(actions) % players
        self.steps = {} if self.showdown else {a: Step(self.player, a) for a in (PASS, BET)}
        self.children: list[_Betting | None] = [None, None]

    def child(self, action: int) -> _Betting:
        """The node after ``action`` (PASS or BET) here."""
        node = self.children[action]
        if node is None:
            node = self.children[action] = _Betting(self.players, (*self.actions, action))
        return node


class KuhnPokerState(State):
    """A node of a Kuhn poker game: the cards dealt (a list and a bit set) and the node of
    the betting; ``_cur`` caches the player to move."""

    __slots__ = ("_cards", "_cur", "_dealt", "_n", "_node")

    _game: KuhnPokerGame

    def __init__(self, game: KuhnPokerGame) -> None:
        State.__init__(self, game)  # not super(): a new state is on every playout's path
        root = game._root
        self._n = root.players
        self._cards: list[int] = []  # card id of each seat dealt so far, in seat order
        self._dealt = 0  # the same cards as a bit set
        self._node = root
        self._cur = CHANCE

    # ---- rules ----------------------------------------------------------------------

    def current_player(self) -> int:
        return self._cur

    def is_terminal(self) -> bool:
        return self._cur == TERMINAL

    def is_chance_node(self) -> bool:
        return self._cur == CHANCE

    def _legal_actions(self, player: int) -> list[int]:
        return [PASS, BET]

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        return self._game._deal_outcomes[self._dealt].copy()

    def _is_legal(self, player: int, action: int) -> bool:
        if player == CHANCE:
            return 0 <= action <= self._n and not self._dealt >> action & 1
        return action in (PASS, BET)

    def _apply_action(self, action: int) -> None:
        if self._cur == CHANCE:
            self._deal(action)
        else:
            node = self._node.child(action)
            self._node = node
            self._cur = node.player

    def _deal(self, card: int) -> None:
        cards = self._cards
        cards.append(card)
        self._dealt |= 1 << card
        if len(cards) == self._n:
            self._cur = self._node.player

    # ---- fast paths: the contract's answers without its general dispatch ----------

    def legal_actions(self, player: int | None = None) -> list[int]:
        if player is None and self._cur >= 0:
            return [PASS, BET]
        return super().legal_actions(player)

    def chance_outcomes(self) -> list[tuple[int, float]]:
        if self._cur != CHANCE:
            return []
        return self._game._deal_outcomes[self._dealt].copy()

    def apply_action(self, action: int) -> None:
        cur = self._cur
        if type(action) is int:
            if cur >= 0:
                node = self._node
                step = node.steps.get(action)
                if step is not None:
                    self._history.append(step)
                    node = node.children[action] or node.child(action)
                    self._node = node
                    self._cur = node.player
                    return
            elif cur == CHANCE and 0 <= action <= self._n and not self._dealt >> action & 1:
                self._deal(action)
                self._history.append(self._game._deal_steps[action])
                return
        super().apply_action(action)  # the general path: its checks and errors

    def _winner(self) -> int:
        """The seat that takes the pot (the game is over): the highest card still in."""
        return max(self._node.showdown, key=self._cards.__getitem__)

    @property
    def _contrib(self) -> list[int]:
        """The chips each seat has put in (the ante is 1)."""
        return list(self._node.contrib)

    def returns(self) -> list[float]:
        if self._cur != TERMINAL:
            return [0.0] * self._n
        contrib = self._node.contrib
        out = [-float(c) for c in contrib]
        out[self._winner()] += float(sum(contrib))
        return out

    def clone(self) -> KuhnPokerState:
        twin = object.__new__(KuhnPokerState)
        twin._game = self._game
        twin._history = self._history.copy()
        twin._n = self._n
        twin._cards = self._cards.copy()
        twin._dealt = self._dealt
        twin._node = self._node
        twin._cur = self._cur
        return twin

    # ---- what a player knows ----------------------------------------------------------

    def private_card(self, player: int) -> int | None:
        """The card id dealt to ``player``, or None before the deal reaches them."""
        return self._cards[player] if player < len(self._cards) else None

    def information_state_key(self, player: int) -> Hashable:
        """(own card id or None, betting actions so far): OpenSpiel's partition."""
        return (self.private_card(player), self._node.actions)

    def information_state_tensor(self, player: int) -> np.ndarray:
        """OpenSpiel's layout, so that the two libraries' tensors are equal: one-hot seat
        (n), one-hot own card (n + 1; zeros before it is dealt), then one pair per betting
        slot (2n - 1 slots): (1, 0) pass, (0, 1) bet, (0, 0) not played yet. Within a seat,
        equal keys give equal tensors and different keys different ones."""
        n = self._n
        if isinstance(player, bool) or not isinstance(player, int) or not 0 <= player < n:
            raise RedqueenError(f"players are 0..{n - 1}; got {player!r}")
        out = np.zeros(6 * n - 1, dtype=np.float32)
        out[player] = 1.0
        if player < len(self._cards):
            out[n + self._cards[player]] = 1.0
        base = 2 * n + 1
        for i, a in enumerate(self._node.actions):
            out[base + 2 * i + a] = 1.0
        return out

    def chips_in(self, player: int) -> int:
        """The chips ``player`` has put into the pot so far, the ante included (the
        stake an LLM protocol may charge for an invalid reply: MARS's poker envs)."""
        if isinstance(player, bool) or not isinstance(player, int) or not 0 <= player < self._n:
            raise RedqueenError(f"players are 0..{self._n - 1}; got {player!r}")
        return self._contrib[player]

    @property
    def pot(self) -> int:
        return sum(self._contrib)

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            return f"deal {self._game.cards[action]}"
        return _ACTION_NAMES[action]

    def parse_action(self, text: str, player: int | None = None) -> int:
        """As ``State.parse_action``, and the words the view uses for the two moves: check
        (a pass when nobody has bet yet), fold (a pass facing a bet) and call (a bet facing
        a bet)."""
        try:
            return super().parse_action(text, player)
        except ParseActionError:
            if self._cur < 0 or player not in (None, self._cur):
                raise
            facing = self._node.first_bettor >= 0
            words = {"fold": PASS, "call": BET} if facing else {"check": PASS}
            action = words.get(normalise_text(text))
            if action is None:
                raise
            return action

    def _betting_lines(self) -> list[str]:
        if not self._node.actions:
            return ["Betting so far: none."]
        moves = []
        bet_made = False
        for i, a in enumerate(self._node.actions):
            seat = i % self._n
            if a == BET:
                moves.append(f"player {seat} {'calls' if bet_made else 'bets'}")
                bet_made = True
            else:
                moves.append(f"player {seat} {'folds' if bet_made else 'checks'}")
        return ["Betting so far: " + ", ".join(moves) + "."]

    def _view(self, viewer: int | None) -> str:
        """The text view of ``viewer`` (None: everything, hidden cards included)."""
        cards = self._game.cards
        n = self._n
        lines = [f"Kuhn poker, {n} players; cards from low to high: {' '.join(cards)}."]
        if viewer is None:
            dealt = ", ".join(f"player {p}: {cards[c]}" for p, c in enumerate(self._cards))
            lines.append(f"Cards: {dealt or 'none dealt yet'}.")
        else:
            lines.append(f"You are player {viewer}.")
            mine = self.private_card(viewer)
            lines.append(f"Your card: {cards[mine] if mine is not None else 'not dealt yet'}.")
        contrib = ", ".join(f"player {p}: {c}" for p, c in enumerate(self._contrib))
        lines.append(f"Pot: {self.pot} chips (put in by {contrib}).")
        lines.extend(self._betting_lines())
        cur = self._cur
        if cur == CHANCE:
            lines.append(f"Dealing a card to player {len(self._cards)}.")
        elif cur == TERMINAL:
            lines.append(self._result_line(viewer))
        else:
            facing = self._node.first_bettor >= 0
            you = " (you)" if cur == viewer else ""
            moves = "pass (fold) or bet (call)" if facing else "pass (check) or bet"
            lines.append(f"To move: player {cur}{you}: {moves}.")
        return "\n".join(lines)

    def _result_line(self, viewer: int | None) -> str:
        cards = self._game.cards
        w = self._winner()
        showdown = [p for p in range(self._n) if self._contrib[p] == self._contrib[w]]
        text = f"Game over. Player {w} wins the pot of {self.pot} chips"
        if len(showdown) > 1:
            shown = ", ".join(f"player {p} {cards[self._cards[p]]}" for p in showdown)
            text += f" at the showdown ({shown})"
        rets = ", ".join(f"player {p}: {r:+g}" for p, r in enumerate(self.returns()))
        return f"{text}. Returns: {rets}."

    def observation_text(self, player: int) -> str:
        return self._view(player)

    def __str__(self) -> str:
        return self._view(None)
