"""Each bad input of issue 3 gets a clear error (or a close with a reason), while a watching
client keeps receiving every message without a gap, and a fresh client works afterwards."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator

import pytest
from aiortc import RTCPeerConnection

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient, SignalingError, is_gapless, live_indices, live_seqs

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(120)]

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def strict_bridge(publisher: PublisherProcess) -> Iterator[Bridge]:
    b = Bridge("webrtc_bridge-strict", {"max_peers": 2, "auth_token": TOKEN})
    # The publisher already runs, matched with the module's bridge: match it with this one too.
    b.take_from(publisher, timeout=20)
    yield b
    assert b.stop() == 0, b.node.output()


def expect_refusal_is_harmless(bridge: Bridge, publisher: PublisherProcess,
                               bad: Callable[[], Awaitable[None]], token: str | None = None) -> None:
    """Run `bad` while a watcher receives a burst; then check the watcher saw every message in
    order, and that a fresh client still connects and receives."""
    async def run() -> None:
        watcher = BridgeClient(bridge.url, token=token)
        await watcher.connect()
        burst = asyncio.ensure_future(asyncio.to_thread(publisher.burst, 20, 20))
        await bad()
        last = await burst
        wanted = set(range(last - 19, last + 1))
        await watcher.wait_for(lambda m: wanted <= set(live_indices(m)))
        assert is_gapless(live_seqs(watcher.messages)), "watcher saw a gap"
        await watcher.close()

        fresh = BridgeClient(bridge.url, token=token)
        await fresh.connect()
        last = await asyncio.to_thread(publisher.burst, 2, 20)
        await fresh.wait_for(lambda m: last in live_indices(m))
        await fresh.close()

    asyncio.run(run())
    assert "Traceback" not in bridge.node.output()


async def raw(bridge: Bridge, **kwargs: object) -> BridgeClient:
    client = BridgeClient(bridge.url, **kwargs)  # type: ignore[arg-type]
    await client.open_socket()
    return client


async def expect_error(client: BridgeClient, text: str) -> None:
    reply = await client.receive_json()
    assert reply == {"type": "error", "message": reply["message"]}
    assert text in reply["message"], reply


async def expect_close(client: BridgeClient, code: int) -> None:
    with pytest.raises(SignalingError, match=str(code)):
        await client.receive_json()


async def expect_still_open(client: BridgeClient) -> None:
    """The socket still works: a frame sent now is answered."""
    await client.send_json({"type": "ping-check"})
    await expect_error(client, "unknown message type 'ping-check'")
    await client.close()


def test_non_json(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = await raw(bridge)
        assert c.ws is not None
        await c.ws.send("this is {not json")
        await expect_error(c, "malformed message")
        await c.ws.send("[1, 2]")
        await expect_error(c, "malformed message: not a JSON object")
        await expect_still_open(c)
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_unknown_type(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = await raw(bridge)
        await c.send_json({"type": "subscribe", "topic": "/x"})
        await expect_error(c, "unknown message type 'subscribe'")
        await expect_still_open(c)
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_offer_without_sdp(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = await raw(bridge)
        await c.send_json({"type": "offer"})
        await expect_error(c, "invalid offer: no SDP")
        await c.send_json({"type": "offer", "sdp": 42})
        await expect_error(c, "invalid offer: no SDP")
        await expect_still_open(c)
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_invalid_sdp(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = await raw(bridge)
        await c.send_json({"type": "offer", "sdp": "v=0\r\nthis is not SDP\r\n"})
        await expect_error(c, "invalid offer")
        # Valid SDP, but audio only: no DataChannel to serve.
        pc = RTCPeerConnection()
        pc.addTransceiver("audio")
        await pc.setLocalDescription(await pc.createOffer())
        await c.send_json({"type": "offer", "sdp": pc.localDescription.sdp})
        await pc.close()
        await expect_error(c, "invalid offer: no DataChannel")
        await expect_still_open(c)
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_malformed_candidate_and_candidate_before_offer(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = await raw(bridge)
        await c.send_json({"type": "candidate", "candidate": "candidate:1 1 udp 1 198.18.0.1 9 typ host",
                           "sdpMid": "0", "sdpMLineIndex": 0})
        await expect_error(c, "candidate before offer")
        await c.send_json({"type": "candidate", "candidate": "garbage", "sdpMid": "0"})
        await expect_error(c, "malformed candidate")
        await expect_still_open(c)
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_message_over_64_kib(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        # Above 64 KiB the WebSocket layer closes the socket (1009) as the frame arrives.
        c = await raw(bridge)
        await c.send_json({"type": "offer", "sdp": "x" * (70 * 1024)})
        await expect_close(c, 1009)
        await c.close()
        # Fewer than 64 Ki characters but more than 64 KiB of UTF-8: the bridge's own check.
        c = await raw(bridge)
        assert c.ws is not None
        await c.ws.send(json.dumps({"type": "offer", "sdp": "é" * (40 * 1024)}, ensure_ascii=False))
        await expect_error(c, "message too large")
        await expect_close(c, 1009)
        await c.close()
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_flood_of_messages(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = await raw(bridge)
        for _ in range(80):  # end-of-candidates frames need no reply: only the limit answers
            await c.send_json({"type": "candidate", "candidate": ""})
        await expect_error(c, "rate limit exceeded")
        await expect_close(c, 1008)
        await c.close()
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_second_offer_on_same_socket(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = BridgeClient(bridge.url)
        await c.connect()
        assert c.pc is not None
        await c.send_json({"type": "offer", "sdp": c.pc.localDescription.sdp})
        await expect_error(c, "offer already received")
        # The first peer connection is untouched: it still receives live data.
        count = len(c.of_type("diagnostics"))
        await c.wait_for(lambda m: len([x for x in m if x.msg["type"] == "diagnostics"]) > count + 2)
        await c.close()
    expect_refusal_is_harmless(bridge, publisher, bad)


def test_beyond_max_peers(strict_bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        other = BridgeClient(strict_bridge.url, token=TOKEN)  # the watcher is the first
        await other.connect()
        c = await raw(strict_bridge, token=TOKEN)  # a socket alone takes no place: its offer does
        assert other.pc is not None
        await c.send_json({"type": "offer", "sdp": other.pc.localDescription.sdp})
        await expect_error(c, "server full (max_peers=2)")
        await expect_close(c, 1013)
        await c.close()
        await other.close()
        await asyncio.to_thread(strict_bridge.wait_peers, 1, float("inf"), 0.05)
    expect_refusal_is_harmless(strict_bridge, publisher, bad, token=TOKEN)


def test_wrong_or_missing_token(strict_bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        for token in (None, "wrong", TOKEN + "x"):
            c = await raw(strict_bridge, token=token)
            await expect_error(c, "unauthorized")
            await expect_close(c, 1008)
            await c.close()
        status, _ = await asyncio.to_thread(strict_bridge.get, "config?token=wrong")
        assert status == 401
    expect_refusal_is_harmless(strict_bridge, publisher, bad, token=TOKEN)
    status, body = strict_bridge.get(f"config?token={TOKEN}")
    assert status == 200 and json.loads(body) == {"protocol": 2, "iceServers": []}


def test_origin_not_allowed(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def bad() -> None:
        c = await raw(bridge, origin="http://evil.example:8080")
        await expect_error(c, "origin not allowed")
        await expect_close(c, 1008)
        await c.close()
    expect_refusal_is_harmless(bridge, publisher, bad)
    # Refusals are logged once each, with the connection's prefix.
    assert bridge.node.output().count("refused: origin not allowed") == 1
