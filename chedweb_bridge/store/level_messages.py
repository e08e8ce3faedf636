"""The level-change log on the DataChannel (protocol version 2, capability "levels"), pure: the
request's fields checked with a reason, and the answer as `levels` messages under the peer's limit.

    page -> bridge  {"type":"levels","id":N,"hardware_id":H,"name":S,"from":T0,"to":T1}
    bridge -> page  {"type":"levels","id":N,"part":i,"parts":n,"hardware_id":H,"name":S,
                     "from":T0,"to":T1,"truncated":B,
                     "changes":[{"t":T,"old":L|null,"new":L,"message":M}, ...]}

`changes` are the status's level transitions in [from, to], oldest first, at most MAX_CHANGES
(then `truncated` is true: the newest ones were left out). `old` is null for the first level the
store ever kept for the status. The parts of one answer hold the changes in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chedweb_bridge import codec
from chedweb_bridge.store.range_messages import parse_status_window
from chedweb_bridge.store.tiers import LevelChange

MAX_CHANGES = 1000
MAX_MESSAGE_CHARS = 256  # of each change's status message
_MARGIN = 256  # the envelope's fields beyond what a part's estimate counts


@dataclass(frozen=True)
class LevelsQuery:
    id: int
    hardware_id: str
    name: str
    t0: float
    t1: float


def parse_levels(msg: Mapping[str, Any], request_id: int) -> LevelsQuery | str:
    """The request, or the reason it is refused (the error reply's message)."""
    window = parse_status_window(msg)
    if isinstance(window, str):
        return window
    return LevelsQuery(request_id, *window)


def encode_levels(query: LevelsQuery, changes: Sequence[LevelChange],
                  limit: int = codec.MAX_MESSAGE_BYTES) -> list[str]:
    """The `levels` parts, each below `limit` bytes. `changes` may hold one more than MAX_CHANGES:
    that says the log was cut."""
    truncated = len(changes) > MAX_CHANGES
    rows = [{"t": c.t, "old": _level(c.old), "new": _level(c.new), "message": _cut(c.message)}
            for c in changes[:MAX_CHANGES]]
    pieces = _pieces(rows, 0, len(rows), limit - _MARGIN) if rows else [[]]
    head = {"type": "levels", "id": query.id}
    body = {"hardware_id": query.hardware_id, "name": query.name, "from": query.t0, "to": query.t1,
            "truncated": truncated}
    return [codec.dumps({**head, "part": i, "parts": len(pieces), **body, "changes": piece})
            for i, piece in enumerate(pieces)]


def _cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE_CHARS else message[:MAX_MESSAGE_CHARS - 1] + "…"


def _level(level: int | None) -> int | None:
    """0..3 on the wire (the store keeps what the bridge forwarded, already 0..3)."""
    return None if level is None else level if 0 <= level <= 3 else codec.LEVEL_ERROR


def _pieces(rows: list[dict[str, Any]], start: int, stop: int, budget: int) -> list[list[dict[str, Any]]]:
    piece = rows[start:stop]
    if stop - start <= 1 or codec.utf8_len(codec.dumps(piece)) <= budget:
        return [piece]
    mid = (start + stop) // 2
    return _pieces(rows, start, mid, budget) + _pieces(rows, mid, stop, budget)
