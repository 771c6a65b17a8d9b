"""Digital Red Queen (DRQ): adversarial evolution of Core War warriors.

Kumar, Bahlous-Boldi, Sharma, Isola, Risi, Tang & Ha (2026), "Digital Red Queen:
Adversarial Program Evolution in Core War with LLMs" (MIT and Sakana AI,
arXiv:2601.03335). Where the paper's text leaves a choice open, the choice made here is
named in the field that controls it (:class:`RedQueenConfig`).

DRQ starts from one warrior ``w0`` and runs rounds. Round ``t`` evolves a new warrior
``w_t`` to beat the champions of all earlier rounds::

    w_t = argmax_w  E_seeds[ Fitness(w; {w_{t-K}, ..., w_{t-1}}) ]

where the fitness is the *survival share*: ``w`` is loaded into one core together with
the earlier champions (history length ``K``; all of them by default) and, at every cycle,
the warriors still alive share that cycle's reward equally; the total is normalised
(:attr:`redqueen.games.corewar.BattleResult.survival`). The opponents never change
within a round, and each new champion joins them for the next: the objective keeps
moving, which is the Red Queen's race.

Each round's search is MAP-Elites (Mouret & Clune 2015, "Illuminating search spaces by
mapping elites", arXiv:1504.04909) over a two-dimensional behavioural grid: the processes
a warrior spawned and the core cells it touched (memory coverage), both binned on a log
scale. A cell keeps its best warrior; the round's champion is the best warrior of the
final archive. The archive starts from ``initial_population`` warriors made from
nothing (and, optionally, the earlier champions); then, batch after batch, parents drawn
uniformly from the archive's elites are varied into children which are scored and
offered to their cells.

Two generators make and vary warriors:

- :class:`MutationGenerator`, built in, so that the loop runs with no LLM: random
  warriors, and children by one-point crossover and by changes to opcodes, modifiers,
  addressing modes and field values, and by inserting, deleting and duplicating lines;
- :class:`LLMGenerator`, the paper's: a chat model behind a ``complete(messages) -> str``
  callable is asked to write a new warrior or to change a parent. The code is taken from
  the reply (a fenced ```redcode block, or the whole reply) and *assembled*, never
  evaluated; code that does not assemble, or is too long, is counted as invalid.

Measures: each champion's one-on-one record against every earlier champion;
*generality*, the fraction of a held-out set of warriors (say, human-written ones) that a
champion beats one-on-one and its mean score; *diversity* across independent runs, the
mean pairwise behavioural distance between the runs' champions (normalised log
descriptors) and their code distance (normalised edit distance over instruction lines).

With a :class:`~redqueen.store.run_store.RunStore`, every finished round writes its
archive (meta key ``red_queen/<run>/archive/<round>``) and then the round's record
(champion source, fitness, descriptors, record against the history, generality) under
``red_queen/<run>``, and logs the metrics ``champion_fitness``, ``archive_cells``,
``evaluated``, ``invalid_code`` and, with held-out warriors, ``generality_beaten`` and
``generality_score`` (``step``: the round; tag ``run``). Every random draw of round
``t`` comes from a generator seeded with ``(seed, t)``, so a run killed at any point and
started again resumes after its last finished round and ends exactly as an uninterrupted
run would (with the built-in generator; an LLM's replies are its own).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.corewar import assemble, battle
from redqueen.games.corewar.redcode import (
    MODES,
    MODIFIERS,
    OPCODES,
    AssemblyError,
    Instruction,
    Warrior,
)

if TYPE_CHECKING:  # a run is handed its store
    from redqueen.store.run_store import RunStore

ALGORITHM = "red_queen"

DWARF = """;redcode-94
;name Dwarf
;author A. K. Dewdney
start   ADD.AB  #4, bomb
        MOV.I   bomb, @bomb
        JMP     start
bomb    DAT.F   #0, #0
        END start
"""
"""Dewdney's Dwarf (1984): the default first warrior ``w0``."""

Messages = list[dict[str, str]]
Complete = Callable[[Messages], str]
"""A chat model: the messages (``{"role": ..., "content": ...}``) in, the reply out."""


# ---- configuration ----------------------------------------------------------------------


class RedQueenConfig(BaseModel):
    """Every parameter of a DRQ run, with its meaning and allowed range."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, ge=0, description="Seeds every random draw (round t uses (seed, t)).")
    rounds: int = Field(
        5, ge=0, le=10_000, description="DRQ rounds after w0; each adds one champion."
    )
    history: int | None = Field(
        None,
        ge=1,
        description="K: a candidate fights the last K champions (None: all of them).",
    )
    initial_warrior: str = Field(
        DWARF, min_length=1, description="Redcode source of w0, the first champion."
    )
    initial_population: int = Field(
        16, ge=1, le=100_000, description="Warriors made from nothing to start each archive."
    )
    seed_with_champions: bool = Field(
        True, description="Also start each archive with the earlier champions, re-scored."
    )
    iterations: int = Field(
        128, ge=0, le=10_000_000, description="Children made and scored per round."
    )
    batch_size: int = Field(
        8,
        ge=1,
        le=4096,
        description="Children made from one archive state, then scored (in parallel).",
    )
    crossover_rate: float = Field(
        0.1, ge=0.0, le=1.0, description="Chance that a child starts as a one-point crossover."
    )
    max_mutations: int = Field(
        3, ge=1, le=100, description="A child gets 1..max_mutations mutations, uniformly."
    )
    new_min_length: int = Field(2, ge=1, description="Shortest warrior made from nothing.")
    new_max_length: int = Field(8, ge=1, description="Longest warrior made from nothing.")
    value_range: int = Field(
        64,
        ge=1,
        description="Fields of random instructions are drawn from [-value_range, value_range].",
    )
    process_bins: int = Field(8, ge=1, le=1024, description="Grid bins for processes spawned.")
    coverage_bins: int = Field(8, ge=1, le=1024, description="Grid bins for memory coverage.")
    battle_rounds: int = Field(
        4, ge=1, le=10_000, description="Battles (random placements) per fitness evaluation."
    )
    versus_rounds: int = Field(
        4, ge=1, le=10_000, description="One-on-one battles of a champion per earlier champion."
    )
    held_out_rounds: int = Field(
        4, ge=1, le=10_000, description="One-on-one battles per held-out warrior (generality)."
    )
    coresize: int = Field(8000, ge=2, le=1_000_000, description="Core size.")
    cycles: int = Field(80_000, ge=1, description="Cycles before a battle is a tie.")
    processes: int = Field(8000, ge=1, description="Most processes per warrior.")
    max_length: int = Field(100, ge=1, description="Most instructions per warrior.")
    min_distance: int = Field(100, ge=1, description="Least distance between warriors.")

    @model_validator(mode="after")
    def _consistent(self) -> RedQueenConfig:
        if self.new_min_length > self.new_max_length:
            raise ValueError(
                f"new_min_length ({self.new_min_length}) must be <= new_max_length "
                f"({self.new_max_length})"
            )
        if self.new_max_length > self.max_length:
            raise ValueError(
                f"new_max_length ({self.new_max_length}) must be <= max_length ({self.max_length})"
            )
        if self.min_distance < self.max_length:
            raise ValueError(
                f"min_distance ({self.min_distance}) must be >= max_length ({self.max_length}) "
                "so that warriors cannot overlap"
            )
        fighters = 1 + (self.rounds if self.history is None else min(self.history, self.rounds))
        if fighters * self.min_distance > self.coresize:
            raise ValueError(
                f"{fighters} warriors (a candidate and its history) need "
                f"{fighters} * min_distance = {fighters * self.min_distance} cells, more "
                f"than coresize ({self.coresize}); lower history or min_distance"
            )
        return self

    def check(self) -> RedQueenConfig:
        """Re-validate (a model built with ``model_construct`` skips validation)."""
        return RedQueenConfig.model_validate(self.model_dump())


@dataclass(frozen=True)
class BattleSettings:
    """The MARS parameters every battle of a run uses."""

    coresize: int
    cycles: int
    processes: int
    max_length: int
    min_distance: int

    @classmethod
    def of(cls, config: RedQueenConfig | Mapping[str, Any]) -> BattleSettings:
        names = ("coresize", "cycles", "processes", "max_length", "min_distance")
        if isinstance(config, Mapping):
            return cls(*(int(config[name]) for name in names))
        return cls(*(int(getattr(config, name)) for name in names))

    def assemble(self, source: str) -> Warrior:
        """``source`` assembled with these settings' predefined constants (CORESIZE,
        MAXLENGTH, ...), fields reduced modulo the core size."""
        return assemble(
            source,
            coresize=self.coresize,
            max_length=self.max_length,
            processes=self.processes,
            cycles=self.cycles,
            min_distance=self.min_distance,
        )


# ---- warriors, elites and the archive -----------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """A warrior's score against a set of opponents, and its behaviour there."""

    fitness: float
    """Survival share, mean over the battles."""
    processes: float
    """Processes spawned (mean over the battles)."""
    coverage: float
    """Distinct core cells touched (mean over the battles)."""


@dataclass(frozen=True)
class Elite:
    """A scored warrior in the archive."""

    warrior: Warrior = field(compare=False)
    source: str
    """Its load file (``warrior.to_source()``), which assembles back to ``warrior``."""
    fitness: float
    processes: float
    coverage: float
    cell: tuple[int, int]
    origin: str
    """How it was made: ``initial``, ``new``, ``mutate``, ``crossover`` or ``champion``."""
    index: int
    """Its candidate number in the round (-1 for ``w0``)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "fitness": self.fitness,
            "processes": self.processes,
            "coverage": self.coverage,
            "cell": list(self.cell),
            "origin": self.origin,
            "index": self.index,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], settings: BattleSettings) -> Elite:
        return cls(
            warrior=settings.assemble(data["source"]),
            source=data["source"],
            fitness=float(data["fitness"]),
            processes=float(data["processes"]),
            coverage=float(data["coverage"]),
            cell=(int(data["cell"][0]), int(data["cell"][1])),
            origin=str(data["origin"]),
            index=int(data["index"]),
        )


def log_bin(value: float, high: float, bins: int) -> int:
    """The bin of ``value`` in ``[0, high]`` cut into ``bins`` equal steps of
    ``log(1 + value)`` (values past ``high`` fall in the last bin)."""
    if bins <= 1 or value <= 0:
        return 0
    position = math.log1p(value) / math.log1p(max(high, 1.0))
    return min(bins - 1, int(position * bins))


class Archive:
    """A MAP-Elites archive: the best warrior found in each behavioural cell."""

    def __init__(self, process_bins: int, coverage_bins: int, spawned: int, coresize: int):
        """``spawned``: the top of the processes-spawned scale (a warrior spawns at most
        one process per cycle, so the run's ``cycles``); ``coresize``: the top of the
        memory-coverage scale."""
        self.shape = (process_bins, coverage_bins)
        self.highs = (float(spawned), float(coresize))
        self._cells: dict[tuple[int, int], Elite] = {}

    def cell(self, processes: float, coverage: float) -> tuple[int, int]:
        return (
            log_bin(processes, self.highs[0], self.shape[0]),
            log_bin(coverage, self.highs[1], self.shape[1]),
        )

    def offer(self, elite: Elite) -> bool:
        """Keep ``elite`` if its cell is empty or it is strictly fitter than the cell's
        elite (a tie keeps the incumbent); return whether it was kept."""
        held = self._cells.get(elite.cell)
        if held is not None and elite.fitness <= held.fitness:
            return False
        self._cells[elite.cell] = elite
        return True

    def elites(self) -> list[Elite]:
        """The elites in cell order."""
        return [self._cells[c] for c in sorted(self._cells)]

    def __len__(self) -> int:
        return len(self._cells)

    def best(self) -> Elite:
        """The fittest elite (the earliest found among equals)."""
        if not self._cells:
            raise RedqueenError("the archive is empty")
        return max(self.elites(), key=lambda e: (e.fitness, -e.index))

    def sample(self, rng: np.random.Generator) -> Elite:
        elites = self.elites()
        return elites[int(rng.integers(len(elites)))]


# ---- evaluation ---------------------------------------------------------------------------


def evaluate(
    warrior: Warrior, opponents: Sequence[Warrior], settings: BattleSettings, rounds: int, seed: int
) -> Evaluation:
    """Score ``warrior`` in one core with all ``opponents`` (``rounds`` battles with random
    placements drawn from ``seed``): its survival share and its behaviour."""
    result = battle(
        [warrior, *opponents],
        rounds=rounds,
        coresize=settings.coresize,
        cycles=settings.cycles,
        processes=settings.processes,
        max_length=settings.max_length,
        min_distance=settings.min_distance,
        seed=seed,
    )
    mine = result.descriptors[0]
    return Evaluation(
        fitness=float(result.survival[0]),
        processes=float(mine["processes_spawned"]),
        coverage=float(mine["memory_coverage"]),
    )


def _evaluate_job(job: tuple[Warrior, tuple[Warrior, ...], BattleSettings, int, int]) -> Evaluation:
    return evaluate(*job)


def _evaluate_all(
    jobs: list[tuple[Warrior, tuple[Warrior, ...], BattleSettings, int, int]],
    pool: Executor | None,
) -> list[Evaluation]:
    if pool is None or len(jobs) < 2:
        return [_evaluate_job(j) for j in jobs]
    return list(pool.map(_evaluate_job, jobs))


def one_on_one(
    warrior: Warrior, opponent: Warrior, settings: BattleSettings, rounds: int, seed: int
) -> tuple[int, int, int]:
    """``warrior``'s (wins, losses, ties) in ``rounds`` one-on-one battles."""
    result = battle(
        [warrior, opponent],
        rounds=rounds,
        coresize=settings.coresize,
        cycles=settings.cycles,
        processes=settings.processes,
        max_length=settings.max_length,
        min_distance=settings.min_distance,
        seed=seed,
    )
    return int(result.wins[0]), int(result.losses[0]), int(result.ties[0])


def _seed(*parts: int) -> int:
    return int(np.random.SeedSequence([abs(int(p)) for p in parts]).generate_state(1)[0])


# ---- generators ---------------------------------------------------------------------------


class Generator(Protocol):
    """Makes warriors from nothing and varies them. ``None`` is a failed attempt (such as
    model output that does not assemble); :attr:`invalid` counts them."""

    invalid: int

    def new(self, rng: np.random.Generator) -> Warrior | None: ...

    def vary(
        self, parent: Warrior, other: Warrior | None, rng: np.random.Generator
    ) -> tuple[Warrior | None, str]:
        """A child of ``parent`` (crossed with ``other`` when it is given), and how it
        was made."""
        ...


MUTATIONS = (
    "opcode",
    "modifier",
    "a_mode",
    "b_mode",
    "a_value",
    "b_value",
    "insert",
    "delete",
    "duplicate",
)
"""The built-in mutation operators, chosen uniformly."""


class MutationGenerator:
    """The built-in generator: random warriors, one-point crossover and the mutations in
    :data:`MUTATIONS`. Every warrior it makes is valid: 1 to ``max_length`` instructions,
    fields in ``[0, coresize)``, a start inside the code."""

    def __init__(self, config: RedQueenConfig) -> None:
        self.config = config
        self.invalid = 0

    # -- pieces --

    def _value(self, rng: np.random.Generator) -> int:
        r = self.config.value_range
        return int(rng.integers(-r, r + 1)) % self.config.coresize

    def random_instruction(self, rng: np.random.Generator) -> Instruction:
        return Instruction(
            OPCODES[int(rng.integers(len(OPCODES)))],
            MODIFIERS[int(rng.integers(len(MODIFIERS)))],
            MODES[int(rng.integers(len(MODES)))],
            self._value(rng),
            MODES[int(rng.integers(len(MODES)))],
            self._value(rng),
        )

    def _warrior(self, lines: Sequence[Instruction], start: int) -> Warrior:
        lines = tuple(lines[: self.config.max_length])
        start = min(max(start, 0), len(lines) - 1)
        return Warrior(lines, start, author="redqueen")

    # -- the generator contract --

    def new(self, rng: np.random.Generator) -> Warrior:
        n = int(rng.integers(self.config.new_min_length, self.config.new_max_length + 1))
        lines = [self.random_instruction(rng) for _ in range(n)]
        return self._warrior(lines, int(rng.integers(n)))

    def vary(
        self, parent: Warrior, other: Warrior | None, rng: np.random.Generator
    ) -> tuple[Warrior, str]:
        origin = "mutate"
        child = parent
        if other is not None:
            child, origin = crossover(parent, other, rng), "crossover"
        for _ in range(int(rng.integers(1, self.config.max_mutations + 1))):
            child = self.mutate(child, MUTATIONS[int(rng.integers(len(MUTATIONS)))], rng)
        return self._warrior(child.instructions, child.start), origin

    def mutate(self, warrior: Warrior, operator: str, rng: np.random.Generator) -> Warrior:
        """``warrior`` changed by one operator of :data:`MUTATIONS`."""
        lines = list(warrior.instructions)
        start = warrior.start
        k = int(rng.integers(len(lines)))
        ins = lines[k]
        if operator == "opcode":
            lines[k] = _replace(ins, opcode=OPCODES[int(rng.integers(len(OPCODES)))])
        elif operator == "modifier":
            lines[k] = _replace(ins, modifier=MODIFIERS[int(rng.integers(len(MODIFIERS)))])
        elif operator in ("a_mode", "b_mode"):
            lines[k] = _replace(ins, **{operator: MODES[int(rng.integers(len(MODES)))]})
        elif operator in ("a_value", "b_value"):
            if rng.random() < 0.5:  # a small step, or a fresh value
                step = int(rng.choice([-2, -1, 1, 2]))
                value = (getattr(ins, operator) + step) % self.config.coresize
            else:
                value = self._value(rng)
            lines[k] = _replace(ins, **{operator: value})
        elif operator == "insert":
            if len(lines) < self.config.max_length:
                at = int(rng.integers(len(lines) + 1))
                lines.insert(at, self.random_instruction(rng))
                start += at <= start
        elif operator == "delete":
            if len(lines) > 1:
                del lines[k]
                start -= k < start
        elif operator == "duplicate":
            if len(lines) < self.config.max_length:
                lines.insert(k + 1, ins)
                start += k < start
        else:
            raise InvalidParameterError(
                f"unknown mutation {operator!r}; allowed: {', '.join(MUTATIONS)}"
            )
        return Warrior(tuple(lines), min(max(start, 0), len(lines) - 1), warrior.name)


def _replace(ins: Instruction, **changes: Any) -> Instruction:
    return dataclasses.replace(ins, **changes)


def crossover(a: Warrior, b: Warrior, rng: np.random.Generator) -> Warrior:
    """One-point crossover: ``a``'s lines before a cut, then ``b``'s lines after another
    (at least one line; ``a``'s start, moved inside the child)."""
    i = int(rng.integers(len(a.instructions) + 1))
    j = int(rng.integers(len(b.instructions) + 1))
    lines = a.instructions[:i] + b.instructions[j:]
    if not lines:
        lines = a.instructions[:1]
    return Warrior(lines, min(a.start, len(lines) - 1), a.name)


SYSTEM_PROMPT = """You write Core War warriors in ICWS'94 Redcode, as the pMARS simulator \
accepts it. Warriors share a circular core of {coresize} cells with their opponents; each \
may run at most {processes} processes and have at most {max_length} instructions; a \
battle is a tie after {cycles} cycles. A warrior dies when all its processes have \
executed DAT (or divided by zero). Opcodes: {opcodes}. Modifiers: {modifiers}. \
Addressing modes: {modes}. Answer with the whole warrior in one ```redcode fenced block."""

NEW_PROMPT = """Write a new Core War warrior that survives as long as possible and kills \
its opponents. Be creative: bombers, scanners, replicators, imps and their mixtures all \
work. Give only the warrior in a ```redcode block."""

MUTATE_PROMPT = """Here is a Core War warrior:

```redcode
{source}```

Change it to make it stronger against other warriors: alter instructions, constants, \
modes, add or remove lines, or change its strategy. Give only the new warrior in a \
```redcode block."""

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_-]*)[^\n]*\n(.*?)```", re.DOTALL)


def extract_code(reply: str) -> str:
    """The Redcode in a model's reply: the first ```redcode (or ```red) block, else the
    first fenced block, else the whole reply."""
    blocks = _FENCE.findall(reply)
    for tag, body in blocks:
        if tag.lower() in ("redcode", "red"):
            return str(body)
    return str(blocks[0][1]) if blocks else reply


class LLMGenerator:
    """The paper's generator: a chat model writes new warriors and changes parents.

    ``complete(messages) -> str`` is the model. Its reply is assembled (never run as
    Python); a reply that does not assemble or has more than ``max_length``
    instructions is invalid: it is counted in :attr:`invalid` and no warrior comes of
    it. ``crossover`` is not asked of the model: a crossover parent is ignored.
    """

    def __init__(self, complete: Complete, config: RedQueenConfig) -> None:
        self.complete = complete
        self.config = config
        self.invalid = 0
        self.requests = 0
        self.settings = BattleSettings.of(config)
        self.errors: list[str] = []
        """The assembler's message for each invalid reply, in order."""
        self.system = SYSTEM_PROMPT.format(
            coresize=config.coresize,
            processes=config.processes,
            max_length=config.max_length,
            cycles=config.cycles,
            opcodes=" ".join(OPCODES),
            modifiers=" ".join(MODIFIERS),
            modes=" ".join(MODES),
        )

    def _ask(self, prompt: str) -> Warrior | None:
        self.requests += 1
        reply = self.complete(
            [{"role": "system", "content": self.system}, {"role": "user", "content": prompt}]
        )
        try:
            warrior = self.settings.assemble(extract_code(str(reply)))
        except RedqueenError as err:  # AssemblyError and the limits the assembler checks
            self.invalid += 1
            self.errors.append(str(err))
            return None
        if not 1 <= len(warrior) <= self.config.max_length:
            self.invalid += 1
            self.errors.append(
                f"{len(warrior)} instructions; allowed: 1 to {self.config.max_length}"
            )
            return None
        return warrior

    def new(self, rng: np.random.Generator) -> Warrior | None:
        return self._ask(NEW_PROMPT)

    def vary(
        self, parent: Warrior, other: Warrior | None, rng: np.random.Generator
    ) -> tuple[Warrior | None, str]:
        return self._ask(MUTATE_PROMPT.format(source=parent.to_source())), "mutate"


# ---- one round of MAP-Elites --------------------------------------------------------------


@dataclass(frozen=True)
class RoundStats:
    """What one round's search did: warriors scored, and attempts that gave no warrior."""

    evaluated: int
    invalid: int


def map_elites(
    generator: Generator,
    opponents: Sequence[Warrior],
    config: RedQueenConfig,
    rng: np.random.Generator,
    seed: int,
    seeds: Sequence[Warrior] = (),
    pool: Executor | None = None,
    name: str = "drq",
) -> tuple[Archive, RoundStats]:
    """One round's search: an archive started from ``config.initial_population`` new
    warriors and the ``seeds``, then ``config.iterations`` children in batches, each
    scored against all ``opponents`` (fitness: survival share) and offered to its cell.
    Candidate ``i`` is named ``f"{name}-{i}"`` (the seeds keep their names) and scored
    with battle seed ``(seed, i)``."""
    settings = BattleSettings.of(config)
    archive = Archive(config.process_bins, config.coverage_bins, config.cycles, config.coresize)
    foes = tuple(opponents)
    invalid_before = generator.invalid
    made_so_far = 0
    evaluated = 0

    def named(w: Warrior | None, origin: str, i: int) -> Warrior | None:
        if w is None or origin == "champion":
            return w
        return dataclasses.replace(w, name=f"{name}-{i}")

    def score(batch: list[tuple[Warrior | None, str]]) -> None:
        nonlocal evaluated, made_so_far
        first, made_so_far = made_so_far, made_so_far + len(batch)
        numbered = [(first + k, named(w, o, first + k), o) for k, (w, o) in enumerate(batch)]
        todo = [(i, w, o) for i, w, o in numbered if w is not None]
        jobs = [(w, foes, settings, config.battle_rounds, _seed(seed, i)) for i, w, _ in todo]
        for (i, w, origin), ev in zip(todo, _evaluate_all(jobs, pool), strict=True):
            assert w is not None
            evaluated += 1
            archive.offer(
                Elite(
                    warrior=w,
                    source=w.to_source(),
                    fitness=ev.fitness,
                    processes=ev.processes,
                    coverage=ev.coverage,
                    cell=archive.cell(ev.processes, ev.coverage),
                    origin=origin,
                    index=i,
                )
            )

    start: list[tuple[Warrior | None, str]] = [(w, "champion") for w in seeds]
    start += [(generator.new(rng), "new") for _ in range(config.initial_population)]
    score(start)
    made = 0
    while made < config.iterations:
        batch: list[tuple[Warrior | None, str]] = []
        for _ in range(min(config.batch_size, config.iterations - made)):
            if len(archive) == 0:  # nothing valid yet: keep making from nothing
                batch.append((generator.new(rng), "new"))
                continue
            parent = archive.sample(rng).warrior
            other = archive.sample(rng).warrior if rng.random() < config.crossover_rate else None
            batch.append(generator.vary(parent, other, rng))
        made += len(batch)
        score(batch)
    return archive, RoundStats(evaluated, generator.invalid - invalid_before)


# ---- generality and diversity -------------------------------------------------------------


def load_warriors(
    directory: str | Path, settings: BattleSettings | None = None
) -> dict[str, Warrior]:
    """Every ``*.red`` file of ``directory``, assembled (with ``settings``' constants),
    by file name (sorted)."""
    directory = Path(directory)
    settings = settings or BattleSettings(8000, 80_000, 8000, 100, 100)
    if not directory.is_dir():
        raise InvalidParameterError(f"held-out warriors: {directory} is not a directory")
    warriors: dict[str, Warrior] = {}
    for path in sorted(directory.glob("*.red")):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
            warriors[path.stem] = settings.assemble(text)
        except AssemblyError as err:
            raise InvalidParameterError(f"held-out warrior {path}: {err}") from None
    if not warriors:
        raise InvalidParameterError(f"held-out warriors: no *.red files in {directory}")
    return warriors


@dataclass(frozen=True)
class Generality:
    """A warrior against a held-out set, one on one."""

    beaten: float
    """Fraction of the held-out warriors it beats (more wins than losses)."""
    score: float
    """Mean over the held-out warriors of its pMARS score per battle, (3 W + T) / rounds,
    in [0, 3]."""
    records: dict[str, tuple[int, int, int]]
    """(wins, losses, ties) against each held-out warrior."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "beaten": self.beaten,
            "score": self.score,
            "records": {k: list(v) for k, v in self.records.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Generality:
        records = {k: (int(v[0]), int(v[1]), int(v[2])) for k, v in data["records"].items()}
        return cls(float(data["beaten"]), float(data["score"]), records)


def generality(
    warrior: Warrior,
    held_out: Mapping[str, Warrior],
    settings: BattleSettings,
    rounds: int,
    seed: int,
) -> Generality:
    """How ``warrior`` does one on one against each held-out warrior."""
    if not held_out:
        raise InvalidParameterError("generality needs at least one held-out warrior")
    records = {
        name: one_on_one(warrior, other, settings, rounds, _seed(seed, k))
        for k, (name, other) in enumerate(sorted(held_out.items()))
    }
    beaten = sum(w > lo for w, lo, _ in records.values()) / len(records)
    score = float(np.mean([(3 * w + t) / rounds for w, _, t in records.values()]))
    return Generality(beaten, score, records)


def edit_distance(a: Sequence[Any], b: Sequence[Any]) -> int:
    """Levenshtein distance between two sequences (insert, delete, substitute: cost 1)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def code_distance(a: Warrior, b: Warrior) -> float:
    """Edit distance over instruction lines, divided by the longer length: 0 for equal
    code, 1 for code with no line in common place."""
    lines_a = [str(i) for i in a.instructions]
    lines_b = [str(i) for i in b.instructions]
    longest = max(len(lines_a), len(lines_b), 1)
    return edit_distance(lines_a, lines_b) / longest


def behaviour(elite: Elite, spawned: int, coresize: int) -> tuple[float, float]:
    """An elite's descriptors on the grid's [0, 1] log scales (tops: ``spawned``
    processes, ``coresize`` cells)."""
    return (
        min(1.0, math.log1p(elite.processes) / math.log1p(max(spawned, 1))),
        min(1.0, math.log1p(elite.coverage) / math.log1p(max(coresize, 1))),
    )


@dataclass(frozen=True)
class Diversity:
    """Mean pairwise distances between warriors of independent runs."""

    behavioural: float
    code: float
    pairs: int


def diversity(elites: Sequence[Elite], spawned: int, coresize: int) -> Diversity:
    """Mean pairwise behavioural distance (Euclidean, between :func:`behaviour` points)
    and code distance (:func:`code_distance`) between ``elites`` (say, each run's
    round-``t`` champion)."""
    pairs = list(itertools.combinations(elites, 2))
    if not pairs:
        return Diversity(0.0, 0.0, 0)
    beh = [
        math.dist(behaviour(a, spawned, coresize), behaviour(b, spawned, coresize))
        for a, b in pairs
    ]
    code = [code_distance(a.warrior, b.warrior) for a, b in pairs]
    return Diversity(float(np.mean(beh)), float(np.mean(code)), len(pairs))


# ---- the loop -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundRecord:
    """One DRQ round: its champion and how it was found."""

    round: int
    champion: Elite
    opponents: int
    """Earlier champions the candidates fought (the history, at most K)."""
    evaluated: int
    invalid: int
    cells: int
    """Archive cells filled at the end of the round."""
    mean_elite_fitness: float
    versus: list[tuple[int, int, int]]
    """The champion's one-on-one (wins, losses, ties) against each earlier champion."""
    generality: Generality | None
    seconds: float

    @property
    def beats_all(self) -> bool:
        """More wins than losses one on one against every earlier champion."""
        return all(w > lo for w, lo, _ in self.versus)

    def to_dict(self) -> dict[str, Any]:
        return {
            "round": self.round,
            "champion": self.champion.to_dict(),
            "opponents": self.opponents,
            "evaluated": self.evaluated,
            "invalid": self.invalid,
            "cells": self.cells,
            "mean_elite_fitness": self.mean_elite_fitness,
            "versus": [list(v) for v in self.versus],
            "beats_all": self.beats_all,
            "generality": None if self.generality is None else self.generality.to_dict(),
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], settings: BattleSettings) -> RoundRecord:
        gen = data.get("generality")
        return cls(
            round=int(data["round"]),
            champion=Elite.from_dict(data["champion"], settings),
            opponents=int(data["opponents"]),
            evaluated=int(data["evaluated"]),
            invalid=int(data["invalid"]),
            cells=int(data["cells"]),
            mean_elite_fitness=float(data["mean_elite_fitness"]),
            versus=[(int(v[0]), int(v[1]), int(v[2])) for v in data["versus"]],
            generality=None if gen is None else Generality.from_dict(gen),
            seconds=float(data["seconds"]),
        )


@dataclass(frozen=True, eq=False)
class RedQueenResult:
    """What :func:`red_queen` returns."""

    config: RedQueenConfig
    rounds: list[RoundRecord]
    """Round 0 (``w0``) and every DRQ round, in order."""
    resumed_from: int
    """Rounds already finished when this call started (0: a fresh run)."""
    wall_time: float

    @property
    def champions(self) -> list[Warrior]:
        return [r.champion.warrior for r in self.rounds]

    @property
    def invalid(self) -> int:
        return sum(r.invalid for r in self.rounds)

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": ALGORITHM,
            "config": self.config.model_dump(),
            "rounds": [r.to_dict() for r in self.rounds],
            "invalid": self.invalid,
            "resumed_from": self.resumed_from,
            "wall_time": self.wall_time,
        }


def _meta_key(run: int) -> str:
    return f"{ALGORITHM}/{run}"


def red_queen(
    config: RedQueenConfig | None = None,
    generator: Generator | None = None,
    store: RunStore | None = None,
    run: int = 0,
    held_out: Mapping[str, Warrior] | None = None,
    workers: int = 1,
    callback: Callable[[RoundRecord], bool | None] | None = None,
) -> RedQueenResult:
    """Run (or, with a ``store`` that has it, resume) DRQ run number ``run``.

    ``generator`` defaults to :class:`MutationGenerator`. ``held_out`` warriors, if
    given, measure each champion's generality. ``workers > 1`` scores each batch of
    children in that many processes (the result does not depend on it).
    ``callback(record)`` is called after each new round and may return True to stop.
    """
    start_time = time.perf_counter()
    config = (config or RedQueenConfig.model_validate({})).check()
    generator = generator or MutationGenerator(config)
    settings = BattleSettings.of(config)
    key = _meta_key(run)

    records: list[RoundRecord] = []
    if store is not None:
        _bind(store, key, config)
        saved = store.get_meta(key)
        if saved is not None:
            records = [RoundRecord.from_dict(r, settings) for r in saved["rounds"]]
    resumed_from = len(records)
    if store is not None:
        _log_rounds(store, key, run, records)

    pool: Executor | None = None
    if workers > 1 and config.rounds > len(records) - 1:
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        if not records:
            records.append(_first_round(config, held_out))
            _save_round(store, key, run, records, None)
            if callback is not None and callback(records[0]):
                return _result(config, records, resumed_from, start_time)
        while len(records) <= config.rounds:
            t = len(records)
            t0 = time.perf_counter()
            champions = [r.champion.warrior for r in records]
            history = champions if config.history is None else champions[-config.history :]
            rng = np.random.default_rng([config.seed, t])
            seeds = champions if config.seed_with_champions else []
            archive, stats = map_elites(
                generator, history, config, rng, _seed(config.seed, t, 1), seeds, pool, f"drq-r{t}"
            )
            if len(archive) == 0:
                raise RedqueenError(
                    f"round {t}: the generator made no valid warrior ({stats.invalid} "
                    "invalid); raise initial_population or iterations, or check the generator"
                )
            best = archive.best()
            versus = [
                one_on_one(
                    best.warrior, c, settings, config.versus_rounds, _seed(config.seed, t, 2, k)
                )
                for k, c in enumerate(champions)
            ]
            gen = None
            if held_out:
                gen = generality(
                    best.warrior,
                    held_out,
                    settings,
                    config.held_out_rounds,
                    _seed(config.seed, t, 3),
                )
            elites = archive.elites()
            record = RoundRecord(
                round=t,
                champion=best,
                opponents=len(history),
                evaluated=stats.evaluated,
                invalid=stats.invalid,
                cells=len(archive),
                mean_elite_fitness=float(np.mean([e.fitness for e in elites])),
                versus=versus,
                generality=gen,
                seconds=time.perf_counter() - t0,
            )
            records.append(record)
            _save_round(store, key, run, records, archive)
            if callback is not None and callback(record):
                break
    finally:
        if pool is not None:
            pool.shutdown()
    return _result(config, records, resumed_from, start_time)


def _result(
    config: RedQueenConfig, records: list[RoundRecord], resumed_from: int, start: float
) -> RedQueenResult:
    return RedQueenResult(config, records, resumed_from, time.perf_counter() - start)


def _first_round(config: RedQueenConfig, held_out: Mapping[str, Warrior] | None) -> RoundRecord:
    """Round 0: ``w0``, scored alone (its survival share and behaviour on an empty core)."""
    t0 = time.perf_counter()
    settings = BattleSettings.of(config)
    try:
        w0 = settings.assemble(config.initial_warrior)
    except RedqueenError as err:
        raise InvalidParameterError(f"initial_warrior does not assemble: {err}") from None
    ev = evaluate(w0, (), settings, config.battle_rounds, _seed(config.seed, 0, 1))
    archive = Archive(config.process_bins, config.coverage_bins, config.cycles, config.coresize)
    elite = Elite(
        w0,
        w0.to_source(),
        ev.fitness,
        ev.processes,
        ev.coverage,
        archive.cell(ev.processes, ev.coverage),
        "initial",
        -1,
    )
    gen = None
    if held_out:
        gen = generality(w0, held_out, settings, config.held_out_rounds, _seed(config.seed, 0, 3))
    return RoundRecord(0, elite, 0, 1, 0, 1, ev.fitness, [], gen, time.perf_counter() - t0)


def _bind(store: RunStore, key: str, config: RedQueenConfig) -> None:
    """Record this run's config, or check that a resumed run has the same one (only
    ``rounds`` may change, to continue a finished run)."""
    mine = config.model_dump()
    mine.pop("rounds")
    held = store.get_meta(f"{key}/config")
    if held is None:
        store.set_meta(f"{key}/config", mine)
        return
    if held != mine:
        from redqueen.store.run_store import RunMismatchError

        fields = sorted(k for k in set(held) | set(mine) if held.get(k) != mine.get(k))
        raise RunMismatchError(
            f"{store.dir} holds DRQ run {key} with a different config (fields that differ: "
            f"{', '.join(fields)}); choose another directory"
        )


def _save_round(
    store: RunStore | None,
    key: str,
    run: int,
    records: list[RoundRecord],
    archive: Archive | None,
) -> None:
    """Write the round's archive, then the rounds so far (the commit point), then its
    metrics; a run killed in between resumes from the previous commit point and logs
    each round's metrics once."""
    if store is None:
        return
    t = records[-1].round
    elites = archive.elites() if archive is not None else [records[-1].champion]
    store.set_meta(f"{key}/archive/{t}", [e.to_dict() for e in elites])
    store.set_meta(key, {"round": t, "rounds": [r.to_dict() for r in records]})
    _log_rounds(store, key, run, records)


def _log_rounds(store: RunStore, key: str, run: int, records: Sequence[RoundRecord]) -> None:
    logged = int(store.get_meta(f"{key}/logged", -1))
    for r in records:
        if r.round <= logged:
            continue
        store.log_metric("champion_fitness", r.champion.fitness, step=r.round, run=run)
        store.log_metric("archive_cells", r.cells, step=r.round, run=run)
        store.log_metric("evaluated", r.evaluated, step=r.round, run=run)
        store.log_metric("invalid_code", r.invalid, step=r.round, run=run)
        if r.generality is not None:
            store.log_metric("generality_beaten", r.generality.beaten, step=r.round, run=run)
            store.log_metric("generality_score", r.generality.score, step=r.round, run=run)
        store.set_meta(f"{key}/logged", r.round)


def _stored_settings(store: RunStore, run: int) -> BattleSettings | None:
    config = store.get_meta(f"{_meta_key(run)}/config")
    return None if config is None else BattleSettings.of(config)


def load_rounds(store: RunStore, run: int = 0) -> list[RoundRecord]:
    """The finished rounds of DRQ run ``run`` kept in ``store``."""
    saved = store.get_meta(_meta_key(run))
    settings = _stored_settings(store, run)
    if saved is None or settings is None:
        return []
    return [RoundRecord.from_dict(r, settings) for r in saved["rounds"]]


def load_archive(store: RunStore, round: int, run: int = 0) -> list[Elite]:
    """The archive of round ``round`` of DRQ run ``run``."""
    saved = store.get_meta(f"{_meta_key(run)}/archive/{round}")
    settings = _stored_settings(store, run)
    if saved is None or settings is None:
        raise RedqueenError(f"{store.dir} has no archive for run {run}, round {round}")
    return [Elite.from_dict(e, settings) for e in saved]
