"""Machines: every strategy that has one makes exactly the moves of its class, over
random opponents and with its own moves flipped by noise; the builders and their
errors."""

from __future__ import annotations

import numpy as np
import pytest

from redqueen.agents import strategies
from redqueen.agents.strategies import Machine, play_machines, play_strategies
from redqueen.agents.strategies.machine import choose
from redqueen.errors import InvalidParameterError

C, D = 0, 1

WITH_MACHINES = [n for n in strategies.names() if strategies.get(n).machine() is not None]


def test_many_strategies_have_machines() -> None:
    assert len(WITH_MACHINES) >= 45
    for name in ("tit_for_tat", "gtft", "zd_extort_2", "predator", "handshake", "grudger"):
        assert name in WITH_MACHINES
    for name in ("gradual", "first_by_davis", "bush_mosteller", "contrite_tit_for_tat"):
        assert strategies.get(name).machine() is None


@pytest.mark.parametrize("name", WITH_MACHINES)
def test_class_and_machine_make_identical_moves(name: str) -> None:
    strategy = strategies.get(name)
    machine = strategy.machine()
    assert machine is not None
    assert machine.deterministic == (not strategies.classifier(name)["stochastic"]) or name in (
        "memory_one",
        "random",
    )
    world = np.random.default_rng(123)
    for trial in range(6):
        player = strategy.fresh()
        rng_class = np.random.default_rng(trial)
        rng_machine = np.random.default_rng(trial)
        state = machine.initial_state
        mine: list[int] = []
        theirs: list[int] = []
        flip = 0.1 if trial % 2 else 0.0  # noise on its own executed move
        for turn in range(60):
            expected = player.decide(mine, theirs, rng_class)
            got = machine.action(state, rng_machine)
            assert got == expected, (name, trial, turn)
            executed = 1 - got if world.random() < flip else got
            other = int(world.integers(0, 2))
            state = machine.step(state, executed, other)
            mine.append(executed)
            theirs.append(other)


def test_machines_play_each_other_as_the_classes_do() -> None:
    for first, second in [("tit_for_tat", "predator"), ("fortress4", "grudger")]:
        a, b = strategies.get(first), strategies.get(second)
        ma, mb = a.machine(), b.machine()
        assert ma is not None and mb is not None
        record = play_strategies(a, b, 50)
        assert play_machines(ma, mb, 50) == (record.moves_of(0), record.moves_of(1))


def test_tit_for_tat_by_window_and_by_four_vector() -> None:
    by_window = strategies.get("tit_for_tat").machine()
    by_vector = Machine.memory_one((1, 0, 1, 0))
    assert by_window is not None
    theirs = np.random.default_rng(5).integers(0, 2, size=40).tolist()
    assert by_window.play(theirs) == by_vector.play(theirs) == [C, *theirs[:-1]]


def test_from_mealy_keeps_only_reachable_states() -> None:
    # Tit For Tat as a Mealy automaton with an unreachable state 9.
    rows = [(1, C, 1, C), (1, D, 1, D), (9, C, 9, D), (9, D, 9, D)]
    machine = Machine.from_mealy(rows, 1, C)
    assert machine.n_states == 2
    assert machine.play([C, D, D, C]) == [C, C, D, D]
    with pytest.raises(InvalidParameterError, match="no transition"):
        Machine.from_mealy([(1, C, 2, C), (1, D, 1, D)], 1, C)


def test_machine_validation() -> None:
    nxt = np.zeros((2, 2, 2), dtype=np.int64)
    with pytest.raises(InvalidParameterError, match="initial_state"):
        Machine(2, 2, np.array([1.0, 0.0]), nxt)
    with pytest.raises(InvalidParameterError, match="coop_prob must have shape"):
        Machine(2, 0, np.array([1.0]), nxt)
    with pytest.raises(InvalidParameterError, match=r"in \[0, 1\]"):
        Machine(2, 0, np.array([1.5, 0.0]), nxt)
    with pytest.raises(InvalidParameterError, match="next_state entries"):
        Machine(2, 0, np.array([1.0, 0.0]), nxt + 2)
    machine = Machine.constant(0.25)
    assert not machine.deterministic
    assert machine.coop_prob.flags.writeable is False


def test_choose_draws_only_when_needed() -> None:
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    assert choose(1.0, rng) == C and choose(0.0, rng) == D
    assert rng.bit_generator.state == state
    with pytest.raises(InvalidParameterError, match="needs a numpy Generator"):
        choose(0.5, None)
