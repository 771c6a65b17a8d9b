"""TextArena import: a TextArena environment as a text-only redqueen game.

TextArena (Guertler et al. 2025) is a suite of about a hundred text games built for
evaluating and training language models. Wrapping it lets redqueen's LLM agents, match
runners, tournaments and ratings use those games as they are:
``redqueen.make("textarena:TicTacToe-v0")``, ``redqueen.make("textarena:KuhnPoker-v0",
known_faults="fix", max_rounds=5)``. Keyword parameters that are not the adapter's own go
to TextArena's constructor (``ta.make(env_id, **env_kwargs)``).

How TextArena maps onto our contract (``spec.text_actions`` is true):

- moves are free text, checked by the environment: ``apply_text_action(text)`` passes the
  text through TextArena's default wrappers (so ``"4"`` becomes ``"[4]"`` where the env
  id has ``ActionFormattingWrapper``). There are no action ids: ``legal_actions()`` is
  ``[]`` and ``apply_action``/``parse_action`` at a player's turn raise an error that says
  so. An invalid move is TextArena's business: its own rules apply (in its two-player
  games: a warning and a retry, then a second invalid move in a row loses the game,
  returns -1/+1). ``apply_text_action`` never raises for such a move;
  ``invalid_moves()`` counts them per seat, from TextArena's error counter.
- the episode's randomness is an explicit chance node. A new state is a chance node with
  ``num_seeds`` equally likely outcomes; outcome ``k`` builds a *fresh* environment and
  resets it with ``seed=k``. So ``play_match(game, agents, seed)`` fixes the episode
  through its chance stream (the same match seed gives the same episode in any runner),
  and ``replay`` of a trajectory rebuilds it. ``textarena_game(env_id, seed=k)`` instead
  starts every episode at once with TextArena seed ``k`` (no chance node).
- TextArena draws from Python's global ``random`` (and a few envs from NumPy's global
  ``numpy.random``). Every call into TextArena runs with both global states swapped for
  the state's own, seeded from the episode seed, and swapped back afterwards: the
  caller's global random states are never drawn from or changed, and interleaved episodes do
  not disturb each other. (This swap is not thread-safe: do not step TextArena states
  from several threads at once.)
- ``observation_text(p)`` is every message TextArena has sent player ``p`` this episode,
  rendered as TextArena's default ``LLMObservationWrapper`` does (``[GAME] ...``,
  ``[Player 1] ...``); messages still queued for a seat that is not to move are included.
  Messages are collected as TextArena's own play loop does (``get_observation`` once per
  turn), so per-turn extras that some envs add there are included too. Other observation
  wrappers (the ``-train`` ids) are not applied: their views are subsets of this one.
  ``information_state_key(p)`` is ``p`` and the tuple of those messages.
- returns are TextArena's rewards once the env says it is done (usually win +1, loss -1,
  draw 0; hence ``min_utility=-1``, ``max_utility=1``, general-sum, as a few envs differ).
  An episode still running after ``max_steps`` moves is truncated: terminal, returns 0.
- ``clone()`` deep-copies the environment (TextArena's wrappers support ``deepcopy``); an
  env that cannot be copied raises :class:`RedqueenError` saying so.
- ``rules_text()`` is TextArena's opening prompt for player 0, after a note on moves.

Faults of textarena 0.7.4 that change results, and what the adapter does (reproductions
in ``docs/adapters/textarena.md``, pinned by ``tests/adapters/test_textarena.py``):

- Kuhn poker (``KuhnPoker-v0*``): bets and calls never reach the pot, so every round is
  worth one chip whatever is bet. The adapter detects the fault when the game is built
  and then refuses the env unless ``known_faults`` says ``"fix"`` (bets and calls go into
  the pot) or ``"keep"`` (TextArena's game as it is).
- Observation history carried across resets: ``LLMObservationWrapper`` never clears its
  history, so a reused env shows the previous episodes to the players. The adapter never
  reuses an env: each episode builds a fresh one and keeps its own message log.
- Moves echoed with the arguments swapped: Countdown, Cryptarithm and Slitherlink call
  ``add_observation(player, move, PLAYER_ACTION)`` positionally, against its
  ``(message, observation_type, from_id)`` order, so the message they queue names an
  observation type as its sender and a seat number as its text. The adapter reads such a
  message as the seat's own move (sender the seat, text the move), as the env meant.
  The same envs call ``set_invalid_move(progress, reason)`` against its
  ``(reason, reward)`` order, so an episode ended by an invalid move has the reason as its
  reward and the reward in ``game_info``'s reason (``"Invalid Move: 0.25"``); the adapter
  pays the progress the env meant. Any other reward that is not a number is an error.
- Seeds that do not fix an episode: ``reset(seed)`` only reseeds the global ``random``
  (and so changes the caller's random state); Kuhn poker shuffles its deck in place, so
  a reused env deals differently for the same seed; an unseeded reset depends on
  whatever the global state was. Fresh envs and private random states fix all three.

textarena is an optional dependency: importing redqueen never imports it; building a game
without it raises an error that says how to install it.
"""

from __future__ import annotations

import contextlib
import itertools
import numbers
import random
import re
from collections.abc import Hashable, Iterator
from functools import cache
from typing import Any

import numpy as np

from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Dynamics,
    Game,
    GameSpec,
    State,
    Step,
    UtilityKind,
)

INSTALL_HINT = 'pip install "textarena==0.7.4"'
DEFAULT_NUM_SEEDS = 1 << 16
"""Outcomes of the chance node that picks an episode's TextArena seed."""
DEFAULT_MAX_STEPS = 10_000
KNOWN_FAULTS_CHOICES: tuple[str, ...] = ("refuse", "fix", "keep")

_GAME_SENDER = -1  # textarena.GAME_ID
_KUHN_ENTRY_POINT = "textarena.envs.KuhnPoker.env:KuhnPokerEnv"
_KUHN_MOVE = re.compile(r"\[(Check|Bet|Fold|Call)\]", re.IGNORECASE)  # as KuhnPokerEnv parses

Message = tuple[int, str, str]
"""(sender id, text, TextArena observation type name); sender -1 is the game."""


def import_textarena() -> Any:
    """The ``textarena`` module, or a :class:`RedqueenError` saying how to install it."""
    try:
        import textarena
    except ImportError as err:
        raise RedqueenError(
            "TextArena games (make('textarena:ENV_ID')) need the textarena package, which is "
            f"not installed: {INSTALL_HINT} (or pip install -e .[adapters])"
        ) from err
    return textarena


class _PrivateRandomness:
    """Python's and NumPy's global random states as one episode of TextArena sees them.

    ``active()`` swaps them in for the duration of a call into TextArena and swaps the
    caller's back afterwards, keeping whatever TextArena drew for the next call.
    """

    __slots__ = ("_np", "_py")

    def __init__(self, seed: int) -> None:
        self._py = random.Random(seed).getstate()
        self._np = np.random.RandomState(seed).get_state()

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        outer_py, outer_np = random.getstate(), np.random.get_state()
        random.setstate(self._py)
        np.random.set_state(self._np)
        try:
            yield
        finally:
            self._py, self._np = random.getstate(), np.random.get_state()
            random.setstate(outer_py)
            np.random.set_state(outer_np)


def _unwrap(env: Any, ta: Any) -> Any:
    while isinstance(env, ta.Wrapper):
        env = env.env
    return env


@cache
def _kuhn_poker_with_bets() -> type:
    """KuhnPokerEnv with the chip of every bet and call put into the pot."""
    from textarena.envs.KuhnPoker.env import KuhnPokerEnv

    class KuhnPokerWithBets(KuhnPokerEnv):
        def step(self, action: str) -> Any:
            game_state = self.state.game_state
            found = _KUHN_MOVE.search(action.strip())
            tree = game_state["current_legal_action_tree"]
            if found and isinstance(tree, dict):
                move = found.group(1).lower()
                if move in ("bet", "call") and move in tree:
                    game_state["pot"] += 1
                    game_state["player_chips"][self.state.current_player_id] -= 1
            return super().step(action)

    return KuhnPokerWithBets


def _build_env(
    env_id: str, env_kwargs: dict[str, Any], num_players: int, seed: int, fix_kuhn: bool
) -> tuple[Any, Any, _PrivateRandomness]:
    """A fresh env, reset with ``seed`` under its own private random states."""
    ta = import_textarena()
    randomness = _PrivateRandomness(seed)
    with randomness.active():
        try:
            env = ta.make(env_id, **env_kwargs)
        except TypeError as err:
            raise InvalidParameterError(
                f"TextArena rejected the parameters {env_kwargs!r} of {env_id}: {err}"
            ) from err
        except (SyntaxError, ImportError, LookupError, ValueError, OSError) as err:
            raise RedqueenError(
                f"TextArena cannot build {env_id} here ({type(err).__name__}: {err}). Some "
                "of its envs need Python >= 3.12, NLTK data, files or API keys; see "
                "docs/adapters/textarena.md"
            ) from err
        base = _unwrap(env, ta)
        if fix_kuhn:
            base.__class__ = _kuhn_poker_with_bets()
        try:
            env.reset(num_players=num_players, seed=seed)
        except AssertionError as err:
            raise InvalidParameterError(
                f"TextArena's {env_id} does not take num_players={num_players}: {err}"
            ) from err
    return env, base, randomness


def _kuhn_pot_fault(env_id: str, env_kwargs: dict[str, Any]) -> bool:
    """Whether this Kuhn poker env leaves the pot unchanged by a bet (textarena 0.7.4)."""
    _, base, randomness = _build_env(env_id, env_kwargs, 2, 0, fix_kuhn=False)
    with randomness.active():
        pot = base.state.game_state["pot"]
        base.step("[bet]")
        return bool(base.state.game_state["pot"] == pot)


def _message(raw: Any) -> Message:
    sender, text, kind = raw
    if hasattr(sender, "name") and isinstance(text, int) and isinstance(kind, str):
        # Countdown, Cryptarithm and Slitherlink call add_observation(player, action,
        # PLAYER_ACTION) positionally against its (message, observation_type, from_id)
        # order: the message is the player's own move, which TextArena mislabels
        return (int(text), kind, str(sender.name))
    return (int(sender), str(text), getattr(kind, "name", str(kind)))


class TextArenaGame(Game):
    """A TextArena environment as a text-only game. Build it with :func:`textarena_game`."""

    judges_replies = True

    def __init__(
        self,
        env_id: str,
        *,
        num_players: int,
        seed: int | None,
        num_seeds: int,
        max_steps: int,
        known_faults: str,
        env_kwargs: dict[str, Any],
    ) -> None:
        ta = import_textarena()
        self.env_id = env_id
        self.textarena_version: str = str(getattr(ta, "__version__", "unknown"))
        self.fixed_seed = seed
        self.num_seeds = num_seeds
        self.max_steps = max_steps
        self.known_faults = known_faults
        self.env_kwargs = dict(env_kwargs)
        self.fault_notes: list[str] = []
        self.fix_kuhn = False
        entry = ta.envs.registration.ENV_REGISTRY[env_id].entry_point
        if entry == _KUHN_ENTRY_POINT and _kuhn_pot_fault(env_id, self.env_kwargs):
            self._kuhn_fault(known_faults)
        _, probe, _ = _build_env(env_id, self.env_kwargs, num_players, seed or 0, self.fix_kuhn)
        self._prompt = "\n".join(
            str(text)
            for _, text, kind in probe.state.observations.get(0, [])
            if getattr(kind, "name", "") == "PROMPT"
        )
        roles = probe.state.role_mapping
        self._names = [str(roles.get(p, f"Player {p}")) for p in range(num_players)]
        params: dict[str, Any] = {
            "num_players": num_players,
            "seed": seed,
            "num_seeds": num_seeds,
            "max_steps": max_steps,
            "known_faults": known_faults,
            **self.env_kwargs,
        }
        super().__init__(
            GameSpec(
                id=f"textarena:{env_id}",
                num_players=num_players,
                num_distinct_actions=0,
                max_game_length=max_steps + (0 if seed is not None else 1),
                min_utility=-1.0,
                max_utility=1.0,
                dynamics=Dynamics.SEQUENTIAL,
                chance=ChanceMode.NONE if seed is not None else ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                perfect_information=False,
                max_chance_outcomes=0 if seed is not None else num_seeds,
                params=params,
                text_actions=True,
            )
        )

    def _kuhn_fault(self, known_faults: str) -> None:
        fault = (
            f"In textarena {self.textarena_version}, {self.env_id} never puts bets or calls "
            "into the pot: every round is won or lost by the antes alone, whatever is bet."
        )
        if known_faults == "refuse":
            raise InvalidParameterError(
                f"{fault} Pass known_faults='fix' to put them into the pot (correct Kuhn "
                "poker chips), known_faults='keep' to play TextArena's game as it is, or use "
                "redqueen's own make('kuhn_poker')."
            )
        if known_faults == "fix":
            self.fix_kuhn = True
            self.fault_notes.append(
                f"{fault} redqueen corrects this: each bet and each call adds one chip to the "
                "pot, as the rules below say."
            )
        else:
            self.fault_notes.append(f"{fault} It is played as it is (known_faults='keep').")

    def new_initial_state(self) -> TextArenaState:
        return TextArenaState(self)

    def rules_text(self) -> str:
        seat = "seat" if self.num_players == 1 else "seats"
        parts = [
            f"TextArena environment {self.env_id} (textarena {self.textarena_version}), "
            f"{self.num_players} {seat}. Moves are free text that the environment checks. "
            "An invalid move is handled by TextArena's own rules: in its two-player games "
            "the player is warned and moves again, and a second invalid move in a row loses "
            "the game."
        ]
        parts.extend(self.fault_notes)
        if self._prompt:
            parts.append(f"What TextArena tells {self._names[0]} at the start:\n\n{self._prompt}")
        return "\n\n".join(parts)

    def player_name(self, player: int) -> str:
        return self._names[player]

    def start_episode(self, seed: int) -> tuple[Any, Any, _PrivateRandomness]:
        """A fresh environment reset with TextArena seed ``seed`` (used by the states)."""
        return _build_env(self.env_id, self.env_kwargs, self.num_players, seed, self.fix_kuhn)


class TextArenaState(State):
    """One episode of a TextArena environment. Its env is never shared or reused."""

    def __init__(self, game: TextArenaGame) -> None:
        super().__init__(game)
        self._ta_game = game
        n = game.num_players
        self._env: Any = None
        self._base: Any = None
        self._randomness: _PrivateRandomness | None = None
        self.episode_seed: int | None = None
        """The TextArena seed of this episode (None until the chance node is resolved)."""
        self._log: list[list[Message]] = [[] for _ in range(n)]
        self._invalid = [0] * n
        self._moves = 0
        self._done = False
        self._truncated = False
        self._returns = [0.0] * n
        self._outcome: dict[str, Any] = {}
        if game.fixed_seed is not None:
            self._start(game.fixed_seed)

    # ---- episode plumbing -----------------------------------------------------------

    def _start(self, seed: int) -> None:
        self._env, self._base, self._randomness = self._ta_game.start_episode(seed)
        self.episode_seed = seed
        self._collect()

    def _collect(self) -> None:
        """What TextArena's play loop does each turn: the player to move collects its
        messages (``get_observation``)."""
        if self._done or self._randomness is None:
            return
        with self._randomness.active():
            player, messages = self._base.get_observation()
        self._log[int(player)].extend(_message(m) for m in messages)

    def _messages(self, player: int) -> list[Message]:
        if self._base is None:
            return []
        queued = self._base.state.observations.get(player, [])
        return [*self._log[player], *(_message(m) for m in queued)]

    # ---- the contract ---------------------------------------------------------------

    def current_player(self) -> int:
        if self._base is None:
            return CHANCE
        if self._done:
            return TERMINAL
        return int(self._base.state.current_player_id)

    def _legal_actions(self, player: int) -> list[int]:
        return []

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        n = self._ta_game.num_seeds
        return list(zip(range(n), itertools.repeat(1.0 / n), strict=False))

    def _is_legal(self, player: int, action: int) -> bool:
        return player == CHANCE and 0 <= action < self._ta_game.num_seeds

    def _apply_action(self, action: int) -> None:
        self._start(action)

    def apply_action(self, action: int) -> None:
        """At the chance node: start the episode with TextArena seed ``action``. Players
        move by text only (:meth:`apply_text_action`)."""
        current = self.current_player()
        if current >= 0:
            raise self._text_only_error()
        n = self._ta_game.num_seeds
        if current == CHANCE and not (isinstance(action, numbers.Integral) and 0 <= action < n):
            error = IllegalActionError(action, CHANCE, [])
            error.args = (f"illegal chance outcome {action!r}: the TextArena seeds 0 to {n - 1}",)
            raise error  # (the inherited message would list every seed)
        super().apply_action(action)

    def parse_action(self, text: str, player: int | None = None) -> int:
        if self.current_player() >= 0:
            raise self._text_only_error()
        return super().parse_action(text, player)

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            return f"seed {action}"
        raise self._text_only_error()

    def _text_only_error(self) -> RedqueenError:
        return RedqueenError(
            f"{self._game.id} is a text-only game: it has no action ids; send the move as "
            "text with apply_text_action(text)"
        )

    def apply_text_action(self, text: str, player: int | None = None) -> None:
        """Send ``text`` as the move of the player to move. TextArena judges it: an invalid
        move is handled by its rules (a warning and a retry, or a lost game) and counted in
        :meth:`invalid_moves`. Raises only when no move can be sent at all: before the
        chance node is resolved, once terminal, out of turn, or for text that is no str."""
        current = self.current_player()
        if current == CHANCE:
            raise RedqueenError(
                "the episode has not started: apply a chance outcome (its TextArena seed) first"
            )
        if current == TERMINAL or (player is not None and player != current):
            raise IllegalActionError(text, current if player is None else player, [])
        if not isinstance(text, str):
            raise IllegalActionError(text, current, [])
        assert self._randomness is not None
        state = self._base.state
        errors_before = int(getattr(state, "error_count", 0) or 0)
        flagged_before = bool(state.game_info.get(current, {}).get("invalid_move", False))
        with self._randomness.active():
            try:
                done, _ = self._env.step(text)
            except Exception as err:
                raise RedqueenError(
                    f"TextArena's {self._ta_game.env_id} failed on the move {text!r} of "
                    f"player {current}: {type(err).__name__}: {err}"
                ) from err
            state = self._base.state
            errors_after = int(getattr(state, "error_count", 0) or 0)
            flagged_after = bool(state.game_info.get(current, {}).get("invalid_move", False))
            if errors_after > errors_before or (flagged_after and not flagged_before):
                self._invalid[current] += 1
            self._history.append(Step(current, text))
            self._moves += 1
            if done:
                self._finish()
            elif self._moves >= self._ta_game.max_steps:
                self._done = self._truncated = True
        self._collect()

    def _finish(self) -> None:
        rewards, game_info = self._env.close()
        if rewards is None:
            raise RedqueenError(
                f"TextArena's {self._ta_game.env_id} ended the episode without rewards"
            )
        self._outcome = dict(game_info or {})
        self._returns = [
            self._reward(rewards.get(p, 0.0), p) for p in range(self._game.num_players)
        ]
        self._done = True

    def _reward(self, value: Any, player: int) -> float:
        """A seat's reward; for an invalid move of Countdown, Cryptarithm or Slitherlink,
        the reward the env meant (see the module docstring)."""
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        outcome: Any = self._outcome  # TextArena keys game_info by seat
        info = outcome.get(player) or {}
        reason = str(info.get("reason", ""))
        meant = reason.removeprefix("Invalid Move: ")
        if isinstance(value, str) and meant != reason:
            try:
                return float(meant)
            except ValueError:
                pass
        raise RedqueenError(
            f"TextArena's {self._ta_game.env_id} gave player {player} the reward {value!r}, "
            "which is not a number"
        )

    def returns(self) -> list[float]:
        return list(self._returns)

    def information_state_key(self, player: int) -> Hashable:
        return (player, tuple(self._messages(player)))

    def observation_text(self, player: int) -> str:
        if self._base is None:
            return (
                f"TextArena {self._ta_game.env_id}: the episode has not started (a chance "
                "node picks its seed)."
            )
        roles = self._base.state.role_mapping
        lines = []
        for sender, text, _ in self._messages(player):
            name = "GAME" if sender == _GAME_SENDER else roles.get(sender, f"Player {sender}")
            lines.append(f"[{name}] {text}")
        return "\n".join(lines)

    def clone(self) -> State:
        try:
            return super().clone()
        except Exception as err:
            raise RedqueenError(
                f"cannot clone a state of {self._game.id}: its TextArena env cannot be "
                f"deep-copied ({type(err).__name__}: {err})"
            ) from err

    # ---- TextArena extras -----------------------------------------------------------

    def invalid_moves(self) -> tuple[int, ...]:
        """Per seat: moves TextArena judged invalid this episode."""
        return tuple(self._invalid)

    @property
    def truncated(self) -> bool:
        """Whether the episode was cut off after ``max_steps`` moves (returns are 0)."""
        return self._truncated

    def outcome(self) -> dict[str, Any]:
        """TextArena's ``game_info`` once terminal (per seat: role, reason, invalid_move,
        turn_count); empty before."""
        return dict(self._outcome)

    @property
    def env(self) -> Any:
        """This episode's TextArena env (None before the chance node), for inspection:
        changing it changes the state behind redqueen's back."""
        return self._env


def textarena_game(
    env_id: str,
    *,
    num_players: int = 2,
    seed: int | None = None,
    num_seeds: int = DEFAULT_NUM_SEEDS,
    max_steps: int = DEFAULT_MAX_STEPS,
    known_faults: str = "refuse",
    **env_kwargs: Any,
) -> TextArenaGame:
    """The TextArena environment ``env_id`` as a text-only redqueen game.

    This is what ``redqueen.make("textarena:ENV_ID", **params)`` calls.

    - ``num_players``: seats (TextArena's ``reset(num_players)``).
    - ``seed``: None (default) to start every episode at a chance node over ``num_seeds``
      TextArena seeds, so that the match seed picks the episode; an int in [0, 2**32) to
      reset every episode with that TextArena seed.
    - ``max_steps``: moves after which a running episode is truncated (returns 0).
    - ``known_faults``: ``"refuse"``, ``"fix"`` or ``"keep"``, for envs with a known fault
      that changes results (see the module docstring).
    - anything else goes to the env's constructor (e.g. ``max_rounds=1`` for Kuhn poker).

    An unknown id raises :class:`UnknownNameError` listing TextArena's ids; an env that
    cannot be built here raises :class:`RedqueenError` naming the cause.
    """
    ta = import_textarena()
    registry = ta.envs.registration.ENV_REGISTRY
    if not isinstance(env_id, str) or env_id not in registry:
        raise UnknownNameError("TextArena environment", str(env_id), registry)
    num_players = _positive_int("num_players", num_players)
    num_seeds = _positive_int("num_seeds", num_seeds, upper=1 << 32)
    max_steps = _positive_int("max_steps", max_steps)
    if seed is not None:
        seed = _positive_int("seed", seed, lower=0, upper=1 << 32)
    if known_faults not in KNOWN_FAULTS_CHOICES:
        raise InvalidParameterError(
            f"known_faults={known_faults!r}; allowed: {', '.join(KNOWN_FAULTS_CHOICES)}"
        )
    return TextArenaGame(
        env_id,
        num_players=num_players,
        seed=seed,
        num_seeds=num_seeds,
        max_steps=max_steps,
        known_faults=known_faults,
        env_kwargs=env_kwargs,
    )


def _positive_int(name: str, value: object, *, lower: int = 1, upper: int | None = None) -> int:
    number = int(value) if isinstance(value, numbers.Integral) else None
    if isinstance(value, bool) or number is None or number < lower or (upper and number >= upper):
        bound = f"[{lower}, {upper})" if upper is not None else f">= {lower}"
        raise InvalidParameterError(f"{name} must be an integer {bound}; got {value!r}")
    return number
