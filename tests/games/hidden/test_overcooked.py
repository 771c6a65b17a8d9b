"""Overcooked 0.0.1 (ProAgent's rules): step order, collisions, cooking, the five layouts,
the checker, PettingZoo, the greedy pair's returns and the ProAgent verifier's messages.

Exact values are worked out by hand from 0.0.1's ``overcooked_mdp.py`` (the copy in
PKU-Alignment/ProAgent ``lib/overcooked_ai``)."""

from __future__ import annotations

import asyncio
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.agents.core import Observation
from redqueen.agents.hidden.overcooked import (
    GreedyAgent,
    ProAgentLLM,
    RandomAgent,
    StayAgent,
    check_skill,
    parse_skill,
    proagent_scene,
    skill_done,
)
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.games import check_game
from redqueen.games.hidden.overcooked import (
    DISH,
    DOWN,
    INTERACT,
    LEFT,
    NOTHING,
    ONION,
    RIGHT,
    SOUP,
    STAY,
    UP,
    OvercookedGame,
    OvercookedState,
    Pot,
    layout_named,
)
from redqueen.play.match import play_match


def cramped(**params: Any) -> OvercookedState:
    game = redqueen.make("overcooked", layout="cramped_room", **params)
    assert isinstance(game, OvercookedGame)
    return game.new_initial_state()


def play(state: OvercookedState, *joint: tuple[int, int]) -> None:
    for a in joint:
        state.apply_joint_action(list(a))


# ---- layouts -----------------------------------------------------------------------------

LAYOUT_FACTS = {
    # name: (width, height, pots, onion dispensers, dish dispensers, serving, starts, floor)
    "cramped_room": (5, 4, [(2, 0)], [(0, 1), (4, 1)], [(1, 3)], [(3, 3)], ((1, 2), (3, 1)), 6),
    "asymmetric_advantages": (
        9,
        5,
        [(4, 2), (4, 3)],
        [(0, 1), (5, 1)],
        [(3, 4), (5, 4)],
        [(3, 1), (8, 1)],
        ((6, 2), (1, 3)),
        14,
    ),
    "coordination_ring": (
        5,
        5,
        [(3, 0), (4, 1)],
        [(0, 3), (1, 4)],
        [(0, 2)],
        [(2, 4)],
        ((2, 1), (1, 2)),
        8,
    ),
    "forced_coordination": (
        5,
        5,
        [(3, 0), (4, 1)],
        [(0, 1), (0, 2)],
        [(0, 3)],
        [(3, 4)],
        ((3, 1), (1, 2)),
        6,
    ),
    "counter_circuit": (
        8,
        5,
        [(3, 0), (4, 0)],
        [(3, 4), (4, 4)],
        [(0, 2)],
        [(7, 2)],
        ((3, 3), (3, 1)),
        14,
    ),
}


@pytest.mark.parametrize("name", sorted(LAYOUT_FACTS))
def test_each_layout_parses(name: str) -> None:
    width, height, pots, onions, dishes, serving, starts, floor = LAYOUT_FACTS[name]
    g = layout_named(name)
    assert (g.width, g.height) == (width, height)
    assert list(g.pots) == pots
    assert list(g.onion_dispensers) == onions
    assert list(g.dish_dispensers) == dishes
    assert list(g.serving) == serving
    assert g.starts == starts
    assert len(g.floor) == floor
    state = redqueen.make("overcooked", layout=name).new_initial_state()
    assert state.information_state_tensor(0).shape == (width, height, 20)


def test_bad_parameters_name_what_is_allowed() -> None:
    with pytest.raises(UnknownNameError, match="allowed: asymmetric_advantages, coordination_"):
        redqueen.make("overcooked", layout="simple")
    with pytest.raises(InvalidParameterError, match="horizon"):
        redqueen.make("overcooked", horizon=0)


# ---- rules -------------------------------------------------------------------------------


def test_interact_then_move_then_cooking() -> None:
    # Interacts act on the cell faced before this step's moves, and the pot ticks after
    # both (see test_cooking_...: the third onion's step already cooks one tick).
    s = cramped()
    play(s, (LEFT, STAY))
    assert s.view().positions[0] == (1, 2) and s.view().orientations[0] == LEFT
    # Player 1 at (3, 1) turns right to face the onion dispenser at (4, 1).
    play(s, (STAY, RIGHT))
    assert s.view().positions[1] == (3, 1)
    play(s, (STAY, INTERACT))  # takes an onion
    assert s.view().held == (NOTHING, ONION)
    play(s, (STAY, DOWN))  # to (3, 2), facing down
    play(s, (STAY, LEFT))  # to (2, 2), facing left
    play(s, (STAY, UP))  # to (2, 1), facing up: the pot at (2, 0)
    assert s.view().positions[1] == (2, 1) and s.view().orientations[1] == UP
    # INTERACT then the pot is in front: the onion goes in and the player stays.
    play(s, (STAY, INTERACT))
    assert s.view().held[1] == NOTHING and s.view().pots == (((2, 0), Pot(1, 0)),)
    # Player 0 faces the counter; it holds nothing and the counter is empty: no effect.
    play(s, (INTERACT, STAY))
    assert s.view().held == (NOTHING, NOTHING) and s.view().counters == ()


def test_player_zero_interacts_first() -> None:
    # coordination_ring: the counter (2, 2) is in front of both starts once they turn.
    s = redqueen.make("overcooked", layout="coordination_ring").new_initial_state()
    assert s.view().positions == ((2, 1), (1, 2))
    play(s, (STAY, DOWN), (STAY, INTERACT))  # player 1 to (1, 3), takes an onion from (1, 4)
    assert s.view().held == (NOTHING, ONION)
    play(s, (STAY, UP), (DOWN, RIGHT))  # back to (1, 2); both now face the counter (2, 2)
    assert s.view().positions == ((2, 1), (1, 2))
    assert s.view().orientations == (DOWN, RIGHT)
    # Both interact: player 0 (empty hands, empty counter) first does nothing, then
    # player 1 puts the onion down. In the other order player 0 would end with it.
    play(s, (INTERACT, INTERACT))
    assert s.view().counters == (((2, 2), ONION),)
    assert s.view().held == (NOTHING, NOTHING)
    assert s.view().last_skills == (None, "place_obj_on_counter")
    # Now player 0 takes it while player 1 interacts with the empty counter in the same
    # step: seat 0 first, so player 0 holds it.
    play(s, (INTERACT, INTERACT))
    assert s.view().held == (ONION, NOTHING) and s.view().counters == ()


def test_swap_and_same_cell_collisions_leave_both_in_place() -> None:
    s = cramped()
    # (1, 2) and (3, 1): player 0 right to (2, 2), player 1 down to (3, 2).
    play(s, (RIGHT, DOWN))
    assert s.view().positions == ((2, 2), (3, 2))
    # Swap: player 0 right into (3, 2), player 1 left into (2, 2): both stay, both turn.
    play(s, (RIGHT, LEFT))
    assert s.view().positions == ((2, 2), (3, 2))
    assert s.view().orientations == (RIGHT, LEFT)
    # Same cell: player 0 up to (2, 1), player 1 moves up to (3, 1) then left to (2, 1).
    play(s, (STAY, UP))
    assert s.view().positions == ((2, 2), (3, 1))
    play(s, (UP, LEFT))
    assert s.view().positions == ((2, 2), (3, 1))
    assert s.view().orientations == (UP, LEFT)
    # Moving into a cell the other leaves in the same step is allowed.
    play(s, (RIGHT, LEFT))  # (2, 2)->(3, 2) and (3, 1)->(2, 1)
    assert s.view().positions == ((3, 2), (2, 1))
    # Moving into the other's cell while it stays is a collision.
    play(s, (STAY, DOWN))  # player 1 to (2, 2)
    play(s, (LEFT, STAY))
    assert s.view().positions == ((3, 2), (2, 2)) and s.view().orientations[0] == LEFT
    # A move towards a non-floor cell (the serving window) only turns.
    play(s, (DOWN, STAY))
    assert s.view().positions[0] == (3, 2) and s.view().orientations[0] == DOWN


def _fill_pot(s: OvercookedState) -> None:
    """Player 1 puts three onions into the pot (2, 0) of cramped_room; returns with the
    third onion put in by the last step."""
    play(s, (STAY, RIGHT))  # face the onion dispenser (4, 1)
    for k in range(3):
        play(s, (STAY, INTERACT), (STAY, LEFT), (STAY, UP), (STAY, INTERACT))
        # at (2, 1) facing the pot: the onion is in
        assert s.view().pots == (((2, 0), Pot(k + 1, 0 if k < 2 else 1)),)
        if k < 2:
            play(s, (STAY, RIGHT), (STAY, RIGHT))  # back to (3, 1), facing the dispenser


def test_cooking_starts_at_three_onions_and_takes_twenty_ticks() -> None:
    s = cramped(shaped_rewards=True)
    _fill_pot(s)
    done_at = s.time  # the step that put the third onion in has cooked one tick
    assert s.view().pots == (((2, 0), Pot(3, 1)),)
    assert s.shaped_return() == 9.0 and s.returns() == [9.0, 9.0]
    # Player 0 fetches a dish meanwhile: (1, 2) facing down at D.
    play(s, (DOWN, STAY), (INTERACT, STAY))
    assert s.view().held[0] == DISH
    assert s.shaped_return() == 12.0  # a useful dish: a pot is cooking, no dish anywhere
    play(s, (RIGHT, STAY))  # player 0 to (2, 2)
    # Player 1 must leave (2, 1) for player 0: it goes right to (3, 1).
    play(s, (STAY, RIGHT))
    play(s, (UP, STAY))  # player 0 to (2, 1)
    play(s, (UP, STAY))  # faces the pot
    while s.time < done_at + 19:
        play(s, (INTERACT, STAY))  # not ready: nothing happens
        assert s.view().held[0] == DISH
    assert s.view().pots == (((2, 0), Pot(3, 20)),)
    assert s.time == done_at + 19
    play(s, (INTERACT, STAY))
    assert s.view().held[0] == SOUP and s.view().pots == ()
    assert s.shaped_return() == 17.0
    # Deliver: (2, 1) -> (2, 2) -> (3, 2), face down at S (3, 3).
    play(s, (DOWN, STAY), (RIGHT, STAY), (DOWN, STAY))
    assert s.delivered == 0
    play(s, (INTERACT, STAY))
    assert s.delivered == 1 and s.view().held[0] == NOTHING
    assert s.sparse_return() == 20.0 and s.returns() == [37.0, 37.0]
    sparse = cramped()
    for step in s.history():
        assert isinstance(step.action, tuple)
        sparse.apply_joint_action(list(step.action))
    assert sparse.returns() == [20.0, 20.0]  # shaping stays out unless asked for


def test_horizon_ends_the_game() -> None:
    s = cramped(horizon=3)
    play(s, (STAY, STAY), (STAY, STAY))
    assert not s.is_terminal()
    play(s, (STAY, STAY))
    assert s.is_terminal() and s.returns() == [0.0, 0.0]


def test_check_game_and_text_view() -> None:
    for name in sorted(LAYOUT_FACTS):
        check_game(redqueen.make("overcooked", layout=name, horizon=8), n_games=10)
    text = cramped().observation_text(1)
    assert "X  X  P  X  X\nO  .  .  1^ O\nX  0^ .  .  X\nX  D  X  S  X" in text
    assert "Player 1 (you): at (3, 1), facing up, holding nothing." in text
    assert "Pot 0 at (2, 0): is empty." in text


def test_tensor_is_the_lossless_encoding() -> None:
    s = cramped()
    play(s, (DOWN, STAY), (INTERACT, STAY))  # player 0 holds a dish, facing down
    t0, t1 = s.information_state_tensor(0), s.information_state_tensor(1)
    assert t0[1, 2, 0] == 1 and t0[3, 1, 1] == 1  # own, then teammate position
    assert t1[3, 1, 0] == 1 and t1[1, 2, 1] == 1
    assert t0[1, 2, 2 + DOWN] == 1 and t1[1, 2, 6 + DOWN] == 1
    assert t0[1, 2, 18] == 1  # the held dish at the holder's cell
    assert t0[:, :, 10].sum() == 1 and t0[2, 0, 10] == 1  # one pot
    # 2 positions, 2 orientations, 14 terrain cells (9 X, 1 P, 2 O, 1 D, 1 S), 1 dish
    assert t0.sum() == 2 + 2 + 14 + 1


def test_pettingzoo_api() -> None:
    pytest.importorskip("pettingzoo", reason="pip install 'pettingzoo>=1.27'")
    from pettingzoo.test import api_test, parallel_api_test

    from redqueen.adapters import pettingzoo

    api_test(pettingzoo.aec_env("overcooked", horizon=20), num_cycles=100)
    par = pettingzoo.parallel_env("overcooked", horizon=20)
    parallel_api_test(par, num_cycles=100)
    obs, _ = par.reset(seed=0)
    assert obs["player_0"]["observation"].shape == (5, 4, 20)
    assert obs["player_0"]["action_mask"].tolist() == [1] * 6


# ---- teammates ---------------------------------------------------------------------------


def test_greedy_pair_scores_on_cramped_room() -> None:
    game = redqueen.make("overcooked", layout="cramped_room")
    returns = [
        play_match(game, [GreedyAgent(), GreedyAgent()], seed).returns[0] for seed in range(3)
    ]
    # Measured: 180-200 (9-10 soups) per episode; a broken planner scores 0.
    assert min(returns) >= 140.0


def test_stay_and_random_teammates() -> None:
    game = redqueen.make("overcooked", horizon=30)
    result = play_match(game, [StayAgent(), RandomAgent()], 0)
    assert result.returns == (0.0, 0.0)
    moves = [step.action[1] for step in result.trajectory if isinstance(step.action, tuple)]
    assert set(moves) <= {UP, DOWN, RIGHT, LEFT} and len(set(moves)) == 4
    assert {step.action[0] for step in result.trajectory if isinstance(step.action, tuple)} == {
        STAY
    }


def _obs(state: OvercookedState, seat: int) -> Observation:
    return Observation(
        state.game,
        seat,
        tuple(range(6)),
        ("up", "down", "right", "left", "stay", "interact"),
        state.observation_text(seat),
        state.information_state_key(seat),
        (),
        np.random.default_rng(0),
    )


def test_verifier_explains_failed_preconditions() -> None:
    s = cramped()
    game = s.game
    assert isinstance(game, OvercookedGame)
    view = s.view()
    assert check_skill(game, view, 0, "pickup(onion)") is None
    assert check_skill(game, view, 0, "put_onion_in_pot()") == (
        "Player 0 failed at put_onion_in_pot() because Player 0 holds nothing, not an onion."
    )
    assert check_skill(game, view, 0, "deliver_soup()") == (
        "Player 0 failed at deliver_soup() because Player 0 holds nothing; only a dish with "
        "soup can be delivered."
    )
    assert check_skill(game, view, 1, "place_obj_on_counter()") == (
        "Player 1 failed at place_obj_on_counter() because Player 1 holds nothing to place."
    )
    assert check_skill(game, view, 0, "wait(21)") == (
        "wait(n) needs 0 < n <= 20; wait(21) is outside that range."
    )
    play(s, (DOWN, STAY), (INTERACT, STAY))  # player 0 holds a dish; no pot cooks
    view = s.view()
    assert check_skill(game, view, 0, "pickup(onion)") == (
        "Player 0 failed at pickup(onion) because Player 0 is holding a dish; a player can "
        "pick up an object only with empty hands (place_obj_on_counter() frees them)."
    )
    assert check_skill(game, view, 0, "fill_dish_with_soup()") == (
        "Player 0 failed at fill_dish_with_soup() because no pot is cooking or has a ready "
        "soup; a pot cooks once it holds 3 onions."
    )
    assert skill_done(view, 0, "pickup(dish)") and not skill_done(view, 0, "deliver_soup()")
    forced = redqueen.make("overcooked", layout="forced_coordination").new_initial_state()
    fgame = forced.game
    assert isinstance(fgame, OvercookedGame)
    # Player 0 (right side) cannot reach an onion dispenser in forced_coordination.
    assert check_skill(fgame, forced.view(), 0, "pickup(onion)") == (
        "Player 0 failed at pickup(onion) because Player 0 cannot reach an onion dispenser "
        "or an onion on a counter from here."
    )


def test_skill_parsing_and_scene() -> None:
    assert parse_skill("pickup(onion)") == "pickup(onion)"
    assert parse_skill('"Pick up a dish".') == "pickup(dish)"
    assert parse_skill("wait(4)") == "wait(4)"
    assert parse_skill("wait") == "wait(1)"
    assert parse_skill("dance()") is None
    s = cramped()
    game = s.game
    assert isinstance(game, OvercookedGame)
    assert proagent_scene(game, s.view(), 0) == (
        "Here's the layout of the kitchen: <Onion Dispenser 0>, <Onion Dispenser 1>, "
        "<Dish Dispenser 0>, <Serving Loc 0>, <Pot 0>.\n"
        "Scene 0: <Player 0> holds nothing. <Player 1> holds nothing. Kitchen states: "
        "<Pot 0> is empty."
    )


def test_proagent_plans_skills_through_the_test_server() -> None:
    game = redqueen.make("overcooked", horizon=40)
    with ScriptedServer("random") as server:
        agent = ProAgentLLM(model="scripted", base_url=server.url, api_key_env=None, cache=False)
        result = asyncio.run(redqueen.play.aplay_match(game, [agent, GreedyAgent()], 1))
        records = agent.pop_records(None)
    assert result.length == 40
    assert records and all(r.seat == 0 for r in records)
    chosen = [r.skill for r in records if r.skill is not None]
    assert chosen  # the verifier accepted some skills
    refused = [f for r in records for f in r.failures]
    assert all(f.startswith("Player 0 failed at ") for f in refused)
    assert all(r.belief is not None for r in records)  # the belief was read every time
    # Every refused plan was refused for a reason the state at that time shows.
    assert server.answered >= 2 * len(records)
