"""The Core War board in a real headless Chromium (Debian's ``chromium`` and
``chromium-driver``, driven by Selenium): from a DRQ run's page to a battle of its
champions, the core map drawn, stepped, played and clicked, with no console errors.

The server is the real ``redqueen serve`` command over a small stored DRQ run. A
screenshot of each page is saved under the test's temporary directory and, when
``REDQUEEN_ARTIFACTS`` is set, copied there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from drq_runs import drq_run
from web_browser import (
    chromium,
    console_errors,
    require_browser,
    screenshot,
    serve,
    text_of,
    wait_for,
)

require_browser()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

FIRST_BATTLE_SECONDS = 120
"""The first battle compiles the watching MARS kernel when numba's cache is cold."""
CANVAS_DIGEST = """
const c = document.getElementById("core-map");
const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
let h = 0;
for (let i = 0; i < d.length; i += 4) { h = (h * 31 + d[i] * 7 + d[i + 1] * 3 + d[i + 2]) >>> 0; }
return [c.width, c.height, h];
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``redqueen serve RUNS --port P`` over a small DRQ run, in a child process."""
    work = tmp_path_factory.mktemp("serve-corewar")
    with serve(drq_run(work / "data"), work) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium("1280,1100") as driver:
        yield driver


def test_watch_a_drq_champion_battle_frame_by_frame(
    server: str, browser: Any, tmp_path: Path
) -> None:
    browser.get(server + "/runs/drq")
    browser.find_element(By.ID, "corewar-link").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "new-battle"))
    picked = Select(browser.find_element(By.ID, "warrior-a")).first_selected_option
    assert picked.get_attribute("value") == "run:drq/0/2"  # the run's last champion
    Select(browser.find_element(By.ID, "warrior-b")).select_by_value("held:held/imp")
    browser.find_element(By.ID, "seed").send_keys("5")
    screenshot(browser, tmp_path, "corewar-new")
    browser.find_element(By.ID, "fight").click()
    wait_for(browser, lambda d: d.find_elements(By.ID, "core-map"), FIRST_BATTLE_SECONDS)

    # the script sized and drew the map, and showed the play button
    wait_for(browser, lambda d: d.find_element(By.ID, "play").is_displayed())
    wait_for(browser, lambda d: d.execute_script(CANVAS_DIGEST)[0] > 10)
    width, height, first = browser.execute_script(CANVAS_DIGEST)
    assert width >= 40 * 3 and height >= 20 * 3  # 800 cells: 40 columns, 20 rows
    assert "frame 0 of" in text_of(browser, "frame-label")
    assert text_of(browser, "cycle") == "0"
    assert text_of(browser, "procs-0") == "1" and text_of(browser, "procs-1") == "1"
    last = int(text_of(browser, "frame-label").split(" of ")[1])
    assert last > 10

    for _ in range(3):
        browser.find_element(By.ID, "next").click()
    wait_for(browser, lambda d: text_of(d, "frame-label") == f"frame 3 of {last}")
    assert int(text_of(browser, "cycle")) > 0
    assert browser.current_url.endswith("?frame=3")  # a link to this frame
    third = browser.execute_script(CANVAS_DIGEST)[2]
    assert third != first  # the map changed: the warriors wrote to the core
    heads = text_of(browser, "cell-text").splitlines()  # each warrior's next instruction
    assert heads[0].startswith(f"w0 at {text_of(browser, 'queue-0').split(',')[0]}: ")
    assert heads[1].startswith(f"w1 at {text_of(browser, 'queue-1').split(',')[0]}: ")
    screenshot(browser, tmp_path, "corewar-frame-3")

    # play a little, pause, then jump to the end
    browser.find_element(By.ID, "play").click()
    wait_for(browser, lambda d: int(text_of(d, "frame-label").split()[1]) >= 8)
    browser.find_element(By.ID, "play").click()
    browser.find_element(By.ID, "end").click()
    wait_for(browser, lambda d: text_of(d, "frame-label") == f"frame {last} of {last}")
    outcome = text_of(browser, "outcome")
    assert outcome.startswith("Outcome: ") and ("wins" in outcome or "tie" in outcome)

    # click the first cell of the map: the cells around address 0 are listed
    canvas = browser.find_element(By.ID, "core-map")
    browser.execute_script(
        "const c = arguments[0], b = c.getBoundingClientRect();"
        "c.dispatchEvent(new MouseEvent('click', {clientX: b.left + 2, clientY: b.top + 2,"
        " bubbles: true}));",
        canvas,
    )
    wait_for(browser, lambda d: ">     0 " in text_of(d, "cell-text"))
    listing = text_of(browser, "cell-text").splitlines()
    assert len(listing) == 12 and listing[3].startswith(">     0 ")
    assert all("." in line for line in listing)  # an instruction on every line (OP.MOD)
    screenshot(browser, tmp_path, "corewar-end")
    assert console_errors(browser) == []
