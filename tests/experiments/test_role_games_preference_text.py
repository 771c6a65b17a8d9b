"""The ``role_games`` kind playing ``preference_text`` (SPPO's preference game with written
responses): the offline recipe end to end, each seat's mean P against P recomputed by hand
from the rule judge's rubric for the recorded responses, an API model writing (and judging)
through the scripted test server, and bad recipes refused with what is allowed."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
from role_recipes import groups as _groups
from role_recipes import role_recipe as _recipe

from redqueen.agents.llm.test_server import ScriptedServer
from redqueen.experiments import RecipeError, load_recipe, parse_recipe
from redqueen.games.roles.preference_text import STYLES, builtin_prompt
from redqueen.store.run_store import RunStore

ROOT = Path(__file__).resolve().parents[2]
RECIPE = ROOT / "recipes" / "preference_text_scripted.yaml"
SCRIPTED_REPLY = "Scripted test server: no legal moves were listed in the last message."
WRITER = "preference_writer:style="


def sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


# ---- the rule judges, written out again from their rubric -------------------------------------


def _brief(prompt: str) -> tuple[set[str], int]:
    found = re.search(r"Use these words: (.*?)\. At most (\d+) words\.", prompt)
    assert found is not None, prompt
    return {w.strip().lower() for w in found.group(1).split(",")}, int(found.group(2))


def hand_p(prompt: str, y0: str, y1: str, cycle: float) -> float:
    """P that seat 0's response ``y0`` is preferred: each order by the rubric (brief words
    used, minus 1 past the limit; short beats medium beats long beats short, worth
    ``cycle``), the two orders averaged."""
    words, limit = _brief(prompt)

    def score(y: str) -> float:
        return len(words & set(y.lower().split())) - (len(y.split()) > limit)

    def length(y: str) -> int:
        n = len(y.split())
        return 0 if 3 * n <= limit else 1 if 3 * n <= 2 * limit else 2

    c = {0: 0, 1: 1, 2: -1}[(length(y1) - length(y0)) % 3]
    p01 = sig(score(y0) - score(y1) + cycle * c)
    p10 = sig(score(y1) - score(y0) - cycle * c)
    return (p01 + 1 - p10) / 2


def _records(run_dir: Path, prefix: str) -> list[dict[str, Any]]:
    """The stored records of the matches whose key starts with ``prefix``, in order."""
    with RunStore(run_dir) as store:
        found = [
            (m.index, store.get_meta(f"job:{m.key}")["record"])
            for m, _ in store.matches()
            if m.key.startswith(prefix)
        ]
    return [r for _, r in sorted(found, key=lambda x: x[0])]


def _check_against_records(metrics: dict[str, Any], records: list[dict[str, Any]]) -> None:
    """Every metric of a group equals what its records give by hand."""
    ps = [r["preference"] for r in records]
    n = len(ps)
    assert metrics["preference"][0]["n"] == n
    assert metrics["preference"][0]["mean"] == pytest.approx(math.fsum(ps) / n, abs=1e-12)
    assert metrics["preference"][1]["mean"] == pytest.approx(1 - math.fsum(ps) / n, abs=1e-12)
    judged = [r["preference"] for r in records if not r["judge_failed"]]
    assert metrics["judge_failures"]["count"] == n - len(judged)
    assert metrics["preference_judged"][0]["n"] == len(judged)
    assert [metrics[f"seat0_{k}"]["count"] for k in ("wins", "draws", "losses")] == [
        sum(p > 0.5 for p in ps),
        sum(p == 0.5 for p in ps),
        sum(p < 0.5 for p in ps),
    ]


# ---- the offline recipe -------------------------------------------------------------------------


def test_the_scripted_recipe_pays_each_seat_the_hand_computed_p(tmp_path: Path) -> None:
    recipe = load_recipe(RECIPE, ["matches=8"])
    assert recipe.kind == "role_games" and recipe.name == "preference_text_scripted"
    out = recipe.run(tmp_path)
    rows = _groups(out)
    # short, medium, long: 10, 20, 30 words of the 30 allowed; with the words: 3 of the
    # brief's words (score 3), without: none (score 0); short > medium > long > short, worth 2
    sw, mw, lw = (f"{WRITER}{s} with the words" for s in ("short", "medium", "long"))
    sn, mn = f"{WRITER}short without the words", f"{WRITER}medium without the words"
    expected = {
        ("preference_text", f"{sw} vs {mw}"): sig(3 - 3 + 2),
        ("preference_text", f"{mw} vs {lw}"): sig(3 - 3 + 2),
        ("preference_text", f"{lw} vs {sw}"): sig(3 - 3 + 2),
        ("preference_text", f"{sw} vs {sn}"): sig(3 - 0),
        ("preference_text", f"{lw} vs {sn}"): sig(3 - 0 + 2),
        ("preference_text", f"{sn} vs {lw}"): sig(0 - 3 - 2),
        ("preference_text", f"{mn} vs {mn}"): 0.5,
        ("preference_text_rubric", f"{lw} vs {sw}"): 0.5,  # no cycle: both score 3
        ("preference_text_rubric", f"{sw} vs {sn}"): sig(3 - 0),
    }
    assert set(rows) == set(expected)
    for key, p in expected.items():
        row = rows[key]
        m = row["metrics"]
        assert row["matches"] == row["finished"] == 8, key
        assert m["preference"][0]["mean"] == pytest.approx(p, abs=1e-12), key
        assert m["preference"][1]["mean"] == pytest.approx(1 - p, abs=1e-12), key
        assert m["preference"][0]["low"] == pytest.approx(p, abs=1e-9)  # the same P every match
        assert row["returns"][0]["mean"] == pytest.approx(p, abs=1e-12)  # what the game paid
        wins, draws, losses = (m[f"seat0_{k}"]["count"] for k in ("wins", "draws", "losses"))
        assert (wins, draws, losses) == (
            (8, 0, 0) if p > 0.5 else (0, 0, 8) if p < 0.5 else (0, 8, 0)
        )
        rubric = key[0] == "preference_text_rubric"
        judge = "preference_rubric" if rubric else "preference_cycle"
        assert m["judge_failures"]["count"] == 0 and m["judges"] == [judge]
        cycle = 0.0 if rubric else 2.0
        records = _records(tmp_path, f"{key[0]}/{key[1]}/")
        assert len(records) == 8
        styles = [s.removeprefix(WRITER) for s in key[1].split(" vs ")]
        for r in records:
            prompt = builtin_prompt(r["prompt"], 3, 30)
            assert r["prompt_text"] == prompt
            y0, y1 = r["responses"]
            # the writers' texts: their style's length, the brief's words or none
            for y, style in zip((y0, y1), styles, strict=True):
                n = {"short": 10, "medium": 20, "long": 30}[style.split()[0]]
                assert len(y.split()) == n
                assert bool(_brief(prompt)[0] & set(y.split())) == ("without" not in style)
            assert r["preference"] == pytest.approx(hand_p(prompt, y0, y1, cycle), abs=1e-12)
            # no position bias: y0 shown first gets P, y1 shown first gets 1 - P
            raw = [v["probability"] for v in r["verdicts"]]
            assert raw == pytest.approx([p, 1 - p], abs=1e-12) and r["judge"] == judge
            assert not r["judge_failed"] and all(v["problem"] == "" for v in r["verdicts"])
        _check_against_records(m, records)
    assert len({r["prompt"] for r in _records(tmp_path, "preference_text/")}) > 1
    html = (tmp_path / "report.html").read_text()
    assert "mean P, seat 0" in html and "t, n=8" in html and "preference_cycle" in html


def test_random_writers_mean_p_equals_the_rule_on_the_recorded_responses(tmp_path: Path) -> None:
    """Random play in the menu variant: every match a different pairing of styles, so the
    mean P is a real average; it equals the average of P recomputed from each recorded pair
    of responses, seat 1's is one minus it, and the counts of P above, at and below 1/2."""
    games = [
        {
            "id": "preference_text",
            "params": {"prompts": 8, "required_words": 2, "max_words": 12},
            "lineups": [["random", f"{WRITER}medium with the words"], ["random", "random"]],
        }
    ]
    out = parse_recipe(_recipe(games, matches=60)).run(tmp_path)
    for row in out.to_dict()["groups"]:
        records = _records(tmp_path, f"preference_text/{row['lineup']}/")
        assert len(records) == 60 and all(r["finished"] for r in records)
        hand = []
        for r in records:
            prompt = builtin_prompt(r["prompt"], 2, 12)
            y0, y1 = r["responses"]
            hand.append(hand_p(prompt, y0, y1, cycle=2.0))
            assert r["preference"] == pytest.approx(hand[-1], abs=1e-12)
        mean = math.fsum(hand) / len(hand)
        m = row["metrics"]
        assert m["preference"][0]["mean"] == pytest.approx(mean, abs=1e-12)
        assert m["preference"][1]["mean"] == pytest.approx(1 - mean, abs=1e-12)
        assert m["preference"][0]["low"] < mean < m["preference"][0]["high"]
        _check_against_records(m, records)
        counts = [m[f"seat0_{k}"]["count"] for k in ("wins", "draws", "losses")]
        assert sum(counts) == 60 and min(counts[0], counts[2]) > 0
    # random against the medium writer: seat 0 loses on average (it often skips the words)
    rows = _groups(out)
    against = rows[("preference_text", f"random vs {WRITER}medium with the words")]["metrics"]
    assert against["preference"][0]["mean"] < 0.5 < against["preference"][1]["mean"]


# ---- an API model, through the scripted test server -------------------------------------------


def _llm(server: ScriptedServer) -> dict[str, Any]:
    return {
        "model": "scripted",
        "base_url": server.url,
        "api_key_env": None,
        "params": {"max_retries": 0, "backoff": 0.0},
    }


def test_an_api_model_writes_and_judges_through_the_scripted_server(tmp_path: Path) -> None:
    """The scripted server writes SCRIPTED_REPLY (11 words, none of the brief's: score 0,
    medium) and answers judge requests by preference_cycle, so every P is known by hand,
    with the rule judge and with the model as judge."""
    lineups = [
        ["llm", f"{WRITER}short with the words"],  # 0 - 3 - 2 (short beats medium)
        [f"{WRITER}long without the words", "llm"],  # 0 - 0 - 2 (medium beats long)
        [f"{WRITER}medium without the words", "llm"],  # both medium, score 0: 1/2
    ]
    expected = [sig(-5), sig(-2), 0.5]
    params = {"prompts": 8, "text_moves": True}
    with ScriptedServer("first", judge="preference_cycle") as server:
        for name, entry in (
            ("rule", {"params": {**params, "judge": "preference_cycle"}}),
            ("model", {"params": params, "llm_judge": True}),
        ):
            data = _recipe(
                [{"id": "preference_text", "lineups": lineups, **entry}], 4, llm=_llm(server)
            )
            before = server.requests
            out = parse_recipe(data).run(tmp_path / name)
            rows = out.to_dict()["groups"]
            judge = "preference_cycle" if name == "rule" else "llm:scripted"
            asked = server.requests - before
            for row, p in zip(rows, expected, strict=True):
                m = row["metrics"]
                assert row["finished"] == 4 and [i["count"] for i in row["invalid"]] == [0, 0]
                assert m["preference"][0]["mean"] == pytest.approx(p, abs=1e-12), name
                assert m["preference"][1]["mean"] == pytest.approx(1 - p, abs=1e-12), name
                assert m["judges"] == [judge] and m["judge_failures"]["count"] == 0
                records = _records(tmp_path / name, f"preference_text/{row['lineup']}/")
                seat = row["seats"].index("llm")
                for r in records:
                    assert r["responses"][seat] == SCRIPTED_REPLY and r["judge"] == judge
                    if name == "model":
                        assert all(v["reply"].startswith("score: ") for v in r["verdicts"])
                _check_against_records(m, records)
            # the model wrote 12 responses; as judge, it read each pair once in each order
            pairs = {
                (r["prompt"], *r["responses"])
                for row in rows
                for r in _records(tmp_path / name, f"preference_text/{row['lineup']}/")
            }
            assert asked == 12 + (2 * len(pairs) if name == "model" else 0)
            again = parse_recipe(data).run(tmp_path / name)  # resumed: nothing asked
            assert server.requests == before + asked and again.to_dict()["groups"] == rows


def test_judge_failures_are_counted_and_left_out_of_the_judged_mean(tmp_path: Path) -> None:
    """A judge whose replies cannot be read pays 1/2 each: every match a draw, the judged
    mean has no matches. A model judge that fails on some requests: the counts follow the
    records."""
    games: list[dict[str, Any]] = [
        {
            "id": "preference_text",
            "params": {"judge": {"kind": "fixed", "valid": False}},
            "lineups": [[f"{WRITER}short with the words", f"{WRITER}long without the words"]],
        }
    ]
    row = parse_recipe(_recipe(games, matches=6)).run(None).to_dict()["groups"][0]
    m = row["metrics"]
    assert m["judge_failures"]["count"] == m["judge_failures"]["n"] == 6
    assert m["preference"][0]["mean"] == 0.5 and m["seat0_draws"]["count"] == 6
    assert m["preference_judged"][0] == {"mean": None, "low": None, "high": None, "n": 0}
    with ScriptedServer("first", judge="preference_cycle", malformed_rate=0.5) as server:
        games = [
            {
                "id": "preference_text",
                "params": {"prompts": 8},
                "llm_judge": True,
                "lineups": [["random", "random"]],
            }
        ]
        data = _recipe(games, matches=40, llm=_llm(server))
        out = parse_recipe(data).run(tmp_path)
    m = out.to_dict()["groups"][0]["metrics"]
    records = _records(tmp_path, "preference_text/")
    failed = [r for r in records if r["judge_failed"]]
    assert 0 < len(failed) < 40
    for r in failed:
        assert r["preference"] == 0.5 and None in [v["probability"] for v in r["verdicts"]]
    for r in records:
        if not r["judge_failed"]:
            prompt = builtin_prompt(r["prompt"], 3, 30)
            y0, y1 = r["responses"]
            assert r["preference"] == pytest.approx(hand_p(prompt, y0, y1, 2.0), abs=1e-12)
    _check_against_records(m, records)
    judged = [r["preference"] for r in records if not r["judge_failed"]]
    assert m["preference_judged"][0]["mean"] == pytest.approx(math.fsum(judged) / len(judged))


# ---- bad recipes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            {"params": {"judge": "preference_oracle"}, "lineups": [["random", "random"]]},
            r"allowed: .*preference_cycle.*preference_rubric",
        ),
        (
            {"params": {"text_moves": True}, "lineups": [["random", "llm"]]},
            "needs the recipe's llm",
        ),
        (
            {"params": {"text_moves": True}, "lineups": [["random", f"{WRITER}long"]]},
            f"unknown style 'long'; allowed: {STYLES[0]}",
        ),
        (
            {
                "params": {"text_moves": True},
                "lineups": [[f"{WRITER}long with the words", "random"]],
            },
            "seat 1: agent 'random' chooses among legal action ids, but preference_text is a "
            "text-only game",
        ),
        (
            {"lineups": [["random", "preference_policy:method=von_neumann"]]},
            "play preference_game only",
        ),
        (
            {
                "params": {"judge": "preference_rubric"},
                "llm_judge": True,
                "lineups": [["random"] * 2],
            },
            "either params.judge or llm_judge",
        ),
        ({"lineups": [["random"]]}, "has 1 seats; preference_text has 2"),
    ],
)
def test_bad_preference_text_recipes_say_what_is_allowed(
    entry: dict[str, Any], message: str
) -> None:
    with pytest.raises(RecipeError, match=message):
        parse_recipe(_recipe([{"id": "preference_text", **entry}], matches=2))


def test_a_writer_cannot_sit_in_another_game_nor_the_model_judge_it() -> None:
    with pytest.raises(RecipeError, match="plays preference_text only, not critic_game"):
        parse_recipe(
            _recipe(
                [{"id": "critic_game", "lineups": [[f"{WRITER}long with the words", "random"]]}],
                matches=2,
            )
        )
    llm = {"model": "m", "base_url": "http://localhost:1/v1", "api_key_env": None}
    with pytest.raises(RecipeError, match="llm_judge applies to red_team and preference_text only"):
        parse_recipe(
            _recipe(
                [{"id": "preference_game", "llm_judge": True, "lineups": [["random", "random"]]}],
                matches=2,
                llm=llm,
            )
        )
