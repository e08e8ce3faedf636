"""bench/churn.py's count of the churners' connects: only those that ended in the measured window,
each failure by its reason (a quarter of the connects failed for a reason nobody had read: the
bridge's per-address pending limit), and never a line the terminated churners left half written."""

from __future__ import annotations

import json

from bench.churn import churn_summary


def line(**row: object) -> str:
    return json.dumps(row) + "\n"


def test_counts_the_window_only_and_each_failure_by_reason() -> None:
    log = [
        "some start-up output\n",
        line(t=99.0, parts=1, bytes=1000),  # before the window (the churners' first 2 s)
        line(t=100.0, parts=1, bytes=2000),
        line(t=120.0, parts=3, bytes=4000),
        line(t=130.0, error="too many connections waiting for an offer from 1.2.3.4 (at most 8)"),
        line(t=131.0, error="too many connections waiting for an offer from 1.2.3.4 (at most 8)"),
        line(t=140.0, error="timed out"),
        line(t=170.0, parts=1, bytes=1000),  # after it (terminating takes a moment)
        '{"t": 150.0, "parts": 1, "by',  # cut off by the terminate
    ]
    text = churn_summary(log, since=100.0, seconds=60.0, churners=10, name="A")
    first, *reasons = text.splitlines()
    assert "bridge A: 2 connects with full snapshot (0.0/s), 3 failed; snapshot 2 parts, 0.00 MB" in first
    assert [r.strip() for r in reasons] == [
        "2 failed: too many connections waiting for an offer from 1.2.3.4 (at most 8)",
        "1 failed: timed out",
    ]
