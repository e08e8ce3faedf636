"""Places counted in total and per remote address, and a log throttle (thread-safe, no I/O).

Used twice: for the HTTP connections the server holds (http_server.py) and for the /ws sockets
that have not sent an accepted offer yet (signaling.py). The per-address bound is what keeps one
misbehaving host from taking every place: a real client on another address still gets one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class SlotLimiter:
    def __init__(self, total: int, per_address: int, what: str) -> None:
        self.total = total
        self.per_address = per_address
        self.what = what
        self._lock = threading.Lock()
        self._by_address: dict[str, int] = {}
        self._count = 0

    @property
    def count(self) -> int:
        return self._count

    def acquire(self, address: str) -> str | None:
        """Takes a place for `address`; None when taken, else the reason it was not."""
        with self._lock:
            if self._count >= self.total:
                return f"too many {self.what} (at most {self.total})"
            held = self._by_address.get(address, 0)
            if held >= self.per_address:
                return f"too many {self.what} from {address} (at most {self.per_address})"
            self._by_address[address] = held + 1
            self._count += 1
            return None

    def release(self, address: str) -> None:
        with self._lock:
            held = self._by_address.get(address, 0)
            if held <= 0:
                return
            if held == 1:
                del self._by_address[address]
            else:
                self._by_address[address] = held - 1
            self._count -= 1


class LogThrottle:
    """For a log line that any client can cause (a refused socket, a bad handshake): the first
    of each `period` is logged, with the count of the ones left out before it, so that a flood of
    requests never becomes a flood of log lines."""

    def __init__(self, period: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.period = period
        self._clock = clock
        self._lock = threading.Lock()
        self._logged_at = float("-inf")
        self._left_out = 0

    def text(self, line: str) -> str | None:
        """`line` (with the count of the left-out ones) when it is to be logged now, else None."""
        now = self._clock()
        with self._lock:
            if now - self._logged_at < self.period:
                self._left_out += 1
                return None
            left_out, self._left_out, self._logged_at = self._left_out, 0, now
        return line + (f" (and {left_out} more like it before this one)" if left_out else "")
