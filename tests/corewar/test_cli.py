"""``redqueen corewar battle`` and ``redqueen corewar hill``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from redqueen.cli import app
from redqueen.games.corewar import battle, load_warrior

runner = CliRunner()


def test_battle_json_matches_the_api(warriors_dir: Path) -> None:
    a, b = warriors_dir / "dwarf.red", warriors_dir / "imp.red"
    args = ["corewar", "battle", str(a), str(b), "--rounds", "20", "--position", "1000", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    got = json.loads(result.output)
    ref = battle([load_warrior(a), load_warrior(b)], rounds=20, first_position=1000)
    assert got["rounds"] == 20
    assert got["wins"] == ref.wins and got["losses"] == ref.losses and got["ties"] == ref.ties
    # Dwarf never loses to Imp; the two can only tie otherwise (pMARS -F 1000 -r 20: 6/0/14)
    assert got["wins"] == [6, 0] and got["ties"] == [14, 14] and got["losses"] == [0, 6]


def test_battle_table_and_errors(warriors_dir: Path) -> None:
    imp = str(warriors_dir / "imp.red")
    result = runner.invoke(app, ["corewar", "battle", imp, imp, "--rounds", "2", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "Imp" in result.output
    one = runner.invoke(app, ["corewar", "battle", str(warriors_dir / "imp.red")])
    assert one.exit_code != 0
    assert "at least two" in str(one.exception)


def test_hill_ranks_every_warrior(tmp_path: Path, warriors_dir: Path) -> None:
    for name in ("dwarf.red", "imp.red", "mice.red"):
        shutil.copy(warriors_dir / name, tmp_path / name)
    result = runner.invoke(app, ["corewar", "hill", str(tmp_path), "--rounds", "4", "--json"])
    assert result.exit_code == 0, result.output
    hill = json.loads(result.output)["hill"]
    assert sorted(r["file"] for r in hill) == ["dwarf.red", "imp.red", "mice.red"]
    assert [r["score"] for r in hill] == sorted((r["score"] for r in hill), reverse=True)
    for r in hill:  # each plays 2 pairings of 4 rounds
        assert r["wins"] + r["losses"] + r["ties"] == 8
        assert r["score"] == 3 * r["wins"] + r["ties"]
    table = runner.invoke(app, ["corewar", "hill", str(tmp_path), "--rounds", "2"])
    assert table.exit_code == 0 and "Mice" in table.output


def test_strict_icws94_option_reaches_the_assembler(tmp_path: Path, warriors_dir: Path) -> None:
    outside = tmp_path / "outside.red"
    outside.write_text(";redcode-94\nORG 3\nDAT 0, 0\n")  # pMARS starts it in empty core
    imp = str(warriors_dir / "imp.red")
    args = ["corewar", "battle", str(outside), imp, "--position", "1000", "--json"]
    loose = runner.invoke(app, args)
    assert loose.exit_code == 0, loose.output
    assert json.loads(loose.output)["wins"] == [0, 1]
    strict = runner.invoke(app, [*args, "--strict-icws94"])
    assert strict.exit_code != 0
    assert "start offset 3 is outside the warrior" in str(strict.exception)
