"""``redqueen serve`` in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium): a whole tic-tac-toe game played by clicking,
a stored Kuhn poker match stepped through, an LLM match's prompts and replies, a run's
page that updates while the run goes on, and no console errors on any page.

One server (started with the real ``redqueen serve`` command) and one browser serve the
whole module. A screenshot of each page is saved under the test's temporary directory
and, when ``REDQUEEN_ARTIFACTS`` is set, copied there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from web_browser import (
    chromium,
    console_errors,
    require_browser,
    screenshot,
    serve,
    text_of,
    wait_for,
)

from redqueen.agents.llm.prompts import LEGAL_MOVES_HEADER
from redqueen.agents.random_agent import RandomAgent
from redqueen.games.registry import make
from redqueen.play.match import play_match
from redqueen.play.schedule import ScheduledMatch
from redqueen.store.run_store import RunStore

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

LIVE_MATCHES = 4
LIVE_GAP = 1.0
"""The run followed live stores a match every LIVE_GAP seconds."""


@pytest.fixture(scope="module")
def server(runs_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redqueen serve RUNS --port P`` in a child process; its base URL."""
    with serve(runs_root, tmp_path_factory.mktemp("serve")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Any, str], Path]:
    folder = tmp_path_factory.mktemp("screenshots")
    return lambda driver, name: screenshot(driver, folder, name)


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
