"""Differential fuzzing of redqueen's Core War against pMARS 0.9.2.

Random warriors are assembled by redqueen and by pMARS, and random battles are played by
both; any difference in the accepted/refused verdict, in the loaded code and start, or in
a battle's outcome is a *disagreement*, shrunk to a minimal case by delta debugging over
source lines (Zeller & Hildebrandt, "Simplifying and isolating failure-inducing input",
IEEE TSE 2002) and reported with both readings.

Three generators write the warriors:

- :func:`raw_source`: raw instructions over every opcode, modifier (or none) and
  addressing mode (or none), one or two operands, awkward numbers (0, -1, +-CORESIZE,
  CORESIZE+-1, large), with ORG, END and PIN now and then;
- :func:`macro_source`: labels (with and without ``:``, several on a line, alone on a
  line, defined twice), ``EQU`` (also after a lone label), ``FOR``/``ROF`` with
  counters, ``&`` concatenation, counts of 0 or less and nesting, ``CURLINE``, the
  predefined constants, ``;assert``, and expressions over every operator;
- :func:`mutated_source`: classic warriors (``tests/corewar/warriors`` and pMARS's own)
  with a few opcodes, modifiers, modes, numbers or lines changed, so that battles last.

Battles use small cores (few cycles, P-space over several rounds) and the standard
one, two to four warriors, and pMARS's fixed first position (``-F``). pMARS assembles
up to 36 warriors per process (:func:`~redqueen.games.corewar.reference.pmars_assemble_many`);
each battle is one process.

From Python, ``Fuzzer(pmars_binary, seed).run(assemblies=..., battles=...)``; from the
shell, ``python -m redqueen.games.corewar.fuzz --seconds 600 [--seed S] [--out DIR]``
(pMARS is built on first use, see ``reference.build_pmars``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from redqueen.games.corewar.assembler import SLOW_VALUE_WARNING, assemble
from redqueen.games.corewar.redcode import MODES, MODIFIERS, OPCODES, AssemblyError, Warrior
from redqueen.games.corewar.reference import (
    PmarsAssembly,
    PmarsCrashed,
    pmars_assemble_many,
    pmars_battle,
)

_CLASSICS = Path(__file__).resolve().parents[4] / "tests" / "corewar" / "warriors"
_PREDEFINED = ("CORESIZE", "MAXLENGTH", "MAXPROCESSES", "MINDISTANCE", "ROUNDS",
               "PSPACESIZE", "WARRIORS", "VERSION", "MAXCYCLES")  # fmt: skip
_TIMEOUT = 10.0  # seconds for one pMARS process
_OPERATORS = ("+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||")


@dataclass(frozen=True)
class Settings:
    """One pMARS command line: what both simulators are given."""

    coresize: int = 8000
    cycles: int = 80000
    processes: int = 8000
    max_length: int = 100
    min_distance: int = 100
    rounds: int = 1

    def assemble(self, source: str, warriors: int, cycles: int | None = None) -> Warrior:
        return assemble(
            source,
            coresize=self.coresize,
            max_length=self.max_length,
            processes=self.processes,
            cycles=self.cycles if cycles is None else cycles,
            min_distance=self.min_distance,
            rounds=self.rounds,
            warriors=warriors,
        )


def small_settings(rng: random.Random) -> Settings:
    coresize = rng.choice((80, 101, 128, 255, 400, 800, 1000))
    length = rng.choice((5, 10, 20))
    return Settings(
        coresize=coresize,
        cycles=rng.choice((50, 200, 1000, 5000)),
        processes=rng.choice((1, 2, 8, 64)),
        max_length=length,
        min_distance=max(length, coresize // 8),
        rounds=rng.randint(1, 5),
    )


def standard_settings(rng: random.Random) -> Settings:
    return Settings(rounds=rng.randint(1, 3))


# ----------------------------------------------------------------------- generators


def _number(rng: random.Random, s: Settings) -> str:
    m = s.coresize
    value = rng.choice(
        (
            rng.randint(-10, 10),
            rng.randint(-10, 10),
            rng.randint(-m, m),
            rng.choice((0, -1, 1, m, -m, m - 1, m + 1, -m - 1, m // 2, 2 * m)),
            rng.randint(-(10**6), 10**6),
        )
    )
    return str(value)


def _operand(rng: random.Random, s: Settings, value: str | None = None) -> str:
    mode = rng.choice(MODES) if rng.random() < 0.85 else ""
    return mode + (value if value is not None else _number(rng, s))


def _opcode(rng: random.Random) -> str:
    op = rng.choice(OPCODES)
    if rng.random() < 0.75:
        op += "." + rng.choice(MODIFIERS)
    return op.lower() if rng.random() < 0.2 else op


def _instruction(rng: random.Random, s: Settings) -> str:
    op = _opcode(rng)
    if rng.random() < 0.12:
        return f"{op} {_operand(rng, s)}"
    return f"{op} {_operand(rng, s)}, {_operand(rng, s)}"


def raw_source(rng: random.Random, s: Settings) -> str:
    """Raw instructions over every opcode, modifier and mode, with awkward numbers."""
    n = rng.randint(1, s.max_length + (1 if rng.random() < 0.05 else 0))
    lines = [";redcode-94", f";name raw{rng.randrange(10**6)}"]
    if rng.random() < 0.2:
        lines.append(f"PIN {rng.choice((0, 0, 1, 2, s.coresize))}")
    if rng.random() < 0.3:
        lines.append(f"ORG {rng.randint(-2, n + 2)}")
    lines += [_instruction(rng, s) for _ in range(n)]
    if rng.random() < 0.2:
        lines.append(f"STP #{rng.randint(0, 9)}, #0")
        lines.append(f"LDP #0, {rng.randint(-3, 3)}")
    lines.append(f"END {rng.randint(-1, n + 1)}" if rng.random() < 0.3 else "END")
    return "\n".join(lines) + "\n"


class _Macro:
    """State of one :func:`macro_source` warrior: names defined so far."""

    def __init__(self, rng: random.Random, s: Settings) -> None:
        self.rng = rng
        self.s = s
        self.labels: list[str] = []
        self.equs: list[str] = []
        self.counters: list[str] = []
        self.serial = 0
        self.length = 0

    def name(self, prefix: str) -> str:
        self.serial += 1
        return f"{prefix}{self.serial}"

    def term(self, depth: int) -> str:
        rng = self.rng
        pick = rng.random()
        if pick < 0.35 or depth > 2:
            return str(rng.choice((0, 1, 2, 3, 5, 7, 10, rng.randint(0, 200))))
        if pick < 0.5 and self.labels:
            return rng.choice(self.labels)
        if pick < 0.6 and self.equs:
            return rng.choice(self.equs)
        if pick < 0.67 and self.counters:
            return rng.choice(self.counters)
        if pick < 0.72:
            return rng.choice(_PREDEFINED)
        if pick < 0.75:
            return "CURLINE"
        if pick < 0.85:
            return rng.choice(("-", "!", "+", "-")) + self.term(depth + 1)
        return "(" + self.expr(depth + 1) + ")"

    def expr(self, depth: int = 0) -> str:
        rng = self.rng
        out = self.term(depth)
        for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
            op = rng.choice(_OPERATORS[:5] * 3 + _OPERATORS[5:])
            space = " " if rng.random() < 0.3 else ""
            out += f"{space}{op}{space}{self.term(depth + 1)}"
        return out

    def instruction(self) -> str:
        rng = self.rng
        op = _opcode(rng)
        a = (rng.choice(MODES) if rng.random() < 0.7 else "") + self.expr()
        self.length += 1
        if rng.random() < 0.1:
            return f"{op} {a}"
        b = (rng.choice(MODES) if rng.random() < 0.7 else "") + self.expr()
        return f"{op} {a}, {b}"

    def labelled(self, line: str) -> list[str]:
        rng = self.rng
        pick = rng.random()
        if pick < 0.5:
            return [line]
        if pick < 0.85:
            names = [self.name("L") for _ in range(rng.choice((1, 1, 1, 2)))]
            self.labels += names
            colon = ":" if rng.random() < 0.4 else ""
            return [" ".join(n + colon for n in names) + " " + line]
        if pick < 0.95:
            name = self.name("L")
            self.labels.append(name)
            return [name, line]
        if self.labels:  # a label defined twice: pMARS drops the line
            return [f"{rng.choice(self.labels)} {line}"]
        return [line]

    def block(self, depth: int) -> list[str]:
        rng = self.rng
        lines: list[str] = []
        for _ in range(rng.randint(1, 4)):
            pick = rng.random()
            if pick < 0.55 or depth > 1:
                lines += self.labelled(self.instruction())
            elif pick < 0.7:
                name = self.name("E")
                if rng.random() < 0.2:  # a lone label before EQU takes the same text
                    alone = self.name("E")
                    lines.append(alone)
                    self.equs.append(alone)
                lines.append(f"{name} EQU {self.expr()}")
                self.equs.append(name)
            elif pick < 0.9:
                counter = self.name("c")
                count = rng.choice((-1, 0, 1, 2, 3, 2))
                head = f"{counter} FOR {count}"
                if rng.random() < 0.2:
                    extra = self.name("L")
                    head = f"{extra} {head}"
                    self.labels.append(extra)
                self.counters.append(counter)
                body = self.block(depth + 1)
                if rng.random() < 0.3:
                    body.append(f"x&{counter} {self.instruction()}")
                self.counters.remove(counter)
                lines += [head, *body, "ROF"]
            else:
                lines.append(f";assert {self.expr()}")
        return lines


def macro_source(rng: random.Random, s: Settings) -> str:
    """Labels, EQU, FOR/ROF, CURLINE, predefined constants, asserts and expressions."""
    m = _Macro(rng, s)
    lines = [";redcode-94", f";name macro{rng.randrange(10**6)}"]
    body: list[str] = []
    while len(body) < rng.randint(2, 10):
        body += m.block(0)
    if rng.random() < 0.4 and m.labels:
        body.insert(0, f"ORG {rng.choice(m.labels)}")
    if rng.random() < 0.1:
        body.insert(0, f"PIN {m.expr()}")
    end = "END"
    if rng.random() < 0.3:
        end = f"END {rng.choice(m.labels) if m.labels else m.expr()}"
    return "\n".join([*lines, *body, end]) + "\n"


def classic_sources(pmars_source: Path | None = None) -> list[str]:
    """The warriors mutations start from: ours and those shipped with pMARS."""
    files = sorted(_CLASSICS.glob("*.red"))
    if pmars_source is not None:
        files += sorted((pmars_source / "warriors").glob("*.red"))
    return [f.read_text(encoding="utf-8", errors="replace") for f in files]


def mutated_source(rng: random.Random, s: Settings, classics: Sequence[str]) -> str:
    """A classic warrior with one to three small changes."""
    lines = rng.choice(classics).splitlines()
    code = [i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith(";")]
    for _ in range(rng.randint(1, 3)):
        if not code:
            break
        i = rng.choice(code)
        words = lines[i].split()
        pick = rng.random()
        if pick < 0.2:
            lines[i] = lines[i].replace(words[0], _opcode(rng), 1) if words else lines[i]
        elif pick < 0.45:
            lines[i] = _swap_char(rng, lines[i], MODES)
        elif pick < 0.7:
            lines[i] = _swap_number(rng, lines[i], s)
        elif pick < 0.8:
            lines[i] = ""
        elif pick < 0.9:
            lines.insert(i, lines[i])
        else:
            lines.insert(i, _instruction(rng, s))
    return "\n".join(lines) + "\n"


def _swap_char(rng: random.Random, line: str, choices: Sequence[str]) -> str:
    spots = [k for k, ch in enumerate(line) if ch in choices]
    if not spots:
        return line
    k = rng.choice(spots)
    return line[:k] + rng.choice(choices) + line[k + 1 :]


def _swap_number(rng: random.Random, line: str, s: Settings) -> str:
    spots = [
        k for k, ch in enumerate(line) if ch.isdigit() and (k == 0 or not line[k - 1].isalnum())
    ]
    if not spots:
        return line
    k = rng.choice(spots)
    end = k
    while end < len(line) and line[end].isdigit():
        end += 1
    return line[:k] + _number(rng, s).lstrip("-") + line[end:]


# ----------------------------------------------------------------------- comparisons


@dataclass
class Disagreement:
    """One case where redqueen and pMARS differ, shrunk to as few lines as it takes."""

    kind: str  # "assembly" | "battle"
    sources: list[str]
    settings: dict[str, int]
    ours: str
    pmars: str
    first_position: int | None = None


@dataclass
class FuzzReport:
    """Counts of what was compared, and every disagreement found."""

    assemblies: int = 0
    refused: int = 0  # sources both refused
    pmars_crashes: int = 0  # sources or battles pMARS crashed on (not compared)
    pmars_hangs: int = 0  # battles pMARS did not finish (not compared)
    pmars_undefined: int = 0  # battles pMARS plays outside its core (not compared)
    battles: int = 0
    rounds: int = 0
    seconds: float = 0.0
    disagreements: list[Disagreement] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.assemblies} assemblies ({self.refused} refused by both, "
            f"{self.pmars_crashes} crashes of pMARS in all), "
            f"{self.battles} battles ({self.rounds} rounds; not compared: "
            f"{self.pmars_hangs} hung pMARS, {self.pmars_undefined} undefined in pMARS), "
            f"{len(self.disagreements)} disagreements, {self.seconds:.0f} s"
        )


def _ours(source: str, s: Settings, warriors: int) -> Warrior | str:
    try:
        return s.assemble(source, warriors, cycles=1)
    except AssemblyError as err:
        return f"refused: {err}"


def too_slow_for_pmars(source: str, s: Settings, warriors: int) -> bool:
    """True when a field is so far outside the core that pMARS would spend minutes
    reducing it (it subtracts CORESIZE until the value fits): such sources are redrawn."""
    warnings: list[str] = []
    with contextlib.suppress(AssemblyError):
        assemble(
            source, coresize=s.coresize, max_length=s.max_length, processes=s.processes,
            cycles=1, min_distance=s.min_distance, rounds=s.rounds, warriors=warriors,
            warnings=warnings,
        )  # fmt: skip
    return any(SLOW_VALUE_WARNING in w for w in warnings)


def _describe(got: Warrior | PmarsAssembly | str | None) -> str:
    if got is None:
        return "refused"
    if isinstance(got, str):
        return got
    start = got.start
    return f"start {start}: " + " | ".join(str(i) for i in got.instructions)


def assembly_differs(ours: Warrior | str, ref: PmarsAssembly | None) -> bool:
    if isinstance(ours, str) or ref is None:
        return isinstance(ours, str) != (ref is None)
    if list(ours.instructions) != ref.instructions:
        return True
    if ref.start is None:
        return ours.start < len(ours.instructions)
    return ours.start != ref.start


def ddmin(
    items: list[str], still_fails: Callable[[list[str]], bool], budget: int = 200
) -> list[str]:
    """Delta debugging: a smaller list of lines on which ``still_fails`` holds."""
    n = 2
    while len(items) >= 2 and budget > 0:
        chunk = -(-len(items) // n)
        reduced = False
        for start in range(0, len(items), chunk):
            trial = items[:start] + items[start + chunk :]
            budget -= 1
            if trial and still_fails(trial):
                items, n, reduced = trial, max(n - 1, 2), True
                break
            if budget <= 0:
                break
        if not reduced:
            if n >= len(items):
                break
            n = min(2 * n, len(items))
    return items


class Fuzzer:
    """Draws warriors and battles from ``seed`` and compares redqueen with pMARS."""

    def __init__(
        self,
        pmars: Path,
        seed: int = 0,
        classics: Sequence[str] | None = None,
        shrink: bool = True,
    ) -> None:
        self.pmars = pmars
        self.rng = random.Random(seed)
        self.classics = list(classics) if classics is not None else classic_sources()
        self.shrink = shrink
        self._dir = tempfile.TemporaryDirectory(prefix="redqueen-fuzz-")
        self.work = Path(self._dir.name)
        self._files = 0

    def close(self) -> None:
        self._dir.cleanup()

    def _write(self, source: str) -> Path:
        self._files += 1
        path = self.work / f"w{self._files}.red"
        path.write_text(source, encoding="utf-8")
        return path

    def source(self, s: Settings, warriors: int) -> str:
        while True:
            pick = self.rng.random()
            if pick < 0.35:
                src = raw_source(self.rng, s)
            elif pick < 0.75:
                src = macro_source(self.rng, s)
            else:
                src = mutated_source(self.rng, s, self.classics)
            if not too_slow_for_pmars(src, s, warriors):
                return src

    # -- assembly ------------------------------------------------------------------
    def _assembly_check(
        self, sources: list[str], s: Settings, count: bool = True
    ) -> list[tuple[str, str] | None]:
        s = replace(s, rounds=0)  # no battle after the listing (see pmars_assemble_many)
        files = [self._write(src) for src in sources]
        try:
            refs: list[PmarsAssembly | None] = pmars_assemble_many(
                self.pmars, files, s.coresize, s.max_length, s.min_distance, s.processes,
                s.rounds, timeout=_TIMEOUT,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return [("a verdict", "pMARS did not finish")] * len(sources)
        finally:
            for f in files:
                f.unlink()
        out: list[tuple[str, str] | None] = []
        for src, ref in zip(sources, refs, strict=True):
            if ref is not None and ref.crashed:
                self.report.pmars_crashes += count
                out.append(None)
                continue
            ours = _ours(src, s, len(sources))
            out.append((_describe(ours), _describe(ref)) if assembly_differs(ours, ref) else None)
            if count and isinstance(ours, str) and ref is None:
                self.report.refused += 1
        return out

    def _single_differs(self, source: str, s: Settings, warriors: int) -> bool:
        if too_slow_for_pmars(source, s, warriors):
            return False
        padding = [";redcode-94\nJMP 0\n"] * (warriors - 1)
        return self._assembly_check([source, *padding], s, count=False)[0] is not None

    def assemblies(self, count: int) -> None:
        s = small_settings(self.rng) if self.rng.random() < 0.4 else standard_settings(self.rng)
        per = max(1, min(36, (s.coresize - 1) // s.min_distance))
        while count > 0:
            size = min(per, count)
            batch = [self.source(s, size) for _ in range(size)]
            results = self._assembly_check(batch, s)
            self.report.assemblies += len(batch)
            count -= len(batch)
            for src, diff in zip(batch, results, strict=True):
                if diff is not None:
                    self._record_assembly(src, s, len(batch), diff)

    def _record_assembly(
        self, source: str, s: Settings, warriors: int, diff: tuple[str, str]
    ) -> None:
        lines = source.splitlines()
        if self.shrink:
            lines = ddmin(lines, lambda ls: self._single_differs("\n".join(ls) + "\n", s, warriors))
            again = self._assembly_check(
                ["\n".join(lines) + "\n"] + [";redcode-94\nJMP 0\n"] * (warriors - 1), s, False
            )[0]
            diff = again or diff
        self.report.disagreements.append(
            Disagreement("assembly", ["\n".join(lines) + "\n"], asdict(s), diff[0], diff[1])
        )

    # -- battles -------------------------------------------------------------------
    def _battle_differs(
        self, sources: list[str], s: Settings, position: int
    ) -> tuple[str, str] | None:
        from redqueen.games.corewar.mars import battle

        try:
            warriors = [s.assemble(src, len(sources)) for src in sources]
        except AssemblyError:
            return None  # not a battle any more (the shrinker removed too much)
        if any(too_slow_for_pmars(src, s, len(sources)) for src in sources):
            return None
        result = battle(
            warriors, rounds=s.rounds, coresize=s.coresize, cycles=s.cycles,
            processes=s.processes, max_length=s.max_length, min_distance=s.min_distance,
            first_position=position, track=False,
        )  # fmt: skip
        if any(
            row[k] + warriors[k].start >= s.coresize
            for row in result.positions
            for k in range(len(warriors))
        ):
            # pMARS starts such a process past the end of its core array
            self.report.pmars_undefined += 1
            return None
        files = [self._write(src) for src in sources]
        try:
            ref = pmars_battle(
                self.pmars, files, s.rounds, first_position=position, coresize=s.coresize,
                cycles=s.cycles, processes=s.processes, max_length=s.max_length,
                min_distance=s.min_distance, timeout=_TIMEOUT,
            )  # fmt: skip
        except PmarsCrashed:
            self.report.pmars_crashes += 1
            return None
        except RuntimeError as err:
            return ("a battle", f"pmars failed: {err}")
        except subprocess.TimeoutExpired:
            self.report.pmars_hangs += 1
            return None
        finally:
            for f in files:
                f.unlink()
        n = len(sources)
        if n == 2:
            ours = [[result.wins[k], result.ties[k]] for k in range(2)]
        else:
            ours = [[sum(1 for row in result.outcomes if row[k] == j) for j in range(1, n + 1)]
                    for k in range(n)]  # fmt: skip
        return None if ours == ref else (str(ours), str(ref))

    def battles(self, count: int) -> None:
        done = 0
        while done < count:
            rng = self.rng
            small = rng.random() < 0.5
            s = small_settings(rng) if small else standard_settings(rng)
            n = 2 if rng.random() < 0.85 else rng.choice((3, 4))
            if n * s.min_distance > s.coresize:
                n = 2
            sources: list[str] = []
            while len(sources) < n:
                src = self.source(s, n) if small else mutated_source(rng, s, self.classics)
                if not isinstance(_ours(src, s, n), str) and not too_slow_for_pmars(src, s, n):
                    sources.append(src)
            position = rng.randint(s.min_distance, s.coresize - s.min_distance)
            diff = self._battle_differs(sources, s, position)
            self.report.battles += 1
            self.report.rounds += s.rounds
            done += 1
            if diff is not None:
                self._record_battle(sources, s, position, diff)

    def _record_battle(
        self, sources: list[str], s: Settings, position: int, diff: tuple[str, str]
    ) -> None:
        sources = list(sources)
        if self.shrink:
            for k in range(len(sources)):

                def still(ls: list[str], k: int = k) -> bool:
                    trial = [*sources[:k], "\n".join(ls) + "\n", *sources[k + 1 :]]
                    return self._battle_differs(trial, s, position) is not None

                sources[k] = "\n".join(ddmin(sources[k].splitlines(), still)) + "\n"
            diff = self._battle_differs(sources, s, position) or diff
        self.report.disagreements.append(
            Disagreement("battle", sources, asdict(s), diff[0], diff[1], position)
        )

    # -- driver --------------------------------------------------------------------
    def run(
        self, assemblies: int = 0, battles: int = 0, seconds: float | None = None
    ) -> FuzzReport:
        """Compare ``assemblies`` sources and ``battles`` battles; with ``seconds``, keep
        going in rounds of 360 assemblies and 40 battles until the time is up."""
        self.report = FuzzReport()
        began = time.monotonic()
        if seconds is None:
            self.assemblies(assemblies)
            self.battles(battles)
        else:
            while time.monotonic() - began < seconds:
                self.assemblies(360)
                self.battles(40)
        self.report.seconds = time.monotonic() - began
        return self.report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="run this long")
    parser.add_argument("--assemblies", type=int, default=1000)
    parser.add_argument("--battles", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-shrink", action="store_true", help="report cases as drawn")
    parser.add_argument("--out", type=Path, default=None, help="write disagreements here (JSON)")
    args = parser.parse_args(argv)
    from redqueen.games.corewar.reference import build_pmars

    pm = build_pmars()
    fuzzer = Fuzzer(pm.server, args.seed, classic_sources(pm.source), not args.no_shrink)
    try:
        report = fuzzer.run(args.assemblies, args.battles, args.seconds)
    finally:
        fuzzer.close()
    print(report.summary())
    for d in report.disagreements:
        print(f"--- {d.kind} {d.settings} position={d.first_position}")
        for src in d.sources:
            print(src.rstrip())
            print("---")
        print(f"redqueen: {d.ours}\npMARS:    {d.pmars}")
    if args.out is not None:
        args.out.write_text(json.dumps(asdict(report), indent=1))
    return 1 if report.disagreements else 0


if __name__ == "__main__":
    raise SystemExit(main())
