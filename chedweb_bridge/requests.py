"""Page -> bridge requests on the DataChannel (protocol version 2), pure: parsing with the reason
for a refusal, the replies, and the per-peer rate limit (docs/protocol.md "Requests").

Every request carries an integer `id`; the reply carries it back. A bad request gets
{"type":"error","id":N,"message":...} and changes nothing. This module is the one place requests
are limited: RequestLimiter, one per peer, for every request type.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from chedweb_bridge import codec
from chedweb_bridge.store.level_messages import LevelsQuery, parse_levels
from chedweb_bridge.store.range_messages import RangeQuery, parse_query

MAX_REQUEST_BYTES = 4096
# Capability "interest": a page declares at most this many statuses, in one request of at most this
# many bytes (1,024 statuses of long names do not fit the 4 KiB every other request gets).
MAX_INTEREST_STATUSES = 1024
MAX_INTEREST_BYTES = 64 * 1024
# A hardware_id or name longer than this is no status the bridge forwards uncut (codec.fit_status).
MAX_INTEREST_NAME = 1024
MAX_KEY = 512
MAX_BY = 64
MAX_MUTE_SECONDS = 86400

ALERT_TYPES = ("alert_ack", "alert_mute", "alert_unmute")


class RequestError(Exception):
    """A refused request: `id` (None when it could not be read) and the reason."""

    def __init__(self, request_id: int | None, message: str) -> None:
        super().__init__(message)
        self.request_id = request_id
        self.message = message


@dataclass(frozen=True)
class AlertRequest:
    type: str  # one of ALERT_TYPES
    id: int
    key: str
    by: str
    token: str | None
    level: int = 0  # alert_ack
    seconds: int = 0  # alert_mute


@dataclass(frozen=True)
class InterestRequest:
    """Capability "interest": the statuses whose `values` the page shows (hardware_id, name)."""
    id: int
    statuses: frozenset[codec.StatusKey]
    type: str = "interest"


def parse(text: str | bytes) -> AlertRequest | RangeQuery | LevelsQuery | InterestRequest:
    """One DataChannel text from a page as a request, or RequestError with the reason."""
    if isinstance(text, bytes):
        raise RequestError(None, "request not text")
    size = codec.utf8_len(text)
    if size > MAX_INTEREST_BYTES:
        raise RequestError(None, f"request above {MAX_INTEREST_BYTES} bytes")
    if size > MAX_REQUEST_BYTES and '"interest"' not in text:
        # Only an interest may be larger, and one names its type in its text: the rest are
        # refused before parsing, so up to 64 KiB of JSON is not parsed on the peers' loop for
        # a request that is refused anyway.
        raise RequestError(_peeked_id(text), f"request above {MAX_REQUEST_BYTES} bytes")
    try:
        msg = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: arrays nested too deeply to parse
        raise RequestError(None, "request is not JSON") from None
    if not isinstance(msg, dict):
        raise RequestError(None, "request is not a JSON object")
    raw_id = msg.get("id")
    if not _is_int(raw_id) or raw_id < 0:
        raise RequestError(None, "request needs a non-negative integer 'id'")
    rid = int(raw_id)
    kind = msg.get("type")
    if kind == "interest":
        return _parse_interest(msg, rid)
    if size > MAX_REQUEST_BYTES:  # it names "interest", but not as its type
        raise RequestError(rid, f"request above {MAX_REQUEST_BYTES} bytes")
    if kind == "query":  # capability "query": a range of the durable history (store/range_messages.py)
        query = parse_query(msg, rid)
        if isinstance(query, str):
            raise RequestError(rid, query)
        return query
    if kind == "levels":  # capability "levels": a status's level-change log (store/level_messages.py)
        levels = parse_levels(msg, rid)
        if isinstance(levels, str):
            raise RequestError(rid, levels)
        return levels
    if kind not in ALERT_TYPES:
        raise RequestError(rid, f"unknown request type {kind!r}")
    key, by, token = msg.get("key"), msg.get("by"), msg.get("token")
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY:
        raise RequestError(rid, f"'key' must be a string of 1..{MAX_KEY} characters")
    if not isinstance(by, str) or not 0 < len(by.strip()) <= MAX_BY:
        raise RequestError(rid, f"'by' must be a name of 1..{MAX_BY} characters")
    if token is not None and not isinstance(token, str):
        raise RequestError(rid, "'token' must be a string")
    level = seconds = 0
    if kind == "alert_ack":
        raw = msg.get("level")
        if not _is_int(raw) or not 0 <= raw <= 3:
            raise RequestError(rid, "'level' must be 0..3")
        level = int(raw)
    if kind == "alert_mute":
        raw = msg.get("seconds")
        if not _is_int(raw) or not 1 <= raw <= MAX_MUTE_SECONDS:
            raise RequestError(rid, f"'seconds' must be an integer 1..{MAX_MUTE_SECONDS}")
        seconds = int(raw)
    return AlertRequest(str(kind), rid, key, by.strip(), token, level, seconds)


# A JSON member "id" with a non-negative integer value (JSON's whitespace only): what parse's
# check of the id accepts.
_ID_MEMBER = re.compile(r'"id"[ \t\n\r]*:[ \t\n\r]*(0|[1-9][0-9]*)[ \t\n\r]*[,}]')


def _peeked_id(text: str) -> int | None:
    """The id of a request refused unparsed, read from its text where it names one "id" only
    (so no other member's can be taken for it); else None, as for an id that cannot be read."""
    if text.count('"id"') != 1:
        return None
    found = _ID_MEMBER.search(text)
    return int(found.group(1)) if found else None


def _parse_interest(msg: dict[str, Any], rid: int) -> InterestRequest:
    statuses = msg.get("statuses")
    if not isinstance(statuses, list) or len(statuses) > MAX_INTEREST_STATUSES:
        raise RequestError(rid, f"'statuses' must be a list of at most {MAX_INTEREST_STATUSES} statuses")
    keys: set[codec.StatusKey] = set()
    for i, entry in enumerate(statuses):
        hardware_id = entry.get("hardware_id") if isinstance(entry, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(hardware_id, str) or not isinstance(name, str) \
                or len(hardware_id) > MAX_INTEREST_NAME or len(name) > MAX_INTEREST_NAME:
            raise RequestError(rid, f"statuses[{i}] must be {{\"hardware_id\": string, \"name\": string}} "
                                    f"of at most {MAX_INTEREST_NAME} characters each")
        keys.add((hardware_id, name))
    return InterestRequest(rid, frozenset(keys))


def interest_reply(request_id: int, statuses: int, latest: Sequence[codec.Status] = (),
                   limit: int = codec.MAX_MESSAGE_BYTES) -> str:
    """Capability "interest": the request was taken; `statuses` is how many distinct ones, and
    `latest` the last full status the bridge holds of those the page did not ask for before, so
    a row just opened shows its values at once rather than at the status's next message. As many
    as fit in the peer's limit (each cut as the live path cuts it); the rest come with their next
    message."""
    budget = codec.status_budget(limit)
    room = limit - 512
    kept: list[str] = []
    for status in latest:
        text = codec.dumps(codec.fit_status(status, budget))
        room -= codec.utf8_len(text) + 1
        if room < 0:
            break
        kept.append(text)
    head = f'{{"type":"interest_ok","id":{int(request_id)},"statuses":{int(statuses)}'
    return f'{head},"latest":[{",".join(kept)}]}}'


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def ok_reply(request_id: int) -> str:
    return codec.dumps({"type": "alert_ok", "id": request_id})


def error_reply(request_id: int | None, message: str) -> str:
    """The refusal. A request whose id could not be read gets id -1 (no page request has it)."""
    return codec.dumps({"type": "error", "id": -1 if request_id is None else request_id,
                        "message": message[:200]})


class RequestLimiter:
    """Token bucket: `burst` requests at once, refilled at `rate` per second. One per peer."""

    def __init__(self, rate: float = 5.0, burst: float = 10.0) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._last = -math.inf

    def allow(self, now: float) -> bool:
        if self._last != -math.inf:
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True
