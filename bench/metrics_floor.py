"""The CPU floor of system_metrics: the same node, run the same way (node_main, its parameters,
its steady-clock timer and publisher, the same executor), but every tick publishes one array
built once at start instead of sampling the machine and building a new one.

What is left is what any rclpy node with a 1 Hz timer that publishes this array costs: the
executor waking for the timer, Fast DDS's threads, serialising the array. bench.node_overhead
runs it beside the real node (on /bench_floor_diagnostics) and prints the node's CPU as a ratio
to it.

  python -m bench.metrics_floor --ros-args ...   (what bench.node_overhead starts)
"""

from __future__ import annotations

import sys
from typing import Any

from chedweb_ros.node_main import run_node


def _build() -> Any:
    from diagnostic_msgs.msg import DiagnosticArray

    from chedweb_ros.metrics_node import SystemMetricsNode
    from chedweb_ros.status import build_statuses

    class PrebuiltArrayNode(SystemMetricsNode):
        """SystemMetricsNode whose tick publishes one array, built at start, again and again."""

        def __init__(self) -> None:
            super().__init__()
            snapshot, self._counters = self._sample(self._counters)  # as the node's own tick does
            self._prebuilt = DiagnosticArray()
            self._prebuilt.status = build_statuses(snapshot, self._config.thresholds, self.get_name(),
                                                   self._hardware_id(), self._levels, self._monotonic())

        def _tick(self) -> None:
            self._prebuilt.header.stamp = self.get_clock().now().to_msg()
            self._publisher.publish(self._prebuilt)

    return PrebuiltArrayNode()


def main(args: list[str] | None = None) -> int:
    return run_node("system_metrics", _build, args)


if __name__ == "__main__":
    sys.exit(main())
