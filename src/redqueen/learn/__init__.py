"""Learning through play, one readable module per algorithm:

- ``population.py``: members and their lineage, populations, the exact and the sampled
  meta-game payoff tables, opponent samplers (latest, uniform, prioritised fictitious
  self-play, win-rate-gated rotation, Nash) and the reach-weighted mixture of behaviour
  policies;
- ``fictitious_play.py``: extensive-form fictitious play (XFP),
  ``fictitious_play(game, XFPConfig(...))``;
- ``psro.py``: PSRO with the uniform, Nash, projected replicator dynamics and alpha-rank
  meta-solvers, ``psro(game, PSROConfig(...))``;
- ``fxp.py``: fictitious cross-play (FXP) on payoff tensors of team games;
- ``league.py``: an AlphaStar-style league (main agents, main and league exploiters);
- ``ppo.py``: PPO in PyTorch with action masking on the batch engines (needs torch);
  ``self_play.py``: naive and fictitious self-play with it; ``pbt.py``: population based
  training over PPO learners;
- ``moran.py``: the Moran process, replicator dynamics on tournaments, the Nowak-May
  lattice; ``donor_evolution.py``: generations of the donor game;
- ``red_queen.py``: the Digital Red Queen loop for Core War warriors (archive,
  MAP-Elites, generators, generality and diversity).

The recipe kinds that run these algorithms, store their runs and write their reports
live in :mod:`redqueen.experiments`.

Import from the modules (``from redqueen.learn.psro import psro, PSROConfig``): the
package re-exports nothing, because a function named like its module (``psro``,
``fictitious_play``) would be shadowed by the submodule once it is imported.
"""
