"""Wire codec (pure): DiagnosticArray-like objects to protocol v1 JSON text, encoded once.

Everything the bridge sends on a DataChannel is built here. The ROS callback converts a message
with `statuses_from_msg`, then `encode_diagnostics` produces the JSON text that is sent unchanged
to every peer. `level` is a `byte` in rclpy (b'\\x00'..b'\\x03'); it becomes an int only here.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

PROTOCOL_VERSION = 1
# Every DataChannel message stays below this many bytes of UTF-8 (browsers and aiortc both
# handle larger ones, but 64 KiB keeps each message within one SCTP reassembly comfortably).
MAX_MESSAGE_BYTES = 64 * 1024
# Room left for the envelope fields that are added after a part's size is estimated.
_ENVELOPE_MARGIN = 512

Status = dict[str, Any]


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


def level_to_int(level: bytes | int) -> int:
    """DiagnosticStatus.level as an int: rclpy gives a 1-byte `bytes`, other sources an int."""
    if isinstance(level, (bytes, bytearray)):
        return level[0] if level else 0
    return int(level)


def stamp_seconds(sec: int, nanosec: int, receive_time: float) -> float:
    """header.stamp in float seconds, or the receive time when the publisher left it zero."""
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


def hello(hostname: str, version: str, topics: Sequence[str], history_seconds: float, seq: int) -> str:
    return dumps({
        "type": "hello", "protocol": PROTOCOL_VERSION, "hostname": hostname, "version": version,
        "topics": list(topics), "history_seconds": history_seconds, "seq": seq,
    })


def encode_diagnostics(seq: int, topic: str, stamp: float, statuses: Sequence[Status],
                       limit: int = MAX_MESSAGE_BYTES) -> list[str]:
    """The live `diagnostics` message(s) for one DiagnosticArray: one text normally; several with
    the same seq/topic/stamp and a subset of the statuses each when one would exceed `limit`."""
    text = _diagnostics(seq, topic, stamp, statuses)
    if utf8_len(text) < limit or len(statuses) <= 1:
        # A single status larger than the limit cannot be split without changing it; it is sent
        # whole (aiortc and browsers accept it) rather than dropped.
        return [text]
    half = len(statuses) // 2
    return (encode_diagnostics(seq, topic, stamp, statuses[:half], limit)
            + encode_diagnostics(seq, topic, stamp, statuses[half:], limit))


def _diagnostics(seq: int, topic: str, stamp: float, statuses: Sequence[Status]) -> str:
    return dumps({"type": "diagnostics", "seq": seq, "topic": topic, "stamp": stamp,
                  "statuses": list(statuses)})


def numeric_value(text: str) -> float | None:
    """A KeyValue value as a finite float, or None when it is not a plain number."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# ---- snapshot -------------------------------------------------------------------------------

class StatusHistory(Protocol):
    """What the snapshot encoder needs from one status's history (see history.py)."""
    name: str
    hardware_id: str
    latest: Status

    def __len__(self) -> int: ...
    def rows(self, start: int, stop: int) -> dict[str, Any]: ...


def encode_snapshot(histories: Iterable[StatusHistory], limit: int = MAX_MESSAGE_BYTES) -> list[str]:
    """`snapshot` parts, each below `limit` bytes. A status too long for one part is split by time
    into consecutive pieces; `latest` rides with its newest piece. Never returns an empty list."""
    budget = limit - _ENVELOPE_MARGIN
    pieces: list[tuple[str, int]] = []
    for history in histories:
        pieces += _pieces(history, 0, len(history), budget)
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


def _pieces(history: StatusHistory, start: int, stop: int, budget: int) -> list[tuple[str, int]]:
    """Samples start..stop of one status as encoded pieces (text, UTF-8 size), halved by time
    until each fits in `budget`."""
    piece: dict[str, Any] = {"name": history.name, "hardware_id": history.hardware_id}
    if stop == len(history):
        piece["latest"] = history.latest
    piece.update(history.rows(start, stop))
    text = dumps(piece)
    size = utf8_len(text)
    if stop - start <= 1 or size <= budget:
        return [(text, size)]
    mid = (start + stop) // 2
    return _pieces(history, start, mid, budget) + _pieces(history, mid, stop, budget)
