"""Capability "interest" (docs/protocol.md, "Interest") end to end: a real publisher, the real
bridge, and aiortc clients that declare what their page shows, beside clients that do not and a
version-1 client. A peer with an interest gets every status but values only for the union of the
declared interests; a peer without one gets every value; a peer that leaves takes its interest
out of the union; a bad request is refused and changes nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(180)]

HOST = "test-host"  # the test publisher's hardware_id
PREFIX = "interest"
STATUSES = 4


def name(i: int) -> str:
    return f"{PREFIX}: status {i}"


def key(i: int) -> dict[str, str]:
    return {"hardware_id": HOST, "name": name(i)}


async def request(client: BridgeClient, body: dict[str, Any] | str, rid: int) -> dict[str, Any]:
    assert client.channel is not None
    client.channel.send(body if isinstance(body, str) else json.dumps(body))
    await client.wait_for(lambda ms: any(m.msg.get("id") == rid and m.msg["type"] in ("interest_ok", "error")
                                         for m in ms), timeout=5)
    return next(m.msg for m in client.messages
                if m.msg.get("id") == rid and m.msg["type"] in ("interest_ok", "error"))


def live_after(client: BridgeClient, seq: int) -> list[dict[str, Any]]:
    return [m.msg for m in client.messages if m.msg["type"] == "diagnostics" and m.msg["seq"] > seq]


def with_values(msg: dict[str, Any]) -> set[str]:
    """The names of the statuses that came with `values` in one live message."""
    return {s["name"] for s in msg["statuses"] if "values" in s}


async def burst(pub: PublisherProcess, clients: list[BridgeClient], n: int = 5) -> int:
    """Publishes n arrays and waits until every client has a live message of the last one;
    returns the seq of the last live message any client had before the burst."""
    before = max((m["seq"] for c in clients for m in live_after(c, 0)), default=0)
    await asyncio.to_thread(pub.burst, n, 20)
    for c in clients:
        await c.wait_for(lambda _, c=c: len(live_after(c, before)) >= n, timeout=15)  # type: ignore[misc]
    return before


def test_interest_limits_values_to_the_union_and_others_are_untouched(bridge: Bridge) -> None:
    pub = PublisherProcess("--name-prefix", PREFIX, "--statuses", str(STATUSES), wait_subscribers=1)
    try:
        bridge.take_from(pub)

        async def run() -> None:
            a = BridgeClient(bridge.url)
            b = BridgeClient(bridge.url, compression=["deflate-raw"])
            full = BridgeClient(bridge.url)
            v1 = BridgeClient(bridge.url, protocol="")
            clients = [a, b, full, v1]
            await asyncio.gather(*(c.connect() for c in clients))
            assert "interest" in a.of_type("hello")[0].msg["capabilities"]
            assert "capabilities" not in v1.of_type("hello")[0].msg
            # The first interest: this peer has had every value so far, so no `latest` comes with it.
            assert await request(a, {"type": "interest", "id": 1, "statuses": [key(1)]}, 1) == \
                {"type": "interest_ok", "id": 1, "statuses": 1, "latest": []}
            # A repeated status counts once.
            repeated = await request(b, {"type": "interest", "id": 2, "statuses": [key(2), key(2)]}, 2)
            assert repeated["statuses"] == 1

            before = await burst(pub, clients)
            every = {name(i) for i in range(STATUSES)}
            for msg in live_after(a, before) + live_after(b, before):
                assert {s["name"] for s in msg["statuses"]} == every  # every level and message
                assert with_values(msg) == {name(1), name(2)}  # values: the union only
                assert all(s["message"].startswith("message ") for s in msg["statuses"])
            for client in (full, v1):  # no interest declared, or a version-1 page: every value
                msgs = live_after(client, before)
                assert msgs and all(with_values(m) == every for m in msgs)
            assert all(m.binary for m in b.messages if m.msg["type"] == "diagnostics")

            # b leaves: its status leaves the union, and a gets values for its own only.
            await b.close()
            await asyncio.sleep(1.0)
            before = await burst(pub, [a, full, v1])
            assert live_after(a, before) and all(with_values(m) == {name(1)} for m in live_after(a, before))
            assert all(with_values(m) == every for m in live_after(full, before))

            # An empty interest: every status, no values at all; an interest can grow again.
            assert (await request(a, {"type": "interest", "id": 3, "statuses": []}, 3))["statuses"] == 0
            before = await burst(pub, [a])
            assert all(with_values(m) == set() and len(m["statuses"]) == STATUSES
                       for m in live_after(a, before))
            # Statuses new to an interest come with the reply as the bridge last received them.
            grown = await request(a, {"type": "interest", "id": 4, "statuses": [key(0), key(3)]}, 4)
            assert [s["name"] for s in grown["latest"]] == [name(0), name(3)]
            newest = live_after(a, 0)[-1]["statuses"][0]["message"]  # "message <pub index>"
            assert all(s["message"] == newest and s["values"]["pub index"] == newest.split()[-1]
                       for s in grown["latest"])
            before = await burst(pub, [a])
            assert all(with_values(m) == {name(0), name(3)} for m in live_after(a, before))
            await asyncio.gather(*(c.close() for c in (a, full, v1)))

        asyncio.run(run())
    finally:
        pub.stop()


BAD_REQUESTS: list[tuple[Any, str]] = [
    ({"type": "interest", "id": 10}, "'statuses' must be a list"),
    ({"type": "interest", "id": 11, "statuses": "all"}, "'statuses' must be a list"),
    ({"type": "interest", "id": 12, "statuses": [key(0)] * 1025}, "at most 1024 statuses"),
    ({"type": "interest", "id": 13, "statuses": [key(0), {"hardware_id": HOST}]}, "statuses[1] must be"),
    ({"type": "interest", "id": 14, "statuses": [{"hardware_id": HOST, "name": 7}]}, "statuses[0] must be"),
    ({"type": "interest", "id": 15, "statuses": [{"hardware_id": "h" * 1025, "name": "n"}]},
     "statuses[0] must be"),
    ({"type": "interest", "id": 16, "statuses": ["x"]}, "statuses[0] must be"),
]


def test_bad_interest_requests_are_refused_and_change_nothing(bridge: Bridge) -> None:
    pub = PublisherProcess("--name-prefix", PREFIX, "--statuses", str(STATUSES), wait_subscribers=1)
    try:
        bridge.take_from(pub)

        async def run() -> None:
            lean = BridgeClient(bridge.url)
            full = BridgeClient(bridge.url)
            await asyncio.gather(lean.connect(), full.connect())
            await request(lean, {"type": "interest", "id": 1, "statuses": [key(1)]}, 1)
            for body, reason in BAD_REQUESTS:
                rid = body["id"]
                for client in (lean, full):
                    refused = await request(client, body, rid)
                    assert refused["type"] == "error" and reason in refused["message"], refused
                    await asyncio.sleep(0.25)  # within the request rate limit (5 a second)
            # Above 64 KiB: refused before parsing (no id can be read).
            assert full.channel is not None
            full.channel.send(json.dumps({"type": "interest", "id": 20, "statuses": [key(0)] * 2000}))
            await full.wait_for(lambda ms: any(m.msg.get("id") == -1 for m in ms), timeout=5)
            too_large = next(m.msg["message"] for m in full.messages if m.msg.get("id") == -1)
            assert "above 65536 bytes" in too_large
            # Nothing changed: `lean` still gets its own status's values only, `full` every value.
            before = await burst(pub, [lean, full])
            assert all(with_values(m) == {name(1)} for m in live_after(lean, before))
            every = {name(i) for i in range(STATUSES)}
            assert live_after(full, before) and all(with_values(m) == every for m in live_after(full, before))
            await asyncio.gather(lean.close(), full.close())

        asyncio.run(run())
    finally:
        pub.stop()
