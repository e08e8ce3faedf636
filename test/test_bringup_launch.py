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
import os
import socket
import unittest
from pathlib import Path

import pytest

pytest.importorskip(
    "launch_testing", reason="launch_testing cannot be imported (no ROS 2 install with launch_testing); "
    "test/system/test_run_nodes.py covers the same checks")

import launch
import launch_testing
import launch_testing.actions
import launch_testing.asserts
from launch.actions import IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource

from chedweb_ros.status import TASKS
from test.helpers.bridge_proc import wait_healthz
from test.helpers.diagnostics_listener import listen, status_names
from test.helpers.webrtc_client import BridgeClient

# In `make test` the bridge listens on the test namespace's veth address (aiortc needs a
# non-loopback interface); in a ROS 2 install, on loopback (ICE then uses the machine's own
# interfaces).
HOST = os.environ.get("CHEDWEB_TEST_HOST", "127.0.0.1")
BRINGUP = Path(__file__).resolve().parents[1] / "launch" / "bringup.launch.py"
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



class TestBringup(unittest.TestCase):
    def test_diagnostics_has_every_system_metrics_task(self) -> None:
        arrays = listen(lambda got: status_names(got) >= EXPECTED, timeout=30.0)
        self.assertTrue(status_names(arrays) >= EXPECTED,
                        f"missing: {sorted(EXPECTED - status_names(arrays))}")

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
