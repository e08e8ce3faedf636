"""Capability deflate-raw in real headless Chromium against the real bridge and publisher: the page
asks for it, inflates the binary messages with DecompressionStream and shows the same statuses; a
browser without DecompressionStream (what a page that does not ask looks like to the bridge)
gets text and works as before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

STATUSES = 30
# A page script that runs before the page's own: this browser has no DecompressionStream.
NO_DECOMPRESSION = "delete window.DecompressionStream;"


@pytest.fixture(scope="module")
def publisher() -> Iterator[PublisherProcess]:
    pub = PublisherProcess("--statuses", str(STATUSES), "--extra-values", "17",
                           "--varying-values", "--name-prefix", "zip", wait_subscribers=1)
    yield pub
    pub.stop()


@pytest.fixture(scope="module")
def bridge(publisher: PublisherProcess) -> Iterator[Bridge]:
    b = Bridge("e2e-compression-bridge")
    try:
        b.take_from(publisher)
        publisher.burst(20, 20)  # history for the snapshot
        yield b
    finally:
        b.stop()


def live_with_rows(page: Any, bridge: Bridge) -> dict[str, Any]:
    """Open the page, wait until every publisher status is listed and live messages flow."""
    page.goto(bridge.url)
    page.wait_for_selector('[data-testid="link-state"][data-state="live"]', timeout=15_000)
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=status-row][data-name^=\"zip: \"]').length"
        f" === {STATUSES}", timeout=15_000)
    before = page.evaluate("window.chedweb.stats().counters")
    return dict(before)


def wait_applied(page: Any, diagnostics: int) -> None:
    page.wait_for_function(f"() => window.chedweb.stats().counters.diagnostics >= {diagnostics}",
                           timeout=10_000)


def test_the_page_asks_for_deflate_raw_inflates_it_and_shows_the_statuses(
        page: Any, bridge: Bridge, publisher: PublisherProcess) -> None:
    before = live_with_rows(page, bridge)
    snapshot_counts = page.evaluate("window.chedweb.linkCounts()")
    assert snapshot_counts["binary"] > 0, snapshot_counts  # the snapshot parts came deflated
    last = publisher.burst(10, 10)
    # The live messages too: every one applied, in order, its values shown.
    wait_applied(page, before["diagnostics"] + 10)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=status-row][data-name=\"zip: status 3\"]')]"
        f".some(r => r.textContent.includes('message {last}'))", timeout=5_000)
    counts = page.evaluate("window.chedweb.linkCounts()")
    assert counts["binary"] >= snapshot_counts["binary"] + 10 and counts["failed"] == 0, counts
    assert counts["inflatedChars"] > 3 * counts["binaryBytes"], counts
    stats = page.evaluate("window.chedweb.stats()")
    assert stats["counters"]["malformed"] == 0 and stats["counters"]["dropped"] == 0, stats["counters"]


def test_a_browser_without_decompression_does_not_ask_and_gets_text(
        page: Any, bridge: Bridge, publisher: PublisherProcess) -> None:
    page.add_init_script(NO_DECOMPRESSION)
    before = live_with_rows(page, bridge)
    publisher.burst(5, 10)
    wait_applied(page, before["diagnostics"] + 5)
    counts = page.evaluate("window.chedweb.linkCounts()")
    assert counts["binary"] == 0 and counts["text"] > 5, counts
    assert page.evaluate("window.chedweb.stats().counters.malformed") == 0
