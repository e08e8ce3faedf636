"""system_metrics: the cost of one sample-and-publish tick (issue 2), and where it goes.

Builds the real SystemMetricsNode in this process, with a real subscriber process matched on
/diagnostics so that publishing serialises and sends as it does on a robot, then times the
node's own timer callback N times (median and p99, microseconds). Then times each part alone:
every sampling probe, the process scan both ways (/proc reader and psutil), status building and
publishing.

  scripts/in-test-netns .venv/bin/python -m bench.tick [--quick] [--in-order TICKS]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import psutil
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rclpy.parameter import Parameter

from bench.procstat import percentile
from chedweb_ros import sampling
from chedweb_ros.metrics_node import SystemMetricsNode
from chedweb_ros.params import SYSTEM_METRICS
from chedweb_ros.procfs import LinuxProbes
from chedweb_ros.status import build_statuses
from test.helpers.procs import NodeProcess

SUBSCRIBER = """
import rclpy, sys
from rclpy.qos import QoSProfile, ReliabilityPolicy
from diagnostic_msgs.msg import DiagnosticArray
rclpy.init()
node = rclpy.create_node('bench_tick_subscriber')
node.create_subscription(DiagnosticArray, '/diagnostics', lambda m: None,
                         QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE))
print('ready', flush=True)
try:
    rclpy.spin(node)
except BaseException:
    pass
"""


PAUSE = 0.05


def timed(fn: Callable[[], object], n: int, pause: float = PAUSE) -> list[float]:
    """Microseconds of each of n calls (after one warm-up call)."""
    fn()
    out = []
    for _ in range(n):
        if pause:
            time.sleep(pause)
        start = time.perf_counter_ns()
        fn()
        out.append((time.perf_counter_ns() - start) / 1000.0)
    return out


def row(label: str, us: Sequence[float]) -> str:
    return f"  {label:<34} median {percentile(us, 50):>9.1f} us   p99 {percentile(us, 99):>9.1f} us"


def print_parts(label: str, ps: Any, counters: sampling.Counters, paths: tuple[str, ...], n: int) -> None:
    print(row(f"cpu{label}", timed(lambda: sampling.sample_cpu(ps, counters.cpu), n)))
    print(row(f"memory{label}", timed(lambda: sampling.sample_memory(ps), n)))
    print(row(f"temperature{label}", timed(lambda: sampling.sample_temperature(ps), n)))
    print(row(f"disk (/){label}", timed(lambda: sampling.sample_disk(ps, paths, None, 0.0), n)))
    print(row(f"network{label}", timed(lambda: sampling.sample_network(ps, (), {}, 0.0), n)))


def parts_in_order(node: SystemMetricsNode, ticks: int, pause: float) -> None:
    """The node's own tick taken apart: each part's thread CPU time, in the order _tick runs
    them, `pause` seconds apart (1.0: as at 1 Hz, the process table every process_period).
    Means, since the process table's read is one tick in five."""
    cfg = node._config
    ps, now_of, t = node._ps, node._monotonic, time.thread_time_ns
    names = ("cpu", "disk", "network", "process table", "memory", "temperature", "stamp",
             "build statuses", "publish", "level-change log", "whole tick")
    spent: dict[str, list[int]] = {name: [] for name in names}
    for _ in range(ticks):
        time.sleep(pause)
        start = t()
        prev, now = node._counters, now_of()
        a = t()
        cpu, cpu_c = sampling.sample_cpu(ps, prev.cpu)
        b = t()
        disk, disk_c = sampling.sample_disk(ps, cfg.disk_paths, prev.disk_io, now)
        c = t()
        net, net_c = sampling.sample_network(ps, cfg.network_interfaces, prev.network, now)
        d = t()
        if prev.last_processes is not None and not sampling.process_scan_due(
                prev.last_processes, prev.processes, now, n=cfg.top_processes,
                process_period=cfg.process_period, period=cfg.period):
            procs, proc_c = prev.last_processes, prev.processes
        else:
            procs, proc_c = sampling.sample_processes(node._processes, prev.processes, now,
                                                      cfg.top_processes)
        e = t()
        memory = sampling.sample_memory(ps)
        f = t()
        temperature = sampling.sample_temperature(ps)
        g = t()
        node._counters = sampling.Counters(cpu_c, disk_c, net_c, proc_c, procs)
        msg = node._array
        msg.header.stamp = node.get_clock().now().to_msg()
        h = t()
        msg.status = build_statuses(sampling.Snapshot(cpu, memory, temperature, disk, net, procs),
                                    cfg.thresholds, node._name, node._hardware_id(), node._levels,
                                    now_of(), node._processes_memo, node._reuse)
        i = t()
        node._publisher.publish(msg)
        j = t()
        node._log_level_changes(msg.status)
        k = t()
        for name, ns in zip(names, (b - a, c - b, d - c, e - d, f - e, g - f, h - g, i - h, j - i,
                                    k - j, k - start), strict=True):
            spent[name].append(ns)
    print(f"the node's tick part by part ({ticks} ticks, {pause:g} s apart; thread CPU, mean us):")
    for name, times in spent.items():
        print(f"  {name:<34} {sum(times) / len(times) / 1000:>9.1f} us")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer ticks")
    parser.add_argument("--in-order", type=int, metavar="TICKS",
                        help="only take TICKS ticks of the node apart, one second apart, part by part")
    args = parser.parse_args()
    n = 40 if args.quick else 300

    sub = NodeProcess([sys.executable, "-c", SUBSCRIBER], "bench-tick-subscriber")
    rclpy.init()
    node = SystemMetricsNode()
    try:
        sub.wait_for_output("ready", timeout=30)
        deadline = time.monotonic() + 30
        while node.count_subscribers("/diagnostics") < 1:
            if time.monotonic() > deadline:
                print("subscriber not matched within 30 s")
                return 1
            time.sleep(0.05)
        if args.in_order:
            parts_in_order(node, args.in_order, 1.0)
            return 0
        # The node's timer also runs if spun; it is not spun here, so each tick is ours alone.
        # A pause before each timed call, as at 1 Hz: back-to-back calls run on warm caches and
        # come out two to three times cheaper than the node's real ticks.
        tick = node._tick
        processes = len(psutil.pids())
        print(f"system_metrics tick: {n} ticks, {processes} processes on this machine, "
              f"{os.cpu_count()} cores, one subscriber matched")
        low, high = SYSTEM_METRICS["process_period"].low, SYSTEM_METRICS["process_period"].high
        node.set_parameters([Parameter("process_period", value=low)])  # at or below period: every tick
        every = timed(tick, n, pause=PAUSE)
        print(row("tick, process table read", every))
        node.set_parameters([Parameter("process_period", value=high)])  # longer than this bench
        without = timed(tick, n, pause=PAUSE)
        print(row("tick, process table not read", without))
        amortised = percentile(without, 50) + (percentile(every, 50) - percentile(without, 50)) / 5
        print(f"  {'at 1 Hz, table read every 5 s':<34} median {amortised:>9.1f} us per tick "
              f"= {amortised / 1e4:.2f} % of one core")

        probes = LinuxProbes(psutil)  # what the node samples with on Linux
        paths, counters = ("/",), sampling.Counters()
        n = max(10, n // 3)
        print(f"parts ({n} calls each; the node's LinuxProbes, then psutil's own calls):")
        for label, source in (("", probes), (" psutil", psutil)):
            print_parts(label, source, counters, paths, n)
        reader = sampling.ProcStatReader()
        print(row("processes, files kept open (used)", timed(reader, n)))
        reader.close()
        print(row("processes, open-read-close", timed(sampling.read_proc_stats, n)))
        print(row("processes via psutil (fallback)",
                  timed(lambda: sampling.psutil_process_stats(psutil), max(10, n // 3))))
        ps = probes
        snap, _ = sampling.sample_all(ps, sampling.read_proc_stats, sampling.Counters(), time.monotonic(),
                                      disk_paths=paths, interfaces=(), top_n=5)
        limits = node._config.thresholds  # the defaults: no parameter was overridden
        print(row("build statuses", timed(lambda: build_statuses(snap, limits, "system_metrics", "h"), n)))
        msg = DiagnosticArray(status=build_statuses(snap, limits, "system_metrics", "h"))
        publisher = node._publisher
        print(row("publish", timed(lambda: publisher.publish(msg), n)))
    finally:
        node.destroy_node()
        rclpy.try_shutdown()
        sub.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
