"""Signaling frames (pure): parse and validate what a browser sends on /ws (docs/protocol.md).

`parse_frame` returns a typed message or a `Refusal` with the reason the browser is told.
Nothing here touches a socket or aiortc.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Union

from chedweb_bridge.codec import dumps, utf8_len

MAX_FRAME_BYTES = 64 * 1024
MAX_FRAMES_PER_SECOND = 50


# An offer's `compression` list (docs/protocol.md, "Compression"): at most this many names.
MAX_COMPRESSION_NAMES = 8


@dataclass(frozen=True)
class Offer:
    sdp: str
    # The DataChannel encodings the page can decode, from the offer's `compression` list (names
    # the bridge does not know are kept here and ignored by it).
    compression: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    """One trickled ICE candidate in the browser's RTCIceCandidateInit form."""
    candidate: str
    sdp_mid: str | None
    sdp_mline_index: int | None

    @property
    def is_mdns(self) -> bool:
        """A Chromium mDNS host candidate ("<uuid>.local"): dropped, never resolved."""
        fields = self.candidate.split()
        return len(fields) > 4 and fields[4].lower().endswith(".local")


@dataclass(frozen=True)
class EndOfCandidates:
    pass


@dataclass(frozen=True)
class Refusal:
    reason: str


Message = Union[Offer, Candidate, EndOfCandidates]  # noqa: UP007 - a runtime alias on Python 3.10


def parse_frame(frame: str | bytes) -> Message | Refusal:
    if isinstance(frame, bytes):
        try:
            frame = frame.decode("utf-8")
        except UnicodeDecodeError:
            return Refusal("malformed message: not UTF-8 text")
    try:
        obj = json.loads(frame)
    except ValueError as exc:
        return Refusal(f"malformed message: not JSON ({exc.__class__.__name__})")
    except RecursionError:  # "[[[[…]]]]" nested beyond the interpreter's limit: a bad frame, not a fault
        return Refusal("malformed message: nested too deeply")
    if not isinstance(obj, dict):
        return Refusal("malformed message: not a JSON object")
    kind = obj.get("type")
    if not isinstance(kind, str):
        return Refusal("malformed message: no string 'type'")
    if kind == "offer":
        sdp = obj.get("sdp")
        if not isinstance(sdp, str) or not sdp.strip():
            return Refusal("invalid offer: no SDP")
        compression = obj.get("compression", [])
        if not isinstance(compression, list) or len(compression) > MAX_COMPRESSION_NAMES \
                or not all(isinstance(c, str) and len(c) <= 64 for c in compression):
            return Refusal("invalid offer: 'compression' is not a list of at most "
                           f"{MAX_COMPRESSION_NAMES} names")
        return Offer(sdp, tuple(compression))
    if kind == "candidate":
        return _candidate(obj)
    return Refusal(f"unknown message type {_short(kind)!r}")


def _candidate(obj: dict[str, object]) -> Candidate | EndOfCandidates | Refusal:
    text = obj.get("candidate")
    if text is None or text == "":
        return EndOfCandidates()
    if not isinstance(text, str):
        return Refusal("malformed candidate: 'candidate' is not a string")
    if text.startswith("a="):
        text = text[2:]
    if not text.startswith("candidate:") or len(text.split()) < 8:
        return Refusal("malformed candidate: not an ICE candidate line")
    # Here, not at the top: aiortc is imported when the first socket opens (lazy_aiortc.py), and
    # a candidate comes only after that socket's offer.
    from aiortc.sdp import candidate_from_sdp

    try:
        candidate_from_sdp(text.split(":", 1)[1])  # pure parse: the bridge applies it later
    except (ValueError, IndexError, KeyError):
        return Refusal("malformed candidate: not an ICE candidate line")
    mid = obj.get("sdpMid")
    index = obj.get("sdpMLineIndex")
    if mid is not None and not isinstance(mid, str):
        return Refusal("malformed candidate: 'sdpMid' is not a string")
    if index is not None and (not isinstance(index, int) or isinstance(index, bool) or index < 0):
        return Refusal("malformed candidate: 'sdpMLineIndex' is not a non-negative integer")
    if mid is None and index is None:
        return Refusal("malformed candidate: needs 'sdpMid' or 'sdpMLineIndex'")
    return Candidate(text, mid, index)


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def answer(sdp: str) -> str:
    return dumps({"type": "answer", "sdp": sdp})


def error(message: str) -> str:
    return dumps({"type": "error", "message": message})


def frame_size(frame: str | bytes) -> int:
    return utf8_len(frame) if isinstance(frame, str) else len(frame)


class FrameRateLimit:
    """At most `limit` frames in any `window` seconds on one socket (times passed in: pure)."""

    def __init__(self, limit: int = MAX_FRAMES_PER_SECOND, window: float = 1.0) -> None:
        self.limit = limit
        self.window = window
        self._times: deque[float] = deque()

    def allow(self, now: float) -> bool:
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True
