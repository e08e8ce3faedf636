"""Range query requests and their chunked answers."""

from __future__ import annotations

import itertools
import json

from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.range_messages import RangeQuery, encode_range, parse_query
from chedweb_bridge.store.tiers import TieredStore

T0 = 1_700_000_040.0
GOOD = {"type": "query", "id": 3, "hardware_id": "robot", "name": "motor", "from": T0, "to": T0 + 600,
        "points": 600}


def test_a_good_query() -> None:
    assert parse_query(GOOD, 3) == RangeQuery(3, "robot", "motor", T0, T0 + 600, 600, None)
    with_keys = RangeQuery(3, "robot", "motor", T0, T0 + 600, 600, ("a",))
    assert parse_query({**GOOD, "keys": ["a"]}, 3) == with_keys


def test_bad_queries_get_a_reason() -> None:
    for bad in ({"hardware_id": 1}, {"from": "x"}, {"to": T0}, {"to": T0 - 1}, {"from": float("nan")},
                {"to": T0 + 500 * 86400}, {"points": 0}, {"points": 5001}, {"points": 2.5},
                {"points": True}, {"keys": "a"}, {"keys": [1]}, {"keys": ["k"] * 300}):
        assert isinstance(parse_query({**GOOD, **bad}, 3), str), bad


def test_the_answer_is_split_under_the_limit_and_covers_every_point_in_order() -> None:
    store = TieredStore(MemoryRepository())
    for i in range(600):
        store.add(T0 + i, [{"hardware_id": "robot", "name": "motor", "level": i // 300, "message": "",
                            "values": {f"k{j}": f"{i * (j + 1) / 7:.3f}" for j in range(10)}}])
    result = store.query(("robot", "motor"), T0, T0 + 600, 600)
    limit = 8192
    parts = [json.loads(p) for p in encode_range(9, result, limit)]
    assert len(parts) > 1
    assert all(len(p.encode()) < limit for p in encode_range(9, result, limit))
    assert [p["part"] for p in parts] == list(range(len(parts)))
    assert {p["parts"] for p in parts} == {len(parts)}
    assert {p["id"] for p in parts} == {9} and {p["type"] for p in parts} == {"range"}
    starts = [p["start"] for p in parts]
    assert starts[0] == 0
    assert all(a["start"] + len(a["level"]) == b["start"] for a, b in itertools.pairwise(parts))
    assert sum(len(p["level"]) for p in parts) == 600
    joined = [v for p in parts for v in p["values"]["k0"]["avg"]]
    assert joined == [round(i / 7, 3) for i in range(600)]
    assert parts[-1]["level"][-1] == 1 and parts[0]["tier"] == "raw" and parts[0]["step"] == 1.0


def test_gaps_are_null() -> None:
    store = TieredStore(MemoryRepository())
    store.add(T0, [{"hardware_id": "r", "name": "s", "level": 0, "message": "", "values": {"x": "1"}}])
    (part,) = [json.loads(p) for p in encode_range(1, store.query(("r", "s"), T0, T0 + 10, 10))]
    assert part["values"]["x"]["avg"] == [1.0] + [None] * 9 and part["level"] == [0] + [None] * 9
