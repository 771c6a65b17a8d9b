"""Play: matches, schedules, tournaments and the runners that execute them."""

from redqueen.play.match import MatchResult, aplay_match, play_match, replay
from redqueen.play.runners import run_matches
from redqueen.play.schedule import ScheduledMatch, match_seed, round_robin
from redqueen.play.tournament import TournamentResult, agent_names, tournament

__all__ = [
    "MatchResult",
    "ScheduledMatch",
    "TournamentResult",
    "agent_names",
    "aplay_match",
    "match_seed",
    "play_match",
    "replay",
    "round_robin",
    "run_matches",
    "tournament",
]
