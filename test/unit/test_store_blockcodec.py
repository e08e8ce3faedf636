"""blockcodec: many samples to one compact row, and back exactly."""

from __future__ import annotations

import math
import random
import zlib

import numpy as np
import pytest

from chedweb_bridge.store.blockcodec import Block, concat, decode, encode, encode_small


def _same(a: list[float], b: list[float]) -> bool:
    if len(a) != len(b):
        return False
    return all(x == y or (math.isnan(x) and math.isnan(y)) for x, y in zip(a, b, strict=True))


def test_round_trip_keeps_decimals_floats_nans_and_big_values() -> None:
    rng = random.Random(1)
    n = 300
    block = Block(
        t=[1_700_000_000.0 + i + rng.randrange(1000) / 1000 for i in range(n)],
        level=[i % 4 for i in range(n)],
        avg={"decimal": [round(rng.gauss(20, 3), 1) for _ in range(n)],
             "holes": [math.nan if i % 7 == 0 else float(i) for i in range(n)],
             "float": [rng.random() for _ in range(n)],
             "big": [2.0 ** 60 + i * 2.0 ** 10 for i in range(n)],
             "negative": [-0.001 * i for i in range(n)]},
    )
    back = decode(encode(block))
    assert back.t == block.t and back.level == block.level
    for key, values in block.avg.items():
        assert _same(back.avg[key], values), key


def test_rollup_columns_and_selected_keys() -> None:
    block = Block([60.0, 120.0], [0, 2], avg={"a": [1.25, 2.5], "b": [3.0, 4.0]},
                  lo={"a": [1.0, 2.0], "b": [3.0, 4.0]}, hi={"a": [1.5, 3.0], "b": [3.0, 4.0]})
    back = decode(encode(block), keys={"a"})
    assert back.avg == {"a": [1.25, 2.5]} and back.lo == {"a": [1.0, 2.0]} and back.hi == {"a": [1.5, 3.0]}


def test_a_rollup_average_keeps_two_decimals_beyond_its_minimum() -> None:
    block = Block([0.0], [0], avg={"a": [1 / 3]}, lo={"a": [0.1]}, hi={"a": [0.5]})
    assert decode(encode(block)).avg["a"] == [0.333]


@pytest.mark.parametrize("encoder", [encode, encode_small])
def test_a_rollup_average_too_large_for_its_minimums_decimals_is_kept_as_a_float(encoder: object) -> None:
    # A minute in which a reading jumped from 0.5 to 1e18 (a counter reset, a stamp in ns): its
    # average at the minimum's decimals + 2 overflowed int64; encode_small raised OverflowError
    # on the store's thread, and encode stored garbage. Kept as a float64 instead.
    block = Block([0.0, 60.0], [0, 0], avg={"a": [5e17 + 0.25, 2.0]}, lo={"a": [0.5, 1.5]},
                  hi={"a": [1e18, 2.5]})
    back = decode(encoder(block))  # type: ignore[operator]
    assert back.avg["a"] == [5e17 + 0.25, 2.0]
    assert back.lo["a"] == [0.5, 1.5] and back.hi["a"] == [1e18, 2.5]


def test_decimal_samples_take_about_a_byte_each() -> None:
    # Why the format exists: a 1 Hz status with ten slowly moving decimal keys.
    rng = random.Random(2)
    n = 300
    walks = {f"k{j}": [0.0] for j in range(10)}
    for column in walks.values():
        for _ in range(n - 1):
            column.append(round(column[-1] + rng.choice((-0.1, 0.0, 0.0, 0.1)), 1))
    block = Block([1_700_000_000 + i + rng.randrange(5) / 1000 for i in range(n)], [0] * n, walks)
    size = len(encode(block))
    assert size < 1.0 * n * 10, size
    assert zlib.decompress(encode(block))  # one zlib stream


def test_empty_block() -> None:
    assert len(decode(encode(Block([], [], {})))) == 0


def test_a_version_1_block_still_decodes() -> None:
    # Chunk rows, and every block a store written by an older bridge holds, are version 1.
    block = Block([10.0, 11.5, 12.0], [0, 1, 0], avg={"a": [1.5, math.nan, 2.5], "f": [0.1 + 0.2, 1.0, 2.0]},
                  lo={"a": [1.0, math.nan, 2.0]}, hi={"a": [2.0, math.nan, 3.0]})
    back = decode(encode_small(block))
    assert back.t == block.t and back.level == block.level
    assert _same(back.avg["a"], block.avg["a"]) and back.avg["f"] == block.avg["f"]
    assert _same(back.lo["a"], block.lo["a"]) and _same(back.hi["a"], block.hi["a"])
    arrays = decode(encode_small(block), arrays=True)
    assert isinstance(arrays.t, np.ndarray) and _same(list(arrays.avg["a"]), block.avg["a"])


def test_counters_steady_clocks_holes_and_constants_round_trip() -> None:
    n = 500
    block = Block(t=[1_700_000_000.0 + 0.1 * i for i in range(n)], level=[0] * n,
                  avg={"packets": [float(1000 + 80 * i) for i in range(n)],      # deltas' deltas: 0
                       "constant": [7.0] * n,
                       "leading holes": [math.nan] * 3 + [float(i) for i in range(n - 3)],
                       "all holes": [math.nan] * n,
                       "one": [0.5] + [1.5] * (n - 1)})
    blob = encode(block)
    back = decode(blob)
    assert back.t == block.t
    for key, values in block.avg.items():
        assert _same(back.avg[key], values), key
    assert decode(blob, keys={"one"}).avg == {"one": block.avg["one"]}
    arrays = decode(blob, arrays=True)
    assert list(arrays.avg["packets"]) == block.avg["packets"]


def test_short_blocks_round_trip() -> None:
    for n in (1, 2, 3):
        block = Block([100.0 + i for i in range(n)], [2] * n, avg={"a": [0.25 * i for i in range(n)]},
                      lo={"a": [0.0] * n}, hi={"a": [1.0 * i for i in range(n)]})
        back = decode(encode(block))
        assert back.t == block.t and back.level == block.level and back.avg == block.avg
        assert back.lo == block.lo and back.hi == block.hi


def test_random_walk_readings_cost_about_their_entropy() -> None:
    # bench/history.py's load: readings moving by a uniform step every second, at 1-2 decimals.
    # Bit-packed deltas cost ~0.7 bytes a value there; zlib over byte-wide deltas took 1.2.
    rng = random.Random(3)
    n = 300
    columns: dict[str, list[float]] = {}
    for k in range(10):
        v, step, digits = 10.0 * (k + 1), 0.05 * (k + 1), 2 if k % 3 else 1
        column = []
        for _ in range(n):
            v += rng.uniform(-step, step)
            column.append(round(v, digits))
        columns[f"key {k}"] = column
    block = Block([1_700_000_000 + i + rng.random() * 0.01 for i in range(n)], [0] * n, columns)
    size = len(encode(block))
    assert size < 0.8 * n * 10, size
    assert decode(encode(block)).avg == columns


def test_concat_keeps_order_and_fills_a_missing_key_with_nan() -> None:
    a = Block([1.0, 2.0], [0, 1], avg={"x": [1.0, 2.0]}, lo={"x": [0.5, 1.5]}, hi={"x": [1.5, 2.5]})
    b = Block([3.0], [2], avg={"y": [7.0]}, lo={"y": [6.0]}, hi={"y": [8.0]})
    c = concat([a, b])
    assert c.t == [1.0, 2.0, 3.0] and c.level == [0, 1, 2]
    assert _same(c.avg["x"], [1.0, 2.0, math.nan]) and _same(c.avg["y"], [math.nan, math.nan, 7.0])
    assert _same(c.hi["y"], [math.nan, math.nan, 8.0]) and decode(encode(c)).t == c.t


def test_decoding_some_keys_skips_the_others_groups_and_keeps_theirs_exact() -> None:
    rng = random.Random(5)
    n = 200
    avg = {f"k{j}": [round(rng.uniform(-1, 1) * 10 ** (j % 7), 2) for _ in range(n)] for j in range(20)}
    avg["floats"] = [rng.random() for _ in range(n)]
    lo = {k: [v - 1 for v in vs] for k, vs in avg.items()}
    hi = {k: [v + 1 for v in vs] for k, vs in avg.items()}
    blob = encode(Block([float(i) for i in range(n)], [i % 3 for i in range(n)], avg, lo, hi))
    full = decode(blob)
    for key in ("k3", "k19", "floats"):
        part = decode(blob, keys={key}, arrays=True)
        assert set(part.avg) == {key} and list(part.avg[key]) == full.avg[key]
        assert list(part.lo[key]) == full.lo[key] and list(part.hi[key]) == full.hi[key]
        assert list(part.t) == full.t and part.level == full.level


def _edge_block(rnd: random.Random, n: int, rollup: bool) -> Block:
    """A chunk with what the vectorised encoder must get exactly right: missing values at the
    start, the end and throughout, a column with none present, halves at the last kept digit
    (round half to even), -0.0, values too large to scale, more decimals than MAX_SCALE."""
    def column(kind: int) -> list[float]:
        out = []
        for i in range(n):
            if kind == 0:
                v = round(rnd.uniform(-1000, 1000), rnd.choice((0, 1, 2)))
            elif kind == 1:
                v = rnd.choice((0.125, 0.375, -0.125, 2.5, -0.0, 0.0, 1e15, 12.3456789012))
            elif kind == 2:
                v = float(rnd.randrange(10**6)) * 1000 + i
            elif kind == 3:
                v = math.nan
            else:
                v = rnd.choice((1.5, 2.25, 1e300))
            if kind != 3 and (i < 3 or rnd.random() < 0.2):
                v = math.nan
            out.append(v)
        return out
    t = [1_800_000_000.0 + i * 0.1 + rnd.random() * 0.01 for i in range(n)]
    avg = {f"k{kind}": column(kind) for kind in range(5)}
    if not rollup:
        return Block(t, [rnd.randrange(4) for _ in range(n)], avg)
    # A rollup's average (which takes the per-value path, from its minimum's scale) stays ordinary.
    return Block(t, [0] * n, {k: column(0) for k in avg}, avg,
                 {k: column(kind) for kind, k in enumerate(avg)})


def test_encode_small_vectorised_writes_the_per_value_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    from chedweb_bridge.store import blockcodec
    rnd = random.Random(9)
    for trial in range(60):
        n = rnd.choice((blockcodec.SMALL_NUMPY_SAMPLES, 17, 50, 200))
        block = _edge_block(rnd, n, rollup=trial % 3 == 0)
        hints = {f"k{k}": rnd.choice((-1, 0, 2, 6)) for k in range(5)}
        vectorised = encode_small(block, hints)
        monkeypatch.setattr(blockcodec, "SMALL_NUMPY_SAMPLES", 10**9)
        per_value = encode_small(block, hints)
        monkeypatch.undo()
        assert vectorised == per_value, trial
