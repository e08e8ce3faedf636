"""Pure parts of issue 8 items 1, 2, 3 and 12: status truncation, the level rule, the time rule,
history trimmed by receive time, and snapshot decimation."""

from __future__ import annotations

import json
import math

import numpy as np

from chedweb_bridge import codec, timebase
from chedweb_bridge.history import SNAPSHOT_MAX_POINTS, History


def st(name: str, values: dict[str, str], level: int = 0, message: str = "") -> dict[str, object]:
    return {"name": name, "level": level, "message": message, "hardware_id": "hw", "values": values}


# ---- item 1: size ----

def test_small_status_is_untouched() -> None:
    s = st("a", {"k": "1"})
    assert codec.fit_status(s, codec.status_budget(65536)) is s


def test_long_strings_cut_with_marker_and_flagged() -> None:
    budget = codec.status_budget(65536)
    fitted = codec.fit_status(st("a", {"k": "1", "long": "y" * 5000}, message="x" * 300_000), budget)
    assert fitted["truncated"] is True
    assert fitted["message"] == "x" * codec.TRUNCATED_TEXT_CHARS + codec.TRUNCATION_MARKER
    cut = "y" * codec.TRUNCATED_TEXT_CHARS + codec.TRUNCATION_MARKER
    assert fitted["values"] == {"k": "1", "long": cut}
    assert codec.utf8_len(codec.dumps(fitted)) <= budget


def test_keys_beyond_the_budget_dropped_in_order() -> None:
    budget = codec.status_budget(65536)
    values = {f"key {i:04d}": "z" * 900 for i in range(200)}
    fitted = codec.fit_status(st("a", values), budget)
    kept = list(fitted["values"])
    assert 0 < len(kept) < 200 and kept == list(values)[:len(kept)]
    assert codec.utf8_len(codec.dumps(fitted)) <= budget


def test_worst_case_characters_still_fit_the_smallest_peer() -> None:
    budget = codec.status_budget(codec.MIN_PEER_MESSAGE_BYTES)
    nasty = "\x01" * 5000  # 6 bytes each in JSON
    fitted = codec.fit_status({"name": nasty, "level": 0, "message": nasty, "hardware_id": nasty,
                               "values": {nasty: nasty}}, budget)
    assert codec.utf8_len(codec.dumps(fitted)) <= budget


def test_live_texts_never_exceed_the_limit_and_cut_as_the_snapshot_does() -> None:
    huge = codec.sanitize_levels([st("big", {"k": "1"}, message="é" * 200_000), st("small", {"v": "2"})])
    for limit in (codec.MIN_PEER_MESSAGE_BYTES, 20_000, codec.MAX_MESSAGE_BYTES):
        payloads = codec.LivePayloads(1, "/diagnostics", 1.0, huge)
        texts = payloads.texts(2, limit)
        assert all(codec.utf8_len(t) <= limit for t in texts)
        live = [s for t in texts for s in json.loads(t)["statuses"]]
        assert live[0] == codec.fit_status(huge[0], codec.status_budget(limit))
        h = History(3600.0)
        h.add(1.0, huge)
        parts = codec.encode_snapshot(h.snapshot_copy(), limit)
        assert all(codec.utf8_len(p) <= limit for p in parts)
        latest = [s["latest"] for p in parts for s in json.loads(p)["statuses"]
                  if s["name"] == "big" and "latest" in s]
        assert latest == [live[0]]


def test_v1_text_shared_with_v2_when_no_v2_field() -> None:
    payloads = codec.LivePayloads(1, "/d", 1.0, [st("a", {"k": "1"})])
    assert payloads.texts(1) is payloads.texts(2)  # encoded once for both kinds of peer


# ---- item 3: levels ----

def test_levels_outside_0_to_3_become_error_with_raw_kept() -> None:
    out = codec.sanitize_levels([st("a", {}, 0), st("b", {}, 3), st("c", {}, 200), st("d", {}, 255),
                                 st("e", {}, -1)])
    want = [(0, None), (3, None), (2, 200), (2, 255), (2, -1)]
    assert [(s["level"], s.get("raw_level")) for s in out] == want
    [v1] = codec.LivePayloads(1, "/d", 1.0, out).texts(1)
    assert all("raw_level" not in s for s in json.loads(v1)["statuses"])


# ---- item 2: time ----

def test_stamp_rule() -> None:
    assert timebase.effective_stamp(0, 0, 1000.0) == (1000.0, False)
    assert timebase.effective_stamp(990, 500_000_000, 1000.0) == (990.5, False)
    assert timebase.effective_stamp(4_102_444_800, 0, 1000.0) == (1000.0, True)  # year 2100
    assert timebase.effective_stamp(100, 0, 1_764_200_000.0) == (1_764_200_000.0, True)  # sim time


def test_history_window_on_receive_clock_not_stamps() -> None:
    h = History(10.0)
    for i in range(20):
        h.add(100.0 + i, [st("sim", {"v": str(i)})], received=5000.0 + i)  # stamps far behind
    h.add(4_102_444_800.0, [st("future", {"v": "1"})], received=5020.0)  # one in the year 2100
    h.add(5021.0, [st("wall", {"v": "1"})], received=5021.0)
    rows = {s.name: s.rows(0, len(s)) for s in h.series()}
    assert set(rows) == {"sim", "future", "wall"}
    assert len(rows["sim"]["t"]) == 9  # received 5011..5019: within 10 s of the newest receive


# ---- item 12: decimation ----

def test_decimation_bounds_points_and_keeps_spikes_in_order() -> None:
    h = History(3600.0)  # buckets of 24 s: every sample of the hour kept as its bucket's points
    n = 3600
    for i in range(n):
        v = 1000.0 if i == 1234 else -1000.0 if i == 2345 else float(i % 7)
        values = {"v": str(v)}
        if i % 2:
            values["odd"] = "1"
        h.add(float(i), [st("s", values, level=2 if i == 3000 else 0)])
    [copy] = h.snapshot_copy()
    d = copy.decimated()
    rows = d.rows(0, len(d))
    assert len(rows["t"]) <= SNAPSHOT_MAX_POINTS
    assert rows["t"] == sorted(rows["t"]) and rows["t"][0] == 0.0 and rows["t"][-1] == n - 1
    assert max(rows["values"]["v"]) == 1000.0 and min(rows["values"]["v"]) == -1000.0
    assert max(rows["level"]) == 2  # the worst level of a bucket survives
    assert all(len(c) == len(rows["t"]) for c in rows["values"].values())
    assert set(rows["values"]["odd"]) == {1.0}  # absent samples skipped, not NaN, when any is present


def test_decimation_leaves_short_histories_alone() -> None:
    h = History(1e9)
    for i in range(10):
        h.add(float(i), [st("s", {"v": str(i)} if i != 4 else {})])
    [copy] = h.snapshot_copy()
    rows = copy.decimated().rows(0, 10)
    assert rows["t"] == [float(i) for i in range(10)]
    assert rows["values"]["v"][4] is None and not any(isinstance(x, float) and math.isnan(x)
                                                      for x in rows["values"]["v"])


def test_snapshot_copy_is_independent_of_later_adds() -> None:
    h = History(5.0)
    for i in range(5):
        h.add(float(i), [st("s", {"v": str(i)})])
    [copy] = h.snapshot_copy()
    for i in range(5, 50):
        h.add(float(i), [st("s", {"v": str(i)})])
    assert copy.rows(0, len(copy))["values"]["v"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert isinstance(copy.decimated(4).rows(0, 4)["t"], list)
    assert np.isfinite(copy.decimated(4).rows(0, 4)["t"]).all()
