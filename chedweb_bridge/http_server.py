"""The bridge's HTTP server: werkzeug's, with a connection cap and header and idle deadlines.

Why werkzeug and not another server (docs/architecture.md, "HTTP serving layer"): flask-sock's
WebSocket layer (simple-websocket) takes the raw socket from werkzeug, gunicorn, eventlet or
gevent only. gunicorn forks workers, but every peer lives on the one asyncio loop of this
process; eventlet and gevent patch the standard library under rclpy and aiortc. werkzeug's
threaded server, as shipped, starts one thread per connection with no bound and reads headers
with no deadline (250 slowloris sockets held 270 threads; 1,500 half-sent requests made 1,520).

So this subclass:
- counts connections in total and per remote address (limits.SlotLimiter) and answers the excess
  at once with 503 from the accepting thread, which never waits on a client;
- gives each admitted connection a thread, which first waits (poll + MSG_PEEK) until the whole
  request head is there: no byte within `idle_timeout`, or no complete head within
  `header_timeout`, gets 408 and a close, before werkzeug reads anything;
- sets `idle_timeout` as the socket's timeout for every later read and write of a request.

A /ws socket whose offer is accepted gives its connection place back (RELEASE_SLOT in its WSGI
environ): from then on it is a peer, bounded by max_peers, so that many browsers behind one
address (an office's NAT, a fan-out bench) are not refused by the per-address connection cap.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

from chedweb_bridge.limits import SlotLimiter

# A request head larger than this gets 431 (browsers send a few KiB, cookies included).
MAX_HEAD_BYTES = 32 * 1024
# While a head is incomplete, the handler peeks again after this pause: a client that sends a
# byte at a time then costs at most header_timeout / PEEK_PAUSE_S peeks, not one per byte.
PEEK_PAUSE_S = 0.05
# A refused socket is kept (shut for writing) this long before it is closed, so that the 503 is
# read rather than lost to the reset that closing a socket with unread data sends.
LINGER_S = 1.0
MAX_LINGERING = 1024
# WSGI environ key of a zero-argument callable that gives the connection's place back early.
RELEASE_SLOT = "chedweb.release_connection_slot"


@dataclass
class ServerLimits:
    max_connections: int = 128
    max_connections_per_address: int = 32
    header_timeout: float = 5.0
    idle_timeout: float = 15.0


def head_complete(data: bytes) -> bool:
    """The request line and headers have all arrived (the blank line that ends them)."""
    return b"\r\n\r\n" in data or b"\n\n" in data


def _response(status: str, text: str) -> bytes:
    body = (text + "\n").encode()
    return (f"HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n").encode() + \
        (b"Retry-After: 1\r\n" if status.startswith("503") else b"") + b"\r\n" + body


REFUSED = _response("503 Service Unavailable", "too many connections")
TIMED_OUT = _response("408 Request Timeout", "request head not received in time")
HEAD_TOO_LARGE = _response("431 Request Header Fields Too Large", "request head too large")


def wait_for_head(sock: socket.socket, header_timeout: float, idle_timeout: float) -> bytes | None:
    """None once a whole request head is in the socket's buffer (nothing is consumed: werkzeug
    reads it next); otherwise the response to send before closing (b"" when the client left)."""
    start = time.monotonic()
    head_deadline = start + header_timeout
    poller = select.poll()  # not select(): a busy server has descriptors above 1024
    poller.register(sock, select.POLLIN)
    seen = 0
    while True:
        now = time.monotonic()
        deadline = head_deadline if seen else min(head_deadline, start + idle_timeout)
        if now >= deadline:
            return TIMED_OUT
        if not poller.poll(max(1, int((deadline - now) * 1000))):
            continue
        try:
            data = sock.recv(MAX_HEAD_BYTES, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            continue
        except OSError:
            return b""
        if not data:
            return b""
        if head_complete(data):
            return None
        if len(data) >= MAX_HEAD_BYTES:
            return HEAD_TOO_LARGE
        seen = len(data)
        time.sleep(PEEK_PAUSE_S)


class ConnectionSlot:
    """One admitted connection's place, given back once: when the connection ends, or earlier
    when the app hands the connection over to another limit (RELEASE_SLOT)."""

    def __init__(self, limiter: SlotLimiter, address: str) -> None:
        self._limiter = limiter
        self._address = address
        self._lock = threading.Lock()
        self._held = True

    def release(self) -> None:
        with self._lock:
            if not self._held:
                return
            self._held = False
        self._limiter.release(self._address)


class _Handler(WSGIRequestHandler):
    server: BoundedWSGIServer

    def make_environ(self) -> Any:
        environ = super().make_environ()
        slot = getattr(self.server.current, "slot", None)  # set by _serve, in this same thread
        if slot is not None:
            environ[RELEASE_SLOT] = slot.release
        return environ

    def handle_one_request(self) -> None:
        limits = self.server.limits
        refusal = wait_for_head(self.connection, limits.header_timeout, limits.idle_timeout)
        if refusal is not None:
            self.close_connection = True
            self.server.timed_out += 1 if refusal else 0
            if refusal:
                with contextlib.suppress(OSError):
                    self.connection.sendall(refusal)
            return
        super().handle_one_request()

    def log_error(self, format: str, *args: Any) -> None:
        """Silent: a malformed request line is the client's fault, it gets its 400, and a line
        per request would let any client flood the log."""


class BoundedWSGIServer(BaseWSGIServer):
    multithread = True  # also makes werkzeug speak HTTP/1.1, as its threaded server does

    def __init__(self, host: str, port: int, app: Any, limits: ServerLimits, fd: int | None = None) -> None:
        self.limits = limits
        self.connections = SlotLimiter(limits.max_connections, limits.max_connections_per_address,
                                       "connections")
        self.refused = 0    # connections answered 503 at once
        self.timed_out = 0  # connections closed for a missing or slow request head
        self._lingering: deque[tuple[float, socket.socket]] = deque()
        self.current = threading.local()  # the connection slot of the thread's connection
        # fd: a socket the node has bound already, so that a busy port is its own one-line error.
        super().__init__(host, port, app, handler=_Handler, fd=fd)

    def set_limits(self, limits: ServerLimits) -> None:
        """New limits apply to the next connection (the parameters may change at run time)."""
        self.limits = limits
        self.connections.total = limits.max_connections
        self.connections.per_address = limits.max_connections_per_address

    def process_request(self, request: Any, client_address: Any) -> None:
        """In the accepting thread: admit (a thread of its own) or refuse at once."""
        address = str(client_address[0]) if isinstance(client_address, tuple) else "?"
        if self.connections.acquire(address) is not None:
            self._refuse(request)
            return
        try:
            threading.Thread(target=self._serve, args=(request, client_address, address),
                             name="webrtc_bridge-http-conn", daemon=True).start()
        except RuntimeError:  # no thread could be started: refuse as if at the cap
            self.connections.release(address)
            self._refuse(request)

    def _serve(self, request: socket.socket, client_address: Any, address: str) -> None:
        slot = ConnectionSlot(self.connections, address)
        self.current.slot = slot
        try:
            request.settimeout(self.limits.idle_timeout)
            self.finish_request(request, client_address)
        except Exception:  # a connection's failure is its own; never a traceback
            pass
        finally:
            self.shutdown_request(request)
            slot.release()

    def _refuse(self, sock: socket.socket) -> None:
        self.refused += 1
        try:
            sock.setblocking(False)
            _drain(sock)
            sock.send(REFUSED)  # a few hundred bytes into an empty send buffer: never blocks
            sock.shutdown(socket.SHUT_WR)
        except OSError:
            sock.close()
            return
        if len(self._lingering) >= MAX_LINGERING:
            self._lingering.popleft()[1].close()
        self._lingering.append((time.monotonic() + LINGER_S, sock))

    def service_actions(self) -> None:
        """Called by serve_forever at least every poll interval: close refused sockets whose
        linger is over."""
        now = time.monotonic()
        while self._lingering and self._lingering[0][0] <= now:
            sock = self._lingering.popleft()[1]
            with contextlib.suppress(OSError):
                _drain(sock)
            sock.close()

    def server_close(self) -> None:
        while self._lingering:
            self._lingering.popleft()[1].close()
        super().server_close()


def _drain(sock: socket.socket) -> None:
    """Reads (non-blocking) what the client already sent, so that closing sends FIN, not RST."""
    for _ in range(16):
        try:
            if not sock.recv(65536):
                return
        except (BlockingIOError, InterruptedError):
            return
