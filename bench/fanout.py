"""webrtc_bridge fan-out at 10 Hz to 1, 10, 25 and 50 clients (issue 3: 25 clients with no drops
under 25 % of one core; RSS growth under 1 MB per client).

A real rclpy publisher process sends arrays of 20 statuses at 10 Hz; the real bridge process
forwards them to N aiortc clients (connected through /ws as the page is, all in this process).
For each N: the bridge's CPU share of one core (/proc/<pid>/stat), its RSS (/proc/<pid>/status)
and RSS growth per client over the no-client figure, p99 latency over every client's messages,
and drops (the bridge's own count from /healthz, and sequence gaps seen by the clients).
The clients share this machine with the bridge: their own CPU use competes with it.

Then the same again (a fresh bridge) with N RTCPeerConnections in one headless Chromium page
instead (real browser WebRTC/SCTP, signaled through /ws exactly as the page does it): aiortc as a
client acknowledges every SCTP packet, browsers do not, and that costs the bridge CPU.

  scripts/in-test-netns .venv/bin/python -m bench.fanout [--quick] [--clients aiortc|browser|both]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

from bench.latency import Window, latencies_ms, seq_gaps, start_publisher
from bench.procstat import percentile, rss_mib
from test.helpers.bridge_proc import Bridge
from test.helpers.webrtc_client import BridgeClient

COUNTS = (1, 10, 25, 50)


async def run(bridge: Bridge, seconds: float) -> None:
    publisher = await asyncio.to_thread(start_publisher, 10.0)
    clients: list[BridgeClient] = []
    try:
        await asyncio.sleep(2.0)
        rss0 = rss_mib(bridge.pid)
        print(f"0 clients: bridge RSS {rss0:.1f} MiB", flush=True)
        for count in COUNTS:
            # Drops are counted over the whole step (connecting and settling included), so that a
            # gap a stalled client only notices later is still matched by the bridge's count.
            drops0 = (await asyncio.to_thread(bridge.health))["drops"]
            while len(clients) < count:
                batch = [BridgeClient(bridge.url) for _ in range(min(5, count - len(clients)))]
                await asyncio.gather(*(c.connect(timeout=30) for c in batch))
                clients += batch
            await asyncio.sleep(2.0)  # snapshots sent, steady state
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
                  f"drops {health['drops'] - drops0} this step (client-seen gaps {gaps})  n={len(lat)}",
                  flush=True)
            for c in clients:  # keep memory flat in this process between steps
                c.messages.clear()
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        await asyncio.to_thread(publisher.stop)


# N peer connections in one page, each signaled through /ws like web/src/connection.ts does.
_BROWSER_JS = """
async (n) => {
  const wsUrl = location.origin.replace(/^http/, "ws") + "/ws";
  window.lat = []; window.seqs = [];
  const opened = [];
  for (let i = 0; i < n; i++) {
    opened.push(new Promise((resolve, reject) => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      const dc = pc.createDataChannel("chedweb");
      const ws = new WebSocket(wsUrl);
      const seqs = new Set(); window.seqs.push(seqs);
      const queued = []; let offered = false;
      const send = (m) => { if (offered) ws.send(m); else queued.push(m); };
      pc.onicecandidate = (e) => send(JSON.stringify(e.candidate
        ? { type: "candidate", candidate: e.candidate.candidate, sdpMid: e.candidate.sdpMid,
            sdpMLineIndex: e.candidate.sdpMLineIndex }
        : { type: "candidate", candidate: null }));
      dc.onopen = () => resolve();
      dc.onmessage = (e) => {
        const now = (performance.timeOrigin + performance.now()) / 1000;
        const m = JSON.parse(e.data);
        if (m.type === "diagnostics" && window.measuring) {
          window.lat.push((now - m.stamp) * 1000); seqs.add(m.seq);
        }
      };
      ws.onmessage = async (e) => {
        const m = JSON.parse(e.data);
        if (m.type === "answer") await pc.setRemoteDescription({ type: "answer", sdp: m.sdp });
        else if (m.type === "error") reject(new Error(m.message));
      };
      ws.onopen = async () => {
        await pc.setLocalDescription(await pc.createOffer());
        ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
        offered = true; for (const q of queued.splice(0)) ws.send(q);
      };
      window.pcs = (window.pcs || []).concat([pc]);
    }));
  }
  await Promise.all(opened);
}
"""


def run_browser(bridge: Bridge, seconds: float) -> None:
    from playwright.sync_api import sync_playwright

    publisher = start_publisher(10.0)
    args = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            time.sleep(2.0)
            rss0 = rss_mib(bridge.pid)
            print(f"0 browser peers: bridge RSS {rss0:.1f} MiB", flush=True)
            connected = 0
            pages = []
            for count in COUNTS:
                drops0 = bridge.health()["drops"]
                # One page per step, adding the difference: every earlier page stays connected.
                page = browser.new_page()
                page.goto(bridge.url + "healthz")  # any same-origin page: the Origin check passes
                page.evaluate(_BROWSER_JS, count - connected)
                pages.append(page)
                connected = count
                time.sleep(2.0)
                window = Window(bridge.pid)
                for pg in pages:
                    pg.evaluate("() => { window.lat = []; window.seqs.forEach(s => s.clear()); "
                                "window.measuring = true; }")
                window.start()
                time.sleep(seconds)
                share = window.cpu_share()
                lat: list[float] = []
                gaps = 0
                for pg in pages:
                    pg.evaluate("() => { window.measuring = false; }")
                    lat += pg.evaluate("() => window.lat")
                    gaps += pg.evaluate("() => window.seqs.reduce((g, s) => { if (!s.size) return g;"
                                        " const a = [...s]; return g + Math.max(...a) - Math.min(...a) + 1"
                                        " - s.size; }, 0)")
                health = bridge.health()
                rss = rss_mib(bridge.pid)
                print(f"{count:>2} browser peers at 10 Hz, 20 statuses: bridge CPU {share * 100:5.1f} % "
                      f"of one core  RSS {rss:.1f} MiB (+{(rss - rss0) / count:.2f} MiB/peer)  "
                      f"p50 {percentile(lat, 50):.2f} ms  p99 {percentile(lat, 99):.2f} ms  "
                      f"drops {health['drops'] - drops0} this step (browser-seen gaps {gaps})  n={len(lat)}",
                      flush=True)
            browser.close()
    finally:
        publisher.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short runs (smoke check)")
    parser.add_argument("--clients", choices=("aiortc", "browser", "both"), default="both")
    args = parser.parse_args(argv)
    seconds = 4.0 if args.quick else 20.0
    if args.clients in ("aiortc", "both"):
        print("aiortc clients (in this process):", flush=True)
        bridge = Bridge("bench-fanout-bridge", {"max_peers": 64})
        try:
            asyncio.run(run(bridge, seconds))
        finally:
            bridge.stop()
    if args.clients in ("browser", "both"):
        print("headless Chromium peers (one page):", flush=True)
        bridge = Bridge("bench-fanout-bridge-browser", {"max_peers": 64})
        try:
            run_browser(bridge, seconds)
        finally:
            bridge.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
