"""The run store keeps every result, refuses duplicates, and a SIGKILLed run resumes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import redqueen
from redqueen.agents import RandomAgent
from redqueen.errors import RedqueenError
from redqueen.experiments import parse_recipe
from redqueen.play import MatchResult, ScheduledMatch, play_match, round_robin
from redqueen.store import RunMismatchError, RunStore


def test_round_trip_and_duplicates(tmp_path: Path) -> None:
    game = redqueen.make("kuhn_poker")
    schedule = round_robin(2, 2, 3, seed=1)
    with RunStore(tmp_path / "run") as store:
        assert store.bind_config({"a": 1}) is False
        store.record_agents(["r1", "r2"], [{"kind": "random"}, {"kind": "random"}])
        results = []
        for m in schedule:
            r = play_match(game, [RandomAgent(), RandomAgent()], m.seed)
            store.record_match(m, r)
            results.append((m, r))
        with pytest.raises(RedqueenError, match="already stored"):
            store.record_match(schedule[0], results[0][1])
        store.log_metric("loss", 0.5, step=1)
        store.log_metric("loss", 0.25, step=2)
    with RunStore(tmp_path / "run") as store:
        assert store.bind_config({"a": 1}) is True
        assert list(store.matches()) == results
        assert store.completed_keys() == {m.key for m in schedule}
        assert store.agent_names() == ["r1", "r2"]
        assert store.metrics("loss") == [(1, 0.5), (2, 0.25)]
        with pytest.raises(RunMismatchError, match="different config"):
            store.bind_config({"a": 2})


RECIPE = {
    "name": "killme",
    "game": "tic_tac_toe",
    "agents": ["random", "first", "random"],
    "games_per_pairing": 1500,
    "seed": 11,
}


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM matches").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _children(pid: int) -> set[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _describe(pids: list[int]) -> str:
    """State, parent and command line of each process, to say why it is still there."""
    lines = []
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text().splitlines()
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError as err:
            lines.append(f"{pid}: {err}")
            continue
        fields = [line for line in status if line.startswith(("State", "PPid", "Threads"))]
        lines.append(f"{pid}: {'; '.join(fields)}; {cmd[:200]}")
    return "\n".join(lines)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_mid_run_then_resume_loses_and_duplicates_nothing(
    tmp_path: Path, workers: int
) -> None:
    recipe_file = tmp_path / "killme.yaml"
    # Two workers play faster: give them more to do, so the kill lands mid-run.
    games = RECIPE["games_per_pairing"] * workers
    recipe = {**RECIPE, "workers": workers, "games_per_pairing": games}
    recipe_file.write_text(json.dumps(recipe))  # JSON is YAML
    run_dir = tmp_path / "run"
    command = [sys.executable, "-m", "redqueen.cli", "run", str(recipe_file), "--out", str(run_dir)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Output goes to a file: an unread pipe could fill and stall the run.
    log = (tmp_path / "killed-run.log").open("w")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    db = run_dir / "run.sqlite"
    deadline = time.monotonic() + 120
    while _count(db) < 300:
        assert proc.poll() is None, (
            f"run ended (rc={proc.returncode}) before it could be killed, with "
            f"{_count(db)} matches stored:\n{(tmp_path / 'killed-run.log').read_text()}"
        )
        assert time.monotonic() < deadline, "run made no progress"
        time.sleep(0.01)
    pool = _children(proc.pid) if workers > 1 else set()
    if workers > 1:
        assert len(pool) >= workers, f"the pool's worker processes were not found: {pool}"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    log.close()
    # Workers notice their parent is gone and exit, rather than playing on for nobody.
    deadline = time.monotonic() + 30
    while any(_alive(p) for p in pool) and time.monotonic() < deadline:
        time.sleep(0.1)
    survivors = [p for p in pool if _alive(p)]
    assert not survivors, f"pool workers outlived the killed run: {_describe(survivors)}"
    assert proc.returncode == -signal.SIGKILL
    killed_at = _count(db)
    total = 3 * games
    assert 300 <= killed_at < total

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "matches were already stored" in done.stdout

    with RunStore(run_dir) as store:
        resumed = list(store.matches())
    keys = [m.key for m, _ in resumed]
    assert len(keys) == total == len(set(keys))
    # The same run never interrupted, in memory: identical matches and results.
    expected = {m.key: r for m, r in round_robin_results(recipe)}
    assert {m.key: r for m, r in resumed} == expected
    assert (run_dir / "report.html").is_file()
    summary = json.loads((run_dir / "results.json").read_text())
    assert summary["matches"] == total


def round_robin_results(recipe: dict[str, object]) -> list[tuple[ScheduledMatch, MatchResult]]:
    from redqueen.experiments.tournament import build_agents
    from redqueen.play.runners import run_matches

    parsed = parse_recipe(recipe)
    game = redqueen.make(parsed.game.id, **parsed.game.params)
    agents, _ = build_agents(parsed)
    schedule = round_robin(len(agents), game.num_players, parsed.games_per_pairing, parsed.seed)
    return run_matches(game, agents, schedule)
