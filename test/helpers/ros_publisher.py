"""A real rclpy DiagnosticArray publisher, run in its own process (tests, benches, e2e).

Every published status carries `pub index` (the message's index from 1, as a string) and `value`
(a number), and header.stamp is the node clock at publish time, so a receiver can tell which
message it got and how late.

Two ways to drive it:
  python -m test.helpers.ros_publisher --rate 10 --count 0         # publish until killed
  python -m test.helpers.ros_publisher --control                    # commands on stdin:
      burst N RATE   publish N messages at RATE Hz, then print "done <last index>"
      quit
From Python, `PublisherProcess` wraps the second form. The process prints "ready" once its
publisher has `--wait-subscribers` matched subscriptions (default 0).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

import rclpy
from diagnostic_msgs.msg import DiagnosticArray, DiagnosticStatus, KeyValue
from rclpy.executors import ExternalShutdownException, SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import QoSProfile, ReliabilityPolicy
from rclpy.time import Time

from test.helpers.procs import REPO, stop_process

LEVELS = (DiagnosticStatus.OK, DiagnosticStatus.WARN, DiagnosticStatus.ERROR, DiagnosticStatus.STALE)


class DiagPublisher(Node):
    def __init__(self, topic: str, statuses: int, levels: Sequence[int], extra_values: int,
                 zero_stamp: bool, name_prefix: str, message_chars: int = 0,
                 stamp_offset: float = 0.0, varying: bool = False) -> None:
        super().__init__("test_diag_publisher")
        self._pub = self.create_publisher(DiagnosticArray, topic,
                                          QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
        self.statuses = statuses
        self.levels = list(levels) or [0]
        self.extra_values = extra_values
        self.zero_stamp = zero_stamp
        self.name_prefix = name_prefix
        self.message_chars = message_chars
        self.stamp_offset = stamp_offset
        # Extra values that change every message, as sensor readings do (a fixed seed: runs compare).
        self.varying = random.Random(1) if varying else None
        self.index = 0

    def subscribers(self) -> int:
        return self._pub.get_subscription_count()

    def publish_one(self) -> int:
        self.index += 1
        msg = DiagnosticArray()
        for i in range(self.statuses):
            status = DiagnosticStatus()
            status.name = f"{self.name_prefix}: status {i}"
            status.hardware_id = "test-host"
            level = self.levels[i % len(self.levels)]
            # Any byte: levels outside 0..3 are what some publishers send (issue 8 item 3).
            status.level = LEVELS[level] if level < 4 else bytes([level % 256])
            status.message = f"message {self.index}"
            if self.message_chars:
                status.message = status.message.ljust(self.message_chars, "x")
            status.values = [KeyValue(key="pub index", value=str(self.index)),
                             KeyValue(key="value", value=f"{(self.index * 7 + i) % 100:.2f}"),
                             KeyValue(key="label", value="text, not a number")]
            if self.varying is not None:
                rnd = self.varying
                status.values += [KeyValue(key=f"extra {k}", value=f"{rnd.uniform(0, 1000):.2f}")
                                  for k in range(self.extra_values)]
            else:
                status.values += [KeyValue(key=f"extra {k}", value=f"{k + 0.5:.2f}")
                                  for k in range(self.extra_values)]
            msg.status.append(status)
        if not self.zero_stamp:
            # Stamped last, right before publish: latency measured from the stamp is the path's own.
            now = self.get_clock().now()
            msg.header.stamp = now.to_msg() if not self.stamp_offset else \
                Time(nanoseconds=now.nanoseconds + int(self.stamp_offset * 1e9)).to_msg()
        self._pub.publish(msg)
        return self.index


def _burst(node: DiagPublisher, count: int, rate: float) -> int:
    period = 1.0 / rate if rate > 0 else 0.0
    next_t = time.monotonic()
    for _ in range(count):
        node.publish_one()
        next_t += period
        delay = next_t - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    return node.index


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topic", default="/diagnostics")
    parser.add_argument("--rate", type=float, default=10.0, help="Hz (free-running mode)")
    parser.add_argument("--count", type=int, default=0, help="messages to publish (0: until killed)")
    parser.add_argument("--statuses", type=int, default=3, help="statuses per array")
    parser.add_argument("--levels", default="0,1,2,3", help="levels cycled over the statuses")
    parser.add_argument("--extra-values", type=int, default=0, help="more numeric KeyValues per status")
    parser.add_argument("--varying-values", action="store_true",
                        help="extra values change every message (random readings), not constants")
    parser.add_argument("--zero-stamp", action="store_true", help="leave header.stamp zero")
    parser.add_argument("--name-prefix", default="test_pub")
    parser.add_argument("--message-chars", type=int, default=0,
                        help="pad each status's message to this length")
    parser.add_argument("--stamp-offset", type=float, default=0.0,
                        help="seconds added to header.stamp (a skewed, future or sim-time clock)")
    parser.add_argument("--wait-subscribers", type=int, default=0)
    parser.add_argument("--control", action="store_true", help="read commands from stdin")
    args = parser.parse_args(argv)

    rclpy.init()
    node = DiagPublisher(args.topic, args.statuses, [int(x) for x in args.levels.split(",") if x],
                         args.extra_values, args.zero_stamp, args.name_prefix, args.message_chars,
                         args.stamp_offset, args.varying_values)
    # Spin in the background so discovery and the RELIABLE protocol make progress while we publish.
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=_spin, args=(executor,), daemon=True)
    spinner.start()
    try:
        deadline = time.monotonic() + 30
        while node.subscribers() < args.wait_subscribers and time.monotonic() < deadline:
            time.sleep(0.05)
        print("ready", flush=True)
        if args.control:
            for line in sys.stdin:
                words = line.split()
                if not words:
                    continue
                if words[0] == "quit":
                    break
                if words[0] == "burst":
                    last = _burst(node, int(words[1]), float(words[2]))
                    print(f"done {last}", flush=True)
        else:
            _burst(node, args.count or 10**12, args.rate)
            print(f"done {node.index}", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        executor.shutdown()
        spinner.join(5)
        node.destroy_node()
        rclpy.try_shutdown()
    return 0


def _spin(executor: SingleThreadedExecutor) -> None:
    with contextlib.suppress(ExternalShutdownException, KeyboardInterrupt, RuntimeError):
        executor.spin()


class PublisherProcess:
    """`--control` mode as a child process: `burst(n, rate)` returns the last index published."""

    def __init__(self, *extra_args: str, wait_subscribers: int = 1) -> None:
        cmd = [sys.executable, "-m", "test.helpers.ros_publisher", "--control",
               "--wait-subscribers", str(wait_subscribers), *extra_args]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                                     cwd=REPO)
        try:
            self._expect("ready", 40)
        except AssertionError:
            self.proc.kill()
            self.proc.wait()
            raise

    def _expect(self, prefix: str, timeout: float) -> str:
        assert self.proc.stdout is not None
        result: list[str] = []

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                if line.startswith(prefix):
                    result.append(line.strip())
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if not result:
            raise AssertionError(f"publisher: no {prefix!r} within {timeout} s "
                                 f"(exit code {self.proc.poll()})")
        return result[0]

    def burst(self, count: int, rate: float = 50.0) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"burst {count} {rate}\n")
        self.proc.stdin.flush()
        return int(self._expect("done", count / max(rate, 1.0) + 30).split()[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
                self.proc.wait(10)
            except (OSError, subprocess.TimeoutExpired):
                stop_process(self.proc, signal.SIGINT, timeout=5)


if __name__ == "__main__":
    sys.exit(main())
