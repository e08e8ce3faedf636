"""Soak (issue 8, "Done when"): the bridge for 10 minutes under a steady load and a rotating
audience, to show that nothing grows or stalls.

Load: a real rclpy publisher process with 50 statuses at 10 Hz, plus the real system_metrics
node sampling every 0.1 s, both into one real bridge process. Audience: 5 aiortc clients (this
process), one of them closed and replaced by a new one every 10 s, so a snapshot is sent every
10 s while the others are live. Printed: the bridge's RSS and threads at the start and the end
(and their peak), its CPU share of one core, drops (/healthz), the sequence gaps the clients saw,
live latency (receive time minus header.stamp) p50/p99 over all clients and the worst client's
p99, and the CPU model.

  scripts/in-test-netns .venv/bin/python -m bench.soak [--minutes M]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bench.__main__ import machine
from bench.latency import Window, latencies_ms, seq_gaps
from bench.procstat import percentile, rss_mib
from test.helpers.bridge_proc import Bridge
from test.helpers.metrics_proc import start_system_metrics
from test.helpers.procs import NodeProcess
from test.helpers.webrtc_client import BridgeClient

CLIENTS = 5
ROTATE_S = 10.0


def threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def start_load() -> NodeProcess:
    publisher = NodeProcess([sys.executable, "-m", "test.helpers.ros_publisher", "--rate", "10",
                             "--statuses", "50", "--wait-subscribers", "1", "--name-prefix", "soak"],
                            "bench-soak-publisher")
    try:
        publisher.wait_for_output("ready", timeout=40)
    except AssertionError:
        publisher.stop()
        raise
    return publisher


class Audience:
    """The clients, and every finished client's figures."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: list[tuple[float, BridgeClient]] = []  # (live since, client)
        self.latencies: list[float] = []
        self.client_p99: list[float] = []
        self.gaps = 0
        self.connects = 0

    async def add(self) -> None:
        client = BridgeClient(self.url)
        await client.connect(timeout=60)
        await client.wait_for(lambda m: any(x.msg["type"] == "snapshot" and
                                            x.msg["part"] == x.msg["parts"] - 1 for x in m), timeout=60)
        self.clients.append((time.time(), client))
        self.connects += 1

    async def retire(self, index: int = 0) -> None:
        since, client = self.clients.pop(index)
        await client.close()
        self.account(since, client)

    def account(self, since: float, client: BridgeClient) -> None:
        lat = latencies_ms(client.messages, since)
        if lat:
            self.latencies += lat
            self.client_p99.append(percentile(lat, 99))
        self.gaps += seq_gaps(client.messages, since)
        client.messages.clear()


async def soak(bridge: Bridge, minutes: float) -> None:
    metrics = start_system_metrics("bench-soak-system_metrics", period=0.1)
    publisher = await asyncio.to_thread(start_load)
    audience = Audience(bridge.url)
    try:
        await asyncio.sleep(3.0)
        await asyncio.gather(*(audience.add() for _ in range(CLIENTS)))
        await asyncio.sleep(2.0)
        health0 = await asyncio.to_thread(bridge.health)
        rss0, threads0 = rss_mib(bridge.pid), threads(bridge.pid)
        peak_rss, peak_threads = rss0, threads0
        window = Window(bridge.pid)
        window.start()
        end = time.monotonic() + minutes * 60
        next_report = time.monotonic() + 60
        while time.monotonic() < end:
            await asyncio.sleep(ROTATE_S)
            await audience.retire(0)
            await audience.add()
            rss, n_threads = rss_mib(bridge.pid), threads(bridge.pid)
            peak_rss, peak_threads = max(peak_rss, rss), max(peak_threads, n_threads)
            if time.monotonic() >= next_report:
                next_report += 60
                elapsed = minutes - (end - time.monotonic()) / 60
                print(f"  {elapsed:4.1f} min: RSS {rss:.1f} MiB, {n_threads} threads, "
                      f"p99 so far {percentile(audience.latencies, 99):.1f} ms", flush=True)
        share = window.cpu_share()
        rss1, threads1 = rss_mib(bridge.pid), threads(bridge.pid)
        health1 = await asyncio.to_thread(bridge.health)
        while audience.clients:
            await audience.retire(0)
        lat = audience.latencies
        print(f"{minutes:g} min, {CLIENTS} clients (one rotated every {ROTATE_S:.0f} s, {audience.connects} "
              f"connects), 50 statuses at 10 Hz + system_metrics at 0.1 s:\n"
              f"  bridge RSS {rss0:.1f} -> {rss1:.1f} MiB (peak {peak_rss:.1f}), "
              f"threads {threads0} -> {threads1} (peak {peak_threads}), CPU {share * 100:.1f} % of one core\n"
              f"  drops {health1['drops'] - health0['drops']}, client-seen gaps {audience.gaps}, "
              f"messages received {health1['messages_received'] - health0['messages_received']}\n"
              f"  latency p50 {percentile(lat, 50):.1f} ms, p99 {percentile(lat, 99):.1f} ms, "
              f"worst client's p99 {max(audience.client_p99):.1f} ms, n={len(lat)}", flush=True)
    finally:
        for _, c in audience.clients:
            await c.close()
        await asyncio.to_thread(publisher.stop)
        await asyncio.to_thread(metrics.stop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="one minute")
    args = parser.parse_args(argv)
    minutes = 1.0 if args.quick else args.minutes
    print(f"# {machine()}", flush=True)
    bridge = Bridge("webrtc_bridge-bench-soak")
    try:
        asyncio.run(soak(bridge, minutes))
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
