"""webrtc_bridge publish-to-receive latency (issue 3: p99 under 10 ms with one client).

A real rclpy publisher process sends arrays of 20 statuses at 1 Hz and at 50 Hz; the real bridge
process forwards them; one aiortc client in this process (connected through /ws exactly as the
page is) records the receive time of each. Latency = receive time - header.stamp (set by the
publisher just before publish; same machine, same clock). Also prints the bridge's CPU share of
one core (/proc/<pid>/stat) and RSS (/proc/<pid>/status) during each run.

  scripts/in-test-netns .venv/bin/python -m bench.latency [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from bench.procstat import cpu_seconds, percentile, rss_mib
from test.helpers.bridge_proc import Bridge
from test.helpers.procs import NodeProcess
from test.helpers.webrtc_client import BridgeClient, Received


def start_publisher(rate: float, statuses: int = 20) -> NodeProcess:
    """test/helpers/ros_publisher.py free-running in its own process, once it has a subscriber."""
    publisher = NodeProcess([sys.executable, "-m", "test.helpers.ros_publisher", "--rate", str(rate),
                             "--statuses", str(statuses), "--wait-subscribers", "1",
                             "--name-prefix", "bench"], "bench-publisher")
    try:
        publisher.wait_for_output("ready", timeout=40)
    except AssertionError:
        publisher.stop()
        raise
    return publisher


@dataclass
class Window:
    """Bridge CPU and RSS over a measured interval."""
    pid: int
    t0: float = 0.0
    cpu0: float = 0.0

    def start(self) -> None:
        self.t0, self.cpu0 = time.monotonic(), cpu_seconds(self.pid)

    def cpu_share(self) -> float:
        return (cpu_seconds(self.pid) - self.cpu0) / (time.monotonic() - self.t0)


def latencies_ms(messages: Sequence[Received], since: float) -> list[float]:
    return [(m.t - m.msg["stamp"]) * 1000 for m in messages
            if m.msg.get("type") == "diagnostics" and m.t >= since]


def seq_gaps(messages: Sequence[Received], since: float) -> int:
    seqs = sorted({m.msg["seq"] for m in messages if m.msg.get("type") == "diagnostics" and m.t >= since})
    return (seqs[-1] - seqs[0] + 1 - len(seqs)) if seqs else 0


async def measure_one(bridge: Bridge, rate: float, seconds: float) -> str:
    client = BridgeClient(bridge.url)
    await client.connect()
    publisher = await asyncio.to_thread(start_publisher, rate)
    try:
        await asyncio.sleep(min(2.0, seconds / 4))  # warm-up: DDS matching, first messages
        window = Window(bridge.pid)
        window.start()
        since = time.time()
        await asyncio.sleep(seconds)
        share = window.cpu_share()
    finally:
        await asyncio.to_thread(publisher.stop)
    lat = latencies_ms(client.messages, since)
    gaps = seq_gaps(client.messages, since)
    await client.close()
    return (f"1 client, {rate:g} Hz, 20 statuses: n={len(lat)}  p50 {percentile(lat, 50):.2f} ms  "
            f"p99 {percentile(lat, 99):.2f} ms  max {max(lat, default=float('nan')):.2f} ms  "
            f"lost {gaps}  bridge CPU {share * 100:.1f} % of one core  RSS {rss_mib(bridge.pid):.1f} MiB")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke check)")
    args = parser.parse_args(argv)
    runs = [(1.0, 10.0), (50.0, 4.0)] if args.quick else [(1.0, 60.0), (50.0, 20.0)]
    bridge = Bridge("bench-latency-bridge")
    try:
        for rate, seconds in runs:
            print(asyncio.run(measure_one(bridge, rate, seconds)), flush=True)
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
