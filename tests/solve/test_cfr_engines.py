"""The compiled CFR loop (``engine="numba"``) computes what the NumPy path computes: the
same regrets, current and average policies after any number of calls, for every
algorithm."""

from __future__ import annotations

import numpy as np
import pytest

import redqueen
from redqueen.errors import UnknownNameError
from redqueen.solve.cfr import ALGORITHMS, CFRSolver, solve
from redqueen.solve.tree import compile_game


@pytest.mark.parametrize("game_id", ["kuhn_poker", "leduc_poker"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_compiled_and_numpy_iterations_agree(game_id: str, algorithm: str) -> None:
    tree = compile_game(redqueen.make(game_id))
    numpy_path = CFRSolver(tree, algorithm, engine="numpy")
    compiled = CFRSolver(tree, algorithm, engine="numba")
    assert (numpy_path.engine, compiled.engine) == ("numpy", "numba")
    numpy_path.iterate(25)
    compiled.iterate(10)
    compiled.iterate(15)  # resumes at iteration 11: the weights depend on it
    assert compiled.iteration == numpy_path.iteration == 25
    np.testing.assert_allclose(compiled.regrets, numpy_path.regrets, rtol=0, atol=1e-12)
    np.testing.assert_allclose(compiled.policy, numpy_path.policy, rtol=0, atol=1e-12)
    np.testing.assert_allclose(compiled.average(), numpy_path.average(), rtol=0, atol=1e-12)


def test_the_compiled_loop_is_the_default_and_converges() -> None:
    tree = compile_game(redqueen.make("kuhn_poker"))
    assert CFRSolver(tree).engine == "numba"
    result = solve(redqueen.make("kuhn_poker"), "cfr+", iterations=1000)
    assert result.final < 2e-3  # Kuhn's CFR+ exploitability after 1000 iterations


def test_unknown_engine() -> None:
    tree = compile_game(redqueen.make("kuhn_poker"))
    with pytest.raises(UnknownNameError, match="numpy"):
        CFRSolver(tree, engine="cuda")
