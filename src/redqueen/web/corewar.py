"""The Core War board of ``redqueen serve``: pick two warriors and watch their battle.

Core War is not a game of the registry (its MARS plays whole battles), so it has a page
of its own. The warriors on offer, each named by an id that a form posts back:

- ``builtin:dwarf``: Dewdney's Dwarf, the default first warrior of a Digital Red Queen
  run;
- ``held:DIR/NAME``: the ``*.red`` files of the held-out directories: the ``held_out`` of
  every DRQ run served (read, as the run read it, relative to the directory the server
  was started in) and ``recipes/corewar_held_out`` when the server runs in a checkout
  (of two folders with one name, the first listed);
- ``run:RUN/K/T``: the champion of round ``T`` of DRQ run ``K`` stored in served run
  ``RUN``;
- Redcode pasted into the form (at most :data:`MAX_SOURCE_CHARS` characters), read by
  redqueen's assembler and run only as Redcode, in the simulator.

Every warrior is assembled from its source with one set of MARS settings: those of the
first DRQ champion picked (its run's core size, cycles, processes, lengths), else
pMARS's defaults. One round is played from the seed given (or a random one, shown) and
traced by :func:`redqueen.games.corewar.trace.trace_battle`, in at most :data:`FRAMES`
frames. Battles live in the server's memory, the :data:`MAX_BATTLES` newest, each
visible only to the participant who started it. A battle costs up to about a second of
CPU, so a participant may start at most :data:`BATTLES_PER_MINUTE` a minute.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.corewar.redcode import Warrior
from redqueen.games.corewar.trace import BattleTrace, trace_battle
from redqueen.learn.red_queen import ALGORITHM, DWARF, BattleSettings, load_rounds
from redqueen.store.run_store import RunStore
from redqueen.web.runs import RunIndex

STANDARD = BattleSettings(
    coresize=8000, cycles=80_000, processes=8000, max_length=100, min_distance=100
)
"""pMARS's defaults (``pmars`` with no options), as in ``recipes/drq_mutation.yaml``."""
MAX_SOURCE_CHARS = 20_000
MAX_BATTLES = 20
BATTLES_PER_MINUTE = 20
"""Battles one participant may start in any 60 seconds."""
FRAMES = 300
LISTING = (3, 8)
"""Cells shown before and after the one asked for."""
HELD_OUT = Path("recipes") / "corewar_held_out"
SIDES = ("a", "b")


@dataclass(frozen=True)
class WarriorChoice:
    """A warrior the form offers: its id, the group it is listed under, its label."""

    id: str
    group: str
    label: str
    source: str
    settings: BattleSettings | None = None
    """The MARS settings of the run it comes from (None: any)."""


def _drq_runs(index: RunIndex) -> list[tuple[str, Path, dict[str, Any]]]:
    """The served runs of the ``red_queen`` recipe kind: id, path, config."""
    out = []
    for entry in index.entries():
        try:
            with RunStore(entry.path) as store:
                config = store.config()
        except RedqueenError:
            continue
        if config.get("kind") == ALGORITHM:
            out.append((entry.id, entry.path, config))
    return out


def warrior_choices(index: RunIndex, cwd: Path | None = None) -> list[WarriorChoice]:
    """Every warrior the form offers (see the module docstring), in the order listed."""
    cwd = Path.cwd() if cwd is None else cwd
    choices = [WarriorChoice("builtin:dwarf", "built in", "Dwarf (A. K. Dewdney)", DWARF)]
    runs = _drq_runs(index)
    folders = [cwd / HELD_OUT]
    for _, _, config in runs:
        if isinstance(config.get("held_out"), str):
            folders.append(cwd / config["held_out"])  # an absolute path stays as it is
    seen: set[Path] = set()
    for folder in folders:
        if not folder.is_dir() or folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        for path in sorted(folder.glob("*.red")):
            source = path.read_text(encoding="utf-8", errors="replace")
            choice_id = f"held:{folder.name}/{path.stem}"
            if any(c.id == choice_id for c in choices):
                continue
            choices.append(WarriorChoice(choice_id, f"held out ({folder.name})", path.stem, source))
    for run_id, path, config in runs:
        with RunStore(path) as store:
            for k in range(int(config.get("runs", 1))):
                for record in load_rounds(store, k):
                    champion = record.champion
                    choices.append(
                        WarriorChoice(
                            f"run:{run_id}/{k}/{record.round}",
                            f"run {run_id}, DRQ run {k}",
                            f"round {record.round} champion (fitness {champion.fitness:.3f})",
                            champion.source,
                            BattleSettings.of(config),
                        )
                    )
    return choices


def form_defaults(
    choices: Sequence[WarriorChoice], run: str = "", a: str = "", b: str = ""
) -> dict[str, str]:
    """The form's first values: ``a`` and ``b`` as given, else, for ``run``, its last
    champion against the one before; else the first two warriors listed."""
    ids = [c.id for c in choices]
    if run:
        mine = [c.id for c in choices if c.id.startswith(f"run:{run}/")]
        if mine:
            a = a or mine[-1]
            b = b or (mine[-2] if len(mine) > 1 else ids[0])
    a = a if a in ids else ids[0]
    b = b if b in ids else ids[min(1, len(ids) - 1)]
    return {"a": a, "b": b}


@dataclass
class CoreWarBattle:
    """A traced battle on the server, and who may see it."""

    id: str
    owner: str
    labels: list[str]
    settings: BattleSettings
    seed: int
    trace: BattleTrace


def _picked(
    form: Mapping[str, str], side: str, choices: Mapping[str, WarriorChoice]
) -> tuple[str, str, BattleSettings | None]:
    """Side ``side``'s label, source and settings: the pasted source if any, else the
    choice named."""
    pasted = form.get(f"source_{side}", "").strip()
    if pasted:
        if len(pasted) > MAX_SOURCE_CHARS:
            raise InvalidParameterError(
                f"warrior {side.upper()}: pasted Redcode has {len(pasted)} characters; at "
                f"most {MAX_SOURCE_CHARS} are read"
            )
        return "pasted", pasted, None
    name = form.get(f"warrior_{side}", "")
    if name not in choices:
        raise UnknownNameError(f"warrior {side.upper()}", name, choices)
    choice = choices[name]
    label = choice.label if choice.group == "built in" else f"{choice.label} · {choice.group}"
    return label, choice.source, choice.settings


def start_battle(
    owner: str, form: Mapping[str, str], choices: Sequence[WarriorChoice]
) -> CoreWarBattle:
    """Assemble the two warriors the form names, play one round and trace it."""
    by_id = {c.id: c for c in choices}
    picks = [_picked(form, side, by_id) for side in SIDES]
    settings = next((s for _, _, s in picks if s is not None), STANDARD)
    seed_text = form.get("seed", "").strip()
    if seed_text:
        try:
            seed = int(seed_text)
        except ValueError:
            raise InvalidParameterError(f"seed {seed_text!r} is not a whole number") from None
        if not 0 <= seed < 2**31:
            raise InvalidParameterError(f"seed must be in [0, {2**31 - 1}], got {seed}")
    else:
        seed = secrets.randbelow(2**31)
    warriors: list[Warrior] = []
    labels = []
    for side, (label, source, _) in zip(SIDES, picks, strict=True):
        try:
            warrior = settings.assemble(source)
        except RedqueenError as err:
            raise InvalidParameterError(f"warrior {side.upper()} ({label}): {err}") from None
        if len(warrior) > settings.max_length:
            raise InvalidParameterError(
                f"warrior {side.upper()} ({label}) has {len(warrior)} instructions; these "
                f"settings allow at most {settings.max_length}"
            )
        warriors.append(warrior)
        labels.append(f"{warrior.name or label}" if label == "pasted" else label)
    trace = trace_battle(
        warriors,
        max_frames=FRAMES,
        seed=seed,
        coresize=settings.coresize,
        cycles=settings.cycles,
        processes=settings.processes,
        max_length=settings.max_length,
        min_distance=settings.min_distance,
    )
    return CoreWarBattle(secrets.token_urlsafe(12), owner, labels, settings, seed, trace)


def outcome_text(battle: CoreWarBattle) -> str:
    """The round's result in words."""
    trace = battle.trace
    end = trace.frames[-1].cycle
    alive = [k for k, s in enumerate(trace.outcome) if s > 0]
    if len(alive) == 1:
        return f"{battle.labels[alive[0]]} wins at cycle {end}"
    if not alive:
        return f"no warrior survives (cycle {end})"
    return f"a tie: both warriors are alive after {end} cycles"


def battle_json(battle: CoreWarBattle) -> dict[str, Any]:
    """The battle as the page's script reads it: warriors, settings, one line per frame."""
    trace = battle.trace
    return {
        "id": battle.id,
        "seed": battle.seed,
        "settings": asdict(battle.settings),
        "coresize": trace.coresize,
        "cycles": trace.cycles,
        "every": trace.every,
        "warriors": [
            {
                "label": label,
                "name": w.name,
                "author": w.author,
                "length": len(w),
                "position": pos,
            }
            for label, w, pos in zip(battle.labels, trace.warriors, trace.positions, strict=True)
        ],
        "frames": [
            {"cycle": f.cycle, "turns": f.turns, "processes": f.processes} for f in trace.frames
        ],
        "outcome": trace.outcome,
        "outcome_text": outcome_text(battle),
        "result": trace.result.to_dict(),
    }


def next_instructions(trace: BattleTrace, index: int) -> list[tuple[int, int, str]]:
    """Each living warrior's next instruction at frame ``index``: warrior, address, text."""
    out = []
    for k, queue in enumerate(trace.frames[index].queues):
        if len(queue):
            out.append((k, int(queue[0]), str(trace.instruction(index, int(queue[0])))))
    return out


def frame_json(battle: CoreWarBattle, index: int) -> dict[str, Any]:
    """One frame: each cell's owner as one character (``.`` for none, else the warrior's
    number), each warrior's process queue (the next to run first) and next instruction."""
    trace = battle.trace
    owners = trace.owners(index)  # checks the index
    frame = trace.frames[index]
    chars = "".join("." if o < 0 else str(int(o)) for o in owners.tolist())
    return {
        "index": index,
        "cycle": frame.cycle,
        "turns": frame.turns,
        "processes": frame.processes,
        "owners": chars,
        "queues": [q.tolist() for q in frame.queues],
        "next": [
            {"warrior": k, "address": a, "text": t} for k, a, t in next_instructions(trace, index)
        ],
    }


def cells_json(battle: CoreWarBattle, index: int, address: int) -> dict[str, Any]:
    """The instructions around ``address`` at frame ``index``."""
    trace = battle.trace
    if not 0 <= address < trace.coresize:
        raise InvalidParameterError(
            f"address {address} is outside the core: use 0 to {trace.coresize - 1}"
        )
    cells = trace.listing(index, address, *LISTING)
    return {
        "index": index,
        "address": address,
        "cells": [{"address": c.address, "owner": c.owner, "text": c.text} for c in cells],
    }


def page_context(battle: CoreWarBattle, index: int) -> dict[str, Any]:
    """What ``corewar.html`` shows of frame ``index`` (clamped into the trace)."""
    trace = battle.trace
    index = max(0, min(index, len(trace.frames) - 1))
    return {
        "b": battle,
        "t": trace,
        "f": trace.frames[index],
        "index": index,
        "last": len(trace.frames) - 1,
        "heads": next_instructions(trace, index),
        "outcome": outcome_text(battle),
        "url": f"/corewar/{battle.id}",
        "api": f"/api/corewar/{battle.id}",
    }


class Battles:
    """The battles in memory: the :data:`MAX_BATTLES` newest, by id."""

    def __init__(self, limit: int = MAX_BATTLES) -> None:
        self.limit = limit
        self._all: dict[str, CoreWarBattle] = {}

    def add(self, battle: CoreWarBattle) -> None:
        self._all[battle.id] = battle
        while len(self._all) > self.limit:
            self._all.pop(next(iter(self._all)))

    def find(self, battle_id: str) -> CoreWarBattle | None:
        return self._all.get(battle_id)
