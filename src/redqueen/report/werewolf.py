"""HTML reports of the werewolf recipe kinds (:mod:`redqueen.experiments.werewolf`).

One self-contained page per run, rendered from the run's stored config and results (plain
data): for ``werewolf_llm`` a table per group (LLM seats with scripted players, and the
all-scripted baseline) of each side's win rate, the LLM seats' win rate, the share of
exile votes on wolves and role-guess accuracy; for ``werealign_eval`` the multiple-choice
accuracy by category and by role, VA and OI. Rates are written with their 95% Wilson
interval and count/n (``0.250 [0.046, 0.699] Wilson, 1/4``). Every string from a config
or a model is escaped. The LLM usage table and transcripts link follow when the run
made LLM calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from redqueen.report.learning import CSS, write_html
from redqueen.report.llm_games import fmt, table_html
from redqueen.report.role_games import rate_text
from redqueen.report.transcripts import llm_section

REPORT_NAME = "report.html"

MCQ_CATEGORIES = (
    ("RI", "role inference"),
    ("SJ", "strategic judgment"),
    ("DR", "deception reasoning"),
    ("PS", "persuasive statements (Social Interaction in the data)"),
    ("CT", "counterfactual trade-off"),
)


def _page(run_dir: Path, config: Mapping[str, Any], title: str, body: list[str]) -> Path:
    name = escape(str(config.get("name", "")))
    html = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}: {escape(title)}"
        f"</title><style>{CSS}</style></head><body><h1>{name}</h1>"
        f"<p class='sub'>{escape(title)}"
        + (f" &middot; {escape(str(config['description']))}" if config.get("description") else "")
        + "</p>"
        + "".join(body)
        + llm_section(run_dir)
        + "</body></html>"
    )
    return write_html(Path(run_dir) / REPORT_NAME, html)


def write_werewolf_report(
    run_dir: Path, config: Mapping[str, Any], results: Mapping[str, Any] | None
) -> Path:
    """The report of a ``werewolf_llm`` run (``results`` None before its first end)."""
    body: list[str] = []
    if results is None:
        body.append("<p>No results yet.</p>")
        return _page(run_dir, config, "werewolf: LLM players and scripted players", body)
    llm = config.get("llm", {}) or {}
    body.append(
        f"<p>{escape(str(results['board']))}; the model {escape(str(llm.get('model', '')))} "
        f"in seats {escape(str(results['llm_seats']))}, scripted players "
        f"({escape(str(config.get('scripted', 'rules')))}) in the others; roles dealt at "
        "random each match.</p>"
    )
    titles = {"llm": "With the LLM players", "baseline": "Scripted players in every seat"}
    for group, g in results["groups"].items():
        rows = [
            ["matches", str(g["matches"])],
            ["wolves win", rate_text(g["win_rates"]["wolves"])],
            ["village wins", rate_text(g["win_rates"]["village"])],
            ["draw (max_days reached)", rate_text(g["win_rates"]["draw"])],
            [
                "LLM seats win" if group == "llm" else "those seats win",
                rate_text(g["llm_seat_win_rate"]),
            ],
            ["exile votes on wolves, good voters", rate_text(g["votes_on_wolves"]["good"])],
            ["exile votes on wolves, wolf voters", rate_text(g["votes_on_wolves"]["wolf"])],
            ["exile votes on wolves, those seats", rate_text(g["llm_votes_on_wolves"]["all"])],
            ["role-guess accuracy", rate_text(g["role_guesses"])],
            ["invalid moves of those seats", str(g["llm_invalid_moves"])],
            ["mean match length (steps)", fmt(g["mean_length"], 1)],
        ]
        body += [f"<h2>{escape(titles.get(group, group))}</h2>", table_html(["", ""], rows)]
    body.append(
        "<p>Exile votes on wolves stand in for WereAlign's vote alignment and role-guess "
        "accuracy (one question per other seat, before the seat's first exile vote) for "
        "its opponent-role inference; a guess that named no role counts as wrong.</p>"
    )
    return _page(run_dir, config, "werewolf: LLM players and scripted players", body)


def write_werealign_report(
    run_dir: Path, config: Mapping[str, Any], results: Mapping[str, Any] | None
) -> Path:
    """The report of a ``werealign_eval`` run (``results`` None before its first end)."""
    body: list[str] = []
    title = "WereAlign: multiple choice, vote alignment, opponent-role inference"
    if results is None:
        body.append("<p>No results yet.</p>")
        return _page(run_dir, config, title, body)
    source = config.get("questions") or "the redqueen fixture (not WereBench data)"
    body.append(
        f"<p>Questions: {escape(str(source))}; games: "
        f"{escape(str(config.get('games') or 'the redqueen fixture'))}; "
        f"{results['decodes']} decode(s) per item.</p>"
    )
    mcq = results.get("mcq")
    if mcq is not None:
        cats = mcq["categories"]
        rows = [[f"{code}: {name}", _acc(cats.get(code))] for code, name in MCQ_CATEGORIES] + [
            [k, _acc(v)] for k, v in cats.items() if k not in dict(MCQ_CATEGORIES)
        ]
        rows.append(["all answered questions", _acc(mcq["overall"])])
        rows.append(["mean of the categories", fmt(mcq["category_mean"])])
        body += [
            "<h2>Multiple choice (9 options, chance 0.111)</h2>",
            table_html(["category", "accuracy (correct/answered)"], rows),
            f"<p>{mcq['asked']} questions asked, {mcq['unanswered']} without a letter A-I "
            "in the reply (left out, as the paper's script leaves them).</p>",
            "<h2>Multiple choice by the seat's role</h2>",
            table_html(["role", "accuracy"], [[k, _acc(v)] for k, v in mcq["roles"].items()]),
        ]
    for task, name in (("va", "Vote alignment (VA)"), ("oi", "Opponent-role inference (OI)")):
        if task in results:
            body += [f"<h2>{name}</h2>", f"<p>{escape(rate_text(results[task]))}</p>"]
    return _page(run_dir, config, title, body)


def _acc(cell: Mapping[str, Any] | None) -> str:
    if not cell:
        return "– (n=0)"
    return f"{fmt(cell['accuracy'])} ({cell['correct']}/{cell['answered']})"
