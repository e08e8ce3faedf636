"""CSV export from the store: selection, columns, order, formula-safe cells, tiers, requests."""

from __future__ import annotations

import csv
import io

from chedweb_bridge.history_http import CsvRequest, parse
from chedweb_bridge.store import export
from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.tiers import TieredStore

T0 = 1_700_000_040.0  # a minute boundary


def _store() -> TieredStore:
    store = TieredStore(MemoryRepository())
    for i in range(180):
        store.add(T0 + i, [
            {"hardware_id": "robot", "name": "=motor", "level": i // 60, "message": "", "values":
             {"+current A": f"{i / 10:g}", "mode": "auto"}},
            {"hardware_id": "robot", "name": "battery", "level": 0, "message": "", "values": {"V": "24.5"}},
            {"hardware_id": "other", "name": "battery", "level": 0, "message": "", "values": {"V": "12"}},
        ])
    store.flush(T0 + 180)
    return store


def _export(store: TieredStore, status: str | None, t0: float, t1: float,
            tier: int | None = None) -> list[list[str]]:
    p = export.plan(store, "robot", status, t0, T0 + 180, tier)
    parts = [export.slice_rows(store, p=p, t0=a, t1=b) for a, b in export.slices(p.tier, t0, t1)]
    text = p.header + "".join(parts)
    return list(csv.reader(io.StringIO(text, newline="")))


def test_every_key_of_a_machine_in_time_order_with_formula_safe_cells() -> None:
    rows = _export(_store(), None, T0, T0 + 180)
    assert rows[0] == ["time_iso", "time_unix", "hardware_id", "status", "level", "'+current A", "V"]
    body = rows[1:]
    assert len(body) == 2 * 180  # both statuses of "robot", none of "other"
    # Sorted by time, then by status name ("=" before "b").
    assert body[0] == ["2023-11-14T22:14:00.000Z", "1700000040", "robot", "'=motor", "0", "0", ""]
    assert body[1] == ["2023-11-14T22:14:00.000Z", "1700000040", "robot", "battery", "0", "", "24.5"]
    assert body[-2][3:] == ["'=motor", "2", "17.9", ""]
    assert [float(r[1]) for r in body] == sorted(float(r[1]) for r in body)


def test_one_status_over_part_of_the_range() -> None:
    rows = _export(_store(), "battery", T0 + 10, T0 + 20)
    assert rows[0][5:] == ["V"] and len(rows) == 11
    assert {r[3] for r in rows[1:]} == {"battery"}


def test_minute_tier_adds_min_and_max_columns() -> None:
    rows = _export(_store(), "=motor", T0, T0 + 180, tier=1)
    assert rows[0][5:] == ["'+current A", "'+current A (min)", "'+current A (max)"]
    first_minute = rows[1]
    assert first_minute[4] == "0" and float(first_minute[6]) == 0.0 and float(first_minute[7]) > 0


def test_the_tier_is_the_finest_whose_retention_reaches_back_to_from() -> None:
    store = _store()
    assert export.plan(store, "robot", None, T0, T0 + 180).tier == 0
    assert export.plan(store, "robot", None, T0, T0 + 4 * 86400).tier == 1
    assert export.plan(store, "robot", None, T0, T0 + 40 * 86400).tier == 2
    assert export.plan(store, "robot", None, T0, T0 + 400 * 86400).tier == 2


def test_requests() -> None:
    now = 2_000_000.0
    assert parse({}, now) == "hardware_id is required"
    assert parse({"hardware_id": "r"}, now) == CsvRequest("r", None, now - 86400, now, None)
    assert parse({"hardware_id": "r", "status": "s", "from": "1", "to": "2", "tier": "hour"}, now) == \
        CsvRequest("r", "s", 1.0, 2.0, 2)
    assert isinstance(parse({"hardware_id": "r", "from": "x"}, now), str)
    assert isinstance(parse({"hardware_id": "r", "from": "5", "to": "1"}, now), str)
    assert isinstance(parse({"hardware_id": "r", "from": "nan"}, now), str)
    assert isinstance(parse({"hardware_id": "r", "tier": "second"}, now), str)
