"""OpenSpiel import: ``make("openspiel:NAME")`` wraps pyspiel games faithfully.

Ten-plus OpenSpiel games pass ``check_game``; Kuhn poker through the wrapper gives exactly
our native Kuhn poker's returns, legal actions and chance outcomes; our native games'
tensors equal OpenSpiel's; errors name what is allowed; pyspiel stays optional.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import redqueen
from redqueen.adapters.openspiel import OpenSpielGame, OpenSpielState, openspiel_game
from redqueen.agents import RandomAgent
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games import check_game
from redqueen.games.core import CHANCE, SIMULTANEOUS, ChanceMode, Dynamics, UtilityKind
from redqueen.play import tournament

pyspiel = pytest.importorskip("pyspiel", reason="open_spiel not installed: pip install -e .[test]")

ROOT = Path(__file__).resolve().parents[2]

# (name, params, n_games): small variants keep the whole file to a few seconds.
CHECKED: list[tuple[str, dict[str, Any], int]] = [
    ("liars_dice", {}, 40),
    ("goofspiel", {"num_cards": 4}, 40),
    ("goofspiel", {"num_cards": 3, "points_order": "descending"}, 20),
    ("breakthrough", {"rows": 5, "columns": 5}, 6),
    ("oshi_zumo", {"coins": 6, "size": 2, "horizon": 20}, 20),
    ("tiny_hanabi", {}, 40),
    ("kuhn_poker", {}, 100),
    ("kuhn_poker", {"players": 3}, 50),
    ("leduc_poker", {}, 60),
    ("tic_tac_toe", {}, 40),
    ("connect_four", {}, 6),
    ("matrix_rps", {}, 20),
    ("blotto", {"coins": 4, "fields": 3}, 20),
    ("first_sealed_auction", {"max_value": 4}, 30),
    ("phantom_ttt", {}, 10),
]


def _rng_playout(game: Any, rng: np.random.Generator) -> list[Any]:
    """A random play of ``game``: the list of its steps (chance outcomes included)."""
    state = game.new_initial_state()
    while not state.is_terminal():
        player = state.current_player()
        if player == CHANCE:
            outcomes = state.chance_outcomes()
            state.apply_action(outcomes[rng.integers(len(outcomes))][0])
        elif player == SIMULTANEOUS:
            state.apply_joint_action(
                [int(rng.choice(state.legal_actions(p))) for p in range(game.num_players)]
            )
        else:
            state.apply_action(int(rng.choice(state.legal_actions())))
    return state.history()


@pytest.mark.parametrize(("name", "params", "n_games"), CHECKED, ids=lambda x: str(x))
def test_check_game(name: str, params: dict[str, Any], n_games: int) -> None:
    game = redqueen.make(f"openspiel:{name}", **params)
    report = check_game(game, n_games=n_games, clone_every=2)
    assert report.states_visited > report.games_played
    assert game.spec.id == f"openspiel:{name}"
    assert dict(game.spec.params) == params


def test_spec_counts_chance_steps_and_maps_kinds() -> None:
    kuhn = redqueen.make("openspiel:kuhn_poker")
    native = redqueen.make("kuhn_poker")
    # OpenSpiel: 3 player moves at most; plus 2 deals = our 5.
    assert kuhn.spec.max_game_length == native.spec.max_game_length == 5
    assert (kuhn.spec.chance, kuhn.spec.utility, kuhn.spec.utility_sum) == (
        ChanceMode.EXPLICIT,
        UtilityKind.ZERO_SUM,
        0.0,
    )
    assert kuhn.spec.max_chance_outcomes == 3
    assert (kuhn.spec.min_utility, kuhn.spec.max_utility) == (-2.0, 2.0)
    goof = redqueen.make("openspiel:goofspiel", num_cards=4)
    assert goof.spec.dynamics == Dynamics.SIMULTANEOUS
    assert goof.spec.max_game_length == 4 + 4  # four bids, four prize cards drawn
    assert not goof.spec.perfect_information  # simultaneous moves hide the bids
    ttt = redqueen.make("openspiel:tic_tac_toe")
    assert ttt.spec.perfect_information and ttt.spec.chance == ChanceMode.NONE
    hanabi = redqueen.make("openspiel:tiny_hanabi")
    assert hanabi.spec.utility == UtilityKind.GENERAL_SUM and hanabi.spec.utility_sum is None
    assert (
        "Liars Dice: OpenSpiel's game 'liars_dice'"
        in redqueen.make("openspiel:liars_dice").rules_text()
    )


def test_kuhn_through_the_wrapper_matches_native_kuhn() -> None:
    """Same action sequences, same legal actions, chance outcomes, returns and tensors."""
    rng = np.random.default_rng(3)
    for players in (2, 3):
        native = redqueen.make("kuhn_poker", players=players)
        wrapped = redqueen.make("openspiel:kuhn_poker", players=players)
        for _ in range(150):
            history = _rng_playout(native, rng)
            ours, theirs = native.new_initial_state(), wrapped.new_initial_state()
            for step in history:
                assert ours.current_player() == theirs.current_player()
                assert ours.legal_actions() == theirs.legal_actions()
                mine, reference = ours.chance_outcomes(), theirs.chance_outcomes()
                assert [a for a, _ in mine] == [a for a, _ in reference]
                assert [p for _, p in mine] == pytest.approx([p for _, p in reference])
                for p in range(players):
                    np.testing.assert_array_equal(
                        ours.information_state_tensor(p), theirs.information_state_tensor(p)
                    )
                ours.apply_action(step.action)
                theirs.apply_action(step.action)
            assert theirs.is_terminal()
            assert ours.returns() == theirs.returns()


def test_native_tensors_equal_openspiel_tensors() -> None:
    """Our Leduc tensor starts with OpenSpiel's; our boards are OpenSpiel's observations."""
    rng = np.random.default_rng(5)
    cases = [
        ("leduc_poker", {}, "information_state_tensor", 30, 200),
        ("tic_tac_toe", {}, "observation_tensor", None, 100),
        ("connect_four", {}, "observation_tensor", None, 20),
        ("connect_four", {"rows": 4, "columns": 5, "x_in_row": 3}, "observation_tensor", None, 40),
    ]
    for name, params, method, prefix, plays in cases:
        native = redqueen.make(name, **params)
        os_game = pyspiel.load_game(name, params)
        for _ in range(plays):
            ours, theirs = native.new_initial_state(), os_game.new_initial_state()
            for step in [*_rng_playout(native, rng), None]:
                for p in range(2):
                    mine = ours.information_state_tensor(p).ravel()
                    ref = np.asarray(getattr(theirs, method)(p), dtype=np.float32)
                    np.testing.assert_array_equal(mine[: prefix or len(mine)], ref)
                if step is not None:
                    ours.apply_action(step.action)
                    theirs.apply_action(step.action)


def test_wrapper_tensor_is_openspiels() -> None:
    game = redqueen.make("openspiel:liars_dice")
    assert game.information_state_tensor_shape() == tuple(
        game.openspiel_game.information_state_tensor_shape()  # type: ignore[attr-defined]
    )
    board = redqueen.make("openspiel:tic_tac_toe")  # no information-state tensor: the board
    state = board.new_initial_state()
    state.apply_action(4)
    assert state.information_state_tensor(1).shape == (3, 3, 3)
    assert state.information_state_tensor(1)[2, 1, 1] == 1.0  # x in the centre
    with pytest.raises(RedqueenError, match="no tensor view"):
        redqueen.make("openspiel:oshi_zumo").information_state_tensor_shape()


def test_keys_and_texts() -> None:
    kuhn = redqueen.make("openspiel:kuhn_poker")
    state = kuhn.new_initial_state()
    state.apply_action(2)
    state.apply_action(0)
    assert state.action_text(0, CHANCE) == "Deal:0"
    assert [state.action_text(a) for a in state.legal_actions()] == ["Pass", "Bet"]
    assert state.parse_action("bet") == 1
    assert state.information_state_key(0) == "2"  # OpenSpiel's information-state string
    assert state.information_state_key(1) == "0"
    assert "You are player 1." in state.observation_text(1)
    ttt = redqueen.make("openspiel:tic_tac_toe").new_initial_state()
    ttt.apply_action(4)
    assert ttt.information_state_key(0) == ttt.information_state_key(1) == (4,)  # history
    assert "x" in ttt.observation_text(1)
    with pytest.raises(RedqueenError, match=r"players are 0\.\.1"):
        ttt.observation_text(2)


def test_repeated_action_names_are_made_distinct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(OpenSpielState, "_raw_name", lambda self, player, action: "move")
    state = redqueen.make("openspiel:tic_tac_toe").new_initial_state()
    names = [state.action_text(a) for a in state.legal_actions()]
    assert names == [f"move [{a}]" for a in range(9)]
    assert state.parse_action("move [7]") == 7


def test_tournament_on_liars_dice() -> None:
    game = redqueen.make("openspiel:liars_dice")
    result = tournament(game, [RandomAgent(), RandomAgent()], games_per_pairing=6, seed=2)
    assert len(result.matches) == 6
    for _, match in result.matches:
        assert sum(match.returns) == 0 and sorted(match.returns) == [-1.0, 1.0]
        assert match.invalid_moves == (0, 0)
    again = tournament(game, [RandomAgent(), RandomAgent()], games_per_pairing=6, seed=2)
    assert [m.returns for _, m in again.matches] == [m.returns for _, m in result.matches]


def test_game_pickles_for_process_pools() -> None:
    game = redqueen.make("openspiel:goofspiel", num_cards=4)
    twin = pickle.loads(pickle.dumps(game))
    assert isinstance(twin, OpenSpielGame) and twin.spec == game.spec


def test_unknown_game_lists_openspiel_names() -> None:
    with pytest.raises(UnknownNameError, match="unknown OpenSpiel game: 'kuhn_pokr'") as info:
        redqueen.make("openspiel:kuhn_pokr")
    assert "kuhn_poker" in info.value.allowed and "liars_dice" in info.value.allowed


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"player": 3}, r"unknown parameter 'player'.*its parameters: players=2"),
        ({"players": "three"}, r"parameter players must be a int \(default 2\)"),
        ({"players": 2.5}, r"parameter players must be a int"),
        ({"players": 20}, r"OpenSpiel rejected the parameters \{'players': 20\}"),
    ],
)
def test_bad_parameters(params: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        openspiel_game("kuhn_poker", **params)


def test_float_parameters_accept_ints_and_unsupported_games_are_refused() -> None:
    game = redqueen.make("openspiel:goofspiel", num_cards=3, points_order="ascending")
    assert game.spec.params["num_cards"] == 3
    with pytest.raises(InvalidParameterError, match="samples its chance events"):
        redqueen.make("openspiel:tarok")


def test_missing_pyspiel_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyspiel", None)
    with pytest.raises(RedqueenError, match=re.escape("pip install open_spiel")):
        redqueen.make("openspiel:kuhn_poker")


def test_importing_redqueen_never_imports_pyspiel() -> None:
    code = (
        "import sys, redqueen, redqueen.games, redqueen.adapters.openspiel\n"
        "redqueen.make('kuhn_poker')\n"
        "assert 'pyspiel' not in sys.modules, 'pyspiel was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_documented_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    doc = (ROOT / "docs" / "adapters" / "openspiel.md").read_text()
    example = re.findall(r"```python\n(.*?)```", doc, flags=re.S)[0]
    exec(compile(example, "docs/adapters/openspiel.md", "exec"), {"__name__": "docs"})
    assert "15" in capsys.readouterr().out


def test_our_solvers_run_unchanged_on_an_imported_game() -> None:
    from redqueen.solve import exploitability, solve

    wrapped = redqueen.make("openspiel:kuhn_poker")
    native = redqueen.make("kuhn_poker")
    ours = solve(wrapped, "cfr+", iterations=300)
    reference = solve(native, "cfr+", iterations=300)
    assert exploitability(wrapped, ours.average_policy) < 1e-3
    assert exploitability(wrapped, ours.average_policy) == pytest.approx(
        exploitability(native, reference.average_policy), abs=1e-12
    )


@pytest.mark.parametrize(
    ("name", "params"),
    [("goofspiel", {"num_cards": 3}), ("oshi_zumo", {"coins": 3, "size": 1, "horizon": 3})],
)
def test_our_solvers_handle_imported_simultaneous_games(name: str, params: dict) -> None:
    # Our tree sequentialises simultaneous moves; OpenSpiel's turn-based conversion does the
    # same, so the NashConv of the uniform policy must agree exactly.
    from open_spiel.python import policy as openspiel_policy
    from open_spiel.python.algorithms import exploitability as openspiel_exploitability

    from redqueen.solve import TabularPolicy, nash_conv

    game = redqueen.make(f"openspiel:{name}", **params)
    ours = nash_conv(game, TabularPolicy.uniform(game))
    turn_based = pyspiel.convert_to_turn_based(pyspiel.load_game(name, params))
    theirs = openspiel_exploitability.nash_conv(
        turn_based, openspiel_policy.UniformRandomPolicy(turn_based)
    )
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert ours > 0
