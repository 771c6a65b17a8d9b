"""Scripted agents for GLEE's three families (:mod:`redqueen.games.glee`): baselines that
an LLM player can be compared against, and the players of the ``glee`` recipe.

Every strategy is a small frozen dataclass that reads the game's parameters and the
information-state key (never the text view) and returns an action id. Named members
(:data:`GLEE_STRATEGIES`) are played by :class:`GleeAgent`, registered as the agent kind
``"glee"`` (``glee:name=rubinstein``).

Bargaining (amounts are offered to the other player, on the game's grid):

- :class:`RubinsteinBargainer`: the subgame-perfect equilibrium of Rubinstein (1982),
  "Perfect Equilibrium in a Bargaining Model", Econometrica 50(1). With discount factors
  ``d_i`` (the proposer) and ``d_j``, the proposer keeps ``(1 - d_j) / (1 - d_i d_j)`` of
  the money and the responder accepts any offer worth at least what it would keep as the
  next proposer, discounted once. ``horizon=True`` solves GLEE's finite game by backward
  induction instead (the last proposer keeps everything; Ståhl 1972). Under incomplete
  information the agent assumes the other's discount factor equals its own.
- :class:`FixedShareBargainer`: keeps a fixed share (optionally jittered uniformly, a
  stochastic player) and accepts any offer of at least ``accept`` of the money: the
  "fair split" and "greedy" heuristics of GLEE's baselines.
- :class:`SplitDifferenceBargainer`: starts by keeping ``start``; each later proposal
  keeps the midpoint of its last demand and the share the other last offered it (the
  classic "split the difference" concession); accepts an offer worth at least its next
  demand discounted by one round.
- :class:`HardlinerBargainer`: always offers the same amount and rejects everything.

Negotiation (prices; a player's own outside value ``w`` is the only thing it uses, so it
plays the same under incomplete information):

- :class:`LinearConcessionNegotiator`: the time-dependent "linear" tactic of Faratin,
  Sierra & Jennings (1998), "Negotiation decision functions for autonomous agents": the
  seller asks ``w (1 + markup)`` at its first proposal and concedes linearly to
  ``w (1 + final_markup)`` at its last one (the buyer bids ``w (1 - markup)`` up to
  ``w (1 - final_markup)``). It accepts a price that beats its outside option by at least
  ``accept_gain * w``; otherwise it rejects, or, with ``walk_below``, deals with John when
  the price is worse than its outside option by more than ``walk_below * w``.

Persuasion (Kamenica & Gentzkow 2011, "Bayesian Persuasion", AER 101(6)):

- :class:`TruthfulSeller` recommends exactly the high-quality products;
  :class:`AlwaysRecommendSeller` recommends everything; :class:`PersuasiveSeller` plays
  Kamenica and Gentzkow's optimal signal: it recommends every high-quality product and a
  low-quality one with the largest probability ``q`` that still leaves a buyer who
  believes the seller willing to buy, ``q = p (v - 1) / ((1 - c)(1 - p))`` (capped at 1).
- :class:`AlwaysBuyer`, :class:`FollowingBuyer` (buys when recommended) and
  :class:`LearningBuyer`: learns the seller's honesty from revealed qualities, with a
  Laplace estimate of P(high | recommended) (or, a myopic buyer, P(high | sold) from the
  seller's record), and buys a recommended product when its expected worth is at least
  the price.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from redqueen.agents.core import Agent, AgentSpec, Observation
from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game
from redqueen.games.glee import (
    ACCEPT,
    BUY,
    DISCOURAGE,
    JOHN,
    PASS,
    RECOMMEND,
    REJECT,
    BargainingGame,
    NegotiationGame,
    PersuasionGame,
)

Family = Literal["bargaining", "negotiation", "persuasion"]
FAMILIES: tuple[Family, ...] = ("bargaining", "negotiation", "persuasion")
_EPS = 1e-9


def _fraction(name: str, value: float, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= high:
        raise InvalidParameterError(f"{name} must be a number in [0, {high:g}]; got {value!r}")
    return float(value)


class GleeStrategy(Protocol):
    """A scripted GLEE player: its family, the seat it can play (persuasion: 0 the
    seller, 1 the buyer; None: either) and its choice from the information-state key."""

    @property
    def family(self) -> Family: ...

    @property
    def role(self) -> int | None: ...

    def choose(self, game: Any, key: Hashable, player: int, rng: np.random.Generator) -> int: ...


# ---- bargaining ---------------------------------------------------------------------


@dataclass(frozen=True)
class BargainView:
    """A bargaining information-state key, read: offers so far (units), and whether the
    player to move proposes."""

    offers: tuple[int, ...]
    proposing: bool

    @classmethod
    def of(cls, key: Hashable) -> BargainView:
        assert isinstance(key, tuple)
        offers, _accepted, moves, _messages = key
        return cls(tuple(offers), moves % 2 == 0)

    @property
    def round(self) -> int:
        """The current round, from 1."""
        return len(self.offers) + (1 if self.proposing else 0)


def rubinstein_share(delta_proposer: float, delta_responder: float) -> float:
    """The proposer's share in Rubinstein's infinite-horizon equilibrium,
    ``(1 - d_j) / (1 - d_i d_j)`` (1/2 when both are patient, the limit at d = 1)."""
    denominator = 1.0 - delta_proposer * delta_responder
    if denominator < _EPS:
        return 0.5
    return (1.0 - delta_responder) / denominator


def finite_horizon_share(deltas: tuple[float, float], round_: int, max_rounds: int) -> float:
    """The share the proposer of ``round_`` keeps in the subgame-perfect equilibrium of
    the ``max_rounds``-round game (backward induction: the last proposer keeps all)."""
    share = 1.0  # the proposer of the last round
    for r in range(max_rounds - 1, round_ - 1, -1):
        responder = r % 2  # the proposer of round r + 1, who responds in round r
        share = 1.0 - deltas[responder] * share
    return share


def _offer_units(game: BargainingGame, amount: float) -> int:
    """The smallest grid offer worth at least ``amount`` (capped at the money)."""
    return min(game.units, max(0, math.ceil(amount / game.step - _EPS)))


def _offered(game: BargainingGame, view: BargainView) -> float:
    """The amount offered to the responder in the current round."""
    return view.offers[-1] * game.step


def _believed_deltas(game: BargainingGame, player: int) -> tuple[float, float]:
    if game.complete_information:
        return game.deltas
    return (game.deltas[player], game.deltas[player])


@dataclass(frozen=True)
class RubinsteinBargainer:
    """Rubinstein's subgame-perfect proposer and responder (finite horizon with
    ``horizon=True``)."""

    horizon: bool = False
    family: Family = "bargaining"
    role: int | None = None

    def keep_share(self, game: BargainingGame, player: int, round_: int) -> float:
        """The share of the money the proposer of ``round_`` keeps in equilibrium."""
        deltas = _believed_deltas(game, player)
        proposer = (round_ - 1) % 2
        if self.horizon:
            return finite_horizon_share(deltas, round_, game.max_rounds)
        return rubinstein_share(deltas[proposer], deltas[1 - proposer])

    def choose(
        self, game: BargainingGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        view = BargainView.of(key)
        r = view.round
        if view.proposing:
            return _offer_units(game, game.money * (1.0 - self.keep_share(game, player, r)))
        if r >= game.max_rounds:
            return ACCEPT  # nothing better follows the last round
        own = _believed_deltas(game, player)[player]
        reservation = own * self.keep_share(game, player, r + 1) * game.money
        return ACCEPT if _offered(game, view) + _EPS * game.money >= reservation else REJECT


@dataclass(frozen=True)
class FixedShareBargainer:
    """Keeps ``keep`` (+- uniform ``jitter``) of the money when proposing; accepts an
    offer of at least ``accept`` of the money."""

    keep: float = 0.5
    accept: float = 0.5
    jitter: float = 0.0
    family: Family = "bargaining"
    role: int | None = None

    def __post_init__(self) -> None:
        _fraction("keep", self.keep)
        _fraction("accept", self.accept)
        _fraction("jitter", self.jitter, 0.5)

    def choose(
        self, game: BargainingGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        view = BargainView.of(key)
        if view.proposing:
            keep = self.keep
            if self.jitter > 0:
                keep = min(1.0, max(0.0, keep + float(rng.uniform(-self.jitter, self.jitter))))
            return _offer_units(game, game.money * (1.0 - keep))
        ok = _offered(game, view) + _EPS * game.money >= self.accept * game.money
        return ACCEPT if ok else REJECT


@dataclass(frozen=True)
class SplitDifferenceBargainer:
    """Keeps ``start`` first, then the midpoint of its last demand and the share it was
    last offered; accepts an offer worth at least its next demand discounted once."""

    start: float = 0.8
    family: Family = "bargaining"
    role: int | None = None

    def __post_init__(self) -> None:
        _fraction("start", self.start)

    def demand(self, game: BargainingGame, player: int, offers: tuple[int, ...]) -> float:
        """The share it keeps at its next proposal, given the offers so far."""
        share = self.start
        for k, units in enumerate(offers, start=1):
            if (k - 1) % 2 != player:  # the other proposed: `units` were offered to me
                share = (share + units * game.step / game.money) / 2.0
            else:  # my own proposal kept `share` (rounded to the grid)
                share = 1.0 - units * game.step / game.money
        return share

    def choose(
        self, game: BargainingGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        view = BargainView.of(key)
        share = self.demand(game, player, view.offers)
        if view.proposing:
            return _offer_units(game, game.money * (1.0 - share))
        if view.round >= game.max_rounds:
            return ACCEPT
        worth = game.deltas[player] * share * game.money
        return ACCEPT if _offered(game, view) + _EPS * game.money >= worth else REJECT


@dataclass(frozen=True)
class HardlinerBargainer:
    """Offers ``offer`` of the money (default nothing) and rejects every offer."""

    offer: float = 0.0
    family: Family = "bargaining"
    role: int | None = None

    def __post_init__(self) -> None:
        _fraction("offer", self.offer)

    def choose(
        self, game: BargainingGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        if BargainView.of(key).proposing:
            return _offer_units(game, game.money * self.offer)
        return REJECT


# ---- negotiation --------------------------------------------------------------------


@dataclass(frozen=True)
class LinearConcessionNegotiator:
    """Asks (bids) ``markup`` above (below) its outside value, conceding linearly to
    ``final_markup`` by its last proposal; accepts a gain of ``accept_gain`` of its value;
    deals with John when a price loses more than ``walk_below`` of its value."""

    markup: float = 0.3
    final_markup: float = 0.0
    accept_gain: float = 0.0
    walk_below: float | None = None
    family: Family = "negotiation"
    role: int | None = None

    def __post_init__(self) -> None:
        _fraction("markup", self.markup)
        _fraction("final_markup", self.final_markup)
        _fraction("accept_gain", self.accept_gain)
        if self.walk_below is not None:
            _fraction("walk_below", self.walk_below)

    def target(self, game: NegotiationGame, player: int, round_: int) -> float:
        """The price it names in ``round_`` (one of its own rounds)."""
        own_rounds = [r for r in range(1, game.max_rounds + 1) if (r - 1) % 2 == player]
        k = own_rounds.index(round_)
        t = k / (len(own_rounds) - 1) if len(own_rounds) > 1 else 1.0
        margin = self.markup + (self.final_markup - self.markup) * t
        value = game.values[player]
        return value * (1.0 + margin) if player == 0 else value * (1.0 - margin)

    def choose(
        self, game: NegotiationGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        assert isinstance(key, tuple)
        prices, _ending, moves, _messages = key
        value = game.values[player]
        if moves % 2 == 0:
            target = self.target(game, player, len(prices) + 1)
            # the seller asks at least its target, the buyer bids at most its own
            units = target / game.step
            units = math.ceil(units - _EPS) if player == 0 else math.floor(units + _EPS)
            return min(game.units, max(0, int(units)))
        price = prices[-1] * game.step
        gain = price - value if player == 0 else value - price
        if gain + _EPS * value >= self.accept_gain * value:
            return ACCEPT
        if self.walk_below is not None and gain < -self.walk_below * value - _EPS * value:
            return JOHN
        return REJECT


# ---- persuasion ---------------------------------------------------------------------


def _current_quality(key: Hashable) -> int:
    """The seller's view: the quality (1 high) of this round's product."""
    assert isinstance(key, tuple) and key[0] == 0
    return int(key[1][-1][0])


def _current_recommendation(key: Hashable) -> int:
    """The buyer's view: this round's recommendation."""
    assert isinstance(key, tuple) and key[0] == 1
    current = key[4] if len(key) == 6 else key[1][-1]
    return int(current[0])


@dataclass(frozen=True)
class TruthfulSeller:
    """Recommends exactly the high-quality products."""

    family: Family = "persuasion"
    role: int | None = 0

    def choose(
        self, game: PersuasionGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        return RECOMMEND if _current_quality(key) == 1 else DISCOURAGE


@dataclass(frozen=True)
class AlwaysRecommendSeller:
    """Recommends every product."""

    family: Family = "persuasion"
    role: int | None = 0

    def choose(
        self, game: PersuasionGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        return RECOMMEND


def persuasion_signal(p: float, c: float, v: float) -> float:
    """Kamenica and Gentzkow's optimal probability of recommending a low-quality product:
    the largest ``q`` with ``P(high | recommended) v + (1 - P) c >= 1`` (in units of the
    price), ``p (v - 1) / ((1 - c)(1 - p))``, capped at 1 (0 when p = 1 or c = 1: moot)."""
    if p >= 1.0 or c >= 1.0:
        return 1.0
    return min(1.0, p * (v - 1.0) / ((1.0 - c) * (1.0 - p)))


@dataclass(frozen=True)
class PersuasiveSeller:
    """Kamenica and Gentzkow's optimal seller: recommends every high-quality product and
    a low-quality one with probability :func:`persuasion_signal`."""

    family: Family = "persuasion"
    role: int | None = 0

    def choose(
        self, game: PersuasionGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        if _current_quality(key) == 1:
            return RECOMMEND
        q = persuasion_signal(game.p, game.c, game.v)
        return RECOMMEND if float(rng.random()) < q else DISCOURAGE


@dataclass(frozen=True)
class AlwaysBuyer:
    """Buys every product."""

    family: Family = "persuasion"
    role: int | None = 1

    def choose(
        self, game: PersuasionGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        return BUY


@dataclass(frozen=True)
class FollowingBuyer:
    """Buys exactly when the seller recommends."""

    family: Family = "persuasion"
    role: int | None = 1

    def choose(
        self, game: PersuasionGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        return BUY if _current_recommendation(key) == RECOMMEND else PASS


@dataclass(frozen=True)
class LearningBuyer:
    """Buys a recommended product when its expected worth, with P(high) estimated from the
    qualities revealed so far (Laplace's rule), is at least the price; passes otherwise."""

    family: Family = "persuasion"
    role: int | None = 1

    def estimate(self, key: Hashable) -> float:
        """P(high | recommended) (myopic: P(high | sold), from the seller's record)."""
        assert isinstance(key, tuple) and key[0] == 1
        if len(key) == 6:  # myopic: (1, rounds, sold, sold_high, current, messages)
            sold, high = int(key[2]), int(key[3])
        else:
            done = [r for r in key[1] if len(r) == 3 and r[1] == RECOMMEND]
            sold, high = len(done), sum(int(r[0]) for r in done)
        return (1.0 + high) / (2.0 + sold)

    def choose(
        self, game: PersuasionGame, key: Hashable, player: int, rng: np.random.Generator
    ) -> int:
        if _current_recommendation(key) != RECOMMEND:
            return PASS
        q = self.estimate(key)
        worth = q * game.v + (1.0 - q) * game.c
        return BUY if worth + _EPS >= 1.0 else PASS


# ---- names and the agent ------------------------------------------------------------

GLEE_STRATEGIES: dict[str, GleeStrategy] = {
    # bargaining
    "rubinstein": RubinsteinBargainer(),
    "rubinstein_finite": RubinsteinBargainer(horizon=True),
    "fair": FixedShareBargainer(keep=0.5, accept=0.5),
    "greedy": FixedShareBargainer(keep=0.8, accept=0.6),
    "pushover": FixedShareBargainer(keep=0.3, accept=0.0),
    "noisy_fair": FixedShareBargainer(keep=0.5, accept=0.4, jitter=0.15),
    "split_difference": SplitDifferenceBargainer(start=0.8),
    "hardliner": HardlinerBargainer(offer=0.0),
    # negotiation
    "conceder": LinearConcessionNegotiator(markup=0.3, final_markup=0.0),
    "tough": LinearConcessionNegotiator(markup=0.5, final_markup=0.2, accept_gain=0.15),
    "walker": LinearConcessionNegotiator(markup=0.2, final_markup=0.05, walk_below=0.0),
    "accept_any": LinearConcessionNegotiator(markup=0.1, final_markup=0.1, accept_gain=0.0),
    # persuasion
    "truthful": TruthfulSeller(),
    "always_recommend": AlwaysRecommendSeller(),
    "persuasive": PersuasiveSeller(),
    "always_buy": AlwaysBuyer(),
    "follow": FollowingBuyer(),
    "learner": LearningBuyer(),
}
"""Named strategies; each plays one family (and, in persuasion, one role)."""

_GAME_TYPES: dict[str, type[Game]] = {
    "bargaining": BargainingGame,
    "negotiation": NegotiationGame,
    "persuasion": PersuasionGame,
}


def glee_strategy(name: str) -> GleeStrategy:
    """The named strategy (:data:`GLEE_STRATEGIES`)."""
    if name not in GLEE_STRATEGIES:
        raise UnknownNameError("GLEE strategy", name, GLEE_STRATEGIES)
    return GLEE_STRATEGIES[name]


def strategy_names(family: str, role: int | None = None) -> list[str]:
    """The named strategies of ``family`` that can sit in seat ``role`` (any if None)."""
    return [
        n
        for n, s in GLEE_STRATEGIES.items()
        if s.family == family and (role is None or s.role in (None, role))
    ]


class GleeAgent(Agent):
    """Plays a named (or given) GLEE strategy in its family's game."""

    name = "glee"

    def __init__(self, name: str = "rubinstein") -> None:
        self.label = name
        self.strategy = glee_strategy(name)

    def check_game(self, game: Game) -> None:
        family = self.strategy.family
        if not isinstance(game, _GAME_TYPES[family]):
            raise RedqueenError(
                f"GLEE strategy {self.label!r} plays {family}, not {game.id}; strategies for "
                f"{game.id}: {', '.join(strategy_names(game.id)) or '(none)'}"
            )

    def act(self, obs: Observation) -> int:
        role = self.strategy.role
        if role is not None and obs.player != role:
            raise RedqueenError(
                f"GLEE strategy {self.label!r} plays seat {role} "
                f"({('the seller', 'the buyer')[role]}), not seat {obs.player}"
            )
        return self.strategy.choose(obs.game, obs.information_state_key, obs.player, obs.rng)

    def spec(self) -> AgentSpec:
        return AgentSpec(self.name, {"name": self.label})
