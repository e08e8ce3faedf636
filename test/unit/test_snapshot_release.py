"""Issue 12 (memory): a snapshot's encoded parts are let go once they can no longer be reused
(SNAPSHOT_REUSE_S), not kept until the next peer connects. At full history they are megabytes,
and a bridge whose last visitor has gone would hold them for as long as nobody else came."""

from __future__ import annotations

import asyncio
import gc
import weakref

from chedweb_bridge import codec
from chedweb_bridge.history import History
from chedweb_bridge.peers import SNAPSHOT_REUSE_S, PeerRegistry, StreamInfo


class Parts(list[codec.Frame]):
    """A list that a weak reference can follow."""


def test_snapshot_parts_are_released_after_the_reuse_window() -> None:
    history = History(3600.0)
    for i in range(600):
        history.add(float(i), [{"name": f"s{k}", "level": 0, "message": "", "hardware_id": "hw",
                                "values": {f"k{j}": str(i + j) for j in range(10)}} for k in range(20)])

    async def run() -> tuple[weakref.ref[Parts], int]:
        registry = PeerRegistry(history, StreamInfo("robot", "0", ["/diagnostics"]))
        job = registry._snapshot(2, codec.MAX_MESSAGE_BYTES, False)
        parts = Parts(await job.parts)
        assert parts  # a real snapshot was encoded
        job.parts = asyncio.get_running_loop().create_future()
        job.parts.set_result(parts)
        ref = weakref.ref(parts)
        del job, parts
        await asyncio.sleep(SNAPSHOT_REUSE_S + 0.3)  # nobody connects meanwhile
        gc.collect()
        kept = len(registry._snapshots)
        await registry.close_all()
        return ref, kept

    ref, kept = asyncio.run(run())
    assert kept == 0
    assert ref() is None


def test_live_messages_are_kept_for_replay_only_while_a_snapshot_can_be_reused() -> None:
    history = History(60.0)
    status = {"name": "s", "level": 0, "message": "", "hardware_id": "hw", "values": {"k": "1"}}

    async def run() -> tuple[int, int, int, bool]:
        registry = PeerRegistry(history, StreamInfo("robot", "0", ["/diagnostics"]))
        seq = iter(range(1, 1000))
        for _ in range(20):  # nobody connected: nothing to replay them to
            registry.on_diagnostics(codec.LivePayloads(next(seq), "/diagnostics", 1.0, [status]), 1.0)
        idle = len(registry._recent)
        job = registry._snapshot(2, codec.MAX_MESSAGE_BYTES, False)
        await job.parts
        for _ in range(5):  # after a snapshot: kept, for the peers that reuse it
            registry.on_diagnostics(codec.LivePayloads(next(seq), "/diagnostics", 1.0, [status]), 1.0)
        kept = len(registry._recent)
        reused = registry._snapshot(2, codec.MAX_MESSAGE_BYTES, False) is job
        await asyncio.sleep(SNAPSHOT_REUSE_S + 0.3)  # the snapshot can no longer be reused
        registry.on_diagnostics(codec.LivePayloads(next(seq), "/diagnostics", 1.0, [status]), 1.0)
        after = len(registry._recent)
        await registry.close_all()
        return idle, kept, after, reused

    idle, kept, after, reused = asyncio.run(run())
    assert (idle, kept, after) == (0, 5, 0)
    assert reused  # the five held are what a peer reusing it is replayed
