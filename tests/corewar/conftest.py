"""Fixtures for the Core War tests: the warrior folder and a pMARS build (or a skip)."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from redqueen.games.corewar.reference import Pmars, PmarsUnavailable, build_pmars, default_cache

WARRIORS = Path(__file__).parent / "warriors"


@pytest.fixture(scope="session")
def warriors_dir() -> Path:
    return WARRIORS


@pytest.fixture(scope="session")
def pmars() -> Pmars:
    """pMARS built from Debian's source package into ~/.cache/redqueen/pmars (or
    $REDQUEEN_PMARS_CACHE); the agreement tests are skipped when that is impossible."""
    cache = Path(os.environ.get("REDQUEEN_PMARS_CACHE") or default_cache())
    try:
        cache.mkdir(parents=True, exist_ok=True)
        # test workers run in parallel (pytest-xdist): one builds, the others wait for it
        with open(cache / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return build_pmars(cache, timeout=60)
    except (PmarsUnavailable, OSError, TimeoutError) as e:
        pytest.skip(f"pMARS reference could not be built here: {e}")
    except Exception as e:  # subprocess timeouts and the like
        pytest.skip(f"pMARS reference could not be built here: {type(e).__name__}: {e}")
