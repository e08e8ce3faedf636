"""bench.fanout stops the publisher it started when start-up is interrupted (Ctrl-C while the
publisher is still getting ready): the caller has no reference to it yet, so it was left running
in its namespace, publishing at 10 Hz, after the bench had ended (seen 2026-12-02)."""

from __future__ import annotations

from typing import Any

import pytest

import bench.fanout as fanout


class InterruptedPublisher:
    stopped = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def wait_for_output(self, text: str, timeout: float) -> str:
        raise KeyboardInterrupt

    def stop(self) -> None:
        InterruptedPublisher.stopped = True


def test_an_interrupted_start_stops_the_publisher(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fanout, "NodeProcess", InterruptedPublisher)
    with pytest.raises(KeyboardInterrupt):
        fanout.start_publisher()
    assert InterruptedPublisher.stopped
