"""The memory floor of a bridge: a raw rclpy subscriber of /diagnostics doing nothing else.

What any Python ROS 2 node that receives DiagnosticArrays costs (rclpy, Fast DDS, the message
type support, one subscription with `raw=True` as the bridge has), run as its own process so that
bench.memory can set the bridge's RSS beside it in the same run. Prints "receiving" once the
first array has arrived, then spins until SIGINT.

  python -m bench.floor_subscriber [--topic /diagnostics]
"""

from __future__ import annotations

import argparse
import contextlib
import sys

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.executors import ExternalShutdownException
from rclpy.qos import QoSProfile, ReliabilityPolicy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topic", default="/diagnostics")
    args = parser.parse_args(argv)
    rclpy.init()
    node = rclpy.create_node("bench_floor_subscriber")
    seen = [0]

    def on_message(_data: bytes) -> None:
        seen[0] += 1
        if seen[0] == 1:
            print("receiving", flush=True)

    node.create_subscription(DiagnosticArray, args.topic, on_message,
                             QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE), raw=True)
    with contextlib.suppress(KeyboardInterrupt, ExternalShutdownException):
        rclpy.spin(node)
    node.destroy_node()
    rclpy.try_shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
