"""The bridge's alert state (pure): acknowledgements and mutes that browsers set, kept here so that
every browser sees the same ones (issue 11 item 4, docs/protocol.md "Alerts").

This is the only state a browser can change (design.md, "Write path"): it never reaches the ROS
graph. Keys are the page's alert keys ("status:<hardware_id>\\0<name>", "offline:<hardware_id>"),
opaque here. Bounded: at most MAX_ENTRIES of each kind, the oldest dropped first.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from chedweb_bridge import codec

MAX_ENTRIES = 1000


@dataclass(frozen=True)
class Ack:
    key: str
    level: int  # the level acknowledged: the page shows it only while the alert has this level
    by: str
    at: float  # bridge clock, epoch seconds


@dataclass(frozen=True)
class Mute:
    key: str
    until: float  # bridge clock, epoch seconds
    by: str
    at: float


class AlertBook:
    def __init__(self) -> None:
        self.acks: dict[str, Ack] = {}
        self.mutes: dict[str, Mute] = {}

    def ack(self, key: str, level: int, by: str, now: float) -> None:
        self.acks.pop(key, None)  # re-inserted last: the newest is the last to be dropped
        self.acks[key] = Ack(key, level, by, now)
        _bound(self.acks)

    def mute(self, key: str, seconds: float, by: str, now: float) -> None:
        self.mutes.pop(key, None)
        self.mutes[key] = Mute(key, now + seconds, by, now)
        _bound(self.mutes)

    def unmute(self, key: str) -> bool:
        return self.mutes.pop(key, None) is not None

    def expire(self, now: float) -> bool:
        """Drops the mutes that ended; True when any did (the browsers are then told)."""
        ended = [k for k, m in self.mutes.items() if m.until <= now]
        for k in ended:
            del self.mutes[k]
        return bool(ended)

    def next_expiry(self) -> float | None:
        return min((m.until for m in self.mutes.values()), default=None)

    def message(self, now: float) -> str:
        """The `alert_state` message: everything, with the bridge's clock (the page corrects
        for its own clock's offset when it times a mute)."""
        return codec.dumps({"type": "alert_state", "now": now,
                            "acks": [asdict(a) for a in self.acks.values()],
                            "mutes": [asdict(m) for m in self.mutes.values()]})


def _bound(entries: dict[str, Ack] | dict[str, Mute]) -> None:
    while len(entries) > MAX_ENTRIES:
        del entries[next(iter(entries))]
