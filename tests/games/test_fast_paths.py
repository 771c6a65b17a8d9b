"""The hot games answer ``legal_actions``, ``chance_outcomes`` and ``apply_action`` through
fast paths of their own; these must agree with the contract's general methods (the base
``State``'s) move by move, errors included."""

from __future__ import annotations

import numpy as np
import pytest

import redqueen
from redqueen.errors import IllegalActionError
from redqueen.games.core import State

FAST = ["tic_tac_toe", "connect_four", "kuhn_poker", "leduc_poker"]


@pytest.mark.parametrize("game_id", FAST)
def test_fast_paths_agree_with_the_general_ones(game_id: str) -> None:
    game = redqueen.make(game_id)
    rng = np.random.default_rng(7)
    for _ in range(200):
        fast, general = game.new_initial_state(), game.new_initial_state()
        while not fast.is_terminal():
            assert fast.is_terminal() == State.is_terminal(general)
            assert fast.is_chance_node() == State.is_chance_node(general)
            assert fast.legal_actions() == State.legal_actions(general)
            assert fast.chance_outcomes() == State.chance_outcomes(general)
            legal = fast.legal_actions()
            action = legal[int(rng.integers(len(legal)))]
            # numpy integers go through the general path and must do the same
            fast.apply_action(action if rng.random() < 0.8 else np.int64(action))
            State.apply_action(general, action)
            assert fast.history() == general.history()
            assert [type(s.action) for s in fast.history()] == [int] * len(fast.history())
        assert State.is_terminal(general)
        assert fast.returns() == general.returns()
        assert fast.legal_actions() == [] and fast.chance_outcomes() == []


@pytest.mark.parametrize("game_id", FAST)
def test_fast_paths_refuse_what_the_general_path_refuses(game_id: str) -> None:
    game = redqueen.make(game_id)
    state = game.new_initial_state()
    taken = None
    if not state.is_chance_node():
        taken = state.legal_actions()[0]
        state.apply_action(taken)  # an occupied cell / a valid first move
    before = state.history()
    bad = [True, -1, 10**6, 2.0, "1"] + ([taken] if game_id == "tic_tac_toe" else [])
    for action in bad:
        with pytest.raises(IllegalActionError):
            state.apply_action(action)  # type: ignore[arg-type]
        assert state.history() == before  # the state does not change
    while not state.is_terminal():
        state.apply_action(state.legal_actions()[0])
    with pytest.raises(IllegalActionError, match="over"):
        state.apply_action(0)
