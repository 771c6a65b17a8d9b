"""LLM players in flight at once: wall time against the ideal calls x delay / concurrency.

    python benchmarks/llm_concurrency.py [--delay 1.0] [--concurrency 16] [--matches 32]
                                         [--rounds 3] [--ta-matches 2]

A scripted TEST server (``redqueen serve-scripted``, in a separate process, answering
every request after ``--delay`` seconds) stands in for a model. redqueen plays
``--matches`` matches of the repeated prisoner's dilemma (``--rounds`` rounds, both seats
LLM players) and of tic-tac-toe on one asyncio event loop, with at most
``--concurrency`` requests in flight to the server; the target is a wall time within 10%
of calls x delay / concurrency on the prisoner's dilemma (every round is two calls, so the
requests come in full waves). The gap to the ideal is about concurrency x the client's
CPU time per call (a few ms: the openai client, the agent, the event loop) / delay, so it
shrinks as the delay grows toward a real model's latency (seconds): on a shared 2-core
machine, 1.06 at 1.0 s and 1.14 at 0.5 s with concurrency 16.

If textarena is installed, the same tic-tac-toe games (TextArena's ``TicTacToe-v0``) are
played through TextArena's own one-at-a-time loop (``get_observation`` -> agent ->
``step``) with an agent that calls the same server through the synchronous ``openai``
client: its ideal is calls x delay. Prints a table, then ONE line of JSON with the
figures and the ratios.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import subprocess
import sys
import time
import urllib.request
from typing import Any

import redqueen
from redqueen.agents.llm import LLMAgent
from redqueen.agents.llm.parsing import extract_answer
from redqueen.agents.llm.prompts import decision_message, system_prompt
from redqueen.play.async_runner import run_matches_async
from redqueen.play.schedule import round_robin


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(delay: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    command = [sys.executable, "-m", "redqueen.cli", "serve-scripted", "--port", str(port)]
    command += ["--strategy", "random", "--delay", str(delay)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/models", timeout=1):
                return process, url
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("the scripted test server did not start")


def play_redqueen(
    game_id: str, params: dict[str, Any], url: str, matches: int, concurrency: int
) -> dict[str, Any]:
    game = redqueen.make(game_id, **params)
    agents = [
        LLMAgent(
            model="scripted",
            base_url=url,
            api_key_env=None,
            cache=False,
            max_concurrency=concurrency,
            temperature=0.0,
        )
        for _ in range(2)
    ]
    schedule = round_robin(2, 2, matches, seed=1)
    run_matches_async(game, agents, schedule[:1])  # warm up: imports, the client
    start = time.perf_counter()
    run = run_matches_async(game, agents, schedule, max_in_flight=10_000)
    wall = time.perf_counter() - start
    assert not run.failed, run.failed[:1]
    simultaneous = game_id == "repeated"
    calls = sum(r.length * (2 if simultaneous else 1) for _, r in run.done)
    return {"matches": len(run.done), "calls": calls, "wall_s": wall}


def play_textarena(url: str, matches: int) -> dict[str, Any] | None:
    try:
        import textarena as ta
    except ImportError:
        return None
    import openai

    client = openai.OpenAI(base_url=url, api_key="EMPTY", max_retries=0)
    rules = "Tic-tac-toe (TextArena TicTacToe-v0); the messages below are the game's."
    system = system_prompt(rules, "boxed")
    calls = 0

    def agent(observation: str) -> str:
        nonlocal calls
        line = [x for x in observation.splitlines() if x.startswith("Available Moves:")][-1]
        moves = [m.strip(" '") for m in line.removeprefix("Available Moves:").split(",")]
        reply = client.chat.completions.create(
            model="scripted",
            messages=[
                {"role": "system", "content": system},
                {"role": "user", "content": decision_message(observation, moves, "boxed")},
            ],
            temperature=0.0,
            max_tokens=64,
            seed=calls,
        )
        calls += 1
        return extract_answer(reply.choices[0].message.content or "", "boxed") or "[0]"

    agent("Available Moves: '[0]'")  # warm up the client
    calls = 0
    start = time.perf_counter()
    for k in range(matches):
        env = ta.make("TicTacToe-v0")
        env.reset(num_players=2, seed=k)
        done = False
        while not done:
            _, observation = env.get_observation()
            done, _ = env.step(agent(observation))
        env.close()
    wall = time.perf_counter() - start
    return {"matches": matches, "calls": calls, "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=1.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--matches", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ta-matches", type=int, default=2)
    args = parser.parse_args()
    process, url = start_server(args.delay)
    try:
        pd = play_redqueen(
            "repeated",
            {"stage": "prisoners_dilemma", "rounds": args.rounds},
            url,
            args.matches,
            args.concurrency,
        )
        ttt = play_redqueen("tic_tac_toe", {}, url, args.matches, args.concurrency)
        ta_run = play_textarena(url, args.ta_matches)
    finally:
        process.terminate()
        process.wait(timeout=10)
    for figures in (pd, ttt):
        figures["ideal_s"] = figures["calls"] * args.delay / args.concurrency
        figures["ratio_to_ideal"] = figures["wall_s"] / figures["ideal_s"]
        figures["calls_per_s"] = figures["calls"] / figures["wall_s"]
    rows = [("redqueen repeated PD", pd), ("redqueen tic_tac_toe", ttt)]
    if ta_run is not None:
        ta_run["ideal_s"] = ta_run["calls"] * args.delay
        ta_run["ratio_to_ideal"] = ta_run["wall_s"] / ta_run["ideal_s"]
        ta_run["calls_per_s"] = ta_run["calls"] / ta_run["wall_s"]
        rows.append(("textarena TicTacToe loop", ta_run))
    print(f"delay {args.delay} s, concurrency {args.concurrency}, {platform.processor() or ''}")
    print(f"{'run':28} {'matches':>7} {'calls':>6} {'wall s':>8} {'ideal s':>8} {'ratio':>6}")
    for name, f in rows:
        print(
            f"{name:28} {f['matches']:>7} {f['calls']:>6} {f['wall_s']:>8.2f} "
            f"{f['ideal_s']:>8.2f} {f['ratio_to_ideal']:>6.3f}"
        )
    summary: dict[str, Any] = {
        "benchmark": "llm_concurrency",
        "delay_s": args.delay,
        "concurrency": args.concurrency,
        "redqueen_repeated_pd": pd,
        "redqueen_tic_tac_toe": ttt,
        "textarena_tic_tac_toe": ta_run,
        "pd_within_10pct_of_ideal": pd["ratio_to_ideal"] <= 1.10,
        "throughput_vs_textarena": (
            ttt["calls_per_s"] / ta_run["calls_per_s"] if ta_run is not None else None
        ),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
