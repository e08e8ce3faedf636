"""The `webrtc_bridge` executable: runs the WebRtcBridge node (chedweb_bridge.webrtc_bridge_node)
through the one main() both nodes share (chedweb_ros.node_main: signals, exit codes, clean
shutdown).

This module stays light on purpose, like chedweb_ros/system_metrics_node.py: main() installs the
signal handlers before rclpy, aiortc and Flask are imported (several seconds on a busy robot
computer), so that SIGINT or SIGTERM at any moment of start-up (a `ros2 launch` ended at once)
still ends the process with exit code 0 and no traceback.
"""

from __future__ import annotations

import sys
from typing import Any

from chedweb_ros.node_main import run_node


def _build() -> Any:
    from chedweb_bridge.webrtc_bridge_node import WebRtcBridge

    return WebRtcBridge()


def main(args: list[str] | None = None) -> int:
    return run_node("webrtc_bridge", _build, args)


if __name__ == "__main__":
    sys.exit(main())
