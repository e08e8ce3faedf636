"""What the bridge imports at start-up and what waits for the first request that needs it (issue
12, RSS idle): Flask for the first HTTP request of any kind, prometheus_client for the first
/metrics scrape, psutil for the first request whose Host is not loopback. Each in a fresh
interpreter, after everything the node module imports, so nothing else in the test run has
imported them already."""

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


_NODE_PROBE = r"""
import json, shutil, sys, tempfile, time, urllib.request
import rclpy
from chedweb_bridge.webrtc_bridge_node import WebRtcBridge

history = tempfile.mkdtemp(prefix="chedweb-lazy-web-")
rclpy.init(args=["--ros-args", "-p", "host:=127.0.0.1", "-p", "port:=0",
                 "-p", f"history_path:={history}/history.sqlite3"])
node = WebRtcBridge()
seen = {"serving, no request yet": "flask" in sys.modules}
port = node.get_parameter("port").value
time.sleep(1.0)  # /healthz's uptime counts from the node's start, not from the app's build
replies = []
for path in ("healthz", "config", "healthz"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=30) as resp:
        replies.append([resp.status, json.loads(resp.read())])
seen["after requests"] = "flask" in sys.modules
seen["replies"] = replies
node.close()
node.destroy_node()
rclpy.shutdown()
shutil.rmtree(history)
print(json.dumps(seen))
"""


def test_flask_waits_for_the_first_request_and_that_request_is_answered() -> None:
    # A real WebRtcBridge node serving on loopback (inside the test's network namespace).
    result = subprocess.run([sys.executable, "-c", _NODE_PROBE], cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.splitlines()[-1])
    assert seen["serving, no request yet"] is False
    assert seen["after requests"] is True
    statuses = [r[0] for r in seen["replies"]]
    assert statuses == [200, 200, 200]
    assert seen["replies"][0][1]["status"] == "ok" and seen["replies"][0][1]["peers"] == 0
    assert seen["replies"][0][1]["uptime_s"] >= 1.0
    assert "iceServers" in seen["replies"][1][1]
    assert "web app built for the first request" in result.stderr
    assert result.stderr.count("web app built for the first request") == 1
