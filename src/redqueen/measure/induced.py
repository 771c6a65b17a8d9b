"""Exact measures of a policy on particular games, read off its probabilities.

A learner that can write its policy as a table (an LLM's induced policy,
:mod:`redqueen.learn.llm.policy`) is measured on every game by its exploitability; some
games also have the measures their papers report, computed here exactly from the policy
instead of from sampled games. :func:`policy_measures` gives those of a game, by name, and
nothing for a game without any, so that a learning loop can ask every game without
knowing which one it plays.

- ``critic_game``: SPC's accuracies of the critic on correct and on erroneous steps,
  their mean and harmonic mean, against the random sneaky generator
  (:func:`redqueen.measure.critic.policy_critic_accuracies`), named ``critic/...``.
"""

from __future__ import annotations

from redqueen.games.core import Game
from redqueen.games.roles.critic import CriticGame
from redqueen.measure.critic import StatePolicy, policy_critic_accuracies

__all__ = ["policy_measures"]


def policy_measures(game: Game, policy: StatePolicy) -> dict[str, float]:
    """The game's own exact measures of ``policy`` (see the module docstring); empty for
    a game that has none."""
    if isinstance(game, CriticGame):
        return {f"critic/{k}": v for k, v in policy_critic_accuracies(game, policy).items()}
    return {}
