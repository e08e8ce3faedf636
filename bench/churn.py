"""A new peer must not stall the others (issue 8 item 12): live latency of a connected client
while 10 others connect and disconnect in a loop against full history.

Two real bridge processes, A and B, are filled to full history together: 100 statuses x 3,600
samples (a real rclpy publisher process bursting 3,600 arrays of 100 statuses; since the history
is kept at the snapshot's resolution, a burst is one or two buckets a status, so the copy on the
loop is small and the snapshot is what it was: 100 statuses of at most 300 points). Then a second
publisher sends arrays of 20 statuses at 10 Hz, and one aiortc client (this process), connected
to A, measures each live message's latency (its receive time minus the publisher's header.stamp,
one machine, one clock) in three phases of --seconds each:
  1. idle: nothing else runs;
  2. floor: another process runs 10 aiortc clients that each connect to B, take the whole
     snapshot, close, and start again: the machine is as loaded as in phase 3 (receiving
     snapshots costs those clients CPU), but A serves nobody new;
  3. churn: the same 10 clients churn against A.
The churn/floor ratio is the cost of new peers to a connected one, the machine's load aside.
Acceptance: the churn p99 stays below 50 ms. Printed: p50/p99 for both phases and their ratio,
the bridge's CPU share of one core, the connects that ended in the window (completed, and failed
by reason), the snapshot each new peer got (parts and bytes), and the CPU model.

  scripts/in-test-netns .venv/bin/python -m bench.churn [--quick] [--seconds S] [--churners N]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence

from bench.__main__ import machine
from bench.latency import Window, latencies_ms, seq_gaps, start_publisher
from bench.procstat import percentile, rss_mib
from test.helpers.bridge_proc import Bridge
from test.helpers.ros_publisher import PublisherProcess
from test.helpers.webrtc_client import BridgeClient

P99_LIMIT_MS = 50.0


def fill(bridges: list[Bridge], statuses: int, samples: int) -> None:
    """`samples` arrays of `statuses` statuses into the bridge's history. In chunks, each waited
    for: the publisher's RELIABLE writer keeps only its last 10 samples, so a burst faster than
    the bridge takes it would lose arrays."""
    pub = PublisherProcess("--statuses", str(statuses), "--extra-values", "3", "--name-prefix", "fill",
                           wait_subscribers=len(bridges))
    try:
        # Both matched (take_from on each; the second's extra arrays are a sample or two more).
        for b in bridges:
            b.take_from(pub)
        t0 = time.monotonic()
        base = [_settled(b) for b in bridges]
        received = 0
        while received < samples:
            pub.burst(min(50, samples - received), 200.0)
            received = min(_settled(b) - b0 for b, b0 in zip(bridges, base, strict=True))
        print(f"history filled: {statuses} statuses x {samples} samples in {time.monotonic() - t0:.0f} s",
              flush=True)
    finally:
        pub.stop()


def _settled(bridge: Bridge) -> int:
    """messages_received once it has stopped growing for 0.3 s."""
    last = -1
    while True:
        now = int(bridge.health()["messages_received"])
        if now == last:
            return now
        last = now
        time.sleep(0.3)


async def churn_forever(url: str, churners: int) -> None:
    """Run by the churning process: each task connects, takes the whole snapshot, closes, again."""
    async def one() -> None:
        while True:
            client = BridgeClient(url)
            try:
                await client.connect(timeout=60)
                await client.wait_for(lambda m: any(x.msg["type"] == "snapshot" and
                                                    x.msg["part"] == x.msg["parts"] - 1 for x in m),
                                      timeout=60)
                parts = client.of_type("snapshot")
                size = sum(p.size for p in parts)
                print(json.dumps({"t": time.time(), "parts": len(parts), "bytes": size}), flush=True)
            except Exception as exc:  # a refusal or timeout under load: counted, and go on
                print(json.dumps({"t": time.time(), "error": str(exc)[:100]}), flush=True)
            finally:
                await client.close()
    await asyncio.gather(*(one() for _ in range(churners)))


def churn_summary(log: Iterable[str], since: float, seconds: float, churners: int, name: str) -> str:
    """What the churners' lines say of the connects that ended in the window, failures by reason."""
    rows = [row for row in map(json.loads, (x for x in log if x.startswith("{") and x.endswith("\n")))
            if since <= row["t"] <= since + seconds]
    done = [r for r in rows if "parts" in r]
    errors = collections.Counter(str(r["error"]) for r in rows if "error" in r)
    mean_bytes = sum(r["bytes"] for r in done) / max(1, len(done))
    mean_parts = sum(r["parts"] for r in done) / max(1, len(done))
    text = (f"       {churners} clients churning against bridge {name}: {len(done)} connects with full "
            f"snapshot ({len(done) / seconds:.1f}/s), {sum(errors.values())} failed; "
            f"snapshot {mean_parts:.0f} parts, {mean_bytes / 1e6:.2f} MB")
    return text + "".join(f"\n       {count} failed: {reason}" for reason, count in errors.most_common())


async def measure(bridge: Bridge, other: Bridge, seconds: float, churners: int) -> bool:
    publisher = await asyncio.to_thread(start_publisher, 10.0)
    client = BridgeClient(bridge.url)
    try:
        await client.connect(timeout=60)
        await asyncio.sleep(3.0)  # its own snapshot sent, steady state
        results = {}
        for phase, target in (("idle", None), ("floor", other), ("churn", bridge)):
            # The churners print to a file, not a pipe: nobody reads a pipe until the phase ends, and
            # a full one (64 KiB, ~2,200 lines) blocked their prints and so their loop: they stopped.
            with tempfile.TemporaryFile("w+") as log:
                proc = None
                if target is not None:
                    proc = subprocess.Popen([sys.executable, "-m", "bench.churn", "--churner", target.url,
                                             "--churners", str(churners)], stdout=log, text=True)
                    await asyncio.sleep(2.0)  # the churners' first connects under way
                window = Window(bridge.pid)
                window.start()
                since = time.time()
                await asyncio.sleep(seconds)
                share = window.cpu_share()
                lat = latencies_ms(client.messages, since)
                gaps = seq_gaps(client.messages, since)
                line = (f"{phase:>5}: p50 {percentile(lat, 50):6.2f} ms  p99 {percentile(lat, 99):6.2f} ms  "
                        f"max {max(lat):7.2f} ms  gaps {gaps}  n={len(lat)}  "
                        f"bridge CPU {share * 100:5.1f} % of one core  "
                        f"RSS {rss_mib(bridge.pid):.0f} MiB")
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
                    log.seek(0)
                    name = "A" if target is bridge else "B"
                    line += "\n" + churn_summary(log, since, seconds, churners, name)
            print(line, flush=True)
            results[phase] = percentile(lat, 99)
        ratio = results["churn"] / results["floor"]
        print(f"floor p99 / idle p99 = {results['floor'] / results['idle']:.2f}", flush=True)
        ok = results["churn"] < P99_LIMIT_MS
        print(f"churn p99 / floor p99 = {ratio:.2f}; churn p99 {'<' if ok else '>='} {P99_LIMIT_MS:.0f} ms: "
              f"{'PASS' if ok else 'FAIL'}", flush=True)
        return ok
    finally:
        await client.close()
        await asyncio.to_thread(publisher.stop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="600 samples, 10 s phases")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each phase")
    parser.add_argument("--statuses", type=int, default=100)
    parser.add_argument("--samples", type=int, default=3600)
    parser.add_argument("--churners", type=int, default=10)
    parser.add_argument("--churner", metavar="URL", help=argparse.SUPPRESS)  # the churning process
    args = parser.parse_args(argv)
    if args.churner:
        asyncio.run(churn_forever(args.churner, args.churners))  # until terminated
        return 0
    if args.quick:
        args.samples, args.seconds = 600, 10.0
    print(f"# {machine()}", flush=True)
    # All churners connect from this machine's one address: each bridge lets that many sockets wait
    # for their offer's answer at once (the default, 8 an address, refused a quarter of the
    # connects of 10 churners with "too many connections waiting for an offer").
    limits = {"max_peers": args.churners + 5, "max_pending_per_address": args.churners}
    bridge = Bridge("webrtc_bridge-bench-churn-A", limits)
    other = Bridge("webrtc_bridge-bench-churn-B", limits)
    try:
        fill([bridge, other], args.statuses, args.samples)
        # The verdict is printed; like every bench, this one asserts nothing (docs/benchmarks.md).
        asyncio.run(measure(bridge, other, args.seconds, args.churners))
    finally:
        bridge.stop()
        other.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
