"""webrtc_bridge fan-out up to 100 peers (issue 12), every CPU figure also as a ratio to a floor
measured in the same window.

Load: a real rclpy publisher process, 50 statuses x 20 keys (about 25 KB of JSON) at 10 Hz, 17
of the keys readings that change every message (ros_publisher --varying-values).
Floor: a raw rclpy subscriber of the same topic doing nothing, its own process
(bench/floor_subscriber.py, as bench.memory's): what any rclpy node pays to receive this load.
Peers: aiortc clients in worker processes (up to --per-worker each) and RTCPeerConnections in
headless Chromium (/usr/bin/chromium, channel "chedweb" with subprotocol "chedweb.v2" as the
page), all connected through /ws as the page is. A step of N peers has ceil(N x browsers / max
step) Chromium peers, so the last step holds --browsers of them (1 peer: one Chromium peer).

Printed per step, over a window of --seconds: the bridge's CPU (% of one core, and / floor), the
marginal cost per peer since the previous step (points of a core per peer), RSS (idle, and per
peer over idle), live latency p50/p99 (and p99.9, max) over every peer (receive time -
header.stamp, same clock), drops (the bridge's /healthz count over the whole step, connecting
included) and seq gaps the peers saw, the peer processes' own CPU, and what else ran on the
machine in the window.

  scripts/in-test-netns .venv/bin/python -m bench.fanout [--quick] [--steps 1,10,25,50,100]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

from bench.__main__ import machine
from bench.procstat import TICKS, cpu_seconds, percentile, rss_mib
from test.helpers.bridge_proc import Bridge
from test.helpers.procs import REPO, NodeProcess

STATUSES, KEYS, RATE = 50, 20, 10.0
# The test publisher's status has 3 KeyValues (pub index, value, label); the rest are extra.
EXTRA_VALUES = KEYS - 3


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine spent busy (all cores; /proc/stat, idle and iowait excluded)."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICKS


def tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of a process and of each of its descendants (a browser's renderers)."""
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return {}
    out = {}
    for proc in procs:
        with contextlib.suppress(OSError):  # ended meanwhile
            out[proc.pid] = cpu_seconds(proc.pid)
    return out


class PeerProcess:
    """One bench/fanout_peers.py process holding peers of one kind, driven over its pipes."""

    def __init__(self, kind: str, url: str, nice: int, compression: str) -> None:
        self.kind = kind
        self.peers = 0
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.fanout_peers", kind, url, compression],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
                                     env=env, preexec_fn=(lambda: os.nice(nice)) if nice else None)

    def send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"{self.kind} peer process ended (exit code {self.proc.wait()})")
        result: dict[str, Any] = json.loads(line)
        self.peers = int(result.get("peers", self.peers))
        return result

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.send(cmd="quit")
                self.proc.wait(30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


@dataclass
class Audience:
    url: str
    per_worker: int
    nice: int
    compression: str
    workers: list[PeerProcess] = field(default_factory=list)
    browser: PeerProcess | None = None

    @property
    def processes(self) -> list[PeerProcess]:
        return self.workers + ([self.browser] if self.browser else [])

    def grow(self, aiortc: int, browsers: int) -> list[str]:
        """Connect peers until there are `aiortc` aiortc clients and `browsers` Chromium peers;
        the processes connect at the same time. The errors of peers that failed to connect."""
        asked: list[PeerProcess] = []
        need = aiortc - sum(w.peers for w in self.workers)
        while need > 0:
            worker = min((w for w in self.workers if w.peers < self.per_worker), default=None,
                         key=lambda w: w.peers)
            if worker is None:
                worker = PeerProcess("aiortc", self.url, self.nice, self.compression)
                self.workers.append(worker)
            n = min(need, self.per_worker - worker.peers)
            worker.send(cmd="add", n=n)
            worker.peers += n  # provisional, corrected by its answer
            asked.append(worker)
            need -= n
        if browsers > (self.browser.peers if self.browser else 0):
            if self.browser is None:
                self.browser = PeerProcess("browser", self.url, self.nice, self.compression)
            self.browser.send(cmd="add", n=browsers - self.browser.peers)
            asked.append(self.browser)
        errors: list[str] = []
        for proc in asked:
            errors += proc.answer()["errors"]
        return errors

    def command(self, cmd: str) -> list[dict[str, Any]]:
        for proc in self.processes:
            proc.send(cmd=cmd)
        return [proc.answer() for proc in self.processes]

    def cpu(self) -> dict[int, float]:
        out: dict[int, float] = {}
        for proc in self.processes:
            out.update(tree_cpu(proc.proc.pid))
        return out

    def close(self) -> None:
        for proc in self.processes:
            proc.close()


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


@dataclass
class StepResult:
    peers: int
    aiortc: int
    browsers: int
    bridge: float      # share of one core
    floor: float
    rss: float         # MiB
    lat: list[float]
    gaps: int
    drops: int
    clients: float     # the peer processes' share of one core
    others: float      # the rest of the machine (other work), share of one core
    heard: int
    binary: int        # live messages that came deflated
    forwarded: float   # live messages the bridge sent a second, all peers together
    udp_lost: int      # datagrams dropped by the kernel for a full receive buffer, in the window
    by_process: str    # peers heard from / peers, per peer process, with their own connection states
    own_failed: int    # peers whose own RTCPeerConnection was not "connected" at the window's end


def measure(bridge: Bridge, floor_pid: int, audience: Audience, seconds: float,
            own: list[int]) -> dict[str, Any]:
    """Every figure of one window of `seconds`, the peers recording meanwhile."""
    audience.command("start")
    forwarded0, lost0 = int(bridge.health()["messages_forwarded"]), udp_lost()
    t0 = time.monotonic()
    b0, f0, c0, m0 = cpu_seconds(bridge.pid), cpu_seconds(floor_pid), audience.cpu(), machine_busy_seconds()
    own0 = {pid: cpu_seconds(pid) for pid in own}
    time.sleep(seconds)
    b1, f1, c1, m1 = cpu_seconds(bridge.pid), cpu_seconds(floor_pid), audience.cpu(), machine_busy_seconds()
    own1 = {pid: cpu_seconds(pid) for pid in own}
    elapsed = time.monotonic() - t0
    forwarded = int(bridge.health()["messages_forwarded"]) - forwarded0
    answers = audience.command("stop")
    clients = cpu_delta(c0, c1)
    ours = (b1 - b0) + (f1 - f0) + clients + cpu_delta(own0, own1)
    return {"bridge": (b1 - b0) / elapsed, "forwarded": forwarded / elapsed, "floor": (f1 - f0) / elapsed,
            "clients": clients / elapsed, "udp_lost": udp_lost() - lost0,
            "others": max(0.0, (m1 - m0) - ours) / elapsed,
            "lat": [x for a in answers for x in a["lat"]],
            "rx": [(p.kind, seq, lat) for p, a in zip(audience.processes, answers, strict=True)
                   for seq, lat in zip(a.get("lat_seq", ()), a["lat"], strict=False)],
            "gaps": sum(a["gaps"] for a in answers),
            "heard": sum(a["peers_heard"] for a in answers), "binary": sum(a["binary"] for a in answers),
            "by_process": ", ".join(f"{p.kind} {a['peers_heard']}/{a['peers']} ({own_states(a)})"
                                    for p, a in zip(audience.processes, answers, strict=True)),
            "own_failed": sum(n for a in answers for s, n in a.get("states", {}).items() if s != "connected")}


def own_states(answer: dict[str, Any]) -> str:
    """A peer process's connections by their own state ("connected 25", "failed 3, connected
    22"): a peer whose own side failed is not one the bridge skipped."""
    states = answer.get("states", {})
    return ", ".join(f"{s} {n}" for s, n in sorted(states.items(), key=lambda x: -x[1])) or "states unknown"


def closes(log: str) -> str:
    """Peers the bridge closed, by the reason it logged ("closed (data channel closed)"), and
    those it began skipping as too slow: the bridge's side of a silent peer."""
    reasons = Counter(re.findall(r"\] closed \(([^)]*)\)", log))
    slow = log.count("browser too slow")
    return ", ".join([f"{n} closed ({why})" for why, n in reasons.most_common()]
                     + ([f"{slow} peers too slow (skipped)"] if slow else [])) or "no peer closed or skipped"


def udp_lost() -> int:
    """UDP datagrams this namespace's kernel dropped for want of receive-buffer room
    (/proc/net/snmp RcvbufErrors): a peer or the bridge too slow to read, which SCTP then
    retransmits after a timeout (latency of seconds at little CPU)."""
    with open("/proc/net/snmp") as f:
        rows = [line.split() for line in f if line.startswith("Udp:")]
    return int(rows[1][rows[0].index("RcvbufErrors")])


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def start_publisher() -> NodeProcess:
    """The load, once the bridge and the floor both subscribe."""
    publisher = NodeProcess([sys.executable, "-m", "test.helpers.ros_publisher", "--rate", str(RATE),
                             "--statuses", str(STATUSES), "--extra-values", str(EXTRA_VALUES),
                             # Readings that change every message: constant ones compress ~30x,
                             # which real sensor values do not.
                             "--varying-values",
                             "--wait-subscribers", "2", "--name-prefix", "bench"], "bench-fanout-publisher")
    try:
        publisher.wait_for_output("ready", timeout=40)
    except BaseException:  # Ctrl-C included: the caller holds no reference to stop it by
        publisher.stop()
        raise
    return publisher


def split(peers: int, max_step: int, browsers: int) -> tuple[int, int]:
    """(aiortc clients, Chromium peers) of a step: Chromium peers in the last step's proportion."""
    chromium = min(peers, max(1, math.ceil(peers * browsers / max_step))) if browsers else 0
    return peers - chromium, chromium


def run(args: argparse.Namespace) -> list[StepResult]:
    steps = sorted(args.steps)
    floor = NodeProcess([sys.executable, "-m", "bench.floor_subscriber"], "bench-fanout-floor")
    trace_path = os.path.join(tempfile.gettempdir(), f"chedweb-fanout-trace-{os.getpid()}.jsonl")
    wrap = ((lambda cmd: [sys.executable, "-m", "bench.fanout_trace", trace_path, *cmd[1:]])
            if args.trace else None)
    try:
        bridge = Bridge("bench-fanout-bridge", {
            "max_peers": steps[-1] + 16, "max_connections": 4 * steps[-1] + 64,
            "max_connections_per_address": 4 * steps[-1] + 64, "max_pending_sockets": 64,
            "max_pending_per_address": 32, "answer_timeout": 60.0, "offer_deadline": 60.0,
            "history_seconds": args.history_seconds}, wrap=wrap)
    except BaseException:  # the floor is not left running
        floor.stop()
        raise
    publisher = None
    audience = Audience(bridge.url, args.per_worker, args.client_nice, args.compression)
    results: list[StepResult] = []
    try:
        publisher = start_publisher()
        floor.wait_for_output("receiving", timeout=30)
        bridge.wait_messages(1)
        time.sleep(3.0)
        own = [os.getpid(), publisher.proc.pid]  # counted as ours, not as other work
        idle = measure(bridge, floor.proc.pid, audience, min(args.seconds, 10.0), own)
        rss0 = rss_mib(bridge.pid)
        print(f"0 peers: bridge CPU {idle['bridge'] * 100:.2f} % of one core, floor "
              f"{idle['floor'] * 100:.2f} % ({idle['bridge'] / idle['floor']:.1f}x);"
              f" RSS idle {rss0:.1f} MiB; "
              f"load average {load_average()}", flush=True)
        for peers in steps:
            aiortc, browsers = split(peers, steps[-1], args.browsers)
            health0 = bridge.health()
            drops0, log0 = int(health0["drops"]), len(bridge.node.output())
            started = time.monotonic()
            errors = audience.grow(aiortc, browsers)
            connected = time.monotonic() - started
            have = sum(w.peers for w in audience.workers), audience.browser.peers if audience.browser else 0
            time.sleep(3.0)  # snapshots sent, every peer live
            got = measure(bridge, floor.proc.pid, audience, args.seconds, own)
            health = bridge.health()
            drops = int(health["drops"]) - drops0
            step = StepResult(sum(have), have[0], have[1], got["bridge"], got["floor"], rss_mib(bridge.pid),
                              got["lat"], got["gaps"], drops, got["clients"], got["others"], got["heard"],
                              got["binary"], got["forwarded"], got["udp_lost"], got["by_process"],
                              got["own_failed"])
            results.append(step)
            before = results[-2] if len(results) > 1 else None
            print(describe(step, before, idle["bridge"], rss0, connected, errors), flush=True)
            print(f"      the bridge's log in this step: {closes(bridge.node.output()[log0:])}", flush=True)
            if "full_collections" in health:  # a bridge that runs its own (full_collections.py)
                print(f"      the bridge's full collections in this step (connecting included): "
                      f"{int(health['full_collections']) - int(health0['full_collections'])}, "
                      f"the longest so far {health['longest_full_collection_ms']} ms", flush=True)
            if args.trace:
                print(stages(read_trace(trace_path), got["rx"]), flush=True)
        print(summary(results, idle["bridge"], rss0), flush=True)
    finally:
        audience.close()
        if publisher is not None:
            publisher.stop()
        bridge.stop()
        floor.stop()
        with contextlib.suppress(OSError):
            os.remove(trace_path)
    return results


def read_trace(path: str) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    with contextlib.suppress(OSError), open(path) as f:
        for line in f:
            with contextlib.suppress(ValueError):
                row = json.loads(line)
                rows[row["seq"]] = row
    return rows


def stages(rows: dict[int, dict[str, Any]], rx: list[tuple[str, int, float]]) -> str:
    """Where a live message's latency goes (bench/fanout_trace.py's times against the peers'),
    each stage's p50 / p99 in ms over the messages the peers heard in the window."""
    by_seq: dict[int, list[tuple[str, float]]] = {}
    for kind, seq, lat in rx:
        by_seq.setdefault(seq, []).append((kind, lat))
    full = [r for s, r in rows.items() if s in by_seq and r.get("tx") and "cb0" in r and "send1" in r]
    if not full:
        return "      trace: no complete message in the window"

    def ms(values: list[float]) -> str:
        return f"{percentile(values, 50):6.1f} / {percentile(values, 99):6.1f}"

    def col(f: Any) -> list[float]:
        return [1000 * f(r) for r in full]

    tx_all = [1000 * (t - r["stamp"]) for r in full for t in r["tx"]]
    rx_kind: dict[str, list[float]] = {}
    for r in full:
        for kind, lat in by_seq[r["seq"]]:
            rx_kind.setdefault(kind, []).append(lat)
    after_tx = [lat - 1000 * (statistics.median(r["tx"]) - r["stamp"])
                for r in full for _, lat in by_seq[r["seq"]]]
    lines = [f"      trace, {len(full)} messages, p50 / p99 ms:",
             f"        publish -> ROS callback entry     {ms(col(lambda r: r['cb0'] - r['stamp']))}",
             # One stage: the loop may take the GIL at the callback's hand-off, before it returns.
             f"        ROS callback -> loop's handler    {ms(col(lambda r: r['loop0'] - r['cb0']))}"
             "  (decode, encode and deflate once, hand-off)",
             f"        loop: every peer's send call      {ms(col(lambda r: r['send1'] - r['loop0']))}",
             f"        loop: after the sends             {ms(col(lambda r: r['loop1'] - r['send1']))}",
             f"        handler exit -> first peer's tx   {ms(col(lambda r: r['tx'][0] - r['loop1']))}",
             f"        first -> last peer's tx           {ms(col(lambda r: r['tx'][-1] - r['tx'][0]))}"
             f"  ({statistics.median(len(r['tx']) for r in full):.0f} flushes a message)",
             f"          of which the store's thread busy  {ms(col(lambda r: r.get('store', 0.0)))}",
             f"        publish -> a peer's tx (all)      {ms(tx_all)}",
             "        publish -> a peer's receipt       "
             + "; ".join(f"{k} {ms(v)}" for k, v in sorted(rx_kind.items())),
             f"        receipt - the message's median tx {ms(after_tx)}"]
    return "\n".join(lines)


def per_message_ms(step: StepResult, idle: float) -> float:
    """Bridge CPU per live message sent to one peer: what a peer costs whatever the machine's
    load, which can leave the bridge too little CPU to send every message (drops)."""
    return 1000 * (step.bridge - idle) / step.forwarded if step.forwarded else math.nan


def describe(step: StepResult, before: StepResult | None, idle: float, rss0: float, connected: float,
             errors: list[str]) -> str:
    ratio = step.bridge / step.floor if step.floor else math.inf
    lines = [f"{step.peers:>3} peers ({step.aiortc} aiortc + {step.browsers} Chromium; connected in "
             f"{connected:.0f} s{f', {len(errors)} failed: {errors[0]}' if errors else ''}; load average "
             f"{load_average()}):",
             f"      bridge CPU {step.bridge * 100:5.1f} % of one core = {ratio:5.1f}x floor "
             f"({step.floor * 100:.2f} %)"
             + (f"; marginal {100 * (step.bridge - before.bridge) / (step.peers - before.peers):.2f} "
                f"points/peer since {before.peers}" if before else ""),
             f"      {step.forwarded:.0f} live messages forwarded a second (of {step.peers * RATE:.0f}): "
             f"{per_message_ms(step, idle):.3f} ms of bridge CPU each over the 0-peer figure",
             f"      RSS {step.rss:.1f} MiB (+{(step.rss - rss0) / step.peers:.2f} MiB/peer over idle"
             + (f", +{(step.rss - before.rss) / (step.peers - before.peers):.2f} since {before.peers}"
                if before else "") + ")",
             f"      live p50 {percentile(step.lat, 50):.1f} ms  p99 {percentile(step.lat, 99):.1f} ms  "
             f"(p99.9 {percentile(step.lat, 99.9):.1f}, max {max(step.lat, default=0.0):.1f})  "
             f"n={len(step.lat)} ({step.binary} deflated) from {step.heard}/{step.peers} peers; "
             f"drops {step.drops} (bridge, whole step), gaps {step.gaps} (peers, window); UDP datagrams "
             f"lost to full receive buffers {step.udp_lost}",
             f"      peers that got a live message in the window, per process (their own connection "
             f"states): {step.by_process}; {step.own_failed} peer(s) not connected by their own account",
             f"      peer processes' CPU {step.clients * 100:.0f} % of one core; other work on the machine "
             f"{step.others * 100:.0f} %"]
    return "\n".join(lines)


def summary(results: list[StepResult], idle: float, rss0: float) -> str:
    if not results:
        return "no step measured"
    first, last = results[0], results[-1]
    out = [f"summary ({machine()}):"]
    if first.peers == 1:
        out.append(f"  1 peer: bridge CPU / floor = {first.bridge / first.floor:.1f}x "
                   f"({first.bridge * 100:.2f} % / {first.floor * 100:.2f} %; target <= 2x)")
    if len(results) > 1:
        slope = (last.bridge - first.bridge) / (last.peers - first.peers)
        out.append(f"  marginal cost per peer, {first.peers} -> {last.peers}: {slope * 100:.2f} points of a "
                   f"core (target <= 0.2); at {last.peers} peers {per_message_ms(last, idle):.3f} ms of "
                   f"bridge CPU per message sent, i.e. {per_message_ms(last, idle) * RATE / 10:.2f} points "
                   f"per peer at {RATE:g} Hz had every message been sent")
    out.append(f"  {last.peers} peers: bridge CPU {last.bridge * 100:.1f} % of one core (target < 25), "
               f"{last.bridge / last.floor:.1f}x floor; live p99 {percentile(last.lat, 99):.1f} ms "
               f"(target < 50); drops {last.drops}, gaps {last.gaps} (target 0)")
    out.append(f"  RSS idle {rss0:.1f} MiB (target < 90); per peer at {last.peers}: "
               f"{(last.rss - rss0) / last.peers:.2f} MiB over idle (target < 0.5)"
               + (f", {(last.rss - first.rss) / (last.peers - first.peers):.2f} MiB over "
                  f"{first.peers} peer(s) (without the first peer's one-time cost: aiortc's import)"
                  if len(results) > 1 else ""))
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="steps 1, 10, 30 of 5 s each (smoke check)")
    parser.add_argument("--steps", type=lambda s: [int(x) for x in s.split(",")], default=None,
                        help="peer counts (default 1,10,25,50,100)")
    parser.add_argument("--seconds", type=float, default=None, help="measured window of a step (default 15)")
    parser.add_argument("--browsers", type=int, default=25, help="Chromium peers in the last step")
    parser.add_argument("--per-worker", type=int, default=25, help="aiortc clients per process")
    parser.add_argument("--client-nice", type=int, default=0,
                        help="nice value of the peer processes (0: the bridge's)")
    parser.add_argument("--compression", choices=("deflate-raw", "none"), default="deflate-raw",
                        help="what the peers offer (the page offers deflate-raw where it can inflate)")
    parser.add_argument("--trace", action="store_true",
                        help="run the bridge under bench/fanout_trace.py and print, per step, where a "
                             "live message's latency goes, stage by stage")
    parser.add_argument("--history-seconds", type=float, default=5.0,
                        help="the bridge's history_seconds: a short window keeps each connect's snapshot "
                             "small, so steps measure live fan-out rather than connects")
    args = parser.parse_args(argv)
    if args.steps is None:
        args.steps = [1, 10, 30] if args.quick else [1, 10, 25, 50, 100]
    if args.seconds is None:
        args.seconds = 5.0 if args.quick else 15.0
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}  {machine()}; load average {load_average()}", flush=True)
    print(f"# {STATUSES} statuses x {KEYS} keys at {RATE:g} Hz; steps {args.steps}, {args.seconds:g} s "
          f"windows; {args.browsers} Chromium peers at the last step", flush=True)
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
