"""The scalar engines' precomputed tables against plain references: connect four's run
layout (every line of the grid as a run of bits) against the grid's lines cell by cell, on
grids of many shapes and line lengths; Kuhn poker's betting tree, built on first use, against
OpenSpiel with four to ten players, step by step."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

import redqueen
from redqueen.games import CHANCE, TERMINAL
from redqueen.games.connect_four import ConnectFourGame


def _has_line(owners: Sequence[int], lines: Sequence[Sequence[int]], seat: int) -> bool:
    return any(all(owners[cell] == seat for cell in line) for line in lines)


@pytest.mark.parametrize(
    ("rows", "columns", "k"),
    [
        (6, 7, 4),
        (4, 5, 3),
        (5, 4, 3),
        (3, 8, 5),
        (8, 3, 5),
        (7, 3, 3),
        (9, 9, 6),
        (6, 1, 4),
        (1, 6, 4),
        (2, 2, 1),
        (3, 3, 2),
        (5, 6, 6),
    ],
)
def test_connect_four_ends_exactly_when_a_line_is_made(rows: int, columns: int, k: int) -> None:
    game = ConnectFourGame(rows=rows, columns=columns, x_in_row=k)
    rng = np.random.default_rng(100 * rows + 10 * columns + k)
    outcomes = set()
    for _ in range(300):
        state = game.new_initial_state()
        lines = state.winning_lines()
        while not state.is_terminal():
            mover = state.current_player()
            legal = state.legal_actions()
            state.apply_action(legal[int(rng.integers(len(legal)))])
            owners = state.cell_owners()
            made = _has_line(owners, lines, mover)
            assert state.is_terminal() == (made or min(owners) >= 0), state.history()
            assert not _has_line(owners, lines, 1 - mover)
        returns = state.returns()
        expected = [0.0, 0.0]
        if made:
            expected = [1.0, -1.0] if mover == 0 else [-1.0, 1.0]
        assert returns == expected, state.history()
        outcomes.add(tuple(returns))
    if 2 <= k <= min(rows, columns) and rows * columns >= 2 * k:
        assert {(1.0, -1.0), (-1.0, 1.0)} <= outcomes  # both seats' lines were found


def test_connect_four_keys_and_clones_keep_each_seats_discs() -> None:
    game = ConnectFourGame()
    a, b = game.new_initial_state(), game.new_initial_state()
    for move in (3, 4, 3, 4):
        a.apply_action(move)
    for move in (4, 3, 4, 3):
        b.apply_action(move)
    # the same cells filled, by the other seats: different positions, different keys
    assert a.information_state_key(0) != b.information_state_key(0)
    assert [o for o in a.cell_owners() if o >= 0] == [0, 1, 0, 1]  # row 0: x o; row 1: x o
    assert [o for o in b.cell_owners() if o >= 0] == [1, 0, 1, 0]
    twin = a.clone()
    twin.apply_action(3)
    assert a.cell_owners()[2 * 7 + 3] == -1 and twin.cell_owners()[2 * 7 + 3] == 0
    assert a.legal_actions() == twin.legal_actions() == list(range(7))


@pytest.mark.parametrize("players", [4, 6, 10])
def test_many_player_kuhn_agrees_with_openspiel_step_by_step(players: int) -> None:
    pyspiel = pytest.importorskip("pyspiel")
    ours = redqueen.make("kuhn_poker", players=players)
    theirs = pyspiel.load_game("kuhn_poker", {"players": players})
    rng = np.random.default_rng(players)
    bets_answered = 0
    for _ in range(400):
        state, os_state = ours.new_initial_state(), theirs.new_initial_state()
        while not state.is_terminal():
            assert not os_state.is_terminal()
            if state.is_chance_node():
                assert os_state.is_chance_node()
                outcomes = state.chance_outcomes()
                assert outcomes == [(int(a), p) for a, p in os_state.chance_outcomes()]
                action = outcomes[int(rng.integers(len(outcomes)))][0]
            else:
                assert state.current_player() == os_state.current_player() != CHANCE
                assert state.legal_actions() == list(os_state.legal_actions())
                for seat in range(players):
                    assert state.information_state_tensor(seat).tolist() == (
                        os_state.information_state_tensor(seat)
                    )
                action = state.legal_actions()[int(rng.integers(2))]
            state.apply_action(action)
            os_state.apply_action(action)
        assert os_state.is_terminal() and state.current_player() == TERMINAL
        assert state.returns() == list(os_state.returns())
        bets_answered += len(state.history()) > 2 * players
    assert bets_answered > 0  # some hands went past one round of actions


@pytest.mark.parametrize(("rows", "columns", "k"), [(6, 7, 4), (4, 5, 3), (3, 8, 5), (9, 9, 6)])
def test_connect_four_has_line_on_any_set_of_cells(rows: int, columns: int, k: int) -> None:
    game = ConnectFourGame(rows=rows, columns=columns, x_in_row=k)
    lines = game.new_initial_state().winning_lines()
    rng = np.random.default_rng(7)
    found = 0
    for _ in range(2000):
        cells = {int(c) for c in np.flatnonzero(rng.random(rows * columns) < 0.4)}
        bitboard = sum(1 << ((c % columns) * (rows + 1) + c // columns) for c in cells)
        expected = any(set(line) <= cells for line in lines)
        assert game.has_line(bitboard) == expected, sorted(cells)
        found += expected
    assert 0 < found < 2000
