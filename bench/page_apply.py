"""Page apply+redraw time in headless Chromium (issue 4: under 16 ms at p99).

Two loads, each fed into the built page's real DataChannel message handler through its
instrumentation hook (`window.chedweb.receive`, the same function the DataChannel calls: large
messages parsed and validated in the page's worker, applied when it answers; a page without it,
`feed`), paced in real time by timers in the page, the range selector on the history's length
(1 h, 5 min):
  1hz-1h:  hello + a snapshot holding one hour of 1 Hz history of the six system_metrics statuses
           (in parts below 64 KiB, as the bridge sends it), then live arrays one second apart;
  10hz-50: hello + a snapshot of 5 min of 10 Hz history, then live arrays of 50 statuses at 10 Hz.
The page applies a message at once and redraws on animation frames, one chart per frame (see
App.renderCharts). Printed: per frame, the apply time of the messages it shows plus its redraw
(DOM, charts, table; uPlot's paint included, see App.redraw); per message, the sum over every
frame between it and the next message (everything the page did for it, the once-a-second age
refresh included); and apply alone. Then per frame with the browser's style, layout and paint
(timed up to the task after the frame), against a floor measured in the same run: a fresh copy of
the page, nothing fed to it, the same messages at the same pace only JSON.parse'd, its frames
timed the same way; and the ratio. Loads with 1,000 statuses (3 keys, and issue 12's 20 keys at
10 Hz) are listed in run(); a "-held" load is timed only after its first second of live messages.

Why the hook rather than the real bridge: an hour of history would take an hour of publishing
to build through the bridge, and the figure wanted is the page's own cost, not the network's.
The messages are built by the bridge's own History and codec (chedweb_bridge), and the page
validates each one (the run fails if any is counted malformed).

  scripts/in-test-netns .venv/bin/python -m bench.page_apply [--quick]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import math
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chedweb_bridge import codec
from chedweb_bridge.history import History

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "web" / "dist"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOST = "robot-1"
# A "-held" load's live messages fed, untimed, before the timing starts (1 s at 10 Hz): each
# load's row ends with that count.
HELD_AFTER = 10
CORES = 4


def system_metrics_statuses(i: int) -> list[dict[str, Any]]:
    """The six system_metrics statuses (docs/protocol.md keys) for sample i, values as strings."""
    cpu = 35 + 25 * math.sin(i / 40)
    cores = {f"core {c} %": f"{max(0.0, cpu + 10 * math.sin(i / 7 + c)):.2f}" for c in range(CORES)}
    def st(task: str, values: dict[str, str], message: str = "OK") -> dict[str, Any]:
        return {"name": f"system_metrics: {task}", "level": 0, "message": message,
                "hardware_id": HOST, "values": values}
    procs: dict[str, str] = {}
    for r in range(1, 6):
        procs |= {f"{r} name": f"proc{r}", f"{r} pid": str(1000 + r), f"{r} cpu %": f"{20 / r:.1f}",
                  f"{r} rss MiB": f"{300 / r:.1f}"}
    nets: dict[str, str] = {"rx B/s": f"{20000 + 9000 * math.sin(i / 9):.0f}",
                            "tx B/s": f"{8000 + 3000 * math.cos(i / 11):.0f}"}
    for iface in ("eth0", "wlan0"):
        nets |= {f"{iface} rx B/s": "1000", f"{iface} tx B/s": "500", f"{iface} rx packets": str(10 * i),
                 f"{iface} tx packets": str(8 * i), f"{iface} errors in": "0", f"{iface} errors out": "0",
                 f"{iface} drops in": "0", f"{iface} drops out": "0", f"{iface} up": "1"}
    return [
        st("CPU", {"usage %": f"{cpu:.2f}", **cores, "load 1 min": "0.8", "load 5 min": "0.7",
                   "load 15 min": "0.6", "frequency MHz": "2400", "cores": str(CORES)}),
        st("Memory", {"used %": f"{48 + 4 * math.cos(i / 60):.2f}", "used MiB": "7800",
                      "available MiB": "8200", "total MiB": "16000", "swap used %": "0.00"}),
        st("Temperature", {"coretemp Package id 0 degC": f"{55 + 5 * math.sin(i / 90):.1f}",
                           "coretemp Package id 0 high degC": "80.0",
                           "coretemp Package id 0 critical degC": "100.0",
                           "acpitz temp1 degC": f"{45 + 2 * math.sin(i / 70):.1f}", "sensors": "2"}),
        st("Disk", {"/ used %": "61.20", "/ used GiB": "120.5", "/ free GiB": "76.3", "/ total GiB": "196.8",
                    "read B/s": "4096", "write B/s": "8192"}),
        st("Network", nets),
        st("Processes", procs),
    ]


def other_statuses(i: int, count: int, keys: int = 3) -> list[dict[str, Any]]:
    """Statuses from other nodes, shaped like test/helpers/ros_publisher.py's; `keys` above 3 adds
    keys like a driver's (numbers that move every sample, and a few that do not)."""
    def values(k: int) -> dict[str, str]:
        v = {"pub index": str(i), "value": f"{(i * 7 + k) % 100:.2f}", "label": "text, not a number"}
        for j in range(keys - 3):
            v[f"field {j}"] = f"{(i * (j + 1) + k) % 1000 / 10:.1f}" if j % 3 else f"{j * 10 + k % 7}"
        return v
    return [{"name": f"driver_{k}: status {k}", "level": 0, "message": f"message {i}",
             "hardware_id": "test-host", "values": values(k)}
            for k in range(count)]


def snapshot_parts(samples: list[tuple[float, list[dict[str, Any]]]], history_seconds: float) -> list[str]:
    """The bridge's own snapshot for these samples: its History and codec, so the parts, their
    split and their order are exactly what a browser connecting to the bridge would get."""
    history = History(history_seconds)
    for t, statuses in samples:
        history.add(t, statuses)
    return codec.encode_snapshot(history.series())


def hello(history_seconds: float) -> str:
    return codec.hello(HOST, "bench", ["/diagnostics"], history_seconds, 0)


def diagnostics(seq: int, stamp: float, statuses: list[dict[str, Any]]) -> str:
    """One live array as the bridge encodes it: one message, as these arrays are far below the
    size at which the bridge would split one."""
    (text,) = codec.encode_diagnostics(seq, "/diagnostics", stamp, statuses)
    return text


def scenario_1hz_hour(live: int) -> tuple[list[str], list[str], int]:
    t0 = time.time() - 3600
    history = [(t0 + i, system_metrics_statuses(i)) for i in range(3600)]
    setup = [hello(3600), *snapshot_parts(history, 3600)]
    msgs = [diagnostics(i + 1, t0 + 3600 + i, system_metrics_statuses(3600 + i)) for i in range(live)]
    return setup, msgs, 3600


def scenario_many(rate_hz: float, count: int, history_s: int, keys: int = 3, lean: bool = False) -> Any:
    """`count` statuses at `rate_hz` (an aggregator-sized robot), `history_s` of history, `keys`
    keys in each driver status: the bridge keeps 256 statuses in its history, so the snapshot
    holds that many and the rest arrive live. `lean`: the live arrays as a bridge with capability
    "interest" sends them to a page that opened no row (values only for the selected machine's
    system_metrics statuses, codec.lean_statuses); else every value, as an older bridge sends."""
    interest = frozenset((HOST, s["name"]) for s in system_metrics_statuses(0))
    def make(live: int) -> tuple[list[str], list[str], int]:
        others = count - 6
        step = 1 / rate_hz
        n = int(history_s * rate_hz)
        t0 = time.time() - history_s
        history = [(t0 + i * step, system_metrics_statuses(i) + other_statuses(i, others, keys))
                   for i in range(n)]
        setup = [hello(3600), *snapshot_parts(history, 3600)]
        msgs: list[Any] = []
        for i in range(live):
            statuses = system_metrics_statuses(n + i) + other_statuses(n + i, others, keys)
            if lean:
                statuses = codec.lean_statuses(statuses, interest)
            msgs.append(codec.encode_diagnostics(i + 1, "/diagnostics", t0 + history_s + i * step, statuses))
        return setup, msgs, 300
    return make


def scenario_10hz_50(live: int) -> tuple[list[str], list[str], int]:
    others = 50 - 6
    t0 = time.time() - 300
    history = [(t0 + i / 10, system_metrics_statuses(i) + other_statuses(i, others)) for i in range(3000)]
    setup = [hello(3600), *snapshot_parts(history, 3600)]
    msgs = [diagnostics(i + 1, t0 + 300 + i / 10,
                        system_metrics_statuses(3000 + i) + other_statuses(3000 + i, others))
            for i in range(live)]
    return setup, msgs, 300


# Runs in the page: feeds the setup at once, waits for it to be drawn, then feeds one live message
# every `interval` ms (timer-paced; an entry that is a list is one split array, fed at once) and
# returns the hook's stats once the last one is drawn.
FEED_JS = """async ([interval, warm]) => {
  const [setup, all] = [window.benchSetup, window.benchMsgs];
  const hook = window.chedweb;
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  for (const m of setup) (hook.receive ?? hook.feed)(m);
  // Until the worker has answered for every message (the snapshot is applied when it has).
  const drained = async () => { while ((hook.parsing?.() ?? 0) > 0) await frame(); };
  await drained();
  // `warm` live messages first, untimed, at the same pace: the page as it is once connected.
  for (let i = 0; i < warm; i++) {
    await new Promise((r) => setTimeout(r, interval));
    for (const m of [].concat(all[i])) (hook.receive ?? hook.feed)(m);
  }
  await drained();
  const msgs = all.slice(warm);
  for (let i = 0; i < 6; i++) await frame();
  hook.resetTimings();
  const bounds = [];
  const start = performance.now();
  for (let i = 0; i < msgs.length; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    bounds.push(hook.frameCount());
    // One array's messages together (a split array arrives as several, back to back), each through
    // the DataChannel's own handler (large ones parsed in the page's worker).
    for (const m of [].concat(msgs[i])) (hook.receive ?? hook.feed)(m);
  }
  await drained();
  for (let i = 0; i < 6; i++) await frame();
  bounds.push(hook.frameCount());
  const stats = hook.stats();
  // Per message: every frame between it and the next message (its apply, and its redraw spread
  // over frames); the once-a-second age refresh lands in some of these too.
  const perMessage = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    let sum = 0;
    for (let k = bounds[i]; k < bounds[i + 1]; k++) sum += stats.frameMs[k];
    perMessage.push(sum);
  }
  return { ...stats, perMessage };
}"""


# The floor, in a fresh copy of the same page with nothing fed to it: the same messages at the same
# pace, each only JSON.parse'd (what any page must do to receive them), and an animation-frame
# loop timed as the page times its frames. Counted: the frames that follow a message (the frames
# that would show it), each as the parse time of its messages plus its callback (script), and
# plus the browser's own rendering up to the next task (rendered).
FLOOR_JS = """async ([interval]) => {
  const msgs = window.benchMsgs;
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  for (let i = 0; i < 6; i++) await frame();
  const script = [], rendered = [];
  let parsed = 0, parsedTotal = 0, running = true, sink = 0;
  const channel = new MessageChannel();
  const after = [];
  channel.port1.onmessage = () => after.shift()();
  const loop = () => {
    if (!running) return;
    requestAnimationFrame(loop);
    if (parsed === 0) return;
    const t0 = performance.now(), applied = parsed, before = parsedTotal;
    parsed = 0;
    queueMicrotask(() => queueMicrotask(() => script.push(performance.now() - t0 + applied)));
    after.push(() => rendered.push(performance.now() - t0 + applied - (parsedTotal - before)));
    channel.port2.postMessage(null);
  };
  requestAnimationFrame(loop);
  const start = performance.now();
  for (let i = 0; i < msgs.length; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    for (const m of [].concat(msgs[i])) {
      const t = performance.now();
      sink += Object.keys(JSON.parse(m)).length;
      const ms = performance.now() - t;
      parsed += ms;
      parsedTotal += ms;
    }
  }
  for (let i = 0; i < 6; i++) await frame();
  running = false;
  return { script, rendered, sink };
}"""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@functools.cache
def _handler(dist: Path) -> Any:
    return functools.partial(_QuietHandler, directory=str(dist))


@contextlib.contextmanager
def serve_dist(dist: Path = DIST) -> Iterator[str]:
    """web/dist over HTTP on loopback (module scripts do not load from file://)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(dist))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/?autoconnect=0"
    finally:
        server.shutdown()
        server.server_close()


def hand_over(page: Any, name: str, messages: list[Any]) -> None:
    """Puts the messages into the page as window[name], a few at a time: one evaluate with all of
    them (over 100 MB for 1,000 statuses x 20 keys) stalls Playwright's driver."""
    page.evaluate(f"() => {{ window.{name} = []; }}")
    for i in range(0, len(messages), 8):
        page.evaluate(f"(batch) => {{ window.{name}.push(...batch); }}", messages[i:i + 8])


def summary(values: list[float]) -> dict[str, float | int | None]:
    """n, p50, p99 (nearest rank) and max, as the page's own Timings.summary."""
    if not values:
        return {"n": 0, "p50": None, "p99": None, "max": None}
    s = sorted(values)

    def rank(p: float) -> float:
        return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]

    return {"n": len(s), "p50": rank(50), "p99": rank(99), "max": s[-1]}


def fmt(ms: float | None) -> str:
    return "-" if ms is None else f"{ms:.2f}"


def triple(s: dict[str, Any]) -> str:
    return f"{fmt(s['p50'])}/{fmt(s['p99'])}/{fmt(s['max'])}"


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or b is None or b <= 0 else f"{a / b:.1f}x"


def run(quick: bool, dist: Path = DIST, only: str = "", live: int = 0) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    if not (dist / "index.html").is_file():
        raise SystemExit(f"{dist}/index.html missing: build the page first (make web)")
    loads = [
        # Paced in real time: the page redraws a chart at most once per pixel of time (at least
        # every second), so feeding 1 Hz data faster than 1 Hz would skip redraws it really does.
        ("1hz-1h", "1 Hz, 6 statuses, 1 h of history", scenario_1hz_hour, 15 if quick else 120, 1000.0, 0),
        ("10hz-50", "10 Hz, 50 statuses, 5 min of history", scenario_10hz_50, 50 if quick else 300, 100.0, 0),
        # 1,000 statuses: arrays above 64 KiB, which the bridge splits into several messages with
        # the same seq (fed one after another, as they arrive).
        ("1hz-1000", "1 Hz, 1000 statuses, 5 min of history", scenario_many(1, 1000, 300),
         15 if quick else 60, 1000.0, 0),
        ("10hz-1000", "10 Hz, 1000 statuses, 30 s of history", scenario_many(10, 1000, 30),
         50 if quick else 300, 100.0, 0),
        # Issue 12's page goal: 1,000 statuses x 20 keys at 10 Hz (each array about 0.8 MB of JSON,
        # in about 13 parts).
        # 150 arrays (15 s) rather than 300: each array is about 0.8 MB, all of them held in the page.
        ("10hz-1000x20", "10 Hz, 1000 statuses x 20 keys, 30 s", scenario_many(10, 1000, 30, keys=20),
         50 if quick else 150, 100.0, 0),
        # The same robot as a page gets it from this bridge (capability "interest": values only
        # for the statuses the page shows; with no row open, the selected machine's system_metrics).
        ("10hz-1000x20-lean", "10 Hz, 1000 statuses x 20 keys, 30 s, lean live arrays",
         scenario_many(10, 1000, 30, keys=20, lean=True), 50 if quick else 150, 100.0, 0),
        # The same, timed from the second live second on: the page that holds the load, without the
        # first 0.1 s after connecting, while the first live array's 744 statuses beyond the
        # snapshot's 256 are listed (a few frames over 16 ms there: slow frames print when).
        ("10hz-1000x20-lean-held", "the same, after 1 s of live arrays (untimed)",
         scenario_many(10, 1000, 30, keys=20, lean=True), 50 if quick else 150, 100.0, HELD_AFTER),
    ]
    loads = [load for load in loads if not only or load[0] in only.split(",")]
    results = []
    with serve_dist(dist) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            for key, label, make, count, interval, warm in loads:
                setup, msgs, window = make((live or count) + warm)
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(url)
                page.wait_for_function("() => window.chedweb !== undefined")
                page.select_option('[data-testid="range-select"]', str(window))
                hand_over(page, "benchSetup", setup)
                hand_over(page, "benchMsgs", msgs)
                stats = page.evaluate(FEED_JS, [interval, warm])
                page.close()
                floor_page = browser.new_page(viewport={"width": 1280, "height": 1000})
                floor_page.goto(url)
                floor_page.wait_for_function("() => window.chedweb !== undefined")
                hand_over(floor_page, "benchMsgs", msgs[warm:])
                floor = floor_page.evaluate(FLOOR_JS, [interval])
                floor_page.close()
                counters = stats["counters"]
                if counters["malformed"]:
                    raise SystemExit(f"{key}: the page refused {counters['malformed']} messages: "
                                     f"{counters['lastMalformed']}")
                results.append({"load": key, "label": label, "messages": len(msgs) - warm,
                                "snapshot_parts": len(setup) - 1, "frames": stats["frame"]["n"],
                                "chart_points": stats["chartPoints"]["cpu-memory"],
                                "frame": stats["frame"], "apply": stats["apply"],
                                "rendered": stats["rendered"],
                                "floor": summary(floor["script"]),
                                "floor_rendered": summary(floor["rendered"]),
                                "redraw": stats["redraw"], "sections": stats["sections"],
                                "slow_frames": stats.get("slowFrames", []),
                                "message": summary(stats["perMessage"])})
        finally:
            browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="page apply+redraw time in headless Chromium")
    parser.add_argument("--quick", action="store_true", help="fewer live messages")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    # --dist: another build of the page (e.g. an older commit's, to compare before and after).
    parser.add_argument("--dist", type=Path, default=DIST, help="built page to serve (default web/dist)")
    parser.add_argument("--loads", default="", help="comma-separated load keys (default: all)")
    parser.add_argument("--live", type=int, default=0, help="live messages per load (default: the load's)")
    args = parser.parse_args(argv)
    results = run(args.quick, args.dist, args.loads, args.live)
    print("page_apply: apply+redraw in headless Chromium, ms (target: p99 < 16)")
    print(f"{'load':<38} {'msgs':>5} {'frames':>6} | {'per frame p50/p99/max':>22} | "
          f"{'per message p50/p99/max':>24} | {'apply p50/p99':>13}")
    for r in results:
        f, m, a = r["frame"], r["message"], r["apply"]
        print(f"{r['label']:<38} {r['messages']:>5} {r['frames']:>6} | "
              f"{triple(f):>22} | {triple(m):>24} | {fmt(a['p50']) + '/' + fmt(a['p99']):>13}")
    # With rendering: the script above plus the browser's style, layout and paint that follow it,
    # against the floor (the same messages only parsed, in the same page, same pace, same run).
    print("\nper frame with style/layout/paint, against the floor (parse only), ms")
    print(f"{'load':<38} {'page p50/p99/max':>22} | {'floor p50/p99/max':>22} | {'ratio p50/p99':>13}")
    for r in results:
        g, fl = r["rendered"], r["floor_rendered"]
        print(f"{r['label']:<38} {triple(g):>22} | {triple(fl):>22} | "
              f"{ratio(g['p50'], fl['p50']) + '/' + ratio(g['p99'], fl['p99']):>13}")
    # What the frames over 16 ms (with rendering) spent their time on: the mean per part over them.
    print("\nframes of 16 ms or more (with rendering): how many, and their mean ms per part (top 6)")
    for r in results:
        slow = r["slow_frames"]
        if not slow:
            print(f"{r['label']:<38} none")
            continue
        parts: dict[str, float] = {"apply": sum(f["applied"] for f in slow)}
        for f in slow:
            for name, ms in f["parts"].items():
                parts[name] = parts.get(name, 0.0) + ms
        top = sorted(parts.items(), key=lambda kv: -kv[1])[:6]
        print(f"{r['label']:<38} {len(slow):>3} (last 64 kept): "
              + ", ".join(f"{name} {ms / len(slow):.1f}" for name, ms in top))
        print(f"{'':<38} at s: " + ", ".join(f"{f['at'] / 1e3:.1f} ({f['rendered']:.0f} ms)"
                                              for f in slow[:12]))
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
