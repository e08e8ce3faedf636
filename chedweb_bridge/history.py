"""Bounded per-status history (pure), so that a browser that connects gets charts that start full.

One history per status, a status being a (hardware_id, name) pair. Only numeric values are
kept, column by column in float arrays (8 bytes a sample, NaN where a key was absent), because
a dict per sample would cost ~30x more memory for an hour of history. Bounds, whichever bites
first: `history_seconds` of time (relative to the newest sample seen on any status),
`max_entries` samples per status, `max_statuses` statuses (the one updated least recently goes
first), and `max_keys` numeric keys per status (later new keys are ignored). The window is
measured on the bridge's receive clock (timebase.py), never on publishers' stamps.

A snapshot is taken in two steps (docs/architecture.md, "Loop hygiene"): `snapshot_copy()` on
the loop copies the columns (a memcpy per column), then the copy is decimated and encoded in a
worker thread, so a new peer never stalls the others.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from chedweb_bridge import timebase
from chedweb_bridge.codec import Status, numeric_values

DEFAULT_MAX_ENTRIES = 3600
DEFAULT_MAX_STATUSES = 256
DEFAULT_MAX_KEYS = 256
# A snapshot sends at most this many points per status: what a chart a few hundred pixels wide
# can draw. Each bucket of samples becomes two points holding every key's minimum and maximum
# (in time order), so spikes survive decimation (web/src/decimate.ts does the same).
SNAPSHOT_MAX_POINTS = 300
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
        self._received = array("d")  # the bridge's receive clock: what the window is measured on
        self._level = array("b")
        self._values: dict[str, array[float]] = {}

    def __len__(self) -> int:
        return len(self._t) - self._start

    def append(self, t: float, status: Status, received: float,
               numbers: dict[str, float] | None = None) -> None:
        """One sample; `numbers`: its numeric values (codec.numeric_values), when already parsed."""
        self.latest = status
        n = len(self._t)
        self._t.append(t)
        self._received.append(received)
        self._level.append(max(-128, min(127, int(status["level"]))))
        if numbers is None:
            numbers = numeric_values(status["values"])
        columns = self._values
        if numbers.keys() == columns.keys():  # the usual sample: the same keys as the last one
            for key, value in numbers.items():
                columns[key].append(value)
            return
        seen = set()
        for key, value in numbers.items():
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

    def drop_before(self, received_min: float, keep_at_most: int) -> None:
        """Forget samples received before received_min, and beyond the newest `keep_at_most`."""
        start = max(self._start, len(self._t) - keep_at_most)
        while start < len(self._t) and self._received[start] < received_min:
            start += 1
        self._start = start
        # Compact once the dead prefix is an eighth of the arrays (at least 16 samples, below
        # which array.array would not give memory back): a full history then holds at most ~1/7
        # more than its kept samples, where "half" let it hold twice as many for another whole
        # window (the soak's RSS kept growing after the history was full). Each compaction moves
        # the kept samples once, so appending stays O(1) amortized (about 7 moves a sample).
        if (start >= 16 and start * 8 >= len(self._t)) or start > 4096:
            self._compact()

    def _compact(self) -> None:
        s = self._start
        del self._t[:s]
        del self._received[:s]
        del self._level[:s]
        for column in self._values.values():
            del column[:s]
        self._start = 0
        # A key absent from every kept sample no longer needs a column. One whose newest sample
        # has it (the usual case, a Python check) is not looked through: at a 5 s window this
        # runs every 16 samples, and a numpy pass over every column cost a third of the history.
        for key in [k for k, c in self._values.items() if not (c and c[-1] == c[-1]) and _all_nan(c)]:
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

    def copy(self) -> SeriesCopy:
        """The kept samples, copied (on the loop, cheap), for decimating and encoding elsewhere."""
        s = self._start
        return SeriesCopy(self.name, self.hardware_id, self.latest, self._t[s:], self._level[s:],
                          {k: c[s:] for k, c in self._values.items()})


class SeriesCopy:
    """One status's history frozen for a snapshot; `decimated()` runs off the loop."""

    def __init__(self, name: str, hardware_id: str, latest: Status, t: array[float],
                 level: array[int], values: dict[str, array[float]]) -> None:
        self.name = name
        self.hardware_id = hardware_id
        self.latest = latest
        self._t = np.frombuffer(t, dtype=np.float64) if len(t) else np.zeros(0)
        self._level = np.frombuffer(level, dtype=np.int8) if len(level) else np.zeros(0, np.int8)
        self._values = {k: np.frombuffer(c, dtype=np.float64) if len(c) else np.zeros(0)
                        for k, c in values.items()}

    def __len__(self) -> int:
        return len(self._t)

    def decimated(self, max_points: int = SNAPSHOT_MAX_POINTS) -> SeriesCopy:
        """At most `max_points` samples: per bucket of samples, two points (the bucket's first
        and last time) holding each key's minimum and maximum in the order they occurred, and
        the bucket's worst level. Unchanged if already short enough."""
        n = len(self._t)
        if n <= max_points or max_points < 2:
            return self
        size = -(-n // (max_points // 2))
        starts = np.arange(0, n, size)
        ends = np.minimum(starts + size, n) - 1
        # A bucket of one sample (the last may be) gives one point, not the same one twice.
        second = ends > starts
        t = _interleave(self._t[starts], self._t[ends], second)
        worst = np.maximum.reduceat(self._level, starts)
        level = _interleave(worst, worst, second)
        values = {}
        padded = len(starts) * size
        for key, col in self._values.items():
            lo = np.fmin.reduceat(col, starts)  # fmin/fmax skip NaN (absent) unless all are
            hi = np.fmax.reduceat(col, starts)
            grid = np.full(padded, np.nan)
            grid[:n] = col
            rows = grid.reshape(len(starts), size)
            nan = np.isnan(rows)
            min_at = np.argmin(np.where(nan, np.inf, rows), axis=1)
            max_at = np.argmax(np.where(nan, -np.inf, rows), axis=1)
            low_first = min_at <= max_at
            values[key] = _interleave(np.where(low_first, lo, hi), np.where(low_first, hi, lo), second)
        out = SeriesCopy.__new__(SeriesCopy)
        out.name, out.hardware_id, out.latest = self.name, self.hardware_id, self.latest
        out._t, out._level, out._values = t, level, values
        return out

    def rows(self, start: int, stop: int) -> dict[str, Any]:
        """As SeriesHistory.rows."""
        values: dict[str, list[float | None]] = {}
        for key, column in self._values.items():
            chunk = column[start:stop]
            if np.isnan(chunk).all():
                continue
            values[key] = [None if v != v else v for v in chunk.tolist()]
        return {"t": self._t[start:stop].tolist(), "level": self._level[start:stop].tolist(),
                "values": values}


def _all_nan(column: array[float]) -> bool:
    """True if no sample has this key; vectorised, because compaction now runs ~8x as often."""
    return not len(column) or bool(np.isnan(np.frombuffer(column, dtype=np.float64)).all())


def _interleave(first: np.ndarray, second: np.ndarray, keep_second: np.ndarray) -> np.ndarray:
    """first[0], second[0], first[1], second[1], ... without the seconds where keep_second is False."""
    both = np.empty(len(first) * 2, dtype=first.dtype)
    both[0::2] = first
    both[1::2] = second
    mask = np.ones(len(both), dtype=bool)
    mask[1::2] = keep_second
    return both[mask]


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
        self._now = -math.inf

    def __len__(self) -> int:
        return len(self._series)

    def add(self, t: float, statuses: Sequence[Status], received: float | None = None,
            numbers: Sequence[dict[str, float]] | None = None) -> None:
        """One array's statuses, stamped `t` (shown), received at `received` (the window's clock;
        defaults to t). `numbers`: each status's numeric values, parsed once for the bridge by the
        ROS callback (codec.numeric_values); parsed here when not given."""
        if self.history_seconds <= 0 or self.max_entries <= 0:
            return
        received = t if received is None else received
        # The newest receive time, not the max ever: a wall-clock step back keeps history rather
        # than deleting it, and one bad input can never move the window.
        self._now = received
        for i, status in enumerate(statuses):
            key = (status["hardware_id"], status["name"])
            series = self._series.pop(key, None) or SeriesHistory(key[1], key[0], self.max_keys)
            self._series[key] = series
            series.append(t, status, received, numbers[i] if numbers is not None else None)
        while len(self._series) > self.max_statuses:
            del self._series[next(iter(self._series))]
        self._trim()

    def _trim(self) -> None:
        received_min = timebase.window_start(self._now, self.history_seconds)
        for key in list(self._series):
            series = self._series[key]
            series.drop_before(received_min, self.max_entries)
            if not len(series):
                del self._series[key]

    def latest(self, key: tuple[str, str]) -> Status | None:
        """The last status received of (hardware_id, name), while the history holds it."""
        series = self._series.get(key)
        return series.latest if series is not None else None

    def series(self) -> Iterator[SeriesHistory]:
        """Every status, sorted by (name, hardware_id) so the snapshot's order is stable."""
        for key in sorted(self._series, key=lambda k: (k[1], k[0])):
            yield self._series[key]

    def snapshot_copy(self) -> list[SeriesCopy]:
        """Every status's samples copied, in `series()` order: taken on the loop in one go, so
        the snapshot holds exactly the messages received so far."""
        return [s.copy() for s in self.series()]

    def sample_count(self) -> int:
        return sum(len(s) for s in self._series.values())
