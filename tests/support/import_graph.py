"""The import graph of a package, read with :mod:`ast` (nothing is imported), and the two
rules ARCHITECTURE.md sets for it: no import circles, and a layer imports only layers to
its left.

Every import counts, wherever it stands: at the top of a module, inside a function (an
import deferred for speed is still a dependency) or under ``TYPE_CHECKING``. For the
layer rule, so does a ``"package.module:attribute"`` string, the form the registries use
to import on first use; it does not make a circle (a registry that names the modules
which import it is how a plugin registry works). ``from package import name`` counts as
an import of ``package.name`` when that is a module, else of ``package``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LAYERS: tuple[str, ...] = (
    "errors",
    "games",
    "agents",
    "adapters",
    "play",
    "store",
    "solve",
    "measure",
    "learn",
    "report",
    "experiments",
    "web",
    "cli",
)
"""redqueen's layers, left to right: a module may import its own layer and those to its
left. ``solve`` and ``measure`` sit side by side in ARCHITECTURE.md; ``measure`` may
use ``solve`` (equilibria behind a metric) and not the other way round."""

ONLY_IN: Mapping[str, tuple[str, ...]] = {"typer": ("cli",), "rich": ("cli",)}
"""Third-party libraries only some layers may import: the command-line libraries."""

_TARGET = re.compile(r"^([A-Za-z_][\w.]*):[A-Za-z_]\w*$")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    by_name: bool = False
    """A ``"module:attribute"`` string, imported on first use, not an import statement."""


def _modules(root: Path) -> dict[str, Path]:
    """Dotted module name -> file, for the package whose directory is ``root``."""
    out: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _resolve(name: str, modules: Mapping[str, Path]) -> str | None:
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def import_edges(root: Path) -> tuple[list[str], list[Edge], list[Edge]]:
    """The modules of the package at ``root``, the edges between them, and the imports
    of third-party top-level packages (``target`` is the top-level name)."""
    modules = _modules(root)
    package = root.name
    inner: list[Edge] = []
    outer: list[Edge] = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        here = name.split(".") if is_package else name.split(".")[:-1]
        for node in ast.walk(tree):
            targets: list[str] = []
            by_name = False
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = here[: len(here) - node.level + 1]
                    base = ".".join([*up, *([node.module] if node.module else [])])
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                match = _TARGET.match(node.value)
                if match and match.group(1).split(".")[0] == package:
                    targets, by_name = [match.group(1)], True
            for target in targets:
                if target.split(".")[0] == package:
                    resolved = _resolve(target, modules)
                    if resolved is not None and resolved != name:
                        inner.append(Edge(name, resolved, getattr(node, "lineno", 0), by_name))
                elif target:
                    outer.append(Edge(name, target.split(".")[0], getattr(node, "lineno", 0)))
    return sorted(modules), inner, outer


def layer_of(module: str) -> str | None:
    """``redqueen.learn.psro`` -> ``learn``; the package itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def layer_violations(
    modules: Iterable[str], edges: Iterable[Edge], layers: Sequence[str] = LAYERS
) -> list[str]:
    """Every module outside the known layers, and every import of a layer to the right.
    The package's own ``__init__`` (its public face, which wires the layers together)
    may import any layer; no module may import it."""
    rank = {name: k for k, name in enumerate(layers)}
    problems = [
        f"{m}: not in a known layer ({', '.join(layers)})"
        for m in modules
        if layer_of(m) is not None and layer_of(m) not in rank
    ]
    for e in edges:
        src, dst = layer_of(e.source), layer_of(e.target)
        if dst is None:
            problems.append(f"{e.source}:{e.line} imports the package root {e.target}")
        elif src is not None and src in rank and dst in rank and rank[dst] > rank[src]:
            problems.append(
                f"{e.source}:{e.line} ({src}) imports {e.target} ({dst}), a layer to its right"
            )
    return problems


def third_party_violations(
    outer: Iterable[Edge], only_in: Mapping[str, tuple[str, ...]] = ONLY_IN
) -> list[str]:
    """Imports of a restricted third-party library outside the layers allowed it."""
    return [
        f"{e.source}:{e.line} imports {e.target}; only {', '.join(only_in[e.target])} may"
        for e in outer
        if e.target in only_in and layer_of(e.source) not in only_in[e.target]
    ]


def cycles(modules: Iterable[str], edges: Iterable[Edge]) -> list[list[str]]:
    """The import circles: each strongly connected set of two or more modules, through
    import statements."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for e in edges:
        if not e.by_name:
            graph.setdefault(e.source, set()).add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        # iterative Tarjan: (node, iterator over its successors)
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found
