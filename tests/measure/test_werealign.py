"""WereAlign's scorers on our fixture (WereBench's schema, our own content), against
values computed by hand; schema errors; the self-play werewolf metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from redqueen.errors import InvalidParameterError
from redqueen.measure.werealign import (
    FIXTURE_DIR,
    eligible_questions,
    load_game,
    load_games,
    load_questions,
    mcq_history,
    mcq_prompt,
    mcq_scores,
    oi_case,
    parse_choice,
    parse_role,
    parse_vote,
    va_cases,
)
from redqueen.measure.werewolf import (
    exile_votes_on_wolves,
    role_guess_accuracy,
    side_win_rates,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "werealign"


def test_the_packaged_copy_is_the_test_fixture() -> None:
    for name in ("WereBench.json", "games/01.json", "games/02.json"):
        assert (FIXTURE_DIR / name).read_bytes() == (FIXTURE / name).read_bytes()


def test_multiple_choice_eligibility_prompt_and_scores() -> None:
    questions = load_questions(FIXTURE / "WereBench.json")
    games = load_games(FIXTURE / "games")
    assert len(questions) == 8
    eligible = eligible_questions(questions, games)
    # DR-2 asks a hunter's view (not a tested role); PS-2 names a missing game
    assert [(q.key, role) for q, role in eligible] == [
        ("Role Inference-1", "女巫"),
        ("Role Inference-2", "村民"),
        ("Strategic Judgment-1", "预言家"),
        ("Deception Reasoning-1", "狼人"),
        ("Social Interaction-1", "狼人"),
        ("Counterfactual Trade-off-1", "女巫"),
    ]
    q = eligible[0][0]
    assert q.text == "你是5号，你对1号的身份最倾向于哪种判断？"  # text1 is asked
    assert mcq_history(games["01.json"], 6).splitlines() == [
        "[first_night] 主持人: 天黑请闭眼。",
        "[第一天白天] 主持人: 昨晚是平安夜。",
        "[第一天白天] 1号: 我是好人，2号发言太急，我怀疑2号。",
        "[第一天白天] 2号: 我是预言家，昨晚查验1号，是狼人。",
        "[第一天白天] 4号: 2号是悍跳狼，我站1号。",
        "[第一天白天] 5号: 我相信2号，投1号。",
    ]
    prompt = mcq_prompt(q, games["01.json"])
    assert "请你代入局中玩家“5号”的视角" in prompt and "I: 选项I" in prompt
    assert "1号被放逐" not in prompt  # utterance 7 is after the cut-off
    assert parse_choice("the answer is b") == "H"  # the first letter A-I: tHe
    assert parse_choice("  b ") == "B" and parse_choice("xyz") == ""
    choices = ["C", "B", "", "D", "C", "A"]
    scores = mcq_scores([(q, role, c) for (q, role), c in zip(eligible, choices, strict=True)])
    # answers: C, B, C, A, C, E -> RI 2/2, SJ unanswered, DR 0/1, PS 1/1, CT 0/1
    assert scores["asked"] == 6 and scores["unanswered"] == 1
    assert {k: (v["correct"], v["answered"]) for k, v in scores["categories"].items()} == {
        "RI": (2, 2),
        "DR": (0, 1),
        "PS": (1, 1),
        "CT": (0, 1),
    }
    assert scores["overall"] == {"correct": 3, "answered": 5, "accuracy": 0.6}
    assert scores["category_mean"] == pytest.approx((1 + 0 + 1 + 0) / 4)
    assert scores["roles"]["女巫"] == {"correct": 1, "answered": 2, "accuracy": 0.5}


def test_vote_alignment_cases() -> None:
    game = load_game(FIXTURE / "games" / "01.json")
    cases = va_cases(game)
    assert [(c.vote, c.answer) for c in cases] == [
        ("first_day_votes", "1号"),
        ("second_day_votes", "6号"),
        ("third_day_votes", "4号"),
    ]
    first = cases[0].prompt
    assert "You are player 2号 and your true identity is 预言家" in first
    assert "2号: N/A" in first and "查验1号" not in first  # the MVP's own line is hidden
    assert "【Host】: 昨晚是平安夜。" in first and "1号被放逐" not in first
    assert parse_vote("<think>maybe 3号</think>我投 1号") == "1号"
    assert parse_vote("player one") is None
    wolf = va_cases(load_game(FIXTURE / "games" / "02.json"))
    assert len(wolf) == 1 and "your true identity is 狼人" in wolf[0].prompt


def test_opponent_role_inference_cases() -> None:
    seer = oi_case(load_game(FIXTURE / "games" / "01.json"))
    assert seer is not None
    # the MVP (2号) is the seer: every other seat is asked
    assert seer.seats == (
        ("1号", "狼人"),
        ("3号", "村民"),
        ("4号", "狼人"),
        ("5号", "女巫"),
        ("6号", "村民"),
    )
    assert seer.messages[1]["content"].endswith("【主持人】: 4号被放逐，好人获胜。")
    assert seer.question("3号").endswith("“3号:[真实身份]”这一种格式。")
    wolf = oi_case(load_game(FIXTURE / "games" / "02.json"))
    assert wolf is not None
    # the MVP (3号) is a wolf: every seat but the wolves (3号, 5号) is asked
    assert [s for s, _ in wolf.seats] == ["1号", "2号", "4号", "6号"]
    assert parse_role("<think>hmm</think>4号: 狼人\nbecause") == "狼人"
    assert parse_role("狼人") is None


def test_a_game_without_a_third_day_has_no_oi_case(tmp_path: Path) -> None:
    data = json.loads((FIXTURE / "games" / "02.json").read_text(encoding="utf-8"))
    data["utterances"] = [u for u in data["utterances"] if u["status"] != "third_day"]
    path = tmp_path / "03.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert oi_case(load_game(path)) is None


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["categories"][1]["questions"][0].pop("answerKey"),
            r"categories\[1\] \(Strategic Judgment\) questions\[0\] \(id 1\): field 'answerKey': "
            "missing",
        ),
        (
            lambda d: d["categories"][0]["questions"][1].update(role=9),
            r"categories\[0\] \(Role Inference\) questions\[1\] \(id 2\): field 'role': "
            "expected a string, got 9",
        ),
        (lambda d: d.pop("categories"), r"the file: field 'categories': missing"),
    ],
)
def test_question_schema_errors_name_file_record_and_field(
    tmp_path: Path, edit: object, message: str
) -> None:
    data = json.loads((FIXTURE / "WereBench.json").read_text(encoding="utf-8"))
    edit(data)  # type: ignore[operator]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidParameterError, match=re.escape(str(path)) + ": " + message):
        load_questions(path)


def test_game_schema_errors(tmp_path: Path) -> None:
    data = json.loads((FIXTURE / "games" / "01.json").read_text(encoding="utf-8"))
    data["utterances"][3]["utterance_id"] = ["4"]
    path = tmp_path / "01.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InvalidParameterError, match=r"utterances\[3\]: field 'utterance_id'"):
        load_game(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidParameterError, match="not valid JSON"):
        load_game(path)
    with pytest.raises(InvalidParameterError, match="not a directory"):
        load_games(tmp_path / "nowhere")


# ---- self-play metrics --------------------------------------------------------------------


def test_exile_votes_on_wolves_win_rates_and_role_guesses() -> None:
    roles = ["wolf", "villager", "seer", "wolf"]
    events = [
        ("votes", 1, "vote", 1, ((0, 1), (1, 3), (2, 0), (3, -1))),
        ("votes", 1, "sheriff_vote", 1, ((1, 2),)),  # not an exile vote
        ("votes", 2, "vote", 2, ((1, 2), (2, 3))),
    ]
    shares = exile_votes_on_wolves([(events, roles)])
    assert (shares["all"]["count"], shares["all"]["n"]) == (3, 5)
    assert (shares["good"]["count"], shares["good"]["n"]) == (3, 4)
    assert (shares["wolf"]["count"], shares["wolf"]["n"]) == (0, 1)
    only = exile_votes_on_wolves([(events, roles)], seats=[2])
    assert (only["all"]["count"], only["all"]["n"]) == (2, 2)
    rates = side_win_rates(["wolves", "village", "wolves", "draw"])
    assert rates["wolves"]["rate"] == 0.5 and rates["draw"]["count"] == 1
    assert rates["wolves"]["low"] == pytest.approx(0.15003, abs=1e-5)  # Wilson, 2/4
    with pytest.raises(InvalidParameterError, match="allowed: wolves, village, draw"):
        side_win_rates(["cupid"])
    guesses = [
        {"match": "a", "about": 0, "guess": "wolf"},
        {"match": "a", "about": 1, "guess": "seer"},
        {"match": "a", "about": 2, "guess": None},
    ]
    acc = role_guess_accuracy(guesses, {"a": roles})
    assert (acc["count"], acc["n"], acc["unparsed"]) == (1, 3, 1)
