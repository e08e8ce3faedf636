"""Soak (issue 8, "Done when"): the bridge for 10 minutes under a steady load and a rotating
audience, to show that nothing grows or stalls.

Load: a real rclpy publisher process with 50 statuses at 10 Hz, plus the real system_metrics
node sampling every 0.1 s, both into one real bridge process. Audience: 5 aiortc clients, each in
a process of its own (one client decoding its snapshot must not delay another's receive times in
a shared loop), one of them closed and replaced by a new one every 10 s, so a snapshot is sent
every 10 s while the others are live. A client's latencies count from one second after its
snapshot arrived (the messages held for it during the snapshot arrive in that second).

Printed: the bridge's RSS and threads at the start and the end (and their peak), its CPU share
of one core, drops (/healthz), the sequence gaps the clients saw, live latency (receive time
minus header.stamp, of the test publisher's arrays) p50/p99 over all clients and the worst
client's p99, and the CPU model.

  scripts/in-test-netns .venv/bin/python -m bench.soak [--minutes M] [--history-seconds S]

`--history-seconds` lowers the bridge's in-memory history window (default 3600 s; it holds two
points a bucket of history_seconds / 150 plus the open bucket's samples, so it is full after one
history_seconds), so that a short soak shows whether RSS still grows once that history is full.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
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


async def one_client(url: str, seconds: float) -> None:
    """Run in a process of its own (so that one client taking its snapshot never delays another's
    receive times in a shared loop): connect, stay `seconds`, print one JSON line with the live
    latencies from one second after its snapshot (the messages held for it meanwhile arrive in
    that second) and the seq gaps it saw."""
    client = BridgeClient(url)
    await client.connect(timeout=60)
    await client.wait_for(lambda m: any(x.msg["type"] == "snapshot" and
                                        x.msg["part"] == x.msg["parts"] - 1 for x in m), timeout=60)
    live_since = time.time()
    await asyncio.sleep(seconds)
    await client.close()
    # The test publisher's arrays only: it stamps right before publishing, while system_metrics
    # stamps when its tick starts, so its figure would include its own sampling time.
    ours = [m for m in client.messages if m.msg.get("type") == "diagnostics"
            and m.msg["statuses"] and m.msg["statuses"][0]["name"].startswith("soak")]
    print(json.dumps({"lat": latencies_ms(ours, live_since + 1.0),
                      "gaps": seq_gaps(client.messages, live_since)}), flush=True)


class Audience:
    """The client processes, each living CLIENTS x ROTATE_S seconds, and their figures."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.procs: list[subprocess.Popen[str]] = []
        self.latencies: list[float] = []
        self.client_p99: list[float] = []
        self.gaps = 0
        self.connects = 0

    def add(self, lifetime: float) -> None:
        self.procs.append(subprocess.Popen([sys.executable, "-m", "bench.soak", "--client", self.url,
                                            "--seconds", str(lifetime)], stdout=subprocess.PIPE, text=True))
        self.connects += 1

    def collect(self, wait: bool = False) -> None:
        for proc in list(self.procs):
            if proc.poll() is None and not wait:
                continue
            out, _ = proc.communicate(timeout=120)
            self.procs.remove(proc)
            rows = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
            for row in rows:
                if row["lat"]:
                    self.latencies += row["lat"]
                    self.client_p99.append(percentile(row["lat"], 99))
                self.gaps += row["gaps"]


async def soak(bridge: Bridge, minutes: float, report_s: float) -> None:
    metrics = start_system_metrics("bench-soak-system_metrics", period=0.1)
    publisher = await asyncio.to_thread(start_load)
    audience = Audience(bridge.url)
    lifetime = CLIENTS * ROTATE_S
    try:
        await asyncio.sleep(3.0)
        # Staggered lifetimes: from then on one client ends and a new one starts every ROTATE_S.
        for i in range(CLIENTS):
            audience.add(lifetime - i * ROTATE_S)
        await asyncio.sleep(5.0)
        health0 = await asyncio.to_thread(bridge.health)
        rss0, threads0 = rss_mib(bridge.pid), threads(bridge.pid)
        peak_rss, peak_threads = rss0, threads0
        window = Window(bridge.pid)
        window.start()
        end = time.monotonic() + minutes * 60
        next_report = time.monotonic() + report_s
        while time.monotonic() < end:
            await asyncio.sleep(ROTATE_S)
            await asyncio.to_thread(audience.collect)
            while len(audience.procs) < CLIENTS:
                audience.add(lifetime)
            rss, n_threads = rss_mib(bridge.pid), threads(bridge.pid)
            peak_rss, peak_threads = max(peak_rss, rss), max(peak_threads, n_threads)
            if time.monotonic() >= next_report:
                next_report += report_s
                elapsed = minutes - (end - time.monotonic()) / 60
                print(f"  {elapsed:4.1f} min: RSS {rss:.1f} MiB, {n_threads} threads, "
                      f"p99 so far {percentile(audience.latencies, 99):.1f} ms", flush=True)
        share = window.cpu_share()
        rss1, threads1 = rss_mib(bridge.pid), threads(bridge.pid)
        health1 = await asyncio.to_thread(bridge.health)
        await asyncio.to_thread(audience.collect, True)
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
        for proc in audience.procs:
            proc.kill()
        await asyncio.to_thread(publisher.stop)
        await asyncio.to_thread(metrics.stop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="one minute")
    parser.add_argument("--history-seconds", type=float, default=None,
                        help="the bridge's history_seconds (default: its own, 3600)")
    parser.add_argument("--client", metavar="URL", help=argparse.SUPPRESS)  # one client's process
    parser.add_argument("--seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        asyncio.run(one_client(args.client, args.seconds))
        return 0
    minutes = 1.0 if args.quick else args.minutes
    print(f"# {machine()}", flush=True)
    params = {} if args.history_seconds is None else {"history_seconds": args.history_seconds}
    bridge = Bridge("webrtc_bridge-bench-soak", params)
    try:
        # RSS every minute, or ten times over a short run
        asyncio.run(soak(bridge, minutes, min(60.0, max(ROTATE_S, minutes * 6))))
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
