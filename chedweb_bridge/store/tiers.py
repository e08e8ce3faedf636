"""The tiering core of the durable history (pure: no sqlite, no ROS, no clock of its own).

Every numeric value of every status, per (hardware_id, status name, key), at three tiers:
- tier 0 keeps every sample, for `retention` seconds;
- tier 1 and 2 keep per-minute and per-hour min/avg/max (and the worst level) for longer.
Each tier stores blocks (blockcodec.py): one row holds one status's samples over `block_seconds`,
many samples to a row. The block being filled is kept here; each `flush` writes only the samples
added since the last one, as a small chunk row, and sealing the block replaces its chunks with
one compact row. So a crash loses at most the time since the last flush, and each sample is
encoded twice, not once per flush (re-encoding the growing block every 5 s cost 4 % of a core).

Time is the bridge's receive clock, passed in by the caller with every call: a publisher's stamp
(a sim-time publisher, a clock in the year 2100) never orders, trims or places anything here.
Retention is measured from the `now` given to `trim`, never from the newest sample.

The disk budget counts the bytes of every stored block and level change; after every write the
oldest data (the block or level change that ends first, whatever its tier) is dropped until the
total is within the budget again, so it is never exceeded between two calls.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from chedweb_bridge.codec import numeric_values
from chedweb_bridge.store.blockcodec import Block, concat, decode, encode, encode_small
from chedweb_bridge.store.scale_hints import decimals, decimals_of

__all__ = ["decimals"]  # the scale rule, re-exported where it was written first

StatusKey = tuple[str, str]  # (hardware_id, name), as the page groups statuses
DAY = 86400.0
DEFAULT_MAX_KEYS = 256
# A block of a fast status is sealed at this many samples, whatever its span, so one row and
# the memory of one open block stay small (10 Hz x 300 s would be 3,000). 320: a 1 Hz status
# still fills its 300 s (310 samples from a timer 3 % fast), while a 10 Hz one seals every 32 s.
# At 10 Hz x 50 statuses x 20 keys, 1,024 held the open raw blocks for 102 s and the bridge kept
# their high-water mark as RSS (+17.6 MiB over the floor in bench.store_memory; +9.7 at 320),
# and the smaller rows cost 4 % more disk (1.023 B a value, 0.984 at 1,024: ~360 B a row fixed).
DEFAULT_MAX_BLOCK_SAMPLES = 320
# Statuses whose newest sample time is kept in memory (the overview's live edge): the newest
# ones; a node inventing names cannot grow it. A status forgotten is still in the repository.
MAX_REMEMBERED = 4096
_NAN = math.nan


@dataclass(frozen=True)
class Tier:
    name: str
    resolution: float     # seconds per point; 0: every sample
    block_seconds: float  # time span of one stored block
    retention: float      # seconds kept, measured from the receive clock's `now`
    # Sealed blocks that start in the same window of this many seconds (aligned to the epoch)
    # are merged into one row once the window is over (at its next seal); 0: never. A 7-day
    # query of the minute tier then reads ~20 rows a status, not 84 two-hour ones: decoding a
    # row has a fixed cost, and the open block stays short (it is held in memory as lists).
    compact_seconds: float = 0.0


def default_tiers(raw_days: float = 3, minute_days: float = 30, hour_days: float = 365) -> tuple[Tier, ...]:
    # Rollup blocks span 2 h (120 points) and 1 day (24): the open ones are held in memory
    # (typed arrays, 8 bytes a value), so longer spans made the bridge's RSS grow for a week.
    return (Tier("raw", 0.0, 300.0, raw_days * DAY),
            Tier("minute", 60.0, 2 * 3600.0, minute_days * DAY, compact_seconds=DAY),
            Tier("hour", 3600.0, DAY, hour_days * DAY))


@dataclass(frozen=True)
class LevelChange:
    t: float
    hardware_id: str
    name: str
    old: int | None  # None: the first level ever stored for this status
    new: int
    message: str


class Repository(Protocol):
    """Where blocks and level changes live (memory_repo.py, sqlite_repo.py). Sizes are logical
    bytes: a block's blob plus a fixed per-row overhead (ROW_OVERHEAD)."""

    def put_block(self, status: StatusKey, tier: int, t0: float, t1: float, blob: bytes,
                  chunk: bool = False) -> None:
        """Insert, or replace the block of the same (status, tier, t0). `chunk`: a short-lived
        row of an open block (deleted when it is sealed), which the file keeps apart."""
    def delete_blocks(self, status: StatusKey, tier: int, starts: Sequence[float]) -> None:
        """The blocks of (status, tier) that start at one of `starts` (an open block's chunks)."""
    def blocks(self, status: StatusKey, tier: int, t0: float, t1: float) -> list[tuple[float, float, bytes]]:
        """Blocks overlapping [t0, t1], sorted by their start."""
    def first_time(self, status: StatusKey, tier: int) -> float | None: ...
    def drop_before(self, tier: int, t: float) -> None:
        """Every block of `tier` that ends before t."""
    def drop_level_changes_before(self, t: float) -> None: ...
    def drop_oldest(self) -> bool:
        """The block or level change that ends first; False when there is nothing left."""
    def size(self) -> int: ...
    def add_keys(self, status: StatusKey, keys: Iterable[str]) -> None: ...
    def keys(self, status: StatusKey) -> list[str]: ...
    def statuses(self) -> list[StatusKey]: ...
    def add_level_changes(self, changes: Sequence[LevelChange]) -> None: ...
    def level_changes(self, status: StatusKey | None, t0: float, t1: float,
                      limit: int) -> list[LevelChange]: ...
    def last_level(self, status: StatusKey) -> int | None: ...


ROW_OVERHEAD = 48  # bytes counted per stored row on top of its payload (keys, index entries)


def level_change_size(change: LevelChange) -> int:
    return ROW_OVERHEAD + len(change.message.encode("utf-8", "replace"))


def _empty_block() -> Block:
    # Typed columns: 8 bytes a value (2 a level), where a list of floats costs a pointer plus a
    # 24-byte float object a value (~60 bytes with the list's slack): at 10,000 values a second
    # the open blocks alone grew the bridge by 34 MiB a minute. The codec reads them as it
    # reads lists (numpy buffers, iteration, slices), so what is written is the same bytes.
    return Block(array("d"), array("h"), {})  # type: ignore[arg-type]


@dataclass
class _Open:
    """The block being filled for one (status, tier): samples [0, flushed) are stored, as chunk
    rows starting at `chunks`. Its columns are array('d') (array('h') for the level, clamped to
    int16 on the way in), NaN where a row lacks a key."""
    t0: float
    block: Block = field(default_factory=_empty_block)
    flushed: int = 0
    chunks: list[float] = field(default_factory=list)

    @property
    def dirty(self) -> bool:
        return self.flushed < len(self.block.t)

    def append(self, t: float, level: int, avg: dict[str, float],
               lo: dict[str, float] | None = None, hi: dict[str, float] | None = None) -> None:
        b = self.block
        n = len(b.t)
        b.t.append(t)
        b.level.append(level)
        _append_row(b.avg, avg, n)
        if lo is not None and hi is not None:
            _append_row(b.lo, lo, n)
            _append_row(b.hi, hi, n)


_NAN_COLUMN = array("d", [_NAN])
_NO_HINT = -2  # in a row of scale hints: the key has none yet


def _append_row(table: dict[str, list[float]], row: dict[str, float], n: int) -> None:
    if row.keys() == table.keys():  # the usual row: the same keys as the last one
        for key, value in row.items():
            table[key].append(value)
        return
    for key, value in row.items():
        column = table.get(key)
        if column is None:
            new: Any = _NAN_COLUMN * n
            column = table[key] = new
        column.append(value)
    for column in table.values():
        if len(column) == n:
            column.append(_NAN)


# Rows a rollup point holds before folding them into its per-key figures: the fold's numpy calls
# cost about as much as 2 rows of per-value Python; a row is an array('d'), 8 bytes a value.
BUCKET_ROWS = 32


@dataclass
class _Bucket:
    """One rollup point being accumulated: per key [min, sum, count, max], the key order that of
    first appearance. Samples arrive as rows of one key layout (a status sends the same keys in
    the same order message after message) and are folded in with a few numpy calls per
    BUCKET_ROWS rows, instead of four Python operations per value: 2,000 a message at 50 statuses
    x 20 keys and two rollup tiers. The figures are the per-value ones, bit for bit: the minimum
    and maximum are the first of equal values in arrival order (argmin/argmax take the first),
    and the sum adds each value in arrival order to the running sum (a cumulative sum adds in
    order; numpy's and Python 3.12's plain sums do not)."""
    start: float
    level: int
    acc: dict[str, list[float]] = field(default_factory=dict)
    layout: tuple[str, ...] = ()
    rows: list[array[float]] = field(default_factory=list)

    def add(self, level: int, layout: tuple[str, ...], row: array[float]) -> None:
        """One sample: its level, its keys in order and their values in that order."""
        self.level = max(self.level, level)
        if layout != self.layout:
            self._fold()
            self.layout = layout
        self.rows.append(row)
        if len(self.rows) >= BUCKET_ROWS:
            self._fold()

    def _fold(self) -> None:
        rows, keys = self.rows, self.layout
        if not rows:
            return
        self.rows = []
        if not keys:
            return
        m = np.frombuffer(b"".join(rows), dtype=np.float64).reshape(len(rows), len(keys))
        columns = np.arange(len(keys))
        lo = m[m.argmin(axis=0), columns].tolist()
        hi = m[m.argmax(axis=0), columns].tolist()
        acc = self.acc
        # Each key's running sum on top (-0.0 for a new key: x + -0.0 is x, even for x = -0.0).
        start = [acc[k][1] if k in acc else -0.0 for k in keys]
        sums = np.add.accumulate(np.vstack([np.array(start, dtype=np.float64), m]), axis=0)[-1].tolist()
        n = float(len(rows))
        for j, key in enumerate(keys):
            a = acc.get(key)
            if a is None:
                acc[key] = [lo[j], sums[j], n, hi[j]]
            else:
                if lo[j] < a[0]:
                    a[0] = lo[j]
                if hi[j] > a[3]:
                    a[3] = hi[j]
                a[1] = sums[j]
                a[2] += n

    def point(self) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
        self._fold()
        lo = {k: a[0] for k, a in self.acc.items()}
        avg = {k: a[1] / a[2] for k, a in self.acc.items()}
        hi = {k: a[3] for k, a in self.acc.items()}
        return lo, avg, hi


@dataclass
class RangeResult:
    """`points` buckets of `step` seconds from `t0`; None where the range holds no data (a gap)."""
    hardware_id: str
    name: str
    tier: str
    t0: float
    step: float
    level: list[int | None]
    lo: dict[str, list[float | None]]
    avg: dict[str, list[float | None]]
    hi: dict[str, list[float | None]]


class TieredStore:
    def __init__(self, repo: Repository, tiers: Sequence[Tier] | None = None,
                 budget_bytes: int = 512 * 1024 * 1024, max_keys: int = DEFAULT_MAX_KEYS,
                 max_block_samples: int = DEFAULT_MAX_BLOCK_SAMPLES,
                 max_remembered: int = MAX_REMEMBERED) -> None:
        self.repo = repo
        self.tiers = tuple(tiers or default_tiers())
        if self.tiers[0].resolution != 0 or any(t.resolution <= 0 for t in self.tiers[1:]):
            raise ValueError("tier 0 keeps every sample; the others need a resolution > 0")
        self.budget_bytes = budget_bytes
        self.max_keys = max_keys
        self.max_block_samples = max_block_samples
        self.max_remembered = max_remembered
        self._open: dict[tuple[StatusKey, int], _Open] = {}
        self._buckets: dict[tuple[StatusKey, int], _Bucket] = {}
        self._keys: dict[StatusKey, set[str]] = {}
        self._scales: dict[StatusKey, dict[str, int]] = {}  # per key: most decimals seen
        self._hint_rows: dict[StatusKey, tuple[tuple[str, ...], np.ndarray]] = {}  # _hint_row's
        self._new_keys: dict[StatusKey, set[str]] = {}
        self._last: dict[StatusKey, tuple[float, int]] = {}  # newest sample time, level
        self._pending_changes: list[LevelChange] = []

    # ---- writing ----

    def add(self, t: float, statuses: Sequence[dict[str, Any]],
            numbers: Sequence[dict[str, float]] | None = None) -> None:
        """One DiagnosticArray's statuses, received at `t` (receive clock, seconds). `numbers`:
        each status's numeric values (codec.numeric_values), when the caller parsed them already."""
        if numbers is None:
            numbers = [numeric_values(s["values"]) for s in statuses]
        keys: list[StatusKey] = [(str(s["hardware_id"]), str(s["name"])) for s in statuses]
        layouts = [tuple(n) for n in numbers]
        noted = self._note_scales(keys, statuses, numbers, layouts)
        # Each rollup tier's point for `t`: the same for every status of the message.
        starts = [(i, math.floor(t / tier.resolution) * tier.resolution)
                  for i, tier in enumerate(self.tiers) if i]
        buckets, last = self._buckets, self._last
        for i, status in enumerate(statuses):
            key = keys[i]
            level = max(-32768, min(32767, int(status["level"])))
            if noted[i]:
                values, layout = numbers[i], layouts[i]
            else:
                values = self._numeric(key, status["values"], numbers[i])
                layout = tuple(values)
            previous = last.get(key)
            old = previous[1] if previous is not None else self.repo.last_level(key)
            if old != level:  # including None: the first level ever seen for this status
                self._pending_changes.append(LevelChange(t, key[0], key[1], old, level,
                                                         str(status.get("message", ""))))
            self._add_raw(key, t, level, values)
            row = array("d", list(values.values()))
            for tier_index, start in starts:
                bucket = buckets.get((key, tier_index))
                if bucket is not None and bucket.start == start:
                    bucket.add(level, layout, row)  # the usual sample: the point it is in goes on
                else:
                    self._add_rollup(key, tier_index, t, level, layout, row)
            last[key] = (max(t, previous[0]) if previous else t, level)

    def _note_scales(self, keys: list[StatusKey], statuses: Sequence[dict[str, Any]],
                     numbers: Sequence[dict[str, float]], layouts: list[tuple[str, ...]]) -> list[bool]:
        """Per status, True where its values are kept as they are and its keys' scale hints are
        noted here: for every status whose keys are all known, with one vectorised pass over the
        message's texts (scale_hints.decimals_of) and its hints as rows cached per key layout.
        The others (a new key, a status new or back from silence, a status twice in one
        message, whose order then matters) go through `_numeric`, one value at a time."""
        noted = [False] * len(keys)
        if len(set(keys)) != len(keys):
            return noted
        texts: list[str] = []
        hints: list[np.ndarray] = []
        at: list[tuple[int, StatusKey, tuple[str, ...]]] = []  # (first text, status, layout)
        cache = self._hint_rows
        for i, key in enumerate(keys):
            layout = layouts[i]
            cached = cache.get(key)
            if cached is not None and cached[0] == layout:
                row = cached[1]  # a layout seen with every key known: they still are
            else:
                known = self._keys.get(key)
                if known is None or not numbers[i].keys() <= known:
                    continue
                row = self._hint_row(key, layout)
            noted[i] = True
            at.append((len(texts), key, layout))
            texts.extend(map(statuses[i]["values"].__getitem__, layout))
            hints.append(row)
        if not texts:
            return noted
        d = decimals_of(texts)
        h = np.concatenate(hints)
        # As `_numeric`: a key's first hint is its first text's; later, more decimals raise it and
        # a text of another form makes it -1 for good.
        changed = np.flatnonzero((h == _NO_HINT) | ((h >= 0) & ((d < 0) | (d > h)))).tolist()
        if changed:
            firsts = [first for first, _, _ in at]
            for index in changed:
                first, key, layout = at[bisect.bisect_right(firsts, index) - 1]
                self._scales[key][layout[index - first]] = int(d[index])
                self._hint_rows.pop(key, None)
        return noted

    def _hint_row(self, key: StatusKey, layout: tuple[str, ...]) -> np.ndarray:
        """The scale hints of `layout`'s keys in its order (_NO_HINT: none yet), cached while the
        status keeps its layout and its hints (and its keys are remembered: _forget_silent)."""
        scales = self._scales.setdefault(key, {})
        row = np.array([scales.get(name, _NO_HINT) for name in layout], dtype=np.int64)
        # The layout kept with the key names `scales` holds already, not this message's copies
        # (~1 KB a status of strings otherwise kept alive for as long as the layout lasts).
        names = {name: name for name in scales}
        self._hint_rows[key] = (tuple([names.get(name, name) for name in layout]), row)
        return row

    @property
    def remembered(self) -> int:
        """Statuses the store holds state for in memory: bounded by max_remembered plus those
        still writing, whatever names the nodes invent."""
        return len(self._keys.keys() | self._last.keys())

    def _numeric(self, key: StatusKey, texts: dict[str, str], numbers: dict[str, float]) -> dict[str, float]:
        """The values kept of one status (`numbers`, its numeric `texts` parsed), noting new keys
        and each key's scale hint."""
        known = self._keys.get(key)
        if known is None:  # new, or back from silence: its keys as stored (max_keys counts them)
            known = self._keys[key] = set(self.repo.keys(key))
        scales = self._scales.setdefault(key, {})
        self._hint_rows.pop(key, None)  # its hints may change here
        out: dict[str, float] = {}
        for name, value in numbers.items():
            if name not in known:
                if len(known) >= self.max_keys:
                    continue  # later new keys of a status beyond max_keys are not kept
                known.add(name)
                self._new_keys.setdefault(key, set()).add(name)
            out[name] = value
            # The decimals the text shows: the scale the block codec tries first (-1: unknown,
            # which no later text changes, so it is not looked at again).
            hint = scales.get(name)
            if hint is None or hint >= 0:
                d = decimals(texts[name])
                if hint is None or d < 0 or d > hint:
                    scales[name] = d
        return out

    def _add_raw(self, key: StatusKey, t: float, level: int, values: dict[str, float]) -> None:
        open_ = self._open.get((key, 0))
        if open_ is not None and (t < open_.block.t[-1] or t - open_.t0 >= self.tiers[0].block_seconds
                                  or len(open_.block) >= self.max_block_samples):
            # A full block, or the receive clock stepped back: seal it and start another, so
            # that every block's samples are in time order.
            self._seal(key, 0)
            open_ = None
        if open_ is None:
            open_ = self._open[(key, 0)] = _Open(t)
        open_.append(t, level, values)

    def _add_rollup(self, key: StatusKey, tier_index: int, t: float, level: int,
                    layout: tuple[str, ...], row: array[float]) -> None:
        resolution = self.tiers[tier_index].resolution
        start = math.floor(t / resolution) * resolution
        bucket = self._buckets.get((key, tier_index))
        if bucket is not None and bucket.start != start:
            self._emit_bucket(key, tier_index, bucket)
            bucket = None
        if bucket is None:
            bucket = self._buckets[(key, tier_index)] = _Bucket(start, level)
        bucket.add(level, layout, row)

    def _emit_bucket(self, key: StatusKey, tier_index: int, bucket: _Bucket) -> None:
        tier = self.tiers[tier_index]
        open_ = self._open.get((key, tier_index))
        if open_ is not None and (bucket.start < open_.block.t[-1]
                                  or bucket.start - open_.t0 >= tier.block_seconds
                                  or len(open_.block) >= self.max_block_samples):
            self._seal(key, tier_index)
            open_ = None
        if open_ is None:
            open_ = self._open[(key, tier_index)] = _Open(bucket.start)
        lo, avg, hi = bucket.point()
        open_.append(bucket.start, bucket.level, avg, lo, hi)

    def _seal(self, key: StatusKey, tier_index: int) -> None:
        """The open block as one compact row, in place of its chunks."""
        open_ = self._open.pop((key, tier_index))
        if not open_.block.t:
            return
        self._write_keys(key)
        self.repo.delete_blocks(key, tier_index, open_.chunks)
        self.repo.put_block(key, tier_index, open_.t0, self._block_end(tier_index, open_.block),
                            encode(open_.block, self._scales.get(key)))
        self._compact_before(key, tier_index, open_.t0)
        self._enforce_budget()

    def _compact_before(self, key: StatusKey, tier_index: int, t0: float) -> None:
        """The sealed blocks of the compaction window before the one `t0` is in, merged into one
        row, once: at the first seal of a later window. Merging each block into its window's row
        as it sealed rewrote the day's row every two hours (write wear, and each rewrite at the
        widest bit width the day had seen so far)."""
        window = self.tiers[tier_index].compact_seconds
        if window <= 0:
            return
        start = math.floor(t0 / window) * window - window
        earlier = [(b0, b1, blob) for b0, b1, blob in self.repo.blocks(key, tier_index, start, start + window)
                   if start <= b0 < start + window]
        if len(earlier) < 2:
            return
        merged = concat([decode(blob) for _, _, blob in earlier])
        self.repo.delete_blocks(key, tier_index, [b0 for b0, _, _ in earlier])
        self.repo.put_block(key, tier_index, earlier[0][0], max(b1 for _, b1, _ in earlier),
                            encode(merged, self._scales.get(key)))

    def _put_chunk(self, key: StatusKey, tier_index: int, open_: _Open) -> None:
        """The samples added since the last flush, as one more chunk row."""
        self._write_keys(key)
        if open_.flushed == 0 and open_.chunks:  # rewrite_all(): start the chunks again
            self.repo.delete_blocks(key, tier_index, open_.chunks)
            open_.chunks.clear()
        b = open_.block
        a = open_.flushed
        chunk = Block(b.t[a:], b.level[a:], {k: c[a:] for k, c in b.avg.items()},
                      {k: c[a:] for k, c in b.lo.items()}, {k: c[a:] for k, c in b.hi.items()})
        self.repo.put_block(key, tier_index, chunk.t[0], self._block_end(tier_index, chunk),
                            encode_small(chunk, self._scales.get(key)), chunk=True)
        open_.chunks.append(chunk.t[0])
        open_.flushed = len(b.t)
        self._enforce_budget()

    def _write_keys(self, key: StatusKey) -> None:
        new_keys = self._new_keys.pop(key, None)
        if new_keys:
            self.repo.add_keys(key, sorted(new_keys))

    def _block_end(self, tier_index: int, block: Block) -> float:
        return block.t[-1] + self.tiers[tier_index].resolution

    def flush(self, now: float) -> None:
        """Write every block that changed since the last flush, and the level changes; close the
        rollup points and blocks of statuses that have been silent for longer than they span."""
        for (key, tier_index), bucket in list(self._buckets.items()):
            if now >= bucket.start + 2 * self.tiers[tier_index].resolution:
                del self._buckets[(key, tier_index)]
                self._emit_bucket(key, tier_index, bucket)
        for (key, tier_index), open_ in list(self._open.items()):
            tier = self.tiers[tier_index]
            if now - self._block_end(tier_index, open_.block) > tier.block_seconds:
                self._seal(key, tier_index)
            elif open_.dirty:
                self._put_chunk(key, tier_index, open_)
        if self._pending_changes:
            changes, self._pending_changes = self._pending_changes, []
            self.repo.add_level_changes(changes)
            self._enforce_budget()
        self._forget_silent()

    def _forget_silent(self) -> None:
        """Drops what memory holds for statuses with nothing open (their keys and decimals: read
        back from the repository if they return), and the newest times beyond max_remembered,
        oldest first. Without this, each name a node ever invented stayed in memory."""
        active = {key for key, _ in self._open} | {key for key, _ in self._buckets} | set(self._new_keys)
        for key in [k for k in self._keys if k not in active]:
            del self._keys[key]
            self._scales.pop(key, None)
            self._hint_rows.pop(key, None)
        if len(self._last) > self.max_remembered:
            newest = sorted(self._last.items(), key=lambda item: item[1][0])
            for key, _ in newest[:len(newest) - self.max_remembered]:
                del self._last[key]

    def trim(self, now: float) -> None:
        """Retention: every tier's blocks older than its retention, measured from `now`."""
        for tier_index, tier in enumerate(self.tiers):
            self.repo.drop_before(tier_index, now - tier.retention)
        self.repo.drop_level_changes_before(now - max(t.retention for t in self.tiers))

    def _enforce_budget(self) -> None:
        while self.repo.size() > self.budget_bytes and self.repo.drop_oldest():
            pass

    def rewrite_all(self) -> None:
        """The repository lost recent writes (a rolled-back transaction, a fresh file): write
        every open block and every known key again at the next flush."""
        for open_ in self._open.values():
            open_.flushed = 0
        for key, names in self._keys.items():
            self._new_keys.setdefault(key, set()).update(names)

    # ---- reading ----

    def statuses(self) -> list[StatusKey]:
        return sorted(set(self.repo.statuses()) | set(self._keys), key=lambda k: (k[1], k[0]))

    def keys(self, status: StatusKey) -> list[str]:
        return sorted(set(self.repo.keys(status)) | self._keys.get(status, set()))

    def level_changes(self, status: StatusKey | None, t0: float, t1: float,
                      limit: int = 1000) -> list[LevelChange]:
        stored = self.repo.level_changes(status, t0, t1, limit)
        pending = [c for c in self._pending_changes
                   if t0 <= c.t <= t1 and (status is None or (c.hardware_id, c.name) == status)]
        return sorted(stored + pending, key=lambda c: c.t)[:limit]

    def choose_tier(self, status: StatusKey, t0: float, step: float) -> int:
        """The coarsest tier fine enough for `step` that reaches back to t0; else the eligible
        one that reaches furthest back (a young store, or a range older than everything kept)."""
        eligible = [i for i, tier in enumerate(self.tiers) if tier.resolution <= step] or [0]
        firsts: list[tuple[float, int]] = []
        for i in reversed(eligible):
            first = self.first_time(status, i)
            if first is None:
                continue
            if first <= t0 + step:
                return i
            firsts.append((first, i))
        return min(firsts)[1] if firsts else eligible[-1]

    def newest_time(self, status: StatusKey) -> float | None:
        """The receive time of the newest sample of `status` added since this store was opened
        (None before any)."""
        last = self._last.get(status)
        return last[0] if last is not None else None

    def first_time(self, status: StatusKey, tier_index: int) -> float | None:
        candidates = [self.repo.first_time(status, tier_index)]
        open_ = self._open.get((status, tier_index))
        if open_ is not None:
            candidates.append(open_.t0)
        bucket = self._buckets.get((status, tier_index))
        if bucket is not None:
            candidates.append(bucket.start)
        present = [c for c in candidates if c is not None]
        return min(present) if present else None

    def query(self, status: StatusKey, t0: float, t1: float, points: int,
              keys: Iterable[str] | None = None) -> RangeResult:
        """[t0, t1) as `points` points, each the min/avg/max of what falls in it."""
        if not (points > 0 and t1 > t0):
            raise ValueError("a range needs t1 > t0 and points > 0")
        step = (t1 - t0) / points
        tier_index = self.choose_tier(status, t0, step)
        wanted = set(keys) if keys is not None else None
        return aggregate(self.blocks(status, tier_index, t0, t1, wanted, arrays=True), wanted,
                         RangeResult(status[0], status[1], self.tiers[tier_index].name, t0, step,
                                     [None] * points, {}, {}, {}))

    def blocks(self, status: StatusKey, tier_index: int, t0: float, t1: float,
               keys: set[str] | None = None, arrays: bool = False) -> list[Block]:
        """Stored blocks overlapping [t0, t1), the open one instead of its stored copy, and the
        rollup point still being accumulated."""
        open_ = self._open.get((status, tier_index))
        hidden = set(open_.chunks) if open_ is not None else set()  # the open block stands for them
        out = [decode(blob, keys, arrays) for b0, _b1, blob in self.repo.blocks(status, tier_index, t0, t1)
               if b0 not in hidden]
        if open_ is not None:
            out.append(open_.block)
        bucket = self._buckets.get((status, tier_index))
        if bucket is not None and t0 <= bucket.start < t1:
            lo, avg, hi = bucket.point()
            out.append(Block([bucket.start], [bucket.level], {k: [v] for k, v in avg.items()},
                             {k: [v] for k, v in lo.items()}, {k: [v] for k, v in hi.items()}))
        return out


def aggregate(blocks: Sequence[Block], wanted: set[str] | None, result: RangeResult) -> RangeResult:
    """Fills `result`'s points (t0, step, len(level)) with the min/avg/max and worst level of
    what `blocks` hold in each. numpy, a constant number of calls per block (its keys as one
    matrix): a 7-day query reads ~80 blocks of up to ~120 columns, and per-key Python loops
    cost most of the 100 ms a query may take."""
    points, t0, step = len(result.level), result.t0, result.step
    names: dict[str, int] = {}
    for block in blocks:
        for key in block.avg:
            if key not in names and (wanted is None or key in wanted):
                names[key] = len(names)
    k = len(names)
    mins = np.full((k, points), np.inf)
    maxs = np.full((k, points), -np.inf)
    sums = np.zeros((k, points))
    counts = np.zeros((k, points), dtype=np.int64)
    level = np.full(points, _NO_LEVEL, dtype=np.int64)
    for block in blocks:
        if not len(block.t):
            continue
        index = np.floor((np.asarray(block.t, dtype=np.float64) - t0) / step).astype(np.int64)
        take = np.flatnonzero((index >= 0) & (index < points))
        if not len(take):
            continue
        index = index[take]
        if len(index) > 1 and bool(np.any(index[1:] < index[:-1])):  # not in time order
            order = np.argsort(index, kind="stable")
            take, index = take[order], index[order]
        starts = np.flatnonzero(np.concatenate(([True], index[1:] != index[:-1])))
        at = index[starts]
        levels = np.asarray(block.level, dtype=np.int64)[take]
        level[at] = np.maximum(level[at], np.maximum.reduceat(levels, starts))
        keys = [key for key in block.avg if key in names]
        if not keys:
            continue
        rows = np.ix_(np.array([names[key] for key in keys], dtype=np.int64), at)
        avg = np.vstack([np.asarray(block.avg[key], dtype=np.float64) for key in keys])[:, take]
        valid = ~np.isnan(avg)
        lo = _matrix(block.lo, keys, len(block.t), take, avg)
        hi = _matrix(block.hi, keys, len(block.t), take, avg)
        mins[rows] = np.fmin(mins[rows], np.fmin.reduceat(np.where(valid, lo, np.nan), starts, axis=1))
        maxs[rows] = np.fmax(maxs[rows], np.fmax.reduceat(np.where(valid, hi, np.nan), starts, axis=1))
        sums[rows] += np.add.reduceat(np.where(valid, avg, 0.0), starts, axis=1)
        counts[rows] += np.add.reduceat(valid.astype(np.int64), starts, axis=1)
    result.level[:] = _with_none(level, level != _NO_LEVEL)
    empty = counts == 0
    averages = sums / np.where(empty, 1, counts)
    for key, row in names.items():
        if empty[row].all():
            continue  # the key has no value in the range: not in the answer, as before
        result.lo[key] = _with_none(mins[row], ~empty[row])
        result.avg[key] = _with_none(averages[row], ~empty[row])
        result.hi[key] = _with_none(maxs[row], ~empty[row])
    return result


_NO_LEVEL = np.iinfo(np.int64).min


def _matrix(table: dict[str, Any], keys: list[str], n: int, take: np.ndarray,
            avg: np.ndarray) -> np.ndarray:
    """The lo (or hi) columns of `keys` at `take`, or the averages themselves in the raw tier
    (a raw sample is its own min and max)."""
    if not table:
        return avg
    missing = np.full(n, np.nan)
    return np.vstack([np.asarray(table[key], dtype=np.float64) if key in table else missing
                      for key in keys])[:, take]


def _with_none(values: np.ndarray, present: np.ndarray) -> list[Any]:
    """A list of Python ints/floats, None where nothing is present (a gap)."""
    out = values.astype(object)
    out[~present] = None
    return list(out.tolist())
