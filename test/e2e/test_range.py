"""The charts' time ranges against the real bridge's durable history (capability `query`): the
range selector asks the bridge and draws its answer, drag-select zooms and Reset returns, the
hover cursor shows every series' value (docs/protocol.md, "Range queries")."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.metrics_proc import start_system_metrics
from test.helpers.procs import NodeProcess
from test.helpers.ros_publisher import PublisherProcess

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

CHART = '[data-testid="chart-cpu-memory"]'

# Records what the page sends on its DataChannel (the queries).
SENT_JS = """
(() => {
  window.__sent = [];
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    window.__sent.push(String(data));
    return send.call(this, data);
  };
})();
"""


@pytest.fixture(scope="module")
def metrics() -> Iterator[NodeProcess]:
    node = start_system_metrics("e2e-range-metrics")
    yield node
    node.stop()


@pytest.fixture(scope="module")
def bridge(metrics: NodeProcess) -> Iterator[Bridge]:
    b = Bridge("e2e-range-bridge")
    try:
        b.wait_messages(3)
        yield b
    finally:
        b.stop()


def queries(page: Any) -> list[dict[str, Any]]:
    sent = [json.loads(s) for s in page.evaluate("() => window.__sent")]
    return [m for m in sent if m.get("type") == "query"]


def span(page: Any) -> float:
    el = page.query_selector(CHART)
    return float(el.get_attribute("data-to")) - float(el.get_attribute("data-from"))


def open_live(page: Any, bridge: Bridge) -> None:
    page.add_init_script(SENT_JS)
    page.goto(bridge.url)
    page.wait_for_selector(f'{CHART}[data-source="query"]', timeout=15_000)


def test_range_selector_queries_the_bridge_and_draws_its_answer(page: Any, bridge: Bridge) -> None:
    open_live(page, bridge)
    before = len(queries(page))
    page.select_option('[data-testid="range-select"]', "86400")
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('{CHART}'); return e.dataset.source === 'query'"
        " && Number(e.dataset.to) - Number(e.dataset.from) === 86400 && Number(e.dataset.drawn) > 0; }",
        timeout=15_000)
    asked = [q for q in queries(page)[before:] if q["name"].endswith(": CPU") and "usage %" in q["keys"]]
    assert asked, "no query for the CPU status after choosing 24 h"
    q = asked[-1]
    assert q["to"] - q["from"] == pytest.approx(86400)
    assert q["keys"] == ["usage %"]
    # One point per pixel of the plot.
    width = page.evaluate(f"() => document.querySelector('{CHART} .u-over').clientWidth")
    assert abs(q["points"] - width) <= 2
    # The answer is drawn: CPU % has a value at the right edge (the store's recent samples).
    assert int(page.get_attribute(CHART, "data-drawn")) >= q["points"]
    # A 24 h point stands for many 0.5 s samples: CPU % varies between them, so its point has a
    # min/max band around the average line.
    assert int(page.get_attribute(CHART, "data-bands")) >= 1
    # The range is kept in the URL: a reload shows the same 24 h.
    assert "range=86400" in page.url
    page.reload()
    page.wait_for_function(
        f"() => {{ const e = document.querySelector('{CHART}'); return e.dataset.source === 'query'"
        " && Number(e.dataset.to) - Number(e.dataset.from) === 86400; }", timeout=15_000)
    assert page.input_value('[data-testid="range-select"]') == "86400"


def drag(page: Any, x0: float, x1: float) -> None:
    box = page.query_selector(f"{CHART} .u-over").bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] * x0, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * (x0 + x1) / 2, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * x1, y, steps=5)
    page.mouse.up()


def test_drag_select_zooms_with_a_query_and_reset_returns(page: Any, bridge: Bridge) -> None:
    open_live(page, bridge)
    assert span(page) == pytest.approx(300)
    assert page.is_disabled('[data-testid="zoom-reset"]')
    before = len(queries(page))
    drag(page, 0.5, 0.75)
    page.wait_for_function(f"() => {{ const e = document.querySelector('{CHART}');"
                           " return Number(e.dataset.to) - Number(e.dataset.from) < 100; }", timeout=5000)
    assert span(page) == pytest.approx(75, rel=0.1)
    zoomed = [q for q in queries(page)[before:] if q["to"] - q["from"] < 100]
    assert zoomed, "the zoomed window was not asked of the bridge"
    page.wait_for_selector(f'{CHART}[data-source="query"]')
    assert page.is_enabled('[data-testid="zoom-reset"]')
    page.click('[data-testid="zoom-reset"]')
    page.wait_for_function(f"() => {{ const e = document.querySelector('{CHART}');"
                           " return Math.abs(Number(e.dataset.to) - Number(e.dataset.from) - 300) < 1; }",
                           timeout=5000)
    # Pan back by half the window: a fixed window 150 s earlier.
    to = float(page.get_attribute(CHART, "data-to"))
    page.click('[data-testid="pan-back"]')
    page.wait_for_function(f"() => Number(document.querySelector('{CHART}').dataset.to) < {to - 100}",
                           timeout=5000)
    assert span(page) == pytest.approx(300, abs=1)


def test_hover_shows_every_series_value(page: Any, bridge: Bridge) -> None:
    open_live(page, bridge)
    box = page.query_selector(f"{CHART} .u-over").bounding_box()
    # Near the right edge, where the samples are.
    page.mouse.move(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
    page.wait_for_timeout(200)
    legend = page.eval_on_selector_all(
        f"{CHART} .u-legend .u-series",
        "rows => rows.map(r => [r.querySelector('.u-label')?.textContent,"
        " r.querySelector('.u-value')?.textContent])")
    values = {label: value for label, value in legend if label}
    assert "CPU %" in values and "Memory %" in values
    for label in ("CPU %", "Memory %"):
        assert values[label] not in ("", "--"), f"{label} shows no value at the cursor: {legend}"
        float(values[label].replace(",", ""))


def test_csv_export_is_the_stores_history_of_the_window_in_view(page: Any, bridge: Bridge) -> None:
    open_live(page, bridge)
    page.select_option('[data-testid="range-select"]', "3600")
    page.wait_for_function(f"() => Number(document.querySelector('{CHART}').dataset.to)"
                           f" - Number(document.querySelector('{CHART}').dataset.from) === 3600")
    to = float(page.get_attribute(CHART, "data-to"))
    with page.expect_download() as download:
        page.click('[data-testid="csv-export"]')
    url = download.value.url
    assert "/history.csv?" in url and "hardware_id=" in url
    text = Path(download.value.path()).read_bytes().decode()
    lines = text.split("\r\n")
    header = lines[0].split(",")
    assert header[:5] == ["time_iso", "time_unix", "hardware_id", "status", "level"]
    # Every key of every status of the machine, not just the charted series.
    assert "usage %" in header and "used %" in header and "rx B/s" in header
    rows = [line.split(",") for line in lines[1:] if line]
    statuses = {r[3] for r in rows}
    assert any(s.endswith(": CPU") for s in statuses) and any(s.endswith(": Network") for s in statuses)
    times = [float(r[1]) for r in rows]
    assert min(times) >= to - 3600 - 1 and max(times) <= to + 1
    cpu = header.index("usage %")
    assert any(r[cpu] != "" for r in rows if r[3].endswith(": CPU"))


def test_custom_chart_of_another_nodes_key_survives_a_reload(page: Any, bridge: Bridge) -> None:
    # Another node (hardware_id test-host) publishes "value"; its history is in the bridge's store.
    pub = PublisherProcess("--statuses", "1", "--levels", "0", "--name-prefix", "e2e_cc")
    try:
        pub.burst(20, 20.0)
        open_live(page, bridge)
        row = '[data-testid="status-row"][data-name="e2e_cc: status 0"]'
        page.click(row)
        page.click(f'{row} + tr [data-testid="chart-key"][data-key="value"]')
        chart = '[data-testid="custom-chart"] .chart'
        page.wait_for_selector(f'{chart}[data-source="query"]', timeout=10_000)
        # Its samples are drawn: the query asked for test-host's status, and values came back.
        asked = [q for q in queries(page) if q["hardware_id"] == "test-host" and q["keys"] == ["value"]]
        assert asked and asked[-1]["name"] == "e2e_cc: status 0"
        page.wait_for_function(f"() => Number(document.querySelector('{chart}').dataset.points) >= 1",
                               timeout=5000)
        # The layout survives a reload (localStorage), and Remove takes the panel away.
        page.reload()
        page.wait_for_selector(f'{chart}[data-source="query"]', timeout=10_000)
        assert "value (e2e_cc: status 0)" in page.inner_text('[data-testid="custom-chart"]')
        page.click('[data-testid="custom-chart-remove"]')
        page.wait_for_function("() => document.querySelectorAll('[data-testid=custom-chart]').length === 0")
        page.reload()
        page.wait_for_selector(f'{CHART}[data-source="query"]', timeout=10_000)
        assert page.query_selector('[data-testid="custom-chart"]') is None
    finally:
        pub.stop()


def test_a_bridge_without_query_keeps_the_live_charts_and_the_pages_own_csv(page: Any, dist_url: str) -> None:
    from test.e2e.feed import diagnostics, feed, hello, status

    page.goto(dist_url + "?autoconnect=0")
    page.wait_for_function("() => window.chedweb !== undefined")
    # A version-2 bridge that offers no `query` (the page must not ask it, nor its /history.csv).
    msgs = [hello(capabilities=["raw_level", "truncated", "snapshot_decimated"])]
    for i in range(5):
        msgs += diagnostics(i + 1, [status("system_metrics: CPU", values={"usage %": str(10 + i)}),
                                    status("system_metrics: Memory", values={"used %": "40"})],
                            stamp=time.time() - 5 + i)
    feed(page, msgs)
    page.wait_for_selector(f'{CHART}[data-source="live"][data-points="5"]')
    with page.expect_download() as download:
        page.click('[data-testid="csv-export"]')
    assert download.value.url.startswith("blob:")
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "time_iso,time_unix,CPU %,Memory %" and len(lines) == 6
