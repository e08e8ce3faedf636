"""Issue 8 item 1: a peer whose send fails is closed with a reason, never left half-streamed
holding a max_peers place. The registry's real delivery code on a real asyncio loop, with a
channel that refuses its third message as aiortc refuses one above the peer's limit."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from chedweb_bridge import codec
from chedweb_bridge.history import History
from chedweb_bridge.peers import PeerRegistry, Session, StreamInfo


class RefusingChannel:
    readyState = "open"
    bufferedAmount = 0
    protocol = "chedweb.v2"

    def __init__(self, refuse_at: int) -> None:
        self.sent: list[str] = []
        self._refuse_at = refuse_at

    def send(self, text: str) -> None:
        if len(self.sent) + 1 == self._refuse_at:
            raise ValueError("Cannot send message of 300184 bytes, the remote party only supports "
                             "messages up to 262144 bytes")
        self.sent.append(text)


def registry_with_history() -> PeerRegistry:
    history = History(3600.0)
    for i in range(3000):
        history.add(float(i), [{"name": f"s{k}", "level": 0, "message": "", "hardware_id": "hw",
                                "values": {f"k{j}": str(i + j) for j in range(10)}} for k in range(20)])
    return PeerRegistry(history, StreamInfo("robot", "0", ["/diagnostics"]))


def test_failed_snapshot_send_closes_the_peer_with_the_reason() -> None:
    logs: list[tuple[str, str]] = []

    async def run() -> tuple[Session, RefusingChannel]:
        registry = registry_with_history()
        registry.on_log = lambda level, text: logs.append((level, text))
        session = registry.new_session("198.18.0.2:1")
        registry.take_place(session)
        channel = RefusingChannel(refuse_at=3)  # hello and one part go, the next is refused
        session.channel = channel  # type: ignore[assignment]
        session.state = "snapshot"
        await registry._stream(session, channel)  # type: ignore[arg-type]
        assert registry.peer_count == 0  # its place is free again
        await registry.close_all()
        return session, channel

    session, channel = asyncio.run(run())
    assert session.state == "closed" and session.closed.is_set()
    assert len(channel.sent) == 2
    assert any("closed (snapshot not sent: Cannot send message" in text for _, text in logs), logs


def test_failed_live_send_closes_only_that_peer() -> None:
    async def run() -> list[Any]:
        registry = PeerRegistry(History(3600.0), StreamInfo("robot", "0", ["/diagnostics"]))
        sessions = [registry.new_session(f"198.18.0.2:{i}") for i in range(2)]
        for s in sessions:
            registry.take_place(s)
        channels = [RefusingChannel(refuse_at=1), RefusingChannel(refuse_at=0)]
        for s, c in zip(sessions, channels, strict=True):
            assert s is not None
            s.channel, s.state = c, "live"  # type: ignore[assignment]
        status = {"name": "a", "level": 0, "message": "", "hardware_id": "hw", "values": {}}
        registry.on_diagnostics(codec.LivePayloads(1, "/diagnostics", 1.0, [status]), 1.0)
        out = [s.state if s else None for s in sessions] + [len(channels[1].sent), registry.peer_count]
        await registry.close_all()
        return out

    assert asyncio.run(run()) == ["closed", "live", 1, 1]


def test_peers_connecting_within_a_second_share_one_snapshot_and_get_what_came_after() -> None:
    """Issue 8 item 12: each new peer used to cost a full history copy and encoding on the loop."""
    async def run() -> tuple[int, list[RefusingChannel]]:
        registry = registry_with_history()
        copies = 0
        real_copy = registry.history.snapshot_copy

        def counting_copy() -> Any:
            nonlocal copies
            copies += 1
            return real_copy()

        registry.history.snapshot_copy = counting_copy  # type: ignore[method-assign]
        status = {"name": "s0", "level": 0, "message": "", "hardware_id": "hw", "values": {"k0": "1"}}
        channels = []
        for i in range(3):
            payloads = codec.LivePayloads(10 + i, "/diagnostics", 5000.0 + i, [status])
            registry.on_diagnostics(payloads, 5000.0 + i)
            session = registry.new_session(f"198.18.0.2:{i}")
            registry.take_place(session)
            channel = RefusingChannel(refuse_at=0)
            session.channel, session.state = channel, "snapshot"  # type: ignore[assignment]
            channels.append(channel)
            await registry._stream(session, channel)  # type: ignore[arg-type]
        await registry.close_all()
        return copies, channels

    copies, channels = asyncio.run(run())
    assert copies == 1
    for channel in channels:
        msgs = [json.loads(t) for t in channel.sent]
        assert msgs[0]["type"] == "hello" and msgs[0]["seq"] == 10  # the shared snapshot's seq
        live = [m["seq"] for m in msgs if m["type"] == "diagnostics"]
        # Replayed (later peers) or live (earlier ones): nothing missed, nothing twice.
        assert live == [11, 12]
        parts = msgs[1:len(msgs) - len(live)]
        assert parts and all(m["type"] == "snapshot" for m in parts)
