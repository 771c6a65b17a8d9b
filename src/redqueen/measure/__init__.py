"""Measures: statistics, standings and ratings (their methods: the *Statistics* page)."""

from redqueen.measure.ratings import (
    EloFit,
    EloRating,
    SkillRating,
    elo_fit,
    elo_ratings,
    openskill_ratings,
)
from redqueen.measure.standings import (
    PayoffMatrix,
    Standing,
    payoff_matrix,
    return_bounds,
    seated,
    standings,
)
from redqueen.measure.statistics import MeanCI, WinDrawLoss, mean_ci, outcome

__all__ = [
    "EloFit",
    "EloRating",
    "MeanCI",
    "PayoffMatrix",
    "SkillRating",
    "Standing",
    "WinDrawLoss",
    "elo_fit",
    "elo_ratings",
    "mean_ci",
    "openskill_ratings",
    "outcome",
    "payoff_matrix",
    "return_bounds",
    "seated",
    "standings",
]
