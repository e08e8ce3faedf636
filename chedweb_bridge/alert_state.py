"""The bridge's alert state (pure): acknowledgements and mutes that browsers set, kept here so that
every browser sees the same ones (issue 11 item 4, docs/protocol.md "Alerts").

This is the only state a browser can change (design.md, "Write path"): it never reaches the ROS
graph. Keys are the page's alert keys ("status:<hardware_id>\\0<name>", "offline:<hardware_id>"),
opaque here. Bounded: at most MAX_ENTRIES of each kind, the oldest dropped first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

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

    def end_acks(self, changed: Iterable[tuple[str, int]]) -> bool:
        """Drops the acknowledgements of statuses whose level is no longer the one acknowledged
        (`changed`: key and level now, from changed_acks); True when any went. Checked again
        here: an acknowledgement given at the new level meanwhile stays."""
        dropped = False
        for key, level in changed:
            ack = self.acks.get(key)
            if ack is not None and ack.level != level:
                del self.acks[key]
                dropped = True
        return dropped

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


def changed_acks(acks: Mapping[str, Ack], statuses: Iterable[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """(key, level now) of each acknowledged status in `statuses` whose level is not the one
    acknowledged: an acknowledgement holds until the level changes again (ERROR, OK, ERROR is
    a new alert). Runs in the ROS callback, off the loop, and only reads `acks` (get, under the
    GIL); nothing to do, and no key built, while nothing is acknowledged."""
    if not acks:
        return []
    changed = []
    for status in statuses:
        key = f"status:{status['hardware_id']}\0{status['name']}"
        ack = acks.get(key)
        if ack is not None and ack.level != status["level"]:
            changed.append((key, int(status["level"])))
    return changed


def status_of(key: str) -> tuple[str, str] | None:
    """(hardware_id, name) of a status alert's key ("status:<hardware_id>\\0<name>", the page's
    statusAlertKey); None for any other key (a machine's "offline:<hardware_id>")."""
    if not key.startswith("status:") or "\0" not in key:
        return None
    hardware_id, name = key[len("status:"):].split("\0", 1)
    return hardware_id, name


def restored(acks: Iterable[Ack], mutes: Iterable[Mute], now: float,
             still_holds: Callable[[Ack], bool]) -> AlertBook:
    """The book a restarted bridge starts with, from what was kept (store/alert_table.py): mutes
    that ended while it was down are dropped, and so is an acknowledgement that no longer holds
    (`still_holds`: the status's level changed after it was given, as far as the history knows).
    The rest keep who and when, and the acknowledged level, which the page still compares with
    the alert's level now."""
    book = AlertBook()
    for ack in acks:
        if still_holds(ack):
            book.acks.pop(ack.key, None)
            book.acks[ack.key] = ack
    for mute in mutes:
        if mute.until > now:
            book.mutes.pop(mute.key, None)
            book.mutes[mute.key] = mute
    _bound(book.acks)
    _bound(book.mutes)
    return book


def _bound(entries: dict[str, Ack] | dict[str, Mute]) -> None:
    while len(entries) > MAX_ENTRIES:
        del entries[next(iter(entries))]
