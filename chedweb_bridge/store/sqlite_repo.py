"""The SQLite Repository (stdlib sqlite3, WAL): the durable side of the tiering core.

One table per concept: `statuses` (hardware_id, name), `series` (one row per key of a status),
`blocks` (one status's samples at one tier over a time window, many samples to a row, see
blockcodec.py), `level_changes` (time, old, new, message). Every method runs on the store's own
thread (worker.py), which owns the connection and wraps each batch in one transaction.

Sizes are logical (blob bytes plus ROW_OVERHEAD a row), kept in step with every write and
recounted after a failed transaction. The file itself is capped by SQLite (`max_page_count`):
a write that would pass the budget fails with SQLITE_FULL instead of growing the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from chedweb_bridge.store.tiers import ROW_OVERHEAD, LevelChange, StatusKey

SCHEMA_VERSION = 1
CHUNK_ROWIDS = 2 ** 62
_SCHEMA = """
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER PRIMARY KEY, hardware_id TEXT NOT NULL, name TEXT NOT NULL, UNIQUE (hardware_id, name));
CREATE TABLE IF NOT EXISTS series (
    status_id INTEGER NOT NULL REFERENCES statuses (id), key TEXT NOT NULL, PRIMARY KEY (status_id, key));
CREATE TABLE IF NOT EXISTS blocks (
    status_id INTEGER NOT NULL REFERENCES statuses (id), tier INTEGER NOT NULL,
    t0 REAL NOT NULL, t1 REAL NOT NULL, data BLOB NOT NULL, UNIQUE (status_id, tier, t0));
CREATE INDEX IF NOT EXISTS blocks_by_end ON blocks (t1, tier);
CREATE TABLE IF NOT EXISTS level_changes (
    status_id INTEGER NOT NULL REFERENCES statuses (id), t REAL NOT NULL,
    old INTEGER, new INTEGER NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS level_changes_by_status ON level_changes (status_id, t);
CREATE INDEX IF NOT EXISTS level_changes_by_time ON level_changes (t);
"""


class SqliteRepository:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise sqlite3.DatabaseError(f"history schema {version} is not {SCHEMA_VERSION}")
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._ids: dict[StatusKey, int] = {}
        self._size = 0
        self.recount()

    def recount(self) -> None:
        """The logical size from the tables (at open, and after a transaction failed)."""
        blocks = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM blocks").fetchone()
        changes = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(message AS BLOB))), 0) FROM level_changes").fetchone()
        self._size = blocks[0] * ROW_OVERHEAD + blocks[1] + changes[0] * ROW_OVERHEAD + changes[1]
        self._ids.clear()  # a rolled-back insert may have cached an id that does not exist

    def _id(self, status: StatusKey, create: bool = True) -> int | None:
        sid = self._ids.get(status)
        if sid is not None:
            return sid
        row = self.conn.execute("SELECT id FROM statuses WHERE hardware_id = ? AND name = ?",
                                status).fetchone()
        if row is None:
            if not create:
                return None
            row = (self.conn.execute("INSERT INTO statuses (hardware_id, name) VALUES (?, ?)",
                                     status).lastrowid,)
        self._ids[status] = int(row[0])
        return int(row[0])

    def put_block(self, status: StatusKey, tier: int, t0: float, t1: float, blob: bytes,
                  chunk: bool = False) -> None:
        sid = self._id(status)
        old = self.conn.execute("SELECT LENGTH(data) FROM blocks WHERE status_id = ? AND tier = ? AND t0 = ?",
                                (sid, tier, t0)).fetchone()
        # Chunk rows take rowids from CHUNK_ROWIDS up, sealed blocks below it: each kind fills
        # pages of its own, so the chunks deleted at every seal do not leave holes among sealed
        # blocks. (bench.history measured no change in the file's size from it; with a window
        # of whole minute blocks the file is 7 % over its blocks, docs/benchmarks.md.)
        low, high = (CHUNK_ROWIDS, 2 ** 63 - 1) if chunk else (0, CHUNK_ROWIDS)
        self.conn.execute(
            "INSERT INTO blocks (rowid, status_id, tier, t0, t1, data) VALUES ("
            "(SELECT COALESCE(MAX(rowid), ?) + 1 FROM blocks WHERE rowid > ? AND rowid < ?), ?, ?, ?, ?, ?) "
            "ON CONFLICT (status_id, tier, t0) DO UPDATE SET t1 = excluded.t1, data = excluded.data",
            (low, low, high, sid, tier, t0, t1, blob))
        self._size += len(blob) - (old[0] if old else -ROW_OVERHEAD)

    def delete_blocks(self, status: StatusKey, tier: int, starts: Sequence[float]) -> None:
        sid = self._id(status, create=False)
        if sid is None or not starts:
            return
        for t0 in starts:
            row = self.conn.execute("SELECT rowid, LENGTH(data) FROM blocks WHERE status_id = ? AND tier = ? "
                                    "AND t0 = ?", (sid, tier, t0)).fetchone()
            if row is not None:
                self.conn.execute("DELETE FROM blocks WHERE rowid = ?", (row[0],))
                self._size -= ROW_OVERHEAD + row[1]

    def blocks(self, status: StatusKey, tier: int, t0: float, t1: float) -> list[tuple[float, float, bytes]]:
        sid = self._id(status, create=False)
        if sid is None:
            return []
        return [(float(a), float(b), bytes(d)) for a, b, d in self.conn.execute(
            "SELECT t0, t1, data FROM blocks WHERE status_id = ? AND tier = ? AND t0 <= ? AND t1 >= ? "
            "ORDER BY t0", (sid, tier, t1, t0))]

    def first_time(self, status: StatusKey, tier: int) -> float | None:
        sid = self._id(status, create=False)
        if sid is None:
            return None
        row = self.conn.execute("SELECT MIN(t0) FROM blocks WHERE status_id = ? AND tier = ?",
                                (sid, tier)).fetchone()
        return None if row[0] is None else float(row[0])

    def drop_before(self, tier: int, t: float) -> None:
        count, total = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(data)), 0) FROM blocks WHERE tier = ? AND t1 < ?",
            (tier, t)).fetchone()
        if count:
            self.conn.execute("DELETE FROM blocks WHERE tier = ? AND t1 < ?", (tier, t))
            self._size -= count * ROW_OVERHEAD + total

    def drop_level_changes_before(self, t: float) -> None:
        count, total = self.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(CAST(message AS BLOB))), 0) FROM level_changes WHERE t < ?",
            (t,)).fetchone()
        if count:
            self.conn.execute("DELETE FROM level_changes WHERE t < ?", (t,))
            self._size -= count * ROW_OVERHEAD + total

    def drop_oldest(self) -> bool:
        block = self.conn.execute(
            "SELECT rowid, t1, LENGTH(data) FROM blocks ORDER BY t1, tier LIMIT 1").fetchone()
        change = self.conn.execute(
            "SELECT rowid, t, LENGTH(CAST(message AS BLOB)) FROM level_changes ORDER BY t LIMIT 1").fetchone()
        if change is not None and (block is None or change[1] < block[1]):
            self.conn.execute("DELETE FROM level_changes WHERE rowid = ?", (change[0],))
            self._size -= ROW_OVERHEAD + change[2]
            return True
        if block is None:
            return False
        self.conn.execute("DELETE FROM blocks WHERE rowid = ?", (block[0],))
        self._size -= ROW_OVERHEAD + block[2]
        return True

    def size(self) -> int:
        return self._size

    def add_keys(self, status: StatusKey, keys: Iterable[str]) -> None:
        sid = self._id(status)
        self.conn.executemany("INSERT OR IGNORE INTO series (status_id, key) VALUES (?, ?)",
                              [(sid, k) for k in keys])

    def keys(self, status: StatusKey) -> list[str]:
        sid = self._id(status, create=False)
        if sid is None:
            return []
        rows = self.conn.execute("SELECT key FROM series WHERE status_id = ? ORDER BY key", (sid,))
        return [str(r[0]) for r in rows]

    def statuses(self) -> list[StatusKey]:
        return [(str(h), str(n)) for h, n in
                self.conn.execute("SELECT hardware_id, name FROM statuses ORDER BY hardware_id, name")]

    def add_level_changes(self, changes: Sequence[LevelChange]) -> None:
        for c in changes:
            self.conn.execute("INSERT INTO level_changes (status_id, t, old, new, message) "
                              "VALUES (?, ?, ?, ?, ?)",
                              (self._id((c.hardware_id, c.name)), c.t, c.old, c.new, c.message))
            self._size += ROW_OVERHEAD + len(c.message.encode("utf-8", "replace"))

    def level_changes(self, status: StatusKey | None, t0: float, t1: float, limit: int) -> list[LevelChange]:
        sql = ("SELECT c.t, s.hardware_id, s.name, c.old, c.new, c.message FROM level_changes c "
               "JOIN statuses s ON s.id = c.status_id WHERE c.t >= ? AND c.t <= ?")
        args: list[object] = [t0, t1]
        if status is not None:
            sql += " AND s.hardware_id = ? AND s.name = ?"
            args += list(status)
        sql += " ORDER BY c.t LIMIT ?"
        args.append(limit)
        return [LevelChange(float(t), str(h), str(n), o, int(nw), str(m))
                for t, h, n, o, nw, m in self.conn.execute(sql, args)]

    def last_level(self, status: StatusKey) -> int | None:
        sid = self._id(status, create=False)
        if sid is None:
            return None
        row = self.conn.execute("SELECT new FROM level_changes WHERE status_id = ? ORDER BY t DESC LIMIT 1",
                                (sid,)).fetchone()
        return None if row is None else int(row[0])
