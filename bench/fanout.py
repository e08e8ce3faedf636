"""webrtc_bridge fan-out at 10 Hz to 1, 10, 25 and 50 clients (issue 3: 25 clients with no drops
under 25 % of one core; RSS growth under 1 MB per client).

A real rclpy publisher process sends arrays of 20 statuses at 10 Hz; the real bridge process
forwards them to N aiortc clients (connected through /ws as the page is, all in this process).
For each N: the bridge's CPU share of one core (/proc/<pid>/stat), its RSS (/proc/<pid>/status)
and RSS growth per client over the no-client figure, p99 latency over every client's messages,
and drops (the bridge's own count from /healthz, and sequence gaps seen by the clients).
The clients share this machine with the bridge: their own CPU use competes with it.

  scripts/in-test-netns .venv/bin/python -m bench.fanout [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from bench.latency import Publisher, Window, latencies_ms, percentile, rss_mib, seq_gaps
from test.helpers.webrtc_client import BridgeClient
from test.webrtc.bridge_proc import Bridge

COUNTS = (1, 10, 25, 50)


async def run(bridge: Bridge, seconds: float) -> None:
    publisher = await asyncio.to_thread(Publisher, 10.0)
    clients: list[BridgeClient] = []
    try:
        await asyncio.sleep(2.0)
        rss0 = rss_mib(bridge.pid)
        print(f"0 clients: bridge RSS {rss0:.1f} MiB", flush=True)
        for count in COUNTS:
            while len(clients) < count:
                batch = [BridgeClient(bridge.url) for _ in range(min(5, count - len(clients)))]
                await asyncio.gather(*(c.connect(timeout=30) for c in batch))
                clients += batch
            await asyncio.sleep(2.0)  # snapshots sent, steady state
            drops0 = (await asyncio.to_thread(bridge.health))["drops"]
            window = Window(bridge.pid)
            window.start()
            since = time.time()
            await asyncio.sleep(seconds)
            share = window.cpu_share()
            health = await asyncio.to_thread(bridge.health)
            rss = rss_mib(bridge.pid)
            lat = [x for c in clients for x in latencies_ms(c.messages, since)]
            gaps = sum(seq_gaps(c.messages, since) for c in clients)
            print(f"{count:>2} clients at 10 Hz, 20 statuses: bridge CPU {share * 100:5.1f} % of one core  "
                  f"RSS {rss:.1f} MiB (+{(rss - rss0) / count:.2f} MiB/client)  "
                  f"p50 {percentile(lat, 50):.2f} ms  p99 {percentile(lat, 99):.2f} ms  "
                  f"drops {health['drops'] - drops0} (client-seen gaps {gaps})  n={len(lat)}", flush=True)
            for c in clients:  # keep memory flat in this process between steps
                c.messages.clear()
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        await asyncio.to_thread(publisher.stop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke check)")
    args = parser.parse_args(argv)
    bridge = Bridge("bench-fanout-bridge", {"max_peers": 64})
    try:
        asyncio.run(run(bridge, 4.0 if args.quick else 20.0))
    finally:
        bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
