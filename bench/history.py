"""The durable history under its issue's load, with a synthetic clock (issue 10's numbers).

    .venv/bin/python -m bench.history [--quick] [--days 7] [--hours 6] [--keep FILE]

Load: system_metrics at 1 Hz (its six statuses, with the keys docs/protocol.md lists, on a
4-core machine with 2 sensors, 1 disk, 2 interfaces and 5 processes) plus 50 other statuses x 10
numeric keys at 1 Hz, values as decimal strings that move as sensor readings do. Simulated days
are fed straight into the store's worker (`add` + `step`, exactly what its thread runs) with a
synthetic receive clock, into a real SQLite file:
- the days before the last hours at one array a minute, flushed every 10 minutes: a full 7-day
  store in minutes, with the same minute and hour tiers (one point a minute, an hour) that
  24 h and 7 d queries read (at 1 Hz a week would take hours to feed);
- then `--warmup-hours` and `--hours` at 1 Hz: write CPU, and disk use per day. The warm-up
  is at least one minute-tier block (2 h) and the window a whole number of them, so that the
  window ends with every open block's chunk rows as it started (see `aligned`).
Measured, with floors from the same run:
- write CPU in % of one core = store CPU seconds / simulated seconds; floor: building the
  arrays and encoding them to JSON once, which the bridge does for every array anyway;
- disk bytes added by the measured 1 Hz window, with the WAL checkpointed and emptied at both
  ends (the WAL is capped at 8 MB whatever the day, inside the budget), per day; floor: the
  logical size of the blocks written (blob bytes + 48 B a row);
- p50/p99 of 24 h and 7 d queries at 1,000 points, every status, wall and CPU time, and with
  the `range` answer encoded; floor: reading the same blocks from SQLite without decoding them;
- RSS at the end of each simulated day (must not grow with the history's length).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.__main__ import machine
from bench.procstat import percentile
from chedweb_bridge.store.range_messages import encode_range
from chedweb_bridge.store.tiers import default_tiers
from chedweb_bridge.store.worker import StoreWorker

DAY = 86400
FLUSH_S = 5
TRIM_S = 60
HOST = "robot1"


class Load:
    """The arrays of one simulated second, values as decimal strings moving as readings do."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.state: dict[tuple[str, str], float] = {}
        self.counters = 0

    def _walk(self, status: str, key: str, start: float, step: float, decimals: int,
              low: float = 0.0, high: float = 1e12) -> str:
        v = self.state.get((status, key), start)
        v = min(high, max(low, v + self.rng.uniform(-step, step)))
        self.state[(status, key)] = v
        return f"{v:.{decimals}f}"

    def array(self) -> list[dict[str, Any]]:
        w = self._walk
        self.counters += 1
        sm = "system_metrics: "
        cpu = {"usage %": w("cpu", "u", 20, 3, 1, 0, 100), "cores": "4",
               **{f"core {i} %": w("cpu", f"c{i}", 20, 5, 1, 0, 100) for i in range(4)},
               "load 1 min": w("cpu", "l1", 1, 0.1, 2, 0), "load 5 min": w("cpu", "l5", 1, 0.03, 2, 0),
               "load 15 min": w("cpu", "l15", 1, 0.01, 2, 0),
               "frequency MHz": w("cpu", "f", 2400, 50, 0, 800)}
        mem = {"used %": w("mem", "u", 40, 0.2, 1, 0, 100), "used MiB": w("mem", "m", 6000, 20, 0, 0),
               "available MiB": w("mem", "a", 9000, 20, 0, 0), "total MiB": "15890",
               "swap used %": w("mem", "s", 2, 0.05, 1, 0, 100)}
        temp = {"sensors": "2"}
        for s in ("coretemp Package id 0", "nvme Composite"):
            temp[f"{s} degC"] = w("temp", s, 50, 0.5, 1, 20, 100)
            temp[f"{s} high degC"] = "80.0"
            temp[f"{s} critical degC"] = "100.0"
        disk = {"/ used %": w("disk", "u", 60, 0.001, 1, 0, 100), "/ used GiB": w("disk", "g", 300, 0.01, 1),
                "/ free GiB": w("disk", "f", 200, 0.01, 1), "/ total GiB": "500.0",
                "read B/s": w("disk", "r", 1e5, 3e4, 0), "write B/s": w("disk", "w", 2e5, 5e4, 0)}
        net = {"rx B/s": w("net", "rx", 1e5, 2e4, 0), "tx B/s": w("net", "tx", 5e4, 1e4, 0)}
        for i in ("eth0", "wlan0"):
            net |= {f"{i} rx B/s": w("net", i + "rx", 5e4, 1e4, 0),
                    f"{i} tx B/s": w("net", i + "tx", 2e4, 5e3, 0),
                    f"{i} rx packets": str(self.counters * 80), f"{i} tx packets": str(self.counters * 40),
                    f"{i} errors in": "0", f"{i} errors out": "0", f"{i} drops in": "0",
                    f"{i} drops out": "0", f"{i} up": "1"}
        procs: dict[str, str] = {}
        for r in range(1, 6):
            procs |= {f"{r} name": f"proc{r}", f"{r} pid": str(1000 + r),
                      f"{r} cpu %": w("proc", f"c{r}", 5, 1, 1, 0, 400),
                      f"{r} rss MiB": w("proc", f"m{r}", 100, 1, 1, 0)}
        out = [_status(sm + "CPU", cpu), _status(sm + "Memory", mem), _status(sm + "Temperature", temp),
               _status(sm + "Disk", disk), _status(sm + "Network", net), _status(sm + "Processes", procs)]
        for n in range(50):
            values = {f"key {k}": w(f"s{n}", str(k), 10 * (k + 1), 0.05 * (k + 1), 2 if k % 3 else 1)
                      for k in range(10)}
            level = 1 if self.rng.random() < 0.001 else 0  # a rare WARN, for the level log
            out.append(_status(f"node{n}: status", values, level))
        return out


def _status(name: str, values: dict[str, str], level: int = 0) -> dict[str, Any]:
    return {"hardware_id": HOST, "name": name, "level": level, "message": "ok" if not level else "high",
            "values": values}


def _cpu() -> float:
    return time.process_time()


def _rss_mib() -> float:
    return int(Path("/proc/self/status").read_text().split("VmRSS:")[1].split()[0]) / 1024


def _disk(path: str) -> int:
    return sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))


def feed(worker: StoreWorker, load: Load, start: float, seconds: int, every: int,
         flush_s: int = FLUSH_S) -> tuple[float, float]:
    """Simulated seconds [start, start+seconds), one array every `every` s, the store flushed
    every `flush_s` (as its thread does, every 5 s); (store CPU s, floor CPU s)."""
    store_cpu = floor_cpu = 0.0
    for i in range(0, seconds, every):
        t = start + i + load.rng.random() * 0.01  # receive-clock jitter
        c0 = _cpu()
        array = load.array()
        json.dumps(array)  # the bridge encodes every array once anyway: part of the floor
        c1 = _cpu()
        worker.add(t, array)
        if i % flush_s < every:
            worker.step(t, flush=True, trim=i % TRIM_S < every)
        floor_cpu += c1 - c0
        store_cpu += _cpu() - c1
    return store_cpu, floor_cpu


def queries(worker: StoreWorker, end: float, span: float,
            rounds: int) -> tuple[list[float], list[float], list[float], list[float]]:
    """Every status over [end-span, end) at 1,000 points, `rounds` times: (query wall s, query
    CPU s, query + `range` encoding wall s, floor s). The CPU time tells the code from the
    machine's load: up to six sessions share these two cores."""
    core = worker.core
    statuses = core.statuses()
    took, cpu, answered, floor = [], [], [], []
    for _ in range(rounds):
        for status in statuses:
            t0, c0 = time.perf_counter(), _cpu()
            result = core.query(status, end - span, end, 1000)
            took.append(time.perf_counter() - t0)
            cpu.append(_cpu() - c0)
            encode_range(1, result)
            answered.append(time.perf_counter() - t0)
            assert result.level
            tier = core.choose_tier(status, end - span, span / 1000)
            t0 = time.perf_counter()
            core.repo.blocks(status, tier, end - span, end)
            floor.append(time.perf_counter() - t0)
    return took, cpu, answered, floor


def _used(worker: StoreWorker, path: str) -> tuple[int, int]:
    """(file bytes, bytes of pages in use) with the WAL checkpointed into the file and emptied."""
    conn = worker._conn
    assert conn is not None
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = (conn.execute("PRAGMA page_count").fetchone()[0]
             - conn.execute("PRAGMA freelist_count").fetchone()[0])
    return _disk(path), pages * conn.execute("PRAGMA page_size").fetchone()[0]


def aligned(warmup_h: float, hours: float) -> tuple[float, float]:
    """(warm-up, window) in hours, raised so the disk figure counts a day's data, not the phase
    of the open blocks. An open block is stored as chunk rows, one a flush (about ten times the
    bytes a point of the row its seal writes in their place). A minute block (2 h) begun at one
    array a minute holds ten points a chunk, one a chunk once at 1 Hz: after a 0.5 h warm-up, a
    4 h window ended with ~80 more minute chunk rows a status than it began with, 7.7 MB a day
    counted as data (docs/benchmarks.md, "Third pass"). So the warm-up fills a whole minute
    block at 1 Hz, and the window ends at the phase it began at."""
    span = default_tiers()[1].block_seconds / 3600
    return max(warmup_h, span), math.ceil(hours / span - 1e-9) * span


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7, help="simulated days in the store")
    parser.add_argument("--hours", type=float, default=6.0,
                        help="the 1 Hz window measured at the end (disk per day = its growth x 24 / hours)")
    parser.add_argument("--warmup-hours", type=float, default=2.0,
                        help="1 Hz before the measured window, so that it starts with open blocks as it ends")
    parser.add_argument("--quick", action="store_true", help="2 days, 2 h warm-up, 2 h measured")
    parser.add_argument("--keep", help="copy the finished store file here (bench.history_page reads it)")
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args()
    days = 2 if args.quick else max(2, args.days)
    hours = 2.0 if args.quick else args.hours
    warmup = 2.0 if args.quick else args.warmup_hours
    if aligned(warmup, hours) != (warmup, hours):
        warmup, hours = aligned(warmup, hours)
        print(f"  (warm-up {warmup:g} h and window {hours:g} h: a whole minute block each, see aligned())")
    full_seconds = int(hours * 3600)
    dense_seconds = int(warmup * 3600) + full_seconds
    print(f"# bench.history  {machine()}", flush=True)

    with tempfile.TemporaryDirectory(prefix="chedweb-bench-history-") as tmp:
        path = os.path.join(tmp, "history.sqlite3")
        worker = StoreWorker(path, 512 * 1_000_000)
        load = Load()
        start = 1_700_000_000.0
        end = start + days * DAY
        rss: list[float] = []
        sparse_end = end - dense_seconds
        d = 0
        while start + d * DAY < sparse_end:
            seconds = int(min(DAY, sparse_end - (start + d * DAY)))
            feed(worker, load, start + d * DAY, seconds, 60, flush_s=600)
            rss.append(_rss_mib())
            print(f"  day {d + 1}: 1 array / 60 s for {seconds} s, file {_disk(path) / 1e6:.1f} MB, "
                  f"RSS {rss[-1]:.1f} MiB", flush=True)
            d += 1
        feed(worker, load, sparse_end, dense_seconds - full_seconds, 1)
        before, before_used = _used(worker, path)
        before_logical = worker.core.repo.size()
        full_start = end - full_seconds
        store_cpu, floor_cpu = feed(worker, load, full_start, full_seconds, 1)
        worker.step(end, flush=True, trim=True)
        after, after_used = _used(worker, path)
        added, added_used = after - before, after_used - before_used
        added_logical = worker.core.repo.size() - before_logical
        rss.append(_rss_mib())
        print(f"  last {hours:g} h at 1 Hz (after {warmup:g} h of warm-up): file {after / 1e6:.1f} MB, "
              f"RSS {rss[-1]:.1f} MiB", flush=True)
        q24, c24, a24, f24 = queries(worker, end, DAY, 2)
        q7, c7, a7, f7 = queries(worker, end, min(7, days) * DAY, 2)
        worker.stop()
        if args.keep:
            shutil.copyfile(path, args.keep)

    arrays = full_seconds
    samples = arrays * sum(len([v for v in s["values"].values() if _is_number(v)]) for s in load.array())
    per_day = DAY / full_seconds
    ms = 1000.0
    figures = {
        "machine": machine(),
        "statuses": len(load.array()),
        "numeric samples per second": samples / arrays,
        "write CPU % of one core": 100 * store_cpu / full_seconds,
        "floor CPU % of one core (build + JSON-encode the arrays)": 100 * floor_cpu / full_seconds,
        "write CPU / floor": store_cpu / floor_cpu,
        "disk MB per day (file growth, WAL checkpointed)": added / 1e6 * per_day,
        "disk MB per day (pages in use)": added_used / 1e6 * per_day,
        "blocks MB per day (logical: blobs + 48 B a row; floor)": added_logical / 1e6 * per_day,
        "file / logical": added / added_logical if added_logical else float("nan"),
        "bytes per numeric sample (file)": added / samples,
        "24 h query p50 ms": ms * percentile(q24, 50), "24 h query p99 ms": ms * percentile(q24, 99),
        "24 h query CPU p50 ms": ms * percentile(c24, 50), "24 h query CPU p99 ms": ms * percentile(c24, 99),
        "24 h query + range encoding p99 ms": ms * percentile(a24, 99),
        "24 h query floor p99 ms (blocks read, not decoded)": ms * percentile(f24, 99),
        "24 h query p99 / floor": percentile(q24, 99) / percentile(f24, 99),
        f"{min(7, days)} d query p50 ms": ms * percentile(q7, 50),
        f"{min(7, days)} d query p99 ms": ms * percentile(q7, 99),
        f"{min(7, days)} d query CPU p50 ms": ms * percentile(c7, 50),
        f"{min(7, days)} d query CPU p99 ms": ms * percentile(c7, 99),
        f"{min(7, days)} d query + range encoding p99 ms": ms * percentile(a7, 99),
        f"{min(7, days)} d query floor p99 ms (blocks read, not decoded)": ms * percentile(f7, 99),
        f"{min(7, days)} d query p99 / floor": percentile(q7, 99) / percentile(f7, 99),
        "RSS MiB at the end of each day": [round(r, 1) for r in rss],
        "peak RSS MiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load average at the end": os.getloadavg()[0],
    }
    for k, v in figures.items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1))
    return 0


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
