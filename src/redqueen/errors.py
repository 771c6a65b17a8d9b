"""Errors raised by redqueen. Each names what was wrong and what is allowed."""

from __future__ import annotations

from collections.abc import Iterable


class RedqueenError(Exception):
    """Base class of every error redqueen raises on purpose."""


class UnknownNameError(RedqueenError, ValueError):
    """A game, agent, preset or parameter name that does not exist."""

    def __init__(self, kind: str, name: str, allowed: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.allowed = sorted(allowed)
        super().__init__(
            f"unknown {kind}: {name!r}; allowed: {', '.join(self.allowed) or '(none)'}"
        )


class InvalidParameterError(RedqueenError, ValueError):
    """A parameter whose name is known but whose value is not allowed."""


class IllegalActionError(RedqueenError, ValueError):
    """An action that is not legal in the current state. The state is left unchanged."""

    def __init__(
        self, action: object, player: int, legal: list[tuple[int, str]], reason: str = ""
    ) -> None:
        self.action = action
        self.player = player
        self.legal = legal
        if reason:
            super().__init__(f"illegal action {action!r}: {reason}")
            return
        listing = ", ".join(f"{a} ({t})" for a, t in legal) or "(none)"
        super().__init__(f"illegal action {action!r} for player {player}; legal: {listing}")


class ParseActionError(RedqueenError, ValueError):
    """Text that does not name a legal action."""

    def __init__(self, text: str, legal: list[tuple[int, str]]) -> None:
        self.text = text
        self.legal = legal
        listing = ", ".join(f"{t!r}" for _, t in legal) or "(none)"
        super().__init__(f"{text!r} is not a legal move; legal moves: {listing}")
