"""Issue 8 items 1-3 and protocol negotiation, end to end: real rclpy publisher processes -> a
real bridge process -> aiortc clients speaking version 1 (no subprotocol, as the last version-1
page) and version 2 ("chedweb.v2", as today's page). Every message a client receives is checked
against the JSON Schema of that client's page (test/contract)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from chedweb_bridge.peers import SNAPSHOT_REUSE_S
from test.contract.schemas import errors
from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient, Received, is_gapless, live_seqs

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(180)]

V1, V2 = "", "chedweb.v2"


@pytest.fixture
def own_bridge(request: pytest.FixtureRequest) -> Iterator[Bridge]:
    """A bridge of this test's own: these tests depend on its history."""
    b = Bridge(f"webrtc_bridge-{request.node.name}")
    yield b
    assert b.stop() == 0, b.node.output()


def valid_for(client: BridgeClient, protocol: int) -> list[str]:
    return [f"{m.msg['type']}: {e}" for m in client.messages for e in errors(json.dumps(m.msg), protocol)]


def snapshot_statuses(messages: list[Received]) -> dict[str, dict[str, Any]]:
    """Snapshot parts merged per status name: t, level, `pub index` (None where absent), latest."""
    out: dict[str, dict[str, Any]] = {}
    for m in messages:
        if m.msg["type"] != "snapshot":
            continue
        for st in m.msg["statuses"]:
            entry = out.setdefault(st["name"], {"t": [], "level": [], "pub index": [], "latest": None})
            entry["t"] += st["t"]
            entry["level"] += st["level"]
            entry["pub index"] += st["values"].get("pub index", [None] * len(st["t"]))
            entry["latest"] = st.get("latest") or entry["latest"]
    return out


def wait_snapshot(client: BridgeClient) -> Any:
    return client.wait_for(lambda m: any(x.msg["type"] == "snapshot" and
                                         x.msg["part"] == x.msg["parts"] - 1 for x in m))


def test_v1_and_v2_pages_each_get_their_version(bridge: Bridge, publisher: PublisherProcess) -> None:
    async def run() -> tuple[BridgeClient, BridgeClient]:
        v1, v2 = BridgeClient(bridge.url, protocol=V1), BridgeClient(bridge.url, protocol=V2)
        await asyncio.gather(v1.connect(), v2.connect())
        await asyncio.gather(wait_snapshot(v1), wait_snapshot(v2))
        last = await asyncio.to_thread(publisher.burst, 10, 20)
        for c in (v1, v2):
            await c.wait_for(lambda m: any(x.msg["type"] == "diagnostics" and
                                           x.msg["statuses"][0]["values"]["pub index"] == str(last)
                                           for x in m))
            await c.close()
        return v1, v2

    v1, v2 = asyncio.run(run())
    assert v1.messages[0].msg["protocol"] == 1 and "capabilities" not in v1.messages[0].msg
    assert v2.messages[0].msg["protocol"] == 2 and "raw_level" in v2.messages[0].msg["capabilities"]
    assert valid_for(v1, 1) == [] and valid_for(v2, 2) == []
    assert is_gapless(live_seqs(v1.messages)) and is_gapless(live_seqs(v2.messages))


def test_levels_outside_0_to_3_are_error_with_raw_value_kept(bridge: Bridge) -> None:
    odd = PublisherProcess("--levels", "0,200,255", "--name-prefix", "odd", wait_subscribers=1)
    try:
        bridge.take_from(odd)
        time.sleep(SNAPSHOT_REUSE_S + 0.5)  # the next snapshot is a new one, holding odd's statuses

        async def run() -> tuple[BridgeClient, BridgeClient]:
            v1, v2 = BridgeClient(bridge.url, protocol=V1), BridgeClient(bridge.url, protocol=V2)
            await asyncio.gather(v1.connect(), v2.connect())
            await asyncio.gather(wait_snapshot(v1), wait_snapshot(v2))
            await asyncio.to_thread(odd.burst, 3, 20)
            for c in (v1, v2):
                await c.wait_for(lambda m: sum(x.msg["type"] == "diagnostics" and
                                               x.msg["statuses"][0]["name"].startswith("odd")
                                               for x in m) >= 3)
                await c.close()
            return v1, v2

        v1, v2 = asyncio.run(run())
    finally:
        odd.stop()
    for client, protocol in ((v1, 1), (v2, 2)):
        assert valid_for(client, protocol) == []
        live = [m.msg for m in client.messages if m.msg["type"] == "diagnostics"
                and m.msg["statuses"][0]["name"].startswith("odd")]
        raw = [(s["level"], s.get("raw_level")) for s in live[-1]["statuses"]]
        want = [(0, None), (2, 200), (2, 255)] if protocol == 2 else [(0, None), (2, None), (2, None)]
        assert raw == want
        # ... and the snapshot a new page gets holds them the same way.
        latest = snapshot_statuses(client.messages)["odd: status 1"]["latest"]
        assert (latest["level"], latest.get("raw_level")) == ((2, 200) if protocol == 2 else (2, None))


def test_oversized_status_is_truncated_live_and_in_snapshot_no_peer_closed(own_bridge: Bridge) -> None:
    """Issue 8 item 1: one status larger than a peer's max-message-size used to close every peer
    ("Cannot send message of 300184 bytes ...") and leave later ones half-streamed."""
    small = PublisherProcess("--name-prefix", "small", wait_subscribers=1)
    huge = PublisherProcess("--statuses", "1", "--message-chars", "300000", "--name-prefix", "huge",
                            wait_subscribers=1)
    try:
        own_bridge.take_from(small)

        async def run() -> tuple[BridgeClient, BridgeClient, BridgeClient]:
            before = BridgeClient(own_bridge.url)
            await before.connect()
            await wait_snapshot(before)
            await asyncio.to_thread(own_bridge.take_from, huge)  # matched: nothing lost to discovery
            await before.wait_for(lambda m: any(x.msg["type"] == "diagnostics" and
                                                x.msg["statuses"][0]["name"].startswith("huge") for x in m))
            # Past the snapshot-reuse window (peers.SNAPSHOT_REUSE_S), so the next peers' snapshot
            # is made after the huge status and holds it, rather than replaying it as live.
            await asyncio.sleep(SNAPSHOT_REUSE_S + 0.5)
            after, after_v1 = BridgeClient(own_bridge.url), BridgeClient(own_bridge.url, protocol=V1)
            await asyncio.gather(after.connect(), after_v1.connect())
            await asyncio.gather(wait_snapshot(after), wait_snapshot(after_v1))
            last = await asyncio.to_thread(small.burst, 5, 20)
            for c in (before, after, after_v1):
                await c.wait_for(lambda m: any(x.msg["type"] == "diagnostics" and
                                               x.msg["statuses"][0]["values"].get("pub index") == str(last)
                                               for x in m))
            assert own_bridge.health()["peers"] == 3  # nobody was closed
            for c in (before, after, after_v1):
                await c.close()
            return before, after, after_v1

        before, after, after_v1 = asyncio.run(run())
    finally:
        small.stop()
        huge.stop()
    for client, protocol in ((before, 2), (after, 2), (after_v1, 1)):
        assert all(m.size <= 65536 for m in client.messages)
        assert valid_for(client, protocol) == []
    live = [m.msg["statuses"][0] for m in before.messages if m.msg["type"] == "diagnostics"
            and m.msg["statuses"][0]["name"].startswith("huge")]
    assert live[0]["truncated"] is True and live[0]["message"].endswith("…[truncated]")
    latest = snapshot_statuses(after.messages)["huge: status 0"]["latest"]
    assert latest["truncated"] is True
    assert latest["message"] == live[-1]["message"]  # cut the same way live and in the snapshot
    assert "truncated" not in snapshot_statuses(after_v1.messages)["huge: status 0"]["latest"]
    log = own_bridge.node.output()
    assert "send failed" not in log and "snapshot not sent" not in log, log


def test_history_kept_by_receive_clock_whatever_the_stamps(own_bridge: Bridge) -> None:
    """Issue 8 item 2: one array stamped in the year 2100 deleted every other status's history,
    and a sim-time publisher (stamps near 100 s) never kept any."""
    wall = PublisherProcess("--name-prefix", "wall", wait_subscribers=1)
    future = PublisherProcess("--statuses", "1", "--name-prefix", "future",
                              "--stamp-offset", str(2_500_000_000 - time.time()), wait_subscribers=1)
    sim = PublisherProcess("--statuses", "1", "--name-prefix", "sim",
                           "--stamp-offset", str(100 - time.time()), wait_subscribers=1)
    try:
        for p in (wall, future, sim):
            own_bridge.take_from(p)
        wall_first = wall.burst(20, 50) - 19
        sim_last = sim.burst(20, 50)
        future.burst(1, 1)
        wall_last = wall.burst(5, 50)
        deadline = time.monotonic() + 10
        while own_bridge.health()["stamps_replaced"] < 21 and time.monotonic() < deadline:
            time.sleep(0.1)

        async def run() -> BridgeClient:
            # Version 1: its snapshot is the memory history (a version-2 peer of a bridge with a
            # durable store gets the store's overview, a point a minute).
            client = BridgeClient(own_bridge.url, protocol="")
            await client.connect()
            await wait_snapshot(client)
            await client.close()
            return client

        client = asyncio.run(run())
    finally:
        for p in (wall, future, sim):
            p.stop()
    snap = snapshot_statuses(client.messages)
    now = time.time()
    # Every sample kept, as its bucket's points (two a 24 s bucket: a bucket's minimum and
    # maximum of `pub index` are its first and last sample's): from the first burst on, to the last.
    wall_kept = [int(v) for v in snap["wall: status 0"]["pub index"] if v is not None]
    assert min(wall_kept) <= wall_first and max(wall_kept) == wall_kept[-1] == wall_last, wall_kept
    sim_kept = [int(v) for v in snap["sim: status 0"]["pub index"] if v is not None]
    assert min(sim_kept) <= sim_last - 19 and max(sim_kept) == sim_kept[-1] == sim_last, sim_kept
    assert len(snap["future: status 0"]["t"]) >= 1
    # Replaced stamps are receive times: every time on one axis, near now.
    assert all(abs(now - t) < 60 for s in snap.values() for t in s["t"])
    assert own_bridge.health()["stamps_replaced"] >= 21  # the sim-time ones and the year-2100 one
