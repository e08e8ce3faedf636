"""Capability "interest" in real headless Chromium against the real bridge and publisher: the page
declares what it shows once its snapshot is in, so the statuses it does not show come without
values; opening a row declares it, the reply brings its current values, and the row then shows
live values that change."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

PREFIX = "lean"
STATUSES = 4


@pytest.fixture(scope="module")
def publisher() -> Iterator[PublisherProcess]:
    pub = PublisherProcess("--statuses", str(STATUSES), "--extra-values", "3", "--varying-values",
                           "--name-prefix", PREFIX, wait_subscribers=1)
    yield pub
    pub.stop()


@pytest.fixture(scope="module")
def bridge(publisher: PublisherProcess) -> Iterator[Bridge]:
    b = Bridge("e2e-interest-bridge")
    try:
        b.take_from(publisher)
        publisher.burst(5, 20)  # a snapshot with every status's values
        yield b
    finally:
        b.stop()


def row(i: int) -> str:
    return f'[data-testid="status-row"][data-name="{PREFIX}: status {i}"]'


def detail(i: int) -> str:
    return f'{row(i)} + [data-testid="status-values"]'


def shown_index(page: Any, i: int) -> int:
    """The `pub index` value the open row i shows."""
    return int(page.evaluate(
        "(sel) => [...document.querySelectorAll(sel + ' dt')].find(dt => dt.textContent === 'pub index')"
        "?.nextElementSibling?.firstChild?.textContent ?? '-1'", detail(i)))


def wait_interest(page: Any, names: list[str]) -> None:
    """Until the bridge has taken the page's interest in exactly these statuses."""
    page.wait_for_function(
        "(want) => { const got = window.chedweb.stats().interest;"
        " return got !== undefined && JSON.stringify(got.map(s => s.name)) === JSON.stringify(want); }",
        arg=names, timeout=10_000)


def test_an_opened_row_shows_live_values_that_change(page: Any, bridge: Bridge,
                                                     publisher: PublisherProcess) -> None:
    page.goto(bridge.url)
    page.wait_for_selector('[data-testid="link-state"][data-state="live"]', timeout=15_000)
    page.wait_for_selector(row(STATUSES - 1), timeout=15_000)
    # No system_metrics here, nothing open, no chart panel: the page shows no status's values.
    wait_interest(page, [])
    last = publisher.burst(3, 10)
    page.wait_for_function("([sel, want]) => document.querySelector(sel)?.textContent.includes(want)",
                           arg=[row(2), f"message {last}"], timeout=10_000)

    # Opened after lean messages (it had its snapshot's values): the page declares it, and the
    # bridge's reply brings its values as they are now, before any new message.
    page.click(row(2))
    wait_interest(page, [f"{PREFIX}: status 2"])
    page.wait_for_function(
        "([sel, want]) => { const d = document.querySelector(sel);"
        " return d !== null && !d.querySelector('[data-testid=values-waiting]:not([hidden])')"
        " && d.textContent.includes(want); }",
        arg=[detail(2), str(last)], timeout=10_000)
    assert shown_index(page, 2) == last
    first = publisher.burst(3, 10)
    page.wait_for_function("([sel, want]) => document.querySelector(sel).textContent.includes(want)",
                           arg=[detail(2), str(first)], timeout=10_000)
    assert shown_index(page, 2) == first
    # Live: they change with every message.
    second = publisher.burst(3, 10)
    page.wait_for_function("([sel, want]) => document.querySelector(sel).textContent.includes(want)",
                           arg=[detail(2), str(second)], timeout=10_000)
    assert shown_index(page, 2) == second > first
    # The row not opened still gets its level and message, never its values.
    assert page.locator(detail(1)).is_hidden()
    page.wait_for_function("([sel, want]) => document.querySelector(sel).textContent.includes(want)",
                           arg=[row(1), f"message {second}"], timeout=10_000)
    # Closing the row takes it out of the interest again.
    page.click(row(2))
    wait_interest(page, [])
    stats = page.evaluate("window.chedweb.stats()")
    counters = stats["counters"]
    assert counters["malformed"] == 0 and counters["rejectedStatuses"] == 0, counters
