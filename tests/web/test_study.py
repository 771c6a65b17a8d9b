"""Study mode: a schedule balanced over seats and opponents and counterbalanced between
participants, the consent flow, results with Wilson and bounded-return intervals
(hand-computed below), CSV and Parquet exports, and a participant who comes back."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml

WEB_EXTRA = "redqueen serve needs the web extra: pip install 'redqueen[web]'"
pytest.importorskip("fastapi", reason=WEB_EXTRA)
pytest.importorskip("jinja2", reason=WEB_EXTRA)

from fastapi.testclient import TestClient  # noqa: E402

from redqueen.errors import InvalidParameterError  # noqa: E402
from redqueen.web.app import ServeConfig, create_app  # noqa: E402
from redqueen.web.study import StudyConfig, base_items, load_study, schedule  # noqa: E402

STUDY = {
    "name": "pilot",
    "title": "Beat the first-move bot",
    "consent": "Your moves are stored under the name you give.",
    "instructions": "Play each match to the end.",
    "games": ["tic_tac_toe"],
    "opponents": ["first"],
}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def test_schedule_is_balanced_and_rotated_between_participants() -> None:
    config = StudyConfig.model_validate(
        {**STUDY, "games": ["tic_tac_toe", "kuhn_poker"], "opponents": ["first", "random"]}
    )
    items = base_items(config)
    assert len(items) == 2 * 2 * 2  # games x opponents x seats
    for k in range(3):
        mine = schedule(config, k)
        assert mine == items[k:] + items[:k]  # a cyclic Latin square
        assert Counter((i.game, i.opponent, i.seat) for i in mine) == Counter(
            {(g, o, s): 1 for g in (0, 1) for o in (0, 1) for s in (0, 1)}
        )
    # the same item has the same seed for everybody (common random numbers)
    assert {i.index: i.seed for i in schedule(config, 1)} == {i.index: i.seed for i in items}
    assert len({i.seed for i in items}) == len(items)


def test_a_study_file_is_validated(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump({**STUDY, "opponents": ["minimax"], "games": ["kuhn_poker"]}))
    with pytest.raises(InvalidParameterError, match="opponent 'minimax' cannot play kuhn_poker"):
        load_study(path)
    path.write_text(yaml.safe_dump({**STUDY, "consnet": "x"}))
    with pytest.raises(InvalidParameterError, match="consnet"):
        load_study(path)
    path.write_text(yaml.safe_dump(STUDY))
    assert load_study(path).opponents == ["first"]


def play(client: TestClient, page: str, actions: list[int]) -> str:
    for action in actions:
        csrf = csrf_of(client.get(page).text)
        response = client.post(page + "/move", data={"csrf": csrf, "action": str(action)})
        assert response.status_code == 200, response.text
    return client.get(page).text


def test_a_participant_takes_part_and_the_results_are_exported(tmp_path: Path) -> None:
    out = tmp_path / "study"
    config = StudyConfig.model_validate(STUDY)
    app = create_app(ServeConfig(human_dir=tmp_path / "human", study=config, study_dir=out))
    client = TestClient(app)
    intro = client.get("/study").text
    assert "Your moves are stored under the name you give." in intro and "2 matches" in intro
    csrf = csrf_of(intro)
    refused = client.post("/study/join", data={"csrf": csrf, "name": "ann"})
    assert refused.status_code == 400 and "consent" in refused.text
    assert client.post("/study/next", data={"csrf": csrf}).status_code == 403  # not joined
    joined = client.post("/study/join", data={"csrf": csrf, "name": "ann", "consent": "yes"})
    assert "0 of 2 matches played" in joined.text
    # match 1: seat 0 (x) against first: b2, c1, a3 win (first plays a1, then b1)
    first = client.post("/study/next", data={"csrf": csrf}, follow_redirects=False)
    page = first.headers["location"]
    assert "you are seat 0" in client.get(page).text
    assert "Game over" in play(client, page, [4, 2, 6])
    # match 2: seat 1 (o): first plays a1, b1, a2 while o takes b2, c1, a3 and wins
    page = client.post("/study/next", data={"csrf": csrf}, follow_redirects=False).headers[
        "location"
    ]
    assert "you are seat 1" in client.get(page).text
    assert "yours: <b>1</b>" in play(client, page, [4, 2, 6])
    assert "All done" in client.get("/study").text
    # results: 2 wins in 2 against first, from both seats
    [summary] = app.state.study.summary_rows()
    assert (summary["matches"], summary["wins"], summary["draws"], summary["losses"]) == (
        2,
        2,
        0,
        0,
    )
    z2 = 1.959963984540054**2
    assert summary["win_rate"] == 1.0 and summary["win_rate_high"] == 1.0
    assert summary["win_rate_low"] == pytest.approx(1 / (1 + z2 / 2), abs=1e-12)  # 0.3424
    # mean return 1 on the bounds [-1, 1]: the same score interval, rescaled
    assert summary["mean_return"] == 1.0
    assert summary["mean_return_low"] == pytest.approx(-1 + 2 / (1 + z2 / 2), abs=1e-12)
    html = client.get("/study/results").text
    assert "0.342" in html and "-0.315" in html
    matches = list(csv.DictReader(io.StringIO(client.get("/study/export/matches.csv").text)))
    assert [(m["name"], m["seat"], m["return"], m["outcome"]) for m in matches] == [
        ("ann", "0", "1.0", "win"),
        ("ann", "1", "1.0", "win"),
    ]
    rows = list(csv.DictReader(io.StringIO(client.get("/study/export/summary.csv").text)))
    assert rows[0]["opponent"] == "first" and rows[0]["wins"] == "2"
    pq = pytest.importorskip("pyarrow.parquet", reason="Parquet export needs pyarrow")
    data = client.get("/study/export/summary.parquet")
    assert data.status_code == 200
    table = pq.read_table(io.BytesIO(data.content)).to_pylist()
    assert table == app.state.study.summary_rows()
    assert client.get("/study/export/secrets.csv").status_code == 404
    # the participants file, and the same browser coming back to a new server
    stored = json.loads((out / "participants.json").read_text())["participants"]
    assert [(p["name"], sorted(p["done"])) for p in stored] == [("ann", [0, 1])]
    again = TestClient(
        create_app(ServeConfig(human_dir=tmp_path / "human", study=config, study_dir=out)),
        cookies=dict(client.cookies),
    )
    assert "All done" in again.get("/study").text
