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

from collections.abc import Hashable

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
    new_step,
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


class LeducPokerState(State):
    """A node of a Leduc game. ``_cur`` caches the player to move."""

    __slots__ = (
        "_calls",
        "_contrib",
        "_cur",
        "_private",
        "_public",
        "_raises",
        "_returns",
        "_round",
        "_rounds",
        "_stakes",
    )

    _game: LeducPokerGame

    def __init__(self, game: LeducPokerGame) -> None:
        super().__init__(game)
        self._private: list[int] = []  # private card ids, player 0's first
        self._public = -1
        self._round = 0  # 0 or 1
        self._rounds: tuple[list[int], list[int]] = ([], [])  # actions of each round
        self._contrib = [1, 1]  # chips each player has put in
        self._stakes = 1  # the total each player must reach to stay in
        self._raises = 0  # raises in the current round
        self._calls = 0  # calls (checks included) since the last raise this round
        self._returns: list[float] | None = None
        self._cur = CHANCE

    # ---- rules ----------------------------------------------------------------------

    def current_player(self) -> int:
        return self._cur

    def is_terminal(self) -> bool:
        return self._cur == TERMINAL

    def is_chance_node(self) -> bool:
        return self._cur == CHANCE

    def _legal_actions(self, player: int) -> list[int]:
        if self._stakes > self._contrib[player]:
            return [FOLD, CALL, RAISE] if self._raises < MAX_RAISES else [FOLD, CALL]
        return [CALL, RAISE] if self._raises < MAX_RAISES else [CALL]

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        private = self._private
        p = 1.0 / (NUM_CARDS - len(private) - (self._public >= 0))
        return [(c, p) for c in range(NUM_CARDS) if c not in private and c != self._public]

    def _is_legal(self, player: int, action: int) -> bool:
        if player == CHANCE:
            return 0 <= action < NUM_CARDS and action not in self._private
        if action == CALL:
            return True
        if action == RAISE:
            return self._raises < MAX_RAISES
        return action == FOLD and self._stakes > self._contrib[player]

    def _apply_action(self, action: int) -> None:
        cur = self._cur
        if cur == CHANCE:
            if len(self._private) < 2:
                self._private.append(action)
                if len(self._private) == 2:
                    self._cur = 0
            else:
                self._public = action
                self._cur = 0
            return
        self._rounds[self._round].append(action)
        contrib = self._contrib
        if action == CALL:
            contrib[cur] = self._stakes
            self._calls += 1
            if self._calls == (1 if self._raises else 2):  # the round is over
                if self._round == 1:
                    self._showdown()
                else:
                    self._round = 1
                    self._raises = 0
                    self._calls = 0
                    self._cur = CHANCE
                return
        elif action == RAISE:
            self._stakes += RAISE_AMOUNTS[self._round]
            contrib[cur] = self._stakes
            self._raises += 1
            self._calls = 0
        else:  # fold: the other player takes the pot
            lost = float(contrib[cur])
            self._returns = [-lost, lost] if cur == 0 else [lost, -lost]
            self._cur = TERMINAL
            return
        self._cur = 1 - cur

    # ---- fast paths: the contract's answers without its general dispatch ----------

    def legal_actions(self, player: int | None = None) -> list[int]:
        if player is None and self._cur >= 0:
            return self._legal_actions(self._cur)
        return super().legal_actions(player)

    def chance_outcomes(self) -> list[tuple[int, float]]:
        return self._chance_outcomes() if self._cur == CHANCE else []

    def apply_action(self, action: int) -> None:
        cur = self._cur
        if type(action) is int and (cur >= 0 or cur == CHANCE) and self._is_legal(cur, action):
            self._apply_action(action)
            self._history.append(new_step(Step, (cur, action)))
            return
        super().apply_action(action)  # the general path: its checks and errors

    def _showdown(self) -> None:
        public_rank = self._public >> 1
        rank0 = self._private[0] >> 1
        rank1 = self._private[1] >> 1
        stake = float(self._stakes)  # both players have put in the same
        if rank0 == rank1:
            self._returns = [0.0, 0.0]
        elif rank0 == public_rank or (rank1 != public_rank and rank0 > rank1):
            self._returns = [stake, -stake]
        else:
            self._returns = [-stake, stake]
        self._cur = TERMINAL

    def returns(self) -> list[float]:
        r = self._returns
        return [0.0, 0.0] if r is None else r.copy()

    def clone(self) -> LeducPokerState:
        twin = object.__new__(LeducPokerState)
        twin._game = self._game
        twin._history = self._history.copy()
        twin._private = self._private.copy()
        twin._public = self._public
        twin._round = self._round
        twin._rounds = (self._rounds[0].copy(), self._rounds[1].copy())
        twin._contrib = self._contrib.copy()
        twin._stakes = self._stakes
        twin._raises = self._raises
        twin._calls = self._calls
        twin._returns = self._returns
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
            tuple(self._rounds[0]),
            tuple(self._rounds[1]),
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
        for r, seq in enumerate(self._rounds):
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
            if self._stakes > self._contrib[cur]:
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
        c0, c1 = self._contrib
        lines.append(f"Pot: {c0 + c1} chips (put in by player 0: {c0}, player 1: {c1}).")
        for r, seq in enumerate(self._rounds):
            if seq or r == self._round:
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
            to_call = self._stakes - self._contrib[cur]
            raises_left = MAX_RAISES - self._raises
            moves = ", ".join(_ACTION_NAMES[a] for a in self._legal_actions(cur))
            lines.append(
                f"To move: player {cur}{you}, round {self._round + 1}; {to_call} chips to "
                f"call; raise size {RAISE_AMOUNTS[self._round]}; {raises_left} raises "
                f"left this round. Legal moves: {moves}."
            )
        return "\n".join(lines)

    def _result_line(self) -> str:
        assert self._returns is not None
        r0, r1 = self._returns
        last = self._rounds[self._round][-1]
        if last == FOLD:
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


def _describe_round(seq: list[int]) -> str:
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
