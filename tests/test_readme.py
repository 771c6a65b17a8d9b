"""The README tells the truth: its two set-up commands, every Python snippet (each run on
its own, as a script in a fresh interpreter, with what it prints checked), its commands,
and the claims it makes about recipes. The rest of the tour lives in docs/,
whose examples tests/test_docs.py runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _bash_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", README, flags=re.S)


def test_two_setup_commands_and_ci_runs_the_second() -> None:
    first, second = (b.strip() for b in _bash_blocks()[:2])
    assert first == "python -m pip install -e . && redqueen run recipes/quickstart.yaml"
    assert second == 'python -m pip install -c .ci/constraints.txt -e ".[test]" && python -m pytest'
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert ci[-1] == second


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def _run_snippet(code: str, tmp_path: Path) -> str:
    """Run one README snippet as a script in a fresh interpreter (in an empty directory);
    return what it printed."""
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{code}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _comment_claims(block: str) -> list[str]:
    """What the block's ``print`` lines say they print: a trailing comment that starts
    like a value (``# [0, 1]``, ``# (15.0, 15.0): ...``), up to a ``": "`` note."""
    found = re.findall(r"^print\(.*\)\s+# ([\[(\d].*?)(?:: .*)?$", block, flags=re.M)
    return [claim.strip() for claim in found if "..." not in claim]


def test_every_python_snippet_runs_on_its_own(tmp_path: Path) -> None:
    """Each ```python block runs as a script in a fresh interpreter, prints what the
    test expects, and prints what its own comments say it prints."""
    blocks = _python_blocks()
    assert len(blocks) == 3
    games, agents, llm = blocks

    out = _run_snippet(games, tmp_path).splitlines()
    assert out[0] == str([(0, 1 / 3), (1, 1 / 3), (2, 1 / 3)])
    assert "Your card: K." in out
    assert out[-3:] == [
        "[0, 1]",
        "bet 1",
        "illegal action 7 for player 0; legal: 0 (pass), 1 (bet)",
    ]
    assert _comment_claims(games) == ["[0, 1]"] and "[0, 1]" in out

    out = _run_snippet(agents, tmp_path).splitlines()
    assert out == ["(1.0, -1.0) 5 (0, 0)", "20 ['random', 'minimax:depth=2']"]
    assert _comment_claims(agents) == out

    pytest.importorskip("openai", reason="the LLM snippet needs the llm extra (openai)")
    out = _run_snippet(llm, tmp_path).splitlines()
    assert out == ["(15.0, 15.0)"] == _comment_claims(llm)
    assert "from redqueen.agents.llm import LLMAgent" in llm  # where LLMAgent comes from


def test_recipe_claims() -> None:
    """The Axelrod recipe's comment and the README say Tit For Tat ranks 4th."""
    from redqueen.experiments import load_recipe

    recipe = load_recipe(ROOT / "recipes" / "axelrod_first_tournament.yaml")
    assert "ranks 4th" in (ROOT / "recipes" / "axelrod_first_tournament.yaml").read_text()
    assert "ranks 4th" in README
    ranking = recipe.model_copy(update={"replicator_steps": 10}).run(None).to_dict()["ranking"]
    assert [r["name"] for r in ranking[:4]] == [
        "First by Stein and Rapoport",
        "First by Grofman",
        "First by Shubik",
        "Tit For Tat",
    ]
    assert ranking[3]["median_score"] == pytest.approx(2.499, abs=5e-4)


def _cli_block_commands() -> list[str]:
    """The commands of the README's command-line block, continuation lines joined."""
    block = README.split("**The command line**", 1)[1]
    body = re.search(r"```bash\n(.*?)```", block, flags=re.S)
    assert body is not None
    text = body.group(1).replace("\\\n", " ")
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.strip()]


def test_every_command_of_the_readme_runs(tmp_path: Path) -> None:
    import shlex
    import shutil
    import subprocess
    import sys

    shutil.copytree(ROOT / "recipes", tmp_path / "recipes")
    commands = _cli_block_commands()
    assert len(commands) >= 6
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "redqueen"
        if words[1] == "play":
            continue  # interactive: covered by tests/cli with scripted input
        done = subprocess.run(
            [sys.executable, "-m", "redqueen.cli", *words[1:]],
            cwd=tmp_path, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    assert (tmp_path / "runs" / "kuhn" / "report.html").is_file()
    assert (tmp_path / "runs" / "quickstart" / "report.html").is_file()
    assert (tmp_path / "policies" / "leduc_poker-cfr+.json").is_file()


def test_ordinal_2x2_is_described_the_same_everywhere() -> None:
    """``redqueen games`` (the registry's summary), the game's docstrings and the docs
    agree: the index is redqueen's own numbering, not Robinson and Goforth's."""
    from redqueen.games import matrix
    from redqueen.games.registry import summary

    docs = (ROOT / "docs" / "games.md").read_text()
    assert "It is not the numbering of Robinson and Goforth's periodic table" in docs
    for text in (summary("ordinal_2x2"), matrix.__doc__ or "", matrix.ordinal_2x2.__doc__ or ""):
        flat = " ".join(text.split())
        assert "Goforth's numbering" not in flat and "games of Robinson and Goforth" not in flat
        assert "own numbering" in flat or "ours" in flat, flat
