"""OpenSpiel import: any pyspiel game as a redqueen :class:`~redqueen.games.core.Game`.

OpenSpiel (Lanctot et al. 2019) has the largest collection of games written to the same
extensive-form model as ours, so wrapping it gives every redqueen agent, match runner,
tournament and checker about a hundred more games for free:
``redqueen.make("openspiel:liars_dice")``, ``redqueen.make("openspiel:goofspiel",
num_cards=4)``.

How OpenSpiel's notions map onto our contract:

- the spec comes from pyspiel's ``GameType`` and ``Game``. ``max_game_length`` is
  OpenSpiel's ``MaxGameLength()`` (which counts only player moves) plus
  ``MaxChanceNodesInHistory()``, since our spec counts chance outcomes as steps too.
  ``IDENTICAL`` utility becomes general-sum; constant-sum keeps OpenSpiel's
  ``UtilitySum()``.
- chance nodes, simultaneous nodes (``apply_actions``) and returns are OpenSpiel's.
  Games with *sampled* chance (outcomes that cannot be enumerated) and mean-field games
  do not fit the contract and are refused with :class:`InvalidParameterError`.
- the information-state key is the whole history for perfect-information games, else
  OpenSpiel's ``information_state_string`` where the game provides one, else its
  ``observation_string`` (which may forget the past: the key is then only as good as
  OpenSpiel's observation).
- ``observation_text`` is OpenSpiel's text for what the player knows: the state string
  for perfect-information games, the information-state string, or the observation string.
- action names are ``action_to_string``. OpenSpiel sometimes gives two legal actions the
  same name; then each of those names gets its action id appended (``"name [id]"``), so
  that names stay distinct and ``parse_action`` can tell them apart.
- ``information_state_tensor`` is OpenSpiel's ``information_state_tensor`` where the
  game provides one; for perfect-information turn-based games without one, its
  ``observation_tensor`` (the board, which equal histories map to the same tensor).

pyspiel is an optional dependency: importing redqueen (or this module) never imports it;
building a game without it installed raises an error that says ``pip install open_spiel``.
"""

from __future__ import annotations

import numbers
from collections.abc import Hashable
from typing import Any

import numpy as np

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    UtilityKind,
)

INSTALL_HINT = "pip install open_spiel"


def import_pyspiel() -> Any:
    """The ``pyspiel`` module, or a :class:`RedqueenError` saying how to install it."""
    try:
        import pyspiel
    except ImportError as err:
        raise RedqueenError(
            "OpenSpiel games (make('openspiel:NAME')) need OpenSpiel's Python package, which "
            f"is not installed: {INSTALL_HINT}"
        ) from err
    return pyspiel


def openspiel_game(name: str, **params: Any) -> OpenSpielGame:
    """The OpenSpiel game ``name`` with OpenSpiel parameters ``params``, as a redqueen game.

    This is what ``redqueen.make("openspiel:NAME", **params)`` calls. An unknown name
    raises :class:`UnknownNameError` listing ``pyspiel.registered_names()``; an unknown
    parameter, a value of the wrong type or a value OpenSpiel rejects raises
    :class:`InvalidParameterError` listing the game's parameters and their defaults.
    """
    pyspiel = import_pyspiel()
    names = list(pyspiel.registered_names())
    if not isinstance(name, str) or name not in names:
        raise UnknownNameError("OpenSpiel game", str(name), names)
    game_type = _game_type(pyspiel, name)
    defaults: dict[str, Any] = dict(game_type.parameter_specification)
    checked = {key: _check_param(name, key, value, defaults) for key, value in params.items()}
    try:
        os_game = pyspiel.load_game(name, checked)
    except pyspiel.SpielError as err:
        raise InvalidParameterError(
            f"OpenSpiel rejected the parameters {checked!r} of {name!r}: {err}; its "
            f"parameters: {_describe(defaults)}"
        ) from None
    return OpenSpielGame(name, os_game, checked)


class OpenSpielGame(Game):
    """A pyspiel game behind redqueen's Game contract. Build it with :func:`openspiel_game`
    (or ``redqueen.make("openspiel:NAME", **params)``)."""

    def __init__(self, name: str, os_game: Any, params: dict[str, Any]) -> None:
        pyspiel = import_pyspiel()
        game_type = os_game.get_type()
        self.name = name
        self.openspiel_game = os_game
        """The wrapped ``pyspiel.Game``."""
        self._type = game_type
        gt = pyspiel.GameType
        if game_type.dynamics == gt.Dynamics.SIMULTANEOUS:
            dynamics = Dynamics.SIMULTANEOUS
        elif game_type.dynamics == gt.Dynamics.SEQUENTIAL:
            dynamics = Dynamics.SEQUENTIAL
        else:
            raise InvalidParameterError(
                f"OpenSpiel game {name!r} has {game_type.dynamics} dynamics; redqueen wraps "
                "sequential and simultaneous-move games only"
            )
        if game_type.chance_mode == gt.ChanceMode.DETERMINISTIC:
            chance = ChanceMode.NONE
        elif game_type.chance_mode == gt.ChanceMode.EXPLICIT_STOCHASTIC:
            chance = ChanceMode.EXPLICIT
        else:
            raise InvalidParameterError(
                f"OpenSpiel game {name!r} samples its chance events without listing them "
                f"({game_type.chance_mode}); redqueen needs enumerable chance outcomes"
            )
        utility_sum: float | None
        if game_type.utility == gt.Utility.ZERO_SUM:
            utility, utility_sum = UtilityKind.ZERO_SUM, 0.0
        elif game_type.utility == gt.Utility.CONSTANT_SUM:
            utility, utility_sum = UtilityKind.CONSTANT_SUM, float(os_game.utility_sum())
        else:  # general-sum and identical-interest games
            utility, utility_sum = UtilityKind.GENERAL_SUM, None
        self._perfect_history = game_type.information == gt.Information.PERFECT_INFORMATION
        self._info_string = bool(game_type.provides_information_state_string)
        self._obs_string = bool(game_type.provides_observation_string)
        if not (self._perfect_history or self._info_string or self._obs_string):
            raise InvalidParameterError(
                f"OpenSpiel game {name!r} provides neither information-state nor observation "
                "strings, so what each player knows cannot be told apart"
            )
        self._tensor: str | None = None
        if game_type.provides_information_state_tensor:
            self._tensor = "information_state"
        elif (
            self._perfect_history
            and dynamics == Dynamics.SEQUENTIAL
            and game_type.provides_observation_tensor
        ):
            self._tensor = "observation"
        chance_steps = 0
        if chance == ChanceMode.EXPLICIT:
            try:
                chance_steps = int(os_game.max_chance_nodes_in_history())
            except pyspiel.SpielError as err:
                raise InvalidParameterError(
                    f"OpenSpiel game {name!r} does not bound its chance nodes "
                    f"(MaxChanceNodesInHistory: {err}), so its length cannot be bounded"
                ) from None
        super().__init__(
            GameSpec(
                id=f"openspiel:{name}",
                num_players=int(os_game.num_players()),
                num_distinct_actions=int(os_game.num_distinct_actions()),
                max_game_length=int(os_game.max_game_length()) + chance_steps,
                min_utility=float(os_game.min_utility()),
                max_utility=float(os_game.max_utility()),
                dynamics=dynamics,
                chance=chance,
                utility=utility,
                utility_sum=utility_sum,
                perfect_information=self._perfect_history and dynamics == Dynamics.SEQUENTIAL,
                max_chance_outcomes=(
                    int(os_game.max_chance_outcomes()) if chance == ChanceMode.EXPLICIT else 0
                ),
                params=dict(params),
            )
        )

    def new_initial_state(self) -> OpenSpielState:
        return OpenSpielState(self, self.openspiel_game.new_initial_state())

    def rules_text(self) -> str:
        spec = self.spec
        gtype = self._type
        params = ", ".join(f"{k}={v!r}" for k, v in self.openspiel_game.get_parameters().items())
        moves = (
            "all players choose at the same time at each step"
            if spec.dynamics == Dynamics.SIMULTANEOUS
            else "players take turns"
        )
        chance = "with chance events" if spec.chance == ChanceMode.EXPLICIT else "no chance"
        utility = str(spec.utility).replace("_", "-")
        return (
            f"{gtype.long_name}: OpenSpiel's game {self.name!r} ({params or 'no parameters'}).\n"
            f"{spec.num_players} players; {moves}; {chance}; {utility}; each player's "
            f"payoff is between {spec.min_utility:g} and {spec.max_utility:g}, and each wants "
            "to maximise their own.\n"
            f"OpenSpiel does not describe its rules in words: see its documentation of "
            f"{self.name!r}. The game starts like this:\n"
            f"{self.openspiel_game.new_initial_state()}"
        )

    def information_state_tensor_shape(self) -> tuple[int, ...]:
        if self._tensor == "information_state":
            return tuple(int(d) for d in self.openspiel_game.information_state_tensor_shape())
        if self._tensor == "observation":
            return tuple(int(d) for d in self.openspiel_game.observation_tensor_shape())
        return super().information_state_tensor_shape()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        return (_rebuild, (self.name, dict(self._spec.params)))


class OpenSpielState(State):
    """A pyspiel state behind redqueen's State contract."""

    __slots__ = ("_names", "_s")

    _game: OpenSpielGame

    def __init__(self, game: OpenSpielGame, os_state: Any) -> None:
        super().__init__(game)
        self._s = os_state
        self._names: dict[int, dict[int, str]] = {}
        """Per player, the (disambiguated) names of the legal actions at this node."""

    @property
    def openspiel_state(self) -> Any:
        """The wrapped ``pyspiel.State`` (read it; moving it behind our back breaks the
        history this wrapper keeps)."""
        return self._s

    def current_player(self) -> int:
        s = self._s
        if s.is_terminal():
            return TERMINAL
        if s.is_chance_node():
            return CHANCE
        if s.is_simultaneous_node():
            return SIMULTANEOUS
        return int(s.current_player())

    def _legal_actions(self, player: int) -> list[int]:
        return [int(a) for a in self._s.legal_actions(player)]

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        return [(int(a), float(p)) for a, p in self._s.chance_outcomes() if p > 0]

    def _apply_action(self, action: int) -> None:
        self._s.apply_action(action)
        self._names = {}

    def _apply_joint_action(self, actions: tuple[int, ...]) -> None:
        self._s.apply_actions(list(actions))
        self._names = {}

    def returns(self) -> list[float]:
        return [float(r) for r in self._s.returns()]

    def information_state_key(self, player: int) -> Hashable:
        game = self._game
        self._check_player(player)
        if game._perfect_history:
            return tuple(int(a) for a in self._s.history())
        if game._info_string:
            return str(self._s.information_state_string(player))
        return str(self._s.observation_string(player))

    def observation_text(self, player: int) -> str:
        game = self._game
        self._check_player(player)
        if game._perfect_history:
            view = str(self._s)
        elif game._info_string:
            view = self._s.information_state_string(player)
        else:
            view = self._s.observation_string(player)
        head = f"OpenSpiel {game._type.long_name}. You are player {player}."
        if self.is_terminal():
            rets = ", ".join(f"player {p}: {r:+g}" for p, r in enumerate(self.returns()))
            return f"{head}\n{view}\nGame over. Returns: {rets}."
        return f"{head}\n{view}"

    def __str__(self) -> str:
        return str(self._s)

    def _action_text(self, player: int, action: int) -> str:
        names = self._names.get(player)
        if names is None:
            names = self._legal_names(player)
            self._names[player] = names
        name = names.get(action)
        return name if name is not None else self._raw_name(player, action)

    def _legal_names(self, player: int) -> dict[int, str]:
        current = self.current_player()
        if current == TERMINAL:
            return {}
        if current == CHANCE:
            legal = [a for a, _ in self._chance_outcomes()] if player == CHANCE else []
        elif current == SIMULTANEOUS or player == current:
            legal = self._legal_actions(player)
        else:
            legal = []
        raw = {a: self._raw_name(player, a) for a in legal}
        counts: dict[str, int] = {}
        for name in raw.values():
            counts[name] = counts.get(name, 0) + 1
        return {a: f"{n} [{a}]" if counts[n] > 1 else n for a, n in raw.items()}

    def _raw_name(self, player: int, action: int) -> str:
        try:
            name = str(self._s.action_to_string(player, action))
        except RuntimeError:  # pyspiel.SpielError
            name = ""
        return name.strip() or f"action {action}"

    def information_state_tensor(self, player: int) -> np.ndarray:
        game = self._game
        self._check_player(player)
        if game._tensor == "information_state":
            values = self._s.information_state_tensor(player)
        elif game._tensor == "observation":
            values = self._s.observation_tensor(player)
        else:
            return super().information_state_tensor(player)
        shape = game.information_state_tensor_shape()
        return np.asarray(values, dtype=np.float32).reshape(shape)

    def clone(self) -> OpenSpielState:
        twin = OpenSpielState.__new__(OpenSpielState)
        twin._game = self._game
        twin._history = list(self._history)
        twin._s = self._s.clone()
        twin._names = {}
        return twin

    def _check_player(self, player: int) -> None:
        n = self._game.num_players
        if isinstance(player, bool) or not isinstance(player, int) or not 0 <= player < n:
            raise RedqueenError(f"players are 0..{n - 1}; got {player!r}")


# ---- helpers ------------------------------------------------------------------------------


def _rebuild(name: str, params: dict[str, Any]) -> OpenSpielGame:
    return openspiel_game(name, **params)


def _game_type(pyspiel: Any, name: str) -> Any:
    for game_type in pyspiel.registered_games():
        if game_type.short_name == name:
            return game_type
    raise UnknownNameError("OpenSpiel game", name, pyspiel.registered_names())


def _check_param(game: str, key: str, value: Any, defaults: dict[str, Any]) -> Any:
    """``value`` converted to the type OpenSpiel expects for ``key`` (its default's type)."""
    if key not in defaults:
        raise InvalidParameterError(
            f"unknown parameter {key!r} of OpenSpiel game {game!r}; its parameters: "
            f"{_describe(defaults)}"
        )
    default = defaults[key]
    ok: bool
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
        value = int(value) if ok else value
    elif isinstance(default, float):
        ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, str):
        ok = isinstance(value, str)
    else:
        ok = True
    if not ok:
        raise InvalidParameterError(
            f"OpenSpiel game {game!r}: parameter {key} must be a {type(default).__name__} "
            f"(default {default!r}); got {value!r}"
        )
    return value


def _describe(defaults: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(defaults.items())) or "(none)"
