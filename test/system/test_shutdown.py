"""Both nodes stop the same way (chedweb_ros/node_main.py): SIGINT or SIGTERM ends them with exit
code 0, no traceback, and every line the node logs while closing still reaches /rosout, so not
one "Failed to publish log message to rosout" is printed (rclpy's own signal handler shut the
context down before the bridge logged its peers closing: about ten such lines per stop)."""

from __future__ import annotations

import asyncio
import signal
import sys
import time

import pytest

from test.helpers.bridge_proc import HOST, Bridge
from test.helpers.metrics_proc import start_system_metrics
from test.helpers.procs import NodeProcess, ros_args
from test.helpers.webrtc_client import BridgeClient

pytestmark = [pytest.mark.ros, pytest.mark.webrtc, pytest.mark.timeout(120)]

ROSOUT_FAILURE = "Failed to publish log message to rosout"
SIGNALS = [signal.SIGINT, signal.SIGTERM]


@pytest.mark.parametrize("sig", SIGNALS, ids=[s.name for s in SIGNALS])
def test_bridge_with_peers_stops_with_0_and_no_rosout_failure(sig: signal.Signals) -> None:
    bridge = Bridge(f"webrtc_bridge-stop-{sig.name}")

    async def two_peers_then_signal() -> None:
        clients = [BridgeClient(bridge.url) for _ in range(2)]
        try:
            for c in clients:
                await c.connect()
            await asyncio.to_thread(bridge.node.proc.send_signal, sig)
            await asyncio.to_thread(bridge.node.proc.wait, 15)
        finally:
            for c in clients:
                await c.close()

    try:
        asyncio.run(two_peers_then_signal())
        assert bridge.node.proc.returncode == 0
        out = bridge.node.output()
        assert out.count("closed (bridge shutting down)") == 2, out  # logged while closing
        assert ROSOUT_FAILURE not in out, out
        assert "Traceback" not in out, out
    finally:
        bridge.stop()


@pytest.mark.parametrize("sig", SIGNALS, ids=[s.name for s in SIGNALS])
def test_system_metrics_stops_with_0_and_no_rosout_failure(sig: signal.Signals) -> None:
    node = start_system_metrics(f"system_metrics-stop-{sig.name}", period=0.1)
    node.wait_for_output("publishing /diagnostics", timeout=30)
    assert node.stop(sig) == 0
    out = node.log_path.read_text()
    assert ROSOUT_FAILURE not in out and "Traceback" not in out, out


def _catches_sigterm(pid: int) -> bool:
    """Whether the process has installed a SIGTERM handler (SigCgt in /proc/<pid>/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            status = f.read()
    except OSError:
        return False
    caught = int(status.split("SigCgt:", 1)[1].split()[0], 16)
    return bool(caught & (1 << (signal.SIGTERM - 1)))


@pytest.mark.parametrize("sig", SIGNALS, ids=[s.name for s in SIGNALS])
def test_bridge_signal_during_its_imports_exits_0(sig: signal.Signals) -> None:
    """A `ros2 launch` that ends a second after it started (the other node exited 2) signals the
    bridge while it is still importing rclpy, aiortc and Flask (several seconds under load). Its
    executable installs the handlers first (chedweb_bridge/main.py), so that ends it with 0 and no
    traceback. Run as `python -m chedweb_bridge.main`, the module setup.py's console script calls,
    so that an older console script in a shared venv does not decide the result."""
    node = NodeProcess([sys.executable, "-m", "chedweb_bridge.main", *ros_args({"host": HOST, "port": 0})],
                       f"webrtc_bridge-early-{sig.name}")
    try:
        # Signalled as soon as the handlers are in place (a light import, the first thing main
        # does): the heavy imports that follow take seconds, so the signal lands during them. A
        # fixed 1.5 s fallback signalled a fresh venv's interpreter before it had even reached
        # main (compiling its bytecode first): killed by the default action, with no output.
        deadline = time.monotonic() + 30.0
        while not _catches_sigterm(node.proc.pid) and time.monotonic() < deadline:
            assert node.proc.poll() is None, node.output()
            time.sleep(0.005)
        assert _catches_sigterm(node.proc.pid), "no SIGTERM handler within 30 s of start"
        assert node.proc.poll() is None, node.output()
        assert node.stop(sig) == 0, node.log_path.read_text()
        out = node.log_path.read_text()
        assert "Traceback" not in out, out
    finally:
        node.stop()
