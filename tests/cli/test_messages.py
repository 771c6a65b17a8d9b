"""Messages of the command line are whole and right: square brackets survive (no console
markup), a YAML error names its file, line and column, a typo in a nested recipe field
lists that model's fields with the close match, and help shows on/off options as flags
with descriptions wrapped as paragraphs."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from redqueen.cli import app, main

ROOT = Path(__file__).resolve().parents[2]
RECIPE = str(ROOT / "recipes" / "repeated_games_llm.yaml")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``redqueen ARGS`` through its real entry point: exit code, stdout, stderr."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("sys.argv", ["redqueen", *args])
        try:
            main()
            code = 0
        except SystemExit as e:
            code = int(e.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_square_brackets_survive_in_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "tournament", "--game", "[bold]x", "--agents", "random,first")
    assert code == 2
    assert "game.id: unknown game '[bold]x'; allowed: bargaining" in err


def test_square_brackets_survive_in_tables(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    recipe = tmp_path / "r.yaml"
    recipe.write_text(
        "name: brackets\ngame: tic_tac_toe\ngames_per_pairing: 2\n"
        "agents: [{kind: random, name: '[bold]rnd'}, {kind: first, name: 'first[1]'}]\n"
    )
    code, out, _ = cli(capsys, "run", str(recipe), "--out", str(tmp_path / "run"))
    assert code == 0
    assert "[bold]rnd" in out and "first[1]" in out


def test_a_yaml_error_names_file_line_and_column(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nagents: [random, first\ngame: tic_tac_toe\n")
    code, _, err = cli(capsys, "run", str(bad))
    assert code == 2
    assert err.splitlines() == [
        f"error: {bad}, line 3, column 5: not valid YAML: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence started at line 2, column 9)",
        "    game: tic_tac_toe",
        "        ^",
    ]
    assert "<unicode string>" not in err


@pytest.mark.parametrize("where", ["set", "yaml"])
def test_a_nested_typo_lists_the_nested_fields_and_the_close_match(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, where: str
) -> None:
    if where == "set":
        args = ["run", RECIPE, "--set", "llm.temprature=0.5"]
    else:
        recipe = tmp_path / "r.yaml"
        recipe.write_text((ROOT / "recipes" / "repeated_games_llm.yaml").read_text().replace(
            "  temperature: 0.0", "  temprature: 0.0"))  # fmt: skip
        args = ["run", str(recipe)]
    code, _, err = cli(capsys, *args, "--out", str(tmp_path / "run"))
    assert code == 2
    assert (
        "  llm.temprature: unknown field; allowed fields of llm: model, base_url, api_key_env, "
        "answer_format, temperature, max_tokens, reasks, on_invalid, max_concurrency, persona, "
        "params; did you mean 'temperature'?"
    ) in err.splitlines()
    assert not (tmp_path / "run").exists()  # refused before anything ran


def test_typos_in_list_items_and_at_the_top_level(capsys: pytest.CaptureFixture[str]) -> None:
    from redqueen.experiments import RecipeError, parse_recipe

    data = {
        "name": "x",
        "game": "tic_tac_toe",
        "agents": [{"kind": "random", "nmae": "r"}, "first"],
    }
    with pytest.raises(RecipeError) as info:
        parse_recipe(data)
    assert (
        "agents.0.nmae: unknown field; allowed fields of agents.0: kind, params, name; "
        "did you mean 'name'?"
    ) in str(info.value)
    with pytest.raises(RecipeError) as info:
        parse_recipe({"name": "x", "game": "tic_tac_toe", "agents": ["random"], "sed": 3})
    assert "sed: unknown field; allowed fields: name, description, kind, seed, game" in str(
        info.value
    )
    assert "did you mean 'seed'?" in str(info.value)
    with pytest.raises(RecipeError) as info:  # nothing close: no guess
        parse_recipe({"name": "x", "game": {"id": "tic_tac_toe", "zzz": 1}, "agents": ["random"]})
    assert "game.zzz: unknown field; allowed fields of game: id, params\n" in str(info.value) + "\n"


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command of the app, with the groups' own help and their commands'."""
    found = [prefix]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


WIDTH = 80


@pytest.mark.parametrize(
    "command", _commands(typer.main.get_command(app)), ids=lambda c: " ".join(("redqueen", *c))
)
def test_help_shows_flags_as_flags_and_whole_paragraphs(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text
    assert re.search(r"--help\s+Show this message", text)
    # the description: the lines between the usage line and the first section heading
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Usage:")) + 1
    end = next(i for i, line in enumerate(lines) if line in ("Arguments:", "Options:"))
    description = lines[start:end]
    for line, following in itertools.pairwise(description):
        if line.strip() and following.strip():  # within a paragraph: filled greedily
            first_word = following.split()[0]
            assert len(line) + 1 + len(first_word) > WIDTH - 2, (line, following)


def test_serve_scripted_help_keeps_its_sentence_whole() -> None:
    result = CliRunner().invoke(app, ["serve-scripted", "--help"], env={"COLUMNS": "100"})
    assert "so tests, CI and demos run the real HTTP path" in " ".join(result.output.split())
    assert re.search(r"tests,\s*\n", result.output) is None
