"""pMARS, the reference MARS, built from Debian's source package for cross-checks.

``build_pmars()`` fetches ``pmars`` source with ``apt-get source --download-only``
using a private sources list and private apt state under the cache directory (the
system's apt configuration is not touched), unpacks the upstream tarball and compiles
two binaries without any display: ``pmars`` (``-DSERVER``, for battles and benchmarks)
and ``pmars-cdb`` (with the cdb debugger, for core traces). Nothing here is needed to
play Core War; the tests and ``benchmarks/corewar.py`` use it when it can be built.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from redqueen.games.corewar.redcode import Instruction

PMARS_VERSION = "0.9.2"
_CFLAGS_COMMON = "-O2 -DEXT94 -DPERMUTATE"


@dataclass(frozen=True)
class Pmars:
    """Paths of the two pMARS builds."""

    server: Path
    cdb: Path
    source: Path  # unpacked source tree (its warriors/ folder has pMARS's examples)


class PmarsCrashed(RuntimeError):
    """pMARS died of a signal (0.9.2 has memory bugs that some sources reach)."""


class PmarsUnavailable(RuntimeError):
    """pMARS could not be fetched or built; the message says why."""


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "redqueen" / "pmars"


def _run(cmd: list[str], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
    )


def _codename() -> str:
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return "bookworm"
    m = re.search(r"^VERSION_CODENAME=(\w+)", text, re.M)
    return m.group(1) if m else "bookworm"


def _fetch_source(cache: Path, timeout: float) -> Path:
    tarballs = sorted(cache.glob("dl/pmars_*.orig.tar.gz"))
    if tarballs:
        return tarballs[-1]
    if shutil.which("apt-get") is None:
        raise PmarsUnavailable("apt-get not found: cannot fetch Debian's pmars source")
    for sub in ("lists/partial", "apt-cache/archives/partial", "dl"):
        (cache / sub).mkdir(parents=True, exist_ok=True)
    sources = cache / "sources.list"
    keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"
    signed = f"[signed-by={keyring}] " if Path(keyring).exists() else ""
    sources.write_text(f"deb-src {signed}http://deb.debian.org/debian {_codename()} main\n")
    opts = [
        f"-oDir::Etc::SourceList={sources}",
        "-oDir::Etc::SourceParts=/nonexistent",
        f"-oDir::State::Lists={cache / 'lists'}",
        f"-oDir::Cache={cache / 'apt-cache'}",
    ]
    if os.geteuid() == 0:
        opts.append("-oAPT::Sandbox::User=root")
    upd = _run(["apt-get", *opts, "-q", "update"], cache, timeout)
    if upd.returncode != 0:
        raise PmarsUnavailable(f"apt-get update for deb-src failed: {upd.stderr.strip()[-300:]}")
    src = _run(["apt-get", *opts, "source", "--download-only", "pmars"], cache / "dl", timeout)
    tarballs = sorted(cache.glob("dl/pmars_*.orig.tar.gz"))
    if src.returncode != 0 or not tarballs:
        raise PmarsUnavailable(f"apt-get source pmars failed: {src.stderr.strip()[-300:]}")
    return tarballs[-1]


def build_pmars(cache: Path | None = None, timeout: float = 120.0) -> Pmars:
    """Fetch (once) and build (once) pMARS under ``cache``; raise PmarsUnavailable."""
    cache = cache or default_cache()
    cache.mkdir(parents=True, exist_ok=True)
    server, cdb = cache / "bin" / "pmars", cache / "bin" / "pmars-cdb"
    tree = cache / f"pmars-{PMARS_VERSION}"
    if server.exists() and cdb.exists() and tree.exists():
        return Pmars(server, cdb, tree)
    if shutil.which("gcc") is None and shutil.which("cc") is None:
        raise PmarsUnavailable("no C compiler (gcc/cc) to build pMARS")
    tarball = _fetch_source(cache, timeout)
    if not tree.exists():
        with tarfile.open(tarball) as tar:
            tar.extractall(cache, filter="data")
    if not (tree / "src" / "sim.c").exists():
        raise PmarsUnavailable(f"unexpected layout in {tarball.name}")
    (cache / "bin").mkdir(exist_ok=True)
    cc = "gcc" if shutil.which("gcc") else "cc"
    for out, extra in ((server, "-DSERVER"), (cdb, "")):
        build = cache / f"build{extra or '-cdb'}"
        if build.exists():
            shutil.rmtree(build)
        shutil.copytree(tree / "src", build)
        res = _run(
            ["make", "-j2", f"CC={cc}", f"CFLAGS={_CFLAGS_COMMON} {extra}", "LIB=", "LFLAGS="],
            build,
            timeout,
        )
        if res.returncode != 0 or not (build / "pmars").exists():
            raise PmarsUnavailable(f"building pMARS failed: {res.stderr.strip()[-300:]}")
        shutil.copy2(build / "pmars", out)
    return Pmars(server, cdb, tree)


def _options(
    coresize: int, cycles: int, processes: int, max_length: int, min_distance: int
) -> list[str]:
    return ["-s", str(coresize), "-c", str(cycles), "-p", str(processes),
            "-l", str(max_length), "-d", str(min_distance)]  # fmt: skip


def pmars_battle(
    binary: Path,
    files: list[Path],
    rounds: int,
    first_position: int | None = None,
    coresize: int = 8000,
    cycles: int = 80000,
    processes: int = 8000,
    max_length: int = 100,
    min_distance: int = 100,
    timeout: float = 60.0,
) -> list[list[int]]:
    """Run pMARS (``-b -k``); return, per warrior, the number of rounds it ended alive
    with 1, 2, ..., W survivors (pMARS's ``score[]`` table). For two warriors this is
    ``[wins, ties]``."""
    cmd = [str(binary), "-b", "-k", "-r", str(rounds)]
    cmd += _options(coresize, cycles, processes, max_length, min_distance)
    if first_position is not None:
        cmd += ["-F", str(first_position)]
    cmd += [str(f) for f in files]
    res = subprocess.run(
        cmd, capture_output=True, encoding="utf-8", errors="replace", timeout=timeout, check=False
    )
    rows = [line.split() for line in res.stdout.splitlines() if line.strip()]
    nw = len(files)
    if res.returncode < 0:
        raise PmarsCrashed(f"pmars died of signal {-res.returncode}: {res.stderr[-300:]}")
    if res.returncode != 0 or len(rows) < nw:
        raise RuntimeError(
            f"pmars failed ({res.returncode}): {res.stdout[-300:]} {res.stderr[-300:]}"
        )
    rows = rows[-nw:]
    if nw == 2:
        return [[int(x) for x in row[:2]] for row in rows]
    return [[int(x) for x in row[1 : 1 + nw]] for row in rows]


_LIST_RE = re.compile(
    r"(?:^|\s)(\d{5})   (?:(\w{3})\.(\w+)\s+(\S)\s*(-?\d+),\s*(\S)\s*(-?\d+))?\s*$"
)


def pmars_trace(
    binary_cdb: Path,
    file: Path,
    steps: int,
    coresize: int = 8000,
    processes: int = 8000,
    max_length: int = 100,
    timeout: float = 60.0,
) -> list[Instruction] | None:
    """Run one warrior alone for ``steps`` instructions under pMARS's debugger and read
    the whole core back (``None`` if the warrior died before ``steps``)."""
    cmd = [str(binary_cdb), "-e", "-b", "-r", "1"]
    cmd += _options(coresize, steps + 10, processes, max_length, max_length)
    cmd.append(str(file))
    script = (f"skip {steps - 1}\n" if steps > 1 else "") + f"list 0,{coresize - 1}\na\nquit\n"
    res = subprocess.run(
        cmd,
        input=script,
        capture_output=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
    )
    core: dict[int, Instruction] = {}
    for line in res.stdout.splitlines():
        m = _LIST_RE.search(line)
        if not m:
            continue
        addr = int(m.group(1))
        if m.group(2) is None:
            ins = Instruction("DAT", "F", "$", 0, "$", 0)
        else:
            op, mod, am, a, bm, b = m.group(2, 3, 4, 5, 6, 7)
            ins = Instruction(op, mod, am, int(a) % coresize, bm, int(b) % coresize)
        core[addr] = ins  # the listing comes last, so it wins over step echoes
    if len(core) < coresize or not all(i in core for i in range(coresize)):
        return None
    return [core[i] for i in range(coresize)]


_ASM_RE = re.compile(r"^(\S*)\s+(\w{3})\.(\w+)\s+(\S)\s*(-?\d+),\s*(\S)\s*(-?\d+)")
_PROGRAM_RE = re.compile(r'^Program ".*" \(length (\d+)\) by ')
MAX_WARRIORS = 36  # pMARS's MAXWARRIOR


@dataclass(frozen=True)
class PmarsAssembly:
    """pMARS's reading of one source: its instructions and start (``None`` when the
    start lies outside the code, where pMARS's listing does not mark it). pMARS 0.9.2
    sometimes crashes on a source that follows another in one process (its assembler
    corrupts memory); such a source is read again in a process of its own, and
    ``crashed`` marks one on which pMARS crashes even so."""

    instructions: list[Instruction]
    start: int | None
    crashed: bool = False  # pMARS died of a signal while reading it


def pmars_assemble_many(
    binary: Path,
    files: list[Path],
    coresize: int = 8000,
    max_length: int = 100,
    min_distance: int = 100,
    processes: int = 8000,
    rounds: int = 0,
    timeout: float = 60.0,
) -> list[PmarsAssembly | None]:
    """Assemble many files with as few pMARS processes as it takes: one process lists up
    to ``coresize // min_distance`` (at most 36) warriors and stops at the first it
    refuses, so each refusal costs one more process (with the refused file replaced by
    a one-line warrior, so that every file of a batch sees the same ``WARRIORS``: the
    batch's size, ``min(36, (coresize - 1) // min_distance)`` files). ``None`` marks a refused
    file (or one with no instructions, which pMARS only warns about). ``MAXCYCLES`` is 1
    and ``ROUNDS`` is ``rounds``; with ``rounds=0`` pMARS plays no battle after its
    listing, which matters: a battle of three or more warriors in which one dies on the
    round's very last turn never ends in pMARS."""
    if min_distance < max_length:
        raise ValueError("pMARS needs min_distance >= max_length")
    # a core exactly filled by the batch makes pMARS's placement loop forever
    per_process = max(1, min(MAX_WARRIORS, (coresize - 1) // min_distance))
    scratch = tempfile.TemporaryDirectory(prefix="redqueen-pmars-")
    padding = Path(scratch.name) / "padding.red"
    padding.write_text(";redcode-94\nJMP 0\n")

    def listing(batch: list[Path]) -> tuple[int, list[PmarsAssembly | None]]:
        cmd = [str(binary), "-r", str(rounds), "-c", "1"]
        cmd += _options(coresize, 1, processes, max_length, min_distance)
        cmd += [str(f) for f in batch]
        res = subprocess.run(
            cmd,
            capture_output=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            check=False,
        )
        return res.returncode, _split_listings(res.stdout, coresize)

    out: list[PmarsAssembly | None] = []
    for first in range(0, len(files), per_process):
        batch = list(files[first : first + per_process])
        done = 0
        while done < len(batch):
            code, listings = listing(batch)
            if code < 0:
                # pMARS crashed and its buffered listing is lost: one file per process,
                # assembled after the padding so that nothing follows it
                for f in batch[done:]:
                    code, listings = listing([padding] * (len(batch) - 1) + [f])
                    if code < 0:
                        out.append(PmarsAssembly([], None, crashed=True))
                    else:
                        got = listings[len(batch) - 1 :]
                        out.append(got[0] if code == 0 and got else None)
                break
            listings = listings[done:]
            if code == 0:
                if len(listings) != len(batch) - done:
                    raise RuntimeError(f"pmars listed {len(listings)} of {len(batch)} warriors")
                out.extend(listings)
                break
            out.extend(listings)
            out.append(None)
            done += len(listings) + 1
            # keep WARRIORS the same: the refused file is replaced by one pMARS accepts
            batch[:done] = [padding] * done
    scratch.cleanup()
    return out


def _split_listings(stdout: str, coresize: int) -> list[PmarsAssembly | None]:
    listings: list[PmarsAssembly | None] = []
    code: list[Instruction] = []
    start: int | None = None
    length = -1
    for line in stdout.splitlines():
        head = _PROGRAM_RE.match(line)
        if head:
            if length >= 0:
                listings.append(PmarsAssembly(code, start) if length > 0 else None)
            code, start, length = [], None, int(head.group(1))
            continue
        m = _ASM_RE.match(line)
        if m and length >= 0 and len(code) < length:
            label, op, mod, am, a, bm, b = m.groups()
            if label == "START":
                start = len(code)
            code.append(Instruction(op, mod, am, int(a) % coresize, bm, int(b) % coresize))
    if length >= 0:
        listings.append(PmarsAssembly(code, start) if length > 0 else None)
    return listings


def pmars_assemble(
    binary: Path, file: Path, coresize: int = 8000, timeout: float = 30.0
) -> tuple[list[Instruction], int]:
    """pMARS's assembly of ``file``: the instructions and the start offset, read from
    its program listing (``([], 0)`` when pMARS refuses it)."""
    (got,) = pmars_assemble_many(binary, [file], coresize=coresize, rounds=2, timeout=timeout)
    if got is None:
        return [], 0
    return got.instructions, got.start or 0
