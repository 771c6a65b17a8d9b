"""The command line starts fast: importing redqueen, its measures, its reports or its
command does not load ``scipy.stats`` (half a second), which is imported where a t
quantile is needed; ``redqueen --help`` loads none of numpy, pydantic, scipy or torch
(the games, recipes and statistics are imported by the commands that use them). Checked
by the modules loaded in a fresh interpreter, not by time."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import redqueen
from redqueen.games.registry import target


@pytest.mark.parametrize(
    "module", ["redqueen", "redqueen.measure", "redqueen.report.html", "redqueen.cli"]
)
def test_import_does_not_load_scipy_stats(module: str) -> None:
    code = f"import sys, {module}; print([m for m in sys.modules if m.startswith('scipy.stats')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_t_quantile_is_still_exact_when_asked_for() -> None:
    from redqueen.measure.statistics import mean_ci, t_value

    assert t_value(0.95, 9) == pytest.approx(2.262157, abs=1e-6)  # the t table's value
    ci = mean_ci([1.0, 2.0, 4.0, 7.0, 11.0])  # no bounds: the Student-t interval
    assert ci.method == "student-t"
    sem = (sum((x - 5.0) ** 2 for x in [1.0, 2.0, 4.0, 7.0, 11.0]) / 4) ** 0.5 / 5**0.5
    assert ci.high - 5.0 == pytest.approx(2.776445 * sem, abs=1e-5)


def test_import_redqueen_does_not_load_the_llm_players() -> None:
    code = (
        "import sys, redqueen; "
        "print(sorted(m for m in sys.modules if m.startswith('redqueen.agents.llm.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # only the cache hook's module; the players, backends and openai load when used
    assert out.stdout.strip() == "['redqueen.agents.llm.context']", out.stdout
    assert "openai" not in subprocess.run(
        [sys.executable, "-c", "import sys, redqueen; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("'")


HEAVY = ("numpy", "pydantic", "scipy", "torch")


def _modules_after_command(*args: str) -> tuple[str, set[str]]:
    """Run ``redqueen ARGS`` in a fresh interpreter: its output and the top-level packages
    it loaded."""
    code = (
        "import sys\n"
        f"sys.argv = ['redqueen', *{list(args)!r}]\n"
        "from redqueen.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('MODULES', *sorted({m.split('.')[0] for m in sys.modules}), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    line = next(x for x in out.stderr.splitlines() if x.startswith("MODULES "))
    return out.stdout, set(line.split()[1:])


def test_help_loads_no_numpy_pydantic_scipy_or_torch() -> None:
    text, modules = _modules_after_command("--help")
    assert "Usage" in text and "tournament" in text  # the help was printed
    assert modules.isdisjoint(HEAVY), sorted(modules & set(HEAVY))


@pytest.mark.parametrize("command", ["run", "tournament", "play"])
def test_command_help_loads_no_numpy_scipy_or_torch(command: str) -> None:
    # pydantic is loaded by typer itself (it checks option values with a TypeAdapter)
    text, modules = _modules_after_command(command, "--help")
    assert "Usage" in text
    assert modules.isdisjoint({"numpy", "scipy", "torch"}), modules & {"numpy", "scipy", "torch"}


def test_import_redqueen_loads_no_numpy_and_keeps_its_names() -> None:
    code = (
        "import sys, redqueen\n"
        "print('numpy' in sys.modules)\n"
        "from redqueen import make, registered, RedqueenError, UnknownNameError\n"
        "from redqueen.agents import Agent, RandomAgent, make_agent\n"
        "from redqueen.agents.llm import LLMAgent\n"
        "from redqueen.games import check_game\n"
        "game = make('tic_tac_toe')\n"
        "print(game.spec.num_players, check_game(game, 3).games_played)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "2", "3"], out.stdout


def test_games_lists_every_game_without_building_one() -> None:
    # the built-in games' rows are read from redqueen/games/catalog.json
    text, modules = _modules_after_command("games", "--json")
    listed = [row["id"] for row in json.loads(text)]
    # the built-in games (other tests in this process may have registered their own)
    assert listed == [g for g in redqueen.registered() if target(g) is not None]
    assert modules.isdisjoint({"numpy", "scipy", "torch", "pyspiel"}), sorted(
        modules & {"numpy", "scipy", "torch", "pyspiel"}
    )
