"""The real nodes the browser tests run against, each as its own process: webrtc_bridge bound to
the test namespace's veth address (aiortc gathers no loopback candidates), and system_metrics
sampling fast with thresholds no test machine reaches (so its statuses stay OK and the banner
only ever shows what a test published)."""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from test.helpers.procs import NodeProcess, executable, ros_args

HOST = os.environ.get("CHEDWEB_TEST_HOST", "198.18.0.1")
_SERVING = re.compile(r"serving on http://([^:/\s]+):(\d+)/")

NEVER = 1000.0
QUIET_THRESHOLDS = {f"{what}_{level}_{unit}": NEVER
                    for what, unit in (("cpu", "percent"), ("memory", "percent"), ("disk", "percent"),
                                       ("temperature", "celsius"))
                    for level in ("warn", "error")}


class BridgeProcess:
    """`webrtc_bridge` on HOST; port 0 picks a free one, read back from its log line."""

    def __init__(self, log_name: str, port: int = 0, params: Mapping[str, object] | None = None) -> None:
        all_params: dict[str, object] = {"host": HOST, "port": port}
        all_params.update(params or {})
        self.node = NodeProcess([executable("webrtc_bridge"), *ros_args(all_params)], log_name)
        out = self.node.wait_for_output("serving on http://", timeout=30)
        match = _SERVING.search(out)
        assert match, out
        self.port = int(match.group(2))
        self.url = f"http://{HOST}:{self.port}/"

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.url + "healthz", timeout=5) as resp:
            result: dict[str, Any] = json.loads(resp.read().decode())
        return result

    def wait_messages(self, count: int = 1, timeout: float = 20.0) -> None:
        """Waits until the bridge has received `count` DiagnosticArrays (DDS discovery done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if int(self.health()["messages_received"]) >= count:
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"bridge received fewer than {count} messages in {timeout} s:\n"
                             f"{self.node.output()}")

    def stop(self) -> int:
        return self.node.stop()


def start_system_metrics(log_name: str, period: float = 0.5, name: str | None = None,
                         hardware_id: str = "") -> NodeProcess:
    params: dict[str, object] = {"period": period, "hardware_id": hardware_id, **QUIET_THRESHOLDS}
    return NodeProcess([executable("system_metrics"), *ros_args(params, name=name)], log_name)
