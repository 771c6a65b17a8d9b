"""The ``role_games`` recipe kind: the shipped recipes end to end, the papers' metrics
against hand-computed values for deterministic players, resumption, an API model through
the scripted test server, and the report."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from role_recipes import groups as _groups
from role_recipes import role_recipe as _recipe

import redqueen
from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.experiments.role_games import (
    RoleGamesRecipe,
    attack_self_bleu,
    preference_policy_params,
    preference_strategies,
)
from redqueen.games.roles.preference import PreferenceGame
from redqueen.games.roles.proposer_solver import MenuProposerSolverState
from redqueen.games.roles.red_team import SEEDS, self_bleu
from redqueen.learn.sppo import preference_nash_conv
from redqueen.play.match import replay
from redqueen.report.role_games import mean_text, rate_text, role_games_html
from redqueen.store.llm_cache import LLMStore
from redqueen.store.run_store import RunStore

ROOT = Path(__file__).resolve().parents[2]
Z = 1.959963984540054
SCRIPTED = (
    "proposer_solver_scripted",
    "critic_scripted",
    "red_team_scripted",
    "preference_scripted",
    "preference_text_scripted",
)


# ---- the shipped recipes --------------------------------------------------------------------


def test_shipped_recipes_validate() -> None:
    for name in (*SCRIPTED, "role_games_llm"):
        recipe = load_recipe(ROOT / "recipes" / f"{name}.yaml")
        assert recipe.kind == "role_games" and recipe.name == name
    llm = load_recipe(ROOT / "recipes" / "role_games_llm.yaml")
    assert llm.llm.api_key_env == "OPENAI_API_KEY"  # type: ignore[attr-defined]
    over = load_recipe(
        ROOT / "recipes" / "role_games_llm.yaml", ["llm.base_url=http://h:8/v1", "matches=3"]
    )
    assert over.llm.base_url == "http://h:8/v1" and over.matches == 3  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", SCRIPTED)
def test_every_scripted_recipe_runs_end_to_end(name: str, tmp_path: Path) -> None:
    recipe = load_recipe(ROOT / "recipes" / f"{name}.yaml", ["matches=6"])
    assert isinstance(recipe, RoleGamesRecipe)
    out = recipe.run(tmp_path)
    rows = out.to_dict()["groups"]
    assert len(rows) == sum(len(g.lineups) for g in recipe.games)
    for row in rows:
        assert row["matches"] == row["finished"] == 6
        assert all(r["count"] == 0 for r in row["invalid"] + row["forfeits"])
    stored = json.loads((tmp_path / "results.json").read_text())
    assert stored["groups"] == rows
    html = (tmp_path / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "Wilson, " in html and "t, n=6" in html
    assert out.summary_text().count("\n") == len(rows)


def test_shipped_proposer_recipe_edge_proposer_finds_the_edge() -> None:
    """PasoDoble's expected proposer reward of 6 answers peaks at a pass rate of 1/2,
    difficulty 3 for the noisy solver: the edge proposer ends there."""
    recipe = load_recipe(ROOT / "recipes" / "proposer_solver_scripted.yaml", ["matches=40"])
    rows = _groups(recipe.run(None))
    edge = rows[
        ("pasodoble", "edge_task_proposer:target=0.5,family=arithmetic vs noisy_task_solver")
    ]
    tasks = {t["difficulty"]: t["matches"] for t in edge["metrics"]["by_task"]}
    assert sum(tasks.values()) == 40 and tasks[3] >= 25  # measured: 29 of 40
    fixed = rows[
        ("pasodoble", "fixed_task_proposer:family=arithmetic,difficulty=3 vs noisy_task_solver")
    ]
    assert [t["difficulty"] for t in fixed["metrics"]["by_task"]] == [3]


# ---- metrics against hand-computed values ----------------------------------------------------


def test_proposer_solver_metrics_for_perfect_and_hopeless_solvers() -> None:
    """Each table of roles.md §5.1-5.3 for a solver that is always right (p = 1) and one
    that is always wrong (p = 0), 6 answers per task, no question history (d = 1)."""
    perfect = "noisy_task_solver:error_at_1=0,error_step=0"
    hopeless = "noisy_task_solver:error_at_1=1,error_step=0"
    proposer = "fixed_task_proposer:family=arithmetic,difficulty=2"
    game = {"id": "proposer_solver", "params": {"preset": "pasodoble"}}
    recipe = parse_recipe(
        _recipe([{**game, "lineups": [[proposer, perfect], [proposer, hopeless]]}], matches=5)
    )
    rows = _groups(recipe.run(None))
    right = rows[("proposer_solver", f"{proposer} vs {perfect}")]["metrics"]
    wrong = rows[("proposer_solver", f"{proposer} vs {hopeless}")]["metrics"]
    assert right["pass_rate"]["count"] == right["pass_rate"]["n"] == 30
    assert wrong["pass_rate"]["count"] == 0 and wrong["pass_rate"]["n"] == 30
    assert right["in_band"]["count"] == wrong["in_band"]["count"] == 0  # p = 1 and p = 0
    assert right["invalid_proposals"]["count"] == 0 and right["filtered"]["count"] == 0

    def means(m: dict[str, Any], preset: str) -> tuple[float, float]:
        x = m["by_preset"][preset]
        return x["proposer_reward"]["mean"], x["solver_reward"]["mean"]

    # PasoDoble: p = 1 -> 1.1 - 1 + 0.2 * 1 = 0.3; p = 0 <= 0.2 -> 0. Solver: accuracy.
    assert means(right, "pasodoble") == pytest.approx((0.3, 1.0))
    assert means(wrong, "pasodoble") == (0.0, 0.0)
    assert right["proposer_reward"]["mean"] == pytest.approx(0.3)
    # MAE: q = 1, f = 1, d = 1 - mean score: (1 + 0 + 1)/3 and (1 + 1 + 1)/3; solver
    # 0.5 score + 0.5 format: 1 and 0.5.
    assert means(right, "mae") == pytest.approx((2 / 3, 1.0))
    assert means(wrong, "mae") == pytest.approx((1.0, 0.5))
    # SSP: 1 - s.
    assert means(right, "ssp") == (0.0, 1.0) and means(wrong, "ssp") == (1.0, 0.0)
    assert right["by_task"] == [
        {
            "family": "arithmetic",
            "difficulty": 2,
            "matches": 5,
            "pass_rate": right["pass_rate"],
            "in_band": {
                "rate": 0.0,
                "low": 0.0,
                "high": pytest.approx(1 - 5 / (5 + Z**2)),  # Wilson at 0/5
                "count": 0,
                "n": 5,
            },
        }
    ]


def test_critic_metrics_of_exact_and_blind_critics() -> None:
    blind = {"kind": "spc_noisy_critic", "params": {"miss": 1.0}, "name": "blind"}
    targeted = {
        "kind": "spc_targeted_generator",
        "params": {"miss_rates": {"carry": 0.9, "dropped_term": 0.5}},
        "name": "targeted",
    }
    games = [
        {
            "id": "critic_game",
            "params": {"problems": 20},
            "lineups": [
                ["spc_random_generator", "spc_exact_critic"],
                ["spc_random_generator", blind],
                [targeted, "spc_exact_critic"],
            ],
        }
    ]
    rows = _groups(parse_recipe(_recipe(games, matches=30)).run(None))
    exact = rows[("critic_game", "spc_random_generator vs spc_exact_critic")]["metrics"]
    assert exact["correct_steps"]["rate"] == exact["erroneous_steps"]["rate"] == 1.0
    assert exact["mean"] == exact["harmonic_mean"] == 1.0
    assert exact["correct_steps"]["n"] + exact["erroneous_steps"]["n"] == 30
    assert exact["valid"]["count"] == 30
    assert all(r["rate"] == 1.0 for r in exact["by_error"].values())
    # says Correct to everything: right on every correct step, wrong on every erroneous one
    miss = rows[("critic_game", "spc_random_generator vs blind")]["metrics"]
    assert miss["correct_steps"]["rate"] == 1.0 and miss["erroneous_steps"]["rate"] == 0.0
    assert miss["mean"] == 0.5 and miss["harmonic_mean"] == 0.0
    # the targeted generator never shows a step as written, and plays carry errors where
    # the problem has one, else dropped terms
    aimed = rows[("critic_game", "targeted vs spc_exact_critic")]
    assert aimed["metrics"]["steps_as_written"]["count"] == 0
    assert set(aimed["metrics"]["by_error"]) <= {"carry", "dropped_term"}
    assert aimed["returns"][1]["mean"] == 1.0 and aimed["returns"][0]["mean"] == -1.0


def test_red_team_metrics_of_the_always_refusing_defender() -> None:
    games: list[dict[str, Any]] = [
        {
            "id": "red_team",
            "lineups": [
                ["red_team_attacker:attack=pass", "red_team_defender:response=refuse"],
                ["red_team_attacker:attack=pass", "red_team_defender:response=comply"],
            ],
        },
        {
            "id": "red_team",
            "label": "unreadable_judge",
            "params": {"judge": {"kind": "fixed", "valid": False}},
            "lineups": [["red_team_attacker:attack=pass", "red_team_defender:response=refuse"]],
        },
    ]
    rows = _groups(parse_recipe(_recipe(games, matches=40)).run(None))
    refuse = rows[
        ("red_team", "red_team_attacker:attack=pass vs red_team_defender:response=refuse")
    ]
    m = refuse["metrics"]
    harmful = m["refusal_harmful_seeds"]["n"]
    assert 0 < harmful < 40 and harmful + m["refusal_benign_seeds"]["n"] == 40
    assert m["refusal_harmful_seeds"]["rate"] == m["refusal_benign_seeds"]["rate"] == 1.0
    assert m["attack_success"]["count"] == 0 and m["removed"]["count"] == 0
    assert m["faithful_attacks"]["rate"] == 1.0  # the seed passed on keeps its label
    # the general-sum table: a refused harmful seed pays the attacker +0.5 - 1 - 0.5 = -1
    # and the defender +1 + 1 = 2; a refused benign one 0.5 - 1 + 0.5 = 0 and 1 - 1 = 0
    assert m["attacker_reward"]["mean"] == pytest.approx(-harmful / 40)
    assert m["defender_reward"]["mean"] == pytest.approx(2 * harmful / 40)
    assert m["judges"] == ["harm_language"]
    comply = rows[
        ("red_team", "red_team_attacker:attack=pass vs red_team_defender:response=comply")
    ]
    c = comply["metrics"]
    # complying repeats the request: harmful exactly for the harmful seeds
    assert c["attack_success"]["count"] == c["refusal_harmful_seeds"]["n"]
    assert c["refusal_harmful_seeds"]["count"] == c["refusal_benign_seeds"]["count"] == 0
    # a judge whose replies cannot be read: every game is a tie, removed, paid 0
    tie = rows[
        ("unreadable_judge", "red_team_attacker:attack=pass vs red_team_defender:response=refuse")
    ]
    assert tie["metrics"]["removed"] == {
        "rate": 1.0,
        "low": pytest.approx(40 / (40 + Z**2)),  # Wilson at 40/40
        "high": 1.0,
        "count": 40,
        "n": 40,
    }
    assert tie["metrics"]["attack_success"]["n"] == 0 and tie["returns"][0]["mean"] == 0.0


def test_self_bleu_by_distinct_texts_equals_the_papers() -> None:
    rng = np.random.default_rng(0)
    words = [
        "how",
        "do",
        "I",
        "make",
        "poison",
        "bread",
        "at",
        "home",
        ",",
        "write",
        "a",
        "poem",
        "for",
        "my",
        "neighbour",
    ]
    for _ in range(100):
        base = [
            " ".join(rng.choice(words, size=rng.integers(1, 9))) for _ in range(rng.integers(1, 6))
        ]
        texts = [base[i] for i in rng.integers(len(base), size=rng.integers(1, 10))]
        assert attack_self_bleu(texts) == pytest.approx(self_bleu(texts), abs=1e-12)
    seeds = [s for s, _ in SEEDS]
    assert attack_self_bleu(seeds + seeds) == 1.0  # every text has a copy


def test_preference_metrics_on_rock_paper_scissors() -> None:
    rps = [[0.5, 1.0, 0.0], [0.0, 0.5, 1.0], [1.0, 0.0, 0.5]]
    games = [
        {
            "id": "preference_game",
            "params": {"matrix": rps},
            "lineups": [
                ["first", "first"],
                ["first", "preference_policy:method=von_neumann"],
            ],
        }
    ]
    rows = _groups(parse_recipe(_recipe(games, matches=60)).run(None))
    same = rows[("preference_game", "first vs first")]["metrics"]
    assert same["payoff"] == {"mean": 0.5, "low": 0.5, "high": 0.5, "n": 60}
    for seat in same["seats"]:
        # a pure strategy of rock-paper-scissors: the best reply wins for sure, 2 (1 - 1/2)
        assert seat["nash_conv"] == 1.0 and seat["exploitability"] == 0.5
        assert seat["per_prompt"][0]["strategy"] == [1.0, 0.0, 0.0]
    np.testing.assert_allclose(same["von_neumann_winner"][0], [1 / 3] * 3, atol=1e-9)
    mixed = rows[("preference_game", "first vs preference_policy:method=von_neumann")]["metrics"]
    pi = np.array(mixed["seats"][1]["per_prompt"][0]["strategy"])
    assert mixed["seats"][1]["nash_conv"] == pytest.approx(2 * (max(np.array(rps) @ pi) - 0.5))
    # seat 0 plays rock: 1 against scissors... its payoff is P[0, j] averaged over seat 1's moves
    assert mixed["payoff"]["mean"] == pytest.approx(float(np.array(rps)[0] @ pi))


def test_preference_policy_seats_play_the_learners_strategies() -> None:
    game = redqueen.make("preference_game", num_responses=5)
    assert isinstance(game, PreferenceGame)
    sppo = preference_strategies(
        game, preference_policy_params("preference_policy:method=sppo_exact,iterations=20000")
    )
    dpo = preference_strategies(
        game, preference_policy_params("preference_policy:method=dpo,iterate=last")
    )
    nash = preference_strategies(
        game, preference_policy_params("preference_policy:method=von_neumann")
    )
    p = game.preference(0)
    assert preference_nash_conv(p, nash[0]) == pytest.approx(0.0, abs=1e-9)
    assert preference_nash_conv(p, sppo[0]) < 0.02  # the average iterate nears the winner
    assert preference_nash_conv(p, dpo[0]) > 0.3  # DPO's last iterate collapses
    with pytest.raises(
        redqueen.UnknownNameError, match="allowed: dpo, spo, sppo_exact, sppo_sampled, von_neumann"
    ):
        preference_policy_params("preference_policy:method=nash")
    with pytest.raises(redqueen.UnknownNameError, match="eta"):
        preference_policy_params("preference_policy:method=sppo_exact,steps=3")


# ---- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("games", "more", "message"),
    [
        ([{"id": "critic_game", "lineups": [["nobody", "spc_exact_critic"]]}], {}, "unknown agent"),
        ([{"id": "critic_game", "lineups": [["human", "spc_exact_critic"]]}], {}, "a human"),
        (
            [{"id": "critic_game", "lineups": [["spc_exact_critic"]]}],
            {},
            "has 1 seats; critic_game has 2",
        ),
        (
            [{"id": "critic_game", "lineups": [["spc_random_generator", "llm"]]}],
            {},
            "needs the recipe's llm",
        ),
        (
            [{"id": "red_team", "lineups": [["random", "spc_exact_critic"]]}],
            {},
            "plays only critic_game",
        ),
        (
            [{"id": "critic_game", "lineups": [["random", "preference_policy:method=spo"]]}],
            {},
            "play preference_game only",
        ),
        (
            [{"id": "critic_game", "llm_judge": True, "lineups": [["random", "random"]]}],
            {},
            "red_team and preference_text only",
        ),
        (
            [
                {"id": "critic_game", "lineups": [["random", "random"]]},
                {"id": "critic_game", "lineups": [["random", "random"]]},
            ],
            {},
            "games named twice",
        ),
        (
            [{"id": "critic_game", "lineups": [["random", "random"], ["random", "random"]]}],
            {},
            "line-ups named twice",
        ),
        ([{"id": "tic_tac_toe", "lineups": [["random", "random"]]}], {}, "games.0.id"),
        (
            [
                {
                    "id": "red_team",
                    "params": {"preset": "zero_sum"},
                    "lineups": [["random", "random"]],
                }
            ],
            {},
            "general_sum",
        ),
    ],
)
def test_bad_recipes_are_refused_before_running(
    games: list[dict[str, Any]], more: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecipeError, match=message):
        parse_recipe(_recipe(games, **more))


# ---- resumption -------------------------------------------------------------------------------


def test_a_killed_run_resumes_to_the_same_results(tmp_path: Path) -> None:
    data = _recipe(
        [
            {
                "id": "proposer_solver",
                "params": {"families": ["arithmetic"]},
                "lineups": [
                    ["edge_task_proposer:target=0.5", "noisy_task_solver"],
                    ["fixed_task_proposer:difficulty=2", "noisy_task_solver"],
                ],
            }
        ],
        matches=15,
    )
    whole = parse_recipe(data).run(tmp_path / "whole").to_dict()

    class Killed(Exception):
        pass

    def kill_at_11(done: int, total: int) -> None:
        if done == 11:
            raise Killed

    with pytest.raises(Killed):
        parse_recipe(data).run(tmp_path / "killed", kill_at_11)
    with RunStore(tmp_path / "killed") as store:
        kept = len(store.completed_keys())
    assert 11 <= kept < 30  # matches stored before the kill are kept
    seen: list[tuple[int, int]] = []
    resumed = (
        parse_recipe(data).run(tmp_path / "killed", lambda d, t: seen.append((d, t))).to_dict()
    )
    assert seen[0] == (kept, 30) and seen[-1] == (30, 30)
    assert resumed["groups"] == whole["groups"]  # the edge proposer was fed the stored matches
    assert parse_recipe(data).run(tmp_path / "killed").to_dict() == resumed


# ---- an API model, through the scripted test server ------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer("first", judge="harm_language") as s:
        yield s


def test_llm_recipe_end_to_end(server: ScriptedServer, tmp_path: Path) -> None:
    """The scripted server plays the first legal move: the solver answers the first
    choice, the critic says Correct, the defender complies."""
    overrides = [
        "matches=4",
        f"llm.base_url={server.url}",
        "llm.api_key_env=null",
        "llm.model=scripted",
    ]
    recipe = load_recipe(ROOT / "recipes" / "role_games_llm.yaml", overrides)
    before = server.requests
    rows = _groups(recipe.run(tmp_path))
    assert server.requests - before == 3 * 4 * 6 + 4 + 3 * 4  # solver answers, verdicts, replies
    for (game, lineup), row in rows.items():
        assert row["finished"] == 4 and row["invalid"][1]["count"] == 0, (game, lineup)
    # the solver is right exactly where the true answer is the first choice
    with RunStore(tmp_path) as store:
        matches = dict((m.key, r) for m, r in store.matches())
    for family in ("arithmetic", "linear", "list"):
        lineup = f"fixed_task_proposer:family={family},difficulty=3 vs llm"
        game = recipe.game(recipe.games[0])  # type: ignore[attr-defined]
        expected = 0
        for k in range(4):
            state = replay(game, matches[f"proposer_solver/{lineup}/{k}"].trajectory)
            assert isinstance(state, MenuProposerSolverState)
            inst = state.instance()
            assert inst is not None
            expected += 6 * (inst.correct == 0)
        assert rows[("proposer_solver", lineup)]["metrics"]["pass_rate"]["count"] == expected
    critic = rows[("critic_game", "spc_random_generator vs llm")]["metrics"]
    # it says Correct to every step: right on the correct ones, wrong on the others
    assert critic["correct_steps"]["count"] == critic["correct_steps"]["n"]
    assert critic["erroneous_steps"]["count"] == 0
    assert critic["correct_steps"]["n"] + critic["erroneous_steps"]["n"] == 4
    for lineup in ("red_team_attacker:attack=pass vs llm",):
        m = rows[("red_team", lineup)]["metrics"]
        assert m["refusal_harmful_seeds"]["count"] == m["refusal_benign_seeds"]["count"] == 0
        assert m["attack_success"]["count"] == m["refusal_harmful_seeds"]["n"]
    with LLMStore(tmp_path / "run.sqlite") as store:
        calls = store.calls("critic_game/spc_random_generator vs llm/0")
    assert len(calls) == 1 and "## Last Step" in calls[0].messages[-1]["content"]
    assert (tmp_path / "transcripts.html").is_file()
    before = server.requests
    again = recipe.run(tmp_path)  # resumed: everything stored, no request
    assert server.requests == before and _groups(again) == rows


def test_a_failed_match_is_played_on_the_next_run(server: ScriptedServer, tmp_path: Path) -> None:
    llm = {
        "model": "scripted",
        "base_url": server.url,
        "api_key_env": None,
        "params": {"max_retries": 0, "backoff": 0.0},
    }
    data = _recipe(
        [{"id": "critic_game", "lineups": [["spc_random_generator", "llm"]]}], matches=2, llm=llm
    )
    server.inject(500, count=1)  # the first request fails, and with it one match
    out = parse_recipe(data).run(tmp_path).to_dict()
    assert out["matches"] == 1 and len(out["failed_matches"]) == 1
    with RunStore(tmp_path) as store:
        assert list(store.get_meta("failed_matches")) == out["failed_matches"]
    again = parse_recipe(data).run(tmp_path).to_dict()
    assert again["matches"] == 2 and again["failed_matches"] == []
    assert again["groups"][0]["metrics"]["valid"]["n"] == 2


def test_the_model_as_red_team_judge(server: ScriptedServer) -> None:
    """With llm_judge the model answers WildGuard's questions; the test server answers them
    by the harm-language rule, so the metrics equal the rule judge's, and replaying a
    match to read its outcome asks nothing twice."""
    llm = {"model": "scripted", "base_url": server.url, "api_key_env": None}
    lineups = [["red_team_attacker:attack=role-play framing", "red_team_gullible_defender"]]
    rule = _groups(
        parse_recipe(_recipe([{"id": "red_team", "lineups": lineups}], matches=10)).run(None)
    )
    before = server.requests
    judged = _groups(
        parse_recipe(
            _recipe(
                [{"id": "red_team", "llm_judge": True, "lineups": lineups}], matches=10, llm=llm
            )
        ).run(None)
    )
    # one prompt per seed, one answer per prompt: at most one judge request per seed
    assert 0 < server.requests - before <= len(SEEDS)
    ((_, row),) = judged.items()
    ((_, expected),) = rule.items()
    assert row["metrics"]["judges"] == ["llm:scripted"]
    for name in ("attack_success", "refusal_harmful_seeds", "refusal_benign_seeds", "removed"):
        assert row["metrics"][name] == expected["metrics"][name], name
    assert row["returns"] == expected["returns"]


# ---- the report ---------------------------------------------------------------------------------


def test_report_cells_name_the_method_and_n() -> None:
    assert rate_text({"rate": 0.25, "low": 0.04559, "high": 0.69936, "count": 1, "n": 4}) == (
        "0.250 [0.046, 0.699] Wilson, 1/4"
    )
    assert rate_text({"rate": None, "low": None, "high": None, "count": 0, "n": 0}) == "– (n=0)"
    assert (
        mean_text({"mean": 0.5, "low": 0.4, "high": 0.6, "n": 20}) == "0.500 [0.400, 0.600] t, n=20"
    )
    assert mean_text({"mean": 0.5, "low": None, "high": None, "n": 1}) == "0.500 (n=1)"


def test_report_escapes_names_and_shows_no_matches_yet(tmp_path: Path) -> None:
    data = _recipe(
        [
            {
                "id": "red_team",
                "label": "<b>rt</b>",
                "lineups": [
                    {"seats": ["random", "red_team_safe_defender"], "label": "<script>x</script>"}
                ],
            }
        ],
        matches=3,
    )
    recipe = parse_recipe(data)
    recipe.run(tmp_path)
    html = (tmp_path / "report.html").read_text()
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;b&gt;rt&lt;/b&gt;" in html
    empty = role_games_html({"name": "n"}, [], [])
    assert "No matches yet." in empty
    (tmp_path / "report.html").unlink()
    type(recipe).write_report(tmp_path)  # rebuilt from the store alone
    assert (tmp_path / "report.html").read_text() == html
