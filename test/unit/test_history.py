"""Bounded per-status history: time window, entry cap, status cap, key cap, absent values."""

from __future__ import annotations

import math
import tracemalloc
from typing import Any

from chedweb_bridge.history import History, SeriesHistory


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


def test_entry_cap_per_status() -> None:
    h = History(1e6, max_entries=50)
    for t in range(10_000):
        h.add(float(t), [st("a", {"v": str(t)})])
    r = rows(h, "a")
    assert r["t"] == [float(t) for t in range(9950, 10_000)]
    assert r["values"] == {"v": [float(t) for t in range(9950, 10_000)]}
    assert h.sample_count() == 50


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
    h = History(1e6, max_entries=10)
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


def test_full_history_memory_stays_near_its_kept_samples() -> None:
    """Once a status's history is full, appending must not keep growing its memory. Front trimming
    is lazy; the dead prefix was compacted only when it reached half the arrays, so a full history
    held up to twice its samples (RSS grew for another window's worth of time: 6 more minutes at
    10 Hz in the soak) before dropping back."""
    keep = 3600
    h = History(1e6, max_entries=keep)
    sample = [st("a", {"x": "1.5", "y": "2.5", "z": "3.5"})]
    tracemalloc.start()
    try:
        for t in range(keep):
            h.add(float(t), sample)
        full = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        for t in range(keep, 3 * keep):
            h.add(float(t), sample)
        after_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert h.sample_count() == keep
    # 3 value columns and 3 others of 3,600 samples: ~130 KB at full.
    assert after_peak <= 1.25 * full, (full, after_peak)


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
    series.drop_before(1e9, 10)  # every sample trimmed: the compaction forgets every column
    assert len(series) == 0
    series.append(1e9, status, 1e9, {"a": 1.0, "b": 2.0})
    series.append(1e9 + 1, status, 1e9 + 1, {"a": 3.0, "b": 4.0})
    assert series.rows(0, 2)["values"] == {"a": [1.0, 3.0], "b": [2.0, 4.0]}
