"""What the bridge imports at start-up and what waits for the first request that needs it (issue
12, RSS idle): prometheus_client waits for the first /metrics scrape, psutil for the first
request whose Host is not loopback. Each in a fresh interpreter, after everything the node
module imports, so nothing else in the test run has imported them already."""

from __future__ import annotations

import json
import subprocess
import sys

from test.helpers.procs import REPO

_PROBE = r"""
import json, sys
import chedweb_bridge.webrtc_bridge_node  # everything start-up imports
from chedweb_bridge.access import HostAllowlist
from chedweb_bridge.latest import LatestStatuses
from chedweb_bridge.local_names import local_names
from chedweb_bridge.metrics_http import MetricsSettings, encode, make_endpoint

class BusyLoop:  # the loop never answers: the scrape goes out without the bridge's counters
    def run(self, coro, timeout):
        coro.close()
        raise TimeoutError

seen = {}
hosts = HostAllowlist(local_names)
endpoint = make_endpoint(BusyLoop(), None, LatestStatuses(), MetricsSettings())
seen["start"] = {m: m in sys.modules for m in ("prometheus_client", "psutil")}
hosts.allows("localhost:8080")
seen["loopback request"] = {m: m in sys.modules for m in ("prometheus_client", "psutil")}
hosts.allows("robot.example:8080")
body, _ = encode(endpoint.registry, "")
seen["after"] = {m: m in sys.modules for m in ("prometheus_client", "psutil")}
seen["body"] = body.decode()
print(json.dumps(seen))
"""


def test_prometheus_client_and_psutil_wait_for_the_first_request_that_needs_them() -> None:
    out = subprocess.run([sys.executable, "-c", _PROBE], cwd=REPO, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    seen = json.loads(out.splitlines()[-1])
    assert seen["start"] == {"prometheus_client": False, "psutil": False}
    assert seen["loopback request"] == {"prometheus_client": False, "psutil": False}
    assert seen["after"] == {"prometheus_client": True, "psutil": True}
    assert "chedweb_bridge_state_ok 0.0" in seen["body"]  # the scrape itself works
