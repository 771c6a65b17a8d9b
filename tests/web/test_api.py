"""``redqueen serve`` over HTTP: every endpoint, its errors, and the safety rules (the
token, the form token and origin check on every POST, a match only its owner may move
in, agent specs validated as on the command line, files kept inside the served
directories, LLM opponents rate-limited)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

WEB_EXTRA = "redqueen serve needs the web extra: pip install 'redqueen[web]'"
pytest.importorskip("fastapi", reason=WEB_EXTRA)
pytest.importorskip("jinja2", reason=WEB_EXTRA)

from fastapi.testclient import TestClient  # noqa: E402

from redqueen.agents.llm.prompts import LEGAL_MOVES_HEADER  # noqa: E402
from redqueen.games.registry import registered  # noqa: E402
from redqueen.store.llm_cache import LLMStore  # noqa: E402
from redqueen.store.run_store import RunStore  # noqa: E402

Client = Callable[..., TestClient]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def start(client: TestClient, **form: str) -> str:
    """Start a match from the new-match form; the match page's path."""
    fields = {"name": "alice", "game": "tic_tac_toe", "seat": "0", "opponents": "first"}
    fields.update(form)
    response = client.post(
        "/play", data={"csrf": csrf_of(client.get("/play").text), **fields}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def move(client: TestClient, page: str, action: int, **extra: str) -> int:
    csrf = csrf_of(client.get(page).text)
    data = {"csrf": csrf, "action": str(action), **extra}
    return client.post(page + "/move", data=data, follow_redirects=False).status_code


def test_home_static_and_games(make_client: Client) -> None:
    client = make_client()
    home = client.get("/")
    assert home.status_code == 200 and "/play" in home.text and "/runs" in home.text
    assert "script-src 'self'" in home.headers["content-security-policy"]
    assert "rq_participant" in home.headers["set-cookie"]
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/static/nope.js").status_code == 404
    games = {g["id"]: g for g in client.get("/api/games").json()}
    assert set(games) == set(registered())
    assert games["connect_four"]["players"] == 2
    assert games["connect_four"]["parameters"]["rows"] == 6
    assert games["matrix"]["required"] == ["payoffs"] and games["matrix"]["players"] is None


def test_runs_list_progress_and_live_page(make_client: Client) -> None:
    client = make_client()
    runs = {r["id"]: r for r in client.get("/api/runs").json()}
    assert set(runs) == {"ttt", "kuhn", "llm"}
    # two agents, one match per pairing and seat order: 2 matches, all stored
    assert (runs["kuhn"]["done"], runs["kuhn"]["total"], runs["kuhn"]["fraction"]) == (2, 2, 1.0)
    listing = client.get("/runs").text
    assert 'href="/runs/kuhn"' in listing and "2 / 2" in listing
    page = client.get("/runs/ttt").text
    assert "2 of 2 matches" in page and 'id="finished"' in page
    assert ">random<" in page and ">first<" in page  # the standings table
    assert "payoff matrix" in page and "/runs/ttt/files/report.html" in page
    live = client.get("/runs/ttt/live")
    assert live.status_code == 200 and "<html" not in live.text and "2 of 2 matches" in live.text
    missing = client.get("/runs/nope")
    assert missing.status_code == 404 and "ttt" in missing.text  # names the runs there are


def test_run_files_are_only_the_reports(make_client: Client) -> None:
    client = make_client()
    report = client.get("/runs/ttt/files/report.html")
    assert report.status_code == 200 and "<h1>ttt</h1>" in report.text
    assert report.headers["content-security-policy"].startswith("default-src 'none'")
    assert client.get("/runs/llm/files/transcripts.html").status_code == 200
    assert client.get("/runs/ttt/files/transcripts.html").status_code == 404  # no LLM calls
    for name in ("run.sqlite", "..%2Frun.sqlite", "results.json"):
        assert client.get(f"/runs/ttt/files/{name}").status_code == 404


def _first_key(client: TestClient, run: str) -> str:
    found = re.search(rf'href="/runs/{run}/matches/([^"]+)"', client.get(f"/runs/{run}").text)
    assert found
    return found.group(1)


def test_watch_a_kuhn_match_step_by_step(make_client: Client, runs_root: Path) -> None:
    client = make_client()
    key = _first_key(client, "kuhn")
    data = client.get(f"/api/runs/kuhn/matches/{key}").json()
    with RunStore(runs_root / "kuhn") as store:
        stored = {m.key: r for m, r in store.matches()}
    result = stored[data["key"]]
    frames = data["frames"]
    assert len(frames) == result.length + 1 and data["returns"] == list(result.returns)
    # the deal: 1 card of 3 to player 0, then 1 of the 2 left to player 1
    assert (frames[1]["who"], frames[1]["probability"]) == ("chance", 1 / 3)
    assert (frames[2]["who"], frames[2]["probability"]) == ("chance", 1 / 2)
    card0 = frames[1]["move"].removeprefix("deal ")
    assert f"Your card: {card0}." in frames[1]["views"][0]
    assert "Your card: not dealt yet." in frames[1]["views"][1]
    assert frames[-1]["to_move"].startswith("game over")
    page = client.get(f"/runs/kuhn/matches/{key}?step=1")
    assert "step 1 of" in page.text and "probability 0.333" in page.text
    assert 'id="next"' in page.text and 'id="prev"' in page.text
    clamped = client.get(f"/runs/kuhn/matches/{key}?step=999").text
    assert f"step {result.length} of {result.length}" in clamped and 'id="next"' not in clamped
    missing = client.get("/runs/kuhn/matches/no-such-key")
    assert missing.status_code == 404 and "g0-1:n0" in missing.text


def test_watch_an_llm_match_shows_its_prompts_and_replies(make_client: Client) -> None:
    client = make_client()
    key = _first_key(client, "llm")
    data = client.get(f"/api/runs/llm/matches/{key}").json()
    llm_seat = next(k for k, a in enumerate(data["agents"]) if a.startswith("llm:"))
    moves = [f for f in data["frames"] if f["who"] == f"player {llm_seat}"]
    assert moves and all(len(f["calls"][str(llm_seat)]) == 1 for f in moves)
    assert data["unclaimed_calls"] == {}
    call = moves[0]["calls"][str(llm_seat)][0]
    assert LEGAL_MOVES_HEADER in call["messages"][-1]["content"]
    # the scripted server answers the first legal move, and that is the move played
    assert moves[0]["move"] in call["reply"] and call["action"] is not None
    step = moves[0]["step"]
    page = client.get(f"/runs/llm/matches/{key}?step={step}").text
    assert "LLM calls behind this move" in page and "[reply]" in page


def test_play_a_whole_game_and_find_it_stored_with_elo(make_client: Client, tmp_path: Path) -> None:
    client = make_client()
    page = start(client, seed="5")
    view = client.get(page)
    assert view.status_code == 200 and 'name="action" value="4"' in view.text
    # x: b2, c1, a3 (a diagonal); first plays the lowest free cell: a1, then b1
    for action in (4, 2, 6):
        assert move(client, page, action) == 303
    done = client.get(page).text
    assert "Game over" in done and "yours: <b>1</b>" in done
    assert "player 1 (first): a1" in done and "player 1 (first): b1" in done
    run_dir = tmp_path / "human" / "tic_tac_toe"
    with RunStore(run_dir) as store:
        assert store.agent_names() == ["human:alice", "first"]
        [(match, result)] = list(store.matches())
        assert store.config()["kind"] == "tournament"
    assert result.returns == (1.0, -1.0) and result.agents == ("human:alice", "first")
    assert [s.action for s in result.trajectory] == [4, 0, 2, 1, 6]
    assert match.seed == 5 and match.key.startswith("human/")
    runs = {r["id"]: r for r in client.get("/api/runs").json()}
    assert runs["tic_tac_toe"]["done"] == 1
    standings = client.get("/runs/tic_tac_toe").text
    assert "<td>human:alice</td><td>1</td><td>1</td>" in standings and "return Elo" in standings
    watch = re.search(r'href="(/runs/tic_tac_toe/matches/[^"]+)" id="watch-link"', done)
    assert watch and client.get(watch.group(1)).status_code == 200
    assert move(client, page, 0) == 400  # the match is over


def test_moves_are_checked_and_belong_to_their_owner(make_client: Client) -> None:
    client = make_client()
    page = start(client)
    assert move(client, page, 4) == 303
    refused = client.post(
        page + "/move", data={"csrf": csrf_of(client.get(page).text), "action": "4"}
    )
    assert refused.status_code == 400 and "legal moves: 1 (b1)" in refused.text
    assert move(client, page, 99) == 400
    # another browser: its own cookie and form token, and still no access
    other = TestClient(client.app)
    token = csrf_of(other.get("/play").text)
    assert other.get(page).status_code == 403
    assert other.post(page + "/move", data={"csrf": token, "action": "1"}).status_code == 403
    # a form without its token, with another's token, or from another site
    assert client.post(page + "/move", data={"action": "1"}).status_code == 403
    assert client.post(page + "/move", data={"csrf": token, "action": "1"}).status_code == 403
    csrf = csrf_of(client.get(page).text)
    cross = client.post(
        page + "/move", data={"csrf": csrf, "action": "1"}, headers={"Origin": "http://evil.test"}
    )
    assert cross.status_code == 403
    assert client.post("/play/unknown/move", data={"csrf": csrf, "action": "1"}).status_code == 404
    assert client.get("/play/unknown").status_code == 404
    assert client.get(page).text.count('name="action"') == 7  # nothing else was played


def test_new_match_input_is_validated_as_on_the_command_line(
    make_client: Client, tmp_path: Path
) -> None:
    client = make_client()
    csrf = csrf_of(client.get("/play").text)
    outside = tmp_path.parent / "policy.json"

    def refused(**form: str) -> str:
        fields = {"csrf": csrf, "name": "alice", "game": "tic_tac_toe", "opponents": "random"}
        response = client.post("/play", data={**fields, **form})
        assert response.status_code == 400, form
        return response.text

    assert "allowed" in refused(game="chess") and "tic_tac_toe" in refused(game="chess")
    assert "rows" in refused(game="connect_four", params="rowz=5")
    assert "minimax" in refused(opponents="alphazero")
    assert "human" in refused(opponents="human")
    assert "outside the directories" in refused(opponents=f"policy:path={outside}")
    assert "API_KEY" in refused(opponents="llm:model=m,api_key_env=HOME")
    assert "allowed seats are 0..1" in refused(seat="2")
    assert "human:&lt;name&gt;" in refused(name="a b")
    assert "cannot play" in refused(game="kuhn_poker", opponents="minimax")
    ok = client.post(
        "/play",
        data={"csrf": csrf, "name": "bob", "game": "connect_four", "params": "rows=4\ncolumns=5",
              "opponents": "first", "seed": "1"},
        follow_redirects=False,
    )  # fmt: skip
    assert ok.status_code == 303
    page = client.get(ok.headers["location"]).text
    assert page.count("name='action' value=") == 5  # the board: a button on each column
    assert page.count('name="action" value=') == 5  # and a button per legal move


def test_cheap_talk_messages_are_attached_to_moves(make_client: Client) -> None:
    client = make_client()
    page = start(client, game="bargaining", params="messages=true\nmax_rounds=2", opponents="first")
    view = client.get(page).text
    assert 'id="message"' in view and "no messages yet" in view
    assert move(client, page, 50, message="half each, <b>fair</b>?") == 303
    after = client.get(page).text
    assert "<b>player 0</b>: half each, &lt;b&gt;fair&lt;/b&gt;?" in after


def test_llm_opponents_are_rate_limited_per_participant(
    make_client: Client, tmp_path: Path, llm_opponent: str
) -> None:
    client = make_client(llm_moves_per_minute=1)
    spec = llm_opponent
    page = start(client, seat="1", opponents=spec)  # the LLM moves first: 1 move
    view = client.get(page).text
    assert "player 0 (" in view and 'name="action"' in view
    assert move(client, page, 8) == 303  # the LLM's second move is over the limit
    held = client.get(page).text
    assert "limited per participant" in held and 'id="continue"' in held
    assert 'name="action" value=' not in held  # the person waits for the LLM
    with LLMStore(tmp_path / "human" / "tic_tac_toe" / "run.sqlite") as store:
        calls = store.calls()
    assert len(calls) == 1 and calls[0].match_key == "human/" + page.rsplit("/", 1)[-1]
    # another participant has a limit of their own
    other = TestClient(client.app)
    assert start(other, seat="1", opponents=spec).startswith("/play/")


def test_token_rule(make_client: Client) -> None:
    client = make_client(token="s3cret-token")
    assert client.get("/").status_code == 401
    assert client.get("/static/app.js").status_code == 401
    assert client.get("/api/runs").status_code == 401
    assert client.get("/?token=wrong-token").status_code == 401
    assert client.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    assert client.get("/", headers={"X-Redqueen-Token": "s3cret-token"}).status_code == 200
    first = client.get("/?token=s3cret-token")
    assert first.status_code == 200 and "rq_token=s3cret-token" in first.headers["set-cookie"]
    assert client.get("/api/runs").status_code == 200  # the cookie carries it now
    assert start(client).startswith("/play/")


def test_every_page_escapes_what_it_shows(make_client: Client) -> None:
    client = make_client()
    missing = client.get("/runs/<script>alert(1)</script>")
    assert missing.status_code == 404 and "<script>alert" not in missing.text
    assert client.get("/study").status_code == 404  # no study on this server
    api = client.get("/api/runs/nope/matches/x")
    assert api.status_code == 404 and "nope" in json.loads(api.text)["error"]
