"""``critic_tiny``: SPC's critic trained with the LLM self-play loop on a laptop, measured
exactly from the policy the model induces (its probabilities of Correct and Incorrect at
every critic state, :func:`redqueen.measure.critic.policy_critic_accuracies`), on fixed
seeds with thresholds set from measured runs with margin. A module of its own: the test
workers take whole modules, and these are among the longest tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from redqueen.experiments import load_recipe
from redqueen.learn.llm.collector import Prompter
from redqueen.learn.llm.learner import Learner
from redqueen.learn.llm.loop import train
from redqueen.learn.llm.policy import induced_policy
from redqueen.measure.critic import policy_critic_accuracies

RECIPE = Path(__file__).resolve().parents[3] / "recipes" / "critic_tiny.yaml"


def _run(tmp_path: Path, *overrides: str) -> tuple[dict[str, float], dict[str, float], object]:
    """The critic's exact accuracies before and after training, and the loop's result."""
    recipe = load_recipe(RECIPE, list(overrides))
    protocol, learner_config, loop = recipe.configs()  # type: ignore[attr-defined]
    model, tokenizer = recipe.load(tmp_path)  # type: ignore[attr-defined]
    (game,) = recipe.made_games()  # type: ignore[attr-defined]
    prompter = Prompter(tokenizer, protocol.prompt_style)
    before = policy_critic_accuracies(game, induced_policy(model, prompter, game))
    result = train(model, tokenizer, [game], protocol, Learner(model, learner_config), loop)
    after = policy_critic_accuracies(game, induced_policy(model, prompter, game))
    return before, after, result


def test_the_loop_logs_the_critics_exact_accuracies(tmp_path: Path) -> None:
    """Each evaluation logs SPC's four numbers for the induced policy, the ones computed
    from it here after the last step."""
    _, after, result = _run(tmp_path, "loop.steps=2", "loop.eval_every=2", "loop.eval_games=4")
    logged = {k: result.last(f"eval/critic/{k}") for k in after}  # type: ignore[attr-defined]
    assert logged == pytest.approx(after)


@pytest.mark.slow
@pytest.mark.timeout(900)  # about 100 s alone here; more beside another worker
@pytest.mark.parametrize("seed", [0, 1])
def test_the_critic_learns_to_tell_erroneous_steps_from_correct_ones(
    tmp_path: Path, seed: int
) -> None:
    """Before training the tiny model gives every step the same answer, so its
    accuracies on correct and on erroneous steps add up to about 1 (a harmonic mean
    under 0.5); after, it tells them apart on each seed. Measured in the shipped recipe
    at step 300 (seeds 0, 1, 2): accuracy on correct steps 1.000, 0.901, 0.999; on
    erroneous steps 0.999, 0.958, 0.932; harmonic mean 0.999, 0.928, 0.964; legal-move
    rate 1.00, 0.99, 0.97."""
    before, after, result = _run(tmp_path, f"seed={seed}", "loop.eval_every=0")
    assert before["correct_steps"] + before["erroneous_steps"] == pytest.approx(1, abs=0.05)
    assert before["harmonic_mean"] < 0.5, before
    assert after["erroneous_steps"] > 0.85, after
    assert after["correct_steps"] > 0.8, after
    assert after["harmonic_mean"] > 0.85, after
    legal = [r.metrics["train/legal_rate"] for r in result.steps[-10:]]  # type: ignore[attr-defined]
    assert sum(legal) / len(legal) > 0.9, legal
