"""The HTML report of the ``spy_scripted`` and ``spy_llm`` recipe kinds
(:mod:`redqueen.experiments.hidden_spy`).

One self-contained page per run (inline CSS, no scripts, no network), rendered from the
summary rows the experiment computes from the run's store (one row per line-up):

- the line-ups: matches, how often the spy was caught (the civilians' votes put strictly
  most votes on it), the votes on the spy, Vision-Zero's Ψ, the civilians' accuracy,
  N/A and unreadable votes, and how often the clues were true (the civilians' of their
  item, the spy's of both items);
- the mean clue, decision and total rewards of each role;
- each player of a line-up: its measures as the spy and as a civilian;
- the matches with a seat's invalid moves (text clues), the match list, the config and,
  when models played, the LLM usage and transcripts.

Intervals are written with their method and ``n``: ``0.250 [0.046, 0.699] Wilson, 1/4``
for a rate over games, ``... games as unit`` for a rate over votes or clues (the game is
the unit of the interval), ``0.512 [0.450, 0.574] t, n=200`` for a mean. Every string
from a config or a model is escaped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.learning import page_start, write_html
from redqueen.report.llm_games import fmt, match_links, table_html
from redqueen.report.role_games import mean_text, rate_text
from redqueen.report.transcripts import llm_section

REPORT_NAME = "report.html"


def clustered_rate_text(rate: Mapping[str, Any] | None) -> str:
    """A rate over votes or clues whose interval takes the game as the unit."""
    if not rate or not rate.get("n") or rate.get("rate") is None:
        return "– (n=0)"
    if rate.get("low") is None or rate.get("high") is None:
        return f"{fmt(rate['rate'])} ({rate['count']}/{rate['n']}, one game)"
    return (
        f"{fmt(rate['rate'])} [{fmt(rate['low'])}, {fmt(rate['high'])}] Wilson, games as "
        f"unit, {rate['count']}/{rate['n']} in {rate.get('matches', '?')} games"
    )


def lineups_html(rows: Sequence[Mapping[str, Any]]) -> str:
    head = [
        "line-up",
        "games",
        "spy caught",
        "votes on the spy",
        "Ψ",
        "civilian accuracy",
        "N/A votes",
        "unreadable votes",
        "civilians' clues true",
        "spy's clues true in both",
    ]
    body = []
    for r in rows:
        m = r["metrics"]
        body.append(
            [
                r["lineup"],
                f"{r['matches']} ({r['finished']} finished)",
                rate_text(m["spy_caught"]),
                mean_text(m["spy_votes"]),
                mean_text(m["psi"]),
                clustered_rate_text(m["civilian_accuracy"]),
                clustered_rate_text(m["abstain_rate"]),
                clustered_rate_text(m["invalid_rate"]),
                clustered_rate_text(m["civilian_clues_true"]),
                clustered_rate_text(m["spy_clues_true_in_both"]),
            ]
        )
    return table_html(head, body)


def rewards_html(rows: Sequence[Mapping[str, Any]]) -> str:
    head = ["line-up", "role", "clue reward", "decision reward", "total"]
    body = []
    for r in rows:
        for role, parts in r["metrics"]["rewards"].items():
            if parts is None:
                continue
            body.append(
                [
                    r["lineup"],
                    role,
                    mean_text(parts["clue"]),
                    mean_text(parts["decision"]),
                    mean_text(parts["total"]),
                ]
            )
    return table_html(head, body)


def players_html(rows: Sequence[Mapping[str, Any]]) -> str:
    head = [
        "line-up",
        "player (seats)",
        "games as spy",
        "caught as spy",
        "clues true in both, as spy",
        "return as spy",
        "accuracy as civilian",
        "N/A as civilian",
        "clues true, as civilian",
        "return as civilian",
    ]
    body = []
    for r in rows:
        for p in r["players"]:
            spy, civ = p["as_spy"], p["as_civilian"]
            body.append(
                [
                    r["lineup"],
                    f"{p['label']} ({', '.join(str(s) for s in p['seats'])})",
                    spy["games"],
                    rate_text(spy["caught"]),
                    clustered_rate_text(spy["clues_true_in_both"]),
                    mean_text(spy["rewards"]["total"]),
                    clustered_rate_text(civ["accuracy"]),
                    clustered_rate_text(civ["abstain_rate"]),
                    clustered_rate_text(civ["clues_true"]),
                    mean_text(civ["rewards"]["total"]),
                ]
            )
    return table_html(head, body)


def invalid_html(rows: Sequence[Mapping[str, Any]]) -> str:
    head = ["line-up", "matches with an invalid move (empty clue, unreadable vote), per seat"]
    body = [
        [r["lineup"], "; ".join(f"seat {s}: {rate_text(v)}" for s, v in enumerate(r["invalid"]))]
        for r in rows
    ]
    return table_html(head, body)


def spy_report_html(
    config: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    llm: str = "",
) -> str:
    """The whole page (see the module docstring); ``llm`` is the LLM usage section."""
    title = str(config.get("name", "who is the spy"))
    matches = sum(int(r["matches"]) for r in rows)
    subtitle = (
        f"who is the spy · {config.get('kind', '')} · {len(rows)} line-ups · {matches} "
        f"matches stored · seed {config.get('seed', '')}"
    )
    parts = page_start(title, subtitle, "td,th{white-space:normal}details{margin:.3rem 0}")
    if config.get("description"):
        parts.append(f"<p>{escape(str(config['description']))}</p>")
    parts.append(
        "<p class='sub'>Rates over games: 95% Wilson score intervals, with count/n. Rates "
        "over votes or clues: Wilson intervals at the effective sample size with the game "
        "as the unit. Means: 95% Student-t intervals, with n (games; for a role's rewards, "
        "seats in games).</p>"
    )
    if not matches:
        parts.append("<p>No matches yet.</p>")
    else:
        parts += [
            "<h2>Line-ups</h2>",
            lineups_html(rows),
            "<h2>Rewards by role (Vision-Zero's clue and decision components)</h2>",
            rewards_html(rows),
            "<h2>Each player as the spy and as a civilian</h2>",
            players_html(rows),
            "<h2>Invalid moves</h2>",
            invalid_html(rows),
        ]
    if keys:
        parts += ["<h2>Matches</h2>", match_links(keys)]
    text = json.dumps(config, indent=2, sort_keys=True, default=str)
    parts += ["<h2>Config</h2>", f"<pre>{escape(text)}</pre>", llm, "</body></html>"]
    return "\n".join(parts)


def write_spy_report(
    run_dir: str | Path,
    config: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
) -> Path:
    """Write the report into ``run_dir``; return its path. ``rows``: one summary row per
    line-up; ``keys``: the stored matches, in schedule order."""
    run_dir = Path(run_dir)
    return write_html(
        run_dir / REPORT_NAME, spy_report_html(config, rows, keys, llm_section(run_dir))
    )
