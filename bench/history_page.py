"""Page usable on a 7-day range after connect, in real Chromium against a real bridge whose store
holds 7 days (issue 10: charts drawn in under 1 s).

    scripts/in-test-netns .venv/bin/python -m bench.history_page [--quick] [--loads 5] [--days 7]

1. A history file is filled through the store's own API (StoreWorker.add/step, what its thread
   runs) with bench/history.py's load (system_metrics' six statuses plus 50 statuses x 10 keys,
   hardware_id "robot1"), one array a minute for `--days` days ending now: the minute tier that a
   7-day chart reads is then as full as at 1 Hz (one point a minute), in minutes instead of a
   week. (Raw samples are sparse, which a 7-day chart never reads.)
2. A real bridge (the webrtc_bridge console script, this worktree's code) opens that file, and the
   real system_metrics node (hardware_id "robot1", 1 Hz) feeds it live.
3. Headless Debian Chromium loads the built page (web/dist, served by the bridge) with
   `?range=604800`, `--loads` times, each in a fresh browser context. Timed in the page
   (performance.now(), from navigation start):
   - connected: the page's first `query` sent (hello received, capabilities known) = the floor:
     page load, signaling, ICE/DTLS and the snapshot, everything but the 7-day data;
   - usable: every machine chart drawn from the store's answer over the 7-day window
     (`data-source="query"`, its span 604,800 s, points drawn).
   Printed: median and max of both, and usable / connected.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time

from bench.__main__ import machine
from bench.history import DAY, Load, feed
from chedweb_bridge.store.worker import StoreWorker
from test.helpers.bridge_proc import Bridge
from test.helpers.metrics_proc import start_system_metrics
from test.helpers.procs import in_test_netns

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WEEK = 7 * DAY

# Timestamps the page's first query (performance.now(), ms from navigation start).
FIRST_QUERY_JS = """
(() => {
  window.__firstQuery = undefined;
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    if (window.__firstQuery === undefined && String(data).includes('"type":"query"')) {
      window.__firstQuery = performance.now();
    }
    return send.call(this, data);
  };
})();
"""

# True once every machine chart shows the store's answer over the whole week.
DRAWN_JS = """
() => {
  const charts = [...document.querySelectorAll('.chart[data-testid^="chart-"]')];
  const ok = charts.length > 0 && charts.every((e) => e.dataset.source === 'query'
    && Number(e.dataset.to) - Number(e.dataset.from) === WEEK && Number(e.dataset.drawn) > 0);
  return ok ? performance.now() : false;
}
""".replace("WEEK", str(int(WEEK)))


def fill(path: str, days: int, end: float) -> float:
    """`days` of the load, one array a minute, ending at `end`; the CPU seconds it took."""
    worker = StoreWorker(path, 512 * 1_000_000)
    c0 = time.process_time()
    start = end - days * DAY
    for d in range(days):
        feed(worker, Load(seed=d + 1), start + d * DAY, DAY, 60, flush_s=600)
    worker.step(end, flush=True, trim=True)
    worker.stop()
    return time.process_time() - c0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--loads", type=int, default=5, help="page loads measured (after one warm-up)")
    parser.add_argument("--quick", action="store_true", help="2 days in the store, 2 page loads")
    args = parser.parse_args()
    if args.quick:
        args.days, args.loads = 2, 2
    if not in_test_netns():
        print("opens sockets: run inside scripts/in-test-netns", file=sys.stderr)
        return 2
    print(f"# bench.history_page  {machine()}", flush=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chedweb-bench-history-page-") as tmp:
        path = os.path.join(tmp, "history.sqlite3")
        cpu = fill(path, args.days, time.time())
        print(f"  store: {args.days} days, {os.path.getsize(path) / 1e6:.1f} MB, filled in {cpu:.0f} s "
              "of CPU", flush=True)
        metrics = start_system_metrics("bench-history-page-metrics", period=1.0, hardware_id="robot1")
        bridge = Bridge("bench-history-page-bridge", {"history_path": path})
        connected: list[float] = []
        usable: list[float] = []
        try:
            bridge.wait_messages(3)
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for i in range(args.loads + 1):
                    context = browser.new_context(viewport={"width": 1280, "height": 1000})
                    page = context.new_page()
                    page.add_init_script(FIRST_QUERY_JS)
                    page.goto(f"{bridge.url}?range={WEEK}")
                    done = page.wait_for_function(DRAWN_JS, timeout=60_000, polling="raf")
                    drawn = float(done.json_value())
                    first = float(page.evaluate("() => window.__firstQuery"))
                    context.close()
                    label = "warm-up" if i == 0 else f"load {i}"
                    print(f"  {label}: connected (first query) {first:.0f} ms, usable (7 d charts drawn) "
                          f"{drawn:.0f} ms", flush=True)
                    if i > 0:
                        connected.append(first)
                        usable.append(drawn)
                browser.close()
        finally:
            bridge.stop()
            metrics.stop()
    print(f"connected ms: median {statistics.median(connected):.0f}, max {max(connected):.0f}")
    print(f"usable ms: median {statistics.median(usable):.0f}, max {max(usable):.0f}")
    after = [u - c for u, c in zip(usable, connected, strict=True)]
    print(f"usable after connect ms: median {statistics.median(after):.0f}, max {max(after):.0f}")
    print(f"usable / connected (median): {statistics.median(usable) / statistics.median(connected):.2f}")
    print(f"load average: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
