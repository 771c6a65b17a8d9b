"""Scripted werewolf players, and an LLM player that is asked for its role guesses.

:class:`WerewolfAgent` plays :mod:`redqueen.games.hidden.werewolf` from the seat's
:class:`~redqueen.games.hidden.werewolf.SeatView` (its information-state key, never the
text view), in either speech mode: with ``speech="text"`` it writes the name of its move,
and its speeches are the game's canonical claims. ``style="rules"`` plays by role:

- the **seer** checks a living player it has not checked yet, and in every speech claims
  seer and reveals a check (a wolf it found, alive, first; else its latest check); it
  runs for sheriff;
- **wolves** vote for the kill the first wolf's choice this night (the first wolf picks
  a claimed seer, else a random non-wolf), accuse a claimed seer in speeches (else a
  random non-wolf), and all vote to exile the same non-wolf: the living one most accused
  today, ties to the lowest seat;
- the **witch** saves any victim she may (not a player claimed as a wolf) and poisons a
  player claimed as a wolf;
- the **guard** protects a claimed seer, else a random living player;
- the **hunter** shoots a claimed wolf, else the most accused player, else no one;
- **villagers** (and the gods, when voting and speaking) follow the latest seer claim
  that names a living wolf: they accuse and vote for that player; without one they vote
  for a player who accused a claimed seer, else at random among the players no seer
  claim cleared (never for themselves or a claimed seer), and pass in speeches.

``style="random"`` picks a uniformly random legal move (speeches included).

:class:`RoleGuessLLMAgent` is an :class:`~redqueen.agents.llm.agent.LLMAgent` that, once
per match, before its first exile vote, is asked for the role of every other seat, one
question each, with the roles listed as the moves to choose from (the protocol of
WereAlign's opponent-role inference, "guess X号's true identity", once per seat). The
guesses (:class:`RoleGuess`) feed the role-guess accuracy of
:mod:`redqueen.measure.werewolf`.
"""

from __future__ import annotations

import inspect
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.llm.agent import LLMAgent
from redqueen.agents.llm.context import current_match
from redqueen.agents.llm.parsing import parse_reply
from redqueen.agents.llm.prompts import answer_instruction, legal_moves_block, system_prompt
from redqueen.errors import RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.hidden.werewolf import (
    ACCUSE_RE,
    CLAIM_RE,
    ROLES,
    SPEECH_KINDS,
    SeatView,
    WerewolfGame,
)

STYLES = ("rules", "random")


def seer_claims(view: SeatView) -> list[tuple[int, int, bool]]:
    """Every seer claim made in a speech so far: ``(speaker, target, is_wolf)``."""
    claims = []
    for e in view.events:
        if e[0] == "say" and e[4]:
            for m in CLAIM_RE.finditer(e[4]):
                claims.append((e[3], int(m.group(1)), m.group(2).lower() == "a wolf"))
    return claims


def accusations(view: SeatView, day: int | None = None) -> Counter[int]:
    """How often each seat was accused (``accuse player K``) in speeches, on ``day`` (all
    days when None)."""
    counts: Counter[int] = Counter()
    for e in view.events:
        if e[0] == "say" and e[4] and (day is None or e[1] == day):
            counts.update(int(m.group(1)) for m in ACCUSE_RE.finditer(e[4]))
    return counts


class WerewolfAgent(Agent):
    """A scripted werewolf player (``style="rules"`` or ``"random"``; see the module)."""

    name = "werewolf"

    def __init__(self, style: str = "rules") -> None:
        if style not in STYLES:
            raise UnknownNameError("werewolf player style", style, STYLES)
        self.style = style

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {} if self.style == "rules" else {"style": self.style})

    def check_game(self, game: Game) -> None:
        if not isinstance(game, WerewolfGame):
            raise RedqueenError(f"the werewolf players play only werewolf, not {game.id}")

    def act(self, obs: Observation) -> int | str:
        view = obs.information_state_key
        game = obs.game
        assert isinstance(view, SeatView) and isinstance(game, WerewolfGame)
        if not view.options or view.decision is None:
            raise RedqueenError(f"seat {obs.player} was asked to move but has no decision")
        if self.style == "random":
            action = int(view.options[int(obs.rng.integers(len(view.options)))])
        else:
            action = self._choose(game, view, obs.rng)
        if obs.legal_actions:
            return action
        return game.move_text(view.decision, action)  # a text-only game: name the move

    # ---- the rules ------------------------------------------------------------------

    def _choose(self, game: WerewolfGame, view: SeatView, rng: np.random.Generator) -> int:
        options = view.options
        kind = view.decision
        me = view.seat
        living = [s for s, a in enumerate(view.alive) if a]
        wolves = set(view.wolves)
        claims = seer_claims(view)
        claimed_seers = [s for s, _, _ in claims if view.alive[s] and s != me]
        claimed_wolves = [t for _, t, w in reversed(claims) if w and view.alive[t] and t != me]
        checks = [(e[2], e[3]) for e in view.events if e[0] == "check"]

        def first(*candidates: int) -> int | None:
            return next((c for c in candidates if c in options), None)

        def any_of(pool: list[int]) -> int:
            legal = [c for c in pool if c in options]
            if not legal:
                return game.PASS
            return legal[int(rng.integers(len(legal)))]

        if kind in SPEECH_KINDS:
            return self._speech(game, view, claims, checks, rng)
        if kind == "guard":
            pick = first(*claimed_seers)
            return pick if pick is not None else any_of(living)
        if kind == "wolf":
            tonight = [e[3] for e in view.events if e[0] == "wolf_vote" and e[1] == view.day]
            pick = first(*[t for t in tonight if t >= 0], *claimed_seers)
            return pick if pick is not None else any_of([s for s in living if s not in wolves])
        if kind == "save":
            victim = next(e[2] for e in reversed(view.events) if e[0] == "victim")
            return game.PASS if victim in claimed_wolves else game.YES
        if kind == "poison":
            pick = first(*claimed_wolves)
            return game.PASS if pick is None else pick
        if kind == "check":
            done = {t for t, _ in checks}
            return any_of([s for s in living if s not in done and s != me])
        if kind == "shoot":
            most = [s for s, _ in accusations(view).most_common() if view.alive[s]]
            pick = first(*claimed_wolves, *most)
            return game.PASS if pick is None else pick
        if kind == "run":
            return game.YES if view.role == "seer" else game.PASS
        if kind == "sheriff_vote":
            pick = first(*(s for s in options if s in wolves), *claimed_seers)
            return pick if pick is not None else any_of([s for s in options if s != game.PASS])
        # the exile vote
        candidates = [s for s in options if s != game.PASS and s != me]
        if view.role == "wolf":
            today = accusations(view, view.day)
            good = sorted((s for s in candidates if s not in wolves), key=lambda s: (-today[s], s))
            return good[0] if good else game.PASS
        found = [t for t, w in checks if w] if view.role == "seer" else []
        seers = set(claimed_seers)
        against_seer = [
            e[3]
            for e in reversed(view.events)
            if e[0] == "say"
            and e[3] not in seers
            and any(int(m.group(1)) in seers for m in ACCUSE_RE.finditer(e[4]))
        ]
        pick = first(*found, *claimed_wolves, *against_seer)
        if pick is not None:
            return pick
        cleared = {t for _, t, w in claims if not w}
        trusted = [s for s in candidates if s not in seers and s not in cleared]
        return any_of(trusted or candidates)

    def _speech(
        self,
        game: WerewolfGame,
        view: SeatView,
        claims: list[tuple[int, int, bool]],
        checks: list[tuple[int, bool]],
        rng: np.random.Generator,
    ) -> int:
        me = view.seat
        options = set(view.options)
        living = [s for s, a in enumerate(view.alive) if a]
        if view.role == "seer" and checks:
            found = [t for t, w in checks if w and view.alive[t]]
            target, is_wolf = (found[-1], True) if found else checks[-1]
            kind = "seer_wolf" if is_wolf else "seer_good"
            action = game.claim_action(kind, target)
            return action if action in options else game.PASS
        if view.role == "wolf":
            seers = [s for s, _, _ in claims if view.alive[s] and s not in view.wolves]
            pool = seers or [s for s in living if s not in view.wolves]
            if not pool:
                return game.PASS
            target = seers[-1] if seers else pool[int(rng.integers(len(pool)))]
            action = game.claim_action("accuse", target)
            return action if action in options else game.PASS
        named = [t for _, t, w in reversed(claims) if w and view.alive[t] and t != me]
        if named:
            action = game.claim_action("accuse", named[0])
            return action if action in options else game.PASS
        return game.PASS


# ---- an LLM player that states its role guesses ----------------------------------------

ROLE_QUESTION = "Guess the true role of player {seat}. Choose one of the roles listed."


@dataclass(frozen=True)
class RoleGuess:
    """One seat's guess of another seat's role, asked on ``day``."""

    seat: int
    day: int
    about: int
    guess: str | None
    """The role named (None: the reply named none)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RoleGuess:
        return cls(int(data["seat"]), int(data["day"]), int(data["about"]), data["guess"])


class RoleGuessLLMAgent(LLMAgent):
    """An :class:`LLMAgent` asked, before its first exile vote of a match, for the role of
    every other seat (one question per seat; the roles of the board listed as moves).
    The guesses are kept per match key (see :func:`~redqueen.agents.llm.context.recording`)
    and read with :meth:`pop_guesses`."""

    name = "llm_werewolf_guess"
    __signature__ = inspect.signature(LLMAgent)

    def __init__(self, **params: object) -> None:
        super().__init__(**params)  # type: ignore[arg-type]
        self._guesses: dict[str | None, list[RoleGuess]] = {}

    def __getstate__(self) -> dict[str, object]:
        state = super().__getstate__()
        state["_guesses"] = {}
        return state

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, dict(super().spec().params))

    def check_game(self, game: Game) -> None:
        if not isinstance(game, WerewolfGame):
            raise RedqueenError(f"{self.name} plays only werewolf, not {game.id}")
        super().check_game(game)

    def pop_guesses(self, match_key: str | None = None) -> list[RoleGuess]:
        """The guesses made in match ``match_key`` (all seats), forgotten afterwards."""
        return self._guesses.pop(match_key, [])

    async def aact(self, obs: Observation) -> int | str:
        view = obs.information_state_key
        if isinstance(view, SeatView) and view.decision == "vote":
            context = current_match()
            key = context.match_key if context is not None else None
            made = self._guesses.setdefault(key, [])
            if not any(g.seat == obs.player for g in made):
                made.extend(await self._ask_roles(obs, view))
        return await super().aact(obs)

    async def _ask_roles(self, obs: Observation, view: SeatView) -> list[RoleGuess]:
        game = obs.game
        assert isinstance(game, WerewolfGame)
        roles = [r for r, c in zip(ROLES, game.counts, strict=True) if c]
        moves = list(enumerate(roles))
        system = system_prompt(game.rules_text(), self.answer_format, self.system_prompt_extra)
        seed = int(obs.rng.integers(2**31))
        guesses = []
        for other in range(game.n):
            if other == obs.player:
                continue
            question = "\n\n".join(
                [
                    obs.text.strip(),
                    ROLE_QUESTION.format(seat=other),
                    legal_moves_block(roles),
                    answer_instruction(self.answer_format, roles[0], subject="your guess"),
                ]
            )
            messages = [
                {"role": "system", "content": system},
                {"role": "user", "content": question},
            ]
            reply = await self.chat(messages, seat=obs.player, seed=seed + other, moves=moves)
            parsed = parse_reply(reply, self.answer_format, moves)
            guess = roles[parsed.action] if parsed.action is not None else None
            guesses.append(RoleGuess(obs.player, view.day, other, guess))
        return guesses
