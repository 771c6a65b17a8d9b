"""The command line starts fast: importing redqueen, its measures, its reports or its
command does not load ``scipy.stats`` (half a second), which is imported where a t
quantile is needed. Checked by the modules loaded in a fresh interpreter, not by time."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module", ["redqueen", "redqueen.measure", "redqueen.report.html", "redqueen.cli"]
)
def test_import_does_not_load_scipy_stats(module: str) -> None:
    code = f"import sys, {module}; print([m for m in sys.modules if m.startswith('scipy.stats')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_t_quantile_is_still_exact_when_asked_for() -> None:
    from redqueen.measure.statistics import mean_ci, t_value

    assert t_value(0.95, 9) == pytest.approx(2.262157, abs=1e-6)  # the t table's value
    ci = mean_ci([1.0, 2.0, 4.0, 7.0, 11.0])  # no bounds: the Student-t interval
    assert ci.method == "student-t"
    sem = (sum((x - 5.0) ** 2 for x in [1.0, 2.0, 4.0, 7.0, 11.0]) / 4) ** 0.5 / 5**0.5
    assert ci.high - 5.0 == pytest.approx(2.776445 * sem, abs=1e-5)


def test_import_redqueen_does_not_load_the_llm_players() -> None:
    code = (
        "import sys, redqueen; "
        "print(sorted(m for m in sys.modules if m.startswith('redqueen.agents.llm.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # only the cache hook's module; the players, backends and openai load when used
    assert out.stdout.strip() == "['redqueen.agents.llm.context']", out.stdout
    assert "openai" not in subprocess.run(
        [sys.executable, "-c", "import sys, redqueen; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("'")
