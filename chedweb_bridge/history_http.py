"""GET /history.csv: the durable history as a streamed CSV download (thin: export.py builds it).

    /history.csv?hardware_id=H[&status=S][&from=T0][&to=T1][&tier=raw|minute|hour][&token=...]

`from`/`to` are Unix seconds (default: the last 24 h); without `status`, every status of the
machine. The handler thread only waits for slices built on the store's thread, one at a time.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from chedweb_bridge.store import export
from chedweb_bridge.store.worker import StoreWorker

SLICE_TIMEOUT_S = 10.0
MAX_RANGE_S = 10 * 365 * 86400.0
TIERS = {"raw": 0, "minute": 1, "hour": 2}


@dataclass(frozen=True)
class CsvRequest:
    hardware_id: str
    status: str | None
    t0: float
    t1: float
    tier: int | None


def parse(args: Mapping[str, str], now: float) -> CsvRequest | str:
    """The request, or the reason it is refused (a 400's body)."""
    hardware_id = args.get("hardware_id")
    if not hardware_id:
        return "hardware_id is required"
    try:
        t1 = float(args.get("to", now))
        t0 = float(args.get("from", t1 - 86400.0))
    except ValueError:
        return "from and to must be Unix seconds"
    if not (math.isfinite(t0) and math.isfinite(t1) and t0 < t1 and t1 - t0 <= MAX_RANGE_S):
        return "from must be before to, at most ten years apart"
    tier_name = args.get("tier")
    if tier_name is not None and tier_name not in TIERS:
        return f"tier must be one of {', '.join(TIERS)}"
    return CsvRequest(hardware_id, args.get("status") or None, t0, t1,
                      None if tier_name is None else TIERS[tier_name])


def stream(worker: StoreWorker, req: CsvRequest) -> Iterator[str]:
    """The header, then one slice after another; a slice that does not come in time ends the
    download early (a short file is better than a hung one)."""
    now = time.time()
    plan = worker.call(lambda core: export.plan(core, req.hardware_id, req.status, req.t0, now, req.tier),
                       SLICE_TIMEOUT_S)
    yield plan.header
    for t0, t1 in export.slices(plan.tier, req.t0, req.t1):
        text = worker.call(functools.partial(export.slice_rows, p=plan, t0=t0, t1=t1), SLICE_TIMEOUT_S)
        if text:
            yield text


def filename(req: CsvRequest) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in req.hardware_id)[:64]
    return f"chedweb-{safe}-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime(req.t1))}.csv"
