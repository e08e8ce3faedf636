"""Issue 12: an idle node's main thread sleeps until it has work or a signal.

node_main's spin loop used to wake every 0.25 s to look for a stop request (a Python signal
handler cannot run while rcl waits), four trips a second through the executor. Counted here as
the main thread's voluntary context switches (/proc/<pid>/task/<pid>/status: each one is the
thread going to sleep again) while system_metrics has nothing to do (period 3600 s), then a
SIGINT must still end it at once with exit code 0.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from test.helpers.procs import NodeProcess, executable, ros_args

pytestmark = [pytest.mark.ros, pytest.mark.timeout(90)]


def _sleeps(pid: int) -> int:
    for line in Path(f"/proc/{pid}/task/{pid}/status").read_text().splitlines():
        if line.startswith("voluntary_ctxt_switches:"):
            return int(line.split()[1])
    raise AssertionError("no voluntary_ctxt_switches")


def test_idle_node_main_thread_sleeps_until_a_signal() -> None:
    node = NodeProcess([executable("system_metrics"), *ros_args({"period": 3600.0})], "idle-wakeups")
    try:
        node.wait_for_output("publishing /diagnostics every 3600 s", timeout=30)
        time.sleep(2.0)  # start-up's own work (discovery, parameter events) done
        before = _sleeps(node.proc.pid)
        time.sleep(4.0)
        woke = _sleeps(node.proc.pid) - before
        # Polling at 4 Hz: 16 in 4 s. Sleeping: none, or a stray one.
        assert woke <= 3, f"main thread woke {woke} times in 4 s with nothing to do"
        t0 = time.monotonic()
        code = node.stop(signal.SIGINT, timeout=10)
        assert code == 0, node.output()
        assert time.monotonic() - t0 < 5.0, "SIGINT took too long to end the idle node"
    finally:
        node.stop()
