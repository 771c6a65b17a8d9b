"""FXP: the counterexample's equilibrium structure is proved by enumeration, self-play
provably stays in the local basin, FXP reaches the global equilibrium (done-when (c));
plus FXP on Kuhn poker through its normal form, checkpoints and resuming."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

import redqueen
from redqueen.errors import InvalidParameterError
from redqueen.learn.fxp import (
    HARE_1,
    STAG,
    FXPConfig,
    agent_action_values,
    exploitability,
    fxp,
    local_gain,
    pure_profile,
    team_best_response,
    team_game_from_tree,
    team_stag_hunt,
    team_value,
)
from redqueen.solve.responses import expected_returns_arrays
from redqueen.solve.tree import compile_game
from redqueen.store.run_store import RunStore

GAME = team_stag_hunt()
ALL_HARE = pure_profile(GAME, [HARE_1] * 4)
ALL_STAG = pure_profile(GAME, [STAG] * 4)


def test_all_hare_is_a_local_but_not_a_global_equilibrium() -> None:
    # every unilateral deviation, enumerated: none gains (a lone stag hunter costs 3)
    v = team_value(GAME, ALL_HARE)
    assert v == 0.0
    for agent, action in itertools.product(range(4), range(3)):
        actions = [HARE_1] * 4
        actions[agent] = action
        own = team_value(GAME, pure_profile(GAME, actions)) * (1 if agent < 2 else -1)
        assert own <= 0.0
        if action == STAG:
            assert own == -3.0
    assert local_gain(GAME, ALL_HARE) == 0.0
    # ...but a team moving together gains 1: not a global equilibrium
    assert team_best_response(GAME, ALL_HARE, 0) == ((STAG, STAG), 1.0)
    assert team_best_response(GAME, ALL_HARE, 1) == ((STAG, STAG), 1.0)
    assert exploitability(GAME, ALL_HARE) == 1.0


def test_all_stag_is_the_global_equilibrium() -> None:
    # against any joint action of B, A's best joint action is (stag, stag), and vice versa
    for b in itertools.product(range(3), repeat=2):
        values = {
            a: team_value(GAME, pure_profile(GAME, [*a, *b]))
            for a in itertools.product(range(3), repeat=2)
        }
        assert max(values, key=values.__getitem__) == (STAG, STAG)
        assert values[(STAG, STAG)] > max(v for a, v in values.items() if a != (STAG, STAG))
    assert exploitability(GAME, ALL_STAG) == 0.0
    assert local_gain(GAME, ALL_STAG) == 0.0


def test_stag_is_an_individual_best_response_only_above_three_sevenths() -> None:
    for p in np.linspace(0, 1, 71):
        mate = np.array([(1 - p) / 2, (1 - p) / 2, p])
        profile = [mate, mate, mate, mate]
        values = agent_action_values(GAME, profile, 0)
        # own coordination score: hare 1 - 3p, stag 4p - 2 (the other team's score is
        # the same constant for both)
        assert values[STAG] - values[HARE_1] == pytest.approx((4 * p - 2) - (1 - 3 * p))
        assert (values[STAG] > values[HARE_1]) == (p > 3 / 7 + 1e-12)


def test_self_play_stays_local_and_fxp_reaches_the_global_equilibrium() -> None:
    sp = fxp(GAME, FXPConfig(iterations=400, eta=0.0))
    # the invariant of the proof: stag never exceeds its uniform share 1/3 (< 3/7)
    assert max(sp.stag_share) == pytest.approx(1 / 3)
    assert all(b <= a + 1e-15 for a, b in itertools.pairwise(sp.stag_share))
    assert sp.final > 1.0  # tends to 1 from above: the hare trap
    assert local_gain(GAME, sp.main) < 0.01  # ...which is a local equilibrium
    fx = fxp(GAME, FXPConfig(iterations=400, eta=0.5))
    assert fx.counters == [[(STAG, STAG)], [(STAG, STAG)]]
    assert fx.final < 0.05
    assert fx.stag_share[-1] > 0.98
    assert fx.curve[-1][1] < fx.curve[100][1] < fx.curve[10][1]


def test_fxp_on_kuhn_poker_normal_form() -> None:
    kuhn = redqueen.make("kuhn_poker")
    game = team_game_from_tree(kuhn)
    assert game.payoff.shape == (64, 64)
    # entries against a direct tree sweep of the two pure strategies
    tree = compile_game(kuhn)
    blocks = [tree.player_infosets(0), tree.player_infosets(1)]
    pures = list(itertools.product(range(2), repeat=6))  # 6 information states, 2 actions
    for i, j in [(0, 0), (5, 17), (63, 1), (40, 40), (12, 63)]:
        sigma = tree.uniform_policy()
        for block, choice in zip(blocks, (pures[i], pures[j]), strict=True):
            sigma[block] = 0.0
            sigma[np.arange(block.start, block.stop), list(choice)] = 1.0
        assert game.payoff[i, j] == pytest.approx(expected_returns_arrays(tree, sigma)[0])
    uniform = game.uniform()
    assert exploitability(game, uniform) == pytest.approx(11 / 24)  # NashConv 11/12
    fx = fxp(game, FXPConfig(iterations=60, eta=0.5))
    sp = fxp(game, FXPConfig(iterations=60, eta=0.0))
    assert fx.final < 0.01 < 0.03 < sp.final  # 0.0096 and 0.0348


def test_config_errors() -> None:
    with pytest.raises(InvalidParameterError, match="eta"):
        FXPConfig(eta=1.5)
    with pytest.raises(InvalidParameterError, match="stag > hare > miss"):
        team_stag_hunt(hare=3.0)


def test_resume_gives_the_uninterrupted_run(tmp_path: Path) -> None:
    whole = fxp(GAME, FXPConfig(iterations=30, eta=0.5))
    with RunStore(tmp_path) as store:
        stopped = fxp(GAME, FXPConfig(iterations=30, eta=0.5), store, label="fxp",
                      callback=lambda i, e: i >= 12)  # fmt: skip
        assert stopped.curve[-1][0] == 12
    with RunStore(tmp_path) as store:
        resumed = fxp(GAME, FXPConfig(iterations=30, eta=0.5), store, label="fxp")
        steps = [s for s, _ in store.metrics("exploitability/fxp")]
    assert resumed.curve == whole.curve
    assert steps == list(range(31))
    for a, b in zip(resumed.main, whole.main, strict=True):
        np.testing.assert_array_equal(a, b)
