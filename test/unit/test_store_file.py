"""The history file: persistence, WAL, the budget on disk, and its faults (a corrupt file, a
locked file, a read-only filesystem, a full disk) with real files."""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from chedweb_bridge.store import db_file
from chedweb_bridge.store.db_file import resolve
from chedweb_bridge.store.worker import StoreWorker

T0 = 1_700_000_000.0
KEY = ("robot", "motor")


def _status(i: int, rng: random.Random | None = None) -> dict[str, object]:
    values = {f"k{j}": f"{(rng.randrange(10000) if rng else i) / 10:g}" for j in range(10)}
    return {"hardware_id": "robot", "name": "motor", "level": 0, "message": "ok", "values": values}


class Logs(list[tuple[str, str]]):
    def __call__(self, level: str, text: str) -> None:
        self.append((level, text))

    def text(self) -> str:
        return "\n".join(t for _, t in self)


def _feed(worker: StoreWorker, start: float, seconds: int, rng: random.Random | None = None) -> float:
    t = start
    for i in range(seconds):
        t = start + i
        worker.add(t, [_status(i, rng)])
        if i % 10 == 9:
            worker.step(t)
    worker.step(t)
    return t


def test_history_path_resolution(tmp_path: Path) -> None:
    assert resolve("", {"ROS_HOME": "/r"}) == ""
    assert resolve("$ROS_HOME/chedweb/h.db", {"ROS_HOME": "/r"}) == "/r/chedweb/h.db"
    assert resolve("${ROS_HOME}/h.db", {}) == os.path.expanduser("~/.ros/h.db")
    assert resolve(str(tmp_path), {}) == str(tmp_path / "history.sqlite3")
    assert resolve("/x/y/", {}) == "/x/y/history.sqlite3"


def test_history_survives_a_new_worker_and_the_file_is_wal(tmp_path: Path) -> None:
    path = str(tmp_path / "h" / "history.sqlite3")
    first = StoreWorker(path, 10_000_000)
    _feed(first, T0, 120)
    first.stop()
    second = StoreWorker(path, 10_000_000)
    assert second.state == "ok"
    result = second.core.query(KEY, T0, T0 + 120, 120)
    assert result.avg["k0"][:110] == [i / 10 for i in range(110)]
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    second.stop()


def test_the_file_stays_within_the_disk_budget(tmp_path: Path) -> None:
    budget = 600_000
    path = str(tmp_path / "history.sqlite3")
    worker = StoreWorker(path, budget)
    rng = random.Random(5)
    t = T0
    for hour in range(5):  # the budget bites from the fourth hour on
        t = _feed(worker, T0 + hour * 3600, 3600, rng)
        size = sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))
        assert size <= budget, (hour, size)
    assert worker.core.query(KEY, t - 60, t, 60).avg["k0"][-2] is not None
    assert worker.state == "ok"
    worker.stop()


def test_sqlite_caps_the_file_when_the_logical_budget_underestimates_it(tmp_path: Path) -> None:
    budget = 400_000
    path = str(tmp_path / "history.sqlite3")
    logs = Logs()
    worker = StoreWorker(path, budget, log=logs)
    worker.core.budget_bytes = 10 * budget  # as if the estimate of the file's size were far off
    rng = random.Random(6)
    for hour in range(4):
        _feed(worker, T0 + hour * 3600, 3600, rng)
        size = sum(os.path.getsize(path + s) for s in ("", "-wal") if os.path.exists(path + s))
        assert size <= budget, (hour, size)
    assert "budget cap" in logs.text()
    assert worker.core.budget_bytes < budget
    worker.stop()


def test_a_corrupt_file_is_set_aside_and_a_fresh_one_started(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database" * 1000)
    logs = Logs()
    worker = StoreWorker(str(path), 10_000_000, log=logs)
    assert worker.state == "ok"
    aside = list(tmp_path.glob("history.sqlite3.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    assert "set aside" in logs.text() and str(aside[0]) in logs.text()
    _feed(worker, T0, 20)
    assert worker.core.query(KEY, T0, T0 + 20, 20).avg["k0"][0] == 0.0
    worker.stop()


def test_a_file_corrupted_while_running_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    logs = Logs()
    worker = StoreWorker(str(path), 10_000_000, log=logs)
    _feed(worker, T0, 600, random.Random(1))
    conn = worker._conn
    assert conn is not None
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the main file
    # Overwrite every page but the first: the next read or write finds the file malformed once
    # the connection's page cache no longer hides it.
    with open(path, "r+b") as f:
        f.seek(4096)
        f.write(os.urandom(os.path.getsize(path) - 4096))
    conn.execute("PRAGMA shrink_memory")
    _feed(worker, T0 + 600, 30)
    _feed(worker, T0 + 630, 30)
    assert list(tmp_path.glob("history.sqlite3.corrupt-*")), logs.text()
    assert worker.state == "ok"
    assert worker.core.query(KEY, T0 + 600, T0 + 660, 60).avg["k0"][40] is not None
    worker.stop()


def test_a_locked_file_is_set_aside_and_a_fresh_one_started(tmp_path: Path) -> None:
    path = str(tmp_path / "history.sqlite3")
    StoreWorker(path, 10_000_000).stop()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        logs = Logs()
        worker = StoreWorker(path, 10_000_000, log=logs)
        assert worker.state == "ok"
        assert list(tmp_path.glob("history.sqlite3.locked-*")), logs.text()
        _feed(worker, T0, 20)
        worker.stop()
    finally:
        holder.close()


def test_an_empty_path_means_memory_only_with_a_warning() -> None:
    logs = Logs()
    worker = StoreWorker("", 10_000_000, log=logs)
    assert worker.state == "memory only" and logs[0][0] == "warn"
    _feed(worker, T0, 20)
    assert worker.core.query(KEY, T0, T0 + 20, 20).avg["k0"][5] == 0.5


# ---- in a mount namespace of the test's own: a read-only filesystem, a full disk ----

_IN_NAMESPACE = """
import json, random, sys
sys.path.insert(0, {root!r})
from chedweb_bridge.store.worker import StoreWorker
from test.unit.test_store_file import _feed, Logs
logs = Logs()
worker = StoreWorker({path!r}, 100_000_000, log=logs)
out = {{"state_at_open": worker.state}}
_feed(worker, 1_700_000_000.0, 1800, random.Random(7))
out["state"] = worker.state
out["health"] = worker.health()
out["logs"] = logs.text()
# Live data is not the store's: querying what is still in memory works whatever the disk says.
out["recent"] = worker.core.query(("robot", "motor"), 1_700_000_000.0, 1_700_000_060.0, 60).avg["k0"][0]
print(json.dumps(out))
"""


def _in_mount_namespace(tmp_path: Path, mount: str, path: str) -> dict[str, object]:
    if shutil.which("unshare") is None:
        pytest.skip("unshare not installed")
    root = str(Path(__file__).resolve().parents[2])
    script = tmp_path / "run.py"
    script.write_text(_IN_NAMESPACE.format(root=root, path=path))
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    cmd = ["unshare", "--mount", "--propagation", "private", *user, "sh", "-c",
           f"{mount.format(mnt=mnt)} && exec {sys.executable} {script}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 and "mount" in proc.stderr and "Traceback" not in proc.stderr:
        pytest.skip(f"cannot mount in a namespace here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def test_a_read_only_filesystem_means_memory_only_with_a_warning(tmp_path: Path) -> None:
    # The directory exists (the mount point): only writing into it can tell.
    out = _in_mount_namespace(tmp_path, "mount -t tmpfs -o ro,size=1m tmpfs {mnt}",
                              str(tmp_path / "mnt" / "history.sqlite3"))
    assert out["state_at_open"] == "memory only" and out["state"] == "memory only"
    assert "not writable" in str(out["logs"]) and "memory only" in str(out["logs"])
    assert out["recent"] is not None


def test_a_full_disk_pauses_writing_and_health_says_so(tmp_path: Path) -> None:
    # 16 KB pages: the empty schema and its WAL take ~200 KB of it.
    out = _in_mount_namespace(tmp_path, "mount -t tmpfs -o size=512k tmpfs {mnt}",
                              str(tmp_path / "mnt" / "history.sqlite3"))
    assert out["state_at_open"] == "ok"
    assert out["state"] == "paused", out
    health = out["health"]
    assert isinstance(health, dict) and health["state"] == "paused" and "disk full" in health["reason"]
    assert health["dropped"] > 0
    assert "writing paused" in str(out["logs"])
    assert out["recent"] is not None


def test_a_new_file_has_16_kib_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    # Blocks are 2-10 KB: with 4 KB pages most pages held one block and were half empty.
    opened = db_file.open_file(str(tmp_path / "new.sqlite3"), 10_000_000)
    assert opened.repo is not None
    assert opened.repo.conn.execute("PRAGMA page_size").fetchone()[0] == db_file.PAGE_SIZE == 16384
    opened.repo.conn.close()
    old = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA page_size = 4096")
    conn.execute("CREATE TABLE t (x)")
    conn.close()
    opened = db_file.open_file(str(old), 10_000_000)
    assert opened.repo is not None
    assert opened.repo.conn.execute("PRAGMA page_size").fetchone()[0] == 4096
    opened.repo.conn.close()


def test_the_page_cache_is_bounded_at_512_kib(tmp_path: Path) -> None:
    # SQLite's default (2,000 KiB) stayed full at 10 Hz and was 2.6 MiB of the bridge's RSS
    # (docs/benchmarks.md, "The store's open blocks at issue 12's load").
    opened = db_file.open_file(str(tmp_path / "h.sqlite3"), 10_000_000)
    assert opened.repo is not None
    assert opened.repo.conn.execute("PRAGMA cache_size").fetchone()[0] == -512
    opened.repo.conn.close()


def test_a_defect_in_a_write_is_logged_and_the_store_goes_on(tmp_path: Path) -> None:
    # An exception that is not SQLite's (the int64 overflow of a rollup average was one) ended the
    # store's thread: nothing more was written until a restart, and nothing said so.
    logs = Logs()
    worker = StoreWorker(str(tmp_path / "h.sqlite3"), 10_000_000, log=logs)
    flush = worker.core.flush
    calls = [0]

    def failing_once(now: float) -> None:
        calls[0] += 1
        if calls[0] == 1:
            raise OverflowError("int too big to convert")
        flush(now)

    worker.core.flush = failing_once  # type: ignore[method-assign]
    t = _feed(worker, T0, 30)
    assert "write failed (OverflowError" in logs.text()
    assert worker.core.query(KEY, T0, t + 1, 30).avg["k0"][:3] == [0.0, 0.1, 0.2]
    worker.stop()
