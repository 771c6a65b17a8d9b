"""Solvers: the tree compiler, tabular policies, best responses and exploitability, the
CFR family, and normal-form equilibria and dynamics.

Names are imported on first use, so ``import redqueen.solve`` stays cheap. No module here
is named like a function it exports (importing a submodule binds its name on the package,
which would shadow the function).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    # extensive form (tree.py, policy.py, responses.py, cfr.py, monte_carlo.py)
    "GameTree": "tree",
    "compile_game": "tree",
    "TabularPolicy": "policy",
    "PolicyAgent": "policy",
    "best_response": "responses",
    "exploitability": "responses",
    "nash_conv": "responses",
    "expected_returns": "responses",
    "solve": "cfr",
    "SolveResult": "cfr",
    "ALGORITHMS": "cfr",
    "mccfr": "monte_carlo",
    # normal form (normal_form.py, dynamics.py, alpharank.py, averaging.py)
    "zero_sum_nash": "normal_form",
    "ZeroSumSolution": "normal_form",
    "bimatrix_equilibria": "normal_form",
    "support_enumeration": "normal_form",
    "lemke_howson": "normal_form",
    "replicator_dynamics": "dynamics",
    "projected_replicator_dynamics": "dynamics",
    "alpha_rank": "alpharank",
    "nash_averaging": "averaging",
    "is_nash_equilibrium": "normal_form",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'redqueen.solve' has no attribute {name!r}")
    module = importlib.import_module(f"redqueen.solve.{_EXPORTS[name]}")
    value = getattr(module, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value
