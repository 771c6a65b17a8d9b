"""Learning through play, one readable module per algorithm:

- ``population.py``: members and their lineage, populations, the exact meta-game payoff
  table, opponent samplers (latest, uniform, prioritised fictitious self-play, Nash) and
  the reach-weighted mixture of behaviour policies;
- ``fictitious_play.py``: extensive-form fictitious play (XFP),
  ``fictitious_play(game, XFPConfig(...))``;
- ``psro.py``: PSRO with the uniform, Nash, projected replicator dynamics and alpha-rank
  meta-solvers, ``psro(game, PSROConfig(...))``.

Import from the modules (``from redqueen.learn.psro import psro, PSROConfig``): the
package re-exports nothing, because a function named like its module (``psro``,
``fictitious_play``) would be shadowed by the submodule once it is imported.
"""
