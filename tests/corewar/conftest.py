"""Fixtures for the Core War tests: the warrior folder and a pMARS build (or a skip)."""

from __future__ import annotations

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
    cache = os.environ.get("REDQUEEN_PMARS_CACHE")
    try:
        return build_pmars(Path(cache) if cache else default_cache(), timeout=60)
    except (PmarsUnavailable, OSError, TimeoutError) as e:
        pytest.skip(f"pMARS reference could not be built here: {e}")
    except Exception as e:  # subprocess timeouts and the like
        pytest.skip(f"pMARS reference could not be built here: {type(e).__name__}: {e}")
