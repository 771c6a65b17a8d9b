"""Tiny games written for the tests: one with chance and simultaneous moves, and broken
variants that each violate one invariant, so the checker can be seen to fail."""

from __future__ import annotations

from collections.abc import Hashable

from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
)


class CoinGuessGame(Game):
    """A coin is flipped (heads 0.6); both seats guess at once; the seat that guesses the
    coin while the other does not wins 1 from it."""

    def __init__(self) -> None:
        super().__init__(
            GameSpec(
                id="coin_guess",
                num_players=2,
                num_distinct_actions=2,
                max_game_length=2,
                min_utility=-1,
                max_utility=1,
                dynamics=Dynamics.SIMULTANEOUS,
                chance=ChanceMode.EXPLICIT,
                max_chance_outcomes=2,
            )
        )

    def new_initial_state(self) -> CoinGuessState:
        return CoinGuessState(self)

    def rules_text(self) -> str:
        return "A coin is flipped unseen. Both guess heads or tails at once."


class CoinGuessState(State):
    def __init__(self, game: Game) -> None:
        super().__init__(game)
        self.coin: int | None = None
        self.guesses: tuple[int, ...] | None = None

    def current_player(self) -> int:
        if self.coin is None:
            return CHANCE
        if self.guesses is None:
            return SIMULTANEOUS
        return TERMINAL

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        return [(0, 0.6), (1, 0.4)]

    def _legal_actions(self, player: int) -> list[int]:
        return [0, 1]

    def _apply_action(self, action: int) -> None:
        self.coin = action

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        self.guesses = actions

    def returns(self) -> list[float]:
        if self.guesses is None:
            return [0.0, 0.0]
        right = [g == self.coin for g in self.guesses]
        if right[0] == right[1]:
            return [0.0, 0.0]
        return [1.0, -1.0] if right[0] else [-1.0, 1.0]

    def information_state_key(self, player: int) -> Hashable:
        return (player, self.guesses)

    def observation_text(self, player: int) -> str:
        return f"guesses: {self.guesses}"

    def _action_text(self, player: int, action: int) -> str:
        return ("heads", "tails")[action]


class NotZeroSum(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _NotZeroSumState(self)


class _NotZeroSumState(CoinGuessState):
    def returns(self) -> list[float]:
        return [1.0, 0.0] if self.guesses is not None else [0.0, 0.0]


class SharedClone(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _SharedCloneState(self)


class _SharedCloneState(CoinGuessState):
    def clone(self) -> State:
        return self


class LeakyInfoKey(CoinGuessGame):
    """Seat 0 cannot tell the coin, yet its legal actions depend on it."""

    def new_initial_state(self) -> CoinGuessState:
        return _LeakyInfoKeyState(self)


class _LeakyInfoKeyState(CoinGuessState):
    def _legal_actions(self, player: int) -> list[int]:
        return [0] if (player == 0 and self.coin == 0) else [0, 1]


class BadNames(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _BadNamesState(self)


class _BadNamesState(CoinGuessState):
    def _action_text(self, player: int, action: int) -> str:
        return "guess"


class AcceptsIllegal(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _AcceptsIllegalState(self)


class _AcceptsIllegalState(CoinGuessState):
    def _is_legal(self, player: int, action: int) -> bool:
        return True


class NeverEnds(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _NeverEndsState(self)


class _NeverEndsState(CoinGuessState):
    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        self.coin = None  # flip again, forever


class BadChanceProbabilities(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _BadChanceProbabilitiesState(self)


class _BadChanceProbabilitiesState(CoinGuessState):
    def _chance_outcomes(self) -> list[tuple[int, float]]:
        return [(0, 0.6), (1, 0.5)]


class NoLegalActions(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _NoLegalActionsState(self)


class _NoLegalActionsState(CoinGuessState):
    def _legal_actions(self, player: int) -> list[int]:
        return [] if player == 1 else [0, 1]


class RejectionLeavesAMark(CoinGuessGame):
    """Rejects illegal actions but counts the attempts in its visible state."""

    def new_initial_state(self) -> CoinGuessState:
        return _RejectionLeavesAMarkState(self)


class _RejectionLeavesAMarkState(CoinGuessState):
    def __init__(self, game: Game) -> None:
        super().__init__(game)
        self.attempts = 0

    def _is_legal(self, player: int, action: int) -> bool:
        legal = super()._is_legal(player, action)
        if not legal:
            self.attempts += 1
        return legal

    def observation_text(self, player: int) -> str:
        return f"guesses: {self.guesses}; attempts: {self.attempts}"


class UnparseableNames(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _UnparseableNamesState(self)


class _UnparseableNamesState(CoinGuessState):
    def parse_action(self, text: str, player: int | None = None) -> int:
        return 0


class SeatOneAcceptsAnything(CoinGuessGame):
    def new_initial_state(self) -> CoinGuessState:
        return _SeatOneAcceptsAnythingState(self)


class _SeatOneAcceptsAnythingState(CoinGuessState):
    def _is_legal(self, player: int, action: int) -> bool:
        return player == 1 or super()._is_legal(player, action)


class ForgetfulGame(Game):
    """Imperfect recall: player 0 picks a, player 1 picks b unseen, then player 0 picks c
    having forgotten a (one information state for all four histories). Zero-sum; player
    0 gets ``U[a][b][c]``."""

    U = (((3, -1), (0, 2)), ((-2, 1), (4, -3)))

    def __init__(self) -> None:
        super().__init__(
            GameSpec(
                id="forgetful",
                num_players=2,
                num_distinct_actions=2,
                max_game_length=3,
                min_utility=-4,
                max_utility=4,
            )
        )

    def new_initial_state(self) -> ForgetfulState:
        return ForgetfulState(self)

    def rules_text(self) -> str:
        return "Player 0 picks, player 1 picks unseen, player 0 picks again forgetting."


class ForgetfulState(State):
    def __init__(self, game: Game) -> None:
        super().__init__(game)
        self.moves: list[int] = []

    def current_player(self) -> int:
        return (0, 1, 0)[len(self.moves)] if len(self.moves) < 3 else TERMINAL

    def _legal_actions(self, player: int) -> list[int]:
        return [0, 1]

    def _apply_action(self, action: int) -> None:
        self.moves.append(action)

    def returns(self) -> list[float]:
        if len(self.moves) < 3:
            return [0.0, 0.0]
        a, b, c = self.moves
        u = float(ForgetfulGame.U[a][b][c])
        return [u, -u]

    def information_state_key(self, player: int) -> Hashable:
        depth = len(self.moves)
        if player == 0:
            return "first" if depth == 0 else "second"  # forgets its own first move
        return "only"

    def observation_text(self, player: int) -> str:
        return f"move {len(self.moves)}"

    def _action_text(self, player: int, action: int) -> str:
        return ("left", "right")[action]
