"""Headless Chromium driven through Selenium, for tests that run a real browser client.

The flags are those of ``test_server_page.py`` plus what keeps a test run quiet and local: no
background or component-update traffic, no sync, a fresh profile, and every host name except
127.0.0.1 unresolvable, so a page cannot reach the internet even by mistake.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools import require

#: Command-line flags of every browser the tests start.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)
#: How to get what the browser tests need, on Debian.
INSTALL_HINT = "install Chromium and its WebDriver (Debian packages chromium chromium-driver)"


def chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


def chromedriver() -> str | None:
    """The ChromeDriver executable on PATH, or None."""
    return shutil.which("chromedriver")


@contextmanager
def headless_chromium(profile: Path) -> Iterator[Any]:
    """A Selenium WebDriver for headless Chromium with a new profile in ``profile``; quit afterwards.

    Skips (fails in CI) when Chromium, ChromeDriver or Selenium is missing. Both executables are
    given explicitly, so Selenium never runs its manager, which would try to download a driver.
    """
    browser, driver_path = chromium(), chromedriver()
    require(None if browser and driver_path else INSTALL_HINT)
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require("install the test extras (pip install -e '.[test]'), which include selenium")
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        driver.set_script_timeout(30)
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
