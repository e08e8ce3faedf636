"""chedweb_bridge/full_collections.py, with the real collector: no collection starts while a
fan-out holds the GC off, what became due starts right after, and full collections are timed."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from chedweb_bridge.full_collections import FullCollectionTimes, GcHold


@pytest.fixture()
def collections_seen() -> Iterator[list[int]]:
    """The generation of every collection started while the test runs; the collector enabled again
    at the end whatever the test did."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)
        gc.enable()


def _allocate(n: int) -> list[list[int]]:
    """n new container objects, kept: each counts towards the next young collection."""
    return [[i] for i in range(n)]


def test_no_collection_starts_while_a_fan_out_holds_the_gc_and_what_became_due_starts_after(
        collections_seen: list[int]) -> None:
    hold = GcHold()
    kept = _allocate(5_000)  # several young collections' worth, with the collector on
    assert collections_seen
    collections_seen.clear()
    hold.hold()
    kept += _allocate(5_000)
    assert collections_seen == []  # none inside the fan-out
    hold.release()
    assert gc.isenabled()
    kept += _allocate(10)  # the first allocations after it: the collection that became due
    assert collections_seen and collections_seen[0] >= 0
    assert len(kept) == 10_010


def test_overlapping_fan_outs_hold_the_gc_until_the_last_is_done(collections_seen: list[int]) -> None:
    hold = GcHold()
    hold.hold()
    hold.hold()  # the next message's fan-out began before the first one's transmissions were done
    hold.release()
    assert not gc.isenabled()
    _allocate(5_000)
    assert collections_seen == []
    hold.release()
    assert gc.isenabled()


def test_closing_ends_a_hold_that_a_stopped_loop_never_released(collections_seen: list[int]) -> None:
    hold = GcHold()
    hold.hold()
    hold.close()
    assert gc.isenabled()
    hold.close()  # twice: nothing more
    assert gc.isenabled()


def test_full_collections_are_counted_and_the_longest_kept(collections_seen: list[int]) -> None:
    times = FullCollectionTimes()
    times.install()
    try:
        gc.collect(1)  # not a full one
        assert times.count == 0
        gc.collect(2)
        gc.collect()
    finally:
        times.uninstall()
    assert times.count == 2
    assert 0.0 < times.longest_s < 5.0
