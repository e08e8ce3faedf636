"""One browser's /ws WebSocket, run in its WSGI handler thread (docs/protocol.md, Signaling).

This thread never touches aiortc: it reaches the peer registry only through the loop thread
(`LoopThread.run` with a timeout for the offer, `call_soon` for candidates and closing).
The socket stays open for the life of the peer: closing it closes the peer at once, and the
peer closing (seen through `Session.closed`) closes the socket.
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

from chedweb_bridge import access
from chedweb_bridge import signaling_messages as sm
from chedweb_bridge.loop_thread import LoopThread
from chedweb_bridge.peers import OfferError, PeerRegistry, Session

OFFER_TIMEOUT_S = 10.0
# A socket that never offers would hold one of max_peers' places: it gets this long.
OFFER_DEADLINE_S = 30.0
SESSION_TIMEOUT_S = 5.0
# How often the handler looks at `Session.closed` between frames: the delay with which a failed
# peer's socket is closed.
_POLL_S = 0.2

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
                 registry: PeerRegistry, settings: Settings, log: Log) -> None:
    remote = f"{environ.get('REMOTE_ADDR', '?')}:{environ.get('REMOTE_PORT', '?')}"
    prefix = f"[ws {_next_conn_id()} {remote}]"
    session: Session | None = None
    try:
        if not access.token_ok(settings.auth_token, args.get("token")):
            raise _Refused("unauthorized", CLOSE_POLICY)
        if not access.origin_ok(environ.get("HTTP_ORIGIN"), environ.get("HTTP_HOST"),
                                settings.allowed_origins):
            raise _Refused("origin not allowed", CLOSE_POLICY)
        session = loop.run(registry.open_session(remote), SESSION_TIMEOUT_S)
        if session is None:
            raise _Refused(f"server full (max_peers={registry.max_peers})", CLOSE_TRY_AGAIN)
        prefix = session.log_prefix
        _frames(ws, session, loop, registry, log)
    except _Refused as refusal:
        log("warn", f"{prefix} refused: {refusal.reason}")
        _send_quietly(ws, sm.error(refusal.reason))
        _close_quietly(ws, refusal.code, refusal.reason)
    except ConnectionClosed:
        pass
    except Exception as exc:  # the loop stopped (shutdown) or timed out: never a traceback
        log("warn", f"{prefix} closed: {type(exc).__name__}: {exc}")
        _send_quietly(ws, sm.error("internal error"))
        _close_quietly(ws, CLOSE_INTERNAL, "internal error")
    finally:
        if session is not None:
            loop.call_soon(registry.close_session, session, "WebSocket closed")


def _frames(ws: Any, session: Session, loop: LoopThread, registry: PeerRegistry, log: Log) -> None:
    rate = sm.FrameRateLimit()
    offered = False
    opened = time.monotonic()
    while True:
        if session.closed.is_set():
            _close_quietly(ws, CLOSE_NORMAL, "peer closed")
            return
        if not offered and time.monotonic() - opened > OFFER_DEADLINE_S:
            raise _Refused(f"no offer within {OFFER_DEADLINE_S:.0f} s", CLOSE_POLICY)
        frame = ws.receive(timeout=_POLL_S)
        if frame is None:
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
                try:
                    answer_sdp = loop.run(registry.accept_offer(session, msg.sdp), OFFER_TIMEOUT_S)
                except OfferError as exc:
                    reply = str(exc)
                except TimeoutError:
                    reply = "invalid offer: no answer in time"
                else:
                    offered = True
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
