"""Browser fixtures: one headless Debian Chromium for the browser tests (never a downloaded build),
and a page per test whose screenshot is kept in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from test.helpers.procs import ARTIFACTS, in_test_netns

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# Package scope, not session: Playwright's sync API keeps an asyncio loop running in this thread
# while it is started, and the tests after test/e2e call asyncio.run(), which refuses to run
# inside a running loop. Stopping it when test/e2e ends leaves the thread clean for them.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not in_test_netns():
        pytest.skip("opens sockets: run inside scripts/in-test-netns")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    try:
        yield pg
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        try:
            pg.screenshot(path=str(ARTIFACTS / f"e2e-{request.node.name}.png"), full_page=True)
        finally:
            context.close()


@pytest.fixture(scope="package")
def dist_url() -> Iterator[str]:
    """The built page (web/dist) from a plain loopback HTTP server, not connecting to any bridge:
    for tests of the page's own views, fed through the hook (`window.chedweb.feed`)."""
    if not in_test_netns():
        pytest.skip("opens sockets: run inside scripts/in-test-netns")
    from bench.page_apply import serve_dist

    with serve_dist() as url:
        yield url
