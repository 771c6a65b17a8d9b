"""The documentation site tells the truth: it builds with ``mkdocs build --strict`` (no
broken link, no API object that cannot be found), every ```python block in ``docs/`` runs,
and every ``redqueen`` command in a ```bash block names real commands and options."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", flags=re.S | re.M)

# Runs one page's ```python blocks in order, in one namespace, in the current directory.
# Each block is compiled with blank lines in front, so a traceback names the page's line.
RUN_PAGE = """
import re, sys, time
page = sys.argv[1]
text = open(page, encoding="utf-8").read()
namespace = {"__name__": "__main__"}
for match in re.finditer(sys.argv[2], text, flags=re.S | re.M):
    if match.group(1).strip() != "python":
        continue
    line = text.count("\\n", 0, match.start(2))
    started = time.perf_counter()
    exec(compile("\\n" * line + match.group(2), page, "exec"), namespace)
    print(f"[{page}:{line + 1}: {time.perf_counter() - started:.1f} s]", file=sys.stderr)
"""


def _blocks(page: Path, language: str) -> list[tuple[int, str]]:
    """``(line, code)`` of each fenced block of ``language`` in ``page``."""
    text = page.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start(2)) + 1, m.group(2))
        for m in FENCE.finditer(text)
        if m.group(1).strip() == language
    ]


def _name(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )


# ---- the strict build ----------------------------------------------------------------------


def test_site_builds_strictly(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs", reason="mkdocs not installed: pip install -e .[test]")
    done = _mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "api" / "games" / "index.html").is_file()


def _scratch_site(tmp_path: Path, page: str) -> Path:
    """A one-page site with the settings of ``mkdocs.yml``; returns its config file."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    docs = tmp_path / "docs"
    docs.mkdir(parents=True)
    (docs / "index.md").write_text(page, encoding="utf-8")
    (docs / "other.md").write_text("# Other\n\n## A section\n", encoding="utf-8")
    config["docs_dir"] = str(docs)
    config["hooks"] = [str(ROOT / h) for h in config.get("hooks", [])]
    config["nav"] = ["index.md", "other.md"]
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            python = plugin["mkdocstrings"]["handlers"]["python"]
            python["paths"] = [str(ROOT / p) for p in python["paths"]]
    path = tmp_path / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


GOOD_PAGE = (
    "# Home\n\nSee [the other page](other.md#a-section) and "
    "[`RedqueenError`][redqueen.errors.RedqueenError].\n\n::: redqueen.errors\n"
)
BROKEN = (
    "[a page that does not exist](missing.md)",
    "[a section that does not exist](other.md#no-such-section)",
    "[an object that does not exist][redqueen.errors.NoSuchError]",
    "::: redqueen.no_such_module",
)


def test_strict_build_fails_on_what_is_broken(tmp_path: Path) -> None:
    """The settings of ``mkdocs.yml`` make each of these fail the build (and a page
    without them pass), so the check above can fail."""
    pytest.importorskip("mkdocs", reason="mkdocs not installed: pip install -e .[test]")
    good = _mkdocs_build(_scratch_site(tmp_path / "good", GOOD_PAGE), tmp_path / "site")
    assert good.returncode == 0, good.stdout + good.stderr
    for k, broken in enumerate(BROKEN):
        page = f"{GOOD_PAGE}\n{broken}\n"
        bad = _mkdocs_build(_scratch_site(tmp_path / f"bad{k}", page), tmp_path / f"site{k}")
        assert bad.returncode != 0, f"the strict build let this through: {broken}"


# ---- the examples ---------------------------------------------------------------------------


def test_python_examples_use_the_python_fence() -> None:
    """Python that is shown is run: an example that cannot run here (it needs a key, a GPU
    or hours) is fenced as text, never as Python that the check below would skip."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            language = m.group(1).strip().lower()
            assert language not in ("py", "py3", "python3", "pycon", "ipython"), (
                f"{_name(page)}:{text.count(chr(10), 0, m.start()) + 1}: fence it as "
                f"```python (it is run) or ```text (it is not), not ```{language}"
            )


@pytest.mark.parametrize("page", [p for p in PAGES if _blocks(p, "python")], ids=_name)
def test_python_examples_run(page: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RUN_PAGE, str(page), FENCE.pattern],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=280,
        env={**os.environ, "RAY_USAGE_STATS_ENABLED": "0"},
    )
    assert done.returncode == 0, f"{_name(page)}\n{done.stdout[-4000:]}\n{done.stderr[-8000:]}"


# ---- the commands ---------------------------------------------------------------------------


def _commands() -> list[tuple[str, list[str]]]:
    """Every ``redqueen ...`` command line of the docs' ```bash blocks (continuation lines
    joined, comments and a final ``&`` dropped), as words, with where it starts."""
    found = []
    for page in PAGES:
        for line, code in _blocks(page, "bash"):
            text, start = "", line
            for k, physical in enumerate(code.splitlines()):
                if not text:
                    start = line + k
                text += physical.removesuffix("\\") + " "
                if physical.endswith("\\"):
                    continue
                command = text.split(" #", 1)[0].strip().removesuffix("&").strip()
                if command.startswith("redqueen "):
                    found.append((f"{_name(page)}:{start}", shlex.split(command)[1:]))
                text = ""
    return found


def test_documented_commands_exist() -> None:
    import typer.main

    from redqueen.cli import app

    commands = _commands()
    assert len(commands) >= 10
    for where, words in commands:
        command: Any = typer.main.get_command(app)
        path: list[str] = []
        while hasattr(command, "commands") and words and not words[0].startswith("-"):
            path.append(words.pop(0))
            assert path[-1] in command.commands, f"{where}: no command {' '.join(path)}"
            command = command.commands[path[-1]]
        assert not hasattr(command, "commands"), f"{where}: {' '.join(path)} needs a command"
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for word in words:
            if word.startswith("-"):
                name = word.split("=", 1)[0]
                assert name in options, f"{where}: {' '.join(path)} has no option {name}"
