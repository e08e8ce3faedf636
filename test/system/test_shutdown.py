"""Both nodes stop the same way (chedweb_ros/node_main.py): SIGINT or SIGTERM ends them with exit
code 0, no traceback, and every line the node logs while closing still reaches /rosout, so not
one "Failed to publish log message to rosout" is printed (rclpy's own signal handler shut the
context down before the bridge logged its peers closing: about ten such lines per stop)."""

from __future__ import annotations

import asyncio
import signal

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.metrics_proc import start_system_metrics
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
