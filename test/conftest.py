"""Shared fixtures. Tests that open sockets or speak DDS run only inside the private network
namespace that `make test` makes (scripts/in-test-netns); elsewhere they skip and say so."""

from __future__ import annotations

import pytest

from test.helpers.procs import in_test_netns


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if in_test_netns():
        return
    skip = pytest.mark.skip(reason="opens sockets: run it through `make test` (inside scripts/in-test-netns)")
    for item in items:
        # The launch test is not skipped here: it runs wherever launch_testing can be imported
        # (a ROS 2 install's `colcon test`), and skips itself elsewhere; `make test` runs it, if at
        # all, inside the namespace like everything else.
        if any(item.get_closest_marker(m) for m in ("ros", "webrtc", "e2e")):
            item.add_marker(skip)
