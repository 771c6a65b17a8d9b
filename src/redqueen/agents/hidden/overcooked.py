"""Overcooked teammates: greedy, random and stay, and ProAgent's LLM planner.

All of them plan from the kitchen itself (the :class:`OvercookedView` that is the game's
information-state key) with the same two layers as Overcooked-AI 0.0.1's
``MediumLevelPlanner``:

- **skills** (medium-level actions): ``pickup(onion)``, ``pickup(dish)``,
  ``put_onion_in_pot()``, ``fill_dish_with_soup()``, ``deliver_soup()``,
  ``place_obj_on_counter()`` and ``wait(n)``; each names the cells where it can be done
  (:func:`motion_goals`): a goal is a floor cell and the direction that faces the feature;
- **motion**: a breadth-first search over (cell, orientation) pairs
  (:class:`MotionPlanner`), where a move steps onto floor or only turns the player; the
  cost of a goal is its path length plus one interact. The cheapest goal wins (the first
  on ties), and the agent plays the path's first action, or INTERACT once there.

:class:`GreedyAgent` is 0.0.1's ``GreedyHumanModel``: with empty hands it fetches a dish
when a soup is cooking or ready and the teammate holds no dish, else an onion; an onion
goes into a pot, a dish is filled, a soup delivered; when no goal is reachable it walks
to the closest feature. Like 0.0.1 it plans as if the teammate were not there, and when
neither player's position and orientation changed since its last step it plays a random
move that would change its position (the "unstuck" rule). As in 0.0.1 it cannot finish a
soup alone in forced_coordination, where neither side reaches every feature.
:class:`RandomAgent` moves in a uniformly random direction (0.0.1's ``RandomAgent``: never
stays or interacts); :class:`StayAgent` stays.

:class:`ProAgentLLM` is ProAgent (Zhang et al., AAAI 2024; PKU-Alignment/ProAgent
``src/proagent/proagent.py``): a language model chooses one skill at a time from a scene
description ("Scene t: <Player 0> holds nothing. ... Kitchen states: <Pot 0> has 1
onion; ..."); a **belief** step first asks which skill the teammate is doing, and the
planning prompt shows the inferred intentions beside the teammate's real behaviour; a
**verifier** (:func:`check_skill`) checks the skill's preconditions at every step, and a
failure is explained and fed back before the model plans again (after
``max_replans`` failures the agent waits one step); the motion layer above turns the skill
into moves. Where ours differs: ProAgent asks a second LLM (its "explainer") why a skill
failed; we state the failed precondition ourselves, which is exact and free. The belief is
a separate question (ProAgent's "l3-aip" prompt asks for it in the same reply), so the
skill and the belief are each one answer in the configured format. ``wait(n)`` moves
randomly, as ProAgent's does.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.agents.llm.agent import LLMAgent, LLMMove
from redqueen.agents.llm.backends import Message
from redqueen.agents.llm.context import current_match
from redqueen.agents.llm.parsing import clean_answer, extract_answer
from redqueen.agents.llm.prompts import answer_instruction, legal_moves_block
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.hidden.overcooked import (
    DIRECTIONS,
    DISH,
    INTERACT,
    ITEM_NAMES,
    NOTHING,
    ONION,
    SOUP,
    SOUP_ONIONS,
    STAY,
    Layout,
    OvercookedGame,
    OvercookedView,
    Pos,
    ahead,
)

SKILLS = (
    "pickup(onion)",
    "pickup(dish)",
    "put_onion_in_pot()",
    "fill_dish_with_soup()",
    "deliver_soup()",
    "place_obj_on_counter()",
)
"""ProAgent's skills, besides ``wait(n)``."""
MAX_WAIT = 20
"""ProAgent accepts ``wait(n)`` for 0 < n <= 20."""

Goal = tuple[Pos, int]
"""A floor cell and the direction to face from it."""


def _require_overcooked(game: Game) -> OvercookedGame:
    if not isinstance(game, OvercookedGame):
        raise RedqueenError(f"this agent plays overcooked only; got {game.id}")
    return game


# ---- motion -------------------------------------------------------------------------------


class MotionPlanner:
    """Shortest paths over (cell, orientation) on one layout, cached per start."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._cache: dict[tuple[Goal, Pos | None], dict[Goal, tuple[int, int]]] = {}
        features = (
            layout.pots
            + layout.onion_dispensers
            + layout.dish_dispensers
            + layout.serving
            + layout.counters
        )
        self.approaches: dict[Pos, list[Goal]] = {}
        for cell in features:
            goals = []
            for d, (dx, dy) in enumerate(DIRECTIONS):
                stand = (cell[0] - dx, cell[1] - dy)
                if stand in layout.floor:
                    goals.append((stand, d))
            self.approaches[cell] = goals

    def _search(self, start: Goal, blocked: Pos | None) -> dict[Goal, tuple[int, int]]:
        """Every reachable (cell, orientation): (moves to reach it, first move)."""
        key = (start, blocked)
        found = self._cache.get(key)
        if found is not None:
            return found
        floor = self.layout.floor
        found = {start: (0, STAY)}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            cost, first = found[node]
            for a in range(4):
                target = ahead(node[0], a)
                nxt = (target, a) if target in floor and target != blocked else (node[0], a)
                if nxt not in found:
                    found[nxt] = (cost + 1, a if node == start else first)
                    queue.append(nxt)
        self._cache[key] = found
        return found

    def best(
        self, start: Goal, goals: Sequence[Goal], blocked: Pos | None = None
    ) -> tuple[int, Goal] | None:
        """(first action, goal) of the cheapest reachable goal (path + 1 interact; at
        the goal, INTERACT), or None when no goal is reachable."""
        reach = self._search(start, blocked)
        best: tuple[int, int, Goal] | None = None
        for goal in goals:
            if goal not in reach:
                continue
            cost, first = reach[goal]
            action = INTERACT if cost == 0 else first
            if best is None or cost < best[0]:
                best = (cost, action, goal)
        return None if best is None else (best[1], best[2])

    def reachable(self, start: Goal, goals: Sequence[Goal]) -> list[Goal]:
        reach = self._search(start, None)
        return [g for g in goals if g in reach]

    def goals_at(self, cells: Sequence[Pos]) -> list[Goal]:
        return [g for c in cells for g in self.approaches.get(c, [])]


_PLANNERS: dict[str, MotionPlanner] = {}


def planner_for(layout: Layout) -> MotionPlanner:
    """The (cached) planner of a layout."""
    if layout.name not in _PLANNERS:
        _PLANNERS[layout.name] = MotionPlanner(layout)
    return _PLANNERS[layout.name]


# ---- the kitchen, read for skills -----------------------------------------------------------


def _pots(view: OvercookedView, layout: Layout, cook_time: int) -> dict[str, list[Pos]]:
    """Pots by state: empty, partial (1-2 onions), cooking, ready."""
    held = dict(view.pots)
    out: dict[str, list[Pos]] = {"empty": [], "partial": [], "cooking": [], "ready": []}
    for cell in layout.pots:
        pot = held.get(cell)
        if pot is None:
            out["empty"].append(cell)
        elif pot.onions < SOUP_ONIONS:
            out["partial"].append(cell)
        elif pot.cooked < cook_time:
            out["cooking"].append(cell)
        else:
            out["ready"].append(cell)
    return out


def _counter_cells(view: OvercookedView, item: int) -> list[Pos]:
    return [cell for cell, it in view.counters if it == item]


def shared_counters(layout: Layout, view: OvercookedView, seat: int) -> list[Pos]:
    """Counters both players can reach (ProAgent's ``get_intersect_counter``)."""
    planner = planner_for(layout)
    out = []
    for cell in layout.counters:
        goals = planner.approaches[cell]
        if all(planner.reachable((view.positions[s], view.orientations[s]), goals) for s in (0, 1)):
            out.append(cell)
    return out


def motion_goals(game: OvercookedGame, view: OvercookedView, seat: int, skill: str) -> list[Goal]:
    """Where ``skill`` can be done now (0.0.1's ``MediumLevelActionManager``), reachable or
    not; ``wait(n)`` has none."""
    layout = game.layout
    planner = planner_for(layout)
    pots = _pots(view, layout, game.cook_time)
    if skill == "pickup(onion)":
        cells = list(layout.onion_dispensers) + _counter_cells(view, ONION)
    elif skill == "pickup(dish)":
        cells = list(layout.dish_dispensers) + _counter_cells(view, DISH)
    elif skill == "put_onion_in_pot()":
        cells = pots["empty"] + pots["partial"]
    elif skill == "fill_dish_with_soup()":
        cells = pots["ready"] + pots["cooking"]
    elif skill == "deliver_soup()":
        cells = list(layout.serving)
    elif skill == "place_obj_on_counter()":
        occupied = {c for c, _ in view.counters}
        empty = [c for c in layout.counters if c not in occupied]
        shared = [c for c in shared_counters(layout, view, seat) if c not in occupied]
        start = (view.positions[seat], view.orientations[seat])
        cells = shared if planner.reachable(start, planner.goals_at(shared)) else empty
    else:
        return []
    return planner.goals_at(cells)


def check_skill(game: OvercookedGame, view: OvercookedView, seat: int, skill: str) -> str | None:
    """ProAgent's verifier: None when ``skill``'s preconditions hold for ``seat`` now, else
    why they do not, in words fed back to the planner."""
    held = view.held[seat]
    holding = "nothing" if held == NOTHING else f"a {ITEM_NAMES[held]}"
    who = f"Player {seat}"
    wait = re.fullmatch(r"wait\((\d+)\)", skill)
    if wait is not None:
        n = int(wait.group(1))
        if not 0 < n <= MAX_WAIT:
            return f"wait(n) needs 0 < n <= {MAX_WAIT}; {skill} is outside that range."
        return None
    if skill not in SKILLS:
        return f"{skill!r} is not a skill; the skills are {', '.join(SKILLS)} and wait(n)."
    pots = _pots(view, game.layout, game.cook_time)
    if skill in ("pickup(onion)", "pickup(dish)") and held != NOTHING:
        return (
            f"{who} failed at {skill} because {who} is holding {holding}; a player can "
            "pick up an object only with empty hands (place_obj_on_counter() frees them)."
        )
    if skill == "put_onion_in_pot()":
        if held != ONION:
            return f"{who} failed at {skill} because {who} holds {holding}, not an onion."
        if not pots["empty"] + pots["partial"]:
            return (
                f"{who} failed at {skill} because every pot is full (3 onions); wait for a "
                "soup to be taken out, or place the onion on a counter."
            )
    if skill == "fill_dish_with_soup()":
        if held != DISH:
            return (
                f"{who} failed at {skill} because {who} holds {holding}; filling a soup "
                "needs a dish in hand (pickup(dish) first)."
            )
        if not pots["ready"] + pots["cooking"]:
            return (
                f"{who} failed at {skill} because no pot is cooking or has a ready soup; "
                "a pot cooks once it holds 3 onions."
            )
    if skill == "deliver_soup()" and held != SOUP:
        return (
            f"{who} failed at {skill} because {who} holds {holding}; only a dish with soup "
            "can be delivered."
        )
    if skill == "place_obj_on_counter()":
        if held == NOTHING:
            return f"{who} failed at {skill} because {who} holds nothing to place."
        if len(view.counters) == len(game.layout.counters):
            return f"{who} failed at {skill} because every counter is occupied."
    planner = planner_for(game.layout)
    start = (view.positions[seat], view.orientations[seat])
    if not planner.reachable(start, motion_goals(game, view, seat, skill)):
        where = {
            "pickup(onion)": "an onion dispenser or an onion on a counter",
            "pickup(dish)": "a dish dispenser or a dish on a counter",
            "put_onion_in_pot()": "a pot that is not full",
            "fill_dish_with_soup()": "a pot with a cooking or ready soup",
            "deliver_soup()": "a serving window",
            "place_obj_on_counter()": "an empty counter",
        }[skill]
        return f"{who} failed at {skill} because {who} cannot reach {where} from here."
    return None


def skill_done(view: OvercookedView, seat: int, skill: str) -> bool:
    """Whether ``skill`` is finished (ProAgent's ``check_current_ml_action_done``)."""
    held = view.held[seat]
    if skill == "pickup(onion)":
        return held == ONION
    if skill == "pickup(dish)":
        return held == DISH
    if skill == "fill_dish_with_soup()":
        return held == SOUP
    if skill in ("put_onion_in_pot()", "place_obj_on_counter()", "deliver_soup()"):
        return held == NOTHING
    return False


def unstuck_moves(layout: Layout, view: OvercookedView, seat: int) -> list[int]:
    """The moves that change ``seat``'s cell if the teammate stays (0.0.1's unstuck rule)."""
    other = view.positions[1 - seat]
    out = []
    for a in range(4):
        target = ahead(view.positions[seat], a)
        if target in layout.floor and target != other:
            out.append(a)
    return out


def move_towards(
    game: OvercookedGame, view: OvercookedView, seat: int, goals: Sequence[Goal]
) -> int | None:
    """The first action towards the cheapest reachable goal, or None if none is."""
    planner = planner_for(game.layout)
    found = planner.best((view.positions[seat], view.orientations[seat]), goals)
    return None if found is None else found[0]


# ---- scripted teammates ---------------------------------------------------------------------


class StayAgent(Agent):
    """Always stays (0.0.1's ``StayAgent``)."""

    name = "overcooked_stay"

    def check_game(self, game: Game) -> None:
        _require_overcooked(game)

    def act(self, obs: Observation) -> int:
        return STAY


class RandomAgent(Agent):
    """Moves up, down, right or left uniformly at random (0.0.1's ``RandomAgent``: it
    never stays or interacts)."""

    name = "overcooked_random"

    def check_game(self, game: Game) -> None:
        _require_overcooked(game)

    def act(self, obs: Observation) -> int:
        return int(obs.rng.integers(4))


def greedy_skill(game: OvercookedGame, view: OvercookedView, seat: int) -> str:
    """The skill 0.0.1's ``GreedyHumanModel.ml_action`` chooses."""
    held = view.held[seat]
    if held == ONION:
        return "put_onion_in_pot()"
    if held == DISH:
        return "fill_dish_with_soup()"
    if held == SOUP:
        return "deliver_soup()"
    pots = _pots(view, game.layout, game.cook_time)
    if (pots["ready"] or pots["cooking"]) and view.held[1 - seat] != DISH:
        return "pickup(dish)"
    return "pickup(onion)"


class GreedyAgent(Agent):
    """0.0.1's ``GreedyHumanModel`` (see the module docstring)."""

    name = "overcooked_greedy"

    def __init__(self) -> None:
        self._last: dict[int, tuple[int, tuple[Pos, Pos], tuple[int, int]]] = {}

    def check_game(self, game: Game) -> None:
        _require_overcooked(game)

    def reset(self) -> None:
        self._last = {}

    def act(self, obs: Observation) -> int:
        game = _require_overcooked(obs.game)
        view: OvercookedView = obs.information_state_key  # type: ignore[assignment]
        seat = obs.player
        planner = planner_for(game.layout)
        start = (view.positions[seat], view.orientations[seat])
        goals = planner.reachable(
            start, motion_goals(game, view, seat, greedy_skill(game, view, seat))
        )
        if not goals:
            layout = game.layout
            features = (
                layout.onion_dispensers + layout.pots + layout.serving + layout.dish_dispensers
            )
            goals = planner.reachable(start, planner.goals_at(features))
        found = planner.best(start, goals)
        action = STAY if found is None else found[0]
        last = self._last.get(seat)
        now = (view.time, view.positions, view.orientations)
        if last is not None and last[0] == view.time - 1 and last[1:] == now[1:]:
            moves = unstuck_moves(game.layout, view, seat)
            if moves:
                action = moves[int(obs.rng.integers(len(moves)))]
        self._last[seat] = now
        return action


# ---- ProAgent -------------------------------------------------------------------------------


PROAGENT_INSTRUCTIONS = """\
Overcooked: two players work together as a team to get the highest possible score.
- To score, the team makes soup, fills it into a dish and delivers it. Each delivered soup \
scores 20 points; the dish disappears with it.
- Recipe: THREE onions in a <Pot>. Pick up onions one by one and put them into a <Pot>. A \
<Pot> starts cooking by itself when it holds 3 onions, and the soup is ready 20 time steps \
later. While it cooks, a player should pickup(dish) and then fill_dish_with_soup().
- Each player holds one item at a time. To empty your hands, use place_obj_on_counter().

Skills (you can use only these):
- pickup(onion): needs empty hands.
- pickup(dish): needs empty hands; useful only when a soup is cooking or ready.
- put_onion_in_pot(): needs an onion in hand and a pot that is not full.
- fill_dish_with_soup(): needs a dish in hand and a pot that is cooking or ready.
- deliver_soup(): needs a dish with soup in hand. Deliver as soon as you hold a soup.
- place_obj_on_counter(): needs something in hand.
- wait(n): do nothing useful for n time steps (1 <= n <= 20).

You control <Player {seat}> and cooperate with <Player {other}>, whom you cannot talk to. \
You do not choose moves: plan ONE skill for <Player {seat}> now, and a planner walks to \
where it can be done."""


def proagent_layout_text(layout: Layout) -> str:
    """ProAgent's ``generate_layout_prompt``."""
    parts = [f"<Onion Dispenser {k}>" for k in range(len(layout.onion_dispensers))]
    parts += [f"<Dish Dispenser {k}>" for k in range(len(layout.dish_dispensers))]
    parts += [f"<Serving Loc {k}>" for k in range(len(layout.serving))]
    parts += [f"<Pot {k}>" for k in range(len(layout.pots))]
    return "Here's the layout of the kitchen: " + ", ".join(parts) + "."


def proagent_scene(game: OvercookedGame, view: OvercookedView, seat: int) -> str:
    """ProAgent's ``generate_state_prompt``: who holds what and each pot's state (and, in
    forced_coordination, the shared counters instead of the teammate's hands)."""
    layout = game.layout

    def holds(s: int, own: bool) -> str:
        item = view.held[s]
        if item == SOUP:
            return "a dish with soup" + (" and needs to deliver soup" if own else "")
        return "nothing" if item == NOTHING else f"one {ITEM_NAMES[item]}"

    parts = [f"Scene {view.time}: <Player {seat}> holds {holds(seat, True)}."]
    forced = layout.name == "forced_coordination"
    if not forced:
        parts.append(f"<Player {1 - seat}> holds {holds(1 - seat, False)}.")
    pots = dict(view.pots)
    states = []
    for k, cell in enumerate(layout.pots):
        pot = pots.get(cell)
        if pot is None:
            states.append(f"<Pot {k}> is empty")
        elif pot.onions < SOUP_ONIONS:
            states.append(f"<Pot {k}> has {pot.onions} onion{'s' if pot.onions > 1 else ''}")
        elif pot.cooked < game.cook_time:
            left = game.cook_time - pot.cooked
            states.append(
                f"<Pot {k}> starts cooking, the soup will be ready after {left} timesteps"
            )
        else:
            states.append(f"<Pot {k}> has already cooked the soup")
    text = " ".join(parts) + " Kitchen states: " + "; ".join(states) + "."
    if forced:
        shared = shared_counters(layout, view, seat)
        on = dict(view.counters)
        counts = {
            name: sum(on.get(c) == item for c in shared)
            for item, name in ((ONION, "onion"), (DISH, "dish"))
        }
        text += f" {len(shared)} counters can be visited by <Player {seat}>."
        text += "".join(
            f" {n} counters have {name}." if n else f" No counters have {name}."
            for name, n in counts.items()
        )
    return proagent_layout_text(layout) + "\n" + text


def parse_skill(answer: str) -> str | None:
    """The skill named in an answer, read leniently as ProAgent's ``parse_ml_action``
    reads it (``pick`` + ``onion`` is ``pickup(onion)``, ``wait`` alone is ``wait(1)``), or
    None when it names none."""
    text = clean_answer(answer).lower()
    wait = re.search(r"wait\s*\(?\s*(-?\d+)?\s*\)?", text)
    if "place" in text:
        return "place_obj_on_counter()"
    if "pick" in text:
        if "onion" in text:
            return "pickup(onion)"
        if "dish" in text:
            return "pickup(dish)"
        return None
    if "put" in text and "onion" in text:
        return "put_onion_in_pot()"
    if "fill" in text:
        return "fill_dish_with_soup()"
    if "deliver" in text:
        return "deliver_soup()"
    if wait is not None:
        return f"wait({wait.group(1) or 1})"
    return None


@dataclass
class SkillRecord:
    """One skill decision of one seat: what was asked, chosen and believed."""

    seat: int
    time: int
    skill: str | None
    """The skill carried out (None: no valid skill, the seat waited one step)."""
    failures: list[str] = field(default_factory=list)
    """The verifier's explanations of the skills refused before it."""
    unreadable: int = 0
    """Replies that named no skill."""
    belief: str | None = None
    """The teammate's skill the model inferred first (None: no belief asked or read)."""
    teammate_next: str | None = None
    """The teammate's next completed skill (filled in later; for belief accuracy)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Memory:
    """One seat's plan in one match."""

    skill: str | None = None
    wait_left: int = 0
    dialogue: list[Message] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    intentions: dict[int, str] = field(default_factory=dict)
    behaviours: dict[int, str] = field(default_factory=dict)
    last: tuple[int, tuple[Pos, Pos], tuple[int, int]] | None = None
    records: list[SkillRecord] = field(default_factory=list)


class ProAgentLLM(LLMAgent):
    """ProAgent's LLM teammate (see the module docstring). Takes every ``LLMAgent``
    parameter, and: ``belief`` (ask for the teammate's intention before each plan),
    ``history`` (the K most recent exchanges kept in the conversation; ProAgent's
    ``recent_k``, 0 or 1 in the paper) and ``max_replans`` (plans the verifier may refuse
    before the agent waits a step)."""

    name = "proagent"

    def __init__(
        self, *, belief: bool = True, history: int = 1, max_replans: int = 3, **params: Any
    ) -> None:
        if not isinstance(belief, bool):
            raise InvalidParameterError(f"belief must be true or false, got {belief!r}")
        if isinstance(history, bool) or not isinstance(history, int) or not 0 <= history <= 20:
            raise InvalidParameterError(f"history must be an integer in [0, 20], got {history!r}")
        if (
            isinstance(max_replans, bool)
            or not isinstance(max_replans, int)
            or not 0 <= max_replans <= 10
        ):
            raise InvalidParameterError(
                f"max_replans must be an integer in [0, 10], got {max_replans!r}"
            )
        super().__init__(**params)
        self.belief = belief
        self.history = history
        self.max_replans = max_replans
        self._memory: dict[tuple[str | None, int], _Memory] = {}

    def spec(self) -> AgentSpec:
        params = dict(super().spec().params)
        params.update(belief=self.belief, history=self.history, max_replans=self.max_replans)
        return AgentSpec(self.name, params)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_memory"] = {}
        return state

    def check_game(self, game: Game) -> None:
        _require_overcooked(game)
        super().check_game(game)

    def pop_records(self, match_key: str | None = None) -> list[SkillRecord]:
        """The skill decisions of ``match_key`` (both seats), forgotten afterwards."""
        out: list[SkillRecord] = []
        for key in [k for k in self._memory if k[0] == match_key]:
            out.extend(self._memory.pop(key).records)
        return sorted(out, key=lambda r: (r.time, r.seat))

    # ---- one step --------------------------------------------------------------------

    def _mem(self, obs: Observation, view: OvercookedView) -> _Memory:
        context = current_match()
        key = (context.match_key if context is not None else None, obs.player)
        mem = self._memory.get(key)
        if mem is None or view.time == 0:
            records = [] if mem is None or view.time == 0 else mem.records
            mem = self._memory[key] = _Memory(records=records)
        return mem

    async def aact(self, obs: Observation) -> int | str:
        game = _require_overcooked(obs.game)
        view: OvercookedView = obs.information_state_key  # type: ignore[assignment]
        seat = obs.player
        mem = self._mem(obs, view)
        mate_done = view.last_skills[1 - seat]
        if mate_done is not None and view.time > 0:
            mem.behaviours[view.time - 1] = mate_done
            for record in mem.records:
                if record.teammate_next is None and record.time < view.time:
                    record.teammate_next = mate_done
        invalid = 0
        if mem.skill is not None:
            if mem.skill.startswith("wait") and mem.wait_left == 0:
                mem.skill = None
            elif skill_done(view, seat, mem.skill):
                mem.feedback.append(f"Player {seat} succeeded at {mem.skill}.")
                mem.skill = None
            else:
                problem = check_skill(game, view, seat, mem.skill)
                if problem is not None:
                    mem.feedback.append(problem)
                    mem.skill = None
        if mem.skill is None:
            invalid = await self._plan(obs, game, view, mem)
        action = self._execute(obs, game, view, mem)
        return LLMMove(action, invalid_moves=invalid) if invalid else action

    def _execute(
        self, obs: Observation, game: OvercookedGame, view: OvercookedView, mem: _Memory
    ) -> int:
        seat = obs.player
        assert mem.skill is not None
        if mem.skill.startswith("wait"):
            mem.wait_left -= 1
            moves = [STAY, *unstuck_moves(game.layout, view, seat)]
            action = moves[int(obs.rng.integers(len(moves)))]
        else:
            goals = motion_goals(game, view, seat, mem.skill)
            found = move_towards(game, view, seat, goals)
            action = STAY if found is None else found
            now = (view.time, view.positions, view.orientations)
            last = mem.last
            if (
                action != INTERACT
                and last is not None
                and last[0] == view.time - 1
                and last[1:] == now[1:]
            ):
                moves = [STAY, *unstuck_moves(game.layout, view, seat)]
                action = moves[int(obs.rng.integers(len(moves)))]
        mem.last = (view.time, view.positions, view.orientations)
        return action

    async def _plan(
        self, obs: Observation, game: OvercookedGame, view: OvercookedView, mem: _Memory
    ) -> int:
        """Ask for a skill until the verifier accepts one; returns the unreadable replies."""
        seat = obs.player
        scene = proagent_scene(game, view, seat)
        record = SkillRecord(seat=seat, time=view.time, skill=None)
        seed = int(obs.rng.integers(2**31))
        if self.belief:
            record.belief = await self._believe(obs, scene, seed)
            if record.belief is not None:
                mem.intentions[view.time] = record.belief
        system: Message = {
            "role": "system",
            "content": PROAGENT_INSTRUCTIONS.format(seat=seat, other=1 - seat)
            + "\n\n"
            + answer_instruction(self.answer_format, SKILLS[0], subject="your skill"),
        }
        choices = [*SKILLS, "wait(1)"]
        skill: str | None = None
        for attempt in range(self.max_replans + 1):
            parts = []
            if mem.feedback:
                parts.append("\n".join(mem.feedback[-3:]))
            if self.belief:
                parts.append(self._belief_text(seat, mem))
            parts += [
                scene,
                f"Plan ONE skill for <Player {seat}> now.",
                legal_moves_block(choices),
                answer_instruction(self.answer_format, choices[0], subject="your skill"),
            ]
            question: Message = {"role": "user", "content": "\n\n".join(parts)}
            messages = (
                [system, *mem.dialogue[-2 * self.history :], question]
                if self.history
                else [
                    system,
                    question,
                ]
            )
            reply = await self.chat(
                messages, seat=seat, seed=seed + 1 + attempt, moves=list(enumerate(choices))
            )
            answer = extract_answer(reply, self.answer_format)
            chosen = None if answer is None else parse_skill(answer)
            mem.feedback = []
            if chosen is None:
                record.unreadable += 1
                mem.feedback.append(
                    "Your reply named no skill. Answer with exactly one of the skills listed."
                )
                continue
            problem = check_skill(game, view, seat, chosen)
            if problem is None:
                skill = chosen
                mem.dialogue += [question, {"role": "assistant", "content": chosen}]
                break
            record.failures.append(problem)
            mem.feedback.append(problem)
        if skill is None:
            skill = "wait(1)"
        else:
            record.skill = skill
        mem.skill = skill
        wait = re.fullmatch(r"wait\((\d+)\)", skill)
        mem.wait_left = int(wait.group(1)) if wait else 0
        mem.records.append(record)
        return record.unreadable

    def _belief_text(self, seat: int, mem: _Memory) -> str:
        other = 1 - seat
        intentions = dict(sorted(mem.intentions.items())[-5:])
        behaviours = dict(sorted(mem.behaviours.items())[-5:])
        return (
            f"All <Player {seat}> inferred intentions about <Player {other}>: {intentions}.\n"
            f"<Player {other}> real behaviors: {behaviours}."
        )

    async def _believe(self, obs: Observation, scene: str, seed: int) -> str | None:
        seat = obs.player
        choices = [*SKILLS, "wait(1)"]
        question = "\n\n".join(
            [
                scene,
                f"Before you plan: which skill do you think <Player {1 - seat}> is doing now?",
                legal_moves_block(choices),
                answer_instruction(self.answer_format, choices[0], subject="your belief"),
            ]
        )
        messages: list[Message] = [
            {
                "role": "system",
                "content": PROAGENT_INSTRUCTIONS.format(seat=seat, other=1 - seat)
                + "\n\n"
                + answer_instruction(self.answer_format, choices[0], subject="your belief"),
            },
            {"role": "user", "content": question},
        ]
        reply = await self.chat(messages, seat=seat, seed=seed, moves=list(enumerate(choices)))
        answer = extract_answer(reply, self.answer_format)
        return None if answer is None else parse_skill(answer)


def belief_accuracy(records: Sequence[SkillRecord]) -> tuple[int, int]:
    """``(hits, scored)``: beliefs that named the teammate's next completed skill, among
    those with both a belief and a later teammate skill."""
    scored = [r for r in records if r.belief is not None and r.teammate_next is not None]
    hits = sum(_same_skill(r.belief, r.teammate_next) for r in scored)
    return hits, len(scored)


def _same_skill(belief: str | None, done: str | None) -> bool:
    if belief is None or done is None:
        return False
    return belief.removesuffix("()") == done.removesuffix("()")


def skill_counts(records: Sequence[SkillRecord]) -> dict[str, int]:
    """How often each skill was chosen (``none``: no valid skill)."""
    out: dict[str, int] = {}
    for r in records:
        name = r.skill or "none"
        out[name] = out.get(name, 0) + 1
    return out


def teammate(kind: str) -> Agent:
    """A scripted teammate by name: ``greedy``, ``random`` or ``stay``."""
    table: dict[str, type[Agent]] = {
        "greedy": GreedyAgent,
        "random": RandomAgent,
        "stay": StayAgent,
    }
    if kind not in table:
        raise UnknownNameError("overcooked teammate", kind, table)
    return table[kind]()
