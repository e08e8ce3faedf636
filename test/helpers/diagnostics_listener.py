"""Listen on /diagnostics with rclpy in this process, in a ROS context of its own (so that it can
share a process with launch_ros, which owns the default context), until a condition holds."""

from __future__ import annotations

import time
from collections.abc import Callable

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import SingleThreadedExecutor
from rclpy.qos import QoSProfile, ReliabilityPolicy


def listen(until: Callable[[list[DiagnosticArray]], bool], timeout: float,
           topic: str = "/diagnostics") -> list[DiagnosticArray]:
    """Every DiagnosticArray received on `topic` until `until(received)` is true or `timeout`
    seconds pass; the caller asserts on what came."""
    context = rclpy.Context()
    rclpy.init(context=context)
    try:
        node = rclpy.create_node("chedweb_test_listener", context=context)
        received: list[DiagnosticArray] = []
        node.create_subscription(DiagnosticArray, topic, received.append,
                                 QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        executor = SingleThreadedExecutor(context=context)
        executor.add_node(node)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until(received):
            executor.spin_once(timeout_sec=0.1)
        executor.shutdown()
        node.destroy_node()
        return received
    finally:
        rclpy.try_shutdown(context=context)


def status_names(arrays: list[DiagnosticArray]) -> set[str]:
    return {status.name for array in arrays for status in array.status}
