"""The differential fuzzer: its shrinker on its own, and a fixed-seed run against pMARS
that must find no disagreement (the ``pmars`` fixture skips it where pMARS cannot be
built)."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from redqueen.games.corewar import AssemblyError, assemble
from redqueen.games.corewar.assembler import _Evaluator
from redqueen.games.corewar.fuzz import (
    Fuzzer,
    Settings,
    classic_sources,
    ddmin,
    macro_source,
    mutated_source,
    raw_source,
)
from redqueen.games.corewar.reference import Pmars


def test_ddmin_finds_the_two_lines_that_matter() -> None:
    lines = [f"line {i}" for i in range(40)]
    calls: list[int] = []

    def fails(trial: list[str]) -> bool:
        calls.append(len(trial))
        return "line 7" in trial and "line 31" in trial

    assert ddmin(lines, fails) == ["line 7", "line 31"]
    assert len(calls) < 100


def test_generators_reach_every_corner_they_promise() -> None:
    rng = random.Random(0)
    s = Settings(coresize=800, cycles=100, max_length=20, min_distance=20)
    raw = [raw_source(rng, s) for _ in range(300)]
    macro = [macro_source(rng, s) for _ in range(300)]
    classics = classic_sources()
    mutated = [mutated_source(rng, s, classics) for _ in range(100)]
    text = "\n".join(raw + macro)
    for word in ("EQU", "FOR", "ROF", "CURLINE", "PIN", "ORG", "END ", ";assert", "&c", "STP"):
        assert word in text, word
    lines = [line for src in raw for line in src.splitlines()[2:]]
    pseudo = ("ORG", "END", "PIN")
    opcodes = {ln.split()[0].split(".")[0].upper() for ln in lines if not ln.startswith(pseudo)}
    assert len(opcodes) == 19
    accepted = 0
    for src in raw + macro + mutated:
        try:
            assemble(src, coresize=800, max_length=20, min_distance=20)
            accepted += 1
        except AssemblyError:
            pass
    # both verdicts are exercised
    assert 100 < accepted < len(raw) + len(macro) + len(mutated) - 100


def test_fixed_seeds_find_no_disagreement_with_pmars(pmars: Pmars) -> None:
    fuzzer = Fuzzer(pmars.server, seed=2024, classics=classic_sources(pmars.source))
    try:
        report = fuzzer.run(assemblies=1000, battles=100)
    finally:
        fuzzer.close()
    assert report.assemblies == 1000 and report.battles == 100
    assert report.rounds >= 100
    details = [(d.kind, d.sources, d.ours, d.pmars) for d in report.disagreements]
    assert not report.disagreements, details


def test_the_expression_evaluator_is_pmars_own(pmars: Pmars, tmp_path: Path) -> None:
    """pMARS's eval.c, compiled here with a small driver, and redqueen's port read the
    same random expressions to the same verdict and value."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no C compiler to build pMARS's evaluator")
    driver = tmp_path / "driver.c"
    driver.write_text(
        "#include <stdio.h>\n#include <string.h>\n"
        "int eval_expr(char *, long *); void reset_regs(void);\n"
        "int main(void) { char s[4096]; long r;\n"
        '  while (fgets(s, sizeof s, stdin)) { s[strcspn(s, "\\n")] = 0; r = 0;\n'
        '    int e = eval_expr(s, &r); printf("%d %ld\\n", e, r); reset_regs(); }\n'
        "  return 0; }\n"
    )
    src = pmars.source / "src"
    binary = tmp_path / "eval"
    subprocess.run(
        [cc, "-O2", "-DEXT94", "-DSERVER", f"-I{src}", "-o", str(binary), str(driver),
         str(src / "eval.c")],
        check=True, capture_output=True,
    )  # fmt: skip
    rng = random.Random(5)
    ops = ("+", "-", "*", "/", "%", "==", "!=", "<", ">", "<=", ">=", "&&", "||")

    def term(depth: int) -> str:
        pick = rng.random()
        if pick < 0.6 or depth > 2:
            return str(rng.randint(0, 12))
        if pick < 0.75:
            return rng.choice("-!+") + term(depth + 1)
        return "(" + expr(depth + 1) + ")"

    def expr(depth: int = 0) -> str:
        out = term(depth)
        for _ in range(rng.randint(0, 6)):
            out += rng.choice(ops) + term(depth + 1)
        return out

    exprs = [expr() for _ in range(4000)]
    lines = subprocess.run(
        [str(binary)], input="\n".join(exprs) + "\n", capture_output=True, text=True, check=True
    ).stdout.splitlines()
    refused = 0
    for text, line in zip(exprs, lines, strict=True):
        code, value = (int(x) for x in line.split())
        ev = _Evaluator(text, {}, strict=False)
        ours = ev.run()
        assert (ev.error is None) == (code >= 0), text
        if code >= 0:
            assert ours == value, text
        else:
            refused += 1
    assert 200 < refused < 3800  # both verdicts are exercised
