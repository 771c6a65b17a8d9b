"""Games: the contract, the registry and the checker.

>>> import redqueen
>>> game = redqueen.make("tic_tac_toe")
>>> state = game.new_initial_state()
"""

from redqueen.games.checker import CheckReport, GameCheckError, check_game
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    Step,
    UtilityKind,
)
from redqueen.games.registry import (
    make,
    namespaces,
    parameters,
    register,
    register_namespace,
    registered,
    summary,
)

__all__ = [
    "CHANCE",
    "SIMULTANEOUS",
    "TERMINAL",
    "ChanceMode",
    "CheckReport",
    "Dynamics",
    "Game",
    "GameCheckError",
    "GameSpec",
    "State",
    "Step",
    "UtilityKind",
    "check_game",
    "make",
    "namespaces",
    "parameters",
    "register",
    "register_namespace",
    "registered",
    "summary",
]
