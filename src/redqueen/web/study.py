"""Human studies: ``redqueen serve --study study.yaml``.

A study file fixes the games, the opponents, the consent and instructions texts, and how
many matches each participant plays::

    name: pilot
    title: Can you beat the solver?
    consent: |
      Your moves are stored with the name you give, and nothing else about you.
    instructions: |
      Play each match to the end; you will play every opponent from every seat.
    games: [tic_tac_toe, {id: kuhn_poker}]
    opponents: [random, "minimax:depth=2"]
    repeats: 1                 # matches per game, opponent and seat
    seed: 0
    out: runs/study-pilot      # default: runs/study-<name>

Schedule. Each participant plays every (game, opponent, seat) ``repeats`` times, so
every participant's results are balanced over seats and opponents by construction. The
order is counterbalanced between participants: participant ``k`` (0, 1, ...) plays the
list rotated by ``k`` places, a cyclic Latin square, so over as many participants as
the list is long each item is played at each position once. An item's seed depends on
the item, not on the participant (common random numbers: everybody meets the same deals
from the same seat), so differences between participants are not differences of luck.

Storage. Every match is stored like any browser match (:class:`~redqueen.web.sessions.
HumanRuns`, one run directory per game under ``out``) under the key
``study/p<k>/<item>/<session>``; the participants (number, name, a hash of their browser
id, consent time, items done) are kept in ``out/participants.json``, written atomically.
A participant who comes back with the same browser goes on where they stopped, also
after the server stopped: a match in progress is restored with its moves
(:func:`redqueen.web.sessions.restore_sessions`), and an item whose match was stored
just before the server stopped, before it was marked done, is marked done when the study
is opened again (it is never played twice).

Results. For each game and opponent, from the participants' side: wins, draws and losses
with the win rate's Wilson interval, and the mean return with its 95% interval on the
game's return bounds (:func:`redqueen.measure.statistics.mean_ci`, the interval the
standings use), over matches (each match one value). Exported as CSV, and as Parquet
when pyarrow is installed (the ``web`` extra).
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from redqueen.agents.registry import parse_agent_spec
from redqueen.errors import InvalidParameterError, RedqueenError
from redqueen.experiments.base import GameConfig, yaml_error_text
from redqueen.games.core import Game
from redqueen.games.registry import make
from redqueen.measure.statistics import METHODS, mean_ci, outcome, wilson_interval
from redqueen.play.match import MatchResult
from redqueen.play.schedule import ScheduledMatch, match_seed
from redqueen.store.run_store import DB_NAME, RunStore
from redqueen.web.in_progress import write_json_atomically
from redqueen.web.sessions import HumanRuns, build_opponent, participant_hash

PARTICIPANTS_FILE = "participants.json"


class StudyConfig(BaseModel):
    """A study file (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    title: str = ""
    consent: str = Field(min_length=1)
    instructions: str = ""
    games: list[GameConfig] = Field(min_length=1)
    opponents: list[str] = Field(min_length=1)
    repeats: int = Field(1, ge=1, le=100)
    seed: int = Field(0, ge=0)
    out: str | None = None
    llm_moves_per_minute: int = Field(30, ge=1, le=10_000)

    @field_validator("games", mode="before")
    @classmethod
    def _game_shorthand(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        return [{"id": v} if isinstance(v, str) else v for v in value]

    @model_validator(mode="after")
    def _opponents_play_every_game(self) -> StudyConfig:
        labels = []
        for text in self.opponents:
            for g in self.games:
                try:
                    build_opponent(text, make(g.id, **g.params), roots=[Path.cwd()])
                except RedqueenError as err:
                    raise ValueError(str(err)) from None
            labels.append(parse_agent_spec(text).label())
        if len(set(labels)) != len(labels):
            raise ValueError(f"opponents must differ; got {labels}")
        return self

    def built_games(self) -> list[Game]:
        return [make(g.id, **g.params) for g in self.games]

    def out_dir(self, base: Path) -> Path:
        return base / (self.out or f"runs/study-{self.name}")


def load_study(path: str | Path) -> StudyConfig:
    path = Path(path)
    if not path.is_file():
        raise InvalidParameterError(f"no study file at {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise InvalidParameterError(yaml_error_text(err, path)) from None
    try:
        return StudyConfig.model_validate(data)
    except ValidationError as err:
        problems = [
            f"  {'.'.join(str(p) for p in e['loc']) or '(top level)'}: "
            + e["msg"].removeprefix("Value error, ")
            for e in err.errors()
        ]
        raise InvalidParameterError(
            f"{path}: {len(problems)} problem(s)\n" + "\n".join(problems)
        ) from None


@dataclass(frozen=True)
class StudyItem:
    """One match of a participant's schedule."""

    index: int
    """Its place in the study's base list (the same item for every participant)."""
    game: int
    opponent: int
    seat: int
    repeat: int
    seed: int


def base_items(config: StudyConfig) -> list[StudyItem]:
    items: list[StudyItem] = []
    for g, game in enumerate(config.built_games()):
        for o in range(len(config.opponents)):
            for seat in range(game.num_players):
                for r in range(config.repeats):
                    k = len(items)
                    items.append(StudyItem(k, g, o, seat, r, match_seed(config.seed, k)))
    return items


def schedule(config: StudyConfig, participant: int) -> list[StudyItem]:
    """Participant ``participant``'s matches, in order: the base list rotated."""
    items = base_items(config)
    start = participant % len(items)
    return items[start:] + items[:start]


@dataclass
class Participant:
    number: int
    name: str
    id_hash: str
    consented_at: float
    done: list[int]
    """Base indices of the items finished."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "name": self.name,
            "id_hash": self.id_hash,
            "consented_at": self.consented_at,
            "done": list(self.done),
        }


class Study:
    """A running study: its config, where it stores, and its participants."""

    def __init__(self, config: StudyConfig, out: Path) -> None:
        self.config = config
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        self.games = config.built_games()
        self.runs = HumanRuns(self.out)
        for game in self.games:
            self.runs.open(game, f"study-{config.name}-{game.id}", f"study {config.name}")
        self.participants: list[Participant] = []
        path = self.out / PARTICIPANTS_FILE
        if path.is_file():
            data = json.loads(path.read_text(encoding="utf-8"))
            self.participants = [Participant(**p) for p in data.get("participants", [])]
        self._mark_stored_items_done()

    def _save(self) -> None:
        data = {"study": self.config.name, "participants": [p.to_dict() for p in self.participants]}
        write_json_atomically(self.out / PARTICIPANTS_FILE, data)

    def _stored(self) -> list[tuple[Game, ScheduledMatch, MatchResult]]:
        """Every stored match of the study's run directories."""
        out: list[tuple[Game, ScheduledMatch, MatchResult]] = []
        for game in self.games:
            path = self.runs.run_dir(game)
            if (path / DB_NAME).is_file():
                with RunStore(path) as store:
                    out.extend((game, m, r) for m, r in store.matches())
        return out

    def _mark_stored_items_done(self) -> None:
        """Mark done every item whose match is stored (the server may have stopped between
        storing a match and marking its item)."""
        by_number = {p.number: p for p in self.participants}
        changed = False
        for _, match, _ in self._stored():
            parsed = _study_key(match.key)
            p = by_number.get(parsed[0]) if parsed else None
            if parsed and p is not None and parsed[1] not in p.done:
                p.done.append(parsed[1])
                changed = True
        if changed:
            self._save()

    def participant(self, participant_id: str | None) -> Participant | None:
        if not participant_id:
            return None
        digest = participant_hash(participant_id)
        return next((p for p in self.participants if p.id_hash == digest), None)

    def join(self, participant_id: str, name: str) -> Participant:
        """Register a participant who gave consent (again: the same participant)."""
        known = self.participant(participant_id)
        if known is not None:
            return known
        p = Participant(
            len(self.participants), name, participant_hash(participant_id), time.time(), []
        )
        self.participants.append(p)
        self._save()
        return p

    def remaining(self, p: Participant) -> list[StudyItem]:
        return [item for item in schedule(self.config, p.number) if item.index not in p.done]

    def mark_done(self, p: Participant, item: StudyItem) -> None:
        if item.index not in p.done:
            p.done.append(item.index)
            self._save()

    def key(self, p: Participant, item: StudyItem, session_id: str) -> str:
        return f"study/p{p.number}/{item.index}/{session_id}"

    def total(self) -> int:
        return len(base_items(self.config))

    # ---- results --------------------------------------------------------------------

    def match_rows(self) -> list[dict[str, Any]]:
        """One row per stored study match, from the participant's side."""
        names = {f"p{p.number}": p.name for p in self.participants}
        labels = [parse_agent_spec(t).label() for t in self.config.opponents]
        rows: list[dict[str, Any]] = []
        for game, match, result in self._stored():
            parsed = _study_key(match.key)
            if parsed is not None:
                rows.append(_row(game, result, parsed, names, labels, match.key))
        rows.sort(key=lambda r: (r["participant"], r["item"]))
        return rows

    def summary_rows(self) -> list[dict[str, Any]]:
        """Per game and opponent: W/D/L with the win rate's Wilson interval and the
        mean return with its interval, over the participants' matches."""
        rows = self.match_rows()
        out = []
        for game in self.games:
            for label in (parse_agent_spec(t).label() for t in self.config.opponents):
                mine = [r for r in rows if r["game"] == game.id and r["opponent"] == label]
                n = len(mine)
                wins = sum(r["outcome"] == "win" for r in mine)
                draws = sum(r["outcome"] == "draw" for r in mine)
                low, high = wilson_interval(wins, n)
                bounds = (float(game.spec.min_utility), float(game.spec.max_utility))
                for r in mine:
                    bounds = (min(bounds[0], r["return"]), max(bounds[1], r["return"]))
                ci = mean_ci([r["return"] for r in mine], bounds=bounds)
                out.append(
                    {
                        "game": game.id,
                        "opponent": label,
                        "matches": n,
                        "wins": wins,
                        "draws": draws,
                        "losses": n - wins - draws,
                        "win_rate": _num(wins / n if n else math.nan),
                        "win_rate_low": _num(low),
                        "win_rate_high": _num(high),
                        "mean_return": _num(ci.mean),
                        "mean_return_low": _num(ci.low),
                        "mean_return_high": _num(ci.high),
                        "return_interval": METHODS[ci.method],
                        "win_rate_interval": "Wilson score interval, 95%",
                    }
                )
        return out


def _num(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _study_key(key: str) -> tuple[int, int] | None:
    """(participant number, item) of a key ``study/p<k>/<item>/<session>``, else None."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "study" or not parts[1].startswith("p"):
        return None
    try:
        return int(parts[1][1:]), int(parts[2])
    except ValueError:
        return None


def _row(
    game: Game,
    result: MatchResult,
    key_parts: tuple[int, int],
    names: dict[str, str],
    labels: Sequence[str],
    key: str,
) -> dict[str, Any]:
    seat = next(i for i, a in enumerate(result.agents) if a.startswith("human:"))
    others = [a for i, a in enumerate(result.agents) if i != seat]
    opponent = next((a for a in others if a in labels), others[0] if others else "")
    return {
        "participant": key_parts[0],
        "name": names.get(f"p{key_parts[0]}", result.agents[seat].removeprefix("human:")),
        "item": key_parts[1],
        "game": game.id,
        "opponent": opponent,
        "seat": seat,
        "return": float(result.returns[seat]),
        "outcome": outcome(result.returns, seat),
        "length": result.length,
        "seed": result.seed,
        "key": key,
    }


def to_csv(rows: Sequence[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return buffer.getvalue()


def to_parquet(rows: Sequence[dict[str, Any]]) -> bytes:
    """The rows as a Parquet file (needs pyarrow: ``pip install 'redqueen[web]'``)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise RedqueenError(
            "Parquet export needs pyarrow: pip install 'redqueen[web]' (CSV needs nothing)"
        ) from None
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(list(rows)), buffer)
    return buffer.getvalue()
