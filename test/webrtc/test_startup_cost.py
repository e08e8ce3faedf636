"""What a bridge that no browser has reached yet keeps in memory (issue 12: RSS idle)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.webrtc_client import BridgeClient

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(120)]


def _mapped_media_libraries(pid: int) -> set[str]:
    """PyAV's FFmpeg libraries mapped into the process: there once aiortc is imported."""
    paths = {line.split()[-1] for line in Path(f"/proc/{pid}/maps").read_text().splitlines()
             if len(line.split()) >= 6}
    return {p.rsplit("/", 1)[-1] for p in paths if "/av.libs/libavcodec" in p or "/av/_core" in p}


def test_aiortc_is_imported_by_the_first_socket_not_at_start_up() -> None:
    bridge = Bridge("webrtc_bridge-startup-cost")
    try:
        bridge.wait_health("peers", 0)  # serving: pages, /healthz and /config need no aiortc
        assert bridge.get("config")[0] == 200
        assert _mapped_media_libraries(bridge.pid) == set()

        async def connect() -> list[str]:
            client = BridgeClient(bridge.url)
            await client.connect(timeout=30)
            await client.wait_for(lambda m: any(x.msg["type"] == "hello" for x in m))
            types = [m.msg["type"] for m in client.messages]
            await client.close()
            return types

        # The first browser is served at once, aiortc loaded for it.
        assert "hello" in asyncio.run(connect())
        assert _mapped_media_libraries(bridge.pid) != set()
    finally:
        assert bridge.stop() == 0, bridge.node.output()
