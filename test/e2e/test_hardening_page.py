"""Issue 8 items 1, 3 and 6 in headless Chromium: the built page fed, through its hook, what the
bridge's own codec produces (a status cut to fit a message, a level of 200, a status that fails
validation, a flood of new names)."""

from __future__ import annotations

from typing import Any

import pytest

from chedweb_bridge import codec
from test.e2e.feed import feed, hello, status

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

ROW = '[data-testid="status-row"][data-name="{}"]'


def live(seq: int, statuses: list[dict[str, Any]]) -> list[str]:
    payloads = codec.LivePayloads(seq, "/diagnostics", 1764200000.0 + seq, codec.sanitize_levels(statuses))
    return payloads.texts()


def test_truncated_status_raw_level_and_one_bad_status(page: Any, dist_url: str) -> None:
    page.goto(dist_url)
    page.wait_for_function("() => window.chedweb !== undefined")
    texts = live(1, [status("big: one", message="x" * 300_000), status("odd: level", level=200),
                     status("fine: one")])
    # A status the page cannot take (values must be strings) next to a good one: only it is lost.
    bad = texts[-1].replace('"statuses":[', '"statuses":[{"name":"bad","level":0,"message":"",'
                            '"hardware_id":"robot-1","values":{"k":1}},', 1)
    feed(page, [hello(), *texts[:-1], bad])
    page.wait_for_selector(ROW.format("fine: one"))
    big = page.locator(ROW.format("big: one")).inner_text()
    assert "…[truncated]" in big and "[status truncated by the bridge]" in big
    odd = page.locator(ROW.format("odd: level")).inner_text()
    assert "ERROR" in odd and "level 200" in odd
    assert page.locator(ROW.format("bad")).count() == 0
    assert "1 invalid statuses left out" in page.locator('[data-testid="last-problem"]').inner_text()


def test_the_page_keeps_at_most_1024_statuses_and_says_how_many_it_forgot(page: Any, dist_url: str) -> None:
    page.goto(dist_url)
    page.wait_for_function("() => window.chedweb !== undefined")
    feed(page, [hello()])
    for i in range(20):  # drawn after each array, as live arrays are
        feed(page, live(1 + i, [status(f"flood: {i * 100 + k:04d}") for k in range(100)]))
    page.wait_for_selector(ROW.format("flood: 1999"))
    assert page.locator('[data-testid="status-row"]').count() == 1024
    # Nor does the table keep the rows of the forgotten statuses out of sight.
    assert page.get_attribute('[data-testid="status-table"]', "data-built") == "1024"
    assert page.locator(ROW.format("flood: 0976")).count() == 1
    assert page.locator(ROW.format("flood: 0975")).count() == 0
    assert "976 least recently updated statuses forgotten (the page keeps 1024)" in \
        page.locator('[data-testid="last-problem"]').inner_text()


def test_a_thousand_new_statuses_are_listed_over_several_frames(page: Any, dist_url: str) -> None:
    """Issue 11 item 9: the frame in which 1,000 statuses appear built all their rows at once
    (20–140 ms); rows are now built at most 32 a frame, so the list fills in over 32 frames."""
    page.goto(dist_url)
    page.wait_for_function("() => window.chedweb !== undefined")
    feed(page, [hello()])
    texts = live(1, [status(f"many: {k:04d}") for k in range(1000)])
    first = page.evaluate("""ms => {
        for (const m of ms) window.chedweb.feed(m);
        window.chedweb.redraw();
        return document.querySelectorAll('[data-testid="status-row"]').length;
    }""", texts)
    assert first == 32
    page.wait_for_function("() => document.querySelectorAll('[data-testid=\"status-row\"]').length === 1000",
                           timeout=10_000)
    names = page.eval_on_selector_all('[data-testid="status-row"]', "rs => rs.map(r => r.dataset.name)")
    assert names == [f"many: {k:04d}" for k in range(1000)]  # in order once complete


def test_the_tree_forgets_the_rows_of_forgotten_statuses(page: Any, dist_url: str) -> None:
    """The aggregator tree, like the table, keeps no rows for statuses past the page's bound."""
    page.goto(dist_url)
    page.wait_for_function("() => window.chedweb !== undefined")
    feed(page, [hello()])
    page.click('[data-testid="view-tree"]')
    for i in range(20):
        feed(page, live(1 + i, [status(f"/flood/n{i * 100 + k:04d}") for k in range(100)]))
        if i == 0:
            page.click('[data-testid="tree-row"][data-path="/flood"]')
    page.wait_for_selector('[data-testid="tree-row"][data-path="/flood/n1999"]')
    assert page.locator('[data-testid="tree-row"]').count() == 1025  # /flood and its 1,024 children
    assert page.get_attribute('[data-testid="status-tree"]', "data-built") == "1025"
