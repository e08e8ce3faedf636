"""Integer columns of equal length <-> bit-packed bytes (pure, numpy): the core of block version 2.

Each column is stored as its deltas (mode 1) or its deltas' deltas (mode 2: a steady clock, a
counter), whichever needs fewer bits, minus their minimum (frame of reference), at the width in
bits of the largest: a random-walk reading moving by +-0.5 at one decimal costs 4 bits, not the
byte that zlib's byte-oriented coding needs at least. Per column the metadata is
[mode, width, first value, first delta, minimum]; the caller keeps it (blockcodec.py puts it in
the block's JSON header).

Columns of the same (mode, width) are packed together as one matrix, and unpacked with a
constant number of numpy calls per group, not per column: a 7-day query decodes ~80 blocks of
~120 columns each, and per-column numpy calls (~10 us each) would cost most of its budget.
"""

from __future__ import annotations

import numpy as np

Meta = list[int]  # [mode, width, first, first delta, minimum]

_WORDS = ((8, np.uint8), (16, np.uint16), (32, np.uint32), (64, np.uint64))


def pack(columns: np.ndarray) -> tuple[list[Meta], bytes]:
    """`columns`: int64, shape (c, n); every |value| < 2**53 (so no delta overflows)."""
    c, n = columns.shape
    if c == 0 or n == 0:
        return [[1, 0, 0, 0, 0] for _ in range(c)], b""
    firsts = columns[:, 0]
    deltas = np.diff(columns, axis=1)
    first_deltas = deltas[:, 0] if n > 1 else np.zeros(c, dtype=np.int64)
    dd = np.diff(deltas, axis=1)
    w1, b1 = _widths(deltas)
    w2, b2 = _widths(dd)
    mode2 = w2 < w1
    metas = [[2 if m2 else 1, int(w2[i] if m2 else w1[i]), int(firsts[i]), int(first_deltas[i]),
              int(b2[i] if m2 else b1[i])] for i, m2 in enumerate(mode2.tolist())]
    out: list[bytes] = []
    for mode, width, rows in _groups(metas):
        if width == 0:
            continue
        stream = (deltas if mode == 1 else dd)[rows]
        base = np.array([metas[r][4] for r in rows], dtype=np.int64)[:, None]
        u = (stream - base).astype(np.uint64)
        bits = (u[..., None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1)
        out.append(np.packbits(bits.astype(np.uint8).ravel(), bitorder="little").tobytes())
    return metas, b"".join(out)


def unpack(body: bytes, pos: int, n: int, metas: list[Meta],
           wanted: set[int] | None = None) -> tuple[np.ndarray, int]:
    """The columns (int64, shape (len(metas), n)) and the position after them. `wanted`: only
    the groups holding one of these rows are decoded (the others' rows are left undefined): a
    query of two keys of a 40-key status skips most of each block."""
    out = np.zeros((len(metas), n), dtype=np.int64)  # skipped rows read as 0, never stale memory
    if n == 0:
        return out, pos
    for mode, width, rows in _groups(metas):
        m = max(0, n - mode)
        k = len(rows)
        if wanted is not None and wanted.isdisjoint(rows):
            pos += (k * m * width + 7) // 8 if width else 0
            continue
        if width == 0 or m == 0:
            stream = np.broadcast_to(np.array([[metas[r][4]] for r in rows], dtype=np.int64), (k, m))
        else:
            size = (k * m * width + 7) // 8
            bits = np.unpackbits(np.frombuffer(body, np.uint8, size, pos), count=k * m * width,
                                 bitorder="little").reshape(k * m, width)
            pos += size
            word, dtype = next((w, d) for w, d in _WORDS if w >= width)
            padded = np.zeros((k * m, word), dtype=np.uint8)
            padded[:, :width] = bits
            u = np.packbits(padded, axis=1, bitorder="little").view(dtype).reshape(k, m)
            stream = u.astype(np.int64) + np.array([[metas[r][4]] for r in rows], dtype=np.int64)
        firsts = np.array([[metas[r][2]] for r in rows], dtype=np.int64)
        if mode == 2:
            first_deltas = np.array([[metas[r][3]] for r in rows], dtype=np.int64)
            deltas = np.concatenate((first_deltas, first_deltas + np.cumsum(stream, axis=1)), axis=1)
            deltas = deltas[:, :n - 1]
        else:
            deltas = stream
        block = out[rows]
        block[:, 0] = firsts[:, 0]
        block[:, 1:] = firsts + np.cumsum(deltas, axis=1)
        out[rows] = block
    return out, pos


def packed_size(n: int, metas: list[Meta]) -> int:
    return sum((len(rows) * max(0, n - mode) * width + 7) // 8 for mode, width, rows in _groups(metas))


def _widths(stream: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the bits (max - min) needs, and min."""
    c = stream.shape[0]
    if stream.shape[1] == 0:
        return np.zeros(c, dtype=np.int64), np.zeros(c, dtype=np.int64)
    lo = stream.min(axis=1)
    spread = (stream.max(axis=1) - lo).astype(np.uint64)
    widths = np.array([int(s).bit_length() for s in spread.tolist()], dtype=np.int64)
    return widths, lo


def _groups(metas: list[Meta]) -> list[tuple[int, int, list[int]]]:
    """(mode, width, row indexes), in a fixed order: encoder and decoder agree on it."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, meta in enumerate(metas):
        groups.setdefault((meta[0], meta[1]), []).append(i)
    return [(mode, width, rows) for (mode, width), rows in sorted(groups.items())]
