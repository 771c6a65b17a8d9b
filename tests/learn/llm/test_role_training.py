"""Role games trained with the LLM self-play loop, on a laptop: the tiny model in one role
of a role game against a fixed scripted player (``loop.seats``), measured exactly from the
policy the model induces (the probabilities of its legal answers), on fixed seeds with
thresholds set from measured runs with margin.

``proposer_solver_tiny``: PasoDoble's proposer chooses a difficulty for a solver that is
right with probability 0.9, 0.7, 0.5, 0.3, 0.1 at difficulties 1 to 5 and answers 6 times.
Its expected reward at each difficulty and the chance that the pass rate falls in
PasoDoble's band 0.2 < p < 1 are computed here from the binomial law, apart from the game
code: uniform choice earns 0.454 with 58% in the band, difficulty 2 0.587 with 87%, the
best choice (difficulty 3) 0.673 with 88%. Measured (seeds 0, 1 and 2, 150 steps): each
seed's induced policy puts 0.999 on difficulty 2, expected reward 0.587, 87% in the band
(it never finds that difficulty 3 is better still)."""

from __future__ import annotations

from math import comb
from pathlib import Path

import numpy as np
import pytest

from redqueen.experiments import load_recipe
from redqueen.learn.llm.collector import Prompter
from redqueen.learn.llm.learner import Learner
from redqueen.learn.llm.loop import train
from redqueen.learn.llm.policy import move_probabilities

RECIPES = Path(__file__).resolve().parents[3] / "recipes"


def pasodoble_expectations(attempts: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Per difficulty 1-5: the proposer's expected reward (0 if p <= 0.2, else
    1.1 - p + 0.2 with no question history) and the chance that 0.2 < p < 1."""
    reward, band = np.zeros(5), np.zeros(5)
    for d in range(5):
        right = 1 - (0.1 + 0.2 * d)
        for k in range(attempts + 1):
            chance = comb(attempts, k) * right**k * (1 - right) ** (attempts - k)
            p = k / attempts
            reward[d] += chance * (0.0 if p <= 0.2 else 1.1 - p + 0.2)
            band[d] += chance * (0.2 < p < 1)
    return reward, band


def test_the_expectations_match_the_papers_rule_by_hand() -> None:
    reward, band = pasodoble_expectations()
    # difficulty 1: p = 1 with chance 0.9^6 = 0.531 (reward 0.3), 5/6 with 6 * 0.9^5 * 0.1
    assert reward[0] == pytest.approx(
        0.9**6 * 0.3
        + 6 * 0.9**5 * 0.1 * (1.3 - 5 / 6)
        + 15 * 0.9**4 * 0.01 * (1.3 - 4 / 6)
        + 20 * 0.9**3 * 0.001 * 0.8
        + 15 * 0.9**2 * 1e-4 * (1.3 - 2 / 6),
        abs=1e-12,
    )
    assert band[0] == pytest.approx(1 - 0.9**6 - 6 * 0.9 * 0.1**5 - 0.1**6, abs=1e-12)
    assert int(np.argmax(reward)) == 2 and reward.mean() == pytest.approx(0.4543, abs=1e-3)


def _proposer(model: object, prompter: Prompter, game: object) -> np.ndarray:
    """The model's probability of each difficulty 1-5, over the legal answers."""
    state = game.new_initial_state()  # type: ignore[attr-defined]
    (probabilities,) = move_probabilities(model, prompter, game, [(state, 0)])  # type: ignore[arg-type]
    texts = {a: state.action_text(a, 0) for a in probabilities}
    return np.array([probabilities[a] for a in sorted(texts, key=lambda a: texts[a])])


def test_the_proposer_learns_to_pose_tasks_at_the_edge_of_the_solvers_ability(
    tmp_path: Path,
) -> None:
    reward, band = pasodoble_expectations()
    before, after, bands = [], [], []
    for seed in (0, 1):
        recipe = load_recipe(
            RECIPES / "proposer_solver_tiny.yaml",
            [f"seed={seed}", "loop.eval_every=0"],
        )
        protocol, learner_config, loop = recipe.configs()
        model, tokenizer = recipe.load(tmp_path / str(seed))
        (game,) = recipe.made_games()
        prompter = Prompter(tokenizer, protocol.prompt_style)
        before.append(float(_proposer(model, prompter, game) @ reward))
        result = train(model, tokenizer, [game], protocol, Learner(model, learner_config), loop)
        chosen = _proposer(model, prompter, game)
        after.append(float(chosen @ reward))
        bands.append(float(chosen @ band))
        legal = [r.metrics["train/legal_rate"] for r in result.steps[-10:]]
        assert np.mean(legal) > 0.9, (seed, legal)
    # a random model chooses about uniformly (0.454, 58% in the band); trained, it poses
    # tasks the solver gets right only some of the time
    assert all(abs(b - 0.454) < 0.06 for b in before), before
    assert min(after) > 0.54, after
    assert min(bands) > 0.8, bands
