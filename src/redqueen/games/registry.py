"""The game registry: ``make(game_id, **params)`` and ``registered()``.

Built-in games are listed by module path and imported on first use, so that importing
redqueen stays cheap. ``register`` adds a game of your own under a new id.

A factory takes keyword parameters only. ``make`` checks the names against the
factory's signature before calling it, so a misspelt parameter is an error that lists the
parameters the game has; the factory itself checks the values.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.core import Game

GameFactory = Callable[..., Game]


@dataclass(frozen=True)
class _Entry:
    target: str | GameFactory
    summary: str

    def factory(self) -> GameFactory:
        if callable(self.target):
            return self.target
        module_name, _, attr = self.target.partition(":")
        factory: GameFactory = getattr(importlib.import_module(module_name), attr)
        return factory


_REGISTRY: dict[str, _Entry] = {
    "matrix": _Entry(
        "redqueen.games.matrix:matrix_game", "two-player normal-form game from payoff matrices"
    ),
    "prisoners_dilemma": _Entry(
        "redqueen.games.matrix:prisoners_dilemma",
        "prisoner's dilemma (Axelrod payoffs R=3, S=0, T=5, P=1 by default)",
    ),
    "stag_hunt": _Entry("redqueen.games.matrix:stag_hunt", "stag hunt"),
    "chicken": _Entry("redqueen.games.matrix:chicken", "chicken (hawk-dove)"),
    "battle_of_the_sexes": _Entry(
        "redqueen.games.matrix:battle_of_the_sexes", "battle of the sexes"
    ),
    "matching_pennies": _Entry("redqueen.games.matrix:matching_pennies", "matching pennies"),
    "rock_paper_scissors": _Entry(
        "redqueen.games.matrix:rock_paper_scissors", "rock-paper-scissors"
    ),
    "ordinal_2x2": _Entry(
        "redqueen.games.matrix:ordinal_2x2",
        "one of the 144 strict ordinal 2x2 games, by index (our own numbering, not "
        "Robinson and Goforth's)",
    ),
    "repeated": _Entry(
        "redqueen.games.repeated:repeated_game",
        "a matrix game repeated for fixed rounds or with a continuation probability",
    ),
    "kuhn_poker": _Entry("redqueen.games.kuhn_poker:KuhnPokerGame", "Kuhn poker (n players)"),
    "leduc_poker": _Entry("redqueen.games.leduc_poker:LeducPokerGame", "Leduc hold'em"),
    "tic_tac_toe": _Entry("redqueen.games.tic_tac_toe:TicTacToeGame", "tic-tac-toe"),
    "connect_four": _Entry("redqueen.games.connect_four:ConnectFourGame", "connect four"),
    # social and economic games
    "bargaining": _Entry(
        "redqueen.games.glee:bargaining", "GLEE alternating-offers bargaining with discounting"
    ),
    "negotiation": _Entry(
        "redqueen.games.glee:negotiation", "GLEE price negotiation with outside options (John)"
    ),
    "persuasion": _Entry(
        "redqueen.games.glee:persuasion", "GLEE repeated persuasion: seller knows the quality"
    ),
    "donor_game": _Entry(
        "redqueen.games.donor:donor_game",
        "donor game of indirect reciprocity (Vallinder & Hughes 2024), meet-once pairing",
    ),
    "commons": _Entry(
        "redqueen.games.commons:commons",
        "common-pool resource with logistic regrowth, monitoring, norms and voting",
    ),
    "trust_game": _Entry(
        "redqueen.games.economic:trust_game", "trust game (Berg et al. 1995): send, x3, return"
    ),
    "ultimatum_game": _Entry(
        "redqueen.games.economic:ultimatum_game", "ultimatum game: offer, accept or reject"
    ),
    "public_goods_game": _Entry(
        "redqueen.games.economic:public_goods_game",
        "linear public goods game, N players, one-shot or repeated",
    ),
    "tax_economy": _Entry(
        "redqueen.games.tax_economy:tax_economy",
        "LLM Economist's tax economy: workers choose hours, a planner sets bracketed taxes",
    ),
    # games from the LLM papers
    "spiral_negotiation": _Entry(
        "redqueen.games.spiral_negotiation:SpiralNegotiationGame",
        "SPIRAL's simple negotiation: Wood and Gold, opposite valuations, offers, 10 turns",
    ),
    # role games
    "proposer_solver": _Entry(
        "redqueen.games.roles.proposer_solver:ProposerSolverGame",
        "PasoDoble/MAE/SSP proposer-solver: pose a verifiable task, answer it k times",
    ),
    "critic_game": _Entry(
        "redqueen.games.roles.critic:CriticGame",
        "SPC's critic game: a sneaky generator plants a typed error, a critic judges the step",
    ),
    "red_team": _Entry(
        "redqueen.games.roles.red_team:RedTeamGame",
        "Self-RedTeam: an attacker rewrites a seed prompt, a defender answers, a judge labels",
    ),
    "preference_game": _Entry(
        "redqueen.games.roles.preference:preference_game",
        "SPPO's preference game: pick a response, earn the probability it beats the other's",
    ),
    "preference_text": _Entry(
        "redqueen.games.roles.preference_text:PreferenceTextGame",
        "SPPO's preference game with written responses, judged during play in both orders",
    ),
    "werewolf": _Entry(
        "redqueen.games.hidden.werewolf:werewolf",
        "Werewolf (WereBench boards): wolves, villagers, seer, witch, hunter, guard",
    ),
    # hidden-information games
    "hanabi": _Entry(
        "redqueen.games.hidden.hanabi:hanabi",
        "MARS's two-player Hanabi presets (mini, simple, full) over OpenSpiel's hanabi",
    ),
    "overcooked": _Entry(
        "redqueen.games.hidden.overcooked:overcooked",
        "Overcooked-AI 0.0.1 (ProAgent's rules): two cooks make onion soup on five layouts",
    ),
    "who_is_the_spy": _Entry(
        "redqueen.games.hidden.spy:WhoIsTheSpyGame",
        "Vision-Zero's who is the spy in text: CLEVR-like scenes or word pairs, clues, votes",
    ),
    # referential games and the continuous prisoner's dilemma
    "lewis_game": _Entry(
        "redqueen.games.referential:lewis_game",
        "Lewis referential game: a speaker names the target among distractors, common payoff",
    ),
    "object_reconstruction": _Entry(
        "redqueen.games.referential:object_reconstruction",
        "s2p's object reconstruction: 6 properties x 10 values told in 6 words from 60",
    ),
    "continuous_pd": _Entry(
        "redqueen.games.continuous_pd:continuous_pd",
        "BRG's continuous prisoner's dilemma: cooperation levels in [0, 1], bilinear payoff",
    ),
}


NamespaceFactory = Callable[..., Game]
"""``factory(name, **params)``: builds the game ``name`` of an outside library."""

# Filled by redqueen/__init__.py (openspiel, textarena): the adapters live in a layer to
# the right of games, so the games layer does not name them itself.
_NAMESPACES: dict[str, str | NamespaceFactory] = {}


def register_namespace(prefix: str, factory: NamespaceFactory | str) -> None:
    """Route ids ``"prefix:NAME"`` to ``factory(NAME, **params)`` (games of another library);
    ``factory`` may be a ``"module:attribute"`` string, imported on first use."""
    if prefix in _NAMESPACES:
        raise RedqueenError(f"a game namespace is already registered as {prefix!r}")
    _NAMESPACES[prefix] = factory


def namespaces() -> list[str]:
    """Prefixes of wrapped libraries: ``make("openspiel:liars_dice")`` and so on."""
    return sorted(_NAMESPACES)


def register(game_id: str, factory: GameFactory, summary: str = "") -> None:
    """Register ``factory`` (a callable taking keyword parameters) under ``game_id``."""
    if game_id in _REGISTRY:
        raise RedqueenError(f"a game is already registered as {game_id!r}")
    _REGISTRY[game_id] = _Entry(factory, summary or (factory.__doc__ or "").strip())


def registered() -> list[str]:
    """Every registered game id, sorted."""
    return sorted(_REGISTRY)


def summary(game_id: str) -> str:
    return _entry(game_id).summary


def target(game_id: str) -> str | None:
    """The ``"module:attribute"`` that makes a built-in game (None for a callable given to
    :func:`register`)."""
    made_by = _entry(game_id).target
    return made_by if isinstance(made_by, str) else None


def parameters(game_id: str) -> dict[str, Any]:
    """The parameters of a game, with their defaults (``inspect.Parameter.empty`` if none)."""
    sig = inspect.signature(_entry(game_id).factory())
    return {
        name: p.default
        for name, p in sig.parameters.items()
        if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
    }


def make(game_id: str, **params: Any) -> Game:
    """Build the game registered as ``game_id`` with ``params``.

    ``"openspiel:NAME"`` and ``"textarena:ID"`` wrap the games of those libraries (see
    :func:`namespaces`).

    >>> make("prisoners_dilemma").spec.num_players
    2
    """
    if isinstance(game_id, str) and ":" in game_id:
        prefix, _, name = game_id.partition(":")
        if prefix not in _NAMESPACES:
            raise UnknownNameError("game namespace", prefix, _NAMESPACES)
        target = _NAMESPACES[prefix]
        if not callable(target):
            module_name, _, attr = target.partition(":")
            target = getattr(importlib.import_module(module_name), attr)
        return target(name, **params)
    entry = _entry(game_id)
    factory = entry.factory()
    allowed = parameters(game_id)
    for name in params:
        if name not in allowed:
            raise UnknownNameError(
                f"parameter of game {game_id!r}",
                name,
                [_describe_param(n, d) for n, d in allowed.items()],
            )
    missing = [n for n, d in allowed.items() if d is inspect.Parameter.empty and n not in params]
    if missing:
        raise InvalidParameterError(
            f"game {game_id!r} needs the parameter(s) {', '.join(missing)}; its parameters: "
            + ", ".join(_describe_param(n, d) for n, d in allowed.items())
        )
    return factory(**params)


def _entry(game_id: str) -> _Entry:
    if not isinstance(game_id, str) or game_id not in _REGISTRY:
        raise UnknownNameError("game", str(game_id), _REGISTRY)
    return _REGISTRY[game_id]


def _describe_param(name: str, default: Any) -> str:
    if default is inspect.Parameter.empty:
        return name
    return f"{name}={default!r}"
