"""Bounded per-status history (pure), so that a browser that connects gets charts that start full.

One history per status, a status being a (hardware_id, name) pair. Only numeric values are
kept, column by column in float arrays (8 bytes a value, NaN where a key was absent), because
a dict per sample would cost ~30x more memory.

Kept at the resolution the connect snapshot sends, not every sample (issue 12, RSS once the
history is full): all it serves is a snapshot of at most 300 points per status, and every sample
of 50 statuses x 20 keys at 10 Hz was 33 MiB, yet covered only 6 of the 60 minutes of
`history_seconds` (3,600 samples a status). So each status's `history_seconds` is cut into
`BUCKETS` (150) buckets of equal width on the bridge's receive clock (timebase.py). A bucket's
samples are kept as they come; when the bucket closes (a sample arrives past its end, or before
its start after a wall-clock step back) its samples are reduced in place to at most two points,
the rule the snapshot's decimation applies (`_reduce_rows`): the bucket's first and last sample
time, each key's minimum and maximum in the order they occurred (NaN-aware like np.fmin/fmax, so
spikes survive), and the bucket's worst level at both. An open bucket that reaches `max_open`
samples (a fast publisher) is reduced the same way and stays open: the min and max of min/max
pairs are those of the samples, so the result is the same, and a status holds at most
~2 x 151 + `max_open` points whatever its rate. Each status's bucket edges are offset by a
phase of its own, so the statuses' buckets do not all close on the same message.

Other bounds: `history_seconds` of time (relative to the newest sample seen on any status;
points are trimmed by their receive time), `max_statuses` statuses (the one updated least
recently goes first), and `max_keys` numeric keys per status (later new keys are ignored).

A snapshot is taken in two steps (docs/architecture.md, "Delivery and backpressure"): `snapshot_copy()` on
the loop copies the columns (a memcpy per column), then the copy is decimated and encoded in a
worker thread, so a new peer never stalls the others.
"""

from __future__ import annotations

import math
import zlib
from array import array
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from chedweb_bridge import timebase
from chedweb_bridge.codec import Status, numeric_values

DEFAULT_MAX_STATUSES = 256
DEFAULT_MAX_KEYS = 256
# A snapshot sends at most this many points per status: what a chart a few hundred pixels wide
# can draw. Each bucket of samples becomes two points holding every key's minimum and maximum
# (in time order), so spikes survive decimation (web/src/decimate.ts does the same).
SNAPSHOT_MAX_POINTS = 300
# Buckets per `history_seconds`: two points each, the snapshot's resolution.
BUCKETS = SNAPSHOT_MAX_POINTS // 2
# An open bucket holding this many samples is reduced to two points and stays open (a fast
# publisher). At issue 12's 10 Hz and the default hour a bucket (24 s) holds 240 samples: one
# reduction a bucket, at its close (at 128 it was two, ~0.01 ms a message more, for 0.5 MiB less
# at 50 statuses x 20 keys).
DEFAULT_MAX_OPEN = 256
_NAN = math.nan
_INF = math.inf


class SeriesHistory:
    """One status's points, oldest first: reduced buckets, then the open bucket's samples.
    Front trimming is lazy (`_start`) and compacts in batches, so appending stays O(1)
    amortized."""

    def __init__(self, name: str, hardware_id: str, max_keys: int, max_open: int = DEFAULT_MAX_OPEN) -> None:
        self.name = name
        self.hardware_id = hardware_id
        self.latest: Status = {}
        self._max_keys = max_keys
        self._max_open = max(2, max_open)
        self._start = 0
        self._t = array("d")
        self._received = array("d")  # the bridge's receive clock: what the window is measured on
        self._level = array("b")
        self._values: dict[str, array[float]] = {}
        # The open bucket: its first row, and its edges on the receive clock. The edges are
        # offset by a fraction of a bucket of this status's own, so that statuses updated
        # together do not all close a bucket (a few numpy calls each) on the same message.
        self._phase = zlib.crc32(f"{hardware_id}\0{name}".encode()) / 2**32
        self._open = 0
        self._open_start = _INF
        self._open_end = -_INF
        self._width = 0.0

    def __len__(self) -> int:
        return len(self._t) - self._start

    def append(self, t: float, status: Status, received: float,
               numbers: dict[str, float] | None = None, width: float = 0.0) -> None:
        """One sample; `numbers`: its numeric values (codec.numeric_values), when already parsed.
        `width`: the buckets' width in seconds (0: every sample a bucket of its own)."""
        self.latest = status
        # Two comparisons a sample when it falls in the open bucket (nearly always).
        if received >= self._open_end or received < self._open_start:  # a new bucket
            if len(self._t) - self._open > 1:
                _reduce_rows(self, self._open)
            self._open = len(self._t)
            self._width = width
            if width > 0:
                offset = self._phase * width
                start = (received - offset) // width * width + offset
                if start > received:  # float rounding at an edge
                    start -= width
                elif received >= start + width:
                    start += width
                self._open_start, self._open_end = start, start + width
            else:  # every sample a bucket of its own
                self._open_start, self._open_end = _INF, -_INF
        elif len(self._t) - self._open >= self._max_open:
            _reduce_rows(self, self._open)
        n = len(self._t)
        self._t.append(t)
        self._received.append(received)
        level = status["level"]
        self._level.append(level if type(level) is int and -128 <= level <= 127
                           else max(-128, min(127, int(level))))
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

    def close_bucket(self) -> None:
        """The open bucket is closed by the next sample (the buckets' width changed)."""
        self._open_start, self._open_end = _INF, -_INF

    def drop_before(self, received_min: float) -> float:
        """Forget the rows received before received_min. Returns the receive time of the front
        row left, the next one trimming would drop (NaN: none left). Rows are in receive order
        but after a wall-clock step back, and trimming stops at the first one in the window."""
        start = self._start
        while start < len(self._t) and self._received[start] < received_min:
            start += 1
        front = self._received[start] if start < len(self._t) else _NAN
        self._start = start
        self._open = max(self._open, start)
        # Compact once the dead prefix is an eighth of the arrays (at least 16 rows, below
        # which array.array would not give memory back): a full history then holds at most ~1/7
        # more than its kept points. Each compaction moves the kept rows once, so appending
        # stays O(1) amortized (about 7 moves a row).
        if (start >= 16 and start * 8 >= len(self._t)) or start > 4096:
            self._compact()
        return front

    def _compact(self) -> None:
        s = self._start
        del self._t[:s]
        del self._received[:s]
        del self._level[:s]
        for column in self._values.values():
            del column[:s]
        self._start = 0
        self._open -= s
        # A key absent from every kept row no longer needs a column. One whose newest row has
        # it (the usual case, a Python check) is not looked through.
        for key in [k for k, c in self._values.items() if not (c and c[-1] == c[-1]) and _all_nan(c)]:
            del self._values[key]

    def rows(self, start: int, stop: int) -> dict[str, Any]:
        """Rows start..stop (0 = oldest kept) in snapshot form: t, level, values with None."""
        a, b = self._start + start, self._start + stop
        values: dict[str, list[float | None]] = {}
        for key, column in self._values.items():
            chunk = column[a:b]
            if all(math.isnan(v) for v in chunk):
                continue
            values[key] = [None if math.isnan(v) else v for v in chunk]
        return {"t": list(self._t[a:b]), "level": list(self._level[a:b]), "values": values}

    def copy(self) -> SeriesCopy:
        """The kept rows, copied (on the loop, cheap), for decimating and encoding elsewhere."""
        s = self._start
        return SeriesCopy(self.name, self.hardware_id, self.latest, self._t[s:], self._level[s:],
                          {k: c[s:] for k, c in self._values.items()}, self._received[s:],
                          self._width, self._phase)


def _reduce_rows(series: SeriesHistory, a: int) -> None:
    """Rows a.. of `series` (one bucket: at least two) become at most two, in place: the
    bucket's first and last time (and receive time), each key's minimum and maximum in the
    order they occurred (the first of equal ones; NaN skipped unless every row lacks the key),
    and the worst level at both. The rule SeriesCopy.decimated applies."""
    t, received, level, columns = series._t, series._received, series._level, series._values
    n = len(t) - a
    worst = max(level[a:])
    if n == 2:  # two rows are their own min and max; only a missing value or the level changes
        level[a] = level[a + 1] = worst
        for column in columns.values():
            x, y = column[a], column[a + 1]
            if x != x:
                column[a] = y
            elif y != y:
                column[a + 1] = x
        return
    cols = list(columns.values())
    if cols:
        # One copy of the bucket's rows as a keys x rows matrix (bytes.join reads each column's
        # buffer; the memoryviews are gone before the columns are resized below).
        m = np.frombuffer(b"".join([memoryview(c)[a:] for c in cols]), dtype=np.float64).reshape(len(cols), n)
        firsts, seconds = bucket_min_max(m, _FIRST_ROW)
        for column, first, second in zip(cols, firsts[:, 0].tolist(), seconds[:, 0].tolist(), strict=True):
            column[a] = first
            column[a + 1] = second
            del column[a + 2:]
    t[a + 1] = t[-1]
    received[a + 1] = received[-1]
    level[a] = level[a + 1] = worst
    del t[a + 2:]
    del received[a + 2:]
    del level[a + 2:]


_FIRST_ROW = np.zeros(1, dtype=np.intp)


def bucket_min_max(m: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The decimation rule, for a keys x rows matrix cut into buckets of rows at `starts` (the
    first row of each, rising, starting at 0): per key and bucket, its minimum and maximum in the
    order they occurred, as (first, second), each keys x buckets. The first of equal values
    counts; NaN (a sample without the key) is skipped, unless the bucket has none of the key's
    values, then both are NaN. `_reduce_rows` (one bucket, in place) and `SeriesCopy.decimated`
    (every bucket of a snapshot) both apply it; web/src/decimate.ts is the page's copy."""
    n = m.shape[1]
    if len(starts) == 1:  # one bucket (the loop's case): argmin and argmax give the first of equals
        if math.isnan(m.sum()):  # a key missing from some row
            nan = np.isnan(m)
            min_at = np.where(nan, np.inf, m).argmin(axis=1)
            max_at = np.where(nan, -np.inf, m).argmax(axis=1)
        else:  # the usual bucket, without the temporaries
            min_at, max_at = m.argmin(axis=1), m.argmax(axis=1)
        rows = np.arange(len(m))  # a key in no row: both at 0, a NaN, and it stays NaN
        return (m[rows, np.minimum(min_at, max_at)][:, None],
                m[rows, np.maximum(min_at, max_at)][:, None])
    sizes = np.diff(np.append(starts, n))
    nan = np.isnan(m)
    lo_src = np.where(nan, np.inf, m)
    hi_src = np.where(nan, -np.inf, m)
    lo = np.minimum.reduceat(lo_src, starts, axis=1)
    hi = np.maximum.reduceat(hi_src, starts, axis=1)
    # Where each bucket's minimum and maximum first occur (n where a row is not one).
    index = np.arange(n)
    min_at = np.minimum.reduceat(np.where(lo_src == np.repeat(lo, sizes, axis=1), index, n), starts, axis=1)
    max_at = np.minimum.reduceat(np.where(hi_src == np.repeat(hi, sizes, axis=1), index, n), starts, axis=1)
    absent = np.logical_and.reduceat(nan, starts, axis=1)
    lo[absent] = np.nan
    hi[absent] = np.nan
    low_first = min_at <= max_at
    return np.where(low_first, lo, hi), np.where(low_first, hi, lo)


class SeriesCopy:
    """One status's history frozen for a snapshot; `decimated()` runs off the loop."""

    def __init__(self, name: str, hardware_id: str, latest: Status, t: array[float],
                 level: array[int], values: dict[str, array[float]], received: array[float] | None = None,
                 bucket_width: float = 0.0, phase: float = 0.0) -> None:
        self.name = name
        self.hardware_id = hardware_id
        self.latest = latest
        self._t = np.frombuffer(t, dtype=np.float64) if len(t) else np.zeros(0)
        self._level = np.frombuffer(level, dtype=np.int8) if len(level) else np.zeros(0, np.int8)
        self._values = {k: np.frombuffer(c, dtype=np.float64) if len(c) else np.zeros(0)
                        for k, c in values.items()}
        if received is None:
            self._received = self._t
        else:
            self._received = np.frombuffer(received, dtype=np.float64) if len(received) else np.zeros(0)
        self._width = bucket_width
        self._phase = phase

    def __len__(self) -> int:
        return len(self._t)

    def decimated(self, max_points: int = SNAPSHOT_MAX_POINTS) -> SeriesCopy:
        """At most `max_points` points, unchanged if already that short. Else each bucket of the
        history (by receive time: the reduced ones, already at most two points, and the open
        one's samples) becomes at most two points by the rule of `_reduce_rows`; buckets beyond
        max_points / 2 (a partly trimmed oldest one, or finer ones from before history_seconds
        grew) are merged with their neighbours, evenly, first. The min and max of min/max pairs
        are the samples' own, so spikes survive."""
        n = len(self._t)
        if n <= max_points or max_points < 2:
            return self
        groups = max_points // 2
        received = self._received
        width, offset = self._width, self._phase * self._width
        if width <= 0:  # not from a history: equal receive-time buckets over the span
            offset = float(received.min())
            width = (float(received.max()) - offset) / groups or 1.0
        bucket = np.floor((received - offset) / width)
        run_starts = np.flatnonzero(np.diff(bucket, prepend=np.nan))  # NaN: the first row starts one
        if len(run_starts) > groups:
            merged = np.arange(len(run_starts)) * groups // len(run_starts)
            run_starts = run_starts[np.flatnonzero(np.diff(merged, prepend=-1))]
        starts = run_starts
        sizes = np.diff(np.append(starts, n))
        ends = starts + sizes - 1
        # A bucket of one sample gives one point, not the same one twice.
        second_kept = ends > starts
        t = _interleave(self._t[starts], self._t[ends], second_kept)
        worst = np.maximum.reduceat(self._level, starts)
        level = _interleave(worst, worst, second_kept)
        values = {}
        if self._values:
            firsts, seconds = bucket_min_max(np.vstack(list(self._values.values())), starts)
            for key, first, second in zip(self._values, firsts, seconds, strict=True):
                values[key] = _interleave(first, second, second_kept)
        out = SeriesCopy.__new__(SeriesCopy)
        out.name, out.hardware_id, out.latest = self.name, self.hardware_id, self.latest
        out._t, out._level, out._values = t, level, values
        out._received = _interleave(received[starts], received[ends], second_kept)
        out._width, out._phase = self._width, self._phase
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
    """True if no row has this key; vectorised."""
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
    def __init__(self, history_seconds: float, max_statuses: int = DEFAULT_MAX_STATUSES,
                 max_keys: int = DEFAULT_MAX_KEYS, max_open: int = DEFAULT_MAX_OPEN) -> None:
        # A dynamic parameter (webrtc_bridge_node.py sets it from another thread): read once an
        # add, and the buckets' width follows it (a status's open bucket closes when it changes).
        self.history_seconds = history_seconds
        self.max_statuses = max_statuses
        self.max_keys = max_keys
        self.max_open = max_open
        # Keyed by (hardware_id, name), as the page groups them: two machines each running
        # system_metrics publish the same names. Insertion order doubles as recency order: a
        # status is moved to the end on update.
        self._series: dict[tuple[str, str], SeriesHistory] = {}
        self._now = -math.inf
        self._width = 0.0
        self._oldest = _INF  # the receive time of the oldest row any status keeps (or earlier)

    def __len__(self) -> int:
        return len(self._series)

    def add(self, t: float, statuses: Sequence[Status], received: float | None = None,
            numbers: Sequence[dict[str, float]] | None = None) -> None:
        """One array's statuses, stamped `t` (shown), received at `received` (the window's clock;
        defaults to t). `numbers`: each status's numeric values, parsed once for the bridge by the
        ROS callback (codec.numeric_values); parsed here when not given."""
        seconds = self.history_seconds
        if seconds <= 0:
            return
        width = seconds / BUCKETS
        if width != self._width:  # history_seconds changed: every status starts a bucket anew
            self._width = width
            for series in self._series.values():
                series.close_bucket()
        received = t if received is None else received
        # The newest receive time, not the max ever: a wall-clock step back keeps history rather
        # than deleting it, and one bad input can never move the window.
        self._now = received
        for i, status in enumerate(statuses):
            key = (status["hardware_id"], status["name"])
            found = self._series.pop(key, None)
            if found is not None:
                series = found
            else:
                series = SeriesHistory(key[1], key[0], self.max_keys, self.max_open)
                self._oldest = min(self._oldest, received)
            self._series[key] = series
            series.append(t, status, received, numbers[i] if numbers is not None else None, width)
        while len(self._series) > self.max_statuses:
            del self._series[next(iter(self._series))]
        self._trim(seconds)

    def _trim(self, seconds: float) -> None:
        received_min = timebase.window_start(self._now, seconds)
        # Nothing to drop while the oldest row kept is in the window: a row leaves a status's
        # front twice a bucket, not every sample, so most adds skip the pass over every status.
        if received_min <= self._oldest:
            return
        oldest = _INF
        for key in list(self._series):
            front = self._series[key].drop_before(received_min)
            if front != front:  # NaN: nothing left
                del self._series[key]
            elif front < oldest:
                oldest = front
        self._oldest = oldest

    def latest(self, key: tuple[str, str]) -> Status | None:
        """The last status received of (hardware_id, name), while the history holds it."""
        series = self._series.get(key)
        return series.latest if series is not None else None

    def series(self) -> Iterator[SeriesHistory]:
        """Every status, sorted by (name, hardware_id) so the snapshot's order is stable."""
        for key in sorted(self._series, key=lambda k: (k[1], k[0])):
            yield self._series[key]

    def snapshot_copy(self) -> list[SeriesCopy]:
        """Every status's points copied, in `series()` order: taken on the loop in one go, so
        the snapshot holds exactly the messages received so far."""
        return [s.copy() for s in self.series()]

    def sample_count(self) -> int:
        """Rows held, all statuses: the reduced buckets' points plus the open buckets' samples
        (at most ~2 x 151 + max_open a status, whatever the rate)."""
        return sum(len(s) for s in self._series.values())
