"""The bridge's time rule (pure), in one place for the in-memory history and the history store.

History is ordered and trimmed by the bridge's receive clock (`time.time()` when a
DiagnosticArray arrives): a publisher's `header.stamp` is shown, never trusted for retention. One
array stamped in the year 2100, or a sim-time publisher (stamps near 100 s) next to wall-clock
ones, would otherwise set the window for everyone. A stamp further than STAMP_TOLERANCE_S from
the receive time is replaced by the receive time (and counted, /healthz `stamps_replaced`), so
that what the page charts stays on one time axis.
"""

from __future__ import annotations

# Generous for machines on one robot whose clocks are not synchronised to the second, and far
# below the distance between a sim-time or year-2100 stamp and the wall clock.
STAMP_TOLERANCE_S = 60.0


def effective_stamp(sec: int, nanosec: int, received: float) -> tuple[float, bool]:
    """(the stamp the bridge forwards and charts, whether a nonzero stamp was replaced).

    A zero stamp means "not set" (a publisher's convention, not a fault): receive time, not counted.
    """
    if sec == 0 and nanosec == 0:
        return received, False
    stamp = sec + nanosec * 1e-9
    if abs(stamp - received) > STAMP_TOLERANCE_S:
        return received, True
    return stamp, False


def window_start(now_received: float, history_seconds: float) -> float:
    """Samples received before this are out of the history window."""
    return now_received - history_seconds
