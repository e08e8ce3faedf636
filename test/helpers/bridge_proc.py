"""The webrtc_bridge executable as a real child process, bound to the test namespace's veth
address (aiortc gathers no loopback candidates); port 0 (the default) picks a free port, read
back from its log line. Used by the WebRTC, browser and system tests and by the benches."""

from __future__ import annotations

import json
import os
import re
import signal
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from test.helpers.procs import NodeProcess, executable, ros_args

if TYPE_CHECKING:  # its module imports rclpy, which the make-run test's process needs not load
    from test.helpers.ros_publisher import PublisherProcess

HOST = os.environ.get("CHEDWEB_TEST_HOST", "198.18.0.1")
_SERVING = re.compile(r"serving on http://([^:/\s]+):(\d+)/")


class Bridge:
    def __init__(self, log_name: str, params: Mapping[str, object] | None = None, port: int = 0,
                 wrap: Callable[[list[str]], list[str]] | None = None) -> None:
        """`wrap`: runs the command elsewhere, e.g. in another namespace (test/helpers/netns.py);
        then `params` gives the "host" that the test reaches it on."""
        # Each bridge its own history file, unless the test gives one: never the user's ~/.ros.
        self._history_dir = tempfile.TemporaryDirectory(prefix="chedweb-history-")
        all_params: dict[str, object] = {"host": HOST, "port": port,
                                         "history_path": self._history_dir.name + "/history.sqlite3"}
        all_params.update(params or {})
        cmd = [executable("webrtc_bridge"), *ros_args(all_params)]
        self.node = NodeProcess(wrap(cmd) if wrap else cmd, log_name)
        try:
            out = self.node.wait_for_output("serving on http://", timeout=30)
        except AssertionError:
            self.node.stop()
            raise
        match = _SERVING.search(out)
        assert match, out
        self.port = int(match.group(2))
        self.url = f"http://{all_params['host']}:{self.port}/"

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

    def wait_messages(self, count: int = 1, timeout: float = 20.0) -> None:
        """Waits until the bridge has received `count` DiagnosticArrays (DDS discovery done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if int(self.health()["messages_received"]) >= count:
                    return
            except (OSError, AssertionError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"bridge received fewer than {count} messages in {timeout} s:\n"
                             f"{self.node.output()}")

    def wait_peers(self, at_most: int = 0, timeout: float = 10.0, interval: float = 0.1) -> int:
        """Waits until at most `at_most` peers remain (closes are asynchronous) or `timeout`
        passes; returns the count then, for the caller to assert on."""
        return self.wait_health("peers", at_most, timeout, interval)

    def wait_health(self, field: str, at_most: int = 0, timeout: float = 10.0, interval: float = 0.1) -> int:
        """Waits until /healthz's counter `field` is at most `at_most` or `timeout` passes; returns
        it then. A test that opened sockets on a shared bridge waits for "pending_sockets" to
        drain, so the next test does not meet its per-address limit still held."""
        deadline = time.monotonic() + timeout
        value = int(self.health()[field])
        while value > at_most and time.monotonic() < deadline:
            time.sleep(interval)
            value = int(self.health()[field])
        return value

    def take_from(self, pub: PublisherProcess, timeout: float = 30.0) -> int:
        """Publishes one message at a time from `pub` until this bridge has received one; returns
        `messages_received` then. From that point both ends have matched each other, so a burst
        loses nothing to discovery: `pub` being ready only means it matched *a* subscriber (maybe
        another test's bridge), and a sample sent before this bridge's reader knows the writer is
        dropped, then repaired only while it is still in the writer's history of 10. Only for a
        bridge that has no other source of DiagnosticArrays."""
        before = int(self.health()["messages_received"])
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pub.burst(1)
            step = time.monotonic() + 0.5
            while time.monotonic() < step:
                received = int(self.health()["messages_received"])
                if received > before:
                    return received
                time.sleep(0.02)
        raise AssertionError(f"bridge received nothing from the publisher in {timeout} s:\n"
                             f"{self.node.output()}")

    def stop(self, sig: int = signal.SIGINT) -> int:
        code = self.node.stop(sig)
        self._history_dir.cleanup()
        return code


def wait_healthz(base_url: str, timeout: float = 30.0) -> dict[str, Any]:
    """A bridge started by someone else (make run, a launch file): its /healthz once it answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base_url + "healthz", timeout=2) as reply:
                health: dict[str, Any] = json.load(reply)
                return health
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
