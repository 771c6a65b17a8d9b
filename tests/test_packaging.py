"""Every data file under ``src/redqueen`` ships in the wheel: it matches a pattern of
``[tool.setuptools.package-data]``."""

from __future__ import annotations

import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "redqueen"


def test_every_data_file_is_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["redqueen"]
    data = [
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".py", ".pyc")
    ]
    assert "games/hidden/word_pairs.json" in data
    missing = [f for f in data if not any(fnmatch(f, pat) for pat in patterns)]
    assert not missing, f"add these to package-data in pyproject.toml: {missing}"
