"""Issue 10: a version-2 page's connect snapshot is a decimated overview from the durable store
(store/overview.py), not every sample of the memory history; version-1 pages and memory-only
bridges keep the memory snapshot. The registry's real snapshot path on a real asyncio loop, with
a real StoreWorker on a file."""

from __future__ import annotations

import asyncio
import json
import zlib
from pathlib import Path
from typing import Any

from chedweb_bridge.history import SNAPSHOT_MAX_POINTS, History
from chedweb_bridge.peers import PeerRegistry, StreamInfo
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.overview import overview, overview_points
from chedweb_bridge.store.query_service import QueryService
from chedweb_bridge.store.tiers import TieredStore
from chedweb_bridge.store.worker import StoreWorker

NOW = 1_764_200_000.0


def _status(i: int, name: str = "motor") -> dict[str, Any]:
    return {"hardware_id": "robot", "name": name, "level": 2 if i == 1000 else 0, "message": "ok",
            "values": {"current A": f"{i % 100}", "mode": "auto"}}


def test_the_overview_has_a_point_a_minute_at_most_300() -> None:
    assert [overview_points(w) for w in (30.0, 300.0, 3600.0, 86400.0)] == [1, 5, 60, SNAPSHOT_MAX_POINTS]


def test_the_overview_is_bucket_averages_at_bucket_middles_and_leaves_gaps_out() -> None:
    store = TieredStore(MemoryRepository())
    for i in range(3600):
        if not 1800 <= i < 2400:  # ten minutes of silence
            store.add(NOW - 3600 + i, [_status(i), _status(i, "other")])
    [item] = overview(store, [_status(3599)], NOW - 3600, NOW, SNAPSHOT_MAX_POINTS)
    assert (item.hardware_id, item.name) == ("robot", "motor")  # only the statuses asked for
    assert len(item) == SNAPSHOT_MAX_POINTS - 50  # 300 buckets of 12 s, 50 of them empty
    # Bucket middles, but the newest point at the newest sample (see the test below).
    assert item.t[0] == NOW - 3600 + 6.0 and item.t[-2] == NOW - 18.0 and item.t[-1] == NOW - 1.0
    assert item.values["current A"][0] == sum(range(12)) / 12
    assert max(item.level) == 2  # the worst level of its bucket survives
    assert not any(1800 <= t - (NOW - 3600) < 2400 for t in item.t)
    assert item.latest["values"]["mode"] == "auto"  # the table's full status rides along



def test_the_overviews_newest_point_is_at_the_newest_sample_not_its_buckets_middle() -> None:
    """The page takes a status's newest snapshot time as its charts' live edge and asks the store
    for the window ending there; it also appends only samples newer than it. At a bucket's middle
    (up to 30 s before the newest sample, a minute bucket being open) the first queries asked a
    stale window, and a chart showed a gap at its right edge until the next answer (e2e
    test_range's hover and CSV tests, red about three runs in four)."""
    store = TieredStore(MemoryRepository())
    for i in range(20):  # a bridge up for 20 s: the minute bucket still open
        store.add(NOW - 20 + i, [_status(i)])
    [item] = overview(store, [_status(19)], NOW - 300, NOW)
    assert item.t[-1] == NOW - 1  # the newest sample's receive time
    assert item.values["current A"][-1] == sum(range(20)) / 20  # still its bucket's average


class Channel:
    readyState = "open"
    bufferedAmount = 0

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.binary = 0

    def send(self, frame: str | bytes) -> None:
        self.binary += isinstance(frame, bytes)
        # A deflate-raw peer's frames are inflated here, as its page does.
        self.sent.append(frame if isinstance(frame, str) else zlib.decompress(frame, -15).decode())


def _memory() -> History:
    """A bridge restarted a minute ago: its memory holds a minute."""
    history = History(3600.0)
    for i in range(3540, 3600):
        history.add(NOW - 3600 + i, [_status(i)], received=NOW - 3600 + i)
    return history


def memory_rows() -> dict[str, Any]:
    """The memory's one status as a snapshot sends it (fewer than 300 points: as kept)."""
    [copy] = _memory().snapshot_copy()
    rows = copy.decimated().rows(0, len(copy))
    return {"name": copy.name, "hardware_id": copy.hardware_id, **rows, "latest": copy.latest}


def _snapshot_statuses(worker: StoreWorker, protocol: int, deflate: bool = False) -> list[dict[str, Any]]:
    """A bridge restarted a minute ago (its memory holds a minute, its store the hour before):
    what a new peer of `protocol` gets as its snapshot."""
    history = _memory()
    registry = PeerRegistry(history, StreamInfo("robot", "0", ["/diagnostics"]))

    async def run() -> list[str]:
        loop = asyncio.get_running_loop()
        registry.queries = QueryService(worker, loop.call_soon_threadsafe)
        session = registry.new_session("198.18.0.2:1")
        registry.take_place(session)
        session.protocol = protocol
        session.deflate = deflate
        channel = Channel()
        session.channel = channel  # type: ignore[assignment]
        await registry._stream(session, channel)  # type: ignore[arg-type]
        await registry.close_all()
        assert channel.binary > 0 if deflate else channel.binary == 0
        return channel.sent

    sent = [json.loads(text) for text in asyncio.run(run())]
    return [s for part in sent if part["type"] == "snapshot" for s in part["statuses"]]


def _worker(path: str) -> StoreWorker:
    worker = StoreWorker(path, 100_000_000, clock=lambda: NOW)
    for i in range(3600):
        worker.add(NOW - 3600 + i, [_status(i)])
    worker.start()
    return worker


def test_a_version_2_peer_gets_the_stores_overview_and_a_version_1_peer_the_memory(tmp_path: Path) -> None:
    worker = _worker(str(tmp_path / "history.sqlite3"))
    try:
        [v2] = _snapshot_statuses(worker, 2)
        [v1] = _snapshot_statuses(worker, 1)
        [deflated] = _snapshot_statuses(worker, 2, deflate=True)
    finally:
        worker.stop()
    # Version 2: the hour the store holds, a point a minute, though memory holds only a minute.
    assert len(v2["t"]) == 60 and v2["t"][0] == NOW - 3600 + 30
    assert v2["latest"]["values"]["mode"] == "auto"
    assert deflated == v2  # compressed on the store's thread for a deflate-raw peer
    # Version 1: what memory holds: the minute as its 24 s buckets' points (at most three
    # closed, two points each) and the open bucket's samples, first to last.
    assert v1 == memory_rows() and len(v1["t"]) <= 2 * 3 + 24
    assert v1["t"][0] == NOW - 60 and v1["t"][-1] == NOW - 1


def test_a_memory_only_bridge_sends_the_memory_snapshot_to_version_2() -> None:
    worker = _worker("")
    try:
        [v2] = _snapshot_statuses(worker, 2)
    finally:
        worker.stop()
    assert v2 == memory_rows() and v2["t"][0] == NOW - 60 and v2["t"][-1] == NOW - 1
