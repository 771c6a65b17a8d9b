"""The HTML report of the ``role_games`` recipe kind (:mod:`redqueen.experiments.role_games`).

One self-contained page per run (inline CSS, no scripts, no network), rendered from the
summary rows the experiment computes from the run's store (one row per game and
line-up), so ``redqueen report RUN`` works on a finished run and on one still going.
Each game has a section: every seat's mean return, invalid-move and forfeit rates, then
the paper's metrics:

- ``proposer_solver`` (PasoDoble, MAE, SSP): the solver's pass rate, the share of tasks
  in PasoDoble's band ``0.2 < p < 1``, the mean rewards (under the game's preset and
  re-scored under each), invalid proposals, and the pass rate per family and difficulty;
- ``critic_game`` (SPC): the accuracies on correct and erroneous steps, their mean and
  harmonic mean, valid verdicts, and the accuracy by error type;
- ``red_team`` (Self-RedTeam): attack success, refusal rates on harmful and on benign
  seeds, removed ties, mean rewards, and Self-BLEU and distinct-n of the attacks;
- ``preference_game`` (SPPO): the mean payoff, each seat's empirical mixed strategy with
  its NashConv and exploitability, and the von Neumann winner;
- ``preference_text`` (SPPO with written responses): each seat's mean ``P`` (as paid and
  over the matches the judge decided), seat 0's wins, draws and losses, judge failures.

Every interval is written with its method and ``n`` beside it: ``0.250 [0.046, 0.699]
Wilson, 1/4`` for a rate (95% Wilson score interval, count/n), ``0.512 [0.450, 0.574] t,
n=200`` for a mean (95% Student-t interval). Every string from a config, a match key or
a model is escaped.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.learning import page_start, write_html
from redqueen.report.llm_games import fmt, match_links, table_html
from redqueen.report.transcripts import llm_section

REPORT_NAME = "report.html"

_TITLES = {
    "proposer_solver": "proposer and solver (PasoDoble, MAE, SSP)",
    "critic_game": "sneaky generator and critic (SPC)",
    "red_team": "attacker and defender (Self-RedTeam)",
    "preference_game": "preference game (SPPO, SPO)",
    "preference_text": "preference game with written responses (SPPO, SPO)",
}


# ---- cells ------------------------------------------------------------------------------------


def rate_text(rate: Mapping[str, Any] | None) -> str:
    """A rate with its 95% Wilson interval, the method and count/n:
    ``0.250 [0.046, 0.699] Wilson, 1/4``; ``– (n=0)`` with no observations."""
    if not rate or not rate.get("n") or rate.get("rate") is None:
        return "– (n=0)"
    return (
        f"{fmt(rate['rate'])} [{fmt(rate['low'])}, {fmt(rate['high'])}] Wilson, "
        f"{rate['count']}/{rate['n']}"
    )


def mean_text(mean: Mapping[str, Any] | None) -> str:
    """A mean with its 95% Student-t interval, the method and n:
    ``0.512 [0.450, 0.574] t, n=200``; without an interval for n = 1."""
    if not mean or not mean.get("n") or mean.get("mean") is None:
        return "– (n=0)"
    if mean.get("low") is None or mean.get("high") is None:
        return f"{fmt(mean['mean'])} (n={mean['n']})"
    return f"{fmt(mean['mean'])} [{fmt(mean['low'])}, {fmt(mean['high'])}] t, n={mean['n']}"


def strategy_text(strategy: Sequence[float] | None, names: Sequence[str]) -> str:
    """A mixed strategy as ``A 0.200, B 0.350, ...`` (response letters)."""
    if strategy is None:
        return "–"
    letters = [n.removeprefix("Response ") for n in names]
    return ", ".join(f"{a} {fmt(p)}" for a, p in zip(letters, strategy, strict=True))


def _per_seat(values: Sequence[Mapping[str, Any]], cell: Any) -> str:
    return "; ".join(f"seat {s}: {cell(v)}" for s, v in enumerate(values))


# ---- tables per game ---------------------------------------------------------------------------


def seats_table_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """Every line-up's players, matches, each seat's mean return, invalid-move matches and
    forfeits."""
    head = [
        "line-up",
        "seats",
        "matches (finished)",
        "mean return per seat",
        "matches with an invalid move, per seat",
        "forfeits, per seat",
    ]
    body = [
        [
            r["lineup"],
            " | ".join(r["seats"]),
            f"{r['matches']} ({r['finished']})",
            _per_seat(r["returns"], mean_text),
            _per_seat(r["invalid"], rate_text),
            _per_seat(r["forfeits"], rate_text),
        ]
        for r in rows
    ]
    return table_html(head, body)


def proposer_solver_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """Pass rates, the PasoDoble band, rewards (by preset) and the pass rate per task."""
    head = [
        "line-up",
        "preset",
        "solver pass rate (attempts)",
        "pass rate per task",
        "tasks in band 0.2 < p < 1",
        "mean proposer reward",
        "mean solver reward",
        "invalid proposals",
        "unreadable answers",
        "PasoDoble anti-hack filter",
    ]
    body = []
    presets = []
    tasks = []
    for r in rows:
        m = r["metrics"]
        body.append(
            [
                r["lineup"],
                m["preset"],
                rate_text(m["pass_rate"]),
                mean_text(m["pass_rate_per_task"]),
                rate_text(m["in_band"]),
                mean_text(m["proposer_reward"]),
                mean_text(m["solver_reward"]),
                rate_text(m["invalid_proposals"]),
                rate_text(m["unreadable_answers"]),
                rate_text(m["filtered"]),
            ]
        )
        for preset, means in m["by_preset"].items():
            presets.append(
                [
                    r["lineup"],
                    preset + (" (played)" if preset == m["preset"] else ""),
                    mean_text(means["proposer_reward"]),
                    mean_text(means["solver_reward"]),
                ]
            )
        for t in m["by_task"]:
            tasks.append(
                [
                    r["lineup"],
                    t["family"],
                    "–" if t["difficulty"] is None else str(t["difficulty"]),
                    t["matches"],
                    rate_text(t["pass_rate"]),
                    rate_text(t["in_band"]),
                ]
            )
    return (
        table_html(head, body)
        + "<h3>Rewards re-scored under each preset (same attempts)</h3>"
        + table_html(["line-up", "preset", "mean proposer reward", "mean solver reward"], presets)
        + "<details><summary>Pass rate per family and difficulty</summary>"
        + table_html(["line-up", "family", "difficulty", "tasks", "pass rate", "in band"], tasks)
        + "</details>"
    )


def critic_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """SPC's accuracies, their mean and harmonic mean, and the accuracy by error type."""
    head = [
        "line-up",
        "accuracy on correct steps",
        "accuracy on erroneous steps",
        "mean",
        "harmonic mean",
        "valid verdicts",
        "steps shown as written",
    ]
    body = []
    by_type = []
    for r in rows:
        m = r["metrics"]
        body.append(
            [
                r["lineup"],
                rate_text(m["correct_steps"]),
                rate_text(m["erroneous_steps"]),
                fmt(m["mean"]),
                fmt(m["harmonic_mean"]),
                rate_text(m["valid"]),
                rate_text(m["steps_as_written"]),
            ]
        )
        for kind, rate in m["by_error"].items():
            by_type.append([r["lineup"], kind, rate_text(rate)])
    return (
        table_html(head, body)
        + "<h3>Accuracy on erroneous steps by error type</h3>"
        + table_html(["line-up", "error type", "accuracy"], by_type)
    )


def red_team_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """Attack success, refusal rates, removed ties, rewards and the attacks' diversity."""
    head = [
        "line-up",
        "removed (ties)",
        "attack success (harmful responses)",
        "refusals on harmful seeds",
        "refusals on benign seeds",
        "attacks labelled as their seed",
        "mean attacker reward",
        "mean defender reward",
        "judge",
    ]
    body = []
    diversity = []
    for r in rows:
        m = r["metrics"]
        body.append(
            [
                r["lineup"],
                rate_text(m["removed"]),
                rate_text(m["attack_success"]),
                rate_text(m["refusal_harmful_seeds"]),
                rate_text(m["refusal_benign_seeds"]),
                rate_text(m["faithful_attacks"]),
                mean_text(m["attacker_reward"]),
                mean_text(m["defender_reward"]),
                ", ".join(m["judges"]) or "–",
            ]
        )
        d = m["attack_diversity"]
        diversity.append(
            [
                r["lineup"],
                d["texts"],
                fmt(d["self_bleu"]),
                fmt(d["distinct_1"]),
                fmt(d["distinct_2"]),
            ]
        )
    return (
        table_html(head, body)
        + "<h3>Diversity of the attacks (Self-BLEU: lower is more diverse; distinct-n: higher)</h3>"
        + table_html(["line-up", "attacks", "Self-BLEU", "distinct-1", "distinct-2"], diversity)
    )


def preference_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """The mean payoff and each seat's empirical strategy with its NashConv, per prompt,
    beside the von Neumann winner."""
    head = [
        "line-up",
        "seat 0 payoff",
        "seat 0 NashConv (exploitability)",
        "seat 1 NashConv (exploitability)",
        "prompts played",
    ]
    body = []
    strategies = []
    winners: list[list[Any]] = []
    for r in rows:
        m = r["metrics"]
        names = m["responses"]
        cells = [f"{fmt(s['nash_conv'])} ({fmt(s['exploitability'])})" for s in m["seats"]]
        body.append(
            [r["lineup"], mean_text(m["payoff"]), *cells, str(m["seats"][0]["prompts_played"])]
        )
        for seat, s in enumerate(m["seats"]):
            for p in s["per_prompt"]:
                strategies.append(
                    [
                        r["lineup"],
                        p["prompt"] + 1,
                        seat,
                        p["n"],
                        strategy_text(p["strategy"], names),
                        fmt(p["nash_conv"]),
                    ]
                )
        if not winners:
            winners = [
                [k + 1, strategy_text(w, names)] for k, w in enumerate(m["von_neumann_winner"])
            ]
    return (
        "<p class='sub'>NashConv of a strategy pi played by both seats: 2 (max_y P(y &gt; pi) "
        "- 1/2); exploitability is half of it; 0 exactly at the von Neumann winner.</p>"
        + table_html(head, body)
        + "<h3>Empirical mixed strategies</h3>"
        + table_html(["line-up", "prompt", "seat", "matches", "strategy", "NashConv"], strategies)
        + "<h3>The von Neumann winner (Nash equilibrium)</h3>"
        + table_html(["prompt", "strategy"], winners)
    )


def preference_text_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """Each seat's mean P, seat 0's wins, draws and losses, and the judge's failures."""
    head = [
        "line-up",
        "mean P, seat 0",
        "mean P, seat 1",
        "mean P where the judge decided, seat 0",
        "seat 0 wins (P > 1/2)",
        "draws (P = 1/2)",
        "seat 0 losses (P < 1/2)",
        "judge failures (paid 1/2 each)",
        "judge",
    ]
    body = []
    for r in rows:
        m = r["metrics"]
        body.append(
            [
                r["lineup"],
                mean_text(m["preference"][0]),
                mean_text(m["preference"][1]),
                mean_text(m["preference_judged"][0]),
                rate_text(m["seat0_wins"]),
                rate_text(m["seat0_draws"]),
                rate_text(m["seat0_losses"]),
                rate_text(m["judge_failures"]),
                ", ".join(m["judges"]) or "–",
            ]
        )
    return (
        "<p class='sub'>P: the probability that the judge prefers seat 0's response, read in "
        "both orders and averaged; seat 0 is paid P, seat 1 1 - P.</p>" + table_html(head, body)
    )


_GAME_TABLES = {
    "proposer_solver": proposer_solver_html,
    "critic_game": critic_html,
    "red_team": red_team_html,
    "preference_game": preference_html,
    "preference_text": preference_text_html,
}


def role_games_sections(rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """One ``(heading, html)`` section per game of the run, in order."""
    games: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        games.setdefault(r["game"], []).append(r)
    sections = []
    for label, group in games.items():
        game_id = group[0]["game_id"]
        title = f"{label}: {_TITLES.get(game_id, game_id)}"
        body = seats_table_html(group) + _GAME_TABLES[game_id](group)
        sections.append((title, body))
    return sections


def role_games_html(
    config: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
    llm: str = "",
) -> str:
    """The whole page: the sections of :func:`role_games_sections`, the matches, the
    config and ``llm`` (the LLM usage section, HTML)."""
    title = str(config.get("name", "role games"))
    matches = sum(int(r["matches"]) for r in rows)
    subtitle = (
        f"role games · {len(rows)} (game, line-up) groups · {matches} matches stored · "
        f"seed {config.get('seed', '')}"
    )
    parts = page_start(title, subtitle, "td,th{white-space:normal}details{margin:.3rem 0}")
    if config.get("description"):
        parts.append(f"<p>{escape(str(config['description']))}</p>")
    parts.append(
        "<p class='sub'>Rates: 95% Wilson score intervals, with count/n. Means: 95% "
        "Student-t intervals, with n (matches; for the pass rate per task, tasks).</p>"
    )
    if not rows or not matches:
        parts.append("<p>No matches yet.</p>")
    for heading, body in role_games_sections(rows if matches else []):
        parts += [f"<h2>{escape(heading)}</h2>", body]
    if keys:
        parts += ["<h2>Matches</h2>", match_links(keys)]
    text = json.dumps(config, indent=2, sort_keys=True, default=_plain)
    parts += ["<h2>Config</h2>", f"<pre>{escape(text)}</pre>", llm, "</body></html>"]
    return "\n".join(parts)


def _plain(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return str(x)


def write_role_games_report(
    run_dir: str | Path,
    config: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    keys: Sequence[str],
) -> Path:
    """Write the ``role_games`` report into ``run_dir``; return its path. ``rows``: one
    summary row per (game, line-up) (as the experiment's ``results.json`` has them);
    ``keys``: the stored matches, in schedule order."""
    run_dir = Path(run_dir)
    return write_html(
        run_dir / REPORT_NAME, role_games_html(config, rows, keys, llm_section(run_dir))
    )
