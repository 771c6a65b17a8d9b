"""Scripted strategies for the donor game and the commons, read from the games'
structured views (``DonorView``, ``CommonsView``), never from text.

Donor game (:mod:`redqueen.games.donor`): :class:`ReciprocityStrategy` is the
parametrised family "give ``give`` of my resources if the recipient gave at least
``threshold`` of theirs in its last act, otherwise give ``otherwise`` (or punish with
``punish`` when the game allows it)". It contains the classic types of indirect
reciprocity: unconditional cooperators and defectors, and image scoring (Nowak & Sigmund
1998: help those who helped). With ``standing=True`` a refusal to help someone who had
itself refused counts as good (Sugden 1986; Leimar & Hammerstein 2001): the recipient's
last act is judged against the threshold, unless its own recipient had defected before.

Commons (:mod:`redqueen.games.commons`): :class:`CommonsStrategy` harvests a fixed share,
or follows the group norm when there is one (``follow_norm``), or copies the median of the
last round's efforts (``conditional``: the conditional cooperators of public goods
experiments, Fischbacher, Gächter & Fehr 2001), and proposes ``propose`` at votes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from statistics import median_low
from typing import Any

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.commons import CommonsGame, CommonsView
from redqueen.games.core import Game
from redqueen.games.donor import DonorGame, DonorView


def _fraction(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise InvalidParameterError(f"{name} must be a fraction in [0, 1]; got {value!r}")
    return float(value)


@dataclass(frozen=True)
class ReciprocityStrategy:
    """One member of the donor-game family (every field a fraction in [0, 1];
    ``punish = 0`` never punishes)."""

    give: float = 1.0
    threshold: float = 0.0
    otherwise: float = 0.0
    punish: float = 0.0
    standing: bool = False

    def __post_init__(self) -> None:
        for name in ("give", "threshold", "otherwise", "punish"):
            _fraction(name, getattr(self, name))

    def label(self) -> str:
        for name, strategy in DONOR_STRATEGIES.items():
            if strategy == self:
                return name
        rule = "standing" if self.standing else "image"
        text = (
            f"give {self.give:.2f} if last >= {self.threshold:.2f} ({rule}) "
            f"else {self.otherwise:.2f}"
        )
        return text + (f", punish {self.punish:.2f}" if self.punish > 0 else "")

    def cooperates_with(self, view: DonorView) -> bool:
        """Whether the recipient in ``view`` is judged good (no history: good)."""
        if not view.trace:
            return True
        last = view.trace[0]
        if last.act.fraction + 1e-9 >= self.threshold and not last.act.punish:
            return True
        if self.standing and last.partner_before is not None:
            before = last.partner_before
            return before.punish or before.fraction + 1e-9 < self.threshold
        return False

    def choose(self, game: DonorGame, view: DonorView) -> int:
        if self.cooperates_with(view):
            return game.give_action(self.give)
        if self.punish > 0 and game.punishment > 0:
            return game.punish_action(self.punish)
        return game.give_action(self.otherwise)


DONOR_STRATEGIES: dict[str, ReciprocityStrategy] = {
    "cooperator": ReciprocityStrategy(give=1.0, threshold=0.0),
    "defector": ReciprocityStrategy(give=0.0, threshold=0.0),
    "half_giver": ReciprocityStrategy(give=0.5, threshold=0.0),
    "image_scorer": ReciprocityStrategy(give=0.5, threshold=0.3),
    "stern_judge": ReciprocityStrategy(give=0.5, threshold=0.3, standing=True),
    "punisher": ReciprocityStrategy(give=0.5, threshold=0.3, punish=0.2),
}
"""Named members of the family (the labels the reports use)."""


def donor_strategy(name: str) -> ReciprocityStrategy:
    if name not in DONOR_STRATEGIES:
        raise UnknownNameError("donor strategy", name, DONOR_STRATEGIES)
    return DONOR_STRATEGIES[name]


class DonorAgent(Agent):
    """Plays a :class:`ReciprocityStrategy` in the donor game."""

    name = "donor_strategy"

    def __init__(self, strategy: ReciprocityStrategy | str = "image_scorer") -> None:
        self.strategy = donor_strategy(strategy) if isinstance(strategy, str) else strategy

    def check_game(self, game: Game) -> None:
        if not isinstance(game, DonorGame):
            raise RedqueenError(f"a donor-game strategy cannot play {game.id}")

    def act(self, obs: Observation) -> int:
        view = obs.information_state_key
        assert isinstance(view, DonorView) and isinstance(obs.game, DonorGame)
        return self.strategy.choose(obs.game, view)

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"strategy": asdict(self.strategy)})


@dataclass(frozen=True)
class CommonsStrategy:
    """A commons harvester: ``effort`` (a fraction of the equal share) unless it
    ``follow_norm`` (harvest the norm when one is set) or is ``conditional`` (harvest the
    lower median of last round's efforts, ``effort`` in the first round); ``propose`` at
    votes."""

    effort: float = 0.2
    propose: float = 0.2
    follow_norm: bool = False
    conditional: bool = False

    def __post_init__(self) -> None:
        _fraction("effort", self.effort)
        _fraction("propose", self.propose)

    def choose(self, game: CommonsGame, view: CommonsView) -> float:
        if view.phase == "vote":
            return self.propose
        if self.follow_norm and view.norm is not None:
            return view.norm
        if self.conditional and view.last_efforts:
            return median_low(view.last_efforts)
        return self.effort


COMMONS_STRATEGIES: dict[str, CommonsStrategy] = {
    "greedy": CommonsStrategy(effort=1.0, propose=1.0),
    "moderate": CommonsStrategy(effort=0.5, propose=0.5),
    "sustainable": CommonsStrategy(effort=0.2, propose=0.2),
    "norm_follower": CommonsStrategy(effort=0.5, propose=0.2, follow_norm=True),
    "conditional": CommonsStrategy(effort=0.2, propose=0.3, conditional=True),
}


def commons_strategy(name: str) -> CommonsStrategy:
    if name not in COMMONS_STRATEGIES:
        raise UnknownNameError("commons strategy", name, COMMONS_STRATEGIES)
    return COMMONS_STRATEGIES[name]


class CommonsAgent(Agent):
    """Plays a :class:`CommonsStrategy`: the effort grid's level nearest its choice."""

    name = "commons_strategy"

    def __init__(self, strategy: CommonsStrategy | str = "sustainable") -> None:
        self.strategy = commons_strategy(strategy) if isinstance(strategy, str) else strategy

    def check_game(self, game: Game) -> None:
        if not isinstance(game, CommonsGame):
            raise RedqueenError(f"a commons strategy cannot play {game.id}")

    def act(self, obs: Observation) -> int:
        view = obs.information_state_key
        game = obs.game
        assert isinstance(view, CommonsView) and isinstance(game, CommonsGame)
        target = self.strategy.choose(game, view)
        return min(range(len(game.efforts)), key=lambda k: abs(game.efforts[k] - target))

    def spec(self) -> AgentSpec:
        params: dict[str, Any] = {"strategy": asdict(self.strategy)}
        return AgentSpec(self.name, params)
