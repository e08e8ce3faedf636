"""A status's level history in its detail pane (issue 11 item 3), in headless Chromium against the
real webrtc_bridge and rclpy publishers: the timeline strip of its levels over the charts' range
and the log of its level transitions, read from the bridge's store (capability "levels"), and the
log's CSV export (formula-safe)."""

from __future__ import annotations

import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.procs import ARTIFACTS, NodeProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

NAME = "e2e_lv: status 0"
ROW = f'[data-testid="status-row"][data-name="{NAME}"]'


def publisher(level: int) -> NodeProcess:
    return NodeProcess([sys.executable, "-m", "test.helpers.ros_publisher", "--rate", "5", "--statuses", "1",
                        "--levels", str(level), "--name-prefix", "e2e_lv"], f"e2e-pub-lv{level}")


def test_the_detail_pane_shows_a_strip_and_a_log_of_level_changes_and_exports_it(browser: Any) -> None:
    bridge = Bridge("e2e-levels-bridge")
    try:
        pub = publisher(2)  # ERROR first ...
        try:
            bridge.wait_messages(5)
        finally:
            pub.stop()
        received = int(bridge.health()["messages_received"])
        pub = publisher(0)  # ... then OK
        try:
            bridge.wait_messages(received + 5)
            context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
            page = context.new_page()
            try:
                page.goto(bridge.url)
                page.wait_for_selector('[data-testid="link-state"][data-state="live"]', timeout=15_000)
                page.click(ROW, timeout=10_000)
                page.wait_for_selector('[data-testid="level-strip"]', timeout=10_000)
                levels = page.eval_on_selector_all('[data-testid="level-strip"] .seg',
                                                   "els => els.map(e => e.dataset.level)")
                assert levels == ["—", "ERROR", "OK"]  # unknown before the store's first level
                label = page.get_attribute('[data-testid="level-strip"]', "aria-label") or ""
                assert "ERROR" in label and "OK" in label
                page.click('[data-testid="level-log-details"] summary')
                rows = page.eval_on_selector_all('[data-testid="level-change"]',
                                                 "rs => rs.map(r => [...r.cells].map(c => c.textContent))")
                assert [r[1:3] for r in rows] == [["(first)", "ERROR"], ["ERROR", "OK"]]
                assert all(r[3].startswith("message ") for r in rows)
                assert page.get_attribute('[data-testid="level-strip"]', "data-span") == "300"
                page.screenshot(path=str(ARTIFACTS / "e2e-level-history.png"), full_page=True)
                with page.expect_download() as info:
                    page.click('[data-testid="level-log-csv"]')
                path = info.value.path()
                text = Path(path).read_text(encoding="utf-8")
                # Another range selected: the strip is read again for it.
                page.select_option('[data-testid="range-select"]', "3600")
                page.wait_for_selector('[data-testid="level-strip"][data-span="3600"]', timeout=10_000)
                wider = page.eval_on_selector_all('[data-testid="level-strip"] .seg',
                                                  "els => els.map(e => e.dataset.level)")
                assert wider == ["—", "ERROR", "OK"]
            finally:
                context.close()
        finally:
            pub.stop()
    finally:
        bridge.stop()

    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["time_iso", "time_unix", "hardware_id", "name", "old_level", "new_level", "message"]
    assert [(r[3], r[4], r[5]) for r in table[1:]] == [(NAME, "", "ERROR"), (NAME, "ERROR", "OK")]
    assert abs(float(table[1][1]) - time.time()) < 120
