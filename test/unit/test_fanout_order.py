"""Issue 12 (100 peers, live p99): what runs on the bridge's loop between a live message's
arrival and its last peer's transmission. The registry's real delivery code on a real asyncio
loop, with channels that send as aiortc's RTCDataChannel does: `send` only queues the data and
schedules the transmission (DTLS, sendto) as a task of its own
(RTCSctpTransport._data_channel_send -> ensure_future(_data_channel_flush))."""

from __future__ import annotations

import asyncio
from typing import Any

from chedweb_bridge import codec
from chedweb_bridge.history import History
from chedweb_bridge.peers import PeerRegistry, StreamInfo


class AiortcLikeChannel:
    readyState = "open"
    bufferedAmount = 0
    protocol = "chedweb.v2"

    def __init__(self, name: str, events: list[str]) -> None:
        self.name = name
        self.events = events
        self.tasks: list[asyncio.Future[None]] = []

    def send(self, frame: str | bytes) -> None:
        self.tasks.append(asyncio.ensure_future(self._flush()))

    async def _flush(self) -> None:
        self.events.append(f"transmit {self.name}")


class RecordingHistory(History):
    def __init__(self, events: list[str]) -> None:
        super().__init__(3600.0)
        self.events = events

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.events.append("history")
        super().add(*args, **kwargs)


def test_history_and_then_run_after_every_peers_transmission_of_the_message() -> None:
    """The history's add (~1 ms on the loop) and the store's (`then`, from the node) ran before
    the transmissions: every peer waited for the first, and the store's thread took the GIL from
    the loop during the fan-out and delayed the last peers."""
    events: list[str] = []

    async def run() -> None:
        registry = PeerRegistry(RecordingHistory(events), StreamInfo("robot", "0", ["/diagnostics"]))
        for i in range(3):
            session = registry.new_session(f"198.18.0.2:{i}")
            registry.take_place(session)
            session.channel = AiortcLikeChannel(str(i), events)  # type: ignore[assignment]
            session.state = "live"
        status = {"name": "a", "level": 0, "message": "", "hardware_id": "hw", "values": {"x": "1"}}
        registry.on_diagnostics(codec.LivePayloads(1, "/diagnostics", 1.0, [status]), 1.0,
                                then=lambda: events.append("then"))
        for _ in range(3):
            await asyncio.sleep(0)
        await registry.close_all()

    asyncio.run(run())
    assert events == ["transmit 0", "transmit 1", "transmit 2", "history", "then"]


def test_a_snapshot_started_before_the_history_add_still_holds_the_message() -> None:
    """A peer whose snapshot starts between a message's sends and its history add is neither sent
    that message (it was not live) nor holds it (its snapshot is as of `seq`): the snapshot must
    see it in the history."""
    async def run() -> tuple[int, bool]:
        registry = PeerRegistry(History(3600.0), StreamInfo("robot", "0", ["/diagnostics"]))
        status = {"name": "s", "level": 0, "message": "", "hardware_id": "hw", "values": {"x": "1"}}
        registry.on_diagnostics(codec.LivePayloads(1, "/diagnostics", 1.0, [status]), 1.0)
        job = registry._snapshot(2, codec.MAX_MESSAGE_BYTES, False)  # before the loop ran again
        parts = await job.parts
        await registry.close_all()
        return job.seq, any('"s"' in str(p) for p in parts)

    seq, has_status = asyncio.run(run())
    assert seq == 1 and has_status


def test_then_runs_with_no_peer_too() -> None:
    """The store gets every array, whether or not anybody watches."""
    ran: list[int] = []

    async def run() -> None:
        registry = PeerRegistry(History(3600.0), StreamInfo("robot", "0", ["/diagnostics"]))
        status = {"name": "a", "level": 0, "message": "", "hardware_id": "hw", "values": {}}
        for seq in (1, 2):
            registry.on_diagnostics(codec.LivePayloads(seq, "/diagnostics", 1.0, [status]), 1.0,
                                    then=lambda seq=seq: ran.append(seq))  # type: ignore[misc]
        await asyncio.sleep(0)
        await registry.close_all()

    asyncio.run(run())
    assert ran == [1, 2]


class FailingHistory(History):
    def add(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError("history add failed")


def test_then_runs_even_when_the_history_add_fails() -> None:
    """The store's copy of an array does not depend on the in-memory history's add succeeding."""
    ran: list[int] = []

    async def run() -> None:
        loop = asyncio.get_running_loop()
        errors: list[object] = []
        loop.set_exception_handler(lambda _loop, context: errors.append(context.get("exception")))
        registry = PeerRegistry(FailingHistory(3600.0), StreamInfo("robot", "0", ["/diagnostics"]))
        status = {"name": "a", "level": 0, "message": "", "hardware_id": "hw", "values": {}}
        registry.on_diagnostics(codec.LivePayloads(1, "/diagnostics", 1.0, [status]), 1.0,
                                then=lambda: ran.append(1))
        await asyncio.sleep(0)
        await registry.close_all()
        assert len(errors) == 1  # the failure is still reported (asyncio's handler logs it)

    asyncio.run(run())
    assert ran == [1]
