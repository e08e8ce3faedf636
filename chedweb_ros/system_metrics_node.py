"""The `system_metrics` executable: runs SystemMetricsNode (chedweb_ros.metrics_node) through the
one main() both nodes share (chedweb_ros.node_main: signals, exit codes, clean shutdown).

This module stays light on purpose: main() installs the signal handlers before rclpy is imported
(over a second on a small robot computer), so that SIGINT or SIGTERM at any moment of start-up
still ends the process with exit code 0 and no traceback. (psutil is not imported at all on a
common Linux machine: chedweb_ros.procfs.)
"""

from __future__ import annotations

import sys
from typing import Any

from chedweb_ros.node_main import run_node


def _build() -> Any:
    from chedweb_ros.metrics_node import SystemMetricsNode

    return SystemMetricsNode()


def main(args: list[str] | None = None) -> int:
    return run_node("system_metrics", _build, args)


if __name__ == "__main__":
    sys.exit(main())
