"""The page in real headless Chromium against the real webrtc_bridge, fed by a real
system_metrics node and a real rclpy publisher, each in its own process (docs/protocol.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.metrics_proc import start_system_metrics
from test.helpers.procs import ARTIFACTS, NodeProcess
from test.helpers.ros_publisher import PublisherProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

STATE = '[data-testid="link-state"]'


@pytest.fixture(scope="module")
def metrics() -> Iterator[NodeProcess]:
    node = start_system_metrics("e2e-system_metrics")
    yield node
    node.stop()


@pytest.fixture(scope="module")
def bridge(metrics: NodeProcess) -> Iterator[Bridge]:
    b = Bridge("e2e-bridge")
    try:
        b.wait_messages(1)
        yield b
    finally:
        b.stop()


def wait_state(page: Any, state: str, timeout_ms: float = 10_000) -> None:
    page.wait_for_selector(f'{STATE}[data-state="{state}"]', timeout=timeout_ms)


def stats(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("window.chedweb.stats()")
    return result


def test_shows_values_after_load(page: Any, bridge: Bridge) -> None:
    # How soon is a benchmark's question (bench.history_page times the page usable after connect);
    # a time limit here failed whenever the machine was busy.
    page.goto(bridge.url)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=card-cpu]').dataset.value !== undefined"
        " && document.querySelector('[data-testid=card-cpu]').dataset.value !== ''"
        " && document.querySelector('[data-testid=card-memory]').dataset.value !== ''",
        timeout=15_000)
    wait_state(page, "live", 5000)
    cpu = float(page.get_attribute('[data-testid="card-cpu"]', "data-value"))
    assert 0.0 <= cpu <= 100.0
    assert page.get_attribute('[data-testid="card-cpu"]', "data-level") == "OK"
    # Every system_metrics status is in the table, grouped under this machine.
    rows = page.locator('[data-testid="status-row"]')
    names = set(rows.evaluate_all("rs => rs.map(r => r.dataset.name)"))
    assert {"system_metrics: CPU", "system_metrics: Memory", "system_metrics: Processes"} <= names
    assert page.locator('[data-testid="processes"] tbody tr').count() > 0
    assert stats(page)["counters"]["malformed"] == 0


def test_cpu_chart_gains_points(page: Any, bridge: Bridge) -> None:
    # Only system_metrics publishes so far: one array per sample, so the bridge's history holds
    # this many CPU samples, and the chart starts with all of them (the snapshot), not empty.
    held = int(bridge.health()["messages_received"])
    assert held >= 2
    page.goto(bridge.url)
    wait_state(page, "live")
    page.wait_for_function(f"() => window.chedweb.stats().chartPoints['cpu-memory'] >= {held}",
                           timeout=15_000)
    before = stats(page)["chartPoints"]["cpu-memory"]
    # system_metrics publishes every 0.5 s: a few new samples.
    page.wait_for_function(
        f"() => window.chedweb.stats().chartPoints['cpu-memory'] >= {before + 3}", timeout=15_000)
    points = int(page.get_attribute('[data-testid="chart-cpu-memory"]', "data-points"))
    assert points >= before + 3
    # The chart's canvas is drawn, and the CSV export holds the rows in view (from the bridge's
    # store: a row per status and time, so at least one per CPU sample).
    assert page.locator('[data-testid="chart-cpu-memory"] canvas').count() == 1
    with page.expect_download() as download:
        page.click('[data-testid="csv-export"]')
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0].startswith("time_iso,time_unix,hardware_id,status,level,")
    assert len(lines) - 1 >= before


def publish_one_until_shown(page: Any, level: int, prefix: str, selector: str) -> None:
    """One array of one status `<prefix>: status 0` at `level`, from a publisher of its own that
    stays until the page shows `selector`: a sample the bridge's reader dropped while discovery
    was still under way is sent again only by a publisher that is still there."""
    pub = PublisherProcess("--statuses", "1", "--levels", str(level), "--name-prefix", prefix)
    try:
        pub.burst(1)
        page.wait_for_selector(selector, timeout=5000)
    finally:
        pub.stop()


def test_warn_status_shows_in_table_and_banner_then_clears(page: Any, bridge: Bridge) -> None:
    page.goto(bridge.url)
    wait_state(page, "live")
    row = '[data-testid="status-row"][data-name="e2e_alert: status 0"]'
    alert = '[data-testid="alert-item"][data-name="e2e_alert: status 0"]'
    publish_one_until_shown(page, 1, "e2e_alert", f'{row}[data-level="WARN"]')
    page.wait_for_selector(alert, timeout=2000)
    banner = page.locator('[data-testid="alert-banner"]')
    assert banner.is_visible()
    assert "WARN e2e_alert: status 0 [test-host]: message 1" in banner.inner_text()
    assert page.locator(row).get_attribute("data-stale") == "false"
    page.screenshot(path=str(ARTIFACTS / "e2e-warn-banner.png"), full_page=True)
    # Its values open on click. The page had no values of it (capability "interest": they were
    # not sent while no row showed them), so they come with the bridge's answer to the interest
    # the click declares: a round trip later, not at once.
    page.click(row)
    page.wait_for_function("(sel) => document.querySelector(sel)?.innerText.includes('pub index')",
                           arg=f'{row} + [data-testid="status-values"]', timeout=5000)

    publish_one_until_shown(page, 0, "e2e_alert", f'{row}[data-level="OK"]')
    page.wait_for_selector(alert, state="detached", timeout=2000)
    # No other status is WARN or ERROR (system_metrics runs with thresholds it never reaches).
    assert page.locator('[data-testid="alert-banner"]').is_hidden()


def test_stale_status_is_marked(page: Any, bridge: Bridge) -> None:
    page.goto(bridge.url)
    wait_state(page, "live")
    row = '[data-testid="status-row"][data-name="e2e_stale: status 0"]'
    publish_one_until_shown(page, 0, "e2e_stale", f'{row}[data-stale="false"]')
    # Not updated for 5 s: stale, while system_metrics statuses (every 0.5 s) are not.
    page.wait_for_selector(f'{row}[data-stale="true"]', timeout=8000)
    cpu_row = '[data-testid="status-row"][data-name="system_metrics: CPU"]'
    assert page.get_attribute(cpu_row, "data-stale") == "false"


def test_malformed_and_unknown_messages_are_counted_not_fatal(page: Any, bridge: Bridge) -> None:
    page.goto(bridge.url)
    wait_state(page, "live")
    # Straight into the DataChannel's message handler, as if the bridge had sent them.
    page.evaluate("""() => {
        window.chedweb.feed('{not json');
        window.chedweb.feed(JSON.stringify({type: 'diagnostics', seq: 'x'}));
        window.chedweb.feed(JSON.stringify({type: 'from_the_future', x: 1}));
    }""")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=count-malformed]').textContent === '2'", timeout=2000)
    assert page.inner_text('[data-testid="count-unknown"]') == "1"
    before = stats(page)["counters"]["diagnostics"]
    page.wait_for_function(f"() => window.chedweb.stats().counters.diagnostics > {before}", timeout=5000)
    assert stats(page)["state"] == "live"


def test_bridge_restart_reconnects_without_reload(page: Any, metrics: NodeProcess) -> None:
    first = Bridge("e2e-bridge-restart-1")
    second: Bridge | None = None
    try:
        first.wait_messages(1)
        page.goto(first.url)
        wait_state(page, "live")
        page.evaluate("() => { window.__sameDocument = true; }")
        first.stop()
        wait_state(page, "reconnecting", 5000)
        page.screenshot(path=str(ARTIFACTS / "e2e-reconnecting.png"), full_page=True)
        second = Bridge("e2e-bridge-restart-2", port=first.port)
        wait_state(page, "live", 15_000)
        assert page.evaluate("() => window.__sameDocument === true")
        hellos = stats(page)["counters"]["hello"]
        assert hellos == 2
        before = stats(page)["counters"]["diagnostics"]
        page.wait_for_function(f"() => window.chedweb.stats().counters.diagnostics > {before}",
                               timeout=10_000)
    finally:
        first.stop()
        if second is not None:
            second.stop()


def test_token_protected_bridge(browser: Any, page: Any, metrics: NodeProcess) -> None:
    bridge = Bridge("e2e-bridge-token", params={"auth_token": "s3cret-token"})
    try:
        page.goto(bridge.url + "?token=s3cret-token")
        wait_state(page, "live")
        page.wait_for_function("() => window.chedweb.stats().counters.hello === 1", timeout=5000)

        refused = browser.new_page()
        try:
            for url in (bridge.url, bridge.url + "?token=wrong"):
                refused.goto(url)
                wait_state(refused, "error")
                assert refused.inner_text('[data-testid="link-detail"]') == "unauthorized"
                assert refused.evaluate("() => window.chedweb.stats().counters.messages") == 0
            refused.screenshot(path=str(ARTIFACTS / "e2e-unauthorized.png"), full_page=True)
        finally:
            refused.close()
    finally:
        bridge.stop()


def test_phone_sized_dark_layout(browser: Any, bridge: Bridge) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme="dark",
                                  is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(bridge.url)
        wait_state(phone, "live")
        phone.wait_for_function("() => window.chedweb.stats().chartPoints['cpu-memory'] > 0", timeout=5000)
        # Nothing wider than the screen: no sideways scrolling of the page itself.
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        # Charts stack in one column and fit the width.
        boxes = [phone.locator(f'[data-testid="chart-{c}"]').bounding_box()
                 for c in ("cpu-memory", "temperature", "network", "cores")]
        assert all(b is not None and b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes)
        xs = {round(b["x"]) for b in boxes if b is not None}
        assert len(xs) == 1
        # The dark scheme is followed: a dark background.
        bg = phone.evaluate("() => getComputedStyle(document.body).backgroundColor")
        r, g, b = (int(v) for v in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3])
        assert r + g + b < 200
        phone.screenshot(path=str(ARTIFACTS / "e2e-phone-dark.png"), full_page=True)
    finally:
        context.close()


def test_disconnect_and_connect_buttons(page: Any, bridge: Bridge) -> None:
    page.goto(bridge.url)
    wait_state(page, "live")
    button = page.locator('[data-testid="connect-button"]')
    assert button.inner_text() == "Disconnect"
    button.click()
    wait_state(page, "disconnected", 2000)
    assert button.inner_text() == "Connect"
    # Nothing arrives while disconnected (system_metrics publishes every 0.5 s).
    before = stats(page)["counters"]["messages"]
    page.wait_for_timeout(1500)
    assert stats(page)["counters"]["messages"] == before
    button.click()
    wait_state(page, "live")
    page.wait_for_function(f"() => window.chedweb.stats().counters.diagnostics > 0 "
                           f"&& window.chedweb.stats().counters.messages > {before + 2}", timeout=5000)


def test_machine_picker_follows_a_second_machine(page: Any, bridge: Bridge) -> None:
    other = start_system_metrics("e2e-system_metrics-robot-2", name="system_metrics_2",
                                 hardware_id="e2e-robot-2")
    try:
        page.goto(bridge.url)
        wait_state(page, "live")
        picker = '[data-testid="machine-picker"]'
        page.wait_for_selector(f'{picker} option[value="e2e-robot-2"]', state="attached", timeout=15_000)
        assert page.locator(picker).is_enabled()
        page.wait_for_selector('[data-testid="status-group"][data-hardware-id="e2e-robot-2"]',
                               state="attached")
        page.select_option(picker, "e2e-robot-2")
        page.wait_for_function("() => window.chedweb.stats().machine === 'e2e-robot-2'"
                               " && document.querySelector('[data-testid=card-cpu]').dataset.value !== ''",
                               timeout=5000)
        row = '[data-testid="status-row"][data-name="system_metrics_2: CPU"]'
        assert page.get_attribute(row, "data-hardware-id") == "e2e-robot-2"
        page.wait_for_function("() => window.chedweb.stats().chartPoints['cpu-memory'] > 0", timeout=5000)
    finally:
        other.stop()
