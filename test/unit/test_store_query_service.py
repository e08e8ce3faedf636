"""QueryService: the query runs on the store's thread and the answer comes back through call_soon."""

from __future__ import annotations

import json
import threading

from chedweb_bridge.store.query_service import QueryService
from chedweb_bridge.store.range_messages import RangeQuery
from chedweb_bridge.store.worker import StoreWorker

T0 = 1_700_000_040.0


def test_the_answer_is_computed_on_the_store_thread_and_handed_back() -> None:
    worker = StoreWorker("", 10_000_000)
    for i in range(60):
        status = {"hardware_id": "r", "name": "s", "level": 0, "message": "", "values": {"x": str(i)}}
        worker.add(T0 + i, [status])
    worker.start()
    threads: list[str] = []
    answers: list[list[str] | str] = []
    got = threading.Event()

    def call_soon(fn: object, arg: list[str] | str) -> None:  # stands for the loop's call_soon
        threads.append(threading.current_thread().name)
        answers.append(arg)
        got.set()

    QueryService(worker, call_soon).ask(RangeQuery(4, "r", "s", T0, T0 + 60, 6, None), 65536, lambda a: None)
    assert got.wait(5)
    worker.stop()
    assert threads == ["webrtc_bridge-history"]
    (parts,) = answers
    assert isinstance(parts, list)
    assert json.loads(parts[0])["values"]["x"]["max"] == [9, 19, 29, 39, 49, 59]


def test_a_failing_query_answers_with_a_message() -> None:
    worker = StoreWorker("", 10_000_000)
    worker.start()
    answers: list[list[str] | str] = []
    got = threading.Event()

    def call_soon(fn: object, arg: list[str] | str) -> None:
        answers.append(arg)
        got.set()

    QueryService(worker, call_soon).ask(RangeQuery(4, "r", "s", T0, T0 - 1, 6, None), 65536, lambda a: None)
    assert got.wait(5)
    worker.stop()
    assert answers == ["query failed: a range needs t1 > t0 and points > 0"]
