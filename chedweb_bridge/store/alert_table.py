"""The alert state's table in the history database: the acknowledgements and mutes browsers set
(alert_state.py), kept so that a bridge restart (even kill -9) does not forget them.

One small table, `alert_state`, rewritten whole at every change: it holds at most
alert_state.MAX_ENTRIES of each kind, changes only at a person's click (rate-limited per peer),
and a whole rewrite also puts everything back into a fresh file after a corrupt one was set
aside. It lives outside the history's logical budget (it is bounded on its own, well inside
the file's slack). These functions run on the store's thread only (worker.py), inside its
transaction; the caller (alert_keeper.py) never touches the connection.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence

from chedweb_bridge.alert_state import Ack, Mute

_SCHEMA = """CREATE TABLE IF NOT EXISTS alert_state (
    kind TEXT NOT NULL, key TEXT NOT NULL, level INTEGER, until REAL, by TEXT NOT NULL,
    at REAL NOT NULL, PRIMARY KEY (kind, key))"""


def save(conn: sqlite3.Connection, acks: Sequence[Ack], mutes: Sequence[Mute]) -> None:
    """Replaces the stored state with these (in their order: the oldest first, as the book
    drops them)."""
    conn.execute(_SCHEMA)
    conn.execute("DELETE FROM alert_state")
    insert = "INSERT INTO alert_state (kind, key, level, until, by, at) VALUES (?, ?, ?, ?, ?, ?)"
    conn.executemany(insert, [("ack", a.key, a.level, None, a.by, a.at) for a in acks])
    conn.executemany(insert, [("mute", m.key, None, m.until, m.by, m.at) for m in mutes])


def load(conn: sqlite3.Connection) -> tuple[list[Ack], list[Mute]]:
    """The stored state, in the order it was saved. A row that is not what save() writes (edited
    by hand, or from a later version) is skipped, never raised: the rest still comes back."""
    conn.execute(_SCHEMA)
    acks: list[Ack] = []
    mutes: list[Mute] = []
    for kind, key, level, until, by, at in conn.execute(
            "SELECT kind, key, level, until, by, at FROM alert_state ORDER BY rowid"):
        if not isinstance(key, str) or not isinstance(by, str) or not _finite(at):
            continue
        if kind == "ack" and isinstance(level, int) and 0 <= level <= 3:
            acks.append(Ack(key, level, by, float(at)))
        elif kind == "mute" and _finite(until):
            mutes.append(Mute(key, float(until), by, float(at)))
    return acks, mutes


def _finite(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
