"""Wire codec (pure): DiagnosticArray-like objects to protocol JSON text, encoded once.

Everything the bridge sends on a DataChannel is built here. The ROS callback converts a message
with `statuses_from_msg` (or cdr.py), makes each status safe with `sanitize_status` (the level
and size rules), then `LivePayloads` encodes it once per (protocol version, message limit) in use,
and that text is sent unchanged to every peer of that kind. `level` is a `byte` in rclpy
(b'\\x00'..b'\\x03'); it becomes an int only here.

Protocol versions (docs/protocol.md): a page that creates its channel with the subprotocol
"chedweb.v2" speaks version 2; an empty subprotocol is a version-1 page, which gets only the
fields version 1 defines.
"""

from __future__ import annotations

import json
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

PROTOCOL_VERSION = 2
CHANNEL_PROTOCOL = "chedweb.v2"
# What a version-2 `hello` offers (docs/protocol.md, "Capabilities"); each feature adds its own.
CAPABILITIES: tuple[str, ...] = ("raw_level", "truncated", "snapshot_decimated", "alerts", "stale", "query",
                                   "levels", "interest")
# Capability "deflate-raw" (docs/protocol.md, "Compression"): a version-2 page that lists this name
# in its offer's `compression` gets the large messages after `hello` as binary DataChannel messages,
# each the raw DEFLATE (RFC 1951) of the JSON text, compressed once for every such peer. The page
# inflates them with DecompressionStream("deflate-raw"). Only listed in `hello` when in use.
DEFLATE_RAW = "deflate-raw"
# zlib's default: measured on 50 statuses x 20 changing values (docs/architecture.md), level 6 cost
# 0.9 ms once per message and saved a 1,160-byte SCTP packet per peer over level 1.
DEFLATE_LEVEL = 6
# What goes on a DataChannel: JSON text, or (deflate-raw peers) that text deflated, as bytes.
Frame = str | bytes
# Fields a version-1 page's schema does not define: never sent to it.
_V2_STATUS_FIELDS = ("raw_level", "truncated")
# A version-1 page refuses `hello` unless history_seconds > 0 and uses it as its charts' window:
# a bridge without history (history_seconds 0) tells it the page's own default window instead.
V1_DEFAULT_WINDOW_S = 3600.0

# Every DataChannel message stays below this many bytes of UTF-8, and below the peer's own
# `a=max-message-size` where that is smaller (browsers announce 256 KiB or more; 64 KiB keeps
# each message within one SCTP reassembly comfortably).
MAX_MESSAGE_BYTES = 64 * 1024
# RFC 8841: an SDP without a=max-message-size means 64 KiB; 0 means "no limit".
SDP_DEFAULT_MAX_MESSAGE_SIZE = 65536
# A peer that cannot take this much in one message cannot be served (one status's envelope
# plus its name, hardware_id and a truncated message must fit): its offer is refused.
MIN_PEER_MESSAGE_BYTES = 16 * 1024
# Room left for the envelope fields that are added after a part's size is estimated.
_ENVELOPE_MARGIN = 512

# Levels on the wire are 0..3; anything else is forwarded as ERROR with `raw_level` kept.
LEVEL_ERROR = 2
# Strings of a status too large for one message are cut to this many characters, then keys are
# dropped from the end until it fits; the cut is visible as the marker and `truncated: true`.
TRUNCATED_TEXT_CHARS = 1024
TRUNCATION_MARKER = "…[truncated]"

Status = dict[str, Any]
# A status's identity on the wire: (hardware_id, name). Capability "interest": the statuses whose
# `values` a page shows (docs/protocol.md, "Interest").
StatusKey = tuple[str, str]


class _Time(Protocol):
    sec: int
    nanosec: int


class _Header(Protocol):
    stamp: _Time


class _KeyValue(Protocol):
    key: str
    value: str


class _DiagnosticStatus(Protocol):
    level: bytes | int
    name: str
    message: str
    hardware_id: str
    values: Sequence[_KeyValue]


class DiagnosticArrayLike(Protocol):
    header: _Header
    status: Sequence[_DiagnosticStatus]


def dumps(obj: object) -> str:
    """Compact JSON, no NaN (it is not JSON: the page could not parse it)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


# ---- negotiation ---------------------------------------------------------------------------

def negotiate(channel_protocol: str) -> int:
    """The protocol version to speak on a DataChannel, from its subprotocol: "chedweb.vN" with
    N >= 2 gets the newest this bridge speaks (`hello.protocol` tells the page which); empty or
    anything else is a version-1 page."""
    match = re.fullmatch(r"chedweb\.v([0-9]{1,6})", channel_protocol)
    if match is None or int(match.group(1)) < 2:
        return 1
    return PROTOCOL_VERSION


def peer_message_limit(sdp: str) -> int | None:
    """The largest message a peer takes, from its SDP's `a=max-message-size` (RFC 8841: absent
    means 65,536; 0 means no limit), capped at MAX_MESSAGE_BYTES. None when below
    MIN_PEER_MESSAGE_BYTES: such a peer cannot be served."""
    announced = SDP_DEFAULT_MAX_MESSAGE_SIZE
    for line in sdp.splitlines():
        if line.startswith("a=max-message-size:"):
            try:
                announced = int(line.split(":", 1)[1].strip())
            except ValueError:
                return None
            break
    if announced == 0:
        return MAX_MESSAGE_BYTES
    if announced < MIN_PEER_MESSAGE_BYTES:
        return None
    return min(announced, MAX_MESSAGE_BYTES)


# ---- statuses ------------------------------------------------------------------------------

def level_to_int(level: bytes | int) -> int:
    """DiagnosticStatus.level as an int: rclpy gives a 1-byte `bytes`, other sources an int."""
    if isinstance(level, (bytes, bytearray)):
        return level[0] if level else 0
    return int(level)


def stamp_seconds(sec: int, nanosec: int, receive_time: float) -> float:
    """header.stamp in float seconds, or the receive time when the publisher left it zero.
    (timebase.py decides whether the bridge trusts it.)"""
    if sec == 0 and nanosec == 0:
        return receive_time
    return sec + nanosec * 1e-9


def status_to_dict(status: _DiagnosticStatus) -> Status:
    """One DiagnosticStatus in protocol form; a repeated key keeps its last value."""
    return {
        "name": str(status.name),
        "level": level_to_int(status.level),
        "message": str(status.message),
        "hardware_id": str(status.hardware_id),
        "values": {str(kv.key): str(kv.value) for kv in status.values},
    }


def statuses_from_msg(msg: DiagnosticArrayLike) -> list[Status]:
    return [status_to_dict(s) for s in msg.status]


def sanitize_levels(statuses: list[Status]) -> list[Status]:
    """The level rule, in place: a level outside 0..3 becomes ERROR, the raw value kept in
    `raw_level` (version 2 only), so one odd publisher never makes the page refuse an array."""
    for i, status in enumerate(statuses):
        level = status["level"]
        if not 0 <= level <= 3:
            statuses[i] = {**status, "level": LEVEL_ERROR, "raw_level": level}
    return statuses


def status_budget(limit: int) -> int:
    """The most UTF-8 bytes one status's JSON may take so that every message carrying it (live,
    or a snapshot piece with its numeric columns beside it) fits in `limit`."""
    return limit * 3 // 4 - _ENVELOPE_MARGIN


def _cut(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[:chars] + TRUNCATION_MARKER


def fit_status(status: Status, budget: int) -> Status:
    """The status unchanged if its JSON fits in `budget` bytes; else a copy with every string
    longer than TRUNCATED_TEXT_CHARS cut (marker appended), keys beyond the budget dropped (the
    first ones kept, in order) and `truncated: true`. Pure and deterministic, so the live path
    and the snapshot path cut a status the same way."""
    if utf8_len(dumps(status)) <= budget:
        return status
    # A character costs at most 6 bytes in JSON (\u00XX): name, hardware_id and message cut to
    # `chars` always leave room for the envelope and some keys, whatever they hold.
    chars = max(16, min(TRUNCATED_TEXT_CHARS, budget // 24))
    out: Status = {**status, "name": _cut(status["name"], chars),
                   "hardware_id": _cut(status["hardware_id"], chars),
                   "message": _cut(status["message"], chars), "truncated": True}
    if "values" not in status:  # a lean status (capability "interest") stays without values
        return out
    out["values"] = {}
    size = utf8_len(dumps(out))
    values: dict[str, str] = out["values"]
    for key, value in status["values"].items():
        key, value = _cut(key, chars), _cut(value, chars)
        cost = utf8_len(dumps(key)) + utf8_len(dumps(value)) + 2  # ':' and ','
        if size + cost > budget:
            break
        values[key] = value
        size += cost
    return out


def lean_statuses(statuses: Sequence[Status], interest: frozenset[StatusKey]) -> list[Status]:
    """The statuses of a lean live message (capability "interest"): every status, but `values`
    only for those in `interest`, so a page still sees every level, message and age."""
    return [s if (s["hardware_id"], s["name"]) in interest
            else {k: v for k, v in s.items() if k != "values"} for s in statuses]


def _for_version(status: Status, protocol: int) -> Status:
    """What a peer of `protocol` may see of a status: version 1 defines no extra fields."""
    if protocol >= 2 or not any(f in status for f in _V2_STATUS_FIELDS):
        return status
    return {k: v for k, v in status.items() if k not in _V2_STATUS_FIELDS}


# ---- numbers -------------------------------------------------------------------------------

# The numeric-string rule (docs/protocol.md, "Numbers"), identical in web/src/protocol.ts: plain
# decimal, optional sign, fraction and exponent, optional spaces or tabs around it; no hex, no
# underscores, no inf/nan; and the value must be finite. [0-9], not \d: \d takes any Unicode digit.
NUMBER_PATTERN = r"[ \t]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*"
# The rule as a regular expression: what numeric_value's faster test is checked against.
NUMBER_RE = re.compile(NUMBER_PATTERN)


# The characters NUMBER_PATTERN can match. Over them, float() accepts exactly the strings the
# pattern matches: its grammar is the pattern's plus underscores between digits, "inf", "nan"
# and any whitespace around, none of which can be written with these characters (float strips
# spaces and tabs as the pattern allows them). A test checks the two agree on every short string
# of these characters and more. Why not the pattern itself: every value of every message is
# tested, 10,000 a second at issue 12's load, and the character check plus float() costs about
# half of fullmatch plus float().
_NUMBER_CHARS = frozenset("0123456789+-.eE \t")


def numeric_value(text: str) -> float | None:
    """A KeyValue value as a finite float, or None when it is not a plain number (NUMBER_PATTERN):
    numeric_values' test, the one place the rule is written in code."""
    return numeric_values({"": text}).get("")


def numeric_values(values: dict[str, str]) -> dict[str, float]:
    """A status's values that are numbers, as floats, in their order: parsed once per message by
    the ROS callback and shared by the history and the store."""
    out: dict[str, float] = {}
    chars, isfinite = _NUMBER_CHARS.issuperset, math.isfinite
    for key, text in values.items():  # inline, not a call per value: that cost a third more
        if isinstance(text, str) and chars(text):
            try:
                value = float(text)
            except ValueError:
                continue
            if isfinite(value):
                out[key] = value
    return out


# ---- hello and live messages ---------------------------------------------------------------

def deflate_raw(text: str) -> bytes:
    """`text` as raw DEFLATE (no zlib header or checksum: what DecompressionStream("deflate-raw")
    reads). A fresh compressor per message, so every message decodes on its own and a peer that
    skipped some (backpressure) or joined late can read the next."""
    compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return compressor.compress(text.encode("utf-8")) + compressor.flush()


def frame_for(text: str, deflate: bool) -> Frame:
    """What a peer gets for `text`: the text itself, or for a deflate-raw peer its compressed form
    when that is smaller. So a frame is never larger than its text, which is within the peer's
    limit: the size rule holds for the bytes actually sent."""
    if not deflate:
        return text
    packed = deflate_raw(text)
    return packed if len(packed) < utf8_len(text) else text


def frame_size(frame: Frame) -> int:
    """Bytes a frame takes on the channel (UTF-8 for text)."""
    return len(frame) if isinstance(frame, bytes) else utf8_len(frame)


def hello(hostname: str, version: str, topics: Sequence[str], history_seconds: float, seq: int,
          protocol: int = PROTOCOL_VERSION, stale_seconds: float = 5.0, deflate: bool = False) -> str:
    msg: dict[str, Any] = {
        "type": "hello", "protocol": protocol, "hostname": hostname, "version": version,
        "topics": list(topics), "history_seconds": history_seconds, "seq": seq,
    }
    if protocol >= 2:
        msg["capabilities"] = list(CAPABILITIES) + ([DEFLATE_RAW] if deflate else [])
        # Capability "stale": the bridge's stale timeout, so every page greys the same statuses.
        msg["stale_seconds"] = stale_seconds
    elif history_seconds <= 0:
        msg["history_seconds"] = V1_DEFAULT_WINDOW_S
    return dumps(msg)


def encode_diagnostics(seq: int, topic: str, stamp: float, statuses: Sequence[Status],
                       limit: int = MAX_MESSAGE_BYTES, protocol: int = PROTOCOL_VERSION) -> list[str]:
    """The live `diagnostics` message(s) for one DiagnosticArray, each below `limit` bytes: one
    text normally; several with the same seq/topic/stamp and a subset of the statuses each when
    one would not fit; a status too large on its own is cut by `fit_status`."""
    text = _diagnostics(seq, topic, stamp, statuses, protocol)
    budget = status_budget(limit)
    if utf8_len(text) <= budget:  # the common case: no status in it can be over budget
        return [text]
    fitted = [fit_status(s, budget) for s in statuses]
    return _split(seq, topic, stamp, fitted, limit, protocol)


def _split(seq: int, topic: str, stamp: float, statuses: Sequence[Status], limit: int,
           protocol: int) -> list[str]:
    text = _diagnostics(seq, topic, stamp, statuses, protocol)
    if utf8_len(text) < limit or len(statuses) <= 1:
        return [text]  # one fitted status is below limit with its envelope
    half = len(statuses) // 2
    return (_split(seq, topic, stamp, statuses[:half], limit, protocol)
            + _split(seq, topic, stamp, statuses[half:], limit, protocol))


def _diagnostics(seq: int, topic: str, stamp: float, statuses: Sequence[Status], protocol: int) -> str:
    return dumps({"type": "diagnostics", "seq": seq, "topic": topic, "stamp": stamp,
                  "statuses": [_for_version(s, protocol) for s in statuses]})


class LivePayloads:
    """One DiagnosticArray's live message(s), encoded once per (protocol, limit) that a peer
    needs and shared by every such peer. Browsers all get the default; other limits and
    version-1 peers with version-2 fields in the message cost one more encoding each. The
    deflate-raw frames are likewise made once per (protocol, limit) and shared, as bytes (aiortc
    sends bytes as they are; a text it encodes to UTF-8 again for every peer).

    `interest` (capability "interest"): the union of the statuses whose values the peers that
    declared an interest show, as it was when this message arrived, or None when no peer has
    declared one. Those peers share the `lean` encoding: every status, values only for these."""

    def __init__(self, seq: int, topic: str, stamp: float, statuses: Sequence[Status],
                 numbers: Sequence[dict[str, float]] | None = None,
                 interest: frozenset[StatusKey] | None = None) -> None:
        self.seq, self.topic, self.stamp, self.statuses = seq, topic, stamp, statuses
        # Each status's numeric values, parsed once by the ROS callback for the history and the
        # store (not sent: the wire carries the texts).
        self.numbers = numbers
        self.interest = interest
        self._texts: dict[tuple[int, int, bool], list[str]] = {}
        self._deflated: dict[tuple[int, int, bool], list[Frame]] = {}
        self._lean: list[Status] | None = None

    def frames(self, protocol: int = PROTOCOL_VERSION, limit: int = MAX_MESSAGE_BYTES,
               deflate: bool = False, lean: bool = False) -> Sequence[Frame]:
        """What a peer of (protocol, limit) gets: `texts`, or for a deflate-raw peer each text's
        `frame_for` (each no larger than its text, so below `limit`)."""
        texts = self.texts(protocol, limit, lean)
        if not deflate:
            return texts
        key = (min(protocol, PROTOCOL_VERSION), limit, self._is_lean(protocol, lean))
        frames = self._deflated.get(key)
        if frames is None:
            frames = [frame_for(t, True) for t in texts]
            self._deflated[key] = frames
        return frames

    def _is_lean(self, protocol: int, lean: bool) -> bool:
        # Only a version-2 peer can ask for less, and only once some peer has declared an interest.
        return lean and protocol >= 2 and self.interest is not None

    def texts(self, protocol: int = PROTOCOL_VERSION, limit: int = MAX_MESSAGE_BYTES,
              lean: bool = False) -> list[str]:
        protocol = min(protocol, PROTOCOL_VERSION)
        lean = self._is_lean(protocol, lean)
        key = (protocol, limit, lean)
        texts = self._texts.get(key)
        if texts is None:
            if protocol < PROTOCOL_VERSION:
                newest = self.texts(PROTOCOL_VERSION, limit)
                # A version-2 text without version-2 fields is a valid version-1 text. Inside a
                # JSON string a quote is escaped, so the substring only occurs as a field name
                # (or a values key of that name, which just costs a re-encode).
                if not any(f'"{f}":' in t for t in newest for f in _V2_STATUS_FIELDS):
                    self._texts[key] = newest
                    return newest
            statuses = self.statuses
            if lean:
                assert self.interest is not None  # _is_lean
                if self._lean is None:
                    self._lean = lean_statuses(self.statuses, self.interest)
                statuses = self._lean
            texts = encode_diagnostics(self.seq, self.topic, self.stamp, statuses, limit, protocol)
            self._texts[key] = texts
        return texts


# ---- snapshot -------------------------------------------------------------------------------

class StatusHistory(Protocol):
    """What the snapshot encoder needs from one status's history (see history.py)."""
    name: str
    hardware_id: str
    latest: Status

    def __len__(self) -> int: ...
    def rows(self, start: int, stop: int) -> dict[str, Any]: ...


def encode_snapshot(histories: Iterable[StatusHistory], limit: int = MAX_MESSAGE_BYTES,
                    protocol: int = PROTOCOL_VERSION) -> list[str]:
    """`snapshot` parts, each below `limit` bytes. A status too long for one part is split by time
    into consecutive pieces; `latest` (cut by `fit_status` as the live path cuts it) rides with
    its newest piece. Never returns an empty list."""
    budget = limit - _ENVELOPE_MARGIN
    pieces: list[tuple[str, int]] = []
    for history in histories:
        latest = _for_version(fit_status(history.latest, status_budget(limit)), protocol)
        pieces += _pieces(history, latest, 0, len(history), budget)
    groups: list[list[str]] = []
    size = budget + 1
    for text, n in pieces:
        if size + n + 1 > budget:
            groups.append([])
            size = 0
        groups[-1].append(text)
        size += n + 1
    if not groups:
        groups = [[]]
    parts = len(groups)
    return [f'{{"type":"snapshot","part":{i},"parts":{parts},"statuses":[{",".join(g)}]}}'
            for i, g in enumerate(groups)]


def _pieces(history: StatusHistory, latest: Status, start: int, stop: int,
            budget: int) -> list[tuple[str, int]]:
    """Samples start..stop of one status as encoded pieces (text, UTF-8 size), halved by time
    until each fits in `budget`."""
    head: dict[str, Any] = {"name": history.name, "hardware_id": history.hardware_id}
    piece = dict(head)
    if stop == len(history):
        piece["latest"] = latest
    rows = history.rows(start, stop)
    piece.update(rows)
    text = dumps(piece)
    size = utf8_len(text)
    if size <= budget:
        return [(text, size)]
    if stop - start > 1:
        mid = (start + stop) // 2
        return _pieces(history, latest, start, mid, budget) + _pieces(history, latest, mid, stop, budget)
    # One sample that does not fit with `latest`: `latest` goes in a piece of its own (after
    # the sample, as the newest), and numeric columns beyond the budget are left out.
    data = {**head, **rows}
    values = dict(rows["values"])
    while values and utf8_len(dumps({**data, "values": values})) > budget:
        values.popitem()
    out = [_piece({**data, "values": values})] if stop > start else []
    if "latest" in piece:
        out.append(_piece({**head, "latest": latest, "t": [], "level": [], "values": {}}))
    return out


def _piece(obj: dict[str, Any]) -> tuple[str, int]:
    text = dumps(obj)
    return text, utf8_len(text)
