"""Snapshot pacing on aiortc's "bufferedamountlow" event (issue 12): the registry's real delivery
code and aiortc's real RTCDataChannel (its bufferedAmount and event), over a transport that keeps
what is sent until the test lets it out, as SCTP does until the peer acknowledges it."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCDataChannel
from aiortc.rtcdatachannel import RTCDataChannelParameters

from chedweb_bridge.history import History
from chedweb_bridge.peers import SNAPSHOT_PACE_LIMIT, PeerRegistry, Session, StreamInfo


class HeldTransport:
    """What RTCDataChannel needs of RTCSctpTransport: sends are held (counted in the channel's
    bufferedAmount, as aiortc counts them) until `release` hands them on."""

    def __init__(self) -> None:
        self.held: list[bytes] = []
        self.sent: list[str | bytes] = []
        # The channel's bufferedAmount at each send, before the message was added to it.
        self.buffered_at_send: list[int] = []

    def _data_channel_open(self, channel: RTCDataChannel) -> None:
        pass

    def _data_channel_send(self, channel: RTCDataChannel, data: str | bytes) -> None:
        raw = data.encode() if isinstance(data, str) else data
        self.buffered_at_send.append(channel.bufferedAmount)
        channel._addBufferedAmount(len(raw))
        self.held.append(raw)
        self.sent.append(data)

    def _data_channel_close(self, channel: RTCDataChannel) -> None:
        channel._setReadyState("closed")

    def release(self, channel: RTCDataChannel) -> None:
        for raw in self.held:
            channel._addBufferedAmount(-len(raw))
        self.held.clear()


def registry_with_history() -> PeerRegistry:
    history = History(3600.0)
    for i in range(3000):
        history.add(float(i), [{"name": f"s{k}", "level": 0, "message": "", "hardware_id": "hw",
                                "values": {f"k{j}": str(i + j) for j in range(10)}} for k in range(20)])
    return PeerRegistry(history, StreamInfo("robot", "0", ["/diagnostics"]))


def open_channel() -> tuple[RTCDataChannel, HeldTransport]:
    transport = HeldTransport()
    parameters = RTCDataChannelParameters(label="chedweb", protocol="chedweb.v2")
    channel = RTCDataChannel(transport, parameters)  # type: ignore[arg-type]
    channel._setReadyState("open")
    return channel, transport


async def _turns(n: int = 5) -> None:
    """Lets the loop run ready callbacks, with no time passing for a timer."""
    for _ in range(n):
        await asyncio.sleep(0)


def test_snapshot_parts_wait_for_room_and_resume_on_the_event_not_a_timer() -> None:
    async def run() -> dict[str, Any]:
        registry = registry_with_history()
        session: Session = registry.new_session("198.18.0.2:1")
        registry.take_place(session)
        channel, transport = open_channel()
        session.channel, session.protocol, session.state = channel, 2, "snapshot"
        stream = asyncio.ensure_future(registry._stream(session, channel))
        while len(transport.sent) < 2 or channel.bufferedAmount <= SNAPSHOT_PACE_LIMIT:
            await asyncio.sleep(0.01)  # the snapshot is encoded in the worker thread
        await asyncio.sleep(0.05)
        stalled = len(transport.sent)  # over the pace limit: nothing more until it drains
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        transport.release(channel)
        await _turns()
        resumed = len(transport.sent)
        resumed_after = loop.time() - t0
        while not stream.done():
            transport.release(channel)
            await _turns()
        state = session.state
        await registry.close_all()
        assert '"alert_state"' in str(transport.sent[-1])  # once live: not paced, as before
        return {"stalled": stalled, "resumed": resumed, "after": resumed_after,
                "at_send": transport.buffered_at_send[:-1], "state": state}

    got = asyncio.run(run())
    assert got["resumed"] > got["stalled"], "the drained buffer did not wake the snapshot at once"
    assert got["after"] < 0.005
    # Paced: no part was sent while the buffer was above the limit.
    assert [b for b in got["at_send"] if b > SNAPSHOT_PACE_LIMIT] == [], got["at_send"]
    assert got["state"] == "live"


def test_a_channel_that_closes_while_waiting_ends_the_wait_at_once() -> None:
    async def run() -> tuple[str, float]:
        registry = registry_with_history()
        session: Session = registry.new_session("198.18.0.2:1")
        registry.take_place(session)
        channel, _ = open_channel()
        channel.on("close", lambda: registry.close_session(session, "data channel closed"))
        session.channel, session.protocol, session.state = channel, 2, "snapshot"
        stream = asyncio.ensure_future(registry._stream(session, channel))
        while channel.bufferedAmount <= SNAPSHOT_PACE_LIMIT:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        channel.close()  # the browser went away with the buffer full
        await asyncio.wait_for(stream, 2.0)
        took = loop.time() - t0
        await registry.close_all()
        return session.state, took

    state, took = asyncio.run(run())
    assert state == "closed" and took < 0.1
