"""The latest status of each (hardware_id, name), for GET /metrics: bounded and thread-safe.

Written by the ROS callback (executor thread), read by a scrape (an HTTP handler thread). Not the
history: /metrics must work with `history_seconds` 0, and a scrape must never reach into the
asyncio loop's structures. The lock is held only for a dict update or a shallow copy; statuses
are never mutated after decoding, so the copy can share them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from chedweb_bridge.codec import Status

# As many statuses as the history keeps (history.DEFAULT_MAX_STATUSES): cardinality stays
# bounded however many names a misbehaving node invents; the least recently updated go first.
DEFAULT_MAX_STATUSES = 256


@dataclass(frozen=True)
class Latest:
    status: Status
    received: float  # the bridge's receive clock (time.time()), never the publisher's stamp


class LatestStatuses:
    def __init__(self, max_statuses: int = DEFAULT_MAX_STATUSES) -> None:
        self.max_statuses = max_statuses
        self._lock = threading.Lock()
        # Insertion order is recency order: an updated status moves to the end.
        self._by_key: dict[tuple[str, str], Latest] = {}

    def update(self, received: float, statuses: Sequence[Status]) -> None:
        with self._lock:
            for status in statuses:
                key = (str(status["hardware_id"]), str(status["name"]))
                self._by_key.pop(key, None)
                self._by_key[key] = Latest(status, received)
            while len(self._by_key) > self.max_statuses:
                del self._by_key[next(iter(self._by_key))]

    def snapshot(self) -> list[Latest]:
        with self._lock:
            return list(self._by_key.values())
