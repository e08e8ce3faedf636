"""ICE consent freshness (chedweb_bridge/consent.py): a peer that answers the bridge's consent
checks late (a starved client process, as bench.fanout's peers on a loaded machine) stays
connected; a peer that stops answering at all is still closed."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aioice import ice

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient, live_indices

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(150)]

# How late the client answers each STUN binding request: a loop that lags this much (the bench's
# client processes lagged more on a loaded machine). aioice's own rule needed 0.5 s.
ANSWER_DELAY_S = 0.8
# Longer than aioice's 6 consent checks at 4-6 s each (24-36 s), the most its rule waits.
WATCH_S = 40.0


def test_peer_answering_consent_checks_late_stays_connected(
        bridge: Bridge, publisher: PublisherProcess, monkeypatch: pytest.MonkeyPatch) -> None:
    log_start = len(bridge.node.output())

    async def run() -> tuple[str, str]:
        client = BridgeClient(bridge.url)
        await client.connect()
        original = ice.Connection.request_received
        loop = asyncio.get_running_loop()

        def late(self: ice.Connection, *args: Any) -> None:
            loop.call_later(ANSWER_DELAY_S, lambda: original(self, *args))

        # From now on this client's loop answers the bridge's checks late, as a starved one does;
        # everything else (its own checks, DTLS, SCTP) runs as before.
        monkeypatch.setattr(ice.Connection, "request_received", late)
        await asyncio.sleep(WATCH_S)
        last = await asyncio.to_thread(publisher.burst, 3, 10)
        try:
            await client.wait_for(lambda m: last in live_indices(m), timeout=10)
        finally:
            state = client.pc.connectionState if client.pc else "none"
            log = bridge.node.output()[log_start:]
            await client.close()
        return state, log

    state, log = asyncio.run(run())
    assert "closed (" not in log, log[-2000:]
    assert state == "connected"
    assert bridge.wait_peers(0, timeout=10) == 0


def test_peer_whose_ice_is_gone_is_closed_after_30_s(bridge: Bridge) -> None:
    log_start = len(bridge.node.output())

    async def run() -> float:
        client = BridgeClient(bridge.url)
        await client.connect()
        assert client.pc is not None and client.pc.sctp is not None
        # The client's ICE sockets close without a word to the bridge (a network lost, a process
        # gone behind a NAT), while its WebSocket stays open: only consent freshness can tell.
        await client.pc.sctp.transport.transport._connection.close()
        started = time.monotonic()
        try:
            assert await asyncio.to_thread(bridge.wait_peers, 0, 45) == 0, bridge.node.output()[-2000:]
            return time.monotonic() - started
        finally:
            await client.close()

    took = asyncio.run(run())
    # Not before RFC 7675's 30 s without an answer (less the up to 6 s since the last check answered).
    assert took > 24, took
    assert "closed (data channel closed)" in bridge.node.output()[log_start:]
