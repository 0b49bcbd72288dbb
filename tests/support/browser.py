"""A real browser for the console's tests: Debian's ``chromium`` driven by Playwright's Python API
(a pytest plugin: ``tests/conftest.py`` loads it).

- ``browser``: one headless Chromium per test module (starting one costs about a second; every
  page gets its own context, so cookies never leak between tests). Not one per session:
  Playwright's sync API keeps an asyncio loop running on the main thread while it is open, and
  every later test that calls ``asyncio.run`` would fail ("cannot be called from a running event
  loop"); closing it at the end of the module puts the thread back as it was.
- ``signed_in_page``: a fixture whose value is a function, ``signed_in_page(server)``: a 1280x800
  page of a fresh context, signed in to the server's console with its root key as a user types
  it into the sign-in form, on the console's home page; closed when the test ends.
- ``new_page(browser)`` and ``sign_in(page, server, key, secret)``: the same by hand (another
  user, or the sign-in page itself); the test closes ``page.context``.
- ``screenshot(page, name)``: a 1280x800 PNG of the page in this run's screenshot folder; with
  ``MODELPORT_UPDATE_SCREENSHOTS=1`` also in ``docs/console/``, where docs/console.md shows them.

Playwright never downloads a browser here: it launches ``/usr/bin/chromium`` (``.ci/run`` and
``scripts/test`` install the ``chromium`` package when it is missing).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from support.modelport_server import ModelportServer

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
_shots: Path | None = None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium for the test module."""
    global _shots
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"The console's browser tests need Chromium at {CHROMIUM}: install Debian's package "
            "(sudo apt-get install chromium), or run scripts/test as root, which installs it."
        )
    from playwright.sync_api import sync_playwright

    _shots = _shots or tmp_path_factory.mktemp("console-screenshots")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_page(browser: Any) -> Any:
    """A page in a fresh context (its own cookies), 1280x800, accepting confirm() dialogs."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def sign_in(page: Any, server: ModelportServer, access_key: str, secret_key: str) -> None:
    page.goto(f"{server.url}/console/signin")
    page.fill("input[name=access_key_id]", access_key)
    page.fill("input[name=secret_access_key]", secret_key)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/console/**")


@pytest.fixture
def signed_in_page(browser: Any) -> Iterator[Callable[[ModelportServer], Any]]:
    """``signed_in_page(server)``: a fresh page signed in to ``server``'s console with its root
    key, on the home page. Its context is closed when the test ends, passed or failed."""
    contexts: list[Any] = []

    def open_page(server: ModelportServer) -> Any:
        page = new_page(browser)
        contexts.append(page.context)
        sign_in(page, server, server.access_key, server.secret_key)
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page: Any, name: str) -> Path:
    """``name``.png of the page as shown (1280x800), kept in this run's folder, and copied to
    docs/console/ when ``MODELPORT_UPDATE_SCREENSHOTS=1``."""
    assert _shots is not None, "screenshot() needs the browser fixture"
    path = _shots / f"{name}.png"
    # After a click that submits a form, the page may still be navigating: chromium then answers
    # "Unable to capture screenshot" (seen once in a full run). Wait for the new page to load, and
    # give the capture, which is a picture for the docs and no part of what is tested, one retry.
    from playwright.sync_api import Error as PlaywrightError

    page.wait_for_load_state()
    try:
        page.screenshot(path=str(path))
    except PlaywrightError:
        page.wait_for_load_state("networkidle")
        page.screenshot(path=str(path))
    if os.environ.get("MODELPORT_UPDATE_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path
