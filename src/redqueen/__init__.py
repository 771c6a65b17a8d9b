"""redqueen: agents get better, and are measured, by playing games."""

from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games import make, registered

__version__ = "0.1.0"

__all__ = [
    "IllegalActionError",
    "InvalidParameterError",
    "ParseActionError",
    "RedqueenError",
    "UnknownNameError",
    "__version__",
    "make",
    "registered",
]
