"""CSV export of the durable history (pure): what GET /history.csv streams.

One row per sample (or per minute/hour point) of each selected status, in time order:
`time_iso, time_unix, hardware_id, status, level`, then one column per numeric key of the
selection (the union, sorted); rollup tiers add `<key> (min)` and `<key> (max)` beside each
key's average. Cells are formula-safe (csv_cells.py). The export is cut into time slices, each
built by one job on the store's thread, so that a 30-day export never holds the store for long
and the HTTP thread streams while the next slice is read.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from chedweb_bridge.csv_cells import number_cell, row, text_cell
from chedweb_bridge.store.tiers import StatusKey, TieredStore

SLICE_SECONDS = {0: 3600.0, 1: 86400.0, 2: 30 * 86400.0}  # per tier: one job's share of the range


@dataclass(frozen=True)
class Plan:
    statuses: list[StatusKey]
    tier: int
    keys: list[str]
    header: str


def plan(core: TieredStore, hardware_id: str, status: str | None, t0: float, now: float,
         tier: int | None = None) -> Plan:
    """The statuses of one machine (or one of them), the tier, and the header row. Without a
    tier: the finest one whose retention reaches back to t0 (what the data is kept at then, even
    in a store younger than its retention), else the coarsest."""
    statuses = [s for s in core.statuses() if s[0] == hardware_id and (status is None or s[1] == status)]
    if tier is None:
        tier = next((i for i, t in enumerate(core.tiers) if now - t.retention <= t0), len(core.tiers) - 1)
    keys = sorted({k for s in statuses for k in core.keys(s)})
    columns = ["time_iso", "time_unix", "hardware_id", "status", "level"]
    for key in keys:
        columns += [key, f"{key} (min)", f"{key} (max)"] if tier > 0 else [key]
    return Plan(statuses, tier, keys, row([text_cell(c) for c in columns]))


def slice_rows(core: TieredStore, *, p: Plan, t0: float, t1: float) -> str:
    """The rows of [t0, t1), sorted by time, then status name."""
    rows: list[tuple[float, str, str, str]] = []
    rollup = p.tier > 0
    for status in p.statuses:
        prefix = f"{text_cell(status[0])},{text_cell(status[1])}"
        for block in core.blocks(status, p.tier, t0, t1):
            for i, t in enumerate(block.t):
                if not t0 <= t < t1:
                    continue
                cells = [str(block.level[i])]
                for key in p.keys:
                    avg = block.avg.get(key)
                    cells.append(number_cell(avg[i]) if avg is not None else "")
                    if rollup:
                        lo, hi = block.lo.get(key), block.hi.get(key)
                        cells.append(number_cell(lo[i]) if lo is not None else "")
                        cells.append(number_cell(hi[i]) if hi is not None else "")
                rows.append((t, status[1], prefix, ",".join(cells)))
    rows.sort(key=lambda r: (r[0], r[1]))
    return "".join(f"{_iso(t)},{number_cell(round(t, 3))},{prefix},{cells}\r\n"
                   for t, _, prefix, cells in rows)


def slices(tier: int, t0: float, t1: float) -> list[tuple[float, float]]:
    step = SLICE_SECONDS.get(tier, 86400.0)
    n = max(1, math.ceil((t1 - t0) / step))
    return [(t0 + i * step, min(t1, t0 + (i + 1) * step)) for i in range(n)]


def _iso(t: float) -> str:
    seconds, ms = divmod(round(t * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{ms:03d}Z"
