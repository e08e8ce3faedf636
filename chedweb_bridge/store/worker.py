"""The store's thread: it alone owns the tiering core and the database connection.

Database work never runs on the asyncio loop that owns the peers, nor in the ROS callback:
- `add` (the loop, once each array's fan-out is done) and `submit` (queries, from the loop or
  an HTTP thread) only enqueue;
- the thread drains the queue in batches, each batch one transaction, and flushes the open
  blocks every `flush_seconds` (what a kill -9 can lose, plus at most FLUSH_GRACE_S) and
  applies retention every minute, both in the batch of the first array after they are due.
Faults change the state that /healthz reports, never the bridge's live forwarding:
- "memory only": no path, or a directory that cannot be written (db_file.py);
- "paused": the disk is full; samples are dropped (counted) and writing is retried every
  RETRY_S seconds;
- a file found corrupt while running is set aside and a fresh one started.
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from chedweb_bridge.store import db_file
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.sqlite_repo import SqliteRepository
from chedweb_bridge.store.tiers import Tier, TieredStore

T = TypeVar("T")
Log = Callable[[str, str], None]  # (level "info"/"warn", text)

QUEUE_LIMIT = 10_000  # arrays waiting for the thread; beyond, they are dropped and counted
BATCH = 500
RETRY_S = 30.0
TRIM_S = 60.0
# A due flush (and retention) waits up to this long for the next array, to run in that array's
# batch: arrays come from the loop once every peer's transmission of them is done, so the flush's
# Python work (~25 ms at 50 statuses x 20 keys, docs/benchmarks.md) then runs between two
# fan-outs. Run by its own timer, it fell in the middle of one message in fifty at 10 Hz and took
# the GIL from the loop's sends for that long: those peers got that message as much later (the
# 100-peer live p99).
FLUSH_GRACE_S = 1.0
# Memory only holds at most this much, whatever the disk budget: it is RAM.
MEMORY_BUDGET = 64 * 1024 * 1024


class StoreWorker:
    def __init__(self, path: str, budget_bytes: int, tiers: Sequence[Tier] | None = None,
                 log: Log | None = None, flush_seconds: float = 5.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.path = path
        self.budget_bytes = budget_bytes
        self.flush_seconds = flush_seconds
        self._tiers = tiers
        self._log = log if log is not None else (lambda level, text: None)
        self._clock = clock
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(QUEUE_LIMIT)
        self._thread = threading.Thread(target=self._main, name="webrtc_bridge-history", daemon=True)
        self._stopping = False
        self._conn: sqlite3.Connection | None = None
        self._wal_limit = 0
        # Read by /healthz from other threads: plain attribute stores, atomic under the GIL.
        self.state = "starting"
        self.reason = ""
        self.dropped = 0
        # Called on this thread after a fresh file replaced one found corrupt while running, so
        # that what lives beside the history (alert_keeper.py) is written into it again.
        self.on_fresh_file: list[Callable[[], None]] = []
        self.core = self._open()

    # ---- any thread ----

    def start(self) -> None:
        self._thread.start()

    def add(self, t: float, statuses: Sequence[dict[str, Any]],
            numbers: Sequence[dict[str, float]] | None = None) -> None:
        """One array received at `t` (receive clock), with its numbers if parsed; never blocks."""
        try:
            self._queue.put_nowait(("add", t, statuses, numbers))
        except queue.Full:
            self.dropped += 1

    def submit(self, job: Callable[[TieredStore], T], done: Callable[[T | BaseException], None]) -> bool:
        """Runs job(core) on the store's thread, then done(result or exception) there too."""
        try:
            self._queue.put_nowait(("job", job, done))
        except queue.Full:
            return False
        return True

    def call(self, job: Callable[[TieredStore], T], timeout: float) -> T:
        """submit() and wait, for a thread that may block (an HTTP handler, never the loop)."""
        answer: queue.Queue[T | BaseException] = queue.Queue(1)
        if not self.submit(job, answer.put):
            raise TimeoutError("history store busy")
        try:
            result = answer.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"history store: no answer within {timeout} s") from None
        if isinstance(result, BaseException):
            raise result
        return result

    def now(self) -> float:
        """The receive clock the store is fed with (time.time unless a test gives another)."""
        return self._clock()

    def health(self) -> dict[str, Any]:
        return {"state": self.state, "reason": self.reason, "path": self.path if self._conn else "",
                "bytes": self.core.repo.size(), "budget_bytes": self.core.budget_bytes,
                "dropped": self.dropped}

    def stop(self, timeout: float = 5.0) -> None:
        """The last flush, then the file is closed."""
        if self._thread.is_alive():
            self._queue.put(("stop",))
            self._thread.join(timeout)
        elif self._conn is not None:
            self._conn.close()

    # ---- the store's thread ----

    def _open(self) -> TieredStore:
        if not self.path:
            self._set("memory only", "history_path is empty")
            self._log("warn", "history: history_path is empty: history in memory only, lost at restart")
            return TieredStore(MemoryRepository(), self._tiers, min(self.budget_bytes, MEMORY_BUDGET))
        opened = db_file.open_file(self.path, self.budget_bytes)
        for note in opened.notes:
            self._log("warn", note)
        if opened.repo is None:
            self._set("memory only", opened.notes[-1] if opened.notes else "cannot open")
            return TieredStore(MemoryRepository(), self._tiers, min(self.budget_bytes, MEMORY_BUDGET))
        self._conn = opened.repo.conn
        self._wal_limit = opened.wal_limit
        self._set("ok", "")
        self._log("info", f"history: {self.path} ({opened.repo.size()} bytes stored, "
                          f"budget {self.budget_bytes})")
        # The logical budget leaves the file's slack (partly filled pages, indexes) and the WAL
        # inside the budget; _written() lowers it further if SQLite's own cap is ever reached.
        return TieredStore(opened.repo, self._tiers, int((self.budget_bytes - opened.wal_limit) * 0.8))

    def _set(self, state: str, reason: str) -> None:
        self.state, self.reason = state, reason

    def step(self, now: float, flush: bool = True, trim: bool = False) -> None:
        """What the thread does, done here: everything queued, as one batch (tests, benches)."""
        items: list[tuple[Any, ...]] = []
        with contextlib.suppress(queue.Empty):
            while True:
                items.append(self._queue.get_nowait())
        self._batch(items, flush, trim, now)

    def _main(self) -> None:
        next_flush = self._clock() + self.flush_seconds
        next_trim = self._clock()
        while True:
            timeout = max(0.0, next_flush + FLUSH_GRACE_S - self._clock())
            items: list[tuple[Any, ...]] = []
            with contextlib.suppress(queue.Empty):
                items.append(self._queue.get(timeout=timeout))
                while len(items) < BATCH:
                    items.append(self._queue.get_nowait())
            stop = any(item[0] == "stop" for item in items)
            now = self._clock()
            flush = stop or now >= next_flush
            trim = now >= next_trim
            self._batch(items, flush, trim, now)
            if flush:
                next_flush = now + (RETRY_S if self.state == "paused" else self.flush_seconds)
            if trim:
                next_trim = now + TRIM_S
            if stop:
                if self._conn is not None:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.close()
                return

    def _batch(self, items: list[tuple[Any, ...]], flush: bool, trim: bool, now: float) -> None:
        conn = self._conn
        paused = self.state == "paused"
        try:
            if conn is not None:
                conn.execute("BEGIN")
            for item in items:
                if item[0] == "add":
                    if paused:
                        self.dropped += 1
                    else:
                        self.core.add(item[1], item[2], item[3])
                elif item[0] == "job":
                    self._job(item[1], item[2])
            if flush:
                self.core.flush(now)
            if trim:
                self.core.trim(now)
            if conn is not None:
                conn.execute("COMMIT")
                db_file.keep_wal_within(conn, self.path, self._wal_limit)
            if paused and flush:
                self._set("ok", "")
                self._log("info", "history: writing again")
        except sqlite3.Error as exc:
            self._failed(exc)
        except Exception as exc:  # a defect of the store's own code: this thread must go on
            # Uncaught, it ended the thread: no history written until a restart, in silence.
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            self.core.rewrite_all()  # what the rolled-back batch wrote is written again
            self._log("warn", f"history: write failed ({type(exc).__name__}: {exc}), "
                              "retried at the next flush")

    def _job(self, job: Callable[[TieredStore], Any], done: Callable[[Any], None]) -> None:
        try:
            result = job(self.core)
        except sqlite3.Error as exc:
            done(exc)
            raise
        except Exception as exc:  # a bad query is the asker's problem, not the store's
            result = exc
        done(result)

    def _failed(self, exc: sqlite3.Error) -> None:
        conn = self._conn
        assert conn is not None
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        repo = self.core.repo
        if db_file.is_full(exc):
            if db_file.at_page_cap(conn):
                # The file reached SQLite's cap before the logical budget did: lower the budget.
                self.core.budget_bytes = int(self.core.budget_bytes * 0.9)
                self._log("warn", "history: file at its budget cap; logical budget lowered to "
                                  f"{self.core.budget_bytes}")
            elif self.state != "paused":
                self._set("paused", f"disk full: {exc}")
                self._log("warn", f"history: disk full, writing paused (live data goes on): {exc}")
        elif not db_file.is_corrupt(exc):
            self._log("warn", f"history: write failed, retried at the next flush: {exc}")
        else:
            aside = db_file.set_aside(self.path, "corrupt")
            self._log("warn", f"history: {self.path} failed ({exc}); set aside as {aside}, "
                              "starting a fresh one")
            with contextlib.suppress(sqlite3.Error):
                conn.close()
            self._conn = None
            fresh = self._open()
            self.core.repo = fresh.repo
            self.core.budget_bytes = fresh.budget_bytes
            self.core.rewrite_all()
            for hook in self.on_fresh_file:
                hook()
            return
        if isinstance(repo, SqliteRepository):
            with contextlib.suppress(sqlite3.Error):
                repo.recount()
        self.core.rewrite_all()
