"""Module-scoped real processes: one bridge and one rclpy publisher, shared by a module's tests
where sharing weakens nothing (each test checks only the messages it caused)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess


@pytest.fixture(scope="module")
def bridge(request: pytest.FixtureRequest) -> Iterator[Bridge]:
    b = Bridge(f"webrtc_bridge-{request.module.__name__.rsplit('.', 1)[-1]}")
    yield b
    assert b.stop() == 0, b.node.output()


@pytest.fixture(scope="module")
def publisher(bridge: Bridge) -> Iterator[PublisherProcess]:
    pub = PublisherProcess(wait_subscribers=1)
    bridge.take_from(pub)
    yield pub
    pub.stop()
