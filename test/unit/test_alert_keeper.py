"""Acknowledgements and mutes kept in the history database across a restart (alert_keeper.py,
store/alert_table.py), with real files and the store's real thread: what comes back, what is
dropped (an ended mute, an acknowledgement whose status changed level since), memory-only mode,
and the faults (a corrupt file, a locked one) that must never reach the bridge."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from chedweb_bridge.alert_keeper import AlertKeeper
from chedweb_bridge.alert_state import AlertBook, restored, status_of
from chedweb_bridge.store.worker import StoreWorker

T0 = 1_700_000_000.0
MOTOR = "status:robot\u0000motor"
OFFLINE = "offline:robot"


class Logs(list[tuple[str, str]]):
    def __call__(self, level: str, text: str) -> None:
        self.append((level, text))

    def text(self) -> str:
        return "\n".join(t for _, t in self)


def _status(level: int, name: str = "motor") -> dict[str, object]:
    return {"hardware_id": "robot", "name": name, "level": level, "message": f"l{level}",
            "values": {"a": "1"}}


def _worker(path: str, logs: Logs | None = None) -> StoreWorker:
    worker = StoreWorker(path, 10_000_000, log=logs)
    worker.start()
    return worker


def _settle(worker: StoreWorker) -> None:
    """Waits until the store's thread has done everything queued before (it is FIFO)."""
    worker.call(lambda core: None, 10.0)


def test_status_of_reads_the_page_status_key() -> None:
    assert status_of(MOTOR) == ("robot", "motor")
    assert status_of("status:r\u0000a: b\u0000c") == ("r", "a: b\u0000c")  # the first NUL splits
    assert status_of(OFFLINE) is None and status_of("status:no-nul") is None


def test_acks_and_mutes_come_back_with_who_and_when_after_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite3")
    worker = _worker(path)
    book = AlertBook()
    book.ack(MOTOR, 2, "ann", T0 + 1)
    book.ack(OFFLINE, 3, "bob", T0 + 2)
    book.mute("status:robot\u0000fan", 3600, "cy", T0 + 3)
    AlertKeeper(worker).save(book)
    _settle(worker)
    worker.stop()

    again = _worker(path)
    back = AlertKeeper(again).restore(T0 + 10)
    again.stop()
    assert list(back.acks.values()) == list(book.acks.values())  # level, by, at, and their order
    assert list(back.mutes.values()) == list(book.mutes.values())
    assert back.mutes["status:robot\u0000fan"].until == T0 + 3603


def test_the_last_save_wins_and_an_unmute_is_kept_too(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite3")
    worker = _worker(path)
    keeper = AlertKeeper(worker)
    book = AlertBook()
    book.mute(MOTOR, 60, "ann", T0)
    keeper.save(book)
    book.unmute(MOTOR)
    book.ack(MOTOR, 1, "bob", T0 + 5)
    keeper.save(book)
    _settle(worker)
    worker.stop()
    again = _worker(path)
    back = AlertKeeper(again).restore(T0 + 10)
    again.stop()
    assert not back.mutes and [(a.key, a.level, a.by) for a in back.acks.values()] == [(MOTOR, 1, "bob")]


def test_an_ended_mute_and_an_ack_whose_level_changed_since_are_dropped(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite3")
    worker = _worker(path)
    worker.add(T0, [_status(2), _status(2, "fan"), _status(1, "pump")])
    book = AlertBook()
    book.ack(MOTOR, 2, "ann", T0 + 1)                      # motor goes 2 -> 0 -> 2 after it: dropped
    book.ack("status:robot\u0000fan", 2, "ann", T0 + 1)    # fan stays at 2: kept
    book.ack("status:robot\u0000pump", 1, "ann", T0 + 1)   # pump: no change after it: kept
    book.ack(OFFLINE, 3, "ann", T0 + 1)                    # no level log for a machine: kept
    book.mute(MOTOR, 100, "ann", T0 + 1)                   # ends at T0 + 101: dropped at T0 + 200
    book.mute("status:robot\u0000fan", 1000, "ann", T0 + 1)
    AlertKeeper(worker).save(book)
    worker.add(T0 + 2, [_status(0), _status(2, "fan")])
    worker.add(T0 + 3, [_status(2), _status(2, "fan")])
    _settle(worker)
    worker.stop()  # the last flush: the level changes are on disk

    again = _worker(path)
    back = AlertKeeper(again).restore(T0 + 200)
    again.stop()
    assert sorted(back.acks) == sorted(["status:robot\u0000fan", "status:robot\u0000pump", OFFLINE])
    assert list(back.mutes) == ["status:robot\u0000fan"]


def test_restored_is_pure_and_bounded() -> None:
    from chedweb_bridge.alert_state import MAX_ENTRIES, Ack, Mute
    acks = [Ack(f"k{i}", 2, "ann", T0 + i) for i in range(MAX_ENTRIES + 5)]
    mutes = [Mute("m", T0 + 10, "ann", T0), Mute("gone", T0 + 1, "ann", T0)]
    book = restored(acks, mutes, T0 + 5, lambda a: a.key != "k7")
    assert len(book.acks) == MAX_ENTRIES and "k7" not in book.acks and "k0" not in book.acks
    assert list(book.mutes) == ["m"]


def test_memory_only_keeps_nothing_and_says_nothing_went_wrong() -> None:
    logs = Logs()
    worker = _worker("", logs)
    keeper = AlertKeeper(worker, logs)
    book = AlertBook()
    book.ack(MOTOR, 2, "ann", T0)
    keeper.save(book)
    _settle(worker)
    back = keeper.restore(T0)
    worker.stop()
    assert not back.acks and not back.mutes
    assert "alerts:" not in logs.text()


def test_a_corrupt_file_means_an_empty_state_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database" * 1000)
    logs = Logs()
    worker = _worker(str(path), logs)
    keeper = AlertKeeper(worker, logs)
    back = keeper.restore(T0)
    assert not back.acks and not back.mutes
    assert list(tmp_path.glob("history.sqlite3.corrupt-*"))
    book = AlertBook()
    book.ack(MOTOR, 2, "ann", T0)
    keeper.save(book)  # the fresh file keeps it
    _settle(worker)
    worker.stop()
    again = _worker(str(path))
    assert list(AlertKeeper(again).restore(T0).acks) == [MOTOR]
    again.stop()


def test_a_row_the_table_never_writes_is_skipped_and_the_rest_restored(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite3")
    worker = _worker(path)
    book = AlertBook()
    book.ack(MOTOR, 2, "ann", T0)
    AlertKeeper(worker).save(book)
    _settle(worker)
    worker.stop()
    conn = sqlite3.connect(path)
    # A row the table's rules would never write: skipped on load, the rest restored.
    insert = "INSERT INTO alert_state (kind, key, level, until, by, at) VALUES (?, ?, ?, ?, ?, ?)"
    conn.execute(insert, ("ack", "x", 9, None, "z", 1))
    conn.execute(insert, ("mute", "y", None, "soon", "z", 1))
    conn.commit()
    conn.close()
    again = _worker(path)
    back = AlertKeeper(again).restore(T0)
    again.stop()
    assert list(back.acks) == [MOTOR] and not back.mutes


def test_a_locked_file_loses_one_save_not_the_bridge(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite3")
    logs = Logs()
    worker = _worker(path, logs)
    keeper = AlertKeeper(worker, logs)
    _settle(worker)
    holder = sqlite3.connect(path, isolation_level=None, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
    try:
        book = AlertBook()
        book.ack(MOTOR, 2, "ann", T0)
        keeper.save(book)  # returns at once: the wait is on the store's thread
        deadline = time.monotonic() + 15
        while "state not saved" not in logs.text() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "state not saved" in logs.text(), logs.text()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    book.mute(MOTOR, 600, "bob", T0 + 1)
    keeper.save(book)  # the next change writes everything
    _settle(worker)
    worker.stop()
    again = _worker(path)
    back = AlertKeeper(again).restore(T0 + 2)
    again.stop()
    assert list(back.acks) == [MOTOR] and list(back.mutes) == [MOTOR]


def test_a_file_found_corrupt_while_running_gets_the_state_again(tmp_path: Path) -> None:
    import os
    import random

    path = tmp_path / "history.sqlite3"
    logs = Logs()
    worker = StoreWorker(str(path), 10_000_000, log=logs)  # no thread: step() runs its batches
    keeper = AlertKeeper(worker, logs)
    book = AlertBook()
    book.ack(MOTOR, 2, "ann", T0)
    book.mute(OFFLINE, 3600, "bob", T0)
    keeper.save(book)
    rng = random.Random(1)
    for i in range(600):
        worker.add(T0 + i, [{"hardware_id": "robot", "name": "motor", "level": 0, "message": "ok",
                             "values": {f"k{j}": f"{rng.randrange(10000) / 10:g}" for j in range(10)}}])
    worker.step(T0 + 600)
    conn = worker._conn
    assert conn is not None
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with open(path, "r+b") as f:  # every page but the first overwritten: the file is malformed
        f.seek(4096)
        f.write(os.urandom(os.path.getsize(path) - 4096))
    conn.execute("PRAGMA shrink_memory")
    for t in (T0 + 600, T0 + 630, T0 + 660):
        worker.add(t, [_status(0)])
        worker.step(t)
    assert list(tmp_path.glob("history.sqlite3.corrupt-*")), logs.text()
    worker.step(T0 + 700)  # the state enqueued again after the set-aside
    worker.stop()
    again = _worker(str(path))
    back = AlertKeeper(again).restore(T0 + 1)
    again.stop()
    assert list(back.acks) == [MOTOR] and list(back.mutes) == [OFFLINE]
