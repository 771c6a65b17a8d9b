"""``redqueen serve`` in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium): a whole tic-tac-toe game played by clicking,
a stored Kuhn poker match stepped through, an LLM match's prompts and replies, a run's
page that updates while the run goes on, and no console errors on any page.

One server (started with the real ``redqueen serve`` command) and one browser serve the
whole module. A screenshot of each page is saved under the test's temporary directory
and, when ``REDQUEEN_ARTIFACTS`` is set, copied there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from redqueen.agents.llm.prompts import LEGAL_MOVES_HEADER
from redqueen.agents.random_agent import RandomAgent
from redqueen.games.registry import make
from redqueen.play.match import play_match
from redqueen.play.schedule import ScheduledMatch
from redqueen.store.run_store import RunStore

WEB_EXTRA = "redqueen serve needs the web extra: pip install 'redqueen[web]'"
pytest.importorskip("fastapi", reason=WEB_EXTRA)
webdriver = pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
if CHROMIUM is None or DRIVER is None:
    pytest.skip(
        "the browser tests need Debian's chromium and chromium-driver "
        "(apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

LIVE_MATCHES = 4
LIVE_GAP = 1.0
"""The run followed live stores a match every LIVE_GAP seconds."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(runs_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redqueen serve RUNS --port P`` in a child process; its base URL."""
    work = tmp_path_factory.mktemp("serve")
    port = _free_port()
    command = [sys.executable, "-m", "redqueen.cli", "serve", str(runs_root), "--port", str(port)]
    command += ["--human-dir", str(work / "human")]
    log = (work / "server.log").open("w")
    child = subprocess.Popen(command, cwd=work, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((work / "server.log").read_text()) from None
                time.sleep(0.2)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument("--window-size=1280,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    except WebDriverException as err:
        pytest.skip(f"chromium could not be started by chromedriver: {err.msg}")
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    folder = tmp_path_factory.mktemp("screenshots")
    copy_to = os.environ.get("REDQUEEN_ARTIFACTS")

    def shoot(driver: Any, name: str) -> Path:
        path = folder / f"serve-{name}.png"
        assert driver.save_screenshot(str(path)) and path.stat().st_size > 1000
        if copy_to:
            Path(copy_to).mkdir(parents=True, exist_ok=True)
            shutil.copy(path, Path(copy_to) / path.name)
        return path

    return shoot


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(driver: Any, check: Callable[[Any], Any], seconds: float = 10) -> Any:
    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(check)


def text_of(driver: Any, element_id: str) -> str:
    return str(driver.find_element(By.ID, element_id).text)


def test_play_a_whole_tic_tac_toe_game_by_clicking(server: str, browser: Any, shots: Any) -> None:
    browser.get(server + "/play")
    assert "tic-tac-toe" in text_of(browser, "game-hint")  # the form's script ran
    browser.find_element(By.ID, "name").send_keys("clicker")
    opponents = browser.find_element(By.ID, "opponents")
    opponents.clear()
    opponents.send_keys("first")
    shots(browser, "play-new")
    browser.find_element(By.ID, "start").click()
    # x: b2, c1, a3 by clicking the board; first answers a1, then b1
    for cell in ("b2", "c1", "a3"):
        button = wait_for(
            browser, lambda d, c=cell: d.find_elements(By.CSS_SELECTOR, f"button[aria-label='{c}']")
        )[0]
        button.click()
        wait_for(
            browser,
            lambda d, c=cell: not d.find_elements(By.CSS_SELECTOR, f"button[aria-label='{c}']"),
        )
    result = wait_for(browser, lambda d: d.find_elements(By.ID, "result"))[0].text
    assert "Game over" in result and "yours: 1" in result
    assert [td.text for td in browser.find_elements(By.CSS_SELECTOR, "#board td")] == [
        "o", "o", "x", "", "x", "", "x", "", "",
    ]  # fmt: skip
    assert len(browser.find_elements(By.CSS_SELECTOR, "#board td.won")) == 3
    shots(browser, "play-over")
    assert console_errors(browser) == []
    browser.find_element(By.ID, "watch-link").click()
    assert "step 0 of 5" in text_of(browser, "step-label")
    assert console_errors(browser) == []


def test_step_through_a_stored_kuhn_match(server: str, browser: Any, shots: Any) -> None:
    browser.get(server + "/runs/kuhn")
    assert "2 of 2 matches" in text_of(browser, "progress-text")
    browser.find_element(By.CSS_SELECTOR, "#matches a").click()
    assert "initial state" in text_of(browser, "transition")
    browser.find_element(By.ID, "next").click()
    transition = text_of(browser, "transition")
    assert transition.startswith("chance: deal") and "probability 0.333" in transition
    card = transition.split("deal ")[1].split()[0]
    assert f"Your card: {card}." in text_of(browser, "view-0")
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.ARROW_RIGHT)  # the arrow key
    wait_for(browser, lambda d: "step 2 of" in text_of(d, "step-label"))
    assert "probability 0.5" in text_of(browser, "transition")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#board .card")) == 2  # both face up
    shots(browser, "watch-kuhn")
    browser.find_element(By.ID, "prev").click()
    assert "step 1 of" in text_of(browser, "step-label") and "?step=1" in browser.current_url
    browser.find_element(By.ID, "end").click()
    assert "game over" in text_of(browser, "transition")
    assert console_errors(browser) == []


def test_read_an_llm_match_transcript_step_by_step(server: str, browser: Any, shots: Any) -> None:
    browser.get(server + "/runs/llm")
    browser.find_element(By.CSS_SELECTOR, "#matches a").click()
    for _ in range(9):
        if browser.find_elements(By.CSS_SELECTOR, ".calls"):
            break
        browser.find_element(By.ID, "next").click()
    prompts = [p.text for p in browser.find_elements(By.CSS_SELECTOR, ".calls .prompt")]
    assert any(LEGAL_MOVES_HEADER in p for p in prompts)
    reply = browser.find_element(By.CSS_SELECTOR, ".calls .reply").text
    move = text_of(browser, "transition").split(": ", 1)[1].split(" ·")[0]
    assert move in reply  # the reply names the move the frame shows
    shots(browser, "watch-llm")
    assert console_errors(browser) == []


def _live_run(folder: Path, started: threading.Event) -> None:
    """A small run in progress: a tournament's store, a match written every LIVE_GAP s."""
    game = make("tic_tac_toe")
    with RunStore(folder) as store:
        config = {"name": "live", "kind": "tournament", "game": {"id": "tic_tac_toe", "params": {}}}
        store.bind_config({**config, "seed": 0})
        store.record_agents(["random", "random#2"], [{"kind": "random"}] * 2)
        store.set_meta("scheduled_matches", LIVE_MATCHES)
        for k in range(LIVE_MATCHES):
            result = play_match(game, [RandomAgent(), RandomAgent()], seed=k)
            store.record_match(ScheduledMatch(f"m{k}", k, (k % 2, 1 - k % 2), k), result)
            started.set()
            time.sleep(LIVE_GAP)


def test_a_run_page_updates_while_the_run_goes_on(
    server: str, browser: Any, shots: Any, runs_root: Path
) -> None:
    started = threading.Event()
    writer = threading.Thread(target=_live_run, args=(runs_root / "live", started), daemon=True)
    writer.start()
    assert started.wait(30)
    browser.get(server + "/runs/live")
    first = text_of(browser, "progress-text")
    assert first.endswith(f"of {LIVE_MATCHES} matches") and not first.startswith(f"{LIVE_MATCHES}")
    browser.execute_script("window.loadedOnce = true;")  # gone if the page were reloaded
    shots(browser, "follow-running")
    wait_for(
        browser, lambda d: d.find_elements(By.ID, "finished"), seconds=LIVE_MATCHES * LIVE_GAP + 15
    )
    assert text_of(browser, "progress-text") == f"{LIVE_MATCHES} of {LIVE_MATCHES} matches"
    assert browser.execute_script("return window.loadedOnce === true;")
    assert int(browser.find_element(By.ID, "progress").get_attribute("value")) == LIVE_MATCHES
    rows = browser.find_elements(By.CSS_SELECTOR, "#standings tr")
    assert len(rows) == 3  # header, random, random#2
    shots(browser, "follow-finished")
    writer.join(10)
    assert console_errors(browser) == []
