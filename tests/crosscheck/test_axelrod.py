"""Cross-check against the Axelrod library (Knight et al. 2016): every deterministic
strategy that the library also has plays the full 200-turn match against every other such
strategy, and itself, with the same moves and scores as ``axelrod.Match(..., turns=200)``.
"""

from __future__ import annotations

import itertools

import pytest

from redqueen.agents import strategies
from redqueen.agents.strategies import play_strategies

axl = pytest.importorskip("axelrod", reason="the Axelrod library is a test-only extra")

TURNS = 200


def _shared_deterministic() -> list[str]:
    out = []
    for name, cls in strategies.classes().items():
        if cls.axelrod is None or cls.classifier["stochastic"]:
            continue
        assert hasattr(axl, cls.axelrod), f"{name}: axelrod has no {cls.axelrod}"
        assert not axl.Classifiers["stochastic"](getattr(axl, cls.axelrod)()), name
        out.append(name)
    return out


SHARED = _shared_deterministic()


_PLAYERS: dict[str, tuple[object, object]] = {}


def _players(name: str) -> tuple[object, object]:
    """Two Axelrod players per strategy, built once: building one inspects its source
    (slow); ``Match.play`` resets them before every match."""
    if name not in _PLAYERS:
        cls = getattr(axl, strategies.classes()[name].axelrod)  # type: ignore[arg-type]
        _PLAYERS[name] = (cls(), cls())
    return _PLAYERS[name]


def _axelrod_match(first: str, second: str) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    match = axl.Match((_players(first)[0], _players(second)[1]), turns=TURNS)
    plays = match.play()
    moves = [(0 if x == axl.Action.C else 1, 0 if y == axl.Action.C else 1) for x, y in plays]
    return moves, match.final_score()


def test_enough_shared_strategies() -> None:
    assert len(SHARED) >= 50


def test_every_pair_matches_axelrod() -> None:
    mismatches = []
    for first, second in itertools.combinations_with_replacement(SHARED, 2):
        ours = play_strategies(strategies.get(first), strategies.get(second), TURNS)
        moves, scores = _axelrod_match(first, second)
        if list(ours.moves) != moves or ours.scores != tuple(float(s) for s in scores):
            turn = next(
                (t for t, (x, y) in enumerate(zip(ours.moves, moves, strict=True)) if x != y),
                None,
            )
            mismatches.append(f"{first} vs {second}: first differing turn {turn}")
    assert not mismatches, "\n".join(mismatches[:20]) + f"\n({len(mismatches)} in all)"


def test_known_length_strategies_defect_at_the_end() -> None:
    """Stein and Rapoport know the match length (a continuation probability hides it)."""
    known = play_strategies(
        strategies.get("first_by_stein_and_rapoport"), strategies.get("cooperator"), TURNS
    )
    hidden = play_strategies(
        strategies.get("first_by_stein_and_rapoport"),
        strategies.get("cooperator"),
        TURNS,
        known_length=False,
    )
    assert known.moves_of(0)[-3:] == [0, 1, 1]
    assert hidden.moves_of(0)[-3:] == [0, 0, 0]
