"""The store's open (not yet sealed) blocks: typed columns of 8 bytes a value (2 a level), NaN
where a row lacks a key, and the same bytes on disk as the list columns they replaced."""

from __future__ import annotations

import math
from array import array
from typing import Any

from chedweb_bridge.store.blockcodec import Block, decode, encode, encode_small
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.tiers import Tier, TieredStore

T0 = 1_700_000_040.0
KEY = ("robot", "motor")
TIERS = (Tier("raw", 0.0, 300.0, 3 * 86400.0), Tier("minute", 60.0, 7200.0, 30 * 86400.0))


def _status(values: dict[str, str], level: int = 0) -> dict[str, object]:
    return {"hardware_id": "robot", "name": "motor", "level": level, "message": "ok", "values": values}


def _fed_store() -> TieredStore:
    store = TieredStore(MemoryRepository(), TIERS)
    for i in range(400):  # 400 s at 1 Hz: one minute-tier block with several points
        values = {"current A": f"{(i % 17) * 0.25:g}", "mode": "auto"}
        if i % 3 == 0:
            values["temp degC"] = f"{40 + i % 7}.5"  # a key missing from two rows in three
        store.add(T0 + i, [_status(values, level=2 if i % 50 == 0 else 0)])
        if i % 5 == 0:
            store.flush(T0 + i)
    return store


def _as_lists(block: Block) -> Block:
    return Block(list(block.t), list(block.level), {k: list(v) for k, v in block.avg.items()},
                 {k: list(v) for k, v in block.lo.items()}, {k: list(v) for k, v in block.hi.items()})


def test_open_block_columns_are_typed_arrays_with_nan_for_a_missing_key() -> None:
    store = _fed_store()
    raw = store._open[(KEY, 0)].block
    minute = store._open[(KEY, 1)].block
    for block in (raw, minute):
        assert isinstance(block.t, array) and block.t.typecode == "d"
        assert isinstance(block.level, array) and block.level.typecode == "h"
        for table in (block.avg, block.lo, block.hi):
            for column in table.values():
                assert isinstance(column, array) and column.typecode == "d"
                assert len(column) == len(block.t)
    assert set(minute.lo) == set(minute.hi) == set(minute.avg) == {"current A", "temp degC"}
    temp = raw.avg["temp degC"]
    present = [not math.isnan(v) for v in temp]
    assert present == [(int(t - T0) % 3 == 0) for t in raw.t]


def test_open_block_encodes_to_the_same_bytes_as_list_columns() -> None:
    store = _fed_store()
    for tier in (0, 1):
        block = store._open[(KEY, tier)].block
        scales: Any = store._scales.get(KEY)
        lists = _as_lists(block)
        assert encode(block, scales) == encode(lists, scales)
        assert encode_small(block, scales) == encode_small(lists, scales)


def test_a_sealed_block_decodes_to_what_was_added() -> None:
    store = _fed_store()
    open_raw = _as_lists(store._open[(KEY, 0)].block)
    store.flush(T0 + 10_000)  # silent for longer than a block spans: every open block is sealed
    assert (KEY, 0) not in store._open
    rows = store.repo.blocks(KEY, 0, open_raw.t[0], open_raw.t[-1] + 1)
    sealed = decode(rows[-1][2])
    assert sealed.t == open_raw.t and sealed.level == open_raw.level
    for key, values in open_raw.avg.items():
        assert [None if math.isnan(v) else v for v in sealed.avg[key]] == \
               [None if math.isnan(v) else v for v in values]
