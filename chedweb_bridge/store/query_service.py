"""Range queries from peers, answered off the loop: the glue between peers.py and the store.

`ask` runs on the loop (from a peer's request) and only enqueues; the store's thread runs the
query and encodes the answer's parts (the CPU-heavy part), then hands the texts back to the loop
with `call_soon`, where the peer's channel sends them. The loop never waits for the store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from chedweb_bridge.codec import Status
from chedweb_bridge.store.level_messages import MAX_CHANGES, LevelsQuery, encode_levels
from chedweb_bridge.store.overview import encode_overview
from chedweb_bridge.store.range_messages import RangeQuery, encode_range
from chedweb_bridge.store.tiers import TieredStore
from chedweb_bridge.store.worker import StoreWorker

T = TypeVar("T")
# parts, or the error reply's message
Answer = Callable[[list[str] | str], None]


class QueryService:
    def __init__(self, worker: StoreWorker, call_soon: Callable[..., object]) -> None:
        self._worker = worker
        self._call_soon = call_soon

    @property
    def durable(self) -> bool:
        """The store keeps history in a file (not memory only): connect snapshots come from it."""
        return self._worker.state in ("ok", "paused")

    def overview(self, latest: Sequence[Status], window: float, limit: int, protocol: int,
                 finish: Callable[[list[str]], list[T]],
                 answer: Callable[[list[T] | BaseException], None]) -> bool:
        """A version-2 peer's connect snapshot (overview.py): the last `window` seconds of each
        status of `latest`, read, encoded and `finish`ed (compressed for a deflate-raw peer) on
        the store's thread; `answer` on the loop. False when the store's queue is full (the
        caller falls back to the memory snapshot)."""
        def job(core: TieredStore) -> list[T]:
            now = self._worker.now()
            return finish(encode_overview(core, latest, now - window, now, limit, protocol))

        def done(outcome: list[T] | BaseException) -> None:
            self._call_soon(answer, outcome)

        return self._worker.submit(job, done)

    def ask(self, query: RangeQuery | LevelsQuery, limit: int, answer: Answer) -> None:
        def job(core: TieredStore) -> list[str]:
            status = (query.hardware_id, query.name)
            if isinstance(query, LevelsQuery):  # capability "levels": the level-change log
                # One more than is sent: that one says the log was cut.
                return encode_levels(query, core.level_changes(status, query.t0, query.t1, MAX_CHANGES + 1),
                                     limit)
            result = core.query(status, query.t0, query.t1, query.points, query.keys)
            return encode_range(query.id, result, limit)

        def done(outcome: list[str] | BaseException) -> None:
            text = outcome if isinstance(outcome, list) else f"query failed: {outcome}"
            self._call_soon(answer, text)

        if not self._worker.submit(job, done):
            answer("history store busy")
