"""One block of samples <-> bytes (pure): how the store keeps many samples in one row.

A block is one status's samples (or per-minute/per-hour points) over a time window: a shared time
column, a level column, and one column per numeric key (three, min/avg/max, in rollup tiers).
Sharing the time column across a status's keys, and storing decimal values as scaled integers,
is what lets a day of 1 Hz samples of ~500 series fit in a few tens of MB: values reach the
bridge as short decimal strings ("12.5"), so most columns are small integers after scaling.

Two layouts, both inside one zlib stream that starts with a u32 header length and a JSON header
(version, count, column table):
- version 2 (`encode`, sealed blocks): every integer column (time in ms, level, each scaled
  value column) as its deltas, or its deltas' deltas (a steady clock, a counter), whichever is
  narrower, minus their minimum and bit-packed at the width of the largest (frame of
  reference). Random-walk readings cost their entropy plus under a bit (0.67 bytes a value at
  bench/history.py's load, where zlib over byte-wide deltas took 1.2): zlib cannot code a
  value in fewer bits than a byte, bit-packing can. zlib still runs over the packed bytes and
  catches repeats (a value that sits still, a constant key). The first values, the mode, the
  width and the minimum are in the JSON header. Encoded and decoded with numpy.
- version 1 (`encode_small`, the few samples of an open block's chunk rows): int32/int64
  deltas, levels as int16, NaN bitmaps. Plain Python below SMALL_NUMPY_SAMPLES samples, where
  numpy's per-call cost would dominate; numpy from there (a 10 Hz status's chunk holds 50
  samples a flush), writing the same bytes. Kept readable forever: a store written by an older
  bridge still decodes.
A column that no scale up to MAX_SCALE represents exactly is stored as float64.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from array import array
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import numpy as np

from chedweb_bridge.store import bitpack

MAX_SCALE = 6
_NAN = math.nan
_EXACT_LIMIT = 2.0 ** 53


@dataclass
class Block:
    """Columns of equal length. `avg` holds the raw values in the raw tier, where `lo` and `hi`
    stay empty (a raw sample is its own min and max). Lists, or numpy float64 arrays when
    decoded with `arrays=True` (what the range query reads)."""
    t: list[float]
    level: list[int]
    avg: dict[str, list[float]]
    lo: dict[str, list[float]] = field(default_factory=dict)
    hi: dict[str, list[float]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)


def concat(blocks: list[Block]) -> Block:
    """One block of `blocks`' samples in their order; a key missing from one of them is NaN
    there (as a key absent from a sample is)."""
    out = Block([], [], {})
    n = 0
    for block in blocks:
        out.t.extend(block.t)
        out.level.extend(block.level)
        for name, target in (("avg", out.avg), ("lo", out.lo), ("hi", out.hi)):
            table: dict[str, list[float]] = getattr(block, name)
            for key, column in table.items():
                if key not in target:
                    target[key] = [_NAN] * n
                target[key].extend(column)
        n += len(block.t)
        for table in (out.avg, out.lo, out.hi):
            for column in table.values():
                if len(column) < n:
                    column.extend([_NAN] * (n - len(column)))
    return out


def encode(block: Block, scales: dict[str, int] | None = None, level: int = 6) -> bytes:
    """Version 2 (a sealed block). `scales` as for encode_small; zlib at `level`."""
    n = len(block.t)
    hints = scales or {}
    ints: list[np.ndarray] = [np.rint(np.asarray(block.t, dtype=np.float64) * 1000.0).astype(np.int64),
                              np.asarray(block.level, dtype=np.int64)]
    floats: list[bytes] = []
    nans: list[np.ndarray] = []
    columns: list[list[object]] = []  # [key, which, scale, has NaN]
    for which, table in (("a", block.avg), ("l", block.lo), ("h", block.hi)):
        for key, values in table.items():
            arr = np.asarray(values, dtype=np.float64)
            nan = np.isnan(arr)
            has_nan = bool(nan.any())
            scale = _scale_np(arr[~nan] if has_nan else arr, hints.get(key, -1))
            if which == "a" and scale < 0 and key in block.lo:
                # A rollup's average rarely has a short decimal form; two digits beyond its
                # minimum's are far below any chart's resolution and keep it compressible.
                lo = np.asarray(block.lo[key], dtype=np.float64)
                lo_scale = _scale_np(lo[~np.isnan(lo)], hints.get(key, -1))
                finite = arr[~nan]
                largest = float(np.abs(finite).max()) if finite.size else 0.0
                scale = _average_scale(lo_scale, largest)
            if scale >= 0:
                ints.append(np.rint(_fill_nan(arr, nan) * 10.0 ** scale).astype(np.int64))
                if has_nan:
                    nans.append(nan)
            else:
                has_nan = False  # float64 keeps its NaNs itself
                floats.append(arr.tobytes())
            columns.append([key, which, scale, int(has_nan)])
    metas, packed = bitpack.pack(np.array(ints, dtype=np.int64).reshape(len(ints), n))
    bitmaps = np.packbits(np.array(nans, dtype=bool).ravel(), bitorder="little").tobytes() if nans else b""
    header = json.dumps({"v": 2, "n": n, "cols": columns, "ints": metas},
                        separators=(",", ":")).encode()
    body = struct.pack("<I", len(header)) + header + packed + b"".join(floats) + bitmaps
    return zlib.compress(body, level)


def _fill_nan(arr: np.ndarray, nan: np.ndarray) -> np.ndarray:
    """NaNs replaced by the value before them (the first finite one at the start): a hole then
    costs no delta; the bitmap puts it back."""
    if not nan.any():
        return arr
    if nan.all():
        return np.zeros_like(arr)
    index = np.where(nan, 0, np.arange(len(arr)))
    np.maximum.accumulate(index, out=index)
    filled = arr[index]
    filled[np.isnan(filled)] = arr[~nan][0]
    return filled


def _scale_np(finite: np.ndarray, hint: int = -1) -> int:
    """_scale over an array: the same test (round(v * 10**s) / 10**s == v), vectorised."""
    if len(finite) == 0:
        return 0
    if not float(np.abs(finite).max()) < _EXACT_LIMIT / 10.0 ** MAX_SCALE:
        return -1
    if 0 <= hint <= MAX_SCALE:
        m = 10.0 ** hint
        if bool(np.all(np.rint(finite * m) / m == finite)):
            return hint
    for scale in range(MAX_SCALE + 1):
        m = 10.0 ** scale
        if bool(np.all(np.rint(finite * m) / m == finite)):
            return scale
    return -1


def encode_small(block: Block, scales: dict[str, int] | None = None, level: int = 1) -> bytes:
    """Version 1, for a few samples (an open block's chunk rows). `scales`: per key, the scale
    to try first (the decimals its texts showed); checked, and searched for only when it does
    not represent every value exactly."""
    n = len(block.t)
    hints = scales or {}
    vectorised = n >= SMALL_NUMPY_SAMPLES
    if vectorised:
        t_column = _int_deltas_np(np.rint(np.asarray(block.t, dtype=np.float64) * 1000.0).astype(np.int64))
    else:
        t_column = _int_deltas([round(t * 1000.0) for t in block.t])
    sections: list[bytes] = [t_column, array("h", block.level).tobytes()]
    columns: list[list[object]] = []
    if vectorised and not block.lo and block.avg:  # a raw chunk: every column at once
        for key, column_sections, scale, has_nan in _small_columns_np(block.avg, hints):
            sections += column_sections
            columns.append([key, "a", scale, int(has_nan)])
        header = json.dumps({"v": 1, "n": n, "cols": columns}, separators=(",", ":")).encode()
        return zlib.compress(struct.pack("<I", len(header)) + header + b"".join(sections), level)
    for which, table in (("a", block.avg), ("l", block.lo), ("h", block.hi)):
        for key, values in table.items():
            scale = _scale(values, hints.get(key, -1))
            if which == "a" and scale < 0 and key in block.lo:
                # A rollup's average rarely has a short decimal form; two digits beyond its
                # minimum's are far below any chart's resolution and keep it compressible.
                lo_scale = _scale(block.lo[key], hints.get(key, -1))
                scale = _average_scale(lo_scale, max((abs(v) for v in values if v == v), default=0.0))
                if scale >= 0:
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
    header = json.dumps({"v": 1, "n": n, "cols": columns}, separators=(",", ":")).encode()
    body = struct.pack("<I", len(header)) + header + b"".join(sections)
    return zlib.compress(body, level)


# From this many samples a chunk row's columns are encoded with numpy (the same bytes as the
# per-value loop): an open block's chunk at 10 Hz holds 50 samples a flush, 1,000 values a status.
SMALL_NUMPY_SAMPLES = 16


def _small_columns_np(table: dict[str, Any],
                      hints: dict[str, int]) -> list[tuple[str, list[bytes], int, bool]]:
    """The columns of a raw chunk as `encode_small`'s loop writes them, byte for byte, computed as
    one matrix: (key, sections, scale, has_nan) per column. np.rint is round()'s half to even,
    and every scaled value is below 2**53, so exact as a float and as an int64."""
    keys = list(table)
    m = np.array([np.asarray(table[k], dtype=np.float64) for k in keys])
    nan = np.isnan(m)
    has_nan = nan.any(axis=1)
    # The scale of each row: its hint where that represents every present value exactly (the
    # common case, tested for all rows at once), else the search of _scale_np, row by row.
    hint = np.array([hints.get(k, -1) for k in keys])
    factor = 10.0 ** np.clip(hint, 0, MAX_SCALE)[:, None]
    with np.errstate(invalid="ignore", over="ignore"):
        exact = ((np.rint(m * factor) / factor == m) | nan).all(axis=1)
        largest = np.where(nan, 0.0, np.abs(m)).max(axis=1)
        small = (largest < _EXACT_LIMIT / 10.0 ** MAX_SCALE) | nan.all(axis=1)
    scales = np.where(exact & small & (hint >= 0) & (hint <= MAX_SCALE) & ~nan.all(axis=1), hint, -2)
    for row in np.flatnonzero(scales == -2).tolist():
        scales[row] = _scale_np(m[row][~nan[row]], int(hint[row]))
    # Scaled integers, a missing value repeating the last present one (0 before any): zero deltas.
    index = np.where(nan, -1, np.arange(m.shape[1]))
    np.maximum.accumulate(index, axis=1, out=index)
    filled = np.where(index >= 0, np.take_along_axis(m, np.maximum(index, 0), axis=1), 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        scaled = np.rint(filled * 10.0 ** np.maximum(scales, 0)[:, None])
    ints = np.where((scales >= 0)[:, None], scaled, 0.0).astype(np.int64)
    deltas = np.diff(ints, axis=1, prepend=np.zeros((len(keys), 1), dtype=np.int64))
    narrow = (deltas.min(axis=1, initial=0) >= -2**31) & (deltas.max(axis=1, initial=0) < 2**31)
    as32 = deltas.astype(np.int32)
    bitmaps = np.packbits(nan, axis=1, bitorder="little")
    out = []
    for i, key in enumerate(keys):
        scale = int(scales[i])
        if scale < 0:
            sections = [m[i].tobytes()]
        elif narrow[i]:
            sections = [b"\x04" + as32[i].tobytes()]
        else:
            sections = [b"\x08" + deltas[i].tobytes()]
        if has_nan[i]:
            sections.append(bitmaps[i].tobytes())
        out.append((key, sections, scale, bool(has_nan[i])))
    return out


def _int_deltas_np(ints: np.ndarray) -> bytes:
    """_int_deltas of an int64 array."""
    deltas = np.diff(ints, prepend=np.int64(0))
    if not len(deltas) or (int(deltas.min()) >= -2**31 and int(deltas.max()) < 2**31):
        return b"\x04" + deltas.astype(np.int32).tobytes()
    return b"\x08" + deltas.astype(np.int64).tobytes()


def decode(blob: bytes, keys: set[str] | None = None, arrays: bool = False) -> Block:
    """The block; only the columns of `keys` when given (the others are skipped, not parsed).
    `arrays`: the columns as numpy float64 arrays (NaN for a missing value), not lists."""
    body = zlib.decompress(blob)
    (hlen,) = struct.unpack_from("<I", body)
    header = json.loads(body[4:4 + hlen])
    version = header.get("v")
    if version == 2:
        return _decode_v2(body, 4 + hlen, header, keys, arrays)
    if version != 1:
        raise ValueError(f"unknown block version {version}")
    block = _decode_v1(body, 4 + hlen, header, keys)
    if arrays:
        as_array: Any = lambda values: np.asarray(values, dtype=np.float64)  # noqa: E731
        return Block(as_array(block.t), block.level, {k: as_array(v) for k, v in block.avg.items()},
                     {k: as_array(v) for k, v in block.lo.items()},
                     {k: as_array(v) for k, v in block.hi.items()})
    return block


def _decode_v2(body: bytes, pos: int, header: dict[str, Any], keys: set[str] | None,
               arrays: bool) -> Block:
    n = int(header["n"])
    wanted_rows = None
    if keys is not None:  # time, level, and the integer rows of the wanted keys
        wanted_rows = {0, 1}
        row = 2
        for key, _which, scale, _has_nan in header["cols"]:
            if scale >= 0:
                if key in keys:
                    wanted_rows.add(row)
                row += 1
    ints, pos = bitpack.unpack(body, pos, n, header["ints"], wanted_rows)
    t = ints[0] / 1000.0
    out: dict[str, dict[str, Any]] = {"a": {}, "l": {}, "h": {}}
    row = 2
    nan_rows = sum(1 for c in header["cols"] if c[3])
    nan_bits = np.zeros((0, n), dtype=bool)
    floats_at = pos
    bitmaps_at = pos + 8 * n * sum(1 for c in header["cols"] if c[2] < 0)
    if nan_rows:
        nan_bits = np.unpackbits(np.frombuffer(body, np.uint8, (nan_rows * n + 7) // 8, bitmaps_at),
                                 count=nan_rows * n, bitorder="little").astype(bool).reshape(nan_rows, n)
    nan_row = 0
    for key, which, scale, has_nan in header["cols"]:
        wanted = keys is None or key in keys
        if scale >= 0:
            values = ints[row] / 10.0 ** scale if wanted else None
            row += 1
        else:
            values = np.frombuffer(body, np.float64, n, floats_at).copy() if wanted else None
            floats_at += 8 * n
        if has_nan:
            if values is not None:
                values[nan_bits[nan_row]] = _NAN
            nan_row += 1
        if values is not None:
            out[which][key] = values if arrays else values.tolist()
    levels = ints[1].tolist()
    return Block(t if arrays else t.tolist(), levels, out["a"], out["l"], out["h"])


def _decode_v1(body: bytes, pos: int, header: dict[str, Any], keys: set[str] | None) -> Block:
    n = int(header["n"])
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


def _average_scale(lo_scale: int, largest: float) -> int:
    """The decimals a rollup's average is kept at when it has no exact short form: its minimum's
    plus two, if that keeps every average exact in int64 arithmetic (below 2**53 scaled), else -1
    (kept as float64). A minute whose reading jumped from 0.5 to 1e18 overflowed int64 here."""
    if not 0 <= lo_scale <= MAX_SCALE - 2:
        return -1
    scale = lo_scale + 2
    return scale if largest * 10.0 ** scale < _EXACT_LIMIT else -1


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
