"""The one main() of both nodes (system_metrics and webrtc_bridge), shaped like the ros2/demos
nodes: init, build the node, spin, and a clean shutdown whatever ends the run.

Exit codes (README, "Exit codes"):
- 0  EXIT_OK      stopped by SIGINT or SIGTERM (Ctrl-C, `ros2 launch` ending, systemd), at any moment;
- 1  EXIT_CRASH   a bug: Python's own code for an uncaught exception, with its traceback;
- 2  EXIT_CONFIG  cannot start with this configuration: a parameter value refused, or the listen
                  address in use. One line names the parameter (or address), the value and the
                  rule; no traceback. launch/bringup.launch.py does not respawn a node that exits 2,
                  since the same values would fail the same way.

Why the signals are ours and not rclpy's: rclpy's handler shuts the context down the moment the
signal arrives, so every log line the node writes while closing (the bridge closing its peers)
fails to reach /rosout and prints "Failed to publish log message to rosout". Here a signal only
sets a flag; the spin loop sees it, the node closes with its context alive, and only then is the
context shut down. Before rclpy is initialised (the imports take over a second on a small robot
computer) a signal ends start-up at once.

This module imports nothing heavy, so its handlers are in place before rclpy is imported.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from chedweb_ros.long_lived import freeze_long_lived

EXIT_OK = 0
EXIT_CRASH = 1
EXIT_CONFIG = 2



class StartupError(Exception):
    """The node cannot start with this configuration; the message is the one line shown."""


class _StartupInterrupted(BaseException):
    """A signal during the imports or rclpy.init: start-up stops at once (nothing to close yet).

    Not KeyboardInterrupt: CPython marks the interpreter when a KeyboardInterrupt leaves code it
    ran through PyRun_String (as extension modules' imports may), and a `python -m` process so
    marked ends itself with SIGINT (exit -2, no output) even though run_node caught it: what a
    fresh-clone CI run saw one time in a few."""


class _Stop:
    def __init__(self) -> None:
        self.requested = False
        self.ros_started = False

    def on_signal(self, signum: int, frame: object) -> None:
        if not self.ros_started:  # nothing to close yet: stop the imports or the init at once
            raise _StartupInterrupted
        self.requested = True


class _SignalWaker:
    """Wakes the executor when a signal arrives, so that the spin loop waits without a timeout.

    A signal's Python handler runs only once the main thread is back in the interpreter, never
    during rcl's wait. The spin loop used to wake every 0.25 s to look: four trips a second
    through the executor, most of what an idle node cost beyond its own 1 Hz tick
    (docs/benchmarks.md). Now Python's C-level handler writes to a pipe (`signal.set_wakeup_fd`),
    a thread blocked on that pipe triggers a guard condition of the node (the ROS way to wake an
    executor from another thread), the executor's wait returns, the Python handler runs and sets
    the flag the loop reads."""

    def __init__(self, node: Any) -> None:
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)  # set_wakeup_fd requires it
        self._guard = node.create_guard_condition(lambda: None)
        self._previous = signal.set_wakeup_fd(self._write)
        self._thread = threading.Thread(target=self._wake, name="signal-waker", daemon=True)
        self._thread.start()

    def _wake(self) -> None:
        while os.read(self._read, 64):  # b"" once close() has closed the write end
            self._guard.trigger()

    def close(self) -> None:
        signal.set_wakeup_fd(self._previous)
        os.close(self._write)
        self._thread.join(1.0)
        os.close(self._read)


def run_node(node_name: str, build: Callable[[], Any], args: list[str] | None = None) -> int:
    """Runs the node that `build()` returns (it may import rclpy-heavy modules) until a signal,
    and returns the exit code. The node may have a close() method, called before destroy_node()
    while the context is still up."""
    stop = _Stop()
    try:
        # Installed inside the try: a signal that lands the instant its handler is in place raises
        # on this very line, and must end start-up with 0 too, not escape main() (Python would then
        # end itself with SIGINT: exit -2).
        signal.signal(signal.SIGINT, stop.on_signal)
        signal.signal(signal.SIGTERM, stop.on_signal)  # the default would end us with 143, uncleaned
        return _run(node_name, build, args, stop)
    except _StartupInterrupted:  # during the imports or rclpy.init: nothing to clean up
        return EXIT_OK


def _run(node_name: str, build: Callable[[], Any], args: list[str] | None, stop: _Stop) -> int:
    import rclpy
    from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
    from rclpy.impl.implementation_singleton import rclpy_implementation as _rclpy
    from rclpy.signals import SignalHandlerOptions

    try:
        rclpy.init(args=args, signal_handler_options=SignalHandlerOptions.NO)
    except _rclpy.RCLError as exc:  # an argument rcl cannot parse, such as `-p ice_servers:=[turn:x]`
        rclpy.logging.get_logger(node_name).fatal(f"invalid arguments: {exc}")
        return EXIT_CONFIG
    stop.ros_started = True
    node: Any = None
    executor: SingleThreadedExecutor | None = None
    waker: _SignalWaker | None = None
    try:
        if stop.requested:  # signalled while rclpy initialised: nothing to build
            return EXIT_OK
        node = build()
        executor = SingleThreadedExecutor()
        executor.add_node(node)
        waker = _SignalWaker(node)
        freeze_long_lived()  # what start-up built: the cyclic GC need not walk it again
        while not stop.requested and rclpy.ok():
            executor.spin_once()  # until work or a signal (the waker): no periodic wake-up
        return EXIT_OK
    except ExternalShutdownException:
        return EXIT_OK
    except StartupError as exc:
        rclpy.logging.get_logger(node_name).fatal(f"cannot start: {exc}")
        return EXIT_CONFIG
    finally:
        if waker is not None:
            waker.close()
        if node is not None and hasattr(node, "close"):
            node.close()
        if executor is not None:
            executor.shutdown()
        if node is not None:
            node.destroy_node()
        rclpy.try_shutdown()
