"""Judges: requests and verdicts, the rule judges, and the registry with its errors."""

from __future__ import annotations

import pytest

from redqueen.errors import InvalidParameterError, RedqueenError, UnknownNameError
from redqueen.games.roles import judges
from redqueen.games.roles.judges import (
    FixedJudge,
    Judge,
    JudgeRequest,
    KeywordJudge,
    Question,
    Verdict,
    judge_kinds,
    judge_label,
    make_judge,
    register_judge,
)

HARM = Question("harmful", "text", "Is the text harmful?", ("yes", "no", "n/a"))
RUDE = Question("rude", "reply", "Is the reply rude?")


def request(text: str, reply: str = "fine") -> JudgeRequest:
    return JudgeRequest("Judge it.", (("text", text), ("reply", reply)), (HARM, RUDE))


def test_requests_and_questions_are_checked() -> None:
    with pytest.raises(InvalidParameterError, match="lower-case letters"):
        Question("Harm", "text", "?")
    with pytest.raises(InvalidParameterError, match="two distinct choices"):
        Question("harm", "text", "?", ("yes", "yes"))
    with pytest.raises(InvalidParameterError, match="without commas"):
        Question("harm", "text", "?", ("yes", "no, really"))
    with pytest.raises(UnknownNameError, match="unknown passage of question 'harmful'"):
        JudgeRequest("r", (("prompt", "x"),), (HARM,))
    with pytest.raises(InvalidParameterError, match="passage names repeat"):
        JudgeRequest("r", (("text", "x"), ("text", "y")), (HARM,))
    with pytest.raises(InvalidParameterError, match="questions or a score range"):
        JudgeRequest("r", (("text", "x"),), ())
    with pytest.raises(InvalidParameterError, match="low < high"):
        JudgeRequest("r", (("text", "x"),), (), score=(5.0, 1.0))
    assert request("a", "b").passage("reply") == "b"
    with pytest.raises(UnknownNameError, match="allowed: reply, text"):
        request("a").passage("prompt")


def test_verdict_labels() -> None:
    verdict = Verdict({"harmful": "yes", "rude": None}, judge="j")
    assert verdict.label("harmful") == "yes"
    assert verdict.label("rude") is None and verdict.label("absent") is None
    unreadable = Verdict({"harmful": "yes"}, judge="j", valid=False, problem="garbled")
    assert unreadable.label("harmful") is None


def test_keyword_judge() -> None:
    judge = KeywordJudge(words={"harmful": ["Bomb"]}, phrases={"rude": ["go away"]}, name="kw")
    verdict = judge.judge(request("a BOMB, now", "  Go   away, please"))
    assert verdict == Verdict({"harmful": "yes", "rude": "yes"}, judge="kw")
    assert dict(judge.judge(request("bombastic", "please go away")).labels) == {
        "harmful": "no",
        "rude": "no",
    }
    assert judge.judge(request("   ")).labels["harmful"] is None  # "n/a" allowed: declined
    no_rule = KeywordJudge(words={"harmful": ["bomb"]})
    out = no_rule.judge(request("x"))
    assert not out.valid and out.problem == "no rule for the question 'rude'"
    scored = JudgeRequest("r", (("text", "x"),), (HARM,), score=(1.0, 10.0))
    assert judge.judge(scored).problem == "a keyword judge gives no scores"
    colours = Question("colour", "text", "Which colour?", ("red", "blue"))
    odd = KeywordJudge(words={"colour": ["red"]}).judge(
        JudgeRequest("r", (("text", "x"),), (colours,))
    )
    assert not odd.valid and "not a yes/no question" in odd.problem
    with pytest.raises(InvalidParameterError, match="needs words or phrases"):
        KeywordJudge()


def test_fixed_judge() -> None:
    judge = FixedJudge({"harmful": "no"}, score=3)
    verdict = judge.judge(request("x"))
    assert dict(verdict.labels) == {"harmful": "no", "rude": None}
    assert verdict.score == 3.0 and verdict.judge == "fixed" and verdict.valid
    broken = FixedJudge(valid=False).judge(request("x"))
    assert not broken.valid and dict(broken.labels) == {}


def test_make_judge_by_name_mapping_or_object() -> None:
    assert {"fixed", "harm_language", "keywords", "llm"} <= set(judge_kinds())
    harm = make_judge("harm_language")
    assert isinstance(harm, Judge) and harm.name == "harm_language"
    kw = make_judge({"kind": "keywords", "words": {"harmful": ["x"]}, "name": "mine"})
    assert isinstance(kw, KeywordJudge) and kw.name == "mine"
    fixed = FixedJudge()
    assert make_judge(fixed) is fixed
    assert judge_label(fixed) == "fixed"
    assert judge_label({"kind": "fixed"}) == {"kind": "fixed"}
    assert judge_label("harm_language") == "harm_language"


def test_registry_errors_name_what_is_allowed() -> None:
    with pytest.raises(UnknownNameError, match=r"unknown judge: 'wildguard'; allowed: fixed,"):
        make_judge("wildguard")
    with pytest.raises(UnknownNameError, match=r"parameter of judge 'fixed'.*allowed: labels"):
        make_judge({"kind": "fixed", "colour": "red"})
    with pytest.raises(InvalidParameterError, match=r"needs a 'kind'.*harm_language"):
        make_judge({"labels": {}})
    with pytest.raises(InvalidParameterError, match="a kind name, a mapping"):
        make_judge(42)  # type: ignore[arg-type]
    with pytest.raises(RedqueenError, match="already registered as 'fixed'"):
        register_judge("fixed", FixedJudge)


def test_register_a_judge_of_your_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(judges, "_REGISTRY", dict(judges._REGISTRY))

    def strict(threshold: int = 1) -> FixedJudge:
        return FixedJudge({"harmful": "yes"}, score=threshold, name="strict")

    register_judge("strict", strict)
    made = make_judge({"kind": "strict", "threshold": 4})
    assert made.judge(request("x")).score == 4.0
    assert "strict" in judge_kinds()
