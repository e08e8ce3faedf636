"""system_metrics: what the running node costs the robot (issue 12 target: at most 0.35 % of one core
and under 72 MiB RSS at 1 Hz over 60 s).

Starts the real `system_metrics` executable with config/chedweb.yaml (1 Hz), subscribes to
/diagnostics from this process so that every array is really sent, waits for the first array,
then reads the node's utime + stime (/proc/<pid>/stat) and RSS (/proc/<pid>/status) over the
measuring window. Its floor runs beside it over the same window (bench/metrics_floor.py: the same
node publishing one prebuilt array every tick, on /bench_floor_diagnostics, received here too),
and the node's CPU is printed as a ratio to it: this VM's absolute figures move by 2x between
runs with its load and steal time; the ratio much less.

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

FLOOR_TOPIC = "/bench_floor_diagnostics"


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
    floor = NodeProcess([sys.executable, "-m", "bench.metrics_floor",
                         *ros_args(overrides, params_file=str(REPO / "config" / "chedweb.yaml"),
                                   name="bench_metrics_floor"), "-r", f"/diagnostics:={FLOOR_TOPIC}"],
                        "bench-metrics-floor")
    proc = metrics.proc
    rclpy.init()
    node = rclpy.create_node("bench_node_overhead")
    received: list[float] = []
    floor_received: list[float] = []
    qos = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
    node.create_subscription(DiagnosticArray, "/diagnostics", lambda _: received.append(time.monotonic()),
                             qos)
    node.create_subscription(DiagnosticArray, FLOOR_TOPIC,
                             lambda _: floor_received.append(time.monotonic()), qos)
    try:
        deadline = time.monotonic() + 60
        while not (received and floor_received):
            if time.monotonic() > deadline or proc.poll() is not None or floor.proc.poll() is not None:
                print("no array from system_metrics or its floor within 60 s")
                return 1
            rclpy.spin_once(node, timeout_sec=0.1)
        cpu0, t0, n0 = cpu_seconds(proc.pid), time.monotonic(), len(received)
        floor_cpu0 = cpu_seconds(floor.proc.pid)
        while time.monotonic() - t0 < window:
            rclpy.spin_once(node, timeout_sec=0.1)
        cpu1, t1, n1 = cpu_seconds(proc.pid), time.monotonic(), len(received)
        floor_cpu1 = cpu_seconds(floor.proc.pid)
        share = (cpu1 - cpu0) / (t1 - t0) * 100.0
        floor_share = (floor_cpu1 - floor_cpu0) / (t1 - t0) * 100.0
        rss, hwm = status_kib(proc.pid, "VmRSS") / 1024, status_kib(proc.pid, "VmHWM") / 1024
        print(f"system_metrics node at 1 Hz, process_period {args.process_period or 'default'}, "
              f"over {t1 - t0:.0f} s ({n1 - n0} arrays received, "
              f"{len(os.listdir('/proc'))} /proc entries, {os.cpu_count()} cores):")
        print(f"  CPU  {share:.2f} % of one core   ({cpu1 - cpu0:.2f} s of CPU; target <= 0.35 %; "
              f"clock tick {1000 / TICKS:.0f} ms, so +-{100 / TICKS / (t1 - t0):.2f} points)")
        print(f"  RSS  {rss:.1f} MiB now, {hwm:.1f} MiB peak   (target < 72 MiB)")
        print(f"  floor (the same node publishing a prebuilt array): CPU {floor_share:.2f} % of one core, "
              f"RSS {status_kib(floor.proc.pid, 'VmRSS') / 1024:.1f} MiB")
        ratio = share / floor_share if floor_share else float("nan")
        allowed = 0.35 / floor_share if floor_share else float("nan")
        print(f"  node / floor = {ratio:.2f}   (the 0.35 % target is {allowed:.2f}x this run's floor; "
              f"node - floor = {share - floor_share:.2f} points)")
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        metrics.stop()
        floor.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
