"""Places counted in total and per remote address (thread-safe, no I/O).

Used twice: for the HTTP connections the server holds (http_server.py) and for the /ws sockets
that have not sent an accepted offer yet (signaling.py). The per-address bound is what keeps one
misbehaving host from taking every place: a real client on another address still gets one.
"""

from __future__ import annotations

import threading


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
