"""The ``redqueen`` command.

redqueen games                               list the games with their specs
redqueen play tic_tac_toe --opponent minimax play a game in the terminal
redqueen tournament --game G --agents A,B    a round robin, with a table
redqueen run recipes/quickstart.yaml         run (or resume) a recipe into a run dir
redqueen report RUN_DIR                      rebuild a run's HTML report
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from redqueen.agents.human import HumanAgent, HumanQuit
from redqueen.agents.registry import agent_kinds, parse_agent
from redqueen.cli import llm as llm_cli
from redqueen.cli.corewar import corewar_app
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.experiments.base import RecipeBase, load_recipe, parse_recipe, recipe_model
from redqueen.experiments.tournament import RunSummary, TournamentRecipe, run_recipe
from redqueen.games.registry import make, parameters, registered, summary
from redqueen.play.match import play_match, replay

app = typer.Typer(
    help="redqueen: agents get better, and are measured, by playing games.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Tables are wide: when output goes to a pipe or file, do not squeeze them into 80 columns.
out = Console() if sys.stdout.isatty() else Console(width=140)
err = Console(stderr=True)
app.add_typer(corewar_app, name="corewar")


def main() -> None:
    try:
        app()
    except RedqueenError as e:
        err.print(f"[bold red]error:[/] {e}", highlight=False, markup=True)
        sys.exit(2)


def _params(items: list[str] | None) -> dict[str, Any]:
    """``["rounds=200", "stage=stag_hunt"]`` -> dict; values are read as YAML scalars or
    lists (``payoffs=[[3,0],[5,1]]``), never evaluated."""
    params: dict[str, Any] = {}
    for item in items or []:
        key, eq, raw = item.partition("=")
        if not eq or not key.strip():
            raise InvalidParameterError(f"--param {item!r} is not key=value")
        try:
            params[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            params[key.strip()] = raw
    return params


def _split_agents(text: str) -> list[str]:
    """Split ``"random,minimax:depth=2,tie_break=random"`` into agent specs: a piece with
    ``=`` but no ``:`` continues the previous agent's parameters."""
    specs: list[str] = []
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        if "=" in piece and ":" not in piece and specs:
            specs[-1] += "," + piece
        else:
            specs.append(piece)
    return specs


@app.command()
def games(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every registered game with its spec."""
    rows = []
    for game_id in registered():
        try:
            spec = make(game_id).spec.to_dict()
        except InvalidParameterError:  # a game with required parameters, e.g. ordinal_2x2
            spec = {"id": game_id}
        rows.append({**spec, "summary": summary(game_id), "parameters": list(parameters(game_id))})
    if as_json:
        out.print_json(json.dumps(rows))
        return
    table = Table(title="redqueen games")
    columns = ("id", "players", "dynamics", "chance", "utility", "max length", "parameters")
    for col in (*columns, "summary"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["id"],
            str(r.get("num_players", "")),
            r.get("dynamics", ""),
            r.get("chance", ""),
            r.get("utility", ""),
            str(r.get("max_game_length", "")),
            ", ".join(r["parameters"]),
            r["summary"],
        )
    out.print(table)


@app.command()
def play(
    game: Annotated[str, typer.Argument(help="Game id (see `redqueen games`).")],
    opponent: Annotated[str, typer.Option(help="Agent in every other seat.")] = "random",
    seat: Annotated[int, typer.Option(help="Your seat (0 moves first).")] = 0,
    param: Annotated[list[str] | None, typer.Option(help="Game parameter key=value.")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Seed for chance and the opponents (default: random).")
    ] = None,
) -> None:
    """Play a game against an agent in the terminal."""
    g = make(game, **_params(param))
    if seed is None:
        seed = secrets.randbelow(2**31)
    if not 0 <= seat < g.num_players:
        raise InvalidParameterError(f"--seat {seat}: allowed seats are 0..{g.num_players - 1}")
    agents = [parse_agent(opponent) for _ in range(g.num_players)]
    agents[seat] = HumanAgent()
    out.print(
        f"[bold]{game}[/] — you are seat {seat}; type a move's name or #number "
        f"(seed {seed}: --seed {seed} replays this game)."
    )
    out.print(g.rules_text(), highlight=False, markup=False)
    try:
        result = play_match(g, agents, seed)
    except HumanQuit:
        out.print("stopped.")
        raise typer.Exit(1) from None
    final = replay(g, result.trajectory)
    out.print(final.observation_text(seat), highlight=False, markup=False)
    mine = result.returns[seat]
    out.print(f"game over — returns: {list(result.returns)}; yours: {mine:g}")


def _progress_hook(progress: Progress, label: str) -> Any:
    task = progress.add_task(label, total=None)

    def hook(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return hook


def _run(recipe_data: Any, source: str, out_dir: Path | None, as_json: bool) -> Any:
    recipe = (
        recipe_data if isinstance(recipe_data, RecipeBase) else parse_recipe(recipe_data, source)
    )
    if not isinstance(recipe, TournamentRecipe):
        return _run_kind(recipe, out_dir, as_json)
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    )
    with progress:
        result = run_recipe(recipe, out_dir, progress=_progress_hook(progress, recipe.name))
    if as_json:
        out.print_json(json.dumps(result.to_dict(), allow_nan=False))
    else:
        _print_summary(result)
    return result


def _run_kind(recipe: RecipeBase, out_dir: Path | None, as_json: bool) -> Any:
    """Any recipe kind other than a tournament: its own run, summary and report."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    )
    with progress:
        result = recipe.run(out_dir, progress=_progress_hook(progress, recipe.name))
    if as_json:
        out.print_json(json.dumps(result.to_dict(), allow_nan=False))
    else:
        out.print(result.summary_text(), highlight=False, markup=False)
    return result


def _print_summary(result: RunSummary) -> None:
    r = result.recipe
    elo = {e.name: e for e in result.elo}
    table = Table(title=f"{r.name}: {r.game.id}, {result.matches} matches")
    columns = ("agent", "games", "mean ± 95% CI", "W", "D", "L", "score", "Elo [95% CI]")
    for col in (*columns, "invalid", "forfeits"):
        table.add_column(col, justify="left" if col == "agent" else "right")
    for s in result.standings:
        c = s.returns
        half = "" if c.n < 2 else f" ± {c.half_width:.3f}"
        e = elo[s.name]
        interval = "" if e.low != e.low else f" [{e.low:.0f}, {e.high:.0f}]"
        table.add_row(
            s.name,
            str(c.n),
            f"{c.mean:.3f}{half}",
            str(s.record.wins),
            str(s.record.draws),
            str(s.record.losses),
            f"{s.record.score:.3f}",
            f"{e.elo:.0f}{interval}",
            str(s.invalid_moves),
            str(s.forfeits),
        )
    out.print(table)
    p = result.payoffs
    if len(p.names) > 1:
        matrix = Table(title="payoff matrix: row agent's mean return against column agent")
        matrix.add_column("")
        for name in p.names:
            matrix.add_column(name, justify="right")
        for i, name in enumerate(p.names):
            cells = []
            for j in range(len(p.names)):
                m, se = p.mean[i, j], p.sem[i, j]
                cells.append(
                    "" if m != m else f"{m:.2f}" + ("" if se != se else f" ±{1.96 * se:.2f}")
                )
            matrix.add_row(name, *cells)
        out.print(matrix)
    if result.resumed_from:
        out.print(f"resumed: {result.resumed_from} matches were already stored")
    if result.report is not None:
        out.print(f"report: {result.report}")


@app.command()
def tournament(
    game: Annotated[str, typer.Option(help="Game id (see `redqueen games`).")],
    agents: Annotated[
        str,
        typer.Option(
            help=f"Comma-separated agents, e.g. random,minimax:depth=2. "
            f"Kinds: {', '.join(agent_kinds())}."
        ),
    ],
    param: Annotated[list[str] | None, typer.Option(help="Game parameter key=value.")] = None,
    games: Annotated[int, typer.Option("--games", help="Games per pairing.")] = 10,
    workers: Annotated[int, typer.Option(help="Worker processes (0: one per core).")] = 1,
    seed: Annotated[int, typer.Option(help="Base seed.")] = 0,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Run directory to store results and the report (resumable)."),
    ] = None,
    self_play: Annotated[bool, typer.Option(help="Agents also meet themselves.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Round-robin tournament with seat rotation: mean return with 95% CI and W/D/L."""
    data = {
        "name": "tournament",
        "game": {"id": game, "params": _params(param)},
        "agents": _split_agents(agents),
        "games_per_pairing": games,
        "workers": workers,
        "seed": seed,
        "self_play": self_play,
    }
    _run(data, "tournament options", out_dir, as_json)


@app.command()
def run(
    recipe: Annotated[Path, typer.Argument(help="Recipe YAML file.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run directory (default: runs/<recipe name>).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    overrides: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="Override a recipe field: field.sub=value (e.g. llm.base_url=...)."
        ),
    ] = None,
) -> None:
    """Run a recipe into a run directory; the same command again resumes it."""
    loaded = load_recipe(recipe, overrides or ())
    _run(loaded, str(recipe), out_dir or Path("runs") / loaded.name, as_json)


@app.command()
def solve(
    game: Annotated[str, typer.Argument(help="Game id (see `redqueen games`).")],
    algorithm: Annotated[
        str, typer.Option(help="cfr, cfr+, linear_cfr or dcfr (vectorised on the game tree).")
    ] = "cfr+",
    iterations: Annotated[int, typer.Option(help="Iterations to run.")] = 1000,
    param: Annotated[list[str] | None, typer.Option(help="Game parameter key=value.")] = None,
    algo_param: Annotated[
        list[str] | None, typer.Option(help="Algorithm parameter key=value (e.g. alpha=1.5).")
    ] = None,
    eval_every: Annotated[
        int, typer.Option(help="Measure exploitability every K iterations (0: at the end).")
    ] = 100,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Where to save the average policy (JSON).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Solve a game with the CFR family; print exploitability by iteration, save the policy."""
    from redqueen.cli.solve import solve_command

    solve_command(
        game,
        algorithm,
        iterations,
        _params(param),
        eval_every,
        out_path,
        as_json,
        out,
        algorithm_params=_params(algo_param),
    )


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
) -> None:
    """Write (or rewrite) a run's HTML report."""
    if not (run_dir / "run.sqlite").is_file():
        raise RedqueenError(f"{run_dir} is not a run directory (no run.sqlite)")
    from redqueen.store.run_store import RunStore

    with RunStore(run_dir) as store:
        kind = str(store.config().get("kind", "tournament"))
    out.print(f"report: {recipe_model(kind).write_report(run_dir)}")


# LLM players: the scripted test server and transcripts
app.command("serve-scripted")(llm_cli.serve_scripted)
app.command("show")(llm_cli.show)
