"""Exact moves of every deterministic strategy against fixed opponents, as the Axelrod
library's tests pin them: 20 rounds against Cooperator, Defector, Alternator and a fixed
sequence. The expected strings were produced once by the Axelrod library (4.14), an
independent implementation, with ``axelrod.Match((player, axelrod.Cycler(seq)),
turns=20)``; the match length is known, so Stein and Rapoport and Tideman and
Chieruzzi defect in the last two rounds."""

from __future__ import annotations

import pytest

from redqueen.agents import strategies
from redqueen.agents.strategies import opponent_moves

OPPONENTS = {
    "cooperator": "C" * 20,
    "defector": "D" * 20,
    "alternator": "CD" * 10,
    "sequence": "CCDCDDCCCDDDCDCCDDDC",
}

# name: (vs cooperator, vs defector, vs alternator, vs sequence)
EXPECTED: dict[str, tuple[str, str, str, str]] = {
    "adaptive": (
        "CCCCCCDDDDDDDDDDDDDD",
        "CCCCCCDDDDDDDDDDDDDD",
        "CCCCCCDDDDDDDDDDDDDD",
        "CCCCCCDDDDDDDDDDDDDD",
    ),
    "alternator": (
        "CDCDCDCDCDCDCDCDCDCD",
        "CDCDCDCDCDCDCDCDCDCD",
        "CDCDCDCDCDCDCDCDCDCD",
        "CDCDCDCDCDCDCDCDCDCD",
    ),
    "appeaser": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDCDCDCDCDCDCDCDCDCD",
        "CCDDCCDDCCDDCCDDCCDD",
        "CCCDDCDDDDCDCCDDDCDC",
    ),
    "cooperator": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCCCCCCCCCCCCCCC",
    ),
    "cycler": (
        "CCDCCDCCDCCDCCDCCDCC",
        "CCDCCDCCDCCDCCDCCDCC",
        "CCDCCDCCDCCDCCDCCDCC",
        "CCDCCDCCDCCDCCDCCDCC",
    ),
    "cycler_cccd": (
        "CCCDCCCDCCCDCCCDCCCD",
        "CCCDCCCDCCCDCCCDCCCD",
        "CCCDCCCDCCCDCCCDCCCD",
        "CCCDCCCDCCCDCCCDCCCD",
    ),
    "cycler_ccd": (
        "CCDCCDCCDCCDCCDCCDCC",
        "CCDCCDCCDCCDCCDCCDCC",
        "CCDCCDCCDCCDCCDCCDCC",
        "CCDCCDCCDCCDCCDCCDCC",
    ),
    "cycler_dc": (
        "DCDCDCDCDCDCDCDCDCDC",
        "DCDCDCDCDCDCDCDCDCDC",
        "DCDCDCDCDCDCDCDCDCDC",
        "DCDCDCDCDCDCDCDCDCDC",
    ),
    "defector": (
        "DDDDDDDDDDDDDDDDDDDD",
        "DDDDDDDDDDDDDDDDDDDD",
        "DDDDDDDDDDDDDDDDDDDD",
        "DDDDDDDDDDDDDDDDDDDD",
    ),
    "forgetful_grudger": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCDDDDDDDDDDCDDDDDD",
    ),
    "forgiver": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCDDDDDDDDDDDDDDDDD",
    ),
    "forgiving_tit_for_tat": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDCDCDCDCDCDCDCDCDC",
        "CCCDCDDCCCDDDCDCCDDD",
    ),
    "grudger": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCDDDDDDDDDDDDDDDDD",
    ),
    "handshake": (
        "CDDDDDDDDDDDDDDDDDDD",
        "CDDDDDDDDDDDDDDDDDDD",
        "CDCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
    ),
    "hard_majority": (
        "DCCCCCCCCCCCCCCCCCCC",
        "DDDDDDDDDDDDDDDDDDDD",
        "DCDCDCDCDCDCDCDCDCDC",
        "DCCCCCDCCCCCDCDCCCDD",
    ),
    "hard_prober": (
        "DDCCDDDDDDDDDDDDDDDD",
        "DDCCDDDDDDDDDDDDDDDD",
        "DDCCDCDCDCDCDCDCDCDC",
        "DDCCCDDCCCDDDCDCCDDD",
    ),
    "prober": (
        "DCCDDDDDDDDDDDDDDDDD",
        "DCCDDDDDDDDDDDDDDDDD",
        "DCCCDCDCDCDCDCDCDCDC",
        "DCCDCDDCCCDDDCDCCDDD",
    ),
    "prober_2": (
        "DCCCCCCCCCCCCCCCCCCC",
        "DCCDDDDDDDDDDDDDDDDD",
        "DCCCCCCCCCCCCCCCCCCC",
        "DCCDCDDCCCDDDCDCCDDD",
    ),
    "prober_3": (
        "DCDDDDDDDDDDDDDDDDDD",
        "DCDDDDDDDDDDDDDDDDDD",
        "DCDCDCDCDCDCDCDCDCDC",
        "DCDDDDDDDDDDDDDDDDDD",
    ),
    "soft_grudger": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDCCDDDDCCDDDDCCD",
        "CCDDDDCCDDDDCCDDDDCC",
        "CCCDDDDCCCDDDDCCCDDD",
    ),
    "soft_majority": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCCCCCCCCCCCCCCD",
    ),
    "adaptive_tit_for_tat": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDCDCDCDCDCDCDCDCDC",
        "CCCDCDDCCCDDDCDCCDDD",
    ),
    "anti_tit_for_tat": (
        "CDDDDDDDDDDDDDDDDDDD",
        "CCCCCCCCCCCCCCCCCCCC",
        "CDCDCDCDCDCDCDCDCDCD",
        "CDDCDCCDDDCCCDCDDCCC",
    ),
    "bully": (
        "DDDDDDDDDDDDDDDDDDDD",
        "DCCCCCCCCCCCCCCCCCCC",
        "DDCDCDCDCDCDCDCDCDCD",
        "DDDCDCCDDDCCCDCDDCCC",
    ),
    "contrite_tit_for_tat": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDCDCDCDCDCDCDCDCDC",
        "CCCDCDDCCCDDDCDCCDDD",
    ),
    "gradual": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDCCDDDDCCDDDDDDDDDD",
        "CCDCCCDDDCCCDDDDDDCC",
        "CCCDCCDDDCCDDDDDCCDD",
    ),
    "hard_tit_for_tat": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCDDDDDDCDDDDDDDDDD",
    ),
    "hard_tit_for_two_tats": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCDDCCCDDDCCCCDD",
    ),
    "omega_tft": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDCDCCCDDDDDDDDDDDD",
        "CCCDCDCCCCDDDCDDDDDD",
    ),
    "original_gradual": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDCCDDCCDDDCCDDDDCCD",
        "CCDCCCDDCCDDDCCCDDDD",
        "CCCDCCDDCCDDDCCCCDDD",
    ),
    "spiteful_tit_for_tat": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDCDCDCDCDCDCDCDCDC",
        "CCCDCDDDDDDDDDDDDDDD",
    ),
    "suspicious_tit_for_tat": (
        "DCCCCCCCCCCCCCCCCCCC",
        "DDDDDDDDDDDDDDDDDDDD",
        "DCDCDCDCDCDCDCDCDCDC",
        "DCCDCDDCCCDDDCDCCDDD",
    ),
    "tester": (
        "DCCDCDCDCDCDCDCDCDCD",
        "DCDDDDDDDDDDDDDDDDDD",
        "DCCCDCDCDCDCDCDCDCDC",
        "DCCCCDDCCCDDDCDCCDDD",
    ),
    "tit_for_tat": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDCDCDCDCDCDCDCDCDC",
        "CCCDCDDCCCDDDCDCCDDD",
    ),
    "tit_for_two_tats": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCDCCCCDDCCCCCDD",
    ),
    "two_tits_for_tat": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCDDDDDCCDDDDDDCDDD",
    ),
    "win_shift_lose_stay": (
        "DCDCDCDCDCDCDCDCDCDC",
        "DDDDDDDDDDDDDDDDDDDD",
        "DCCDDCCDDCCDDCCDDCCD",
        "DCDDCCCDCDDDDCCDCCCC",
    ),
    "win_stay_lose_shift": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDCDCDCDCDCDCDCDCDCD",
        "CCDDCCDDCCDDCCDDCCDD",
        "CCCDDCDDDDCDCCDDDCDC",
    ),
    "first_by_davis": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCCCCCDDDDDDDDDD",
        "CCCCCCCCCCDDDDDDDDDD",
        "CCCCCCCCCCDDDDDDDDDD",
    ),
    "first_by_downing": (
        "DDCDDDDDDDDDDDDDDDDD",
        "DDDDDDDDDDDDDDDDDDDD",
        "DDCDDDDDDDDDDDDDDDDD",
        "DDCDCDCDDDDDDDDDDDDD",
    ),
    "first_by_nydegger": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDCCCCCCCCCCCCCCCCC",
        "CCDCDCDCDCDCDCDCDCDC",
        "CCCCCCCCCCCCCCCCCCCC",
    ),
    "first_by_shubik": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDCDDCDDDCDDDDCDDDDD",
        "CCDCDDCCDDDCDDDDCCDD",
        "CCCDCDDCCCDDDCDDDDCD",
    ),
    "first_by_stein_and_rapoport": (
        "CCCCCCCCCCCCCCCCCCDD",
        "CCCCDDDDDDDDDDDDDDDD",
        "CCCCDCDCDCDCDCDDDDDD",
        "CCCCCDDCCCDDDCDDDDDD",
    ),
    "first_by_tideman_and_chieruzzi": (
        "CCCCCCCCCCCCCCCCCCDD",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDCDDDDDCDDDDDDDDDD",
        "CCCDCDDCCCDDDCDDDDDD",
    ),
    "evolved_fsm_4": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDCCDCCDCCDCCDCCDCCD",
        "CCDDCDDDDDDDDDDDDDDD",
        "CCCDDCCCCCDCCCDDDCCD",
    ),
    "fortress3": (
        "DDDDDDDDDDDDDDDDDDDD",
        "DDCDDCDDCDDCDDCDDCDD",
        "DDDDDDDDDDDDDDDDDDDD",
        "DDDDDDCCCCDDCCDDDDCD",
    ),
    "fortress4": (
        "DDDDDDDDDDDDDDDDDDDD",
        "DDDCDDDCDDDCDDDCDDDC",
        "DDDDDDDDDDDDDDDDDDDD",
        "DDDDDDDDDDDDCCDDDDDC",
    ),
    "predator": (
        "CDDDDDDDDDDDDDDDDDDD",
        "CDDCDDDDDDDDDDDDDDDD",
        "CDDDDDDDDDDDDDDDDDDD",
        "CDDDDDCCCCDCDCDDDDDD",
    ),
    "pun1": (
        "DCCCCCCCCCCCCCCCCCCC",
        "DCDCDCDCDCDCDCDCDCDC",
        "DCDCDCDCDCDCDCDCDCDC",
        "DCCCCCDCCCDCDCDCCCDC",
    ),
    "raider": (
        "DDDDDDDDDDDDDDDDDDDD",
        "DDCCDDDDDDDDDDDDDDDD",
        "DDCDDDDDDDDDDDDDDDDD",
        "DDDDDDCDDDDCCCDCCDDD",
    ),
    "ripoff": (
        "DCDCDCDCDCDCDCDCDCDC",
        "DCDDDDDDDDDDDDDDDDDD",
        "DCCCDCDCDCDCDCDCDCDC",
        "DCDCCDDCCCDDDCDCCDDD",
    ),
    "solution_b1": (
        "DDCCCCCCCCCCCCCCCCCC",
        "DDDDDDDDDDDDDDDDDDDD",
        "DDCCCCCCCCCCCCCCCCCC",
        "DDCCCCCCCCCCCCCCCCCC",
    ),
    "solution_b5": (
        "DCCCCCCCCCCCCCCCCCCC",
        "DDDDDDDDDDDDDDDDDDDD",
        "DCDCDDDCDCDCDDDCDCDC",
        "DCCDCDDCCCDDDDDCCDDD",
    ),
    "tf1": (
        "CCDCDDCCDCDDCCDCDDCC",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCDDDDDDDCDDDDDCDDDD",
        "CCDCCDDCCDCDDCCDDCDD",
    ),
    "tf2": (
        "CDCDCCDCDCCDCDCCDCDC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CDDCDDDDDDDDDDDDDDDD",
        "CDCDDDDDDCDDDCDDCDDD",
    ),
    "tf3": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCDDDDDDDDDDDDDDDDD",
        "CCCCDDCCCCCDDDDDDDDD",
    ),
    "thumper": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CDDDDDDDDDDDDDDDDDDD",
        "CCDDDDDDDDDDDDDDDDDD",
        "CCCDDDDCCCDDDDDDCDDD",
    ),
    "usually_cooperates": (
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCCCCCCCCCCCCCCCCCC",
        "CCCDCDCDCDCDCDCDCDCD",
        "CCCCDCCCCCCCCDCDCCCC",
    ),
    "usually_defects": (
        "DDDDDDDDDDDDDDDDDDDD",
        "DDDDDDDDDDDDDDDDDDDD",
        "DDCDCDCDCDCDCDCDCDCD",
        "DDDDDCDDDDCDDDCDDDDD",
    ),
}


def _moves(name: str, sequence: str) -> str:
    theirs = [0 if ch == "C" else 1 for ch in sequence]
    return "".join("CD"[m] for m in opponent_moves(strategies.get(name), theirs))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_moves_against_fixed_opponents(name: str) -> None:
    got = tuple(_moves(name, seq) for seq in OPPONENTS.values())
    assert got == EXPECTED[name]


def test_every_deterministic_strategy_is_pinned() -> None:
    deterministic = {n for n, c in strategies.classes().items() if not c.classifier["stochastic"]}
    generic = {"memory_one"}  # deterministic or not depending on its four-vector
    assert deterministic - generic <= set(EXPECTED)
