"""The cyclic GC waits while a message is being fanned out to the peers, then does what it would
have done (`GcHold`); how long its full collections take (`FullCollectionTimes`, for /healthz).

Why: a full (generation-2) collection holds the GIL while it walks every tracked object that
start-up did not freeze (chedweb_ros/long_lived.py). At 100 peers that is their aiortc objects:
30-45 ms. CPython starts one from whatever allocation tips its counters, and at 100 peers most
allocations happen during a fan-out, so the pause most often fell inside one: every peer not yet
sent that message waited for it (docs/benchmarks.md, "Full collections at a chosen moment").

So the node holds the collector off (`gc.disable()`) from the moment a message's fan-out starts
until every peer's transmission of it is done (PeerRegistry.on_diagnostics's `then`), about
15 ms of every 100 at 100 peers. Allocations keep counting meanwhile, so the first allocation
after the release starts whatever collection CPython's own rule made due: the same collections,
as often and as large as before, only never inside a fan-out. (Running full collections on a
timer of our own instead was tried: under bench.churn, 19 peers a second connecting and closing,
30 s of their garbage made single collections of up to 370 ms and the RSS 48 MiB higher.)
"""

from __future__ import annotations

import gc
import time
from typing import Any


class GcHold:
    """gc.disable() while at least one hold is open, gc.enable() when the last closes. On the
    loop thread only (fan-outs can overlap when messages come faster than they are sent)."""

    def __init__(self) -> None:
        self._open = 0

    def hold(self) -> None:
        if self._open == 0:
            gc.disable()
        self._open += 1

    def release(self) -> None:
        self._open -= 1
        if self._open == 0:
            gc.enable()

    def close(self) -> None:
        """At shutdown: a fan-out the stopped loop never finished no longer holds the GC."""
        if self._open:
            self._open = 0
            gc.enable()


class FullCollectionTimes:
    """Counts full collections and keeps the longest (gc.callbacks: whichever thread ran one)."""

    def __init__(self) -> None:
        self.count = 0
        self.longest_s = 0.0
        self._started = 0.0

    def install(self) -> None:
        gc.callbacks.append(self._on_collection)

    def uninstall(self) -> None:
        gc.callbacks.remove(self._on_collection)

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.longest_s = max(self.longest_s, time.perf_counter() - self._started)
