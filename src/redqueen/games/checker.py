"""``check_game``: play many random games and assert every invariant a game must keep.

In the spirit of Gymnasium's ``check_env`` and PettingZoo's ``api_test``: run it on any
new game before trusting a number computed on it. It checks

- the spec: players, actions and lengths are sane, the rules text is not empty;
- termination within ``spec.max_game_length`` steps;
- returns within ``[min_utility, max_utility]`` and, for zero- and constant-sum games,
  summing to ``spec.utility_sum``;
- non-empty, sorted, distinct legal actions in range at every decision node, and none for
  seats that are not to move;
- chance outcomes that are distinct, positive and sum to 1, and chance or simultaneous
  nodes only in games whose spec declares them;
- that a clone is independent of its origin;
- that states sharing a player's information-state key offer that player the same legal
  actions;
- ``parse_action(action_text(a)) == a`` with distinct names for the legal actions;
- that an illegal action raises ``IllegalActionError`` and changes nothing;
- that replaying a history from the initial state reaches the same state.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from redqueen.errors import IllegalActionError
from redqueen.games.core import (
    CHANCE,
    SIMULTANEOUS,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    State,
    UtilityKind,
    sample_chance_outcome,
)

if TYPE_CHECKING:
    import numpy as np


class GameCheckError(AssertionError):
    """A game broke one of the invariants ``check_game`` asserts."""


@dataclass(frozen=True)
class CheckReport:
    game: str
    games_played: int
    states_visited: int
    information_states: int
    max_length_seen: int


def check_game(game: Game, n_games: int = 500, seed: int = 0, clone_every: int = 1) -> CheckReport:
    """Play ``n_games`` uniform-random games of ``game`` and assert every invariant.

    ``clone_every`` checks clone independence and replay at every k-th state (1: all).
    Raises :class:`GameCheckError` naming the invariant and the history that broke it.
    """
    spec = game.spec
    _require(spec.num_players >= 1, "spec.num_players must be >= 1")
    _require(spec.num_distinct_actions >= 1, "spec.num_distinct_actions must be >= 1")
    _require(spec.max_game_length >= 1, "spec.max_game_length must be >= 1")
    _require(spec.min_utility <= spec.max_utility, "spec.min_utility > spec.max_utility")
    _require(bool(game.rules_text().strip()), "rules_text() is empty")
    if spec.utility in (UtilityKind.ZERO_SUM, UtilityKind.CONSTANT_SUM):
        _require(spec.utility_sum is not None, "zero/constant-sum spec needs utility_sum")
    if spec.utility == UtilityKind.ZERO_SUM:
        _require(spec.utility_sum == 0, "a zero-sum game must declare utility_sum 0")

    import numpy as np  # imported here so that importing redqueen.games stays light

    rng = np.random.default_rng(seed)
    legal_by_key: dict[tuple[int, Hashable], tuple[int, ...]] = {}
    states = 0
    longest = 0
    for _ in range(n_games):
        state = game.new_initial_state()
        steps = 0
        while True:
            states += 1
            if clone_every and states % clone_every == 0:
                _check_replay(game, state)
            _check_node(game, state, legal_by_key)
            if state.is_terminal():
                break
            if clone_every and states % clone_every == 0:
                _check_clone_independence(state, rng)
            _check_illegal_rejected(game, state)
            _random_step(state, rng)
            steps += 1
            _require(
                steps <= spec.max_game_length,
                f"game not over after spec.max_game_length={spec.max_game_length} steps",
                state,
            )
        longest = max(longest, steps)
        _check_terminal(game, state)
    return CheckReport(spec.id, n_games, states, len(legal_by_key), longest)


def _random_step(state: State, rng: np.random.Generator) -> None:
    player = state.current_player()
    if player == CHANCE:
        state.apply_action(sample_chance_outcome(state, rng))
    elif player == SIMULTANEOUS:
        joint = []
        for p in range(state.game.num_players):
            legal = state.legal_actions(p)
            joint.append(legal[rng.integers(len(legal))])
        state.apply_joint_action(joint)
    else:
        legal = state.legal_actions()
        state.apply_action(legal[rng.integers(len(legal))])


def _fingerprint(state: State) -> tuple[Any, ...]:
    n = state.game.num_players
    player = state.current_player()
    legal: tuple[Any, ...]
    if player == SIMULTANEOUS:
        legal = tuple(tuple(state.legal_actions(p)) for p in range(n))
    else:
        legal = tuple(state.legal_actions())
    return (
        player,
        tuple(state.history()),
        tuple(state.returns()),
        legal,
        tuple(state.chance_outcomes()),
        tuple(state.information_state_key(p) for p in range(n)),
        tuple(state.observation_text(p) for p in range(n)),
        str(state),
    )


def _check_node(
    game: Game, state: State, legal_by_key: dict[tuple[int, Hashable], tuple[int, ...]]
) -> None:
    spec = game.spec
    n = spec.num_players
    player = state.current_player()
    _require(
        player in (CHANCE, SIMULTANEOUS, TERMINAL) or 0 <= player < n,
        f"current_player() returned {player}",
        state,
    )
    if player == CHANCE:
        _require(spec.chance != ChanceMode.NONE, "chance node in a game with chance=none", state)
    if player == SIMULTANEOUS:
        _require(
            spec.dynamics == Dynamics.SIMULTANEOUS,
            "simultaneous node in a game whose dynamics are sequential",
            state,
        )
    for p in range(n):
        text = state.observation_text(p)
        _require(isinstance(text, str), f"observation_text({p}) is not a str", state)
        key = state.information_state_key(p)
        try:
            hash(key)
        except TypeError:
            _fail(f"information_state_key({p}) is not hashable: {key!r}", state)
    if player == TERMINAL:
        return
    if player == CHANCE:
        outcomes = state.chance_outcomes()
        _require(len(outcomes) > 0, "chance node with no outcomes", state)
        actions = [a for a, _ in outcomes]
        _require(len(set(actions)) == len(actions), "repeated chance outcomes", state)
        _require(all(p > 0 for _, p in outcomes), "chance outcome with probability <= 0", state)
        total = math.fsum(p for _, p in outcomes)
        _require(abs(total - 1.0) < 1e-9, f"chance probabilities sum to {total}", state)
        _require(state.legal_actions() == actions, "legal_actions() != chance outcomes", state)
        for p in range(n):
            _require(state.legal_actions(p) == [], f"seat {p} has actions at chance", state)
        _check_texts(state, CHANCE, actions)
        return
    movers = range(n) if player == SIMULTANEOUS else [player]
    for p in range(n):
        legal = state.legal_actions(p)
        if p not in movers:
            _require(legal == [], f"seat {p} is not to move but has legal actions", state)
            continue
        _require(len(legal) > 0, f"decision node with no legal actions for seat {p}", state)
        _require(legal == sorted(set(legal)), "legal actions not sorted and distinct", state)
        _require(
            legal[0] >= 0 and legal[-1] < spec.num_distinct_actions,
            f"legal action out of range(num_distinct_actions={spec.num_distinct_actions})",
            state,
        )
        key = (p, state.information_state_key(p))
        known = legal_by_key.setdefault(key, tuple(legal))
        _require(
            known == tuple(legal),
            f"two states share seat {p}'s information-state key {key[1]!r} but offer "
            f"different legal actions: {list(known)} vs {legal}",
            state,
        )
        _check_texts(state, p, legal)


def _check_texts(state: State, player: int, legal: list[int]) -> None:
    names = [state.action_text(a, player) for a in legal]
    _require(all(isinstance(t, str) and t for t in names), "empty action text", state)
    _require(len(set(names)) == len(names), f"legal actions share a name: {names}", state)
    for a, name in zip(legal, names, strict=True):
        parsed = state.parse_action(name, player)
        _require(parsed == a, f"parse_action({name!r}) = {parsed}, expected {a}", state)


def _check_illegal_rejected(game: Game, state: State) -> None:
    """Each seat that moves here is offered actions outside its legal set: a negative id,
    an id beyond every action and chance outcome, and an in-range id that is not legal."""
    player = state.current_player()
    simultaneous = player == SIMULTANEOUS
    seats = range(game.num_players) if simultaneous else [player]
    before = _fingerprint(state)
    for seat in seats:
        legal = state.legal_actions(seat) if simultaneous else state.legal_actions()
        spec = game.spec
        beyond = max(spec.num_distinct_actions, spec.max_chance_outcomes, *legal) + 7
        candidates = [-1, beyond]
        candidates += [a for a in range(spec.num_distinct_actions) if a not in legal][:1]
        for bad in candidates:
            try:
                if simultaneous:
                    joint = [state.legal_actions(p)[0] for p in range(game.num_players)]
                    joint[seat] = bad
                    state.apply_joint_action(joint)
                else:
                    state.apply_action(bad)
            except IllegalActionError as err:
                _require(str(err) != "", "IllegalActionError without a message", state)
            else:
                _fail(f"illegal action {bad} of seat {seat} was accepted (legal: {legal})", state)
            _require(
                _fingerprint(state) == before, f"rejected action {bad} changed the state", state
            )


def _check_clone_independence(state: State, rng: np.random.Generator) -> None:
    before = _fingerprint(state)
    twin = state.clone()
    _require(_fingerprint(twin) == before, "clone differs from its origin", state)
    _random_step(twin, rng)
    _require(_fingerprint(state) == before, "changing a clone changed its origin", state)


def _check_replay(game: Game, state: State) -> None:
    replay = game.new_initial_state()
    for step in state.history():
        if step.player == SIMULTANEOUS:
            assert isinstance(step.action, tuple)
            replay.apply_joint_action(list(step.action))
        else:
            assert isinstance(step.action, int)
            replay.apply_action(step.action)
    _require(
        _fingerprint(replay) == _fingerprint(state),
        "replaying the history from the initial state reached a different state",
        state,
    )


def _check_terminal(game: Game, state: State) -> None:
    spec = game.spec
    returns = state.returns()
    _require(len(returns) == spec.num_players, "returns() has the wrong length", state)
    _require(state.legal_actions() == [], "terminal state has legal actions", state)
    for r in returns:
        _require(
            spec.min_utility - 1e-9 <= r <= spec.max_utility + 1e-9,
            f"return {r} outside [{spec.min_utility}, {spec.max_utility}]",
            state,
        )
    if spec.utility in (UtilityKind.ZERO_SUM, UtilityKind.CONSTANT_SUM):
        assert spec.utility_sum is not None
        total = math.fsum(returns)
        _require(
            abs(total - spec.utility_sum) < 1e-9,
            f"returns {returns} sum to {total}, not spec.utility_sum={spec.utility_sum}",
            state,
        )
    try:
        state.apply_action(0)
    except IllegalActionError:
        pass
    else:
        _fail("a terminal state accepted an action", state)


def _require(ok: bool, message: str, state: State | None = None) -> None:
    if not ok:
        _fail(message, state)


def _fail(message: str, state: State | None = None) -> None:
    if state is not None:
        message += f"\n  game: {state.game!r}\n  history: {state.history()}"
    raise GameCheckError(message)
