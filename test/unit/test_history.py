"""Bounded per-status history: time window, entry cap, status cap, key cap, absent values."""

from __future__ import annotations

import math
import random
import tracemalloc
from typing import Any

import numpy as np

from chedweb_bridge.history import (
    BUCKETS,
    DEFAULT_MAX_OPEN,
    SNAPSHOT_MAX_POINTS,
    History,
    SeriesHistory,
    bucket_min_max,
)


def st(name: str, values: dict[str, str], level: int = 0) -> dict[str, object]:
    return {"name": name, "level": level, "message": "", "hardware_id": "hw", "values": values}


def rows(h: History, name: str) -> dict[str, Any]:
    series = {s.name: s for s in h.series()}[name]
    return series.rows(0, len(series))


def test_only_numeric_values_kept_with_none_where_absent() -> None:
    h = History(100.0)
    h.add(1.0, [st("a", {"x": "1.5", "label": "eth0"})])
    h.add(2.0, [st("a", {"y": "2"}, level=2)])
    h.add(3.0, [st("a", {"x": "nan", "y": "3"})])
    assert rows(h, "a") == {"t": [1.0, 2.0, 3.0], "level": [0, 2, 0],
                            "values": {"x": [1.5, None, None], "y": [None, 2.0, 3.0]}}
    assert {s.name: s.latest for s in h.series()}["a"]["values"] == {"x": "nan", "y": "3"}


def test_time_window_relative_to_newest_sample() -> None:
    h = History(10.0)
    for t in range(100):
        h.add(float(t), [st("a", {"v": str(t)})])
    r = rows(h, "a")
    assert r["t"] == [float(t) for t in range(89, 100)]
    # A status no longer published ages out as others go on.
    h.add(100.0, [st("b", {"v": "1"})])
    h.add(200.0, [st("b", {"v": "1"})])
    assert [s.name for s in h.series()] == ["b"]


def test_status_cap_drops_least_recently_updated() -> None:
    h = History(1e6, max_statuses=3)
    for name in ("a", "b", "c"):
        h.add(1.0, [st(name, {})])
    h.add(2.0, [st("a", {})])  # a is now the most recent
    h.add(3.0, [st("d", {})])
    assert [s.name for s in h.series()] == ["a", "c", "d"]


def test_key_cap_per_status() -> None:
    h = History(1e6, max_keys=2)
    h.add(1.0, [st("a", {"k1": "1", "k2": "2", "k3": "3"})])
    assert set(rows(h, "a")["values"]) == {"k1", "k2"}


def test_zero_seconds_keeps_nothing() -> None:
    h = History(0.0)
    h.add(1.0, [st("a", {"v": "1"})])
    assert len(h) == 0


def test_keys_absent_from_all_kept_samples_are_forgotten() -> None:
    h = History(30.0)  # buckets of 0.2 s: every sample one of its own
    h.add(0.0, [st("a", {"old": "1"})])
    for t in range(1, 40):
        h.add(float(t), [st("a", {"new": "1"})])
    series = next(iter(h.series()))
    assert "old" not in series.rows(0, len(series))["values"]
    assert not any(math.isnan(v) for v in series.rows(0, len(series))["values"]["new"])


def test_same_name_from_two_machines_kept_apart() -> None:
    """Two robots each running system_metrics publish the same names; the page shows each
    machine on its own, so the history must not interleave their samples."""
    h = History(100.0)
    for t in range(3):
        h.add(float(t), [{"name": "system_metrics: CPU", "level": 0, "message": "", "hardware_id": "robot-a",
                          "values": {"usage %": "10"}},
                         {"name": "system_metrics: CPU", "level": 1, "message": "", "hardware_id": "robot-b",
                          "values": {"usage %": "90"}}])
    got = {s.hardware_id: s.rows(0, len(s)) for s in h.series()}
    assert got == {"robot-a": {"t": [0.0, 1.0, 2.0], "level": [0, 0, 0], "values": {"usage %": [10.0] * 3}},
                   "robot-b": {"t": [0.0, 1.0, 2.0], "level": [1, 1, 1], "values": {"usage %": [90.0] * 3}}}


def test_full_history_memory_stays_near_its_kept_points() -> None:
    """Once a status's history is full, appending must not keep growing its memory. Front trimming
    is lazy; the dead prefix was compacted only when it reached half the arrays, so a full history
    held up to twice its samples (RSS grew for another window's worth of time: 6 more minutes at
    10 Hz in the soak) before dropping back."""
    h = History(3600.0)  # buckets of 24 s: 24 samples each at 1 Hz
    sample = [st("a", {f"k{i}": str(i + 0.5) for i in range(8)})]
    tracemalloc.start()
    try:
        for t in range(3600):
            h.add(float(t), sample)
        full = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for t in range(3600, 3 * 3600):
            h.add(float(t), sample)
        after_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert h.sample_count() <= 2 * (BUCKETS + 1) + 24
    assert after_peak <= 1.4 * full, (full, after_peak)


def test_columns_hold_every_sample_whatever_reads_them_and_after_every_column_went() -> None:
    """Reads between appends, keys in another order, and a compaction that forgets every column
    (every sample trimmed): the columns hold what was appended, value by value."""
    series = SeriesHistory("s", "h", max_keys=8)
    status: dict[str, Any] = {"level": 0}
    expected: dict[str, list[float | None]] = {"a": [], "b": []}
    for i in range(133):
        numbers = {"a": float(i), "b": -float(i)} if i % 50 != 7 else {"b": 0.5, "a": 9.0}
        series.append(float(i), status, float(i), numbers)
        expected["a"].append(numbers["a"])
        expected["b"].append(numbers["b"])
        if i % 45 == 44:
            assert series.rows(0, len(series))["values"] == expected
    assert series.rows(0, len(series))["values"] == expected
    series.drop_before(1e9)  # every sample trimmed: the compaction forgets every column
    assert len(series) == 0
    series.append(1e9, status, 1e9, {"a": 1.0, "b": 2.0})
    series.append(1e9 + 1, status, 1e9 + 1, {"a": 3.0, "b": 4.0})
    assert series.rows(0, 2)["values"] == {"a": [1.0, 3.0], "b": [2.0, 4.0]}


# ---- kept at the snapshot's resolution (issue 12: RSS once the history is full) ----

Sample = tuple[float, float, int, dict[str, float]]  # t, received, level, numeric values


def feed(h: History, samples: list[Sample], name: str = "a") -> None:
    for t, received, level, values in samples:
        h.add(t, [st(name, {k: repr(v) for k, v in values.items()}, level)], received)


def _reduce(rows: list[Sample]) -> list[Sample]:
    """The rule in plain Python: first and last time, each key's min and max in the order they
    occurred (the first of equal ones, absent values skipped), the worst level at both."""
    if len(rows) < 2:
        return rows
    worst = max(r[2] for r in rows)
    first: dict[str, float] = {}
    second: dict[str, float] = {}
    for key in {k for r in rows for k in r[3]}:
        present = [(i, r[3][key]) for i, r in enumerate(rows) if key in r[3]]
        lo = min(present, key=lambda p: (p[1], p[0]))
        hi = max(present, key=lambda p: (p[1], -p[0]))
        a, b = (lo, hi) if lo[0] <= hi[0] else (hi, lo)
        first[key], second[key] = a[1], b[1]
    return [(rows[0][0], rows[0][1], worst, first), (rows[-1][0], rows[-1][1], worst, second)]


def reference(samples: list[Sample], seconds: float, phase: float) -> dict[str, Any]:
    """What the history keeps of one status, computed the plain way: buckets of seconds/150 on
    the receive clock (offset by the status's phase), each reduced when a sample falls outside
    it, rows trimmed from the front by receive time."""
    width = seconds / BUCKETS
    kept: list[Sample] = []
    open_from, open_id = 0, None
    for sample in samples:
        bucket = math.floor((sample[1] - phase * width) / width)
        if bucket != open_id:
            kept[open_from:] = _reduce(kept[open_from:])
            open_from, open_id = len(kept), bucket
        kept.append(sample)
        while kept and kept[0][1] < sample[1] - seconds:
            kept.pop(0)
            open_from = max(0, open_from - 1)
    keys = {k for r in kept for k in r[3]}
    return {"t": [r[0] for r in kept], "level": [r[2] for r in kept],
            "values": {k: [r[3].get(k) for r in kept] for k in keys}}


def random_samples(seed: int, count: int, step_back_at: int | None = None) -> list[Sample]:
    """~10 Hz with jitter, gaps of a few buckets and longer than the window, keys appearing and
    disappearing, levels changing, and a wall-clock step back."""
    rnd = random.Random(seed)
    out: list[Sample] = []
    received = 1_800_000_000.0
    for i in range(count):
        roll = rnd.random()
        received += 0.1 * rnd.uniform(0.5, 1.5) if roll > 0.01 else rnd.choice((1.7, 4.0, 75.0))
        if i == step_back_at:
            received -= 12.5
        values = {"steady": float(i % 17), "noisy": round(rnd.gauss(0, 100), 2)}
        if (i // 40) % 3:
            values["sometimes"] = float(rnd.randrange(-5, 5))
        if rnd.random() < 0.1:
            values["rare"] = rnd.uniform(-1e6, 1e6)
        if i > count // 2:
            values["late"] = float(i)
        level = rnd.choice((0, 0, 0, 1, 2, 3))
        out.append((received - 0.05, received, level, values))
    return out


def test_kept_points_are_the_bucket_rule_over_random_input() -> None:
    """Gaps, keys appearing and disappearing, levels, a step back of the clock: the history holds
    exactly what the plain rule gives, checked as it goes (window trimming included)."""
    for seed in range(3):
        samples = random_samples(seed, 3000, step_back_at=2000)
        h = History(60.0)
        for i in range(0, len(samples), 250):
            feed(h, samples[i:i + 250])
            [series] = h.series()
            got = series.rows(0, len(series))
            want = reference(samples[:i + 250], 60.0, series._phase)
            want["values"] = {k: v for k, v in want["values"].items() if any(x is not None for x in v)}
            assert got == want, (seed, i)


def test_folding_a_full_open_bucket_changes_nothing() -> None:
    """A fast publisher's open bucket is reduced every `max_open` samples and stays open: the
    min and max of min/max pairs are the samples' own, so once the bucket closes its two points
    are those of a history that never folded."""
    samples = random_samples(7, 2000)
    folded, whole = History(600.0, max_open=3), History(600.0, max_open=10**9)
    for h in (folded, whole):
        feed(h, samples)
        last = samples[-1]
        feed(h, [(last[0] + 5, last[1] + 5, 0, {"steady": 1.0})])  # closes the open bucket
    assert rows(folded, "a") == rows(whole, "a")
    assert len(next(whole.series())) < 2 * (BUCKETS + 2)


def test_points_per_status_bounded_and_the_window_whole_at_any_rate() -> None:
    """At 10 Hz the old history kept every sample up to 3,600 a status: 6 of the 60 minutes of
    history_seconds, 33 MiB at 50 statuses x 20 keys. Now a full window is kept, as at most two
    points a bucket plus the open bucket's samples (at most max_open), whatever the rate: at
    200 Hz a 2 s bucket gets 400 samples, folded every 16 here."""
    for seconds, rate, duration, max_open in ((3600.0, 10, 4000, DEFAULT_MAX_OPEN), (300.0, 200, 330, 16)):
        h = History(seconds, max_open=max_open)
        n = int(duration * rate)
        most = 0
        for i in range(n):
            t = 1_800_000_000.0 + i / rate
            h.add(t, [st("a", {"x": str(i % 100), "y": "1"})])
            most = max(most, h.sample_count())
        [series] = h.series()
        r = series.rows(0, len(series))
        assert most <= 2 * (BUCKETS + 1) + max_open, (seconds, rate, most)
        assert h.sample_count() == len(series)
        width = seconds / BUCKETS
        assert r["t"][0] <= t - seconds + width, (seconds, rate, t - r["t"][0])
        assert r["t"][-1] == t
        assert r["t"] == sorted(r["t"])


def test_spikes_and_levels_survive_an_hour_at_10_hz() -> None:
    h = History(3600.0)
    t0 = 1_800_000_000.0
    for i in range(36_000):
        v = 1000.0 if i == 9_876 else -1000.0 if i == 20_001 else float(i % 7)
        level = 2 if i == 12_345 else 0
        h.add(t0 + i / 10, [st("s", {"v": str(v), "odd": "1"} if i % 2 else {"v": str(v)}, level)])
    [copy] = h.snapshot_copy()
    d = copy.decimated()
    r = d.rows(0, len(d))
    assert len(r["t"]) <= SNAPSHOT_MAX_POINTS
    assert r["t"] == sorted(r["t"]) and r["t"][0] == t0 and r["t"][-1] == t0 + 3599.9
    assert max(r["values"]["v"]) == 1000.0 and min(r["values"]["v"]) == -1000.0
    assert r["level"].count(2) in (1, 2)  # the spike's bucket, at both of its points
    assert set(r["values"]["odd"]) == {1.0}  # absent samples skipped, not None, when any is present
    # The spike is in order: the maximum comes before the minimum, as they happened.
    assert r["values"]["v"].index(1000.0) < r["values"]["v"].index(-1000.0)


def test_a_gap_leaves_no_points_and_one_longer_than_the_window_leaves_only_the_new() -> None:
    h = History(150.0)  # buckets of 1 s
    feed(h, [(float(t), float(t), 0, {"v": float(t)}) for t in range(100)])
    feed(h, [(float(t), float(t), 0, {"v": float(t)}) for t in range(140, 160)])
    r = rows(h, "a")
    assert not [t for t in r["t"] if 99 < t < 140]
    assert r["t"][0] == 9.0 and r["t"][-1] == 159.0  # received 159 - 150 and later
    feed(h, [(500.0, 500.0, 1, {"v": 1.0})])
    assert rows(h, "a") == {"t": [500.0], "level": [1], "values": {"v": [1.0]}}


def test_a_key_that_comes_and_goes_within_buckets() -> None:
    h = History(150.0)  # buckets of 1 s: ten samples each at 10 Hz
    samples = [(i / 10, i / 10, 0, {"v": float(i)} if 23 <= i <= 26 else {}) for i in range(60)]
    feed(h, samples)
    r = rows(h, "a")
    # The bucket that had the key holds its min and max; the others none.
    assert [v for v in r["values"]["v"] if v is not None] == [23.0, 26.0]
    assert len(r["values"]["v"]) == len(r["t"])


def test_history_seconds_changed_at_runtime_rebuckets() -> None:
    """A dynamic parameter: the buckets' width follows it at the next add."""
    h = History(3600.0)
    t0 = 1_800_000_000.0
    for i in range(10 * 1200):
        h.add(t0 + i / 10, [st("s", {"v": str(i % 10)})])
    h.history_seconds = 300.0  # buckets of 2 s from the next sample on
    h.add(t0 + 1200, [st("s", {"v": "0"})])
    # The bucket open at the change was closed by the next sample: the last 300 s before it
    # are two points a 24 s bucket (not that bucket's ~200 samples as they came).
    assert len(rows(h, "s")["t"]) <= 2 * (300 // 24 + 2) + 1
    for i in range(10 * 1200 + 1, 10 * 1210):
        h.add(t0 + i / 10, [st("s", {"v": str(i % 10)})])
    assert len([t for t in rows(h, "s")["t"] if t >= t0 + 1200]) <= 2 * 5 + 20  # in 2 s buckets
    for i in range(10 * 1210, 10 * 1800):
        h.add(t0 + i / 10, [st("s", {"v": str(i % 10)})])
    now = t0 + i / 10
    [series] = h.series()
    r = series.rows(0, len(series))
    assert r["t"][0] >= now - 300.0
    assert 2 * (BUCKETS - 1) <= len(series) <= 2 * (BUCKETS + 1) + 20  # 2 s buckets, not 24 s
    h.history_seconds = 3600.0  # and back: the window grows again, the 2 s points stay
    for i in range(10 * 1800, 10 * 2400):
        h.add(t0 + i / 10, [st("s", {"v": str(i % 10)})])
    [copy] = h.snapshot_copy()
    assert copy.rows(0, len(copy))["t"][0] >= now - 300.0
    d = copy.decimated()
    assert len(d) <= SNAPSHOT_MAX_POINTS
    assert d.rows(0, len(d))["t"][-1] == t0 + i / 10


def test_a_wall_clock_step_back_keeps_history() -> None:
    h = History(3600.0)
    t0 = 1_800_000_000.0
    feed(h, [(t0 + i / 10, t0 + i / 10, 0, {"v": float(i % 10)}) for i in range(6000)])
    before = rows(h, "a")
    back = t0 + 600.0 - 120.0  # the clock steps back two minutes
    feed(h, [(back + i / 10, back + i / 10, 1, {"v": 5.0}) for i in range(300)])
    after = rows(h, "a")
    # Everything kept before the step is still there (its open bucket now reduced to its two
    # points), then the samples received after it, in buckets of their own.
    j = after["t"].index(back)
    assert after["t"][:j - 2] == before["t"][:j - 2] and after["t"][0] == t0
    assert after["t"][j - 1] == before["t"][-1] == t0 + 599.9
    assert after["t"][-1] == back + 29.9 and set(after["level"][j:]) == {1}
    assert set(after["level"][:j]) == {0}


def test_sample_count_is_the_points_held() -> None:
    h = History(60.0)
    for i in range(2000):
        h.add(i / 10, [st("a", {"v": str(i)}), st("b", {"w": str(-i)})])
    assert h.sample_count() == sum(len(s) for s in h.series()) <= 2 * (2 * (BUCKETS + 1) + 4)


def test_the_decimation_rule_gives_a_bucket_the_same_points_alone_or_among_others() -> None:
    """bucket_min_max has a path for one bucket (the loop's, in place) and one for many (a
    snapshot's): on random buckets with ties, NaN and keys absent from a whole bucket, each
    bucket's points are the same either way, and those of a plain reading of the rule."""
    rnd = random.Random(7)
    for _ in range(200):
        keys, sizes = rnd.randint(1, 4), [rnd.randint(1, 6) for _ in range(rnd.randint(1, 5))]
        m = np.array([[rnd.choice([math.nan, 1.0, 2.0, 3.0, rnd.uniform(-5, 5)]) for _ in range(sum(sizes))]
                      for _ in range(keys)])
        starts = np.cumsum([0, *sizes[:-1]])
        first, second = bucket_min_max(m, starts)
        for b, (a, size) in enumerate(zip(starts.tolist(), sizes, strict=True)):
            alone = bucket_min_max(np.ascontiguousarray(m[:, a:a + size]), np.zeros(1, dtype=np.intp))
            for k in range(keys):
                row = [v for v in m[k, a:a + size].tolist() if not math.isnan(v)]
                if row:
                    lo_at, hi_at = row.index(min(row)), row.index(max(row))
                    want = [row[min(lo_at, hi_at)], row[max(lo_at, hi_at)]]
                else:
                    want = [math.nan, math.nan]
                for got in ([first[k, b], second[k, b]], [alone[0][k, 0], alone[1][k, 0]]):
                    assert [repr(float(v)) for v in got] == [repr(v) for v in want], (m[k, a:a + size], want)
