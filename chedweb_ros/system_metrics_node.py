"""The `system_metrics` executable: runs SystemMetricsNode (chedweb_ros.metrics_node).

This module stays light on purpose: the signal handlers go in before rclpy and psutil are
imported (over a second on a small robot computer), so that SIGINT or SIGTERM at any moment of
start-up still ends the process with exit code 0 and no traceback.
"""

from __future__ import annotations

import signal
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rclpy.executors import SingleThreadedExecutor

    from chedweb_ros.metrics_node import SystemMetricsNode

_rclpy_handles_signals = False


def _on_signal(signum: int, frame: object) -> None:
    """Before rclpy.init, SIGINT/SIGTERM stop start-up at once. After it, rclpy's own handler
    (which runs first and then calls this one) has already shut the context down and woken the
    executor, so spin returns; raising KeyboardInterrupt then, at an arbitrary line, would only
    risk a traceback from half-built objects."""
    if not _rclpy_handles_signals:
        raise KeyboardInterrupt


def main(args: list[str] | None = None) -> int:
    """Shaped like the ros2/demos nodes: init, spin, and on SIGINT or SIGTERM a clean shutdown
    with exit code 0 and no traceback, whenever the signal comes."""
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)  # the default would end us with 143
    try:
        return _run(args)
    except KeyboardInterrupt:  # during the imports, before there is anything to clean up
        return 0


def _run(args: list[str] | None) -> int:
    global _rclpy_handles_signals
    import rclpy
    from rclpy.exceptions import ParameterException
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor

    from chedweb_ros.metrics_node import NODE_NAME, InvalidParameters, SystemMetricsNode

    node: SystemMetricsNode | None = None
    executor: SingleThreadedExecutor | None = None
    code = 0
    try:
        rclpy.init(args=args)
        _rclpy_handles_signals = True
        executor = SingleThreadedExecutor()
        node = SystemMetricsNode()
        executor.add_node(node)
        executor.spin()
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except (InvalidParameters, ParameterException) as exc:
        rclpy.logging.get_logger(NODE_NAME).fatal(f"invalid parameters: {exc}")
        code = 2
    except Exception:
        # A signal that shuts the context down while the node is being built makes rclpy raise
        # there: that is a stop, not a crash. Anything else is a bug and keeps its traceback.
        if rclpy.ok():
            raise
    finally:
        _rclpy_handles_signals = False
        if executor is not None:
            executor.shutdown()
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
    return code


if __name__ == "__main__":
    sys.exit(main())
