"""Nothing is lost when ``redqueen serve`` stops: a match played in the browser is written
after every move and restored when a new server starts over the same directories.

Each test plays a match through the HTTP test client, "restarts" the server by building
a new app over the same directories (the same browser: the same cookies), and checks
that the match goes on and ends exactly as the same match played without interruption:
the same moves (chance outcomes and the opponents' random moves included), the same
returns, the same invalid moves; for an LLM opponent, the same calls (same seeds and
prompts: the same cache keys) and none made twice.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

WEB_EXTRA = "redqueen serve needs the web extra: pip install 'redqueen[web]'"
pytest.importorskip("fastapi", reason=WEB_EXTRA)
pytest.importorskip("jinja2", reason=WEB_EXTRA)

from fastapi.testclient import TestClient  # noqa: E402

from redqueen.agents.llm.test_server import ScriptedServer  # noqa: E402
from redqueen.play.match import MatchResult  # noqa: E402
from redqueen.store.llm_cache import LLMStore  # noqa: E402
from redqueen.store.run_store import DB_NAME, RunStore  # noqa: E402
from redqueen.web.app import ServeConfig, create_app  # noqa: E402
from redqueen.web.in_progress import IN_PROGRESS_DIR  # noqa: E402
from redqueen.web.study import StudyConfig  # noqa: E402


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def server(root: Path, cookies: Any = None, **config: Any) -> TestClient:
    """A client of a new app (a server started anew) over ``root``."""
    config.setdefault("human_dir", root / "human")
    return TestClient(create_app(ServeConfig(run_dirs=[], **config)), cookies=cookies)


def restart(client: TestClient, root: Path, **config: Any) -> TestClient:
    """The same browser, at a new server over the same directories."""
    return server(root, dict(client.cookies), **config)


def start(client: TestClient, **form: str) -> str:
    fields = {"name": "ann", "game": "tic_tac_toe", "seat": "0", "opponents": "random"}
    fields.update(form)
    response = client.post(
        "/play", data={"csrf": csrf_of(client.get("/play").text), **fields}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def legal_moves(html: str) -> list[str]:
    return re.findall(r'name="action" value="(-?\d+)"', html)


def make_move(client: TestClient, page: str, k: int) -> bool:
    """The person's ``k``-th move: a fixed, varied choice among the legal moves. False
    when the match is over."""
    html = client.get(page).text
    if "Game over" in html:
        return False
    moves = legal_moves(html)
    assert moves, f"no legal move offered on {page}:\n{html[-1500:]}"
    data = {"csrf": csrf_of(html), "action": moves[(2 * k + 1) % len(moves)]}
    if 'id="message"' in html:  # a cheap-talk game: a message with the move
        data["message"] = f"my move number {k}"
    response = client.post(page + "/move", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return True


def play_to_end(client: TestClient, page: str, k: int = 0) -> None:
    """The person's moves from their ``k``-th to the end of the match."""
    while make_move(client, page, k):
        k += 1


def uninterrupted(root: Path, **form: str) -> MatchResult:
    """The match ``form`` starts, played to the end at one server: what a resumed match
    must equal."""
    client = server(root)
    play_to_end(client, start(client, **form))
    [result] = stored(root)
    return result


def stored(run_root: Path) -> list[MatchResult]:
    results: list[MatchResult] = []
    for db in sorted(run_root.rglob(DB_NAME)):
        with RunStore(db.parent) as store:
            results.extend(r for _, r in store.matches())
    return results


def same_match(a: MatchResult, b: MatchResult) -> None:
    assert a.trajectory == b.trajectory
    assert (a.returns, a.length, a.invalid_moves, a.forfeits, a.seed, a.agents) == (
        b.returns,
        b.length,
        b.invalid_moves,
        b.forfeits,
        b.seed,
        b.agents,
    )


def records(root: Path) -> list[Path]:
    return sorted(root.rglob(f"{IN_PROGRESS_DIR}/*.json"))


CASES = [
    # a stochastic opponent drawing from its seat's stream on every move
    ("connect_four", "", "random", "0", "11"),
    # chance (the deal) and a stochastic opponent; the person in seat 1
    ("leduc_poker", "", "random", "1", "11"),
    # simultaneous moves against an agent that keeps state within a match
    ("overcooked", "horizon=12", "overcooked_greedy", "0", "11"),
    # cheap talk: messages attached to the person's moves
    ("bargaining", "messages=true\nmax_rounds=3", "random", "0", "12"),
]


@pytest.mark.parametrize(("game", "params", "opponent", "seat", "seed"), CASES)
def test_a_match_restarted_after_every_move_ends_as_one_never_interrupted(
    tmp_path: Path, game: str, params: str, opponent: str, seat: str, seed: str
) -> None:
    form = {"game": game, "params": params, "opponents": opponent, "seat": seat, "seed": seed}
    expected = uninterrupted(tmp_path / "plain", **form)
    assert expected.length >= 4  # a match long enough to restart in

    root = tmp_path / "restarted"
    client = server(root)
    page = start(client, **form)
    sid = page.rsplit("/", 1)[-1]
    k = restarts = 0
    while "Game over" not in (before := client.get(page).text):
        assert [p.stem for p in records(root)] == [sid]  # written after every move
        client = restart(client, root)
        restarts += 1
        listing = client.get("/play").text
        assert f'href="/play/{sid}" class="resume"' in listing
        after = client.get(page)
        assert after.status_code == 200
        # the same page: the same view, moves offered and the other seats' moves so far
        for part in ('id="view"', 'id="log"', 'id="moves"'):
            assert _section(before, part) == _section(after.text, part)
        assert make_move(client, page, k)
        k += 1
    assert restarts >= 2
    [result] = stored(root)
    same_match(result, expected)
    assert records(root) == []  # the record is gone once the match is stored
    again = restart(client, root)
    assert 'class="resume"' not in again.get("/play").text


def test_seats_played_by_one_agent_are_played_by_one_agent_again(tmp_path: Path) -> None:
    """One spec given for every other seat is one agent object (it could keep state or a
    random stream across its seats); the restored match shares it the same way."""
    form = {"game": "public_goods_game", "params": "players=3\nrounds=3", "seed": "5"}
    expected = uninterrupted(tmp_path / "plain", **form)
    root = tmp_path / "restarted"
    client = server(root)
    page = start(client, **form)
    assert make_move(client, page, 0)
    client = restart(client, root)
    agents = client.app.state.sessions[page.rsplit("/", 1)[-1]].agents  # type: ignore[attr-defined]
    assert agents[1] is agents[2] and agents[0] is not agents[1]
    play_to_end(client, page, 1)
    [result] = stored(root)
    same_match(result, expected)


def _section(html: str, marker: str) -> str:
    """The element of ``html`` that carries ``marker``, up to its closing tag."""
    at = html.find(marker)
    if at < 0:
        return ""
    tag = html.rfind("<", 0, at)
    name = html[tag + 1 : html.find(" ", tag)]
    return html[tag : html.find(f"</{name}>", at)]


@pytest.fixture(scope="module")
def llm_server() -> Iterator[ScriptedServer]:
    """A scripted server whose answers depend on each request's seed, some of them
    malformed (re-asked, then a random legal move from the seat's stream)."""
    with ScriptedServer("random", malformed_rate=0.4, seed=3) as s:
        yield s


def llm_spec(s: ScriptedServer) -> str:
    return (
        f"llm:model=scripted,base_url={s.url},api_key_env=null,backoff=0.01,"
        "reasks=1,on_invalid=random"
    )


def cache_keys(run_root: Path) -> set[str]:
    keys: set[str] = set()
    for db in run_root.rglob(DB_NAME):
        with sqlite3.connect(db) as conn:
            keys |= {k for (k,) in conn.execute("SELECT key FROM llm_cache")}
    return keys


def transcript(run_root: Path) -> list[tuple[int | None, int, str]]:
    [db] = list(run_root.rglob(DB_NAME))
    with LLMStore(db) as store:
        return [(c.seat, c.call, c.reply) for c in store.calls()]


def test_an_llm_opponent_is_not_asked_again_after_a_restart(
    tmp_path: Path, llm_server: ScriptedServer
) -> None:
    form = {"game": "connect_four", "opponents": llm_spec(llm_server), "seat": "1", "seed": "4"}
    expected = uninterrupted(tmp_path / "plain", **form)
    expected_calls = transcript(tmp_path / "plain")
    assert sum(expected.invalid_moves) > 0  # malformed replies were re-asked

    root = tmp_path / "restarted"
    client = server(root)
    page = start(client, **form)
    k = 0
    while make_move(client, page, k):
        k += 1
        if "Game over" in client.get(page).text:
            break
        requests = llm_server.requests
        client = restart(client, root)
        assert client.get(page).status_code == 200
        assert llm_server.requests == requests  # restoring asked the model nothing
    [result] = stored(root)
    same_match(result, expected)
    # the same calls: the same seeds from the seat's stream and the same prompts
    assert cache_keys(root) == cache_keys(tmp_path / "plain")
    assert transcript(root) == expected_calls  # each call once, numbered as without a stop


def test_an_llm_answer_not_yet_written_comes_from_the_cache(
    tmp_path: Path, llm_server: ScriptedServer
) -> None:
    """The server stops after the LLM answered (the reply cached and in the transcript)
    but before the match's record was written: the match resumes with "try again", and the
    model is not asked again."""
    form = {"game": "tic_tac_toe", "opponents": llm_spec(llm_server), "seat": "0", "seed": "9"}
    expected = uninterrupted(tmp_path / "plain", **form)

    root = tmp_path / "restarted"
    client = server(root)
    page = start(client, **form)
    assert make_move(client, page, 0)
    [path] = records(root)
    before = json.loads(path.read_text())
    assert make_move(client, page, 1)  # the person's move, then the LLM's answer
    after = json.loads(path.read_text())
    # the record as it stood when the LLM had answered but nothing was written yet
    crashed = {**before, "requests": after["requests"]}
    assert len(after["asks"]) == len(before["asks"]) + 1
    path.write_text(json.dumps(crashed))
    requests = llm_server.requests
    client = restart(client, root)
    held = client.get(page).text
    assert "the server stopped before" in held and 'id="continue"' in held
    assert legal_moves(held) == []
    response = client.post(page + "/continue", data={"csrf": csrf_of(held)}, follow_redirects=False)
    assert response.status_code == 303
    assert llm_server.requests == requests  # answered from the run's cache
    play_to_end(client, page, 2)
    [result] = stored(root)
    same_match(result, expected)
    assert transcript(root) == transcript(tmp_path / "plain")  # not written twice


def test_a_restored_match_belongs_to_its_participant_only(tmp_path: Path) -> None:
    root = tmp_path
    ann = server(root)
    page = start(ann, game="connect_four", seed="2")
    assert make_move(ann, page, 0)
    ann = restart(ann, root)
    bob = TestClient(ann.app)  # another browser at the restarted server
    token = csrf_of(bob.get("/play").text)
    assert 'class="resume"' not in bob.get("/play").text
    assert bob.get(page).status_code == 403
    refused = bob.post(page + "/move", data={"csrf": token, "action": "0"})
    assert refused.status_code == 403 and "another participant" in refused.text
    assert bob.post(page + "/continue", data={"csrf": token}).status_code == 403
    [path] = records(root)
    assert len(json.loads(path.read_text())["requests"]) == 1  # nothing of bob's written
    for cookie in ann.cookies.values():  # the browser id is a credential: never written
        assert cookie not in path.read_text()
    assert make_move(ann, page, 1)  # the owner goes on


def test_a_broken_record_is_listed_with_its_reason_and_the_server_starts(tmp_path: Path) -> None:
    root = tmp_path
    client = server(root)
    pages = [start(client, game="connect_four", seed=str(s)) for s in range(4)]
    for page in pages:
        assert make_move(client, page, 0)
        assert make_move(client, page, 1)
    paths = {p.stem: p for p in records(root)}
    good, garbage, moved, tampered = (paths[p.rsplit("/", 1)[-1]] for p in pages)
    garbage.write_text('{"format": "redqueen.web.in_progress/1", "id": ')
    data = json.loads(moved.read_text())
    data["trajectory"][1][1] = (data["trajectory"][1][1] + 1) % 7  # another reply recorded
    moved.write_text(json.dumps(data))
    data = json.loads(tampered.read_text())
    data["asks"][0]["answer"] = (data["asks"][0]["answer"] + 1) % 7
    tampered.write_text(json.dumps(data))

    client = restart(client, root)  # does not crash
    listing = client.get("/play").text
    restorable = re.findall(r'href="/play/([^"]+)" class="resume"', listing)
    assert restorable == [good.stem]
    assert "could not be restored" in listing
    broken = _section(listing, 'id="unrestorable"')
    assert garbage.name in broken and "is not JSON" in broken
    assert moved.name in broken and "move 1 differs" in broken
    assert tampered.name in broken and "does not play the same from the same seed" in broken
    for path in (garbage, moved, tampered):
        response = client.get(f"/play/{path.stem}")
        assert response.status_code == 409 and "could not be restored" in response.text
        assert path.is_file()  # kept, not deleted
    assert make_move(client, f"/play/{good.stem}", 2)


def test_a_record_of_a_match_already_stored_is_dropped(tmp_path: Path) -> None:
    """The server stopped between storing a finished match and deleting its record."""
    root = tmp_path
    client = server(root)
    page = start(client, seed="3")
    k = 0
    copy = tmp_path / "record.json"
    while True:
        [path] = records(root)
        shutil.copy(path, copy)
        if not make_move(client, page, k) or "Game over" in client.get(page).text:
            break
        k += 1
    assert records(root) == []
    shutil.copy(copy, path)  # the record of the move before the last, left behind
    client = restart(client, root)
    assert records(root) == [] and 'class="resume"' not in client.get("/play").text
    assert len(stored(root)) == 1  # stored once, not twice


STUDY = {
    "name": "pilot",
    "consent": "Your moves are stored under the name you give.",
    "games": ["tic_tac_toe"],
    "opponents": ["random"],
}


def _study_server(out: Path, cookies: Any = None) -> TestClient:
    config = StudyConfig.model_validate(STUDY)
    return server(out, cookies, human_dir=out / "human", study=config, study_dir=out / "study")


def _study_match(client: TestClient) -> str:
    csrf = csrf_of(client.get("/study").text)
    response = client.post("/study/next", data={"csrf": csrf}, follow_redirects=False)
    assert response.status_code == 303
    return str(response.headers["location"])


def _join(client: TestClient) -> None:
    csrf = csrf_of(client.get("/study").text)
    data = {"csrf": csrf, "name": "ann", "consent": "yes"}
    assert client.post("/study/join", data=data).status_code == 200


def _study_results(out: Path) -> list[MatchResult]:
    return sorted(stored(out / "study"), key=lambda r: r.seed)


def test_a_study_participant_resumes_their_match_and_their_schedule(tmp_path: Path) -> None:
    plain = _study_server(tmp_path / "plain")
    _join(plain)
    for _ in range(2):
        play_to_end(plain, _study_match(plain))
    expected = _study_results(tmp_path / "plain")
    assert len(expected) == 2

    out = tmp_path / "restarted"
    client = _study_server(out)
    _join(client)
    for n in range(2):
        page = _study_match(client)
        assert make_move(client, page, 0)
        client = _study_server(out, dict(client.cookies))
        assert f"{n} of 2 matches played" in client.get("/study").text
        assert _study_match(client) == page  # back to the same match, not a new one
        play_to_end(client, page, 1)
    assert "All done" in client.get("/study").text
    results = _study_results(out)
    for got, want in zip(results, expected, strict=True):
        same_match(got, want)
    # another participant at the restarted server starts their own first match
    other = TestClient(client.app)
    _join(other)
    assert _study_match(other) not in (page,)


def test_an_item_stored_but_not_marked_done_is_not_played_twice(tmp_path: Path) -> None:
    """The server stopped between storing a study match and marking its item done."""
    out = tmp_path
    client = _study_server(out)
    _join(client)
    play_to_end(client, _study_match(client))
    participants = out / "study" / "participants.json"
    data = json.loads(participants.read_text())
    assert data["participants"][0]["done"] == [0]
    data["participants"][0]["done"] = []
    participants.write_text(json.dumps(data))
    client = _study_server(out, dict(client.cookies))
    assert "1 of 2 matches played" in client.get("/study").text
    assert json.loads(participants.read_text())["participants"][0]["done"] == [0]
