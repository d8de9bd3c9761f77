"""The browser client in a real browser: Debian's Chromium driven by Playwright.

Playwright's own browser downloads are never used: ``scripts/test`` installs
the ``chromium`` package (``scripts/browser``) and passes its path in
``ECHO_TEST_CHROMIUM``; run alone, these tests look for it on the PATH and
call ``scripts/browser`` if it is missing. The server is a real
``echosphere dev`` process, the same command a newcomer runs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support.server import DevProcess, dev_process
from tests.web.people import Person

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"

CHROMIUM_FLAGS = [
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # A synthetic microphone, granted without a prompt, for voice messages.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]

DEV_ENV = {
    # Several logins from one address within seconds, as people in a demo do.
    "ECHO_RATE_AUTH": "50/500",
    "ECHO_CODE_INTERVAL": "1",
}


def chromium_path() -> str:
    found = os.environ.get("ECHO_TEST_CHROMIUM") or shutil.which("chromium")
    if found:
        return found
    installed = subprocess.run(
        [str(ROOT / "scripts" / "browser")], capture_output=True, text=True, timeout=600, check=True
    )
    return installed.stdout.strip()


@pytest.fixture(scope="module")
def dev_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    data = tmp_path_factory.mktemp("web") / "data"
    with dev_process(data, env=DEV_ENV) as running:
        yield running


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Each launch gets a new, empty profile (Playwright's temporary user data dir).
    launched = playwright.chromium.launch(
        executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS, timeout=60_000
    )
    yield launched
    launched.close()


@pytest.fixture
def people(browser: Browser, dev_server: DevProcess) -> Iterator[list[Person]]:
    """Collects the people a test creates and closes their browser contexts."""
    made: list[Person] = []
    yield made
    for person in made:
        person.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
