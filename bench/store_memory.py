"""The durable store's memory at issue 12's load: what its open (not yet sealed) blocks cost.

    .venv/bin/python -m bench.store_memory [--seconds 180] [--rate 10] [--statuses 50] [--keys 20]
                                           [--max-block-samples N] [--traced-seconds 120]

Load: `--statuses` statuses x `--keys` numeric keys at `--rate` Hz (issue 12: 10 Hz x 50 x 20,
10,000 values a second), values as decimal strings that move as readings do (pre-generated, so
building them costs nothing during the run). Fed straight into a TieredStore over a real SQLite
file (db_file.open_file, as the worker opens it), with a synthetic receive clock, flushed every
5 s and trimmed every 60 s as the worker's thread does.
Measured:
- RSS growth after 10 s, 60 s, 120 s... of the load, against a floor: the same process after the
  load is generated and before the store exists (ratio = RSS / floor RSS);
- the values held open per tier (raw, minute, hour) and the rollup rows not yet folded in, so
  the raw tier's share is seen apart from the rollups';
- store CPU per value (add + flush + trim), and the raw tier's sealed blocks on disk: logical
  bytes (blob + ROW_OVERHEAD a row) per value. The run cycles VARIANTS arrays, which zlib finds
  as repeats, so the disk cost of a bound is also measured apart (`row_costs`): 3,840 samples of
  fresh random walks a status cut into blocks of each bound and encoded as a seal encodes them;
- tracemalloc: bytes the store holds per value in its open blocks (the raw tier's, whose blocks
  seal at `--max-block-samples`, default DEFAULT_MAX_BLOCK_SAMPLES, samples or 300 s), and the
  peak it held (open blocks plus a seal's encoding), in a second pass with tracing on over
  `--traced-seconds`; the floor is 8 bytes (one float64).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.__main__ import machine
from chedweb_bridge.store import db_file
from chedweb_bridge.store.blockcodec import Block, decode, encode
from chedweb_bridge.store.sqlite_repo import CHUNK_ROWIDS
from chedweb_bridge.store.tiers import DEFAULT_MAX_BLOCK_SAMPLES, ROW_OVERHEAD, TieredStore

T0 = 1_700_000_000.0
FLUSH_S = 5.0
TRIM_S = 60.0
VARIANTS = 64  # pre-generated arrays, cycled


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def load(statuses: int, keys: int, seed: int = 1) -> list[list[dict[str, Any]]]:
    rng = random.Random(seed)
    state = [[rng.uniform(0, 100) for _ in range(keys)] for _ in range(statuses)]
    arrays = []
    for _ in range(VARIANTS):
        array = []
        for s in range(statuses):
            row = state[s]
            for k in range(keys):
                row[k] = max(0.0, row[k] + rng.uniform(-1, 1))
            array.append({"hardware_id": "robot1", "name": f"status {s}", "level": 0, "message": "ok",
                          "values": {f"key {k}": f"{row[k]:.2f}" for k in range(keys)}})
        arrays.append(array)
    return arrays


def open_values(store: TieredStore, tier: int | None = None) -> int:
    """Values held in the open blocks (every column of every tier, or of `tier`, NaN fillers
    included)."""
    n = 0
    for (_, tier_index), open_ in store._open.items():
        if tier is not None and tier_index != tier:
            continue
        b = open_.block
        n += sum(len(c) for table in (b.avg, b.lo, b.hi) for c in table.values())
    return n


def pending_rollup_values(store: TieredStore) -> int:
    """Values in the rollup points' rows not yet folded into their per-key figures."""
    return sum(len(row) for bucket in store._buckets.values() for row in bucket.rows)


def sealed_raw(store: TieredStore) -> tuple[int, int, int]:
    """(rows, logical bytes: blob + ROW_OVERHEAD a row, values) of the raw tier's sealed blocks."""
    conn = store.repo.conn  # type: ignore[attr-defined]
    rows = conn.execute("SELECT data FROM blocks WHERE tier = 0 AND rowid < ?", (CHUNK_ROWIDS,)).fetchall()
    values = 0
    for (blob,) in rows:
        block = decode(bytes(blob))
        values += sum(len(c) for c in block.avg.values())
    return len(rows), sum(len(blob) + ROW_OVERHEAD for (blob,) in rows), values


def row_costs(bounds: list[int], rate: float, keys: int, samples: int = 3840,
              seed: int = 2) -> dict[int, float]:
    """Per bound: logical bytes a value (blob + ROW_OVERHEAD a row) of `samples` samples of one
    status, `keys` random walks with 2 decimals, none repeated, cut into blocks of that bound."""
    rng = random.Random(seed)
    row = [rng.uniform(0, 100) for _ in range(keys)]
    columns: list[list[float]] = [[] for _ in range(keys)]
    for _ in range(samples):
        for k in range(keys):
            row[k] = max(0.0, row[k] + rng.uniform(-1, 1))
            columns[k].append(float(f"{row[k]:.2f}"))
    times = [T0 + i / rate for i in range(samples)]
    scales = {f"key {k}": 2 for k in range(keys)}
    out = {}
    for bound in bounds:
        stored = 0
        for a in range(0, samples, bound):
            block = Block(times[a:a + bound], [0] * len(times[a:a + bound]),
                          {f"key {k}": columns[k][a:a + bound] for k in range(keys)})
            stored += len(encode(block, scales)) + ROW_OVERHEAD
        out[bound] = stored / (samples * keys)
    return out


def feed(store: TieredStore, arrays: list[list[dict[str, Any]]], rate: float, seconds: float,
         marks: list[float], on_mark: Any) -> None:
    steps = int(seconds * rate)
    next_flush, next_trim = FLUSH_S, TRIM_S
    mark_i = 0
    for i in range(1, steps + 1):
        t = T0 + i / rate
        store.add(t, arrays[i % len(arrays)])
        elapsed = i / rate
        if elapsed >= next_flush:
            store.flush(t)
            next_flush += FLUSH_S
        if elapsed >= next_trim:
            store.trim(t)
            next_trim += TRIM_S
        if mark_i < len(marks) and elapsed >= marks[mark_i]:
            on_mark(marks[mark_i])
            mark_i += 1


def new_store(path: Path, max_block_samples: int) -> TieredStore:
    opened = db_file.open_file(str(path), 512 * 1024 * 1024)
    assert opened.repo is not None, opened.notes
    return TieredStore(opened.repo, None, int((512 * 1024 * 1024 - opened.wal_limit) * 0.8),
                       max_block_samples=max_block_samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--statuses", type=int, default=50)
    ap.add_argument("--keys", type=int, default=20)
    ap.add_argument("--max-block-samples", type=int, default=DEFAULT_MAX_BLOCK_SAMPLES,
                    help="samples at which an open block is sealed (the store's default: %(default)s)")
    ap.add_argument("--traced-seconds", type=float, default=120.0,
                    help="length of the tracemalloc pass (tracing slows every allocation)")
    args = ap.parse_args()
    print(machine(), "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"load: {args.rate:g} Hz x {args.statuses} statuses x {args.keys} keys "
          f"= {args.rate * args.statuses * args.keys:,.0f} values/s, {args.seconds:g} s (synthetic clock); "
          f"blocks sealed at {args.max_block_samples} samples or 300 s")
    arrays = load(args.statuses, args.keys)
    tmp = Path(tempfile.mkdtemp(prefix="store_memory."))
    try:
        marks = [float(m) for m in (10, 60, 120, 180, 300, 600, 1800, 3600, 7200) if m <= args.seconds]
        gc.collect()
        floor = rss_mib()
        print(f"floor RSS (load generated, no store): {floor:.1f} MiB")
        store = new_store(tmp / "a.sqlite", args.max_block_samples)

        def report_rss(mark: float) -> None:
            gc.collect()
            rss = rss_mib()
            print(f"after {mark:>4g} s: RSS {rss:6.1f} MiB, growth {rss - floor:5.1f} MiB, "
                  f"ratio to floor {rss / floor:.2f}; open values {open_values(store):,} (raw "
                  f"{open_values(store, 0):,}, minute {open_values(store, 1):,}, "
                  f"hour {open_values(store, 2):,}), "
                  f"rollup rows not folded {pending_rollup_values(store):,} values")

        cpu = time.process_time()
        feed(store, arrays, args.rate, args.seconds, marks, report_rss)
        cpu = time.process_time() - cpu
        print(f"store CPU (add + flush + trim, marks included): {cpu:.1f} s, "
              f"{cpu / (args.seconds * args.rate * args.statuses * args.keys) * 1e6:.2f} us a value")
        rows, stored, values = sealed_raw(store)
        if rows:
            print(f"raw tier sealed: {rows} rows, {values:,} values, {stored:,} B logical "
                  f"(blob + {ROW_OVERHEAD} B a row): {stored / values:.3f} B a value, "
                  f"{stored / rows:,.0f} B a row (the cycled arrays compress as repeats)")
        bounds = sorted({args.max_block_samples, 1024, 512, 320, 256}, reverse=True)
        costs = row_costs(bounds, args.rate, args.keys)
        print("raw tier on disk, fresh random walks (not cycled), B a value at a bound of: "
              + ", ".join(f"{b}: {c:.3f}" for b, c in costs.items()))
        store.repo.conn.close()  # type: ignore[attr-defined]
        del store
        gc.collect()

        # tracemalloc: the store's own Python allocations per open value (a shorter second pass:
        # tracing makes every allocation several times slower), and their peak, a seal included.
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        store = new_store(tmp / "b.sqlite", args.max_block_samples)
        peak_per_value: list[float] = []

        def report_traced(mark: float) -> None:
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - base
            n = max(1, open_values(store))
            peak_per_value.append(held / n)
            print(f"tracemalloc after {mark:>4g} s: store holds {held / 2**20:5.1f} MiB, "
                  f"{n:,} open values, {held / n:5.1f} B a value (floor 8 B, ratio {held / n / 8:.1f})")

        traced = min(args.traced_seconds, args.seconds)
        feed(store, arrays, args.rate, traced, [m for m in (10.0, 60.0, 120.0) if m < traced] + [traced],
             report_traced)
        peak = tracemalloc.get_traced_memory()[1] - base
        print(f"tracemalloc peak over {traced:g} s: {peak / 2**20:.1f} MiB "
              "(open blocks plus a seal's encoding)")
        tracemalloc.stop()
        store.repo.conn.close()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
