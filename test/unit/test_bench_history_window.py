"""bench/history.py's measured window: it must end with the open blocks' chunk rows as it began,
or the disk figure counts their phase as a day's data (a 0.5 h warm-up added 7.7 MB a day)."""

from __future__ import annotations

from bench.history import aligned
from chedweb_bridge.store.tiers import default_tiers


def test_the_warm_up_fills_a_minute_block_and_the_window_is_whole_minute_blocks() -> None:
    span = default_tiers()[1].block_seconds / 3600  # 2 h
    assert aligned(0.5, 4.0) == (span, 4.0)  # what docs/benchmarks.md's earlier runs used
    assert aligned(0.5, 1.0) == (span, span)  # the old --quick: 1 h was half a minute block
    assert aligned(2.0, 6.0) == (2.0, 6.0)  # the defaults already were
    assert aligned(3.0, 5.0) == (3.0, 6.0)
