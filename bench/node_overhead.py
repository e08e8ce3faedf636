"""system_metrics: what the running node costs the robot (issue 2 target: under 0.5 % of one core
and under 80 MB RSS at 1 Hz over 60 s).

Starts the real `system_metrics` executable with config/chedweb.yaml (1 Hz), subscribes to
/diagnostics from this process so that every array is really sent, waits for the first array,
then reads the node's utime + stime (/proc/<pid>/stat) and RSS (/proc/<pid>/status) over the
measuring window.

  scripts/in-test-netns .venv/bin/python -m bench.node_overhead [--quick] [--seconds N] [--process-period S]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.qos import QoSProfile, ReliabilityPolicy

from bench.procstat import TICKS, cpu_seconds, status_kib
from test.helpers.procs import REPO, NodeProcess, executable, ros_args


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a 15 s window instead of 60 s")
    parser.add_argument("--seconds", type=float, help="length of the measuring window")
    parser.add_argument("--process-period", type=float,
                        help="override process_period (default: the config file's, 5 s)")
    args = parser.parse_args()
    window = args.seconds or (15.0 if args.quick else 60.0)

    overrides = {"process_period": args.process_period} if args.process_period else {}
    metrics = NodeProcess([executable("system_metrics"),
                           *ros_args(overrides, params_file=str(REPO / "config" / "chedweb.yaml"))],
                          "bench-system_metrics")
    proc = metrics.proc
    rclpy.init()
    node = rclpy.create_node("bench_node_overhead")
    received: list[float] = []
    node.create_subscription(DiagnosticArray, "/diagnostics", lambda m: received.append(time.monotonic()),
                             QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
    try:
        deadline = time.monotonic() + 60
        while not received:
            if time.monotonic() > deadline or proc.poll() is not None:
                print("no array from system_metrics within 60 s")
                return 1
            rclpy.spin_once(node, timeout_sec=0.1)
        cpu0, t0, n0 = cpu_seconds(proc.pid), time.monotonic(), len(received)
        while time.monotonic() - t0 < window:
            rclpy.spin_once(node, timeout_sec=0.1)
        cpu1, t1, n1 = cpu_seconds(proc.pid), time.monotonic(), len(received)
        share = (cpu1 - cpu0) / (t1 - t0) * 100.0
        rss, hwm = status_kib(proc.pid, "VmRSS") / 1024, status_kib(proc.pid, "VmHWM") / 1024
        print(f"system_metrics node at 1 Hz, process_period {args.process_period or 'default'}, "
              f"over {t1 - t0:.0f} s ({n1 - n0} arrays received, "
              f"{len(os.listdir('/proc'))} /proc entries, {os.cpu_count()} cores):")
        print(f"  CPU  {share:.2f} % of one core   ({cpu1 - cpu0:.2f} s of CPU; target < 0.5 %; "
              f"clock tick {1000 / TICKS:.0f} ms, so +-{100 / TICKS / (t1 - t0):.2f} points)")
        print(f"  RSS  {rss:.1f} MiB now, {hwm:.1f} MiB peak   (target < 80 MB)")
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        metrics.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
