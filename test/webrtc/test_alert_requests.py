"""Alert requests over the DataChannel (docs/protocol.md "Requests"), with aiortc clients against the
real bridge: replies by id, the new state to every version-2 peer and none to a version-1 peer,
the token, bad requests, and the per-peer rate limit."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.webrtc_client import BridgeClient

pytestmark = [pytest.mark.webrtc, pytest.mark.timeout(120)]

TOKEN = "alert-token"


@pytest.fixture(scope="module")
def token_bridge() -> Iterator[Bridge]:
    b = Bridge("webrtc_bridge-alerts", {"auth_token": TOKEN})
    yield b
    assert b.stop() == 0, b.node.output()


def reply(client: BridgeClient, rid: int) -> dict[str, object]:
    for m in client.messages:
        if m.msg.get("id") == rid and m.msg.get("type") in ("alert_ok", "error"):
            return m.msg
    raise AssertionError(f"no reply {rid}")


async def request(client: BridgeClient, **body: object) -> dict[str, object]:
    assert client.channel is not None
    client.channel.send(json.dumps(body))
    rid = body.get("id", -1)
    await client.wait_for(lambda ms: any(m.msg.get("id") == rid and m.msg.get("type") in ("alert_ok", "error")
                                         for m in ms), timeout=5)
    return reply(client, int(rid))  # type: ignore[call-overload]


def test_requests_reply_by_id_and_reach_every_v2_peer(token_bridge: Bridge) -> None:
    async def run() -> None:
        a = BridgeClient(token_bridge.url, token=TOKEN)
        b = BridgeClient(token_bridge.url, token=TOKEN)
        old = BridgeClient(token_bridge.url, token=TOKEN, protocol="")
        for c in (a, b, old):
            await c.connect()
        # A version-2 peer hears the current state right after hello; a version-1 peer never does.
        await b.wait_for(lambda ms: any(m.msg.get("type") == "alert_state" for m in ms))
        hello = b.of_type("hello")[0].msg
        assert "alerts" in hello["capabilities"] and hello["stale_seconds"] == 5.0
        ok = await request(a, type="alert_ack", id=1, key="status:r\u0000x", level=2, by="ann", token=TOKEN)
        assert ok == {"type": "alert_ok", "id": 1}
        await b.wait_for(lambda ms: any(m.msg.get("type") == "alert_state" and m.msg["acks"] for m in ms))
        state = [m.msg for m in b.of_type("alert_state")][-1]
        assert state["acks"][0]["key"] == "status:r\u0000x" and state["acks"][0]["by"] == "ann"
        # Wrong token (the page's ?token= no longer the bridge's): refused, nothing changes.
        before = len(b.of_type("alert_state"))
        refused = await request(a, type="alert_mute", id=2, key="k", seconds=60, by="ann", token="old")
        assert refused == {"type": "error", "id": 2, "message": "unauthorized"}
        refused = await request(a, type="alert_mute", id=3, key="k", seconds=60, by="ann")
        assert refused["message"] == "unauthorized"
        # Bad requests: an error with the id, and nothing else.
        bad = await request(a, type="alert_mute", id=4, key="k", seconds=0, by="ann", token=TOKEN)
        assert bad["type"] == "error" and "'seconds'" in str(bad["message"])
        bad = await request(a, type="shutdown", id=5, by="ann", token=TOKEN)
        assert bad["type"] == "error" and "unknown request type" in str(bad["message"])
        await asyncio.sleep(0.3)
        assert len(b.of_type("alert_state")) == before
        assert old.of_type("alert_state") == []
        assert all("id" not in m.msg for m in old.messages)
        for c in (a, b, old):
            await c.close()

    asyncio.run(run())


def test_requests_are_rate_limited_per_peer(token_bridge: Bridge) -> None:
    async def run() -> None:
        a = BridgeClient(token_bridge.url, token=TOKEN)
        b = BridgeClient(token_bridge.url, token=TOKEN)
        await a.connect()
        await b.connect()
        assert a.channel is not None
        for i in range(30):
            body = {"type": "alert_unmute", "id": 100 + i, "key": "k", "by": "x", "token": TOKEN}
            a.channel.send(json.dumps(body))
        await a.wait_for(lambda ms: sum(1 for m in ms if m.msg.get("type") in ("alert_ok", "error")) >= 30)
        limited = [m.msg for m in a.messages if m.msg.get("message") == "rate limit exceeded"]
        assert 10 <= len(limited) < 30
        # Another peer's limit is its own.
        other = await request(b, type="alert_unmute", id=1, key="k", by="y", token=TOKEN)
        assert other["type"] == "alert_ok"
        await a.close()
        await b.close()

    asyncio.run(run())
