"""Orphans (hardening issue, item 13): an offer whose answer times out, a cancelled accept_offer
and a second offer leave no place and no peer connection behind.

A STUN server at an address of the test namespace where nobody answers (198.18.0.99) makes
aiortc's candidate gathering, and so the answer, take about 5 s: longer than answer_timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import psutil
import pytest
from aiortc import RTCPeerConnection

from chedweb_bridge.history import History
from chedweb_bridge.ice import parse_ice_servers
from chedweb_bridge.peers import OfferError, PeerRegistry, StreamInfo
from test.helpers.bridge_proc import Bridge
from test.helpers.webrtc_client import BridgeClient, SignalingError

pytestmark = [pytest.mark.webrtc, pytest.mark.timeout(120)]

SILENT_STUN = "stun:198.18.0.99:3478"


async def _offer_sdp() -> tuple[RTCPeerConnection, str]:
    pc = RTCPeerConnection()
    pc.createDataChannel("chedweb")
    await pc.setLocalDescription(await pc.createOffer())
    return pc, pc.localDescription.sdp


@pytest.fixture(scope="module")
def slow_bridge() -> Iterator[Bridge]:
    b = Bridge("webrtc_bridge-slow-answer", {"answer_timeout": 1.0, "ice_servers": [SILENT_STUN],
                                              "max_peers": 1})
    yield b
    assert b.stop() == 0, b.node.output()


def _udp_sockets(pid: int) -> int:
    return len(psutil.Process(pid).net_connections(kind="udp"))


def test_timed_out_answer_leaves_no_place_and_no_connection(slow_bridge: Bridge) -> None:
    """A timed-out `loop.run` left the opened session holding its max_peers place, and the
    cancelled accept_offer left session.pc set, overwritten by the next offer without a close."""
    b = slow_bridge
    baseline = _udp_sockets(b.pid)

    async def run() -> tuple[str, str]:
        pc, sdp = await _offer_sdp()
        client = BridgeClient(b.url)
        await client.open_socket()
        await client.send_json({"type": "offer", "sdp": sdp})
        first = (await client.receive_json())["message"]
        second = "socket closed"
        try:  # the same offer again, on the same socket: it must not leave a second connection
            await client.send_json({"type": "offer", "sdp": sdp})
            second = (await client.receive_json())["message"]
        except SignalingError as exc:
            second = str(exc)
        await client.close()
        await pc.close()
        return first, second

    first, second = asyncio.run(run())
    assert first == "no answer within 1 s", first
    assert "1013" in second, second  # closed: no second offer on that socket
    # Whatever the cancelled answer opened is closed: no place, no pending socket, no UDP socket.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (_udp_sockets(b.pid) > baseline or b.health()["peers"]):
        time.sleep(0.2)
    health = b.health()
    assert health["peers"] == 0 and health["pending_sockets"] == 0, health
    assert _udp_sockets(b.pid) <= baseline, (baseline, _udp_sockets(b.pid))
    assert "Traceback" not in b.node.output()


def _registry() -> PeerRegistry:
    registry = PeerRegistry(History(3600.0), StreamInfo("test", "0", ["/diagnostics"]))
    registry.ice_servers = parse_ice_servers([SILENT_STUN])
    registry.max_peers = 1
    return registry


def test_cancelled_accept_offer_closes_its_connection_and_gives_the_place_back() -> None:
    async def run() -> None:
        registry = _registry()
        offerer, sdp = await _offer_sdp()
        session = registry.new_session("198.18.0.2:1")
        task = asyncio.ensure_future(registry.accept_offer(session, sdp))
        await asyncio.sleep(0.5)  # gathering, waiting on the silent STUN server
        pc = session.pc
        assert pc is not None and registry.peer_count == 1
        task.cancel()  # what LoopThread.run's timeout does
        with pytest.raises(asyncio.CancelledError):
            await task
        assert session.pc is None and registry.peer_count == 0
        await asyncio.sleep(0.2)
        assert pc.connectionState == "closed"
        # The place is free for the next browser.
        other = registry.new_session("198.18.0.1:2")
        again = asyncio.ensure_future(registry.accept_offer(other, sdp))
        await asyncio.sleep(0.2)
        assert registry.peer_count == 1
        again.cancel()
        with pytest.raises(asyncio.CancelledError):
            await again
        await registry.close_all()
        await offerer.close()

    asyncio.run(run())


def test_second_offer_never_overwrites_the_first_connection() -> None:
    async def run() -> None:
        registry = _registry()
        offerer, sdp = await _offer_sdp()
        session = registry.new_session("198.18.0.2:1")
        first = asyncio.ensure_future(registry.accept_offer(session, sdp))
        await asyncio.sleep(0.5)
        pc = session.pc
        assert pc is not None
        with pytest.raises(OfferError, match="offer already received"):
            await registry.accept_offer(session, sdp)
        assert session.pc is pc and pc.connectionState != "closed"
        registry.close_session(session, "test over")
        with pytest.raises((OfferError, asyncio.CancelledError)):
            await first
        await asyncio.sleep(0.2)
        assert pc.connectionState == "closed" and registry.peer_count == 0
        await registry.close_all()
        await offerer.close()

    asyncio.run(run())
