"""``redqueen show``: the listing numbers every match and the argument takes the same
numbers; calls that belong to a finished match are not called unfinished; each call says
what it asked for (a move, a prediction, a text-only move, free text); the seats header
says each description once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from redqueen.agents.llm.beliefs import PREDICTION_QUESTION
from redqueen.agents.llm.calls import CallRecord
from redqueen.agents.llm.prompts import decision_message
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.cli import app
from redqueen.experiments.base import parse_recipe
from redqueen.play.match import MatchResult
from redqueen.play.schedule import ScheduledMatch
from redqueen.store.llm_cache import LLMStore
from redqueen.store.run_store import DB_NAME, RunStore

runner = CliRunner()
LONG = "llm:model=scripted,system_prompt_extra=" + "a strategy written in many words " * 6


def show(*args: str) -> str:
    done = runner.invoke(app, ["show", *args])
    assert done.exit_code == 0, done.output
    return done.output


def call(key: str, seat: int | None, n: int, user: str, action: int | None) -> CallRecord:
    messages = [{"role": "system", "content": "rules"}, {"role": "user", "content": user}]
    agent = "llm" if seat is not None else LONG
    reply = "\\boxed{x}"
    return CallRecord(
        key, seat, n, agent, "scripted", messages, reply, action, 5, 2, 0.5, 0.0, False
    )


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """A run with one stored match of 12 seats (key m/3, schedule index 3) and calls of
    every kind, calls for it under m/3/notes, and calls of a match not stored (m/4)."""
    with RunStore(tmp_path) as store:
        agents = (LONG,) * 11 + ("random",)
        result = MatchResult("g", 1, (1.0,) * 12, 5, (1,) + (0,) * 11, (), agents)
        store.record_match(ScheduledMatch("m/3", 3, tuple(range(12)), 1), result)
    move = decision_message("view", ["cooperate", "defect"], "boxed")
    predict = decision_message(f"view\n\n{PREDICTION_QUESTION}", ["Option J", "Option F"], "boxed")
    with LLMStore(tmp_path / DB_NAME) as calls:
        calls.record_call(call("m/3", 0, 0, predict, 1))
        calls.record_call(call("m/3", 0, 1, move, 0))
        calls.record_call(call("m/3", 0, 2, move, None))
        calls.record_call(
            call("m/3", 1, 0, decision_message("[GAME] go: '[4]'", [], "boxed"), None)
        )
        calls.record_call(call("m/3/notes", None, 0, "Write a strategy.", None))
        calls.record_call(call("m/4", 0, 0, move, 1))
    return tmp_path


def test_listing_numbers_and_finished_calls(run: Path) -> None:
    assert show(str(run)).splitlines() == [
        f"{run}: LLM calls under 3 keys; print a match's with redqueen show {run} N (its "
        "number) or KEY",
        "  3  m/3: 4 calls",
        "  -  m/3/notes: 1 call (calls for match 3, m/3: finished)",
        "  -  m/4: 1 call (not finished)",
    ]
    assert show(str(run), "3") == show(str(run), "m/3") == show(str(run), "#3")
    assert show(str(run), "m/4").startswith("match m/4 (not finished)\n")
    assert show(str(run), "m/3/notes").startswith(
        "calls m/3/notes, for match m/3 (number 3, finished)\n"
    )
    missing = runner.invoke(app, ["show", str(run), "4"])  # m/4 has no number yet
    assert missing.exit_code != 0
    assert "matches with calls: 3 (m/3), m/3/notes, m/4" in str(missing.exception)


def test_each_call_says_what_it_asked_for_and_seats_are_said_once(run: Path) -> None:
    text = show(str(run), "3")
    head = text.split("\n\n")[0].splitlines()
    assert head == [
        "match m/3 (number 3)",
        "  seats:",
        f"    0-10: {LONG[:99]}…",
        "    11: random",
        "  returns: [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]",
        "  invalid moves: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]",
    ]
    outcomes = [line for line in text.splitlines() if line.startswith(("──", "=>"))]
    assert [line.split(" · scripted")[0] for line in outcomes[::2]] == [
        "── seat 0 (llm) · call 0 · prediction of the other player's move",
        "── seat 0 (llm) · call 1 · move",
        "── seat 0 (llm) · call 2 · move",
        "── seat 1 (llm) · call 0 · a move of a text-only game",
    ]
    assert outcomes[1::2] == [
        "=> predicts the other player's action 1 (Option F)",
        "=> action 0",
        "=> no legal move in the reply (an invalid move)",
        "=> (the reply is the move; the game judges it)",
    ]
    notes = show(str(run), "m/3/notes")
    assert f"── {LONG[:99]}… · call 0 · a free-text answer, no move" in notes
    assert "=> (a free-text answer: no move was asked for)" in notes
    assert "seat None" not in notes and "invalid" not in notes


def _llm(server: ScriptedServer) -> dict[str, Any]:
    return {"model": "scripted", "base_url": server.url, "api_key_env": None}


def test_a_tournament_listing_in_schedule_order_with_the_numbers_show_takes(
    tmp_path: Path,
) -> None:
    with ScriptedServer("first") as server:
        data = {
            "name": "t",
            "game": {"id": "tic_tac_toe"},
            "agents": [{"kind": "llm", "params": _llm(server)}, "random"],
            "games_per_pairing": 12,
        }
        parse_recipe(data).run(tmp_path)
    with RunStore(tmp_path) as store:
        schedule = {m.index: m.key for m, _ in store.matches()}
    rows = show(str(tmp_path)).splitlines()[1:]
    assert [row.split()[0] for row in rows] == [str(i) for i in range(12)]
    # the listing's 11th row is match 10 (sorting keys as text would put g0-1:n10 third)
    number, key = rows[10].split()[:2]
    assert (number, key) == ("10", f"{schedule[10]}:")
    assert show(str(tmp_path), "10").startswith(f"match {schedule[10]} (number 10)\n")


def test_donor_generations_are_finished_and_their_strategy_calls_are_chats(
    tmp_path: Path,
) -> None:
    with ScriptedServer("first") as server:
        data = {
            "name": "dc",
            "kind": "donor_cultural_evolution",
            "llm": _llm(server),
            "agents": 4,
            "rounds": 1,
            "generations": 1,
        }
        parse_recipe(data).run(tmp_path)
    listing = show(str(tmp_path))
    assert "not finished" not in listing
    assert "  0  generation/0: 4 calls" in listing
    assert (
        "  -  generation/0/strategies: 4 calls (calls for match 0, generation/0: finished)"
        in listing
    )
    strategies = show(str(tmp_path), "generation/0/strategies")
    assert "seat None" not in strategies and "(none: invalid)" not in strategies
    assert strategies.count("=> (a free-text answer: no move was asked for)") == 4
    seats = show(str(tmp_path), "0").split("\n\n")[0].splitlines()
    assert seats[1:3] == ["  seats:", seats[2]] and seats[2].startswith("    0-3: llm:")
    assert len(seats[2]) <= len("    0-3: ") + 100
