"""webrtc_bridge memory (issue 12: RSS idle < 90 MiB, RSS per peer < 0.5 MiB), against a floor
measured in the same run.

A real rclpy publisher process sends 50 statuses x 20 keys at 10 Hz. Two real processes receive
it: the floor (bench/floor_subscriber.py, a raw rclpy subscriber doing nothing else: what any
Python ROS 2 node on this topic costs) and the real webrtc_bridge. After `--settle` seconds:
both RSS (/proc/<pid>/status) and how each splits between anonymous memory and mapped files
(/proc/<pid>/smaps_rollup). Then N aiortc clients (in this process, connected through /ws as
the page is) for each N of `--peers`: the bridge's RSS, per peer over idle and per peer above
the first (the first peer pays once for aiortc's and OpenSSL's first use), and which libraries'
pages the first peer mapped in (the one-time cost of importing the WebRTC stack). Then every
client closes, and the RSS a bridge keeps once its peers have gone.

The idle figures are of a bridge that nothing has asked anything over HTTP, as on a robot nobody is
looking at: its Flask app is built by the first request (lazy_web.py). Right after them one
/healthz checks that it was receiving, and the RSS after that request is printed too; the
per-peer figures are over that one.

The idle figure after `--settle` seconds is a bridge whose data is still growing: the store's open
blocks grow until they seal (102 s at 10 Hz), and the live history's two points a bucket of
history_seconds / 150 (24 s by default) fill its window for a whole history_seconds, slowly: at
most ~420 rows a status, whatever the rate (before issue 12's hist4 change: 3,600 samples a status,
full after 6 minutes at 10 Hz). `--steady S` waits S seconds more and prints the idle figure again;
the peers then connect to a bridge whose data no longer grows, so the per-peer figures are
peers only.

  scripts/in-test-netns .venv/bin/python -m bench.memory [--quick] [--peers 1,10,25] [--settle S]
      [--steady S]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from bench.procstat import rss_mib
from test.helpers.bridge_proc import Bridge
from test.helpers.procs import NodeProcess
from test.helpers.webrtc_client import BridgeClient

STATUSES = 50
KEYS = 20  # the publisher's "pub index" and "value", plus 18 more


def smaps(pid: int) -> dict[str, float]:
    """/proc/<pid>/smaps_rollup's kB fields, in MiB."""
    out: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        parts = value.split()
        if parts and parts[-1] == "kB":
            out[key] = int(parts[0]) / 1024
    return out


_MAPPING = re.compile(r"^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$")


def library(path: str) -> str:
    """What a mapped file belongs to: the Python package under site-packages (its bundled
    libraries, `av.libs`, count as `av`), else the file's name."""
    if "/site-packages/" in path:
        top = path.split("/site-packages/", 1)[1].split("/", 1)[0]
        return re.sub(r"(\.libs|[-.].*)$", "", top)
    return path.rsplit("/", 1)[-1]


def mapped_files(pid: int) -> dict[str, float]:
    """RSS of the files mapped into a process (MiB), by library."""
    out: dict[str, float] = defaultdict(float)
    name = ""
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        match = _MAPPING.match(line)
        if match:
            name = match.group(1)
        elif line.startswith("Rss:") and name.startswith("/"):
            out[library(name)] += int(line.split()[1]) / 1024
    return out


def describe(pid: int) -> str:
    s = smaps(pid)
    anon = s.get("Anonymous", 0.0)
    return (f"RSS {s.get('Rss', 0.0):6.1f} MiB (anonymous {anon:5.1f}, mapped files "
            f"{s.get('Rss', 0.0) - anon:5.1f})")


def start(cmd: list[str], name: str, needle: str, timeout: float = 40.0) -> NodeProcess:
    proc = NodeProcess(cmd, name)
    try:
        proc.wait_for_output(needle, timeout=timeout)
    except AssertionError:
        proc.stop()
        raise
    return proc


def print_idle(bridge: Bridge, floor: NodeProcess, floor_label: str, after: str, prefix: str) -> float:
    """The floor's and the idle bridge's RSS now, and their ratio; returns the bridge's."""
    floor_rss, idle = rss_mib(floor.proc.pid), rss_mib(bridge.pid)
    print(f"{floor_label} {describe(floor.proc.pid)}", flush=True)
    print(f"{'bridge, no peer yet (' + after + '):':30s} {describe(bridge.pid)}", flush=True)
    print(f"  {prefix}bridge idle / floor = {idle / floor_rss:.2f}   bridge idle - floor = "
          f"{idle - floor_rss:.1f} MiB   (target: bridge idle < 90 MiB)", flush=True)
    return idle


async def measure(bridge: Bridge, floor: NodeProcess, counts: Sequence[int], settle: float,
                  compression: Sequence[str], steady: float = 0.0) -> None:
    await asyncio.sleep(settle)
    idle = print_idle(bridge, floor, "floor (raw rclpy subscriber): ", f"{settle:.0f} s", "")
    if steady > 0:
        await asyncio.sleep(steady)
        idle = print_idle(bridge, floor, f"floor after {settle + steady:.0f} s:           ",
                          f"{settle + steady:.0f} s", "steady: ")
    # Nothing has asked the bridge anything over HTTP until now (its web app waits for the first
    # request, lazy_web.py): this request checks it was receiving, and the figure after it is a
    # bridge that has served one, the idle the per-peer figures are taken from.
    received = int(bridge.health()["messages_received"])
    if received == 0:
        raise SystemExit("the bridge received no DiagnosticArray: the idle figures above are not "
                         "a working bridge's")
    await asyncio.sleep(1.0)
    idle = rss_mib(bridge.pid)
    print(f"  (those figures: {received} arrays received, no HTTP request before this line)", flush=True)
    print(f"{'bridge after one /healthz:':30s} {describe(bridge.pid)}   (target: bridge idle < 90 MiB)",
          flush=True)
    files_idle = mapped_files(bridge.pid)
    clients: list[BridgeClient] = []
    first = 0.0
    try:
        for count in counts:
            while len(clients) < count:
                batch = [BridgeClient(bridge.url, compression=compression)
                         for _ in range(min(5, count - len(clients)))]
                await asyncio.gather(*(c.connect(timeout=30) for c in batch))
                clients += batch
            await asyncio.sleep(3.0)  # snapshots sent, steady state
            for c in clients:  # this process's memory flat between steps
                c.messages.clear()
            rss = rss_mib(bridge.pid)
            if not first:
                first = rss
                now = mapped_files(bridge.pid)
                gained = sorted(((mib - files_idle.get(name, 0.0), name) for name, mib in now.items()),
                                reverse=True)
                top = [(name, mib) for mib, name in gained if mib >= 0.2]
                print(f"  the first peer mapped {sum(m for _, m in top):.1f} MiB of files in (the WebRTC "
                      f"stack's import): " + ", ".join(f"{n} {m:.1f}" for n, m in top[:8]), flush=True)
            above_first = f"{(rss - first) / (count - 1):.2f}" if count > 1 else "  - "
            print(f"{count:>3} peers: bridge RSS {rss:6.1f} MiB   per peer over idle "
                  f"{(rss - idle) / count:5.2f} MiB   per peer above the first {above_first} MiB "
                  f"(target < 0.5)", flush=True)
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    deadline = time.monotonic() + 15
    while bridge.health()["peers"] and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)
    print(f"bridge, every peer gone:       {describe(bridge.pid)}", flush=True)
    print(f"floor at the end:              {describe(floor.proc.pid)}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 and 5 peers, 5 s settle")
    parser.add_argument("--peers", default="1,10,25", help="comma-separated peer counts, rising")
    parser.add_argument("--statuses", type=int, default=STATUSES, help="statuses per array")
    parser.add_argument("--keys", type=int, default=KEYS, help="keys per status (at least 2)")
    parser.add_argument("--varying-values", action="store_true",
                        help="the extra values change every message, like sensor readings")
    parser.add_argument("--deflate", action="store_true",
                        help="clients ask for capability deflate-raw, as today's page does")
    parser.add_argument("--settle", type=float, default=10.0,
                        help="seconds of publishing before the idle figure")
    parser.add_argument("--steady", type=float, default=0.0,
                        help="seconds more before a second idle figure and the peers (420: the live "
                             "history and the store's open blocks full at 10 Hz)")
    args = parser.parse_args(argv)
    counts = [1, 5] if args.quick else [int(x) for x in args.peers.split(",")]
    settle = 5.0 if args.quick else args.settle
    publisher = start([sys.executable, "-m", "test.helpers.ros_publisher", "--rate", "10",
                       "--statuses", str(args.statuses), "--extra-values", str(max(0, args.keys - 2)),
                       "--wait-subscribers", "2", "--name-prefix", "bench",
                       *(["--varying-values"] if args.varying_values else [])],
                      "bench-memory-publisher", "ready")
    floor = bridge = None
    try:
        floor = start([sys.executable, "-m", "bench.floor_subscriber"], "bench-memory-floor", "receiving")
        # Not bridge.wait_messages(): that asks /healthz, and the idle figures are of a bridge that
        # nothing has asked yet. The publisher waits for both subscriptions before it sends.
        bridge = Bridge("bench-memory-bridge", {"max_peers": max(counts) + 1})
        print(f"{args.statuses} statuses x {args.keys} keys at 10 Hz"
              f"{' (varying values)' if args.varying_values else ''}; peers: aiortc clients in this "
              f"process{', deflate-raw' if args.deflate else ', text'}", flush=True)
        asyncio.run(measure(bridge, floor, counts, settle, ["deflate-raw"] if args.deflate else [],
                            args.steady))
    finally:
        for proc in (bridge, floor, publisher):
            if proc is not None:
                proc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
