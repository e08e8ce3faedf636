"""The bridge's cost per added peer, text against capability deflate-raw (issue 12: <= 0.2 points
of a core per peer at 10 Hz x 50 statuses x 20 keys).

A real rclpy publisher sends 50 statuses of 20 values at 10 Hz; 17 of each status's values change
every message (random readings, `--varying-values`), so the JSON does not compress better than
real sensor data would. Phases of --seconds each, the bridge's CPU share of one core measured in
each (/proc/<pid>/stat):
  floor: a raw rclpy subscriber of the same topic in its own process (subscribes, does nothing);
  0 peers: the bridge with nobody connected;
  text: --peers aiortc clients (in one other process) that do not ask for compression;
  deflate-raw: as many clients that ask for it in their offer (docs/protocol.md, "Compression").
Per peer = (CPU with N peers - CPU with 0) / N, in points of a core and as a ratio to the floor.
Also printed: the clients' live p50/p99 latency, the seq gaps they saw, the bridge's drops, and
the bytes per live message on the wire against its JSON text.

  scripts/in-test-netns .venv/bin/python -m bench.wire [--quick] [--peers N] [--seconds S]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence

from bench.__main__ import machine
from bench.latency import Window, latencies_ms, seq_gaps
from bench.procstat import percentile
from test.helpers.bridge_proc import Bridge
from test.helpers.procs import NodeProcess
from test.helpers.webrtc_client import BridgeClient

STATUSES = 50
EXTRA_VALUES = 17  # with "pub index", "value" and "label": 20 keys per status
RATE = 10.0


def start_publisher() -> NodeProcess:
    publisher = NodeProcess([sys.executable, "-m", "test.helpers.ros_publisher", "--rate", str(RATE),
                             "--statuses", str(STATUSES), "--extra-values", str(EXTRA_VALUES),
                             "--varying-values", "--wait-subscribers", "1", "--name-prefix", "wire"],
                            "bench-wire-publisher")
    publisher.wait_for_output("ready", timeout=40)
    return publisher


# ---- the floor: a raw subscriber that does nothing with what it gets ----

def floor_subscriber() -> None:
    import rclpy
    from diagnostic_msgs.msg import DiagnosticArray
    from rclpy.qos import QoSProfile, ReliabilityPolicy

    rclpy.init()
    node = rclpy.create_node("bench_wire_floor")
    node.create_subscription(DiagnosticArray, "/diagnostics", lambda raw: None,
                             QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE), raw=True)
    print("ready", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        rclpy.spin(node)


# ---- the clients' process ----

async def clients_process(url: str, count: int, deflate: bool) -> None:
    """Connects `count` clients, prints "open", then on a stdin line "T0 T1" prints the stats of
    the live messages that arrived in [T0, T1] as JSON and exits."""
    compression = ["deflate-raw"] if deflate else []
    clients: list[BridgeClient] = []
    while len(clients) < count:
        batch = [BridgeClient(url, compression=compression) for _ in range(min(5, count - len(clients)))]
        await asyncio.gather(*(c.connect(timeout=60) for c in batch))
        clients += batch
    print("open", flush=True)
    line = await asyncio.to_thread(sys.stdin.readline)
    if not line.strip():  # the bench ended early: nothing to report
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        return
    t0, t1 = (float(x) for x in line.split())
    lat: list[float] = []
    gaps = wire = text = n = 0
    for c in clients:
        window = [m for m in c.messages if t0 <= m.t <= t1]
        lat += latencies_ms(window, t0)
        gaps += seq_gaps(window, t0)
        live = [m for m in window if m.msg.get("type") == "diagnostics"]
        n += len(live)
        wire += sum(m.wire for m in live)
        text += sum(m.size for m in live)
        assert all(m.binary == deflate for m in live), "the bridge did not send what was asked"
    print(json.dumps({"gaps": gaps,
                      "wire": wire, "text": text, "n": n, "lat": lat}), flush=True)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)


def measure(pid: int, seconds: float) -> tuple[float, float, float]:
    window = Window(pid)
    window.start()
    t0 = time.time()
    time.sleep(seconds)
    return window.cpu_share(), t0, time.time()


def run(peers: int, seconds: float) -> None:
    print(f"# {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    bridge = Bridge("bench-wire-bridge", {"max_peers": peers + 8})
    publisher = start_publisher()
    floor_proc = NodeProcess([sys.executable, "-m", "bench.wire", "--floor"], "bench-wire-floor")
    try:
        floor_proc.wait_for_output("ready", timeout=40)
        time.sleep(3.0)  # discovery, the bridge's history filling
        # The floor and the bridge with no peer, over the same window.
        base, floor = Window(bridge.pid), Window(floor_proc.proc.pid)
        base.start()
        floor.start()
        time.sleep(seconds)
        idle, floor_share = base.cpu_share(), floor.cpu_share()
        print(f"floor (raw rclpy subscriber): {floor_share * 100:.2f} % of one core", flush=True)
        print(f"bridge, 0 peers: {idle * 100:.2f} % of one core ({idle / floor_share:.1f}x floor)",
              flush=True)
        for label, deflate in (("text", False), ("deflate-raw", True)):
            drops0 = bridge.health()["drops"]
            # One process per client: a client's SCTP receive path costs more than the bridge's
            # send path, and one process for all of them would fall behind at 10 Hz.
            # Started one after the other: the bridge lets one address hold only a few sockets
            # that have not offered yet (max_pending_per_address).
            procs = []
            for _ in range(peers):
                proc = subprocess.Popen([sys.executable, "-m", "bench.wire", "--clients", bridge.url,
                                         "--peers", "1", *(["--deflate"] if deflate else [])],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                procs.append(proc)
                assert proc.stdout is not None
                if proc.stdout.readline().strip() != "open":
                    raise RuntimeError("a client did not connect")
            time.sleep(3.0)  # snapshots sent, steady state
            share, t0, t1 = measure(bridge.pid, seconds)
            rows = []
            for proc in procs:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.write(f"{t0} {t1}\n")
                proc.stdin.flush()
            for proc in procs:
                assert proc.stdout is not None
                rows.append(json.loads(proc.stdout.readline()))
                proc.wait(timeout=30)
            lat = [x for r in rows for x in r["lat"]]
            n = sum(r["n"] for r in rows)
            stats = {"p50": percentile(lat, 50), "p99": percentile(lat, 99),
                     "gaps": sum(r["gaps"] for r in rows), "n": n,
                     "wire": sum(r["wire"] for r in rows) / max(n, 1),
                     "text": sum(r["text"] for r in rows) / max(n, 1)}
            drops = bridge.health()["drops"] - drops0
            per_peer = (share - idle) / peers
            print(f"{label:>11}, {peers} peers: bridge {share * 100:5.1f} % of one core; per peer "
                  f"{per_peer * 100:.3f} points ({per_peer / floor_share:.2f}x floor); live p50 "
                  f"{stats['p50']:.1f} ms p99 {stats['p99']:.1f} ms; gaps {stats['gaps']} drops {drops}; "
                  f"{stats['wire']:.0f} B on the wire per message ({stats['text']:.0f} B of JSON, "
                  f"ratio {stats['text'] / max(stats['wire'], 1):.2f}); n={stats['n']}", flush=True)
            time.sleep(2.0)  # the closed peers gone before the next phase
        print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    finally:
        floor_proc.stop()
        publisher.stop()
        bridge.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 peers, 5 s phases (smoke check)")
    parser.add_argument("--peers", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--clients", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--deflate", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor:
        floor_subscriber()
        return 0
    if args.clients:
        asyncio.run(clients_process(args.clients, args.peers, args.deflate))
        return 0
    if args.quick:
        args.peers, args.seconds = 5, 5.0
    # Like every bench, this one prints figures and asserts nothing (docs/benchmarks.md).
    run(args.peers, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
