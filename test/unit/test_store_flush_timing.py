"""Issue 12 (100 peers, live p99): the store's periodic flush runs in the batch of an array, i.e.
right after a fan-out (the loop hands the store each array once its peers' transmissions are
done), not by a timer of its own that falls in the middle of one; and it still runs when no
array comes. The real StoreWorker thread, memory only."""

from __future__ import annotations

import time
from typing import Any

from chedweb_bridge.store import worker as worker_module
from chedweb_bridge.store.worker import StoreWorker

STATUS = [{"hardware_id": "hw", "name": "s", "level": 0, "message": "", "values": {"x": "1"}}]


def recording_worker(flush_seconds: float) -> tuple[StoreWorker, list[tuple[bool, bool]]]:
    """A worker whose batches are recorded as (held an array, flushed)."""
    store = StoreWorker("", 1 << 20, flush_seconds=flush_seconds)
    batches: list[tuple[bool, bool]] = []
    real = store._batch

    def batch(items: list[tuple[Any, ...]], flush: bool, trim: bool, now: float) -> None:
        batches.append((any(item[0] == "add" for item in items), flush))
        real(items, flush, trim, now)

    store._batch = batch  # type: ignore[method-assign]
    return store, batches


def test_a_due_flush_runs_with_the_next_array_not_between_arrays(monkeypatch: Any) -> None:
    monkeypatch.setattr(worker_module, "FLUSH_GRACE_S", 5.0)  # a loaded machine's stalls within it
    store, batches = recording_worker(flush_seconds=0.25)
    store.start()
    try:
        for _ in range(15):  # 10 Hz for 1.5 s: five flushes due
            time.sleep(0.1)
            store.add(time.time(), STATUS)
    finally:
        store.stop()
    flushes = [with_array for with_array, flushed in batches[:-1] if flushed]  # the last: stop's
    assert len(flushes) >= 3
    assert all(flushes), batches


def test_with_no_array_the_flush_still_runs_after_the_grace(monkeypatch: Any) -> None:
    monkeypatch.setattr(worker_module, "FLUSH_GRACE_S", 0.2)
    store, batches = recording_worker(flush_seconds=0.2)
    store.start()
    try:
        time.sleep(0.9)  # due at 0.2 s, run by 0.4 s; again by 0.8 s
    finally:
        store.stop()
    assert sum(flushed for _, flushed in batches[:-1]) >= 1, batches
