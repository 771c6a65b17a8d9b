"""``redqueen serve``: the arena in a browser, over any run directory.

Four things, all served by one local web app with nothing to build and nothing fetched
from the internet (server-rendered HTML, one small script and one stylesheet shipped in
this package):

- **Play** (:mod:`redqueen.web.sessions`): a person takes a seat of any registered game
  against any agent spec; the legal moves are buttons and a few games get a board
  (:mod:`redqueen.web.boards`). Every finished match is stored in a run store like any
  other, its seat named ``human:<name>``, so it counts in standings and Elo.
- **Watch** (:mod:`redqueen.web.replay`): step through any stored match, each seat's view
  at each step, the chance outcomes and, for LLM seats, their prompts and replies.
- **Follow** (:mod:`redqueen.web.runs`): a run's progress, standings, Elo, payoff heat map
  and logged curves, refreshed while the run goes on, beside the run's own report.
- **Study** (:mod:`redqueen.web.study`): a human study from a YAML file, with a balanced
  schedule per participant and results with intervals, exported as CSV and Parquet.

The HTTP layer (:mod:`redqueen.web.app`, FastAPI) and its safety rules
(:mod:`redqueen.web.security`) sit on top. Nothing in this package is imported by
``import redqueen`` or by the ``redqueen`` command until ``redqueen serve`` runs.
"""
