"""Measures: statistics, standings and ratings."""

from redqueen.measure.standings import (
    PayoffMatrix,
    Standing,
    payoff_matrix,
    seated,
    standings,
)
from redqueen.measure.statistics import MeanCI, WinDrawLoss, mean_ci, outcome

__all__ = [
    "MeanCI",
    "PayoffMatrix",
    "Standing",
    "WinDrawLoss",
    "mean_ci",
    "outcome",
    "payoff_matrix",
    "seated",
    "standings",
]
