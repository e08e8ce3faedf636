"""Acknowledgements and mutes outlive a bridge restart, and an acknowledgement ends when its
status changes level (issue 11 item 4): against real bridge processes with aiortc clients. One
browser acknowledges and mutes; the bridge is killed (-9) and started again on the same history
file; a new browser sees the same acknowledgement and mute, with who and when. A corrupt file
then costs the kept state, never the bridge; with memory-only history nothing is kept (as
before)."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.webrtc_client import BridgeClient

pytestmark = [pytest.mark.webrtc, pytest.mark.timeout(180)]

TOKEN = "restart-token"
MOTOR = "status:robot\u0000motor"
FAN = "status:robot\u0000fan"


async def _request(client: BridgeClient, **body: object) -> dict[str, Any]:
    assert client.channel is not None
    client.channel.send(json.dumps(body))
    await client.wait_for(lambda ms: any(m.msg.get("id") == body["id"] for m in ms), timeout=5)
    return next(m.msg for m in client.messages if m.msg.get("id") == body["id"])


async def _state(bridge: Bridge) -> dict[str, Any]:
    """The alert_state a new browser gets from `bridge`."""
    client = BridgeClient(bridge.url, token=TOKEN)
    await client.connect()
    await client.wait_for(lambda ms: any(m.msg.get("type") == "alert_state" for m in ms))
    state = client.of_type("alert_state")[0].msg
    await client.close()
    return state


def _kept_rows(path: Path, timeout: float = 10.0) -> int:
    """Waits until the store's thread has written both records (read from the file, as another
    process would), so that the kill -9 comes after the write, not before it."""
    deadline = time.monotonic() + timeout
    rows = 0
    while time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
                rows = conn.execute("SELECT COUNT(*) FROM alert_state").fetchone()[0]
        except sqlite3.Error:
            rows = 0  # the table is not there yet
        if rows >= 2:
            return rows
        time.sleep(0.1)
    return rows


def test_an_ack_and_a_mute_survive_kill_9_with_who_and_when(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    params = {"history_path": str(path), "auth_token": TOKEN}
    first = Bridge("webrtc_bridge-alert-restart-1", params)
    try:
        async def act() -> dict[str, Any]:
            ann = BridgeClient(first.url, token=TOKEN)
            await ann.connect()
            assert (await _request(ann, type="alert_ack", id=1, key=MOTOR, level=2, by="ann",
                                   token=TOKEN))["type"] == "alert_ok"
            assert (await _request(ann, type="alert_mute", id=2, key=FAN, seconds=3600, by="bob",
                                   token=TOKEN))["type"] == "alert_ok"
            await ann.wait_for(lambda ms: any(m.msg.get("type") == "alert_state" and m.msg["mutes"]
                                              for m in ms))
            state = [m.msg for m in ann.of_type("alert_state")][-1]
            await ann.close()
            return state

        before = asyncio.run(act())
        assert _kept_rows(path) == 2
    finally:
        first.stop(signal.SIGKILL)

    second = Bridge("webrtc_bridge-alert-restart-2", params)
    try:
        after = asyncio.run(_state(second))
    finally:
        second.stop(signal.SIGKILL)
    assert after["acks"] == before["acks"] and after["mutes"] == before["mutes"]
    ack, mute = after["acks"][0], after["mutes"][0]
    assert (ack["key"], ack["level"], ack["by"]) == (MOTOR, 2, "ann")
    assert (mute["key"], mute["by"]) == (FAN, "bob") and mute["until"] == pytest.approx(mute["at"] + 3600)

    # A corrupt file: set aside, the bridge starts and serves with an empty state.
    path.write_bytes(b"not a database" * 4096)
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    third = Bridge("webrtc_bridge-alert-restart-3", params)
    try:
        fresh = asyncio.run(_state(third))
        assert third.health()["history"]["state"] == "ok"
    finally:
        assert third.stop() == 0, third.node.output()
    assert fresh["acks"] == [] and fresh["mutes"] == []
    assert list(tmp_path.glob("history.sqlite3.corrupt-*"))


def test_memory_only_history_keeps_no_alert_state_across_a_restart() -> None:
    params = {"history_path": "", "auth_token": TOKEN}
    first = Bridge("webrtc_bridge-alert-memory-1", params)
    try:
        async def act() -> None:
            ann = BridgeClient(first.url, token=TOKEN)
            await ann.connect()
            assert (await _request(ann, type="alert_ack", id=1, key=MOTOR, level=2, by="ann",
                                   token=TOKEN))["type"] == "alert_ok"
            await ann.close()

        asyncio.run(act())
        time.sleep(0.5)
    finally:
        first.stop(signal.SIGKILL)
    second = Bridge("webrtc_bridge-alert-memory-2", params)
    try:
        state = asyncio.run(_state(second))
    finally:
        assert second.stop() == 0, second.node.output()
    assert state["acks"] == [] and state["mutes"] == []


def test_an_ack_ends_when_its_status_changes_level_and_stays_ended_after_a_restart(tmp_path: Path) -> None:
    """ERROR, acknowledged; OK; ERROR again is a new alert: the bridge drops the acknowledgement
    when the status leaves the level it was given at, tells every browser, and keeps that."""
    from test.helpers.ros_publisher import PublisherProcess

    key = "status:test-host\u0000ackchg: status 0"
    params = {"history_path": str(tmp_path / "history.sqlite3"), "auth_token": TOKEN}
    one = ("--statuses", "1", "--name-prefix", "ackchg")
    error = PublisherProcess(*one, "--levels", "2", wait_subscribers=0)
    ok = PublisherProcess(*one, "--levels", "0", wait_subscribers=0)
    bridge = Bridge("webrtc_bridge-alert-level", params)
    try:
        bridge.take_from(error)

        async def run() -> None:
            ann = BridgeClient(bridge.url, token=TOKEN)
            await ann.connect()
            assert (await _request(ann, type="alert_ack", id=1, key=key, level=2, by="ann",
                                   token=TOKEN))["type"] == "alert_ok"
            await ann.wait_for(lambda ms: any(m.msg.get("type") == "alert_state" and m.msg["acks"]
                                              for m in ms))
            # More of the same level: the acknowledgement holds.
            error.burst(5, 20.0)
            await asyncio.sleep(1.0)
            assert [a["key"] for a in ann.of_type("alert_state")[-1].msg["acks"]] == [key]
            # The status goes OK: the acknowledgement ends, and the browser hears it.
            seen = len(ann.of_type("alert_state"))
            bridge.take_from(ok)
            await ann.wait_for(lambda ms: len(ann.of_type("alert_state")) > seen, timeout=10)
            assert ann.of_type("alert_state")[-1].msg["acks"] == []
            # Back to ERROR: a new alert, not acknowledged.
            error.burst(5, 20.0)
            await asyncio.sleep(1.0)
            assert ann.of_type("alert_state")[-1].msg["acks"] == []
            await ann.close()

        asyncio.run(run())
        time.sleep(0.5)  # the store's thread writes the state (a few ms)
    finally:
        bridge.stop(signal.SIGKILL)
        error.stop()
        ok.stop()
    again = Bridge("webrtc_bridge-alert-level-2", params)
    try:
        assert asyncio.run(_state(again))["acks"] == []
    finally:
        assert again.stop() == 0, again.node.output()
