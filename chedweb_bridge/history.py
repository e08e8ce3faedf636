"""Bounded per-status history (pure), so that a browser that connects gets charts that start full.

One history per status, a status being a (hardware_id, name) pair. Only numeric values are
kept, column by column in float arrays (8 bytes a sample, NaN where a key was absent), because
a dict per sample would cost ~30x more memory for an hour of history. Bounds, whichever bites
first: `history_seconds` of time (relative to the newest sample seen on any status),
`max_entries` samples per status, `max_statuses` statuses (the one updated least recently goes
first), and `max_keys` numeric keys per status (later new keys are ignored).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

from chedweb_bridge.codec import Status, numeric_value

DEFAULT_MAX_ENTRIES = 3600
DEFAULT_MAX_STATUSES = 256
DEFAULT_MAX_KEYS = 256
_NAN = math.nan


class SeriesHistory:
    """One status's samples, oldest first. Front trimming is lazy (`_start`) and compacts in
    batches, so appending stays O(1) amortized."""

    def __init__(self, name: str, hardware_id: str, max_keys: int) -> None:
        self.name = name
        self.hardware_id = hardware_id
        self.latest: Status = {}
        self._max_keys = max_keys
        self._start = 0
        self._t = array("d")
        self._level = array("b")
        self._values: dict[str, array[float]] = {}

    def __len__(self) -> int:
        return len(self._t) - self._start

    def append(self, t: float, status: Status) -> None:
        self.latest = status
        n = len(self._t)
        self._t.append(t)
        self._level.append(max(-128, min(127, int(status["level"]))))
        seen = set()
        for key, text in status["values"].items():
            value = numeric_value(text)
            if value is None:
                continue
            column = self._values.get(key)
            if column is None:
                if len(self._values) >= self._max_keys:
                    continue
                column = array("d", [_NAN]) * n
                self._values[key] = column
            column.append(value)
            seen.add(key)
        for key, column in self._values.items():
            if key not in seen:
                column.append(_NAN)

    def drop_before(self, t_min: float, keep_at_most: int) -> None:
        """Forget samples older than t_min, and beyond the newest `keep_at_most`."""
        start = max(self._start, len(self._t) - keep_at_most)
        while start < len(self._t) and self._t[start] < t_min:
            start += 1
        self._start = start
        if (start and start * 2 >= len(self._t)) or start > 4096:
            self._compact()

    def _compact(self) -> None:
        s = self._start
        del self._t[:s]
        del self._level[:s]
        for column in self._values.values():
            del column[:s]
        self._start = 0
        # A key absent from every kept sample no longer needs a column.
        for key in [k for k, c in self._values.items() if all(math.isnan(v) for v in c)]:
            del self._values[key]

    def rows(self, start: int, stop: int) -> dict[str, Any]:
        """Samples start..stop (0 = oldest kept) in snapshot form: t, level, values with None."""
        a, b = self._start + start, self._start + stop
        values: dict[str, list[float | None]] = {}
        for key, column in self._values.items():
            chunk = column[a:b]
            if all(math.isnan(v) for v in chunk):
                continue
            values[key] = [None if math.isnan(v) else v for v in chunk]
        return {"t": list(self._t[a:b]), "level": list(self._level[a:b]), "values": values}


class History:
    def __init__(self, history_seconds: float, max_entries: int = DEFAULT_MAX_ENTRIES,
                 max_statuses: int = DEFAULT_MAX_STATUSES, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self.history_seconds = history_seconds
        self.max_entries = max_entries
        self.max_statuses = max_statuses
        self.max_keys = max_keys
        # Keyed by (hardware_id, name), as the page groups them: two machines each running
        # system_metrics publish the same names. Insertion order doubles as recency order: a
        # status is moved to the end on update.
        self._series: dict[tuple[str, str], SeriesHistory] = {}
        self._newest = -math.inf

    def __len__(self) -> int:
        return len(self._series)

    def add(self, t: float, statuses: Sequence[Status]) -> None:
        if self.history_seconds <= 0 or self.max_entries <= 0:
            return
        self._newest = max(self._newest, t)
        for status in statuses:
            key = (status["hardware_id"], status["name"])
            series = self._series.pop(key, None) or SeriesHistory(key[1], key[0], self.max_keys)
            self._series[key] = series
            series.append(t, status)
        while len(self._series) > self.max_statuses:
            del self._series[next(iter(self._series))]
        self._trim()

    def _trim(self) -> None:
        t_min = self._newest - self.history_seconds
        for key in list(self._series):
            series = self._series[key]
            series.drop_before(t_min, self.max_entries)
            if not len(series):
                del self._series[key]

    def series(self) -> Iterator[SeriesHistory]:
        """Every status, sorted by (name, hardware_id) so the snapshot's order is stable."""
        for key in sorted(self._series, key=lambda k: (k[1], k[0])):
            yield self._series[key]

    def sample_count(self) -> int:
        return sum(len(s) for s in self._series.values())
