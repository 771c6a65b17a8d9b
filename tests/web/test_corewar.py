"""The Core War board of ``redqueen serve`` over HTTP: the warriors offered (Dwarf, the
held-out warriors, a DRQ run's champions), a battle started by a POST that carries the
form token, its frames and cells as JSON, equal to ``battle()`` for the same warriors and
seed; pasted Redcode assembled, never evaluated, with clear errors; a battle seen only by
its starter; the token rule."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

WEB_EXTRA = "redqueen serve needs the web extra: pip install 'redqueen[web]'"
pytest.importorskip("fastapi", reason=WEB_EXTRA)
pytest.importorskip("jinja2", reason=WEB_EXTRA)

from drq_runs import WARRIORS, drq_run  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from redqueen.games.corewar import assemble, battle  # noqa: E402
from redqueen.learn.red_queen import DWARF, BattleSettings, load_rounds  # noqa: E402
from redqueen.store.run_store import RunStore  # noqa: E402
from redqueen.web.app import ServeConfig, create_app  # noqa: E402
from redqueen.web.corewar import MAX_SOURCE_CHARS, Battles, CoreWarBattle  # noqa: E402

IMP = "MOV.I $0, $1\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return drq_run(tmp_path_factory.mktemp("corewar"))


def client_of(served: Path, tmp_path: Path, **config: Any) -> TestClient:
    return TestClient(create_app(ServeConfig(run_dirs=[served], human_dir=tmp_path, **config)))


@pytest.fixture
def client(served: Path, tmp_path: Path) -> TestClient:
    return client_of(served, tmp_path)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def post_battle(client: TestClient, **fields: str) -> Any:
    csrf = csrf_of(client.get("/corewar").text)
    return client.post("/corewar", data={"csrf": csrf, **fields}, follow_redirects=False)


def start(client: TestClient, **fields: str) -> str:
    """Start a battle; its page's path."""
    response = post_battle(client, **fields)
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def champions(served: Path) -> list[tuple[str, BattleSettings]]:
    with RunStore(served / "drq") as store:
        settings = BattleSettings.of(store.config())
        return [(r.champion.source, settings) for r in load_rounds(store, 0)]


def test_the_home_and_a_drq_run_link_to_the_board(client: TestClient) -> None:
    assert 'href="/corewar"' in client.get("/").text
    run_page = client.get("/runs/drq").text
    assert 'href="/corewar?run=drq" id="corewar-link"' in run_page


def test_the_form_offers_dwarf_held_out_warriors_and_every_champion(client: TestClient) -> None:
    page = client.get("/corewar?run=drq")
    assert page.status_code == 200
    options = re.findall(r'<option value="([^"]+)"( selected)?', page.text)
    half = len(options) // 2  # one list per side
    ids = [o for o, _ in options[:half]]
    assert ids[0] == "builtin:dwarf"
    assert {"held:held/imp", "held:held/mice"} <= set(ids)
    assert [i for i in ids if i.startswith("run:")] == ["run:drq/0/0", "run:drq/0/1", "run:drq/0/2"]
    # from a run's page: its last champion against the one before
    assert [o for o, s in options[:half] if s] == ["run:drq/0/2"]
    assert [o for o, s in options[half:] if s] == ["run:drq/0/1"]
    plain = re.findall(r'<option value="([^"]+)" selected', client.get("/corewar").text)
    assert plain == ["builtin:dwarf", ids[1]]


def test_a_battle_is_the_one_battle_plays(client: TestClient, served: Path) -> None:
    page = start(client, warrior_a="run:drq/0/2", warrior_b="held:held/imp", seed="5")
    assert re.fullmatch(r"/corewar/[A-Za-z0-9_-]+", page)
    html = client.get(page).text
    assert "seed 5" in html and "Core 800 cells, 800 cycles" in html
    data = client.get("/api" + page).json()
    source, settings = champions(served)[2]
    imp = settings.assemble((WARRIORS / "imp.red").read_text())
    expected = battle(
        [settings.assemble(source), imp],
        seed=5,
        coresize=800,
        cycles=800,
        processes=64,
        max_length=20,
        min_distance=20,
    )
    assert data["result"] == expected.to_dict()
    assert data["outcome"] == expected.outcomes[0]
    assert [w["position"] for w in data["warriors"]] == expected.positions[0]
    assert 2 < len(data["frames"]) <= 300
    assert data["frames"][-1]["cycle"] <= 800
    alive = [n > 0 for n in data["frames"][-1]["processes"]]
    assert alive == [s > 0 for s in expected.outcomes[0]]
    # frame 0: the two warriors as loaded, each with one process at its start
    first = client.get(f"/api{page}/frames/0").json()
    a, b = expected.positions[0]
    length = data["warriors"][0]["length"]
    assert len(first["owners"]) == 800
    assert [i for i, c in enumerate(first["owners"]) if c == "0"] == [
        (a + k) % 800 for k in range(length)
    ]
    assert [i for i, c in enumerate(first["owners"]) if c == "1"] == [b]
    assert first["queues"][1] == [b] and len(first["queues"][0]) == 1
    assert first["next"][1] == {"warrior": 1, "address": b, "text": "MOV.I  $     0, $     1"}
    cells = client.get(f"/api{page}/frames/0/cells/{b}").json()["cells"]
    here = next(c for c in cells if c["address"] == b)
    assert here == {"address": b, "owner": 1, "text": "MOV.I  $     0, $     1"}
    assert len(cells) == 12 and cells[0]["address"] == (b - 3) % 800
    # a later frame: the Imp has moved on, and the page shows the frame asked for
    later = client.get(f"/api{page}/frames/5").json()
    assert later["cycle"] == data["frames"][5]["cycle"] > 0
    assert later["owners"] != first["owners"]
    html = client.get(page + "?frame=5").text
    assert "frame 5 of" in html and f'<b id="cycle">{later["cycle"]}</b>' in html
    last = len(data["frames"]) - 1
    assert f"frame {last} of {last}" in client.get(page + "?frame=99999").text
    assert "frame 0 of" in client.get(page + "?frame=-4").text


def test_pasted_redcode_is_assembled_with_the_standard_settings(client: TestClient) -> None:
    page = start(client, warrior_a="builtin:dwarf", source_b=";name Paste\n" + IMP, seed="1")
    data = client.get("/api" + page).json()
    assert data["settings"]["coresize"] == 8000 and data["coresize"] == 8000
    assert [w["name"] for w in data["warriors"]] == ["Dwarf", "Paste"]
    expected = battle([assemble(DWARF), assemble(IMP)], seed=1)
    assert data["result"] == expected.to_dict()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"source_a": "FOO 1, 2"}, "warrior A (pasted): line 1"),
        ({"source_b": "x" * (MAX_SOURCE_CHARS + 1)}, f"at most {MAX_SOURCE_CHARS} are read"),
        ({"warrior_a": "run:nope"}, "unknown warrior A: 'run:nope'; allowed: builtin:dwarf"),
        ({"seed": "abc"}, "seed 'abc' is not a whole number"),
        ({"seed": "-1"}, "seed must be in [0, 2147483647]"),
        ({"source_a": "MOV 0, 1\n" * 21, "warrior_b": "run:drq/0/1"}, "at most 20"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    client: TestClient, fields: dict[str, str], message: str
) -> None:
    form = {"warrior_a": "builtin:dwarf", "warrior_b": "builtin:dwarf", **fields}
    response = post_battle(client, **form)
    assert response.status_code == 400
    assert message in response.text.replace("&#39;", "'")
    assert 'id="error"' in response.text


def test_the_held_out_folder_of_the_servers_checkout_is_offered(
    served: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "checkout" / "recipes" / "corewar_held_out"
    folder.mkdir(parents=True)
    shutil.copy(WARRIORS / "validate.red", folder / "validate.red")  # asserts CORESIZE==8000
    monkeypatch.chdir(tmp_path / "checkout")
    client = client_of(served, tmp_path / "human")
    assert 'value="held:corewar_held_out/validate"' in client.get("/corewar").text
    fields = {"warrior_a": "held:corewar_held_out/validate"}
    assert post_battle(client, **fields, warrior_b="builtin:dwarf").status_code == 303
    # with a champion of the run, its 800-cell core: Validate's assertion fails
    refused = post_battle(client, **fields, warrior_b="run:drq/0/1")
    assert refused.status_code == 400 and "assertion failed" in refused.text


def test_pasted_text_is_never_run_as_python(client: TestClient, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    response = post_battle(client, source_a=code, warrior_b="builtin:dwarf")
    assert response.status_code == 400 and "warrior A (pasted)" in response.text
    assert not marker.exists()


def test_posts_need_the_form_token_and_this_origin(client: TestClient) -> None:
    fields = {"warrior_a": "builtin:dwarf", "warrior_b": "builtin:dwarf"}
    assert client.post("/corewar", data=fields).status_code == 403
    assert client.post("/corewar", data={**fields, "csrf": "forged"}).status_code == 403
    csrf = csrf_of(client.get("/corewar").text)
    foreign = client.post(
        "/corewar", data={**fields, "csrf": csrf}, headers={"Origin": "http://evil.example"}
    )
    assert foreign.status_code == 403


def test_a_battle_is_seen_only_by_its_starter(client: TestClient) -> None:
    page = start(client, warrior_a="builtin:dwarf", warrior_b="held:held/imp", seed="2")
    other = TestClient(client.app)  # another browser on the same server: another participant
    assert other.get(page).status_code == 403
    refused = other.get(f"/api{page}/frames/0")
    assert refused.status_code == 403 and "another participant" in refused.json()["error"]
    missing = client.get("/api/corewar/nope")
    assert missing.status_code == 404 and "no Core War battle 'nope'" in missing.json()["error"]
    assert client.get("/corewar/nope").status_code == 404


def test_frame_and_cell_errors_name_the_range(client: TestClient) -> None:
    page = start(client, warrior_a="builtin:dwarf", warrior_b="held:held/imp", seed="3")
    last = len(client.get("/api" + page).json()["frames"]) - 1
    too_far = client.get(f"/api{page}/frames/{last + 1}")
    assert too_far.status_code == 400
    assert too_far.json()["error"] == (
        f"frame {last + 1} does not exist: the trace has frames 0 to {last}"
    )
    outside = client.get(f"/api{page}/frames/0/cells/8000")
    assert outside.status_code == 400 and "use 0 to 7999" in outside.json()["error"]
    assert client.get(f"/api{page}/frames/x").status_code == 422


def test_the_token_rule_covers_the_board(served: Path, tmp_path: Path) -> None:
    guarded = client_of(served, tmp_path, token="s3cret-token")
    assert guarded.get("/corewar").status_code == 401
    assert guarded.get("/api/corewar/x").status_code == 401
    assert guarded.get("/corewar?token=s3cret-token").status_code == 200
    assert guarded.get("/corewar").status_code == 200  # the cookie it set


def test_only_the_newest_battles_are_kept() -> None:
    kept = Battles(limit=2)
    for k in range(3):
        kept.add(CoreWarBattle(f"b{k}", "me", [], BattleSettings(8, 8, 8, 8, 1), k, trace=None))
    assert [kept.find(f"b{k}") is not None for k in range(3)] == [False, True, True]


def test_a_participant_starts_at_most_so_many_battles_a_minute(
    served: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import redqueen.web.app as web_app

    monkeypatch.setattr(web_app, "BATTLES_PER_MINUTE", 2)
    client = client_of(served, tmp_path)
    pair = {"warrior_a": "builtin:dwarf", "warrior_b": "held:held/imp"}
    start(client, **pair, seed="1")
    start(client, **pair, seed="2")
    refused = post_battle(client, **pair, seed="3")
    assert refused.status_code == 429
    assert "at most 2 Core War battles a minute: try again in" in refused.text
    other = TestClient(client.app)  # another participant is not held back
    assert post_battle(other, **pair, seed="3").status_code == 303
