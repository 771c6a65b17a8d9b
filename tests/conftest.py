"""Suite-wide fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from types import ModuleType

import pytest

TORCH_LIBRARIES = frozenset({"torch", "sb3_contrib", "stable_baselines3", "transformers"})
"""Top-level packages of torch and of the libraries built on it that tests import."""


def uses_torch(module: ModuleType | None) -> bool:
    """Whether a test module holds torch, or a library built on it, among its globals."""
    if module is None:
        return False
    return any(
        isinstance(value, ModuleType) and value.__name__.partition(".")[0] in TORCH_LIBRARIES
        for value in vars(module).values()
    )


@pytest.fixture(autouse=True)
def torch_single_threaded_and_deterministic(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test of a module that uses torch runs on one thread with torch's deterministic
    algorithms, so that its numbers do not depend on the machine's core count or on
    nondeterministic kernels; both settings are restored afterwards. Other tests are left
    alone and never import torch."""
    torch = sys.modules.get("torch")
    if torch is None or not uses_torch(getattr(request, "module", None)):
        yield
        return
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)
        torch.set_num_threads(threads)
