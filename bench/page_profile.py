"""Where a page_apply load spends the page's main thread: a Chromium trace (CDP tracing through
Playwright) of one load, summed by trace event (script, style, layout, paint, GC) and, from the
V8 CPU profile in it, by JavaScript function (self time). To look before changing the page; the
figures to compare are page_apply's.

  scripts/in-test-netns .venv/bin/python -m bench.page_profile [--load 10hz-1000x20] [--live 50]
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import page_apply

CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "v8.execute",
              "disabled-by-default-v8.cpu_profiler", "blink.user_timing"]


def main_thread_events(trace: dict[str, Any]) -> tuple[list[dict[str, Any]], int, int]:
    """The renderer main thread's complete events (the thread named CrRendererMain that ran most)."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {(e["pid"], e["tid"]) for e in events if e.get("name") == "thread_name"
             and e.get("args", {}).get("name") == "CrRendererMain"}
    busy: collections.Counter[tuple[int, int]] = collections.Counter()
    for e in events:
        if (e.get("pid"), e.get("tid")) in names and e.get("ph") == "X":
            busy[(e["pid"], e["tid"])] += e.get("dur", 0)
    pid, tid = busy.most_common(1)[0][0]
    return [e for e in events if e.get("pid") == pid and e.get("tid") == tid], pid, tid


def self_times(events: list[dict[str, Any]]) -> collections.Counter[str]:
    """Self time (ms) per trace event name: nested complete events subtract from their parent."""
    xs = sorted((e for e in events if e.get("ph") == "X" and "dur" in e), key=lambda e: (e["ts"], -e["dur"]))
    out: collections.Counter[str] = collections.Counter()
    stack: list[tuple[int, str]] = []
    for e in xs:
        start, end = e["ts"], e["ts"] + e["dur"]
        while stack and stack[-1][0] <= start:
            stack.pop()
        out[e["name"]] += e["dur"] / 1000
        if stack:
            out[stack[-1][1]] -= e["dur"] / 1000
        stack.append((end, e["name"]))
    return out


def js_self_times(events: list[dict[str, Any]], pid: int, tid: int | None = None) -> collections.Counter[str]:
    """Self time (ms) per JS function from the trace's V8 CPU profile chunks of the renderer's
    thread `tid` (all its threads when None). Each thread (the page's, its workers') has a profile
    of its own whose node ids overlap the others': nodes are keyed by profile and id."""
    threads = {e.get("id"): e.get("tid") for e in events
               if e.get("name") == "Profile" and e.get("pid") == pid}
    nodes: dict[tuple[Any, int], str] = {}
    counts: collections.Counter[tuple[Any, int]] = collections.Counter()
    for e in events:
        if e.get("name") != "ProfileChunk" or e.get("pid") != pid:
            continue
        profile = e.get("id")
        if tid is not None and threads.get(profile, e.get("tid")) != tid:
            continue
        data = e.get("args", {}).get("data", {})
        for n in data.get("cpuProfile", {}).get("nodes", []):
            f = n["callFrame"]
            where = f"{Path(f.get('url', '')).name}:{f.get('lineNumber', -1) + 1}"
            nodes[(profile, n["id"])] = f"{f.get('functionName') or '(anon)'} {where}"
        for node_id, delta in zip(data.get("cpuProfile", {}).get("samples", []), data.get("timeDeltas", []),
                                  strict=False):
            counts[(profile, node_id)] += delta
    out: collections.Counter[str] = collections.Counter()
    for key, us in counts.items():
        out[nodes.get(key, str(key))] += us
    return collections.Counter({name: us / 1000 for name, us in out.items()})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--load", default="10hz-1000x20")
    parser.add_argument("--live", type=int, default=50, help="live messages")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--live-only", action="store_true",
                        help="apply the setup (snapshot) before tracing: trace the live arrays only")
    parser.add_argument("--dist", type=Path, default=page_apply.DIST,
                        help="built page (an unminified build names functions)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    makers = {"10hz-50": (page_apply.scenario_10hz_50, 100.0, 300),
              "10hz-1000": (page_apply.scenario_many(10, 1000, 30), 100.0, 300),
              "10hz-1000x20": (page_apply.scenario_many(10, 1000, 30, keys=20), 100.0, 300),
              "10hz-1000x20-lean": (page_apply.scenario_many(10, 1000, 30, keys=20, lean=True), 100.0, 300)}
    make, interval, _ = makers[args.load]
    setup, msgs, window = make(args.live)
    with (page_apply.serve_dist(args.dist) as url, sync_playwright() as p,
          tempfile.TemporaryDirectory() as tmp):
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=page_apply.CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(url)
        page.wait_for_function("() => window.chedweb !== undefined")
        page.select_option('[data-testid="range-select"]', str(window))
        path = Path(tmp) / "trace.json"
        page_apply.hand_over(page, "benchSetup", setup)
        page_apply.hand_over(page, "benchMsgs", msgs)
        if args.live_only:
            # The setup (hello, snapshot, its merge) before tracing: the trace is then the live
            # arrays' alone.
            page.evaluate("""async () => {
              const hook = window.chedweb;
              const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
              for (const m of window.benchSetup) (hook.receive ?? hook.feed)(m);
              while ((hook.parsing?.() ?? 0) > 0) await frame();
              for (let i = 0; i < 30; i++) await frame();
              window.benchSetup = [];
            }""")
        browser.start_tracing(page=page, path=str(path), categories=CATEGORIES)
        stats = page.evaluate(page_apply.FEED_JS, [interval, 0])
        browser.stop_tracing()
        browser.close()
        trace = json.loads(path.read_text())
    events, pid, tid = main_thread_events(trace)
    total = sum(e.get("dur", 0) for e in events if e.get("ph") == "X" and e.get("name") == "RunTask") / 1000
    print(f"{args.load}, {args.live} live messages: main thread busy {total:.0f} ms in tasks; "
          f"per frame (script) {stats['frame']}; rendered {stats['rendered']}")
    print("\nself time by trace event, ms")
    for name, ms in self_times(events).most_common(args.top):
        print(f"  {ms:9.1f}  {name}")
    all_events = trace["traceEvents"] if isinstance(trace, dict) else trace
    print("\nself time by JavaScript function (CPU profile), page's thread, ms")
    for name, ms in js_self_times(all_events, pid, tid).most_common(args.top):
        print(f"  {ms:9.1f}  {name}")
    print("\nself time by JavaScript function (CPU profile), every thread of the page (its workers too), ms")
    for name, ms in js_self_times(all_events, pid).most_common(args.top // 2):
        print(f"  {ms:9.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
