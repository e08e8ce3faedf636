"""The webrtc_bridge executable as a real child process, bound to the test namespace's veth
address (aiortc gathers no loopback candidates) on port 0; the port is read from its log."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from test.helpers.procs import NodeProcess, executable, ros_args

HOST = os.environ.get("CHEDWEB_TEST_HOST", "198.18.0.1")
_SERVING = re.compile(r"serving on http://([^:/\s]+):(\d+)/")


class Bridge:
    def __init__(self, log_name: str, params: Mapping[str, object] | None = None) -> None:
        all_params: dict[str, object] = {"host": HOST, "port": 0}
        all_params.update(params or {})
        self.node = NodeProcess([executable("webrtc_bridge"), *ros_args(all_params)], log_name)
        try:
            out = self.node.wait_for_output("serving on http://", timeout=30)
        except AssertionError:
            self.node.stop()
            raise
        match = _SERVING.search(out)
        assert match, out
        self.port = int(match.group(2))
        self.url = f"http://{HOST}:{self.port}/"

    @property
    def pid(self) -> int:
        return self.node.proc.pid

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path.lstrip("/"), timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def health(self) -> dict[str, Any]:
        status, body = self.get("healthz")
        assert status == 200, body
        result: dict[str, Any] = json.loads(body)
        return result

    def proc_status(self) -> dict[str, int]:
        """Threads and VmRSS (kB) from /proc/<pid>/status."""
        out = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Threads", "VmRSS"):
                out[key] = int(value.split()[0])
        return out

    def stop(self) -> int:
        return self.node.stop()
