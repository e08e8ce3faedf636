"""Range queries on the DataChannel (protocol version 2, capability "query"), pure: the request's
fields checked with a reason, and the answer as `range` messages under the peer's limit.

    page -> bridge  {"type":"query","id":N,"hardware_id":H,"name":S,"from":T0,"to":T1,
                     "points":P[,"keys":[K...]]}
    bridge -> page  {"type":"range","id":N,"part":i,"parts":n,"hardware_id":H,"name":S,
                     "tier":"raw"|"minute"|"hour","t0":T0,"step":W,"points":P,"start":s,
                     "level":[...],"values":{K:{"min":[...],"avg":[...],"max":[...]}}}

Point j of a part is point s + j of the range, which starts at t0 + (s + j) * step; null where
the range holds no data (a gap). The parts of one answer cover 0..P-1 in order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chedweb_bridge import codec
from chedweb_bridge.store.tiers import RangeResult

MAX_POINTS = 5000
MAX_KEYS = 256
MAX_SPAN_S = 400 * 86400.0
_MARGIN = 256  # the envelope's fields beyond what a part's estimate counts


@dataclass(frozen=True)
class RangeQuery:
    id: int
    hardware_id: str
    name: str
    t0: float
    t1: float
    points: int
    keys: tuple[str, ...] | None


def parse_status_window(msg: Mapping[str, Any]) -> tuple[str, str, float, float] | str:
    """(hardware_id, name, from, to) of a request about one status over a time window, or the
    reason it is refused: the part the `query` and `levels` requests share."""
    hardware_id, name = msg.get("hardware_id"), msg.get("name")
    if not isinstance(hardware_id, str) or not isinstance(name, str):
        return "'hardware_id' and 'name' must be strings"
    raw_t0, raw_t1 = msg.get("from"), msg.get("to")
    if not (_is_number(raw_t0) and _is_number(raw_t1)):
        return "'from' and 'to' must be Unix seconds"
    t0, t1 = float(raw_t0), float(raw_t1)  # type: ignore[arg-type]
    if not (math.isfinite(t0) and math.isfinite(t1)):
        return "'from' and 'to' must be Unix seconds"
    if not 0 < t1 - t0 <= MAX_SPAN_S:
        return f"'from' must be before 'to', at most {MAX_SPAN_S / 86400:g} days apart"
    return hardware_id, name, t0, t1


def parse_query(msg: Mapping[str, Any], request_id: int) -> RangeQuery | str:
    """The query, or the reason it is refused (the error reply's message)."""
    window = parse_status_window(msg)
    if isinstance(window, str):
        return window
    hardware_id, name, t0, t1 = window
    points, keys = msg.get("points"), msg.get("keys")
    if not isinstance(points, int) or isinstance(points, bool) or not 1 <= points <= MAX_POINTS:
        return f"'points' must be an integer 1..{MAX_POINTS}"
    if keys is not None and (not isinstance(keys, list) or len(keys) > MAX_KEYS
                             or not all(isinstance(k, str) for k in keys)):
        return f"'keys' must be a list of at most {MAX_KEYS} strings"
    return RangeQuery(request_id, hardware_id, name, t0, t1, points,
                      None if keys is None else tuple(keys))


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def encode_range(request_id: int, result: RangeResult, limit: int = codec.MAX_MESSAGE_BYTES) -> list[str]:
    """The `range` parts, each below `limit` bytes: split by point ranges, halved until each fits."""
    points = len(result.level)
    # Shortened once, not once per halving: with the JSON, this is most of a 7-day answer's cost.
    short = {key: (_short(result.lo[key]), _short(avg), _short(result.hi[key]))
             for key, avg in result.avg.items()}
    budget = limit - _MARGIN
    whole = _piece(result, short, 0, points)
    size = codec.utf8_len(codec.dumps(whole))
    if size <= budget:
        pieces = [whole]
    else:  # as many equal point ranges as the size says (and a tenth more), each checked
        n = min(points, math.ceil(size * 1.1 / budget))
        bounds = [points * i // n for i in range(n + 1)]
        pieces = [p for a, b in itertools.pairwise(bounds) if b > a
                  for p in _pieces(result, short, a, b, budget)]
    parts = len(pieces)
    head = {"type": "range", "id": request_id}
    return [codec.dumps({**head, "part": i, "parts": parts, **piece}) for i, piece in enumerate(pieces)]


Short = dict[str, tuple[list[float | None], list[float | None], list[float | None]]]


def _piece(result: RangeResult, short: Short, start: int, stop: int) -> dict[str, Any]:
    return {
        "hardware_id": result.hardware_id, "name": result.name, "tier": result.tier,
        "t0": result.t0, "step": result.step, "points": len(result.level), "start": start,
        "level": result.level[start:stop],
        "values": {key: {"min": lo[start:stop], "avg": avg[start:stop], "max": hi[start:stop]}
                   for key, (lo, avg, hi) in short.items()},
    }


def _pieces(result: RangeResult, short: Short, start: int, stop: int, budget: int) -> list[dict[str, Any]]:
    piece = _piece(result, short, start, stop)
    if stop - start <= 1 or codec.utf8_len(codec.dumps(piece)) <= budget:
        return [piece]
    mid = (start + stop) // 2
    return _pieces(result, short, start, mid, budget) + _pieces(result, short, mid, stop, budget)


def _short(values: list[float | None]) -> list[float | None]:
    """Seven significant digits: far below a chart's resolution, and half the bytes of repr."""
    return [None if v is None else float(f"{v:.7g}") for v in values]
