"""What the bridge stores and sends, pinned byte for byte on recorded inputs (issue 12, fixed cost).

The per-message work (number parsing, the store's rollups, the history's columns, the live
encoding) was made cheaper without changing a single stored or sent byte. These digests were
taken with the code before that work (main at a5c5a86; the non-nested tiers' again at d40c6f9,
which forgets a silent status's decimals) over the inputs `recorded_arrays` makes,
which are deterministic and go through every path the cheaper code takes: keys appearing and
disappearing, texts the numeric-string rule refuses (nan, inf, 1_000, full-width digits, a
newline), decimals that vary, -0.00, levels outside 0..3, minute and hour boundaries, a clock
stepping back, a status going silent, seals by count and by time, tiers whose resolutions do not
nest. A digest that moves means the bytes moved: find out why before taking a new one.
"""

from __future__ import annotations

import hashlib
import random
import zlib
from collections.abc import Iterator
from typing import Any

import pytest

from chedweb_bridge import codec
from chedweb_bridge.history import History
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.tiers import Tier, TieredStore, default_tiers

T0 = 1_800_000_000.0
ODD_TEXTS = ("nan", "inf", "-inf", "1_000", "１２", "\n5", "5\n", "0x1F", "1e5", "5.", " 7 ", "\t8.25\t",
             "-0.00", "+.5", ".5e-3", "1e999", "", " ", "e5", "1.e2", "--1", "+-1", "12.3456789012",
             "1E+02", "0.000", "text, not a number")


def recorded_arrays(count: int = 4000, seed: int = 12) -> Iterator[tuple[float, list[codec.Status]]]:
    """(receive time, statuses) pairs, deterministic for a seed."""
    rnd = random.Random(seed)
    t = T0
    for i in range(count):
        # Mostly 10 Hz, with gaps that cross minutes and hours, and one step back.
        if i == count // 2:
            t -= 7.5
        elif rnd.random() < 0.01:
            t += rnd.uniform(30, 1500)
        else:
            t += 0.1
        statuses: list[codec.Status] = []
        for s in range(6):
            if s == 5 and 1000 < i < 2500:
                continue  # a status that goes silent for a while
            values = {"pub index": str(i), "value": f"{(i * 7 + s) % 100:.2f}", "label": "text"}
            for k in range(12):
                if k == 3 and i % 50 < 10:
                    continue  # a key absent now and then
                if k == 7 and i < 300:
                    continue  # a key that appears later
                decimals = (k + i // 700) % 4
                values[f"extra {k}"] = f"{rnd.uniform(-50, 1000):.{decimals}f}"
            if rnd.random() < 0.05:
                values[f"odd {rnd.randrange(3)}"] = rnd.choice(ODD_TEXTS)
            if rnd.random() < 0.02:
                values["late key"] = f"{rnd.uniform(0, 1):.3f}"
            level = rnd.choice((0, 0, 0, 0, 1, 2, 3, 4, 255)) if rnd.random() < 0.05 else s % 3
            statuses.append({"name": f"node: status {s}", "level": level, "message": f"m {i % 7}",
                             "hardware_id": "robot" if s < 4 else "other", "values": values})
        yield t, codec.sanitize_levels(statuses)


def _digest(parts: Iterator[Any]) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(repr(part).encode())
        h.update(b"\n")
    return h.hexdigest()


class RecordingRepository(MemoryRepository):
    """Every row written, in order, chunk rows of open blocks included (a seal deletes them, so
    what is left at the end does not show them)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = hashlib.sha256()

    def put_block(self, status: Any, tier: int, t0: float, t1: float, blob: bytes,
                  chunk: bool = False) -> None:
        self.writes.update(repr((status, tier, t0, t1, blob, chunk)).encode())
        super().put_block(status, tier, t0, t1, blob, chunk)


def _stored(repo: MemoryRepository, tiers: int) -> Iterator[Any]:
    for status in repo.statuses():
        yield status, repo.keys(status)
        for tier in range(tiers):
            yield from repo.blocks(status, tier, 0, 4e9)
    yield from repo.level_changes(None, 0, 4e9, 1_000_000)


NON_NESTED = (Tier("raw", 0.0, 120.0, 3 * 86400.0), Tier("a", 45.0, 1800.0, 30 * 86400.0),
              Tier("b", 100.0, 7200.0, 365 * 86400.0))


@pytest.mark.parametrize(("tiers", "max_block_samples", "expected", "writes"), [
    (default_tiers(), 1024, "824c127fc0f4d7c41df50a7c0351afb3fdaff49a6342104ad23a79fe33c7fc97",
     "733934e30229c3ce516df5bfca41d57665774b7933da7a80251347cbfb9e24f2"),
    (default_tiers(), 200, "c762abe59dc728aee413416363fbcc0df27d9a0cc7655627ef29867427c9e624",
     "a8e892fc00b0a6206849a0a36b41661a62dc0ee5f5d1238b7214c7c90f38625f"),
    (NON_NESTED, 1024, "0e0fce93fea9199b9ab90695cb3a872909ace2eeb14691d0ce711a7511100e0d",
     "fc0e200db7c34d3c5af8d56c4a6d148b68b74d1a2aca014c272b9e05fbf17c98"),
])
@pytest.mark.parametrize("parsed", [False, True], ids=["texts", "numbers given"])
def test_stored_bytes_are_those_of_the_per_value_store(tiers: tuple[Tier, ...], max_block_samples: int,
                                                        expected: str, writes: str, parsed: bool) -> None:
    repo = RecordingRepository()
    store = TieredStore(repo, tiers, max_block_samples=max_block_samples)
    last_flush = last_trim = T0
    t = T0
    for t, statuses in recorded_arrays():
        store.add(t, statuses, [codec.numeric_values(s["values"]) for s in statuses] if parsed else None)
        if t - last_flush >= 5:
            store.flush(t)
            last_flush = t
        if t - last_trim >= 60:
            store.trim(t)
            last_trim = t
    store.flush(t)
    store.flush(t + 3 * 86400)  # every open block and point sealed
    assert _digest(_stored(repo, len(tiers))) == expected
    assert repo.writes.hexdigest() == writes


@pytest.mark.parametrize("parsed", [False, True], ids=["texts", "numbers given"])
def test_history_columns_are_those_of_the_per_value_history(parsed: bool) -> None:
    """Digest retaken when the history began keeping each bucket of history_seconds / 150 as two
    points (issue 12, RSS once the history is full; hist4): every point was then checked equal,
    at ~50 moments of these inputs, to the bucket rule computed the plain way over every status
    (test_history.py's `reference`, with the window trimmed across statuses)."""
    history = History(30.0)
    seen = []
    for i, (t, statuses) in enumerate(recorded_arrays()):
        numbers = [codec.numeric_values(s["values"]) for s in statuses] if parsed else None
        history.add(t - 0.05, statuses, t, numbers)
        if i % 500 == 499:
            seen.append([(c.name, c.hardware_id, c.latest, c.rows(0, len(c)))
                         for c in history.snapshot_copy()])
    assert _digest(iter(seen)) == "d59270339e0ee49dca32721f0cfe8fb54b4a48705e70a0f46b5a3d74164eaa35"


def test_live_texts_are_those_of_the_old_encoder_and_frames_inflate_to_them() -> None:
    texts = []
    for seq, (t, statuses) in enumerate(recorded_arrays(800)):
        payloads = codec.LivePayloads(seq, "/diagnostics", t, statuses)
        for protocol in (1, 2):
            for limit in (codec.MAX_MESSAGE_BYTES, codec.MIN_PEER_MESSAGE_BYTES):
                got = payloads.texts(protocol, limit)
                frames = payloads.frames(protocol, limit, deflate=True)
                for text, frame in zip(got, frames, strict=True):
                    if isinstance(frame, bytes):
                        assert zlib.decompress(frame, -15).decode() == text
                    else:
                        assert frame == text
                texts.append(got)
    assert _digest(iter(texts)) == "60e51718d55491f3c1fa96c2f1eaa3a79e3a99e05c46c2da98bf4e19ba544cfd"
