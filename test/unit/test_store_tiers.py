"""The tiering core against the in-memory repository: blocks, tiers, retention, the budget,
level changes, receive-time trimming, range queries."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Callable

import pytest

from chedweb_bridge.store.memory_repo import MemoryRepository
from chedweb_bridge.store.sqlite_repo import CHUNK_ROWIDS, SqliteRepository
from chedweb_bridge.store.tiers import DAY, Repository, Tier, TieredStore

T0 = 1_700_000_040.0
KEY = ("robot", "motor")
NewRepo = Callable[[], Repository]


def _status(values: dict[str, str], level: int = 0, name: str = "motor",
            message: str = "ok") -> dict[str, object]:
    return {"hardware_id": "robot", "name": name, "level": level, "message": message, "values": values}


def _feed(store: TieredStore, start: float, seconds: int, every: float = 1.0, value: float | None = None,
          flush_every: int = 10) -> float:
    t = start
    for i in range(int(seconds / every)):
        t = start + i * every
        v = value if value is not None else float(i % 100)
        store.add(t, [_status({"current A": f"{v:g}", "mode": "auto"})])
        if i % flush_every == 0:
            store.flush(t)
    store.flush(t)
    return t


@pytest.fixture(params=["memory", "sqlite"])
def new_repo(request: pytest.FixtureRequest) -> NewRepo:
    """Every test runs against both repositories: they share one contract."""
    if request.param == "memory":
        return MemoryRepository
    return lambda: SqliteRepository(sqlite3.connect(":memory:", isolation_level=None))


def _store(new_repo: NewRepo, **kw: object) -> tuple[TieredStore, Repository]:
    repo = new_repo()
    return TieredStore(repo, **kw), repo  # type: ignore[arg-type]


def test_many_samples_go_into_one_row(new_repo: NewRepo) -> None:
    store, repo = _store(new_repo)
    _feed(store, T0, 900)
    # The open block is stored as one chunk a flush; sealing it replaces them with one row.
    assert len(repo.blocks(KEY, 0, 0, 2e9)) > 3
    store.flush(T0 + 900 + 301)  # silent for longer than a block spans: sealed
    raw_blocks = repo.blocks(KEY, 0, 0, 2e9)
    assert len(raw_blocks) == 3  # 300 s blocks, not a row per sample
    assert store.query(KEY, T0, T0 + 900, 900).avg["current A"] == [float(i % 100) for i in range(900)]
    assert repo.keys(KEY) == ["current A"]  # "auto" is not a number


def test_full_resolution_query_returns_every_sample_and_gaps_as_none(new_repo: NewRepo) -> None:
    store, _ = _store(new_repo)
    _feed(store, T0, 100, value=5.0)
    result = store.query(KEY, T0, T0 + 200, 200)
    assert result.tier == "raw"
    assert result.avg["current A"][:100] == [5.0] * 100
    assert result.avg["current A"][100:] == [None] * 100  # no data: a gap, not a line
    assert result.level[:100] == [0] * 100 and result.level[150] is None


def test_minute_and_hour_rollups_keep_min_avg_max(new_repo: NewRepo) -> None:
    store, _ = _store(new_repo)
    start = 1_700_002_800.0  # an hour boundary
    _feed(store, start, 2 * 3600 + 120)  # values 0..99 repeating
    minute = store.query(KEY, start, start + 2 * 3600, 120)  # 60 s a point -> minute tier
    assert minute.tier == "minute"
    assert minute.lo["current A"][0] == 0.0 and minute.hi["current A"][0] == 59.0
    assert minute.avg["current A"][0] == pytest.approx(29.5)
    hour = store.query(KEY, start, start + 2 * 3600, 2)  # 3600 s a point -> hour tier
    assert hour.tier == "hour"
    assert hour.lo["current A"][0] == 0.0 and hour.hi["current A"][0] == 99.0
    assert hour.avg["current A"][0] == pytest.approx(sum(i % 100 for i in range(3600)) / 3600, abs=1e-3)


def test_a_short_query_decimates_raw_samples_into_min_avg_max(new_repo: NewRepo) -> None:
    store, _ = _store(new_repo)
    _feed(store, T0, 100)  # 0..99
    result = store.query(KEY, T0, T0 + 100, 10)
    assert result.tier == "raw"
    assert result.lo["current A"][3] == 30.0 and result.hi["current A"][3] == 39.0
    assert result.avg["current A"][3] == pytest.approx(34.5)


def test_retention_is_per_tier_and_measured_from_now(new_repo: NewRepo) -> None:
    tiers = (Tier("raw", 0, 300, 3600), Tier("minute", 60, 3600, 3 * 3600), Tier("hour", 3600, DAY, 10 * DAY))
    store, repo = _store(new_repo, tiers=tiers)
    end = _feed(store, T0, 4 * 3600, every=10.0)
    store.trim(end)
    raw_first = repo.first_time(KEY, 0)
    minute_first = repo.first_time(KEY, 1)
    assert raw_first is not None and end - raw_first <= 3600 + 300 + 10
    assert minute_first is not None and 3600 < end - minute_first <= 3 * 3600 + 3600 + 60
    assert repo.first_time(KEY, 2) is not None and repo.first_time(KEY, 2) <= T0  # type: ignore[operator]


def test_receive_time_trimming_ignores_the_newest_sample_and_a_clock_step_back(new_repo: NewRepo) -> None:
    tiers = (Tier("raw", 0, 300, 3600), Tier("minute", 60, 3600, 7200))
    store, repo = _store(new_repo, tiers=tiers)
    _feed(store, T0, 600)
    # The receive clock stepped back by a day (e.g. NTP at boot): nothing newer than `now` minus
    # the retention is dropped, and the older samples still come first in a query.
    store.trim(T0 - DAY)
    assert repo.first_time(KEY, 0) == T0
    store.add(T0 - DAY, [_status({"current A": "7"})])
    store.flush(T0 - DAY)
    assert repo.first_time(KEY, 0) == T0 - DAY
    # Trimmed by the clock given to trim(), not by the newest sample.
    store.trim(T0 + 3600 + 400)
    assert repo.first_time(KEY, 0) is not None and repo.first_time(KEY, 0) >= T0 + 300  # type: ignore[operator]


def test_the_budget_is_never_exceeded_and_the_oldest_goes_first(new_repo: NewRepo) -> None:
    budget = 20_000
    store, repo = _store(new_repo, budget_bytes=budget)
    rng = random.Random(3)  # noise, so that blocks do not compress to nothing
    t = T0
    for i in range(3 * 3600):
        t = T0 + i
        store.add(t, [_status({f"k{j}": f"{rng.randrange(1000) / 10:g}" for j in range(10)})])
        if i % 10 == 0:
            store.flush(t)
        assert repo.size() <= budget
    store.flush(t)
    assert 0 < repo.size() <= budget
    recent = store.query(KEY, t - 60, t, 60)
    assert recent.avg["k0"][-2] is not None  # the newest data is kept
    # The oldest raw samples went (the hour tier's one block ends now, so it is not old).
    first = repo.first_time(KEY, 0)
    assert first is not None and first > T0 + 3600


def test_level_changes_are_logged_with_old_new_and_message(new_repo: NewRepo) -> None:
    store, repo = _store(new_repo)
    levels = [0, 0, 2, 2, 0]
    for i, level in enumerate(levels):
        store.add(T0 + i, [_status({"x": "1"}, level=level, message=f"m{i}")])
    pending = store.level_changes(KEY, 0, 2e9)
    assert [(c.t, c.old, c.new, c.message) for c in pending] == [
        (T0, None, 0, "m0"), (T0 + 2, 0, 2, "m2"), (T0 + 4, 2, 0, "m4")]
    store.flush(T0 + 5)
    assert len(repo.level_changes(KEY, 0, 2e9, 100)) == 3
    # A restarted bridge sees the same level: no new change.
    again = TieredStore(repo)
    again.add(T0 + 100, [_status({"x": "1"}, level=0)])
    assert len(again.level_changes(KEY, 0, 2e9)) == 3


def test_a_later_store_reads_what_an_earlier_one_wrote_with_the_downtime_as_a_gap(new_repo: NewRepo) -> None:
    repo = new_repo()
    first = TieredStore(repo)
    _feed(first, T0, 120, value=1.0)  # then the process dies: nothing more is flushed
    second = TieredStore(repo)
    _feed(second, T0 + 300, 120, value=2.0)
    result = second.query(KEY, T0, T0 + 420, 420)
    column = result.avg["current A"]
    assert column[:110] == [1.0] * 110
    assert column[130:290] == [None] * 160
    assert column[300:420] == [2.0] * 120


def test_a_bad_range_is_refused(new_repo: NewRepo) -> None:
    store, _ = _store(new_repo)
    with pytest.raises(ValueError):
        store.query(KEY, 10, 5, 100)
    with pytest.raises(ValueError):
        store.query(KEY, 0, 5, 0)


def test_minute_blocks_of_one_day_are_merged_into_one_row(new_repo: NewRepo) -> None:
    # A 7-day query read 84 two-hour rows a status (a fixed cost to decode each); one a day now.
    store, repo = _store(new_repo)
    day = 1_700_006_400.0  # a UTC day boundary
    _feed(store, day, 27 * 3600, every=30.0)
    rows = repo.blocks(KEY, 1, 0, 2e9)
    first_day = [(b0, b1) for b0, b1, _ in rows if b0 < day + DAY]
    # 12 sealed two-hour blocks, merged once, at the first seal of the next day (26 h).
    assert first_day == [(day, day + DAY)]
    assert len([b0 for b0, _, _ in rows if b0 >= day + DAY]) >= 1  # the next day's own rows
    result = store.query(KEY, day, day + 26 * 3600, 26 * 60)
    assert result.tier == "minute"
    expected = [((2 * m) % 100 + (2 * m + 1) % 100) / 2 for m in range(26 * 60 - 1)]
    assert result.avg["current A"][:-1] == expected
    assert result.lo["current A"][:-1] == [float((2 * m) % 100) for m in range(26 * 60 - 1)]


def test_chunk_rows_and_sealed_blocks_fill_pages_of_their_own() -> None:
    # Chunks are deleted at every seal; among sealed blocks they left holes no append fills.
    repo = SqliteRepository(sqlite3.connect(":memory:", isolation_level=None))
    store = TieredStore(repo)
    _feed(store, T0, 900)  # two sealed raw blocks, the third open as chunk rows
    rows = repo.conn.execute("SELECT rowid, tier, t1 - t0 FROM blocks WHERE tier = 0").fetchall()
    sealed = [rowid for rowid, _, span in rows if span >= 299]
    chunks = [rowid for rowid, _, span in rows if span < 299]
    assert len(sealed) == 2 and chunks
    assert max(sealed) < CHUNK_ROWIDS <= min(chunks)


def test_statuses_a_node_invents_are_not_remembered_forever(new_repo: NewRepo) -> None:
    # A node that puts a counter in its status name makes a new status at every message. Their
    # data is kept (within the disk budget) but the store's memory of each (keys, decimals, newest
    # time) grew with every name ever seen: a slow leak driven by what a node publishes.
    store, _ = _store(new_repo, max_remembered=100)
    t = T0
    for i in range(400):
        t = T0 + i * 0.1
        store.add(t, [_status({"x": "1.5"}, name=f"scan {i}")])
        if i % 50 == 0:
            store.flush(t)
    store.flush(t + 2 * DAY)  # every one silent: blocks sealed, rollup points closed
    assert store.remembered == 100
    assert store.keys(("robot", "scan 0")) == ["x"]  # what was stored stays readable
    assert store.query(("robot", "scan 0"), T0 - 1, T0 + 1, 10).avg["x"][5] == 1.5


def test_a_status_back_from_silence_keeps_its_keys_and_their_bound(new_repo: NewRepo) -> None:
    store, _ = _store(new_repo, max_keys=2)
    store.add(T0, [_status({"a": "1", "b": "2"})])
    store.flush(T0)
    store.flush(T0 + 2 * DAY)  # forgotten from memory, kept in the repository
    store.add(T0 + 2 * DAY, [_status({"c": "3", "a": "4"})])
    store.flush(T0 + 2 * DAY)
    assert store.keys(KEY) == ["a", "b"]  # still at most max_keys: "c" is not kept
