"""The paper-scale LLM self-play recipes (SPIRAL's, MARS's and the role games' settings,
sized for one GPU)
run end to end on this machine with their model swapped for the tiny one: every game,
held-out game, protocol, estimator, LoRA and KL setting they name is wired up, and their
metrics land under the names the report reads. Their real runs need a GPU and a model
directory that no CI machine has; a missing directory is refused when the run starts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from redqueen.experiments import RecipeError, load_recipe
from redqueen.store.run_store import RunStore

RECIPES = Path(__file__).resolve().parents[3] / "recipes"
PAPER = ["spiral_kuhn", "spiral_tictactoe", "spiral_negotiation", "spiral_multigame"]
PAPER += ["mars_multigame", "pasodoble", "spc_critic", "self_redteam"]
TINY = [
    "model.path=null",
    "model.dtype=float32",
    "model.device=cpu",
    "protocol.max_new_tokens=3",
    "learner.minibatch_size=8",
    "learner.grad_accumulation=1",
    "loop.steps=2",
    "loop.snapshot_every=1",
    "loop.eval_every=2",
    "loop.eval_games=2",
    "elo_games=0",
]


@pytest.mark.parametrize("name", PAPER)
def test_a_paper_recipe_names_a_model_directory_and_runs_with_the_tiny_model(
    name: str, tmp_path: Path
) -> None:
    shipped = load_recipe(RECIPES / f"{name}.yaml")
    assert shipped.model.path is not None and shipped.model.lora is not None
    assert shipped.model.lora["r"] == 32
    if not Path(shipped.model.path).is_dir():
        with pytest.raises(RecipeError, match="no model directory at"):
            shipped.run(tmp_path / "missing")
    games = len(shipped.games)
    tiny = [*TINY, f"loop.games_per_step={2 * games}"]
    if name == "spc_critic":  # its exact exploitability scores 3,400 critic states: slow on a CPU
        tiny.append("loop.exploitability=false")
    recipe = load_recipe(RECIPES / f"{name}.yaml", tiny)
    if recipe.held_out:  # Leduc's 936 information states, scored by the model: a minute here
        recipe.loop["exploitability"] = ["kuhn_poker"]
    outcome = recipe.run(tmp_path / "run")
    assert len(outcome.result.steps) == 2
    with RunStore(tmp_path / "run") as store:
        names = set(store.metric_names())
    evaluated = [*recipe.made_games(), *recipe.made_held_out()]
    (evaluator,) = recipe.loop["evaluators"][:1]
    if len(evaluated) == 1:
        assert f"eval/{evaluator}/invalid_rate" in names
        assert f"eval/{evaluator}/mean_reward" in names
    else:
        from redqueen.learn.llm.loop import game_labels

        for label in game_labels(evaluated):
            assert f"eval/{label}/{evaluator}/invalid_rate" in names
    baselines = {n for n in names if n.startswith("baseline/")}
    if recipe.loop["estimator"] == "rae":  # one baseline per (game, seat) that was played
        assert {n.split("/")[1] for n in baselines} == {g.id for g in recipe.made_games()}
    else:
        assert not baselines
    if "kuhn_poker" in {g.id for g in evaluated}:
        assert any(n.startswith("exploitability") for n in names)
    assert (tmp_path / "run" / "report.html").is_file()


def test_mars_trains_on_mini_hanabi_and_holds_out_simple_hanabi() -> None:
    recipe = load_recipe(RECIPES / "mars_multigame.yaml")
    trained = {g.id: g.params for g in recipe.games}
    held = {g.id: g.params for g in recipe.held_out}
    assert set(trained) == {"tic_tac_toe", "kuhn_poker", "hanabi"}
    assert set(held) == {"connect_four", "leduc_poker", "hanabi"}
    assert (trained["hanabi"], held["hanabi"]) == ({"preset": "mini"}, {"preset": "simple"})
    protocol, learner, loop = recipe.configs()
    assert (protocol.valid_move_bonus, protocol.draw_reward, protocol.invalid_reward) == (
        0.05,
        0.1,
        -11.0,
    )
    assert (learner.kl_coef, learner.epochs, loop.estimator) == (0.2, 1, "mars")


def test_mars_pays_each_game_as_marss_env_for_it_does() -> None:
    """Tic-tac-toe and connect four by ``mars``, Kuhn and Leduc by ``mars_poker``, both
    Hanabis by ``mars_hanabi``, held-out games included, with the recipe's temperature and
    turn limit for all (the learner samples at that temperature too)."""
    from redqueen.learn.llm.collector import protocol as preset

    recipe = load_recipe(RECIPES / "mars_multigame.yaml")
    made, learner, _ = recipe.configs()
    common = {"temperature": 0.6, "max_turns": 50}
    expected = {
        "tic_tac_toe": preset("mars", **common),
        "connect_four": preset("mars", **common),
        "kuhn_poker": preset("mars_poker", **common),
        "leduc_poker": preset("mars_poker", **common),
        "hanabi": preset("mars_hanabi", **common),
    }
    games = [*recipe.made_games(), *recipe.made_held_out()]
    assert {g.id for g in games} == set(expected)
    for game in games:
        rules = made.for_game(game.id)
        assert dataclasses.replace(rules, games={}) == expected[game.id], game.id
    poker = made.for_game("leduc_poker")
    assert (poker.invalid_reward, poker.invalid_relative_to_stake, poker.draw_reward) == (
        -10.0,
        True,
        0.0,
    )
    assert learner.temperature == 0.6
