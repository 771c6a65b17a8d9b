"""The ``redqueen`` command.

redqueen games                               list the games with their specs
redqueen play tic_tac_toe --opponent minimax play a game in the terminal
redqueen tournament --game G --agents A,B    a round robin, with a table
redqueen run recipes/quickstart.yaml         run (or resume) a recipe into a run dir
redqueen report RUN_DIR                      rebuild a run's HTML report

Every run ends with the same closing lines, whatever its recipe kind: its report, whether
it resumed (and how much was already stored) and the matches that failed, if any. Exit
codes: 0 done; 1 a run that finished with failed matches (run it again to play them);
2 an error, with its message (a run stopped by one says what it stored); 130
interrupted (Ctrl-C), after saying what is stored and how to resume.

User-facing text is printed with console markup off, so square brackets in messages,
names and file contents are shown as they are; help is plain text, with on/off options
shown as flags.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from redqueen.agents.registry import agent_kinds
from redqueen.cli import llm as llm_cli
from redqueen.cli import serve as serve_cli
from redqueen.cli.corewar import corewar_app
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.registry import make

# Recipes (pydantic), matches and statistics (numpy, scipy) are imported inside the
# commands that use them, so that `redqueen --help` starts quickly.
if TYPE_CHECKING:
    from rich.progress import Progress

    from redqueen.experiments.tournament import RunSummary

app = typer.Typer(
    help="redqueen: agents get better, and are measured, by playing games.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: flags shown as flags, paragraphs re-wrapped
)
# Markup off: text in square brackets (in errors, agent names, YAML) is printed as it is.
# Tables are wide: when output goes to a pipe or file, do not squeeze them into 80 columns.
out = Console(markup=False) if sys.stdout.isatty() else Console(width=140, markup=False)
err = Console(stderr=True, markup=False, highlight=False, soft_wrap=True)
app.add_typer(corewar_app, name="corewar")


def main() -> None:
    try:
        app()
    except RedqueenError as e:
        print_error(e)
        sys.exit(2)


def print_error(error: BaseException) -> None:
    """``error: MESSAGE`` on stderr, the message exactly as it is (no markup)."""
    err.print(Text.assemble(("error:", "bold red"), " ", str(error)))


def _params(items: list[str] | None) -> dict[str, Any]:
    """``["rounds=200", "stage=stag_hunt"]`` -> dict; values are read as YAML scalars or
    lists (``payoffs=[[3,0],[5,1]]``), never evaluated."""
    import yaml

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
    from redqueen.games.catalog import listing

    rows = listing()  # the built-in games' rows are written ahead: no game is built
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
    """Play a game against an agent in the terminal.

    The legal moves are listed with numbers 1, 2, ...: type a move's name or its number in
    the list. Every move of the other seats is announced, except in games with secret
    moves (werewolf), where your view says what you know."""
    from redqueen.agents.human import HumanAgent, HumanQuit
    from redqueen.agents.registry import parse_agent
    from redqueen.play.match import play_match, replay

    params = _params(param)
    g = make(game, **params)
    if seed is None:
        seed = secrets.randbelow(2**31)
    if not 0 <= seat < g.num_players:
        raise InvalidParameterError(f"--seat {seat}: allowed seats are 0..{g.num_players - 1}")
    human = HumanAgent()
    agents: list[Any] = []
    for p in range(g.num_players):
        if p == seat:
            agents.append(human)
            continue
        agent = parse_agent(opponent)
        try:
            agent.check_game(g)  # refuse before the rules are printed
        except RedqueenError as refusal:
            # a strategy of repeated games offered a one-shot matrix game: say how to
            # play that game round after round from the terminal
            hint = ""
            try:
                repeated = make("repeated", stage=game, stage_params=params or None, rounds=10)
                agent.check_game(repeated)
                stage_params = f" --param 'stage_params={json.dumps(params)}'" if params else ""
                hint = (
                    f". To play {game} round after round in the terminal: redqueen play "
                    f"repeated --param stage={game}{stage_params} --param rounds=10 "
                    f"--opponent {opponent}"
                )
            except RedqueenError:
                pass
            raise RedqueenError(
                f"--opponent {opponent} cannot play {game}: {refusal}{hint}"
            ) from None
        agents.append(human.watch(agent, p))
    out.print(
        f"{game}: you are seat {seat}, against {opponent}. Type a move's name or its number "
        "in the list of legal moves; ? shows the game again, quit stops. "
        f"(Seed {seed}: --seed {seed} replays this game.)",
        style="bold",
        markup=False,
        highlight=False,
    )
    out.print(g.rules_text(), highlight=False, markup=False)
    try:
        result = play_match(g, agents, seed)
    except HumanQuit:
        out.print("stopped.", markup=False)
        raise typer.Exit(1) from None
    human.announce_pending()
    final = replay(g, result.trajectory)
    out.print(final.observation_text(seat), highlight=False, markup=False)
    mine = result.returns[seat]
    out.print(
        f"game over — returns: {list(result.returns)}; yours: {mine:g}",
        highlight=False,
        markup=False,
    )


def _progress_hook(progress: Progress, label: str) -> Any:
    task = progress.add_task(label, total=None)

    def hook(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return hook


def _run(recipe_data: Any, source: str, out_dir: Path | None, as_json: bool) -> Any:
    """Run (or resume) a recipe of any kind: a progress bar, then its summary and the
    closing lines every kind shares (see the module docstring for the exit codes)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from redqueen.experiments.base import (
        FailedMatchesError,
        RecipeBase,
        closing_lines,
        failed_matches,
        interrupted_lines,
        parse_recipe,
    )

    recipe = (
        recipe_data if isinstance(recipe_data, RecipeBase) else parse_recipe(recipe_data, source)
    )
    stored_before = recipe.stored_units(out_dir) if out_dir is not None else 0
    progress = Progress(
        TextColumn("{task.description}", style="bold", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    )
    try:
        with progress:
            result = recipe.run(out_dir, progress=_progress_hook(progress, recipe.name))
        failures = failed_matches(out_dir) if out_dir is not None else {}
    except KeyboardInterrupt:
        for line in interrupted_lines(recipe, out_dir):
            err.print(line)
        raise typer.Exit(130) from None
    except FailedMatchesError as e:
        result, failures = e.outcome, e.failures
    except RedqueenError as e:
        if not getattr(e, "stops_run", False):
            raise
        print_error(e)  # a run stopped on the way: say what it kept
        for line in interrupted_lines(recipe, out_dir):
            err.print(line.replace("interrupted:", "stopped:", 1))
        raise typer.Exit(2) from None
    if as_json:
        out.print_json(json.dumps(result.to_dict(), allow_nan=False))
    else:
        from redqueen.experiments.tournament import RunSummary  # loaded only when used

        if isinstance(result, RunSummary):
            _print_summary(result)
        else:
            out.print(result.summary_text(), highlight=False, soft_wrap=True)
        for line in closing_lines(recipe, out_dir, stored_before, failures):
            out.print(line, highlight=False, soft_wrap=True)
    if failures:
        raise typer.Exit(1)
    return result


def _print_summary(result: RunSummary) -> None:
    from redqueen.measure.statistics import METHODS

    r = result.recipe
    elo = {e.name: e for e in result.elo}
    table = Table(title=f"{r.name}: {r.game.id}, {result.matches} matches")
    basis = result.elo[0].basis if result.elo else "outcomes"
    elo_name = "return Elo" if basis == "returns" else "win Elo"
    unit = result.standings[0].record.unit if result.standings else "matches"
    wins = "pairwise W" if unit != "matches" else "W"
    columns = ("agent", "matches", "mean [95% CI]", wins, "D", "L", "score", f"{elo_name} [95%]")
    for col in (*columns, "invalid", "forfeits"):
        table.add_column(col, justify="left" if col == "agent" else "right")
    marks = False
    for s in result.standings:
        c = s.returns
        interval = "" if c.n < 1 or c.low != c.low else f" [{c.low:.3f}, {c.high:.3f}]"
        mean = "not played" if c.n == 0 else f"{c.mean:.3f}{interval}"
        e = elo[s.name]
        if e.elo != e.elo:
            rating = "not rated"
        else:
            bounds = "" if e.low != e.low else f" [{e.low:.0f}, {e.high:.0f}]"
            rating = f"{e.elo:.0f}{bounds}" + (" *" if e.provisional else "")
        name = s.name + (" †" if s.missing else "")
        marks = marks or e.provisional or bool(s.missing)
        table.add_row(
            name,
            str(c.n),
            mean,
            str(s.record.wins),
            str(s.record.draws),
            str(s.record.losses),
            f"{s.record.score:.3f}",
            rating,
            str(s.invalid_moves),
            str(s.forfeits),
        )
    out.print(table)
    method = result.standings[0].returns.method if result.standings else "bounded-score"
    notes = [f"95% CI: {METHODS.get(method, method)}; {elo_name} fitted with 2 virtual draws"]
    if unit != "matches":
        notes.append(f"W/D/L count {unit}")
    if marks:
        notes.append("* provisional (few games); † some opponents not met yet")
    out.print("; ".join(notes) + ".")
    p = result.payoffs
    if len(p.names) > 1:
        matrix = Table(title="payoff matrix: row agent's mean return against column agent")
        matrix.add_column("")
        for name in p.names:
            matrix.add_column(name, justify="right")
        for i, name in enumerate(p.names):
            cells = []
            for j in range(len(p.names)):
                m = p.mean[i, j]
                if m != m:
                    cells.append("")
                elif p.low is not None and p.high is not None and p.low[i, j] == p.low[i, j]:
                    cells.append(f"{m:.2f} [{p.low[i, j]:.2f}, {p.high[i, j]:.2f}]")
                else:
                    cells.append(f"{m:.2f}")
            matrix.add_row(name, *cells)
        out.print(matrix)


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
    param: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY=VALUE", help="Game parameter (repeat for several)."),
    ] = None,
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
            "--set",
            metavar="FIELD.SUB=VALUE",
            help="Override a recipe field, e.g. llm.base_url=http://127.0.0.1:8000/v1 "
            "(repeat for several).",
        ),
    ] = None,
) -> None:
    """Run a recipe into a run directory; the same command again resumes it."""
    from redqueen.experiments.base import load_recipe

    loaded = load_recipe(recipe, overrides or ())
    _run(loaded, str(recipe), out_dir or Path("runs") / loaded.name, as_json)


@app.command()
def solve(
    game: Annotated[str, typer.Argument(help="Game id (see `redqueen games`).")],
    algorithm: Annotated[
        str, typer.Option(help="cfr, cfr+, linear_cfr or dcfr (vectorised on the game tree).")
    ] = "cfr+",
    iterations: Annotated[int, typer.Option(help="Iterations to run.")] = 1000,
    param: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY=VALUE", help="Game parameter (repeat for several)."),
    ] = None,
    algo_param: Annotated[
        list[str] | None,
        typer.Option(metavar="KEY=VALUE", help="Algorithm parameter, e.g. alpha=1.5."),
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

    try:
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
    except KeyboardInterrupt:
        err.print("interrupted: no policy was saved (it is saved when the iterations end)")
        raise typer.Exit(130) from None


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory.")],
) -> None:
    """Write (or rewrite) a run's HTML report."""
    if not (run_dir / "run.sqlite").is_file():
        raise RedqueenError(f"{run_dir} is not a run directory (no run.sqlite)")
    from redqueen.experiments.base import recipe_model
    from redqueen.store.run_store import RunStore

    with RunStore(run_dir) as store:
        kind = str(store.config().get("kind", "tournament"))
    out.print(f"report: {recipe_model(kind).write_report(run_dir)}")


# LLM players: the scripted test server and transcripts
app.command("serve-scripted")(llm_cli.serve_scripted)
app.command("show")(llm_cli.show)
# the arena in a browser (the web extra, imported inside the command)
app.command("serve")(serve_cli.serve)
