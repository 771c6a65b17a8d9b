"""WereAlign's scorers ("Beyond Survival", arXiv:2510.11389), as its code computes them.

WereAlign evaluates a model on transcripts of human werewolf games (WereBench). The data
has no licence, so redqueen ships none of it: point these functions at your own copy
(``dataset/WereBench/WereBench.json`` and the game files ``dataset/data/Season_*/NN.json``
of ``ZiruiSongBest/WereBench``), or at the small fixture we wrote in the same schema
(:data:`FIXTURE_DIR`). A file that does not fit the schema raises
:class:`~redqueen.errors.InvalidParameterError` naming the file, the record and the field.

Three scores, each following the repository's script (``shared/research/roles.md``
section 1 has the details):

- **Multiple choice** (``eval/Role_Performance/inference.py``): each question takes one
  seat's point of view at a cut-off; the prompt (Chinese, kept verbatim in
  :data:`MCQ_PROMPT`) gives every utterance whose first id is at most the cut-off as
  ``[phase] speaker: text``, the question (``text1``, else ``text``) and the nine
  options A-I, and asks for one capital letter. The answer is the first ``A``-``I`` in
  the upper-cased reply (:func:`parse_choice`). Only questions whose seat's true role is
  wolf, seer, witch or villager (狼人/预言家/女巫/村民) are asked, and only answered
  ones (a letter was found) count: accuracy is correct / answered, per category (RI, SJ,
  DR, PS -- named "Social Interaction" in the data -- and CT) and per role
  (:func:`mcq_scores`). The paper's "Avg" column is not defined in the code; we give both
  the accuracy over all answered questions and the mean of the category accuracies.
- **Vote alignment, VA** (``eval/Speech_Evaluation/inference_VA.py``): for each of the
  show MVP's recorded votes, the transcript up to ``cut_off_time`` (an utterance counts
  if any of its ids is at most it) with the MVP's own lines replaced by ``N/A``, and the
  question "who do you vote for?" (:func:`va_cases`). The answer is the first ``N号``
  after any ``<think>`` block; a vote counts when it equals ``vote_to``; a reply with
  none counts as wrong (correct / votes).
- **Opponent-role inference, OI** (``inference_OI.py``): for games that reach
  ``third_day``, the transcript up to the last ``third_day`` utterance, then, in one
  growing chat, "guess X号's true identity" once per seat (:func:`oi_case`): every seat
  but the MVP, and, when the MVP is a wolf (狼人 or 白狼王), every seat that is not a
  狼人. The answer ``X号:身份`` is read by :func:`parse_role`; an exact match of the role
  name scores (correct / asked).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redqueen.errors import InvalidParameterError

FIXTURE_DIR = Path(__file__).parent / "werealign_data"
"""Our own small data in WereBench's schema: ``WereBench.json`` and ``games/*.json``."""

CATEGORIES: dict[str, str] = {
    "Role Inference": "RI",
    "Strategic Judgment": "SJ",
    "Deception Reasoning": "DR",
    "Social Interaction": "PS",
    "Counterfactual Trade-off": "CT",
}
"""The data's category names and the paper's abbreviations."""
ROLES_TO_TEST = ("狼人", "预言家", "女巫", "村民")
"""The roles whose questions the multiple-choice script asks (wolf, seer, witch, villager)."""
OPTION_KEYS = "ABCDEFGHI"

STATUS_NAMES = {
    "sheiff_election": "警长竞选",
    "first_day": "第一天白天",
    "second_day": "第二天白天",
    "third_day": "第三天白天",
}
"""How the multiple-choice prompt names phases (others keep their status string)."""

MCQ_PROMPT = """
你正在参与一个狼人杀游戏的逻辑能力测试。
【当前设定】请你代入局中玩家“{seat}”的视角和身份进行思考。

以下是截止到当前时刻的游戏对话记录：
--- 游戏记录开始 ---
{history}
--- 游戏记录结束 ---

请基于以上信息和你的角色视角，回答以下问题：
{question}

选项：
{options}

【要求】请只输出一个代表正确选项的大写字母（例如：A），不要包含任何其他推理、标点或文字。
"""
"""The multiple-choice prompt of ``eval/Role_Performance/inference.py``, verbatim."""

VA_PROMPT = """{global_info}
---
Dialogue History So Far(substitute N/A for your own lines):
{history}
---
{question}
---
**IMPORTANT**: Respond in the format 'X号' where X is the player number you choose to vote for. Only provide the answer in this format without any additional text or explanation.
"""  # noqa: E501
"""The vote-alignment prompt of ``inference_VA.py``, verbatim."""

OI_SYSTEM = (
    "你是一位狼人杀游戏分析专家。你的任务是根据提供的游戏信息和对话，精准地分析玩家身份。"
    "在回答问题时，你的输出必须严格遵循“X号:身份”的格式，例如“7号:狼人”。"
    "不要添加任何额外的解释、思考过程或无关文字。"
)
OI_QUESTION = (
    "根据以上全部信息，猜测{seat}的真实身份。"
    "记住，你的回答必须且只能是“{seat}:[真实身份]”这一种格式。"
)

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)


# ---- the data -----------------------------------------------------------------------


@dataclass(frozen=True)
class Utterance:
    ids: tuple[int, ...]
    status: str
    speaker: str
    is_host: bool
    text: str


@dataclass(frozen=True)
class Vote:
    name: str
    vote_to: str
    cut_off: int


@dataclass(frozen=True)
class GameRecord:
    """One transcribed game (``metadata`` and ``utterances`` of a WereBench game file)."""

    name: str
    rules: str
    roles: tuple[str, ...]
    language: str
    aliases: Mapping[str, tuple[str, ...]]
    real_role: Mapping[str, str]
    mvp: str | None
    votes: tuple[Vote, ...]
    utterances: tuple[Utterance, ...]

    def role_map(self) -> dict[str, str]:
        """Speaker keys and every alias to the true role (the MCQ script's map)."""
        out: dict[str, str] = {}
        for key, role in self.real_role.items():
            out[key] = role
            for alias in self.aliases.get(key, ()):
                out[alias] = role
        return out

    def seat_roles(self) -> dict[str, str]:
        """Each seat's first alias (``"9号"``) to its role, the host left out (OI's map)."""
        return {
            self.aliases[key][0]: role
            for key, role in self.real_role.items()
            if role != "host" and self.aliases.get(key)
        }

    def role_of_seat(self, seat: str) -> str | None:
        """The role of the seat with alias ``seat`` (VA's lookup)."""
        for key, aliases in self.aliases.items():
            if seat in aliases:
                return self.real_role.get(key)
        return None


@dataclass(frozen=True)
class Question:
    category: str
    id: Any
    cut_off: int
    seat: str
    text: str
    options: tuple[tuple[str, str], ...]
    answer: str
    reference: str

    @property
    def key(self) -> str:
        return f"{self.category}-{self.id}"


class _Reader:
    """Field access that names the file, the record and the field on any mismatch."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, record: str, field: str, problem: str) -> InvalidParameterError:
        return InvalidParameterError(f"{self.path}: {record}: field {field!r}: {problem}")

    def get(self, data: Any, record: str, field: str, kind: type | tuple[type, ...]) -> Any:
        if not isinstance(data, dict):
            raise self.fail(record, field, f"the record is not an object ({type(data).__name__})")
        if field not in data:
            raise self.fail(record, field, "missing")
        value = data[field]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _tuple(kind)):
            raise self.fail(record, field, f"expected {_kind_name(kind)}, got {value!r}"[:300])
        return value

    def load(self) -> Any:
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as err:
            raise InvalidParameterError(f"{self.path}: cannot be read ({err})") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as err:
            raise InvalidParameterError(f"{self.path}: not valid JSON ({err})") from None


def _tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        str: "a string",
        int: "an integer",
        list: "a list",
        dict: "an object",
        bool: "true/false",
    }
    return " or ".join(names.get(k, k.__name__) for k in _tuple(kind))


def _first_id(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def load_questions(path: str | Path) -> list[Question]:
    """The questions of a WereBench question file (``categories[].questions[]``)."""
    r = _Reader(Path(path))
    data = r.load()
    out = []
    for c, category in enumerate(r.get(data, "the file", "categories", list)):
        name = r.get(category, f"categories[{c}]", "categoryName", str)
        for q, item in enumerate(r.get(category, f"categories[{c}]", "questions", list)):
            where = f"categories[{c}] ({name}) questions[{q}]"
            if isinstance(item, dict) and "id" in item:
                where += f" (id {item['id']!r})"
            cut = _first_id(r.get(item, where, "utterance_id", (int, list)))
            if not isinstance(cut, int) or isinstance(cut, bool):
                raise r.fail(where, "utterance_id", f"expected an integer id, got {cut!r}")
            options = []
            for o, option in enumerate(r.get(item, where, "options", list)):
                key = r.get(option, f"{where} options[{o}]", "key", str)
                options.append((key, r.get(option, f"{where} options[{o}]", "text", str)))
            answer = r.get(item, where, "answerKey", str).strip().upper()
            if isinstance(item, dict) and "text1" in item:  # the script asks text1 if present
                text = r.get(item, where, "text1", str)
            else:
                text = r.get(item, where, "text", str)
            out.append(
                Question(
                    category=name,
                    id=item.get("id"),
                    cut_off=cut,
                    seat=r.get(item, where, "role", str),
                    text=text,
                    options=tuple(options),
                    answer=answer,
                    reference=r.get(item, where, "reference", str),
                )
            )
    return out


def load_game(path: str | Path) -> GameRecord:
    """One WereBench game file."""
    p = Path(path)
    r = _Reader(p)
    data = r.load()
    meta = r.get(data, "the file", "metadata", dict)
    aliases_raw = r.get(meta, "metadata", "user_aliases", dict)
    aliases: dict[str, tuple[str, ...]] = {}
    for key, names in aliases_raw.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise r.fail("metadata.user_aliases", key, f"expected a list of strings, got {names!r}")
        aliases[key] = tuple(names)
    real_role = r.get(meta, "metadata", "real_role", dict)
    for key, role in real_role.items():
        if not isinstance(role, str):
            raise r.fail("metadata.real_role", key, f"expected a string, got {role!r}")
    roles = meta.get("game_roles", [])
    if not isinstance(roles, list):
        raise r.fail("metadata", "game_roles", f"expected a list, got {roles!r}")
    mvp_id: str | None = None
    votes: list[Vote] = []
    mvp = meta.get("MVP")
    if mvp is not None:
        mvp_id = r.get(mvp, "metadata.MVP", "id", str)
        for name, vote in r.get(mvp, "metadata.MVP", "votes", dict).items():
            where = f"metadata.MVP.votes.{name}"
            votes.append(
                Vote(
                    name,
                    r.get(vote, where, "vote_to", str),
                    r.get(vote, where, "cut_off_time", int),
                )
            )
    utterances = []
    for u, item in enumerate(r.get(data, "the file", "utterances", list)):
        where = f"utterances[{u}]"
        ids = r.get(item, where, "utterance_id", list)
        if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            raise r.fail(where, "utterance_id", f"expected a list of integers, got {ids!r}")
        utterances.append(
            Utterance(
                ids=tuple(ids),
                status=r.get(item, where, "status", str),
                speaker=r.get(item, where, "speaker_id", str),
                is_host=bool(item.get("is_host", False)),
                text=r.get(item, where, "text", str),
            )
        )
    return GameRecord(
        name=p.name,
        rules=str(meta.get("game_rules", "N/A")),
        roles=tuple(str(x) for x in roles),
        language=str(meta.get("language", "N/A")),
        aliases=aliases,
        real_role=dict(real_role),
        mvp=mvp_id,
        votes=tuple(votes),
        utterances=tuple(utterances),
    )


def load_games(directory: str | Path) -> dict[str, GameRecord]:
    """Every ``*.json`` game file under ``directory``, by file name (the questions'
    ``reference`` is matched by its base name, as the script does)."""
    root = Path(directory)
    if not root.is_dir():
        raise InvalidParameterError(f"{root}: not a directory of WereBench game files")
    games = {}
    for path in sorted(root.rglob("*.json")):
        if path.name in games:
            raise InvalidParameterError(
                f"{path}: a second game file named {path.name} (references name games by "
                "file name, so names must be unique)"
            )
        games[path.name] = load_game(path)
    return games


# ---- multiple choice ----------------------------------------------------------------


def mcq_history(game: GameRecord, cut_off: int) -> str:
    """The utterances whose first id is at most ``cut_off``, as ``[phase] speaker: text``."""
    lines = []
    for u in game.utterances:
        if not u.ids or u.ids[0] > cut_off:
            continue
        text = u.text.strip()
        if text:
            lines.append(f"[{STATUS_NAMES.get(u.status, u.status)}] {u.speaker}: {text}")
    return "\n".join(lines)


def mcq_prompt(question: Question, game: GameRecord) -> str:
    options = "".join(f"{k}: {t}\n" for k, t in question.options)
    return MCQ_PROMPT.format(
        seat=question.seat,
        history=mcq_history(game, question.cut_off),
        question=question.text,
        options=options,
    )


def parse_choice(reply: str | None) -> str:
    """The first letter A-I of the upper-cased reply ("" when there is none)."""
    match = re.search(r"[A-I]", (reply or "").strip().upper())
    return match.group(0) if match else ""


def eligible_questions(
    questions: Iterable[Question], games: Mapping[str, GameRecord]
) -> list[tuple[Question, str]]:
    """The questions the script asks, with the true role of their seat: the referenced
    game must be present and the seat's role one of :data:`ROLES_TO_TEST`."""
    out = []
    for q in questions:
        game = games.get(Path(q.reference).name)
        if game is None:
            continue
        role = game.role_map().get(q.seat)
        if role in ROLES_TO_TEST:
            out.append((q, role))
    return out


def mcq_scores(answers: Iterable[tuple[Question, str, str]]) -> dict[str, Any]:
    """Accuracy from ``(question, seat role, choice)`` triples: per category (by its
    abbreviation), per role, over all answered questions, and the mean over categories.
    Questions with no choice ("") are left out, as the script's report leaves them."""
    by_cat: dict[str, list[int]] = {}
    by_role: dict[str, list[int]] = {}
    asked = unanswered = 0
    for q, role, choice in answers:
        asked += 1
        if not choice:
            unanswered += 1
            continue
        hit = int(choice == q.answer)
        for table, key in ((by_cat, CATEGORIES.get(q.category, q.category)), (by_role, role)):
            cell = table.setdefault(key, [0, 0])
            cell[0] += hit
            cell[1] += 1

    def acc(cell: list[int]) -> dict[str, Any]:
        return {"correct": cell[0], "answered": cell[1], "accuracy": cell[0] / cell[1]}

    total = [sum(c[0] for c in by_cat.values()), sum(c[1] for c in by_cat.values())]
    cats = {k: acc(v) for k, v in by_cat.items()}
    return {
        "asked": asked,
        "unanswered": unanswered,
        "categories": cats,
        "roles": {k: acc(v) for k, v in by_role.items()},
        "overall": acc(total) if total[1] else None,
        "category_mean": sum(c["accuracy"] for c in cats.values()) / len(cats) if cats else None,
    }


# ---- vote alignment -----------------------------------------------------------------


@dataclass(frozen=True)
class VACase:
    game: str
    vote: str
    prompt: str
    answer: str


def _global_info(game: GameRecord, english: bool) -> str:
    if english:
        return (
            f"\nGame Global Info:\n- Rules: {game.rules}\n- Roles: {', '.join(game.roles)}\n"
            f"- Language: {game.language}\n"
        )
    return f"游戏全局信息:\n- 规则: {game.rules}\n- 角色: {', '.join(game.roles)}"


def va_cases(game: GameRecord) -> list[VACase]:
    """One case per recorded MVP vote (none when the game has no MVP votes)."""
    if not game.mvp or not game.votes:
        return []
    role = game.role_of_seat(game.mvp)
    if role:
        question = (
            f"Question: You are player {game.mvp} and your true identity is {role}. You are "
            "about to vote to eliminate a player. Who do you vote for?"
        )
    else:
        question = (
            f"Question: You are player {game.mvp}. You are about to vote to eliminate a "
            "player. Who do you vote for?"
        )
    cases = []
    for vote in game.votes:
        lines = []
        for u in game.utterances:
            if not any(i <= vote.cut_off for i in u.ids):
                continue
            if u.is_host:
                lines.append(f"【Host】: {u.text}")
            elif u.speaker == game.mvp:
                lines.append(f"{u.speaker}: N/A")
            else:
                lines.append(f"{u.speaker}: {u.text}")
        prompt = VA_PROMPT.format(
            global_info=_global_info(game, english=True),
            history="\n".join(lines),
            question=question,
        )
        cases.append(VACase(game.name, vote.name, prompt, vote.vote_to))
    return cases


def parse_vote(reply: str | None) -> str | None:
    """The first ``N号`` (one or two digits) after removing ``<think>`` blocks."""
    if reply is None:
        return None
    match = re.search(r"(\d{1,2})号", _THINK.sub("", reply).strip())
    return match.group(0) if match else None


# ---- opponent-role inference ----------------------------------------------------------


@dataclass(frozen=True)
class OICase:
    game: str
    messages: tuple[dict[str, str], ...]
    """The system message and the transcript; each question is appended in turn."""
    seats: tuple[tuple[str, str], ...]
    """``(seat, true role)`` in the order asked."""

    def question(self, seat: str) -> str:
        return OI_QUESTION.format(seat=seat)


def oi_case(game: GameRecord) -> OICase | None:
    """The chat that asks for every seat's role, or None when the script skips the game
    (no ``third_day``, or no MVP among the seats)."""
    last = max((i for i, u in enumerate(game.utterances) if u.status == "third_day"), default=-1)
    if last < 0:
        return None
    lines = [
        f"【主持人】: {u.text}" if u.is_host else f"{u.speaker}: {u.text}"
        for u in game.utterances[: last + 1]
    ]
    roles = game.seat_roles()
    if not roles or not game.mvp or game.mvp not in roles:
        return None

    def number(seat: str) -> int:
        match = re.search(r"\d+", seat)
        return int(match.group()) if match else 0

    order = sorted(roles, key=number)
    if roles[game.mvp] in ("狼人", "白狼王"):
        wolves = {s for s, r in roles.items() if r == "狼人"}
        asked = [s for s in order if s not in wolves]
    else:
        asked = [s for s in order if s != game.mvp]
    if not asked:
        return None
    messages = (
        {"role": "system", "content": OI_SYSTEM},
        {
            "role": "user",
            "content": f"{_global_info(game, english=False)}\n\n---\n对话记录:\n"
            + "\n".join(lines),
        },
    )
    return OICase(game.name, messages, tuple((s, roles[s]) for s in asked))


def parse_role(reply: str | None) -> str | None:
    """The role of an ``X号:身份`` answer (the rest of that line), after removing
    ``<think>`` blocks; None when there is none."""
    if reply is None:
        return None
    match = re.search(r"(\d{1,2})号:\s*(.+)", _THINK.sub("", reply).strip())
    return match.group(2).strip() if match else None


def accuracy(hits: Sequence[bool]) -> dict[str, Any]:
    """``correct / total`` of VA or OI (a reply that could not be read is a miss)."""
    n = len(hits)
    return {"correct": sum(hits), "total": n, "accuracy": sum(hits) / n if n else None}
