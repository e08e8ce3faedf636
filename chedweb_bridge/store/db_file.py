"""The history database file: where it is, opening it with the right pragmas, and its faults.

- An unusable file (corrupt, not a database, a newer schema, or locked by another process past
  LOCK_TIMEOUT_S) is set aside, renamed with its -wal/-shm to `<name>.<reason>-<UTC time>`, and a
  fresh one is started: the bridge never crashes and never deletes what it cannot read.
- A directory that cannot be written (read-only filesystem, no permission) means memory only.
- SQLite itself caps the file at the disk budget (`max_page_count`), minus room for the WAL.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from chedweb_bridge.store.sqlite_repo import SqliteRepository

LOCK_TIMEOUT_S = 2.0
DB_NAME = "history.sqlite3"
# The WAL is checkpointed at this size and truncated back to it: it is part of the budget.
WAL_SHARE = 0.1
MAX_WAL_BYTES = 8 * 1024 * 1024
PAGE_SIZE = 16384
# SQLite's page cache of the one connection, in KiB (its default is 2,000): at 10 Hz x 50
# statuses x 20 keys it stayed full and cost 2.6 MiB of RSS (bench.store_memory: +9.7 -> +7.1
# MiB over the floor at 512) for no CPU; a query's pages missed here come from the OS's cache
# (bench.history --quick: query CPU p99 17-23 ms either way, the target 100 ms).
CACHE_KIB = 512


def resolve(history_path: str, environ: dict[str, str] | None = None) -> str:
    """The `history_path` parameter as a file path ("" stays "": memory only). $ROS_HOME is the
    ROS_HOME variable, else ~/.ros, as ROS 2 itself does; a directory (existing, or ending in /)
    gets DB_NAME."""
    if not history_path:
        return ""
    env = os.environ if environ is None else environ
    ros_home = env.get("ROS_HOME") or os.path.join(os.path.expanduser("~"), ".ros")
    path = os.path.expanduser(history_path.replace("${ROS_HOME}", ros_home).replace("$ROS_HOME", ros_home))
    if path.endswith(os.sep) or os.path.isdir(path):
        path = os.path.join(path, DB_NAME)
    return path


@dataclass
class Opened:
    repo: SqliteRepository | None  # None: memory only
    notes: list[str]               # what happened, one log line each
    wal_limit: int = 0


def open_file(path: str, budget_bytes: int) -> Opened:
    notes: list[str] = []
    directory = Path(path).parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
        _probe_writable(directory)
    except OSError as exc:
        return Opened(None, [f"history: {directory} is not writable ({exc.strerror or exc}): memory only"])
    for _attempt in range(2):
        try:
            repo, wal_limit = _connect(path, budget_bytes)
            return Opened(repo, notes, wal_limit)
        except sqlite3.Error as exc:
            reason = "locked" if _is_locked(exc) else "corrupt" if is_corrupt(exc) else ""
            if not reason:  # not the file's fault: keep it for the next start
                notes.append(f"history: cannot open {path} ({exc}): memory only")
                return Opened(None, notes)
            aside = set_aside(path, reason)
            notes.append(f"history: {path} is {reason} ({exc}); set aside as {aside}, starting a fresh one")
    notes.append(f"history: cannot open {path}: memory only")
    return Opened(None, notes)


def _connect(path: str, budget_bytes: int) -> tuple[SqliteRepository, int]:
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        # A new file only (an existing one keeps its size): blocks of 2-10 KB left most of
        # each 4 KB page empty (one block a page), 16 KB pages hold several.
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        page = int(conn.execute("PRAGMA page_size").fetchone()[0])
        wal_limit = min(MAX_WAL_BYTES, int(budget_bytes * WAL_SHARE))
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise sqlite3.OperationalError("WAL mode refused")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # negative: KiB, whatever the page size
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at each checkpoint, never corrupt
        conn.execute(f"PRAGMA journal_size_limit = {wal_limit}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {max(1, wal_limit // page // 2)}")
        # The file never grows past the budget less the WAL's share: SQLite refuses the write.
        conn.execute(f"PRAGMA max_page_count = {max(16, (budget_bytes - wal_limit) // page)}")
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise sqlite3.DatabaseError(f"quick_check: {check}")
        repo = SqliteRepository(conn)
        conn.execute("BEGIN IMMEDIATE")  # a file another process holds locked fails here
        conn.execute("COMMIT")
        return repo, wal_limit
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.close()
        raise


def _probe_writable(directory: Path) -> None:
    probe = directory / f".chedweb-probe-{os.getpid()}"
    fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.close(fd)
    os.unlink(probe)


def _is_locked(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc).lower() or "busy" in str(exc).lower()


def set_aside(path: str, reason: str) -> str:
    """Renames the file and its -wal/-shm; returns the new name of the main file."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = f"{path}.{reason}-{stamp}"
    n = 1
    while os.path.exists(aside):
        n += 1
        aside = f"{path}.{reason}-{stamp}-{n}"
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            os.replace(path + suffix, aside + suffix)
    return aside


def keep_wal_within(conn: sqlite3.Connection, path: str, wal_limit: int) -> None:
    """A WAL left larger than its share of the budget (a large transaction) is checkpointed and
    truncated at once: only then is file + WAL within the budget between two batches."""
    try:
        size = os.path.getsize(path + "-wal")
    except OSError:
        return
    if size > wal_limit:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def is_corrupt(exc: sqlite3.Error) -> bool:
    """Errors that say the file's content is unusable (as opposed to locked, full, read-only)."""
    text = str(exc).lower()
    return any(word in text for word in ("malformed", "not a database", "corrupt", "quick_check",
                                         "history schema"))


def is_full(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()


def at_page_cap(conn: sqlite3.Connection) -> bool:
    """True when the file is at its budget cap (max_page_count), not the disk."""
    count = int(conn.execute("PRAGMA page_count").fetchone()[0])
    cap = int(conn.execute("PRAGMA max_page_count").fetchone()[0])
    return count >= cap - 8
