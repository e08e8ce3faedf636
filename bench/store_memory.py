"""The durable store's memory at issue 12's load: what its open (not yet sealed) blocks cost.

    .venv/bin/python -m bench.store_memory [--seconds 180] [--rate 10] [--statuses 50] [--keys 20]

Load: `--statuses` statuses x `--keys` numeric keys at `--rate` Hz (issue 12: 10 Hz x 50 x 20,
10,000 values a second), values as decimal strings that move as readings do (pre-generated, so
building them costs nothing during the run). Fed straight into a TieredStore over a real SQLite
file (db_file.open_file, as the worker opens it), with a synthetic receive clock, flushed every
5 s and trimmed every 60 s as the worker's thread does.
Measured:
- RSS growth after 10 s, 60 s, 120 s... of the load, against a floor: the same process after the
  load is generated and before the store exists (ratio = RSS / floor RSS);
- tracemalloc: bytes the store holds per value in its open blocks (the raw tier's, whose blocks
  seal at DEFAULT_MAX_BLOCK_SAMPLES samples or 300 s), in a second pass with tracing on;
  the floor is 8 bytes (one float64).
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
from chedweb_bridge.store.tiers import TieredStore

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


def open_values(store: TieredStore) -> int:
    """Values held in the open blocks (every column of every tier, NaN fillers included)."""
    n = 0
    for open_ in store._open.values():
        b = open_.block
        n += sum(len(c) for table in (b.avg, b.lo, b.hi) for c in table.values())
    return n


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


def new_store(path: Path) -> TieredStore:
    opened = db_file.open_file(str(path), 512 * 1024 * 1024)
    assert opened.repo is not None, opened.notes
    return TieredStore(opened.repo, None, int((512 * 1024 * 1024 - opened.wal_limit) * 0.8))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--rate", type=float, default=10.0)
    ap.add_argument("--statuses", type=int, default=50)
    ap.add_argument("--keys", type=int, default=20)
    args = ap.parse_args()
    print(machine(), "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"load: {args.rate:g} Hz x {args.statuses} statuses x {args.keys} keys "
          f"= {args.rate * args.statuses * args.keys:,.0f} values/s, {args.seconds:g} s (synthetic clock)")
    arrays = load(args.statuses, args.keys)
    tmp = Path(tempfile.mkdtemp(prefix="store_memory."))
    try:
        marks = [float(m) for m in (10, 60, 120, 180, 300, 600) if m <= args.seconds]
        gc.collect()
        floor = rss_mib()
        print(f"floor RSS (load generated, no store): {floor:.1f} MiB")
        store = new_store(tmp / "a.sqlite")

        def report_rss(mark: float) -> None:
            gc.collect()
            rss = rss_mib()
            print(f"after {mark:>4g} s: RSS {rss:6.1f} MiB, growth {rss - floor:5.1f} MiB, "
                  f"ratio to floor {rss / floor:.2f}; open values {open_values(store):,}")

        cpu = time.process_time()
        feed(store, arrays, args.rate, args.seconds, marks, report_rss)
        cpu = time.process_time() - cpu
        print(f"store CPU (add + flush + trim, marks included): {cpu:.1f} s, "
              f"{cpu / (args.seconds * args.rate * args.statuses * args.keys) * 1e6:.2f} us a value")
        store.repo.conn.close()  # type: ignore[attr-defined]
        del store
        gc.collect()

        # tracemalloc: the store's own Python allocations per open value (a shorter second pass,
        # 60 s: tracing makes every allocation several times slower).
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        store = new_store(tmp / "b.sqlite")
        peak_per_value: list[float] = []

        def report_traced(mark: float) -> None:
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - base
            n = open_values(store)
            peak_per_value.append(held / n)
            print(f"tracemalloc after {mark:>4g} s: store holds {held / 2**20:5.1f} MiB, "
                  f"{n:,} open values, {held / n:5.1f} B a value (floor 8 B, ratio {held / n / 8:.1f})")

        feed(store, arrays, args.rate, min(60.0, args.seconds), [10.0, 60.0], report_traced)
        tracemalloc.stop()
        store.repo.conn.close()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
