"""The donor-game evolution loop, the scripted social strategies it evolves, and the
``donor_evolution`` and ``commons_norms`` recipes at tiny sizes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import redqueen
from redqueen.agents.social import (
    CommonsAgent,
    CommonsStrategy,
    DonorAgent,
    ReciprocityStrategy,
    donor_strategy,
)
from redqueen.cli import app
from redqueen.errors import InvalidParameterError, UnknownNameError
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.experiments.social import best_symmetric_welfare
from redqueen.games.commons import CommonsGame, CommonsState
from redqueen.games.donor import DonorGame, DonorState, DonorView
from redqueen.learn.donor_evolution import (
    DonorEvolutionConfig,
    evolve_donors,
    generation_stats,
    initial_population,
    mutate,
)
from redqueen.play.match import play_match, replay

RECIPES = Path(__file__).resolve().parents[2] / "recipes"


def donor_view(state: DonorState) -> DonorView:
    view = state.information_state_key(state.current_player())
    assert isinstance(view, DonorView)
    return view


def test_reciprocity_strategies_judge_the_trace() -> None:
    game = redqueen.make("donor_game", num_agents=3, rounds=3, punishment=2.0)
    assert isinstance(game, DonorGame)
    state = game.new_initial_state()
    assert isinstance(state, DonorState)
    scorer, judge = donor_strategy("image_scorer"), donor_strategy("stern_judge")
    punisher = donor_strategy("punisher")
    # no history: everyone is judged good
    assert scorer.choose(game, donor_view(state)) == game.give_action(0.5)
    state.apply_action(0)  # 0 refuses 1 (1 had no history: an unjustified refusal)
    state.apply_action(game.give_action(0.5))  # 1 gives to 2
    # agent 2 now decides about agent 0, whose last act was a refusal of agent 1
    view = donor_view(state)
    assert view.recipient == 0
    assert scorer.choose(game, view) == game.give_action(0.0)
    assert judge.choose(game, view) == game.give_action(0.0)  # 1 had no bad record
    assert punisher.choose(game, view) == game.punish_action(0.2)
    state.apply_action(0)  # 2 refuses 0: justified, 0 had refused
    state.apply_action(game.give_action(0.5))  # round 2: 0 gives to 2
    # round 2 is the shift by 2: agent 1 decides about agent 0
    view = donor_view(state)
    assert (view.donor, view.recipient) == (1, 0)
    assert scorer.choose(game, view) == game.give_action(0.5)  # 0 just gave 50%
    state.apply_action(0)  # 1 refuses 0 (unjustified: 0 gave)
    state.apply_action(0)  # 2 refuses 1
    # round 3 (shift 1 again): 0 decides about 1, whose last act refused 0, who had given
    view = donor_view(state)
    assert (view.donor, view.recipient) == (0, 1)
    assert not judge.cooperates_with(view)
    # a refusal aimed at a defector is good standing, but bad image
    state.apply_action(0)  # 0 refuses 1
    view = donor_view(state)  # 1 decides about 2, whose last act refused 1 (who refused 0)
    assert (view.donor, view.recipient) == (1, 2)
    assert judge.cooperates_with(view) and not scorer.cooperates_with(view)


def test_strategy_parameters_are_checked() -> None:
    with pytest.raises(InvalidParameterError, match=r"give must be a fraction in \[0, 1\]"):
        ReciprocityStrategy(give=1.5)
    with pytest.raises(UnknownNameError, match="allowed: cooperator, defector"):
        donor_strategy("saint")
    with pytest.raises(redqueen.RedqueenError, match="cannot play"):
        DonorAgent("cooperator").check_game(redqueen.make("tic_tac_toe"))


def test_commons_strategies() -> None:
    game = redqueen.make("commons", num_agents=3, vote_every=1, rounds=2)
    assert isinstance(game, CommonsGame)
    agents = [
        CommonsAgent(CommonsStrategy(effort=0.6, propose=0.1)),
        CommonsAgent("norm_follower"),
        CommonsAgent("conditional"),
    ]
    result = play_match(game, agents, seed=0)
    state = replay(game, result.trajectory)
    assert isinstance(state, CommonsState)
    # votes: 0.1, 0.2, 0.3 -> norm 0.2; round 1 efforts 0.6, 0.2 (norm), 0.2 (first round)
    assert state.votes()[0] == (1, 2, 3)
    first, second = state.records()
    assert first.efforts == pytest.approx((0.6, 0.2, 0.2))
    # round 2: the conditional agent plays the lower median of (0.6, 0.2, 0.2)
    assert second.efforts == pytest.approx((0.6, 0.2, 0.2))


def test_mutation_and_initial_population() -> None:
    s = donor_strategy("image_scorer")
    rng = np.random.default_rng(0)
    assert mutate(s, 0.0, rng) is s
    m = mutate(s, 5.0, rng)
    assert all(0.0 <= x <= 1.0 for x in (m.give, m.threshold, m.otherwise, m.punish))
    assert m.punish == 0.0  # a strategy that never punishes keeps never punishing
    pop = initial_population(["cooperator", s], 5)
    assert [p.label() for p in pop] == ["cooperator", "image_scorer"] * 2 + ["cooperator"]


def test_generation_stats_by_hand() -> None:
    game = redqueen.make("donor_game", num_agents=2, rounds=2, punishment=1.0, donation_levels=5)
    assert isinstance(game, DonorGame)
    state = game.new_initial_state()
    assert isinstance(state, DonorState)
    state.apply_action(game.give_action(0.5))  # 0 gives 5 -> (5, 20)
    state.apply_action(game.punish_action(0.25))  # 1 spends 5, removes 5 from 0 -> (0, 15)
    state.apply_action(game.give_action(1.0))  # 0 gives 0
    state.apply_action(game.give_action(0.0))
    stats = generation_stats(0, state, [donor_strategy("cooperator")] * 2)
    assert stats.resources == (0.0, 15.0)
    assert stats.donation_rate == pytest.approx((0.5 + 0 + 1.0 + 0) / 4)
    assert stats.cooperation_rate == 0.5
    assert stats.gini == pytest.approx(0.5)
    assert stats.punishment_rate == 0.25
    assert stats.antisocial_punishment == 1.0  # 0 had just given 50%
    assert stats.counts == {"cooperator": 2}


def test_defectors_take_over_without_reciprocity() -> None:
    """From half and half, defectors hold all six places by the last of six generations
    from each of three seeds (seeds 0-9 all take over by generation 1)."""
    for seed in (3, 4, 5):
        config = DonorEvolutionConfig(
            generations=6, num_agents=6, rounds=5, mutation=0.0, seed=seed, donation_levels=3
        )
        history = evolve_donors(config, ["cooperator", "defector"])
        assert history[0].counts == {"cooperator": 3, "defector": 3}
        assert history[-1].counts == {"defector": 6}, seed
        assert history[-1].donation_rate == 0.0 and history[-1].mean_resources == 10.0
        assert all(sum(h.counts.values()) == 6 for h in history)
    again = evolve_donors(config, ["cooperator", "defector"])
    assert [h.to_dict() for h in again] == [h.to_dict() for h in history]


def test_config_errors() -> None:
    with pytest.raises(InvalidParameterError, match="survive_fraction"):
        DonorEvolutionConfig(survive_fraction=0.0)
    with pytest.raises(InvalidParameterError, match="endowment"):
        DonorEvolutionConfig(endowment=-5.0)


def test_best_symmetric_welfare() -> None:
    game = redqueen.make("commons", preset="rich", num_agents=2, rounds=1)
    assert isinstance(game, CommonsGame)
    # one round: taking everything (100) is best, and the collapse does not matter
    assert best_symmetric_welfare(game) == 100.0


def test_recipe_files_validate() -> None:
    donor = load_recipe(RECIPES / "donor_game_scripted.yaml")
    commons = load_recipe(RECIPES / "commons_norms.yaml")
    assert donor.kind == "donor_evolution" and commons.kind == "commons_norms"


def test_recipe_errors() -> None:
    with pytest.raises(RecipeError, match="unknown donor strategy 'saint'"):
        parse_recipe({"name": "x", "kind": "donor_evolution", "population": ["saint"]})
    with pytest.raises(RecipeError, match="unknown commons strategy 'hoarder'"):
        parse_recipe({"name": "x", "kind": "commons_norms", "populations": {"a": ["hoarder"]}})
    with pytest.raises(RecipeError, match="monitoring"):
        parse_recipe(
            {"name": "x", "kind": "commons_norms", "populations": {"a": ["greedy"]},
             "monitoring": 2.0}
        )  # fmt: skip


def test_tiny_recipes_run_resume_and_report(tmp_path: Path) -> None:
    donor = tmp_path / "donor.yaml"
    donor.write_text(
        "name: d\nkind: donor_evolution\npopulation: [cooperator, defector, image_scorer]\n"
        "generations: 3\nruns: 2\nnum_agents: 6\nrounds: 5\npunishment: 2.0\n"
    )
    commons = tmp_path / "commons.yaml"
    commons.write_text(
        "name: c\nkind: commons_norms\nrounds: 4\nmatches: 2\n"
        "populations: {all_greedy: [greedy, greedy], mixed: [sustainable, norm_follower]}\n"
    )
    runner = CliRunner()
    for recipe, out in ((donor, tmp_path / "d"), (commons, tmp_path / "c")):
        first = runner.invoke(app, ["run", str(recipe), "--out", str(out), "--json"])
        assert first.exit_code == 0, first.output
        again = runner.invoke(app, ["run", str(recipe), "--out", str(out), "--json"])
        assert json.loads(again.stdout) == json.loads(first.stdout)
        html = (out / "report.html").read_text()
        assert html.startswith("<!doctype html>") and "<svg" in html and "<table>" in html
    cells = json.loads(first.stdout)["cells"]
    assert len(cells) == 2 * 3 * 2  # presets x institutions x populations
    greedy = next(c for c in cells if c["population"] == "all_greedy")
    assert greedy["collapse_rate"] == 1.0 and greedy["mean_collapse_round"] == 1.0


def test_a_killed_recipe_resumes_without_redoing_or_duplicating(tmp_path: Path) -> None:
    """Kill after the runs and cells were stored but before the result was: the rerun
    reuses them and logs no metric twice."""
    import sqlite3

    donor = tmp_path / "donor.yaml"
    donor.write_text(
        "name: d\nkind: donor_evolution\npopulation: [cooperator, defector]\n"
        "generations: 2\nruns: 2\nnum_agents: 4\nrounds: 3\n"
    )
    commons = tmp_path / "commons.yaml"
    commons.write_text(
        "name: c\nkind: commons_norms\nrounds: 3\nmatches: 1\npresets: [rich]\n"
        "institutions: [none]\npopulations: {g: [greedy, greedy]}\n"
    )
    runner = CliRunner()
    for recipe, out in ((donor, tmp_path / "d"), (commons, tmp_path / "c")):
        first = runner.invoke(app, ["run", str(recipe), "--out", str(out), "--json"])
        assert first.exit_code == 0, first.output
        db = out / "run.sqlite"
        with sqlite3.connect(db) as conn:
            rows = conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
            conn.execute("DELETE FROM meta WHERE key='result'")  # as if killed just before
        assert rows > 0
        again = runner.invoke(app, ["run", str(recipe), "--out", str(out), "--json"])
        assert again.exit_code == 0, again.output
        with sqlite3.connect(db) as conn:
            assert conn.execute("SELECT COUNT(*) FROM metrics").fetchone()[0] == rows
        keep = ("runs", "cells")
        a, b = json.loads(first.stdout), json.loads(again.stdout)
        assert [a.get(k) for k in keep] == [b.get(k) for k in keep]
