"""One block of samples <-> bytes (pure): how the store keeps many samples in one row.

A block is one status's samples (or per-minute/per-hour points) over a time window: a shared time
column, a level column, and one column per numeric key (three, min/avg/max, in rollup tiers).
Sharing the time column across a status's keys, and storing decimal values as scaled integer
deltas, is what lets a day of 1 Hz samples of ~500 series fit in a few tens of MB: values reach
the bridge as short decimal strings ("12.5"), so most columns are small integers after scaling,
and their deltas compress with zlib to about a byte a sample or less.

Layout, all inside one zlib stream: u32 header length, a JSON header (count, first time, column
table), then the time deltas (int64 ms), the levels (int16), then each column as int64 deltas
of round(v * 10**scale) with a NaN bitmap when any value is NaN, or as float64 when no scale up
to MAX_SCALE represents every value exactly.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from array import array
from dataclasses import dataclass, field
from itertools import accumulate

MAX_SCALE = 6
_VERSION = 1
_NAN = math.nan
_EXACT_LIMIT = 2.0 ** 53


@dataclass
class Block:
    """Columns of equal length. `avg` holds the raw values in the raw tier, where `lo` and `hi`
    stay empty (a raw sample is its own min and max)."""
    t: list[float]
    level: list[int]
    avg: dict[str, list[float]]
    lo: dict[str, list[float]] = field(default_factory=dict)
    hi: dict[str, list[float]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)


def encode(block: Block, scales: dict[str, int] | None = None, level: int = 6) -> bytes:
    """`scales`: per key, the scale to try first (the decimals its texts showed); checked, and
    searched for only when it does not represent every value exactly. zlib `level` 1 for the
    short-lived chunks of an open block, 6 for sealed blocks."""
    n = len(block.t)
    hints = scales or {}
    t_ms = [round(t * 1000.0) for t in block.t]
    sections: list[bytes] = [_int_deltas(t_ms), array("h", block.level).tobytes()]
    columns: list[list[object]] = []
    for which, table in (("a", block.avg), ("l", block.lo), ("h", block.hi)):
        for key, values in table.items():
            scale = _scale(values, hints.get(key, -1))
            if which == "a" and scale < 0 and key in block.lo:
                # A rollup's average rarely has a short decimal form; two digits beyond its
                # minimum's are far below any chart's resolution and keep it compressible.
                lo_scale = _scale(block.lo[key], hints.get(key, -1))
                if 0 <= lo_scale <= MAX_SCALE - 2:
                    scale = lo_scale + 2
                    values = [v if v != v else round(v, scale) for v in values]
            nan = [v != v for v in values]
            has_nan = any(nan)
            if scale >= 0:
                m = 10.0 ** scale
                ints: list[int] = []
                last = 0
                for v, missing in zip(values, nan, strict=True):
                    if not missing:
                        last = round(v * m)
                    ints.append(last)
                sections.append(_int_deltas(ints))
            else:
                sections.append(array("d", values).tobytes())
            if has_nan:
                sections.append(_bitmap(nan))
            columns.append([key, which, scale, int(has_nan)])
    header = json.dumps({"v": _VERSION, "n": n, "cols": columns}, separators=(",", ":")).encode()
    body = struct.pack("<I", len(header)) + header + b"".join(sections)
    return zlib.compress(body, level)


def decode(blob: bytes, keys: set[str] | None = None) -> Block:
    """The block; only the columns of `keys` when given (the others are skipped, not parsed)."""
    body = zlib.decompress(blob)
    (hlen,) = struct.unpack_from("<I", body)
    header = json.loads(body[4:4 + hlen])
    if header.get("v") != _VERSION:
        raise ValueError(f"unknown block version {header.get('v')}")
    n = int(header["n"])
    pos = 4 + hlen
    t_ms, pos = _read_int_deltas(body, pos, n)
    t = [v / 1000.0 for v in t_ms]
    levels = array("h")
    levels.frombytes(body[pos:pos + 2 * n])
    pos += 2 * n
    block = Block(t=t, level=levels.tolist(), avg={})
    tables = {"a": block.avg, "l": block.lo, "h": block.hi}
    bitmap_len = (n + 7) // 8
    for key, which, scale, has_nan in header["cols"]:
        wanted = keys is None or key in keys
        if scale >= 0:
            ints, pos = _read_int_deltas(body, pos, n)
            values = [i / 10.0 ** scale for i in ints] if wanted else []
        else:
            floats = array("d")
            floats.frombytes(body[pos:pos + 8 * n])
            pos += 8 * n
            values = floats.tolist()
        if has_nan:
            if wanted:
                bits = body[pos:pos + bitmap_len]
                values = [_NAN if bits[i >> 3] >> (i & 7) & 1 else v for i, v in enumerate(values)]
            pos += bitmap_len
        if wanted:
            tables[which][key] = values
    return block


def _scale(values: list[float], hint: int = -1) -> int:
    """A number of decimals that represents every value exactly (`hint` if it does, else the
    smallest), or -1."""
    finite = [v for v in values if v == v]
    if not finite:
        return 0
    if not max(map(abs, finite)) < _EXACT_LIMIT / 10.0 ** MAX_SCALE:
        return -1
    if 0 <= hint <= MAX_SCALE:
        m = 10.0 ** hint
        if all(round(v * m) / m == v for v in finite):
            return hint
    for scale in range(MAX_SCALE + 1):
        m = 10.0 ** scale
        if all(round(v * m) / m == v for v in finite):
            return scale
    return -1


def _int_deltas(ints: list[int]) -> bytes:
    """int64 deltas (the first against 0), prefixed by their width: 4 when all fit in int32."""
    deltas = [b - a for a, b in zip([0, *ints], ints, strict=False)]
    if all(-2**31 <= d < 2**31 for d in deltas):
        return b"\x04" + array("i", deltas).tobytes()
    return b"\x08" + array("q", deltas).tobytes()


def _read_int_deltas(body: bytes, pos: int, n: int) -> tuple[list[int], int]:
    width = body[pos]
    data = array("i" if width == 4 else "q")
    data.frombytes(body[pos + 1:pos + 1 + width * n])
    return list(accumulate(data)), pos + 1 + width * n


def _bitmap(flags: list[bool]) -> bytes:
    out = bytearray((len(flags) + 7) // 8)
    for i, flag in enumerate(flags):
        if flag:
            out[i >> 3] |= 1 << (i & 7)
    return bytes(out)
