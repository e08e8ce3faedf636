"""Alerts kept by the bridge (issue 11 items 4 and 6), in headless Chromium against the real
webrtc_bridge and an rclpy publisher: an acknowledgement seen by a second browser, a mute that
expires, the title count, the bridge's stale timeout, and the link going down."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.procs import ARTIFACTS, NodeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

NAME = "e2e_ack: status 0"
KEY = f"status:test-host\u0000{NAME}"
ITEM = f'[data-testid="alert-item"][data-name="{NAME}"]'
# The operator's name, as the page would have asked for it once.
OPERATOR_JS = "(name) => localStorage.setItem('chedweb.operator', name)"


def publisher(prefix: str, level: int, rate: float = 2.0) -> NodeProcess:
    """A free-running publisher of one status at `level`, `rate` Hz, until stopped."""
    return NodeProcess([sys.executable, "-m", "test.helpers.ros_publisher", "--rate", str(rate), "--statuses",
                        "1", "--levels", str(level), "--name-prefix", prefix], f"e2e-pub-{prefix}")


@pytest.fixture(scope="module")
def bridge() -> Iterator[Bridge]:
    b = Bridge("e2e-alerts-bridge", params={"auth_token": "op-token"})
    pub = publisher("e2e_ack", 2)
    try:
        b.wait_messages(2)
        yield b
    finally:
        pub.stop()
        b.stop()


def open_as(browser: Any, url: str, operator: str | None) -> tuple[Any, Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(url)
    if operator is not None:
        page.evaluate(OPERATOR_JS, operator)
    page.wait_for_selector('[data-testid="link-state"][data-state="live"]', timeout=15_000)
    page.wait_for_selector(ITEM, timeout=10_000)
    return context, page


def test_alert_controls_survive_a_change_of_the_alert_message(browser: Any, bridge: Bridge) -> None:
    # The publisher's message changes at every message (2 Hz), as a real reading in a message
    # does ("CPU 93 %"). An operator who chose a mute duration, or is pressing Acknowledge, must
    # keep it: the banner rebuilt its list whenever a message changed, so a chosen duration went
    # back to 5 min and a click between the press and the release was lost (this module's
    # acknowledgement test failed that way in CI).
    ctx, page = open_as(browser, bridge.url + "?token=op-token", "alice")
    try:
        page.select_option(f"{ITEM} [data-testid=\"mute-duration\"]", "1800")
        select = page.query_selector(f"{ITEM} [data-testid=\"mute-duration\"]")
        text = page.query_selector(f"{ITEM} .alert-text")
        assert select is not None and text is not None
        # Two changes of the message, read from the page as it is now (not through the handles).
        for _ in range(2):
            before = page.inner_text(f"{ITEM} .alert-text")
            page.wait_for_function("([sel, t]) => document.querySelector(sel)?.textContent !== t",
                                   arg=[f"{ITEM} .alert-text", before], timeout=5000)
        assert text.evaluate("el => el.isConnected"), "the alert's text was replaced, not updated"
        assert select.evaluate("el => el.isConnected"), "the mute duration control was replaced"
        assert select.evaluate("el => el.value") == "1800"
    finally:
        ctx.close()


def test_acknowledgement_is_seen_by_a_second_browser(browser: Any, bridge: Bridge) -> None:
    url = bridge.url + "?token=op-token"
    ctx_a, alice = open_as(browser, url, "alice")
    ctx_b, other = open_as(browser, url, None)
    try:
        other.wait_for_function("() => document.title.startsWith('(1) ChedWeb')", timeout=5000)
        alice.click(f'{ITEM} [data-testid="ack-button"]')
        for page in (alice, other):
            page.wait_for_selector(f'{ITEM}[data-acked="true"]', timeout=5000)
            info = page.inner_text(f'{ITEM} [data-testid="ack-info"]')
            assert "acknowledged by alice at" in info
        # Handled: out of the title's count in both browsers, still listed (greyed) in the banner.
        other.wait_for_function("() => document.title === 'ChedWeb · robot health'", timeout=5000)
        assert other.get_attribute('[data-testid="favicon"]', "data-level") == "none"
        assert "1 acknowledged or muted" in other.inner_text('[data-testid="alert-summary"]')
        other.screenshot(path=str(ARTIFACTS / "e2e-ack-second-browser.png"), full_page=True)
        # A browser that connects later gets the same state in its first messages.
        ctx_c, late = open_as(browser, url, None)
        try:
            late.wait_for_selector(f'{ITEM}[data-acked="true"]', timeout=5000)
        finally:
            ctx_c.close()
    finally:
        ctx_a.close()
        ctx_b.close()


def test_mute_expires_everywhere(browser: Any, bridge: Bridge) -> None:
    url = bridge.url + "?token=op-token"
    ctx_a, alice = open_as(browser, url, "alice")
    ctx_b, other = open_as(browser, url, None)
    try:
        # The previous test's acknowledgement holds while the level is unchanged: unmute-able state
        # is independent of it, so this looks at data-muted only.
        start = time.monotonic()
        alice.evaluate("([key, s]) => window.chedweb.muteAlert(key, s)", [KEY, 3])
        for page in (alice, other):
            page.wait_for_selector(f'{ITEM}[data-muted="true"]', timeout=3000)
        assert "muted by alice until" in other.inner_text(f'{ITEM} [data-testid="mute-info"]')
        for page in (alice, other):
            page.wait_for_selector(f'{ITEM}[data-muted="false"]', timeout=6000)
        assert time.monotonic() - start >= 2.5
    finally:
        ctx_a.close()
        ctx_b.close()


def test_a_request_without_the_token_changes_nothing(browser: Any, bridge: Bridge) -> None:
    # The page connected with the right token, but its request carries another one (as after the
    # bridge's auth_token changed at run time): refused, and the reason is shown.
    ctx, page = open_as(browser, bridge.url + "?token=op-token", "mallory")
    try:
        page.evaluate("() => { const u = new URL(location.href); u.searchParams.set('token', 'wrong');"
                      " history.replaceState(null, '', u); }")
        page.reload()
        page.evaluate(OPERATOR_JS, "mallory")
        # The wrong token is refused at the door too: the page never goes live.
        page.wait_for_selector('[data-testid="link-state"][data-state="error"]', timeout=10_000)
        assert page.inner_text('[data-testid="link-detail"]') == "unauthorized"
    finally:
        ctx.close()


def test_bridge_stale_timeout_and_link_down(browser: Any) -> None:
    b = Bridge("e2e-stale-bridge", params={"stale_seconds": 1.0})
    pub = publisher("e2e_short", 0, rate=5.0)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        b.wait_messages(2)
        page = context.new_page()
        page.goto(b.url)
        row = '[data-testid="status-row"][data-name="e2e_short: status 0"]'
        page.wait_for_selector(f'{row}[data-level="OK"]', timeout=15_000)
        pub.stop()
        stopped = time.monotonic()
        # The bridge's 1 s, not the page's own 5 s.
        page.wait_for_selector(f'{row}[data-level="STALE"]', timeout=4000)
        assert time.monotonic() - stopped < 4.0
        # A node that stopped publishing is an alert, at STALE (its machine, test-host, still has
        # the module's other publisher: no "machine offline", see test_features for that).
        stale_alert = '[data-testid="alert-item"][data-name="e2e_short: status 0"][data-level="STALE"]'
        page.wait_for_selector(stale_alert, timeout=3000)
        # The link goes down: one notice says since when, and nothing claims to be current.
        b.stop()
        notice = page.locator('[data-testid="link-down"]')
        notice.wait_for(timeout=5000)
        assert "Link down since" in notice.inner_text()
        assert page.evaluate("() => document.body.dataset.link") == "down"
        assert page.locator('[data-testid="alert-item"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / "e2e-link-down.png"), full_page=True)
    finally:
        pub.stop()
        b.stop()
        context.close()
