"""Issue 12: a /ws handler thread sleeps until something happens (a frame, the socket's end, the
offer deadline, the peer closing) instead of waking every 0.2 s to look.

serve_socket runs on a real LoopThread with the real PeerRegistry's sessions and close_session
(only the offer's answer is made up, so no aiortc connection is needed), over a socket that waits
exactly as simple_websocket's `receive` does: on its `event`, returning None when a wait returns
False. Each `receive` call is recorded with its timeout: every call is one wake-up of the thread.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence

from simple_websocket import ConnectionClosed

from chedweb_bridge.history import History
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.peers import PeerRegistry, Session, StreamInfo
from chedweb_bridge.signaling import CLOSE_NORMAL, Pending, Settings, SocketEvent, serve_socket


class Socket:
    """simple_websocket's Server as serve_socket uses it; `receive` is simple_websocket 1.1's."""

    def __init__(self) -> None:
        self.event = SocketEvent()
        self.input_buffer: list[str] = []
        self.connected = True
        self.sent: list[str] = []
        self.closed_with: tuple[int, str] | None = None
        self.waits: list[float | None] = []

    def push(self, frame: str) -> None:  # what the reader thread does with a frame
        self.input_buffer.append(frame)
        self.event.set()

    def receive(self, timeout: float | None = None) -> str | None:
        self.waits.append(timeout)
        while self.connected and not self.input_buffer:
            if not self.event.wait(timeout=timeout):
                return None
            self.event.clear()
        if self.input_buffer:
            return self.input_buffer.pop(0)
        raise ConnectionClosed(1000, "closed")

    def send(self, text: str) -> None:
        self.sent.append(text)

    def close(self, reason: int, message: str) -> None:
        self.closed_with = (reason, message)
        self.connected = False


class AnsweringRegistry(PeerRegistry):
    async def accept_offer(self, session: Session, sdp: str, compression: Sequence[str] = ()) -> str:
        self.take_place(session)
        return "v=0 (answer)"


def _serve(ws: Socket, registry: PeerRegistry, loop: LoopThread, settings: Settings) -> threading.Thread:
    environ = {"REMOTE_ADDR": "198.18.0.2", "REMOTE_PORT": 40000, "HTTP_HOST": "198.18.0.1:8080"}
    thread = threading.Thread(target=serve_socket, daemon=True,
                              args=(ws, environ, {}, loop, registry, settings, Pending(8, 4),
                                    lambda level, text: None))
    thread.start()
    return thread


def _wait(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_answered_socket_sleeps_until_its_peer_closes_then_closes_at_once() -> None:
    loop = LoopThread()
    loop.start()
    try:
        registry = AnsweringRegistry(History(60.0), StreamInfo("robot", "0", ["/diagnostics"]))
        ws = Socket()
        thread = _serve(ws, registry, loop, Settings(offer_deadline=30.0))
        ws.push(json.dumps({"type": "offer", "sdp": "v=0 (offer)"}))
        _wait(lambda: any('"answer"' in text for text in ws.sent))
        _wait(lambda: len(ws.waits) >= 2)  # the wait after the answer has begun
        time.sleep(0.6)
        # Before the offer: one wait, bounded by the offer deadline; after: one wait, unbounded.
        # (A handler polling every 0.2 s would have woken three more times by now.)
        assert len(ws.waits) == 2, ws.waits
        assert ws.waits[0] is not None and ws.waits[0] > 29.0, ws.waits
        assert ws.waits[1] is None, ws.waits

        session = next(iter(registry._sessions.values()))
        loop.call_soon(registry.close_session, session, "connection failed")
        thread.join(5.0)
        assert not thread.is_alive()
        assert ws.closed_with == (CLOSE_NORMAL, "peer closed")
        assert len(ws.waits) == 2, ws.waits
    finally:
        loop.stop()


def test_socket_without_offer_wakes_once_at_its_deadline() -> None:
    loop = LoopThread()
    loop.start()
    try:
        registry = AnsweringRegistry(History(60.0), StreamInfo("robot", "0", ["/diagnostics"]))
        ws = Socket()
        thread = _serve(ws, registry, loop, Settings(offer_deadline=0.5))
        thread.join(10.0)
        assert not thread.is_alive()
        assert ws.closed_with is not None and ws.closed_with[1] == "no offer within 0.5 s", ws.closed_with
        assert len(ws.waits) == 1, ws.waits  # slept through to the deadline, no wake-up between
    finally:
        loop.stop()
