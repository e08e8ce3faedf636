"""Range queries on the DataChannel (capability "query") against a real bridge and publisher."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient

pytestmark = [pytest.mark.webrtc, pytest.mark.ros, pytest.mark.timeout(180)]

NAME = "query: status 0"


def test_a_v2_page_queries_a_range_and_a_bad_query_gets_only_an_error() -> None:
    bridge = Bridge("webrtc_bridge-query")
    pub = PublisherProcess("--name-prefix", "query", "--statuses", "2", wait_subscribers=0)
    try:
        bridge.take_from(pub)
        start = time.time()
        pub.burst(30, rate=10.0)
        end = time.time() + 1

        async def run() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], int]:
            client = BridgeClient(bridge.url)
            await client.connect()
            try:
                hello = client.of_type("hello")[0].msg
                assert client.channel is not None
                query = {"type": "query", "id": 11, "hardware_id": "test-host", "name": NAME,
                         "from": start - 5, "to": end, "points": 50}
                client.channel.send(json.dumps(query))
                await client.wait_for(lambda ms: any(m.msg.get("type") == "range" for m in ms))
                await asyncio.sleep(0.5)
                ranges = [m.msg for m in client.of_type("range")]
                before = len(client.messages)
                client.channel.send(json.dumps({**query, "id": 12, "points": 0}))
                await client.wait_for(lambda ms: any(m.msg.get("type") == "error" for m in ms))
                await asyncio.sleep(0.5)
                errors = [m.msg for m in client.of_type("error")]
                others = [m.msg["type"] for m in client.messages[before:] if m.msg["type"] not in
                          ("error", "diagnostics", "alert_state")]
                return hello, ranges, errors, len(others)
            finally:
                await client.close()

        hello, ranges, errors, others = asyncio.run(run())
    finally:
        pub.stop()
        assert bridge.stop() == 0

    assert "query" in hello["capabilities"]
    assert {r["id"] for r in ranges} == {11} and sum(len(r["level"]) for r in ranges) == 50
    values = [v for r in ranges for v in r["values"]["value"]["avg"] if v is not None]
    assert len(values) >= 3  # 3 s of 10 Hz data in 1.4 s points
    assert ranges[0]["tier"] == "raw" and ranges[0]["name"] == NAME
    assert errors == [{"type": "error", "id": 12, "message": "'points' must be an integer 1..5000"}]
    assert others == 0  # a bad query gets its error and nothing else
