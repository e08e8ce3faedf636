"""The in-memory Repository (pure): memory-only mode, and the reference the unit tests run the
tiering core against. Same contract and the same logical sizes as sqlite_repo.py."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence

from chedweb_bridge.store.tiers import ROW_OVERHEAD, LevelChange, StatusKey, level_change_size


class MemoryRepository:
    def __init__(self) -> None:
        # (status, tier) -> {t0: (t1, blob)}
        self._blocks: dict[tuple[StatusKey, int], dict[float, tuple[float, bytes]]] = {}
        self._keys: dict[StatusKey, set[str]] = {}
        self._changes: list[LevelChange] = []  # in time order
        self._size = 0

    def put_block(self, status: StatusKey, tier: int, t0: float, t1: float, blob: bytes,
                  chunk: bool = False) -> None:
        table = self._blocks.setdefault((status, tier), {})
        old = table.get(t0)
        if old is not None:
            self._size -= ROW_OVERHEAD + len(old[1])
        table[t0] = (t1, blob)
        self._size += ROW_OVERHEAD + len(blob)

    def delete_blocks(self, status: StatusKey, tier: int, starts: Sequence[float]) -> None:
        table = self._blocks.get((status, tier), {})
        for t0 in starts:
            old = table.pop(t0, None)
            if old is not None:
                self._size -= ROW_OVERHEAD + len(old[1])

    def blocks(self, status: StatusKey, tier: int, t0: float, t1: float) -> list[tuple[float, float, bytes]]:
        table = self._blocks.get((status, tier), {})
        return [(b0, b1, blob) for b0, (b1, blob) in sorted(table.items()) if b0 <= t1 and b1 >= t0]

    def first_time(self, status: StatusKey, tier: int) -> float | None:
        table = self._blocks.get((status, tier))
        return min(table) if table else None

    def drop_before(self, tier: int, t: float) -> None:
        for (_status, block_tier), table in self._blocks.items():
            if block_tier != tier:
                continue
            for b0 in [b0 for b0, (b1, _) in table.items() if b1 < t]:
                self._size -= ROW_OVERHEAD + len(table.pop(b0)[1])

    def drop_level_changes_before(self, t: float) -> None:
        cut = bisect.bisect_left([c.t for c in self._changes], t)
        for change in self._changes[:cut]:
            self._size -= level_change_size(change)
        del self._changes[:cut]

    def drop_oldest(self) -> bool:
        oldest: tuple[float, int, tuple[StatusKey, int], float] | None = None
        for (status, tier), table in self._blocks.items():
            for b0, (b1, _) in table.items():
                if oldest is None or (b1, tier) < oldest[:2]:
                    oldest = (b1, tier, (status, tier), b0)
        change_t = self._changes[0].t if self._changes else None
        if change_t is not None and (oldest is None or change_t < oldest[0]):
            self._size -= level_change_size(self._changes.pop(0))
            return True
        if oldest is None:
            return False
        self._size -= ROW_OVERHEAD + len(self._blocks[oldest[2]].pop(oldest[3])[1])
        return True

    def size(self) -> int:
        return self._size

    def add_keys(self, status: StatusKey, keys: Iterable[str]) -> None:
        self._keys.setdefault(status, set()).update(keys)

    def keys(self, status: StatusKey) -> list[str]:
        return sorted(self._keys.get(status, ()))

    def statuses(self) -> list[StatusKey]:
        return sorted({s for s, _ in self._blocks} | set(self._keys))

    def add_level_changes(self, changes: Sequence[LevelChange]) -> None:
        for change in changes:
            bisect.insort(self._changes, change, key=lambda c: c.t)
            self._size += level_change_size(change)

    def level_changes(self, status: StatusKey | None, t0: float, t1: float, limit: int) -> list[LevelChange]:
        return [c for c in self._changes
                if t0 <= c.t <= t1 and (status is None or (c.hardware_id, c.name) == status)][:limit]

    def last_level(self, status: StatusKey) -> int | None:
        for change in reversed(self._changes):
            if (change.hardware_id, change.name) == status:
                return change.new
        return None
