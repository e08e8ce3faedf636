"""The connect snapshot of a version-2 page, read from the durable store (issue 10): an overview.

A page that speaks version 2 to a bridge with a store (capability `query`) asks every chart's
window by `query` as soon as `hello` tells it the capability (web/src/ui/range-fetcher.ts), at the
chart's width and with min/avg/max per point. What its snapshot must still bring is what the
queries do not: each status's `latest` (the table), its keys (which charts exist), and its recent
levels (how long it has been at its level). So the snapshot from the store is small and the same
whatever the range the page shows: per status, its last `window` seconds as a point a minute
(at most SNAPSHOT_MAX_POINTS), each the average of its bucket at the bucket's middle (the newest
at the newest sample's time) and the bucket's worst level; empty buckets (gaps) are left out. It
survives a bridge restart, which the in-memory history (memory-only mode, version-1 pages) does
not.

Built and JSON-encoded on the store's thread (query_service.py), never on the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from chedweb_bridge import codec
from chedweb_bridge.history import SNAPSHOT_MAX_POINTS
from chedweb_bridge.store.tiers import TieredStore

MINUTE = 60.0


@dataclass
class StoreOverview:
    """One status's overview, in the form codec.encode_snapshot reads (codec.StatusHistory)."""
    name: str
    hardware_id: str
    latest: codec.Status
    t: list[float] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    values: dict[str, list[float | None]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.t)

    def rows(self, start: int, stop: int) -> dict[str, Any]:
        return {"t": self.t[start:stop], "level": self.level[start:stop],
                "values": {k: v[start:stop] for k, v in self.values.items()}}


def overview_points(window: float) -> int:
    """A point a minute, at most SNAPSHOT_MAX_POINTS: the minute tier then answers (one block a
    status to read, where raw 12 s points would decode ~12 raw blocks a status at every
    connect), and the charts, which query their own windows, never draw from it."""
    return max(1, min(SNAPSHOT_MAX_POINTS, int(window // MINUTE)))


def overview(core: TieredStore, latest: Sequence[codec.Status], t0: float, t1: float,
             points: int | None = None) -> list[StoreOverview]:
    """The statuses of `latest` (what the bridge has received since it started, in the memory
    history's order) over [t0, t1) from the store, as `points` points (overview_points)."""
    points = overview_points(t1 - t0) if points is None else points
    out: list[StoreOverview] = []
    for status in latest:
        item = StoreOverview(str(status.get("name", "")), str(status.get("hardware_id", "")), status)
        result = core.query((item.hardware_id, item.name), t0, t1, points)
        kept = [i for i, lv in enumerate(result.level) if lv is not None]
        item.t = [result.t0 + (i + 0.5) * result.step for i in kept]
        # The newest point at the newest sample, not its bucket's middle: the page takes a
        # status's newest time as its charts' live edge (and appends only newer samples), and a
        # middle up to 30 s back made its first queries ask a stale window.
        newest = core.newest_time((item.hardware_id, item.name))
        if kept and newest is not None:
            start = result.t0 + kept[-1] * result.step
            if start <= newest < start + result.step:
                item.t[-1] = newest
        item.level = [int(result.level[i]) for i in kept]  # type: ignore[arg-type]
        item.values = {key: [avg[i] for i in kept] for key, avg in result.avg.items()}
        out.append(item)
    return out


def encode_overview(core: TieredStore, latest: Sequence[codec.Status], t0: float, t1: float,
                    limit: int, protocol: int) -> list[str]:
    """The `snapshot` parts (codec.encode_snapshot: the same message, split the same way)."""
    return codec.encode_snapshot(overview(core, latest, t0, t1), limit, protocol)
