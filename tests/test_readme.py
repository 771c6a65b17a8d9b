"""The README tells the truth: its two set-up commands, its first look and its commands.
The rest of the tour lives in docs/, whose examples tests/test_docs.py runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import redqueen
from redqueen.agents import RandomAgent, make_agent
from redqueen.errors import IllegalActionError
from redqueen.play import play_match, tournament

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


def test_tour_claims() -> None:
    game = redqueen.make("kuhn_poker")
    state = game.new_initial_state()
    assert state.chance_outcomes() == [(c, pytest.approx(1 / 3)) for c in range(3)]
    state.apply_action(2)
    state.apply_action(0)
    assert "Your card: K" in state.observation_text(0)
    assert state.legal_actions() == [0, 1]
    assert (state.action_text(1), state.parse_action("bet")) == ("bet", 1)
    with pytest.raises(IllegalActionError, match=r"legal: 0 \(pass\), 1 \(bet\)"):
        state.apply_action(7)
    result = play_match(
        redqueen.make("tic_tac_toe"), [make_agent("minimax"), RandomAgent()], seed=1
    )
    assert result.returns[0] >= 0
    t = tournament(
        redqueen.make("connect_four"),
        [RandomAgent(), make_agent("minimax", depth=2)],
        games_per_pairing=2,
        workers=2,
    )
    assert len(t.matches) == 2


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
