"""The donor game: hand-computed resources, punishment accounting, meet-once pairing,
traces, text views and parameter errors."""

from __future__ import annotations

from typing import Any

import pytest

import redqueen
from redqueen.errors import IllegalActionError, InvalidParameterError
from redqueen.games import TERMINAL, check_game
from redqueen.games.donor import Act, DonorGame, DonorView, shift_order


def make_donor(**params: Any) -> DonorGame:
    game = redqueen.make("donor_game", **params)
    assert isinstance(game, DonorGame)
    return game


def test_paper_defaults() -> None:
    game = make_donor()
    assert game.num_players == 12
    assert game.endowment == 10.0 and game.multiplier == 2.0 and game.trace_depth == 3
    assert game.spec.max_game_length == 12 * 11
    assert game.fractions[3] == pytest.approx(0.3)


def test_hand_computed_resources() -> None:
    game = make_donor(num_agents=3, rounds=2)
    state = game.new_initial_state()
    # N=3: round 1 is the shift by 1 (0->1, 1->2, 2->0), round 2 the shift by 2
    assert game.recipient_of == ((1, 2, 0), (2, 0, 1))
    state.apply_action(state.parse_action("give 50%"))  # 0 gives 5 to 1
    assert state.returns() == [5.0, 20.0, 10.0]
    state.apply_action(10)  # 1 gives all 20 to 2
    assert state.returns() == [5.0, 0.0, 50.0]
    state.apply_action(1)  # 2 gives 10% (5) to 0
    assert state.returns() == [15.0, 0.0, 45.0]
    state.apply_action(0)  # 0 gives nothing to 2
    state.apply_action(5)  # 1 gives 50% of 0 to 0
    state.apply_action(2)  # 2 gives 20% (9) to 1
    assert state.returns() == pytest.approx([15.0, 18.0, 36.0])
    assert state.current_player() == TERMINAL and state.is_terminal()
    assert [a.amount for a in state.acts()] == pytest.approx([5, 20, 5, 0, 0, 9])


def test_punishment_accounting_and_floor() -> None:
    game = make_donor(num_agents=3, rounds=1, punishment=2.0, donation_levels=5)
    assert game.num_distinct_actions == 5 + 4
    state = game.new_initial_state()
    assert state.action_text(game.punish_action(0.25)) == "punish 25% (spend 2.5, remove 5)"
    state.apply_action(game.punish_action(0.25))  # 0 spends 2.5, 1 loses 5
    assert state.returns() == [7.5, 5.0, 10.0]
    act = state.acts()[0]
    assert act == Act(0, 0, 1, True, 0.25, 2.5, 5.0)
    state.apply_action(game.punish_action(1.0))  # 1 spends 5 to remove 10 from 2
    assert state.returns() == [7.5, 0.0, 0.0]
    state.apply_action(game.punish_action(1.0))  # 2 has nothing: spends 0, removes 0
    assert state.returns() == [7.5, 0.0, 0.0]
    # removal is capped at what the recipient has
    game = make_donor(num_agents=2, rounds=1, punishment=3.0, donation_levels=2)
    state = game.new_initial_state()
    state.apply_action(game.give_action(1.0))  # 0 gives 10 -> 1 has 30
    state.apply_action(game.punish_action(1.0))  # 1 spends 30, 0 (has 0) loses 0
    assert state.returns() == [0.0, 0.0]
    assert state.acts()[-1].effect == 0.0


def test_no_punish_moves_without_punishment() -> None:
    game = make_donor(num_agents=2, rounds=1, donation_levels=3)
    state = game.new_initial_state()
    assert state.legal_actions() == [0, 1, 2]
    with pytest.raises(IllegalActionError, match="give 50%"):
        state.apply_action(3)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6, 7, 8, 12])
@pytest.mark.parametrize("seed", [None, 5])
def test_meet_once_pairing(n: int, seed: int | None) -> None:
    game = make_donor(num_agents=n, rounds=2 * n, pairing_seed=seed)
    schedule = game.recipient_of
    for rnd in schedule:  # every agent gives once and receives once, never to itself
        assert sorted(rnd) == list(range(n))
        assert all(rnd[d] != d for d in range(n))
    ordered = [(d, r) for rnd in schedule[: n - 1] for d, r in enumerate(rnd)]
    assert len(set(ordered)) == n * (n - 1)  # every ordered pair exactly once
    half = (n - 1) // 2
    unordered = [frozenset((d, r)) for rnd in schedule[:half] for d, r in enumerate(rnd)]
    assert len(set(unordered)) == len(unordered)  # nobody meets twice in these rounds
    assert schedule[n - 1] == schedule[0]  # then the schedule repeats


def test_shift_order() -> None:
    assert shift_order(2) == [1]
    assert shift_order(5) == [1, 2, 4, 3]
    assert shift_order(6) == [1, 2, 3, 5, 4]


def test_trace_and_view() -> None:
    game = make_donor(num_agents=3, rounds=3, trace_depth=2)
    state = game.new_initial_state()
    for a in [10, 0, 5, 3, 2]:  # round 1: 0->1, 1->2, 2->0; round 2: 0->2, 1->0
        state.apply_action(a)
    # agent 2 gives to 1 next; agent 1's trace: its act in round 2 (to 0), then round 1 (to 2)
    view = state.information_state_key(2)
    assert isinstance(view, DonorView)
    assert view.recipient == 1 and view.round == 1 and view.donor == 2
    assert [e.act.recipient for e in view.trace] == [0, 2]
    latest, older = view.trace
    assert latest.act.fraction == pytest.approx(0.2)
    # before agent 1 gave to 0 (round 2), agent 0's last act was its round-2 gift to 2
    assert latest.partner_before == state.acts()[3]
    # before agent 1 gave to 2 (round 1), agent 2 had not given yet
    assert older.partner_before is None
    waiting = state.information_state_key(0)
    assert isinstance(waiting, DonorView) and waiting.recipient is None and waiting.trace == ()
    text = state.observation_text(2)
    assert "Your recipient is agent 1" in text
    assert "in round 2, agent 1 gave 20% of its resources" in text
    assert "Before that, in round 2, agent 0 gave 30%" in text
    assert "(Agent 2 had not been a donor before that.)" in text
    assert "Wait for your turn" in state.observation_text(1)
    assert state.parse_action("give 30%", 2) == 3
    assert state.parse_action("give 100%", 2) == 10
    assert state.parse_action("give 10%", 2) == 1


def test_trace_depth_zero_hides_history() -> None:
    game = make_donor(num_agents=2, rounds=2, trace_depth=0)
    state = game.new_initial_state()
    state.apply_action(3)
    view = state.information_state_key(1)
    assert isinstance(view, DonorView) and view.trace == ()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"endowment": -1.0}, r"endowment must be a finite number in \(0, inf\)"),
        ({"endowment": 0}, "endowment"),
        ({"multiplier": -0.5}, r"multiplier must be a finite number in \[0, inf\)"),
        ({"punishment": float("nan")}, "punishment"),
        ({"num_agents": 1}, r"num_agents must be an integer in \[2, 10000\]"),
        ({"rounds": 0}, "rounds"),
        ({"donation_levels": 1}, "donation_levels"),
        ({"trace_depth": -1}, "trace_depth"),
        ({"num_agents": True}, "num_agents"),
        ({"num_agents": 10_000, "rounds": 101}, r"at most 1,000,000; got 10000 \* 101"),
    ],
)
def test_bad_parameters(params: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        make_donor(**params)


def test_resources_are_conserved_up_to_multiplier() -> None:
    """Every gift adds (m - 1) x to the total; every punishment removes x + effect."""
    game = make_donor(num_agents=4, rounds=3, punishment=1.5, pairing_seed=3)
    state = game.new_initial_state()
    actions = [9, 14, 0, 5, 12, 10, 3, 7, 11, 1, 6, 13]
    for a in actions:
        before = sum(state.returns())
        state.apply_action(a)
        act = state.acts()[-1]
        change = -act.amount - act.effect if act.punish else act.effect - act.amount
        assert sum(state.returns()) == pytest.approx(before + change)
    assert state.is_terminal()


def test_rules_text_and_check_game() -> None:
    game = make_donor(num_agents=4, rounds=2, punishment=2.0, pairing_seed=1, donation_levels=3)
    rules = game.rules_text()
    assert "the recipient receives 2 times" in rules and "punish" in rules
    assert check_game(game, n_games=40).games_played == 40


def test_tensor_view_encodes_the_donor_view() -> None:
    game = redqueen.make("donor_game", num_agents=3, rounds=2, trace_depth=1)
    assert game.information_state_tensor_shape() == (3 * 3 + 5 + 12,)
    state = game.new_initial_state()
    state.apply_action(state.parse_action("give 50%"))  # agent 0 gives 5
    state.apply_action(state.parse_action("give 0%"))  # agent 1 gives nothing
    donor = state.current_player()
    view = state.view(donor)
    assert view.trace, "the recipient has acted: its act is in the trace"
    t = state.information_state_tensor(donor)
    assert t[donor] == 1.0 and t[3 + donor] == 1.0 and t[6 + view.recipient] == 1.0
    assert t[9:14].tolist() == pytest.approx(
        [2 / 6, 0.0, view.resources / 10, view.recipient_resources / 10, 1.0]
    )
    act = view.trace[0].act
    assert t[14:20].tolist() == pytest.approx(
        [1.0, float(act.punish), act.fraction, act.amount / 10, act.effect / 10, 0.0]
    )
    assert (donor, view.recipient, act.donor, act.fraction) == (2, 0, 0, 0.5)
    bystander = next(p for p in range(3) if p != donor)
    assert state.information_state_tensor(bystander)[6:9].sum() == 0.0  # no recipient known
