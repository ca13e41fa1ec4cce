"""Headless Chromium (Debian's `chromium` and `chromium-driver`) for the browser tests.

The tests are skipped where the browser is not installed, except with
O2C_REQUIRE_BROWSER=1 (CI, after `.ci/run` installed it), where a missing browser fails them.
"""

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

CHROMIUM = os.environ.get("O2C_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("O2C_CHROMEDRIVER", "/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
)
# URL schemes that never leave the machine.
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "devtools"}


def browser_available() -> bool:
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


@pytest.fixture
def browser():
    """A headless Chromium with its console and network logs recorded."""
    if not browser_available():
        message = f"needs {CHROMIUM} and {CHROMEDRIVER} (apt-get install chromium chromium-driver)"
        if os.environ.get("O2C_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def login(live_server):
    """`login(driver, user)`: give the browser a session of `user` on the live server."""

    def log_in(driver, user) -> None:
        client = Client()
        client.force_login(user)
        driver.get(f"{live_server.url}/static/dashboard/dashboard.css")
        driver.add_cookie(
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "path": "/",
            }
        )

    return log_in


def console_errors(driver) -> list[dict]:
    """The console messages of level SEVERE since the last call (the log is drained)."""
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def foreign_requests(driver, live_server_url: str) -> list[str]:
    """URLs the page requested from any host but the test server, from the network log."""
    import json

    own = urlsplit(live_server_url).netloc
    foreign = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] != "Network.requestWillBeSent":
            continue
        url = message["params"]["request"]["url"]
        parts = urlsplit(url)
        if parts.scheme in LOCAL_SCHEMES or parts.netloc == own:
            continue
        foreign.append(url)
    return foreign


def screenshot(driver, name: str) -> None:
    """Save a screenshot to docs/screenshots/ when O2C_SCREENSHOTS=1 (the README's pictures)."""
    if os.environ.get("O2C_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))
