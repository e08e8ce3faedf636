"""Keeps the bridge's alert state (alert_state.py) in the history database, so acknowledgements
and mutes outlive a bridge restart (issue 11 item 4, docs/architecture.md "Alert state").

- `save` runs on the asyncio loop after every change: it copies the book (a few hundred small
  records at most) and enqueues the write; the store's thread (store/worker.py) does the SQLite
  work in its own transaction. The loop never waits for the database.
- `restore` runs once at start-up, before the loop serves any peer, and waits for the store's
  thread (bounded by a timeout).
- Memory-only history (no path, or a directory that cannot be written): nothing is kept, as
  before: the state lives as long as the process.
- Faults are the store's (worker.py, db_file.py): a corrupt or locked file at start-up is set
  aside and a fresh one begun (the state starts empty); a file found corrupt while running is
  set aside by the store, and the last state written into the fresh one; a write that fails is
  logged and the next change writes the whole state again. Nothing here raises into the bridge.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from chedweb_bridge.alert_state import Ack, AlertBook, Mute, restored, status_of
from chedweb_bridge.store import alert_table
from chedweb_bridge.store.sqlite_repo import SqliteRepository
from chedweb_bridge.store.tiers import TieredStore
from chedweb_bridge.store.worker import StoreWorker

Log = Callable[[str, str], None]  # (level "info"/"warn", text)
RESTORE_TIMEOUT_S = 10.0


class AlertKeeper:
    def __init__(self, worker: StoreWorker, log: Log | None = None) -> None:
        self._worker = worker
        self._log = log if log is not None else (lambda level, text: None)
        # The state as last saved (replaced whole, never changed): written again into a fresh
        # file that replaced a corrupt one while running.
        self._latest: tuple[list[Ack], list[Mute]] | None = None
        worker.on_fresh_file.append(self._save_again)

    def restore(self, now: float, timeout: float = RESTORE_TIMEOUT_S) -> AlertBook:
        """The kept state, as a restarted bridge starts with it (alert_state.restored); an empty
        book when nothing is kept or the file cannot be read (logged)."""
        def job(core: TieredStore) -> AlertBook:
            if not isinstance(core.repo, SqliteRepository):
                return AlertBook()
            acks, mutes = alert_table.load(core.repo.conn)
            return restored(acks, mutes, now, lambda ack: _still_holds(core, ack))

        try:
            book = self._worker.call(job, timeout)
        except Exception as exc:  # sqlite3.Error (the worker has set the file aside), or a timeout
            self._log("warn", f"alerts: acknowledgements and mutes not restored ({exc}): starting empty")
            return AlertBook()
        if book.acks or book.mutes:
            self._log("info", f"alerts: restored {len(book.acks)} acknowledgement(s) and "
                              f"{len(book.mutes)} mute(s)")
        return book

    def save(self, book: AlertBook) -> None:
        """Enqueues a write of the whole state as it is now (called on the loop)."""
        self._latest = (list(book.acks.values()), list(book.mutes.values()))  # frozen records
        self._submit(*self._latest)

    def _save_again(self) -> None:
        """On the store's thread, after it set a corrupt file aside: the last state, enqueued."""
        if self._latest is not None:
            self._submit(*self._latest)

    def _submit(self, acks: list[Ack], mutes: list[Mute]) -> None:
        def job(core: TieredStore) -> None:
            if isinstance(core.repo, SqliteRepository):  # memory only: nothing to keep
                alert_table.save(core.repo.conn, acks, mutes)

        def done(outcome: object) -> None:  # on the store's thread
            if isinstance(outcome, BaseException):
                self._log("warn", f"alerts: state not saved ({outcome}); the next change saves it all")

        if not self._worker.submit(job, done):
            self._log("warn", "alerts: history store busy, state not saved; the next change saves it all")


def _still_holds(core: TieredStore, ack: Ack) -> bool:
    """An acknowledgement holds until its status's level changes again: any level change the
    history logged after it was given ends it. A machine's offline alert has no logged level:
    it is kept, and the page compares the acknowledged level as it always does."""
    status = status_of(ack.key)
    if status is None:
        return True
    return not any(c.t > ack.at for c in core.level_changes(status, ack.at, math.inf, 16))
