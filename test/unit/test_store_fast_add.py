"""The store's add with one vectorised scale-hint pass a message against its one-value-at-a-time
path, on inputs the golden test does not hold: a status twice in one message, keys beyond
max_keys, reads of the open block between adds, keys that stay the same over many flushes."""

from __future__ import annotations

import hashlib
import math
import random
from typing import Any

import pytest

from chedweb_bridge import codec
from chedweb_bridge.store import tiers
from chedweb_bridge.store.memory_repo import MemoryRepository
from test.unit.test_fixed_cost_golden import T0, RecordingRepository, recorded_arrays


def _inputs() -> list[tuple[float, list[codec.Status]]]:
    rnd = random.Random(5)
    out = []
    for i, (t, statuses) in enumerate(recorded_arrays(1500)):
        if i % 37 == 5:  # the same status twice, with other texts and one more key
            twin = dict(statuses[0], values=dict(statuses[0]["values"], twin=f"{rnd.random():.4f}"))
            # Decimals rising in the first and fewer in the twin, but more than before it: the
            # twin's text is weighed against the hint the first one raised.
            places = min(6, 2 * (i // 37))
            twin["values"]["pub index"] = f"{rnd.uniform(0, 9):.{max(0, places - 1)}f}"
            first = dict(statuses[0], values=dict(statuses[0]["values"]))
            first["values"]["pub index"] = f"{rnd.uniform(0, 9):.{places}f}"
            statuses = [first, *statuses[1:], twin]
        out.append((t, statuses))
    return out


def _steady_inputs() -> list[tuple[float, list[codec.Status]]]:
    """Statuses that keep their keys for minutes (so raw blocks stay rows of one layout across
    many flushes), but for one status whose layout changes once, mid-block."""
    rnd = random.Random(9)
    out = []
    for i in range(900):
        statuses: list[codec.Status] = []
        for s in range(4):
            values = {f"k{k}": f"{rnd.uniform(-5, 500):.{(k + s) % 4}f}" for k in range(9)}
            if s == 2 and i >= 610:
                values = {"new": "1.5", **values}
            statuses.append({"name": f"n: {s}", "level": 0, "message": "", "hardware_id": "h",
                             "values": values})
        out.append((T0 + i * 0.1, statuses))
    return out


def _run(monkeypatch: pytest.MonkeyPatch | None, steady: bool = False) -> tuple[str, str, list[Any]]:
    if monkeypatch is not None:  # every status's hints through the per-value path
        monkeypatch.setattr(tiers.TieredStore, "_note_scales",
                            lambda self, keys, *_: [False] * len(keys))
    repo = RecordingRepository()
    store = tiers.TieredStore(repo, tiers.default_tiers(), max_keys=16, max_block_samples=300)
    seen = []
    last_flush = t = 0.0
    for i, (t, statuses) in enumerate(_steady_inputs() if steady else _inputs()):
        store.add(t, statuses, [codec.numeric_values(s["values"]) for s in statuses])
        if i % 97 == 3:  # a query reads the open block between two flushes
            seen.append(repr(store.query(("h", "n: 2") if steady else ("robot", "node: status 0"),
                                         t - 30, t + 1, 7)))
        if t - last_flush >= 5:
            store.flush(t)
            last_flush = t
    store.flush(t + 3 * 86400)
    stored = hashlib.sha256(repr([(s, repo.keys(s), [repo.blocks(s, k, 0, 4e9) for k in range(3)])
                                  for s in repo.statuses()]).encode()).hexdigest()
    return stored, repo.writes.hexdigest(), seen


@pytest.mark.parametrize("steady", [False, True], ids=["changing keys", "steady keys"])
def test_whole_rows_store_what_the_per_value_path_stores(monkeypatch: pytest.MonkeyPatch,
                                                         steady: bool) -> None:
    fast = _run(None, steady)
    with monkeypatch.context() as m:
        slow = _run(m, steady)
    assert fast == slow


def test_an_open_block_read_between_adds_holds_every_row() -> None:
    store = tiers.TieredStore(MemoryRepository(), tiers.default_tiers())
    key = ("h", "s")
    for i in range(5):
        values = {"a": f"{i}.5", "b": str(i)} if i != 3 else {"b": "7", "c": "1.25"}
        store.add(100.0 + i, [{"hardware_id": "h", "name": "s", "level": 0, "message": "", "values": values}])
        block = store._open[(key, 0)].block
        assert len(block.t) == i + 1 and all(len(c) == i + 1 for c in block.avg.values())
    block = store._open[(key, 0)].block
    a = list(block.avg["a"])
    assert a[:3] + a[4:] == [0.5, 1.5, 2.5, 4.5] and math.isnan(a[3])
    assert list(block.avg["b"]) == [0, 1, 2, 7, 4]
    c = list(block.avg["c"])
    assert all(math.isnan(v) for v in (*c[:3], c[4]))
    assert c[3] == 1.25
