"""The bridge's cost per added peer, text against capability deflate-raw (issue 12: <= 0.2 points
of a core per peer at 10 Hz x 50 statuses x 20 keys).

A real rclpy publisher sends 50 statuses of 20 values at 10 Hz; 17 of each status's values change
every message (random readings, `--varying-values`), so the JSON does not compress better than
real sensor data would. Phases of --seconds each, the bridge's CPU share of one core measured in
each (/proc/<pid>/stat):
  floor: a raw rclpy subscriber of the same topic in its own process (subscribes, does nothing);
  0 peers: the bridge with nobody connected;
  text: --peers peer connections that do not ask for compression;
  deflate-raw: as many that ask for it in their offer (docs/protocol.md, "Compression").
Peers are connections in one headless Chromium page (default: a browser's SCTP acknowledges as
the page's will), or with --with aiortc, aiortc clients in one process each.
Per peer = (CPU with N peers - CPU with 0) / N, in points of a core and as a ratio to the floor.
Also printed: the clients' live p50/p99 latency, the seq gaps they saw, the bridge's drops, and
the bytes per live message on the wire against its JSON text.

  scripts/in-test-netns .venv/bin/python -m bench.wire [--quick] [--peers N] [--seconds S]
                                                       [--with browser|aiortc]
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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.__main__ import machine
from bench.latency import latencies_ms, seq_gaps
from bench.page_signal import SIGNAL_JS
from bench.procstat import cpu_seconds, percentile
from test.helpers.bridge_proc import Bridge
from test.helpers.procs import NodeProcess
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient

STATUSES = 50
EXTRA_VALUES = 17  # with "pub index", "value" and "label": 20 keys per status
RATE = 10.0


def start_publisher() -> PublisherProcess:
    return PublisherProcess("--statuses", str(STATUSES), "--extra-values", str(EXTRA_VALUES),
                            "--varying-values", "--name-prefix", "wire", wait_subscribers=1)


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


# N peer connections in one Chromium page, signaled like web/src/connection.ts; `deflate`: the
# offer asks for deflate-raw and binary messages are inflated with DecompressionStream, in order.
_BROWSER_JS = """
async ([n, deflate]) => {""" + SIGNAL_JS + """
  window.stats = window.stats || { lat: [], wire: 0, text: 0, n: 0, binary: 0, seqs: [] };
  const inflate = async (buf) => new Response(new Blob([buf]).stream()
      .pipeThrough(new DecompressionStream("deflate-raw"))).text();
  const opened = [];
  for (let i = 0; i < n; i++) {
    opened.push(new Promise((resolve, reject) => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      const dc = pc.createDataChannel("chedweb", { protocol: "chedweb.v2" });
      dc.binaryType = "arraybuffer";
      const seqs = new Set(); window.stats.seqs.push(seqs);
      let tail = Promise.resolve();
      dc.onopen = () => resolve();
      dc.onmessage = (e) => {
        const binary = typeof e.data !== "string";
        const wire = binary ? e.data.byteLength : e.data.length;
        const text = binary ? inflate(e.data) : Promise.resolve(e.data);
        tail = tail.then(() => text).then((t) => {
          const now = (performance.timeOrigin + performance.now()) / 1000;
          const m = JSON.parse(t);
          if (m.type === "diagnostics" && window.measuring) {
            const s = window.stats;
            s.lat.push((now - m.stamp) * 1000); seqs.add(m.seq);
            s.n += 1; s.wire += wire; s.text += t.length; s.binary += binary ? 1 : 0;
          }
        });
      };
      signal(pc, deflate ? ["deflate-raw"] : undefined, reject);
      window.pcs = (window.pcs || []).concat([pc]);
    }));
  }
  await Promise.all(opened);
}
"""


def browser_phase(bridge: Bridge, peers: int, deflate: bool,
                  work: Callable[[], Burst]) -> tuple[Burst, dict[str, float]]:
    """`work` with `peers` Chromium peer connections connected, and what they received."""
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            page = browser.new_page()
            page.goto(bridge.url + "healthz")  # any same-origin page: the Origin check passes
            for done in range(0, peers, 5):  # a few at a time: max_pending_per_address
                page.evaluate(_BROWSER_JS, [min(5, peers - done), deflate])
            time.sleep(3.0)  # snapshots sent, steady state
            page.evaluate("() => { window.measuring = true; }")
            result = work()
            time.sleep(1.0)  # the last inflates
            page.evaluate("() => { window.measuring = false; }")
            got = page.evaluate("() => { const s = window.stats; return { lat: s.lat, wire: s.wire, "
                                "text: s.text, n: s.n, binary: s.binary, gaps: s.seqs.reduce((g, q) => "
                                "{ if (!q.size) return g; const a = [...q]; return g + Math.max(...a) - "
                                "Math.min(...a) + 1 - q.size; }, 0) }; }")
        finally:
            browser.close()
    n = max(got["n"], 1)
    if deflate and got["binary"] != got["n"]:
        raise RuntimeError("the bridge did not send what was asked")
    return result, {"p50": percentile(got["lat"], 50), "p99": percentile(got["lat"], 99),
                    "gaps": got["gaps"], "n": got["n"], "wire": got["wire"] / n, "text": got["text"] / n}


@dataclass
class Burst:
    """One phase's work: `count` arrays at RATE, every one received and sent before it ends."""
    cpu: float     # bridge CPU seconds over the phase
    floor: float   # the floor subscriber's CPU seconds over it
    t0: float
    t1: float
    sent: int      # DataChannel sends (one per peer per array, the bridge's own count)
    drops: int


def burst(bridge: Bridge, publisher: PublisherProcess, floor_pid: int, count: int) -> Burst:
    """CPU time, not a share of wall time: on a machine other work loads, the bridge may take
    longer to get through the same arrays, but the CPU it spends on them is what it costs."""
    health0 = bridge.health()
    cpu0, floor0, t0 = cpu_seconds(bridge.pid), cpu_seconds(floor_pid), time.time()
    publisher.burst(count, RATE)
    bridge.wait_messages(health0["messages_received"] + count, timeout=120)
    sent, still = -1, 0  # until the bridge has sent everything: the count stays put for 1 s
    while still < 2:
        time.sleep(0.5)
        now = bridge.health()["messages_forwarded"]
        still = still + 1 if now == sent else 0
        sent = now
    health = bridge.health()
    return Burst(cpu_seconds(bridge.pid) - cpu0, cpu_seconds(floor_pid) - floor0, t0, time.time(),
                 health["messages_forwarded"] - health0["messages_forwarded"],
                 health["drops"] - health0["drops"])



Phase = Callable[[], Burst]


def aiortc_phase(bridge: Bridge, peers: int, deflate: bool, work: Phase) -> tuple[Burst, dict[str, float]]:
    """`work` with `peers` aiortc clients connected, one process each (a client's SCTP receive
    path costs more than the bridge's send path: one process for all would fall behind)."""
    procs = []
    try:
        for _ in range(peers):  # one after the other: max_pending_per_address
            proc = subprocess.Popen([sys.executable, "-m", "bench.wire", "--clients", bridge.url,
                                     "--peers", "1", *(["--deflate"] if deflate else [])],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            procs.append(proc)
            assert proc.stdout is not None
            if proc.stdout.readline().strip() != "open":
                raise RuntimeError("a client did not connect")
        time.sleep(3.0)  # snapshots sent, steady state
        result = work()
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(f"{result.t0} {result.t1}\n")
            proc.stdin.flush()
        rows = []
        for proc in procs:
            assert proc.stdout is not None
            rows.append(json.loads(proc.stdout.readline()))
            proc.wait(timeout=30)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    lat = [x for r in rows for x in r["lat"]]
    n = sum(r["n"] for r in rows)
    return result, {"p50": percentile(lat, 50), "p99": percentile(lat, 99),
                    "gaps": sum(r["gaps"] for r in rows), "n": n,
                    "wire": sum(r["wire"] for r in rows) / max(n, 1),
                    "text": sum(r["text"] for r in rows) / max(n, 1)}


def run(peers: int, count: int, clients: str) -> None:
    print(f"# {machine()}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    bridge = Bridge("bench-wire-bridge", {"max_peers": peers + 8})
    floor_proc = NodeProcess([sys.executable, "-m", "bench.wire", "--floor"], "bench-wire-floor")
    publisher = start_publisher()
    try:
        floor_proc.wait_for_output("ready", timeout=40)
        bridge.take_from(publisher)
        publisher.burst(20, RATE)  # history, as a bridge that has run a while has
        time.sleep(2.0)

        def work() -> Burst:
            return burst(bridge, publisher, floor_proc.proc.pid, count)

        # The floor and the bridge with no peer, over the same arrays.
        idle = work()
        seconds = count / RATE  # what the arrays take at RATE: CPU seconds over it are shares
        floor_points = idle.floor / seconds * 100
        print(f"{count} arrays of {STATUSES} statuses x 20 keys at {RATE:g} Hz "
              f"({idle.t1 - idle.t0:.1f} s): "
              f"floor (raw rclpy subscriber) {floor_points:.2f} % of one core; bridge with 0 peers "
              f"{idle.cpu / seconds * 100:.2f} % ({idle.cpu / idle.floor:.1f}x floor)", flush=True)
        for label, deflate in (("text", False), ("deflate-raw", True)):
            phase = browser_phase if clients == "browser" else aiortc_phase
            result, stats = phase(bridge, peers, deflate, work)
            per_message_ms = (result.cpu - idle.cpu) / max(result.sent, 1) * 1000
            per_peer_points = per_message_ms * RATE / 10  # ms per message x messages per second
            print(f"{label:>11}, {peers} {clients} peers: bridge {result.cpu / seconds * 100:5.1f} % of one "
                  f"core; per peer {per_message_ms:.3f} ms of CPU per message = {per_peer_points:.3f} points "
                  f"at {RATE:g} Hz ({per_peer_points / floor_points:.2f}x floor); sent {result.sent} "
                  f"(of {count * peers}), drops {result.drops}; clients saw gaps {stats['gaps']}, live p50 "
                  f"{stats['p50']:.1f} ms p99 {stats['p99']:.1f} ms; {stats['wire']:.0f} B on the wire per "
                  f"message ({stats['text']:.0f} B of JSON, ratio "
                  f"{stats['text'] / max(stats['wire'], 1):.2f})", flush=True)
            time.sleep(2.0)  # the closed peers gone before the next phase
        print(f"# load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    finally:
        publisher.stop()
        floor_proc.stop()
        bridge.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 peers, 5 s phases (smoke check)")
    parser.add_argument("--peers", type=int, default=10)
    parser.add_argument("--arrays", type=int, default=200, help="arrays published per phase")
    parser.add_argument("--with", dest="with_clients", choices=("browser", "aiortc"), default="browser",
                        help="peers: connections in one headless Chromium page (default), or aiortc "
                             "clients, one process each")
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
        args.peers, args.arrays = 5, 50
    # Like every bench, this one prints figures and asserts nothing (docs/benchmarks.md).
    run(args.peers, args.arrays, args.with_clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
