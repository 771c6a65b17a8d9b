"""Tabular policies: a probability for each legal action of each information state.

A :class:`TabularPolicy` maps ``(player, information_state_key)`` to a distribution over
that information state's legal actions: a behaviour strategy, as in OpenSpiel's
``TabularPolicy``. It may cover every player (a strategy profile, what CFR returns) or
only some (what a best response returns).

Solvers work on arrays bound to a compiled :class:`~redqueen.solve.tree.GameTree`:
``to_arrays(tree)`` gives a (n_infosets, max_actions) matrix in the tree's order and
``from_arrays(tree, probs)`` wraps one; a policy that lacks an information state the tree
needs raises an error that names the first one missing.

Policies are saved as JSON. Information-state keys are hashable values (tuples, strings,
numbers, None, ...); they are written as JSON (a tuple becomes a list, since a hashable
key holds no list; frozensets and bytes are tagged) and read back to equal values, with
no pickle and nothing evaluated.

:class:`PolicyAgent` plays a policy in matches, sampling with the observation's
Generator; it is registered as the agent kind ``policy`` (``policy:path=FILE.json``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.games.core import SIMULTANEOUS, Game, State
from redqueen.solve.tree import GameTree, InfosetKey, compile_game

FORMAT = "redqueen.tabular_policy"
VERSION = 1
_SUM_TOLERANCE = 1e-6


class MissingInformationStateError(RedqueenError, KeyError):
    """A policy has no probabilities for an information state that was asked for."""

    def __init__(self, key: InfosetKey, what: str = "") -> None:
        self.key = key
        player, info = key
        super().__init__(
            f"the policy has no probabilities for player {player} at information state "
            f"{info!r}{what}"
        )

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class TabularPolicy:
    """Action probabilities per ``(player, information_state_key)``.

    Build one from a mapping ``{(player, key): {action: prob}}``, from arrays bound to a
    tree (:meth:`from_arrays`), as :meth:`uniform`, or with :meth:`load`. Probabilities
    must be non-negative and sum to 1 (within 1e-6) at each information state.
    """

    __slots__ = ("_actions", "_bound", "_index", "_keys", "_probs")

    def __init__(self, table: Mapping[InfosetKey, Mapping[int, float]] | None = None) -> None:
        keys: list[InfosetKey] = []
        actions: list[tuple[int, ...]] = []
        probs: list[NDArray[np.float64]] = []
        for key, dist in (table or {}).items():
            _check_key(key)
            acts = tuple(int(a) for a in dist)
            p = np.array([float(dist[a]) for a in dist], dtype=np.float64)
            keys.append((int(key[0]), key[1]))
            actions.append(acts)
            probs.append(_checked(p, key))
        self._set(keys, actions, probs)
        self._bound: tuple[GameTree, NDArray[np.float64]] | None = None

    def _set(
        self,
        keys: list[InfosetKey],
        actions: list[tuple[int, ...]],
        probs: list[NDArray[np.float64]],
    ) -> None:
        self._keys = keys
        self._actions = actions
        self._probs = probs
        self._index = {k: i for i, k in enumerate(keys)}
        if len(self._index) != len(keys):
            raise InvalidParameterError("a policy lists the same information state twice")

    # ---- building -------------------------------------------------------------------

    @classmethod
    def from_arrays(
        cls,
        tree: GameTree,
        probs: NDArray[np.float64],
        players: Iterable[int] | None = None,
    ) -> TabularPolicy:
        """Wrap ``probs`` (n_infosets, max_actions), in ``tree``'s order, for ``players``
        (default: all). Rows are taken as they are (solvers give valid distributions)."""
        probs = np.asarray(probs, dtype=np.float64)
        if probs.shape != (tree.num_infosets, tree.max_actions):
            raise InvalidParameterError(
                f"policy arrays for {tree.game_id} must have shape "
                f"{(tree.num_infosets, tree.max_actions)}; got {probs.shape}"
            )
        if players is None:
            rows = np.arange(tree.num_infosets)
        else:
            wanted = sorted({int(p) for p in players})
            rows = np.flatnonzero(np.isin(tree.infoset_player, wanted))
        policy = cls.__new__(cls)
        keys = [tree.infoset_keys[r] for r in rows]
        n_act = tree.infoset_num_actions
        acts = tree.infoset_actions
        actions = [tuple(acts[r, : n_act[r]].tolist()) for r in rows]
        rows_probs = [probs[r, : n_act[r]].copy() for r in rows]
        policy._set(keys, actions, rows_probs)
        policy._bound = (tree, probs.copy()) if players is None else None
        return policy

    @classmethod
    def uniform(cls, game: Game | GameTree) -> TabularPolicy:
        """Uniform over the legal actions at every information state of ``game``."""
        tree = compile_game(game)
        return cls.from_arrays(tree, tree.uniform_policy())

    # ---- reading --------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[InfosetKey]:
        return iter(self._keys)

    def keys(self) -> list[InfosetKey]:
        """Every ``(player, information_state_key)`` the policy covers."""
        return list(self._keys)

    @property
    def players(self) -> list[int]:
        """The players with at least one information state in the policy."""
        return sorted({k[0] for k in self._keys})

    def probabilities(self, player: int, key: Hashable) -> dict[int, float]:
        """``{action: probability}`` at ``player``'s information state ``key``."""
        i = self._index.get((player, key))
        if i is None:
            raise MissingInformationStateError((player, key))
        return dict(zip(self._actions[i], self._probs[i].tolist(), strict=True))

    def action_probabilities(self, state: State, player: int | None = None) -> dict[int, float]:
        """``{action: probability}`` for ``player`` (default: the player to move) at
        ``state``. At a simultaneous node ``player`` must be given."""
        if player is None:
            player = state.current_player()
            if player == SIMULTANEOUS:
                raise RedqueenError(
                    "at a simultaneous node, action_probabilities needs a player: one of "
                    f"{list(range(state.game.num_players))}"
                )
        if player < 0:
            raise RedqueenError(f"no player moves at this state (current player {player})")
        return self.probabilities(player, state.information_state_key(player))

    def table(self) -> dict[InfosetKey, dict[int, float]]:
        """The whole policy as ``{(player, key): {action: prob}}``."""
        return {
            k: dict(zip(a, p.tolist(), strict=True))
            for k, a, p in zip(self._keys, self._actions, self._probs, strict=True)
        }

    def to_arrays(
        self, tree: GameTree, players: Iterable[int] | None = None
    ) -> NDArray[np.float64]:
        """(n_infosets, max_actions) probabilities in ``tree``'s order.

        Rows of ``players`` (default: all) come from this policy, which must cover each of
        their information states (else :class:`MissingInformationStateError` names the
        first missing); other rows are uniform. An action the policy gives positive
        probability that is not legal there is an error; a legal action it does not list
        gets 0.
        """
        bound = self._bound
        if bound is not None and bound[0] is tree:
            return bound[1].copy()
        out = tree.uniform_policy()
        wanted = None if players is None else {int(p) for p in players}
        index = self._index
        keys = tree.infoset_keys
        acts = tree.infoset_actions
        n_act = tree.infoset_num_actions
        for row, key in enumerate(keys):
            if wanted is not None and key[0] not in wanted:
                continue
            i = index.get(key)
            if i is None:
                raise MissingInformationStateError(key, f" (of {tree.game_id})")
            mine = self._actions[i]
            legal = acts[row, : n_act[row]].tolist()
            if tuple(legal) == mine:
                out[row, : len(mine)] = self._probs[i]
                continue
            out[row] = 0.0
            where = {a: j for j, a in enumerate(legal)}
            for a, p in zip(mine, self._probs[i].tolist(), strict=True):
                j = where.get(a)
                if j is None:
                    if p > 0:
                        raise RedqueenError(
                            f"the policy gives probability {p} to action {a} at player "
                            f"{key[0]}'s information state {key[1]!r}, where the legal "
                            f"actions are {legal}"
                        )
                    continue
                out[row, j] = p
        return out

    # ---- combining ------------------------------------------------------------------

    def merged(self, other: TabularPolicy) -> TabularPolicy:
        """A policy with every entry of ``self``, replaced or extended by ``other``'s."""
        table = self.table()
        table.update(other.table())
        return TabularPolicy(table)

    def restricted(self, players: Iterable[int]) -> TabularPolicy:
        """The part of the policy for ``players``."""
        wanted = {int(p) for p in players}
        return TabularPolicy({k: v for k, v in self.table().items() if k[0] in wanted})

    # ---- files ----------------------------------------------------------------------

    def to_json_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "infosets": [
                {
                    "player": k[0],
                    "key": _encode_key(k[1]),
                    "actions": list(a),
                    "probs": p.tolist(),
                }
                for k, a, p in zip(self._keys, self._actions, self._probs, strict=True)
            ],
        }

    @classmethod
    def from_json_dict(cls, data: Mapping[str, Any]) -> TabularPolicy:
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise InvalidParameterError(
                f'not a redqueen tabular policy (expected "format": {FORMAT!r})'
            )
        if data.get("version") != VERSION:
            raise InvalidParameterError(
                f"policy file version {data.get('version')!r}; this redqueen reads {VERSION}"
            )
        table: dict[InfosetKey, dict[int, float]] = {}
        for entry in data["infosets"]:
            key = (int(entry["player"]), _decode_key(entry["key"]))
            actions = entry["actions"]
            probs = entry["probs"]
            if len(actions) != len(probs):
                raise InvalidParameterError(
                    f"policy entry {key!r} lists {len(actions)} actions and {len(probs)} "
                    "probabilities"
                )
            table[key] = dict(
                zip((int(a) for a in actions), (float(p) for p in probs), strict=True)
            )
        return cls(table)

    def save(self, path: str | Path, *, game: Game | None = None) -> Path:
        """Write the policy as JSON (with the game's id and parameters when given)."""
        path = Path(path)
        data = self.to_json_dict()
        if game is not None:
            data["game"] = {"id": game.id, "params": _jsonable(game.params)}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, path: str | Path) -> TabularPolicy:
        """Read a policy written by :meth:`save`."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InvalidParameterError(f"no policy file at {str(path)!r}") from None
        except json.JSONDecodeError as e:
            raise InvalidParameterError(f"{str(path)!r} is not JSON: {e}") from None
        return cls.from_json_dict(data)

    def __repr__(self) -> str:
        return f"<TabularPolicy: {len(self)} information states, players {self.players}>"


# ---- checks and key encoding ------------------------------------------------------------


def _check_key(key: object) -> None:
    if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], int | np.integer)):
        raise InvalidParameterError(
            f"policy keys are (player, information_state_key) pairs; got {key!r}"
        )


def _checked(p: NDArray[np.float64], key: object) -> NDArray[np.float64]:
    if p.size == 0:
        raise InvalidParameterError(f"the policy lists no actions at {key!r}")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise InvalidParameterError(
            f"the policy has a negative or non-finite probability at {key!r}"
        )
    total = math.fsum(p.tolist())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise InvalidParameterError(
            f"the policy's probabilities at {key!r} sum to {total!r}; they must sum to 1"
        )
    return p


_TAG = "__redqueen__"


def _encode_key(value: Any) -> Any:
    """A JSON value that :func:`_decode_key` turns back into ``value``."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else {_TAG: "float", "value": repr(f)}
    if isinstance(value, tuple):
        return [_encode_key(v) for v in value]
    if isinstance(value, frozenset):
        items = [_encode_key(v) for v in value]
        items.sort(key=lambda v: json.dumps(v, sort_keys=True))
        return {_TAG: "frozenset", "items": items}
    if isinstance(value, bytes):
        return {_TAG: "bytes", "hex": value.hex()}
    raise InvalidParameterError(
        f"cannot save an information-state key holding a {type(value).__name__} "
        f"({value!r}); keys may hold None, bool, int, float, str, bytes, tuple and frozenset"
    )


def _decode_key(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_decode_key(v) for v in value)
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag == "frozenset":
            return frozenset(_decode_key(v) for v in value["items"])
        if tag == "bytes":
            return bytes.fromhex(value["hex"])
        if tag == "float" and value.get("value") in ("inf", "-inf", "nan"):
            return float(value["value"])
        raise InvalidParameterError(f"unreadable information-state key in a policy file: {value!r}")
    return value


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


# ---- the agent --------------------------------------------------------------------------


class PolicyAgent(Agent):
    """Plays a :class:`TabularPolicy`, sampling each move with the observation's Generator.

    Build it from a saved policy (``path``, which ``spec()`` records so the agent can be
    rebuilt) or from a policy object. An information state the policy does not cover is
    an error naming it.
    """

    name = "policy"
    reads_text = False

    def __init__(self, *, path: str | None = None, policy: TabularPolicy | None = None) -> None:
        if (path is None) == (policy is None):
            raise InvalidParameterError("PolicyAgent needs exactly one of path= or policy=")
        self.path = None if path is None else str(path)
        self.policy = TabularPolicy.load(path) if path is not None else policy
        assert self.policy is not None

    def act(self, obs: Observation) -> int:
        assert self.policy is not None
        dist = self.policy.probabilities(obs.player, obs.information_state_key)
        actions = list(dist)
        probs = np.fromiter(dist.values(), dtype=np.float64, count=len(actions))
        for a, p in zip(actions, probs.tolist(), strict=True):
            if p > 0 and a not in obs.legal_actions:
                raise RedqueenError(
                    f"the policy gives probability {p} to action {a} at player "
                    f"{obs.player}'s information state {obs.information_state_key!r}, where "
                    f"the legal actions are {list(obs.legal_actions)}"
                )
        cum = np.cumsum(probs)
        i = int(np.searchsorted(cum, obs.rng.random() * cum[-1], side="right"))
        return actions[min(i, len(actions) - 1)]

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"path": self.path} if self.path is not None else {})
