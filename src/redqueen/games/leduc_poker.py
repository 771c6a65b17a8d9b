"""Leduc hold'em: a two-round poker game small enough to solve, large enough to be poker.

Introduced by Southey et al. (2005), "Bayes' Bluff: Opponent Modelling in Poker" (UAI),
as a testbed between Kuhn poker and Texas hold'em. The rules, ids and payoffs here are
exactly those of OpenSpiel's ``leduc_poker`` with its default parameters (two players,
no action mapping, no suit isomorphism, player 0 first in both rounds), so that numbers
computed on either library agree.

- Six cards, ids 0..5: J J Q Q K K, rank ``card // 2`` (J < Q < K), suit ``card % 2``
  (written s and h). Chance outcomes are card ids, uniform over the cards left.
- Each player antes 1 chip and is dealt one private card (player 0 first). Round 1 of
  betting follows; then one public card is dealt; then round 2 of betting.
- Actions: 0 = fold, 1 = call (a check when there is nothing to call), 2 = raise. Fold is
  legal only when facing a raise; at most two raises per round; a raise is 2 chips in
  round 1 and 4 chips in round 2, on top of matching the current stake.
- At the showdown a pair (private card of the public card's rank) beats any non-pair;
  otherwise the higher private card wins; equal ranks split the pot.
- Returns are chips won minus chips put in (at most 13 either way); zero until the end.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from redqueen.errors import ParseActionError, RedqueenError
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

FOLD = 0
CALL = 1
RAISE = 2
NUM_CARDS = 6
MAX_RAISES = 2
RAISE_AMOUNTS = (2, 4)
"""Raise size in round 1 and round 2."""
RANK_NAMES = ("J", "Q", "K")
SUIT_NAMES = ("s", "h")
CARD_NAMES = tuple(RANK_NAMES[c // 2] + SUIT_NAMES[c % 2] for c in range(NUM_CARDS))
"""Js Jh Qs Qh Ks Kh: the name of each card id."""
_ACTION_NAMES = ("fold", "call", "raise")
_DEAL_NAMES = tuple(f"deal {name}" for name in CARD_NAMES)
_DEAL_OUTCOMES = tuple(
    [(c, 1.0 / (NUM_CARDS - dealt.bit_count())) for c in range(NUM_CARDS) if not dealt >> c & 1]
    for dealt in range(1 << NUM_CARDS)
)
"""The chance outcomes once the cards in the bit set ``dealt`` are out."""
_DEAL_STEPS = tuple(Step(CHANCE, c) for c in range(NUM_CARDS))


class LeducPokerGame(Game):
    """Two-player Leduc hold'em, as OpenSpiel's ``leduc_poker`` with default parameters."""

    def __init__(self) -> None:
        super().__init__(
            GameSpec(
                id="leduc_poker",
                num_players=2,
                num_distinct_actions=3,
                # 3 deals and at most 4 actions a round (check, raise, raise, call).
                max_game_length=11,
                min_utility=-13.0,
                max_utility=13.0,
                chance=ChanceMode.EXPLICIT,
                max_chance_outcomes=NUM_CARDS,
                params={},
            )
        )
        self._root = _Betting((), (), 0, (1, 1), 0, 0, 0)
        """The betting before any action: both players have anted 1, player 0 acts first."""

    def new_initial_state(self) -> LeducPokerState:
        return LeducPokerState(self)

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        """``(34,)``: OpenSpiel's 30 entries, then 4 for whose turn it is."""
        return (34,)

    def rules_text(self) -> str:
        return (
            "Leduc hold'em, two players.\n"
            "The deck has six cards: two jacks, two queens and two kings (Js Jh Qs Qh Ks "
            "Kh). Suits do not matter except to tell the cards apart; K beats Q beats J.\n"
            "Each player puts 1 chip into the pot (the ante) and is dealt one private card "
            "face down, which only they can see.\n"
            "There are two betting rounds. Player 0 acts first in each round, then the "
            "players alternate. The moves are:\n"
            "- call: put in enough chips to match the other player's total. If you are "
            "already level, this is a check and costs nothing.\n"
            "- raise: match the other player's total and then add the raise amount: 2 "
            "chips in round 1, 4 chips in round 2. At most two raises are allowed in each "
            "round.\n"
            "- fold: give up the hand and the chips you have put in. You may fold only "
            "when the other player has raised and you have not matched it yet.\n"
            "A round ends when both players have checked, or when a player calls a raise. "
            "After round 1 one public card is dealt face up, shared by both players, and "
            "round 2 is played.\n"
            "If a player folds, the other wins the pot. Otherwise, after round 2, the "
            "showdown: a player whose private card has the same rank as the public card "
            "has a pair and wins. With no pair, the higher private card wins. If both "
            "private cards have the same rank, the pot is split.\n"
            "Your result is the chips you win minus the chips you put in; the most you "
            "can win or lose is 13 chips (1 ante, 2 raises of 2 and 2 raises of 4)."
        )


class _Betting:
    """A node of the betting, the same whatever the cards: the actions of each round so far,
    the chips in, the stake to reach, the raises and calls this round, who acts, the legal
    actions with their history entries, and each action's next node (built on first use
    and kept by the game; there are 85), so a betting move is a lookup."""

    __slots__ = (
        "actor",
        "calls",
        "children",
        "contrib",
        "folder",
        "legal",
        "player",
        "raises",
        "round",
        "rounds",
        "stakes",
        "steps",
    )

    def __init__(
        self,
        first: tuple[int, ...],
        second: tuple[int, ...],
        round_: int,
        contrib: tuple[int, int],
        raises: int,
        calls: int,
        actor: int,
        *,
        player: int | None = None,
        folder: int = -1,
    ) -> None:
        self.rounds = (first, second)
        self.round = round_  # 0 or 1
        self.contrib = contrib  # chips each player has put in
        self.stakes = max(contrib)  # the total each player must reach to stay in
        self.raises = raises  # raises in the current round
        self.calls = calls  # calls (checks included) since the last raise this round
        self.actor = actor  # the seat that acts here (-1: nobody, the game is over)
        self.player = actor if player is None else player
        """``current_player()`` on reaching this node by a betting move: the actor, CHANCE
        where the public card comes first, TERMINAL after a fold or the showdown."""
        self.folder = folder  # the seat that folded, or -1
        legal: tuple[int, ...] = ()
        if actor >= 0:
            legal = (CALL, RAISE) if raises < MAX_RAISES else (CALL,)
            if self.stakes > contrib[actor]:
                legal = (FOLD, *legal)
        self.legal = legal
        self.steps = {a: Step(actor, a) for a in legal}
        self.children: list[_Betting | None] = [None, None, None]

    def child(self, action: int) -> _Betting:
        """The node after ``action`` (legal here), with Leduc's betting rules."""
        node = self.children[action]
        if node is not None:
            return node
        cur, r = self.actor, self.round
        first, second = self.rounds
        if r == 0:
            first = (*first, action)
        else:
            second = (*second, action)
        contrib = list(self.contrib)
        if action == FOLD:  # the other player takes the pot
            node = _Betting(
                first,
                second,
                r,
                self.contrib,
                self.raises,
                self.calls,
                -1,
                player=TERMINAL,
                folder=cur,
            )
        elif action == RAISE:
            contrib[cur] = self.stakes + RAISE_AMOUNTS[r]
            node = _Betting(first, second, r, (contrib[0], contrib[1]), self.raises + 1, 0, 1 - cur)
        else:
            contrib[cur] = self.stakes
            pair = (contrib[0], contrib[1])
            calls = self.calls + 1
            if calls < (1 if self.raises else 2):
                node = _Betting(first, second, r, pair, self.raises, calls, 1 - cur)
            elif r == 0:  # round 1 is over: the public card, then player 0 in round 2
                node = _Betting(first, second, 1, pair, 0, 0, 0, player=CHANCE)
            else:  # the showdown
                node = _Betting(first, second, r, pair, self.raises, calls, -1, player=TERMINAL)
        self.children[action] = node
        return node


class LeducPokerState(State):
    """A node of a Leduc game: the cards dealt (private ones, the public one, and all of
    them as a bit set) and the node of the betting; ``_cur`` caches the player to move."""

    __slots__ = ("_cur", "_dealt", "_node", "_private", "_public")

    _game: LeducPokerGame

    def __init__(self, game: LeducPokerGame) -> None:
        State.__init__(self, game)  # not super(): a new state is on every playout's path
        self._private: list[int] = []  # private card ids, player 0's first
        self._public = -1
        self._dealt = 0  # every card dealt, as a bit set
        self._node = game._root
        self._cur = CHANCE

    # ---- rules ----------------------------------------------------------------------

    def current_player(self) -> int:
        return self._cur

    def is_terminal(self) -> bool:
        return self._cur == TERMINAL

    def is_chance_node(self) -> bool:
        return self._cur == CHANCE

    def _legal_actions(self, player: int) -> list[int]:
        return list(self._node.legal)

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        return _DEAL_OUTCOMES[self._dealt].copy()

    def _is_legal(self, player: int, action: int) -> bool:
        if player == CHANCE:
            return 0 <= action < NUM_CARDS and not self._dealt >> action & 1
        return action in self._node.steps

    def _apply_action(self, action: int) -> None:
        if self._cur == CHANCE:
            self._deal(action)
        else:
            node = self._node.child(action)
            self._node = node
            self._cur = node.player

    def _deal(self, card: int) -> None:
        self._dealt |= 1 << card
        private = self._private
        if len(private) < 2:
            private.append(card)
            if len(private) == 2:
                self._cur = 0
        else:
            self._public = card
            self._cur = 0

    # ---- fast paths: the contract's answers without its general dispatch ----------

    def legal_actions(self, player: int | None = None) -> list[int]:
        if player is None and self._cur >= 0:
            return list(self._node.legal)
        return super().legal_actions(player)

    def chance_outcomes(self) -> list[tuple[int, float]]:
        return _DEAL_OUTCOMES[self._dealt].copy() if self._cur == CHANCE else []

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
            elif cur == CHANCE and 0 <= action < NUM_CARDS and not self._dealt >> action & 1:
                self._deal(action)
                self._history.append(_DEAL_STEPS[action])
                return
        super().apply_action(action)  # the general path: its checks and errors

    @property
    def _contrib(self) -> list[int]:
        """The chips each player has put in."""
        return list(self._node.contrib)

    def returns(self) -> list[float]:
        if self._cur != TERMINAL:
            return [0.0, 0.0]
        node = self._node
        if node.folder >= 0:  # the folder loses what they put in
            lost = float(node.contrib[node.folder])
            return [-lost, lost] if node.folder == 0 else [lost, -lost]
        # the showdown: a pair with the public card wins, then the higher rank; both players
        # have put in the same
        public_rank = self._public >> 1
        rank0 = self._private[0] >> 1
        rank1 = self._private[1] >> 1
        stake = float(node.stakes)
        if rank0 == rank1:
            return [0.0, 0.0]
        if rank0 == public_rank or (rank1 != public_rank and rank0 > rank1):
            return [stake, -stake]
        return [-stake, stake]

    def clone(self) -> LeducPokerState:
        twin = object.__new__(LeducPokerState)
        twin._game = self._game
        twin._history = self._history.copy()
        twin._private = self._private.copy()
        twin._public = self._public
        twin._dealt = self._dealt
        twin._node = self._node
        twin._cur = self._cur
        return twin

    # ---- what a player knows ----------------------------------------------------------

    def private_card(self, player: int) -> int | None:
        """The card id dealt to ``player``, or None before the deal reaches them."""
        return self._private[player] if player < len(self._private) else None

    @property
    def public_card(self) -> int | None:
        return self._public if self._public >= 0 else None

    def chips_in(self, player: int) -> int:
        """The chips ``player`` has put into the pot so far, the ante included (the
        stake an LLM protocol may charge for an invalid reply: MARS's poker envs)."""
        if isinstance(player, bool) or not isinstance(player, int) or not 0 <= player < 2:
            raise RedqueenError(f"players are 0 and 1; got {player!r}")
        return self._contrib[player]

    @property
    def pot(self) -> int:
        return self._contrib[0] + self._contrib[1]

    def information_state_key(self, player: int) -> Hashable:
        """(own card id or None, public card id or None, round-1 actions, round-2 actions,
        whose turn it is): the same partition as OpenSpiel's information-state strings,
        which also tell a player's deal from the end of the deal by whose turn it is."""
        return (
            self.private_card(player),
            self.public_card,
            *self._node.rounds,
            self._cur,
        )

    def information_state_tensor(self, player: int) -> np.ndarray:
        """The first 30 entries are OpenSpiel's ``leduc_poker`` tensor: one-hot seat (2),
        own card (6) and public card (6; zeros until dealt), then 4 slots per betting round
        of 2 entries each: (1, 0) call, (0, 1) raise, (0, 0) fold or not played yet. The last
        4 are one-hot whose turn it is (chance, player 0, player 1, game over), the part of
        the key OpenSpiel's tensor leaves out (it tells a player's own deal from the end of
        the deal, and a fold from a raise still to be answered). Within a seat, equal keys
        give equal tensors and different keys different ones."""
        if isinstance(player, bool) or not isinstance(player, int) or player not in (0, 1):
            raise RedqueenError(f"players are 0 and 1; got {player!r}")
        out = np.zeros(34, dtype=np.float32)
        out[player] = 1.0
        if player < len(self._private):
            out[2 + self._private[player]] = 1.0
        if self._public >= 0:
            out[8 + self._public] = 1.0
        for r, seq in enumerate(self._node.rounds):
            base = 14 + 8 * r
            for i, a in enumerate(seq):
                if a != FOLD:
                    out[base + 2 * i + (a == RAISE)] = 1.0
        cur = self._cur
        out[30 + (0 if cur == CHANCE else 3 if cur == TERMINAL else 1 + cur)] = 1.0
        return out

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            return _DEAL_NAMES[action]
        return _ACTION_NAMES[action]

    def parse_action(self, text: str, player: int | None = None) -> int:
        """As ``State.parse_action``, and ``check``, the view's word for a call when there
        is nothing to call."""
        try:
            return super().parse_action(text, player)
        except ParseActionError:
            cur = self._cur
            if cur < 0 or player not in (None, cur) or normalise_text(text) != "check":
                raise
            if self._node.stakes > self._node.contrib[cur]:
                raise
            return CALL

    def _view(self, viewer: int | None) -> str:
        """The text view of ``viewer`` (None: everything, hidden cards included)."""
        lines = ["Leduc hold'em, 2 players."]
        if viewer is None:
            dealt = ", ".join(f"player {p}: {CARD_NAMES[c]}" for p, c in enumerate(self._private))
            lines.append(f"Private cards: {dealt or 'none dealt yet'}.")
        else:
            mine = self.private_card(viewer)
            lines.append(f"You are player {viewer}.")
            lines.append(f"Your card: {CARD_NAMES[mine] if mine is not None else 'not dealt yet'}.")
        public = self.public_card
        lines.append(
            f"Public card: {CARD_NAMES[public] if public is not None else 'not dealt yet'}."
        )
        c0, c1 = self._node.contrib
        lines.append(f"Pot: {c0 + c1} chips (put in by player 0: {c0}, player 1: {c1}).")
        node = self._node
        for r, seq in enumerate(node.rounds):
            if seq or r == node.round:
                lines.append(f"Round {r + 1} betting: {_describe_round(seq)}.")
        cur = self._cur
        if cur == CHANCE:
            if len(self._private) < 2:
                lines.append(f"Dealing a private card to player {len(self._private)}.")
            else:
                lines.append("Dealing the public card.")
        elif cur == TERMINAL:
            lines.append(self._result_line())
        else:
            you = " (you)" if cur == viewer else ""
            to_call = node.stakes - node.contrib[cur]
            raises_left = MAX_RAISES - node.raises
            moves = ", ".join(_ACTION_NAMES[a] for a in self._legal_actions(cur))
            lines.append(
                f"To move: player {cur}{you}, round {node.round + 1}; {to_call} chips to "
                f"call; raise size {RAISE_AMOUNTS[node.round]}; {raises_left} raises "
                f"left this round. Legal moves: {moves}."
            )
        return "\n".join(lines)

    def _result_line(self) -> str:
        r0, r1 = self.returns()
        if self._node.folder >= 0:
            folder = 0 if r0 < 0 else 1
            head = f"Game over. Player {folder} folds; player {1 - folder} wins the pot"
        else:
            shown = ", ".join(f"player {p} {CARD_NAMES[c]}" for p, c in enumerate(self._private))
            outcome = "the pot is split" if r0 == 0 else f"player {0 if r0 > 0 else 1} wins"
            head = f"Game over. Showdown ({shown}; public {CARD_NAMES[self._public]}): {outcome}"
        return f"{head}. Returns: player 0: {r0:+g}, player 1: {r1:+g}."

    def observation_text(self, player: int) -> str:
        return self._view(player)

    def __str__(self) -> str:
        return self._view(None)


def _describe_round(seq: Sequence[int]) -> str:
    if not seq:
        return "none yet"
    words = []
    raised = False
    for i, a in enumerate(seq):
        if a == CALL:
            word = "calls" if raised else "checks"
        elif a == RAISE:
            word = "raises"
            raised = True
        else:
            word = "folds"
        words.append(f"player {i % 2} {word}")
    return ", ".join(words)
