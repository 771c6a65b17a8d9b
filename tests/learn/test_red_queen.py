"""The Digital Red Queen loop: the built-in operators make valid warriors, MAP-Elites
keeps the best warrior per cell, each champion is scored against every earlier one (the
paper's survival-share fitness), runs repeat from their seed and resume after a kill, the
LLM generator counts invalid code, generality and diversity measures, and the recipe."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from redqueen.cli import app
from redqueen.experiments import RECIPE_KINDS, RecipeError, load_recipe, parse_recipe
from redqueen.experiments.red_queen import RedQueenRecipe, backend_complete
from redqueen.games.corewar import Warrior, assemble
from redqueen.learn import red_queen as drq
from redqueen.learn.red_queen import (
    MUTATIONS,
    Archive,
    BattleSettings,
    Elite,
    LLMGenerator,
    MutationGenerator,
    RedQueenConfig,
    code_distance,
    crossover,
    diversity,
    edit_distance,
    extract_code,
    generality,
    load_archive,
    load_rounds,
    log_bin,
    map_elites,
    red_queen,
)
from redqueen.store.run_store import RunStore

ROOT = Path(__file__).resolve().parents[2]

TINY = {
    "coresize": 800,
    "cycles": 800,
    "processes": 64,
    "max_length": 20,
    "min_distance": 20,
    "rounds": 2,
    "initial_population": 4,
    "iterations": 12,
    "batch_size": 4,
    "battle_rounds": 2,
    "versus_rounds": 2,
    "held_out_rounds": 2,
    "new_max_length": 6,
    "value_range": 16,
}

IMP = "MOV.I $0, $1\n"
SUICIDE = "DAT.F #0, #0\n"


def tiny(**changes: Any) -> RedQueenConfig:
    return RedQueenConfig(**{**TINY, **changes})


def settings_of(config: RedQueenConfig) -> BattleSettings:
    return BattleSettings.of(config)


def run_dict(result: drq.RedQueenResult) -> list[dict[str, Any]]:
    rounds = [r.to_dict() for r in result.rounds]
    for r in rounds:
        r.pop("seconds")
    return rounds


# ---- operators ----------------------------------------------------------------------------


def test_operators_make_valid_warriors() -> None:
    """Every warrior made or varied is within the limits and assembles back to itself."""
    config = tiny(max_length=8, new_max_length=8)
    gen = MutationGenerator(config)
    settings = settings_of(config)
    rng = np.random.default_rng(1)
    pool = [gen.new(rng) for _ in range(20)]
    for k in range(400):
        a = pool[int(rng.integers(len(pool)))]
        b = pool[int(rng.integers(len(pool)))] if k % 3 == 0 else None
        child, origin = gen.vary(a, b, rng)
        assert origin == ("crossover" if b is not None else "mutate")
        pool.append(child)
    for w in pool:
        assert 1 <= len(w) <= 8
        assert 0 <= w.start < len(w)
        for ins in w.instructions:
            assert 0 <= ins.a_value < 800 and 0 <= ins.b_value < 800
        assert settings.assemble(w.to_source()) == w
    assert gen.invalid == 0
    # The pool is varied: many distinct programs and every length from 1 to 8.
    assert len({w.instructions for w in pool}) > 300
    assert {len(w) for w in pool} == set(range(1, 9))


def test_each_mutation_changes_what_it_names() -> None:
    gen = MutationGenerator(tiny())
    rng = np.random.default_rng(7)
    parent = gen.new(rng)
    while len(parent) < 3:
        parent = gen.new(rng)
    fields = ("opcode", "modifier", "a_mode", "a_value", "b_mode", "b_value")
    for op in MUTATIONS:
        changed = 0
        for _ in range(30):
            child = gen.mutate(parent, op, rng)
            old, new = parent.instructions, child.instructions
            if op in fields:
                assert len(new) == len(old)
                diffs = [
                    (i, f)
                    for i, (x, y) in enumerate(zip(old, new, strict=True))
                    for f in fields
                    if getattr(x, f) != getattr(y, f)
                ]
                assert all(f == op for _, f in diffs) and len(diffs) <= 1
                changed += len(diffs)
            elif op == "delete":
                assert len(new) == len(old) - 1
                assert any(new == old[:i] + old[i + 1 :] for i in range(len(old)))
            elif op == "duplicate":
                assert len(new) == len(old) + 1
                assert any(new == old[: i + 1] + old[i:] for i in range(len(old)))
            else:  # insert
                assert len(new) == len(old) + 1
                assert any(new[:i] + new[i + 1 :] == old for i in range(len(new)))
            # The start follows its instruction when lines move before it.
            if op in ("delete", "duplicate", "insert") and len(new) > len(old):
                assert new[child.start] == old[parent.start]
        if op in fields:  # a field mutation that never changes its field would be a no-op
            assert changed > 0, f"{op}: 30 mutations changed nothing"
    with pytest.raises(drq.InvalidParameterError, match="unknown mutation 'swap'; allowed"):
        gen.mutate(parent, "swap", rng)


def test_one_point_crossover_is_a_prefix_then_a_suffix() -> None:
    gen = MutationGenerator(tiny())
    rng = np.random.default_rng(3)
    a, b = gen.new(rng), gen.new(rng)
    cuts = set()
    for _ in range(200):
        child = crossover(a, b, rng)
        n = len(child)
        splits = [
            (i, j)
            for i in range(len(a) + 1)
            for j in range(len(b) + 1)
            if a.instructions[:i] + b.instructions[j:] == child.instructions
        ]
        assert splits or child.instructions == a.instructions[:1]
        assert 0 <= child.start < n
        cuts.update(splits)
    assert len(cuts) > 5


# ---- MAP-Elites ---------------------------------------------------------------------------


def test_log_bins() -> None:
    assert log_bin(0, 8000, 8) == 0
    assert log_bin(8000, 8000, 8) == 7
    assert log_bin(10**6, 8000, 8) == 7
    assert log_bin(1, 8000, 8) == 0  # log 2 / log 8001 = 0.077 of the way
    assert log_bin(89, 8000, 8) == 4  # log 90 / log 8001 = 0.5006 -> 4.005
    assert log_bin(88, 8000, 8) == 3  # log 89 / log 8001 = 0.4994 -> 3.995
    assert log_bin(5, 8000, 1) == 0


def _elite(fitness: float, cell: tuple[int, int], index: int) -> Elite:
    w = assemble(IMP)
    return Elite(w, w.to_source(), fitness, 1.0, 1.0, cell, "new", index)


def test_archive_keeps_the_best_per_cell_and_incumbents_on_ties() -> None:
    archive = Archive(4, 4, 64, 800)
    assert archive.offer(_elite(0.2, (0, 1), 0))
    assert not archive.offer(_elite(0.1, (0, 1), 1))
    assert not archive.offer(_elite(0.2, (0, 1), 2))  # a tie keeps the incumbent
    assert archive.offer(_elite(0.5, (0, 1), 3))
    assert archive.offer(_elite(0.5, (2, 0), 4))
    assert [(e.cell, e.index) for e in archive.elites()] == [((0, 1), 3), ((2, 0), 4)]
    assert archive.best().index == 3  # equal fitness: the earlier one


def test_map_elites_keeps_the_best_of_every_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Warrior, drq.Evaluation]] = []
    real = drq.evaluate

    def spy(w: Warrior, *args: Any) -> drq.Evaluation:
        ev = real(w, *args)
        seen.append((w, ev))
        return ev

    monkeypatch.setattr(drq, "evaluate", spy)
    config = tiny(iterations=24, initial_population=6)
    opponents = [assemble(IMP, coresize=800)]
    archive, stats = map_elites(
        MutationGenerator(config), opponents, config, np.random.default_rng(0), 11
    )
    assert stats.evaluated == len(seen) == 30 and stats.invalid == 0
    best: dict[tuple[int, int], float] = {}
    for _, ev in seen:
        cell = archive.cell(ev.processes, ev.coverage)
        best[cell] = max(best.get(cell, -1.0), ev.fitness)
    assert {e.cell: e.fitness for e in archive.elites()} == best
    for e in archive.elites():  # the first candidate to reach its cell's best is kept
        first = next(
            i
            for i, (_, ev) in enumerate(seen)
            if archive.cell(ev.processes, ev.coverage) == e.cell and ev.fitness == e.fitness
        )
        assert e.index == first and seen[first][0] == e.warrior
    assert archive.best().fitness == max(best.values())


# ---- the loop -----------------------------------------------------------------------------


def test_each_champion_is_scored_against_all_earlier_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[Warrior, tuple[Warrior, ...]]] = []
    real = drq.evaluate

    def spy(w: Warrior, opponents: Any, *args: Any) -> drq.Evaluation:
        calls.append((w, tuple(opponents)))
        return real(w, opponents, *args)

    monkeypatch.setattr(drq, "evaluate", spy)
    config = tiny(rounds=3)
    result = red_queen(config)
    champions = result.champions
    assert len(result.rounds) == 4 and champions[0] == assemble(drq.DWARF, coresize=800)
    assert calls[0] == (champions[0], ())  # w0 alone
    per_round = 1 + 4 + 12  # (earlier champions re-scored) + new + children
    k = 1
    for t in range(1, 4):
        n = per_round + t - 1
        block = calls[k : k + n]
        k += n
        assert all(opponents == tuple(champions[:t]) for _, opponents in block)
        record = result.rounds[t]
        assert record.opponents == t and record.evaluated == n
        assert len(record.versus) == t
        assert all(sum(v) == config.versus_rounds for v in record.versus)
        # Its fitness is its survival share in one core with every earlier champion.
        champion = record.champion
        again = real(
            champion.warrior,
            champions[:t],
            settings_of(config),
            config.battle_rounds,
            drq._seed(drq._seed(config.seed, t, 1), champion.index),
        )
        assert champion.fitness == again.fitness
        assert 0.0 <= champion.fitness <= 1.0
        assert champion.fitness >= record.mean_elite_fitness
    assert k == len(calls)


def test_history_length_limits_the_opponents(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    real = drq.evaluate

    def spy(w: Warrior, opponents: Any, *args: Any) -> drq.Evaluation:
        seen.append(len(opponents))
        return real(w, opponents, *args)

    monkeypatch.setattr(drq, "evaluate", spy)
    result = red_queen(tiny(rounds=3, history=1, iterations=4, seed_with_champions=False))
    assert [r.opponents for r in result.rounds] == [0, 1, 1, 1]
    assert set(seen[1:]) == {1}


def test_same_seed_same_run_other_seed_other_run() -> None:
    a = red_queen(tiny(seed=5))
    b = red_queen(tiny(seed=5))
    c = red_queen(tiny(seed=6))
    assert run_dict(a) == run_dict(b)
    assert run_dict(a) != run_dict(c)


def test_workers_do_not_change_the_result() -> None:
    config = tiny(rounds=1, iterations=8)
    assert run_dict(red_queen(config, workers=2)) == run_dict(red_queen(config))


class Killed(Exception):
    pass


def test_resume_after_a_kill_gives_the_uninterrupted_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tiny(rounds=3)
    with RunStore(tmp_path / "whole") as store:
        whole = red_queen(config, store=store)
        whole_archives = [[e.to_dict() for e in load_archive(store, t)] for t in range(4)]
    real = drq.evaluate
    count = 0

    def dies(*args: Any) -> drq.Evaluation:
        nonlocal count
        count += 1
        if count == 40:  # in the middle of round 3 (rounds 0-2 take 1 + 17 + 18 calls)
            raise Killed
        return real(*args)

    monkeypatch.setattr(drq, "evaluate", dies)
    with RunStore(tmp_path / "killed") as store, pytest.raises(Killed):
        red_queen(config, store=store)
    monkeypatch.setattr(drq, "evaluate", real)
    with RunStore(tmp_path / "killed") as store:
        assert len(load_rounds(store)) == 3  # rounds 0, 1 and 2 were finished
        resumed = red_queen(config, store=store)
        assert resumed.resumed_from == 3
        assert run_dict(resumed) == run_dict(whole)
        # Each round's metrics were logged once, and each archive was kept.
        steps = [s for s, _ in store.metrics("champion_fitness")]
        assert steps == [0, 1, 2, 3]
        assert [v for _, v in store.metrics("champion_fitness")] == [
            r.champion.fitness for r in whole.rounds
        ]
        # Every round's archive is the uninterrupted run's, names and all.
        assert [[e.to_dict() for e in load_archive(store, t)] for t in range(4)] == whole_archives
        archive = load_archive(store, 3)
        assert max(e.fitness for e in archive) == whole.rounds[3].champion.fitness
        assert whole.rounds[3].champion.source in {e.source for e in archive}
        for t, r in enumerate(whole.rounds[1:], 1):  # a new champion is named by round
            earlier = [e.champion.warrior.name for e in whole.rounds[:t]]
            if r.champion.origin == "champion":
                assert r.champion.warrior.name in earlier
            else:
                assert r.champion.warrior.name == f"drq-r{t}-{r.champion.index}"
        # A different config is refused; more rounds continue the finished run.
        with pytest.raises(drq.RedqueenError, match="fields that differ: iterations"):
            red_queen(tiny(rounds=3, iterations=5), store=store)
        longer = red_queen(tiny(rounds=4), store=store)
        assert longer.resumed_from == 4 and len(longer.rounds) == 5


# ---- the LLM generator --------------------------------------------------------------------

VALID_REPLY = """Here is a bomber:

```redcode
;redcode-94
;name Fake
        ADD.AB  #4, $3
        MOV.I   $2, @2
        JMP.B   $-2, $0
        DAT.F   #0, #0
```
It bombs every fourth cell."""

BARE_REPLY = "MOV.I $0, $1\n"
INVALID_REPLY = "```redcode\nFLY $0, $1\n```"
EVIL_REPLY = "```python\n__import__('os').system('touch /tmp/drq_pwned')\n```"
LONG_REPLY = "```red\n" + "MOV.I $0, $1\n" * 21 + "```"


def test_extract_code() -> None:
    assert extract_code(VALID_REPLY).startswith(";redcode-94\n;name Fake")
    assert extract_code(BARE_REPLY) == BARE_REPLY
    assert extract_code("```\nDAT 0\n```") == "DAT 0\n"
    assert extract_code("```text\nhi\n```\n```redcode\nDAT 0\n```") == "DAT 0\n"


def test_llm_generator_counts_invalid_code_and_never_runs_it(tmp_path: Path) -> None:
    replies = [VALID_REPLY, INVALID_REPLY, BARE_REPLY, EVIL_REPLY, LONG_REPLY]
    asked: list[list[dict[str, str]]] = []

    def complete(messages: list[dict[str, str]]) -> str:
        asked.append(messages)
        return replies[(len(asked) - 1) % len(replies)]

    config = tiny(rounds=1, initial_population=5, iterations=5)
    gen = LLMGenerator(complete, config)
    rng = np.random.default_rng(0)
    made = [gen.new(rng) for _ in range(5)]
    assert [w is not None for w in made] == [True, False, True, False, False]
    assert gen.invalid == 3 and gen.requests == 5
    assert gen.errors[0].startswith("line 1: unknown opcode")
    assert len(gen.errors) == 3 and "20" in gen.errors[2]  # the length limit
    assert not Path("/tmp/drq_pwned").exists()
    assert made[0] is not None and [str(i) for i in made[0].instructions] == [
        str(i) for i in assemble(extract_code(VALID_REPLY), coresize=800).instructions
    ]
    assert asked[0][0]["role"] == "system" and "800 cells" in asked[0][0]["content"]
    child, origin = gen.vary(made[2], None, rng)  # type: ignore[arg-type]
    assert origin == "mutate" and child is not None
    assert made[2].to_source() in asked[-1][1]["content"]  # type: ignore[union-attr]

    # In the loop: 1 + 5 + 5 replies in round 1 (w0 re-scored, not asked); every
    # fifth reply is valid in three places, so invalid code is counted per round.
    asked.clear()
    result = red_queen(config, LLMGenerator(complete, config))
    assert len(asked) == 10
    assert result.rounds[1].invalid == 6 and result.invalid == 6
    assert result.rounds[1].evaluated == 1 + 4


def test_a_generator_that_never_makes_a_warrior_is_a_clear_error() -> None:
    config = tiny(rounds=1, initial_population=2, iterations=2, seed_with_champions=False)
    gen = LLMGenerator(lambda messages: INVALID_REPLY, config)
    with pytest.raises(
        drq.RedqueenError, match=r"round 1: the generator made no valid warrior \(4 invalid\)"
    ):
        red_queen(config, gen)


# ---- generality and diversity -------------------------------------------------------------


def test_generality_against_a_held_out_directory(tmp_path: Path) -> None:
    (tmp_path / "imp.red").write_text(";redcode-94\n;name Imp\n" + IMP)
    (tmp_path / "suicide.red").write_text(SUICIDE)
    (tmp_path / "notes.txt").write_text("not a warrior")
    config = tiny()
    held = drq.load_warriors(tmp_path, settings_of(config))
    assert sorted(held) == ["imp", "suicide"]
    imp = assemble(IMP, coresize=800)
    g = generality(imp, held, settings_of(config), 3, seed=0)
    # An imp never dies: it ties with another imp and beats a warrior that dies at once.
    assert g.records == {"imp": (0, 0, 3), "suicide": (3, 0, 0)}
    assert g.beaten == 0.5 and g.score == 2.0
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(drq.InvalidParameterError, match=r"no \*\.red files"):
        drq.load_warriors(empty)
    (tmp_path / "bad.red").write_text("FLY 0\n")
    with pytest.raises(drq.InvalidParameterError, match=r"bad\.red: line 1"):
        drq.load_warriors(tmp_path)


def test_edit_and_code_distance() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance([], [1, 2]) == 2
    imp = assemble(IMP)
    dwarf = assemble(drq.DWARF)
    assert code_distance(imp, imp) == 0.0
    assert code_distance(imp, dwarf) == 1.0  # no line in common: 4 edits over 4 lines
    two = assemble(IMP + IMP)
    assert code_distance(imp, two) == 0.5


def test_diversity_of_equal_and_different_champions() -> None:
    imp = _elite(0.5, (0, 0), 0)
    assert diversity([imp, imp, imp], 64, 800) == drq.Diversity(0.0, 0.0, 3)
    w = assemble(drq.DWARF)
    other = Elite(w, w.to_source(), 0.5, 63.0, 799.0, (3, 3), "new", 1)
    d = diversity([imp, other], 64, 800)
    assert d.pairs == 1 and d.code == 1.0
    expected = np.hypot(
        np.log(64) / np.log(65) - np.log(2) / np.log(65),
        np.log(800) / np.log(801) - np.log(2) / np.log(801),
    )
    assert d.behavioural == pytest.approx(expected, abs=1e-12)


# ---- the recipe ---------------------------------------------------------------------------


def test_recipe_kind_is_registered_and_recipes_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the recipes name their held-out directory from the root
    assert RECIPE_KINDS["red_queen"] == "redqueen.experiments.red_queen:RedQueenRecipe"
    mutation = load_recipe(ROOT / "recipes" / "drq_mutation.yaml")
    assert isinstance(mutation, RedQueenRecipe) and mutation.generator == "mutation"
    llm = load_recipe(ROOT / "recipes" / "drq_llm.yaml")
    assert isinstance(llm, RedQueenRecipe) and llm.generator == "llm"
    assert llm.base_url and llm.model and llm.api_key_env


def test_recipe_errors_name_the_field() -> None:
    base = {"name": "x", "kind": "red_queen"}
    with pytest.raises(RecipeError, match="rounds: Input should be greater than or equal to 0"):
        parse_recipe({**base, "rounds": -1})
    with pytest.raises(RecipeError, match="generator: llm needs base_url and model"):
        parse_recipe({**base, "generator": "llm"})
    with pytest.raises(
        RecipeError, match=r"11 \* min_distance = 1100 cells, more than coresize \(1000\)"
    ):
        parse_recipe({**base, "rounds": 10, "coresize": 1000})
    with pytest.raises(RecipeError, match=r"held_out: .*is not a directory"):
        parse_recipe({**base, "held_out": "/nonexistent/warriors"})
    with pytest.raises(RecipeError, match="unknown field; allowed fields:"):
        parse_recipe({**base, "generations": 3})


def test_recipe_runs_resumes_and_reports(tmp_path: Path) -> None:
    held = tmp_path / "held"
    held.mkdir()
    (held / "imp.red").write_text(IMP)
    (held / "suicide.red").write_text(SUICIDE)
    fields = {**TINY, "rounds": 1, "iterations": 4}
    recipe = tmp_path / "drq.yaml"
    recipe.write_text(
        "name: tiny_drq\nkind: red_queen\nruns: 2\n"
        + "".join(f"{k}: {v}\n" for k, v in fields.items())
        + f"held_out: {held}\n"
    )
    runner = CliRunner()
    out = tmp_path / "run"
    res = runner.invoke(app, ["run", str(recipe), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert [len(r["rounds"]) for r in data["runs"]] == [2, 2]
    assert data["runs"][0]["config"]["seed"] == 0 and data["runs"][1]["config"]["seed"] == 1
    assert [d["pairs"] for d in data["diversity"]] == [1, 1]
    assert data["diversity"][0] == {"round": 0, "behavioural": 0.0, "code": 0.0, "pairs": 1}
    g = data["runs"][0]["rounds"][0]["generality"]  # Dwarf vs the imp and the suicide
    assert g["records"]["suicide"] == [2, 0, 0]
    again = runner.invoke(app, ["run", str(recipe), "--out", str(out), "--json"])
    assert again.exit_code == 0, again.output
    rerun = json.loads(again.stdout)
    assert [r["resumed_from"] for r in rerun["runs"]] == [2, 2]
    assert [r["rounds"] for r in rerun["runs"]] == [r["rounds"] for r in data["runs"]]
    res = runner.invoke(app, ["report", str(out)])
    assert res.exit_code == 0, res.output
    html = (out / "report.html").read_text()
    assert html.startswith("<!doctype html>") and "<script" not in html
    assert html.count("<svg") == 3  # fitness, generality and diversity curves
    assert "Champions of run 1" in html and "Diversity across runs" in html
    assert "ADD.AB" in html  # w0's source is shown


def test_llm_generator_over_http_through_the_llm_backend() -> None:
    """The real HTTP path: the LLM players' backend against the scripted test server,
    which lists no Redcode, so every reply is counted as invalid code, not executed."""
    from redqueen.agents.llm.test_server import ScriptedServer

    config = tiny(rounds=1, initial_population=3, iterations=3)
    with ScriptedServer("first") as server:
        gen = LLMGenerator(backend_complete(server.url, "scripted", api_key_env=None), config)
        made = [gen.new(np.random.default_rng(k)) for k in range(3)]
        assert server.answered == 3
    assert made == [None, None, None]
    assert gen.requests == 3 and gen.invalid == 3
