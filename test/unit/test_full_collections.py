"""chedweb_bridge/full_collections.py: CPython's automatic full collections off, and the bridge's
own between two messages' fan-outs at most every interval (or on the idle timer)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chedweb_bridge.full_collections import FullCollections

REPO = Path(__file__).resolve().parents[2]

# A fresh interpreter (the test process's own collector is left alone): 300,000 surviving
# containers, enough to pass CPython's rule for a full collection several times over; prints how
# many full collections CPython started by itself.
_ALLOCATE = """
import gc, sys
sys.path.insert(0, sys.argv[2])
from chedweb_bridge.full_collections import FullCollections
if sys.argv[1] == "take-over":
    FullCollections.take_over()
full = []
gc.callbacks.append(lambda phase, info: phase == "start" and info["generation"] == 2 and full.append(1))
kept = [[i] for i in range(300_000)]
print(len(full), gc.get_threshold()[0], gc.get_threshold()[1])
"""


def _automatic_full_collections(mode: str) -> tuple[int, int, int]:
    out = subprocess.run([sys.executable, "-c", _ALLOCATE, mode, str(REPO)], capture_output=True,
                         text=True, check=True, timeout=60).stdout.split()
    return int(out[0]), int(out[1]), int(out[2])


def test_cpython_starts_no_full_collection_once_the_bridge_has_taken_over() -> None:
    full, young, middle = _automatic_full_collections("cpython")
    assert full >= 1  # the allocation does make CPython start some by itself
    taken = _automatic_full_collections("take-over")
    assert taken == (0, young, middle)  # none; the young generations' thresholds as they were


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_full_collection_runs_after_a_message_once_an_interval_has_passed() -> None:
    clock, runs = _Clock(), list[int]()
    collections = FullCollections(30.0, clock=clock, collect=runs.append)
    clock.now += 29.9
    assert not collections.between_messages()
    clock.now += 0.2
    assert collections.between_messages()
    assert runs == [2]  # generation 2: a full collection
    assert not collections.between_messages()  # the next one an interval after this one
    clock.now += 30.0
    assert collections.between_messages()
    assert collections.count == 2


def test_with_no_message_the_idle_timer_collects_after_two_intervals() -> None:
    clock, runs = _Clock(), list[int]()
    collections = FullCollections(30.0, clock=clock, collect=runs.append)
    clock.now += 45.0
    assert not collections.idle_check()  # messages may still come to run it between them
    clock.now += 15.1
    assert collections.idle_check()
    assert runs == [2]
    clock.now += 30.0
    assert collections.between_messages()  # counted from the idle one


def test_the_longest_collection_is_kept() -> None:
    clock = _Clock()

    def slow(_generation: int) -> None:
        clock.now += 0.04

    collections = FullCollections(1.0, clock=clock, collect=slow)
    clock.now += 1.0
    collections.between_messages()
    assert round(collections.longest_s, 3) == 0.04
