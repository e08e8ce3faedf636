"""The level-change log on the DataChannel (capability "levels") against a real bridge and publisher."""

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

NAME = "levels: status 0"


def test_a_v2_page_reads_a_status_level_log_and_a_bad_request_gets_only_an_error() -> None:
    bridge = Bridge("webrtc_bridge-levels")
    pub = PublisherProcess("--name-prefix", "levels", "--statuses", "2", "--levels", "2,1",
                           wait_subscribers=0)
    try:
        bridge.take_from(pub)
        start = time.time()
        pub.burst(20, rate=10.0)
        end = time.time() + 1

        async def run() -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], int]:
            client = BridgeClient(bridge.url)
            await client.connect()
            try:
                hello = client.of_type("hello")[0].msg
                assert client.channel is not None
                request = {"type": "levels", "id": 21, "hardware_id": "test-host", "name": NAME,
                           "from": start - 5, "to": end}
                client.channel.send(json.dumps(request))
                await client.wait_for(lambda ms: any(m.msg.get("type") == "levels" for m in ms))
                await asyncio.sleep(0.5)
                answers = [m.msg for m in client.of_type("levels")]
                before = len(client.messages)
                client.channel.send(json.dumps({**request, "id": 22, "to": start - 10}))
                await client.wait_for(lambda ms: any(m.msg.get("type") == "error" for m in ms))
                await asyncio.sleep(0.5)
                errors = [m.msg for m in client.of_type("error")]
                others = [m.msg["type"] for m in client.messages[before:] if m.msg["type"] not in
                          ("error", "diagnostics", "alert_state")]
                return hello, answers, errors, len(others)
            finally:
                await client.close()

        hello, answers, errors, others = asyncio.run(run())
    finally:
        pub.stop()
        assert bridge.stop() == 0

    assert "levels" in hello["capabilities"]
    assert [a["id"] for a in answers] == [21] and answers[0]["name"] == NAME
    (change,) = answers[0]["changes"]  # status 0 is always at level 2: its first level only
    assert change["old"] is None and change["new"] == 2 and start - 1 <= change["t"] <= end
    assert answers[0]["truncated"] is False
    assert errors == [{"type": "error", "id": 22,
                       "message": "'from' must be before 'to', at most 400 days apart"}]
    assert others == 0  # a bad request gets its error and nothing else
