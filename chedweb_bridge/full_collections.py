"""The cyclic GC's full collections run between two messages' fan-outs, not inside one.

Why: a full (generation-2) collection holds the GIL while it walks every tracked object that
start-up did not freeze (chedweb_ros/long_lived.py). At 100 peers that is their aiortc objects,
and it takes 33-47 ms. CPython starts one from whatever allocation tips its counters, which at
100 peers is most often in the middle of a fan-out: every peer not yet sent that message waited
for it, and a 60 s window at 100 peers read a live p99 of 55 ms (docs/benchmarks.md, "Full
collections at a chosen moment").

So the bridge turns CPython's automatic full collections off (`take_over`: generation 2's
threshold out of reach; the young generations are collected as before, they are cheap) and
runs one itself, at most every `interval` seconds, when a message's transmissions to every peer
are done (`between_messages`, from PeerRegistry.on_diagnostics's `then`): the next message is a
publishing period away. When no message comes (no publisher), `idle_check` collects on a timer,
as there is no fan-out to disturb. Cycles that became garbage (a closed peer's aiortc objects)
are freed within an `interval` either way, as often as CPython's own rule freed them (about every
40 s at 25-50 peers).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# Seconds between full collections at most: CPython's own rule ran one about every 40 s under
# issue 12's load, and each costs a few ms per 10,000 objects walked.
DEFAULT_INTERVAL_S = 30.0
# Out of reach for generation 2's counter (one count per generation-1 collection).
_NEVER = 2**30


class FullCollections:
    """When the next full collection runs (the rule is pure; `collect` and `clock` are given)."""

    def __init__(self, interval_s: float = DEFAULT_INTERVAL_S,
                 clock: Callable[[], float] = time.monotonic,
                 collect: Callable[[int], object] = gc.collect) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._collect = collect
        self._last = clock()
        self.count = 0
        self.longest_s = 0.0

    @staticmethod
    def take_over() -> None:
        """CPython's automatic full collections off, the young generations' thresholds kept."""
        young, middle, _ = gc.get_threshold()
        gc.set_threshold(young, middle, _NEVER)

    def between_messages(self) -> bool:
        """After a message's fan-out: a full collection now if one is due. True if it ran."""
        if self._clock() - self._last < self.interval_s:
            return False
        self._run()
        return True

    def idle_check(self) -> bool:
        """On a timer: a full collection if none ran for two intervals (no message came to run
        one after). True if it ran."""
        if self._clock() - self._last < 2 * self.interval_s:
            return False
        self._run()
        return True

    def _run(self) -> None:
        start = self._clock()
        self._collect(2)
        self._last = end = self._clock()
        self.count += 1
        self.longest_s = max(self.longest_s, end - start)
