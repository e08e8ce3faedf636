"""Capability deflate-raw (docs/protocol.md, "Compression") end to end: a real publisher, the real
bridge, aiortc clients that ask for it in their offer and clients that do not, side by side."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient, connect_outcome, live_indices

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(180)]

DEFLATE = ["deflate-raw"]


def _data(client: BridgeClient) -> list[tuple[str, Any]]:
    """(type, message) of what the client got, alert_state left out (its `now` differs)."""
    return [(m.msg["type"], m.msg) for m in client.messages if m.msg["type"] != "alert_state"]


def test_a_page_that_asks_gets_deflated_frames_with_the_same_content_and_others_get_text(
        bridge: Bridge) -> None:
    # 40 statuses of 20 values: about 20 KB of JSON per array, so the live path has much to save.
    pub = PublisherProcess("--name-prefix", "deflate", "--statuses", "40", "--extra-values", "17",
                           wait_subscribers=1)
    try:
        bridge.take_from(pub)
        pub.burst(5, 20)  # some history, so the snapshot has parts worth compressing

        async def run() -> tuple[BridgeClient, BridgeClient, BridgeClient]:
            deflated = BridgeClient(bridge.url, compression=DEFLATE)
            text = BridgeClient(bridge.url)
            v1 = BridgeClient(bridge.url, protocol="", compression=DEFLATE)
            clients = (deflated, text, v1)
            await asyncio.gather(*(c.connect() for c in clients))
            for c in clients:
                await c.wait_for(lambda ms: any(m.msg["type"] == "snapshot" and
                                                m.msg["part"] == m.msg["parts"] - 1 for m in ms))
            last = await asyncio.to_thread(pub.burst, 10, 10)
            for c in clients:
                await c.wait_for(lambda ms: last in live_indices(ms))
            await asyncio.gather(*(c.close() for c in clients))
            return clients

        deflated, text, v1 = asyncio.run(run())
    finally:
        pub.stop()

    hello = deflated.messages[0]
    assert hello.msg["type"] == "hello" and not hello.binary  # hello is always text
    assert "deflate-raw" in hello.msg["capabilities"]
    assert "deflate-raw" not in text.messages[0].msg["capabilities"]
    assert "capabilities" not in v1.messages[0].msg  # a version-1 channel: text, as today

    live = [m for m in deflated.messages if m.msg["type"] == "diagnostics"]
    assert live and all(m.binary for m in live)
    assert all(m.binary for m in deflated.of_type("snapshot"))
    # The size rule on the bytes sent, and compression that pays: these arrays compress well.
    assert all(m.wire <= 65536 for m in deflated.messages)
    assert sum(m.wire for m in live) * 4 < sum(m.size for m in live)
    assert not any(m.binary for m in text.messages + v1.messages)

    # The same messages as the text peer got, once inflated (same seqs, same JSON).
    by_seq = {m["seq"]: m for kind, m in _data(text) if kind == "diagnostics"}
    inflated = {m["seq"]: m for kind, m in _data(deflated) if kind == "diagnostics"}
    common = sorted(set(by_seq) & set(inflated))
    assert len(common) >= 10
    assert all(by_seq[s] == inflated[s] for s in common)


def test_an_offer_with_a_malformed_compression_list_is_refused_with_the_reason(bridge: Bridge) -> None:
    client = BridgeClient(bridge.url, compression=["deflate-raw"] * 9)
    refused = asyncio.run(connect_outcome(client))
    assert refused == "invalid offer: 'compression' is not a list of at most 8 names"


def test_unknown_compression_names_are_ignored(bridge: Bridge) -> None:
    async def run() -> list[bool]:
        client = BridgeClient(bridge.url, compression=["zstd", "brotli"])
        await client.connect()
        await client.wait_for(lambda ms: any(m.msg["type"] == "snapshot" for m in ms))
        await client.close()
        assert "deflate-raw" not in client.messages[0].msg["capabilities"]
        return [m.binary for m in client.messages]

    assert not any(asyncio.run(run()))


def test_a_range_answer_is_deflated_for_a_page_that_asked() -> None:
    bridge = Bridge("webrtc_bridge-compression-query")
    pub = PublisherProcess("--name-prefix", "dq", "--statuses", "2", wait_subscribers=0)
    try:
        bridge.take_from(pub)
        start = time.time()
        pub.burst(30, rate=20.0)

        async def run() -> list[Any]:
            client = BridgeClient(bridge.url, compression=DEFLATE)
            await client.connect()
            try:
                assert client.channel is not None
                client.channel.send(json.dumps({
                    "type": "query", "id": 7, "hardware_id": "test-host", "name": "dq: status 0",
                    "from": start - 5, "to": time.time() + 1, "points": 2000}))
                await client.wait_for(lambda ms: any(m.msg.get("type") == "range" for m in ms))
                await asyncio.sleep(0.3)
                return client.of_type("range")
            finally:
                await client.close()

        ranges = asyncio.run(run())
    finally:
        pub.stop()
        assert bridge.stop() == 0
    assert ranges and all(r.binary and r.msg["id"] == 7 for r in ranges)
    assert sum(len(r.msg["level"]) for r in ranges) == 2000
