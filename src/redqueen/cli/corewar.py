"""``redqueen corewar``: battles and hills of Redcode warriors from the command line.

redqueen corewar battle A.red B.red --rounds 100 [--position P] [--seed S] [--json]
redqueen corewar hill DIR [--rounds 100]      round robin of every .red file in DIR

``--position P`` puts the second warrior at offset P in round 1 and seeds the placement
of later rounds from it, exactly as ``pmars -F P`` does, so results can be compared with
pMARS round for round. Warriors are read and played as pMARS 0.9.2 does, quirks
included; ``--strict-icws94`` follows the ICWS'94 draft where pMARS departs from it (see
``games/corewar/assembler.py`` and ``mars.py``). Heavy imports (numba) happen inside
the commands.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

corewar_app = typer.Typer(
    help="Core War: ICWS'94 battles and hills (a MARS that agrees with pMARS).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, flags shown as flags (as in redqueen.cli)
)


@corewar_app.command("battle")
def battle_command(
    warriors: Annotated[list[Path], typer.Argument(help="Redcode files (.red), two or more")],
    rounds: Annotated[int, typer.Option("--rounds", "-r", help="rounds to play")] = 1,
    position: Annotated[
        int | None, typer.Option("--position", "-F", help="second warrior's offset (pMARS -F)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="seed for random placement")] = None,
    coresize: Annotated[int, typer.Option(help="core size")] = 8000,
    cycles: Annotated[int, typer.Option(help="cycles until a tie")] = 80000,
    processes: Annotated[int, typer.Option(help="max processes per warrior")] = 8000,
    max_length: Annotated[int, typer.Option(help="max warrior length")] = 100,
    min_distance: Annotated[int, typer.Option(help="min distance between warriors")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    strict: Annotated[
        bool, typer.Option("--strict-icws94", help="ICWS'94 where pMARS departs from it")
    ] = False,
) -> None:
    """Play warriors against each other and print wins, losses, ties and scores."""
    from rich.console import Console
    from rich.table import Table

    from redqueen.errors import InvalidParameterError
    from redqueen.games.corewar import battle, load_warrior

    if len(warriors) < 2:
        raise InvalidParameterError("battle needs at least two warrior files")
    if position is not None and len(warriors) != 2:
        raise InvalidParameterError("--position works with exactly two warriors")
    loaded = [
        load_warrior(
            p,
            coresize=coresize,
            max_length=max_length,
            processes=processes,
            cycles=cycles,
            min_distance=min_distance,
            rounds=rounds,
            warriors=len(warriors),
            strict_icws94=strict,
        )
        for p in warriors
    ]
    result = battle(
        loaded,
        rounds=rounds,
        coresize=coresize,
        cycles=cycles,
        processes=processes,
        max_length=max_length,
        min_distance=min_distance,
        seed=seed,
        first_position=position,
        strict_icws94=strict,
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "rounds": result.rounds,
                    "wins": result.wins,
                    "losses": result.losses,
                    "ties": result.ties,
                    "score": result.score,
                    "names": [w.name for w in loaded],
                }
            )
        )
        return
    table = Table(title=f"Core War battle, {rounds} rounds")
    for col in ("warrior", "name", "wins", "losses", "ties", "score", "survival"):
        table.add_column(col)
    for i, (path, war) in enumerate(zip(warriors, loaded, strict=True)):
        table.add_row(
            path.name,
            war.name,
            str(result.wins[i]),
            str(result.losses[i]),
            str(result.ties[i]),
            str(result.score[i]),
            f"{result.survival[i]:.3f}",
        )
    Console(markup=False).print(table)  # warrior names are shown as they are


@corewar_app.command("hill")
def hill_command(
    directory: Annotated[Path, typer.Argument(help="folder of .red files")],
    rounds: Annotated[int, typer.Option("--rounds", "-r", help="rounds per pairing")] = 100,
    seed: Annotated[int, typer.Option(help="seed for placement")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    strict: Annotated[
        bool, typer.Option("--strict-icws94", help="ICWS'94 where pMARS departs from it")
    ] = False,
) -> None:
    """Round robin of every .red file in DIRECTORY; a table of total scores."""
    from rich.console import Console
    from rich.table import Table

    from redqueen.errors import InvalidParameterError
    from redqueen.games.corewar import battle, load_warrior

    files = sorted(directory.glob("*.red"))
    if len(files) < 2:
        raise InvalidParameterError(f"{directory} holds {len(files)} .red files; need 2 or more")
    loaded = [load_warrior(f, rounds=rounds, strict_icws94=strict) for f in files]
    n = len(files)
    score = [0] * n
    wins = [0] * n
    losses = [0] * n
    ties = [0] * n
    for i in range(n):
        for j in range(i + 1, n):
            r = battle(
                [loaded[i], loaded[j]], rounds=rounds, seed=seed + i * n + j, strict_icws94=strict
            )
            for k, idx in ((0, i), (1, j)):
                score[idx] += r.score[k]
                wins[idx] += r.wins[k]
                losses[idx] += r.losses[k]
                ties[idx] += r.ties[k]
    order = sorted(range(n), key=lambda k: -score[k])
    if as_json:
        rows = [
            {
                "file": files[k].name,
                "name": loaded[k].name,
                "score": score[k],
                "wins": wins[k],
                "losses": losses[k],
                "ties": ties[k],
            }
            for k in order
        ]
        typer.echo(json.dumps({"rounds": rounds, "hill": rows}))
        return
    table = Table(title=f"Core War hill: {directory} ({rounds} rounds per pairing)")
    for col in ("rank", "warrior", "name", "score", "wins", "losses", "ties"):
        table.add_column(col)
    for rank, k in enumerate(order, 1):
        table.add_row(
            str(rank), files[k].name, loaded[k].name, str(score[k]),
            str(wins[k]), str(losses[k]), str(ties[k]),
        )  # fmt: skip
    Console(markup=False).print(table)
