"""Measures: statistics, standings and ratings."""

from redqueen.measure.ratings import (
    EloRating,
    SkillRating,
    elo_ratings,
    openskill_ratings,
)
from redqueen.measure.standings import (
    PayoffMatrix,
    Standing,
    payoff_matrix,
    seated,
    standings,
)
from redqueen.measure.statistics import MeanCI, WinDrawLoss, mean_ci, outcome

__all__ = [
    "EloRating",
    "MeanCI",
    "PayoffMatrix",
    "SkillRating",
    "Standing",
    "WinDrawLoss",
    "elo_ratings",
    "mean_ci",
    "openskill_ratings",
    "outcome",
    "payoff_matrix",
    "seated",
    "standings",
]
