"""launch_testing: `bringup.launch.py` brings up the whole system.

Launches launch/bringup.launch.py on a free port, waits for /diagnostics with every
system_metrics task, checks that the bridge answers /healthz, connects a real aiortc client
through /ws and receives a `diagnostics` message, and after shutdown asserts the exit codes.

Runs under `launch_test test/test_bringup_launch.py` and `colcon test` in a ROS 2 install (and
under `make test` inside its network namespace when launch_testing is importable). Where
launch_testing cannot be imported it is skipped with that reason; test/system/test_run_nodes.py
checks the same things here by starting the same executables with the same parameter file.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
import unittest
import urllib.request
from pathlib import Path

import pytest

pytest.importorskip(
    "launch_testing", reason="launch_testing cannot be imported (no ROS 2 install with launch_testing); "
    "test/system/test_run_nodes.py covers the same checks")

import launch
import launch_testing
import launch_testing.actions
import launch_testing.asserts
from diagnostic_msgs.msg import DiagnosticArray
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch_testing_ros import WaitForTopics

# `launch_test test/test_bringup_launch.py` imports this file by its path, with the launch_test
# script's folder first on sys.path: `test` would then be Python's own test package (Debian and
# Ubuntu ship it), which has no `helpers`. The repository goes first, before `test` is imported.
REPO = Path(__file__).resolve().parents[1]
if getattr(sys.modules.get("test"), "__file__", None) not in (None, str(REPO / "test" / "__init__.py")):
    del sys.modules["test"]
sys.path.insert(0, str(REPO))

from chedweb_ros.status import TASKS  # noqa: E402
from test.helpers.webrtc_client import BridgeClient  # noqa: E402

# In `make test` the bridge listens on the test namespace's veth address (aiortc needs a
# non-loopback interface); in a ROS 2 install, on loopback (ICE then uses the machine's own
# interfaces).
HOST = os.environ.get("CHEDWEB_TEST_HOST", "127.0.0.1")
BRINGUP = REPO / "launch" / "bringup.launch.py"
EXPECTED = {f"system_metrics: {task}" for task in TASKS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


PORT = _free_port()


@pytest.mark.launch_test
@pytest.mark.launch
def generate_test_description() -> tuple[launch.LaunchDescription, dict[str, object]]:
    bringup = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(BRINGUP)),
        launch_arguments={"host": HOST, "port": str(PORT), "period": "0.5"}.items(),
    )
    return launch.LaunchDescription([bringup, launch_testing.actions.ReadyToTest()]), {}



def wait_healthz(base_url: str, timeout: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(base_url + "healthz", timeout=2) as reply:
                health: dict[str, object] = json.load(reply)
                return health
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class TestBringup(unittest.TestCase):
    def test_diagnostics_has_every_system_metrics_task(self) -> None:
        # launch_testing_ros' idiomatic wait: the first arrays on /diagnostics, from system_metrics.
        with WaitForTopics([("/diagnostics", DiagnosticArray)], timeout=30.0) as waited:
            arrays = waited.received_messages("/diagnostics")
        names = {s.name for a in arrays for s in a.status}
        self.assertTrue(names >= EXPECTED, f"missing: {sorted(EXPECTED - names)}")

    def test_bridge_answers_healthz(self) -> None:
        health = wait_healthz(f"http://{HOST}:{PORT}/")
        self.assertIn("peers", health)

    def test_aiortc_client_receives_diagnostics(self) -> None:
        wait_healthz(f"http://{HOST}:{PORT}/")

        async def run() -> dict[str, object]:
            client = BridgeClient(f"http://{HOST}:{PORT}/")
            try:
                await client.connect(timeout=30.0)
                await client.wait_for(lambda ms: any(m.msg.get("type") == "diagnostics" for m in ms),
                                      timeout=15.0)
                return client.of_type("diagnostics")[0].msg
            finally:
                await client.close()

        message = asyncio.run(run())
        self.assertEqual(message["topic"], "/diagnostics")


@launch_testing.post_shutdown_test()
class TestShutdown(unittest.TestCase):
    def test_exit_codes(self, proc_info: object) -> None:
        launch_testing.asserts.assertExitCodes(proc_info)
