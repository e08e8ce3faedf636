"""One browser's /ws WebSocket, run in its WSGI handler thread (docs/protocol.md, Signaling).

This thread never touches aiortc: it reaches the peer registry only through the loop thread
(`LoopThread.run` with a timeout for the offer, `call_soon` for candidates and closing).
The socket stays open for the life of the peer: closing it closes the peer at once, and the
peer closing (`Session.closed`) closes the socket at once too. The thread sleeps until something
happens: a frame, the socket closing, the offer deadline, or the peer closing (which interrupts
the socket's wait, `SocketEvent`); it never wakes up only to look.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simple_websocket import ConnectionClosed

from chedweb_bridge import access, lazy_aiortc
from chedweb_bridge import signaling_messages as sm
from chedweb_bridge.http_server import RELEASE_SLOT
from chedweb_bridge.limits import LogThrottle, SlotLimiter
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.peers import OfferError, PeerRegistry, ServerFull, Session

# A refusal that any client can cause (pending limit) is logged at most once per this period, with
# the count of the others: a flood of sockets must not become a flood of log lines.
_REFUSAL_LOG_PERIOD_S = 10.0

# Close codes (RFC 6455)
CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_TRY_AGAIN = 1013


@dataclass
class Settings:
    """What the node's parameters say; replaced field by field when a parameter changes."""
    auth_token: str = ""
    allowed_origins: list[str] = field(default_factory=list)
    # A socket must send an offer that is accepted within this long of opening, or it is closed:
    # until then it holds a pending place (`Pending`), not a max_peers one.
    offer_deadline: float = 5.0
    # How long the bridge may take to answer an offer before the socket is refused.
    answer_timeout: float = 10.0


class Pending:
    """The /ws sockets that have no accepted offer yet, bounded in total and per address."""

    def __init__(self, total: int, per_address: int) -> None:
        self.slots = SlotLimiter(total, per_address, "connections waiting for an offer")
        self._throttle = LogThrottle(_REFUSAL_LOG_PERIOD_S)

    def log_refusal(self, log: Log, text: str) -> None:
        """Logs the first refusal of a period and counts the rest into the next line."""
        line = self._throttle.text(text)
        if line is not None:
            log("warn", line)


class SocketEvent:
    """The event a simple_websocket socket waits on for frames (its `event_class` option, set in
    app.py): a threading.Event whose wait can also be ended from another thread, by `interrupt`.

    simple_websocket's reader thread sets it for every frame and when the socket closes, and
    `receive(timeout)` returns None when a wait returns False. An interrupted wait returns False,
    so the handler's `receive` returns at once and the handler looks at its session: the loop
    interrupts it when the peer closes. Before, each handler woke every 0.2 s to look."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._flag = False
        self._interrupted = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        with self._cond:
            self._flag = True
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._flag = False

    def interrupt(self) -> None:
        """Ends the current wait, or the next one if none is under way, with False (any thread)."""
        with self._cond:
            self._interrupted = True
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        with self._cond:
            self._cond.wait_for(lambda: self._flag or self._interrupted, timeout)
            if self._flag:
                return True
            self._interrupted = False
            return False


Log = Callable[[str, str], None]
_conn_ids = itertools.count(1)
_conn_lock = threading.Lock()


def _next_conn_id() -> int:
    with _conn_lock:
        return next(_conn_ids)


class _Refused(Exception):
    def __init__(self, reason: str, code: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def serve_socket(ws: Any, environ: Mapping[str, Any], args: Mapping[str, str], loop: LoopThread,
                 registry: PeerRegistry, settings: Settings, pending: Pending, log: Log) -> None:
    address = str(environ.get("REMOTE_ADDR", "?"))
    remote = f"{address}:{environ.get('REMOTE_PORT', '?')}"
    prefix = f"[ws {_next_conn_id()} {remote}]"
    session: Session | None = None
    waiting = False
    why = "WebSocket closed"

    def offered() -> None:
        """The socket is a peer now, bounded by max_peers: it gives back its pending place and
        its HTTP connection place (http_server.RELEASE_SLOT)."""
        nonlocal waiting
        if waiting:
            pending.slots.release(address)
            waiting = False
            release_connection = environ.get(RELEASE_SLOT)
            if release_connection is not None:
                release_connection()

    try:
        if not access.token_ok(settings.auth_token, args.get("token")):
            raise _Refused("unauthorized", CLOSE_POLICY)
        if not access.origin_ok(environ.get("HTTP_ORIGIN"), str(environ.get("wsgi.url_scheme", "http")),
                                environ.get("HTTP_HOST"), settings.allowed_origins):
            raise _Refused("origin not allowed", CLOSE_POLICY)
        reason = pending.slots.acquire(address)
        if reason is not None:
            _send_quietly(ws, sm.error(reason))
            _close_quietly(ws, CLOSE_TRY_AGAIN, reason)
            pending.log_refusal(log, f"{prefix} refused: {reason}")
            return
        waiting = True
        # aiortc is imported by the first socket that needs it, in this socket's own thread and
        # before its offer deadline starts (lazy_aiortc.py); frames meanwhile wait in the socket.
        lazy_aiortc.load()
        session = registry.new_session(remote)
        prefix = session.log_prefix
        event = getattr(ws, "event", None)
        if not isinstance(event, SocketEvent):  # a handler that could not be woken would never close
            raise TypeError("the WebSocket must wait on a SocketEvent (SOCK_SERVER_OPTIONS, app.py)")
        session.on_closed = event.interrupt
        _frames(ws, session, loop, registry, settings, offered, log)
    except _Refused as refusal:
        why = refusal.reason
        log("warn", f"{prefix} refused: {refusal.reason}")
        _send_quietly(ws, sm.error(refusal.reason))
        _close_quietly(ws, refusal.code, refusal.reason)
    except ConnectionClosed:
        pass
    except Exception as exc:  # the loop stopped (shutdown): never a traceback
        why = f"{type(exc).__name__}: {exc}"
        log("warn", f"{prefix} closed: {why}")
        _send_quietly(ws, sm.error("internal error"))
        _close_quietly(ws, CLOSE_INTERNAL, "internal error")
    finally:
        if waiting:
            pending.slots.release(address)
        if session is not None:
            # Also after a timed-out offer: whatever the cancelled accept_offer opened (a place, a
            # peer connection) is closed here, whether or not it had finished.
            loop.call_soon(registry.close_session, session, why)


def _frames(ws: Any, session: Session, loop: LoopThread, registry: PeerRegistry, settings: Settings,
            on_offered: Callable[[], None], log: Log) -> None:
    rate = sm.FrameRateLimit()
    offered = False
    opened = time.monotonic()
    while True:
        if session.closed.is_set():
            _close_quietly(ws, CLOSE_NORMAL, "peer closed")
            return
        wait: float | None = None  # once offered: until a frame, the socket's end or the peer's
        if not offered:
            deadline = settings.offer_deadline
            wait = opened + deadline - time.monotonic()
            if wait <= 0:
                raise _Refused(f"no offer within {deadline:g} s", CLOSE_POLICY)
        frame = ws.receive(timeout=wait)
        if frame is None:  # the deadline, or the peer closed (SocketEvent.interrupt): look again
            continue
        if not rate.allow(time.monotonic()):
            raise _Refused("rate limit exceeded", CLOSE_POLICY)
        if sm.frame_size(frame) > sm.MAX_FRAME_BYTES:
            raise _Refused("message too large", CLOSE_TOO_BIG)
        msg = sm.parse_frame(frame)
        reply: str | None = None
        if isinstance(msg, sm.Refusal):
            reply = msg.reason
        elif isinstance(msg, sm.Offer):
            if offered:
                reply = "offer already received"
            else:
                timeout = settings.answer_timeout
                try:
                    answer_sdp = loop.run(registry.accept_offer(session, msg.sdp, msg.compression), timeout)
                except ServerFull as exc:
                    raise _Refused(str(exc), CLOSE_TRY_AGAIN) from None
                except OfferError as exc:
                    reply = str(exc)
                except TimeoutError:
                    # run() cancelled accept_offer; serve_socket's close_session frees the rest.
                    raise _Refused(f"no answer within {timeout:g} s", CLOSE_TRY_AGAIN) from None
                else:
                    offered = True
                    on_offered()
                    ws.send(sm.answer(answer_sdp))
        elif isinstance(msg, sm.Candidate):
            if not offered:
                reply = "candidate before offer"
            else:
                loop.call_soon(registry.add_candidate, session, msg)
        # EndOfCandidates: nothing to do, aiortc needs no end-of-candidates mark.
        if reply is not None:
            log("warn", f"{session.log_prefix} refused: {reply}")
            ws.send(sm.error(reply))


def _send_quietly(ws: Any, text: str) -> None:
    with contextlib.suppress(ConnectionClosed, OSError):
        ws.send(text)


def _close_quietly(ws: Any, code: int, reason: str) -> None:
    with contextlib.suppress(ConnectionClosed, OSError):
        ws.close(reason=code, message=reason)
