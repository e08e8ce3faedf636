"""The durable history against a real bridge process: kill -9, restart, the history is there and
the downtime is a gap."""

from __future__ import annotations

import csv
import io
import signal
import time
import urllib.parse
from pathlib import Path

import pytest

from chedweb_bridge.store.worker import StoreWorker
from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess

pytestmark = [pytest.mark.ros, pytest.mark.timeout(240)]

STATUS = ("test-host", "restart: status 0")
FLUSH_WAIT_S = 7.0  # the store writes open blocks every 5 s


def _run(bridge: Bridge, pub: PublisherProcess, seconds: float) -> tuple[float, float]:
    """Publishes at 10 Hz for `seconds`; the wall-clock span the bridge received it in."""
    bridge.take_from(pub)
    start = time.time()
    pub.burst(int(seconds * 10), rate=10.0)
    return start, time.time()


def test_history_survives_kill_9_with_the_downtime_as_a_gap(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite3")
    pub = PublisherProcess("--name-prefix", "restart", "--statuses", "2", wait_subscribers=0)
    try:
        first = Bridge("webrtc_bridge-restart-1", {"history_path": path})
        a0, a1 = _run(first, pub, 6.0)
        time.sleep(FLUSH_WAIT_S)
        assert first.health()["history"]["state"] == "ok"
        first.stop(signal.SIGKILL)
        time.sleep(5.0)  # the downtime
        second = Bridge("webrtc_bridge-restart-2", {"history_path": path, "auth_token": "s3cret"})
        b0, b1 = _run(second, pub, 6.0)
        query = urllib.parse.urlencode({"hardware_id": "test-host", "status": STATUS[1], "from": a0 - 1})
        assert second.get(f"history.csv?{query}")[0] == 401  # auth_token applies
        code, text = second.get(f"history.csv?{query}&token=s3cret")
        assert second.stop() == 0  # a clean stop flushes
    finally:
        pub.stop()

    # The download, while the second bridge ran: both runs' rows, none in the downtime.
    assert code == 200, text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:5] == ["time_iso", "time_unix", "hardware_id", "status", "level"] and "value" in rows[0]
    times = [float(r[1]) for r in rows[1:]]
    assert {r[3] for r in rows[1:]} == {STATUS[1]}
    assert any(a0 <= t <= a1 + 1 for t in times) and any(b0 <= t <= b1 + 1 for t in times)
    assert not any(a1 + 2 < t < b0 - 1 for t in times)
    assert times == sorted(times)

    # And the file itself, after the clean stop: one point a second, the downtime empty.
    store = StoreWorker(path, 100_000_000)
    start = a0 - 1
    seconds = int(b1 + 2 - start)
    result = store.core.query(STATUS, start, start + seconds, seconds)  # one point a second
    column = result.avg["value"]
    at = lambda t: column[int(t - start)]  # noqa: E731
    assert all(at(t) is not None for t in range(int(a0) + 1, int(a1) - 1)), column
    assert all(at(t) is None for t in range(int(a1) + 2, int(b0) - 1)), column  # the downtime
    assert all(at(t) is not None for t in range(int(b0) + 1, int(b1) - 1)), column
    assert store.state == "ok"
