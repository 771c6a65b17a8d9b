"""What the headless-Chromium tests of ``redqueen serve`` share: the real ``redqueen
serve`` command in a child process, a Chromium driven by Selenium (Debian's ``chromium``
and ``chromium-driver``), screenshots, and small waits.

Import it after the module-level skips of :func:`require_browser`, which skip the whole
test module with a clear reason where Selenium or Chromium is missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

WEB_EXTRA = "redqueen serve needs the web extra: pip install 'redqueen[web]'"


def require_browser() -> tuple[str, str]:
    """Chromium's and chromedriver's paths; skips the calling module where the web extra,
    Selenium or Chromium is missing."""
    pytest.importorskip("fastapi", reason=WEB_EXTRA)
    pytest.importorskip("selenium.webdriver", reason="the browser tests need selenium")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.skip(
            "the browser tests need Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver)",
            allow_module_level=True,
        )
    return chromium, driver


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(runs: Path, work: Path) -> Iterator[str]:
    """``redqueen serve RUNS --port P`` in a child process run from ``work``; its base URL
    once the home page answers (the server's log is in ``work/server.log``)."""
    port = free_port()
    command = [sys.executable, "-m", "redqueen.cli", "serve", str(runs), "--port", str(port)]
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


@contextmanager
def chromium(window: str = "1280,1000") -> Iterator[Any]:
    """A headless Chromium that keeps the page's console log; skips if it cannot start."""
    chromium_path, driver_path = require_browser()
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.add_argument(f"--window-size={window}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    except WebDriverException as err:
        pytest.skip(f"chromium could not be started by chromedriver: {err.msg}")
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, folder: Path, name: str) -> Path:
    """Save ``serve-NAME.png`` in ``folder`` (and in ``$REDQUEEN_ARTIFACTS`` when set)."""
    path = folder / f"serve-{name}.png"
    assert driver.save_screenshot(str(path)) and path.stat().st_size > 1000
    copy_to = os.environ.get("REDQUEEN_ARTIFACTS")
    if copy_to:
        Path(copy_to).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(copy_to) / path.name)
    return path


def console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def wait_for(driver: Any, check: Callable[[Any], Any], seconds: float = 10) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(check)


def text_of(driver: Any, element_id: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.ID, element_id).text)
