"""redqueen: agents get better, and are measured, by playing games."""

from redqueen.agents.llm.context import set_cache_file_opener
from redqueen.agents.registry import register_agent
from redqueen.errors import (
    IllegalActionError,
    InvalidParameterError,
    ParseActionError,
    RedqueenError,
    UnknownNameError,
)
from redqueen.games import make, registered
from redqueen.games.registry import register_namespace
from redqueen.games.roles.judges import register_judge

# Parts that live in layers to the right of games and agents register themselves here, so
# that the left-hand layers never name them (they are imported on first use).
register_namespace("openspiel", "redqueen.adapters.openspiel:openspiel_game")
register_namespace("textarena", "redqueen.adapters.textarena:textarena_game")
register_agent("policy", "redqueen.solve.policy:PolicyAgent")
register_agent("ppo", "redqueen.learn.ppo:PPOAgent")
register_judge("llm", "redqueen.agents.llm.judge:LLMJudge")
# scripted players of the role games (redqueen.games.roles)
register_agent("noisy_task_solver", "redqueen.agents.roles.proposer_solver:NoisySolver")
register_agent("fixed_task_proposer", "redqueen.agents.roles.proposer_solver:FixedProposer")
register_agent("edge_task_proposer", "redqueen.agents.roles.proposer_solver:EdgeProposer")
register_agent("spc_exact_critic", "redqueen.agents.roles.critic:ExactCritic")
register_agent("spc_noisy_critic", "redqueen.agents.roles.critic:NoisyCritic")
register_agent("spc_random_generator", "redqueen.agents.roles.critic:RandomGenerator")
register_agent("spc_targeted_generator", "redqueen.agents.roles.critic:TargetedGenerator")
register_agent("red_team_attacker", "redqueen.agents.roles.red_team:RedTeamAttacker")
register_agent("red_team_defender", "redqueen.agents.roles.red_team:RedTeamDefender")
register_agent("red_team_safe_defender", "redqueen.agents.roles.red_team:SafeDefender")
register_agent("red_team_gullible_defender", "redqueen.agents.roles.red_team:GullibleDefender")


def _open_llm_cache(path: object) -> object:
    from redqueen.store.llm_cache import LLMStore  # imported when an agent asks for it

    return LLMStore(path)  # type: ignore[arg-type]


set_cache_file_opener(_open_llm_cache)

__version__ = "0.1.0"

__all__ = [
    "IllegalActionError",
    "InvalidParameterError",
    "ParseActionError",
    "RedqueenError",
    "UnknownNameError",
    "__version__",
    "make",
    "registered",
]
