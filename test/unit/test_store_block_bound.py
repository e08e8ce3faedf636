"""The raw tier's open-block bound, as the bridge runs it (TieredStore's defaults): a fast status's
block is sealed at a fixed number of samples, which is what bounds the open blocks' memory at
issue 12's load (10 Hz x 50 statuses x 20 keys), while a 1 Hz status (issue 10's load) still gets
whole 300 s blocks (its disk figure and write CPU are measured with those)."""

from __future__ import annotations

import sys
from array import array

from chedweb_bridge.store.blockcodec import decode
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.tiers import TieredStore

T0 = 1_700_000_040.0
KEY = ("robot", "motor")
KEYS = 20
# docs/architecture.md (the tiers.py row): raw <= min(BOUND samples, 300 s of samples) x (8K + 10)
# bytes a status with K numeric keys. At 10 Hz a block seals after 32 s, not after 102 s (1,024).
BOUND = 320


def _status(i: int) -> dict[str, object]:
    return {"hardware_id": "robot", "name": "motor", "level": 0, "message": "ok",
            "values": {f"key {k}": f"{(i * 7 + k) % 100 * 0.25:.2f}" for k in range(KEYS)}}


def _open_raw_bytes(store: TieredStore) -> tuple[int, int]:
    """(bytes the open raw block's values take: 8 a float, 2 a level; bytes its arrays hold,
    headers and growth slack included)."""
    block = store._open[(KEY, 0)].block
    columns: list[array[float]] = [block.t, *block.avg.values()]  # type: ignore[list-item]
    used = sum(len(c) * c.itemsize for c in columns) + len(block.level) * 2
    held = sum(sys.getsizeof(c) for c in columns) + sys.getsizeof(block.level)
    return used, held


def test_a_10_hz_status_has_its_raw_block_sealed_at_the_bound_and_its_memory_stays_within_it() -> None:
    repo = MemoryRepository()
    store = TieredStore(repo)  # the defaults the bridge runs with
    documented = BOUND * (8 * KEYS + 10)
    header = sys.getsizeof(array("d"))
    most = 0
    for i in range(2 * BOUND + 50):  # 10 Hz for 69 s: two full blocks and part of a third
        t = T0 + i / 10
        store.add(t, [_status(i)])
        if i % 50 == 49:
            store.flush(t)
        most = max(most, len(store._open[(KEY, 0)].block))
        used, held = _open_raw_bytes(store)
        assert used <= documented
        # The arrays' growth slack (CPython grows an array by about 1/16) and their headers.
        assert held <= documented * 9 / 8 + (KEYS + 2) * header
    assert most == BOUND
    sealed = [decode(blob) for b0, _b1, blob in repo.blocks(KEY, 0, T0, T0 + 100)
              if b0 not in store._open[(KEY, 0)].chunks]
    assert [len(b) for b in sealed] == [BOUND, BOUND]
    assert sealed[1].t[0] == T0 + BOUND / 10
    assert len(store._open[(KEY, 0)].block) == 50


def test_a_1_hz_status_a_little_fast_still_gets_whole_300_s_blocks() -> None:
    # A 1 Hz publisher whose timer runs 3 % fast: 310 samples in 300 s, all in one block.
    repo = MemoryRepository()
    store = TieredStore(repo)
    period = 0.97
    n = 700
    for i in range(n):
        t = T0 + i * period
        store.add(t, [_status(i)])
        if i % 5 == 4:
            store.flush(t)
    sealed = [decode(blob) for b0, _b1, blob in repo.blocks(KEY, 0, T0, T0 + n)
              if b0 not in store._open[(KEY, 0)].chunks]
    assert [len(b) for b in sealed] == [310, 310]
    for block in sealed:
        assert block.t[-1] - block.t[0] < 300 <= block.t[-1] + period - block.t[0]
