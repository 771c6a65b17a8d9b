"""SPC's critic accuracies read exactly off a critic policy
(:func:`redqueen.measure.critic.policy_critic_accuracies`), by hand and against sampled
games with the random sneaky generator."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

import redqueen
from redqueen.games.core import State
from redqueen.games.roles.critic import CORRECT, NO_ERROR, CriticGame, decode_move
from redqueen.measure.critic import critic_metrics, policy_critic_accuracies
from redqueen.measure.induced import policy_measures
from redqueen.measure.statistics import wilson_interval


class Policy:
    """The critic's probabilities at a state, from ``rule(state) -> {verdict: p}``."""

    def __init__(self, rule: Callable[[State], dict[int, float]]) -> None:
        self.rule = rule

    def action_probabilities(self, state: State, player: int | None = None) -> dict[int, float]:
        assert player == 1 and state.current_player() == 1
        return self.rule(state)


def truth(state: State) -> dict[int, float]:
    """The exact critic: the right verdict with probability 1."""
    wrong = state.first_wrong_step()  # type: ignore[attr-defined]
    right = CORRECT if wrong is None else (wrong if state.game.locate else 1)  # type: ignore[attr-defined]
    return {a: float(a == right) for a in state.legal_actions()}


def says_correct(q: float) -> Callable[[State], dict[int, float]]:
    return lambda state: {CORRECT: q, **{a: 1 - q for a in state.legal_actions() if a != CORRECT}}


GAME = CriticGame(problems=3, terms=3, fractions=False)


def test_the_exact_critic_and_constant_critics_by_hand() -> None:
    assert policy_critic_accuracies(GAME, Policy(truth)) == {
        "correct_steps": 1.0, "erroneous_steps": 1.0, "mean": 1.0, "harmonic_mean": 1.0,
    }  # fmt: skip
    assert policy_critic_accuracies(GAME, Policy(says_correct(1.0))) == {
        "correct_steps": 1.0, "erroneous_steps": 0.0, "mean": 0.5, "harmonic_mean": 0.0,
    }  # fmt: skip
    mixed = policy_critic_accuracies(GAME, Policy(says_correct(0.3)))
    assert mixed["correct_steps"] == pytest.approx(0.3)
    assert mixed["erroneous_steps"] == pytest.approx(0.7)
    assert mixed["harmonic_mean"] == pytest.approx(2 * 0.3 * 0.7)


def test_problems_weigh_alike_whatever_their_number_of_moves() -> None:
    """Right on every step of problem 0, Correct on every step of the others: the
    accuracy on erroneous steps is 1/3 (one problem of three), not problem 0's share of
    the erroneous moves, which is what averaging over moves would give."""

    def rule(state: State) -> dict[int, float]:
        return truth(state) if state._problem == 0 else says_correct(1.0)(state)  # type: ignore[attr-defined]

    got = policy_critic_accuracies(GAME, Policy(rule))
    assert got["correct_steps"] == 1.0
    assert got["erroneous_steps"] == pytest.approx(1 / 3)
    counts = [len([a for a in GAME.moves(p) if decode_move(a)[1] != NO_ERROR]) for p in range(3)]
    assert counts[0] / sum(counts) != pytest.approx(1 / 3)  # the two weightings differ here


def test_locate_and_a_game_without_honest_steps() -> None:
    located = CriticGame(problems=2, terms=3, fractions=False, locate=True)
    assert policy_critic_accuracies(located, Policy(truth))["mean"] == 1.0
    dishonest = CriticGame(problems=2, terms=3, fractions=False, honest_moves=False)
    got = policy_critic_accuracies(dishonest, Policy(truth))
    assert math.isnan(got["correct_steps"]) and got["erroneous_steps"] == 1.0


def test_the_exact_accuracies_agree_with_sampled_games() -> None:
    """A critic that says Correct with probability 0.8 on problem 0 and 0.2 elsewhere,
    against the random sneaky generator's distribution (a problem, then a step as
    written or an erroneous move with probability 1/2 each, uniformly among them): 3,000
    sampled games put each exact accuracy inside its 99.9% Wilson interval."""

    def rule(state: State) -> dict[int, float]:
        return says_correct(0.8 if state._problem == 0 else 0.2)(state)  # type: ignore[attr-defined]

    policy = Policy(rule)
    exact = policy_critic_accuracies(GAME, policy)
    rng = np.random.default_rng(0)
    records = []
    for _ in range(3000):
        state = GAME.new_initial_state()
        outcomes = state.chance_outcomes()
        state.apply_action(outcomes[int(rng.integers(len(outcomes)))][0])
        legal = state.legal_actions()
        honest = [a for a in legal if decode_move(a)[1] == NO_ERROR]
        wrong = [a for a in legal if decode_move(a)[1] != NO_ERROR]
        pick = honest if rng.random() < 0.5 else wrong
        state.apply_action(pick[int(rng.integers(len(pick)))])
        probs = policy.action_probabilities(state, 1)
        verdicts = list(probs)
        state.apply_action(verdicts[rng.choice(len(verdicts), p=[probs[v] for v in verdicts])])
        records.append(state.record())  # type: ignore[attr-defined]
    sampled = critic_metrics(records)
    for name in ("correct_steps", "erroneous_steps"):
        rate = getattr(sampled, name)
        low, high = wilson_interval(rate["count"], rate["n"], z=3.29)  # 99.9%
        assert low <= exact[name] <= high, (name, exact[name], rate)


def test_policy_measures_name_the_critics_and_nothing_elsewhere() -> None:
    assert set(policy_measures(GAME, Policy(truth))) == {
        "critic/correct_steps", "critic/erroneous_steps", "critic/mean", "critic/harmonic_mean",
    }  # fmt: skip
    assert policy_measures(redqueen.make("kuhn_poker"), Policy(truth)) == {}
