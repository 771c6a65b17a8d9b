"""Strategies given as finite-state automata by table.

An automaton reads the other player's last move and, from its current state, moves to
a new state and plays the move attached to the transition (a Mealy machine; Miller 1996,
"The coevolution of automata in the repeated prisoner's dilemma", JEBO 29). Ashlock and
colleagues evolved many such players and named the notable ones: Fortress3 and
Fortress4, Predator, Raider, Ripoff, SolutionB1/B5, Thumper, Pun1, UsuallyCooperates and
UsuallyDefects (Ashlock & Kim 2008, "Fingerprinting: visualization and automatic
analysis of prisoner's dilemma strategies", IEEE TEC 12(5); Ashlock, Kim & Ashlock 2014),
and TF1-TF3 and the evolved FSM 4 come from the Axelrod library's training (Harper et al.
2017, "Reinforcement learning produces dominant strategies for the iterated prisoner's
dilemma", PLoS ONE 12(12)). The tables are those of the Axelrod library's
``finite_state_machines`` module: rows ``(state, their last move, next state, move)``.

The class reads its table directly; :meth:`FiniteStateStrategy.machine` converts the
same table into a Moore :class:`~redqueen.agents.strategies.machine.Machine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from redqueen.agents.strategies.base import C, D, Strategy, classify
from redqueen.agents.strategies.machine import Machine

Row = tuple[int, int, int, int]


class FiniteStateStrategy(Strategy):
    """A Mealy automaton by table: the first move is ``initial_action``; afterwards,
    from ``state`` and the other's last move, the row gives the next state and the
    move."""

    transitions: ClassVar[tuple[Row, ...]] = ()
    initial_state: ClassVar[int] = 1
    initial_action: ClassVar[int] = C

    def __init__(self) -> None:
        super().__init__()
        self._table = {(s, o): (n, m) for s, o, n, m in self.transitions}
        self._state = self.initial_state

    def move(self, my_history: Sequence[int], their_history: Sequence[int], rng: Any) -> int:
        if not my_history:
            return self.initial_action
        self._state, action = self._table[(self._state, their_history[-1])]
        return action

    def machine(self) -> Machine:
        return Machine.from_mealy(self.transitions, self.initial_state, self.initial_action)


def _fsm_classifier() -> dict[str, Any]:
    return classify(float("inf"))


class Fortress3(FiniteStateStrategy):
    """Fortress3 (Ashlock & Kim 2008): defects until the other answers D, D, then
    cooperates while the other does."""

    strategy_name = "fortress3"
    title = "Fortress3"
    axelrod = "Fortress3"
    classifier = _fsm_classifier()
    transitions = (
        (1, C, 1, D),
        (1, D, 2, D),
        (2, C, 1, D),
        (2, D, 3, C),
        (3, C, 3, C),
        (3, D, 1, D),
    )
    initial_state, initial_action = 1, D


class Fortress4(FiniteStateStrategy):
    """Fortress4 (Ashlock & Kim 2008): the password is D, D, D."""

    strategy_name = "fortress4"
    title = "Fortress4"
    axelrod = "Fortress4"
    classifier = _fsm_classifier()
    transitions = (
        (1, C, 1, D),
        (1, D, 2, D),
        (2, C, 1, D),
        (2, D, 3, D),
        (3, C, 1, D),
        (3, D, 4, C),
        (4, C, 4, C),
        (4, D, 1, D),
    )
    initial_state, initial_action = 1, D


class Predator(FiniteStateStrategy):
    """Predator, a nine-state exploiter (Ashlock 2006, "Training function stacks to play
    the iterated prisoner's dilemma")."""

    strategy_name = "predator"
    title = "Predator"
    axelrod = "Predator"
    classifier = _fsm_classifier()
    transitions = (
        (0, C, 0, D),
        (0, D, 1, D),
        (1, C, 2, D),
        (1, D, 3, D),
        (2, C, 4, C),
        (2, D, 3, D),
        (3, C, 5, D),
        (3, D, 4, C),
        (4, C, 2, C),
        (4, D, 6, D),
        (5, C, 7, D),
        (5, D, 3, D),
        (6, C, 7, C),
        (6, D, 7, D),
        (7, C, 8, D),
        (7, D, 7, D),
        (8, C, 8, D),
        (8, D, 6, D),
    )
    initial_state, initial_action = 0, C


class Pun1(FiniteStateStrategy):
    """Pun1 (Ashlock & Kim 2008): defects first, then alternates C with a Tit For Tat
    answer."""

    strategy_name = "pun1"
    title = "Pun1"
    axelrod = "Pun1"
    classifier = _fsm_classifier()
    transitions = ((1, C, 2, C), (1, D, 2, C), (2, C, 1, C), (2, D, 1, D))
    initial_state, initial_action = 1, D


class Raider(FiniteStateStrategy):
    """Raider (Ashlock, Kim & Ashlock 2014, "Fingerprint analysis of the noisy prisoner's
    dilemma using a finite-state representation")."""

    strategy_name = "raider"
    title = "Raider"
    axelrod = "Raider"
    classifier = _fsm_classifier()
    transitions = (
        (0, C, 2, D),
        (0, D, 2, D),
        (1, C, 1, C),
        (1, D, 1, D),
        (2, C, 0, D),
        (2, D, 3, C),
        (3, C, 0, D),
        (3, D, 1, C),
    )
    initial_state, initial_action = 0, D


class Ripoff(FiniteStateStrategy):
    """Ripoff (Ashlock & Kim 2008): alternates D and C against a cooperator, and becomes
    Tit For Tat once the other defects."""

    strategy_name = "ripoff"
    title = "Ripoff"
    axelrod = "Ripoff"
    classifier = _fsm_classifier()
    transitions = (
        (1, C, 2, C),
        (1, D, 3, C),
        (2, C, 1, D),
        (2, D, 3, C),
        (3, C, 3, C),
        (3, D, 3, D),
    )
    initial_state, initial_action = 1, D


class SolutionB1(FiniteStateStrategy):
    """SolutionB1 (Ashlock, Brown, Corns & Ashlock 2015, "Iterated prisoner's dilemma
    strategies with memory")."""

    strategy_name = "solution_b1"
    title = "SolutionB1"
    axelrod = "SolutionB1"
    classifier = _fsm_classifier()
    transitions = (
        (1, C, 2, D),
        (1, D, 1, D),
        (2, C, 2, C),
        (2, D, 3, C),
        (3, C, 3, C),
        (3, D, 3, C),
    )
    initial_state, initial_action = 1, D


class SolutionB5(FiniteStateStrategy):
    """SolutionB5 (Ashlock, Brown, Corns & Ashlock 2015)."""

    strategy_name = "solution_b5"
    title = "SolutionB5"
    axelrod = "SolutionB5"
    classifier = _fsm_classifier()
    transitions = (
        (1, C, 2, C),
        (1, D, 6, D),
        (2, C, 2, C),
        (2, D, 3, D),
        (3, C, 6, C),
        (3, D, 1, D),
        (4, C, 3, C),
        (4, D, 6, D),
        (5, C, 5, D),
        (5, D, 4, D),
        (6, C, 3, C),
        (6, D, 5, D),
    )
    initial_state, initial_action = 1, D


class Thumper(FiniteStateStrategy):
    """Thumper (Ashlock & Kim 2008)."""

    strategy_name = "thumper"
    title = "Thumper"
    axelrod = "Thumper"
    classifier = _fsm_classifier()
    transitions = ((1, C, 1, C), (1, D, 2, D), (2, C, 1, D), (2, D, 1, D))
    initial_state, initial_action = 1, C


class UsuallyCooperates(FiniteStateStrategy):
    """UsuallyCooperates (Ashlock & Kim 2008): cooperates except after C following D."""

    strategy_name = "usually_cooperates"
    title = "UsuallyCooperates"
    axelrod = "UsuallyCooperates"
    classifier = _fsm_classifier()
    transitions = ((1, C, 1, C), (1, D, 2, C), (2, C, 1, D), (2, D, 1, C))
    initial_state, initial_action = 1, C


class UsuallyDefects(FiniteStateStrategy):
    """UsuallyDefects (Ashlock & Kim 2008): defects except after D following C."""

    strategy_name = "usually_defects"
    title = "UsuallyDefects"
    axelrod = "UsuallyDefects"
    classifier = _fsm_classifier()
    transitions = ((1, C, 2, D), (1, D, 1, D), (2, C, 1, D), (2, D, 1, C))
    initial_state, initial_action = 1, D


class TF1(FiniteStateStrategy):
    """TF1, a 16-state automaton trained against the Axelrod library's strategies
    (Harper et al. 2017)."""

    strategy_name = "tf1"
    title = "TF1"
    axelrod = "TF1"
    classifier = _fsm_classifier()
    transitions = (
        (0, C, 7, C),
        (0, D, 1, C),
        (1, C, 11, D),
        (1, D, 11, D),
        (2, C, 8, D),
        (2, D, 8, C),
        (3, C, 3, C),
        (3, D, 12, D),
        (4, C, 6, C),
        (4, D, 3, C),
        (5, C, 11, C),
        (5, D, 8, D),
        (6, C, 13, D),
        (6, D, 14, C),
        (7, C, 4, D),
        (7, D, 2, D),
        (8, C, 14, D),
        (8, D, 8, D),
        (9, C, 0, C),
        (9, D, 10, D),
        (10, C, 8, C),
        (10, D, 15, C),
        (11, C, 6, D),
        (11, D, 5, D),
        (12, C, 6, D),
        (12, D, 9, D),
        (13, C, 9, D),
        (13, D, 8, D),
        (14, C, 8, D),
        (14, D, 13, D),
        (15, C, 4, C),
        (15, D, 5, C),
    )
    initial_state, initial_action = 0, C


class TF2(FiniteStateStrategy):
    """TF2, a 16-state automaton trained against the Axelrod library's strategies
    (Harper et al. 2017)."""

    strategy_name = "tf2"
    title = "TF2"
    axelrod = "TF2"
    classifier = _fsm_classifier()
    transitions = (
        (0, C, 13, D),
        (0, D, 12, D),
        (1, C, 3, D),
        (1, D, 4, D),
        (2, C, 14, D),
        (2, D, 9, D),
        (3, C, 0, C),
        (3, D, 1, D),
        (4, C, 1, D),
        (4, D, 2, D),
        (7, C, 12, D),
        (7, D, 2, D),
        (8, C, 7, D),
        (8, D, 9, D),
        (9, C, 8, D),
        (9, D, 0, D),
        (10, C, 2, C),
        (10, D, 15, C),
        (11, C, 7, D),
        (11, D, 13, D),
        (12, C, 3, C),
        (12, D, 8, D),
        (13, C, 7, C),
        (13, D, 10, D),
        (14, C, 10, D),
        (14, D, 7, D),
        (15, C, 15, C),
        (15, D, 11, D),
    )
    initial_state, initial_action = 0, C


class TF3(FiniteStateStrategy):
    """TF3, an 8-state automaton trained against the Axelrod library's strategies
    (Harper et al. 2017)."""

    strategy_name = "tf3"
    title = "TF3"
    axelrod = "TF3"
    classifier = _fsm_classifier()
    transitions = (
        (0, C, 0, C),
        (0, D, 3, C),
        (1, C, 5, D),
        (1, D, 0, C),
        (2, C, 3, C),
        (2, D, 2, D),
        (3, C, 4, D),
        (3, D, 6, D),
        (4, C, 3, C),
        (4, D, 1, D),
        (5, C, 6, C),
        (5, D, 3, D),
        (6, C, 6, D),
        (6, D, 6, D),
        (7, C, 7, D),
        (7, D, 5, C),
    )
    initial_state, initial_action = 0, C


class EvolvedFSM4(FiniteStateStrategy):
    """Evolved FSM 4, a four-state automaton trained against the Axelrod library's
    strategies (Harper et al. 2017)."""

    strategy_name = "evolved_fsm_4"
    title = "Evolved FSM 4"
    axelrod = "EvolvedFSM4"
    classifier = _fsm_classifier()
    transitions = (
        (0, C, 0, C),
        (0, D, 2, D),
        (1, C, 3, D),
        (1, D, 0, C),
        (2, C, 2, D),
        (2, D, 1, C),
        (3, C, 3, D),
        (3, D, 1, D),
    )
    initial_state, initial_action = 0, C
