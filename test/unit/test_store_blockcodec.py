"""blockcodec: many samples to one compact row, and back exactly."""

from __future__ import annotations

import math
import random
import zlib

from chedweb_bridge.store.blockcodec import Block, decode, encode


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
