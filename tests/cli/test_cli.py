"""The redqueen command: games, tournament, run/resume, recipe validation, play."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from redqueen.agents.registry import agent_kinds
from redqueen.cli import _split_agents, app
from redqueen.experiments import RecipeError, load_recipe, parse_recipe

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]


def test_games_lists_every_game_with_its_spec() -> None:
    result = runner.invoke(app, ["games", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: r for r in json.loads(result.output)}
    assert rows["kuhn_poker"]["chance"] == "explicit"
    assert rows["tic_tac_toe"]["max_game_length"] == 9
    assert rows["prisoners_dilemma"]["dynamics"] == "simultaneous"


def test_tournament_json(tmp_path: Path) -> None:
    args = ["tournament", "--game", "tic_tac_toe", "--agents", "random,first",
            "--games", "6", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["matches"] == 6
    rows = {r["agent"]: r for r in data["standings"]}
    assert rows["random"]["wins"] == rows["first"]["losses"]
    assert rows["random"]["games"] == 6
    assert data["payoff_matrix"]["count"] == [[0, 6], [6, 0]]
    elo = {r["agent"]: r for r in data["elo"]}
    assert elo["random"]["elo"] + elo["first"]["elo"] == pytest.approx(3000)
    assert (elo["random"]["elo"] > 1500) == (rows["random"]["score"] > 0.5)
    for r in elo.values():
        assert r["ci95"][0] <= r["elo"] <= r["ci95"][1]


def test_tournament_with_game_params_and_workers(tmp_path: Path) -> None:
    args = ["tournament", "--game", "kuhn_poker", "--param", "players=3", "--agents",
            "random,first,random", "--games", "3", "--workers", "2", "--out",
            str(tmp_path / "run"), "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["matches"] == 3
    assert (tmp_path / "run" / "report.html").is_file()


def test_run_twice_resumes(tmp_path: Path) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: small\ngame: tic_tac_toe\nagents: [random, first]\ngames_per_pairing: 4\n"
    )
    out = tmp_path / "run"
    first = runner.invoke(app, ["run", str(recipe), "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert "first" in first.output and "report:" in first.output
    again = runner.invoke(app, ["run", str(recipe), "--out", str(out), "--json"])
    assert json.loads(again.output)["resumed_from"] == 4
    html = (out / "report.html").read_text()
    assert "Standings" in html and "<svg" in html and "Payoff matrix" in html
    assert "Elo 95% CI" in html


def test_quickstart_recipe_is_valid() -> None:
    recipe = load_recipe(ROOT / "recipes" / "quickstart.yaml")
    assert recipe.game.id == "tic_tac_toe"
    assert len(recipe.agents) >= 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x", "game": "chess", "agents": ["random"]}, "game.id: unknown game 'chess'"),
        (
            {"name": "x", "game": "tic_tac_toe", "agents": ["randm", "first"]},
            "unknown agent: 'randm'; allowed: " + ", ".join(agent_kinds()),
        ),
        (
            {"name": "x", "game": "tic_tac_toe", "agents": ["random", "first"], "gamez": 3},
            "gamez: unknown field; allowed fields: name, description, kind, seed, game",
        ),
        (
            {
                "name": "x",
                "game": "tic_tac_toe",
                "agents": ["random", "first"],
                "games_per_pairing": 0,
            },
            "games_per_pairing: Input should be greater than or equal",
        ),
        (
            {
                "name": "x",
                "game": {"id": "repeated", "params": {"rouns": 3}},
                "agents": ["random", "first"],
            },
            "'rouns'; allowed: ",
        ),
        ({"name": "x", "game": "tic_tac_toe", "agents": ["random"]}, "2 seats but only 1"),
        (
            {
                "name": "x",
                "game": "tic_tac_toe",
                "agents": ["random", "first"],
                "on_invalid": "skip",
            },
            "'random' or 'raise'",
        ),
        (
            {"name": "x", "game": "tic_tac_toe", "agents": ["minimax:dept=2", "first"]},
            "'dept'; allowed: ",
        ),
        (
            {"name": "x", "game": "tic_tac_toe", "agents": ["random", "first"], "kind": "chess"},
            "kind 'chess' is not known; allowed: ",
        ),
    ],
)
def test_bad_recipes_name_the_field_and_what_is_allowed(data: dict, message: str) -> None:
    with pytest.raises(RecipeError) as info:
        parse_recipe(data)
    assert message in str(info.value)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match="no recipe file"):
        load_recipe(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(RecipeError, match="not valid YAML"):
        load_recipe(bad)


def test_split_agents_keeps_parameters_together() -> None:
    assert _split_agents("random, minimax:depth=2,tie_break=random,first") == [
        "random", "minimax:depth=2,tie_break=random", "first"]  # fmt: skip


def _cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "redqueen.cli", *args], input=stdin,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_errors_exit_2_with_a_message() -> None:
    done = _cli("tournament", "--game", "tic_tac_tow", "--agents", "random,first")
    assert done.returncode == 2
    assert "unknown game 'tic_tac_tow'" in done.stderr


def test_play_in_the_terminal_with_malformed_input() -> None:
    # Seat 0 against a first-legal opponent; junk input is answered and asked again.
    moves = ["banana", "#42", *[str(c) for c in (4, 8, 6, 2, 5, 3, 1, 7, 0)]]
    done = _cli("play", "tic_tac_toe", "--opponent", "first", stdin="\n".join(moves) + "\n")
    assert done.returncode == 0, done.stderr
    assert "'banana' is not a legal move; legal moves:" in done.stdout
    assert "there is no move #42" in done.stdout
    assert "game over" in done.stdout
    assert done.stdout.count("your move>") >= 4


def test_play_quit_and_bad_seat() -> None:
    done = _cli("play", "kuhn_poker", stdin="quit\n")
    assert done.returncode == 1 and "stopped" in done.stdout
    bad = _cli("play", "kuhn_poker", "--seat", "5")
    assert bad.returncode == 2 and "allowed seats are 0..1" in bad.stderr


def test_solve_prints_the_curve_and_saves_a_policy_that_plays(tmp_path: Path) -> None:
    policy = tmp_path / "kuhn.json"
    args = ["solve", "kuhn_poker", "--iterations", "300", "--eval-every", "100",
            "--out", str(policy), "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert policy.is_file()
    text = json.dumps(data)
    assert "300" in text
    agents = f"policy:path={policy},random"
    args = ["tournament", "--game", "kuhn_poker", "--agents", agents, "--games", "1000", "--json"]
    match = runner.invoke(app, args)
    assert match.exit_code == 0, match.output
    rows = {r["agent"]: r for r in json.loads(match.output)["standings"]}
    policy_row = rows[f"policy:path={policy}"]
    assert policy_row["invalid_moves"] == 0
    # Exactly, the CFR+ policy gains about +0.145 a hand on uniform random play (+0.124 as
    # seat 0, +0.167 as seat 1); over 1000 seeded hands that is more than 3 standard errors.
    assert policy_row["mean_return"] > 0.05


def test_one_game_per_pairing_gives_valid_json(tmp_path: Path) -> None:
    # With a single game the interval on the game's return bounds is still defined (the
    # Student-t one was not), and results.json never holds NaN.
    out = tmp_path / "one"
    args = ["tournament", "--game", "tic_tac_toe", "--agents", "random,first", "--games", "1",
            "--json", "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    low, high = data["standings"][0]["ci95"]
    assert -1.0 <= low < data["standings"][0]["mean_return"] <= high <= 1.0
    json.loads((out / "results.json").read_text(), parse_constant=_no_nan)


def _no_nan(token: str) -> None:
    raise AssertionError(f"results.json holds {token}")


def test_wrapped_library_games_run_as_tournaments() -> None:
    pytest.importorskip("pyspiel", reason="open_spiel not installed: pip install -e .[test]")
    args = ["tournament", "--game", "openspiel:liars_dice", "--agents", "random,first",
            "--games", "4", "--json"]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["matches"] == 4
    with pytest.raises(RecipeError, match=r"allowed: .*openspiel:NAME"):
        parse_recipe({"name": "x", "game": "openspeil:liars_dice", "agents": ["random"]})


def test_an_agent_that_cannot_play_the_game_is_refused_before_any_match(tmp_path: Path) -> None:
    out = tmp_path / "never"
    args = ["tournament", "--game", "kuhn_poker", "--agents", "random,minimax",
            "--out", str(out)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert "agents[1] (minimax) cannot play kuhn_poker" in str(result.exception)
    assert "perfect-information" in str(result.exception)
    assert not out.exists()


def test_names_stay_unique() -> None:
    with pytest.raises(RecipeError, match="agent names must be unique"):
        parse_recipe({"name": "x", "game": "tic_tac_toe", "agents": [
            {"kind": "random", "name": "a"}, {"kind": "first", "name": "a"}]})  # fmt: skip
    from redqueen.experiments.tournament import build_agents

    recipe = parse_recipe({"name": "x", "game": "tic_tac_toe",
                           "agents": ["random", {"kind": "first", "name": "random"}]})  # fmt: skip
    _, names = build_agents(recipe)
    assert names == ["random#2", "random"]


def test_resume_with_other_workers_and_a_changed_recipe_is_named(tmp_path: Path) -> None:
    out = tmp_path / "run"
    base = ["tournament", "--game", "tic_tac_toe", "--agents", "random,first", "--out", str(out),
            "--json"]  # fmt: skip
    assert runner.invoke(app, [*base, "--games", "4"]).exit_code == 0
    again = runner.invoke(app, [*base, "--games", "4", "--workers", "2"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.output)["resumed_from"] == 4
    changed = runner.invoke(app, [*base, "--games", "6"])
    assert changed.exit_code != 0
    assert "fields that differ: games_per_pairing" in str(changed.exception)
