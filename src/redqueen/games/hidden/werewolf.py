"""Werewolf on the boards of "Beyond Survival" (WereBench; arXiv:2510.11389).

"Beyond Survival" is a static benchmark built from human games of the Chinese
"Pandakill" show (``ZiruiSongBest/WereBench``); it releases no engine. This module plays
its dominant board as a game. The rules follow the boards' ``game_rules`` texts, as
recorded in ``shared/research/roles.md`` section 1; what those texts leave out is a
parameter, marked *convention* below.

Roles and boards. Wolves (狼人) against the village: villagers (村民), with no power, and
the gods: the seer (预言家), the witch (女巫), the hunter (猎人) and the guard (守卫).
``board="standard"`` is the 12-seat board: 4 wolves, 4 villagers and the four gods.
``board="small"`` has 6 to 9 seats (our choice of counts, :data:`SMALL_BOARDS`); or give
``roles`` as counts (``{"wolf": 2, "villager": 2, "seer": 1, "witch": 1}``). A board needs a
wolf, a villager and a god, at most one of each god, and, when ``players`` is given too,
counts that add up to it.

A night, in order: the guard protects a player (never the same one two nights running;
"no one" is allowed); the living wolves vote, in seat order and seeing each other's
votes, on whom to kill (the most votes wins; a tie is a chance node, uniform over the
tied players; no votes means no kill); the witch is told the victim and may save them
with her one antidote -- herself only as ``witch_self_save`` allows (``"first_night"``,
``"never"`` or ``"always"``) -- or else poison one player with her one poison (never both
in a night); the seer checks one player and learns "wolf" or "good". At dawn the victim
dies unless protected or saved; with ``guard_and_save_kills`` (convention, on by
default) a victim both protected and saved dies all the same (同守同救). A poisoned player
always dies. Deaths are announced, causes and roles are not.

The hunter who dies, by night or by exile, shoots one living player (or no one), unless
poisoned. The dead of the first night, the exiled and the shot give last words.

A day: every living player speaks once, in seat order. Then the exile vote: each living
player votes for a living player or abstains, privately; the votes are then shown. The
most votes is exiled. A tie (convention) leads to PK speeches by the tied players and a
revote among them by the others; a second tie, or no votes, exiles no one.

Win rule, "kill a side" (屠边): the village wins when every wolf is dead; the wolves win
when every villager or every god is dead. It is checked after each death (a night's
deaths together); should both happen at once, the village wins. A game still running
after ``max_days`` days is a draw (ours: nights with a save could otherwise go on for
ever). Returns: +1 to each seat of the winning side, -1 to the others, 0 in a draw.

Sheriff (``sheriff=True``, convention, off by default): on day 1, after the dawn, each
living player says whether they run; candidates give election speeches and the others
elect one (plurality; a tie is revoted once among the tied, then no sheriff). The
sheriff's exile vote counts 1.5. We leave out the sheriff's choice of speaking order and
the passing of the badge: a dead sheriff's badge is lost.

Speech. With ``speech="claims"`` (the default) a speech is one structured claim
("pass", "claim seer: player k is a wolf", "claim seer: player k is good", "accuse player
k"), so the game has integer actions throughout and scripted players, search and
``check_game`` work. With ``speech="text"`` the game is text-only (``spec.text_actions``):
speeches are free text cut to ``max_speech_chars``, and every other move is read by
name (the same names; ``[brackets]`` around them are allowed). A text that names no
legal move is an invalid move (``invalid_moves``), played as that node's "no one"/"abstain"
move. Speech is cheap talk: part of every seat's information state, never a payoff.

Information. Each seat sees its own role; wolves see each other and each other's kill
votes; the seer sees its checks, the witch the night's victim, the guard its
protections. :meth:`WerewolfState.information_state_key` returns a :class:`SeatView`,
which holds exactly that (plus the public record); scripted players read it.

Left out, from the show's boards: wolves' self-explosion (自爆), special wolves and gods
other than these four, and the Cupid camp.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games.core import (
    CHANCE,
    TERMINAL,
    ChanceMode,
    Game,
    GameSpec,
    State,
    Step,
    UtilityKind,
    match_action_text,
)

ROLES = ("wolf", "villager", "seer", "witch", "hunter", "guard")
WOLF, VILLAGER, SEER, WITCH, HUNTER, GUARD = range(6)
GODS = frozenset({SEER, WITCH, HUNTER, GUARD})

STANDARD_BOARD: dict[str, int] = {
    "wolf": 4,
    "villager": 4,
    "seer": 1,
    "witch": 1,
    "hunter": 1,
    "guard": 1,
}
"""The 12-seat board of WereBench's usual games (预女猎守)."""
SMALL_BOARDS: dict[int, dict[str, int]] = {
    6: {"wolf": 2, "villager": 2, "seer": 1, "witch": 1},
    7: {"wolf": 2, "villager": 2, "seer": 1, "witch": 1, "hunter": 1},
    8: {"wolf": 2, "villager": 3, "seer": 1, "witch": 1, "hunter": 1},
    9: {"wolf": 3, "villager": 3, "seer": 1, "witch": 1, "hunter": 1},
}
"""``board="small"``: our counts for 6 to 9 seats (the 9-seat one is the common 预女猎)."""
BOARDS = ("standard", "small")
SELF_SAVE = ("first_night", "never", "always")
SPEECH_MODES = ("claims", "text")

WOLVES_WIN, VILLAGE_WINS, DRAW = "wolves", "village", "draw"

# Decision kinds (the node's first field); chance nodes are "deal" and "tie".
SPEECH_KINDS = {
    "speech": "speech",
    "last_words": "last words",
    "pk": "PK speech",
    "election": "election speech",
}
CLAIM_RE = re.compile(r"claim seer:\s*player\s+(\d+)\s+is\s+(a wolf|good)", re.IGNORECASE)
"""How a seer's claim is written (``speech="claims"`` writes exactly this); scripted
players read claims in speeches with it."""
ACCUSE_RE = re.compile(r"accuse player\s+(\d+)", re.IGNORECASE)

Node = tuple[Any, ...]
"""A step of the schedule: ``(kind, seat, extra...)``; kinds starting with ``_`` are
internal (run at once, no one moves)."""


@dataclass(frozen=True)
class SeatView:
    """Everything one seat knows: its information-state key.

    ``events`` is the seat's record, oldest first: the public events (deaths, speeches,
    shown votes, exiles, the hunter's shot, the sheriff) and the private ones its role
    sees (a wolf's ``("wolf_vote", night, voter, target)`` and ``("kill", night,
    target)``, the seer's ``("check", night, target, is_wolf)``, the witch's ``("victim",
    night, target)``, ``("save", night, target)`` and ``("poison", night, target)``, the
    guard's ``("protect", night, target)``, and the seat's own hidden votes ``("my_vote",
    day, kind, round, target)``); a target of -1 means no one. ``decision`` is the kind
    of move the seat must make now (None when it is not to move) and ``options`` its
    legal action ids."""

    seat: int
    role: str | None
    wolves: tuple[int, ...]
    """Every wolf's seat, for a wolf; empty for anyone else."""
    alive: tuple[bool, ...]
    day: int
    phase: str
    sheriff: int | None
    decision: str | None
    options: tuple[int, ...]
    events: tuple[tuple[Any, ...], ...]


def board_roles(board: str, players: int | None, roles: Mapping[str, int] | None) -> dict[str, int]:
    """The role counts of a board, checked: see the module docstring."""
    if roles is None:
        if board not in BOARDS:
            raise UnknownNameError("werewolf board", board, BOARDS)
        if board == "standard":
            if players not in (None, 12):
                raise InvalidParameterError(
                    f"the standard board has 12 seats (4 wolves, 4 villagers, seer, witch, "
                    f"hunter, guard); got players={players!r}. Use board='small' for 6 to 9 "
                    "seats, or give roles as counts"
                )
            return dict(STANDARD_BOARD)
        n = 9 if players is None else players
        if n not in SMALL_BOARDS:
            raise InvalidParameterError(
                f"the small board has 6 to 9 seats; got players={players!r} (allowed: "
                f"{sorted(SMALL_BOARDS)})"
            )
        return dict(SMALL_BOARDS[n])
    if not isinstance(roles, Mapping):
        raise InvalidParameterError(f"roles must map role names to counts; got {roles!r}")
    counts: dict[str, int] = {}
    for name, count in roles.items():
        if name not in ROLES:
            raise UnknownNameError("werewolf role", str(name), ROLES)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise InvalidParameterError(f"roles[{name!r}] must be a count >= 0; got {count!r}")
        if count:
            counts[name] = count
    for god in ("seer", "witch", "hunter", "guard"):
        if counts.get(god, 0) > 1:
            raise InvalidParameterError(f"a board has at most one {god}; got {counts[god]}")
    missing = [
        what
        for what, ok in (
            ("a wolf", counts.get("wolf", 0) > 0),
            ("a villager", counts.get("villager", 0) > 0),
            ("a god (seer, witch, hunter or guard)", any(counts.get(g) for g in ROLES[2:])),
        )
        if not ok
    ]
    if missing:
        raise InvalidParameterError(
            f"roles {counts} has no {' and no '.join(m.removeprefix('a ') for m in missing)}: "
            f"the 'kill a side' rule needs {', '.join(missing)}"
        )
    total = sum(counts.values())
    if players is not None and total != players:
        raise InvalidParameterError(
            f"roles {counts} add up to {total} seats, but players={players}; give counts that "
            "add up to the number of players"
        )
    if not 4 <= total <= 16:
        raise InvalidParameterError(f"a board has 4 to 16 seats; roles {counts} give {total}")
    return counts


class WerewolfGame(Game):
    """Werewolf with seer, witch, hunter and guard; see the module docstring."""

    moves_are_public = False  # night actions and ballots are secret; the views say what is known

    def __init__(
        self,
        board: str = "standard",
        players: int | None = None,
        roles: Mapping[str, int] | None = None,
        witch_self_save: str = "first_night",
        guard_and_save_kills: bool = True,
        sheriff: bool = False,
        speech: str = "claims",
        max_speech_chars: int = 500,
        max_days: int = 10,
    ) -> None:
        counts = board_roles(board, players, roles)
        if witch_self_save not in SELF_SAVE:
            raise UnknownNameError("witch_self_save rule", witch_self_save, SELF_SAVE)
        if speech not in SPEECH_MODES:
            raise UnknownNameError("speech mode", speech, SPEECH_MODES)
        for name, value, low, high in (
            ("max_speech_chars", max_speech_chars, 1, 100_000),
            ("max_days", max_days, 1, 100),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidParameterError(
                    f"{name} must be an integer in [{low}, {high}]; got {value!r}"
                )
        self.counts = tuple(counts.get(r, 0) for r in ROLES)
        n = sum(self.counts)
        self.n = n
        self.witch_self_save = witch_self_save
        self.guard_and_save_kills = bool(guard_and_save_kills)
        self.sheriff = bool(sheriff)
        self.speech = speech
        self.max_speech_chars = max_speech_chars
        self.max_days = max_days
        # PASS = n ("no one", "abstain", "pass"), YES = n + 1 ("save", "run"), then claims.
        self.PASS, self.YES = n, n + 1
        per_cycle = 6 * n + 8
        super().__init__(
            GameSpec(
                id="werewolf",
                num_players=n,
                num_distinct_actions=4 * n + 2,
                max_game_length=n + max_days * per_cycle + (4 * n if self.sheriff else 0),
                min_utility=-1.0,
                max_utility=1.0,
                chance=ChanceMode.EXPLICIT,
                utility=UtilityKind.GENERAL_SUM,
                utility_sum=None,
                max_chance_outcomes=max(n, len(ROLES)),
                text_actions=speech == "text",
                params={
                    "board": board,
                    "players": players,
                    "roles": dict(counts) if roles is not None else None,
                    "witch_self_save": witch_self_save,
                    "guard_and_save_kills": self.guard_and_save_kills,
                    "sheriff": self.sheriff,
                    "speech": speech,
                    "max_speech_chars": max_speech_chars,
                    "max_days": max_days,
                },
            )
        )

    # ---- action ids ---------------------------------------------------------------

    def claim_action(self, kind: str, target: int) -> int:
        """The id of a structured speech: ``kind`` is ``"seer_wolf"``, ``"seer_good"`` or
        ``"accuse"``."""
        kinds = ("seer_wolf", "seer_good", "accuse")
        if kind not in kinds:
            raise UnknownNameError("claim", kind, kinds)
        return self.n + 2 + kinds.index(kind) * self.n + target

    def move_text(self, decision: str, action: int, seat: int | None = None) -> str:
        """The name of ``action`` at a decision of kind ``decision``."""
        n = self.n
        if action == self.PASS:
            return {
                "guard": "protect no one",
                "wolf": "no kill",
                "save": "do not save",
                "poison": "no poison",
                "check": "check no one",
                "shoot": "no shot",
                "run": "do not run",
                "vote": "abstain",
                "sheriff_vote": "abstain",
            }.get(decision, "pass")
        if action == self.YES:
            return "run for sheriff" if decision == "run" else "save"
        if 0 <= action < n:
            verb = {
                "guard": "protect",
                "wolf": "kill",
                "poison": "poison",
                "check": "check",
                "shoot": "shoot",
                "vote": "vote",
                "sheriff_vote": "elect",
            }.get(decision, "player")
            return f"{verb} player {action}"
        k, target = divmod(action - n - 2, n)
        if 0 <= k < 3:
            return (
                f"claim seer: player {target} is a wolf",
                f"claim seer: player {target} is good",
                f"accuse player {target}",
            )[k]
        return f"#{action}"

    # ---- the Game contract ----------------------------------------------------------

    def new_initial_state(self) -> WerewolfState:
        return WerewolfState(self)

    def board_text(self) -> str:
        parts = [
            f"{c} {'wolves' if r == 'wolf' else r + 's'}" if c > 1 else f"{c} {r}"
            for r, c in zip(ROLES, self.counts, strict=True)
            if c
        ]
        return f"{self.n} players: " + ", ".join(parts)

    def rules_text(self) -> str:
        save = {
            "first_night": "herself only on the first night",
            "never": "never herself",
            "always": "herself too",
        }[self.witch_self_save]
        speech = (
            "A speech is free text of at most "
            f"{self.max_speech_chars} characters (an empty speech passes)."
            if self.speech == "text"
            else "A speech is one claim: 'pass', 'claim seer: player K is a wolf', 'claim "
            "seer: player K is good' or 'accuse player K'."
        )
        sheriff = (
            " On day 1, before the speeches, players may run for sheriff: candidates speak, "
            "the others elect one (a tie is revoted once among the tied, then no sheriff). "
            "The sheriff's exile vote counts 1.5; a dead sheriff's badge is lost."
            if self.sheriff
            else ""
        )
        both = (
            "A victim both protected and saved dies all the same. "
            if self.guard_and_save_kills
            else "A victim protected or saved (or both) lives. "
        )
        return (
            f"Werewolf ({self.board_text()}). Roles are dealt at random and secret; the "
            "wolves know each other. Players are numbered from 0; a role that is not on "
            "this board has no turn. Each night: the guard "
            "protects one player (not the one protected the night before; 'no one' is "
            "allowed); the wolves vote on whom to kill (most votes; a tie is broken at "
            "random; no votes, no kill); the witch is told the victim and may save them with "
            f"her single antidote ({save}) or else use her single poison on another player; "
            "the seer checks one player and learns 'wolf' or 'good'. At dawn the victim dies "
            f"unless protected or saved. {both}A poisoned player always dies. Deaths are "
            "announced, roles are not. A hunter who dies shoots one player (or no one), "
            "except when poisoned. The first night's dead, the exiled and the shot give last "
            "words. Each day every living player speaks once in seat order, then all vote "
            "privately to exile a player (or abstain) and the votes are shown; the most "
            "votes is exiled; on a tie the tied players give PK speeches and the others "
            "vote again among them, and a second tie exiles no one. "
            f"{speech}{sheriff} The village wins when every wolf is dead; the wolves win "
            "when every villager or every god (seer, witch, hunter, guard) is dead. After "
            f"{self.max_days} days the game is a draw. Winners score +1, losers -1."
        )

    def player_name(self, player: int) -> str:
        return f"player {player}"


class WerewolfState(State):
    """A werewolf game in progress: a schedule of steps (:data:`Node`) run in order."""

    def __init__(self, game: WerewolfGame) -> None:
        super().__init__(game)
        self._g = game
        n = game.n
        self._roles: list[int] = []
        self._alive = [True] * n
        self._day = 0
        self._phase = "deal"
        self._queue: list[Node] = [("deal", i) for i in range(n)] + [("_night",)]
        self._events: list[tuple[Any, ...]] = []
        self._seen: list[list[tuple[Any, ...]]] = [[] for _ in range(n)]
        self._winner: str | None = None
        self._sheriff: int | None = None
        self._antidote = self._poison = True
        self._last_protected = -1
        self._night: dict[str, Any] = {}
        self._votes: dict[int, int] = {}
        self._invalid = [0] * n

    # ---- helpers -----------------------------------------------------------------

    def _seats_with(self, role: int, alive_only: bool = True) -> list[int]:
        return [
            s for s, r in enumerate(self._roles) if r == role and (self._alive[s] or not alive_only)
        ]

    def _living(self) -> list[int]:
        return [s for s, a in enumerate(self._alive) if a]

    def _log(self, event: tuple[Any, ...], seats: list[int] | None = None) -> None:
        """Record ``event``, seen by ``seats`` (None: by everyone)."""
        self._events.append(event)
        for seat in range(self._g.n) if seats is None else seats:
            self._seen[seat].append(event)

    def role_of(self, seat: int) -> str | None:
        """The role dealt to ``seat`` (None before the deal reaches it): for tests, metrics
        and reports, not for players."""
        return ROLES[self._roles[seat]] if seat < len(self._roles) else None

    def winner(self) -> str | None:
        """``"wolves"``, ``"village"`` or ``"draw"`` once the game is over, else None."""
        return self._winner

    def events(self) -> list[tuple[Any, ...]]:
        """Every event so far, private ones included (for metrics and reports)."""
        return list(self._events)

    # ---- the schedule ------------------------------------------------------------

    def current_player(self) -> int:
        if self._winner is not None or not self._queue:
            return TERMINAL
        node = self._queue[0]
        return CHANCE if node[0] in ("deal", "tie") else node[1]

    def _advance(self) -> None:
        """Run internal steps until a seat or chance is to move, or the game is over."""
        while self._winner is None and self._queue and self._queue[0][0].startswith("_"):
            node = self._queue.pop(0)
            getattr(self, "_step" + node[0])(*node[1:])

    def _then(self, *nodes: Node) -> None:
        """Schedule ``nodes`` next, before anything already scheduled."""
        self._queue[0:0] = list(nodes)

    def _end(self, winner: str) -> None:
        self._winner = winner
        self._queue.clear()
        self._phase = "over"
        self._log(("end", winner, tuple(ROLES[r] for r in self._roles)))

    def _kill(self, seats: list[int]) -> bool:
        """Kill ``seats`` together; end the game if a side is gone. True if it ended."""
        for s in seats:
            self._alive[s] = False
        if self._sheriff is not None and not self._alive[self._sheriff]:
            self._sheriff = None
        alive_roles = Counter(self._roles[s] for s in self._living())
        if alive_roles[WOLF] == 0:
            self._end(VILLAGE_WINS)
        elif alive_roles[VILLAGER] == 0 or not any(alive_roles[g] for g in GODS):
            self._end(WOLVES_WIN)
        return self._winner is not None

    def _step_night(self) -> None:
        if self._day >= self._g.max_days:
            self._end(DRAW)
            return
        self._day += 1
        self._phase = "night"
        self._night = {"protected": -1, "victim": -1, "saved": False, "poisoned": -1}
        self._votes = {}
        self._log(("night", self._day))
        nodes: list[Node] = [("guard", s) for s in self._seats_with(GUARD)]
        nodes += [("wolf", s) for s in self._seats_with(WOLF)]
        nodes.append(("_wolves_decide",))
        self._then(*nodes)

    def _step_wolves_decide(self) -> None:
        tally = Counter(t for t in self._votes.values() if t != self._g.PASS)
        if not tally:
            self._set_victim(-1)
            return
        top = max(tally.values())
        tied = tuple(sorted(t for t, c in tally.items() if c == top))
        if len(tied) == 1:
            self._set_victim(tied[0])
        else:
            self._then(("tie", -1, tied))

    def _set_victim(self, victim: int) -> None:
        self._night["victim"] = victim
        self._log(("kill", self._day, victim), self._seats_with(WOLF, alive_only=False))
        nodes: list[Node] = []
        for witch in self._seats_with(WITCH):
            self._log(("victim", self._day, victim), [witch])
            if victim >= 0 and self._antidote and self._may_save(witch, victim):
                nodes.append(("save", witch))
            nodes.append(("_poison", witch))
        nodes += [("check", s) for s in self._seats_with(SEER)]
        nodes.append(("_dawn",))
        self._then(*nodes)

    def _may_save(self, witch: int, victim: int) -> bool:
        rule = self._g.witch_self_save
        return victim != witch or rule == "always" or (rule == "first_night" and self._day == 1)

    def _step_poison(self, witch: int) -> None:
        if self._poison and not self._night["saved"]:
            self._then(("poison", witch))

    def _step_dawn(self) -> None:
        night = self._night
        victim = night["victim"]
        dead: set[int] = set()
        if victim >= 0:
            protected = night["protected"] == victim
            if (protected and night["saved"] and self._g.guard_and_save_kills) or not (
                protected or night["saved"]
            ):
                dead.add(victim)
        if night["poisoned"] >= 0:
            dead.add(night["poisoned"])
        self._last_protected = night["protected"]
        self._phase = "day"
        deaths = sorted(dead)
        self._log(("dawn", self._day, tuple(deaths)))
        if self._kill(deaths):
            return
        nodes: list[Node] = []
        if self._day == 1:
            nodes += [("last_words", s) for s in deaths]
        for s in deaths:
            if self._roles[s] == HUNTER and night["poisoned"] != s:
                nodes.append(("shoot", s))
        if self._g.sheriff and self._day == 1:
            nodes += [("run", s) for s in self._living()]
            nodes.append(("_election",))
        nodes.append(("_day",))
        self._then(*nodes)

    def _step_election(self) -> None:
        candidates = tuple(
            e[1] for e in self._events if e[0] == "run" and e[2] and self._alive[e[1]]
        )
        voters = [s for s in self._living() if s not in candidates]
        if len(candidates) == 1:
            self._set_sheriff(candidates[0])
        elif not candidates or not voters:
            self._set_sheriff(-1)
        else:
            nodes: list[Node] = [("election", s) for s in candidates]
            nodes.append(("_ballot", "sheriff_vote", 1, candidates))
            self._then(*nodes)

    def _set_sheriff(self, seat: int) -> None:
        self._sheriff = seat if seat >= 0 else None
        self._log(("sheriff", seat))

    def _step_day(self) -> None:
        nodes: list[Node] = [("speech", s) for s in self._living()]
        nodes.append(("_ballot", "vote", 1, tuple(self._living())))
        self._then(*nodes)

    def _step_ballot(self, kind: str, rnd: int, candidates: tuple[int, ...]) -> None:
        """Open a vote of ``kind`` (exile ``vote`` or ``sheriff_vote``) among
        ``candidates``: round 1 of an exile vote is every living player; otherwise the
        voters are the living players who are not candidates."""
        self._votes = {}
        everyone = kind == "vote" and rnd == 1
        voters = [s for s in self._living() if everyone or s not in candidates]
        if not voters:
            self._finish_ballot(kind, None)
            return
        nodes: list[Node] = [(kind, s, candidates, rnd) for s in voters]
        nodes.append(("_tally", kind, rnd, candidates))
        self._then(*nodes)

    def _step_tally(self, kind: str, rnd: int, candidates: tuple[int, ...]) -> None:
        shown = tuple(sorted(self._votes.items()))
        pass_id = self._g.PASS
        self._log(
            ("votes", self._day, kind, rnd, tuple((v, -1 if t == pass_id else t) for v, t in shown))
        )
        weight: dict[int, float] = {}
        for voter, target in self._votes.items():
            if target != pass_id:
                extra = 1.5 if kind == "vote" and voter == self._sheriff else 1.0
                weight[target] = weight.get(target, 0.0) + extra
        if not weight:
            self._finish_ballot(kind, None)
            return
        top = max(weight.values())
        tied = tuple(sorted(t for t, w in weight.items() if w == top))
        if len(tied) == 1:
            self._finish_ballot(kind, tied[0])
        elif rnd == 1:
            self._log(("tie", self._day, kind, tied))
            nodes: list[Node] = [("pk", s) for s in tied] if kind == "vote" else []
            nodes.append(("_ballot", kind, 2, tied))
            self._then(*nodes)
        else:
            self._finish_ballot(kind, None)

    def _finish_ballot(self, kind: str, chosen: int | None) -> None:
        if kind == "sheriff_vote":
            self._set_sheriff(-1 if chosen is None else chosen)
            return
        self._log(("exile", self._day, -1 if chosen is None else chosen))
        if chosen is None:
            self._then(("_night",))
            return
        if self._kill([chosen]):
            return
        nodes: list[Node] = [("last_words", chosen)]
        if self._roles[chosen] == HUNTER:
            nodes.append(("shoot", chosen))
        nodes.append(("_night",))
        self._then(*nodes)

    # ---- moves -------------------------------------------------------------------

    def _chance_outcomes(self) -> list[tuple[int, float]]:
        node = self._queue[0]
        if node[0] == "deal":
            left = [c - self._roles.count(r) for r, c in enumerate(self._g.counts)]
            total = sum(left)
            return [(r, c / total) for r, c in enumerate(left) if c > 0]
        tied = node[2]
        return [(t, 1.0 / len(tied)) for t in tied]

    def _legal_actions(self, player: int) -> list[int]:
        return self._options(self._queue[0])

    def _options(self, node: Node) -> list[int]:
        g = self._g
        kind, seat = node[0], node[1]
        living = self._living()
        if kind == "guard":
            targets = [s for s in living if s != self._last_protected]
        elif kind in ("wolf", "shoot"):
            targets = living
        elif kind in ("poison", "check"):
            targets = [s for s in living if s != seat]
        elif kind in ("vote", "sheriff_vote"):
            targets = [s for s in node[2] if self._alive[s]]
        elif kind in ("save", "run"):
            return [g.PASS, g.YES]
        else:  # a speech: pass, seer claims about anyone else, accusations of the living
            others = [s for s in range(g.n) if s != seat]
            return [
                g.PASS,
                *(g.claim_action("seer_wolf", s) for s in others),
                *(g.claim_action("seer_good", s) for s in others),
                *(g.claim_action("accuse", s) for s in living if s != seat),
            ]
        return [*targets, g.PASS]

    def _is_legal(self, player: int, action: int) -> bool:
        if player == CHANCE:
            return any(a == action for a, _ in self._chance_outcomes())
        return action in self._options(self._queue[0])

    def _apply_action(self, action: int) -> None:
        node = self._queue[0]
        kind = node[0]
        text = None
        if kind in SPEECH_KINDS:
            text = "" if action == self._g.PASS else self._g.move_text(kind, action)
        self._move(action, text)

    def _move(self, action: int, text: str | None) -> None:
        """Apply a legal ``action`` (a speech's ``text`` given) at the head node."""
        g = self._g
        node = self._queue.pop(0)
        kind, seat = node[0], node[1]
        target = -1 if action == g.PASS else action
        day = self._day
        if kind == "deal":
            self._roles.append(action)
            if len(self._roles) == g.n:
                wolves = self._seats_with(WOLF)
                self._log(("wolves", tuple(wolves)), wolves)
        elif kind == "tie":
            self._set_victim(action)
        elif kind == "guard":
            self._night["protected"] = target
            self._log(("protect", day, target), [seat])
        elif kind == "wolf":
            self._votes[seat] = action
            self._log(("wolf_vote", day, seat, target), self._seats_with(WOLF, alive_only=False))
        elif kind == "save":
            if action == g.YES:
                self._antidote = False
                self._night["saved"] = True
                self._log(("save", day, self._night["victim"]), [seat])
        elif kind == "poison":
            if target >= 0:
                self._poison = False
                self._night["poisoned"] = target
                self._log(("poison", day, target), [seat])
        elif kind == "check":
            if target >= 0:
                self._log(("check", day, target, self._roles[target] == WOLF), [seat])
        elif kind == "shoot":
            if target >= 0:
                self._log(("shot", seat, target))
                if not self._kill([target]):
                    self._then(("last_words", target))
        elif kind == "run":
            self._log(("run", seat, action == g.YES))
        elif kind in ("vote", "sheriff_vote"):
            self._votes[seat] = action
            self._log(("my_vote", day, kind, node[3], target), [seat])
        else:
            self._log(("say", day, kind, seat, text or ""))
        self._advance()

    def apply_text_action(self, text: str, player: int | None = None) -> None:
        """``speech="claims"``: the move ``text`` names. ``speech="text"``: a speech is
        ``text`` itself (cut to ``max_speech_chars``); any other move is read by name, and
        a text that names no legal move is an invalid move, played as "no one"."""
        g = self._g
        if g.speech != "text":
            super().apply_text_action(text, player)
            return
        current = self.current_player()
        if current < 0:
            raise RedqueenError(
                "the game is over: no more moves"
                if current == TERMINAL
                else "a chance node: apply a chance outcome with apply_action"
            )
        if player is not None and player != current:
            raise RedqueenError(f"it is player {current}'s turn, not player {player}'s")
        if not isinstance(text, str):
            raise IllegalActionError(text, current, self._legal_listing(current))
        kind = self._queue[0][0]
        if kind in SPEECH_KINDS:
            said = text.strip()[: g.max_speech_chars]
            bare = said.strip("[] \n\t").lower()
            self._move(g.PASS if bare in ("", "pass") else g.YES, "" if bare == "pass" else said)
        else:
            stripped = text.strip()
            if stripped.startswith("[") and stripped.endswith("]"):
                stripped = stripped[1:-1]
            names = [(a, g.move_text(kind, a)) for a in self._legal_actions(current)]
            try:
                action = match_action_text(stripped, names)
            except ParseActionError:
                self._invalid[current] += 1
                action = g.PASS
            self._move(action, None)
        self._history.append(Step(current, text))

    def invalid_moves(self) -> tuple[int, ...]:
        return tuple(self._invalid)

    def returns(self) -> list[float]:
        if self._winner in (None, DRAW):
            return [0.0] * self._g.n
        wolves_won = self._winner == WOLVES_WIN
        return [1.0 if (r == WOLF) == wolves_won else -1.0 for r in self._roles]

    # ---- views -------------------------------------------------------------------

    def information_state_key(self, player: int) -> Hashable:
        return self.seat_view(player)

    def seat_view(self, seat: int) -> SeatView:
        """What ``seat`` knows now (see :class:`SeatView`)."""
        role = self._roles[seat] if seat < len(self._roles) else None
        to_move = self.current_player() == seat
        dealt = len(self._roles) == self._g.n
        return SeatView(
            seat=seat,
            role=None if role is None else ROLES[role],
            wolves=tuple(self._seats_with(WOLF, alive_only=False))
            if role == WOLF and dealt
            else (),
            alive=tuple(self._alive),
            day=self._day,
            phase=self._phase,
            sheriff=self._sheriff,
            decision=self._queue[0][0] if to_move else None,
            options=tuple(self._options(self._queue[0])) if to_move else (),
            events=tuple(self._seen[seat]),
        )

    def _action_text(self, player: int, action: int) -> str:
        if player == CHANCE:
            node = self._queue[0] if self._queue else ("?",)
            if node[0] == "deal":
                name = ROLES[action] if 0 <= action < len(ROLES) else f"#{action}"
                return f"deal {name} to player {len(self._roles)}"
            return f"the wolves' kill falls on player {action}"
        kind = self._queue[0][0] if self._queue and self.current_player() == player else "?"
        return self._g.move_text(kind, action)

    def observation_text(self, player: int) -> str:
        view = self.seat_view(player)
        g = self._g
        lines = [f"Werewolf ({g.board_text()}). You are player {player}."]
        if view.role is not None:
            lines[0] += f" Your role: {view.role}."
        if view.wolves:
            others = [s for s in view.wolves if s != player]
            lines.append(
                "The wolves are players " + ", ".join(map(str, view.wolves)) + "."
                if others
                else "You are the only wolf."
            )
        if view.role == "witch":
            left = [p for p, ok in (("antidote", self._antidote), ("poison", self._poison)) if ok]
            lines.append("You still have: " + (", ".join(left) if left else "nothing") + ".")
        if view.phase != "deal":
            dead = [s for s, a in enumerate(view.alive) if not a]
            lines.append(
                "Alive: players "
                + ", ".join(str(s) for s, a in enumerate(view.alive) if a)
                + ("; dead: players " + ", ".join(map(str, dead)) if dead else "")
                + "."
                + (f" Sheriff: player {view.sheriff}." if view.sheriff is not None else "")
            )
        lines += [line for e in view.events if (line := event_text(e, player))]
        if view.decision is not None:
            lines.append(self._prompt(view))
        elif self._winner is None:
            lines.append("Waiting for the other players.")
        return "\n".join(lines)

    def _prompt(self, view: SeatView) -> str:
        g = self._g
        kind = view.decision
        assert kind is not None
        ask = {
            "guard": "Night {d}: choose whom to protect (not the player you protected last night).",
            "wolf": "Night {d}: vote on whom the wolves kill.",
            "save": "Night {d}: save the wolves' victim with your antidote?",
            "poison": "Night {d}: poison a player?",
            "check": "Night {d}: choose a player to check.",
            "shoot": "You are the hunter and you are dead: shoot a player?",
            "run": "Day {d}: do you run for sheriff?",
            "vote": "Day {d}: vote to exile a player (your vote is shown after everyone "
            "has voted).",
            "sheriff_vote": "Day {d}: elect the sheriff.",
        }
        if kind in SPEECH_KINDS:
            text = f"Day {view.day}: your {SPEECH_KINDS[kind]}."
            if g.speech == "text":
                return (
                    text + f" Write what you say to everyone (at most {g.max_speech_chars} "
                    "characters), for example: "
                    + ", ".join(
                        f"[{g.move_text(kind, a)}]"
                        for a in view.options
                        if a == g.PASS or a >= g.n + 2 + 2 * g.n
                    )
                )
            return text
        text = ask[kind].format(d=view.day)
        if g.speech == "text":
            text += " Moves: " + ", ".join(f"[{g.move_text(kind, a)}]" for a in view.options)
        return text


@functools.lru_cache(maxsize=1 << 16)
def event_text(event: tuple[Any, ...], seat: int) -> str:
    """One line of a seat's record (empty for events the header already shows)."""
    kind = event[0]

    def who(s: int) -> str:
        return "no one" if s < 0 else "you" if s == seat else f"player {s}"

    if kind == "night":
        return f"Night {event[1]} falls."
    if kind == "protect":
        return f"You protected {who(event[2])}."
    if kind == "wolf_vote":
        target = "no kill" if event[3] < 0 else f"killing {who(event[3])}"
        return f"Wolf {who(event[2])} voted for {target}."
    if kind == "kill":
        return (
            "The wolves kill no one tonight."
            if event[2] < 0
            else (f"The wolves attack {who(event[2])}.")
        )
    if kind == "victim":
        return (
            "No one was attacked tonight."
            if event[2] < 0
            else (f"The wolves attacked {who(event[2])} tonight.")
        )
    if kind == "save":
        return f"You saved {who(event[2])} with your antidote."
    if kind == "poison":
        return f"You poisoned {who(event[2])}."
    if kind == "check":
        return f"Your check: {who(event[2])} is {'a wolf' if event[3] else 'good'}."
    if kind == "dawn":
        dead = event[2]
        return f"Day {event[1]} dawns. " + (
            "Died in the night: " + ", ".join(who(s) for s in dead) + "."
            if dead
            else "No one died in the night."
        )
    if kind == "shot":
        return f"Player {event[1]} is the hunter and shoots {who(event[2])}."
    if kind == "say":
        name = SPEECH_KINDS[event[2]]
        speaker = "You" if event[3] == seat else f"Player {event[3]}"
        return (
            f"{speaker} ({name}) passed." if not event[4] else (f'{speaker} ({name}): "{event[4]}"')
        )
    if kind == "run":
        verb = "run" if event[2] else "do not run"
        return f"{'You' if event[1] == seat else f'Player {event[1]}'}: {verb} for sheriff."
    if kind == "my_vote":
        return f"You voted for {who(event[4])}." if event[4] >= 0 else "You abstained."
    if kind == "votes":
        what = "Exile vote" if event[2] == "vote" else "Sheriff vote"
        cast = [f"{who(v)} -> {who(t)}" if t >= 0 else f"{who(v)} abstained" for v, t in event[4]]
        return f"{what} (round {event[3]}): " + ("; ".join(cast) or "no votes") + "."
    if kind == "tie":
        tied = ", ".join(who(s) for s in event[3])
        return f"Tie between {tied}: " + (
            "they give PK speeches and the others vote again among them."
            if event[2] == "vote"
            else "the others vote again among them."
        )
    if kind == "exile":
        return "No one is exiled." if event[2] < 0 else f"{who(event[2]).capitalize()} exiled."
    if kind == "sheriff":
        return (
            "No sheriff was elected."
            if event[1] < 0
            else (f"{who(event[1]).capitalize()} elected sheriff (an exile vote of 1.5).")
        )
    if kind == "end":
        side = {"wolves": "The wolves win", "village": "The village wins", "draw": "A draw"}
        roles = ", ".join(f"{s}: {r}" for s, r in enumerate(event[2]))
        return f"Game over. {side[event[1]]}. Roles: {roles}."
    return ""


def werewolf(
    board: str = "standard",
    players: int | None = None,
    roles: Mapping[str, int] | None = None,
    witch_self_save: str = "first_night",
    guard_and_save_kills: bool = True,
    sheriff: bool = False,
    speech: str = "claims",
    max_speech_chars: int = 500,
    max_days: int = 10,
) -> WerewolfGame:
    """Werewolf: the 12-seat board (``board="standard"``), a 6-9 seat one
    (``board="small", players=N``) or ``roles`` as counts; see the module docstring."""
    return WerewolfGame(
        board,
        players,
        roles,
        witch_self_save,
        guard_and_save_kills,
        sheriff,
        speech,
        max_speech_chars,
        max_days,
    )
