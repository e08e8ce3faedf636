"""The level-change log on the DataChannel (capability "levels"): the request and its chunked answer."""

from __future__ import annotations

import json
import threading

from chedweb_bridge import requests
from chedweb_bridge.store.level_messages import MAX_CHANGES, LevelsQuery, encode_levels, parse_levels
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.query_service import QueryService
from chedweb_bridge.store.tiers import LevelChange, TieredStore
from chedweb_bridge.store.worker import StoreWorker

T0 = 1_700_000_040.0
GOOD = {"type": "levels", "id": 3, "hardware_id": "robot", "name": "motor", "from": T0, "to": T0 + 600}


def test_a_good_request_and_bad_ones_with_a_reason() -> None:
    assert parse_levels(GOOD, 3) == LevelsQuery(3, "robot", "motor", T0, T0 + 600)
    assert requests.parse(json.dumps(GOOD)) == LevelsQuery(3, "robot", "motor", T0, T0 + 600)
    for bad in ({"hardware_id": 1}, {"name": None}, {"from": "x"}, {"to": T0}, {"to": T0 - 1},
                {"from": float("nan")}, {"to": T0 + 500 * 86400}, {"from": True}):
        assert isinstance(parse_levels({**GOOD, **bad}, 3), str), bad


def store_with_flips(n: int, message: str = "m") -> TieredStore:
    store = TieredStore(MemoryRepository())
    for i in range(n):
        store.add(T0 + i, [{"hardware_id": "robot", "name": "motor", "level": i % 3,
                            "message": f"{message}{i}", "values": {}}])
        store.add(T0 + i, [{"hardware_id": "robot", "name": "other", "level": 2, "message": "",
                            "values": {}}])
    return store


def test_the_answer_holds_every_transition_of_the_status_in_order_split_under_the_limit() -> None:
    store = store_with_flips(300, "x" * 100)
    query = LevelsQuery(9, "robot", "motor", T0, T0 + 600)
    texts = encode_levels(query, store.level_changes(("robot", "motor"), T0, T0 + 600, MAX_CHANGES + 1), 4096)
    parts = [json.loads(t) for t in texts]
    assert len(parts) > 1 and all(len(t.encode()) < 4096 for t in texts)
    assert [p["part"] for p in parts] == list(range(len(parts)))
    assert {p["parts"] for p in parts} == {len(parts)} and {p["id"] for p in parts} == {9}
    changes = [c for p in parts for c in p["changes"]]
    assert len(changes) == 300 and not parts[0]["truncated"]
    assert changes[0] == {"t": T0, "old": None, "new": 0, "message": "x" * 100 + "0"}
    assert changes[1]["old"] == 0 and changes[1]["new"] == 1
    assert [c["t"] for c in changes] == sorted(c["t"] for c in changes)


def test_a_long_log_is_cut_and_says_so_and_long_messages_are_cut() -> None:
    changes = [LevelChange(T0 + i, "robot", "motor", i % 2, (i + 1) % 2, "y" * 1000)
               for i in range(MAX_CHANGES + 1)]
    parts = [json.loads(t) for t in encode_levels(LevelsQuery(1, "robot", "motor", T0, T0 + 9999), changes)]
    got = [c for p in parts for c in p["changes"]]
    assert len(got) == MAX_CHANGES and parts[0]["truncated"] is True
    assert len(got[0]["message"]) == 256 and got[0]["message"].endswith("…")


def test_no_transitions_is_one_empty_part() -> None:
    (text,) = encode_levels(LevelsQuery(2, "robot", "quiet", T0, T0 + 1), [])
    assert json.loads(text) == {"type": "levels", "id": 2, "part": 0, "parts": 1, "hardware_id": "robot",
                                "name": "quiet", "from": T0, "to": T0 + 1, "truncated": False, "changes": []}


def test_the_log_is_read_on_the_store_thread_and_handed_back() -> None:
    worker = StoreWorker("", 10_000_000)
    for i in range(10):
        worker.add(T0 + i, [{"hardware_id": "r", "name": "s", "level": i // 5, "message": str(i),
                             "values": {}}])
    worker.start()
    threads: list[str] = []
    answers: list[list[str] | str] = []
    got = threading.Event()

    def call_soon(fn: object, arg: list[str] | str) -> None:
        threads.append(threading.current_thread().name)
        answers.append(arg)
        got.set()

    QueryService(worker, call_soon).ask(LevelsQuery(4, "r", "s", T0, T0 + 60), 65536, lambda a: None)
    assert got.wait(5)
    worker.stop()
    assert threads == ["webrtc_bridge-history"]
    (parts,) = answers
    assert isinstance(parts, list)
    changes = json.loads(parts[0])["changes"]
    assert [(c["old"], c["new"], c["message"]) for c in changes] == [(None, 0, "0"), (0, 1, "5")]
